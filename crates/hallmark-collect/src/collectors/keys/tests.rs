//! Fixtures made by `fixtures/generate.sh` with OpenSSL and OpenSSH; `fixtures/expected.txt`
//! holds what those tools say about them (fingerprints, certificate hashes and dates).

use std::collections::BTreeMap;
use std::path::PathBuf;

use hallmark_model::Location;
use hallmark_unpack::{Entry, FileTree};

use super::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/collectors/keys/fixtures")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

/// `expected.txt`: `(what, file) -> value`.
fn expected() -> BTreeMap<(String, String), String> {
    let text = String::from_utf8(fixture("expected.txt")).unwrap();
    text.lines()
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let what = parts.next().unwrap().to_owned();
            let file = parts.next().unwrap().to_owned();
            ((what, file), parts.next().unwrap().to_owned())
        })
        .collect()
}

fn path_of(key: &KeyMaterial) -> String {
    let Location::Image { path, .. } = &key.location else {
        panic!("not an image location")
    };
    path.clone().unwrap()
}

/// Every fixture in one tree (under `/etc/keys`, `authorized_keys` under `/root/.ssh`); the
/// findings by file name.
fn collect_fixtures() -> BTreeMap<String, Vec<KeyMaterial>> {
    let mut tree = FileTree::new();
    tree.add(Entry::dir("/etc"));
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "generate.sh" || name == "expected.txt" {
            continue;
        }
        let path = if name == "authorized_keys" {
            "/root/.ssh/authorized_keys".to_owned()
        } else {
            format!("/etc/keys/{name}")
        };
        tree.add(Entry::file(path, fixture(&name)));
    }
    let facts = crate::tests::collect_tree(tree, &KeysCollector);
    assert!(facts.covered("keys"));
    let mut by_file: BTreeMap<String, Vec<KeyMaterial>> = BTreeMap::new();
    for key in facts.keys {
        let path = path_of(&key);
        let name = path.rsplit('/').next().unwrap().to_owned();
        by_file.entry(name).or_default().push(key);
    }
    by_file
}

/// A compact description of a finding: kind, format, algorithm, bits, curve, encrypted,
/// parsed.
fn describe(key: &KeyMaterial) -> String {
    format!(
        "{:?} {} {} {} {} {} {}",
        key.kind,
        key.format,
        key.algorithm.as_deref().unwrap_or("-"),
        key.bits.map_or("-".to_owned(), |b| b.to_string()),
        key.curve.as_deref().unwrap_or("-"),
        key.encrypted.map_or("-".to_owned(), |e| e.to_string()),
        if key.parsed { "parsed" } else { "unparsed" },
    )
}

