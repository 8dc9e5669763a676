//! Declarations: parsing errors with file, line and field; the combination rules over a
//! synthetic report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use hallmark_catalog::Catalog;
use hallmark_declare::{Date, Declaration, DeclarationError, Prefill, apply, template};
use hallmark_model::{
    CatalogRef, Evidence, EvidenceKind, Finding, Input, Location, Outcome, Provenance,
    REPORT_SCHEMA_VERSION, Report, RequirementResult, Severity, Summary, ToolInfo, Verdict,
};

const SHA: &str = "2b0f672c620cb39283ebe3b64eaa1804365d4fac2d97c97d399b178c29f741b8";

fn catalog() -> Catalog {
    Catalog::builtin().unwrap()
}

fn today() -> Date {
    Date::parse("2026-06-01").unwrap()
}

/// A complete, valid declaration; `{END}` is the support end date.
fn full(end: &str) -> String {
    format!(
        r#"format = "hallmark-declaration/1"

[declaration]
issued = 2026-05-01
valid_until = 2027-05-01
author = "PSIRT, Example Networks Ltd"

[product]
manufacturer = "Example Networks Ltd"
model = "XR-100"
hardware_revision = "B"
firmware_version = "1.4.2"
image_sha256 = "{SHA}"

[support]
end_date = {end}
published_at = "https://example.com/support/lifecycle"

[disclosure]
contact = "mailto:security@example.com"
policy_url = "https://example.com/security/disclosure"
acknowledgement_days = 5
status_update_days = 30
security_txt = """
Contact: mailto:security@example.com
Expires: 2027-01-01T00:00:00Z
"""

[transparency]
sbom_url = "https://example.com/sbom/xr100-1.4.2.cdx.json"
sbom_format = "cyclonedx"
advisories_url = "https://example.com/csaf/"

[updates]
mode = "automatic"
check_interval_hours = 24
admin_can_defer = true
max_deferral_days = 30
local_mirror = true
notification = "SNMP trap and e-mail with release notes"
admin_control = "Update policy page: channel, window, staging groups"

[credentials]
method = "unique_per_device"
description = "Random per-unit password from the factory HSM"

[hardware]
secure_boot = "enforced"
key_storage = "secure_element"
debug_ports = "fused"
serial_console = "login"
flash_readout_protection = true
physical_threats = "Tamper-evident enclosure"

[documentation]
deployment_guide = "https://example.com/docs/deploy"
network_requirements = "https://example.com/docs/ports"
installation_verification = "https://example.com/docs/verify"
asset_inventory = "https://example.com/docs/inventory"

[[claim]]
requirement = "ECD-1.7"
status = "supported"
[[claim.evidence]]
document = "XR-100 product security policy"
url = "https://example.com/security/policy.pdf"
section = "3.2"

[[claim]]
requirement = "ECD-2.1"
status = "supported"
justification = "Per-device passwords"
"#
    )
}

/// A report over the whole catalogue: ECD-2.1 failed by a check, ECD-7.5 passed, the rest
/// inconclusive with no informing check.
fn report() -> Report {
    let catalog = catalog();
    let requirements = catalog
        .requirements
        .iter()
        .map(|r| {
            let (verdict, checks, reason, missing) = match r.id.as_str() {
                "ECD-2.1" => (
                    Verdict::Fail,
                    vec!["accounts-default-passwords".to_owned()],
                    "failed by accounts-default-passwords".to_owned(),
                    vec![],
                ),
                "ECD-7.5" => (
                    Verdict::Pass,
                    vec!["platform-debug-tools".to_owned()],
                    "passed by platform-debug-tools".to_owned(),
                    vec![],
                ),
                _ => (
                    Verdict::Inconclusive,
                    vec![],
                    "no check in this assessment informs this requirement".to_owned(),
                    vec!["needs the manufacturer's declaration".to_owned()],
                ),
            };
            RequirementResult {
                id: r.id.clone(),
                principle: r.principle,
                title: r.title.clone(),
                severity: r.severity,
                verdict,
                reason,
                checks,
                missing,
            }
        })
        .collect();
    let evidence = Evidence {
        kind: EvidenceKind::Firmware,
        location: Location::file("fw.bin", "/etc/shadow"),
        observed: "root's password is `admin`".into(),
        reason: "a universal default password".into(),
        excerpt: None,
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
                version: "x".into(),
                status: "proposed".into(),
            },
            inputs: vec![Input {
                kind: EvidenceKind::Firmware,
                name: "fw.bin".into(),
                sha256: Some(SHA.into()),
                size: Some(1),
            }],
            settings: BTreeMap::new(),
            generated_at: None,
        },
        summary: Summary::default(),
        requirements,
        outcomes: vec![Outcome {
            check: "accounts-default-passwords".into(),
            requirements: vec!["ECD-2.1".into()],
            verdict: Verdict::Fail,
            summary: "root has a default password".into(),
            evidence: vec![],
            missing: vec![],
            findings: vec![Finding {
                id: "accounts-default-passwords:/etc/shadow:root".into(),
                check: "accounts-default-passwords".into(),
                requirements: vec!["ECD-2.1".into()],
                severity: Severity::Critical,
                title: "root has a default password".into(),
                message: String::new(),
                evidence: vec![evidence],
                remediation: String::new(),
            }],
        }],
        components: vec![],
        image: None,
        vulnerabilities: None,
    };
    let titles = catalog
        .principles
        .iter()
        .map(|p| (p.number, p.title.clone()))
        .collect();
    report.summarize(&titles);
    report
}

