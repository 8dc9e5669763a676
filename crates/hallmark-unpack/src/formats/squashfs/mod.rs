//! squashfs filesystems: 4.0, 3.x and 2.x, either byte order, every compressor, and the vendor
//! variants found in router firmware.
//!
//! # Variants
//!
//! - **4.0**, little-endian (what `mksquashfs` writes) with zlib, LZMA, LZO, xz, LZ4 or zstd;
//!   big-endian (vendor kernels), including **AVM**'s, which keeps the metadata block lengths
//!   little-endian (detected by checking which byte order chains the inode table's blocks
//!   exactly onto the directory table).
//! - **3.x** (3.0, 3.1) and **2.x**, both byte orders: packed C bitfields, laid out from the
//!   low bit on little-endian and from the high bit on big-endian machines (see `bits`);
//!   metadata check bytes; 2.x's 32-bit tables and inodes without times.
//! - **Vendor LZMA** (see `compress`): zlib-era 2.x/3.x images and 4.0 images declaring zlib
//!   or LZMA are tried with LZMA behind a 13-byte header (Huawei HG532e, magic `qshs`), a
//!   5-byte header (TP-Link TL-WR940N, Broadcom 2.x) or none, with or without end markers.
//!   The magics of the LZMA patches (`shsq`, `qshs`) are accepted.
//!
//! # What is read and validated
//!
//! The superblock is checked (magic, version, block size and its log, table order inside
//! `bytes_used`); the extent is `bytes_used` (the padding `mksquashfs` adds after it stays
//! outside). Everything is reached through the tables with bounds checks: the root inode,
//! directory listings (a listing seen twice is a loop and is not followed again, so cycles
//! and shared subtrees cannot multiply the work), inodes, the id (uid/gid) tables and the
//! fragment table. Metadata blocks are decoded once, bounded to 8 KiB each and 256 MiB in
//! total. Regular files are read from their block lists and fragments; sparse blocks are
//! zeros; every byte is reserved from the budget while the tree is built (in tree order, so
//! what a limit cuts is deterministic). The data itself is decoded on demand: each file's
//! node holds a deferred content, which the unpack driver decodes a window at a time on up to
//! four threads (see `data`), recording damage then. Hard links (entries naming one inode)
//! and identical files (`mksquashfs` deduplication) share one deferred content. Symlinks keep
//! their targets, device nodes, FIFOs and sockets are recorded, and modes, owners and
//! modification times are kept exactly. Names go to the tree
//! as found; the tree neutralises `..`, `/` and control characters and records the anomaly.
//!
//! Damage after a valid root directory (an unreadable inode, listing or block) is an error
//! on the layer, and everything else is still extracted; a candidate whose root directory
//! cannot be read is not squashfs.
//!
//! # Not read
//!
//! Extended attributes, the NFS export table, directory indexes (listings are read whole)
//! and compressor options (no decoder needs them). squashfs 1.x is not supported.
//!
//! # Why not `backhand`
//!
//! The `backhand` crate reads 4.0 and 3.0 but not 2.x, pulls C liblzma and a second zstd,
//! handles vendor LZMA only through compressor hooks, and decides allocation and limits
//! itself. This reader is small, shares the crate's bounded codecs, charges the shared
//! budget per file before decoding and never allocates from a size it has not bounded.

mod bits;
mod compress;
mod data;
mod dir;
mod inode;
mod meta;
mod superblock;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::blob::Blob;
use crate::bytes::Endian;
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::layer::LayerError;
use crate::limits::{Budget, LimitKind};
use crate::tree::{Decoded, Deferred, Entry, EntryKind, MAX_PATH_BYTES, Settled, Source};

use compress::{Decoder, Method};
use data::{Job, Tail};
use inode::{FileInode, Inode, Kind};
use meta::{Cursor, Tables};
use superblock::{Superblock, Version};

/// squashfs 2.x to 4.0 in either byte order.
pub(crate) struct SquashfsFormat;

