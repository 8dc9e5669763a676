//! Which compressor an image really uses, and block decoding through [`crate::codec`].
//!
//! Squashfs 4.0 names its compressor in the superblock; 2.x and 3.x do not (zlib, unless a
//! vendor patched in LZMA). Vendors also store LZMA blocks in several layouts, whatever the
//! superblock says:
//!
//! - the 13-byte `.lzma` header (properties, dictionary, size): squashfs-tools' own LZMA, the
//!   sqlzma patches, Huawei's `qshs` images;
//! - a 5-byte header (properties, dictionary) without the size: TP-Link (compressor id 2, which
//!   stock `unsquashfs` reads as a 13-byte header and fails on) and Broadcom's 2.x images;
//! - no header at all, `lc=3 lp=0 pb=2`: some 2.x/3.x builds.
//!
//! Streams may or may not end with an end marker. The [`Decoder`] decides once per image: the
//! first compressed block is tried with each candidate layout, in an order where a wrong layout
//! fails its cheap header check or its decode, and the first that decodes is used for every
//! later block.

use std::sync::OnceLock;

use crate::bytes::{le32, le64};
use crate::codec::{self, Codec};

use super::superblock::{Superblock, Version};

/// A block compression as a squashfs image uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Zlib,
    Lzo,
    Xz,
    Lz4,
    Zstd,
    /// LZMA behind a 13-byte `.lzma` header.
    LzmaAlone,
    /// LZMA behind a 5-byte header: properties and dictionary size, no size.
    LzmaShortHeader,
    /// Headerless LZMA with the default properties (`lc=3 lp=0 pb=2`).
    LzmaRaw,
}

/// Default LZMA properties byte: `lc=3 lp=0 pb=2`.
const LZMA_DEFAULT_PROPS: u8 = 0x5d;

impl Method {
    pub(super) fn name(self) -> &'static str {
        match self {
            Method::Zlib => "zlib",
            Method::Lzo => "lzo",
            Method::Xz => "xz",
            Method::Lz4 => "lz4",
            Method::Zstd => "zstd",
            Method::LzmaAlone => "lzma",
            Method::LzmaShortHeader => "lzma-5byte-header",
            Method::LzmaRaw => "lzma-raw",
        }
    }

    /// Cheap check that `input` could be a block of this method.
    fn plausible(self, input: &[u8], max_out: usize) -> bool {
        let byte = |i: usize| input.get(i).copied();
        match self {
            Method::Zlib => match (byte(0), byte(1)) {
                (Some(a), Some(b)) => {
                    a & 0x0f == 8 && (u16::from(a) << 8 | u16::from(b)).checked_rem(31) == Some(0)
                }
                _ => false,
            },
            Method::LzmaAlone => {
                let size = le64(input, 5);
                let max = u64::try_from(max_out).unwrap_or(u64::MAX);
                byte(0).is_some_and(|p| p < 225)
                    && byte(13) == Some(0)
                    && size.is_some_and(|s| s == u64::MAX || s <= max)
            }
            Method::LzmaShortHeader => byte(0).is_some_and(|p| p < 225) && byte(5) == Some(0),
            Method::LzmaRaw => byte(0) == Some(0),
            Method::Lzo | Method::Xz | Method::Lz4 | Method::Zstd => !input.is_empty(),
        }
    }

    /// The codec and the compressed stream of a block; `exact` is the block's uncompressed
    /// size when the format knows it.
    fn codec(self, input: &[u8], exact: Option<usize>) -> Result<(Codec, &[u8]), String> {
        let size = exact.and_then(|n| u64::try_from(n).ok());
        let short = || "block shorter than its lzma header".to_string();
        Ok(match self {
            Method::Zlib => (Codec::Zlib, input),
            Method::Lzo => (Codec::Lzo, input),
            Method::Xz => (Codec::Xz, input),
            Method::Lz4 => (Codec::Lz4Block, input),
            Method::Zstd => (Codec::Zstd, input),
            Method::LzmaAlone => {
                let header = input.get(..13).ok_or_else(short)?;
                let (props, dict) = lzma_props(header).ok_or_else(short)?;
                let declared = le64(header, 5).filter(|&s| s != u64::MAX);
                if declared.is_some() {
                    return Ok((Codec::LzmaAlone, input));
                }
                let codec = Codec::LzmaRaw {
                    props,
                    dict_size: dict,
                    size,
                };
                (codec, input.get(13..).unwrap_or(&[]))
            }
            Method::LzmaShortHeader => {
                let (props, dict) = lzma_props(input).ok_or_else(short)?;
                let codec = Codec::LzmaRaw {
                    props,
                    dict_size: dict,
                    size,
                };
                (codec, input.get(5..).unwrap_or(&[]))
            }
            Method::LzmaRaw => {
                let codec = Codec::LzmaRaw {
                    props: LZMA_DEFAULT_PROPS,
                    dict_size: super::superblock::MAX_BLOCK_SIZE,
                    size,
                };
                (codec, input)
            }
        })
    }

    /// Decodes one block into `out`; with `exact`, `out` is exactly the block's size.
    fn decode_into(self, input: &[u8], out: &mut [u8], exact: bool) -> Result<usize, String> {
        let (codec, stream) = self.codec(input, exact.then_some(out.len()))?;
        let n = codec::decompress_into(codec, stream, out).map_err(|e| e.to_string())?;
        if exact && n != out.len() {
            return Err(format!(
                "{} block decompressed to {n} bytes, expected {}",
                self.name(),
                out.len()
            ));
        }
        Ok(n)
    }
}

