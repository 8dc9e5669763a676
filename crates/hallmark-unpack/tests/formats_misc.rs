//! lz4, lzop, ar, romfs, yaffs2 and zip images made by the real tools (`lz4`, `lzop`, `ar`,
//! `dpkg-deb`, `genromfs`, `zip`, Python's `zipfile`), unpacked and compared with what went in.
//!
//! A missing tool skips its test with a NOTICE outside CI; under `CI=true` it fails
//! (`.ci/install-deps.sh` installs them).
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::process::Command;

use common::have;
use common::testkit;
use hallmark_unpack::{Limits, NodeKind, Unpacked, Unpacker};

fn run(dir: &Path, command: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "{command}");
}

fn unpack(path: &Path) -> Unpacked {
    Unpacker::new(Limits::default()).unpack_file(path).unwrap()
}

/// Checks that the only layer directly under the input is `format` covering the whole file,
/// and that nothing is damaged.
fn whole(unpacked: &Unpacked, format: &str) {
    let layers: Vec<_> = unpacked
        .root
        .children
        .iter()
        .map(|l| (l.format.as_str(), l.offset, l.size))
        .collect();
    assert_eq!(
        layers,
        [(format, 0, unpacked.root.size)],
        "{}",
        unpacked.listing()
    );
    assert!(unpacked.errors().is_empty(), "{}", unpacked.listing());
    assert!(
        unpacked.anomalies().is_empty(),
        "{:?}",
        unpacked.anomalies()
    );
}

#[test]
fn lz4_tool_frames_and_legacy_frames() {
    if !have("lz4") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Over 8 MiB, so the legacy frame has a full block and a short one.
    let text: Vec<u8> = testkit::noise(6 << 20, 7)
        .iter()
        .flat_map(|b| [b'a' + b % 16, b' '])
        .collect();
    std::fs::write(dir.path().join("in"), &text).unwrap();
    for (flags, name, variant) in [
        ("", "default.lz4", "frame"),
        ("-BD -BX --content-size", "linked.lz4", "frame"),
        ("-B4 --no-frame-crc", "small.lz4", "frame"),
        ("-l", "legacy.lz4", "legacy"),
    ] {
        run(dir.path(), &format!("lz4 -q -f {flags} in {name}"));
        let unpacked = unpack(&dir.path().join(name));
        whole(&unpacked, "lz4");
        let layer = &unpacked.root.children[0];
        assert_eq!(layer.variant.as_deref(), Some(variant), "{name}");
        assert!(layer.content.as_deref() == Some(&text[..]), "{name}");
    }
}

#[test]
fn lzop_tool_files() {
    if !have("lzop") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"lzop test data, partly repetitive. ".repeat(20_000);
    text.extend_from_slice(&testkit::noise(300_000, 3));
    std::fs::write(dir.path().join("in"), &text).unwrap();
    for (flags, name) in [
        ("", "default.lzo"),
        ("-9", "best.lzo"),
        ("-1 --crc32", "crc.lzo"),
        ("--no-checksum -n", "nosum.lzo"),
    ] {
        run(dir.path(), &format!("lzop -q -f {flags} -o {name} in"));
        let unpacked = unpack(&dir.path().join(name));
        whole(&unpacked, "lzo");
        assert!(
            unpacked.root.children[0].content.as_deref() == Some(&text[..]),
            "{name}"
        );
    }
}

#[test]
fn ar_tool_archives_and_deb_packages() {
    if !have("ar") || !have("dpkg-deb") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.o"), b"first member").unwrap();
    std::fs::write(d.join("an-object-with-a-long-name.o"), b"odd!!").unwrap();
    run(d, "ar rcs lib.a a.o an-object-with-a-long-name.o");
    let unpacked = unpack(&d.join("lib.a"));
    whole(&unpacked, "ar");
    let tree = unpacked.trees()[0].1;
    assert_eq!(tree.read("/a.o").unwrap().as_slice(), b"first member");
    assert_eq!(
        tree.read("/an-object-with-a-long-name.o")
            .unwrap()
            .as_slice(),
        b"odd!!"
    );

    std::fs::create_dir_all(d.join("pkg/DEBIAN")).unwrap();
    std::fs::create_dir_all(d.join("pkg/usr/share/hallmark")).unwrap();
    std::fs::write(
        d.join("pkg/DEBIAN/control"),
        "Package: hallmark-test\nVersion: 1.0\nArchitecture: all\nMaintainer: Hallmark <dev@hallmark.invalid>\nDescription: test\n",
    )
    .unwrap();
    std::fs::write(d.join("pkg/usr/share/hallmark/payload"), b"deb payload").unwrap();
    for compression in ["gzip", "xz", "zstd", "none"] {
        run(
            d,
            &format!(
                "dpkg-deb --root-owner-group -Z{compression} --build pkg {compression}.deb >/dev/null"
            ),
        );
        let unpacked = unpack(&d.join(format!("{compression}.deb")));
        whole(&unpacked, "ar");
        assert_eq!(unpacked.root.children[0].variant.as_deref(), Some("deb"));
        let (_, payload) = unpacked
            .read("/usr/share/hallmark/payload")
            .unwrap_or_else(|| panic!("{compression}: {}", unpacked.listing()));
        assert_eq!(payload.as_slice(), b"deb payload");
        assert!(
            unpacked
                .find("/control")
                .iter()
                .any(|(_, n)| n.kind == NodeKind::File),
            "{compression}"
        );
    }
}

