//! Builders for UBI and UBIFS test images, written node by node so tests can craft hostile
//! images (index loops, bad names, duplicate LEBs) no tool would emit. Used by the unit tests
//! and (via `#[path]`) by the integration tests.
#![allow(dead_code, clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;

/// The CRC of UBI and UBIFS headers.
pub fn crc(bytes: &[u8]) -> u32 {
    !crc32fast::hash(bytes)
}

pub const INO_NODE: u8 = 0;
pub const DATA_NODE: u8 = 1;
pub const DENT_NODE: u8 = 2;
pub const TRUN_NODE: u8 = 4;
pub const SB_NODE: u8 = 6;
pub const MST_NODE: u8 = 7;
pub const REF_NODE: u8 = 8;
pub const IDX_NODE: u8 = 9;
pub const CS_NODE: u8 = 10;

/// Data compression of a UBIFS image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compr {
    None = 0,
    Lzo = 1,
    Zlib = 2,
    Zstd = 3,
}

/// Compresses one block as UBIFS stores it.
pub fn compress(compr: Compr, data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    match compr {
        Compr::None => data.to_vec(),
        Compr::Lzo => lzokay::compress::compress(data).unwrap(),
        Compr::Zlib => {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        }
        Compr::Zstd => zstd::encode_all(data, 3).unwrap(),
    }
}

/// A UBIFS key: inode number and `type << 29 | hash or block`.
pub fn key(inum: u32, kind: u32, value: u32) -> [u8; 8] {
    let mut k = [0u8; 8];
    k[..4].copy_from_slice(&inum.to_le_bytes());
    k[4..].copy_from_slice(&((kind << 29) | (value & 0x1fff_ffff)).to_le_bytes());
    k
}

fn name_hash(name: &[u8]) -> u32 {
    // Any stable hash does for the reader; the kernel's is r5.
    let mut h: u32 = 0;
    for &b in name {
        h = h.wrapping_mul(31).wrapping_add(u32::from(b));
    }
    (h & 0x1fff_ffff).max(3)
}

/// Body (after the 24-byte common header) of an inode node.
pub fn ino_body(inum: u32, mode: u32, size: u64, nlink: u32, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 160 - 24];
    b[..8].copy_from_slice(&key(inum, 0, 0));
    let f = |b: &mut Vec<u8>, at: usize, v: &[u8]| b[at - 24..at - 24 + v.len()].copy_from_slice(v);
    f(&mut b, 48, &size.to_le_bytes());
    f(&mut b, 72, &1_700_000_000u64.to_le_bytes());
    f(&mut b, 92, &nlink.to_le_bytes());
    f(&mut b, 96, &1000u32.to_le_bytes());
    f(&mut b, 100, &100u32.to_le_bytes());
    f(&mut b, 104, &mode.to_le_bytes());
    f(&mut b, 112, &(data.len() as u32).to_le_bytes());
    b.extend_from_slice(data);
    b
}

/// Body of a directory entry node.
pub fn dent_body(parent: u32, name: &[u8], inum: u64, itype: u8) -> Vec<u8> {
    let mut b = vec![0u8; 56 - 24];
    b[..8].copy_from_slice(&key(parent, 2, name_hash(name)));
    b[16..24].copy_from_slice(&inum.to_le_bytes());
    b[25] = itype;
    b[26..28].copy_from_slice(&(name.len() as u16).to_le_bytes());
    b.extend_from_slice(name);
    b.push(0);
    b
}

/// Body of a data node holding block `block` of `inum`.
pub fn data_body(inum: u32, block: u32, compr: Compr, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 48 - 24];
    b[..8].copy_from_slice(&key(inum, 1, block));
    b[16..20].copy_from_slice(&(data.len() as u32).to_le_bytes());
    b[20..22].copy_from_slice(&(compr as u16).to_le_bytes());
    b.extend_from_slice(&compress(compr, data));
    b
}

/// Body of a truncation node.
pub fn trun_body(inum: u32, old_size: u64, new_size: u64) -> Vec<u8> {
    let mut b = vec![0u8; 56 - 24];
    b[..4].copy_from_slice(&inum.to_le_bytes());
    b[16..24].copy_from_slice(&old_size.to_le_bytes());
    b[24..32].copy_from_slice(&new_size.to_le_bytes());
    b
}

