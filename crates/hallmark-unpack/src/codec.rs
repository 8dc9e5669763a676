//! Bounded decompression of self-contained blocks, for the filesystem readers.
//!
//! Filesystems (squashfs, jffs2, cramfs, UBIFS, ...) compress their data in blocks whose
//! uncompressed size the format bounds (a squashfs block is at most 1 MiB, a jffs2 node at most
//! a page). Each reader calls [`decompress`] with that bound: a block that would grow past it
//! is an error, never an allocation driven by the input. Budget accounting for what the blocks
//! add up to is the reader's job, through [`Context::reserve`](crate::format::Context::reserve).

use std::fmt;
use std::io::Read;

use crate::bytes::{le32, le64};

/// A block compression scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // Some codecs wait for the filesystem readers that use them.
pub(crate) enum Codec {
    /// zlib (RFC 1950): deflate with a 2-byte header and an Adler-32 trailer.
    Zlib,
    /// Raw deflate (RFC 1951), no header.
    #[allow(dead_code)] // For the filesystem readers still to come (jffs2, ubifs, cramfs).
    Deflate,
    /// gzip (RFC 1952) member.
    #[allow(dead_code)] // For the filesystem readers still to come.
    Gzip,
    /// xz container.
    Xz,
    /// LZMA with a 13-byte "alone" header (props, dictionary size, uncompressed size).
    LzmaAlone,
    /// Raw LZMA with parameters given by the format instead of a header.
    LzmaRaw {
        /// `lc`/`lp`/`pb` packed as `(pb * 5 + lp) * 9 + lc`.
        props: u8,
        /// Dictionary size.
        dict_size: u32,
        /// Uncompressed size when the format records it; `None` for a stream that ends
        /// with an end marker, or without one where its input ends (vendor squashfs LZMA
        /// blocks are stored that way; the decoder may then turn a few bytes of the final
        /// range coder flush into output, so give the size whenever it is known).
        size: Option<u64>,
    },
    /// LZO1X.
    Lzo,
    /// zstd frame.
    Zstd,
    /// LZ4 block (no frame).
    Lz4Block,
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::Zlib => "zlib",
            Codec::Deflate => "deflate",
            Codec::Gzip => "gzip",
            Codec::Xz => "xz",
            Codec::LzmaAlone => "lzma",
            Codec::LzmaRaw { .. } => "raw lzma",
            Codec::Lzo => "lzo",
            Codec::Zstd => "zstd",
            Codec::Lz4Block => "lz4",
        })
    }
}

/// Why a block did not decompress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BlockError {
    /// The block decodes to more than the format allows.
    TooLarge {
        /// The bound the caller gave.
        max: usize,
    },
    /// Corrupt or truncated data, or parameters the decoder refuses.
    Corrupt(String),
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockError::TooLarge { max } => {
                write!(f, "block decompresses to more than {max} bytes")
            }
            BlockError::Corrupt(why) => f.write_str(why),
        }
    }
}

/// Largest LZMA dictionary accepted for a block: blocks are small, and the decoder allocates
/// the dictionary up front, so a header claiming 4 GiB must not be honoured.
const LZMA_DICT_MAX: u32 = 64 << 20;

