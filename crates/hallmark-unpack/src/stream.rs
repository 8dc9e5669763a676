//! Large compressed archives read as they are decoded, in two passes.
//!
//! A compressed stream's output is normally held whole while it is scanned. With
//! [content on demand](crate::Unpacker::content_on_demand), an output that passes
//! [`STREAM_FROM`] bytes and is a tar archive from its first byte (and nothing else starts
//! there) is read forward instead:
//!
//! 1. **Pass 1** decodes the stream to its end once, under the layer's limits, while the tar
//!    reader parses the headers going by. Only what the reader may still ask for is kept:
//!    the current header, a metadata record (at most 1 MiB), never a member's data. Each
//!    file becomes deferred content naming its range of the output. What follows the archive
//!    is kept and scanned as usual.
//! 2. **Pass 2** is the driver's scan of the tree: its files are handed over in archive
//!    order, which decodes the stream a second time, once, a window at a time.
//!
//! The layer tree is the one the whole output would give (the tests compare them), except
//! that the compressed layer keeps no content ([`Layer::streamed`] gives its length) and,
//! should a limit cut the files' scan short, the files scanned first are the archive's first
//! rather than the first in path order. Peak memory follows the windows, not the output.

use std::ops::Range;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::blob::Blob;
use crate::decode::Stream;
use crate::format::{Context, Extracted, Format, Output, Rejected};
use crate::forward::ArchiveBytes;
use crate::layer::{Layer, LayerError};
use crate::limits::{Budget, CHUNK_BYTES, LayerPath, Limits, Truncation};
use crate::scan;
use crate::tree::{Decoded, Deferred, Entry, FileTree, Settled, Source};

/// Output size from which a compressed archive is read in passes rather than held whole.
pub(crate) const STREAM_FROM: usize = 64 << 20;

/// How much of the start of an output is scanned to tell what begins there.
const HEAD_BYTES: usize = 1 << 20;

const TAR: &str = "tar";

/// What a streamed compressed layer produced: the layers found in its output, and what its
/// scan recorded on top of the stream's own truncations and errors.
#[derive(Debug)]
pub(crate) struct Streamed {
    /// Bytes of output.
    pub produced: u64,
    pub children: Vec<Layer>,
    pub truncations: Vec<Truncation>,
    pub errors: Vec<LayerError>,
}

/// The driver's side of a streamed read: scanning what pass 1 found.
pub(crate) trait Scanner {
    /// Whether a layer starting at offset 0 of the output (at `depth`) would be extracted at
    /// all: time, depth and entries left.
    fn may_extract(&self, depth: u32) -> bool;
    /// Scans the files of `tree`, the tree of `layer` at `path`, as the driver does.
    fn scan_tree(&mut self, tree: &mut FileTree, depth: u32, path: &LayerPath, layer: &mut Layer);
    /// Scans `rest`, the output from offset `base` on, after a layer that ended there.
    #[allow(clippy::too_many_arguments)]
    fn scan_rest(
        &mut self,
        rest: &Blob,
        base: usize,
        depth: u32,
        parent: &LayerPath,
        children: &mut Vec<Layer>,
        notes: &mut Vec<Truncation>,
        errors: &mut Vec<LayerError>,
    );
}

