//! TP-Link firmware headers: the 512-byte header of TP-Link's (and OpenWrt's) factory images
//! for Atheros/MediaTek routers, in its version 1 layout (`01 00 00 00`, vendor string such as
//! "TP-LINK Technologies" or "OpenWrt", firmware version string) and its "ver. 2.0" layout
//! (`03 00 00 00`, one version string).
//!
//! Both hold, big-endian: hardware id and revision, an MD5 (salted, see below), kernel load
//! and entry addresses, the firmware length, and kernel and root filesystem offsets and
//! lengths. A candidate is accepted when the version word and strings are right and the kernel
//! lies after the header inside the firmware length.
//!
//! Parts, clamped to the data and to the firmware length (the layer's extent):
//! - `/kernel` and `/rootfs` as the offsets say (variant `v1` or `v2`). Offsets into the header
//!   or past the data are recorded and the part skipped; overlapping parts are recorded and
//!   kept. When the bytes between the kernel's end and the declared root filesystem offset are
//!   not padding, the image is a "combined" one (OpenWrt writes the root filesystem right after
//!   the kernel and the offset field keeps its nominal flash address): `/rootfs` then starts at
//!   the kernel's end (variant `v1-combined`).
//! - Images with a bootloader (TP-Link's "up_boot" files): the header is followed by the
//!   bootloader partition and then a complete firmware with its own header, at the offset where
//!   the outer firmware length minus the inner one says. The parts are then `/bootloader` and
//!   `/firmware` (variant `v1-bootloader`); the inner header is read when the firmware is
//!   scanned.
//!
//! Not verified: the MD5, whose salt differs between build tools and device families (so a
//! mismatch says nothing). Hardware ids, versions and addresses are not read.

use crate::blob::Blob;
use crate::bytes::{be32, to_u64, to_usize};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::parts::Parts;
use crate::tree::FileTree;

/// TP-Link firmware header.
pub(crate) struct TplinkFormat;

const MAGICS: &[Magic] = &[
    Magic::at_start(b"\x01\x00\x00\x00TP-LINK"),
    Magic::at_start(b"\x01\x00\x00\x00OpenWrt\x00"),
    Magic {
        bytes: b"ver. 1.0\x00",
        offset: 0x1c,
    },
    Magic::at_start(b"\x03\x00\x00\x00ver. 2.0\x00"),
];

const HEADER: usize = 0x200;

/// Where an inner firmware may start in an image with a bootloader: after the header and a
/// 64, 128, 192 or 256 KiB bootloader partition.
const BOOTLOADER_SIZES: [usize; 4] = [0x1_0000, 0x2_0000, 0x3_0000, 0x4_0000];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    V1,
    V2,
}

#[derive(Debug, Clone, Copy)]
struct Header {
    layout: Layout,
    fw_length: usize,
    kernel_ofs: usize,
    kernel_len: usize,
    rootfs_ofs: usize,
    rootfs_len: usize,
}

/// Printable text up to a NUL within the field; `nonempty` requires at least one character.
fn text_field(field: &[u8], nonempty: bool) -> bool {
    let end = memchr::memchr(0, field).unwrap_or(field.len());
    field.get(..end).is_some_and(|text| {
        (!nonempty || !text.is_empty()) && text.iter().all(|&b| (0x20..0x7f).contains(&b))
    })
}

fn parse(data: &[u8]) -> Option<Header> {
    let header = data.get(..HEADER)?;
    let (layout, fields): (Layout, usize) = match header.get(..4)? {
        [1, 0, 0, 0] => {
            let strings = text_field(header.get(4..0x1c)?, true)
                && text_field(header.get(0x1c..0x40)?, false);
            (Layout::V1, strings.then_some(0x7c)?)
        }
        [3, 0, 0, 0] => (
            Layout::V2,
            text_field(header.get(4..0x34)?, true).then_some(0x70)?,
        ),
        _ => return None,
    };
    let field = |n: usize| be32(header, fields.checked_add(n.checked_mul(4)?)?).map(to_usize);
    let parsed = Header {
        layout,
        fw_length: field(0)?,
        kernel_ofs: field(1)?,
        kernel_len: field(2)?,
        rootfs_ofs: field(3)?,
        rootfs_len: field(4)?,
    };
    let kernel_end = parsed.kernel_ofs.checked_add(parsed.kernel_len)?;
    let plausible =
        parsed.kernel_ofs >= HEADER && parsed.kernel_len > 0 && kernel_end <= parsed.fw_length;
    plausible.then_some(parsed)
}

