//! The Code of Practice for Enterprise Connected Device Security as data.
//!
//! The catalogue holds the code's 11 principles, its 62 guideline-level requirements
//! (`ECD-1.1` ... `ECD-11.4`) with our statement, rationale and remediation text, and each
//! requirement's crosswalk to ETSI EN 303 645, the EU Cyber Resilience Act Annex I, the UK PSTI
//! regulations and NIST IR 8259A, whose own item lists are part of the catalogue too.
//!
//! The text lives in TOML files under `catalog/` (format: `docs/catalog-format.md`), compiled
//! into the binary. Because the official guideline text is not final, nothing in code depends
//! on the particular requirements: an organisation can load its own edition, or a profile that
//! narrows the built-in one, with [`Catalog::from_file`].
//!
//! ```
//! use hallmark_catalog::Catalog;
//!
//! let catalog = Catalog::builtin()?;
//! assert_eq!(catalog.principles.len(), 11);
//! let requirement = catalog.requirement("ECD-2.1").expect("built-in requirement");
//! assert!(requirement.references_to("psti").any(|(item, _)| item == "1"));
//!
//! let view = catalog.framework_view("etsi-en-303-645").expect("built-in framework");
//! assert_eq!(view.items.len(), 68);
//! # Ok::<(), hallmark_catalog::CatalogError>(())
//! ```

mod diagnostic;
mod load;
mod natural;
mod types;

use std::io::Read;
use std::path::Path;

use diagnostic::Source;
pub use diagnostic::{CatalogError, Diagnostic};
pub use natural::natural_cmp;
pub use types::{
    Coverage, Edition, Framework, FrameworkItem, FrameworkView, ItemCoverage, Obligation,
    Principle, Requirement, Status, Strength,
};

/// The files of the built-in catalogue, by path relative to the crate.
pub const BUILTIN_SOURCES: &[(&str, &str)] = &[
    (
        "catalog/edition.toml",
        include_str!("../catalog/edition.toml"),
    ),
    (
        "catalog/principles.toml",
        include_str!("../catalog/principles.toml"),
    ),
    (
        "catalog/requirements/p01-updates.toml",
        include_str!("../catalog/requirements/p01-updates.toml"),
    ),
    (
        "catalog/requirements/p02-authentication.toml",
        include_str!("../catalog/requirements/p02-authentication.toml"),
    ),
    (
        "catalog/requirements/p03-data.toml",
        include_str!("../catalog/requirements/p03-data.toml"),
    ),
    (
        "catalog/requirements/p04-integrity.toml",
        include_str!("../catalog/requirements/p04-integrity.toml"),
    ),
    (
        "catalog/requirements/p05-health.toml",
        include_str!("../catalog/requirements/p05-health.toml"),
    ),
    (
        "catalog/requirements/p06-trusted-software.toml",
        include_str!("../catalog/requirements/p06-trusted-software.toml"),
    ),
    (
        "catalog/requirements/p07-least-privilege.toml",
        include_str!("../catalog/requirements/p07-least-privilege.toml"),
    ),
    (
        "catalog/requirements/p08-interfaces.toml",
        include_str!("../catalog/requirements/p08-interfaces.toml"),
    ),
    (
        "catalog/requirements/p09-management.toml",
        include_str!("../catalog/requirements/p09-management.toml"),
    ),
    (
        "catalog/requirements/p10-logging.toml",
        include_str!("../catalog/requirements/p10-logging.toml"),
    ),
    (
        "catalog/requirements/p11-recovery.toml",
        include_str!("../catalog/requirements/p11-recovery.toml"),
    ),
    (
        "catalog/frameworks/etsi-en-303-645.toml",
        include_str!("../catalog/frameworks/etsi-en-303-645.toml"),
    ),
    (
        "catalog/frameworks/cra.toml",
        include_str!("../catalog/frameworks/cra.toml"),
    ),
    (
        "catalog/frameworks/psti.toml",
        include_str!("../catalog/frameworks/psti.toml"),
    ),
    (
        "catalog/frameworks/nist-ir-8259a.toml",
        include_str!("../catalog/frameworks/nist-ir-8259a.toml"),
    ),
];

/// Largest catalogue file accepted (the built-in catalogue is about a tenth of this).
pub const MAX_CATALOG_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A profile applied on top of a base catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name.
    pub name: String,
    /// The file it came from.
    pub source: String,
}

/// A validated catalogue edition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Catalog {
    /// Identity and version.
    pub edition: Edition,
    /// The principles, by number.
    pub principles: Vec<Principle>,
    /// The requirements, in id order.
    pub requirements: Vec<Requirement>,
    /// The frameworks the requirements are mapped to.
    pub frameworks: Vec<Framework>,
    /// The profile applied, if any.
    #[serde(skip)]
    pub profile: Option<Profile>,
}

