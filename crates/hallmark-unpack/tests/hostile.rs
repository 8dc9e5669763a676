//! The hostile corpus: escapes of every kind in tar and cpio, compression bombs (single,
//! nested, many), deep recursion, entry floods, truncated and corrupted images, noise.
//!
//! Every case asserts: no panic, nothing written outside a temporary output root (its parent
//! is compared before and after), output within the limits, and the truncation or anomaly
//! recorded.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::testkit::{self, CpioBuilder, CpioKind, TarBuilder, cpio_mode, tar_type};
use common::{MIB, anomaly_kinds, limit_kinds, unpack_and_materialize};
use hallmark_unpack::{AnomalyKind, FileTree, LimitKind, Limits, SkipReason, Unpacked, Unpacker};

fn only_tree(unpacked: &Unpacked) -> &FileTree {
    let trees = unpacked.trees();
    assert_eq!(trees.len(), 1, "{}", unpacked.listing());
    trees[0].1
}

fn hostile_tar() -> Vec<u8> {
    TarBuilder::new()
        .file(b"../../escape-dotdot", b"dotdot")
        .file(b"/abs-escape", b"absolute")
        .file(b"./../../../../../../tmp/hallmark-pwned", b"deep dotdot")
        // Symlink out of the root, then write through it.
        .symlink(b"link-out", b"../victim")
        .file(b"link-out/pwned", b"through a relative link")
        .symlink(b"abs-link", b"/tmp")
        .file(b"abs-link/hallmark-pwned", b"through an absolute link")
        // Hard links to host files.
        .hardlink(b"hl-passwd", b"/etc/passwd")
        .hardlink(b"hl-up", b"../../../etc/shadow")
        // Duplicates and a directory swapped for a link.
        .file(b"dup", b"first")
        .file(b"dup", b"second")
        .file(b"d/x", b"in d")
        .symlink(b"d", b"/")
        .file(b"d/y", b"still in d")
        // Devices.
        .special(b"dev/mem", tar_type::CHAR, 1, 1)
        .special(b"dev/sda", tar_type::BLOCK, 8, 0)
        .special(b"dev/fifo", tar_type::FIFO, 0, 0)
        // Names with escape sequences and invalid UTF-8.
        .file(b"evil\x1b[31mname", b"ansi")
        .file(b"bad\xffname", b"latin1")
        .file(b"good/ok", b"fine")
        .finish()
}

#[test]
fn tar_escapes_are_neutralised_and_recorded() {
    let (unpacked, summary) =
        unpack_and_materialize("hostile.tar", hostile_tar(), Limits::default());
    let tree = only_tree(&unpacked);
    let kinds = anomaly_kinds(tree);
    for expected in [
        AnomalyKind::ParentTraversal,
        AnomalyKind::AbsolutePath,
        AnomalyKind::ParentNotDirectory,
        AnomalyKind::DanglingHardlink,
        AnomalyKind::LinkTraversal,
        AnomalyKind::Duplicate,
        AnomalyKind::ReplacesDirectory,
        AnomalyKind::EscapedName,
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected:?} missing from {kinds:?}"
        );
    }
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == AnomalyKind::ParentNotDirectory)
            .count(),
        2
    );
    // Escapes land inside the tree.
    assert_eq!(
        tree.read("/escape-dotdot").map(|b| b.to_vec()),
        Some(b"dotdot".to_vec())
    );
    assert_eq!(
        tree.read("/abs-escape").map(|b| b.to_vec()),
        Some(b"absolute".to_vec())
    );
    assert!(tree.get("/tmp/hallmark-pwned").is_some());
    assert!(tree.get("/link-out/pwned").is_none());
    assert!(tree.get("/abs-link/hallmark-pwned").is_none());
    assert_eq!(
        tree.read("/dup").map(|b| b.to_vec()),
        Some(b"second".to_vec())
    );
    assert!(tree.get("/d").is_some_and(|n| n.is_dir()));
    assert_eq!(
        tree.read("/d/y").map(|b| b.to_vec()),
        Some(b"still in d".to_vec())
    );
    assert!(tree.get("/evil\\x1b[31mname").is_some());
    assert!(tree.get("/bad\\xffname").is_some());
    for node in tree.iter() {
        assert!(node.path.starts_with('/'));
        assert!(
            !node.path.split('/').any(|c| c == ".." || c == "."),
            "{}",
            node.path
        );
        assert!(!node.path.chars().any(char::is_control), "{}", node.path);
    }

    // On disk: devices and dangling links skipped, escaping symlinks rewritten.
    let reasons: Vec<&SkipReason> = summary.skipped.iter().map(|s| &s.reason).collect();
    assert_eq!(
        reasons
            .iter()
            .filter(|r| ***r == SkipReason::Device)
            .count(),
        2
    );
    assert_eq!(
        reasons.iter().filter(|r| ***r == SkipReason::Fifo).count(),
        1
    );
    assert_eq!(
        reasons
            .iter()
            .filter(|r| ***r == SkipReason::DanglingHardlink)
            .count(),
        2
    );
    assert_eq!(summary.symlinks, 2);
    assert_eq!(summary.symlinks_rewritten, 2);
}

