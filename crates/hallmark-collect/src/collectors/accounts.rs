//! Local accounts: passwd, shadow and group files, their backups, variants and copies, in every
//! tree of the image; one [`Account`] per entry, with its password state and what testing a
//! hash against the bundled dictionary found.
//!
//! **Which files.** Any file (or symlink to a file in the same tree) whose name contains
//! `passwd` or `shadow` (`passwd`, `shadow-`, `passwd.bak`, `master.passwd`, `.htpasswd`,
//! `/var/passwd`, `/etc/config/shadow`, a configuration overlay's `/etc/shadow`, ...), except
//! `gshadow*`, names with a source, script, package-list or archive extension (`.c`, `.sh`,
//! `.list`, `.gz`, ...), scripts (`#!`) and ELF files; group files are the files named
//! `group`, `group-`, `group.bak`, ... . A symlink whose target is not in the image (e.g.
//! `/etc/passwd -> /var/passwd`, made at run time) is noted in the coverage.
//!
//! **Which lines.** Fields are split at `:`. Blank lines, `#` comments, NIS `+`/`-` lines,
//! names with spaces or control characters and lines over 8 KiB are skipped, as are lines whose
//! shape fits no format; `\r` before `\n` is ignored. A line is read, by its field count, as:
//! - *passwd* (3 to 7 fields with a numeric uid in field 3, or 8-9 fields whose seventh starts
//!   with `/`; missing gid or shell are left unknown), or BSD `master.passwd` (10 fields);
//! - *shadow* (8-9 fields, the third empty or numeric; in a file named like `shadow`, also
//!   3 to 7 fields);
//! - a *name:hash* pair (2 fields, as htpasswd or mosquitto files have): kept only when the
//!   second field has a known hash's shape, so that `name:$text` fragments are not accounts.
//!
//! A file that is not UTF-8 text (or has NUL bytes) is read as runs of printable ASCII, each
//! run as a line, located by byte offset instead of line number.
//!
//! **Pairing.** Files in the same directory of the same tree whose names differ only in
//! `passwd`/`shadow`/`group` belong together (`passwd-` with `shadow-` and `group-`;
//! `passwd.bak` with `shadow.bak`; a lone `passwd.bak` with `group`). A passwd entry whose
//! password is `x` takes it from the shadow entry of the same name, in the same set or else in
//! a set at the same root-filesystem path of another tree (a configuration overlay's
//! `/etc/shadow` over the rootfs `/etc/passwd`); the account is then located at the shadow
//! line, with `passwd_location` at the passwd line. Any other passwd password (a hash directly
//! in passwd is common on embedded devices; an empty field means no password, as glibc and
//! busybox read it) is used as written. Shadow entries no passwd entry took become accounts of
//! their own, with uid, gid and shell from a passwd entry of that name when there is one.
//!
//! **Password states** of the field used:
//! - `Empty`: the field is empty;
//! - `Locked`: it starts with `!` or `*` (`!`, `!!`, `!<hash>` as `passwd -l` leaves it, `*`,
//!   `*LK*`, `*NP*`, ...), or is `x` (a passwd `x` with no shadow entry anywhere, or `x` in a
//!   shadow file), `NP` or `LK` (Solaris): no crypt(3) output looks like these, so no password
//!   matches;
//! - `Hash`: a recognised hash (see [`crate::crack::scheme`]), tested against the dictionary;
//! - `Unrecognised`: anything else, kept as written. This is either a plaintext password that
//!   the vendor's own login program compares as is, or a vendor format (e.g. D-Link's
//!   17-character `iCDxYDfeF4MZL.H3/`); a standard login can match neither, but we cannot tell
//!   which login the device uses, so we neither call it locked nor a hash.

use std::collections::{BTreeMap, HashMap, HashSet};

use hallmark_model::Location;
use hallmark_model::facts::{Account, Coverage, Crack, Facts, Password};
use hallmark_unpack::{FileTree, Node, NodeKind};

use crate::crack::{self, Hash, Job};
use crate::{Collector, File, Image, Options, coverage};

/// Records [`Account`] facts.
pub(crate) struct AccountsCollector;

