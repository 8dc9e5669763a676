//! `hallmark declaration`: write a commented declaration template (pre-filled from an
//! assessment), check a declaration; and `assess --declaration`'s combination step.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use hallmark_catalog::Catalog;
use hallmark_declare::{Date, Declaration, Prefill};
use hallmark_model::{Location, Report};
use hallmark_unpack::{Limits, Unpacker};

use crate::text::{DIM, WARN};

/// Arguments of `hallmark declaration`.
#[derive(Args)]
pub struct DeclarationArgs {
    #[command(subcommand)]
    command: DeclarationCommand,
}

#[derive(Subcommand)]
enum DeclarationCommand {
    /// Write a commented declaration template; with an IMAGE, pre-filled with what an
    /// assessment of it found (digest, components, update, logging and boot mechanisms,
    /// verdicts).
    Init {
        /// The firmware image the declaration is for.
        image: Option<PathBuf>,
        /// Write the template to this new file instead of standard output (an existing file
        /// is never overwritten).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Do not print progress on standard error.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Validate a declaration file (and, with --image, that it is for that image) without
    /// assessing anything.
    Check {
        /// The declaration file.
        file: PathBuf,
        /// The firmware image it must be for.
        #[arg(long, value_name = "IMAGE")]
        image: Option<PathBuf>,
    },
}

/// Today's date in UTC, which "in the future" and "in the past" refer to.
pub fn today() -> anyhow::Result<Date> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stamp = hallmark_report::rfc3339_utc(seconds);
    stamp
        .get(..10)
        .and_then(Date::parse)
        .with_context(|| format!("cannot read today's date from the clock ({stamp})"))
}

/// `assess --declaration FILE`: folds the declaration into `report`, judging dates against
/// `on` (the assessment's `--date`, `YYYY-MM-DD`) or else today.
pub fn apply(
    catalog: &Catalog,
    path: &Path,
    on: Option<&str>,
    report: &mut Report,
    progress: &dyn Fn(&str),
) -> anyhow::Result<()> {
    let today = match on {
        Some(text) => Date::parse(text)
            .with_context(|| format!("`{text}` is not a calendar date (YYYY-MM-DD)"))?,
        None => today()?,
    };
    let declaration = Declaration::from_file(path, catalog, today)
        .with_context(|| format!("cannot use declaration {}", path.display()))?;
    let applied = hallmark_declare::apply(report, &declaration, catalog, today)
        .with_context(|| format!("cannot use declaration {}", path.display()))?;
    progress(&format!(
        "declaration {}: {} requirement verdicts changed{}, {} contradictions",
        path.display(),
        applied.changed.len(),
        if applied.changed.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                applied
                    .changed
                    .iter()
                    .map(|(id, from, to)| format!("{id} {from} -> {to}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        applied.contradictions
    ));
    Ok(())
}

/// Runs `hallmark declaration`.
pub fn run(catalog: &Catalog, args: &DeclarationArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match &args.command {
        DeclarationCommand::Init {
            image,
            output,
            quiet,
        } => {
            let prefill = match image {
                Some(image) => prefill(catalog, image, *quiet)?,
                None => Prefill::default(),
            };
            let text = hallmark_declare::template(catalog, &prefill);
            match output {
                Some(path) => {
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(path)
                        .with_context(|| {
                            format!("cannot create {} (it must not exist yet)", path.display())
                        })?;
                    file.write_all(text.as_bytes())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                None => out.write_all(text.as_bytes())?,
            }
            Ok(())
        }
        DeclarationCommand::Check { file, image } => {
            let today = today()?;
            let declaration = Declaration::from_file(file, catalog, today)
                .with_context(|| format!("cannot use declaration {}", file.display()))?;
            if let Some(image) = image {
                let sha = crate::attest_cmd::sha256_file(image)?;
                if sha != declaration.product.image_sha256.value {
                    let line = declaration.line_of(declaration.product.image_sha256.offset);
                    anyhow::bail!(
                        "{}:{line}: field `product.image_sha256`: declares image {}, but {} has \
                         SHA-256 {sha}",
                        declaration.path,
                        declaration.product.image_sha256.value,
                        image.display()
                    );
                }
            }
            let p = &declaration.product;
            writeln!(
                out,
                "{}: valid declaration ({}) for {} {} firmware {}, image {}; {} claims",
                declaration.path,
                hallmark_declare::FORMAT,
                p.manufacturer.value,
                p.model.value,
                p.firmware_version.value,
                p.image_sha256.value,
                declaration.claims.len()
            )?;
            Ok(())
        }
    }
}

/// Assesses `image` for the template.
fn prefill(catalog: &Catalog, image: &Path, quiet: bool) -> anyhow::Result<Prefill> {
    if !quiet {
        let _ = writeln!(
            anstream::stderr(),
            "{DIM}assessing {} to pre-fill the template{DIM:#}",
            image.display()
        );
    }
    let unpacked = Unpacker::new(Limits::default())
        .unpack_file(image)
        .with_context(|| format!("cannot assess {}", image.display()))?;
    let facts = hallmark_collect::collect(&unpacked, &hallmark_collect::Options::default());
    let outcomes = hallmark_checks::evaluate(&facts);
    let verdicts: BTreeMap<String, hallmark_model::Verdict> =
        hallmark_checks::requirement_results(catalog, &outcomes)
            .into_iter()
            .map(|r| (r.id, r.verdict))
            .collect();
    let at = |location: &Location| location.to_string();
    let image_facts = facts.image.clone().unwrap_or_default();
    if image_facts.sha256.is_empty() && !quiet {
        let _ = writeln!(
            anstream::stderr(),
            "{WARN}no digest for {}; fill in product.image_sha256 by hand{WARN:#}",
            image.display()
        );
    }
    Ok(Prefill {
        image_name: Some(image.display().to_string()),
        image_sha256: (!image_facts.sha256.is_empty()).then(|| image_facts.sha256.clone()),
        os: image_facts.os.clone(),
        components: facts
            .components
            .iter()
            .map(|c| (c.name.clone(), c.version.clone()))
            .collect(),
        updates: facts
            .updates
            .iter()
            .map(|u| {
                format!(
                    "{} (signature verified: {}; sources: {}) at {}",
                    u.mechanism,
                    match u.signature_verified {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "unknown",
                    },
                    if u.sources.is_empty() {
                        "none seen".to_owned()
                    } else {
                        u.sources.join(", ")
                    },
                    at(&u.location)
                )
            })
            .collect(),
        logging: facts
            .logging
            .iter()
            .map(|l| {
                if l.remote.is_empty() {
                    format!("{} at {}", l.mechanism, at(&l.location))
                } else {
                    format!(
                        "{} forwarding to {} at {}",
                        l.mechanism,
                        l.remote.join(", "),
                        at(&l.location)
                    )
                }
            })
            .collect(),
        recovery: facts
            .recovery
            .iter()
            .map(|r| format!("{} at {}", r.mechanism, at(&r.location)))
            .chain(
                facts
                    .boot
                    .iter()
                    .map(|b| format!("{}: {} at {}", b.kind, b.detail, at(&b.location))),
            )
            .collect(),
        verdicts,
    })
}