fn hostile_cpio(kind: CpioKind) -> Vec<u8> {
    CpioBuilder::new(kind)
        .file(b"../../escape-dotdot", b"dotdot")
        .file(b"/abs-escape", b"absolute")
        .symlink(b"link-out", b"../../victim")
        .file(b"link-out/pwned", b"through a link")
        .symlink(b"abs-link", b"/tmp")
        .file(b"abs-link/hallmark-pwned", b"through an absolute link")
        .file(b"dup", b"first")
        .file(b"dup", b"second")
        .special(b"dev/mem", cpio_mode::CHAR, 1, 1)
        .special(b"dev/sda", cpio_mode::BLOCK, 8, 0)
        .special(b"dev/fifo", cpio_mode::FIFO, 0, 0)
        .special(b"dev/log", cpio_mode::SOCKET, 0, 0)
        .file(b"evil\x07bell", b"bell")
        .finish()
}

#[test]
fn cpio_escapes_are_neutralised_and_recorded_in_every_header_format() {
    for kind in [
        CpioKind::Newc,
        CpioKind::Crc,
        CpioKind::Odc,
        CpioKind::BinLe,
        CpioKind::BinBe,
    ] {
        let (unpacked, summary) =
            unpack_and_materialize("hostile.cpio", hostile_cpio(kind), Limits::default());
        let tree = only_tree(&unpacked);
        let kinds = anomaly_kinds(tree);
        for expected in [
            AnomalyKind::ParentTraversal,
            AnomalyKind::AbsolutePath,
            AnomalyKind::ParentNotDirectory,
            AnomalyKind::Duplicate,
            AnomalyKind::EscapedName,
        ] {
            assert!(
                kinds.contains(&expected),
                "{kind:?}: {expected:?} missing from {kinds:?}"
            );
        }
        assert!(tree.get("/escape-dotdot").is_some(), "{kind:?}");
        assert!(tree.get("/link-out/pwned").is_none(), "{kind:?}");
        assert_eq!(
            tree.read("/dup").map(|b| b.to_vec()),
            Some(b"second".to_vec())
        );
        let devices = summary
            .skipped
            .iter()
            .filter(|s| {
                matches!(
                    s.reason,
                    SkipReason::Device | SkipReason::Fifo | SkipReason::Socket
                )
            })
            .count();
        assert_eq!(devices, 4, "{kind:?}");
        assert_eq!(summary.symlinks_rewritten, 2, "{kind:?}");
    }
}

/// `count` MiB of zeros as concatenated members of one compressed stream: compressing 1 MiB
/// once and repeating the member keeps generation fast even in debug builds.
fn bomb(compress: fn(&[u8]) -> Vec<u8>, mib: usize) -> Vec<u8> {
    testkit::repeat(&compress(&vec![0u8; MIB as usize]), mib)
}

fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("gzip", bomb(testkit::gzip_best, 1024)),
        ("xz", bomb(testkit::xz, 1024)),
        ("bzip2", bomb(testkit::bzip2, 1024)),
        ("zstd", bomb(testkit::zstd, 1024)),
    ]
}

