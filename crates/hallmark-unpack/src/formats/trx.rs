//! Broadcom TRX firmware images (`HDR0`), as used by Broadcom-based routers (Linksys, Asus,
//! Netgear, ...).
//!
//! Little-endian header: magic, total length, CRC-32 over everything from the flags field to
//! the declared length, flags and version (1: three partition offsets, 28-byte header; 2:
//! four offsets, 32 bytes). Each non-zero offset starts a partition (usually loader, kernel,
//! root filesystem) that runs to the next one or to the declared length; they become
//! `/partition-1` ... (numbered by their slot in the header). Offsets into the header, past the
//! length or not increasing are recorded as damage and skipped; a CRC mismatch is recorded,
//! not rejected. The extent is the declared length. Flags are not interpreted.

use crate::blob::Blob;
use crate::bytes::{le32, to_u64, to_usize};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::parts::Parts;
use crate::tree::Entry;

/// Broadcom TRX image.
pub(crate) struct TrxFormat;

const MAGICS: &[Magic] = &[Magic::at_start(b"HDR0")];

struct Header {
    len: usize,
    crc: u32,
    version: u16,
    header_len: usize,
    offsets: Vec<usize>,
}

fn parse(data: &[u8]) -> Option<Header> {
    if !data.starts_with(b"HDR0") {
        return None;
    }
    let len = to_usize(le32(data, 4)?);
    let crc = le32(data, 8)?;
    let version = u16::try_from(le32(data, 12)? >> 16).ok()?;
    let slots: usize = match version {
        1 => 3,
        2 => 4,
        _ => return None,
    };
    let header_len = 16usize.checked_add(slots.checked_mul(4)?)?;
    let offsets = (0..slots)
        .map(|i: usize| le32(data, 16usize.checked_add(i.checked_mul(4)?)?).map(to_usize))
        .collect::<Option<Vec<usize>>>()?;
    // The first partition starts right after the header in every image seen; requiring a
    // sane first offset keeps stray "HDR0" strings out.
    let first = *offsets.first()?;
    let plausible = len >= header_len && (header_len..len).contains(&first);
    plausible.then_some(Header {
        len,
        crc,
        version,
        header_len,
        offsets,
    })
}

impl Format for TrxFormat {
    fn id(&self) -> &'static str {
        "trx"
    }

    fn description(&self) -> &'static str {
        "Broadcom TRX firmware image (HDR0), partitions as parts"
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
        let header = parse(data).ok_or_else(|| Rejected::new("not a plausible TRX header"))?;
        let parts = Parts::new(data, header.len, cx);
        let end = parts.end;
        if header.len <= data.len() {
            let covered = data.get(12..header.len).unwrap_or(&[]);
            // TRX stores the CRC-32 register without the final inversion.
            let computed = !crc32fast::hash(covered);
            if computed != header.crc {
                cx.error(
                    8,
                    format!(
                        "CRC mismatch: header says {:#010x}, computed {computed:#010x}",
                        header.crc
                    ),
                );
            }
        }
        // Keep the offsets that start a partition where one can be.
        let mut starts: Vec<(usize, usize)> = Vec::new();
        for (slot, &offset) in header.offsets.iter().enumerate() {
            if offset == 0 {
                continue;
            }
            let previous = starts.last().map_or(0, |&(_, start)| start);
            let problem = if offset < header.header_len {
                Some("points into the header")
            } else if offset >= header.len {
                Some("is past the declared length")
            } else if offset <= previous {
                Some("does not follow the previous partition")
            } else {
                None
            };
            if let Some(problem) = problem {
                cx.error(
                    to_u64(16usize.saturating_add(slot.saturating_mul(4))),
                    format!(
                        "partition {} offset {offset:#x} {problem}: skipped",
                        slot.saturating_add(1)
                    ),
                );
                continue;
            }
            starts.push((slot, offset));
        }
        let mut tree = cx.new_tree();
        for (index, &(slot, start)) in starts.iter().enumerate() {
            let stop = starts
                .get(index.saturating_add(1))
                .map_or(header.len, |&(_, next)| next)
                .min(end);
            let name = format!("partition-{}", slot.saturating_add(1));
            let content = parts.carve(&name, start, stop.saturating_sub(start), cx);
            if !cx.add(&mut tree, Entry::file(&name, content)) {
                break;
            }
        }
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: to_u64(end),
            output: Output::Tree(tree),
            variant: Some(if header.version == 1 { "v1" } else { "v2" }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::testkit::trx;

    #[test]
    fn partitions_run_to_the_next_offset() {
        let image = trx(1, &[b"loader".as_slice(), b"kernel data", b"rootfs!"]);
        let data = [image.clone(), vec![0xff; 64]].concat();
        let (ex, cx) = extract_ok(&TrxFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, image.len() as u64);
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/partition-1").unwrap().as_slice(), b"loader");
        assert_eq!(
            tree.read("/partition-2").unwrap().as_slice(),
            b"kernel data"
        );
        assert_eq!(tree.read("/partition-3").unwrap().as_slice(), b"rootfs!");
        let v2 = trx(2, &[b"a".as_slice(), b"b", b"c", b"d"]);
        let (ex, _) = extract_ok(&TrxFormat, &v2);
        assert_eq!(output_tree(&ex).files().count(), 4);
        assert_eq!(ex.variant, Some("v2"));
    }

    #[test]
    fn crc_mismatch_and_bad_offsets_are_recorded() {
        let mut image = trx(1, &[b"one".as_slice(), b"two", b"three"]);
        let last = image.len() - 1;
        image[last] ^= 0xff;
        let (_, cx) = extract_ok(&TrxFormat, &image);
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
        // Second offset pointing backwards, third into the header.
        let mut bad = trx(1, &[b"one".as_slice(), b"two", b"three"]);
        bad[20..24].copy_from_slice(&28u32.to_le_bytes());
        bad[24..28].copy_from_slice(&4u32.to_le_bytes());
        let (ex, cx) = extract_ok(&TrxFormat, &bad);
        assert_eq!(output_tree(&ex).files().count(), 1);
        assert!(cx.errors.len() >= 2, "{:?}", cx.errors);
    }

    #[test]
    fn implausible_headers_are_rejected() {
        let image = trx(1, &[b"x".as_slice()]);
        let mut bad_version = image.clone();
        bad_version[14] = 7;
        assert!(!TrxFormat.probe(&bad_version));
        let mut short = image.clone();
        short[4..8].copy_from_slice(&10u32.to_le_bytes());
        assert!(
            extract_with(&TrxFormat, &short, &Default::default())
                .0
                .is_err()
        );
        let (ex, cx) = extract_ok(&TrxFormat, &image[..image.len() - 1]);
        assert_eq!(ex.consumed, image.len() as u64 - 1);
        assert_eq!(cx.errors.len(), 1);
    }
}
