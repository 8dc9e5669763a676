//! A read-only view of an unpacked image for collectors: every file of every tree with its
//! location, and lookups by path.

use hallmark_model::Location;
use hallmark_unpack::{FileTree, LayerPath, Node, NodeKind, Unpacked};

/// One node of one file tree of the image.
#[derive(Debug, Clone, Copy)]
pub struct File<'a> {
    /// The layer whose tree holds the node.
    pub layer: &'a LayerPath,
    /// The tree.
    pub tree: &'a FileTree,
    /// The node.
    pub node: &'a Node,
}

impl<'a> File<'a> {
    /// Path inside its tree.
    pub fn path(&self) -> &'a str {
        &self.node.path
    }

    /// File name (last component).
    pub fn name(&self) -> &'a str {
        self.node.name()
    }

    /// Content of a regular file (following a hard link); empty for anything else.
    pub fn bytes(&self) -> &'a [u8] {
        self.node
            .content()
            .map(|blob| blob.as_slice())
            .unwrap_or(&[])
    }

    /// Content as text when it is UTF-8 (lossy conversion is not attempted: binary files are
    /// not text).
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()).ok()
    }

    /// Whether the node is a regular file (or a hard link to one).
    pub fn is_file(&self) -> bool {
        matches!(self.node.kind, NodeKind::File | NodeKind::Hardlink { .. })
    }

    /// Where the file is.
    pub fn location(&self) -> Location {
        self.layer.location(Some(&self.node.path))
    }

    /// Where a line (1-based) of the file is.
    pub fn line(&self, line: usize) -> Location {
        let mut location = self.location();
        if let Location::Image { line: l, .. } = &mut location {
            *l = u32::try_from(line).ok();
        }
        location
    }

    /// Where a byte offset of the file is.
    pub fn at(&self, offset: usize) -> Location {
        let mut location = self.location();
        if let Location::Image { offset: o, .. } = &mut location {
            *o = u64::try_from(offset).ok();
        }
        location
    }
}

/// The unpacked image as collectors see it.
pub struct Image<'a> {
    unpacked: &'a Unpacked,
    trees: Vec<(LayerPath, &'a FileTree, String)>,
}

/// Top-level directories whose presence marks a tree as a root filesystem.
const ROOTFS_MARKERS: &[&str] = &["/etc", "/bin", "/sbin", "/usr", "/lib", "/init", "/www"];

impl<'a> Image<'a> {
    /// A view of `unpacked`.
    pub fn new(unpacked: &'a Unpacked) -> Image<'a> {
        let formats: Vec<(LayerPath, String)> = unpacked
            .layers()
            .into_iter()
            .filter(|(_, layer)| layer.tree.is_some())
            .map(|(path, layer)| (path, layer.format.clone()))
            .collect();
        let trees = unpacked
            .trees()
            .into_iter()
            .zip(formats)
            .map(|((path, tree), (_, format))| (path, tree, format))
            .collect();
        Image { unpacked, trees }
    }

    /// The unpacked image.
    pub fn unpacked(&self) -> &'a Unpacked {
        self.unpacked
    }

    /// Whether unpacking reached no limit.
    pub fn is_complete(&self) -> bool {
        self.unpacked.is_complete()
    }

    /// Every tree with its layer path and format.
    pub fn trees(&self) -> impl Iterator<Item = (&LayerPath, &'a FileTree, &str)> {
        self.trees
            .iter()
            .map(|(path, tree, format)| (path, *tree, format.as_str()))
    }

    /// Whether a tree looks like a root filesystem (or a configuration overlay of one).
    pub fn is_rootfs(tree: &FileTree) -> bool {
        ROOTFS_MARKERS.iter().any(|m| tree.get(m).is_some())
            || tree.iter().any(|n| {
                // An archive of a rootfs often has one top directory (`squashfs-root/etc`).
                let mut parts = n.path.trim_start_matches('/').split('/');
                parts.next().is_some()
                    && parts
                        .next()
                        .is_some_and(|second| matches!(second, "etc" | "bin" | "sbin"))
                    && parts.next().is_none()
            })
    }

    /// Whether any tree looks like a root filesystem.
    pub fn has_rootfs(&self) -> bool {
        self.trees.iter().any(|(_, tree, _)| Image::is_rootfs(tree))
    }

    /// Every node of every tree.
    pub fn nodes(&self) -> impl Iterator<Item = File<'_>> {
        self.trees
            .iter()
            .flat_map(|(layer, tree, _)| tree.iter().map(move |node| File { layer, tree, node }))
    }

    /// Every regular file of every tree.
    pub fn files(&self) -> impl Iterator<Item = File<'_>> {
        self.nodes().filter(File::is_file)
    }

    /// The files at `path` in every tree, also when a tree holds a rootfs under one top
    /// directory (`/squashfs-root/etc/passwd` answers `/etc/passwd`).
    pub fn find(&self, path: &str) -> Vec<File<'_>> {
        let path = path.trim_start_matches('/');
        self.files()
            .filter(|f| {
                let p = f.path().trim_start_matches('/');
                p == path || p.split_once('/').is_some_and(|(_, rest)| rest == path)
            })
            .collect()
    }

    /// The path of a file relative to its rootfs: `/squashfs-root/etc/passwd` -> `/etc/passwd`
    /// when the tree holds the rootfs under one top directory; the path itself otherwise.
    pub fn rootfs_path<'f>(&self, file: &File<'f>) -> &'f str {
        let path = file.path();
        if file.tree.get("/etc").is_some() || file.tree.get("/bin").is_some() {
            return path;
        }
        let rest = path.trim_start_matches('/');
        match rest.split_once('/') {
            Some((top, _))
                if file.tree.get(&format!("/{top}/etc")).is_some()
                    || file.tree.get(&format!("/{top}/bin")).is_some() =>
            {
                path.get(top.len().saturating_add(1)..).unwrap_or(path)
            }
            _ => path,
        }
    }
}
