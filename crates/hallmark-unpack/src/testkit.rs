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

/// JFFS2's CRC-32 (seed 0, no final inversion).
pub fn jffs2_crc(bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(u32::MAX);
    hasher.update(bytes);
    !hasher.finalize()
}

/// JFFS2 compression ids.
pub mod jffs2_compr {
    /// Stored.
    pub const NONE: u8 = 0;
    /// A hole.
    pub const ZERO: u8 = 1;
    /// rtime.
    pub const RTIME: u8 = 2;
    /// dynrubin (not decoded by the reader).
    pub const DYNRUBIN: u8 = 5;
    /// zlib.
    pub const ZLIB: u8 = 6;
    /// LZO1X.
    pub const LZO: u8 = 7;
    /// LZMA (lc=0 lp=0 pb=0, 8 KiB dictionary, no header).
    pub const LZMA: u8 = 8;
}

/// One JFFS2 inode node, every field settable.
#[derive(Debug, Clone)]
pub struct Jffs2Inode {
    pub ino: u32,
    pub version: u32,
    pub mode: u32,
    pub uid: u16,
    pub gid: u16,
    pub isize: u32,
    pub mtime: u32,
    pub offset: u32,
    pub dsize: u32,
    pub compr: u8,
    /// The (compressed) data as stored.
    pub data: Vec<u8>,
}

impl Jffs2Inode {
    /// A node of inode `ino` at `version` with mode `mode`, no data.
    pub fn new(ino: u32, version: u32, mode: u32) -> Jffs2Inode {
        Jffs2Inode {
            ino,
            version,
            mode,
            uid: 0,
            gid: 0,
            isize: 0,
            mtime: 1_700_000_000,
            offset: 0,
            dsize: 0,
            compr: jffs2_compr::NONE,
            data: Vec::new(),
        }
    }

    /// Uncompressed data `data` at `offset`, the file then being `isize` bytes.
    pub fn stored(mut self, offset: u32, data: &[u8], isize: u32) -> Jffs2Inode {
        self.offset = offset;
        self.dsize = data.len() as u32;
        self.isize = isize;
        self.compr = jffs2_compr::NONE;
        self.data = data.to_vec();
        self
    }

    /// Data stored compressed with `compr` (`plain` is what it decompresses to).
    pub fn compressed(mut self, offset: u32, plain: &[u8], compr: u8, isize: u32) -> Jffs2Inode {
        self.offset = offset;
        self.dsize = plain.len() as u32;
        self.isize = isize;
        self.compr = compr;
        self.data = match compr {
            jffs2_compr::NONE => plain.to_vec(),
            jffs2_compr::ZERO => Vec::new(),
            jffs2_compr::RTIME => rtime_compress(plain),
            jffs2_compr::ZLIB => zlib(plain),
            jffs2_compr::LZO => lzo(plain),
            jffs2_compr::LZMA => {
                let mut options = lzma_rust2::LzmaOptions::with_preset(6);
                options.lc = 0;
                options.lp = 0;
                options.pb = 0;
                options.dict_size = 0x2000;
                let mut enc = lzma_rust2::LzmaWriter::new(
                    Vec::new(),
                    &options,
                    false,
                    false,
                    Some(plain.len() as u64),
                )
                .unwrap();
                enc.write_all(plain).unwrap();
                enc.finish().unwrap()
            }
            other => panic!("no test compressor for jffs2 compression {other}"),
        };
        self
    }
}

/// The kernel's rtime compression (for fixtures).
pub fn rtime_compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut positions = [0usize; 256];
    let mut pos = 0;
    while pos < input.len() {
        let value = input[pos];
        out.push(value);
        pos += 1;
        let back = positions[value as usize];
        positions[value as usize] = pos;
        let mut run = 0usize;
        while run < 255 && pos + run < input.len() && input[back + run] == input[pos + run] {
            run += 1;
        }
        out.push(run as u8);
        pos += run;
    }
    out
}

/// A JFFS2 image writer that emits nodes exactly as asked (4-byte aligned, 0xff padded).
pub struct Jffs2Builder {
    big: bool,
    out: Vec<u8>,
    version: u32,
}

