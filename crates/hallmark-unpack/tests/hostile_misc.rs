//! Hostile zip, ar, romfs, yaffs2, lz4 and lzop images: escapes, bombs (overlapping entries,
//! nested archives, deflate and LZO ratio bombs), loops, huge declared sizes and counts,
//! truncation at every few bytes and random bit flips.
//!
//! Every case asserts: no panic, no hang (each finishes within seconds), nothing written
//! outside a temporary output root, limits respected and the damage or anomaly recorded.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::testkit::{
    self, ArBuilder, ArStyle, RomfsBuilder, Yaffs2Builder, ZipBuilder, ZipEntry,
};
use common::{MIB, anomaly_kinds, limit_kinds, tree_of, unpack_sandboxed};
use hallmark_unpack::{AnomalyKind, FileTree, LimitKind, Limits, Unpacked, Unpacker};

fn unpack(name: &str, data: Vec<u8>, limits: Limits) -> Unpacked {
    Unpacker::new(limits).unpack_bytes(name, data)
}

fn assert_escapes_neutralised(tree: &FileTree) {
    let kinds = anomaly_kinds(tree);
    for expected in [
        AnomalyKind::ParentTraversal,
        AnomalyKind::AbsolutePath,
        AnomalyKind::ParentNotDirectory,
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected:?} missing from {kinds:?}"
        );
    }
    assert!(tree.get("/link-out/pwned").is_none());
    for node in tree.iter() {
        assert!(!node.path.split('/').any(|c| c == ".."), "{}", node.path);
    }
}

#[test]
fn zip_escapes_are_neutralised() {
    let data = ZipBuilder::new()
        .file(b"../../escape-dotdot", b"dotdot")
        .file(b"/abs-escape", b"absolute")
        .stored(b"..\\..\\tmp\\hallmark-pwned", b"dos dotdot")
        .symlink(b"link-out", b"../../victim")
        .file(b"link-out/pwned", b"through a link")
        .symlink(b"abs-link", b"/tmp")
        .file(b"abs-link/hallmark-pwned", b"through an absolute link")
        .file(b"dup", b"first")
        .file(b"dup", b"second")
        .finish();
    let unpacked = unpack_sandboxed("hostile.zip", data, Limits::default());
    let tree = tree_of(&unpacked, "zip");
    assert_escapes_neutralised(tree);
    assert_eq!(tree.read("/escape-dotdot").unwrap().as_slice(), b"dotdot");
    assert_eq!(
        tree.read("/tmp/hallmark-pwned").unwrap().as_slice(),
        b"dos dotdot"
    );
    assert!(anomaly_kinds(tree).contains(&AnomalyKind::Duplicate));
}

#[test]
fn ar_romfs_and_yaffs2_escapes_are_neutralised() {
    let ar = ArBuilder::new(ArStyle::Bsd)
        .file(b"../../escape-dotdot", b"dotdot")
        .file(b"/abs-escape", b"absolute")
        .finish();
    let unpacked = unpack_sandboxed("hostile.a", ar, Limits::default());
    let kinds = anomaly_kinds(tree_of(&unpacked, "ar"));
    assert!(kinds.contains(&AnomalyKind::ParentTraversal), "{kinds:?}");
    assert!(kinds.contains(&AnomalyKind::AbsolutePath), "{kinds:?}");

    // romfs and yaffs2 names are single components; a name holding slashes and dots is
    // still confined, and a symlink written through is refused.
    let mut romfs = RomfsBuilder::new();
    romfs.symlink(0, b"link-out", b"../../victim");
    romfs.file(0, b"../../escape-dotdot", b"dotdot", false);
    let unpacked = unpack_sandboxed("hostile.romfs", romfs.finish(), Limits::default());
    let kinds = anomaly_kinds(tree_of(&unpacked, "romfs"));
    assert!(kinds.contains(&AnomalyKind::ParentTraversal), "{kinds:?}");

    let mut yaffs = Yaffs2Builder::new(2048, 64, 0, false);
    let link = yaffs.symlink(1, b"link-out", b"../../victim");
    yaffs.file(link, b"pwned", b"through a link", 0o644);
    yaffs.file(1, b"../../escape-dotdot", b"dotdot", 0o644);
    yaffs.file(1, b"/abs-escape", b"absolute", 0o644);
    let unpacked = unpack_sandboxed("hostile.yaffs2", yaffs.finish(), Limits::default());
    assert_escapes_neutralised(tree_of(&unpacked, "yaffs2"));
}

