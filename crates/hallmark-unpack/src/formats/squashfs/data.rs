//! File contents: block lists, fragments and sparse blocks, decoded on a few threads.
//!
//! Every file's output size is reserved from the budget before anything is decoded (in tree
//! order, so truncation is deterministic); decoding then only fills buffers of known size.
//! Files are cut into pieces of about a mebibyte, consecutive pieces are grouped into batches,
//! and worker threads take batches in turn. A piece writes only into its own slice of its
//! file's buffer, so the output does not depend on which thread decoded what. Each worker
//! keeps the last few fragment blocks it decoded, which consecutive small files share.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::blob::Blob;
use crate::limits::Budget;

use super::compress::Decoder;
use super::meta::Fragment;

/// Bit of a block size word: the block is stored uncompressed.
const UNCOMPRESSED: u32 = 1 << 24;
const SIZE_MASK: u32 = UNCOMPRESSED - 1;

/// Output a piece aims at.
const PIECE_BYTES: usize = 1 << 20;

/// Output a batch of small pieces aims at.
const BATCH_BYTES: usize = 2 << 20;

/// Most threads used (bounded by the machine's parallelism).
const MAX_THREADS: usize = 4;

/// Below this much compressed input, decoding stays on the calling thread.
const PARALLEL_MIN_INPUT: u64 = 1 << 20;

/// Why a piece was not decoded when the time limit stopped decoding.
pub(super) const TIME_LIMIT: &str = "time limit reached";

/// Compressed blocks tried, in order, to decide an undecided compression.
const DETECTION_TRIES: usize = 16;

/// Fragment blocks each worker keeps.
const FRAGMENT_CACHE: usize = 4;

/// A file's tail in a fragment block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Tail {
    pub block: Fragment,
    pub offset: u32,
}

/// A file's data as planned from its inode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Job {
    /// Position of the first data block.
    pub start: u64,
    /// Size the inode declares.
    pub size: u64,
    /// Bytes to produce (the size, cut at the limits).
    pub granted: usize,
    /// Block size words of the blocks within `granted`.
    pub words: Vec<u32>,
    /// The fragment holding the tail, when `granted` reaches into it.
    pub tail: Option<Tail>,
}

impl Job {
    /// A job producing nothing.
    pub(super) fn empty() -> Job {
        Job {
            start: 0,
            size: 0,
            granted: 0,
            words: Vec::new(),
            tail: None,
        }
    }
}

/// What came of a job.
#[derive(Debug)]
pub(super) struct Done {
    pub content: Blob,
    /// Where and why decoding stopped early.
    pub error: Option<(u64, String)>,
}

/// One block of a job: its position and size word, and where its bytes go in the file.
#[derive(Debug, Clone)]
struct BlockAt {
    pos: u64,
    word: u32,
    /// Uncompressed size of the whole block.
    len: usize,
    /// Part of the file it fills (shorter than `len` when the file was cut).
    out: Range<usize>,
}

/// A piece of a job: consecutive blocks, and the tail when it is the last piece.
#[derive(Debug)]
struct Piece {
    job: usize,
    blocks: Vec<BlockAt>,
    tail: Option<(Tail, Range<usize>)>,
    /// Bytes of the tail's fragment block that the files using it read.
    need: usize,
    /// Part of the file the piece fills.
    out: Range<usize>,
}

type PieceResult = Result<(), (usize, u64, String)>;

fn block_len(job: &Job, index: usize, block_size: usize) -> usize {
    let start = u64::try_from(index.saturating_mul(block_size)).unwrap_or(u64::MAX);
    let left = usize::try_from(job.size.saturating_sub(start)).unwrap_or(usize::MAX);
    left.min(block_size)
}

/// The blocks of a job and the range its tail fills.
fn layout(job: &Job, block_size: usize) -> (Vec<BlockAt>, Option<Range<usize>>) {
    let mut blocks = Vec::with_capacity(job.words.len());
    let mut pos = job.start;
    for (i, &word) in job.words.iter().enumerate() {
        let start = i.saturating_mul(block_size);
        if start >= job.granted {
            break;
        }
        let len = block_len(job, i, block_size);
        blocks.push(BlockAt {
            pos,
            word,
            len,
            out: start..start.saturating_add(len).min(job.granted),
        });
        pos = pos.saturating_add(u64::from(word & SIZE_MASK));
    }
    let tail_start = job.words.len().saturating_mul(block_size);
    let tail = (job.tail.is_some() && tail_start < job.granted).then_some(tail_start..job.granted);
    (blocks, tail)
}

