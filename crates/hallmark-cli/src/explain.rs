//! `hallmark explain`: one requirement in full.

use std::io::Write;

use anyhow::bail;
use clap::{Args, ValueEnum};
use hallmark_catalog::{Catalog, FrameworkItem, Requirement, Strength, natural_cmp};
use serde::Serialize;

use crate::text::{self, DIM, HEADING, ID, RESET};

/// Arguments of `hallmark explain`.
#[derive(Args)]
pub struct ExplainArgs {
    /// Requirement id, e.g. ECD-2.1 (also accepted: ecd-2.1, 2.1).
    id: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
    Markdown,
}

/// A crosswalk reference resolved to its framework item.
#[derive(Serialize)]
struct Resolved<'a> {
    framework: &'a str,
    framework_name: &'a str,
    strength: Strength,
    #[serde(flatten)]
    item: &'a FrameworkItem,
}

fn resolve<'a>(catalog: &'a Catalog, r: &'a Requirement) -> Vec<Resolved<'a>> {
    catalog
        .frameworks
        .iter()
        .flat_map(|f| {
            r.references_to(&f.id).filter_map(move |(item, strength)| {
                f.item(item).map(|item| Resolved {
                    framework: &f.id,
                    framework_name: &f.name,
                    strength,
                    item,
                })
            })
        })
        .collect()
}

pub fn run(catalog: &Catalog, args: &ExplainArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let Some(requirement) = catalog.find_requirement(&args.id) else {
        bail!("{}", unknown_id_message(catalog, &args.id));
    };
    let principle = catalog.principle(requirement.principle);
    let crosswalk = resolve(catalog, requirement);
    match args.format {
        ExplainFormat::Json => {
            #[derive(Serialize)]
            struct Document<'a> {
                catalog: hallmark_model::CatalogRef,
                #[serde(flatten)]
                requirement: &'a Requirement,
                principle_title: Option<&'a str>,
                crosswalk_items: &'a [Resolved<'a>],
            }
            let document = Document {
                catalog: catalog.catalog_ref(),
                requirement,
                principle_title: principle.map(|p| p.title.as_str()),
                crosswalk_items: &crosswalk,
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&document)?)?;
        }
        ExplainFormat::Text => {
            let r = requirement;
            writeln!(out, "{ID}{}{RESET}  {HEADING}{}{RESET}", r.id, r.title)?;
            if let Some(p) = principle {
                writeln!(out, "Principle {}: {}", p.number, p.title)?;
            }
            let evidence: Vec<_> = r.evidence.iter().map(|e| e.as_str()).collect();
            let severity = text::severity_style(r.severity);
            writeln!(
                out,
                "{DIM}status{RESET} {}  {DIM}severity{RESET} {severity}{}{RESET}  \
                 {DIM}evidence{RESET} {}  {DIM}catalogue{RESET} {} {}",
                r.status,
                r.severity,
                evidence.join(", "),
                catalog.edition.id,
                catalog.edition.version
            )?;
            for (heading, body) in [
                ("Statement", &r.statement),
                ("Rationale", &r.rationale),
                ("How Hallmark assesses it", &r.assessment),
                ("Remediation", &r.remediation),
            ] {
                writeln!(out)?;
                writeln!(out, "{HEADING}{heading}{RESET}")?;
                write!(out, "{}", text::wrap(body, 2, text::WIDTH))?;
            }
            writeln!(out)?;
            writeln!(out, "{HEADING}Crosswalk{RESET}")?;
            let id_width = crosswalk
                .iter()
                .map(|c| c.item.id.chars().count())
                .max()
                .unwrap_or(0);
            let mut current = "";
            for c in &crosswalk {
                if c.framework != current {
                    writeln!(out, "  {}", c.framework_name)?;
                    current = c.framework;
                }
                let partial = if c.strength == Strength::Partial {
                    " (partial)"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "    {ID}{}{RESET}  {}  {}{DIM}{partial}{RESET}",
                    text::pad(&c.item.id, id_width),
                    text::pad(c.item.obligation.as_str(), 11),
                    c.item.title
                )?;
            }
        }
        ExplainFormat::Markdown => {
            let r = requirement;
            writeln!(out, "## {}: {}", r.id, r.title)?;
            writeln!(out)?;
            if let Some(p) = principle {
                writeln!(out, "Principle {}: {}. ", p.number, p.title)?;
            }
            let evidence: Vec<_> = r.evidence.iter().map(|e| e.as_str()).collect();
            writeln!(
                out,
                "Status {}, severity {}, evidence: {}.",
                r.status,
                r.severity,
                evidence.join(", ")
            )?;
            for (heading, body) in [
                ("Statement", &r.statement),
                ("Rationale", &r.rationale),
                ("How Hallmark assesses it", &r.assessment),
                ("Remediation", &r.remediation),
            ] {
                writeln!(out)?;
                writeln!(out, "### {heading}")?;
                writeln!(out)?;
                writeln!(out, "{}", body.trim())?;
            }
            writeln!(out)?;
            writeln!(out, "### Crosswalk")?;
            writeln!(out)?;
            writeln!(out, "| Framework | Item | Obligation | Title | Coverage |")?;
            writeln!(out, "|---|---|---|---|---|")?;
            for c in &crosswalk {
                let strength = match c.strength {
                    Strength::Full => "full",
                    Strength::Partial => "partial",
                };
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {strength} |",
                    text::md_cell(c.framework_name),
                    c.item.id,
                    c.item.obligation.as_str(),
                    text::md_cell(&c.item.title)
                )?;
            }
        }
    }
    Ok(())
}

/// "no requirement X" plus the nearest ids, so a typo is quick to fix.
fn unknown_id_message(catalog: &Catalog, query: &str) -> String {
    let upper = query.trim().to_ascii_uppercase();
    let prefix = upper.split('.').next().unwrap_or_default().to_string();
    let mut near: Vec<&str> = catalog
        .requirements
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !prefix.is_empty() && id.starts_with(&prefix) && id.len() > prefix.len())
        .collect();
    near.sort_by(|a, b| natural_cmp(a, b));
    if near.is_empty() {
        format!(
            "no requirement `{query}` in catalogue {} {}; `hallmark catalog` lists them",
            catalog.edition.id, catalog.edition.version
        )
    } else {
        format!(
            "no requirement `{query}` in catalogue {} {}; did you mean one of: {}",
            catalog.edition.id,
            catalog.edition.version,
            near.join(", ")
        )
    }
}