impl Jffs2Builder {
    /// An empty image, big-endian when `big`.
    pub fn new(big: bool) -> Jffs2Builder {
        Jffs2Builder {
            big,
            out: Vec::new(),
            version: 0,
        }
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn align(&mut self) {
        while self.out.len() % 4 != 0 {
            self.out.push(0xff);
        }
    }

    /// A node header of `nodetype` for a node of `totlen` bytes.
    fn header(&self, nodetype: u16, totlen: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&self.u16(0x1985));
        h.extend_from_slice(&self.u16(nodetype));
        h.extend_from_slice(&self.u32(totlen));
        let crc = jffs2_crc(&h);
        h.extend_from_slice(&self.u32(crc));
        h
    }

    /// A node with a valid header and the given body (everything after the header).
    pub fn node(&mut self, nodetype: u16, body: &[u8]) -> &mut Jffs2Builder {
        self.align();
        let header = self.header(nodetype, 12 + body.len() as u32);
        self.out.extend_from_slice(&header);
        self.out.extend_from_slice(body);
        self
    }

    /// A cleanmarker.
    pub fn cleanmarker(&mut self) -> &mut Jffs2Builder {
        self.node(0x2003, &[])
    }

    /// A directory entry with an explicit version.
    pub fn dirent_v(
        &mut self,
        pino: u32,
        ino: u32,
        version: u32,
        name: &[u8],
        dtype: u8,
    ) -> &mut Jffs2Builder {
        self.align();
        let mut n = self.header(0xe001, 40 + name.len() as u32);
        n.extend_from_slice(&self.u32(pino));
        n.extend_from_slice(&self.u32(version));
        n.extend_from_slice(&self.u32(ino));
        n.extend_from_slice(&self.u32(1_700_000_000));
        n.push(name.len() as u8);
        n.push(dtype);
        n.extend_from_slice(&[0, 0]);
        let node_crc = jffs2_crc(&n);
        n.extend_from_slice(&self.u32(node_crc));
        n.extend_from_slice(&self.u32(jffs2_crc(name)));
        n.extend_from_slice(name);
        self.out.extend_from_slice(&n);
        self
    }

    /// A directory entry with the next version.
    pub fn dirent(&mut self, pino: u32, ino: u32, name: &[u8], dtype: u8) -> &mut Jffs2Builder {
        self.version += 1;
        let version = self.version;
        self.dirent_v(pino, ino, version, name, dtype)
    }

    /// An inode node.
    pub fn inode(&mut self, inode: &Jffs2Inode) -> &mut Jffs2Builder {
        self.align();
        let mut n = self.header(0xe002, 68 + inode.data.len() as u32);
        n.extend_from_slice(&self.u32(inode.ino));
        n.extend_from_slice(&self.u32(inode.version));
        n.extend_from_slice(&self.u32(inode.mode));
        n.extend_from_slice(&self.u16(inode.uid));
        n.extend_from_slice(&self.u16(inode.gid));
        n.extend_from_slice(&self.u32(inode.isize));
        n.extend_from_slice(&self.u32(inode.mtime)); // atime
        n.extend_from_slice(&self.u32(inode.mtime));
        n.extend_from_slice(&self.u32(inode.mtime)); // ctime
        n.extend_from_slice(&self.u32(inode.offset));
        n.extend_from_slice(&self.u32(inode.data.len() as u32));
        n.extend_from_slice(&self.u32(inode.dsize));
        n.push(inode.compr);
        n.push(0);
        n.extend_from_slice(&self.u16(0));
        n.extend_from_slice(&self.u32(jffs2_crc(&inode.data)));
        let node_crc = jffs2_crc(&n[..60]);
        n.extend_from_slice(&self.u32(node_crc));
        n.extend_from_slice(&inode.data);
        self.out.extend_from_slice(&n);
        self
    }

    /// A directory `name` (inode `ino`) in directory `pino`.
    pub fn dir(&mut self, pino: u32, ino: u32, name: &[u8]) -> &mut Jffs2Builder {
        self.dirent(pino, ino, name, 4);
        self.inode(&Jffs2Inode::new(ino, 1, 0o040755))
    }

    /// A regular file stored uncompressed in one node.
    pub fn file(&mut self, pino: u32, ino: u32, name: &[u8], data: &[u8]) -> &mut Jffs2Builder {
        self.dirent(pino, ino, name, 8);
        self.inode(&Jffs2Inode::new(ino, 1, 0o100644).stored(0, data, data.len() as u32))
    }

