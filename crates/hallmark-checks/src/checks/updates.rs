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
                        u.sources
                            .iter()
                            .map(|s| mask_credentials(s))
                            .collect::<Vec<_>>()
                            .join(", ")
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
            // A local repository (apk's `/media/usb/apks`, a `file://` feed) is not fetched
            // over a network.
            let Some((scheme, _)) = source.split_once("://") else {
                continue;
            };
            let scheme = scheme.to_ascii_lowercase();
            if scheme == "file" {
                continue;
            }
            sources = sources.saturating_add(1);
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

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{
        At, Fixture, UNPACK_LIMIT, facts_with, image_file, not_run, partial_with, path_line,
    };
    use hallmark_model::Verdict;
    use hallmark_model::facts::UpdateMechanism;

    fn mechanism(
        mechanism: &str,
        signature_verified: Option<bool>,
        sources: &[&str],
        path: &str,
    ) -> UpdateMechanism {
        UpdateMechanism {
            mechanism: mechanism.into(),
            signature_verified,
            sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            tls_verification_disabled: false,
            keys: Vec::new(),
            location: image_file(path),
        }
    }

    /// A download-and-flash script: wget over HTTP with credentials, mtd write, no
    /// signature tool.
    fn unsigned_script() -> UpdateMechanism {
        mechanism(
            "script",
            Some(false),
            &["http://admin:s3cr3tpw@update.example.invalid/latest.bin"],
            "/usr/sbin/fw_upgrade.sh",
        )
    }

    /// A script that verifies with usign but fetches with `curl -k`.
    fn insecure_curl() -> UpdateMechanism {
        UpdateMechanism {
            tls_verification_disabled: true,
            ..mechanism(
                "script",
                Some(true),
                &["https://u.example.invalid/fw"],
                "/usr/sbin/safe_upgrade.sh",
            )
        }
    }

    /// opkg with `option check_signature` and its key, over plain HTTP.
    fn opkg_http() -> UpdateMechanism {
        UpdateMechanism {
            keys: vec!["/etc/opkg/keys/b5043e70f9a75cde".into()],
            ..mechanism(
                "opkg",
                Some(true),
                &["http://downloads.example.invalid/packages/base"],
                "/etc/opkg/distfeeds.conf",
            )
        }
    }

    /// apk with trusted keys and an HTTPS repository.
    fn apk_https() -> UpdateMechanism {
        UpdateMechanism {
            keys: vec!["/etc/apk/keys/alpine-devel.rsa.pub".into()],
            ..mechanism(
                "apk",
                Some(true),
                &["https://dl-cdn.alpinelinux.org/alpine/v3.19/main"],
                "/etc/apk/repositories",
            )
        }
    }

    /// apk with a local repository on removable media besides an HTTPS one.
    fn apk_local() -> UpdateMechanism {
        UpdateMechanism {
            sources: vec![
                "/media/usb/apks".into(),
                "https://dl-cdn.alpinelinux.org/alpine/v3.19/main".into(),
            ],
            ..apk_https()
        }
    }

    /// RAUC with a keyring: signed bundles, no source of its own.
    fn rauc() -> UpdateMechanism {
        mechanism("rauc", Some(true), &[], "/etc/rauc/system.conf")
    }

    fn with(updates: Vec<UpdateMechanism>) -> Facts {
        facts_with("updates", |f| f.updates = updates)
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let partial = || partial_with("updates", UNPACK_LIMIT, |f| f.updates = vec![apk_https()]);
        vec![
            (
                "updates-signed",
                Fail,
                with(vec![rauc(), unsigned_script()]),
            ),
            ("updates-signed", Pass, with(vec![opkg_http(), rauc()])),
            (
                "updates-signed",
                Pass,
                with(vec![apk_https(), insecure_curl()]),
            ),
            // No mechanism in the image: a bootloader or vendor tool may update it.
            ("updates-signed", Inconclusive, with(Vec::new())),
            ("updates-signed", Inconclusive, partial()),
            ("updates-signed", Inconclusive, not_run("updates")),
            (
                "updates-secure-channel",
                Fail,
                with(vec![unsigned_script()]),
            ),
            ("updates-secure-channel", Fail, with(vec![opkg_http()])),
            ("updates-secure-channel", Fail, with(vec![insecure_curl()])),
            (
                "updates-secure-channel",
                Pass,
                with(vec![apk_https(), rauc()]),
            ),
            // A local repository is not fetched over a network.
            ("updates-secure-channel", Pass, with(vec![apk_local()])),
            // A mechanism without a source says nothing about the channel.
            ("updates-secure-channel", Inconclusive, with(vec![rauc()])),
            ("updates-secure-channel", Inconclusive, with(Vec::new())),
            ("updates-secure-channel", Inconclusive, partial()),
            ("updates-secure-channel", Inconclusive, not_run("updates")),
        ]
    }

    #[test]
    fn unsigned_updates_fail_where_the_mechanism_is() {
        let o = SignedUpdates.evaluate(&with(vec![rauc(), unsigned_script()]));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(o.findings.len(), 1);
        let f = &o.findings[0];
        assert_eq!(
            f.title,
            "script installs updates without verifying a signature"
        );
        assert_eq!(
            path_line(&f.evidence[0].location),
            (Some("/usr/sbin/fw_upgrade.sh"), None)
        );
        // The report does not repeat the password in the source URL.
        assert_eq!(
            f.evidence[0].observed,
            "script (sources: http://admin:***@update.example.invalid/latest.bin)"
        );
        let o = SignedUpdates.evaluate(&with(vec![opkg_http(), rauc()]));
        assert_eq!(o.summary, "updates are signature-verified (opkg, rauc)");
        // Verification a collector could not determine leaves the question open.
        let o = SignedUpdates.evaluate(&with(vec![
            rauc(),
            mechanism("mender", None, &[], "/etc/mender/mender.conf"),
        ]));
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert_eq!(o.missing, ["whether mender verifies signatures"]);
        let o = SignedUpdates.evaluate(&with(Vec::new()));
        assert!(o.missing[0].starts_with("no update mechanism was found"));
    }

    #[test]
    fn cleartext_sources_and_disabled_certificate_checks_fail() {
        let o = SecureChannel.evaluate(&with(vec![unsigned_script(), insecure_curl()]));
        let got: Vec<(&str, &str, At)> = o
            .findings
            .iter()
            .map(|f| {
                (
                    f.title.as_str(),
                    f.evidence[0].observed.as_str(),
                    path_line(&f.evidence[0].location),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "script fetches updates over cleartext http",
                    // The password in the URL is masked.
                    "http://admin:***@update.example.invalid/latest.bin",
                    (Some("/usr/sbin/fw_upgrade.sh"), None)
                ),
                (
                    "script disables TLS certificate checking",
                    "curl -k / wget --no-check-certificate",
                    (Some("/usr/sbin/safe_upgrade.sh"), None)
                ),
            ]
        );
        let o = SecureChannel.evaluate(&with(vec![apk_https(), rauc()]));
        assert_eq!(o.verdict, Verdict::Pass);
        assert_eq!(o.summary, "all 1 update sources use TLS");
        let o = SecureChannel.evaluate(&with(vec![apk_local()]));
        assert_eq!(o.summary, "all 1 update sources use TLS");
        let o = SecureChannel.evaluate(&with(vec![rauc()]));
        assert_eq!(o.missing, ["no update source was found in the image"]);
    }

    #[test]
    fn credentials_in_source_urls_are_masked() {
        assert_eq!(
            mask_credentials("ftp://fw:hunter2@10.0.0.1/fw.bin"),
            "ftp://fw:***@10.0.0.1/fw.bin"
        );
        assert_eq!(
            mask_credentials("https://example.invalid/a@b"),
            "https://example.invalid/a@b"
        );
        assert_eq!(mask_credentials("/media/usb/apks"), "/media/usb/apks");
    }
}
