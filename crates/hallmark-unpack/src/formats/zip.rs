//! ZIP archives (PKWARE APPNOTE), including ZIP64, data descriptors, self-extracting and
//! embedded archives, and APK/JAR-style archives with a signing block before the central
//! directory. Our own parser: the `zip` crate needs a newer Rust, and we want our own limits
//! and path handling.
//!
//! # How an archive is read
//!
//! The candidate starts at a local file header (`PK\3\4`). The local headers are walked to
//! reach the central directory: an entry's data is skipped by its compressed size, or, with a
//! data descriptor and no size in the local header, up to the descriptor whose size matches
//! (signed or not, 32- or 64-bit sizes). Unknown bytes after the entries (a signing block) are
//! skipped up to the next central directory signature. The central directory entries, the
//! ZIP64 end record and locator, and the end-of-central-directory record follow; counts and
//! sizes are cross-checked. The directory is then authoritative: each entry's local header is
//! read at its recorded offset (shifted when an archive was prefixed without adjusting them,
//! as `cat sfx.exe a.zip` does), its name and sizes compared with the directory's (mismatches
//! are recorded), and its data decoded. The extent runs from the first local header to the end
//! of the archive comment. A directory cut before its end record is still used. When no
//! central directory is reached (a truncated archive) the entries walked are recovered from
//! their local headers alone, and that is recorded; such a candidate needs two well-formed
//! entries in a row, or one with a printable name and a known method, so that a stray `PK\3\4`
//! in other data is not taken for an archive.
//!
//! Every step of the walk moves forward, and searches stop at the next local header, so the
//! cost of a candidate is bounded by the bytes it claims (or by the distance to the next
//! candidate): no quadratic scan, no loop.
//!
//! # Entries
//!
//! Methods: stored (content is a range of the archive, no copy), deflate, bzip2, LZMA (with or
//! without end marker), zstd (93, and the early 20), xz (95). Decompression goes through the
//! bounded decode pump, so each entry is subject to the per-file limit, the total output
//! budget, the time limit and the compression-ratio limit (a deflate bomb stops at the ratio
//! floor). Sizes and CRC-32 are checked after decoding. Other methods (deflate64, PPMd,
//! implode, ...) are recorded as errors. Encrypted entries (traditional PKWARE, strong
//! encryption or AES) are not decrypted: each becomes a file node with empty content and an
//! error naming it.
//!
//! Unix archives: the mode comes from the external attributes when the archive was made on
//! Unix (or macOS); a symlink (`S_IFLNK`) becomes a symlink whose target is the entry's
//! content. mtime comes from the extended-timestamp extra field when present, else from the DOS
//! date and time (taken as UTC); uid and gid from the Info-ZIP Unix extra fields. Names made on
//! other systems have `\` turned into `/`. Names then go through the file tree's rules (`..`,
//! absolute paths, symlink-then-write are neutralised there).
//!
//! # Hostile archives
//!
//! Entries whose local header and data overlap another entry's (the overlapping-entries zip
//! bomb, or a directory listing one local header many times) are skipped with an error; only
//! the first is read. Nested archives (42.zip) are handled by the driver's depth, entry and
//! byte limits. The number of directory entries read is bounded by the entries left in the
//! budget, whatever the end record claims.

use std::collections::BTreeSet;
use std::io::Read;

use crate::blob::Blob;
use crate::bytes::{array, le16, le32, le64, to_u64, to_usize};
use crate::decode::{Flow, Tracked, pump};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::mode::{S_IFDIR, S_IFLNK, S_IFMT};
use crate::limits::LimitKind;
use crate::tree::{Entry, FileTree, escape_path};

/// ZIP archives.
pub(crate) struct ZipFormat;

const LOCAL: [u8; 4] = *b"PK\x03\x04";
const CENTRAL: [u8; 4] = *b"PK\x01\x02";
const END: [u8; 4] = *b"PK\x05\x06";
const END64: [u8; 4] = *b"PK\x06\x06";
const LOCATOR64: [u8; 4] = *b"PK\x06\x07";
const DESCRIPTOR: [u8; 4] = *b"PK\x07\x08";

const MAGICS: &[Magic] = &[Magic::at_start(&LOCAL)];

const LOCAL_LEN: usize = 30;
const CENTRAL_LEN: usize = 46;
const END_LEN: usize = 22;
const LOCATOR64_LEN: usize = 20;

/// Longest symlink target read.
const MAX_LINK: usize = 4096;

/// Largest LZMA dictionary accepted (as for blocks: the decoder allocates it up front).
const LZMA_DICT_MAX: u32 = 64 << 20;

/// zstd window limit (as for zstd streams).
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

const FLAG_ENCRYPTED: u16 = 0x0001;
const FLAG_LZMA_EOS: u16 = 0x0002;
const FLAG_DESCRIPTOR: u16 = 0x0008;
const FLAG_STRONG_ENCRYPTION: u16 = 0x0040;

const HOST_UNIX: u8 = 3;
const HOST_OSX: u8 = 19;

/// The extra field record `id`, if present.
fn extra_field(extra: &[u8], id: u16) -> Option<&[u8]> {
    let mut pos = 0usize;
    while let (Some(tag), Some(len)) = (le16(extra, pos), le16(extra, pos.saturating_add(2))) {
        let start = pos.checked_add(4)?;
        let end = start.checked_add(usize::from(len))?;
        let body = extra.get(start..end)?;
        if tag == id {
            return Some(body);
        }
        pos = end;
    }
    None
}

