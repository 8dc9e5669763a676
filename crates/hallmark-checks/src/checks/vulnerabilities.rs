//! Known vulnerabilities and end of life of the identified components (principles 1 and 4).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use hallmark_model::facts::{Component, Facts, VulnMatch, VulnScan};
use hallmark_model::{Evidence, EvidenceKind, Location, Outcome};
use serde::Deserialize;

use super::check;
use crate::util::{Judge, rootfs_location};

/// What to run when there is no vulnerability data.
const HOW_TO_IMPORT: &str = "no vulnerability data was available: import NVD (CVE API 2.0 JSON), OSV, Alpine secdb and the CISA KEV catalogue with `hallmark db import FILE...` (check with `hallmark db status`), then assess again (`--vuln-db PATH` to use another store)";

check! {
    /// No component has a vulnerability that CISA lists as exploited in the wild.
    KnownExploited {
        id: "vulnerabilities-known-exploited",
        title: "No component has a known exploited vulnerability (CISA KEV)",
        requirements: ["ECD-4.6", "ECD-1.7"],
        severity: Critical,
        doc: "## What it checks\nThe software components identified in the image (package databases, version strings) are matched against the offline vulnerability store (NVD CPE criteria with version ranges, OSV and Alpine secdb by package), and each match is looked up in the CISA Known Exploited Vulnerabilities catalogue. A component with a matched vulnerability that is in the catalogue fails, unless a VEX statement given with `--vex` says the product is not affected (the match stays in the report, marked suppressed).\n\n## Why it matters\nThe KEV catalogue lists vulnerabilities that attackers are exploiting now. Botnets such as Mirai and its successors scan for exactly these in routers, cameras and other embedded devices; a device that ships one is compromised by commodity tooling, not by a skilled attacker.\n\n## Evidence\nThe component (name, version, package URL), the evidence of how it was identified (package database entry or version string, with file and offset), the vulnerability id, the CPE criterion or package entry and the version range matched, the KEV date added, and the fixed version when the data gives one.\n\n## How to fix\nUpdate the component to the fixed version (or the current upstream release) and ship the update to devices in the field. If the vulnerable code is not present or not reachable in this build, publish a VEX statement (OpenVEX or CycloneDX) with the justification and pass it with `--vex`.\n\n## Inconclusive when\nNo vulnerability data was imported (`hallmark db import`), the store holds no KEV catalogue, or the components collector did not see the whole image. Matching is by CPE and version: a distribution's backported fix is not seen, and a component whose version was not identified cannot be matched.\n",
        evaluate: known_exploited,
    }
}

check! {
    /// No component has a critical vulnerability.
    Critical {
        id: "vulnerabilities-critical",
        title: "No component has a critical vulnerability (CVSS 9.0 or above)",
        requirements: ["ECD-4.6", "ECD-1.7"],
        severity: Critical,
        doc: "## What it checks\nThe software components identified in the image are matched against the offline vulnerability store (NVD CPE criteria with version ranges, OSV and Alpine secdb by package). A component with a matched vulnerability whose CVSS base score is 9.0 or above (or, where the data gives no score, whose severity is CRITICAL) fails, unless a VEX statement passed with `--vex` marks it not affected.\n\n## Why it matters\nCritical vulnerabilities are typically remotely exploitable without authentication and give full control of the component: in a network-facing daemon or a shell such as BusyBox's, that is the device. Shipping a release with known critical CVEs is what the code's integrity principle rules out.\n\n## Evidence\nPer component: its version and identification evidence, each critical vulnerability with its score, the CPE criterion or package entry and range matched, and the fixed version when known. The data snapshot searched is named in the outcome.\n\n## How to fix\nUpdate each listed component to a release that fixes the vulnerabilities (the remediation names the fixed version where the data gives one), rebuild and ship the firmware. Where a vulnerability does not apply to this build (code not compiled in, not reachable), say so in a VEX document and pass it with `--vex`.\n\n## Inconclusive when\nNo vulnerability data was imported (`hallmark db import`), or the components collector did not see the whole image. Matches are by upstream version: a backported fix is not seen, and components without an identified version cannot be matched.\n",
        evaluate: critical,
    }
}

