//! Entry points for the fuzz targets in `fuzz/` (not a stable API).
//!
//! Each target runs one format's parser, or the whole recursive driver, on arbitrary bytes
//! under small limits, so that a run explores parsing rather than waiting on big outputs.

use crate::blob::Blob;
use crate::format::{Context, Extracted, Output};
use crate::formats::FORMATS;
use crate::limits::{Budget, LayerPath, LimitKind, Limits};
use crate::unpack::{Unpacked, Unpacker};

/// Limits small enough for fuzzing: 64 MiB out, 8 levels, 20k entries, 10 seconds.
pub fn limits() -> Limits {
    Limits {
        max_total_bytes: 64 << 20,
        max_file_bytes: 16 << 20,
        ratio_floor_bytes: 1 << 20,
        max_depth: 8,
        max_entries: 20_000,
        max_time: std::time::Duration::from_secs(10),
        ..Limits::default()
    }
}

/// The ids of every registered format.
pub fn format_ids() -> Vec<&'static str> {
    FORMATS.iter().map(|f| f.id()).collect()
}

/// Runs format `id`'s probe and extractor on `data`. Unknown ids do nothing.
pub fn extract(id: &str, data: &[u8]) {
    let Some(format) = FORMATS.iter().find(|f| f.id() == id) else {
        return;
    };
    let _ = format.probe(data);
    let budget = Budget::new(&limits());
    let mut cx = Context::new(&budget, LayerPath::root("fuzz"));
    if let Ok(Extracted {
        output: Output::Tree(mut tree),
        ..
    }) = format.extract(&Blob::from(data.to_vec()), &mut cx)
    {
        cx.settle(&mut tree);
    }
}

/// Runs the whole recursive unpack on `data`.
pub fn unpack(data: &[u8]) {
    let unpacked = Unpacker::new(limits()).unpack_bytes("fuzz", data.to_vec());
    // Differential check: with content on demand the same layers, damage and truncations are
    // found (unless the time limit cut either run, which makes them legitimately differ).
    let on_demand = Unpacker::new(limits())
        .content_on_demand(true)
        .unpack_bytes("fuzz", data.to_vec());
    let timed = |u: &Unpacked| u.truncations().iter().any(|t| t.limit == LimitKind::Time);
    if !timed(&unpacked) && !timed(&on_demand) {
        assert_eq!(
            unpacked.listing(),
            on_demand.listing(),
            "content on demand changed the result"
        );
    }
    // And reading every compressed tar archive as it is decoded gives the same result too,
    // unless a limit was reached: then files may be scanned in archive order rather than in
    // path order, and a limit can cut elsewhere.
    let streamed = Unpacker::new(limits())
        .content_on_demand(true)
        .stream_from(1)
        .unpack_bytes("fuzz", data.to_vec());
    if unpacked.is_complete() && streamed.is_complete() {
        assert_eq!(
            unpacked.listing(),
            streamed.listing(),
            "reading archives as decoded changed the result"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fuzz/gen-targets.sh` reads the format ids from this test's output.
    #[test]
    fn print_format_ids() {
        for id in format_ids() {
            println!("format-id {id}");
        }
    }

    /// Every parser has a fuzz target (run `fuzz/gen-targets.sh` after adding a format).
    #[test]
    fn every_format_has_a_fuzz_target() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        for id in format_ids() {
            let target = format!("format_{}", id.replace('-', "_"));
            assert!(
                dir.join("fuzz_targets")
                    .join(format!("{target}.rs"))
                    .is_file()
                    && manifest.contains(&format!("name = \"{target}\"")),
                "no fuzz target for {id}: run fuzz/gen-targets.sh"
            );
        }
        // Each target is declared once (cargo refuses a manifest with duplicate binaries).
        let names: Vec<&str> = manifest
            .lines()
            .filter(|l| l.starts_with("name = \"") && !l.contains("hallmark-fuzz"))
            .collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            names.len(),
            unique.len(),
            "duplicate fuzz targets: run fuzz/gen-targets.sh"
        );
        assert_eq!(
            names.len(),
            format_ids().len() + 1,
            "stale fuzz targets: run fuzz/gen-targets.sh"
        );
    }

    #[test]
    fn entry_points_survive_junk() {
        for id in format_ids() {
            extract(id, b"\x00\x01junk");
        }
        unpack(b"junk");
    }
}
