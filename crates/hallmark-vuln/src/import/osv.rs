//! OSV JSON (the Open Source Vulnerability format): one record or an array of records. Each
//! `affected[]` entry names a package (`ecosystem`, `name`, optional `purl`) with `ranges`
//! (`ECOSYSTEM`, `SEMVER`, `GIT`) of `introduced`/`fixed`/`last_affected` events and an
//! explicit `versions` list.

use hallmark_model::facts::Cvss;
use serde::Deserialize;

use super::{Format, ImportLimits, PackageAffect, Parsed, Range, Record, newest};

#[derive(Deserialize)]
struct Package {
    ecosystem: Option<String>,
    name: Option<String>,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct Event {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Affected {
    package: Option<Package>,
    #[serde(default)]
    ranges: Vec<OsvRange>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct Severity {
    #[serde(rename = "type")]
    kind: Option<String>,
    score: Option<String>,
}

#[derive(Deserialize, Default)]
struct DatabaseSpecific {
    severity: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    summary: Option<String>,
    details: Option<String>,
    #[serde(default)]
    severity: Vec<Severity>,
    #[serde(default)]
    affected: Vec<Affected>,
    database_specific: Option<DatabaseSpecific>,
}

/// The severity word of a record (GHSA's `database_specific.severity`), with the CVSS vector
/// when one is given. OSV gives vectors, not scores; the score is left unknown.
fn cvss(record: &OsvRecord) -> Option<Cvss> {
    let word = record
        .database_specific
        .as_ref()
        .and_then(|d| d.severity.as_ref())
        .and_then(|s| s.as_str())
        .map(|s| match s.to_ascii_uppercase().as_str() {
            "MODERATE" => "MEDIUM".to_owned(),
            other => other.to_owned(),
        })?;
    let vector = record
        .severity
        .iter()
        .find(|s| s.kind.as_deref().is_some_and(|k| k.starts_with("CVSS_V3")))
        .and_then(|s| s.score.clone());
    Some(Cvss {
        version: vector
            .as_deref()
            .and_then(|v| v.strip_prefix("CVSS:"))
            .and_then(|v| v.split('/').next())
            .unwrap_or("3.1")
            .to_owned(),
        score: None,
        severity: word,
        vector,
    })
}

fn record(r: OsvRecord, limits: &ImportLimits) -> Record {
    let cvss = cvss(&r);
    let packages = r
        .affected
        .into_iter()
        .filter_map(|a| {
            let package = a.package?;
            let name = package.name?;
            let ecosystem = package.ecosystem.unwrap_or_default();
            // `Alpine:v3.18`, `Debian:12`: the release is part of the ecosystem.
            let (ecosystem, release) = match ecosystem.split_once(':') {
                Some((e, r)) => (e.to_owned(), Some(r.to_owned())),
                None => (ecosystem, None),
            };
            let ranges = a
                .ranges
                .into_iter()
                .map(|range| Range {
                    kind: range.kind.unwrap_or_default(),
                    events: range
                        .events
                        .into_iter()
                        .filter_map(|e| {
                            [
                                ("introduced", e.introduced),
                                ("fixed", e.fixed),
                                ("last_affected", e.last_affected),
                                ("limit", e.limit),
                            ]
                            .into_iter()
                            .find_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
                            .map(|(k, v)| [(k, v)].into_iter().collect())
                        })
                        .collect(),
                })
                .collect();
            Some(PackageAffect {
                ecosystem,
                release,
                name,
                purl: package.purl,
                ranges,
                versions: a.versions,
            })
        })
        .take(limits.max_criteria_per_record)
        .collect();
    Record {
        id: r.id,
        published: r.published,
        modified: r.modified,
        // A withdrawn record matches nothing.
        status: r.withdrawn.map(|w| format!("withdrawn {w}")),
        summary: r.summary.or(r.details),
        cvss,
        aliases: r.aliases,
        criteria: Vec::new(),
        packages,
    }
}

pub(super) fn parse(bytes: &[u8], limits: &ImportLimits) -> Result<Parsed, serde_json::Error> {
    let array = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let records: Vec<Record> = if array {
        serde_json::from_slice::<Vec<OsvRecord>>(bytes)?
            .into_iter()
            .map(|r| record(r, limits))
            .collect()
    } else {
        vec![record(serde_json::from_slice::<OsvRecord>(bytes)?, limits)]
    };
    Ok(Parsed {
        format: Format::Osv,
        snapshot: newest(records.iter().map(|r| r.modified.as_deref())),
        count: records.len() as u64,
        records,
        kev: Vec::new(),
    })
}
