//! Hostile ext images: escaping and impossible names, directory loops through hard-linked
//! directories, block pointers and extent trees that point outside the image or at themselves,
//! absurd sizes, lying geometry, entry floods, truncation at every few bytes and random bit
//! flips.
//!
//! Every case asserts: no panic, no hang (a time bound), output within the limits, and the
//! damage recorded; materialised output stays inside its directory.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::testkit::{ExtBuilder, ext_mode, noise};
use common::{error_messages, limit_kinds, materialize_sandboxed};
use hallmark_unpack::{AnomalyKind, FileTree, LimitKind, Limits, Unpacked, Unpacker};

fn unpack(data: Vec<u8>, limits: Limits) -> Unpacked {
    Unpacker::new(limits).unpack_bytes("hostile.ext", data)
}

/// The tree of the ext layer at offset 0.
fn ext_tree(unpacked: &Unpacked) -> &FileTree {
    let layer = &unpacked.root.children[0];
    assert_eq!(layer.format, "ext", "{}", unpacked.listing());
    layer.tree.as_ref().unwrap()
}

fn put32(image: &mut [u8], at: usize, value: u32) {
    image[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn patched(image: &[u8], at: usize, value: u32) -> Vec<u8> {
    let mut out = image.to_vec();
    put32(&mut out, at, value);
    out
}

fn get32(image: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(image[at..at + 4].try_into().unwrap())
}

/// Offset of `i_block[slot]` of inode `ino`.
fn i_block(builder: &ExtBuilder, ino: u32, slot: usize) -> usize {
    builder.inode_offset(ino) + 0x28 + slot * 4
}

#[test]
fn impossible_and_escaping_names_are_neutralised() {
    let mut builder = ExtBuilder::new();
    builder
        .file(b"target", b"secret")
        .dir(b"d2")
        .file(b"d2/x", b"in d2")
        .symlink(b"d", b"/")
        .symlink(b"up", b"../../victim");
    let target = builder.ino(b"target");
    let d2 = builder.ino(b"d2");
    for name in [
        &b".."[..],
        b".",
        b"../../escape",
        b"a/b",
        b"/abs",
        b"evil\x1b[31mname",
        b"bad\xffname",
        b"nul\0name",
        b"...",
    ] {
        builder.raw_dirent(b"", name, target);
    }
    // A second "d", a directory, next to the symlink "d": its entries must never go through
    // the link.
    builder.raw_dirent(b"", b"d", d2);
    let image = builder.finish();

    let unpacked = unpack(image, Limits::default());
    let tree = ext_tree(&unpacked);
    let kinds: Vec<AnomalyKind> = tree.anomalies().iter().map(|a| a.kind).collect();
    assert!(kinds.contains(&AnomalyKind::EscapedName), "{kinds:?}");
    let messages = error_messages(&unpacked);
    assert_eq!(
        messages
            .iter()
            .filter(|e| e.contains("names a '/'"))
            .count(),
        3,
        "{messages:?}"
    );
    for node in tree.iter() {
        assert!(
            !node.path.split('/').any(|c| c == ".." || c == "."),
            "{}",
            node.path
        );
        assert!(!node.path.chars().any(char::is_control), "{}", node.path);
    }
    assert_eq!(
        tree.read("/...").map(|b| b.to_vec()),
        Some(b"secret".to_vec())
    );
    assert!(tree.get("/nul\\x00name").is_some());
    assert!(tree.get("/escape").is_none() && tree.get("/a/b").is_none());
    // Whichever "d" won, nothing sits below a symlink.
    for node in tree.iter() {
        let mut parent = node.path.as_str();
        while let Some((up, _)) = parent.rsplit_once('/') {
            parent = up;
            if let Some(ancestor) = tree.get(if up.is_empty() { "/" } else { up }) {
                assert!(ancestor.is_dir(), "{} below {}", node.path, ancestor.path);
            }
        }
    }
    materialize_sandboxed(&unpacked);
}

#[test]
fn directory_loops_through_hard_linked_directories_terminate() {
    let mut builder = ExtBuilder::new();
    builder.file(b"a/b/c/file", b"leaf");
    let a = builder.ino(b"a");
    let c = builder.ino(b"a/b/c");
    builder
        .raw_dirent(b"a/b/c", b"loop", a)
        .raw_dirent(b"a", b"self", a)
        .raw_dirent(b"a/b/c", b"root", 2)
        .raw_dirent(b"", b"c-again", c);
    let started = Instant::now();
    let unpacked = unpack(builder.finish(), Limits::default());
    assert!(started.elapsed() < Duration::from_secs(5));
    let tree = ext_tree(&unpacked);
    // c is reached first (breadth first) as /c-again: its entries are there, once.
    assert_eq!(
        tree.read("/c-again/file").map(|b| b.to_vec()),
        Some(b"leaf".to_vec())
    );
    assert!(tree.get("/a/b/c").is_some_and(|n| n.is_dir()));
    assert_eq!(tree.children("/a/b/c").count(), 0);
    for looped in ["/c-again/loop", "/a/self", "/c-again/root"] {
        let node = tree.get(looped).unwrap();
        assert!(node.is_dir(), "{looped}");
        assert_eq!(tree.children(looped).count(), 0, "{looped} was descended");
    }
    let messages = error_messages(&unpacked);
    assert!(
        messages
            .iter()
            .filter(|e| e.contains("reached again"))
            .count()
            >= 3,
        "{messages:?}"
    );
}

#[test]
fn block_pointers_outside_the_image_read_as_zeros() {
    // Block maps: a direct pointer and the single indirect pointer out of range.
    let mut builder = ExtBuilder::new();
    let content = noise(20 * 1024, 7);
    builder.file(b"f", &content);
    let ino = builder.ino(b"f");
    let mut image = builder.finish();
    put32(&mut image, i_block(&builder, ino, 0), 0xffff_fff0);
    put32(&mut image, i_block(&builder, ino, 12), 0x7fff_ff00);
    let unpacked = unpack(image, Limits::default());
    let got = ext_tree(&unpacked).read("/f").unwrap().to_vec();
    assert_eq!(got.len(), content.len());
    assert!(got[..1024].iter().all(|&b| b == 0));
    assert_eq!(got[1024..12 * 1024], content[1024..12 * 1024]);
    assert!(got[12 * 1024..].iter().all(|&b| b == 0));
    let messages = error_messages(&unpacked);
    assert!(
        messages.iter().any(|e| e.contains("out of range")),
        "{messages:?}"
    );

    // Extents: a 48-bit start far past the end.
    let mut builder = ExtBuilder::new();
    builder.extents(true).file(b"f", &content);
    let ino = builder.ino(b"f");
    let mut image = builder.finish();
    let extent = i_block(&builder, ino, 3);
    image[extent + 6..extent + 8].copy_from_slice(&0xffffu16.to_le_bytes());
    let unpacked = unpack(image, Limits::default());
    let got = ext_tree(&unpacked).read("/f").unwrap().to_vec();
    assert_eq!(got.len(), content.len());
    assert!(got.iter().all(|&b| b == 0));
    assert!(!error_messages(&unpacked).is_empty());
}

#[test]
fn extent_trees_that_loop_or_lie_about_depth_stop() {
    let pieces: Vec<(u64, Vec<u8>)> = (0..40u64).map(|i| (i * 2, vec![b'x'; 10])).collect();
    let refs: Vec<(u64, &[u8])> = pieces.iter().map(|(b, d)| (*b, d.as_slice())).collect();
    let mut builder = ExtBuilder::new();
    builder.extents(true).sparse_file(b"f", 80 * 1024, &refs);
    let ino = builder.ino(b"f");
    let clean = builder.finish();
    // The root is an index (depth 1); its first entry names the leaf block.
    let leaf = get32(&clean, i_block(&builder, ino, 4)) as usize * 1024;

    // 1. The leaf claims depth 1 and points at itself, in every entry.
    let mut image = clean.clone();
    image[leaf + 6..leaf + 8].copy_from_slice(&1u16.to_le_bytes());
    for entry in 0..40 {
        let at = leaf + 12 + entry * 12;
        put32(&mut image, at + 4, (leaf / 1024) as u32);
        image[at + 8..at + 10].copy_from_slice(&0u16.to_le_bytes());
    }
    // 2. Same, at depth 0 of the root, so the loop is well-formed depth-wise.
    let mut deep = image.clone();
    let root_depth = builder.inode_offset(ino) + 0x28 + 6;
    deep[root_depth..root_depth + 2].copy_from_slice(&5u16.to_le_bytes());
    image[leaf + 6..leaf + 8].copy_from_slice(&0u16.to_le_bytes());
    for case in [image, deep] {
        let started = Instant::now();
        let unpacked = unpack(case, Limits::default());
        assert!(started.elapsed() < Duration::from_secs(5));
        let got = ext_tree(&unpacked).read("/f").unwrap();
        assert_eq!(got.len(), 80 * 1024);
        assert!(!error_messages(&unpacked).is_empty());
    }
}

#[test]
fn absurd_sizes_stop_at_the_limits_quickly() {
    let mut builder = ExtBuilder::new();
    for i in 0..50 {
        builder.sparse_file(format!("huge{i}").as_bytes(), 4096, &[(1, b"data")]);
    }
    let inos: Vec<u32> = (0..50)
        .map(|i| builder.ino(format!("huge{i}").as_bytes()))
        .collect();
    let mut image = builder.finish();
    for ino in inos {
        let at = builder.inode_offset(ino);
        put32(&mut image, at + 0x04, u32::MAX);
        put32(&mut image, at + 0x6c, u32::MAX);
    }
    let started = Instant::now();
    let unpacked = unpack(image, Limits::default());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let limits = limit_kinds(&unpacked);
    assert!(limits.contains(&LimitKind::FileBytes), "{limits:?}");
    assert!(limits.contains(&LimitKind::Ratio), "{limits:?}");
    let total: usize = ext_tree(&unpacked)
        .files()
        .map(|n| n.content().unwrap().len())
        .sum();
    assert!(total <= 16 << 20, "{total}");

    // A symlink claiming a gigantic target is skipped.
    let mut builder = ExtBuilder::new();
    builder.symlink(b"l", &[b'x'; 100]);
    let ino = builder.ino(b"l");
    let mut image = builder.finish();
    put32(&mut image, builder.inode_offset(ino) + 4, 1 << 30);
    let unpacked = unpack(image, Limits::default());
    assert!(ext_tree(&unpacked).get("/l").is_none());
    assert!(
        error_messages(&unpacked)
            .iter()
            .any(|e| e.contains("symlink target"))
    );
}

#[test]
fn lying_geometry_and_bad_inodes_are_reported_not_followed() {
    let base = || {
        let mut builder = ExtBuilder::new();
        builder.file(b"etc/passwd", b"root").file(b"other", b"x");
        builder
    };
    let builder = base();
    let clean = builder.finish();
    // Group descriptor: inode table past the end, or at block 0; a root inode that is a
    // regular file. No root directory: the bytes are not claimed as ext, and all are kept.
    let root = builder.inode_offset(2);
    let mut not_dir = clean.clone();
    not_dir[root..root + 2].copy_from_slice(&(ext_mode::FILE | 0o644).to_le_bytes());
    for image in [
        patched(&clean, 2 * 1024 + 8, 0x00ff_ffff),
        patched(&clean, 2 * 1024 + 8, 0),
        not_dir,
    ] {
        let len = image.len() as u64;
        let unpacked = unpack(image, Limits::default());
        assert!(unpacked.root.children.iter().all(|l| l.format != "ext"));
        assert_eq!(unpacked.root.size, len);
    }
    // Entries naming inode 0 (skipped), inodes past the count, and an unknown file type.
    let mut builder = base();
    builder
        .raw_dirent(b"", b"zero", 0)
        .raw_dirent(b"", b"far", 1_000_000)
        .raw_dirent(b"", b"reserved", 7);
    let other = builder.ino(b"other");
    let mut image = builder.finish();
    let at = builder.inode_offset(other);
    image[at..at + 2].copy_from_slice(&0o170644u16.to_le_bytes());
    let unpacked = unpack(image, Limits::default());
    let tree = ext_tree(&unpacked);
    assert_eq!(
        tree.read("/etc/passwd").map(|b| b.to_vec()),
        Some(b"root".to_vec())
    );
    let messages = error_messages(&unpacked);
    for needle in ["out of range", "unknown file type"] {
        assert!(
            messages.iter().any(|e| e.contains(needle)),
            "{needle}: {messages:?}"
        );
    }
    // Directory record lengths that overrun their block.
    let builder = base();
    let mut image = builder.finish();
    let root_dir = get32(&image, i_block(&builder, 2, 0)) as usize * 1024;
    image[root_dir + 4..root_dir + 6].copy_from_slice(&3000u16.to_le_bytes());
    let unpacked = unpack(image, Limits::default());
    assert!(
        error_messages(&unpacked)
            .iter()
            .any(|e| e.contains("directory entry"))
    );
}

#[test]
fn entry_floods_stop_at_the_entry_limit() {
    let mut builder = ExtBuilder::new();
    builder.file(b"f", b"x");
    let target = builder.ino(b"f");
    for i in 0..5000 {
        builder.raw_dirent(b"", format!("name{i}").as_bytes(), target);
    }
    let limits = Limits {
        max_entries: 1000,
        ..Limits::default()
    };
    let unpacked = unpack(builder.finish(), limits);
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Entries));
    assert!(ext_tree(&unpacked).len() <= 1000);
}

