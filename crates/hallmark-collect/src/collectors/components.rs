//! Software components: what is installed, at which version, and how that is known.
//!
//! Three sources, in order of trust:
//!
//! 1. **Package databases**: opkg/ipkg (`/usr/lib/opkg/status`, `/var/lib/opkg/status`, and
//!    the `info/*.control` files), dpkg (`/var/lib/dpkg/status`) and apk
//!    (`/lib/apk/db/installed`). Each entry is a component with the package's own version
//!    and a distribution PURL (`pkg:opkg/openwrt/...`, `pkg:deb/debian/...`,
//!    `pkg:apk/alpine/...`, the namespace from `/etc/os-release` when there is one); status
//!    entries that are not installed are left out. A package that is (or whose source
//!    package is) a component of the signature table gets that component's CPE with its
//!    upstream version (`1:1.30.1-6` -> `1.30.1`).
//! 2. **Version strings** in ELF files, kernel modules, decompressed layers (kernels, boot
//!    loaders) and files named as a signature says, by the signature table
//!    `data/components.toml` (its header documents the pattern language). All signatures
//!    are searched in one Aho-Corasick pass per file, over at most
//!    [`Options::max_scan_bytes`] of it; each candidate is then checked by its pattern, and
//!    a signature stops being tried in a file after a bounded number of failed candidates.
//! 3. **File names** that carry a version (`libuClibc-0.9.33.2.so`, `libz.so.1.2.11`) or
//!    only a name (`ld-musl-armhf.so.1`, `uhttpd`).
//!
//! Evidence is merged: one component per name and version, with the files it was seen in. A
//! version string or file name in a file that a package database says belongs to a package
//! of the same component and upstream version becomes evidence for that package. A hit
//! without a version joins the one versioned component of its name, if there is exactly
//! one; otherwise it is a component with `version: None`. No version is ever guessed.

mod packages;
mod table;

use std::collections::{BTreeMap, HashMap};

use hallmark_model::Location;
use hallmark_model::facts::{Component, ComponentEvidence, Coverage, Facts, IdentificationMethod};
use hallmark_unpack::FileTree;

use crate::{Collector, File, Image, Options, coverage};
use packages::{DbFile, Manager, Package};
use table::{Entry, Table};

/// Records [`Component`] facts.
pub(crate) struct ComponentsCollector;

const ELF_MAGIC: &[u8] = b"\x7fELF";
/// Pieces of evidence listed per component and method; the rest are counted.
const EVIDENCE_PER_METHOD: usize = 4;
/// Package entries read over the whole image.
const PACKAGES_MAX: usize = 100_000;

impl Collector for ComponentsCollector {
    fn id(&self) -> &'static str {
        "components"
    }

    fn description(&self) -> &'static str {
        "software components and versions, from package databases (opkg, dpkg, apk), version strings in binaries and kernels, and file names, with the evidence for each"
    }

    fn collect(&self, image: &Image<'_>, options: &Options, facts: &mut Facts) -> Coverage {
        let table = match table::table() {
            Ok(table) => table,
            Err(e) => {
                return coverage(image, 0, vec![format!("signature table not loaded: {e}")]);
            }
        };
        let mut run = Run::new(table, options);
        run.package_databases(image);
        // Layers first: a kernel's own banner is listed before its modules' `vermagic`.
        run.layers(image);
        run.files(image);
        let notes = run.notes();
        let examined = run.examined;
        facts.components.extend(run.finish());
        coverage(image, examined, notes)
    }
}

/// A component being built.
struct Building {
    component: Component,
    /// The table entry it is (or maps to).
    entry: Option<usize>,
    /// The upstream version, for matching version strings against a package.
    upstream: Option<String>,
    /// PURL qualifiers (a package's `arch`, `distro`, `upstream`), merged over the database
    /// files that list it and appended to the PURL at the end.
    qualifiers: BTreeMap<&'static str, String>,
}

