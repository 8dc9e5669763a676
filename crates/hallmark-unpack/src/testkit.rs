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

/// An LZ4 frame of `data` (64 KiB linked blocks), with block and content checksums when
/// `checksums`.
pub fn lz4_frame(data: &[u8], checksums: bool) -> Vec<u8> {
    let info = lz4_flex::frame::FrameInfo::new()
        .block_size(lz4_flex::frame::BlockSize::Max64KB)
        .block_checksums(checksums)
        .content_checksum(checksums)
        .content_size(checksums.then_some(data.len() as u64));
    let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A legacy LZ4 frame of `data` (`lz4 -l`): the magic, then 8 MiB blocks, each a size and an
/// LZ4 block.
pub fn lz4_legacy(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x02, 0x21, 0x4c, 0x18];
    for chunk in data.chunks(8 << 20) {
        let block = lz4_flex::block::compress(chunk);
        out.extend_from_slice(&(block.len() as u32).to_le_bytes());
        out.extend_from_slice(&block);
    }
    out
}

/// An lzop file of `data` in blocks of `block` bytes, named `f`: with Adler-32 checksums
/// (header and uncompressed data) when `adler`, else CRC-32. Blocks LZO does not shrink are
/// stored.
pub fn lzop(data: &[u8], block: usize, adler: bool) -> Vec<u8> {
    fn adler32(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in data {
            a = (a + u32::from(byte)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    }
    let flags: u32 = 0x0300_0000 | if adler { 0x1 } else { 0x1000 | 0x100 };
    let mut out = vec![0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a];
    let mut header = Vec::new();
    header.extend_from_slice(&0x1040u16.to_be_bytes());
    header.extend_from_slice(&0x20a0u16.to_be_bytes());
    header.extend_from_slice(&0x0940u16.to_be_bytes());
    header.extend_from_slice(&[1, 5]);
    header.extend_from_slice(&flags.to_be_bytes());
    header.extend_from_slice(&0o100644u32.to_be_bytes());
    header.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    header.extend_from_slice(&0u32.to_be_bytes());
    header.push(1);
    header.push(b'f');
    let check = if adler {
        adler32(&header)
    } else {
        crc32fast::hash(&header)
    };
    out.extend_from_slice(&header);
    out.extend_from_slice(&check.to_be_bytes());
    for chunk in data.chunks(block) {
        let packed = lzokay::compress::compress(chunk).unwrap();
        let body = if packed.len() < chunk.len() {
            &packed[..]
        } else {
            chunk
        };
        out.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let sum = if adler {
            adler32(chunk)
        } else {
            crc32fast::hash(chunk)
        };
        out.extend_from_slice(&sum.to_be_bytes());
        out.extend_from_slice(body);
    }
    out.extend_from_slice(&[0; 4]);
    out
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

/// How an [`ArBuilder`] writes names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArStyle {
    /// GNU: `name/`, long names in a `//` table referenced as `/<offset>`.
    Gnu,
    /// BSD: names padded with spaces, long names (or names with spaces) as `#1/<len>`.
    Bsd,
}

/// An ar archive writer; names are written as given.
pub struct ArBuilder {
    style: ArStyle,
    members: Vec<(Vec<u8>, Vec<u8>)>,
    symbols: bool,
}

impl ArBuilder {
    /// An empty archive.
    pub fn new(style: ArStyle) -> ArBuilder {
        ArBuilder {
            style,
            members: Vec::new(),
            symbols: false,
        }
    }

    /// Adds a GNU symbol table member first.
    pub fn symbols(&mut self) -> &mut ArBuilder {
        self.symbols = true;
        self
    }

    /// A member.
    pub fn file(&mut self, name: &[u8], data: &[u8]) -> &mut ArBuilder {
        self.members.push((name.to_vec(), data.to_vec()));
        self
    }

    fn header(out: &mut Vec<u8>, name: &[u8], size: usize) {
        let mut h = vec![b' '; 60];
        h[..name.len().min(16)].copy_from_slice(&name[..name.len().min(16)]);
        let fields = format!(
            "{:<12}{:<6}{:<6}{:<8o}{:<10}",
            1_700_000_000, 0, 0, 0o100644, size
        );
        h[16..58].copy_from_slice(fields.as_bytes());
        h[58..60].copy_from_slice(b"`\n");
        out.extend_from_slice(&h);
    }

    fn body(out: &mut Vec<u8>, data: &[u8]) {
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }

    /// The archive.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = b"!<arch>\n".to_vec();
        if self.symbols {
            Self::header(&mut out, b"/", 8);
            Self::body(&mut out, &[0, 0, 0, 1, 0, 0, 0, 0x44]);
        }
        let mut table = Vec::new();
        let mut names = Vec::new();
        for (name, _) in &self.members {
            match self.style {
                ArStyle::Gnu if name.len() > 15 => {
                    names.push(format!("/{}", table.len()).into_bytes());
                    table.extend_from_slice(name);
                    table.extend_from_slice(b"/\n");
                }
                ArStyle::Gnu => names.push([&name[..], b"/"].concat()),
                ArStyle::Bsd => names.push(name.clone()),
            }
        }
        if !table.is_empty() {
            Self::header(&mut out, b"//", table.len());
            Self::body(&mut out, &table);
        }
        for ((name, data), header_name) in self.members.iter().zip(names) {
            let bsd_long = self.style == ArStyle::Bsd
                && (name.len() > 16 || name.contains(&b' '))
                && !name.starts_with(b"__.SYMDEF");
            if bsd_long {
                Self::header(
                    &mut out,
                    format!("#1/{}", name.len()).as_bytes(),
                    name.len() + data.len(),
                );
                Self::body(&mut out, &[&name[..], data].concat());
            } else {
                Self::header(&mut out, &header_name, data.len());
                Self::body(&mut out, data);
            }
        }
        out
    }
}

/// One romfs object of a [`RomfsBuilder`].
struct RomfsNode {
    name: Vec<u8>,
    /// romfs type (0 hard link, 1 dir, 2 file, 3 symlink, 4 block, 5 char, 6 socket, 7 fifo).
    kind: u32,
    exec: bool,
    /// Device numbers, or the target id of a hard link.
    spec: u32,
    data: Vec<u8>,
    children: Vec<usize>,
}

/// A romfs writer laid out like `genromfs`: each directory's chain (`.`, `..`, children) is
/// contiguous, subdirectories follow. Object 0 is the root directory.
pub struct RomfsBuilder {
    nodes: Vec<RomfsNode>,
    offsets: Vec<usize>,
}

impl Default for RomfsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl RomfsBuilder {
    /// An empty filesystem.
    pub fn new() -> RomfsBuilder {
        RomfsBuilder {
            nodes: vec![RomfsNode {
                name: Vec::new(),
                kind: 1,
                exec: true,
                spec: 0,
                data: Vec::new(),
                children: Vec::new(),
            }],
            offsets: Vec::new(),
        }
    }

    fn add(
        &mut self,
        parent: usize,
        name: &[u8],
        kind: u32,
        exec: bool,
        spec: u32,
        data: &[u8],
    ) -> usize {
        self.nodes.push(RomfsNode {
            name: name.to_vec(),
            kind,
            exec,
            spec,
            data: data.to_vec(),
            children: Vec::new(),
        });
        let id = self.nodes.len() - 1;
        self.nodes[parent].children.push(id);
        id
    }

    /// A directory in `parent`.
    pub fn dir(&mut self, parent: usize, name: &[u8]) -> usize {
        self.add(parent, name, 1, true, 0, b"")
    }

    /// A regular file.
    pub fn file(&mut self, parent: usize, name: &[u8], data: &[u8], exec: bool) -> usize {
        self.add(parent, name, 2, exec, 0, data)
    }

    /// A symlink.
    pub fn symlink(&mut self, parent: usize, name: &[u8], target: &[u8]) -> usize {
        self.add(parent, name, 3, false, 0, target)
    }

    /// A hard link to object `target`.
    pub fn hardlink(&mut self, parent: usize, name: &[u8], target: usize) -> usize {
        self.add(parent, name, 0, false, target as u32, b"")
    }

    /// A block (`kind` 4) or character (`kind` 5) device.
    pub fn device(
        &mut self,
        parent: usize,
        name: &[u8],
        kind: u32,
        major: u32,
        minor: u32,
    ) -> usize {
        self.add(parent, name, kind, false, (major << 16) | minor, b"")
    }

    /// A socket (`kind` 6) or FIFO (`kind` 7).
    pub fn special(&mut self, parent: usize, name: &[u8], kind: u32) -> usize {
        self.add(parent, name, kind, false, 0, b"")
    }

    fn header_len(name: &[u8]) -> usize {
        16 + (name.len() + 1).next_multiple_of(16)
    }

    fn header(out: &mut [u8], at: usize, next: u32, spec: u32, size: u32, name: &[u8]) {
        let len = Self::header_len(name);
        let h = &mut out[at..at + len];
        h.fill(0);
        h[0..4].copy_from_slice(&next.to_be_bytes());
        h[4..8].copy_from_slice(&spec.to_be_bytes());
        h[8..12].copy_from_slice(&size.to_be_bytes());
        h[16..16 + name.len()].copy_from_slice(name);
        Self::fix_checksum(h, 12);
    }

    fn word_sum(bytes: &[u8]) -> u32 {
        bytes.chunks(4).fold(0u32, |s, w| {
            let mut p = [0u8; 4];
            p[..w.len()].copy_from_slice(w);
            s.wrapping_add(u32::from_be_bytes(p))
        })
    }

    fn fix_checksum(block: &mut [u8], field: usize) {
        block[field..field + 4].fill(0);
        let sum = Self::word_sum(block);
        block[field..field + 4].copy_from_slice(&0u32.wrapping_sub(sum).to_be_bytes());
    }

    /// The image, padded with zeros to 1 KiB as genromfs does.
    pub fn finish(&mut self) -> Vec<u8> {
        let volume = b"rom test";
        let first = 16 + (volume.len() + 1).next_multiple_of(16);
        // Layout: (object id or usize::MAX - k for "." and ".." of dir k), offset.
        self.offsets = vec![0; self.nodes.len()];
        let mut chains: Vec<(usize, Vec<(usize, usize)>)> = Vec::new();
        let mut pos = first;
        let mut queue = vec![0usize];
        let mut dot_offsets = vec![0usize; self.nodes.len()];
        while let Some(dir) = queue.pop() {
            let mut chain = Vec::new();
            dot_offsets[dir] = pos;
            chain.push((usize::MAX, pos));
            pos += Self::header_len(b".");
            chain.push((usize::MAX - 1, pos));
            pos += Self::header_len(b"..");
            for &child in &self.nodes[dir].children {
                self.offsets[child] = pos;
                chain.push((child, pos));
                let node = &self.nodes[child];
                pos += Self::header_len(&node.name) + node.data.len().next_multiple_of(16);
            }
            for &child in self.nodes[dir].children.iter().rev() {
                if self.nodes[child].kind == 1 {
                    queue.push(child);
                }
            }
            chains.push((dir, chain));
        }
        let size = pos;
        let mut out = vec![0u8; size.next_multiple_of(1024)];
        let parent_of = |id: usize, nodes: &[RomfsNode]| {
            nodes
                .iter()
                .position(|n| n.children.contains(&id))
                .unwrap_or(0)
        };
        for (dir, chain) in &chains {
            for (i, &(id, at)) in chain.iter().enumerate() {
                let next = chain.get(i + 1).map_or(0, |&(_, o)| o as u32);
                match id {
                    usize::MAX => Self::header(&mut out, at, next, at as u32, 0, b"."),
                    x if x == usize::MAX - 1 => {
                        let parent = parent_of(*dir, &self.nodes);
                        Self::header(&mut out, at, next, dot_offsets[parent] as u32, 0, b"..")
                    }
                    _ => {
                        let node = &self.nodes[id];
                        let spec = match node.kind {
                            0 => self.offsets[node.spec as usize] as u32,
                            1 => dot_offsets[id] as u32,
                            _ => node.spec,
                        };
                        let flags = node.kind | if node.exec { 8 } else { 0 };
                        Self::header(
                            &mut out,
                            at,
                            next | flags,
                            spec,
                            node.data.len() as u32,
                            &node.name,
                        );
                        let data_at = at + Self::header_len(&node.name);
                        out[data_at..data_at + node.data.len()].copy_from_slice(&node.data);
                    }
                }
            }
        }
        out[0..8].copy_from_slice(b"-rom1fs-");
        out[8..12].copy_from_slice(&(size as u32).to_be_bytes());
        out[16..16 + volume.len()].copy_from_slice(volume);
        let head = size.min(512);
        Self::fix_checksum(&mut out[..head], 12);
        out
    }

    /// Recomputes the superblock checksum of an edited image.
    pub fn reseal(data: &mut [u8]) {
        let size = u32::from_be_bytes(data[8..12].try_into().unwrap()) as usize;
        let head = size.min(512).min(data.len());
        Self::fix_checksum(&mut data[..head], 12);
    }

    /// Rewrites the `spec.info` of object `id` in a finished image (checksums fixed).
    pub fn patch_spec(&self, data: &mut [u8], id: usize, spec: u32) {
        let at = self.offsets[id];
        data[at + 4..at + 8].copy_from_slice(&spec.to_be_bytes());
        let len = Self::header_len(&self.nodes[id].name);
        Self::fix_checksum(&mut data[at..at + len], 12);
        Self::reseal(data);
    }
}

/// A YAFFS2 image writer in the layout of `mkyaffs2image`: each object is a header chunk
/// followed by its data chunks, packed tags (sequence, object id, chunk id, byte count) at
/// `tag_offset` of each spare area. Object ids start at 257; the root is 1.
pub struct Yaffs2Builder {
    page: usize,
    spare: usize,
    tag_offset: usize,
    big: bool,
    seq: u32,
    next_id: u32,
    out: Vec<u8>,
}

impl Yaffs2Builder {
    /// An empty image with this geometry and byte order.
    pub fn new(page: usize, spare: usize, tag_offset: usize, big: bool) -> Yaffs2Builder {
        Yaffs2Builder {
            page,
            spare,
            tag_offset,
            big,
            seq: 0x1000,
            next_id: 257,
            out: Vec::new(),
        }
    }

    fn word(&self, value: u32) -> [u8; 4] {
        if self.big {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    /// Writes one chunk: `page` bytes (padded with 0xff) and tags.
    pub fn chunk(&mut self, data: &[u8], obj: u32, chunk: u32, n_bytes: u32) {
        let mut page = vec![0xffu8; self.page];
        page[..data.len()].copy_from_slice(data);
        self.out.extend_from_slice(&page);
        let mut spare = vec![0xffu8; self.spare];
        let t = self.tag_offset;
        for (i, value) in [self.seq, obj, chunk, n_bytes].into_iter().enumerate() {
            spare[t + 4 * i..t + 4 * i + 4].copy_from_slice(&self.word(value));
        }
        self.out.extend_from_slice(&spare);
    }

    /// Writes an object header for `id`.
    #[allow(clippy::too_many_arguments)]
    pub fn header(
        &mut self,
        id: u32,
        kind: u32,
        parent: u32,
        name: &[u8],
        mode: u32,
        size: u32,
        equiv: u32,
        alias: &[u8],
        rdev: u32,
    ) {
        let mut h = vec![0xffu8; 512];
        h[0..4].copy_from_slice(&self.word(kind));
        h[4..8].copy_from_slice(&self.word(parent));
        h[10..266].fill(0);
        h[10..10 + name.len()].copy_from_slice(name);
        let fields = [
            (0x10c, mode),
            (0x110, 1000),
            (0x114, 1000),
            (0x118, 1_700_000_000),
            (0x11c, 1_700_000_001),
            (0x120, 1_700_000_002),
            (0x124, size),
            (0x128, equiv),
            (0x1cc, rdev),
        ];
        for (at, value) in fields {
            h[at..at + 4].copy_from_slice(&self.word(value));
        }
        h[0x12c..0x12c + 160].fill(0);
        h[0x12c..0x12c + alias.len()].copy_from_slice(alias);
        self.chunk(&h, id, 0, 0xffff);
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// A directory.
    pub fn dir(&mut self, parent: u32, name: &[u8], mode: u32) -> u32 {
        let id = self.id();
        self.header(id, 3, parent, name, 0o040000 | mode, 0, 0, b"", 0);
        id
    }

    /// A regular file with its data chunks.
    pub fn file(&mut self, parent: u32, name: &[u8], data: &[u8], mode: u32) -> u32 {
        let id = self.id();
        self.rewrite_file(id, parent, name, data, mode);
        id
    }

    /// Writes object `id` again as a file (header and data) with the current sequence.
    pub fn rewrite_file(&mut self, id: u32, parent: u32, name: &[u8], data: &[u8], mode: u32) {
        self.header(
            id,
            1,
            parent,
            name,
            0o100000 | mode,
            data.len() as u32,
            0,
            b"",
            0,
        );
        for (i, part) in data.chunks(self.page).enumerate() {
            self.chunk(part, id, i as u32 + 1, part.len() as u32);
        }
    }

    /// Writes directory `id` again with a new parent.
    pub fn rewrite_dir(&mut self, id: u32, parent: u32, name: &[u8]) {
        self.header(id, 3, parent, name, 0o040755, 0, 0, b"", 0);
    }

    /// A symlink.
    pub fn symlink(&mut self, parent: u32, name: &[u8], target: &[u8]) -> u32 {
        let id = self.id();
        self.header(id, 2, parent, name, 0o120777, 0, 0, target, 0);
        id
    }

    /// A hard link to object `target`.
    pub fn hardlink(&mut self, parent: u32, name: &[u8], target: u32) -> u32 {
        let id = self.id();
        self.header(id, 4, parent, name, 0, 0, target, b"", 0);
        id
    }

    /// A special file (`mode` with its type bits, `rdev` in glibc encoding).
    pub fn special(&mut self, parent: u32, name: &[u8], mode: u32, rdev: u32) -> u32 {
        let id = self.id();
        self.header(id, 5, parent, name, mode, 0, 0, b"", rdev);
        id
    }

    /// Later chunks get a higher sequence number (as if written to a newer block).
    pub fn next_sequence(&mut self) {
        self.seq += 1;
    }

    /// The image.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// One member for a [`ZipBuilder`].
#[derive(Debug, Clone, Default)]
pub struct ZipEntry {
    /// Name as stored.
    pub name: Vec<u8>,
    /// Uncompressed content.
    pub data: Vec<u8>,
    /// 0 stored, 8 deflate, 12 bzip2, 14 lzma, 93 zstd, 95 xz.
    pub method: u16,
    /// Unix mode (type and permissions): the archive is then "made on Unix".
    pub unix_mode: Option<u32>,
    /// Sizes and CRC in a data descriptor after the data (zero in the local header).
    pub descriptor: bool,
    /// Sets the encryption flag (the data is not actually encrypted).
    pub encrypted: bool,
}

/// A ZIP writer that emits records exactly as asked.
#[derive(Default)]
pub struct ZipBuilder {
    out: Vec<u8>,
    central: Vec<Vec<u8>>,
    /// Offset of each member's local header.
    pub offsets: Vec<usize>,
}

impl ZipBuilder {
    /// An empty archive.
    pub fn new() -> ZipBuilder {
        ZipBuilder::default()
    }

    fn compress(method: u16, data: &[u8]) -> Vec<u8> {
        match method {
            0 => data.to_vec(),
            8 => {
                let mut enc =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
                enc.write_all(data).unwrap();
                enc.finish().unwrap()
            }
            12 => bzip2(data),
            14 => {
                let alone = lzma_alone(data, true);
                let mut out = vec![9, 20, 5, 0];
                out.extend_from_slice(&alone[..5]);
                out.extend_from_slice(&alone[13..]);
                out
            }
            93 => zstd(data),
            95 => xz(data),
            other => panic!("method {other}"),
        }
    }

    /// A member.
    pub fn entry(&mut self, e: &ZipEntry) -> &mut ZipBuilder {
        let packed = Self::compress(e.method, &e.data);
        let crc = crc32fast::hash(&e.data);
        let offset = self.out.len();
        self.offsets.push(offset);
        let flags: u16 = if e.descriptor { 8 } else { 0 } | if e.encrypted { 1 } else { 0 };
        let (time, date) = (0x6000u16, 0x5779u16); // 2023-11-25 12:00:00
        let mut extra = vec![0x55, 0x54, 5, 0, 1];
        extra.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        let (lcrc, lc, lu) = if e.descriptor {
            (0, 0, 0)
        } else {
            (crc, packed.len() as u32, e.data.len() as u32)
        };
        let mut local = b"PK\x03\x04".to_vec();
        for v in [20u16, flags, e.method, time, date] {
            local.extend_from_slice(&v.to_le_bytes());
        }
        for v in [lcrc, lc, lu] {
            local.extend_from_slice(&v.to_le_bytes());
        }
        local.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        local.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        local.extend_from_slice(&e.name);
        local.extend_from_slice(&extra);
        self.out.extend_from_slice(&local);
        self.out.extend_from_slice(&packed);
        if e.descriptor {
            self.out.extend_from_slice(b"PK\x07\x08");
            for v in [crc, packed.len() as u32, e.data.len() as u32] {
                self.out.extend_from_slice(&v.to_le_bytes());
            }
        }
        let made_by: u16 = if e.unix_mode.is_some() {
            0x031e
        } else {
            0x0014
        };
        let external = e.unix_mode.map_or(0, |m| m << 16);
        let mut c = b"PK\x01\x02".to_vec();
        for v in [made_by, 20, flags, e.method, time, date] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, packed.len() as u32, e.data.len() as u32] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        for v in [e.name.len() as u16, extra.len() as u16, 0, 0, 0] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        c.extend_from_slice(&external.to_le_bytes());
        c.extend_from_slice(&(offset as u32).to_le_bytes());
        c.extend_from_slice(&e.name);
        c.extend_from_slice(&extra);
        self.central.push(c);
        self
    }

    /// A deflated file, mode 0644.
    pub fn file(&mut self, name: &[u8], data: &[u8]) -> &mut ZipBuilder {
        self.entry(&ZipEntry {
            name: name.to_vec(),
            data: data.to_vec(),
            method: 8,
            unix_mode: Some(0o100644),
            ..ZipEntry::default()
        })
    }

    /// A stored file, made on DOS (no Unix mode).
    pub fn stored(&mut self, name: &[u8], data: &[u8]) -> &mut ZipBuilder {
        self.entry(&ZipEntry {
            name: name.to_vec(),
            data: data.to_vec(),
            ..ZipEntry::default()
        })
    }

    /// A directory (`name` should end with `/`).
    pub fn dir(&mut self, name: &[u8]) -> &mut ZipBuilder {
        self.entry(&ZipEntry {
            name: name.to_vec(),
            unix_mode: Some(0o040755),
            ..ZipEntry::default()
        })
    }

    /// A Unix symlink (the target is the stored content).
    pub fn symlink(&mut self, name: &[u8], target: &[u8]) -> &mut ZipBuilder {
        self.entry(&ZipEntry {
            name: name.to_vec(),
            data: target.to_vec(),
            unix_mode: Some(0o120777),
            ..ZipEntry::default()
        })
    }

    /// Another directory record for member `index` under a new name (same local header).
    pub fn alias(&mut self, index: usize, name: &[u8]) -> &mut ZipBuilder {
        let mut c = self.central[index].clone();
        let old_len = u16::from_le_bytes([c[28], c[29]]) as usize;
        c.splice(46..46 + old_len, name.iter().copied());
        c[28..30].copy_from_slice(&(name.len() as u16).to_le_bytes());
        self.central.push(c);
        self
    }

    /// The bytes written so far (local entries only).
    pub fn local_bytes(&self) -> &[u8] {
        &self.out
    }

    /// The archive with its central directory and end record (and `comment`).
    pub fn finish_with(&mut self, comment: &[u8], zip64: bool) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.out);
        let cd_offset = out.len();
        for c in &self.central {
            out.extend_from_slice(c);
        }
        let cd_size = out.len() - cd_offset;
        let count = self.central.len();
        if zip64 {
            let end64 = out.len();
            out.extend_from_slice(b"PK\x06\x06");
            out.extend_from_slice(&44u64.to_le_bytes());
            out.extend_from_slice(&[45, 3, 45, 0]);
            out.extend_from_slice(&[0; 8]);
            for v in [count as u64, count as u64, cd_size as u64, cd_offset as u64] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(b"PK\x06\x07");
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(end64 as u64).to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
        }
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        let (n, size, off) = if zip64 {
            (0xffffu16, u32::MAX, u32::MAX)
        } else {
            (count as u16, cd_size as u32, cd_offset as u32)
        };
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        out.extend_from_slice(comment);
        out
    }

    /// The archive.
    pub fn finish(&mut self) -> Vec<u8> {
        self.finish_with(b"", false)
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

    /// An inode written exactly as given (see [`CramfsEntry::Raw`]).
    pub fn raw(name: &[u8], mode: u32, size: u32, offset: u32) -> CramfsEntry {
        CramfsEntry::Raw {
            name: name.to_vec(),
            mode,
            size,
            offset,
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
