//! Writing an unpacked image to disk, safely.
//!
//! # Layout
//!
//! The output directory stands for the input. Each layer is a directory named
//! `<offset>.<format>` (`0x0.gzip`, `0x1c0000.raw`) inside its parent's directory; a layer found
//! inside a file of its parent's tree goes under `files/<path of that file>/` instead. Inside a
//! layer's directory, `tree/` holds its file tree and `blob` the bytes it produced when no
//! layer was identified in them (raw regions, unidentified decompressed data).
//!
//! # Safety argument
//!
//! Nothing is ever written outside the output root, whatever the image contains:
//!
//! 1. The output directory must be new or empty, so everything below it was created by this
//!    call.
//! 2. Every path is built by appending components to the canonical root. Components come from
//!    normalised tree paths (no empty, `.` or `..` component, no NUL, no `/`; see
//!    [`tree`](crate::tree)) or are generated here; each is checked again before use.
//! 3. Directories are created with `create_dir` and files with `create_new`, which fail on
//!    anything already there (including a symlink) instead of following or replacing it.
//! 4. Symlinks are created only after every directory and file has been written, so no write
//!    ever passes through one. Their targets are confined: an absolute target, or a relative
//!    one climbing above its tree's root, is rewritten as a relative link inside that tree's
//!    `tree/` directory (counted in [`Materialized::symlinks_rewritten`]).
//! 5. Hard links are written as copies of the linked file's content, taken from the in-memory
//!    tree, never as links to anything on disk.
//! 6. Device nodes, FIFOs and sockets are not created (listed as skipped).
//! 7. Set-id and sticky bits are dropped; files get at least `rw` and directories `rwx` for the
//!    owner so the output can be cleaned up.
//! 8. Bytes written count against [`Limits::max_total_bytes`](crate::Limits::max_total_bytes)
//!    (hard-link copies included) and the time against
//!    [`Limits::max_time`](crate::Limits::max_time).
//!
//! [`unpack_into`] writes the same layout while it unpacks: a tree's directories when the
//! tree is extracted, each file when its content has been decoded and scanned, then the rest
//! as above. The argument holds unchanged: every directory and file goes through the same
//! checked calls, and the symlinks still come last, after the unpack has finished.
//!
//! The argument assumes no other process writes into the output directory while this runs.

use std::collections::{HashMap, HashSet};
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::ops::ControlFlow;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use crate::blob::Blob;
use crate::error::{MaterializeError, UnpackError};
use crate::layer::Layer;
use crate::limits::{Budget, LayerPath};
use crate::tree::{FileTree, Node, NodeKind};
use crate::unpack::{Sink, Unpacked, Unpacker};

/// Why an entry was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A character or block device: never created.
    Device,
    /// A FIFO: never created.
    Fifo,
    /// A socket: never created.
    Socket,
    /// A hard link whose target is not a file of the same tree.
    DanglingHardlink,
    /// The total byte budget was spent.
    ByteLimit,
    /// The time limit passed.
    TimeLimit,
    /// A name that cannot be written safely.
    UnsafeName,
    /// The operating system refused (name too long, parent not created, ...).
    Io(String),
}

/// One entry that was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Where it would have gone, relative to the output root.
    pub path: PathBuf,
    /// Why it was not written.
    pub reason: SkipReason,
}

/// What [`materialize`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Materialized {
    /// The canonical output root.
    pub root: PathBuf,
    /// Directories created.
    pub dirs: u64,
    /// Regular files written (hard-link copies included).
    pub files: u64,
    /// Hard links written as copies.
    pub hardlinks_copied: u64,
    /// Symlinks created.
    pub symlinks: u64,
    /// Symlinks whose target was rewritten to stay inside their tree.
    pub symlinks_rewritten: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Entries not written, with the reason.
    pub skipped: Vec<Skipped>,
}

