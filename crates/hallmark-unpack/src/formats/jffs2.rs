//! JFFS2 (Journalling Flash File System v2) images, little- and big-endian.
//!
//! # What is read
//!
//! The image is a log of 4-byte aligned nodes, each with a 12-byte header (magic `0x1985`,
//! node type, total length, header CRC). The byte order is that of the first node's magic.
//! The reader walks every node from the candidate's start:
//!
//! - **dirent** (`0xe001`): a name in a parent directory, with a version; the highest version
//!   of a (parent, name) pair wins and an inode number of 0 deletes the name;
//! - **inode** (`0xe002`): metadata (mode, owner, size, mtime) plus a range of file data;
//!   the highest version gives the metadata and the file size; data ranges are laid down by
//!   version, the newer covering the older, and each node's size truncates what older nodes
//!   wrote beyond it; what no node covers reads as zeros (holes);
//! - **cleanmarker**, **padding**, **summary**, **xattr** and **xref** nodes are checked
//!   (header CRC) and skipped; so are obsolete nodes (the "accurate" bit cleared) and node
//!   types this reader does not know.
//!
//! Every header CRC, node CRC, name CRC and data CRC is checked; a node failing one is
//! skipped, counted and recorded with [`Context::error`] (the first
//! [`MAX_REPORTED`](crate::formats::damage::MAX_REPORTED) individually, then a count).
//! Between nodes, runs of `0xff` (erased flash, erase block
//! padding) are skipped; unrecognised bytes are skipped too while a valid node follows within
//! [`MAX_GAP`] bytes (the gap is recorded as damage), else the image ends.
//!
//! Data compression: none, zero (a hole), zlib (with or without the zlib header, as the
//! kernel accepts), rtime, LZO1X and LZMA with the settings of the kernel's jffs2 LZMA
//! compressor (`lc=0 lp=0 pb=0`, 8 KiB dictionary, no header). rubin, dynrubin and "copy"
//! are **not decoded**: no current kernel or `mkfs.jffs2` enables them; the range such a node
//! covers stays zeros and the file is recorded as damaged.
//!
//! # Extent
//!
//! The image extends to the end of its last node with a valid header, plus the `0xff` run
//! that follows it up to the last erase block boundary inside the run (the erase block size
//! is the spacing of cleanmarkers when there are any, else 4 KiB, the smallest erase block),
//! or to the end of the data when the run reaches it (trailing erased flash). Anything else
//! after the last node is left to the signature scan.
//!
//! # Safety
//!
//! Names are refused when empty, `.`, `..`, or holding `/` or NUL (a JFFS2 name never
//! does); the tree's own rules handle the rest. A directory reached twice (a loop, or a hard
//! linked directory) is not entered again. File sizes are capped by
//! [`Context::cap_file`] and every byte produced is reserved from the budget first
//! ([`Context::reserve`]), so a node claiming a 4 GiB file costs at most the per-file limit
//! and only what the budget still allows; a node decompresses into at most its declared size
//! ([`MAX_NODE_DATA`] at most), and only nodes whose data is still visible are decompressed.
//! Files stored in one uncompressed node are slices of the image, not copies.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use crate::blob::Blob;
use crate::bytes::{Endian, to_u64};
use crate::codec::{self, Codec};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::damage::Damage;
use crate::formats::mode::{
    S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, device_kind,
};
use crate::tree::{Entry, EntryKind, FileTree, escape_path};

/// JFFS2, both byte orders.
pub(crate) struct Jffs2Format;

const MAGIC: u16 = 0x1985;

const NODE_ACCURATE: u16 = 0x2000;
const NODETYPE_DIRENT: u16 = 0xe001;
const NODETYPE_INODE: u16 = 0xe002;
const NODETYPE_CLEANMARKER: u16 = 0x2003;

/// The magic followed by a node type, in both byte orders, for the node types an image
/// starts with in practice (the scan needs 4 bytes to stay quiet on random data).
const MAGICS: &[Magic] = &[
    Magic::at_start(&[0x85, 0x19, 0x01, 0xe0]),
    Magic::at_start(&[0x85, 0x19, 0x02, 0xe0]),
    Magic::at_start(&[0x85, 0x19, 0x03, 0x20]),
    Magic::at_start(&[0x85, 0x19, 0x04, 0x20]),
    Magic::at_start(&[0x85, 0x19, 0x06, 0x20]),
    Magic::at_start(&[0x85, 0x19, 0x08, 0xe0]),
    Magic::at_start(&[0x85, 0x19, 0x09, 0xe0]),
    Magic::at_start(&[0x19, 0x85, 0xe0, 0x01]),
    Magic::at_start(&[0x19, 0x85, 0xe0, 0x02]),
    Magic::at_start(&[0x19, 0x85, 0x20, 0x03]),
    Magic::at_start(&[0x19, 0x85, 0x20, 0x04]),
    Magic::at_start(&[0x19, 0x85, 0x20, 0x06]),
    Magic::at_start(&[0x19, 0x85, 0xe0, 0x08]),
    Magic::at_start(&[0x19, 0x85, 0xe0, 0x09]),
];

const HEADER_LEN: usize = 12;
const DIRENT_LEN: usize = 40;
const INODE_LEN: usize = 68;

const COMPR_NONE: u8 = 0x00;
const COMPR_ZERO: u8 = 0x01;
const COMPR_RTIME: u8 = 0x02;
const COMPR_RUBINMIPS: u8 = 0x03;
const COMPR_COPY: u8 = 0x04;
const COMPR_DYNRUBIN: u8 = 0x05;
const COMPR_ZLIB: u8 = 0x06;
const COMPR_LZO: u8 = 0x07;
const COMPR_LZMA: u8 = 0x08;

/// The kernel's jffs2 LZMA settings: `lc=0 lp=0 pb=0` and an 8 KiB dictionary.
const LZMA_PROPS: u8 = 0;
const LZMA_DICT: u32 = 0x2000;

