//! The signature table (`data/components.toml`) and its pattern language: loading, checking,
//! and matching. The language is documented at the top of the data file.

use std::cmp::Ordering;
use std::sync::OnceLock;

use serde::Deserialize;

/// The table, compiled into the binary.
const TABLE_TOML: &str = include_str!("../../../data/components.toml");

/// Longest version captured, in bytes.
const VERSION_MAX: usize = 32;
/// Longest `{suffix}`.
const SUFFIX_MAX: usize = 40;
/// Longest `{gap}`.
const GAP_MAX: usize = 80;
/// Largest `window` of a near-mode signature.
const WINDOW_MAX: usize = 65_536;
/// Anchor occurrences tried per signature and file before giving up on it (a hostile file
/// repeating an anchor costs at most this many attempts).
const ATTEMPTS: u32 = 1_000;
/// The same for near-mode signatures, whose attempts scan a window.
const NEAR_ATTEMPTS: u32 = 8;
/// Longest evidence text.
const TEXT_MAX: usize = 120;

/// The loaded table, or why it did not load.
pub(super) fn table() -> Result<&'static Table, &'static str> {
    static TABLE: OnceLock<Result<Table, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| Table::parse(TABLE_TOML))
        .as_ref()
        .map_err(String::as_str)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    component: Vec<EntryDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDef {
    name: String,
    purl: String,
    cpe: Option<String>,
    cpe_update: Option<char>,
    #[serde(default)]
    packages: Vec<String>,
    #[serde(default)]
    signature: Vec<SignatureDef>,
    #[serde(default)]
    file_name: Vec<FileNameDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignatureDef {
    pattern: String,
    version: Option<String>,
    near: Option<String>,
    window: Option<usize>,
    files: Option<Vec<String>>,
    #[serde(default)]
    exclude: Vec<String>,
    min_version: Option<String>,
    max_version: Option<String>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) sample: String,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) sample_file: Option<String>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) expect: Option<String>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) near_miss: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileNameDef {
    pattern: String,
    version: Option<String>,
    min_version: Option<String>,
    max_version: Option<String>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) sample: String,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) expect: Option<String>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) near_miss: String,
}

/// One component of the table.
pub(super) struct Entry {
    /// Its name in Facts.
    pub(super) name: String,
    /// `pkg:type[/namespace]/name`, without version.
    pub(super) purl: String,
    /// `(part, vendor, product)`.
    pub(super) cpe: Option<(String, String, String)>,
    /// The letter that starts the CPE update field inside a version (`p` of `8.4p1`).
    pub(super) cpe_update: Option<char>,
    /// Package-database names (globs) that are this component.
    pub(super) packages: Vec<String>,
    /// The definitions, for the unit tests.
    #[cfg(test)]
    pub(super) signature_defs: Vec<SignatureDef>,
    #[cfg(test)]
    pub(super) file_name_defs: Vec<FileNameDef>,
}

/// Where a signature applies.
#[derive(Debug, Default)]
pub(super) struct Applies {
    pub(super) elf: bool,
    pub(super) layer: bool,
    pub(super) globs: Vec<String>,
}

impl Applies {
    pub(super) fn to(&self, elf: bool, layer: bool, name: &str) -> bool {
        (self.elf && elf) || (self.layer && layer) || self.globs.iter().any(|g| glob(g, name))
    }
}

/// A byte signature.
pub(super) struct Signature {
    /// Index of its entry.
    pub(super) entry: usize,
    pattern: Pattern,
    /// The anchor of near mode, with its window.
    near: Option<(Vec<u8>, usize)>,
    pub(super) applies: Applies,
}

/// A file-name signature.
pub(super) struct FileName {
    pub(super) entry: usize,
    pattern: Pattern,
}

impl FileName {
    /// `Some(version)` (`Some(None)` for a name-only pattern) when `name` matches whole.
    pub(super) fn matches(&self, name: &str) -> Option<Option<String>> {
        let bytes = name.as_bytes();
        let (end, version) = self.pattern.match_at(bytes, 0)?;
        if end != bytes.len() {
            return None;
        }
        match version {
            Some((s, e)) => Some(Some(self.pattern.bounded(text(bytes, s, e))?)),
            None => Some(None),
        }
    }
}

