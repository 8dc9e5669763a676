//! cpio archives in all four header formats: SVR4 `newc` (`070701`), SVR4 with checksums
//! (`crc`, `070702`), POSIX portable ASCII (`odc`, `070707`) and old binary (`bin`, `0x71c7`
//! in either byte order).
//!
//! Hard links: cpio stores a multiply linked file once per name, with the data usually only on
//! the last (`newc`) or first occurrence and empty bodies on the others. Names sharing an inode
//! whose body is empty become [`Hardlink`](crate::NodeKind::Hardlink)s to the name that has the
//! data.

use std::collections::BTreeMap;

use crate::blob::Blob;
use crate::bytes::Endian;
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::tree::{Entry, EntryKind, FileTree};

/// cpio, all header formats.
pub(crate) struct CpioFormat;

const MAGICS: &[Magic] = &[
    Magic::at_start(b"070701"),
    Magic::at_start(b"070702"),
    Magic::at_start(b"070707"),
    Magic::at_start(&[0xc7, 0x71]),
    Magic::at_start(&[0x71, 0xc7]),
];

/// Longest name accepted in a header (`PATH_MAX`).
const MAX_NAME: usize = 4096;

const TRAILER: &[u8] = b"TRAILER!!!";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Newc,
    Crc,
    Odc,
    BinLe,
    BinBe,
}

impl Variant {
    fn detect(data: &[u8]) -> Option<Variant> {
        match data.get(..6)? {
            b"070701" => Some(Variant::Newc),
            b"070702" => Some(Variant::Crc),
            b"070707" => Some(Variant::Odc),
            [0xc7, 0x71, ..] => Some(Variant::BinLe),
            [0x71, 0xc7, ..] => Some(Variant::BinBe),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Variant::Newc => "newc",
            Variant::Crc => "crc",
            Variant::Odc => "odc",
            Variant::BinLe => "bin-le",
            Variant::BinBe => "bin-be",
        }
    }
}

/// One parsed header.
#[derive(Debug, Clone)]
struct Header {
    dev: (u64, u64),
    ino: u64,
    mode: u64,
    uid: u64,
    gid: u64,
    nlink: u64,
    mtime: u64,
    rdev: (u64, u64),
    filesize: usize,
    check: u64,
    name: Vec<u8>,
    /// Offset of the body, from the header's start.
    data_start: usize,
    /// Alignment of the next header.
    align: usize,
}

fn align_up(value: usize, align: usize) -> Option<usize> {
    value.checked_next_multiple_of(align)
}

fn digits(text: &[u8], radix: u32) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in text {
        let digit = u64::from(char::from(b).to_digit(radix)?);
        value = value.checked_mul(u64::from(radix))?.checked_add(digit)?;
    }
    Some(value)
}

/// Fields of an ASCII header: `widths` characters each after the 6-byte magic.
fn ascii_fields<const N: usize>(data: &[u8], widths: [usize; N], radix: u32) -> Option<[u64; N]> {
    let mut out = [0u64; N];
    let mut pos = 6usize;
    for (slot, width) in out.iter_mut().zip(widths) {
        let end = pos.checked_add(width)?;
        *slot = digits(data.get(pos..end)?, radix)?;
        pos = end;
    }
    Some(out)
}