/// Largest decompressed data of one node. The kernel writes at most a page per node (4 KiB,
/// 64 KiB on some architectures); a hole node (`zero` compression) may be larger since it
/// costs nothing to read.
pub(crate) const MAX_NODE_DATA: usize = 1 << 20;

/// Most bytes of unrecognised data skipped between two nodes before the image is taken to
/// end.
pub(crate) const MAX_GAP: usize = 64 * 1024;

/// Longest symlink target (`PATH_MAX`) or device number read.
const MAX_LINK: u64 = 4096;

/// The smallest erase block, used to find the end of the image's padding when no
/// cleanmarkers tell the real size.
const MIN_ERASE_BLOCK: usize = 4096;

/// `DT_DIR` in a dirent's type field.
const DT_DIR: u8 = 4;

const ROOT_INO: u32 = 1;

/// JFFS2's CRC-32: the usual reflected polynomial, seed 0, no final inversion.
pub(crate) fn crc(bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(u32::MAX);
    hasher.update(bytes);
    !hasher.finalize()
}

/// A node header whose CRC holds.
#[derive(Debug, Clone, Copy)]
struct Header {
    nodetype: u16,
    totlen: usize,
}

/// The byte order whose magic starts `data`.
fn endian_of(data: &[u8]) -> Option<Endian> {
    match data.get(..2)? {
        [0x85, 0x19] => Some(Endian::Little),
        [0x19, 0x85] => Some(Endian::Big),
        _ => None,
    }
}

/// The header at `pos`, if its magic and CRC hold. The CRC is computed with the "accurate"
/// bit set, as the kernel does, so obsolete nodes (bit cleared after writing) still check.
fn header(data: &[u8], pos: usize, endian: Endian) -> Option<Header> {
    if endian.u16(data, pos)? != MAGIC {
        return None;
    }
    let nodetype = endian.u16(data, pos.checked_add(2)?)?;
    let totlen = endian.u32(data, pos.checked_add(4)?)?;
    let stored = endian.u32(data, pos.checked_add(8)?)?;
    let mut bytes = [0u8; 8];
    let raw = data.get(pos..pos.checked_add(8)?)?;
    bytes.copy_from_slice(raw);
    let accurate = match endian {
        Endian::Little => (nodetype | NODE_ACCURATE).to_le_bytes(),
        Endian::Big => (nodetype | NODE_ACCURATE).to_be_bytes(),
    };
    if let Some(slot) = bytes.get_mut(2..4) {
        slot.copy_from_slice(&accurate);
    }
    if crc(&bytes) != stored {
        return None;
    }
    let totlen = usize::try_from(totlen).ok()?;
    (totlen >= HEADER_LEN).then_some(Header { nodetype, totlen })
}

/// One directory entry node.
#[derive(Debug, Clone)]
struct Dirent {
    pos: usize,
    pino: u32,
    version: u32,
    ino: u32,
    dtype: u8,
    name: Vec<u8>,
}

/// One inode node (metadata plus a range of data).
#[derive(Debug, Clone)]
struct InodeNode {
    pos: usize,
    ino: u32,
    version: u32,
    mode: u32,
    uid: u16,
    gid: u16,
    isize: u64,
    mtime: u32,
    offset: u64,
    dsize: u64,
    compr: u8,
    /// Compressed data, as a range of the image.
    data: Range<usize>,
}

impl InodeNode {
    fn end(&self) -> u64 {
        self.offset.saturating_add(self.dsize)
    }
}

fn align4(value: usize) -> Option<usize> {
    value.checked_next_multiple_of(4)
}

/// Everything the node walk found.
struct Log {
    dirents: Vec<Dirent>,
    inodes: Vec<InodeNode>,
    /// End of the last node with a valid header.
    end: usize,
    cleanmarkers: Vec<usize>,
}

/// Walks the nodes from the start of `data`.
fn walk(data: &[u8], endian: Endian, cx: &mut Context<'_>, damage: &mut Damage) -> Log {
    let mut log = Log {
        dirents: Vec::new(),
        inodes: Vec::new(),
        end: 0,
        cleanmarkers: Vec::new(),
    };
    let mut pos = 0usize;
    // Start of the unrecognised bytes being skipped, and how many of them.
    let mut gap: Option<(usize, usize)> = None;
    let mut steps = 0u32;
    while pos.saturating_add(HEADER_LEN) <= data.len() {
        steps = steps.wrapping_add(1);
        if steps % 4096 == 0 && cx.time_up("walking jffs2 nodes") {
            break;
        }
        // Erased flash.
        if data.get(pos..pos.saturating_add(4)) == Some(&[0xff; 4]) {
            let rest = data.get(pos..).unwrap_or(&[]);
            let run = rest.iter().position(|&b| b != 0xff).unwrap_or(rest.len());
            pos = pos.saturating_add(run & !3);
            continue;
        }
        let Some(head) = header(data, pos, endian) else {
            if pos > 0 && endian.u16(data, pos) == Some(MAGIC) && gap.is_none() {
                damage.record(cx, pos, "node header CRC mismatch: node skipped");
            }
            let (start, len) = gap.unwrap_or((pos, 0));
            let len = len.saturating_add(4);
            if len > MAX_GAP {
                break;
            }
            gap = Some((start, len));
            pos = pos.saturating_add(4);
            continue;
        };
        if let Some((start, len)) = gap.take() {
            damage.record(
                cx,
                start,
                format!("{len} bytes of unrecognised data between nodes skipped"),
            );
        }
        let Some(end) = pos.checked_add(head.totlen).filter(|&e| e <= data.len()) else {
            damage.record(
                cx,
                pos,
                format!(
                    "node of {} bytes runs past the end of the data: image truncated",
                    head.totlen
                ),
            );
            log.end = data.len();
            break;
        };
        let node = data.get(pos..end).unwrap_or(&[]);
        read_node(node, pos, head, endian, &mut log, cx, damage);
        log.end = end;
        match align4(end) {
            Some(next) => pos = next,
            None => break,
        }
    }
    log
}

