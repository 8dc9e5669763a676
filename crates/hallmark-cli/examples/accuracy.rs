//! Accuracy scoring: assess every synthetic corpus image and compare the findings with the
//! planted ground truth in its `manifest.json`; then the real images against the weaknesses and
//! controls their `SOURCE.md` documents (`tests/data/real-weaknesses.json`, which
//! `tests/real_weaknesses.rs` also asserts).
//!
//! ```sh
//! cargo run --release -p hallmark-cli --example accuracy            # prints the table
//! cargo run --release -p hallmark-cli --example accuracy -- --write # also writes docs/accuracy.md
//! ```
//!
//! A planted finding counts as detected when a finding of one of the checks that cover its
//! category points at the planted path. Precision is per category: of the findings of those
//! checks, how many point at a planted path of that category. A negative control is violated
//! when a check of the category it names reports the control's path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hallmark_model::{Finding, Location};
use hallmark_unpack::{Limits, Unpacker};

/// Which checks report each planted category.
const CATEGORIES: &[(&str, &[&str])] = &[
    ("authorized_key", &["keys-authorized-keys"]),
    ("binary_hardening", &["binaries-exploit-mitigations"]),
    ("certificate", &["keys-certificates"]),
    ("command_injection", &["web-command-injection"]),
    (
        "default_credential",
        &[
            "secrets-hardcoded",
            "services-snmp-communities",
            "accounts-default-passwords",
        ],
    ),
    ("duplicate_uid0", &["accounts-single-root"]),
    ("empty_password", &["accounts-empty-passwords"]),
    ("file_permissions", &["permissions-world-writable"]),
    ("hardcoded_credential", &["secrets-hardcoded"]),
    ("hardcoded_secret", &["secrets-hardcoded"]),
    ("insecure_config", &["services-web-server", "services-wifi"]),
    (
        "insecure_service",
        &[
            "services-telnet",
            "services-unauthenticated-shells",
            "services-ssh-blank-passwords",
            "services-ftp-anonymous",
            "services-web-server",
        ],
    ),
    ("insecure_transport", &["transport-cleartext-endpoints"]),
    ("insecure_update", &["updates-signed"]),
    ("private_key", &["keys-private-keys"]),
    ("setuid", &["permissions-setuid"]),
    ("weak_password", &["accounts-default-passwords"]),
    (
        "weak_password_hash",
        &["accounts-default-passwords", "accounts-strong-hashes"],
    ),
];

/// What a negative control's `expect` says must not be reported, as check ids.
fn control_checks(expect: &str) -> &'static [&'static str] {
    match expect {
        "not_weak" => &["accounts-default-passwords"],
        "not_private_key" | "not_valid_key" => &["keys-private-keys"],
        _ => &[],
    }
}

fn path_of(location: &Location) -> Option<&str> {
    match location {
        Location::Image { path, .. } => path.as_deref(),
        _ => None,
    }
}

#[derive(Default)]
struct Score {
    planted: usize,
    detected: usize,
    reported: usize,
    true_positive: usize,
    missed: Vec<String>,
}