/// What an Aho-Corasick pattern of the table is for.
#[derive(Default)]
struct Role {
    /// Signatures anchored on it.
    anchors: Vec<usize>,
    /// Signatures it cancels.
    excludes: Vec<usize>,
}

/// The compiled table.
pub(super) struct Table {
    pub(super) entries: Vec<Entry>,
    pub(super) signatures: Vec<Signature>,
    pub(super) file_names: Vec<FileName>,
    automaton: Literals,
    roles: Vec<Role>,
}

/// A signature found in some data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Hit {
    /// Index of the signature.
    pub(super) signature: usize,
    /// The version, `None` for a name-only signature.
    pub(super) version: Option<String>,
    /// Where the evidence starts.
    pub(super) offset: usize,
    /// The evidence, printable.
    pub(super) text: String,
}

impl Table {
    fn parse(source: &str) -> Result<Table, String> {
        let file: FileDef = toml::from_str(source).map_err(|e| format!("components.toml: {e}"))?;
        let mut entries = Vec::new();
        let mut signatures = Vec::new();
        let mut file_names = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut roles: Vec<Role> = Vec::new();
        let mut role = |literal: &[u8]| -> usize {
            if let Some(i) = literals.iter().position(|l| l.as_slice() == literal) {
                return i;
            }
            literals.push(literal.to_vec());
            roles.push(Role::default());
            literals.len().saturating_sub(1)
        };
        let mut anchored: Vec<(usize, usize)> = Vec::new();
        let mut excluded: Vec<(usize, usize)> = Vec::new();
        for (index, def) in file.component.into_iter().enumerate() {
            let context = |what: &str| format!("component {}: {what}", def.name);
            if !def.purl.starts_with("pkg:") || def.purl.contains('@') {
                return Err(context("purl must be pkg:type/name without a version"));
            }
            let cpe = match &def.cpe {
                Some(cpe) => {
                    let parts: Vec<&str> = cpe.split(':').collect();
                    match parts.as_slice() {
                        [part @ ("a" | "o" | "h"), vendor, product]
                            if !vendor.is_empty() && !product.is_empty() =>
                        {
                            Some((
                                (*part).to_owned(),
                                (*vendor).to_owned(),
                                (*product).to_owned(),
                            ))
                        }
                        _ => return Err(context("cpe must be part:vendor:product")),
                    }
                }
                None => None,
            };
            for s in &def.signature {
                let kind = Kind::parse(s.version.as_deref()).ok_or_else(|| context("version"))?;
                let pattern = Pattern::parse(
                    &s.pattern,
                    kind,
                    s.min_version.clone(),
                    s.max_version.clone(),
                )
                .map_err(|e| context(&e))?;
                if s.expect.is_some() != pattern.has_version() {
                    return Err(context(
                        "expect is given exactly for patterns with {version}",
                    ));
                }
                let near = match (&s.near, s.window) {
                    (Some(near), Some(window)) if !near.is_empty() && window <= WINDOW_MAX => {
                        Some((near.as_bytes().to_vec(), window))
                    }
                    (None, None) => None,
                    _ => return Err(context("near needs a window of at most 64 KiB")),
                };
                let anchor = match (&near, pattern.tokens.first()) {
                    (Some((near, _)), _) => near.clone(),
                    (None, Some(Token::Literal(literal))) if literal.len() >= 3 => literal.clone(),
                    _ => {
                        return Err(context(
                            "a pattern must start with a literal of 3 bytes or more",
                        ));
                    }
                };
                let mut applies = Applies::default();
                for f in s.files.clone().unwrap_or_else(|| vec!["elf".to_owned()]) {
                    match f.as_str() {
                        "elf" => applies.elf = true,
                        "layer" => applies.layer = true,
                        _ => applies.globs.push(f),
                    }
                }
                let id = signatures.len();
                anchored.push((role(&anchor), id));
                for e in &s.exclude {
                    excluded.push((role(e.as_bytes()), id));
                }
                signatures.push(Signature {
                    entry: index,
                    pattern,
                    near,
                    applies,
                });
            }
            for f in &def.file_name {
                let kind = Kind::parse(f.version.as_deref()).ok_or_else(|| context("version"))?;
                let pattern = Pattern::parse(
                    &f.pattern,
                    kind,
                    f.min_version.clone(),
                    f.max_version.clone(),
                )
                .map_err(|e| context(&e))?;
                if f.expect.is_some() != pattern.has_version() {
                    return Err(context(
                        "expect is given exactly for patterns with {version}",
                    ));
                }
                file_names.push(FileName {
                    entry: index,
                    pattern,
                });
            }
            if entries.iter().any(|e: &Entry| e.name == def.name) {
                return Err(context("duplicate name"));
            }
            entries.push(Entry {
                name: def.name,
                purl: def.purl,
                cpe,
                cpe_update: def.cpe_update,
                packages: def.packages,
                #[cfg(test)]
                signature_defs: def.signature,
                #[cfg(test)]
                file_name_defs: def.file_name,
            });
        }
        for (r, id) in anchored {
            if let Some(role) = roles.get_mut(r) {
                role.anchors.push(id);
            }
        }
        for (r, id) in excluded {
            if let Some(role) = roles.get_mut(r) {
                role.excludes.push(id);
            }
        }
        if literals.iter().any(Vec::is_empty) {
            return Err("components.toml: an exclude literal is empty".into());
        }
        let automaton = Literals::new(literals);
        Ok(Table {
            entries,
            signatures,
            file_names,
            automaton,
            roles,
        })
    }