const MAGICS: &[Magic] = &[
    Magic::at_start(b"hsqs"),
    Magic::at_start(b"sqsh"),
    Magic::at_start(b"shsq"),
    Magic::at_start(b"qshs"),
];

/// Longest raw path followed into a directory (the tree refuses paths over
/// [`MAX_PATH_BYTES`] after normalisation; `..` components can shorten a raw path, so allow
/// some slack before giving up on a subtree).
const RAW_PATH_MAX: usize = 4 * MAX_PATH_BYTES;

/// gid index meaning "same as the uid" in 2.x/3.x inodes.
const GID_SAME_AS_UID: u32 = 255;

macro_rules! by_method {
    ($prefix:literal, $method:expr) => {
        match $method {
            None => concat!($prefix, ", no compressed block"),
            Some(Method::Zlib) => concat!($prefix, ", zlib"),
            Some(Method::Lzo) => concat!($prefix, ", lzo"),
            Some(Method::Xz) => concat!($prefix, ", xz"),
            Some(Method::Lz4) => concat!($prefix, ", lz4"),
            Some(Method::Zstd) => concat!($prefix, ", zstd"),
            Some(Method::LzmaAlone) => concat!($prefix, ", lzma"),
            Some(Method::LzmaShortHeader) => concat!($prefix, ", lzma with 5-byte headers"),
            Some(Method::LzmaRaw) => concat!($prefix, ", headerless lzma"),
        }
    };
}

fn variant(sb: &Superblock, swapped_headers: bool, method: Option<Method>) -> &'static str {
    use Endian::{Big, Little};
    match (sb.version, sb.endian, swapped_headers, sb.lzma_magic) {
        (Version::V4, Big, true, _) => by_method!("4.0 big-endian (AVM)", method),
        (Version::V4, Little, _, false) => by_method!("4.0 little-endian", method),
        (Version::V4, Big, _, false) => by_method!("4.0 big-endian", method),
        (Version::V4, Little, _, true) => by_method!("4.0 little-endian, shsq magic", method),
        (Version::V4, Big, _, true) => by_method!("4.0 big-endian, qshs magic", method),
        (Version::V3, Little, _, false) => by_method!("3.x little-endian", method),
        (Version::V3, Big, _, false) => by_method!("3.x big-endian", method),
        (Version::V3, Little, _, true) => by_method!("3.x little-endian, shsq magic", method),
        (Version::V3, Big, _, true) => by_method!("3.x big-endian, qshs magic", method),
        (Version::V2, Little, _, false) => by_method!("2.x little-endian", method),
        (Version::V2, Big, _, false) => by_method!("2.x big-endian", method),
        (Version::V2, Little, _, true) => by_method!("2.x little-endian, shsq magic", method),
        (Version::V2, Big, _, true) => by_method!("2.x big-endian, qshs magic", method),
    }
}

/// uids and gids by table index.
struct Owners {
    version: Version,
    uids: Vec<u32>,
    gids: Vec<u32>,
    missing: bool,
}

impl Owners {
    fn load(tables: &mut Tables<'_>, cx: &mut Context<'_>) -> Owners {
        let version = tables.sb.version;
        let loaded = match version {
            Version::V4 => tables.ids_v4().map(|ids| (ids.clone(), ids)),
            Version::V2 | Version::V3 => tables.ids_v3(),
        };
        let (uids, gids) = loaded.unwrap_or_else(|e| {
            cx.error(
                tables.sb.id_table.max(tables.sb.uid_table),
                format!("id table: {e}"),
            );
            (Vec::new(), Vec::new())
        });
        Owners {
            version,
            uids,
            gids,
            missing: false,
        }
    }

