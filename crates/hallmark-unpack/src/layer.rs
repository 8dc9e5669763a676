//! The layer tree: one [`Layer`] per identified format, plus raw regions.
//!
//! The input is the root layer (format [`INPUT`]). The children of a layer are what was found
//! in the bytes it produced (a decompressed stream, the raw input) at increasing offsets, then
//! what was found in the files of its [`FileTree`] (with [`Layer::name`] set to the file's
//! path, offsets relative to that file). When at least one format was identified in a run of
//! bytes, the unidentified stretches between (and around) the hits become [`RAW`] layers, so no
//! byte is ever dropped; bytes in which nothing at all was identified stay available as the
//! parent's [`content`](Layer::content) (or as the file's content).

use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::blob::Blob;
use crate::limits::{LayerPath, Truncation};
use crate::tree::FileTree;

/// Format id of the root layer, the input itself.
pub const INPUT: &str = "input";

/// Format id of an unidentified region kept as is.
pub const RAW: &str = "raw";

/// A problem found while extracting a layer: corrupt or truncated data, an unsupported
/// variant. What could be extracted before it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("at offset {offset:#x}: {message}")]
pub struct LayerError {
    /// Offset of the problem inside the layer's own bytes (its extent in the parent).
    pub offset: u64,
    /// What went wrong.
    pub message: String,
}

/// One identified format (or raw region) in the layer tree.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Format id from the registry ([`formats()`](crate::formats())), or [`INPUT`] / [`RAW`].
    pub format: String,
    /// Variant of the format, when it has several (`newc` for cpio, `gnu` for tar, ...).
    pub variant: Option<String>,
    /// Offset in the parent's bytes (or in the file named by [`name`](Layer::name)).
    pub offset: u64,
    /// Extent in the parent, in bytes. A compressed stream cut short by a limit has no known
    /// end and claims the rest of its parent.
    pub size: u64,
    /// Path of the file of the parent's tree this layer was found in, if any.
    pub name: Option<String>,
    /// Bytes this layer produced: the decompressed stream, the raw region, or the input.
    /// Archives and filesystems expose their files through [`tree`](Layer::tree) instead.
    pub content: Option<Blob>,
    /// Set when the bytes this layer produced were not kept, with [content on
    /// demand](crate::Unpacker::content_on_demand): their length. [`content`](Layer::content)
    /// is `None` then. A large compressed archive is read as it is decoded (its files decode
    /// again when read), and every layer lets go of its bytes, and of its files' contents,
    /// once it and the layers inside it have been scanned (and written, by
    /// [`unpack_into`](crate::unpack_into)).
    pub released: Option<u64>,
    /// Files of an archive or filesystem layer.
    pub tree: Option<FileTree>,
    /// Layers found inside this one, in order.
    pub children: Vec<Layer>,
    /// Limits reached in this layer.
    pub truncations: Vec<Truncation>,
    /// Damage found in this layer.
    pub errors: Vec<LayerError>,
}

impl Layer {
    pub(crate) fn new(format: &str, offset: u64, size: u64, name: Option<&str>) -> Layer {
        Layer {
            format: format.to_owned(),
            variant: None,
            offset,
            size,
            name: name.map(str::to_owned),
            content: None,
            released: None,
            tree: None,
            children: Vec::new(),
            truncations: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Drops the bytes this layer and the layers inside it hold (their contents, their files'
    /// contents), keeping every length (see [`released`](Layer::released)). Files decoded on
    /// demand from the bytes of `input` stay readable: they hold nothing more.
    pub(crate) fn release(&mut self, input: &Blob) {
        if let Some(content) = self.content.take() {
            self.released = Some(u64::try_from(content.len()).unwrap_or(u64::MAX));
        }
        if let Some(tree) = &mut self.tree {
            tree.release(input);
        }
        for child in &mut self.children {
            child.release(input);
        }
    }

    /// Whether this is an unidentified region.
    pub fn is_raw(&self) -> bool {
        self.format == RAW
    }

    /// This layer and every layer below it, depth first, each with its path (this layer's path
    /// being `path`).
    pub fn walk<'a>(&'a self, path: &LayerPath) -> Vec<(LayerPath, &'a Layer)> {
        let mut out = Vec::new();
        let mut stack: Vec<(LayerPath, &Layer)> = vec![(path.clone(), self)];
        while let Some((path, layer)) = stack.pop() {
            for child in layer.children.iter().rev() {
                stack.push((
                    path.child(&child.format, child.offset, child.name.as_deref()),
                    child,
                ));
            }
            out.push((path, layer));
        }
        out
    }

    /// An indented, human listing of this layer and its descendants: format, offset, size,
    /// file count, truncations and errors (what `hallmark unpack --list` prints).
    pub fn listing(&self) -> String {
        let mut out = String::new();
        let mut stack: Vec<(usize, &Layer)> = vec![(0, self)];
        while let Some((depth, layer)) = stack.pop() {
            // Writing to a String cannot fail.
            let _ = layer.write_line(&mut out, depth);
            for child in layer.children.iter().rev() {
                stack.push((depth.saturating_add(1), child));
            }
        }
        out
    }

    fn write_line(&self, out: &mut String, depth: usize) -> fmt::Result {
        let indent = "  ".repeat(depth);
        write!(out, "{indent}{}", self.format)?;
        if let Some(variant) = &self.variant {
            write!(out, " ({variant})")?;
        }
        if let Some(name) = &self.name {
            write!(out, " in {name}")?;
        }
        write!(out, " @{:#x} size {}", self.offset, self.size)?;
        if let Some(content) = &self.content {
            if self.format != RAW && self.format != INPUT {
                write!(out, " -> {} bytes", content.len())?;
            }
        }
        if let Some(produced) = self.released {
            if self.format != RAW && self.format != INPUT {
                write!(out, " -> {produced} bytes")?;
            }
        }
        if let Some(tree) = &self.tree {
            write!(
                out,
                " -> {} entries, {} anomalies",
                tree.len().saturating_sub(1),
                tree.anomalies().len()
            )?;
        }
        writeln!(out)?;
        for truncation in &self.truncations {
            writeln!(
                out,
                "{indent}  ! truncated: {} limit: {}",
                truncation.limit, truncation.detail
            )?;
        }
        for error in &self.errors {
            writeln!(out, "{indent}  ! error {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_is_depth_first_with_paths() {
        let mut root = Layer::new(INPUT, 0, 100, None);
        let mut gz = Layer::new("gzip", 0, 60, None);
        gz.children.push(Layer::new("tar", 0, 1024, None));
        root.children.push(gz);
        root.children.push(Layer::new(RAW, 60, 40, None));
        let walked: Vec<String> = root
            .walk(&LayerPath::root("fw.bin"))
            .iter()
            .map(|(path, layer)| format!("{path} {}", layer.size))
            .collect();
        assert_eq!(
            walked,
            [
                "fw.bin 100",
                "fw.bin > gzip@0x0 60",
                "fw.bin > gzip@0x0 > tar@0x0 1024",
                "fw.bin > raw@0x3c 40"
            ]
        );
        assert_eq!(
            root.listing(),
            "input @0x0 size 100\n  gzip @0x0 size 60\n    tar @0x0 size 1024\n  raw @0x3c size 40\n"
        );
    }
}