#[test]
fn genromfs_images() {
    if !have("genromfs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = d.join("root");
    std::fs::create_dir_all(root.join("etc/init.d")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("etc/passwd"), b"root:x:0:0::/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/init.d/rcS"), b"#!/bin/sh\nmount -a\n").unwrap();
    let busybox = testkit::noise(100_000, 5);
    std::fs::write(root.join("bin/busybox"), &busybox).unwrap();
    std::fs::hard_link(root.join("bin/busybox"), root.join("bin/ls")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    run(
        d,
        "chmod 755 root/bin/busybox root/etc/init.d/rcS && genromfs -f fs.romfs -d root -V test",
    );
    let unpacked = unpack(&d.join("fs.romfs"));
    whole(&unpacked, "romfs");
    let tree = unpacked.trees()[0].1;
    assert_eq!(
        tree.read("/etc/passwd").unwrap().as_slice(),
        b"root:x:0:0::/root:/bin/sh\n"
    );
    assert_eq!(tree.get("/etc/init.d/rcS").unwrap().mode, 0o755);
    assert_eq!(tree.get("/etc/passwd").unwrap().mode, 0o644);
    assert_eq!(tree.read("/bin/busybox").unwrap().as_slice(), &busybox[..]);
    assert_eq!(tree.read("/bin/ls").unwrap().as_slice(), &busybox[..]);
    assert_eq!(tree.read("/bin/sh").unwrap().as_slice(), &busybox[..]);
    assert!(matches!(
        tree.get("/bin/sh").unwrap().kind,
        NodeKind::Symlink { .. }
    ));
    assert_eq!(
        tree.files().count(),
        3,
        "{:?}",
        tree.iter().collect::<Vec<_>>()
    );
}

/// A corpus image, or `None` (with a notice) outside CI when the corpus is absent.
fn corpus_image(path: &str) -> Option<std::path::PathBuf> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(path);
    if file.is_file() {
        return Some(file);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI needs the shared corpus: {}", file.display());
    }
    eprintln!("NOTICE: skipping: {} absent", file.display());
    None
}

#[test]
fn corpus_yaffs2_and_romfs_samples_in_detail() {
    for (image, variant) in [
        (
            "real/format-samples-fact-extractor/yaffs__yaffs2_le.img",
            "2k-le",
        ),
        (
            "real/format-samples-fact-extractor/yaffs__yaffs2_be.img",
            "2k-be",
        ),
    ] {
        let Some(path) = corpus_image(image) else {
            return;
        };
        let unpacked = unpack(&path);
        whole(&unpacked, "yaffs2");
        assert_eq!(unpacked.root.children[0].variant.as_deref(), Some(variant));
        let tree = unpacked.trees()[0].1;
        let names: Vec<&str> = tree.files().map(|n| n.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "/generic folder/test file 3_.txt",
                "/testfile1",
                "/testfile2"
            ]
        );
        assert_eq!(
            tree.read("/generic folder/test file 3_.txt")
                .unwrap()
                .as_slice(),
            b"The third test file!"
        );
        assert_eq!(
            tree.read("/testfile2").unwrap().as_slice(),
            b"This is the second test file"
        );
        assert_eq!(tree.get("/testfile1").unwrap().mode, 0o644);
    }
    let Some(path) = corpus_image("real/format-samples-binwalk/yaffs2.bin") else {
        return;
    };
    let unpacked = unpack(&path);
    whole(&unpacked, "yaffs2");
    let tree = unpacked.trees()[0].1;
    assert_eq!(
        tree.files().count(),
        13,
        "{:?}",
        tree.files().collect::<Vec<_>>()
    );
    let source = tree.read("/mkyaffs2image.c").unwrap();
    assert!(source.starts_with(b"/*\n * YAFFS: Yet Another Flash File System"));

    for image in [
        "real/format-samples-fact-extractor/generic_fs__romfs.img",
        "real/format-samples-binwalk/romfs.bin",
    ] {
        let Some(path) = corpus_image(image) else {
            return;
        };
        let unpacked = unpack(&path);
        whole(&unpacked, "romfs");
    }
}