#[test]
fn zip_overlapping_entry_bomb_decodes_the_kernel_once() {
    let mut b = ZipBuilder::new();
    b.file(b"kernel", &vec![0u8; 8 << 20]);
    for i in 0..2000 {
        b.alias(0, format!("f{i}").as_bytes());
    }
    let start = Instant::now();
    let unpacked = unpack("overlap.zip", b.finish(), Limits::default());
    assert!(start.elapsed() < Duration::from_secs(10));
    let tree = tree_of(&unpacked, "zip");
    assert_eq!(tree.files().count(), 1);
    assert!(unpacked.stats.bytes_produced <= 9 * MIB);
    let overlaps = unpacked
        .errors()
        .iter()
        .filter(|(_, e)| e.message.contains("overlaps"))
        .count();
    assert_eq!(overlaps, 2000);
}

#[test]
fn zip_deflate_bomb_stops_at_the_ratio_limit() {
    let data = ZipBuilder::new()
        .file(b"bomb", &vec![0u8; 200 << 20])
        .finish();
    assert!(data.len() < (1 << 20));
    let start = Instant::now();
    let unpacked = unpack("bomb.zip", data, Limits::default());
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(
        limit_kinds(&unpacked).contains(&LimitKind::Ratio),
        "{}",
        unpacked.listing()
    );
    assert!(unpacked.stats.bytes_produced < 20 * MIB);
}

#[test]
fn nested_zip_bomb_respects_the_budget() {
    // 42.zip in miniature: 8 levels of 10 copies of the level below, 1 MiB of zeros at the
    // bottom: 100 TB declared.
    let mut level = ZipBuilder::new()
        .file(b"zeros", &vec![0u8; 1 << 20])
        .finish();
    for depth in 0..5 {
        let mut b = ZipBuilder::new();
        for i in 0..10 {
            b.file(format!("l{depth}-{i}.zip").as_bytes(), &level);
        }
        level = b.finish();
    }
    let limits = Limits {
        max_total_bytes: 64 * MIB,
        max_entries: 20_000,
        ..Limits::default()
    };
    let start = Instant::now();
    let unpacked = unpack("42.zip", level, limits);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(unpacked.stats.bytes_produced <= 64 * MIB + 256 * 1024);
    assert!(unpacked.stats.entries <= 20_000);
    assert!(!unpacked.is_complete());
}

#[test]
fn zip_directory_with_huge_counts_and_bad_offsets() {
    let mut data = ZipBuilder::new()
        .file(b"a", b"aaaa")
        .file(b"b", b"bbbb")
        .finish();
    let end = data.len() - 22;
    // Claim 65535 entries and a directory offset past the end.
    data[end + 8..end + 12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    data[end + 16..end + 20].copy_from_slice(&u32::MAX.to_le_bytes());
    let unpacked = unpack("counts.zip", data, Limits::default());
    assert!(!unpacked.errors().is_empty());

    // A directory entry whose local header offset points at the directory itself, and one
    // pointing at the end record.
    let mut b = ZipBuilder::new();
    b.file(b"ok", b"fine");
    let mut data = b.finish();
    let cd = data.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    data[cd + 42..cd + 46].copy_from_slice(&(cd as u32).to_le_bytes());
    let unpacked = unpack("self.zip", data, Limits::default());
    assert!(!unpacked.errors().is_empty(), "{}", unpacked.listing());
}

#[test]
fn zip_entry_flood_is_bounded_by_the_entry_limit() {
    let mut b = ZipBuilder::new();
    for i in 0..5000 {
        b.stored(format!("f{i}").as_bytes(), b"");
    }
    let limits = Limits {
        max_entries: 1000,
        ..Limits::default()
    };
    let unpacked = unpack("flood.zip", b.finish(), limits);
    assert!(unpacked.stats.entries <= 1000);
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Entries));
}

#[test]
fn ar_huge_sizes_and_bad_long_names() {
    let mut data = ArBuilder::new(ArStyle::Gnu)
        .file(b"a-long-member-name-here.o", b"x")
        .finish();
    // Size field of the member: 9999999999.
    let header = data.len() - 2 - 60;
    data[header + 48..header + 58].copy_from_slice(b"9999999999");
    let unpacked = unpack("huge.a", data.clone(), Limits::default());
    assert!(!unpacked.errors().is_empty());
    // Long-name reference past the table.
    data[header..header + 16].copy_from_slice(b"/99999          ");
    let unpacked = unpack("badname.a", data, Limits::default());
    assert!(!unpacked.errors().is_empty());
}

#[test]
fn romfs_loops_and_huge_sizes() {
    let mut b = RomfsBuilder::new();
    let d = b.dir(0, b"d");
    let f = b.file(d, b"f", b"content", false);
    let mut data = b.finish();
    // The directory's list points back at the root list, and the file claims 4 GiB.
    b.patch_spec(&mut data, d, 32);
    let unpacked = unpack("loop.romfs", data.clone(), Limits::default());
    assert!(!unpacked.errors().is_empty());
    let _ = f;
    // A next pointer to itself.
    let first = 32usize;
    let own =
        (first as u32) | (u32::from_be_bytes(data[first..first + 4].try_into().unwrap()) & 0xf);
    data[first..first + 4].copy_from_slice(&own.to_be_bytes());
    RomfsBuilder::reseal(&mut data);
    let start = Instant::now();
    let unpacked = unpack("self.romfs", data, Limits::default());
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(!unpacked.errors().is_empty());
}

