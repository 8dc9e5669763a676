//! Legacy U-Boot images (`mkimage -A ... -T ...`): a 64-byte big-endian header, then the
//! payload.
//!
//! The header holds the magic `27 05 19 56`, a CRC-32 of itself, a timestamp, the payload size,
//! load and entry addresses, a CRC-32 of the payload, OS, architecture, image type and
//! compression codes, and a 32-byte image name. A candidate is accepted when the magic is
//! there, every code is one U-Boot defines (or close to it) and the name is text (or, when it
//! is not, the header CRC is right); a wrong header or payload CRC is then recorded as damage,
//! not a rejection. The layer's extent is the
//! header plus the declared payload (never more, so what follows, such as a root filesystem in
//! the same flash image, stays for the scan of the parent).
//!
//! The output is the payload decompressed as the header says (gzip, bzip2, LZMA alone, lzop,
//! LZ4 frame, zstd), bounded like any stream; a payload that does not decode is kept as
//! stored, with the error recorded. Multi-file images (and scripts, which use the same layout)
//! become a tree of `/image-1`, `/image-2`, ... from the size table after the header. The
//! variant is the image type (`kernel`, `ramdisk`, `multi`, `firmware`, ...). Not read: the
//! timestamp, addresses, OS, architecture and name are validated but have no place in a layer
//! yet.

use crate::blob::Blob;
use crate::bytes::{be32, to_u64};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::payload::{self, Compression};
use crate::tree::Entry;

/// Legacy U-Boot image.
pub(crate) struct UimageFormat;

const MAGICS: &[Magic] = &[Magic::at_start(&[0x27, 0x05, 0x19, 0x56])];

const HEADER: usize = 64;

/// Highest OS, architecture and image type codes accepted. U-Boot defines fewer today; a
/// little room is left for newer ones.
const MAX_OS: u8 = 40;
const MAX_ARCH: u8 = 40;
const MAX_TYPE: u8 = 60;

/// Most sub-images of a multi-file image.
const MAX_SUB_IMAGES: usize = 1024;

const TYPE_MULTI: u8 = 4;
const TYPE_SCRIPT: u8 = 6;

/// The fields of a header that matter here.
struct Header {
    header_crc: u32,
    size: u32,
    data_crc: u32,
    image_type: u8,
    compression: Compression,
}

fn compression(code: u8) -> Option<Compression> {
    Some(match code {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Bzip2,
        3 => Compression::Lzma,
        4 => Compression::Lzo,
        5 => Compression::Lz4,
        6 => Compression::Zstd,
        _ => return None,
    })
}

fn type_name(code: u8) -> &'static str {
    match code {
        1 => "standalone",
        2 => "kernel",
        3 => "ramdisk",
        4 => "multi",
        5 => "firmware",
        6 => "script",
        7 => "filesystem",
        8 => "flat_dt",
        14 => "kernel_noload",
        _ => "other",
    }
}

/// The image name: printable text up to a NUL or the end of the field (what follows a NUL is
/// not looked at: some tools leave stale bytes there).
fn name_is_text(name: &[u8]) -> bool {
    let end = memchr::memchr(0, name).unwrap_or(name.len());
    name.get(..end)
        .is_some_and(|text| text.iter().all(|&b| (0x20..0x7f).contains(&b)))
}

fn parse(data: &[u8]) -> Option<Header> {
    let header = data.get(..HEADER)?;
    if !header.starts_with(&[0x27, 0x05, 0x19, 0x56]) {
        return None;
    }
    let os = *header.get(28)?;
    let arch = *header.get(29)?;
    let image_type = *header.get(30)?;
    let compression = compression(*header.get(31)?)?;
    let plausible = (1..=MAX_OS).contains(&os)
        && (1..=MAX_ARCH).contains(&arch)
        && (1..=MAX_TYPE).contains(&image_type)
        // A name in another encoding is fine when the header CRC vouches for the header.
        && (name_is_text(header.get(32..64)?) || header_crc(header) == be32(header, 4)?);
    plausible.then_some(Header {
        header_crc: be32(header, 4)?,
        size: be32(header, 12)?,
        data_crc: be32(header, 24)?,
        image_type,
        compression,
    })
}

fn header_crc(header: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(header.get(..4).unwrap_or(&[]));
    hasher.update(&[0; 4]);
    hasher.update(header.get(8..HEADER).unwrap_or(&[]));
    hasher.finalize()
}

