//! TLS: hand-built ClientHellos for every version from SSLv3 to TLS 1.3, so that what a server
//! accepts can be read whatever a TLS library would agree to; the server's answer (ServerHello,
//! Certificate, ServerKeyExchange) is parsed in the clear. No handshake is ever completed.

use std::net::IpAddr;

use hallmark_model::facts::{PeerCertificate, TlsEndpoint, TlsSuite};
use sha2::{Digest, Sha256};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::public_key::PublicKey;

use crate::net::Target;
use crate::suites::{self, KeyExchange};
use crate::wire::{Reader, nonce, read_until, send};

/// Protocol versions, oldest first: (wire version, name).
pub(crate) const VERSIONS: &[(u16, &str)] = &[
    (0x0300, "SSLv3"),
    (0x0301, "TLSv1.0"),
    (0x0302, "TLSv1.1"),
    (0x0303, "TLSv1.2"),
    (0x0304, "TLSv1.3"),
];

/// Most bytes read from one handshake (a certificate chain fits easily).
const MAX_HANDSHAKE: usize = 256 * 1024;
/// Most suites enumerated per version (a guard against a server that never refuses).
const MAX_ROUNDS: usize = 64;

/// A ClientHello offering `suites` at `version` (0x0304 builds a TLS 1.3 hello).
pub(crate) fn client_hello(version: u16, suites: &[u16], server_name: Option<&str>) -> Vec<u8> {
    let tls13 = version >= 0x0304;
    let mut body = Vec::new();
    body.extend_from_slice(&(if tls13 { 0x0303u16 } else { version }).to_be_bytes());
    body.extend_from_slice(&nonce(32));
    if tls13 {
        body.push(32);
        body.extend_from_slice(&nonce(32));
    } else {
        body.push(0);
    }
    let mut list: Vec<u16> = suites.to_vec();
    if !tls13 {
        // TLS_EMPTY_RENEGOTIATION_INFO_SCSV: signals secure renegotiation like real clients.
        list.push(0x00FF);
    }
    put_u16(&mut body, list.len().saturating_mul(2));
    for s in list {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]);
    if version > 0x0300 {
        let mut ext = Vec::new();
        if let Some(name) = server_name {
            let mut sni = Vec::new();
            put_u16(&mut sni, name.len().saturating_add(3));
            sni.push(0);
            put_u16(&mut sni, name.len());
            sni.extend_from_slice(name.as_bytes());
            extension(&mut ext, 0x0000, &sni);
        }
        // supported_groups: x25519, P-256, P-384, P-521, x448, ffdhe2048, ffdhe3072.
        let groups: &[u16] = &[0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101];
        extension(&mut ext, 0x000a, &u16_list(groups));
        extension(&mut ext, 0x000b, &[1, 0]);
        let algorithms: &[u16] = &[
            0x0403, 0x0503, 0x0603, 0x0807, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201,
            0x0203, 0x0402, 0x0202,
        ];
        extension(&mut ext, 0x000d, &u16_list(algorithms));
        if tls13 {
            extension(&mut ext, 0x002b, &[2, 0x03, 0x04]);
            let mut share = Vec::new();
            put_u16(&mut share, 36);
            share.extend_from_slice(&[0x00, 0x1d, 0x00, 0x20]);
            share.extend_from_slice(&nonce(32));
            extension(&mut ext, 0x0033, &share);
            extension(&mut ext, 0x002d, &[1, 1]);
        }
        put_u16(&mut body, ext.len());
        body.extend_from_slice(&ext);
    }
    let mut handshake = vec![1];
    put_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16];
    record.extend_from_slice(&(if version == 0x0300 { 0x0300u16 } else { 0x0301 }).to_be_bytes());
    put_u16(&mut record, handshake.len());
    record.extend_from_slice(&handshake);
    record
}

fn put_u16(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, n: usize) {
    let n = u32::try_from(n).unwrap_or(0x00ff_ffff).min(0x00ff_ffff);
    out.extend_from_slice(n.to_be_bytes().get(1..).unwrap_or_default());
}