/// Longest line read.
const MAX_LINE: usize = 8 * 1024;
/// Shortest printable run read as a line in a binary file.
const MIN_RUN: usize = 4;
/// Most coverage notes of one kind.
const MAX_NOTES: usize = 10;

/// File name extensions of files that are not account databases.
const SKIPPED_EXTENSIONS: &[&str] = &[
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "py",
    "pyc",
    "pl",
    "pm",
    "rb",
    "lua",
    "luac",
    "js",
    "ts",
    "html",
    "htm",
    "shtml",
    "asp",
    "aspx",
    "jsp",
    "php",
    "cgi",
    "css",
    "xml",
    "xsl",
    "svg",
    "png",
    "jpg",
    "gif",
    "ico",
    "so",
    "ko",
    "a",
    "o",
    "la",
    "gz",
    "bz2",
    "xz",
    "lzma",
    "zst",
    "zip",
    "tar",
    "tgz",
    "po",
    "mo",
    "pot",
    "list",
    "md5sums",
    "sha256sums",
    "conffiles",
    "postinst",
    "preinst",
    "postrm",
    "prerm",
    "triggers",
    "templates",
    "shlibs",
    "symbols",
    "md",
    "rst",
    "sh",
    "bash",
    "awk",
    "sed",
    "service",
    "socket",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
];

/// What a file holds, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Passwd,
    Shadow,
    Group,
}

/// The role of a file named `name`, and its name with the role word replaced by `*` (files
/// with the same such stem in one directory belong together).
fn role(name: &str) -> Option<(Role, String)> {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("gshadow") {
        return None;
    }
    if let Some((_, ext)) = lower.rsplit_once('.') {
        if SKIPPED_EXTENSIONS.contains(&ext) {
            return None;
        }
    }
    let stem = |word: &str| {
        lower.find(word).map(|at| {
            let end = at + word.len();
            format!(
                "{}*{}",
                name.get(..at).unwrap_or_default(),
                name.get(end..).unwrap_or_default()
            )
        })
    };
    if let Some(s) = stem("shadow") {
        return Some((Role::Shadow, s));
    }
    if let Some(s) = stem("passwd") {
        return Some((Role::Passwd, s));
    }
    let rest = lower.strip_prefix("group")?;
    if rest.is_empty() || rest.starts_with(['-', '.', '_', '~']) {
        return stem("group").map(|s| (Role::Group, s));
    }
    None
}

/// One account-database line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Passwd {
        name: String,
        password: String,
        uid: Option<u32>,
        gid: Option<u32>,
        shell: Option<String>,
    },
    Shadow {
        name: String,
        password: String,
    },
    /// A `name:hash` pair.
    Pair {
        name: String,
        password: String,
    },
}

/// One parsed line and where it is.
#[derive(Debug, Clone)]
struct Entry {
    line: Line,
    location: Location,
}

impl Entry {
    fn name(&self) -> &str {
        match &self.line {
            Line::Passwd { name, .. } | Line::Shadow { name, .. } | Line::Pair { name, .. } => name,
        }
    }

