//! `hallmark unpack`: layer listings, safe writing, usage errors.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};

use support::hallmark;

mod support;

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("hallmark-unpack-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn gzip_image(dir: &Path) -> PathBuf {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&b"config line\n".repeat(100)).unwrap();
    let image = [vec![0x5a; 100], gz.finish().unwrap()].concat();
    let path = dir.join("fw.bin");
    std::fs::write(&path, image).unwrap();
    path
}

fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
        if path.is_dir() && !path.is_symlink() {
            if let Some(found) = find(&path, name) {
                return Some(found);
            }
        }
    }
    None
}

#[test]
fn list_shows_layers_as_text_and_json() {
    let dir = scratch("list");
    let image = gzip_image(&dir);
    let (code, text, err) = hallmark(&["unpack", "--list", image.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("gzip @0x64"), "{text}");
    assert!(text.contains("raw @0x0 size 100"), "{text}");

    let (code, json, _) = hallmark(&[
        "unpack",
        "--list",
        "--format",
        "json",
        image.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["complete"], true);
    let children = json["root"]["children"].as_array().unwrap();
    assert_eq!(children[0]["format"], "raw");
    assert_eq!(children[1]["format"], "gzip");
    assert_eq!(children[1]["offset"], 100);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn limits_are_reported_not_fatal() {
    let dir = scratch("limits");
    let image = gzip_image(&dir);
    let (code, text, _) = hallmark(&[
        "unpack",
        "--list",
        "--max-file-bytes",
        "64",
        image.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(text.contains("truncated"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn output_directory_must_be_new_or_empty() {
    let dir = scratch("busy");
    let image = gzip_image(&dir);
    // `dir` holds the image, so it is not empty.
    let (code, _, err) = hallmark(&[
        "unpack",
        image.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot write into"), "{err}");
    let (code, _, err) = hallmark(&["unpack", dir.join("absent.bin").to_str().unwrap(), "--list"]);
    assert_eq!(code, 2);
    assert!(err.contains("absent.bin"), "{err}");
    // A missing input leaves no output directory behind.
    let out = dir.join("out");
    let (code, _, err) = hallmark(&[
        "unpack",
        dir.join("absent.bin").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot unpack"), "{err}");
    assert!(!out.exists());
    let (code, _, _) = hallmark(&["unpack", image.to_str().unwrap()]);
    assert_eq!(code, 2, "needs -o or --list");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A real initramfs from the shared corpus: gzip -> newc cpio, written to disk.
#[test]
fn real_initramfs_unpacks_to_disk() {
    let image = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/real/rpi5-alpine-initramfs-cpio/rootfs.cpio.gz");
    if !image.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs the shared corpus at {}",
            image.display()
        );
        eprintln!(
            "NOTICE: skipping; shared corpus absent at {}",
            image.display()
        );
        return;
    }
    let dir = scratch("real");
    let out = dir.join("out");
    let (code, text, err) = hallmark(&[
        "unpack",
        image.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("files"), "{text}");
    let passwd = find(&out, "passwd").expect("etc/passwd is extracted");
    let passwd = std::fs::read_to_string(passwd).unwrap();
    assert!(passwd.starts_with("root:x:0:0:"), "{passwd}");
    assert!(find(&out, "apk").is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}
