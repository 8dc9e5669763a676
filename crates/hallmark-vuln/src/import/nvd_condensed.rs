//! Condensed NVD records (`{"format", "source", "count", "cves": [...]}`): the fields of
//! NVD CVE API 2.0 records that matching needs, flattened (`cvss_v31`, `cpe_matches`), with
//! AND configurations kept as lists of nodes.

use hallmark_model::facts::Cvss;
use serde::Deserialize;

use super::{Configuration, CpeMatch, Format, ImportLimits, Parsed, Record, criteria, newest};

#[derive(Deserialize)]
struct Score {
    vector: Option<String>,
    score: Option<f64>,
    severity: Option<String>,
}

#[derive(Deserialize)]
struct Condensed {
    id: String,
    published: Option<String>,
    #[serde(rename = "lastModified")]
    last_modified: Option<String>,
    #[serde(rename = "vulnStatus")]
    status: Option<String>,
    description: Option<String>,
    cvss_v31: Option<Score>,
    cvss_v30: Option<Score>,
    cvss_v2: Option<Score>,
    #[serde(default)]
    cpe_matches: Vec<CpeMatch>,
    #[serde(default)]
    configurations: Vec<Configuration>,
}

#[derive(Deserialize)]
struct Document {
    cves: Vec<Condensed>,
}

/// CVSS v2 severity from the score (NVD's bands: 0-3.9 low, 4-6.9 medium, 7-10 high).
fn v2_severity(score: Option<f64>) -> String {
    match score {
        Some(s) if s >= 7.0 => "HIGH",
        Some(s) if s >= 4.0 => "MEDIUM",
        Some(_) => "LOW",
        None => "",
    }
    .to_owned()
}

pub(super) fn parse(bytes: &[u8], limits: &ImportLimits) -> Result<Parsed, serde_json::Error> {
    let document: Document = serde_json::from_slice(bytes)?;
    let records: Vec<Record> = document
        .cves
        .into_iter()
        .map(|c| {
            let cvss = [("3.1", c.cvss_v31), ("3.0", c.cvss_v30), ("2.0", c.cvss_v2)]
                .into_iter()
                .find_map(|(version, s)| {
                    s.map(|s| Cvss {
                        version: version.to_owned(),
                        severity: s.severity.unwrap_or_else(|| v2_severity(s.score)),
                        score: s.score,
                        vector: s.vector,
                    })
                });
            Record {
                criteria: criteria(
                    &c.cpe_matches,
                    &c.configurations,
                    limits.max_criteria_per_record,
                ),
                id: c.id,
                published: c.published,
                modified: c.last_modified,
                status: c.status,
                summary: c.description,
                cvss,
                aliases: Vec::new(),
                packages: Vec::new(),
            }
        })
        .collect();
    Ok(Parsed {
        format: Format::NvdCondensed,
        snapshot: newest(records.iter().map(|r| r.modified.as_deref())),
        count: records.len() as u64,
        records,
        kev: Vec::new(),
    })
}
