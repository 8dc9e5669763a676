//! Tiny builders for synthetic archives and compressed streams, used by the unit tests and (via
//! `#[path]`) by the integration tests. Builders write headers byte by byte so tests can craft
//! hostile names and links that no well-behaved tool would emit.
#![allow(dead_code, clippy::arithmetic_side_effects)]

use std::io::Write;

/// gzip of `data` (one member).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// gzip of `data` at the best compression level (about 1000:1 on zeros, for bombs).
pub fn gzip_best(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// zlib of `data`.
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// bzip2 of `data`.
pub fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// zstd of `data` (one frame).
pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

/// xz of `data` (one stream).
pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut enc =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// LZO1X of `data` (a bare block, as filesystems store it).
pub fn lzo(data: &[u8]) -> Vec<u8> {
    lzokay::compress::compress(data).unwrap()
}

/// `.lzma` ("LZMA alone") of `data`, with the size in the header when `known_size`, else with
/// an end marker and size `-1`.
pub fn lzma_alone(data: &[u8], known_size: bool) -> Vec<u8> {
    let options = lzma_rust2::LzmaOptions::with_preset(1);
    let size = known_size.then_some(data.len() as u64);
    let mut enc = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &options, size).unwrap();
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `count` copies of one compressed member back to back: decoders treat concatenated gzip
/// members, bzip2 and xz streams and zstd frames as one stream, so this makes a bomb of
/// `count` times the member's output from one small member.
pub fn repeat(member: &[u8], count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(member.len() * count);
    for _ in 0..count {
        out.extend_from_slice(member);
    }
    out
}

/// Writes a number as zero-padded octal digits followed by a NUL into `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
    field[digits] = 0;
}

/// Tar type flags.
pub mod tar_type {
    /// Regular file.
    pub const FILE: u8 = b'0';
    /// Hard link.
    pub const HARDLINK: u8 = b'1';
    /// Symbolic link.
    pub const SYMLINK: u8 = b'2';
    /// Character device.
    pub const CHAR: u8 = b'3';
    /// Block device.
    pub const BLOCK: u8 = b'4';
    /// Directory.
    pub const DIR: u8 = b'5';
    /// FIFO.
    pub const FIFO: u8 = b'6';
    /// GNU long name.
    pub const GNU_LONGNAME: u8 = b'L';
    /// GNU long link name.
    pub const GNU_LONGLINK: u8 = b'K';
    /// PAX extended header.
    pub const PAX: u8 = b'x';
}

/// A tar writer that emits headers exactly as asked (names are not checked).
#[derive(Default)]
pub struct TarBuilder {
    out: Vec<u8>,
    gnu: bool,
}

impl TarBuilder {
    /// A POSIX ustar archive.
    pub fn new() -> TarBuilder {
        TarBuilder::default()
    }

    /// An archive with GNU magic (`ustar  \0`).
    pub fn gnu() -> TarBuilder {
        TarBuilder {
            gnu: true,
            ..TarBuilder::default()
        }
    }

    /// One header plus data. `name` longer than 100 bytes is split into prefix and name when
    /// possible.
    #[allow(clippy::too_many_arguments)]
    pub fn raw_entry(
        &mut self,
        name: &[u8],
        typeflag: u8,
        link: &[u8],
        mode: u32,
        dev: (u32, u32),
        data: &[u8],
    ) -> &mut TarBuilder {
        let mut h = [0u8; 512];
        let (prefix, name) = if name.len() > 100 {
            let split = name[..name.len().min(156)]
                .iter()
                .rposition(|&b| b == b'/')
                .unwrap_or(0);
            (&name[..split], &name[split + 1..])
        } else {
            (&b""[..], name)
        };
        let n = name.len().min(100);
        h[..n].copy_from_slice(&name[..n]);
        octal(&mut h[100..108], u64::from(mode));
        octal(&mut h[108..116], 1000);
        octal(&mut h[116..124], 1000);
        octal(&mut h[124..136], data.len() as u64);
        octal(&mut h[136..148], 1_700_000_000);
        h[156] = typeflag;
        let l = link.len().min(100);
        h[157..157 + l].copy_from_slice(&link[..l]);
        if self.gnu {
            h[257..265].copy_from_slice(b"ustar  \0");
        } else {
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
        }
        h[265..269].copy_from_slice(b"root");
        h[297..301].copy_from_slice(b"root");
        octal(&mut h[329..337], u64::from(dev.0));
        octal(&mut h[337..345], u64::from(dev.1));
        let p = prefix.len().min(155);
        h[345..345 + p].copy_from_slice(&prefix[..p]);
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        octal(&mut h[148..155], u64::from(sum));
        h[155] = b' ';
        self.out.extend_from_slice(&h);
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
        self
    }

    /// A regular file.
    pub fn file(&mut self, name: &[u8], data: &[u8]) -> &mut TarBuilder {
        self.raw_entry(name, tar_type::FILE, b"", 0o644, (0, 0), data)
    }

    /// A directory.
    pub fn dir(&mut self, name: &[u8]) -> &mut TarBuilder {
        self.raw_entry(name, tar_type::DIR, b"", 0o755, (0, 0), b"")
    }

    /// A symlink.
    pub fn symlink(&mut self, name: &[u8], target: &[u8]) -> &mut TarBuilder {
        self.raw_entry(name, tar_type::SYMLINK, target, 0o777, (0, 0), b"")
    }

