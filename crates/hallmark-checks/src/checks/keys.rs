//! Keys shipped in the image (principles 2 and 3).

use hallmark_model::facts::{Facts, KeyKind};
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::Judge;

check! {
    /// No private key is shipped in the image.
    PrivateKeys {
        id: "keys-private-keys",
        title: "No private key is shared by every unit through the firmware image",
        requirements: ["ECD-3.3", "ECD-3.5", "ECD-2.7"],
        severity: High,
        doc: "## What it checks\nThat the firmware image contains no private keys: SSH host keys (OpenSSH or dropbear format), TLS keys (PKCS#1, PKCS#8, SEC1), PKCS#12 bundles.\n\n## Why it matters\nA key in the image is the same on every unit and readable by anyone who downloads the firmware: they can impersonate any device, decrypt its traffic or sign as it. Encrypted keys are still shared, and their passphrase is usually in the image too.\n\n## Evidence\nEach key with its type, size, format, fingerprint and file.\n\n## How to fix\nGenerate host and TLS keys on the device at first boot (dropbear `-R`, `ssh-keygen -A`, a first-boot script), or provision a unique key per device at manufacture, ideally in a secure element or TPM. Never build keys into the image.\n\n## Inconclusive when\nNo root filesystem was examined, or the keys collector saw only part of the image.\n",
        evaluate: private_keys,
    }
}

fn private_keys(check: &PrivateKeys, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "keys", "key material") {
        return judge.finish(true, "");
    }
    for key in facts
        .keys
        .iter()
        .filter(|k| k.kind == KeyKind::PrivateKey && k.parsed)
    {
        let encrypted = key.encrypted == Some(true);
        let what = format!(
            "{} {}{}private key ({}){}",
            key.algorithm.as_deref().unwrap_or("unknown"),
            key.bits.map(|b| format!("{b}-bit ")).unwrap_or_default(),
            if encrypted { "encrypted " } else { "" },
            key.format,
            key.fingerprint
                .as_deref()
                .map(|f| format!(" {f}"))
                .unwrap_or_default()
        );
        judge.fail(
            &key.location,
            Some(if encrypted { Severity::Low } else { Severity::High }),
            format!("{what} shipped in the image"),
            what.clone(),
            if encrypted {
                "the same encrypted key is on every unit; its passphrase protects it only until found"
            } else {
                "every unit shares this key, and anyone with the image has it"
            },
            "Generate keys on the device at first boot or provision a unique key per device at manufacture; remove the key from the image.",
        );
    }
    let total = facts.keys.len();
    judge.finish(
        true,
        format!("no private keys among {total} pieces of key material"),
    )
}

check! {
    /// No login key is pre-authorised.
    AuthorizedKeys {
        id: "keys-authorized-keys",
        title: "No public key is pre-authorised to log in",
        requirements: ["ECD-2.2", "ECD-9.4"],
        severity: High,
        doc: "## What it checks\nThat no `authorized_keys` file in the image authorises a public key to log in.\n\n## Why it matters\nA pre-authorised key lets whoever holds the matching private key (a vendor, or anyone it leaked to) into every unit, without a password and usually as root: a backdoor the owner cannot see or revoke.\n\n## Evidence\nEach authorised key with its type, fingerprint, comment and file.\n\n## How to fix\nShip no authorised keys. If vendor support access is needed, make it opt-in by the owner, time-limited and per device, and log its use.\n\n## Inconclusive when\nNo root filesystem was examined, or the keys collector saw only part of the image.\n",
        evaluate: authorized_keys,
    }
}

fn authorized_keys(check: &AuthorizedKeys, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "keys", "authorised keys") {
        return judge.finish(true, "");
    }
    for key in facts
        .keys
        .iter()
        .filter(|k| k.kind == KeyKind::AuthorizedKey)
    {
        let what = format!(
            "{} key{}{}",
            key.algorithm.as_deref().unwrap_or("unknown"),
            key.fingerprint
                .as_deref()
                .map(|f| format!(" {f}"))
                .unwrap_or_default(),
            key.comment
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        );
        judge.fail(
            &key.location,
            None,
            format!("{what} is authorised to log in"),
            what.clone(),
            "the holder of the matching private key can log in to every unit",
            "Remove the authorized_keys entry; make any support access opt-in, per device and logged.",
        );
    }
    judge.finish(true, "no pre-authorised login keys")
}

check! {
    /// Certificates shipped in the image.
    Certificates {
        id: "keys-certificates",
        title: "No device certificate is shared by every unit",
        requirements: ["ECD-3.5", "ECD-2.7"],
        severity: Medium,
        doc: "## What it checks\nEvery X.509 certificate in the image. A certificate whose private key is also in the image is a device identity every unit shares: it fails. Other certificates (CA bundles, vendor CAs) are listed for information.\n\n## Why it matters\nA device certificate with its key in the firmware identifies every unit and nobody: anyone can impersonate any device, and clients cannot tell units apart. Self-signed device certificates also train users to click through warnings.\n\n## Evidence\nThe certificate's subject, issuer, validity, whether it is self-signed, and the private key that matches it.\n\n## How to fix\nGenerate the device key and certificate on the device at first boot or provision them per device at manufacture; support enrolment with the enterprise PKI (EST or SCEP) so the owner can replace them.\n\n## Inconclusive when\nNo root filesystem was examined, or the keys collector saw only part of the image.\n",
        evaluate: certificates,
    }
}

fn certificates(check: &Certificates, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "keys", "certificates") {
        return judge.finish(true, "");
    }
    let private: Vec<&str> = facts
        .keys
        .iter()
        .filter(|k| k.kind == KeyKind::PrivateKey)
        .filter_map(|k| k.fingerprint.as_deref())
        .collect();
    let mut count = 0usize;
    for key in facts.keys.iter().filter(|k| k.kind == KeyKind::Certificate) {
        let Some(cert) = &key.certificate else {
            continue;
        };
        count = count.saturating_add(1);
        let shared = key
            .fingerprint
            .as_deref()
            .is_some_and(|f| private.contains(&f));
        let what = format!(
            "subject {}, issuer {}, valid {} to {}{}",
            cert.subject,
            cert.issuer,
            cert.not_before,
            cert.not_after,
            if cert.self_signed {
                ", self-signed"
            } else {
                ""
            }
        );
        if shared {
            judge.fail(
                &key.location,
                None,
                format!("device certificate {} ships with its private key", cert.subject),
                what,
                "every unit presents the same identity, and its key is public",
                "Generate or provision a unique key and certificate per device; support enterprise PKI enrolment.",
            );
        } else {
            judge.fail(
                &key.location,
                Some(Severity::Info),
                format!(
                    "certificate {}{}",
                    cert.subject,
                    if cert.ca { " (CA)" } else { "" }
                ),
                what,
                "listed for the certificate inventory; its private key is not in the image",
                "Keep trust anchors updatable and let the owner add or remove CAs.",
            );
        }
    }
    judge.finish(
        true,
        format!("{count} certificates, none sharing a device identity"),
    )
}
