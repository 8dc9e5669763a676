//! Fact collectors: read an unpacked firmware image and record what is in it.
//!
//! Each collector is one unit in [`COLLECTORS`] (one file under `collectors/`). It reads the
//! read-only file trees of an [`Unpacked`] image through an [`Image`] view (nothing is written
//! to disk) and appends observations with their locations to [`Facts`], plus a
//! [`Coverage`] entry saying how complete its view was, so that checks can tell "nothing
//! found" from "could not look".
//!
//! ```
//! use hallmark_collect::{Options, collect};
//! use hallmark_unpack::{Limits, Unpacker};
//!
//! let unpacked = Unpacker::new(Limits::default()).unpack_bytes("empty.bin", Vec::new());
//! let facts = collect(&unpacked, &Options::default());
//! assert!(facts.accounts.is_empty());
//! // With no root filesystem, the accounts collector could not look: unknown, not "none".
//! assert!(!facts.covered("accounts"));
//! ```

mod collectors;
mod crack;
mod files;
mod image;
mod redact;
mod shell;

use hallmark_model::facts::{Coverage, CoverageStatus, Facts};
use hallmark_unpack::Unpacked;

pub use collectors::COLLECTORS;
pub use crack::Depth as CrackDepth;
pub use files::{file_inventory, main_tree_chain};
pub use image::{File, Image};

/// Settings for a collection run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Most work spent testing password hashes against the dictionary, over all accounts, in
    /// units of about one MD5-crypt computation (about 0.1 ms of one core): one DES or
    /// MD5-crypt test costs 1, SHA-512-crypt 8 at its default rounds, bcrypt cost 10 costs 512,
    /// yescrypt at its default parameters 256 (the weights are documented in `crack::scheme`).
    /// The default (100,000: about 10 CPU-seconds at most) covers the likely candidates of
    /// dozens of SHA-512 hashes, or the whole dictionary for several; a hash whose share runs
    /// out first is reported as not fully tested.
    pub crack_budget: u64,
    /// How far down the candidate list each hash is tested (see [`CrackDepth`]).
    pub crack_depth: CrackDepth,
    /// Largest file (in bytes) the content scanners (secrets, keys) read.
    pub max_scan_bytes: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            crack_budget: 100_000,
            crack_depth: CrackDepth::Likely,
            max_scan_bytes: 16 * 1024 * 1024,
        }
    }
}