/// Decompresses `input` as one block of `codec` into at most `max_out` bytes.
pub(crate) fn decompress(
    codec: Codec,
    input: &[u8],
    max_out: usize,
) -> Result<Vec<u8>, BlockError> {
    match codec {
        Codec::Zlib => read_bounded(flate2::read::ZlibDecoder::new(input), max_out),
        Codec::Deflate => read_bounded(flate2::read::DeflateDecoder::new(input), max_out),
        Codec::Gzip => read_bounded(flate2::read::GzDecoder::new(input), max_out),
        Codec::Xz => read_bounded(
            lzma_rust2::XzReader::new_mem_limit(input, false, xz_mem_limit_kib(max_out)),
            max_out,
        ),
        Codec::LzmaAlone => {
            let dict =
                le32(input, 1).ok_or_else(|| BlockError::Corrupt("short lzma header".into()))?;
            if dict > LZMA_DICT_MAX {
                return Err(BlockError::Corrupt(format!(
                    "lzma dictionary of {dict} bytes"
                )));
            }
            let reader = lzma_rust2::LzmaReader::new_mem_limit(input, u32::MAX, None)
                .map_err(|e| BlockError::Corrupt(format!("lzma header: {e}")))?;
            read_bounded(reader, max_out)
        }
        Codec::LzmaRaw {
            props,
            dict_size,
            size,
        } => {
            if props >= 9 * 5 * 5 {
                return Err(BlockError::Corrupt(format!(
                    "lzma properties byte {props:#x}"
                )));
            }
            if size.is_none() {
                // Without a size the stream may end where its input does: decode through the
                // slice path, which accepts that.
                let mut out = vec![0u8; max_out];
                let n = decompress_into(codec, input, &mut out)?;
                out.truncate(n);
                return Ok(out);
            }
            // Small dictionaries are legal; the decoder needs at least 4 KiB.
            let dict = dict_size.clamp(4096, LZMA_DICT_MAX);
            let reader = lzma_rust2::LzmaReader::new_with_props(
                input,
                size.unwrap_or(u64::MAX),
                props,
                dict,
                None,
            )
            .map_err(|e| BlockError::Corrupt(format!("lzma: {e}")))?;
            read_bounded(reader, max_out)
        }
        Codec::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| BlockError::Corrupt(format!("zstd: {e}")))?;
            read_bounded(decoder.single_frame(), max_out)
        }
        Codec::Lzo => {
            let mut out = vec![0u8; max_out];
            match lzokay::decompress::decompress(input, &mut out) {
                Ok(n) => {
                    out.truncate(n);
                    Ok(out)
                }
                Err(lzokay::Error::OutputOverrun) => Err(BlockError::TooLarge { max: max_out }),
                Err(e) => Err(BlockError::Corrupt(format!("lzo: {e:?}"))),
            }
        }
        Codec::Lz4Block => {
            let mut out = vec![0u8; max_out];
            match lz4_flex::block::decompress_into(input, &mut out) {
                Ok(n) => {
                    out.truncate(n);
                    Ok(out)
                }
                Err(lz4_flex::block::DecompressError::OutputTooSmall { .. }) => {
                    Err(BlockError::TooLarge { max: max_out })
                }
                Err(e) => Err(BlockError::Corrupt(format!("lz4: {e}"))),
            }
        }
    }
}

/// Memory (KiB) an xz block may ask for: a dictionary larger than the block's bound can never
/// be used, so a header asking more is refused instead of allocated.
fn xz_mem_limit_kib(max_out: usize) -> u32 {
    let dict_kib = u32::try_from(max_out / 1024).unwrap_or(u32::MAX);
    dict_kib
        .clamp(1024, LZMA_DICT_MAX / 1024)
        .saturating_add(1024)
}