/// Writes `unpacked` under `out_dir`, which must not exist or be an empty directory. See the
/// [module documentation](self) for the layout and the safety argument. A result unpacked with
/// [content on demand](Unpacker::content_on_demand) is refused
/// ([`MaterializeError::ContentReleased`]): its layers let go of their bytes once scanned.
pub fn materialize(unpacked: &Unpacked, out_dir: &Path) -> Result<Materialized, MaterializeError> {
    if unpacked
        .layers()
        .iter()
        .any(|(_, layer)| layer.released.is_some())
    {
        return Err(MaterializeError::ContentReleased);
    }
    let root = prepare_root(out_dir)?;
    let budget = Budget::new(unpacked.limits());
    let mut writer = Writer::new(root.clone(), &budget);
    writer.layer(&unpacked.root, &root, true);
    writer.finish_symlinks();
    Ok(writer.summary)
}

/// Unpacks the file `image` with `unpacker` and writes it under `out_dir` in the same pass,
/// with the layout and the safety argument of [`materialize`]: each file is written as soon
/// as it is decoded and scanned, so with [content on demand](Unpacker::content_on_demand)
/// nothing is decoded twice and memory does not grow with the image's unpacked size. The
/// time limit covers the unpacking and the writing together.
pub fn unpack_into(
    unpacker: &Unpacker,
    image: &Path,
    out_dir: &Path,
) -> Result<(Unpacked, Materialized), MaterializeError> {
    // An input that cannot be read leaves no output directory behind.
    fs::File::open(image).map_err(|source| UnpackError::Read {
        path: image.to_path_buf(),
        source,
    })?;
    let root = prepare_root(out_dir)?;
    let budget = Budget::new(unpacker.limits());
    let mut writer = Writer::new(root.clone(), &budget);
    let unpacked = unpacker.unpack_file_with(image, Some(&mut writer))?;
    writer.layer(&unpacked.root, &root, true);
    writer.finish_symlinks();
    Ok((unpacked, writer.summary))
}

fn prepare_root(out_dir: &Path) -> Result<PathBuf, MaterializeError> {
    let prepare = |source| MaterializeError::Prepare {
        path: out_dir.to_path_buf(),
        source,
    };
    match fs::metadata(out_dir) {
        Ok(meta) if meta.is_dir() => {
            if fs::read_dir(out_dir).map_err(prepare)?.next().is_some() {
                return Err(MaterializeError::NotEmpty {
                    path: out_dir.to_path_buf(),
                });
            }
        }
        Ok(_) => {
            return Err(MaterializeError::NotADirectory {
                path: out_dir.to_path_buf(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(out_dir).map_err(prepare)?;
        }
        Err(e) => return Err(prepare(e)),
    }
    fs::canonicalize(out_dir).map_err(prepare)
}

/// A single component that is safe to append to a path we own.
fn safe_component(component: &str) -> bool {
    !component.is_empty()
        && component != "."
        && component != ".."
        && !component.contains('/')
        && !component.contains('\0')
        && matches!(
            Path::new(component).components().next(),
            Some(Component::Normal(_))
        )
}

/// `base` joined with the components of a normalised tree path, or `None` if any component is
/// unsafe.
fn join_tree_path(base: &Path, tree_path: &str) -> Option<PathBuf> {
    let mut path = base.to_path_buf();
    for component in tree_path.split('/').filter(|c| !c.is_empty()) {
        if !safe_component(component) {
            return None;
        }
        path.push(component);
    }
    Some(path)
}

/// A symlink target that stays inside the tree: the target as written when it is relative and
/// never climbs above the tree's root, else the equivalent relative path from the link's
/// directory. Returns the target and whether it was rewritten.
fn confine(link_path: &str, target: &str) -> (String, bool) {
    let link_dir: Vec<&str> = {
        let mut parts: Vec<&str> = link_path.split('/').filter(|c| !c.is_empty()).collect();
        parts.pop();
        parts
    };
    let absolute = target.starts_with('/');
    let mut resolved: Vec<&str> = if absolute {
        Vec::new()
    } else {
        link_dir.clone()
    };
    let mut clamped = false;
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => clamped |= resolved.pop().is_none(),
            other => resolved.push(other),
        }
    }
    if !absolute && !clamped && !target.is_empty() {
        return (target.to_owned(), false);
    }
    let mut parts: Vec<&str> = vec![".."; link_dir.len()];
    parts.extend(resolved);
    if parts.is_empty() {
        return (".".to_owned(), true);
    }
    (parts.join("/"), true)
}

struct Writer<'b> {
    root: PathBuf,
    /// Tree directories written while unpacking, by layer.
    streaming: HashMap<LayerPath, PathBuf>,
    /// The same directories, which the final pass leaves alone.
    streamed: HashSet<PathBuf>,
    /// Directories of layers written while unpacking, which the final pass leaves alone.
    written: HashSet<PathBuf>,
    /// Layer directories already made while unpacking, by layer.
    layer_dirs: HashMap<LayerPath, PathBuf>,
    /// Set once the time limit stopped writing files.
    stopped: bool,
    summary: Materialized,
    bytes_left: u64,
    /// The time limit, and the budget decoding deferred file content runs under.
    budget: &'b Budget,
    /// (link, target, rewritten), created last.
    symlinks: Vec<(PathBuf, String, bool)>,
}