/// A local file header.
#[derive(Debug, Clone)]
struct LocalHeader {
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    name: Vec<u8>,
    /// Whether ZIP64 sizes were given (and so descriptors use 64-bit sizes).
    zip64: bool,
    /// Offset of the data from the header's start.
    data_offset: usize,
}

fn local_header(data: &[u8], pos: usize) -> Option<LocalHeader> {
    if array::<4>(data, pos)? != LOCAL {
        return None;
    }
    let field16 = |at: usize| le16(data, pos.checked_add(at)?);
    let field32 = |at: usize| le32(data, pos.checked_add(at)?);
    let version = field16(4)?;
    if version & 0xff > 100 {
        return None;
    }
    let name_len = usize::from(field16(26)?);
    let extra_len = usize::from(field16(28)?);
    let name_start = pos.checked_add(LOCAL_LEN)?;
    let name = data.get(name_start..name_start.checked_add(name_len)?)?;
    let extra_start = name_start.checked_add(name_len)?;
    let extra = data
        .get(extra_start..extra_start.checked_add(extra_len)?)
        .unwrap_or(&[]);
    let mut csize = u64::from(field32(18)?);
    let mut usize = u64::from(field32(22)?);
    let mut zip64 = false;
    if let Some(z) = extra_field(extra, 0x0001) {
        if let (Some(u), Some(c)) = (le64(z, 0), le64(z, 8)) {
            zip64 = true;
            if usize == u64::from(u32::MAX) {
                usize = u;
            }
            if csize == u64::from(u32::MAX) {
                csize = c;
            }
        }
    }
    Some(LocalHeader {
        flags: field16(6)?,
        method: field16(8)?,
        crc: field32(14)?,
        csize,
        usize,
        name: name.to_vec(),
        zip64,
        data_offset: LOCAL_LEN.checked_add(name_len)?.checked_add(extra_len)?,
    })
}

/// A central directory entry.
#[derive(Debug, Clone)]
struct CentralEntry {
    made_by: u16,
    flags: u16,
    method: u16,
    time: u16,
    date: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    disk: u32,
    external: u32,
    offset: u64,
    name: Vec<u8>,
    extra: Vec<u8>,
    /// Offset of this record in the archive (for error messages).
    at: usize,
}

/// Parses the central directory record at `pos`; returns it and its length.
fn central_entry(data: &[u8], pos: usize) -> Option<(CentralEntry, usize)> {
    if array::<4>(data, pos)? != CENTRAL {
        return None;
    }
    let field16 = |at: usize| le16(data, pos.checked_add(at)?);
    let field32 = |at: usize| le32(data, pos.checked_add(at)?);
    let name_len = usize::from(field16(28)?);
    let extra_len = usize::from(field16(30)?);
    let comment_len = usize::from(field16(32)?);
    let name_start = pos.checked_add(CENTRAL_LEN)?;
    let extra_start = name_start.checked_add(name_len)?;
    let end = extra_start
        .checked_add(extra_len)?
        .checked_add(comment_len)?;
    if end > data.len() {
        return None;
    }
    let name = data.get(name_start..extra_start)?;
    let extra = data.get(extra_start..extra_start.checked_add(extra_len)?)?;
    let mut entry = CentralEntry {
        made_by: field16(4)?,
        flags: field16(8)?,
        method: field16(10)?,
        time: field16(12)?,
        date: field16(14)?,
        crc: field32(16)?,
        csize: u64::from(field32(20)?),
        usize: u64::from(field32(24)?),
        disk: u32::from(field16(34)?),
        external: field32(38)?,
        offset: u64::from(field32(42)?),
        name: name.to_vec(),
        extra: extra.to_vec(),
        at: pos,
    };
    if let Some(z) = extra_field(extra, 0x0001) {
        // Only the fields saturated in the record are present, in this order.
        let mut at = 0usize;
        let mut next = |value: &mut u64| {
            if *value == u64::from(u32::MAX) {
                if let Some(v) = le64(z, at) {
                    *value = v;
                }
                at = at.saturating_add(8);
            }
        };
        next(&mut entry.usize);
        next(&mut entry.csize);
        next(&mut entry.offset);
        if entry.disk == u32::from(u16::MAX) {
            if let Some(d) = le32(z, at) {
                entry.disk = d;
            }
        }
    }
    Some((entry, end.checked_sub(pos)?))
}

/// The next signature after `from` among local, central, end, ZIP64 end and descriptor.
fn next_signature(data: &[u8], from: usize) -> Option<(usize, [u8; 4])> {
    let rest = data.get(from..)?;
    for hit in memchr::memmem::find_iter(rest, b"PK") {
        let pos = from.checked_add(hit)?;
        let sig = array::<4>(data, pos)?;
        if [LOCAL, CENTRAL, END, END64, DESCRIPTOR].contains(&sig) {
            return Some((pos, sig));
        }
    }
    None
}

