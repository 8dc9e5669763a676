//! The recursive driver: scan a blob, validate candidates, keep the gaps, descend.

use std::fs::File;
use std::io::Read;
use std::ops::{ControlFlow, Range};
use std::path::Path;
use std::time::Duration;

use crate::blob::Blob;
use crate::bytes::to_u64;
use crate::error::UnpackError;
use crate::format::{Context, Extracted, Format, FormatKind, Output, Rejected};
use crate::formats::FORMATS;
use crate::layer::{INPUT, Layer, LayerError, RAW};
use crate::limits::{Budget, LayerPath, LimitKind, Limits, Truncation};
use crate::scan;
use crate::stream::{self, Scanner};
use crate::tree::{FileTree, Node, PathAnomaly};

/// Unpacks images under a set of [`Limits`].
#[derive(Debug, Clone, Default)]
pub struct Unpacker {
    limits: Limits,
    on_demand: bool,
    /// Output size from which a large compressed archive is read as it is decoded (with
    /// content on demand); `None` for the default.
    stream_from: Option<usize>,
}

/// Figures about one unpack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes produced by all decoders together.
    pub bytes_produced: u64,
    /// Layers plus file-tree nodes created.
    pub entries: u64,
    /// Wall-clock time taken.
    pub elapsed: Duration,
}

/// The result of unpacking one image: its layer tree.
#[derive(Debug, Clone)]
pub struct Unpacked {
    /// Name of the input (its file name, or the name given to
    /// [`Unpacker::unpack_bytes`]).
    pub image: String,
    /// The input itself, format [`INPUT`]; everything found is below it.
    pub root: Layer,
    /// Figures about the unpack.
    pub stats: Stats,
    limits: Limits,
}

impl Unpacker {
    /// An unpacker enforcing `limits`.
    pub fn new(limits: Limits) -> Unpacker {
        Unpacker {
            limits,
            on_demand: false,
            stream_from: None,
        }
    }

    /// Whether file contents that can be decoded again (those of squashfs images) are dropped
    /// once scanned. Either way every file is decoded and scanned for nested layers during the
    /// unpack (in windows of 16 MiB), and its damage recorded. With content on demand
    /// ([`Node::content`] or [`Node::load`] decodes them again), peak memory follows the
    /// input and two such windows rather than the unpacked size: the choice for one pass over
    /// the files, such as [`unpack_into`](crate::unpack_into). Without (the default), they
    /// stay in memory for collectors that read files many times.
    ///
    /// With content on demand, a compressed tar archive whose output passes 64 MiB is also
    /// not held whole: it is read as it is decoded, and its files are decoded again when
    /// scanned or read. Either way, a layer keeps no bytes once it and the layers inside it
    /// have been scanned (see [`Layer::released`]).
    pub fn content_on_demand(mut self, on_demand: bool) -> Unpacker {
        self.on_demand = on_demand;
        self
    }

    /// Sets the output size from which a compressed archive is read as it is decoded
    /// (64 MiB by default). For tests, which use small archives.
    #[doc(hidden)]
    pub fn stream_from(mut self, bytes: usize) -> Unpacker {
        self.stream_from = Some(bytes);
        self
    }

    /// The limits enforced.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Reads and unpacks the file at `path`. Only reading the file can fail; anything wrong
    /// inside it is recorded in the result.
    pub fn unpack_file(&self, path: impl AsRef<Path>) -> Result<Unpacked, UnpackError> {
        self.unpack_file_with(path.as_ref(), None)
    }

