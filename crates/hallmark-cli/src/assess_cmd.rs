//! `hallmark assess`: unpack an image in memory, collect facts, run every check, roll verdicts
//! up per requirement and principle, and print the result.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use hallmark_catalog::Catalog;
use hallmark_model::{
    EvidenceKind, Input, Provenance, REPORT_SCHEMA_VERSION, Report, Summary, ToolInfo, Verdict,
};
use hallmark_unpack::{Limits, Unpacker};

use crate::text::{DIM, WARN};

/// Arguments of `hallmark assess`.
#[derive(Args)]
pub struct AssessArgs {
    /// The firmware image.
    image: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = AssessFormat::Terminal)]
    format: AssessFormat,

    /// Pivot the verdicts to this framework's items (etsi-en-303-645, cra, psti,
    /// nist-ir-8259a): each supported, not supported, not applicable or not assessed, with the
    /// requirements behind it. Applies to the terminal, Markdown and JSON formats.
    #[arg(long, value_name = "ID")]
    framework: Option<String>,

    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Do not print progress on standard error.
    #[arg(short, long)]
    quiet: bool,

    /// How far down the password dictionary each hash is tested: the likely candidates
    /// (vendor defaults, botnet lists, user-name variants; about 350) or the whole dictionary
    /// (about 3,300).
    #[arg(long, value_enum, value_name = "DEPTH", default_value_t = CrackArg::Likely)]
    crack: CrackArg,

    /// Exit with code 1 when the assessment has a FAIL verdict (`fail`) or findings at or above
    /// a severity (`low`, `medium`, `high`, `critical`): a gate for CI.
    #[arg(long, value_enum, value_name = "LEVEL")]
    fail_on: Option<FailOn>,

    /// Work allowed for testing password hashes, over all accounts, in units of about one
    /// MD5-crypt computation (0.1 ms of one core); see `hallmark explain accounts-default-passwords`.
    #[arg(long, value_name = "UNITS", default_value_t = hallmark_collect::Options::default().crack_budget)]
    crack_budget: u64,

    /// Combine the tested evidence with this manufacturer's declaration (claims, support
    /// period, disclosure, update policy; format: docs/declaration-format.md).
    #[arg(long, value_name = "FILE")]
    declaration: Option<PathBuf>,
    /// The offline vulnerability store to match components against (default:
    /// $HALLMARK_VULN_DB, else $XDG_DATA_HOME/hallmark/vuln.sqlite3). Without one, the
    /// vulnerability checks are inconclusive. Never downloads anything.
    #[arg(long, value_name = "PATH")]
    vuln_db: Option<PathBuf>,

    /// An OpenVEX or CycloneDX VEX document: matches it says are `not_affected` are marked
    /// suppressed (they stay in the report). Repeatable.
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,

    /// The date the assessment judges end of life against (YYYY-MM-DD; default today, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    date: Option<String>,

    /// Also probe this live device over the network: firmware and live evidence are judged
    /// together, in one report (see `hallmark probe --help` for the probe options).
    #[arg(long, value_name = "HOST")]
    probe: Option<String>,

    #[command(flatten)]
    probe_options: crate::probe_cmd::ProbeOptions,
}

/// Accepts `YYYY-MM-DD`.
fn parse_date(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let ok = matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2)
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!("`{text}` is not a date of the form YYYY-MM-DD"))
    }
}

/// The vulnerability scan of the collected components, when a store with data exists.
fn vulnerabilities(
    args: &AssessArgs,
    facts: &hallmark_model::facts::Facts,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Option<hallmark_model::facts::VulnScan>> {
    let Ok(path) = hallmark_vuln::resolve_path(args.vuln_db.as_deref()) else {
        progress("no vulnerability store location (set HALLMARK_VULN_DB or pass --vuln-db)");
        return Ok(None);
    };
    let store = hallmark_vuln::Store::open_existing(&path)
        .with_context(|| format!("cannot read the vulnerability store {}", path.display()))?;
    let store = match store {
        Some(store) if !store.snapshots()?.is_empty() => store,
        _ => {
            progress(&format!(
                "no vulnerability data at {}: vulnerability checks will be inconclusive \
                 (import data with `hallmark db import FILE...`)",
                path.display()
            ));
            return Ok(None);
        }
    };
    let mut scan = hallmark_vuln::match_components(&store, &facts.components)?;
    for file in &args.vex {
        let vex = hallmark_vuln::load_vex(file)?;
        hallmark_vuln::apply_vex(&mut scan, &vex);
    }
    progress(&format!(
        "matched {} components against {}: {} matches ({} suppressed by VEX)",
        scan.components_examined,
        path.display(),
        scan.matches.len(),
        scan.matches.len() - scan.active().count()
    ));
    Ok(Some(scan))
}

/// What makes `--fail-on` exit with code 1.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Any check with a FAIL verdict.
    Fail,
    /// A finding of low severity or above.
    Low,
    /// A finding of medium severity or above.
    Medium,
    /// A finding of high severity or above.
    High,
    /// A critical finding.
    Critical,
}

