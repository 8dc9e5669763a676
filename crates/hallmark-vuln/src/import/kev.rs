//! The CISA Known Exploited Vulnerabilities catalogue (`{"catalogVersion", "dateReleased",
//! "vulnerabilities": [{"cveID", "dateAdded", ...}]}`), whole or a subset.

use serde::Deserialize;

use super::{Format, KevRow, Parsed};

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "cveID")]
    cve: String,
    #[serde(rename = "vendorProject", default)]
    vendor: String,
    #[serde(default)]
    product: String,
    #[serde(rename = "vulnerabilityName", default)]
    name: String,
    #[serde(rename = "dateAdded", default)]
    date_added: String,
    #[serde(rename = "knownRansomwareCampaignUse")]
    ransomware: Option<String>,
}

#[derive(Deserialize)]
struct Catalogue {
    #[serde(rename = "catalogVersion")]
    version: Option<String>,
    #[serde(rename = "dateReleased")]
    released: Option<String>,
    vulnerabilities: Vec<Entry>,
}

pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, serde_json::Error> {
    let c: Catalogue = serde_json::from_slice(bytes)?;
    let kev: Vec<KevRow> = c
        .vulnerabilities
        .into_iter()
        .map(|e| KevRow {
            cve: e.cve,
            vendor: e.vendor,
            product: e.product,
            name: e.name,
            date_added: e.date_added,
            ransomware: e.ransomware,
        })
        .collect();
    let snapshot = match (c.version, c.released) {
        (Some(v), Some(r)) => Some(format!("{v} (released {r})")),
        (v, r) => v.or(r),
    };
    Ok(Parsed {
        format: Format::Kev,
        count: kev.len() as u64,
        records: Vec::new(),
        kev,
        snapshot,
    })
}
