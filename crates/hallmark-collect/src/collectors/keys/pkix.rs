//! ASN.1 key structures: PKCS#1 (RSA), PKCS#8 (plain and encrypted), SEC1 (EC), OpenSSL's DSA
//! private key, SubjectPublicKeyInfo, the outer layers of PKCS#12, and X.509 certificates
//! (through `x509-parser`).
//!
//! Each parser reads one whole DER element and answers `None` unless it is exactly the
//! structure named, so a parse is evidence of key material and not of a lucky prefix.

use hallmark_model::facts::Certificate;
use sha2::{Digest, Sha256};
use x509_parser::extensions::ParsedExtension;
use x509_parser::objects::{oid_registry, oid2sn};

use super::KeyInfo;
use super::der::{self, BIT_STRING, Der, OCTET_STRING, OID, bit_len, oid_string};
use super::ssh;

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const ED448: &[u8] = &[0x2b, 0x65, 0x71];
const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
const X448: &[u8] = &[0x2b, 0x65, 0x6f];

const PKCS7_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const PKCS7_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const PKCS7_ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
const KEY_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x01,
];
const SHROUDED_KEY_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02,
];

/// Named curves: OID content, common name, size in bits, OpenSSH name.
const CURVES: &[(&[u8], &str, u32, Option<&str>)] = &[
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        "P-256",
        256,
        Some("nistp256"),
    ),
    (
        &[0x2b, 0x81, 0x04, 0x00, 0x22],
        "P-384",
        384,
        Some("nistp384"),
    ),
    (
        &[0x2b, 0x81, 0x04, 0x00, 0x23],
        "P-521",
        521,
        Some("nistp521"),
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01],
        "P-192",
        192,
        None,
    ),
    (&[0x2b, 0x81, 0x04, 0x00, 0x21], "P-224", 224, None),
    (&[0x2b, 0x81, 0x04, 0x00, 0x0a], "secp256k1", 256, None),
    (
        &[0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07],
        "brainpoolP256r1",
        256,
        None,
    ),
    (
        &[0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b],
        "brainpoolP384r1",
        384,
        None,
    ),
    (
        &[0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d],
        "brainpoolP512r1",
        512,
        None,
    ),
];

/// EC key details from the curve OID and, when present, the public point.
fn ec_info(curve_oid: Option<&[u8]>, point: Option<&[u8]>) -> KeyInfo {
    let mut info = KeyInfo {
        algorithm: Some("ec"),
        ..KeyInfo::default()
    };
    let Some(curve_oid) = curve_oid else {
        return info;
    };
    match CURVES.iter().find(|(oid, ..)| *oid == curve_oid) {
        Some((_, name, bits, ssh_name)) => {
            info.curve = Some((*name).to_owned());
            info.bits = Some(*bits);
            // OpenSSH fingerprints the uncompressed point.
            if let (Some(ssh_name), Some(point)) = (ssh_name, point) {
                if point.first() == Some(&0x04) {
                    info.fingerprint = Some(ssh::fingerprint(&ssh::ecdsa_blob(ssh_name, point)));
                }
            }
        }
        None => info.curve = oid_string(curve_oid),
    }
    info
}

/// The content of a BIT STRING with no unused bits.
fn bit_string(content: &[u8]) -> Option<&[u8]> {
    match content.split_first()? {
        (0, rest) => Some(rest),
        _ => None,
    }
}

/// PKCS#1 `RSAPrivateKey`.
pub(super) fn rsa_private(data: &[u8]) -> Option<KeyInfo> {
    let (der::SEQUENCE, content) = der::single(data)? else {
        return None;
    };
    let mut seq = Der::new(content);
    let version = seq.small()?;
    let n = seq.unsigned()?;
    let e = seq.unsigned()?;
    for _ in 0..6 {
        seq.unsigned()?;
    }
    // Version 1 (multi-prime) carries one more SEQUENCE.
    if version == 1 {
        seq.sequence()?;
    }
    if version > 1 || !seq.is_empty() || n.is_empty() {
        return None;
    }
    Some(rsa_info(n, e))
}

