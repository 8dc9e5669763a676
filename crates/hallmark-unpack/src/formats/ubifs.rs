//! UBIFS, the flash filesystem that runs on top of UBI volumes (found inside the volumes the
//! [`ubi`](super::ubi) reader produces, or as a bare volume image from `mkfs.ubifs`).
//!
//! # What is read
//!
//! - The superblock node at LEB 0 (CRC checked; gives the LEB size and count, the default
//!   compressor) and the newest valid master node of LEBs 1 and 2 (highest sequence number
//!   with a good CRC).
//! - The index B+-tree from the master node's root: index nodes of every level, then the leaf
//!   nodes they point to: inode nodes, directory entry nodes and data nodes. Branch sizes are
//!   taken from the node length, so authenticated images (branches carrying a hash) read too.
//! - The journal: the log from the master's log LEB (commit start node, then reference nodes)
//!   and the buds they name are replayed over the index in sequence-number order, as the
//!   kernel does on mount, so files written after the last commit (a dump of a running
//!   device) are seen: new and replaced nodes, deletion entries, inodes with no links left,
//!   truncations.
//! - Files: 4 KiB data blocks compressed per node with none, LZO, zlib (raw deflate) or
//!   zstd; the size comes from the inode and holes read as zeros. Symlink targets and device
//!   numbers come from the inode's inline data. Hard links (several entries naming one inode)
//!   share one [`Blob`].
//!
//! # What is validated, and hostile input
//!
//! Every node's CRC is checked; a bad node is recorded with [`Context::error`] and skipped.
//! The index walk keeps a visited set of node positions (a cycle or a shared subtree is read
//! once) and requires each child's level to be its parent's minus one, so it always ends.
//! Directory traversal keeps a visited set of directory inodes (directory hard links and loops
//! are refused). Names that are empty, `.`, `..`, or contain `/` or NUL are refused: UBIFS
//! never stores them, and letting them through would place a file elsewhere in the tree.
//! Declared sizes are capped with [`Context::cap_file`] and charged with
//! [`Context::reserve`]; bytes of holes (sparse files, which a tiny image can declare in
//! gigabytes) are limited like a compression ratio: at most [`Limits::max_ratio`] times the
//! image size beyond [`Limits::ratio_floor_bytes`], recorded as a ratio truncation.
//!
//! # Not read
//!
//! Extended attributes (xattr entries are skipped), the LEB properties tree and orphan area
//! (only needed for writing), encrypted files (names and data stay as stored; their data
//! fails to decompress and is recorded), authentication signatures (not verified), and the
//! size recovery the kernel does after an unclean unmount.
//!
//! # Why our own reader
//!
//! The `ubifs` crate (0.1.1) reads correct images, but it is brand new, decompresses and
//! allocates on its own terms, and has no hooks for our budget, entry and time limits. UBIFS
//! is small enough (a dozen node layouts) that a reader written against
//! `fs/ubifs/ubifs-media.h`'s layouts, with every limit in place, is less risk than adapting
//! and hardening it.
//!
//! [`Limits::max_ratio`]: crate::Limits::max_ratio
//! [`Limits::ratio_floor_bytes`]: crate::Limits::ratio_floor_bytes

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Bound;

use crate::blob::Blob;
use crate::bytes::{le16, le32, le64, to_u64, to_usize};
use crate::codec::{self, Codec};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::damage::Damage;
use crate::formats::mode::{
    S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, device_kind,
};
use crate::limits::LimitKind;
use crate::tree::{Entry, EntryKind, FileTree, escape_path};

/// UBIFS (superblock, master, index, journal).
pub(crate) struct UbifsFormat;

/// Magic of every UBIFS node, little-endian `0x06101831`.
pub(crate) const NODE_MAGIC: [u8; 4] = [0x31, 0x18, 0x10, 0x06];

const MAGICS: &[Magic] = &[Magic::at_start(&NODE_MAGIC)];

const CH_SZ: usize = 24;
const SB_NODE_SZ: usize = 4096;
const MST_NODE_SZ: usize = 512;
const INO_NODE_SZ: usize = 160;
const DATA_NODE_SZ: usize = 48;
const DENT_NODE_SZ: usize = 56;
const TRUN_NODE_SZ: usize = 56;
const IDX_NODE_SZ: usize = 28;
const CS_NODE_SZ: usize = 32;
const REF_NODE_SZ: usize = 64;
const PAD_NODE_SZ: usize = 28;
/// A branch without a hash: LEB number, offset, length and an 8-byte key.
const BRANCH_SZ: usize = 20;

const INO_NODE: u8 = 0;
const DATA_NODE: u8 = 1;
const DENT_NODE: u8 = 2;
const XENT_NODE: u8 = 3;
const TRUN_NODE: u8 = 4;
const PAD_NODE: u8 = 5;
const SB_NODE: u8 = 6;
const MST_NODE: u8 = 7;
const REF_NODE: u8 = 8;
const IDX_NODE: u8 = 9;
const CS_NODE: u8 = 10;

/// Data block size: every data node holds one block of at most this many bytes.
const BLOCK: usize = 4096;
const BLOCK_U64: u64 = 4096;
/// Key block numbers are 29 bits.
const KEY_BLOCK_MASK: u32 = 0x1fff_ffff;
/// Smallest and largest LEB size accepted (the kernel's minimum is 15 KiB).
const MIN_LEB: usize = 15 * 1024;
const MAX_LEB: usize = 32 << 20;
/// LEB of the first master node, and of the log.
const MST_LNUM: u32 = 1;
const LOG_LNUM: u32 = 3;
/// The root directory's inode number.
const ROOT_INO: u64 = 1;
/// Longest name in a directory entry.
const MAX_NLEN: usize = 255;
/// Deepest index accepted (the kernel's `UBIFS_MAX_LEVELS`).
const MAX_LEVELS: u16 = 512;

fn align8(n: usize) -> Option<usize> {
    n.checked_next_multiple_of(8)
}

/// The CRC UBI and UBIFS use: CRC-32 with initial value `0xffffffff` and no final inversion.
pub(crate) fn crc(bytes: &[u8]) -> u32 {
    !crc32fast::hash(bytes)
}

/// The common header of a node.
#[derive(Debug, Clone, Copy)]
struct Header {
    sqnum: u64,
    len: usize,
    kind: u8,
}

