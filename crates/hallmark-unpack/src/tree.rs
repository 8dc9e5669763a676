//! The read-only virtual file tree of an archive or filesystem layer.
//!
//! Collectors read a [`FileTree`] in memory; nothing is written to disk unless
//! [`materialize`](crate::materialize()) is called. A file's content is either in memory or,
//! for filesystem readers that defer it (squashfs), decoded when first read
//! ([`Node::content`] keeps it, [`Node::load`] does not).
//!
//! # Paths
//!
//! Every node has a normalised absolute path: `/` separated, starting with `/`, without empty,
//! `.` or `..` components. Names from the image are raw bytes; they are mapped to paths
//! *lexically* and never through the host filesystem:
//!
//! - a leading `/` is stripped (recorded as [`AnomalyKind::AbsolutePath`]);
//! - `.` is dropped and `..` removes the previous component; a `..` that would climb above the
//!   root is dropped and recorded as [`AnomalyKind::ParentTraversal`] (an escape attempt);
//! - bytes that are not valid UTF-8 and control characters (including NUL) are escaped as
//!   `\xNN`, and a backslash as `\\`, so every raw name maps to a distinct printable path and
//!   [`unescape`] gives the raw bytes back ([`AnomalyKind::EscapedName`]);
//! - paths longer than [`MAX_PATH_BYTES`] are refused.
//!
//! Missing parent directories are created implicitly. An entry whose parent is not a directory
//! (a file, or a symlink: the "symlink, then write through it" trick) is refused and recorded
//! ([`AnomalyKind::ParentNotDirectory`]), so the tree never places a node below a link. A
//! later entry replaces an earlier one at the same path ([`AnomalyKind::Duplicate`]), except
//! that a directory that already has children is never replaced.
//!
//! # Links
//!
//! Symlink targets are recorded as written (escaped, not normalised) and are only ever resolved
//! inside the tree ([`FileTree::resolve`]), with an absolute target meaning the tree's root and
//! at most [`MAX_SYMLINK_HOPS`] hops. Hard links name another node of the same tree (their
//! target is normalised like any path) and share its content.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::ops::{Bound, ControlFlow};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Serialize;

use crate::blob::Blob;
use crate::layer::LayerError;
use crate::limits::{Budget, Limits};

/// Longest normalised path (in bytes, after escaping) a tree accepts, as Linux's `PATH_MAX`.
pub const MAX_PATH_BYTES: usize = 4096;

/// Bytes of file content decoded at a time by [`FileTree::for_each_file`].
pub(crate) const WINDOW_BYTES: u64 = 16 << 20;

/// Most symlinks followed while resolving one path, as Linux's `MAXSYMLINKS`.
pub const MAX_SYMLINK_HOPS: u32 = 40;

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink {
        /// The target exactly as recorded in the image (escaped like a path, not normalised).
        target: String,
    },
    /// A hard link to another node of the same tree.
    Hardlink {
        /// Normalised path of the linked node.
        target: String,
    },
    /// A character device (recorded, never created).
    CharDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A block device (recorded, never created).
    BlockDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A named pipe (recorded, never created).
    Fifo,
    /// A Unix socket (recorded, never created).
    Socket,
}

/// One file, directory, link or special file of a [`FileTree`].
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Normalised absolute path.
    pub path: String,
    /// What the node is.
    #[serde(flatten)]
    pub kind: NodeKind,
    /// Permission bits (`0o7777`: rwx for user, group, other, plus setuid, setgid, sticky).
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: i64,
    /// Size in bytes: the content's length for files and hard links, the target's length for
    /// symlinks, 0 otherwise.
    pub size: u64,
    #[serde(skip)]
    content: Option<Content>,
}

/// Decodes file contents on demand: a filesystem reader's plan for its data blocks, holding
/// the image bytes and what each file needs from them. Every byte a source can produce was
/// reserved from the budget when the tree was built.
pub(crate) trait Source: Send + Sync {
    /// Decodes the files `keys` (sorted, distinct), in parallel where it pays; one result per
    /// key, in order. Decoding stops early when `budget`'s time is up.
    fn decode(&self, keys: &[usize], budget: &Budget) -> Vec<Decoded>;

    /// The bytes this source decodes from, which it keeps alive.
    fn data(&self) -> &Blob;

    /// Whether files are best read in key order (a stream decoded from its start), rather
    /// than in path order.
    fn sequential(&self) -> bool {
        false
    }
}

/// One file decoded by a [`Source`].
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The bytes produced (shorter than planned when decoding failed or was stopped).
    pub content: Blob,
    /// What else came of the decoding.
    pub outcome: Settled,
}

/// What came of decoding a deferred file, taken from its first decoding under the unpack's
/// budget.
#[derive(Debug, Default)]
pub(crate) struct Settled {
    /// Damage found, at an offset of the layer.
    pub error: Option<LayerError>,
    /// Whether the time limit stopped decoding.
    pub timed_out: bool,
    /// Bytes reserved for the file and not produced, to give back to the budget.
    pub refund: u64,
}

/// The state shared by every node naming one deferred file (hard links, duplicates).
#[derive(Default)]
struct Slot {
    /// The content, once kept.
    cache: OnceLock<Blob>,
    /// The length produced by the first decoding; later decodings are cut to it, so a file
    /// the time limit cut stays cut however often it is read.
    settled: OnceLock<usize>,
}

