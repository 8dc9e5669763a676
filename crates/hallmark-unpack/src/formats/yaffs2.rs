//! YAFFS2 images as `mkyaffs2image`/`mkyaffs2` write them and as NAND dumps with OOB hold
//! them: a sequence of chunks, each a page of data followed by its spare (OOB) area carrying
//! packed tags (sequence number, object id, chunk id, byte count).
//!
//! YAFFS2 has no superblock, so the geometry is guessed the way `yaffshiv` does: page sizes
//! 512 to 16384 with their usual spare sizes, tags at offset 0 or 2 of the spare (after the
//! bad-block marker), little- or big-endian, and the candidate that reads the longest run of
//! valid tags from the first chunk wins (ties go to a geometry that divides the image size).
//! The image must start with an object header of a child of the root (the signature scanned
//! for) whose name is printable and whose mode's file type matches the object type. Tags with the "extra header info" flag (object type in the top bits of the object id)
//! are understood; the ECC bytes after the tags are not checked.
//!
//! Objects: files, directories, symlinks (alias), hard links (equivalent object) and special
//! files (devices, FIFOs, sockets from the mode), with mode, uid, gid and mtime. For each object
//! the header with the highest sequence number wins, and so does each data chunk (chunk id >= 1)
//! per object; a file's content is its chunks in order, cut to the size in its header (missing
//! chunks read as zeros and are reported). Deleted and unlinked objects are skipped; objects
//! whose parent is missing go to `lost+found`. Parent chains are walked with a hop limit, so
//! loops cannot hang. Content of more than one chunk is copied into a fresh buffer charged to
//! the budget with `Context::reserve`; single-chunk content is a range of the image.
//!
//! Not read: YAFFS1 (512-byte pages with YAFFS1 tags), in-band tags, checkpoint data.

use std::collections::BTreeMap;

use crate::blob::Blob;
use crate::bytes::Endian;
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::mode::{
    S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, device_kind,
};
use crate::tree::{Entry, EntryKind, escape_path};

/// YAFFS2 images.
pub(crate) struct Yaffs2Format;