fn verdict(report: &Report, id: &str) -> Verdict {
    requirement(report, id).verdict
}

fn requirement<'r>(report: &'r Report, id: &str) -> &'r RequirementResult {
    report.requirements.iter().find(|r| r.id == id).unwrap()
}

fn applied(text: &str) -> Report {
    let catalog = catalog();
    let declaration = Declaration::parse("xr100.toml", text, &catalog, today()).unwrap();
    let mut report = report();
    apply(&mut report, &declaration, &catalog, today()).unwrap();
    report
}

/// The single diagnostic of a rejected declaration, as `file:line:col: field `f`: message`.
fn error(text: &str) -> String {
    match Declaration::parse("xr100.toml", text, &catalog(), today()) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_complete_declaration_passes_the_declaration_decided_requirements() {
    let report = applied(&full("2031-12-31"));
    for id in ["ECD-1.6", "ECD-1.7", "ECD-4.5", "ECD-5.4", "ECD-9.5"] {
        let r = requirement(&report, id);
        assert_eq!(r.verdict, Verdict::Pass, "{id}: {r:?}");
        assert!(r.missing.is_empty(), "{id}: {:?}", r.missing);
        assert!(r.checks.iter().any(|c| c.starts_with("declaration-")));
    }
    // The evidence points at the declaration's field and line.
    let support = report
        .outcomes
        .iter()
        .find(|o| o.check == "declaration-support-period")
        .unwrap();
    assert_eq!(support.verdict, Verdict::Pass);
    assert!(support.evidence.iter().any(|e| e.location
        == Location::Document {
            path: "xr100.toml".into(),
            line: Some(16),
            field: Some("support.end_date".into()),
        }));
    // Provenance records the declaration and the date it was judged on.
    let input = report.provenance.inputs.last().unwrap();
    assert_eq!(input.kind, EvidenceKind::Declaration);
    assert_eq!(input.sha256.as_ref().map(String::len), Some(64));
    assert_eq!(report.provenance.settings["declaration_date"], "2026-06-01");
    // Claims do not touch a firmware-tested requirement the tests did not decide.
    assert_eq!(verdict(&report, "ECD-4.1"), Verdict::Inconclusive);
    assert_eq!(verdict(&report, "ECD-7.5"), Verdict::Pass);
    // The summary was recomputed.
    assert_eq!(
        report.summary.requirements.pass,
        report
            .requirements
            .iter()
            .filter(|r| r.verdict == Verdict::Pass)
            .count() as u32
    );
}

#[test]
fn an_undecided_test_keeps_a_requirement_open_unless_the_catalogue_decides_it_by_declaration() {
    let catalog = catalog();
    let declaration =
        Declaration::parse("xr100.toml", &full("2031-12-31"), &catalog, today()).unwrap();
    let mut report = report();
    // A firmware check that could not decide, informing ECD-1.6 (firmware, network and
    // declaration evidence) and ECD-1.7 (declaration evidence only).
    report.outcomes.push(Outcome {
        check: "updates-policy".into(),
        requirements: vec!["ECD-1.6".into(), "ECD-1.7".into()],
        verdict: Verdict::Inconclusive,
        summary: String::new(),
        evidence: vec![],
        missing: vec!["no vulnerability data".into()],
        findings: vec![],
    });
    for id in ["ECD-1.6", "ECD-1.7"] {
        let r = report.requirements.iter_mut().find(|r| r.id == id).unwrap();
        r.checks = vec!["updates-policy".into()];
        r.missing = vec!["no vulnerability data".into()];
    }
    apply(&mut report, &declaration, &catalog, today()).unwrap();
    let r = requirement(&report, "ECD-1.6");
    assert_eq!(
        r.verdict,
        Verdict::Inconclusive,
        "unknown never counts as a pass"
    );
    assert!(r.reason.contains("updates-policy"), "{}", r.reason);
    assert_eq!(r.missing, vec!["no vulnerability data".to_owned()]);
    let r = requirement(&report, "ECD-1.7");
    assert_eq!(r.verdict, Verdict::Pass, "a supporting indicator only");
    assert!(
        r.reason.contains("supporting firmware indicators"),
        "{}",
        r.reason
    );
}

#[test]
fn a_past_support_end_date_fails_and_names_the_date() {
    let report = applied(&full("2025-12-31"));
    for id in ["ECD-1.7", "ECD-5.4"] {
        let r = requirement(&report, id);
        assert_eq!(r.verdict, Verdict::Fail, "{id}");
        assert!(
            r.reason.contains("declaration-support-period"),
            "{}",
            r.reason
        );
    }
    let finding = report
        .outcomes
        .iter()
        .flat_map(|o| &o.findings)
        .find(|f| f.check == "declaration-support-period")
        .unwrap();
    assert!(
        finding.title.contains("ended on 2025-12-31"),
        "{}",
        finding.title
    );
    assert_eq!(finding.severity, Severity::High, "ECD-1.7's severity");
    // The end date today is still supported.
    assert_eq!(
        verdict(&applied(&full("2026-06-01")), "ECD-1.7"),
        Verdict::Pass
    );
}

#[test]
fn missing_content_stays_inconclusive_naming_the_field() {
    let text = full("2031-12-31").replace("contact = \"mailto:security@example.com\"\n", "");
    let report = applied(&text);
    let r = requirement(&report, "ECD-1.7");
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert!(
        r.missing.iter().any(|m| m.contains("`disclosure.contact`")),
        "{:?}",
        r.missing
    );
    assert!(r.reason.contains("claims `supported`"), "{}", r.reason);
    assert!(
        !r.missing.iter().any(|m| m.starts_with("needs ")),
        "the generic line is replaced: {:?}",
        r.missing
    );
    // ECD-5.4 does not need the contact.
    assert_eq!(verdict(&report, "ECD-5.4"), Verdict::Pass);
}

#[test]
fn a_bare_supported_claim_decides_nothing() {
    let text = format!(
        "format = \"hallmark-declaration/1\"\n[product]\nmanufacturer = \"E\"\nmodel = \"M\"\n\
         firmware_version = \"1\"\nimage_sha256 = \"{SHA}\"\n\
         [[claim]]\nrequirement = \"ECD-1.7\"\nstatus = \"supported\"\n\
         [[claim]]\nrequirement = \"ECD-4.1\"\nstatus = \"supported\"\n"
    );
    let report = applied(&text);
    for id in ["ECD-1.7", "ECD-4.1", "ECD-9.5"] {
        assert_eq!(verdict(&report, id), Verdict::Inconclusive, "{id}");
    }
    let r = requirement(&report, "ECD-1.7");
    for field in [
        "support.end_date",
        "disclosure.contact",
        "disclosure.policy_url",
    ] {
        assert!(
            r.missing.iter().any(|m| m.contains(field)),
            "{field}: {:?}",
            r.missing
        );
    }
    assert!(
        requirement(&report, "ECD-4.1")
            .reason
            .contains("alone does not decide")
    );
}

#[test]
fn a_false_claim_against_a_tested_fail_is_a_contradiction() {
    let report = applied(&full("2031-12-31"));
    assert_eq!(
        verdict(&report, "ECD-2.1"),
        Verdict::Fail,
        "tests outrank claims"
    );
    let outcome = report
        .outcomes
        .iter()
        .find(|o| o.check == "declaration-contradiction")
        .unwrap();
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert_eq!(outcome.requirements, vec!["ECD-2.1".to_owned()]);
    // Both the claim and the stated credentials method contradict the test.
    let fields: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| match &f.evidence[0].location {
            Location::Document { field, line, .. } => (field.clone().unwrap(), line.unwrap()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            ("claim.status".to_owned(), 71),
            ("credentials.method".to_owned(), 44)
        ]
    );
    let finding = &outcome.findings[0];
    assert_eq!(finding.severity, Severity::Critical);
    assert!(finding.message.contains("accounts-default-passwords"));
    assert!(
        finding
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::Firmware),
        "the tested evidence is quoted"
    );
    assert!(
        requirement(&report, "ECD-2.1")
            .reason
            .contains("contradicts")
    );
}

