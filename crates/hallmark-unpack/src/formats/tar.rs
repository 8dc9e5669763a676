//! tar archives: POSIX ustar, GNU (long names and links) and pax extended headers.
//!
//! Our own parser, reading the archive in place: member contents are ranges of the archive's
//! bytes, never copies. It reads forward only (through `ArchiveBytes`), so the same parser
//! reads a large compressed archive as the stream is decoded (see `stream`). Members go into
//! a [`FileTree`](crate::FileTree), whose path rules neutralise `..`, absolute names and links
//! (see [`tree`](crate::tree)).

use std::collections::BTreeMap;

use crate::blob::Blob;
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::forward::{ArchiveBytes, InMemory};
use crate::tree::{Entry, EntryKind};

/// tar with a `ustar` magic at offset 257 (ustar, GNU and pax; old v7 archives have no magic
/// to scan for).
pub(crate) struct TarFormat;

const MAGICS: &[Magic] = &[Magic {
    bytes: b"ustar",
    offset: 257,
}];

const BLOCK: usize = 512;

/// Largest GNU long name or pax header read: names past `PATH_MAX` are refused by the tree
/// anyway.
const MAX_META_BYTES: usize = 1 << 20;

/// Which dialect the first header is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Ustar,
    Gnu,
}

/// A copy of the header block at `pos`, if the archive has one there.
fn header_at(data: &mut dyn ArchiveBytes, pos: usize) -> Option<[u8; BLOCK]> {
    data.get(pos..pos.checked_add(BLOCK)?)?.try_into().ok()
}

fn field(header: &[u8], start: usize, len: usize) -> &[u8] {
    header.get(start..start.saturating_add(len)).unwrap_or(&[])
}

/// A NUL-terminated string field.
fn cstr(bytes: &[u8]) -> &[u8] {
    let end = memchr::memchr(0, bytes).unwrap_or(bytes.len());
    bytes.get(..end).unwrap_or(bytes)
}

/// A numeric field: octal text (space or NUL padded), or GNU base-256 when the high bit of the
/// first byte is set.
fn number(bytes: &[u8]) -> Option<u64> {
    let (&first, rest) = bytes.split_first()?;
    if first & 0x80 != 0 {
        if first & 0x40 != 0 {
            return None; // negative
        }
        let mut value = u64::from(first & 0x3f);
        for &b in rest {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    let text = bytes
        .iter()
        .skip_while(|&&b| b == b' ' || b == 0)
        .take_while(|&&b| b != b' ' && b != 0);
    let mut value: u64 = 0;
    for &b in text {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        value = value
            .checked_mul(8)?
            .checked_add(u64::from(b.wrapping_sub(b'0')))?;
    }
    Some(value)
}

fn checksum_ok(header: &[u8]) -> bool {
    let Some(stored) = number(field(header, 148, 8)) else {
        return false;
    };
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in header.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned = unsigned.saturating_add(u64::from(b));
        signed = signed.saturating_add(i64::from(b as i8));
    }
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

fn dialect(header: &[u8]) -> Option<Dialect> {
    match field(header, 257, 8) {
        b"ustar  \0" => Some(Dialect::Gnu),
        m if m.starts_with(b"ustar\0") || m.starts_with(b"ustar") => Some(Dialect::Ustar),
        _ => None,
    }
}

/// Parses pax records (`"<len> <key>=<value>\n"`) into `into`. Returns false on malformed
/// records (those before are kept).
fn parse_pax(mut data: &[u8], into: &mut BTreeMap<Vec<u8>, Vec<u8>>) -> bool {
    while !data.is_empty() {
        let Some(space) = memchr::memchr(b' ', data) else {
            return false;
        };
        let Some(len) = std::str::from_utf8(data.get(..space).unwrap_or(&[]))
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            return false;
        };
        let Some(record) = data.get(..len) else {
            return false;
        };
        let Some(body) = record.get(space.saturating_add(1)..len.saturating_sub(1)) else {
            return false;
        };
        if record.last() != Some(&b'\n') {
            return false;
        }
        let Some(eq) = memchr::memchr(b'=', body) else {
            return false;
        };
        let key = body.get(..eq).unwrap_or(&[]).to_vec();
        let value = body.get(eq.saturating_add(1)..).unwrap_or(&[]).to_vec();
        into.insert(key, value);
        data = data.get(len..).unwrap_or(&[]);
    }
    true
}

fn pax_number(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?;
    text.split('.').next()?.parse().ok()
}

/// Per-member metadata carried by GNU long-name records and pax headers.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Format for TarFormat {
    fn id(&self) -> &'static str {
        "tar"
    }

    fn description(&self) -> &'static str {
        "tar archive (POSIX ustar, GNU and pax)"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Archive
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        data.get(..BLOCK)
            .is_some_and(|h| dialect(h).is_some() && checksum_ok(h))
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        read(&mut InMemory(data), cx)
    }
}

