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