impl Catalog {
    /// Loads and validates the built-in catalogue.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::from_sources(BUILTIN_SOURCES)
    }

    /// Builds a full edition from several named TOML texts whose arrays are concatenated.
    /// Profiles are not allowed here.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
        let mut diagnostics = Vec::new();
        let mut parts = Vec::new();
        for (name, text) in sources {
            let source = Source { name, text };
            match load::parse(source) {
                Ok(document) => parts.push(load::Parsed { source, document }),
                Err(d) => diagnostics.push(d),
            }
        }
        if !diagnostics.is_empty() {
            return Err(CatalogError::Invalid(diagnostics));
        }
        load::build_edition(parts)
    }

    /// Loads one TOML document: a full edition, or a profile over the built-in catalogue.
    /// `name` is used in error messages.
    pub fn from_toml(name: &str, text: &str) -> Result<Catalog, CatalogError> {
        let source = Source { name, text };
        let mut parsed = load::Parsed {
            source,
            document: load::parse(source).map_err(|d| CatalogError::Invalid(vec![d]))?,
        };
        match parsed.profile() {
            Some(profile) if !parsed.has_edition_content() => {
                load::apply_profile(&Catalog::builtin()?, profile, source)
            }
            Some(profile) => Err(CatalogError::Invalid(vec![source.diagnostic(
                profile.span(),
                "profile",
                "a profile must be the only content of its file",
            )])),
            None => load::build_edition(vec![parsed]),
        }
    }

    /// Reads and loads a catalogue file (see [`Catalog::from_toml`]).
    pub fn from_file(path: &Path) -> Result<Catalog, CatalogError> {
        let read_error = |source| CatalogError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        let size = file.metadata().map_err(read_error)?.len();
        if size > MAX_CATALOG_FILE_BYTES {
            return Err(CatalogError::TooLarge {
                path: path.to_path_buf(),
                size,
                limit: MAX_CATALOG_FILE_BYTES,
            });
        }
        let mut text = String::new();
        file.take(MAX_CATALOG_FILE_BYTES)
            .read_to_string(&mut text)
            .map_err(read_error)?;
        Catalog::from_toml(&path.display().to_string(), &text)
    }

    /// Looks up a requirement by exact id.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// Looks up a requirement the way a person types it: `ECD-2.1`, `ecd-2.1` or `2.1`.
    pub fn find_requirement(&self, query: &str) -> Option<&Requirement> {
        let query = query.trim();
        let upper = query.to_ascii_uppercase();
        let id = if upper.starts_with("ECD-") {
            upper
        } else {
            format!("ECD-{query}")
        };
        self.requirement(&id)
    }

    /// Looks up a principle by number.
    pub fn principle(&self, number: u8) -> Option<&Principle> {
        self.principles.iter().find(|p| p.number == number)
    }

    /// The requirements of one principle, in order.
    pub fn requirements_of(&self, principle: u8) -> impl Iterator<Item = &Requirement> {
        self.requirements
            .iter()
            .filter(move |r| r.principle == principle)
    }

    /// Looks up a framework by id.
    pub fn framework(&self, id: &str) -> Option<&Framework> {
        self.frameworks.iter().find(|f| f.id == id)
    }

    /// Every item of a framework with the requirements covering it.
    pub fn framework_view(&self, id: &str) -> Option<FrameworkView> {
        let framework = self.framework(id)?;
        let items = framework
            .items
            .iter()
            .map(|item| ItemCoverage {
                item: item.clone(),
                covered_by: self
                    .requirements
                    .iter()
                    .filter_map(|r| {
                        r.references_to(id)
                            .find(|(i, _)| *i == item.id)
                            .map(|(_, strength)| Coverage {
                                requirement: r.id.clone(),
                                strength,
                            })
                    })
                    .collect(),
            })
            .collect();
        Some(FrameworkView {
            id: framework.id.clone(),
            name: framework.name.clone(),
            version: framework.version.clone(),
            items,
        })
    }

    /// The reference to this edition recorded in reports.
    pub fn catalog_ref(&self) -> hallmark_model::CatalogRef {
        hallmark_model::CatalogRef {
            id: self.edition.id.clone(),
            version: self.edition.version.clone(),
            status: self.edition.status.to_string(),
        }
    }

    /// The whole catalogue as one TOML document that [`Catalog::from_toml`] accepts.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        // The file format names arrays of tables in the singular (`[[requirement]]`).
        #[derive(serde::Serialize)]
        struct Document<'a> {
            edition: &'a Edition,
            principle: &'a [Principle],
            requirement: &'a [Requirement],
            framework: Vec<FrameworkDocument<'a>>,
        }
        #[derive(serde::Serialize)]
        struct FrameworkDocument<'a> {
            id: &'a str,
            name: &'a str,
            version: &'a str,
            item: &'a [FrameworkItem],
        }
        let document = Document {
            edition: &self.edition,
            principle: &self.principles,
            requirement: &self.requirements,
            framework: self
                .frameworks
                .iter()
                .map(|f| FrameworkDocument {
                    id: &f.id,
                    name: &f.name,
                    version: &f.version,
                    item: &f.items,
                })
                .collect(),
        };
        toml::to_string_pretty(&document)
    }
}
