//! `hallmark sbom`: unpack an image in memory, identify its components, and write a software
//! bill of materials (CycloneDX 1.6 or SPDX 2.3 JSON) with every file's digests.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use hallmark_report::{Sbom, Subject};
use hallmark_unpack::{Limits, Unpacker};

use crate::text::DIM;

/// Arguments of `hallmark sbom`.
#[derive(Args)]
pub struct SbomArgs {
    /// The firmware image.
    image: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    format: SbomFormat,

    /// Write the SBOM to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Do not print progress on standard error.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Creation time: `SOURCE_DATE_EPOCH` when set (reproducible builds), otherwise now.
fn created() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    hallmark_report::rfc3339_utc(seconds)
}

/// Writes the SBOM.
pub fn run(args: &SbomArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let progress = |what: &str| {
        if !args.quiet {
            let _ = writeln!(anstream::stderr(), "{DIM}{what}{DIM:#}");
        }
    };
    progress(&format!("unpacking {}", args.image.display()));
    let unpacked = Unpacker::new(Limits::default())
        .unpack_file(&args.image)
        .with_context(|| format!("cannot read {}", args.image.display()))?;
    let (facts, _) = hallmark_collect::collect_selected(
        &unpacked,
        &hallmark_collect::Options::default(),
        |id| matches!(id, "image" | "components"),
    );
    let files = hallmark_collect::file_inventory(&unpacked);
    progress(&format!(
        "{} components, {} files{}",
        facts.components.len(),
        files.len(),
        if unpacked.is_complete() {
            String::new()
        } else {
            "; the image was not unpacked completely (a limit was reached): the SBOM is partial"
                .to_owned()
        }
    ));
    let image = facts.image.clone().unwrap_or_default();
    let sbom = Sbom {
        subject: Subject {
            name: args.image.file_name().map_or_else(
                || args.image.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            sha256: image.sha256,
            size: image.size,
        },
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        created: created(),
        main_tree: hallmark_collect::main_tree_chain(&unpacked),
        files,
        components: facts.components,
    };
    let document = match args.format {
        SbomFormat::Cyclonedx => hallmark_report::cyclonedx(&sbom),
        SbomFormat::Spdx => hallmark_report::spdx(&sbom),
    };
    let mut file;
    let sink: &mut dyn Write = match &args.output {
        Some(path) => {
            file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            &mut file
        }
        None => out,
    };
    serde_json::to_writer_pretty(&mut *sink, &document)?;
    writeln!(sink)?;
    Ok(())
}
