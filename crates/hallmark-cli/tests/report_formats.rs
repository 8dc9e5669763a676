//! The report renderers: snapshots of every format (terminal, JSON, SARIF, Markdown, HTML) on a
//! corpus image and of several on the bundled example; the SARIF output checked by the format
//! owners' validator (`sarif-multitool`, installed by `.ci/install-deps.sh`) with no errors;
//! framework views and `hallmark diff`.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{repo, shared_corpus};

mod support;

/// Runs `hallmark assess IMAGE -q --format FORMAT` from `dir` (so that the image name in the
/// report is the relative path given, the same on every machine).
fn assess(dir: &Path, image: &str, format: &str) -> String {
    let out = support::command()
        .current_dir(dir)
        // A fixed assessment date keeps end-of-life verdicts, and the snapshots, stable.
        .args([
            "assess",
            "-q",
            "--date",
            "2026-11-25",
            "--format",
            format,
            image,
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The validator, or `None` with a notice (under CI a missing validator is a failure).
fn sarif_multitool() -> Option<PathBuf> {
    let dir = std::env::var_os("HALLMARK_SARIF_TOOL_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/hallmark/sarif-multitool"))
        })?;
    let tool = dir.join("node_modules/.bin/sarif-multitool");
    if tool.is_file() {
        return Some(tool);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs sarif-multitool in {} (run .ci/install-deps.sh)",
        dir.display()
    );
    eprintln!(
        "NOTICE: SARIF validation skipped; run .ci/install-deps.sh to install sarif-multitool in {}",
        dir.display()
    );
    None
}

/// Validates `sarif` and returns the validator's error messages (warnings are allowed).
fn sarif_errors(sarif: &str, name: &str) -> Vec<String> {
    let Some(tool) = sarif_multitool() else {
        return Vec::new();
    };
    let dir = std::env::temp_dir().join(format!("hallmark-sarif-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("{name}.sarif"));
    let output = dir.join(format!("{name}.validation.sarif"));
    std::fs::write(&input, sarif).unwrap();
    let run = Command::new(tool)
        .arg("validate")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        output.is_file(),
        "sarif-multitool wrote no result: {}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let rules: Vec<Value> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    log["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["level"] == "error")
        .map(|r| {
            let rule = r["ruleId"].as_str().unwrap_or("?");
            let text = rules
                .iter()
                .find(|d| d["id"] == rule)
                .map(|d| d["shortDescription"]["text"].to_string())
                .unwrap_or_default();
            format!("{rule} {text} {}", r["message"]["arguments"])
        })
        .collect()
}

#[test]
fn example_sarif_validates_and_locates_findings() {
    let sarif = assess(&repo(), "examples/demo-router.tar.gz", "sarif");
    let errors = sarif_errors(&sarif, "example");
    assert!(errors.is_empty(), "{errors:#?}");
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let run = &log["runs"][0];
    // One rule per check, whether or not it found anything.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 40, "{}", rules.len());
    let telnet = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "services-telnet")
        .expect("a services-telnet result");
    let location = &telnet["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "etc/init.d/S40telnetd");
    assert_eq!(location["region"]["startLine"], 3);
    assert_eq!(telnet["level"], "error");
    insta::assert_snapshot!("example_sarif", sarif);
}

#[test]
fn example_markdown() {
    let markdown = assess(&repo(), "examples/demo-router.tar.gz", "markdown");
    assert!(markdown.contains("### `services-telnet`"), "{markdown}");
    insta::assert_snapshot!("example_markdown", markdown);
}

#[test]
fn corpus_image_renders_and_sarif_validates() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let image = "synthetic/router-armhf/firmware.bin";
    let sarif = assess(&corpus, image, "sarif");
    let errors = sarif_errors(&sarif, "router");
    assert!(errors.is_empty(), "{errors:#?}");
    insta::assert_snapshot!("router_armhf_sarif", sarif);
    insta::assert_snapshot!("router_armhf_markdown", assess(&corpus, image, "markdown"));
    insta::assert_snapshot!("router_armhf_terminal", assess(&corpus, image, "terminal"));
    insta::assert_snapshot!("router_armhf_json", assess(&corpus, image, "json"));
    insta::assert_snapshot!("router_armhf_html", assess(&corpus, image, "html"));
}

