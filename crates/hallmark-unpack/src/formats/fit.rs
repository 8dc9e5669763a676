//! U-Boot FIT images (`mkimage -f image.its`): a flattened device tree whose `/images` node
//! holds one sub-node per image (kernel, device trees, ramdisk, firmware, ...).
//!
//! The device tree is read by our own walker over the structure block (also used by the
//! [`dtb`](super::dtb) format): the header's sizes and offsets must lie inside the blob, each
//! token must fit, node nesting is bounded, and the walk ends at `FDT_END` or at the end of
//! the block. Each image node's `data` property (or external data at `data-position`, from the
//! start of the image, or `data-offset`, from the end of the tree rounded to 4 bytes, with
//! `data-size`) becomes a file named after the node (`/kernel`, `/fdt-1`, ...), decompressed
//! as its `compression` property says (`gzip`, `bzip2`, `lzma`, `lzo`, `lz4`, `zstd`); data
//! that does not decode is kept as stored, with the error recorded. `crc32` hash nodes are
//! checked and a mismatch recorded; other hash algorithms and signatures are not verified.
//! Configurations, descriptions, load addresses and timestamps are not read. The extent is the
//! tree plus any external data. A device tree without `/images` is not a FIT: the `dtb`
//! format records it.

use crate::blob::Blob;
use crate::bytes::{be32, to_u64, to_usize};
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::payload::{self, Compression};
use crate::tree::Entry;

/// FIT image.
pub(crate) struct FitFormat;

pub(super) const FDT_MAGIC: &[Magic] = &[Magic::at_start(&[0xd0, 0x0d, 0xfe, 0xed])];

/// Size of a version 17 header; older versions have smaller ones.
const HEADER_V17: usize = 40;

/// Deepest node nesting walked. Real trees are a handful of levels deep.
const MAX_NODE_DEPTH: usize = 64;

/// Tokens walked between two time checks.
const TIME_CHECK_TOKENS: usize = 1 << 12;

const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// A validated device tree header.
#[derive(Debug, Clone, Copy)]
pub(super) struct FdtHeader {
    pub total_size: usize,
    struct_start: usize,
    struct_end: usize,
    strings_start: usize,
    strings_end: usize,
}

/// Reads and checks the header at the start of `data`: version 16 or later, blocks inside the
/// declared total size and not overlapping the header.
pub(super) fn fdt_header(data: &[u8]) -> Option<FdtHeader> {
    if be32(data, 0)? != 0xd00d_feed {
        return None;
    }
    let total_size = to_usize(be32(data, 4)?);
    let struct_start = to_usize(be32(data, 8)?);
    let strings_start = to_usize(be32(data, 12)?);
    let rsvmap = to_usize(be32(data, 16)?);
    let version = be32(data, 20)?;
    let last_compatible = be32(data, 24)?;
    let strings_size = to_usize(be32(data, 32)?);
    let header_len = if version >= 17 { HEADER_V17 } else { 36 };
    let struct_size = if version >= 17 {
        to_usize(be32(data, 36)?)
    } else {
        total_size.checked_sub(struct_start)?
    };
    let struct_end = struct_start.checked_add(struct_size)?;
    let strings_end = strings_start.checked_add(strings_size)?;
    let plausible = (16..=32).contains(&version)
        && last_compatible <= version
        && total_size >= header_len
        && struct_start >= header_len
        && rsvmap >= header_len
        && strings_start >= header_len
        && rsvmap < total_size
        && struct_start % 4 == 0
        && struct_size >= 8
        && struct_end <= total_size
        && strings_end <= total_size;
    plausible.then_some(FdtHeader {
        total_size,
        struct_start,
        struct_end,
        strings_start,
        strings_end,
    })
}

/// One structure-block token.
pub(super) enum Token<'a> {
    /// A node starts (the path given with it ends with its name, unit address included).
    Begin,
    /// The current node ends.
    End,
    /// A property of the current node: name, value, and the value's offset in the blob.
    Prop {
        name: &'a [u8],
        value: &'a [u8],
        at: usize,
    },
}

