//! Helpers for the corpus tests: finding the shared corpus, running one collector, and
//! loading an extracted root filesystem (for images whose filesystem readers are not ready).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use hallmark_collect::{COLLECTORS, Image, Options};
use hallmark_model::Location;
use hallmark_model::facts::Facts;
use hallmark_unpack::{Entry, FileTree, Limits, Unpacked, Unpacker};

/// The shared corpus, or `None` (with a notice) when it is absent outside CI.
pub fn corpus() -> Option<PathBuf> {
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

pub fn unpack(path: &Path) -> Unpacked {
    Unpacker::new(Limits::default())
        .unpack_file(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the collector `id` alone.
pub fn run(id: &str, unpacked: &Unpacked) -> Facts {
    let collector = COLLECTORS.iter().find(|c| c.id() == id).unwrap();
    let image = Image::new(unpacked);
    let mut facts = Facts::default();
    let coverage = collector.collect(&image, &Options::default(), &mut facts);
    facts.coverage.insert(id.to_owned(), coverage);
    facts
}

/// An image made of the given files (read from disk), each at `/<name>`.
pub fn loose_files(files: &[PathBuf]) -> Unpacked {
    let mut tree = FileTree::new();
    for file in files {
        let name = file.file_name().unwrap().to_str().unwrap();
        tree.add(Entry::file(
            format!("/{name}"),
            std::fs::read(file).unwrap(),
        ));
    }
    Unpacked::from_tree("loose", tree)
}

/// An image made of an extracted directory tree (files, directories, symlinks).
pub fn directory(root: &Path) -> Unpacked {
    let mut tree = FileTree::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let inside = format!("/{}", path.strip_prefix(root).unwrap().display());
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                tree.add(Entry::symlink(inside, target.to_str().unwrap()));
            } else if meta.is_dir() {
                tree.add(Entry::dir(inside).mode(mode));
                stack.push(path);
            } else if meta.is_file() {
                tree.add(Entry::file(inside, std::fs::read(&path).unwrap()).mode(mode));
            }
        }
    }
    Unpacked::from_tree(root.display().to_string(), tree)
}

/// The path part of a location.
pub fn path_of(location: &Location) -> &str {
    match location {
        Location::Image { path, .. } => path.as_deref().unwrap_or(""),
        _ => "",
    }
}

/// Whether a path in a tree is the rootfs path `rootfs_path` (also under one top directory).
pub fn is_path(tree_path: &str, rootfs_path: &str) -> bool {
    tree_path == rootfs_path
        || tree_path
            .strip_suffix(rootfs_path)
            .is_some_and(|top| !top.is_empty() && top.matches('/').count() == 1)
}
