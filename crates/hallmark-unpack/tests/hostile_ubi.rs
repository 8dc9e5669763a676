//! UBI and UBIFS: images made by the real tools (`mkfs.ubifs`, `ubinize` from mtd-utils) read
//! back exactly, and hostile images built node by node (escaping names, directory and index
//! loops, huge sizes, truncations, bit flips) unpack without panic, hang or escape, within the
//! limits.
//!
//! Outside CI, the tool-based tests skip with a notice when mtd-utils is missing; under
//! `CI=true` they fail instead.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

#[path = "../src/testkit_ubi.rs"]
mod testkit_ubi;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::testkit;
use common::{error_messages, limit_kinds, materialize_sandboxed, run, tool};
use hallmark_unpack::{FileTree, LimitKind, Limits, NodeKind, Unpacked, Unpacker};
use testkit_ubi::{
    At, IDX_NODE, INO_NODE, UbiBuilder, UbifsBuilder, UbifsImage, Vid, Volume, idx_body, ino_body,
    key,
};

// ---------------------------------------------------------------------------------------------
// Images from the real tools.

/// A source tree with every kind of file mkfs.ubifs stores without privileges.
fn source_tree(root: &Path) {
    let w = |p: &str, data: &[u8], mode: u32| {
        let path = root.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, data).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    };
    w("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644);
    w("etc/shadow", b"root:$1$abc$def:19000:0:99999:7:::\n", 0o600);
    w("bin/busybox", &testkit::noise(300_000, 7), 0o4755);
    fs::hard_link(root.join("bin/busybox"), root.join("bin/sh")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/ls")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("passwd-link")).unwrap();
    let text: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i} of some compressible text\n").into_bytes())
        .collect();
    w("usr/share/doc/text", &text, 0o644);
    w("empty", b"", 0o644);
    fs::create_dir_all(root.join("var/empty-dir")).unwrap();
    w("a/b/c/d/e/f/g/deep", b"deep", 0o640);
    w("names/with space and \u{fc}n\u{ef}code", b"unicode", 0o644);
    for i in 0..300 {
        w(
            &format!("many/file-{i:03}"),
            format!("{i}").as_bytes(),
            0o644,
        );
    }
    // Exactly one block, a block and a byte, and a file with a hole.
    w("blocks/one", &[7u8; 4096], 0o644);
    w("blocks/one-and-a-bit", &[8u8; 4097], 0o644);
    let sparse = root.join("blocks/sparse");
    let f = fs::File::create(&sparse).unwrap();
    f.set_len(1 << 20).unwrap();
    use std::os::unix::fs::FileExt;
    f.write_at(b"in the middle", 600_000).unwrap();
}

/// What a file looks like: kind, mode, owner, and content or target.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    kind: char,
    mode: u32,
    uid: u32,
    gid: u32,
    what: Vec<u8>,
}

fn walk_source(root: &Path) -> BTreeMap<String, Seen> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let rel = format!("/{}", path.strip_prefix(root).unwrap().to_str().unwrap());
            let (kind, what) = if meta.file_type().is_symlink() {
                ('l', fs::read_link(&path).unwrap().to_str().unwrap().into())
            } else if meta.is_dir() {
                stack.push(path.clone());
                ('d', Vec::new())
            } else {
                ('f', fs::read(&path).unwrap())
            };
            let mode = if kind == 'l' {
                0o777
            } else {
                meta.mode() & 0o7777
            };
            out.insert(
                rel,
                Seen {
                    kind,
                    mode,
                    uid: meta.uid(),
                    gid: meta.gid(),
                    what,
                },
            );
        }
    }
    out
}

fn walk_tree(tree: &FileTree) -> BTreeMap<String, Seen> {
    let mut out = BTreeMap::new();
    for node in tree.iter().filter(|n| n.path != "/") {
        let (kind, what) = match &node.kind {
            NodeKind::File | NodeKind::Hardlink { .. } => {
                ('f', node.content().map(|c| c.to_vec()).unwrap_or_default())
            }
            NodeKind::Dir => ('d', Vec::new()),
            NodeKind::Symlink { target } => ('l', target.as_bytes().to_vec()),
            other => panic!("unexpected {other:?}"),
        };
        out.insert(
            node.path.clone(),
            Seen {
                kind,
                mode: node.mode,
                uid: node.uid,
                gid: node.gid,
                what,
            },
        );
    }
    out
}

