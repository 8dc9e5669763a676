use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{EvidenceKind, Outcome, Severity, Verdict, VerdictCounts};

/// Version of the JSON report format. The major version is part of the schema file name
/// (`schema/report-v1.schema.json`); it changes only with incompatible changes.
pub const REPORT_SCHEMA_VERSION: &str = "1.1.0";

/// The tool that produced a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ToolInfo {
    /// Tool name (`hallmark`).
    pub name: String,
    /// Tool version.
    pub version: String,
}

/// The catalogue edition a report was judged against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogRef {
    /// Catalogue id, e.g. `uk-ecd-cop`.
    pub id: String,
    /// Edition version, including any profile suffix.
    pub version: String,
    /// `proposed` or `official`.
    pub status: String,
}

/// One input that was assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Input {
    /// What kind of input it is.
    pub kind: EvidenceKind,
    /// The name the user gave (file path or host).
    pub name: String,
    /// SHA-256 of the input file, hex, when it is a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size of the input file in bytes, when it is a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// What produced a report, so that it can be reproduced and trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Provenance {
    /// The tool and its version.
    pub tool: ToolInfo,
    /// The catalogue edition.
    pub catalog: CatalogRef,
    /// The inputs assessed.
    pub inputs: Vec<Input>,
    /// Settings that affect results (limits, options), by name.
    #[serde(default)]
    pub settings: BTreeMap<String, serde_json::Value>,
    /// When the report was produced (RFC 3339, UTC), if the user did not ask for reproducible
    /// output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
}

/// A requirement's verdict, rolled up from the outcomes of the checks that inform it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementResult {
    /// Requirement id, e.g. `ECD-2.1`.
    pub id: String,
    /// Principle number.
    pub principle: u8,
    /// Requirement title from the catalogue.
    pub title: String,
    /// Severity from the catalogue (or the profile).
    pub severity: Severity,
    /// Rolled-up verdict.
    pub verdict: Verdict,
    /// Why the verdict is what it is, in a sentence.
    pub reason: String,
    /// Ids of the checks whose outcomes were rolled up (see `Report::outcomes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// For `INCONCLUSIVE`: evidence that would decide it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// Per-principle totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PrincipleSummary {
    /// Principle number.
    pub number: u8,
    /// Principle title.
    pub title: String,
    /// Requirement verdicts within the principle.
    pub requirements: VerdictCounts,
    /// The principle's own verdict, rolled up from its requirements.
    pub verdict: Verdict,
}

/// Totals over the whole report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Requirement verdicts over all principles.
    pub requirements: VerdictCounts,
    /// One entry per principle, in order.
    pub principles: Vec<PrincipleSummary>,
}

/// An assessment report: provenance, per-requirement verdicts and the check outcomes behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Version of this format ([`REPORT_SCHEMA_VERSION`]).
    pub schema_version: String,
    /// What produced the report.
    pub provenance: Provenance,
    /// Totals.
    pub summary: Summary,
    /// One result per catalogue requirement, in catalogue order.
    pub requirements: Vec<RequirementResult>,
    /// One outcome per check that ran, sorted by check id.
    pub outcomes: Vec<Outcome>,
    /// The software components identified in the input, with their evidence: the same
    /// inventory `hallmark sbom` writes as CycloneDX or SPDX.
    #[serde(default)]
    pub components: Vec<crate::facts::Component>,
}

impl Report {
    /// Recomputes [`Report::summary`] from the requirement results, using `titles` for the
    /// principle titles (principles absent from `titles` are still summarised, untitled).
    pub fn summarize(&mut self, titles: &BTreeMap<u8, String>) {
        let mut by_principle: BTreeMap<u8, Vec<Verdict>> =
            titles.keys().map(|n| (*n, Vec::new())).collect();
        for result in &self.requirements {
            by_principle
                .entry(result.principle)
                .or_default()
                .push(result.verdict);
        }
        let principles = by_principle
            .into_iter()
            .map(|(number, verdicts)| PrincipleSummary {
                number,
                title: titles.get(&number).cloned().unwrap_or_default(),
                requirements: verdicts.iter().copied().collect(),
                verdict: Verdict::roll_up(verdicts),
            })
            .collect();
        self.summary = Summary {
            requirements: self.requirements.iter().map(|r| r.verdict).collect(),
            principles,
        };
    }
}

/// The JSON Schema of [`Report`], as committed in `schema/report-v1.schema.json`.
pub fn report_schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(Report)).unwrap_or(serde_json::Value::Null);
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".into(),
            serde_json::Value::String("urn:hallmark:schema:report:v1".into()),
        );
        object.insert(
            "description".into(),
            serde_json::Value::String(format!(
                "Hallmark assessment report, format version {REPORT_SCHEMA_VERSION}."
            )),
        );
    }
    schema
}
