//! What changed between the assessments of two firmware versions: findings fixed and new,
//! requirement verdicts that moved, components added, removed or changed version.
//!
//! Findings are matched by their stable id (check, place and subject, e.g.
//! `services-telnet:/etc/init.d/S40telnetd`), so a weakness that moved to another file counts
//! as one fixed and one new. Components are matched by name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use hallmark_model::facts::Component;
use hallmark_model::{Finding, Report, Verdict};
use serde::Serialize;

/// A requirement whose verdict changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictChange {
    /// Requirement id.
    pub requirement: String,
    /// Its title.
    pub title: String,
    /// Verdict in the old report (`None`: the requirement was not in it).
    pub old: Option<Verdict>,
    /// Verdict in the new report (`None`: the requirement is not in it).
    pub new: Option<Verdict>,
}

/// A component whose version changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionChange {
    /// Component name.
    pub name: String,
    /// Versions in the old report.
    pub old: Vec<String>,
    /// Versions in the new report.
    pub new: Vec<String>,
}

/// The difference between two reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportDiff {
    /// Name of the old input.
    pub old_input: String,
    /// Name of the new input.
    pub new_input: String,
    /// Findings of the old report that the new one no longer has.
    pub fixed: Vec<Finding>,
    /// Findings of the new report that the old one did not have (regressions).
    pub new: Vec<Finding>,
    /// Requirements whose verdict changed.
    pub verdicts: Vec<VerdictChange>,
    /// Components only in the new report.
    pub components_added: Vec<Component>,
    /// Components only in the old report.
    pub components_removed: Vec<Component>,
    /// Components in both with different versions.
    pub components_changed: Vec<VersionChange>,
    /// Vulnerability matches (not suppressed) only in the new report, as `id component version`.
    pub vulnerabilities_added: Vec<String>,
    /// Vulnerability matches (not suppressed) only in the old report.
    pub vulnerabilities_removed: Vec<String>,
    /// Whether either report was made without vulnerability data (then vulnerability changes
    /// cannot be told).
    pub vulnerability_data_missing: bool,
    /// Whether the two reports used different catalogue editions (verdicts may then differ
    /// for reasons other than the firmware).
    pub catalog_changed: bool,
}

impl ReportDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.fixed.is_empty()
            && self.new.is_empty()
            && self.verdicts.is_empty()
            && self.components_added.is_empty()
            && self.components_removed.is_empty()
            && self.components_changed.is_empty()
            && self.vulnerabilities_added.is_empty()
            && self.vulnerabilities_removed.is_empty()
    }
}

fn vulnerabilities(report: &Report) -> BTreeSet<String> {
    report
        .vulnerabilities
        .iter()
        .flat_map(|scan| scan.active())
        .map(|m| {
            format!(
                "{} {} {}",
                m.id,
                m.component.name,
                m.component.version.as_deref().unwrap_or("")
            )
            .trim_end()
            .to_owned()
        })
        .collect()
}

fn findings(report: &Report) -> BTreeMap<&str, &Finding> {
    report
        .outcomes
        .iter()
        .flat_map(|o| &o.findings)
        .map(|f| (f.id.as_str(), f))
        .collect()
}

fn versions(components: &[Component]) -> BTreeMap<&str, BTreeSet<String>> {
    let mut map: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for c in components {
        map.entry(c.name.as_str())
            .or_default()
            .insert(c.version.clone().unwrap_or_else(|| "unknown".into()));
    }
    map
}

/// Compares `old` with `new`.
pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let old_findings = findings(old);
    let new_findings = findings(new);
    let fixed = old_findings
        .iter()
        .filter(|(id, _)| !new_findings.contains_key(*id))
        .map(|(_, f)| (*f).clone())
        .collect();
    let added = new_findings
        .iter()
        .filter(|(id, _)| !old_findings.contains_key(*id))
        .map(|(_, f)| (*f).clone())
        .collect();

    let old_verdicts: BTreeMap<&str, (&str, Verdict)> = old
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), (r.title.as_str(), r.verdict)))
        .collect();
    let new_verdicts: BTreeMap<&str, (&str, Verdict)> = new
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), (r.title.as_str(), r.verdict)))
        .collect();
    let ids: BTreeSet<&str> = old_verdicts
        .keys()
        .chain(new_verdicts.keys())
        .copied()
        .collect();
    let mut verdicts: Vec<VerdictChange> = ids
        .into_iter()
        .filter_map(|id| {
            let old = old_verdicts.get(id);
            let new = new_verdicts.get(id);
            (old.map(|o| o.1) != new.map(|n| n.1)).then(|| VerdictChange {
                requirement: id.to_owned(),
                title: new.or(old).map(|t| t.0.to_owned()).unwrap_or_default(),
                old: old.map(|o| o.1),
                new: new.map(|n| n.1),
            })
        })
        .collect();
    // Catalogue order (ECD-1.2 before ECD-1.10), not string order.
    let mut order: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, r) in new.requirements.iter().chain(&old.requirements).enumerate() {
        order.entry(r.id.as_str()).or_insert(i);
    }
    verdicts.sort_by_key(|v| order.get(v.requirement.as_str()).copied());

    let old_versions = versions(&old.components);
    let new_versions = versions(&new.components);
    let components_added = new
        .components
        .iter()
        .filter(|c| !old_versions.contains_key(c.name.as_str()))
        .cloned()
        .collect();
    let components_removed = old
        .components
        .iter()
        .filter(|c| !new_versions.contains_key(c.name.as_str()))
        .cloned()
        .collect();
    let components_changed = old_versions
        .iter()
        .filter_map(|(name, old)| {
            let new = new_versions.get(name)?;
            (old != new).then(|| VersionChange {
                name: (*name).to_owned(),
                old: old.iter().cloned().collect(),
                new: new.iter().cloned().collect(),
            })
        })
        .collect();
    let input = |r: &Report| {
        r.provenance
            .inputs
            .first()
            .map(|i| i.name.clone())
            .unwrap_or_default()
    };
    let old_vulns = vulnerabilities(old);
    let new_vulns = vulnerabilities(new);
    ReportDiff {
        vulnerabilities_added: new_vulns.difference(&old_vulns).cloned().collect(),
        vulnerabilities_removed: old_vulns.difference(&new_vulns).cloned().collect(),
        vulnerability_data_missing: old.vulnerabilities.is_none() || new.vulnerabilities.is_none(),
        old_input: input(old),
        new_input: input(new),
        fixed,
        new: added,
        verdicts,
        components_added,
        components_removed,
        components_changed,
        catalog_changed: old.provenance.catalog != new.provenance.catalog,
    }
}

