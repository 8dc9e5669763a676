//! Running every check and rolling outcomes up per requirement.

use hallmark_catalog::Catalog;
use hallmark_model::facts::Facts;
use hallmark_model::{EvidenceKind, Outcome, RequirementResult, Verdict};

use crate::CHECKS;

/// Runs every check over `facts`; outcomes sorted by check id.
pub fn evaluate(facts: &Facts) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = CHECKS.iter().map(|check| check.evaluate(facts)).collect();
    outcomes.sort_by(|a, b| a.check.cmp(&b.check));
    outcomes
}

/// One result per requirement of `catalog`, rolled up from the outcomes that name it: any
/// FAIL fails it, any INCONCLUSIVE leaves it inconclusive, and a requirement no outcome informs
/// is INCONCLUSIVE with the evidence that could decide it.
pub fn requirement_results(catalog: &Catalog, outcomes: &[Outcome]) -> Vec<RequirementResult> {
    catalog
        .requirements
        .iter()
        .map(|requirement| {
            let informing: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.requirements.contains(&requirement.id))
                .collect();
            let verdict = Verdict::roll_up(informing.iter().map(|o| o.verdict));
            let checks = informing.iter().map(|o| o.check.clone()).collect();
            let mut missing: Vec<String> = Vec::new();
            let reason = if informing.is_empty() {
                let kinds: Vec<&str> = requirement
                    .evidence
                    .iter()
                    .map(|k| match k {
                        EvidenceKind::Firmware => "firmware evidence (no automated check yet)",
                        EvidenceKind::Network => "a network probe of the live device",
                        EvidenceKind::Declaration => "the manufacturer's declaration",
                    })
                    .collect();
                missing.push(format!("needs {}", kinds.join(" or ")));
                "no check in this assessment informs this requirement".to_owned()
            } else {
                let failing: Vec<&str> = informing
                    .iter()
                    .filter(|o| o.verdict == verdict)
                    .map(|o| o.check.as_str())
                    .collect();
                if verdict == Verdict::Inconclusive {
                    missing.extend(informing.iter().flat_map(|o| o.missing.iter().cloned()));
                }
                match verdict {
                    Verdict::Fail => format!("failed by {}", failing.join(", ")),
                    Verdict::Inconclusive => format!("not decided by {}", failing.join(", ")),
                    Verdict::Pass => format!("passed by {}", failing.join(", ")),
                    Verdict::NotApplicable => format!("not applicable per {}", failing.join(", ")),
                }
            };
            missing.dedup();
            RequirementResult {
                id: requirement.id.clone(),
                principle: requirement.principle,
                title: requirement.title.clone(),
                severity: requirement.severity,
                verdict,
                reason,
                checks,
                missing,
            }
        })
        .collect()
}