fn header(d: &[u8]) -> Option<Header> {
    if !d.starts_with(&NODE_MAGIC) {
        return None;
    }
    Some(Header {
        sqnum: le64(d, 8)?,
        len: usize::try_from(le32(d, 16)?).ok()?,
        kind: *d.get(20)?,
    })
}

/// The node at the start of `d` when its length fits and its CRC matches.
fn checked_node(d: &[u8]) -> Result<(Header, &[u8]), String> {
    let h = header(d).ok_or("no node magic")?;
    if h.len < CH_SZ {
        return Err(format!("node length {} is too small", h.len));
    }
    let node = d
        .get(..h.len)
        .ok_or_else(|| format!("node of {} bytes runs past its LEB", h.len))?;
    let stored = le32(node, 4).unwrap_or(0);
    let computed = crc(node.get(8..).unwrap_or(&[]));
    if stored != computed {
        return Err(format!(
            "bad CRC {stored:#010x} (computed {computed:#010x}) in a type {} node",
            h.kind
        ));
    }
    Ok((h, node))
}

/// The superblock fields the reader uses.
#[derive(Debug, Clone, Copy)]
struct Superblock {
    leb_size: usize,
    leb_cnt: u32,
    log_lebs: u32,
    default_compr: u16,
}

fn superblock(data: &[u8]) -> Result<Superblock, String> {
    let (h, node) = checked_node(data)?;
    if h.kind != SB_NODE || h.len < SB_NODE_SZ {
        return Err(format!("type {} node of {} bytes", h.kind, h.len));
    }
    let field = |at| le32(node, at).unwrap_or(0);
    let leb_size = usize::try_from(field(36)).unwrap_or(0);
    let min_io = usize::try_from(field(32)).unwrap_or(0);
    let leb_cnt = field(40);
    let log_lebs = field(56);
    let fmt_version = field(80);
    if !(MIN_LEB..=MAX_LEB).contains(&leb_size) || leb_size % 8 != 0 {
        return Err(format!("LEB size {leb_size}"));
    }
    if !min_io.is_power_of_two() || min_io > leb_size {
        return Err(format!("minimum I/O size {min_io}"));
    }
    if leb_cnt < 3 || !(1..=5).contains(&fmt_version) {
        return Err(format!("{leb_cnt} LEBs, format version {fmt_version}"));
    }
    Ok(Superblock {
        leb_size,
        leb_cnt,
        log_lebs,
        default_compr: le16(node, 84).unwrap_or(0),
    })
}

fn compr_name(compr: u16) -> Option<&'static str> {
    match compr {
        0 => Some("none"),
        1 => Some("lzo"),
        2 => Some("zlib"),
        3 => Some("zstd"),
        _ => None,
    }
}

/// The master node fields the reader uses.
#[derive(Debug, Clone, Copy)]
struct Master {
    sqnum: u64,
    cmt_no: u64,
    log_lnum: u32,
    root_lnum: u32,
    root_offs: u32,
}

/// Where a node lives in the volume, and its sequence number.
#[derive(Debug, Clone, Copy)]
struct Loc {
    pos: usize,
    len: usize,
    sqnum: u64,
}

/// One directory entry, keyed by (parent inode, name).
#[derive(Debug, Clone, Copy)]
struct Dent {
    inum: u64,
    sqnum: u64,
    /// Where the entry's node is, for error reports.
    pos: usize,
}

/// What the index (and the journal) say the filesystem holds.
#[derive(Default)]
struct Nodes {
    inodes: BTreeMap<u64, Loc>,
    dents: BTreeMap<(u64, Vec<u8>), Dent>,
    data: BTreeMap<(u64, u32), Loc>,
}

impl Nodes {
    fn put_inode(&mut self, inum: u64, loc: Loc) {
        if self
            .inodes
            .get(&inum)
            .is_none_or(|old| old.sqnum <= loc.sqnum)
        {
            self.inodes.insert(inum, loc);
        }
    }

    fn put_data(&mut self, key: (u64, u32), loc: Loc) {
        if self.data.get(&key).is_none_or(|old| old.sqnum <= loc.sqnum) {
            self.data.insert(key, loc);
        }
    }

    fn put_dent(&mut self, parent: u64, name: Vec<u8>, dent: Dent) {
        let key = (parent, name);
        if self
            .dents
            .get(&key)
            .is_none_or(|old| old.sqnum <= dent.sqnum)
        {
            self.dents.insert(key, dent);
        }
    }

    /// Removes an inode and everything keyed under its number (the kernel does this when an
    /// inode's last link goes).
    fn remove_inode(&mut self, inum: u64) {
        self.inodes.remove(&inum);
        let data: Vec<(u64, u32)> = self
            .data
            .range((inum, 0)..=(inum, u32::MAX))
            .map(|(k, _)| *k)
            .collect();
        for key in data {
            self.data.remove(&key);
        }
        let dents: Vec<(u64, Vec<u8>)> = self.children(inum).map(|(k, _)| k.clone()).collect();
        for key in dents {
            self.dents.remove(&key);
        }
    }

    /// Drops the data blocks at and past `first`.
    fn truncate(&mut self, inum: u64, first: u32) {
        let gone: Vec<(u64, u32)> = self
            .data
            .range((inum, first)..=(inum, u32::MAX))
            .map(|(k, _)| *k)
            .collect();
        for key in gone {
            self.data.remove(&key);
        }
    }

    fn children(&self, parent: u64) -> impl Iterator<Item = (&(u64, Vec<u8>), &Dent)> {
        let end = match parent.checked_add(1) {
            Some(next) => Bound::Excluded((next, Vec::new())),
            None => Bound::Unbounded,
        };
        self.dents
            .range((Bound::Included((parent, Vec::new())), end))
    }
}

/// A journal change to apply, in sequence-number order.
enum Change {
    Inode {
        inum: u64,
        loc: Loc,
        unlinked: bool,
    },
    Dent {
        parent: u64,
        name: Vec<u8>,
        dent: Dent,
    },
    Data {
        key: (u64, u32),
        loc: Loc,
    },
    Trunc {
        inum: u64,
        new_size: u64,
    },
}

/// The parsed inode fields the tree needs.
struct Inode<'a> {
    size: u64,
    uid: u32,
    gid: u32,
    mode: u32,
    mtime: i64,
    data: &'a [u8],
}

