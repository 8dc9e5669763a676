//! `hallmark`: assess enterprise connected devices against the UK Code of Practice for
//! Enterprise Connected Device Security, with evidence for every verdict.
//!
//! Exit codes: 0 the command ran; 2 bad input or usage (the message is on stderr).

mod assess_cmd;
mod attest_cmd;
mod catalog_cmd;
mod db_cmd;
mod declaration_cmd;
mod diff_cmd;
mod explain;
mod probe_cmd;
mod sbom_cmd;
mod text;
mod unpack_cmd;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use hallmark_catalog::Catalog;

/// Exit code for a command that ran.
const EXIT_OK: u8 = 0;
/// Exit code for an assessment that tripped its `--fail-on` gate.
const EXIT_GATE: u8 = 1;
/// Exit code for bad input or usage.
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "hallmark",
    version,
    about = "Assess connected devices against the UK Code of Practice for Enterprise Connected \
             Device Security, with evidence for every verdict",
    long_about = None,
    after_help = "Exit codes: 0 the command ran; 1 `assess --fail-on` found findings at its level \
                  (or `diff --fail-on-new` found new findings, or `verify` rejected the \
                  statement); \
                  2 bad input or usage.\n\
                  Colour follows --color, NO_COLOR and CLICOLOR_FORCE."
)]
struct Cli {
    /// Use this catalogue edition or profile instead of the built-in one
    /// (format: docs/catalog-format.md).
    #[arg(long, global = true, value_name = "FILE")]
    catalog: Option<PathBuf>,

    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorWhen {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// List the catalogue's principles and requirements, or one framework's items and the
    /// requirements that cover them.
    Catalog(catalog_cmd::CatalogArgs),
    /// Show a requirement in full: statement, rationale, assessment, remediation, crosswalk.
    Explain(explain::ExplainArgs),
    /// Assess a firmware image against the code: verdicts per requirement with evidence.
    Assess(assess_cmd::AssessArgs),
    /// Probe a live device over the network (ports, services, TLS, SSH, HTTP, default
    /// credentials) and assess what it answers against the code.
    Probe(probe_cmd::ProbeArgs),
    /// Unpack a firmware image safely: list its layers, or write its contents to a new directory.
    Unpack(unpack_cmd::UnpackArgs),
    /// Compare the JSON reports of two firmware versions: findings fixed and new, verdicts
    /// that changed, components added, removed or upgraded.
    Diff(diff_cmd::DiffArgs),
    /// Write a software bill of materials of a firmware image: CycloneDX 1.6 or SPDX 2.3 JSON
    /// with its files, components, evidence and digests.
    Sbom(sbom_cmd::SbomArgs),
    /// Write a commented manufacturer-declaration template (pre-filled from an image), or
    /// check a declaration (format: docs/declaration-format.md).
    Declaration(declaration_cmd::DeclarationArgs),
    /// Sign a JSON report's conformance statement (in-toto in DSSE, ed25519), or make a key
    /// pair with `attest keygen`.
    Attest(attest_cmd::AttestArgs),
    /// Check a signed conformance statement: signature, subject image and catalogue version.
    Verify(attest_cmd::VerifyArgs),
    /// Import vulnerability data into the offline store, or show what it holds.
    Db(db_cmd::DbArgs),
    /// Print the JSON Schema of the assessment report.
    Schema,
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr (2).
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            });
        }
    };
    match cli.color {
        ColorWhen::Auto => {}
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
    }
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) if is_broken_pipe(&error) => ExitCode::from(EXIT_OK),
        Err(error) => {
            let _ = writeln!(
                anstream::stderr(),
                "{}error:{} {error:#}",
                text::ERROR,
                text::RESET
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A reader that closed our stdout early (`hallmark catalog | head`) is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn load_catalog(path: Option<&PathBuf>) -> anyhow::Result<Catalog> {
    match path {
        Some(path) => Catalog::from_file(path)
            .with_context(|| format!("cannot use catalogue {}", path.display())),
        None => Catalog::builtin().context("the built-in catalogue is invalid (a build defect)"),
    }
}

/// Runs the command; the exit code when it ran.
fn run(cli: Cli) -> anyhow::Result<u8> {
    let mut out = anstream::stdout().lock();
    let ran = match cli.command {
        Command::Catalog(args) => {
            let catalog = load_catalog(cli.catalog.as_ref())?;
            catalog_cmd::run(&catalog, &args, &mut out)
        }
        Command::Explain(args) => {
            let catalog = load_catalog(cli.catalog.as_ref())?;
            explain::run(&catalog, &args, &mut out)
        }
        Command::Assess(args) => {
            let catalog = load_catalog(cli.catalog.as_ref())?;
            let tripped = assess_cmd::run(&catalog, &args, &mut out)?;
            return Ok(if tripped { EXIT_GATE } else { EXIT_OK });
        }
        Command::Probe(args) => {
            let catalog = load_catalog(cli.catalog.as_ref())?;
            probe_cmd::run(&catalog, &args, &mut out)
        }
        Command::Unpack(args) => unpack_cmd::run(&args, &mut out),
        Command::Sbom(args) => sbom_cmd::run(&args, &mut out),
        Command::Diff(args) => {
            let tripped = diff_cmd::run(&args, &mut out)?;
            return Ok(if tripped { EXIT_GATE } else { EXIT_OK });
        }
        Command::Declaration(args) => {
            let catalog = load_catalog(cli.catalog.as_ref())?;
            declaration_cmd::run(&catalog, &args, &mut out)
        }
        Command::Attest(args) => attest_cmd::run(&args, &mut out),
        Command::Verify(args) => {
            let catalog = load_catalog(cli.catalog.as_ref())?;
            if let Err(reason) = attest_cmd::verify(&catalog, &args, &mut out)? {
                let _ = writeln!(
                    anstream::stderr(),
                    "{}verification failed:{} {reason}",
                    text::ERROR,
                    text::RESET
                );
                return Ok(EXIT_GATE);
            }
            Ok(())
        }
        Command::Db(args) => db_cmd::run(&args, &mut out),
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&hallmark_model::report_schema())?;
            writeln!(out, "{schema}")?;
            Ok(())
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "hallmark", &mut out);
            Ok(())
        }
    };
    ran.map(|()| EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
