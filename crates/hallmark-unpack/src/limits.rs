//! Extraction limits, the shared budget every decoder charges, and truncation records.
//!
//! # Limits and their defaults
//!
//! | limit | default | what happens when it is reached |
//! |---|---|---|
//! | [`max_total_bytes`](Limits::max_total_bytes) | 4 GiB | every decoder stops producing; later layers are not decoded |
//! | [`max_file_bytes`](Limits::max_file_bytes) | 1 GiB | that one decompressed layer or archive member is cut at the limit |
//! | [`max_ratio`](Limits::max_ratio) | 250 | a decompression layer whose output exceeds [`ratio_floor_bytes`](Limits::ratio_floor_bytes) (16 MiB) and is more than 250 times the input it consumed stops |
//! | [`max_depth`](Limits::max_depth) | 16 | layers nested deeper are not extracted |
//! | [`max_entries`](Limits::max_entries) | 1,000,000 | no more layers or file-tree nodes are created |
//! | [`max_time`](Limits::max_time) | 5 minutes | every decoder and parser stops at its next check |
//! | [`max_input_bytes`](Limits::max_input_bytes) | 4 GiB | [`Unpacker::unpack_file`](crate::Unpacker::unpack_file) refuses larger inputs |
//!
//! The ratio is measured per decompression layer and only once the layer's output passes the
//! floor, so a legitimately padded flash image (a few MiB of code followed by megabytes of
//! `0xFF`, compressing very well) is not mistaken for a bomb, while a 1 GiB bomb stops after
//! 16 MiB. Output is produced in bounded chunks ([`CHUNK_BYTES`]) and the budget is checked
//! before every chunk, so no limit is ever overshot by more than one chunk and a bomb stops in
//! milliseconds.
//!
//! Reaching a limit never aborts the unpack: it is recorded as a [`Truncation`] on the layer
//! where it happened (and listed by [`Unpacked::truncations`](crate::Unpacked::truncations)),
//! and everything produced so far is kept.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Size of one decoding step: decoders never produce more than this between two budget checks.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Nesting depth above which [`Limits::max_depth`] is clamped, whatever is configured: the
/// recursive driver uses one stack frame per layer.
pub const MAX_DEPTH_CEILING: u32 = 128;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// Configurable extraction limits. See the [module documentation](self) for the defaults and
/// what reaching each one does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes all decoders together may produce (and [`materialize`](crate::materialize())
    /// may write).
    pub max_total_bytes: u64,
    /// Largest single decompressed layer or archive member.
    pub max_file_bytes: u64,
    /// Largest output/input ratio of one decompression layer, checked once its output passes
    /// [`ratio_floor_bytes`](Limits::ratio_floor_bytes).
    pub max_ratio: u64,
    /// Output size below which the ratio is not checked.
    pub ratio_floor_bytes: u64,
    /// Deepest layer nesting that is extracted (the layers found in the input are at depth 1).
    /// Clamped to [`MAX_DEPTH_CEILING`].
    pub max_depth: u32,
    /// Most layers plus file-tree nodes created in one unpack.
    pub max_entries: u64,
    /// Wall-clock time for one unpack.
    pub max_time: Duration,
    /// Largest input file [`Unpacker::unpack_file`](crate::Unpacker::unpack_file) reads.
    pub max_input_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_total_bytes: 4 * GIB,
            max_file_bytes: GIB,
            max_ratio: 250,
            ratio_floor_bytes: 16 * MIB,
            max_depth: 16,
            max_entries: 1_000_000,
            max_time: Duration::from_secs(300),
            max_input_bytes: 4 * GIB,
        }
    }
}

impl Limits {
    /// The depth limit actually applied.
    pub fn effective_max_depth(&self) -> u32 {
        self.max_depth.min(MAX_DEPTH_CEILING)
    }
}

/// Which limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// [`Limits::max_total_bytes`].
    TotalBytes,
    /// [`Limits::max_file_bytes`].
    FileBytes,
    /// [`Limits::max_ratio`].
    Ratio,
    /// [`Limits::max_depth`].
    Depth,
    /// [`Limits::max_entries`].
    Entries,
    /// [`Limits::max_time`].
    Time,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::TotalBytes => "total output",
            LimitKind::FileBytes => "file size",
            LimitKind::Ratio => "compression ratio",
            LimitKind::Depth => "nesting depth",
            LimitKind::Entries => "entry count",
            LimitKind::Time => "time",
        })
    }
}

/// The chain of layers leading to a layer: the input's name, then each layer from the outside
/// in, in the vocabulary of [`hallmark_model::Location`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LayerPath {
    /// Name of the input image.
    pub image: String,
    /// Layers from the outside in; empty for the input itself.
    pub chain: Vec<hallmark_model::Layer>,
}

impl LayerPath {
    /// The path of the input itself.
    pub fn root(image: impl Into<String>) -> LayerPath {
        LayerPath {
            image: image.into(),
            chain: Vec::new(),
        }
    }

    /// The path of a layer of `format` found at `offset` inside this one (inside the file
    /// `name` of this layer's file tree, when given).
    pub fn child(&self, format: &str, offset: u64, name: Option<&str>) -> LayerPath {
        let mut chain = self.chain.clone();
        chain.push(hallmark_model::Layer {
            format: format.to_owned(),
            offset,
            name: name.map(str::to_owned),
        });
        LayerPath {
            image: self.image.clone(),
            chain,
        }
    }

    /// Evidence location of `path` inside the innermost file tree of this layer.
    pub fn location(&self, path: Option<&str>) -> hallmark_model::Location {
        hallmark_model::Location::Image {
            image: self.image.clone(),
            chain: self.chain.clone(),
            path: path.map(str::to_owned),
            offset: None,
            line: None,
        }
    }
}

