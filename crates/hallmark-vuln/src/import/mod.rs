//! Importers: one unit per data format, chosen by content (never by file name).
//!
//! Each importer turns a file into [`Parsed`] records; the store writes them in one
//! transaction. Importers only read the fields matching needs; unknown fields are ignored,
//! wrong types are errors naming the file, line and column.

mod alpine_secdb;
mod kev;
mod nvd_api;
mod nvd_condensed;
mod osv;

use std::collections::BTreeMap;
use std::path::Path;

use hallmark_model::facts::Cvss;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::cpe::Cpe;
use crate::error::VulnError;

/// A data format Hallmark imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// NVD CVE API 2.0 JSON: one CVE (`{"id": ...}` or `{"cve": {...}}`) or a feed or API
    /// page (`{"vulnerabilities": [{"cve": {...}}]}`).
    NvdApi,
    /// Hallmark's condensed NVD records (`{"format", "cves": [...]}`, the shared corpus subset).
    NvdCondensed,
    /// OSV JSON: one record or an array of records.
    Osv,
    /// Alpine secdb as published (`{"distroversion", "packages": [{"pkg": ...}]}`).
    AlpineSecdb,
    /// Alpine secdb converted to `package -> CVE -> {fixed_in: {release: version}}`.
    AlpineSecdbConverted,
    /// The CISA Known Exploited Vulnerabilities catalogue.
    Kev,
}

/// Every format: id and what it is.
pub const FORMATS: &[(Format, &str, &str)] = &[
    (
        Format::AlpineSecdb,
        "alpine-secdb",
        "Alpine secdb JSON (per release and repository)",
    ),
    (
        Format::AlpineSecdbConverted,
        "alpine-secdb-converted",
        "Alpine secdb converted to package -> CVE -> fixed_in",
    ),
    (
        Format::Kev,
        "cisa-kev",
        "CISA Known Exploited Vulnerabilities catalogue",
    ),
    (
        Format::NvdApi,
        "nvd-api-2.0",
        "NVD CVE API 2.0 JSON (one CVE, feed or API page)",
    ),
    (
        Format::NvdCondensed,
        "nvd-condensed",
        "condensed NVD CVE records",
    ),
    (Format::Osv, "osv", "OSV JSON (one record or an array)"),
];

impl Format {
    /// The format's id.
    pub fn id(self) -> &'static str {
        FORMATS
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("unknown", |(_, id, _)| id)
    }

    /// The kind of source its records are (`nvd`, `osv`, `alpine-secdb`, `kev`).
    pub fn source(self) -> &'static str {
        match self {
            Format::NvdApi | Format::NvdCondensed => "nvd",
            Format::Osv => "osv",
            Format::AlpineSecdb | Format::AlpineSecdbConverted => "alpine-secdb",
            Format::Kev => "kev",
        }
    }
}

/// Limits on what one import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
    /// Most records (CVEs, OSV records, secdb package fixes, KEV entries) in one file.
    pub max_records: usize,
    /// Most CPE criteria or affected packages in one record.
    pub max_criteria_per_record: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            // The largest NVD yearly feed is a few hundred MiB.
            max_file_bytes: 768 << 20,
            max_records: 1_000_000,
            max_criteria_per_record: 100_000,
        }
    }
}

/// A CPE criterion of a record, with its version range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Criterion {
    pub criteria: String,
    pub cpe: Cpe,
    pub start_including: Option<String>,
    pub start_excluding: Option<String>,
    pub end_including: Option<String>,
    pub end_excluding: Option<String>,
    /// Criteria of which one must also hold (the other nodes of an AND configuration: the
    /// platform or hardware the vulnerable product must run on).
    pub requires: Vec<String>,
}

/// One OSV-style range: type and events (`introduced`, `fixed`, `last_affected`, `limit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Range {
    #[serde(rename = "type")]
    pub kind: String,
    pub events: Vec<BTreeMap<String, String>>,
}

/// A package a record says is affected.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PackageAffect {
    /// `Alpine`, `Debian`, `npm`, ...
    pub ecosystem: String,
    /// The distribution release (`v3.11`, `12`) when the ecosystem has one.
    pub release: Option<String>,
    pub name: String,
    pub purl: Option<String>,
    pub ranges: Vec<Range>,
    pub versions: Vec<String>,
}

/// One advisory record.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Record {
    pub id: String,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub status: Option<String>,
    pub summary: Option<String>,
    pub cvss: Option<Cvss>,
    pub aliases: Vec<String>,
    pub criteria: Vec<Criterion>,
    pub packages: Vec<PackageAffect>,
}

/// One KEV catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KevRow {
    pub cve: String,
    pub vendor: String,
    pub product: String,
    pub name: String,
    pub date_added: String,
    pub ransomware: Option<String>,
}