fn verdict_text(verdict: Option<Verdict>) -> &'static str {
    verdict.map_or("absent", Verdict::label)
}

/// The difference as Markdown (also readable as plain text in a terminal).
pub fn diff_markdown(diff: &ReportDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Hallmark diff: `{}` -> `{}`\n",
        diff.old_input, diff.new_input
    );
    if diff.catalog_changed {
        let _ = writeln!(
            out,
            "Note: the two reports used different catalogue editions.\n"
        );
    }
    if diff.vulnerability_data_missing {
        let _ = writeln!(
            out,
            "Note: a report was made without vulnerability data; vulnerability changes are not shown.\n"
        );
    }
    if diff.is_empty() {
        let _ = writeln!(out, "No change.");
        return out;
    }
    let _ = writeln!(
        out,
        "{} fixed, {} new findings; {} requirement verdicts changed; components: {} added, {} removed, {} changed.",
        diff.fixed.len(),
        diff.new.len(),
        diff.verdicts.len(),
        diff.components_added.len(),
        diff.components_removed.len(),
        diff.components_changed.len()
    );
    for (heading, list) in [("Fixed", &diff.fixed), ("New findings", &diff.new)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {heading} ({})\n", list.len());
        for f in list {
            let place = f
                .evidence
                .first()
                .map(|e| format!(" at `{}`", e.location))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- **{}** `{}` {}{place}",
                f.severity.as_str(),
                f.check,
                f.title
            );
        }
    }
    if !diff.verdicts.is_empty() {
        let _ = writeln!(
            out,
            "\n## Requirement verdicts\n\n| Requirement | Old | New |\n|---|---|---|"
        );
        for v in &diff.verdicts {
            let _ = writeln!(
                out,
                "| {} {} | {} | {} |",
                v.requirement,
                v.title.replace('|', "\\|"),
                verdict_text(v.old),
                verdict_text(v.new)
            );
        }
    }
    for (heading, list) in [
        ("New vulnerabilities", &diff.vulnerabilities_added),
        ("Vulnerabilities gone", &diff.vulnerabilities_removed),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {heading} ({})\n", list.len());
        for v in list {
            let _ = writeln!(out, "- {v}");
        }
    }
    let component = |c: &Component| {
        format!(
            "{} {}",
            c.name,
            c.version.as_deref().unwrap_or("(version unknown)")
        )
    };
    if !diff.components_added.is_empty()
        || !diff.components_removed.is_empty()
        || !diff.components_changed.is_empty()
    {
        let _ = writeln!(out, "\n## Components\n");
        for c in &diff.components_added {
            let _ = writeln!(out, "- added: {}", component(c));
        }
        for c in &diff.components_removed {
            let _ = writeln!(out, "- removed: {}", component(c));
        }
        for c in &diff.components_changed {
            let _ = writeln!(
                out,
                "- {}: {} -> {}",
                c.name,
                c.old.join(", "),
                c.new.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;

    #[test]
    fn a_fixed_weakness_and_an_upgraded_component() {
        let old = sample_report();
        let mut new = sample_report();
        new.provenance.inputs[0].name = "fw-1.1.bin".into();
        new.outcomes[0].verdict = Verdict::Pass;
        new.outcomes[0].findings.clear();
        new.requirements[0].verdict = Verdict::Pass;
        new.components[0].version = Some("1.36.1".into());
        if let Some(scan) = &mut new.vulnerabilities {
            scan.matches.clear();
        }
        let d = diff(&old, &new);
        assert_eq!(d.vulnerabilities_removed, ["CVE-2022-48174 busybox 1.30.1"]);
        assert!(d.vulnerabilities_added.is_empty());
        assert_eq!(
            d.fixed.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["services-telnet:/etc/init.d/S40telnetd"]
        );
        assert!(d.new.is_empty());
        assert_eq!(
            d.verdicts,
            [VerdictChange {
                requirement: "ECD-8.1".into(),
                title: "Only necessary interfaces enabled".into(),
                old: Some(Verdict::Fail),
                new: Some(Verdict::Pass),
            }]
        );
        assert_eq!(d.components_changed[0].old, ["1.30.1"]);
        assert_eq!(d.components_changed[0].new, ["1.36.1"]);
        let text = diff_markdown(&d);
        assert!(text.contains("1 fixed, 0 new findings"), "{text}");
        assert!(
            text.contains("| ECD-8.1 Only necessary interfaces enabled | FAIL | PASS |"),
            "{text}"
        );
        assert!(text.contains("- busybox: 1.30.1 -> 1.36.1"), "{text}");
    }

    #[test]
    fn the_same_report_has_no_change() {
        let d = diff(&sample_report(), &sample_report());
        assert!(d.is_empty());
        assert!(diff_markdown(&d).contains("No change."));
    }
}
