//! ext images made at test time by the real tools (`mke2fs -d` from e2fsprogs, `genext2fs`)
//! from a directory this test writes, unpacked and compared with that directory: every path,
//! file content, symlink target, mode, owner and file mtime, plus hard links, FIFOs and (from a
//! `genext2fs` device table) devices; and ext4 wrapped by `img2simg` in an Android sparse
//! image. (`genext2fs` keeps only the old 8-bit device numbers and 16-bit owners; the new
//! encodings are covered by the reader's own tests.)
//!
//! Outside CI a missing tool skips its cases with a notice; under `CI=true` it fails (the
//! tools are installed by `.ci/install-deps.sh`).
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::testkit::noise;
use common::{materialize_sandboxed, run, tool};
use hallmark_unpack::{FileTree, Limits, NodeKind, Unpacked, Unpacker};

const SPARSE_SIZE: u64 = 70 << 20;

/// Writes the source tree. `sparse` adds a 70 MiB file with two data stretches, which with
/// 1 KiB block maps reaches the triple indirect block.
fn source_tree(root: &Path, sparse: bool) {
    let write = |rel: &str, data: &[u8], mode: u32| {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, data).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    };
    write("etc/passwd", b"root:x:0:0::/root:/bin/sh\n", 0o644);
    write("etc/shadow", b"root:*:19000:0:99999:7:::\n", 0o600);
    write("bin/busybox", &noise(300 * 1024, 1), 0o4755);
    fs::hard_link(root.join("bin/busybox"), root.join("bin/sh")).unwrap();
    for (i, len) in [0usize, 1, 59, 60, 61, 1023, 1024, 1025, 4096, 5000, 70_000]
        .into_iter()
        .enumerate()
    {
        write(&format!("sizes/{len}"), &noise(len, 10 + i as u64), 0o640);
    }
    for len in [7usize, 59, 60, 61, 200, 1000] {
        let target = "t".repeat(len);
        std::os::unix::fs::symlink(&target, root.join(format!("link{len}"))).unwrap();
    }
    std::os::unix::fs::symlink("/etc/passwd", root.join("abs-link")).unwrap();
    write("odd names/with space ünïcödé", b"unicode", 0o644);
    write("deep/a/b/c/d/e/f/g/file", b"deep", 0o644);
    for i in 0..300 {
        write(
            &format!("many/entry-number-{i:04}"),
            format!("{i}").as_bytes(),
            0o644,
        );
    }
    fs::create_dir(root.join("sticky")).unwrap();
    fs::set_permissions(root.join("sticky"), fs::Permissions::from_mode(0o1777)).unwrap();
    fs::create_dir(root.join("setgid")).unwrap();
    fs::set_permissions(root.join("setgid"), fs::Permissions::from_mode(0o2750)).unwrap();
    run(Command::new("mkfifo").arg(root.join("fifo")));
    if sparse {
        let file = fs::File::create(root.join("sparse")).unwrap();
        file.set_len(SPARSE_SIZE).unwrap();
        drop(file);
        use std::io::{Seek, SeekFrom, Write};
        let mut file = fs::OpenOptions::new()
            .write(true)
            .open(root.join("sparse"))
            .unwrap();
        file.seek(SeekFrom::Start(3 << 20)).unwrap();
        file.write_all(b"middle").unwrap();
        file.seek(SeekFrom::Start(SPARSE_SIZE - 10)).unwrap();
        file.write_all(b"tail").unwrap();
    }
    // Fixed file mtimes (directories change as entries are added).
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    for (i, rel) in ["etc/passwd", "bin/busybox", "sizes/5000"]
        .iter()
        .enumerate()
    {
        let file = fs::File::options()
            .write(true)
            .open(root.join(rel))
            .unwrap();
        file.set_modified(base + Duration::from_secs(i as u64 * 1000))
            .unwrap();
    }
}

/// The tree path of a path relative to the source root (names here need no escaping).
fn tree_path(rel: &Path) -> String {
    format!("/{}", rel.to_str().unwrap())
}

