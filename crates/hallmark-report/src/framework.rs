//! An assessment seen through another framework (ETSI EN 303 645, the CRA, PSTI, NIST IR
//! 8259A): each of its items with a status derived from the verdicts of the requirements that
//! cover it, in the style of an implementation conformance statement.
//!
//! An item is **not supported** when any covering requirement failed; **supported** when every
//! requirement that covers it fully passed (and none failed); **not applicable** when every
//! covering requirement is not applicable; otherwise **not assessed** (no covering requirement,
//! or the evidence was inconclusive). A partial mapping alone never makes an item supported.

use std::collections::BTreeMap;
use std::fmt::Write;

use hallmark_catalog::{FrameworkView, Strength};
use hallmark_model::{Report, Verdict};
use serde::Serialize;

/// The status of one framework item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Every fully covering requirement passed.
    Supported,
    /// A covering requirement failed.
    NotSupported,
    /// Every covering requirement is not applicable.
    NotApplicable,
    /// No requirement covers it, or the evidence did not decide.
    NotAssessed,
}

impl ItemStatus {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Supported => "supported",
            ItemStatus::NotSupported => "not supported",
            ItemStatus::NotApplicable => "not applicable",
            ItemStatus::NotAssessed => "not assessed",
        }
    }
}

/// A covering requirement and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoveringVerdict {
    /// Requirement id.
    pub requirement: String,
    /// Whether it covers the item fully.
    pub full: bool,
    /// Its verdict in the report (`None`: not in the report).
    pub verdict: Option<Verdict>,
}

/// One framework item with its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemResult {
    /// The framework's id of the item.
    pub id: String,
    /// Its title.
    pub title: String,
    /// mandatory / recommended / obligation.
    pub obligation: String,
    /// Status derived from the covering requirements.
    pub status: ItemStatus,
    /// The requirements behind the status.
    pub covered_by: Vec<CoveringVerdict>,
}

/// The report pivoted to one framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameworkResult {
    /// Framework id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Edition mapped to.
    pub version: String,
    /// Every item in the framework's order.
    pub items: Vec<ItemResult>,
}

impl FrameworkResult {
    /// How many items have `status`.
    pub fn count(&self, status: ItemStatus) -> usize {
        self.items.iter().filter(|i| i.status == status).count()
    }
}

/// Pivots `report` to the framework of `view` (`Catalog::framework_view`).
pub fn framework_result(view: &FrameworkView, report: &Report) -> FrameworkResult {
    let verdicts: BTreeMap<&str, Verdict> = report
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.verdict))
        .collect();
    let items = view
        .items
        .iter()
        .map(|coverage| {
            let covered_by: Vec<CoveringVerdict> = coverage
                .covered_by
                .iter()
                .map(|c| CoveringVerdict {
                    requirement: c.requirement.clone(),
                    full: c.strength == Strength::Full,
                    verdict: verdicts.get(c.requirement.as_str()).copied(),
                })
                .collect();
            let any = |v: Verdict| covered_by.iter().any(|c| c.verdict == Some(v));
            let full: Vec<&CoveringVerdict> = covered_by.iter().filter(|c| c.full).collect();
            let status = if any(Verdict::Fail) {
                ItemStatus::NotSupported
            } else if !covered_by.is_empty()
                && covered_by
                    .iter()
                    .all(|c| c.verdict == Some(Verdict::NotApplicable))
            {
                ItemStatus::NotApplicable
            } else if !full.is_empty() && full.iter().all(|c| c.verdict == Some(Verdict::Pass)) {
                ItemStatus::Supported
            } else {
                ItemStatus::NotAssessed
            };
            ItemResult {
                id: coverage.item.id.clone(),
                title: coverage.item.title.clone(),
                obligation: coverage.item.obligation.as_str().to_owned(),
                status,
                covered_by,
            }
        })
        .collect();
    FrameworkResult {
        id: view.id.clone(),
        name: view.name.clone(),
        version: view.version.clone(),
        items,
    }
}

/// The pivot as a Markdown table, with a summary line.
pub fn framework_markdown(result: &FrameworkResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {} ({})\n\n{} items: {} supported, {} not supported, {} not applicable, {} not assessed.\n",
        result.name,
        result.version,
        result.items.len(),
        result.count(ItemStatus::Supported),
        result.count(ItemStatus::NotSupported),
        result.count(ItemStatus::NotApplicable),
        result.count(ItemStatus::NotAssessed)
    );
    let _ = writeln!(
        out,
        "| Item | Title | Obligation | Status | Requirements (verdict) |\n|---|---|---|---|---|"
    );
    for item in &result.items {
        let requirements: Vec<String> = item
            .covered_by
            .iter()
            .map(|c| {
                format!(
                    "{}{} {}",
                    c.requirement,
                    if c.full { "" } else { " (partly)" },
                    c.verdict.map_or("-", Verdict::label)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            item.id,
            item.title.replace('|', "\\|"),
            item.obligation,
            item.status.label(),
            if requirements.is_empty() {
                "none".to_owned()
            } else {
                requirements.join(", ")
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use hallmark_catalog::{Coverage, FrameworkItem, ItemCoverage, Obligation};

    use super::*;
    use crate::tests::sample_report;

    fn item(id: &str, covered_by: &[(&str, Strength)]) -> ItemCoverage {
        ItemCoverage {
            item: FrameworkItem {
                id: id.into(),
                title: format!("item {id}"),
                summary: String::new(),
                obligation: Obligation::Mandatory,
                group: None,
            },
            covered_by: covered_by
                .iter()
                .map(|(r, s)| Coverage {
                    requirement: (*r).into(),
                    strength: *s,
                })
                .collect(),
        }
    }

    #[test]
    fn statuses_follow_the_covering_verdicts() {
        let mut report = sample_report();
        // ECD-8.1 FAIL (from the sample); add a PASS and an N/A requirement.
        let mut pass = report.requirements[0].clone();
        pass.id = "ECD-2.1".into();
        pass.verdict = Verdict::Pass;
        let mut na = pass.clone();
        na.id = "ECD-8.5".into();
        na.verdict = Verdict::NotApplicable;
        report.requirements.extend([pass, na]);
        let view = FrameworkView {
            id: "etsi-en-303-645".into(),
            name: "ETSI EN 303 645".into(),
            version: "V3.1.3".into(),
            items: vec![
                item("5.1-1", &[("ECD-2.1", Strength::Full)]),
                item(
                    "5.6-1",
                    &[("ECD-8.1", Strength::Full), ("ECD-2.1", Strength::Partial)],
                ),
                item("5.6-2", &[("ECD-2.1", Strength::Partial)]),
                item("5.6-3", &[("ECD-8.5", Strength::Full)]),
                item("5.13-1", &[]),
            ],
        };
        let result = framework_result(&view, &report);
        let statuses: Vec<ItemStatus> = result.items.iter().map(|i| i.status).collect();
        assert_eq!(
            statuses,
            [
                ItemStatus::Supported,
                ItemStatus::NotSupported,
                ItemStatus::NotAssessed,
                ItemStatus::NotApplicable,
                ItemStatus::NotAssessed
            ]
        );
        let text = framework_markdown(&result);
        assert!(
            text.contains(
                "5 items: 1 supported, 1 not supported, 1 not applicable, 2 not assessed."
            ),
            "{text}"
        );
        assert!(text.contains("| 5.6-1 | item 5.6-1 | mandatory | not supported | ECD-8.1 FAIL, ECD-2.1 (partly) PASS |"), "{text}");
    }
}