/// The image bytes a job's data is, when it is stored uncompressed in one run.
fn zero_copy(job: &Job, blocks: &[BlockAt], tail: Option<&Range<usize>>) -> Option<Range<usize>> {
    let start = usize::try_from(match (blocks.first(), job.tail, tail) {
        (Some(first), None, None) => {
            let plain = blocks
                .iter()
                .all(|b| b.word & UNCOMPRESSED != 0 && b.word & SIZE_MASK != 0);
            let full = blocks
                .iter()
                .all(|b| usize::try_from(b.word & SIZE_MASK).ok() == Some(b.len));
            (plain && full).then_some(first.pos)?
        }
        (None, Some(t), Some(_)) if t.block.word & UNCOMPRESSED != 0 => {
            // Only when the tail lies inside its fragment block.
            let end = u64::from(t.offset).checked_add(u64::try_from(job.granted).ok()?)?;
            if end > u64::from(t.block.word & SIZE_MASK) {
                return None;
            }
            t.block.start.checked_add(u64::from(t.offset))?
        }
        _ => return None,
    })
    .ok()?;
    Some(start..start.checked_add(job.granted)?)
}

fn slice(image: &[u8], pos: u64, len: u32) -> Result<&[u8], String> {
    usize::try_from(pos)
        .ok()
        .zip(usize::try_from(len).ok())
        .and_then(|(p, n)| image.get(p..p.checked_add(n)?))
        .ok_or_else(|| format!("data at {pos:#x} (+{len}) is past the end of the image"))
}

/// Decoded fragment blocks of one worker, most recent last.
struct FragmentCache {
    entries: VecDeque<(Fragment, Result<Vec<u8>, String>)>,
}

impl FragmentCache {
    /// The fragment block's bytes; `need` is how much of it the files using it read.
    fn get<'c>(
        &'c mut self,
        fragment: Fragment,
        need: usize,
        image: &'c [u8],
        block_size: usize,
        decoder: &Decoder,
    ) -> Result<&'c [u8], String> {
        let size = fragment.word & SIZE_MASK;
        let raw = slice(image, fragment.start, size)?;
        if fragment.word & UNCOMPRESSED != 0 {
            return Ok(raw);
        }
        if !self.entries.iter().any(|(f, _)| *f == fragment) {
            let decoded = decode_fragment(raw, need, block_size, decoder)
                .map_err(|e| format!("fragment block at {:#x}: {e}", fragment.start));
            if self.entries.len() >= FRAGMENT_CACHE {
                self.entries.pop_front();
            }
            self.entries.push_back((fragment, decoded));
        }
        match self.entries.iter().find(|(f, _)| *f == fragment) {
            Some((_, Ok(bytes))) => Ok(bytes),
            Some((_, Err(e))) => Err(e.clone()),
            None => Err("fragment cache lost an entry".into()),
        }
    }
}

/// Decodes a fragment block. Streams that may end with neither a marker nor a size (vendor
/// LZMA) are decoded to exactly the bytes the files read, which is all a block without an
/// end can be trusted for.
fn decode_fragment(
    raw: &[u8],
    need: usize,
    block_size: usize,
    decoder: &Decoder,
) -> Result<Vec<u8>, String> {
    if decoder.may_be_open_ended() && need <= block_size {
        let mut out = vec![0u8; need];
        decoder.decode_into(raw, &mut out, true)?;
        return Ok(out);
    }
    decoder.decode(raw, block_size)
}

/// Decodes one piece into `out` (the piece's part of its file).
fn decode_piece(
    piece: &Piece,
    out: &mut [u8],
    image: &[u8],
    block_size: usize,
    decoder: &Decoder,
    cache: &mut FragmentCache,
) -> PieceResult {
    let base = piece.out.start;
    let local = |r: &Range<usize>| r.start.saturating_sub(base)..r.end.saturating_sub(base);
    for block in &piece.blocks {
        let range = local(&block.out);
        let fail = |e: String| (range.start, block.pos, e);
        let dst = out
            .get_mut(range.clone())
            .ok_or_else(|| fail("piece layout".into()))?;
        if block.word == 0 {
            continue; // sparse: the buffer is already zeros
        }
        let raw = slice(image, block.pos, block.word & SIZE_MASK).map_err(fail)?;
        if block.word & UNCOMPRESSED != 0 {
            let src = raw.get(..dst.len()).ok_or_else(|| {
                fail(format!(
                    "uncompressed block of {} bytes, expected {}",
                    raw.len(),
                    block.len
                ))
            })?;
            dst.copy_from_slice(src);
        } else if dst.len() == block.len {
            decoder.decode_into(raw, dst, true).map_err(fail)?;
        } else {
            // The file was cut inside this block: decode it whole, keep the part wanted.
            let mut whole = vec![0u8; block.len];
            decoder.decode_into(raw, &mut whole, true).map_err(fail)?;
            let src = whole.get(..dst.len()).ok_or_else(|| fail("cut".into()))?;
            dst.copy_from_slice(src);
        }
    }
    if let Some((tail, range)) = &piece.tail {
        let range = local(range);
        let range_start = range.start;
        let fail = |e: String| (range_start, tail.block.start, e);
        let bytes = cache
            .get(tail.block, piece.need, image, block_size, decoder)
            .map_err(fail)?;
        let want = range.len();
        let from = usize::try_from(tail.offset).unwrap_or(usize::MAX);
        let src = from
            .checked_add(want)
            .and_then(|end| bytes.get(from..end))
            .ok_or_else(|| {
                fail(format!(
                    "tail of {want} bytes at offset {from} of a {}-byte fragment",
                    bytes.len()
                ))
            })?;
        out.get_mut(range)
            .ok_or_else(|| fail("piece layout".into()))?
            .copy_from_slice(src);
    }
    Ok(())
}