/// Reads the archive at the start of `data`, forward only: every byte is asked for at most
/// once after the parser said it is done with what comes before (see [`ArchiveBytes`]).
pub(crate) fn read(
    data: &mut dyn ArchiveBytes,
    cx: &mut Context<'_>,
) -> Result<Extracted, Rejected> {
    let first = header_at(data, 0).ok_or_else(|| Rejected::new("short header"))?;
    let dialect = dialect(&first).ok_or_else(|| Rejected::new("no ustar magic"))?;
    if !checksum_ok(&first) {
        return Err(Rejected::new("bad header checksum"));
    }
    let mut variant = match dialect {
        Dialect::Ustar => "ustar",
        Dialect::Gnu => "gnu",
    };
    let mut tree = cx.new_tree();
    let mut pending = Pending::default();
    let mut global: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut pos = 0usize;
    let offset = |pos: usize| u64::try_from(pos).unwrap_or(u64::MAX);

    loop {
        if cx.time_up("reading tar headers") {
            break;
        }
        data.release(pos);
        let Some(header) = header_at(data, pos) else {
            let len = data.len_upto(pos.saturating_add(1));
            if pos < len {
                cx.error(offset(pos), "archive truncated inside a header");
                pos = len;
            } else {
                cx.error(offset(pos), "archive ends without end-of-archive blocks");
            }
            break;
        };
        if header.iter().all(|&b| b == 0) {
            // End of archive; swallow the zero blocks that pad the last record.
            while header_at(data, pos).is_some_and(|h| h.iter().all(|&b| b == 0)) {
                pos = pos.saturating_add(BLOCK);
                data.release(pos);
            }
            break;
        }
        if !checksum_ok(&header) {
            cx.error(offset(pos), "bad header checksum: archive ends here");
            break;
        }
        let typeflag = header.get(156).copied().unwrap_or(0);
        let mut size = number(field(&header, 124, 12));
        if let Some(pax_size) = pending.pax.get(&b"size"[..]).and_then(|v| pax_number(v)) {
            if !matches!(typeflag, b'x' | b'g') {
                size = Some(pax_size);
            }
        }
        let Some(size) = size.and_then(|s| usize::try_from(s).ok()) else {
            cx.error(offset(pos), "unreadable size field: archive ends here");
            break;
        };
        let data_start = pos.saturating_add(BLOCK);
        let mut blocks_after = 0usize;
        if typeflag == b'S' && header.get(482).is_some_and(|&b| b != 0) {
            // GNU sparse: extension headers follow, each flagging whether another does.
            let mut ext = data_start;
            while let Some(h) = header_at(data, ext) {
                ext = ext.saturating_add(BLOCK);
                blocks_after = blocks_after.saturating_add(BLOCK);
                if h.get(504).is_none_or(|&b| b == 0) {
                    break;
                }
            }
        }
        let content_start = data_start.saturating_add(blocks_after);
        let content_end = content_start.saturating_add(size);
        let padded = size.div_ceil(BLOCK).saturating_mul(BLOCK);
        let next = content_start.saturating_add(padded);
        let is_meta = matches!(typeflag, b'L' | b'K' | b'x' | b'g') && size <= MAX_META_BYTES;
        if !is_meta {
            // Only a metadata record's bytes are read here; a member's data is skipped.
            data.release(content_end);
        }
        let available_len = data.len_upto(content_end).saturating_sub(content_start);
        match typeflag {
            b'L' | b'K' | b'x' | b'g' if size > MAX_META_BYTES => {
                cx.error(
                    offset(pos),
                    format!("metadata record of {size} bytes skipped"),
                );
            }
            b'L' => {
                pending.long_name = Some(cstr(data.get_some(content_start..content_end)).to_vec())
            }
            b'K' => {
                pending.long_link = Some(cstr(data.get_some(content_start..content_end)).to_vec())
            }
            b'x' | b'g' => {
                variant = "pax";
                let target = if typeflag == b'x' {
                    &mut pending.pax
                } else {
                    &mut global
                };
                if !parse_pax(data.get_some(content_start..content_end), target) {
                    cx.error(offset(pos), "malformed pax header");
                }
            }
            b'V' | b'M' => pending = Pending::default(),
            _ => {
                let meta = |key: &[u8]| {
                    pending
                        .pax
                        .get(key)
                        .or_else(|| global.get(key))
                        .map(Vec::as_slice)
                };
                let name: Vec<u8> = if let Some(path) = meta(b"path") {
                    path.to_vec()
                } else if let Some(long) = &pending.long_name {
                    long.clone()
                } else {
                    let name = cstr(field(&header, 0, 100));
                    let prefix = cstr(field(&header, 345, 155));
                    if dialect == Dialect::Ustar && !prefix.is_empty() {
                        [prefix, b"/", name].concat()
                    } else {
                        name.to_vec()
                    }
                };
                let link: Vec<u8> = if let Some(path) = meta(b"linkpath") {
                    path.to_vec()
                } else if let Some(long) = &pending.long_link {
                    long.clone()
                } else {
                    cstr(field(&header, 157, 100)).to_vec()
                };
                let uid = meta(b"uid")
                    .and_then(pax_number)
                    .or_else(|| number(field(&header, 108, 8)))
                    .unwrap_or(0);
                let gid = meta(b"gid")
                    .and_then(pax_number)
                    .or_else(|| number(field(&header, 116, 8)))
                    .unwrap_or(0);
                let mtime = meta(b"mtime")
                    .and_then(pax_number)
                    .or_else(|| number(field(&header, 136, 12)))
                    .unwrap_or(0);
                let mode = number(field(&header, 100, 8)).unwrap_or(0o644);
                let device = || {
                    let major = number(field(&header, 329, 8)).unwrap_or(0);
                    let minor = number(field(&header, 337, 8)).unwrap_or(0);
                    (
                        u32::try_from(major).unwrap_or(u32::MAX),
                        u32::try_from(minor).unwrap_or(u32::MAX),
                    )
                };
                let kind = match typeflag {
                    b'1' => EntryKind::Hardlink(link),
                    b'2' => EntryKind::Symlink(link),
                    b'3' => {
                        let (major, minor) = device();
                        EntryKind::CharDevice { major, minor }
                    }
                    b'4' => {
                        let (major, minor) = device();
                        EntryKind::BlockDevice { major, minor }
                    }
                    b'5' | b'D' => EntryKind::Dir,
                    b'6' => EntryKind::Fifo,
                    b'0' | 0 if name.ends_with(b"/") => EntryKind::Dir,
                    // Regular, contiguous, GNU sparse (its stored data) and unknown types:
                    // POSIX says unknown types read as regular files.
                    _ => EntryKind::File,
                };
                if typeflag == b'S' {
                    cx.error(
                        offset(pos),
                        "GNU sparse member: stored data kept without its holes",
                    );
                }
                let mut entry = Entry::new(&name, kind.clone())
                    .mode(u32::try_from(mode & 0o7777).unwrap_or(0o644))
                    .owner(
                        u32::try_from(uid).unwrap_or(u32::MAX),
                        u32::try_from(gid).unwrap_or(u32::MAX),
                    )
                    .mtime(i64::try_from(mtime).unwrap_or(i64::MAX));
                if kind == EntryKind::File {
                    if available_len < size {
                        cx.error(
                            offset(pos),
                            format!(
                                "member {} truncated: {available_len} of {size} bytes present",
                                crate::tree::escape_path(&name),
                            ),
                        );
                    }
                    let len = cx.cap_file(&name, available_len);
                    entry = data.file(entry, content_start..content_start.saturating_add(len));
                }
                if !cx.add(&mut tree, entry) {
                    break;
                }
                pending = Pending::default();
            }
        }
        let len = data.len_upto(next);
        if next > len {
            pos = len;
            if content_end > len && !matches!(typeflag, b'0' | 0 | b'7' | b'S') {
                cx.error(offset(pos), "archive truncated inside a member");
            }
            break;
        }
        pos = next;
    }
    cx.charge_tree(&tree);
    let len = data.len_upto(pos.max(BLOCK));
    Ok(Extracted {
        consumed: offset(pos.clamp(BLOCK, len.max(BLOCK))),
        output: Output::Tree(tree),
        variant: Some(variant),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, output_tree};
    use crate::testkit::{TarBuilder, tar_type};
    use crate::tree::NodeKind;

    #[test]
    fn reads_ustar_members_of_every_kind() {
        let tar = TarBuilder::new()
            .dir(b"etc/")
            .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
            .symlink(b"etc/mtab", b"/proc/mounts")
            .hardlink(b"etc/passwd-", b"etc/passwd")
            .special(b"dev/console", tar_type::CHAR, 5, 1)
            .special(b"dev/mtdblock0", tar_type::BLOCK, 31, 0)
            .special(b"run/fifo", tar_type::FIFO, 0, 0)
            .finish();
        let (ex, cx) = extract_ok(&TarFormat, &tar);
        assert_eq!(ex.consumed, tar.len() as u64);
        assert_eq!(ex.variant, Some("ustar"));
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/etc/passwd").map(|b| b.len()), Some(26));
        assert_eq!(tree.read("/etc/passwd-").map(|b| b.len()), Some(26));
        let kind = |p: &str| tree.get(p).map(|n| n.kind.clone());
        assert_eq!(
            kind("/etc/mtab"),
            Some(NodeKind::Symlink {
                target: "/proc/mounts".into()
            })
        );
        assert_eq!(
            kind("/dev/console"),
            Some(NodeKind::CharDevice { major: 5, minor: 1 })
        );
        assert_eq!(
            kind("/dev/mtdblock0"),
            Some(NodeKind::BlockDevice {
                major: 31,
                minor: 0
            })
        );
        assert_eq!(kind("/run/fifo"), Some(NodeKind::Fifo));
        let passwd = tree.get("/etc/passwd").unwrap();
        assert_eq!(
            (passwd.mode, passwd.uid, passwd.mtime),
            (0o644, 1000, 1_700_000_000)
        );
        assert!(tree.anomalies().is_empty());
    }

    #[test]
    fn reads_gnu_long_names_pax_records_and_ustar_prefixes() {
        let long = format!("{}/file.txt", "d".repeat(150));
        let deep = format!("{}/{}", "p".repeat(120), "n".repeat(90));
        let tar = TarBuilder::gnu()
            .gnu_long_file(long.as_bytes(), b"long")
            .finish();
        let (ex, _) = extract_ok(&TarFormat, &tar);
        assert_eq!(ex.variant, Some("gnu"));
        assert_eq!(
            output_tree(&ex)
                .read(&format!("/{long}"))
                .map(|b| b.to_vec()),
            Some(b"long".to_vec())
        );

        let tar = TarBuilder::new()
            .pax_entry(
                &[
                    ("path", "pax/\u{e9}t\u{e9}.txt".as_bytes()),
                    ("uid", b"4242"),
                ],
                b"short",
                tar_type::FILE,
                b"pax",
            )
            .file(deep.as_bytes(), b"prefixed")
            .finish();
        let (ex, cx) = extract_ok(&TarFormat, &tar);
        assert_eq!(ex.variant, Some("pax"));
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        assert_eq!(
            tree.get("/pax/\u{e9}t\u{e9}.txt").map(|n| n.uid),
            Some(4242)
        );
        assert!(
            tree.get("/short").is_none(),
            "pax path applies to one member"
        );
        assert_eq!(tree.read(&format!("/{deep}")).map(|b| b.len()), Some(8));
    }

    #[test]
    fn numbers_parse_octal_and_base256() {
        assert_eq!(number(b"0000644\0"), Some(0o644));
        assert_eq!(number(b"  755 \0"), Some(0o755));
        assert_eq!(number(b"\0\0\0"), Some(0));
        assert_eq!(number(b"0009"), None);
        assert_eq!(number(&[0x80, 0, 0, 0, 1, 0]), Some(256));
        assert_eq!(number(&[0xff, 0xff]), None);
        assert_eq!(
            number(&[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
    }

    #[test]
    fn truncated_and_corrupt_archives_keep_what_was_read() {
        let tar = TarBuilder::new()
            .file(b"a", &[1; 2000])
            .file(b"b", &[2; 2000])
            .finish();
        let (ex, cx) = extract_ok(&TarFormat, &tar[..3500]);
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/a").map(|b| b.len()), Some(2000));
        assert_eq!(tree.read("/b").map(|b| b.len()), Some(428));
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
        assert_eq!(ex.consumed, 3500);
        let (ex, cx) = extract_ok(&TarFormat, &tar[..3000]);
        assert_eq!(output_tree(&ex).files().count(), 1);
        assert!(cx.errors[0].message.contains("inside a header"));

        let mut corrupt = tar.clone();
        corrupt[2560 + 10] ^= 0xff; // second header's name: checksum fails
        let (ex, cx) = extract_ok(&TarFormat, &corrupt);
        assert_eq!(output_tree(&ex).files().count(), 1);
        assert_eq!(ex.consumed, 2560);
        assert!(cx.errors[0].message.contains("checksum"));

        let mut bad_first = tar;
        bad_first[0] ^= 0xff;
        assert!(!TarFormat.probe(&bad_first));
    }
}