fn inode(node: &[u8]) -> Option<Inode<'_>> {
    let data_len = usize::try_from(le32(node, 112)?).ok()?;
    let data = node.get(INO_NODE_SZ..INO_NODE_SZ.checked_add(data_len)?)?;
    Some(Inode {
        size: le64(node, 48)?,
        mtime: i64::try_from(le64(node, 72)?).unwrap_or(i64::MAX),
        uid: le32(node, 96)?,
        gid: le32(node, 100)?,
        mode: le32(node, 104)?,
        data,
    })
}

/// Device numbers from an inode's inline data (the kernel's `new_encode_dev`, in 4 or 8
/// bytes).
fn device(data: &[u8]) -> (u32, u32) {
    let dev = match data.len() {
        4 => le32(data, 0).unwrap_or(0),
        8 => u32::try_from(le64(data, 0).unwrap_or(0) & 0xffff_ffff).unwrap_or(0),
        _ => 0,
    };
    let major = (dev & 0xfff00) >> 8;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    (major, minor)
}

/// The volume as LEBs, and the reading state.
struct Reader<'a> {
    data: &'a [u8],
    leb_size: usize,
    /// LEBs the filesystem may use (the superblock's count).
    leb_cnt: u32,
    damage: Damage,
    /// Node bytes that may still be CRC-checked. Each node is read once, but hostile index
    /// branches can point into the middle of long nodes so that they overlap; this bounds
    /// the work to a few passes over the image.
    check_left: u64,
    /// Whether `check_left` ran out.
    check_spent: bool,
}

/// Node bytes checked per image byte, beyond a floor (see [`Reader::check_left`]).
const CHECK_PASSES: u64 = 4;
const CHECK_FLOOR: u64 = 64 << 20;

impl<'a> Reader<'a> {
    /// [`checked_node`], charged to the checking budget.
    fn check(&mut self, d: &'a [u8]) -> Result<(Header, &'a [u8]), String> {
        let len = header(d).map_or(0, |h| to_u64(h.len.min(d.len())));
        if len > self.check_left {
            self.check_spent = true;
            return Err("node checking budget spent".into());
        }
        self.check_left = self.check_left.saturating_sub(len);
        checked_node(d)
    }

    fn leb_start(&self, lnum: u32) -> Option<usize> {
        if lnum >= self.leb_cnt {
            return None;
        }
        usize::try_from(lnum).ok()?.checked_mul(self.leb_size)
    }