    fn password(&self) -> &str {
        match &self.line {
            Line::Passwd { password, .. }
            | Line::Shadow { password, .. }
            | Line::Pair { password, .. } => password,
        }
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && !name.starts_with(['#', '+', '-'])
        && name.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

fn number(field: Option<&&str>) -> Option<u32> {
    let f = field?;
    if f.is_empty() || f.len() > 10 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    f.parse().ok()
}

/// Reads one line of a file with role `role` (`Passwd` or `Shadow`).
fn parse_line(line: &str, role: Role) -> Option<Line> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.len() > MAX_LINE || line.trim().is_empty() || line.starts_with('#') {
        return None;
    }
    let fields: Vec<&str> = line.split(':').collect();
    let name = (*fields.first()?).to_owned();
    if !valid_name(&name) {
        return None;
    }
    let password = (*fields.get(1)?).to_owned();
    let n = fields.len();
    let uid = number(fields.get(2));
    let gid = number(fields.get(3));
    let shell_at = |i: usize| {
        fields
            .get(i)
            .filter(|s| !s.is_empty())
            .map(|s| (*s).to_owned())
    };
    let passwd_shape_8_9 =
        (8..=9).contains(&n) && uid.is_some() && fields.get(6).is_some_and(|s| s.starts_with('/'));
    let lastchg_ok = fields.get(2).is_some_and(|s| s.is_empty()) || uid.is_some();
    match n {
        2 => Hash::parse(&password).map(|_| Line::Pair { name, password }),
        3..=7
            if role == Role::Shadow
                && !(n == 7 && fields.get(6).is_some_and(|s| s.starts_with('/'))) =>
        {
            lastchg_ok.then_some(Line::Shadow { name, password })
        }
        3..=7 => uid.map(|uid| Line::Passwd {
            name,
            password,
            uid: Some(uid),
            gid,
            shell: if n == 7 { shell_at(6) } else { None },
        }),
        8 | 9 if passwd_shape_8_9 => Some(Line::Passwd {
            name,
            password,
            uid,
            gid,
            shell: shell_at(6),
        }),
        8 | 9 => lastchg_ok.then_some(Line::Shadow { name, password }),
        10 => (uid.is_some() && gid.is_some()).then(|| Line::Passwd {
            name,
            password,
            uid,
            gid,
            shell: shell_at(9),
        }),
        _ => None,
    }
}

/// The lines of `bytes` with their locations: text lines numbered from 1, or printable runs of
/// a binary file located by offset.
fn lines<'b>(file: &File<'_>, bytes: &'b [u8]) -> Vec<(&'b str, Location)> {
    let text = (!bytes.contains(&0))
        .then(|| std::str::from_utf8(bytes).ok())
        .flatten();
    if let Some(text) = text {
        return text
            .split('\n')
            .enumerate()
            .map(|(i, line)| (line, file.line(i + 1)))
            .collect();
    }
    let mut out = Vec::new();
    let mut start = None;
    for (i, &b) in bytes.iter().chain(std::iter::once(&0)).enumerate() {
        let printable = (0x20..0x7f).contains(&b) || b == b'\t';
        match (printable, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= MIN_RUN {
                    if let Some(run) = bytes.get(s..i).and_then(|r| std::str::from_utf8(r).ok()) {
                        out.push((run, file.at(s)));
                    }
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// A group file's entry.
#[derive(Debug, Clone)]
struct Group {
    name: String,
    gid: u32,
    members: Vec<String>,
}

fn parse_groups(bytes: &[u8]) -> Vec<Group> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.len() > MAX_LINE || line.starts_with('#') {
                return None;
            }
            let fields: Vec<&str> = line.split(':').collect();
            let name = *fields.first()?;
            let gid = number(fields.get(2))?;
            if !valid_name(name) || fields.len() > 4 {
                return None;
            }
            let members = fields
                .get(3)
                .map(|m| {
                    m.split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Some(Group {
                name: name.to_owned(),
                gid,
                members,
            })
        })
        .collect()
}

/// Which set of files an entry belongs to: tree index, directory, stem.
type SetKey = (usize, String, String);

/// The passwd and shadow entries of one set of files, and its place in a root filesystem.
#[derive(Debug, Default)]
struct Set {
    rootfs_dir: String,
    passwd: Vec<Entry>,
    shadow: Vec<Entry>,
    pairs: Vec<Entry>,
}

/// Where an account's password came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    /// The passwd entry itself.
    Passwd,
    /// A shadow entry: set and index.
    Shadow(usize, usize),
    /// `x` with no shadow entry.
    Missing,
}

impl Collector for AccountsCollector {
    fn id(&self) -> &'static str {
        "accounts"
    }

    fn description(&self) -> &'static str {
        "passwd, shadow and group files (backups, copies and overlays included) anywhere in the image: accounts with uid, gid, shell, groups and password state; hashes tested against the bundled dictionary"
    }

    fn collect(&self, image: &Image<'_>, options: &Options, facts: &mut Facts) -> Coverage {
        let mut notes = Notes::default();
        let mut sets: BTreeMap<SetKey, Set> = BTreeMap::new();
        let mut groups: BTreeMap<SetKey, Vec<Group>> = BTreeMap::new();
        let mut examined = 0u64;
        let mut seen: HashSet<(usize, String)> = HashSet::new();

        for (ti, (layer, tree, _)) in image.trees().enumerate() {
            // Symlinks first: a file reached through `/etc/shadow -> config/shadow` belongs
            // with the link's directory, the path the system reads.
            let named: Vec<(&Node, Role, String)> = tree
                .iter()
                .filter_map(|node| role(node.name()).map(|(role, stem)| (node, role, stem)))
                .collect();
            let (links, files): (Vec<_>, Vec<_>) = named
                .into_iter()
                .partition(|(node, _, _)| matches!(node.kind, NodeKind::Symlink { .. }));
            for (node, role, stem) in links.into_iter().chain(files) {
                let Some(target) = account_file(tree, node, role, &mut notes) else {
                    continue;
                };
                if !seen.insert((ti, target.path.clone())) {
                    continue;
                }
                let file = File {
                    layer,
                    tree,
                    node: target,
                };
                let bytes = file.bytes();
                if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > options.max_scan_bytes {
                    notes.push(
                        "large",
                        format!(
                            "{} was not read: larger than the scan limit ({} bytes)",
                            target.path, options.max_scan_bytes
                        ),
                    );
                    continue;
                }
                if bytes.starts_with(b"\x7fELF") || bytes.starts_with(b"#!") {
                    continue;
                }
                examined = examined.saturating_add(1);
                let link = File { layer, tree, node };
                let dir = parent(&node.path).to_owned();
                let key = (ti, dir, stem);
                if role == Role::Group {
                    groups.entry(key).or_default().extend(parse_groups(bytes));
                    continue;
                }
                let set = sets.entry(key).or_default();
                set.rootfs_dir = parent(image.rootfs_path(&link)).to_owned();
                for (text, location) in lines(&file, bytes) {
                    let Some(line) = parse_line(text, role) else {
                        continue;
                    };
                    let entry = Entry { line, location };
                    match entry.line {
                        Line::Passwd { .. } => set.passwd.push(entry),
                        Line::Shadow { .. } => set.shadow.push(entry),
                        Line::Pair { .. } => set.pairs.push(entry),
                    }
                }
            }
        }
        if sets.is_empty() {
            notes.push(
                "none",
                "no passwd or shadow file was found: the accounts are made at run time or kept elsewhere".into(),
            );
        }

        let accounts = build_accounts(&sets, &groups, &mut notes);
        facts.accounts.extend(crack_accounts(accounts, options));
        coverage(image, examined, notes.into_vec())
    }
}

