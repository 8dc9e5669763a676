//! Secrets in the image and cleartext connections (principles 2 and 3).

use hallmark_model::facts::Facts;
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::Judge;

check! {
    /// No hard-coded credentials.
    HardcodedSecrets {
        id: "secrets-hardcoded",
        title: "No credentials or secrets are hard-coded in the image",
        requirements: ["ECD-2.3", "ECD-3.3"],
        severity: High,
        doc: "## What it checks\nConfiguration files and scripts for passwords, API keys, tokens, Wi-Fi keys and credentials inside URLs.\n\n## Why it matters\nA secret in the firmware is the same on every unit and public to anyone who downloads the image: cloud accounts, update servers and networks it unlocks are open to all.\n\n## Evidence\nThe rule that matched, the kind of secret, the masked value, and the file and line.\n\n## How to fix\nProvision credentials per device at manufacture or enrolment (ideally in a secure element), fetch short-lived tokens at run time, and keep user-set secrets only in protected, per-device storage.\n\n## Inconclusive when\nNo root filesystem was examined, or large configuration files were skipped.\n",
        evaluate: hardcoded,
    }
}

fn hardcoded(check: &HardcodedSecrets, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "secrets", "configuration files and scripts") {
        return judge.finish(true, "");
    }
    for s in &facts.secrets {
        let who = s
            .user
            .as_deref()
            .map(|u| format!(" for user '{u}'"))
            .unwrap_or_default();
        let service = s
            .service
            .as_deref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        judge.fail(
            &s.location,
            Some(if s.well_known { Severity::Critical } else { Severity::High }),
            format!("hard-coded {}{who}{service}", s.kind.replace('_', " ")),
            format!("{} = {}{}", s.rule, s.masked, if s.well_known { " (a well-known default)" } else { "" }),
            "every unit carries the same secret, readable from the image",
            "Provision the credential per device, or fetch it at run time; remove it from the image.",
        );
    }
    judge.finish(
        true,
        "no hard-coded secrets found in configuration files and scripts",
    )
}

check! {
    /// Configured endpoints use encrypted protocols.
    CleartextEndpoints {
        id: "transport-cleartext-endpoints",
        title: "Configured remote endpoints use encrypted protocols",
        requirements: ["ECD-3.1", "ECD-3.2"],
        severity: Medium,
        doc: "## What it checks\nURLs in configuration files and scripts (telemetry, cloud, update and management endpoints) for cleartext schemes such as `http://`, `ftp://` and `mqtt://`.\n\n## Why it matters\nCleartext connections expose data and credentials and let anyone on the path alter what the device receives.\n\n## Evidence\nThe URL (credentials masked) and its file and line.\n\n## How to fix\nUse HTTPS, MQTTS or another TLS-protected protocol, validate the server certificate against a pinned or enterprise-configurable CA, and refuse cleartext fallbacks.\n\n## Inconclusive when\nNo root filesystem was examined.\n",
        evaluate: cleartext,
    }
}