/// Decompresses `input` as one block of `codec` into `out`, returning how many bytes it
/// wrote. A block that would produce more than `out.len()` bytes is [`BlockError::TooLarge`].
///
/// This is the fast path for readers that know where a block's output goes (a file's buffer,
/// a fixed-size metadata block): no intermediate buffer, no growth. A [`Codec::LzmaRaw`]
/// without a size ends at its end marker or where its input ends.
pub(crate) fn decompress_into(
    codec: Codec,
    input: &[u8],
    out: &mut [u8],
) -> Result<usize, BlockError> {
    let max = out.len();
    match codec {
        Codec::Zlib => inflate_into(input, out, true),
        Codec::Deflate => inflate_into(input, out, false),
        Codec::Gzip => read_into(flate2::read::GzDecoder::new(input), out),
        Codec::Xz => {
            if let Some(result) = xz_single_block_into(input, out) {
                return result;
            }
            let mut stream = lzma_rust2::XzStream::new_mem_limit(false, xz_mem_limit_kib(max));
            let (n, stop) = drive(input, out, |input, out| {
                stream
                    .process(input, out, lzma_rust2::Action::Finish)
                    .map(|r| (r.bytes_consumed, r.bytes_produced, r.status == StreamEnd))
            })?;
            stop.written("xz", n)
        }
        Codec::LzmaAlone => {
            let header = input
                .get(..13)
                .ok_or_else(|| BlockError::Corrupt("short lzma header".into()))?;
            let props = header.first().copied().unwrap_or(0);
            let dict = le32(header, 1).unwrap_or(0);
            let size = le64(header, 5).unwrap_or(0);
            let size = (size != u64::MAX).then_some(size);
            let rest = input.get(13..).unwrap_or(&[]);
            // An unknown size in the header means an end marker, not "whatever is there".
            lzma_into(rest, props, dict, size, out, size.is_some())
        }
        Codec::LzmaRaw {
            props,
            dict_size,
            size,
        } => lzma_into(input, props, dict_size, size, out, true),
        Codec::Zstd => zstd::bulk::decompress_to_buffer(input, out).map_err(|e| {
            if e.to_string().contains("Destination buffer is too small") {
                BlockError::TooLarge { max }
            } else {
                BlockError::Corrupt(format!("zstd: {e}"))
            }
        }),
        Codec::Lzo => match lzokay::decompress::decompress(input, out) {
            Ok(n) => Ok(n),
            Err(lzokay::Error::OutputOverrun) => Err(BlockError::TooLarge { max }),
            Err(e) => Err(BlockError::Corrupt(format!("lzo: {e:?}"))),
        },
        Codec::Lz4Block => match lz4_flex::block::decompress_into(input, out) {
            Ok(n) => Ok(n),
            Err(lz4_flex::block::DecompressError::OutputTooSmall { .. }) => {
                Err(BlockError::TooLarge { max })
            }
            Err(e) => Err(BlockError::Corrupt(format!("lz4: {e}"))),
        },
    }
}

use lzma_rust2::Status::StreamEnd;

/// Raw LZMA into `out`. With `size` the stream ends there; without, at its end marker or,
/// when `may_end_with_input`, where the input runs out.
fn lzma_into(
    input: &[u8],
    props: u8,
    dict_size: u32,
    size: Option<u64>,
    out: &mut [u8],
    may_end_with_input: bool,
) -> Result<usize, BlockError> {
    let max = out.len();
    if props >= 9 * 5 * 5 {
        return Err(BlockError::Corrupt(format!(
            "lzma properties byte {props:#x}"
        )));
    }
    let max_u64 = u64::try_from(max).unwrap_or(u64::MAX);
    if size.is_some_and(|s| s > max_u64) {
        return Err(BlockError::TooLarge { max });
    }
    // A block never looks back further than its own output.
    let bound = u32::try_from(max).unwrap_or(u32::MAX).max(4096);
    let dict = dict_size.clamp(4096, bound);
    let mut stream =
        lzma_rust2::LzmaStream::new_with_props(size.unwrap_or(u64::MAX), props, dict, None)
            .map_err(|e| BlockError::Corrupt(format!("lzma: {e}")))?;
    if size.is_none() && may_end_with_input {
        return lzma_open_ended(stream, input, out);
    }
    let (n, stop) = drive(input, out, |input, out| {
        stream
            .process(input, out, lzma_rust2::Action::Finish)
            .map(|r| (r.bytes_consumed, r.bytes_produced, r.status == StreamEnd))
    })?;
    stop.written("lzma", n)
}

/// Zero bytes put after a stream that may end without a marker: enough for the decoder to
/// decode the last real symbols without holding them back for more input.
const LZMA_PADDING: usize = 64;

/// Output per call when decoding a stream that may end without a marker: a failed call's
/// output is lost, and past the real end the decoder reads garbage that may fail.
const LZMA_OPEN_CHUNK: usize = 512;