fn rsa_info(n: &[u8], e: &[u8]) -> KeyInfo {
    KeyInfo {
        algorithm: Some("rsa"),
        bits: Some(bit_len(n)),
        curve: None,
        fingerprint: Some(ssh::fingerprint(&ssh::rsa_blob(n, e))),
    }
}

/// PKCS#1 `RSAPublicKey`.
pub(super) fn rsa_public(data: &[u8]) -> Option<KeyInfo> {
    let (der::SEQUENCE, content) = der::single(data)? else {
        return None;
    };
    let mut seq = Der::new(content);
    let n = seq.unsigned()?;
    let e = seq.unsigned()?;
    // A bare pair of integers is only a key when the modulus is of a key's size.
    (seq.is_empty() && bit_len(n) >= 256 && !e.is_empty()).then(|| rsa_info(n, e))
}

/// OpenSSL's `DSAPrivateKey`: version, p, q, g, y, x.
pub(super) fn dsa_private(data: &[u8]) -> Option<KeyInfo> {
    let (der::SEQUENCE, content) = der::single(data)? else {
        return None;
    };
    let mut seq = Der::new(content);
    if seq.small()? != 0 {
        return None;
    }
    let p = seq.unsigned()?;
    let q = seq.unsigned()?;
    let g = seq.unsigned()?;
    let y = seq.unsigned()?;
    seq.unsigned()?;
    seq.is_empty().then(|| dsa_info(p, q, g, Some(y)))
}

fn dsa_info(p: &[u8], q: &[u8], g: &[u8], y: Option<&[u8]>) -> KeyInfo {
    KeyInfo {
        algorithm: Some("dsa"),
        bits: Some(bit_len(p)),
        curve: None,
        fingerprint: y.map(|y| ssh::fingerprint(&ssh::dsa_blob(p, q, g, y))),
    }
}

/// SEC1 `ECPrivateKey`; `curve` is the curve named outside (by PKCS#8), if any.
pub(super) fn ec_private(data: &[u8], curve: Option<&[u8]>) -> Option<KeyInfo> {
    let (der::SEQUENCE, content) = der::single(data)? else {
        return None;
    };
    let mut seq = Der::new(content);
    if seq.small()? != 1 {
        return None;
    }
    seq.expect(OCTET_STRING)?;
    let inner_curve = match seq.optional(0xa0) {
        Some(params) => Some(Der::new(params).expect(OID)?),
        None => None,
    };
    let point = match seq.optional(0xa1) {
        Some(public) => Some(bit_string(Der::new(public).expect(BIT_STRING)?)?),
        None => None,
    };
    if !seq.is_empty() {
        return None;
    }
    Some(ec_info(inner_curve.or(curve), point))
}

/// An `AlgorithmIdentifier`: the OID and the parameters element (tag and content), if any.
struct Algorithm<'a> {
    oid: &'a [u8],
    params: Option<(u8, &'a [u8])>,
}

fn algorithm<'a>(seq: &mut Der<'a>) -> Option<Algorithm<'a>> {
    let mut alg = seq.sequence()?;
    let oid = alg.expect(OID)?;
    let params = alg.read();
    alg.is_empty().then_some(Algorithm { oid, params })
}

