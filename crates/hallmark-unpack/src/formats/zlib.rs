//! zlib (RFC 1950) streams: the deflate wrapper found in many firmware blobs.
//!
//! The zlib magic is only two bytes, so a candidate counts only when its stream ends cleanly
//! (the Adler-32 trailer matches) or a limit cut it after real output: a damaged stream is left
//! as raw bytes rather than guessed at.

use flate2::bufread::ZlibDecoder;

use crate::blob::Blob;
use crate::decode::{Flow, Tracked, pump};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};

/// zlib with a 32 KiB window (CMF `0x78`), the only window size seen in practice.
pub(crate) struct ZlibFormat;

const MAGICS: &[Magic] = &[
    Magic::at_start(&[0x78, 0x01]),
    Magic::at_start(&[0x78, 0x5e]),
    Magic::at_start(&[0x78, 0x9c]),
    Magic::at_start(&[0x78, 0xda]),
];

impl Format for ZlibFormat {
    fn id(&self) -> &'static str {
        "zlib"
    }

    fn description(&self) -> &'static str {
        "zlib compressed stream (RFC 1950), accepted only when it decodes cleanly"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Compression
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        match data {
            [cmf, flg, _, ..] => {
                let check = u16::from(*cmf)
                    .wrapping_mul(256)
                    .wrapping_add(u16::from(*flg));
                cmf & 0x0f == 8 && check % 31 == 0 && flg & 0x20 == 0
            }
            _ => false,
        }
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let tracked = Tracked::new(data);
        let position = tracked.clone();
        let mut decoder = ZlibDecoder::new(tracked);
        let mut out = Vec::new();
        let consumed = || u64::try_from(position.pos()).unwrap_or(u64::MAX);
        let flow = pump(&mut decoder, &mut out, &consumed, cx);
        drop(decoder);
        match flow {
            Flow::End if !out.is_empty() => {}
            Flow::Limit if !out.is_empty() => {}
            Flow::End | Flow::Limit => return Err(Rejected::new("empty zlib stream")),
            Flow::Failed(e) => return Err(Rejected::new(e.to_string())),
        }
        out.shrink_to_fit();
        Ok(Extracted {
            consumed: u64::try_from(position.pos().max(1)).unwrap_or(u64::MAX),
            output: Output::Blob(Blob::from(out)),
            variant: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_bytes};
    use crate::testkit;

    #[test]
    fn decodes_and_measures_the_extent() {
        let z = testkit::zlib(b"zlib payload zlib payload");
        let data = [z.clone(), b"junk".to_vec()].concat();
        let (ex, _) = extract_ok(&ZlibFormat, &data);
        assert_eq!(ex.consumed, z.len() as u64);
        assert_eq!(output_bytes(&ex), b"zlib payload zlib payload");
    }

    #[test]
    fn damaged_streams_are_not_guessed_at() {
        let z = testkit::zlib(&testkit::noise(10_000, 3));
        assert!(
            extract_with(&ZlibFormat, &z[..z.len() / 2], &Default::default())
                .0
                .is_err()
        );
        assert!(!ZlibFormat.probe(&[0x78, 0x9d, 0]));
        assert!(!ZlibFormat.probe(&[0x78]));
    }
}