    /// The literals searched for (anchors and excludes).
    #[cfg(test)]
    pub(super) fn literals(&self) -> &[Vec<u8>] {
        &self.automaton.literals
    }

    /// Whether any signature applies to a file of this name by its glob (ELF files are
    /// scanned whatever their name).
    pub(super) fn wants_name(&self, name: &str) -> bool {
        self.signatures
            .iter()
            .any(|s| s.applies.globs.iter().any(|g| glob(g, name)))
    }

    /// Every signature found in `data`, at most one hit per signature: one Aho-Corasick pass
    /// over the anchors of all signatures, each candidate then checked by its pattern.
    /// `applies` says which signatures apply to this data.
    pub(super) fn scan(&self, data: &[u8], applies: &dyn Fn(&Signature) -> bool) -> Vec<Hit> {
        let wanted: Vec<bool> = self.signatures.iter().map(applies).collect();
        let mut done = vec![false; self.signatures.len()];
        let mut attempts = vec![0u32; self.signatures.len()];
        let mut cancelled = vec![false; self.signatures.len()];
        let mut hits = Vec::new();
        for m in self.automaton.find_all(data) {
            let Some(role) = self.roles.get(m.literal) else {
                continue;
            };
            for &id in &role.excludes {
                if let Some(c) = cancelled.get_mut(id) {
                    *c = true;
                }
            }
            for &id in &role.anchors {
                let (Some(true), Some(false), Some(tries), Some(signature)) = (
                    wanted.get(id).copied(),
                    done.get(id).copied(),
                    attempts.get_mut(id),
                    self.signatures.get(id),
                ) else {
                    continue;
                };
                let limit = if signature.near.is_some() {
                    NEAR_ATTEMPTS
                } else {
                    ATTEMPTS
                };
                if *tries >= limit {
                    continue;
                }
                *tries = tries.saturating_add(1);
                if let Some((version, offset, text)) = signature.check(data, m.start, m.end) {
                    if let Some(d) = done.get_mut(id) {
                        *d = true;
                    }
                    hits.push(Hit {
                        signature: id,
                        version,
                        offset,
                        text,
                    });
                }
            }
        }
        hits.retain(|h| !cancelled.get(h.signature).copied().unwrap_or(true));
        hits
    }
}

/// Every occurrence of a set of non-empty literals in some data, overlapping ones included.
///
/// Each position's first two bytes are looked up in a bitmap of the literals' first two bytes
/// (8 KiB, which stays in the L1 cache, and in a program only a small fraction of positions
/// pass), and the few literals starting with them are compared there; one-byte literals are
/// looked up by their byte. Matches come in the order of an overlapping Aho-Corasick search:
/// by end, the longer first for the same end. That is several times faster on whole programs
/// than an Aho-Corasick automaton for the table's ~150 literals, whose states do not fit the
/// cache (see the `literals_match_like_aho_corasick` test for the equivalence).
pub(super) struct Literals {
    literals: Vec<Vec<u8>>,
    /// Bit `256 a + b` set when a literal starts with bytes `a`, `b`.
    pairs: Vec<u64>,
    /// The literals of two bytes or more, sorted by their first two bytes.
    by_pair: Vec<(u16, usize)>,
    /// The one-byte literals.
    single: Vec<(u8, usize)>,
}