/// The example with one weakness fixed: `etc/init.d/S99custom` is no longer world-writable
/// (mode 0777 -> 0755; the tar header's mode and checksum patched, nothing else changed).
fn example_with_fixed_permissions() -> Vec<u8> {
    use std::io::{Read, Write};
    let gz = std::fs::read(repo().join("examples/demo-router.tar.gz")).unwrap();
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut tar)
        .unwrap();
    let at = tar
        .chunks(512)
        .position(|block| block.starts_with(b"etc/init.d/S99custom\0"))
        .expect("S99custom in the example")
        * 512;
    let header = &mut tar[at..at + 512];
    assert_eq!(&header[100..107], b"0000777");
    header[100..108].copy_from_slice(b"0000755\0");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    out.write_all(&tar).unwrap();
    out.finish().unwrap()
}

#[test]
fn diff_of_two_versions_reports_exactly_the_fix() {
    let dir = std::env::temp_dir().join(format!("hallmark-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        repo().join("examples/demo-router.tar.gz"),
        dir.join("router-1.0.tar.gz"),
    )
    .unwrap();
    std::fs::write(
        dir.join("router-1.1.tar.gz"),
        example_with_fixed_permissions(),
    )
    .unwrap();
    std::fs::write(
        dir.join("old.json"),
        assess(&dir, "router-1.0.tar.gz", "json"),
    )
    .unwrap();
    std::fs::write(
        dir.join("new.json"),
        assess(&dir, "router-1.1.tar.gz", "json"),
    )
    .unwrap();

    let run = |args: &[&str]| {
        let out = support::command()
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, json) = run(&["diff", "old.json", "new.json", "--format", "json"]);
    assert_eq!(code, Some(0));
    let diff: Value = serde_json::from_str(&json).unwrap();
    let ids = |key: &str| -> Vec<String> {
        diff[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let fixed = ids("fixed");
    assert_eq!(fixed.len(), 1, "{fixed:?}");
    assert!(
        fixed[0].starts_with("permissions-world-writable") && fixed[0].contains("S99custom"),
        "{fixed:?}"
    );
    assert!(ids("new").is_empty());
    assert!(diff["components_added"].as_array().unwrap().is_empty());
    assert!(diff["components_removed"].as_array().unwrap().is_empty());
    assert!(diff["components_changed"].as_array().unwrap().is_empty());
    insta::assert_snapshot!("diff_markdown", run(&["diff", "old.json", "new.json"]).1);

    // Swapped, the fix is a regression, and --fail-on-new trips.
    let (code, _) = run(&["diff", "new.json", "old.json", "--fail-on-new"]);
    assert_eq!(code, Some(1));
    let (code, _) = run(&["diff", "old.json", "new.json", "--fail-on-new"]);
    assert_eq!(code, Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn framework_view_of_the_example() {
    let dir = repo();
    let run = |format: &str| {
        let out = support::command()
            .current_dir(&dir)
            .args([
                "assess",
                "-q",
                "--date",
                "2026-11-25",
                "--framework",
                "etsi-en-303-645",
                "--format",
                format,
            ])
            .arg("examples/demo-router.tar.gz")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 68);
    let item = |id: &str| items.iter().find(|i| i["id"] == id).unwrap();
    // Default passwords: the example has root/admin, so 5.1-1 is not supported.
    assert_eq!(item("5.1-1")["status"], "not_supported");
    // No item is supported on inconclusive or partial evidence alone.
    for i in items {
        if i["status"] == "supported" {
            assert!(
                i["covered_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["full"] == true)
                    .all(|c| c["verdict"] == "PASS"),
                "{i}"
            );
        }
    }
    insta::assert_snapshot!("example_etsi_view", run("markdown"));
}
