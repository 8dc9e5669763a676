//! `hallmark db`: import vulnerability data into the offline store, and show what it holds.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use hallmark_vuln::{ImportLimits, Store, resolve_path};

use crate::text::{DIM, HEADING, WARN};

/// Arguments of `hallmark db`.
#[derive(Args)]
pub struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,

    /// The vulnerability store (default: $HALLMARK_VULN_DB, else
    /// $XDG_DATA_HOME/hallmark/vuln.sqlite3, else ~/.local/share/hallmark/vuln.sqlite3).
    #[arg(long, global = true, value_name = "PATH")]
    vuln_db: Option<PathBuf>,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Import NVD CVE API 2.0 JSON (one CVE, feeds, API pages), OSV JSON, Alpine secdb or the
    /// CISA KEV catalogue; the format is detected from the content. Re-importing a file
    /// replaces what it gave.
    Import {
        /// The files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Show the store: imported sources, record counts and snapshot dates.
    Status,
}

/// Runs `hallmark db`.
pub fn run(args: &DbArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let path = resolve_path(args.vuln_db.as_deref())?;
    match &args.command {
        DbCommand::Import { files } => {
            let mut store = Store::open(&path)?;
            writeln!(out, "{DIM}vulnerability store {}{DIM:#}", path.display())?;
            let mut failed = 0usize;
            for file in files {
                match store.import_file(file, &ImportLimits::default()) {
                    Ok(s) => writeln!(
                        out,
                        "imported {}: {}, {} records, snapshot {}",
                        s.file,
                        s.format.id(),
                        s.records,
                        s.snapshot.as_deref().unwrap_or("unknown")
                    )?,
                    Err(e) => {
                        failed += 1;
                        let _ = writeln!(anstream::stderr(), "{WARN}not imported:{WARN:#} {e}");
                    }
                }
            }
            if failed > 0 {
                anyhow::bail!(
                    "{failed} of {} files could not be imported (the others were)",
                    files.len()
                );
            }
            Ok(())
        }
        DbCommand::Status => {
            let Some(store) = Store::open_existing(&path)
                .with_context(|| format!("cannot read {}", path.display()))?
            else {
                writeln!(
                    out,
                    "No vulnerability store at {}.\nImport data with `hallmark db import FILE...` \
                     (NVD CVE API 2.0 JSON, OSV JSON, Alpine secdb, CISA KEV).",
                    path.display()
                )?;
                return Ok(());
            };
            let status = store.status()?;
            writeln!(
                out,
                "{HEADING}vulnerability store{HEADING:#} {} (schema {})",
                status.path, status.schema_version
            )?;
            if status.sources.is_empty() {
                writeln!(out, "No data imported yet: `hallmark db import FILE...`.")?;
                return Ok(());
            }
            writeln!(
                out,
                "\n{HEADING}{:<14}{:>9}  {:<48}  {:<22}  file{HEADING:#}",
                "source", "records", "snapshot", "imported"
            )?;
            for s in &status.sources {
                writeln!(
                    out,
                    "{:<14}{:>9}  {:<48}  {:<22}  {}",
                    s.source,
                    s.records,
                    crate::text::pad(s.snapshot.as_deref().unwrap_or("unknown"), 48),
                    s.imported_at,
                    s.file
                )?;
            }
            let advisories = status
                .advisories
                .iter()
                .map(|(source, n)| format!("{source} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(
                out,
                "\nrecords: {advisories}; {} CPE criteria ({} device-level records), {} affected-package entries, {} KEV entries",
                status.cpe_criteria,
                status.device_records,
                status.package_entries,
                status.kev_entries
            )?;
            Ok(())
        }
    }
}
