//! `hallmark diff`: what changed between the JSON reports of two firmware versions.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use hallmark_model::Report;

/// Arguments of `hallmark diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// The older report (`hallmark assess --format json`).
    old: PathBuf,
    /// The newer report.
    new: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Terminal)]
    format: DiffFormat,

    /// Exit with code 1 when the new report has findings the old one had not (a CI gate for
    /// regressions).
    #[arg(long)]
    fail_on_new: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    /// Readable text (Markdown).
    Terminal,
    /// Markdown, for pull requests.
    Markdown,
    /// JSON: fixed and new findings, verdict changes, component changes.
    Json,
}

fn read(path: &PathBuf) -> anyhow::Result<Report> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not a Hallmark JSON report (`hallmark assess --format json`)",
            path.display()
        )
    })
}

/// Prints the difference; returns whether the `--fail-on-new` gate tripped.
pub fn run(args: &DiffArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let old = read(&args.old)?;
    let new = read(&args.new)?;
    let diff = hallmark_report::diff(&old, &new);
    match args.format {
        DiffFormat::Terminal | DiffFormat::Markdown => {
            write!(out, "{}", hallmark_report::diff_markdown(&diff))?;
        }
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &diff)?;
            writeln!(out)?;
        }
    }
    Ok(args.fail_on_new && !diff.new.is_empty())
}
