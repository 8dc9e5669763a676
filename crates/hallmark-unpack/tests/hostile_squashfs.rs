//! squashfs: images made by `mksquashfs` for every compressor read back exactly, and hostile
//! images (directory loops, shared subtrees, tables out of range, huge sizes, escaping names,
//! truncation, bit flips) are survived with the damage recorded and the limits kept.
//!
//! The `mksquashfs` tests need the `squashfs-tools` package; without it they print a notice
//! and pass, except under `CI=true`, where they fail.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

#[path = "../src/testkit_squashfs.rs"]
mod testkit_squashfs;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use common::materialize_sandboxed;
use common::testkit;
use hallmark_unpack::{AnomalyKind, FileTree, LimitKind, Limits, NodeKind, Unpacked, Unpacker};
use testkit_squashfs::{SqCompression, SqVersion, SquashfsBuilder};

/// The squashfs layer's tree.
fn squashfs_tree(unpacked: &Unpacked) -> &FileTree {
    let trees: Vec<&FileTree> = unpacked
        .trees()
        .into_iter()
        .filter(|(path, _)| path.chain.last().is_some_and(|l| l.format == "squashfs"))
        .map(|(_, tree)| tree)
        .collect();
    assert_eq!(trees.len(), 1, "{}", unpacked.listing());
    trees[0]
}

fn squashfs_errors(unpacked: &Unpacked) -> Vec<String> {
    unpacked
        .errors()
        .into_iter()
        .filter(|(path, _)| path.chain.last().is_some_and(|l| l.format == "squashfs"))
        .map(|(_, e)| e.message.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Images made by mksquashfs.

/// Whether `mksquashfs` can run here; outside CI a missing tool skips with a notice.
fn have_mksquashfs() -> bool {
    if Command::new("mksquashfs").arg("-version").output().is_ok() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI needs mksquashfs (apt package squashfs-tools; see .ci/install-deps.sh)");
    }
    eprintln!("NOTICE: skipping mksquashfs fixtures: mksquashfs not installed (squashfs-tools)");
    false
}

/// One node as the test describes it: kind, mode, owner, mtime, and content or target.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Described {
    what: String,
    mode: u32,
    owner: (u32, u32),
    mtime: i64,
}

fn describe_tree(tree: &FileTree) -> BTreeMap<String, Described> {
    tree.iter()
        .map(|node| {
            let what = match &node.kind {
                NodeKind::File | NodeKind::Hardlink { .. } => {
                    let content = node.content().map(|c| c.to_vec()).unwrap_or_default();
                    format!("file {} {:x}", content.len(), fnv(&content))
                }
                NodeKind::Dir => "dir".into(),
                NodeKind::Symlink { target } => format!("link {target}"),
                NodeKind::CharDevice { major, minor } => format!("char {major}:{minor}"),
                NodeKind::BlockDevice { major, minor } => format!("block {major}:{minor}"),
                NodeKind::Fifo => "fifo".into(),
                NodeKind::Socket => "socket".into(),
            };
            (
                node.path.clone(),
                Described {
                    what,
                    mode: node.mode,
                    owner: (node.uid, node.gid),
                    mtime: node.mtime,
                },
            )
        })
        .collect()
}

/// FNV-1a, enough to compare contents in messages.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// Describes the source directory as `mksquashfs` will store it.
fn describe_source(root: &Path) -> BTreeMap<String, Described> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let tree_path = format!("/{rel}");
        let what = if meta.is_dir() {
            for entry in fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            "dir".to_string()
        } else if meta.file_type().is_symlink() {
            format!("link {}", fs::read_link(&path).unwrap().to_string_lossy())
        } else {
            let content = fs::read(&path).unwrap();
            format!("file {} {:x}", content.len(), fnv(&content))
        };
        out.insert(
            if rel.is_empty() {
                "/".to_string()
            } else {
                tree_path
            },
            Described {
                what,
                mode: meta.mode() & 0o7777,
                owner: (meta.uid(), meta.gid()),
                mtime: meta.mtime(),
            },
        );
    }
    out
}

