//! Bounded decompression shared by the compression formats.
//!
//! Decoders are driven in chunks of [`CHUNK_BYTES`]: before each chunk the time, the per-file
//! limit, the total budget and the layer's compression ratio are checked, so a bomb stops
//! within one chunk of a limit. Nothing here ever reads an untrusted stream to its end
//! unbounded.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use crate::blob::Blob;
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::limits::{CHUNK_BYTES, LimitKind};

/// Output budget of the first decoding step of a stream; steps grow with the output up to
/// [`CHUNK_BYTES`].
const FIRST_STEP: u64 = 8 * 1024;

/// Largest single `read` asked of a decoder.
const READ_BYTES: usize = 32 * 1024;

/// A reader over a byte slice whose position can be observed while a decoder owns it: the
/// compressed bytes consumed so far (for the ratio) and, once a stream ends, its exact extent.
#[derive(Clone)]
pub(crate) struct Tracked<'a> {
    data: &'a [u8],
    pos: Rc<Cell<usize>>,
}

impl<'a> Tracked<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Tracked<'a> {
        Tracked {
            data,
            pos: Rc::new(Cell::new(0)),
        }
    }

    /// Bytes consumed so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos.get()
    }

    pub(crate) fn set_pos(&self, pos: usize) {
        self.pos.set(pos.min(self.data.len()));
    }

    fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos.get()..).unwrap_or(&[])
    }
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.rest();
        let n = buf.len().min(rest.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.set_pos(self.pos().saturating_add(n));
        Ok(n)
    }
}

impl BufRead for Tracked<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(self.rest())
    }

    fn consume(&mut self, amount: usize) {
        self.set_pos(self.pos().saturating_add(amount));
    }
}

/// How a pump ended.
#[derive(Debug)]
pub(crate) enum Flow {
    /// The decoder reached the end of its stream.
    End,
    /// A limit was reached (and recorded).
    Limit,
    /// The decoder failed: corrupt or truncated input.
    Failed(io::Error),
}

/// Moves output from `reader` into `out` in bounded chunks until the stream ends, fails, or a
/// limit is reached. `consumed` tells how many compressed bytes the layer has used so far.
pub(crate) fn pump(
    reader: &mut dyn Read,
    out: &mut Vec<u8>,
    consumed: &dyn Fn() -> u64,
    cx: &mut Context<'_>,
) -> Flow {
    loop {
        let produced = u64::try_from(out.len()).unwrap_or(u64::MAX);
        if let Some(flow) = pump_chunk(reader, out, produced, consumed, cx) {
            return flow;
        }
    }
}

/// One step of [`pump`]: appends at most one chunk of output to `out`, `produced` being the
/// layer's output before it (which `out` need not hold). `None` while the stream goes on.
fn pump_chunk(
    reader: &mut dyn Read,
    out: &mut Vec<u8>,
    produced: u64,
    consumed: &dyn Fn() -> u64,
    cx: &mut Context<'_>,
) -> Option<Flow> {
    let limits = cx.limits();
    let (max_ratio, ratio_floor, max_file) = (
        limits.max_ratio,
        limits.ratio_floor_bytes,
        limits.max_file_bytes,
    );
    let chunk = u64::try_from(CHUNK_BYTES).unwrap_or(u64::MAX);
    if cx.time_up("decompressing") {
        return Some(Flow::Limit);
    }
    if produced > ratio_floor {
        let input = consumed().max(1);
        let ratio = produced.checked_div(input).unwrap_or(produced);
        if ratio > max_ratio {
            cx.truncate(
                LimitKind::Ratio,
                format!(
                    "stopped after {produced} bytes of output from {input} compressed bytes \
                     (ratio {ratio}:1, limit {max_ratio}:1)"
                ),
            );
            return Some(Flow::Limit);
        }
    }
    let file_left = max_file.saturating_sub(produced);
    // Small first steps: most candidates at arbitrary offsets fail within a few bytes, and
    // a large zero-filled buffer per attempt would dominate the scan.
    let step = produced.clamp(FIRST_STEP, chunk);
    let want = step.min(file_left);
    let granted = if want == 0 { 0 } else { cx.budget.grant(want) };
    if granted == 0 {
        // At a limit. The stream may end exactly here, which is not a truncation.
        let mut probe = [0u8; 1];
        return Some(match read_retrying(reader, &mut probe) {
            Ok(0) => Flow::End,
            Ok(_) => {
                let (limit, detail) = if file_left == 0 {
                    (
                        LimitKind::FileBytes,
                        format!("stream cut at {produced} bytes"),
                    )
                } else {
                    (
                        LimitKind::TotalBytes,
                        format!("stream cut at {produced} bytes: total output budget spent"),
                    )
                };
                cx.truncate(limit, detail);
                Flow::Limit
            }
            Err(e) => Flow::Failed(e),
        });
    }
    let granted_len = usize::try_from(granted).unwrap_or(CHUNK_BYTES);
    let start = out.len();
    out.resize(start.saturating_add(granted_len), 0);
    let mut filled = 0usize;
    let result = loop {
        let Some(buf) = out.get_mut(start.saturating_add(filled)..) else {
            break Ok(());
        };
        if buf.is_empty() {
            break Ok(());
        }
        // Bounded reads: a decoder that fails inside a read loses that read's output, so
        // keep each one small to salvage as much of a damaged stream as possible.
        let len = buf.len().min(READ_BYTES);
        let Some(buf) = buf.get_mut(..len) else {
            break Ok(());
        };
        match read_retrying(reader, buf) {
            Ok(0) => break Ok(()),
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) => break Err(e),
        }
    };
    out.truncate(start.saturating_add(filled));
    let filled_u64 = u64::try_from(filled).unwrap_or(u64::MAX);
    cx.budget.refund(granted.saturating_sub(filled_u64));
    match result {
        Err(e) => Some(Flow::Failed(e)),
        Ok(()) if filled < granted_len => Some(Flow::End),
        Ok(()) => None,
    }
}

