//! lzop files (magic `89 4c 5a 4f 00 0d 0a 1a 0a`): the `lzop` tool's container around LZO1X
//! blocks.
//!
//! Read: the header (version, library version, version needed to extract from 0.940 on,
//! method, level, flags, optional filter, mode, mtime, stored name, an optional extra field)
//! with its Adler-32 or CRC-32 checksum; then blocks of an uncompressed size, a compressed size
//! and the optional checksums the flags announce, until the zero end marker. Each block is
//! decompressed with LZO1X (methods 1 to 3: LZO1X-1, LZO1X-1(15), LZO1X-999) through the
//! bounded block codec and the decode pump; a block whose compressed size equals its
//! uncompressed size is stored. Blocks larger than lzop's maximum (64 MiB) are refused, so no
//! allocation follows a size from the input beyond that. Checksums of the uncompressed data are
//! verified (a mismatch is damage); checksums of the compressed data are not. Filters (an old
//! lzop option, never the default) are not undone: such files are reported as damaged.

use std::io::{self, Read};

use crate::bytes::{be16, be32};
use crate::codec::{self, Codec};
use crate::decode::{BlockReader, Blocks, MemberStream, Tracked};
use crate::format::Magic;

/// lzop files.
pub(crate) struct LzoFormat;

const MAGIC: [u8; 9] = [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a];

/// lzop's largest block.
const MAX_BLOCK: usize = 64 << 20;

const F_ADLER32_D: u32 = 0x1;
const F_ADLER32_C: u32 = 0x2;
const F_H_EXTRA_FIELD: u32 = 0x40;
const F_CRC32_D: u32 = 0x100;
const F_CRC32_C: u32 = 0x200;
const F_H_FILTER: u32 = 0x800;
const F_H_CRC32: u32 = 0x1000;
/// Flag bits lzop defines (the top byte is the OS, the next nibble the character set).
const F_MASK: u32 = 0x3fff;

/// Adler-32 of `data`.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes keep the sums below 2^32 between reductions.
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a = a.wrapping_add(u32::from(byte));
            b = b.wrapping_add(a);
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// A cursor over big-endian header fields.
struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Fields<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u16(&mut self) -> Option<u16> {
        be16(self.take(2)?, 0)
    }

    fn u32(&mut self) -> Option<u32> {
        be32(self.take(4)?, 0)
    }
}

/// The parsed header: flags, and where the first block starts.
#[derive(Debug)]
struct Header {
    flags: u32,
    filter: u32,
    len: usize,
}

/// Parses and checks the header; the error says what is wrong.
fn header(data: &[u8]) -> Result<Header, String> {
    if !data.starts_with(&MAGIC) {
        return Err("no lzop magic".into());
    }
    let short = || "header truncated".to_owned();
    let mut f = Fields { data, pos: 9 };
    let version = f.u16().ok_or_else(short)?;
    let _lib_version = f.u16().ok_or_else(short)?;
    if version < 0x0900 {
        return Err(format!("lzop version {version:#x}"));
    }
    if version >= 0x0940 {
        let needed = f.u16().ok_or_else(short)?;
        if needed < 0x0900 || needed > version.max(0x1040) {
            return Err(format!("version needed to extract {needed:#x}"));
        }
    }
    let method = f.u8().ok_or_else(short)?;
    if !(1..=3).contains(&method) {
        return Err(format!("method {method}"));
    }
    if version >= 0x0940 {
        let level = f.u8().ok_or_else(short)?;
        if level > 9 {
            return Err(format!("level {level}"));
        }
    }
    let flags = f.u32().ok_or_else(short)?;
    // Bits 14 to 19 are undefined (20 to 23 are the character set, 24 to 31 the OS).
    if flags & !F_MASK & 0x000f_c000 != 0 {
        return Err(format!("unknown flags {flags:#x}"));
    }
    let filter = if flags & F_H_FILTER != 0 {
        f.u32().ok_or_else(short)?
    } else {
        0
    };
    let _mode = f.u32().ok_or_else(short)?;
    let _mtime_low = f.u32().ok_or_else(short)?;
    if version >= 0x0940 {
        let _mtime_high = f.u32().ok_or_else(short)?;
    }
    let name_len = f.u8().ok_or_else(short)?;
    f.take(usize::from(name_len)).ok_or_else(short)?;
    let checked = data.get(9..f.pos).ok_or_else(short)?;
    let stored = f.u32().ok_or_else(short)?;
    let computed = if flags & F_H_CRC32 != 0 {
        crc32fast::hash(checked)
    } else {
        adler32(checked)
    };
    if stored != computed {
        return Err(format!(
            "header checksum {stored:#010x}, computed {computed:#010x}"
        ));
    }
    if flags & F_H_EXTRA_FIELD != 0 {
        let len = f.u32().ok_or_else(short)?;
        f.take(usize::try_from(len).map_err(|_| short())?)
            .ok_or_else(short)?;
        let _checksum = f.u32().ok_or_else(short)?;
    }
    Ok(Header {
        flags,
        filter,
        len: f.pos,
    })
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The blocks after a header, read at the tracked position.
struct LzopBlocks<'a> {
    data: &'a [u8],
    input: Tracked<'a>,
    flags: u32,
}