fn u16_list(items: &[u16]) -> Vec<u8> {
    let mut out = Vec::new();
    put_u16(&mut out, items.len().saturating_mul(2));
    for i in items {
        out.extend_from_slice(&i.to_be_bytes());
    }
    out
}

fn extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    put_u16(out, data.len());
    out.extend_from_slice(data);
}

/// What the server answered to one ClientHello.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ServerAnswer {
    /// The version and suite of the ServerHello, when there was one.
    pub(crate) hello: Option<(u16, u16)>,
    /// An alert (level, description), when the server sent one before any ServerHello.
    pub(crate) alert: Option<(u8, u8)>,
    /// DER certificates of a TLS 1.0-1.2 Certificate message, leaf first.
    pub(crate) certificates: Vec<Vec<u8>>,
    /// Bits of the finite-field DH prime in ServerKeyExchange.
    pub(crate) dh_bits: Option<u32>,
    /// Whether what came back looked like TLS at all.
    pub(crate) tls: bool,
}

/// Whether the handshake bytes so far are complete: a ServerHelloDone, an alert, a TLS 1.3
/// ServerHello (the rest is encrypted), or bytes that are not TLS.
fn answer_complete(data: &[u8]) -> bool {
    let answer = parse_answer(data, None);
    if !answer.tls && data.len() >= 5 {
        return true;
    }
    answer.alert.is_some() || answer.hello.is_some_and(|(v, _)| v >= 0x0304) || done_seen(data)
}

fn done_seen(data: &[u8]) -> bool {
    let mut seen = false;
    walk_handshake(data, |kind, _| seen |= kind == 14);
    seen
}

/// Calls `f` with each complete handshake message (type, body) in the records of `data`.
fn walk_handshake(data: &[u8], mut f: impl FnMut(u8, &[u8])) -> Option<()> {
    let mut records = Reader::new(data);
    let mut handshake = Vec::new();
    while !records.is_empty() {
        let kind = records.u8()?;
        records.u16()?;
        let body = records.vec(2)?;
        if kind == 22 {
            handshake.extend_from_slice(body);
        } else {
            // Anything after the first non-handshake record is encrypted or an alert.
            break;
        }
    }
    let mut messages = Reader::new(&handshake);
    while !messages.is_empty() {
        let kind = messages.u8()?;
        let body = messages.vec(3)?;
        f(kind, body);
    }
    Some(())
}

/// Parses the server's bytes. `suite_hint` is not needed for the hello itself; the key
/// exchange of the chosen suite decides how ServerKeyExchange is read.
pub(crate) fn parse_answer(data: &[u8], _suite_hint: Option<u16>) -> ServerAnswer {
    let mut answer = ServerAnswer::default();
    let (Some(&kind), Some(&major)) = (data.first(), data.get(1)) else {
        return answer;
    };
    answer.tls = matches!(kind, 20..=23) && major == 3;
    if !answer.tls {
        return answer;
    }
    if kind == 21 {
        let mut r = Reader::new(data);
        let _ = r.bytes(5);
        if let (Some(level), Some(desc)) = (r.u8(), r.u8()) {
            answer.alert = Some((level, desc));
        }
        return answer;
    }
    let mut chosen = None;
    walk_handshake(data, |kind, body| match kind {
        2 => {
            answer.hello = server_hello(body);
            chosen = answer.hello.map(|(_, s)| s);
        }
        11 => answer.certificates = certificate_list(body),
        12 => {
            if let Some(suite) = chosen
                && suites::key_exchange(&suites::name(suite)) == KeyExchange::FiniteField
            {
                let mut r = Reader::new(body);
                answer.dh_bits = r.vec(2).map(bit_length);
            }
        }
        _ => {}
    });
    answer
}

fn bit_length(n: &[u8]) -> u32 {
    let trimmed: Vec<u8> = n.iter().copied().skip_while(|&b| b == 0).collect();
    match trimmed.first() {
        Some(&top) => {
            let len = u32::try_from(trimmed.len()).unwrap_or(u32::MAX / 8);
            len.saturating_sub(1).saturating_mul(8) + (8 - top.leading_zeros())
        }
        None => 0,
    }
}

