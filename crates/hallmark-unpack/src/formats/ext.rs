//! ext2, ext3 and ext4 filesystems, read with our own reader.
//!
//! # Variants
//!
//! The variant follows the feature flags the way `blkid` names them: `ext4` when the image uses
//! any incompatible or read-only feature ext3 does not know (extents, 64-bit, flex_bg,
//! huge_file, metadata_csum, inline data, ...), else `ext3` when it has a journal, else `ext2`.
//! ext2 without the `filetype` feature (rev 0 images and many `genext2fs` images) is read too.
//!
//! # What is read
//!
//! The directory tree is walked from the root inode (2): inodes through the group descriptors
//! (32- or 64-byte, `meta_bg` placement, 64-bit block numbers), file data through extent trees
//! (any depth; uninitialised extents read as zeros) or direct, indirect, double and triple
//! indirect block maps; `htree` directories are read as the linear directories they also are;
//! inline data (`system.data` in the inode's extra space) for files, directories and
//! symlinks; fast (in-inode) and slow symlinks; character and block devices (old and new
//! device-number encodings), FIFOs and sockets, recorded and never created. Modes, owners
//! (with the high 16 bits of uid and gid) and mtimes (with the extra epoch bits of large
//! inodes) are taken as stored. Every name of a regular file's inode after the first becomes a
//! hard link to the first, sharing its content.
//!
//! Content that lies contiguously in the image is a zero-copy slice of it. Anything else
//! (fragmented files, holes of sparse files, uninitialised extents) is assembled in a fresh
//! buffer whose size is first capped with [`Context::cap_file`] and charged with
//! [`Context::reserve`]; holes read as zeros. Because holes cost nothing in the image, the bytes
//! assembled this way are also held to the layer's compression ratio (the larger of
//! [`ratio_floor_bytes`](crate::Limits::ratio_floor_bytes) and
//! [`max_ratio`](crate::Limits::max_ratio) times the image size): a small image declaring
//! terabytes of sparse files stops there, with the cut recorded.
//!
//! # Hostile images
//!
//! The superblock is validated before anything is read (block size, group geometry, inode
//! size, descriptor size, a primary rather than backup copy), and a candidate whose root inode
//! is not a readable directory is rejected, so a stray magic never claims the bytes after it.
//! The extent is `blocks_count` blocks, cut at the end of the data (recorded). Every block
//! number is checked against the filesystem and the image; bad pointers read as zeros and are
//! reported once per file. A directory inode reached a second time (a loop through a hard-linked directory) is
//! recorded but not descended again; extent-tree nodes are visited once per file and must
//! have the depth their parent promises; names with `/` are refused, `.` and `..` entries are
//! never followed, and paths longer than [`MAX_PATH_BYTES`] are not descended. The metadata
//! read for block maps, extent trees and directories is bounded by four times the image's size
//! (a sound image reads each metadata block once), so files and directories that share blocks
//! cannot multiply the work. Errors are reported at most [`MAX_ERRORS`] times per image.
//!
//! # Not read
//!
//! The journal (it is not replayed: an image whose journal needs recovery is read as it stands
//! and the fact recorded), extended attributes other than inline data, checksums
//! (`metadata_csum` and `gdt_csum` are not verified), e2compr compression, and encrypted names
//! or contents (read as stored).
//!
//! # Why our own reader
//!
//! `ext4-view` (pure Rust, read-only) was the candidate crate, but it refuses ext2 without the
//! `filetype` feature, which the firmware this tool meets often has (`genext2fs`, old vendor
//! images), so a reader of our own was needed anyway; it does not expose device numbers or
//! inode numbers for hard links; and it reads a file into a fresh buffer, where we want
//! zero-copy slices for contiguous files and budget checks before any allocation. One reader
//! for all three variants keeps a single, bounded code path.

use std::cell::Cell;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::blob::Blob;
use crate::bytes::{le16_or_zero, le32_or_zero, to_u64};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::mode::{
    S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, device_kind,
};
use crate::limits::LimitKind;
use crate::tree::{Added, AnomalyKind, Entry, EntryKind, FileTree, MAX_PATH_BYTES, escape_path};

/// ext2, ext3 and ext4.
pub(crate) struct ExtFormat;

/// Offset of the primary superblock.
const SUPERBLOCK: usize = 1024;
/// Offset of `s_magic` inside the superblock.
const MAGIC_FIELD: usize = 0x38;
const MAGIC: [u8; 2] = [0x53, 0xef];

const MAGICS: &[Magic] = &[Magic {
    bytes: &MAGIC,
    offset: SUPERBLOCK + MAGIC_FIELD,
}];

const ROOT_INO: u32 = 2;

/// Most errors recorded per image; the rest are counted in one last message.
pub(crate) const MAX_ERRORS: usize = 64;

/// Why reading stopped when the work budget ran out.
const WORK_SPENT: &str = "block maps and directories share blocks beyond any sound image \
                          (four times the image's size read): not read";

/// Longest symlink target read (Linux's `PATH_MAX`).
const MAX_SYMLINK: u64 = 4096;

/// Deepest extent tree (the kernel's limit is 5).
const MAX_EXTENT_DEPTH: u16 = 5;

const COMPAT_HAS_JOURNAL: u32 = 0x4;
const COMPAT_SPARSE_SUPER2: u32 = 0x200;

const INCOMPAT_COMPRESSION: u32 = 0x1;
const INCOMPAT_FILETYPE: u32 = 0x2;
const INCOMPAT_RECOVER: u32 = 0x4;
const INCOMPAT_JOURNAL_DEV: u32 = 0x8;
const INCOMPAT_META_BG: u32 = 0x10;
const INCOMPAT_64BIT: u32 = 0x80;
const INCOMPAT_LARGEDIR: u32 = 0x4000;
const INCOMPAT_INLINE_DATA: u32 = 0x8000;
const INCOMPAT_ENCRYPT: u32 = 0x10000;
/// Incompatible features ext3 knows; anything else makes an image ext4.
const INCOMPAT_EXT3: u32 = INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_META_BG;

const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
const RO_COMPAT_LARGE_FILE: u32 = 0x2;
const RO_COMPAT_BTREE_DIR: u32 = 0x4;
const RO_COMPAT_HUGE_FILE: u32 = 0x8;
/// Read-only features ext3 knows; anything else makes an image ext4.
const RO_COMPAT_EXT3: u32 = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_BTREE_DIR;

const FL_HUGE_FILE: u32 = 0x4_0000;
const FL_EXTENTS: u32 = 0x8_0000;
const FL_INLINE_DATA: u32 = 0x1000_0000;

const EXTENT_MAGIC: u16 = 0xf30a;
const XATTR_MAGIC: u32 = 0xea02_0000;
/// `system.` attribute namespace.
const XATTR_SYSTEM: u8 = 7;

fn to_usize(value: u64) -> Option<usize> {
    usize::try_from(value).ok()
}

/// The superblock fields the reader uses, validated.
#[derive(Debug, Clone)]
struct Super {
    block_size: u64,
    blocks_count: u64,
    inodes_count: u32,
    first_data_block: u64,
    blocks_per_group: u64,
    inodes_per_group: u64,
    inode_size: u64,
    desc_size: u64,
    compat: u32,
    incompat: u32,
    ro_compat: u32,
    first_meta_bg: u64,
    backup_bgs: [u64; 2],
}

