//! LZ4 streams: the frame format (magic `04 22 4d 18`, `lz4` tool's default) and the legacy
//! format (magic `02 21 4c 18`, `lz4 -l`, used for Linux kernels and initramfs), with
//! concatenated frames and skippable frames (`0x184D2A5?`) between them.
//!
//! Frames are decoded by `lz4_flex`'s frame decoder through the bounded decode pump. Before
//! decoding, the frame's block headers are walked to find its exact end (block sizes, optional
//! block checksums, end mark, optional content checksum), so the decoder never reads past the
//! frame. The frame header checksum (xxHash32) is checked by the probe; block and content
//! checksums and the content size are checked by the decoder. Frames with a dictionary id are
//! refused by the decoder (reported as damage).
//!
//! Legacy frames have no end mark: a run of independent blocks of at most 8 MiB of output each,
//! every block but the last producing exactly 8 MiB. We decode them ourselves block by block
//! (`lz4_flex` block decoder) and end the frame after a short block, at the end of the data, or
//! at a block size that cannot be one (zero, a magic number, larger than the worst-case
//! compressed size of a block, or past the end). This is how the 4-byte uncompressed size that
//! the kernel build appends after the stream is left out of the extent.

use std::io::{self, Read};

use lz4_flex::frame::FrameDecoder;

use crate::bytes::le32;
use crate::decode::{BlockReader, Blocks, MemberStream, Tracked};
use crate::format::Magic;
use crate::formats::zstd::skippable_frames;

/// LZ4 frame and legacy streams.
pub(crate) struct Lz4Format;

const FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
const LEGACY_MAGIC: [u8; 4] = [0x02, 0x21, 0x4c, 0x18];

const MAGICS: &[Magic] = &[
    Magic::at_start(&FRAME_MAGIC),
    Magic::at_start(&LEGACY_MAGIC),
];

/// Output of a full legacy block.
const LEGACY_BLOCK: usize = 8 << 20;

/// Worst-case compressed size of a legacy block (`LZ4_compressBound(8 MiB)`).
const LEGACY_BOUND: usize = LEGACY_BLOCK + LEGACY_BLOCK / 255 + 16;

fn is_any_magic(word: u32) -> bool {
    let bytes = word.to_le_bytes();
    bytes == FRAME_MAGIC || bytes == LEGACY_MAGIC || word & 0xffff_fff0 == 0x184d_2a50
}

/// xxHash32 with seed 0 of a short input (under 16 bytes, as a frame descriptor is).
fn xxh32_short(input: &[u8]) -> u32 {
    const P1: u32 = 0x9e37_79b1;
    const P2: u32 = 0x85eb_ca77;
    const P3: u32 = 0xc2b2_ae3d;
    const P4: u32 = 0x27d4_eb2f;
    const P5: u32 = 0x1656_67b1;
    let len = u32::try_from(input.len()).unwrap_or(u32::MAX);
    let mut h = P5.wrapping_add(len);
    let mut words = input.chunks_exact(4);
    for word in words.by_ref() {
        let lane = le32(word, 0).unwrap_or(0);
        h = h
            .wrapping_add(lane.wrapping_mul(P3))
            .rotate_left(17)
            .wrapping_mul(P4);
    }
    for &byte in words.remainder() {
        h = h
            .wrapping_add(u32::from(byte).wrapping_mul(P5))
            .rotate_left(11)
            .wrapping_mul(P1);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(P2);
    h ^= h >> 13;
    h = h.wrapping_mul(P3);
    h ^ (h >> 16)
}

/// A frame header: its length and the frame's flags, when the descriptor is valid (version
/// 01, reserved bits clear, a defined block size, the right header checksum).
struct FrameHeader {
    len: usize,
    flags: u8,
    max_block: usize,
}

fn frame_header(data: &[u8]) -> Option<FrameHeader> {
    if !data.starts_with(&FRAME_MAGIC) {
        return None;
    }
    let flags = *data.get(4)?;
    let bd = *data.get(5)?;
    if flags >> 6 != 0b01 || flags & 0x02 != 0 || bd & 0x8f != 0 {
        return None;
    }
    let max_block = match (bd >> 4) & 7 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        _ => return None,
    };
    let mut len = 6usize;
    if flags & 0x08 != 0 {
        len = len.checked_add(8)?;
    }
    if flags & 0x01 != 0 {
        len = len.checked_add(4)?;
    }
    let descriptor = data.get(4..len)?;
    let checksum = *data.get(len)?;
    if (xxh32_short(descriptor) >> 8) as u8 != checksum {
        return None;
    }
    Some(FrameHeader {
        len: len.checked_add(1)?,
        flags,
        max_block,
    })
}

/// Length of the frame at the start of `data` found by walking its blocks, or `None` when the
/// walk does not reach a well-formed end (the decoder then reports where it breaks).
fn frame_len(data: &[u8]) -> Option<usize> {
    let header = frame_header(data)?;
    let block_checksum = header.flags & 0x10 != 0;
    let content_checksum = header.flags & 0x04 != 0;
    let mut pos = header.len;
    loop {
        let size = le32(data, pos)?;
        pos = pos.checked_add(4)?;
        if size == 0 {
            if content_checksum {
                pos = pos.checked_add(4)?;
            }
            return (pos <= data.len()).then_some(pos);
        }
        let len = usize::try_from(size & 0x7fff_ffff).ok()?;
        if len > header.max_block {
            return None;
        }
        pos = pos.checked_add(len)?;
        if block_checksum {
            pos = pos.checked_add(4)?;
        }
        if pos > data.len() {
            return None;
        }
    }
}