fn parse_header(data: &[u8], variant: Variant) -> Option<Header> {
    let (header_len, fields, name_align, align): (usize, [u64; 13], usize, usize) = match variant {
        Variant::Newc | Variant::Crc => {
            let f = ascii_fields(data, [8; 13], 16)?;
            let [
                ino,
                mode,
                uid,
                gid,
                nlink,
                mtime,
                filesize,
                devmaj,
                devmin,
                rmaj,
                rmin,
                namesize,
                check,
            ] = f;
            (
                110,
                [
                    devmaj, devmin, ino, mode, uid, gid, nlink, mtime, rmaj, rmin, filesize,
                    namesize, check,
                ],
                4,
                4,
            )
        }
        Variant::Odc => {
            let f = ascii_fields(data, [6, 6, 6, 6, 6, 6, 6, 11, 6, 11], 8)?;
            let [
                dev,
                ino,
                mode,
                uid,
                gid,
                nlink,
                rdev,
                mtime,
                namesize,
                filesize,
            ] = f;
            (
                76,
                [
                    dev >> 8,
                    dev & 0xff,
                    ino,
                    mode,
                    uid,
                    gid,
                    nlink,
                    mtime,
                    rdev >> 8,
                    rdev & 0xff,
                    filesize,
                    namesize,
                    0,
                ],
                1,
                1,
            )
        }
        Variant::BinLe | Variant::BinBe => {
            let raw = data.get(..26)?;
            let mut words = [0u64; 13];
            let endian = if variant == Variant::BinLe {
                Endian::Little
            } else {
                Endian::Big
            };
            for (slot, pair) in words.iter_mut().zip(raw.chunks_exact(2)) {
                *slot = u64::from(endian.u16(pair, 0)?);
            }
            let [
                _magic,
                dev,
                ino,
                mode,
                uid,
                gid,
                nlink,
                rdev,
                mtime_hi,
                mtime_lo,
                namesize,
                size_hi,
                size_lo,
            ] = words;
            (
                26,
                [
                    dev >> 8,
                    dev & 0xff,
                    ino,
                    mode,
                    uid,
                    gid,
                    nlink,
                    (mtime_hi << 16) | mtime_lo,
                    rdev >> 8,
                    rdev & 0xff,
                    (size_hi << 16) | size_lo,
                    namesize,
                    0,
                ],
                2,
                2,
            )
        }
    };
    let [
        devmaj,
        devmin,
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        rmaj,
        rmin,
        filesize,
        namesize,
        check,
    ] = fields;
    let namesize = usize::try_from(namesize).ok()?;
    if !(1..=MAX_NAME).contains(&namesize) {
        return None;
    }
    let name_end = header_len.checked_add(namesize)?;
    let raw_name = data.get(header_len..name_end)?;
    // The name is NUL-terminated and holds no other NUL.
    let (&last, name) = raw_name.split_last()?;
    if last != 0 || memchr::memchr(0, name).is_some() {
        return None;
    }
    Some(Header {
        dev: (devmaj, devmin),
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        rdev: (rmaj, rmin),
        filesize: usize::try_from(filesize).ok()?,
        check,
        name: name.to_vec(),
        data_start: align_up(name_end, name_align)?,
        align,
    })
}

/// A file type from the mode's `S_IFMT` bits; `None` for an invalid type.
fn kind_of(mode: u64, body: &[u8], rdev: (u64, u64)) -> Option<EntryKind> {
    let major = u32::try_from(rdev.0).unwrap_or(u32::MAX);
    let minor = u32::try_from(rdev.1).unwrap_or(u32::MAX);
    Some(match mode & 0o170000 {
        0o100000 => EntryKind::File,
        0o040000 => EntryKind::Dir,
        0o120000 => EntryKind::Symlink(body.to_vec()),
        0o020000 => EntryKind::CharDevice { major, minor },
        0o060000 => EntryKind::BlockDevice { major, minor },
        0o010000 => EntryKind::Fifo,
        0o140000 => EntryKind::Socket,
        _ => return None,
    })
}

/// Multiply linked files seen so far, by (device, inode).
#[derive(Default)]
struct Links {
    /// Name holding the data.
    with_data: BTreeMap<(u64, u64, u64), Vec<u8>>,
    /// Empty-bodied names waiting for the name with the data.
    waiting: BTreeMap<(u64, u64, u64), Vec<Entry>>,
}

impl Format for CpioFormat {
    fn id(&self) -> &'static str {
        "cpio"
    }

    fn description(&self) -> &'static str {
        "cpio archive (newc, crc, odc and old binary in both byte orders)"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Archive
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        Variant::detect(data)
            .and_then(|variant| parse_header(data, variant))
            .is_some_and(|h| h.name == TRAILER || kind_of(h.mode, &[], h.rdev).is_some())
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let variant = Variant::detect(data).ok_or_else(|| Rejected::new("no cpio magic"))?;
        let mut tree = cx.new_tree();
        let mut links = Links::default();
        let mut pos = 0usize;
        let mut entries = 0usize;
        let mut ended = false;
        let offset = |pos: usize| u64::try_from(pos).unwrap_or(u64::MAX);

        while pos < data.len() {
            if cx.time_up("reading cpio headers") {
                break;
            }
            let rest = data.get(pos..).unwrap_or(&[]);
            let Some(header) =
                parse_header(rest, variant).filter(|_| Variant::detect(rest) == Some(variant))
            else {
                if entries == 0 {
                    return Err(Rejected::new("bad first header"));
                }
                cx.error(offset(pos), "bad header: archive ends here");
                break;
            };
            entries = entries.saturating_add(1);
            let body_start = pos.saturating_add(header.data_start);
            let body_end = body_start.saturating_add(header.filesize);
            let body = data.get(body_start.min(data.len())..body_end.min(data.len()));
            let body = body.unwrap_or(&[]);
            let next = align_up(body_end, header.align).unwrap_or(usize::MAX);
            if header.name == TRAILER {
                pos = next.min(data.len());
                ended = true;
                break;
            }
            if body.len() < header.filesize {
                cx.error(
                    offset(pos),
                    format!(
                        "member {} truncated: {} of {} bytes present",
                        crate::tree::escape_path(&header.name),
                        body.len(),
                        header.filesize
                    ),
                );
            }
            if variant == Variant::Crc && header.mode & 0o170000 == 0o100000 {
                let sum = body
                    .iter()
                    .fold(0u32, |sum, &b| sum.wrapping_add(u32::from(b)));
                if u64::from(sum) != header.check {
                    cx.error(
                        offset(pos),
                        format!(
                            "member {}: checksum {sum:#x} does not match header {:#x}",
                            crate::tree::escape_path(&header.name),
                            header.check
                        ),
                    );
                }
            }
            if !self.add_member(data, pos, &header, body, &mut links, &mut tree, cx) {
                break;
            }
            if next >= data.len() {
                pos = data.len();
                break;
            }
            pos = next;
        }
        // Linked names that never met their data are empty files.
        for (_, waiting) in std::mem::take(&mut links.waiting) {
            for entry in waiting {
                if !cx.add(&mut tree, entry) {
                    break;
                }
            }
        }
        if !ended {
            cx.error(offset(pos), "archive ends without a TRAILER!!! entry");
        } else {
            // Writers pad the archive to a block with zeros.
            let padded = align_up(pos, 512).unwrap_or(pos).min(data.len());
            if data
                .get(pos..padded)
                .is_some_and(|pad| pad.iter().all(|&b| b == 0))
            {
                pos = padded;
            }
        }
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: offset(pos.max(1)),
            output: Output::Tree(tree),
            variant: Some(variant.name()),
        })
    }
}

