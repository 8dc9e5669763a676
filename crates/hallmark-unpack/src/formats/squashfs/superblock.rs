//! The superblock of squashfs 2.x, 3.x and 4.0, in either byte order.

use crate::bytes::Endian;

/// Size of an uncompressed metadata block (inode, directory, fragment and id tables).
pub(super) const METADATA_SIZE: usize = 8192;

/// Largest data block of any version.
pub(super) const MAX_BLOCK_SIZE: u32 = 1 << 20;

/// Major version of the on-disk layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    V2,
    V3,
    V4,
}

/// Flag (2.x/3.x): every metadata block carries a marker byte after its length.
const CHECK_DATA: u16 = 1 << 2;

/// The fields of a superblock the reader uses, whatever the version.
#[derive(Debug, Clone)]
pub(super) struct Superblock {
    pub version: Version,
    pub endian: Endian,
    /// The magic is the one of the LZMA patches (`shsq`, or `qshs` big-endian).
    pub lzma_magic: bool,
    pub mkfs_time: u32,
    pub block_size: u32,
    pub fragments: u32,
    /// Compressor id (4.0 only; 0 for older versions, which do not record it).
    pub compressor: u16,
    pub flags: u16,
    pub root_inode: u64,
    pub bytes_used: u64,
    pub inode_table: u64,
    pub dir_table: u64,
    pub fragment_table: u64,
    /// 4.0: the id table index and the number of ids.
    pub id_table: u64,
    pub id_count: u32,
    /// 2.x/3.x: the uid and gid arrays.
    pub uid_table: u64,
    pub uid_count: u32,
    pub gid_table: u64,
    pub gid_count: u32,
    /// Size of the superblock itself.
    pub len: u64,
}

impl Superblock {
    /// Whether metadata blocks carry a check byte after their length (2.x/3.x).
    pub(super) fn check_data(&self) -> bool {
        self.version != Version::V4 && self.flags & CHECK_DATA != 0
    }

    /// `log2(block_size)`.
    pub(super) fn block_log(&self) -> u32 {
        self.block_size.trailing_zeros()
    }
}

fn valid_block_size(size: u32, log: u16) -> bool {
    size.is_power_of_two()
        && (4096..=MAX_BLOCK_SIZE).contains(&size)
        && u32::from(log) == size.trailing_zeros()
}

/// Parses and validates the superblock at the start of `data`.
pub(super) fn parse(data: &[u8]) -> Result<Superblock, String> {
    let (endian, lzma_magic) = match data.get(..4) {
        Some(b"hsqs") => (Endian::Little, false),
        Some(b"sqsh") => (Endian::Big, false),
        Some(b"shsq") => (Endian::Little, true),
        Some(b"qshs") => (Endian::Big, true),
        _ => return Err("no squashfs magic".into()),
    };
    let major = endian.u16(data, 28).ok_or("short superblock")?;
    let sb = match major {
        4 => parse_v4(data, endian, lzma_magic),
        2 | 3 => parse_v2_v3(data, endian, lzma_magic, major),
        other => return Err(format!("unsupported major version {other}")),
    }
    .ok_or("short superblock")??;
    validate(&sb)?;
    Ok(sb)
}

fn parse_v4(data: &[u8], endian: Endian, lzma_magic: bool) -> Option<Result<Superblock, String>> {
    let u16_at = |at| endian.u16(data, at);
    let u32_at = |at| endian.u32(data, at);
    let u64_at = |at| endian.u64(data, at);
    let block_size = u32_at(12)?;
    let block_log = u16_at(22)?;
    let minor = u16_at(30)?;
    if minor != 0 {
        return Some(Err(format!("unsupported version 4.{minor}")));
    }
    if !valid_block_size(block_size, block_log) {
        return Some(Err(format!("invalid block size {block_size}")));
    }
    let compressor = u16_at(20)?;
    if !(1..=6).contains(&compressor) {
        return Some(Err(format!("unknown compressor id {compressor}")));
    }
    Some(Ok(Superblock {
        version: Version::V4,
        endian,
        lzma_magic,
        mkfs_time: u32_at(8)?,
        block_size,
        fragments: u32_at(16)?,
        compressor,
        flags: u16_at(24)?,
        root_inode: u64_at(32)?,
        bytes_used: u64_at(40)?,
        id_table: u64_at(48)?,
        id_count: u32::from(u16_at(26)?),
        inode_table: u64_at(64)?,
        dir_table: u64_at(72)?,
        fragment_table: u64_at(80)?,
        uid_table: 0,
        uid_count: 0,
        gid_table: 0,
        gid_count: 0,
        len: 96,
    }))
}

