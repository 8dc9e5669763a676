//! A squashfs image builder for tests: versions 2.x, 3.x and 4.0, either byte order, blocks
//! stored, zlib or in the vendor LZMA layouts, with fragments, sparse blocks, hard links,
//! devices and arbitrary (hostile) names. Used by the unit tests and (via `#[path]`) by the
//! integration tests; it writes every structure itself so tests can also patch them.
#![allow(
    dead_code,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::io::Write;

/// Layout version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqVersion {
    V2,
    V3,
    V4,
}

/// How blocks are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqCompression {
    /// Everything stored uncompressed (metadata at fixed places, easy to patch).
    None,
    Zlib,
    /// LZMA behind the 13-byte `.lzma` header with the size (no end marker).
    LzmaAlone,
    /// LZMA behind a 5-byte header (properties, dictionary); `marker`: with an end marker.
    LzmaShort {
        marker: bool,
    },
    /// Headerless LZMA (`lc=3 lp=0 pb=2`) with an end marker.
    LzmaRaw,
}

#[derive(Debug, Clone)]
enum Kind {
    Dir,
    File(Vec<u8>),
    Symlink(Vec<u8>),
    Char(u32, u32),
    Block(u32, u32),
    Fifo,
    Socket,
    /// Another name for the file at these components.
    Link(Vec<Vec<u8>>),
}

#[derive(Debug, Clone)]
struct Item {
    kind: Kind,
    mode: u16,
    uid: u32,
    gid: u32,
    mtime: u32,
}

/// Builds a squashfs image in memory.
#[derive(Debug, Clone)]
pub struct SquashfsBuilder {
    version: SqVersion,
    big_endian: bool,
    compression: SqCompression,
    block_size: u32,
    fragments: bool,
    sparse: bool,
    avm: bool,
    check_data: bool,
    lzma_magic: bool,
    mkfs_time: u32,
    items: BTreeMap<Vec<Vec<u8>>, Item>,
}

/// A built image and where its structures are.
#[derive(Debug, Clone)]
pub struct BuiltSquashfs {
    pub image: Vec<u8>,
    pub inode_table: u64,
    pub dir_table: u64,
    /// Inode reference of every path (components joined with `/`; the root is empty).
    pub inodes: BTreeMap<Vec<u8>, u64>,
    /// Position in the uncompressed directory table of every entry (its name's path).
    pub entries: BTreeMap<Vec<u8>, usize>,
}

impl BuiltSquashfs {
    /// Image offset of position `pos` of an uncompressed metadata table starting at `table`
    /// (only meaningful for [`SqCompression::None`]).
    pub fn meta_offset(&self, table: u64, pos: usize) -> usize {
        table as usize + (pos / 8192) * (8192 + 2) + 2 + pos % 8192
    }
}