#[test]
fn stated_gaps_fail_open_requirements_and_never_override_tests() {
    let text = full("2031-12-31")
        .replace("serial_console = \"login\"", "serial_console = \"open\"")
        .replace("secure_boot = \"enforced\"", "secure_boot = \"disabled\"")
        + "\n[[claim]]\nrequirement = \"ECD-3.6\"\nstatus = \"not_supported\"\n\
           justification = \"No secure erase in this model\"\n\
           [[claim]]\nrequirement = \"ECD-7.5\"\nstatus = \"not_supported\"\n\
           justification = \"Debug tools remain\"\n";
    let report = applied(&text);
    for id in ["ECD-3.6", "ECD-4.1", "ECD-8.3"] {
        let r = requirement(&report, id);
        assert_eq!(r.verdict, Verdict::Fail, "{id}");
        assert!(r.checks.contains(&"declaration-stated-gaps".to_owned()));
    }
    let r = requirement(&report, "ECD-7.5");
    assert_eq!(r.verdict, Verdict::Pass, "tests outrank claims");
    assert!(r.reason.contains("outranks"), "{}", r.reason);
}

#[test]
fn not_applicable_claims_do_not_change_verdicts() {
    let text = full("2031-12-31")
        + "\n[[claim]]\nrequirement = \"ECD-3.4\"\nstatus = \"not_applicable\"\n\
           justification = \"Stores no business data\"\n";
    let report = applied(&text);
    assert_eq!(verdict(&report, "ECD-3.4"), Verdict::Inconclusive);
}