    /// The bytes of LEB `lnum` present in the image (shorter than a LEB when cut).
    fn leb(&self, lnum: u32) -> &'a [u8] {
        let Some(start) = self.leb_start(lnum) else {
            return &[];
        };
        let end = start.saturating_add(self.leb_size).min(self.data.len());
        self.data.get(start..end).unwrap_or(&[])
    }

    /// The CRC-checked node at (`lnum`, `offs`), with its position in the volume.
    fn node(&mut self, lnum: u32, offs: u32) -> Result<(usize, Header, &'a [u8]), String> {
        let leb = self.leb(lnum);
        let offs = usize::try_from(offs).unwrap_or(usize::MAX);
        if offs % 8 != 0 {
            return Err(format!("unaligned node position {lnum}:{offs}"));
        }
        let rest = leb
            .get(offs..)
            .filter(|rest| rest.len() >= CH_SZ)
            .ok_or_else(|| format!("node position {lnum}:{offs} is outside the image"))?;
        let (h, node) = self
            .check(rest)
            .map_err(|e| format!("node at {lnum}:{offs}: {e}"))?;
        let pos = self
            .leb_start(lnum)
            .and_then(|s| s.checked_add(offs))
            .unwrap_or(0);
        Ok((pos, h, node))
    }

    /// The nodes written in LEB `lnum` from `from` on, stopping at free space or damage.
    fn scan(
        &mut self,
        cx: &mut Context<'_>,
        lnum: u32,
        from: u32,
    ) -> Vec<(usize, Header, &'a [u8])> {
        let leb = self.leb(lnum);
        let base = self.leb_start(lnum).unwrap_or(0);
        let mut out = Vec::new();
        let mut pos = usize::try_from(from).unwrap_or(usize::MAX);
        while let Some(rest) = pos
            .checked_add(CH_SZ)
            .filter(|end| *end <= leb.len())
            .and_then(|_| leb.get(pos..))
        {
            let at = base.saturating_add(pos);
            match rest.first() {
                // Free space: the rest of the LEB is unwritten.
                Some(0xff) => break,
                // Padding bytes up to the next write unit.
                Some(0xce) => {
                    let skip = rest.iter().take_while(|&&b| b == 0xce).count();
                    pos = match pos.checked_add(skip).and_then(align8) {
                        Some(next) => next,
                        None => break,
                    };
                    continue;
                }
                _ => {}
            }
            let (h, node) = match self.check(rest) {
                Ok(found) => found,
                Err(why) => {
                    self.damage
                        .record(cx, at, format!("LEB {lnum} offset {pos}: {why}"));
                    break;
                }
            };
            let step = if h.kind == PAD_NODE {
                let pad = usize::try_from(le32(node, CH_SZ).unwrap_or(0)).unwrap_or(0);
                h.len.max(PAD_NODE_SZ).saturating_add(pad)
            } else {
                out.push((at, h, node));
                h.len
            };
            pos = match pos.checked_add(step).and_then(align8) {
                Some(next) => next,
                None => break,
            };
        }
        out
    }

    fn master(&mut self, cx: &mut Context<'_>) -> Option<Master> {
        let mut best: Option<Master> = None;
        for lnum in [MST_LNUM, MST_LNUM.saturating_add(1)] {
            for (_, h, node) in self.scan(cx, lnum, 0) {
                if h.kind != MST_NODE || h.len < MST_NODE_SZ {
                    continue;
                }
                let field = |at| le32(node, at).unwrap_or(0);
                let master = Master {
                    sqnum: h.sqnum,
                    cmt_no: le64(node, 32).unwrap_or(0),
                    log_lnum: field(44),
                    root_lnum: field(48),
                    root_offs: field(52),
                };
                if best.is_none_or(|b| b.sqnum < master.sqnum) {
                    best = Some(master);
                }
            }
        }
        best
    }

    /// Records a leaf node found through the index.
    fn leaf(
        &mut self,
        cx: &mut Context<'_>,
        nodes: &mut Nodes,
        pos: usize,
        h: Header,
        node: &[u8],
    ) {
        match change(h, pos, node) {
            Ok(Some(Change::Inode { inum, loc, .. })) => nodes.put_inode(inum, loc),
            Ok(Some(Change::Dent { parent, name, dent })) => nodes.put_dent(parent, name, dent),
            Ok(Some(Change::Data { key, loc })) => nodes.put_data(key, loc),
            Ok(Some(Change::Trunc { .. })) => {
                self.damage
                    .record(cx, pos, "truncation node referenced by the index");
            }
            Ok(None) => {}
            Err(why) => self.damage.record(cx, pos, why),
        }
    }

    /// Walks the index from the root. Returns false when time ran out.
    fn walk_index(&mut self, cx: &mut Context<'_>, master: &Master, nodes: &mut Nodes) -> bool {
        let mut visited: HashSet<(u32, u32)> = HashSet::new();
        let mut stack: Vec<(u32, u32, Option<u16>)> =
            vec![(master.root_lnum, master.root_offs, None)];
        let mut reported_cycle = false;
        while let Some((lnum, offs, want_level)) = stack.pop() {
            if cx.time_up("walking the UBIFS index") {
                return false;
            }
            if !visited.insert((lnum, offs)) {
                if !reported_cycle {
                    reported_cycle = true;
                    let at = self.leb_start(lnum).unwrap_or(0);
                    self.damage.record(
                        cx,
                        at,
                        format!("index node {lnum}:{offs} referenced twice (cycle or shared subtree); read once"),
                    );
                }
                continue;
            }
            let (pos, h, node) = match self.node(lnum, offs) {
                Ok(found) => found,
                Err(why) => {
                    let at = self.leb_start(lnum).unwrap_or(0);
                    self.damage.record(cx, at, format!("index: {why}"));
                    continue;
                }
            };
            if h.kind != IDX_NODE {
                self.damage.record(
                    cx,
                    pos,
                    format!("index branch {lnum}:{offs} leads to a type {} node", h.kind),
                );
                continue;
            }
            let count = usize::from(le16(node, 24).unwrap_or(0));
            let level = le16(node, 26).unwrap_or(0);
            if want_level.is_some_and(|want| want != level) || level > MAX_LEVELS {
                self.damage.record(
                    cx,
                    pos,
                    format!("index node {lnum}:{offs} has level {level}, expected {want_level:?}"),
                );
                continue;
            }
            let body = h.len.saturating_sub(IDX_NODE_SZ);
            let branch_sz = body.checked_div(count).unwrap_or(0);
            if count == 0 || branch_sz < BRANCH_SZ || body.checked_rem(count) != Some(0) {
                self.damage.record(
                    cx,
                    pos,
                    format!("index node {lnum}:{offs}: {count} branches in {body} bytes"),
                );
                continue;
            }
            for i in 0..count {
                let at = i
                    .checked_mul(branch_sz)
                    .and_then(|o| o.checked_add(IDX_NODE_SZ))
                    .unwrap_or(usize::MAX);
                let (Some(child_lnum), Some(child_offs)) =
                    (le32(node, at), le32(node, at.saturating_add(4)))
                else {
                    break;
                };
                if level > 0 {
                    stack.push((child_lnum, child_offs, level.checked_sub(1)));
                    continue;
                }
                if !visited.insert((child_lnum, child_offs)) {
                    continue;
                }
                match self.node(child_lnum, child_offs) {
                    Ok((leaf_pos, leaf_h, leaf)) => self.leaf(cx, nodes, leaf_pos, leaf_h, leaf),
                    Err(why) => self.damage.record(cx, pos, format!("index leaf: {why}")),
                }
            }
        }
        true
    }

    /// Replays the journal (log, then buds) over the index.
    fn replay(&mut self, cx: &mut Context<'_>, master: &Master, log_lebs: u32, nodes: &mut Nodes) {
        let log_lebs = log_lebs.min(self.leb_cnt.saturating_sub(LOG_LNUM));
        if log_lebs == 0
            || !(LOG_LNUM..LOG_LNUM.saturating_add(log_lebs)).contains(&master.log_lnum)
        {
            return;
        }
        // The log: a commit start node for this commit, then references to buds.
        let mut cs_sqnum: Option<u64> = None;
        let mut buds: Vec<(u64, u32, u32)> = Vec::new();
        let mut lnum = master.log_lnum;
        'log: for _ in 0..log_lebs {
            for (pos, h, node) in self.scan(cx, lnum, 0) {
                match cs_sqnum {
                    None => {
                        let cmt_no = le64(node, CH_SZ);
                        if h.kind != CS_NODE || h.len < CS_NODE_SZ || cmt_no != Some(master.cmt_no)
                        {
                            self.damage.record(
                                cx,
                                pos,
                                "log does not start with this commit's start node; journal not replayed",
                            );
                            return;
                        }
                        cs_sqnum = Some(h.sqnum);
                    }
                    // Older than this commit: the end of the log.
                    Some(cs) if h.sqnum < cs => break 'log,
                    Some(_) if h.kind == REF_NODE && h.len >= REF_NODE_SZ => {
                        let bud_lnum = le32(node, CH_SZ).unwrap_or(u32::MAX);
                        let bud_offs = le32(node, CH_SZ.saturating_add(4)).unwrap_or(0);
                        buds.push((h.sqnum, bud_lnum, bud_offs));
                    }
                    Some(_) => {}
                }
            }
            if cs_sqnum.is_none() {
                // An empty first log LEB: nothing was written since the commit.
                return;
            }
            lnum = lnum.saturating_add(1);
            if lnum >= LOG_LNUM.saturating_add(log_lebs) {
                lnum = LOG_LNUM;
            }
        }
        if buds.is_empty() {
            return;
        }
        buds.sort_unstable();
        buds.dedup_by_key(|b| (b.1, b.2));
        let mut changes: Vec<(u64, Change)> = Vec::new();
        let mut seen: HashSet<u32> = HashSet::new();
        for (_, bud_lnum, bud_offs) in buds {
            if cx.time_up("replaying the UBIFS journal") {
                return;
            }
            if bud_lnum < LOG_LNUM.saturating_add(log_lebs) || !seen.insert(bud_lnum) {
                continue;
            }
            for (pos, h, node) in self.scan(cx, bud_lnum, bud_offs) {
                match change(h, pos, node) {
                    Ok(Some(c)) => changes.push((h.sqnum, c)),
                    Ok(None) => {}
                    Err(why) => self.damage.record(cx, pos, why),
                }
            }
        }
        changes.sort_by_key(|(sqnum, _)| *sqnum);
        for (_, c) in changes {
            match c {
                Change::Inode {
                    inum,
                    unlinked: true,
                    ..
                } => nodes.remove_inode(inum),
                Change::Inode { inum, loc, .. } => {
                    nodes.inodes.insert(inum, loc);
                }
                Change::Dent { parent, name, dent } if dent.inum == 0 => {
                    nodes.dents.remove(&(parent, name));
                }
                Change::Dent { parent, name, dent } => {
                    nodes.dents.insert((parent, name), dent);
                }
                Change::Data { key, loc } => {
                    nodes.data.insert(key, loc);
                }
                Change::Trunc { inum, new_size } => {
                    let first = new_size.div_ceil(BLOCK_U64);
                    nodes.truncate(inum, u32::try_from(first).unwrap_or(u32::MAX));
                }
            }
        }
    }
}