/// Where a node was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub lnum: u32,
    pub offs: u32,
    pub len: u32,
}

/// Body of an index node of `level` with `branches` (position and key).
pub fn idx_body(level: u16, branches: &[(At, [u8; 8])]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(branches.len() as u16).to_le_bytes());
    b.extend_from_slice(&level.to_le_bytes());
    for (at, k) in branches {
        b.extend_from_slice(&at.lnum.to_le_bytes());
        b.extend_from_slice(&at.offs.to_le_bytes());
        b.extend_from_slice(&at.len.to_le_bytes());
        b.extend_from_slice(k);
    }
    b
}

/// A whole node: common header (with CRC) and body.
pub fn node(kind: u8, sqnum: u64, body: &[u8]) -> Vec<u8> {
    let mut n = Vec::with_capacity(24 + body.len());
    n.extend_from_slice(&0x0610_1831u32.to_le_bytes());
    n.extend_from_slice(&[0; 4]);
    n.extend_from_slice(&sqnum.to_le_bytes());
    n.extend_from_slice(&((24 + body.len()) as u32).to_le_bytes());
    n.push(kind);
    n.extend_from_slice(&[0; 3]);
    n.extend_from_slice(body);
    let c = crc(&n[8..]);
    n[4..8].copy_from_slice(&c.to_le_bytes());
    n
}

/// A UBIFS volume written LEB by LEB: superblock (LEB 0), master (LEBs 1-2), log (LEBs
/// 3-4), main area from LEB 5.
pub struct UbifsImage {
    pub leb_size: usize,
    pub lebs: Vec<Vec<u8>>,
    pub sqnum: u64,
    pub default_compr: Compr,
    /// LEB being filled in the main area.
    cur: usize,
    /// Log state once a journal was started.
    log_pos: Option<usize>,
    bud: Option<usize>,
}

const LOG_LNUM: usize = 3;
const LOG_LEBS: usize = 2;
const MAIN_LNUM: usize = 5;

impl UbifsImage {
    pub fn new(leb_size: usize) -> UbifsImage {
        UbifsImage {
            leb_size,
            lebs: vec![Vec::new(); MAIN_LNUM + 1],
            sqnum: 100,
            default_compr: Compr::Lzo,
            cur: MAIN_LNUM,
            log_pos: None,
            bud: None,
        }
    }

    fn next_sqnum(&mut self) -> u64 {
        self.sqnum += 1;
        self.sqnum
    }

    /// Where a node of `len` bytes would go next.
    pub fn next_at(&self, len: usize) -> At {
        let offs = self.lebs[self.cur].len().next_multiple_of(8);
        if offs + len > self.leb_size {
            At {
                lnum: (self.cur + 1) as u32,
                offs: 0,
                len: len as u32,
            }
        } else {
            At {
                lnum: self.cur as u32,
                offs: offs as u32,
                len: len as u32,
            }
        }
    }

    /// Appends a whole LEB of raw bytes; later nodes go to the LEBs after it.
    pub fn raw_leb(&mut self, bytes: Vec<u8>) -> u32 {
        self.lebs.push(bytes);
        let lnum = self.lebs.len() - 1;
        self.lebs.push(Vec::new());
        self.cur = lnum + 1;
        lnum as u32
    }

    /// Appends a node to the main area.
    pub fn write(&mut self, kind: u8, body: &[u8]) -> At {
        let sq = self.next_sqnum();
        self.write_raw(node(kind, sq, body))
    }

    /// Appends prepared node bytes to the main area.
    pub fn write_raw(&mut self, bytes: Vec<u8>) -> At {
        let at = self.next_at(bytes.len());
        let lnum = at.lnum as usize;
        if lnum >= self.lebs.len() {
            self.lebs.resize(lnum + 1, Vec::new());
        }
        self.cur = lnum;
        let leb = &mut self.lebs[lnum];
        leb.resize(at.offs as usize, 0xff);
        leb.extend_from_slice(&bytes);
        at
    }

