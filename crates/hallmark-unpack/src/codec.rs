//! Bounded decompression of self-contained blocks, for the filesystem readers.
//!
//! Filesystems (squashfs, jffs2, cramfs, UBIFS, ...) compress their data in blocks whose
//! uncompressed size the format bounds (a squashfs block is at most 1 MiB, a jffs2 node at most
//! a page). Each reader calls [`decompress`] with that bound: a block that would grow past it
//! is an error, never an allocation driven by the input. Budget accounting for what the blocks
//! add up to is the reader's job, through [`Context::reserve`](crate::format::Context::reserve).

use std::fmt;
use std::io::Read;

/// A block compression scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // Some codecs wait for the filesystem readers that use them.
pub(crate) enum Codec {
    /// zlib (RFC 1950): deflate with a 2-byte header and an Adler-32 trailer.
    Zlib,
    /// Raw deflate (RFC 1951), no header.
    Deflate,
    /// gzip (RFC 1952) member.
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
        /// with an end marker.
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
        Codec::Xz => read_bounded(lzma_rust2::XzReader::new(input, false), max_out),
        Codec::LzmaAlone => {
            let dict = input
                .get(1..5)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .ok_or_else(|| BlockError::Corrupt("short lzma header".into()))?;
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
