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

/// lzop file of `data` as `lzop` 1.04 writes it (version 0x1040, method LZO1X-1, Adler-32 of
/// the decoded data per block, a file name), in blocks of at most 256 KiB; incompressible
/// blocks are stored.
pub fn lzop(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x89, b'L', b'Z', b'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a];
    out.extend_from_slice(&0x1040u16.to_be_bytes());
    out.extend_from_slice(&0x20a0u16.to_be_bytes());
    out.extend_from_slice(&0x0940u16.to_be_bytes());
    out.extend_from_slice(&[1, 5]);
    out.extend_from_slice(&0x0300_0001u32.to_be_bytes());
    out.extend_from_slice(&0o100644u32.to_be_bytes());
    out.extend_from_slice(&[0; 8]);
    out.push(4);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&[0; 4]); // header checksum (not verified by readers here)
    for block in data.chunks(256 * 1024) {
        let packed = lzo(block);
        let stored = if packed.len() < block.len() {
            &packed[..]
        } else {
            block
        };
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&(stored.len() as u32).to_be_bytes());
        out.extend_from_slice(&[0; 4]); // Adler-32 of the block
        out.extend_from_slice(stored);
    }
    out.extend_from_slice(&[0; 4]);
    out
}

/// A legacy U-Boot image (Linux, ARM) of `image_type` (2 kernel, 3 ramdisk, 4 multi, ...) and
/// compression code `comp` (0 none, 1 gzip, 2 bzip2, 3 lzma, 4 lzo, 5 lz4, 6 zstd) around
/// `payload`, with correct CRCs.
pub fn uimage(name: &[u8], image_type: u8, comp: u8, payload: &[u8]) -> Vec<u8> {
    let mut header = vec![0u8; 64];
    header[..4].copy_from_slice(&[0x27, 0x05, 0x19, 0x56]);
    header[8..12].copy_from_slice(&1_704_067_200u32.to_be_bytes());
    header[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    header[16..20].copy_from_slice(&0x8000_8000u32.to_be_bytes());
    header[20..24].copy_from_slice(&0x8000_8000u32.to_be_bytes());
    header[24..28].copy_from_slice(&crc32fast::hash(payload).to_be_bytes());
    header[28..32].copy_from_slice(&[5, 2, image_type, comp]);
    let name = &name[..name.len().min(32)];
    header[32..32 + name.len()].copy_from_slice(name);
    let crc = crc32fast::hash(&header);
    header[4..8].copy_from_slice(&crc.to_be_bytes());
    [header, payload.to_vec()].concat()
}

/// A flattened device tree (version 17), built token by token.
#[derive(Default)]
pub struct FdtBuilder {
    structure: Vec<u8>,
    strings: Vec<u8>,
}

impl FdtBuilder {
    pub fn new() -> FdtBuilder {
        FdtBuilder::default()
    }

    fn token(&mut self, token: u32) {
        self.structure.extend_from_slice(&token.to_be_bytes());
    }

    fn pad(&mut self) {
        while self.structure.len() % 4 != 0 {
            self.structure.push(0);
        }
    }

    /// Starts a node (the root has an empty name).
    pub fn begin(&mut self, name: &[u8]) -> &mut FdtBuilder {
        self.token(1);
        self.structure.extend_from_slice(name);
        self.structure.push(0);
        self.pad();
        self
    }

    /// Ends the current node.
    pub fn end(&mut self) -> &mut FdtBuilder {
        self.token(2);
        self
    }

    /// A property with a raw value.
    pub fn prop(&mut self, name: &[u8], value: &[u8]) -> &mut FdtBuilder {
        let name_at = match self
            .strings
            .split(|&b| b == 0)
            .scan(0usize, |at, s| {
                let here = *at;
                *at += s.len() + 1;
                Some((here, s))
            })
            .find(|(_, s)| *s == name)
        {
            Some((at, _)) if !name.is_empty() => at,
            _ => {
                let at = self.strings.len();
                self.strings.extend_from_slice(name);
                self.strings.push(0);
                at
            }
        };
        self.token(3);
        self.structure
            .extend_from_slice(&(value.len() as u32).to_be_bytes());
        self.structure
            .extend_from_slice(&(name_at as u32).to_be_bytes());
        self.structure.extend_from_slice(value);
        self.pad();
        self
    }

    /// A string property (NUL added).
    pub fn prop_str(&mut self, name: &[u8], value: &[u8]) -> &mut FdtBuilder {
        self.prop(name, &[value, &[0]].concat())
    }

    /// The blob: header, an empty memory reservation map, structure block (`FDT_END` added),
    /// strings block.
    pub fn finish(&mut self) -> Vec<u8> {
        self.token(9);
        let struct_at = 40 + 16;
        let strings_at = struct_at + self.structure.len();
        let total = strings_at + self.strings.len();
        let mut out = Vec::with_capacity(total);
        for field in [
            0xd00d_feed,
            total as u32,
            struct_at as u32,
            strings_at as u32,
            40,
            17,
            16,
            0,
            self.strings.len() as u32,
            self.structure.len() as u32,
        ] {
            out.extend_from_slice(&u32::to_be_bytes(field));
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&self.structure);
        out.extend_from_slice(&self.strings);
        out
    }
}

/// A Broadcom TRX image of `version` (1: up to 3 parts, 2: up to 4) holding `parts` back to
/// back, with a correct CRC.
pub fn trx(version: u16, parts: &[&[u8]]) -> Vec<u8> {
    let header_len = if version == 2 { 32 } else { 28 };
    let mut out = vec![0u8; header_len];
    out[..4].copy_from_slice(b"HDR0");
    out[12..16].copy_from_slice(&(u32::from(version) << 16).to_le_bytes());
    for (i, part) in parts.iter().enumerate() {
        let at = 16 + 4 * i;
        let offset = out.len() as u32;
        out[at..at + 4].copy_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(part);
    }
    let len = out.len() as u32;
    out[4..8].copy_from_slice(&len.to_le_bytes());
    let crc = !crc32fast::hash(&out[12..]);
    out[8..12].copy_from_slice(&crc.to_le_bytes());
    out
}

/// What [`tplink`] builds.
#[derive(Default)]
pub struct TplinkImage {
    /// "ver. 2.0" layout instead of version 1.
    pub v2: bool,
    pub kernel: Vec<u8>,
    pub rootfs: Vec<u8>,
    /// Where the rootfs is placed (0xff padding up to it); `None`: right after the kernel.
    pub rootfs_ofs: Option<usize>,
    /// The rootfs offset written in the header, when it differs from where the rootfs is.
    pub declared_rootfs_ofs: Option<usize>,
}

/// A TP-Link firmware image: 512-byte header, kernel at 0x200, rootfs.
pub fn tplink(image: &TplinkImage) -> Vec<u8> {
    let mut out = vec![0u8; 0x200];
    let fields = if image.v2 {
        out[..4].copy_from_slice(&[3, 0, 0, 0]);
        out[4..13].copy_from_slice(b"ver. 2.0\0");
        out[0x34..0x38].copy_from_slice(&0x0841_0014u32.to_be_bytes());
        0x70
    } else {
        out[..4].copy_from_slice(&[1, 0, 0, 0]);
        out[4..24].copy_from_slice(b"TP-LINK Technologies");
        out[0x1c..0x24].copy_from_slice(b"ver. 1.0");
        out[0x40..0x44].copy_from_slice(&0x0703_0101u32.to_be_bytes());
        0x7c
    };
    out.extend_from_slice(&image.kernel);
    let rootfs_ofs = image.rootfs_ofs.unwrap_or(out.len());
    out.resize(rootfs_ofs.max(out.len()), 0xff);
    out.extend_from_slice(&image.rootfs);
    let declared = image.declared_rootfs_ofs.unwrap_or(rootfs_ofs);
    let values = [
        out.len(),
        0x200,
        image.kernel.len(),
        declared,
        image.rootfs.len(),
    ];
    for (i, value) in values.into_iter().enumerate() {
        let at = fields + 4 * i;
        out[at..at + 4].copy_from_slice(&(value as u32).to_be_bytes());
    }
    out
}

/// A TP-Link VxWorks `IMG0` container: 0x80-byte header, then up to three parts back to back.
pub fn img0(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![0u8; 0x80];
    out[..4].copy_from_slice(b"IMG0");
    out[8..12].copy_from_slice(&0x0702_1101u32.to_be_bytes());
    out[12..16].copy_from_slice(&1u32.to_be_bytes());
    out[0x40..0x44].copy_from_slice(&0x80u32.to_be_bytes());
    for (i, part) in parts.iter().enumerate() {
        let offset = out.len() as u32;
        let len = part.len() as u32;
        if i == 0 {
            out[0x44..0x48].copy_from_slice(&len.to_be_bytes());
        } else {
            let at = 0x40 + 8 * i;
            out[at..at + 4].copy_from_slice(&offset.to_be_bytes());
            out[at + 4..at + 8].copy_from_slice(&len.to_be_bytes());
        }
        out.extend_from_slice(part);
    }
    let size = out.len() as u32;
    out[4..8].copy_from_slice(&size.to_be_bytes());
    out
}

/// An LZMA-alone stream scrambled the way Arcadyan's firmware tool does: a 4-byte tag, then
/// the 32-byte blocks at 4 and 0x68 swapped, the one moved to 0x68 nibble- and pair-swapped.
pub fn arcadyan(lzma: &[u8]) -> Vec<u8> {
    let mut data = [b"\x30\x05\x11\x20".as_slice(), lzma].concat();
    let first = data[4..36].to_vec();
    let second = data[0x68..0x88].to_vec();
    let mut moved = Vec::new();
    for pair in first.chunks_exact(2) {
        moved.push(pair[1].rotate_left(4));
        moved.push(pair[0].rotate_left(4));
    }
    data[4..36].copy_from_slice(&second);
    data[0x68..0x88].copy_from_slice(&moved);
    data
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