fn assert_same(want: &BTreeMap<String, Seen>, got: &BTreeMap<String, Seen>, what: &str) {
    let want_paths: Vec<&String> = want.keys().collect();
    let got_paths: Vec<&String> = got.keys().collect();
    assert_eq!(got_paths, want_paths, "{what}: paths differ");
    for (path, seen) in want {
        let g = &got[path];
        assert_eq!(
            (g.kind, g.mode, g.uid, g.gid),
            (seen.kind, seen.mode, seen.uid, seen.gid),
            "{what}: {path}"
        );
        assert!(g.what == seen.what, "{what}: {path}: content differs");
    }
}

fn ubifs_tree(unpacked: &Unpacked) -> &FileTree {
    let trees: Vec<_> = unpacked
        .layers()
        .into_iter()
        .filter(|(_, l)| l.format == "ubifs")
        .collect();
    assert_eq!(trees.len(), 1, "{}", unpacked.listing());
    trees[0].1.tree.as_ref().unwrap()
}

#[test]
fn mkfs_ubifs_and_ubinize_images_read_back_exactly() {
    let (Some(mkfs), Some(ubinize)) = (tool("mkfs.ubifs"), tool("ubinize")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    source_tree(&src);
    let want = walk_source(&src);
    let kernel = testkit::noise(70_000, 9);
    fs::write(dir.path().join("kernel.bin"), &kernel).unwrap();
    // (compressor, min I/O, PEB, sub-page)
    let geometries = [
        ("lzo", 2048, 131_072, 2048),
        ("zlib", 512, 16_384, 256),
        ("zstd", 2048, 131_072, 512),
        ("none", 512, 16_384, 512),
        ("favor_lzo", 2048, 131_072, 2048),
    ];
    for (compr, min_io, peb, subpage) in geometries {
        let what = format!("{compr} m={min_io} p={peb} s={subpage}");
        let vid_offset = usize::max(subpage, 64);
        let data_offset = (vid_offset + 64).next_multiple_of(min_io);
        let leb = peb - data_offset;
        let fs_image = dir.path().join(format!("{compr}.ubifs"));
        run(Command::new(&mkfs)
            .arg("-r")
            .arg(&src)
            .args(["-m", &min_io.to_string(), "-e", &leb.to_string()])
            .args(["-c", "400", "-x", compr, "-o"])
            .arg(&fs_image));
        let ini = dir.path().join(format!("{compr}.ini"));
        fs::write(
            &ini,
            format!(
                "[rootfs]\nmode=ubi\nimage={}\nvol_id=0\nvol_type=dynamic\nvol_name=rootfs\nvol_flags=autoresize\n\
                 [kernel]\nmode=ubi\nimage={}\nvol_id=1\nvol_type=static\nvol_name=kernel\n",
                fs_image.display(),
                dir.path().join("kernel.bin").display()
            ),
        )
        .unwrap();
        let ubi_image = dir.path().join(format!("{compr}.ubi"));
        run(Command::new(&ubinize)
            .arg("-o")
            .arg(&ubi_image)
            .args(["-m", &min_io.to_string(), "-p", &peb.to_string()])
            .args(["-s", &subpage.to_string()])
            .arg(&ini));

        // The bare UBIFS image.
        let start = Instant::now();
        let bare = Unpacker::default().unpack_file(&fs_image).unwrap();
        assert!(bare.errors().is_empty(), "{what}: {:?}", bare.errors());
        assert!(bare.is_complete(), "{what}");
        assert_same(&want, &walk_tree(ubifs_tree(&bare)), &what);
        assert_eq!(
            bare.root.children[0].size,
            fs::metadata(&fs_image).unwrap().len()
        );

        // The UBI image: volumes by name, UBIFS inside the dynamic one.
        let unpacked = Unpacker::default().unpack_file(&ubi_image).unwrap();
        assert!(
            unpacked.errors().is_empty(),
            "{what}: {:?}",
            unpacked.errors()
        );
        let ubi = &unpacked.root.children[0];
        assert_eq!(ubi.format, "ubi", "{what}");
        assert_eq!(ubi.size, fs::metadata(&ubi_image).unwrap().len(), "{what}");
        let volumes = ubi.tree.as_ref().unwrap();
        assert_eq!(
            volumes.read("/kernel").map(|b| b.to_vec()),
            Some(kernel.clone()),
            "{what}"
        );
        assert!(volumes.get("/rootfs").is_some());
        assert_same(&want, &walk_tree(ubifs_tree(&unpacked)), &what);
        eprintln!("{what}: both images in {:?}", start.elapsed());
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile images.

fn ubi_of(fs: Vec<u8>) -> Vec<u8> {
    UbiBuilder::image(
        16_384 + 512,
        &[Volume {
            id: 0,
            name: b"rootfs".to_vec(),
            is_static: false,
            content: fs,
        }],
    )
}

#[test]
fn escaping_names_are_refused_and_nothing_leaves_the_output() {
    let image = UbifsBuilder::new()
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .symlink(b"link-out", b"../../../../victim")
        .symlink(b"abs", b"/etc/passwd")
        .raw_dent(b"", b"..", b"etc/passwd")
        .raw_dent(b"", b".", b"etc/passwd")
        .raw_dent(b"etc", b"../../../../tmp/hallmark-pwned", b"etc/passwd")
        .raw_dent(b"", b"/abs-escape", b"etc/passwd")
        .raw_dent(b"", b"", b"etc/passwd")
        .raw_dent(b"", b"nul\0byte", b"etc/passwd")
        .raw_dent(b"", b"link-out/pwned", b"etc/passwd")
        // Directory loops: the root and a directory linked again below themselves.
        .raw_dent(b"etc", b"root-again", b"")
        .raw_dent(b"etc", b"self", b"etc")
        .finish();
    let unpacked = Unpacker::default().unpack_bytes("hostile.ubi", ubi_of(image));
    let tree = ubifs_tree(&unpacked);
    let paths: Vec<&str> = tree.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, ["/", "/abs", "/etc", "/etc/passwd", "/link-out"]);
    let errors = error_messages(&unpacked).join("\n");
    assert_eq!(errors.matches("invalid name").count(), 7, "{errors}");
    assert_eq!(errors.matches("linked twice").count(), 2, "{errors}");
    materialize_sandboxed(&unpacked);
}

#[test]
fn index_loops_and_shared_subtrees_end_quickly() {
    // A chain of index levels where every node points twice at the next one (a DAG that is
    // 2^40 paths deep unfolded), the bottom one pointing back at the top (a cycle).
    let mut img = UbifsImage::new(16_384);
    let ino = img.write(INO_NODE, &ino_body(1, 0o40755, 0, 2, &[]));
    let len = 24 + 4 + 2 * 20;
    let levels = 40u16;
    let first = img.next_at(len);
    let mut at = first;
    for i in 0..levels {
        let level = levels - i;
        let next = At {
            lnum: at.lnum,
            offs: at.offs + 72,
            len: len as u32,
        };
        let child = if level == 1 { first } else { next };
        let branches = if level == 1 {
            [(ino, key(1, 0, 0)), (child, key(1, 0, 0))]
        } else {
            [(child, key(1, 0, 0)), (child, key(1, 0, 0))]
        };
        let written = img.write(IDX_NODE, &idx_body(level, &branches));
        assert_eq!(written, at);
        at = next;
    }
    let image = img.finish(first, 2);
    let start = Instant::now();
    let unpacked = Unpacker::default().unpack_bytes("loop.ubifs", ubi_of(image));
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        error_messages(&unpacked)
            .join("\n")
            .contains("referenced twice")
    );
    assert_eq!(ubifs_tree(&unpacked).len(), 1);
}

#[test]
fn overlapping_nodes_do_not_multiply_the_work() {
    // LEBs full of node headers 32 bytes apart, each claiming to run to the end of its LEB,
    // and an index pointing at every one of them: checking each CRC would read each LEB
    // thousands of times.
    let leb_size = 131_072usize;
    let mut img = UbifsImage::new(leb_size);
    let mut targets = Vec::new();
    for _ in 0..16 {
        let mut leb = vec![0u8; leb_size];
        let mut offs = 0;
        while offs + 32 <= leb_size {
            leb[offs..offs + 4].copy_from_slice(&0x0610_1831u32.to_le_bytes());
            leb[offs + 16..offs + 20].copy_from_slice(&((leb_size - offs) as u32).to_le_bytes());
            offs += 32;
        }
        let lnum = img.raw_leb(leb);
        targets.extend((0..leb_size as u32 / 32).map(|i| At {
            lnum,
            offs: i * 32,
            len: 0,
        }));
    }
    let mut children = Vec::new();
    for group in targets.chunks(4000) {
        let branches: Vec<(At, [u8; 8])> = group.iter().map(|&at| (at, key(1, 1, 0))).collect();
        let at = img.write(IDX_NODE, &idx_body(0, &branches));
        children.push((at, key(1, 1, 0)));
    }
    let root = img.write(IDX_NODE, &idx_body(1, &children));
    let image = img.finish(root, 2);
    let start = Instant::now();
    let unpacked = Unpacker::default().unpack_bytes("overlap.ubifs", image);
    assert!(
        error_messages(&unpacked)
            .join("\n")
            .contains("checking budget"),
        "{}",
        error_messages(&unpacked).join("\n")
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn huge_declared_sizes_are_capped_and_charged() {
    let mut img = UbifsImage::new(16_384);
    let built = UbifsBuilder::new()
        .sparse(
            b"huge",
            u64::MAX / 2,
            &[(0, b"start"), (0x1fff_ffff, b"end")],
        )
        .sparse(b"many-holes", 1 << 30, &[(1, b"x")])
        .build_into(&mut img);
    let image = ubi_of(img.finish(built.root, built.highest_inum));
    let limits = Limits {
        max_file_bytes: 8 << 20,
        max_total_bytes: 12 << 20,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(limits).unpack_bytes("huge.ubi", image);
    let kinds = limit_kinds(&unpacked);
    assert!(kinds.contains(&LimitKind::FileBytes), "{kinds:?}");
    assert!(kinds.contains(&LimitKind::TotalBytes), "{kinds:?}");
    assert!(unpacked.stats.bytes_produced <= 12 << 20);
    let tree = ubifs_tree(&unpacked);
    let huge = tree.read("/huge").unwrap();
    assert_eq!(huge.len(), 8 << 20);
    assert_eq!(&huge[..5], b"start");
    // Default limits: the holes of a 1 MB image are held to the ratio allowance.
    let mut img = UbifsImage::new(16_384);
    let built = UbifsBuilder::new()
        .sparse(b"a", 1 << 30, &[(0, b"a")])
        .sparse(b"b", 1 << 30, &[(0, b"b")])
        .build_into(&mut img);
    let image = ubi_of(img.finish(built.root, built.highest_inum));
    let unpacked = Unpacker::default().unpack_bytes("holes.ubi", image.clone());
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Ratio));
    assert!(unpacked.stats.bytes_produced < 300 * image.len() as u64 + (16 << 20));
}

#[test]
fn hostile_ubi_headers_stay_bounded() {
    let mut b = UbiBuilder::new(1024);
    let vols = [
        Volume {
            id: 0,
            name: b"../../escape".to_vec(),
            is_static: false,
            content: b"dyn".to_vec(),
        },
        Volume {
            id: 1,
            name: b"../../escape".to_vec(),
            is_static: true,
            // Three LEBs reserved in the volume table; only the first is written.
            content: vec![0; 2000],
        },
    ];
    b.layout(&vols);
    // A static LEB claiming four billion used LEBs, and dynamic LEBs far apart.
    let mut s = Vid::dynamic(1, 0);
    s.vol_type = 2;
    s.data_size = 6;
    s.used_ebs = u32::MAX;
    s.data_crc = testkit_ubi::crc(b"static");
    b.peb(Some(&s), b"static");
    b.peb(Some(&Vid::dynamic(0, 0)), b"dyn");
    b.peb(Some(&Vid::dynamic(0, 0x7fff_fff0)), b"far");
    // An LEB of a volume that is not in the table, and one of an internal volume.
    b.peb(Some(&Vid::dynamic(9, 0)), b"deleted");
    b.peb(Some(&Vid::dynamic(0x7fff_f000, 0)), b"fastmap");
    let image = b.finish();
    let start = Instant::now();
    let unpacked = Unpacker::default().unpack_bytes("hostile.ubi", image.clone());
    assert!(start.elapsed() < Duration::from_secs(5));
    let ubi = &unpacked.root.children[0];
    assert_eq!((ubi.format.as_str(), ubi.size), ("ubi", image.len() as u64));
    let tree = ubi.tree.as_ref().unwrap();
    let names: Vec<&str> = tree.files().map(|n| n.path.as_str()).collect();
    assert_eq!(names, ["/escape", "/escape_1"]);
    // The far LEB is cut by the ratio allowance: a few KiB image does not make 2 TiB.
    assert!(unpacked.stats.bytes_produced <= 20 << 20);
    let errors = error_messages(&unpacked).join("\n");
    assert!(errors.contains("not in the volume table"), "{errors}");
    assert!(errors.contains("LEB 1 is missing"), "{errors}");
    materialize_sandboxed(&unpacked);
}

fn sample_image() -> Vec<u8> {
    let fs = UbifsBuilder::new()
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .file(b"bin/busybox", &testkit::noise(9000, 4))
        .hardlink(b"bin/sh", b"bin/busybox")
        .symlink(b"bin/ls", b"busybox")
        .device(b"dev/null", false, 1, 3)
        .finish();
    ubi_of(fs)
}

#[test]
fn truncations_and_bit_flips_never_panic_or_hang() {
    let image = sample_image();
    let clean = Unpacker::default().unpack_bytes("clean.ubi", image.clone());
    assert!(
        clean.errors().is_empty(),
        "{}",
        error_messages(&clean).join("\n")
    );
    assert_eq!(
        ubifs_tree(&clean).read("/bin/sh").map(|b| b.len()),
        Some(9000)
    );
    let start = Instant::now();
    for cut in (0..image.len()).step_by(997) {
        let unpacked = Unpacker::default().unpack_bytes("cut.ubi", image[..cut].to_vec());
        assert_eq!(unpacked.root.size, cut as u64);
    }
    // Bit flips at pseudo-random positions, biased towards headers and nodes.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..600 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut bad = image.clone();
        let pos = (seed % image.len() as u64) as usize;
        bad[pos] ^= 1 << (seed >> 60 & 7);
        let unpacked = Unpacker::default().unpack_bytes("flip.ubi", bad);
        assert!(unpacked.stats.bytes_produced < 4 << 20);
    }
    assert!(start.elapsed() < Duration::from_secs(120));
}

#[test]
fn entry_and_time_limits_stop_the_reader() {
    let mut b = UbifsBuilder::new();
    for i in 0..500 {
        b.file(format!("d/f{i}").as_bytes(), b"x");
    }
    let image = ubi_of(b.finish());
    let limits = Limits {
        max_entries: 100,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(limits).unpack_bytes("flood.ubi", image.clone());
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Entries));
    assert!(unpacked.stats.entries <= 100);
    let limits = Limits {
        max_time: Duration::ZERO,
        ..Limits::default()
    };
    let unpacked = Unpacker::new(limits).unpack_bytes("slow.ubi", image);
    assert!(limit_kinds(&unpacked).contains(&LimitKind::Time));
}