/// The node holding an account file's content: the node itself, or the file a symlink leads to
/// in the same tree (a link out of the image is noted).
fn account_file<'t>(
    tree: &'t FileTree,
    node: &'t Node,
    role: Role,
    notes: &mut Notes,
) -> Option<&'t Node> {
    match &node.kind {
        NodeKind::File | NodeKind::Hardlink { .. } => Some(node),
        NodeKind::Symlink { target } => match tree.resolve(&node.path) {
            Ok(resolved) if matches!(resolved.kind, NodeKind::File | NodeKind::Hardlink { .. }) => {
                Some(resolved)
            }
            Ok(_) => None,
            Err(_) => {
                if role != Role::Group {
                    notes.push(
                        "link",
                        format!(
                            "{} links to {target}, which is not in the image (made at run time?): the account database the device runs with may differ",
                            node.path
                        ),
                    );
                }
                None
            }
        },
        _ => None,
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Coverage notes, at most [`MAX_NOTES`] of each kind.
#[derive(Debug, Default)]
struct Notes {
    notes: Vec<(&'static str, String)>,
}

impl Notes {
    fn push(&mut self, kind: &'static str, note: String) {
        let count = self.notes.iter().filter(|(k, _)| *k == kind).count();
        if count < MAX_NOTES && !self.notes.iter().any(|(_, n)| *n == note) {
            self.notes.push((kind, note));
        }
    }

    fn into_vec(self) -> Vec<String> {
        self.notes.into_iter().map(|(_, n)| n).collect()
    }
}

/// An account before cracking, with its parsed hash.
struct Pending {
    account: Account,
    hash: Option<Hash>,
}

/// Pairs passwd and shadow entries into accounts (see the module documentation).
fn build_accounts(
    sets: &BTreeMap<SetKey, Set>,
    groups: &BTreeMap<SetKey, Vec<Group>>,
    notes: &mut Notes,
) -> Vec<Pending> {
    let keys: Vec<&SetKey> = sets.keys().collect();
    let set_list: Vec<&Set> = sets.values().collect();
    // Sets at the same root-filesystem place in other trees: (rootfs dir, stem) -> set indices.
    let mut same_place: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, (key, set)) in sets.iter().enumerate() {
        same_place
            .entry((set.rootfs_dir.as_str(), key.2.as_str()))
            .or_default()
            .push(i);
    }
    let others = |i: usize| -> Vec<usize> {
        let (Some(key), Some(set)) = (keys.get(i), set_list.get(i)) else {
            return Vec::new();
        };
        same_place
            .get(&(set.rootfs_dir.as_str(), key.2.as_str()))
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&j| keys.get(j).is_some_and(|k| k.0 != key.0))
                    .collect()
            })
            .unwrap_or_default()
    };
    let shadow_of = |set: usize, name: &str| -> Option<usize> {
        set_list
            .get(set)?
            .shadow
            .iter()
            .position(|e| e.name() == name)
    };

    // Pass 1 and 2: where each passwd `x` takes its password from.
    let mut consumed: HashSet<(usize, usize)> = HashSet::new();
    let mut from: Vec<Vec<From>> = Vec::new();
    for (i, set) in set_list.iter().enumerate() {
        let row = set
            .passwd
            .iter()
            .map(|p| {
                if p.password() != "x" {
                    return From::Passwd;
                }
                match shadow_of(i, p.name()) {
                    Some(s) => {
                        consumed.insert((i, s));
                        From::Shadow(i, s)
                    }
                    None => From::Missing,
                }
            })
            .collect();
        from.push(row);
    }
    for (i, row) in from.iter_mut().enumerate() {
        let Some(set) = set_list.get(i) else { continue };
        for (p, f) in set.passwd.iter().zip(row.iter_mut()) {
            if *f != From::Missing {
                continue;
            }
            if let Some((j, s)) = others(i)
                .into_iter()
                .find_map(|j| shadow_of(j, p.name()).map(|s| (j, s)))
            {
                consumed.insert((j, s));
                *f = From::Shadow(j, s);
            }
        }
    }

    // The group file beside a set: the same stem (`group-` for `passwd-`), else `group`.
    let group_of = |i: usize| -> &[Group] {
        let Some((tree, dir, stem)) = keys.get(i).map(|k| (k.0, &k.1, &k.2)) else {
            return &[];
        };
        groups
            .get(&(tree, dir.clone(), stem.clone()))
            .or_else(|| groups.get(&(tree, dir.clone(), "*".to_owned())))
            .map_or(&[], Vec::as_slice)
    };

    let mut out = Vec::new();
    for (i, set) in set_list.iter().enumerate() {
        let group = group_of(i);
        let row = from.get(i).map_or(&[][..], Vec::as_slice);
        let mut missing = false;
        for (p, f) in set.passwd.iter().zip(row) {
            let Line::Passwd {
                name,
                uid,
                gid,
                shell,
                ..
            } = &p.line
            else {
                continue;
            };
            let (field, location, passwd_location) = match f {
                From::Shadow(j, s) => match set_list.get(*j).and_then(|t| t.shadow.get(*s)) {
                    Some(e) => (e.password(), e.location.clone(), Some(p.location.clone())),
                    None => continue,
                },
                From::Passwd => (p.password(), p.location.clone(), None),
                From::Missing => {
                    missing = true;
                    (p.password(), p.location.clone(), None)
                }
            };
            out.push(pending(
                name,
                *uid,
                *gid,
                shell.clone(),
                field,
                location,
                passwd_location,
                group,
            ));
        }
        if missing && set.shadow.is_empty() {
            if let Some(Location::Image {
                path: Some(path), ..
            }) = set.passwd.first().map(|p| &p.location)
            {
                notes.push(
                    "shadow",
                    format!("{path} has `x` passwords but no shadow file goes with it: those accounts are recorded as locked"),
                );
            }
        }
        for (s, e) in set.shadow.iter().enumerate() {
            if consumed.contains(&(i, s)) {
                continue;
            }
            // uid, gid and shell from a passwd entry of that name: this set's, or another
            // tree's at the same place.
            let passwd = std::iter::once(i).chain(others(i)).find_map(|j| {
                let set = set_list.get(j)?;
                set.passwd
                    .iter()
                    .find(|p| p.name() == e.name())
                    .map(|p| (j, p))
            });
            let (uid, gid, shell, passwd_location, group) = match passwd {
                Some((j, p)) => match &p.line {
                    Line::Passwd {
                        uid, gid, shell, ..
                    } => (
                        *uid,
                        *gid,
                        shell.clone(),
                        Some(p.location.clone()),
                        group_of(j),
                    ),
                    _ => (None, None, None, None, group),
                },
                None => (None, None, None, None, group),
            };
            out.push(pending(
                e.name(),
                uid,
                gid,
                shell,
                e.password(),
                e.location.clone(),
                passwd_location,
                group,
            ));
        }
        for e in &set.pairs {
            out.push(pending(
                e.name(),
                None,
                None,
                None,
                e.password(),
                e.location.clone(),
                None,
                &[],
            ));
        }
    }
    out
}

