//! User catalogues: a valid edition, profiles, and clear errors for broken files.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use hallmark_catalog::{Catalog, CatalogError, Diagnostic};
use hallmark_model::Severity;

const MINIMAL: &str = r#"[edition]
id = "acme"
title = "Acme edition"
version = "1"
status = "proposed"
source = "test"

[[principle]]
number = 1
short_name = "updates"
title = "Provide updates securely"
summary = "Updates."

[[requirement]]
id = "ECD-1.1"
principle = 1
title = "Updatable"
status = "proposed"
severity = "high"
evidence = ["firmware"]
statement = "Statement."
rationale = "Rationale."
assessment = "Assessment."
remediation = "- Do this."
crosswalk = { psti = ["1"] }

[[requirement]]
id = "ECD-1.2"
principle = 1
title = "Verified"
status = "proposed"
severity = "critical"
evidence = ["firmware", "network"]
statement = "Statement."
rationale = "Rationale."
assessment = "Assessment."
remediation = "- Do that."
crosswalk = { psti = ["1"] }
crosswalk_partial = { psti = ["2"] }

[[framework]]
id = "psti"
name = "PSTI"
version = "SI 2023/1007"

[[framework.item]]
id = "1"
title = "Passwords"
summary = "Unique passwords."
obligation = "obligation"

[[framework.item]]
id = "2"
title = "Reporting"
summary = "A contact."
obligation = "obligation"
"#;

fn errors(text: &str) -> Vec<Diagnostic> {
    match Catalog::from_toml("acme.toml", text) {
        Err(CatalogError::Invalid(diagnostics)) => diagnostics,
        Err(other) => panic!("expected validation errors, got {other}"),
        Ok(_) => panic!("expected {text} to be rejected"),
    }
}

/// Exactly one diagnostic, at this line and field, whose message contains `needle`.
fn assert_one(text: &str, line: usize, field: &str, needle: &str) {
    let diagnostics = errors(text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!(d.file, "acme.toml");
    assert_eq!((d.line, d.field.as_str()), (line, field), "{d}");
    assert!(
        d.message.contains(needle),
        "`{}` should mention `{needle}`",
        d.message
    );
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_minimal_edition_loads() {
    let catalog = Catalog::from_toml("acme.toml", MINIMAL).unwrap();
    assert_eq!(catalog.edition.id, "acme");
    assert_eq!(catalog.requirements.len(), 2);
    let view = catalog.framework_view("psti").unwrap();
    assert_eq!(view.covered(), 2);
}

#[test]
fn syntax_error_names_line_and_key() {
    let text = MINIMAL.replace("severity = \"high\"", "severity = high");
    let line = line_of(&text, "severity = high");
    assert_one(&text, line, "severity", "");
}

#[test]
fn unknown_severity_names_the_field() {
    let text = MINIMAL.replace("severity = \"high\"", "severity = \"severe\"");
    assert_one(&text, line_of(&text, "\"severe\""), "severity", "severe");
}

#[test]
fn misspelt_field_is_rejected_not_ignored() {
    let text = MINIMAL.replace(
        "remediation = \"- Do this.\"",
        "remedation = \"- Do this.\"",
    );
    let d = errors(&text);
    assert!(
        d.iter()
            .any(|d| d.field == "remedation" && d.message.contains("unknown field")),
        "{d:#?}"
    );
}

#[test]
fn missing_remediation_is_reported() {
    let text = MINIMAL.replace("remediation = \"- Do this.\"\n", "");
    let d = errors(&text);
    assert_eq!(d[0].field, "remediation", "{d:#?}");
    assert!(d[0].message.contains("missing field"));
}

#[test]
fn empty_remediation_is_reported() {
    let text = MINIMAL.replace("remediation = \"- Do this.\"", "remediation = \"  \"");
    assert_one(
        &text,
        line_of(&text, "remediation = \"  \""),
        "requirement[ECD-1.1].remediation",
        "empty",
    );
}

#[test]
fn unknown_crosswalk_item_is_reported_where_it_is() {
    let text = MINIMAL.replace(
        "crosswalk_partial = { psti = [\"2\"] }",
        "crosswalk_partial = { psti = [\"9\"] }",
    );
    assert_one(
        &text,
        line_of(&text, "[\"9\"]"),
        "requirement[ECD-1.2].crosswalk_partial.psti",
        "`9` is not an item of psti",
    );
}

#[test]
fn unknown_framework_is_reported() {
    let text = MINIMAL.replacen(
        "crosswalk = { psti = [\"1\"] }",
        "crosswalk = { iso-27001 = [\"A.5\"] }",
        1,
    );
    assert_one(
        &text,
        line_of(&text, "iso-27001"),
        "requirement[ECD-1.1].crosswalk.iso-27001",
        "unknown framework",
    );
}

#[test]
fn missing_crosswalk_is_reported() {
    let text = MINIMAL.replacen("crosswalk = { psti = [\"1\"] }\n", "", 1);
    assert_one(
        &text,
        line_of(&text, "id = \"ECD-1.1\""),
        "requirement[ECD-1.1].crosswalk",
        "at least one",
    );
}

#[test]
fn same_item_full_and_partial_is_reported() {
    let text = MINIMAL.replace(
        "crosswalk_partial = { psti = [\"2\"] }",
        "crosswalk_partial = { psti = [\"1\"] }",
    );
    assert_one(
        &text,
        line_of(&text, "crosswalk_partial"),
        "requirement[ECD-1.2].crosswalk_partial.psti",
        "both",
    );
}

#[test]
fn duplicate_and_unsorted_ids_are_reported() {
    let duplicate = MINIMAL.replace("id = \"ECD-1.2\"", "id = \"ECD-1.1\"");
    let d = errors(&duplicate);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].message.contains("duplicate requirement id"));
    let second = duplicate
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("id = \"ECD-1.1\""))
        .nth(1)
        .unwrap()
        .0
        + 1;
    assert_eq!(d[0].line, second, "points at the second occurrence");

    let unsorted = MINIMAL.replace("id = \"ECD-1.1\"", "id = \"ECD-1.10\"");
    let d = errors(&unsorted);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].message.contains("sorted"), "{}", d[0]);
    assert_eq!(d[0].line, line_of(&unsorted, "id = \"ECD-1.2\""));
}