/// One collection run.
struct Run<'t> {
    table: &'t Table,
    max_bytes: usize,
    components: Vec<Building>,
    /// Component index by PURL.
    by_purl: HashMap<String, usize>,
    /// Package component owning a file: (tree address, rootfs path) -> component index.
    owners: HashMap<(usize, String), usize>,
    /// Hits without a version, resolved at the end.
    name_only: Vec<(usize, ComponentEvidence)>,
    examined: u64,
    truncated: u64,
    databases_too_large: u64,
    packages_read: usize,
}

impl<'t> Run<'t> {
    fn new(table: &'t Table, options: &Options) -> Run<'t> {
        Run {
            table,
            max_bytes: usize::try_from(options.max_scan_bytes).unwrap_or(usize::MAX),
            components: Vec::new(),
            by_purl: HashMap::new(),
            owners: HashMap::new(),
            name_only: Vec::new(),
            examined: 0,
            truncated: 0,
            databases_too_large: 0,
            packages_read: 0,
        }
    }

    /// Reads every package database and file list.
    fn package_databases(&mut self, image: &Image<'_>) {
        let mut lists: Vec<(usize, Manager, String, Vec<String>)> = Vec::new();
        let mut databases: Vec<(DbFile, File<'_>)> = image
            .files()
            .filter_map(|file| Some((packages::classify(image.rootfs_path(&file))?, file)))
            .collect();
        // Status files first: their entries are the ones listed first as evidence.
        databases.sort_by_key(|(kind, _)| !matches!(kind, DbFile::Status(_)));
        for (kind, file) in databases {
            if file.bytes().len() > self.max_bytes {
                self.databases_too_large = self.databases_too_large.saturating_add(1);
                continue;
            }
            let text = String::from_utf8_lossy(file.bytes());
            let left = PACKAGES_MAX.saturating_sub(self.packages_read);
            let (manager, found) = match kind {
                DbFile::Status(Manager::Apk) => (Manager::Apk, packages::parse_apk(&text, left)),
                DbFile::Status(manager) => (manager, packages::parse_stanzas(&text, true, left)),
                DbFile::Control => (Manager::Opkg, packages::parse_stanzas(&text, false, left)),
                DbFile::List(manager, name) => {
                    lists.push((tree_key(&file), manager, name, packages::parse_list(&text)));
                    continue;
                }
            };
            self.examined = self.examined.saturating_add(1);
            self.packages_read = self.packages_read.saturating_add(found.len());
            let distro = Distro::of(file.tree, manager);
            for package in found {
                self.package(&file, &distro, manager, package);
            }
        }
        // File lists name their package; the package's component is found by name.
        for (tree, manager, name, paths) in lists {
            let owner = self.components.iter().position(|b| {
                b.component.name == name && purl_type(&b.component.purl) == Some(manager)
            });
            if let Some(owner) = owner {
                for path in paths {
                    self.owners.entry((tree, path)).or_insert(owner);
                }
            }
        }
    }

    /// Records one package entry.
    fn package(&mut self, file: &File<'_>, distro: &Distro, manager: Manager, package: Package) {
        let entry = self.entry_of_package(&package);
        let upstream = packages::upstream(&package.version).to_owned();
        let (purl, qualifiers) = distro.purl(manager, &package);
        let cpe = entry
            .and_then(|e| self.table.entries.get(e))
            .and_then(|e| cpe(e, &upstream));
        let evidence = ComponentEvidence {
            method: IdentificationMethod::PackageDb,
            location: file.line(package.line),
            text: format!("{} {}", package.name, package.version),
        };
        let index = self.component(
            purl,
            || Component {
                name: package.name.clone(),
                version: Some(package.version.clone()),
                purl: String::new(),
                cpe: cpe.clone(),
                evidence: Vec::new(),
                evidence_omitted: 0,
            },
            entry,
            Some(upstream),
        );
        // A control file may say more than the status file (its `Source:`).
        if let Some(building) = self.components.get_mut(index) {
            for (key, value) in qualifiers {
                building.qualifiers.entry(key).or_insert(value);
            }
            if building.entry.is_none() {
                building.entry = entry;
                building.component.cpe = cpe;
            }
        }
        self.add_evidence(index, evidence);
        let tree = tree_key(file);
        for path in package.files {
            self.owners.entry((tree, path)).or_insert(index);
        }
    }

    /// The table entry a package is: by its source package first, then by its name.
    fn entry_of_package(&self, package: &Package) -> Option<usize> {
        let find = |name: &str| {
            self.table
                .entries
                .iter()
                .position(|e| e.name == name || e.packages.iter().any(|g| table::glob(g, name)))
        };
        package
            .source
            .as_deref()
            .and_then(find)
            .or_else(|| find(&package.name))
    }

    /// The index of the component with this PURL, created by `make` when new.
    fn component(
        &mut self,
        purl: String,
        make: impl FnOnce() -> Component,
        entry: Option<usize>,
        upstream: Option<String>,
    ) -> usize {
        if let Some(&index) = self.by_purl.get(&purl) {
            return index;
        }
        let mut component = make();
        component.purl = purl.clone();
        let index = self.components.len();
        self.components.push(Building {
            component,
            entry,
            upstream,
            qualifiers: BTreeMap::new(),
        });
        self.by_purl.insert(purl, index);
        index
    }

    fn add_evidence(&mut self, index: usize, evidence: ComponentEvidence) {
        let Some(building) = self.components.get_mut(index) else {
            return;
        };
        let component = &mut building.component;
        // One piece per method and file (or layer): the first.
        let place = |e: &ComponentEvidence| match &e.location {
            Location::Image {
                image, chain, path, ..
            } => Some((e.method, image.clone(), chain.clone(), path.clone())),
            _ => None,
        };
        let here = place(&evidence);
        if component.evidence.iter().any(|e| place(e) == here) {
            return;
        }
        let same = component
            .evidence
            .iter()
            .filter(|e| e.method == evidence.method)
            .count();
        if same >= EVIDENCE_PER_METHOD {
            component.evidence_omitted = component.evidence_omitted.saturating_add(1);
        } else {
            component.evidence.push(evidence);
        }
    }

    /// Scans every regular file: its name, and its content when it is an ELF file or a file
    /// a signature names.
    fn files(&mut self, image: &Image<'_>) {
        let table = self.table;
        for file in image.files() {
            let name = file.name();
            for pattern in &table.file_names {
                if let Some(version) = pattern.matches(name) {
                    let evidence = ComponentEvidence {
                        method: IdentificationMethod::FileName,
                        location: file.location(),
                        text: name.to_owned(),
                    };
                    let owner = self.owner(image, &file);
                    self.hit(pattern.entry, version, evidence, owner);
                }
            }
            let bytes = file.bytes();
            let elf = bytes.starts_with(ELF_MAGIC);
            if !elf && !table.wants_name(name) {
                continue;
            }
            self.examined = self.examined.saturating_add(1);
            let data = self.bounded(bytes);
            let hits = table.scan(data, &|s| s.applies.to(elf, false, name));
            if hits.is_empty() {
                continue;
            }
            let owner = self.owner(image, &file);
            for hit in hits {
                let Some(signature) = table.signatures.get(hit.signature) else {
                    continue;
                };
                let evidence = ComponentEvidence {
                    method: IdentificationMethod::Signature,
                    location: file.at(hit.offset),
                    text: hit.text,
                };
                self.hit(signature.entry, hit.version, evidence, owner);
            }
        }
    }

    /// Scans decompressed layers, and the input itself when nothing was found in it (a raw
    /// boot loader or kernel); not the raw stretches between layers, which are inside
    /// these, nor file trees, whose files are scanned one by one.
    fn layers(&mut self, image: &Image<'_>) {
        let table = self.table;
        for (path, layer) in image.unpacked().layers() {
            if layer.is_raw() || layer.tree.is_some() {
                continue;
            }
            if path.chain.is_empty() && layer.children.iter().any(|c| !c.is_raw()) {
                continue;
            }
            let Some(content) = &layer.content else {
                continue;
            };
            self.examined = self.examined.saturating_add(1);
            let data = self.bounded(content.as_slice());
            let elf = data.starts_with(ELF_MAGIC);
            for hit in table.scan(data, &|s| s.applies.to(elf, true, "")) {
                let Some(signature) = table.signatures.get(hit.signature) else {
                    continue;
                };
                let mut location = path.location(None);
                if let Location::Image { offset, .. } = &mut location {
                    *offset = u64::try_from(hit.offset).ok();
                }
                let evidence = ComponentEvidence {
                    method: IdentificationMethod::Signature,
                    location,
                    text: hit.text,
                };
                self.hit(signature.entry, hit.version, evidence, None);
            }
        }
    }

    /// At most [`Options::max_scan_bytes`] of `bytes`.
    fn bounded<'b>(&mut self, bytes: &'b [u8]) -> &'b [u8] {
        if bytes.len() > self.max_bytes {
            self.truncated = self.truncated.saturating_add(1);
        }
        bytes.get(..self.max_bytes).unwrap_or(bytes)
    }