/// PKCS#8 `PrivateKeyInfo` (`OneAsymmetricKey`).
pub(super) fn pkcs8(data: &[u8]) -> Option<KeyInfo> {
    let (der::SEQUENCE, content) = der::single(data)? else {
        return None;
    };
    let mut seq = Der::new(content);
    if seq.small()? > 1 {
        return None;
    }
    let Algorithm { oid, params } = algorithm(&mut seq)?;
    let private = seq.expect(OCTET_STRING)?;
    seq.optional(0xa0);
    let public = seq.optional(0x81).and_then(bit_string);
    if !seq.is_empty() {
        return None;
    }
    match oid {
        RSA_ENCRYPTION | RSASSA_PSS => rsa_private(private),
        EC_PUBLIC_KEY => {
            let curve = match params {
                Some((OID, content)) => Some(content),
                _ => None,
            };
            ec_private(private, curve)
        }
        DSA => {
            let (der::SEQUENCE, params) = params? else {
                return None;
            };
            let mut params = Der::new(params);
            let p = params.unsigned()?;
            let q = params.unsigned()?;
            let g = params.unsigned()?;
            // The private part is the INTEGER x; y = g^x mod p is not derived here.
            Der::new(private).unsigned()?;
            Some(dsa_info(p, q, g, None))
        }
        ED25519 => {
            let seed = Der::new(private).expect(OCTET_STRING)?;
            if seed.len() != 32 {
                return None;
            }
            let fingerprint = public
                .filter(|p| p.len() == 32)
                .map(|p| ssh::fingerprint(&ssh::ed25519_blob(p)));
            Some(KeyInfo {
                algorithm: Some("ed25519"),
                bits: Some(256),
                curve: None,
                fingerprint,
            })
        }
        ED448 | X25519 | X448 => {
            Der::new(private).expect(OCTET_STRING)?;
            let (name, bits) = match oid {
                ED448 => ("ed448", 456),
                X25519 => ("x25519", 255),
                _ => ("x448", 448),
            };
            Some(KeyInfo {
                algorithm: Some(name),
                bits: Some(bits),
                ..KeyInfo::default()
            })
        }
        _ => Some(KeyInfo::default()),
    }
}

/// PKCS#8 `EncryptedPrivateKeyInfo`: the encryption scheme's OID, dotted.
pub(super) fn encrypted_pkcs8(data: &[u8]) -> Option<String> {
    let (der::SEQUENCE, content) = der::single(data)? else {
        return None;
    };
    let mut seq = Der::new(content);
    let Algorithm { oid, .. } = algorithm(&mut seq)?;
    let ciphertext = seq.expect(OCTET_STRING)?;
    (seq.is_empty() && !ciphertext.is_empty()).then(|| oid_string(oid))?
}

/// `SubjectPublicKeyInfo`.
pub(super) fn spki(data: &[u8]) -> Option<KeyInfo> {
    let (der::SEQUENCE, content) = der::single(data)? else {
        return None;
    };
    let mut seq = Der::new(content);
    let Algorithm { oid, params } = algorithm(&mut seq)?;
    let key = bit_string(seq.expect(BIT_STRING)?)?;
    if !seq.is_empty() {
        return None;
    }
    match oid {
        RSA_ENCRYPTION | RSASSA_PSS => rsa_public(key),
        EC_PUBLIC_KEY => match params {
            Some((OID, curve)) => Some(ec_info(Some(curve), Some(key))),
            _ => Some(ec_info(None, Some(key))),
        },
        DSA => {
            let (der::SEQUENCE, params) = params? else {
                return None;
            };
            let mut params = Der::new(params);
            let p = params.unsigned()?;
            let q = params.unsigned()?;
            let g = params.unsigned()?;
            let (der::INTEGER, _) = der::single(key)? else {
                return None;
            };
            let y = Der::new(key).unsigned()?;
            Some(dsa_info(p, q, g, Some(y)))
        }
        ED25519 => (key.len() == 32).then(|| KeyInfo {
            algorithm: Some("ed25519"),
            bits: Some(256),
            curve: None,
            fingerprint: Some(ssh::fingerprint(&ssh::ed25519_blob(key))),
        }),
        ED448 => Some(KeyInfo {
            algorithm: Some("ed448"),
            bits: Some(456),
            ..KeyInfo::default()
        }),
        _ => Some(KeyInfo::default()),
    }
}