fn main() {
    let write = std::env::args().any(|a| a == "--write");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join("../shared/corpus/synthetic");
    if !corpus.is_dir() {
        eprintln!("NOTICE: no shared corpus at {}", corpus.display());
        return;
    }
    let mut scores: BTreeMap<&str, Score> = BTreeMap::new();
    let mut violations = Vec::new();
    let mut images = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        for file in manifest["image"]["files"].as_array().unwrap() {
            let name = file["name"].as_str().unwrap();
            let image = dir.join(name);
            let findings = assess(&image);
            let label = format!("{}/{name}", dir.file_name().unwrap().to_string_lossy());
            images.push((label.clone(), findings.len()));
            for planted in manifest["planted_findings"].as_array().unwrap() {
                let category = planted["category"].as_str().unwrap();
                let path = planted["path"].as_str().unwrap_or("");
                if category == "negative_control" {
                    let checks = control_checks(planted["expect"].as_str().unwrap_or(""));
                    let user = planted["user"].as_str();
                    for f in findings
                        .iter()
                        .filter(|f| checks.contains(&f.check.as_str()))
                    {
                        let at = f
                            .evidence
                            .iter()
                            .any(|e| path_of(&e.location) == Some(path));
                        let about_user = user.is_none_or(|u| f.title.contains(&format!("'{u}'")));
                        if at && about_user {
                            violations.push(format!(
                                "{label}: {} reported {path} ({})",
                                f.check, f.title
                            ));
                        }
                    }
                    continue;
                }
                let Some((_, checks)) = CATEGORIES.iter().find(|(c, _)| *c == category) else {
                    continue;
                };
                let score = scores.entry(category_key(category)).or_default();
                score.planted += 1;
                let hit = findings.iter().any(|f| {
                    checks.contains(&f.check.as_str())
                        && f.evidence
                            .iter()
                            .any(|e| path_of(&e.location) == Some(path))
                });
                if hit {
                    score.detected += 1;
                } else {
                    score.missed.push(format!(
                        "{label}: {path} ({})",
                        planted["description"].as_str().unwrap_or("")
                    ));
                }
            }
            // A finding is right when it points at a planted path of any category its check
            // covers (one secret finding may be a planted credential or a planted secret).
            let planted_for = |check: &str| -> Vec<&str> {
                manifest["planted_findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| {
                        CATEGORIES
                            .iter()
                            .any(|(c, checks)| p["category"] == *c && checks.contains(&check))
                    })
                    .filter_map(|p| p["path"].as_str())
                    .collect()
            };
            for (category, checks) in CATEGORIES {
                let score = scores.entry(category_key(category)).or_default();
                for f in findings
                    .iter()
                    .filter(|f| checks.contains(&f.check.as_str()))
                {
                    score.reported += 1;
                    let planted_paths = planted_for(&f.check);
                    if f.evidence
                        .iter()
                        .any(|e| path_of(&e.location).is_some_and(|p| planted_paths.contains(&p)))
                    {
                        score.true_positive += 1;
                    }
                }
            }
        }
    }
    let mut out = String::new();
    writeln!(out, "# Accuracy on the synthetic corpus\n").unwrap();
    writeln!(out, "Produced by `cargo run --release -p hallmark-cli --example accuracy -- --write` on the images of `../shared/corpus/synthetic` (ground truth: each `manifest.json`'s `planted_findings`). A planted finding is detected when a finding of a check covering its category points at its path. Precision counts, of the findings of those checks, the ones that point at a planted path of any category the same check covers (findings elsewhere may still be real problems the manifest does not list).\n").unwrap();
    writeln!(out, "| category | planted | detected | recall | reported | precision |\n|---|---:|---:|---:|---:|---:|").unwrap();
    let (mut planted, mut detected) = (0, 0);
    for (category, s) in &scores {
        planted += s.planted;
        detected += s.detected;
        let recall = if s.planted > 0 {
            format!("{:.0}%", 100.0 * s.detected as f64 / s.planted as f64)
        } else {
            "-".into()
        };
        let precision = if s.reported > 0 {
            format!("{:.0}%", 100.0 * s.true_positive as f64 / s.reported as f64)
        } else {
            "-".into()
        };
        writeln!(
            out,
            "| {category} | {} | {} | {recall} | {} | {precision} |",
            s.planted, s.detected, s.reported
        )
        .unwrap();
    }
    writeln!(
        out,
        "| **all** | {planted} | {detected} | {:.0}% | | |\n",
        100.0 * detected as f64 / planted.max(1) as f64
    )
    .unwrap();
    writeln!(
        out,
        "Negative controls reported: **{}**{}\n",
        violations.len(),
        if violations.is_empty() { "" } else { ":" }
    )
    .unwrap();
    for v in &violations {
        writeln!(out, "- {v}").unwrap();
    }
    writeln!(out, "## Missed\n").unwrap();
    for (category, s) in &scores {
        for m in &s.missed {
            writeln!(out, "- {category}: {m}").unwrap();
        }
    }
    writeln!(out, "\n## Images\n").unwrap();
    for (label, n) in &images {
        writeln!(out, "- `{label}`: {n} findings").unwrap();
    }
    real_images(&root, &mut out);
    print!("{out}");
    if write {
        std::fs::write(root.join("docs/accuracy.md"), &out).unwrap();
    }
}