/// Compares the tree with the source directory; `owners` also compares uid/gid.
fn compare(src: &Path, tree: &FileTree, owners: bool, label: &str) {
    let mut expected: BTreeSet<String> = ["/".to_owned(), "/lost+found".to_owned()].into();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(src).unwrap();
            let at = tree_path(rel);
            expected.insert(at.clone());
            let meta = fs::symlink_metadata(&path).unwrap();
            let node = tree
                .get(&at)
                .unwrap_or_else(|| panic!("{label}: {at} missing"));
            let kind = meta.file_type();
            if kind.is_symlink() {
                let target = fs::read_link(&path).unwrap();
                assert_eq!(
                    node.kind,
                    NodeKind::Symlink {
                        target: target.to_str().unwrap().to_owned()
                    },
                    "{label}: {at}"
                );
                continue;
            }
            assert_eq!(node.mode, meta.mode() & 0o7777, "{label}: mode of {at}");
            if owners {
                assert_eq!(
                    (node.uid, node.gid),
                    (meta.uid(), meta.gid()),
                    "{label}: {at}"
                );
            }
            if kind.is_dir() {
                assert!(node.is_dir(), "{label}: {at}");
                stack.push(path);
            } else if kind.is_file() {
                let content = tree
                    .read(&at)
                    .unwrap_or_else(|| panic!("{label}: {at} has no content"));
                assert!(
                    content.as_slice() == fs::read(&path).unwrap().as_slice(),
                    "{label}: content of {at}"
                );
                assert_eq!(node.mtime, meta.mtime(), "{label}: mtime of {at}");
            } else {
                assert_eq!(node.kind, NodeKind::Fifo, "{label}: {at}");
            }
        }
    }
    // Device tables add /dev.
    let got: BTreeSet<String> = tree
        .iter()
        .map(|n| n.path.clone())
        .filter(|p| p != "/dev" && !p.starts_with("/dev/"))
        .collect();
    let extra: Vec<&String> = got.difference(&expected).collect();
    assert!(extra.is_empty(), "{label}: extra nodes {extra:?}");
    // The two names of busybox: one file, one hard link to it.
    let kinds = [tree.get("/bin/busybox"), tree.get("/bin/sh")].map(|n| n.unwrap().kind.clone());
    assert!(
        kinds.contains(&NodeKind::File)
            && kinds.iter().any(|k| matches!(k, NodeKind::Hardlink { .. })),
        "{label}: {kinds:?}"
    );
}

fn unpack(image: &Path, variant: &str, label: &str) -> Unpacked {
    let unpacked = Unpacker::new(Limits::default()).unpack_file(image).unwrap();
    let layer = &unpacked.root.children[0];
    assert_eq!(layer.format, "ext", "{label}: {}", unpacked.listing());
    assert_eq!(layer.variant.as_deref(), Some(variant), "{label}");
    assert_eq!(layer.size, unpacked.root.size, "{label}");
    assert!(layer.errors.is_empty(), "{label}: {:?}", layer.errors);
    assert!(
        unpacked.is_complete(),
        "{label}: {:?}",
        unpacked.truncations()
    );
    unpacked
}

fn tree_of(unpacked: &Unpacked) -> &FileTree {
    unpacked.root.children[0].tree.as_ref().unwrap()
}

/// label, mke2fs options, variant, size, sparse source, rebuild directories as htrees.
type Case<'a> = (&'a str, &'a [&'a str], &'a str, &'a str, bool, bool);

#[test]
fn mke2fs_images_of_every_variant_and_layout_match_their_source() {
    let Some(mke2fs) = tool("mke2fs") else { return };
    let e2fsck = tool("e2fsck");
    let work = tempfile::tempdir().unwrap();
    let plain = work.path().join("plain");
    let with_sparse = work.path().join("sparse");
    source_tree(&plain, false);
    source_tree(&with_sparse, true);
    let cases: &[Case] = &[
        (
            "ext2 1k",
            &["-t", "ext2", "-b", "1024"],
            "ext2",
            "32M",
            true,
            false,
        ),
        (
            "ext2 rev0",
            &["-t", "ext2", "-r", "0"],
            "ext2",
            "16M",
            false,
            false,
        ),
        (
            "ext3 1k htree",
            &["-t", "ext3", "-b", "1024"],
            "ext3",
            "16M",
            false,
            true,
        ),
        (
            "ext3 4k",
            &["-t", "ext3", "-b", "4096"],
            "ext3",
            "16M",
            false,
            false,
        ),
        (
            "ext4 1k",
            &["-t", "ext4", "-b", "1024"],
            "ext4",
            "32M",
            true,
            true,
        ),
        (
            "ext4 4k",
            &["-t", "ext4", "-b", "4096"],
            "ext4",
            "32M",
            true,
            false,
        ),
        (
            "ext4 inline",
            &["-t", "ext4", "-O", "inline_data"],
            "ext4",
            "16M",
            false,
            false,
        ),
        (
            "ext4 meta_bg",
            &[
                "-t",
                "ext4",
                "-b",
                "1024",
                "-g",
                "256",
                "-N",
                "600",
                "-O",
                "meta_bg,^resize_inode",
            ],
            "ext4",
            "16M",
            false,
            false,
        ),
        (
            "ext4 bigalloc",
            &["-t", "ext4", "-O", "bigalloc", "-C", "16384"],
            "ext4",
            "16M",
            false,
            false,
        ),
        (
            "ext4 small inodes, 32-bit",
            &[
                "-t",
                "ext4",
                "-I",
                "128",
                "-O",
                "^64bit,^metadata_csum,uninit_bg",
            ],
            "ext4",
            "16M",
            false,
            false,
        ),
        (
            "ext4 64k blocks",
            &["-t", "ext4", "-b", "65536"],
            "ext4",
            "64M",
            false,
            false,
        ),
    ];
    for &(label, options, variant, size, sparse, htree) in cases {
        let src = if sparse { &with_sparse } else { &plain };
        let image = work.path().join("image");
        let _ = fs::remove_file(&image);
        run(Command::new(&mke2fs)
            .args(["-q", "-F", "-E", "lazy_itable_init=1"])
            .args(options)
            .arg("-d")
            .arg(src)
            .arg(&image)
            .arg(size));
        if htree {
            if let Some(e2fsck) = &e2fsck {
                // -D rebuilds directories as hashed trees; exit code 1 means "fixed".
                let status = Command::new(e2fsck)
                    .args(["-f", "-y", "-D"])
                    .arg(&image)
                    .output()
                    .unwrap()
                    .status;
                assert!(
                    matches!(status.code(), Some(0..=1)),
                    "{label}: e2fsck {status}"
                );
            }
        }
        let unpacked = unpack(&image, variant, label);
        compare(src, tree_of(&unpacked), true, label);
        if sparse {
            let content = tree_of(&unpacked).read("/sparse").unwrap();
            assert_eq!(content.len() as u64, SPARSE_SIZE, "{label}");
        }
    }
}

