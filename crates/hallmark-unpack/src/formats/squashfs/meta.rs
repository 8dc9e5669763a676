//! Metadata blocks (the inode, directory, fragment and id tables) and the small tables read
//! through them.
//!
//! A metadata block is a 16-bit length (bit 15 set: stored uncompressed), in 2.x/3.x images
//! with check data a marker byte, then at most 8 KiB of (compressed) table data. Tables are
//! addressed by (block position, offset into its uncompressed bytes) and may run on into the
//! next block. Blocks are decompressed once and cached; the cache is bounded, and every step
//! of a read moves strictly forward through the image, so no read can loop.

use std::collections::HashMap;
use std::rc::Rc;

use super::compress::Decoder;
use super::superblock::{METADATA_SIZE, Superblock, Version};
use crate::bytes::Endian;

/// Most decompressed metadata kept for one image. Real images hold a few MiB (about 40 bytes
/// of inode and directory data per file); past this the image is refused as hostile.
const METADATA_MAX: usize = 256 << 20;

/// A position in a metadata table: the block's offset in the image and an offset into the
/// block's uncompressed bytes (which may run past it into the following blocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Cursor {
    pub block: u64,
    pub offset: usize,
}

struct Block {
    bytes: Vec<u8>,
    /// Position of the block that follows it.
    next: u64,
}

/// A fragment: where its block is and its size word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Fragment {
    pub start: u64,
    pub word: u32,
}

/// Reads the metadata tables of one image.
pub(super) struct Tables<'a> {
    image: &'a [u8],
    pub sb: &'a Superblock,
    pub decoder: &'a Decoder,
    header_endian: Endian,
    blocks: HashMap<u64, Rc<Block>>,
    cached: usize,
    fragments: HashMap<u32, Fragment>,
}