/// Records one node whose header is valid.
fn read_node(
    node: &[u8],
    pos: usize,
    head: Header,
    endian: Endian,
    log: &mut Log,
    cx: &mut Context<'_>,
    damage: &mut Damage,
) {
    if head.nodetype & NODE_ACCURATE == 0 {
        return; // Obsolete.
    }
    match head.nodetype {
        NODETYPE_DIRENT => match dirent(node, pos, endian) {
            Ok(d) => log.dirents.push(d),
            Err(why) => damage.record(cx, pos, format!("dirent: {why}: node skipped")),
        },
        NODETYPE_INODE => match inode(node, pos, endian) {
            Ok(i) => log.inodes.push(i),
            Err(why) => damage.record(cx, pos, format!("inode: {why}: node skipped")),
        },
        NODETYPE_CLEANMARKER => log.cleanmarkers.push(pos),
        // Padding, summaries (an index of the erase block's nodes, which the walk reads
        // anyway), extended attributes and node types this reader does not know.
        _ => {}
    }
}

fn dirent(node: &[u8], pos: usize, endian: Endian) -> Result<Dirent, &'static str> {
    let field = |at: usize| endian.u32(node, at).ok_or("short node");
    let head = node.get(..DIRENT_LEN).ok_or("short node")?;
    let (covered, _) = head.split_at(32);
    if crc(covered) != field(32)? {
        return Err("node CRC mismatch");
    }
    let nsize = usize::from(*node.get(28).ok_or("short node")?);
    let name = node
        .get(DIRENT_LEN..DIRENT_LEN.saturating_add(nsize))
        .ok_or("name runs past the node")?;
    if crc(name) != field(36)? {
        return Err("name CRC mismatch");
    }
    Ok(Dirent {
        pos,
        pino: field(12)?,
        version: field(16)?,
        ino: field(20)?,
        dtype: *node.get(29).ok_or("short node")?,
        name: name.to_vec(),
    })
}

fn inode(node: &[u8], pos: usize, endian: Endian) -> Result<InodeNode, &'static str> {
    let field = |at: usize| endian.u32(node, at).ok_or("short node");
    let half = |at: usize| endian.u16(node, at).ok_or("short node");
    let head = node.get(..INODE_LEN).ok_or("short node")?;
    let (covered, _) = head.split_at(60);
    if crc(covered) != field(64)? {
        return Err("node CRC mismatch");
    }
    let csize = usize::try_from(field(48)?).map_err(|_| "data size")?;
    let data_end = INODE_LEN
        .checked_add(csize)
        .filter(|&e| e <= node.len())
        .ok_or("data runs past the node")?;
    let data = node.get(INODE_LEN..data_end).ok_or("short node")?;
    if crc(data) != field(60)? {
        return Err("data CRC mismatch");
    }
    let start = pos.saturating_add(INODE_LEN);
    Ok(InodeNode {
        pos,
        ino: field(12)?,
        version: field(16)?,
        mode: field(20)?,
        uid: half(24)?,
        gid: half(26)?,
        isize: u64::from(field(28)?),
        mtime: field(36)?,
        offset: u64::from(field(44)?),
        dsize: u64::from(field(52)?),
        compr: *node.get(56).ok_or("short node")?,
        data: start..start.saturating_add(csize),
    })
}

/// The kernel's "rtime" decompressor: each literal byte is followed by a repeat count of
/// bytes copied from just after that byte value's previous occurrence.
pub(crate) fn rtime(input: &[u8], out_len: usize) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut positions = [0usize; 256];
    let mut bytes = input.iter();
    while out.len() < out_len {
        let (Some(&value), Some(&repeat)) = (bytes.next(), bytes.next()) else {
            return Err("rtime data ends early".into());
        };
        out.push(value);
        let slot = positions
            .get_mut(usize::from(value))
            .ok_or("rtime position")?;
        let mut back = *slot;
        *slot = out.len();
        if out.len().saturating_add(usize::from(repeat)) > out_len {
            return Err("rtime run past the node's size".into());
        }
        for _ in 0..repeat {
            let byte = *out.get(back).ok_or("rtime back reference")?;
            out.push(byte);
            back = back.saturating_add(1);
        }
    }
    Ok(out)
}

/// Decompresses one node's data into at most `dsize` bytes.
fn decompress(compr: u8, input: &[u8], dsize: usize) -> Result<Vec<u8>, String> {
    let block = |codec| codec::decompress(codec, input, dsize).map_err(|e| e.to_string());
    match compr {
        COMPR_NONE => input
            .get(..dsize)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| "uncompressed data shorter than its size".into()),
        COMPR_ZERO => Ok(vec![0; dsize]),
        COMPR_ZLIB => {
            // The kernel accepts a stream with or without the zlib header.
            let zlib_header = match input {
                [a, b, ..] => *a & 0x0f == 8 && (u16::from(*a) << 8 | u16::from(*b)) % 31 == 0,
                _ => false,
            };
            block(if zlib_header {
                Codec::Zlib
            } else {
                Codec::Deflate
            })
        }
        COMPR_RTIME => rtime(input, dsize),
        COMPR_LZO => block(Codec::Lzo),
        COMPR_LZMA => block(Codec::LzmaRaw {
            props: LZMA_PROPS,
            dict_size: LZMA_DICT,
            size: Some(to_u64(dsize)),
        }),
        COMPR_RUBINMIPS => Err("rubin compression is not supported".into()),
        COMPR_DYNRUBIN => Err("dynrubin compression is not supported".into()),
        COMPR_COPY => Err("\"copy\" compression is not supported".into()),
        other => Err(format!("unknown compression {other:#04x}")),
    }
}