check! {
    /// No component is past its upstream end of life.
    EndOfLife {
        id: "components-end-of-life",
        title: "No component is past its upstream end of life",
        requirements: ["ECD-1.7", "ECD-4.6"],
        severity: High,
        doc: "## What it checks\nEach identified component with a CPE is looked up in Hallmark's end-of-life table (`crates/hallmark-checks/data/end-of-life.toml`: OpenSSL release branches, Linux longterm kernels, each with its source). A component on a release branch whose upstream support ended before the assessment date (`--date`, default today) fails. Projects without a published end-of-life policy (BusyBox, Dropbear) are not judged here.\n\n## Why it matters\nAfter its end of life a branch receives no more security fixes upstream: every vulnerability found later stays open unless the manufacturer backports fixes itself. A device built on OpenSSL 1.0.2 or 1.1.1 cannot promise timely security updates for its support period.\n\n## Evidence\nThe component, its version and identification evidence, the branch, its end-of-life date and the source of that date.\n\n## How to fix\nMove the component to a supported branch (for OpenSSL, 3.0 LTS or a later LTS such as 3.5; for the kernel, a current longterm branch). If the manufacturer or the distribution pays for extended support with backported fixes, state it in the product's security documentation, and name the support end date.\n\n## Inconclusive when\nThe components collector did not see the whole image, or the assessment date is unknown. NOT APPLICABLE when no identified component has a published end-of-life policy in the table.\n",
        evaluate: end_of_life,
    }
}

/// Where a match's component was seen, or the root filesystem.
fn location_of(m: &VulnMatch, facts: &Facts) -> Location {
    match &m.component.location {
        Some(location @ Location::Image { path: Some(_), .. }) => location.clone(),
        _ => rootfs_location(facts),
    }
}

/// `busybox 1.30.1`.
fn label(m: &VulnMatch) -> String {
    format!(
        "{} {}",
        m.component.name,
        m.component
            .version
            .as_deref()
            .unwrap_or("(version unknown)")
    )
}

/// The remediation for a component's matches: the fixed versions the data names.
fn remediation(name: &str, matches: &[&VulnMatch]) -> String {
    let mut fixed: Vec<&str> = matches.iter().filter_map(|m| m.fixed.as_deref()).collect();
    fixed.sort_unstable();
    fixed.dedup();
    if fixed.is_empty() {
        format!(
            "Update {name} to its current upstream release (the data names no fixed version), rebuild and ship the firmware; or publish a VEX statement where the code is not present or not reachable."
        )
    } else {
        format!(
            "Update {name} to a release with the fixes (the data names fixed versions: {}), rebuild and ship the firmware; or publish a VEX statement where the code is not present or not reachable.",
            fixed.join(", ")
        )
    }
}

/// Groups the active matches that `keep` selects by component, in order.
fn by_component(
    scan: &VulnScan,
    keep: impl Fn(&VulnMatch) -> bool,
) -> BTreeMap<(String, String, String), Vec<&VulnMatch>> {
    let mut groups: BTreeMap<(String, String, String), Vec<&VulnMatch>> = BTreeMap::new();
    for m in scan.active().filter(|m| keep(m)) {
        groups
            .entry((
                m.component.name.clone(),
                m.component.version.clone().unwrap_or_default(),
                m.component.purl.clone(),
            ))
            .or_default()
            .push(m);
    }
    for list in groups.values_mut() {
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list.dedup_by(|a, b| a.id == b.id);
    }
    groups
}

/// The evidence of a PASS: the data searched.
fn snapshot_evidence(scan: &VulnScan, facts: &Facts, what: &str) -> Evidence {
    Evidence {
        kind: EvidenceKind::Firmware,
        location: rootfs_location(facts),
        observed: format!(
            "{} components matched against {}",
            scan.components_examined,
            scan.snapshot_summary()
        ),
        reason: what.to_owned(),
        excerpt: None,
    }
}