/// Raw LZMA that ends at its end marker or, lacking one, where its input ends. The decoder
/// cannot tell where such a stream really ends: it decodes on through the range coder's
/// final bytes (and the padding), so a few bytes past the real end may come out.
fn lzma_open_ended(
    mut stream: lzma_rust2::LzmaStream,
    input: &[u8],
    out: &mut [u8],
) -> Result<usize, BlockError> {
    let mut padded = Vec::with_capacity(input.len().saturating_add(LZMA_PADDING));
    padded.extend_from_slice(input);
    padded.resize(input.len().saturating_add(LZMA_PADDING), 0);
    let max = out.len();
    let mut consumed = 0usize;
    let mut written = 0usize;
    loop {
        let rest_in = padded.get(consumed..).unwrap_or(&[]);
        let end = written.saturating_add(LZMA_OPEN_CHUNK).min(max);
        let Some(target) = out.get_mut(written..end).filter(|t| !t.is_empty()) else {
            // Full: past the bound it can only be the flush turned into garbage.
            return Ok(written);
        };
        match stream.process(rest_in, target, lzma_rust2::Action::Run) {
            Ok(r) => {
                consumed = consumed.saturating_add(r.bytes_consumed);
                written = written.saturating_add(r.bytes_produced).min(max);
                if r.status == StreamEnd {
                    return Ok(written);
                }
                if r.bytes_consumed == 0 && r.bytes_produced == 0 {
                    break;
                }
            }
            Err(e) if written == 0 => return Err(BlockError::Corrupt(format!("lzma: {e}"))),
            Err(_) => break,
        }
    }
    if written == 0 {
        return Err(BlockError::Corrupt("lzma: truncated block".into()));
    }
    Ok(written)
}

