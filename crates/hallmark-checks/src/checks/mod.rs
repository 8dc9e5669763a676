//! The check registry: checks grouped by area, one line per check in [`CHECKS`].

mod accounts;
mod binaries;
mod exposure;
mod interfaces;
mod keys;
mod live;
mod log_secrets;
mod logging;
mod management;
mod permissions;
mod platform;
mod resilience;
mod services;
mod transport;
mod updates;
mod vulnerabilities;
mod web;

use crate::Check;

/// Defines a check type from its metadata and an evaluation function.
macro_rules! check {
    (
        $(#[$meta:meta])*
        $ty:ident {
            id: $id:literal,
            title: $title:literal,
            requirements: [$($req:literal),* $(,)?],
            severity: $sev:ident,
            doc: $doc:literal,
            evaluate: $eval:path $(,)?
        }
    ) => {
        $(#[$meta])*
        pub(crate) struct $ty;

        impl $crate::Check for $ty {
            fn id(&self) -> &'static str {
                $id
            }
            fn title(&self) -> &'static str {
                $title
            }
            fn requirements(&self) -> &'static [&'static str] {
                &[$($req),*]
            }
            fn severity(&self) -> hallmark_model::Severity {
                hallmark_model::Severity::$sev
            }
            fn doc(&self) -> &'static str {
                $doc
            }
            fn evaluate(&self, facts: &hallmark_model::facts::Facts) -> hallmark_model::Outcome {
                $eval(self, facts)
            }
        }
    };
}
pub(crate) use check;

/// Every check, sorted by id.
pub static CHECKS: &[&dyn Check] = &[
    &accounts::DefaultPasswords,
    &accounts::EmptyPasswords,
    &accounts::SingleRoot,
    &accounts::StrongHashes,
    &binaries::ExploitMitigations,
    &vulnerabilities::EndOfLife,
    &interfaces::Autorun,
    &keys::AuthorizedKeys,
    &keys::Certificates,
    &keys::PrivateKeys,
    &live::CleartextServices,
    &live::DefaultCredentials,
    &live::HttpHeaders,
    &live::LoginThrottling,
    &live::SshAlgorithms,
    &live::TlsCertificates,
    &live::TlsCiphers,
    &live::TlsVersions,
    &live::UnauthenticatedAccess,
    &logging::LogDaemon,
    &log_secrets::NoSecrets,
    &logging::RemoteLogging,
    &management::ManagementProtocols,
    &permissions::Setuid,
    &permissions::WorldWritable,
    &platform::Attestation,
    &platform::BootIntegrity,
    &platform::DebugTools,
    &platform::Encryption,
    &platform::Firewall,
    &platform::Identity,
    &platform::Isolation,
    &platform::Lockout,
    &exposure::Monitoring,
    &platform::TimeSync,
    &resilience::RecoveryAuthenticated,
    &logging::FactoryReset,
    &transport::HardcodedSecrets,
    &services::FtpAnonymous,
    &exposure::ServiceInventory,
    &services::SnmpCommunities,
    &services::SshBlankPasswords,
    &services::Telnet,
    &services::UnauthenticatedShells,
    &services::WebServer,
    &services::Wifi,
    &transport::CleartextEndpoints,
    &exposure::EndpointInventory,
    &resilience::FailSafe,
    &updates::SecureChannel,
    &updates::SignedUpdates,
    &vulnerabilities::Critical,
    &vulnerabilities::KnownExploited,
    &web::CommandInjection,
];

#[cfg(test)]
pub(crate) mod tests_support {
    use hallmark_model::facts::{Coverage, CoverageStatus, Facts};
    use hallmark_model::{Location, Outcome, Severity, Verdict};