#[test]
fn every_fixture_is_recognised_with_the_tools_fingerprints() {
    let found = collect_fixtures();
    let expected = expected();
    let fp = |file: &str| expected[&("fingerprint".to_owned(), file.to_owned())].clone();

    #[rustfmt::skip]
    let cases: &[(&str, &str, Option<String>)] = &[
        ("rsa.pkcs1.pem", "PrivateKey pem-pkcs1 rsa 1024 - false parsed", Some(fp("rsa.pkcs1.pem"))),
        ("rsa.pkcs8.pem", "PrivateKey pem-pkcs8 rsa 1024 - false parsed", Some(fp("rsa.pkcs8.pem"))),
        ("rsa.pkcs8.der", "PrivateKey der-pkcs8 rsa 1024 - false parsed", Some(fp("rsa.pkcs8.pem"))),
        ("rsa.legacy-encrypted.pem", "PrivateKey pem-pkcs1 rsa - - true parsed", None),
        ("rsa.spki.pem", "PublicKey pem-spki rsa 1024 - - parsed", Some(fp("rsa.pkcs1.pem"))),
        ("rsa.pkcs1-public.pem", "PublicKey pem-pkcs1 rsa 1024 - - parsed", Some(fp("rsa.pkcs1.pem"))),
        ("ec256.sec1.pem", "PrivateKey pem-sec1 ec 256 P-256 false parsed", Some(fp("ec256.sec1.pem"))),
        ("ec384.pkcs8.pem", "PrivateKey pem-pkcs8 ec 384 P-384 false parsed", Some(fp("ec384.pkcs8.pem"))),
        ("ec256.encrypted.pem", "PrivateKey pem-pkcs8-encrypted - - - true parsed", None),
        ("dsa.pem", "PrivateKey pem-dsa dsa 1024 - false parsed", Some(fp("dsa.pem"))),
        ("ed25519.pkcs8.pem", "PrivateKey pem-pkcs8 ed25519 256 - false parsed", None),
        ("id_ed25519", "PrivateKey openssh ed25519 256 - false parsed", Some(fp("id_ed25519"))),
        ("id_ed25519.pub", "PublicKey openssh-public ed25519 256 - - parsed", Some(fp("id_ed25519"))),
        ("id_ecdsa_encrypted", "PrivateKey openssh ec 256 P-256 true parsed", Some(fp("id_ecdsa_encrypted.pub"))),
        ("id_ecdsa_encrypted.pub", "PublicKey openssh-public ec 256 P-256 - parsed", Some(fp("id_ecdsa_encrypted.pub"))),
        ("id_rsa", "PrivateKey openssh rsa 1024 - false parsed", Some(fp("id_rsa"))),
        ("id_rsa.pub", "PublicKey openssh-public rsa 1024 - - parsed", Some(fp("id_rsa"))),
        ("dropbear_rsa_host_key", "PrivateKey dropbear rsa 1024 - false parsed", Some(fp("dropbear_rsa_host_key"))),
        ("dropbear_dss_host_key", "PrivateKey dropbear dsa 1024 - false parsed", Some(fp("dropbear_dss_host_key"))),
        ("dropbear_ecdsa_host_key", "PrivateKey dropbear ec 256 P-256 false parsed", Some(fp("dropbear_ecdsa_host_key"))),
        ("dropbear_ed25519_host_key", "PrivateKey dropbear ed25519 256 - false parsed", Some(fp("dropbear_ed25519_host_key"))),
        ("leaf.p12", "PrivateKey pkcs12 - - - true parsed", None),
        ("plain.p12", "PrivateKey pkcs12 - - - false parsed", None),
        ("README.example-key.txt", "Unparsed openssh - - - - unparsed", None),
    ];
    for (file, description, fingerprint) in cases {
        let keys = found
            .get(*file)
            .unwrap_or_else(|| panic!("{file}: nothing found"));
        assert_eq!(keys.len(), 1, "{file}: {keys:#?}");
        assert_eq!(describe(&keys[0]), *description, "{file}");
        assert_eq!(keys[0].fingerprint, *fingerprint, "{file}");
    }
    assert_eq!(
        found["id_ed25519"][0].comment.as_deref(),
        Some("fixture@hallmark")
    );
    assert_eq!(
        found["id_ed25519.pub"][0].comment.as_deref(),
        Some("fixture@hallmark")
    );
    assert_eq!(found["id_rsa"][0].comment, None);
}

#[test]
fn authorized_keys_entries_with_options_comments_and_damage() {
    let found = collect_fixtures();
    let expected = expected();
    let keys = &found["authorized_keys"];
    let got: Vec<(String, Option<String>, Option<String>)> = keys
        .iter()
        .map(|k| (describe(k), k.fingerprint.clone(), k.comment.clone()))
        .collect();
    let fp = |file: &str| Some(expected[&("fingerprint".to_owned(), file.to_owned())].clone());
    assert_eq!(
        got,
        vec![
            (
                "AuthorizedKey authorized_keys rsa 1024 - - parsed".to_owned(),
                fp("id_rsa"),
                Some("vendor support".to_owned())
            ),
            (
                "AuthorizedKey authorized_keys ed25519 256 - - parsed".to_owned(),
                fp("id_ed25519"),
                Some("fixture@hallmark".to_owned())
            ),
            (
                "Unparsed authorized_keys - - - - unparsed".to_owned(),
                None,
                None
            ),
        ]
    );
    let lines: Vec<Option<u32>> = keys
        .iter()
        .map(|k| match &k.location {
            Location::Image { line, .. } => *line,
            _ => None,
        })
        .collect();
    assert_eq!(lines, [Some(2), Some(3), Some(4)]);
}

#[test]
fn certificates_match_openssl() {
    let found = collect_fixtures();
    let expected = expected();
    let value = |what: &str, file: &str| expected[&(what.to_owned(), file.to_owned())].clone();
    for (file, pem, self_signed, ca, public_key) in [
        ("ca.pem", "ca.pem", true, true, "rsa 1024 -"),
        ("leaf.pem", "leaf.pem", false, false, "ec 256 P-256"),
        ("leaf.der", "leaf.pem", false, false, "ec 256 P-256"),
    ] {
        let keys = &found[file];
        assert_eq!(keys.len(), 1, "{file}");
        let key = &keys[0];
        assert_eq!(key.kind, KeyKind::Certificate);
        let format = if file.ends_with(".der") {
            "x509-der"
        } else {
            "x509-pem"
        };
        assert_eq!(key.format, format);
        let cert = key.certificate.as_ref().unwrap();
        assert_eq!(cert.sha256, value("sha256", pem), "{file}");
        assert_eq!(cert.not_before, value("notbefore", pem), "{file}");
        assert_eq!(cert.not_after, value("notafter", pem), "{file}");
        assert_eq!((cert.self_signed, cert.ca), (self_signed, ca), "{file}");
        // openssl prints RFC 2253 order (most specific first); we print the encoded order.
        let subject = value("subject", pem);
        let mut rdns: Vec<&str> = subject.split(',').collect();
        rdns.reverse();
        assert_eq!(cert.subject, rdns.join(", "), "{file}");
        assert_eq!(key_desc(key), public_key, "{file}");
        assert!(
            cert.signature_algorithm.contains("sha256"),
            "{}",
            cert.signature_algorithm
        );
    }
    assert_eq!(
        found["leaf.pem"][0].certificate.as_ref().unwrap().issuer,
        "C=GB, O=Hallmark Test, CN=Test CA"
    );
}