    /// [`unpack_file`](Unpacker::unpack_file), handing every tree and file to `sink` as it is
    /// found.
    pub(crate) fn unpack_file_with(
        &self,
        path: &Path,
        sink: Option<&mut dyn Sink>,
    ) -> Result<Unpacked, UnpackError> {
        let read_error = |source| UnpackError::Read {
            path: path.to_path_buf(),
            source,
        };
        let limit = self.limits.max_input_bytes;
        let too_large = |size| UnpackError::InputTooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        };
        let file = File::open(path).map_err(read_error)?;
        let declared = file.metadata().map_err(read_error)?.len();
        if declared > limit {
            return Err(too_large(declared));
        }
        let mut data = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(read_error)?;
        let read = u64::try_from(data.len()).unwrap_or(u64::MAX);
        if read > limit {
            return Err(too_large(read));
        }
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Ok(self.unpack_bytes_with(name, data.into(), sink))
    }

    /// Unpacks an image held in memory. Never fails: damage and limits are recorded in the
    /// result.
    pub fn unpack_bytes(&self, name: impl Into<String>, data: impl Into<Blob>) -> Unpacked {
        self.unpack_bytes_with(name.into(), data.into(), None)
    }

    fn unpack_bytes_with(
        &self,
        image: String,
        data: Blob,
        sink: Option<&mut dyn Sink>,
    ) -> Unpacked {
        let budget = Budget::new(&self.limits);
        let path = LayerPath::root(image.clone());
        let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
        let mut root = Layer::new(INPUT, 0, len, None);
        let mut driver = Driver {
            budget: &budget,
            max_depth: self.limits.effective_max_depth(),
            keep: !self.on_demand,
            stream_from: self.stream_from.unwrap_or(stream::STREAM_FROM),
            input: &data,
            sink,
        };
        let _ = budget.take_entries(1);
        let mut children = Vec::new();
        driver.scan(
            &data,
            None,
            1,
            &path,
            &mut children,
            &mut root.truncations,
            &mut root.errors,
        );
        root.children = children;
        root.content = Some(data);
        Unpacked {
            image,
            root,
            stats: Stats {
                bytes_produced: budget.produced(),
                entries: budget.entries(),
                elapsed: budget.elapsed(),
            },
            limits: self.limits.clone(),
        }
    }
}

/// Records a truncation unless this layer already has one for the same limit.
fn note(notes: &mut Vec<Truncation>, limit: LimitKind, layer: &LayerPath, detail: String) {
    if notes.iter().any(|t| t.limit == limit) {
        return;
    }
    notes.push(Truncation {
        limit,
        layer: layer.clone(),
        detail,
    });
}

/// Receives the file trees and files of an unpack as they are found (to write them out in
/// the same pass).
pub(crate) trait Sink {
    /// The tree of the layer at `layer` was extracted; its files follow.
    fn tree(&mut self, layer: &LayerPath, tree: &FileTree);
    /// A regular file or hard link of the tree of `layer`, with its content.
    fn file(&mut self, layer: &LayerPath, node: &Node, content: &Blob);
    /// Layers found in the layer at `parent` (in its bytes or in one of its files), each
    /// complete with the layers inside it; with content on demand they let go of their bytes
    /// right after this.
    fn layers(&mut self, parent: &LayerPath, layers: &[Layer]);
}

struct Driver<'a, 's> {
    budget: &'a Budget,
    max_depth: u32,
    /// Whether deferred file contents stay in memory once scanned.
    keep: bool,
    /// Output size from which a compressed archive is read as decoded (unless `keep`).
    stream_from: usize,
    /// The input, which stays in memory for the whole unpack.
    input: &'a Blob,
    sink: Option<&'s mut dyn Sink>,
}

