//! cramfs (compressed ROM filesystem) images, little- and big-endian.
//!
//! # What is read
//!
//! The superblock (magic `0x28cd3d45` in either byte order, at the start or after a 512-byte
//! boot area as `mkfs.cramfs -p` writes it), then the directory tree from the root inode.
//! Inodes hold a 16-bit mode, 16-bit uid, 8-bit gid and 24-bit size (the device number for
//! device nodes); big-endian images store the same bit fields from the most significant bit,
//! as `mkfs.cramfs -N big` writes them. Directories are runs of inodes each followed by its
//! name; a file's data is a table of block pointers followed by zlib blocks, one per page.
//!
//! - Block pointers: plain end offsets, or with the "extended block pointers" flag the
//!   kernel's uncompressed and direct-pointer forms. An empty block is a hole (zeros).
//! - The block size is not recorded: it is the power of two from 4 KiB (the page size
//!   `mkfs.cramfs` uses by default) to 64 KiB (`mkfs.cramfs -b`) whose block pointer table
//!   and first block decode consistently, settled by the first file of several blocks.
//! - Symlinks (target stored like file data), character and block devices (recorded, never
//!   created), FIFOs and sockets.
//! - Checked: the root offset the kernel accepts, the image size, the CRC-32 of version 2
//!   images (a mismatch is recorded, the files are still read), each directory and block
//!   staying inside the image.
//!
//! Not read: vendor variants that compress blocks with LZMA or other codecs without a flag
//! (no such flag is documented in the kernel's format); such blocks are recorded as damage
//! and read as zeros. cramfs has no timestamps: every mtime is 0.
//!
//! # Extent and safety
//!
//! The image extends over the size its superblock gives (or, for old version 1 images, to
//! the end of the last structure read). Names are refused when `.`, `..`, or holding `/`; a
//! directory reached twice is not entered again; files are capped with
//! [`Context::cap_file`] and reserved from the budget before they are decompressed; files
//! sharing their data (`mkfs.cramfs` stores identical files once) are decompressed once.

use std::collections::{BTreeMap, BTreeSet};

use crate::blob::Blob;
use crate::bytes::{Endian, to_u64};
use crate::codec::{self, Codec};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::damage::Damage;
use crate::formats::mode::{
    S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, device_kind,
};
use crate::tree::{Entry, EntryKind, FileTree, escape_path};

/// cramfs, both byte orders.
pub(crate) struct CramfsFormat;

const MAGIC: u32 = 0x28cd_3d45;
const MAGIC_LE: &[u8] = &MAGIC.to_le_bytes();
const MAGIC_BE: &[u8] = &MAGIC.to_be_bytes();

/// Boot area `mkfs.cramfs -p` leaves before the superblock.
const PAD: usize = 512;

const MAGICS: &[Magic] = &[
    Magic::at_start(MAGIC_LE),
    Magic::at_start(MAGIC_BE),
    Magic {
        bytes: MAGIC_LE,
        offset: PAD,
    },
    Magic {
        bytes: MAGIC_BE,
        offset: PAD,
    },
];

const SUPER_LEN: usize = 76;
const INODE_LEN: usize = 12;
const ROOT_AT: usize = 64;

const FLAG_FSID_VERSION_2: u32 = 0x0000_0001;
const FLAG_HOLES: u32 = 0x0000_0100;
const FLAG_WRONG_SIGNATURE: u32 = 0x0000_0200;
const FLAG_SHIFTED_ROOT_OFFSET: u32 = 0x0000_0400;
const FLAG_EXT_BLOCK_POINTERS: u32 = 0x0000_0800;
const SUPPORTED_FLAGS: u32 =
    0xff | FLAG_HOLES | FLAG_WRONG_SIGNATURE | FLAG_SHIFTED_ROOT_OFFSET | FLAG_EXT_BLOCK_POINTERS;

const BLK_UNCOMPRESSED: u32 = 1 << 31;
const BLK_DIRECT: u32 = 1 << 30;
const BLK_FLAGS: u32 = BLK_UNCOMPRESSED | BLK_DIRECT;

/// Block sizes tried, the page size first.
const BLOCK_SIZES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Longest symlink target read (`PATH_MAX`).
const MAX_LINK: usize = 4096;