    /// A hard link.
    pub fn hardlink(&mut self, name: &[u8], target: &[u8]) -> &mut TarBuilder {
        self.raw_entry(name, tar_type::HARDLINK, target, 0o644, (0, 0), b"")
    }

    /// A character or block device, or a FIFO.
    pub fn special(&mut self, name: &[u8], typeflag: u8, major: u32, minor: u32) -> &mut Self {
        self.raw_entry(name, typeflag, b"", 0o600, (major, minor), b"")
    }

    /// A GNU long-name record followed by a file with a truncated name.
    pub fn gnu_long_file(&mut self, name: &[u8], data: &[u8]) -> &mut TarBuilder {
        let mut long = name.to_vec();
        long.push(0);
        self.raw_entry(
            b"././@LongLink",
            tar_type::GNU_LONGNAME,
            b"",
            0,
            (0, 0),
            &long,
        );
        self.raw_entry(
            &name[..name.len().min(100)],
            tar_type::FILE,
            b"",
            0o644,
            (0, 0),
            data,
        )
    }

    /// A PAX header carrying `records` (key, value) followed by one entry.
    pub fn pax_entry(
        &mut self,
        records: &[(&str, &[u8])],
        name: &[u8],
        typeflag: u8,
        data: &[u8],
    ) -> &mut TarBuilder {
        let mut pax = Vec::new();
        for (key, value) in records {
            let body_len = key.len() + value.len() + 3; // space, '=', newline
            let mut len = body_len + 1;
            while len != body_len + len.to_string().len() {
                len = body_len + len.to_string().len();
            }
            pax.extend_from_slice(format!("{len} {key}=").as_bytes());
            pax.extend_from_slice(value);
            pax.push(b'\n');
        }
        self.raw_entry(b"PaxHeader", tar_type::PAX, b"", 0o644, (0, 0), &pax);
        self.raw_entry(name, typeflag, b"", 0o644, (0, 0), data)
    }

    /// The archive with its end-of-archive blocks, padded to a 10 KiB record.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.out);
        out.extend(std::iter::repeat_n(0u8, 1024));
        let pad = (10240 - out.len() % 10240) % 10240;
        out.extend(std::iter::repeat_n(0u8, pad));
        out
    }
}

/// cpio header formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpioKind {
    /// SVR4 "newc" (`070701`).
    Newc,
    /// SVR4 with checksums (`070702`).
    Crc,
    /// POSIX portable ASCII (`070707`).
    Odc,
    /// Old binary, little-endian.
    BinLe,
    /// Old binary, big-endian.
    BinBe,
}

/// File type bits of a cpio mode.
pub mod cpio_mode {
    /// Regular file.
    pub const FILE: u32 = 0o100000;
    /// Directory.
    pub const DIR: u32 = 0o040000;
    /// Symlink.
    pub const SYMLINK: u32 = 0o120000;
    /// Character device.
    pub const CHAR: u32 = 0o020000;
    /// Block device.
    pub const BLOCK: u32 = 0o060000;
    /// FIFO.
    pub const FIFO: u32 = 0o010000;
    /// Socket.
    pub const SOCKET: u32 = 0o140000;
}

/// A cpio writer that emits headers exactly as asked.
pub struct CpioBuilder {
    kind: CpioKind,
    out: Vec<u8>,
    next_ino: u32,
}

impl CpioBuilder {
    /// An empty archive of `kind`.
    pub fn new(kind: CpioKind) -> CpioBuilder {
        CpioBuilder {
            kind,
            out: Vec::new(),
            next_ino: 100,
        }
    }

    /// One entry with every field given.
    pub fn raw_entry(
        &mut self,
        name: &[u8],
        mode: u32,
        ino: u32,
        nlink: u32,
        rdev: (u32, u32),
        data: &[u8],
    ) -> &mut CpioBuilder {
        let namesize = name.len() + 1;
        let mtime: u32 = 1_700_000_000;
        match self.kind {
            CpioKind::Newc | CpioKind::Crc => {
                let check: u32 = if self.kind == CpioKind::Crc {
                    data.iter()
                        .fold(0u32, |sum, &b| sum.wrapping_add(u32::from(b)))
                } else {
                    0
                };
                let magic = if self.kind == CpioKind::Crc {
                    "070702"
                } else {
                    "070701"
                };
                let header = format!(
                    "{magic}{ino:08X}{mode:08X}{:08X}{:08X}{nlink:08X}{mtime:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{namesize:08X}{check:08X}",
                    1000,
                    1000,
                    data.len(),
                    3,
                    1,
                    rdev.0,
                    rdev.1,
                );
                self.out.extend_from_slice(header.as_bytes());
                self.out.extend_from_slice(name);
                self.out.push(0);
                self.pad(4);
                self.out.extend_from_slice(data);
                self.pad(4);
            }
            CpioKind::Odc => {
                let rdev = rdev.0 << 8 | rdev.1;
                let header = format!(
                    "070707{:06o}{ino:06o}{mode:06o}{:06o}{:06o}{nlink:06o}{rdev:06o}{mtime:011o}{namesize:06o}{:011o}",
                    0o1403,
                    1000,
                    1000,
                    data.len()
                );
                self.out.extend_from_slice(header.as_bytes());
                self.out.extend_from_slice(name);
                self.out.push(0);
                self.out.extend_from_slice(data);
            }
            CpioKind::BinLe | CpioKind::BinBe => {
                let size = data.len() as u32;
                let rdev = rdev.0 << 8 | rdev.1;
                let fields: [u32; 13] = [
                    0o070707,
                    0o1403,
                    ino & 0xffff,
                    mode & 0xffff,
                    1000,
                    1000,
                    nlink,
                    rdev & 0xffff,
                    mtime >> 16,
                    mtime & 0xffff,
                    namesize as u32,
                    size >> 16,
                    size & 0xffff,
                ];
                for field in fields {
                    let field = field as u16;
                    let bytes = if self.kind == CpioKind::BinLe {
                        field.to_le_bytes()
                    } else {
                        field.to_be_bytes()
                    };
                    self.out.extend_from_slice(&bytes);
                }
                self.out.extend_from_slice(name);
                self.out.push(0);
                self.pad(2);
                self.out.extend_from_slice(data);
                self.pad(2);
            }
        }
        self
    }

