//! Every image of the shared corpus unpacks, and what comes out is what the corpus says is in
//! it.
//!
//! - Synthetic images (`corpus/synthetic/*/manifest.json`): the extracted rootfs matches the
//!   manifest's `rootfs_files` exactly: the same set of paths, and for each its mode, symlink
//!   target or size and sha256.
//! - Real images (`corpus/real/*`): the layers and files their `SOURCE.md` describes are found.
//!
//! Cases the engine cannot handle yet are listed in [`PENDING`] with the reason; a pending case
//! that starts passing fails the test until it is removed from the list, so the list only
//! shrinks. Outside CI, a missing corpus skips with a notice; under `CI=true` it fails.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hallmark_unpack::{FileTree, Limits, NodeKind, Unpacked, Unpacker};
use sha2::{Digest, Sha256};

/// Images (relative to `corpus/`) whose expectations do not hold yet, with why.
#[rustfmt::skip]
const PENDING: &[(&str, &str)] = &[
];

/// What a real image must yield.
enum Expect {
    /// A layer of this format somewhere in the tree.
    Format(&'static str),
    /// A file-tree node whose path ends with this (a `/`-separated suffix).
    Path(&'static str),
    /// Some layer's content or some file contains these bytes.
    Bytes(&'static str),
    /// At least this many files in all trees together.
    Files(usize),
}

use Expect::{Bytes, Files, Format, Path as File};

/// Real images and what their `SOURCE.md` says is inside.
#[rustfmt::skip]
const REAL: &[(&str, &[Expect])] = &[
    ("real/openwrt-librarybox-tl-wr703n/openwrt-ar71xx-generic-tl-wr703n-v1-squashfs-factory.bin", &[Format("tplink"), Format("squashfs"), File("/etc/dropbear/dropbear_rsa_host_key"), File("/etc/init.d/telnet"), Bytes("Linux version 3.3.8")]),
    ("real/tplink-tl-wr940n-v4-stock/wr940nv4_us_3_16_9_up_boot_160617.bin", &[Format("tplink"), Format("squashfs"), File("/bin/busybox"), Bytes("Linux version 2.6.31")]),
    ("real/huawei-hg532e-stock/HG532eV100R001C01B020_upgrade_packet.bin", &[Format("squashfs"), File("/bin/busybox"), Bytes("Linux version 2.6.21.5")]),
    ("real/tplink-mt7628-flash-partitions/rootfs.squashfs", &[Format("squashfs"), File("/etc/passwd.bak"), File("/usr/bin/tddp")]),
    ("real/tplink-mt7628-flash-partitions/kernel.bin", &[Format("tplink"), Bytes("Linux version 2.6.36")]),
    ("real/tplink-mt7628-flash-partitions/uboot.bin", &[]),
    ("real/dlink-dir615c-rootfs/squashfs-root.tar.bz2", &[Format("bzip2"), Format("tar"), File("etc/shadow"), File("bin/busybox"), Files(200)]),
    ("real/emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2", &[Format("tar"), File("etc/shadow"), File("usr/bin/miniweb"), File("usr/bin/miniweb-nx"), File("etc/dropbear/dropbear_rsa_host_key")]),
    ("real/tplink-vxworks-wr/wr.fw", &[Format("tplink-img0"), Format("lzma")]),
    ("real/tplink-mr3020-boot-kernel-stubrootfs/test.tpl", &[Format("tplink"), Bytes("Linux version 2.6.31")]),
    ("real/xerox-dlm-truncated/DLM-First_1MB.DLM", &[Format("gzip")]),
    ("real/lichee-pi-nano-buildroot-jffs2/rootfs.jffs2", &[Format("jffs2"), File("/etc/shadow"), File("/etc/init.d/rcS"), File("/bin/busybox")]),
    ("real/lichee-pi-nano-buildroot-jffs2/zImage", &[]),
    ("real/rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", &[Format("gzip"), Format("cpio"), File("/lib/apk/db/installed"), File("/etc/shadow")]),
    ("real/broadcom-adsl-squashfs-v2/squashfs_v2.bin", &[Format("squashfs"), File("/bin/busybox"), Files(100)]),
    ("real/arcadyan-obfuscated/arcadyan.bin", &[Format("arcadyan"), Bytes("Arcadyan")]),
    ("real/format-samples-fact-extractor/jffs2__jffs2_be.img", &[Format("jffs2"), Files(1)]),
    ("real/format-samples-fact-extractor/jffs2__jffs2_le.img", &[Format("jffs2"), Files(1)]),
    ("real/format-samples-fact-extractor/ubi__ubi.img", &[Format("ubi"), Format("ubifs"), Files(1)]),
    ("real/format-samples-fact-extractor/ubi__test.ubifs", &[Format("ubifs"), Files(1)]),
    ("real/format-samples-fact-extractor/yaffs__yaffs2_be.img", &[Format("yaffs2"), Files(1)]),
    ("real/format-samples-fact-extractor/yaffs__yaffs2_le.img", &[Format("yaffs2"), Files(1)]),
    ("real/format-samples-fact-extractor/uboot__fit.itb", &[Format("fit")]),
    ("real/format-samples-fact-extractor/uboot__uboot.image_with_header", &[Format("uimage")]),
    ("real/format-samples-fact-extractor/generic_fs__romfs.img", &[Format("romfs"), Files(1)]),
    ("real/format-samples-fact-extractor/patool__test.cpio", &[Format("cpio"), Files(1)]),
    ("real/format-samples-fact-extractor/sevenz__cramfs.img", &[Format("cramfs"), Files(1)]),
    ("real/format-samples-fact-extractor/sevenz__ext2.img.xz", &[Format("xz"), Format("ext"), Files(1)]),
    ("real/format-samples-fact-extractor/sevenz__ext3.img.xz", &[Format("xz"), Format("ext"), Files(1)]),
    ("real/format-samples-fact-extractor/sevenz__ext4.img.xz", &[Format("xz"), Format("ext"), Files(1)]),
    ("real/format-samples-fact-extractor/squashFS__avm_be.sqfs4", &[Format("squashfs"), Files(3), File("/testfile1"), File("/generic folder/test file 3_.txt"), Bytes("MyTestRule 1.2.3")]),
    ("real/format-samples-fact-extractor/squashFS__avm_le.sqfs4", &[Format("squashfs"), Files(3), File("/testfile1"), File("/generic folder/test file 3_.txt"), Bytes("MyTestRule 1.2.3")]),
    ("real/format-samples-fact-extractor/squashFS__lzma_be.sqfs2", &[Format("squashfs"), Files(3), File("/testfile1"), File("/generic folder/test file 3_.txt"), Bytes("MyTestRule 1.2.3")]),
    ("real/format-samples-fact-extractor/squashFS__lzo.sqfs", &[Format("squashfs"), Files(3), File("/testfile1"), File("/generic folder/test file 3_.txt"), Bytes("MyTestRule 1.2.3")]),
    ("real/format-samples-fact-extractor/squashFS__xz.sqfs", &[Format("squashfs"), Files(3), File("/testfile1"), File("/generic folder/test file 3_.txt"), Bytes("MyTestRule 1.2.3")]),
    ("real/format-samples-fact-extractor/squashFS__zlib_be.sqfs3", &[Format("squashfs"), Files(3), File("/testfile1"), File("/generic folder/test file 3_.txt"), Bytes("MyTestRule 1.2.3")]),
    ("real/format-samples-fact-extractor/squashFS__zstd.sqfs", &[Format("squashfs"), Files(3), File("/testfile1"), File("/generic folder/test file 3_.txt"), Bytes("MyTestRule 1.2.3")]),
    ("real/format-samples-fact-extractor/trx__trx.img", &[Format("trx")]),
    ("real/format-samples-binwalk/yaffs2.bin", &[Format("yaffs2"), Files(1)]),
    ("real/format-samples-binwalk/cramfs.bin", &[Format("cramfs"), Files(1)]),
    ("real/format-samples-binwalk/romfs.bin", &[Format("romfs"), Files(1)]),
    ("real/format-samples-binwalk/squashfs.bin", &[Format("squashfs"), Files(1)]),
    // Vendor containers Hallmark does not claim to open: they must unpack without harm and
    // keep every byte.
    ("real/format-samples-fact-extractor/broadcom__broadcom-sao.bin", &[]),
    ("real/format-samples-fact-extractor/dahua__dh.bin", &[]),
    ("real/format-samples-fact-extractor/draytek_vigor_167__valid_draytekvigor167_image.bin", &[]),
];

/// The shared corpus, or `None` (with a notice) when it is absent outside CI.
fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI needs the shared corpus at {}", dir.display());
    }
    eprintln!(
        "NOTICE: skipping corpus tests; shared corpus absent at {}",
        dir.display()
    );
    None
}

fn unpack(path: &Path) -> Unpacked {
    Unpacker::new(Limits::default())
        .unpack_file(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One rootfs entry as the manifest describes it and as we describe a tree node.
#[derive(Debug, PartialEq, Eq)]
struct Described {
    mode: u32,
    /// `link -> target` for symlinks, `size sha256` for files.
    what: String,
}

fn manifest_files(manifest: &serde_json::Value) -> BTreeMap<String, Described> {
    let mut out = BTreeMap::new();
    for file in manifest["rootfs_files"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap().to_owned();
        let mode = file["mode"].as_str().unwrap();
        let mode = u32::from_str_radix(mode.trim_start_matches("0o"), 8).unwrap();
        let what = match file["symlink_to"].as_str() {
            Some(target) => format!("link -> {target}"),
            None => format!(
                "{} {}",
                file["size"].as_u64().unwrap(),
                file["sha256"].as_str().unwrap()
            ),
        };
        out.insert(path, Described { mode, what });
    }
    out
}

fn tree_files(tree: &FileTree) -> BTreeMap<String, Described> {
    let mut out = BTreeMap::new();
    for node in tree.iter() {
        let what = match &node.kind {
            NodeKind::Symlink { target } => format!("link -> {target}"),
            NodeKind::File | NodeKind::Hardlink { .. } => {
                let content = node.content().map(|c| c.as_slice()).unwrap_or(&[]);
                format!("{} {}", content.len(), sha256(content))
            }
            _ => continue,
        };
        out.insert(
            node.path.clone(),
            Described {
                mode: node.mode,
                what,
            },
        );
    }
    out
}

/// Compares the largest tree of `unpacked` with the manifest; `Err` lists the differences.
fn check_synthetic(unpacked: &Unpacked, manifest: &serde_json::Value) -> Result<(), String> {
    let want = manifest_files(manifest);
    let Some(tree) = unpacked
        .trees()
        .into_iter()
        .map(|(_, tree)| tree)
        .max_by_key(|tree| tree.len())
    else {
        return Err("no file tree extracted".into());
    };
    let got = tree_files(tree);
    let mut problems = Vec::new();
    for (path, want) in &want {
        match got.get(path) {
            None => problems.push(format!("missing {path}")),
            Some(got) if got != want => {
                problems.push(format!("{path}: got {got:?}, manifest says {want:?}"));
            }
            Some(_) => {}
        }
    }
    for path in got.keys().filter(|p| !want.contains_key(*p)) {
        problems.push(format!("extra {path}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.truncate(20);
        Err(problems.join("\n  "))
    }
}

fn check_real(unpacked: &Unpacked, expects: &[Expect]) -> Result<(), String> {
    let layers = unpacked.layers();
    let trees = unpacked.trees();
    let mut problems = Vec::new();
    for expect in expects {
        let ok = match expect {
            Format(id) => layers.iter().any(|(_, layer)| layer.format == *id),
            File(suffix) => {
                let suffix = suffix.trim_start_matches('/');
                trees.iter().any(|(_, tree)| {
                    tree.iter().any(|node| {
                        node.path == format!("/{suffix}")
                            || node.path.ends_with(&format!("/{suffix}"))
                    })
                })
            }
            Bytes(needle) => {
                let needle = needle.as_bytes();
                let contains = |hay: &[u8]| memchr::memmem::find(hay, needle).is_some();
                layers
                    .iter()
                    .any(|(_, l)| l.content.as_ref().is_some_and(|c| contains(c.as_slice())))
                    || trees.iter().any(|(_, tree)| {
                        tree.files()
                            .any(|n| n.content().is_some_and(|c| contains(c.as_slice())))
                    })
            }
            Files(n) => trees.iter().map(|(_, t)| t.files().count()).sum::<usize>() >= *n,
        };
        if !ok {
            problems.push(match expect {
                Format(id) => format!("no {id} layer"),
                File(p) => format!("no file {p}"),
                Bytes(b) => format!("no content containing {b:?}"),
                Files(n) => format!("fewer than {n} files"),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Every image file in the corpus, relative to it (manifests and notes excluded).
fn corpus_images(corpus: &Path) -> Vec<String> {
    let mut images = Vec::new();
    for part in ["real", "synthetic"] {
        let mut dirs: Vec<_> = std::fs::read_dir(corpus.join(part))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    !name.ends_with(".md") && name != "manifest.json"
                })
                .collect();
            files.sort();
            for file in files {
                images.push(
                    file.strip_prefix(corpus)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    images
}

#[test]
fn every_corpus_image_unpacks_to_what_the_corpus_describes() {
    let Some(corpus) = corpus() else { return };
    let mut failures = Vec::new();
    let mut now_passing = Vec::new();
    for image in corpus_images(&corpus) {
        let path = corpus.join(&image);
        let unpacked = unpack(&path);
        // Whatever the format support, nothing is dropped and nothing panics.
        assert_eq!(
            unpacked.root.size,
            std::fs::metadata(&path).unwrap().len(),
            "{image}"
        );
        let result = if image.starts_with("synthetic/") {
            let manifest = path.parent().unwrap().join("manifest.json");
            let manifest: serde_json::Value =
                serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
            check_synthetic(&unpacked, &manifest)
        } else {
            match REAL.iter().find(|(p, _)| *p == image) {
                Some((_, expects)) => check_real(&unpacked, expects),
                // Analysis fixtures (single ELF, key and passwd files) are not containers.
                None if image.starts_with("real/fact-core-analysis-fixtures/") => Ok(()),
                None => Err("no expectations listed for this image: add it to REAL".into()),
            }
        };
        let pending = PENDING.iter().find(|(p, _)| *p == image);
        match (result, pending) {
            (Ok(()), None) => eprintln!("ok       {image}"),
            (Ok(()), Some(_)) => now_passing.push(image),
            (Err(why), Some((_, reason))) => eprintln!("pending  {image} ({reason}): {why}"),
            (Err(why), None) => failures.push(format!("{image}:\n  {why}")),
        }
    }
    assert!(
        failures.is_empty(),
        "corpus images not unpacked as described:\n{}",
        failures.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "these images pass now; remove them from PENDING: {now_passing:#?}"
    );
    for (pending, _) in PENDING {
        assert!(
            corpus.join(pending).is_file(),
            "PENDING names a missing image: {pending}"
        );
    }
}
