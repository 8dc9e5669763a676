//! The keys collector against the shared corpus: the synthetic manifests' planted
//! `private_key`, `certificate` and `authorized_key` findings and negative controls, and the
//! key fixtures and images of real devices with the values OpenSSL and ssh-keygen give.
//!
//! Images whose filesystems cannot be unpacked yet are checked by hand: extract the rootfs
//! (e.g. `unsquashfs -d /tmp/x rootfs.squashfs`) and run
//! `HALLMARK_ROOTFS=/tmp/x HALLMARK_MANIFEST=.../manifest.json cargo test -p hallmark-collect
//! --test keys_corpus -- --ignored`.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod support;

use std::path::PathBuf;

use hallmark_model::facts::{Facts, KeyKind, KeyMaterial};
use serde_json::Value;
use support::{corpus, is_path, path_of};

fn keys_at<'a>(facts: &'a Facts, path: &str) -> Vec<&'a KeyMaterial> {
    facts
        .keys
        .iter()
        .filter(|k| is_path(path_of(&k.location), path))
        .collect()
}

/// Compares the facts with a manifest's key findings; returns the mismatches and a line per
/// finding checked.
fn check_manifest(manifest: &Value, facts: &Facts) -> (Vec<String>, Vec<String>) {
    let mut failures = Vec::new();
    let mut checked = Vec::new();
    let mut planted_private = Vec::new();
    for finding in manifest["planted_findings"].as_array().unwrap() {
        let category = finding["category"].as_str().unwrap();
        let path = finding["path"].as_str().unwrap();
        let id = finding["id"].as_str().unwrap();
        let here = keys_at(facts, path);
        let kind = match category {
            "private_key" => KeyKind::PrivateKey,
            "certificate" => KeyKind::Certificate,
            "authorized_key" => KeyKind::AuthorizedKey,
            "negative_control" => {
                match finding["expect"].as_str().unwrap() {
                    "not_private_key" => {
                        if here.iter().any(|k| k.kind == KeyKind::PrivateKey) {
                            failures.push(format!("{id} {path}: reported as a private key"));
                        }
                    }
                    "not_valid_key" => {
                        if here.iter().any(|k| k.parsed || k.kind != KeyKind::Unparsed) {
                            failures.push(format!("{id} {path}: reported as a valid key"));
                        }
                        if here.is_empty() {
                            failures.push(format!("{id} {path}: armour not recorded"));
                        }
                    }
                    _ => continue,
                }
                checked.push(format!(
                    "{id} negative control {path}: {} records",
                    here.len()
                ));
                continue;
            }
            _ => continue,
        };
        if kind == KeyKind::PrivateKey {
            planted_private.push(path);
        }
        let Some(key) = here.iter().find(|k| k.kind == kind) else {
            failures.push(format!("{id} {path}: no {kind:?} found ({here:?})"));
            continue;
        };
        let mut check = |what: &str, expected: Option<String>, got: Option<String>| {
            if let Some(expected) = expected {
                if Some(&expected) != got.as_ref() {
                    failures.push(format!("{id} {path}: {what} {got:?}, expected {expected}"));
                }
            }
        };
        let mut problems = Vec::new();
        let s = |v: &Value| v.as_str().map(str::to_owned);
        check("format", s(&finding["format"]), Some(key.format.clone()));
        // An encrypted PKCS#8 key's algorithm, size and curve are inside the ciphertext.
        if finding["encrypted"] != Value::Bool(true) || key.algorithm.is_some() {
            let algorithm =
                s(&finding["key_type"]).map(|t| if t == "ecdsa" { "ec".to_owned() } else { t });
            check("algorithm", algorithm, key.algorithm.clone());
            check(
                "bits",
                finding["bits"].as_u64().map(|b| b.to_string()),
                key.bits.map(|b| b.to_string()),
            );
            check("curve", s(&finding["curve"]), key.curve.clone());
        }
        check(
            "encrypted",
            finding["encrypted"].as_bool().map(|b| b.to_string()),
            key.encrypted.map(|b| b.to_string()),
        );
        check(
            "fingerprint",
            s(&finding["fingerprint"]),
            key.fingerprint.clone(),
        );
        check("comment", s(&finding["comment"]), key.comment.clone());
        if kind == KeyKind::Certificate {
            let cert = key.certificate.as_ref().unwrap();
            check("sha256", s(&finding["sha256"]), Some(cert.sha256.clone()));
            check(
                "self_signed",
                finding["self_signed"].as_bool().map(|b| b.to_string()),
                Some(cert.self_signed.to_string()),
            );
            if let Some(cn) = s(&finding["cn"]) {
                if !cert.subject.contains(&format!("CN={cn}")) {
                    problems.push(format!("{id} {path}: subject {}", cert.subject));
                }
            }
        }
        // A key shipped with its certificate: the certificate's public key is this key's.
        if let Some(cert_path) = finding["matching_cert"].as_str() {
            let cert = keys_at(facts, cert_path)
                .into_iter()
                .find(|k| k.kind == KeyKind::Certificate);
            match cert {
                Some(cert) => {
                    check(
                        "matching certificate sha256",
                        s(&finding["cert_sha256"]),
                        cert.certificate.as_ref().map(|c| c.sha256.clone()),
                    );
                    if cert.fingerprint.is_none() || cert.fingerprint != key.fingerprint {
                        problems.push(format!(
                            "{id} {path}: key and {cert_path} do not share a public key"
                        ));
                    }
                }
                None => problems.push(format!("{id} {path}: no certificate at {cert_path}")),
            }
        }
        failures.extend(problems);
        checked.push(format!(
            "{id} {path}: {:?} {} {} {} {}",
            key.kind,
            key.format,
            key.algorithm.as_deref().unwrap_or("-"),
            key.encrypted.map_or("-".to_owned(), |e| e.to_string()),
            key.fingerprint.as_deref().unwrap_or("-")
        ));
    }
    // No private key that was not planted.
    for key in facts.keys.iter().filter(|k| k.kind == KeyKind::PrivateKey) {
        let path = path_of(&key.location);
        if !planted_private.iter().any(|p| is_path(path, p)) {
            failures.push(format!("unexpected private key at {path}"));
        }
    }
    (failures, checked)
}

