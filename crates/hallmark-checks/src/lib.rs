//! Checks: each one a pure function from [`Facts`] to an [`Outcome`] (a verdict, the evidence
//! behind it, and findings with remediation), and the engine that rolls outcomes up per
//! requirement of the catalogue.
//!
//! Rules every check follows:
//!
//! - **Unknown never passes.** When the facts a check needs were not collected, or were
//!   collected from an incomplete view, the verdict is INCONCLUSIVE and `missing` says what
//!   evidence would settle it.
//! - **NOT APPLICABLE needs a reason from the facts** (e.g. "the image starts no FTP server").
//! - Every FAIL carries findings, each with the location of what was seen and why it fails.
//!
//! ```
//! use hallmark_checks::{CHECKS, evaluate};
//! use hallmark_model::facts::Facts;
//! use hallmark_model::Verdict;
//!
//! // Nothing collected: every check is inconclusive, none passes.
//! let outcomes = evaluate(&Facts::default());
//! assert_eq!(outcomes.len(), CHECKS.len());
//! assert!(outcomes.iter().all(|o| o.verdict == Verdict::Inconclusive));
//! ```

mod checks;
mod engine;
mod util;

use hallmark_model::facts::Facts;
use hallmark_model::{Outcome, Severity};

pub use checks::CHECKS;
pub use engine::{DECIDED_BY, evaluate, requirement_results};

/// One check.
pub trait Check: Sync {
    /// Stable id: `<area>-<what>`, lowercase (`accounts-empty-passwords`).
    fn id(&self) -> &'static str;
    /// One line: the property that passes.
    fn title(&self) -> &'static str;
    /// Requirement ids this check informs.
    fn requirements(&self) -> &'static [&'static str];
    /// Severity of its findings unless a finding says otherwise.
    fn severity(&self) -> Severity;
    /// Markdown with the sections What it checks, Why it matters, Evidence, How to fix,
    /// Inconclusive when.
    fn doc(&self) -> &'static str;
    /// Judges the facts.
    fn evaluate(&self, facts: &Facts) -> Outcome;
}
