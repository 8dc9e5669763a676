use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{EvidenceKind, Location, Severity, Verdict};

/// One piece of evidence: where it was seen, what was seen, and why it bears on the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// The kind of source (firmware, network, declaration).
    pub kind: EvidenceKind,
    /// Where it was seen.
    pub location: Location,
    /// What was seen, stated plainly (e.g. "root has an MD5-crypt hash that matches the password
    /// `admin`").
    pub observed: String,
    /// Why this decides (or informs) the verdict.
    pub reason: String,
    /// A short excerpt of the source (a config line, a banner), already bounded in length and
    /// with secrets masked by the producer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

/// A weakness to fix, produced by a check that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable identifier of this finding, unique in a report and the same across runs on the same
    /// input (so reports can be compared), e.g. `shadow-default-password:/etc/shadow:root`.
    pub id: String,
    /// Id of the check that produced it.
    pub check: String,
    /// Requirement ids this finding counts against.
    pub requirements: Vec<String>,
    /// How serious it is.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// What is wrong, in a sentence or two.
    pub message: String,
    /// The evidence behind it; at least one item.
    pub evidence: Vec<Evidence>,
    /// What to do about it.
    pub remediation: String,
}

/// The result of running one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    /// Id of the check.
    pub check: String,
    /// Requirement ids this check informs.
    pub requirements: Vec<String>,
    /// The check's verdict.
    pub verdict: Verdict,
    /// One-sentence explanation of the verdict.
    pub summary: String,
    /// Evidence that supports a `PASS` or `NOT_APPLICABLE` verdict (failures carry theirs in
    /// `findings`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// For `INCONCLUSIVE`: what evidence would decide it (e.g. "a network probe of the device",
    /// "the manufacturer's declared support period").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// For `FAIL`: the weaknesses found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}
