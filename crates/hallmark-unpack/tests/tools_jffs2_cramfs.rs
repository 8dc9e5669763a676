//! JFFS2 and cramfs images made by the real tools (`mkfs.jffs2` from mtd-utils, `mkfs.cramfs`
//! from util-linux) in every variant they offer, unpacked and compared with the directory
//! they were made from: paths, kinds, modes, owners, contents, link targets, devices.
//!
//! A missing tool skips the test with a NOTICE; under `CI=true` it fails instead
//! (`.ci/install-deps.sh` installs them).
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::testkit;
use common::{run, tool};
use hallmark_unpack::{FileTree, Layer, Limits, NodeKind, Unpacked, Unpacker};

/// What a test tree holds: kind, mode bits, and content or link target.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Want {
    File { mode: u32, content: Vec<u8> },
    Dir { mode: u32 },
    Symlink { target: String },
    Fifo,
    Char { major: u32, minor: u32 },
    Block { major: u32, minor: u32 },
}

/// Fills `root` with a tree exercising what both filesystems store.
fn populate(root: &Path) {
    let write = |path: &str, data: &[u8], mode: u32| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644);
    write("etc/shadow", b"root::19000:0:99999:7:::\n", 0o600);
    write("etc/empty", b"", 0o644);
    write("bin/busybox", &testkit::noise(70_000, 7), 0o4755);
    write(
        "usr/share/doc/big.txt",
        &b"compressible text line\n".repeat(15_000),
        0o644,
    );
    write("usr/share/page", &testkit::noise(4096, 8), 0o644);
    write("usr/share/page-plus-one", &testkit::noise(4097, 9), 0o644);
    write("deep/a/b/c/d/e/f/g/h/leaf", b"leaf", 0o640);
    write("names/with space and \u{e9}t\u{e9}", b"utf-8", 0o644);
    // A sparse file: holes around one byte.
    let mut sparse = vec![0u8; 20_000];
    sparse[9_000] = b'x';
    write("var/sparse", &sparse, 0o644);
    symlink("busybox", root.join("bin/sh")).unwrap();
    symlink("/etc/passwd", root.join("etc/passwd.link")).unwrap();
    std::fs::hard_link(root.join("etc/passwd"), root.join("etc/passwd.hard")).unwrap();
    std::fs::create_dir_all(root.join("dev")).unwrap();
    std::fs::create_dir_all(root.join("empty-dir")).unwrap();
    std::fs::set_permissions(
        root.join("empty-dir"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let fifo = root.join("run/initctl");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    run(Command::new("mkfifo").arg(&fifo));
}

/// Everything under `root`, by tree path.
fn expected(root: &Path) -> BTreeMap<String, Want> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let name = format!("/{}", path.strip_prefix(root).unwrap().to_str().unwrap());
            let mode = meta.mode() & 0o7777;
            let want = if meta.file_type().is_symlink() {
                Want::Symlink {
                    target: std::fs::read_link(&path)
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_owned(),
                }
            } else if meta.is_dir() {
                stack.push(path.clone());
                Want::Dir { mode }
            } else if meta.is_file() {
                Want::File {
                    mode,
                    content: std::fs::read(&path).unwrap(),
                }
            } else {
                Want::Fifo
            };
            out.insert(name, want);
        }
    }
    out
}

/// The tree as [`Want`]s (hard links read through to their content).
fn got(tree: &FileTree) -> BTreeMap<String, Want> {
    let mut out = BTreeMap::new();
    for node in tree.iter() {
        if node.path == "/" {
            continue;
        }
        let want = match &node.kind {
            NodeKind::File | NodeKind::Hardlink { .. } => Want::File {
                mode: node.mode,
                content: tree.read(&node.path).unwrap().to_vec(),
            },
            NodeKind::Dir => Want::Dir { mode: node.mode },
            NodeKind::Symlink { target } => Want::Symlink {
                target: target.clone(),
            },
            NodeKind::Fifo => Want::Fifo,
            NodeKind::CharDevice { major, minor } => Want::Char {
                major: *major,
                minor: *minor,
            },
            NodeKind::BlockDevice { major, minor } => Want::Block {
                major: *major,
                minor: *minor,
            },
            NodeKind::Socket => panic!("no sockets in the fixtures"),
        };
        out.insert(node.path.clone(), want);
    }
    out
}

fn assert_same(label: &str, got: &BTreeMap<String, Want>, want: &BTreeMap<String, Want>) {
    let short = |w: &Want| match w {
        Want::File { mode, content } => format!("file {mode:o} {} bytes", content.len()),
        other => format!("{other:?}"),
    };
    let mut problems = Vec::new();
    for (path, w) in want {
        match got.get(path) {
            None => problems.push(format!("missing {path}")),
            Some(g) if g != w => {
                problems.push(format!("{path}: got {}, want {}", short(g), short(w)))
            }
            Some(_) => {}
        }
    }
    for path in got.keys().filter(|p| !want.contains_key(*p)) {
        problems.push(format!("extra {path}"));
    }
    assert!(problems.is_empty(), "{label}:\n  {}", problems.join("\n  "));
}

