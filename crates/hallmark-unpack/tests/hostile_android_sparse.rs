//! Hostile Android sparse images: terabyte fill and don't-care bombs (single, repeated,
//! nested), lying chunk counts and totals, truncation at every few bytes and random bit
//! flips; plus the ordinary case of an ext image wrapped in a sparse image.
//!
//! Every case asserts: no panic, no hang, output within the limits, the cut recorded.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::testkit::{self, ExtBuilder, SparseBuilder, noise, sparse_chunk};
use common::{MIB, limit_kinds, materialize_sandboxed};
use hallmark_unpack::{LimitKind, Limits, Unpacker};

/// 1 TiB of fill (and as much don't-care) in a few dozen bytes.
fn bomb() -> Vec<u8> {
    SparseBuilder::new(4096)
        .fill(*b"BOOM", 1 << 28)
        .dont_care(1 << 28)
        .finish()
}

#[test]
fn a_terabyte_fill_bomb_stops_at_the_ratio_limit_quickly() {
    let limits = Limits::default();
    let started = Instant::now();
    let unpacked = Unpacker::new(limits.clone()).unpack_bytes("bomb.simg", bomb());
    let summary = materialize_sandboxed(&unpacked);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(limit_kinds(&unpacked), [LimitKind::Ratio]);
    let truncation = unpacked.truncations()[0];
    assert_eq!(
        truncation.layer.to_string(),
        "bomb.simg > android-sparse@0x0"
    );
    assert_eq!(unpacked.stats.bytes_produced, limits.ratio_floor_bytes);
    assert!(summary.bytes <= limits.ratio_floor_bytes);
}

#[test]
fn repeated_and_nested_bombs_stay_within_the_total() {
    let limits = Limits {
        max_total_bytes: 100 * MIB,
        ..Limits::default()
    };
    let started = Instant::now();
    let many = testkit::repeat(&bomb(), 20);
    let unpacked = Unpacker::new(limits.clone()).unpack_bytes("bombs.simg", many);
    assert!(started.elapsed() < Duration::from_secs(20));
    let kinds = limit_kinds(&unpacked);
    assert!(kinds.contains(&LimitKind::TotalBytes), "{kinds:?}");
    assert!(unpacked.stats.bytes_produced <= 100 * MIB);

    // A gzip of a bomb, and a bomb as a file of an ext image.
    let gz = testkit::gzip(&bomb());
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("bomb.simg.gz", gz);
    assert_eq!(limit_kinds(&unpacked), [LimitKind::Ratio]);
    let ext = ExtBuilder::new().file(b"system.img", &bomb()).finish();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("fs.ext2", ext);
    assert_eq!(limit_kinds(&unpacked), [LimitKind::Ratio]);
    assert!(unpacked.stats.bytes_produced <= 16 * MIB);
}

#[test]
fn lying_counts_and_totals_are_bounded_by_the_input() {
    // Four billion chunks declared, two present.
    let image = SparseBuilder::new(4)
        .raw(b"abcd")
        .dont_care(1)
        .total_chunks(u32::MAX)
        .finish();
    let started = Instant::now();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("liar.simg", image);
    assert!(started.elapsed() < Duration::from_secs(5));
    let layer = &unpacked.root.children[0];
    assert_eq!(layer.format, "android-sparse");
    assert_eq!(layer.content.as_deref(), Some(&b"abcd\0\0\0\0"[..]));
    assert!(!layer.errors.is_empty());

    // A huge block total with one tiny chunk: zeros up to the ratio floor only.
    let image = SparseBuilder::new(4096)
        .raw(b"x")
        .total_blocks(u32::MAX)
        .finish();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("liar.simg", image);
    let layer = &unpacked.root.children[0];
    assert_eq!(layer.content.as_ref().unwrap().len() as u64, 16 * MIB);
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Ratio));

    // Raw chunks whose sizes overflow 32 bits are refused.
    let image = SparseBuilder::new(4096)
        .raw(b"ok")
        .raw_chunk(sparse_chunk::RAW, u32::MAX, 12, &[])
        .finish();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("liar.simg", image);
    let layer = &unpacked.root.children[0];
    assert_eq!(layer.size, 28 + 12 + 4096);
    assert!(layer.errors.iter().any(|e| e.message.contains("chunk 1")));
}

