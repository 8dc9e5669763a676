//! TLS cipher suites the prober offers, with IANA names, and what each name implies.

/// (code point, IANA name) of the TLS 1.0-1.2 (and SSLv3) suites offered, modern first, then
/// legacy, anonymous, export and NULL suites, so that a server which follows the client's
/// order shows its best suite first.
pub(crate) const LEGACY_SUITES: &[(u16, &str)] = &[
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    (0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    (0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"),
    (0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"),
    (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
    (0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"),
    (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0xC09C, "TLS_RSA_WITH_AES_128_CCM"),
    (0xC09D, "TLS_RSA_WITH_AES_256_CCM"),
    (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"),
    (0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"),
    (0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    (0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
    (0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
    (0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"),
    (0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    (0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    (0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"),
    (0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA"),
    (0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    (0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA"),
    (0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    (0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
    (0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"),
    (0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"),
    (0x003B, "TLS_RSA_WITH_NULL_SHA256"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    (0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    (0xC015, "TLS_ECDH_anon_WITH_NULL_SHA"),
];

/// TLS 1.3 suites.
pub(crate) const TLS13_SUITES: &[(u16, &str)] = &[
    (0x1301, "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    (0x1304, "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256"),
];

/// The IANA name of suite `id`, or `0xNNNN`.
pub(crate) fn name(id: u16) -> String {
    LEGACY_SUITES
        .iter()
        .chain(TLS13_SUITES)
        .find(|(i, _)| *i == id)
        .map_or_else(|| format!("0x{id:04X}"), |(_, n)| (*n).to_owned())
}

/// How a suite's key exchange sends its parameters in ServerKeyExchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyExchange {
    /// Finite-field Diffie-Hellman (DHE, DH_anon): the group's prime comes first.
    FiniteField,
    /// Elliptic-curve Diffie-Hellman (ECDHE, ECDH_anon): a named curve.
    EllipticCurve,
    /// Nothing to read (static RSA, static ECDH, TLS 1.3).
    Other,
}

pub(crate) fn key_exchange(name: &str) -> KeyExchange {
    if name.starts_with("TLS_DHE_") || name.starts_with("TLS_DH_anon_") {
        KeyExchange::FiniteField
    } else if name.starts_with("TLS_ECDHE_") || name.starts_with("TLS_ECDH_anon_") {
        KeyExchange::EllipticCurve
    } else {
        KeyExchange::Other
    }
}

/// The properties of a suite that matter for judging it (see
/// `hallmark_model::facts::TlsSuite::properties`), from its IANA name.
pub(crate) fn properties(id: u16, name: &str) -> Vec<String> {
    let mut p: Vec<&str> = Vec::new();
    let tls13 = (0x1301..=0x13ff).contains(&id);
    if name.contains("_anon_") {
        p.push("anonymous");
    }
    if name.contains("WITH_NULL") {
        p.push("null");
    }
    if name.contains("EXPORT") {
        p.push("export");
    }
    if name.contains("RC4") {
        p.push("rc4");
    }
    if name.contains("3DES") {
        p.push("3des");
    } else if name.contains("_DES_") || name.contains("DES40") {
        p.push("des");
    }
    if name.starts_with("TLS_RSA_") {
        p.push("static-rsa");
    }
    if tls13 || name.starts_with("TLS_DHE_") || name.starts_with("TLS_ECDHE_") {
        p.push("forward-secrecy");
    }
    if name.contains("_CBC_") {
        p.push("cbc");
    }
    if name.ends_with("_SHA") {
        p.push("sha1");
    }
    if name.ends_with("_MD5") {
        p.push("md5");
    }
    if tls13 || name.contains("_GCM_") || name.contains("_CCM") || name.contains("POLY1305") {
        p.push("aead");
    }
    p.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_are_unique_and_names_look_right() {
        let mut ids: Vec<u16> = LEGACY_SUITES
            .iter()
            .chain(TLS13_SUITES)
            .map(|(i, _)| *i)
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(LEGACY_SUITES.iter().all(|(_, n)| n.starts_with("TLS_")));
    }

    #[test]
    fn properties_follow_the_name() {
        assert_eq!(
            properties(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
            ["static-rsa", "cbc", "sha1"]
        );
        assert_eq!(
            properties(0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
            ["anonymous", "cbc", "sha1"]
        );
        assert_eq!(
            properties(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
            ["forward-secrecy", "aead"]
        );
        assert_eq!(
            properties(0x1301, "TLS_AES_128_GCM_SHA256"),
            ["forward-secrecy", "aead"]
        );
        assert_eq!(name(0x1302), "TLS_AES_256_GCM_SHA384");
        assert_eq!(name(0xABCD), "0xABCD");
        assert_eq!(
            key_exchange("TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
            KeyExchange::FiniteField
        );
    }
}