/// Names of `user`'s groups: the primary group, then those that list it.
fn group_names(groups: &[Group], user: &str, gid: Option<u32>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if let Some(g) = gid.and_then(|gid| groups.iter().find(|g| g.gid == gid)) {
        names.push(g.name.clone());
    }
    for g in groups {
        if g.members.iter().any(|m| m == user) && !names.contains(&g.name) {
            names.push(g.name.clone());
        }
    }
    names
}

#[allow(clippy::too_many_arguments)]
fn pending(
    name: &str,
    uid: Option<u32>,
    gid: Option<u32>,
    shell: Option<String>,
    field: &str,
    location: Location,
    passwd_location: Option<Location>,
    groups: &[Group],
) -> Pending {
    let (password, hash) = classify(field);
    Pending {
        account: Account {
            name: name.to_owned(),
            uid,
            gid,
            shell,
            password,
            location,
            passwd_location,
            groups: group_names(groups, name, gid),
        },
        hash,
    }
}

/// The state of a password field (see the module documentation); hashes get their crack
/// result later.
fn classify(field: &str) -> (Password, Option<Hash>) {
    if field.is_empty() {
        return (Password::Empty, None);
    }
    if field.starts_with(['!', '*']) || matches!(field, "x" | "NP" | "LK") {
        return (
            Password::Locked {
                field: field.to_owned(),
            },
            None,
        );
    }
    match Hash::parse(field) {
        Some(hash) => (
            Password::Hash {
                scheme: hash.scheme,
                hash: field.to_owned(),
                crack: Crack::Unsupported,
            },
            Some(hash),
        ),
        None => (
            Password::Unrecognised {
                field: field.to_owned(),
            },
            None,
        ),
    }
}