/// Where the data of a local entry with a data descriptor and no size ends: `(data end, next
/// header)`.
fn descriptor_end(data: &[u8], data_start: usize, zip64: bool) -> Option<(usize, usize)> {
    let mut from = data_start;
    loop {
        let (pos, sig) = next_signature(data, from)?;
        if sig == DESCRIPTOR {
            let csize = if zip64 {
                le64(data, pos.checked_add(8)?)
            } else {
                le32(data, pos.checked_add(8)?).map(u64::from)
            };
            if csize == Some(to_u64(pos.checked_sub(data_start)?)) {
                let len = if zip64 { 24 } else { 16 };
                return Some((pos, pos.checked_add(len)?));
            }
            from = pos.checked_add(1)?;
            continue;
        }
        // A header right after a descriptor without its signature.
        let len = if zip64 { 20 } else { 12 };
        let desc = pos.checked_sub(len)?;
        if desc >= data_start {
            let csize = if zip64 {
                le64(data, desc.checked_add(4)?)
            } else {
                le32(data, desc.checked_add(4)?).map(u64::from)
            };
            if csize == Some(to_u64(desc.checked_sub(data_start)?)) {
                return Some((desc, pos));
            }
        }
        // The data cannot be delimited before the next header: stop there.
        return None;
    }
}

/// Whether a local header looks written by a zip tool (for archives without a directory).
fn plausible(header: &LocalHeader) -> bool {
    !header.name.is_empty()
        && !header.name.iter().any(|&b| b < 0x20)
        && matches!(header.method, 0 | 8 | 12 | 14 | 20 | 93 | 95 | 99)
}

/// One local entry found by the walk.
#[derive(Debug, Clone)]
struct Walked {
    pos: usize,
    header: LocalHeader,
    data_end: usize,
}

/// The end records after the central directory.
#[derive(Debug, Default)]
struct EndRecord {
    entries: u64,
    cd_size: u64,
    cd_offset: u64,
    end: usize,
    zip64: bool,
    multi_disk: bool,
}

fn end_records(data: &[u8], mut pos: usize, cx: &mut Context<'_>) -> Option<EndRecord> {
    let mut record = EndRecord::default();
    let mut have64 = false;
    if array::<4>(data, pos) == Some(END64) {
        let size = le64(data, pos.saturating_add(4))?;
        record.entries = le64(data, pos.saturating_add(32))?;
        record.cd_size = le64(data, pos.saturating_add(40))?;
        record.cd_offset = le64(data, pos.saturating_add(48))?;
        record.multi_disk =
            le32(data, pos.saturating_add(16))? != 0 || le32(data, pos.saturating_add(20))? != 0;
        record.zip64 = true;
        have64 = true;
        pos = pos.checked_add(12)?.checked_add(to_usize(size))?;
    }
    if array::<4>(data, pos) == Some(LOCATOR64) {
        pos = pos.checked_add(LOCATOR64_LEN)?;
    }
    if array::<4>(data, pos) != Some(END) {
        return None;
    }
    let disk = le16(data, pos.saturating_add(4))?;
    let cd_disk = le16(data, pos.saturating_add(6))?;
    let entries = le16(data, pos.saturating_add(10))?;
    let cd_size = le32(data, pos.saturating_add(12))?;
    let cd_offset = le32(data, pos.saturating_add(16))?;
    let comment = usize::from(le16(data, pos.saturating_add(20))?);
    if !have64 {
        record.entries = u64::from(entries);
        record.cd_size = u64::from(cd_size);
        record.cd_offset = u64::from(cd_offset);
        record.multi_disk = disk != 0 || cd_disk != 0;
    } else {
        // ZIP64 values stand only where the classic record is saturated.
        if entries != u16::MAX {
            record.entries = u64::from(entries);
        }
        if cd_size != u32::MAX {
            record.cd_size = u64::from(cd_size);
        }
        if cd_offset != u32::MAX {
            record.cd_offset = u64::from(cd_offset);
        }
    }
    let end = pos.checked_add(END_LEN)?.checked_add(comment)?;
    if end > data.len() {
        cx.error(
            to_u64(pos),
            format!(
                "archive comment truncated: {} of {comment} bytes present",
                data.len().saturating_sub(pos.saturating_add(END_LEN))
            ),
        );
    }
    record.end = end.min(data.len());
    Some(record)
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 {
        year.saturating_sub(1)
    } else {
        year
    };
    let era = y.div_euclid(400);
    let yoe = y.saturating_sub(era.saturating_mul(400));
    let mp = (month.saturating_add(9)).rem_euclid(12);
    let doy = (153i64.saturating_mul(mp).saturating_add(2))
        .div_euclid(5)
        .saturating_add(day)
        .saturating_sub(1);
    let doe = yoe
        .saturating_mul(365)
        .saturating_add(yoe.div_euclid(4))
        .saturating_sub(yoe.div_euclid(100))
        .saturating_add(doy);
    era.saturating_mul(146_097)
        .saturating_add(doe)
        .saturating_sub(719_468)
}

/// DOS date and time as Unix seconds (the zone is unknown: taken as UTC).
fn dos_time(date: u16, time: u16) -> i64 {
    let year = 1980i64.saturating_add(i64::from(date >> 9));
    let month = i64::from((date >> 5) & 0xf).clamp(1, 12);
    let day = i64::from(date & 0x1f).max(1);
    let seconds = i64::from(time >> 11)
        .saturating_mul(3600)
        .saturating_add(i64::from((time >> 5) & 0x3f).saturating_mul(60))
        .saturating_add(i64::from(time & 0x1f).saturating_mul(2));
    days_from_civil(year, month, day)
        .saturating_mul(86_400)
        .saturating_add(seconds)
}

