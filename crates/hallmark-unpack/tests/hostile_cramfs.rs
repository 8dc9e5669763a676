//! Hostile cramfs images: escaping names, directory loops, wild pointers, absurd sizes,
//! entry floods, truncation at every few bytes and random bit flips.
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

use common::testkit::{self, CramfsEntry, cramfs_dir_size, cramfs_image};
use common::{MIB, error_messages, limit_kinds, tree_of, unpack_sandboxed};
use hallmark_unpack::{LimitKind, Limits, Unpacker};

#[test]
fn escaping_names_are_refused() {
    let image = cramfs_image(
        &[CramfsEntry::dir(
            b"etc",
            vec![
                CramfsEntry::file(b"..", b"x"),
                CramfsEntry::file(b".", b"x"),
                CramfsEntry::file(b"../../tmp/hallmark-pwned", b"x"),
                CramfsEntry::file(b"/abs-escape", b"x"),
                CramfsEntry::file(b"passwd", b"root:x:0:0::/root:/bin/sh\n"),
                CramfsEntry::symlink(b"out", b"../../../../tmp"),
            ],
        )],
        true,
    );
    let unpacked = unpack_sandboxed("hostile.cramfs", image, Limits::default());
    let tree = tree_of(&unpacked, "cramfs");
    let paths: Vec<&str> = tree.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, ["/", "/etc", "/etc/out", "/etc/passwd"], "{paths:?}");
    assert_eq!(
        error_messages(&unpacked)
            .iter()
            .filter(|e| e.contains(" skipped: "))
            .count(),
        4
    );
}

#[test]
fn directory_loops_end() {
    // The root's entries start at 76: subdirectories pointing there loop back.
    let root = |size: u32| {
        vec![
            CramfsEntry::raw(b"again", 0o040755, size, 76),
            CramfsEntry::dir(b"sub", vec![CramfsEntry::raw(b"up", 0o040755, size, 76)]),
            CramfsEntry::file(b"f", b"data"),
        ]
    };
    let size = cramfs_dir_size(&root(0)) as u32;
    let start = Instant::now();
    let unpacked = unpack_sandboxed(
        "hostile.cramfs",
        cramfs_image(&root(size), false),
        Limits::default(),
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    let tree = tree_of(&unpacked, "cramfs");
    let paths: Vec<&str> = tree.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, ["/", "/f", "/sub"], "{paths:?}");
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
fn absurd_sizes_and_wild_pointers_are_bounded() {
    // 16 MiB files (the 24-bit maximum) whose pointers lead nowhere, many of them: the
    // per-file and total limits hold, and reading them is quick.
    let mut entries = Vec::new();
    for i in 0..60u32 {
        entries.push(CramfsEntry::raw(
            format!("big{i:02}").as_bytes(),
            0o100644,
            0x00ff_ffff,
            76 + 4 * i,
        ));
    }
    // A directory claiming 16 MiB of entries.
    entries.push(CramfsEntry::raw(b"dir", 0o040755, 0x00ff_ffff, 80));
    let image = cramfs_image(&entries, false);
    let limits = Limits {
        max_file_bytes: MIB,
        max_total_bytes: 8 * MIB,
        ..Limits::default()
    };
    let start = Instant::now();
    let unpacked = unpack_sandboxed("hostile.cramfs", image, limits);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    let tree = tree_of(&unpacked, "cramfs");
    let total: u64 = tree.files().map(|n| n.size).sum();
    assert!(total <= 8 * MIB, "{total}");
    assert!(tree.files().all(|n| n.size <= MIB));
    let kinds = limit_kinds(&unpacked);
    assert!(kinds.contains(&LimitKind::FileBytes), "{kinds:?}");
    assert!(kinds.contains(&LimitKind::TotalBytes), "{kinds:?}");
    assert!(!error_messages(&unpacked).is_empty());
}

#[test]
fn entry_floods_stop_at_the_limit() {
    let entries: Vec<CramfsEntry> = (0..3000)
        .map(|i| CramfsEntry::file(format!("f{i:04}").as_bytes(), b"x"))
        .collect();
    let limits = Limits {
        max_entries: 100,
        ..Limits::default()
    };
    let unpacked = unpack_sandboxed("hostile.cramfs", cramfs_image(&entries, false), limits);
    assert!(tree_of(&unpacked, "cramfs").len() <= 100);
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Entries));
}

fn sample(big: bool) -> Vec<u8> {
    cramfs_image(
        &[
            CramfsEntry::dir(
                b"etc",
                vec![
                    CramfsEntry::file(b"passwd", b"root:x:0:0::/root:/bin/sh\n"),
                    CramfsEntry::file(b"big", &b"text for blocks ".repeat(700)),
                ],
            ),
            CramfsEntry::symlink(b"sh", b"/bin/busybox"),
            CramfsEntry::raw(b"console", 0o020600, 0x0501, 0),
        ],
        big,
    )
}

#[test]
fn truncations_and_bit_flips_never_panic_or_hang() {
    let start = Instant::now();
    for big in [false, true] {
        let image = sample(big);
        // The interesting bytes are at the start; the rest is padding.
        let used = image.len() - image.iter().rev().take_while(|&&b| b == 0).count();
        for cut in (0..used + 8).step_by(3) {
            let unpacked =
                Unpacker::new(Limits::default()).unpack_bytes("cut", image[..cut].to_vec());
            assert_eq!(unpacked.root.size, cut as u64);
        }
        for (i, seed) in (0..used).step_by(3).zip(1u64..) {
            let mut bad = image.clone();
            bad[i] ^= testkit::noise(1, seed)[0] | 1;
            let unpacked = Unpacker::new(Limits::default()).unpack_bytes("flip", bad);
            assert_eq!(unpacked.root.size, image.len() as u64);
        }
    }
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_superblock_followed_by_noise() {
    let image = sample(false);
    let mut data = image[..76].to_vec();
    data.extend_from_slice(&testkit::noise(200_000, 3));
    let start = Instant::now();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("noise", data);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(unpacked.root.size, 200_076);
}

#[test]
fn error_floods_are_capped() {
    // 2000 entries named ".." in one directory, and 100 more directories each pointing a
    // little further into the same entries: 100,000 bad names in all.
    let bad: Vec<CramfsEntry> = (0..2000).map(|_| CramfsEntry::file(b"..", b"")).collect();
    let bad_size = cramfs_dir_size(&bad) as u32;
    let root = |base: u32| {
        let mut entries = vec![CramfsEntry::dir(b"bad", bad.clone())];
        for k in 0..100u32 {
            entries.push(CramfsEntry::raw(
                format!("d{k:03}").as_bytes(),
                0o040755,
                bad_size - 16 * k,
                base + 16 * k,
            ));
        }
        entries
    };
    let base = 76 + cramfs_dir_size(&root(0)) as u32;
    let start = Instant::now();
    let unpacked = unpack_sandboxed(
        "hostile.cramfs",
        cramfs_image(&root(base), false),
        Limits::default(),
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    let errors = error_messages(&unpacked);
    assert!(errors.len() <= 70, "{}", errors.len());
    assert!(
        errors.last().unwrap().contains("more problems"),
        "{errors:?}"
    );
    assert_eq!(tree_of(&unpacked, "cramfs").files().count(), 0);
}