/// What one file held.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub format: Format,
    pub records: Vec<Record>,
    pub kev: Vec<KevRow>,
    /// How many records the file held (for secdb: package fixes).
    pub count: u64,
    pub snapshot: Option<String>,
}

/// Top-level keys that tell the formats apart.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "catalogVersion")]
    catalog_version: Option<IgnoredAny>,
    vulnerabilities: Option<IgnoredAny>,
    cves: Option<IgnoredAny>,
    cve: Option<IgnoredAny>,
    id: Option<IgnoredAny>,
    configurations: Option<IgnoredAny>,
    metrics: Option<IgnoredAny>,
    descriptions: Option<IgnoredAny>,
    affected: Option<IgnoredAny>,
    modified: Option<IgnoredAny>,
    packages: Option<serde_json::Value>,
    distroversion: Option<IgnoredAny>,
    #[serde(rename = "bomFormat")]
    bom_format: Option<IgnoredAny>,
    statements: Option<IgnoredAny>,
}

/// Which format `bytes` are in.
pub(crate) fn detect(path: &Path, bytes: &[u8]) -> Result<Format, VulnError> {
    let unknown = |detail: &str| VulnError::UnknownFormat {
        path: path.to_owned(),
        detail: detail.to_owned(),
    };
    let first = bytes
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    match first {
        Some(b'[') => return Ok(Format::Osv),
        Some(b'{') => {}
        _ => return Err(unknown("not a JSON object or array")),
    }
    // `packages` is kept whole only to tell the two secdb shapes apart; elsewhere it is absent.
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| VulnError::Parse {
        path: path.to_owned(),
        format: "JSON",
        detail: e.to_string(),
    })?;
    if probe.bom_format.is_some() || probe.statements.is_some() {
        return Err(unknown(
            "a VEX or SBOM document; pass VEX documents to `assess --vex`",
        ));
    }
    if probe.catalog_version.is_some() && probe.vulnerabilities.is_some() {
        return Ok(Format::Kev);
    }
    if probe.cves.is_some() {
        return Ok(Format::NvdCondensed);
    }
    if probe.vulnerabilities.is_some() || probe.cve.is_some() {
        return Ok(Format::NvdApi);
    }
    if probe.id.is_some()
        && (probe.configurations.is_some()
            || probe.metrics.is_some()
            || probe.descriptions.is_some())
    {
        return Ok(Format::NvdApi);
    }
    if probe.id.is_some() && (probe.affected.is_some() || probe.modified.is_some()) {
        return Ok(Format::Osv);
    }
    match probe.packages {
        Some(serde_json::Value::Array(_)) if probe.distroversion.is_some() => {
            Ok(Format::AlpineSecdb)
        }
        Some(serde_json::Value::Object(_)) => Ok(Format::AlpineSecdbConverted),
        _ => Err(unknown(
            "expected NVD CVE API 2.0, OSV, Alpine secdb or CISA KEV JSON",
        )),
    }
}

/// Reads `bytes` (the content of `path`) as whatever format they are in.
pub(crate) fn parse(path: &Path, bytes: &[u8], limits: &ImportLimits) -> Result<Parsed, VulnError> {
    let format = detect(path, bytes)?;
    let parse_error = |e: serde_json::Error| VulnError::Parse {
        path: path.to_owned(),
        format: format.id(),
        detail: e.to_string(),
    };
    let parsed = match format {
        Format::NvdApi => nvd_api::parse(bytes, limits).map_err(parse_error)?,
        Format::NvdCondensed => nvd_condensed::parse(bytes, limits).map_err(parse_error)?,
        Format::Osv => osv::parse(bytes, limits).map_err(parse_error)?,
        Format::AlpineSecdb => alpine_secdb::parse_official(bytes).map_err(parse_error)?,
        Format::AlpineSecdbConverted => {
            alpine_secdb::parse_converted(bytes).map_err(parse_error)?
        }
        Format::Kev => kev::parse(bytes).map_err(parse_error)?,
    };
    let count = parsed.records.len().max(parsed.kev.len());
    if count > limits.max_records || parsed.count > limits.max_records as u64 {
        return Err(VulnError::TooManyRecords {
            path: path.to_owned(),
            limit: limits.max_records,
        });
    }
    Ok(parsed)
}

/// The newest of some dates (RFC 3339 strings sort by time when they share a format).
pub(crate) fn newest<'a>(dates: impl Iterator<Item = Option<&'a str>>) -> Option<String> {
    dates.flatten().max().map(str::to_owned)
}

