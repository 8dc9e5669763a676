//! End-to-end tests of the `hallmark` binary: output snapshots, exit codes, colour handling.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn hallmark_with(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hallmark"));
    command.args(args);
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn hallmark(args: &[&str]) -> Run {
    hallmark_with(args, &[])
}

fn ok(args: &[&str]) -> String {
    let run = hallmark(args);
    assert_eq!(run.code, 0, "hallmark {args:?} failed: {}", run.stderr);
    assert!(run.stderr.is_empty(), "unexpected stderr: {}", run.stderr);
    run.stdout
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hallmark-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn catalog_table() {
    insta::assert_snapshot!(ok(&["catalog"]));
}

#[test]
fn catalog_markdown() {
    insta::assert_snapshot!(ok(&["catalog", "--format", "markdown"]));
}

#[test]
fn catalog_json_has_every_principle_and_requirement_in_full() {
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["catalog", "--format", "json"])).unwrap();
    assert_eq!(json["edition"]["id"], "uk-ecd-cop");
    assert_eq!(json["principles"].as_array().unwrap().len(), 11);
    let requirements = json["requirements"].as_array().unwrap();
    assert_eq!(requirements.len(), 62);
    for r in requirements {
        let id = r["id"].as_str().unwrap();
        assert!(
            r["remediation"].as_str().is_some_and(|s| s.len() > 100),
            "{id}"
        );
        let crosswalk_refs = ["crosswalk", "crosswalk_partial"]
            .iter()
            .filter_map(|k| r[k].as_object())
            .flat_map(|m| m.values())
            .map(|items| items.as_array().unwrap().len())
            .sum::<usize>();
        assert!(crosswalk_refs > 0, "{id} has no crosswalk");
        assert_eq!(r["status"], "proposed");
    }
    assert_eq!(json["frameworks"].as_array().unwrap().len(), 4);
}

#[test]
fn etsi_view_lists_all_68_provisions() {
    let out = ok(&["catalog", "--framework", "etsi-en-303-645"]);
    let rows = out
        .lines()
        .filter(|l| l.starts_with("  ") && (l.contains("  M  ") || l.contains("  R  ")))
        .count();
    assert_eq!(rows, 68);
    insta::assert_snapshot!(out);
}