fn key_desc(key: &KeyMaterial) -> String {
    format!(
        "{} {} {}",
        key.algorithm.as_deref().unwrap_or("-"),
        key.bits.map_or("-".to_owned(), |b| b.to_string()),
        key.curve.as_deref().unwrap_or("-")
    )
}

#[test]
fn pem_embedded_in_strings_and_binaries() {
    let ca = String::from_utf8(fixture("ca.pem")).unwrap();
    let escaped = ca.trim_end().replace('\n', "\\n");
    let json = format!("{{\"name\": \"vendor\", \"ca\": \"{escaped}\"}}\n");
    let mut binary = vec![0u8, 1, 2, 0x7f];
    binary.extend_from_slice(&fixture("rsa.pkcs1.pem"));
    binary.extend_from_slice(&[0, 0xff, 0xfe]);
    binary.extend_from_slice(&fixture("id_ed25519.pub"));
    let (json_found, _) = scan("config.json", json.as_bytes());
    assert_eq!(json_found.len(), 1);
    assert_eq!(json_found[0].kind, KeyKind::Certificate);
    assert!(json_found[0].parsed);
    let (bin_found, _) = scan("httpd", &binary);
    let kinds: Vec<(KeyKind, usize)> = bin_found.iter().map(|f| (f.kind, f.offset)).collect();
    assert_eq!(
        kinds,
        [
            (KeyKind::PrivateKey, 4),
            (KeyKind::PublicKey, 4 + fixture("rsa.pkcs1.pem").len() + 3)
        ]
    );
}

#[test]
fn armour_without_a_key_is_never_a_key() {
    let cases: &[(&str, &[u8])] = &[
        (
            "README",
            b"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
        ),
        (
            "truncated.pem",
            b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
        ),
        (
            "empty.pem",
            b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        ),
        (
            "wrong.pem",
            b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        ),
        ("cert.der", b"\x30\x03\x02\x01\x00"),
        ("dropbear_rsa_host_key", b"\x00\x00\x00\x07ssh-rsa\x00\x00"),
    ];
    for (name, data) in cases {
        let (found, complete) = scan(name, data);
        assert!(complete);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert_eq!(found[0].kind, KeyKind::Unparsed, "{name}");
        assert!(!found[0].parsed, "{name}");
    }
    // Text that merely mentions key types, and labels that are not key material.
    for data in [
        &b"HostKeyAlgorithms ssh-rsa,ssh-ed25519\nssh-rsa AAAA is the prefix\n"[..],
        b"-----BEGIN CERTIFICATE REQUEST-----\nxx\n-----END CERTIFICATE REQUEST-----\n",
        b"-----BEGIN \x00\x01",
    ] {
        assert_eq!(scan("notes.txt", data).0, Vec::new());
    }
}

#[test]
fn damaged_fixtures_never_panic() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in names {
        let data = fixture(&name);
        for cut in (0..data.len()).step_by(7) {
            let _ = scan(&name, &data[..cut]);
            let mut flipped = data.clone();
            flipped[cut] ^= 0x41;
            let _ = scan(&name, &flipped);
        }
    }
}

#[test]
fn hostile_repetition_is_bounded() {
    let block = b"-----BEGIN RSA PRIVATE KEY-----\n";
    let data: Vec<u8> = block
        .iter()
        .copied()
        .cycle()
        .take(block.len() * 5000)
        .collect();
    let (found, complete) = scan("x", &data);
    assert!(!complete);
    assert_eq!(found.len(), MAX_PER_FILE);
}

/// The quick check that skips the needle search in a file is sound: every needle contains one
/// of its two strings.
#[test]
fn every_needle_contains_begin_or_aaaa() {
    let mut needles = vec![PEM_BEGIN.to_owned(), SSH2_BEGIN.to_owned()];
    needles.extend(ssh::PUBLIC_KEY_TYPES.iter().map(|t| format!("{t} AAAA")));
    for needle in needles {
        assert!(
            needle.contains("BEGIN ") || needle.contains(" AAAA"),
            "{needle}"
        );
    }
}
