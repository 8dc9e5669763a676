//! Hallmark's offline vulnerability store and matcher.
//!
//! - [`Store`]: one SQLite file (default `$XDG_DATA_HOME/hallmark/vuln.sqlite3`, see
//!   [`resolve_path`]) holding imported records. [`Store::import_file`] reads NVD CVE API 2.0
//!   JSON (one CVE, feeds, API pages), condensed NVD records, OSV JSON, Alpine secdb and the
//!   CISA KEV catalogue, detected from the content; each file is one transaction and
//!   re-importing a record replaces it.
//! - [`scheme`]: version schemes (generic, OpenSSL letters, dropbear, BusyBox, kernel,
//!   Debian, Alpine, OpenSSH) that answer "incomparable" instead of guessing.
//! - [`match_components`]: CPE 2.3 applicability with version ranges and a vendor/product
//!   alias table (`data/products.toml`), package URLs against OSV and secdb; every match
//!   records the criterion, the range and how it matched, with KEV membership.
//! - [`apply_vex`]: OpenVEX or CycloneDX VEX `not_affected` statements mark matches
//!   suppressed; they stay in the result.
//!
//! Nothing here touches the network.
//!
//! ```
//! use hallmark_model::facts::Component;
//! use hallmark_vuln::{ImportLimits, Store, match_components};
//!
//! let mut store = Store::in_memory()?;
//! let record = br#"{"id": "CVE-2016-7406", "lastModified": "2026-05-13T00:24:29.033",
//!   "configurations": [{"nodes": [{"operator": "OR", "cpeMatch": [{"vulnerable": true,
//!   "criteria": "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:*:*:*:*:*:*:*:*",
//!   "versionEndIncluding": "2016.73"}]}]}]}"#;
//! store.import_bytes("CVE-2016-7406.json".as_ref(), record, &ImportLimits::default())?;
//! let dropbear = Component {
//!     name: "dropbear".into(),
//!     version: Some("2011.54".into()),
//!     purl: "pkg:generic/dropbear@2011.54".into(),
//!     cpe: Some("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*".into()),
//!     evidence: Vec::new(),
//!     evidence_omitted: 0,
//! };
//! let scan = match_components(&store, &[dropbear])?;
//! assert_eq!(scan.matches[0].id, "CVE-2016-7406");
//! assert_eq!(scan.matches[0].range, "dropbear_ssh <= 2016.73");
//! # Ok::<(), hallmark_vuln::VulnError>(())
//! ```

mod cpe;
mod error;
mod import;
mod matcher;
mod products;
mod purl;
pub mod scheme;
mod store;
mod time;
mod vex;

pub use cpe::Cpe;
pub use error::VulnError;
pub use import::{FORMATS, Format, ImportLimits};
pub use matcher::{match_components, match_device};
pub use products::{PRODUCTS_TOML, Product, products};
pub use purl::Purl;
pub use store::{ImportSummary, SCHEMA_VERSION, Store, StoreStatus, resolve_path};
pub use time::{utc_now, utc_today};
pub use vex::{MAX_VEX_BYTES, VexDocument, VexStatement, apply_vex, load_vex, parse_vex};
