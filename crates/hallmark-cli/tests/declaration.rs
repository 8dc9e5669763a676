//! `hallmark assess --declaration`, `hallmark declaration init|check`, `hallmark attest` and
//! `hallmark verify`, end to end on the bundled example and a shared-corpus synthetic image.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{example, hallmark};

mod support;

fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("declaration-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hallmark_attest::hex(&sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A complete declaration for the image with digest `sha`; `end` is the support end date.
/// It claims ECD-2.1 `supported`, which is false for both test images.
fn declaration(sha: &str, end: &str) -> String {
    format!(
        r#"format = "hallmark-declaration/1"

[declaration]
issued = 2024-01-15

[product]
manufacturer = "Demo Networks Ltd"
model = "DR-1"
firmware_version = "1.0.0"
image_sha256 = "{sha}"

[support]
end_date = {end}
published_at = "https://demo.example/support/lifecycle"

[disclosure]
contact = "mailto:security@demo.example"
policy_url = "https://demo.example/security/disclosure"
acknowledgement_days = 5
status_update_days = 30

[transparency]
sbom_url = "https://demo.example/sbom/dr1-1.0.0.cdx.json"
sbom_format = "cyclonedx"
advisories_url = "https://demo.example/csaf/"

[updates]
mode = "scheduled"
check_interval_hours = 24
admin_can_defer = true
max_deferral_days = 14
local_mirror = true
notification = "Banner in the admin UI and a syslog message"
admin_control = "Maintenance window and staging groups on the update page"

[hardware]
key_storage = "tpm"
debug_ports = "fused"
flash_readout_protection = true
physical_threats = "Sealed enclosure; keys in the TPM"

[documentation]
deployment_guide = "https://demo.example/docs/deploy"
network_requirements = "https://demo.example/docs/ports"
installation_verification = "https://demo.example/docs/verify"
asset_inventory = "https://demo.example/docs/inventory"

[[claim]]
requirement = "ECD-2.1"
status = "supported"
justification = "Every unit has its own password"
"#
    )
}

/// The JSON report of `image` assessed with `declaration` written to `dir/name`.
fn assess_with(dir: &Path, image: &Path, name: &str, text: &str) -> Value {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let (code, stdout, stderr) = hallmark(&[
        "assess",
        "-q",
        s(image),
        "--format",
        "json",
        "--declaration",
        s(&file),
    ]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn requirement<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

/// Declaration-only requirements go from INCONCLUSIVE to PASS, FAIL or (missing content)
/// INCONCLUSIVE naming the field, and the false ECD-2.1 claim is a contradiction.
fn declaration_decides(image: &Path, tag: &str) {
    let dir = temp_dir(tag);
    let sha = sha256(image);
    let (code, stdout, _) = hallmark(&["assess", "-q", s(image), "--format", "json"]);
    assert_eq!(code, 0);
    let plain: Value = serde_json::from_str(&stdout).unwrap();
    // Without a declaration none of them passes; the declaration-only ones are open.
    for id in ["ECD-1.6", "ECD-1.7", "ECD-4.5", "ECD-5.4", "ECD-9.5"] {
        assert_ne!(requirement(&plain, id)["verdict"], "PASS", "{id}");
    }
    for id in ["ECD-4.5", "ECD-9.5"] {
        assert_eq!(requirement(&plain, id)["verdict"], "INCONCLUSIVE", "{id}");
    }
    assert_eq!(requirement(&plain, "ECD-2.1")["verdict"], "FAIL");

    // Future support date and a valid disclosure contact: PASS, except where a test already
    // failed the requirement (tests outrank claims).
    let good = assess_with(&dir, image, "good.toml", &declaration(&sha, "2099-12-31"));
    for id in ["ECD-1.6", "ECD-1.7", "ECD-4.5", "ECD-5.4", "ECD-9.5"] {
        let expected = if requirement(&plain, id)["verdict"] == "FAIL" {
            "FAIL"
        } else {
            "PASS"
        };
        assert_eq!(requirement(&good, id)["verdict"], expected, "{tag} {id}");
    }
    let outcome = good["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["check"] == "declaration-support-period")
        .unwrap();
    let location = &outcome["evidence"][0]["location"];
    assert_eq!(location["kind"], "document");
    assert_eq!(location["field"], "support.end_date");
    assert_eq!(location["line"], 13);
    assert!(location["path"].as_str().unwrap().ends_with("good.toml"));
    assert!(
        good["summary"]["assurance"]["decided"].as_u64()
            > plain["summary"]["assurance"]["decided"].as_u64()
    );
    let inputs = good["provenance"]["inputs"].as_array().unwrap();
    assert_eq!(inputs[1]["kind"], "declaration");

    // The false claim: ECD-2.1 stays FAIL, with a contradiction finding.
    assert_eq!(requirement(&good, "ECD-2.1")["verdict"], "FAIL");
    let contradiction = good["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["check"] == "declaration-contradiction")
        .expect("a declaration-contradiction outcome");
    assert_eq!(contradiction["verdict"], "FAIL");
    let finding = &contradiction["findings"][0];
    assert_eq!(finding["requirements"][0], "ECD-2.1");
    assert_eq!(finding["severity"], "critical");
    assert_eq!(finding["evidence"][0]["location"]["field"], "claim.status");
    assert_eq!(finding["evidence"][0]["location"]["line"], 50);
    assert_eq!(
        finding["evidence"][1]["kind"], "firmware",
        "the tested evidence is quoted"
    );

    // A past support date: FAIL.
    let past = assess_with(&dir, image, "past.toml", &declaration(&sha, "2001-01-01"));
    assert!(
        past["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["check"] == "declaration-support-period" && o["verdict"] == "FAIL")
    );
    for id in ["ECD-1.7", "ECD-5.4"] {
        assert_eq!(requirement(&past, id)["verdict"], "FAIL", "{tag} {id}");
    }
    assert_eq!(requirement(&past, "ECD-9.5")["verdict"], "PASS");

    // Dates are judged against the assessment's --date.
    let file = dir.join("ends-2029.toml");
    std::fs::write(&file, declaration(&sha, "2029-12-31")).unwrap();
    for (date, expected) in [("2029-12-31", "PASS"), ("2030-01-01", "FAIL")] {
        let (code, stdout, stderr) = hallmark(&[
            "assess",
            "-q",
            s(image),
            "--format",
            "json",
            "--date",
            date,
            "--declaration",
            s(&file),
        ]);
        assert_eq!(code, 0, "{stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            requirement(&report, "ECD-5.4")["verdict"],
            expected,
            "{date}"
        );
        assert_eq!(report["provenance"]["settings"]["declaration_date"], date);
    }

    // No contact: INCONCLUSIVE, naming the field (unless a test already failed ECD-1.7).
    let text =
        declaration(&sha, "2099-12-31").replace("contact = \"mailto:security@demo.example\"\n", "");
    let missing = assess_with(&dir, image, "nocontact.toml", &text);
    let names_contact = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .any(|m| m.as_str().unwrap().contains("`disclosure.contact`"))
    };
    let outcome = missing["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["check"] == "declaration-vulnerability-disclosure")
        .unwrap();
    assert_eq!(outcome["verdict"], "INCONCLUSIVE");
    assert!(names_contact(&outcome["missing"]), "{outcome}");
    let r = requirement(&missing, "ECD-1.7");
    if requirement(&plain, "ECD-1.7")["verdict"] == "FAIL" {
        assert_eq!(r["verdict"], "FAIL", "tests outrank claims");
    } else {
        assert_eq!(r["verdict"], "INCONCLUSIVE");
        assert!(names_contact(&r["missing"]), "{r}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn declaration_turns_declaration_only_requirements_on_the_example() {
    declaration_decides(&example(), "example");
}

#[test]
fn declaration_turns_declaration_only_requirements_on_a_corpus_image() {
    let Some(image) =
        support::shared_corpus().map(|c| c.join("synthetic/router-armhf/firmware.bin"))
    else {
        return;
    };
    declaration_decides(&image, "corpus");
}

#[test]
fn bad_declarations_are_refused_with_file_line_and_field() {
    let dir = temp_dir("bad");
    let image = example();
    let good = declaration(&sha256(&image), "2099-12-31");
    let cases = [
        (
            "malformed.toml",
            good.replace("model = \"DR-1\"", "model = DR-1"),
            "malformed.toml:8:9: field `product.model`",
        ),
        (
            "unknown.toml",
            good.replace("requirement = \"ECD-2.1\"", "requirement = \"ECD-2.99\""),
            "unknown.toml:49:15: field `claim.requirement`: `ECD-2.99` is not a requirement",
        ),
        (
            "issued.toml",
            good.replace("issued = 2024-01-15", "issued = 2099-01-15"),
            "issued.toml:4:10: field `declaration.issued`: 2099-01-15 is in the future",
        ),
        (
            "lapsed.toml",
            good.replace(
                "issued = 2024-01-15",
                "issued = 2024-01-15\nvalid_until = 2024-12-31",
            ),
            "lapsed.toml:5:15: field `declaration.valid_until`: the declaration lapsed on 2024-12-31",
        ),
        (
            "other-image.toml",
            declaration(&"0".repeat(64), "2099-12-31"),
            "other-image.toml:10:16: field `product.image_sha256`: declares image 0000",
        ),
    ];
    for (name, text, expected) in cases {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        let (code, stdout, stderr) =
            hallmark(&["assess", "-q", s(&image), "--declaration", s(&file)]);
        assert_eq!(code, 2, "{name}: {stdout}");
        assert!(stdout.is_empty(), "no report on bad input");
        assert!(
            stderr.contains(expected),
            "{name}: expected `{expected}` in {stderr}"
        );
    }
    // `declaration check` gives the same errors without assessing, and checks the image.
    let (code, _, stderr) = hallmark(&["declaration", "check", s(&dir.join("unknown.toml"))]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown.toml:49:15"), "{stderr}");
    let (code, _, stderr) = hallmark(&[
        "declaration",
        "check",
        s(&dir.join("other-image.toml")),
        "--image",
        s(&image),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("field `product.image_sha256`"), "{stderr}");
    let file = dir.join("good.toml");
    std::fs::write(&file, &good).unwrap();
    let (code, stdout, stderr) =
        hallmark(&["declaration", "check", s(&file), "--image", s(&image)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("valid declaration"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn declaration_init_writes_a_prefilled_commented_template() {
    let dir = temp_dir("init");
    let image = example();
    let file = dir.join("decl.toml");
    let (code, _, stderr) = hallmark(&["declaration", "init", s(&image), "-o", s(&file), "-q"]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&format!("image_sha256 = \"{}\"", sha256(&image))));
    assert!(text.contains("busybox 1.30.1"), "components listed");
    assert!(
        text.contains("update.example.invalid"),
        "update mechanism listed"
    );
    assert!(text.contains("ECD-2.1"), "failed requirements listed");
    // It never overwrites.
    let (code, _, stderr) = hallmark(&["declaration", "init", "-o", s(&file)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("must not exist"), "{stderr}");
    // Filled in, it is accepted by assess.
    let filled = text
        .replace("manufacturer = \"\"", "manufacturer = \"Demo\"")
        .replace("model = \"\"", "model = \"DR-1\"")
        .replace("firmware_version = \"\"", "firmware_version = \"1.0\"");
    let report = assess_with(&dir, &image, "filled.toml", &filled);
    let r = requirement(&report, "ECD-1.7");
    assert_eq!(r["verdict"], "INCONCLUSIVE");
    assert!(r["missing"].to_string().contains("support.end_date"));
    // Without an image: the blank template on stdout.
    let (code, stdout, _) = hallmark(&["declaration", "init"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("# Hallmark manufacturer declaration"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn attest_and_verify_round_trip_and_reject_tampering() {
    let dir = temp_dir("attest");
    let image = example();
    let key = dir.join("signing.pem");
    let (code, stdout, stderr) = hallmark(&["attest", "keygen", "-o", s(&key)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("key id"), "{stdout}");
    let public = dir.join("signing.pem.pub");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "private key is owner-only");
    }
    assert!(
        std::fs::read_to_string(&public)
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    let (code, _, stderr) = hallmark(&["attest", "keygen", "-o", s(&key)]);
    assert_eq!(code, 2, "keygen never overwrites");
    assert!(stderr.contains("must not exist"), "{stderr}");

    // Report with a declaration, attested.
    let report = dir.join("report.json");
    let decl = dir.join("decl.toml");
    std::fs::write(&decl, declaration(&sha256(&image), "2099-12-31")).unwrap();
    let (code, _, stderr) = hallmark(&[
        "assess",
        "-q",
        s(&image),
        "--declaration",
        s(&decl),
        "--format",
        "json",
        "-o",
        s(&report),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let statement = dir.join("statement.json");
    let (code, _, stderr) =
        hallmark(&["attest", s(&report), "--key", s(&key), "-o", s(&statement)]);
    assert_eq!(code, 0, "{stderr}");
    let envelope: Value = serde_json::from_slice(&std::fs::read(&statement).unwrap()).unwrap();
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    use base64::Engine;
    let payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        payload["predicateType"],
        "https://hallmark.invalid/conformance/v1"
    );
    assert_eq!(payload["subject"][0]["name"], "demo-router.tar.gz");
    assert_eq!(payload["subject"][0]["digest"]["sha256"], sha256(&image));
    assert_eq!(payload["predicate"]["report"]["sha256"], sha256(&report));
    assert_eq!(
        payload["predicate"]["requirements"]
            .as_array()
            .unwrap()
            .len(),
        62
    );
    assert_eq!(payload["predicate"]["inputs"][0]["name"], "decl.toml");

    // Verifies, with and without the image.
    let (code, stdout, stderr) = hallmark(&[
        "verify",
        s(&statement),
        "--key",
        s(&public),
        "--image",
        s(&image),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("verified"), "{stdout}");
    assert!(stdout.contains("matches the image"), "{stdout}");
    assert!(stdout.contains("assurance"), "{stdout}");
    assert!(stdout.contains("uk-ecd-cop"), "{stdout}");
    let (code, _, _) = hallmark(&["verify", s(&statement), "--key", s(&public)]);
    assert_eq!(code, 0);

    let rejected = |statement: &Path, key: &Path, extra: &[&str], reason: &str| {
        let mut args = vec!["verify", s(statement), "--key", s(key)];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = hallmark(&args);
        assert_eq!(code, 1, "{args:?}: {stdout}");
        assert!(
            stderr.contains("verification failed") && stderr.contains(reason),
            "expected `{reason}` in {stderr}"
        );
    };

    // Another image.
    let other = dir.join("other.bin");
    std::fs::write(&other, b"not the firmware that was assessed").unwrap();
    rejected(
        &statement,
        &public,
        &["--image", s(&other)],
        "the statement is about another image",
    );
    // Another catalogue version.
    rejected(
        &statement,
        &public,
        &["--catalog-version", "2027.1"],
        "expected uk-ecd-cop 2027.1",
    );
    // The wrong key.
    let other_key = dir.join("other.pem");
    let (code, _, _) = hallmark(&["attest", "keygen", "-o", s(&other_key)]);
    assert_eq!(code, 0);
    rejected(
        &statement,
        &dir.join("other.pem.pub"),
        &[],
        "not by the given key",
    );
    // Tampered bytes, a sample through the CLI (the library test flips every byte).
    let bytes = std::fs::read(&statement).unwrap();
    let tampered = dir.join("tampered.json");
    for position in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 30] {
        let mut copy = bytes.clone();
        copy[position] ^= 0x01;
        std::fs::write(&tampered, &copy).unwrap();
        let (code, _, stderr) = hallmark(&["verify", s(&tampered), "--key", s(&public)]);
        assert_eq!(code, 1, "byte {position}: {stderr}");
        assert!(stderr.contains("verification failed"), "{stderr}");
    }
    // A re-signed statement about another image (payload swapped, signature kept).
    let mut forged = envelope.clone();
    let swapped = serde_json::to_vec(&{
        let mut p = payload.clone();
        p["subject"][0]["digest"]["sha256"] = Value::String(sha256(&other));
        p
    })
    .unwrap();
    forged["payload"] = Value::String(base64::engine::general_purpose::STANDARD.encode(swapped));
    std::fs::write(&tampered, serde_json::to_vec(&forged).unwrap()).unwrap();
    rejected(
        &tampered,
        &public,
        &["--image", s(&other)],
        "the signature does not match the payload",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