/// A file whose content is decoded when it is read.
#[derive(Clone)]
pub(crate) struct Deferred {
    source: Arc<dyn Source>,
    key: usize,
    /// Bytes planned.
    size: u64,
    slot: Arc<Slot>,
}

impl Deferred {
    /// File `key` of `source`, of `size` bytes as planned. Clones share the decoded content.
    pub(crate) fn new(source: Arc<dyn Source>, key: usize, size: u64) -> Deferred {
        Deferred {
            source,
            key,
            size,
            slot: Arc::new(Slot::default()),
        }
    }

    /// Decodes the content again, outside any unpack budget: no time limit (the bytes were
    /// bounded when the tree was built), cut to the settled length.
    fn decode_alone(&self) -> Blob {
        let limits = Limits {
            max_time: Duration::MAX,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let content = self
            .source
            .decode(&[self.key], &budget)
            .pop()
            .map(|d| d.content)
            .unwrap_or_default();
        self.cut(content)
    }

    fn cut(&self, content: Blob) -> Blob {
        match self.slot.settled.get() {
            Some(&len) if len < content.len() => content.slice(0..len).unwrap_or_default(),
            _ => content,
        }
    }

    fn same_source(&self, other: &Deferred) -> bool {
        Arc::ptr_eq(&self.source, &other.source)
    }
}

/// A file's content, as [`FileTree::for_each_file`] hands it over.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The bytes.
    pub content: Blob,
    /// The outcome of the file's first decoding, when this call made it.
    pub settled: Option<Settled>,
}

impl Loaded {
    fn plain(content: Blob) -> Loaded {
        Loaded {
            content,
            settled: None,
        }
    }
}

/// Where a file's bytes are.
#[derive(Clone)]
enum Content {
    /// In memory.
    Ready(Blob),
    /// Decoded on demand.
    Deferred(Deferred),
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Content::Ready(blob) => write!(f, "{blob:?}"),
            Content::Deferred(d) => match d.slot.cache.get() {
                Some(blob) => write!(f, "Deferred({}, kept {blob:?})", d.key),
                None => write!(f, "Deferred({})", d.key),
            },
        }
    }
}

impl Node {
    /// The content of a regular file (or of the file a hard link names); `None` for anything
    /// else, and for a file whose content an unpack with [content
    /// on demand](crate::Unpacker::content_on_demand) let go of (see
    /// [`Layer::released`](crate::Layer::released)). Content a filesystem reader deferred is
    /// decoded on the first call and kept for the tree's lifetime; [`load`](Node::load) reads
    /// it without keeping it.
    pub fn content(&self) -> Option<&Blob> {
        match self.content.as_ref()? {
            Content::Ready(blob) => Some(blob),
            Content::Deferred(d) => Some(d.slot.cache.get_or_init(|| d.decode_alone())),
        }
    }

    /// The content of a regular file or hard link, as [`content`](Node::content), but content
    /// not kept in memory is decoded for this call only and dropped with the returned blob.
    pub fn load(&self) -> Option<Blob> {
        match self.content.as_ref()? {
            Content::Ready(blob) => Some(blob.clone()),
            Content::Deferred(d) => Some(match d.slot.cache.get() {
                Some(blob) => blob.clone(),
                None => d.decode_alone(),
            }),
        }
    }

    /// Whether the node has content (a regular file, or a hard link to one).
    pub(crate) fn has_content(&self) -> bool {
        self.content.is_some()
    }

    /// Keeps `content` in memory as this node's deferred content (a no-op for content
    /// already in memory).
    pub(crate) fn keep(&self, content: Blob) {
        if let Some(Content::Deferred(d)) = &self.content {
            let _ = d.slot.cache.set(content);
        }
    }

    /// Whether the content is in memory (always, except for deferred content not read yet or
    /// not kept).
    pub fn is_loaded(&self) -> bool {
        match &self.content {
            Some(Content::Deferred(d)) => d.slot.cache.get().is_some(),
            _ => true,
        }
    }

    /// Last path component (`""` for the root).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == NodeKind::Dir
    }

    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.kind == NodeKind::File
    }
}

/// What an [`Entry`] is, with link targets as raw bytes from the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link to the raw target.
    Symlink(Vec<u8>),
    /// A hard link to the raw path of another entry.
    Hardlink(Vec<u8>),
    /// A character device.
    CharDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A block device.
    BlockDevice {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
}

/// An archive member or filesystem object as read from the image, before its path is
/// normalised: the input of [`FileTree::add`].
#[derive(Debug, Clone)]
pub struct Entry {
    path: Vec<u8>,
    kind: EntryKind,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    content: Option<Content>,
}