/// The 2.x and 3.x superblocks share one packed layout; 2.x uses its 32-bit table pointers,
/// 3.x the 64-bit ones that follow them.
fn parse_v2_v3(
    data: &[u8],
    endian: Endian,
    lzma_magic: bool,
    major: u16,
) -> Option<Result<Superblock, String>> {
    let u32_at = |at| endian.u32(data, at);
    let u64_at = |at| endian.u64(data, at);
    let block_log = endian.u16(data, 34)?;
    let block_size = u32_at(51)?;
    if !valid_block_size(block_size, block_log) {
        return Some(Err(format!("invalid block size {block_size}")));
    }
    let flags = u16::from(*data.get(36)?);
    let uid_count = u32::from(*data.get(37)?);
    let gid_count = u32::from(*data.get(38)?);
    let common = Superblock {
        version: Version::V3,
        endian,
        lzma_magic,
        mkfs_time: u32_at(39)?,
        block_size,
        fragments: u32_at(55)?,
        compressor: 0,
        flags,
        root_inode: u64_at(43)?,
        bytes_used: 0,
        inode_table: 0,
        dir_table: 0,
        fragment_table: 0,
        id_table: 0,
        id_count: 0,
        uid_table: 0,
        uid_count,
        gid_table: 0,
        gid_count,
        len: 0,
    };
    Some(Ok(if major == 2 {
        Superblock {
            version: Version::V2,
            bytes_used: u64::from(u32_at(8)?),
            uid_table: u64::from(u32_at(12)?),
            gid_table: u64::from(u32_at(16)?),
            inode_table: u64::from(u32_at(20)?),
            dir_table: u64::from(u32_at(24)?),
            fragment_table: u64::from(u32_at(59)?),
            len: 63,
            ..common
        }
    } else {
        Superblock {
            bytes_used: u64_at(63)?,
            uid_table: u64_at(71)?,
            gid_table: u64_at(79)?,
            inode_table: u64_at(87)?,
            dir_table: u64_at(95)?,
            fragment_table: u64_at(103)?,
            len: 119,
            ..common
        }
    }))
}

/// Checks that the tables lie in order inside `bytes_used`.
fn validate(sb: &Superblock) -> Result<(), String> {
    let used = sb.bytes_used;
    if used <= sb.len || sb.inode_table < sb.len {
        return Err(format!("bytes_used {used} too small"));
    }
    if sb.inode_table >= sb.dir_table || sb.dir_table >= used {
        return Err(format!(
            "inode table at {:#x} and directory table at {:#x} out of order (image of {used} bytes)",
            sb.inode_table, sb.dir_table
        ));
    }
    let root_block = sb.root_inode >> 16;
    if sb
        .inode_table
        .checked_add(root_block)
        .is_none_or(|at| at >= sb.dir_table)
        || sb.root_inode & 0xffff >= 8192
    {
        return Err(format!(
            "root inode {:#x} outside the inode table",
            sb.root_inode
        ));
    }
    match sb.version {
        Version::V4 => {
            if sb.id_table >= used || sb.id_table < sb.dir_table {
                return Err(format!("id table at {:#x} out of place", sb.id_table));
            }
            if sb.id_count == 0 {
                return Err("no ids".into());
            }
        }
        Version::V2 | Version::V3 => {
            let uid_end = u64::from(sb.uid_count)
                .checked_mul(4)
                .and_then(|n| n.checked_add(sb.uid_table));
            if sb.uid_count == 0 || uid_end.is_none_or(|end| end > used) {
                return Err(format!("uid table at {:#x} out of place", sb.uid_table));
            }
            let gid_end = u64::from(sb.gid_count)
                .checked_mul(4)
                .and_then(|n| n.checked_add(sb.gid_table));
            if gid_end.is_none_or(|end| end > used) {
                return Err(format!("gid table at {:#x} out of place", sb.gid_table));
            }
        }
    }
    if sb.fragments > 0 && (sb.fragment_table >= used || sb.fragment_table < sb.dir_table) {
        return Err(format!(
            "fragment table at {:#x} out of place",
            sb.fragment_table
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4_le() -> Vec<u8> {
        let mut sb = vec![0u8; 96];
        sb[..4].copy_from_slice(b"hsqs");
        sb[12..16].copy_from_slice(&131_072u32.to_le_bytes());
        sb[20..22].copy_from_slice(&4u16.to_le_bytes());
        sb[22..24].copy_from_slice(&17u16.to_le_bytes());
        sb[26..28].copy_from_slice(&1u16.to_le_bytes());
        sb[28..30].copy_from_slice(&4u16.to_le_bytes());
        sb[40..48].copy_from_slice(&1000u64.to_le_bytes());
        sb[48..56].copy_from_slice(&990u64.to_le_bytes());
        sb[64..72].copy_from_slice(&96u64.to_le_bytes());
        sb[72..80].copy_from_slice(&500u64.to_le_bytes());
        sb
    }

    #[test]
    fn accepts_a_consistent_superblock_and_refuses_broken_ones() {
        let good = v4_le();
        let sb = parse(&good).unwrap();
        assert_eq!(
            (sb.version, sb.block_size, sb.block_log()),
            (Version::V4, 131_072, 17)
        );
        let mut bad = good.clone();
        bad[22] = 16; // block_log disagrees with block_size
        assert!(parse(&bad).is_err());
        let mut bad = good.clone();
        bad[72..80].copy_from_slice(&2000u64.to_le_bytes()); // past bytes_used
        assert!(parse(&bad).is_err());
        let mut bad = good.clone();
        bad[20] = 9; // compressor
        assert!(parse(&bad).is_err());
        assert!(parse(&good[..40]).is_err());
        assert!(parse(b"hsqs").is_err());
    }
}
