//! The renderer registry: one unit per output format of an assessment report, each a pure
//! function of the report and a little context.

use hallmark_model::Report;

use crate::{FrameworkResult, RuleInfo};

/// What some renderers need besides the report.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Every check's rule metadata (SARIF lists them all as rules).
    pub rules: Vec<RuleInfo>,
    /// The report pivoted to each framework (HTML shows a tab per framework).
    pub frameworks: Vec<FrameworkResult>,
}

/// One output format.
pub trait Renderer: Sync {
    /// Stable id, the value of `--format` (`json`, `sarif`, ...).
    fn id(&self) -> &'static str;
    /// One line: what the format is for.
    fn description(&self) -> &'static str;
    /// Renders the report.
    fn render(&self, report: &Report, context: &Context) -> String;
}

struct Html;
struct Json;
struct Markdown;
struct Sarif;
struct Terminal;

impl Renderer for Html {
    fn id(&self) -> &'static str {
        "html"
    }
    fn description(&self) -> &'static str {
        "one self-contained page: charts, requirements with evidence, framework tabs, \
         components, vulnerabilities, provenance; makes no network request"
    }
    fn render(&self, report: &Report, context: &Context) -> String {
        crate::html(report, &context.frameworks)
    }
}

impl Renderer for Json {
    fn id(&self) -> &'static str {
        "json"
    }
    fn description(&self) -> &'static str {
        "the full report, as described by `hallmark schema`"
    }
    fn render(&self, report: &Report, _: &Context) -> String {
        let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl Renderer for Markdown {
    fn id(&self) -> &'static str {
        "markdown"
    }
    fn description(&self) -> &'static str {
        "for tickets and pull requests"
    }
    fn render(&self, report: &Report, _: &Context) -> String {
        crate::markdown(report)
    }
}

impl Renderer for Sarif {
    fn id(&self) -> &'static str {
        "sarif"
    }
    fn description(&self) -> &'static str {
        "SARIF 2.1.0 for code-scanning dashboards: one rule per check, one result per finding"
    }
    fn render(&self, report: &Report, context: &Context) -> String {
        let mut text =
            serde_json::to_string_pretty(&crate::sarif(report, &context.rules)).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl Renderer for Terminal {
    fn id(&self) -> &'static str {
        "terminal"
    }
    fn description(&self) -> &'static str {
        "a summary per principle, then the failures with evidence and remediation"
    }
    fn render(&self, report: &Report, _: &Context) -> String {
        crate::terminal(report)
    }
}

/// Every renderer, sorted by id.
pub static RENDERERS: &[&dyn Renderer] = &[&Html, &Json, &Markdown, &Sarif, &Terminal];

/// The renderer with id `id`.
pub fn renderer(id: &str) -> Option<&'static dyn Renderer> {
    RENDERERS.iter().copied().find(|r| r.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;

    #[test]
    fn ids_sorted_unique_described_and_every_one_renders() {
        let ids: Vec<&str> = RENDERERS.iter().map(|r| r.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        let report = sample_report();
        for r in RENDERERS {
            assert!(!r.description().is_empty(), "{}", r.id());
            let text = r.render(&report, &Context::default());
            assert!(
                text.contains("fw.bin"),
                "{} does not name the input",
                r.id()
            );
            assert!(renderer(r.id()).is_some());
        }
    }

    #[test]
    fn json_round_trips() {
        let report = sample_report();
        let text = renderer("json")
            .map(|r| r.render(&report, &Context::default()))
            .unwrap_or_default();
        let back: Report = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, report);
    }
}