    /// The package component that owns `file`, if a database lists it.
    fn owner(&self, image: &Image<'_>, file: &File<'_>) -> Option<usize> {
        let path = image.rootfs_path(file);
        self.owners.get(&(tree_key(file), path.to_owned())).copied()
    }

    /// Records a version string or file name of table entry `entry`.
    fn hit(
        &mut self,
        entry: usize,
        version: Option<String>,
        evidence: ComponentEvidence,
        owner: Option<usize>,
    ) {
        // A file of a package of the same component and version: evidence for the package.
        if let Some(owner) = owner {
            let agrees = self.components.get(owner).is_some_and(|b| {
                b.entry == Some(entry)
                    && (version.is_none() || b.upstream.as_deref() == version.as_deref())
            });
            if agrees {
                self.add_evidence(owner, evidence);
                return;
            }
        }
        let Some(version) = version else {
            self.name_only.push((entry, evidence));
            return;
        };
        let table = self.table;
        let Some(e) = table.entries.get(entry) else {
            return;
        };
        let purl = format!("{}@{}", e.purl, encode(&version));
        let index = self.component(
            purl,
            || Component {
                name: e.name.clone(),
                version: Some(version.clone()),
                purl: String::new(),
                cpe: cpe(e, &version),
                evidence: Vec::new(),
                evidence_omitted: 0,
            },
            Some(entry),
            Some(version.clone()),
        );
        self.add_evidence(index, evidence);
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.truncated > 0 {
            notes.push(format!(
                "{} files or layers larger than {} bytes were searched in their first {} bytes only",
                self.truncated, self.max_bytes, self.max_bytes
            ));
        }
        if self.databases_too_large > 0 {
            notes.push(format!(
                "{} package database files larger than {} bytes were not read",
                self.databases_too_large, self.max_bytes
            ));
        }
        if self.packages_read >= PACKAGES_MAX {
            notes.push(format!(
                "only the first {PACKAGES_MAX} package entries were read"
            ));
        }
        notes
    }

