//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

#[path = "../../src/testkit.rs"]
pub mod testkit;

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
