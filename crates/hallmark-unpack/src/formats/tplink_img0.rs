//! TP-Link's `IMG0` container of VxWorks-era router firmware (TL-WR7xx/8xx with VxWorks 5.5).
//!
//! Big-endian header, read from what the images show (no public specification): `IMG0`, the
//! length from the magic to the end of the image, product and version words, then at 0x40 the
//! header length followed by the first part's length and up to two more (offset, length)
//! pairs, offsets from the magic. A whole image nests two of them: the outer one covers the
//! boot ROM and an inner `IMG0` whose parts are the LZMA-compressed VxWorks kernel, the
//! compressed web filesystem and a trailer. Parts become `/part-1` ... (numbered by their slot);
//! they are not interpreted here (the kernel's LZMA header is found by the scan). A candidate
//! needs a header length between the fields and 4 KiB and a first part that lies inside the
//! declared length; parts past the data or overlapping are recorded. The bytes before the
//! magic (a length and a checksum, in the files seen) and the product words are not read;
//! no checksum is verified.

use crate::blob::Blob;
use crate::bytes::{be32, to_u64, to_usize};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::parts::Parts;

/// TP-Link VxWorks `IMG0` container.
pub(crate) struct TplinkImg0Format;

const MAGICS: &[Magic] = &[Magic::at_start(b"IMG0")];

/// Where the part table starts.
const TABLE: usize = 0x40;

/// Smallest and largest header lengths accepted.
const HEADER_MIN: usize = TABLE + 6 * 4;
const HEADER_MAX: usize = 0x1000;

struct Header {
    size: usize,
    header_len: usize,
    /// (offset, length) of each slot, the first at the header's end.
    parts: [(usize, usize); 3],
}

fn parse(data: &[u8]) -> Option<Header> {
    if !data.starts_with(b"IMG0") {
        return None;
    }
    let field = |n: usize| be32(data, TABLE.checked_add(n.checked_mul(4)?)?).map(to_usize);
    let size = to_usize(be32(data, 4)?);
    let header_len = field(0)?;
    let parts = [
        (header_len, field(1)?),
        (field(2)?, field(3)?),
        (field(4)?, field(5)?),
    ];
    let first_end = header_len.checked_add(parts.first()?.1)?;
    let plausible = (HEADER_MIN..=HEADER_MAX).contains(&header_len)
        && header_len % 4 == 0
        && size >= first_end
        && parts.first()?.1 > 0;
    plausible.then_some(Header {
        size,
        header_len,
        parts,
    })
}

impl Format for TplinkImg0Format {
    fn id(&self) -> &'static str {
        "tplink-img0"
    }

    fn description(&self) -> &'static str {
        "TP-Link VxWorks IMG0 container, parts as files"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Container
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        parse(data).is_some()
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let header = parse(data).ok_or_else(|| Rejected::new("not a plausible IMG0 header"))?;
        let parts = Parts::new(data, header.size, cx);
        let end = parts.end;
        let mut tree = cx.new_tree();
        let mut previous_end = header.header_len;
        for (slot, &(offset, len)) in header.parts.iter().enumerate() {
            if len == 0 {
                continue;
            }
            let name = format!("part-{}", slot.saturating_add(1));
            let part_end = offset.saturating_add(len);
            if offset < previous_end {
                cx.error(
                    to_u64(offset),
                    format!("{name} at {offset:#x} overlaps the header or the previous part"),
                );
            }
            if offset >= end {
                cx.error(
                    to_u64(offset),
                    format!("{name} at {offset:#x} is not in the data: skipped"),
                );
                continue;
            }
            if !parts.add(&mut tree, &name, offset, len, cx) {
                break;
            }
            previous_end = previous_end.max(part_end);
        }
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: to_u64(end.max(header.header_len.min(data.len()))),
            output: Output::Tree(tree),
            variant: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::testkit::img0;

    #[test]
    fn parts_as_the_table_says() {
        let image = img0(&[b"kernel".as_slice(), b"web filesystem", b"tail"]);
        let data = [image.clone(), vec![0xff; 40]].concat();
        let (ex, cx) = extract_ok(&TplinkImg0Format, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, image.len() as u64);
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/part-1").unwrap().as_slice(), b"kernel");
        assert_eq!(tree.read("/part-2").unwrap().as_slice(), b"web filesystem");
        assert_eq!(tree.read("/part-3").unwrap().as_slice(), b"tail");
    }

    #[test]
    fn lying_tables_are_recorded() {
        let image = img0(&[b"kernel".as_slice(), b"web filesystem", b"tail"]);
        let mut overlap = image.clone();
        overlap[0x48..0x4c].copy_from_slice(&0x10u32.to_be_bytes());
        let (_, cx) = extract_ok(&TplinkImg0Format, &overlap);
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
        let mut past = image.clone();
        past[0x50..0x54].copy_from_slice(&u32::MAX.to_be_bytes());
        let (ex, cx) = extract_ok(&TplinkImg0Format, &past);
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
        assert_eq!(output_tree(&ex).files().count(), 2);
        let (_, cx) = extract_ok(&TplinkImg0Format, &image[..image.len() - 2]);
        assert_eq!(cx.errors.len(), 2, "{:?}", cx.errors);
        let mut bad_header = image.clone();
        bad_header[0x40..0x44].copy_from_slice(&3u32.to_be_bytes());
        assert!(
            extract_with(&TplinkImg0Format, &bad_header, &Default::default())
                .0
                .is_err()
        );
    }
}
