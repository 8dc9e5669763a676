//! Key material: private and public keys, certificates and authorised SSH keys, in any file.
//!
//! Every file up to [`Options::max_scan_bytes`] is searched once (Aho-Corasick) for PEM
//! armour (`-----BEGIN `), RFC 4716 SSH public keys and OpenSSH public-key lines (`ssh-rsa
//! AAAA...`). Besides, a file is tried whole as a dropbear private key when it starts with an
//! SSH string naming a key type, and as DER (certificate, PKCS#12, PKCS#8, PKCS#1, SEC1, DSA,
//! SubjectPublicKeyInfo) when it is exactly one DER SEQUENCE. Only what is found is parsed.
//!
//! What a found key is:
//! - kind and format from the armour label or structure (`pem-pkcs1`, `pem-pkcs8`,
//!   `pem-pkcs8-encrypted`, `pem-sec1`, `pem-dsa`, `openssh`, `pem-spki`, `x509-pem`,
//!   `der-*`, `x509-der`, `pkcs12`, `dropbear`, `openssh-public`, `ssh2-public`,
//!   `authorized_keys`, `pgp`);
//! - algorithm, size, curve, and the SSH fingerprint (`SHA256:...`, as `ssh-keygen -l`
//!   prints it) of the public key, derived from private keys where the public key is
//!   present or computable without arithmetic (RSA, DSA with `y`, EC with its point,
//!   OpenSSH and dropbear keys);
//! - whether a private key is encrypted (legacy `Proc-Type: 4,ENCRYPTED`, encrypted PKCS#8,
//!   an OpenSSH cipher other than `none`, PKCS#12 shrouded key bags);
//! - certificate details for certificates.
//!
//! Armour whose body does not parse (a documentation example, a truncated key) is recorded
//! with kind [`KeyKind::Unparsed`] and `parsed: false`, never as a key.

mod der;
mod pkix;
mod ssh;

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hallmark_model::facts::{Certificate, Coverage, Facts, KeyKind, KeyMaterial};

use crate::{Collector, File, Image, Options, coverage};

/// Records [`KeyMaterial`] facts.
pub(crate) struct KeysCollector;

/// What is known of a key's public half.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct KeyInfo {
    pub(super) algorithm: Option<&'static str>,
    pub(super) bits: Option<u32>,
    pub(super) curve: Option<String>,
    pub(super) fingerprint: Option<String>,
}

/// One finding in a file, before it gets its location.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    kind: KeyKind,
    format: &'static str,
    info: KeyInfo,
    encrypted: Option<bool>,
    parsed: bool,
    certificate: Option<Certificate>,
    comment: Option<String>,
    offset: usize,
}

impl Found {
    fn new(kind: KeyKind, format: &'static str, offset: usize) -> Found {
        Found {
            kind,
            format,
            info: KeyInfo::default(),
            encrypted: None,
            parsed: true,
            certificate: None,
            comment: None,
            offset,
        }
    }

    fn with_info(mut self, info: KeyInfo) -> Found {
        self.info = info;
        self
    }

    fn encrypted(mut self, encrypted: bool) -> Found {
        self.encrypted = Some(encrypted);
        self
    }

    fn unparsed(format: &'static str, offset: usize) -> Found {
        let mut found = Found::new(KeyKind::Unparsed, format, offset);
        found.parsed = false;
        found
    }
}

/// Most findings recorded per file (a CA bundle holds a few hundred certificates).
const MAX_PER_FILE: usize = 2000;
/// How far after `-----BEGIN` the matching `-----END` is looked for.
const PEM_WINDOW: usize = 256 * 1024;
/// Largest file tried whole as DER or as a dropbear key.
const MAX_WHOLE_FILE: usize = 1024 * 1024;

const PEM_BEGIN: &str = "-----BEGIN ";
const SSH2_BEGIN: &str = "---- BEGIN SSH2 PUBLIC KEY ----";
const SSH2_END: &[u8] = b"---- END SSH2 PUBLIC KEY ----";

/// The needles: PEM armour, RFC 4716 armour, then `type AAAA` for each public-key type
/// (`AAAA` starts the base64 of the blob's length prefix).
static NEEDLES: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    let mut needles = vec![PEM_BEGIN.to_owned(), SSH2_BEGIN.to_owned()];
    needles.extend(ssh::PUBLIC_KEY_TYPES.iter().map(|t| format!("{t} AAAA")));
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(needles)
        .ok()
});