fn parse_super(data: &[u8]) -> Result<Super, &'static str> {
    let sb = data
        .get(SUPERBLOCK..SUPERBLOCK.saturating_mul(2))
        .ok_or("too short for an ext superblock")?;
    if sb.get(MAGIC_FIELD..MAGIC_FIELD.saturating_add(2)) != Some(&MAGIC[..]) {
        return Err("no ext magic");
    }
    let log_block = le32_or_zero(sb, 0x18);
    if log_block > 6 {
        return Err("block size above 64 KiB");
    }
    let block_size = 1024u64.checked_shl(log_block).ok_or("block size")?;
    let rev = le32_or_zero(sb, 0x4c);
    if rev > 1 {
        return Err("unknown revision");
    }
    if le16_or_zero(sb, 0x5a) != 0 {
        return Err("backup superblock (block group number is not 0)");
    }
    let (compat, incompat, ro_compat, inode_size) = if rev == 0 {
        (0, 0, 0, 128)
    } else {
        (
            le32_or_zero(sb, 0x5c),
            le32_or_zero(sb, 0x60),
            le32_or_zero(sb, 0x64),
            u64::from(le16_or_zero(sb, 0x58)),
        )
    };
    if inode_size < 128 || inode_size > block_size || !inode_size.is_power_of_two() {
        return Err("bad inode size");
    }
    let wide = incompat & INCOMPAT_64BIT != 0;
    let mut blocks_count = u64::from(le32_or_zero(sb, 0x04));
    let desc_size = if wide {
        blocks_count |= u64::from(le32_or_zero(sb, 0x150)) << 32;
        let size = u64::from(le16_or_zero(sb, 0xfe));
        if !(64..=1024).contains(&size) || !size.is_power_of_two() || size > block_size {
            return Err("bad group descriptor size");
        }
        size
    } else {
        32
    };
    let inodes_count = le32_or_zero(sb, 0x00);
    let first_data_block = u64::from(le32_or_zero(sb, 0x14));
    let blocks_per_group = u64::from(le32_or_zero(sb, 0x20));
    let inodes_per_group = u64::from(le32_or_zero(sb, 0x28));
    let bits_per_block = block_size.saturating_mul(8);
    if inodes_count == 0 || inodes_per_group == 0 || inodes_per_group > bits_per_block {
        return Err("bad inode geometry");
    }
    if blocks_per_group == 0 || first_data_block > 1 || blocks_count <= first_data_block {
        return Err("bad block geometry");
    }
    if block_size > 1024 && first_data_block != 0 {
        return Err("first data block must be 0 above 1 KiB blocks");
    }
    let groups = blocks_count
        .saturating_sub(first_data_block)
        .div_ceil(blocks_per_group);
    if groups.saturating_mul(inodes_per_group) < u64::from(inodes_count) {
        return Err("more inodes than the groups hold");
    }
    Ok(Super {
        block_size,
        blocks_count,
        inodes_count,
        first_data_block,
        blocks_per_group,
        inodes_per_group,
        inode_size,
        desc_size,
        compat,
        incompat,
        ro_compat,
        first_meta_bg: u64::from(le32_or_zero(sb, 0x104)),
        backup_bgs: [
            u64::from(le32_or_zero(sb, 0x24c)),
            u64::from(le32_or_zero(sb, 0x250)),
        ],
    })
}

impl Super {
    fn variant(&self) -> &'static str {
        if self.incompat & !INCOMPAT_EXT3 != 0 || self.ro_compat & !RO_COMPAT_EXT3 != 0 {
            "ext4"
        } else if self.compat & COMPAT_HAS_JOURNAL != 0 {
            "ext3"
        } else {
            "ext2"
        }
    }

    fn has(&self, incompat: u32) -> bool {
        self.incompat & incompat != 0
    }

    /// Whether block group `group` holds a copy of the superblock (and descriptors).
    fn has_super(&self, group: u64) -> bool {
        if group == 0 {
            return true;
        }
        if self.compat & COMPAT_SPARSE_SUPER2 != 0 {
            return self.backup_bgs.contains(&group);
        }
        if group == 1 || self.ro_compat & RO_COMPAT_SPARSE_SUPER == 0 {
            return true;
        }
        if group % 2 == 0 {
            return false;
        }
        [3u64, 5, 7].iter().any(|&base| {
            let mut power = base;
            while power < group {
                power = power.saturating_mul(base);
            }
            power == group
        })
    }
}

/// One inode, decoded.
#[derive(Debug, Clone)]
struct Inode {
    ino: u32,
    /// Byte offset of the inode in the image.
    offset: usize,
    mode: u16,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: i64,
    /// Allocated 512-byte sectors, extended-attribute block included.
    sectors: u64,
    flags: u32,
    file_acl: u64,
    block: [u8; 60],
    extra_isize: u64,
}

impl Inode {
    fn kind(&self) -> u32 {
        u32::from(self.mode) & S_IFMT
    }

    fn entry(&self, path: &[u8], kind: EntryKind) -> Entry {
        Entry::new(path, kind)
            .mode(u32::from(self.mode & 0o7777))
            .owner(self.uid, self.gid)
            .mtime(self.mtime)
    }
}

/// A stretch of a file: `len` blocks from logical block `logical`, stored from `physical`, or
/// reading as zeros when `zeroed` (an uninitialised extent).
#[derive(Debug, Clone, Copy)]
struct Run {
    logical: u64,
    physical: u64,
    len: u64,
    zeroed: bool,
}

/// The block map of one file, as runs, with what went wrong building it.
#[derive(Debug, Default)]
struct Runs {
    list: Vec<Run>,
    /// Block pointers outside the filesystem or the image (read as zeros).
    bad: u64,
    /// Structural problems (extent tree), first one.
    broken: Option<String>,
    max_runs: usize,
}

impl Runs {
    fn new(blocks: u64) -> Runs {
        Runs {
            max_runs: to_usize(blocks.min(1 << 22)).unwrap_or(1 << 22).max(16),
            ..Runs::default()
        }
    }

    fn push(&mut self, run: Run, blocks_count: u64) {
        if run.len == 0 {
            return;
        }
        let end = run.physical.checked_add(run.len);
        if run.physical == 0 || end.is_none_or(|end| end > blocks_count) {
            self.bad = self.bad.saturating_add(run.len);
            return;
        }
        if let Some(last) = self.list.last_mut() {
            if last.zeroed == run.zeroed
                && last.logical.checked_add(last.len) == Some(run.logical)
                && last.physical.checked_add(last.len) == Some(run.physical)
            {
                last.len = last.len.saturating_add(run.len);
                return;
            }
        }
        if self.list.len() >= self.max_runs {
            self.broken
                .get_or_insert_with(|| "more extents than blocks".to_owned());
            return;
        }
        self.list.push(run);
    }

    fn broken(&mut self, why: impl Into<String>) {
        if self.broken.is_none() {
            self.broken = Some(why.into());
        }
    }
}