#[test]
fn content_that_shows_a_gap_fails_its_requirement() {
    let cases = [
        ("mode = \"automatic\"", "mode = \"manual\"", "ECD-1.6"),
        ("local_mirror = true", "local_mirror = false", "ECD-1.6"),
        (
            "key_storage = \"secure_element\"",
            "key_storage = \"plain_flash\"",
            "ECD-4.5",
        ),
        (
            "debug_ports = \"fused\"",
            "debug_ports = \"open\"",
            "ECD-4.5",
        ),
        (
            "Expires: 2027-01-01T00:00:00Z",
            "Expires: 2026-01-01T00:00:00Z",
            "ECD-1.7",
        ),
    ];
    for (from, to, id) in cases {
        let text = full("2031-12-31").replace(from, to);
        assert_ne!(text, full("2031-12-31"), "{from}");
        assert_eq!(verdict(&applied(&text), id), Verdict::Fail, "{to}");
    }
}

#[test]
fn a_declaration_for_another_image_is_refused() {
    let catalog = catalog();
    let text = full("2031-12-31").replace(SHA, &"ab".repeat(32));
    let declaration = Declaration::parse("xr100.toml", &text, &catalog, today()).unwrap();
    let mut report = report();
    let before = report.clone();
    let error = apply(&mut report, &declaration, &catalog, today()).unwrap_err();
    assert!(matches!(error, DeclarationError::WrongImage(_)));
    let text = error.to_string();
    assert!(
        text.contains("xr100.toml:13:16: field `product.image_sha256`"),
        "{text}"
    );
    assert!(text.contains(SHA), "{text}");
    assert_eq!(report, before, "nothing changed");
}

