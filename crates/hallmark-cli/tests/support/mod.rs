//! Helpers shared by the command-line tests. Each test file uses some of them.
#![allow(dead_code)]

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled example image.
pub fn example() -> PathBuf {
    repo().join("examples/demo-router.tar.gz")
}

/// The shared corpus (`../shared/corpus` beside the repository), or `None` with a visible
/// notice when it is absent. Under CI a missing corpus is a failure.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = repo().join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs the shared corpus at {}",
        dir.display()
    );
    eprintln!(
        "NOTICE: skipping; shared corpus absent at {}",
        dir.display()
    );
    None
}

/// A `hallmark` command with a fixed environment: no colour, and never the developer's own
/// vulnerability store (a store at the default place would change every report).
pub fn command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hallmark"));
    command.env("NO_COLOR", "1").env(
        "HALLMARK_VULN_DB",
        "/nonexistent/hallmark-test/vuln.sqlite3",
    );
    command
}

/// Runs `hallmark ARGS`: exit code, standard output, standard error.
pub fn hallmark(args: &[&str]) -> (i32, String, String) {
    let out = command()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run hallmark: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
