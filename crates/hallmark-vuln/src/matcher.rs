//! Matching components against the store: CPE applicability with version ranges, and
//! package URLs against OSV and Alpine secdb entries. Every match says what matched and how.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use hallmark_model::facts::{
    Component, MatchMethod, MatchedComponent, NotAssessed, VulnMatch, VulnScan,
};

use crate::cpe::Cpe;
use crate::error::VulnError;
use crate::products;
use crate::purl::Purl;
use crate::scheme::Scheme;
use crate::store::{CriterionRow, PackageRow, Store};

/// How many examples a [`NotAssessed`] entry lists.
const EXAMPLES: usize = 5;
/// How long a match's summary may be, in characters.
const SUMMARY_CHARS: usize = 240;

/// A match before it is filled in from the advisory.
struct Candidate {
    criteria: String,
    range: String,
    method: MatchMethod,
    fixed: Option<String>,
}

/// The verdict of one criterion on one version.
enum Judged {
    Match(Candidate),
    NoMatch,
    /// A comparison the scheme could not make.
    Undecided(String),
}

/// Matches `components` against `store`.
pub fn match_components(store: &Store, components: &[Component]) -> Result<VulnScan, VulnError> {
    let platform: Vec<Cpe> = components
        .iter()
        .filter_map(|c| c.cpe.as_deref().and_then(Cpe::parse))
        .collect();
    let mut matches = Vec::new();
    let mut no_version = Vec::new();
    let mut undecided = Vec::new();
    for component in components {
        let Some(version) = component.version.as_deref() else {
            no_version.push(component.name.clone());
            continue;
        };
        // (source, id) -> the first criterion that matched.
        let mut found: BTreeMap<(String, String), Candidate> = BTreeMap::new();
        if let Some(cpe) = component.cpe.as_deref().and_then(Cpe::parse) {
            cpe_matches(store, &cpe, &platform, &mut found, &mut undecided)?;
        }
        if let Some(purl) = Purl::parse(&component.purl) {
            package_matches(store, &purl, version, &mut found, &mut undecided)?;
        }
        for ((source, id), candidate) in found {
            if let Some(m) = complete(store, component, &source, &id, candidate)? {
                matches.push(m);
            }
        }
    }
    matches.sort_by(|a, b| {
        (
            &a.component.name,
            &a.component.version,
            &a.id,
            &a.source,
            &a.criteria,
        )
            .cmp(&(
                &b.component.name,
                &b.component.version,
                &b.id,
                &b.source,
                &b.criteria,
            ))
    });
    let mut not_assessed = Vec::new();
    let (devices, examples) = store.device_records(EXAMPLES)?;
    if devices > 0 {
        not_assessed.push(NotAssessed {
            what: "device-level records (firmware CPEs paired with a hardware CPE)".into(),
            count: devices,
            examples,
            reason: "they apply to a device model and hardware revision, and nothing in the \
                     facts identifies the device; match them with the device's CPEs \
                     (`match_device`) once its identity is known"
                .into(),
        });
    }
    if !no_version.is_empty() {
        no_version.sort();
        no_version.dedup();
        not_assessed.push(NotAssessed {
            what: "components without a version".into(),
            count: no_version.len() as u64,
            examples: no_version.into_iter().take(EXAMPLES).collect(),
            reason: "only their presence is known; a version is needed to match version ranges"
                .into(),
        });
    }
    if !undecided.is_empty() {
        undecided.sort();
        undecided.dedup();
        not_assessed.push(NotAssessed {
            what: "version comparisons that could not be decided".into(),
            count: undecided.len() as u64,
            examples: undecided.into_iter().take(EXAMPLES).collect(),
            reason: "the versions do not follow the product's version scheme; the records are \
                     neither reported nor ruled out"
                .into(),
        });
    }
    Ok(VulnScan {
        snapshots: store.snapshots()?,
        components_examined: components.len() as u64,
        matches,
        not_assessed,
        vex: Vec::new(),
    })
}