#[test]
fn etsi_view_json_says_what_covers_each_provision() {
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "catalog",
        "--framework",
        "etsi-en-303-645",
        "--format",
        "json",
    ]))
    .unwrap();
    let items = json["framework"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 68);
    let p511 = items.iter().find(|i| i["id"] == "5.1-1").unwrap();
    assert_eq!(p511["obligation"], "mandatory");
    assert!(
        p511["covered_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["requirement"] == "ECD-2.1")
    );
    let covered = json["counts"]["covered"].as_u64().unwrap();
    let not_covered = json["counts"]["not_covered"].as_u64().unwrap();
    assert_eq!(covered + not_covered, 68);
    let empty = items
        .iter()
        .filter(|i| i["covered_by"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(empty as u64, not_covered);
}

#[test]
fn other_framework_views() {
    insta::assert_snapshot!(
        "cra_markdown",
        ok(&["catalog", "--framework", "cra", "--format", "markdown"])
    );
    insta::assert_snapshot!("psti_table", ok(&["catalog", "--framework", "psti"]));
    insta::assert_snapshot!(
        "nist_table",
        ok(&["catalog", "--framework", "nist-ir-8259a"])
    );
}

#[test]
fn explain_prints_the_full_entry() {
    let out = ok(&["explain", "ECD-2.1"]);
    for heading in [
        "Statement",
        "Rationale",
        "How Hallmark assesses it",
        "Remediation",
        "Crosswalk",
    ] {
        assert!(out.lines().any(|l| l == heading), "missing {heading}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn explain_accepts_loose_ids_and_other_formats() {
    assert_eq!(ok(&["explain", "ecd-2.1"]), ok(&["explain", "2.1"]));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["explain", "ECD-2.1", "--format", "json"])).unwrap();
    assert_eq!(json["id"], "ECD-2.1");
    assert_eq!(
        json["principle_title"],
        "Support appropriate authentication"
    );
    assert!(
        json["crosswalk_items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["framework"] == "psti" && c["id"] == "1")
    );
    insta::assert_snapshot!(
        "explain_markdown",
        ok(&["explain", "ECD-8.3", "--format", "markdown"])
    );
}

#[test]
fn unknown_requirement_is_a_usage_error_with_suggestions() {
    let run = hallmark(&["explain", "ECD-2.9"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.starts_with("error: no requirement `ECD-2.9`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("ECD-2.1, ECD-2.2"), "{}", run.stderr);
}

#[test]
fn unknown_framework_is_a_usage_error() {
    let run = hallmark(&["catalog", "--framework", "iso-27001"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("etsi-en-303-645, cra, psti, nist-ir-8259a"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_usage_exits_2_and_help_exits_0() {
    let run = hallmark(&[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Usage"));
    let run = hallmark(&["catalog", "--format", "yaml"]);
    assert_eq!(run.code, 2);
    let help = hallmark(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("Exit codes"));
}

#[test]
fn version_flag() {
    let out = ok(&["--version"]);
    assert_eq!(
        out.trim(),
        format!("hallmark {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = ok(&["completions", shell]);
        assert!(
            out.contains("explain"),
            "{shell} completion lacks subcommands"
        );
    }
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let committed = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/report-v1.schema.json"),
    )
    .unwrap();
    assert_eq!(ok(&["schema"]), committed);
}

#[test]
fn colour_follows_no_color_and_flags() {
    let esc = "\u{1b}[";
    // Not a terminal: no colour by default.
    assert!(!ok(&["explain", "ECD-2.1"]).contains(esc));
    let forced = hallmark_with(&["explain", "ECD-2.1"], &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.stdout.contains(esc), "CLICOLOR_FORCE should colour");
    let no_color = hallmark_with(
        &["explain", "ECD-2.1"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(!no_color.stdout.contains(esc), "NO_COLOR wins");
    assert!(ok(&["--color", "always", "catalog"]).contains(esc));
    let never = hallmark_with(&["--color", "never", "catalog"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!never.stdout.contains(esc));
    // Colour never leaks into machine formats.
    let json = hallmark_with(&["catalog", "--format", "json"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!json.stdout.contains(esc));
}

#[test]
fn broken_user_catalog_names_file_line_and_field() {
    let dir = temp_dir("broken");
    let path = dir.join("acme.toml");
    let mut text = ok(&["catalog", "--format", "toml"]);
    text = text.replacen("severity = \"critical\"", "severity = \"urgent\"", 1);
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().position(|l| l.contains("\"urgent\"")).unwrap() + 1;
    let run = hallmark(&["--catalog", path.to_str().unwrap(), "catalog"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    let expected = format!("acme.toml:{line}:12: field `severity`: unknown variant `urgent`");
    assert!(
        run.stderr.contains(&expected),
        "stderr: {}\nwanted: {expected}",
        run.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exported_catalog_and_profiles_load_back() {
    let dir = temp_dir("export");
    let edition = dir.join("edition.toml");
    std::fs::write(&edition, ok(&["catalog", "--format", "toml"])).unwrap();
    assert_eq!(
        ok(&[
            "--catalog",
            edition.to_str().unwrap(),
            "catalog",
            "--format",
            "json"
        ]),
        ok(&["catalog", "--format", "json"])
    );
    let profile = dir.join("profile.toml");
    std::fs::write(
        &profile,
        "[profile]\nname = \"cameras\"\nbase = \"builtin\"\ninclude = [\"ECD-2\", \"ECD-8\"]\n\
         [profile.severity]\n\"ECD-8.2\" = \"critical\"\n",
    )
    .unwrap();
    let out = ok(&["--catalog", profile.to_str().unwrap(), "catalog"]);
    assert!(
        out.contains(
            "2026.11-proposed.1+profile:cameras (proposed) · 11 principles · 13 requirements"
        ),
        "{out}"
    );
    assert!(!out.contains("ECD-1.1"));
    let explained = ok(&["--catalog", profile.to_str().unwrap(), "explain", "ECD-8.2"]);
    assert!(explained.contains("severity critical"));
    std::fs::remove_dir_all(&dir).unwrap();
}