/// Extracts the compressed stream `stream` (of `format`, over `data`), holding its output
/// whole unless it is a large tar archive, which is read in passes. `depth` is the depth of
/// the layers found in the output.
pub(crate) fn extract(
    scanner: &mut dyn Scanner,
    format: &'static dyn Format,
    data: &Blob,
    mut stream: Box<dyn Stream + '_>,
    cx: &mut Context<'_>,
    depth: u32,
    stream_from: usize,
) -> Result<Extracted, Rejected> {
    let mut out = Vec::new();
    while out.len() < stream_from {
        if !stream.pull(&mut out, cx)? {
            return Ok(whole(out, &*stream));
        }
    }
    if !tar_at_start(&out) || !scanner.may_extract(depth) {
        while stream.pull(&mut out, cx)? {}
        return Ok(whole(out, &*stream));
    }

    // Pass 1: the headers, as the stream goes by. The compressed layer's entry is taken
    // first, as when the output is scanned after decoding.
    let budget = cx.budget;
    let _ = budget.take_entries(1);
    let source = Arc::new(Restream::new(data.clone(), format));
    let tar_path = cx.layer.child(TAR, 0, None);
    let mut tar_cx = Context::new(budget, tar_path.clone());
    let mut forward = Forward::new(&mut *stream, cx, out, source.clone());
    let read = crate::formats::read_tar(&mut forward, &mut tar_cx);
    let extracted = match read {
        Ok(extracted) => extracted,
        Err(_) => {
            // Not reached: the reader rejects only what the probe in `tar_at_start` rejects.
            // Were it reached, nothing was released, so the output is still whole; the entry
            // goes back, to be taken as for any whole output.
            budget.return_entries(1);
            let out = forward.into_rest(0);
            return Ok(whole(out, &*stream));
        }
    };
    let tar_len = usize::try_from(extracted.consumed).unwrap_or(usize::MAX);
    let ranges = std::mem::take(&mut forward.ranges);
    let rest = forward.into_rest(tar_len);
    let produced = stream.produced();
    let total = usize::try_from(produced).unwrap_or(usize::MAX);
    source.settle(total, ranges);

    let _ = budget.take_entries(1);
    let mut tar = Layer::new(TAR, 0, to_u64(tar_len), None);
    tar.variant = extracted.variant.map(str::to_owned);
    tar.truncations = tar_cx.truncations;
    tar.errors = tar_cx.errors;
    let child_depth = depth.saturating_add(1);
    if let Output::Tree(mut tree) = extracted.output {
        // Pass 2: the files, decoded again in archive order.
        scanner.scan_tree(&mut tree, child_depth, &tar_path, &mut tar);
        tar.tree = Some(tree);
        // Done with this decoding: a later read starts another.
        source.stop();
    }
    let parent = cx.layer.clone();
    let mut truncations = cx.truncations.clone();
    let known = truncations.len();
    let mut errors = Vec::new();
    let mut children = vec![tar];
    scanner.scan_rest(
        &Blob::from(rest),
        tar_len,
        depth,
        &parent,
        &mut children,
        &mut truncations,
        &mut errors,
    );
    Ok(Extracted {
        consumed: stream.consumed(),
        output: Output::Streamed(Streamed {
            produced,
            children,
            truncations: truncations.split_off(known),
            errors,
        }),
        variant: stream.variant(),
    })
}

fn whole(mut out: Vec<u8>, stream: &dyn Stream) -> Extracted {
    out.shrink_to_fit();
    Extracted {
        consumed: stream.consumed(),
        output: Output::Blob(Blob::from(out)),
        variant: stream.variant(),
    }
}