    fn pad(&mut self, align: usize) {
        while self.out.len() % align != 0 {
            self.out.push(0);
        }
    }

    fn ino(&mut self) -> u32 {
        self.next_ino += 1;
        self.next_ino
    }

    /// A regular file.
    pub fn file(&mut self, name: &[u8], data: &[u8]) -> &mut CpioBuilder {
        let ino = self.ino();
        self.raw_entry(name, cpio_mode::FILE | 0o644, ino, 1, (0, 0), data)
    }

    /// A directory.
    pub fn dir(&mut self, name: &[u8]) -> &mut CpioBuilder {
        let ino = self.ino();
        self.raw_entry(name, cpio_mode::DIR | 0o755, ino, 2, (0, 0), b"")
    }

    /// A symlink (cpio stores the target as the data).
    pub fn symlink(&mut self, name: &[u8], target: &[u8]) -> &mut CpioBuilder {
        let ino = self.ino();
        self.raw_entry(name, cpio_mode::SYMLINK | 0o777, ino, 1, (0, 0), target)
    }

    /// A device or FIFO: `kind` is one of the [`cpio_mode`] type bits.
    pub fn special(&mut self, name: &[u8], kind: u32, major: u32, minor: u32) -> &mut Self {
        let ino = self.ino();
        self.raw_entry(name, kind | 0o600, ino, 1, (major, minor), b"")
    }

    /// The archive with its `TRAILER!!!` entry, padded to 512 bytes.
    pub fn finish(&mut self) -> Vec<u8> {
        self.raw_entry(b"TRAILER!!!", 0, 0, 1, (0, 0), b"");
        self.pad(512);
        std::mem::take(&mut self.out)
    }
}

/// Deterministic pseudo-random bytes (xorshift), for "random data" inputs.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// ext inode type bits, for [`ExtBuilder::special`].
pub mod ext_mode {
    /// Regular file.
    pub const FILE: u16 = 0o100000;
    /// Directory.
    pub const DIR: u16 = 0o040000;
    /// Symlink.
    pub const SYMLINK: u16 = 0o120000;
    /// Character device.
    pub const CHAR: u16 = 0o020000;
    /// Block device.
    pub const BLOCK: u16 = 0o060000;
    /// FIFO.
    pub const FIFO: u16 = 0o010000;
    /// Socket.
    pub const SOCKET: u16 = 0o140000;
}

/// What an ext inode's `i_block` holds.
#[derive(Clone)]
enum ExtData {
    /// Data blocks by logical block number (holes in between).
    Blocks(std::collections::BTreeMap<u64, Vec<u8>>),
    /// `i_block` verbatim (fast symlinks, devices).
    Raw([u8; 60]),
    /// Inline data: 60 bytes in `i_block`, the rest in the `system.data` attribute.
    Inline(Vec<u8>),
}

#[derive(Clone)]
struct ExtInode {
    mode: u16,
    uid: u32,
    gid: u32,
    mtime: u32,
    epoch: u32,
    links: u16,
    size: u64,
    data: ExtData,
    parent: u32,
}

/// A single-group ext2/ext3/ext4 writer (block maps or extents, optional `filetype`, inline
/// data with 256-byte inodes), with raw directory entries for hostile names and loops. Images
/// are at most one block group (8192 blocks).
pub struct ExtBuilder {
    block_size: usize,
    inode_size: usize,
    filetype: bool,
    extents: bool,
    journal: bool,
    meta: (u32, u32, u32),
    inodes: Vec<ExtInode>,
    paths: std::collections::BTreeMap<Vec<u8>, u32>,
    dirents: std::collections::BTreeMap<u32, Vec<(Vec<u8>, u32)>>,
}

impl Default for ExtBuilder {
    fn default() -> ExtBuilder {
        ExtBuilder::new()
    }
}

impl ExtBuilder {
    /// First inode number given to files.
    pub const FIRST_INO: u32 = 11;

