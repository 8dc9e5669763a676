//! "LZMA alone" (`.lzma`) streams: a 13-byte header, then raw LZMA.
//!
//! Firmware vendors wrote many variants of this header (no size field, odd dictionary sizes,
//! big-endian fields). Each variant is one [`HeaderVariant`] in [`VARIANTS`]: a magic for the
//! signature scan and a parser giving the LZMA parameters: the standard header with the
//! default properties, and the same header with lc=1/lp=2/pb=2 (OpenWrt and TP-Link MIPS
//! kernels) or lc=2/lp=2/pb=2 (TP-Link VxWorks kernels). Adding a vendor variant is adding one entry.
//!
//! The magic is short and an LZMA decoder turns almost any bytes into output, so a candidate
//! counts only when its stream ends properly (end marker, or exactly the declared size) or a
//! limit cut it.

use std::io::Read;

use lzma_rust2::{LzmaReader, lzma_get_memory_usage_by_props};

use crate::blob::Blob;
use crate::bytes::{le32, le64};
use crate::decode::{Flow, Tracked, pump};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};

/// LZMA alone with the standard header.
pub(crate) struct LzmaFormat;

/// Parameters of an LZMA stream read from a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LzmaHeader {
    /// `lc`/`lp`/`pb` packed as `(pb * 5 + lp) * 9 + lc`.
    pub props: u8,
    pub dict_size: u32,
    /// Uncompressed size, `None` when the stream ends with an end marker.
    pub size: Option<u64>,
    /// Header length: where the LZMA data starts.
    pub header_len: usize,
}

/// One header layout.
pub(crate) struct HeaderVariant {
    pub name: &'static str,
    pub magic: Magic,
    pub parse: fn(&[u8]) -> Option<LzmaHeader>,
}

/// Header layouts tried, in order.
pub(crate) const VARIANTS: &[HeaderVariant] = &[
    HeaderVariant {
        name: "standard",
        magic: STANDARD_MAGIC,
        parse: parse_standard,
    },
    HeaderVariant {
        name: "lc1-lp2-pb2",
        magic: LC1_LP2_MAGIC,
        parse: parse_standard,
    },
    HeaderVariant {
        name: "lc2-lp2-pb2",
        magic: LC2_LP2_MAGIC,
        parse: parse_standard,
    },
];

/// Default properties (lc=3, lp=0, pb=2) and a dictionary size that is a multiple of 64 KiB:
/// what `lzma`, `xz --format=lzma` and most SDKs write.
const STANDARD_MAGIC: Magic = Magic::at_start(&[0x5d, 0x00, 0x00]);

/// The standard header with properties lc=1, lp=2, pb=2 (`0x6d`), what OpenWrt's ar71xx
/// images (`lzma -lc1 -lp2 -pb2`) and TP-Link kernels built the same way carry.
const LC1_LP2_MAGIC: Magic = Magic::at_start(&[0x6d, 0x00, 0x00]);

/// The standard header with properties lc=2, lp=2, pb=2 (`0x6e`), as in TP-Link's VxWorks
/// kernels.
const LC2_LP2_MAGIC: Magic = Magic::at_start(&[0x6e, 0x00, 0x00]);

/// One magic per variant, in [`VARIANTS`] order.
const MAGICS: &[Magic] = &[STANDARD_MAGIC, LC1_LP2_MAGIC, LC2_LP2_MAGIC];

/// Largest dictionary accepted: 64 MiB, what `lzma -9` uses. Larger ones are rejected rather
/// than allocated.
const DICT_MAX: u32 = 64 << 20;

/// Declared sizes above this are not plausible for a firmware component.
const SIZE_MAX: u64 = 1 << 40;

fn parse_standard(data: &[u8]) -> Option<LzmaHeader> {
    let header = data.get(..13)?;
    let props = *header.first()?;
    let dict_size = le32(header, 1)?;
    let size = le64(header, 5)?;
    let size = (size != u64::MAX).then_some(size);
    let plausible = props < 9 * 5 * 5
        && (4096..=DICT_MAX).contains(&dict_size)
        && size.is_none_or(|size| (1..=SIZE_MAX).contains(&size));
    plausible.then_some(LzmaHeader {
        props,
        dict_size,
        size,
        header_len: 13,
    })
}

fn parse_any(data: &[u8]) -> Option<(&'static HeaderVariant, LzmaHeader)> {
    VARIANTS.iter().find_map(|variant| {
        let magic_at = data.get(variant.magic.offset..)?;
        if !magic_at.starts_with(variant.magic.bytes) {
            return None;
        }
        (variant.parse)(data).map(|header| (variant, header))
    })
}

