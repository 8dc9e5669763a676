//! A self-contained HTML report: one file, inline CSS and SVG, a few lines of inline script
//! (open every drill-down before printing), and a content security policy that forbids every
//! network request. Sections: summary with the assurance score, charts (verdicts per
//! principle, findings by severity, components), the requirements with their evidence and
//! remediation, one tab per framework, the components, and the provenance.

use std::fmt::Write;

use hallmark_model::{Outcome, Report, RequirementResult, Severity, Verdict};

use crate::{FrameworkResult, ItemStatus};

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Inconclusive => "inconclusive",
        Verdict::NotApplicable => "na",
    }
}

fn status_class(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Supported => "pass",
        ItemStatus::NotSupported => "fail",
        ItemStatus::NotAssessed => "inconclusive",
        ItemStatus::NotApplicable => "na",
    }
}

const STYLE: &str = r#"
:root { --pass:#1a7f37; --fail:#cf222e; --inconclusive:#bf8700; --na:#8c959f; --ink:#1f2328; --muted:#59636e; --line:#d0d7de; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; background: var(--bg); }
.card b { display: block; font-size: 1.7em; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: .8em; font-weight: 600; color: #fff; white-space: nowrap; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.inconclusive { background: var(--inconclusive); } .badge.na { background: var(--na); }
.sev { font-weight: 600; text-transform: uppercase; font-size: .75em; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.charts figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); }
details { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
details > summary { cursor: pointer; }
details[open] > summary { margin-bottom: 6px; }
.finding { border-left: 3px solid var(--fail); padding-left: 10px; margin: 8px 0; }
.evidence { margin: 2px 0 2px 12px; }
.tabs > input { position: absolute; opacity: 0; }
.tabs > label { display: inline-block; padding: 6px 12px; border: 1px solid var(--line); border-bottom: none; border-radius: 6px 6px 0 0; cursor: pointer; background: var(--bg); }
.tabs > input:checked + label { background: #fff; font-weight: 600; }
.tabs > .panel { display: none; border-top: 1px solid var(--line); padding-top: 8px; }
.tabs > input:nth-of-type(1):checked ~ .panel:nth-of-type(1),
.tabs > input:nth-of-type(2):checked ~ .panel:nth-of-type(2),
.tabs > input:nth-of-type(3):checked ~ .panel:nth-of-type(3),
.tabs > input:nth-of-type(4):checked ~ .panel:nth-of-type(4),
.tabs > input:nth-of-type(5):checked ~ .panel:nth-of-type(5),
.tabs > input:nth-of-type(6):checked ~ .panel:nth-of-type(6) { display: block; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  .tabs > label, .tabs > input { display: none; }
  .tabs > .panel { display: block !important; page-break-before: always; }
  details { page-break-inside: avoid; border: none; padding: 0; }
  h2 { page-break-after: avoid; }
}
"#;

/// The report as one self-contained HTML page. `frameworks` are the framework pivots to show
/// as tabs (`framework_result` for each framework of the catalogue).
pub fn html(report: &Report, frameworks: &[FrameworkResult]) -> String {
    let mut out = String::new();
    let input = report.provenance.inputs.first();
    let name = input.map_or("?", |i| i.name.as_str());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Hallmark assessment of {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(name)
    );
    let _ = writeln!(
        out,
        "<h1>Hallmark assessment of <code>{}</code></h1>",
        esc(name)
    );
    let _ = writeln!(
        out,
        "<p class=\"muted\">Against {} {} ({}), by Hallmark {}. Unknown never counts as a pass: \
         a requirement without the evidence to decide it is inconclusive.</p>",
        esc(&report.provenance.catalog.id),
        esc(&report.provenance.catalog.version),
        esc(&report.provenance.catalog.status),
        esc(&report.provenance.tool.version)
    );
    summary(&mut out, report);
    charts(&mut out, report);
    requirements(&mut out, report);
    if !frameworks.is_empty() {
        framework_tabs(&mut out, frameworks);
    }
    components(&mut out, report);
    vulnerabilities(&mut out, report);
    provenance(&mut out, report);
    out.push_str(
        "<script>window.addEventListener('beforeprint', function () {\n  \
         document.querySelectorAll('details').forEach(function (d) { d.open = true; });\n});</script>\n\
         </body>\n</html>\n",
    );
    out
}

fn summary(out: &mut String, report: &Report) {
    let total = &report.summary.requirements;
    let assurance = report.summary.assurance;
    let _ = writeln!(out, "<section id=\"summary\"><div class=\"cards\">");
    let _ = writeln!(
        out,
        "<div class=\"card\" title=\"severity-weighted share of requirements passed\">Assurance score<b>{}/100</b><span class=\"muted\">{}% decided by evidence</span></div>",
        assurance.score, assurance.decided
    );
    for (label, count, class) in [
        ("Pass", total.pass, "pass"),
        ("Fail", total.fail, "fail"),
        ("Inconclusive", total.inconclusive, "inconclusive"),
        ("Not applicable", total.not_applicable, "na"),
    ] {
        let _ = writeln!(
            out,
            "<div class=\"card\"><span class=\"badge {class}\">{label}</span><b>{count}</b>requirements</div>"
        );
    }
    let _ = writeln!(out, "</div>");
    let _ = writeln!(
        out,
        "<p class=\"muted\">Score: the weight of the passed requirements over all the weight \
         (critical 4, high 3, medium 2, low 1; not applicable left out; inconclusive counts as \
         not passed).</p></section>"
    );
}

/// Three inline SVG charts.
fn charts(out: &mut String, report: &Report) {
    let _ = writeln!(out, "<h2>At a glance</h2>\n<div class=\"charts\">");
    // Verdicts per principle: one stacked bar per principle.
    let rows = report.summary.principles.len();
    let (label_w, bar_w, row_h) = (250usize, 300usize, 22usize);
    let height = rows.saturating_mul(row_h).saturating_add(30);
    let _ = writeln!(
        out,
        "<figure><figcaption>Requirement verdicts per principle</figcaption>\
         <svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Requirement verdicts per principle\" width=\"{}\" height=\"{height}\" font-size=\"12\">",
        label_w + bar_w + 10
    );
    for (i, p) in report.summary.principles.iter().enumerate() {
        let y = i * row_h;
        let n = |count: u32| usize::try_from(count).unwrap_or(0);
        let counts = [
            (n(p.requirements.pass), "var(--pass)", "pass"),
            (n(p.requirements.fail), "var(--fail)", "fail"),
            (
                n(p.requirements.inconclusive),
                "var(--inconclusive)",
                "inconclusive",
            ),
            (
                n(p.requirements.not_applicable),
                "var(--na)",
                "not applicable",
            ),
        ];
        let total: usize = counts.iter().map(|c| c.0).sum::<usize>().max(1);
        let mut title = p.title.clone();
        if title.chars().count() > 36 {
            title = title.chars().take(35).collect::<String>() + "…";
        }
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\">{} {}</text>",
            y + 15,
            p.number,
            esc(&title)
        );
        let mut x = label_w;
        for (count, color, label) in counts {
            if count == 0 {
                continue;
            }
            let w = bar_w * count / total;
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{color}\"><title>{count} {label}</title></rect>",
                y + 3,
                row_h - 6
            );
            x += w;
        }
    }
    let legend_y = rows * row_h + 18;
    let mut x = label_w;
    for (label, color) in [
        ("pass", "var(--pass)"),
        ("fail", "var(--fail)"),
        ("inconclusive", "var(--inconclusive)"),
        ("n/a", "var(--na)"),
    ] {
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{}\" y=\"{legend_y}\">{label}</text>",
            legend_y - 9,
            x + 14
        );
        x += 14 + label.len() * 7 + 12;
    }
    let _ = writeln!(out, "</svg></figure>");

    // Findings by severity.
    let findings: Vec<Severity> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .flat_map(|o| o.findings.iter().map(|f| f.severity))
        .collect();
    let levels = [
        (Severity::Critical, "#8b0000"),
        (Severity::High, "var(--fail)"),
        (Severity::Medium, "#d4750b"),
        (Severity::Low, "var(--inconclusive)"),
        (Severity::Info, "var(--na)"),
    ];
    let counts: Vec<usize> = levels
        .iter()
        .map(|(s, _)| findings.iter().filter(|f| *f == s).count())
        .collect();
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let _ = writeln!(
        out,
        "<figure><figcaption>Findings by severity ({} in all)</figcaption>\
         <svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Findings by severity\" width=\"330\" height=\"190\" font-size=\"12\">",
        findings.len()
    );
    for (i, ((severity, color), count)) in levels.iter().zip(&counts).enumerate() {
        let h = 130 * count / max;
        let x = 10 + i * 64;
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"44\" height=\"{h}\" fill=\"{color}\"><title>{count} {}</title></rect>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{count}</text>\
             <text x=\"{}\" y=\"182\" text-anchor=\"middle\">{}</text>",
            160 - h,
            severity.as_str(),
            x + 22,
            155 - h,
            x + 22,
            severity.as_str()
        );
    }
    let _ = writeln!(out, "</svg></figure>");

    // Components: with a version, a CPE, or neither.
    let with_cpe = report.components.iter().filter(|c| c.cpe.is_some()).count();
    let with_version = report
        .components
        .iter()
        .filter(|c| c.version.is_some())
        .count();
    let total = report.components.len();
    let bars = [
        ("identified", total, "#0969da"),
        ("with version", with_version, "#1f6feb"),
        ("with CPE (matchable)", with_cpe, "#54aeff"),
    ];
    let max = total.max(1);
    let _ = writeln!(
        out,
        "<figure><figcaption>Software components</figcaption>\
         <svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Software components\" width=\"330\" height=\"100\" font-size=\"12\">"
    );
    for (i, (label, count, color)) in bars.iter().enumerate() {
        let y = i * 30;
        let w = 160 * count / max;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\">{label}</text><rect x=\"140\" y=\"{}\" width=\"{w}\" height=\"18\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{count}</text>",
            y + 15,
            y + 3,
            144 + w,
            y + 16
        );
    }
    let _ = writeln!(out, "</svg></figure>");
    vulnerability_chart(out, report);
    let _ = writeln!(out, "</div>");
}