    /// An empty ext2 image with 1 KiB blocks, 128-byte inodes and the `filetype` feature.
    pub fn new() -> ExtBuilder {
        let mut builder = ExtBuilder {
            block_size: 1024,
            inode_size: 128,
            filetype: true,
            extents: false,
            journal: false,
            meta: (0, 0, 1_700_000_000),
            inodes: Vec::new(),
            paths: Default::default(),
            dirents: Default::default(),
        };
        let reserved = ExtInode {
            mode: 0,
            uid: 0,
            gid: 0,
            mtime: 0,
            epoch: 0,
            links: 0,
            size: 0,
            data: ExtData::Raw([0; 60]),
            parent: 0,
        };
        builder.inodes = vec![reserved; 10];
        builder.inodes[1] = ExtInode {
            mode: ext_mode::DIR | 0o755,
            links: 2,
            data: ExtData::Blocks(Default::default()),
            parent: 2,
            ..builder.inodes[1].clone()
        };
        builder.paths.insert(Vec::new(), 2);
        builder.dirents.insert(2, Vec::new());
        builder
    }

    /// Block size (1024, 2048 or 4096).
    pub fn block_size(&mut self, size: usize) -> &mut Self {
        self.block_size = size;
        self
    }

    /// Inode size (128 or 256; 256 is needed for inline data and epoch bits).
    pub fn inode_size(&mut self, size: usize) -> &mut Self {
        self.inode_size = size;
        self
    }

    /// Whether directory entries carry a file type (the `filetype` feature).
    pub fn filetype(&mut self, on: bool) -> &mut Self {
        self.filetype = on;
        self
    }

    /// Extents instead of block maps (an ext4 feature).
    pub fn extents(&mut self, on: bool) -> &mut Self {
        self.extents = on;
        self
    }

    /// Sets the `has_journal` feature (no journal is written: readers ignore it), making the
    /// image ext3 unless it uses ext4 features.
    pub fn journal(&mut self, on: bool) -> &mut Self {
        self.journal = on;
        self
    }

    /// Owner and mtime of the entries added next.
    pub fn meta(&mut self, uid: u32, gid: u32, mtime: u32) -> &mut Self {
        self.meta = (uid, gid, mtime);
        self
    }

    /// Inode number of `path` (added earlier).
    pub fn ino(&self, path: &[u8]) -> u32 {
        self.paths[path]
    }

    /// Byte offset of inode `ino` in the finished image.
    pub fn inode_offset(&self, ino: u32) -> usize {
        let first_data = usize::from(self.block_size == 1024);
        (first_data + 4) * self.block_size + (ino as usize - 1) * self.inode_size
    }

