//! Firmware containers (uImage, FIT, device trees, TRX, TP-Link): images made by the real
//! `mkimage` at test time, and hostile ones built byte by byte (sizes past the end, offsets
//! pointing backwards or into the header, overlapping parts, CRC mismatches, bombs as
//! payloads, containers nested past the depth limit, escaping part names, truncations and
//! bit flips everywhere).
//!
//! The `mkimage` tests need `u-boot-tools` and `device-tree-compiler` (and `lzop`, `lz4` for
//! those payloads): outside CI a missing tool skips with a notice; under `CI=true` it fails.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::testkit::{self, FdtBuilder, TplinkImage};
use common::{MIB, have, layer, materialize_sandboxed};
use hallmark_unpack::{LimitKind, Limits, Unpacked, Unpacker};

fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn unpack(name: &str, data: Vec<u8>) -> Unpacked {
    Unpacker::new(Limits::default()).unpack_bytes(name, data)
}

fn kernel_payload() -> Vec<u8> {
    let mut kernel = b"Linux version 5.10.0-test (builder@host) #1 SMP\n".to_vec();
    kernel.extend(testkit::noise(20_000, 3));
    kernel.extend(vec![0u8; 30_000]);
    kernel
}

#[test]
fn mkimage_legacy_images_of_every_compression_unpack() {
    if !have("mkimage") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kernel = kernel_payload();
    let mut cases = vec![
        ("none", kernel.clone()),
        ("gzip", testkit::gzip(&kernel)),
        ("bzip2", testkit::bzip2(&kernel)),
        ("lzma", testkit::lzma_alone(&kernel, true)),
        ("zstd", testkit::zstd(&kernel)),
    ];
    std::fs::write(dir.path().join("kernel"), &kernel).unwrap();
    if have("lzop") {
        run(dir.path(), "lzop", &["-f", "-o", "kernel.lzo", "kernel"]);
        cases.push(("lzo", std::fs::read(dir.path().join("kernel.lzo")).unwrap()));
    }
    if have("lz4") {
        run(dir.path(), "lz4", &["-f", "-q", "kernel", "kernel.lz4"]);
        cases.push(("lz4", std::fs::read(dir.path().join("kernel.lz4")).unwrap()));
    }
    for (comp, packed) in cases {
        std::fs::write(dir.path().join("payload"), &packed).unwrap();
        run(
            dir.path(),
            "mkimage",
            &[
                "-A",
                "arm",
                "-O",
                "linux",
                "-T",
                "kernel",
                "-C",
                comp,
                "-a",
                "0x80008000",
                "-e",
                "0x80008000",
                "-n",
                "Linux-5.10.0",
                "-d",
                "payload",
                "uImage",
            ],
        );
        let image = std::fs::read(dir.path().join("uImage")).unwrap();
        let data = [image.clone(), vec![0xff; 4096]].concat();
        let unpacked = unpack("uImage", data);
        let uimage = layer(&unpacked, "uimage");
        assert_eq!(uimage.size, image.len() as u64, "{comp}");
        assert_eq!(uimage.variant.as_deref(), Some("kernel"));
        assert!(uimage.errors.is_empty(), "{comp}: {:?}", uimage.errors);
        assert_eq!(
            uimage.content.as_deref(),
            Some(&kernel[..]),
            "{comp}: payload"
        );
        assert!(unpacked.is_complete(), "{comp}");
    }
}