    /// A symlink.
    pub fn symlink(&mut self, pino: u32, ino: u32, name: &[u8], target: &[u8]) -> &mut Self {
        self.dirent(pino, ino, name, 10);
        self.inode(&Jffs2Inode::new(ino, 1, 0o120777).stored(0, target, target.len() as u32))
    }

    /// Raw bytes (at the current, unaligned, position).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Jffs2Builder {
        self.out.extend_from_slice(bytes);
        self
    }

    /// Pads with 0xff to `len` bytes.
    pub fn pad_to(&mut self, len: usize) -> &mut Jffs2Builder {
        if self.out.len() < len {
            self.out.resize(len, 0xff);
        }
        self
    }

    /// Current length.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// The image, padded to a multiple of 4 bytes.
    pub fn finish(&mut self) -> Vec<u8> {
        self.align();
        std::mem::take(&mut self.out)
    }
}

/// An entry of a cramfs image made by [`cramfs_image`].
#[derive(Debug, Clone)]
pub enum CramfsEntry {
    /// A regular file stored in zlib blocks of 4 KiB.
    File {
        name: Vec<u8>,
        mode: u32,
        data: Vec<u8>,
    },
    /// A symlink (its target stored like file data).
    Symlink { name: Vec<u8>, target: Vec<u8> },
    /// A directory.
    Dir {
        name: Vec<u8>,
        mode: u32,
        entries: Vec<CramfsEntry>,
    },
    /// An inode written exactly as given (offset in bytes, a multiple of 4), for devices
    /// (`size` is the device number) and hostile pointers.
    Raw {
        name: Vec<u8>,
        mode: u32,
        size: u32,
        offset: u32,
    },
}

impl CramfsEntry {
    /// A 0644 file.
    pub fn file(name: &[u8], data: &[u8]) -> CramfsEntry {
        CramfsEntry::File {
            name: name.to_vec(),
            mode: 0o100644,
            data: data.to_vec(),
        }
    }

    /// A 0755 directory.
    pub fn dir(name: &[u8], entries: Vec<CramfsEntry>) -> CramfsEntry {
        CramfsEntry::Dir {
            name: name.to_vec(),
            mode: 0o040755,
            entries,
        }
    }

    /// A symlink.
    pub fn symlink(name: &[u8], target: &[u8]) -> CramfsEntry {
        CramfsEntry::Symlink {
            name: name.to_vec(),
            target: target.to_vec(),
        }
    }

    fn name(&self) -> &[u8] {
        match self {
            CramfsEntry::File { name, .. }
            | CramfsEntry::Symlink { name, .. }
            | CramfsEntry::Dir { name, .. }
            | CramfsEntry::Raw { name, .. } => name,
        }
    }
}

/// Bytes a directory's entries take.
pub fn cramfs_dir_size(entries: &[CramfsEntry]) -> usize {
    entries
        .iter()
        .map(|e| 12 + e.name().len().next_multiple_of(4))
        .sum()
}

/// A cramfs inode, bit fields packed for the byte order.
pub fn cramfs_inode(
    big: bool,
    mode: u32,
    uid: u32,
    size: u32,
    gid: u32,
    name_len: usize,
    offset: usize,
) -> Vec<u8> {
    let words = name_len.div_ceil(4) as u32;
    let off = (offset / 4) as u32;
    let (w0, w1, w2) = if big {
        (mode << 16 | uid, size << 8 | gid, words << 26 | off)
    } else {
        (mode | uid << 16, size | gid << 24, words | off << 6)
    };
    let mut out = Vec::new();
    for w in [w0, w1, w2] {
        out.extend_from_slice(&if big {
            w.to_be_bytes()
        } else {
            w.to_le_bytes()
        });
    }
    out
}