    /// Writes the commit start node; journal nodes written after it are replayed.
    pub fn start_journal(&mut self) {
        let sq = self.next_sqnum();
        let mut body = vec![0u8; 8];
        body[..8].copy_from_slice(&0u64.to_le_bytes());
        let cs = node(CS_NODE, sq, &body);
        self.lebs[LOG_LNUM] = cs;
        self.log_pos = Some(self.lebs[LOG_LNUM].len());
    }

    /// Appends a node to the journal (a bud LEB of its own, referenced from the log).
    pub fn journal(&mut self, kind: u8, body: &[u8]) -> At {
        if self.bud.is_none() {
            let bud = self.lebs.len();
            self.lebs.push(Vec::new());
            self.bud = Some(bud);
            let sq = self.next_sqnum();
            let mut rbody = vec![0u8; 64 - 24];
            rbody[..4].copy_from_slice(&(bud as u32).to_le_bytes());
            let r = node(REF_NODE, sq, &rbody);
            let log = &mut self.lebs[LOG_LNUM];
            let at = log.len().next_multiple_of(8);
            log.resize(at, 0xff);
            log.extend_from_slice(&r);
        }
        let bud = self.bud.unwrap();
        let sq = self.next_sqnum();
        let bytes = node(kind, sq, body);
        let leb = &mut self.lebs[bud];
        let offs = leb.len().next_multiple_of(8);
        leb.resize(offs, 0xff);
        leb.extend_from_slice(&bytes);
        At {
            lnum: bud as u32,
            offs: offs as u32,
            len: bytes.len() as u32,
        }
    }

    /// Writes superblock and master nodes; returns the image.
    pub fn finish(&mut self, root: At, highest_inum: u64) -> Vec<u8> {
        if self.log_pos.is_none() {
            self.start_journal();
        }
        let leb_cnt = self.lebs.len() as u32;
        let mut sb = vec![0u8; 4096 - 24];
        let f =
            |b: &mut Vec<u8>, at: usize, v: &[u8]| b[at - 24..at - 24 + v.len()].copy_from_slice(v);
        f(&mut sb, 32, &8u32.to_le_bytes()); // min_io
        f(&mut sb, 36, &(self.leb_size as u32).to_le_bytes());
        f(&mut sb, 40, &leb_cnt.to_le_bytes());
        f(&mut sb, 44, &(leb_cnt + 100).to_le_bytes());
        f(&mut sb, 56, &(LOG_LEBS as u32).to_le_bytes());
        f(&mut sb, 72, &8u32.to_le_bytes()); // fanout
        f(&mut sb, 80, &4u32.to_le_bytes()); // fmt_version
        f(&mut sb, 84, &(self.default_compr as u16).to_le_bytes());
        f(&mut sb, 104, &1_000_000_000u32.to_le_bytes()); // time_gran
        self.lebs[0] = node(SB_NODE, 1, &sb);
        let mut mst = vec![0u8; 512 - 24];
        f(&mut mst, 24, &highest_inum.to_le_bytes());
        f(&mut mst, 32, &0u64.to_le_bytes()); // cmt_no
        f(&mut mst, 44, &(LOG_LNUM as u32).to_le_bytes());
        f(&mut mst, 48, &root.lnum.to_le_bytes());
        f(&mut mst, 52, &root.offs.to_le_bytes());
        f(&mut mst, 56, &root.len.to_le_bytes());
        // The master's sequence number: after the index, before the commit start node.
        let m = node(MST_NODE, 50, &mst);
        self.lebs[1] = m.clone();
        self.lebs[2] = m;
        let mut out = Vec::with_capacity(self.lebs.len() * self.leb_size);
        for leb in &self.lebs {
            let start = out.len();
            out.extend_from_slice(leb);
            out.resize(start + self.leb_size, 0xff);
        }
        out
    }
}

/// What a [`UbifsBuilder`] entry is.
#[derive(Debug, Clone)]
enum Item {
    Dir(u32),
    File(Vec<u8>, u32),
    Symlink(Vec<u8>),
    Dev {
        block: bool,
        major: u32,
        minor: u32,
    },
    Fifo,
    Hardlink(Vec<u8>),
    /// A directory entry with a raw name in `parent`, naming the inode of `target`.
    RawDent {
        name: Vec<u8>,
        target: Vec<u8>,
    },
    /// A regular file of `size` bytes whose only data are `blocks`.
    Sparse {
        size: u64,
        blocks: Vec<(u32, Vec<u8>)>,
    },
}

