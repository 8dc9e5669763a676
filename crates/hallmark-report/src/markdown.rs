//! Markdown, for tickets and pull requests: the verdicts per principle, each failed check with
//! its findings, evidence and remediation, the inconclusive checks with what they miss, and
//! the components identified.

use std::fmt::Write;

use hallmark_model::{Report, Verdict};

use crate::text::md_cell as cell;

/// Inline code that survives backticks in the text.
fn code(text: &str) -> String {
    let fence = if text.contains('`') { "``" } else { "`" };
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!(
        "{fence}{pad}{}{pad}{fence}",
        text.replace(['\n', '\r'], " ")
    )
}

/// The report as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let input = report.provenance.inputs.first();
    let _ = writeln!(
        out,
        "# Hallmark assessment of {}\n",
        code(input.map_or("?", |i| i.name.as_str()))
    );
    if let Some(sha256) = input.and_then(|i| i.sha256.as_deref()) {
        let _ = writeln!(out, "- SHA-256: {}", code(sha256));
    }
    let _ = writeln!(
        out,
        "- Catalogue: {} {} ({})\n- Hallmark {}\n",
        report.provenance.catalog.id,
        report.provenance.catalog.version,
        report.provenance.catalog.status,
        report.provenance.tool.version
    );
    let total = &report.summary.requirements;
    let _ = writeln!(
        out,
        "**{} requirements:** {} pass, {} fail, {} inconclusive, {} not applicable. \
         Inconclusive means the evidence was not available; it is never counted as a pass.\n",
        report.requirements.len(),
        total.pass,
        total.fail,
        total.inconclusive,
        total.not_applicable
    );
    let assurance = report.summary.assurance;
    let _ = writeln!(
        out,
        "**Assurance score: {}/100**, with {}% of the weight decided by evidence. The score is the \
         severity-weighted share of requirements that passed (critical 4, high 3, medium 2, low 1; \
         not applicable left out; inconclusive counts as not passed).\n",
        assurance.score, assurance.decided
    );
    let _ = writeln!(
        out,
        "| # | Principle | Pass | Fail | Inconclusive | N/A | Score | Verdict |\n|---:|---|---:|---:|---:|---:|---:|---|"
    );
    for p in &report.summary.principles {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | **{}** |",
            p.number,
            cell(&p.title),
            p.requirements.pass,
            p.requirements.fail,
            p.requirements.inconclusive,
            p.requirements.not_applicable,
            p.assurance.score,
            p.verdict.label()
        );
    }

    let failed: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .collect();
    let _ = writeln!(out, "\n## Failed checks ({})\n", failed.len());
    if failed.is_empty() {
        let _ = writeln!(out, "No check failed.");
    }
    for outcome in failed {
        let _ = writeln!(
            out,
            "### {} ({})\n\n{}\n",
            code(&outcome.check),
            outcome.requirements.join(", "),
            outcome.summary
        );
        for finding in &outcome.findings {
            let _ = write!(out, "- **{}** {}", finding.severity.as_str(), finding.title);
            if finding.message != finding.title {
                let _ = write!(out, ": {}", finding.message);
            }
            out.push('\n');
            for evidence in &finding.evidence {
                let _ = writeln!(
                    out,
                    "  - at {}: {}",
                    code(&evidence.location.to_string()),
                    evidence.observed
                );
                if let Some(excerpt) = &evidence.excerpt {
                    let _ = writeln!(out, "    {}", code(excerpt));
                }
            }
        }
        if let Some(first) = outcome.findings.first() {
            let _ = writeln!(out, "\n**Fix:** {}\n", first.remediation);
        }
    }

    let inconclusive: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Inconclusive)
        .collect();
    if !inconclusive.is_empty() {
        let _ = writeln!(
            out,
            "\n## Inconclusive checks ({})\n\n| Check | Missing evidence |\n|---|---|",
            inconclusive.len()
        );
        for outcome in inconclusive {
            let _ = writeln!(
                out,
                "| {} | {} |",
                code(&outcome.check),
                cell(&outcome.missing.join("; "))
            );
        }
    }

    match &report.vulnerabilities {
        None => {
            let _ = writeln!(
                out,
                "\n## Vulnerabilities\n\nNo vulnerability data was available, so none were \
                 matched (import data with `hallmark db import`)."
            );
        }
        Some(scan) => {
            let active: Vec<_> = scan.active().collect();
            let _ = writeln!(
                out,
                "\n## Vulnerabilities ({} matched, {} suppressed by VEX)\n\nData: {}\n",
                active.len(),
                scan.matches.len().saturating_sub(active.len()),
                cell(&scan.snapshot_summary())
            );
            if !scan.matches.is_empty() {
                let _ = writeln!(
                    out,
                    "| Id | Component | CVSS | Known exploited | Range matched | Fixed in | VEX |\n|---|---|---|---|---|---|---|"
                );
                for m in &scan.matches {
                    let _ = writeln!(
                        out,
                        "| {} | {} {} | {} | {} | {} | {} | {} |",
                        m.id,
                        cell(&m.component.name),
                        cell(m.component.version.as_deref().unwrap_or("")),
                        m.cvss
                            .as_ref()
                            .map(|c| format!(
                                "{} {}",
                                c.score.map(|s| format!("{s:.1}")).unwrap_or_default(),
                                c.severity
                            ))
                            .unwrap_or_default(),
                        m.kev
                            .as_ref()
                            .map(|k| format!("yes (since {})", k.date_added))
                            .unwrap_or_else(|| "no".into()),
                        cell(&m.range),
                        cell(m.fixed.as_deref().unwrap_or("")),
                        m.suppressed
                            .as_ref()
                            .map(|s| format!("not affected: {}", cell(&s.justification)))
                            .unwrap_or_default()
                    );
                }
            }
            for gap in &scan.not_assessed {
                let _ = writeln!(
                    out,
                    "\nNot assessed: {} {} ({})",
                    gap.count, gap.what, gap.reason
                );
            }
        }
    }

    if !report.components.is_empty() {
        let _ = writeln!(
            out,
            "\n## Components ({})\n\n| Component | Version | CPE |\n|---|---|---|",
            report.components.len()
        );
        for component in &report.components {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&component.name),
                cell(component.version.as_deref().unwrap_or("unknown")),
                component.cpe.as_deref().map(code).unwrap_or_default()
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
    fn summary_failures_inconclusive_and_components() {
        let text = markdown(&sample_report());
        assert!(
            text.starts_with("# Hallmark assessment of `fw.bin`"),
            "{text}"
        );
        assert!(
            text.contains("| 8 | Constrain device interfaces | 0 | 1 | 0 | 0 | 0 | **FAIL** |"),
            "{text}"
        );
        assert!(text.contains("### `services-telnet` (ECD-8.1)"), "{text}");
        assert!(
            text.contains("  - at `fw.bin > squashfs@0x40:/etc/init.d/S40telnetd:3`"),
            "{text}"
        );
        assert!(text.contains("**Fix:** Remove telnetd"), "{text}");
        assert!(
            text.contains("| `updates-signed` | a signature key \\| or a declaration |"),
            "{text}"
        );
        assert!(
            text.contains(
                "| busybox | 1.30.1 | `cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*` |"
            ),
            "{text}"
        );
        assert!(
            text.contains("## Vulnerabilities (1 matched, 0 suppressed by VEX)"),
            "{text}"
        );
        assert!(
            text.contains(
                "| CVE-2022-48174 | busybox 1.30.1 | 9.8 CRITICAL | no | busybox <= 1.36.1 |  |  |"
            ),
            "{text}"
        );
        let mut none = sample_report();
        none.vulnerabilities = None;
        assert!(markdown(&none).contains("No vulnerability data was available"));
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}