/// An object header of a file, symlink, directory, hard link or special file whose parent is
/// the root (object 1), then the unused checksum `ffff`.
const MAGICS: &[Magic] = &[
    Magic::at_start(&[1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[2, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[3, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[4, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[5, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 3, 0, 0, 0, 1, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 4, 0, 0, 0, 1, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 5, 0, 0, 0, 1, 0xff, 0xff]),
];

/// (page, spare) pairs tried, most common first.
const GEOMETRIES: &[(usize, usize)] = &[
    (2048, 64),
    (512, 16),
    (4096, 128),
    (4096, 224),
    (4096, 256),
    (8192, 256),
    (8192, 448),
    (8192, 512),
    (8192, 640),
    (2048, 128),
    (1024, 32),
    (16384, 512),
    (16384, 1024),
    (16384, 1280),
];

/// Chunks read to score a geometry.
const SCORE_CHUNKS: usize = 128;

const SEQ_LOWEST: u32 = 0x0000_1000;
const SEQ_HIGHEST: u32 = 0xefff_ff00;
const EXTRA_HEADER_INFO: u32 = 0x8000_0000;
/// Object ids are at most 18 bits in YAFFS2; the top nibble may carry the object type.
const OBJECT_ID_MASK: u32 = 0x0fff_ffff;
const MAX_OBJECT_ID: u32 = 1 << 20;
const MAX_CHUNK_ID: u32 = 1 << 24;

const ROOT: u32 = 1;
const LOST_FOUND: u32 = 2;
const UNLINKED: u32 = 3;
const DELETED: u32 = 4;

/// Object header layout.
const NAME_AT: usize = 10;
const NAME_LEN: usize = 256;
const MODE_AT: usize = 0x10c;
const ALIAS_AT: usize = 0x12c;
const ALIAS_LEN: usize = 160;
const HEADER_LEN: usize = 0x200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Geometry {
    page: usize,
    spare: usize,
    endian: Endian,
    tag_offset: usize,
}

impl Geometry {
    fn chunk(&self) -> usize {
        self.page.saturating_add(self.spare)
    }
}

#[derive(Debug, Clone, Copy)]
struct Tags {
    seq: u32,
    obj: u32,
    chunk: u32,
    n_bytes: u32,
}

enum Tag {
    Erased,
    Valid(Tags),
    Invalid,
}

fn tag_at(data: &[u8], geometry: &Geometry, index: usize) -> Tag {
    let Some(spare) = index
        .checked_mul(geometry.chunk())
        .and_then(|start| start.checked_add(geometry.page))
        .and_then(|start| start.checked_add(geometry.tag_offset))
    else {
        return Tag::Invalid;
    };
    let field = |n: usize| {
        geometry
            .endian
            .u32(data, spare.saturating_add(n.saturating_mul(4)))
    };
    let (Some(seq), Some(obj), Some(chunk), Some(n_bytes)) =
        (field(0), field(1), field(2), field(3))
    else {
        return Tag::Invalid;
    };
    if [seq, obj, chunk, n_bytes].iter().all(|&w| w == u32::MAX) {
        return Tag::Erased;
    }
    if !(SEQ_LOWEST..=SEQ_HIGHEST).contains(&seq) {
        return Tag::Invalid;
    }
    let (obj, chunk) = if chunk & EXTRA_HEADER_INFO != 0 {
        (obj & OBJECT_ID_MASK, 0)
    } else {
        (obj, chunk)
    };
    let page = u32::try_from(geometry.page).unwrap_or(u32::MAX);
    if obj == 0 || obj >= MAX_OBJECT_ID || chunk >= MAX_CHUNK_ID || (chunk > 0 && n_bytes > page) {
        return Tag::Invalid;
    }
    Tag::Valid(Tags {
        seq,
        obj,
        chunk,
        n_bytes,
    })
}

/// An object header read from a chunk's page.
#[derive(Debug, Clone)]
struct ObjectHeader {
    kind: u32,
    parent: u32,
    name: Vec<u8>,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u32,
    size: u64,
    equiv: u32,
    alias: Vec<u8>,
    rdev: u32,
}

fn cstr(bytes: &[u8]) -> Option<&[u8]> {
    bytes.get(..memchr::memchr(0, bytes)?)
}

fn object_header(page: &[u8], geometry: &Geometry) -> Option<ObjectHeader> {
    let g = |pos: usize| geometry.endian.u32(page, pos);
    let kind = g(0)?;
    let parent = g(4)?;
    if !(1..=5).contains(&kind) || parent == 0 || parent >= MAX_OBJECT_ID {
        return None;
    }
    let name = cstr(page.get(NAME_AT..NAME_AT.checked_add(NAME_LEN)?)?)?;
    // Names are path components: no control bytes, no erased-flash bytes.
    if name.is_empty() || name.iter().any(|&b| b < 0x20 || b == 0xff) {
        return None;
    }
    let mode = g(MODE_AT)?;
    // The mode's file type agrees with the object type (hard links carry no mode).
    let type_ok = match (kind, mode & S_IFMT) {
        (1, t) => t == S_IFREG,
        (2, t) => t == S_IFLNK,
        (3, t) => t == S_IFDIR,
        (4, _) => true,
        (_, t) => matches!(t, S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK),
    };
    if !type_ok {
        return None;
    }
    let alias = cstr(page.get(ALIAS_AT..ALIAS_AT.checked_add(ALIAS_LEN)?)?).unwrap_or(&[]);
    let low = g(0x124)?;
    let high = g(0x1f0)?;
    let size = if high == u32::MAX || page.len() < HEADER_LEN {
        u64::from(low)
    } else {
        (u64::from(high) << 32) | u64::from(low)
    };
    Some(ObjectHeader {
        kind,
        parent,
        name: name.to_vec(),
        mode,
        uid: g(0x110)?,
        gid: g(0x114)?,
        mtime: g(0x11c)?,
        size,
        equiv: g(0x128)?,
        alias: alias.to_vec(),
        rdev: g(0x1cc)?,
    })
}

fn page_of<'d>(data: &'d [u8], geometry: &Geometry, index: usize) -> Option<&'d [u8]> {
    let start = index.checked_mul(geometry.chunk())?;
    data.get(start..start.checked_add(geometry.page)?)
}

/// How many chunks from the start read as valid tags (erased chunks neither count nor stop),
/// when the first chunk is the header of a root child.
fn score(data: &[u8], geometry: &Geometry) -> usize {
    let Tag::Valid(first) = tag_at(data, geometry, 0) else {
        return 0;
    };
    if first.chunk != 0 || first.obj <= DELETED {
        return 0;
    }
    let Some(header) = page_of(data, geometry, 0).and_then(|p| object_header(p, geometry)) else {
        return 0;
    };
    if header.parent != ROOT {
        return 0;
    }
    let mut valid = 0usize;
    for index in 0..SCORE_CHUNKS {
        if page_of(data, geometry, index).is_none() {
            break;
        }
        match tag_at(data, geometry, index) {
            Tag::Valid(_) => valid = valid.saturating_add(1),
            Tag::Erased => {}
            Tag::Invalid => break,
        }
    }
    valid
}

fn guess_geometry(data: &[u8]) -> Option<Geometry> {
    let endian = match data.get(..4)? {
        [1..=5, 0, 0, 0] => Endian::Little,
        [0, 0, 0, 1..=5] => Endian::Big,
        _ => return None,
    };
    let mut best: Option<(usize, bool, Geometry)> = None;
    for &(page, spare) in GEOMETRIES {
        for tag_offset in [0, 2] {
            let geometry = Geometry {
                page,
                spare,
                endian,
                tag_offset,
            };
            let s = score(data, &geometry);
            if s == 0 {
                continue;
            }
            let divides = data.len().checked_rem(geometry.chunk()) == Some(0);
            let better = match &best {
                None => true,
                Some((bs, bd, _)) => s > *bs || (s == *bs && divides && !bd),
            };
            if better {
                best = Some((s, divides, geometry));
            }
        }
    }
    best.map(|(_, _, geometry)| geometry)
}

/// Newest location of a header or data chunk: (sequence, chunk index).
type Newest = (u32, usize);

fn newer(candidate: Newest, current: Option<&Newest>) -> bool {
    current.is_none_or(|&(seq, index)| (candidate.0, candidate.1) >= (seq, index))
}

/// glibc's `gnu_dev_major`/`gnu_dev_minor` of a 32-bit `dev_t`.
fn dev_numbers(rdev: u32) -> (u32, u32) {
    (
        (rdev >> 8) & 0xfff,
        (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    )
}

impl Format for Yaffs2Format {
    fn id(&self) -> &'static str {
        "yaffs2"
    }

    fn description(&self) -> &'static str {
        "YAFFS2 filesystem image (page + spare chunks, geometry and byte order guessed)"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Filesystem
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        guess_geometry(data).is_some()
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let g = guess_geometry(data).ok_or_else(|| Rejected::new("no YAFFS2 geometry fits"))?;
        let chunk_len = g.chunk();
        let mut headers: BTreeMap<u32, Newest> = BTreeMap::new();
        let mut chunks: BTreeMap<(u32, u32), (Newest, u32)> = BTreeMap::new();
        let mut end = 0usize;
        let mut index = 0usize;
        loop {
            if index % 4096 == 0 && cx.time_up("reading YAFFS2 chunks") {
                break;
            }
            let Some(start) = index.checked_mul(chunk_len) else {
                break;
            };
            if start.saturating_add(chunk_len) > data.len() {
                break;
            }
            match tag_at(data, &g, index) {
                Tag::Invalid => break,
                Tag::Erased => {}
                Tag::Valid(t) => {
                    let at = (t.seq, index);
                    if t.chunk == 0 {
                        if newer(at, headers.get(&t.obj)) {
                            headers.insert(t.obj, at);
                        }
                    } else if newer(at, chunks.get(&(t.obj, t.chunk)).map(|(n, _)| n)) {
                        chunks.insert((t.obj, t.chunk), (at, t.n_bytes));
                    }
                }
            }
            end = start.saturating_add(chunk_len);
            index = index.saturating_add(1);
        }

        let mut objects: BTreeMap<u32, ObjectHeader> = BTreeMap::new();
        for (&obj, &(_, index)) in &headers {
            match page_of(data, &g, index).and_then(|p| object_header(p, &g)) {
                Some(header) => {
                    objects.insert(obj, header);
                }
                None => cx.error(
                    u64::try_from(index.saturating_mul(chunk_len)).unwrap_or(u64::MAX),
                    format!("object {obj}: unreadable header"),
                ),
            }
        }

        let mut tree = cx.new_tree();
        let mut paths: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
        for &obj in objects.keys() {
            if let Some(path) = path_of(obj, &objects, cx) {
                paths.insert(obj, path);
            }
        }
        let mut links = Vec::new();
        for (&obj, header) in &objects {
            if cx.time_up("building the YAFFS2 tree") {
                break;
            }
            let Some(path) = paths.get(&obj) else {
                continue;
            };
            let (major, minor) = dev_numbers(header.rdev);
            let kind = match header.kind {
                1 => EntryKind::File,
                2 => EntryKind::Symlink(header.alias.clone()),
                3 => EntryKind::Dir,
                4 => {
                    links.push((path.clone(), header.equiv));
                    continue;
                }
                _ => match header.mode & S_IFMT {
                    kind @ (S_IFCHR | S_IFBLK) => device_kind(kind, major, minor),
                    S_IFSOCK => EntryKind::Socket,
                    _ => EntryKind::Fifo,
                },
            };
            let mut entry = Entry::new(path, kind.clone())
                .mode(header.mode & 0o7777)
                .owner(header.uid, header.gid)
                .mtime(i64::from(header.mtime));
            if kind == EntryKind::File {
                entry = entry.content(content(data, &g, obj, header.size, path, &chunks, cx));
            }
            if !cx.add(&mut tree, entry) {
                break;
            }
        }
        for (path, target) in links {
            match paths.get(&target) {
                Some(target_path)
                    if objects
                        .get(&target)
                        .is_some_and(|t| t.kind != 3 && t.kind != 4) =>
                {
                    if !cx.add(&mut tree, Entry::hardlink(&path, target_path)) {
                        break;
                    }
                }
                _ => cx.error(
                    0,
                    format!(
                        "{}: hard link to object {target}, which is not a file: skipped",
                        escape_path(&path)
                    ),
                ),
            }
        }
        cx.charge_tree(&tree);
        if tree.is_empty() && objects.is_empty() {
            return Err(Rejected::new("no YAFFS2 object"));
        }
        Ok(Extracted {
            consumed: u64::try_from(end.max(1)).unwrap_or(u64::MAX),
            output: Output::Tree(tree),
            variant: Some(variant_name(&g)),
        })
    }
}

fn variant_name(g: &Geometry) -> &'static str {
    match (g.page, g.endian == Endian::Big) {
        (512, false) => "512-le",
        (512, true) => "512-be",
        (1024, false) => "1k-le",
        (1024, true) => "1k-be",
        (2048, false) => "2k-le",
        (2048, true) => "2k-be",
        (4096, false) => "4k-le",
        (4096, true) => "4k-be",
        (8192, false) => "8k-le",
        (8192, true) => "8k-be",
        (_, false) => "16k-le",
        (_, true) => "16k-be",
    }
}