    fn split(path: &[u8]) -> (&[u8], &[u8]) {
        match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (&[], path),
        }
    }

    fn parent_dir(&mut self, path: &[u8]) -> u32 {
        if let Some(&ino) = self.paths.get(path) {
            return ino;
        }
        self.dir(path);
        self.paths[path]
    }

    /// Adds an inode with `mode` at `path` (parents created as needed); returns its number.
    fn add(&mut self, path: &[u8], mode: u16, size: u64, data: ExtData) -> u32 {
        let (parent, name) = Self::split(path);
        let parent = self.parent_dir(parent);
        let (uid, gid, mtime) = self.meta;
        self.inodes.push(ExtInode {
            mode,
            uid,
            gid,
            mtime,
            epoch: 0,
            links: 1,
            size,
            data,
            parent,
        });
        let ino = self.inodes.len() as u32;
        self.paths.insert(path.to_vec(), ino);
        self.dirents
            .get_mut(&parent)
            .unwrap()
            .push((name.to_vec(), ino));
        ino
    }

    /// A directory (mode 0755).
    pub fn dir(&mut self, path: &[u8]) -> &mut Self {
        if self.paths.contains_key(path) {
            return self;
        }
        let ino = self.add(
            path,
            ext_mode::DIR | 0o755,
            0,
            ExtData::Blocks(Default::default()),
        );
        self.inodes[ino as usize - 1].links = 2;
        self.dirents.insert(ino, Vec::new());
        self
    }

    /// A regular file (mode 0644) with `data` in blocks.
    pub fn file(&mut self, path: &[u8], data: &[u8]) -> &mut Self {
        self.file_mode(path, 0o644, data)
    }

    /// A regular file with permission bits `perm`.
    pub fn file_mode(&mut self, path: &[u8], perm: u16, data: &[u8]) -> &mut Self {
        let blocks = data
            .chunks(self.block_size)
            .enumerate()
            .map(|(i, chunk)| (i as u64, chunk.to_vec()))
            .collect();
        self.add(
            path,
            ext_mode::FILE | perm,
            data.len() as u64,
            ExtData::Blocks(blocks),
        );
        self
    }

    /// A sparse file of `size` bytes whose only data are `pieces` (logical block, bytes).
    pub fn sparse_file(&mut self, path: &[u8], size: u64, pieces: &[(u64, &[u8])]) -> &mut Self {
        let blocks = pieces.iter().map(|(b, d)| (*b, d.to_vec())).collect();
        self.add(path, ext_mode::FILE | 0o644, size, ExtData::Blocks(blocks));
        self
    }

    /// A file stored as inline data (needs 256-byte inodes; at most 60 + 68 bytes).
    pub fn inline_file(&mut self, path: &[u8], data: &[u8]) -> &mut Self {
        self.add(
            path,
            ext_mode::FILE | 0o644,
            data.len() as u64,
            ExtData::Inline(data.to_vec()),
        );
        self
    }

    /// A symlink: fast (in the inode) below 60 bytes, else in a data block.
    pub fn symlink(&mut self, path: &[u8], target: &[u8]) -> &mut Self {
        let data = if target.len() < 60 {
            let mut raw = [0u8; 60];
            raw[..target.len()].copy_from_slice(target);
            ExtData::Raw(raw)
        } else {
            ExtData::Blocks([(0u64, target.to_vec())].into_iter().collect())
        };
        self.add(path, ext_mode::SYMLINK | 0o777, target.len() as u64, data);
        self
    }

    /// A device, FIFO or socket (`kind` from [`ext_mode`], mode 0600). Devices use the new
    /// encoding when `major` or `minor` does not fit in 8 bits, else the old one.
    pub fn special(&mut self, path: &[u8], kind: u16, major: u32, minor: u32) -> &mut Self {
        let mut raw = [0u8; 60];
        if major > 255 || minor > 255 {
            let dev = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
            raw[4..8].copy_from_slice(&dev.to_le_bytes());
        } else {
            raw[..4].copy_from_slice(&((major << 8) | minor).to_le_bytes());
        }
        self.add(path, kind | 0o600, 0, ExtData::Raw(raw));
        self
    }

    /// Another name for the inode at `target` (links counted).
    pub fn hardlink(&mut self, path: &[u8], target: &[u8]) -> &mut Self {
        let ino = self.ino(target);
        let (parent, name) = Self::split(path);
        let parent = self.parent_dir(parent);
        self.dirents
            .get_mut(&parent)
            .unwrap()
            .push((name.to_vec(), ino));
        self.inodes[ino as usize - 1].links += 1;
        self
    }

    /// A raw directory entry `name` -> `ino` in directory `dir` (nothing checked).
    pub fn raw_dirent(&mut self, dir: &[u8], name: &[u8], ino: u32) -> &mut Self {
        let dir = self.ino(dir);
        self.dirents
            .get_mut(&dir)
            .unwrap()
            .push((name.to_vec(), ino));
        self
    }

    /// Sets the extra epoch bits of `path`'s mtime (256-byte inodes only).
    pub fn epoch(&mut self, path: &[u8], epoch: u32) -> &mut Self {
        let ino = self.ino(path);
        self.inodes[ino as usize - 1].epoch = epoch;
        self
    }

    fn dir_block_data(&self, ino: u32) -> Vec<u8> {
        let bs = self.block_size;
        let parent = self.inodes[ino as usize - 1].parent;
        let mut entries: Vec<(Vec<u8>, u32)> = vec![(b".".to_vec(), ino), (b"..".to_vec(), parent)];
        entries.extend(self.dirents[&ino].iter().cloned());
        let mut out: Vec<u8> = Vec::new();
        let mut block = Vec::new();
        let mut last_start = 0;
        for (name, child) in entries {
            let rec = (8 + name.len()).div_ceil(4) * 4;
            if block.len() + rec > bs {
                // Stretch the last entry to the end of the block.
                let len = (bs - last_start) as u16;
                block[last_start + 4..last_start + 6].copy_from_slice(&len.to_le_bytes());
                block.resize(bs, 0);
                out.extend_from_slice(&block);
                block.clear();
            }
            last_start = block.len();
            let file_type = match (child as usize)
                .checked_sub(1)
                .and_then(|i| self.inodes.get(i))
                .map(|i| i.mode & 0o170000)
            {
                Some(ext_mode::FILE) => 1,
                Some(ext_mode::DIR) => 2,
                Some(ext_mode::CHAR) => 3,
                Some(ext_mode::BLOCK) => 4,
                Some(ext_mode::FIFO) => 5,
                Some(ext_mode::SOCKET) => 6,
                Some(ext_mode::SYMLINK) => 7,
                _ => 0,
            };
            block.extend_from_slice(&child.to_le_bytes());
            block.extend_from_slice(&(rec as u16).to_le_bytes());
            if self.filetype {
                block.push(name.len() as u8);
                block.push(file_type);
            } else {
                block.extend_from_slice(&(name.len() as u16).to_le_bytes());
            }
            block.extend_from_slice(&name);
            block.resize(last_start + rec, 0);
        }
        let len = (bs - last_start) as u16;
        block[last_start + 4..last_start + 6].copy_from_slice(&len.to_le_bytes());
        block.resize(bs, 0);
        out.extend_from_slice(&block);
        out
    }

    /// The image.
    pub fn finish(&self) -> Vec<u8> {
        let bs = self.block_size;
        let first_data = usize::from(bs == 1024);
        let per_block = bs / self.inode_size;
        let ipg = self.inodes.len().max(16).div_ceil(per_block) * per_block;
        let table_blocks = ipg * self.inode_size / bs;
        let table = first_data + 4;
        let mut blocks: Vec<Vec<u8>> = vec![vec![0; bs]; table + table_blocks];
        let mut inline = false;

        let mut inode_bytes: Vec<Vec<u8>> = Vec::new();
        for (index, inode) in self.inodes.iter().enumerate() {
            let ino = index as u32 + 1;
            let mut raw = vec![0u8; self.inode_size];
            if inode.mode == 0 {
                inode_bytes.push(raw);
                continue;
            }
            let mut flags = 0u32;
            let mut i_block = [0u8; 60];
            let mut size = inode.size;
            let mut sectors = 0u64;
            let mut xattr: Option<Vec<u8>> = None;
            let data = if inode.mode & 0o170000 == ext_mode::DIR {
                let bytes = self.dir_block_data(ino);
                size = bytes.len() as u64;
                ExtData::Blocks(
                    bytes
                        .chunks(bs)
                        .enumerate()
                        .map(|(i, c)| (i as u64, c.to_vec()))
                        .collect(),
                )
            } else {
                inode.data.clone()
            };
            match data {
                ExtData::Raw(bytes) => i_block = bytes,
                ExtData::Inline(bytes) => {
                    inline = true;
                    flags |= 0x1000_0000;
                    let head = bytes.len().min(60);
                    i_block[..head].copy_from_slice(&bytes[..head]);
                    xattr = Some(bytes[head..].to_vec());
                }
                ExtData::Blocks(map) => {
                    // Data blocks first, in logical order, then the mapping.
                    let mut physical = std::collections::BTreeMap::new();
                    for (logical, content) in &map {
                        let mut block = content.clone();
                        block.resize(bs, 0);
                        physical.insert(*logical, blocks.len() as u32);
                        blocks.push(block);
                    }
                    sectors += map.len() as u64;
                    if self.extents {
                        flags |= 0x8_0000;
                        sectors += self.extent_map(&physical, &mut i_block, &mut blocks);
                    } else {
                        sectors += self.block_map(&physical, &mut i_block, &mut blocks);
                    }
                    sectors *= (bs / 512) as u64;
                }
            }
            raw[0..2].copy_from_slice(&inode.mode.to_le_bytes());
            raw[2..4].copy_from_slice(&(inode.uid as u16).to_le_bytes());
            raw[4..8].copy_from_slice(&(size as u32).to_le_bytes());
            for at in [8, 12, 16] {
                raw[at..at + 4].copy_from_slice(&inode.mtime.to_le_bytes());
            }
            raw[0x18..0x1a].copy_from_slice(&(inode.gid as u16).to_le_bytes());
            raw[0x1a..0x1c].copy_from_slice(&inode.links.to_le_bytes());
            raw[0x1c..0x20].copy_from_slice(&(sectors as u32).to_le_bytes());
            raw[0x20..0x24].copy_from_slice(&flags.to_le_bytes());
            raw[0x28..0x64].copy_from_slice(&i_block);
            raw[0x6c..0x70].copy_from_slice(&((size >> 32) as u32).to_le_bytes());
            raw[0x78..0x7a].copy_from_slice(&((inode.uid >> 16) as u16).to_le_bytes());
            raw[0x7a..0x7c].copy_from_slice(&((inode.gid >> 16) as u16).to_le_bytes());
            if self.inode_size >= 256 {
                raw[0x80..0x82].copy_from_slice(&32u16.to_le_bytes());
                raw[0x88..0x8c].copy_from_slice(&inode.epoch.to_le_bytes());
                if let Some(value) = xattr {
                    // Header, one entry "system.data", end marker, then the value.
                    let area = 128 + 32;
                    raw[area..area + 4].copy_from_slice(&0xea02_0000u32.to_le_bytes());
                    let entry = area + 4;
                    raw[entry] = 4;
                    raw[entry + 1] = 7;
                    raw[entry + 2..entry + 4].copy_from_slice(&24u16.to_le_bytes());
                    raw[entry + 8..entry + 12].copy_from_slice(&(value.len() as u32).to_le_bytes());
                    raw[entry + 16..entry + 20].copy_from_slice(b"data");
                    raw[entry + 24..entry + 24 + value.len()].copy_from_slice(&value);
                }
            }
            inode_bytes.push(raw);
        }
        for (index, raw) in inode_bytes.iter().enumerate() {
            let at = index * self.inode_size;
            let block = &mut blocks[table + at / bs];
            block[at % bs..at % bs + self.inode_size].copy_from_slice(raw);
        }

        let total = blocks.len();
        assert!(total <= bs * 8, "ExtBuilder images hold one block group");
        // Bitmaps: used blocks and inodes.
        for i in 0..total - first_data {
            blocks[first_data + 2][i / 8] |= 1 << (i % 8);
        }
        for i in 0..self.inodes.len() {
            blocks[first_data + 3][i / 8] |= 1 << (i % 8);
        }

        let mut compat = 0u32;
        let mut incompat = 0u32;
        if self.journal {
            compat |= 0x4;
        }
        if self.filetype {
            incompat |= 0x2;
        }
        if self.extents {
            incompat |= 0x40;
        }
        if inline {
            incompat |= 0x8000;
        }
        let mut sb = vec![0u8; 1024];
        let put = |sb: &mut Vec<u8>, at: usize, value: u32| {
            sb[at..at + 4].copy_from_slice(&value.to_le_bytes());
        };
        put(&mut sb, 0x00, ipg as u32);
        put(&mut sb, 0x04, total as u32);
        put(&mut sb, 0x14, first_data as u32);
        put(&mut sb, 0x18, (bs / 1024).trailing_zeros());
        put(&mut sb, 0x1c, (bs / 1024).trailing_zeros());
        put(&mut sb, 0x20, (bs * 8) as u32);
        put(&mut sb, 0x24, (bs * 8) as u32);
        put(&mut sb, 0x28, ipg as u32);
        put(&mut sb, 0x2c, self.meta.2);
        put(&mut sb, 0x30, self.meta.2);
        sb[0x38..0x3a].copy_from_slice(&[0x53, 0xef]);
        sb[0x3a..0x3c].copy_from_slice(&1u16.to_le_bytes());
        sb[0x3c..0x3e].copy_from_slice(&1u16.to_le_bytes());
        put(&mut sb, 0x4c, 1);
        put(&mut sb, 0x54, Self::FIRST_INO);
        sb[0x58..0x5a].copy_from_slice(&(self.inode_size as u16).to_le_bytes());
        put(&mut sb, 0x5c, compat);
        put(&mut sb, 0x60, incompat);
        put(&mut sb, 0x64, 0x1 | 0x2);
        sb[0x78..0x80].copy_from_slice(b"testfs\0\0");
        let sb_at = if bs == 1024 { 0 } else { 1024 };
        blocks[first_data][sb_at..sb_at + 1024].copy_from_slice(&sb);

        let gd = &mut blocks[first_data + 1];
        gd[0..4].copy_from_slice(&((first_data + 2) as u32).to_le_bytes());
        gd[4..8].copy_from_slice(&((first_data + 3) as u32).to_le_bytes());
        gd[8..12].copy_from_slice(&(table as u32).to_le_bytes());
        blocks.concat()
    }

    /// Writes a block map for `physical` (logical -> physical) into `i_block`, allocating
    /// indirect blocks; returns how many it allocated.
    fn block_map(
        &self,
        physical: &std::collections::BTreeMap<u64, u32>,
        i_block: &mut [u8; 60],
        blocks: &mut Vec<Vec<u8>>,
    ) -> u64 {
        let bs = self.block_size;
        let per = (bs / 4) as u64;
        let mut allocated = 0;
        // Builds the indirect block of `level` covering logical blocks from `base`.
        fn build(
            level: u32,
            base: u64,
            per: u64,
            bs: usize,
            physical: &std::collections::BTreeMap<u64, u32>,
            blocks: &mut Vec<Vec<u8>>,
            allocated: &mut u64,
        ) -> u32 {
            let span = per.pow(level);
            if physical.range(base..base + span).next().is_none() {
                return 0;
            }
            let index = blocks.len();
            blocks.push(vec![0; bs]);
            *allocated += 1;
            let child_span = per.pow(level - 1);
            for i in 0..per {
                let start = base + i * child_span;
                let pointer = if level == 1 {
                    physical.get(&start).copied().unwrap_or(0)
                } else {
                    build(level - 1, start, per, bs, physical, blocks, allocated)
                };
                let at = i as usize * 4;
                blocks[index][at..at + 4].copy_from_slice(&pointer.to_le_bytes());
            }
            index as u32
        }
        for slot in 0..12u64 {
            let pointer = physical.get(&slot).copied().unwrap_or(0);
            i_block[slot as usize * 4..slot as usize * 4 + 4]
                .copy_from_slice(&pointer.to_le_bytes());
        }
        let mut base = 12;
        for (slot, level) in [(12usize, 1u32), (13, 2), (14, 3)] {
            let pointer = build(level, base, per, bs, physical, blocks, &mut allocated);
            i_block[slot * 4..slot * 4 + 4].copy_from_slice(&pointer.to_le_bytes());
            base += per.pow(level);
        }
        allocated
    }

    /// Writes an extent tree for `physical` into `i_block`: in the inode when it has at most
    /// four extents, else one level of leaf blocks. Returns how many blocks it allocated.
    fn extent_map(
        &self,
        physical: &std::collections::BTreeMap<u64, u32>,
        i_block: &mut [u8; 60],
        blocks: &mut Vec<Vec<u8>>,
    ) -> u64 {
        let mut extents: Vec<(u32, u16, u32)> = Vec::new();
        for (&logical, &block) in physical {
            if let Some(last) = extents.last_mut() {
                if last.0 as u64 + last.1 as u64 == logical && last.2 + last.1 as u32 == block {
                    last.1 += 1;
                    continue;
                }
            }
            extents.push((logical as u32, 1, block));
        }
        fn header(out: &mut [u8], entries: usize, max: usize, depth: u16) {
            out[0..2].copy_from_slice(&0xf30au16.to_le_bytes());
            out[2..4].copy_from_slice(&(entries as u16).to_le_bytes());
            out[4..6].copy_from_slice(&(max as u16).to_le_bytes());
            out[6..8].copy_from_slice(&depth.to_le_bytes());
        }
        fn leaf(out: &mut [u8], at: usize, (logical, len, block): (u32, u16, u32)) {
            out[at..at + 4].copy_from_slice(&logical.to_le_bytes());
            out[at + 4..at + 6].copy_from_slice(&len.to_le_bytes());
            out[at + 8..at + 12].copy_from_slice(&block.to_le_bytes());
        }
        if extents.len() <= 4 {
            header(i_block, extents.len(), 4, 0);
            for (i, extent) in extents.iter().enumerate() {
                leaf(i_block, 12 + i * 12, *extent);
            }
            return 0;
        }
        let per_leaf = (self.block_size - 12) / 12;
        let leaves: Vec<&[(u32, u16, u32)]> = extents.chunks(per_leaf).collect();
        assert!(leaves.len() <= 4, "ExtBuilder: too many extents");
        header(i_block, leaves.len(), 4, 1);
        for (i, chunk) in leaves.iter().enumerate() {
            let mut block = vec![0u8; self.block_size];
            header(&mut block, chunk.len(), per_leaf, 0);
            for (j, extent) in chunk.iter().enumerate() {
                leaf(&mut block, 12 + j * 12, *extent);
            }
            let number = blocks.len() as u32;
            blocks.push(block);
            let at = 12 + i * 12;
            i_block[at..at + 4].copy_from_slice(&chunk[0].0.to_le_bytes());
            i_block[at + 4..at + 8].copy_from_slice(&number.to_le_bytes());
        }
        leaves.len() as u64
    }
}

