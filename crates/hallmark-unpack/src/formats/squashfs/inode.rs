//! Inodes of every version, decoded into one shape.

use super::bits::Bits;
use super::meta::{Cursor, Tables};
use super::superblock::Version;

/// Longest symlink target read (Linux allows 4095 bytes; the tree refuses longer ones).
const SYMLINK_MAX: usize = 64 << 10;

/// Value of a fragment index meaning "no fragment".
const NO_FRAGMENT: u32 = u32::MAX;

/// A regular file's data layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileInode {
    /// Position of the first data block.
    pub start: u64,
    pub size: u64,
    /// Fragment index and offset of the file's tail, when it has one.
    pub fragment: Option<(u32, u32)>,
    /// Where the block list starts (one 32-bit word per block).
    pub list: Cursor,
}

/// What an inode is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// A directory: its listing's block (relative to the directory table), offset and size.
    Dir {
        block: u64,
        offset: usize,
        size: u64,
    },
    File(FileInode),
    Symlink(Vec<u8>),
    BlockDevice {
        major: u32,
        minor: u32,
    },
    CharDevice {
        major: u32,
        minor: u32,
    },
    Fifo,
    Socket,
}

/// An inode: its kind and attributes (uid/gid still as table indexes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Inode {
    pub kind: Kind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
}

/// An inode reference: block (relative to the inode table) in the high bits, offset in the
/// low 16.
pub(super) fn cursor(tables: &Tables<'_>, reference: u64) -> Result<Cursor, String> {
    let block = tables
        .sb
        .inode_table
        .checked_add(reference >> 16)
        .filter(|&b| b < tables.sb.dir_table)
        .ok_or_else(|| format!("inode reference {reference:#x} outside the inode table"))?;
    Ok(Cursor {
        block,
        offset: usize::try_from(reference & 0xffff).unwrap_or(0),
    })
}

fn short() -> String {
    "inode truncated".into()
}

fn dev_old(rdev: u32) -> (u32, u32) {
    ((rdev >> 8) & 0xff, rdev & 0xff)
}

