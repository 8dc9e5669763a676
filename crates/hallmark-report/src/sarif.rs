//! SARIF 2.1.0, for code-scanning dashboards (GitHub and others).
//!
//! One rule per check (all of them, so that a dashboard knows the checks that found nothing),
//! with the check's documentation as help. One result per finding of a failed check, located
//! at the file inside the image (relative to the `IMAGEROOT` base, with the line when known)
//! or, for network and layer evidence, at a logical location. Levels follow severity
//! (critical and high: `error`, medium: `warning`, low and info: `note`), and the numeric
//! `security-severity` property lets GitHub rank them. Inconclusive checks are not results
//! (SARIF results are weaknesses); they are listed in the run's properties with the evidence
//! they miss, so that "nothing reported" is never read as "all passed".

use std::collections::BTreeMap;

use hallmark_model::{Evidence, Finding, Location, Report, Severity, Verdict};
use serde_json::{Value, json};

/// What SARIF needs to know about a check besides the report: its rule metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// Check id.
    pub id: String,
    /// One line: the property that passes.
    pub title: String,
    /// The check's documentation (Markdown).
    pub doc: String,
    /// Default severity of its findings.
    pub severity: Severity,
    /// Requirement ids it informs.
    pub requirements: Vec<String>,
}

/// The SARIF `uriBaseId` for paths inside the unpacked image.
const IMAGE_ROOT: &str = "IMAGEROOT";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (a CVSS-like score) for a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// The report as a SARIF 2.1.0 log. `rules` describes every check (the CLI passes the whole
/// registry); a finding of a check missing from `rules` still gets a minimal rule.
pub fn sarif(report: &Report, rules: &[RuleInfo]) -> Value {
    let mut rule_list: Vec<RuleInfo> = rules.to_vec();
    for outcome in &report.outcomes {
        if !rule_list.iter().any(|r| r.id == outcome.check) {
            rule_list.push(RuleInfo {
                id: outcome.check.clone(),
                title: outcome.check.clone(),
                doc: String::new(),
                severity: Severity::Medium,
                requirements: outcome.requirements.clone(),
            });
        }
    }
    rule_list.sort_by(|a, b| a.id.cmp(&b.id));
    let index: BTreeMap<&str, usize> = rule_list
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();

    let results: Vec<Value> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .flat_map(|o| &o.findings)
        .map(|finding| result(finding, index.get(finding.check.as_str()).copied()))
        .collect();
    let inconclusive: Vec<Value> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Inconclusive)
        .map(|o| json!({"check": o.check, "summary": o.summary, "missing": o.missing}))
        .collect();
    let image = report
        .provenance
        .inputs
        .first()
        .map_or("the image", |i| i.name.as_str());
    let mut artifacts = Vec::new();
    if let Some(input) = report.provenance.inputs.first() {
        let mut artifact = json!({
            "location": {"uri": file_uri_name(&input.name)},
            "roles": ["analysisTarget"],
        });
        if let Some(object) = artifact.as_object_mut() {
            if let Some(sha256) = &input.sha256 {
                object.insert("hashes".into(), json!({"sha-256": sha256}));
            }
            if let Some(size) = input.size {
                object.insert("length".into(), json!(size));
            }
        }
        artifacts.push(artifact);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "Hallmark",
                    "version": report.provenance.tool.version,
                    "semanticVersion": report.provenance.tool.version,
                    "informationUri": "https://example.invalid/hallmark",
                    "rules": rule_list.iter().map(rule).collect::<Vec<_>>(),
                },
            },
            "originalUriBaseIds": {
                IMAGE_ROOT: {
                    "description": {"text": format!("The root of the unpacked image {image}.")},
                },
            },
            "artifacts": artifacts,
            "results": results,
            "properties": {
                "catalog": format!(
                    "{} {}",
                    report.provenance.catalog.id, report.provenance.catalog.version
                ),
                "requirements": {
                    "pass": report.summary.requirements.pass,
                    "fail": report.summary.requirements.fail,
                    "inconclusive": report.summary.requirements.inconclusive,
                    "notApplicable": report.summary.requirements.not_applicable,
                },
                "assurance": {
                    "score": report.summary.assurance.score,
                    "decided": report.summary.assurance.decided,
                },
                "inconclusiveChecks": inconclusive,
            },
        }],
    })
}

/// A name usable as a relative URI: the file name, with characters outside the URI
/// "unreserved" set percent-encoded.
fn file_uri_name(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    encode_path(name)
}