impl CpioFormat {
    /// Adds one member; false when the tree is full.
    #[allow(clippy::too_many_arguments)]
    fn add_member(
        &self,
        data: &Blob,
        pos: usize,
        header: &Header,
        body: &[u8],
        links: &mut Links,
        tree: &mut FileTree,
        cx: &mut Context<'_>,
    ) -> bool {
        let at = u64::try_from(pos).unwrap_or(u64::MAX);
        let body_start = pos.saturating_add(header.data_start);
        if header.mode & 0o170000 == 0o120000 && body.len() > MAX_NAME {
            cx.error(
                at,
                format!(
                    "member {}: symlink target of {} bytes, skipped",
                    crate::tree::escape_path(&header.name),
                    body.len()
                ),
            );
            return true;
        }
        let Some(kind) = kind_of(header.mode, body, header.rdev) else {
            cx.error(
                at,
                format!(
                    "member {}: unknown file type in mode {:#o}, skipped",
                    crate::tree::escape_path(&header.name),
                    header.mode
                ),
            );
            return true;
        };
        let entry = Entry::new(&header.name, kind.clone())
            .mode(u32::try_from(header.mode & 0o7777).unwrap_or(0))
            .owner(
                u32::try_from(header.uid).unwrap_or(u32::MAX),
                u32::try_from(header.gid).unwrap_or(u32::MAX),
            )
            .mtime(i64::try_from(header.mtime).unwrap_or(i64::MAX));
        if kind != EntryKind::File {
            return cx.add(tree, entry);
        }
        let len = cx.cap_file(&header.name, body.len());
        let content = data
            .slice(body_start..body_start.saturating_add(len))
            .unwrap_or_default();
        let entry = entry.content(content);
        if header.nlink <= 1 {
            return cx.add(tree, entry);
        }
        let key = (header.dev.0, header.dev.1, header.ino);
        if header.filesize == 0 {
            if let Some(target) = links.with_data.get(&key) {
                return cx.add(tree, Entry::hardlink(&header.name, target.clone()));
            }
            links.waiting.entry(key).or_default().push(entry);
            return true;
        }
        let first_with_data = !links.with_data.contains_key(&key);
        if !cx.add(tree, entry) {
            return false;
        }
        if first_with_data {
            links.with_data.insert(key, header.name.clone());
            for waiting in links.waiting.remove(&key).unwrap_or_default() {
                let link = Entry::hardlink(waiting_path(&waiting), header.name.clone());
                if !cx.add(tree, link) {
                    return false;
                }
            }
        }
        true
    }
}