/// What a leaf or journal node changes; `None` for nodes that change nothing we read.
fn change(h: Header, pos: usize, node: &[u8]) -> Result<Option<Change>, String> {
    let loc = Loc {
        pos,
        len: h.len,
        sqnum: h.sqnum,
    };
    let inum = u64::from(le32(node, CH_SZ).unwrap_or(0));
    let short = |what: &str| format!("{what} node of {} bytes is too short", h.len);
    Ok(Some(match h.kind {
        INO_NODE => {
            if h.len < INO_NODE_SZ {
                return Err(short("inode"));
            }
            Change::Inode {
                inum,
                loc,
                unlinked: le32(node, 92) == Some(0),
            }
        }
        DATA_NODE => {
            if h.len < DATA_NODE_SZ {
                return Err(short("data"));
            }
            let block = le32(node, CH_SZ.saturating_add(4)).unwrap_or(0) & KEY_BLOCK_MASK;
            Change::Data {
                key: (inum, block),
                loc,
            }
        }
        DENT_NODE => {
            if h.len < DENT_NODE_SZ {
                return Err(short("directory entry"));
            }
            let nlen = usize::from(le16(node, 50).unwrap_or(0));
            let name = node
                .get(DENT_NODE_SZ..DENT_NODE_SZ.saturating_add(nlen))
                .filter(|_| nlen <= MAX_NLEN)
                .ok_or_else(|| format!("directory entry name of {nlen} bytes"))?;
            Change::Dent {
                parent: inum,
                name: name.to_vec(),
                dent: Dent {
                    inum: le64(node, 40).unwrap_or(0),
                    sqnum: h.sqnum,
                    pos,
                },
            }
        }
        TRUN_NODE => {
            if h.len < TRUN_NODE_SZ {
                return Err(short("truncation"));
            }
            Change::Trunc {
                inum,
                new_size: le64(node, 48).unwrap_or(0),
            }
        }
        XENT_NODE | PAD_NODE | CS_NODE | REF_NODE => return Ok(None),
        other => return Err(format!("unexpected type {other} node among the leaves")),
    }))
}

/// Builds the file tree from the collected nodes.
struct Builder<'r, 'a> {
    reader: &'r mut Reader<'a>,
    nodes: &'r Nodes,
    tree: FileTree,
    /// Contents already built, by inode (hard links share them).
    contents: HashMap<u64, Blob>,
    /// Hole bytes still allowed (see the module docs).
    fill_left: u64,
    full: bool,
}

impl Builder<'_, '_> {
    fn node_bytes(&self, loc: &Loc) -> &[u8] {
        self.reader
            .data
            .get(loc.pos..loc.pos.saturating_add(loc.len))
            .unwrap_or(&[])
    }

    fn build(&mut self, cx: &mut Context<'_>) {
        if let Some(root) = self
            .nodes
            .inodes
            .get(&ROOT_INO)
            .and_then(|loc| inode(self.node_bytes(loc)))
        {
            let entry = Entry::dir(b"")
                .mode(root.mode)
                .owner(root.uid, root.gid)
                .mtime(root.mtime);
            // The root merges into the tree's root; it never fails for lack of room.
            let _ = self.tree.add(entry);
        } else {
            self.reader
                .damage
                .record(cx, 0, "the root directory's inode is missing");
        }
        let mut dirs_seen: HashSet<u64> = HashSet::from([ROOT_INO]);
        let mut queue: VecDeque<(u64, Vec<u8>)> = VecDeque::from([(ROOT_INO, Vec::new())]);
        while let Some((dir, path)) = queue.pop_front() {
            for ((_, name), dent) in self.nodes.children(dir) {
                if self.full || cx.time_up("building the UBIFS tree") {
                    return;
                }
                let mut child = path.clone();
                if !child.is_empty() {
                    child.push(b'/');
                }
                child.extend_from_slice(name);
                if name.is_empty()
                    || name == b"."
                    || name == b".."
                    || name.contains(&b'/')
                    || name.contains(&0)
                {
                    self.reader.damage.record(
                        cx,
                        dent.pos,
                        format!(
                            "invalid name {} in directory inode {dir}; entry skipped",
                            escape_path(&child)
                        ),
                    );
                    continue;
                }
                if let Some(sub) = self.add(cx, &child, dent, &mut dirs_seen) {
                    queue.push_back((sub, child));
                }
            }
        }
    }