fn lzma_props(header: &[u8]) -> Option<(u8, u32)> {
    let props = *header.first()?;
    let dict = le32(header, 1)?;
    Some((props, dict))
}

/// The compression of one image: candidates in trial order, and the one chosen.
#[derive(Debug)]
pub(super) struct Decoder {
    candidates: Vec<Method>,
    chosen: OnceLock<Method>,
}

const LZMA_LAYOUTS: [Method; 3] = [Method::LzmaAlone, Method::LzmaShortHeader, Method::LzmaRaw];

impl Decoder {
    pub(super) fn new(sb: &Superblock) -> Decoder {
        let mut candidates = match (sb.version, sb.compressor) {
            (Version::V4, 2) => Vec::new(),
            (Version::V4, 3) => vec![Method::Lzo],
            (Version::V4, 4) => vec![Method::Xz],
            (Version::V4, 5) => vec![Method::Lz4],
            (Version::V4, 6) => vec![Method::Zstd],
            // zlib, and the 2.x/3.x default; vendors swapped in LZMA without saying so.
            _ => vec![Method::Zlib],
        };
        if sb.lzma_magic {
            candidates.clear();
        }
        if candidates.is_empty() || candidates == [Method::Zlib] {
            candidates.extend(LZMA_LAYOUTS);
        }
        Decoder {
            candidates,
            chosen: OnceLock::new(),
        }
    }

    /// The method decided on, once a compressed block has been decoded.
    pub(super) fn chosen(&self) -> Option<Method> {
        self.chosen.get().copied()
    }

    /// Whether blocks may be LZMA streams without an end marker or a size, which decode a
    /// few bytes too many unless told their size.
    pub(super) fn may_be_open_ended(&self) -> bool {
        match self.chosen() {
            Some(method) => matches!(method, Method::LzmaShortHeader | Method::LzmaRaw),
            None => self
                .candidates
                .iter()
                .any(|m| matches!(m, Method::LzmaShortHeader | Method::LzmaRaw)),
        }
    }

