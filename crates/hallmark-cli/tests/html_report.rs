//! `hallmark assess --format html` opened in real headless Chromium (Debian `chromium`,
//! installed by `.ci/install-deps.sh`): it renders, logs nothing to the console and makes no
//! network request. The harness is first shown to catch both on a page that does them.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::repo;

mod support;

/// The Chromium binary, or `None` with a notice (under CI a missing browser is a failure).
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HALLMARK_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        for name in ["chromium", "chromium-browser"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs chromium (run .ci/install-deps.sh)"
    );
    eprintln!("NOTICE: HTML rendering test skipped; install chromium (.ci/install-deps.sh)");
    None
}

/// What Chromium saw when it loaded a page.
struct Loaded {
    dom: String,
    console: Vec<String>,
    /// Requests the page itself made (not the browser's own), other than file: and data:.
    page_requests: Vec<String>,
}

fn load(chromium: &Path, page: &Path, dir: &Path) -> Loaded {
    let netlog = dir.join("netlog.json");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            // Nothing can leave the machine even if something tried: every request goes to a
            // closed local port.
            "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    let log: Value = serde_json::from_slice(&std::fs::read(&netlog).unwrap()).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    let page_requests = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == start_job)
        .filter(|e| {
            // The page's requests carry its file:// site; the browser's own (updates, time)
            // carry none.
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.contains("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str())
        .filter(|url| !url.starts_with("file:") && !url.starts_with("data:"))
        .map(str::to_owned)
        .collect();
    Loaded {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
        page_requests,
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hallmark-html-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_harness_catches_console_messages_and_requests() {
    let Some(chromium) = chromium() else { return };
    let dir = scratch("control");
    let page = dir.join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><title>x</title><img src=\"http://192.0.2.1/x.png\">\
         <script>console.error('boom')</script>",
    )
    .unwrap();
    let loaded = load(&chromium, &page, &dir);
    assert!(
        loaded.console.iter().any(|l| l.contains("boom")),
        "{:?}",
        loaded.console
    );
    assert_eq!(loaded.page_requests, ["http://192.0.2.1/x.png"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_html_report_renders_quietly_and_offline() {
    let Some(chromium) = chromium() else { return };
    let dir = scratch("report");
    let page = dir.join("report.html");
    let out = support::command()
        .current_dir(repo())
        .args(["assess", "-q", "--format", "html", "-o"])
        .arg(&page)
        .arg("examples/demo-router.tar.gz")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded = load(&chromium, &page, &dir);
    assert!(loaded.console.is_empty(), "{:#?}", loaded.console);
    assert!(
        loaded.page_requests.is_empty(),
        "{:#?}",
        loaded.page_requests
    );
    // Rendered: the DOM Chromium built holds the summary, the charts, a failed requirement
    // with its evidence, the framework tabs and the provenance.
    for needle in [
        "Hallmark assessment of <code>examples/demo-router.tar.gz</code>",
        "Assurance score",
        "<svg",
        "<details open=\"\" id=\"ECD-2.1\">",
        "/etc/shadow",
        "etsi-en-303-645",
        "id=\"provenance\"",
    ] {
        assert!(
            loaded.dom.contains(needle),
            "{needle} not in the rendered page"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