    /// Adds one entry; returns the inode number when it is a directory to descend into.
    fn add(
        &mut self,
        cx: &mut Context<'_>,
        path: &[u8],
        dent: &Dent,
        dirs_seen: &mut HashSet<u64>,
    ) -> Option<u64> {
        let inum = dent.inum;
        let Some(loc) = self.nodes.inodes.get(&inum).copied() else {
            self.reader.damage.record(
                cx,
                dent.pos,
                format!("{}: inode {inum} is missing", escape_path(path)),
            );
            return None;
        };
        let bytes = self.node_bytes(&loc);
        let Some(ino) = inode(bytes) else {
            self.reader.damage.record(
                cx,
                loc.pos,
                format!("{}: inode {inum} is malformed", escape_path(path)),
            );
            return None;
        };
        let (size, mode, uid, gid, mtime) = (ino.size, ino.mode, ino.uid, ino.gid, ino.mtime);
        let kind = match mode & S_IFMT {
            S_IFREG => EntryKind::File,
            S_IFDIR => EntryKind::Dir,
            S_IFLNK => EntryKind::Symlink(ino.data.to_vec()),
            kind @ (S_IFCHR | S_IFBLK) => {
                let (major, minor) = device(ino.data);
                device_kind(kind, major, minor)
            }
            S_IFIFO => EntryKind::Fifo,
            S_IFSOCK => EntryKind::Socket,
            other => {
                self.reader.damage.record(
                    cx,
                    loc.pos,
                    format!("{}: unknown file type {other:#o}", escape_path(path)),
                );
                return None;
            }
        };
        let is_dir = kind == EntryKind::Dir;
        if is_dir && !dirs_seen.insert(inum) {
            self.reader.damage.record(
                cx,
                loc.pos,
                format!(
                    "{}: directory inode {inum} linked twice (loop); skipped",
                    escape_path(path)
                ),
            );
            return None;
        }
        let mut entry = Entry::new(path, kind.clone())
            .mode(mode)
            .owner(uid, gid)
            .mtime(mtime);
        if kind == EntryKind::File {
            let content = match self.contents.get(&inum) {
                Some(blob) => blob.clone(),
                None => {
                    let blob = self.content(cx, path, inum, size);
                    self.contents.insert(inum, blob.clone());
                    blob
                }
            };
            entry = entry.content(content);
        }
        if !cx.add(&mut self.tree, entry) {
            self.full = true;
            return None;
        }
        is_dir.then_some(inum)
    }

    /// The content of regular file `inum` of `size` bytes, within the limits.
    fn content(&mut self, cx: &mut Context<'_>, path: &[u8], inum: u64, size: u64) -> Blob {
        let capped = to_u64(cx.cap_file(path, to_usize(size)));
        let blocks: Vec<(u32, Loc)> = self
            .nodes
            .data
            .range((inum, 0)..=(inum, u32::MAX))
            .map(|(&(_, block), loc)| (block, *loc))
            .collect();
        // How far the file may go before its holes pass the allowance.
        let mut len = capped;
        let mut covered = 0u64;
        let mut fill = 0u64;
        for (block, _) in &blocks {
            let start = u64::from(*block).saturating_mul(BLOCK_U64);
            if start >= len {
                break;
            }
            let gap = start.saturating_sub(covered);
            if fill.saturating_add(gap) > self.fill_left {
                break;
            }
            fill = fill.saturating_add(gap);
            covered = start.saturating_add(BLOCK_U64).min(len);
        }
        let room = self.fill_left.saturating_sub(fill);
        if len.saturating_sub(covered) > room {
            len = covered.saturating_add(room);
            cx.truncate(
                LimitKind::Ratio,
                format!(
                    "{} cut at {len} of {size} bytes: too much of it is holes for the image's size",
                    escape_path(path)
                ),
            );
        }
        self.fill_left = room.saturating_sub(len.saturating_sub(covered));
        let granted = cx.reserve(path, len);
        let mut out = vec![0u8; to_usize(granted)];
        for (i, (block, loc)) in blocks.iter().enumerate() {
            if i % 256 == 255 && cx.time_up("decompressing UBIFS data") {
                break;
            }
            let start = to_usize(u64::from(*block).saturating_mul(BLOCK_U64));
            let Some(dest) = out.get_mut(start..) else {
                break;
            };
            let node = self
                .reader
                .data
                .get(loc.pos..loc.pos.saturating_add(loc.len))
                .unwrap_or(&[]);
            match block_data(node) {
                Ok(bytes) => {
                    let n = bytes.len().min(dest.len());
                    if let (Some(d), Some(s)) = (dest.get_mut(..n), bytes.get(..n)) {
                        d.copy_from_slice(s);
                    }
                }
                Err(why) => self.reader.damage.record(
                    cx,
                    loc.pos,
                    format!("{} block {block}: {why}", escape_path(path)),
                ),
            }
        }
        Blob::from(out)
    }
}

/// The uncompressed bytes of a data node.
fn block_data(node: &[u8]) -> Result<Vec<u8>, String> {
    let size = usize::try_from(le32(node, 40).unwrap_or(0)).unwrap_or(usize::MAX);
    let compr = le16(node, 44).unwrap_or(0);
    let payload = node.get(DATA_NODE_SZ..).unwrap_or(&[]);
    if size > BLOCK {
        return Err(format!("block of {size} bytes"));
    }
    let codec = match compr {
        0 => {
            return payload
                .get(..size)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| format!("{} stored bytes for {size}", payload.len()));
        }
        1 => Codec::Lzo,
        2 => Codec::Deflate,
        3 => Codec::Zstd,
        other => return Err(format!("unknown compression type {other}")),
    };
    let out = codec::decompress(codec, payload, BLOCK).map_err(|e| format!("{codec}: {e}"))?;
    if out.len() != size {
        return Err(format!(
            "{codec} block decompressed to {} bytes, node says {size}",
            out.len()
        ));
    }
    Ok(out)
}

