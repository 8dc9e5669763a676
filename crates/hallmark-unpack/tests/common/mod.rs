//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use hallmark_unpack::{
    AnomalyKind, FileTree, Layer, LimitKind, Limits, Materialized, SkipReason, Unpacked, Unpacker,
    materialize, unpack_into,
};

#[path = "../../src/testkit.rs"]
pub mod testkit;

/// One mebibyte, for limits.
pub const MIB: u64 = 1 << 20;

/// The limits `unpacked` reached, in the order they were recorded.
pub fn limit_kinds(unpacked: &Unpacked) -> Vec<LimitKind> {
    unpacked.truncations().iter().map(|t| t.limit).collect()
}

/// The message of every error recorded in `unpacked`.
pub fn error_messages(unpacked: &Unpacked) -> Vec<String> {
    unpacked
        .errors()
        .into_iter()
        .map(|(_, e)| e.message.clone())
        .collect()
}

/// The kind of every anomaly recorded in `tree`.
pub fn anomaly_kinds(tree: &FileTree) -> Vec<AnomalyKind> {
    tree.anomalies().iter().map(|a| a.kind).collect()
}

/// The first layer of `format`, depth first.
pub fn layer<'a>(unpacked: &'a Unpacked, format: &str) -> &'a Layer {
    unpacked
        .layers()
        .into_iter()
        .map(|(_, l)| l)
        .find(|l| l.format == format)
        .unwrap_or_else(|| panic!("no {format} layer in\n{}", unpacked.listing()))
}

/// The file tree of the first layer of `format` that has one, depth first.
pub fn tree_of<'a>(unpacked: &'a Unpacked, format: &str) -> &'a FileTree {
    unpacked
        .layers()
        .into_iter()
        .filter(|(_, l)| l.format == format)
        .find_map(|(_, l)| l.tree.as_ref())
        .unwrap_or_else(|| panic!("no {format} tree in\n{}", unpacked.listing()))
}

/// Materialises `unpacked` in a [`Sandbox`], checking that nothing was written outside the
/// output.
pub fn materialize_sandboxed(unpacked: &Unpacked) -> Materialized {
    let sandbox = Sandbox::new();
    let summary = materialize(unpacked, &sandbox.out).unwrap();
    sandbox.assert_untouched();
    summary
}

/// Unpacks `data` and [materialises it in a sandbox](materialize_sandboxed); returns both
/// results.
///
/// Every call also unpacks `data` a second way, the way `hallmark unpack -o` does: from a
/// file, with content on demand, writing each file as it is decoded
/// ([`unpack_into`](hallmark_unpack::unpack_into)), in a sandbox of its own, and reading
/// every compressed tar archive as it is decoded (as `-o` does past 64 MiB of output). Both
/// ways must give the same layer tree (errors and truncations included) and write the same
/// entries.
pub fn unpack_and_materialize(
    name: &str,
    data: Vec<u8>,
    limits: Limits,
) -> (Unpacked, Materialized) {
    let streamed = stream_sandboxed(name, &data, limits.clone());
    let unpacked = Unpacker::new(limits).unpack_bytes(name, data);
    let summary = materialize_sandboxed(&unpacked);
    let timed = limit_kinds(&unpacked).contains(&LimitKind::Time)
        || summary
            .skipped
            .iter()
            .any(|s| s.reason == SkipReason::TimeLimit);
    if !timed {
        assert_eq!(
            streamed.0.listing(),
            unpacked.listing(),
            "layer trees differ"
        );
        let strip = |m: &Materialized| Materialized {
            root: PathBuf::new(),
            ..m.clone()
        };
        assert_eq!(
            strip(&streamed.1),
            strip(&summary),
            "written entries differ"
        );
    }
    (unpacked, summary)
}

