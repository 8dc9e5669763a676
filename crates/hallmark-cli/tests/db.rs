//! `hallmark db import` / `db status`, and `assess` with and without a vulnerability store.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn hallmark(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hallmark"));
    command.args(args).env("NO_COLOR", "1");
    // Never the developer's own store.
    command.env(
        "HALLMARK_VULN_DB",
        "/nonexistent/hallmark-test/vuln.sqlite3",
    );
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hallmark-db-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn verdict<'a>(report: &'a serde_json::Value, check: &str) -> &'a serde_json::Value {
    report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["check"] == check)
        .unwrap_or_else(|| panic!("no outcome for {check}"))
}

#[test]
fn import_status_and_assess_with_the_store() {
    let Some(corpus) = support::shared_corpus() else {
        return;
    };
    let dir = temp_dir("store");
    let db = dir.join("data/vuln.sqlite3");
    let db = db.to_str().unwrap();
    let data = corpus.join("vulndata");
    let file = |name: &str| data.join(name).to_str().unwrap().to_owned();

    // No store yet: status says how to import, and nothing is created.
    let run = hallmark(&["db", "status", "--vuln-db", db], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("hallmark db import"), "{}", run.stdout);
    assert!(!Path::new(db).exists());

    let (nvd, kev, secdb) = (
        file("nvd-embedded-subset.json"),
        file("cisa-kev-iot-subset.json"),
        file("alpine-secdb-embedded-subset.json"),
    );
    let run = hallmark(&["db", "import", &nvd, &kev, &secdb, "--vuln-db", db], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "nvd-embedded-subset.json: nvd-condensed, 12 records, snapshot 2026-06-17T04:43:02.373"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("cisa-kev-iot-subset.json: cisa-kev, 120 records, snapshot 2025.08.25"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("alpine-secdb-embedded-subset.json: alpine-secdb-converted, 206 records"),
        "{}",
        run.stdout
    );

    // HALLMARK_VULN_DB is honoured like --vuln-db; a bad file fails alone, named.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let run = hallmark(
        &["db", "import", bad.to_str().unwrap(), &nvd],
        &[("HALLMARK_VULN_DB", db)],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("bad.json: not a recognised vulnerability data format"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("imported"), "{}", run.stdout);

    let run = hallmark(&["db", "status"], &[("HALLMARK_VULN_DB", db)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for text in [
        db,
        "schema 1",
        "alpine-secdb",
        "kev",
        "2025.08.25 (released 2025-08-25T17:04:19.9796Z)",
        "records: alpine-secdb ",
        "nvd 12",
        "3 device-level records",
        "120 KEV entries",
    ] {
        assert!(run.stdout.contains(text), "{text}:\n{}", run.stdout);
    }
    assert_eq!(
        run.stdout.matches("nvd-embedded-subset.json").count(),
        1,
        "{}",
        run.stdout
    );

    // assess: the synthetic router's BusyBox 1.30.1 has CVE-2022-48174 (CVSS 9.8).
    let image = corpus.join("synthetic/router-armhf/firmware.bin");
    let image = image.to_str().unwrap();
    let run = hallmark(
        &[
            "assess",
            image,
            "--format",
            "json",
            "--vuln-db",
            db,
            "--date",
            "2026-06-01",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let critical = verdict(&report, "vulnerabilities-critical");
    assert_eq!(critical["verdict"], "FAIL", "{critical:#}");
    assert!(
        critical["findings"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("busybox 1.30.1 has 1 critical vulnerability: CVE-2022-48174")
    );
    assert_eq!(
        verdict(&report, "vulnerabilities-known-exploited")["verdict"],
        "PASS"
    );
    // OpenSSL 1.1.1w's branch ended on 2023-09-11; the kernel 4.14 on 2024-01-10.
    let eol = verdict(&report, "components-end-of-life");
    assert_eq!(eol["verdict"], "FAIL", "{eol:#}");
    assert_eq!(eol["findings"].as_array().unwrap().len(), 2, "{eol:#}");
    let settings = &report["provenance"]["settings"];
    assert_eq!(settings["assessed_on"], "2026-06-01");
    assert_eq!(
        settings["vulnerability_data"].as_array().unwrap().len(),
        3,
        "{settings:#}"
    );

    // A VEX statement suppresses the match; it stays in the data, and the check passes.
    let vex = dir.join("vex.json");
    std::fs::write(
        &vex,
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-2022-48174"}, "products": [{"@id": "pkg:generic/busybox@1.30.1"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let run = hallmark(
        &[
            "assess",
            image,
            "--format",
            "json",
            "--vuln-db",
            db,
            "--vex",
            vex.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("1 suppressed by VEX"), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        verdict(&report, "vulnerabilities-critical")["verdict"],
        "PASS"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn assess_without_a_store_is_inconclusive_and_says_how_to_import() {
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-router.tar.gz");
    let run = hallmark(
        &["assess", image.to_str().unwrap(), "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no vulnerability data at /nonexistent/hallmark-test/vuln.sqlite3"),
        "{}",
        run.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for check in [
        "vulnerabilities-critical",
        "vulnerabilities-known-exploited",
    ] {
        let o = verdict(&report, check);
        assert_eq!(o["verdict"], "INCONCLUSIVE", "{o:#}");
        assert!(
            o["missing"][0]
                .as_str()
                .unwrap()
                .contains("hallmark db import"),
            "{o:#}"
        );
    }
    assert!(report["provenance"]["settings"]["vulnerability_data"].is_null());
    assert!(!Path::new("/nonexistent/hallmark-test").exists());
    let run = hallmark(&["assess", image.to_str().unwrap(), "--date", "June"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("YYYY-MM-DD"), "{}", run.stderr);
}