/// An ext image as `img2simg` would write it: raw chunks for blocks with data, don't-care
/// for zero blocks.
fn sparse_of(image: &[u8], block: usize) -> SparseBuilder {
    let mut builder = SparseBuilder::new(block as u32);
    let mut zeros = 0u32;
    let mut run: Vec<u8> = Vec::new();
    for chunk in image.chunks(block) {
        if chunk.iter().all(|&b| b == 0) {
            if !run.is_empty() {
                builder.raw(&run);
                run.clear();
            }
            zeros += 1;
        } else {
            if zeros > 0 {
                builder.dont_care(zeros);
                zeros = 0;
            }
            run.extend_from_slice(chunk);
        }
    }
    if !run.is_empty() {
        builder.raw(&run);
    }
    if zeros > 0 {
        builder.dont_care(zeros);
    }
    builder.crc();
    builder
}

#[test]
fn an_ext_image_in_a_sparse_image_is_unpacked_through_both() {
    let ext = ExtBuilder::new()
        .extents(true)
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .file(b"bin/busybox", &noise(50_000, 5))
        .sparse_file(b"holes", 200 * 1024, &[(100, b"middle")])
        .finish();
    let image = sparse_of(&ext, 1024).finish();
    assert!(image.len() < ext.len());
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("system.img", image);
    assert!(unpacked.is_complete(), "{:?}", unpacked.truncations());
    assert!(unpacked.errors().is_empty(), "{:?}", unpacked.errors());
    let sparse = &unpacked.root.children[0];
    assert_eq!(sparse.format, "android-sparse");
    assert_eq!(sparse.content.as_deref(), Some(&ext[..]));
    assert_eq!(sparse.children[0].format, "ext");
    assert_eq!(
        unpacked.read("/bin/busybox").unwrap().1.to_vec(),
        noise(50_000, 5)
    );
}

fn samples() -> Vec<Vec<u8>> {
    let ext = ExtBuilder::new()
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .finish();
    let mut builder = SparseBuilder::new(64);
    builder
        .raw(&noise(300, 1))
        .fill(*b"abcd", 3)
        .dont_care(2)
        .crc()
        .raw(b"end")
        .checksum();
    vec![builder.finish(), sparse_of(&ext, 1024).finish()]
}

#[test]
fn truncation_and_bit_flips_never_panic() {
    let limits = Limits {
        max_time: Duration::from_secs(10),
        ..Limits::default()
    };
    let started = Instant::now();
    for (n, image) in samples().into_iter().enumerate() {
        for cut in (0..image.len()).step_by(7) {
            let unpacked = Unpacker::new(limits.clone()).unpack_bytes("cut", image[..cut].to_vec());
            assert!(unpacked.stats.bytes_produced <= limits.max_total_bytes);
        }
        let rolls = noise(1000, 7 + n as u64);
        for (i, roll) in rolls.iter().enumerate() {
            let mut bad = image.clone();
            // Headers are at the start: aim there most of the time.
            let span = if i % 3 == 0 {
                bad.len()
            } else {
                bad.len().min(200)
            };
            let at = (usize::from(*roll) * 7919 + i * 104_729) % span;
            bad[at] ^= 1 << (roll % 8);
            let unpacked = Unpacker::new(limits.clone()).unpack_bytes("flip", bad);
            assert!(unpacked.stats.bytes_produced <= limits.max_total_bytes);
        }
    }
    assert!(started.elapsed() < Duration::from_secs(120));
}