fn read_retrying(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A decoder that produces its output a block at a time (lzop blocks, legacy LZ4 blocks), read
/// as one stream through a [`BlockReader`].
pub(crate) trait Blocks {
    /// Decodes the next block into `block`, replacing what it held; false at the end of the
    /// stream.
    fn next_block(&mut self, block: &mut Vec<u8>) -> io::Result<bool>;
}

/// The blocks of a [`Blocks`] decoder as one stream. A block that fails to decode ends it.
pub(crate) struct BlockReader<B> {
    blocks: B,
    block: Vec<u8>,
    at: usize,
    done: bool,
}

impl<B: Blocks> BlockReader<B> {
    pub(crate) fn new(blocks: B) -> BlockReader<B> {
        BlockReader {
            blocks,
            block: Vec::new(),
            at: 0,
            done: false,
        }
    }
}

impl<B: Blocks> Read for BlockReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let pending = self.block.get(self.at..).unwrap_or(&[]);
            if !pending.is_empty() {
                let n = pending.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), pending.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.at = self.at.saturating_add(n);
                return Ok(n);
            }
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            match self.blocks.next_block(&mut self.block) {
                Ok(true) => self.at = 0,
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
    }
}

/// A compression format whose stream is a run of members (gzip members, bzip2 and xz streams,
/// zstd and LZ4 frames, lzop files) decoded into one output. Saying what a member is and how
/// to decode one is the whole format: the [`Format`] implementation below probes with
/// [`is_member`](MemberStream::is_member) and extracts with [`decode_members`].
pub(crate) trait MemberStream: Sync + 'static {
    /// Stable id ([`Format::id`]).
    const ID: &'static str;
    /// One-line description ([`Format::description`]).
    const DESCRIPTION: &'static str;
    /// Patterns the signature scan looks for ([`Format::magics`]).
    const MAGICS: &'static [Magic];

    /// Whether `data` starts a member: the probe, and the test for another member after one.
    fn is_member(data: &[u8]) -> bool;

    /// How many padding bytes to skip after a member, at the start of `rest`, before looking
    /// for the next one.
    fn padding(_rest: &[u8]) -> usize {
        0
    }

    /// A decoder for the member of `data` that starts at `input`'s position.
    fn open<'a>(data: &'a [u8], input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>>;

    /// The variant of the stream that starts `data`, once it decoded.
    fn variant(_data: &[u8]) -> Option<&'static str> {
        None
    }
}

impl<T: MemberStream> Format for T {
    fn id(&self) -> &'static str {
        T::ID
    }

    fn description(&self) -> &'static str {
        T::DESCRIPTION
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Compression
    }

    fn magics(&self) -> &'static [Magic] {
        T::MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        T::is_member(data)
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        decode_members::<T>(data, cx)
    }

    fn stream<'a>(&self, data: &'a [u8]) -> Option<Box<dyn Stream + 'a>> {
        Some(Box::new(Members::<T>::new(data)))
    }
}

