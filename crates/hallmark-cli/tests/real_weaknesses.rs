//! The weaknesses each real corpus image's `SOURCE.md` documents come out as FAIL findings of
//! the right check, at the right path; the negative controls it documents give none
//! (`tests/data/real-weaknesses.json` lists both).
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

mod support;

/// The FAIL findings of `image`'s assessment, as (check, title, evidence paths).
fn fail_findings(image: &PathBuf) -> Vec<(String, String, Vec<String>)> {
    let out = support::command()
        .args(["assess", "-q", "--format", "json"])
        .arg(image)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found = Vec::new();
    for outcome in report["outcomes"].as_array().unwrap() {
        if outcome["verdict"] != "FAIL" {
            continue;
        }
        for f in outcome["findings"].as_array().unwrap() {
            let paths = f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["location"]["path"].as_str().map(str::to_owned))
                .collect();
            found.push((
                outcome["check"].as_str().unwrap().to_owned(),
                f["title"].as_str().unwrap().to_owned(),
                paths,
            ));
        }
    }
    found
}

#[test]
fn documented_weaknesses_fail_and_controls_do_not() {
    let Some(corpus) = support::shared_corpus().map(|c| c.join("real")) else {
        return;
    };
    let expected: Value = serde_json::from_str(include_str!("data/real-weaknesses.json")).unwrap();
    let mut cache: BTreeMap<String, Vec<(String, String, Vec<String>)>> = BTreeMap::new();
    let mut findings = |image: &str| {
        cache
            .entry(image.to_owned())
            .or_insert_with(|| fail_findings(&corpus.join(image)))
            .clone()
    };
    let mut problems = Vec::new();
    for w in expected["weaknesses"].as_array().unwrap() {
        let image = w["image"].as_str().unwrap();
        let (check, path, subject) = (
            w["check"].as_str().unwrap(),
            w["path"].as_str().unwrap(),
            w["subject"].as_str().unwrap(),
        );
        let hit = findings(image).iter().any(|(c, title, paths)| {
            c == check && title.contains(subject) && paths.iter().any(|p| p == path)
        });
        if !hit {
            problems.push(format!(
                "{image}: {} not reported ({check} at {path})",
                w["weakness"].as_str().unwrap()
            ));
        }
    }
    for c in expected["controls"].as_array().unwrap() {
        let image = c["image"].as_str().unwrap();
        let checks: Vec<&str> = c["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let path = c["path"].as_str();
        for (check, title, paths) in findings(image) {
            if checks.contains(&check.as_str()) && path.is_none_or(|p| paths.iter().any(|q| q == p))
            {
                problems.push(format!(
                    "{image}: control '{}' violated by {check}: {title}",
                    c["control"].as_str().unwrap()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
