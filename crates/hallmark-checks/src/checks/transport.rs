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
