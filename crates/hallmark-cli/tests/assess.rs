//! `hallmark assess` on the bundled example: verdicts, evidence locations, output formats.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use support::{example, hallmark};

mod support;

fn verdict(report: &serde_json::Value, check: &str) -> String {
    report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["check"] == check)
        .unwrap_or_else(|| panic!("no outcome for {check}"))["verdict"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_example_fails_where_its_weaknesses_are_and_says_where() {
    let image = example();
    let (code, out, err) = hallmark(&["assess", image.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("unpacking"), "progress goes to stderr: {err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    for check in [
        "services-telnet",
        "services-unauthenticated-shells",
        "services-ssh-blank-passwords",
        "services-snmp-communities",
        "secrets-hardcoded",
        "transport-cleartext-endpoints",
        "updates-signed",
        "updates-secure-channel",
        "permissions-world-writable",
        "permissions-setuid",
    ] {
        assert_eq!(verdict(&report, check), "FAIL", "{check}");
    }
    // Nothing about Wi-Fi or FTP is in the image: not applicable, with the reason.
    assert_eq!(verdict(&report, "services-wifi"), "NOT_APPLICABLE");
    // No requirement passes without evidence; every requirement has a verdict.
    let requirements = report["requirements"].as_array().unwrap();
    assert_eq!(requirements.len(), 62);
    for r in requirements {
        if r["checks"].as_array().is_none_or(|c| c.is_empty()) {
            assert_eq!(r["verdict"], "INCONCLUSIVE", "{}", r["id"]);
            assert!(!r["missing"].as_array().unwrap().is_empty(), "{}", r["id"]);
        }
    }
    // Findings point into the image: layer chain, path and line.
    let telnet = report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["check"] == "services-telnet")
        .unwrap();
    let location = &telnet["findings"][0]["evidence"][0]["location"];
    assert_eq!(location["path"], "/etc/init.d/S40telnetd");
    assert_eq!(location["line"], 3);
    assert_eq!(location["chain"][1]["format"], "tar");
    assert_eq!(
        report["provenance"]["inputs"][0]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn terminal_output_and_report_file() {
    let image = example();
    let (code, out, _) = hallmark(&["assess", image.to_str().unwrap(), "-q"]);
    assert_eq!(code, 0);
    assert!(out.contains("Support appropriate authentication"), "{out}");
    assert!(out.contains("FAIL services-telnet"), "{out}");
    assert!(out.contains("/etc/init.d/S40telnetd:3"), "{out}");

    let dir = std::env::temp_dir().join(format!("hallmark-assess-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.json");
    let (code, out, _) = hallmark(&[
        "assess",
        image.to_str().unwrap(),
        "--format",
        "json",
        "-q",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(out.is_empty());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(report["schema_version"], "1.2.0");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_image_is_a_usage_error() {
    let (code, _, err) = hallmark(&["assess", "/nonexistent/fw.bin"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot assess"), "{err}");
}

/// A newc cpio archive of `files` (path, content), regular files with mode 0644.
fn cpio(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut entry = |name: &str, mode: u32, data: &[u8]| {
        let header = format!(
            "070701{:08x}{mode:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            1,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    for dir in ["etc", "bin"] {
        entry(dir, 0o040755, b"");
    }
    for (path, data) in files {
        entry(path, 0o100644, data);
    }
    entry("TRAILER!!!", 0, b"");
    out
}

#[test]
fn password_dictionary_depth_and_budget() {
    // One account with a random password (MD5-crypt, so the whole dictionary is cheap).
    let dir = std::env::temp_dir().join(format!("hallmark-crack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("rootfs.cpio");
    std::fs::write(
        &image,
        cpio(&[
            ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
            (
                "etc/shadow",
                b"root:$1$Hm4rkT35$Koocst0fUN32ywnk9IVeY/:19723:0:99999:7:::\n",
            ),
        ]),
    )
    .unwrap();
    let outcome = |extra: &[&str]| {
        let mut args = vec!["assess", image.to_str().unwrap(), "--format", "json", "-q"];
        args.extend_from_slice(extra);
        let (code, out, err) = hallmark(&args);
        assert_eq!(code, 0, "{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        let o = report["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["check"] == "accounts-default-passwords")
            .unwrap()
            .clone();
        (o["verdict"].as_str().unwrap().to_owned(), o.to_string())
    };
    let (verdict, likely) = outcome(&[]);
    assert_eq!(verdict, "PASS", "{likely}");
    assert!(likely.contains("likely candidates"), "{likely}");
    let (verdict, full) = outcome(&["--crack", "full"]);
    assert_eq!(verdict, "PASS", "{full}");
    assert!(full.contains("whole dictionary"), "{full}");
    // A budget too small for the likely candidates leaves the question open.
    let (verdict, starved) = outcome(&["--crack-budget", "10"]);
    assert_eq!(verdict, "INCONCLUSIVE", "{starved}");
    assert!(starved.contains("only 10 candidates"), "{starved}");
    // The CI gate: nothing critical here, so `--fail-on critical` passes; the image still has
    // FAIL verdicts (no packet filter, for one), so `--fail-on fail` trips.
    let gate = |level: &str| {
        hallmark(&[
            "assess",
            image.to_str().unwrap(),
            "-q",
            "--fail-on",
            level,
            "--format",
            "json",
        ])
        .0
    };
    assert_eq!(gate("critical"), 0);
    assert_eq!(gate("fail"), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fail_on_gates_ci_on_the_example() {
    let image = example();
    let (code, out, err) = hallmark(&["assess", image.to_str().unwrap(), "--fail-on", "critical"]);
    assert_eq!(code, 1, "the example has critical findings");
    assert!(
        out.contains("Hallmark assessment"),
        "the report is still written"
    );
    assert!(err.contains("--fail-on"), "{err}");
    let (code, _, err) = hallmark(&["assess", image.to_str().unwrap(), "-q"]);
    assert_eq!(
        code, 0,
        "without a gate the exit code does not depend on verdicts: {err}"
    );
    let (code, _, _) = hallmark(&["assess", image.to_str().unwrap(), "--fail-on", "sometimes"]);
    assert_eq!(code, 2, "an unknown level is a usage error");
}
