//! Parsing and validation. Raw types keep spans so every problem can point at its line.

use std::collections::{BTreeMap, BTreeSet};

use hallmark_model::{EvidenceKind, Severity};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{CatalogError, Diagnostic, Source};
use crate::natural::natural_cmp;
use crate::types::{Edition, Framework, FrameworkItem, Obligation, Principle, Requirement, Status};
use crate::{Catalog, Profile};

type S<T> = Spanned<T>;
type RawCrosswalk = BTreeMap<S<String>, Vec<S<String>>>;
/// A crosswalk table's framework key, its items, and which table (`crosswalk` or
/// `crosswalk_partial`) they came from.
type SpannedRefs = (S<String>, Vec<S<String>>, &'static str);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDocument {
    edition: Option<S<RawEdition>>,
    #[serde(default)]
    principle: Vec<S<RawPrinciple>>,
    #[serde(default)]
    requirement: Vec<S<RawRequirement>>,
    #[serde(default)]
    framework: Vec<S<RawFramework>>,
    profile: Option<S<RawProfile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    id: S<String>,
    title: S<String>,
    version: S<String>,
    status: Status,
    source: S<String>,
    notes: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrinciple {
    number: S<u8>,
    short_name: S<String>,
    title: S<String>,
    summary: S<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: S<String>,
    principle: S<u8>,
    title: S<String>,
    status: Status,
    severity: Severity,
    evidence: S<Vec<EvidenceKind>>,
    statement: S<String>,
    rationale: S<String>,
    assessment: S<String>,
    remediation: S<String>,
    #[serde(default)]
    crosswalk: RawCrosswalk,
    #[serde(default)]
    crosswalk_partial: RawCrosswalk,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: S<String>,
    name: S<String>,
    version: S<String>,
    #[serde(default)]
    item: Vec<S<RawItem>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: S<String>,
    title: S<String>,
    summary: S<String>,
    obligation: Obligation,
    group: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    name: S<String>,
    base: S<String>,
    #[serde(default)]
    include: Vec<S<String>>,
    #[serde(default)]
    exclude: Vec<S<String>>,
    #[serde(default)]
    severity: BTreeMap<S<String>, Severity>,
}

/// Problems collected while validating; validation goes on after the first so a user sees all.
struct Checker<'a> {
    source: Source<'a>,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(
        &mut self,
        span: std::ops::Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.diagnostics
            .push(self.source.diagnostic(span, field, message));
    }

    /// Takes a required text field, complaining when it is blank.
    fn text(&mut self, value: S<String>, field: String) -> String {
        let span = value.span();
        let text = value.into_inner();
        if text.trim().is_empty() {
            self.error(span, field, "must not be empty");
        }
        text
    }
}

/// Parses one source text.
pub(crate) fn parse(source: Source<'_>) -> Result<RawDocument, Diagnostic> {
    toml::from_str::<RawDocument>(source.text).map_err(|e| source.diagnose_toml_error(&e))
}

/// A parsed document with the source it came from.
pub(crate) struct Parsed<'a> {
    pub source: Source<'a>,
    pub document: RawDocument,
}

impl Parsed<'_> {
    pub fn profile(&mut self) -> Option<S<RawProfile>> {
        self.document.profile.take()
    }

    /// True when the document has any edition content besides a profile.
    pub fn has_edition_content(&self) -> bool {
        let d = &self.document;
        d.edition.is_some()
            || !d.principle.is_empty()
            || !d.requirement.is_empty()
            || !d.framework.is_empty()
    }
}

