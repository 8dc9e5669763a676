//! The file inventory of an unpacked image (every regular file with its SHA-1 and SHA-256),
//! for software bills of materials.

use std::collections::BTreeSet;

use hallmark_model::FileEntry;
use hallmark_unpack::{FileTree, LayerPath, Unpacked};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::image::{File, Image};

/// The layer chain of the main root filesystem of `unpacked` (see [`file_inventory`]), for
/// naming evidence the way the inventory names files.
pub fn main_tree_chain(unpacked: &Unpacked) -> Option<Vec<hallmark_model::Layer>> {
    main_tree(&Image::new(unpacked)).map(|path| path.chain)
}

/// Every regular file of every tree of `unpacked`, named relative to the main root filesystem
/// (see [`FileEntry::name`]), sorted by name. Hashing runs on every core.
///
/// The main root filesystem is the tree that looks like one with the most nodes (or, when none
/// does, the tree with the most nodes); files of other trees carry their layer chain in the
/// name, relative to the main tree when they are nested inside it.
pub fn file_inventory(unpacked: &Unpacked) -> Vec<FileEntry> {
    let image = Image::new(unpacked);
    let main = main_tree(&image);
    let files: Vec<File<'_>> = image.files().collect();
    let names = unique_names(&files, main.as_ref());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    let chunk = files.len().div_ceil(workers).max(1);
    let mut entries: Vec<FileEntry> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .zip(names.chunks(chunk))
            .map(|(files, names)| {
                scope.spawn(move || {
                    files
                        .iter()
                        .zip(names)
                        .map(|(file, name)| digest(name.clone(), file.bytes()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

fn digest(name: String, bytes: &[u8]) -> FileEntry {
    FileEntry {
        name,
        size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        sha1: hex(&Sha1::digest(bytes)),
        sha256: hex(&Sha256::digest(bytes)),
    }
}

use hallmark_model::hex;

/// The layer path of the main root filesystem.
fn main_tree(image: &Image<'_>) -> Option<LayerPath> {
    let trees: Vec<(&LayerPath, &FileTree)> = image.trees().map(|(p, t, _)| (p, t)).collect();
    let rootfs = trees
        .iter()
        .filter(|(_, tree)| Image::is_rootfs(tree))
        .max_by_key(|(_, tree)| tree.len());
    rootfs
        .or_else(|| trees.iter().max_by_key(|(_, tree)| tree.len()))
        .map(|(path, _)| (*path).clone())
}

/// One name per file, in the same order, unique (a clash, which only crafted layer names can
/// cause, gets a `#n` suffix).
fn unique_names(files: &[File<'_>], main: Option<&LayerPath>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    files
        .iter()
        .map(|file| {
            let base = name(file, main);
            let mut name = base.clone();
            let mut n = 1u32;
            while !seen.insert(name.clone()) {
                n = n.saturating_add(1);
                name = format!("{base}#{n}");
            }
            name
        })
        .collect()
}

fn name(file: &File<'_>, main: Option<&LayerPath>) -> String {
    hallmark_model::sbom_file_name(
        main.map(|m| m.chain.as_slice()),
        &file.layer.chain,
        file.path(),
    )
}

#[cfg(test)]
mod tests {
    use hallmark_unpack::{Entry, FileTree, Limits, Unpacker};

    use super::*;

    #[test]
    fn files_of_the_root_filesystem_are_named_from_the_root_with_both_digests() {
        let mut tree = FileTree::new();
        tree.add(Entry::dir("/etc"));
        tree.add(Entry::file(
            "/etc/passwd",
            b"root:x:0:0::/root:/bin/sh\n".to_vec(),
        ));
        tree.add(Entry::file("/bin/empty", Vec::new()));
        tree.add(Entry::symlink("/bin/sh", "busybox"));
        let unpacked = Unpacked::from_tree("fw.bin", tree);
        let files = file_inventory(&unpacked);
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["./bin/empty", "./etc/passwd"]);
        let empty = files
            .first()
            .map(|f| (f.sha1.as_str(), f.sha256.as_str(), f.size));
        assert_eq!(
            empty,
            Some((
                "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                0
            ))
        );
    }

    /// A ustar archive of regular files (enough for the unpacker's tar parser).
    fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, data) in members {
            let mut header = [0u8; 512];
            let field = |header: &mut [u8; 512], at: usize, value: &[u8]| {
                for (i, b) in value.iter().enumerate() {
                    if let Some(slot) = header.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            };
            field(&mut header, 0, path.as_bytes());
            field(&mut header, 100, b"0000644\0");
            field(&mut header, 108, b"0000000\0");
            field(&mut header, 116, b"0000000\0");
            field(
                &mut header,
                124,
                format!("{:011o}\0", data.len()).as_bytes(),
            );
            field(&mut header, 136, b"00000000000\0");
            field(&mut header, 148, b"        ");
            field(&mut header, 156, b"0");
            field(&mut header, 257, b"ustar\x0000");
            let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
            field(&mut header, 148, format!("{sum:06o}\0 ").as_bytes());
            out.extend_from_slice(&header);
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        out
    }

    #[test]
    fn files_of_nested_trees_carry_their_layer_chain() {
        // A tar inside a tar: the inner tree's files are named after the member that holds it.
        let inner = tar(&[("notes.txt", b"abc")]);
        let outer = tar(&[
            ("etc/passwd", b"root:x:0:0::/:/bin/sh\n"),
            ("opt/a.tar", &inner),
        ]);
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("fw.tar", outer);
        let names: Vec<String> = file_inventory(&unpacked)
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert!(names.contains(&"./etc/passwd".to_owned()), "{names:?}");
        assert!(
            names.contains(&"./opt/a.tar/tar@0x0/notes.txt".to_owned()),
            "{names:?}"
        );
    }
}