/// Known vulnerabilities by CVSS severity (or a note that no data was searched).
fn vulnerability_chart(out: &mut String, report: &Report) {
    let Some(scan) = &report.vulnerabilities else {
        let _ = writeln!(
            out,
            "<figure><figcaption>Known vulnerabilities</figcaption><p class=\"muted\">No \
             vulnerability data was searched (<code>hallmark db import</code>).</p></figure>"
        );
        return;
    };
    let levels = [
        ("critical", "#8b0000"),
        ("high", "var(--fail)"),
        ("medium", "#d4750b"),
        ("low", "var(--inconclusive)"),
        ("unscored", "var(--na)"),
    ];
    let severity = |m: &hallmark_model::facts::VulnMatch| {
        m.cvss
            .as_ref()
            .map_or("unscored".to_owned(), |c| c.severity.to_ascii_lowercase())
    };
    let active: Vec<_> = scan.active().collect();
    let counts: Vec<usize> = levels
        .iter()
        .map(|(level, _)| {
            active
                .iter()
                .filter(|m| {
                    let s = severity(m);
                    s == *level || (*level == "unscored" && !levels.iter().any(|(l, _)| *l == s))
                })
                .count()
        })
        .collect();
    let kev = active.iter().filter(|m| m.kev.is_some()).count();
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let _ = writeln!(
        out,
        "<figure><figcaption>Known vulnerabilities ({} matched, {kev} known exploited)</figcaption>\
         <svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Known vulnerabilities by severity\" width=\"330\" height=\"190\" font-size=\"12\">",
        active.len()
    );
    for (i, ((label, color), count)) in levels.iter().zip(&counts).enumerate() {
        let h = 130 * count / max;
        let x = 10 + i * 64;
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"44\" height=\"{h}\" fill=\"{color}\"><title>{count} {label}</title></rect>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{count}</text>\
             <text x=\"{}\" y=\"182\" text-anchor=\"middle\">{label}</text>",
            160 - h,
            x + 22,
            155 - h,
            x + 22
        );
    }
    let _ = writeln!(out, "</svg></figure>");
}