impl Driver<'_, '_> {
    /// Identifies the layers in `blob` (the content of `parent`, or of the file `name` in
    /// `parent`'s tree) and appends them, with raw gaps, to `children`. `depth` is the depth
    /// the new layers would have.
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &mut self,
        blob: &Blob,
        name: Option<&str>,
        depth: u32,
        parent: &LayerPath,
        children: &mut Vec<Layer>,
        notes: &mut Vec<Truncation>,
        errors: &mut Vec<LayerError>,
    ) {
        let region = Region {
            blob,
            base: 0,
            after_layer: false,
        };
        self.scan_region(region, name, depth, parent, children, notes, errors);
    }

    /// [`scan`](Driver::scan) of `region.blob`, which sits at `region.base` of the bytes
    /// the offsets are given in; with `after_layer`, a layer was found just before it (so its
    /// unidentified bytes become a raw layer even when nothing else is found).
    #[allow(clippy::too_many_arguments)]
    fn scan_region(
        &mut self,
        region: Region<'_>,
        name: Option<&str>,
        depth: u32,
        parent: &LayerPath,
        children: &mut Vec<Layer>,
        notes: &mut Vec<Truncation>,
        errors: &mut Vec<LayerError>,
    ) {
        let Region {
            blob,
            base,
            after_layer,
        } = region;
        if self.budget.time_up() {
            note(
                notes,
                LimitKind::Time,
                parent,
                "time limit reached before this layer's content was scanned".into(),
            );
            return;
        }
        let (candidates, capped) = match scan::candidates(blob) {
            Ok(found) => found,
            Err(message) => {
                errors.push(LayerError {
                    offset: 0,
                    message: format!("signature scan unavailable: {message}"),
                });
                return;
            }
        };
        if capped {
            note(
                notes,
                LimitKind::Entries,
                parent,
                format!(
                    "more than {} signature candidates: the rest was not scanned",
                    scan::MAX_CANDIDATES
                ),
            );
        }
        let mut found: Vec<Layer> = Vec::new();
        let mut pos = 0usize;
        for candidate in candidates {
            if candidate.start < pos {
                continue;
            }
            let Some(format) = FORMATS.get(candidate.format) else {
                continue;
            };
            let Some(sub) = blob.slice_from(candidate.start) else {
                continue;
            };
            if !format.probe(&sub) {
                continue;
            }
            let offset = to_u64(base.saturating_add(candidate.start));
            if self.budget.time_up() {
                note(
                    notes,
                    LimitKind::Time,
                    parent,
                    format!("scan stopped at offset {offset:#x}"),
                );
                break;
            }
            if depth > self.max_depth {
                note(
                    notes,
                    LimitKind::Depth,
                    parent,
                    format!(
                        "{} candidate at offset {offset:#x}{} not extracted: nesting depth limit {} reached",
                        format.id(),
                        name.map(|n| format!(" of {n}")).unwrap_or_default(),
                        self.max_depth
                    ),
                );
                break;
            }
            if self.budget.remaining_entries() == 0 {
                note(
                    notes,
                    LimitKind::Entries,
                    parent,
                    format!("entry limit reached: layers from offset {offset:#x} not extracted"),
                );
                break;
            }
            let compression = format.kind() == FormatKind::Compression;
            if compression && self.budget.remaining_bytes() == 0 {
                note(
                    notes,
                    LimitKind::TotalBytes,
                    parent,
                    format!(
                        "output budget spent: {} stream at offset {offset:#x} and later ones not decompressed",
                        format.id()
                    ),
                );
                continue;
            }
            let path = parent.child(format.id(), offset, name);
            let mut cx = Context::new(self.budget, path.clone());
            let next_depth = depth.saturating_add(1);
            let Ok(extracted) = self.extract(*format, &sub, &mut cx, next_depth) else {
                continue;
            };
            if !matches!(extracted.output, Output::Streamed(_)) {
                // A streamed layer took its entry before reading its output.
                let _ = self.budget.take_entries(1);
            }
            let mut consumed = usize::try_from(extracted.consumed)
                .unwrap_or(usize::MAX)
                .clamp(1, sub.len().max(1));
            if compression && !cx.truncations.is_empty() {
                // A stream cut at a limit has no known end, and scanning on inside it would
                // find its own later members (a bomb of concatenated members would restart
                // at each one): it claims the rest of its parent.
                consumed = sub.len().max(1);
            }
            if candidate.start > pos {
                found.push(self.raw(blob, base, pos..candidate.start, name));
            }
            let mut layer = Layer::new(format.id(), offset, to_u64(consumed), name);
            layer.variant = extracted.variant.map(str::to_owned);
            layer.truncations = cx.truncations;
            layer.errors = cx.errors;
            match extracted.output {
                Output::Blob(out) => {
                    let mut inner = Vec::new();
                    self.scan(
                        &out,
                        None,
                        next_depth,
                        &path,
                        &mut inner,
                        &mut layer.truncations,
                        &mut layer.errors,
                    );
                    layer.children = inner;
                    layer.content = Some(out);
                }
                Output::Tree(mut tree) => {
                    let mut inner = Vec::new();
                    self.scan_files(&mut tree, next_depth, &path, &mut inner, &mut layer);
                    layer.children = inner;
                    layer.tree = Some(tree);
                }
                Output::Streamed(streamed) => {
                    layer.children = streamed.children;
                    layer.released = Some(streamed.produced);
                    layer.truncations.extend(streamed.truncations);
                    layer.errors.extend(streamed.errors);
                }
            }
            found.push(layer);
            pos = candidate.start.saturating_add(consumed);
        }
        if (after_layer || !found.is_empty()) && pos < blob.len() {
            found.push(self.raw(blob, base, pos..blob.len(), name));
        }
        if !self.keep {
            // Each of these layers is complete, with everything inside it: hand it over and
            // let go of its bytes.
            if let Some(sink) = self.sink.as_mut() {
                sink.layers(parent, &found);
            }
            for layer in &mut found {
                layer.release(self.input);
            }
        }
        children.append(&mut found);
    }

    /// Scans every regular file of `tree` for nested layers, in path order. Deferred
    /// contents are decoded a window at a time (their damage recorded on `layer`, unused
    /// reservations refunded) and kept or dropped once scanned.
    fn scan_files(
        &mut self,
        tree: &mut FileTree,
        depth: u32,
        path: &LayerPath,
        children: &mut Vec<Layer>,
        layer: &mut Layer,
    ) {
        if let Some(sink) = self.sink.as_mut() {
            sink.tree(path, tree);
        }
        let mut timed_out = false;
        let links = self.sink.is_some();
        tree.for_each_file(links, self.budget, |node, loaded| {
            if let Some(settled) = loaded.settled {
                self.budget.refund(settled.refund);
                timed_out |= settled.timed_out;
                layer.errors.extend(settled.error);
            }
            if self.keep {
                node.keep(loaded.content.clone());
            }
            if let Some(sink) = self.sink.as_mut() {
                sink.file(path, node, &loaded.content);
            }
            if !node.is_file() {
                // A hard link's content is its target's, scanned there.
                return ControlFlow::Continue(());
            }
            self.scan(
                &loaded.content,
                Some(&node.path),
                depth,
                path,
                children,
                &mut layer.truncations,
                &mut layer.errors,
            );
            ControlFlow::Continue(())
        });
        if timed_out {
            note(
                &mut layer.truncations,
                LimitKind::Time,
                path,
                "stopped while decoding file data".into(),
            );
        }
        // Files of a sequential source come in archive order; their layers go in path
        // order, as for any tree.
        children.sort_by(|a, b| a.name.cmp(&b.name));
        tree.settle_sizes();
    }

    /// The unidentified bytes `range` of `blob` (at `base` of its parent's bytes).
    fn raw(&self, blob: &Blob, base: usize, range: Range<usize>, name: Option<&str>) -> Layer {
        let _ = self.budget.take_entries(1);
        let offset = to_u64(base.saturating_add(range.start));
        let mut layer = Layer::new(RAW, offset, to_u64(range.len()), name);
        layer.content = blob.slice(range);
        layer
    }

    /// Extracts a candidate of `format`; `depth` is the depth of the layers found in what it
    /// produces. With content on demand, a compressed stream goes through
    /// [`stream::extract`], which reads a large archive as it is decoded.
    fn extract(
        &mut self,
        format: &'static dyn Format,
        data: &Blob,
        cx: &mut Context<'_>,
        depth: u32,
    ) -> Result<Extracted, Rejected> {
        if !self.keep {
            if let Some(decoder) = format.stream(data) {
                let stream_from = self.stream_from;
                return stream::extract(self, format, data, decoder, cx, depth, stream_from);
            }
        }
        format.extract(data, cx)
    }
}

