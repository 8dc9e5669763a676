//! Invariants of the built-in catalogue.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use hallmark_catalog::{Catalog, Obligation, Status, natural_cmp};

fn builtin() -> Catalog {
    Catalog::builtin().unwrap_or_else(|e| panic!("built-in catalogue must load:\n{e}"))
}

#[test]
fn eleven_principles_in_order() {
    let catalog = builtin();
    let numbers: Vec<u8> = catalog.principles.iter().map(|p| p.number).collect();
    assert_eq!(numbers, (1..=11).collect::<Vec<u8>>());
    let titles: Vec<&str> = catalog
        .principles
        .iter()
        .map(|p| p.title.as_str())
        .collect();
    assert_eq!(titles[0], "Provide updates securely");
    assert_eq!(titles[10], "Enable recovery to a known good state");
    let names: BTreeSet<&str> = catalog
        .principles
        .iter()
        .map(|p| p.short_name.as_str())
        .collect();
    assert_eq!(names.len(), 11, "short names are unique");
}

#[test]
fn sixty_two_requirements_with_the_published_counts() {
    let catalog = builtin();
    assert_eq!(catalog.requirements.len(), 62);
    let expected = [7, 7, 7, 6, 5, 3, 5, 6, 5, 7, 4];
    for (number, count) in (1u8..).zip(expected) {
        let ids: Vec<String> = catalog
            .requirements_of(number)
            .map(|r| r.id.clone())
            .collect();
        let want: Vec<String> = (1..=count).map(|n| format!("ECD-{number}.{n}")).collect();
        assert_eq!(ids, want, "principle {number}");
    }
}

#[test]
fn ids_are_unique_and_naturally_sorted() {
    let catalog = builtin();
    let ids: Vec<&str> = catalog.requirements.iter().map(|r| r.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| natural_cmp(a, b));
    sorted.dedup();
    assert_eq!(ids, sorted);
}

#[test]
fn every_requirement_is_complete() {
    let catalog = builtin();
    for r in &catalog.requirements {
        assert_eq!(
            r.status,
            Status::Proposed,
            "{}: official text is not published yet",
            r.id
        );
        for (field, text) in [
            ("title", &r.title),
            ("statement", &r.statement),
            ("rationale", &r.rationale),
            ("assessment", &r.assessment),
            ("remediation", &r.remediation),
        ] {
            assert!(!text.trim().is_empty(), "{} has an empty {field}", r.id);
        }
        let bullets = r
            .remediation
            .lines()
            .filter(|l| l.trim_start().starts_with("- "))
            .count();
        assert!(
            bullets >= 3,
            "{}: remediation should be concrete steps, found {bullets}",
            r.id
        );
        assert!(r.references().next().is_some(), "{} has no crosswalk", r.id);
        assert!(!r.evidence.is_empty(), "{} names no evidence kind", r.id);
        assert!(r.title.chars().count() < 80, "{}: title too long", r.id);
    }
}

#[test]
fn every_crosswalk_reference_resolves() {
    let catalog = builtin();
    for r in &catalog.requirements {
        for (framework, item, _) in r.references() {
            let f = catalog
                .framework(framework)
                .unwrap_or_else(|| panic!("{}: unknown framework {framework}", r.id));
            assert!(
                f.item(item).is_some(),
                "{}: {framework} has no item {item}",
                r.id
            );
        }
    }
}