fn requirements(out: &mut String, report: &Report) {
    let _ = writeln!(out, "<h2 id=\"requirements\">Requirements</h2>");
    for principle in &report.summary.principles {
        let _ = writeln!(
            out,
            "<h3>{} {} <span class=\"badge {}\">{}</span> <span class=\"muted\">score {}/100</span></h3>",
            principle.number,
            esc(&principle.title),
            verdict_class(principle.verdict),
            principle.verdict.label(),
            principle.assurance.score
        );
        for requirement in report
            .requirements
            .iter()
            .filter(|r| r.principle == principle.number)
        {
            requirement_details(out, report, requirement);
        }
    }
}

fn requirement_details(out: &mut String, report: &Report, requirement: &RequirementResult) {
    let open = if requirement.verdict == Verdict::Fail {
        " open"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<details{open} id=\"{}\"><summary><span class=\"badge {}\">{}</span> <b>{}</b> {} <span class=\"sev muted\">{}</span></summary>",
        esc(&requirement.id),
        verdict_class(requirement.verdict),
        requirement.verdict.label(),
        esc(&requirement.id),
        esc(&requirement.title),
        requirement.severity.as_str()
    );
    let _ = writeln!(out, "<p>{}</p>", esc(&requirement.reason));
    if !requirement.missing.is_empty() {
        let _ = writeln!(out, "<p>Missing evidence:</p><ul>");
        for missing in &requirement.missing {
            let _ = writeln!(out, "<li>{}</li>", esc(missing));
        }
        let _ = writeln!(out, "</ul>");
    }
    for check in &requirement.checks {
        if let Some(outcome) = report.outcomes.iter().find(|o| &o.check == check) {
            outcome_html(out, outcome);
        }
    }
    let _ = writeln!(out, "</details>");
}

