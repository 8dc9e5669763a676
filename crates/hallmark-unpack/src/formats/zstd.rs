//! Zstandard frames (RFC 8878), including concatenated and skippable frames.

use std::io::{self, Read};

use crate::bytes::le32;
use crate::decode::{MemberStream, Tracked};
use crate::format::Magic;

/// zstd: frame magic `28 b5 2f fd`.
pub(crate) struct ZstdFormat;

const FRAME_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Largest window a frame may ask for: 128 MiB, the reference decoder's default. A frame
/// needing more is reported as damaged instead of allocating what the header asks.
const WINDOW_LOG_MAX: u32 = 27;

/// The length of the skippable frames (`0x184D2A5?` little-endian, then a 32-bit length) at
/// the start of `data`: zstd's, which the LZ4 frame format adopted.
pub(crate) fn skippable_frames(data: &[u8]) -> usize {
    let mut skipped = 0usize;
    loop {
        let rest = data.get(skipped..).unwrap_or(&[]);
        let is_skippable = matches!(rest, [m, 0x2a, 0x4d, 0x18, ..] if m & 0xf0 == 0x50);
        let Some(len) = le32(rest, 4).filter(|_| is_skippable) else {
            return skipped;
        };
        let frame = usize::try_from(len).unwrap_or(usize::MAX).saturating_add(8);
        if frame > rest.len() {
            return skipped;
        }
        skipped = skipped.saturating_add(frame);
    }
}

impl MemberStream for ZstdFormat {
    const ID: &'static str = "zstd";
    const DESCRIPTION: &'static str =
        "Zstandard compressed frames, concatenated frames decoded as one";
    const MAGICS: &'static [Magic] = &[Magic::at_start(&FRAME_MAGIC)];

    fn is_member(data: &[u8]) -> bool {
        data.starts_with(&FRAME_MAGIC)
            && data.get(4).is_some_and(|descriptor| descriptor & 0x08 == 0)
    }

    /// Skippable frames between frames.
    fn padding(rest: &[u8]) -> usize {
        skippable_frames(rest)
    }

    fn open<'a>(_data: &'a [u8], input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>> {
        let mut decoder = zstd::stream::read::Decoder::with_buffer(input)?.single_frame();
        decoder.window_log_max(WINDOW_LOG_MAX)?;
        Ok(Box::new(decoder))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, output_bytes};
    use crate::testkit;

    #[test]
    fn decodes_frames_across_skippable_frames() {
        let a = testkit::zstd(b"alpha ");
        let b = testkit::zstd(b"beta");
        let skip = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
        let data = [a.clone(), skip.to_vec(), b.clone(), b"tail".to_vec()].concat();
        let (ex, cx) = extract_ok(&ZstdFormat, &data);
        assert_eq!(output_bytes(&ex), b"alpha beta");
        assert_eq!(ex.consumed, (a.len() + skip.len() + b.len()) as u64);
        assert!(cx.errors.is_empty());
    }

    #[test]
    fn truncated_frame_keeps_output() {
        let payload = testkit::noise(400_000, 5);
        let z = testkit::zstd(&payload);
        let (ex, cx) = extract_ok(&ZstdFormat, &z[..z.len() - 10]);
        let out = output_bytes(&ex);
        assert!(
            out[..] == payload[..out.len()],
            "output differs from the payload"
        );
        assert_eq!(cx.errors.len(), 1);
    }
}