#[test]
fn bad_input_names_file_line_and_field() {
    let good = full("2031-12-31");
    let cases: Vec<(String, &str)> = vec![
        // Malformed TOML.
        (
            good.replace("model = \"XR-100\"", "model = \"XR-100"),
            "xr100.toml:10:",
        ),
        // Unknown field.
        (
            good.replace("hardware_revision", "hw_revision"),
            "xr100.toml:11:1: field `product.hw_revision`: unknown field",
        ),
        // Unknown requirement id.
        (
            good.replace("requirement = \"ECD-1.7\"", "requirement = \"ECD-1.99\""),
            "xr100.toml:62:15: field `claim.requirement`: `ECD-1.99` is not a requirement",
        ),
        // The declaration has lapsed.
        (
            good.replace("valid_until = 2027-05-01", "valid_until = 2026-01-01"),
            "xr100.toml:5:15: field `declaration.valid_until`: the declaration lapsed on 2026-01-01",
        ),
        // Issued in the future.
        (
            good.replace("issued = 2026-05-01", "issued = 2026-07-01"),
            "xr100.toml:4:10: field `declaration.issued`: 2026-07-01 is in the future",
        ),
        // Not a date.
        (
            good.replace("end_date = 2031-12-31", "end_date = \"31/12/2031\""),
            "xr100.toml:16:12: field `support.end_date`: expected a date",
        ),
        (
            good.replace("end_date = 2031-12-31", "end_date = 2031-02-30"),
            "xr100.toml:16:",
        ),
        // Malformed contact and URLs.
        (
            good.replace("mailto:security@example.com\"", "security at example\""),
            "xr100.toml:20:11: field `disclosure.contact`: `security at example` is neither",
        ),
        (
            good.replace(
                "https://example.com/security/disclosure",
                "http://example.com/security/disclosure",
            ),
            "xr100.toml:21:14: field `disclosure.policy_url`: `http://example.com/security/disclosure` is not an https:// URL",
        ),
        // A digest that is not one.
        (
            good.replace(SHA, "1234"),
            "xr100.toml:13:16: field `product.image_sha256`: `1234` is not a SHA-256 digest",
        ),
        // Wrong format version.
        (
            good.replace("hallmark-declaration/1", "hallmark-declaration/2"),
            "xr100.toml:1:10: field `format`",
        ),
        // A missing required field.
        (
            good.replace("model = \"XR-100\"\n", ""),
            "field `product.model`: missing field `model`",
        ),
        // A not_supported claim without a justification.
        (
            good + "[[claim]]\nrequirement = \"ECD-3.6\"\nstatus = \"not_supported\"\n",
            "xr100.toml:75:10: field `claim.justification`",
        ),
        // A claim made twice.
        (
            full("2031-12-31") + "[[claim]]\nrequirement = \"ECD-1.7\"\nstatus = \"supported\"\n",
            "xr100.toml:74:15: field `claim.requirement`: ECD-1.7 is claimed twice (first on line 62)",
        ),
        // Out-of-range numbers.
        (
            full("2031-12-31").replace("acknowledgement_days = 5", "acknowledgement_days = 0"),
            "xr100.toml:22:24: field `disclosure.acknowledgement_days`: 0 days is out of range",
        ),
        (
            full("2031-12-31").replace("acknowledgement_days = 5", "acknowledgement_days = -5"),
            "xr100.toml:22:",
        ),
    ];
    for (text, expected) in cases {
        let message = error(&text);
        assert!(
            message.contains(expected),
            "expected `{expected}` in:\n{message}"
        );
    }
}

#[test]
fn every_problem_is_listed() {
    let text = full("2031-12-31")
        .replace("requirement = \"ECD-1.7\"", "requirement = \"ECD-0.1\"")
        .replace("valid_until = 2027-05-01", "valid_until = 2020-01-01");
    let message = error(&text);
    assert!(message.contains("(3 problems)"), "{message}");
}