fn outcome_html(out: &mut String, outcome: &Outcome) {
    let _ = writeln!(
        out,
        "<div><span class=\"badge {}\">{}</span> <code>{}</code>: {}</div>",
        verdict_class(outcome.verdict),
        outcome.verdict.label(),
        esc(&outcome.check),
        esc(&outcome.summary)
    );
    for evidence in &outcome.evidence {
        let _ = writeln!(
            out,
            "<div class=\"evidence\">at <code>{}</code>: {}</div>",
            esc(&evidence.location.to_string()),
            esc(&evidence.observed)
        );
    }
    for finding in &outcome.findings {
        let _ = writeln!(
            out,
            "<div class=\"finding\"><span class=\"sev\">{}</span> {}",
            finding.severity.as_str(),
            esc(&finding.title)
        );
        for evidence in &finding.evidence {
            let _ = write!(
                out,
                "<div class=\"evidence\">at <code>{}</code>: {}",
                esc(&evidence.location.to_string()),
                esc(&evidence.observed)
            );
            if let Some(excerpt) = &evidence.excerpt {
                let _ = write!(out, " <code>{}</code>", esc(excerpt));
            }
            let _ = writeln!(
                out,
                "<br><span class=\"muted\">{}</span></div>",
                esc(&evidence.reason)
            );
        }
        let _ = writeln!(
            out,
            "<div><b>Fix:</b> {}</div></div>",
            esc(&finding.remediation)
        );
    }
}

