//! The committed JSON Schema matches the types, and reports validate against it.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use hallmark_model::*;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/report-v1.schema.json")
}

fn rendered_schema() -> String {
    let mut text = serde_json::to_string_pretty(&report_schema()).unwrap();
    text.push('\n');
    text
}

/// Fails when the types changed but `schema/` was not regenerated. To regenerate:
/// `HALLMARK_BLESS=1 cargo test -p hallmark-model --test schema`.
#[test]
fn committed_schema_matches_the_types() {
    let path = schema_path();
    let fresh = rendered_schema();
    if std::env::var_os("HALLMARK_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        committed == fresh,
        "schema/report-v1.schema.json is out of date with the Report types; run \
         HALLMARK_BLESS=1 cargo test -p hallmark-model --test schema and review the diff \
         (bump REPORT_SCHEMA_VERSION if the change is incompatible)"
    );
}

fn evidence(location: Location) -> Evidence {
    Evidence {
        kind: EvidenceKind::Firmware,
        location,
        observed: "root has an MD5-crypt hash matching `admin`".into(),
        reason: "a shared, guessable credential".into(),
        excerpt: Some("root:$1$...".into()),
    }
}

fn sample_report() -> Report {
    let image = Location::Image {
        image: "fw.bin".into(),
        chain: vec![Layer {
            format: "squashfs".into(),
            offset: 0x1000,
            name: None,
        }],
        path: Some("/etc/shadow".into()),
        offset: Some(12),
        line: Some(1),
    };
    let endpoint = Location::Endpoint {
        host: "192.0.2.1".into(),
        port: Some(23),
        transport: Transport::Tcp,
        service: Some("telnet".into()),
    };
    let document = Location::Document {
        path: "declaration.toml".into(),
        line: Some(4),
        field: Some("support.end_date".into()),
    };
    let finding = Finding {
        id: "default-password:/etc/shadow:root".into(),
        check: "no-default-credentials".into(),
        requirements: vec!["ECD-2.1".into()],
        severity: Severity::Critical,
        title: "Default root password".into(),
        message: "root's password is `admin`".into(),
        evidence: vec![evidence(image), evidence(endpoint)],
        remediation: "Generate a per-unit password at manufacture.".into(),
    };
    let mut report = Report {
        schema_version: REPORT_SCHEMA_VERSION.into(),
        provenance: Provenance {
            tool: ToolInfo {
                name: "hallmark".into(),
                version: "0.1.0".into(),
            },
            catalog: CatalogRef {
                id: "uk-ecd-cop".into(),
                version: "2026.11-proposed.1".into(),
                status: "proposed".into(),
            },
            inputs: vec![Input {
                kind: EvidenceKind::Firmware,
                name: "fw.bin".into(),
                sha256: Some("00".repeat(32)),
                size: Some(1024),
            }],
            settings: BTreeMap::from([("limits.max_depth".into(), serde_json::json!(16))]),
            generated_at: Some("2026-11-25T00:00:00Z".into()),
        },
        summary: Summary::default(),
        requirements: vec![
            RequirementResult {
                id: "ECD-2.1".into(),
                principle: 2,
                title: "No universal default credentials".into(),
                severity: Severity::Critical,
                verdict: Verdict::Fail,
                reason: "a check failed".into(),
                checks: vec!["no-default-credentials".into()],
                missing: vec![],
            },
            RequirementResult {
                id: "ECD-1.7".into(),
                principle: 1,
                title: "Support period".into(),
                severity: Severity::High,
                verdict: Verdict::Inconclusive,
                reason: "needs a declaration".into(),
                checks: vec![],
                missing: vec!["the manufacturer's declared support period".into()],
            },
        ],
        outcomes: vec![
            Outcome {
                check: "no-default-credentials".into(),
                requirements: vec!["ECD-2.1".into()],
                verdict: Verdict::Fail,
                summary: "1 account has a default password".into(),
                evidence: vec![],
                missing: vec![],
                findings: vec![finding],
            },
            Outcome {
                check: "support-period-declared".into(),
                requirements: vec!["ECD-1.7".into()],
                verdict: Verdict::Inconclusive,
                summary: "no declaration given".into(),
                evidence: vec![evidence(document)],
                missing: vec!["a declaration file".into()],
                findings: vec![],
            },
        ],
        components: vec![facts::Component {
            name: "busybox".into(),
            version: Some("1.30.1".into()),
            purl: "pkg:generic/busybox@1.30.1".into(),
            cpe: Some("cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*".into()),
            evidence: vec![facts::ComponentEvidence {
                method: facts::IdentificationMethod::Signature,
                location: Location::file("fw.bin", "/bin/busybox"),
                text: "BusyBox v1.30.1 (2020-01-01 00:00:00 UTC)".into(),
            }],
            evidence_omitted: 0,
        }],
        image: None,
        vulnerabilities: Some(facts::VulnScan {
            snapshots: vec![facts::SnapshotInfo {
                source: "nvd".into(),
                file: "nvd-embedded-subset.json".into(),
                records: 12,
                snapshot: Some("2025-06-25".into()),
                imported_at: "2026-11-25T00:00:00Z".into(),
            }],
            components_examined: 1,
            matches: vec![facts::VulnMatch {
                id: "CVE-2022-48174".into(),
                aliases: vec![],
                source: "nvd".into(),
                component: facts::MatchedComponent {
                    name: "busybox".into(),
                    version: Some("1.30.1".into()),
                    purl: "pkg:generic/busybox@1.30.1".into(),
                    cpe: Some("cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*".into()),
                    evidence: "version string in /bin/busybox".into(),
                    location: None,
                },
                criteria: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*".into(),
                range: "busybox <= 1.36.1".into(),
                method: facts::MatchMethod::CpeRange,
                cvss: Some(facts::Cvss {
                    version: "3.1".into(),
                    score: Some(9.8),
                    severity: "CRITICAL".into(),
                    vector: None,
                }),
                kev: None,
                fixed: None,
                summary: Some("stack overflow in ash".into()),
                suppressed: None,
            }],
            not_assessed: vec![],
            vex: vec![],
        }),
    };
    let titles = BTreeMap::from([
        (1, "Provide updates securely".to_string()),
        (2, "Auth".into()),
    ]);
    report.summarize(&titles);
    report
}

#[test]
fn summaries_roll_up_per_principle() {
    let report = sample_report();
    assert_eq!(report.summary.requirements.fail, 1);
    assert_eq!(report.summary.requirements.inconclusive, 1);
    let verdicts: Vec<_> = report
        .summary
        .principles
        .iter()
        .map(|p| (p.number, p.verdict))
        .collect();
    assert_eq!(verdicts, [(1, Verdict::Inconclusive), (2, Verdict::Fail)]);
}

#[test]
fn reports_validate_against_the_schema_and_round_trip() {
    let schema = report_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let report = sample_report();
    let instance = serde_json::to_value(&report).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "schema rejects a real report: {errors:#?}"
    );

    let back: Report = serde_json::from_value(instance.clone()).unwrap();
    assert_eq!(back, report);

    // The schema is not vacuous: a wrong verdict and a missing field are rejected.
    let mut bad = instance.clone();
    bad["requirements"][0]["verdict"] = serde_json::json!("MAYBE");
    assert!(!validator.is_valid(&bad));
    let mut bad = instance;
    bad["provenance"].as_object_mut().unwrap().remove("catalog");
    assert!(!validator.is_valid(&bad));
}
