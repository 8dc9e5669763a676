//! Hostile JFFS2 images: escaping names, symlink-then-write, directory loops, absurd sizes,
//! floods, bad CRCs, truncation at every few bytes and random bit flips.
//!
//! Every case asserts: no panic, no hang, nothing written outside a sandboxed output, output
//! within the limits, and the damage or limit recorded.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::testkit::{self, Jffs2Builder, Jffs2Inode, jffs2_compr};
use common::{MIB, error_messages, limit_kinds, tree_of, unpack_sandboxed};
use hallmark_unpack::{LimitKind, Limits, Unpacker};

const FILE: u32 = 0o100644;
const DIR: u8 = 4;
const REG: u8 = 8;

#[test]
fn escaping_names_are_refused() {
    let mut b = Jffs2Builder::new(false);
    b.dir(1, 2, b"etc");
    for (ino, name) in [
        (10, &b".."[..]),
        (11, b"."),
        (12, b"../../tmp/hallmark-pwned"),
        (13, b"/abs-escape"),
        (14, b"a/b"),
        (15, b"nul\0byte"),
        (16, b""),
    ] {
        b.dirent(2, ino, name, REG);
        b.inode(&Jffs2Inode::new(ino, 1, FILE).stored(0, b"escape", 6));
    }
    b.file(2, 20, b"passwd", b"root:x:0:0::/root:/bin/sh\n");
    let unpacked = unpack_sandboxed("hostile.jffs2", b.finish(), Limits::default());
    let tree = tree_of(&unpacked, "jffs2");
    let paths: Vec<&str> = tree.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, ["/", "/etc", "/etc/passwd"], "{paths:?}");
    let errors = error_messages(&unpacked);
    assert_eq!(
        errors.iter().filter(|e| e.contains(" skipped: ")).count(),
        7,
        "{errors:?}"
    );
}

#[test]
fn symlink_then_write_stays_inside() {
    let mut b = Jffs2Builder::new(true);
    // A symlink out of the tree, then entries "inside" it: the link's inode is not a
    // directory, so nothing is ever placed below it.
    b.symlink(1, 2, b"out", b"../../../../tmp");
    b.dirent(2, 3, b"hallmark-pwned", REG);
    b.inode(&Jffs2Inode::new(3, 1, FILE).stored(0, b"pwned", 5));
    // A name that is a symlink in an old version and a directory in a newer one, and the
    // reverse: only the newest counts.
    b.dirent_v(1, 4, 10, b"flip", 10);
    b.inode(&Jffs2Inode::new(4, 1, 0o120777).stored(0, b"/", 1));
    b.dirent_v(1, 5, 11, b"flip", DIR);
    b.inode(&Jffs2Inode::new(5, 1, 0o040755));
    b.file(5, 6, b"inside", b"ok");
    b.dirent_v(1, 7, 12, b"flop", DIR);
    b.inode(&Jffs2Inode::new(7, 1, 0o040755));
    b.file(7, 8, b"hidden", b"no");
    b.dirent_v(1, 9, 13, b"flop", 10);
    b.inode(&Jffs2Inode::new(9, 1, 0o120777).stored(0, b"/etc", 4));
    let unpacked = unpack_sandboxed("hostile.jffs2", b.finish(), Limits::default());
    let tree = tree_of(&unpacked, "jffs2");
    assert!(tree.get("/out").is_some_and(|n| !n.is_dir()));
    assert!(tree.get("/out/hallmark-pwned").is_none());
    assert_eq!(
        tree.read("/flip/inside").map(|b| b.to_vec()),
        Some(b"ok".to_vec())
    );
    assert!(tree.get("/flop").is_some_and(|n| !n.is_dir()));
    assert!(tree.get("/flop/hidden").is_none());
}

#[test]
fn directory_loops_end() {
    let mut b = Jffs2Builder::new(false);
    b.dir(1, 2, b"a");
    b.dir(2, 3, b"b");
    b.dirent(3, 2, b"back-to-a", DIR); // b -> a: a loop
    b.dirent(3, 3, b"self", DIR); // b contains itself
    b.dirent(3, 1, b"root", DIR); // the root inside b
    b.file(3, 4, b"f", b"data");
    // An island loop nowhere below the root.
    b.dir(50, 51, b"x");
    b.dir(51, 50, b"y");
    let start = Instant::now();
    let unpacked = unpack_sandboxed("hostile.jffs2", b.finish(), Limits::default());
    assert!(start.elapsed() < Duration::from_secs(5));
    let tree = tree_of(&unpacked, "jffs2");
    let paths: Vec<&str> = tree.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, ["/", "/a", "/a/b", "/a/b/f"], "{paths:?}");
    let errors = error_messages(&unpacked);
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.contains("reached twice"))
            .count(),
        2,
        "{errors:?}"
    );
}