fn framework_tabs(out: &mut String, frameworks: &[FrameworkResult]) {
    let _ = writeln!(
        out,
        "<h2 id=\"frameworks\">Frameworks</h2>\n<p class=\"muted\">Each item's status follows \
         the requirements that cover it: not supported if one failed, supported if every \
         requirement covering it fully passed, otherwise not assessed.</p>\n<div class=\"tabs\">"
    );
    for (i, framework) in frameworks.iter().enumerate() {
        let _ = writeln!(
            out,
            "<input type=\"radio\" name=\"framework\" id=\"tab-{i}\"{}><label for=\"tab-{i}\">{}</label>",
            if i == 0 { " checked" } else { "" },
            esc(&framework.id)
        );
    }
    for framework in frameworks {
        let _ = writeln!(
            out,
            "<div class=\"panel\"><h3>{} <span class=\"muted\">{}</span></h3>\
             <p>{} items: {} supported, {} not supported, {} not applicable, {} not assessed.</p>\
             <table><thead><tr><th>Item</th><th>Title</th><th>Obligation</th><th>Status</th><th>Requirements</th></tr></thead><tbody>",
            esc(&framework.name),
            esc(&framework.version),
            framework.items.len(),
            framework.count(ItemStatus::Supported),
            framework.count(ItemStatus::NotSupported),
            framework.count(ItemStatus::NotApplicable),
            framework.count(ItemStatus::NotAssessed)
        );
        for item in &framework.items {
            let requirements: Vec<String> = item
                .covered_by
                .iter()
                .map(|c| {
                    format!(
                        "<a href=\"#{0}\">{0}</a>{1} {2}",
                        esc(&c.requirement),
                        if c.full { "" } else { " (partly)" },
                        c.verdict.map_or("-", Verdict::label)
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td><span class=\"badge {}\">{}</span></td><td>{}</td></tr>",
                esc(&item.id),
                esc(&item.title),
                esc(&item.obligation),
                status_class(item.status),
                item.status.label(),
                if requirements.is_empty() {
                    "none".to_owned()
                } else {
                    requirements.join(", ")
                }
            );
        }
        let _ = writeln!(out, "</tbody></table></div>");
    }
    let _ = writeln!(out, "</div>");
}

fn components(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "<h2 id=\"components\">Components ({})</h2>",
        report.components.len()
    );
    if report.components.is_empty() {
        let _ = writeln!(out, "<p>No software component was identified.</p>");
        return;
    }
    let _ = writeln!(
        out,
        "<table><thead><tr><th>Component</th><th>Version</th><th>CPE</th><th>Evidence</th></tr></thead><tbody>"
    );
    for c in &report.components {
        let evidence = c
            .evidence
            .first()
            .map(|e| format!("<code>{}</code>", esc(&e.location.to_string())))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{evidence}</td></tr>",
            esc(&c.name),
            esc(c.version.as_deref().unwrap_or("unknown")),
            esc(c.cpe.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

fn vulnerabilities(out: &mut String, report: &Report) {
    let Some(scan) = &report.vulnerabilities else {
        return;
    };
    let _ = writeln!(
        out,
        "<h2 id=\"vulnerabilities\">Known vulnerabilities ({})</h2>\n<p class=\"muted\">Data: {}</p>",
        scan.matches.len(),
        esc(&scan.snapshot_summary())
    );
    if !scan.matches.is_empty() {
        let _ = writeln!(
            out,
            "<table><thead><tr><th>Id</th><th>Component</th><th>CVSS</th><th>Known exploited</th><th>Range matched</th><th>Fixed in</th><th>VEX</th></tr></thead><tbody>"
        );
        for m in &scan.matches {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.id),
                esc(&m.component.name),
                esc(m.component.version.as_deref().unwrap_or("")),
                m.cvss
                    .as_ref()
                    .map(|c| format!(
                        "{} {}",
                        c.score.map(|s| format!("{s:.1}")).unwrap_or_default(),
                        esc(&c.severity)
                    ))
                    .unwrap_or_default(),
                m.kev
                    .as_ref()
                    .map(|k| format!("<b>yes</b>, since {}", esc(&k.date_added)))
                    .unwrap_or_else(|| "no".into()),
                esc(&m.range),
                esc(m.fixed.as_deref().unwrap_or("")),
                m.suppressed
                    .as_ref()
                    .map(|s| format!("not affected: {}", esc(&s.justification)))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(out, "</tbody></table>");
    }
    for gap in &scan.not_assessed {
        let _ = writeln!(
            out,
            "<p>Not assessed: {} {} ({})</p>",
            gap.count,
            esc(&gap.what),
            esc(&gap.reason)
        );
    }
}

fn provenance(out: &mut String, report: &Report) {
    let p = &report.provenance;
    let _ = writeln!(
        out,
        "<h2 id=\"provenance\">Provenance</h2>\n<table><tbody>\
         <tr><th>Tool</th><td>{} {}</td></tr>\
         <tr><th>Catalogue</th><td>{} {} ({})</td></tr>\
         <tr><th>Report format</th><td>{}</td></tr>",
        esc(&p.tool.name),
        esc(&p.tool.version),
        esc(&p.catalog.id),
        esc(&p.catalog.version),
        esc(&p.catalog.status),
        esc(&report.schema_version)
    );
    for input in &p.inputs {
        let _ = writeln!(
            out,
            "<tr><th>Input</th><td><code>{}</code>{}{}</td></tr>",
            esc(&input.name),
            input
                .size
                .map(|s| format!(", {s} bytes"))
                .unwrap_or_default(),
            input
                .sha256
                .as_deref()
                .map(|h| format!(", SHA-256 <code>{}</code>", esc(h)))
                .unwrap_or_default()
        );
    }
    for (key, value) in &p.settings {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            esc(key),
            esc(&value.to_string())
        );
    }
    if let Some(at) = &p.generated_at {
        let _ = writeln!(out, "<tr><th>Generated</th><td>{}</td></tr>", esc(at));
    }
    let _ = writeln!(out, "</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_report;

    #[test]
    fn escapes_and_self_contains() {
        let mut report = sample_report();
        report.outcomes[0].findings[0].title = "<script>alert(1)</script>".into();
        let page = html(&report, &[]);
        assert!(!page.contains("<script>alert"), "finding text is escaped");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("default-src 'none'"));
        // Nothing refers to another resource.
        for needle in ["src=\"http", "href=\"http", "url(", "@import", "<link"] {
            assert!(!page.contains(needle), "{needle}");
        }
        // The failed requirement is open, with its evidence and fix.
        assert!(page.contains("<details open id=\"ECD-8.1\">"));
        assert!(page.contains("/etc/init.d/S40telnetd"));
        assert!(page.contains("<b>Fix:</b> Remove telnetd from the image."));
        assert!(page.contains("Known vulnerabilities (1 matched, 0 known exploited)"));
        assert!(page.contains("<td class=\"mono\">CVE-2022-48174</td>"));
    }
}