/// Lenient base64: padding optional, stray trailing bits accepted.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

impl Collector for KeysCollector {
    fn id(&self) -> &'static str {
        "keys"
    }

    fn description(&self) -> &'static str {
        "private and public keys, certificates and authorised SSH keys in any file (PEM, DER, PKCS#12, OpenSSH, dropbear), with algorithm, size, encryption and fingerprint"
    }

    fn collect(&self, image: &Image<'_>, options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        let mut too_large = 0u64;
        let mut capped = 0u64;
        for file in image.files() {
            let bytes = file.bytes();
            if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > options.max_scan_bytes {
                too_large = too_large.saturating_add(1);
                continue;
            }
            examined = examined.saturating_add(1);
            let (found, complete) = scan(file.name(), bytes);
            if !complete {
                capped = capped.saturating_add(1);
            }
            record(&file, found, facts);
        }
        let mut notes = Vec::new();
        if too_large > 0 {
            notes.push(format!(
                "{too_large} files larger than {} bytes were not scanned",
                options.max_scan_bytes
            ));
        }
        if capped > 0 {
            notes.push(format!(
                "{capped} files held more than {MAX_PER_FILE} key blocks; the rest were not read"
            ));
        }
        coverage(image, examined, notes)
    }
}

fn record(file: &File<'_>, found: Vec<Found>, facts: &mut Facts) {
    if found.is_empty() {
        return;
    }
    let text = file.text().is_some();
    let bytes = file.bytes();
    for f in found {
        let mut location = file.at(f.offset);
        if text {
            let line = bytes
                .get(..f.offset)
                .map_or(0, |before| memchr::memchr_iter(b'\n', before).count())
                .saturating_add(1);
            if let hallmark_model::Location::Image { line: l, .. } = &mut location {
                *l = u32::try_from(line).ok();
            }
        }
        facts.keys.push(KeyMaterial {
            kind: f.kind,
            format: f.format.to_owned(),
            algorithm: f.info.algorithm.map(str::to_owned),
            bits: f.info.bits,
            curve: f.info.curve,
            encrypted: f.encrypted,
            fingerprint: f.info.fingerprint,
            parsed: f.parsed,
            certificate: f.certificate,
            comment: f.comment,
            location,
        });
    }
}

/// Everything found in one file (named `name`), and whether the whole file was read.
fn scan(name: &str, bytes: &[u8]) -> (Vec<Found>, bool) {
    let mut found = Vec::new();
    if bytes.is_empty() {
        return (found, true);
    }
    if let Some(f) = whole_file(bytes) {
        return (vec![f], true);
    }
    let Some(searcher) = NEEDLES.as_ref() else {
        return (found, false);
    };
    let authorized = name.starts_with("authorized_keys");
    // Every needle contains "BEGIN " (the armours) or " AAAA" (the public key lines): most
    // files (programs, libraries) have neither, and two substring searches rule that out
    // much faster than the needle search itself.
    let mut pos = if memchr::memmem::find(bytes, b"BEGIN ").is_none()
        && memchr::memmem::find(bytes, b" AAAA").is_none()
    {
        bytes.len()
    } else {
        0
    };
    while let Some(m) = searcher.find(Input::new(bytes).span(pos..bytes.len())) {
        if found.len() >= MAX_PER_FILE {
            return (found, false);
        }
        let at = m.start();
        pos = m.end();
        let rest = bytes.get(at..).unwrap_or_default();
        match m.pattern().as_usize() {
            0 => {
                if let Some((f, end)) = pem_block(rest, at) {
                    found.push(f);
                    pos = pos.max(end);
                }
            }
            1 => {
                let (f, end) = ssh2_block(rest, at);
                found.push(f);
                pos = pos.max(end);
            }
            _ => {
                // A key type inside a longer word is not one.
                let boundary = at == 0
                    || bytes
                        .get(at - 1)
                        .is_some_and(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'-' | b'@'));
                if !boundary {
                    continue;
                }
                let line = ssh::parse_public_line(rest);
                let (kind, format) = if authorized {
                    (KeyKind::AuthorizedKey, "authorized_keys")
                } else {
                    (KeyKind::PublicKey, "openssh-public")
                };
                match line.info {
                    Some(info) => {
                        let mut f = Found::new(kind, format, at).with_info(info);
                        f.comment = line.comment;
                        found.push(f);
                    }
                    // Broken lines matter in an authorized_keys file; elsewhere they are
                    // usually documentation.
                    None if authorized => found.push(Found::unparsed(format, at)),
                    None => {}
                }
            }
        }
    }
    // A file named as a key container that holds nothing readable is still worth a note.
    if found.is_empty() {
        if let Some(format) = claimed_container(name) {
            found.push(Found::unparsed(format, 0));
        }
    }
    (found, true)
}