fn is_padding(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0xff) || bytes.iter().all(|&b| b == 0)
}

/// The start of an inner firmware when `data` is an image with a bootloader.
fn inner_firmware(data: &[u8], outer: &Header) -> Option<usize> {
    if outer.layout != Layout::V1 {
        return None;
    }
    BOOTLOADER_SIZES.iter().find_map(|&size| {
        let start = HEADER.checked_add(size)?;
        let inner = parse(data.get(start..)?)?;
        (inner.layout == Layout::V1 && start.checked_add(inner.fw_length)? == outer.fw_length)
            .then_some(start)
    })
}

/// Adds `/name` for `start..start + len`, clamped to the image's end; false when the tree is
/// full.
fn add_part(
    tree: &mut FileTree,
    parts: &Parts<'_>,
    name: &str,
    start: usize,
    len: usize,
    cx: &mut Context<'_>,
) -> bool {
    let end = parts.end;
    if start < HEADER {
        cx.error(
            to_u64(start),
            format!("{name} offset {start:#x} points into the header: skipped"),
        );
        return true;
    }
    if start >= end {
        cx.error(
            to_u64(start),
            format!("{name} at {start:#x} is not in the data ({end:#x} bytes): skipped"),
        );
        return true;
    }
    parts.add(tree, name, start, len, cx)
}