/// One inode, its bit fields decoded.
#[derive(Debug, Clone, Copy)]
struct Inode {
    mode: u32,
    uid: u32,
    gid: u32,
    /// 24 bits: bytes of a file, symlink or directory; the device number of a device.
    size: u32,
    /// Length of the name that follows, in bytes (a multiple of 4).
    name_len: usize,
    /// Where the data (directory entries, block pointers) starts, in bytes.
    offset: usize,
}

fn inode(data: &[u8], at: usize, endian: Endian) -> Option<Inode> {
    let w0 = endian.u32(data, at)?;
    let w1 = endian.u32(data, at.checked_add(4)?)?;
    let w2 = endian.u32(data, at.checked_add(8)?)?;
    let (mode, uid, size, gid, name_words, offset_words) = match endian {
        Endian::Little => (
            w0 & 0xffff,
            w0 >> 16,
            w1 & 0x00ff_ffff,
            w1 >> 24,
            w2 & 0x3f,
            w2 >> 6,
        ),
        Endian::Big => (
            w0 >> 16,
            w0 & 0xffff,
            w1 >> 8,
            w1 & 0xff,
            w2 >> 26,
            w2 & 0x03ff_ffff,
        ),
    };
    Some(Inode {
        mode,
        uid,
        gid,
        size,
        name_len: usize::try_from(name_words).ok()?.checked_mul(4)?,
        offset: usize::try_from(offset_words).ok()?.checked_mul(4)?,
    })
}

/// The superblock.
#[derive(Debug, Clone, Copy)]
struct Super {
    endian: Endian,
    /// Where the superblock is: 0, or [`PAD`] after a boot area.
    at: usize,
    /// Image size from the candidate's start (version 2 images).
    size: Option<usize>,
    flags: u32,
    crc: u32,
    root: Inode,
}

fn superblock(data: &[u8], at: usize) -> Option<Super> {
    let endian = match data.get(at..at.checked_add(4)?)? {
        m if m == MAGIC_LE => Endian::Little,
        m if m == MAGIC_BE => Endian::Big,
        _ => return None,
    };
    let flags = endian.u32(data, at.checked_add(8)?)?;
    let root = inode(data, at.checked_add(ROOT_AT)?, endian)?;
    if root.mode & S_IFMT != S_IFDIR {
        return None;
    }
    let super_end = at.checked_add(SUPER_LEN)?;
    // Where the kernel accepts the root's entries: right after the superblock, anywhere
    // after it with the "shifted root" flag, or nowhere for an empty filesystem. (The kernel
    // also takes a root 512 bytes further without a boot area; no tool writes that, and
    // accepting it would read a padded image 512 bytes off.)
    let root_ok = root.offset == 0
        || if flags & FLAG_SHIFTED_ROOT_OFFSET != 0 {
            root.offset >= super_end
        } else {
            root.offset == super_end
        };
    if !root_ok {
        return None;
    }
    let size = if flags & FLAG_FSID_VERSION_2 != 0 {
        let size = usize::try_from(endian.u32(data, at.checked_add(4)?)?).ok()?;
        if size < super_end {
            return None;
        }
        Some(size)
    } else {
        None
    };
    Some(Super {
        endian,
        at,
        size,
        flags,
        crc: endian.u32(data, at.checked_add(32)?)?,
        root,
    })
}

/// The superblock at the start, else after a boot area (whose first bytes are then not a
/// superblock themselves).
fn find_super(data: &[u8]) -> Option<Super> {
    superblock(data, 0).or_else(|| {
        let at_start = data.get(..4);
        if at_start == Some(MAGIC_LE) || at_start == Some(MAGIC_BE) {
            return None;
        }
        superblock(data, PAD)
    })
}

/// Checks a directory entry name: one path component.
fn bad_name(name: &[u8]) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty name")
    } else if name == b"." || name == b".." {
        Some("name is . or ..")
    } else if name.contains(&b'/') {
        Some("name holds /")
    } else {
        None
    }
}

/// Where one block's bytes are.
struct Block {
    start: usize,
    len: usize,
    compressed: bool,
}

/// Reads the tree.
struct Reader<'a> {
    image: &'a [u8],
    sup: Super,
    /// Detected block size; `None` until a file settles it.
    block_size: Option<usize>,
    /// Smallest block size not yet proved wrong.
    min_block: usize,
    /// Decompressed contents by (data offset, size): identical files share one.
    contents: BTreeMap<(usize, u32), Blob>,
    /// End of the furthest structure read.
    max_end: usize,
    tree: FileTree,
    damage: Damage,
}