/// What the unencrypted layers of a PKCS#12 file show.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Pkcs12 {
    /// Private keys stored without encryption (`keyBag`).
    pub(super) plain_keys: u32,
    /// Private keys stored encrypted (`pkcs8ShroudedKeyBag`).
    pub(super) shrouded_keys: u32,
    /// Parts whose bags are encrypted as a whole (`encryptedData`): contents unknown.
    pub(super) encrypted_parts: u32,
}

/// PKCS#12 `PFX`: version 3, then the authenticated safe (data or signedData). The bags of
/// unencrypted parts are counted; signed (public-key integrity) containers are recognised
/// but not opened.
pub(super) fn pkcs12(data: &[u8]) -> Option<Pkcs12> {
    let (der::SEQUENCE, content) = der::single(data)? else {
        return None;
    };
    let mut pfx = Der::new(content);
    if pfx.small()? != 3 {
        return None;
    }
    let mut auth_safe = pfx.sequence()?;
    let content_type = auth_safe.expect(OID)?;
    let mut summary = Pkcs12::default();
    if content_type == PKCS7_SIGNED_DATA {
        summary.encrypted_parts = 1;
        return Some(summary);
    }
    if content_type != PKCS7_DATA {
        return None;
    }
    let wrapped = Der::new(auth_safe.expect(0xa0)?).expect(OCTET_STRING)?;
    let mut safes = Der::new(wrapped).sequence()?;
    while !safes.is_empty() {
        let mut info = safes.sequence()?;
        let kind = info.expect(OID)?;
        if kind == PKCS7_DATA {
            let bags = Der::new(info.expect(0xa0)?).expect(OCTET_STRING)?;
            let mut bags = Der::new(bags).sequence()?;
            while !bags.is_empty() {
                let mut bag = bags.sequence()?;
                match bag.expect(OID)? {
                    KEY_BAG => summary.plain_keys = summary.plain_keys.saturating_add(1),
                    SHROUDED_KEY_BAG => {
                        summary.shrouded_keys = summary.shrouded_keys.saturating_add(1);
                    }
                    _ => {}
                }
            }
        } else if kind == PKCS7_ENCRYPTED_DATA {
            summary.encrypted_parts = summary.encrypted_parts.saturating_add(1);
        } else {
            return None;
        }
    }
    Some(summary)
}

/// An X.509 certificate: its details and its public key.
pub(super) fn certificate(data: &[u8]) -> Option<(Certificate, KeyInfo)> {
    let (_, cert) = x509_parser::parse_x509_certificate(data).ok()?;
    let raw = cert.as_raw();
    let sha256 = Sha256::digest(raw)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let mut subject_key_id = None;
    let mut authority_key_id = None;
    for extension in cert.iter_extensions() {
        match extension.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = Some(id.0),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority_key_id = aki.key_identifier.as_ref().map(|id| id.0);
            }
            _ => {}
        }
    }
    let same_name = cert.subject().as_raw() == cert.issuer().as_raw();
    let self_signed = same_name
        && match (subject_key_id, authority_key_id) {
            (Some(subject), Some(authority)) => subject == authority,
            _ => true,
        };
    let algorithm = &cert.signature_algorithm.algorithm;
    let signature_algorithm = oid2sn(algorithm, oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| algorithm.to_id_string());
    let details = Certificate {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: rfc3339(cert.validity().not_before.timestamp()),
        not_after: rfc3339(cert.validity().not_after.timestamp()),
        self_signed,
        ca: cert.is_ca(),
        signature_algorithm,
        sha256,
    };
    let key = spki(cert.public_key().raw).unwrap_or_default();
    Some((details, key))
}

/// A Unix time as RFC 3339 in UTC (`2024-01-01T00:00:00Z`).
pub(super) fn rfc3339(timestamp: i64) -> String {
    hallmark_model::time::rfc3339_utc(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_067_200), "2024-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_825_599), "2000-02-29T11:59:59Z");
        assert_eq!(rfc3339(2_524_607_999), "2049-12-31T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
