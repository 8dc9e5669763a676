//! Android sparse images (`simg`: what `img2simg`, `make_ext4fs -s` and the AOSP build write
//! for `system.img`, `vendor.img`, `userdata.img`): a 28-byte header (magic `0xED26FF3A`,
//! version 1.x) and chunks of four kinds: raw data, a 4-byte fill pattern, "don't care" (left
//! as zeros) and CRC32 checkpoints. The output is one blob, the de-sparsed image, which the
//! driver then scans like any other (usually an ext4 filesystem).
//!
//! # Validation
//!
//! The header (magic, major version 1, header sizes, a block size that is a non-zero multiple
//! of 4) and every chunk header (known type, total size consistent with the type and block
//! count) are checked in a first pass that reads no data; a first chunk that does not parse
//! rejects the candidate. A later bad or truncated chunk ends the image there (recorded, what
//! came before kept). CRC32 chunks and a non-zero header checksum are verified against the
//! output when the output is complete; a mismatch is recorded.
//!
//! # Limits
//!
//! Fill and don't-care chunks cost a few bytes of input and can declare terabytes of output,
//! so the output size is fixed before anything is allocated: at most
//! [`max_ratio`](crate::Limits::max_ratio) times the input the image occupies (never less
//! than [`ratio_floor_bytes`](crate::Limits::ratio_floor_bytes)), then at most
//! [`max_file_bytes`](crate::Limits::max_file_bytes), then what
//! [`Context::reserve`] grants from the total budget. Each cut is recorded as a truncation
//! and the image is produced up to it; a 1 TiB fill bomb costs one floor-sized buffer.
//!
//! # Not read
//!
//! Nothing is skipped: the format has no other chunk types. Images whose chunks declare more
//! blocks than the header's total are cut at the total (recorded).

use crate::blob::Blob;
use crate::bytes::{le16_or_zero, le32_or_zero, to_u64};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::limits::LimitKind;

/// Android sparse image.
pub(crate) struct AndroidSparseFormat;

const MAGIC: [u8; 4] = 0xed26_ff3a_u32.to_le_bytes();
const MAGICS: &[Magic] = &[Magic::at_start(&MAGIC)];

const FILE_HEADER: usize = 28;
const CHUNK_HEADER: usize = 12;

const RAW: u16 = 0xcac1;
const FILL: u16 = 0xcac2;
const DONT_CARE: u16 = 0xcac3;
const CRC32: u16 = 0xcac4;

/// Largest header size accepted (the format defines 28 and 12; larger ones are skipped).
const MAX_HEADER: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Header {
    file_header: usize,
    chunk_header: usize,
    block_size: u64,
    total_blocks: u64,
    total_chunks: u64,
    checksum: u32,
}

fn parse_header(data: &[u8]) -> Option<Header> {
    if data.get(..4)? != MAGIC {
        return None;
    }
    let major = le16_or_zero(data, 4);
    let file_header = usize::from(le16_or_zero(data, 8));
    let chunk_header = usize::from(le16_or_zero(data, 10));
    let block_size = u64::from(le32_or_zero(data, 12));
    if major != 1
        || !(FILE_HEADER..=MAX_HEADER).contains(&file_header)
        || !(CHUNK_HEADER..=MAX_HEADER).contains(&chunk_header)
        || block_size == 0
        || block_size % 4 != 0
        || data.len() < file_header
    {
        return None;
    }
    Some(Header {
        file_header,
        chunk_header,
        block_size,
        total_blocks: u64::from(le32_or_zero(data, 16)),
        total_chunks: u64::from(le32_or_zero(data, 20)),
        checksum: le32_or_zero(data, 24),
    })
}

/// One chunk, validated.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    kind: u16,
    /// Output blocks it covers.
    blocks: u64,
    /// Offset of its payload in the input.
    payload: usize,
    /// Payload bytes present (less than declared for a truncated raw chunk).
    present: usize,
}

/// Why a chunk header is not acceptable, or `None` for a good one.
fn check_chunk(kind: u16, blocks: u64, payload: u64, block_size: u64) -> Option<String> {
    let want = match kind {
        RAW => blocks.checked_mul(block_size),
        FILL | CRC32 => Some(4),
        DONT_CARE => Some(0),
        other => return Some(format!("unknown chunk type {other:#06x}")),
    };
    if want != Some(payload) {
        return Some(format!(
            "chunk type {kind:#06x} of {blocks} blocks carries {payload} bytes"
        ));
    }
    if kind == CRC32 && blocks != 0 {
        return Some(format!("CRC32 chunk covering {blocks} blocks"));
    }
    None
}