impl Reader<'_> {
    fn ext(&self) -> bool {
        self.sup.flags & FLAG_EXT_BLOCK_POINTERS != 0
    }

    fn touch(&mut self, end: usize) {
        self.max_end = self.max_end.max(end);
    }

    /// Where block `index` of the file whose pointer table is at `table` lies.
    fn block(
        &self,
        table: usize,
        blocks: usize,
        index: usize,
        size: usize,
        block_size: usize,
    ) -> Result<Block, String> {
        let e = self.sup.endian;
        let pointer_at = |i: usize| {
            i.checked_mul(4)
                .and_then(|o| table.checked_add(o))
                .and_then(|at| e.u32(self.image, at))
                .ok_or_else(|| "block pointer outside the image".to_owned())
        };
        let table_end = blocks
            .checked_mul(4)
            .and_then(|len| table.checked_add(len))
            .ok_or("block pointer table overflows")?;
        let ptr = pointer_at(index)?;
        let this_len = size
            .saturating_sub(index.saturating_mul(block_size))
            .min(block_size);
        let to_usize = |v: u32| usize::try_from(v).map_err(|_| "pointer".to_owned());
        if !self.ext() {
            let start = match index.checked_sub(1) {
                None => table_end,
                Some(prev) => to_usize(pointer_at(prev)?)?,
            };
            let end = to_usize(ptr)?;
            let len = end
                .checked_sub(start)
                .ok_or_else(|| format!("block {index} ends before it starts"))?;
            return Ok(Block {
                start,
                len,
                compressed: true,
            });
        }
        // Extended pointers: flag bits, and "direct" pointers to the block's start.
        let uncompressed = ptr & BLK_UNCOMPRESSED != 0;
        if ptr & BLK_DIRECT != 0 {
            let start = to_usize(ptr & !BLK_FLAGS)?
                .checked_mul(4)
                .ok_or("direct pointer")?;
            if uncompressed {
                return Ok(Block {
                    start,
                    len: this_len,
                    compressed: false,
                });
            }
            let len = usize::from(e.u16(self.image, start).ok_or("direct block length")?);
            return Ok(Block {
                start: start.checked_add(2).ok_or("direct pointer")?,
                len,
                compressed: true,
            });
        }
        let start = match index.checked_sub(1) {
            None => table_end,
            Some(prev) => {
                let prev = pointer_at(prev)?;
                let prev_start = to_usize(prev & !BLK_FLAGS)?;
                if prev & BLK_DIRECT == 0 {
                    prev_start
                } else {
                    let prev_start = prev_start.checked_mul(4).ok_or("direct pointer")?;
                    let skip = if prev & BLK_UNCOMPRESSED != 0 {
                        block_size
                    } else {
                        let len = e.u16(self.image, prev_start).ok_or("direct block length")?;
                        usize::from(len).saturating_add(2)
                    };
                    prev_start.saturating_add(skip)
                }
            }
        };
        let end = to_usize(ptr & !BLK_FLAGS)?;
        let len = end
            .checked_sub(start)
            .ok_or_else(|| format!("block {index} ends before it starts"))?;
        Ok(Block {
            start,
            len,
            compressed: !uncompressed,
        })
    }

    /// Block `index` decoded into at most `block_size` bytes; empty for a hole.
    fn decode_block(
        &mut self,
        table: usize,
        blocks: usize,
        index: usize,
        size: usize,
        block_size: usize,
    ) -> Result<Vec<u8>, String> {
        let block = self.block(table, blocks, index, size, block_size)?;
        if block.len == 0 {
            return Ok(Vec::new());
        }
        let limit = if block.compressed {
            block_size.saturating_mul(2)
        } else {
            block_size
        };
        if block.len > limit {
            return Err(format!("block {index} of {} bytes", block.len));
        }
        let end = block.start.saturating_add(block.len);
        let raw = self
            .image
            .get(block.start..end)
            .ok_or_else(|| format!("block {index} lies outside the image"))?;
        self.touch(end);
        if !block.compressed {
            return Ok(raw.to_vec());
        }
        codec::decompress(Codec::Zlib, raw, block_size).map_err(|e| {
            format!("block {index}: {e} (not zlib: an undocumented vendor compression?)")
        })
    }

    /// The block size to read a file of `size` bytes with. Until a file settles it (one
    /// whose first block decodes to exactly a whole block of some candidate size), each
    /// file is read with the smallest candidate still possible that decodes its first block;
    /// candidates a file proves wrong are dropped.
    fn block_size_for(&mut self, table: usize, size: usize) -> usize {
        if let Some(block_size) = self.block_size {
            return block_size;
        }
        let min_block = self.min_block;
        for candidate in BLOCK_SIZES.iter().copied().filter(|&c| c >= min_block) {
            let blocks = size.div_ceil(candidate);
            let decoded = self.decode_block(table, blocks, 0, size, candidate);
            if candidate < size {
                // Several blocks: only the true size decodes a whole first block.
                if decoded.is_ok_and(|block| block.len() == candidate) {
                    self.block_size = Some(candidate);
                    return candidate;
                }
                self.min_block = candidate.saturating_add(1);
            } else if decoded.is_ok_and(|block| block.len() == size) {
                // One block for this and every larger candidate: readable, not settled.
                return candidate;
            }
        }
        // Nothing decodes: read with the page size and let the damage show.
        BLOCK_SIZES.first().copied().unwrap_or(4096)
    }

    /// The data of a file or symlink: capped, reserved, decompressed once per data offset.
    fn content(&mut self, node: &Inode, path: &[u8], cx: &mut Context<'_>) -> Blob {
        let size = usize::try_from(node.size).unwrap_or(usize::MAX);
        let mut len = cx.cap_file(path, size);
        if len == 0 || node.offset == 0 {
            if size > 0 {
                self.damage.record(
                    cx,
                    node.offset,
                    format!("{} has {size} bytes but no data", escape_path(path)),
                );
            }
            return Blob::empty();
        }
        if let Some(blob) = self.contents.get(&(node.offset, node.size)) {
            return blob.slice(0..len.min(blob.len())).unwrap_or_default();
        }
        len = usize::try_from(cx.reserve(path, to_u64(len))).unwrap_or(0);
        let block_size = self.block_size_for(node.offset, size);
        let blocks = size.div_ceil(block_size);
        let table_end = node.offset.saturating_add(blocks.saturating_mul(4));
        self.touch(table_end);
        let mut out = vec![0u8; len];
        let mut reported = false;
        for (index, chunk) in out.chunks_mut(block_size).enumerate() {
            if index % 64 == 63 && cx.time_up("decompressing cramfs blocks") {
                break;
            }
            let want = size
                .saturating_sub(index.saturating_mul(block_size))
                .min(block_size);
            match self.decode_block(node.offset, blocks, index, size, block_size) {
                Ok(block) if block.is_empty() => {} // A hole.
                Ok(block) => {
                    let n = block.len().min(chunk.len());
                    if let (Some(to), Some(from)) = (chunk.get_mut(..n), block.get(..n)) {
                        to.copy_from_slice(from);
                    }
                    if block.len() != want && !reported {
                        reported = true;
                        self.damage.record(
                            cx,
                            node.offset,
                            format!(
                                "{}: block {index} decodes to {} bytes, not {want}",
                                escape_path(path),
                                block.len()
                            ),
                        );
                    }
                }
                Err(why) => {
                    if !reported {
                        reported = true;
                        self.damage.record(
                            cx,
                            node.offset,
                            format!("{}: {why}; read as zeros", escape_path(path)),
                        );
                    }
                }
            }
        }
        let blob = Blob::from(out);
        self.contents.insert((node.offset, node.size), blob.clone());
        blob
    }

    /// Walks the directories from the root, each at most once.
    fn build(&mut self, cx: &mut Context<'_>) {
        let root = self.sup.root;
        if root.offset == 0 {
            return; // An empty filesystem.
        }
        let mut visited: BTreeSet<usize> = BTreeSet::from([root.offset]);
        let mut stack: Vec<(usize, usize, Vec<u8>)> = vec![(
            root.offset,
            usize::try_from(root.size).unwrap_or(0),
            Vec::new(),
        )];
        let mut steps = 0u32;
        while let Some((offset, size, prefix)) = stack.pop() {
            let end = offset.saturating_add(size);
            if end > self.image.len() {
                self.damage.record(
                    cx,
                    offset,
                    format!(
                        "directory /{} runs past the end of the image",
                        escape_path(&prefix)
                    ),
                );
            }
            let end = end.min(self.image.len());
            self.touch(end);
            let mut pos = offset;
            while pos < end {
                steps = steps.wrapping_add(1);
                if steps % 1024 == 1 && cx.time_up("reading cramfs directories") {
                    return;
                }
                let Some(node) = inode(self.image, pos, self.sup.endian)
                    .filter(|n| pos.saturating_add(INODE_LEN).saturating_add(n.name_len) <= end)
                else {
                    self.damage.record(
                        cx,
                        pos,
                        format!(
                            "directory /{}: bad entry, rest skipped",
                            escape_path(&prefix)
                        ),
                    );
                    break;
                };
                let name_at = pos.saturating_add(INODE_LEN);
                let raw_name = self
                    .image
                    .get(name_at..name_at.saturating_add(node.name_len))
                    .unwrap_or(&[]);
                let name = raw_name.split(|&b| b == 0).next().unwrap_or(&[]).to_vec();
                let entry_at = pos;
                pos = name_at.saturating_add(node.name_len);
                let mut path = prefix.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(&name);
                if let Some(why) = bad_name(&name) {
                    self.damage.record(
                        cx,
                        entry_at,
                        format!("entry {} skipped: {why}", escape_path(&path)),
                    );
                    continue;
                }
                if !self.add(node, entry_at, path, &mut visited, &mut stack, cx) {
                    return;
                }
            }
        }
    }

    /// Adds one entry; false when the tree is full.
    fn add(
        &mut self,
        node: Inode,
        at: usize,
        path: Vec<u8>,
        visited: &mut BTreeSet<usize>,
        stack: &mut Vec<(usize, usize, Vec<u8>)>,
        cx: &mut Context<'_>,
    ) -> bool {
        let kind = match node.mode & S_IFMT {
            S_IFDIR => {
                if node.offset != 0 && node.size != 0 {
                    if !visited.insert(node.offset) {
                        self.damage.record(
                            cx,
                            at,
                            format!(
                                "directory {} is reached twice (a loop): not entered again",
                                escape_path(&path)
                            ),
                        );
                        return true;
                    }
                    let size = usize::try_from(node.size).unwrap_or(0);
                    stack.push((node.offset, size, path.clone()));
                }
                EntryKind::Dir
            }
            S_IFREG => EntryKind::File,
            S_IFLNK => {
                if usize::try_from(node.size).unwrap_or(usize::MAX) > MAX_LINK {
                    self.damage.record(
                        cx,
                        at,
                        format!(
                            "symlink {} of {} bytes skipped",
                            escape_path(&path),
                            node.size
                        ),
                    );
                    return true;
                }
                EntryKind::Symlink(self.content(&node, &path, cx).to_vec())
            }
            kind @ (S_IFCHR | S_IFBLK) => {
                // The device number in the 24-bit size field, as the C library packs it.
                let v = node.size;
                let major = (v >> 8) & 0xfff;
                let minor = (v & 0xff) | ((v >> 12) & 0xf00);
                device_kind(kind, major, minor)
            }
            S_IFIFO => EntryKind::Fifo,
            S_IFSOCK => EntryKind::Socket,
            other => {
                self.damage.record(
                    cx,
                    at,
                    format!(
                        "entry {} skipped: unknown file type {other:#o}",
                        escape_path(&path)
                    ),
                );
                return true;
            }
        };
        let mut entry = Entry::new(&path, kind.clone())
            .mode(node.mode & 0o7777)
            .owner(node.uid, node.gid);
        if kind == EntryKind::File {
            entry = entry.content(self.content(&node, &path, cx));
        }
        cx.add(&mut self.tree, entry)
    }
}