/// A UBIFS image from a list of paths (parents created implicitly).
pub struct UbifsBuilder {
    pub leb_size: usize,
    pub compr: Compr,
    items: Vec<(Vec<u8>, Item)>,
}

/// What [`UbifsBuilder::build_into`] wrote.
pub struct Built {
    pub root: At,
    pub highest_inum: u64,
    pub inums: BTreeMap<Vec<u8>, u32>,
}

impl Default for UbifsBuilder {
    fn default() -> Self {
        UbifsBuilder::new()
    }
}

impl UbifsBuilder {
    pub fn new() -> UbifsBuilder {
        UbifsBuilder {
            leb_size: 16384,
            compr: Compr::Lzo,
            items: Vec::new(),
        }
    }

    pub fn compression(&mut self, compr: Compr) -> &mut Self {
        self.compr = compr;
        self
    }

    pub fn dir(&mut self, path: &[u8], mode: u32) -> &mut Self {
        self.items.push((path.to_vec(), Item::Dir(mode)));
        self
    }

    pub fn file(&mut self, path: &[u8], data: &[u8]) -> &mut Self {
        self.file_mode(path, data, 0o644)
    }

    pub fn file_mode(&mut self, path: &[u8], data: &[u8], mode: u32) -> &mut Self {
        self.items
            .push((path.to_vec(), Item::File(data.to_vec(), mode)));
        self
    }

    pub fn symlink(&mut self, path: &[u8], target: &[u8]) -> &mut Self {
        self.items
            .push((path.to_vec(), Item::Symlink(target.to_vec())));
        self
    }

    pub fn device(&mut self, path: &[u8], block: bool, major: u32, minor: u32) -> &mut Self {
        self.items.push((
            path.to_vec(),
            Item::Dev {
                block,
                major,
                minor,
            },
        ));
        self
    }

    pub fn fifo(&mut self, path: &[u8]) -> &mut Self {
        self.items.push((path.to_vec(), Item::Fifo));
        self
    }

    pub fn hardlink(&mut self, path: &[u8], target: &[u8]) -> &mut Self {
        self.items
            .push((path.to_vec(), Item::Hardlink(target.to_vec())));
        self
    }

    /// A directory entry named `name` (any bytes) in directory `parent`, for the inode of
    /// `target`.
    pub fn raw_dent(&mut self, parent: &[u8], name: &[u8], target: &[u8]) -> &mut Self {
        self.items.push((
            parent.to_vec(),
            Item::RawDent {
                name: name.to_vec(),
                target: target.to_vec(),
            },
        ));
        self
    }

    pub fn sparse(&mut self, path: &[u8], size: u64, blocks: &[(u32, &[u8])]) -> &mut Self {
        self.items.push((
            path.to_vec(),
            Item::Sparse {
                size,
                blocks: blocks.iter().map(|(b, d)| (*b, d.to_vec())).collect(),
            },
        ));
        self
    }

    pub fn finish(&self) -> Vec<u8> {
        let mut img = UbifsImage::new(self.leb_size);
        let built = self.build_into(&mut img);
        img.finish(built.root, built.highest_inum)
    }