#[test]
fn yaffs2_huge_declared_size_and_parent_loops() {
    let mut b = Yaffs2Builder::new(2048, 64, 0, false);
    let id = b.file(1, b"big", b"tiny", 0o644);
    // The header claims 4 GiB - 1 but only one chunk exists.
    b.header(id, 1, 1, b"big", 0o100644, u32::MAX, 0, b"", 0);
    let a = b.dir(1, b"a", 0o755);
    let c = b.dir(a, b"c", 0o755);
    b.next_sequence();
    b.rewrite_dir(a, c, b"a");
    let start = Instant::now();
    let unpacked = unpack("huge.yaffs2", b.finish(), Limits::default());
    assert!(start.elapsed() < Duration::from_secs(5));
    let tree = tree_of(&unpacked, "yaffs2");
    assert_eq!(tree.read("/big").unwrap().as_slice(), b"tiny");
    assert!(unpacked.stats.bytes_produced < MIB);
    assert!(!unpacked.errors().is_empty());
}

#[test]
fn lz4_and_lzo_bombs_stop_at_limits() {
    let zeros = vec![0u8; 64 << 20];
    // LZ4 expands at most ~255:1, under the ratio limit: the size limits stop it.
    let lz4 = testkit::repeat(&testkit::lz4_frame(&zeros, false), 8);
    let limits = Limits {
        max_file_bytes: 8 * MIB,
        ..Limits::default()
    };
    let start = Instant::now();
    let unpacked = unpack("bomb.lz4", lz4, limits.clone());
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(limit_kinds(&unpacked).contains(&LimitKind::FileBytes));
    assert!(unpacked.stats.bytes_produced <= 9 * MIB);

    let lzo = testkit::lzop(&zeros, 1 << 20, true);
    let unpacked = unpack("bomb.lzo", lzo, limits);
    assert!(limit_kinds(&unpacked).contains(&LimitKind::FileBytes));
    assert!(unpacked.stats.bytes_produced <= 9 * MIB);
}

/// Samples of each format for the truncation and corruption sweeps.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let text = b"hostile sweep payload; ".repeat(200);
    let mut romfs = RomfsBuilder::new();
    let d = romfs.dir(0, b"d");
    romfs.file(d, b"f", &text, true);
    romfs.symlink(0, b"l", b"d/f");
    let mut yaffs = Yaffs2Builder::new(512, 16, 0, true);
    let dir = yaffs.dir(1, b"d", 0o755);
    let f = yaffs.file(dir, b"f", &text, 0o644);
    yaffs.hardlink(1, b"h", f);
    let mut zip = ZipBuilder::new();
    zip.dir(b"d/").file(b"d/f", &text).entry(&ZipEntry {
        name: b"x".to_vec(),
        data: text.clone(),
        method: 12,
        descriptor: true,
        ..ZipEntry::default()
    });
    vec![
        ("zip", zip.finish()),
        (
            "ar",
            ArBuilder::new(ArStyle::Gnu)
                .file(b"a-long-member-name.o", &text)
                .file(b"b", b"odd")
                .finish(),
        ),
        ("romfs", romfs.finish()),
        ("yaffs2", yaffs.finish()),
        ("lz4", testkit::lz4_frame(&text, true)),
        ("lz4", testkit::lz4_legacy(&text)),
        ("lzo", testkit::lzop(&text, 1024, true)),
    ]
}

#[test]
fn truncations_and_bit_flips_never_panic_or_hang() {
    let start = Instant::now();
    for (format, sample) in samples() {
        let full = unpack(format, sample.clone(), Limits::default());
        assert!(
            full.layers().iter().any(|(_, l)| l.format == format),
            "{format}: {}",
            full.listing()
        );
        assert!(full.errors().is_empty(), "{format}: {}", full.listing());
        let step = (sample.len() / 300).max(1);
        for cut in (0..sample.len()).step_by(step) {
            let _ = unpack(format, sample[..cut].to_vec(), Limits::default());
        }
        let noise = testkit::noise(400, 99);
        for (i, r) in noise.chunks(2).enumerate() {
            let mut bad = sample.clone();
            let at = (usize::from(r[0]) << 8 | usize::from(r[1])) % bad.len();
            bad[at] ^= 1 << (i % 8);
            let _ = unpack(format, bad, Limits::default());
        }
    }
    assert!(start.elapsed() < Duration::from_secs(120));
}