/// mtime, uid and gid from the extra fields, when present.
fn unix_extras(extra: &[u8]) -> (Option<i64>, Option<(u32, u32)>) {
    let mut mtime = None;
    let mut owner = None;
    if let Some(ut) = extra_field(extra, 0x5455) {
        if ut.first().is_some_and(|flags| flags & 1 != 0) {
            mtime = le32(ut, 1).map(|t| i64::from(t as i32));
        }
    }
    if let Some(ux) = extra_field(extra, 0x7875) {
        let uid_len = usize::from(ux.get(1).copied().unwrap_or(0));
        let read = |start: usize, len: usize| -> Option<u32> {
            let bytes = ux.get(start..start.checked_add(len)?)?;
            if len > 4 {
                return None;
            }
            Some(
                bytes
                    .iter()
                    .rev()
                    .fold(0u32, |v, &b| (v << 8) | u32::from(b)),
            )
        };
        let uid = read(2, uid_len);
        let gid_len_at = 2usize.saturating_add(uid_len);
        let gid_len = usize::from(ux.get(gid_len_at).copied().unwrap_or(0));
        let gid = read(gid_len_at.saturating_add(1), gid_len);
        if ux.first() == Some(&1) {
            if let (Some(uid), Some(gid)) = (uid, gid) {
                owner = Some((uid, gid));
            }
        }
    } else if let Some(old) = extra_field(extra, 0x5855) {
        if let (Some(uid), Some(gid)) = (le16(old, 8), le16(old, 10)) {
            owner = Some((u32::from(uid), u32::from(gid)));
        }
        if mtime.is_none() {
            mtime = le32(old, 4).map(|t| i64::from(t as i32));
        }
    }
    (mtime, owner)
}

/// A decoder for `method` over the compressed bytes, or why there is none.
fn decoder<'a>(
    method: u16,
    flags: u16,
    usize: u64,
    input: Tracked<'a>,
    packed: &'a [u8],
) -> Result<Box<dyn Read + 'a>, String> {
    Ok(match method {
        8 => Box::new(flate2::bufread::DeflateDecoder::new(input)),
        12 => Box::new(bzip2::bufread::BzDecoder::new(input)),
        14 => {
            // Version (2 bytes), properties size (2 bytes), properties (props byte and
            // dictionary size), then raw LZMA.
            let props_len = usize::from(le16(packed, 2).ok_or("short LZMA header")?);
            let props = *packed.get(4).ok_or("short LZMA header")?;
            let dict = le32(packed, 5).ok_or("short LZMA header")?;
            if props_len != 5 || props >= 9 * 5 * 5 {
                return Err(format!("LZMA properties {props:#x} ({props_len} bytes)"));
            }
            if dict > LZMA_DICT_MAX {
                return Err(format!("LZMA dictionary of {dict} bytes"));
            }
            input.set_pos(9);
            let size = if flags & FLAG_LZMA_EOS != 0 {
                u64::MAX
            } else {
                usize
            };
            Box::new(
                lzma_rust2::LzmaReader::new_with_props(input, size, props, dict.max(4096), None)
                    .map_err(|e| format!("LZMA: {e}"))?,
            )
        }
        20 | 93 => {
            let mut d = zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| format!("zstd: {e}"))?
                .single_frame();
            d.window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(|e| format!("zstd: {e}"))?;
            Box::new(d)
        }
        95 => Box::new(lzma_rust2::XzReader::new_mem_limit(
            input,
            false,
            crate::formats::xz::MEM_LIMIT_KIB,
        )),
        other => return Err(format!("compression method {other} is not supported")),
    })
}

fn method_name(method: u16) -> &'static str {
    match method {
        0 => "stored",
        8 => "deflate",
        9 => "deflate64",
        12 => "bzip2",
        14 => "lzma",
        20 | 93 => "zstd",
        95 => "xz",
        98 => "ppmd",
        99 => "aes",
        _ => "other",
    }
}

/// What an entry is, from the directory (or a local header when there is no directory).
struct Member {
    name: Vec<u8>,
    made_by: u16,
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    external: u32,
    mtime: i64,
    owner: Option<(u32, u32)>,
    /// Local header position and data range in the candidate.
    local: usize,
    data_start: usize,
    data_end: usize,
    /// Whether the CRC and uncompressed size are known (not from a local header whose
    /// descriptor was not read).
    checks_known: bool,
}