fn check_synthetic(name: &str, image: &str) {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("synthetic").join(name);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let facts = support::run("keys", &support::unpack(&dir.join(image)));
    let (failures, checked) = check_manifest(&manifest, &facts);
    for line in &checked {
        eprintln!("{line}");
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
    assert!(!checked.is_empty());
}

#[test]
fn synthetic_initramfs_mipsel() {
    check_synthetic("initramfs-mipsel", "initramfs.cpio.gz");
}

/// By hand, for an extracted rootfs: see the module documentation. Every finding is listed;
/// without `HALLMARK_MANIFEST` nothing is compared.
#[test]
#[ignore = "needs HALLMARK_ROOTFS (and HALLMARK_MANIFEST)"]
fn extracted_rootfs_against_its_manifest() {
    let root = PathBuf::from(std::env::var("HALLMARK_ROOTFS").unwrap());
    let facts = support::run("keys", &support::directory(&root));
    for key in &facts.keys {
        eprintln!("{} {}", path_of(&key.location), describe(key));
    }
    let Ok(manifest) = std::env::var("HALLMARK_MANIFEST") else {
        return;
    };
    let manifest: Value = serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
    let (failures, checked) = check_manifest(&manifest, &facts);
    for line in &checked {
        eprintln!("{line}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One finding: kind, format, algorithm, bits, encrypted, fingerprint.
fn describe(key: &KeyMaterial) -> String {
    format!(
        "{:?} {} {} {} {} {}",
        key.kind,
        key.format,
        key.algorithm.as_deref().unwrap_or("-"),
        key.bits.map_or("-".to_owned(), |b| b.to_string()),
        key.encrypted.map_or("-".to_owned(), |e| e.to_string()),
        key.fingerprint.as_deref().unwrap_or("-"),
    )
}

/// FACT's crypto_material fixtures; expected values from `openssl` and `ssh-keygen -l` on
/// each file alone (`id_rsa.pub` is not the public half of `id_rsa`).
#[test]
fn fact_core_crypto_material() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("real/fact-core-analysis-fixtures");
    let names = [
        "id_rsa",
        "id_rsa.pub",
        "id_rsa_encrypted",
        "pkcs",
        "pkcs12",
        "ssl.crt",
        "ssl.key",
    ];
    let files: Vec<PathBuf> = names
        .iter()
        .map(|n| dir.join(format!("crypto_material__{n}")))
        .collect();
    let facts = support::run("keys", &support::loose_files(&files));
    #[rustfmt::skip]
    let expected = [
        ("id_rsa", "PrivateKey pem-pkcs1 rsa 8192 false SHA256:SCpajQnMloNy3am8DZrrAIGFoKdq0gDOBGKhNMr+r98"),
        ("id_rsa.pub", "PublicKey openssh-public rsa 2048 - SHA256:I6EjS46VbGEwAuoD3oxpSc0eDiVbS5h9Vc6Z5Qz2XfQ"),
        ("id_rsa_encrypted", "PrivateKey pem-pkcs1 rsa - true -"),
        ("pkcs", "PrivateKey der-pkcs1 rsa 1024 false SHA256:ZtQrFp7p9CVcEb4TV3O2/WnFilNdHSk9pVzh2lP6WUo"),
        ("pkcs12", "PrivateKey pkcs12 - - true -"),
        ("ssl.crt", "Certificate x509-pem rsa 2048 - SHA256:dj/P5p7dhDSbNQUEAPT0K8msPTjdpvDxw5ObCne6fwk"),
        ("ssl.key", "PrivateKey pem-pkcs8 rsa 1024 false SHA256:KuZ7oRTTb3ZqG8ZPlShsoAwPa8HipNdGveXZbn2BHG4"),
    ];
    for (name, description) in expected {
        let path = format!("/crypto_material__{name}");
        let here = keys_at(&facts, &path);
        assert_eq!(here.len(), 1, "{name}: {here:#?}");
        assert_eq!(describe(here[0]), description, "{name}");
    }
    assert_eq!(
        keys_at(&facts, "/crypto_material__id_rsa.pub")[0]
            .comment
            .as_deref(),
        Some("ernst@cs.uni-bonn.de")
    );
    let cert = keys_at(&facts, "/crypto_material__ssl.crt")[0]
        .certificate
        .clone()
        .unwrap();
    assert_eq!(
        cert.sha256,
        "69:B5:D0:1F:47:4A:8E:24:10:A5:FD:95:36:17:52:20:28:76:F3:E6:91:5F:0D:7A:1B:90:6C:A9:C8:AE:91:D6"
    );
    assert_eq!(
        (cert.not_before.as_str(), cert.not_after.as_str()),
        ("2014-07-03T13:38:22Z", "2017-08-31T17:37:11Z")
    );
    assert_eq!(
        (cert.self_signed, cert.ca, cert.signature_algorithm.as_str()),
        (false, false, "sha256WithRSAEncryption")
    );
    assert_eq!(
        cert.subject,
        "C=DE, ST=Bayern, L=Muenchen, O=Fraunhofer, OU=FKIE, OU=Services, CN=www.fkie.fraunhofer.de"
    );
    assert!(cert.issuer.contains("CN=Fraunhofer Service CA - G01"));
}

/// The emux router ships `/etc/dropbear/dropbear_rsa_host_key` as an empty file (dropbear
/// generates the key on first boot): there is no key in the image to report.
#[test]
fn emux_dropbear_placeholder_is_not_a_key() {
    let Some(corpus) = corpus() else { return };
    let image = corpus.join("real/emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2");
    let unpacked = support::unpack(&image);
    let facts = support::run("keys", &unpacked);
    assert!(keys_at(&facts, "/etc/dropbear/dropbear_rsa_host_key").is_empty());
    let private: Vec<String> = facts
        .keys
        .iter()
        .filter(|k| k.kind == KeyKind::PrivateKey)
        .map(|k| format!("{} {}", path_of(&k.location), describe(k)))
        .collect();
    eprintln!("emux private keys: {private:#?}");
}