#[test]
fn mkimage_multi_file_images_and_scripts_become_parts() {
    if !have("mkimage") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kernel = kernel_payload();
    let ramdisk = testkit::CpioBuilder::new(testkit::CpioKind::Newc)
        .file(b"etc/shadow", b"root::0:0:99999:7:::\n")
        .finish();
    std::fs::write(dir.path().join("kernel"), &kernel).unwrap();
    std::fs::write(dir.path().join("ramdisk"), &ramdisk).unwrap();
    std::fs::write(
        dir.path().join("boot.cmd"),
        b"setenv bootargs console=ttyS0\nbootm\n",
    )
    .unwrap();
    run(
        dir.path(),
        "mkimage",
        &[
            "-A",
            "arm",
            "-O",
            "linux",
            "-T",
            "multi",
            "-C",
            "none",
            "-n",
            "multi",
            "-d",
            "kernel:ramdisk",
            "multi.img",
        ],
    );
    run(
        dir.path(),
        "mkimage",
        &[
            "-A", "arm", "-T", "script", "-C", "none", "-n", "boot", "-d", "boot.cmd", "boot.scr",
        ],
    );
    let unpacked = unpack(
        "multi.img",
        std::fs::read(dir.path().join("multi.img")).unwrap(),
    );
    let uimage = layer(&unpacked, "uimage");
    assert!(uimage.errors.is_empty(), "{:?}", uimage.errors);
    let tree = uimage.tree.as_ref().unwrap();
    assert_eq!(tree.read("/image-1").unwrap().as_slice(), &kernel[..]);
    assert_eq!(tree.read("/image-2").unwrap().as_slice(), &ramdisk[..]);
    // The ramdisk part is scanned in turn.
    assert!(
        unpacked.read("/etc/shadow").is_some(),
        "{}",
        unpacked.listing()
    );

    let unpacked = unpack(
        "boot.scr",
        std::fs::read(dir.path().join("boot.scr")).unwrap(),
    );
    let uimage = layer(&unpacked, "uimage");
    assert_eq!(uimage.variant.as_deref(), Some("script"));
    assert_eq!(
        uimage
            .tree
            .as_ref()
            .unwrap()
            .read("/image-1")
            .unwrap()
            .as_slice(),
        b"setenv bootargs console=ttyS0\nbootm\n"
    );
}

const ITS: &str = r#"/dts-v1/;
/ {
    description = "test FIT";
    #address-cells = <1>;
    images {
        kernel-1 {
            description = "kernel";
            data = /incbin/("./kernel.gz");
            type = "kernel";
            arch = "arm";
            os = "linux";
            compression = "gzip";
            load = <0x80008000>;
            entry = <0x80008000>;
            hash-1 { algo = "crc32"; };
            hash-2 { algo = "sha1"; };
        };
        fdt-1 {
            description = "board";
            data = /incbin/("./board.dtb");
            type = "flat_dt";
            arch = "arm";
            compression = "none";
            hash-1 { algo = "crc32"; };
        };
        ramdisk-1 {
            description = "initramfs";
            data = /incbin/("./ramdisk.cpio");
            type = "ramdisk";
            arch = "arm";
            os = "linux";
            compression = "none";
        };
    };
    configurations {
        default = "conf-1";
        conf-1 { kernel = "kernel-1"; fdt = "fdt-1"; ramdisk = "ramdisk-1"; };
    };
};
"#;

