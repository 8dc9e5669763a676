//! Compressed tar archives read as they are decoded (content on demand, past a size): the
//! result must be the one the whole output gives, whatever the compression, the archive's
//! contents, damage or limits.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::testkit::{self, TarBuilder, tar_type};
use common::{MIB, stream_sandboxed};
use hallmark_unpack::{Layer, LimitKind, Limits, Unpacked, Unpacker};

/// Bytes that do not compress and hold no signature.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    testkit::noise(len, seed)
}

/// An archive with members of every kind, files spanning many decoder chunks, files with
/// layers inside, metadata records, a replaced path, and another archive nested in a file.
fn rich_tar() -> Vec<u8> {
    let nested = TarBuilder::new()
        .file(b"inner/readme", b"inside the nested archive")
        .finish();
    let mut tar = TarBuilder::gnu();
    tar.dir(b"etc/")
        .file(b"etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .file(b"bin/big", &noise(700_000, 1))
        .file(b"bin/zeros", &vec![0u8; 1_500_000])
        .hardlink(b"bin/big-link", b"bin/big")
        .symlink(b"bin/sh", b"busybox")
        .special(b"dev/console", tar_type::CHAR, 5, 1)
        .file(b"empty", b"")
        .file(
            b"lib/modules.gz",
            &testkit::gzip(&b"module text ".repeat(30_000)),
        )
        .file(b"lib/nested.tar.xz", &testkit::xz(&nested))
        .file(b"etc/passwd", b"replaced:x:0:0::/:/bin/false\n")
        .gnu_long_file(&[b'd'; 150], b"a file with a long name")
        .pax_entry(
            &[("path", b"pax/named by a pax record")],
            b"ignored",
            tar_type::FILE,
            b"pax content",
        );
    for i in 0..300 {
        tar.file(
            format!("share/doc/f{i:03}").as_bytes(),
            &noise(100 + i * 37, i as u64),
        );
    }
    tar.finish()
}

type Compress = fn(&[u8]) -> Vec<u8>;

const COMPRESSIONS: &[(&str, Compress)] = &[
    ("gz", testkit::gzip),
    ("xz", testkit::xz),
    ("bz2", testkit::bzip2),
    ("zst", testkit::zstd),
];

fn streamed(name: &str, data: &[u8], limits: &Limits) -> Unpacked {
    Unpacker::new(limits.clone())
        .content_on_demand(true)
        .stream_from(1)
        .unpack_bytes(name, data.to_vec())
}

fn whole(name: &str, data: &[u8], limits: &Limits) -> Unpacked {
    Unpacker::new(limits.clone()).unpack_bytes(name, data.to_vec())
}

/// The compressed layers of a result read as they were decoded.
fn streamed_layers(unpacked: &Unpacked) -> Vec<&Layer> {
    unpacked
        .layers()
        .into_iter()
        .map(|(_, layer)| layer)
        .filter(|layer| {
            // A tar at the start of the output whose files still read: decoded again.
            layer.children.first().is_some_and(|tar| {
                tar.format == "tar"
                    && tar.offset == 0
                    && tar.name.is_none()
                    && tar.tree.as_ref().is_some_and(|tree| {
                        tree.files()
                            .any(|file| file.size > 0 && file.load().is_some())
                    })
            })
        })
        .collect()
}

/// Same layers, errors, truncations, figures, tree nodes and file contents.
fn assert_same(whole: &Unpacked, streamed: &Unpacked) {
    assert_eq!(whole.listing(), streamed.listing());
    assert_eq!(whole.stats.bytes_produced, streamed.stats.bytes_produced);
    assert_eq!(whole.stats.entries, streamed.stats.entries);
    let trees = whole.trees();
    let other = streamed.trees();
    assert_eq!(trees.len(), other.len());
    for ((path, a), (_, b)) in trees.into_iter().zip(other) {
        assert_eq!(a.anomalies(), b.anomalies(), "{path}");
        let pairs: Vec<_> = a.iter().zip(b.iter()).collect();
        assert_eq!(a.len(), b.len(), "{path}");
        for (x, y) in pairs {
            assert_eq!(
                (&x.path, &x.kind, x.size, x.mode, x.uid, x.gid, x.mtime),
                (&y.path, &y.kind, y.size, y.mode, y.uid, y.gid, y.mtime),
                "{path}"
            );
            // Contents that stay readable (those of archives read as decoded) are the same;
            // others were let go of once scanned.
            if let Some(bytes) = y.load() {
                assert_eq!(x.load(), Some(bytes), "{path}: {}", x.path);
            }
        }
    }
}

#[test]
fn every_compression_gives_the_tree_of_the_whole_output() {
    let tar = rich_tar();
    for (ext, compress) in COMPRESSIONS {
        let name = format!("rootfs.tar.{ext}");
        let data = compress(&tar);
        let limits = Limits::default();
        let a = whole(&name, &data, &limits);
        let b = streamed(&name, &data, &limits);
        assert!(a.is_complete() && a.errors().is_empty(), "{name}");
        assert_same(&a, &b);

        // The outer archive stays readable; the nested one (read as decoded too, any size is
        // large here) let go of its files once scanned, with its file.
        let layers = streamed_layers(&b);
        assert_eq!(layers.len(), 1, "{name}");
        let outer = layers[0];
        assert_eq!(outer.released, Some(tar.len() as u64), "{name}");
        assert!(outer.content.is_none(), "{name}: output kept");
        // Scanned in pass 2, not kept: read again on demand.
        let tar_tree = outer.children[0].tree.as_ref().unwrap();
        let big = tar_tree.get("/bin/big").unwrap();
        assert!(!big.is_loaded(), "{name}");
        assert_eq!(big.load().unwrap().as_slice(), noise(700_000, 1).as_slice());
        // Reading back to front restarts the decoding and still finds the files.
        for node in tar_tree
            .files()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .step_by(60)
        {
            let bytes = node.content().unwrap();
            assert_eq!(bytes.len() as u64, node.size, "{}", node.path);
        }
        assert_eq!(
            tar_tree.read("/etc/passwd").unwrap().as_slice(),
            b"replaced:x:0:0::/:/bin/false\n"
        );
    }
}

#[test]
fn what_follows_the_archive_is_scanned_as_usual() {
    let tar = TarBuilder::new()
        .file(b"a", &noise(5000, 3))
        .file(b"b", b"bee")
        .finish();
    let after = [
        // Unidentified bytes: a raw layer.
        noise(3000, 9),
        // A gzip stream: raw gap, then the stream, then raw again.
        [
            noise(100, 4),
            testkit::gzip(b"appended payload"),
            noise(50, 5),
        ]
        .concat(),
        // Nothing.
        Vec::new(),
    ];
    for (i, tail) in after.iter().enumerate() {
        let data = testkit::gzip(&[tar.clone(), tail.clone()].concat());
        let name = format!("tail{i}.tar.gz");
        let a = whole(&name, &data, &Limits::default());
        let b = streamed(&name, &data, &Limits::default());
        assert_same(&a, &b);
        assert_eq!(streamed_layers(&b).len(), 1);
        let kids = a.root.children[0].children.len();
        assert_eq!(kids, [2, 4, 1][i], "{}", a.listing());
    }
}

#[test]
fn concatenated_members_and_damage_read_the_same() {
    let tar = rich_tar();
    // Two gzip members splitting the archive mid-file.
    let cut = tar.len() / 3 + 77;
    let two = [testkit::gzip(&tar[..cut]), testkit::gzip(&tar[cut..])].concat();
    // A stream cut short (the archive truncated inside a member), and one garbled late.
    let gz = testkit::gzip(&tar);
    let short = gz[..gz.len() * 2 / 3].to_vec();
    let mut garbled = gz.clone();
    let at = garbled.len() * 3 / 4;
    for byte in &mut garbled[at..at + 64] {
        *byte ^= 0x5a;
    }
    let xz_short = {
        let xz = testkit::xz(&tar);
        xz[..xz.len() / 2].to_vec()
    };
    for (name, data) in [
        ("two.tar.gz", two),
        ("short.tar.gz", short),
        ("garbled.tar.gz", garbled),
        ("short.tar.xz", xz_short),
    ] {
        let a = whole(name, &data, &Limits::default());
        let b = streamed(name, &data, &Limits::default());
        assert_same(&a, &b);
        assert!(!streamed_layers(&b).is_empty(), "{name}");
        if name != "two.tar.gz" {
            assert!(!a.errors().is_empty(), "{name}: damage not recorded");
        }
    }
}

#[test]
fn limits_cut_the_same_places() {
    let tar = rich_tar();
    let data = testkit::gzip(&tar);
    let cases = [
        (
            "entries",
            Limits {
                max_entries: 40,
                ..Limits::default()
            },
            LimitKind::Entries,
        ),
        (
            "file",
            Limits {
                max_file_bytes: 600_000,
                ..Limits::default()
            },
            LimitKind::FileBytes,
        ),
        (
            "total",
            Limits {
                max_total_bytes: 2 * MIB,
                ..Limits::default()
            },
            LimitKind::TotalBytes,
        ),
        (
            "ratio",
            Limits {
                max_ratio: 2,
                ratio_floor_bytes: 1_000_000,
                ..Limits::default()
            },
            LimitKind::Ratio,
        ),
    ];
    for (name, limits, kind) in cases {
        let a = whole(name, &data, &limits);
        let b = streamed(name, &data, &limits);
        let kinds: Vec<LimitKind> = a.truncations().iter().map(|t| t.limit).collect();
        assert!(kinds.contains(&kind), "{name}: {kinds:?}");
        assert_same(&a, &b);
    }
    // The entry limit reached at each of the first members, large ones included: the
    // reader stops after skipping data it will not read, which is then read again for the
    // scan of what follows the archive.
    for max_entries in 3..12 {
        let limits = Limits {
            max_entries,
            ..Limits::default()
        };
        let name = format!("entries{max_entries}");
        assert_same(
            &whole(&name, &data, &limits),
            &streamed(&name, &data, &limits),
        );
    }
}

#[test]
fn one_pass_writing_of_a_streamed_archive_matches_materialize() {
    // `unpack_and_materialize` compares the one-pass writer (which streams archives of any
    // size here) with unpacking whole then materialising.
    let data = testkit::zstd(&rich_tar());
    let (unpacked, written) =
        common::unpack_and_materialize("fw.tar.zst", data.clone(), Limits::default());
    assert!(unpacked.is_complete());
    let (one_pass, _) = stream_sandboxed("fw.tar.zst", &data, Limits::default());
    assert_eq!(streamed_layers(&one_pass).len(), 1);
    assert!(written.files > 300, "{written:?}");
}

#[test]
fn small_outputs_and_other_formats_stay_whole() {
    // Below the threshold, or not a tar archive at the start: nothing is streamed.
    let tar = TarBuilder::new().file(b"a", &noise(300_000, 2)).finish();
    let data = testkit::gzip(&tar);
    let default = Unpacker::default()
        .content_on_demand(true)
        .unpack_bytes("small.tar.gz", data.clone());
    assert!(streamed_layers(&default).is_empty());
    let shifted = testkit::gzip(&[vec![1u8; 512], tar].concat());
    let b = streamed("shifted.tar.gz", &shifted, &Limits::default());
    assert!(streamed_layers(&b).is_empty());
    assert_same(&whole("shifted.tar.gz", &shifted, &Limits::default()), &b);
    assert!(b.root.children[0].children[0].is_raw());
}

#[test]
fn a_result_that_let_go_of_its_contents_is_not_materialised() {
    let data = testkit::gzip(&TarBuilder::new().file(b"a", b"bytes").finish());
    let on_demand = Unpacker::default()
        .content_on_demand(true)
        .unpack_bytes("a.tar.gz", data);
    assert!(on_demand.root.children[0].content.is_none());
    let out = tempfile::tempdir().unwrap();
    let refused = hallmark_unpack::materialize(&on_demand, &out.path().join("out"));
    assert!(matches!(
        refused,
        Err(hallmark_unpack::MaterializeError::ContentReleased)
    ));
    assert!(!out.path().join("out").exists());
}