    /// A fixture: the id of a check, the verdict it must give, and facts that lead there.
    pub(crate) type Fixture = (&'static str, Verdict, Facts);

    /// The note the collectors add when the image was not unpacked completely.
    pub(crate) const UNPACK_LIMIT: &str =
        "the image was not unpacked completely (a limit was reached)";

    /// Facts where `collector` ran completely, filled by `fill`.
    pub(crate) fn facts_with(collector: &str, fill: impl FnOnce(&mut Facts)) -> Facts {
        let mut facts = Facts::default();
        facts.coverage.insert(
            collector.to_owned(),
            Coverage {
                status: CoverageStatus::Complete,
                examined: 1,
                notes: Vec::new(),
            },
        );
        fill(&mut facts);
        facts
    }

    /// Facts where `collector` saw only part of the image (`note` says why), filled by `fill`.
    pub(crate) fn partial_with(
        collector: &str,
        note: &str,
        fill: impl FnOnce(&mut Facts),
    ) -> Facts {
        let mut facts = facts_with(collector, fill);
        if let Some(coverage) = facts.coverage.get_mut(collector) {
            coverage.status = CoverageStatus::Partial;
            coverage.notes.push(note.to_owned());
        }
        facts
    }

    /// Facts of an image without a root filesystem: `collector` did not run, as
    /// `hallmark_collect::collect` records it.
    pub(crate) fn not_run(collector: &str) -> Facts {
        let mut facts = Facts::default();
        facts.coverage.insert(
            collector.to_owned(),
            Coverage {
                status: CoverageStatus::NotRun,
                examined: 0,
                notes: vec!["no root filesystem was found in the image".into()],
            },
        );
        facts
    }

    /// Line 1 of `path` in the image.
    pub(crate) fn image_location(path: &str) -> Location {
        image_line(path, 1)
    }

    /// Line `line` of `path` in the image (how collectors locate what they read in text).
    pub(crate) fn image_line(path: &str, line: u32) -> Location {
        Location::Image {
            image: "fw.bin".into(),
            chain: Vec::new(),
            path: Some(path.into()),
            offset: None,
            line: Some(line),
        }
    }

    /// The whole file `path` in the image (how collectors locate files they judge whole).
    pub(crate) fn image_file(path: &str) -> Location {
        Location::Image {
            image: "fw.bin".into(),
            chain: Vec::new(),
            path: Some(path.into()),
            offset: None,
            line: None,
        }
    }

    /// Where in the image: path and line.
    pub(crate) type At<'a> = (Option<&'a str>, Option<u32>);