    /// Writes every node and the index into `img`.
    pub fn build_into(&self, img: &mut UbifsImage) -> Built {
        img.default_compr = self.compr;
        // Inode numbers and directory structure.
        let mut inums: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
        inums.insert(Vec::new(), 1);
        let mut next = 2u32;
        let mut dirs: BTreeMap<u32, u32> = BTreeMap::new(); // inum -> mode
        dirs.insert(1, 0o755);
        // (parent inum, name, inum, itype)
        let mut dents: Vec<(u32, Vec<u8>, u32, u8)> = Vec::new();
        let mut nlink: BTreeMap<u32, u32> = BTreeMap::new();
        let mut inodes: Vec<(u32, Item)> = Vec::new();
        let split = |p: &[u8]| -> (Vec<u8>, Vec<u8>) {
            match p.iter().rposition(|&b| b == b'/') {
                Some(i) => (p[..i].to_vec(), p[i + 1..].to_vec()),
                None => (Vec::new(), p.to_vec()),
            }
        };
        fn ensure_dir(
            path: &[u8],
            inums: &mut BTreeMap<Vec<u8>, u32>,
            next: &mut u32,
            dirs: &mut BTreeMap<u32, u32>,
            dents: &mut Vec<(u32, Vec<u8>, u32, u8)>,
        ) -> u32 {
            if let Some(&i) = inums.get(path) {
                return i;
            }
            let (parent, name) = match path.iter().rposition(|&b| b == b'/') {
                Some(i) => (path[..i].to_vec(), path[i + 1..].to_vec()),
                None => (Vec::new(), path.to_vec()),
            };
            let p = ensure_dir(&parent, inums, next, dirs, dents);
            let inum = *next;
            *next += 1;
            inums.insert(path.to_vec(), inum);
            dirs.insert(inum, 0o755);
            dents.push((p, name, inum, 1));
            inum
        }
        for (path, item) in &self.items {
            match item {
                Item::RawDent { name, target } => {
                    let p = ensure_dir(path, &mut inums, &mut next, &mut dirs, &mut dents);
                    let t = inums[target];
                    dents.push((p, name.clone(), t, 0));
                    *nlink.entry(t).or_insert(1) += 1;
                }
                Item::Dir(mode) => {
                    let i = ensure_dir(path, &mut inums, &mut next, &mut dirs, &mut dents);
                    dirs.insert(i, *mode);
                }
                Item::Hardlink(target) => {
                    let (parent, name) = split(path);
                    let p = ensure_dir(&parent, &mut inums, &mut next, &mut dirs, &mut dents);
                    let t = inums[target];
                    inums.insert(path.clone(), t);
                    dents.push((p, name, t, 0));
                    *nlink.entry(t).or_insert(1) += 1;
                }
                other => {
                    let (parent, name) = split(path);
                    let p = ensure_dir(&parent, &mut inums, &mut next, &mut dirs, &mut dents);
                    let inum = next;
                    next += 1;
                    inums.insert(path.clone(), inum);
                    let itype = match other {
                        Item::Symlink(_) => 2,
                        Item::Dev { block: true, .. } => 3,
                        Item::Dev { block: false, .. } => 4,
                        Item::Fifo => 5,
                        _ => 0,
                    };
                    dents.push((p, name, inum, itype));
                    inodes.push((inum, other.clone()));
                }
            }
        }
        // Leaves: (key, position).
        let mut leaves: Vec<([u8; 8], At)> = Vec::new();
        let sort_key = |k: &[u8; 8]| {
            (
                u32::from_le_bytes(k[..4].try_into().unwrap()),
                u32::from_le_bytes(k[4..].try_into().unwrap()),
            )
        };
        for (&inum, &mode) in &dirs {
            let at = img.write(INO_NODE, &ino_body(inum, 0o040000 | mode, 160, 2, &[]));
            leaves.push((key(inum, 0, 0), at));
        }
        for (inum, item) in &inodes {
            let links = nlink.get(inum).copied().unwrap_or(1);
            let (mode, size, data): (u32, u64, Vec<u8>) = match item {
                Item::File(d, mode) => (0o100000 | mode, d.len() as u64, Vec::new()),
                Item::Sparse { size, .. } => (0o100644, *size, Vec::new()),
                Item::Symlink(t) => (0o120777, t.len() as u64, t.clone()),
                Item::Dev {
                    block,
                    major,
                    minor,
                } => {
                    let dev = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
                    let kind = if *block { 0o060000 } else { 0o020000 };
                    (kind | 0o600, 0, dev.to_le_bytes().to_vec())
                }
                Item::Fifo => (0o010644, 0, Vec::new()),
                _ => unreachable!(),
            };
            let at = img.write(INO_NODE, &ino_body(*inum, mode, size, links, &data));
            leaves.push((key(*inum, 0, 0), at));
            let blocks: Vec<(u32, Vec<u8>)> = match item {
                Item::File(d, _) => d
                    .chunks(4096)
                    .enumerate()
                    .map(|(i, c)| (i as u32, c.to_vec()))
                    .collect(),
                Item::Sparse { blocks, .. } => blocks.clone(),
                _ => Vec::new(),
            };
            for (block, chunk) in blocks {
                let at = img.write(DATA_NODE, &data_body(*inum, block, self.compr, &chunk));
                leaves.push((key(*inum, 1, block), at));
            }
        }
        for (parent, name, inum, itype) in &dents {
            let at = img.write(
                DENT_NODE,
                &dent_body(*parent, name, u64::from(*inum), *itype),
            );
            leaves.push((key(*parent, 2, name_hash(name)), at));
        }
        leaves.sort_by_key(|(k, _)| sort_key(k));
        let root = write_index(img, leaves, 8);
        Built {
            root,
            highest_inum: u64::from(next),
            inums,
        }
    }
}