/// One collector.
pub trait Collector: Sync {
    /// Stable id, lowercase (`accounts`, `keys`, ...).
    fn id(&self) -> &'static str;
    /// One line: what it looks at and what it records.
    fn description(&self) -> &'static str;
    /// Reads `image`, appends facts, and says how complete its view was.
    fn collect(&self, image: &Image<'_>, options: &Options, facts: &mut Facts) -> Coverage;
}

/// Runs every collector over `unpacked`.
pub fn collect(unpacked: &Unpacked, options: &Options) -> Facts {
    collect_timed(unpacked, options).0
}

/// Runs every collector over `unpacked`, and says how long each took (for progress reports and
/// benchmarks; the facts do not depend on it).
///
/// Collectors run on as many threads as the machine has cores, each into its own facts; the
/// results are merged in registry order, so the facts are the same as a sequential run's.
pub fn collect_timed(
    unpacked: &Unpacked,
    options: &Options,
) -> (Facts, Vec<(&'static str, std::time::Duration)>) {
    collect_selected(unpacked, options, |_| true)
}

/// Runs the collectors whose id `selected` accepts (`hallmark sbom` needs only `image` and
/// `components`), with timings as [`collect_timed`]. The others leave no coverage entry, so
/// checks see them as not run.
pub fn collect_selected(
    unpacked: &Unpacked,
    options: &Options,
    selected: impl Fn(&str) -> bool,
) -> (Facts, Vec<(&'static str, std::time::Duration)>) {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let collectors: Vec<&dyn Collector> = COLLECTORS
        .iter()
        .copied()
        .filter(|c| selected(c.id()))
        .collect();
    let image = Image::new(unpacked);
    let run = |collector: &dyn Collector| -> (Facts, std::time::Duration) {
        let started = std::time::Instant::now();
        let mut facts = Facts::default();
        // The image and components collectors also read what is outside a root filesystem
        // (layers, kernels, boot loaders).
        let coverage = if image.has_rootfs() || matches!(collector.id(), "image" | "components") {
            collector.collect(&image, options, &mut facts)
        } else {
            Coverage {
                status: CoverageStatus::NotRun,
                examined: 0,
                notes: vec!["no root filesystem was found in the image".into()],
            }
        };
        facts.coverage.insert(collector.id().to_owned(), coverage);
        (facts, started.elapsed())
    };
    let results: Vec<Mutex<Option<(Facts, std::time::Duration)>>> =
        collectors.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, collectors.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let (Some(collector), Some(slot)) = (collectors.get(i), results.get(i)) else {
                        break;
                    };
                    let result = run(*collector);
                    if let Ok(mut slot) = slot.lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    let mut facts = Facts::default();
    let mut timings = Vec::with_capacity(collectors.len());
    for (collector, slot) in collectors.iter().zip(results) {
        let result = slot.into_inner().ok().flatten();
        // Every slot is filled once the scope ends (a panicking worker would have propagated);
        // an empty one is recorded rather than trusted.
        let (part, elapsed) = result.unwrap_or_else(|| {
            let mut part = Facts::default();
            part.coverage.insert(
                collector.id().to_owned(),
                Coverage {
                    status: CoverageStatus::NotRun,
                    examined: 0,
                    notes: vec!["the collector failed (a defect in Hallmark)".into()],
                },
            );
            (part, std::time::Duration::ZERO)
        });
        facts.absorb(part);
        timings.push((collector.id(), elapsed));
    }
    (facts, timings)
}

/// A coverage record: complete when the image was unpacked without reaching a limit.
pub(crate) fn coverage(image: &Image<'_>, examined: u64, mut notes: Vec<String>) -> Coverage {
    let status = if image.is_complete() && notes.is_empty() {
        CoverageStatus::Complete
    } else {
        if !image.is_complete() {
            notes.push("the image was not unpacked completely (a limit was reached)".into());
        }
        CoverageStatus::Partial
    };
    Coverage {
        status,
        examined,
        notes,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Collectors run in parallel give exactly the facts of a sequential run, in the same
    /// order.
    #[test]
    fn parallel_collection_equals_sequential() {
        use hallmark_unpack::Entry;
        let mut tree = FileTree::new();
        for (path, text) in [
            (
                "/etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nadmin:x:0:0::/:/bin/sh\n",
            ),
            (
                "/etc/shadow",
                "root:$1$fwT3st01$gn4KuuLCKMxebePE90.h5/:1:0:99999:7:::\nadmin::1:0:99999:7:::\n",
            ),
            (
                "/etc/inittab",
                "::respawn:/sbin/getty -L ttyS0 115200 vt100\nttyS1::askfirst:-/bin/sh\n",
            ),
            ("/etc/init.d/S50telnet", "#!/bin/sh\ntelnetd -l /bin/sh\n"),
            (
                "/www/cgi-bin/ping.cgi",
                "#!/bin/sh\neval \"ping $QUERY_STRING\"\n",
            ),
            (
                "/etc/opkg.conf",
                "src/gz base http://downloads.example/base\n",
            ),
            ("/etc/app.conf", "admin_password = \"s3cr3t-value\"\n"),
        ] {
            tree.add(Entry::file(path, text.as_bytes().to_vec()));
        }
        tree.add(Entry::symlink("/usr/bin/nc", "/bin/busybox"));
        let unpacked = Unpacked::from_tree("fw.tar", tree);
        let options = Options::default();
        let parallel = collect(&unpacked, &options);
        let image = Image::new(&unpacked);
        let mut sequential = Facts::default();
        for collector in COLLECTORS {
            let coverage = collector.collect(&image, &options, &mut sequential);
            sequential
                .coverage
                .insert(collector.id().to_owned(), coverage);
        }
        assert!(!parallel.accounts.is_empty() && !parallel.services.is_empty());
        assert!(!parallel.injections.is_empty() && !parallel.tools.is_empty());
        assert_eq!(
            serde_json::to_string(&parallel).unwrap(),
            serde_json::to_string(&sequential).unwrap()
        );
    }

    use hallmark_model::facts::Facts;
    use hallmark_unpack::{FileTree, Unpacked};

    use crate::{Collector, Image, Options};

    /// Runs one collector over an image made of regular files `(path, content)`.
    pub(crate) fn collect_files(files: &[(&str, &[u8])], collector: &dyn Collector) -> Facts {
        let mut tree = FileTree::new();
        for (path, bytes) in files {
            tree.add(hallmark_unpack::Entry::file(*path, bytes.to_vec()));
        }
        collect_tree(tree, collector)
    }

    /// The path and line of a location in the image (empty and 0 otherwise), for test summaries.
    pub(crate) fn path_line(location: &hallmark_model::Location) -> (String, u32) {
        match location {
            hallmark_model::Location::Image { path, line, .. } => {
                (path.clone().unwrap_or_default(), line.unwrap_or(0))
            }
            _ => (String::new(), 0),
        }
    }

    /// Runs one collector over an image made of `tree` alone (as a tar archive would give).
    pub(crate) fn collect_tree(tree: FileTree, collector: &dyn Collector) -> Facts {
        let unpacked = Unpacked::from_tree("test.bin", tree);
        let image = Image::new(&unpacked);
        let mut facts = Facts::default();
        let coverage = collector.collect(&image, &Options::default(), &mut facts);
        facts.coverage.insert(collector.id().to_owned(), coverage);
        facts
    }
}