/// A file read whole: a dropbear key, or exactly one DER element holding key material.
fn whole_file(bytes: &[u8]) -> Option<Found> {
    if bytes.len() > MAX_WHOLE_FILE {
        return None;
    }
    if ssh::looks_like_dropbear(bytes) {
        if let Some(info) = ssh::parse_dropbear(bytes) {
            // Dropbear has no passphrase protection.
            return Some(
                Found::new(KeyKind::PrivateKey, "dropbear", 0)
                    .with_info(info)
                    .encrypted(false),
            );
        }
        // The bare public blob, as some tools store it.
        if let Some(info) = ssh::parse_public_blob(bytes) {
            return Some(Found::new(KeyKind::PublicKey, "ssh-wire", 0).with_info(info));
        }
        return Some(Found::unparsed("dropbear", 0));
    }
    if bytes.first() == Some(&der::SEQUENCE) && der::single(bytes).is_some() {
        return der_key(bytes, 0);
    }
    None
}

/// The format a file's name claims for a binary key container, if any.
fn claimed_container(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".p12") || lower.ends_with(".pfx") {
        Some("pkcs12")
    } else if lower.ends_with(".der") || lower.ends_with(".cer") {
        Some("der")
    } else {
        None
    }
}

/// One DER element of any supported structure.
fn der_key(data: &[u8], offset: usize) -> Option<Found> {
    if let Some((certificate, info)) = pkix::certificate(data) {
        let mut f = Found::new(KeyKind::Certificate, "x509-der", offset).with_info(info);
        f.certificate = Some(certificate);
        return Some(f);
    }
    if let Some(p12) = pkix::pkcs12(data) {
        return Some(pkcs12_found(&p12, offset));
    }
    let private = |format, info| Found::new(KeyKind::PrivateKey, format, offset).with_info(info);
    if let Some(info) = pkix::pkcs8(data) {
        return Some(private("der-pkcs8", info).encrypted(false));
    }
    if pkix::encrypted_pkcs8(data).is_some() {
        return Some(private("der-pkcs8-encrypted", KeyInfo::default()).encrypted(true));
    }
    if let Some(info) = pkix::rsa_private(data) {
        return Some(private("der-pkcs1", info).encrypted(false));
    }
    if let Some(info) = pkix::ec_private(data, None) {
        return Some(private("der-sec1", info).encrypted(false));
    }
    if let Some(info) = pkix::dsa_private(data) {
        return Some(private("der-dsa", info).encrypted(false));
    }
    let public = |format, info| Found::new(KeyKind::PublicKey, format, offset).with_info(info);
    if let Some(info) = pkix::spki(data) {
        return Some(public("der-spki", info));
    }
    pkix::rsa_public(data).map(|info| public("der-pkcs1", info))
}

/// A PKCS#12 container: a private key when a key bag shows (encrypted unless a plain key bag
/// does); when every part is encrypted nothing shows, and it is recorded as an encrypted
/// private key, which is what such containers carry.
fn pkcs12_found(p12: &pkix::Pkcs12, offset: usize) -> Found {
    Found::new(KeyKind::PrivateKey, "pkcs12", offset).encrypted(p12.plain_keys == 0)
}