impl Entry {
    /// An entry of `kind` at the raw `path`, owned by root, with mode `0o755` for directories,
    /// `0o777` for symlinks and `0o644` otherwise.
    pub fn new(path: impl AsRef<[u8]>, kind: EntryKind) -> Entry {
        let mode = match kind {
            EntryKind::Dir => 0o755,
            EntryKind::Symlink(_) => 0o777,
            _ => 0o644,
        };
        Entry {
            path: path.as_ref().to_vec(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            mtime: 0,
            content: None,
        }
    }

    /// A regular file with `content`.
    pub fn file(path: impl AsRef<[u8]>, content: impl Into<Blob>) -> Entry {
        Entry::new(path, EntryKind::File).content(content)
    }

    /// A directory.
    pub fn dir(path: impl AsRef<[u8]>) -> Entry {
        Entry::new(path, EntryKind::Dir)
    }

    /// A symlink to `target`.
    pub fn symlink(path: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Entry {
        Entry::new(path, EntryKind::Symlink(target.as_ref().to_vec()))
    }

    /// A hard link to the entry at `target`.
    pub fn hardlink(path: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Entry {
        Entry::new(path, EntryKind::Hardlink(target.as_ref().to_vec()))
    }

    /// The raw path as found in the image.
    pub fn raw_path(&self) -> &[u8] {
        &self.path
    }

    /// Sets the permission bits (masked to `0o7777`).
    pub fn mode(mut self, mode: u32) -> Entry {
        self.mode = mode & 0o7777;
        self
    }

    /// Sets the owner.
    pub fn owner(mut self, uid: u32, gid: u32) -> Entry {
        self.uid = uid;
        self.gid = gid;
        self
    }

    /// Sets the modification time.
    pub fn mtime(mut self, mtime: i64) -> Entry {
        self.mtime = mtime;
        self
    }

    /// Sets the content (used for regular files only).
    pub fn content(mut self, content: impl Into<Blob>) -> Entry {
        self.content = Some(Content::Ready(content.into()));
        self
    }

    /// Sets content that is decoded when read.
    pub(crate) fn deferred(mut self, content: Deferred) -> Entry {
        self.content = Some(Content::Deferred(content));
        self
    }
}

/// A suspicious or conflicting path seen while building a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// The name started with `/`; it was made relative to the tree's root.
    AbsolutePath,
    /// A `..` tried to climb above the root (an escape attempt); it was dropped.
    ParentTraversal,
    /// The name held control characters or bytes that are not UTF-8; they were escaped.
    EscapedName,
    /// The name was empty (or only `.`/`/`) but the entry was not a directory; refused.
    EmptyName,
    /// The normalised path, or a link target, is longer than [`MAX_PATH_BYTES`]; refused.
    PathTooLong,
    /// The entry replaced an earlier one at the same path.
    Duplicate,
    /// A parent of the entry is not a directory (e.g. a symlink written through); refused.
    ParentNotDirectory,
    /// The entry would have replaced a directory that has children; refused.
    ReplacesDirectory,
    /// A hard link's target tried to climb above the root (an escape attempt); it was clamped.
    LinkTraversal,
    /// A hard link names a path that is not in the tree (e.g. `/etc/passwd` of the host).
    DanglingHardlink,
    /// A hard link names a directory or itself; refused.
    InvalidHardlink,
    /// The tree's node limit was reached; refused.
    NodeLimit,
}

impl AnomalyKind {
    /// Whether this anomaly is an attempt to reach outside the tree.
    pub fn is_escape_attempt(self) -> bool {
        matches!(
            self,
            AnomalyKind::ParentTraversal
                | AnomalyKind::ParentNotDirectory
                | AnomalyKind::LinkTraversal
                | AnomalyKind::DanglingHardlink
        )
    }
}

/// A path anomaly recorded on a [`FileTree`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathAnomaly {
    /// What happened.
    pub kind: AnomalyKind,
    /// The name as found in the image (escaped, not normalised).
    pub raw: String,
    /// The normalised path it maps to.
    pub path: String,
}

/// What [`FileTree::add`] did with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A new node was created.
    Inserted,
    /// An earlier node at the same path was replaced.
    Replaced,
    /// An existing directory's metadata was updated.
    Merged,
    /// The entry was refused; the anomaly was recorded.
    Refused(AnomalyKind),
}

/// Why a path did not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No node at this path.
    #[error("{0}: no such file or directory")]
    NotFound(String),
    /// A component that is not a directory was used as one.
    #[error("{0}: not a directory")]
    NotADirectory(String),
    /// More than [`MAX_SYMLINK_HOPS`] symlinks, usually a loop.
    #[error("{0}: too many levels of symbolic links")]
    TooManyLinks(String),
}

/// A read-only virtual file tree: nodes sorted by path, plus the anomalies seen building it.
#[derive(Debug, Clone)]
pub struct FileTree {
    nodes: BTreeMap<String, Node>,
    anomalies: Vec<PathAnomaly>,
    node_limit: u64,
}

impl Default for FileTree {
    fn default() -> FileTree {
        FileTree::new()
    }
}

impl FileTree {
    /// A tree holding only the root directory.
    pub fn new() -> FileTree {
        FileTree::with_node_limit(u64::MAX)
    }