impl Format for UimageFormat {
    fn id(&self) -> &'static str {
        "uimage"
    }

    fn description(&self) -> &'static str {
        "legacy U-Boot image (64-byte header with CRCs), payload decompressed"
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
        let header = parse(data).ok_or_else(|| Rejected::new("not a plausible uImage header"))?;
        let computed = header_crc(data);
        if computed != header.header_crc {
            cx.error(
                4,
                format!(
                    "header CRC mismatch: header says {:#010x}, computed {computed:#010x}",
                    header.header_crc
                ),
            );
        }
        let size = usize::try_from(header.size).unwrap_or(usize::MAX);
        let end = HEADER.saturating_add(size);
        let available = data.len().saturating_sub(HEADER);
        let stored = if end > data.len() {
            cx.error(
                to_u64(data.len()),
                format!("payload truncated: {available} of {size} bytes present"),
            );
            data.slice_from(HEADER).unwrap_or_default()
        } else {
            let stored = data.slice(HEADER..end).unwrap_or_default();
            let computed = crc32fast::hash(&stored);
            if computed != header.data_crc {
                cx.error(
                    24,
                    format!(
                        "payload CRC mismatch: header says {:#010x}, computed {computed:#010x}",
                        header.data_crc
                    ),
                );
            }
            stored
        };
        let consumed = to_u64(end.min(data.len()));
        let output = if matches!(header.image_type, TYPE_MULTI | TYPE_SCRIPT) {
            Output::Tree(sub_images(&stored, header.compression, cx))
        } else {
            let what = type_name(header.image_type);
            Output::Blob(payload::decompress_or_keep(
                &stored,
                header.compression,
                to_u64(HEADER),
                what,
                cx,
            ))
        };
        Ok(Extracted {
            consumed,
            output,
            variant: Some(type_name(header.image_type)),
        })
    }
}

