//! The public, validated catalogue types.

use std::collections::BTreeMap;
use std::fmt;

use hallmark_model::{EvidenceKind, Severity};
use serde::{Deserialize, Serialize};

/// Whether a catalogue's text is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Our own breakdown, pending the official guideline text.
    Proposed,
    /// Re-keyed to published official text.
    Official,
}

impl Status {
    /// The lowercase name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Official => "official",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identity of a catalogue edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition {
    /// Stable catalogue id, e.g. `uk-ecd-cop`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// Edition version (with `+profile:NAME` when a profile was applied).
    pub version: String,
    /// Whether the text is final.
    pub status: Status,
    /// Where the code comes from.
    pub source: String,
    /// Anything a reader must know about this edition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// One principle of the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principle {
    /// Principle number, from 1.
    pub number: u8,
    /// One-word name, e.g. `updates`.
    pub short_name: String,
    /// Title.
    pub title: String,
    /// What it asks and why, in our words.
    pub summary: String,
    /// Other names used for it in official documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// How fully a requirement covers a framework item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// The requirement covers the item fully or largely.
    Full,
    /// The requirement covers part of the item.
    Partial,
}

/// One guideline-level requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// Id, `ECD-<principle>.<n>`.
    pub id: String,
    /// Principle number.
    pub principle: u8,
    /// Short title.
    pub title: String,
    /// Whether the text is final.
    pub status: Status,
    /// Impact when not met.
    pub severity: Severity,
    /// Kinds of evidence that can decide it.
    pub evidence: Vec<EvidenceKind>,
    /// What must be done.
    pub statement: String,
    /// Why it matters.
    pub rationale: String,
    /// How Hallmark gathers evidence for it.
    pub assessment: String,
    /// Concrete implementation guidance.
    pub remediation: String,
    /// Framework id -> items fully or largely covered.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub crosswalk: BTreeMap<String, Vec<String>>,
    /// Framework id -> items covered in part.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub crosswalk_partial: BTreeMap<String, Vec<String>>,
}

impl Requirement {
    /// Every crosswalk reference as `(framework, item, strength)`, full ones first.
    pub fn references(&self) -> impl Iterator<Item = (&str, &str, Strength)> {
        let full = self.crosswalk.iter().flat_map(|(framework, items)| {
            items
                .iter()
                .map(move |item| (framework.as_str(), item.as_str(), Strength::Full))
        });
        let partial = self
            .crosswalk_partial
            .iter()
            .flat_map(|(framework, items)| {
                items
                    .iter()
                    .map(move |item| (framework.as_str(), item.as_str(), Strength::Partial))
            });
        full.chain(partial)
    }

    /// The requirement's references into one framework, in file order, full ones first.
    pub fn references_to<'a>(
        &'a self,
        framework: &'a str,
    ) -> impl Iterator<Item = (&'a str, Strength)> + 'a {
        self.references()
            .filter(move |(f, _, _)| *f == framework)
            .map(|(_, item, strength)| (item, strength))
    }
}

/// Whether a framework item is a hard requirement of that framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Obligation {
    /// A "shall" provision.
    Mandatory,
    /// A "should" provision.
    Recommended,
    /// An obligation of a framework that does not grade its items.
    Obligation,
}

impl Obligation {
    /// The lowercase name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Obligation::Mandatory => "mandatory",
            Obligation::Recommended => "recommended",
            Obligation::Obligation => "obligation",
        }
    }
}

/// One item of another framework (an ETSI provision, a CRA essential requirement, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkItem {
    /// The framework's own id, e.g. `5.1-1`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// What it asks, in our words.
    pub summary: String,
    /// Mandatory, recommended, or an ungraded obligation.
    pub obligation: Obligation,
    /// Section the item belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Another framework the requirements are mapped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    /// Id used on the command line and in crosswalks, e.g. `etsi-en-303-645`.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Edition mapped to.
    pub version: String,
    /// Items in their publication's order.
    pub items: Vec<FrameworkItem>,
}

impl Framework {
    /// Looks up an item by its id.
    pub fn item(&self, id: &str) -> Option<&FrameworkItem> {
        self.items.iter().find(|item| item.id == id)
    }
}

/// A requirement covering a framework item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Requirement id.
    pub requirement: String,
    /// Full or partial.
    pub strength: Strength,
}

/// A framework item with the requirements that cover it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemCoverage {
    /// The item.
    #[serde(flatten)]
    pub item: FrameworkItem,
    /// Covering requirements, in catalogue order; empty when not covered.
    pub covered_by: Vec<Coverage>,
}

/// A framework seen through the catalogue: each of its items and what covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameworkView {
    /// Framework id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Edition mapped to.
    pub version: String,
    /// Every item, in the framework's order.
    pub items: Vec<ItemCoverage>,
}

impl FrameworkView {
    /// Number of items covered by at least one requirement (fully or partly).
    pub fn covered(&self) -> usize {
        self.items
            .iter()
            .filter(|i| !i.covered_by.is_empty())
            .count()
    }
}