impl Format for UbifsFormat {
    fn id(&self) -> &'static str {
        "ubifs"
    }

    fn description(&self) -> &'static str {
        "UBIFS filesystem (index and journal; none, lzo, zlib and zstd data)"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Filesystem
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        header(data).is_some_and(|h| h.kind == SB_NODE && h.len == SB_NODE_SZ)
            && superblock(data).is_ok()
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let sb = superblock(data).map_err(|why| Rejected::new(format!("superblock: {why}")))?;
        let extent = to_u64(sb.leb_size)
            .saturating_mul(u64::from(sb.leb_cnt))
            .min(to_u64(data.len()));
        let mut reader = Reader {
            data,
            leb_size: sb.leb_size,
            leb_cnt: sb.leb_cnt,
            damage: Damage::default(),
            check_left: to_u64(data.len())
                .saturating_mul(CHECK_PASSES)
                .saturating_add(CHECK_FLOOR),
            check_spent: false,
        };
        let mut tree = cx.new_tree();
        let mut nodes = Nodes::default();
        match reader.master(cx) {
            None => reader
                .damage
                .record(cx, sb.leb_size, "no valid master node in LEBs 1 and 2"),
            Some(master) => {
                if reader.walk_index(cx, &master, &mut nodes) {
                    reader.replay(cx, &master, sb.log_lebs, &mut nodes);
                }
                let limits = cx.limits();
                let fill_left = limits
                    .max_ratio
                    .saturating_mul(to_u64(data.len()))
                    .max(limits.ratio_floor_bytes);
                let mut builder = Builder {
                    reader: &mut reader,
                    nodes: &nodes,
                    tree,
                    contents: HashMap::new(),
                    fill_left,
                    full: false,
                };
                builder.build(cx);
                tree = builder.tree;
            }
        }
        if reader.damage.suppressed() > 0 {
            cx.error(
                0,
                format!("{} further errors not listed", reader.damage.suppressed()),
            );
        }
        if reader.check_spent {
            cx.error(
                0,
                "node checking budget spent: nodes overlap (hostile index?); later nodes not read",
            );
        }
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: extent.max(to_u64(SB_NODE_SZ)),
            output: Output::Tree(tree),
            variant: compr_name(sb.default_compr),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::limits::Limits;
    use crate::testkit;
    use crate::testkit_ubi::{
        At, Compr, DATA_NODE, DENT_NODE, IDX_NODE, INO_NODE, TRUN_NODE, UbifsBuilder, UbifsImage,
        data_body, dent_body, idx_body, ino_body, key, node, trun_body,
    };
    use crate::tree::NodeKind;

    fn sample(compr: Compr) -> (Vec<u8>, Vec<u8>) {
        let big = testkit::noise(10_000, 3);
        let image = UbifsBuilder::new()
            .compression(compr)
            .dir(b"etc", 0o700)
            .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
            .file_mode(b"bin/busybox", &big, 0o4755)
            .hardlink(b"bin/sh", b"bin/busybox")
            .symlink(b"bin/ls", b"busybox")
            .file(b"empty", b"")
            .device(b"dev/console", false, 5, 1)
            .device(b"dev/sda1", true, 8, 300)
            .fifo(b"dev/initctl")
            .finish();
        (image, big)
    }

    #[test]
    fn reads_every_compression_and_file_type() {
        for compr in [Compr::None, Compr::Lzo, Compr::Zlib, Compr::Zstd] {
            let (image, big) = sample(compr);
            assert!(UbifsFormat.probe(&image));
            let data = [image.clone(), b"trailing".to_vec()].concat();
            let (ex, cx) = extract_ok(&UbifsFormat, &data);
            assert!(cx.errors.is_empty(), "{compr:?}: {:?}", cx.errors);
            assert_eq!(ex.consumed, image.len() as u64);
            let tree = output_tree(&ex);
            let expected = match compr {
                Compr::None => "none",
                Compr::Lzo => "lzo",
                Compr::Zlib => "zlib",
                Compr::Zstd => "zstd",
            };
            assert_eq!(ex.variant, Some(expected));
            assert_eq!(
                tree.read("/etc/passwd").map(|b| b.to_vec()),
                Some(b"root:x:0:0::/root:/bin/sh\n".to_vec())
            );
            assert_eq!(
                tree.read("/bin/busybox").map(|b| b.to_vec()),
                Some(big.clone())
            );
            assert_eq!(tree.read("/bin/sh").map(|b| b.to_vec()), Some(big.clone()));
            let busybox = tree.get("/bin/busybox").unwrap();
            assert_eq!(
                (busybox.mode, busybox.uid, busybox.gid),
                (0o4755, 1000, 100)
            );
            assert_eq!(busybox.mtime, 1_700_000_000);
            assert_eq!(tree.get("/etc").unwrap().mode, 0o700);
            assert_eq!(tree.read("/empty").map(|b| b.len()), Some(0));
            let kind = |p: &str| tree.get(p).map(|n| n.kind.clone());
            assert_eq!(
                kind("/bin/ls"),
                Some(NodeKind::Symlink {
                    target: "busybox".into()
                })
            );
            assert_eq!(
                kind("/dev/console"),
                Some(NodeKind::CharDevice { major: 5, minor: 1 })
            );
            assert_eq!(
                kind("/dev/sda1"),
                Some(NodeKind::BlockDevice {
                    major: 8,
                    minor: 300
                })
            );
            assert_eq!(kind("/dev/initctl"), Some(NodeKind::Fifo));
        }
    }

    #[test]
    fn sparse_files_read_holes_as_zeros_within_an_allowance() {
        let image = UbifsBuilder::new()
            .sparse(b"sparse", 20_000, &[(2, b"middle")])
            .sparse(b"z-bomb", 1 << 40, &[(0, b"x")])
            .finish();
        let limits = Limits {
            ratio_floor_bytes: 1 << 20,
            max_ratio: 2,
            ..Limits::default()
        };
        let (result, cx) = extract_with(&UbifsFormat, &image, &limits);
        let ex = result.unwrap();
        let tree = output_tree(&ex);
        let sparse = tree.read("/sparse").unwrap();
        assert_eq!(sparse.len(), 20_000);
        assert!(sparse[..8192].iter().all(|&b| b == 0));
        assert_eq!(&sparse[8192..8198], b"middle");
        assert!(sparse[8198..].iter().all(|&b| b == 0));
        let bomb = tree.read("/z-bomb").unwrap();
        assert!(bomb.len() <= 1 << 20, "{}", bomb.len());
        assert_eq!(bomb[0], b'x');
        assert!(cx.truncations.iter().any(|t| t.limit == LimitKind::Ratio));
        assert!(
            cx.truncations
                .iter()
                .any(|t| t.limit == LimitKind::FileBytes)
        );
    }

    #[test]
    fn bad_nodes_are_recorded_and_skipped() {
        let mut img = UbifsImage::new(16384);
        let mut leaves = Vec::new();
        let root_ino = img.write(INO_NODE, &ino_body(1, 0o40755, 0, 2, &[]));
        leaves.push((key(1, 0, 0), root_ino));
        let file = img.write(INO_NODE, &ino_body(2, 0o100644, 8192, 1, &[]));
        leaves.push((key(2, 0, 0), file));
        let good = img.write(DATA_NODE, &data_body(2, 0, Compr::Lzo, &[b'a'; 4096]));
        leaves.push((key(2, 1, 0), good));
        let bad = img.write(DATA_NODE, &data_body(2, 1, Compr::Lzo, &[b'b'; 4096]));
        leaves.push((key(2, 1, 1), bad));
        let dent = img.write(DENT_NODE, &dent_body(1, b"f", 2, 0));
        leaves.push((key(1, 2, 5), dent));
        // A dentry naming a missing inode, and one whose name is not a name.
        let lost = img.write(DENT_NODE, &dent_body(1, b"lost", 99, 0));
        leaves.push((key(1, 2, 6), lost));
        let dots = img.write(DENT_NODE, &dent_body(1, b"..", 2, 0));
        leaves.push((key(1, 2, 7), dots));
        let root = crate::testkit_ubi::write_index(&mut img, leaves, 4);
        let mut image = img.finish(root, 3);
        // Flip a byte inside the second data node.
        let pos = bad.lnum as usize * 16384 + bad.offs as usize + 50;
        image[pos] ^= 0x40;
        let (ex, cx) = extract_ok(&UbifsFormat, &image);
        let tree = output_tree(&ex);
        let f = tree.read("/f").unwrap();
        assert_eq!(f.len(), 8192);
        assert!(f[..4096].iter().all(|&b| b == b'a'));
        assert!(f[4096..].iter().all(|&b| b == 0));
        let messages: Vec<&str> = cx.errors.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("bad CRC")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("inode 99 is missing")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("invalid name")),
            "{messages:?}"
        );
        assert_eq!(tree.len(), 2);
    }

    #[test]
    fn index_cycles_and_wrong_levels_end() {
        let mut img = UbifsImage::new(16384);
        let ino = img.write(INO_NODE, &ino_body(1, 0o40755, 0, 2, &[]));
        // A level-1 node whose second branch points at itself, and a level-0 node pointing at
        // the level-1 node (a level mismatch) and at the inode.
        let len1 = 24 + 4 + 2 * 20;
        let self_at = img.next_at(len1);
        let leaf_level = At {
            lnum: self_at.lnum,
            offs: self_at.offs + 72,
            len: 24 + 4 + 2 * 20,
        };
        let top = img.write(
            IDX_NODE,
            &idx_body(1, &[(leaf_level, key(1, 0, 0)), (self_at, key(1, 0, 0))]),
        );
        assert_eq!(top, self_at);
        let low = img.write(
            IDX_NODE,
            &idx_body(0, &[(ino, key(1, 0, 0)), (top, key(1, 0, 0))]),
        );
        assert_eq!(low, leaf_level);
        let image = img.finish(top, 2);
        let (ex, cx) = extract_ok(&UbifsFormat, &image);
        assert!(!cx.errors.is_empty());
        assert!(output_tree(&ex).len() == 1);
    }

    #[test]
    fn the_newest_intact_master_wins() {
        let mut img = UbifsImage::new(16384);
        let built = UbifsBuilder::new().file(b"new", b"1").build_into(&mut img);
        let mut image = img.finish(built.root, built.highest_inum);
        // An older master in LEB 2 pointing nowhere, a newer damaged one after it in LEB 1.
        let mut old = image[16384..16384 + 512].to_vec();
        old[48..52].copy_from_slice(&77u32.to_le_bytes());
        old[8..16].copy_from_slice(&1u64.to_le_bytes());
        let c = crate::testkit_ubi::crc(&old[8..]);
        old[4..8].copy_from_slice(&c.to_le_bytes());
        image[2 * 16384..2 * 16384 + 512].copy_from_slice(&old);
        let mut newer = image[16384..16384 + 512].to_vec();
        newer[8..16].copy_from_slice(&999u64.to_le_bytes());
        image[16384 + 512..16384 + 1024].copy_from_slice(&newer);
        let (ex, _) = extract_ok(&UbifsFormat, &image);
        assert_eq!(
            output_tree(&ex).read("/new").map(|b| b.to_vec()),
            Some(b"1".to_vec())
        );
    }

    #[test]
    fn the_journal_is_replayed_over_the_index() {
        let mut img = UbifsImage::new(16384);
        let built = UbifsBuilder::new()
            .file(b"keep", b"old contents")
            .file(b"gone", b"deleted later")
            .file(b"cut", &[b'c'; 9000])
            .build_into(&mut img);
        img.start_journal();
        let keep = built.inums[&b"keep"[..]];
        let gone = built.inums[&b"gone"[..]];
        let cut = built.inums[&b"cut"[..]];
        // keep: rewritten; gone: unlinked; cut: truncated to 100 bytes; new: created.
        img.journal(INO_NODE, &ino_body(keep, 0o100600, 12, 1, &[]));
        img.journal(DATA_NODE, &data_body(keep, 0, Compr::Zstd, b"new contents"));
        img.journal(DENT_NODE, &dent_body(1, b"gone", 0, 0));
        img.journal(INO_NODE, &ino_body(gone, 0o100644, 0, 0, &[]));
        img.journal(TRUN_NODE, &trun_body(cut, 9000, 100));
        img.journal(INO_NODE, &ino_body(cut, 0o100644, 5000, 1, &[]));
        img.journal(INO_NODE, &ino_body(50, 0o100644, 3, 1, &[]));
        img.journal(DATA_NODE, &data_body(50, 0, Compr::None, b"hi!"));
        img.journal(DENT_NODE, &dent_body(1, b"new", 50, 0));
        let image = img.finish(built.root, 51);
        let (ex, cx) = extract_ok(&UbifsFormat, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        assert_eq!(
            tree.read("/keep").map(|b| b.to_vec()),
            Some(b"new contents".to_vec())
        );
        assert_eq!(tree.get("/keep").unwrap().mode, 0o600);
        assert!(tree.get("/gone").is_none());
        let cut = tree.read("/cut").unwrap();
        assert_eq!(cut.len(), 5000);
        assert!(cut[..4096].iter().all(|&b| b == b'c'));
        assert!(cut[4096..].iter().all(|&b| b == 0));
        assert_eq!(tree.read("/new").map(|b| b.to_vec()), Some(b"hi!".to_vec()));
    }

    #[test]
    fn probe_and_reject() {
        let (image, _) = sample(Compr::Lzo);
        assert!(!UbifsFormat.probe(&image[..100]));
        let mut bad = image.clone();
        bad[36] = 0x13; // LEB size no longer a multiple of 8
        assert!(!UbifsFormat.probe(&bad));
        assert!(
            extract_with(&UbifsFormat, &bad, &Limits::default())
                .0
                .is_err()
        );
        // A stray node that is not a superblock.
        let stray = node(INO_NODE, 1, &ino_body(1, 0o40755, 0, 2, &[]));
        assert!(!UbifsFormat.probe(&stray));
    }
}