/// Matches a device identity (its `o:` firmware and `h:` hardware CPEs) against the
/// device-level records: a firmware criterion matches when its hardware pair is among the
/// device's CPEs too.
pub fn match_device(store: &Store, device: &[String]) -> Result<Vec<VulnMatch>, VulnError> {
    let cpes: Vec<Cpe> = device.iter().filter_map(|d| Cpe::parse(d)).collect();
    let mut out = Vec::new();
    for (text, cpe) in device.iter().zip(&cpes) {
        let mut found: BTreeMap<(String, String), Candidate> = BTreeMap::new();
        for row in store.device_criteria_for(&cpe.vendor, &cpe.product)? {
            let Some(crit) = Cpe::parse(&row.criteria) else {
                continue;
            };
            if crit.part != cpe.part || !admits(&crit, cpe, Scheme::Generic) {
                continue;
            }
            if !row.requires.is_empty() && !requirement_met(&row.requires, &cpes) {
                continue;
            }
            found
                .entry((row.source.clone(), row.advisory.clone()))
                .or_insert_with(|| Candidate {
                    range: format!(
                        "{} {}",
                        crit.product,
                        if matches!(crit.version.as_str(), "*" | "-") {
                            "(any version)".to_owned()
                        } else {
                            format!("= {}", crit.plain_version())
                        }
                    ),
                    criteria: std::iter::once(row.criteria.clone())
                        .chain(row.requires.iter().cloned())
                        .collect::<Vec<_>>()
                        .join(" AND "),
                    method: MatchMethod::CpeExact,
                    fixed: None,
                });
        }
        let component = Component {
            name: cpe.product.clone(),
            version: Some(cpe.plain_version()),
            purl: String::new(),
            cpe: Some(text.clone()),
            evidence: Vec::new(),
            evidence_omitted: 0,
        };
        for ((source, id), candidate) in found {
            if let Some(m) = complete(store, &component, &source, &id, candidate)? {
                out.push(m);
            }
        }
    }
    out.sort_by(|a, b| (&a.id, &a.criteria).cmp(&(&b.id, &b.criteria)));
    out.dedup_by(|a, b| a.id == b.id);
    Ok(out)
}

/// Whether criterion `crit` (no ranges) admits `cpe`'s version: `*` and `-` admit any.
fn admits(crit: &Cpe, cpe: &Cpe, scheme: Scheme) -> bool {
    let want = crit.plain_version();
    if matches!(want.as_str(), "*" | "-") {
        return true;
    }
    let have = cpe.plain_version();
    let strip = |v: &str| v.trim_start_matches(['v', 'V']).to_owned();
    scheme.compare(&strip(&have), &strip(&want)) == Some(Ordering::Equal)
        || strip(&have).eq_ignore_ascii_case(&strip(&want))
}

/// Whether one of `requires` (the platform of an AND configuration) is among `platform`.
fn requirement_met(requires: &[String], platform: &[Cpe]) -> bool {
    requires.iter().filter_map(|r| Cpe::parse(r)).any(|r| {
        platform.iter().any(|p| {
            products::aliases(&p.key()).contains(&r.key())
                && admits(&r, p, products::scheme(&p.key()))
        })
    })
}

/// The version of a component's CPE as its scheme writes it (`8.4` + `p1` -> `8.4p1`).
fn scheme_version(cpe: &Cpe, scheme: Scheme) -> String {
    let version = cpe.plain_version();
    let update = cpe.plain_update();
    if scheme == Scheme::Openssh && !matches!(update.as_str(), "*" | "-" | "") {
        format!("{version}{update}")
    } else {
        version
    }
}