fn split(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn join(components: &[Vec<u8>]) -> Vec<u8> {
    components.join(&b'/')
}

/// Packs fields into bytes, as a C compiler of the given byte order lays out bitfields.
struct BitWriter {
    bytes: Vec<u8>,
    bits: usize,
    big: bool,
}

impl BitWriter {
    fn new(big: bool) -> BitWriter {
        BitWriter {
            bytes: Vec::new(),
            bits: 0,
            big,
        }
    }

    fn put(&mut self, value: u64, width: u32) -> &mut BitWriter {
        for i in 0..width {
            let bit = if self.big {
                (value >> (width - 1 - i)) & 1
            } else {
                (value >> i) & 1
            } as u8;
            let k = self.bits;
            if k / 8 >= self.bytes.len() {
                self.bytes.push(0);
            }
            if self.big {
                self.bytes[k / 8] |= bit << (7 - k % 8);
            } else {
                self.bytes[k / 8] |= bit << (k % 8);
            }
            self.bits += 1;
        }
        self
    }

    fn finish(&mut self) -> Vec<u8> {
        assert_eq!(self.bits % 8, 0, "structure not byte aligned");
        std::mem::take(&mut self.bytes)
    }
}

/// Byte-order helpers.
#[derive(Clone, Copy)]
struct Order(bool);

impl Order {
    fn u16(self, v: u16) -> [u8; 2] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(self, v: u32) -> [u8; 4] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u64(self, v: u64) -> [u8; 8] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
}

fn lzma(data: &[u8], known_size: bool) -> Vec<u8> {
    let options = lzma_rust2::LzmaOptions::with_preset(1);
    let size = known_size.then_some(data.len() as u64);
    let mut enc = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &options, size).unwrap();
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Compresses one block; `None` when storing it is at least as small.
fn compress(compression: SqCompression, data: &[u8]) -> Option<Vec<u8>> {
    let packed = match compression {
        SqCompression::None => return None,
        SqCompression::Zlib => {
            let mut enc =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        }
        SqCompression::LzmaAlone => lzma(data, true),
        SqCompression::LzmaShort { marker } => {
            let full = lzma(data, !marker);
            [&full[..5], &full[13..]].concat()
        }
        SqCompression::LzmaRaw => {
            let full = lzma(data, false);
            assert_eq!(full[0], 0x5d, "preset 1 uses lc=3 lp=0 pb=2");
            full[13..].to_vec()
        }
    };
    (packed.len() < data.len()).then_some(packed)
}

/// Writes a metadata table as 8 KiB blocks.
struct MetaWriter {
    done: Vec<u8>,
    buf: Vec<u8>,
    compression: SqCompression,
    header: Order,
    check_byte: bool,
}

impl MetaWriter {
    fn new(compression: SqCompression, header: Order, check_byte: bool) -> MetaWriter {
        MetaWriter {
            done: Vec::new(),
            buf: Vec::new(),
            compression,
            header,
            check_byte,
        }
    }

    /// (block start relative to the table, offset in the block) of the next byte.
    fn pos(&self) -> (u64, usize) {
        (self.done.len() as u64, self.buf.len())
    }

    /// Position in the uncompressed stream of the next byte.
    fn stream_pos(&self, blocks_before: usize) -> usize {
        blocks_before * 8192 + self.buf.len()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        while self.buf.len() >= 8192 {
            let block: Vec<u8> = self.buf.drain(..8192).collect();
            self.emit(&block);
        }
    }

    fn emit(&mut self, block: &[u8]) {
        let (word, body) = match compress(self.compression, block) {
            Some(packed) => (packed.len() as u16, packed),
            None => (block.len() as u16 | 0x8000, block.to_vec()),
        };
        self.done.extend_from_slice(&self.header.u16(word));
        if self.check_byte {
            self.done.push(0xff);
        }
        self.done.extend_from_slice(&body);
    }

    fn finish(mut self) -> Vec<u8> {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.emit(&rest);
        }
        self.done
    }
}

/// Entries of one directory run: (path, inode reference, inode number, type).
type Run<'a> = Vec<(&'a Vec<Vec<u8>>, u64, u32, u16)>;

struct FileData {
    start: u64,
    words: Vec<u32>,
    fragment: Option<(u32, u32)>,
    size: u64,
}

impl SquashfsBuilder {
    /// An empty 4.0 little-endian image with zlib blocks and fragments.
    pub fn new() -> SquashfsBuilder {
        let mut items = BTreeMap::new();
        items.insert(
            Vec::new(),
            Item {
                kind: Kind::Dir,
                mode: 0o755,
                uid: 0,
                gid: 0,
                mtime: 1_700_000_000,
            },
        );
        SquashfsBuilder {
            version: SqVersion::V4,
            big_endian: false,
            compression: SqCompression::Zlib,
            block_size: 4096,
            fragments: true,
            sparse: true,
            avm: false,
            check_data: false,
            lzma_magic: false,
            mkfs_time: 1_700_000_000,
            items,
        }
    }

    pub fn version(&mut self, version: SqVersion) -> &mut Self {
        self.version = version;
        self
    }

    pub fn big_endian(&mut self, big: bool) -> &mut Self {
        self.big_endian = big;
        self
    }

    pub fn compression(&mut self, compression: SqCompression) -> &mut Self {
        self.compression = compression;
        self
    }

    pub fn block_size(&mut self, size: u32) -> &mut Self {
        self.block_size = size;
        self
    }

    pub fn fragments(&mut self, on: bool) -> &mut Self {
        self.fragments = on;
        self
    }

    pub fn sparse(&mut self, on: bool) -> &mut Self {
        self.sparse = on;
        self
    }