/// An xz variable-length integer at `*pos`.
fn xz_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..9u32 {
        let byte = *bytes.get(*pos)?;
        *pos = pos.checked_add(1)?;
        value |= u64::from(byte & 0x7f).checked_shl(i.checked_mul(7)?)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The common xz stream of filesystem blocks (one block, LZMA2 alone, CRC32 or no check),
/// decoded straight through LZMA2 with the check computed by `crc32fast`: the generic xz
/// decoder's byte-at-a-time CRC costs about a sixth of the decoding time. `None`: another
/// kind of stream, for the generic decoder.
fn xz_single_block_into(input: &[u8], out: &mut [u8]) -> Option<Result<usize, BlockError>> {
    const MAGIC: [u8; 6] = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
    let crc_at = |at: usize| le32(input, at);
    if input.get(..6)? != MAGIC || input.get(6) != Some(&0) {
        return None;
    }
    let check = *input.get(7)?;
    if !matches!(check, 0 | 1) || crc32fast::hash(input.get(6..8)?) != crc_at(8)? {
        return None;
    }
    let header_len = usize::from(*input.get(12)?)
        .checked_add(1)?
        .checked_mul(4)?;
    let header_end = 12usize.checked_add(header_len)?;
    let header = input.get(12..header_end)?;
    let crc_pos = header_len.checked_sub(4)?;
    if header_len < 8
        || crc32fast::hash(header.get(..crc_pos)?) != crc_at(12usize.checked_add(crc_pos)?)?
    {
        return None;
    }
    let flags = *header.get(1)?;
    if flags & 0x3f != 0 {
        return None; // more than one filter, or reserved bits
    }
    let mut pos = 2usize;
    let compressed = if flags & 0x40 != 0 {
        Some(xz_varint(header, &mut pos)?)
    } else {
        None
    };
    if flags & 0x80 != 0 {
        xz_varint(header, &mut pos)?;
    }
    if xz_varint(header, &mut pos)? != 0x21 || xz_varint(header, &mut pos)? != 1 {
        return None; // not LZMA2 with its one property byte
    }
    let props = *header.get(pos)?;
    if props > 40 {
        return None;
    }
    let data = input.get(header_end..)?;
    // A block never looks back further than its own output.
    let dict = u32::try_from(out.len())
        .unwrap_or(u32::MAX)
        .clamp(4096, LZMA_DICT_MAX);
    let mut stream = lzma_rust2::Lzma2Stream::new(dict);
    let drove = drive_counting(data, out, |input, out| {
        stream
            .process(input, out, lzma_rust2::Action::Finish)
            .map(|r| (r.bytes_consumed, r.bytes_produced, r.status == StreamEnd))
    });
    let (n, used, stop) = match drove {
        Ok(drove) => drove,
        Err(e) => return Some(Err(e)),
    };
    let n = match stop.written("xz", n) {
        Ok(n) => n,
        Err(e) => return Some(Err(e)),
    };
    if compressed.is_some_and(|c| u64::try_from(used).ok() != Some(c)) {
        return Some(Err(BlockError::Corrupt("xz: block size mismatch".into())));
    }
    // Block padding to four bytes, then the check.
    let block_end = header_end.checked_add(used)?;
    let check_at = block_end.checked_add(3)? & !3;
    if input.get(block_end..check_at)?.iter().any(|&b| b != 0) {
        return Some(Err(BlockError::Corrupt("xz: bad block padding".into())));
    }
    let index_at = if check == 1 {
        let decoded = out.get(..n)?;
        if crc32fast::hash(decoded) != crc_at(check_at)? {
            return Some(Err(BlockError::Corrupt("xz: check mismatch".into())));
        }
        check_at.checked_add(4)?
    } else {
        check_at
    };
    // One block only: the index follows.
    if input.get(index_at) != Some(&0) {
        return None;
    }
    Some(Ok(n))
}

/// How a streaming decode stopped.
enum Stop<E> {
    /// The stream ended.
    Ended,
    /// The decoder stopped making progress (usually: the input ran out).
    Stalled,
    /// The decoder failed.
    Failed(E),
}

impl<E: fmt::Display> Stop<E> {
    /// The `n` bytes written when the stream ended; otherwise why it did not, for a decoder
    /// named `codec`.
    fn written(self, codec: &str, n: usize) -> Result<usize, BlockError> {
        match self {
            Stop::Ended => Ok(n),
            Stop::Stalled => Err(BlockError::Corrupt(format!("{codec}: truncated block"))),
            Stop::Failed(e) => Err(BlockError::Corrupt(format!("{codec}: {e}"))),
        }
    }
}

/// Runs a streaming decoder over `input` into `out`. `step` decodes from the input it is
/// given into the output it is given and reports (bytes consumed, bytes written, whether the
/// stream ended). Returns the bytes written and how decoding stopped; output past `out` is
/// [`BlockError::TooLarge`].
fn drive<E>(
    input: &[u8],
    out: &mut [u8],
    step: impl FnMut(&[u8], &mut [u8]) -> Result<(usize, usize, bool), E>,
) -> Result<(usize, Stop<E>), BlockError> {
    drive_counting(input, out, step).map(|(written, _, stop)| (written, stop))
}

/// [`drive`], also returning how much input was consumed.
fn drive_counting<E>(
    input: &[u8],
    out: &mut [u8],
    mut step: impl FnMut(&[u8], &mut [u8]) -> Result<(usize, usize, bool), E>,
) -> Result<(usize, usize, Stop<E>), BlockError> {
    let max = out.len();
    let mut consumed = 0usize;
    let mut written = 0usize;
    let mut probe = [0u8; 1];
    loop {
        let rest_in = input.get(consumed..).unwrap_or(&[]);
        let full = written >= max;
        let target: &mut [u8] = if full {
            // Output is full: one more byte would prove the block too large.
            &mut probe
        } else {
            out.get_mut(written..).unwrap_or_default()
        };
        let (used, produced, ended) = match step(rest_in, target) {
            Ok(progress) => progress,
            Err(e) => return Ok((written, consumed, Stop::Failed(e))),
        };
        if full && produced > 0 {
            return Err(BlockError::TooLarge { max });
        }
        consumed = consumed.saturating_add(used);
        written = written.saturating_add(produced).min(max);
        if ended {
            return Ok((written, consumed, Stop::Ended));
        }
        if used == 0 && produced == 0 {
            return Ok((written, consumed, Stop::Stalled));
        }
    }
}

/// zlib or raw deflate into `out`.
fn inflate_into(input: &[u8], out: &mut [u8], zlib_header: bool) -> Result<usize, BlockError> {
    let mut inflater = flate2::Decompress::new(zlib_header);
    let (n, stop) = drive(input, out, |input, out| {
        let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
        let status = inflater.decompress(input, out, flate2::FlushDecompress::Finish)?;
        let used = usize::try_from(inflater.total_in().saturating_sub(in_before)).unwrap_or(0);
        let produced =
            usize::try_from(inflater.total_out().saturating_sub(out_before)).unwrap_or(0);
        Ok::<_, flate2::DecompressError>((used, produced, status == flate2::Status::StreamEnd))
    })?;
    stop.written("deflate", n)
}

/// Reads `reader` to its end into `out`; more than `out.len()` bytes is too large.
fn read_into(mut reader: impl Read, out: &mut [u8]) -> Result<usize, BlockError> {
    let max = out.len();
    let mut written = 0usize;
    loop {
        let mut probe = [0u8; 1];
        let target: &mut [u8] = match out.get_mut(written..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => &mut probe,
        };
        let n = reader
            .read(target)
            .map_err(|e| BlockError::Corrupt(e.to_string()))?;
        if n == 0 {
            return Ok(written);
        }
        if written >= max {
            return Err(BlockError::TooLarge { max });
        }
        written = written.saturating_add(n);
    }
}

/// Reads `reader` to its end into a buffer that never grows past `max_out` bytes.
fn read_bounded(reader: impl Read, max_out: usize) -> Result<Vec<u8>, BlockError> {
    let limit = u64::try_from(max_out).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    let mut bounded = reader.take(limit);
    bounded
        .read_to_end(&mut out)
        .map_err(|e| BlockError::Corrupt(e.to_string()))?;
    if out.len() > max_out {
        return Err(BlockError::TooLarge { max: max_out });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    fn payload() -> Vec<u8> {
        b"block codec round trip; ".repeat(200)
    }

    #[test]
    fn every_stream_codec_round_trips_and_respects_the_bound() {
        let data = payload();
        let cases = [
            (Codec::Zlib, testkit::zlib(&data)),
            (Codec::Gzip, testkit::gzip(&data)),
            (Codec::Xz, testkit::xz(&data)),
            (Codec::LzmaAlone, testkit::lzma_alone(&data, true)),
            (Codec::Zstd, testkit::zstd(&data)),
            (Codec::Lzo, testkit::lzo(&data)),
            (Codec::Lz4Block, lz4_flex::block::compress(&data)),
        ];
        for (codec, packed) in cases {
            assert_eq!(
                decompress(codec, &packed, data.len()).as_ref(),
                Ok(&data),
                "{codec}"
            );
            assert_eq!(
                decompress(codec, &packed, data.len() - 1),
                Err(BlockError::TooLarge {
                    max: data.len() - 1
                }),
                "{codec}"
            );
            for cut in [0, 1, packed.len() / 2] {
                // Truncated input never panics; it is usually an error.
                let _ = decompress(codec, &packed[..cut], data.len());
            }
        }
    }

    #[test]
    fn raw_deflate_and_raw_lzma() {
        let data = payload();
        let zlib = testkit::zlib(&data);
        // A zlib stream is a 2-byte header, raw deflate and a 4-byte trailer.
        let raw = &zlib[2..zlib.len() - 4];
        assert_eq!(
            decompress(Codec::Deflate, raw, data.len()),
            Ok(data.clone())
        );

        for known in [true, false] {
            let alone = testkit::lzma_alone(&data, known);
            let props = alone[0];
            let dict_size = u32::from_le_bytes([alone[1], alone[2], alone[3], alone[4]]);
            let size = known.then_some(data.len() as u64);
            let codec = Codec::LzmaRaw {
                props,
                dict_size,
                size,
            };
            assert_eq!(
                decompress(codec, &alone[13..], data.len()),
                Ok(data.clone())
            );
        }
    }

    #[test]
    fn decompress_into_writes_the_slice_and_refuses_overflow() {
        let data = payload();
        let zlib = testkit::zlib(&data);
        let cases = [
            (Codec::Zlib, zlib.clone()),
            (Codec::Deflate, zlib[2..zlib.len() - 4].to_vec()),
            (Codec::Gzip, testkit::gzip(&data)),
            (Codec::Xz, testkit::xz(&data)),
            (Codec::LzmaAlone, testkit::lzma_alone(&data, true)),
            (Codec::LzmaAlone, testkit::lzma_alone(&data, false)),
            (Codec::Zstd, testkit::zstd(&data)),
            (Codec::Lzo, testkit::lzo(&data)),
            (Codec::Lz4Block, lz4_flex::block::compress(&data)),
        ];
        for (codec, packed) in cases {
            let mut out = vec![0u8; data.len() + 10];
            assert_eq!(
                decompress_into(codec, &packed, &mut out),
                Ok(data.len()),
                "{codec}"
            );
            assert_eq!(&out[..data.len()], &data[..], "{codec}");
            let mut exact = vec![0u8; data.len()];
            assert_eq!(
                decompress_into(codec, &packed, &mut exact),
                Ok(data.len()),
                "{codec}"
            );
            let mut short = vec![0u8; data.len() - 1];
            assert_eq!(
                decompress_into(codec, &packed, &mut short),
                Err(BlockError::TooLarge {
                    max: data.len() - 1
                }),
                "{codec}"
            );
            for cut in [0, 1, packed.len() / 2] {
                let mut out = vec![0u8; data.len()];
                let result = decompress_into(codec, &packed[..cut], &mut out);
                assert!(
                    result != Ok(data.len()) || out != data,
                    "{codec} cut at {cut}"
                );
            }
        }
    }

    /// xz with a CRC32 check, as `mksquashfs` writes it.
    fn xz_crc32(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut options = lzma_rust2::XzOptions::with_preset(1);
        options.set_check_sum_type(lzma_rust2::CheckType::Crc32);
        let mut enc = lzma_rust2::XzWriter::new(Vec::new(), options).unwrap();
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn single_block_xz_fast_path_checks_its_crc() {
        let data = testkit::noise(50_000, 3);
        let packed = xz_crc32(&data);
        let mut out = vec![0u8; data.len()];
        assert_eq!(
            xz_single_block_into(&packed, &mut out),
            Some(Ok(data.len()))
        );
        assert_eq!(out, data);
        assert_eq!(decompress(Codec::Xz, &packed, data.len()), Ok(data.clone()));
        // The stored check: the 4 bytes before the index, which the footer locates.
        let n = packed.len();
        let backward = u32::from_le_bytes(packed[n - 8..n - 4].try_into().unwrap()) as usize;
        let index_at = n - 12 - (backward + 1) * 4;
        assert_eq!(packed[index_at], 0);
        let mut bad = packed.clone();
        bad[index_at - 4] ^= 1;
        let mut out = vec![0u8; data.len()];
        assert_eq!(
            xz_single_block_into(&bad, &mut out),
            Some(Err(BlockError::Corrupt("xz: check mismatch".into())))
        );
        let mut short = vec![0u8; data.len() - 1];
        assert_eq!(
            decompress_into(Codec::Xz, &packed, &mut short),
            Err(BlockError::TooLarge {
                max: data.len() - 1
            })
        );
        // CRC64 streams take the generic decoder.
        let mut out = vec![0u8; data.len()];
        assert_eq!(xz_single_block_into(&testkit::xz(&data), &mut out), None);
        for cut in (0..packed.len()).step_by(97) {
            let _ = decompress_into(Codec::Xz, &packed[..cut], &mut out);
        }
    }

    #[test]
    fn raw_lzma_without_size_ends_at_its_marker_or_its_input() {
        let data = payload();
        for known in [true, false] {
            // With a known size the encoder writes no end marker.
            let alone = testkit::lzma_alone(&data, known);
            let codec = Codec::LzmaRaw {
                props: alone[0],
                dict_size: u32::from_le_bytes([alone[1], alone[2], alone[3], alone[4]]),
                size: None,
            };
            let out = decompress(codec, &alone[13..], data.len() + 1000).unwrap();
            if known {
                // No end marker: the decoder runs on to where the input ends, and may turn
                // the range coder's final bytes into output past the real end.
                assert!(out.starts_with(&data), "{} vs {}", out.len(), data.len());
            } else {
                assert_eq!(out, data);
            }
            let mut out = vec![0u8; data.len()];
            let n = decompress_into(codec, &alone[13..], &mut out);
            assert!(n == Ok(data.len()) || n == Err(BlockError::TooLarge { max: data.len() }));
            assert_eq!(out, data);
        }
    }

    #[test]
    fn hostile_parameters_are_refused_not_allocated() {
        let mut alone = testkit::lzma_alone(b"x", true);
        alone[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decompress(Codec::LzmaAlone, &alone, 16),
            Err(BlockError::Corrupt(_))
        ));
        assert!(
            decompress(
                Codec::LzmaRaw {
                    props: 255,
                    dict_size: 1 << 16,
                    size: None
                },
                b"abc",
                16
            )
            .is_err()
        );
        assert!(decompress(Codec::Zlib, b"\x78\x9c\xff\xff", 16).is_err());
    }
}