impl Format for CramfsFormat {
    fn id(&self) -> &'static str {
        "cramfs"
    }

    fn description(&self) -> &'static str {
        "cramfs compressed ROM filesystem (little- and big-endian)"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Filesystem
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        find_super(data).is_some()
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let sup = find_super(data).ok_or_else(|| Rejected::new("no cramfs superblock"))?;
        let image_end = match sup.size {
            Some(size) if size > data.len() => {
                cx.error(
                    to_u64(data.len()),
                    format!("image of {size} bytes truncated to {} bytes", data.len()),
                );
                data.len()
            }
            Some(size) => size,
            None => data.len(),
        };
        let image = data.get(..image_end).unwrap_or(&[]);
        if sup.flags & !SUPPORTED_FLAGS != 0 {
            cx.error(
                to_u64(sup.at.saturating_add(8)),
                format!("unknown feature flags {:#x}", sup.flags & !SUPPORTED_FLAGS),
            );
        }
        if let Some(size) = sup.size.filter(|&s| s <= data.len()) {
            // CRC-32 of the image from the superblock on, its own field zeroed.
            let crc_at = sup.at.saturating_add(32);
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(data.get(sup.at..crc_at).unwrap_or(&[]));
            hasher.update(&[0; 4]);
            hasher.update(data.get(crc_at.saturating_add(4)..size).unwrap_or(&[]));
            let crc = hasher.finalize();
            if crc != sup.crc {
                cx.error(
                    to_u64(crc_at),
                    format!(
                        "image CRC {crc:#010x} does not match the superblock's {:#010x}",
                        sup.crc
                    ),
                );
            }
        }
        let mut reader = Reader {
            image,
            sup,
            block_size: None,
            min_block: 0,
            contents: BTreeMap::new(),
            max_end: sup.at.saturating_add(SUPER_LEN),
            tree: cx.new_tree(),
            damage: Damage::default(),
        };
        reader.build(cx);
        reader.damage.finish(cx, image_end);
        let consumed = match sup.size {
            Some(_) => image_end,
            // Version 1: no size; up to the last structure read, 4-byte aligned.
            None => reader
                .max_end
                .checked_next_multiple_of(4)
                .unwrap_or(reader.max_end)
                .min(data.len()),
        };
        let tree = reader.tree;
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: to_u64(consumed),
            output: Output::Tree(tree),
            variant: Some(sup.endian.name()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree, read};
    use crate::limits::Limits;
    use crate::testkit::{CramfsEntry, cramfs_image, cramfs_set_crc};
    use crate::tree::NodeKind;

    fn word(big: bool, v: u32) -> [u8; 4] {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    #[test]
    fn reads_both_byte_orders() {
        let big_file = b"cramfs block data; ".repeat(1000);
        for big in [false, true] {
            let image = cramfs_image(
                &[
                    CramfsEntry::dir(
                        b"bin",
                        vec![
                            CramfsEntry::file(b"busybox", &big_file),
                            CramfsEntry::symlink(b"sh", b"busybox"),
                        ],
                    ),
                    CramfsEntry::dir(
                        b"dev",
                        vec![
                            CramfsEntry::raw(b"console", 0o020600, 0x0501, 0),
                            CramfsEntry::raw(b"mtd0", 0o060640, 31 << 8, 0),
                            CramfsEntry::raw(b"big", 0o020600, (300 << 8) | 0x12 | (0x3 << 20), 0),
                            CramfsEntry::raw(b"fifo", 0o010644, 0, 0),
                            CramfsEntry::raw(b"sock", 0o140644, 0, 0),
                        ],
                    ),
                    CramfsEntry::dir(b"empty", vec![]),
                    CramfsEntry::file(b"empty-file", b""),
                    CramfsEntry::File {
                        name: b"secret".to_vec(),
                        mode: 0o100600,
                        data: b"s3cr3t".to_vec(),
                    },
                ],
                big,
            );
            let data = [image.clone(), b"after".to_vec()].concat();
            let (ex, cx) = extract_ok(&CramfsFormat, &data);
            assert!(cx.errors.is_empty(), "{:?}", cx.errors);
            assert_eq!(ex.consumed, image.len() as u64);
            assert_eq!(
                ex.variant,
                Some(if big { "big-endian" } else { "little-endian" })
            );
            let tree = output_tree(&ex);
            assert_eq!(read(tree, "/bin/busybox"), big_file);
            let kind = |p: &str| tree.get(p).map(|n| n.kind.clone());
            assert_eq!(
                kind("/bin/sh"),
                Some(NodeKind::Symlink {
                    target: "busybox".into()
                })
            );
            assert_eq!(
                kind("/dev/console"),
                Some(NodeKind::CharDevice { major: 5, minor: 1 })
            );
            assert_eq!(
                kind("/dev/mtd0"),
                Some(NodeKind::BlockDevice {
                    major: 31,
                    minor: 0
                })
            );
            assert_eq!(
                kind("/dev/big"),
                Some(NodeKind::CharDevice {
                    major: 300,
                    minor: 0x312
                })
            );
            assert_eq!(kind("/dev/fifo"), Some(NodeKind::Fifo));
            assert_eq!(kind("/dev/sock"), Some(NodeKind::Socket));
            assert!(tree.get("/empty").is_some_and(|n| n.is_dir()));
            assert_eq!(read(tree, "/empty-file"), b"");
            assert_eq!(tree.get("/secret").map(|n| n.mode), Some(0o600));
        }
    }

    #[test]
    fn crc_mismatch_and_truncation_are_recorded() {
        let image = cramfs_image(&[CramfsEntry::file(b"f", &[7u8; 10_000])], false);
        let mut bad = image.clone();
        bad[40] ^= 1; // fsid.blocks: covered by the CRC only.
        let (ex, cx) = extract_ok(&CramfsFormat, &bad);
        assert!(cx.errors[0].message.contains("CRC"), "{:?}", cx.errors);
        assert_eq!(read(output_tree(&ex), "/f"), vec![7u8; 10_000]);

        let cut = &image[..200];
        let (ex, cx) = extract_ok(&CramfsFormat, cut);
        assert_eq!(ex.consumed, 200);
        assert!(cx.errors.iter().any(|e| e.message.contains("truncated")));
        let f = read(output_tree(&ex), "/f");
        assert_eq!(f.len(), 10_000);
    }

    #[test]
    fn extended_block_pointers_holes_and_uncompressed_blocks() {
        for big in [false, true] {
            let size: u32 = 4 * 4096 + 100;
            let entries = |at: u32| vec![CramfsEntry::raw(b"f", 0o100644, size, at)];
            let base = cramfs_image(&entries(0), big);
            let at = base.len();
            let mut image = cramfs_image(&entries(at as u32), big);
            // Five pointers: a direct uncompressed block, a plain pointer after a direct
            // one, a hole, a direct compressed block, a plain uncompressed block.
            let block0 = vec![b'A'; 4096];
            let block1 = crate::testkit::zlib(&[b'B'; 4096]);
            let block3 = crate::testkit::zlib(&[b'D'; 4096]);
            let block4 = vec![b'E'; 100];
            let table_end = at + 20;
            let b0 = table_end; // 4-aligned
            let b1 = b0 + 4096;
            let b1_end = b1 + block1.len();
            let b3 = b1_end.next_multiple_of(4);
            let b4 = b3 + 2 + block3.len();
            let b4_end = b4 + block4.len();
            let pointers = [
                BLK_DIRECT | BLK_UNCOMPRESSED | (b0 / 4) as u32,
                b1_end as u32,
                b1_end as u32,
                BLK_DIRECT | (b3 / 4) as u32,
                BLK_UNCOMPRESSED | b4_end as u32,
            ];
            for p in pointers {
                image.extend_from_slice(&word(big, p));
            }
            image.extend_from_slice(&block0);
            image.extend_from_slice(&block1);
            image.resize(b3, 0);
            let len = block3.len() as u16;
            image.extend_from_slice(&if big {
                len.to_be_bytes()
            } else {
                len.to_le_bytes()
            });
            image.extend_from_slice(&block3);
            image.extend_from_slice(&block4);
            image.resize(image.len().next_multiple_of(4096), 0);
            let total = image.len() as u32;
            image[4..8].copy_from_slice(&word(big, total));
            image[8..12].copy_from_slice(&word(big, 0x3 | FLAG_EXT_BLOCK_POINTERS | FLAG_HOLES));
            cramfs_set_crc(&mut image, big);
            let (ex, cx) = extract_ok(&CramfsFormat, &image);
            assert!(cx.errors.is_empty(), "{:?}", cx.errors);
            let f = read(output_tree(&ex), "/f");
            let mut want = vec![b'A'; 4096];
            want.extend_from_slice(&[b'B'; 4096]);
            want.extend_from_slice(&[0; 4096]);
            want.extend_from_slice(&[b'D'; 4096]);
            want.extend_from_slice(&[b'E'; 100]);
            assert_eq!(f, want, "big={big}");
        }
    }

    #[test]
    fn bad_names_loops_and_bad_pointers_are_contained() {
        // Root entries start at 76; a directory pointing back at them is a loop.
        let root = |loop_size: u32| {
            vec![
                CramfsEntry::file(b"..", b"dotdot"),
                CramfsEntry::file(b"a/b", b"slash"),
                CramfsEntry::file(b"ok", b"fine"),
                CramfsEntry::raw(b"loop", 0o040755, loop_size, 76),
                CramfsEntry::raw(b"wild", 0o100644, 50_000, 0x7fff_fffc),
                CramfsEntry::raw(b"weird", 0o170644, 0, 0),
            ]
        };
        let size = crate::testkit::cramfs_dir_size(&root(0)) as u32;
        let image = cramfs_image(&root(size), false);
        let (ex, cx) = extract_ok(&CramfsFormat, &image);
        let tree = output_tree(&ex);
        let paths: Vec<&str> = tree.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(paths, ["/", "/ok", "/wild"], "{paths:?}");
        assert_eq!(read(tree, "/wild"), vec![0; 50_000]);
        let messages: Vec<&str> = cx.errors.iter().map(|e| e.message.as_str()).collect();
        for needle in [
            "name is . or ..",
            "name holds /",
            "reached twice",
            "outside the image",
            "unknown file type",
        ] {
            assert!(
                messages.iter().any(|m| m.contains(needle)),
                "{needle}: {messages:?}"
            );
        }
    }

    #[test]
    fn rejects_what_the_kernel_would_not_mount() {
        let limits = Limits::default();
        let image = cramfs_image(&[CramfsEntry::file(b"f", b"x")], true);
        assert!(CramfsFormat.probe(&image));
        // Root offset neither right after the superblock nor shifted.
        let mut bad = image.clone();
        bad[72..76].copy_from_slice(&(100u32 / 4).to_be_bytes());
        assert!(!CramfsFormat.probe(&bad));
        assert!(extract_with(&CramfsFormat, &bad, &limits).0.is_err());
        // The same with the shifted-root flag is accepted.
        bad[8..12].copy_from_slice(&(0x3 | FLAG_SHIFTED_ROOT_OFFSET).to_be_bytes());
        assert!(CramfsFormat.probe(&bad));
        // Root not a directory.
        let mut bad = image.clone();
        bad[64] = 0x81;
        assert!(!CramfsFormat.probe(&bad));
        // Size smaller than a superblock.
        let mut bad = image.clone();
        bad[4..8].copy_from_slice(&10u32.to_be_bytes());
        assert!(!CramfsFormat.probe(&bad));
        assert!(!CramfsFormat.probe(&image[..70]));
        // Unknown flags: read, but recorded.
        let mut odd = image.clone();
        odd[8..12].copy_from_slice(&(0x3 | 0x10_0000u32).to_be_bytes());
        cramfs_set_crc(&mut odd, true);
        let (ex, cx) = extract_ok(&CramfsFormat, &odd);
        assert!(cx.errors[0].message.contains("flags"));
        assert_eq!(read(output_tree(&ex), "/f"), b"x");
    }

    #[test]
    fn a_boot_area_before_the_superblock() {
        // An image as `mkfs.cramfs -p` lays it out: offsets count from the boot area.
        let image = cramfs_image(&[CramfsEntry::file(b"f", b"after boot")], false);
        let data_at = u32::from_le_bytes(image[84..88].try_into().unwrap()) >> 6;
        let mut padded = vec![0u8; PAD];
        padded.extend_from_slice(&image);
        // Shift the root and the file's data offsets by the boot area.
        let shift = |word: &mut [u8], by: u32| {
            let v = u32::from_le_bytes(word.try_into().unwrap());
            let (names, offset) = (v & 0x3f, v >> 6);
            word.copy_from_slice(&(names | ((offset + by / 4) << 6)).to_le_bytes());
        };
        shift(&mut padded[PAD + 72..PAD + 76], PAD as u32);
        shift(&mut padded[PAD + 84..PAD + 88], PAD as u32);
        // The block pointer of the file.
        let table = PAD + data_at as usize * 4;
        let end = u32::from_le_bytes(padded[table..table + 4].try_into().unwrap());
        padded[table..table + 4].copy_from_slice(&(end + PAD as u32).to_le_bytes());
        let total = padded.len() as u32;
        padded[PAD + 4..PAD + 8].copy_from_slice(&total.to_le_bytes());
        cramfs_set_crc(&mut padded[PAD..], false);
        assert!(CramfsFormat.probe(&padded));
        let (ex, cx) = extract_ok(&CramfsFormat, &padded);
        assert_eq!(cx.errors.len(), 0, "{:?}", cx.errors);
        assert_eq!(ex.consumed, padded.len() as u64);
        assert_eq!(read(output_tree(&ex), "/f"), b"after boot");
        // Seen from the superblock itself, the same bytes are not an image.
        assert!(!CramfsFormat.probe(&padded[PAD..]));
    }
}