#[test]
fn absurd_sizes_are_bounded_by_the_limits() {
    let mut b = Jffs2Builder::new(false);
    // A 4 GiB file from one 5-byte node.
    b.dirent(1, 2, b"huge", REG);
    b.inode(&Jffs2Inode::new(2, 1, FILE).stored(0, b"hello", u32::MAX));
    // A hole node claiming 4 GiB.
    b.dirent(1, 3, b"hole", REG);
    b.inode(&Jffs2Inode::new(3, 1, FILE).compressed(0, &[], jffs2_compr::ZERO, u32::MAX));
    let mut hole = Jffs2Inode::new(3, 2, FILE);
    hole.isize = u32::MAX;
    hole.dsize = u32::MAX;
    hole.compr = jffs2_compr::ZERO;
    b.inode(&hole);
    // A zlib node claiming to decompress to 4 GiB.
    b.dirent(1, 4, b"bomb", REG);
    let mut bomb =
        Jffs2Inode::new(4, 1, FILE).compressed(0, &vec![0; 100_000], jffs2_compr::ZLIB, u32::MAX);
    bomb.dsize = u32::MAX;
    // Node CRC is recomputed by the builder.
    b.inode(&bomb);
    // Many files each claiming 4 GiB.
    for ino in 10..60 {
        b.dirent(1, ino, format!("many{ino}").as_bytes(), REG);
        b.inode(&Jffs2Inode::new(ino, 1, FILE).stored(0, b"x", u32::MAX));
    }
    let image = b.finish();

    let limits = Limits {
        max_file_bytes: MIB,
        max_total_bytes: 8 * MIB,
        ..Limits::default()
    };
    let start = Instant::now();
    let unpacked = unpack_sandboxed("hostile.jffs2", image.clone(), limits);
    assert!(start.elapsed() < Duration::from_secs(20));
    let tree = tree_of(&unpacked, "jffs2");
    let huge = tree.read("/huge").unwrap();
    assert_eq!(huge.len() as u64, MIB);
    assert_eq!(&huge[..5], b"hello");
    let total: u64 = tree.files().map(|n| n.size).sum();
    assert!(total <= 8 * MIB, "{total}");
    let kinds = limit_kinds(&unpacked);
    assert!(kinds.contains(&LimitKind::FileBytes), "{kinds:?}");
    assert!(kinds.contains(&LimitKind::TotalBytes), "{kinds:?}");
    assert!(
        error_messages(&unpacked)
            .iter()
            .any(|e| e.contains("node data of")),
        "{:?}",
        error_messages(&unpacked)
    );

    // Default limits: a file is cut at 1 GiB, the total at 4 GiB, and zero pages cost no
    // real memory until touched; keep this one small by giving only three files.
    let mut b = Jffs2Builder::new(false);
    b.dirent(1, 2, b"huge", REG);
    b.inode(&Jffs2Inode::new(2, 1, FILE).stored(0, b"hello", u32::MAX));
    let unpacked = Unpacker::new(Limits {
        max_total_bytes: 64 * MIB,
        ..Limits::default()
    })
    .unpack_bytes("x", b.finish());
    let tree = tree_of(&unpacked, "jffs2");
    assert_eq!(tree.read("/huge").unwrap().len() as u64, 64 * MIB);
}

#[test]
fn entry_floods_stop_at_the_limit() {
    let mut b = Jffs2Builder::new(false);
    for ino in 2..5000 {
        b.file(1, ino, format!("f{ino}").as_bytes(), b"x");
    }
    let limits = Limits {
        max_entries: 100,
        ..Limits::default()
    };
    let unpacked = unpack_sandboxed("hostile.jffs2", b.finish(), limits);
    assert!(tree_of(&unpacked, "jffs2").len() <= 100);
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Entries));
}

fn sample() -> Vec<u8> {
    let text = b"some compressible text for the hostile sample; ".repeat(40);
    let mut b = Jffs2Builder::new(false);
    b.cleanmarker();
    b.dir(1, 2, b"etc");
    b.file(2, 3, b"passwd", b"root:x:0:0::/root:/bin/sh\n");
    b.symlink(1, 4, b"sh", b"/bin/busybox");
    for (ino, compr) in [
        (5, jffs2_compr::ZLIB),
        (6, jffs2_compr::RTIME),
        (7, jffs2_compr::LZO),
        (8, jffs2_compr::LZMA),
    ] {
        b.dirent(2, ino, format!("c{compr}").as_bytes(), REG);
        b.inode(&Jffs2Inode::new(ino, 1, FILE).compressed(0, &text, compr, text.len() as u32));
    }
    b.pad_to(4096);
    b.finish()
}

#[test]
fn truncations_and_bit_flips_never_panic_or_hang() {
    let image = sample();
    let start = Instant::now();
    for cut in (0..image.len()).step_by(3) {
        let unpacked =
            Unpacker::new(Limits::default()).unpack_bytes("cut.jffs2", image[..cut].to_vec());
        assert_eq!(unpacked.root.size, cut as u64);
    }
    for (i, seed) in (0..image.len()).step_by(7).zip(1u64..) {
        let mut bad = image.clone();
        let noise = testkit::noise(1, seed)[0];
        bad[i] ^= noise | 1;
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("flip.jffs2", bad);
        assert_eq!(unpacked.root.size, image.len() as u64);
    }
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn noise_around_and_inside_a_valid_start_is_handled() {
    // A valid first node followed by noise: the image ends where the nodes end.
    let mut data = Jffs2Builder::new(false).file(1, 2, b"a", b"x").finish();
    data.extend_from_slice(&testkit::noise(300_000, 5));
    let start = Instant::now();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("noise", data);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(
        tree_of(&unpacked, "jffs2").read("/a").map(|b| b.to_vec()),
        Some(b"x".to_vec())
    );
    // Megabytes of erased flash with nodes scattered in it.
    let mut b = Jffs2Builder::new(false);
    for i in 0..16u32 {
        b.pad_to(i as usize * 256 * 1024);
        b.file(1, i + 2, format!("f{i}").as_bytes(), b"scattered");
    }
    b.pad_to(4 << 20);
    let data = b.finish();
    let start = Instant::now();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("sparse", data);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(tree_of(&unpacked, "jffs2").files().count(), 16);
}
