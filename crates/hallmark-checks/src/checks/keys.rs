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

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{
        Fixture, UNPACK_LIMIT, facts_with, image_line, image_location, not_run, partial_with, seen,
    };
    use hallmark_model::Verdict;
    use hallmark_model::facts::{Certificate, KeyMaterial};

    // Fingerprints as the keys collector computes them (its fixtures' `expected.txt`).
    const RSA_FP: &str = "SHA256:1SUtMoXCMXkLosL8vR/AtcBRs0ZXy9f9h3QVGuV6Ed0";
    const ED25519_FP: &str = "SHA256:IsuSTQKK+OFLfIJKjuLCYk4wvjlkJtOD3IvixoRvLRY";
    const EC256_FP: &str = "SHA256:TUbt966k8Egaqq7GRFNXj9jHKTAW/9tgoSVvzdP+mow";
    const CA_RSA_FP: &str = "SHA256:1//QAmISo9C+hN0zyG02vxBbKxGm3MFiAhYHmJSk67o";

    fn key(kind: KeyKind, format: &str, algorithm: &str, bits: u32, path: &str) -> KeyMaterial {
        KeyMaterial {
            kind,
            format: format.into(),
            algorithm: Some(algorithm.into()),
            bits: Some(bits),
            curve: (algorithm == "ec").then(|| "P-256".into()),
            encrypted: None,
            fingerprint: None,
            parsed: true,
            certificate: None,
            comment: None,
            location: image_location(path),
        }
    }

    /// A dropbear RSA host key built into the image.
    fn dropbear_host_key() -> KeyMaterial {
        KeyMaterial {
            encrypted: Some(false),
            fingerprint: Some(RSA_FP.into()),
            location: hallmark_model::Location::Image {
                image: "fw.bin".into(),
                chain: Vec::new(),
                path: Some("/etc/dropbear/dropbear_rsa_host_key".into()),
                offset: Some(0),
                line: None,
            },
            ..key(
                KeyKind::PrivateKey,
                "dropbear",
                "rsa",
                1024,
                "/etc/dropbear/dropbear_rsa_host_key",
            )
        }
    }

    /// An encrypted PKCS#8 TLS key (its algorithm is inside the encryption).
    fn encrypted_key() -> KeyMaterial {
        KeyMaterial {
            algorithm: None,
            bits: None,
            curve: None,
            encrypted: Some(true),
            ..key(
                KeyKind::PrivateKey,
                "pem-pkcs8-encrypted",
                "rsa",
                0,
                "/etc/ssl/private/vpn.key",
            )
        }
    }

    /// A device TLS key and the certificate of its public key.
    fn device_key() -> KeyMaterial {
        KeyMaterial {
            encrypted: Some(false),
            fingerprint: Some(EC256_FP.into()),
            ..key(
                KeyKind::PrivateKey,
                "pem-sec1",
                "ec",
                256,
                "/etc/lighttpd/server.pem",
            )
        }
    }

    fn certificate(subject: &str, issuer: &str, ca: bool, fp: &str, path: &str) -> KeyMaterial {
        KeyMaterial {
            fingerprint: Some(fp.into()),
            certificate: Some(Certificate {
                subject: subject.into(),
                issuer: issuer.into(),
                not_before: "2026-11-25T01:37:35Z".into(),
                not_after: "2027-11-25T01:37:35Z".into(),
                self_signed: subject == issuer,
                ca,
                signature_algorithm: "ecdsa-with-SHA256".into(),
                sha256: "60:E6:F1:66:1E:80:95:F9:76:13:B1:AD:3E:8E:31:D3:10:18:01:F9:21:D2:84:D2:99:11:0E:05:E8:FC:2C:43".into(),
            }),
            ..key(KeyKind::Certificate, "x509-pem", "ec", 256, path)
        }
    }

    fn device_certificate() -> KeyMaterial {
        KeyMaterial {
            location: image_line("/etc/lighttpd/server.pem", 6),
            ..certificate(
                "CN=device.example.invalid",
                "C=GB, O=Hallmark Test, CN=Test CA",
                false,
                EC256_FP,
                "/etc/lighttpd/server.pem",
            )
        }
    }

    /// A CA certificate of the trust store (no private key in the image).
    fn ca_certificate() -> KeyMaterial {
        let mut ca = certificate(
            "C=GB, O=Hallmark Test, CN=Test CA",
            "C=GB, O=Hallmark Test, CN=Test CA",
            true,
            CA_RSA_FP,
            "/etc/ssl/certs/ca-certificates.crt",
        );
        ca.algorithm = Some("rsa".into());
        ca.bits = Some(1024);
        ca.curve = None;
        if let Some(cert) = &mut ca.certificate {
            cert.not_after = "2036-11-22T01:37:35Z".into();
            cert.signature_algorithm = "sha256WithRSAEncryption".into();
            cert.sha256 = "4F:40:62:3D:C7:8C:73:F5:5A:8A:87:7F:EE:91:40:80:A0:61:C8:E1:99:FD:C7:A0:FC:55:94:45:03:96:97:BA".into();
        }
        ca
    }

    /// A vendor support key in root's authorized_keys (line 2, after a comment).
    fn authorised() -> KeyMaterial {
        KeyMaterial {
            fingerprint: Some(ED25519_FP.into()),
            comment: Some("vendor support".into()),
            location: image_line("/root/.ssh/authorized_keys", 2),
            ..key(
                KeyKind::AuthorizedKey,
                "authorized_keys",
                "ed25519",
                256,
                "/root/.ssh/authorized_keys",
            )
        }
    }

    /// Armour around a documentation example: never a key.
    fn unparsed() -> KeyMaterial {
        KeyMaterial {
            algorithm: None,
            bits: None,
            curve: None,
            parsed: false,
            ..key(
                KeyKind::Unparsed,
                "openssh",
                "-",
                0,
                "/usr/share/doc/README",
            )
        }
    }

    /// What a clean image carries: a CA bundle, a public key for update signatures, a
    /// documentation example.
    fn clean() -> Vec<KeyMaterial> {
        vec![
            ca_certificate(),
            key(
                KeyKind::PublicKey,
                "pem-spki",
                "rsa",
                2048,
                "/etc/opkg/keys/vendor.pub",
            ),
            unparsed(),
        ]
    }

    /// Everything at once: host key, encrypted key, device key and certificate, an
    /// authorised key, and the clean material.
    fn shipped() -> Facts {
        facts_with("keys", |f| {
            f.keys = clean();
            f.keys.extend([
                dropbear_host_key(),
                encrypted_key(),
                device_key(),
                device_certificate(),
                authorised(),
            ]);
        })
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let mut out = Vec::new();
        for id in [
            "keys-private-keys",
            "keys-authorized-keys",
            "keys-certificates",
        ] {
            out.push((id, Fail, shipped()));
            out.push((id, Pass, facts_with("keys", |f| f.keys = clean())));
            // The collector found no key material at all.
            out.push((id, Pass, facts_with("keys", |_| {})));
            out.push((
                id,
                Inconclusive,
                partial_with("keys", UNPACK_LIMIT, |f| f.keys = clean()),
            ));
            out.push((
                id,
                Inconclusive,
                partial_with(
                    "keys",
                    "2 files larger than 16777216 bytes were not scanned",
                    |f| f.keys = clean(),
                ),
            ));
            out.push((id, Inconclusive, not_run("keys")));
        }
        // Each check fails on its own kind of material only.
        out.push((
            "keys-private-keys",
            Fail,
            facts_with("keys", |f| f.keys = vec![dropbear_host_key()]),
        ));
        out.push((
            "keys-authorized-keys",
            Pass,
            facts_with("keys", |f| f.keys = vec![dropbear_host_key()]),
        ));
        out.push((
            "keys-certificates",
            Pass,
            facts_with("keys", |f| f.keys = vec![dropbear_host_key()]),
        ));
        out.push((
            "keys-private-keys",
            Pass,
            facts_with("keys", |f| f.keys = vec![authorised()]),
        ));
        out
    }

    #[test]
    fn private_keys_fail_with_what_they_are_and_where() {
        let o = PrivateKeys.evaluate(&shipped());
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            [
                (
                    "rsa 1024-bit private key (dropbear) SHA256:1SUtMoXCMXkLosL8vR/AtcBRs0ZXy9f9h3QVGuV6Ed0 shipped in the image",
                    Severity::High,
                    (Some("/etc/dropbear/dropbear_rsa_host_key"), None)
                ),
                (
                    "unknown encrypted private key (pem-pkcs8-encrypted) shipped in the image",
                    Severity::Low,
                    (Some("/etc/ssl/private/vpn.key"), Some(1))
                ),
                (
                    "ec 256-bit private key (pem-sec1) SHA256:TUbt966k8Egaqq7GRFNXj9jHKTAW/9tgoSVvzdP+mow shipped in the image",
                    Severity::High,
                    (Some("/etc/lighttpd/server.pem"), Some(1))
                ),
            ]
        );
        let o = PrivateKeys.evaluate(&facts_with("keys", |f| f.keys = clean()));
        assert_eq!(o.summary, "no private keys among 3 pieces of key material");
    }

    #[test]
    fn authorised_keys_fail_with_their_comment() {
        let o = AuthorizedKeys.evaluate(&shipped());
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            [(
                "ed25519 key SHA256:IsuSTQKK+OFLfIJKjuLCYk4wvjlkJtOD3IvixoRvLRY (vendor support) is authorised to log in",
                Severity::High,
                (Some("/root/.ssh/authorized_keys"), Some(2))
            )]
        );
    }

    #[test]
    fn a_certificate_fails_with_its_key_and_is_listed_without_it() {
        let o = Certificates.evaluate(&shipped());
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            [
                (
                    "certificate C=GB, O=Hallmark Test, CN=Test CA (CA)",
                    Severity::Info,
                    (Some("/etc/ssl/certs/ca-certificates.crt"), Some(1))
                ),
                (
                    "device certificate CN=device.example.invalid ships with its private key",
                    Severity::Medium,
                    (Some("/etc/lighttpd/server.pem"), Some(6))
                ),
            ]
        );
        // The CA alone is an inventory note: the check passes.
        let o = Certificates.evaluate(&facts_with("keys", |f| f.keys = clean()));
        assert_eq!(o.verdict, Verdict::Pass);
        assert_eq!(o.findings.len(), 1);
        assert_eq!(o.findings[0].severity, Severity::Info);
        assert_eq!(o.summary, "1 certificates, none sharing a device identity");
    }
}