/// An Android sparse image writer: chunks exactly as asked, the header's totals computed
/// unless overridden.
pub struct SparseBuilder {
    block_size: u32,
    chunks: Vec<u8>,
    count: u32,
    blocks: u32,
    output: Vec<u8>,
    total_blocks: Option<u32>,
    total_chunks: Option<u32>,
    checksum: u32,
}

/// Android sparse chunk types.
pub mod sparse_chunk {
    /// Raw data.
    pub const RAW: u16 = 0xcac1;
    /// A 4-byte fill pattern.
    pub const FILL: u16 = 0xcac2;
    /// Don't care (zeros).
    pub const DONT_CARE: u16 = 0xcac3;
    /// CRC32 of the output so far.
    pub const CRC32: u16 = 0xcac4;
}

impl SparseBuilder {
    /// An empty image with `block_size`-byte blocks.
    pub fn new(block_size: u32) -> SparseBuilder {
        SparseBuilder {
            block_size,
            chunks: Vec::new(),
            count: 0,
            blocks: 0,
            output: Vec::new(),
            total_blocks: None,
            total_chunks: None,
            checksum: 0,
        }
    }

    /// One chunk with every field given; `output` is what it adds to the expected output.
    pub fn raw_chunk(&mut self, kind: u16, blocks: u32, total: u32, payload: &[u8]) -> &mut Self {
        self.chunks.extend_from_slice(&kind.to_le_bytes());
        self.chunks.extend_from_slice(&[0, 0]);
        self.chunks.extend_from_slice(&blocks.to_le_bytes());
        self.chunks.extend_from_slice(&total.to_le_bytes());
        self.chunks.extend_from_slice(payload);
        self.count += 1;
        self.blocks = self.blocks.wrapping_add(blocks);
        self
    }