#[test]
fn framework_item_lists_are_complete() {
    let catalog = builtin();
    let count = |id: &str| catalog.framework(id).map(|f| f.items.len());
    assert_eq!(count("etsi-en-303-645"), Some(68));
    assert_eq!(count("cra"), Some(22));
    assert_eq!(count("psti"), Some(3));
    assert_eq!(count("nist-ir-8259a"), Some(6));

    let etsi = catalog.framework("etsi-en-303-645").unwrap();
    let mandatory = etsi
        .items
        .iter()
        .filter(|i| i.obligation == Obligation::Mandatory)
        .count();
    let recommended = etsi
        .items
        .iter()
        .filter(|i| i.obligation == Obligation::Recommended)
        .count();
    assert_eq!((mandatory, recommended), (33, 35));
    // Spot checks of the V2.1.1 grading.
    let grade = |id: &str| etsi.item(id).map(|i| i.obligation);
    assert_eq!(grade("5.1-1"), Some(Obligation::Mandatory));
    assert_eq!(grade("5.3-1"), Some(Obligation::Recommended));
    assert_eq!(grade("5.3-13"), Some(Obligation::Mandatory));
    assert_eq!(grade("4-1"), Some(Obligation::Mandatory));

    let cra: Vec<&str> = catalog
        .framework("cra")
        .unwrap()
        .items
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(cra.first(), Some(&"I.1"));
    assert!(cra.contains(&"I.2(m)") && cra.contains(&"II.8"));
    let nist: Vec<&str> = catalog
        .framework("nist-ir-8259a")
        .unwrap()
        .items
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(nist, ["DI", "DC", "DP", "LAI", "SU", "CSA"]);
}

#[test]
fn legally_relevant_items_are_covered() {
    let catalog = builtin();
    // PSTI's three requirements and the EN 303 645 provisions that give deemed compliance with
    // them must all be reachable from the code's requirements.
    for (framework, item) in [
        ("psti", "1"),
        ("psti", "2"),
        ("psti", "3"),
        ("etsi-en-303-645", "5.1-1"),
        ("etsi-en-303-645", "5.1-2"),
        ("etsi-en-303-645", "5.2-1"),
        ("etsi-en-303-645", "5.3-13"),
    ] {
        let view = catalog.framework_view(framework).unwrap();
        let entry = view.items.iter().find(|i| i.item.id == item).unwrap();
        assert!(
            !entry.covered_by.is_empty(),
            "{framework} {item} is not covered"
        );
    }
    let nist = catalog.framework_view("nist-ir-8259a").unwrap();
    assert_eq!(
        nist.covered(),
        nist.items.len(),
        "every NIST IR 8259A capability is covered"
    );
    // CRA Annex I part I.1 is the umbrella "proportionate to the risks" duty that no single
    // guideline maps to; every specific essential requirement must be covered.
    let cra = catalog.framework_view("cra").unwrap();
    let uncovered: Vec<&str> = cra
        .items
        .iter()
        .filter(|i| i.covered_by.is_empty())
        .map(|i| i.item.id.as_str())
        .collect();
    assert_eq!(uncovered, ["I.1"]);
}

#[test]
fn toml_export_round_trips() {
    let catalog = builtin();
    let text = catalog.to_toml().unwrap();
    let again = Catalog::from_toml("export.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, catalog);
}

/// The catalogue's prose must be our own words: no long run of words may be lifted from the
/// research notes we wrote it from.
#[test]
fn text_is_written_in_our_own_words() {
    let reference = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/standards-catalog.md");
    let Ok(source) = std::fs::read_to_string(&reference) else {
        if std::env::var_os("CI").is_some() {
            panic!("CI needs the shared corpus at {}", reference.display());
        }
        eprintln!(
            "NOTICE: skipping own-words check; {} is absent",
            reference.display()
        );
        return;
    };
    const RUN: usize = 9;
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect()
    };
    let reference_runs: BTreeSet<Vec<String>> =
        words(&source).windows(RUN).map(|w| w.to_vec()).collect();
    let catalog = builtin();
    let mut copied = Vec::new();
    for r in &catalog.requirements {
        for text in [&r.statement, &r.rationale, &r.assessment, &r.remediation] {
            for window in words(text).windows(RUN) {
                if reference_runs.contains(window) {
                    copied.push(format!("{}: \"{}\"", r.id, window.join(" ")));
                }
            }
        }
    }
    assert!(
        copied.is_empty(),
        "text copied from the reference:\n{}",
        copied.join("\n")
    );
}