    /// A tree that refuses entries once it holds `limit` nodes (implicit directories count).
    pub fn with_node_limit(limit: u64) -> FileTree {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_owned(), dir_node("/".to_owned()));
        FileTree {
            nodes,
            anomalies: Vec::new(),
            node_limit: limit,
        }
    }

    /// Number of nodes, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree holds nothing but its root.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// All nodes in path order (the root first; a directory always before its contents).
    pub fn iter(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// Regular files in path order.
    pub fn files(&self) -> impl Iterator<Item = &Node> {
        self.iter().filter(|node| node.is_file())
    }

    /// Anomalies seen while building the tree, in the order they happened.
    pub fn anomalies(&self) -> &[PathAnomaly] {
        &self.anomalies
    }

    /// The node at `path` (normalised lexically first; symlinks are not followed).
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(&normalise_escaped(path))
    }

    /// The direct children of the directory at `path`, in path order.
    pub fn children(&self, path: &str) -> impl Iterator<Item = &Node> {
        let dir = normalise_escaped(path);
        let prefix = if dir == "/" { dir } else { format!("{dir}/") };
        let children: Vec<&Node> = self
            .nodes
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .map(|(_, node)| node)
            .take_while(|node| node.path.starts_with(&prefix))
            .filter(|node| {
                node.path
                    .get(prefix.len()..)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            })
            .collect();
        children.into_iter()
    }

    /// The node `path` leads to, following symlinks in every component (the last included)
    /// inside this tree only: an absolute target starts again at this tree's root, and `..`
    /// stops at the root.
    pub fn resolve(&self, path: &str) -> Result<&Node, ResolveError> {
        let resolved = self.resolve_path(path, true)?;
        self.nodes
            .get(&resolved)
            .ok_or(ResolveError::NotFound(resolved))
    }

    /// The content of the file `path` leads to (following symlinks as
    /// [`resolve`](FileTree::resolve) does, and hard links).
    pub fn read(&self, path: &str) -> Option<&Blob> {
        self.resolve(path).ok()?.content()
    }

    /// Resolves `path` to the normalised path of the node it leads to. With `follow_last`
    /// false, a symlink in the last component is returned itself.
    pub fn resolve_path(&self, path: &str, follow_last: bool) -> Result<String, ResolveError> {
        // Components still to walk, in reverse order (a stack).
        let mut pending: Vec<String> = split_reversed(path);
        let mut current: Vec<String> = Vec::new();
        let mut hops: u32 = 0;
        while let Some(component) = pending.pop() {
            match component.as_str() {
                "" | "." => continue,
                ".." => {
                    current.pop();
                    continue;
                }
                _ => {}
            }
            current.push(component);
            let here = join(&current);
            let Some(node) = self.nodes.get(&here) else {
                return Err(ResolveError::NotFound(here));
            };
            match &node.kind {
                NodeKind::Symlink { target } if follow_last || !pending.is_empty() => {
                    hops = hops.saturating_add(1);
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(ResolveError::TooManyLinks(path.to_owned()));
                    }
                    current.pop();
                    if target.starts_with('/') {
                        current.clear();
                    }
                    pending.extend(split_reversed(target));
                }
                NodeKind::Dir => {}
                _ if !pending.iter().all(|c| c.is_empty() || c == ".") => {
                    return Err(ResolveError::NotADirectory(here));
                }
                _ => {}
            }
        }
        Ok(join(&current))
    }

    /// Adds an entry, normalising its path and recording anomalies (see the
    /// [module documentation](self) for the rules).
    pub fn add(&mut self, entry: Entry) -> Added {
        let raw = escape_path(&entry.path);
        let normal = normalise(&entry.path);
        if normal.absolute {
            self.anomaly(AnomalyKind::AbsolutePath, &raw, &normal.path);
        }
        if normal.climbed {
            self.anomaly(AnomalyKind::ParentTraversal, &raw, &normal.path);
        }
        if normal.escaped {
            self.anomaly(AnomalyKind::EscapedName, &raw, &normal.path);
        }
        let path = normal.path;
        let long_target = matches!(&entry.kind, EntryKind::Symlink(t) | EntryKind::Hardlink(t) if t.len() > MAX_PATH_BYTES);
        if path.len() > MAX_PATH_BYTES || long_target {
            return self.refuse(AnomalyKind::PathTooLong, &raw, &path);
        }
        if path == "/" {
            if entry.kind != EntryKind::Dir {
                return self.refuse(AnomalyKind::EmptyName, &raw, &path);
            }
            if let Some(root) = self.nodes.get_mut("/") {
                root.mode = entry.mode;
                root.uid = entry.uid;
                root.gid = entry.gid;
                root.mtime = entry.mtime;
            }
            return Added::Merged;
        }

        // Parents: all must be directories; count the ones to create.
        let mut missing: Vec<String> = Vec::new();
        for parent in ancestors(&path) {
            match self.nodes.get(parent) {
                Some(node) if node.is_dir() => {}
                Some(_) => return self.refuse(AnomalyKind::ParentNotDirectory, &raw, &path),
                None => missing.push(parent.to_owned()),
            }
        }

        let Some((kind, content)) = self.entry_kind(&entry, &raw, &path) else {
            return Added::Refused(AnomalyKind::InvalidHardlink);
        };

        let outcome = match self.nodes.get(&path) {
            Some(existing) if existing.is_dir() && kind == NodeKind::Dir => Added::Merged,
            Some(existing) if existing.is_dir() && self.has_descendants(&path) => {
                return self.refuse(AnomalyKind::ReplacesDirectory, &raw, &path);
            }
            Some(_) => {
                self.anomaly(AnomalyKind::Duplicate, &raw, &path);
                Added::Replaced
            }
            None => Added::Inserted,
        };

        let new_nodes = u64::try_from(missing.len())
            .unwrap_or(u64::MAX)
            .saturating_add(u64::from(outcome == Added::Inserted));
        let total = u64::try_from(self.nodes.len()).unwrap_or(u64::MAX);
        if total.saturating_add(new_nodes) > self.node_limit {
            return self.refuse(AnomalyKind::NodeLimit, &raw, &path);
        }
        for dir in missing {
            self.nodes.insert(dir.clone(), dir_node(dir));
        }

        let size = match (&kind, &content) {
            (NodeKind::Symlink { target }, _) => u64::try_from(target.len()).unwrap_or(u64::MAX),
            (_, Some(Content::Ready(blob))) => u64::try_from(blob.len()).unwrap_or(u64::MAX),
            (_, Some(Content::Deferred(d))) => {
                let settled = d.slot.settled.get().copied().map(u64::try_from);
                settled.and_then(Result::ok).unwrap_or(d.size)
            }
            _ => 0,
        };
        let node = Node {
            path: path.clone(),
            kind,
            mode: entry.mode & 0o7777,
            uid: entry.uid,
            gid: entry.gid,
            mtime: entry.mtime,
            size,
            content,
        };
        self.nodes.insert(path, node);
        outcome
    }

    /// The node kind and content for `entry`, or `None` (anomaly recorded) for an invalid hard
    /// link.
    fn entry_kind(
        &mut self,
        entry: &Entry,
        raw: &str,
        path: &str,
    ) -> Option<(NodeKind, Option<Content>)> {
        Some(match &entry.kind {
            EntryKind::File => (
                NodeKind::File,
                Some(
                    entry
                        .content
                        .clone()
                        .unwrap_or(Content::Ready(Blob::empty())),
                ),
            ),
            EntryKind::Dir => (NodeKind::Dir, None),
            EntryKind::Symlink(target) => (
                NodeKind::Symlink {
                    target: escape_path(target),
                },
                None,
            ),
            EntryKind::Hardlink(target) => {
                let normal = normalise(target);
                if normal.climbed {
                    self.anomaly(AnomalyKind::LinkTraversal, raw, &normal.path);
                }
                // A link to a link shares the first one's target.
                let mut target_path = normal.path;
                let mut content = None;
                match self.nodes.get(&target_path) {
                    None => self.anomaly(AnomalyKind::DanglingHardlink, raw, &target_path),
                    Some(node) => match &node.kind {
                        NodeKind::File => content = node.content.clone(),
                        NodeKind::Hardlink { target } => {
                            content = node.content.clone();
                            target_path = target.clone();
                        }
                        _ => {
                            self.anomaly(AnomalyKind::InvalidHardlink, raw, path);
                            return None;
                        }
                    },
                }
                if target_path == path {
                    self.anomaly(AnomalyKind::InvalidHardlink, raw, path);
                    return None;
                }
                (
                    NodeKind::Hardlink {
                        target: target_path,
                    },
                    content,
                )
            }
            EntryKind::CharDevice { major, minor } => (
                NodeKind::CharDevice {
                    major: *major,
                    minor: *minor,
                },
                None,
            ),
            EntryKind::BlockDevice { major, minor } => (
                NodeKind::BlockDevice {
                    major: *major,
                    minor: *minor,
                },
                None,
            ),
            EntryKind::Fifo => (NodeKind::Fifo, None),
            EntryKind::Socket => (NodeKind::Socket, None),
        })
    }

    /// Calls `f` with every regular file (and, with `links`, every hard link) and its content,
    /// in path order (in key order for content of a [sequential](Source::sequential) source),
    /// decoding deferred content [`WINDOW_BYTES`] at a time, in one batch per source, under
    /// `budget`. The first decoding of a deferred file settles it: its outcome comes once,
    /// with that file's first occurrence. `f` may stop the walk.
    pub(crate) fn for_each_file(
        &self,
        links: bool,
        budget: &Budget,
        mut f: impl FnMut(&Node, Loaded) -> ControlFlow<()>,
    ) {
        let mut files: Vec<&Node> = self
            .iter()
            .filter(|n| n.is_file() || (links && matches!(n.kind, NodeKind::Hardlink { .. })))
            .collect();
        let sequential = |node: &&Node| match &node.content {
            Some(Content::Deferred(d)) if d.source.sequential() => Some(d.key),
            _ => None,
        };
        if files.iter().any(|node| sequential(node).is_some()) {
            files.sort_by_key(|node| sequential(node).unwrap_or(usize::MAX));
        }
        let mut windows: Vec<&[&Node]> = Vec::new();
        let mut rest = files.as_slice();
        while !rest.is_empty() {
            let mut bytes = 0u64;
            let mut count = rest
                .iter()
                .take_while(|node| {
                    let fits = bytes < WINDOW_BYTES;
                    bytes = bytes.saturating_add(node.size);
                    fits
                })
                .count()
                .max(1);
            // Names of one file of a sequential source (a hard link and its target) stay in
            // one window: read in the next, the file would restart the source's decoding.
            while let (Some(last), Some(next)) = (
                count.checked_sub(1).and_then(|i| rest.get(i)),
                rest.get(count),
            ) {
                if sequential(last).is_none() || sequential(last) != sequential(next) {
                    break;
                }
                count = count.saturating_add(1);
            }
            let (window, later) = rest.split_at(count.min(rest.len()));
            windows.push(window);
            rest = later;
        }
        // The next window decodes on a thread of its own while `f` works through this one.
        std::thread::scope(|scope| {
            let mut ready = windows.first().map(|w| load_many(w, budget));
            let mut pending = None;
            for (i, window) in windows.iter().enumerate() {
                let loaded = match (ready.take(), pending.take()) {
                    (Some(loaded), _) => loaded,
                    (None, Some(handle)) => {
                        let handle: std::thread::ScopedJoinHandle<'_, _> = handle;
                        handle.join().unwrap_or_default()
                    }
                    (None, None) => Vec::new(),
                };
                if let Some(next) = windows.get(i.saturating_add(1)).copied() {
                    pending = Some(scope.spawn(move || load_many(next, budget)));
                }
                for (node, loaded) in window.iter().zip(loaded) {
                    if let Some(loaded) = loaded {
                        if f(node, loaded).is_break() {
                            return;
                        }
                    }
                }
            }
        });
    }

    /// Drops the file contents: they read as `None` from now on, except those decoded on
    /// demand from bytes of `input` (which is kept anyway). Sizes stay.
    pub(crate) fn release(&mut self, input: &Blob) {
        for node in self.nodes.values_mut() {
            let readable = match &node.content {
                Some(Content::Deferred(d)) => d.source.data().shares_buffer(input),
                _ => false,
            };
            if !readable {
                node.content = None;
            }
        }
    }

    /// Sets the size of every node with deferred content to the length its first decoding
    /// produced (shorter than planned after damage or a limit).
    pub(crate) fn settle_sizes(&mut self) {
        for node in self.nodes.values_mut() {
            if let Some(Content::Deferred(d)) = &node.content {
                if let Some(&len) = d.slot.settled.get() {
                    node.size = u64::try_from(len).unwrap_or(u64::MAX);
                }
            }
        }
    }

    fn has_descendants(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.nodes
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .next()
            .is_some_and(|(key, _)| key.starts_with(&prefix))
    }

    fn anomaly(&mut self, kind: AnomalyKind, raw: &str, path: &str) {
        self.anomalies.push(PathAnomaly {
            kind,
            raw: raw.to_owned(),
            path: path.to_owned(),
        });
    }

    fn refuse(&mut self, kind: AnomalyKind, raw: &str, path: &str) -> Added {
        self.anomaly(kind, raw, path);
        Added::Refused(kind)
    }
}