    /// Decodes a compressed block into `out`, returning its length. With `exact`, `out` has
    /// exactly the block's uncompressed size (a data block); otherwise it bounds it.
    pub(super) fn decode_into(
        &self,
        input: &[u8],
        out: &mut [u8],
        exact: bool,
    ) -> Result<usize, String> {
        if let Some(method) = self.chosen() {
            return method.decode_into(input, out, exact);
        }
        let mut first_error = None;
        for &method in &self.candidates {
            if !method.plausible(input, out.len()) {
                continue;
            }
            match method.decode_into(input, out, exact) {
                Ok(n) => {
                    let _ = self.chosen.set(method);
                    return Ok(n);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| {
            let names: Vec<&str> = self.candidates.iter().map(|m| m.name()).collect();
            format!("block is not {}", names.join(", "))
        }))
    }

    /// Decodes a compressed block of unknown size (at most `max_out` bytes).
    pub(super) fn decode(&self, input: &[u8], max_out: usize) -> Result<Vec<u8>, String> {
        if let Some(method) = self.chosen() {
            let (codec, stream) = method.codec(input, None)?;
            return codec::decompress(codec, stream, max_out).map_err(|e| e.to_string());
        }
        let mut out = vec![0u8; max_out];
        let n = self.decode_into(input, &mut out, false)?;
        out.truncate(n);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    fn decoder(candidates: Vec<Method>) -> Decoder {
        Decoder {
            candidates,
            chosen: OnceLock::new(),
        }
    }

    #[test]
    fn detects_each_lzma_layout_and_sticks_to_it() {
        let data = b"squashfs block payload ".repeat(300);
        let alone = testkit::lzma_alone(&data, true);
        let with_marker = testkit::lzma_alone(&data, false);
        let short: Vec<u8> = [&alone[..5], &alone[13..]].concat();
        let short_marker: Vec<u8> = [&with_marker[..5], &with_marker[13..]].concat();
        let cases = [
            (alone.clone(), Method::LzmaAlone),
            (short, Method::LzmaShortHeader),
            (short_marker.clone(), Method::LzmaShortHeader),
        ];
        for (block, expected) in cases {
            let d = decoder(LZMA_LAYOUTS.to_vec());
            for exact in [true, false] {
                let mut out = vec![0u8; if exact { data.len() } else { 8192 * 2 }];
                let n = d.decode_into(&block, &mut out, exact).unwrap();
                // Without a size or an end marker, bytes past the end may come out.
                assert_eq!(&out[..data.len()], &data[..], "{expected:?}");
                assert!(n >= data.len(), "{expected:?}: {n}");
            }
            assert_eq!(d.chosen(), Some(expected));
            assert!(d.decode(&block, 2 * data.len()).unwrap().starts_with(&data));
        }
        // Headerless, with the default properties.
        if short_marker[0] == LZMA_DEFAULT_PROPS {
            let d = decoder(LZMA_LAYOUTS.to_vec());
            let mut out = vec![0u8; data.len()];
            assert_eq!(
                d.decode_into(&short_marker[5..], &mut out, true),
                Ok(data.len())
            );
            assert_eq!(d.chosen(), Some(Method::LzmaRaw));
        }
    }

    #[test]
    fn zlib_first_then_lzma_and_clear_errors() {
        let data = b"zlib or lzma? ".repeat(100);
        let d = decoder([vec![Method::Zlib], LZMA_LAYOUTS.to_vec()].concat());
        let mut out = vec![0u8; data.len()];
        let z = testkit::zlib(&data);
        assert_eq!(d.decode_into(&z, &mut out, true), Ok(data.len()));
        assert_eq!(d.chosen(), Some(Method::Zlib));
        let d = decoder([vec![Method::Zlib], LZMA_LAYOUTS.to_vec()].concat());
        assert!(d.decode_into(b"\x01\x02\x03", &mut out, true).is_err());
        assert_eq!(d.chosen(), None);
        let wrong_size = d.decode_into(&z, &mut vec![0u8; data.len() + 1], true);
        assert!(wrong_size.unwrap_err().contains("expected"));
    }
}
