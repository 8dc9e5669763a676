//! `hallmark unpack`: list an image's layers, or write its contents to a new directory.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use hallmark_unpack::{Layer, Limits, MaterializeError, Unpacked, Unpacker, unpack_into};
use serde_json::{Value, json};

use crate::text::{DIM, HEADING, RESET, WARN};

/// Arguments of `hallmark unpack`.
#[derive(Args)]
pub struct UnpackArgs {
    /// The firmware image.
    image: PathBuf,

    /// Write the contents into this directory (it must not exist, or be empty).
    #[arg(short, long, value_name = "DIR", required_unless_present = "list")]
    output: Option<PathBuf>,

    /// Print the layer tree (format, offset, size, children) instead of writing files.
    #[arg(long, conflicts_with = "output")]
    list: bool,

    /// Format of the --list output.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,

    /// Stop after producing this many bytes in total.
    #[arg(long, value_name = "BYTES")]
    max_total_bytes: Option<u64>,

    /// Truncate any single file or stream at this size.
    #[arg(long, value_name = "BYTES")]
    max_file_bytes: Option<u64>,

    /// Largest compression ratio accepted once a layer's output passes the ratio floor.
    #[arg(long, value_name = "N")]
    max_ratio: Option<u64>,

    /// Deepest nesting of layers.
    #[arg(long, value_name = "N")]
    max_depth: Option<u32>,

    /// Most entries (files, directories, layers) in total.
    #[arg(long, value_name = "N")]
    max_entries: Option<u64>,

    /// Wall-clock time limit, in seconds.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

impl UnpackArgs {
    fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        if let Some(v) = self.max_total_bytes {
            limits.max_total_bytes = v;
        }
        if let Some(v) = self.max_file_bytes {
            limits.max_file_bytes = v;
        }
        if let Some(v) = self.max_ratio {
            limits.max_ratio = v;
        }
        if let Some(v) = self.max_depth {
            limits.max_depth = v;
        }
        if let Some(v) = self.max_entries {
            limits.max_entries = v;
        }
        if let Some(v) = self.timeout {
            limits.max_time = Duration::from_secs(v);
        }
        limits
    }
}

pub fn run(args: &UnpackArgs, out: &mut impl Write) -> anyhow::Result<()> {
    if args.format == ListFormat::Json && !args.list {
        bail!("--format applies to --list");
    }
    // One pass over the files (the listing, or writing them out as they are decoded): file
    // contents are dropped once used, so memory does not grow with the image.
    let unpacker = Unpacker::new(args.limits()).content_on_demand(true);
    let Some(dir) = args.output.as_ref().filter(|_| !args.list) else {
        if !args.list {
            bail!("give -o DIR to write the contents, or --list to see the layers");
        }
        let unpacked = unpacker
            .unpack_file(&args.image)
            .with_context(|| format!("cannot unpack {}", args.image.display()))?;
        return match args.format {
            ListFormat::Text => list_text(&unpacked, out),
            ListFormat::Json => {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&list_json(&unpacked))?
                )?;
                Ok(())
            }
        };
    };
    let (unpacked, written) = match unpack_into(&unpacker, &args.image, dir) {
        Ok(done) => done,
        Err(MaterializeError::Unpack(e)) => {
            return Err(e).with_context(|| format!("cannot unpack {}", args.image.display()));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot write into {}", dir.display())),
    };
    writeln!(
        out,
        "{HEADING}{}{RESET}: {} layers, {} files, {} directories, {} symlinks ({} confined), \
         {} hard links copied, {} bytes, in {:.2} s",
        unpacked.image,
        unpacked.layers().len(),
        written.files,
        written.dirs,
        written.symlinks,
        written.symlinks_rewritten,
        written.hardlinks_copied,
        written.bytes,
        unpacked.stats.elapsed.as_secs_f64()
    )?;
    writeln!(out, "{DIM}written to {}{RESET}", written.root.display())?;
    if !written.skipped.is_empty() {
        writeln!(
            out,
            "{WARN}{} entries not written{RESET}:",
            written.skipped.len()
        )?;
        for skipped in written.skipped.iter().take(20) {
            writeln!(out, "  {} ({:?})", skipped.path.display(), skipped.reason)?;
        }
    }
    report_limits(&unpacked, out)
}

fn list_text(unpacked: &Unpacked, out: &mut impl Write) -> anyhow::Result<()> {
    write!(out, "{}", unpacked.listing())?;
    report_limits(unpacked, out)
}

/// Truncations and damaged layers are facts about the image: always shown, never fatal.
fn report_limits(unpacked: &Unpacked, out: &mut impl Write) -> anyhow::Result<()> {
    for truncation in unpacked.truncations() {
        writeln!(out, "{WARN}{truncation}{RESET}")?;
    }
    for (layer, error) in unpacked.errors() {
        writeln!(out, "{WARN}damaged: {layer}: {error}{RESET}")?;
    }
    Ok(())
}

fn layer_json(layer: &Layer) -> Value {
    json!({
        "format": layer.format,
        "variant": layer.variant,
        "offset": layer.offset,
        "size": layer.size,
        "name": layer.name,
        "files": layer.tree.as_ref().map(|t| t.iter().count()),
        "truncations": layer.truncations.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        "errors": layer.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        "children": layer.children.iter().map(layer_json).collect::<Vec<_>>(),
    })
}

fn list_json(unpacked: &Unpacked) -> Value {
    json!({
        "image": unpacked.image,
        "complete": unpacked.is_complete(),
        "bytes_produced": unpacked.stats.bytes_produced,
        "entries": unpacked.stats.entries,
        "root": layer_json(&unpacked.root),
    })
}
