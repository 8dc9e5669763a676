//! Flattened device trees (`.dtb`) that are not FIT images: recorded as a layer with their
//! exact extent, so the scan does not look for other formats inside them.
//!
//! The header and the whole structure block are validated with the walker of the
//! [`fit`](super::fit) format (sizes and offsets inside the blob, every token fitting, bounded
//! nesting); a tree with an `/images` node is left to `fit`. Nothing is extracted: the output
//! is an empty tree. Properties (model, compatible strings) are not read yet.

use crate::blob::Blob;
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::formats::fit::{FDT_MAGIC, Token, fdt_header, walk};

/// Device tree blob.
pub(crate) struct DtbFormat;

impl Format for DtbFormat {
    fn id(&self) -> &'static str {
        "dtb"
    }

    fn description(&self) -> &'static str {
        "flattened device tree (not a FIT image), recorded without extraction"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Container
    }

    fn magics(&self) -> &'static [Magic] {
        FDT_MAGIC
    }

    fn probe(&self, data: &[u8]) -> bool {
        fdt_header(data).is_some()
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        let header = fdt_header(data).ok_or_else(|| Rejected::new("bad device tree header"))?;
        if header.total_size > data.len() {
            return Err(Rejected::new("device tree truncated"));
        }
        let mut nodes = 0usize;
        let mut images = false;
        let bytes: &[u8] = data;
        walk(bytes, &header, cx, &mut |path, token| {
            if let Token::Begin = token {
                nodes = nodes.saturating_add(1);
                images |= matches!(path, [name] if *name == b"images");
            }
        })
        .map_err(|(at, message)| Rejected::new(format!("at {at:#x}: {message}")))?;
        if images {
            return Err(Rejected::new("a FIT image"));
        }
        if nodes == 0 {
            return Err(Rejected::new("no root node"));
        }
        let tree = cx.new_tree();
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: u64::try_from(header.total_size).unwrap_or(u64::MAX),
            output: Output::Tree(tree),
            variant: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with};
    use crate::testkit::FdtBuilder;

    #[test]
    fn plain_trees_are_recorded_and_fit_images_left_alone() {
        let dtb = FdtBuilder::new()
            .begin(b"")
            .prop_str(b"model", b"board")
            .begin(b"cpus")
            .end()
            .end()
            .finish();
        let data = [dtb.clone(), vec![0xff; 10]].concat();
        let (ex, cx) = extract_ok(&DtbFormat, &data);
        assert_eq!(ex.consumed, dtb.len() as u64);
        assert!(cx.errors.is_empty());
        let fit = crate::formats::fit::tests::sample_fit(b"k");
        assert!(
            extract_with(&DtbFormat, &fit, &Default::default())
                .0
                .is_err()
        );
        // An unbalanced tree is not accepted.
        let broken = FdtBuilder::new().begin(b"").begin(b"x").end().finish();
        assert!(
            extract_with(&DtbFormat, &broken, &Default::default())
                .0
                .is_err()
        );
    }
}
