//! Arcadyan's obfuscated firmware (routers Arcadyan builds for ISPs): an LZMA-alone stream
//! whose first bytes were scrambled.
//!
//! After a 4-byte tag, two 32-byte blocks (at 4 and at 0x68) are swapped, and the one moved
//! to 0x68 had each byte's nibbles swapped and each byte pair exchanged. Undoing that puts an
//! LZMA-alone header at offset 4. The scan looks for the scrambled header's first bytes
//! (`5d 00 00 80`, default properties and an 8 MiB dictionary, scrambled to `00 d5 08 00`) at
//! 0x68; a candidate counts when the unscrambled header is plausible and the stream decodes
//! (ends properly, or a limit cut it). The output is the decompressed stream (variant
//! `lzma`), the extent the tag plus the stream. The tag is not interpreted.

use std::io::Read;

use lzma_rust2::LzmaReader;

use crate::blob::Blob;
use crate::bytes::{le32, le64};
use crate::decode::{Flow, Tracked, pump};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};

/// Arcadyan obfuscated LZMA firmware.
pub(crate) struct ArcadyanFormat;

const MAGICS: &[Magic] = &[Magic {
    bytes: &[0x00, 0xd5, 0x08, 0x00],
    offset: BLOCK2,
}];

const TAG: usize = 4;
const BLOCK: usize = 32;
const BLOCK2: usize = 0x68;
/// End of the scrambled region.
const SCRAMBLED_END: usize = BLOCK2 + BLOCK;

/// Largest dictionary accepted, as for bare LZMA streams.
const DICT_MAX: u32 = 64 << 20;

/// The stream's first bytes, unscrambled: `data[4..0x88]` as it was before obfuscation.
fn unscramble(data: &[u8]) -> Option<Vec<u8>> {
    let first = data.get(TAG..TAG.checked_add(BLOCK)?)?;
    let middle = data.get(TAG.checked_add(BLOCK)?..BLOCK2)?;
    let second = data.get(BLOCK2..SCRAMBLED_END)?;
    let mut out = Vec::with_capacity(SCRAMBLED_END.saturating_sub(TAG));
    for pair in second.chunks_exact(2) {
        if let [a, b] = pair {
            out.push(b.rotate_left(4));
            out.push(a.rotate_left(4));
        }
    }
    out.extend_from_slice(middle);
    out.extend_from_slice(first);
    Some(out)
}

/// LZMA parameters from the unscrambled header, when plausible.
fn lzma_header(head: &[u8]) -> Option<(u8, u32, u64)> {
    let props = *head.first()?;
    let dict = le32(head, 1)?;
    let size = le64(head, 5)?;
    let plausible = props < 9 * 5 * 5
        && (4096..=DICT_MAX).contains(&dict)
        && (size == u64::MAX || (1..=1 << 40).contains(&size));
    plausible.then_some((props, dict, size))
}

impl Format for ArcadyanFormat {
    fn id(&self) -> &'static str {
        "arcadyan"
    }

    fn description(&self) -> &'static str {
        "Arcadyan obfuscated firmware (scrambled LZMA header), de-obfuscated and decompressed"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Container
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        unscramble(data).is_some_and(|head| lzma_header(&head).is_some())
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let head = unscramble(data).ok_or_else(|| Rejected::new("too short"))?;
        let (props, dict, size) =
            lzma_header(&head).ok_or_else(|| Rejected::new("implausible LZMA header"))?;
        let need_kib = lzma_rust2::lzma_get_memory_usage_by_props(dict, props)
            .map_err(|e| Rejected::new(e.to_string()))?;
        if need_kib > crate::formats::xz::MEM_LIMIT_KIB {
            return Err(Rejected::new("dictionary too large"));
        }
        let rest = data.get(SCRAMBLED_END..).unwrap_or(&[]);
        let tracked = Tracked::new(rest);
        let position = tracked.clone();
        let stream = head.get(13..).unwrap_or(&[]).chain(tracked);
        let mut reader = LzmaReader::new_with_props(stream, size, props, dict, None)
            .map_err(|e| Rejected::new(e.to_string()))?;
        reader.set_relaxed_end_condition(false);
        let mut out = Vec::new();
        let consumed = || u64::try_from(position.pos()).unwrap_or(u64::MAX);
        let flow = pump(&mut reader as &mut dyn Read, &mut out, &consumed, cx);
        let (_, unused) = reader.into_parts();
        let end = SCRAMBLED_END
            .saturating_add(position.pos())
            .saturating_sub(unused.len());
        match flow {
            Flow::End | Flow::Limit if !out.is_empty() => {}
            Flow::End | Flow::Limit => return Err(Rejected::new("empty stream")),
            Flow::Failed(e) if out.is_empty() => return Err(Rejected::new(e.to_string())),
            Flow::Failed(e) => cx.error(
                u64::try_from(end).unwrap_or(u64::MAX),
                format!("stream damaged after {} bytes of output: {e}", out.len()),
            ),
        }
        out.shrink_to_fit();
        Ok(Extracted {
            consumed: u64::try_from(end.max(SCRAMBLED_END)).unwrap_or(u64::MAX),
            output: Output::Blob(Blob::from(out)),
            variant: Some("lzma"),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_bytes};
    use crate::testkit;

    /// An obfuscated image of `payload` (LZMA with an 8 MiB dictionary, as Arcadyan's are).
    pub(crate) fn sample(payload: &[u8], known_size: bool) -> Vec<u8> {
        let mut lzma = testkit::lzma_alone(payload, known_size);
        lzma[1..5].copy_from_slice(&(8u32 << 20).to_le_bytes());
        testkit::arcadyan(&lzma)
    }

    #[test]
    fn deobfuscates_and_decodes_with_the_exact_extent() {
        let payload = [b"arcadyan firmware ".repeat(400), testkit::noise(1000, 2)].concat();
        for known in [true, false] {
            let image = sample(&payload, known);
            assert_eq!(&image[BLOCK2..BLOCK2 + 4], &[0x00, 0xd5, 0x08, 0x00]);
            let data = [image.clone(), vec![0xff; 50]].concat();
            let (ex, cx) = extract_ok(&ArcadyanFormat, &data);
            assert!(cx.errors.is_empty(), "{:?}", cx.errors);
            assert_eq!(output_bytes(&ex), payload);
            assert_eq!(ex.consumed, image.len() as u64, "known size {known}");
        }
    }

    #[test]
    fn plain_data_is_rejected() {
        let mut data = testkit::noise(4096, 5);
        data[BLOCK2..BLOCK2 + 4].copy_from_slice(&[0x00, 0xd5, 0x08, 0x00]);
        assert!(
            extract_with(&ArcadyanFormat, &data, &Default::default())
                .0
                .is_err()
        );
        assert!(!ArcadyanFormat.probe(&data[..0x80]));
    }
}
