//! Linux romfs (`-rom1fs-`), as made by `genromfs`: big-endian, 16-byte aligned file headers
//! (`next` with the type and exec bit in its low nibble, `spec.info`, size, checksum, name),
//! data right after the padded name.
//!
//! Read: every file type (hard link, directory, regular file, symlink, block and character
//! devices, socket, FIFO). romfs stores no permissions or owners: modes are the kernel's
//! (`0644`, directories `0755`, symlinks `0777`, devices `0600`, plus `0111` when the exec bit
//! is set), owner root, mtime 0. Hard links become hard links to the path of their target; the
//! `.` and `..` entries are skipped, and a hard link to a directory is refused. The
//! superblock checksum (over its first 512 bytes) must be right, as the kernel requires: the
//! magic alone is a common string in kernels and tools. A file header checksum mismatch is
//! recorded and the data still read.
//!
//! Safety: every header offset is visited at most once (loops in `next` chains or directory
//! pointers end the chain with an error), offsets and sizes are checked against the declared
//! image size, and file contents are ranges of the image (no copy). The extent is the size the
//! superblock declares, plus the zero padding `genromfs` adds up to a 1 KiB boundary.

use std::collections::{BTreeMap, BTreeSet};

use crate::blob::Blob;
use crate::bytes::be32;
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::tree::{Entry, EntryKind, escape_path};

/// Linux romfs.
pub(crate) struct RomfsFormat;

const MAGIC: &[u8] = b"-rom1fs-";

const MAGICS: &[Magic] = &[Magic::at_start(MAGIC)];

/// Longest name read (`PATH_MAX`); genromfs limits names much further.
const MAX_NAME: usize = 4096;

/// Hops followed through hard links to hard links.
const MAX_LINK_HOPS: usize = 8;

fn align16(value: usize) -> Option<usize> {
    value.checked_next_multiple_of(16)
}

/// Sum of big-endian words, romfs's checksum (a valid block sums to zero).
fn word_sum(bytes: &[u8]) -> u32 {
    bytes.chunks(4).fold(0u32, |sum, word| {
        let mut padded = [0u8; 4];
        for (dst, src) in padded.iter_mut().zip(word) {
            *dst = *src;
        }
        sum.wrapping_add(u32::from_be_bytes(padded))
    })
}

/// A NUL-terminated name at `pos`, and where the 16-byte aligned area after it ends.
fn name_at(data: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = data.get(pos..)?;
    let window = rest.get(..rest.len().min(MAX_NAME.saturating_add(1)))?;
    let len = memchr::memchr(0, window)?;
    let name = window.get(..len)?;
    let end = align16(pos.checked_add(len)?.checked_add(1)?)?;
    Some((name, end))
}

/// A file header.
struct FileHeader<'a> {
    next: usize,
    kind: u32,
    exec: bool,
    spec: u32,
    size: u32,
    name: &'a [u8],
    data_start: usize,
    checksum_ok: bool,
}

fn file_header(image: &[u8], pos: usize) -> Option<FileHeader<'_>> {
    let next = be32(image, pos)?;
    let spec = be32(image, pos.checked_add(4)?)?;
    let size = be32(image, pos.checked_add(8)?)?;
    let (name, data_start) = name_at(image, pos.checked_add(16)?)?;
    let checksum_ok = image
        .get(pos..data_start)
        .is_some_and(|header| word_sum(header) == 0);
    Some(FileHeader {
        next: usize::try_from(next & !0xf).ok()?,
        kind: next & 7,
        exec: next & 8 != 0,
        spec,
        size,
        name,
        data_start,
        checksum_ok,
    })
}

/// `dir/name`, relative to the image's root (no leading `/`: that would read as an absolute
/// name to the tree).
fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = dir.to_vec();
    if !path.is_empty() {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    path
}