fn waiting_path(entry: &Entry) -> Vec<u8> {
    entry.raw_path().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::testkit::{CpioBuilder, CpioKind, cpio_mode};
    use crate::tree::NodeKind;

    const ALL: [CpioKind; 5] = [
        CpioKind::Newc,
        CpioKind::Crc,
        CpioKind::Odc,
        CpioKind::BinLe,
        CpioKind::BinBe,
    ];

    fn sample(kind: CpioKind) -> Vec<u8> {
        CpioBuilder::new(kind)
            .dir(b".")
            .dir(b"etc")
            .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
            .file(b"odd", b"123")
            .symlink(b"bin/sh", b"busybox")
            .special(b"dev/console", cpio_mode::CHAR, 5, 1)
            .special(b"dev/mtd0", cpio_mode::BLOCK, 31, 0)
            .special(b"dev/initctl", cpio_mode::FIFO, 0, 0)
            .special(b"run/sock", cpio_mode::SOCKET, 0, 0)
            .finish()
    }

    #[test]
    fn reads_every_header_format() {
        for kind in ALL {
            let archive = sample(kind);
            assert!(CpioFormat.probe(&archive), "{kind:?}");
            let data = [archive.clone(), b"next".to_vec()].concat();
            let (ex, cx) = extract_ok(&CpioFormat, &data);
            assert!(cx.errors.is_empty(), "{kind:?}: {:?}", cx.errors);
            assert_eq!(ex.consumed, archive.len() as u64, "{kind:?}");
            let tree = output_tree(&ex);
            assert_eq!(
                tree.read("/etc/passwd").map(|b| b.len()),
                Some(26),
                "{kind:?}"
            );
            assert_eq!(tree.read("/odd").map(|b| b.to_vec()), Some(b"123".to_vec()));
            let kind_at = |p: &str| tree.get(p).map(|n| n.kind.clone());
            assert_eq!(
                kind_at("/bin/sh"),
                Some(NodeKind::Symlink {
                    target: "busybox".into()
                })
            );
            assert_eq!(
                kind_at("/dev/console"),
                Some(NodeKind::CharDevice { major: 5, minor: 1 })
            );
            assert_eq!(
                kind_at("/dev/mtd0"),
                Some(NodeKind::BlockDevice {
                    major: 31,
                    minor: 0
                })
            );
            assert_eq!(kind_at("/dev/initctl"), Some(NodeKind::Fifo));
            assert_eq!(kind_at("/run/sock"), Some(NodeKind::Socket));
            let passwd = tree.get("/etc/passwd").unwrap();
            assert_eq!((passwd.mode, passwd.uid), (0o644, 1000));
            assert_eq!(passwd.mtime, 1_700_000_000);
            let expected = match kind {
                CpioKind::Newc => "newc",
                CpioKind::Crc => "crc",
                CpioKind::Odc => "odc",
                CpioKind::BinLe => "bin-le",
                CpioKind::BinBe => "bin-be",
            };
            assert_eq!(ex.variant, Some(expected));
        }
    }

    #[test]
    fn newc_hardlinks_point_at_the_member_with_data() {
        let archive = CpioBuilder::new(CpioKind::Newc)
            .raw_entry(b"bin/ash", cpio_mode::FILE | 0o755, 7, 3, (0, 0), b"")
            .raw_entry(b"bin/sh", cpio_mode::FILE | 0o755, 7, 3, (0, 0), b"")
            .raw_entry(
                b"bin/busybox",
                cpio_mode::FILE | 0o755,
                7,
                3,
                (0, 0),
                b"ELF",
            )
            .raw_entry(b"bin/lonely", cpio_mode::FILE | 0o755, 9, 2, (0, 0), b"")
            .finish();
        let (ex, _) = extract_ok(&CpioFormat, &archive);
        let tree = output_tree(&ex);
        for name in ["/bin/ash", "/bin/sh"] {
            assert_eq!(
                tree.get(name).map(|n| n.kind.clone()),
                Some(NodeKind::Hardlink {
                    target: "/bin/busybox".into()
                })
            );
            assert_eq!(tree.read(name).map(|b| b.to_vec()), Some(b"ELF".to_vec()));
        }
        assert_eq!(tree.read("/bin/lonely").map(|b| b.len()), Some(0));
    }

    #[test]
    fn crc_mismatch_and_truncation_are_recorded() {
        let mut archive = CpioBuilder::new(CpioKind::Crc)
            .file(b"a", b"abcdef")
            .finish();
        let body = archive.windows(6).position(|w| w == b"abcdef").unwrap();
        archive[body] = b'X';
        let (_, cx) = extract_ok(&CpioFormat, &archive);
        assert!(cx.errors[0].message.contains("checksum"), "{:?}", cx.errors);

        let archive = sample(CpioKind::Newc);
        let (ex, cx) = extract_ok(&CpioFormat, &archive[..300]);
        assert!(!cx.errors.is_empty());
        assert!(output_tree(&ex).get("/etc").is_some());
        assert!(
            extract_with(&CpioFormat, b"070701zzzz", &Default::default())
                .0
                .is_err()
        );

        let long_link = CpioBuilder::new(CpioKind::Newc)
            .symlink(b"l", &vec![b'a'; MAX_NAME + 1])
            .finish();
        let (ex, cx) = extract_ok(&CpioFormat, &long_link);
        assert!(output_tree(&ex).get("/l").is_none());
        assert!(cx.errors[0].message.contains("symlink target"));
        assert!(!CpioFormat.probe(&[0xc7, 0x71, 0, 0]));
    }
}
