//! NVD CVE API 2.0 JSON: one CVE record (as stored per file in NVD mirrors such as
//! `nvd-json-data-feeds`), the same wrapped in `{"cve": ...}`, or a feed or API page
//! (`{"timestamp", "vulnerabilities": [{"cve": ...}]}`).

use hallmark_model::facts::Cvss;
use serde::Deserialize;

use super::{Configuration, Format, ImportLimits, Parsed, Record, criteria, newest};

#[derive(Deserialize)]
struct LangText {
    lang: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct CvssData {
    version: Option<String>,
    #[serde(rename = "vectorString")]
    vector: Option<String>,
    #[serde(rename = "baseScore")]
    score: Option<f64>,
    #[serde(rename = "baseSeverity")]
    severity: Option<String>,
}

#[derive(Deserialize)]
struct CvssMetric {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "cvssData")]
    data: CvssData,
    /// CVSS v2 keeps its severity beside the data.
    #[serde(rename = "baseSeverity")]
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
struct Metrics {
    #[serde(rename = "cvssMetricV31", default)]
    v31: Vec<CvssMetric>,
    #[serde(rename = "cvssMetricV30", default)]
    v30: Vec<CvssMetric>,
    #[serde(rename = "cvssMetricV2", default)]
    v2: Vec<CvssMetric>,
}

#[derive(Deserialize)]
struct ApiCve {
    id: String,
    published: Option<String>,
    #[serde(rename = "lastModified")]
    last_modified: Option<String>,
    #[serde(rename = "vulnStatus")]
    status: Option<String>,
    #[serde(default)]
    descriptions: Vec<LangText>,
    #[serde(default)]
    metrics: Metrics,
    #[serde(default)]
    configurations: Vec<Configuration>,
}

#[derive(Deserialize)]
struct Item {
    cve: ApiCve,
}

/// The three shapes in one struct (an untagged enum would buffer a whole feed in memory).
#[derive(Deserialize)]
struct Document {
    timestamp: Option<String>,
    vulnerabilities: Option<Vec<Item>>,
    cve: Option<ApiCve>,
    id: Option<String>,
    published: Option<String>,
    #[serde(rename = "lastModified")]
    last_modified: Option<String>,
    #[serde(rename = "vulnStatus")]
    status: Option<String>,
    #[serde(default)]
    descriptions: Vec<LangText>,
    #[serde(default)]
    metrics: Metrics,
    #[serde(default)]
    configurations: Vec<Configuration>,
}

/// The primary CVSS: v3.1, then v3.0, then v2; NVD's own ("Primary") before others.
fn cvss(metrics: &Metrics) -> Option<Cvss> {
    for (version, list) in [
        ("3.1", &metrics.v31),
        ("3.0", &metrics.v30),
        ("2.0", &metrics.v2),
    ] {
        let best = list
            .iter()
            .find(|m| m.kind.as_deref() == Some("Primary"))
            .or_else(|| list.first());
        if let Some(m) = best {
            return Some(Cvss {
                version: m.data.version.clone().unwrap_or_else(|| version.to_owned()),
                score: m.data.score,
                severity: m
                    .data
                    .severity
                    .clone()
                    .or_else(|| m.severity.clone())
                    .unwrap_or_default(),
                vector: m.data.vector.clone(),
            });
        }
    }
    None
}

fn record(cve: ApiCve, limits: &ImportLimits) -> Record {
    let summary = cve
        .descriptions
        .iter()
        .find(|d| d.lang.as_deref() == Some("en"))
        .or_else(|| cve.descriptions.first())
        .and_then(|d| d.value.clone());
    Record {
        criteria: criteria(&[], &cve.configurations, limits.max_criteria_per_record),
        cvss: cvss(&cve.metrics),
        id: cve.id,
        published: cve.published,
        modified: cve.last_modified,
        status: cve.status,
        summary,
        aliases: Vec::new(),
        packages: Vec::new(),
    }
}

pub(super) fn parse(bytes: &[u8], limits: &ImportLimits) -> Result<Parsed, serde_json::Error> {
    let d: Document = serde_json::from_slice(bytes)?;
    let timestamp = d.timestamp;
    let records: Vec<Record> = if let Some(items) = d.vulnerabilities {
        items.into_iter().map(|i| record(i.cve, limits)).collect()
    } else if let Some(cve) = d.cve {
        vec![record(cve, limits)]
    } else if let Some(id) = d.id {
        vec![record(
            ApiCve {
                id,
                published: d.published,
                last_modified: d.last_modified,
                status: d.status,
                descriptions: d.descriptions,
                metrics: d.metrics,
                configurations: d.configurations,
            },
            limits,
        )]
    } else {
        return Err(serde::de::Error::custom(
            "neither `vulnerabilities`, `cve` nor `id` is present",
        ));
    };
    let snapshot = timestamp.or_else(|| newest(records.iter().map(|r| r.modified.as_deref())));
    Ok(Parsed {
        format: Format::NvdApi,
        count: records.len() as u64,
        records,
        kev: Vec::new(),
        snapshot,
    })
}