    fn resolve(&mut self, uid: u32, gid: u32) -> (u32, u32) {
        let lookup = |table: &[u32], index: u32| {
            usize::try_from(index)
                .ok()
                .and_then(|i| table.get(i))
                .copied()
        };
        let owner = lookup(&self.uids, uid);
        let group = if self.version != Version::V4 && gid == GID_SAME_AS_UID {
            owner
        } else {
            lookup(&self.gids, gid)
        };
        if owner.is_none() || group.is_none() {
            self.missing = true;
        }
        (owner.unwrap_or(0), group.unwrap_or(0))
    }
}

/// An entry waiting for the tree, with its file's job when it is a regular file.
enum Pending {
    Entry(Entry),
    File(Entry, usize),
}

/// A directory still to list: its raw path and listing location.
struct DirToRead {
    path: Vec<u8>,
    block: u64,
    offset: usize,
    size: u64,
}

/// Walks the directory tree, collecting entries and file jobs.
struct Walker<'t, 'a> {
    tables: &'t mut Tables<'a>,
    owners: Owners,
    pending: Vec<Pending>,
    jobs: Vec<Job>,
    /// First path of each job, for error messages.
    job_paths: Vec<Vec<u8>>,
    by_inode: HashMap<u64, usize>,
    by_data: HashMap<Job, usize>,
    listed: HashSet<(u64, usize)>,
    /// Most entries to collect (what the tree may still hold).
    max_entries: usize,
}

impl Walker<'_, '_> {
    fn entry(&mut self, path: &[u8], inode: &Inode, kind: EntryKind) -> Entry {
        let (uid, gid) = self.owners.resolve(inode.uid, inode.gid);
        Entry::new(path, kind)
            .mode(inode.mode)
            .owner(uid, gid)
            .mtime(inode.mtime)
    }

    fn walk(&mut self, root: &Inode, cx: &mut Context<'_>) {
        let Kind::Dir {
            block,
            offset,
            size,
        } = root.kind
        else {
            return;
        };
        let entry = self.entry(b".", root, EntryKind::Dir);
        self.pending.push(Pending::Entry(entry));
        let mut stack = vec![DirToRead {
            path: Vec::new(),
            block,
            offset,
            size,
        }];
        while let Some(dir) = stack.pop() {
            if cx.time_up("reading squashfs directories") {
                return;
            }
            let shown =
                || crate::tree::escape_path(if dir.path.is_empty() { b"/" } else { &dir.path });
            if dir.size == 0 {
                continue; // empty: nothing to list (and the location is shared)
            }
            if !self.listed.insert((dir.block, dir.offset)) {
                cx.error(
                    self.tables.sb.dir_table.saturating_add(dir.block),
                    format!(
                        "directory {} lists a directory already read (a loop): not followed",
                        shown()
                    ),
                );
                continue;
            }
            let (entries, error) = dir::read(self.tables, dir.block, dir.offset, dir.size);
            if let Some(error) = error {
                cx.error(
                    self.tables.sb.dir_table.saturating_add(dir.block),
                    format!("directory {}: {error}", shown()),
                );
            }
            for (n, found) in entries.into_iter().enumerate() {
                if n % 1024 == 1023 && cx.time_up("reading squashfs directories") {
                    return;
                }
                if self.pending.len() >= self.max_entries {
                    cx.truncate(
                        LimitKind::Entries,
                        format!(
                            "entry limit reached after {} squashfs entries",
                            self.pending.len()
                        ),
                    );
                    return;
                }
                let mut path = dir.path.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(&found.name);
                let inode = match inode::read(self.tables, found.inode) {
                    Ok(inode) => inode,
                    Err(e) => {
                        let at = inode::cursor(self.tables, found.inode).map_or(0, |c| c.block);
                        cx.error(at, format!("{}: {e}", crate::tree::escape_path(&path)));
                        continue;
                    }
                };
                self.add(path, found.inode, inode, &mut stack, cx);
            }
        }
    }