/// Writes index levels over `leaves` with `fanout`; returns the root's position.
pub fn write_index(img: &mut UbifsImage, leaves: Vec<([u8; 8], At)>, fanout: usize) -> At {
    let mut level_nodes = leaves;
    let mut level = 0u16;
    loop {
        let mut up = Vec::new();
        for group in level_nodes.chunks(fanout) {
            let branches: Vec<(At, [u8; 8])> = group.iter().map(|(k, at)| (*at, *k)).collect();
            let at = img.write(IDX_NODE, &idx_body(level, &branches));
            up.push((group[0].0, at));
        }
        if up.len() == 1 {
            return up[0].1;
        }
        level_nodes = up;
        level += 1;
    }
}

/// The fields of a volume-id header.
#[derive(Debug, Clone, Copy)]
pub struct Vid {
    pub vol_id: u32,
    pub lnum: u32,
    pub vol_type: u8,
    pub copy_flag: bool,
    pub data_size: u32,
    pub used_ebs: u32,
    pub data_pad: u32,
    pub data_crc: u32,
    pub sqnum: u64,
}

impl Vid {
    pub fn dynamic(vol_id: u32, lnum: u32) -> Vid {
        Vid {
            vol_id,
            lnum,
            vol_type: 1,
            copy_flag: false,
            data_size: 0,
            used_ebs: 0,
            data_pad: 0,
            data_crc: 0,
            sqnum: 0,
        }
    }
}

/// One volume of a [`UbiBuilder`] image.
#[derive(Debug, Clone)]
pub struct Volume {
    pub id: u32,
    pub name: Vec<u8>,
    pub is_static: bool,
    pub content: Vec<u8>,
}

/// A UBI image, PEB by PEB.
pub struct UbiBuilder {
    pub peb_size: usize,
    pub vid_offset: usize,
    pub data_offset: usize,
    pub image_seq: u32,
    pub sqnum: u64,
    pub pebs: Vec<Vec<u8>>,
}

pub const LAYOUT_VOLUME: u32 = 0x7fff_efff;

impl UbiBuilder {
    pub fn new(peb_size: usize) -> UbiBuilder {
        UbiBuilder {
            peb_size,
            vid_offset: 64,
            data_offset: 128,
            image_seq: 0x1234_5678,
            sqnum: 0,
            pebs: Vec::new(),
        }
    }

    pub fn leb_size(&self) -> usize {
        self.peb_size - self.data_offset
    }