impl Blocks for LzopBlocks<'_> {
    /// Reads the next block header and block at the tracked position.
    fn next_block(&mut self, block: &mut Vec<u8>) -> io::Result<bool> {
        let start = self.input.pos();
        let mut f = Fields {
            data: self.data,
            pos: start,
        };
        let short = || invalid(format!("block header at {start:#x} truncated"));
        let dst_len = f.u32().ok_or_else(short)?;
        if dst_len == 0 {
            self.input.set_pos(f.pos);
            return Ok(false);
        }
        let src_len = f.u32().ok_or_else(short)?;
        let dst_len = usize::try_from(dst_len).unwrap_or(usize::MAX);
        let src_len = usize::try_from(src_len).unwrap_or(usize::MAX);
        if dst_len > MAX_BLOCK {
            return Err(invalid(format!(
                "block at {start:#x} of {dst_len} bytes: lzop blocks are at most {MAX_BLOCK}"
            )));
        }
        if src_len == 0 || src_len > dst_len {
            return Err(invalid(format!(
                "block at {start:#x}: {src_len} compressed bytes for {dst_len}"
            )));
        }
        let adler_d = (self.flags & F_ADLER32_D != 0)
            .then(|| f.u32())
            .map(|v| v.ok_or_else(short))
            .transpose()?;
        let crc_d = (self.flags & F_CRC32_D != 0)
            .then(|| f.u32())
            .map(|v| v.ok_or_else(short))
            .transpose()?;
        if src_len < dst_len {
            for flag in [F_ADLER32_C, F_CRC32_C] {
                if self.flags & flag != 0 {
                    f.u32().ok_or_else(short)?;
                }
            }
        }
        let packed = f
            .take(src_len)
            .ok_or_else(|| invalid(format!("block at {start:#x} truncated")))?;
        let decoded = if src_len == dst_len {
            packed.to_vec()
        } else {
            codec::decompress(Codec::Lzo, packed, dst_len)
                .map_err(|e| invalid(format!("block at {start:#x}: {e}")))?
        };
        if decoded.len() != dst_len {
            return Err(invalid(format!(
                "block at {start:#x} decompressed to {} bytes, header says {dst_len}",
                decoded.len()
            )));
        }
        if let Some(want) = adler_d {
            let got = adler32(&decoded);
            if got != want {
                return Err(invalid(format!(
                    "block at {start:#x}: Adler-32 {got:#010x}, header says {want:#010x}"
                )));
            }
        }
        if let Some(want) = crc_d {
            let got = crc32fast::hash(&decoded);
            if got != want {
                return Err(invalid(format!(
                    "block at {start:#x}: CRC-32 {got:#010x}, header says {want:#010x}"
                )));
            }
        }
        self.input.set_pos(f.pos);
        *block = decoded;
        Ok(true)
    }
}

impl MemberStream for LzoFormat {
    const ID: &'static str = "lzo";
    const DESCRIPTION: &'static str = "lzop compressed file (LZO1X blocks)";
    const MAGICS: &'static [Magic] = &[Magic::at_start(&MAGIC)];

    /// lzop writes one file per stream; `lzop -c a b` concatenates whole files.
    fn is_member(data: &[u8]) -> bool {
        header(data).is_ok()
    }

    fn open<'a>(data: &'a [u8], input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>> {
        let start = input.pos();
        let header = header(data.get(start..).unwrap_or(&[])).map_err(invalid)?;
        if header.filter != 0 {
            return Err(invalid(format!(
                "filter {:#x} is not supported",
                header.filter
            )));
        }
        input.set_pos(start.saturating_add(header.len));
        Ok(Box::new(BlockReader::new(LzopBlocks {
            data,
            input,
            flags: header.flags,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_bytes};
    use crate::testkit;

    #[test]
    fn adler32_matches_known_value() {
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn decodes_blocks_with_checksums_and_exact_extent() {
        let payload = b"lzop block payload ".repeat(5000);
        let file = testkit::lzop(&payload, 16 << 10, true);
        let data = [file.clone(), b"trailer".to_vec()].concat();
        let (ex, cx) = extract_ok(&LzoFormat, &data);
        assert_eq!(output_bytes(&ex), payload);
        assert_eq!(ex.consumed, file.len() as u64);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
    }

    #[test]
    fn stored_blocks_and_crc_header() {
        let payload = testkit::noise(40_000, 4);
        let file = testkit::lzop(&payload, 16 << 10, false);
        let (ex, cx) = extract_ok(&LzoFormat, &file);
        assert_eq!(output_bytes(&ex), payload);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
    }

    #[test]
    fn bad_checksum_and_huge_block_are_damage() {
        let payload = b"abcdefgh".repeat(4000);
        let file = testkit::lzop(&payload, 8 << 10, true);
        let first_block = header(&file).unwrap().len;
        // Corrupt the second block's Adler-32 of the uncompressed data.
        let mut bad = file.clone();
        let src_len =
            u32::from_be_bytes(bad[first_block + 4..first_block + 8].try_into().unwrap()) as usize;
        let second = first_block + 12 + src_len;
        bad[second + 8] ^= 1;
        let (result, cx) = extract_with(&LzoFormat, &bad, &Default::default());
        assert_eq!(output_bytes(&result.unwrap()).len(), 8 << 10);
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);

        let mut huge = file;
        huge[first_block..first_block + 4].copy_from_slice(&(MAX_BLOCK as u32 + 1).to_be_bytes());
        let (result, _) = extract_with(&LzoFormat, &huge, &Default::default());
        assert!(
            result.is_err(),
            "a first block that fails rejects the candidate"
        );
    }
}