#[test]
fn genext2fs_images_without_the_filetype_feature_match_their_source() {
    let Some(genext2fs) = tool("genext2fs") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source_tree(&src, false);
    let table = work.path().join("devices");
    fs::write(
        &table,
        "# name type mode uid gid major minor start inc count\n\
         /dev d 755 0 0 - - - - -\n\
         /dev/console c 600 0 5 5 1 - - -\n\
         /dev/mtdblock b 640 0 6 31 0 0 1 3\n\
         /etc/shadow f 600 1234 7000 - - - - -\n",
    )
    .unwrap();
    for block_size in ["1024", "4096"] {
        let label = format!("genext2fs {block_size}");
        let image = work.path().join(format!("image{block_size}"));
        run(Command::new(&genext2fs)
            .args(["-z", "-B", block_size, "-b"])
            .arg(if block_size == "1024" { "8192" } else { "2048" })
            .arg("-d")
            .arg(&src)
            .arg("-D")
            .arg(&table)
            .arg(&image));
        let unpacked = unpack(&image, "ext2", &label);
        let tree = tree_of(&unpacked);
        let devices: Vec<(String, NodeKind, u32, u32)> = tree
            .iter()
            .filter(|n| n.path.starts_with("/dev/"))
            .map(|n| (n.path.clone(), n.kind.clone(), n.mode, n.gid))
            .collect();
        assert_eq!(
            devices,
            [
                (
                    "/dev/console".into(),
                    NodeKind::CharDevice { major: 5, minor: 1 },
                    0o600,
                    5
                ),
                (
                    "/dev/mtdblock0".into(),
                    NodeKind::BlockDevice {
                        major: 31,
                        minor: 0
                    },
                    0o640,
                    6
                ),
                (
                    "/dev/mtdblock1".into(),
                    NodeKind::BlockDevice {
                        major: 31,
                        minor: 1
                    },
                    0o640,
                    6
                ),
                (
                    "/dev/mtdblock2".into(),
                    NodeKind::BlockDevice {
                        major: 31,
                        minor: 2
                    },
                    0o640,
                    6
                ),
            ],
            "{label}"
        );
        let shadow = tree.get("/etc/shadow").unwrap();
        assert_eq!((shadow.uid, shadow.gid), (1234, 7000), "{label}");
        // The device table changed an owner and added /dev; the rest matches the source.
        compare(&src, tree, false, &label);
        // Materialised, nothing leaves the output and no device is created.
        let summary = materialize_sandboxed(&unpacked);
        assert!(summary.files > 300, "{label}");
    }
}

#[test]
fn img2simg_sparse_images_of_ext4_unpack_through_both_layers() {
    let (Some(mke2fs), Some(img2simg)) = (tool("mke2fs"), tool("img2simg")) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source_tree(&src, true);
    let raw = work.path().join("system.raw");
    run(Command::new(&mke2fs)
        .args(["-q", "-F", "-t", "ext4", "-b", "4096", "-d"])
        .arg(&src)
        .arg(&raw)
        .arg("32M"));
    for block in ["4096", "65536"] {
        let label = format!("img2simg {block}");
        let sparse = work.path().join("system.img");
        run(Command::new(&img2simg).arg(&raw).arg(&sparse).arg(block));
        let unpacked = Unpacker::new(Limits::default())
            .unpack_file(&sparse)
            .unwrap();
        assert!(
            unpacked.is_complete(),
            "{label}: {:?}",
            unpacked.truncations()
        );
        assert!(
            unpacked.errors().is_empty(),
            "{label}: {:?}",
            unpacked.errors()
        );
        let layer = &unpacked.root.children[0];
        assert_eq!(layer.format, "android-sparse", "{label}");
        assert_eq!(layer.size, unpacked.root.size, "{label}");
        assert!(
            layer.content.as_deref() == Some(&fs::read(&raw).unwrap()[..]),
            "{label}: de-sparsed image differs"
        );
        let ext = &layer.children[0];
        assert_eq!(
            (ext.format.as_str(), ext.variant.as_deref()),
            ("ext", Some("ext4"))
        );
        compare(&src, ext.tree.as_ref().unwrap(), true, &label);
    }
}