/// Cuts the jobs into pieces; returns them with, per job, the zero-copy range if any.
fn plan(jobs: &[Job], block_size: usize) -> (Vec<Piece>, Vec<Option<Range<usize>>>, u64) {
    let per_piece = PIECE_BYTES.checked_div(block_size).unwrap_or(1).max(1);
    let mut needs: HashMap<Fragment, usize> = HashMap::new();
    for job in jobs {
        let (_, tail_range) = layout(job, block_size);
        if let (Some(tail), Some(range)) = (job.tail, tail_range) {
            let end = usize::try_from(tail.offset)
                .unwrap_or(usize::MAX)
                .saturating_add(range.len());
            let need = needs.entry(tail.block).or_insert(0);
            *need = (*need).max(end);
        }
    }
    let need_of = |tail: &Option<(Tail, Range<usize>)>| {
        tail.as_ref()
            .and_then(|(t, _)| needs.get(&t.block))
            .copied()
            .unwrap_or(0)
    };
    let mut pieces = Vec::new();
    let mut direct = Vec::with_capacity(jobs.len());
    let mut input = 0u64;
    for (index, job) in jobs.iter().enumerate() {
        let (blocks, tail_range) = layout(job, block_size);
        let copy = zero_copy(job, &blocks, tail_range.as_ref());
        direct.push(copy.clone());
        if copy.is_some() || job.granted == 0 {
            continue;
        }
        for block in &blocks {
            input = input.saturating_add(u64::from(block.word & SIZE_MASK));
        }
        let tail = job.tail.zip(tail_range);
        let mut chunks = blocks.chunks(per_piece).peekable();
        if chunks.peek().is_none() {
            if let Some((t, range)) = tail {
                let tail = Some((t, range.clone()));
                pieces.push(Piece {
                    job: index,
                    blocks: Vec::new(),
                    out: range,
                    need: need_of(&tail),
                    tail,
                });
            }
            continue;
        }
        while let Some(chunk) = chunks.next() {
            let last = chunks.peek().is_none();
            let start = chunk.first().map_or(0, |b| b.out.start);
            let mut end = chunk.last().map_or(0, |b| b.out.end);
            let piece_tail = if last { tail.clone() } else { None };
            if let Some((_, range)) = &piece_tail {
                end = range.end;
            }
            pieces.push(Piece {
                job: index,
                blocks: chunk.to_vec(),
                need: need_of(&piece_tail),
                tail: piece_tail,
                out: start..end,
            });
        }
    }
    (pieces, direct, input)
}

/// Threads to use for `input` bytes of compressed data.
fn threads_for(input: u64) -> usize {
    if input < PARALLEL_MIN_INPUT {
        return 1;
    }
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_THREADS)
}

/// Decides an undecided compression on the first compressed blocks of `jobs` (see
/// [`run`], which does the same).
pub(super) fn detect(jobs: &[Job], image: &[u8], block_size: usize, decoder: &Decoder) {
    if decoder.chosen().is_none() {
        let (pieces, _, _) = plan(jobs, block_size);
        choose(&pieces, image, block_size, decoder);
    }
}

fn choose(pieces: &[Piece], bytes: &[u8], block_size: usize, decoder: &Decoder) {
    // Decide the compression on the first compressed blocks before sharing the decoder, so
    // that threads never race to decide it.
    let compressed = pieces
        .iter()
        .flat_map(|p| &p.blocks)
        .filter(|b| b.word != 0 && b.word & UNCOMPRESSED == 0)
        .take(DETECTION_TRIES);
    for block in compressed {
        if decoder.chosen().is_some() {
            break;
        }
        if let Ok(raw) = slice(bytes, block.pos, block.word & SIZE_MASK) {
            let _ = decoder.decode_into(raw, &mut vec![0u8; block.len], true);
        }
    }
    if decoder.chosen().is_none() {
        let first = pieces
            .iter()
            .filter_map(|p| p.tail.as_ref())
            .map(|(t, _)| t.block)
            .find(|f| f.word & UNCOMPRESSED == 0);
        if let Some(fragment) = first {
            if let Ok(raw) = slice(bytes, fragment.start, fragment.word & SIZE_MASK) {
                let _ = decoder.decode(raw, block_size);
            }
        }
    }
}