#[test]
fn one_gib_bombs_stop_at_the_ratio_limit() {
    let limits = Limits::default();
    let most = limits.ratio_floor_bytes + hallmark_unpack::limits::CHUNK_BYTES as u64;
    for (format, data) in bombs() {
        let started = Instant::now();
        let (unpacked, summary) = unpack_and_materialize("bomb", data, limits.clone());
        let elapsed = started.elapsed();
        eprintln!(
            "{format} bomb: stopped after {} bytes in {elapsed:?} (unpack {:?})",
            unpacked.stats.bytes_produced, unpacked.stats.elapsed
        );
        assert_eq!(limit_kinds(&unpacked), [LimitKind::Ratio], "{format}");
        let truncation = unpacked.truncations()[0];
        assert_eq!(truncation.layer.to_string(), format!("bomb > {format}@0x0"));
        assert!(truncation.to_string().contains("compression ratio limit"));
        assert!(unpacked.stats.bytes_produced <= most, "{format}");
        assert!(summary.bytes <= most);
        assert!(
            elapsed < Duration::from_secs(20),
            "{format} took {elapsed:?}"
        );
    }
}

#[test]
fn total_and_file_limits_stop_bombs_when_the_ratio_is_allowed() {
    let total = Limits {
        max_ratio: u64::MAX,
        max_total_bytes: 48 * MIB,
        ..Limits::default()
    };
    let file = Limits {
        max_ratio: u64::MAX,
        max_file_bytes: 24 * MIB,
        ..Limits::default()
    };
    let data = bomb(testkit::zstd, 1024);
    let unpacked = Unpacker::new(total).unpack_bytes("bomb.zst", data.clone());
    assert_eq!(limit_kinds(&unpacked), [LimitKind::TotalBytes]);
    assert_eq!(unpacked.stats.bytes_produced, 48 * MIB);
    let unpacked = Unpacker::new(file).unpack_bytes("bomb.zst", data);
    assert_eq!(limit_kinds(&unpacked), [LimitKind::FileBytes]);
    assert_eq!(unpacked.stats.bytes_produced, 24 * MIB);
}

#[test]
fn nested_and_repeated_bombs_stay_within_the_total() {
    // gzip of a gzip bomb: the outer layer is harmless, the inner one hits the ratio.
    let nested = testkit::gzip(&bomb(testkit::gzip_best, 1024));
    let (unpacked, _) = unpack_and_materialize("nested.gz", nested, Limits::default());
    let truncations = unpacked.truncations();
    assert_eq!(truncations.len(), 1, "{}", unpacked.listing());
    assert_eq!(truncations[0].limit, LimitKind::Ratio);
    assert_eq!(
        truncations[0].layer.to_string(),
        "nested.gz > gzip@0x0 > gzip@0x0"
    );

    // A tar of 20 bombs ("42.zip" style): the total budget stops them all.
    let member = bomb(testkit::zstd, 256);
    let mut tar = TarBuilder::new();
    for i in 0..20 {
        tar.file(format!("bomb{i:02}.zst").as_bytes(), &member);
    }
    let limits = Limits {
        max_total_bytes: 100 * MIB,
        ..Limits::default()
    };
    let (unpacked, summary) = unpack_and_materialize("bombs.tar", tar.finish(), limits);
    let kinds = limit_kinds(&unpacked);
    assert!(kinds.contains(&LimitKind::TotalBytes), "{kinds:?}");
    assert!(unpacked.stats.bytes_produced <= 100 * MIB);
    // Writing counts against the same total: decompressed output plus the tar's members.
    assert!(summary.bytes <= 100 * MIB);
}