    fn add(
        &mut self,
        path: Vec<u8>,
        reference: u64,
        inode: Inode,
        stack: &mut Vec<DirToRead>,
        cx: &mut Context<'_>,
    ) {
        let pending = match &inode.kind {
            Kind::Dir {
                block,
                offset,
                size,
            } => {
                let entry = self.entry(&path, &inode, EntryKind::Dir);
                if path.len() > RAW_PATH_MAX {
                    cx.error(
                        0,
                        format!(
                            "directory path longer than {RAW_PATH_MAX} bytes: {}... not followed",
                            crate::tree::escape_path(path.get(..64).unwrap_or_default())
                        ),
                    );
                } else {
                    stack.push(DirToRead {
                        path: path.clone(),
                        block: *block,
                        offset: *offset,
                        size: *size,
                    });
                }
                Pending::Entry(entry)
            }
            Kind::File(file) => {
                let entry = self.entry(&path, &inode, EntryKind::File);
                let job = self.plan_file(&path, reference, file, cx);
                Pending::File(entry, job)
            }
            Kind::Symlink(target) => {
                let kind = EntryKind::Symlink(target.clone());
                Pending::Entry(self.entry(&path, &inode, kind))
            }
            Kind::BlockDevice { major, minor } => {
                let kind = EntryKind::BlockDevice {
                    major: *major,
                    minor: *minor,
                };
                Pending::Entry(self.entry(&path, &inode, kind))
            }
            Kind::CharDevice { major, minor } => {
                let kind = EntryKind::CharDevice {
                    major: *major,
                    minor: *minor,
                };
                Pending::Entry(self.entry(&path, &inode, kind))
            }
            Kind::Fifo => Pending::Entry(self.entry(&path, &inode, EntryKind::Fifo)),
            Kind::Socket => Pending::Entry(self.entry(&path, &inode, EntryKind::Socket)),
        };
        self.pending.push(pending);
    }

    /// Plans the decoding of a file, reserving its bytes; returns its job.
    fn plan_file(
        &mut self,
        path: &[u8],
        reference: u64,
        file: &FileInode,
        cx: &mut Context<'_>,
    ) -> usize {
        if let Some(&job) = self.by_inode.get(&reference) {
            return job; // another name of the same inode
        }
        let sb = self.tables.sb;
        let block_size = u64::from(sb.block_size);
        let log = sb.block_log();
        let want = cx.cap_file(path, usize::try_from(file.size).unwrap_or(usize::MAX));
        let reserved = cx.reserve(path, u64::try_from(want).unwrap_or(u64::MAX));
        let mut granted = reserved;
        let full_blocks = if file.fragment.is_some() {
            file.size >> log
        } else {
            file.size.div_ceil(block_size)
        };
        let needed = full_blocks.min(granted.div_ceil(block_size));
        let mut cursor: Cursor = file.list;
        let wanted_bytes = usize::try_from(needed.saturating_mul(4)).unwrap_or(usize::MAX);
        let words: Vec<u32> = match self.tables.read_partial(&mut cursor, wanted_bytes) {
            Ok(bytes) => bytes,
            Err((bytes, e)) => {
                cx.error(
                    file.list.block,
                    format!("{}: block list: {e}", crate::tree::escape_path(path)),
                );
                bytes
            }
        }
        .chunks_exact(4)
        .filter_map(|w| sb.endian.u32(w, 0))
        .collect();
        let listed = u64::try_from(words.len()).unwrap_or(u64::MAX);
        if listed < needed {
            granted = granted.min(listed.saturating_mul(block_size));
        }
        let mut tail = None;
        let blocks_end = full_blocks.saturating_mul(block_size);
        if let Some((index, offset)) = file.fragment.filter(|_| granted > blocks_end) {
            match self.tables.fragment(index) {
                Ok(block) => tail = Some(Tail { block, offset }),
                Err(e) => {
                    cx.error(
                        sb.fragment_table,
                        format!("{}: {e}", crate::tree::escape_path(path)),
                    );
                    granted = granted.min(blocks_end);
                }
            }
        }
        // What a short block list or a missing fragment took away is not produced.
        cx.unreserve(reserved.saturating_sub(granted));
        let job = Job {
            start: file.start,
            size: file.size,
            granted: usize::try_from(granted).unwrap_or(usize::MAX),
            words,
            tail,
        };
        if let Some(&index) = self.by_data.get(&job) {
            // Identical data (mksquashfs deduplication): share the decoded content.
            cx.unreserve(granted);
            self.by_inode.insert(reference, index);
            return index;
        }
        let index = self.jobs.len();
        self.by_data.insert(job.clone(), index);
        self.by_inode.insert(reference, index);
        self.jobs.push(job);
        self.job_paths.push(path.to_vec());
        index
    }
}