/// The reader of one image.
struct Reader<'a> {
    image: &'a Blob,
    sb: Super,
    errors: usize,
    /// Bytes assembled in fresh buffers so far.
    assembled: u64,
    /// Most bytes that may be assembled (the ratio limit).
    allowance: u64,
    /// Metadata words (4 bytes) that may still be examined: block maps, extent nodes and
    /// directory blocks. A sound image reads each metadata block once, so this is a multiple
    /// of the image's size; images whose files and directories share blocks to multiply the
    /// work stop here.
    work: Cell<u64>,
}

impl Reader<'_> {
    fn bs(&self) -> u64 {
        self.sb.block_size
    }

    /// Spends `words` of the work budget; false once it is spent.
    fn spend(&self, words: u64) -> bool {
        let left = self.work.get();
        self.work.set(left.saturating_sub(words));
        left >= words
    }

    fn block_words(&self) -> u64 {
        self.bs() / 4
    }

    fn error(&mut self, cx: &mut Context<'_>, offset: usize, message: impl FnOnce() -> String) {
        self.errors = self.errors.saturating_add(1);
        if self.errors <= MAX_ERRORS {
            cx.error(to_u64(offset), message());
        } else if self.errors == MAX_ERRORS.saturating_add(1) {
            cx.error(to_u64(offset), "further errors not recorded");
        }
    }

    /// Byte range of `count` blocks from `block`, if it lies in the filesystem (not
    /// necessarily in the image).
    fn span(&self, block: u64, count: u64) -> Option<(usize, usize)> {
        let end = block.checked_add(count)?;
        if block == 0 || end > self.sb.blocks_count {
            return None;
        }
        let start = to_usize(block.checked_mul(self.bs())?)?;
        let end = to_usize(end.checked_mul(self.bs())?)?;
        Some((start, end))
    }

    fn block(&self, block: u64) -> Option<&[u8]> {
        let (start, end) = self.span(block, 1)?;
        self.image.get(start..end)
    }

    /// Byte offset of group `group`'s descriptor.
    fn desc_offset(&self, group: u64) -> Option<u64> {
        let per_block = self.bs().checked_div(self.sb.desc_size)?;
        let index = group.checked_div(per_block)?;
        let within = group.checked_rem(per_block)?;
        // The block after the primary superblock: block 2 with 1 KiB blocks (even with
        // bigalloc, where the first data block is 0), block 1 otherwise.
        let after_super = if self.bs() == 1024 { 2 } else { 1 };
        let block = if self.sb.has(INCOMPAT_META_BG) && index >= self.sb.first_meta_bg {
            let first = index.checked_mul(per_block)?;
            if first == 0 {
                after_super
            } else {
                self.sb
                    .first_data_block
                    .checked_add(first.checked_mul(self.sb.blocks_per_group)?)?
                    .checked_add(u64::from(self.sb.has_super(first)))?
            }
        } else {
            index.checked_add(after_super)?
        };
        block
            .checked_mul(self.bs())?
            .checked_add(within.checked_mul(self.sb.desc_size)?)
    }

    fn inode_table(&self, group: u64) -> Option<u64> {
        let offset = to_usize(self.desc_offset(group)?)?;
        let desc = self
            .image
            .get(offset..offset.checked_add(to_usize(self.sb.desc_size)?)?)?;
        let mut table = u64::from(le32_or_zero(desc, 0x08));
        if self.sb.desc_size >= 64 {
            table |= u64::from(le32_or_zero(desc, 0x28)) << 32;
        }
        Some(table)
    }

    fn inode(&self, ino: u32) -> Result<Inode, String> {
        if ino == 0 || ino > self.sb.inodes_count {
            return Err(format!(
                "inode {ino} out of range (1..={})",
                self.sb.inodes_count
            ));
        }
        let index = u64::from(ino).saturating_sub(1);
        let ipg = self.sb.inodes_per_group;
        let (Some(group), Some(within)) = (index.checked_div(ipg), index.checked_rem(ipg)) else {
            return Err(format!("inode {ino}: no inodes per group"));
        };
        let table = self
            .inode_table(group)
            .ok_or_else(|| format!("inode {ino}: group descriptor {group} outside the image"))?;
        let offset = table
            .checked_mul(self.bs())
            .and_then(|t| t.checked_add(within.checked_mul(self.sb.inode_size)?))
            .and_then(to_usize)
            .ok_or_else(|| format!("inode {ino}: inode table block {table} out of range"))?;
        if table == 0 || table >= self.sb.blocks_count {
            return Err(format!(
                "inode {ino}: inode table block {table} out of range"
            ));
        }
        let raw = self
            .image
            .get(offset..offset.saturating_add(to_usize(self.sb.inode_size).unwrap_or(128)))
            .ok_or_else(|| format!("inode {ino} lies past the end of the image"))?;
        let mode = le16_or_zero(raw, 0x00);
        let large = self.sb.inode_size > 128;
        let extra_isize = if large {
            let extra = u64::from(le16_or_zero(raw, 0x80));
            if extra % 4 == 0 && extra <= self.sb.inode_size.saturating_sub(128) {
                extra
            } else {
                0
            }
        } else {
            0
        };
        let mut size = u64::from(le32_or_zero(raw, 0x04));
        if u32::from(mode) & S_IFMT == S_IFREG || self.sb.has(INCOMPAT_LARGEDIR) {
            size |= u64::from(le32_or_zero(raw, 0x6c)) << 32;
        }
        let mut mtime = i64::from(i32::from_le_bytes(le32_or_zero(raw, 0x10).to_le_bytes()));
        if extra_isize >= 0x0c {
            let epoch = i64::from(le32_or_zero(raw, 0x88) & 3);
            mtime = mtime.saturating_add(epoch << 32);
        }
        let flags = le32_or_zero(raw, 0x20);
        let mut sectors = u64::from(le32_or_zero(raw, 0x1c));
        if self.sb.ro_compat & RO_COMPAT_HUGE_FILE != 0 {
            sectors |= u64::from(le16_or_zero(raw, 0x74)) << 32;
            if flags & FL_HUGE_FILE != 0 {
                sectors = sectors.saturating_mul(self.bs() / 512);
            }
        }
        let mut block = [0u8; 60];
        if let Some(src) = raw.get(0x28..0x64) {
            block.copy_from_slice(src);
        }
        Ok(Inode {
            ino,
            offset,
            mode,
            uid: u32::from(le16_or_zero(raw, 0x02)) | (u32::from(le16_or_zero(raw, 0x78)) << 16),
            gid: u32::from(le16_or_zero(raw, 0x18)) | (u32::from(le16_or_zero(raw, 0x7a)) << 16),
            size,
            mtime,
            sectors,
            flags,
            file_acl: u64::from(le32_or_zero(raw, 0x68))
                | (u64::from(le16_or_zero(raw, 0x76)) << 32),
            block,
            extra_isize,
        })
    }

    fn is_inline(&self, inode: &Inode) -> bool {
        self.sb.has(INCOMPAT_INLINE_DATA) && inode.flags & FL_INLINE_DATA != 0
    }

    /// The value of the `system.data` attribute in the inode's extra space (the part of
    /// inline data beyond the 60 bytes of `i_block`).
    fn inline_xattr(&self, inode: &Inode) -> Option<&[u8]> {
        let start = inode
            .offset
            .checked_add(128)?
            .checked_add(to_usize(inode.extra_isize)?)?;
        let end = inode.offset.checked_add(to_usize(self.sb.inode_size)?)?;
        let area = self.image.get(start..end)?;
        if le32_or_zero(area, 0) != XATTR_MAGIC {
            return None;
        }
        let entries = area.get(4..)?;
        let mut pos = 0usize;
        while pos.saturating_add(16) <= entries.len() {
            if le32_or_zero(entries, pos) == 0 {
                break;
            }
            let name_len = usize::from(*entries.get(pos)?);
            let index = *entries.get(pos.saturating_add(1))?;
            let value_offs = usize::from(le16_or_zero(entries, pos.saturating_add(2)));
            let value_inum = le32_or_zero(entries, pos.saturating_add(4));
            let value_size = to_usize(u64::from(le32_or_zero(entries, pos.saturating_add(8))))?;
            let name_start = pos.saturating_add(16);
            let name = entries.get(name_start..name_start.saturating_add(name_len))?;
            if index == XATTR_SYSTEM && name == b"data" && value_inum == 0 {
                return entries.get(value_offs..value_offs.checked_add(value_size)?);
            }
            pos = name_start
                .saturating_add(name_len)
                .checked_next_multiple_of(4)?;
        }
        None
    }

    /// Inline data of a file or symlink, `len` bytes at most.
    fn inline_data(&self, inode: &Inode, len: u64) -> Vec<u8> {
        let len = to_usize(len).unwrap_or(usize::MAX);
        let mut out: Vec<u8> = inode.block.iter().copied().take(len).collect();
        if out.len() < len {
            if let Some(extra) = self.inline_xattr(inode) {
                let more = len.saturating_sub(out.len()).min(extra.len());
                out.extend_from_slice(extra.get(..more).unwrap_or(&[]));
            }
        }
        out
    }

    /// The runs holding the first `blocks` logical blocks of `inode`.
    fn map(&self, inode: &Inode, blocks: u64, cx: &mut Context<'_>) -> Runs {
        let mut runs = Runs::new(blocks);
        if blocks == 0 {
            return runs;
        }
        if !self.spend(15) {
            runs.broken(WORK_SPENT);
            return runs;
        }
        if inode.flags & FL_EXTENTS != 0 {
            let mut visited = HashSet::new();
            self.map_extent_node(&inode.block, None, blocks, &mut visited, &mut runs, cx);
        } else {
            self.map_indirect(inode, blocks, &mut runs, cx);
        }
        runs
    }

    fn map_extent_node(
        &self,
        node: &[u8],
        depth_wanted: Option<u16>,
        blocks: u64,
        visited: &mut HashSet<u64>,
        runs: &mut Runs,
        cx: &mut Context<'_>,
    ) {
        if le16_or_zero(node, 0) != EXTENT_MAGIC {
            runs.broken("extent node without its magic");
            return;
        }
        let entries = usize::from(le16_or_zero(node, 2));
        let depth = le16_or_zero(node, 6);
        if depth > MAX_EXTENT_DEPTH || depth_wanted.is_some_and(|want| want != depth) {
            runs.broken(format!(
                "extent node of depth {depth} where another was due"
            ));
            return;
        }
        if entries.saturating_mul(12).saturating_add(12) > node.len() {
            runs.broken("extent node holds more entries than fit");
            return;
        }
        for i in 0..entries {
            let at = i.saturating_add(1).saturating_mul(12);
            let logical = u64::from(le32_or_zero(node, at));
            if logical >= blocks {
                continue;
            }
            if depth == 0 {
                let raw_len = le16_or_zero(node, at.saturating_add(4));
                let (len, zeroed) = if raw_len > 32768 {
                    (raw_len.saturating_sub(32768), true)
                } else {
                    (raw_len, false)
                };
                let physical = (u64::from(le16_or_zero(node, at.saturating_add(6))) << 32)
                    | u64::from(le32_or_zero(node, at.saturating_add(8)));
                let len = u64::from(len).min(blocks.saturating_sub(logical));
                runs.push(
                    Run {
                        logical,
                        physical,
                        len,
                        zeroed,
                    },
                    self.sb.blocks_count,
                );
            } else {
                let child = u64::from(le32_or_zero(node, at.saturating_add(4)))
                    | (u64::from(le16_or_zero(node, at.saturating_add(8))) << 32);
                if !visited.insert(child) {
                    runs.broken(format!("extent tree visits block {child} twice"));
                    continue;
                }
                if cx.time_up("reading ext extent trees") {
                    return;
                }
                let Some(bytes) = self.block(child) else {
                    runs.broken(format!("extent node block {child} out of range"));
                    continue;
                };
                if !self.spend(self.block_words()) {
                    runs.broken(WORK_SPENT);
                    return;
                }
                self.map_extent_node(
                    bytes,
                    Some(depth.saturating_sub(1)),
                    blocks,
                    visited,
                    runs,
                    cx,
                );
            }
        }
    }

    fn map_indirect(&self, inode: &Inode, blocks: u64, runs: &mut Runs, cx: &mut Context<'_>) {
        let pointer = |slot: usize| u64::from(le32_or_zero(&inode.block, slot.saturating_mul(4)));
        for slot in 0..12usize {
            let logical = to_u64(slot);
            if logical >= blocks {
                return;
            }
            let physical = pointer(slot);
            if physical != 0 {
                runs.push(
                    Run {
                        logical,
                        physical,
                        len: 1,
                        zeroed: false,
                    },
                    self.sb.blocks_count,
                );
            }
        }
        let per_block = self.bs() / 4;
        let mut base = 12u64;
        let mut covered = per_block;
        for (slot, level) in [(12usize, 1u32), (13, 2), (14, 3)] {
            if base >= blocks {
                return;
            }
            self.map_indirect_block(pointer(slot), level, base, blocks, runs, cx);
            base = base.saturating_add(covered);
            covered = covered.saturating_mul(per_block);
        }
    }

    /// Maps the pointers of an indirect block of `level` (1: pointers to data) whose first
    /// pointer covers logical block `base`.
    fn map_indirect_block(
        &self,
        block: u64,
        level: u32,
        base: u64,
        blocks: u64,
        runs: &mut Runs,
        cx: &mut Context<'_>,
    ) {
        if block == 0 || base >= blocks || cx.time_up("reading ext block maps") {
            return;
        }
        let Some(bytes) = self.block(block) else {
            runs.bad = runs.bad.saturating_add(1);
            return;
        };
        if !self.spend(self.block_words()) {
            runs.broken(WORK_SPENT);
            return;
        }
        let child_span = (self.bs() / 4).saturating_pow(level.saturating_sub(1));
        let mut logical = base;
        for chunk in bytes.chunks_exact(4) {
            if logical >= blocks {
                break;
            }
            let pointer = u64::from(le32_or_zero(chunk, 0));
            if level <= 1 {
                if pointer != 0 {
                    runs.push(
                        Run {
                            logical,
                            physical: pointer,
                            len: 1,
                            zeroed: false,
                        },
                        self.sb.blocks_count,
                    );
                }
            } else {
                self.map_indirect_block(
                    pointer,
                    level.saturating_sub(1),
                    logical,
                    blocks,
                    runs,
                    cx,
                );
            }
            logical = logical.saturating_add(child_span);
        }
    }

    /// Copies the runs into a zeroed buffer of `len` bytes; false when part of the data lies
    /// past the end of the image.
    fn gather(&self, runs: &Runs, out: &mut [u8]) -> bool {
        let bs = self.bs();
        let mut complete = true;
        for run in runs.list.iter().filter(|run| !run.zeroed) {
            let Some(dst_start) = run.logical.checked_mul(bs).and_then(to_usize) else {
                continue;
            };
            if dst_start >= out.len() {
                continue;
            }
            let want = to_usize(run.len.saturating_mul(bs))
                .unwrap_or(usize::MAX)
                .min(out.len().saturating_sub(dst_start));
            let Some((src_start, _)) = self.span(run.physical, run.len) else {
                continue;
            };
            let available = self.image.len().saturating_sub(src_start).min(want);
            if available < want {
                complete = false;
            }
            let src = self
                .image
                .get(src_start..src_start.saturating_add(available))
                .unwrap_or(&[]);
            if let Some(dst) = out.get_mut(dst_start..dst_start.saturating_add(src.len())) {
                dst.copy_from_slice(src);
            }
        }
        complete
    }

    fn report_map(&mut self, cx: &mut Context<'_>, inode: &Inode, path: &[u8], runs: &Runs) {
        if runs.bad > 0 {
            let bad = runs.bad;
            self.error(cx, inode.offset, || {
                format!(
                    "{} (inode {}): {bad} block pointers out of range, read as zeros",
                    escape_path(path),
                    inode.ino
                )
            });
        }
        if let Some(why) = &runs.broken {
            self.error(cx, inode.offset, || {
                format!(
                    "{} (inode {}): {why}; the rest reads as zeros",
                    escape_path(path),
                    inode.ino
                )
            });
        }
    }

    /// The content of a regular file.
    fn file_content(&mut self, path: &[u8], inode: &Inode, cx: &mut Context<'_>) -> Blob {
        let size = to_usize(inode.size).unwrap_or(usize::MAX);
        let len = cx.cap_file(path, size);
        if len == 0 {
            return Blob::empty();
        }
        if self.is_inline(inode) {
            return Blob::from(self.inline_data(inode, to_u64(len)));
        }
        let len64 = to_u64(len);
        let blocks = len64.div_ceil(self.bs());
        let runs = self.map(inode, blocks, cx);
        self.report_map(cx, inode, path, &runs);
        if let [run] = runs.list.as_slice() {
            if run.logical == 0 && !run.zeroed && run.len >= blocks {
                if let Some((start, _)) = self.span(run.physical, run.len) {
                    if let Some(blob) = self.image.slice(start..start.saturating_add(len)) {
                        return blob;
                    }
                }
            }
        }
        let mut want = len64;
        let allowed = self.allowance.saturating_sub(self.assembled);
        if want > allowed {
            cx.truncate(
                LimitKind::Ratio,
                format!(
                    "{} cut at {allowed} of {want} bytes: sparse or scattered content beyond \
                     {} bytes for a {} byte image",
                    escape_path(path),
                    self.allowance,
                    self.image.len()
                ),
            );
            want = allowed;
        }
        let granted = cx.reserve(path, want);
        self.assembled = self.assembled.saturating_add(granted);
        let mut out = vec![0u8; to_usize(granted).unwrap_or(0)];
        if !self.gather(&runs, &mut out) {
            self.error(cx, inode.offset, || {
                format!(
                    "{} (inode {}): data past the end of the image, read as zeros",
                    escape_path(path),
                    inode.ino
                )
            });
        }
        Blob::from(out)
    }

    fn symlink_target(
        &mut self,
        path: &[u8],
        inode: &Inode,
        cx: &mut Context<'_>,
    ) -> Option<Vec<u8>> {
        let size = inode.size;
        if size > MAX_SYMLINK {
            self.error(cx, inode.offset, || {
                format!(
                    "{}: symlink target of {size} bytes, skipped",
                    escape_path(path)
                )
            });
            return None;
        }
        if self.is_inline(inode) {
            return Some(self.inline_data(inode, size));
        }
        let xattr_sectors = if inode.file_acl != 0 {
            self.bs() / 512
        } else {
            0
        };
        if inode.sectors.saturating_sub(xattr_sectors) == 0 && size <= 60 {
            return Some(
                inode
                    .block
                    .iter()
                    .copied()
                    .take(60.min(to_usize(size)?))
                    .collect(),
            );
        }
        let runs = self.map(inode, size.div_ceil(self.bs()), cx);
        self.report_map(cx, inode, path, &runs);
        let mut out = vec![0u8; to_usize(size)?];
        self.gather(&runs, &mut out);
        Some(out)
    }

    /// The `(name, inode)` entries of a directory, `.` and `..` included.
    fn dir_entries(
        &mut self,
        path: &[u8],
        inode: &Inode,
        cx: &mut Context<'_>,
    ) -> Vec<(Vec<u8>, u32)> {
        let mut out = Vec::new();
        if self.is_inline(inode) {
            // The first four bytes of i_block hold the parent's inode number.
            let block = inode.block;
            let at = inode.offset.saturating_add(0x2c);
            self.parse_dirents(block.get(4..).unwrap_or(&[]), at, &mut out, cx);
            if let Some(extra) = self.inline_xattr(inode) {
                let extra = extra.to_vec();
                self.parse_dirents(&extra, inode.offset, &mut out, cx);
            }
            return out;
        }
        // A directory is never larger than the image.
        let size = inode.size.min(to_u64(self.image.len()));
        let mut runs = self.map(inode, size.div_ceil(self.bs()), cx);
        self.report_map(cx, inode, path, &runs);
        runs.list.sort_by_key(|run| run.logical);
        let limit = to_usize(cx.budget.remaining_entries()).unwrap_or(usize::MAX);
        let mut seen = HashSet::new();
        for run in runs.list.iter().filter(|run| !run.zeroed) {
            for block in run.physical..run.physical.saturating_add(run.len) {
                if out.len() > limit || cx.time_up("reading ext directories") {
                    return out;
                }
                if !seen.insert(block) {
                    continue;
                }
                if !self.spend(self.block_words()) {
                    self.error(cx, inode.offset, || {
                        format!("directory {}: {WORK_SPENT}", escape_path(path))
                    });
                    return out;
                }
                let Some((start, end)) = self.span(block, 1) else {
                    continue;
                };
                let Some(bytes) = self.image.get(start..end) else {
                    self.error(cx, inode.offset, || {
                        format!(
                            "directory {}: block {block} past the end of the image",
                            escape_path(path)
                        )
                    });
                    break;
                };
                self.parse_dirents(bytes, start, &mut out, cx);
            }
        }
        out
    }

    /// Parses the linear directory entries of `buf` (a block, or an inline area) found at
    /// byte `at` of the image.
    fn parse_dirents(
        &mut self,
        buf: &[u8],
        at: usize,
        out: &mut Vec<(Vec<u8>, u32)>,
        cx: &mut Context<'_>,
    ) {
        let filetype = self.sb.has(INCOMPAT_FILETYPE);
        let mut pos = 0usize;
        while pos.saturating_add(8) <= buf.len() {
            let ino = le32_or_zero(buf, pos);
            let raw_len = le16_or_zero(buf, pos.saturating_add(4));
            let rec_len = if self.bs() >= 65536 {
                if raw_len == u16::MAX || raw_len == 0 {
                    65536
                } else {
                    usize::from(raw_len & 0xfffc) | (usize::from(raw_len & 3) << 16)
                }
            } else {
                usize::from(raw_len)
            };
            let name_len = if filetype {
                usize::from(buf.get(pos.saturating_add(6)).copied().unwrap_or(0))
            } else {
                usize::from(le16_or_zero(buf, pos.saturating_add(6)))
            };
            let end = pos.saturating_add(rec_len);
            if rec_len < 8 || rec_len % 4 != 0 || end > buf.len() {
                let offset = at.saturating_add(pos);
                self.error(cx, offset, || {
                    format!("bad directory entry length {rec_len}: rest of the block skipped")
                });
                return;
            }
            let name_start = pos.saturating_add(8);
            match buf.get(name_start..name_start.saturating_add(name_len)) {
                Some(name) if name_start.saturating_add(name_len) <= end => {
                    if ino != 0 && !name.is_empty() {
                        out.push((name.to_vec(), ino));
                    }
                }
                _ => {
                    let offset = at.saturating_add(pos);
                    self.error(cx, offset, || {
                        format!("directory entry name of {name_len} bytes overflows its record")
                    });
                }
            }
            pos = end;
        }
    }

    /// Walks the tree from the root inode into `tree`.
    /// The root directory's inode: without it there is no filesystem to read.
    fn root(&self) -> Result<Inode, String> {
        let root = self.inode(ROOT_INO)?;
        if root.kind() != S_IFDIR {
            return Err(format!(
                "root inode is not a directory (mode {:#o})",
                root.mode
            ));
        }
        Ok(root)
    }

    fn walk(&mut self, root: Inode, tree: &mut FileTree, cx: &mut Context<'_>) {
        let _ = tree.add(root.entry(b"", EntryKind::Dir));
        let mut dirs_seen = HashSet::from([ROOT_INO]);
        // Multiply linked files: inode -> the path holding its content, and back.
        let mut files_seen: HashMap<u32, Vec<u8>> = HashMap::new();
        let mut first_names: HashMap<Vec<u8>, u32> = HashMap::new();
        // Breadth first, in directory order: the first name of a multiply linked file is the
        // shallowest one.
        let mut queue: VecDeque<(Inode, Vec<u8>)> = VecDeque::from([(root, Vec::new())]);
        while let Some((dir, path)) = queue.pop_front() {
            if cx.time_up("walking ext directories") {
                return;
            }
            for (name, ino) in self.dir_entries(&path, &dir, cx) {
                if name == b"." || name == b".." {
                    continue;
                }
                let mut child = path.clone();
                if !child.is_empty() {
                    child.push(b'/');
                }
                child.extend_from_slice(&name);
                if name.contains(&b'/') {
                    self.error(cx, dir.offset, || {
                        format!(
                            "directory entry {} names a '/': skipped",
                            escape_path(&child)
                        )
                    });
                    continue;
                }
                if child.len() > MAX_PATH_BYTES {
                    self.error(cx, dir.offset, || {
                        format!("path of {} bytes too long: skipped", child.len())
                    });
                    continue;
                }
                let inode = match self.inode(ino) {
                    Ok(inode) => inode,
                    Err(why) => {
                        self.error(cx, dir.offset, || format!("{}: {why}", escape_path(&child)));
                        continue;
                    }
                };
                // An entry at the path holding a linked file's content replaces it: the file's
                // next name must carry the content itself.
                if let Some(old) = first_names.remove(&child) {
                    files_seen.remove(&old);
                }
                let added = match inode.kind() {
                    S_IFDIR => {
                        let added = add(cx, tree, inode.entry(&child, EntryKind::Dir));
                        if dirs_seen.insert(ino) {
                            queue.push_back((inode, child));
                        } else {
                            self.error(cx, inode.offset, || {
                                format!(
                                    "directory inode {ino} reached again at {} (a loop or a \
                                     hard-linked directory): not descended",
                                    escape_path(&child)
                                )
                            });
                        }
                        added
                    }
                    S_IFREG => {
                        if let Some(first) = files_seen.get(&ino) {
                            let link = inode.entry(&child, EntryKind::Hardlink(first.clone()));
                            add(cx, tree, link)
                        } else {
                            let content = self.file_content(&child, &inode, cx);
                            let added = add(
                                cx,
                                tree,
                                inode.entry(&child, EntryKind::File).content(content),
                            );
                            if matches!(added, Added::Inserted | Added::Replaced) {
                                first_names.insert(child.clone(), ino);
                                files_seen.insert(ino, child);
                            }
                            added
                        }
                    }
                    S_IFLNK => match self.symlink_target(&child, &inode, cx) {
                        Some(target) => {
                            add(cx, tree, inode.entry(&child, EntryKind::Symlink(target)))
                        }
                        None => continue,
                    },
                    kind @ (S_IFCHR | S_IFBLK) => {
                        let (major, minor) = device_numbers(&inode.block);
                        add(
                            cx,
                            tree,
                            inode.entry(&child, device_kind(kind, major, minor)),
                        )
                    }
                    S_IFIFO => add(cx, tree, inode.entry(&child, EntryKind::Fifo)),
                    S_IFSOCK => add(cx, tree, inode.entry(&child, EntryKind::Socket)),
                    other => {
                        self.error(cx, inode.offset, || {
                            format!(
                                "{} (inode {ino}): unknown file type {other:#o}, skipped",
                                escape_path(&child)
                            )
                        });
                        continue;
                    }
                };
                if added == Added::Refused(AnomalyKind::NodeLimit) {
                    return;
                }
            }
        }
    }
}