/// Walks the structure block, calling `visit` with the node path (names from the root's
/// children down) and each token. Damage (a token that does not fit, unbalanced nodes, an
/// unknown token) is an `Err` with its offset: what was visited before stands.
pub(super) fn walk<'a>(
    data: &'a [u8],
    header: &FdtHeader,
    cx: &mut Context<'_>,
    visit: &mut dyn FnMut(&[&'a [u8]], Token<'a>),
) -> Result<(), (usize, String)> {
    let strings = data
        .get(header.strings_start..header.strings_end)
        .unwrap_or(&[]);
    let end = header.struct_end.min(data.len());
    let mut path: Vec<&'a [u8]> = Vec::new();
    let mut depth = 0usize;
    let mut pos = header.struct_start;
    let mut tokens = 0usize;
    loop {
        tokens = tokens.wrapping_add(1);
        if tokens % TIME_CHECK_TOKENS == 0 && cx.time_up("walking a device tree") {
            return Ok(());
        }
        let at = pos;
        let token = be32(data, pos)
            .filter(|_| pos.saturating_add(4) <= end)
            .ok_or_else(|| (at, "structure block ends without FDT_END".to_owned()))?;
        pos = pos.saturating_add(4);
        match token {
            BEGIN_NODE => {
                let rest = data.get(pos..end).unwrap_or(&[]);
                let len = memchr::memchr(0, rest)
                    .ok_or_else(|| (at, "node name runs past the structure block".to_owned()))?;
                let name = rest.get(..len).unwrap_or(&[]);
                pos = align4(pos.saturating_add(len).saturating_add(1));
                if depth >= MAX_NODE_DEPTH {
                    return Err((at, format!("nodes nested deeper than {MAX_NODE_DEPTH}")));
                }
                // The root node has an empty name and is not part of paths.
                if depth > 0 {
                    path.push(name);
                }
                depth = depth.saturating_add(1);
                visit(&path, Token::Begin);
            }
            END_NODE => {
                if depth == 0 {
                    return Err((at, "FDT_END_NODE without a node".to_owned()));
                }
                visit(&path, Token::End);
                depth = depth.saturating_sub(1);
                if depth > 0 {
                    path.pop();
                }
            }
            PROP => {
                let len =
                    be32(data, pos).ok_or_else(|| (at, "property header truncated".to_owned()))?;
                let name_at = be32(data, pos.saturating_add(4))
                    .ok_or_else(|| (at, "property header truncated".to_owned()))?;
                let value_at = pos.saturating_add(8);
                let value_end = value_at.saturating_add(to_usize(len));
                if value_end > end {
                    return Err((at, format!("property of {len} bytes runs past the block")));
                }
                let value = data.get(value_at..value_end).unwrap_or(&[]);
                let name = strings
                    .get(to_usize(name_at)..)
                    .and_then(|s| s.get(..memchr::memchr(0, s)?))
                    .ok_or_else(|| (at, "property name outside the strings block".to_owned()))?;
                pos = align4(value_end);
                if depth == 0 {
                    return Err((at, "property outside any node".to_owned()));
                }
                visit(
                    &path,
                    Token::Prop {
                        name,
                        value,
                        at: value_at,
                    },
                );
            }
            NOP => {}
            END => {
                if depth != 0 {
                    return Err((at, "FDT_END inside a node".to_owned()));
                }
                return Ok(());
            }
            other => return Err((at, format!("unknown structure token {other:#x}"))),
        }
    }
}

/// What the walk learnt about one image node.
#[derive(Default)]
struct Image<'a> {
    name: &'a [u8],
    /// Offset and length of an embedded `data` property.
    data: Option<(usize, usize)>,
    data_offset: Option<u32>,
    data_position: Option<u32>,
    data_size: Option<u32>,
    compression: Option<&'a [u8]>,
    /// The first hash node's algorithm and value.
    hash_algo: Option<&'a [u8]>,
    hash_value: Option<&'a [u8]>,
}

impl Image<'_> {
    /// The expected CRC-32 when the first hash node is a crc32 one.
    fn crc32(&self) -> Option<u32> {
        (self.hash_algo? == b"crc32")
            .then(|| prop_u32(self.hash_value?))
            .flatten()
    }
}

fn prop_u32(value: &[u8]) -> Option<u32> {
    (value.len() == 4).then(|| be32(value, 0)).flatten()
}

fn compression(name: &[u8]) -> Option<Compression> {
    Some(match name {
        b"none" => Compression::None,
        b"gzip" => Compression::Gzip,
        b"bzip2" => Compression::Bzip2,
        b"lzma" => Compression::Lzma,
        b"lzo" => Compression::Lzo,
        b"lz4" => Compression::Lz4,
        b"zstd" => Compression::Zstd,
        _ => return None,
    })
}

fn text(value: &[u8]) -> &[u8] {
    value.strip_suffix(&[0]).unwrap_or(value)
}