#[test]
fn zip_tool_archives() {
    if !have("zip") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = d.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    let text = b"zip tool payload, somewhat compressible\n".repeat(2000);
    let noise = testkit::noise(50_000, 8);
    std::fs::write(root.join("etc/passwd"), &text).unwrap();
    std::fs::write(root.join("bin/busybox"), &noise).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    run(d, "chmod 750 root/bin/busybox");
    let check = |unpacked: &Unpacked, links: bool| {
        let tree = unpacked
            .trees()
            .into_iter()
            .find(|(p, _)| p.chain.last().is_some_and(|l| l.format == "zip"))
            .map(|(_, t)| t)
            .unwrap_or_else(|| panic!("{}", unpacked.listing()));
        assert_eq!(tree.read("/etc/passwd").unwrap().as_slice(), &text[..]);
        assert_eq!(tree.read("/bin/busybox").unwrap().as_slice(), &noise[..]);
        assert_eq!(tree.get("/bin/busybox").unwrap().mode, 0o750);
        if links {
            assert!(matches!(
                tree.get("/bin/sh").unwrap().kind,
                NodeKind::Symlink { .. }
            ));
        }
    };
    for (flags, name) in [
        ("-r -y", "plain.zip"),
        ("-r -y -Z bzip2", "bzip2.zip"),
        ("-r -y -0", "stored.zip"),
        ("-r -y -fz", "zip64.zip"),
    ] {
        run(&root, &format!("zip -q {flags} ../{name} etc bin"));
        let unpacked = unpack(&d.join(name));
        whole(&unpacked, "zip");
        check(&unpacked, true);
    }
    // Streamed (data descriptors), then inside a self-extractor-like prefix with offsets
    // adjusted by zip -A.
    run(
        &root,
        "tar cf - etc bin | cat > /dev/null; zip -q -r -y - etc bin > ../stream.zip",
    );
    let unpacked = unpack(&d.join("stream.zip"));
    whole(&unpacked, "zip");
    check(&unpacked, true);
    run(
        d,
        "head -c 5000 /dev/zero > sfx.zip && cat plain.zip >> sfx.zip && zip -q -A sfx.zip",
    );
    let unpacked = unpack(&d.join("sfx.zip"));
    assert!(unpacked.errors().is_empty(), "{}", unpacked.listing());
    check(&unpacked, true);
    // Encrypted: names listed, contents not decrypted, recorded.
    run(&root, "zip -q -r -P secret ../enc.zip etc");
    let unpacked = unpack(&d.join("enc.zip"));
    assert!(
        unpacked.find("/etc/passwd").len() == 1,
        "{}",
        unpacked.listing()
    );
    assert!(
        unpacked
            .errors()
            .iter()
            .any(|(_, e)| e.message.contains("encrypted")),
        "{}",
        unpacked.listing()
    );
}

#[test]
fn python_zipfile_lzma_with_end_marker_and_bzip2() {
    if !have("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = r"import zipfile
for name, c in [('lzma.zip', zipfile.ZIP_LZMA), ('bzip2.zip', zipfile.ZIP_BZIP2)]:
    with zipfile.ZipFile(name, 'w', c) as z:
        z.writestr('a/b.txt', b'python zip payload ' * 1000)
        z.writestr('empty', b'')
";
    std::fs::write(dir.path().join("make.py"), script).unwrap();
    run(dir.path(), "python3 make.py");
    for name in ["lzma.zip", "bzip2.zip"] {
        let unpacked = unpack(&dir.path().join(name));
        whole(&unpacked, "zip");
        let tree = unpacked.trees()[0].1;
        assert_eq!(
            tree.read("/a/b.txt").unwrap().as_slice(),
            &b"python zip payload ".repeat(1000)[..]
        );
        assert_eq!(tree.get("/a/b.txt").unwrap().mode, 0o600);
        assert_eq!(tree.read("/empty").unwrap().len(), 0);
    }
}