    /// Raw data, zero-padded to whole blocks.
    pub fn raw(&mut self, data: &[u8]) -> &mut Self {
        let bs = self.block_size as usize;
        let mut padded = data.to_vec();
        padded.resize(data.len().div_ceil(bs) * bs, 0);
        let blocks = (padded.len() / bs) as u32;
        self.output.extend_from_slice(&padded);
        self.raw_chunk(sparse_chunk::RAW, blocks, 12 + padded.len() as u32, &padded)
    }

    /// `blocks` blocks of a repeated 4-byte pattern.
    pub fn fill(&mut self, pattern: [u8; 4], blocks: u32) -> &mut Self {
        if (blocks as u64) * (self.block_size as u64) < 1 << 28 {
            for _ in 0..(blocks as usize * self.block_size as usize / 4) {
                self.output.extend_from_slice(&pattern);
            }
        }
        self.raw_chunk(sparse_chunk::FILL, blocks, 16, &pattern)
    }

    /// `blocks` blocks that read as zeros.
    pub fn dont_care(&mut self, blocks: u32) -> &mut Self {
        if (blocks as u64) * (self.block_size as u64) < 1 << 28 {
            let len = self.output.len() + blocks as usize * self.block_size as usize;
            self.output.resize(len, 0);
        }
        self.raw_chunk(sparse_chunk::DONT_CARE, blocks, 12, &[])
    }