/// Bytes to scan, and where they sit (see [`Driver::scan_region`]).
#[derive(Clone, Copy)]
struct Region<'b> {
    blob: &'b Blob,
    base: usize,
    after_layer: bool,
}

impl Scanner for Driver<'_, '_> {
    fn may_extract(&self, depth: u32) -> bool {
        !self.budget.time_up() && depth <= self.max_depth && self.budget.remaining_entries() > 0
    }

    fn scan_tree(&mut self, tree: &mut FileTree, depth: u32, path: &LayerPath, layer: &mut Layer) {
        let mut inner = Vec::new();
        self.scan_files(tree, depth, path, &mut inner, layer);
        layer.children = inner;
    }

    fn scan_rest(
        &mut self,
        rest: &Blob,
        base: usize,
        depth: u32,
        parent: &LayerPath,
        children: &mut Vec<Layer>,
        notes: &mut Vec<Truncation>,
        errors: &mut Vec<LayerError>,
    ) {
        let region = Region {
            blob: rest,
            base,
            after_layer: true,
        };
        self.scan_region(region, None, depth, parent, children, notes, errors);
    }
}

impl Unpacked {
    /// A result made of one ready file tree, such as a root filesystem already extracted to a
    /// directory, or a test fixture: the root layer is the tree (format [`INPUT`]).
    pub fn from_tree(image: impl Into<String>, tree: FileTree) -> Unpacked {
        let mut root = Layer::new(INPUT, 0, 0, None);
        root.tree = Some(tree);
        Unpacked {
            image: image.into(),
            root,
            stats: Stats::default(),
            limits: Limits::default(),
        }
    }

    /// The limits this result was produced under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The path of the root layer.
    pub fn root_path(&self) -> LayerPath {
        LayerPath::root(self.image.clone())
    }