impl Format for ZipFormat {
    fn id(&self) -> &'static str {
        "zip"
    }

    fn description(&self) -> &'static str {
        "ZIP archive (ZIP64, data descriptors; stored, deflate, bzip2, LZMA, zstd, xz)"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Archive
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        local_header(data, 0).is_some_and(|h| !h.name.is_empty() && h.method < 256)
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        if !self.probe(data) {
            return Err(Rejected::new("no local file header"));
        }
        let (walked, cd_start, walk_end) = walk(data, cx);
        let mut variant = "zip";
        let mut consumed = walk_end;
        let mut members = match cd_start {
            Some(cd) => match read_directory(data, cd, cx) {
                Some((directory, end)) => {
                    if end.zip64 {
                        variant = "zip64";
                    }
                    consumed = end.end;
                    directory
                }
                None => {
                    cx.error(
                        to_u64(cd),
                        "central directory unreadable: entries recovered from local headers",
                    );
                    variant = "local-headers";
                    from_local(&walked)
                }
            },
            None => {
                // Without a directory to confirm it, a local header alone must look like one
                // a zip writer made: a printable name and a method we know.
                // Two well-formed entries in a row are evidence enough.
                if walked.len() < 2 && !walked.first().is_some_and(|w| plausible(&w.header)) {
                    return Err(Rejected::new("no central directory and no plausible entry"));
                }
                cx.error(
                    to_u64(walk_end),
                    format!(
                        "no central directory: {} entries recovered from local headers",
                        walked.len()
                    ),
                );
                variant = "local-headers";
                from_local(&walked)
            }
        };
        let mut tree = cx.new_tree();
        add_members(data, &mut members, &mut tree, cx);
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: to_u64(consumed.max(1)),
            output: Output::Tree(tree),
            variant: Some(variant),
        })
    }
}

/// Walks the local entries from the start: the entries delimited, where the central directory
/// starts (if reached), and where the walk ended.
fn walk(data: &[u8], cx: &mut Context<'_>) -> (Vec<Walked>, Option<usize>, usize) {
    let mut walked = Vec::new();
    let mut pos = 0usize;
    loop {
        if walked.len() % 1024 == 1023 && cx.time_up("walking zip local headers") {
            return (walked, None, pos);
        }
        match array::<4>(data, pos) {
            Some(LOCAL) => {
                let Some(header) = local_header(data, pos) else {
                    cx.error(to_u64(pos), "truncated local header");
                    return (walked, None, pos);
                };
                let data_start = pos.saturating_add(header.data_offset);
                let known = header.csize != 0 || header.flags & FLAG_DESCRIPTOR == 0;
                let bounds = if known {
                    let end = data_start.saturating_add(to_usize(header.csize));
                    let next = if header.flags & FLAG_DESCRIPTOR != 0 {
                        let signed = array::<4>(data, end) == Some(DESCRIPTOR);
                        let len = match (signed, header.zip64) {
                            (true, true) => 24,
                            (true, false) => 16,
                            (false, true) => 20,
                            (false, false) => 12,
                        };
                        end.saturating_add(len)
                    } else {
                        end
                    };
                    (end <= data.len()).then_some((end, next))
                } else {
                    descriptor_end(data, data_start, header.zip64)
                };
                let Some((data_end, next)) = bounds else {
                    cx.error(
                        to_u64(pos),
                        format!(
                            "entry {}: data cannot be delimited (truncated archive?)",
                            escape_path(&header.name)
                        ),
                    );
                    return (walked, None, data.len().min(data_start).max(pos));
                };
                walked.push(Walked {
                    pos,
                    header,
                    data_end,
                });
                pos = next;
            }
            Some(CENTRAL) | Some(END) | Some(END64) => return (walked, Some(pos), pos),
            _ => {
                // Unknown bytes (a signing block) before the directory, or the end.
                match next_signature(data, pos) {
                    Some((found, sig)) if sig == CENTRAL || sig == END || sig == END64 => {
                        return (walked, Some(found), found);
                    }
                    _ => return (walked, None, pos.min(data.len())),
                }
            }
        }
    }
}

