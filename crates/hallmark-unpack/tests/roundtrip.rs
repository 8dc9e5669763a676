//! End to end: a gzip'd cpio inside a tar, through `unpack_file`, the query API, the listing
//! and `materialize`.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::path::Path;

use common::testkit::{self, CpioBuilder, CpioKind, TarBuilder};
use hallmark_unpack::{Limits, NodeKind, Unpacker, formats, materialize};

const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/sh\n";

fn firmware() -> Vec<u8> {
    let rootfs = CpioBuilder::new(CpioKind::Newc)
        .dir(b".")
        .dir(b"etc")
        .file(b"etc/passwd", PASSWD)
        .file(b"bin/busybox", b"\x7fELF fake busybox")
        .symlink(b"bin/sh", b"busybox")
        .symlink(b"etc/shadow-link", b"/etc/passwd")
        .finish();
    TarBuilder::new()
        .file(b"README", b"vendor firmware bundle\n")
        .file(b"rootfs.cpio.gz", &testkit::gzip(&rootfs))
        .finish()
}

#[test]
fn unpack_file_finds_a_gzipped_cpio_inside_a_tar() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("fw.tar");
    fs::write(&image, firmware()).unwrap();

    let unpacked = Unpacker::new(Limits::default())
        .unpack_file(&image)
        .unwrap();
    assert_eq!(unpacked.image, "fw.tar");
    assert!(unpacked.is_complete());
    assert!(unpacked.errors().is_empty(), "{:?}", unpacked.errors());
    assert!(unpacked.anomalies().is_empty());

    let (layer, passwd) = unpacked.read("/etc/passwd").expect("passwd found");
    assert_eq!(&passwd[..], PASSWD);
    assert_eq!(
        layer.to_string(),
        "fw.tar > tar@0x0 > gzip@0x0[/rootfs.cpio.gz] > cpio@0x0"
    );
    // Symlinks resolve inside the cpio tree, absolute targets included.
    let (_, through_link) = unpacked.read("/etc/shadow-link").unwrap();
    assert_eq!(&through_link[..], PASSWD);
    let found = unpacked.find("/bin/sh");
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].1.kind,
        NodeKind::Symlink {
            target: "busybox".into()
        }
    );
    assert_eq!(unpacked.trees().len(), 2);
    let formats_seen: Vec<&str> = unpacked
        .layers()
        .iter()
        .map(|(_, l)| l.format.as_str())
        .collect();
    assert_eq!(formats_seen, ["input", "tar", "gzip", "cpio"]);

    let listing = unpacked.listing();
    assert!(
        listing.starts_with("fw.tar\n  input @0x0 size 10240\n"),
        "{listing}"
    );
    assert!(
        listing.contains("    tar (ustar) @0x0 size 10240 -> 2 entries"),
        "{listing}"
    );
    assert!(
        listing.contains("gzip in /rootfs.cpio.gz @0x0"),
        "{listing}"
    );
    assert!(
        listing.contains("cpio (newc) @0x0 size 1024 -> 6 entries"),
        "{listing}"
    );

    let model_location = layer.location(Some("/etc/passwd"));
    assert_eq!(
        model_location.to_string(),
        "fw.tar > tar@0x0 > gzip@0x0[/rootfs.cpio.gz] > cpio@0x0:/etc/passwd"
    );
}

#[test]
fn unpack_bytes_accepts_vec_and_arc_and_agrees() {
    let data = firmware();
    let unpacker = Unpacker::default();
    let from_vec = unpacker.unpack_bytes("a", data.clone());
    let arc: std::sync::Arc<[u8]> = data.into();
    let from_arc = unpacker.unpack_bytes("a", arc);
    assert_eq!(from_vec.listing(), from_arc.listing());
}

#[test]
fn materialize_writes_the_layer_tree() {
    let unpacked = Unpacker::default().unpack_bytes("fw.tar", firmware());
    let out = tempfile::tempdir().unwrap();
    let summary = materialize(&unpacked, out.path()).unwrap();
    let root = out.path();
    let tar = root.join("0x0.tar");
    assert_eq!(
        fs::read(tar.join("tree/README")).unwrap(),
        b"vendor firmware bundle\n"
    );
    let cpio_tree = tar.join("files/rootfs.cpio.gz/0x0.gzip/0x0.cpio/tree");
    assert_eq!(fs::read(cpio_tree.join("etc/passwd")).unwrap(), PASSWD);
    assert_eq!(
        fs::read_link(cpio_tree.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    // The absolute link is rewritten to stay inside the cpio tree, and still works there.
    assert_eq!(
        fs::read_link(cpio_tree.join("etc/shadow-link")).unwrap(),
        Path::new("../etc/passwd")
    );
    assert_eq!(fs::read(cpio_tree.join("etc/shadow-link")).unwrap(), PASSWD);
    // The gzip's output was identified completely, so no raw copy of it is written.
    assert!(!tar.join("files/rootfs.cpio.gz/0x0.gzip/blob").exists());
    assert_eq!(summary.symlinks, 2);
    assert_eq!(summary.symlinks_rewritten, 1);
    assert_eq!(summary.files, 4);
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    common::assert_confined(root);

    // A second run into the same, now non-empty, directory is refused.
    assert!(materialize(&unpacked, out.path()).is_err());
}

#[test]
fn unpack_file_reports_unreadable_and_oversized_inputs() {
    let missing = Unpacker::default().unpack_file("/nonexistent/fw.bin");
    assert!(
        missing
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/fw.bin")
    );

    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("big.bin");
    fs::write(&image, vec![0u8; 2048]).unwrap();
    let small = Unpacker::new(Limits {
        max_input_bytes: 1024,
        ..Limits::default()
    });
    let err = small.unpack_file(&image).unwrap_err();
    assert!(
        err.to_string().contains("larger than the input limit"),
        "{err}"
    );
}

#[test]
fn the_registry_is_public_and_sorted() {
    let ids: Vec<&str> = formats().iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        [
            "android-sparse",
            "ar",
            "arcadyan",
            "bzip2",
            "cpio",
            "cramfs",
            "dtb",
            "ext",
            "fit",
            "gzip",
            "jffs2",
            "lz4",
            "lzma",
            "lzo",
            "romfs",
            "squashfs",
            "tar",
            "tplink",
            "tplink-img0",
            "trx",
            "ubi",
            "ubifs",
            "uimage",
            "xz",
            "yaffs2",
            "zip",
            "zlib",
            "zstd",
        ]
    );
}
