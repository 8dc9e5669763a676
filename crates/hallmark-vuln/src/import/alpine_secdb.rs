//! Alpine secdb: which package version of an Alpine release fixes which CVEs. Two shapes:
//! the published one (`{"distroversion": "v3.18", "reponame": "main", "packages":
//! [{"pkg": {"name", "secfixes": {"1.36.1-r1": ["CVE-..."]}}}]}`), and the converted one
//! (`{"packages": {name: {CVE: {"fixed_in": {release: version}}}}}`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Format, PackageAffect, Parsed, Range, Record};

#[derive(Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    secfixes: BTreeMap<String, Option<Vec<String>>>,
}

#[derive(Deserialize)]
struct Entry {
    pkg: Pkg,
}

#[derive(Deserialize)]
struct Official {
    distroversion: Option<String>,
    reponame: Option<String>,
    #[serde(default)]
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Fix {
    #[serde(default)]
    fixed_in: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Converted {
    source: Option<String>,
    packages: BTreeMap<String, BTreeMap<String, Fix>>,
}

/// A fix as an OSV-style range: affected from the start up to `fixed`.
fn fixed_range(fixed: &str) -> Range {
    Range {
        kind: "ECOSYSTEM".to_owned(),
        events: vec![
            [("introduced".to_owned(), "0".to_owned())]
                .into_iter()
                .collect(),
            [("fixed".to_owned(), fixed.to_owned())]
                .into_iter()
                .collect(),
        ],
    }
}

/// Adds one (package, CVE, release, fixed version) to `records`.
fn add(
    records: &mut BTreeMap<String, Record>,
    id: &str,
    name: &str,
    release: Option<&str>,
    fixed: &str,
) {
    let record = records.entry(id.to_owned()).or_insert_with(|| Record {
        id: id.to_owned(),
        ..Record::default()
    });
    record.packages.push(PackageAffect {
        ecosystem: "Alpine".to_owned(),
        release: release.map(str::to_owned),
        name: name.to_owned(),
        purl: None,
        ranges: vec![fixed_range(fixed)],
        versions: Vec::new(),
    });
}

/// Whether `token` is a vulnerability id (`CVE-2021-1234`, `GHSA-...`, `XSA-123`).
fn is_id(token: &str) -> bool {
    token.len() <= 64
        && token.contains('-')
        && token.starts_with(|c: char| c.is_ascii_uppercase())
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(super) fn parse_official(bytes: &[u8]) -> Result<Parsed, serde_json::Error> {
    let doc: Official = serde_json::from_slice(bytes)?;
    let mut records = BTreeMap::new();
    let mut count = 0u64;
    for entry in &doc.packages {
        for (version, ids) in &entry.pkg.secfixes {
            // Version "0": the CVE never affected Alpine's package.
            if version == "0" {
                continue;
            }
            for line in ids.iter().flatten() {
                for id in line.split_whitespace().filter(|t| is_id(t)) {
                    add(
                        &mut records,
                        id,
                        &entry.pkg.name,
                        doc.distroversion.as_deref(),
                        version,
                    );
                    count += 1;
                }
            }
        }
    }
    let snapshot = doc.distroversion.as_ref().map(|d| match &doc.reponame {
        Some(repo) => format!("{d} {repo}"),
        None => d.clone(),
    });
    Ok(Parsed {
        format: Format::AlpineSecdb,
        records: records.into_values().collect(),
        kev: Vec::new(),
        count,
        snapshot,
    })
}

pub(super) fn parse_converted(bytes: &[u8]) -> Result<Parsed, serde_json::Error> {
    let doc: Converted = serde_json::from_slice(bytes)?;
    let mut records = BTreeMap::new();
    let mut count = 0u64;
    for (name, fixes) in &doc.packages {
        for (id, fix) in fixes.iter().filter(|(id, _)| is_id(id)) {
            count += 1;
            for (release, version) in &fix.fixed_in {
                if version != "0" {
                    add(&mut records, id, name, Some(release), version);
                }
            }
        }
    }
    Ok(Parsed {
        format: Format::AlpineSecdbConverted,
        records: records.into_values().collect(),
        kev: Vec::new(),
        count,
        snapshot: doc.source.map(|s| s.chars().take(160).collect()),
    })
}