impl<'b> Writer<'b> {
    fn new(root: PathBuf, budget: &'b Budget) -> Writer<'b> {
        Writer {
            summary: Materialized {
                root: root.clone(),
                ..Materialized::default()
            },
            bytes_left: budget.limits().max_total_bytes,
            root,
            streaming: HashMap::new(),
            streamed: HashSet::new(),
            written: HashSet::new(),
            layer_dirs: HashMap::new(),
            stopped: false,
            budget,
            symlinks: Vec::new(),
        }
    }

    /// The directory of the layer at `layer`, created with its parents (once: later calls
    /// find it in `layer_dirs`).
    fn layer_dir(&mut self, layer: &LayerPath) -> Option<PathBuf> {
        if let Some(dir) = self.layer_dirs.get(layer) {
            return Some(dir.clone());
        }
        let mut dir = self.root.clone();
        for step in &layer.chain {
            dir = self.child_dir(&dir, &step.format, step.offset, step.name.as_deref())?;
        }
        self.layer_dirs.insert(layer.clone(), dir.clone());
        Some(dir)
    }
    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf())
    }

    fn skip(&mut self, path: &Path, reason: SkipReason) {
        let path = self.relative(path);
        self.summary.skipped.push(Skipped { path, reason });
    }

    fn time_up(&self) -> bool {
        self.budget.time_up()
    }

    /// Creates one directory (the parent must exist). False when it could not.
    fn mkdir(&mut self, path: &Path, mode: u32) -> bool {
        if !path.starts_with(&self.root) {
            self.skip(path, SkipReason::UnsafeName);
            return false;
        }
        let mut builder = DirBuilder::new();
        #[cfg(unix)]
        builder.mode((mode & 0o777) | 0o700);
        #[cfg(not(unix))]
        let _ = mode;
        match builder.create(path) {
            Ok(()) => {
                self.summary.dirs = self.summary.dirs.saturating_add(1);
                true
            }
            // Only ever a directory this call made earlier (symlinks come last).
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => fs::symlink_metadata(path)
                .is_ok_and(|meta| meta.is_dir() && !meta.file_type().is_symlink()),
            Err(e) => {
                self.skip(path, SkipReason::Io(e.to_string()));
                false
            }
        }
    }

    /// Creates `base` and the directories of `tree_path` below it.
    fn mkdirs(&mut self, base: &Path, tree_path: &str) -> Option<PathBuf> {
        let mut path = base.to_path_buf();
        for component in tree_path.split('/').filter(|c| !c.is_empty()) {
            if !safe_component(component) {
                self.skip(&path, SkipReason::UnsafeName);
                return None;
            }
            path.push(component);
            if !self.mkdir(&path, 0o755) {
                return None;
            }
        }
        Some(path)
    }

    fn write_file(&mut self, path: &Path, content: &[u8], mode: u32) -> bool {
        if !path.starts_with(&self.root) {
            self.skip(path, SkipReason::UnsafeName);
            return false;
        }
        let len = u64::try_from(content.len()).unwrap_or(u64::MAX);
        if len > self.bytes_left {
            self.skip(path, SkipReason::ByteLimit);
            return false;
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode((mode & 0o777) | 0o600);
        #[cfg(not(unix))]
        let _ = mode;
        let result = options
            .open(path)
            .and_then(|mut file| file.write_all(content));
        match result {
            Ok(()) => {
                self.bytes_left = self.bytes_left.saturating_sub(len);
                self.summary.bytes = self.summary.bytes.saturating_add(len);
                self.summary.files = self.summary.files.saturating_add(1);
                true
            }
            Err(e) => {
                self.skip(path, SkipReason::Io(e.to_string()));
                false
            }
        }
    }

    fn layer(&mut self, layer: &Layer, dir: &Path, is_root: bool) {
        if self.time_up() {
            self.skip(dir, SkipReason::TimeLimit);
            return;
        }
        let blob_covered = layer.children.iter().any(|child| child.name.is_none());
        if !is_root && !blob_covered {
            if let Some(content) = &layer.content {
                self.write_blob(dir, content);
            }
        }
        if let Some(tree) = &layer.tree {
            let base = dir.join("tree");
            if !self.streamed.contains(&base) {
                self.tree(tree, &base);
            }
        }
        for child in &layer.children {
            let dir = self.child_dir(dir, &child.format, child.offset, child.name.as_deref());
            if let Some(dir) = dir {
                if !self.written.contains(&dir) {
                    self.layer(child, &dir, false);
                }
            }
        }
    }

    fn write_blob(&mut self, dir: &Path, content: &Blob) {
        let path = dir.join("blob");
        self.write_file(&path, content, 0o644);
    }

    /// Writes a tree: directories, links and skipped entries in path order, then the files
    /// (deferred content decoded a window at a time).
    fn tree(&mut self, tree: &FileTree, base: &Path) {
        if !self.tree_entries(tree, base) {
            return;
        }
        let budget = self.budget;
        tree.for_each_file(true, budget, |node, loaded| {
            self.tree_file(base, node, &loaded.content)
        });
    }

    /// Creates `base` and the tree's directories, notes its symlinks and skips its special
    /// files; false when `base` could not be made or time ran out.
    fn tree_entries(&mut self, tree: &FileTree, base: &Path) -> bool {
        if !self.mkdir(base, 0o755) {
            return false;
        }
        for node in tree.iter() {
            if node.path == "/" {
                continue;
            }
            let Some(path) = join_tree_path(base, &node.path) else {
                self.skip(&base.join("?"), SkipReason::UnsafeName);
                continue;
            };
            if self.time_up() {
                self.skip(&path, SkipReason::TimeLimit);
                return false;
            }
            match &node.kind {
                NodeKind::Dir => {
                    self.mkdir(&path, node.mode);
                }
                NodeKind::File => {}
                NodeKind::Hardlink { .. } => {
                    if !node.has_content() {
                        self.skip(&path, SkipReason::DanglingHardlink);
                    }
                }
                NodeKind::Symlink { target } => {
                    let (target, rewritten) = confine(&node.path, target);
                    self.symlinks.push((path, target, rewritten));
                }
                NodeKind::CharDevice { .. } | NodeKind::BlockDevice { .. } => {
                    self.skip(&path, SkipReason::Device);
                }
                NodeKind::Fifo => self.skip(&path, SkipReason::Fifo),
                NodeKind::Socket => self.skip(&path, SkipReason::Socket),
            }
        }
        true
    }

    /// Writes a regular file, or a hard link as a copy, of the tree at `base`.
    fn tree_file(&mut self, base: &Path, node: &Node, content: &[u8]) -> ControlFlow<()> {
        if self.stopped {
            return ControlFlow::Break(());
        }
        let Some(path) = join_tree_path(base, &node.path) else {
            self.skip(&base.join("?"), SkipReason::UnsafeName);
            return ControlFlow::Continue(());
        };
        if self.time_up() {
            self.skip(&path, SkipReason::TimeLimit);
            self.stopped = true;
            return ControlFlow::Break(());
        }
        let written = self.write_file(&path, content, node.mode);
        if written && !node.is_file() {
            self.summary.hardlinks_copied = self.summary.hardlinks_copied.saturating_add(1);
        }
        ControlFlow::Continue(())
    }

    /// The directory of a nested layer inside `parent`'s directory, created: `<offset>.<format>`,
    /// under `files/<path of the file>/` for a layer found in a file of the parent's tree.
    fn child_dir(
        &mut self,
        parent: &Path,
        format: &str,
        offset: u64,
        file: Option<&str>,
    ) -> Option<PathBuf> {
        let parent = match file {
            None => parent.to_path_buf(),
            Some(file) => {
                let files = self.mkdirs(parent, "files")?;
                self.mkdirs(&files, file)?
            }
        };
        let dir_name = format!("{offset:#x}.{format}");
        if !safe_component(&dir_name) {
            self.skip(&parent, SkipReason::UnsafeName);
            return None;
        }
        let dir = parent.join(dir_name);
        self.mkdir(&dir, 0o755).then_some(dir)
    }

    fn finish_symlinks(&mut self) {
        for (link, target, rewritten) in std::mem::take(&mut self.symlinks) {
            if !link.starts_with(&self.root) {
                self.skip(&link, SkipReason::UnsafeName);
                continue;
            }
            match make_symlink(&target, &link) {
                Ok(()) => {
                    self.summary.symlinks = self.summary.symlinks.saturating_add(1);
                    if rewritten {
                        self.summary.symlinks_rewritten =
                            self.summary.symlinks_rewritten.saturating_add(1);
                    }
                }
                Err(e) => self.skip(&link, SkipReason::Io(e.to_string())),
            }
        }
    }
}

