use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The verdict of a check or a requirement.
///
/// `Inconclusive` is Hallmark's own state for "the evidence does not decide": it is never counted
/// as a pass and never rolls up into a conformance claim.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// The evidence shows the requirement (or the aspect a check tests) is met.
    Pass,
    /// The evidence shows it is not met.
    Fail,
    /// The requirement does not apply, for a reason drawn from the facts.
    NotApplicable,
    /// The evidence at hand cannot decide.
    Inconclusive,
}

impl Verdict {
    /// All verdicts, in report order.
    pub const ALL: [Verdict; 4] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::NotApplicable,
        Verdict::Inconclusive,
    ];

    /// Combines the verdicts of the aspects of one requirement.
    ///
    /// Any `Fail` gives `Fail`. Otherwise any `Inconclusive` gives `Inconclusive`. Otherwise, if
    /// at least one aspect passed, `Pass` (aspects that do not apply do not count against it).
    /// If every aspect is `NotApplicable`, `NotApplicable`. With no aspects at all there is no
    /// evidence, so the result is `Inconclusive`.
    pub fn roll_up(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let counts: VerdictCounts = verdicts.into_iter().collect();
        if counts.fail > 0 {
            Verdict::Fail
        } else if counts.inconclusive > 0 {
            Verdict::Inconclusive
        } else if counts.pass > 0 {
            Verdict::Pass
        } else if counts.not_applicable > 0 {
            Verdict::NotApplicable
        } else {
            Verdict::Inconclusive
        }
    }

    /// The label used in reports: `PASS`, `FAIL`, `NOT_APPLICABLE`, `INCONCLUSIVE`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotApplicable => "NOT_APPLICABLE",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How many results have each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct VerdictCounts {
    /// Number of `PASS` results.
    pub pass: u32,
    /// Number of `FAIL` results.
    pub fail: u32,
    /// Number of `NOT_APPLICABLE` results.
    pub not_applicable: u32,
    /// Number of `INCONCLUSIVE` results.
    pub inconclusive: u32,
}

impl VerdictCounts {
    /// Adds one verdict (saturating; counts never wrap).
    pub fn add(&mut self, verdict: Verdict) {
        let slot = match verdict {
            Verdict::Pass => &mut self.pass,
            Verdict::Fail => &mut self.fail,
            Verdict::NotApplicable => &mut self.not_applicable,
            Verdict::Inconclusive => &mut self.inconclusive,
        };
        *slot = slot.saturating_add(1);
    }

    /// The count for one verdict.
    pub fn get(&self, verdict: Verdict) -> u32 {
        match verdict {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::NotApplicable => self.not_applicable,
            Verdict::Inconclusive => self.inconclusive,
        }
    }

    /// Total number of results counted.
    pub fn total(&self) -> u32 {
        Verdict::ALL
            .iter()
            .fold(0u32, |sum, v| sum.saturating_add(self.get(*v)))
    }
}

impl FromIterator<Verdict> for VerdictCounts {
    fn from_iter<I: IntoIterator<Item = Verdict>>(iter: I) -> Self {
        let mut counts = VerdictCounts::default();
        for verdict in iter {
            counts.add(verdict);
        }
        counts
    }
}

/// How much harm follows when a requirement is not met, or how serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: worth knowing, not a weakness by itself.
    Info,
    /// Defence in depth or documentation gaps.
    Low,
    /// A weakness that helps an attacker who already has a foothold.
    Medium,
    /// A weakness an attacker on the network can use.
    High,
    /// A weakness that gives an attacker control of the device, as used by botnets.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of source a piece of evidence comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    /// Static analysis of a firmware image.
    Firmware,
    /// Probing the live device over the network.
    Network,
    /// The manufacturer's declaration (claims and documents no test can see).
    Declaration,
}

impl EvidenceKind {
    /// All kinds, in catalogue order.
    pub const ALL: [EvidenceKind; 3] = [
        EvidenceKind::Firmware,
        EvidenceKind::Network,
        EvidenceKind::Declaration,
    ];

    /// The lowercase name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Firmware => "firmware",
            EvidenceKind::Network => "network",
            EvidenceKind::Declaration => "declaration",
        }
    }

    /// One-letter code used in compact tables: `F`, `N`, `D`.
    pub fn letter(self) -> char {
        match self {
            EvidenceKind::Firmware => 'F',
            EvidenceKind::Network => 'N',
            EvidenceKind::Declaration => 'D',
        }
    }
}

impl fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_up_rules() {
        use Verdict::*;
        assert_eq!(
            Verdict::roll_up([]),
            Inconclusive,
            "no evidence is not a pass"
        );
        assert_eq!(Verdict::roll_up([Pass, Pass]), Pass);
        assert_eq!(Verdict::roll_up([Pass, NotApplicable]), Pass);
        assert_eq!(
            Verdict::roll_up([NotApplicable, NotApplicable]),
            NotApplicable
        );
        assert_eq!(Verdict::roll_up([Pass, Inconclusive]), Inconclusive);
        assert_eq!(
            Verdict::roll_up([NotApplicable, Inconclusive]),
            Inconclusive
        );
        assert_eq!(Verdict::roll_up([Inconclusive, Fail, Pass]), Fail);
        assert_eq!(Verdict::roll_up([Fail]), Fail);
    }

    #[test]
    fn verdict_serialises_in_screaming_case() {
        let json = serde_json::to_string(&Verdict::NotApplicable).unwrap();
        assert_eq!(json, "\"NOT_APPLICABLE\"");
        for v in Verdict::ALL {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.label())
            );
        }
    }

    #[test]
    fn counts_add_up() {
        let c: VerdictCounts = [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Inconclusive,
            Verdict::Fail,
        ]
        .into_iter()
        .collect();
        assert_eq!(
            (c.pass, c.fail, c.not_applicable, c.inconclusive),
            (1, 2, 0, 1)
        );
        assert_eq!(c.total(), 4);
    }

    #[test]
    fn severity_orders_by_harm() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        let mut sorted = Severity::ALL;
        sorted.sort();
        assert_eq!(sorted, Severity::ALL);
    }
}