fn dev_new(rdev: u32) -> (u32, u32) {
    (
        (rdev >> 8) & 0xfff,
        (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    )
}

fn fragment(index: u32, offset: u32) -> Option<(u32, u32)> {
    (index != NO_FRAGMENT).then_some((index, offset))
}

/// Reads the inode `reference` points at.
pub(super) fn read(tables: &mut Tables<'_>, reference: u64) -> Result<Inode, String> {
    let mut cur = cursor(tables, reference)?;
    match tables.sb.version {
        Version::V4 => read_v4(tables, &mut cur),
        Version::V3 => read_v3(tables, &mut cur),
        Version::V2 => read_v2(tables, &mut cur),
    }
}

fn symlink(tables: &mut Tables<'_>, cur: &mut Cursor, len: u64) -> Result<Kind, String> {
    let len = usize::try_from(len)
        .ok()
        .filter(|&n| n <= SYMLINK_MAX)
        .ok_or_else(|| format!("symlink target of {len} bytes"))?;
    Ok(Kind::Symlink(tables.read(cur, len)?))
}

fn read_v4(tables: &mut Tables<'_>, cur: &mut Cursor) -> Result<Inode, String> {
    let e = tables.sb.endian;
    let base = tables.read(cur, 16)?;
    let kind_id = e.u16(&base, 0).ok_or_else(short)?;
    let u16_at = |b: &[u8], at| e.u16(b, at).ok_or_else(short);
    let u32_at = |b: &[u8], at| e.u32(b, at).ok_or_else(short);
    let u64_at = |b: &[u8], at| e.u64(b, at).ok_or_else(short);
    let kind = match kind_id {
        1 => {
            let b = tables.read(cur, 16)?;
            Kind::Dir {
                block: u64::from(u32_at(&b, 0)?),
                offset: usize::from(u16_at(&b, 10)?),
                size: u64::from(u16_at(&b, 8)?).saturating_sub(3),
            }
        }
        8 => {
            let b = tables.read(cur, 24)?;
            Kind::Dir {
                block: u64::from(u32_at(&b, 8)?),
                offset: usize::from(u16_at(&b, 18)?),
                size: u64::from(u32_at(&b, 4)?).saturating_sub(3),
            }
        }
        2 => {
            let b = tables.read(cur, 16)?;
            Kind::File(FileInode {
                start: u64::from(u32_at(&b, 0)?),
                fragment: fragment(u32_at(&b, 4)?, u32_at(&b, 8)?),
                size: u64::from(u32_at(&b, 12)?),
                list: *cur,
            })
        }
        9 => {
            let b = tables.read(cur, 40)?;
            Kind::File(FileInode {
                start: u64_at(&b, 0)?,
                size: u64_at(&b, 8)?,
                fragment: fragment(u32_at(&b, 28)?, u32_at(&b, 32)?),
                list: *cur,
            })
        }
        3 | 10 => {
            let b = tables.read(cur, 8)?;
            symlink(tables, cur, u64::from(u32_at(&b, 4)?))?
        }
        4 | 5 | 11 | 12 => {
            let b = tables.read(cur, 8)?;
            let (major, minor) = dev_new(u32_at(&b, 4)?);
            if kind_id == 4 || kind_id == 11 {
                Kind::BlockDevice { major, minor }
            } else {
                Kind::CharDevice { major, minor }
            }
        }
        6 | 13 => Kind::Fifo,
        7 | 14 => Kind::Socket,
        other => return Err(format!("unknown inode type {other}")),
    };
    Ok(Inode {
        kind,
        mode: u32::from(u16_at(&base, 2)?) & 0o7777,
        uid: u32::from(u16_at(&base, 4)?),
        gid: u32::from(u16_at(&base, 6)?),
        mtime: i64::from(u32_at(&base, 8)?),
    })
}

/// Reads the next `len` bytes as a packed structure of `widths`.
fn fields<const N: usize>(
    tables: &mut Tables<'_>,
    cur: &mut Cursor,
    len: usize,
    widths: [u32; N],
) -> Result<[u64; N], String> {
    let bytes = tables.read(cur, len)?;
    let mut bits = Bits::new(&bytes, tables.sb.endian);
    let mut out = [0u64; N];
    for (slot, width) in out.iter_mut().zip(widths) {
        *slot = bits.take(width).ok_or_else(short)?;
    }
    Ok(out)
}

fn u32_of(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn read_v3(tables: &mut Tables<'_>, cur: &mut Cursor) -> Result<Inode, String> {
    let [kind_id, mode, uid, gid, mtime, _number] = fields(tables, cur, 12, [4, 12, 8, 8, 32, 32])?;
    let kind = match kind_id {
        1 => {
            let [_nlink, size, offset, block, _parent] =
                fields(tables, cur, 16, [32, 19, 13, 32, 32])?;
            Kind::Dir {
                block,
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
                size: size.saturating_sub(3),
            }
        }
        8 => {
            let [_nlink, size, offset, block, _count, _parent] =
                fields(tables, cur, 19, [32, 27, 13, 32, 16, 32])?;
            Kind::Dir {
                block,
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
                size: size.saturating_sub(3),
            }
        }
        2 => {
            let [start, frag, frag_offset, size] = fields(tables, cur, 20, [64, 32, 32, 32])?;
            Kind::File(FileInode {
                start,
                size,
                fragment: fragment(u32_of(frag), u32_of(frag_offset)),
                list: *cur,
            })
        }
        9 => {
            let [_nlink, start, frag, frag_offset, size] =
                fields(tables, cur, 28, [32, 64, 32, 32, 64])?;
            Kind::File(FileInode {
                start,
                size,
                fragment: fragment(u32_of(frag), u32_of(frag_offset)),
                list: *cur,
            })
        }
        3 => {
            let [_nlink, len] = fields(tables, cur, 6, [32, 16])?;
            symlink(tables, cur, len)?
        }
        4 | 5 => {
            let [_nlink, rdev] = fields(tables, cur, 6, [32, 16])?;
            let (major, minor) = dev_old(u32_of(rdev));
            if kind_id == 4 {
                Kind::BlockDevice { major, minor }
            } else {
                Kind::CharDevice { major, minor }
            }
        }
        6 => Kind::Fifo,
        7 => Kind::Socket,
        other => return Err(format!("unknown inode type {other}")),
    };
    Ok(Inode {
        kind,
        mode: u32_of(mode),
        uid: u32_of(uid),
        gid: u32_of(gid),
        mtime: i64::from(u32_of(mtime)),
    })
}

fn read_v2(tables: &mut Tables<'_>, cur: &mut Cursor) -> Result<Inode, String> {
    let [kind_id, mode, uid, gid] = fields(tables, cur, 4, [4, 12, 8, 8])?;
    // Only files and directories record a time; the rest take the image's.
    let mut mtime = u64::from(tables.sb.mkfs_time);
    let kind = match kind_id {
        1 => {
            let [size, offset, time, block] = fields(tables, cur, 11, [19, 13, 32, 24])?;
            mtime = time;
            Kind::Dir {
                block,
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
                size,
            }
        }
        8 => {
            let [size, offset, time, block, _count] =
                fields(tables, cur, 14, [27, 13, 32, 24, 16])?;
            mtime = time;
            Kind::Dir {
                block,
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
                size,
            }
        }
        2 => {
            let [time, start, frag, frag_offset, size] =
                fields(tables, cur, 20, [32, 32, 32, 32, 32])?;
            mtime = time;
            Kind::File(FileInode {
                start,
                size,
                fragment: fragment(u32_of(frag), u32_of(frag_offset)),
                list: *cur,
            })
        }
        3 => {
            let [len] = fields(tables, cur, 2, [16])?;
            symlink(tables, cur, len)?
        }
        4 | 5 => {
            let [rdev] = fields(tables, cur, 2, [16])?;
            let (major, minor) = dev_old(u32_of(rdev));
            if kind_id == 4 {
                Kind::BlockDevice { major, minor }
            } else {
                Kind::CharDevice { major, minor }
            }
        }
        6 => Kind::Fifo,
        7 => Kind::Socket,
        other => return Err(format!("unknown inode type {other}")),
    };
    Ok(Inode {
        kind,
        mode: u32_of(mode),
        uid: u32_of(uid),
        gid: u32_of(gid),
        mtime: i64::from(u32_of(mtime)),
    })
}