impl Format for RomfsFormat {
    fn id(&self) -> &'static str {
        "romfs"
    }

    fn description(&self) -> &'static str {
        "Linux romfs filesystem image"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Filesystem
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        let Some(size) = be32(data, 8).and_then(|size| usize::try_from(size).ok()) else {
            return false;
        };
        // The kernel refuses a superblock whose checksum (over its first 512 bytes, or the
        // whole image when smaller) is wrong; so do we: the magic alone is a common string.
        data.starts_with(MAGIC)
            && size >= 32
            && name_at(data, 16).is_some()
            && data
                .get(..size.min(512))
                .is_some_and(|head| word_sum(head) == 0)
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        if !self.probe(data) {
            return Err(Rejected::new("no romfs superblock"));
        }
        let declared = be32(data, 8)
            .and_then(|size| usize::try_from(size).ok())
            .unwrap_or(usize::MAX);
        let size = declared.min(data.len());
        if declared > data.len() {
            cx.error(
                0,
                format!(
                    "image truncated: {} of {declared} bytes present",
                    data.len()
                ),
            );
        }
        // Everything below reads within the declared image only.
        let image = data.get(..size).unwrap_or(&[]);
        let (_, first) = name_at(image, 16).ok_or_else(|| Rejected::new("bad volume name"))?;

        let mut tree = cx.new_tree();
        let mut visited: BTreeSet<usize> = BTreeSet::new();
        // Header offset -> path, for hard links; links resolved at the end.
        let mut paths: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        let mut links: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut dirs: Vec<(usize, Vec<u8>)> = vec![(first, Vec::new())];
        let offset = |pos: usize| u64::try_from(pos).unwrap_or(u64::MAX);
        let mut full = false;

        'dirs: while let Some((start, dir)) = dirs.pop() {
            let mut pos = start;
            while pos != 0 {
                if cx.time_up("reading romfs headers") {
                    break 'dirs;
                }
                if !visited.insert(pos) {
                    cx.error(
                        offset(pos),
                        format!("header at {pos:#x} reached twice (a loop): chain ends"),
                    );
                    break;
                }
                let Some(h) = file_header(image, pos) else {
                    cx.error(
                        offset(pos),
                        format!("file header at {pos:#x} outside the image: chain ends"),
                    );
                    break;
                };
                if !h.checksum_ok {
                    cx.error(
                        offset(pos),
                        format!("file header checksum mismatch for {}", escape_path(h.name)),
                    );
                }
                let next = h.next;
                if h.name == b"." || h.name == b".." {
                    pos = next;
                    continue;
                }
                let path = join(&dir, h.name);
                let mode = match h.kind {
                    1 => 0o644,
                    3 => 0o777,
                    4 | 5 => 0o600,
                    _ => 0o644,
                } | if h.exec { 0o111 } else { 0 };
                let major = h.spec >> 16;
                let minor = h.spec & 0xffff;
                let len = usize::try_from(h.size).unwrap_or(usize::MAX);
                let end = h.data_start.saturating_add(len);
                let body = image
                    .get(h.data_start.min(size)..end.min(size))
                    .unwrap_or(&[]);
                if matches!(h.kind, 2 | 3) && body.len() < len {
                    cx.error(
                        offset(pos),
                        format!(
                            "{}: {} of {len} bytes inside the image",
                            escape_path(&path),
                            body.len()
                        ),
                    );
                }
                let kind = match h.kind {
                    0 => {
                        links.push((path, usize::try_from(h.spec & !0xf).unwrap_or(0)));
                        pos = next;
                        continue;
                    }
                    1 => {
                        let child = usize::try_from(h.spec & !0xf).unwrap_or(0);
                        if child != 0 {
                            dirs.push((child, path.clone()));
                        }
                        EntryKind::Dir
                    }
                    2 => EntryKind::File,
                    3 => EntryKind::Symlink(body.to_vec()),
                    4 => EntryKind::BlockDevice { major, minor },
                    5 => EntryKind::CharDevice { major, minor },
                    6 => EntryKind::Socket,
                    _ => EntryKind::Fifo,
                };
                let mut entry = Entry::new(&path, kind.clone()).mode(mode);
                if kind == EntryKind::File {
                    let len = cx.cap_file(&path, body.len());
                    let start = h.data_start.min(size);
                    entry = entry.content(
                        data.slice(start..start.saturating_add(len))
                            .unwrap_or_default(),
                    );
                }
                if !cx.add(&mut tree, entry) {
                    full = true;
                    break 'dirs;
                }
                if h.kind != 1 {
                    paths.insert(pos, path);
                } else {
                    paths.insert(pos, Vec::new());
                }
                pos = next;
            }
        }
        if !full {
            self.add_links(image, &links, &paths, &mut tree, cx);
        }
        cx.charge_tree(&tree);

        // genromfs pads the image with zeros to a 1 KiB boundary.
        let mut consumed = size;
        if declared <= data.len() {
            let padded = consumed
                .checked_next_multiple_of(1024)
                .unwrap_or(consumed)
                .min(data.len());
            if data
                .get(consumed..padded)
                .is_some_and(|pad| pad.iter().all(|&b| b == 0))
            {
                consumed = padded;
            }
        }
        Ok(Extracted {
            consumed: offset(consumed),
            output: Output::Tree(tree),
            variant: None,
        })
    }
}

