//! Payloads of firmware containers: a vendor header says how a part is compressed, and the
//! part is decoded here through the bounded pump of [`decode`](crate::decode) (time, per-file
//! size, total budget and compression ratio checked before every chunk), so a container whose
//! payload is a bomb stops like a bare stream does.
//!
//! Schemes are the ones U-Boot and FIT images name: gzip, bzip2, LZMA alone (13-byte header),
//! lzop (the `lzop` file format around LZO1X blocks), LZ4 frames and zstd.

use std::io::{self, Read};

use crate::blob::Blob;
use crate::decode::{BlockReader, Blocks, Flow, Tracked, pump};
use crate::format::Context;

/// A compression scheme named by a container header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
    Bzip2,
    Lzma,
    Lzo,
    Lz4,
    Zstd,
}

impl Compression {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Lzma => "lzma",
            Compression::Lzo => "lzo",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

/// Largest zstd window accepted (128 MiB), as for bare zstd streams.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// Largest LZMA dictionary accepted: what `lzma -9` uses.
const LZMA_DICT_MAX: u32 = 64 << 20;

/// Largest lzop block: `lzop` writes 256 KiB blocks; anything above this is not a real one and
/// is not allocated.
const LZOP_BLOCK_MAX: usize = 8 << 20;

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

fn open<'a>(compression: Compression, input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        // Never asked for: the caller keeps stored payloads as they are.
        Compression::None => Box::new(input),
        Compression::Gzip => Box::new(flate2::bufread::GzDecoder::new(input)),
        Compression::Bzip2 => Box::new(bzip2::bufread::BzDecoder::new(input)),
        Compression::Lzma => open_lzma(input)?,
        Compression::Lzo => Box::new(BlockReader::new(LzopPayload::new(input)?)),
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(input)),
        Compression::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(input)?.single_frame();
            decoder.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(decoder)
        }
    })
}

/// LZMA alone: props, dictionary size and uncompressed size (all ones when unknown) in a
/// 13-byte header, then raw LZMA.
fn open_lzma<'a>(mut input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>> {
    let mut header = [0u8; 13];
    input.read_exact(&mut header)?;
    let [props, d0, d1, d2, d3, s @ ..] = header;
    let dict_size = u32::from_le_bytes([d0, d1, d2, d3]);
    let size = u64::from_le_bytes(s);
    if props >= 9 * 5 * 5 || dict_size > LZMA_DICT_MAX {
        return Err(invalid(format!(
            "implausible lzma header (properties {props:#x}, dictionary {dict_size} bytes)"
        )));
    }
    let need_kib = lzma_rust2::lzma_get_memory_usage_by_props(dict_size.max(4096), props)
        .map_err(|e| invalid(e.to_string()))?;
    if need_kib > crate::formats::xz::MEM_LIMIT_KIB {
        return Err(invalid("lzma dictionary too large"));
    }
    let reader =
        lzma_rust2::LzmaReader::new_with_props(input, size, props, dict_size.max(4096), None)
            .map_err(|e| invalid(e.to_string()))?;
    Ok(Box::new(reader))
}

/// Decodes `payload` (at `offset` in the container, for error messages) as `compression`.
/// `Ok` when anything came out: a stream damaged after producing output keeps that output and
/// records the damage, a stream cut at a limit keeps what the limit allowed (the truncation is
/// recorded by the pump). `Err` with the decoder's message when nothing could be decoded; the
/// caller then keeps the stored bytes.
pub(crate) fn decompress(
    payload: &Blob,
    compression: Compression,
    offset: u64,
    what: &str,
    cx: &mut Context<'_>,
) -> Result<Blob, String> {
    if compression == Compression::None {
        return Ok(payload.clone());
    }
    let tracked = Tracked::new(payload);
    let position = tracked.clone();
    let consumed = || u64::try_from(position.pos()).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    let flow = match open(compression, tracked.clone()) {
        Ok(mut reader) => pump(&mut *reader, &mut out, &consumed, cx),
        Err(e) => Flow::Failed(e),
    };
    match flow {
        Flow::End if out.is_empty() => {
            return Err(format!(
                "{what}: {} data decodes to nothing",
                compression.name()
            ));
        }
        Flow::End | Flow::Limit => {}
        Flow::Failed(e) if out.is_empty() => {
            return Err(format!(
                "{what}: {} data does not decode: {e}",
                compression.name()
            ));
        }
        Flow::Failed(e) => cx.error(
            offset.saturating_add(consumed()),
            format!(
                "{what}: {} data damaged after {} bytes of output: {e}",
                compression.name(),
                out.len()
            ),
        ),
    }
    out.shrink_to_fit();
    Ok(Blob::from(out))
}