fn cpe_matches(
    store: &Store,
    cpe: &Cpe,
    platform: &[Cpe],
    found: &mut BTreeMap<(String, String), Candidate>,
    undecided: &mut Vec<String>,
) -> Result<(), VulnError> {
    let key = cpe.key();
    let scheme = products::scheme(&key);
    let name = products::display_name(&key);
    let version = scheme_version(cpe, scheme);
    if matches!(version.as_str(), "*" | "-" | "") {
        return Ok(());
    }
    for alias in products::aliases(&key) {
        let mut parts = alias.splitn(3, ':');
        let (Some(part), Some(vendor), Some(product)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        for row in store.criteria_for(vendor, product)? {
            let Some(crit) = Cpe::parse(&row.criteria) else {
                continue;
            };
            if crit.part != part {
                continue;
            }
            if !row.requires.is_empty() && !requirement_met(&row.requires, platform) {
                continue;
            }
            match judge(&crit, &row, cpe, &version, scheme, &name) {
                Judged::Match(candidate) => {
                    found
                        .entry((row.source.clone(), row.advisory.clone()))
                        .or_insert(candidate);
                }
                Judged::NoMatch => {}
                Judged::Undecided(why) => undecided.push(format!("{}: {why}", row.advisory)),
            }
        }
    }
    Ok(())
}

/// Judges one CPE criterion (with its range) against a component version.
fn judge(
    crit: &Cpe,
    row: &CriterionRow,
    cpe: &Cpe,
    version: &str,
    scheme: Scheme,
    name: &str,
) -> Judged {
    let want = scheme_version(crit, scheme);
    let criteria = if row.requires.is_empty() {
        row.criteria.clone()
    } else {
        format!("{} (on {})", row.criteria, row.requires.join(" or "))
    };
    if !matches!(crit.version.as_str(), "*" | "-") {
        // A fixed version: equal under the scheme, or the same text.
        let update_ok = scheme == Scheme::Openssh
            || matches!(crit.update.as_str(), "*" | "-")
            || crit.update == cpe.update;
        let equal = match scheme.compare(version, &want) {
            Some(o) => o == Ordering::Equal,
            None => version == want,
        };
        return if equal && update_ok {
            Judged::Match(Candidate {
                criteria,
                range: format!("{name} = {want}"),
                method: MatchMethod::CpeExact,
                fixed: None,
            })
        } else {
            Judged::NoMatch
        };
    }
    let bounds = [
        (&row.start_including, Ordering::Less, ">="),
        (&row.start_excluding, Ordering::Less, ">"),
        (&row.end_including, Ordering::Greater, "<="),
        (&row.end_excluding, Ordering::Greater, "<"),
    ];
    let mut low = None;
    let mut high = None;
    for (bound, _, op) in &bounds {
        let Some(bound) = bound.as_deref() else {
            continue;
        };
        let ordering = match scheme.compare(version, bound) {
            Some(o) => o,
            None => {
                return Judged::Undecided(format!(
                    "{name} {version} against {op} {bound} ({} scheme)",
                    scheme.id()
                ));
            }
        };
        let inside = match *op {
            ">=" => ordering != Ordering::Less,
            ">" => ordering == Ordering::Greater,
            "<=" => ordering != Ordering::Greater,
            _ => ordering == Ordering::Less,
        };
        if !inside {
            return Judged::NoMatch;
        }
        match *op {
            ">=" => low = Some(format!("{bound} <= ")),
            ">" => low = Some(format!("{bound} < ")),
            "<=" => high = Some(format!(" <= {bound}")),
            _ => high = Some(format!(" < {bound}")),
        }
    }
    let range = if low.is_none() && high.is_none() {
        format!("{name} (all versions)")
    } else {
        format!(
            "{}{name}{}",
            low.unwrap_or_default(),
            high.unwrap_or_default()
        )
    };
    Judged::Match(Candidate {
        criteria,
        range,
        method: MatchMethod::CpeRange,
        fixed: row.end_excluding.clone(),
    })
}

/// The ecosystem, version scheme and release of a distribution package URL.
fn ecosystem(purl: &Purl) -> Option<(&'static str, Scheme, Option<String>)> {
    let distro = purl.qualifiers.get("distro");
    match purl.kind.as_str() {
        // `alpine-3.22.0` -> `v3.22`, how secdb and OSV name Alpine releases.
        "apk" => Some((
            "Alpine",
            Scheme::Apk,
            distro.and_then(|d| {
                let v = d.strip_prefix("alpine-").unwrap_or(d);
                let mut parts = v.trim_start_matches('v').split('.');
                Some(format!("v{}.{}", parts.next()?, parts.next()?))
            }),
        )),
        // `debian-11` -> `11`.
        "deb" => Some((
            "Debian",
            Scheme::Debian,
            distro.map(|d| d.strip_prefix("debian-").unwrap_or(d).to_owned()),
        )),
        _ => None,
    }
}

/// The version scheme of an OSV ecosystem.
fn ecosystem_scheme(ecosystem: &str) -> Scheme {
    match ecosystem.to_ascii_lowercase().as_str() {
        "alpine" => Scheme::Apk,
        "debian" | "ubuntu" => Scheme::Debian,
        _ => Scheme::Generic,
    }
}

fn package_matches(
    store: &Store,
    purl: &Purl,
    component_version: &str,
    found: &mut BTreeMap<(String, String), Candidate>,
    undecided: &mut Vec<String>,
) -> Result<(), VulnError> {
    let version = purl.version.as_deref().unwrap_or(component_version);
    let distro = ecosystem(purl);
    let mut names = vec![purl.name.clone()];
    if let Some(origin) = purl.qualifiers.get("upstream")
        && !names.contains(origin)
    {
        names.push(origin.clone());
    }
    for name in &names {
        let mut groups: BTreeMap<(String, String), Vec<PackageRow>> = BTreeMap::new();
        for row in store.packages_named(name)? {
            let fits = match &distro {
                Some((eco, _, _)) => row.ecosystem.eq_ignore_ascii_case(eco),
                None => row
                    .purl
                    .as_deref()
                    .and_then(Purl::parse)
                    .is_some_and(|p| p.same_package(purl)),
            };
            if fits {
                groups
                    .entry((row.source.clone(), row.advisory.clone()))
                    .or_default()
                    .push(row);
            }
        }
        for ((source, advisory), rows) in groups {
            let release = distro.as_ref().and_then(|(_, _, r)| r.as_deref());
            let scheme = distro.as_ref().map_or_else(
                || ecosystem_scheme(rows.first().map_or("", |r| r.ecosystem.as_str())),
                |(_, s, _)| *s,
            );
            let chosen: Vec<(&PackageRow, String)> = if source == "alpine-secdb" {
                secdb_row(&rows, release, scheme).into_iter().collect()
            } else {
                rows.iter()
                    .filter(|r| match (&r.release, release) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    })
                    .map(|r| (r, String::new()))
                    .collect()
            };
            for (row, note) in chosen {
                match affected(row, version, scheme, name) {
                    Ok(Some((range, fixed))) => {
                        let method = if source == "alpine-secdb" {
                            MatchMethod::PackageSecdb
                        } else {
                            MatchMethod::Osv
                        };
                        let where_ = match &row.release {
                            Some(r) => format!("{}:{r}/{}", row.ecosystem, row.name),
                            None => format!("{}/{}", row.ecosystem, row.name),
                        };
                        found
                            .entry((source.clone(), advisory.clone()))
                            .or_insert(Candidate {
                                criteria: row.purl.clone().unwrap_or(where_),
                                range: format!("{range}{note}"),
                                method,
                                fixed,
                            });
                        break;
                    }
                    Ok(None) => {}
                    Err(why) => undecided.push(format!("{advisory}: {why}")),
                }
            }
        }
    }
    Ok(())
}