    /// The path and line of an image location, for assertions.
    pub(crate) fn path_line(location: &Location) -> At<'_> {
        match location {
            Location::Image { path, line, .. } => (path.as_deref(), *line),
            _ => (None, None),
        }
    }

    /// A finding as assertions compare it: title, severity, and where its evidence is.
    pub(crate) type Seen<'a> = (&'a str, Severity, At<'a>);

    /// The findings of `outcome`, as assertions compare them.
    pub(crate) fn seen(outcome: &Outcome) -> Vec<Seen<'_>> {
        outcome
            .findings
            .iter()
            .map(|f| {
                (
                    f.title.as_str(),
                    f.severity,
                    f.evidence
                        .first()
                        .map_or((None, None), |e| path_line(&e.location)),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::Fixture;
    use super::*;
    use hallmark_model::facts::{Coverage, CoverageStatus, Facts};
    use hallmark_model::{Location, Severity, Verdict};

    #[test]
    fn ids_sorted_unique_documented_and_mapped_to_real_requirements() {
        let catalog = hallmark_catalog::Catalog::builtin().unwrap();
        let ids: Vec<&str> = CHECKS.iter().map(|c| c.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for check in CHECKS {
            for section in [
                "## What it checks",
                "## Why it matters",
                "## Evidence",
                "## How to fix",
                "## Inconclusive when",
            ] {
                assert!(
                    check.doc().contains(section),
                    "{}: doc lacks {section}",
                    check.id()
                );
            }
            assert!(!check.requirements().is_empty(), "{}", check.id());
            for r in check.requirements() {
                assert!(
                    catalog.requirement(r).is_some(),
                    "{}: unknown requirement {r}",
                    check.id()
                );
            }
        }
    }

    /// The fixtures of every check module.
    fn fixtures() -> Vec<Fixture> {
        [
            accounts::fixtures(),
            binaries::fixtures(),
            exposure::fixtures(),
            interfaces::fixtures(),
            keys::fixtures(),
            live::fixtures(),
            log_secrets::fixtures(),
            logging::fixtures(),
            management::fixtures(),
            permissions::fixtures(),
            platform::fixtures(),
            resilience::fixtures(),
            services::fixtures(),
            transport::fixtures(),
            updates::fixtures(),
            vulnerabilities::fixtures(),
            web::fixtures(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Checks whose FAIL is the absence of a mechanism from the image: on a partial view the
    /// absence is not proven, so they become INCONCLUSIVE instead.
    const FAIL_ON_ABSENCE: &[&str] = &[
        "platform-encryption",
        "platform-firewall",
        "platform-identity",
        "platform-isolation",
        "platform-lockout",
        "platform-time-sync",
    ];

    /// Verdicts a check cannot give by design, and why (its doc says so).
    const UNREACHABLE: &[(&str, Verdict, &str)] = &[
        (
            "platform-attestation",
            Verdict::Fail,
            "a device without TPM support is not applicable, one with it needs a declaration",
        ),
        (
            "platform-boot-integrity",
            Verdict::Pass,
            "whether the bootloader enforces signatures needs the manufacturer's declaration",
        ),
        (
            "platform-boot-integrity",
            Verdict::Fail,
            "an update image cannot show what the boot ROM and bootloader verify",
        ),
        (
            "platform-encryption",
            Verdict::Pass,
            "present support needs the declaration that data is encrypted by default",
        ),
        (
            "platform-firewall",
            Verdict::Pass,
            "a present packet filter's default rules need a probe or the documented rule set",
        ),
        (
            "platform-identity",
            Verdict::Pass,
            "present clients need the declaration that administrator logins use them",
        ),
        (
            "platform-lockout",
            Verdict::Pass,
            "a present lockout tool needs a live test to show it guards the logins",
        ),
        (
            "platform-monitoring",
            Verdict::Fail,
            "a vendor program may implement monitoring the image does not show",
        ),
        (
            "services-inventory",
            Verdict::Pass,
            "the inventory is compared with the manufacturer's declaration",
        ),
        (
            "services-inventory",
            Verdict::Fail,
            "an inventory lists, it does not judge",
        ),
        (
            "transport-endpoints-inventory",
            Verdict::Pass,
            "the endpoints are compared with the manufacturer's declaration",
        ),
        (
            "transport-endpoints-inventory",
            Verdict::Fail,
            "an inventory lists, it does not judge",
        ),
        (
            "logging-daemon",
            Verdict::Pass,
            "whether security-relevant events are logged needs a live test or a declaration",
        ),
        (
            "logging-daemon",
            Verdict::Fail,
            "without a log daemon in the image, logging may live in a vendor binary",
        ),
        (
            "recovery-factory-reset",
            Verdict::Fail,
            "without a reset means in the image, it may live in the bootloader",
        ),
    ];

    fn check(id: &str) -> &'static dyn Check {
        CHECKS
            .iter()
            .copied()
            .find(|c| c.id() == id)
            .unwrap_or_else(|| panic!("fixture for unknown check {id}"))
    }

    /// `facts` with every collector that ran seeing only part of the image.
    fn partially(facts: &Facts) -> Facts {
        let mut facts = facts.clone();
        for coverage in facts.coverage.values_mut() {
            coverage.status = CoverageStatus::Partial;
            coverage.notes.push(tests_support::UNPACK_LIMIT.to_owned());
        }
        facts
    }

    #[test]
    fn every_fixture_gives_its_verdict_by_the_house_rules() {
        for (id, verdict, facts) in fixtures() {
            let outcome = check(id).evaluate(&facts);
            assert_eq!(outcome.verdict, verdict, "{id}: {outcome:#?}");
            assert_eq!(outcome.check, id);
            let failing = outcome
                .findings
                .iter()
                .filter(|f| f.severity != Severity::Info)
                .count();
            match verdict {
                Verdict::Fail => {
                    assert!(failing > 0, "{id}: FAIL without findings");
                    for f in &outcome.findings {
                        assert_eq!(f.check, id);
                        assert!(!f.evidence.is_empty(), "{id}: {f:?}");
                        for e in &f.evidence {
                            assert!(
                                matches!(&e.location, Location::Image { path: Some(p), .. } if p.starts_with('/'))
                                    || matches!(
                                        &e.location,
                                        Location::Endpoint { port: Some(_), .. }
                                    ),
                                "{id}: finding without a location in the image or a host:port: {f:?}"
                            );
                        }
                    }
                }
                Verdict::Inconclusive => {
                    assert!(!outcome.missing.is_empty(), "{id}: nothing said missing");
                }
                Verdict::Pass | Verdict::NotApplicable => {
                    assert_eq!(failing, 0, "{id}: {outcome:#?}");
                    assert!(outcome.missing.is_empty(), "{id}: {outcome:#?}");
                    assert!(!outcome.summary.is_empty(), "{id}: no reason given");
                }
            }
            // A partial view never passes and is never a reason for NOT_APPLICABLE; what a
            // partial view found still fails.
            let outcome = check(id).evaluate(&partially(&facts));
            let expected = match verdict {
                Verdict::Fail if !FAIL_ON_ABSENCE.contains(&id) => Verdict::Fail,
                _ => Verdict::Inconclusive,
            };
            assert_eq!(
                outcome.verdict, expected,
                "{id} on a partial view: {outcome:#?}"
            );
        }
    }

    #[test]
    fn every_check_has_fixtures_for_each_verdict_it_can_give() {
        let fixtures = fixtures();
        let has =
            |id: &str, verdict: Verdict| fixtures.iter().any(|(i, v, _)| *i == id && *v == verdict);
        for check in CHECKS {
            let id = check.id();
            for verdict in [Verdict::Fail, Verdict::Pass, Verdict::Inconclusive] {
                let unreachable = UNREACHABLE
                    .iter()
                    .any(|(i, v, _)| *i == id && *v == verdict);
                assert!(
                    has(id, verdict) || unreachable,
                    "{id}: no {verdict:?} fixture"
                );
                assert!(
                    !(has(id, verdict) && unreachable),
                    "{id}: a {verdict:?} fixture for a verdict listed as unreachable"
                );
            }
        }
        // Where everything was collected and nothing found, a check that says NOT_APPLICABLE
        // must have a fixture for it.
        let mut nothing = Facts::default();
        for collector in [
            "accounts",
            "boot",
            "elf",
            "inventory",
            "keys",
            "log-secrets",
            "logging",
            "permissions",
            "ports",
            "secrets",
            "services",
            "updates",
            "web",
        ] {
            nothing.coverage.insert(
                collector.to_owned(),
                Coverage {
                    status: CoverageStatus::Complete,
                    examined: 0,
                    notes: Vec::new(),
                },
            );
        }
        for check in CHECKS {
            if check.evaluate(&nothing).verdict == Verdict::NotApplicable {
                assert!(
                    has(check.id(), Verdict::NotApplicable),
                    "{}: no NOT_APPLICABLE fixture",
                    check.id()
                );
            }
        }
        // Unknown never passes: with nothing collected every check is inconclusive.
        for check in CHECKS {
            assert_eq!(
                check.evaluate(&Facts::default()).verdict,
                Verdict::Inconclusive,
                "{}",
                check.id()
            );
        }
    }
}