/// The path of `obj` from its parent chain, or `None` for deleted objects and loops. Objects
/// whose parent is missing go to `lost+found`.
fn path_of(
    obj: u32,
    objects: &BTreeMap<u32, ObjectHeader>,
    cx: &mut Context<'_>,
) -> Option<Vec<u8>> {
    let mut names: Vec<&[u8]> = Vec::new();
    let mut current = obj;
    let mut ended = false;
    // A chain longer than the number of objects is a loop.
    for _ in 0..=objects.len() {
        match current {
            ROOT => {
                ended = true;
                break;
            }
            LOST_FOUND => {
                names.push(b"lost+found");
                ended = true;
                break;
            }
            UNLINKED | DELETED => return None,
            _ => {}
        }
        let Some(header) = objects.get(&current) else {
            cx.error(
                0,
                format!("object {obj}: parent {current} missing, placed in lost+found"),
            );
            names.push(b"lost+found");
            ended = true;
            break;
        };
        names.push(&header.name);
        current = header.parent;
    }
    if !ended {
        cx.error(0, format!("object {obj}: parent chain loops, skipped"));
        return None;
    }
    // Relative to the image's root: a leading `/` would read as an absolute name.
    let mut path = Vec::new();
    for name in names.iter().rev() {
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(name);
    }
    Some(path)
}

