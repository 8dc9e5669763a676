//! What a format is: magic patterns for the signature scan, a cheap header probe, and an
//! extractor that validates the whole candidate while producing its output.

use std::ops::ControlFlow;

use serde::Serialize;

use crate::blob::Blob;
use crate::decode::Stream;
use crate::layer::LayerError;
use crate::limits::{Budget, LayerPath, LimitKind, Limits, Truncation};
use crate::tree::{Added, AnomalyKind, Entry, FileTree};

/// Broad family of a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatKind {
    /// A compressed stream: produces one blob.
    Compression,
    /// An archive: produces a file tree.
    Archive,
    /// A filesystem image: produces a file tree.
    Filesystem,
    /// A firmware container: produces blobs.
    Container,
}

/// Public description of a registered format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FormatInfo {
    /// Stable id, used as [`Layer::format`](crate::Layer::format).
    pub id: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Family.
    pub kind: FormatKind,
}

/// A byte pattern that marks a candidate: `bytes` found at `offset` from the format's start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Magic {
    pub bytes: &'static [u8],
    pub offset: usize,
}

impl Magic {
    pub(crate) const fn at_start(bytes: &'static [u8]) -> Magic {
        Magic { bytes, offset: 0 }
    }
}

/// Why a candidate was not accepted as this format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected(pub String);

impl Rejected {
    pub(crate) fn new(reason: impl Into<String>) -> Rejected {
        Rejected(reason.into())
    }
}

/// What a format produces from a candidate.
#[derive(Debug)]
pub(crate) enum Output {
    /// A byte stream (decompressed data, a container's payload).
    Blob(Blob),
    /// A file tree (an archive or filesystem).
    Tree(FileTree),
    /// A compressed stream too large to hold, whose output was scanned as it was decoded.
    Streamed(crate::stream::Streamed),
}

/// A validated candidate.
#[derive(Debug)]
pub(crate) struct Extracted {
    /// Extent of the format in its parent, from the candidate's start.
    pub consumed: u64,
    /// What it produced.
    pub output: Output,
    /// Variant, when the format has several.
    pub variant: Option<&'static str>,
}

/// One format: one file under `formats/`, one line in [`FORMATS`](crate::formats::FORMATS).
pub(crate) trait Format: Sync {
    /// Stable, unique id (lowercase).
    fn id(&self) -> &'static str;
    /// One-line description.
    fn description(&self) -> &'static str;
    /// Family.
    fn kind(&self) -> FormatKind;
    /// Patterns the signature scan looks for.
    fn magics(&self) -> &'static [Magic];
    /// Cheap check of the header at the start of `data`; false rejects the candidate without
    /// extracting.
    fn probe(&self, data: &[u8]) -> bool;
    /// Parses and extracts the candidate starting at `data[0]`, charging `cx`'s budget.
    /// `Err` means "not this format after all": the bytes stay unidentified. Damage after a
    /// valid start is an `Ok` with errors recorded in `cx`.
    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected>;

    /// For a compressed stream: the same extraction a chunk at a time, so a reader of its
    /// output need not hold all of it. `None` for formats that only extract whole.
    fn stream<'a>(&self, _data: &'a [u8]) -> Option<Box<dyn Stream + 'a>> {
        None
    }

    /// Public description.
    fn info(&self) -> FormatInfo {
        FormatInfo {
            id: self.id(),
            description: self.description(),
            kind: self.kind(),
        }
    }
}

/// What an extractor works with: the shared budget, and where to record truncations and
/// errors of the layer being extracted.
pub(crate) struct Context<'a> {
    pub budget: &'a Budget,
    pub layer: LayerPath,
    pub truncations: Vec<Truncation>,
    pub errors: Vec<LayerError>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(budget: &'a Budget, layer: LayerPath) -> Context<'a> {
        Context {
            budget,
            layer,
            truncations: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn limits(&self) -> &Limits {
        self.budget.limits()
    }

    /// Records that `limit` was reached (once per limit kind and layer).
    pub(crate) fn truncate(&mut self, limit: LimitKind, detail: impl Into<String>) {
        if self.truncations.iter().any(|t| t.limit == limit) {
            return;
        }
        self.truncations.push(Truncation {
            limit,
            layer: self.layer.clone(),
            detail: detail.into(),
        });
    }

    /// Records damage at `offset` of the layer.
    pub(crate) fn error(&mut self, offset: u64, message: impl Into<String>) {
        self.errors.push(LayerError {
            offset,
            message: message.into(),
        });
    }

    /// True (and recorded) when the time limit has passed.
    pub(crate) fn time_up(&mut self, doing: &str) -> bool {
        if self.budget.time_up() {
            self.truncate(LimitKind::Time, format!("stopped while {doing}"));
            return true;
        }
        false
    }

    /// An empty tree that refuses nodes beyond the entries left in the budget.
    pub(crate) fn new_tree(&self) -> FileTree {
        FileTree::with_node_limit(self.budget.remaining_entries())
    }

    /// Adds an entry; false when no more entries may be added (limit recorded).
    pub(crate) fn add(&mut self, tree: &mut FileTree, entry: Entry) -> bool {
        if tree.add(entry) == Added::Refused(AnomalyKind::NodeLimit) {
            self.truncate(
                LimitKind::Entries,
                format!("entry limit reached after {} nodes", tree.len()),
            );
            return false;
        }
        true
    }

    /// Decodes every deferred file of `tree` now (as the unpack driver does while scanning),
    /// recording damage and the time limit here and refunding unused reservations.
    pub(crate) fn settle(&mut self, tree: &mut FileTree) {
        let budget = self.budget;
        tree.for_each_file(false, budget, |_, loaded| {
            if let Some(settled) = loaded.settled {
                self.unreserve(settled.refund);
                if settled.timed_out {
                    let _ = self.time_up("decoding file data");
                }
                self.errors.extend(settled.error);
            }
            ControlFlow::Continue(())
        });
        tree.settle_sizes();
    }

    /// Charges a finished tree's nodes to the budget.
    pub(crate) fn charge_tree(&self, tree: &FileTree) {
        let nodes = u64::try_from(tree.len()).unwrap_or(u64::MAX);
        let charge = nodes.min(self.budget.remaining_entries());
        // Cannot fail: never more than what is left.
        let _ = self.budget.take_entries(charge);
    }

    /// Reserves `len` bytes of output for a file a filesystem reader is about to decompress
    /// (already capped with [`cap_file`](Context::cap_file)). Returns how many bytes may be
    /// produced: less than `len` (and the cut recorded) when the total budget runs out. The
    /// reader keeps its output within the grant.
    pub(crate) fn reserve(&mut self, path: &[u8], len: u64) -> u64 {
        let granted = self.budget.grant(len);
        if granted < len {
            self.truncate(
                LimitKind::TotalBytes,
                format!(
                    "{} cut at {granted} of {len} bytes: total output budget spent",
                    crate::tree::escape_path(path)
                ),
            );
        }
        granted
    }

    /// Gives back bytes of a [`reserve`](Context::reserve) that were not produced.
    pub(crate) fn unreserve(&self, n: u64) {
        self.budget.refund(n);
    }

    /// Caps an archive member of `len` bytes at the per-file limit, recording the cut.
    pub(crate) fn cap_file(&mut self, path: &[u8], len: usize) -> usize {
        let max = usize::try_from(self.limits().max_file_bytes).unwrap_or(usize::MAX);
        if len > max {
            self.truncate(
                LimitKind::FileBytes,
                format!(
                    "member {} cut from {len} to {max} bytes",
                    crate::tree::escape_path(path)
                ),
            );
            return max;
        }
        len
    }
}