impl<'a> Tables<'a> {
    /// Metadata reader over `image` (the squashfs image, at most `bytes_used` long).
    pub(super) fn new(image: &'a [u8], sb: &'a Superblock, decoder: &'a Decoder) -> Tables<'a> {
        let mut tables = Tables {
            image,
            sb,
            decoder,
            header_endian: sb.endian,
            blocks: HashMap::new(),
            cached: 0,
            fragments: HashMap::new(),
        };
        if sb.version == Version::V4 && sb.endian == Endian::Big && !tables.chains(sb.endian) {
            // AVM's big-endian 4.0 writes the block lengths little-endian.
            if tables.chains(Endian::Little) {
                tables.header_endian = Endian::Little;
            }
        }
        tables
    }

    /// Whether block lengths read in `endian` lead from the inode table exactly to the
    /// directory table (which always follows it).
    fn chains(&self, endian: Endian) -> bool {
        let mut pos = self.sb.inode_table;
        while pos < self.sb.dir_table {
            let Some((_, start, end)) = self.header(pos, endian) else {
                return false;
            };
            if start > end {
                return false;
            }
            pos = end;
        }
        pos == self.sb.dir_table
    }

    /// Whether the block lengths are little-endian in a big-endian image (AVM).
    pub(super) fn swapped_headers(&self) -> bool {
        self.header_endian != self.sb.endian
    }

    /// The block header at `pos`: (compressed, data start, data end), all in bounds of the
    /// `bytes_used` the superblock claims (not necessarily of the bytes present).
    fn header(&self, pos: u64, endian: Endian) -> Option<(bool, u64, u64)> {
        let at = usize::try_from(pos).ok()?;
        let word = endian.u16(self.image, at)?;
        let size = u64::from(word & 0x7fff);
        if size == 0 {
            return None;
        }
        let skip = if self.sb.check_data() { 3 } else { 2 };
        let start = pos.checked_add(skip)?;
        let end = start.checked_add(size)?;
        (end <= self.sb.bytes_used).then_some((word & 0x8000 == 0, start, end))
    }

    fn block(&mut self, pos: u64) -> Result<Rc<Block>, String> {
        if let Some(block) = self.blocks.get(&pos) {
            return Ok(Rc::clone(block));
        }
        let (compressed, start, end) = self
            .header(pos, self.header_endian)
            .ok_or_else(|| format!("no valid metadata block at {pos:#x}"))?;
        let raw = usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, e)| self.image.get(s..e))
            .ok_or_else(|| format!("metadata block at {pos:#x} is past the end of the image"))?;
        let bytes = if compressed {
            let mut out = vec![0u8; METADATA_SIZE];
            // Every block but a table's last holds exactly 8 KiB: say so first to streams
            // that end neither with a marker nor with a size, which would otherwise decode a
            // few bytes past their end.
            let exact = if self.decoder.may_be_open_ended() {
                self.decoder.decode_into(raw, &mut out, true).ok()
            } else {
                None
            };
            let n = match exact {
                Some(n) => n,
                None => self
                    .decoder
                    .decode_into(raw, &mut out, false)
                    .map_err(|e| format!("metadata block at {pos:#x}: {e}"))?,
            };
            out.truncate(n);
            out
        } else if raw.len() > METADATA_SIZE {
            return Err(format!("metadata block at {pos:#x} larger than 8 KiB"));
        } else {
            raw.to_vec()
        };
        self.cached = self.cached.saturating_add(bytes.len().max(1));
        if self.cached > METADATA_MAX {
            return Err(format!(
                "more than {} MiB of metadata: refusing to read on",
                METADATA_MAX >> 20
            ));
        }
        let block = Rc::new(Block { bytes, next: end });
        self.blocks.insert(pos, Rc::clone(&block));
        Ok(block)
    }

    /// Reads `n` bytes at `cur` and advances it. On failure the bytes read so far are
    /// returned with the error.
    pub(super) fn read_partial(
        &mut self,
        cur: &mut Cursor,
        n: usize,
    ) -> Result<Vec<u8>, (Vec<u8>, String)> {
        let mut out = Vec::with_capacity(n.min(METADATA_SIZE));
        while out.len() < n {
            let block = match self.block(cur.block) {
                Ok(block) => block,
                Err(e) => return Err((out, e)),
            };
            match block.bytes.get(cur.offset..) {
                Some(rest) if !rest.is_empty() => {
                    let take = rest.len().min(n.saturating_sub(out.len()));
                    out.extend_from_slice(rest.get(..take).unwrap_or_default());
                    cur.offset = cur.offset.saturating_add(take);
                }
                _ => {
                    // Past this block: continue in the next one.
                    cur.offset = cur.offset.saturating_sub(block.bytes.len());
                    cur.block = block.next;
                }
            }
        }
        Ok(out)
    }

    /// Reads `n` bytes at `cur` and advances it.
    pub(super) fn read(&mut self, cur: &mut Cursor, n: usize) -> Result<Vec<u8>, String> {
        self.read_partial(cur, n).map_err(|(_, e)| e)
    }

    /// An integer of the image's byte order from the raw (not metadata) image.
    fn raw_uint(&self, pos: u64, wide: bool) -> Result<u64, String> {
        let at = usize::try_from(pos).map_err(|e| e.to_string())?;
        let value = if wide {
            self.sb.endian.u64(self.image, at)
        } else {
            self.sb.endian.u32(self.image, at).map(u64::from)
        };
        value.ok_or_else(|| format!("table pointer at {pos:#x} is past the end of the image"))
    }

    /// The ids of a 4.0 image (uids and gids share one table).
    pub(super) fn ids_v4(&mut self) -> Result<Vec<u32>, String> {
        let count = usize::try_from(self.sb.id_count).map_err(|e| e.to_string())?;
        let mut bytes = Vec::with_capacity(count.saturating_mul(4));
        let per_block = METADATA_SIZE / 4;
        let blocks = count.div_ceil(per_block);
        for i in 0..blocks {
            let at = u64::try_from(i.saturating_mul(8))
                .ok()
                .and_then(|o| self.sb.id_table.checked_add(o))
                .ok_or("id table index overflows")?;
            let block = self.raw_uint(at, true)?;
            let want = count
                .saturating_sub(i.saturating_mul(per_block))
                .min(per_block)
                .saturating_mul(4);
            let mut cur = Cursor { block, offset: 0 };
            bytes.extend(self.read(&mut cur, want)?);
        }
        Ok(bytes
            .chunks_exact(4)
            .filter_map(|c| self.sb.endian.u32(c, 0))
            .collect())
    }

    /// The uid and gid arrays of a 2.x/3.x image (plain arrays, not metadata).
    pub(super) fn ids_v3(&self) -> Result<(Vec<u32>, Vec<u32>), String> {
        let array = |start: u64, count: u32| -> Result<Vec<u32>, String> {
            (0..u64::from(count))
                .map(|i| {
                    let at = i
                        .checked_mul(4)
                        .and_then(|o| start.checked_add(o))
                        .ok_or("id table overflows")?;
                    self.raw_uint(at, false)
                        .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
                })
                .collect()
        };
        Ok((
            array(self.sb.uid_table, self.sb.uid_count)?,
            array(self.sb.gid_table, self.sb.gid_count)?,
        ))
    }

    /// Fragment `index`: the location and size word of its block.
    pub(super) fn fragment(&mut self, index: u32) -> Result<Fragment, String> {
        if let Some(fragment) = self.fragments.get(&index) {
            return Ok(*fragment);
        }
        if index >= self.sb.fragments {
            return Err(format!(
                "fragment {index} of a table of {}",
                self.sb.fragments
            ));
        }
        let (entry_len, pointer_len) = match self.sb.version {
            Version::V2 => (8usize, 4u64),
            Version::V3 | Version::V4 => (16, 8),
        };
        let per_block = METADATA_SIZE.checked_div(entry_len).unwrap_or(1);
        let index_usize = usize::try_from(index).map_err(|e| e.to_string())?;
        let block_no = index_usize
            .checked_div(per_block)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or("fragment index overflows")?;
        let at = block_no
            .checked_mul(pointer_len)
            .and_then(|o| self.sb.fragment_table.checked_add(o))
            .ok_or("fragment index overflows")?;
        let block = self.raw_uint(at, pointer_len == 8)?;
        let mut cur = Cursor {
            block,
            offset: index_usize
                .checked_rem(per_block)
                .unwrap_or(0)
                .saturating_mul(entry_len),
        };
        let entry = self.read(&mut cur, entry_len)?;
        let e = self.sb.endian;
        let fragment = if self.sb.version == Version::V2 {
            Fragment {
                start: e.u32(&entry, 0).map(u64::from).unwrap_or(0),
                word: e.u32(&entry, 4).unwrap_or(0),
            }
        } else {
            Fragment {
                start: e.u64(&entry, 0).unwrap_or(0),
                word: e.u32(&entry, 8).unwrap_or(0),
            }
        };
        self.fragments.insert(index, fragment);
        Ok(fragment)
    }
}
