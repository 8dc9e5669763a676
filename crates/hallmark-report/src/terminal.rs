//! The terminal renderer: a summary per principle, then the failures with evidence and fixes.

use std::fmt::Write;

use hallmark_model::{Report, Verdict};

use crate::text::{DIM, HEADING, WARN, WIDTH, severity_style, wrap};

fn verdict_style(verdict: Verdict) -> anstyle::Style {
    use anstyle::{AnsiColor, Color, Style};
    let color = match verdict {
        Verdict::Pass => AnsiColor::Green,
        Verdict::Fail => AnsiColor::Red,
        Verdict::Inconclusive => AnsiColor::Yellow,
        Verdict::NotApplicable => AnsiColor::BrightBlack,
    };
    Style::new().fg_color(Some(Color::Ansi(color))).bold()
}

/// The report as text for a terminal: the image, a summary per principle with the assurance
/// score, then every failed check with its findings, evidence and fix. ANSI styles are
/// included; the writer strips them where colour is off.
pub fn terminal(report: &Report) -> String {
    let mut out = String::new();
    let _ = write_terminal(report, &mut out);
    out
}

fn write_terminal(report: &Report, out: &mut String) -> std::fmt::Result {
    let input = report.provenance.inputs.first();
    writeln!(
        out,
        "{HEADING}Hallmark assessment{HEADING:#} of {}",
        input.map(|i| i.name.as_str()).unwrap_or("?")
    )?;
    if let Some(image) = &report.image {
        writeln!(
            out,
            "{DIM}sha256 {}  ·  {} bytes  ·  layers: {}{DIM:#}",
            input.and_then(|i| i.sha256.as_deref()).unwrap_or("?"),
            input.and_then(|i| i.size).unwrap_or(0),
            if image.layers.is_empty() {
                "none recognised".to_owned()
            } else {
                image.layers.join(" > ")
            }
        )?;
        writeln!(
            out,
            "{DIM}{} file trees ({} root filesystems), {} kernels{DIM:#}",
            image.file_trees, image.root_filesystems, image.kernels
        )?;
        let versioned = report
            .components
            .iter()
            .filter(|c| c.version.is_some())
            .count();
        writeln!(
            out,
            "{DIM}{} software components ({versioned} with a version); `hallmark sbom` lists them{DIM:#}",
            report.components.len()
        )?;
        match &report.vulnerabilities {
            Some(scan) => {
                let active: Vec<_> = scan.active().collect();
                writeln!(
                    out,
                    "{DIM}{} known vulnerabilities ({} known exploited) from {}{DIM:#}",
                    active.len(),
                    active.iter().filter(|m| m.kev.is_some()).count(),
                    scan.snapshot_summary()
                )?;
            }
            None => writeln!(
                out,
                "{DIM}no vulnerability data searched (import some with `hallmark db import`){DIM:#}"
            )?,
        }
        for note in image.incomplete.iter().take(5) {
            writeln!(out, "{WARN}incomplete:{WARN:#} {note}")?;
        }
    }
    writeln!(
        out,
        "catalogue {} {}\n",
        report.provenance.catalog.id, report.provenance.catalog.version
    )?;

    writeln!(
        out,
        "{HEADING}{:<4}{:<64}{:>6}{:>6}{:>8}{:>6}{:>7}  verdict{HEADING:#}",
        "", "principle", "pass", "fail", "incon.", "n/a", "score"
    )?;
    for p in &report.summary.principles {
        let style = verdict_style(p.verdict);
        writeln!(
            out,
            "{:<4}{:<64}{:>6}{:>6}{:>8}{:>6}{:>7}  {style}{}{style:#}",
            p.number,
            crate::text::pad(&p.title, 63),
            p.requirements.pass,
            p.requirements.fail,
            p.requirements.inconclusive,
            p.requirements.not_applicable,
            p.assurance.score,
            p.verdict.label()
        )?;
    }
    let total = &report.summary.requirements;
    writeln!(
        out,
        "\n{HEADING}{} requirements:{HEADING:#} {} pass, {} fail, {} inconclusive, {} not applicable",
        report.requirements.len(),
        total.pass,
        total.fail,
        total.inconclusive,
        total.not_applicable
    )?;
    let assurance = report.summary.assurance;
    writeln!(
        out,
        "{HEADING}assurance score {}/100{HEADING:#} {DIM}(severity-weighted share of requirements passed; {}% of the weight decided by evidence, the rest inconclusive){DIM:#}\n",
        assurance.score, assurance.decided
    )?;

    let failing: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .collect();
    if failing.is_empty() {
        writeln!(out, "No check failed.")?;
    }
    for outcome in failing {
        writeln!(
            out,
            "{HEADING}FAIL {}{HEADING:#}  {DIM}[{}]{DIM:#}",
            outcome.check,
            outcome.requirements.join(", ")
        )?;
        for finding in &outcome.findings {
            let style = severity_style(finding.severity);
            writeln!(
                out,
                "  {style}{:<8}{style:#} {}",
                finding.severity.as_str(),
                finding.title
            )?;
            for evidence in &finding.evidence {
                writeln!(out, "           {DIM}at{DIM:#} {}", evidence.location)?;
                writeln!(out, "           {DIM}seen{DIM:#} {}", evidence.observed)?;
            }
        }
        if let Some(first) = outcome.findings.first() {
            write!(
                out,
                "  {DIM}fix:{DIM:#} {}",
                wrap(&first.remediation, 7, WIDTH).trim_start()
            )?;
            writeln!(out)?;
        }
        writeln!(out)?;
    }
    let inconclusive = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Inconclusive)
        .count();
    if inconclusive > 0 {
        writeln!(
            out,
            "{DIM}{inconclusive} checks were inconclusive; `--format json` lists the evidence each one misses.{DIM:#}"
        )?;
    }
    Ok(())
}