    /// Every layer, depth first, with its path.
    pub fn layers(&self) -> Vec<(LayerPath, &Layer)> {
        self.root.walk(&self.root_path())
    }

    /// Every file tree (archive or filesystem) with the path of its layer, depth first.
    pub fn trees(&self) -> Vec<(LayerPath, &FileTree)> {
        self.layers()
            .into_iter()
            .filter_map(|(path, layer)| layer.tree.as_ref().map(|tree| (path, tree)))
            .collect()
    }

    /// The nodes at `path` (not following symlinks) in every tree that has one.
    pub fn find(&self, path: &str) -> Vec<(LayerPath, &Node)> {
        self.trees()
            .into_iter()
            .filter_map(|(layer, tree)| tree.get(path).map(|node| (layer, node)))
            .collect()
    }

    /// The content of the first file that `path` leads to (following symlinks inside its
    /// tree), searching trees depth first, with the path of its layer.
    pub fn read(&self, path: &str) -> Option<(LayerPath, &Blob)> {
        self.trees()
            .into_iter()
            .find_map(|(layer, tree)| tree.read(path).map(|blob| (layer, blob)))
    }

    /// Every truncation, depth first.
    pub fn truncations(&self) -> Vec<&Truncation> {
        self.layers()
            .into_iter()
            .flat_map(|(_, layer)| layer.truncations.iter())
            .collect()
    }

    /// Every layer error, with the path of its layer.
    pub fn errors(&self) -> Vec<(LayerPath, &LayerError)> {
        self.layers()
            .into_iter()
            .flat_map(|(path, layer)| layer.errors.iter().map(move |e| (path.clone(), e)))
            .collect()
    }

    /// Every path anomaly of every tree, with the path of its layer.
    pub fn anomalies(&self) -> Vec<(LayerPath, &PathAnomaly)> {
        self.trees()
            .into_iter()
            .flat_map(|(path, tree)| tree.anomalies().iter().map(move |a| (path.clone(), a)))
            .collect()
    }

    /// Whether no limit was reached.
    pub fn is_complete(&self) -> bool {
        self.truncations().is_empty()
    }

    /// The layer tree as text: one line per layer (format, variant, offset, size, what it
    /// produced), with truncations and errors under the layer they belong to.
    pub fn listing(&self) -> String {
        let mut out = format!("{}\n", self.image);
        for line in self.root.listing().lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[test]
    fn unknown_bytes_stay_in_the_root_and_gaps_become_raw_layers() {
        let unpacker = Unpacker::default();
        let plain = unpacker.unpack_bytes("plain.bin", testkit::noise(10_000, 1));
        assert!(plain.root.children.is_empty());
        assert_eq!(plain.root.content.as_ref().map(|c| c.len()), Some(10_000));

        let gz = testkit::gzip(b"inner");
        let data = [vec![1u8; 100], gz.clone(), vec![2u8; 50]].concat();
        let result = unpacker.unpack_bytes("fw.bin", data);
        let shape: Vec<(String, u64, u64)> = result
            .root
            .children
            .iter()
            .map(|l| (l.format.clone(), l.offset, l.size))
            .collect();
        let gz_len = gz.len() as u64;
        assert_eq!(
            shape,
            [
                ("raw".to_owned(), 0, 100),
                ("gzip".to_owned(), 100, gz_len),
                ("raw".to_owned(), 100 + gz_len, 50)
            ]
        );
        assert_eq!(
            result.root.children[1].content.as_deref(),
            Some(&b"inner"[..])
        );
        assert!(result.is_complete());
    }

    #[test]
    fn empty_input_is_fine() {
        let result = Unpacker::default().unpack_bytes("empty", Vec::new());
        assert!(result.root.children.is_empty());
        assert!(result.is_complete());
        assert_eq!(result.listing(), "empty\n  input @0x0 size 0\n");
    }

    #[test]
    fn depth_limit_is_recorded_not_fatal() {
        let mut data = b"core".to_vec();
        for _ in 0..5 {
            data = testkit::gzip(&data);
        }
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let result = Unpacker::new(limits).unpack_bytes("deep", data);
        let truncations = result.truncations();
        assert_eq!(truncations.len(), 1);
        assert_eq!(truncations[0].limit, LimitKind::Depth);
        assert_eq!(truncations[0].layer.chain.len(), 3);
        assert_eq!(result.layers().len(), 4);
    }
}