/// A compressed stream decoded a chunk at a time, for a reader that cannot hold all of a
/// large output (see `stream`). Driving it to the end into one buffer is exactly what the
/// format's [`Format::extract`] does.
pub(crate) trait Stream {
    /// Appends the next chunk of output (possibly none) to `out`; `Ok(false)` once the stream
    /// is finished, after which nothing more is appended. `Err` rejects the candidate (no
    /// member decoded).
    fn pull(&mut self, out: &mut Vec<u8>, cx: &mut Context<'_>) -> Result<bool, Rejected>;
    /// Output produced so far.
    fn produced(&self) -> u64;
    /// The stream's extent in its parent, once finished.
    fn consumed(&self) -> u64;
    /// The variant, as [`Extracted::variant`].
    fn variant(&self) -> Option<&'static str>;
}

/// The members of a [`MemberStream`] decoded one after the other as one output. A first
/// member that fails before producing any output rejects the candidate; damage after that is
/// recorded and what was decoded is kept. A later "member" that fails without output is a
/// false continuation and is left out of the extent.
pub(crate) struct Members<'a, T> {
    data: &'a [u8],
    tracked: Tracked<'a>,
    reader: Option<Box<dyn Read + 'a>>,
    /// Output of all members so far.
    produced: u64,
    /// Output when the current member started.
    member_start: u64,
    /// Members decoded to their end.
    count: usize,
    /// End of the last member decoded (or of the damage).
    end: usize,
    finished: bool,
    format: std::marker::PhantomData<fn() -> T>,
}

impl<'a, T: MemberStream> Members<'a, T> {
    pub(crate) fn new(data: &'a [u8]) -> Members<'a, T> {
        Members {
            data,
            tracked: Tracked::new(data),
            reader: None,
            produced: 0,
            member_start: 0,
            count: 0,
            end: 0,
            finished: false,
            format: std::marker::PhantomData,
        }
    }

    /// Handles the end of the current member; true when another member follows.
    fn member_ended(&mut self, flow: Flow, cx: &mut Context<'_>) -> Result<bool, Rejected> {
        self.reader = None;
        match flow {
            Flow::End => {
                self.end = self.tracked.pos();
                self.count = self.count.saturating_add(1);
                let rest = self.data.get(self.end..).unwrap_or(&[]);
                let next = self.end.saturating_add(T::padding(rest));
                if next < self.data.len() && T::is_member(self.data.get(next..).unwrap_or(&[])) {
                    self.tracked.set_pos(next);
                    return Ok(true);
                }
            }
            Flow::Limit => self.end = self.tracked.pos(),
            Flow::Failed(e) => {
                if self.produced == self.member_start {
                    if self.count == 0 {
                        return Err(Rejected::new(e.to_string()));
                    }
                } else {
                    self.end = self.tracked.pos();
                    cx.error(
                        u64::try_from(self.end).unwrap_or(u64::MAX),
                        format!(
                            "stream damaged after {} bytes of output: {e}",
                            self.produced
                        ),
                    );
                }
            }
        }
        Ok(false)
    }
}

impl<T: MemberStream> Stream for Members<'_, T> {
    fn pull(&mut self, out: &mut Vec<u8>, cx: &mut Context<'_>) -> Result<bool, Rejected> {
        if self.finished {
            return Ok(false);
        }
        let flow = match self.reader.as_mut() {
            Some(reader) => {
                let before = out.len();
                let position = self.tracked.clone();
                let consumed = move || u64::try_from(position.pos()).unwrap_or(u64::MAX);
                let flow = pump_chunk(&mut **reader, out, self.produced, &consumed, cx);
                let added = u64::try_from(out.len().saturating_sub(before)).unwrap_or(u64::MAX);
                self.produced = self.produced.saturating_add(added);
                match flow {
                    None => return Ok(true),
                    Some(flow) => flow,
                }
            }
            None => {
                self.member_start = self.produced;
                match T::open(self.data, self.tracked.clone()) {
                    Ok(reader) => {
                        self.reader = Some(reader);
                        return Ok(true);
                    }
                    Err(e) => Flow::Failed(e),
                }
            }
        };
        let another = self.member_ended(flow, cx);
        self.finished = !matches!(another, Ok(true));
        another.map(|_| !self.finished)
    }

    fn produced(&self) -> u64 {
        self.produced
    }

    fn consumed(&self) -> u64 {
        u64::try_from(self.end.max(1)).unwrap_or(u64::MAX)
    }