#[test]
fn deep_recursion_stops_at_the_depth_limit() {
    let mut data = b"the core".to_vec();
    for _ in 0..50 {
        data = testkit::gzip(&data);
    }
    let (unpacked, _) = unpack_and_materialize("deep.gz", data.clone(), Limits::default());
    assert_eq!(limit_kinds(&unpacked), [LimitKind::Depth]);
    assert_eq!(unpacked.truncations()[0].layer.chain.len(), 16);
    assert_eq!(unpacked.layers().len(), 17);

    let unlimited = Limits {
        max_depth: 64,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(unlimited).unpack_bytes("deep.gz", data);
    assert!(unpacked.is_complete());
    let (_, innermost) = unpacked.layers().pop().unwrap();
    assert_eq!(innermost.content.as_deref(), Some(&b"the core"[..]));
    assert_eq!(unpacked.layers().len(), 51);

    // A configured depth beyond the ceiling is clamped; the recursion fits a test thread's
    // stack even in a debug build.
    let mut data = b"the core".to_vec();
    for _ in 0..140 {
        data = testkit::gzip(&data);
    }
    let limits = Limits {
        max_depth: u32::MAX,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(limits).unpack_bytes("deeper.gz", data);
    assert_eq!(limit_kinds(&unpacked), [LimitKind::Depth]);
    assert_eq!(
        unpacked.layers().len(),
        hallmark_unpack::limits::MAX_DEPTH_CEILING as usize + 1
    );
}

#[test]
fn entry_floods_stop_at_the_entry_limit() {
    let mut tar = TarBuilder::new();
    for i in 0..500 {
        tar.file(format!("f{i}").as_bytes(), b"x");
    }
    let limits = Limits {
        max_entries: 100,
        ..Limits::default()
    };
    let (unpacked, summary) = unpack_and_materialize("flood.tar", tar.finish(), limits);
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Entries));
    assert!(unpacked.stats.entries <= 100);
    assert!(summary.files < 100);
}

#[test]
fn time_limit_stops_everything_quickly() {
    let limits = Limits {
        max_time: Duration::ZERO,
        ..Limits::default()
    };
    let started = Instant::now();
    let unpacked = Unpacker::new(limits).unpack_bytes("bomb.gz", bomb(testkit::gzip_best, 64));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(limit_kinds(&unpacked), [LimitKind::Time]);
    assert_eq!(unpacked.stats.bytes_produced, 0);
}

/// Valid images of every format, nested the way firmware nests them, and whether a cut copy
/// is expected to yield partial output (gzip and tar stream their content; a bzip2 block, a
/// zstd block, an LZMA2 chunk of an xz stream, a zlib or an lzma stream is all or nothing at
/// this size, and a rejected cut stays raw).
fn corpus() -> Vec<(&'static str, Vec<u8>, bool)> {
    let payload = testkit::noise(20_000, 42);
    let cpio = CpioBuilder::new(CpioKind::Newc)
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .file(b"bin/blob", &payload)
        .symlink(b"bin/sh", b"busybox")
        .finish();
    let odc = CpioBuilder::new(CpioKind::Odc)
        .file(b"a", &payload[..3000])
        .finish();
    let bin = CpioBuilder::new(CpioKind::BinBe)
        .file(b"a", &payload[..3000])
        .finish();
    let tar = TarBuilder::new()
        .file(b"rootfs.cpio.gz", &testkit::gzip(&cpio))
        .file(b"kernel.xz", &testkit::xz(&payload))
        .finish();
    vec![
        ("tar.gz", testkit::gzip(&tar), true),
        ("cpio.xz", testkit::xz(&cpio), false),
        ("cpio.bz2", testkit::bzip2(&cpio), false),
        ("cpio.zst", testkit::zstd(&cpio), false),
        ("odc.lzma", testkit::lzma_alone(&odc, false), false),
        ("bin.zlib", testkit::zlib(&bin), false),
        ("tar", tar, true),
    ]
}

