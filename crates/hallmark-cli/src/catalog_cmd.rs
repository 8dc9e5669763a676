//! `hallmark catalog`: the catalogue, or one framework seen through it.

use std::io::Write;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use hallmark_catalog::{Catalog, FrameworkView, Obligation, Requirement, Strength};
use serde::Serialize;

use crate::text::{self, DIM, HEADING, ID, RESET, WARN};

/// Arguments of `hallmark catalog`.
#[derive(Args)]
pub struct CatalogArgs {
    /// Show this framework's items and the requirements covering each
    /// (etsi-en-303-645, cra, psti, nist-ir-8259a).
    #[arg(long, value_name = "ID")]
    framework: Option<String>,

    /// Output format. `toml` writes the whole catalogue as one file that --catalog accepts.
    #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
    format: CatalogFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CatalogFormat {
    Table,
    Json,
    Markdown,
    Toml,
}

pub fn run(catalog: &Catalog, args: &CatalogArgs, out: &mut impl Write) -> anyhow::Result<()> {
    match (&args.framework, args.format) {
        (Some(id), format) => {
            let Some(view) = catalog.framework_view(id) else {
                let known: Vec<_> = catalog.frameworks.iter().map(|f| f.id.as_str()).collect();
                bail!(
                    "unknown framework `{id}`; choose one of: {}",
                    known.join(", ")
                );
            };
            match format {
                CatalogFormat::Table => framework_table(catalog, &view, out),
                CatalogFormat::Json => framework_json(catalog, &view, out),
                CatalogFormat::Markdown => framework_markdown(catalog, &view, out),
                CatalogFormat::Toml => {
                    bail!("--format toml exports the whole catalogue; drop --framework")
                }
            }
        }
        (None, CatalogFormat::Table) => catalog_table(catalog, out),
        (None, CatalogFormat::Json) => {
            writeln!(out, "{}", serde_json::to_string_pretty(catalog)?)?;
            Ok(())
        }
        (None, CatalogFormat::Markdown) => catalog_markdown(catalog, out),
        (None, CatalogFormat::Toml) => {
            let toml = catalog
                .to_toml()
                .context("cannot write the catalogue as TOML")?;
            write!(out, "{toml}")?;
            Ok(())
        }
    }
}

fn evidence_letters(requirement: &Requirement) -> String {
    hallmark_model::EvidenceKind::ALL
        .iter()
        .map(|kind| {
            if requirement.evidence.contains(kind) {
                kind.letter()
            } else {
                '·'
            }
        })
        .collect()
}

fn edition_line(catalog: &Catalog) -> String {
    let e = &catalog.edition;
    format!("edition {} {} ({})", e.id, e.version, e.status)
}

fn catalog_table(catalog: &Catalog, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(out, "{HEADING}{}{RESET}", catalog.edition.title)?;
    writeln!(
        out,
        "{DIM}{} · {} principles · {} requirements{RESET}",
        edition_line(catalog),
        catalog.principles.len(),
        catalog.requirements.len()
    )?;
    let id_width = catalog
        .requirements
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(0);
    for principle in &catalog.principles {
        writeln!(out)?;
        writeln!(
            out,
            "{HEADING}{:>2}  {}{RESET}  {DIM}[{}]{RESET}",
            principle.number, principle.title, principle.short_name
        )?;
        for r in catalog.requirements_of(principle.number) {
            let severity = text::severity_style(r.severity);
            writeln!(
                out,
                "    {ID}{}{RESET}  {severity}{}{RESET}  {}  {}",
                text::pad(&r.id, id_width),
                text::pad(r.severity.as_str(), 8),
                evidence_letters(r),
                r.title
            )?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{DIM}Evidence: F firmware, N network, D declaration. `hallmark explain ID` shows an entry \
         in full; `--framework ID` pivots to {}.{RESET}",
        catalog
            .frameworks
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    Ok(())
}

fn crosswalk_summary(catalog: &Catalog, r: &Requirement) -> String {
    catalog
        .frameworks
        .iter()
        .filter_map(|f| {
            let items: Vec<String> = r
                .references_to(&f.id)
                .map(|(item, strength)| match strength {
                    Strength::Full => item.to_string(),
                    Strength::Partial => format!("{item} (p)"),
                })
                .collect();
            (!items.is_empty()).then(|| format!("{}: {}", short_name(&f.id), items.join(", ")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Compact framework label for dense tables.
pub fn short_name(framework: &str) -> &str {
    match framework {
        "etsi-en-303-645" => "EN 303 645",
        "cra" => "CRA",
        "psti" => "PSTI",
        "nist-ir-8259a" => "NIST 8259A",
        other => other,
    }
}

fn catalog_markdown(catalog: &Catalog, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(out, "# {}", catalog.edition.title)?;
    writeln!(out)?;
    writeln!(
        out,
        "{}: {} principles, {} requirements. Evidence: F firmware, N network, D declaration; \
         (p) marks partial coverage.",
        edition_line(catalog),
        catalog.principles.len(),
        catalog.requirements.len()
    )?;
    for principle in &catalog.principles {
        writeln!(out)?;
        writeln!(out, "## {}. {}", principle.number, principle.title)?;
        writeln!(out)?;
        writeln!(out, "{}", text::md_cell(&principle.summary))?;
        writeln!(out)?;
        writeln!(out, "| Id | Title | Severity | Evidence | Crosswalk |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for r in catalog.requirements_of(principle.number) {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.id,
                text::md_cell(&r.title),
                r.severity,
                evidence_letters(r).replace('·', ""),
                text::md_cell(&crosswalk_summary(catalog, r))
            )?;
        }
    }
    Ok(())
}

fn obligation_letter(obligation: Obligation) -> &'static str {
    match obligation {
        Obligation::Mandatory => "M",
        Obligation::Recommended => "R",
        Obligation::Obligation => "·",
    }
}

fn coverage_text(view_item: &hallmark_catalog::ItemCoverage) -> Option<String> {
    (!view_item.covered_by.is_empty()).then(|| {
        view_item
            .covered_by
            .iter()
            .map(|c| match c.strength {
                Strength::Full => c.requirement.clone(),
                Strength::Partial => format!("{} (p)", c.requirement),
            })
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn framework_table(
    catalog: &Catalog,
    view: &FrameworkView,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    writeln!(out, "{HEADING}{}{RESET}", view.name)?;
    writeln!(
        out,
        "{DIM}{} · {} items · {} covered · {} not covered · catalogue {}{RESET}",
        view.version,
        view.items.len(),
        view.covered(),
        view.items.len().saturating_sub(view.covered()),
        catalog.edition.version
    )?;
    let id_width = view
        .items
        .iter()
        .map(|i| i.item.id.chars().count())
        .max()
        .unwrap_or(0);
    let title_width = view
        .items
        .iter()
        .map(|i| i.item.title.chars().count())
        .max()
        .unwrap_or(0);
    let mut group: Option<&str> = None;
    for entry in &view.items {
        let item = &entry.item;
        if item.group.as_deref() != group || group.is_none() {
            if let Some(g) = item.group.as_deref().filter(|g| Some(*g) != group) {
                writeln!(out)?;
                writeln!(out, "{HEADING}{g}{RESET}")?;
            } else if group.is_none() {
                writeln!(out)?;
            }
            group = item.group.as_deref();
        }
        let coverage = match coverage_text(entry) {
            Some(text) => format!("{ID}{text}{RESET}"),
            None => format!("{WARN}not covered{RESET}"),
        };
        writeln!(
            out,
            "  {}  {}  {}  {coverage}",
            text::pad(&item.id, id_width),
            obligation_letter(item.obligation),
            text::pad(&item.title, title_width)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{DIM}M mandatory, R recommended, · ungraded obligation; (p) partial coverage.{RESET}"
    )?;
    Ok(())
}

fn framework_markdown(
    catalog: &Catalog,
    view: &FrameworkView,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    writeln!(out, "# {} ({})", view.name, view.version)?;
    writeln!(out)?;
    writeln!(
        out,
        "{} items, {} covered by {} {}; (p) marks partial coverage.",
        view.items.len(),
        view.covered(),
        catalog.edition.id,
        catalog.edition.version
    )?;
    writeln!(out)?;
    writeln!(out, "| Item | Obligation | Title | Covered by |")?;
    writeln!(out, "|---|---|---|---|")?;
    for entry in &view.items {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            entry.item.id,
            entry.item.obligation.as_str(),
            text::md_cell(&entry.item.title),
            coverage_text(entry).unwrap_or_else(|| "not covered".into())
        )?;
    }
    Ok(())
}

fn framework_json(
    catalog: &Catalog,
    view: &FrameworkView,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Counts {
        items: usize,
        covered: usize,
        not_covered: usize,
    }
    #[derive(Serialize)]
    struct Document<'a> {
        catalog: hallmark_model::CatalogRef,
        framework: &'a FrameworkView,
        counts: Counts,
    }
    let document = Document {
        catalog: catalog.catalog_ref(),
        framework: view,
        counts: Counts {
            items: view.items.len(),
            covered: view.covered(),
            not_covered: view.items.len().saturating_sub(view.covered()),
        },
    };
    writeln!(out, "{}", serde_json::to_string_pretty(&document)?)?;
    Ok(())
}