/// Builds a full edition from one or more parsed documents (their arrays are concatenated).
pub(crate) fn build_edition(parts: Vec<Parsed<'_>>) -> Result<Catalog, CatalogError> {
    let mut diagnostics = Vec::new();
    let mut edition: Option<Edition> = None;
    let mut principles: Vec<(Principle, std::ops::Range<usize>, Source<'_>)> = Vec::new();
    let mut requirements: Vec<(Requirement, RawRefs, Source<'_>)> = Vec::new();
    let mut frameworks: Vec<(Framework, std::ops::Range<usize>, Source<'_>)> = Vec::new();

    for Parsed { source, document } in parts {
        let mut check = Checker {
            source,
            diagnostics: &mut diagnostics,
        };
        if let Some(profile) = &document.profile {
            check.error(
                profile.span(),
                "profile",
                "a profile must be the only content of its file",
            );
        }
        if let Some(raw) = document.edition {
            let span = raw.span();
            let raw = raw.into_inner();
            let value = Edition {
                id: check.text(raw.id, "edition.id".into()),
                title: check.text(raw.title, "edition.title".into()),
                version: check.text(raw.version, "edition.version".into()),
                status: raw.status,
                source: check.text(raw.source, "edition.source".into()),
                notes: raw.notes.map(|n| check.text(n, "edition.notes".into())),
            };
            if edition.is_some() {
                check.error(
                    span,
                    "edition",
                    "the [edition] table appears more than once",
                );
            } else {
                edition = Some(value);
            }
        }
        for raw in document.principle {
            let span = raw.span();
            let raw = raw.into_inner();
            let number = *raw.number.get_ref();
            let field = |name: &str| format!("principle[{number}].{name}");
            if number == 0 {
                check.error(
                    raw.number.span(),
                    field("number"),
                    "principle numbers start at 1",
                );
            }
            let principle = Principle {
                number,
                short_name: check.text(raw.short_name, field("short_name")),
                title: check.text(raw.title, field("title")),
                summary: check.text(raw.summary, field("summary")),
                aliases: raw.aliases,
            };
            principles.push((principle, span, source));
        }
        for raw in document.requirement {
            let raw = raw.into_inner();
            let (requirement, refs) = convert_requirement(raw, &mut check);
            requirements.push((requirement, refs, source));
        }
        for raw in document.framework {
            let span = raw.span();
            let raw = raw.into_inner();
            let fid = raw.id.get_ref().clone();
            let mut items = Vec::new();
            let mut seen = BTreeSet::new();
            for item in raw.item {
                let item = item.into_inner();
                let iid = item.id.get_ref().clone();
                let field = |name: &str| format!("framework[{fid}].item[{iid}].{name}");
                if !seen.insert(iid.clone()) {
                    check.error(
                        item.id.span(),
                        field("id"),
                        format!("duplicate item id `{iid}`"),
                    );
                }
                items.push(FrameworkItem {
                    id: check.text(item.id, field("id")),
                    title: check.text(item.title, field("title")),
                    summary: check.text(item.summary, field("summary")),
                    obligation: item.obligation,
                    group: item.group.map(|g| check.text(g, field("group"))),
                });
            }
            if items.is_empty() {
                check.error(
                    span.clone(),
                    format!("framework[{fid}].item"),
                    "a framework needs at least one item",
                );
            }
            let framework = Framework {
                id: check.text(raw.id, format!("framework[{fid}].id")),
                name: check.text(raw.name, format!("framework[{fid}].name")),
                version: check.text(raw.version, format!("framework[{fid}].version")),
                items,
            };
            frameworks.push((framework, span, source));
        }
    }

    let Some(edition) = edition else {
        let first = requirements
            .first()
            .map(|r| r.2)
            .or(principles.first().map(|p| p.2));
        let (file, line, column) = first.map_or(("(catalogue)".to_string(), 1, 1), |s| {
            (s.name.to_string(), 1, 1)
        });
        diagnostics.push(Diagnostic {
            file,
            line,
            column,
            field: "edition".into(),
            message: "missing [edition] table (id, title, version, status, source)".into(),
        });
        return Err(CatalogError::Invalid(diagnostics));
    };

    validate_principles(&principles, &mut diagnostics);
    validate_frameworks(&frameworks, &mut diagnostics);
    validate_requirements(&requirements, &principles, &frameworks, &mut diagnostics);

    if !diagnostics.is_empty() {
        return Err(CatalogError::Invalid(diagnostics));
    }
    Ok(Catalog {
        edition,
        principles: principles.into_iter().map(|p| p.0).collect(),
        requirements: requirements.into_iter().map(|r| r.0).collect(),
        frameworks: frameworks.into_iter().map(|f| f.0).collect(),
        profile: None,
    })
}

/// Spans of a requirement's fields that are checked against the rest of the catalogue.
struct RawRefs {
    id: std::ops::Range<usize>,
    principle: std::ops::Range<usize>,
    crosswalk: Vec<SpannedRefs>,
}

fn convert_requirement(raw: RawRequirement, check: &mut Checker<'_>) -> (Requirement, RawRefs) {
    let id = raw.id.get_ref().clone();
    let field = |name: &str| format!("requirement[{id}].{name}");
    let evidence_span = raw.evidence.span();
    let evidence = raw.evidence.into_inner();
    if evidence.is_empty() {
        check.error(
            evidence_span.clone(),
            field("evidence"),
            "name at least one evidence kind",
        );
    }
    let unique: BTreeSet<_> = evidence.iter().collect();
    if unique.len() != evidence.len() {
        check.error(
            evidence_span,
            field("evidence"),
            "an evidence kind is listed twice",
        );
    }
    let plain = |map: &RawCrosswalk| -> BTreeMap<String, Vec<String>> {
        map.iter()
            .map(|(k, v)| {
                (
                    k.get_ref().clone(),
                    v.iter().map(|i| i.get_ref().clone()).collect(),
                )
            })
            .collect()
    };
    let crosswalk = plain(&raw.crosswalk);
    let crosswalk_partial = plain(&raw.crosswalk_partial);
    let mut spans = Vec::new();
    for (key, items) in raw.crosswalk {
        spans.push((key, items, "crosswalk"));
    }
    for (key, items) in raw.crosswalk_partial {
        spans.push((key, items, "crosswalk_partial"));
    }
    let refs = RawRefs {
        id: raw.id.span(),
        principle: raw.principle.span(),
        crosswalk: spans,
    };
    let requirement = Requirement {
        principle: *raw.principle.get_ref(),
        title: check.text(raw.title, field("title")),
        status: raw.status,
        severity: raw.severity,
        evidence,
        statement: check.text(raw.statement, field("statement")),
        rationale: check.text(raw.rationale, field("rationale")),
        assessment: check.text(raw.assessment, field("assessment")),
        remediation: check.text(raw.remediation, field("remediation")),
        id: check.text(raw.id, field("id")),
        crosswalk,
        crosswalk_partial,
    };
    (requirement, refs)
}

fn validate_principles(
    principles: &[(Principle, std::ops::Range<usize>, Source<'_>)],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut previous: Option<u8> = None;
    let mut names = BTreeSet::new();
    for (principle, span, source) in principles {
        let n = principle.number;
        if let Some(p) = previous {
            if n == p {
                diagnostics.push(source.diagnostic(
                    span.clone(),
                    format!("principle[{n}].number"),
                    format!("duplicate principle number {n}"),
                ));
            } else if n < p {
                diagnostics.push(source.diagnostic(
                    span.clone(),
                    format!("principle[{n}].number"),
                    format!("principles must be sorted by number: {n} follows {p}"),
                ));
            }
        }
        if !names.insert(principle.short_name.as_str()) {
            diagnostics.push(source.diagnostic(
                span.clone(),
                format!("principle[{n}].short_name"),
                format!("duplicate short name `{}`", principle.short_name),
            ));
        }
        previous = Some(n);
    }
}

fn validate_frameworks(
    frameworks: &[(Framework, std::ops::Range<usize>, Source<'_>)],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut seen = BTreeSet::new();
    for (framework, span, source) in frameworks {
        if !seen.insert(framework.id.as_str()) {
            diagnostics.push(source.diagnostic(
                span.clone(),
                format!("framework[{}].id", framework.id),
                format!("duplicate framework id `{}`", framework.id),
            ));
        }
    }
}

/// Parses `ECD-<p>.<n>` into its two numbers.
pub(crate) fn parse_requirement_id(id: &str) -> Option<(u8, u16)> {
    let rest = id.strip_prefix("ECD-")?;
    let (p, n) = rest.split_once('.')?;
    let digits =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
    if !digits(p) || !digits(n) {
        return None;
    }
    Some((p.parse().ok()?, n.parse().ok()?))
}

fn validate_requirements(
    requirements: &[(Requirement, RawRefs, Source<'_>)],
    principles: &[(Principle, std::ops::Range<usize>, Source<'_>)],
    frameworks: &[(Framework, std::ops::Range<usize>, Source<'_>)],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let known_principles: BTreeSet<u8> = principles.iter().map(|p| p.0.number).collect();
    let mut seen = BTreeSet::new();
    let mut previous: Option<&str> = None;
    for (requirement, refs, source) in requirements {
        let id = requirement.id.as_str();
        let field = |name: &str| format!("requirement[{id}].{name}");
        let mut push = |span: &std::ops::Range<usize>, f: String, m: String| {
            diagnostics.push(source.diagnostic(span.clone(), f, m));
        };
        match parse_requirement_id(id) {
            None => push(
                &refs.id,
                field("id"),
                format!("`{id}` is not of the form ECD-<principle>.<number>"),
            ),
            Some((p, _)) if p != requirement.principle => push(
                &refs.principle,
                field("principle"),
                format!(
                    "is {} but the id `{id}` belongs to principle {p}",
                    requirement.principle
                ),
            ),
            Some(_) => {}
        }
        if !known_principles.contains(&requirement.principle) {
            push(
                &refs.principle,
                field("principle"),
                format!("no [[principle]] has number {}", requirement.principle),
            );
        }
        if !seen.insert(id) {
            push(
                &refs.id,
                field("id"),
                format!("duplicate requirement id `{id}`"),
            );
        } else if let Some(prev) = previous {
            if natural_cmp(prev, id).is_gt() {
                push(
                    &refs.id,
                    field("id"),
                    format!("requirements must be sorted by id: `{id}` follows `{prev}`"),
                );
            }
        }
        previous = Some(id);

        let mut count = 0usize;
        let mut seen_refs: BTreeMap<(&str, &str), &str> = BTreeMap::new();
        for (key, items, table) in &refs.crosswalk {
            let fid = key.get_ref().as_str();
            let framework = frameworks.iter().find(|f| f.0.id == fid).map(|f| &f.0);
            if framework.is_none() {
                let known: Vec<_> = frameworks.iter().map(|f| f.0.id.as_str()).collect();
                push(
                    &key.span(),
                    format!("{}.{fid}", field(table)),
                    format!("unknown framework `{fid}` (known: {})", known.join(", ")),
                );
            }
            for item in items {
                let iid = item.get_ref().as_str();
                count = count.saturating_add(1);
                if let Some(framework) = framework {
                    if framework.item(iid).is_none() {
                        push(
                            &item.span(),
                            format!("{}.{fid}", field(table)),
                            format!("`{iid}` is not an item of {fid}"),
                        );
                    }
                }
                if let Some(other) = seen_refs.insert((fid, iid), table) {
                    let message = if other == *table {
                        format!("`{iid}` is listed twice")
                    } else {
                        format!("`{iid}` is in both crosswalk and crosswalk_partial")
                    };
                    push(&item.span(), format!("{}.{fid}", field(table)), message);
                }
            }
        }
        if count == 0 {
            push(
                &refs.id,
                field("crosswalk"),
                "needs at least one crosswalk reference".into(),
            );
        }
    }
}

/// Applies a profile to a base catalogue.
pub(crate) fn apply_profile(
    base: &Catalog,
    raw: S<RawProfile>,
    source: Source<'_>,
) -> Result<Catalog, CatalogError> {
    let mut diagnostics = Vec::new();
    let mut check = Checker {
        source,
        diagnostics: &mut diagnostics,
    };
    let raw = raw.into_inner();
    let name = check.text(raw.name, "profile.name".into());
    if raw.base.get_ref() != "builtin" {
        check.error(
            raw.base.span(),
            "profile.base",
            format!(
                "unknown base `{}`; the only base is `builtin`",
                raw.base.get_ref()
            ),
        );
    }
    let matches = |pattern: &str, id: &str| {
        id == pattern
            || id
                .strip_prefix(pattern)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    let mut check_patterns = |list: &[S<String>], field: &str| {
        for pattern in list {
            if !base
                .requirements
                .iter()
                .any(|r| matches(pattern.get_ref(), &r.id))
            {
                check.error(
                    pattern.span(),
                    field.to_string(),
                    format!(
                        "`{}` matches no requirement of the base catalogue",
                        pattern.get_ref()
                    ),
                );
            }
        }
    };
    check_patterns(&raw.include, "profile.include");
    check_patterns(&raw.exclude, "profile.exclude");
    for key in raw.severity.keys() {
        if base.requirement(key.get_ref()).is_none() {
            check.error(
                key.span(),
                format!("profile.severity.{}", key.get_ref()),
                "no such requirement in the base catalogue",
            );
        }
    }
    if !diagnostics.is_empty() {
        return Err(CatalogError::Invalid(diagnostics));
    }
    let severities: BTreeMap<&str, Severity> = raw
        .severity
        .iter()
        .map(|(k, v)| (k.get_ref().as_str(), *v))
        .collect();
    let requirements = base
        .requirements
        .iter()
        .filter(|r| {
            raw.include.is_empty() || raw.include.iter().any(|p| matches(p.get_ref(), &r.id))
        })
        .filter(|r| !raw.exclude.iter().any(|p| matches(p.get_ref(), &r.id)))
        .map(|r| {
            let mut r = r.clone();
            if let Some(severity) = severities.get(r.id.as_str()) {
                r.severity = *severity;
            }
            r
        })
        .collect();
    let mut edition = base.edition.clone();
    edition.version = format!("{}+profile:{name}", edition.version);
    Ok(Catalog {
        edition,
        principles: base.principles.clone(),
        requirements,
        frameworks: base.frameworks.clone(),
        profile: Some(Profile {
            name,
            source: source.name.to_string(),
        }),
    })
}