/// One occurrence found by [`Literals::find_all`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LiteralMatch {
    pub(super) literal: usize,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Literals {
    pub(super) fn new(literals: Vec<Vec<u8>>) -> Literals {
        let mut pairs = vec![0u64; 1024];
        let mut by_pair = Vec::new();
        let mut single = Vec::new();
        for (i, literal) in literals.iter().enumerate() {
            match literal.as_slice() {
                [a, b, ..] => {
                    let key = u16::from_be_bytes([*a, *b]);
                    if let Some(word) = pairs.get_mut(usize::from(key) / 64) {
                        *word |= 1 << (key % 64);
                    }
                    by_pair.push((key, i));
                }
                [a] => single.push((*a, i)),
                [] => {}
            }
        }
        by_pair.sort_unstable();
        Literals {
            literals,
            pairs,
            by_pair,
            single,
        }
    }

    /// Every occurrence of every literal in `data`, by end and then longest first.
    pub(super) fn find_all(&self, data: &[u8]) -> Vec<LiteralMatch> {
        let mut found = Vec::new();
        let mut add = |literal: usize, start: usize| {
            let Some(text) = self.literals.get(literal) else {
                return;
            };
            if data.get(start..).is_some_and(|rest| rest.starts_with(text)) {
                found.push(LiteralMatch {
                    literal,
                    start,
                    end: start.saturating_add(text.len()),
                });
            }
        };
        for (start, pair) in data.windows(2).enumerate() {
            let &[a, b] = pair else {
                continue;
            };
            let key = u16::from_be_bytes([a, b]);
            if self
                .pairs
                .get(usize::from(key) / 64)
                .is_some_and(|word| word & (1 << (key % 64)) != 0)
            {
                let first = self.by_pair.partition_point(|&(k, _)| k < key);
                let same = self.by_pair.iter().skip(first);
                for &(_, literal) in same.take_while(|&&(k, _)| k == key) {
                    add(literal, start);
                }
            }
        }
        if !self.single.is_empty() {
            for (start, byte) in data.iter().enumerate() {
                for &(_, literal) in self.single.iter().filter(|(b, _)| b == byte) {
                    add(literal, start);
                }
            }
        }
        found.sort_unstable_by_key(|m| (m.end, m.start));
        found
    }
}

impl Signature {
    /// The version (`None` for name only), the evidence offset and text, when the signature
    /// holds at the anchor found at `start..end`.
    fn check(
        &self,
        data: &[u8],
        start: usize,
        end: usize,
    ) -> Option<(Option<String>, usize, String)> {
        let Some((_, window)) = &self.near else {
            let (_, version) = self.pattern.match_at(data, start)?;
            let version = match version {
                Some((s, e)) => Some(self.pattern.bounded(text(data, s, e))?),
                None => None,
            };
            return Some((version, start, printable(data, start)));
        };
        // Near mode: every string starting in the window, exactly one version among them.
        let from = start.saturating_sub(*window);
        let to = end.saturating_add(*window).min(data.len());
        let mut found: Option<(String, usize)> = None;
        for at in from..to {
            if at != 0 && data.get(at.saturating_sub(1)) != Some(&0) {
                continue;
            }
            if !data.get(at).is_some_and(u8::is_ascii_digit) {
                continue;
            }
            let Some((_, Some((s, e)))) = self.pattern.match_at(data, at) else {
                continue;
            };
            let Some(version) = self.pattern.bounded(text(data, s, e)) else {
                continue;
            };
            match &found {
                Some((v, _)) if *v != version => return None,
                Some(_) => {}
                None => found = Some((version, at)),
            }
        }
        let (version, at) = found?;
        let text = format!("{} … {}", printable(data, start), printable(data, at));
        Some((Some(version), at, text))
    }
}

/// How a version is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `1.30.1`, `1.1.1w`, `8.4p1`: digits, then at least one `.` and a part starting with a
    /// digit.
    Dotted,
    /// `4.14.180`: digits and dots only, at least one dot.
    Numeric,
    /// `6b`: digits and an optional lowercase letter.
    Letter,
}