/// [`decompress`], or the stored bytes when nothing decodes, with the decoder's message
/// recorded at `offset` ("kept as stored").
pub(crate) fn decompress_or_keep(
    payload: &Blob,
    compression: Compression,
    offset: u64,
    what: &str,
    cx: &mut Context<'_>,
) -> Blob {
    decompress(payload, compression, offset, what, cx).unwrap_or_else(|message| {
        cx.error(offset, format!("{message}; kept as stored"));
        payload.clone()
    })
}

/// The `lzop` file format: a header (magic, versions, method, flags, mode, times, name,
/// checksum), then blocks of LZO1X data each preceded by its decoded and stored sizes and
/// optional checksums, ended by a zero size. Checksums are not verified.
struct LzopPayload<'a> {
    input: Tracked<'a>,
    flags: u32,
}

const LZOP_MAGIC: [u8; 9] = [0x89, b'L', b'Z', b'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a];
const LZOP_ADLER32_D: u32 = 0x1;
const LZOP_ADLER32_C: u32 = 0x2;
const LZOP_EXTRA_FIELD: u32 = 0x40;
const LZOP_CRC32_D: u32 = 0x100;
const LZOP_CRC32_C: u32 = 0x200;
const LZOP_FILTER: u32 = 0x800;

fn read_u8(input: &mut impl Read) -> io::Result<u8> {
    let mut b = [0u8; 1];
    input.read_exact(&mut b)?;
    let [x] = b;
    Ok(x)
}

fn read_u16(input: &mut impl Read) -> io::Result<u16> {
    let mut b = [0u8; 2];
    input.read_exact(&mut b)?;
    Ok(u16::from_be_bytes(b))
}

fn read_u32(input: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

fn skip(input: &Tracked<'_>, n: usize) {
    input.set_pos(input.pos().saturating_add(n));
}

impl<'a> LzopPayload<'a> {
    fn new(mut input: Tracked<'a>) -> io::Result<LzopPayload<'a>> {
        let mut magic = [0u8; 9];
        input.read_exact(&mut magic)?;
        if magic != LZOP_MAGIC {
            return Err(invalid("not an lzop stream"));
        }
        let version = read_u16(&mut input)?;
        let _library = read_u16(&mut input)?;
        if version >= 0x0940 {
            let _needed = read_u16(&mut input)?;
        }
        let method = read_u8(&mut input)?;
        if !(1..=3).contains(&method) {
            return Err(invalid(format!("lzop method {method} is not LZO1X")));
        }
        if version >= 0x0940 {
            let _level = read_u8(&mut input)?;
        }
        let flags = read_u32(&mut input)?;
        if flags & LZOP_FILTER != 0 {
            return Err(invalid("lzop filters are not supported"));
        }
        let _mode = read_u32(&mut input)?;
        let _mtime = read_u32(&mut input)?;
        if version >= 0x0940 {
            let _mtime_high = read_u32(&mut input)?;
        }
        let name_len = read_u8(&mut input)?;
        skip(&input, usize::from(name_len));
        let _header_checksum = read_u32(&mut input)?;
        if flags & LZOP_EXTRA_FIELD != 0 {
            let len = read_u32(&mut input)?;
            skip(&input, usize::try_from(len).unwrap_or(usize::MAX));
            let _extra_checksum = read_u32(&mut input)?;
        }
        Ok(LzopPayload { input, flags })
    }
}

impl Blocks for LzopPayload<'_> {
    /// Decodes the next block; false at the end marker.
    fn next_block(&mut self, block: &mut Vec<u8>) -> io::Result<bool> {
        let decoded = usize::try_from(read_u32(&mut self.input)?).unwrap_or(usize::MAX);
        if decoded == 0 {
            return Ok(false);
        }
        let stored = usize::try_from(read_u32(&mut self.input)?).unwrap_or(usize::MAX);
        if decoded > LZOP_BLOCK_MAX || stored > decoded {
            return Err(invalid(format!(
                "implausible lzop block ({stored} bytes decoding to {decoded})"
            )));
        }
        let mut checksums = 0usize;
        for flag in [LZOP_ADLER32_D, LZOP_CRC32_D] {
            if self.flags & flag != 0 {
                checksums = checksums.saturating_add(4);
            }
        }
        if stored < decoded {
            for flag in [LZOP_ADLER32_C, LZOP_CRC32_C] {
                if self.flags & flag != 0 {
                    checksums = checksums.saturating_add(4);
                }
            }
        }
        skip(&self.input, checksums);
        let mut packed = vec![0u8; stored];
        self.input.read_exact(&mut packed)?;
        if stored == decoded {
            *block = packed;
        } else {
            let mut out = vec![0u8; decoded];
            let n = lzokay::decompress::decompress(&packed, &mut out)
                .map_err(|e| invalid(format!("lzo block: {e:?}")))?;
            if n != decoded {
                return Err(invalid(format!(
                    "lzo block decoded to {n} bytes, header says {decoded}"
                )));
            }
            *block = out;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{Budget, LayerPath, LimitKind, Limits};
    use crate::testkit;

    fn run(
        payload: &[u8],
        compression: Compression,
        limits: &Limits,
    ) -> (Result<Vec<u8>, String>, Vec<LimitKind>, usize) {
        let budget = Budget::new(limits);
        let mut cx = Context::new(&budget, LayerPath::root("t"));
        let out = decompress(&Blob::from(payload), compression, 0, "payload", &mut cx)
            .map(|b| b.to_vec());
        let limits = cx.truncations.iter().map(|t| t.limit).collect();
        (out, limits, cx.errors.len())
    }

    #[test]
    fn every_scheme_decodes() {
        let data = b"container payload ".repeat(300);
        let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut lz4, &data).unwrap();
        let cases = [
            (Compression::None, data.clone()),
            (Compression::Gzip, testkit::gzip(&data)),
            (Compression::Bzip2, testkit::bzip2(&data)),
            (Compression::Lzma, testkit::lzma_alone(&data, true)),
            (Compression::Lzma, testkit::lzma_alone(&data, false)),
            (Compression::Lzo, testkit::lzop(&data, 256 << 10, true)),
            (Compression::Lz4, lz4.finish().unwrap()),
            (Compression::Zstd, testkit::zstd(&data)),
        ];
        for (compression, packed) in cases {
            let (out, limits, errors) = run(&packed, compression, &Limits::default());
            assert_eq!(out.as_deref(), Ok(&data[..]), "{compression:?}");
            assert!(limits.is_empty() && errors == 0, "{compression:?}");
        }
    }

    #[test]
    fn garbage_fails_and_truncation_keeps_output() {
        for compression in [
            Compression::Gzip,
            Compression::Bzip2,
            Compression::Lzma,
            Compression::Lzo,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let (out, _, _) = run(&testkit::noise(3000, 4), compression, &Limits::default());
            assert!(out.is_err(), "{compression:?}");
            let (out, _, _) = run(&[], compression, &Limits::default());
            assert!(out.is_err(), "{compression:?}");
        }
        let data = testkit::noise(400_000, 9);
        let gz = testkit::gzip(&data);
        let (out, _, errors) = run(&gz[..gz.len() / 2], Compression::Gzip, &Limits::default());
        let out = out.unwrap();
        assert!(!out.is_empty() && data.starts_with(&out));
        assert_eq!(errors, 1);
    }

    #[test]
    fn a_bomb_stops_at_the_ratio() {
        let bomb = testkit::gzip_best(&vec![0u8; 64 << 20]);
        let limits = Limits {
            ratio_floor_bytes: 1 << 20,
            ..Limits::default()
        };
        let (out, limits, _) = run(&bomb, Compression::Gzip, &limits);
        assert!(out.unwrap().len() < 4 << 20);
        assert_eq!(limits, [LimitKind::Ratio]);
    }
}