#[test]
fn mkimage_fit_images_with_embedded_and_external_data_unpack() {
    if !have("mkimage") || !have("dtc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kernel = kernel_payload();
    let board = FdtBuilder::new()
        .begin(b"")
        .prop_str(b"model", b"test board")
        .end()
        .finish();
    let ramdisk = testkit::CpioBuilder::new(testkit::CpioKind::Newc)
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .finish();
    std::fs::write(dir.path().join("kernel.gz"), testkit::gzip(&kernel)).unwrap();
    std::fs::write(dir.path().join("board.dtb"), &board).unwrap();
    std::fs::write(dir.path().join("ramdisk.cpio"), &ramdisk).unwrap();
    std::fs::write(dir.path().join("image.its"), ITS).unwrap();
    run(dir.path(), "mkimage", &["-f", "image.its", "embedded.itb"]);
    run(
        dir.path(),
        "mkimage",
        &["-E", "-f", "image.its", "external.itb"],
    );
    for (file, variant) in [
        ("embedded.itb", "embedded-data"),
        ("external.itb", "external-data"),
    ] {
        let image = std::fs::read(dir.path().join(file)).unwrap();
        let data = [image.clone(), vec![0u8; 1000]].concat();
        let unpacked = unpack(file, data);
        let fit = layer(&unpacked, "fit");
        assert_eq!(fit.variant.as_deref(), Some(variant));
        assert_eq!(fit.size, image.len() as u64, "{file}");
        assert!(fit.errors.is_empty(), "{file}: {:?}", fit.errors);
        let tree = fit.tree.as_ref().unwrap();
        assert_eq!(
            tree.read("/kernel-1").unwrap().as_slice(),
            &kernel[..],
            "{file}"
        );
        assert_eq!(
            tree.read("/fdt-1").unwrap().as_slice(),
            &board[..],
            "{file}"
        );
        assert_eq!(
            tree.read("/ramdisk-1").unwrap().as_slice(),
            &ramdisk[..],
            "{file}"
        );
        // The device tree part is recorded as such, the ramdisk scanned.
        assert_eq!(layer(&unpacked, "dtb").name.as_deref(), Some("/fdt-1"));
        assert!(
            unpacked.read("/etc/passwd").is_some(),
            "{}",
            unpacked.listing()
        );
        assert!(unpacked.is_complete());
    }
    // A corrupted kernel is caught by its crc32 hash node.
    let mut image = std::fs::read(dir.path().join("embedded.itb")).unwrap();
    let gz = testkit::gzip(&kernel);
    let at = memchr::memmem::find(&image, &gz[..64]).unwrap() + 200;
    image[at] ^= 0x55;
    let unpacked = unpack("bad.itb", image);
    let fit = layer(&unpacked, "fit");
    assert!(
        fit.errors.iter().any(|e| e.message.contains("crc32")),
        "{:?}",
        fit.errors
    );
}

/// Rewrites a uImage header field and fixes the header CRC, so only the field is hostile.
fn patch_uimage(image: &mut [u8], at: usize, value: u32) {
    image[at..at + 4].copy_from_slice(&value.to_be_bytes());
    image[4..8].fill(0);
    let crc = crc32fast::hash(&image[..64]);
    image[4..8].copy_from_slice(&crc.to_be_bytes());
}

#[test]
fn a_uimage_whose_payload_is_a_bomb_stops_at_the_ratio() {
    // One member or frame of 256 MiB of zeros: U-Boot decodes a single one.
    let zeros = vec![0u8; 256 * MIB as usize];
    for (comp, payload) in [
        (1u8, testkit::gzip_best(&zeros)),
        (6, testkit::zstd(&zeros)),
    ] {
        let image = testkit::uimage(b"bomb", 2, comp, &payload);
        let started = Instant::now();
        let unpacked = unpack("bomb.uimg", image);
        let uimage = layer(&unpacked, "uimage");
        let kinds: Vec<LimitKind> = uimage.truncations.iter().map(|t| t.limit).collect();
        assert_eq!(kinds, [LimitKind::Ratio], "comp {comp}");
        let most =
            Limits::default().ratio_floor_bytes + 2 * hallmark_unpack::limits::CHUNK_BYTES as u64;
        assert!(unpacked.stats.bytes_produced <= most, "comp {comp}");
        assert!(started.elapsed() < Duration::from_secs(20));
    }
    // The same bomb under a small total budget: cut at the budget.
    let image = testkit::uimage(
        b"bomb",
        2,
        1,
        &testkit::gzip_best(&zeros[..64 * MIB as usize]),
    );
    let limits = Limits {
        max_total_bytes: 8 * MIB,
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(limits).unpack_bytes("bomb.uimg", image);
    assert!(unpacked.stats.bytes_produced <= 8 * MIB);
    assert!(!unpacked.is_complete());
}

#[test]
fn uimage_sizes_past_the_end_and_bad_crcs_are_recorded() {
    let good = testkit::uimage(b"k", 2, 0, &[7u8; 1000]);
    // Size far past the end, header CRC still right.
    let mut huge = good.clone();
    patch_uimage(&mut huge, 12, u32::MAX);
    let unpacked = unpack("huge.uimg", huge.clone());
    let uimage = layer(&unpacked, "uimage");
    assert_eq!(uimage.size, huge.len() as u64);
    assert!(
        uimage
            .errors
            .iter()
            .any(|e| e.message.contains("truncated"))
    );
    // Header CRC wrong but everything else plausible: accepted, mismatch recorded.
    let mut bad_crc = good.clone();
    bad_crc[4] ^= 1;
    let unpacked = unpack("crc.uimg", bad_crc);
    let uimage = layer(&unpacked, "uimage");
    assert!(
        uimage
            .errors
            .iter()
            .any(|e| e.message.contains("header CRC"))
    );
    // A multi-file image whose size table never ends, or names huge images.
    let table = [u32::MAX.to_be_bytes(), 5u32.to_be_bytes()].concat();
    let unpacked = unpack("multi.uimg", testkit::uimage(b"m", 4, 0, &table));
    assert!(!layer(&unpacked, "uimage").errors.is_empty());
    let endless: Vec<u8> = std::iter::repeat_n(1u32.to_be_bytes(), 10_000)
        .flatten()
        .collect();
    let unpacked = unpack("multi.uimg", testkit::uimage(b"m", 4, 0, &endless));
    assert!(!layer(&unpacked, "uimage").errors.is_empty());
}

#[test]
fn nested_containers_stop_at_the_depth_limit() {
    let mut data = b"innermost".to_vec();
    for level in 0..40 {
        data = match level % 4 {
            0 => testkit::uimage(b"nest", 2, 1, &testkit::gzip(&data)),
            1 => testkit::trx(1, &[&data]),
            2 => testkit::tplink(&TplinkImage {
                kernel: data.clone(),
                ..TplinkImage::default()
            }),
            _ => FdtBuilder::new()
                .begin(b"")
                .begin(b"images")
                .begin(b"k")
                .prop(b"data", &data)
                .end()
                .end()
                .end()
                .finish(),
        };
    }
    let limits = Limits {
        max_depth: 10,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(limits).unpack_bytes("nest.bin", data);
    let kinds: Vec<LimitKind> = unpacked.truncations().iter().map(|t| t.limit).collect();
    assert_eq!(kinds, [LimitKind::Depth], "{}", unpacked.listing());
}

#[test]
fn trx_and_tplink_offsets_that_lie_are_recorded_not_followed() {
    let parts: [&[u8]; 3] = [b"loader", b"kernel", b"rootfs"];
    let good = testkit::trx(1, &parts);
    let cases: [(usize, u32); 5] = [
        (4, u32::MAX),     // length past the end
        (20, 8),           // second offset into the header
        (24, 28),          // third offset backwards
        (20, 0x7fff_fff0), // past the length
        (8, 0x1234_5678),  // CRC
    ];
    for (at, value) in cases {
        let mut bad = good.clone();
        bad[at..at + 4].copy_from_slice(&value.to_le_bytes());
        let unpacked = unpack("bad.trx", bad);
        let trx = layer(&unpacked, "trx");
        assert!(!trx.errors.is_empty(), "field {at}");
        let total: u64 = trx.tree.as_ref().unwrap().files().map(|n| n.size).sum();
        assert!(total <= good.len() as u64, "field {at}");
    }

    let good = testkit::tplink(&TplinkImage {
        kernel: b"kernel".repeat(100),
        rootfs: b"rootfs".repeat(100),
        rootfs_ofs: Some(0x600),
        ..TplinkImage::default()
    });
    for (at, value) in [
        (0x88, 0x200u32), // rootfs on top of the kernel
        (0x88, 0x20),     // rootfs in the header
        (0x8c, u32::MAX), // rootfs length past the end
        (0x88, u32::MAX), // rootfs offset past the end
        (0x7c, u32::MAX), // firmware length past the end
    ] {
        let mut bad = good.clone();
        bad[at..at + 4].copy_from_slice(&value.to_be_bytes());
        let unpacked = unpack("bad.tpl", bad);
        let tplink = layer(&unpacked, "tplink");
        assert!(!tplink.errors.is_empty(), "field {at:#x} = {value:#x}");
        assert!(tplink.tree.as_ref().unwrap().read("/kernel").is_some());
    }
}

#[test]
fn fit_names_that_escape_are_neutralised_and_odd_trees_are_bounded() {
    let fit = FdtBuilder::new()
        .begin(b"")
        .begin(b"images")
        .begin(b"../../../tmp/hallmark-pwned")
        .prop(b"data", b"escape")
        .end()
        .begin(b"/abs-escape")
        .prop(b"data", b"absolute")
        .end()
        .begin(b"external")
        .prop(b"data-position", &u32::MAX.to_be_bytes())
        .prop(b"data-size", &u32::MAX.to_be_bytes())
        .end()
        .end()
        .end()
        .finish();
    let unpacked = unpack("escape.itb", fit);
    let fit_layer = layer(&unpacked, "fit");
    assert!(!fit_layer.errors.is_empty());
    materialize_sandboxed(&unpacked);

    // 10,000 nested nodes: refused at the nesting bound, no recursion.
    let mut deep = FdtBuilder::new();
    deep.begin(b"").begin(b"images");
    for _ in 0..10_000 {
        deep.begin(b"n");
    }
    let unpacked = unpack("deep.itb", deep.finish());
    assert!(!layer(&unpacked, "fit").errors.is_empty());
}

/// One sample of every container.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let kernel = kernel_payload();
    vec![
        (
            "uimage",
            testkit::uimage(b"k", 2, 3, &testkit::lzma_alone(&kernel, false)),
        ),
        (
            "uimage-multi",
            testkit::uimage(
                b"m",
                4,
                0,
                &[8u32.to_be_bytes(), [0; 4], *b"abcd", *b"efgh"].concat(),
            ),
        ),
        (
            "fit",
            FdtBuilder::new()
                .begin(b"")
                .begin(b"images")
                .begin(b"kernel")
                .prop(b"data", &testkit::gzip(&kernel))
                .prop_str(b"compression", b"gzip")
                .end()
                .end()
                .end()
                .finish(),
        ),
        (
            "trx",
            testkit::trx(
                2,
                &[b"loader".as_slice(), &testkit::gzip(&kernel), b"root", b"x"],
            ),
        ),
        (
            "tplink",
            testkit::tplink(&TplinkImage {
                kernel: testkit::lzma_alone(&kernel, true),
                rootfs: testkit::gzip(b"rootfs"),
                ..TplinkImage::default()
            }),
        ),
        (
            "tplink-v2",
            testkit::tplink(&TplinkImage {
                v2: true,
                kernel: testkit::lzma_alone(&kernel, true),
                rootfs: testkit::gzip(b"rootfs"),
                rootfs_ofs: Some(0x10000),
                ..TplinkImage::default()
            }),
        ),
    ]
}

#[test]
fn truncated_and_bit_flipped_containers_never_panic() {
    let started = Instant::now();
    for (name, data) in samples() {
        let whole = unpack(name, data.clone());
        assert!(
            whole
                .layers()
                .iter()
                .any(|(_, l)| !l.is_raw() && l.format != "input"),
            "{name}: {}",
            whole.listing()
        );
        let step = (data.len() / 60).max(1);
        for cut in (0..data.len()).step_by(step) {
            let unpacked = unpack(name, data[..cut].to_vec());
            assert_eq!(unpacked.root.size, cut as u64);
        }
        for i in (0..data.len().min(4096)).step_by(3) {
            let mut bad = data.clone();
            bad[i] ^= 0x5a;
            let _ = unpack(name, bad);
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
}