    /// Folds a version string that stops short of its letter-led suffix into the component
    /// that has the full version: OpenSSH keeps `OpenSSH_9.2` and `OpenSSH_9.2p1` in different
    /// programs, OpenSSL `1.1.1` beside `1.1.1w`. Only a suffix of letters then digits (`p1`,
    /// `w`, `zb`) counts, and only when the full version was found too, so `9.2` alone stays.
    fn fold_abbreviated_versions(&mut self) {
        fn extends(full: &str, short: &str) -> bool {
            full.strip_prefix(short).is_some_and(|rest| {
                let digits = rest.trim_start_matches(|c: char| c.is_ascii_lowercase());
                digits.len() < rest.len() && digits.chars().all(|c| c.is_ascii_digit())
            })
        }
        let folds: Vec<(usize, usize)> = self
            .components
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                b.qualifiers.is_empty() && b.component.purl.starts_with("pkg:generic/")
            })
            .filter_map(|(i, short)| {
                let version = short.component.version.as_deref()?;
                let target = self.components.iter().enumerate().position(|(j, full)| {
                    j != i
                        && full.entry.is_some()
                        && full.entry == short.entry
                        && full
                            .upstream
                            .as_deref()
                            .or(full.component.version.as_deref())
                            .is_some_and(|v| extends(v, version))
                })?;
                Some((i, target))
            })
            .collect();
        if folds.is_empty() {
            return;
        }
        for (from, to) in &folds {
            let moved = self
                .components
                .get_mut(*from)
                .map(|b| {
                    (
                        std::mem::take(&mut b.component.evidence),
                        b.component.evidence_omitted,
                    )
                })
                .unwrap_or_default();
            for evidence in moved.0 {
                self.add_evidence(*to, evidence);
            }
            if let Some(target) = self.components.get_mut(*to) {
                target.component.evidence_omitted =
                    target.component.evidence_omitted.saturating_add(moved.1);
            }
        }
        let dropped: Vec<usize> = folds.iter().map(|(from, _)| *from).collect();
        let mut index = 0usize;
        self.components.retain(|_| {
            let keep = !dropped.contains(&index);
            index = index.saturating_add(1);
            keep
        });
        // Indexes moved: rebuild the PURL index (owners are no longer needed at this point).
        self.by_purl = self
            .components
            .iter()
            .enumerate()
            .map(|(i, b)| (b.component.purl.clone(), i))
            .collect();
    }

    /// Resolves the hits without a version and returns the components, sorted.
    fn finish(mut self) -> Vec<Component> {
        self.fold_abbreviated_versions();
        let table = self.table;
        for (entry, evidence) in std::mem::take(&mut self.name_only) {
            let versioned: Vec<usize> = self
                .components
                .iter()
                .enumerate()
                .filter(|(_, b)| b.entry == Some(entry) && b.component.version.is_some())
                .map(|(i, _)| i)
                .collect();
            let index = match versioned.as_slice() {
                [one] => *one,
                _ => {
                    let Some(e) = table.entries.get(entry) else {
                        continue;
                    };
                    self.component(
                        e.purl.clone(),
                        || Component {
                            name: e.name.clone(),
                            version: None,
                            purl: String::new(),
                            cpe: None,
                            evidence: Vec::new(),
                            evidence_omitted: 0,
                        },
                        Some(entry),
                        None,
                    )
                }
            };
            self.add_evidence(index, evidence);
        }
        let mut components: Vec<Component> = self
            .components
            .into_iter()
            .map(|mut b| {
                for (i, (key, value)) in b.qualifiers.iter().enumerate() {
                    b.component.purl.push(if i == 0 { '?' } else { '&' });
                    b.component.purl.push_str(key);
                    b.component.purl.push('=');
                    b.component.purl.push_str(&encode(value));
                }
                b.component
            })
            .collect();
        for c in &mut components {
            c.evidence.sort_by_key(|e| e.method);
        }
        components
            .sort_by(|a, b| (&a.name, &a.version, &a.purl).cmp(&(&b.name, &b.version, &b.purl)));
        components
    }
}