impl Kind {
    fn parse(name: Option<&str>) -> Option<Kind> {
        match name {
            None | Some("dotted") => Some(Kind::Dotted),
            Some("numeric") => Some(Kind::Numeric),
            Some("letter") => Some(Kind::Letter),
            Some(_) => None,
        }
    }

    /// Length of the version at the start of `s`.
    fn length(self, s: &[u8]) -> Option<usize> {
        let digits = |from: usize| {
            s.iter()
                .skip(from)
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let first = digits(0);
        if first == 0 || first > 10 {
            return None;
        }
        let mut end = first;
        if self == Kind::Letter {
            if s.get(end).is_some_and(u8::is_ascii_lowercase) {
                end = end.saturating_add(1);
            }
            return (!s.get(end).is_some_and(u8::is_ascii_alphanumeric)).then_some(end);
        }
        let mut dots = 0;
        while s.get(end) == Some(&b'.') {
            let part_start = end.saturating_add(1);
            if !s.get(part_start).is_some_and(u8::is_ascii_digit) {
                break;
            }
            let part = s
                .iter()
                .skip(part_start)
                .take_while(|b| match self {
                    Kind::Numeric => b.is_ascii_digit(),
                    _ => b.is_ascii_alphanumeric(),
                })
                .count();
            end = part_start.saturating_add(part);
            dots += 1;
            if end > VERSION_MAX {
                return None;
            }
        }
        (dots > 0).then_some(end)
    }
}

/// One token of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(Vec<u8>),
    Version,
    Suffix,
    Gap,
    Sep,
    Nul,
    Date,
}

/// A compiled pattern.
#[derive(Debug)]
struct Pattern {
    tokens: Vec<Token>,
    kind: Kind,
    min: Option<String>,
    max: Option<String>,
}

impl Pattern {
    fn parse(
        text: &str,
        kind: Kind,
        min: Option<String>,
        max: Option<String>,
    ) -> Result<Pattern, String> {
        let mut tokens = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let (name, tail) = after
                    .split_once('}')
                    .ok_or_else(|| format!("unclosed token in {text:?}"))?;
                tokens.push(match name {
                    "version" => Token::Version,
                    "suffix" => Token::Suffix,
                    "gap" => Token::Gap,
                    "sep" => Token::Sep,
                    "nul" => Token::Nul,
                    "date" => Token::Date,
                    _ => return Err(format!("unknown token {{{name}}} in {text:?}")),
                });
                rest = tail;
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let (literal, tail) = rest.split_at(end);
                tokens.push(Token::Literal(literal.as_bytes().to_vec()));
                rest = tail;
            }
        }
        let count = |t: &Token| tokens.iter().filter(|x| *x == t).count();
        if count(&Token::Version) > 1 || count(&Token::Gap) > 1 {
            return Err(format!(
                "at most one {{version}} and one {{gap}} in {text:?}"
            ));
        }
        if count(&Token::Version) == 0 && (min.is_some() || max.is_some()) {
            return Err(format!("bounds without {{version}} in {text:?}"));
        }
        Ok(Pattern {
            tokens,
            kind,
            min,
            max,
        })
    }

    fn has_version(&self) -> bool {
        self.tokens.contains(&Token::Version)
    }

    /// The version, when within the bounds.
    fn bounded(&self, version: String) -> Option<String> {
        let below = self
            .min
            .as_deref()
            .is_some_and(|min| compare_versions(&version, min) == Ordering::Less);
        let above = self
            .max
            .as_deref()
            .is_some_and(|max| compare_versions(&version, max) == Ordering::Greater);
        (!below && !above).then_some(version)
    }

    /// Matches the whole pattern at `at`: where it ends and the version's span.
    fn match_at(&self, data: &[u8], at: usize) -> Option<(usize, Option<(usize, usize)>)> {
        self.run(&self.tokens, data, at, None)
    }

    fn run(
        &self,
        tokens: &[Token],
        data: &[u8],
        at: usize,
        version: Option<(usize, usize)>,
    ) -> Option<(usize, Option<(usize, usize)>)> {
        let Some((token, rest)) = tokens.split_first() else {
            return Some((at, version));
        };
        let here = data.get(at..).unwrap_or(&[]);
        match token {
            Token::Literal(literal) => {
                if here.starts_with(literal) {
                    self.run(rest, data, at.saturating_add(literal.len()), version)
                } else {
                    None
                }
            }
            Token::Version => {
                let length = self.kind.length(here)?;
                let end = at.saturating_add(length);
                self.run(rest, data, end, Some((at, end)))
            }
            Token::Suffix => {
                // Longest first, then shorter, so that what follows can match.
                let longest = here
                    .iter()
                    .take(SUFFIX_MAX)
                    .take_while(|&&b| b.is_ascii_alphanumeric() || b"._+~-".contains(&b))
                    .count();
                (0..=longest)
                    .rev()
                    .find_map(|length| self.run(rest, data, at.saturating_add(length), version))
            }
            Token::Gap => {
                for length in 0..=GAP_MAX {
                    if length > 0 {
                        let b = here.get(length.saturating_sub(1))?;
                        if !(0x20..0x7f).contains(b) {
                            return None;
                        }
                    }
                    if let Some(found) = self.run(rest, data, at.saturating_add(length), version) {
                        return Some(found);
                    }
                }
                None
            }
            Token::Sep => match here.first() {
                None => self.run(rest, data, at, version),
                Some(0 | b' ' | b'\t' | b'\r' | b'\n') => {
                    self.run(rest, data, at.saturating_add(1), version)
                }
                Some(_) => None,
            },
            Token::Nul => match here.first() {
                None => self.run(rest, data, at, version),
                Some(0) => self.run(rest, data, at.saturating_add(1), version),
                Some(_) => None,
            },
            Token::Date => {
                let length = date_length(here)?;
                self.run(rest, data, at.saturating_add(length), version)
            }
        }
    }
}