/// (version, suite) of a ServerHello; the version from supported_versions when present.
fn server_hello(body: &[u8]) -> Option<(u16, u16)> {
    let mut r = Reader::new(body);
    let mut version = r.u16()?;
    r.bytes(32)?;
    r.vec(1)?;
    let suite = r.u16()?;
    r.u8()?;
    if let Some(ext) = r.vec(2) {
        let mut e = Reader::new(ext);
        while !e.is_empty() {
            let kind = e.u16()?;
            let data = e.vec(2)?;
            if kind == 0x002b {
                version = Reader::new(data).u16()?;
            }
        }
    }
    Some((version, suite))
}

fn certificate_list(body: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut r = Reader::new(body);
    let Some(list) = r.vec(3) else {
        return out;
    };
    let mut certs = Reader::new(list);
    while let Some(der) = certs.vec(3) {
        out.push(der.to_vec());
        if out.len() >= 10 {
            break;
        }
    }
    out
}

/// One ClientHello on a new connection; `None` when the connection failed.
async fn handshake(
    target: &Target,
    port: u16,
    version: u16,
    offer: &[u16],
) -> Option<ServerAnswer> {
    let mut stream = target.connect(port).await.ok()?;
    let hello = client_hello(version, offer, server_name(&target.host));
    if !send(&mut stream, &hello, target.limits.read_timeout).await {
        return None;
    }
    let data = read_until(
        &mut stream,
        MAX_HANDSHAKE,
        target.limits.read_timeout,
        answer_complete,
    )
    .await;
    Some(parse_answer(&data, None))
}

/// Whether `port` answers a TLS ClientHello like a TLS server (used to identify services).
pub(crate) async fn speaks_tls(target: &Target, port: u16) -> bool {
    let offer: Vec<u16> = suites::LEGACY_SUITES.iter().map(|(i, _)| *i).collect();
    handshake(target, port, 0x0303, &offer)
        .await
        .is_some_and(|a| a.tls && (a.hello.is_some() || a.alert.is_some()))
}

/// The SNI host name: only for names, never for addresses (RFC 6066).
fn server_name(host: &str) -> Option<&str> {
    (host.parse::<IpAddr>().is_err() && !host.is_empty()).then_some(host)
}

/// Tests versions, enumerates suites, the server's order, the DH size and the certificate
/// chain of the TLS endpoint at `port`.
pub(crate) async fn inspect(target: &Target, port: u16, service: &str) -> TlsEndpoint {
    let mut endpoint = TlsEndpoint {
        location: target.tcp(port, Some(service)),
        accepted_versions: Vec::new(),
        refused_versions: Vec::new(),
        suites: Vec::new(),
        server_order: None,
        dh_bits: None,
        certificates: Vec::new(),
        notes: Vec::new(),
    };
    let mut chain: Vec<Vec<u8>> = Vec::new();
    let mut order_candidates: Option<(u16, Vec<u16>)> = None;
    for &(version, vname) in VERSIONS {
        let table = if version >= 0x0304 {
            suites::TLS13_SUITES
        } else {
            suites::LEGACY_SUITES
        };
        let mut remaining: Vec<u16> = table.iter().map(|(i, _)| *i).collect();
        let mut accepted: Vec<u16> = Vec::new();
        let mut failed = false;
        for _ in 0..MAX_ROUNDS {
            if remaining.is_empty() {
                break;
            }
            let Some(answer) = handshake(target, port, version, &remaining).await else {
                failed = accepted.is_empty();
                if failed {
                    endpoint
                        .notes
                        .push(format!("{vname}: the connection failed or timed out"));
                }
                break;
            };
            let Some((got, suite)) = answer.hello else {
                break;
            };
            if got != version || !remaining.contains(&suite) {
                break;
            }
            if let Some(bits) = answer.dh_bits {
                endpoint.dh_bits = Some(endpoint.dh_bits.map_or(bits, |b| b.min(bits)));
            }
            if chain.is_empty() && !answer.certificates.is_empty() {
                chain = answer.certificates;
            }
            accepted.push(suite);
            remaining.retain(|s| *s != suite);
        }
        if accepted.is_empty() {
            if !failed {
                endpoint.refused_versions.push(vname.to_owned());
            }
            continue;
        }
        endpoint.accepted_versions.push(vname.to_owned());
        for &id in &accepted {
            let name = suites::name(id);
            endpoint.suites.push(TlsSuite {
                version: vname.to_owned(),
                id,
                properties: suites::properties(id, &name),
                name,
            });
        }
        if accepted.len() >= 2 {
            order_candidates = Some((version, accepted));
        }
    }
    if let Some((version, accepted)) = order_candidates
        && let (Some(&first), Some(&last)) = (accepted.first(), accepted.last())
    {
        // The server's first choice offered last, then its last choice offered first: a
        // server that imposes its order picks the same suite both times.
        let a = handshake(target, port, version, &[last, first]).await;
        let b = handshake(target, port, version, &[first, last]).await;
        if let (Some((_, sa)), Some((_, sb))) = (a.and_then(|a| a.hello), b.and_then(|b| b.hello)) {
            endpoint.server_order = Some(sa == sb);
        }
    }
    if chain.is_empty() && !endpoint.accepted_versions.is_empty() {
        endpoint.notes.push(
            "no certificate was read: it is sent encrypted in TLS 1.3, or only anonymous suites were accepted"
                .into(),
        );
    }
    endpoint.certificates = chain
        .iter()
        .filter_map(|der| certificate(der, &target.host))
        .collect();
    endpoint
}

