//! Software updates (principle 1).

use hallmark_model::Outcome;
use hallmark_model::facts::Facts;

use super::check;
use crate::util::Judge;

check! {
    /// Updates are verified with a signature.
    SignedUpdates {
        id: "updates-signed",
        title: "Updates are verified with a signature before they are installed",
        requirements: ["ECD-1.2", "ECD-6.1"],
        severity: Critical,
        doc: "## What it checks\nEvery update mechanism found in the image (opkg, apk, RAUC, SWUpdate, Mender, download-and-flash scripts) for signature verification of what it installs.\n\n## Why it matters\nAn update path without signature checking lets anyone who can reach the device or sit on its network path install their own firmware: a permanent compromise.\n\n## Evidence\nThe mechanism, its configuration or script, and what verification is (not) done. A checksum is not a signature.\n\n## How to fix\nSign update images and packages (e.g. usign/signify, RAUC or SWUpdate with X.509 keyrings, opkg `option check_signature`), verify them on the device against keys in read-only storage before writing flash, and refuse unsigned images.\n\n## Inconclusive when\nNo update mechanism was found in the image (updates may be handled by a bootloader or a vendor tool: a declaration or live test is needed), or its verification could not be determined.\n",
        evaluate: signed,
    }
}

fn signed(check: &SignedUpdates, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "updates", "update mechanisms") {
        return judge.finish(true, "");
    }
    let mut verified = Vec::new();
    for u in &facts.updates {
        match u.signature_verified {
            Some(false) => judge.fail(
                &u.location,
                None,
                format!(
                    "{} installs updates without verifying a signature",
                    u.mechanism
                ),
                format!(
                    "{} (sources: {})",
                    u.mechanism,
                    if u.sources.is_empty() {
                        "-".into()
                    } else {
                        u.sources.join(", ")
                    }
                ),
                "a tampered or foreign image would be installed",
                "Sign update images and verify the signature on the device before writing flash.",
            ),
            Some(true) => verified.push(u.mechanism.as_str()),
            None => judge.missing(format!("whether {} verifies signatures", u.mechanism)),
        }
    }
    if facts.updates.is_empty() {
        judge.missing("no update mechanism was found in the image; the manufacturer's declaration or a live test must show how updates are authenticated");
    }
    judge.finish(
        true,
        format!("updates are signature-verified ({})", verified.join(", ")),
    )
}

check! {
    /// Update sources use a protected channel.
    SecureChannel {
        id: "updates-secure-channel",
        title: "Updates are fetched over an authenticated, encrypted channel",
        requirements: ["ECD-1.3"],
        severity: High,
        doc: "## What it checks\nThe sources of every update mechanism for cleartext URLs (`http://`, `ftp://`, `tftp`) and for switched-off certificate checking (`curl -k`, `wget --no-check-certificate`).\n\n## Why it matters\nWithout TLS and certificate validation anyone on the path can see and replace what the device downloads, and learn which version it runs.\n\n## Evidence\nThe update source URLs and the options used to fetch them.\n\n## How to fix\nServe updates over HTTPS, validate the server certificate (pin the vendor CA or allow an enterprise CA), and never pass `-k` or `--no-check-certificate`. Keep signature verification too: TLS protects the channel, signatures the content.\n\n## Inconclusive when\nNo update mechanism with a source was found in the image.\n",
        evaluate: channel,
    }
}

fn channel(check: &SecureChannel, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "updates", "update sources") {
        return judge.finish(true, "");
    }
    let mut sources = 0usize;
    for u in &facts.updates {
        for source in &u.sources {
            sources = sources.saturating_add(1);
            let scheme = source
                .split("://")
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !matches!(scheme.as_str(), "https" | "ftps" | "sftp" | "scp") {
                judge.fail(
                    &u.location,
                    None,
                    format!("{} fetches updates over cleartext {scheme}", u.mechanism),
                    mask_credentials(source),
                    "the update and the device's version can be seen and replaced in transit",
                    "Fetch updates over HTTPS with certificate validation.",
                );
            }
        }
        if u.tls_verification_disabled {
            judge.fail(
                &u.location,
                None,
                format!("{} disables TLS certificate checking", u.mechanism),
                "curl -k / wget --no-check-certificate",
                "without certificate checks TLS does not authenticate the update server",
                "Remove -k/--no-check-certificate and validate the server certificate.",
            );
        }
    }
    if sources == 0 {
        judge.missing("no update source was found in the image");
    }
    judge.finish(true, format!("all {sources} update sources use TLS"))
}

fn mask_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) if !userinfo.contains('/') => {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:***@{host}")
            }
            _ => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