/// Identity of a file's tree, for the ownership map.
fn tree_key(file: &File<'_>) -> usize {
    std::ptr::from_ref::<FileTree>(file.tree) as usize
}

/// The package manager a PURL is for.
fn purl_type(purl: &str) -> Option<Manager> {
    let rest = purl.strip_prefix("pkg:")?;
    match rest.split('/').next()? {
        "opkg" => Some(Manager::Opkg),
        "deb" => Some(Manager::Dpkg),
        "apk" => Some(Manager::Apk),
        _ => None,
    }
}

/// The distribution a tree holds, for PURLs.
struct Distro {
    /// PURL namespace (`alpine`, `debian`, `openwrt`), when known.
    namespace: Option<String>,
    /// `distro` qualifier (`alpine-3.22.0`), when the release is known.
    release: Option<String>,
}

impl Distro {
    fn of(tree: &FileTree, manager: Manager) -> Distro {
        let os_release = ["/etc/os-release", "/usr/lib/os-release"]
            .iter()
            .find_map(|p| tree.read(p))
            .map(|blob| String::from_utf8_lossy(blob.as_slice()).into_owned())
            .unwrap_or_default();
        let field = |key: &str| {
            os_release.lines().find_map(|line| {
                let value = line.strip_prefix(key)?.strip_prefix('=')?;
                let value = value.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
                let clean = !value.is_empty()
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                clean.then_some(value)
            })
        };
        let openwrt = ["/etc/openwrt_release", "/etc/openwrt_version"]
            .iter()
            .any(|p| tree.get(p).is_some());
        let id = field("ID").or_else(|| openwrt.then(|| "openwrt".to_owned()));
        let namespace = id.clone().or_else(|| match manager {
            Manager::Dpkg => Some("debian".to_owned()),
            Manager::Apk => Some("alpine".to_owned()),
            Manager::Opkg => None,
        });
        let release = match (id, field("VERSION_ID")) {
            (Some(id), Some(version)) => Some(format!("{id}-{version}")),
            _ => None,
        };
        Distro { namespace, release }
    }

