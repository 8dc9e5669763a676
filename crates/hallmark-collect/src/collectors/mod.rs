//! The collector registry: one file per collector, one line per collector in [`COLLECTORS`].

mod accounts;
mod image;
mod permissions;

use crate::Collector;

/// Every collector, sorted by id.
pub static COLLECTORS: &[&dyn Collector] = &[
    &accounts::AccountsCollector,
    &image::ImageCollector,
    &permissions::PermissionsCollector,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_lowercase_and_documented() {
        let ids: Vec<&str> = COLLECTORS.iter().map(|c| c.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for c in COLLECTORS {
            assert!(c.id().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            assert!(!c.description().is_empty());
        }
    }
}