    fn variant(&self) -> Option<&'static str> {
        T::variant(self.data)
    }
}

/// Decodes concatenated members into one output, which is the whole extraction of a
/// [`MemberStream`] (see [`Members`]).
fn decode_members<T: MemberStream>(
    data: &[u8],
    cx: &mut Context<'_>,
) -> Result<Extracted, Rejected> {
    let mut stream = Members::<T>::new(data);
    let mut out = Vec::new();
    while stream.pull(&mut out, cx)? {}
    out.shrink_to_fit();
    Ok(Extracted {
        consumed: stream.consumed(),
        output: Output::Blob(Blob::from(out)),
        variant: stream.variant(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{Budget, LayerPath, Limits};

    /// Blocks of 3, 0 and 2 bytes, then an error or the end.
    struct Three {
        sent: usize,
        fail: bool,
    }

    impl Blocks for Three {
        fn next_block(&mut self, block: &mut Vec<u8>) -> io::Result<bool> {
            self.sent = self.sent.saturating_add(1);
            *block = match self.sent {
                1 => b"abc".to_vec(),
                2 => Vec::new(),
                3 => b"de".to_vec(),
                _ if self.fail => return Err(io::Error::other("bad block")),
                _ => return Ok(false),
            };
            Ok(true)
        }
    }

    #[test]
    fn block_reader_reads_blocks_as_one_stream() {
        let mut out = Vec::new();
        let mut reader = BlockReader::new(Three {
            sent: 0,
            fail: false,
        });
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcde");
        let mut failing = BlockReader::new(Three {
            sent: 0,
            fail: true,
        });
        let mut buf = [0u8; 2];
        assert_eq!(failing.read(&mut buf).unwrap(), 2);
        assert_eq!(failing.read(&mut buf).unwrap(), 1);
        assert_eq!(failing.read(&mut buf).unwrap(), 2);
        assert!(failing.read(&mut buf).is_err());
        assert_eq!(failing.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn tracked_reader_reports_its_position() {
        let data = b"abcdef";
        let mut reader = Tracked::new(data);
        let observer = reader.clone();
        let mut buf = [0u8; 4];
        assert_eq!(reader.read(&mut buf).unwrap(), 4);
        assert_eq!(observer.pos(), 4);
        reader.consume(10);
        assert_eq!(observer.pos(), 6);
        assert_eq!(reader.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn pump_stops_at_the_file_limit_but_not_at_an_exact_end() {
        let limits = Limits {
            max_file_bytes: 1000,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let mut cx = Context::new(&budget, LayerPath::root("t"));
        let exact = vec![7u8; 1000];
        let mut out = Vec::new();
        let flow = pump(&mut exact.as_slice(), &mut out, &|| 1000, &mut cx);
        assert!(matches!(flow, Flow::End));
        assert_eq!(out.len(), 1000);
        assert!(cx.truncations.is_empty());

        let longer = vec![7u8; 1001];
        let mut out = Vec::new();
        let flow = pump(&mut longer.as_slice(), &mut out, &|| 1001, &mut cx);
        assert!(matches!(flow, Flow::Limit));
        assert_eq!(out.len(), 1000);
        assert_eq!(cx.truncations[0].limit, LimitKind::FileBytes);
        assert_eq!(budget.produced(), 2000);
    }

    #[test]
    fn pump_checks_the_ratio_once_past_the_floor() {
        let limits = Limits {
            ratio_floor_bytes: 1 << 20,
            max_ratio: 10,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let mut cx = Context::new(&budget, LayerPath::root("t"));
        let mut zeros = io::repeat(0).take(64 << 20);
        let mut out = Vec::new();
        let flow = pump(&mut zeros, &mut out, &|| 1000, &mut cx);
        assert!(matches!(flow, Flow::Limit));
        assert!(out.len() <= (1 << 20) + CHUNK_BYTES);
        assert_eq!(cx.truncations[0].limit, LimitKind::Ratio);
    }

    #[test]
    fn pump_stops_when_the_total_budget_is_spent() {
        let limits = Limits {
            max_total_bytes: 300_000,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let mut cx = Context::new(&budget, LayerPath::root("t"));
        let mut zeros = io::repeat(0).take(1 << 20);
        let mut out = Vec::new();
        assert!(matches!(
            pump(&mut zeros, &mut out, &|| 1 << 20, &mut cx),
            Flow::Limit
        ));
        assert_eq!(out.len(), 300_000);
        assert_eq!(cx.truncations[0].limit, LimitKind::TotalBytes);
    }
}
