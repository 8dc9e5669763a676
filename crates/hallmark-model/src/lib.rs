//! Hallmark's shared data model.
//!
//! Plain serde data with no I/O: every other Hallmark crate speaks these types. The pipeline is
//! *facts -> checks -> report*; this crate holds the vocabulary of the last two steps:
//!
//! - [`Location`]: where something was seen (a path inside nested image layers, a host and port,
//!   or a field of a declaration document);
//! - [`Evidence`]: what was seen there and why it matters;
//! - [`Verdict`] and [`Outcome`]: the result of one check, with its [`Finding`]s;
//! - [`RequirementResult`]: a catalogue requirement's verdict rolled up from its checks;
//! - [`Report`]: everything above plus the [`Provenance`] that produced it.
//!
//! The JSON form of [`Report`] is versioned ([`REPORT_SCHEMA_VERSION`]) and described by a JSON
//! Schema generated from these types ([`report_schema`]), committed as
//! `schema/report-v1.schema.json`.
//!
//! ```
//! use hallmark_model::{Verdict, VerdictCounts};
//!
//! // Unknown never counts as a pass: one inconclusive aspect keeps the requirement open.
//! let rolled = Verdict::roll_up([Verdict::Pass, Verdict::Inconclusive]);
//! assert_eq!(rolled, Verdict::Inconclusive);
//! assert_eq!(Verdict::roll_up([Verdict::Pass, Verdict::Fail]), Verdict::Fail);
//!
//! let counts: VerdictCounts = [Verdict::Pass, Verdict::Fail, Verdict::Pass].into_iter().collect();
//! assert_eq!((counts.pass, counts.fail), (2, 1));
//! ```

mod evidence;
pub mod facts;
mod inventory;
mod location;
mod report;
pub mod time;
mod verdict;
pub mod vulns;

pub use evidence::{Evidence, Finding, Outcome};
pub use inventory::{FileEntry, sbom_file_name};
pub use location::{Layer, Location, Transport};
pub use report::{
    Assurance, CatalogRef, ImageSummary, Input, PrincipleSummary, Provenance,
    REPORT_SCHEMA_VERSION, Report, RequirementResult, Summary, ToolInfo, report_schema,
};
pub use verdict::{EvidenceKind, Severity, Verdict, VerdictCounts};

/// Lowercase hexadecimal of `bytes` (digests, fingerprints, random tokens).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