/// Adds an entry, recording the entry limit when the tree is full.
fn add(cx: &mut Context<'_>, tree: &mut FileTree, entry: Entry) -> Added {
    let added = tree.add(entry);
    if added == Added::Refused(AnomalyKind::NodeLimit) {
        cx.truncate(
            LimitKind::Entries,
            format!("entry limit reached after {} nodes", tree.len()),
        );
    }
    added
}

/// Device numbers from `i_block`: the old 8:8 encoding in the first word, else the new one in
/// the second.
fn device_numbers(block: &[u8]) -> (u32, u32) {
    let old = le32_or_zero(block, 0);
    if old != 0 {
        return ((old >> 8) & 0xff, old & 0xff);
    }
    let new = le32_or_zero(block, 4);
    (
        (new & 0xf_ff00) >> 8,
        (new & 0xff) | ((new >> 12) & 0xf_ff00),
    )
}

impl Format for ExtFormat {
    fn id(&self) -> &'static str {
        "ext"
    }

    fn description(&self) -> &'static str {
        "ext2/ext3/ext4 filesystem"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Filesystem
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        parse_super(data).is_ok_and(|sb| sb.incompat & INCOMPAT_JOURNAL_DEV == 0)
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let sb = parse_super(data).map_err(Rejected::new)?;
        if sb.has(INCOMPAT_JOURNAL_DEV) {
            return Err(Rejected::new("an external ext journal, not a filesystem"));
        }
        let declared = sb.blocks_count.saturating_mul(sb.block_size);
        let extent = declared.min(to_u64(data.len()));
        let image = data
            .slice(0..to_usize(extent).unwrap_or(data.len()))
            .unwrap_or_else(|| data.clone());
        if extent < declared {
            cx.error(
                0,
                format!(
                    "image truncated: {extent} of the {declared} bytes the superblock declares"
                ),
            );
        }
        if sb.has(INCOMPAT_RECOVER) {
            cx.error(
                0,
                "the journal needs recovery and was not replayed: recent changes may be missing",
            );
        }
        if sb.has(INCOMPAT_COMPRESSION) {
            cx.error(
                0,
                "e2compr compression is not supported: file contents read as stored",
            );
        }
        if sb.has(INCOMPAT_ENCRYPT) {
            cx.error(0, "encrypted files and names are read as stored");
        }
        let limits = cx.limits();
        let allowance = limits
            .max_ratio
            .saturating_mul(extent)
            .max(limits.ratio_floor_bytes);
        let variant = sb.variant();
        let mut tree = cx.new_tree();
        let mut reader = Reader {
            image: &image,
            sb,
            errors: 0,
            assembled: 0,
            allowance,
            work: Cell::new(extent.saturating_add(1 << 22)),
        };
        // Without a root directory this is not a filesystem we can read (or a stray magic):
        // its bytes stay unidentified rather than claimed.
        let root = reader
            .root()
            .map_err(|why| Rejected::new(format!("ext root directory: {why}")))?;
        reader.walk(root, &mut tree, cx);
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: extent.max(1),
            output: Output::Tree(tree),
            variant: Some(variant),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree, read};
    use crate::limits::Limits;
    use crate::testkit::{ExtBuilder, ext_mode, noise};
    use crate::tree::NodeKind;

    fn kind_at(tree: &FileTree, path: &str) -> Option<NodeKind> {
        tree.get(path).map(|n| n.kind.clone())
    }

    /// One of everything, in the layout the builder is configured for.
    fn everything(builder: &mut ExtBuilder) -> Vec<u8> {
        builder
            .meta(0, 0, 1_600_000_000)
            .dir(b"etc")
            .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
            .file_mode(b"bin/busybox", 0o4755, &noise(5000, 1))
            .hardlink(b"bin/sh", b"bin/busybox")
            .hardlink(b"sbin/init", b"bin/busybox")
            .symlink(b"bin/ls", b"busybox")
            .symlink(b"lib/long", &[b'x'; 200])
            .special(b"dev/console", ext_mode::CHAR, 5, 1)
            .special(b"dev/mtdblock300", ext_mode::BLOCK, 31, 300)
            .special(b"dev/initctl", ext_mode::FIFO, 0, 0)
            .special(b"run/sock", ext_mode::SOCKET, 0, 0)
            .meta(70_000, 80_000, 1_234_567_890)
            .file(b"home/user/single", &noise(20 * 1024, 2))
            .file(b"home/user/double", &noise(300 * 1024, 3))
            .file(b"empty", b"")
            .finish()
    }

    fn check_everything(data: &[u8], variant: &str) {
        let (ex, cx) = extract_ok(&ExtFormat, data);
        assert!(cx.errors.is_empty(), "{variant}: {:?}", cx.errors);
        assert_eq!(ex.variant, Some(variant));
        assert_eq!(ex.consumed, data.len() as u64);
        let tree = output_tree(&ex);
        assert!(tree.anomalies().is_empty(), "{:?}", tree.anomalies());
        assert_eq!(read(tree, "/etc/passwd"), b"root:x:0:0::/root:/bin/sh\n");
        assert_eq!(read(tree, "/bin/busybox"), noise(5000, 1));
        assert_eq!(read(tree, "/home/user/single"), noise(20 * 1024, 2));
        assert_eq!(read(tree, "/home/user/double"), noise(300 * 1024, 3));
        assert_eq!(read(tree, "/empty"), b"");
        let busybox = tree.get("/bin/busybox").unwrap();
        assert_eq!((busybox.mode, busybox.mtime), (0o4755, 1_600_000_000));
        for link in ["/bin/sh", "/sbin/init"] {
            assert_eq!(
                kind_at(tree, link),
                Some(NodeKind::Hardlink {
                    target: "/bin/busybox".into()
                }),
                "{link}"
            );
            assert_eq!(read(tree, link), noise(5000, 1));
        }
        assert_eq!(
            kind_at(tree, "/bin/ls"),
            Some(NodeKind::Symlink {
                target: "busybox".into()
            })
        );
        assert_eq!(
            kind_at(tree, "/lib/long"),
            Some(NodeKind::Symlink {
                target: "x".repeat(200)
            })
        );
        assert_eq!(
            kind_at(tree, "/dev/console"),
            Some(NodeKind::CharDevice { major: 5, minor: 1 })
        );
        assert_eq!(
            kind_at(tree, "/dev/mtdblock300"),
            Some(NodeKind::BlockDevice {
                major: 31,
                minor: 300
            })
        );
        assert_eq!(kind_at(tree, "/dev/initctl"), Some(NodeKind::Fifo));
        assert_eq!(kind_at(tree, "/run/sock"), Some(NodeKind::Socket));
        let single = tree.get("/home/user/single").unwrap();
        assert_eq!(
            (single.uid, single.gid, single.mtime, single.mode),
            (70_000, 80_000, 1_234_567_890, 0o644)
        );
        assert_eq!(tree.get("/etc").map(|n| n.mode), Some(0o755));
    }

    #[test]
    fn reads_block_maps_and_extents_in_every_variant_and_block_size() {
        for block_size in [1024, 2048, 4096] {
            for filetype in [true, false] {
                let data = everything(ExtBuilder::new().block_size(block_size).filetype(filetype));
                check_everything(&data, "ext2");
                let data = everything(ExtBuilder::new().block_size(block_size).journal(true));
                check_everything(&data, "ext3");
                let data = everything(
                    ExtBuilder::new()
                        .block_size(block_size)
                        .extents(true)
                        .journal(true),
                );
                check_everything(&data, "ext4");
            }
        }
    }

    #[test]
    fn contiguous_files_are_not_copied_and_holes_read_as_zeros() {
        let data = ExtBuilder::new()
            .file(b"big", &noise(100 * 1024, 4))
            .finish();
        let (ex, cx) = extract_ok(&ExtFormat, &data);
        assert_eq!(read(output_tree(&ex), "/big"), noise(100 * 1024, 4));
        assert_eq!(cx.budget.produced(), 0, "a contiguous file is a slice");

        for extents in [false, true] {
            // Holes in the middle and at the end; the last piece is deep in the triple
            // indirect range of 1 KiB blocks.
            let far = 12 + 256 + 65536 + 7;
            let size = (far + 3) * 1024;
            let data = ExtBuilder::new()
                .extents(extents)
                .sparse_file(
                    b"sparse",
                    size,
                    &[(0, b"head"), (5, b"five"), (300, b"double"), (far, b"far")],
                )
                .finish();
            let limits = Limits {
                ratio_floor_bytes: 1 << 30,
                ..Limits::default()
            };
            let (ex, cx) = extract_with(&ExtFormat, &data, &limits);
            let ex = ex.unwrap();
            assert!(cx.errors.is_empty(), "{:?}", cx.errors);
            assert!(cx.truncations.is_empty(), "{:?}", cx.truncations);
            let content = read(output_tree(&ex), "/sparse");
            assert_eq!(content.len() as u64, size);
            let at = |block: u64, len: usize| &content[block as usize * 1024..][..len];
            assert_eq!(at(0, 4), b"head");
            assert_eq!(at(5, 4), b"five");
            assert_eq!(at(300, 6), b"double");
            assert_eq!(at(far, 3), b"far");
            for hole in [1, 4, 6, 299, 301, 60_000, far - 1, far + 1] {
                assert!(at(hole, 1024).iter().all(|&b| b == 0), "block {hole}");
            }
            assert_eq!(cx.budget.produced(), size, "assembled bytes are charged");
        }
    }

    #[test]
    fn sparse_content_is_held_to_the_ratio_and_the_file_limit() {
        let data = ExtBuilder::new()
            .sparse_file(b"a", 10 << 20, &[(1, b"a")])
            .sparse_file(b"b", 10 << 20, &[(1, b"b")])
            .sparse_file(b"c", 10 << 20, &[(1, b"c")])
            .finish();
        let (ex, cx) = extract_ok(&ExtFormat, &data);
        let tree = output_tree(&ex);
        let total: usize = ["/a", "/b", "/c"].iter().map(|p| read(tree, p).len()).sum();
        assert_eq!(
            total,
            16 << 20,
            "the ratio floor bounds the assembled bytes"
        );
        assert_eq!(cx.truncations[0].limit, LimitKind::Ratio);
        assert_eq!(cx.budget.produced(), 16 << 20);

        let limits = Limits {
            max_file_bytes: 1000,
            max_total_bytes: 1500,
            ..Limits::default()
        };
        let (ex, cx) = extract_with(&ExtFormat, &data, &limits);
        let tree = output_tree(ex.as_ref().unwrap());
        let sizes: Vec<usize> = ["/a", "/b", "/c"]
            .iter()
            .map(|p| read(tree, p).len())
            .collect();
        assert_eq!(sizes, [1000, 500, 0]);
        let limits: Vec<LimitKind> = cx.truncations.iter().map(|t| t.limit).collect();
        assert_eq!(limits, [LimitKind::FileBytes, LimitKind::TotalBytes]);
    }

    #[test]
    fn extent_trees_with_index_nodes() {
        // Every other block: 40 extents, more than the inode holds.
        let pieces: Vec<(u64, Vec<u8>)> = (0..40u64)
            .map(|i| (i * 2, format!("piece {i}").into_bytes()))
            .collect();
        let refs: Vec<(u64, &[u8])> = pieces.iter().map(|(b, d)| (*b, d.as_slice())).collect();
        let data = ExtBuilder::new()
            .extents(true)
            .sparse_file(b"frag", 80 * 1024, &refs)
            .finish();
        let (ex, cx) = extract_ok(&ExtFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let content = read(output_tree(&ex), "/frag");
        for (block, piece) in &pieces {
            assert_eq!(&content[*block as usize * 1024..][..piece.len()], piece);
        }
    }

    #[test]
    fn inline_data_and_extra_time_bits() {
        let long: Vec<u8> = (0..100u8).collect();
        let data = ExtBuilder::new()
            .inode_size(256)
            .extents(true)
            .inline_file(b"short", b"tiny")
            .inline_file(b"long", &long)
            .file(b"later", b"x")
            .epoch(b"later", 1)
            .finish();
        let (ex, cx) = extract_ok(&ExtFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        assert_eq!(read(tree, "/short"), b"tiny");
        assert_eq!(read(tree, "/long"), long);
        assert_eq!(
            tree.get("/later").map(|n| n.mtime),
            Some(1_700_000_000 + (1 << 32))
        );
    }

    #[test]
    fn probe_rejects_what_is_not_a_primary_superblock() {
        let data = ExtBuilder::new().file(b"f", b"x").finish();
        assert!(ExtFormat.probe(&data));
        assert!(!ExtFormat.probe(&data[..2000]));
        let patched = |at: usize, bytes: &[u8]| {
            let mut bad = data.clone();
            bad[1024 + at..1024 + at + bytes.len()].copy_from_slice(bytes);
            bad
        };
        for (at, bytes) in [
            (0x18, &7u32.to_le_bytes()[..]), // 128 KiB blocks
            (0x4c, &2u32.to_le_bytes()),     // revision 2
            (0x5a, &1u16.to_le_bytes()),     // backup superblock
            (0x58, &100u16.to_le_bytes()),   // inode size
            (0x28, &0u32.to_le_bytes()),     // no inodes per group
            (0x20, &0u32.to_le_bytes()),     // no blocks per group
            (0x00, &u32::MAX.to_le_bytes()), // more inodes than groups hold
            (0x14, &5u32.to_le_bytes()),     // first data block
            (0x60, &0x8u32.to_le_bytes()),   // journal device
        ] {
            let bad = patched(at, bytes);
            assert!(!ExtFormat.probe(&bad), "field {at:#x}");
            assert!(
                extract_with(&ExtFormat, &bad, &Limits::default())
                    .0
                    .is_err()
            );
        }
    }

    #[test]
    fn variants_follow_the_features() {
        let sb = |compat: u32, incompat: u32, ro: u32| Super {
            block_size: 1024,
            blocks_count: 10,
            inodes_count: 1,
            first_data_block: 1,
            blocks_per_group: 8192,
            inodes_per_group: 16,
            inode_size: 128,
            desc_size: 32,
            compat,
            incompat,
            ro_compat: ro,
            first_meta_bg: 0,
            backup_bgs: [0, 0],
        };
        assert_eq!(sb(0, INCOMPAT_FILETYPE, 3).variant(), "ext2");
        assert_eq!(
            sb(COMPAT_HAS_JOURNAL, INCOMPAT_FILETYPE, 3).variant(),
            "ext3"
        );
        assert_eq!(sb(COMPAT_HAS_JOURNAL, INCOMPAT_64BIT, 0).variant(), "ext4");
        assert_eq!(sb(0, 0, RO_COMPAT_HUGE_FILE).variant(), "ext4");
        let sparse = sb(0, 0, RO_COMPAT_SPARSE_SUPER);
        let backups: Vec<u64> = (0..100).filter(|&g| sparse.has_super(g)).collect();
        assert_eq!(backups, [0, 1, 3, 5, 7, 9, 25, 27, 49, 81]);
        let two = Super {
            backup_bgs: [4, 60],
            ..sb(COMPAT_SPARSE_SUPER2, 0, 0)
        };
        let backups: Vec<u64> = (0..100).filter(|&g| two.has_super(g)).collect();
        assert_eq!(backups, [0, 4, 60]);
        assert_eq!(device_numbers(&[1, 5, 0, 0]), (5, 1));
        let new = (0x34u32 & 0xff) | (0x123 << 8) | ((0x1234 & !0xff) << 12);
        let mut block = [0u8; 8];
        block[4..].copy_from_slice(&new.to_le_bytes());
        assert_eq!(device_numbers(&block), (0x123, 0x1234));
    }
}