/// A version 2 cramfs image (as `mkfs.cramfs` lays it out: superblock, directories
/// breadth first, then file data; padded to 4 KiB; CRC set) holding `root`.
pub fn cramfs_image(root: &[CramfsEntry], big: bool) -> Vec<u8> {
    // Directories breadth first, the root first.
    let mut dirs: Vec<&[CramfsEntry]> = vec![root];
    let mut i = 0;
    while i < dirs.len() {
        for e in dirs[i] {
            if let CramfsEntry::Dir { entries, .. } = e {
                dirs.push(entries);
            }
        }
        i += 1;
    }
    let mut dir_offsets = Vec::new();
    let mut cursor = 76;
    for d in &dirs {
        dir_offsets.push(cursor);
        cursor += cramfs_dir_size(d);
    }
    // File data, in the same order.
    let mut data_area = Vec::new();
    let data_start = cursor;
    let mut data_offsets: Vec<Vec<usize>> = Vec::new();
    for d in &dirs {
        let mut offsets = Vec::new();
        for e in d.iter() {
            let content = match e {
                CramfsEntry::File { data, .. } => data.as_slice(),
                CramfsEntry::Symlink { target, .. } => target.as_slice(),
                _ => {
                    offsets.push(0);
                    continue;
                }
            };
            if content.is_empty() {
                offsets.push(0);
                continue;
            }
            let at = data_start + data_area.len();
            offsets.push(at);
            let blocks: Vec<Vec<u8>> = content.chunks(4096).map(zlib).collect();
            let mut end = at + 4 * blocks.len();
            let mut pointers = Vec::new();
            for b in &blocks {
                end += b.len();
                pointers.push(end as u32);
            }
            for p in pointers {
                data_area.extend_from_slice(&if big {
                    p.to_be_bytes()
                } else {
                    p.to_le_bytes()
                });
            }
            for b in blocks {
                data_area.extend_from_slice(&b);
            }
            while data_area.len() % 4 != 0 {
                data_area.push(0);
            }
        }
        data_offsets.push(offsets);
    }
    // Directory entries.
    let mut image = vec![0u8; 76];
    let mut next_dir = 1;
    for (d, offsets) in dirs.iter().zip(&data_offsets) {
        for (e, &data_at) in d.iter().zip(offsets) {
            let name = e.name();
            let inode = match e {
                CramfsEntry::File { mode, data, .. } => {
                    cramfs_inode(big, *mode, 0, data.len() as u32, 0, name.len(), data_at)
                }
                CramfsEntry::Symlink { target, .. } => cramfs_inode(
                    big,
                    0o120777,
                    0,
                    target.len() as u32,
                    0,
                    name.len(),
                    data_at,
                ),
                CramfsEntry::Dir { mode, entries, .. } => {
                    let size = cramfs_dir_size(entries);
                    let at = if size == 0 { 0 } else { dir_offsets[next_dir] };
                    next_dir += 1;
                    cramfs_inode(big, *mode, 0, size as u32, 0, name.len(), at)
                }
                CramfsEntry::Raw {
                    mode, size, offset, ..
                } => cramfs_inode(big, *mode, 0, *size, 0, name.len(), *offset as usize),
            };
            image.extend_from_slice(&inode);
            image.extend_from_slice(name);
            while image.len() % 4 != 0 {
                image.push(0);
            }
        }
    }
    image.extend_from_slice(&data_area);
    let len = image.len().next_multiple_of(4096);
    image.resize(len, 0);
    // Superblock.
    let word = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    image[0..4].copy_from_slice(&word(0x28cd_3d45));
    image[4..8].copy_from_slice(&word(len as u32));
    image[8..12].copy_from_slice(&word(0x3)); // fsid v2, sorted dirs
    image[16..32].copy_from_slice(b"Compressed ROMFS");
    image[40..44].copy_from_slice(&word((len / 4096) as u32));
    image[44..48].copy_from_slice(&word(dirs.iter().map(|d| d.len() as u32).sum::<u32>() + 1));
    image[48..58].copy_from_slice(b"Compressed");
    let root_size = cramfs_dir_size(root);
    let root_at = if root_size == 0 { 0 } else { 76 };
    let root_inode = cramfs_inode(big, 0o040755, 0, root_size as u32, 0, 0, root_at);
    image[64..76].copy_from_slice(&root_inode);
    cramfs_set_crc(&mut image, big);
    image
}

/// Recomputes a cramfs image's CRC (superblock at 0) after a test changed it.
pub fn cramfs_set_crc(image: &mut [u8], big: bool) {
    image[32..36].copy_from_slice(&[0; 4]);
    let crc = crc32fast::hash(image);
    image[32..36].copy_from_slice(&if big {
        crc.to_be_bytes()
    } else {
        crc.to_le_bytes()
    });
}