impl Sink for Writer<'_> {
    fn tree(&mut self, layer: &LayerPath, tree: &FileTree) {
        let Some(dir) = self.layer_dir(layer) else {
            return;
        };
        let base = dir.join("tree");
        self.streamed.insert(base.clone());
        if self.tree_entries(tree, &base) {
            self.streaming.insert(layer.clone(), base);
        }
    }

    fn file(&mut self, layer: &LayerPath, node: &Node, content: &Blob) {
        if let Some(base) = self.streaming.get(layer).cloned() {
            let _ = self.tree_file(&base, node, content);
        }
    }

    fn layers(&mut self, parent: &LayerPath, layers: &[Layer]) {
        if layers.is_empty() {
            return;
        }
        let Some(parent_dir) = self.layer_dir(parent) else {
            return;
        };
        for layer in layers {
            let name = layer.name.as_deref();
            if let Some(dir) = self.child_dir(&parent_dir, &layer.format, layer.offset, name) {
                if self.written.insert(dir.clone()) {
                    self.layer(layer, &dir, false);
                }
            }
        }
    }
}

#[cfg(unix)]
fn make_symlink(target: &str, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_symlink(_target: &str, _link: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "symlinks are only created on Unix",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confines_symlink_targets_to_the_tree() {
        assert_eq!(confine("/bin/sh", "busybox"), ("busybox".into(), false));
        assert_eq!(
            confine("/usr/bin/x", "../lib/y"),
            ("../lib/y".into(), false)
        );
        assert_eq!(
            confine("/etc/mtab", "/proc/mounts"),
            ("../proc/mounts".into(), true)
        );
        assert_eq!(
            confine("/a/b/link", "../../../../../etc/passwd"),
            ("../../etc/passwd".into(), true)
        );
        assert_eq!(confine("/top", "/"), (".".into(), true));
        assert_eq!(confine("/top", ""), (".".into(), true));
    }

    #[test]
    fn unsafe_components_are_refused() {
        for bad in ["", ".", "..", "a/b", "nul\0"] {
            assert!(!safe_component(bad), "{bad:?}");
        }
        assert!(safe_component("..."));
        assert!(join_tree_path(Path::new("/out"), "/a/../b").is_none());
        assert_eq!(
            join_tree_path(Path::new("/out"), "/a/b"),
            Some(PathBuf::from("/out/a/b"))
        );
    }
}