fn category_key(category: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(c, _)| *c == category)
        .map(|(c, _)| *c)
        .unwrap_or("other")
}

fn assess(image: &Path) -> Vec<Finding> {
    let unpacked = Unpacker::new(Limits::default()).unpack_file(image).unwrap();
    let facts = hallmark_collect::collect(&unpacked, &hallmark_collect::Options::default());
    hallmark_checks::evaluate(&facts)
        .into_iter()
        .flat_map(|o| o.findings)
        .collect()
}

/// The real images: each documented weakness as found or missed, each documented control as
/// kept or violated, and the claims we could not reproduce.
fn real_images(root: &Path, out: &mut String) {
    let corpus = root.join("../shared/corpus/real");
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("crates/hallmark-cli/tests/data/real-weaknesses.json")).unwrap(),
    )
    .unwrap();
    let mut cache: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    let mut findings = |image: &str| -> Vec<Finding> {
        cache
            .entry(image.to_owned())
            .or_insert_with(|| assess(&corpus.join(image)))
            .clone()
    };
    writeln!(out, "\n# Real images\n").unwrap();
    writeln!(out, "The weaknesses each `../shared/corpus/real` image's `SOURCE.md` documents, and the finding Hallmark gives (a FAIL finding of that check, at that path, naming that subject).\n").unwrap();
    writeln!(
        out,
        "| image | documented weakness | check | path | found |\n|---|---|---|---|---|"
    )
    .unwrap();
    let (mut total, mut found) = (0, 0);
    for w in expected["weaknesses"].as_array().unwrap() {
        let image = w["image"].as_str().unwrap();
        let check = w["check"].as_str().unwrap();
        let path = w["path"].as_str().unwrap();
        let subject = w["subject"].as_str().unwrap();
        let image_findings = findings(image);
        let hit = image_findings.iter().find(|f| {
            f.check == check
                && f.title.contains(subject)
                && f.evidence
                    .iter()
                    .any(|e| path_of(&e.location) == Some(path))
        });
        total += 1;
        if hit.is_some() {
            found += 1;
        }
        writeln!(
            out,
            "| `{}` | {} | `{check}` | `{path}` | {} |",
            image.split('/').next().unwrap_or(image),
            w["weakness"].as_str().unwrap(),
            hit.map_or("**missed**".to_owned(), |f| format!("yes: {}", f.title))
        )
        .unwrap();
    }
    writeln!(out, "\nFound **{found} of {total}**.\n").unwrap();
    writeln!(
        out,
        "| image | documented control | violations |\n|---|---|---|"
    )
    .unwrap();
    for c in expected["controls"].as_array().unwrap() {
        let image = c["image"].as_str().unwrap();
        let checks: Vec<&str> = c["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let path = c["path"].as_str();
        let violations: Vec<String> = findings(image)
            .iter()
            .filter(|f| {
                checks.contains(&f.check.as_str())
                    && path
                        .is_none_or(|p| f.evidence.iter().any(|e| path_of(&e.location) == Some(p)))
            })
            .map(|f| format!("{}: {}", f.check, f.title))
            .collect();
        writeln!(
            out,
            "| `{}` | {} | {} |",
            image.split('/').next().unwrap_or(image),
            c["control"].as_str().unwrap(),
            if violations.is_empty() {
                "none".to_owned()
            } else {
                violations.join("; ")
            }
        )
        .unwrap();
    }
    writeln!(
        out,
        "\nClaims in `SOURCE.md` we did not reproduce, and why:\n"
    )
    .unwrap();
    for n in expected["not_reproduced"].as_array().unwrap() {
        writeln!(
            out,
            "- `{}`: {}: {}",
            n["image"].as_str().unwrap().split('/').next().unwrap_or(""),
            n["claim"].as_str().unwrap(),
            n["why"].as_str().unwrap()
        )
        .unwrap();
    }
}