/// A file's content: its chunks in order, cut to `size`.
fn content(
    data: &Blob,
    g: &Geometry,
    obj: u32,
    size: u64,
    path: &[u8],
    chunks: &BTreeMap<(u32, u32), (Newest, u32)>,
    cx: &mut Context<'_>,
) -> Blob {
    let page = u64::try_from(g.page).unwrap_or(u64::MAX).max(1);
    let last_chunk = u32::try_from(size.div_ceil(page)).unwrap_or(u32::MAX);
    let present: Vec<(u32, usize, u32)> = chunks
        .range((obj, 1)..=(obj, last_chunk.max(1)))
        .map(|(&(_, chunk), &((_, index), n_bytes))| (chunk, index, n_bytes))
        .collect();
    if size == 0 {
        return Blob::empty();
    }
    let chunk_start = |index: usize| index.saturating_mul(g.chunk());
    // One chunk holding everything: a range of the image.
    if let [(1, index, n_bytes)] = present.as_slice() {
        if u64::from(*n_bytes) >= size {
            let len = usize::try_from(size).unwrap_or(usize::MAX);
            let len = cx.cap_file(path, len);
            let start = chunk_start(*index);
            return data
                .slice(start..start.saturating_add(len))
                .unwrap_or_default();
        }
    }
    // Present data ends with the last present chunk.
    let have = present.last().map_or(0, |&(chunk, _, n_bytes)| {
        u64::from(chunk.saturating_sub(1))
            .saturating_mul(page)
            .saturating_add(u64::from(n_bytes))
    });
    let want = size.min(have);
    if want < size || present.len() < usize::try_from(last_chunk).unwrap_or(usize::MAX) {
        cx.error(
            0,
            format!(
                "{}: {} of {} chunks present for {size} bytes",
                escape_path(path),
                present.len(),
                last_chunk
            ),
        );
    }
    let want = cx.cap_file(path, usize::try_from(want).unwrap_or(usize::MAX));
    let granted = cx.reserve(path, u64::try_from(want).unwrap_or(u64::MAX));
    let granted = usize::try_from(granted).unwrap_or(0).min(want);
    let mut out = vec![0u8; granted];
    let page_len = g.page;
    for (chunk, index, n_bytes) in present {
        let Some(at) = usize::try_from(chunk.saturating_sub(1))
            .ok()
            .and_then(|c| c.checked_mul(page_len))
        else {
            continue;
        };
        if at >= granted {
            break;
        }
        let n = usize::try_from(n_bytes)
            .unwrap_or(0)
            .min(granted.saturating_sub(at));
        let start = chunk_start(index);
        if let (Some(dst), Some(src)) = (
            out.get_mut(at..at.saturating_add(n)),
            data.get(start..start.saturating_add(n)),
        ) {
            dst.copy_from_slice(src);
        }
    }
    Blob::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, output_tree};
    use crate::testkit::Yaffs2Builder;
    use crate::tree::NodeKind;

    fn sample(builder: &mut Yaffs2Builder) {
        let etc = builder.dir(1, b"etc", 0o755);
        builder.file(etc, b"passwd", b"root:x:0:0::/root:/bin/sh\n", 0o644);
        let bin = builder.dir(1, b"bin", 0o755);
        let busybox = builder.file(bin, b"busybox", &b"\x7fELF".repeat(3000), 0o755);
        builder.symlink(bin, b"sh", b"busybox");
        builder.hardlink(bin, b"ls", busybox);
        builder.special(1, b"console", 0o020600, (5 << 8) | 1);
    }

    #[test]
    fn every_geometry_and_byte_order() {
        for (page, spare, tag_offset) in
            [(2048, 64, 0), (2048, 64, 2), (512, 16, 0), (4096, 128, 2)]
        {
            for big in [false, true] {
                let mut b = Yaffs2Builder::new(page, spare, tag_offset, big);
                sample(&mut b);
                let data = b.finish();
                let (ex, cx) = extract_ok(&Yaffs2Format, &data);
                assert!(cx.errors.is_empty(), "{page} {big}: {:?}", cx.errors);
                assert_eq!(ex.consumed, data.len() as u64);
                let tree = output_tree(&ex);
                assert!(tree.anomalies().is_empty(), "{:?}", tree.anomalies());
                assert_eq!(
                    tree.read("/etc/passwd").unwrap().as_slice(),
                    b"root:x:0:0::/root:/bin/sh\n"
                );
                assert_eq!(tree.read("/bin/sh").unwrap().len(), 12000);
                assert_eq!(
                    tree.read("/bin/ls").unwrap().as_slice(),
                    &b"\x7fELF".repeat(3000)[..]
                );
                assert_eq!(tree.get("/bin/busybox").unwrap().mode, 0o755);
                assert_eq!(
                    tree.get("/console").unwrap().kind,
                    NodeKind::CharDevice { major: 5, minor: 1 }
                );
                assert_eq!(tree.get("/etc/passwd").unwrap().uid, 1000);
            }
        }
    }

    #[test]
    fn newest_sequence_wins_and_deleted_objects_vanish() {
        let mut b = Yaffs2Builder::new(2048, 64, 0, false);
        let f = b.file(1, b"f", b"old content", 0o644);
        let g = b.file(1, b"gone", b"x", 0o644);
        b.next_sequence();
        b.rewrite_file(f, 1, b"f", b"new content!", 0o600);
        b.rewrite_file(g, 4, b"gone", b"", 0o644);
        let data = b.finish();
        let (ex, cx) = extract_ok(&Yaffs2Format, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/f").unwrap().as_slice(), b"new content!");
        assert_eq!(tree.get("/f").unwrap().mode, 0o600);
        assert!(tree.get("/gone").is_none());
    }

    #[test]
    fn parent_loops_end() {
        let mut b = Yaffs2Builder::new(2048, 64, 0, false);
        let a = b.dir(1, b"a", 0o755);
        let c = b.dir(a, b"c", 0o755);
        b.file(c, b"f", b"data", 0o644);
        b.next_sequence();
        // a's parent becomes c: a <-> c loop.
        b.rewrite_dir(a, c, b"a");
        let data = b.finish();
        let (ex, cx) = extract_ok(&Yaffs2Format, &data);
        assert!(!cx.errors.is_empty());
        assert!(output_tree(&ex).len() < 10);
    }
}