/// Decodes every job. Returns one [`Done`] per job, and whether the time limit cut decoding.
pub(super) fn run(
    jobs: &[Job],
    image: &Blob,
    block_size: usize,
    decoder: &Decoder,
    budget: &Budget,
) -> (Vec<Done>, bool) {
    let (pieces, direct, input) = plan(jobs, block_size);
    let mut buffers: Vec<Vec<u8>> = jobs
        .iter()
        .zip(&direct)
        .map(|(job, copy)| {
            if copy.is_some() {
                Vec::new()
            } else {
                vec![0u8; job.granted]
            }
        })
        .collect();
    let bytes: &[u8] = image;
    choose(&pieces, bytes, block_size, decoder);

    // Each piece's slice of its job's buffer.
    let mut slices: Vec<&mut [u8]> = Vec::with_capacity(pieces.len());
    {
        let mut rests: Vec<&mut [u8]> = buffers.iter_mut().map(|b| b.as_mut_slice()).collect();
        for piece in &pieces {
            let rest = rests
                .get_mut(piece.job)
                .map(std::mem::take)
                .unwrap_or_default();
            let (head, tail) = rest
                .split_at_mut_checked(piece.out.len())
                .unwrap_or((&mut [], &mut []));
            slices.push(head);
            if let Some(slot) = rests.get_mut(piece.job) {
                *slot = tail;
            }
        }
    }

    // Batches of consecutive pieces.
    let mut queue: VecDeque<Vec<(usize, &mut [u8])>> = VecDeque::new();
    let mut batch: Vec<(usize, &mut [u8])> = Vec::new();
    let mut batch_bytes = 0usize;
    for (index, out) in slices.into_iter().enumerate() {
        batch_bytes = batch_bytes.saturating_add(out.len());
        batch.push((index, out));
        if batch_bytes >= BATCH_BYTES {
            queue.push_back(std::mem::take(&mut batch));
            batch_bytes = 0;
        }
    }
    if !batch.is_empty() {
        queue.push_back(batch);
    }

    let threads = threads_for(input).min(queue.len()).max(1);
    let queue = Mutex::new(queue);
    let stop = AtomicBool::new(false);
    let work = || {
        let mut cache = FragmentCache {
            entries: VecDeque::new(),
        };
        let mut results: Vec<(usize, PieceResult)> = Vec::new();
        loop {
            let next = queue.lock().ok().and_then(|mut q| q.pop_front());
            let Some(batch) = next else { break };
            for (index, out) in batch {
                if stop.load(Ordering::Relaxed) || budget.time_up() {
                    stop.store(true, Ordering::Relaxed);
                    results.push((index, Err((0, 0, TIME_LIMIT.into()))));
                    continue;
                }
                let result = match pieces.get(index) {
                    Some(piece) => decode_piece(piece, out, bytes, block_size, decoder, &mut cache),
                    None => Err((0, 0, "piece lost".into())),
                };
                results.push((index, result));
            }
        }
        results
    };
    let mut results: Vec<Option<PieceResult>> = (0..pieces.len()).map(|_| None).collect();
    let collected: Vec<Vec<(usize, PieceResult)>> = if threads <= 1 {
        vec![work()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    for (index, result) in collected.into_iter().flatten() {
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(result);
        }
    }
    let timed_out = stop.load(Ordering::Relaxed);

    // First failure of each job.
    let mut failures: Vec<Option<(usize, u64, String)>> = (0..jobs.len()).map(|_| None).collect();
    for (piece, result) in pieces.iter().zip(results) {
        let Some(slot) = failures.get_mut(piece.job) else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        match result {
            Some(Ok(())) => {}
            Some(Err((valid, at, why))) => {
                *slot = Some((piece.out.start.saturating_add(valid), at, why));
            }
            None => *slot = Some((piece.out.start, 0, "not decoded".into())),
        }
    }

    let done = buffers
        .into_iter()
        .zip(direct)
        .zip(failures)
        .zip(jobs)
        .map(|(((mut buffer, copy), failure), job)| {
            if let Some(range) = copy {
                let at = u64::try_from(range.start).unwrap_or(u64::MAX);
                return match image.slice(range) {
                    Some(content) => Done {
                        content,
                        error: None,
                    },
                    None => Done {
                        content: Blob::empty(),
                        error: Some((at, "data is past the end of the image".into())),
                    },
                };
            }
            let error = failure.map(|(valid, at, why)| {
                buffer.truncate(valid.min(job.granted));
                (at, why)
            });
            Done {
                content: Blob::from(buffer),
                error,
            }
        })
        .collect();
    (done, timed_out)
}
