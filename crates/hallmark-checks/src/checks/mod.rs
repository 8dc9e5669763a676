//! The check registry: checks grouped by area, one line per check in [`CHECKS`].

mod accounts;
mod binaries;
mod exposure;
mod keys;
mod logging;
mod permissions;
mod platform;
mod services;
mod transport;
mod updates;
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
    &keys::AuthorizedKeys,
    &keys::Certificates,
    &keys::PrivateKeys,
    &logging::LogDaemon,
    &logging::RemoteLogging,
    &permissions::Setuid,
    &permissions::WorldWritable,
    &platform::Attestation,
    &platform::DebugTools,
    &platform::Encryption,
    &platform::Firewall,
    &platform::Identity,
    &platform::Isolation,
    &platform::Lockout,
    &exposure::Monitoring,
    &platform::TimeSync,
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
    &updates::SecureChannel,
    &updates::SignedUpdates,
    &web::CommandInjection,
];

#[cfg(test)]
pub(crate) mod tests_support {
    use hallmark_model::Location;
    use hallmark_model::facts::{Coverage, CoverageStatus, Facts};

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

    pub(crate) fn image_location(path: &str) -> Location {
        Location::Image {
            image: "fw.bin".into(),
            chain: Vec::new(),
            path: Some(path.into()),
            offset: None,
            line: Some(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