/// What a walk over a FIT found: whether `/images` exists and its image nodes.
#[derive(Default)]
struct Found<'a> {
    has_images: bool,
    images: Vec<Image<'a>>,
}

/// Most image nodes read from one FIT.
const MAX_IMAGES: usize = 4096;

fn collect<'a>(found: &mut Found<'a>, path: &[&'a [u8]], token: Token<'a>) {
    let Some((&first, rest)) = path.split_first() else {
        return;
    };
    if first != b"images" {
        return;
    }
    match (rest, token) {
        ([], Token::Begin) => found.has_images = true,
        ([name], Token::Begin) if found.images.len() < MAX_IMAGES => {
            found.images.push(Image {
                name,
                ..Image::default()
            });
        }
        (
            [name],
            Token::Prop {
                name: prop,
                value,
                at,
            },
        ) => {
            let Some(image) = found.images.last_mut().filter(|i| i.name == *name) else {
                return;
            };
            match prop {
                b"data" => image.data = Some((at, value.len())),
                b"data-offset" => image.data_offset = prop_u32(value),
                b"data-position" => image.data_position = prop_u32(value),
                b"data-size" => image.data_size = prop_u32(value),
                b"compression" => image.compression = Some(text(value)),
                _ => {}
            }
        }
        (
            [name, hash],
            Token::Prop {
                name: prop, value, ..
            },
        ) if hash.starts_with(b"hash") => {
            let Some(image) = found.images.last_mut().filter(|i| i.name == *name) else {
                return;
            };
            match prop {
                b"algo" if image.hash_algo.is_none() => image.hash_algo = Some(text(value)),
                b"value" if image.hash_value.is_none() => image.hash_value = Some(value),
                _ => {}
            }
        }
        _ => {}
    }
}

