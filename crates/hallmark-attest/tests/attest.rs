//! Signing and verification: round trip, every byte of the envelope tampered, wrong key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use hallmark_attest::{AttestError, attest, generate_key, key_id, statement, verify};
use hallmark_model::{
    CatalogRef, EvidenceKind, Input, Provenance, REPORT_SCHEMA_VERSION, Report, RequirementResult,
    Severity, Summary, ToolInfo, Verdict,
};

const IMAGE_SHA: &str = "2b0f672c620cb39283ebe3b64eaa1804365d4fac2d97c97d399b178c29f741b8";

fn report(inputs: Vec<Input>) -> Vec<u8> {
    let requirements = [
        ("ECD-1.7", Verdict::Pass, Severity::High),
        ("ECD-2.1", Verdict::Fail, Severity::Critical),
        ("ECD-4.1", Verdict::Inconclusive, Severity::Critical),
    ]
    .into_iter()
    .map(|(id, verdict, severity)| RequirementResult {
        id: id.into(),
        principle: id[4..5].parse().unwrap(),
        title: format!("title of {id}"),
        severity,
        verdict,
        reason: String::new(),
        checks: vec![],
        missing: vec![],
    })
    .collect();
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
            inputs,
            settings: BTreeMap::new(),
            generated_at: None,
        },
        summary: Summary::default(),
        requirements,
        outcomes: vec![],
        components: vec![],
        image: None,
        vulnerabilities: None,
    };
    report.summarize(&BTreeMap::new());
    serde_json::to_vec_pretty(&report).unwrap()
}

fn firmware() -> Input {
    Input {
        kind: EvidenceKind::Firmware,
        name: "build/out/fw.bin".into(),
        sha256: Some(IMAGE_SHA.into()),
        size: Some(1350),
    }
}

#[test]
fn a_signed_statement_verifies_and_carries_the_verdicts() {
    let key = generate_key().unwrap();
    let report_bytes = report(vec![
        firmware(),
        Input {
            kind: EvidenceKind::Declaration,
            name: "decl/dr1.toml".into(),
            sha256: Some("ab".repeat(32)),
            size: Some(10),
        },
    ]);
    let envelope = attest(&report_bytes, &key).unwrap();
    let verified = verify(&envelope, &key.verifying_key()).unwrap();
    assert_eq!(verified, statement(&report_bytes).unwrap());
    assert_eq!(verified.subject.len(), 1);
    assert_eq!(verified.subject[0].name, "fw.bin");
    assert_eq!(verified.subject_sha256(), Some(IMAGE_SHA));
    let p = &verified.predicate;
    assert_eq!(p.catalog.version, "2026.11-proposed.1");
    assert_eq!(p.tool.version, "0.1.0");
    assert_eq!(p.inputs[0].name, "dr1.toml");
    assert_eq!(p.requirements.len(), 3);
    assert_eq!(p.requirements[1].verdict, Verdict::Fail);
    assert_eq!(
        (p.requirements_summary.pass, p.requirements_summary.fail),
        (1, 1)
    );
    assert_eq!(p.report.sha256.len(), 64);
    // The envelope names the key.
    let json: serde_json::Value = serde_json::from_slice(&envelope).unwrap();
    assert_eq!(json["signatures"][0]["keyid"], key_id(&key.verifying_key()));
    // Signing is deterministic (ed25519), so the same report gives the same bytes.
    assert_eq!(attest(&report_bytes, &key).unwrap(), envelope);
}

/// Every byte of the serialised envelope, each flipped three ways (low bit, case bit, high
/// bit), makes verification fail: in the payload and signature by the signature check, in the
/// JSON structure and field names by the strict envelope parser, in the key id by the key
/// match.
#[test]
fn tampering_with_any_byte_of_the_envelope_fails_verification() {
    let key = generate_key().unwrap();
    let public = key.verifying_key();
    let envelope = attest(&report(vec![firmware()]), &key).unwrap();
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for position in 0..envelope.len() {
        for mask in [0x01u8, 0x20, 0x80] {
            let mut copy = envelope.clone();
            copy[position] ^= mask;
            match verify(&copy, &public) {
                Ok(_) => panic!(
                    "byte {position} ({:?}) ^ {mask:#04x} still verifies",
                    char::from(envelope[position])
                ),
                Err(AttestError::Envelope(_)) => *by_reason.entry("envelope").or_default() += 1,
                Err(AttestError::Signature(_)) => *by_reason.entry("signature").or_default() += 1,
                Err(other) => panic!("byte {position}: unexpected {other}"),
            }
        }
    }
    assert_eq!(by_reason.values().sum::<usize>(), envelope.len() * 3);
    // Both defences were exercised.
    assert!(
        by_reason["envelope"] > 0 && by_reason["signature"] > 0,
        "{by_reason:?}"
    );
}

#[test]
fn the_wrong_key_and_malformed_envelopes_fail_with_a_reason() {
    let key = generate_key().unwrap();
    let other = generate_key().unwrap();
    let envelope = attest(&report(vec![firmware()]), &key).unwrap();
    let error = verify(&envelope, &other.verifying_key()).unwrap_err();
    assert!(
        error.to_string().contains("not by the given key"),
        "{error}"
    );

    // The right key id but a signature by another key.
    let mut json: serde_json::Value = serde_json::from_slice(&envelope).unwrap();
    let forged = attest(&report(vec![firmware()]), &other).unwrap();
    let forged: serde_json::Value = serde_json::from_slice(&forged).unwrap();
    json["signatures"][0]["sig"] = forged["signatures"][0]["sig"].clone();
    let error = verify(&serde_json::to_vec(&json).unwrap(), &key.verifying_key()).unwrap_err();
    assert!(
        error.to_string().contains("does not match the payload"),
        "{error}"
    );

    for (text, reason) in [
        ("", "not a DSSE envelope"),
        ("{}", "missing field"),
        (
            r#"{"payloadType":"text/plain","payload":"","signatures":[]}"#,
            "payloadType",
        ),
        (
            r#"{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[]}"#,
            "exactly one signature",
        ),
        (
            r#"{"payloadType":"application/vnd.in-toto+json","payload":"!!","signatures":[]}"#,
            "not base64",
        ),
    ] {
        let error = verify(text.as_bytes(), &key.verifying_key()).unwrap_err();
        assert!(error.to_string().contains(reason), "{text}: {error}");
    }
}

#[test]
fn a_report_without_an_image_digest_cannot_be_attested() {
    let key = generate_key().unwrap();
    let mut input = firmware();
    input.sha256 = None;
    assert!(matches!(
        attest(&report(vec![input]), &key),
        Err(AttestError::NoSubject)
    ));
    assert!(matches!(
        attest(b"{\"not\": \"a report\"}", &key),
        Err(AttestError::Report(_))
    ));
}