impl FailOn {
    /// Whether `report` trips the gate.
    fn tripped(self, report: &Report) -> bool {
        use hallmark_model::Severity;
        let at_least = |level: Severity| {
            report
                .outcomes
                .iter()
                .flat_map(|o| &o.findings)
                .any(|f| f.severity != Severity::Info && f.severity >= level)
        };
        match self {
            FailOn::Fail => report.outcomes.iter().any(|o| o.verdict == Verdict::Fail),
            FailOn::Low => at_least(Severity::Low),
            FailOn::Medium => at_least(Severity::Medium),
            FailOn::High => at_least(Severity::High),
            FailOn::Critical => at_least(Severity::Critical),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CrackArg {
    /// User-name variants, vendor defaults, botnet lists, the most common passwords.
    Likely,
    /// The whole dictionary, adding common passwords and keyboard and digit patterns.
    Full,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AssessFormat {
    /// A summary per principle, then the failures with evidence and remediation.
    Terminal,
    /// The full report, as described by `hallmark schema`.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards: one rule per check, one result per finding.
    Sarif,
    /// Markdown, for tickets and pull requests.
    Markdown,
    /// One self-contained HTML page: charts, requirements with evidence, framework tabs,
    /// components, provenance. Makes no network request.
    Html,
}

impl AssessFormat {
    /// The id of its renderer in `hallmark_report::RENDERERS`.
    fn id(self) -> &'static str {
        match self {
            AssessFormat::Terminal => "terminal",
            AssessFormat::Json => "json",
            AssessFormat::Sarif => "sarif",
            AssessFormat::Markdown => "markdown",
            AssessFormat::Html => "html",
        }
    }
}

/// Runs the assessment and renders it. Returns whether the `--fail-on` gate tripped.
pub fn run(catalog: &Catalog, args: &AssessArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let progress = |what: &str| {
        if !args.quiet {
            let _ = writeln!(anstream::stderr(), "{DIM}{what}{DIM:#}");
        }
    };
    progress(&format!("unpacking {}", args.image.display()));
    let limits = Limits::default();
    let unpacked = Unpacker::new(limits.clone())
        .unpack_file(&args.image)
        .with_context(|| format!("cannot assess {}", args.image.display()))?;
    progress(&format!(
        "unpacked {} layers, {} bytes in {:.2?}; collecting facts",
        unpacked.layers().len(),
        unpacked.stats.bytes_produced,
        unpacked.stats.elapsed
    ));
    let options = hallmark_collect::Options {
        crack_budget: args.crack_budget,
        crack_depth: match args.crack {
            CrackArg::Likely => hallmark_collect::CrackDepth::Likely,
            CrackArg::Full => hallmark_collect::CrackDepth::Full,
        },
        ..hallmark_collect::Options::default()
    };
    let started = std::time::Instant::now();
    let (mut facts, timings) = hallmark_collect::collect_timed(&unpacked, &options);
    let mut slowest = timings.clone();
    slowest.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
    progress(&format!(
        "collected facts in {:.2?} (slowest collectors: {})",
        started.elapsed(),
        slowest
            .iter()
            .take(3)
            .map(|(id, t)| format!("{id} {t:.2?}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(host) = &args.probe {
        facts.absorb(crate::probe_cmd::probe_facts(
            host,
            &args.probe_options,
            args.quiet,
        )?);
    }
    facts.assessed_on = Some(args.date.clone().unwrap_or_else(hallmark_vuln::utc_today));
    facts.vulnerabilities = vulnerabilities(args, &facts, &progress)?;
    progress("running checks");
    let outcomes = hallmark_checks::evaluate(&facts);
    let requirements = hallmark_checks::requirement_results(catalog, &outcomes);
    let image = facts.image.clone().unwrap_or_default();
    let mut settings = BTreeMap::new();
    settings.insert("max_total_bytes".to_owned(), limits.max_total_bytes.into());
    settings.insert("max_file_bytes".to_owned(), limits.max_file_bytes.into());
    settings.insert("max_depth".to_owned(), limits.max_depth.into());
    settings.insert(
        "assessed_on".to_owned(),
        facts.assessed_on.clone().unwrap_or_default().into(),
    );
    settings.insert(
        "vulnerability_data".to_owned(),
        match &facts.vulnerabilities {
            Some(scan) => serde_json::to_value(&scan.snapshots)?,
            None => serde_json::Value::Null,
        },
    );
    if args.probe.is_some() {
        crate::probe_cmd::record_settings(&args.probe_options, &mut settings);
    }
    if !args.vex.is_empty() {
        settings.insert(
            "vex".to_owned(),
            args.vex
                .iter()
                .map(|v| v.display().to_string())
                .collect::<Vec<_>>()
                .into(),
        );
    }
    let mut report = Report {
        schema_version: REPORT_SCHEMA_VERSION.to_owned(),
        provenance: Provenance {
            tool: ToolInfo {
                name: "hallmark".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            catalog: catalog.catalog_ref(),
            inputs: std::iter::once(Input {
                kind: EvidenceKind::Firmware,
                name: args.image.display().to_string(),
                sha256: (!image.sha256.is_empty()).then(|| image.sha256.clone()),
                size: Some(image.size),
            })
            .chain(args.probe.as_deref().map(crate::probe_cmd::input))
            .collect(),
            settings,
            generated_at: None,
        },
        summary: Summary::default(),
        requirements,
        outcomes,
        components: facts.components.clone(),
        image: facts.image.as_ref().map(|i| hallmark_model::ImageSummary {
            layers: i.layers.clone(),
            file_trees: u32::try_from(i.trees.len()).unwrap_or(u32::MAX),
            root_filesystems: u32::try_from(i.trees.iter().filter(|t| t.rootfs).count())
                .unwrap_or(u32::MAX),
            kernels: u32::try_from(facts.kernels.len()).unwrap_or(u32::MAX),
            incomplete: i.incomplete.clone(),
        }),
        vulnerabilities: facts.vulnerabilities.clone(),
    };
    let titles: BTreeMap<u8, String> = catalog
        .principles
        .iter()
        .map(|p| (p.number, p.title.clone()))
        .collect();
    report.summarize(&titles);
    if let Some(path) = &args.declaration {
        let on = facts.assessed_on.as_deref();
        crate::declaration_cmd::apply(catalog, path, on, &mut report, &progress)?;
    }

    let mut file;
    let sink: &mut dyn Write = match &args.output {
        Some(path) => {
            file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            &mut file
        }
        None => out,
    };
    if let Some(id) = &args.framework {
        let view = catalog.framework_view(id).with_context(|| {
            let known: Vec<&str> = catalog.frameworks.iter().map(|f| f.id.as_str()).collect();
            format!("no framework {id:?}; known: {}", known.join(", "))
        })?;
        let result = hallmark_report::framework_result(&view, &report);
        match args.format {
            AssessFormat::Json => {
                serde_json::to_writer_pretty(&mut *sink, &result)?;
                writeln!(sink)?;
            }
            AssessFormat::Terminal | AssessFormat::Markdown => {
                let input = report
                    .provenance
                    .inputs
                    .first()
                    .map_or("?", |i| i.name.as_str());
                writeln!(sink, "# Hallmark assessment of {input}, by framework\n")?;
                write!(sink, "{}", hallmark_report::framework_markdown(&result))?;
            }
            AssessFormat::Sarif | AssessFormat::Html => {
                anyhow::bail!(
                    "--framework applies to the terminal, markdown and json formats (the HTML \
                     report has a tab per framework)"
                )
            }
        }
        return Ok(args.fail_on.is_some_and(|gate| gate.tripped(&report)));
    }
    let renderer = hallmark_report::renderer(args.format.id())
        .context("every --format value has a renderer (a build defect otherwise)")?;
    let context = hallmark_report::Context {
        rules: if args.format == AssessFormat::Sarif {
            rules()
        } else {
            Vec::new()
        },
        frameworks: if args.format == AssessFormat::Html {
            catalog
                .frameworks
                .iter()
                .filter_map(|f| catalog.framework_view(&f.id))
                .map(|view| hallmark_report::framework_result(&view, &report))
                .collect()
        } else {
            Vec::new()
        },
    };
    let text = renderer.render(&report, &context);
    if args.output.is_some() {
        // A file gets no terminal styles.
        write!(sink, "{}", anstream::adapter::strip_str(&text))?;
    } else {
        write!(sink, "{text}")?;
    }
    let tripped = args.fail_on.is_some_and(|gate| gate.tripped(&report));
    if tripped && !args.quiet {
        let _ = writeln!(
            anstream::stderr(),
            "{WARN}--fail-on: the assessment has findings at the chosen level{WARN:#}"
        );
    }
    Ok(tripped)
}

/// Every check's rule metadata, for SARIF.
fn rules() -> Vec<hallmark_report::RuleInfo> {
    hallmark_checks::CHECKS
        .iter()
        .map(|check| hallmark_report::RuleInfo {
            id: check.id().to_owned(),
            title: check.title().to_owned(),
            doc: check.doc().to_owned(),
            severity: check.severity(),
            requirements: check
                .requirements()
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    /// `--format` offers exactly the registry's renderers.
    #[test]
    fn every_format_is_a_registered_renderer() {
        let mut ids: Vec<&str> = AssessFormat::value_variants()
            .iter()
            .map(|f| f.id())
            .collect();
        ids.sort_unstable();
        let registry: Vec<&str> = hallmark_report::RENDERERS.iter().map(|r| r.id()).collect();
        assert_eq!(ids, registry);
        for format in AssessFormat::value_variants() {
            let name = format.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(name.as_deref(), Some(format.id()));
        }
    }
}