/// Percent-encodes everything but unreserved characters and `/`.
fn encode_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule(info: &RuleInfo) -> Value {
    let summary = first_paragraph(&info.doc);
    let mut value = json!({
        "id": info.id,
        "name": camel(&info.id),
        "shortDescription": {"text": info.title},
        "defaultConfiguration": {"level": level(info.severity)},
        "properties": {
            "tags": std::iter::once("security".to_owned())
                .chain(info.requirements.iter().cloned())
                .collect::<Vec<_>>(),
            "security-severity": security_severity(info.severity),
            "precision": "high",
        },
    });
    if let Some(object) = value.as_object_mut() {
        if !summary.is_empty() {
            object.insert("fullDescription".into(), json!({"text": summary}));
        }
        if !info.doc.is_empty() {
            object.insert(
                "help".into(),
                json!({"text": info.doc, "markdown": info.doc}),
            );
        }
    }
    value
}

/// `services-telnet` -> `ServicesTelnet` (SARIF rule names are identifiers).
fn camel(id: &str) -> String {
    id.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// The first paragraph of Markdown text that is not a heading, as plain text.
fn first_paragraph(doc: &str) -> String {
    doc.split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or_default()
        .replace('\n', " ")
}

fn result(finding: &Finding, rule_index: Option<usize>) -> Value {
    let mut locations = Vec::new();
    let mut related = Vec::new();
    for (i, evidence) in finding.evidence.iter().enumerate() {
        let location = location(evidence, i);
        if i == 0 {
            locations.push(location);
        } else {
            related.push(location);
        }
    }
    let mut value = json!({
        "ruleId": finding.check,
        "level": level(finding.severity),
        "message": {"text": if finding.message == finding.title {
            finding.title.clone()
        } else {
            format!("{}: {}", finding.title, finding.message)
        }},
        "locations": locations,
        "partialFingerprints": {"hallmarkFindingId/v1": finding.id},
        "properties": {
            "severity": finding.severity.as_str(),
            "requirements": finding.requirements,
            "remediation": finding.remediation,
        },
    });
    if let Some(object) = value.as_object_mut() {
        if let Some(index) = rule_index {
            object.insert("ruleIndex".into(), json!(index));
        }
        if !related.is_empty() {
            object.insert("relatedLocations".into(), Value::Array(related));
        }
    }
    value
}

/// A file inside the image is a physical location (its path in its file tree, relative to
/// `IMAGEROOT`; the layer chain is in the message); anything else (an endpoint, a layer, a declaration field) a logical one.
fn location(evidence: &Evidence, id: usize) -> Value {
    let message = match &evidence.excerpt {
        Some(excerpt) => format!("{} ({}): {excerpt}", evidence.observed, evidence.location),
        None => format!("{} ({})", evidence.observed, evidence.location),
    };
    let mut value = match &evidence.location {
        Location::Image {
            path: Some(path),
            line,
            ..
        } => {
            // The path in its file tree; the layer chain is in the message.
            let mut physical = json!({
                "artifactLocation": {
                    "uri": encode_path(path.trim_start_matches('/')),
                    "uriBaseId": IMAGE_ROOT,
                },
            });
            if let (Some(line), Some(object)) = (line, physical.as_object_mut()) {
                object.insert("region".into(), json!({"startLine": line}));
            }
            json!({"physicalLocation": physical})
        }
        other => json!({
            "logicalLocations": [{
                "fullyQualifiedName": other.to_string(),
                "kind": "resource",
            }],
        }),
    };
    if let Some(object) = value.as_object_mut() {
        object.insert("id".into(), json!(id));
        object.insert("message".into(), json!({"text": message}));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;

    fn rules() -> Vec<RuleInfo> {
        vec![RuleInfo {
            id: "services-telnet".into(),
            title: "No telnet server is started".into(),
            doc: "## What it checks\n\nWhether a telnet server starts at boot.\n".into(),
            severity: Severity::High,
            requirements: vec!["ECD-8.1".into()],
        }]
    }

    #[test]
    fn findings_become_results_at_the_file_and_line() {
        let log = sarif(&sample_report(), &rules());
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["name"], "ServicesTelnet");
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["fullDescription"]["text"],
            "Whether a telnet server starts at boot."
        );
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "services-telnet");
        assert_eq!(result["ruleIndex"], 0);
        assert_eq!(result["level"], "error");
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "etc/init.d/S40telnetd");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "IMAGEROOT");
        assert_eq!(physical["region"]["startLine"], 3);
        // The second piece of evidence is a network endpoint: a logical location.
        assert_eq!(
            result["relatedLocations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "192.0.2.1:23/tcp"
        );
        // The inconclusive check is listed, not dropped.
        assert_eq!(
            run["properties"]["inconclusiveChecks"][0]["check"],
            "updates-signed"
        );
    }

    #[test]
    fn names_and_uris() {
        assert_eq!(camel("platform-time-sync"), "PlatformTimeSync");
        assert_eq!(encode_path("etc/a b#c"), "etc/a%20b%23c");
        assert_eq!(file_uri_name("/tmp/fw image.bin"), "fw%20image.bin");
    }
}