/// The scan, when the components were collected and vulnerability data was available.
fn scan_of<'f>(judge: &mut Judge<'_>, facts: &'f Facts) -> Option<&'f VulnScan> {
    let ran = judge.needs(facts, "components", "the software components of the image");
    let Some(scan) = facts.vulnerabilities.as_ref() else {
        judge.missing(HOW_TO_IMPORT);
        return None;
    };
    ran.then_some(scan)
}

fn known_exploited(check: &KnownExploited, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(scan) = scan_of(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    if !scan.snapshots.iter().any(|s| s.source == "kev") {
        judge.missing("the vulnerability store holds no CISA KEV catalogue: import known_exploited_vulnerabilities.json with `hallmark db import`");
    }
    for ((name, _, _), matches) in by_component(scan, |m| m.kev.is_some()) {
        let Some(first) = matches.first() else {
            continue;
        };
        let listed: Vec<String> = matches
            .iter()
            .map(|m| {
                format!(
                    "{} (KEV since {}; {} by {})",
                    m.id,
                    m.kev.as_ref().map_or("", |k| k.date_added.as_str()),
                    m.range,
                    m.criteria
                )
            })
            .collect();
        judge.fail(
            &location_of(first, facts),
            None,
            format!(
                "{} has {} known exploited vulnerabilit{}: {}",
                label(first),
                matches.len(),
                if matches.len() == 1 { "y" } else { "ies" },
                matches.iter().map(|m| m.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
            format!("{}; component {}", listed.join("; "), first.component.evidence),
            "CISA lists these vulnerabilities as exploited in the wild; devices shipping them are attacked by commodity tooling",
            &remediation(&name, &matches),
        );
    }
    let suppressed = scan
        .matches
        .iter()
        .filter(|m| m.kev.is_some() && m.suppressed.is_some())
        .count();
    let mut outcome = judge.finish(
        true,
        format!(
            "{} components matched against the store ({}): no known exploited vulnerability{}",
            scan.components_examined,
            scan.snapshot_summary(),
            if suppressed > 0 {
                format!(" ({suppressed} suppressed by VEX)")
            } else {
                String::new()
            }
        ),
    );
    if outcome.verdict == hallmark_model::Verdict::Pass {
        outcome.evidence.push(snapshot_evidence(
            scan,
            facts,
            "no match of an identified component is in the CISA KEV catalogue",
        ));
    }
    outcome
}

fn critical(check: &Critical, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(scan) = scan_of(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    for ((name, _, _), matches) in by_component(scan, VulnMatch::is_critical) {
        let Some(first) = matches.first() else {
            continue;
        };
        let listed: Vec<String> = matches
            .iter()
            .map(|m| {
                let score = m
                    .cvss
                    .as_ref()
                    .and_then(|c| c.score)
                    .map_or_else(|| "CRITICAL".to_owned(), |s| format!("CVSS {s:.1}"));
                format!("{} ({score}; {} by {})", m.id, m.range, m.criteria)
            })
            .collect();
        judge.fail(
            &location_of(first, facts),
            None,
            format!(
                "{} has {} critical vulnerabilit{}: {}",
                label(first),
                matches.len(),
                if matches.len() == 1 { "y" } else { "ies" },
                matches.iter().map(|m| m.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
            format!("{}; component {}", listed.join("; "), first.component.evidence),
            "a publicly known critical vulnerability in a shipped component, typically remotely exploitable",
            &remediation(&name, &matches),
        );
    }
    let mut outcome = judge.finish(
        true,
        format!(
            "{} components matched against the store ({}): {} matches, none critical",
            scan.components_examined,
            scan.snapshot_summary(),
            scan.active().count()
        ),
    );
    if outcome.verdict == hallmark_model::Verdict::Pass {
        outcome.evidence.push(snapshot_evidence(
            scan,
            facts,
            "no unsuppressed match has a CVSS score of 9.0 or above",
        ));
    }
    outcome
}

/// One release branch's end of life.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Eol {
    pub(crate) cpe: String,
    pub(crate) branch: String,
    pub(crate) eol: String,
    pub(crate) source: String,
}

#[derive(Deserialize)]
struct EolTable {
    eol: Vec<Eol>,
}

/// The end-of-life table as text.
pub(crate) const EOL_TOML: &str = include_str!("../../data/end-of-life.toml");

/// The end-of-life table. An unreadable table (a build defect, caught by the tests) is empty.
pub(crate) fn eol_table() -> &'static [Eol] {
    static TABLE: OnceLock<Vec<Eol>> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str::<EolTable>(EOL_TOML)
            .map(|t| t.eol)
            .unwrap_or_default()
    })
}

/// The `part:vendor:product` and version of a component's CPE.
fn cpe_parts(component: &Component) -> Option<(String, String)> {
    let cpe = component.cpe.as_deref()?;
    let fields: Vec<&str> = cpe.split(':').collect();
    match fields.as_slice() {
        ["cpe", "2.3", part, vendor, product, version, ..] => {
            Some((format!("{part}:{vendor}:{product}"), (*version).to_owned()))
        }
        _ => None,
    }
}

/// The table entry whose branch `version` is on.
fn branch_of(key: &str, version: &str) -> Option<&'static Eol> {
    eol_table().iter().find(|e| {
        e.cpe == key
            && version
                .strip_prefix(e.branch.as_str())
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

fn end_of_life(check: &EndOfLife, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "components", "the software components of the image") {
        return judge.finish(true, "");
    }
    let Some(today) = facts.assessed_on.as_deref() else {
        judge.missing("the assessment date is unknown (`hallmark assess --date YYYY-MM-DD`)");
        return judge.finish(true, "");
    };
    let mut judged = Vec::new();
    for component in &facts.components {
        let Some((key, version)) = cpe_parts(component) else {
            continue;
        };
        let Some(entry) = branch_of(&key, &version) else {
            continue;
        };
        judged.push(format!("{} {version}", component.name));
        if entry.eol.as_str() < today {
            let location = component
                .evidence
                .iter()
                .map(|e| &e.location)
                .find(|l| matches!(l, Location::Image { path: Some(_), .. }))
                .cloned()
                .unwrap_or_else(|| rootfs_location(facts));
            judge.fail(
                &location,
                None,
                format!(
                    "{} {version} is on the {} branch, whose upstream support ended on {}",
                    component.name, entry.branch, entry.eol
                ),
                format!(
                    "{} {} ({}); end of life {} per {}",
                    component.name,
                    component.version.as_deref().unwrap_or(&version),
                    component.purl,
                    entry.eol,
                    entry.source
                ),
                format!("no upstream security fixes since {}; assessed on {today}", entry.eol),
                &format!(
                    "Move {} to a supported release branch; if extended support with backported fixes is bought, state it and its end date in the product's security documentation.",
                    component.name
                ),
            );
        }
    }
    let applicable = !judged.is_empty();
    judge.finish(
        applicable,
        if applicable {
            format!(
                "on {today}, no component is past its upstream end of life ({} judged: {})",
                judged.len(),
                judged.join(", ")
            )
        } else {
            format!(
                "none of the {} components identified has a published upstream end-of-life policy in Hallmark's table",
                facts.components.len()
            )
        },
    )
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{Fixture, facts_with, image_file, not_run};
    use hallmark_model::Verdict;
    use hallmark_model::facts::{
        ComponentEvidence, Cvss, IdentificationMethod, KevEntry, MatchMethod, MatchedComponent,
        SnapshotInfo, Suppression,
    };

    fn component(name: &str, version: &str, cpe: Option<&str>, path: &str) -> Component {
        Component {
            name: name.into(),
            version: Some(version.into()),
            purl: format!("pkg:generic/{name}@{version}"),
            cpe: cpe.map(str::to_owned),
            evidence: vec![ComponentEvidence {
                method: IdentificationMethod::Signature,
                location: image_file(path),
                text: format!("{name} {version}"),
            }],
            evidence_omitted: 0,
        }
    }

    fn busybox() -> Component {
        component(
            "busybox",
            "1.30.1",
            Some("cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*"),
            "/bin/busybox",
        )
    }

    fn a_match(id: &str, score: f64, kev: bool, fixed: Option<&str>) -> VulnMatch {
        let c = busybox();
        VulnMatch {
            id: id.into(),
            aliases: Vec::new(),
            source: "nvd".into(),
            component: MatchedComponent {
                name: c.name,
                version: c.version,
                purl: c.purl,
                cpe: c.cpe,
                evidence: "version string at /bin/busybox: BusyBox v1.30.1".into(),
                location: Some(image_file("/bin/busybox")),
            },
            criteria: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*".into(),
            range: "busybox <= 1.36.1".into(),
            method: MatchMethod::CpeRange,
            cvss: Some(Cvss {
                version: "3.1".into(),
                score: Some(score),
                severity: if score >= 9.0 { "CRITICAL" } else { "HIGH" }.into(),
                vector: None,
            }),
            kev: kev.then(|| KevEntry {
                date_added: "2024-01-01".into(),
                ransomware: None,
                name: None,
            }),
            fixed: fixed.map(str::to_owned),
            summary: None,
            suppressed: None,
        }
    }

    fn snapshot(source: &str) -> SnapshotInfo {
        SnapshotInfo {
            source: source.into(),
            file: format!("{source}.json"),
            records: 10,
            snapshot: Some("2026-06-17".into()),
            imported_at: "2026-06-18T00:00:00Z".into(),
        }
    }

    /// Facts with the components collected and a scan with `matches`.
    fn scanned(matches: Vec<VulnMatch>) -> Facts {
        facts_with("components", |f| {
            f.components = vec![busybox()];
            f.vulnerabilities = Some(VulnScan {
                snapshots: vec![snapshot("kev"), snapshot("nvd")],
                components_examined: 1,
                matches,
                not_assessed: Vec::new(),
                vex: Vec::new(),
            });
        })
    }

    /// Components collected, no vulnerability data.
    fn no_data() -> Facts {
        facts_with("components", |f| f.components = vec![busybox()])
    }

    fn suppressed(mut m: VulnMatch) -> VulnMatch {
        m.suppressed = Some(Suppression {
            justification: "vulnerable_code_not_present".into(),
            detail: None,
            document: "vex.json".into(),
        });
        m
    }

    fn dated(mut facts: Facts, date: &str, components: Vec<Component>) -> Facts {
        facts.assessed_on = Some(date.into());
        facts.components = components;
        facts
    }

    fn openssl(version: &str) -> Component {
        component(
            "openssl",
            version,
            Some(&format!(
                "cpe:2.3:a:openssl:openssl:{version}:*:*:*:*:*:*:*"
            )),
            "/usr/lib/libcrypto.so.1.1",
        )
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let kev = "vulnerabilities-known-exploited";
        let crit = "vulnerabilities-critical";
        let eol = "components-end-of-life";
        let collected = facts_with("components", |_| {});
        vec![
            (
                kev,
                Fail,
                scanned(vec![a_match("CVE-2022-48174", 9.8, true, None)]),
            ),
            (
                kev,
                Pass,
                scanned(vec![a_match("CVE-2022-28391", 8.8, false, None)]),
            ),
            (
                kev,
                Pass,
                scanned(vec![suppressed(a_match("CVE-2022-48174", 9.8, true, None))]),
            ),
            (kev, Inconclusive, no_data()),
            (kev, Inconclusive, not_run("components")),
            (
                crit,
                Fail,
                scanned(vec![a_match("CVE-2016-7406", 9.8, false, Some("2016.74"))]),
            ),
            (
                crit,
                Pass,
                scanned(vec![a_match("CVE-2022-28391", 8.8, false, None)]),
            ),
            (crit, Pass, scanned(Vec::new())),
            (crit, Inconclusive, no_data()),
            (crit, Inconclusive, not_run("components")),
            (
                eol,
                Fail,
                dated(collected.clone(), "2026-06-01", vec![openssl("1.0.2k")]),
            ),
            (
                eol,
                Fail,
                dated(collected.clone(), "2026-06-01", vec![openssl("1.1.1w")]),
            ),
            (
                eol,
                Pass,
                dated(collected.clone(), "2026-06-01", vec![openssl("3.0.20")]),
            ),
            (
                eol,
                Pass,
                dated(collected.clone(), "2023-09-11", vec![openssl("1.1.1w")]),
            ),
            (
                eol,
                NotApplicable,
                dated(collected.clone(), "2026-06-01", vec![busybox()]),
            ),
            (eol, Inconclusive, {
                let mut undated = dated(collected.clone(), "2026-06-01", vec![openssl("1.0.2k")]);
                undated.assessed_on = None;
                undated
            }),
            (eol, Inconclusive, not_run("components")),
        ]
    }

    #[test]
    fn eol_table_loads_with_valid_dates() {
        let table: EolTable = toml::from_str(EOL_TOML).unwrap();
        assert!(!table.eol.is_empty());
        for e in &table.eol {
            assert_eq!(e.eol.len(), 10, "{e:?}");
            assert!(
                e.eol.chars().enumerate().all(|(i, c)| if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }),
                "{e:?}"
            );
            assert_eq!(e.cpe.split(':').count(), 3, "{e:?}");
            assert!(!e.source.is_empty());
        }
        assert_eq!(
            branch_of("a:openssl:openssl", "1.0.2k").map(|e| e.eol.as_str()),
            Some("2019-12-31")
        );
        assert_eq!(
            branch_of("a:openssl:openssl", "3.0.20").map(|e| e.eol.as_str()),
            Some("2026-09-07")
        );
        assert!(branch_of("a:openssl:openssl", "3.01").is_none());
        assert!(branch_of("o:linux:linux_kernel", "4.140").is_none());
        assert_eq!(
            branch_of("o:linux:linux_kernel", "4.14.180").map(|e| e.eol.as_str()),
            Some("2024-01-10")
        );
    }

    #[test]
    fn findings_group_by_component_and_name_fixes_and_snapshot() {
        let facts = scanned(vec![
            a_match("CVE-2016-7406", 9.8, false, Some("2016.74")),
            a_match("CVE-2022-48174", 9.8, true, None),
            a_match("CVE-2022-28391", 8.8, false, None),
        ]);
        let o = Critical.evaluate(&facts);
        assert_eq!(o.findings.len(), 1);
        assert_eq!(
            o.findings[0].title,
            "busybox 1.30.1 has 2 critical vulnerabilities: CVE-2016-7406, CVE-2022-48174"
        );
        assert!(
            o.findings[0]
                .remediation
                .contains("fixed versions: 2016.74"),
            "{}",
            o.findings[0].remediation
        );
        let o = KnownExploited.evaluate(&facts);
        assert!(
            o.findings[0].evidence[0]
                .observed
                .contains("KEV since 2024-01-01")
        );
        let o = Critical.evaluate(&scanned(Vec::new()));
        assert!(o.evidence[0].observed.contains("nvd 2026-06-17"), "{o:?}");
        let o = KnownExploited.evaluate(&no_data());
        assert!(o.missing.iter().any(|m| m.contains("hallmark db import")));
        // A store without the KEV catalogue cannot say nothing is known exploited.
        let mut facts = scanned(Vec::new());
        if let Some(scan) = facts.vulnerabilities.as_mut() {
            scan.snapshots.retain(|s| s.source != "kev");
        }
        assert_eq!(
            KnownExploited.evaluate(&facts).verdict,
            Verdict::Inconclusive
        );
    }
}