impl Format for SquashfsFormat {
    fn id(&self) -> &'static str {
        "squashfs"
    }

    fn description(&self) -> &'static str {
        "squashfs filesystem (4.0, 3.x, 2.x; both byte orders; zlib, lzma, lzo, xz, lz4, zstd; vendor LZMA and AVM variants)"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Filesystem
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        superblock::parse(data).is_ok()
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let sb = superblock::parse(data).map_err(Rejected::new)?;
        let used = usize::try_from(sb.bytes_used).unwrap_or(usize::MAX);
        let image = data.slice(0..used.min(data.len())).unwrap_or_default();
        let decoder = Decoder::new(&sb);
        let mut tables = Tables::new(&image, &sb, &decoder);
        let root = inode::read(&mut tables, sb.root_inode)
            .map_err(|e| Rejected::new(format!("root inode: {e}")))?;
        if !matches!(root.kind, Kind::Dir { .. }) {
            return Err(Rejected::new("root inode is not a directory"));
        }
        if used > data.len() {
            cx.error(
                u64::try_from(data.len()).unwrap_or(u64::MAX),
                format!(
                    "image truncated: {} of the {used} bytes the superblock declares",
                    data.len()
                ),
            );
        }
        let owners = Owners::load(&mut tables, cx);
        let max_entries = usize::try_from(cx.budget.remaining_entries()).unwrap_or(usize::MAX);
        let mut walker = Walker {
            tables: &mut tables,
            owners,
            pending: Vec::new(),
            jobs: Vec::new(),
            job_paths: Vec::new(),
            by_inode: HashMap::new(),
            by_data: HashMap::new(),
            listed: HashSet::new(),
            max_entries,
        };
        walker.walk(&root, cx);
        if walker.owners.missing {
            cx.error(0, "uid or gid index outside the id table: owner 0 used");
        }
        let Walker {
            pending,
            jobs,
            job_paths,
            ..
        } = walker;
        let block_size = usize::try_from(sb.block_size).unwrap_or(usize::MAX);
        data::detect(&jobs, &image, block_size, &decoder);
        let swapped = tables.swapped_headers();
        let method = decoder.chosen();
        drop(tables);
        let sizes: Vec<u64> = jobs
            .iter()
            .map(|job| u64::try_from(job.granted).unwrap_or(u64::MAX))
            .collect();
        let source: Arc<dyn Source> = Arc::new(FileData {
            image: image.clone(),
            block_size,
            decoder,
            jobs,
            paths: job_paths,
        });
        let contents: Vec<Deferred> = sizes
            .into_iter()
            .enumerate()
            .map(|(key, size)| Deferred::new(Arc::clone(&source), key, size))
            .collect();
        let mut tree = cx.new_tree();
        for item in pending {
            let entry = match item {
                Pending::Entry(entry) => entry,
                Pending::File(entry, job) => match contents.get(job) {
                    Some(content) => entry.deferred(content.clone()),
                    None => entry,
                },
            };
            if !cx.add(&mut tree, entry) {
                break;
            }
        }
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: u64::try_from(image.len()).unwrap_or(u64::MAX),
            output: Output::Tree(tree),
            variant: Some(variant(&sb, swapped, method)),
        })
    }
}