fn cleartext(check: &CleartextEndpoints, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "secrets", "configured endpoints") {
        return judge.finish(true, "");
    }
    for e in facts.endpoints.iter().filter(|e| !e.encrypted) {
        judge.fail(
            &e.location,
            Some(Severity::Low),
            format!("cleartext {} endpoint {}", e.scheme, e.url),
            e.url.clone(),
            "traffic to this endpoint can be read and altered in transit",
            "Switch the endpoint to a TLS-protected scheme and validate the server certificate.",
        );
    }
    let n = facts.endpoints.len();
    judge.finish(
        n > 0,
        if n > 0 {
            format!("all {n} configured endpoints use encrypted protocols")
        } else {
            "no remote endpoints are configured".to_owned()
        },
    )
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{
        At, Fixture, facts_with, image_line, not_run, partial_with, path_line,
    };
    use hallmark_model::Verdict;
    use hallmark_model::facts::{RemoteEndpoint, Secret};

    /// The note the secrets collector writes when it skips large files.
    const SKIPPED: &str = "2 configuration-area files larger than 524288 bytes were not scanned";

    /// Credentials in an update URL (`wget http://admin:s3cr3tpw@...`).
    fn url_credentials() -> Secret {
        Secret {
            rule: "url-credentials".into(),
            kind: "password".into(),
            service: Some("http".into()),
            user: Some("admin".into()),
            masked: "s*******".into(),
            well_known: false,
            location: image_line("/usr/sbin/fw_upgrade.sh", 4),
        }
    }

    /// A Wi-Fi key `password` in OpenWrt's wireless configuration.
    fn wifi_key() -> Secret {
        Secret {
            rule: "uci-secret".into(),
            kind: "wifi_psk".into(),
            service: Some("wifi".into()),
            user: None,
            masked: "p*******".into(),
            well_known: true,
            location: image_line("/etc/config/wireless", 14),
        }
    }

    fn endpoint(url: &str, path: &str, line: u32) -> RemoteEndpoint {
        let scheme = url.split("://").next().unwrap_or_default().to_owned();
        RemoteEndpoint {
            url: url.into(),
            encrypted: matches!(scheme.as_str(), "https" | "mqtts"),
            scheme,
            location: image_line(path, line),
        }
    }

    /// Encrypted endpoints only.
    fn encrypted() -> Vec<RemoteEndpoint> {
        vec![
            endpoint(
                "https://cloud.example.invalid/api/v1",
                "/etc/cloud/agent.conf",
                2,
            ),
            endpoint(
                "mqtts://broker.example.invalid:8883",
                "/etc/cloud/agent.conf",
                3,
            ),
        ]
    }

    /// The update URL with its credentials masked, over cleartext HTTP.
    fn cleartext() -> RemoteEndpoint {
        endpoint(
            "http://admin:s*******@update.example.invalid/latest.bin",
            "/usr/sbin/fw_upgrade.sh",
            4,
        )
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let secrets = || {
            facts_with("secrets", |f| {
                f.secrets = vec![url_credentials(), wifi_key()];
                f.endpoints = encrypted();
                f.endpoints.push(cleartext());
            })
        };
        let clean = || facts_with("secrets", |f| f.endpoints = encrypted());
        let partial = || partial_with("secrets", SKIPPED, |f| f.endpoints = encrypted());
        vec![
            ("secrets-hardcoded", Fail, secrets()),
            ("secrets-hardcoded", Pass, clean()),
            ("secrets-hardcoded", Pass, facts_with("secrets", |_| {})),
            ("secrets-hardcoded", Inconclusive, partial()),
            ("secrets-hardcoded", Inconclusive, not_run("secrets")),
            ("transport-cleartext-endpoints", Fail, secrets()),
            ("transport-cleartext-endpoints", Pass, clean()),
            // Secrets without any URL: nothing to connect to.
            (
                "transport-cleartext-endpoints",
                NotApplicable,
                facts_with("secrets", |f| f.secrets = vec![wifi_key()]),
            ),
            ("transport-cleartext-endpoints", Inconclusive, partial()),
            (
                "transport-cleartext-endpoints",
                Inconclusive,
                partial_with("secrets", SKIPPED, |_| {}),
            ),
            (
                "transport-cleartext-endpoints",
                Inconclusive,
                not_run("secrets"),
            ),
        ]
    }

    #[test]
    fn secrets_fail_with_kind_user_service_and_line() {
        let facts = facts_with("secrets", |f| {
            f.secrets = vec![url_credentials(), wifi_key()]
        });
        let o = HardcodedSecrets.evaluate(&facts);
        let got: Vec<(&str, Severity, &str, At)> = o
            .findings
            .iter()
            .map(|f| {
                (
                    f.title.as_str(),
                    f.severity,
                    f.evidence[0].observed.as_str(),
                    path_line(&f.evidence[0].location),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "hard-coded password for user 'admin' (http)",
                    Severity::High,
                    "url-credentials = s*******",
                    (Some("/usr/sbin/fw_upgrade.sh"), Some(4))
                ),
                (
                    "hard-coded wifi psk (wifi)",
                    Severity::Critical,
                    "uci-secret = p******* (a well-known default)",
                    (Some("/etc/config/wireless"), Some(14))
                ),
            ]
        );
    }

    #[test]
    fn cleartext_endpoints_fail_and_encrypted_ones_pass() {
        let facts = facts_with("secrets", |f| {
            f.endpoints = encrypted();
            f.endpoints.push(cleartext());
        });
        let o = CleartextEndpoints.evaluate(&facts);
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(o.findings.len(), 1);
        let f = &o.findings[0];
        assert_eq!(
            f.title,
            "cleartext http endpoint http://admin:s*******@update.example.invalid/latest.bin"
        );
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(
            path_line(&f.evidence[0].location),
            (Some("/usr/sbin/fw_upgrade.sh"), Some(4))
        );
        let o = CleartextEndpoints.evaluate(&facts_with("secrets", |f| f.endpoints = encrypted()));
        assert_eq!(
            o.summary,
            "all 2 configured endpoints use encrypted protocols"
        );
        let o = CleartextEndpoints.evaluate(&facts_with("secrets", |_| {}));
        assert_eq!(o.summary, "no remote endpoints are configured");
        let o = HardcodedSecrets.evaluate(&partial_with("secrets", SKIPPED, |_| {}));
        assert!(o.missing.iter().any(|m| m.contains("only part")), "{o:?}");
    }
}
