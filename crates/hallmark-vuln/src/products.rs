//! The product table (`data/products.toml`): CPE vendor/product aliases and the version
//! scheme of each product.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::scheme::Scheme;

/// One product and its names.
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    /// The name ranges are printed with.
    pub name: String,
    /// The version scheme id.
    pub scheme: String,
    /// `part:vendor:product` aliases, the collector's first.
    pub cpe: Vec<String>,
}

#[derive(Deserialize)]
struct Table {
    product: Vec<Product>,
}

/// The built-in table as text.
pub const PRODUCTS_TOML: &str = include_str!("../data/products.toml");

/// The built-in table. An unreadable table (a build defect, caught by the tests) is empty.
pub fn products() -> &'static [Product] {
    static TABLE: OnceLock<Vec<Product>> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str::<Table>(PRODUCTS_TOML)
            .map(|t| t.product)
            .unwrap_or_default()
    })
}

/// The product that `key` (`part:vendor:product`) names.
pub fn product(key: &str) -> Option<&'static Product> {
    products().iter().find(|p| p.cpe.iter().any(|c| c == key))
}

/// Every `part:vendor:product` that means the same as `key` (at least `key` itself).
pub fn aliases(key: &str) -> Vec<String> {
    product(key).map_or_else(|| vec![key.to_owned()], |p| p.cpe.clone())
}

/// The version scheme of `key`'s product.
pub fn scheme(key: &str) -> Scheme {
    product(key)
        .and_then(|p| Scheme::from_id(&p.scheme))
        .unwrap_or(Scheme::Generic)
}

/// The name to print `key`'s product with.
pub fn display_name(key: &str) -> String {
    product(key).map_or_else(
        || key.rsplit(':').next().unwrap_or(key).to_owned(),
        |p| p.name.clone(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn table_loads_with_known_schemes_and_no_shared_alias() {
        let table: Table = toml::from_str(PRODUCTS_TOML).unwrap();
        assert!(!table.product.is_empty());
        let mut seen = std::collections::BTreeSet::new();
        for p in &table.product {
            assert!(
                Scheme::from_id(&p.scheme).is_some(),
                "{}: {}",
                p.name,
                p.scheme
            );
            assert!(!p.cpe.is_empty(), "{}", p.name);
            for c in &p.cpe {
                assert_eq!(c.split(':').count(), 3, "{c}");
                assert!(seen.insert(c.clone()), "{c} is in two products");
            }
        }
        assert_eq!(
            aliases("a:matt_johnston:dropbear_ssh_server"),
            vec![
                "a:dropbear_ssh_project:dropbear_ssh",
                "a:matt_johnston:dropbear_ssh_server"
            ]
        );
        assert_eq!(scheme("a:openssl:openssl"), Scheme::Openssl);
        assert_eq!(scheme("a:nobody:nothing"), Scheme::Generic);
        assert_eq!(display_name("a:nobody:nothing"), "nothing");
        assert_ne!(
            product("a:uclibc:uclibc").map(|p| &p.name),
            product("a:uclibc-ng_project:uclibc-ng").map(|p| &p.name)
        );
    }
}