#[test]
fn id_and_principle_must_agree() {
    let text = MINIMAL.replace("id = \"ECD-1.2\"", "id = \"ECD-2.2\"");
    let d = errors(&text);
    assert!(
        d.iter()
            .any(|d| d.field == "requirement[ECD-2.2].principle"
                && d.message.contains("principle 2")),
        "{d:#?}"
    );
    let text = MINIMAL.replace("id = \"ECD-1.2\"", "id = \"REQ-7\"");
    let d = errors(&text);
    assert!(
        d.iter().any(|d| d.message.contains("not of the form")),
        "{d:#?}"
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = MINIMAL
        .replace(
            "crosswalk_partial = { psti = [\"2\"] }",
            "crosswalk_partial = { psti = [\"9\"] }",
        )
        .replace("title = \"Updatable\"", "title = \"\"");
    assert_eq!(errors(&text).len(), 2);
}

#[test]
fn missing_edition_is_reported() {
    let text = MINIMAL.replace("[edition]", "[notedition]");
    let d = errors(&text);
    assert!(
        d.iter()
            .any(|d| d.field == "notedition" || d.field == "edition"),
        "{d:#?}"
    );
}

#[test]
fn error_display_names_file_line_column_and_field() {
    let text = MINIMAL.replace("severity = \"high\"", "severity = \"severe\"");
    let err = Catalog::from_toml("acme.toml", &text)
        .unwrap_err()
        .to_string();
    let line = line_of(&text, "\"severe\"");
    assert!(
        err.contains(&format!("acme.toml:{line}:12: field `severity`")),
        "{err}"
    );
}

#[test]
fn files_are_read_with_their_name_in_errors() {
    let dir = std::env::temp_dir().join(format!("hallmark-catalog-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.toml");
    std::fs::write(&path, MINIMAL.replace("number = 1", "number = 0")).unwrap();
    let err = Catalog::from_file(&path).unwrap_err().to_string();
    assert!(
        err.contains("broken.toml:9:10: field `principle[0].number`"),
        "{err}"
    );
    let missing = Catalog::from_file(&dir.join("absent.toml")).unwrap_err();
    assert!(matches!(missing, CatalogError::Read { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn profile_narrows_and_raises_severity() {
    let profile = r#"
[profile]
name = "purchasing"
base = "builtin"
include = ["ECD-2", "ECD-3.1"]
exclude = ["ECD-2.5"]
[profile.severity]
"ECD-3.1" = "critical"
"#;
    let catalog = Catalog::from_toml("profile.toml", profile).unwrap();
    let ids: Vec<&str> = catalog.requirements.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ECD-2.1", "ECD-2.2", "ECD-2.3", "ECD-2.4", "ECD-2.6", "ECD-2.7", "ECD-3.1"
        ]
    );
    assert_eq!(
        catalog.requirement("ECD-3.1").unwrap().severity,
        Severity::Critical
    );
    assert!(catalog.edition.version.ends_with("+profile:purchasing"));
    assert_eq!(
        catalog.principles.len(),
        11,
        "principles stay for the report's structure"
    );
    assert_eq!(catalog.profile.as_ref().unwrap().name, "purchasing");
}

#[test]
fn profile_typos_are_errors() {
    let profile = "[profile]\nname = \"p\"\nbase = \"builtin\"\ninclude = [\"ECD-12\"]\n\
                   [profile.severity]\n\"ECD-2.99\" = \"high\"\n";
    let d = errors(profile);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!((d[0].line, d[0].field.as_str()), (4, "profile.include"));
    assert_eq!(
        (d[1].line, d[1].field.as_str()),
        (6, "profile.severity.ECD-2.99")
    );
    // `ECD-1` must not match `ECD-10.x`/`ECD-11.x` by string prefix.
    let c = Catalog::from_toml(
        "p.toml",
        "[profile]\nname = \"p\"\nbase = \"builtin\"\ninclude = [\"ECD-1\"]\n",
    )
    .unwrap();
    assert!(c.requirements.iter().all(|r| r.principle == 1));
}

#[test]
fn profile_cannot_be_mixed_with_an_edition() {
    let text = format!("{MINIMAL}\n[profile]\nname = \"p\"\nbase = \"builtin\"\n");
    let d = errors(&text);
    assert!(d.iter().any(|d| d.field == "profile"), "{d:#?}");
}

#[test]
fn hostile_input_does_not_panic() {
    for text in [
        "",
        "[[requirement]]",
        "\u{0}\u{1}",
        "[edition]\nid = 1",
        "[[principle]]\nnumber = 300",
        "[[requirement]]\nid = \"ECD-99999999999999999999.1\"",
        &"[".repeat(10_000),
        &format!("a = \"{}\"", "é".repeat(100_000)),
    ] {
        let _ = Catalog::from_toml("hostile.toml", text);
    }
}
