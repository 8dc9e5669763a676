//! Unix `ar` archives (`!<arch>\n`): GNU and System V (names ending in `/`, the long-name
//! table `//` and `/<offset>` references, symbol tables `/` and `/SYM64/`), BSD (names padded
//! with spaces, `#1/<len>` names stored at the start of the member data, `__.SYMDEF` symbol
//! tables), and Debian packages, which are ar archives whose first member is `debian-binary`
//! (variant `deb`). The driver then descends into each member, so `control.tar.*` and
//! `data.tar.*` of a package are decompressed and unpacked like any other file.
//!
//! Members are flat names; their contents are ranges of the archive (no copy). Symbol tables
//! are skipped. Thin archives (`!<thin>\n`) hold no member data and are not read.

use crate::blob::Blob;
use crate::format::{Context, Extracted, Format, FormatKind, Magic, Output, Rejected};
use crate::tree::{Entry, EntryKind, escape_path};

/// ar archives and Debian packages.
pub(crate) struct ArFormat;

const GLOBAL: &[u8] = b"!<arch>\n";

const MAGICS: &[Magic] = &[Magic::at_start(GLOBAL)];

const HEADER: usize = 60;

/// Longest member name accepted (`PATH_MAX`).
const MAX_NAME: usize = 4096;

/// A member header.
struct Header<'a> {
    name: &'a [u8],
    mtime: u64,
    uid: u64,
    gid: u64,
    mode: u64,
    size: usize,
}

/// A number in a space-padded text field; an all-blank field is 0.
fn number(field: &[u8], radix: u32) -> Option<u64> {
    let text = field
        .iter()
        .position(|&b| b == b' ')
        .map_or(field, |end| field.get(..end).unwrap_or(field));
    if field.get(text.len()..)?.iter().any(|&b| b != b' ') {
        return None;
    }
    let mut value: u64 = 0;
    for &b in text {
        let digit = char::from(b).to_digit(radix)?;
        value = value
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(digit))?;
    }
    Some(value)
}

fn header(data: &[u8]) -> Option<Header<'_>> {
    let h = data.get(..HEADER)?;
    if h.get(58..60)? != b"`\n" {
        return None;
    }
    Some(Header {
        name: h.get(..16)?,
        mtime: number(h.get(16..28)?, 10)?,
        uid: number(h.get(28..34)?, 10)?,
        gid: number(h.get(34..40)?, 10)?,
        mode: number(h.get(40..48)?, 8)?,
        size: usize::try_from(number(h.get(48..58)?, 10)?).ok()?,
    })
}

fn trim_spaces(name: &[u8]) -> &[u8] {
    let end = name
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(0, |i| i.saturating_add(1));
    name.get(..end).unwrap_or(name)
}

/// What a member name means.
enum Name<'a> {
    /// A symbol table (GNU `/`, `/SYM64/`, BSD `__.SYMDEF*`): skipped.
    Symbols,
    /// The GNU long-name table.
    LongNames,
    /// A GNU long name at this offset of the table.
    LongRef(usize),
    /// A BSD name of this length at the start of the data.
    Bsd(usize),
    /// A name in the header.
    Plain(&'a [u8]),
}

fn classify(raw: &[u8]) -> Option<Name<'_>> {
    let name = trim_spaces(raw);
    Some(match name {
        b"/" | b"/SYM64/" => Name::Symbols,
        b"//" => Name::LongNames,
        b"__.SYMDEF" | b"__.SYMDEF SORTED" => Name::Symbols,
        [b'/', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            Name::LongRef(usize::try_from(number(digits, 10)?).ok()?)
        }
        [b'#', b'1', b'/', digits @ ..] => Name::Bsd(usize::try_from(number(digits, 10)?).ok()?),
        _ => Name::Plain(name.strip_suffix(b"/").unwrap_or(name)),
    })
}

/// The name at `offset` of a GNU long-name table: up to `/\n` (or a newline or NUL).
fn long_name(table: &[u8], offset: usize) -> Option<&[u8]> {
    let rest = table.get(offset..)?;
    let end = rest
        .iter()
        .position(|&b| b == b'\n' || b == 0)
        .unwrap_or(rest.len());
    let name = rest.get(..end)?;
    Some(name.strip_suffix(b"/").unwrap_or(name))
}

