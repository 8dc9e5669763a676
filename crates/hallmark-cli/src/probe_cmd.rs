//! `hallmark probe`: probe a live device over the network, run every check over what it
//! answered, and print the report. `hallmark assess IMAGE --probe HOST` uses the same options
//! to add live evidence to a firmware assessment.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use hallmark_catalog::Catalog;
use hallmark_model::facts::Facts;
use hallmark_model::{
    EvidenceKind, Input, Provenance, REPORT_SCHEMA_VERSION, Report, Summary, ToolInfo,
};
use hallmark_probe::{PortSpec, ProbeConfig};

use crate::text::DIM;

/// How to probe (shared by `probe` and `assess --probe`).
#[derive(Args, Clone)]
pub struct ProbeOptions {
    /// TCP ports to scan: `top` (about 90 ports devices use), `all`, or a list like
    /// `22,80,8000-8100`.
    #[arg(long, value_name = "LIST|top|all", default_value = "top")]
    ports: String,

    /// Credentials to try on login services: the bundled defaults (`default`), none
    /// (`none`), or a file of `SERVICE USER SECRET [SOURCE]` lines. `none` also skips the
    /// wrong-password series and the SNMP write test.
    #[arg(long, value_name = "default|none|FILE", default_value = "default")]
    credentials: String,

    /// Login attempts per service at most (stopping at the first success).
    #[arg(long, value_name = "N", default_value_t = hallmark_probe::Limits::default().attempts_per_service)]
    attempts: u32,

    /// Wrong passwords sent on one SSH connection (for a user name no device has) to see
    /// whether guessing is limited or slowed; 0 skips the series, at most 20.
    #[arg(long, value_name = "N", default_value_t = hallmark_probe::Limits::default().throttle_attempts)]
    wrong_passwords: u32,

    /// Seconds the whole probe may take; what is unfinished then is reported as partial.
    #[arg(long, value_name = "SECONDS", default_value_t = hallmark_probe::Limits::default().deadline.as_secs())]
    deadline: u64,

    /// Skip the UDP probes (SNMP communities, SSDP).
    #[arg(long)]
    no_udp: bool,
}

impl ProbeOptions {
    fn config(&self) -> anyhow::Result<ProbeConfig> {
        let credentials = match self.credentials.as_str() {
            "default" => Some(hallmark_probe::bundled()),
            "none" => None,
            path => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read credential list {path}"))?;
                Some(hallmark_probe::parse_credentials(&text, path)?)
            }
        };
        let mut limits = hallmark_probe::Limits {
            attempts_per_service: self.attempts,
            throttle_attempts: self.wrong_passwords.min(20),
            deadline: Duration::from_secs(self.deadline.max(1)),
            ..hallmark_probe::Limits::default()
        };
        if matches!(PortSpec::parse(&self.ports)?, PortSpec::All) {
            limits.scan_concurrency = limits.scan_concurrency.max(512);
        }
        Ok(ProbeConfig {
            ports: PortSpec::parse(&self.ports)?,
            credentials,
            udp: !self.no_udp,
            limits,
        })
    }

    /// The settings a report records.
    fn settings(&self, settings: &mut BTreeMap<String, serde_json::Value>) {
        settings.insert("probe_ports".into(), self.ports.clone().into());
        settings.insert("probe_credentials".into(), self.credentials.clone().into());
        settings.insert("probe_attempts_per_service".into(), self.attempts.into());
        settings.insert(
            "probe_wrong_passwords".into(),
            self.wrong_passwords.min(20).into(),
        );
        settings.insert("probe_deadline_seconds".into(), self.deadline.into());
        settings.insert("probe_udp".into(), (!self.no_udp).into());
    }
}