/// The contents of `nodes` (`None` for a node without content), decoding deferred content in
/// one batch per source under `budget`; see [`FileTree::for_each_file`].
fn load_many(nodes: &[&Node], budget: &Budget) -> Vec<Option<Loaded>> {
    let mut out: Vec<Option<Loaded>> = Vec::with_capacity(nodes.len());
    // Deferred files still to decode: (index in `out`, the content).
    let mut pending: Vec<(usize, &Deferred)> = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        let loaded = match node.content.as_ref() {
            None => None,
            Some(Content::Ready(blob)) => Some(Loaded::plain(blob.clone())),
            Some(Content::Deferred(d)) => match d.slot.cache.get() {
                Some(blob) => Some(Loaded::plain(blob.clone())),
                None => {
                    pending.push((index, d));
                    Some(Loaded::plain(Blob::empty()))
                }
            },
        };
        out.push(loaded);
    }
    while let Some(&(_, first)) = pending.first() {
        let (group, rest): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|(_, d)| d.same_source(first));
        pending = rest;
        let mut keys: Vec<usize> = group.iter().map(|(_, d)| d.key).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut decoded: Vec<Decoded> = first.source.decode(&keys, budget);
        for (index, deferred) in group {
            let Ok(at) = keys.binary_search(&deferred.key) else {
                continue;
            };
            let Some(result) = decoded.get_mut(at) else {
                continue;
            };
            let fresh = deferred.slot.settled.set(result.content.len()).is_ok();
            let settled = fresh.then(|| std::mem::take(&mut result.outcome));
            let content = deferred.cut(result.content.clone());
            if let Some(slot) = out.get_mut(index) {
                *slot = Some(Loaded { content, settled });
            }
        }
    }
    out
}