/// The single layer of `format`, asserting it is where it should be and undamaged.
fn only_layer<'a>(unpacked: &'a Unpacked, format: &str) -> &'a Layer {
    let layers: Vec<&Layer> = unpacked
        .layers()
        .into_iter()
        .map(|(_, l)| l)
        .filter(|l| l.format == format)
        .collect();
    assert_eq!(layers.len(), 1, "{}", unpacked.listing());
    let layer = layers[0];
    assert!(layer.errors.is_empty(), "{:?}", layer.errors);
    assert!(layer.truncations.is_empty(), "{:?}", layer.truncations);
    layer
}

struct Fixture {
    _dir: tempfile::TempDir,
    src: PathBuf,
    out: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    populate(&src);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    Fixture {
        src,
        out,
        _dir: dir,
    }
}

/// Unpacks `data`, an image `label` made, and checks that it is one `format` layer over all of
/// it, big-endian when `big`, holding `want`.
fn unpack_whole(
    format: &str,
    label: &str,
    data: &[u8],
    big: bool,
    want: &BTreeMap<String, Want>,
) -> Unpacked {
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("img", data.to_vec());
    let layer = only_layer(&unpacked, format);
    assert_eq!(
        (layer.offset, layer.size),
        (0, data.len() as u64),
        "{label}"
    );
    let endian = if big { "big-endian" } else { "little-endian" };
    assert_eq!(layer.variant.as_deref(), Some(endian), "{label}");
    assert_same(label, &got(layer.tree.as_ref().unwrap()), want);
    unpacked
}

#[test]
fn mkfs_jffs2_images_in_every_variant_unpack_to_their_source() {
    let Some(mkfs) = tool("mkfs.jffs2") else {
        return;
    };
    let fx = fixture();
    let devtable = fx.out.join("devices");
    std::fs::write(
        &devtable,
        // mkfs.jffs2 writes the old 16-bit device encoding only (the 32-bit one is covered
        // by the in-Rust fixtures).
        "/dev/console c 600 0 0 5 1 - - -\n/dev/mtdblock0 b 640 0 6 31 0 - - -\n",
    )
    .unwrap();
    let mut want = expected(&fx.src);
    want.insert("/dev/console".into(), Want::Char { major: 5, minor: 1 });
    want.insert(
        "/dev/mtdblock0".into(),
        Want::Block {
            major: 31,
            minor: 0,
        },
    );
    let variants: &[&[&str]] = &[
        &["-l"],
        &["-b"],
        &["-l", "-n"],
        &["-b", "-n", "-e", "128KiB"],
        &["-l", "-X", "lzo"],
        &["-b", "-X", "lzo", "-n"],
        &["-l", "-x", "zlib", "-x", "lzo"],
        &["-b", "-x", "zlib", "-x", "lzo"],
        &["-l", "-m", "none"],
        &["-l", "-m", "size", "-X", "lzo"],
        &["-l", "-p", "-e", "8KiB"],
        &["-b", "-p", "-n"],
        &["-l", "-s", "16KiB", "-e", "128KiB"],
        &["-b", "--with-xattr"],
    ];
    for (i, args) in variants.iter().enumerate() {
        let image = fx.out.join(format!("{i}.jffs2"));
        run(Command::new(&mkfs)
            .args(*args)
            .arg("-D")
            .arg(&devtable)
            .arg("-r")
            .arg(&fx.src)
            .arg("-o")
            .arg(&image));
        let data = std::fs::read(&image).unwrap();
        let label = format!("mkfs.jffs2 {}", args.join(" "));
        let unpacked = unpack_whole("jffs2", &label, &data, args.contains(&"-b"), &want);
        let tree = only_layer(&unpacked, "jffs2").tree.as_ref().unwrap();
        // Owners and times come through too.
        let node = tree.get("/dev/mtdblock0").unwrap();
        assert_eq!((node.uid, node.gid), (0, 6), "{label}");
        let meta = std::fs::metadata(fx.src.join("etc/passwd")).unwrap();
        assert_eq!(
            tree.get("/etc/passwd").unwrap().mtime,
            meta.mtime(),
            "{label}"
        );

        // At an odd offset inside other data, with data after it.
        let embedded = [
            testkit::noise(1001, 1),
            data.clone(),
            testkit::noise(3000, 2),
        ]
        .concat();
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("img", embedded);
        let layer = only_layer(&unpacked, "jffs2");
        assert_eq!(layer.offset, 1001, "{label}");
        assert!(
            layer.size >= data.len() as u64 - 65536 && layer.size <= data.len() as u64,
            "{label}: {}",
            layer.size
        );
        assert_same(&label, &got(layer.tree.as_ref().unwrap()), &want);
    }

    // Erase block summaries (sumtool, from mtd-utils too), in both byte orders.
    let Some(sumtool) = tool("sumtool") else {
        return;
    };
    for endian in ["-l", "-b"] {
        let plain = fx.out.join(format!("plain{endian}.jffs2"));
        let summed = fx.out.join(format!("summed{endian}.jffs2"));
        run(Command::new(&mkfs)
            .args([endian, "-p", "-e", "16KiB", "-D"])
            .arg(&devtable)
            .arg("-r")
            .arg(&fx.src)
            .arg("-o")
            .arg(&plain));
        run(Command::new(&sumtool)
            .args([endian, "-p", "-n", "-e", "16KiB", "-i"])
            .arg(&plain)
            .arg("-o")
            .arg(&summed));
        let data = std::fs::read(&summed).unwrap();
        let summary_type: &[u8] = if endian == "-l" {
            &[0x85, 0x19, 0x06, 0x20]
        } else {
            &[0x19, 0x85, 0x20, 0x06]
        };
        assert!(
            data.windows(4).any(|w| w == summary_type),
            "no summary node"
        );
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("img", data.clone());
        let layer = only_layer(&unpacked, "jffs2");
        assert_eq!((layer.offset, layer.size), (0, data.len() as u64));
        assert_same("sumtool", &got(layer.tree.as_ref().unwrap()), &want);
    }
}