    /// An erase-counter header.
    pub fn ec_header(&self) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"UBI#");
        h[4] = 1;
        h[8..16].copy_from_slice(&1u64.to_be_bytes());
        h[16..20].copy_from_slice(&(self.vid_offset as u32).to_be_bytes());
        h[20..24].copy_from_slice(&(self.data_offset as u32).to_be_bytes());
        h[24..28].copy_from_slice(&self.image_seq.to_be_bytes());
        let c = crc(&h[..60]);
        h[60..].copy_from_slice(&c.to_be_bytes());
        h
    }

    /// A volume-id header (sequence number assigned when `vid.sqnum` is 0).
    pub fn vid_header(&mut self, vid: &Vid) -> Vec<u8> {
        let sqnum = if vid.sqnum == 0 {
            self.sqnum += 1;
            self.sqnum
        } else {
            vid.sqnum
        };
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"UBI!");
        h[4] = 1;
        h[5] = vid.vol_type;
        h[6] = u8::from(vid.copy_flag);
        h[7] = if vid.vol_id == LAYOUT_VOLUME { 5 } else { 0 };
        h[8..12].copy_from_slice(&vid.vol_id.to_be_bytes());
        h[12..16].copy_from_slice(&vid.lnum.to_be_bytes());
        h[20..24].copy_from_slice(&vid.data_size.to_be_bytes());
        h[24..28].copy_from_slice(&vid.used_ebs.to_be_bytes());
        h[28..32].copy_from_slice(&vid.data_pad.to_be_bytes());
        h[32..36].copy_from_slice(&vid.data_crc.to_be_bytes());
        h[40..48].copy_from_slice(&sqnum.to_be_bytes());
        let c = crc(&h[..60]);
        h[60..].copy_from_slice(&c.to_be_bytes());
        h
    }

    /// Appends a PEB holding `data` as the LEB `vid` says (or a free PEB without `vid`).
    pub fn peb(&mut self, vid: Option<&Vid>, data: &[u8]) -> usize {
        let mut p = vec![0xffu8; self.peb_size];
        p[..64].copy_from_slice(&self.ec_header());
        if let Some(vid) = vid {
            let h = self.vid_header(vid);
            p[self.vid_offset..self.vid_offset + 64].copy_from_slice(&h);
            let n = data.len().min(self.peb_size - self.data_offset);
            p[self.data_offset..self.data_offset + n].copy_from_slice(&data[..n]);
        }
        self.pebs.push(p);
        self.pebs.len() - 1
    }

    /// The volume table for `volumes` (one LEB).
    pub fn vtbl(&self, volumes: &[Volume]) -> Vec<u8> {
        let slots = (self.leb_size() / 172).min(128);
        let mut t = Vec::new();
        for slot in 0..slots {
            let mut r = vec![0u8; 172];
            if let Some(v) = volumes.iter().find(|v| v.id as usize == slot) {
                let lebs = v.content.len().div_ceil(self.leb_size()).max(1) as u32;
                r[..4].copy_from_slice(&lebs.to_be_bytes());
                r[4..8].copy_from_slice(&1u32.to_be_bytes());
                r[12] = if v.is_static { 2 } else { 1 };
                r[14..16].copy_from_slice(&(v.name.len() as u16).to_be_bytes());
                r[16..16 + v.name.len()].copy_from_slice(&v.name);
            }
            let c = crc(&r[..168]);
            r[168..].copy_from_slice(&c.to_be_bytes());
            t.extend_from_slice(&r);
        }
        t
    }

    /// Writes the layout volume (two copies of the volume table).
    pub fn layout(&mut self, volumes: &[Volume]) {
        let t = self.vtbl(volumes);
        for lnum in 0..2 {
            let vid = Vid::dynamic(LAYOUT_VOLUME, lnum);
            self.peb(Some(&vid), &t);
        }
    }

    /// Writes a volume's LEBs.
    pub fn volume(&mut self, v: &Volume) {
        let leb = self.leb_size();
        let chunks: Vec<Vec<u8>> = v.content.chunks(leb).map(<[u8]>::to_vec).collect();
        let used = chunks.len() as u32;
        for (i, chunk) in chunks.iter().enumerate() {
            let mut vid = Vid::dynamic(v.id, i as u32);
            if v.is_static {
                vid.vol_type = 2;
                vid.data_size = chunk.len() as u32;
                vid.used_ebs = used;
                vid.data_crc = crc(chunk);
            }
            self.peb(Some(&vid), chunk);
        }
    }

    /// A whole image: layout volume, then each volume.
    pub fn image(peb_size: usize, volumes: &[Volume]) -> Vec<u8> {
        let mut b = UbiBuilder::new(peb_size);
        b.layout(volumes);
        for v in volumes {
            b.volume(v);
        }
        b.finish()
    }

    pub fn finish(&self) -> Vec<u8> {
        self.pebs.concat()
    }
}