/// An NVD-style CPE match entry (also used by the condensed format).
#[derive(Debug, Deserialize)]
pub(crate) struct CpeMatch {
    #[serde(default)]
    pub vulnerable: bool,
    pub criteria: String,
    #[serde(rename = "versionStartIncluding")]
    pub start_including: Option<String>,
    #[serde(rename = "versionStartExcluding")]
    pub start_excluding: Option<String>,
    #[serde(rename = "versionEndIncluding")]
    pub end_including: Option<String>,
    #[serde(rename = "versionEndExcluding")]
    pub end_excluding: Option<String>,
}

/// A configuration node: the API's object, or the condensed format's plain list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Node {
    /// `{"operator": "OR", "negate": false, "cpeMatch": [...]}`.
    Object {
        #[serde(default)]
        negate: bool,
        #[serde(rename = "cpeMatch", default)]
        cpe_match: Vec<CpeMatch>,
    },
    /// `[{...}, {...}]`.
    List(Vec<CpeMatch>),
}

impl Node {
    fn matches(&self) -> &[CpeMatch] {
        match self {
            Node::Object { negate: true, .. } => &[],
            Node::Object { cpe_match, .. } => cpe_match,
            Node::List(list) => list,
        }
    }
}

/// An NVD configuration: nodes joined by `operator`.
#[derive(Debug, Deserialize)]
pub(crate) struct Configuration {
    pub operator: Option<String>,
    #[serde(default)]
    pub negate: bool,
    #[serde(default)]
    pub nodes: Vec<Node>,
}

fn criterion(m: &CpeMatch, requires: Vec<String>) -> Option<Criterion> {
    let cpe = Cpe::parse(&m.criteria)?;
    Some(Criterion {
        criteria: m.criteria.clone(),
        cpe,
        start_including: m.start_including.clone(),
        start_excluding: m.start_excluding.clone(),
        end_including: m.end_including.clone(),
        end_excluding: m.end_excluding.clone(),
        requires,
    })
}

/// The vulnerable criteria of plain matches and of configurations. In an AND configuration
/// of several nodes, a vulnerable criterion requires one criterion of the other nodes (the
/// platform, often a non-vulnerable `h:` hardware CPE). Malformed CPE strings are skipped.
pub(crate) fn criteria(
    plain: &[CpeMatch],
    configurations: &[Configuration],
    limit: usize,
) -> Vec<Criterion> {
    let mut out: Vec<Criterion> = plain
        .iter()
        .filter(|m| m.vulnerable)
        .filter_map(|m| criterion(m, Vec::new()))
        .collect();
    for config in configurations.iter().filter(|c| !c.negate) {
        let and = config
            .operator
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case("and"))
            && config.nodes.len() > 1;
        for (i, node) in config.nodes.iter().enumerate() {
            let requires: Vec<String> = if and {
                config
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, n)| n.matches().iter().map(|m| m.criteria.clone()))
                    .collect()
            } else {
                Vec::new()
            };
            for m in node.matches().iter().filter(|m| m.vulnerable) {
                if out.len() >= limit {
                    return out;
                }
                if let Some(c) = criterion(m, requires.clone()) {
                    out.push(c);
                }
            }
        }
    }
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formats_sorted_unique() {
        let ids: Vec<&str> = FORMATS.iter().map(|(_, id, _)| *id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn detection_by_content() {
        let p = Path::new("x.json");
        let cases: &[(&str, Option<Format>)] = &[
            (
                r#"{"catalogVersion":"1","vulnerabilities":[]}"#,
                Some(Format::Kev),
            ),
            (r#"{"format":"x","cves":[]}"#, Some(Format::NvdCondensed)),
            (
                r#"{"timestamp":"t","vulnerabilities":[]}"#,
                Some(Format::NvdApi),
            ),
            (r#"{"cve":{"id":"CVE-1"}}"#, Some(Format::NvdApi)),
            (r#"{"id":"CVE-1","descriptions":[]}"#, Some(Format::NvdApi)),
            (
                r#"{"id":"GHSA-1","modified":"t","affected":[]}"#,
                Some(Format::Osv),
            ),
            (r#"  [ ]"#, Some(Format::Osv)),
            (
                r#"{"distroversion":"v3.18","packages":[]}"#,
                Some(Format::AlpineSecdb),
            ),
            (r#"{"packages":{}}"#, Some(Format::AlpineSecdbConverted)),
            (r#"{"bomFormat":"CycloneDX","vulnerabilities":[]}"#, None),
            (r#"{"statements":[]}"#, None),
            (r#"{"hello":1}"#, None),
            (r#"42"#, None),
            (r#"{"#, None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(detect(p, text.as_bytes()).ok(), *expected, "{text}");
        }
        let e = detect(Path::new("dir/bad.json"), b"{\"hello\":1}").unwrap_err();
        assert!(e.to_string().starts_with("dir/bad.json: "), "{e}");
    }
}