    /// A CRC32 chunk over the output so far.
    pub fn crc(&mut self) -> &mut Self {
        let crc = crc32fast::hash(&self.output);
        self.raw_chunk(sparse_chunk::CRC32, 0, 16, &crc.to_le_bytes())
    }

    /// Overrides the header's block total.
    pub fn total_blocks(&mut self, blocks: u32) -> &mut Self {
        self.total_blocks = Some(blocks);
        self
    }

    /// Overrides the header's chunk count.
    pub fn total_chunks(&mut self, chunks: u32) -> &mut Self {
        self.total_chunks = Some(chunks);
        self
    }

    /// Sets the header checksum to the CRC32 of the expected output.
    pub fn checksum(&mut self) -> &mut Self {
        self.checksum = crc32fast::hash(&self.output);
        self
    }

    /// The de-sparsed output this image should produce (for images of sane size).
    pub fn expected(&self) -> Vec<u8> {
        self.output.clone()
    }

    /// The image.
    pub fn finish(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0xed26_ff3a_u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&28u16.to_le_bytes());
        out.extend_from_slice(&12u16.to_le_bytes());
        out.extend_from_slice(&self.block_size.to_le_bytes());
        out.extend_from_slice(&self.total_blocks.unwrap_or(self.blocks).to_le_bytes());
        out.extend_from_slice(&self.total_chunks.unwrap_or(self.count).to_le_bytes());
        out.extend_from_slice(&self.checksum.to_le_bytes());
        out.extend_from_slice(&self.chunks);
        out
    }
}