impl Format for ArFormat {
    fn id(&self) -> &'static str {
        "ar"
    }

    fn description(&self) -> &'static str {
        "ar archive (GNU, BSD) and Debian package"
    }

    fn kind(&self) -> FormatKind {
        FormatKind::Archive
    }

    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn probe(&self, data: &[u8]) -> bool {
        data.starts_with(GLOBAL)
            && (data.len() == GLOBAL.len()
                || header(data.get(GLOBAL.len()..).unwrap_or(&[])).is_some())
    }

    fn extract(&self, data: &Blob, cx: &mut Context<'_>) -> Result<Extracted, Rejected> {
        if !self.probe(data) {
            return Err(Rejected::new("no ar magic or bad first header"));
        }
        let offset = |pos: usize| u64::try_from(pos).unwrap_or(u64::MAX);
        let mut tree = cx.new_tree();
        let mut long_names: &[u8] = &[];
        let mut pos = GLOBAL.len();
        let mut members = 0usize;
        let mut variant = "gnu";
        while pos < data.len() {
            if cx.time_up("reading ar headers") {
                break;
            }
            let rest = data.get(pos..).unwrap_or(&[]);
            let Some(h) = header(rest) else {
                // Some writers pad the archive with newlines.
                if rest.iter().all(|&b| b == b'\n') {
                    pos = data.len();
                } else {
                    cx.error(offset(pos), "bad member header: archive ends here");
                }
                break;
            };
            let body_start = pos.saturating_add(HEADER);
            let body_end = body_start.saturating_add(h.size);
            if body_end > data.len() {
                cx.error(
                    offset(pos),
                    format!(
                        "member {} truncated: {} of {} bytes present",
                        escape_path(trim_spaces(h.name)),
                        data.len().saturating_sub(body_start),
                        h.size
                    ),
                );
            }
            let body_end = body_end.min(data.len());
            let body = data.get(body_start..body_end).unwrap_or(&[]);
            let next = body_end.saturating_add(body_end % 2).min(data.len());
            let Some(kind) = classify(h.name) else {
                cx.error(offset(pos), "unreadable member name: archive ends here");
                break;
            };
            let (name, content_start) = match kind {
                Name::Symbols => {
                    if h.name.starts_with(b"__.SYMDEF") && variant == "gnu" {
                        variant = "bsd";
                    }
                    pos = next;
                    continue;
                }
                Name::LongNames => {
                    long_names = body;
                    pos = next;
                    continue;
                }
                Name::LongRef(at) => match long_name(long_names, at) {
                    Some(name) => (name, body_start),
                    None => {
                        cx.error(
                            offset(pos),
                            format!("long name offset {at} outside the name table, member skipped"),
                        );
                        pos = next;
                        continue;
                    }
                },
                Name::Bsd(len) => {
                    if variant == "gnu" {
                        variant = "bsd";
                    }
                    let Some(raw) = body.get(..len).filter(|_| len <= MAX_NAME) else {
                        cx.error(
                            offset(pos),
                            format!("BSD name of {len} bytes, member skipped"),
                        );
                        pos = next;
                        continue;
                    };
                    let name = raw
                        .get(..memchr::memchr(0, raw).unwrap_or(raw.len()))
                        .unwrap_or(raw);
                    if name.starts_with(b"__.SYMDEF") {
                        pos = next;
                        continue;
                    }
                    (name, body_start.saturating_add(len))
                }
                Name::Plain(name) => (name, body_start),
            };
            if members == 0 && name == b"debian-binary" {
                variant = "deb";
            }
            members = members.saturating_add(1);
            let len = body_end.saturating_sub(content_start);
            let len = cx.cap_file(name, len);
            let content = data
                .slice(content_start..content_start.saturating_add(len))
                .unwrap_or_default();
            let entry = Entry::new(name, EntryKind::File)
                .mode(u32::try_from(h.mode & 0o7777).unwrap_or(0o644))
                .owner(
                    u32::try_from(h.uid).unwrap_or(u32::MAX),
                    u32::try_from(h.gid).unwrap_or(u32::MAX),
                )
                .mtime(i64::try_from(h.mtime).unwrap_or(i64::MAX))
                .content(content);
            if !cx.add(&mut tree, entry) {
                break;
            }
            pos = next;
        }
        cx.charge_tree(&tree);
        Ok(Extracted {
            consumed: offset(pos.min(data.len())),
            output: Output::Tree(tree),
            variant: Some(variant),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, output_tree};
    use crate::testkit::{ArBuilder, ArStyle};

    #[test]
    fn gnu_long_names_and_symbol_tables() {
        let long = b"a-rather-long-object-file-name.o";
        let data = ArBuilder::new(ArStyle::Gnu)
            .symbols()
            .file(b"short.o", b"odd")
            .file(long, b"long one")
            .file(b"x.o", b"")
            .finish();
        let (ex, cx) = extract_ok(&ArFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.consumed, data.len() as u64);
        let tree = output_tree(&ex);
        assert_eq!(tree.read("/short.o").unwrap().as_slice(), b"odd");
        let path = format!("/{}", std::str::from_utf8(long).unwrap());
        assert_eq!(tree.read(&path).unwrap().as_slice(), b"long one");
        assert_eq!(tree.get("/x.o").unwrap().size, 0);
        assert_eq!(tree.files().count(), 3);
        assert_eq!(tree.get("/short.o").unwrap().mode, 0o644);
    }

    #[test]
    fn bsd_names() {
        let data = ArBuilder::new(ArStyle::Bsd)
            .file(b"__.SYMDEF SORTED", b"symbols")
            .file(b"plain.o", b"p")
            .file(b"name with spaces and more than sixteen.o", b"bsd long")
            .finish();
        let (ex, cx) = extract_ok(&ArFormat, &data);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
        assert_eq!(ex.variant, Some("bsd"));
        let tree = output_tree(&ex);
        assert_eq!(
            tree.files().count(),
            2,
            "{:?}",
            tree.iter().collect::<Vec<_>>()
        );
        assert_eq!(
            tree.read("/name with spaces and more than sixteen.o")
                .unwrap()
                .as_slice(),
            b"bsd long"
        );
    }

    #[test]
    fn deb_variant_and_truncation() {
        let data = ArBuilder::new(ArStyle::Gnu)
            .file(b"debian-binary", b"2.0\n")
            .file(b"control.tar.gz", b"not really")
            .finish();
        let (ex, _) = extract_ok(&ArFormat, &data);
        assert_eq!(ex.variant, Some("deb"));
        let cut = &data[..data.len() - 3];
        let (ex, cx) = extract_ok(&ArFormat, cut);
        assert_eq!(cx.errors.len(), 1);
        assert_eq!(
            output_tree(&ex).read("/control.tar.gz").unwrap().as_slice(),
            b"not rea"
        );
    }
}