/// Disjoint half-open ranges, merged as they are inserted.
#[derive(Default)]
struct Covered {
    ranges: BTreeMap<u64, u64>,
}

impl Covered {
    /// The parts of `lo..hi` not covered yet.
    fn gaps(&self, lo: u64, hi: u64) -> Vec<Range<u64>> {
        let mut out = Vec::new();
        let mut at = lo;
        // The range starting at or before `lo` may cover its start.
        if let Some((_, &end)) = self.ranges.range(..=lo).next_back() {
            at = at.max(end);
        }
        for (&start, &end) in self.ranges.range(lo..hi) {
            if start > at {
                out.push(at..start);
            }
            at = at.max(end);
        }
        if at < hi {
            out.push(at..hi);
        }
        out
    }

    fn insert(&mut self, lo: u64, hi: u64) {
        let mut lo = lo;
        let mut hi = hi;
        if let Some((&start, &end)) = self.ranges.range(..=lo).next_back() {
            if end >= lo {
                lo = start;
                hi = hi.max(end);
            }
        }
        let inside: Vec<u64> = self
            .ranges
            .range(lo..=hi)
            .map(|(&start, _)| start)
            .collect();
        for start in inside {
            if let Some(end) = self.ranges.remove(&start) {
                hi = hi.max(end);
            }
        }
        self.ranges.insert(lo, hi);
    }

    fn covers(&self, lo: u64, hi: u64) -> bool {
        lo >= hi
            || self
                .ranges
                .range(..=lo)
                .next_back()
                .is_some_and(|(_, &end)| end >= hi)
    }
}

/// Which parts of which node end up in a file of `len` bytes: newest node first, each
/// node's size cutting off what older nodes wrote past it.
fn plan(nodes: &[&InodeNode], len: u64) -> Vec<(usize, Vec<Range<u64>>)> {
    let mut covered = Covered::default();
    let mut limit = len;
    let mut out = Vec::new();
    for (index, node) in nodes.iter().enumerate().rev() {
        limit = limit.min(node.isize);
        if covered.covers(0, limit) {
            break;
        }
        let lo = node.offset;
        let hi = node.end().min(limit);
        if lo >= hi {
            continue;
        }
        let pieces = covered.gaps(lo, hi);
        if !pieces.is_empty() {
            out.push((index, pieces));
        }
        covered.insert(lo, hi);
    }
    out
}

/// Checks a dirent name: JFFS2 names are one path component.
fn bad_name(name: &[u8]) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty name")
    } else if name == b"." || name == b".." {
        Some("name is . or ..")
    } else if name.iter().any(|&b| b == b'/' || b == 0) {
        Some("name holds / or NUL")
    } else {
        None
    }
}

/// Turns the node log into a tree.
struct Builder<'a> {
    data: &'a Blob,
    endian: Endian,
    /// Per inode number, its nodes sorted by version (then position).
    inodes: BTreeMap<u32, Vec<&'a InodeNode>>,
    /// Per directory inode number, its live entries sorted by name.
    children: BTreeMap<u32, Vec<&'a Dirent>>,
    tree: FileTree,
    damage: Damage,
}

impl<'a> Builder<'a> {
    fn new(data: &'a Blob, endian: Endian, log: &'a Log, tree: FileTree, damage: Damage) -> Self {
        let mut inodes: BTreeMap<u32, Vec<&InodeNode>> = BTreeMap::new();
        for node in &log.inodes {
            inodes.entry(node.ino).or_default().push(node);
        }
        for nodes in inodes.values_mut() {
            nodes.sort_by_key(|n| (n.version, n.pos));
        }
        // The newest dirent of each (parent, name); on equal versions the later node.
        let mut live: BTreeMap<(u32, &[u8]), &Dirent> = BTreeMap::new();
        for dirent in &log.dirents {
            let key = (dirent.pino, dirent.name.as_slice());
            match live.get(&key) {
                Some(seen) if seen.version > dirent.version => {}
                _ => {
                    live.insert(key, dirent);
                }
            }
        }
        let mut children: BTreeMap<u32, Vec<&Dirent>> = BTreeMap::new();
        for ((pino, _), dirent) in live {
            if dirent.ino != 0 {
                children.entry(pino).or_default().push(dirent);
            }
        }
        Builder {
            data,
            endian,
            inodes,
            children,
            tree,
            damage,
        }
    }

    /// Walks the directories from the root, each at most once.
    fn build(&mut self, cx: &mut Context<'_>) {
        let mut visited: BTreeSet<u32> = BTreeSet::from([ROOT_INO]);
        // Files already in the tree, by inode: later names become hard links.
        let mut files: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
        let mut stack: Vec<(u32, Vec<u8>)> = vec![(ROOT_INO, Vec::new())];
        let mut steps = 0u32;
        while let Some((dir, prefix)) = stack.pop() {
            let entries = self.children.get(&dir).cloned().unwrap_or_default();
            for dirent in entries {
                steps = steps.wrapping_add(1);
                if steps % 1024 == 1 && cx.time_up("building the jffs2 tree") {
                    return;
                }
                let mut path = prefix.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(&dirent.name);
                if let Some(why) = bad_name(&dirent.name) {
                    self.damage.record(
                        cx,
                        dirent.pos,
                        format!("entry {} skipped: {why}", escape_path(&path)),
                    );
                    continue;
                }
                let Some(nodes) = self.inodes.get(&dirent.ino).cloned() else {
                    if dirent.dtype == DT_DIR && visited.insert(dirent.ino) {
                        // A directory whose inode node is lost still holds its entries.
                        if !cx.add(&mut self.tree, Entry::dir(&path)) {
                            return;
                        }
                        stack.push((dirent.ino, path));
                        continue;
                    }
                    self.damage.record(
                        cx,
                        dirent.pos,
                        format!(
                            "entry {} names inode {} which has no valid inode node",
                            escape_path(&path),
                            dirent.ino
                        ),
                    );
                    continue;
                };
                let Some(latest) = nodes.last().copied() else {
                    continue;
                };
                let Some(kind) = self.kind(dirent.ino, latest, &path, &mut files, cx) else {
                    continue;
                };
                let is_dir = kind == EntryKind::Dir;
                if is_dir && !visited.insert(dirent.ino) {
                    self.damage.record(
                        cx,
                        latest.pos,
                        format!(
                            "directory {} (inode {}) is reached twice (a loop or a linked directory): not entered again",
                            escape_path(&path),
                            dirent.ino
                        ),
                    );
                    continue;
                }
                let mut entry = Entry::new(&path, kind.clone())
                    .mode(latest.mode & 0o7777)
                    .owner(u32::from(latest.uid), u32::from(latest.gid))
                    .mtime(i64::from(latest.mtime));
                if kind == EntryKind::File {
                    let content = self.content(&nodes, &path, cx);
                    entry = entry.content(content);
                    files.insert(dirent.ino, path.clone());
                }
                if !cx.add(&mut self.tree, entry) {
                    return;
                }
                if is_dir {
                    stack.push((dirent.ino, path));
                }
            }
        }
    }

