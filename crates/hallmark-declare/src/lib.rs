//! Manufacturer declarations, and how they combine with tested evidence.
//!
//! Some requirements of the code cannot be seen in firmware or on the network: the support
//! period, the vulnerability disclosure policy, how updates are rolled out, how keys are
//! protected in hardware. A *declaration* is the manufacturer's statement of them, in the spirit
//! of ETSI TS 103 701: a per-requirement claim (like an implementation conformance statement,
//! ICS) and the facts a test lab asks for (like IXIT). Its file format, versioned as
//! `hallmark-declaration/1`, is described in `docs/declaration-format.md`.
//!
//! [`Declaration::parse`] validates a file against a catalogue and a date, with errors that name
//! the file, line and field. [`apply`] folds it into an assessment [`Report`](hallmark_model::Report)
//! by the combination rules ([`DECLARATION_DECIDED`] lists the requirements whose verdict can
//! come from declared content): test evidence outranks claims, a claim against a tested FAIL is
//! a contradiction finding, and missing content leaves a requirement INCONCLUSIVE naming the
//! field.
//!
//! ```
//! use hallmark_catalog::Catalog;
//! use hallmark_declare::{Date, Declaration};
//!
//! let catalog = Catalog::builtin()?;
//! let today = Date::parse("2026-06-01").expect("a date");
//! let text = r#"
//! format = "hallmark-declaration/1"
//! [product]
//! manufacturer = "Example Networks Ltd"
//! model = "XR-100"
//! firmware_version = "1.4.2"
//! image_sha256 = "2b0f672c620cb39283ebe3b64eaa1804365d4fac2d97c97d399b178c29f741b8"
//! [support]
//! end_date = 2031-12-31
//! "#;
//! let declaration = Declaration::parse("xr100.toml", text, &catalog, today)?;
//! assert_eq!(declaration.line_of(declaration.product.model.offset), 5);
//!
//! // An unknown requirement id is an error naming the file, line and field.
//! let bad = format!("{text}\n[[claim]]\nrequirement = \"ECD-99.1\"\nstatus = \"supported\"\n");
//! let error = Declaration::parse("xr100.toml", &bad, &catalog, today).unwrap_err();
//! assert!(error.to_string().contains("xr100.toml:12:15: field `claim.requirement`"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod combine;
mod date;
mod parse;
mod template;
mod types;

use std::io::Read;
use std::path::{Path, PathBuf};

use hallmark_catalog::{Catalog, Diagnostic};
use hallmark_model::Location;

pub use combine::{Applied, DECLARATION_DECIDED, apply};
pub use date::Date;
pub use parse::{
    FORMAT, MAX_CHECK_INTERVAL_HOURS, MAX_DECLARATION_BYTES, MAX_EVIDENCE_REFS,
    MAX_SECURITY_TXT_CHARS, MAX_TEXT_CHARS, MAX_TIMELINE_DAYS,
};
pub use template::{Prefill, template};
pub use types::{
    Claim, ClaimStatus, Claims, CredentialMethod, Credentials, DebugPorts, DeclaredDate,
    Disclosure, Documentation, EvidenceRef, Field, Hardware, KeyStorage, Logging, Meta, Product,
    Recovery, SbomFormat, SecureBoot, SerialConsole, Support, Transparency, UpdateMode, Updates,
};

/// Why a declaration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DeclarationError {
    /// The file could not be read.
    #[error("cannot read declaration {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_DECLARATION_BYTES`].
    #[error("declaration {path} is {size} bytes or more; the limit is {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (at least).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The content is invalid; every problem found is listed.
    #[error("invalid declaration ({} problem{}):\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, render(.0))]
    Invalid(Vec<Diagnostic>),
    /// The declaration is about another firmware image than the one assessed.
    #[error("declaration is for another image:\n  {0}")]
    WrongImage(Diagnostic),
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A validated declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The file name as given, used in errors and in evidence locations.
    pub path: String,
    lines: parse::Lines,
    /// When it was made and how long it holds.
    pub meta: Meta,
    /// The product and firmware it is about.
    pub product: Product,
    /// The support period.
    pub support: Support,
    /// Vulnerability disclosure.
    pub disclosure: Disclosure,
    /// Published SBOM and advisories.
    pub transparency: Transparency,
    /// The update policy.
    pub updates: Updates,
    /// How default credentials are made unique.
    pub credentials: Credentials,
    /// Hardware security.
    pub hardware: Hardware,
    /// Logging capabilities.
    pub logging: Logging,
    /// Recovery capabilities.
    pub recovery: Recovery,
    /// Published deployment documents.
    pub documentation: Documentation,
    /// Claims, by requirement id (each id known to the catalogue, at most once).
    pub claims: Claims,
}

impl Declaration {
    /// Parses and validates the text of declaration `path` against `catalog`, with `today` as
    /// the date that "in the future" and "in the past" refer to.
    pub fn parse(
        path: &str,
        text: &str,
        catalog: &Catalog,
        today: Date,
    ) -> Result<Declaration, DeclarationError> {
        parse::parse(path, text, catalog, today)
    }

    /// Reads and validates a declaration file (at most [`MAX_DECLARATION_BYTES`]).
    pub fn from_file(
        path: &Path,
        catalog: &Catalog,
        today: Date,
    ) -> Result<Declaration, DeclarationError> {
        let read = |source| DeclarationError::Read {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read)?;
        let mut bytes = Vec::new();
        file.take(MAX_DECLARATION_BYTES.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(read)?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_DECLARATION_BYTES {
            return Err(DeclarationError::TooLarge {
                path: path.to_owned(),
                size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                limit: MAX_DECLARATION_BYTES,
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            read(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 text ({e})"),
            ))
        })?;
        parse::parse(&path.display().to_string(), &text, catalog, today)
    }

    /// The 1-based line of a byte offset (a [`Field::offset`]).
    pub fn line_of(&self, offset: usize) -> u32 {
        u32::try_from(self.lines.line_col(offset).0).unwrap_or(u32::MAX)
    }

    /// Where field `name` (dotted, e.g. `support.end_date`) written at `offset` is.
    pub fn location(&self, name: &str, offset: usize) -> Location {
        Location::Document {
            path: self.path.clone(),
            line: Some(self.line_of(offset)),
            field: Some(name.to_owned()),
        }
    }

    /// The claim for requirement `id`, if any.
    pub fn claim(&self, id: &str) -> Option<&Claim> {
        self.claims.get(id)
    }

    /// The file's text, as parsed.
    pub fn text(&self) -> &str {
        self.lines.text()
    }
}
