//! Known vulnerabilities of the identified components: what an offline vulnerability store
//! (NVD, OSV, Alpine secdb, CISA KEV) says about them, with how each match was made.
//!
//! A [`VulnScan`] is a fact like any other: it says which data was searched (the
//! [`SnapshotInfo`] of every imported source), which components were examined, and every
//! [`VulnMatch`] with the criteria and version range that matched. Matches suppressed by a VEX
//! statement stay in the list, marked. What could not be assessed (device-level records that
//! need a device identity, components without a version) is listed in
//! [`VulnScan::not_assessed`], never silently dropped.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::location::Location;

/// The result of matching the identified components against a vulnerability store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VulnScan {
    /// The data searched: one entry per imported source file, sorted by source and file.
    pub snapshots: Vec<SnapshotInfo>,
    /// How many components were examined.
    pub components_examined: u64,
    /// Every match, sorted by component, then vulnerability id, then source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<VulnMatch>,
    /// What the data holds that could not be judged from these facts, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_assessed: Vec<NotAssessed>,
    /// VEX documents applied (file names as given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vex: Vec<String>,
}

impl VulnScan {
    /// The matches not suppressed by a VEX statement.
    pub fn active(&self) -> impl Iterator<Item = &VulnMatch> {
        self.matches.iter().filter(|m| m.suppressed.is_none())
    }

    /// One line naming the data searched: `nvd 2026-06-17 (12 records), kev 2025.08.25 ...`.
    pub fn snapshot_summary(&self) -> String {
        if self.snapshots.is_empty() {
            return "no vulnerability data".to_owned();
        }
        self.snapshots
            .iter()
            .map(|s| {
                format!(
                    "{} {} ({} records, {})",
                    s.source,
                    s.snapshot.as_deref().unwrap_or("snapshot date unknown"),
                    s.records,
                    s.file
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One imported source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotInfo {
    /// The kind of data: `nvd`, `osv`, `alpine-secdb`, `kev`.
    pub source: String,
    /// The file imported (as given on import).
    pub file: String,
    /// How many records it held.
    pub records: u64,
    /// The date of the data: KEV's release date and catalogue version, the newest
    /// `lastModified` of NVD records or the feed's timestamp, the newest OSV `modified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// When it was imported (RFC 3339, UTC).
    pub imported_at: String,
}

/// How a vulnerability was matched to a component.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum MatchMethod {
    /// The component's CPE is within a CPE criterion's version range.
    CpeRange,
    /// The component's CPE equals a CPE criterion with a fixed version.
    CpeExact,
    /// A package-database entry against a distribution's security database (Alpine secdb).
    PackageSecdb,
    /// The component's package URL against an OSV record's affected package.
    Osv,
}

/// The component a match is about, as identified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MatchedComponent {
    /// Component name.
    pub name: String,
    /// Version as identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL.
    pub purl: String,
    /// The component's CPE, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// How the component was identified, in a line (method, place, text).
    pub evidence: String,
    /// Where the component's first piece of evidence is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A CVSS score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cvss {
    /// `3.1`, `3.0` or `2.0`.
    pub version: String,
    /// Base score, when the data gives one (OSV records may give only a vector and a
    /// severity word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Severity as given (`CRITICAL`, `HIGH`, ...).
    pub severity: String,
    /// The vector string, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

/// A CISA KEV catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KevEntry {
    /// When CISA added it (`YYYY-MM-DD`).
    pub date_added: String,
    /// Known use in ransomware campaigns (`Known`, `Unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ransomware: Option<String>,
    /// The catalogue's vulnerability name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A VEX statement that the component is not affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Suppression {
    /// The justification as given (`vulnerable_code_not_present`, `code_not_reachable`, ...).
    pub justification: String,
    /// The statement's free-text detail, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The VEX document it came from.
    pub document: String,
}

/// One vulnerability matched to one component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VulnMatch {
    /// Vulnerability id (`CVE-2022-48174`, or the OSV id when it has no CVE alias).
    pub id: String,
    /// Other ids of the same vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The source whose record matched (`nvd`, `osv`, `alpine-secdb`).
    pub source: String,
    /// The component.
    pub component: MatchedComponent,
    /// The criterion that matched: a CPE 2.3 string, or `ecosystem/package`.
    pub criteria: String,
    /// The range matched, readable: `busybox <= 1.36.1`, `1.27.0 <= busybox <= 1.33.1`.
    pub range: String,
    /// How it matched.
    pub method: MatchMethod,
    /// The record's primary CVSS score, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// The KEV entry, when the vulnerability is known to be exploited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevEntry>,
    /// The first fixed version, when the data gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// The record's description, shortened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Set when a VEX statement says the component is not affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl VulnMatch {
    /// Whether the match is critical: a CVSS base score of 9.0 or above, or (without a score)
    /// a severity of `CRITICAL`, which CVSS v3 gives exactly to scores of 9.0 and above.
    pub fn is_critical(&self) -> bool {
        self.cvss.as_ref().is_some_and(|c| match c.score {
            Some(score) => score >= 9.0,
            None => c.severity.eq_ignore_ascii_case("critical"),
        })
    }
}

/// Something the data holds that these facts cannot judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotAssessed {
    /// What it is (`device-level records`, `components without a version`).
    pub what: String,
    /// How many records or components.
    pub count: u64,
    /// Examples (ids or names), at most a few.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// Why it could not be judged, and what would decide it.
    pub reason: String,
}