/// `[ ]dd Mon yyyy` (one optional extra space, a one- or two-digit day).
fn date_length(s: &[u8]) -> Option<usize> {
    let mut at = usize::from(s.first() == Some(&b' '));
    let day = s
        .iter()
        .skip(at)
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(1..=2).contains(&day) {
        return None;
    }
    at = at.saturating_add(day);
    let month = s.get(at..at.saturating_add(5))?;
    let ok = matches!(month, [b' ', a, b, c, b' '] if a.is_ascii_uppercase() && b.is_ascii_lowercase() && c.is_ascii_lowercase());
    if !ok {
        return None;
    }
    at = at.saturating_add(5);
    let year = s.get(at..at.saturating_add(4))?;
    year.iter()
        .all(u8::is_ascii_digit)
        .then(|| at.saturating_add(4))
}

/// The bytes `s..e` as text (patterns only capture ASCII).
fn text(data: &[u8], s: usize, e: usize) -> String {
    String::from_utf8_lossy(data.get(s..e).unwrap_or(&[])).into_owned()
}

/// The printable text from `start`, at most [`TEXT_MAX`] bytes: the evidence shown to a
/// person.
fn printable(data: &[u8], start: usize) -> String {
    let bytes = data.get(start..).unwrap_or(&[]);
    let run = bytes
        .iter()
        .take(TEXT_MAX)
        .take_while(|&&b| (0x20..0x7f).contains(&b) || b == b'\t')
        .count();
    String::from_utf8_lossy(bytes.get(..run).unwrap_or(&[]))
        .trim_end()
        .to_owned()
}

/// Compares versions part by part (`.`, `-` and `_` separate parts), numbers numerically.
pub(super) fn compare_versions(a: &str, b: &str) -> Ordering {
    let split = |v: &str| {
        v.split(['.', '-', '_'])
            .map(|part| {
                let digits = part.bytes().take_while(u8::is_ascii_digit).count();
                let (number, rest) = part.split_at(digits);
                (number.parse::<u64>().unwrap_or(0), rest.to_owned())
            })
            .collect::<Vec<_>>()
    };
    split(a).cmp(&split(b))
}

/// A glob with `*` (any run of bytes) against a whole name.
pub(super) fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi = pi.saturating_add(1);
            }
            Some(&c) if n.get(ni) == Some(&c) => {
                pi = pi.saturating_add(1);
                ni = ni.saturating_add(1);
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp.saturating_add(1);
                    ni = sn.saturating_add(1);
                    star = Some((sp, ni));
                }
                None => return false,
            },
        }
    }
    p.iter().skip(pi).all(|&c| c == b'*')
}
