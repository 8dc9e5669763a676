//! VEX input: statements that a product is `not_affected` by a vulnerability, from OpenVEX
//! (`statements[]`) or CycloneDX VEX (`vulnerabilities[].analysis`). A suppressed match stays
//! in the scan, marked with the justification.

use std::io::Read;
use std::path::Path;

use hallmark_model::facts::{Suppression, VulnScan};
use serde::Deserialize;

use crate::error::VulnError;
use crate::purl::Purl;

/// The largest VEX document read.
pub const MAX_VEX_BYTES: u64 = 64 << 20;

/// One "not affected" statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    /// The vulnerability id (`CVE-...`, or an alias).
    pub vulnerability: String,
    /// Products it covers: package URLs, CPEs or names.
    pub products: Vec<String>,
    /// Why not affected.
    pub justification: String,
    /// Free-text detail.
    pub detail: Option<String>,
}

/// A VEX document's "not affected" statements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VexDocument {
    /// The document's name (its file).
    pub name: String,
    /// The statements.
    pub statements: Vec<VexStatement>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Named {
    Text(String),
    Object {
        #[serde(rename = "@id")]
        id: Option<String>,
        name: Option<String>,
    },
}

impl Named {
    fn names(self) -> Vec<String> {
        match self {
            Named::Text(t) => vec![t],
            Named::Object { id, name } => id.into_iter().chain(name).collect(),
        }
    }
}

#[derive(Deserialize)]
struct OpenVexStatement {
    vulnerability: Named,
    #[serde(default)]
    products: Vec<Named>,
    status: String,
    justification: Option<String>,
    impact_statement: Option<String>,
    status_notes: Option<String>,
}

#[derive(Deserialize)]
struct Analysis {
    state: Option<String>,
    justification: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
}

#[derive(Deserialize)]
struct CdxVulnerability {
    id: String,
    analysis: Option<Analysis>,
    #[serde(default)]
    affects: Vec<Affects>,
}

#[derive(Deserialize)]
struct Document {
    statements: Option<Vec<OpenVexStatement>>,
    vulnerabilities: Option<Vec<CdxVulnerability>>,
}

/// Reads an OpenVEX or CycloneDX VEX document.
pub fn load_vex(path: &Path) -> Result<VexDocument, VulnError> {
    let io = |source| VulnError::Io {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_VEX_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_VEX_BYTES {
        return Err(VulnError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: MAX_VEX_BYTES,
        });
    }
    parse_vex(path, &bytes)
}

/// Reads `bytes` (the content of `path`) as OpenVEX or CycloneDX VEX.
pub fn parse_vex(path: &Path, bytes: &[u8]) -> Result<VexDocument, VulnError> {
    let doc: Document = serde_json::from_slice(bytes).map_err(|e| VulnError::Parse {
        path: path.to_owned(),
        format: "VEX",
        detail: e.to_string(),
    })?;
    let mut statements = Vec::new();
    match (doc.statements, doc.vulnerabilities) {
        (Some(list), _) => {
            for s in list.into_iter().filter(|s| s.status == "not_affected") {
                let justification = s.justification.unwrap_or_else(|| "not_affected".into());
                let products: Vec<String> = s.products.into_iter().flat_map(Named::names).collect();
                for vulnerability in s.vulnerability.names() {
                    statements.push(VexStatement {
                        vulnerability,
                        products: products.clone(),
                        justification: justification.clone(),
                        detail: s
                            .impact_statement
                            .clone()
                            .or_else(|| s.status_notes.clone()),
                    });
                }
            }
        }
        (None, Some(list)) => {
            for v in list {
                let Some(analysis) = v.analysis else { continue };
                let state = analysis.state.unwrap_or_default();
                if state != "not_affected" && state != "false_positive" {
                    continue;
                }
                statements.push(VexStatement {
                    vulnerability: v.id,
                    products: v.affects.into_iter().map(|a| a.reference).collect(),
                    justification: analysis.justification.unwrap_or(state),
                    detail: analysis.detail,
                });
            }
        }
        (None, None) => {
            return Err(VulnError::UnknownFormat {
                path: path.to_owned(),
                detail: "neither OpenVEX `statements` nor CycloneDX `vulnerabilities`".into(),
            });
        }
    }
    Ok(VexDocument {
        name: path.display().to_string(),
        statements,
    })
}

/// Whether statement product `product` names the component of a match: the same package
/// URL (a version in the statement must equal the component's), the same CPE, or the name.
fn names_component(product: &str, purl: &str, cpe: Option<&str>, name: &str) -> bool {
    if product == purl || Some(product) == cpe || product == name {
        return true;
    }
    match (Purl::parse(product), Purl::parse(purl)) {
        (Some(p), Some(c)) => {
            p.same_package(&c)
                && p.version
                    .as_ref()
                    .is_none_or(|v| Some(v) == c.version.as_ref())
        }
        _ => false,
    }
}

/// Marks the matches of `scan` that `vex` says are not affected.
pub fn apply_vex(scan: &mut VulnScan, vex: &VexDocument) {
    for m in &mut scan.matches {
        if m.suppressed.is_some() {
            continue;
        }
        let statement = vex.statements.iter().find(|s| {
            (s.vulnerability == m.id || m.aliases.contains(&s.vulnerability))
                && s.products.iter().any(|p| {
                    names_component(
                        p,
                        &m.component.purl,
                        m.component.cpe.as_deref(),
                        &m.component.name,
                    )
                })
        });
        if let Some(s) = statement {
            m.suppressed = Some(Suppression {
                justification: s.justification.clone(),
                detail: s.detail.clone(),
                document: vex.name.clone(),
            });
        }
    }
    if !scan.vex.contains(&vex.name) {
        scan.vex.push(vex.name.clone());
    }
}