fn dir_node(path: String) -> Node {
    Node {
        path,
        kind: NodeKind::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
        mtime: 0,
        size: 0,
        content: None,
    }
}

/// Proper ancestors of a normalised path, root excluded, outermost first: `/a/b/c` gives
/// `/a`, `/a/b`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|&(i, c)| c == '/' && i > 0)
        .filter_map(move |(i, _)| path.get(..i))
}

fn split_reversed(path: &str) -> Vec<String> {
    path.split('/').rev().map(str::to_owned).collect()
}

fn join(components: &[String]) -> String {
    let mut path = String::from("/");
    path.push_str(&components.join("/"));
    path
}

/// The result of normalising a raw name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Normalised {
    /// Normalised, escaped absolute path.
    pub path: String,
    /// The name started with `/`.
    pub absolute: bool,
    /// A `..` tried to climb above the root.
    pub climbed: bool,
    /// Some bytes had to be escaped.
    pub escaped: bool,
}

/// Normalises a raw name from an image into an absolute tree path (see the module docs).
pub(crate) fn normalise(raw: &[u8]) -> Normalised {
    let mut components: Vec<String> = Vec::new();
    let mut climbed = false;
    let mut escaped = false;
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => climbed |= components.pop().is_none(),
            _ => {
                let mut name = String::with_capacity(part.len());
                escaped |= escape_into(&mut name, part);
                components.push(name);
            }
        }
    }
    Normalised {
        path: join(&components),
        absolute: raw.first() == Some(&b'/'),
        climbed,
        escaped,
    }
}