/// A PEM block starting at `rest` (offset `at` in the file): the finding and where scanning
/// resumes. `None` for labels that are not key material.
fn pem_block(rest: &[u8], at: usize) -> Option<(Found, usize)> {
    let after_begin = rest.get(PEM_BEGIN.len()..)?;
    let label_len = memchr::memmem::find(after_begin.get(..64).unwrap_or(after_begin), b"-----")?;
    let label = after_begin.get(..label_len)?;
    let format = match label {
        b"RSA PRIVATE KEY" => "pem-pkcs1",
        b"PRIVATE KEY" => "pem-pkcs8",
        b"ENCRYPTED PRIVATE KEY" => "pem-pkcs8-encrypted",
        b"EC PRIVATE KEY" => "pem-sec1",
        b"DSA PRIVATE KEY" => "pem-dsa",
        b"OPENSSH PRIVATE KEY" => "openssh",
        b"PUBLIC KEY" => "pem-spki",
        b"RSA PUBLIC KEY" => "pem-pkcs1",
        b"CERTIFICATE" | b"TRUSTED CERTIFICATE" | b"X509 CERTIFICATE" => "x509-pem",
        b"PGP PRIVATE KEY BLOCK" | b"PGP PUBLIC KEY BLOCK" => "pgp",
        _ => return None,
    };
    let body_start = PEM_BEGIN.len() + label_len + 5;
    let window = rest.get(..PEM_WINDOW).unwrap_or(rest);
    let mut end_marker = b"-----END ".to_vec();
    end_marker.extend_from_slice(label);
    end_marker.extend_from_slice(b"-----");
    let Some(end) = memchr::memmem::find(window, &end_marker) else {
        return Some((Found::unparsed(format, at), at.saturating_add(body_start)));
    };
    let resume = at.saturating_add(end).saturating_add(end_marker.len());
    let body = rest.get(body_start..end).unwrap_or_default();
    let (headers, encoded) = split_headers(body);
    let decoded = decode_base64(encoded, format == "pgp");
    let found = decoded
        .as_deref()
        .and_then(|der| pem_key(label, format, &headers, der, at))
        .unwrap_or_else(|| Found::unparsed(format, at));
    Some((found, resume))
}

/// Interprets a decoded PEM body.
fn pem_key(
    label: &[u8],
    format: &'static str,
    headers: &[(String, String)],
    data: &[u8],
    at: usize,
) -> Option<Found> {
    let private = |info| Found::new(KeyKind::PrivateKey, format, at).with_info(info);
    let legacy_encrypted = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED"));
    if legacy_encrypted {
        // RFC 1421 encryption: the body is ciphertext; only the label tells the algorithm.
        let has_dek = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("DEK-Info"));
        let algorithm = match label {
            b"RSA PRIVATE KEY" => Some("rsa"),
            b"EC PRIVATE KEY" => Some("ec"),
            b"DSA PRIVATE KEY" => Some("dsa"),
            _ => None,
        };
        return (has_dek && algorithm.is_some() && !data.is_empty()).then(|| {
            private(KeyInfo {
                algorithm,
                ..KeyInfo::default()
            })
            .encrypted(true)
        });
    }
    match label {
        b"RSA PRIVATE KEY" => pkix::rsa_private(data).map(|i| private(i).encrypted(false)),
        b"PRIVATE KEY" => pkix::pkcs8(data).map(|i| private(i).encrypted(false)),
        b"ENCRYPTED PRIVATE KEY" => {
            pkix::encrypted_pkcs8(data).map(|_| private(KeyInfo::default()).encrypted(true))
        }
        b"EC PRIVATE KEY" => pkix::ec_private(data, None).map(|i| private(i).encrypted(false)),
        b"DSA PRIVATE KEY" => pkix::dsa_private(data).map(|i| private(i).encrypted(false)),
        b"OPENSSH PRIVATE KEY" => ssh::parse_openssh_private(data).map(|key| {
            let mut f = private(key.info).encrypted(key.encrypted);
            f.comment = key.comment;
            f
        }),
        b"PUBLIC KEY" => {
            pkix::spki(data).map(|i| Found::new(KeyKind::PublicKey, format, at).with_info(i))
        }
        b"RSA PUBLIC KEY" => {
            pkix::rsa_public(data).map(|i| Found::new(KeyKind::PublicKey, format, at).with_info(i))
        }
        b"PGP PRIVATE KEY BLOCK" | b"PGP PUBLIC KEY BLOCK" => pgp_key(data, at),
        _ => pkix::certificate(data).map(|(certificate, info)| {
            let mut f = Found::new(KeyKind::Certificate, format, at).with_info(info);
            f.certificate = Some(certificate);
            f
        }),
    }
}