/// Tests each distinct (hash, user) once and fills in the results.
fn crack_accounts(pending: Vec<Pending>, options: &Options) -> Vec<Account> {
    let mut distinct: Vec<(String, String, usize)> = Vec::new(); // (hash, user, first pending)
    let mut job_of: Vec<Option<usize>> = Vec::with_capacity(pending.len());
    for (i, p) in pending.iter().enumerate() {
        let job = match (&p.account.password, &p.hash) {
            (Password::Hash { hash, .. }, Some(_)) => Some(
                match distinct
                    .iter()
                    .position(|(h, u, _)| h == hash && *u == p.account.name)
                {
                    Some(j) => j,
                    None => {
                        distinct.push((hash.clone(), p.account.name.clone(), i));
                        distinct.len() - 1
                    }
                },
            ),
            _ => None,
        };
        job_of.push(job);
    }
    let jobs: Vec<Job<'_>> = distinct
        .iter()
        .filter_map(|(_, user, i)| {
            let hash = pending.get(*i)?.hash.as_ref()?;
            Some(Job { hash, user })
        })
        .collect();
    let results = crack::crack_all(&jobs, options.crack_depth, options.crack_budget);
    pending
        .into_iter()
        .zip(job_of)
        .map(|(p, job)| {
            let mut account = p.account;
            if let (Password::Hash { crack, .. }, Some(j)) = (&mut account.password, job) {
                if let Some(result) = results.get(j) {
                    *crack = result.clone();
                }
            }
            account
        })
        .collect()
}

#[cfg(test)]
mod tests;