#[test]
fn hostile_input_never_panics() {
    let catalog = catalog();
    let good = full("2031-12-31");
    // Every prefix, and a few garbled variants.
    for end in (0..good.len()).step_by(7) {
        if let Some(prefix) = good.get(..end) {
            let _ = Declaration::parse("x.toml", prefix, &catalog, today());
        }
    }
    for text in [
        String::new(),
        "\u{0}".repeat(100),
        "[[claim]]\n".repeat(1000),
        format!("{good}\n[product]\n"),
        good.replace('=', "=="),
        "format = 1".into(),
        format!("{}\n", "a".repeat(100_000)),
    ] {
        let _ = Declaration::parse("x.toml", &text, &catalog, today());
    }
    // Every third byte replaced by bytes that matter to TOML and to the validators; what still
    // parses is also applied.
    let base = report();
    let bytes = good.as_bytes();
    for position in (0..bytes.len()).step_by(3) {
        for replacement in [b'"', b'=', b'[', b'\n', b'9', b'-', 0xff] {
            let mut copy = bytes.to_vec();
            copy[position] = replacement;
            let text = String::from_utf8_lossy(&copy);
            if let Ok(declaration) = Declaration::parse("x.toml", &text, &catalog, today()) {
                let mut report = base.clone();
                let _ = apply(&mut report, &declaration, &catalog, today());
            }
        }
    }
    let long = good.replace(
        "Tamper-evident enclosure",
        &"x".repeat(hallmark_declare::MAX_TEXT_CHARS + 1),
    );
    assert!(error(&long).contains("the limit is 4096"));
    let huge = "#".repeat(hallmark_declare::MAX_DECLARATION_BYTES as usize + 1);
    assert!(matches!(
        Declaration::parse("x.toml", &huge, &catalog, today()),
        Err(DeclarationError::TooLarge { .. })
    ));
}

#[test]
fn the_template_is_commented_valid_toml_that_validates_once_filled() {
    let catalog = catalog();
    let mut prefill = Prefill {
        image_name: Some("fw.bin".into()),
        image_sha256: Some(SHA.into()),
        os: Some("OpenWrt 23.05".into()),
        components: vec![("busybox".into(), Some("1.36.1".into()))],
        updates: vec!["opkg from http://downloads.example.com (signatures not verified)".into()],
        ..Prefill::default()
    };
    prefill.verdicts.insert("ECD-2.1".into(), Verdict::Fail);
    let text = template(&catalog, &prefill);
    assert!(text.contains(SHA));
    assert!(text.contains("busybox 1.36.1"));
    assert!(text.contains("opkg from http://downloads.example.com"));
    assert!(text.contains("The assessment FAILED: ECD-2.1"));
    // Every uncommented or commented `key = value` line has a comment above it.
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let bare = line.trim_start_matches("# ");
        let is_field = !line.starts_with("#   ")
            && bare.contains(" = ")
            && !bare.starts_with("requirement")
            && !bare.starts_with("status")
            && !bare.starts_with("justification")
            && !bare.starts_with("document")
            && !bare.starts_with("url")
            && !bare.starts_with("section");
        if is_field {
            let above = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.trim_start_matches("# ").contains(" = "))
                .unwrap();
            assert!(above.starts_with('#'), "no comment above `{line}`");
        }
    }
    // As written it is TOML, and the missing identity is named field by field.
    let message = error(&text);
    for field in [
        "product.manufacturer",
        "product.model",
        "product.firmware_version",
    ] {
        assert!(message.contains(field), "{field}: {message}");
    }
    // Once the identity is filled in, it validates, and uncommenting the examples works too.
    let filled = text
        .replace("manufacturer = \"\"", "manufacturer = \"Example\"")
        .replace("model = \"\"", "model = \"XR-100\"")
        .replace("firmware_version = \"\"", "firmware_version = \"1.4.2\"");
    Declaration::parse("t.toml", &filled, &catalog, today()).unwrap();
    let uncommented: String = filled
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.contains(" = ")
                    || rest.starts_with("[[claim")
                    || rest.starts_with("Contact:")
                    || rest.starts_with("Expires:")
                    || rest.starts_with("Policy:")
                    || rest == "\"\"\"" =>
            {
                rest.to_owned()
            }
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let declaration = Declaration::parse("t.toml", &uncommented, &catalog, today())
        .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    assert!(declaration.support.end_date.is_some());
    assert!(declaration.claim("ECD-1.7").is_some());
    // The blank template has no digest and says so when parsed.
    let blank = template(&catalog, &Prefill::default());
    assert!(error(&blank).contains("product.image_sha256"));
}