    /// The PURL without qualifiers, and the qualifiers.
    fn purl(
        &self,
        manager: Manager,
        package: &Package,
    ) -> (String, BTreeMap<&'static str, String>) {
        let kind = match manager {
            Manager::Opkg => "opkg",
            Manager::Dpkg => "deb",
            Manager::Apk => "apk",
        };
        let mut purl = format!("pkg:{kind}/");
        if let Some(namespace) = &self.namespace {
            purl.push_str(&encode(namespace));
            purl.push('/');
        }
        purl.push_str(&encode(&package.name));
        purl.push('@');
        purl.push_str(&encode(&package.version));
        // Qualifiers sorted by key, as the PURL specification asks.
        let mut qualifiers = BTreeMap::new();
        if let Some(arch) = &package.arch {
            qualifiers.insert("arch", arch.clone());
        }
        if let Some(release) = &self.release {
            qualifiers.insert("distro", release.clone());
        }
        if let Some(source) = package.source.as_deref().filter(|s| *s != package.name) {
            qualifiers.insert("upstream", source.to_owned());
        }
        (purl, qualifiers)
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for PURL parts.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The CPE 2.3 formatted string of `entry` at upstream `version`, if it has a CPE.
fn cpe(entry: &Entry, version: &str) -> Option<String> {
    let (part, vendor, product) = entry.cpe.as_ref()?;
    let (version, update) = match entry.cpe_update {
        Some(letter) => split_update(version, letter),
        None => (version, None),
    };
    Some(format!(
        "cpe:2.3:{part}:{vendor}:{product}:{}:{}:*:*:*:*:*:*",
        cpe_escape(version),
        update.map_or_else(|| "*".to_owned(), cpe_escape)
    ))
}

/// `8.4p1` -> (`8.4`, `p1`) for letter `p`: the letter after a digit and before a digit.
fn split_update(version: &str, letter: char) -> (&str, Option<&str>) {
    let bytes = version.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| bytes.get(j));
        let after = bytes.get(i.saturating_add(1));
        if char::from(b) == letter
            && before.is_some_and(u8::is_ascii_digit)
            && after.is_some_and(u8::is_ascii_digit)
        {
            return (version.get(..i).unwrap_or(version), version.get(i..));
        }
    }
    (version, None)
}

/// Quotes the characters CPE 2.3's formatted string binding reserves.
fn cpe_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