    /// The entry kind of an inode; `None` (damage recorded) when it cannot be given one.
    fn kind(
        &mut self,
        ino: u32,
        latest: &InodeNode,
        path: &[u8],
        files: &mut BTreeMap<u32, Vec<u8>>,
        cx: &mut Context<'_>,
    ) -> Option<EntryKind> {
        // Symlinks and devices keep their target or device number in the newest node's
        // data, whatever its size field says (as the kernel reads them).
        let small = |this: &mut Self, cx: &mut Context<'_>, what: &str| {
            if latest.dsize > MAX_LINK {
                this.damage.record(
                    cx,
                    latest.pos,
                    format!(
                        "{what} {} of {} bytes skipped",
                        escape_path(path),
                        latest.dsize
                    ),
                );
                return None;
            }
            Some(this.node_data(latest, path, cx))
        };
        Some(match latest.mode & S_IFMT {
            S_IFDIR => EntryKind::Dir,
            S_IFREG => {
                if let Some(first) = files.get(&ino) {
                    return Some(EntryKind::Hardlink(first.clone()));
                }
                EntryKind::File
            }
            S_IFLNK => EntryKind::Symlink(small(self, cx, "symlink")?),
            kind @ (S_IFCHR | S_IFBLK) => {
                let raw = small(self, cx, "device")?;
                let (major, minor) = match raw.len() {
                    2 => {
                        let v = self.endian.u16(&raw, 0).map(u32::from).unwrap_or(0);
                        (v >> 8, v & 0xff)
                    }
                    4 => {
                        let v = self.endian.u32(&raw, 0).unwrap_or(0);
                        ((v & 0xfff00) >> 8, (v & 0xff) | ((v >> 12) & 0xfff00))
                    }
                    _ => (0, 0),
                };
                device_kind(kind, major, minor)
            }
            S_IFIFO => EntryKind::Fifo,
            S_IFSOCK => EntryKind::Socket,
            other => {
                self.damage.record(
                    cx,
                    latest.pos,
                    format!(
                        "entry {} skipped: unknown file type {other:#o}",
                        escape_path(path)
                    ),
                );
                return None;
            }
        })
    }

    /// A file's data: the newest node's size, every byte from the newest node covering it,
    /// zeros elsewhere; capped at the per-file limit and reserved from the budget.
    fn content(&mut self, nodes: &[&InodeNode], path: &[u8], cx: &mut Context<'_>) -> Blob {
        let Some(latest) = nodes.last() else {
            return Blob::empty();
        };
        let mut len =
            to_u64(cx.cap_file(path, usize::try_from(latest.isize).unwrap_or(usize::MAX)));
        if len == 0 {
            return Blob::empty();
        }
        let mut pieces = plan(nodes, len);
        // One uncompressed node holding the whole file: a slice of the image.
        if let [(index, ranges)] = pieces.as_slice() {
            if let (Some(node), [range]) = (nodes.get(*index), ranges.as_slice()) {
                let whole = range.start == 0 && range.end == len && node.offset == 0;
                if whole && node.compr == COMPR_NONE {
                    let end = usize::try_from(len)
                        .ok()
                        .and_then(|len| node.data.start.checked_add(len))
                        .filter(|&end| end <= node.data.end);
                    if let Some(blob) = end.and_then(|end| self.data.slice(node.data.start..end)) {
                        return blob;
                    }
                }
            }
        }
        let granted = cx.reserve(path, len);
        if granted < len {
            len = granted;
            pieces = plan(nodes, len);
        }
        let Ok(size) = usize::try_from(len) else {
            return Blob::empty();
        };
        let mut out = vec![0u8; size];
        for (step, (index, ranges)) in pieces.into_iter().enumerate() {
            if step % 64 == 63 && cx.time_up("decompressing jffs2 data") {
                break;
            }
            let Some(node) = nodes.get(index) else {
                continue;
            };
            if node.compr == COMPR_ZERO {
                continue;
            }
            let data = self.node_data(node, path, cx);
            for range in ranges {
                let (Some(src_lo), Some(src_hi)) = (
                    range.start.checked_sub(node.offset),
                    range.end.checked_sub(node.offset),
                ) else {
                    continue;
                };
                let src = usize::try_from(src_lo)
                    .ok()
                    .zip(usize::try_from(src_hi).ok());
                let dst = usize::try_from(range.start)
                    .ok()
                    .zip(usize::try_from(range.end).ok());
                let (Some((src_lo, src_hi)), Some((dst_lo, dst_hi))) = (src, dst) else {
                    continue;
                };
                // Short data (already recorded) leaves zeros.
                let src_hi = src_hi.min(data.len());
                let dst_hi = dst_hi.min(dst_lo.saturating_add(src_hi.saturating_sub(src_lo)));
                if let (Some(from), Some(to)) =
                    (data.get(src_lo..src_hi), out.get_mut(dst_lo..dst_hi))
                {
                    to.copy_from_slice(from);
                }
            }
        }
        Blob::from(out)
    }

    /// One node's decompressed data; empty (damage recorded) when it does not decompress.
    fn node_data(&mut self, node: &InodeNode, path: &[u8], cx: &mut Context<'_>) -> Vec<u8> {
        let dsize = usize::try_from(node.dsize)
            .ok()
            .filter(|&d| d <= MAX_NODE_DATA);
        let input = self.data.get(node.data.clone()).unwrap_or(&[]);
        let result = match dsize {
            Some(dsize) => decompress(node.compr, input, dsize),
            None => Err(format!("node data of {} bytes", node.dsize)),
        };
        match result {
            Ok(data) => {
                if to_u64(data.len()) < node.dsize {
                    self.damage.record(
                        cx,
                        node.pos,
                        format!(
                            "file {}: node data decompressed to {} of {} bytes",
                            escape_path(path),
                            data.len(),
                            node.dsize
                        ),
                    );
                }
                data
            }
            Err(why) => {
                self.damage.record(
                    cx,
                    node.pos,
                    format!(
                        "file {}: {why}; {} bytes at offset {} left as zeros",
                        escape_path(path),
                        node.dsize,
                        node.offset
                    ),
                );
                Vec::new()
            }
        }
    }
}