impl Format for FitFormat {
    fn id(&self) -> &'static str {
        "fit"
    }

    fn description(&self) -> &'static str {
        "U-Boot FIT image (device tree with /images), images decompressed as named"
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
        let mut found = Found::default();
        let bytes: &[u8] = data;
        let walked = walk(bytes, &header, cx, &mut |path, token| {
            collect(&mut found, path, token);
        });
        if !found.has_images {
            return Err(Rejected::new("device tree without /images: not a FIT"));
        }
        if let Err((at, message)) = walked {
            cx.error(to_u64(at), message);
        }
        if header.total_size > data.len() {
            cx.error(
                to_u64(data.len()),
                format!(
                    "image truncated: {} of {} bytes present",
                    data.len(),
                    header.total_size
                ),
            );
        }
        let mut tree = cx.new_tree();
        let mut extent = header.total_size;
        let external_base = align4(header.total_size);
        let mut external = false;
        for image in &found.images {
            if cx.time_up("reading FIT images") {
                break;
            }
            let name = String::from_utf8_lossy(image.name).into_owned();
            let range = match (image.data, image.data_position, image.data_offset) {
                (Some((at, len)), _, _) => Some((at, len)),
                (None, Some(position), _) => image
                    .data_size
                    .map(|size| (to_usize(position), to_usize(size))),
                (None, None, Some(offset)) => image.data_size.map(|size| {
                    (
                        external_base.saturating_add(to_usize(offset)),
                        to_usize(size),
                    )
                }),
                (None, None, None) => None,
            };
            let Some((start, len)) = range else {
                cx.error(0, format!("image {name} has no data"));
                continue;
            };
            let end = start.saturating_add(len);
            if image.data.is_none() {
                external = true;
                if start < header.total_size {
                    cx.error(
                        to_u64(start),
                        format!("external data of image {name} overlaps the device tree"),
                    );
                    continue;
                }
                extent = extent.max(end);
            }
            if end > data.len() {
                cx.error(
                    to_u64(start),
                    format!(
                        "data of image {name} truncated: {} of {len} bytes present",
                        data.len().saturating_sub(start)
                    ),
                );
            }
            let stored = data
                .slice(start.min(data.len())..end.min(data.len()))
                .unwrap_or_default();
            if let Some(expected) = image.crc32() {
                let computed = crc32fast::hash(&stored);
                if computed != expected {
                    cx.error(
                        to_u64(start),
                        format!(
                            "image {name}: crc32 {computed:#010x} does not match the hash node's {expected:#010x}"
                        ),
                    );
                }
            }
            let scheme = image
                .compression
                .map(compression)
                .unwrap_or(Some(Compression::None));
            let content = match scheme {
                Some(scheme) => {
                    payload::decompress_or_keep(&stored, scheme, to_u64(start), &name, cx)
                }
                None => {
                    cx.error(
                        to_u64(start),
                        format!(
                            "image {name}: unknown compression {}; kept as stored",
                            String::from_utf8_lossy(image.compression.unwrap_or_default())
                        ),
                    );
                    stored
                }
            };
            let len = cx.cap_file(image.name, content.len());
            let content = content.slice(0..len).unwrap_or_default();
            if !cx.add(&mut tree, Entry::file(image.name, content)) {
                break;
            }
        }
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: to_u64(extent.min(data.len()).max(1)),
            output: Output::Tree(tree),
            variant: Some(if external {
                "external-data"
            } else {
                "embedded-data"
            }),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, extract_with, output_tree};
    use crate::testkit::{self, FdtBuilder};

    /// A FIT with a gzip kernel and a stored device tree.
    pub(crate) fn sample_fit(kernel: &[u8]) -> Vec<u8> {
        FdtBuilder::new()
            .begin(b"")
            .prop_str(b"description", b"test FIT")
            .begin(b"images")
            .begin(b"kernel")
            .prop(b"data", &testkit::gzip(kernel))
            .prop_str(b"compression", b"gzip")
            .begin(b"hash-1")
            .prop_str(b"algo", b"crc32")
            .prop(
                b"value",
                &crc32fast::hash(&testkit::gzip(kernel)).to_be_bytes(),
            )
            .end()
            .end()
            .begin(b"fdt-1")
            .prop(b"data", b"stored device tree")
            .prop_str(b"compression", b"none")
            .end()
            .end()
            .end()
            .finish()
    }

    #[test]
    fn embedded_images_become_decompressed_parts() {
        let fit = sample_fit(b"Linux version 6.1 kernel bytes");
        let data = [fit.clone(), b"trailing".to_vec()].concat();
        let (ex, cx) = extract_ok(&FitFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, fit.len() as u64);
        let tree = output_tree(&ex);
        assert_eq!(
            tree.read("/kernel").unwrap().as_slice(),
            b"Linux version 6.1 kernel bytes"
        );
        assert_eq!(
            tree.read("/fdt-1").unwrap().as_slice(),
            b"stored device tree"
        );
        assert_eq!(ex.variant, Some("embedded-data"));
    }

    #[test]
    fn external_data_extends_the_extent() {
        let kernel = b"external kernel".to_vec();
        let fdt = FdtBuilder::new()
            .begin(b"")
            .begin(b"images")
            .begin(b"kernel")
            .prop(b"data-offset", &0u32.to_be_bytes())
            .prop(b"data-size", &(kernel.len() as u32).to_be_bytes())
            .end()
            .end()
            .end()
            .finish();
        let mut data = fdt.clone();
        data.resize(data.len().div_ceil(4) * 4, 0);
        data.extend_from_slice(&kernel);
        let (ex, cx) = extract_ok(&FitFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, data.len() as u64);
        assert_eq!(
            output_tree(&ex).read("/kernel").unwrap().as_slice(),
            &kernel[..]
        );
        assert_eq!(ex.variant, Some("external-data"));
    }

    #[test]
    fn a_bad_crc_and_undecodable_data_are_recorded() {
        let fdt = FdtBuilder::new()
            .begin(b"")
            .begin(b"images")
            .begin(b"k")
            .prop(b"data", b"not gzip")
            .prop_str(b"compression", b"gzip")
            .begin(b"hash-1")
            .prop_str(b"algo", b"crc32")
            .prop(b"value", &[1, 2, 3, 4])
            .end()
            .end()
            .end()
            .end()
            .finish();
        let (ex, cx) = extract_ok(&FitFormat, &fdt);
        assert_eq!(cx.errors.len(), 2, "{:?}", cx.errors);
        assert_eq!(output_tree(&ex).read("/k").unwrap().as_slice(), b"not gzip");
    }

    #[test]
    fn plain_trees_and_broken_headers_are_rejected() {
        let plain = FdtBuilder::new()
            .begin(b"")
            .prop_str(b"model", b"board")
            .end()
            .finish();
        assert!(FitFormat.probe(&plain));
        assert!(
            extract_with(&FitFormat, &plain, &Default::default())
                .0
                .is_err()
        );
        let fit = sample_fit(b"k");
        for (at, value) in [(4, 0u32), (8, 0x1000_0000), (12, 0xffff_fff0), (20, 3)] {
            let mut bad = fit.clone();
            bad[at..at + 4].copy_from_slice(&value.to_be_bytes());
            assert!(!FitFormat.probe(&bad), "field at {at}");
        }
    }
}