/// Reads the central directory at `cd` and the end records after it.
fn read_directory(
    data: &[u8],
    cd: usize,
    cx: &mut Context<'_>,
) -> Option<(Vec<Member>, EndRecord)> {
    let mut entries = Vec::new();
    let mut pos = cd;
    let cap = usize::try_from(cx.budget.remaining_entries()).unwrap_or(usize::MAX);
    while array::<4>(data, pos) == Some(CENTRAL) {
        let Some((entry, len)) = central_entry(data, pos) else {
            cx.error(to_u64(pos), "truncated central directory entry");
            break;
        };
        if entries.len() >= cap {
            cx.truncate(
                LimitKind::Entries,
                format!("central directory read up to {} entries", entries.len()),
            );
            // Skip the rest of the directory to find the end record.
            pos = pos.saturating_add(len);
            continue;
        }
        entries.push(entry);
        pos = pos.saturating_add(len);
        if entries.len() % 4096 == 0 && cx.time_up("reading the zip central directory") {
            break;
        }
    }
    let end = match end_records(data, pos, cx) {
        Some(end) => end,
        // A directory without its end record (a truncated archive): the directory is still
        // the best list of entries; offsets are taken as relative to the candidate.
        None if !entries.is_empty() => {
            cx.error(
                to_u64(pos),
                "no end of central directory record after the directory",
            );
            EndRecord {
                entries: to_u64(entries.len()),
                cd_size: to_u64(pos.saturating_sub(cd)),
                cd_offset: to_u64(cd),
                end: pos,
                ..EndRecord::default()
            }
        }
        None => return None,
    };
    if end.multi_disk {
        cx.error(to_u64(pos), "multi-disk archive: only this disk is read");
    }
    let walked_count = to_u64(entries.len());
    if end.entries != walked_count && cx.truncations.is_empty() {
        cx.error(
            to_u64(pos),
            format!(
                "end record counts {} entries, the directory holds {walked_count}",
                end.entries
            ),
        );
    }
    let cd_len = to_u64(pos.saturating_sub(cd));
    if end.cd_size != cd_len {
        cx.error(
            to_u64(pos),
            format!(
                "end record gives a directory of {} bytes, it is {cd_len}",
                end.cd_size
            ),
        );
    }
    // Offsets are relative to where the archive's writer thought it started.
    let base = i128::from(to_u64(cd)).saturating_sub(i128::from(end.cd_offset));
    let mut members = Vec::new();
    for entry in entries {
        let local = i128::from(entry.offset).saturating_add(base);
        let Some(local) = usize::try_from(local).ok().filter(|&l| l < data.len()) else {
            cx.error(
                to_u64(entry.at),
                format!(
                    "entry {}: local header offset {} outside the archive, skipped",
                    escape_path(&entry.name),
                    entry.offset
                ),
            );
            continue;
        };
        let Some(header) = local_header(data, local) else {
            cx.error(
                to_u64(entry.at),
                format!(
                    "entry {}: no local header at {local:#x}, skipped",
                    escape_path(&entry.name)
                ),
            );
            continue;
        };
        if header.name != entry.name {
            cx.error(
                to_u64(local),
                format!(
                    "entry {}: local header names it {}",
                    escape_path(&entry.name),
                    escape_path(&header.name)
                ),
            );
        }
        if header.flags & FLAG_DESCRIPTOR == 0
            && (header.csize != entry.csize
                || header.usize != entry.usize
                || header.crc != entry.crc
                || header.method != entry.method)
        {
            cx.error(
                to_u64(local),
                format!(
                    "entry {}: local header disagrees with the directory (method {}/{}, sizes {}/{} and {}/{})",
                    escape_path(&entry.name),
                    header.method,
                    entry.method,
                    header.csize,
                    entry.csize,
                    header.usize,
                    entry.usize
                ),
            );
        }
        let data_start = local.saturating_add(header.data_offset);
        let (mtime, owner) = unix_extras(&entry.extra);
        members.push(Member {
            mtime: mtime.unwrap_or_else(|| dos_time(entry.date, entry.time)),
            owner,
            name: entry.name,
            made_by: entry.made_by,
            flags: entry.flags,
            method: entry.method,
            crc: entry.crc,
            csize: entry.csize,
            usize: entry.usize,
            external: entry.external,
            local,
            data_start,
            data_end: data_start.saturating_add(to_usize(entry.csize)),
            checks_known: true,
        });
    }
    Some((members, end))
}

/// Members from walked local headers, when there is no directory.
fn from_local(walked: &[Walked]) -> Vec<Member> {
    walked
        .iter()
        .map(|w| {
            let data_start = w.pos.saturating_add(w.header.data_offset);
            let csize = to_u64(w.data_end.saturating_sub(data_start));
            Member {
                name: w.header.name.clone(),
                made_by: 0,
                flags: w.header.flags,
                method: w.header.method,
                crc: w.header.crc,
                csize,
                usize: w.header.usize,
                external: 0,
                mtime: 0,
                owner: None,
                local: w.pos,
                data_start,
                data_end: w.data_end,
                checks_known: w.header.flags & FLAG_DESCRIPTOR == 0,
            }
        })
        .collect()
}

/// Adds the members to the tree, skipping the ones that overlap an earlier one.
fn add_members(data: &Blob, members: &mut [Member], tree: &mut FileTree, cx: &mut Context<'_>) {
    // Overlap check in archive order.
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by_key(|&i| members.get(i).map_or(0, |m| m.local));
    let mut skip = BTreeSet::new();
    let mut covered_to = 0usize;
    let mut first = true;
    for &i in &order {
        let Some(m) = members.get(i) else { continue };
        if !first && m.local < covered_to {
            cx.error(
                to_u64(m.local),
                format!(
                    "entry {}: overlaps an earlier entry (a zip bomb?), skipped",
                    escape_path(&m.name)
                ),
            );
            skip.insert(i);
            continue;
        }
        first = false;
        covered_to = m.data_end.max(m.local.saturating_add(1));
    }
    for (i, m) in members.iter().enumerate() {
        if skip.contains(&i) {
            continue;
        }
        if cx.time_up("extracting zip entries") {
            break;
        }
        if !add_member(data, m, tree, cx) {
            break;
        }
    }
}

/// Adds one member; false when the tree is full.
fn add_member(data: &Blob, m: &Member, tree: &mut FileTree, cx: &mut Context<'_>) -> bool {
    let at = to_u64(m.local);
    let host = (m.made_by >> 8) as u8;
    let unix = host == HOST_UNIX || host == HOST_OSX;
    let mut name = m.name.clone();
    if !unix {
        for b in &mut name {
            if *b == b'\\' {
                *b = b'/';
            }
        }
    }
    let unix_mode = if unix { m.external >> 16 } else { 0 };
    let is_dir = name.ends_with(b"/") || unix_mode & S_IFMT == S_IFDIR || m.external & 0x10 != 0;
    let is_link = unix_mode & S_IFMT == S_IFLNK;
    let mode = if unix_mode & 0o7777 != 0 {
        unix_mode & 0o7777
    } else if is_dir {
        0o755
    } else {
        0o644
    };
    let finish = |entry: Entry| {
        let entry = entry.mode(mode).mtime(m.mtime);
        match m.owner {
            Some((uid, gid)) => entry.owner(uid, gid),
            None => entry,
        }
    };
    if is_dir {
        return cx.add(tree, finish(Entry::dir(&name)));
    }
    if m.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 || m.method == 99 {
        cx.error(
            at,
            format!(
                "entry {}: encrypted ({}), not decrypted: listed with no content",
                escape_path(&name),
                method_name(m.method)
            ),
        );
        return cx.add(tree, finish(Entry::file(&name, Blob::empty())));
    }
    let content = member_content(data, m, &name, is_link, cx);
    if is_link {
        let target = content.as_slice();
        if target.len() > MAX_LINK {
            cx.error(
                at,
                format!(
                    "entry {}: symlink target too long, skipped",
                    escape_path(&name)
                ),
            );
            return true;
        }
        return cx.add(tree, finish(Entry::symlink(&name, target)));
    }
    cx.add(tree, finish(Entry::file(&name, content)))
}