/// The secdb entry that applies to an image of `release`: that release's, else the newest
/// older release's (a fix carries into later releases); with the release unknown, the
/// lowest fixed version of any release (said in the note).
fn secdb_row<'a>(
    rows: &'a [PackageRow],
    release: Option<&str>,
    scheme: Scheme,
) -> Option<(&'a PackageRow, String)> {
    let number = |r: &str| r.trim_start_matches('v').to_owned();
    let fixed_of = |row: &PackageRow| -> Option<String> {
        row.ranges
            .iter()
            .flat_map(|r| &r.events)
            .find_map(|e| e.get("fixed").cloned())
    };
    match release {
        Some(release) => {
            if let Some(row) = rows.iter().find(|r| r.release.as_deref() == Some(release)) {
                return Some((row, format!(" (Alpine {release})")));
            }
            rows.iter()
                .filter_map(|r| {
                    let rel = r.release.as_deref()?;
                    (Scheme::Generic.compare(&number(rel), &number(release))
                        == Some(Ordering::Less))
                    .then_some((r, rel))
                })
                .max_by(|a, b| {
                    Scheme::Generic
                        .compare(&number(a.1), &number(b.1))
                        .unwrap_or(Ordering::Equal)
                })
                .map(|(r, rel)| {
                    (
                        r,
                        format!(" (Alpine {release}: fix from {rel}, the newest release in the data before it)"),
                    )
                })
        }
        None => rows
            .iter()
            .filter_map(|r| Some((r, fixed_of(r)?)))
            .min_by(|a, b| scheme.compare(&a.1, &b.1).unwrap_or(Ordering::Equal))
            .map(|(r, _)| {
                (
                    r,
                    " (Alpine release unknown: the lowest fixed version of any release)".to_owned(),
                )
            }),
    }
}

