//! The signature scan: one Aho-Corasick pass over a blob for the magic patterns of every
//! registered format, giving candidate offsets for the formats' own validators.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::formats::FORMATS;

/// Most candidates collected from one blob; past this the rest of the blob is not scanned
/// (recorded as an entry-limit truncation).
pub(crate) const MAX_CANDIDATES: usize = 1 << 20;

/// A place where a format's magic matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Candidate {
    /// Where the format would start.
    pub start: usize,
    /// Index into [`FORMATS`].
    pub format: usize,
}

struct Scanner {
    automaton: AhoCorasick,
    /// Per pattern: (format index, offset of the magic from the format's start).
    patterns: Vec<(usize, usize)>,
}

static SCANNER: OnceLock<Result<Scanner, String>> = OnceLock::new();

fn scanner() -> &'static Result<Scanner, String> {
    SCANNER.get_or_init(|| {
        let mut magics: Vec<&'static [u8]> = Vec::new();
        let mut patterns = Vec::new();
        for (index, format) in FORMATS.iter().enumerate() {
            for magic in format.magics() {
                magics.push(magic.bytes);
                patterns.push((index, magic.offset));
            }
        }
        AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&magics)
            .map(|automaton| Scanner {
                automaton,
                patterns,
            })
            .map_err(|e| e.to_string())
    })
}

/// Candidates in `data`, sorted by start offset then registry order, and whether the scan
/// stopped at [`MAX_CANDIDATES`].
pub(crate) fn candidates(data: &[u8]) -> Result<(Vec<Candidate>, bool), String> {
    let scanner = scanner().as_ref().map_err(Clone::clone)?;
    let mut found = Vec::new();
    let mut capped = false;
    for hit in scanner.automaton.find_overlapping_iter(data) {
        let Some(&(format, magic_offset)) = scanner.patterns.get(hit.pattern().as_usize()) else {
            continue;
        };
        let Some(start) = hit.start().checked_sub(magic_offset) else {
            continue;
        };
        if found.len() >= MAX_CANDIDATES {
            capped = true;
            break;
        }
        found.push(Candidate { start, format });
    }
    found.sort_unstable();
    found.dedup();
    Ok((found, capped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    fn format_ids(data: &[u8]) -> Vec<(usize, &'static str)> {
        candidates(data)
            .unwrap()
            .0
            .into_iter()
            .map(|c| (c.start, FORMATS[c.format].id()))
            .collect()
    }

    #[test]
    fn finds_every_format_at_any_offset_in_one_pass() {
        let tar = testkit::TarBuilder::new().file(b"f", b"x").finish();
        let gz = testkit::gzip(b"hello");
        let data = [vec![0xaa; 100], gz.clone(), vec![0xbb; 3], tar].concat();
        let ids = format_ids(&data);
        assert!(ids.contains(&(100, "gzip")), "{ids:?}");
        assert!(ids.contains(&(100 + gz.len() + 3, "tar")), "{ids:?}");
    }

    #[test]
    fn magics_before_their_offset_are_ignored() {
        // "ustar" at 10 would put a tar header at -247.
        let mut data = vec![0u8; 300];
        data[10..15].copy_from_slice(b"ustar");
        assert!(format_ids(&data).is_empty());
    }
}
