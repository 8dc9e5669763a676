//! Parts of firmware containers whose header declares the image's length and where each part
//! lies (TP-Link, TP-Link `IMG0`, TRX): the image is cut where the data ends, each part where
//! the image ends and at the per-file limit, and every cut is recorded.

use crate::blob::Blob;
use crate::bytes::to_u64;
use crate::format::Context;
use crate::tree::{Entry, FileTree};

/// A container's bytes up to where its image ends.
pub(crate) struct Parts<'a> {
    data: &'a Blob,
    /// The declared length, or the data's length when the data is shorter.
    pub end: usize,
}

impl<'a> Parts<'a> {
    /// The image of `declared` bytes at the start of `data`; an image running past the data is
    /// recorded as truncated.
    pub(crate) fn new(data: &'a Blob, declared: usize, cx: &mut Context<'_>) -> Parts<'a> {
        if declared > data.len() {
            cx.error(
                to_u64(data.len()),
                format!(
                    "image truncated: {} of {declared} bytes present",
                    data.len()
                ),
            );
        }
        Parts {
            data,
            end: declared.min(data.len()),
        }
    }

    /// The bytes of part `name`, `len` bytes at `start`: what of them lies before the image's
    /// end, cut at the per-file limit (the cut recorded). Empty when the part starts past the
    /// end.
    pub(crate) fn carve(&self, name: &str, start: usize, len: usize, cx: &mut Context<'_>) -> Blob {
        let present = start
            .saturating_add(len)
            .min(self.end)
            .saturating_sub(start);
        let len = cx.cap_file(name.as_bytes(), present);
        self.data
            .slice(start.min(self.end)..start.saturating_add(len).min(self.end))
            .unwrap_or_default()
    }

    /// Adds part `name`, `len` bytes at `start`, to `tree` as `/name`; a part that runs past the
    /// image's end is recorded as truncated and keeps what is there. False when the tree is
    /// full. The caller has checked that the part starts before the end.
    pub(crate) fn add(
        &self,
        tree: &mut FileTree,
        name: &str,
        start: usize,
        len: usize,
        cx: &mut Context<'_>,
    ) -> bool {
        if start.saturating_add(len) > self.end {
            cx.error(
                to_u64(start),
                format!(
                    "{name} truncated: {} of {len} bytes present",
                    self.end.saturating_sub(start)
                ),
            );
        }
        let content = self.carve(name, start, len, cx);
        cx.add(tree, Entry::file(name, content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{Budget, LayerPath, LimitKind, Limits};

    #[test]
    fn parts_are_cut_at_the_image_end_and_the_file_limit() {
        let limits = Limits {
            max_file_bytes: 4,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let mut cx = Context::new(&budget, LayerPath::root("t"));
        let data = Blob::from(b"0123456789".to_vec());
        let parts = Parts::new(&data, 12, &mut cx);
        assert_eq!(parts.end, 10);
        assert_eq!(cx.errors.len(), 1);
        assert_eq!(parts.carve("a", 8, 1, &mut cx).as_slice(), b"8");
        assert_eq!(parts.carve("b", 20, 5, &mut cx).as_slice(), b"");
        assert_eq!(parts.carve("c", 1, 100, &mut cx).as_slice(), b"1234");
        assert_eq!(cx.truncations[0].limit, LimitKind::FileBytes);
        let mut tree = cx.new_tree();
        assert!(parts.add(&mut tree, "d", 8, 3, &mut cx));
        assert_eq!(tree.read("/d").map(|b| b.to_vec()), Some(b"89".to_vec()));
        assert_eq!(cx.errors.len(), 2);
    }
}