#[test]
fn truncated_and_corrupted_images_never_panic_and_damage_is_recorded() {
    let limits = Limits {
        max_total_bytes: 64 * MIB,
        ..Limits::default()
    };
    let unpacker = Unpacker::new(limits);
    for (name, image, salvageable) in corpus() {
        let clean = unpacker.unpack_bytes(name, image.clone());
        assert!(clean.errors().is_empty(), "{name}: {:?}", clean.errors());
        assert!(clean.is_complete(), "{name}");
        assert!(!clean.trees().is_empty(), "{name}");

        let len = image.len();
        let mut damaged_recorded = 0;
        let cuts: Vec<usize> = (1..16).map(|i| len * i / 16).collect();
        for cut in cuts {
            let result = unpacker.unpack_bytes(name, image[..cut].to_vec());
            // Nothing silently vanishes: either the damage is recorded, or the outer stream
            // was not accepted and its bytes stay the input's raw content, or the cut only
            // removed trailing padding.
            if result.errors().is_empty() {
                let outer = result.root.children.first();
                let padding_only =
                    outer.is_some_and(|l| image[l.size as usize..cut].iter().all(|&b| b == 0));
                assert!(
                    padding_only || outer.is_none_or(|l| l.is_raw() || l.offset > 0),
                    "{name} cut at {cut}: damage not recorded\n{}",
                    result.listing()
                );
            } else {
                damaged_recorded += 1;
            }
            assert!(result.stats.bytes_produced <= 64 * MIB);
        }
        for i in 0..24 {
            let mut bad = image.clone();
            let at = (i * 7919 + 13) % len;
            bad[at] ^= 0x5a;
            let result = unpacker.unpack_bytes(name, bad);
            assert!(result.stats.bytes_produced <= 64 * MIB);
        }
        if salvageable {
            assert!(
                damaged_recorded > 8,
                "{name}: only {damaged_recorded} cuts recorded"
            );
        }
    }
}

#[test]
fn damaged_images_materialize_safely() {
    for (name, image, _) in corpus() {
        let cut = image[..image.len() * 2 / 3].to_vec();
        let (unpacked, _) = unpack_and_materialize(name, cut, Limits::default());
        assert!(!unpacked.errors().is_empty() || unpacked.root.children.is_empty());
    }
}

#[test]
fn noise_and_magic_soup_are_kept_as_raw_data() {
    let noise = testkit::noise(4 << 20, 7);
    let unpacked = Unpacker::default().unpack_bytes("noise.bin", noise);
    assert!(unpacked.is_complete());
    let identified: u64 = unpacked
        .root
        .children
        .iter()
        .filter(|l| !l.is_raw())
        .map(|l| l.size)
        .sum();
    assert!(
        identified < 1 << 20,
        "noise mostly identified:\n{}",
        unpacked.listing()
    );

    // Every magic, repeated, with nothing valid behind it.
    let mut soup = Vec::new();
    for _ in 0..20_000 {
        for magic in [
            &b"\x1f\x8b\x08\x00"[..],
            b"\xfd7zXZ\x00",
            b"BZh91AY&SY",
            b"\x28\xb5\x2f\xfd",
            b"\x5d\x00\x00\x80\x00",
            b"\x78\x9c",
            b"070701",
            b"070707",
            b"\xc7\x71",
            b"ustar\x00",
        ] {
            soup.extend_from_slice(magic);
        }
    }
    let started = Instant::now();
    let unpacked = Unpacker::default().unpack_bytes("soup.bin", soup);
    eprintln!("magic soup: {:?}", started.elapsed());
    assert!(unpacked.is_complete());
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn huge_declared_sizes_do_not_allocate() {
    // A tar header declaring a 8 GiB member (base-256) with 10 bytes behind it, and an lzma
    // header declaring a 1 TiB output with a tiny stream.
    let mut tar = TarBuilder::new().file(b"big", b"0123456789").finish();
    tar[124] = 0x80;
    tar[124 + 1..124 + 12].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0]);
    let sum: u32 = tar[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    tar[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let (unpacked, _) = unpack_and_materialize("big.tar", tar, Limits::default());
    let tree = only_tree(&unpacked);
    assert_eq!(tree.read("/big").map(|b| b.len()), Some(10240 - 512));
    assert!(!unpacked.errors().is_empty());

    let mut lzma = testkit::lzma_alone(b"tiny", true);
    lzma[5..13].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let unpacked = Unpacker::default().unpack_bytes("big.lzma", lzma);
    assert!(unpacked.stats.bytes_produced < MIB);
}