    /// AVM's big-endian 4.0: metadata block lengths little-endian.
    pub fn avm(&mut self, on: bool) -> &mut Self {
        self.avm = on;
        self
    }

    /// 2.x/3.x check data: a marker byte after every metadata block length.
    pub fn check_data(&mut self, on: bool) -> &mut Self {
        self.check_data = on;
        self
    }

    /// The magic of the LZMA patches (`shsq` / `qshs`).
    pub fn lzma_magic(&mut self, on: bool) -> &mut Self {
        self.lzma_magic = on;
        self
    }

    fn put(&mut self, components: Vec<Vec<u8>>, kind: Kind, mode: u16) -> &mut Self {
        for i in 1..components.len() {
            self.items.entry(components[..i].to_vec()).or_insert(Item {
                kind: Kind::Dir,
                mode: 0o755,
                uid: 0,
                gid: 0,
                mtime: 1_700_000_000,
            });
        }
        self.items.insert(
            components,
            Item {
                kind,
                mode,
                uid: 0,
                gid: 0,
                mtime: 1_700_000_000,
            },
        );
        self
    }

    pub fn dir(&mut self, path: &[u8]) -> &mut Self {
        self.put(split(path), Kind::Dir, 0o755)
    }

    pub fn file(&mut self, path: &[u8], data: &[u8]) -> &mut Self {
        self.put(split(path), Kind::File(data.to_vec()), 0o644)
    }

    pub fn symlink(&mut self, path: &[u8], target: &[u8]) -> &mut Self {
        self.put(split(path), Kind::Symlink(target.to_vec()), 0o777)
    }

    pub fn char_device(&mut self, path: &[u8], major: u32, minor: u32) -> &mut Self {
        self.put(split(path), Kind::Char(major, minor), 0o600)
    }

    pub fn block_device(&mut self, path: &[u8], major: u32, minor: u32) -> &mut Self {
        self.put(split(path), Kind::Block(major, minor), 0o600)
    }

    pub fn fifo(&mut self, path: &[u8]) -> &mut Self {
        self.put(split(path), Kind::Fifo, 0o644)
    }

    pub fn socket(&mut self, path: &[u8]) -> &mut Self {
        self.put(split(path), Kind::Socket, 0o755)
    }

    /// A hard link: `path` names the same inode as the file `target`.
    pub fn hardlink(&mut self, path: &[u8], target: &[u8]) -> &mut Self {
        self.put(split(path), Kind::Link(split(target)), 0o644)
    }

    /// A file whose last name is taken as is (may hold `/`, or be `..`).
    pub fn raw_file(&mut self, parent: &[u8], name: &[u8], data: &[u8]) -> &mut Self {
        let mut components = split(parent);
        components.push(name.to_vec());
        self.put(components, Kind::File(data.to_vec()), 0o644)
    }

    /// A directory whose last name is taken as is.
    pub fn raw_dir(&mut self, parent: &[u8], name: &[u8]) -> &mut Self {
        let mut components = split(parent);
        components.push(name.to_vec());
        self.put(components, Kind::Dir, 0o755)
    }

    /// Sets mode, owner and time of an existing path ("" is the root).
    pub fn attrs(&mut self, path: &[u8], mode: u16, uid: u32, gid: u32, mtime: u32) -> &mut Self {
        let item = self.items.get_mut(&split(path)).expect("no such path");
        item.mode = mode;
        item.uid = uid;
        item.gid = gid;
        item.mtime = mtime;
        self
    }

    /// The image alone.
    pub fn finish(&self) -> Vec<u8> {
        self.build().image
    }

    fn type_of(&self, kind: &Kind) -> u16 {
        match kind {
            Kind::Dir => 1,
            Kind::File(_) | Kind::Link(_) => 2,
            Kind::Symlink(_) => 3,
            Kind::Block(..) => 4,
            Kind::Char(..) => 5,
            Kind::Fifo => 6,
            Kind::Socket => 7,
        }
    }