/// Whether the whole-output scan would take a tar archive at offset 0: tar is the only format
/// with a candidate there, and its header checks out.
fn tar_at_start(out: &[u8]) -> bool {
    let head = out.get(..out.len().min(HEAD_BYTES)).unwrap_or(out);
    let Ok((candidates, _)) = scan::candidates(head) else {
        return false;
    };
    let at_start: Vec<&'static dyn Format> = candidates
        .iter()
        .filter(|c| c.start == 0)
        .filter_map(|c| crate::formats::FORMATS.get(c.format).copied())
        .collect();
    matches!(at_start.as_slice(), [only] if only.id() == TAR && only.probe(out))
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Pass 1's view of the output: the bytes from `start` that the reader may still ask for,
/// decoded as it asks.
struct Forward<'s, 'c> {
    stream: &'s mut dyn Stream,
    cx: &'s mut Context<'c>,
    buf: Vec<u8>,
    /// Output offset of `buf[0]`.
    start: usize,
    /// Bytes before this offset are dropped as soon as they are decoded.
    released: usize,
    ended: bool,
    source: Arc<Restream>,
    /// The range of each file handed out, by key.
    ranges: Vec<Range<usize>>,
    /// Most bytes held at once.
    peak: usize,
}

impl<'s, 'c> Forward<'s, 'c> {
    /// Reads the output of `stream`, of which `head` was already decoded.
    fn new(
        stream: &'s mut dyn Stream,
        cx: &'s mut Context<'c>,
        head: Vec<u8>,
        source: Arc<Restream>,
    ) -> Forward<'s, 'c> {
        Forward {
            stream,
            cx,
            buf: head,
            start: 0,
            released: 0,
            ended: false,
            source,
            ranges: Vec::new(),
            peak: 0,
        }
    }

    fn end(&self) -> usize {
        self.start.saturating_add(self.buf.len())
    }

    /// Decodes until the output reaches `upto` bytes or ends.
    fn fill(&mut self, upto: usize) {
        while !self.ended && self.end() < upto {
            match self.stream.pull(&mut self.buf, self.cx) {
                Ok(true) => {}
                Ok(false) | Err(_) => self.ended = true,
            }
            self.peak = self.peak.max(self.buf.len());
            self.compact();
        }
    }

    /// Drops released bytes once they are at least half the buffer (so each byte moves at
    /// most a few times).
    fn compact(&mut self) {
        let drop = self.released.saturating_sub(self.start).min(self.buf.len());
        if drop > 0 && drop.saturating_mul(2) >= self.buf.len() {
            self.buf.drain(..drop);
            self.start = self.start.saturating_add(drop);
            if self.buf.capacity() > self.buf.len().saturating_mul(4).max(CHUNK_BYTES) {
                self.buf.shrink_to(self.buf.len().max(CHUNK_BYTES));
            }
        }
    }

    /// Decodes the rest of the stream and returns the output from `from` on.
    fn into_rest(mut self, from: usize) -> Vec<u8> {
        self.released = self.released.min(from);
        self.fill(usize::MAX);
        let total = self.end();
        if from >= self.start {
            let mut buf = std::mem::take(&mut self.buf);
            buf.drain(..from.saturating_sub(self.start).min(buf.len()));
            return buf;
        }
        // The reader gave up before the end of bytes it had released (an entry limit): read
        // them again.
        self.source.total.get_or_init(|| total);
        self.source.read(from..total, None).0
    }
}

impl ArchiveBytes for Forward<'_, '_> {
    fn get(&mut self, range: Range<usize>) -> Option<&[u8]> {
        self.fill(range.end);
        let from = range.start.checked_sub(self.start)?;
        let to = range.end.checked_sub(self.start)?;
        self.buf.get(from..to)
    }

    fn get_some(&mut self, range: Range<usize>) -> &[u8] {
        let end = self.len_upto(range.end);
        let from = range.start.saturating_sub(self.start);
        let to = end.saturating_sub(self.start);
        self.buf.get(from..to).unwrap_or(&[])
    }

    fn len_upto(&mut self, at: usize) -> usize {
        self.fill(at);
        at.min(self.end())
    }

    fn release(&mut self, pos: usize) {
        self.released = self.released.max(pos);
        self.compact();
    }

    fn file(&mut self, entry: Entry, range: Range<usize>) -> Entry {
        let key = self.ranges.len();
        let size = to_u64(range.len());
        self.ranges.push(range);
        entry.deferred(Deferred::new(self.source.clone(), key, size))
    }
}

/// The files of a streamed archive, read by decoding the stream again: forward from where
/// the last read stopped, or from the start when a file before that is asked for.
pub(crate) struct Restream {
    data: Blob,
    format: &'static dyn Format,
    /// Output length of pass 1; later reads stop there.
    total: OnceLock<usize>,
    /// Each file's range of the output, by key.
    ranges: OnceLock<Vec<Range<usize>>>,
    cursor: Mutex<Option<Cursor>>,
    /// Decodings started (for tests: a sequential scan starts one).
    starts: std::sync::atomic::AtomicUsize,
}

impl Restream {
    fn new(data: Blob, format: &'static dyn Format) -> Restream {
        Restream {
            data,
            format,
            total: OnceLock::new(),
            ranges: OnceLock::new(),
            cursor: Mutex::new(None),
            starts: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Ends the decoding in progress (its thread and its decoder's memory).
    fn stop(&self) {
        *self.cursor.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn settle(&self, total: usize, ranges: Vec<Range<usize>>) {
        let _ = self.total.set(total);
        let _ = self.ranges.set(ranges);
    }

    /// The output in `range` (cut at the end of pass 1's output), and whether `budget`'s
    /// time ran out first.
    fn read(&self, range: Range<usize>, budget: Option<&Budget>) -> (Vec<u8>, bool) {
        let total = self.total.get().copied().unwrap_or(0);
        let range = range.start.min(total)..range.end.min(total);
        let mut cursor = self.cursor.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = match cursor.as_ref() {
            Some(c) => c.pos > range.start,
            None => true,
        };
        if fresh {
            *cursor = Some(Cursor::start(self.data.clone(), self.format, total));
            self.starts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let mut out = Vec::with_capacity(range.len());
        let timed_out = match cursor.as_mut() {
            Some(c) => c.read(range, &mut out, budget),
            None => false,
        };
        (out, timed_out)
    }
}

impl Source for Restream {
    fn data(&self) -> &Blob {
        &self.data
    }

    fn decode(&self, keys: &[usize], budget: &Budget) -> Vec<Decoded> {
        let ranges = self.ranges.get().map(Vec::as_slice).unwrap_or(&[]);
        keys.iter()
            .map(|&key| {
                let range = ranges.get(key).cloned().unwrap_or(0..0);
                let (content, timed_out) = self.read(range.clone(), Some(budget));
                let error = (!timed_out && content.len() < range.len()).then(|| LayerError {
                    offset: to_u64(range.start.saturating_add(content.len())),
                    message: "the stream ended early when read again".into(),
                });
                Decoded {
                    content: Blob::from(content),
                    outcome: Settled {
                        error,
                        timed_out,
                        refund: 0,
                    },
                }
            })
            .collect()
    }

    fn sequential(&self) -> bool {
        true
    }
}

/// A decoding of the stream in progress, on a thread of its own, a chunk at a time.
struct Cursor {
    chunks: Receiver<Vec<u8>>,
    /// The chunk being read and where.
    chunk: Vec<u8>,
    at: usize,
    /// Output offset of the next byte.
    pos: usize,
}

impl Cursor {
    fn start(data: Blob, format: &'static dyn Format, total: usize) -> Cursor {
        let (sender, chunks) = sync_channel::<Vec<u8>>(2);
        let decode = move || {
            let Some(mut stream) = format.stream(&data) else {
                return;
            };
            // Pass 1 bounded this output; the length it reached is the only limit here.
            let limits = Limits {
                max_total_bytes: u64::MAX,
                max_file_bytes: u64::MAX,
                max_ratio: u64::MAX,
                max_time: Duration::MAX,
                ..Limits::default()
            };
            let budget = Budget::new(&limits);
            let mut cx = Context::new(&budget, LayerPath::root("restream"));
            let mut sent = 0usize;
            while sent < total {
                let mut chunk = Vec::new();
                let more = matches!(stream.pull(&mut chunk, &mut cx), Ok(true));
                chunk.truncate(total.saturating_sub(sent));
                sent = sent.saturating_add(chunk.len());
                if !chunk.is_empty() && sender.send(chunk).is_err() {
                    return; // the reader is gone
                }
                if !more {
                    return;
                }
            }
        };
        // Without a thread the reads find the stream empty and record it.
        let _ = std::thread::Builder::new()
            .name("hallmark-restream".into())
            .spawn(decode);
        Cursor {
            chunks,
            chunk: Vec::new(),
            at: 0,
            pos: 0,
        }
    }

    /// Skips to `range.start` and appends the bytes of `range` to `out`, stopping early at the
    /// end of the stream or when `budget`'s time is up (then true).
    fn read(&mut self, range: Range<usize>, out: &mut Vec<u8>, budget: Option<&Budget>) -> bool {
        while self.pos < range.end {
            if self.at >= self.chunk.len() {
                if budget.is_some_and(Budget::time_up) {
                    return true;
                }
                match self.chunks.recv() {
                    Ok(chunk) => {
                        self.chunk = chunk;
                        self.at = 0;
                    }
                    Err(_) => return false,
                }
                continue;
            }
            let left = self.chunk.len().saturating_sub(self.at);
            if self.pos < range.start {
                let skip = left.min(range.start.saturating_sub(self.pos));
                self.at = self.at.saturating_add(skip);
                self.pos = self.pos.saturating_add(skip);
                continue;
            }
            let take = left.min(range.end.saturating_sub(self.pos));
            let end = self.at.saturating_add(take);
            out.extend_from_slice(self.chunk.get(self.at..end).unwrap_or(&[]));
            self.at = end;
            self.pos = self.pos.saturating_add(take);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::FORMATS;
    use crate::testkit::{self, TarBuilder};

    fn format(id: &str) -> &'static dyn Format {
        FORMATS.iter().copied().find(|f| f.id() == id).unwrap()
    }

    #[test]
    fn pass_one_holds_headers_not_member_data() {
        let tar = TarBuilder::new()
            .file(b"small", b"x")
            .file(b"big", &testkit::noise(8 << 20, 7))
            .pax_entry(&[("path", b"after/the/big/one")], b"p", b'0', b"tail")
            .finish();
        for id in ["gzip", "xz", "zstd"] {
            let data = Blob::from(match id {
                "gzip" => testkit::gzip(&tar),
                "xz" => testkit::xz(&tar),
                _ => testkit::zstd(&tar),
            });
            let format = format(id);
            let budget = Budget::new(&Limits::default());
            let mut cx = Context::new(&budget, LayerPath::root("t"));
            let mut tar_cx = Context::new(&budget, LayerPath::root("t"));
            let mut stream = format.stream(&data).unwrap();
            let source = Arc::new(Restream::new(data.clone(), format));
            let mut forward = Forward::new(&mut *stream, &mut cx, Vec::new(), source.clone());
            let read = crate::formats::read_tar(&mut forward, &mut tar_cx).unwrap();
            assert_eq!(read.consumed, tar.len() as u64);
            assert!(
                forward.peak <= 2 * CHUNK_BYTES,
                "{id}: held {}",
                forward.peak
            );
            let ranges = std::mem::take(&mut forward.ranges);
            assert!(forward.into_rest(tar.len()).is_empty());
            source.settle(tar.len(), ranges);
            let Output::Tree(tree) = read.output else {
                panic!("no tree");
            };
            assert_eq!(tree.read("/after/the/big/one").unwrap().as_slice(), b"tail");
            assert_eq!(tree.read("/big").unwrap().len(), 8 << 20);
        }
    }

    #[test]
    fn a_scan_decodes_the_stream_once_even_across_a_hard_link_at_a_window_edge() {
        // The target fills a window by itself; its hard link has the same range.
        let big = vec![7u8; (crate::tree::WINDOW_BYTES as usize) + 4096];
        let tar = TarBuilder::new()
            .file(b"big", &big)
            .hardlink(b"link", b"big")
            .file(b"after", b"tail")
            .finish();
        let data = Blob::from(testkit::gzip(&tar));
        let format = format("gzip");
        let budget = Budget::new(&Limits::default());
        let mut cx = Context::new(&budget, LayerPath::root("t"));
        let mut tar_cx = Context::new(&budget, LayerPath::root("t"));
        let mut stream = format.stream(&data).unwrap();
        let source = Arc::new(Restream::new(data.clone(), format));
        let mut forward = Forward::new(&mut *stream, &mut cx, Vec::new(), source.clone());
        let read = crate::formats::read_tar(&mut forward, &mut tar_cx).unwrap();
        let ranges = std::mem::take(&mut forward.ranges);
        let _ = forward.into_rest(tar.len());
        source.settle(tar.len(), ranges);
        let Output::Tree(tree) = read.output else {
            panic!("no tree");
        };
        let mut seen = Vec::new();
        tree.for_each_file(true, &budget, |node, loaded| {
            seen.push((node.path.clone(), loaded.content.len()));
            std::ops::ControlFlow::Continue(())
        });
        assert_eq!(
            seen,
            [
                ("/big".to_owned(), big.len()),
                ("/link".to_owned(), big.len()),
                ("/after".to_owned(), 4)
            ]
        );
        assert_eq!(source.starts.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