/// The sub-images of a multi-file image: a table of big-endian sizes ended by a zero, then
/// each image padded to 4 bytes. Each is decoded as the header says when it decodes (U-Boot
/// itself only decompresses the kernel, so one that does not decode is kept quietly).
fn sub_images(
    stored: &Blob,
    compression: Compression,
    cx: &mut Context<'_>,
) -> crate::tree::FileTree {
    let mut tree = cx.new_tree();
    let mut sizes = Vec::new();
    let mut at = 0usize;
    loop {
        let Some(size) = be32(stored, at) else {
            cx.error(
                to_u64(HEADER.saturating_add(at)),
                "size table runs past the payload",
            );
            break;
        };
        at = at.saturating_add(4);
        if size == 0 {
            break;
        }
        if sizes.len() >= MAX_SUB_IMAGES {
            cx.error(
                to_u64(HEADER),
                format!("more than {MAX_SUB_IMAGES} sub-images: the rest are ignored"),
            );
            break;
        }
        sizes.push(usize::try_from(size).unwrap_or(usize::MAX));
    }
    for (index, size) in sizes.into_iter().enumerate() {
        if cx.time_up("reading sub-images") {
            break;
        }
        let name = format!("image-{}", index.saturating_add(1));
        let offset = to_u64(HEADER.saturating_add(at));
        let end = at.saturating_add(size);
        if end > stored.len() {
            cx.error(
                offset,
                format!(
                    "{name} truncated: {} of {size} bytes present",
                    stored.len().saturating_sub(at)
                ),
            );
        }
        let part = stored
            .slice(at.min(stored.len())..end.min(stored.len()))
            .unwrap_or_default();
        // Stored (or decoded) content is cut at the per-file limit like any other part.
        let content = payload::decompress(&part, compression, offset, &name, cx).unwrap_or(part);
        let len = cx.cap_file(name.as_bytes(), content.len());
        let content = content.slice(0..len).unwrap_or_default();
        if !cx.add(&mut tree, Entry::file(&name, content)) {
            break;
        }
        if end >= stored.len() {
            break;
        }
        at = end.saturating_add(3) & !3;
    }
    cx.charge_tree(&tree);
    tree
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_bytes, output_tree};
    use crate::limits::Limits;
    use crate::testkit::{self, uimage};

    #[test]
    fn decodes_each_compression_and_stops_at_the_declared_size() {
        let payload = b"Linux version 4.14.180 (stub)\n".repeat(40);
        for (code, packed) in [
            (0, payload.clone()),
            (1, testkit::gzip(&payload)),
            (2, testkit::bzip2(&payload)),
            (3, testkit::lzma_alone(&payload, false)),
            (4, testkit::lzop(&payload, 256 << 10, true)),
            (6, testkit::zstd(&payload)),
        ] {
            let image = uimage(b"Linux-4.14", 2, code, &packed);
            let data = [image.clone(), vec![0xff; 100], b"hsqs".to_vec()].concat();
            let (ex, cx) = extract_ok(&UimageFormat, &data);
            assert_eq!(ex.consumed, image.len() as u64, "comp {code}");
            assert_eq!(output_bytes(&ex), payload, "comp {code}");
            assert!(cx.errors.is_empty(), "comp {code}: {:?}", cx.errors);
            assert_eq!(ex.variant, Some("kernel"));
        }
    }

    #[test]
    fn crc_mismatches_are_recorded_not_rejected() {
        let mut image = uimage(b"x", 2, 0, b"payload bytes");
        image[70] ^= 1; // payload
        let (ex, cx) = extract_ok(&UimageFormat, &image);
        assert_eq!(output_bytes(&ex).len(), 13);
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
        image[8] ^= 1; // timestamp: header CRC now wrong too
        let (_, cx) = extract_ok(&UimageFormat, &image);
        assert_eq!(cx.errors.len(), 2, "{:?}", cx.errors);
    }

    #[test]
    fn undecodable_and_truncated_payloads_are_kept() {
        let image = uimage(b"bad gzip", 2, 1, b"this is not gzip at all");
        let (ex, cx) = extract_ok(&UimageFormat, &image);
        assert_eq!(output_bytes(&ex), b"this is not gzip at all");
        assert_eq!(cx.errors.len(), 1);
        let image = uimage(b"cut", 2, 0, &[7u8; 1000]);
        let (ex, cx) = extract_ok(&UimageFormat, &image[..500]);
        assert_eq!(ex.consumed, 500);
        assert_eq!(output_bytes(&ex).len(), 436);
        assert_eq!(cx.errors.len(), 1);
    }

    #[test]
    fn multi_file_images_become_parts() {
        let kernel = b"kernel".repeat(3);
        let ramdisk = b"ramdisk!".to_vec();
        let mut payload = Vec::new();
        payload.extend_from_slice(&(kernel.len() as u32).to_be_bytes());
        payload.extend_from_slice(&(ramdisk.len() as u32).to_be_bytes());
        payload.extend_from_slice(&[0; 4]);
        payload.extend_from_slice(&kernel);
        payload.extend_from_slice(&[0; 2]); // pad to 4
        payload.extend_from_slice(&ramdisk);
        let image = uimage(b"multi", 4, 0, &payload);
        let (ex, cx) = extract_ok(&UimageFormat, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/image-1").unwrap().as_slice(), &kernel[..]);
        assert_eq!(tree.read("/image-2").unwrap().as_slice(), &ramdisk[..]);
        assert_eq!(ex.variant, Some("multi"));
    }

    #[test]
    fn stored_multi_file_parts_are_cut_at_the_file_limit() {
        let big = vec![0x5a; 3000];
        let mut payload = Vec::new();
        payload.extend_from_slice(&(big.len() as u32).to_be_bytes());
        payload.extend_from_slice(&[0; 4]);
        payload.extend_from_slice(&big);
        let image = uimage(b"multi", 4, 0, &payload);
        let limits = Limits {
            max_file_bytes: 1000,
            ..Limits::default()
        };
        let (result, cx) = extract_with(&UimageFormat, &image, &limits);
        let ex = result.unwrap();
        assert_eq!(output_tree(&ex).read("/image-1").unwrap().len(), 1000);
        assert!(
            cx.truncations
                .iter()
                .any(|t| t.limit == crate::limits::LimitKind::FileBytes),
            "{:?}",
            cx.truncations
        );
    }

    #[test]
    fn implausible_headers_are_rejected() {
        let image = uimage(b"x", 2, 0, b"p");
        for (at, value) in [(28, 0u8), (29, 200), (30, 0), (31, 9), (33, 0x07)] {
            let mut bad = image.clone();
            bad[at] = value;
            assert!(!UimageFormat.probe(&bad), "byte {at}");
            assert!(
                extract_with(&UimageFormat, &bad, &Default::default())
                    .0
                    .is_err()
            );
        }
        assert!(!UimageFormat.probe(&image[..63]));
        // A name that is not ASCII text is accepted when the header CRC is right.
        let gbk = uimage(b"\xb9\xcc\xbc\xfe", 2, 0, b"p");
        assert!(UimageFormat.probe(&gbk));
        let mut gbk_bad_crc = gbk.clone();
        gbk_bad_crc[4] ^= 1;
        assert!(!UimageFormat.probe(&gbk_bad_crc));
    }
}