impl Format for TplinkFormat {
    fn id(&self) -> &'static str {
        "tplink"
    }

    fn description(&self) -> &'static str {
        "TP-Link firmware header (v1 and ver. 2.0), kernel and rootfs as parts"
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
        let header = parse(data).ok_or_else(|| Rejected::new("not a plausible TP-Link header"))?;
        let parts = Parts::new(data, header.fw_length, cx);
        let end = parts.end;
        let mut tree = cx.new_tree();
        let variant = if let Some(inner) = inner_firmware(data, &header) {
            let _ = add_part(
                &mut tree,
                &parts,
                "bootloader",
                HEADER,
                inner.saturating_sub(HEADER),
                cx,
            ) && add_part(
                &mut tree,
                &parts,
                "firmware",
                inner,
                end.saturating_sub(inner),
                cx,
            );
            "v1-bootloader"
        } else {
            let kernel_end = header.kernel_ofs.saturating_add(header.kernel_len);
            let gap = data
                .get(kernel_end.min(end)..header.rootfs_ofs.min(end))
                .unwrap_or(&[]);
            let combined = header.rootfs_ofs > kernel_end && !is_padding(gap);
            if combined && header.rootfs_ofs >= end {
                cx.error(
                    to_u64(header.rootfs_ofs),
                    format!(
                        "rootfs offset {:#x} is past the data: rootfs taken right after the kernel",
                        header.rootfs_ofs
                    ),
                );
            }
            let (rootfs_ofs, rootfs_len) = if combined {
                (kernel_end, end.saturating_sub(kernel_end))
            } else {
                (header.rootfs_ofs, header.rootfs_len)
            };
            if !combined
                && rootfs_ofs < kernel_end
                && rootfs_ofs.saturating_add(rootfs_len) > header.kernel_ofs
            {
                cx.error(
                    to_u64(rootfs_ofs),
                    format!(
                        "rootfs at {rootfs_ofs:#x} overlaps the kernel (ends at {kernel_end:#x})"
                    ),
                );
            }
            let _ = add_part(
                &mut tree,
                &parts,
                "kernel",
                header.kernel_ofs,
                header.kernel_len,
                cx,
            ) && (rootfs_len == 0 && !combined
                || add_part(&mut tree, &parts, "rootfs", rootfs_ofs, rootfs_len, cx));
            match (header.layout, combined) {
                (Layout::V1, false) => "v1",
                (Layout::V1, true) => "v1-combined",
                (Layout::V2, false) => "v2",
                (Layout::V2, true) => "v2-combined",
            }
        };
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: to_u64(end.max(HEADER)),
            output: Output::Tree(tree),
            variant: Some(variant),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::testkit::{TplinkImage, tplink};

    fn read(ex: &Extracted, path: &str) -> Vec<u8> {
        output_tree(ex).read(path).unwrap().to_vec()
    }

    #[test]
    fn kernel_and_rootfs_as_the_offsets_say() {
        for v2 in [false, true] {
            let image = tplink(&TplinkImage {
                v2,
                kernel: b"kernel bytes".to_vec(),
                rootfs: b"rootfs bytes".to_vec(),
                rootfs_ofs: Some(0x400),
                ..TplinkImage::default()
            });
            let data = [image.clone(), vec![0xee; 100]].concat();
            let (ex, cx) = extract_ok(&TplinkFormat, &data);
            assert!(cx.errors.is_empty(), "{:?}", cx.errors);
            assert_eq!(ex.consumed, image.len() as u64);
            assert_eq!(read(&ex, "/kernel"), b"kernel bytes");
            assert_eq!(read(&ex, "/rootfs"), b"rootfs bytes");
            assert_eq!(ex.variant, Some(if v2 { "v2" } else { "v1" }));
        }
    }

    #[test]
    fn a_rootfs_right_after_the_kernel_is_found() {
        // OpenWrt's combined images: data right after the kernel, nominal offset further on.
        let rootfs = b"rootfs bytes".repeat(64);
        let image = tplink(&TplinkImage {
            kernel: b"kernel bytes".to_vec(),
            rootfs: rootfs.clone(),
            rootfs_ofs: None,
            declared_rootfs_ofs: Some(0x300),
            ..TplinkImage::default()
        });
        let (ex, cx) = extract_ok(&TplinkFormat, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(read(&ex, "/rootfs"), rootfs);
        assert_eq!(ex.variant, Some("v1-combined"));
    }

    #[test]
    fn an_image_with_a_bootloader_splits_into_bootloader_and_firmware() {
        let inner = tplink(&TplinkImage {
            kernel: b"inner kernel".to_vec(),
            rootfs: b"inner rootfs".to_vec(),
            rootfs_ofs: Some(0x400),
            ..TplinkImage::default()
        });
        let image = tplink(&TplinkImage {
            kernel: [vec![0x11; 0x10000], inner.clone()].concat(),
            rootfs: Vec::new(),
            rootfs_ofs: None,
            ..TplinkImage::default()
        });
        let (ex, cx) = extract_ok(&TplinkFormat, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.variant, Some("v1-bootloader"));
        assert_eq!(read(&ex, "/bootloader"), vec![0x11; 0x10000]);
        assert_eq!(read(&ex, "/firmware"), inner);
    }

    #[test]
    fn hostile_offsets_are_recorded_and_clamped() {
        let base = TplinkImage {
            kernel: b"kernel bytes".to_vec(),
            rootfs: b"rootfs bytes".to_vec(),
            rootfs_ofs: Some(0x400),
            ..TplinkImage::default()
        };
        let good = tplink(&base);
        // Truncated: the rootfs is cut, the layer ends with the data.
        let (ex, cx) = extract_ok(&TplinkFormat, &good[..0x406]);
        assert_eq!(ex.consumed, 0x406);
        assert_eq!(read(&ex, "/rootfs"), b"rootfs");
        assert_eq!(cx.errors.len(), 2, "{:?}", cx.errors);
        // Rootfs pointing into the header, then overlapping the kernel.
        for (rootfs_ofs, errors) in [(0x10usize, 1usize), (0x204, 1)] {
            let mut bad = good.clone();
            bad[0x88..0x8c].copy_from_slice(&(rootfs_ofs as u32).to_be_bytes());
            let (ex, cx) = extract_ok(&TplinkFormat, &bad);
            assert_eq!(cx.errors.len(), errors, "{rootfs_ofs:#x}: {:?}", cx.errors);
            assert!(output_tree(&ex).read("/kernel").is_some());
        }
        // Kernel offset into the header or past the length: not a header.
        for kernel_ofs in [0x10u32, 0x7fff_ffff] {
            let mut bad = good.clone();
            bad[0x80..0x84].copy_from_slice(&kernel_ofs.to_be_bytes());
            assert!(
                extract_with(&TplinkFormat, &bad, &Default::default())
                    .0
                    .is_err()
            );
        }
        let mut bad_vendor = good.clone();
        bad_vendor[5] = 0x01;
        assert!(!TplinkFormat.probe(&bad_vendor));
    }
}