/// An OpenPGP transferable key: the first packet must be a secret-key (5) or public-key (6)
/// packet of version 4 or 5; its algorithm and, for RSA and DSA, size are read.
fn pgp_key(data: &[u8], at: usize) -> Option<Found> {
    let (&header, rest) = data.split_first()?;
    if header & 0x80 == 0 {
        return None;
    }
    let (tag, body) = if header & 0x40 != 0 {
        let (&len0, rest) = rest.split_first()?;
        let skip = match len0 {
            0..=191 => 0,
            192..=223 => 1,
            255 => 4,
            _ => return None,
        };
        (header & 0x3f, rest.get(skip..)?)
    } else {
        let skip = match header & 0x03 {
            0 => 1,
            1 => 2,
            2 => 4,
            _ => return None,
        };
        ((header >> 2) & 0x0f, rest.get(skip..)?)
    };
    let kind = match tag {
        5 => KeyKind::PrivateKey,
        6 => KeyKind::PublicKey,
        _ => return None,
    };
    let version = *body.first()?;
    let algorithm_at = match version {
        4 => 5,
        5 => 9,
        _ => return None,
    };
    let algorithm_id = *body.get(algorithm_at)?;
    let mpi_bits = match body.get(algorithm_at + 1..algorithm_at + 3) {
        Some(&[high, low]) => Some(u32::from(u16::from_be_bytes([high, low]))),
        _ => None,
    };
    let (algorithm, bits) = match algorithm_id {
        1..=3 => (Some("rsa"), mpi_bits),
        17 => (Some("dsa"), mpi_bits),
        16 => (Some("elgamal"), mpi_bits),
        18 | 19 => (Some("ec"), None),
        22 => (Some("eddsa"), None),
        _ => (None, None),
    };
    Some(Found::new(kind, "pgp", at).with_info(KeyInfo {
        algorithm,
        bits,
        ..KeyInfo::default()
    }))
}

/// Splits RFC 1421 / RFC 4880 armour headers (`Name: value` lines before a blank line) from
/// the base64 text.
fn split_headers(body: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let text = body.strip_prefix(b"\r").unwrap_or(body);
    let text = text.strip_prefix(b"\n").unwrap_or(text);
    let mut headers = Vec::new();
    let mut rest = text;
    loop {
        let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = rest.get(..line_end).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = memchr::memchr(b':', line) else {
            break;
        };
        let name = String::from_utf8_lossy(line.get(..colon).unwrap_or_default());
        let value = String::from_utf8_lossy(line.get(colon + 1..).unwrap_or_default());
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
        rest = rest.get(line_end.saturating_add(1)..).unwrap_or_default();
    }
    if headers.is_empty() {
        return (headers, text);
    }
    (headers, rest)
}

/// Base64 text with whitespace, quotes and `\n`-style escapes (PEM kept in string literals)
/// removed; for OpenPGP armour the `=CRC` line is dropped.
fn decode_base64(text: &[u8], pgp: bool) -> Option<Vec<u8>> {
    let mut clean = Vec::with_capacity(text.len());
    let mut bytes = text.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\\'
                if bytes
                    .peek()
                    .is_some_and(|n| matches!(n, b'n' | b'r' | b't')) =>
            {
                bytes.next();
            }
            b'"' | b'\'' => {}
            b if b.is_ascii_whitespace() => {}
            b'=' if pgp && clean.len() % 4 == 0 => break,
            b => clean.push(b),
        }
    }
    if clean.is_empty() {
        return None;
    }
    BASE64.decode(&clean).ok()
}

/// An RFC 4716 public key block: headers (`Comment: "..."`), base64, end marker.
fn ssh2_block(rest: &[u8], at: usize) -> (Found, usize) {
    let window = rest.get(..PEM_WINDOW).unwrap_or(rest);
    let Some(end) = memchr::memmem::find(window, SSH2_END) else {
        return (
            Found::unparsed("ssh2-public", at),
            at.saturating_add(SSH2_BEGIN.len()),
        );
    };
    let resume = at.saturating_add(end).saturating_add(SSH2_END.len());
    let body = rest.get(SSH2_BEGIN.len()..end).unwrap_or_default();
    let mut comment = None;
    let mut encoded = Vec::new();
    let mut continued = false;
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let is_header = continued || memchr::memmem::find(line, b": ").is_some();
        if is_header {
            if let Some(value) = line
                .strip_prefix(b"Comment: ")
                .or_else(|| line.strip_prefix(b"comment: "))
            {
                let value = String::from_utf8_lossy(value);
                comment = Some(value.trim().trim_matches('"').to_owned());
            }
            continued = line.ends_with(b"\\");
        } else {
            encoded.extend_from_slice(line);
        }
    }
    let found = decode_base64(&encoded, false)
        .and_then(|blob| ssh::parse_public_blob(&blob))
        .map_or_else(
            || Found::unparsed("ssh2-public", at),
            |info| {
                let mut f = Found::new(KeyKind::PublicKey, "ssh2-public", at).with_info(info);
                f.comment = comment;
                f
            },
        );
    (found, resume)
}

#[cfg(test)]
mod tests;