/// The files' data of one image, decoded on demand (see `data`).
struct FileData {
    image: Blob,
    block_size: usize,
    decoder: Decoder,
    jobs: Vec<Job>,
    /// First path of each job, for error messages.
    paths: Vec<Vec<u8>>,
}

impl Source for FileData {
    fn data(&self) -> &Blob {
        &self.image
    }

    fn decode(&self, keys: &[usize], budget: &Budget) -> Vec<Decoded> {
        let jobs: Vec<Job> = keys
            .iter()
            .map(|&key| self.jobs.get(key).cloned().unwrap_or_else(Job::empty))
            .collect();
        let (done, _) = data::run(&jobs, &self.image, self.block_size, &self.decoder, budget);
        done.into_iter()
            .zip(&jobs)
            .zip(keys)
            .map(|((result, job), key)| {
                let produced = u64::try_from(result.content.len()).unwrap_or(u64::MAX);
                let granted = u64::try_from(job.granted).unwrap_or(u64::MAX);
                let path = self.paths.get(*key).map(Vec::as_slice).unwrap_or_default();
                let (error, timed_out) = match result.error {
                    // The time limit is recorded once, as a truncation.
                    Some((_, why)) if why == data::TIME_LIMIT => (None, true),
                    Some((offset, why)) => (
                        Some(LayerError {
                            offset,
                            message: format!("{}: {why}", crate::tree::escape_path(path)),
                        }),
                        false,
                    ),
                    None => (None, false),
                };
                Decoded {
                    content: result.content,
                    outcome: Settled {
                        error,
                        timed_out,
                        refund: granted.saturating_sub(produced),
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::limits::Limits;
    use crate::testkit;
    use crate::testkit_squashfs::{SqCompression, SqVersion, SquashfsBuilder};
    use crate::tree::{FileTree, NodeKind};

    const VERSIONS: [SqVersion; 3] = [SqVersion::V2, SqVersion::V3, SqVersion::V4];
    const COMPRESSIONS: [SqCompression; 6] = [
        SqCompression::None,
        SqCompression::Zlib,
        SqCompression::LzmaAlone,
        SqCompression::LzmaShort { marker: true },
        SqCompression::LzmaShort { marker: false },
        SqCompression::LzmaRaw,
    ];

    fn busybox() -> Vec<u8> {
        // Compressible but not trivially: several 4 KiB blocks and a tail.
        let mut data = b"busybox applet table; ".repeat(600);
        data.extend(testkit::noise(3000, 7));
        data
    }

    fn populate(builder: &mut SquashfsBuilder) -> &mut SquashfsBuilder {
        builder
            .dir(b"etc")
            .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
            .file(b"bin/busybox", &busybox())
            .file(b"var/zeros", &vec![0u8; 3 * 4096 + 100])
            .file(b"empty", b"")
            .file(b"exact", &b"0123456789abcdef".repeat(256))
            .symlink(b"bin/sh", b"busybox")
            .char_device(b"dev/console", 5, 1)
            .block_device(b"dev/mtdblock0", 31, 300)
            .fifo(b"dev/initctl")
            .socket(b"run/sock")
            .hardlink(b"bin/ash", b"bin/busybox")
            .attrs(b"etc/passwd", 0o600, 1000, 100, 1_600_000_000)
            .attrs(b"bin/busybox", 0o4755, 0, 0, 1_600_000_001)
            .attrs(b"", 0o700, 0, 0, 1_500_000_000)
    }

    fn content(tree: &FileTree, path: &str) -> Vec<u8> {
        tree.get(path)
            .and_then(|n| n.content())
            .map(|c| c.to_vec())
            .unwrap_or_else(|| panic!("no content at {path}"))
    }

    fn check_sample(tree: &FileTree, version: SqVersion, label: &str) {
        assert_eq!(
            content(tree, "/etc/passwd"),
            b"root:x:0:0::/root:/bin/sh\n",
            "{label}"
        );
        assert_eq!(content(tree, "/bin/busybox"), busybox(), "{label}");
        assert_eq!(content(tree, "/bin/ash"), busybox(), "{label}");
        assert_eq!(
            content(tree, "/var/zeros"),
            vec![0u8; 3 * 4096 + 100],
            "{label}"
        );
        assert_eq!(content(tree, "/empty"), b"", "{label}");
        assert_eq!(
            content(tree, "/exact"),
            b"0123456789abcdef".repeat(256),
            "{label}"
        );
        let kind = |p: &str| tree.get(p).map(|n| n.kind.clone());
        assert_eq!(
            kind("/bin/sh"),
            Some(NodeKind::Symlink {
                target: "busybox".into()
            }),
            "{label}"
        );
        assert_eq!(
            kind("/dev/console"),
            Some(NodeKind::CharDevice { major: 5, minor: 1 }),
            "{label}"
        );
        // 2.x/3.x store devices in 16 bits: minor 300 does not fit there.
        let minor = if version == SqVersion::V4 {
            300
        } else {
            300 & 0xff
        };
        assert_eq!(
            kind("/dev/mtdblock0"),
            Some(NodeKind::BlockDevice { major: 31, minor }),
            "{label}"
        );
        assert_eq!(kind("/dev/initctl"), Some(NodeKind::Fifo), "{label}");
        assert_eq!(kind("/run/sock"), Some(NodeKind::Socket), "{label}");
        let passwd = tree.get("/etc/passwd").unwrap();
        assert_eq!(
            (passwd.mode, passwd.uid, passwd.gid, passwd.mtime),
            (0o600, 1000, 100, 1_600_000_000),
            "{label}"
        );
        let busybox = tree.get("/bin/busybox").unwrap();
        assert_eq!(
            (busybox.mode, busybox.mtime),
            (0o4755, 1_600_000_001),
            "{label}"
        );
        let root = tree.get("/").unwrap();
        assert_eq!((root.mode, root.mtime), (0o700, 1_500_000_000), "{label}");
        assert!(
            tree.anomalies().is_empty(),
            "{label}: {:?}",
            tree.anomalies()
        );
        assert_eq!(tree.files().count(), 6, "{label}");
    }

    #[test]
    fn reads_every_version_byte_order_and_compression() {
        for version in VERSIONS {
            for big in [false, true] {
                for compression in COMPRESSIONS {
                    let label = format!("{version:?} big={big} {compression:?}");
                    let image = populate(
                        SquashfsBuilder::new()
                            .version(version)
                            .big_endian(big)
                            .compression(compression),
                    )
                    .finish();
                    assert!(SquashfsFormat.probe(&image), "{label}");
                    // Padding after bytes_used stays outside the extent.
                    let padded = [image.clone(), vec![0u8; 4000]].concat();
                    let (ex, cx) = extract_ok(&SquashfsFormat, &padded);
                    assert!(cx.errors.is_empty(), "{label}: {:?}", cx.errors);
                    assert!(cx.truncations.is_empty(), "{label}: {:?}", cx.truncations);
                    assert_eq!(ex.consumed, image.len() as u64, "{label}");
                    check_sample(output_tree(&ex), version, &label);
                    let variant = ex.variant.unwrap();
                    let expected_method = match compression {
                        SqCompression::None => "no compressed block",
                        SqCompression::Zlib => "zlib",
                        SqCompression::LzmaAlone => "lzma",
                        SqCompression::LzmaShort { .. } => "5-byte",
                        SqCompression::LzmaRaw => "headerless",
                    };
                    assert!(variant.contains(expected_method), "{label}: {variant}");
                    assert!(
                        variant.contains(if big { "big" } else { "little" }),
                        "{label}: {variant}"
                    );
                }
            }
        }
    }

    #[test]
    fn avm_check_data_lzma_magic_and_no_fragments() {
        let image = populate(SquashfsBuilder::new().big_endian(true).avm(true)).finish();
        let (ex, cx) = extract_ok(&SquashfsFormat, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.variant, Some("4.0 big-endian (AVM), zlib"));
        check_sample(output_tree(&ex), SqVersion::V4, "avm");

        for version in [SqVersion::V2, SqVersion::V3] {
            for big in [false, true] {
                let image = populate(
                    SquashfsBuilder::new()
                        .version(version)
                        .big_endian(big)
                        .check_data(true)
                        .lzma_magic(true)
                        .fragments(false)
                        .compression(SqCompression::LzmaAlone),
                )
                .finish();
                let (ex, cx) = extract_ok(&SquashfsFormat, &image);
                assert!(cx.errors.is_empty(), "{:?}", cx.errors);
                assert!(ex.variant.unwrap().contains("magic"));
                check_sample(output_tree(&ex), version, "check data");
            }
        }
    }

    #[test]
    fn hard_links_and_duplicates_share_one_blob() {
        let data = busybox();
        let image = SquashfsBuilder::new()
            .file(b"a", &data)
            .hardlink(b"b", b"a")
            .file(b"c", &data)
            .finish();
        let (ex, cx) = extract_ok(&SquashfsFormat, &image);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        let tree = output_tree(&ex);
        let ptr = |p: &str| tree.get(p).unwrap().content().unwrap().as_ptr();
        assert_eq!(ptr("/a"), ptr("/b"));
        assert_eq!(content(tree, "/c"), data);
    }

    #[test]
    fn limits_cut_files_deterministically() {
        let image = populate(&mut SquashfsBuilder::new()).finish();
        let limits = Limits {
            max_file_bytes: 5000,
            ..Limits::default()
        };
        let (result, cx) = extract_with(&SquashfsFormat, &image, &limits);
        let ex = result.unwrap();
        let tree = output_tree(&ex);
        assert_eq!(content(tree, "/bin/busybox"), busybox()[..5000].to_vec());
        assert_eq!(content(tree, "/var/zeros"), vec![0u8; 5000]);
        assert!(
            cx.truncations
                .iter()
                .any(|t| t.limit == LimitKind::FileBytes)
        );
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);

        let limits = Limits {
            max_total_bytes: 10_000,
            ..Limits::default()
        };
        let (result, cx) = extract_with(&SquashfsFormat, &image, &limits);
        let ex = result.unwrap();
        let total: usize = output_tree(&ex).files().map(|n| n.size as usize).sum();
        assert!(total <= 10_000 + busybox().len(), "{total}");
        assert!(
            cx.truncations
                .iter()
                .any(|t| t.limit == LimitKind::TotalBytes)
        );
        assert!(cx.budget.produced() <= 10_000);

        let limits = Limits {
            max_entries: 5,
            ..Limits::default()
        };
        let (result, cx) = extract_with(&SquashfsFormat, &image, &limits);
        assert!(output_tree(&result.unwrap()).len() <= 5);
        assert!(cx.truncations.iter().any(|t| t.limit == LimitKind::Entries));
    }

    #[test]
    fn truncated_image_keeps_what_is_there_and_corrupt_starts_are_rejected() {
        let image = populate(SquashfsBuilder::new().compression(SqCompression::Zlib)).finish();
        let cut = &image[..image.len() - 10];
        let (result, cx) = extract_with(&SquashfsFormat, cut, &Limits::default());
        // The id table is at the end: owners fall back to 0, the rest is read.
        if let Ok(ex) = result {
            assert_eq!(ex.consumed, cut.len() as u64);
            assert!(!cx.errors.is_empty());
        }
        for len in (0..image.len()).step_by(11) {
            let _ = extract_with(&SquashfsFormat, &image[..len], &Limits::default());
        }
        let mut bad = image.clone();
        bad[28] = 9; // major version
        assert!(!SquashfsFormat.probe(&bad));
        assert!(
            extract_with(&SquashfsFormat, &bad, &Limits::default())
                .0
                .is_err()
        );
    }
}