/// Writes `data` to a file named `name` and unpacks it into a [`Sandbox`] with content on
/// demand, in one pass, reading compressed tar archives of any size as they are decoded;
/// checks that nothing was written outside the output.
pub fn stream_sandboxed(name: &str, data: &[u8], limits: Limits) -> (Unpacked, Materialized) {
    let input = tempfile::tempdir().unwrap();
    let file_name = Path::new(name)
        .file_name()
        .map_or_else(|| "input".into(), |n| n.to_os_string());
    let image = input.path().join(file_name);
    fs::write(&image, data).unwrap();
    let sandbox = Sandbox::new();
    let unpacker = Unpacker::new(limits).content_on_demand(true).stream_from(1);
    let result = unpack_into(&unpacker, &image, &sandbox.out).unwrap();
    sandbox.assert_untouched();
    result
}

/// [`unpack_and_materialize`], keeping the unpacked result.
pub fn unpack_sandboxed(name: &str, data: Vec<u8>, limits: Limits) -> Unpacked {
    unpack_and_materialize(name, data, limits).0
}

/// The path of an external tool that builds fixtures (searched in `PATH` and the usual sbin
/// directories), or `None` with a notice when it is not installed; under `CI=true` a missing
/// tool fails instead (`.ci/install-deps.sh` installs them).
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        missing(name);
    }
    found
}

/// Whether `name` runs from `PATH`; a notice (or, under `CI=true`, a failure) when it does
/// not.
pub fn have(name: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        missing(name);
    }
    found
}

fn missing(name: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI needs {name} (see .ci/install-deps.sh)");
    }
    eprintln!("NOTICE: {name} not installed; skipping the tests that need it");
}

/// Runs `command`, failing the test with its standard error when it fails.
pub fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every path under `dir` (not following symlinks), with a one-letter kind: d, f, l, or ?
/// for anything else (devices, FIFOs, sockets).
pub fn listing(dir: &Path) -> BTreeSet<(PathBuf, char)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let kind = if meta.file_type().is_symlink() {
                'l'
            } else if meta.is_dir() {
                stack.push(path.clone());
                'd'
            } else if meta.is_file() {
                'f'
            } else {
                '?'
            };
            out.insert((path.strip_prefix(dir).unwrap().to_path_buf(), kind));
        }
    }
    out
}

/// Asserts that everything under `root` is a directory, a regular file, or a symlink whose
/// target is relative and, resolved lexically from the link's directory, stays under `root`.
pub fn assert_confined(root: &Path) {
    for (path, kind) in listing(root) {
        assert_ne!(kind, '?', "special file created: {}", path.display());
        if kind != 'l' {
            continue;
        }
        let target = fs::read_link(root.join(&path)).unwrap();
        assert!(
            target.is_relative(),
            "absolute symlink {} -> {}",
            path.display(),
            target.display()
        );
        let mut depth: i64 = path.components().count() as i64 - 1;
        for component in target.components() {
            match component {
                Component::ParentDir => depth -= 1,
                Component::Normal(_) => depth += 1,
                _ => {}
            }
            assert!(
                depth >= 0,
                "symlink {} -> {} leaves the output root",
                path.display(),
                target.display()
            );
        }
    }
}

/// A temporary parent directory holding a victim directory (with a sentinel file) next to
/// where the output will go, to prove that nothing is written outside the output.
pub struct Sandbox {
    pub parent: tempfile::TempDir,
    pub out: PathBuf,
    before: BTreeSet<(PathBuf, char)>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let parent = tempfile::tempdir().unwrap();
        fs::create_dir(parent.path().join("victim")).unwrap();
        fs::write(parent.path().join("victim/sentinel"), b"untouched").unwrap();
        let before = listing(parent.path());
        let out = parent.path().join("out");
        Sandbox {
            parent,
            out,
            before,
        }
    }

    /// Asserts that the parent holds exactly what it held before plus the output directory,
    /// and that the output is confined.
    pub fn assert_untouched(&self) {
        let after: BTreeSet<(PathBuf, char)> = listing(self.parent.path())
            .into_iter()
            .filter(|(path, _)| !path.starts_with("out"))
            .collect();
        assert_eq!(
            after, self.before,
            "something was written outside the output"
        );
        assert_eq!(
            fs::read(self.parent.path().join("victim/sentinel")).unwrap(),
            b"untouched"
        );
        // Also check the system paths the hostile archives aim at.
        assert!(!Path::new("/tmp/hallmark-pwned").exists());
        assert!(!Path::new("/abs-escape").exists());
        assert_confined(&self.out);
    }
}