/// The size of the legacy block whose header is at `pos`, when it can be one.
fn legacy_block(data: &[u8], pos: usize) -> Option<usize> {
    let size = le32(data, pos)?;
    if size == 0 || is_any_magic(size) {
        return None;
    }
    let size = usize::try_from(size).ok()?;
    let end = pos.checked_add(4)?.checked_add(size)?;
    (size <= LEGACY_BOUND && end <= data.len()).then_some(size)
}

/// The blocks of one legacy frame, read at the tracked position.
struct LegacyBlocks<'a> {
    data: &'a [u8],
    input: Tracked<'a>,
    /// Blocks decoded so far.
    blocks: usize,
    /// The frame has ended: a short block, no further block, or a block that failed.
    done: bool,
}

impl Blocks for LegacyBlocks<'_> {
    fn next_block(&mut self, block: &mut Vec<u8>) -> io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        let pos = self.input.pos();
        let Some(size) = legacy_block(self.data, pos) else {
            self.done = true;
            if self.blocks == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "no legacy lz4 block",
                ));
            }
            return Ok(false);
        };
        let start = pos.saturating_add(4);
        let packed = self
            .data
            .get(start..start.saturating_add(size))
            .unwrap_or(&[]);
        // LZ4 expands at most about 255 times: small fake blocks get small buffers.
        let room = size
            .saturating_mul(256)
            .saturating_add(16)
            .min(LEGACY_BLOCK);
        block.clear();
        block.resize(room, 0);
        match lz4_flex::block::decompress_into(packed, block.as_mut_slice()) {
            Ok(n) => {
                block.truncate(n);
                self.blocks = self.blocks.saturating_add(1);
                self.input.set_pos(start.saturating_add(size));
                // Only the last block of a frame is short.
                if n < LEGACY_BLOCK {
                    self.done = true;
                }
                Ok(true)
            }
            Err(e) => {
                self.done = true;
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("legacy lz4 block at {pos:#x}: {e}"),
                ))
            }
        }
    }
}

impl MemberStream for Lz4Format {
    const ID: &'static str = "lz4";
    const DESCRIPTION: &'static str = "LZ4 compressed stream (frame format and legacy kernel format), concatenated frames decoded as one";
    const MAGICS: &'static [Magic] = MAGICS;

    fn is_member(data: &[u8]) -> bool {
        frame_header(data).is_some()
            || (data.starts_with(&LEGACY_MAGIC) && legacy_block(data, 4).is_some())
    }

    /// Skippable frames between frames.
    fn padding(rest: &[u8]) -> usize {
        skippable_frames(rest)
    }

    /// A decoder for the frame (or legacy frame) at the tracked position.
    fn open<'a>(data: &'a [u8], input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>> {
        let start = input.pos();
        let rest = data.get(start..).unwrap_or(&[]);
        if rest.starts_with(&LEGACY_MAGIC) {
            input.set_pos(start.saturating_add(4));
            return Ok(Box::new(BlockReader::new(LegacyBlocks {
                data,
                input,
                blocks: 0,
                done: false,
            })));
        }
        let len = frame_len(rest).unwrap_or(rest.len());
        let limit = u64::try_from(len).unwrap_or(u64::MAX);
        Ok(Box::new(FrameDecoder::new(input.take(limit))))
    }

    fn variant(data: &[u8]) -> Option<&'static str> {
        Some(if data.starts_with(&LEGACY_MAGIC) {
            "legacy"
        } else {
            "frame"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::tests::{extract_ok, extract_with, output_bytes};
    use crate::testkit;

    #[test]
    fn xxh32_matches_known_values() {
        // Reference values of XXH32 with seed 0.
        assert_eq!(xxh32_short(b""), 0x02cc_5d05);
        assert_eq!(xxh32_short(b"a"), 0x550d_7456);
        assert_eq!(xxh32_short(b"abc"), 0x32d1_53ff);
    }

    #[test]
    fn decodes_frames_across_skippable_frames_with_exact_extent() {
        let a = testkit::lz4_frame(b"alpha ", false);
        let b = testkit::lz4_frame(&b"beta ".repeat(1000), true);
        let skip = [0x5f, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9];
        let data = [a.clone(), skip.to_vec(), b.clone(), b"tail".to_vec()].concat();
        let (ex, cx) = extract_ok(&Lz4Format, &data);
        let mut want = b"alpha ".to_vec();
        want.extend_from_slice(&b"beta ".repeat(1000));
        assert_eq!(output_bytes(&ex), want);
        assert_eq!(ex.consumed, (a.len() + skip.len() + b.len()) as u64);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.variant, Some("frame"));
    }

    #[test]
    fn legacy_frame_ends_before_the_appended_size() {
        let payload = testkit::noise(20_000, 3);
        let legacy = testkit::lz4_legacy(&payload);
        let data = [legacy.clone(), 20_000u32.to_le_bytes().to_vec()].concat();
        let (ex, cx) = extract_ok(&Lz4Format, &data);
        assert_eq!(output_bytes(&ex), payload);
        assert_eq!(ex.consumed, legacy.len() as u64);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.variant, Some("legacy"));
    }

    #[test]
    fn header_checksum_is_checked_and_damage_is_recorded() {
        let mut frame = testkit::lz4_frame(&testkit::noise(300_000, 9), true);
        assert!(Lz4Format.probe(&frame));
        let mut bad = frame.clone();
        bad[4] ^= 0x20;
        assert!(!Lz4Format.probe(&bad));
        let n = frame.len();
        frame.truncate(n - 1000);
        let (result, cx) = extract_with(&Lz4Format, &frame, &Default::default());
        let ex = result.expect("a truncated frame keeps what decoded");
        assert!(!output_bytes(&ex).is_empty());
        assert_eq!(cx.errors.len(), 1);
    }
}