/// The details of one DER certificate, judged against `host` for the name match.
pub(crate) fn certificate(der: &[u8], host: &str) -> Option<PeerCertificate> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let sha256 = Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let mut names = Vec::new();
    let mut subject_key_id = None;
    let mut authority_key_id = None;
    for extension in cert.iter_extensions() {
        match extension.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => names.push(format!("DNS:{d}")),
                        GeneralName::IPAddress(ip) => {
                            if let Some(ip) = ip_from(ip) {
                                names.push(format!("IP:{ip}"));
                            }
                        }
                        _ => {}
                    }
                }
            }
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
            (Some(s), Some(a)) => s == a,
            _ => true,
        };
    let common_names: Vec<String> = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
        .collect();
    let matches_host = if names.is_empty() {
        common_names.iter().any(|cn| name_matches(cn, host))
    } else {
        names.iter().any(|n| match n.split_once(':') {
            Some(("DNS", d)) => name_matches(d, host),
            Some(("IP", ip)) => host
                .parse::<IpAddr>()
                .ok()
                .zip(ip.parse::<IpAddr>().ok())
                .is_some_and(|(a, b)| a == b),
            _ => false,
        })
    };
    let (key_algorithm, key_bits) = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => ("rsa", u32::try_from(rsa.key_size()).ok()),
        Ok(PublicKey::EC(ec)) => ("ec", u32::try_from(ec.key_size()).ok()),
        Ok(PublicKey::DSA(y)) => ("dsa", Some(bit_length(y))),
        Ok(PublicKey::GostR3410(_) | PublicKey::GostR3410_2012(_)) => ("gost", None),
        Ok(PublicKey::Unknown(_)) | Err(_) => {
            let oid = &cert.public_key().algorithm.algorithm;
            if oid.to_id_string() == "1.3.101.112" {
                ("ed25519", Some(256))
            } else {
                ("unknown", None)
            }
        }
    };
    let algorithm = &cert.signature_algorithm.algorithm;
    let signature_algorithm = oid2sn(algorithm, oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| algorithm.to_id_string());
    Some(PeerCertificate {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: rfc3339(cert.validity().not_before.timestamp()),
        not_after: rfc3339(cert.validity().not_after.timestamp()),
        version: cert.version().0.saturating_add(1),
        self_signed,
        key_algorithm: key_algorithm.to_owned(),
        key_bits,
        signature_algorithm,
        names,
        matches_host,
        sha256,
    })
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(b) = <[u8; 4]>::try_from(bytes) {
        Some(IpAddr::from(b))
    } else if let Ok(b) = <[u8; 16]>::try_from(bytes) {
        Some(IpAddr::from(b))
    } else {
        None
    }
}