/// Probes `host`, printing progress to stderr unless `quiet`.
pub fn probe_facts(host: &str, options: &ProbeOptions, quiet: bool) -> anyhow::Result<Facts> {
    let config = options.config()?;
    if !quiet {
        let _ = writeln!(
            anstream::stderr(),
            "{DIM}probing {host}: {} TCP ports{}, credentials {}{DIM:#}",
            config.ports.ports().len(),
            if config.udp {
                " and SNMP/SSDP over UDP"
            } else {
                ""
            },
            options.credentials
        );
    }
    let started = Instant::now();
    let facts = hallmark_probe::probe_blocking(host, &config)
        .with_context(|| format!("cannot probe {host}"))?;
    if !quiet {
        let _ = writeln!(
            anstream::stderr(),
            "{DIM}probed {host} in {:.2?}: {} services, {} TLS, {} SSH, {} HTTP, {} access attempts{DIM:#}",
            started.elapsed(),
            facts.network_services.len(),
            facts.tls_endpoints.len(),
            facts.ssh_endpoints.len(),
            facts.http_endpoints.len(),
            facts.access_attempts.len()
        );
        for note in facts.coverage.values().flat_map(|c| &c.notes) {
            let _ = writeln!(anstream::stderr(), "{DIM}  {note}{DIM:#}");
        }
    }
    Ok(facts)
}

/// The input record of a probed host.
pub fn input(host: &str) -> Input {
    Input {
        kind: EvidenceKind::Network,
        name: host.to_owned(),
        sha256: None,
        size: None,
    }
}

/// Records the probe's settings in a report's settings.
pub fn record_settings(options: &ProbeOptions, settings: &mut BTreeMap<String, serde_json::Value>) {
    options.settings(settings);
}

/// Arguments of `hallmark probe`.
#[derive(Args)]
pub struct ProbeArgs {
    /// The device: an IP address or a host name. Probe only devices you are allowed to test.
    host: String,

    #[command(flatten)]
    options: ProbeOptions,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ProbeFormat::Terminal)]
    format: ProbeFormat,

    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Also write the raw facts the probe collected, as JSON, to this file.
    #[arg(long, value_name = "FILE")]
    facts: Option<PathBuf>,

    /// The date certificates are judged against (YYYY-MM-DD; default today, UTC).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,

    /// Do not print progress on standard error.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProbeFormat {
    /// A summary per principle, then the failures with evidence and remediation.
    Terminal,
    /// The full report, as described by `hallmark schema`.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// Markdown.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

impl ProbeFormat {
    fn id(self) -> &'static str {
        match self {
            ProbeFormat::Terminal => "terminal",
            ProbeFormat::Json => "json",
            ProbeFormat::Sarif => "sarif",
            ProbeFormat::Markdown => "markdown",
            ProbeFormat::Html => "html",
        }
    }
}

/// Runs `hallmark probe`.
pub fn run(catalog: &Catalog, args: &ProbeArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut facts = probe_facts(&args.host, &args.options, args.quiet)?;
    facts.assessed_on = Some(args.date.clone().unwrap_or_else(hallmark_vuln::utc_today));
    if let Some(path) = &args.facts {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        serde_json::to_writer_pretty(file, &facts)?;
    }
    let outcomes = hallmark_checks::evaluate(&facts);
    let requirements = hallmark_checks::requirement_results(catalog, &outcomes);
    let mut settings = BTreeMap::new();
    settings.insert(
        "assessed_on".to_owned(),
        facts.assessed_on.clone().unwrap_or_default().into(),
    );
    record_settings(&args.options, &mut settings);
    let mut report = Report {
        schema_version: REPORT_SCHEMA_VERSION.to_owned(),
        provenance: Provenance {
            tool: ToolInfo {
                name: "hallmark".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            catalog: catalog.catalog_ref(),
            inputs: vec![input(&args.host)],
            settings,
            generated_at: None,
        },
        summary: Summary::default(),
        requirements,
        outcomes,
        components: Vec::new(),
        image: None,
        vulnerabilities: None,
    };
    let titles: BTreeMap<u8, String> = catalog
        .principles
        .iter()
        .map(|p| (p.number, p.title.clone()))
        .collect();
    report.summarize(&titles);
    let renderer = hallmark_report::renderer(args.format.id())
        .context("every --format value has a renderer (a build defect otherwise)")?;
    let context = hallmark_report::Context {
        rules: Vec::new(),
        frameworks: if args.format == ProbeFormat::Html {
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
    match &args.output {
        Some(path) => std::fs::write(path, anstream::adapter::strip_str(&text).to_string())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => write!(out, "{text}")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn every_format_is_a_registered_renderer() {
        let registry: Vec<&str> = hallmark_report::RENDERERS.iter().map(|r| r.id()).collect();
        for format in ProbeFormat::value_variants() {
            assert!(registry.contains(&format.id()));
        }
    }
}