impl Format for AndroidSparseFormat {
    fn id(&self) -> &'static str {
        "android-sparse"
    }

    fn description(&self) -> &'static str {
        "Android sparse image (simg), de-sparsed"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Container
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        parse_header(data).is_some()
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let header = parse_header(data).ok_or_else(|| Rejected::new("bad sparse header"))?;
        let bs = header.block_size;

        // Pass 1: chunk headers only.
        let mut chunks: Vec<Chunk> = Vec::new();
        let mut pos = header.file_header;
        let mut blocks = 0u64;
        let mut has_crc = false;
        let mut index = 0u64;
        while index < header.total_chunks {
            if index % 4096 == 0 && cx.time_up("reading sparse chunk headers") {
                break;
            }
            let at = to_u64(pos);
            let Some(raw) = data.get(pos..pos.saturating_add(header.chunk_header)) else {
                if index == 0 {
                    return Err(Rejected::new("no first chunk"));
                }
                cx.error(
                    at,
                    format!("image ends before chunk {index} of {}", header.total_chunks),
                );
                break;
            };
            let kind = le16_or_zero(raw, 0);
            let chunk_blocks = u64::from(le32_or_zero(raw, 4));
            let total = u64::from(le32_or_zero(raw, 8));
            let payload = total.checked_sub(to_u64(header.chunk_header));
            let problem = match payload {
                None => Some(format!("chunk total size {total} below its header")),
                Some(payload) => check_chunk(kind, chunk_blocks, payload, bs),
            };
            if let Some(problem) = problem {
                if index == 0 {
                    return Err(Rejected::new(problem));
                }
                cx.error(at, format!("chunk {index}: {problem}; the image ends here"));
                break;
            }
            let payload_at = pos.saturating_add(header.chunk_header);
            let declared = usize::try_from(payload.unwrap_or(0)).unwrap_or(usize::MAX);
            let present = declared.min(data.len().saturating_sub(payload_at));
            chunks.push(Chunk {
                kind,
                blocks: chunk_blocks,
                payload: payload_at,
                present,
            });
            has_crc |= kind == CRC32;
            blocks = blocks.saturating_add(chunk_blocks);
            pos = payload_at.saturating_add(present);
            index = index.saturating_add(1);
            if present < declared {
                cx.error(
                    at,
                    format!(
                        "chunk {index} truncated: {present} of {declared} payload bytes present"
                    ),
                );
                break;
            }
        }
        if blocks != header.total_blocks {
            cx.error(
                0,
                format!(
                    "chunks cover {blocks} blocks, the header declares {}",
                    header.total_blocks
                ),
            );
        }

        // The output size, bounded before anything is allocated.
        let declared = header.total_blocks.saturating_mul(bs);
        let limits = cx.limits().clone();
        let ratio_cap = limits
            .max_ratio
            .saturating_mul(to_u64(pos))
            .max(limits.ratio_floor_bytes);
        let mut want = declared;
        if want > ratio_cap {
            cx.truncate(
                LimitKind::Ratio,
                format!(
                    "de-sparsed image cut at {ratio_cap} of {declared} bytes: {pos} bytes of \
                     input allow at most {}:1",
                    limits.max_ratio
                ),
            );
            want = ratio_cap;
        }
        if want > limits.max_file_bytes {
            cx.truncate(
                LimitKind::FileBytes,
                format!(
                    "de-sparsed image cut from {want} to {} bytes",
                    limits.max_file_bytes
                ),
            );
            want = limits.max_file_bytes;
        }
        let granted = cx.reserve(b"(de-sparsed image)", want);
        let Ok(len) = usize::try_from(granted) else {
            cx.unreserve(granted);
            return Err(Rejected::new("output does not fit in memory"));
        };
        let complete = granted == declared;
        let mut out = vec![0u8; len];

        // Pass 2: produce.
        let mut hasher = crc32fast::Hasher::new();
        let mut hashed = 0usize;
        let mut offset = 0u64;
        for (n, chunk) in chunks.iter().enumerate() {
            if cx.time_up("de-sparsing") {
                break;
            }
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(len);
            let span = chunk.blocks.saturating_mul(bs);
            offset = offset.saturating_add(span);
            let end = usize::try_from(offset).unwrap_or(usize::MAX).min(len);
            let Some(target) = out.get_mut(start..end) else {
                continue;
            };
            match chunk.kind {
                RAW => {
                    let src = data
                        .get(chunk.payload..chunk.payload.saturating_add(chunk.present))
                        .unwrap_or(&[]);
                    let n = src.len().min(target.len());
                    if let (Some(dst), Some(src)) = (target.get_mut(..n), src.get(..n)) {
                        dst.copy_from_slice(src);
                    }
                }
                FILL => {
                    let pattern = data
                        .get(chunk.payload..chunk.payload.saturating_add(4))
                        .unwrap_or(&[0; 4]);
                    fill(target, pattern);
                }
                CRC32 if complete => {
                    if let Some(done) = out.get(hashed..start) {
                        hasher.update(done);
                        hashed = start;
                    }
                    let want = le32_or_zero(data, chunk.payload);
                    let got = hasher.clone().finalize();
                    if got != want {
                        cx.error(
                            to_u64(chunk.payload),
                            format!(
                                "CRC32 chunk {n}: data so far has {got:#010x}, chunk says \
                                 {want:#010x}"
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
        if complete && header.checksum != 0 {
            if has_crc {
                hasher.update(out.get(hashed..).unwrap_or(&[]));
            } else {
                hasher = crc32fast::Hasher::new();
                hasher.update(&out);
            }
            let got = hasher.finalize();
            if got != header.checksum {
                cx.error(
                    24,
                    format!(
                        "image checksum {got:#010x} does not match the header's {:#010x}",
                        header.checksum
                    ),
                );
            }
        }
        Ok(Extracted {
            consumed: to_u64(pos),
            output: Output::Blob(Blob::from(out)),
            variant: None,
        })
    }
}

/// Fills `target` with the 4-byte `pattern`, by doubling copies.
fn fill(target: &mut [u8], pattern: &[u8]) {
    if pattern.iter().all(|&b| b == 0) {
        return; // The buffer starts zeroed.
    }
    let first = target.len().min(pattern.len());
    if let (Some(dst), Some(src)) = (target.get_mut(..first), pattern.get(..first)) {
        dst.copy_from_slice(src);
    }
    let mut done = first;
    while done < target.len() && done > 0 {
        let n = done.min(target.len().saturating_sub(done));
        target.copy_within(..n, done);
        done = done.saturating_add(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_bytes};
    use crate::limits::Limits;
    use crate::testkit::{SparseBuilder, noise, sparse_chunk};

    fn sample() -> SparseBuilder {
        let mut builder = SparseBuilder::new(4096);
        builder
            .raw(&noise(10_000, 1))
            .fill(*b"\xde\xad\xbe\xef", 3)
            .dont_care(5)
            .crc()
            .fill([0; 4], 2)
            .raw(b"tail")
            .crc()
            .checksum();
        builder
    }

    #[test]
    fn desparses_every_chunk_type_with_exact_extent() {
        let builder = sample();
        let image = builder.finish();
        let data = [image.clone(), b"trailing".to_vec()].concat();
        let (ex, cx) = extract_ok(&AndroidSparseFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert!(cx.truncations.is_empty());
        assert_eq!(ex.consumed, image.len() as u64);
        let out = output_bytes(&ex);
        assert_eq!(out.len(), (3 + 3 + 5 + 2 + 1) * 4096);
        assert_eq!(out, builder.expected());
        assert_eq!(cx.budget.produced(), out.len() as u64);
    }

    #[test]
    fn checksums_are_verified() {
        let mut image = sample().finish();
        // The first raw chunk's first byte: both CRC chunks and the header checksum break.
        image[28 + 12] ^= 1;
        let (_, cx) = extract_ok(&AndroidSparseFormat, &image);
        let messages: Vec<&str> = cx.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("CRC32 chunk 3"), "{messages:?}");
        assert!(messages[2].contains("image checksum"), "{messages:?}");
    }

    #[test]
    fn damage_after_a_good_start_keeps_what_came_before() {
        let builder = sample();
        let image = builder.finish();
        // Cut inside the first raw chunk: the part present is kept.
        let (ex, cx) = extract_ok(&AndroidSparseFormat, &image[..28 + 12 + 5000]);
        let out = output_bytes(&ex);
        assert_eq!(&out[..5000], &noise(10_000, 1)[..5000]);
        assert!(out[5000..].iter().all(|&b| b == 0));
        assert!(cx.errors.iter().any(|e| e.message.contains("truncated")));

        // An unknown chunk type after the first: the image ends there.
        let image = SparseBuilder::new(4)
            .raw(b"abcd")
            .raw_chunk(0x1234, 1, 12, &[])
            .raw(b"efgh")
            .finish();
        let (ex, cx) = extract_ok(&AndroidSparseFormat, &image);
        assert_eq!(ex.consumed, 28 + 16);
        assert_eq!(&output_bytes(&ex)[..4], b"abcd");
        assert!(cx.errors[0].message.contains("unknown chunk type"));

        // Chunks covering less than the header's total: zeros to the total.
        let image = SparseBuilder::new(4).raw(b"abcd").total_blocks(3).finish();
        let (ex, cx) = extract_ok(&AndroidSparseFormat, &image);
        assert_eq!(output_bytes(&ex), b"abcd\0\0\0\0\0\0\0\0");
        assert!(cx.errors[0].message.contains("cover 1 blocks"));
        // More than the total: cut at the total.
        let image = SparseBuilder::new(4)
            .raw(b"abcdefgh")
            .total_blocks(1)
            .finish();
        let (ex, _) = extract_ok(&AndroidSparseFormat, &image);
        assert_eq!(output_bytes(&ex), b"abcd");
        // More chunks declared than present.
        let image = SparseBuilder::new(4).raw(b"abcd").total_chunks(9).finish();
        let (ex, cx) = extract_ok(&AndroidSparseFormat, &image);
        assert_eq!(output_bytes(&ex), b"abcd");
        assert!(cx.errors[0].message.contains("ends before chunk 1"));
    }

    #[test]
    fn bad_headers_and_first_chunks_are_rejected() {
        let good = sample().finish();
        assert!(AndroidSparseFormat.probe(&good));
        for (at, value) in [(4usize, 2u8), (8, 20), (10, 4), (12, 3)] {
            let mut bad = good.clone();
            bad[at] = value;
            if at == 12 {
                bad[13] = 0;
            }
            assert!(!AndroidSparseFormat.probe(&bad), "byte {at}");
        }
        let bad_first = SparseBuilder::new(4)
            .raw_chunk(sparse_chunk::RAW, 2, 16, b"abcd")
            .finish();
        assert!(
            extract_with(&AndroidSparseFormat, &bad_first, &Limits::default())
                .0
                .is_err()
        );
        let no_chunk = SparseBuilder::new(4).total_chunks(1).finish();
        assert!(
            extract_with(&AndroidSparseFormat, &no_chunk, &Limits::default())
                .0
                .is_err()
        );
    }

    #[test]
    fn a_terabyte_fill_stops_at_the_ratio_quickly() {
        let image = SparseBuilder::new(4096)
            .fill(*b"BOMB", u32::MAX)
            .dont_care(u32::MAX)
            .finish();
        let started = std::time::Instant::now();
        let (ex, cx) = extract_ok(&AndroidSparseFormat, &image);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let out = output_bytes(&ex);
        assert_eq!(out.len(), 16 << 20);
        assert_eq!(&out[(16 << 20) - 4..], b"BOMB");
        assert_eq!(cx.truncations[0].limit, LimitKind::Ratio);

        let limits = Limits {
            max_file_bytes: 1 << 20,
            ..Limits::default()
        };
        let (ex, cx) = extract_with(&AndroidSparseFormat, &image, &limits);
        assert_eq!(output_bytes(&ex.unwrap()).len(), 1 << 20);
        let kinds: Vec<LimitKind> = cx.truncations.iter().map(|t| t.limit).collect();
        assert_eq!(kinds, [LimitKind::Ratio, LimitKind::FileBytes]);

        let limits = Limits {
            max_total_bytes: 1000,
            ..Limits::default()
        };
        let (ex, cx) = extract_with(&AndroidSparseFormat, &image, &limits);
        assert_eq!(output_bytes(&ex.unwrap()).len(), 1000);
        assert!(
            cx.truncations
                .iter()
                .any(|t| t.limit == LimitKind::TotalBytes)
        );
    }

    #[test]
    fn fill_repeats_the_pattern_to_any_length() {
        for len in [0usize, 1, 3, 4, 5, 17, 4096] {
            let mut buf = vec![0u8; len];
            fill(&mut buf, b"abcd");
            let want: Vec<u8> = b"abcd".iter().copied().cycle().take(len).collect();
            assert_eq!(buf, want);
        }
    }
}