impl fmt::Display for LayerPath {
    /// `fw.bin > gzip@0x0 > tar@0x0 > gzip@0x0[/rootfs.cpio.gz]`, the same form as
    /// [`hallmark_model::Location`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.location(None).fmt(f)
    }
}

/// A limit was reached: what was produced so far is kept, the rest was not extracted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Truncation {
    /// The limit reached.
    pub limit: LimitKind,
    /// The layer where it was reached.
    pub layer: LayerPath,
    /// What was cut, in words.
    pub detail: String,
}

impl fmt::Display for Truncation {
    /// `truncated: compression ratio limit at layer fw.bin > gzip@0x0: ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "truncated: {} limit at layer {}: {}",
            self.limit, self.layer, self.detail
        )
    }
}

/// The resources left for one unpack, shared by every decoder and parser.
///
/// Decoders [`grant`](Budget::grant) themselves output bytes before producing them, parsers
/// [`take_entries`](Budget::take_entries) before creating nodes, and everybody checks
/// [`time_up`](Budget::time_up) between steps.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    produced: AtomicU64,
    entries: AtomicU64,
    started: Instant,
    deadline: Option<Instant>,
    timed_out: AtomicBool,
}

impl Budget {
    /// A fresh budget for one unpack under `limits`; the clock starts now.
    pub fn new(limits: &Limits) -> Budget {
        let started = Instant::now();
        Budget {
            limits: limits.clone(),
            produced: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            started,
            deadline: started.checked_add(limits.max_time),
            timed_out: AtomicBool::new(false),
        }
    }

    /// The limits this budget enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes produced so far.
    pub fn produced(&self) -> u64 {
        self.produced.load(Ordering::Relaxed)
    }

    /// Output bytes still allowed.
    pub fn remaining_bytes(&self) -> u64 {
        self.limits.max_total_bytes.saturating_sub(self.produced())
    }

    /// Reserves up to `want` output bytes and returns how many were granted (0 when the total
    /// is spent). Give back what was not used with [`refund`](Budget::refund).
    pub fn grant(&self, want: u64) -> u64 {
        let max = self.limits.max_total_bytes;
        let mut granted = 0;
        // fetch_update cannot fail here: the closure always returns Some.
        let _ = self
            .produced
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                granted = want.min(max.saturating_sub(used));
                Some(used.saturating_add(granted))
            });
        granted
    }

    /// Returns `n` unused bytes of an earlier [`grant`](Budget::grant).
    pub fn refund(&self, n: u64) {
        let _ = self
            .produced
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(n))
            });
    }

    /// Gives back `n` entries taken for something that was not created after all.
    pub(crate) fn return_entries(&self, n: u64) {
        let _ = self
            .entries
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(n))
            });
    }

    /// Entries (layers and file-tree nodes) created so far.
    pub fn entries(&self) -> u64 {
        self.entries.load(Ordering::Relaxed)
    }

    /// Entries still allowed.
    pub fn remaining_entries(&self) -> u64 {
        self.limits.max_entries.saturating_sub(self.entries())
    }

    /// Takes `n` entries; `false` (and nothing taken) when fewer than `n` are left.
    pub fn take_entries(&self, n: u64) -> bool {
        let max = self.limits.max_entries;
        self.entries
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                let next = used.checked_add(n)?;
                (next <= max).then_some(next)
            })
            .is_ok()
    }

    /// Whether the time limit has passed. Once it has, it stays passed.
    pub fn time_up(&self) -> bool {
        if self.timed_out.load(Ordering::Relaxed) {
            return true;
        }
        let up = self
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline);
        if up {
            self.timed_out.store(true, Ordering::Relaxed);
        }
        up
    }

    /// Time since the budget was created.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_never_exceed_the_total_and_refunds_return_bytes() {
        let limits = Limits {
            max_total_bytes: 100,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        assert_eq!(budget.grant(60), 60);
        assert_eq!(budget.grant(60), 40);
        assert_eq!(budget.grant(1), 0);
        budget.refund(30);
        assert_eq!(budget.remaining_bytes(), 30);
        assert_eq!(budget.grant(u64::MAX), 30);
        assert_eq!(budget.produced(), 100);
    }

    #[test]
    fn entries_are_all_or_nothing() {
        let limits = Limits {
            max_entries: 3,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        assert!(budget.take_entries(2));
        assert!(!budget.take_entries(2));
        assert!(budget.take_entries(1));
        assert!(!budget.take_entries(1));
        assert!(!budget.take_entries(u64::MAX));
        assert_eq!(budget.entries(), 3);
    }

    #[test]
    fn zero_time_limit_is_up_immediately_and_huge_one_never() {
        let zero = Budget::new(&Limits {
            max_time: Duration::ZERO,
            ..Limits::default()
        });
        assert!(zero.time_up());
        let forever = Budget::new(&Limits {
            max_time: Duration::MAX,
            ..Limits::default()
        });
        assert!(!forever.time_up());
    }

    #[test]
    fn truncation_reads_like_a_sentence() {
        let t = Truncation {
            limit: LimitKind::Ratio,
            layer: LayerPath::root("fw.bin").child("gzip", 0x40, None),
            detail: "stopped after 16 MiB".into(),
        };
        assert_eq!(
            t.to_string(),
            "truncated: compression ratio limit at layer fw.bin > gzip@0x40: stopped after 16 MiB"
        );
        assert_eq!(Limits::default().effective_max_depth(), 16);
    }
}
