//! Directory listings: runs of entries sharing an inode-table block, each run behind a header.

use super::bits::Bits;
use super::meta::{Cursor, Tables};
use super::superblock::Version;

/// Most entries one header may announce (the format's own limit).
const RUN_MAX: u64 = 256;

/// Largest directory listing read (about two million entries); real ones are kilobytes.
const LISTING_MAX: u64 = 64 << 20;

/// One name in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DirEntry {
    pub name: Vec<u8>,
    /// Inode reference: inode-table block in the high bits, offset in the low 16.
    pub inode: u64,
}

/// Reads the listing of `size` bytes at (`block` relative to the directory table, `offset`).
/// Returns the entries read and the error that stopped the listing early, if any.
pub(super) fn read(
    tables: &mut Tables<'_>,
    block: u64,
    offset: usize,
    size: u64,
) -> (Vec<DirEntry>, Option<String>) {
    let Some(start) = tables
        .sb
        .dir_table
        .checked_add(block)
        .filter(|&b| b < tables.sb.bytes_used)
    else {
        return (
            Vec::new(),
            Some(format!(
                "listing block {block:#x} outside the directory table"
            )),
        );
    };
    if size > LISTING_MAX {
        return (
            Vec::new(),
            Some(format!("listing of {size} bytes: not read")),
        );
    }
    let mut cur = Cursor {
        block: start,
        offset,
    };
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let (bytes, mut error) = match tables.read_partial(&mut cur, size) {
        Ok(bytes) => (bytes, None),
        Err((bytes, e)) => (bytes, Some(e)),
    };
    let (entries, parse_error) = parse(&bytes, tables.sb.version, tables.sb.endian);
    if error.is_none() {
        error = parse_error;
    }
    (entries, error)
}

/// Layout of one version's headers and entries: sizes in bytes and the field widths.
struct Layout {
    header_len: usize,
    /// count, start block, inode number (0 width: absent).
    header: [u32; 3],
    entry_len: usize,
    /// Entry fields in disk order (0 width: absent).
    entry: [u32; 4],
    /// Which of them are the inode offset and the name size.
    offset_at: usize,
    name_at: usize,
}

const V2: Layout = Layout {
    header_len: 4,
    header: [8, 24, 0],
    entry_len: 3,
    // offset, type, name size - 1
    entry: [13, 3, 8, 0],
    offset_at: 0,
    name_at: 2,
};

const V3: Layout = Layout {
    header_len: 9,
    header: [8, 32, 32],
    entry_len: 5,
    // offset, type, name size - 1, inode number delta
    entry: [13, 3, 8, 16],
    offset_at: 0,
    name_at: 2,
};

const V4: Layout = Layout {
    header_len: 12,
    header: [32, 32, 32],
    entry_len: 8,
    // offset, inode number delta, type, name size - 1
    entry: [16, 16, 16, 16],
    offset_at: 0,
    name_at: 3,
};

fn take(bits: &mut Bits<'_>, width: u32) -> Option<u64> {
    if width == 0 {
        Some(0)
    } else {
        bits.take(width)
    }
}

/// Parses a listing; stops at the first inconsistency and reports it.
pub(super) fn parse(
    bytes: &[u8],
    version: Version,
    endian: crate::bytes::Endian,
) -> (Vec<DirEntry>, Option<String>) {
    let layout = match version {
        Version::V2 => &V2,
        Version::V3 => &V3,
        Version::V4 => &V4,
    };
    let mut entries = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let Some(header) = pos
            .checked_add(layout.header_len)
            .and_then(|end| bytes.get(pos..end))
        else {
            // mksquashfs never leaves a partial header; the listing ends here.
            return (
                entries,
                Some(format!("listing ends inside a header at byte {pos}")),
            );
        };
        pos = pos.saturating_add(layout.header_len);
        let mut bits = Bits::new(header, endian);
        let (Some(count), Some(start), Some(_)) = (
            take(&mut bits, layout.header[0]),
            take(&mut bits, layout.header[1]),
            take(&mut bits, layout.header[2]),
        ) else {
            return (entries, Some("short directory header".into()));
        };
        let count = count.saturating_add(1);
        if count > RUN_MAX {
            return (
                entries,
                Some(format!("directory header announces {count} entries")),
            );
        }
        for _ in 0..count {
            let Some(raw) = pos
                .checked_add(layout.entry_len)
                .and_then(|end| bytes.get(pos..end))
            else {
                return (
                    entries,
                    Some(format!("listing ends inside an entry at byte {pos}")),
                );
            };
            pos = pos.saturating_add(layout.entry_len);
            let mut bits = Bits::new(raw, endian);
            let mut fields = [0u64; 4];
            for (slot, width) in fields.iter_mut().zip(layout.entry) {
                let Some(value) = take(&mut bits, width) else {
                    return (entries, Some("short directory entry".into()));
                };
                *slot = value;
            }
            let offset = fields.get(layout.offset_at).copied().unwrap_or(0);
            let name_len = fields.get(layout.name_at).copied().unwrap_or(0);
            let name_len = usize::try_from(name_len)
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            if name_len > 256 {
                return (entries, Some(format!("name of {name_len} bytes")));
            }
            let Some(name) = pos
                .checked_add(name_len)
                .and_then(|end| bytes.get(pos..end))
            else {
                return (
                    entries,
                    Some(format!("listing ends inside a name at byte {pos}")),
                );
            };
            pos = pos.saturating_add(name_len);
            entries.push(DirEntry {
                name: name.to_vec(),
                inode: (start << 16) | (offset & 0xffff),
            });
        }
    }
    (entries, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::Endian;

    /// Runs of (inode block, [(inode offset, name)]).
    type Runs<'a> = [(u32, &'a [(u16, &'a [u8])])];

    fn v4_listing(runs: &Runs<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        for (start, entries) in runs {
            out.extend_from_slice(&(entries.len() as u32).saturating_sub(1).to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&100u32.to_le_bytes());
            for (offset, name) in *entries {
                out.extend_from_slice(&offset.to_le_bytes());
                out.extend_from_slice(&0i16.to_le_bytes());
                out.extend_from_slice(&2u16.to_le_bytes());
                // name size - 1
                out.extend_from_slice(&(name.len() as u16).saturating_sub(1).to_le_bytes());
                out.extend_from_slice(name);
            }
        }
        out
    }

    #[test]
    fn parses_runs_and_stops_at_damage() {
        let listing = v4_listing(&[(0, &[(10, b"a"), (20, b"bb")]), (8194, &[(5, b"c")])]);
        let (entries, error) = parse(&listing, Version::V4, Endian::Little);
        assert_eq!(error, None);
        let refs: Vec<(Vec<u8>, u64)> = entries.into_iter().map(|e| (e.name, e.inode)).collect();
        assert_eq!(
            refs,
            [
                (b"a".to_vec(), 10),
                (b"bb".to_vec(), 20),
                (b"c".to_vec(), (8194 << 16) | 5)
            ]
        );
        for cut in 0..listing.len() {
            let (entries, _) = parse(&listing[..cut], Version::V4, Endian::Little);
            assert!(entries.len() <= 3);
        }
        let mut huge = listing.clone();
        huge[0..4].copy_from_slice(&1000u32.to_le_bytes());
        let (entries, error) = parse(&huge, Version::V4, Endian::Little);
        assert!(entries.is_empty());
        assert!(error.unwrap().contains("1001 entries"));
    }
}