/// A certificate name against a host name, with a single leading wildcard label.
fn name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    if let Some(rest) = pattern.strip_prefix("*.") {
        host.split_once('.').is_some_and(|(_, tail)| tail == rest)
    } else {
        pattern == host
    }
}

/// A Unix time as RFC 3339 in UTC (`2024-01-01T00:00:00Z`).
pub(crate) fn rfc3339(timestamp: i64) -> String {
    hallmark_model::time::rfc3339_utc(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 3, 3];
        put_u16(&mut r, body.len());
        r.extend_from_slice(body);
        r
    }

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind];
        put_u24(&mut m, body.len());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn client_hello_is_well_formed() {
        let hello = client_hello(0x0303, &[0x002F, 0xC02F], Some("device.example"));
        let mut r = Reader::new(&hello);
        assert_eq!(r.u8(), Some(0x16));
        assert_eq!(r.u16(), Some(0x0301));
        let handshake = r.vec(2).unwrap();
        assert!(r.is_empty());
        let mut h = Reader::new(handshake);
        assert_eq!(h.u8(), Some(1));
        let body = h.vec(3).unwrap();
        let mut b = Reader::new(body);
        assert_eq!(b.u16(), Some(0x0303));
        b.bytes(32).unwrap();
        assert_eq!(b.vec(1), Some(&[][..]));
        assert_eq!(b.vec(2), Some(&[0x00, 0x2F, 0xC0, 0x2F, 0x00, 0xFF][..]));
        assert_eq!(b.vec(1), Some(&[0][..]));
        let ext = b.vec(2).unwrap();
        assert!(b.is_empty());
        assert!(ext.windows(14).any(|w| w == b"device.example"));
        // SSLv3: no extensions, record version 3.0.
        let v3 = client_hello(0x0300, &[0x002F], None);
        assert_eq!(v3.get(1..3), Some(&[3u8, 0][..]));
        // TLS 1.3: supported_versions present.
        let v13 = client_hello(0x0304, &[0x1301], None);
        assert!(v13.windows(5).any(|w| w == [0x00, 0x2b, 0x00, 0x03, 0x02]));
    }

    #[test]
    fn parses_hello_certificate_and_dh_size() {
        let mut hello = vec![0x03, 0x01];
        hello.extend_from_slice(&[7; 32]);
        hello.push(0);
        hello.extend_from_slice(&[0x00, 0x33, 0x00]);
        let mut certs = Vec::new();
        put_u24(&mut certs, 5);
        certs.extend_from_slice(&[0, 0, 2, 0xAA, 0xBB]);
        let mut ske = Vec::new();
        put_u16(&mut ske, 129);
        ske.push(0);
        ske.extend_from_slice(&[0xFF; 128]);
        let mut handshake = message(2, &hello);
        handshake.extend(message(11, &certs));
        handshake.extend(message(12, &ske));
        handshake.extend(message(14, &[]));
        let data = record(22, &handshake);
        let answer = parse_answer(&data, None);
        assert_eq!(answer.hello, Some((0x0301, 0x0033)));
        assert_eq!(answer.certificates, vec![vec![0xAA, 0xBB]]);
        assert_eq!(answer.dh_bits, Some(1024));
        assert!(answer_complete(&data));
        assert!(!answer_complete(data.get(..20).unwrap()));
        let alert = record(21, &[2, 70]);
        assert_eq!(parse_answer(&alert, None).alert, Some((2, 70)));
    }

    #[test]
    fn garbage_is_not_tls_and_never_panics() {
        assert!(!parse_answer(b"HTTP/1.1 400 Bad Request\r\n", None).tls);
        for len in 0..64 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
            let _ = parse_answer(&junk, None);
            let mut framed = vec![22, 3, 1, 0, len as u8];
            framed.extend_from_slice(&junk);
            let _ = parse_answer(&framed, None);
            let _ = answer_complete(&framed);
        }
    }

    #[test]
    fn names_match_hosts() {
        assert!(name_matches("*.example.com", "cam.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(name_matches("Cam.Example", "cam.example"));
        assert_eq!(rfc3339(1_577_836_800), "2020-01-01T00:00:00Z");
        assert_eq!(bit_length(&[0, 0x01, 0]), 9);
    }
}
