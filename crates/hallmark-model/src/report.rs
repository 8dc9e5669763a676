use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{EvidenceKind, Outcome, Severity, Verdict, VerdictCounts};

/// Version of the JSON report format. The major version is part of the schema file name
/// (`schema/report-v1.schema.json`); it changes only with incompatible changes.
pub const REPORT_SCHEMA_VERSION: &str = "1.2.0";

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
    /// Assurance score over the principle's requirements.
    #[serde(default)]
    pub assurance: Assurance,
}

/// What unpacking the image found, for the report's readers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ImageSummary {
    /// Formats of the layers found, outermost first.
    pub layers: Vec<String>,
    /// File trees found (archives and file systems).
    pub file_trees: u32,
    /// How many of them look like a root file system.
    pub root_filesystems: u32,
    /// Kernels found.
    pub kernels: u32,
    /// Limits reached and damage seen while unpacking: where the view of the image is
    /// incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

/// A transparent assurance score, derived from requirement verdicts and severities.
///
/// Each requirement weighs by its severity (critical 4, high 3, medium 2, low and info 1).
/// Not-applicable requirements are left out. `score` is the weight of the passed requirements
/// as a percentage of all the weight; inconclusive requirements count as not passed, so
/// unknown never raises the score. `decided` is the weight of the requirements that passed or
/// failed, as a percentage: how much of the score rests on evidence. Both round down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Assurance {
    /// 0 to 100.
    pub score: u8,
    /// 0 to 100.
    pub decided: u8,
}

impl Assurance {
    /// The weight of a requirement of `severity`.
    pub fn weight(severity: Severity) -> u64 {
        match severity {
            Severity::Critical => 4,
            Severity::High => 3,
            Severity::Medium => 2,
            Severity::Low | Severity::Info => 1,
        }
    }

    /// The score of a set of requirements given as (severity, verdict).
    pub fn of(requirements: impl IntoIterator<Item = (Severity, Verdict)>) -> Assurance {
        let (mut total, mut passed, mut decided) = (0u64, 0u64, 0u64);
        for (severity, verdict) in requirements {
            let weight = Assurance::weight(severity);
            match verdict {
                Verdict::NotApplicable => continue,
                Verdict::Pass => {
                    passed = passed.saturating_add(weight);
                    decided = decided.saturating_add(weight);
                }
                Verdict::Fail => decided = decided.saturating_add(weight),
                Verdict::Inconclusive => {}
            }
            total = total.saturating_add(weight);
        }
        let percent = |part: u64| -> u8 {
            part.saturating_mul(100)
                .checked_div(total)
                .map_or(0, |p| u8::try_from(p).unwrap_or(100))
        };
        Assurance {
            score: percent(passed),
            decided: percent(decided),
        }
    }
}

/// Totals over the whole report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Requirement verdicts over all principles.
    pub requirements: VerdictCounts,
    /// One entry per principle, in order.
    pub principles: Vec<PrincipleSummary>,
    /// Assurance score over all requirements (see [`Assurance`]).
    #[serde(default)]
    pub assurance: Assurance,
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
    /// What unpacking the image found: its layers, file trees and kernels, and where the view is
    /// incomplete; absent for reports without a firmware image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSummary>,
    /// The components' known vulnerabilities from the offline store, with the data snapshot
    /// searched; absent when no vulnerability data was available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<crate::facts::VulnScan>,
}

impl Report {
    /// Recomputes [`Report::summary`] from the requirement results, using `titles` for the
    /// principle titles (principles absent from `titles` are still summarised, untitled).
    pub fn summarize(&mut self, titles: &BTreeMap<u8, String>) {
        let mut by_principle: BTreeMap<u8, Vec<(Severity, Verdict)>> =
            titles.keys().map(|n| (*n, Vec::new())).collect();
        for result in &self.requirements {
            by_principle
                .entry(result.principle)
                .or_default()
                .push((result.severity, result.verdict));
        }
        let principles = by_principle
            .into_iter()
            .map(|(number, results)| PrincipleSummary {
                number,
                title: titles.get(&number).cloned().unwrap_or_default(),
                requirements: results.iter().map(|(_, v)| *v).collect(),
                verdict: Verdict::roll_up(results.iter().map(|(_, v)| *v)),
                assurance: Assurance::of(results.iter().copied()),
            })
            .collect();
        self.summary = Summary {
            requirements: self.requirements.iter().map(|r| r.verdict).collect(),
            principles,
            assurance: Assurance::of(self.requirements.iter().map(|r| (r.severity, r.verdict))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assurance_weighs_by_severity_and_never_credits_unknown() {
        use Severity::*;
        use Verdict::*;
        // 3 (high pass) of 3 + 2 + 2 = 7 -> 42; decided 3 + 2 = 5 of 7 -> 71.
        let a = Assurance::of([
            (High, Pass),
            (Medium, Fail),
            (Medium, Inconclusive),
            (Critical, NotApplicable),
        ]);
        assert_eq!(
            a,
            Assurance {
                score: 42,
                decided: 71
            }
        );
        assert_eq!(
            Assurance::of([(Low, Inconclusive)]),
            Assurance {
                score: 0,
                decided: 0
            }
        );
        assert_eq!(Assurance::of([]), Assurance::default());
        assert_eq!(
            Assurance::of([(Critical, Pass), (Info, Pass)]),
            Assurance {
                score: 100,
                decided: 100
            }
        );
    }
}