impl RomfsFormat {
    /// Adds hard links whose targets were read; a link to a directory (other than `.` and
    /// `..`, skipped before) or to nothing is refused with an error.
    fn add_links(
        &self,
        image: &[u8],
        links: &[(Vec<u8>, usize)],
        paths: &BTreeMap<usize, Vec<u8>>,
        tree: &mut crate::tree::FileTree,
        cx: &mut Context<'_>,
    ) {
        let offset = |pos: usize| u64::try_from(pos).unwrap_or(u64::MAX);
        for (path, target) in links {
            let mut target = *target;
            let mut resolved = None;
            for _ in 0..MAX_LINK_HOPS {
                match paths.get(&target) {
                    Some(found) => {
                        resolved = Some(found);
                        break;
                    }
                    // A link to a link: follow it.
                    None => match file_header(image, target) {
                        Some(h) if h.kind == 0 => {
                            target = usize::try_from(h.spec & !0xf).unwrap_or(0);
                        }
                        _ => break,
                    },
                }
            }
            match resolved {
                Some(found) if !found.is_empty() => {
                    if !cx.add(tree, Entry::hardlink(path, found)) {
                        return;
                    }
                }
                Some(_) => cx.error(
                    offset(target),
                    format!("{}: hard link to a directory, skipped", escape_path(path)),
                ),
                None => cx.error(
                    offset(target),
                    format!("{}: hard link to no file, skipped", escape_path(path)),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, output_tree};
    use crate::testkit::RomfsBuilder;
    use crate::tree::NodeKind;

    #[test]
    fn reads_every_type_with_modes_and_links() {
        let mut b = RomfsBuilder::new();
        let etc = b.dir(0, b"etc");
        b.file(etc, b"passwd", b"root:x:0:0::/root:/bin/sh\n", false);
        let sh = b.file(0, b"sh", b"#!binary", true);
        b.symlink(0, b"link", b"etc/passwd");
        b.hardlink(0, b"hard", sh);
        b.device(0, b"console", 5, 5, 1);
        b.special(0, b"fifo", 7);
        let data = b.finish();
        let (ex, cx) = extract_ok(&RomfsFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, data.len() as u64);
        let tree = output_tree(&ex);
        assert!(tree.anomalies().is_empty(), "{:?}", tree.anomalies());
        assert_eq!(
            tree.read("/etc/passwd").unwrap().as_slice(),
            b"root:x:0:0::/root:/bin/sh\n"
        );
        assert_eq!(tree.get("/etc").unwrap().mode, 0o755);
        assert_eq!(tree.get("/sh").unwrap().mode, 0o755);
        assert_eq!(tree.get("/etc/passwd").unwrap().mode, 0o644);
        assert_eq!(
            tree.read("/link").unwrap().as_slice(),
            b"root:x:0:0::/root:/bin/sh\n"
        );
        assert_eq!(tree.read("/hard").unwrap().as_slice(), b"#!binary");
        assert_eq!(
            tree.get("/console").unwrap().kind,
            NodeKind::CharDevice { major: 5, minor: 1 }
        );
        assert_eq!(tree.get("/fifo").unwrap().kind, NodeKind::Fifo);
    }

    #[test]
    fn loops_and_links_to_directories_end_with_errors() {
        let mut b = RomfsBuilder::new();
        let d = b.dir(0, b"d");
        b.file(d, b"f", b"x", false);
        b.hardlink(0, b"dirlink", d);
        let mut data = b.finish();
        // Point the directory's child list back at the root's first header.
        b.patch_spec(&mut data, d, 32);
        let (ex, cx) = extract_ok(&RomfsFormat, &data);
        assert!(!cx.errors.is_empty());
        let tree = output_tree(&ex);
        assert!(tree.get("/dirlink").is_none());
        // Bounded output: each header is read once.
        assert!(tree.len() < 10);
    }
}