fn set_mtime(path: &Path, secs: u64) {
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// A source tree exercising every kind of data layout mksquashfs writes.
fn source_tree(root: &Path) {
    let w = |p: &str, data: &[u8]| {
        let path = root.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, data).unwrap();
    };
    w("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n");
    let mut busybox = b"busybox applet table; ".repeat(9000);
    busybox.extend(testkit::noise(70_000, 5));
    w("bin/busybox", &busybox);
    w("empty", b"");
    w("exact", &b"0123456789abcdef".repeat(256)); // exactly one 4 KiB block
    w("noise", &testkit::noise(3 * 4096 + 77, 9)); // incompressible: stored blocks
    let mut sparse = vec![0u8; 5 * 4096];
    sparse.extend_from_slice(b"after the hole");
    w("var/sparse", &sparse);
    w("dup/one", &b"duplicate content ".repeat(500));
    w("dup/two", &b"duplicate content ".repeat(500));
    w("hard/first", &b"hard linked ".repeat(1000));
    fs::hard_link(root.join("hard/first"), root.join("hard/second")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("abs-link")).unwrap();
    fs::create_dir_all(root.join("a/b/c/d")).unwrap();
    w("a/b/c/d/deep", b"deep file");
    fs::create_dir_all(root.join("emptydir")).unwrap();
    fs::create_dir_all(root.join("dev")).unwrap();
    fs::create_dir_all(root.join("run")).unwrap();
    for (i, name) in ["etc/passwd", "bin/busybox", "noise", "var/sparse"]
        .into_iter()
        .enumerate()
    {
        set_mtime(&root.join(name), 1_600_000_000 + i as u64);
    }
    fs::set_permissions(root.join("bin/busybox"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::set_permissions(root.join("noise"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(root.join("emptydir"), fs::Permissions::from_mode(0o750)).unwrap();
}

/// Pseudo definitions for what a plain directory cannot hold, with what they describe.
fn pseudo() -> Vec<(&'static str, &'static str, Described)> {
    let node = |what: &str, mode, owner, mtime| Described {
        what: what.into(),
        mode,
        owner,
        mtime,
    };
    vec![
        (
            "dev/console C 1700000001 600 0 5 5 1",
            "/dev/console",
            node("char 5:1", 0o600, (0, 5), 1_700_000_001),
        ),
        (
            "dev/mtdblock0 B 1700000002 640 0 6 31 300",
            "/dev/mtdblock0",
            node("block 31:300", 0o640, (0, 6), 1_700_000_002),
        ),
        (
            "run/fifo I 1700000003 644 0 0 f",
            "/run/fifo",
            node("fifo", 0o644, (0, 0), 1_700_000_003),
        ),
        (
            "run/sock I 1700000004 755 33 33 s",
            "/run/sock",
            node("socket", 0o755, (33, 33), 1_700_000_004),
        ),
    ]
}

fn bytes_used(image: &[u8]) -> u64 {
    u64::from_le_bytes(image[40..48].try_into().unwrap())
}

#[test]
fn mksquashfs_images_read_back_exactly_for_every_compressor_and_layout() {
    if !have_mksquashfs() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    source_tree(&src);
    let mut expected = describe_source(&src);
    // mksquashfs gives the passwd file to uid 1000 / gid 100 through a pseudo "modify".
    let mut pseudo_args = vec!["etc/passwd M 1600000000 644 1000 100".to_string()];
    if let Some(passwd) = expected.get_mut("/etc/passwd") {
        passwd.mode = 0o644;
        passwd.owner = (1000, 100);
    }
    for (definition, path, node) in pseudo() {
        pseudo_args.push(definition.to_string());
        expected.insert(path.to_string(), node);
    }

    let variants: Vec<Vec<&str>> = vec![
        vec!["-comp", "gzip"],
        vec!["-comp", "lzo"],
        vec!["-comp", "lz4"],
        vec!["-comp", "xz"],
        vec!["-comp", "xz", "-Xbcj", "x86"],
        vec!["-comp", "zstd"],
        vec!["-comp", "lzma"],
        vec!["-comp", "gzip", "-noI", "-noD", "-noF", "-noX"],
        vec!["-comp", "xz", "-no-fragments"],
        vec!["-comp", "zstd", "-always-use-fragments"],
        vec!["-comp", "gzip", "-no-sparse"],
    ];
    for variant in variants {
        let label = variant.join(" ");
        let image_path = dir.path().join("image.sqfs");
        let _ = fs::remove_file(&image_path);
        let mut cmd = Command::new("mksquashfs");
        cmd.arg(&src)
            .arg(&image_path)
            .args([
                "-noappend",
                "-no-progress",
                "-quiet",
                "-no-xattrs",
                "-b",
                "4096",
            ])
            .args(&variant);
        for definition in &pseudo_args {
            cmd.arg("-p").arg(definition);
        }
        let status = cmd.output().unwrap();
        assert!(
            status.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let image = fs::read(&image_path).unwrap();
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("image.sqfs", image.clone());
        let layer = &unpacked.root.children[0];
        assert_eq!(layer.format, "squashfs", "{label}: {}", unpacked.listing());
        assert_eq!(layer.size, bytes_used(&image), "{label}");
        // mksquashfs pads to 4 KiB: the padding stays a raw layer.
        if (image.len() as u64) > bytes_used(&image) {
            assert_eq!(unpacked.root.children[1].format, "raw", "{label}");
        }
        assert!(
            squashfs_errors(&unpacked).is_empty(),
            "{label}: {:?}",
            squashfs_errors(&unpacked)
        );
        let tree = squashfs_tree(&unpacked);
        let got = describe_tree(tree);
        let mut problems = Vec::new();
        for (path, want) in &expected {
            match got.get(path) {
                None => problems.push(format!("missing {path}")),
                Some(node) if node != want => {
                    problems.push(format!("{path}: got {node:?}, want {want:?}"));
                }
                Some(_) => {}
            }
        }
        for path in got.keys().filter(|p| !expected.contains_key(*p)) {
            problems.push(format!("extra {path}"));
        }
        assert!(problems.is_empty(), "{label}:\n  {}", problems.join("\n  "));
        // Hard links share their content.
        let first = tree.get("/hard/first").unwrap().content().unwrap();
        let second = tree.get("/hard/second").unwrap().content().unwrap();
        assert_eq!(first.as_ptr(), second.as_ptr(), "{label}");
        assert!(unpacked.is_complete(), "{label}");
    }
}

#[test]
fn mksquashfs_images_are_found_inside_a_larger_image() {
    if !have_mksquashfs() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("hello"), b"hello from a carved squashfs").unwrap();
    let image_path = dir.path().join("image.sqfs");
    let out = Command::new("mksquashfs")
        .arg(&src)
        .arg(&image_path)
        .args(["-noappend", "-no-progress", "-quiet", "-comp", "xz"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let sqfs = fs::read(&image_path).unwrap();
    // A flash layout: a header, 0xFF padding to 128 KiB, the filesystem, more padding.
    let mut flash = b"HDR0 some bootloader header".to_vec();
    flash.resize(0x20000, 0xff);
    flash.extend_from_slice(&sqfs);
    flash.resize(flash.len() + 5000, 0xff);
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("flash.bin", flash);
    let layer = unpacked
        .root
        .children
        .iter()
        .find(|l| l.format == "squashfs")
        .unwrap_or_else(|| panic!("{}", unpacked.listing()));
    assert_eq!(layer.offset, 0x20000);
    assert_eq!(layer.size, bytes_used(&sqfs));
    assert_eq!(
        squashfs_tree(&unpacked).read("/hello").map(|b| b.to_vec()),
        Some(b"hello from a carved squashfs".to_vec())
    );
}

// ---------------------------------------------------------------------------------------
// Hostile images, built and patched byte by byte.

/// Patches the directory entry for `path` (v4, little-endian, uncompressed metadata) so it
/// names the inode `target` references. The inode block is in the entry's run header, which
/// is rewritten only when `first_of_run` (otherwise the target must share the run's block).
fn redirect_entry(
    built: &testkit_squashfs::BuiltSquashfs,
    path: &[u8],
    target: u64,
    first_of_run: bool,
) -> Vec<u8> {
    let mut image = built.image.clone();
    let pos = built.entries[path];
    let entry = built.meta_offset(built.dir_table, pos);
    if first_of_run {
        let header = built.meta_offset(built.dir_table, pos - 12);
        image[header + 4..header + 8].copy_from_slice(&((target >> 16) as u32).to_le_bytes());
    }
    image[entry..entry + 2].copy_from_slice(&((target & 0xffff) as u16).to_le_bytes());
    image
}

fn quick(limits: Limits, name: &str, image: Vec<u8>) -> (Unpacked, Duration) {
    let started = Instant::now();
    let unpacked = Unpacker::new(limits).unpack_bytes(name, image);
    (unpacked, started.elapsed())
}

#[test]
fn directory_loops_are_cut_and_recorded() {
    let built = SquashfsBuilder::new()
        .compression(SqCompression::None)
        .file(b"a/file", b"in a")
        .dir(b"a/b")
        .file(b"top", b"top file")
        .build();
    // a/b names the root: a/b/a/b/... forever, unless the reader notices.
    let image = redirect_entry(&built, b"a/b", built.inodes[&b""[..]], true);
    let (unpacked, took) = quick(Limits::default(), "loop.sqfs", image);
    assert!(took < Duration::from_secs(5));
    let errors = squashfs_errors(&unpacked);
    assert!(errors.iter().any(|e| e.contains("loop")), "{errors:?}");
    let tree = squashfs_tree(&unpacked);
    assert!(tree.get("/a/b").is_some_and(|n| n.is_dir()));
    assert!(tree.get("/a/b/top").is_none());
    assert_eq!(
        tree.read("/top").map(|b| b.to_vec()),
        Some(b"top file".to_vec())
    );
}

#[test]
fn shared_subtrees_are_read_once_not_multiplied() {
    // 24 levels, each with two names for the next level: 2^24 paths if followed naively.
    let mut builder = SquashfsBuilder::new();
    builder.compression(SqCompression::None);
    let mut path = Vec::new();
    for level in 0..24 {
        let mut x = path.clone();
        x.extend_from_slice(format!("x{level}").as_bytes());
        let mut y = path.clone();
        y.extend_from_slice(format!("y{level}").as_bytes());
        builder.dir(&y);
        path = x;
        path.push(b'/');
    }
    path.extend_from_slice(b"leaf");
    builder.file(&path, b"leaf data");
    let built = builder.build();
    let mut image = built.image.clone();
    let mut prefix = Vec::new();
    for level in 0..24 {
        let mut x = prefix.clone();
        x.extend_from_slice(format!("x{level}").as_bytes());
        let mut y = prefix.clone();
        y.extend_from_slice(format!("y{level}").as_bytes());
        // y<n> becomes another name of x<n>.
        let patched = testkit_squashfs::BuiltSquashfs {
            image: image.clone(),
            ..built.clone()
        };
        image = redirect_entry(&patched, &y, built.inodes[&x], false);
        prefix = x;
        prefix.push(b'/');
    }
    let (unpacked, took) = quick(Limits::default(), "dag.sqfs", image);
    assert!(took < Duration::from_secs(5), "{took:?}");
    let tree = squashfs_tree(&unpacked);
    assert!(tree.len() < 200, "{} nodes", tree.len());
    assert!(
        squashfs_errors(&unpacked)
            .iter()
            .any(|e| e.contains("already read"))
    );
}

fn sample_image(compression: SqCompression) -> testkit_squashfs::BuiltSquashfs {
    SquashfsBuilder::new()
        .compression(compression)
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .file(b"bin/busybox", &testkit::noise(20_000, 3))
        .file(b"bin/small", b"a small file in a fragment")
        .symlink(b"bin/sh", b"busybox")
        .char_device(b"dev/null", 1, 3)
        .build()
}

#[test]
fn tables_out_of_range_are_refused_or_recorded() {
    let built = sample_image(SqCompression::Zlib);
    // Superblock table pointers past the image: not squashfs.
    for field in [48usize, 64, 72, 80] {
        let mut image = built.image.clone();
        image[field..field + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("bad.sqfs", image);
        assert!(
            !unpacked
                .layers()
                .iter()
                .any(|(_, l)| l.format == "squashfs")
                || field == 80,
            "field {field}: {}",
            unpacked.listing()
        );
    }
    // The fragment index pointing nowhere: files with tails are damaged, the rest is read.
    let plain = SquashfsBuilder::new()
        .compression(SqCompression::None)
        .file(b"whole", &b"x".repeat(8192))
        .file(b"tail", b"in a fragment")
        .build();
    let mut image = plain.image.clone();
    let index_at = u64::from_le_bytes(image[80..88].try_into().unwrap()) as usize;
    image[index_at..index_at + 8].copy_from_slice(&0x7fff_ffffu64.to_le_bytes());
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("frag.sqfs", image);
    let tree = squashfs_tree(&unpacked);
    assert_eq!(tree.read("/whole").map(|b| b.len()), Some(8192));
    assert_eq!(tree.read("/tail").map(|b| b.len()), Some(0));
    assert!(!squashfs_errors(&unpacked).is_empty());
    // A run of entries naming inodes past the inode table (both root entries share it).
    let image = redirect_entry(&plain, b"tail", 0x7fff_0000, true);
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("inode.sqfs", image);
    let tree = squashfs_tree(&unpacked);
    assert!(tree.get("/tail").is_none());
    assert!(tree.get("/whole").is_none());
    assert!(
        squashfs_errors(&unpacked)
            .iter()
            .any(|e| e.contains("outside the inode table")),
        "{:?}",
        squashfs_errors(&unpacked)
    );
}

#[test]
fn huge_declared_sizes_are_cut_at_the_limits() {
    let built = SquashfsBuilder::new()
        .compression(SqCompression::None)
        .file(b"small", b"0123456789")
        .file(b"sparse", &vec![0u8; 3 * 4096])
        .build();
    // Basic file inodes: type, mode, uid, gid, mtime, number, then start, fragment, offset,
    // size. Claim 4 GiB - 1 for both files.
    let mut image = built.image.clone();
    for name in [&b"small"[..], b"sparse"] {
        let reference = built.inodes[name];
        let inode = built.meta_offset(built.inode_table, reference as usize & 0xffff);
        image[inode + 28..inode + 32].copy_from_slice(&u32::MAX.to_le_bytes());
    }
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_total_bytes: 3 << 20,
        ..Limits::default()
    };
    let (unpacked, took) = quick(limits.clone(), "huge.sqfs", image);
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(unpacked.stats.bytes_produced <= limits.max_total_bytes);
    let tree = squashfs_tree(&unpacked);
    for node in tree.files() {
        assert!(node.size <= limits.max_file_bytes, "{}", node.path);
    }
    assert!(
        unpacked
            .truncations()
            .iter()
            .any(|t| t.limit == LimitKind::FileBytes)
    );
}

#[test]
fn escaping_names_stay_inside_the_tree_and_the_output() {
    let image = SquashfsBuilder::new()
        .compression(SqCompression::Zlib)
        .raw_file(b"", b"../../tmp/hallmark-pwned", b"climbing name")
        .raw_file(b"", b"/abs-escape", b"absolute name")
        .raw_dir(b"", b"..")
        .raw_file(b"..", b"passwd", b"under a dotdot directory")
        .symlink(b"link", b"/")
        .raw_file(b"", b"link/pwned", b"through a symlink")
        .raw_file(b"", b"evil\x1b[31m\x00name", b"control characters")
        .char_device(b"dev/mem", 1, 1)
        .fifo(b"dev/fifo")
        .file(b"good/ok", b"fine")
        .finish();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("names.sqfs", image);
    let tree = squashfs_tree(&unpacked);
    let kinds: Vec<AnomalyKind> = tree.anomalies().iter().map(|a| a.kind).collect();
    for expected in [
        AnomalyKind::ParentTraversal,
        AnomalyKind::ParentNotDirectory,
        AnomalyKind::EscapedName,
    ] {
        assert!(kinds.contains(&expected), "{expected:?} missing: {kinds:?}");
    }
    for node in tree.iter() {
        assert!(!node.path.split('/').any(|c| c == ".."), "{}", node.path);
        assert!(!node.path.chars().any(char::is_control), "{}", node.path);
    }
    assert!(tree.get("/link/pwned").is_none());
    assert_eq!(
        tree.read("/tmp/hallmark-pwned").map(|b| b.to_vec()),
        Some(b"climbing name".to_vec())
    );
    assert_eq!(
        tree.read("/good/ok").map(|b| b.to_vec()),
        Some(b"fine".to_vec())
    );
    materialize_sandboxed(&unpacked);
}

#[test]
fn truncation_and_bit_flips_never_panic_or_hang() {
    let images = [
        sample_image(SqCompression::Zlib).image,
        sample_image(SqCompression::None).image,
        SquashfsBuilder::new()
            .version(SqVersion::V3)
            .big_endian(true)
            .compression(SqCompression::LzmaAlone)
            .file(b"a/b", &testkit::noise(9000, 1))
            .file(b"c", b"tail")
            .finish(),
        SquashfsBuilder::new()
            .version(SqVersion::V2)
            .compression(SqCompression::LzmaShort { marker: false })
            .file(b"a/b", &b"compressible ".repeat(900))
            .symlink(b"l", b"a/b")
            .finish(),
        SquashfsBuilder::new()
            .big_endian(true)
            .avm(true)
            .file(b"x", &b"avm ".repeat(3000))
            .finish(),
    ];
    let limits = Limits {
        max_time: Duration::from_secs(20),
        max_total_bytes: 64 << 20,
        ..Limits::default()
    };
    let started = Instant::now();
    for image in &images {
        let step = (image.len() / 300).max(1);
        for cut in (0..image.len()).step_by(step) {
            let _ = Unpacker::new(limits.clone()).unpack_bytes("cut.sqfs", image[..cut].to_vec());
        }
        for i in (0..image.len()).step_by(step) {
            for bit in [0x01u8, 0x80] {
                let mut bad = image.clone();
                bad[i] ^= bit;
                let unpacked = Unpacker::new(limits.clone()).unpack_bytes("flip.sqfs", bad.clone());
                assert!(unpacked.stats.bytes_produced <= limits.max_total_bytes);
                // Content on demand records the same damage and reads the same bytes.
                let on_demand = Unpacker::new(limits.clone())
                    .content_on_demand(true)
                    .unpack_bytes("flip.sqfs", bad);
                assert_same_unpack(&unpacked, &on_demand);
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(120));
}

/// `kept` and `on_demand` (the same image unpacked without and with content on demand) have
/// the same layers, damage, truncations, budget use and file contents; the on-demand one
/// kept no squashfs file in memory.
fn assert_same_unpack(kept: &Unpacked, on_demand: &Unpacked) {
    assert_eq!(kept.listing(), on_demand.listing());
    assert_eq!(kept.stats.bytes_produced, on_demand.stats.bytes_produced);
    assert_eq!(kept.stats.entries, on_demand.stats.entries);
    let trees = kept.trees().into_iter().zip(on_demand.trees());
    for ((layer, kept_tree), (_, demand_tree)) in trees {
        let squashfs = layer.chain.last().is_some_and(|l| l.format == "squashfs");
        for (a, b) in kept_tree.iter().zip(demand_tree.iter()) {
            assert_eq!((&a.path, &a.kind, a.size), (&b.path, &b.kind, b.size));
            assert!(a.is_loaded(), "{}", a.path);
            if squashfs && b.is_file() {
                assert!(!b.is_loaded(), "{} kept in memory", b.path);
            }
            assert_eq!(a.load(), b.load(), "{}", a.path);
            assert_eq!(
                a.content().map(|c| c.len() as u64),
                b.load().map(|c| c.len() as u64)
            );
        }
    }
}

#[test]
fn content_on_demand_reads_and_records_the_same_as_kept_content() {
    let nested = testkit::gzip(&b"nested payload ".repeat(500));
    let mut builder = SquashfsBuilder::new();
    builder
        .compression(SqCompression::Zlib)
        .block_size(4096)
        .file(b"bin/busybox", &b"busybox binary ".repeat(4000))
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .file(b"etc/copy", b"root:x:0:0::/root:/bin/sh\n")
        .file(b"lib/modules.gz", &nested)
        .file(b"lib/text", &b"compressible text ".repeat(2000))
        .hardlink(b"bin/ls", b"bin/busybox")
        .symlink(b"bin/sh", b"busybox");
    for i in 0..40 {
        builder.file(
            format!("share/f{i}").as_bytes(),
            format!("small {i}").as_bytes(),
        );
    }
    let built = builder.build();
    // Intact; with the fragment table pointing nowhere (every tail damaged); with the
    // compressed blocks at the start of the data garbled (found damaged while decoding).
    let mut no_fragments = built.image.clone();
    let index_at = u64::from_le_bytes(no_fragments[80..88].try_into().unwrap()) as usize;
    no_fragments[index_at..index_at + 8].copy_from_slice(&0x7fff_ffffu64.to_le_bytes());
    let mut garbled = built.image.clone();
    for byte in &mut garbled[100..160] {
        *byte ^= 0x5a;
    }
    let images = [
        ("fine.sqfs", built.image.clone()),
        ("frag.sqfs", no_fragments),
        ("garbled.sqfs", garbled),
    ];
    for (name, image) in images {
        let kept = Unpacker::default().unpack_bytes(name, image.clone());
        let on_demand = Unpacker::default()
            .content_on_demand(true)
            .unpack_bytes(name, image.clone());
        assert_same_unpack(&kept, &on_demand);
        assert_eq!(squashfs_errors(&on_demand).is_empty(), name == "fine.sqfs");
        // Reading through `content` keeps the bytes from then on; `load` never does.
        let tree = squashfs_tree(&on_demand);
        let passwd = tree.get("/etc/passwd").unwrap();
        assert!(!passwd.is_loaded());
        let loaded = passwd.load();
        assert!(!passwd.is_loaded());
        assert_eq!(passwd.content().cloned(), loaded);
        assert!(passwd.is_loaded());
        // What the budget was charged is what was produced: the files (names of one inode
        // share its content) and the nested gzip's output; damage refunds what it cut.
        let mut seen = std::collections::HashSet::new();
        let files: u64 = squashfs_tree(&on_demand)
            .files()
            .filter(|n| seen.insert(n.content().unwrap().as_ptr()))
            .map(|n| n.size)
            .sum();
        // (The gzip layer let go of its output once scanned, keeping its length.)
        let gzip: u64 = on_demand
            .layers()
            .iter()
            .filter(|(_, l)| l.format == "gzip")
            .map(|(_, l)| {
                assert!(l.content.is_none(), "{name}: gzip output kept");
                l.released.unwrap()
            })
            .sum();
        assert_eq!(on_demand.stats.bytes_produced, files + gzip, "{name}");
        // Written out in one pass, the same as from the kept content.
        common::unpack_and_materialize(name, image, Limits::default());
    }
    // The nested gzip was found inside a file whose content was then dropped.
    let on_demand = Unpacker::default()
        .content_on_demand(true)
        .unpack_bytes("fine.sqfs", built.image);
    assert!(
        on_demand.layers().iter().any(|(path, l)| l.format == "gzip"
            && path.chain.last().and_then(|c| c.name.as_deref()) == Some("/lib/modules.gz")),
        "{}",
        on_demand.listing()
    );
    assert_eq!(
        squashfs_tree(&on_demand).read("/bin/ls").map(|b| b.len()),
        Some(60_000)
    );
}

#[test]
fn entry_and_time_limits_hold() {
    let mut builder = SquashfsBuilder::new();
    for i in 0..300 {
        builder.file(format!("d{}/f{i}", i % 7).as_bytes(), b"x");
    }
    let image = builder.finish();
    let limits = Limits {
        max_entries: 50,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(limits).unpack_bytes("many.sqfs", image.clone());
    assert!(unpacked.stats.entries <= 50);
    assert!(
        unpacked
            .truncations()
            .iter()
            .any(|t| t.limit == LimitKind::Entries)
    );
    let limits = Limits {
        max_time: Duration::ZERO,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(limits).unpack_bytes("late.sqfs", image);
    assert!(
        unpacked
            .truncations()
            .iter()
            .any(|t| t.limit == LimitKind::Time)
    );
}
