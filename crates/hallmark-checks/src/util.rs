//! Building outcomes: verdicts with evidence and findings.

use hallmark_model::facts::{CoverageStatus, Facts};
use hallmark_model::{Evidence, EvidenceKind, Finding, Location, Outcome, Severity, Verdict};

use crate::Check;

/// An outcome under construction for one check.
pub(crate) struct Judge<'c> {
    check: &'c dyn Check,
    findings: Vec<Finding>,
    missing: Vec<String>,
}

impl<'c> Judge<'c> {
    pub(crate) fn new(check: &'c dyn Check) -> Judge<'c> {
        Judge {
            check,
            findings: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// Records a failure at `location`.
    pub(crate) fn fail(
        &mut self,
        location: &Location,
        severity: Option<Severity>,
        title: impl Into<String>,
        observed: impl Into<String>,
        reason: impl Into<String>,
        remediation: &str,
    ) {
        let title = title.into();
        let id = self.finding_id(location, &title);
        self.findings.push(Finding {
            id,
            check: self.check.id().to_owned(),
            requirements: self
                .check
                .requirements()
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            severity: severity.unwrap_or_else(|| self.check.severity()),
            title: title.clone(),
            message: title,
            evidence: vec![Evidence {
                kind: kind_of(location),
                location: location.clone(),
                observed: observed.into(),
                reason: reason.into(),
                excerpt: None,
            }],
            remediation: remediation.to_owned(),
        });
    }

    /// A finding id that stays the same across runs and across firmware versions while the
    /// weakness stays where it is: the check, the place (path in its file tree, endpoint, or
    /// the layer formats for evidence in a layer; never the image name or layer offsets, which
    /// change between versions) and the title, which names the subject. A repeat within the
    /// check gets `#2`, `#3`.
    fn finding_id(&self, location: &Location, title: &str) -> String {
        let place = match location {
            Location::Image {
                path: Some(path), ..
            } => path.clone(),
            Location::Image { chain, .. } => chain
                .iter()
                .map(|layer| layer.format.as_str())
                .collect::<Vec<_>>()
                .join(">"),
            other => other.to_string(),
        };
        let base = format!("{}:{place}:{title}", self.check.id());
        let mut id = base.clone();
        let mut n = 1u32;
        while self.findings.iter().any(|f| f.id == id) {
            n = n.saturating_add(1);
            id = format!("{base}#{n}");
        }
        id
    }

    /// Records evidence that is missing to decide.
    pub(crate) fn missing(&mut self, what: impl Into<String>) {
        self.missing.push(what.into());
    }

    /// Requires collector `id` to have run. Returns whether it ran at all: findings from a
    /// partial view still fail, but a partial view cannot pass (what it missed is recorded).
    pub(crate) fn needs(&mut self, facts: &Facts, id: &str, what: &str) -> bool {
        match facts.coverage(id).map(|c| c.status) {
            Some(CoverageStatus::Complete) => true,
            Some(CoverageStatus::Partial) => {
                self.missing(format!(
                    "{what}: the {id} collector saw only part of the image"
                ));
                true
            }
            Some(CoverageStatus::NotRun) | None => {
                self.missing(format!("{what}: no firmware root filesystem was examined"));
                false
            }
        }
    }

    /// The outcome: FAIL with findings; else INCONCLUSIVE when evidence is missing; else PASS
    /// when `decided`, with `summary`; else NOT_APPLICABLE with `summary` as the reason.
    pub(crate) fn finish(self, applicable: bool, summary: impl Into<String>) -> Outcome {
        let summary = summary.into();
        // Informational findings (an inventory note) never fail a check.
        let failing = self.findings.iter().any(|f| f.severity != Severity::Info);
        let (verdict, summary) = if failing {
            let n = self.findings.len();
            (
                Verdict::Fail,
                format!(
                    "{n} finding{}: {}",
                    if n == 1 { "" } else { "s" },
                    self.findings
                        .first()
                        .map(|f| f.title.as_str())
                        .unwrap_or("")
                ),
            )
        } else if !self.missing.is_empty() {
            (
                Verdict::Inconclusive,
                format!("not decided: {}", self.missing.join("; ")),
            )
        } else if applicable {
            (Verdict::Pass, summary)
        } else {
            (Verdict::NotApplicable, summary)
        };
        Outcome {
            check: self.check.id().to_owned(),
            requirements: self
                .check
                .requirements()
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            verdict,
            summary,
            evidence: Vec::new(),
            missing: self.missing,
            findings: self.findings,
        }
    }
}

fn kind_of(location: &Location) -> EvidenceKind {
    match location {
        Location::Endpoint { .. } => EvidenceKind::Network,
        Location::Document { .. } => EvidenceKind::Declaration,
        Location::Image { .. } => EvidenceKind::Firmware,
    }
}

/// The path part of a location, for messages.
pub(crate) fn path_of(location: &Location) -> String {
    match location {
        Location::Image { path, .. } => path.clone().unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Where the image's root filesystem is (the rootfs tree with the most files), for findings
/// about something the whole image lacks.
pub(crate) fn rootfs_location(facts: &hallmark_model::facts::Facts) -> Location {
    let image = facts.image.as_ref();
    image
        .and_then(|i| {
            i.trees
                .iter()
                .filter(|t| t.rootfs)
                .max_by_key(|t| t.files)
                .map(|t| {
                    let mut location = t.location.clone();
                    if let Location::Image { path, .. } = &mut location {
                        path.get_or_insert_with(|| "/".to_owned());
                    }
                    location
                })
        })
        .unwrap_or_else(|| Location::Image {
            image: image.map(|i| i.name.clone()).unwrap_or_default(),
            chain: Vec::new(),
            path: Some("/".into()),
            offset: None,
            line: None,
        })
}

#[cfg(test)]
mod tests {
    use hallmark_model::Layer;

    use super::*;

    #[test]
    fn finding_ids_survive_a_new_image_name_and_layer_offsets() {
        let check = crate::CHECKS
            .iter()
            .find(|c| c.id() == "permissions-world-writable")
            .copied();
        let Some(check) = check else {
            panic!("permissions-world-writable is registered");
        };
        let at = |image: &str, offset: u64| Location::Image {
            image: image.into(),
            chain: vec![Layer {
                format: "squashfs".into(),
                offset,
                name: None,
            }],
            path: Some("/etc/init.d/S99custom".into()),
            offset: None,
            line: None,
        };
        let ids = |image: &str, offset: u64| {
            let mut judge = Judge::new(check);
            for _ in 0..2 {
                judge.fail(
                    &at(image, offset),
                    None,
                    "world-writable",
                    "0777",
                    "why",
                    "fix",
                );
            }
            judge.findings.into_iter().map(|f| f.id).collect::<Vec<_>>()
        };
        let v1 = ids("fw-1.0.bin", 0x20000);
        assert_eq!(
            v1,
            [
                "permissions-world-writable:/etc/init.d/S99custom:world-writable",
                "permissions-world-writable:/etc/init.d/S99custom:world-writable#2"
            ]
        );
        assert_eq!(ids("fw-1.1.bin", 0x24000), v1);
    }
}