fn sample_images() -> Vec<Vec<u8>> {
    let fill = |builder: &mut ExtBuilder| {
        builder
            .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
            .file(b"bin/busybox", &noise(14 * 1024, 3))
            .hardlink(b"bin/sh", b"bin/busybox")
            .symlink(b"bin/ls", b"busybox")
            .symlink(b"lib/long", &[b'l'; 80])
            .special(b"dev/console", ext_mode::CHAR, 5, 1)
            .sparse_file(b"sparse", 64 * 1024, &[(3, b"three")])
            .finish()
    };
    vec![
        fill(&mut ExtBuilder::new()),
        fill(ExtBuilder::new().filetype(false)),
        fill(ExtBuilder::new().extents(true).inode_size(256)),
    ]
}

fn assert_within_limits(unpacked: &Unpacked, limits: &Limits) {
    assert!(unpacked.stats.bytes_produced <= limits.max_total_bytes);
    for (_, tree) in unpacked.trees() {
        for node in tree.files() {
            assert!(node.size <= limits.max_file_bytes);
        }
    }
}

#[test]
fn truncation_at_every_few_bytes_never_panics() {
    let limits = Limits::default();
    let started = Instant::now();
    for image in sample_images() {
        for cut in (0..image.len()).step_by(61) {
            let unpacked = unpack(image[..cut].to_vec(), limits.clone());
            assert_within_limits(&unpacked, &limits);
            assert_eq!(unpacked.root.size, cut as u64);
        }
    }
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn random_bit_flips_never_panic_or_hang() {
    let limits = Limits {
        max_time: Duration::from_secs(10),
        ..Limits::default()
    };
    let started = Instant::now();
    for (n, image) in sample_images().into_iter().enumerate() {
        let rolls = noise(4 * 600, 99 + n as u64);
        for (i, roll) in rolls.chunks(4).enumerate() {
            let mut bad = image.clone();
            // Mostly metadata (superblock, descriptors, inode table, directories).
            let span = if i % 4 == 0 { bad.len() } else { 24 * 1024 };
            for (j, byte) in roll.iter().enumerate().take(1 + i % 4) {
                let seed = u64::from(*byte) << 16 | (i as u64) << 3 | j as u64;
                let at = (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11) as usize % span;
                bad[at] ^= 1 << (byte % 8);
            }
            let unpacked = unpack(bad, limits.clone());
            assert_within_limits(&unpacked, &limits);
        }
    }
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn directories_sharing_blocks_cannot_multiply_the_work() {
    // One file of 268 blocks, each a full block of empty directory entries; 3000
    // directories all pointing at its blocks.
    let mut empty_block = Vec::new();
    for i in 0..85 {
        let rec: u16 = if i == 84 { 1024 - 12 * 84 } else { 12 };
        empty_block.extend_from_slice(&0u32.to_le_bytes());
        empty_block.extend_from_slice(&rec.to_le_bytes());
        empty_block.extend_from_slice(&[0; 6]);
    }
    empty_block.resize(1024, 0);
    let mut builder = ExtBuilder::new();
    builder.file(b"blocks", &empty_block.repeat(268));
    for i in 0..3000 {
        builder.dir(format!("d{i}").as_bytes());
    }
    let source = builder.ino(b"blocks");
    let dirs: Vec<u32> = (0..3000)
        .map(|i| builder.ino(format!("d{i}").as_bytes()))
        .collect();
    let mut image = builder.finish();
    let map: Vec<u8> = image[i_block(&builder, source, 0)..i_block(&builder, source, 13)].to_vec();
    for ino in dirs {
        put32(&mut image, builder.inode_offset(ino) + 4, 268 * 1024);
        let at = i_block(&builder, ino, 0);
        image[at..at + map.len()].copy_from_slice(&map);
    }
    let started = Instant::now();
    let unpacked = unpack(image, Limits::default());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let messages = error_messages(&unpacked);
    assert!(
        messages.iter().any(|e| e.contains("share blocks")),
        "{messages:?}"
    );
    assert!(ext_tree(&unpacked).get("/d2999").is_some());
}

#[test]
fn a_duplicate_name_never_redirects_a_hard_link() {
    let mut builder = ExtBuilder::new();
    builder
        .file(b"a", b"first inode")
        .file(b"other", b"second inode");
    let first = builder.ino(b"a");
    let second = builder.ino(b"other");
    builder
        .raw_dirent(b"", b"a", second)
        .raw_dirent(b"", b"b", first);
    let unpacked = unpack(builder.finish(), Limits::default());
    let tree = ext_tree(&unpacked);
    assert_eq!(
        tree.read("/a").map(|b| b.to_vec()),
        Some(b"second inode".to_vec())
    );
    assert_eq!(
        tree.read("/b").map(|b| b.to_vec()),
        Some(b"first inode".to_vec())
    );
}