    /// Builds the image.
    pub fn build(&self) -> BuiltSquashfs {
        let big = self.big_endian;
        let o = Order(big);
        let header_order = Order(big && !self.avm);
        let v = self.version;
        let bs = self.block_size as usize;
        let sb_len = match v {
            SqVersion::V4 => 96,
            SqVersion::V3 => 119,
            SqVersion::V2 => 63,
        };
        let mut out = vec![0u8; sb_len];

        // Ids.
        let mut ids: Vec<u32> = Vec::new();
        let mut gids: Vec<u32> = Vec::new();
        for item in self.items.values() {
            if !ids.contains(&item.uid) {
                ids.push(item.uid);
            }
            let table = if v == SqVersion::V4 {
                &mut ids
            } else {
                &mut gids
            };
            if !table.contains(&item.gid) {
                table.push(item.gid);
            }
        }
        let uid_index = |uid: u32| ids.iter().position(|&i| i == uid).unwrap() as u64;
        let gid_index = |gid: u32| {
            let table = if v == SqVersion::V4 { &ids } else { &gids };
            table.iter().position(|&i| i == gid).unwrap() as u64
        };

        // Data blocks and fragments.
        let mut files: BTreeMap<Vec<Vec<u8>>, FileData> = BTreeMap::new();
        let mut fragment_entries: Vec<(u64, u32)> = Vec::new();
        let mut frag_buf: Vec<u8> = Vec::new();
        let flush_frag = |out: &mut Vec<u8>, buf: &mut Vec<u8>, entries: &mut Vec<(u64, u32)>| {
            if buf.is_empty() {
                return;
            }
            let start = out.len() as u64;
            let word = match compress(self.compression, buf) {
                Some(packed) => {
                    out.extend_from_slice(&packed);
                    packed.len() as u32
                }
                None => {
                    out.extend_from_slice(buf);
                    buf.len() as u32 | (1 << 24)
                }
            };
            entries.push((start, word));
            buf.clear();
        };
        for (path, item) in &self.items {
            let Kind::File(data) = &item.kind else {
                continue;
            };
            let mut words = Vec::new();
            let mut chunks: Vec<&[u8]> = data.chunks(bs).collect();
            let mut fragment = None;
            if self.fragments {
                if let Some(last) = chunks.last() {
                    if last.len() < bs {
                        let tail = chunks.pop().unwrap();
                        if frag_buf.len() + tail.len() > bs {
                            flush_frag(&mut out, &mut frag_buf, &mut fragment_entries);
                        }
                        fragment = Some((fragment_entries.len() as u32, frag_buf.len() as u32));
                        frag_buf.extend_from_slice(tail);
                    }
                }
            }
            // After any fragment block the tail flushed.
            let start = out.len() as u64;
            for chunk in chunks {
                if self.sparse && v != SqVersion::V2 && chunk.iter().all(|&b| b == 0) {
                    words.push(0);
                    continue;
                }
                match compress(self.compression, chunk) {
                    Some(packed) => {
                        words.push(packed.len() as u32);
                        out.extend_from_slice(&packed);
                    }
                    None => {
                        words.push(chunk.len() as u32 | (1 << 24));
                        out.extend_from_slice(chunk);
                    }
                }
            }
            files.insert(
                path.clone(),
                FileData {
                    start,
                    words,
                    fragment,
                    size: data.len() as u64,
                },
            );
        }
        flush_frag(&mut out, &mut frag_buf, &mut fragment_entries);

        // Inode numbers: breadth-first by path order (the root is 1).
        let mut numbers: BTreeMap<Vec<Vec<u8>>, u32> = BTreeMap::new();
        let mut next = 1u32;
        let mut order: Vec<&Vec<Vec<u8>>> = self.items.keys().collect();
        order.sort_by_key(|p| (p.len(), (*p).clone()));
        for path in order {
            if let Kind::Link(_) = self.items[path].kind {
                continue;
            }
            numbers.insert(path.clone(), next);
            next += 1;
        }
        let inode_count = next - 1;
        let nlinks = |path: &Vec<Vec<u8>>| -> u32 {
            1 + self
                .items
                .values()
                .filter(|i| matches!(&i.kind, Kind::Link(t) if t == path))
                .count() as u32
        };

        let check = self.check_data && v != SqVersion::V4;
        let mut inodes = MetaWriter::new(self.compression, header_order, check);
        let mut dirs = MetaWriter::new(self.compression, header_order, check);
        let mut refs: BTreeMap<Vec<Vec<u8>>, u64> = BTreeMap::new();
        let mut entry_pos: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut dir_blocks = 0usize;

        // Non-directories first, then directories deepest first (children before parents).
        let mut paths: Vec<&Vec<Vec<u8>>> = self.items.keys().collect();
        paths.sort_by_key(|p| {
            let is_dir = matches!(self.items[*p].kind, Kind::Dir);
            (is_dir, std::cmp::Reverse(p.len()), (*p).clone())
        });
        for path in paths {
            let item = &self.items[path];
            if let Kind::Link(_) = item.kind {
                continue;
            }
            let number = numbers[path];
            let (block, offset) = inodes.pos();
            refs.insert(path.clone(), (block << 16) | offset as u64);
            let kind_id = self.type_of(&item.kind);
            let mut bytes = Vec::new();
            // Directory listing first (it must exist before the inode naming it).
            let listing = if let Kind::Dir = item.kind {
                let children: Vec<&Vec<Vec<u8>>> = self
                    .items
                    .keys()
                    .filter(|c| c.len() == path.len() + 1 && c.starts_with(path))
                    .collect();
                let start_blocks_before = dir_blocks;
                let (lblock, loffset) = dirs.pos();
                let mut listing = Vec::new();
                let mut runs: Vec<Run<'_>> = Vec::new();
                for child in children {
                    let target = match &self.items[child].kind {
                        Kind::Link(t) => t.clone(),
                        _ => child.clone(),
                    };
                    let r = refs[&target];
                    let n = numbers[&target];
                    let t = self.type_of(&self.items[&target].kind);
                    let fits = runs.last().is_some_and(|run| {
                        run.len() < 256
                            && run[0].1 >> 16 == r >> 16
                            && (i64::from(n) - i64::from(run[0].2)).abs() < 32767
                    });
                    if !fits {
                        runs.push(Vec::new());
                    }
                    runs.last_mut().unwrap().push((child, r, n, t));
                }
                for run in runs {
                    let (_, r0, n0, _) = run[0];
                    let count = run.len() as u64 - 1;
                    match v {
                        SqVersion::V4 => {
                            listing.extend_from_slice(&o.u32(count as u32));
                            listing.extend_from_slice(&o.u32((r0 >> 16) as u32));
                            listing.extend_from_slice(&o.u32(n0));
                        }
                        SqVersion::V3 => listing.extend(
                            BitWriter::new(big)
                                .put(count, 8)
                                .put(r0 >> 16, 32)
                                .put(u64::from(n0), 32)
                                .finish(),
                        ),
                        SqVersion::V2 => listing
                            .extend(BitWriter::new(big).put(count, 8).put(r0 >> 16, 24).finish()),
                    }
                    for (child, r, n, t) in run {
                        let name = child.last().unwrap();
                        let stream = start_blocks_before * 8192 + loffset + listing.len();
                        entry_pos.insert(join(child), stream);
                        let delta = (i64::from(n) - i64::from(n0)) as i16;
                        match v {
                            SqVersion::V4 => {
                                listing.extend_from_slice(&o.u16((r & 0xffff) as u16));
                                listing.extend_from_slice(&o.u16(delta as u16));
                                listing.extend_from_slice(&o.u16(t));
                                listing.extend_from_slice(&o.u16(name.len() as u16 - 1));
                            }
                            SqVersion::V3 => listing.extend(
                                BitWriter::new(big)
                                    .put(r & 0xffff, 13)
                                    .put(u64::from(t), 3)
                                    .put(name.len() as u64 - 1, 8)
                                    .put(u64::from(delta as u16), 16)
                                    .finish(),
                            ),
                            SqVersion::V2 => listing.extend(
                                BitWriter::new(big)
                                    .put(r & 0xffff, 13)
                                    .put(u64::from(t), 3)
                                    .put(name.len() as u64 - 1, 8)
                                    .finish(),
                            ),
                        }
                        listing.extend_from_slice(name);
                    }
                }
                dirs.write(&listing);
                // Count finished blocks to keep stream positions right.
                let mut blocks = 0;
                let mut p = 0;
                while p < dirs.done.len() {
                    let w = header_order_u16(header_order, &dirs.done[p..p + 2]);
                    p += 2 + usize::from(check) + usize::from(w & 0x7fff);
                    blocks += 1;
                }
                dir_blocks = blocks;
                Some((lblock, loffset, listing.len() as u64))
            } else {
                None
            };
            let mode = u64::from(item.mode);
            let (uid, gid) = (uid_index(item.uid), gid_index(item.gid));
            let mtime = u64::from(item.mtime);
            match v {
                SqVersion::V4 => {
                    bytes.extend_from_slice(&o.u16(kind_id));
                    bytes.extend_from_slice(&o.u16(item.mode));
                    bytes.extend_from_slice(&o.u16(uid as u16));
                    bytes.extend_from_slice(&o.u16(gid as u16));
                    bytes.extend_from_slice(&o.u32(item.mtime));
                    bytes.extend_from_slice(&o.u32(number));
                }
                SqVersion::V3 => bytes.extend(
                    BitWriter::new(big)
                        .put(u64::from(kind_id), 4)
                        .put(mode, 12)
                        .put(uid, 8)
                        .put(gid, 8)
                        .put(mtime, 32)
                        .put(u64::from(number), 32)
                        .finish(),
                ),
                SqVersion::V2 => bytes.extend(
                    BitWriter::new(big)
                        .put(u64::from(kind_id), 4)
                        .put(mode, 12)
                        .put(uid, 8)
                        .put(gid, 8)
                        .finish(),
                ),
            }
            let nlink = nlinks(path);
            match &item.kind {
                Kind::Dir => {
                    let (lblock, loffset, size) = listing.unwrap();
                    match v {
                        SqVersion::V4 => {
                            bytes.extend_from_slice(&o.u32(lblock as u32));
                            bytes.extend_from_slice(&o.u32(2));
                            bytes.extend_from_slice(&o.u16((size + 3) as u16));
                            bytes.extend_from_slice(&o.u16(loffset as u16));
                            bytes.extend_from_slice(&o.u32(1));
                        }
                        SqVersion::V3 => bytes.extend(
                            BitWriter::new(big)
                                .put(2, 32)
                                .put(size + 3, 19)
                                .put(loffset as u64, 13)
                                .put(lblock, 32)
                                .put(1, 32)
                                .finish(),
                        ),
                        SqVersion::V2 => bytes.extend(
                            BitWriter::new(big)
                                .put(size, 19)
                                .put(loffset as u64, 13)
                                .put(mtime, 32)
                                .put(lblock, 24)
                                .finish(),
                        ),
                    }
                }
                Kind::File(_) => {
                    let f = &files[path];
                    let (frag, frag_offset) = f.fragment.unwrap_or((u32::MAX, 0));
                    match v {
                        SqVersion::V4 if nlink > 1 => {
                            bytes[0..2].copy_from_slice(&o.u16(9));
                            bytes.extend_from_slice(&o.u64(f.start));
                            bytes.extend_from_slice(&o.u64(f.size));
                            bytes.extend_from_slice(&o.u64(0));
                            bytes.extend_from_slice(&o.u32(nlink));
                            bytes.extend_from_slice(&o.u32(frag));
                            bytes.extend_from_slice(&o.u32(frag_offset));
                            bytes.extend_from_slice(&o.u32(u32::MAX));
                        }
                        SqVersion::V4 => {
                            bytes.extend_from_slice(&o.u32(f.start as u32));
                            bytes.extend_from_slice(&o.u32(frag));
                            bytes.extend_from_slice(&o.u32(frag_offset));
                            bytes.extend_from_slice(&o.u32(f.size as u32));
                        }
                        SqVersion::V3 => bytes.extend(
                            BitWriter::new(big)
                                .put(f.start, 64)
                                .put(u64::from(frag), 32)
                                .put(u64::from(frag_offset), 32)
                                .put(f.size, 32)
                                .finish(),
                        ),
                        SqVersion::V2 => bytes.extend(
                            BitWriter::new(big)
                                .put(mtime, 32)
                                .put(f.start, 32)
                                .put(u64::from(frag), 32)
                                .put(u64::from(frag_offset), 32)
                                .put(f.size, 32)
                                .finish(),
                        ),
                    }
                    for &w in &f.words {
                        bytes.extend_from_slice(&o.u32(w));
                    }
                }
                Kind::Symlink(target) => {
                    match v {
                        SqVersion::V4 => {
                            bytes.extend_from_slice(&o.u32(1));
                            bytes.extend_from_slice(&o.u32(target.len() as u32));
                        }
                        SqVersion::V3 => bytes.extend(
                            BitWriter::new(big)
                                .put(1, 32)
                                .put(target.len() as u64, 16)
                                .finish(),
                        ),
                        SqVersion::V2 => {
                            bytes.extend(BitWriter::new(big).put(target.len() as u64, 16).finish())
                        }
                    }
                    bytes.extend_from_slice(target);
                }
                Kind::Char(major, minor) | Kind::Block(major, minor) => match v {
                    SqVersion::V4 => {
                        let rdev = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
                        bytes.extend_from_slice(&o.u32(1));
                        bytes.extend_from_slice(&o.u32(rdev));
                    }
                    SqVersion::V3 => bytes.extend(
                        BitWriter::new(big)
                            .put(1, 32)
                            .put(u64::from((major << 8) | minor), 16)
                            .finish(),
                    ),
                    SqVersion::V2 => bytes.extend(
                        BitWriter::new(big)
                            .put(u64::from((major << 8) | minor), 16)
                            .finish(),
                    ),
                },
                Kind::Fifo | Kind::Socket => {
                    if v != SqVersion::V2 {
                        bytes.extend_from_slice(&o.u32(1));
                    }
                }
                Kind::Link(_) => unreachable!(),
            }
            inodes.write(&bytes);
        }

        // Tables: inodes, then directories right after them.
        let inode_table = out.len() as u64;
        out.extend(inodes.finish());
        let dir_table = out.len() as u64;
        out.extend(dirs.finish());

        // Fragment table.
        let fragment_table;
        {
            let mut meta = MetaWriter::new(self.compression, header_order, check);
            for &(start, word) in &fragment_entries {
                match v {
                    SqVersion::V2 => {
                        meta.write(&o.u32(start as u32));
                        meta.write(&o.u32(word));
                    }
                    _ => {
                        meta.write(&o.u64(start));
                        meta.write(&o.u32(word));
                        meta.write(&o.u32(0));
                    }
                }
            }
            let blocks_at = out.len() as u64;
            let meta = meta.finish();
            let starts = block_starts(&meta, header_order, check);
            out.extend(meta);
            fragment_table = out.len() as u64;
            for s in starts {
                if v == SqVersion::V2 {
                    out.extend_from_slice(&o.u32((blocks_at + s) as u32));
                } else {
                    out.extend_from_slice(&o.u64(blocks_at + s));
                }
            }
        }

        // Ids.
        let (id_table, uid_table, gid_table);
        if v == SqVersion::V4 {
            let mut meta = MetaWriter::new(self.compression, header_order, false);
            for &id in &ids {
                meta.write(&o.u32(id));
            }
            let blocks_at = out.len() as u64;
            let meta = meta.finish();
            let starts = block_starts(&meta, header_order, false);
            out.extend(meta);
            id_table = out.len() as u64;
            for s in starts {
                out.extend_from_slice(&o.u64(blocks_at + s));
            }
            uid_table = 0;
            gid_table = 0;
        } else {
            id_table = 0;
            uid_table = out.len() as u64;
            for &id in &ids {
                out.extend_from_slice(&o.u32(id));
            }
            gid_table = out.len() as u64;
            for &id in &gids {
                out.extend_from_slice(&o.u32(id));
            }
        }
        let bytes_used = out.len() as u64;
        let root_ref = refs[&Vec::new()];

        // Superblock.
        let magic: &[u8; 4] = match (big, self.lzma_magic) {
            (false, false) => b"hsqs",
            (true, false) => b"sqsh",
            (false, true) => b"shsq",
            (true, true) => b"qshs",
        };
        out[..4].copy_from_slice(magic);
        let uncompressed = self.compression == SqCompression::None;
        match v {
            SqVersion::V4 => {
                let mut flags: u16 = 0x0200; // no xattrs
                if uncompressed {
                    flags |= 0x0001 | 0x0002 | 0x0008 | 0x0800;
                }
                if !self.fragments {
                    flags |= 0x0010;
                }
                let compressor: u16 = match self.compression {
                    SqCompression::None | SqCompression::Zlib => 1,
                    _ => 2,
                };
                let mut sb = Vec::new();
                sb.extend_from_slice(&o.u32(inode_count));
                sb.extend_from_slice(&o.u32(self.mkfs_time));
                sb.extend_from_slice(&o.u32(self.block_size));
                sb.extend_from_slice(&o.u32(fragment_entries.len() as u32));
                sb.extend_from_slice(&o.u16(compressor));
                sb.extend_from_slice(&o.u16(self.block_size.trailing_zeros() as u16));
                sb.extend_from_slice(&o.u16(flags));
                sb.extend_from_slice(&o.u16(ids.len() as u16));
                sb.extend_from_slice(&o.u16(4));
                sb.extend_from_slice(&o.u16(0));
                sb.extend_from_slice(&o.u64(root_ref));
                sb.extend_from_slice(&o.u64(bytes_used));
                sb.extend_from_slice(&o.u64(id_table));
                sb.extend_from_slice(&o.u64(u64::MAX));
                sb.extend_from_slice(&o.u64(inode_table));
                sb.extend_from_slice(&o.u64(dir_table));
                sb.extend_from_slice(&o.u64(fragment_table));
                sb.extend_from_slice(&o.u64(u64::MAX));
                out[4..96].copy_from_slice(&sb);
            }
            SqVersion::V3 | SqVersion::V2 => {
                let mut flags: u64 = 0;
                if uncompressed {
                    flags |= 0b1011; // inodes, data, fragments uncompressed
                }
                if check {
                    flags |= 1 << 2;
                }
                if !self.fragments {
                    flags |= 1 << 4;
                }
                let v2 = v == SqVersion::V2;
                let narrow = |x: u64| if v2 { x } else { 0 };
                let mut bits = BitWriter::new(big);
                bits.put(u64::from(inode_count), 32)
                    .put(narrow(bytes_used), 32)
                    .put(narrow(uid_table), 32)
                    .put(narrow(gid_table), 32)
                    .put(narrow(inode_table), 32)
                    .put(narrow(dir_table), 32)
                    .put(if v2 { 2 } else { 3 }, 16)
                    .put(if v2 { 0 } else { 1 }, 16)
                    .put(0, 16)
                    .put(u64::from(self.block_size.trailing_zeros()), 16)
                    .put(flags, 8)
                    .put(ids.len() as u64, 8)
                    .put(gids.len() as u64, 8)
                    .put(u64::from(self.mkfs_time), 32)
                    .put(root_ref, 64)
                    .put(u64::from(self.block_size), 32)
                    .put(fragment_entries.len() as u64, 32)
                    .put(narrow(fragment_table), 32);
                if !v2 {
                    bits.put(bytes_used, 64)
                        .put(uid_table, 64)
                        .put(gid_table, 64)
                        .put(inode_table, 64)
                        .put(dir_table, 64)
                        .put(fragment_table, 64)
                        .put(0, 64);
                }
                let sb = bits.finish();
                out[4..sb_len].copy_from_slice(&sb);
            }
        }
        BuiltSquashfs {
            image: out,
            inode_table,
            dir_table,
            inodes: refs.into_iter().map(|(p, r)| (join(&p), r)).collect(),
            entries: entry_pos,
        }
    }
}

impl Default for SquashfsBuilder {
    fn default() -> SquashfsBuilder {
        SquashfsBuilder::new()
    }
}

fn header_order_u16(order: Order, bytes: &[u8]) -> u16 {
    let raw = [bytes[0], bytes[1]];
    if order.0 {
        u16::from_be_bytes(raw)
    } else {
        u16::from_le_bytes(raw)
    }
}

/// Offsets of the metadata blocks in a finished table.
fn block_starts(table: &[u8], order: Order, check: bool) -> Vec<u64> {
    let mut starts = Vec::new();
    let mut p = 0;
    while p < table.len() {
        starts.push(p as u64);
        let w = header_order_u16(order, &table[p..p + 2]);
        p += 2 + usize::from(check) + usize::from(w & 0x7fff);
    }
    if starts.is_empty() {
        starts.push(0);
    }
    starts
}