impl Format for LzmaFormat {
    fn id(&self) -> &'static str {
        "lzma"
    }

    fn description(&self) -> &'static str {
        "LZMA alone (.lzma) stream, accepted only when it ends properly"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Compression
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        parse_any(data).is_some()
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let (variant, header) = parse_any(data).ok_or_else(|| Rejected::new("bad header"))?;
        let need_kib = lzma_get_memory_usage_by_props(header.dict_size, header.props)
            .map_err(|e| Rejected::new(e.to_string()))?;
        if need_kib > crate::formats::xz::MEM_LIMIT_KIB {
            return Err(Rejected::new("dictionary too large"));
        }
        let body = data
            .get(header.header_len..)
            .ok_or_else(|| Rejected::new("no data after header"))?;
        let tracked = Tracked::new(body);
        let position = tracked.clone();
        let mut reader = LzmaReader::new_with_props(
            tracked,
            header.size.unwrap_or(u64::MAX),
            header.props,
            header.dict_size,
            None,
        )
        .map_err(|e| Rejected::new(e.to_string()))?;
        reader.set_relaxed_end_condition(false);
        let mut out = Vec::new();
        let consumed = || u64::try_from(position.pos()).unwrap_or(u64::MAX);
        let flow = pump(&mut reader as &mut dyn Read, &mut out, &consumed, cx);
        match flow {
            Flow::End | Flow::Limit if !out.is_empty() => {}
            Flow::End | Flow::Limit => return Err(Rejected::new("empty stream")),
            Flow::Failed(e) => return Err(Rejected::new(e.to_string())),
        }
        // The reader reads ahead; what it buffered but did not use is not part of the stream.
        let (_, unused) = reader.into_parts();
        let used = position.pos().saturating_sub(unused.len());
        out.shrink_to_fit();
        Ok(Extracted {
            consumed: u64::try_from(header.header_len.saturating_add(used)).unwrap_or(u64::MAX),
            output: Output::Blob(Blob::from(out)),
            variant: Some(variant.name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_bytes};
    use crate::testkit;

    #[test]
    fn decodes_known_and_unknown_size_streams_with_exact_extent() {
        let payload = b"lzma alone payload, lzma alone payload".repeat(50);
        for known in [true, false] {
            let z = testkit::lzma_alone(&payload, known);
            let data = [z.clone(), b"after".to_vec()].concat();
            let (ex, cx) = extract_ok(&LzmaFormat, &data);
            assert_eq!(output_bytes(&ex), payload, "known size {known}");
            assert_eq!(ex.consumed, z.len() as u64, "known size {known}");
            assert!(cx.errors.is_empty());
        }
    }

    #[test]
    fn vendor_property_variants_are_found_and_named() {
        let payload = b"mips kernel text, mips kernel text ".repeat(60);
        for (lc, variant) in [(1, "lc1-lp2-pb2"), (2, "lc2-lp2-pb2")] {
            let mut options = lzma_rust2::LzmaOptions::with_preset(1);
            options.lc = lc;
            options.lp = 2;
            options.pb = 2;
            let mut enc = lzma_rust2::LzmaWriter::new_use_header(
                Vec::new(),
                &options,
                Some(payload.len() as u64),
            )
            .unwrap();
            std::io::Write::write_all(&mut enc, &payload).unwrap();
            let z = enc.finish().unwrap();
            assert!(MAGICS.iter().any(|m| z.starts_with(m.bytes)), "{variant}");
            let (ex, _) = extract_ok(&LzmaFormat, &z);
            assert_eq!(output_bytes(&ex), payload);
            assert_eq!(ex.variant, Some(variant));
        }
    }

    #[test]
    fn implausible_headers_and_broken_streams_are_rejected() {
        let z = testkit::lzma_alone(&testkit::noise(50_000, 2), false);
        assert!(LzmaFormat.probe(&z));
        assert!(
            extract_with(&LzmaFormat, &z[..z.len() / 2], &Default::default())
                .0
                .is_err()
        );
        let mut huge_dict = z.clone();
        huge_dict[4] = 0x40; // 1 GiB dictionary
        assert!(!LzmaFormat.probe(&huge_dict));
        let mut huge_size = z.clone();
        huge_size[5..13].copy_from_slice(&(1u64 << 50).to_le_bytes());
        assert!(!LzmaFormat.probe(&huge_size));
        let noise = [
            &[0x5d, 0, 0, 0x10, 0][..],
            &[0xff; 8],
            &testkit::noise(4096, 8),
        ]
        .concat();
        assert!(
            extract_with(&LzmaFormat, &noise, &Default::default())
                .0
                .is_err()
        );
    }
}