/// Lexically normalises a path that is already in escaped form (a query from a collector).
fn normalise_escaped(path: &str) -> String {
    let mut components: Vec<String> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                components.pop();
            }
            _ => components.push(part.to_owned()),
        }
    }
    join(&components)
}

/// Escapes raw bytes component by component, keeping `/` separators.
pub(crate) fn escape_path(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for (i, part) in raw.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        escape_into(&mut out, part);
    }
    out
}

/// Appends `raw` escaped to `out`; returns whether anything other than a backslash needed
/// escaping.
fn escape_into(out: &mut String, raw: &[u8]) -> bool {
    let mut escaped = false;
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else if c.is_control() {
                let mut buf = [0u8; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    push_hex(out, byte);
                }
                escaped = true;
            } else {
                out.push(c);
            }
        }
        for &byte in chunk.invalid() {
            push_hex(out, byte);
            escaped = true;
        }
    }
    escaped
}

fn push_hex(out: &mut String, byte: u8) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\x{byte:02x}");
}

/// The raw bytes of an escaped name or path: the inverse of the escaping applied to names
/// from the image (`\xNN` and `\\`).
pub fn unescape(escaped: &str) -> Vec<u8> {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            match bytes.get(i.saturating_add(1)) {
                Some(b'\\') => {
                    out.push(b'\\');
                    i = i.saturating_add(2);
                    continue;
                }
                Some(b'x') => {
                    let hex = bytes
                        .get(i.saturating_add(2)..i.saturating_add(4))
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    if let Some(value) = hex {
                        out.push(value);
                        i = i.saturating_add(4);
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(b);
        i = i.saturating_add(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(tree: &FileTree) -> Vec<AnomalyKind> {
        tree.anomalies().iter().map(|a| a.kind).collect()
    }

    #[test]
    fn normalises_lexically_inside_the_root() {
        let n = normalise(b"./a/./b/../c//d/");
        assert_eq!(n.path, "/a/c/d");
        assert!(!n.absolute && !n.climbed && !n.escaped);
        let n = normalise(b"../../etc/passwd");
        assert_eq!(n.path, "/etc/passwd");
        assert!(n.climbed);
        let n = normalise(b"/etc/../../../shadow");
        assert_eq!(n.path, "/shadow");
        assert!(n.absolute && n.climbed);
        assert_eq!(normalise(b"").path, "/");
        assert_eq!(normalise(b"..").path, "/");
        assert_eq!(normalise(b"a/..").path, "/");
    }

    #[test]
    fn escapes_reversibly() {
        let raw: &[u8] = b"caf\xc3\xa9/bad\xff\x00nul/tab\there/back\\slash";
        let n = normalise(raw);
        assert_eq!(
            n.path,
            "/caf\u{e9}/bad\\xff\\x00nul/tab\\x09here/back\\\\slash"
        );
        assert!(n.escaped);
        assert_eq!(unescape(&n.path), [b"/", raw].concat());
        assert_eq!(unescape("\\xZZ\\"), b"\\xZZ\\");
        assert_eq!(unescape("\\x4"), b"\\x4");
        // Distinct raw names stay distinct.
        assert_ne!(normalise(b"a\\x41").path, normalise(b"aA").path);
        assert_ne!(normalise(b"a\\x41").path, normalise(b"a\x41").path);
    }

    #[test]
    fn builds_implicit_parents_and_sorted_iteration() {
        let mut tree = FileTree::new();
        assert_eq!(
            tree.add(Entry::file("usr/bin/env", b"x".to_vec()).mode(0o755)),
            Added::Inserted
        );
        assert_eq!(tree.add(Entry::dir("etc")), Added::Inserted);
        assert_eq!(tree.add(Entry::dir("usr/").owner(1, 2)), Added::Merged);
        let paths: Vec<&str> = tree.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(paths, ["/", "/etc", "/usr", "/usr/bin", "/usr/bin/env"]);
        assert_eq!(tree.get("/usr").map(|n| n.uid), Some(1));
        assert_eq!(tree.get("usr/bin/../bin/env").map(|n| n.size), Some(1));
        let children: Vec<&str> = tree.children("/").map(|n| n.name()).collect();
        assert_eq!(children, ["etc", "usr"]);
        assert!(tree.anomalies().is_empty());
        assert_eq!(tree.files().count(), 1);
    }

    #[test]
    fn refuses_writes_through_non_directories() {
        let mut tree = FileTree::new();
        tree.add(Entry::symlink("evil", "/etc"));
        assert_eq!(
            tree.add(Entry::file("evil/passwd", b"root::0:0".to_vec())),
            Added::Refused(AnomalyKind::ParentNotDirectory)
        );
        tree.add(Entry::file("plain", b"".to_vec()));
        assert_eq!(
            tree.add(Entry::dir("plain/sub")),
            Added::Refused(AnomalyKind::ParentNotDirectory)
        );
        assert!(tree.get("/evil/passwd").is_none());
        assert_eq!(
            kinds(&tree),
            [
                AnomalyKind::ParentNotDirectory,
                AnomalyKind::ParentNotDirectory
            ]
        );
    }

    #[test]
    fn duplicates_replace_but_never_a_populated_directory() {
        let mut tree = FileTree::new();
        tree.add(Entry::file("a", b"1".to_vec()));
        assert_eq!(tree.add(Entry::file("a", b"22".to_vec())), Added::Replaced);
        assert_eq!(tree.read("/a").map(|b| b.to_vec()), Some(b"22".to_vec()));
        tree.add(Entry::file("d/x", b"".to_vec()));
        assert_eq!(
            tree.add(Entry::symlink("d", "/")),
            Added::Refused(AnomalyKind::ReplacesDirectory)
        );
        // "d b" sorts between "d" and "d/x": the descendant check must not be fooled.
        tree.add(Entry::file("e/x", b"".to_vec()));
        tree.add(Entry::file("e b", b"".to_vec()));
        assert_eq!(
            tree.add(Entry::file("e", b"".to_vec())),
            Added::Refused(AnomalyKind::ReplacesDirectory)
        );
        tree.add(Entry::dir("empty"));
        assert_eq!(
            tree.add(Entry::file("empty", b"".to_vec())),
            Added::Replaced
        );
        assert_eq!(
            tree.add(Entry::file("/", b"".to_vec())),
            Added::Refused(AnomalyKind::EmptyName)
        );
    }

    #[test]
    fn hardlinks_stay_inside_and_share_content() {
        let mut tree = FileTree::new();
        tree.add(Entry::file("bin/busybox", b"ELF".to_vec()));
        assert_eq!(
            tree.add(Entry::hardlink("bin/sh", "bin/busybox")),
            Added::Inserted
        );
        tree.add(Entry::hardlink("bin/ash", "./bin/sh"));
        assert_eq!(
            tree.get("/bin/ash").map(|n| n.kind.clone()),
            Some(NodeKind::Hardlink {
                target: "/bin/busybox".into()
            })
        );
        assert_eq!(tree.read("/bin/ash").map(|b| b.len()), Some(3));
        tree.add(Entry::hardlink("pw", "../../../etc/passwd"));
        assert_eq!(
            tree.get("/pw").map(|n| n.kind.clone()),
            Some(NodeKind::Hardlink {
                target: "/etc/passwd".into()
            })
        );
        assert!(tree.read("/pw").is_none());
        assert_eq!(
            tree.add(Entry::hardlink("loop", "loop")),
            Added::Refused(AnomalyKind::InvalidHardlink)
        );
        assert_eq!(
            tree.add(Entry::hardlink("dirlink", "bin")),
            Added::Refused(AnomalyKind::InvalidHardlink)
        );
        assert_eq!(
            kinds(&tree),
            [
                AnomalyKind::LinkTraversal,
                AnomalyKind::DanglingHardlink,
                AnomalyKind::DanglingHardlink,
                AnomalyKind::InvalidHardlink,
                AnomalyKind::InvalidHardlink
            ]
        );
    }

    #[test]
    fn resolves_symlinks_inside_the_tree_only() {
        let mut tree = FileTree::new();
        tree.add(Entry::file("rom/etc/shadow", b"root:x".to_vec()));
        tree.add(Entry::symlink("etc", "rom/etc"));
        tree.add(Entry::symlink("abs", "/etc/shadow"));
        tree.add(Entry::symlink("up", "../../../../rom/etc/shadow"));
        tree.add(Entry::symlink("rom/etc/self", "../etc/./shadow"));
        tree.add(Entry::symlink("loop1", "loop2"));
        tree.add(Entry::symlink("loop2", "/loop1"));
        tree.add(Entry::symlink("dangling", "/nowhere"));
        for path in ["/etc/shadow", "/abs", "up", "/etc/self", "/rom/etc/self"] {
            assert_eq!(
                tree.resolve(path).map(|n| n.path.as_str()),
                Ok("/rom/etc/shadow"),
                "{path}"
            );
            assert_eq!(tree.read(path).map(|b| b.len()), Some(6));
        }
        assert_eq!(tree.resolve_path("/abs", false), Ok("/abs".to_owned()));
        assert!(matches!(
            tree.resolve("/loop1"),
            Err(ResolveError::TooManyLinks(_))
        ));
        assert!(matches!(
            tree.resolve("/dangling"),
            Err(ResolveError::NotFound(p)) if p == "/nowhere"
        ));
        assert!(matches!(
            tree.resolve("/etc/shadow/x"),
            Err(ResolveError::NotADirectory(_))
        ));
        assert_eq!(tree.resolve_path("/etc/", true), Ok("/rom/etc".to_owned()));
    }

    #[test]
    fn node_limit_and_path_length_are_enforced() {
        let mut tree = FileTree::with_node_limit(3);
        assert_eq!(tree.add(Entry::file("a/b", b"".to_vec())), Added::Inserted);
        assert_eq!(
            tree.add(Entry::file("c", b"".to_vec())),
            Added::Refused(AnomalyKind::NodeLimit)
        );
        let mut tree = FileTree::new();
        let long = "a/".repeat(MAX_PATH_BYTES);
        assert_eq!(
            tree.add(Entry::file(long, b"".to_vec())),
            Added::Refused(AnomalyKind::PathTooLong)
        );
        assert_eq!(
            tree.add(Entry::symlink("link", "x".repeat(MAX_PATH_BYTES + 1))),
            Added::Refused(AnomalyKind::PathTooLong)
        );
        assert_eq!(tree.len(), 1);
        assert!(tree.is_empty());
    }
}