/// Forty files, a few MiB in all, made into an image of `format` by `make(source, image)`:
/// the image unpacks to its source within a time bound.
fn a_few_mib_unpack_quickly(format: &str, make: impl FnOnce(&Path, &Path)) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for i in 0..40 {
        let path = src.join(format!("d{}/f{i}", i % 7));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let data = if i % 2 == 0 {
            testkit::noise(60_000, i)
        } else {
            format!("line {i}\n").repeat(20_000).into_bytes()
        };
        std::fs::write(path, data).unwrap();
    }
    let image = dir.path().join(format!("big.{format}"));
    make(&src, &image);
    let data = std::fs::read(&image).unwrap();
    assert!(data.len() > 1 << 20);
    let start = Instant::now();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("img", data);
    let elapsed = start.elapsed();
    let layer = only_layer(&unpacked, format);
    assert_same("big", &got(layer.tree.as_ref().unwrap()), &expected(&src));
    eprintln!("{format}: 40 files unpacked in {elapsed:?}");
    assert!(elapsed.as_secs() < 20, "{elapsed:?}");
}

#[test]
fn a_few_mib_of_jffs2_unpack_quickly() {
    let Some(mkfs) = tool("mkfs.jffs2") else {
        return;
    };
    a_few_mib_unpack_quickly("jffs2", |src, image| {
        run(Command::new(mkfs)
            .args(["-l", "-r"])
            .arg(src)
            .arg("-o")
            .arg(image));
    });
}

/// Device nodes in the source tree when this process may create them (root), else none.
fn add_devices(root: &Path, want: &mut BTreeMap<String, Want>) {
    let dev = root.join("dev");
    let made = Command::new("mknod")
        .arg(dev.join("console"))
        .args(["c", "5", "1"])
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("mknod")
            .arg(dev.join("mtdblock0"))
            .args(["b", "31", "0"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !made {
        eprintln!(
            "NOTICE: cannot create device nodes here; cramfs devices not covered by the tool test"
        );
        let _ = std::fs::remove_file(dev.join("console"));
        return;
    }
    for name in ["console", "mtdblock0"] {
        std::fs::set_permissions(dev.join(name), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    want.insert("/dev/console".into(), Want::Char { major: 5, minor: 1 });
    want.insert(
        "/dev/mtdblock0".into(),
        Want::Block {
            major: 31,
            minor: 0,
        },
    );
}

#[test]
fn mkfs_cramfs_images_in_every_variant_unpack_to_their_source() {
    let Some(mkfs) = tool("mkfs.cramfs") else {
        return;
    };
    let fx = fixture();
    let mut want = expected(&fx.src);
    add_devices(&fx.src, &mut want);
    let variants: &[&[&str]] = &[
        &[],
        &["-N", "big"],
        &["-N", "little", "-z"],
        &["-N", "big", "-z"],
        &["-p"],
        &["-N", "big", "-p"],
        &["-b", "8192"],
        &["-N", "big", "-b", "16384", "-z"],
        &["-b", "65536"],
        &["-e", "7", "-n", "volume-name"],
    ];
    for (i, args) in variants.iter().enumerate() {
        let image = fx.out.join(format!("{i}.cramfs"));
        run(Command::new(&mkfs).args(*args).arg(&fx.src).arg(&image));
        let data = std::fs::read(&image).unwrap();
        let label = format!("mkfs.cramfs {}", args.join(" "));
        unpack_whole("cramfs", &label, &data, args.contains(&"big"), &want);

        let embedded = [
            testkit::noise(1001, 1),
            data.clone(),
            testkit::noise(3000, 2),
        ]
        .concat();
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("img", embedded);
        let layer = only_layer(&unpacked, "cramfs");
        assert_eq!(
            (layer.offset, layer.size),
            (1001, data.len() as u64),
            "{label}"
        );
        assert_same(&label, &got(layer.tree.as_ref().unwrap()), &want);
    }
}

#[test]
fn a_few_mib_of_cramfs_unpack_quickly() {
    let Some(mkfs) = tool("mkfs.cramfs") else {
        return;
    };
    a_few_mib_unpack_quickly("cramfs", |src, image| {
        run(Command::new(mkfs).arg(src).arg(image));
    });
}