/// The decoded content of a member (what decoded, when damaged).
fn member_content(
    data: &Blob,
    m: &Member,
    name: &[u8],
    is_link: bool,
    cx: &mut Context<'_>,
) -> Blob {
    let at = to_u64(m.local);
    let available = data.len().saturating_sub(m.data_start.min(data.len()));
    let packed_len = to_usize(m.csize).min(available);
    if packed_len < to_usize(m.csize) {
        cx.error(
            at,
            format!(
                "entry {}: {packed_len} of {} compressed bytes present",
                escape_path(name),
                m.csize
            ),
        );
    }
    let start = m.data_start.min(data.len());
    let content = if m.method == 0 {
        let len = if is_link {
            packed_len.min(MAX_LINK.saturating_add(1))
        } else {
            cx.cap_file(name, packed_len)
        };
        data.slice(start..start.saturating_add(len))
            .unwrap_or_default()
    } else {
        let packed = data
            .get(start..start.saturating_add(packed_len))
            .unwrap_or(&[]);
        let tracked = Tracked::new(packed);
        let reader = decoder(m.method, m.flags, m.usize, tracked.clone(), packed);
        let mut reader = match reader {
            Ok(reader) => reader,
            Err(why) => {
                cx.error(at, format!("entry {}: {why}", escape_path(name)));
                return Blob::empty();
            }
        };
        let mut out = Vec::new();
        let position = tracked.clone();
        let consumed = move || to_u64(position.pos());
        let flow = if is_link {
            let mut limited = reader.take(to_u64(MAX_LINK.saturating_add(1)));
            match limited.read_to_end(&mut out) {
                Ok(_) => Flow::End,
                Err(e) => Flow::Failed(e),
            }
        } else {
            pump(&mut *reader, &mut out, &consumed, cx)
        };
        match flow {
            Flow::End => {}
            Flow::Limit => return Blob::from(out),
            Flow::Failed(e) => {
                cx.error(
                    at,
                    format!(
                        "entry {} ({}): damaged after {} bytes: {e}",
                        escape_path(name),
                        method_name(m.method),
                        out.len()
                    ),
                );
                return Blob::from(out);
            }
        }
        Blob::from(out)
    };
    if !m.checks_known || (is_link && content.len() > MAX_LINK) {
        return content;
    }
    if to_u64(content.len()) != m.usize {
        cx.error(
            at,
            format!(
                "entry {}: {} bytes, the directory says {}",
                escape_path(name),
                content.len(),
                m.usize
            ),
        );
    } else {
        let crc = crc32fast::hash(&content);
        if crc != m.crc {
            cx.error(
                at,
                format!(
                    "entry {}: CRC-32 {crc:#010x}, the directory says {:#010x}",
                    escape_path(name),
                    m.crc
                ),
            );
        }
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::testkit::{ZipBuilder, ZipEntry};
    use crate::tree::NodeKind;

    fn entry(name: &[u8], data: &[u8], method: u16) -> ZipEntry {
        ZipEntry {
            name: name.to_vec(),
            data: data.to_vec(),
            method,
            unix_mode: Some(0o100640),
            ..ZipEntry::default()
        }
    }

    #[test]
    fn every_method_with_modes_links_and_dirs() {
        let text = b"zip member content, compressible. ".repeat(300);
        let mut b = ZipBuilder::new();
        b.dir(b"etc/");
        for (name, method) in [
            (&b"etc/stored"[..], 0),
            (b"etc/deflate", 8),
            (b"etc/bzip2", 12),
            (b"etc/lzma", 14),
            (b"etc/zstd", 93),
            (b"etc/xz", 95),
        ] {
            b.entry(&entry(name, &text, method));
        }
        b.symlink(b"link", b"etc/deflate");
        b.stored(b"dos\\path.txt", b"dos");
        let data = b.finish_with(b"comment", false);
        let (ex, cx) = extract_ok(&ZipFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, data.len() as u64);
        assert_eq!(ex.variant, Some("zip"));
        let tree = output_tree(&ex);
        assert!(tree.anomalies().is_empty(), "{:?}", tree.anomalies());
        for name in ["stored", "deflate", "bzip2", "lzma", "zstd", "xz"] {
            let path = format!("/etc/{name}");
            assert_eq!(tree.read(&path).unwrap().as_slice(), &text[..], "{name}");
            assert_eq!(tree.get(&path).unwrap().mode, 0o640, "{name}");
            assert_eq!(tree.get(&path).unwrap().mtime, 1_700_000_000, "{name}");
        }
        assert_eq!(tree.get("/etc").unwrap().mode, 0o755);
        assert!(matches!(
            tree.get("/link").unwrap().kind,
            NodeKind::Symlink { .. }
        ));
        assert_eq!(tree.read("/link").unwrap().as_slice(), &text[..]);
        assert_eq!(tree.read("/dos/path.txt").unwrap().as_slice(), b"dos");
    }

    #[test]
    fn zip64_descriptors_and_a_prefix() {
        let mut b = ZipBuilder::new();
        for method in [0, 8] {
            b.entry(&ZipEntry {
                descriptor: true,
                ..entry(
                    format!("d{method}").as_bytes(),
                    &b"described ".repeat(50),
                    method,
                )
            });
        }
        let data = b.finish_with(b"", true);
        let (ex, cx) = extract_ok(&ZipFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.variant, Some("zip64"));
        assert_eq!(ex.consumed, data.len() as u64);
        assert_eq!(output_tree(&ex).read("/d0").unwrap().len(), 500);
        assert_eq!(output_tree(&ex).read("/d8").unwrap().len(), 500);

        // Offsets adjusted for a 100-byte stub (zip -A): the candidate starts after it.
        let mut shifted = data.clone();
        let cd = shifted.windows(4).position(|w| w == CENTRAL).unwrap();
        let mut pos = cd;
        while shifted[pos..].starts_with(&CENTRAL) {
            let off = u32::from_le_bytes(shifted[pos + 42..pos + 46].try_into().unwrap());
            shifted[pos + 42..pos + 46].copy_from_slice(&(off + 100).to_le_bytes());
            let n = u16::from_le_bytes([shifted[pos + 28], shifted[pos + 29]]) as usize;
            let m = u16::from_le_bytes([shifted[pos + 30], shifted[pos + 31]]) as usize;
            pos += 46 + n + m;
        }
        let end64 = shifted.windows(4).position(|w| w == END64).unwrap();
        let off = u64::from_le_bytes(shifted[end64 + 48..end64 + 56].try_into().unwrap());
        shifted[end64 + 48..end64 + 56].copy_from_slice(&(off + 100).to_le_bytes());
        let (ex, cx) = extract_ok(&ZipFormat, &shifted);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(output_tree(&ex).files().count(), 2);
    }

    #[test]
    fn encrypted_entries_are_listed_empty_with_an_error() {
        let data = ZipBuilder::new()
            .entry(&ZipEntry {
                encrypted: true,
                ..entry(b"secret", b"ciphertext", 0)
            })
            .file(b"plain", b"clear")
            .finish();
        let (ex, cx) = extract_ok(&ZipFormat, &data);
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
        assert!(cx.errors[0].message.contains("encrypted"));
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/secret").unwrap().len(), 0);
        assert_eq!(tree.read("/plain").unwrap().as_slice(), b"clear");
    }

    #[test]
    fn overlapping_entries_are_read_once() {
        let mut b = ZipBuilder::new();
        b.file(b"kernel", &vec![0u8; 100_000]);
        for i in 0..50 {
            b.alias(0, format!("copy{i}").as_bytes());
        }
        let data = b.finish();
        let (ex, cx) = extract_ok(&ZipFormat, &data);
        let tree = output_tree(&ex);
        assert_eq!(tree.files().count(), 1);
        assert!(
            cx.errors
                .iter()
                .filter(|e| e.message.contains("overlaps"))
                .count()
                == 50
        );
    }

    #[test]
    fn without_a_directory_entries_come_from_local_headers() {
        let mut b = ZipBuilder::new();
        b.file(b"a", b"first").file(b"b", b"second");
        let local = b.local_bytes().to_vec();
        let (ex, cx) = extract_ok(&ZipFormat, &local);
        assert_eq!(ex.variant, Some("local-headers"));
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
        assert_eq!(output_tree(&ex).read("/b").unwrap().as_slice(), b"second");
        assert_eq!(ex.consumed, local.len() as u64);
        // Truncated inside the second entry: the first survives.
        let (result, _) = extract_with(&ZipFormat, &local[..local.len() - 3], &Default::default());
        let ex = result.unwrap();
        assert_eq!(output_tree(&ex).read("/a").unwrap().as_slice(), b"first");
    }

    #[test]
    fn a_directory_without_its_end_record_still_lists_the_entries() {
        let data = ZipBuilder::new()
            .file(b"a", b"first")
            .stored(b"b", b"second")
            .finish();
        let cut = &data[..data.len() - 22];
        let (ex, cx) = extract_ok(&ZipFormat, cut);
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
        assert_eq!(ex.consumed, cut.len() as u64);
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/a").unwrap().as_slice(), b"first");
        assert_eq!(tree.get("/a").unwrap().mode, 0o644);
        assert_eq!(tree.read("/b").unwrap().as_slice(), b"second");
    }

    #[test]
    fn crc_and_name_mismatches_are_recorded() {
        let mut data = ZipBuilder::new().stored(b"name", b"payload").finish();
        let at = data.windows(7).position(|w| w == b"payload").unwrap();
        data[at] = b'P';
        let (_, cx) = extract_ok(&ZipFormat, &data);
        assert!(
            cx.errors.iter().any(|e| e.message.contains("CRC-32")),
            "{:?}",
            cx.errors
        );
    }
}