/// Whether `version` is affected by `row`: in its `versions` list, or inside one of its
/// `ECOSYSTEM`/`SEMVER` ranges (events read in order: `introduced` opens, `fixed` and
/// `last_affected` close). `Ok(Some((range, fixed)))` when affected.
fn affected(
    row: &PackageRow,
    version: &str,
    scheme: Scheme,
    name: &str,
) -> Result<Option<(String, Option<String>)>, String> {
    if row.versions.iter().any(|v| v == version) {
        return Ok(Some((format!("{name} = {version} (listed)"), None)));
    }
    let cmp = |bound: &str| {
        scheme
            .compare(version, bound)
            .ok_or_else(|| format!("{name} {version} against {bound} ({} scheme)", scheme.id()))
    };
    for range in &row.ranges {
        if !matches!(range.kind.as_str(), "ECOSYSTEM" | "SEMVER") {
            continue;
        }
        let mut open: Option<&str> = None;
        let mut inside = false;
        for event in &range.events {
            for (kind, bound) in event {
                match kind.as_str() {
                    "introduced" if !inside && (bound == "0" || cmp(bound)? != Ordering::Less) => {
                        inside = true;
                        open = Some(bound);
                    }
                    "fixed" if inside => {
                        if cmp(bound)? == Ordering::Less {
                            let low = open.filter(|o| *o != "0").map(|o| format!("{o} <= "));
                            return Ok(Some((
                                format!("{}{name} < {bound}", low.unwrap_or_default()),
                                Some(bound.clone()),
                            )));
                        }
                        inside = false;
                    }
                    "last_affected" if inside => {
                        if cmp(bound)? != Ordering::Greater {
                            let low = open.filter(|o| *o != "0").map(|o| format!("{o} <= "));
                            return Ok(Some((
                                format!("{}{name} <= {bound}", low.unwrap_or_default()),
                                None,
                            )));
                        }
                        inside = false;
                    }
                    _ => {}
                }
            }
        }
        if inside {
            let low = open.filter(|o| *o != "0").map(|o| format!("{o} <= "));
            return Ok(Some((
                format!("{}{name} (no fix known)", low.unwrap_or_default()),
                None,
            )));
        }
    }
    Ok(None)
}

/// The match, filled in from the advisory (and NVD's record of the same id for CVSS and
/// description), with its KEV entry; `None` for rejected or withdrawn records.
fn complete(
    store: &Store,
    component: &Component,
    source: &str,
    id: &str,
    candidate: Candidate,
) -> Result<Option<VulnMatch>, VulnError> {
    let own = store.advisory(source, id)?.unwrap_or_default();
    if own
        .status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("rejected") || s.starts_with("withdrawn"))
    {
        return Ok(None);
    }
    let nvd = if source == "nvd" {
        None
    } else {
        store.advisory("nvd", id)?
    };
    let cvss = own
        .cvss
        .clone()
        .or_else(|| nvd.as_ref().and_then(|n| n.cvss.clone()));
    let summary = own
        .summary
        .clone()
        .or_else(|| nvd.as_ref().and_then(|n| n.summary.clone()))
        .map(|s| shorten(&s));
    let mut kev = store.kev(id)?;
    for alias in &own.aliases {
        if kev.is_none() {
            kev = store.kev(alias)?;
        }
    }
    Ok(Some(VulnMatch {
        id: id.to_owned(),
        aliases: own.aliases,
        source: source.to_owned(),
        component: described(component),
        criteria: candidate.criteria,
        range: candidate.range,
        method: candidate.method,
        cvss,
        kev,
        fixed: candidate.fixed,
        summary,
        suppressed: None,
    }))
}

/// The component as a match names it, with its evidence in a line.
pub(crate) fn described(component: &Component) -> MatchedComponent {
    let first = component.evidence.first();
    let evidence = match first {
        Some(e) => {
            let method = match e.method {
                hallmark_model::facts::IdentificationMethod::PackageDb => "package database entry",
                hallmark_model::facts::IdentificationMethod::Signature => "version string",
                hallmark_model::facts::IdentificationMethod::FileName => "file name",
            };
            let more =
                component.evidence.len().saturating_sub(1) as u64 + component.evidence_omitted;
            format!(
                "{method} at {}: {}{}",
                e.location,
                e.text,
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            )
        }
        None => "given, without evidence".to_owned(),
    };
    MatchedComponent {
        name: component.name.clone(),
        version: component.version.clone(),
        purl: component.purl.clone(),
        cpe: component.cpe.clone(),
        evidence,
        location: first.map(|e| e.location.clone()),
    }
}

fn shorten(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= SUMMARY_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(SUMMARY_CHARS).collect();
    out.push('…');
    out
}