/// The erase block size the cleanmarkers are spaced by, else [`MIN_ERASE_BLOCK`].
fn erase_block(cleanmarkers: &[usize]) -> usize {
    cleanmarkers
        .windows(2)
        .filter_map(|pair| match pair {
            [a, b] => b.checked_sub(*a),
            _ => None,
        })
        .filter(|d| d.is_power_of_two() && (MIN_ERASE_BLOCK..=16 << 20).contains(d))
        .min()
        .unwrap_or(MIN_ERASE_BLOCK)
}

/// Where the image ends (see the module documentation).
fn extent(data: &[u8], log: &Log) -> usize {
    let end = log.end.min(data.len());
    let rest = data.get(end..).unwrap_or(&[]);
    let run = rest.iter().position(|&b| b != 0xff).unwrap_or(rest.len());
    let run_end = end.saturating_add(run);
    if run_end >= data.len() {
        return data.len();
    }
    let block = erase_block(&log.cleanmarkers);
    let boundary = run_end.saturating_sub(run_end.checked_rem(block).unwrap_or(0));
    boundary.max(end)
}

impl Format for Jffs2Format {
    fn id(&self) -> &'static str {
        "jffs2"
    }

    fn description(&self) -> &'static str {
        "JFFS2 flash filesystem image (little- and big-endian)"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Filesystem
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        endian_of(data).is_some_and(|endian| header(data, 0, endian).is_some())
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let endian = endian_of(data).ok_or_else(|| Rejected::new("no jffs2 magic"))?;
        if header(data, 0, endian).is_none() {
            return Err(Rejected::new("first node header does not check"));
        }
        let mut damage = Damage::default();
        let log = walk(data, endian, cx, &mut damage);
        let consumed = extent(data, &log);
        let mut builder = Builder::new(data, endian, &log, cx.new_tree(), damage);
        builder.build(cx);
        builder.damage.finish(cx, consumed);
        let tree = builder.tree;
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: to_u64(consumed.max(1)),
            output: Output::Tree(tree),
            variant: Some(endian.name()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree, read};
    use crate::limits::Limits;
    use crate::testkit::{Jffs2Builder, Jffs2Inode, jffs2_compr, rtime_compress};
    use crate::tree::NodeKind;

    const FILE: u32 = 0o100644;

    #[test]
    fn crc_is_the_kernel_one() {
        // The first header of the corpus's config-le.jffs2.
        let header = [0x85, 0x19, 0x01, 0xe0, 0x2b, 0x00, 0x00, 0x00];
        assert_eq!(crc(&header), 0x7d26_6ee6);
        assert_eq!(crc(b""), 0);
    }

    #[test]
    fn rtime_round_trips_and_refuses_bad_runs() {
        let data = b"abcabcabcabc xyz xyz aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".repeat(50);
        let packed = rtime_compress(&data);
        assert!(packed.len() < data.len());
        assert_eq!(rtime(&packed, data.len()), Ok(data.clone()));
        assert!(rtime(&packed[..packed.len() / 2], data.len()).is_err());
        // A repeat running past the declared size is refused, not written.
        assert!(rtime(&[b'a', 0, b'a', 200], 10).is_err());
    }

    #[test]
    fn covered_ranges_merge_and_report_gaps() {
        let mut c = Covered::default();
        c.insert(10, 20);
        c.insert(30, 40);
        assert_eq!(c.gaps(0, 50), vec![0..10, 20..30, 40..50]);
        assert_eq!(c.gaps(12, 18), Vec::<Range<u64>>::new());
        c.insert(15, 35);
        assert_eq!(c.gaps(0, 50), vec![0..10, 40..50]);
        assert!(c.covers(10, 40));
        assert!(!c.covers(5, 40));
        c.insert(0, 10);
        c.insert(40, 50);
        assert!(c.covers(0, 50));
    }

    #[test]
    fn every_compression_in_both_byte_orders() {
        let text = b"jffs2 node data, compressible; ".repeat(100);
        let page = &text[..3000];
        for big in [false, true] {
            let mut b = Jffs2Builder::new(big);
            b.cleanmarker();
            let cases = [
                ("none", jffs2_compr::NONE),
                ("zlib", jffs2_compr::ZLIB),
                ("rtime", jffs2_compr::RTIME),
                ("lzo", jffs2_compr::LZO),
                ("lzma", jffs2_compr::LZMA),
            ];
            for (i, (name, compr)) in cases.iter().enumerate() {
                let ino = 10 + i as u32;
                b.dirent(1, ino, name.as_bytes(), 8);
                b.inode(&Jffs2Inode::new(ino, 1, FILE).compressed(0, page, *compr, 3000));
            }
            // Raw deflate (no zlib header), which the kernel also accepts.
            let zlib = crate::testkit::zlib(page);
            let mut raw = Jffs2Inode::new(30, 1, FILE).compressed(0, page, jffs2_compr::ZLIB, 3000);
            raw.data = zlib[2..zlib.len() - 4].to_vec();
            b.dirent(1, 30, b"deflate", 8).inode(&raw);
            // A hole node, then data after it.
            b.dirent(1, 31, b"holes", 8);
            b.inode(&Jffs2Inode::new(31, 1, FILE).compressed(
                0,
                &[0; 5000],
                jffs2_compr::ZERO,
                6000,
            ));
            b.inode(&Jffs2Inode::new(31, 2, FILE).stored(5000, b"tail", 6000));
            let image = b.finish();
            let (ex, cx) = extract_ok(&Jffs2Format, &image);
            assert!(cx.errors.is_empty(), "{:?}", cx.errors);
            assert_eq!(ex.consumed, image.len() as u64);
            assert_eq!(
                ex.variant,
                Some(if big { "big-endian" } else { "little-endian" })
            );
            let tree = output_tree(&ex);
            for name in ["none", "zlib", "rtime", "lzo", "lzma", "deflate"] {
                assert_eq!(read(tree, &format!("/{name}")), page, "{name} big={big}");
            }
            let holes = read(tree, "/holes");
            assert_eq!(holes.len(), 6000);
            assert!(holes[..5000].iter().all(|&b| b == 0));
            assert_eq!(&holes[5000..5004], b"tail");
            assert!(holes[5004..].iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn versions_decide_data_size_and_names() {
        let mut b = Jffs2Builder::new(false);
        // Nodes out of version order in the log, as after garbage collection.
        b.dirent_v(1, 2, 5, b"f", 8);
        b.inode(&Jffs2Inode::new(2, 3, FILE).stored(2, b"XY", 8));
        b.inode(&Jffs2Inode::new(2, 1, FILE).stored(0, b"abcdefgh", 8));
        // Version 4 truncates to 6 bytes; version 5 extends to 10 with a hole.
        b.inode(&Jffs2Inode::new(2, 4, FILE).stored(0, b"", 6));
        b.inode(&Jffs2Inode::new(2, 5, FILE).stored(8, b"JK", 10));
        // A stale node (lower version) beyond the truncation does not come back.
        b.inode(&Jffs2Inode::new(2, 2, FILE).stored(6, b"zz", 8));
        // Deleted name: a newer dirent with inode 0.
        b.file(1, 3, b"gone", b"deleted");
        b.dirent_v(1, 0, 100, b"gone", 8);
        // Renamed: the old name deleted, a new one in a directory.
        b.dir(1, 4, b"dir");
        b.file(1, 5, b"old-name", b"moved");
        b.dirent_v(4, 5, 101, b"new-name", 8);
        b.dirent_v(1, 0, 102, b"old-name", 8);
        // Replaced: a newer dirent names another inode.
        b.file(1, 6, b"conf", b"first");
        b.dirent_v(1, 7, 103, b"conf", 8);
        b.inode(&Jffs2Inode::new(7, 1, 0o100600).stored(0, b"second", 6));
        // Newer metadata (chmod) without data.
        b.inode(&Jffs2Inode::new(7, 2, 0o100640).stored(0, b"", 6));
        let image = b.finish();
        let (ex, cx) = extract_ok(&Jffs2Format, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        assert_eq!(read(tree, "/f"), b"abXYef\0\0JK");
        assert!(tree.get("/gone").is_none());
        assert!(tree.get("/old-name").is_none());
        assert_eq!(read(tree, "/dir/new-name"), b"moved");
        assert_eq!(read(tree, "/conf"), b"second");
        assert_eq!(tree.get("/conf").map(|n| n.mode), Some(0o640));
    }

    #[test]
    fn links_devices_and_special_files() {
        let mut b = Jffs2Builder::new(true);
        b.file(1, 2, b"busybox", b"ELF");
        b.dirent(1, 2, b"sh", 8); // A hard link: same inode.
        b.symlink(1, 3, b"link", b"/bin/busybox");
        b.dir(1, 4, b"dev");
        let new_dev = (70_005u32 & 0xff) | (300 << 8) | ((70_005 & !0xff) << 12);
        b.dirent(4, 5, b"big", 2);
        b.inode(&Jffs2Inode::new(5, 1, 0o020600).stored(0, &new_dev.to_be_bytes(), 0));
        // Old encoding: major 8, minor 1, as mkfs.jffs2 writes.
        b.dirent(4, 6, b"sda1", 6);
        b.inode(&Jffs2Inode::new(6, 1, 0o060640).stored(0, &0x0801u16.to_be_bytes(), 0));
        b.dirent(4, 7, b"fifo", 1);
        b.inode(&Jffs2Inode::new(7, 1, 0o010600));
        b.dirent(4, 8, b"sock", 12);
        b.inode(&Jffs2Inode::new(8, 1, 0o140600));
        let image = b.finish();
        let (ex, cx) = extract_ok(&Jffs2Format, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        let kind = |p: &str| tree.get(p).map(|n| n.kind.clone());
        assert_eq!(read(tree, "/sh"), b"ELF");
        assert!(
            matches!(kind("/sh"), Some(NodeKind::Hardlink { .. }))
                || matches!(kind("/busybox"), Some(NodeKind::Hardlink { .. }))
        );
        assert_eq!(
            kind("/link"),
            Some(NodeKind::Symlink {
                target: "/bin/busybox".into()
            })
        );
        assert_eq!(
            kind("/dev/big"),
            Some(NodeKind::CharDevice {
                major: 300,
                minor: 70_005
            })
        );
        assert_eq!(
            kind("/dev/sda1"),
            Some(NodeKind::BlockDevice { major: 8, minor: 1 })
        );
        assert_eq!(kind("/dev/fifo"), Some(NodeKind::Fifo));
        assert_eq!(kind("/dev/sock"), Some(NodeKind::Socket));
    }

    #[test]
    fn bad_crcs_skip_the_node_and_are_recorded() {
        let build = |corrupt: &dyn Fn(&mut Vec<u8>, usize)| {
            let mut b = Jffs2Builder::new(false);
            b.file(1, 2, b"good", b"kept");
            let at = b.len();
            b.file(1, 3, b"bad", b"damaged");
            b.file(1, 4, b"after", b"also kept");
            let mut image = b.finish();
            corrupt(&mut image, at);
            image
        };
        // Offsets inside the "bad" dirent (40 + 3 bytes, padded to 44) and its inode.
        let cases: [(&str, usize, &str); 4] = [
            ("header", 5, "header CRC"),
            ("node", 14, "node CRC"),
            ("name", 41, "name CRC"),
            ("data", 44 + 70, "data CRC"),
        ];
        for (label, offset, message) in cases {
            let image = build(&|img, at| img[at + offset] ^= 0x40);
            let (ex, cx) = extract_ok(&Jffs2Format, &image);
            let tree = output_tree(&ex);
            assert_eq!(read(tree, "/good"), b"kept", "{label}");
            assert_eq!(read(tree, "/after"), b"also kept", "{label}");
            assert!(tree.read("/bad").is_none(), "{label}");
            assert!(
                cx.errors.iter().any(|e| e.message.contains(message)),
                "{label}: {:?}",
                cx.errors
            );
            assert_eq!(ex.consumed, image.len() as u64, "{label}");
        }
        // An obsolete node (accurate bit cleared after writing) is skipped silently.
        let image = build(&|img, at| img[at + 3] &= !0x20);
        let (ex, cx) = extract_ok(&Jffs2Format, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert!(output_tree(&ex).get("/bad").is_none());
    }

    #[test]
    fn unsupported_compression_leaves_zeros_and_says_so() {
        let mut b = Jffs2Builder::new(false);
        b.dirent(1, 2, b"rubin", 8);
        let mut node = Jffs2Inode::new(2, 1, FILE).stored(0, b"whatever", 8);
        node.compr = jffs2_compr::DYNRUBIN;
        b.inode(&node);
        let (ex, cx) = extract_ok(&Jffs2Format, &b.finish());
        assert_eq!(read(output_tree(&ex), "/rubin"), vec![0; 8]);
        assert!(cx.errors[0].message.contains("dynrubin"), "{:?}", cx.errors);
    }

    #[test]
    fn extent_covers_erase_block_padding_only() {
        let mut b = Jffs2Builder::new(false);
        b.cleanmarker().file(1, 2, b"a", b"x");
        b.pad_to(0x2000).cleanmarker().file(1, 3, b"b", b"y");
        let used = b.len();
        b.pad_to(0x3000);
        let image = b.finish();
        // Padding up to the end of the data: all of it.
        let (ex, _) = extract_ok(&Jffs2Format, &image);
        assert_eq!(ex.consumed, 0x3000);
        // Something after the padding: the padding is cut at the last erase block boundary
        // (8 KiB blocks, from the cleanmarkers), here before the last node's end.
        let mut followed = image.clone();
        followed.extend_from_slice(b"next thing");
        let (ex, _) = extract_ok(&Jffs2Format, &followed);
        assert_eq!(ex.consumed, used as u64);
        let mut aligned = image.clone();
        aligned.resize(0x4000, 0xff);
        aligned.extend_from_slice(b"NEXT");
        let (ex, _) = extract_ok(&Jffs2Format, &aligned);
        assert_eq!(ex.consumed, 0x4000);
        // Without cleanmarkers: 4 KiB granularity.
        let mut b = Jffs2Builder::new(false);
        b.file(1, 2, b"a", b"x").pad_to(0x1800);
        let mut image = b.finish();
        image.extend_from_slice(b"NEXT");
        let (ex, _) = extract_ok(&Jffs2Format, &image);
        assert_eq!(ex.consumed, 0x1000);
    }

    #[test]
    fn damage_reports_are_capped() {
        let mut b = Jffs2Builder::new(false);
        for i in 0..500u32 {
            b.dirent(1, i + 2, format!("f{i}").as_bytes(), 8);
        }
        let mut image = b.finish();
        // Corrupt every dirent's node CRC: each is skipped and counted.
        let mut pos = 0;
        while pos + 12 <= image.len() {
            let totlen = u32::from_le_bytes(image[pos + 4..pos + 8].try_into().unwrap()) as usize;
            image[pos + 14] ^= 1;
            pos += totlen.next_multiple_of(4);
        }
        let (_, cx) = extract_ok(&Jffs2Format, &image);
        assert_eq!(
            cx.errors.len(),
            crate::formats::damage::MAX_REPORTED + 1,
            "{:?}",
            cx.errors.last()
        );
        assert!(cx.errors.last().unwrap().message.contains("436 more"));
    }

    #[test]
    fn rejects_what_is_not_jffs2() {
        let limits = Limits::default();
        assert!(extract_with(&Jffs2Format, b"", &limits).0.is_err());
        assert!(
            extract_with(
                &Jffs2Format,
                &[0x85, 0x19, 0x01, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0],
                &limits
            )
            .0
            .is_err()
        );
        let image = Jffs2Builder::new(false).file(1, 2, b"a", b"x").finish();
        assert!(Jffs2Format.probe(&image));
        assert!(!Jffs2Format.probe(&image[..11]));
        let mut bad = image.clone();
        bad[8] ^= 1;
        assert!(!Jffs2Format.probe(&bad));
        assert!(extract_with(&Jffs2Format, &bad, &limits).0.is_err());
    }
}
