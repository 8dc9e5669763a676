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

/// Requirements that checks of firmware evidence can decide, each with the checks whose
/// passing together covers it. Most checks test one aspect of a requirement: that no file is
/// world-writable says nothing about whether the system image is read-only and verified
/// (ECD-4.2). So every check's PASS counts towards a requirement, but a requirement PASSES only
/// when it is listed here and all its listed checks passed; otherwise it stays INCONCLUSIVE and
/// says so. A FAIL of any informing check fails it either way.
pub const DECIDED_BY: &[(&str, &[&str])] = &[
    ("ECD-1.2", &["updates-signed"]),
    ("ECD-1.3", &["updates-secure-channel"]),
    (
        "ECD-2.1",
        &[
            "accounts-default-passwords",
            "accounts-empty-passwords",
            "services-snmp-communities",
        ],
    ),
    (
        "ECD-2.3",
        &[
            "accounts-default-passwords",
            "accounts-strong-hashes",
            "secrets-hardcoded",
        ],
    ),
    ("ECD-7.5", &["platform-debug-tools"]),
];

/// One result per requirement of `catalog`, rolled up from the outcomes that name it: any
/// FAIL fails it, any INCONCLUSIVE leaves it inconclusive, all PASS passes it only when the
/// passing checks cover it ([`DECIDED_BY`]), and a requirement no outcome informs is
/// INCONCLUSIVE with the evidence that could decide it.
pub fn requirement_results(catalog: &Catalog, outcomes: &[Outcome]) -> Vec<RequirementResult> {
    catalog
        .requirements
        .iter()
        .map(|requirement| {
            let informing: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.requirements.contains(&requirement.id))
                .collect();
            let mut verdict = Verdict::roll_up(informing.iter().map(|o| o.verdict));
            let checks = informing.iter().map(|o| o.check.clone()).collect();
            let mut missing: Vec<String> = Vec::new();
            let covered = DECIDED_BY
                .iter()
                .find(|(id, _)| *id == requirement.id)
                .is_some_and(|(_, needed)| {
                    needed.iter().all(|check| {
                        informing
                            .iter()
                            .any(|o| o.check == *check && o.verdict == Verdict::Pass)
                    })
                });
            if verdict == Verdict::Pass && !covered {
                verdict = Verdict::Inconclusive;
                missing.push(format!(
                    "evidence for the parts of {} that {} do not cover (see `hallmark explain {}`)",
                    requirement.id,
                    informing
                        .iter()
                        .map(|o| o.check.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    requirement.id
                ));
            }
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
                    Verdict::Inconclusive if failing.is_empty() => format!(
                        "passed by {}, which cover only part of it",
                        informing
                            .iter()
                            .map(|o| o.check.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
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

#[cfg(test)]
mod tests {
    use hallmark_model::{Evidence, EvidenceKind, Location};

    use super::*;
    use crate::CHECKS;

    fn outcome(check: &str, requirements: &[&str], verdict: Verdict) -> Outcome {
        Outcome {
            check: check.into(),
            requirements: requirements.iter().map(|r| (*r).to_owned()).collect(),
            verdict,
            summary: String::new(),
            evidence: vec![Evidence {
                kind: EvidenceKind::Firmware,
                location: Location::file("fw.bin", "/"),
                observed: String::new(),
                reason: String::new(),
                excerpt: None,
            }],
            missing: vec![],
            findings: vec![],
        }
    }

    fn result<'r>(results: &'r [RequirementResult], id: &str) -> &'r RequirementResult {
        results
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id} in the results"))
    }

    #[test]
    fn decisive_checks_exist_and_inform_their_requirement() {
        let catalog = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        for (requirement, checks) in DECIDED_BY {
            assert!(
                catalog.requirements.iter().any(|r| r.id == *requirement),
                "{requirement}"
            );
            for id in *checks {
                let check = CHECKS.iter().find(|c| c.id() == *id);
                assert!(
                    check.is_some_and(|c| c.requirements().contains(requirement)),
                    "{id} must exist and inform {requirement}"
                );
            }
        }
    }

    #[test]
    fn a_pass_of_part_of_a_requirement_does_not_pass_it() {
        let catalog = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        // ECD-4.2 (read-only, verified image): no world-writable file is one aspect only.
        let outcomes = [outcome(
            "permissions-world-writable",
            &["ECD-4.2", "ECD-7.1", "ECD-7.3"],
            Verdict::Pass,
        )];
        let results = requirement_results(&catalog, &outcomes);
        let r = result(&results, "ECD-4.2");
        assert_eq!(r.verdict, Verdict::Inconclusive);
        assert!(r.reason.contains("cover only part"), "{}", r.reason);
        assert!(
            r.missing.iter().any(|m| m.contains("ECD-4.2")),
            "{:?}",
            r.missing
        );
        // The same check failing still fails it.
        let outcomes = [outcome(
            "permissions-world-writable",
            &["ECD-4.2"],
            Verdict::Fail,
        )];
        let results = requirement_results(&catalog, &outcomes);
        assert_eq!(result(&results, "ECD-4.2").verdict, Verdict::Fail);
    }

    #[test]
    fn a_requirement_passes_when_its_deciding_checks_all_pass() {
        let catalog = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        let all = [
            outcome("accounts-default-passwords", &["ECD-2.1"], Verdict::Pass),
            outcome("accounts-empty-passwords", &["ECD-2.1"], Verdict::Pass),
            outcome("services-snmp-communities", &["ECD-2.1"], Verdict::Pass),
        ];
        let results = requirement_results(&catalog, &all);
        assert_eq!(result(&results, "ECD-2.1").verdict, Verdict::Pass);
        // One of them missing: not covered.
        let results = requirement_results(&catalog, &all[..2]);
        assert_eq!(result(&results, "ECD-2.1").verdict, Verdict::Inconclusive);
    }
}
