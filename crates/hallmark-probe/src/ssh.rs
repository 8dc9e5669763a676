//! SSH: the identification line and the server's KEXINIT (read without logging in), then one
//! key exchange per host-key type, stopped as soon as the server's reply shows its host key.
//! The exchange is never finished, so no session keys exist and nothing is authenticated.

use base64::Engine as _;
use hallmark_model::facts::{SshEndpoint, SshHostKey};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;

use crate::net::Target;
use crate::ssh_client::{name_list as names_joined, put_string, read_names};
use crate::wire::{Reader, first_line, nonce, read_until, send};

/// Our identification line.
const IDENT: &[u8] = b"SSH-2.0-HallmarkProbe_0.1\r\n";
/// The largest binary packet accepted before the exchange (RFC 4253 asks for 35000).
const MAX_PACKET: usize = 35_000;

/// The server's KEXINIT name-lists.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct KexInit {
    pub(crate) kex: Vec<String>,
    pub(crate) host_key: Vec<String>,
    pub(crate) ciphers_cs: Vec<String>,
    pub(crate) ciphers_sc: Vec<String>,
    pub(crate) macs_cs: Vec<String>,
    pub(crate) macs_sc: Vec<String>,
    pub(crate) compression: Vec<String>,
    pub(crate) compression_sc: Vec<String>,
}

/// Parses a KEXINIT payload (message 20).
pub(crate) fn parse_kexinit(payload: &[u8]) -> Option<KexInit> {
    let mut r = Reader::new(payload);
    if r.u8()? != 20 {
        return None;
    }
    r.bytes(16)?;
    let mut lists = Vec::new();
    for _ in 0..10 {
        lists.push(read_names(&mut r)?);
    }
    let mut lists = lists.into_iter();
    let mut next = || lists.next().unwrap_or_default();
    let kex = next();
    let host_key = next();
    let ciphers_cs = next();
    let ciphers_sc = next();
    let macs_cs = next();
    let macs_sc = next();
    let compression = next();
    let compression_sc = next();
    Some(KexInit {
        kex,
        host_key,
        ciphers_cs,
        ciphers_sc,
        macs_cs,
        macs_sc,
        compression,
        compression_sc,
    })
}

/// Splits one unencrypted binary packet off the front of `data`: (payload, bytes used).
fn packet(data: &[u8]) -> Option<(&[u8], usize)> {
    let mut r = Reader::new(data);
    let len = usize::try_from(r.u32()?).ok()?;
    if !(5..=MAX_PACKET).contains(&len) {
        return None;
    }
    let body = r.bytes(len)?;
    let mut b = Reader::new(body);
    let padding = usize::from(b.u8()?);
    let payload = b.bytes(len.checked_sub(1)?.checked_sub(padding)?)?;
    Some((payload, len.checked_add(4)?))
}

/// Where the identification line ends (after `\n`), skipping lines before `SSH-`.
fn ident_end(data: &[u8]) -> Option<(usize, String)> {
    let mut start = 0;
    while start < data.len() {
        let rest = data.get(start..)?;
        let nl = rest.iter().position(|&b| b == b'\n')?;
        let line = rest.get(..nl)?;
        if line.starts_with(b"SSH-") {
            return Some((start + nl + 1, first_line(line, 255)));
        }
        start += nl + 1;
    }
    None
}

/// Reads the identification line and the first packet of the server.
async fn hello(stream: &mut TcpStream, target: &Target) -> Option<(String, Vec<u8>)> {
    if !send(stream, IDENT, target.limits.read_timeout).await {
        return None;
    }
    let data = read_until(stream, 64 * 1024, target.limits.read_timeout, |d| {
        ident_end(d).is_some_and(|(end, _)| d.get(end..).and_then(packet).is_some())
    })
    .await;
    let (end, banner) = ident_end(&data)?;
    let (payload, _) = data.get(end..).and_then(packet)?;
    Some((banner, payload.to_vec()))
}

fn name_list(out: &mut Vec<u8>, names: &[&str]) {
    put_string(out, &names_joined(names));
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn wrap_packet(payload: &[u8]) -> Vec<u8> {
    // Padding to a multiple of 8, at least 4 bytes.
    let mut padding = 8 - (payload.len() + 5) % 8;
    if padding < 4 {
        padding += 8;
    }
    let len = payload.len() + 1 + padding;
    let mut out = Vec::with_capacity(len + 4);
    out.extend_from_slice(&u32::try_from(len).unwrap_or(0).to_be_bytes());
    out.push(u8::try_from(padding).unwrap_or(4));
    out.extend_from_slice(payload);
    out.extend(std::iter::repeat_n(0u8, padding));
    out
}

/// Key exchanges whose client message the prober can fake without a bignum library: a random
/// X25519 share, or a random value below a fixed MODP prime (whose top 64 bits are all ones).
fn fakeable(kex: &str) -> Option<Vec<u8>> {
    let modp = |bits: usize| {
        // mpint: a leading zero is not needed, the top byte 0x7f keeps it positive and below p.
        let mut e = nonce(bits / 8);
        if let Some(top) = e.first_mut() {
            *top = 0x7f;
        }
        let mut out = u32::try_from(e.len()).unwrap_or(0).to_be_bytes().to_vec();
        out.extend_from_slice(&e);
        out
    };
    match kex {
        "curve25519-sha256" | "curve25519-sha256@libssh.org" => {
            let mut out = 32u32.to_be_bytes().to_vec();
            out.extend_from_slice(&nonce(32));
            Some(out)
        }
        "diffie-hellman-group1-sha1" => Some(modp(1024)),
        "diffie-hellman-group14-sha1" | "diffie-hellman-group14-sha256" => Some(modp(2048)),
        "diffie-hellman-group16-sha512" => Some(modp(4096)),
        "diffie-hellman-group18-sha512" => Some(modp(8192)),
        _ => None,
    }
}

/// The host key of type `algorithm`, by starting a key exchange that offers only it.
async fn host_key(
    target: &Target,
    port: u16,
    offer: &KexInit,
    algorithm: &str,
) -> Option<SshHostKey> {
    let kex = offer.kex.iter().find(|k| fakeable(k).is_some()).cloned()?;
    let init = fakeable(&kex)?;
    let mut stream = target.connect(port).await.ok()?;
    let (_, server_payload) = hello(&mut stream, target).await?;
    parse_kexinit(&server_payload)?;
    let mut payload = vec![20];
    payload.extend_from_slice(&nonce(16));
    name_list(&mut payload, &[&kex]);
    name_list(&mut payload, &[algorithm]);
    name_list(&mut payload, &strs(&offer.ciphers_cs));
    name_list(&mut payload, &strs(&offer.ciphers_sc));
    name_list(&mut payload, &strs(&offer.macs_cs));
    name_list(&mut payload, &strs(&offer.macs_sc));
    name_list(&mut payload, &["none"]);
    name_list(&mut payload, &["none"]);
    name_list(&mut payload, &[]);
    name_list(&mut payload, &[]);
    payload.push(0);
    payload.extend_from_slice(&[0, 0, 0, 0]);
    let mut dh = vec![30];
    dh.extend_from_slice(&init);
    let mut out = wrap_packet(&payload);
    out.extend(wrap_packet(&dh));
    if !send(&mut stream, &out, target.limits.read_timeout).await {
        return None;
    }
    let data = read_until(&mut stream, 64 * 1024, target.limits.read_timeout, |d| {
        reply_blob(d).is_some()
    })
    .await;
    let blob = reply_blob(&data)?;
    describe_key(algorithm, &blob)
}

/// The host key blob of the first KEXDH_REPLY (31) among the packets in `data`.
fn reply_blob(data: &[u8]) -> Option<Vec<u8>> {
    let mut at = 0;
    while let Some((payload, used)) = data.get(at..).and_then(packet) {
        let mut r = Reader::new(payload);
        if r.u8()? == 31 {
            return r.vec(4).map(<[u8]>::to_vec);
        }
        at += used;
    }
    None
}

/// Type, size and fingerprint of a public key blob.
pub(crate) fn describe_key(algorithm: &str, blob: &[u8]) -> Option<SshHostKey> {
    let mut r = Reader::new(blob);
    let key_type = String::from_utf8_lossy(r.vec(4)?).into_owned();
    let mpint_bits = |m: &[u8]| {
        let trimmed: Vec<u8> = m.iter().copied().skip_while(|&b| b == 0).collect();
        trimmed.first().map(|&top| {
            u32::try_from(trimmed.len())
                .unwrap_or(0)
                .saturating_sub(1)
                .saturating_mul(8)
                + (8 - top.leading_zeros())
        })
    };
    let bits = match key_type.as_str() {
        "ssh-rsa" => {
            r.vec(4)?;
            mpint_bits(r.vec(4)?)
        }
        "ssh-dss" => mpint_bits(r.vec(4)?),
        "ssh-ed25519" => Some(256),
        "ssh-ed448" => Some(456),
        t if t.starts_with("ecdsa-sha2-nistp") => {
            t.trim_start_matches("ecdsa-sha2-nistp").parse().ok()
        }
        _ => None,
    };
    let digest = Sha256::digest(blob);
    Some(SshHostKey {
        algorithm: algorithm.to_owned(),
        key_type,
        bits,
        fingerprint: format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
        ),
    })
}

/// The family of a host-key algorithm: algorithms of one family share one key.
fn family(algorithm: &str) -> &str {
    match algorithm {
        "ssh-rsa" | "rsa-sha2-256" | "rsa-sha2-512" => "rsa",
        other => other,
    }
}

fn merge(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for x in b {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

/// Reads the SSH server at `port`: banner, algorithm lists, host keys.
pub(crate) async fn inspect(target: &Target, port: u16) -> Option<SshEndpoint> {
    let mut stream = target.connect(port).await.ok()?;
    let (banner, payload) = hello(&mut stream, target).await?;
    drop(stream);
    let mut endpoint = SshEndpoint {
        location: target.tcp(port, Some("ssh")),
        banner,
        kex: Vec::new(),
        host_key_algorithms: Vec::new(),
        ciphers: Vec::new(),
        macs: Vec::new(),
        host_keys: Vec::new(),
        auth_methods: Vec::new(),
        notes: Vec::new(),
    };
    let Some(offer) = parse_kexinit(&payload) else {
        endpoint
            .notes
            .push("the server's first packet was not a readable KEXINIT".into());
        return Some(endpoint);
    };
    endpoint.kex = offer.kex.clone();
    endpoint.host_key_algorithms = offer.host_key.clone();
    endpoint.ciphers = merge(&offer.ciphers_cs, &offer.ciphers_sc);
    endpoint.macs = merge(&offer.macs_cs, &offer.macs_sc);
    let mut families: Vec<&str> = Vec::new();
    for algorithm in offer.host_key.iter().take(8) {
        if algorithm.contains("-cert-") || families.contains(&family(algorithm)) {
            continue;
        }
        families.push(family(algorithm));
        match host_key(target, port, &offer, algorithm).await {
            Some(key) => endpoint.host_keys.push(key),
            None => endpoint.notes.push(format!(
                "host key {algorithm} not read (no key exchange the prober can start, or no reply)"
            )),
        }
    }
    Some(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kexinit(lists: [&str; 10]) -> Vec<u8> {
        let mut p = vec![20];
        p.extend_from_slice(&[0; 16]);
        for l in lists {
            name_list(&mut p, &[l]);
        }
        p.push(0);
        p.extend_from_slice(&[0; 4]);
        p
    }

    #[test]
    fn parses_kexinit_and_packets() {
        let payload = kexinit([
            "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1",
            "ssh-rsa,ssh-dss",
            "3des-cbc,aes128-ctr",
            "3des-cbc",
            "hmac-md5",
            "hmac-sha1",
            "none",
            "none",
            "",
            "",
        ]);
        let framed = wrap_packet(&payload);
        assert_eq!(framed.len() % 8, 0);
        let (p, used) = packet(&framed).unwrap();
        assert_eq!(used, framed.len());
        let k = parse_kexinit(p).unwrap();
        assert_eq!(
            k.kex,
            ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"]
        );
        assert_eq!(k.host_key, ["ssh-rsa", "ssh-dss"]);
        assert_eq!(merge(&k.macs_cs, &k.macs_sc), ["hmac-md5", "hmac-sha1"]);
    }

    #[test]
    fn identification_line_after_other_lines() {
        let data = b"hello\r\nSSH-2.0-OpenSSH_9.2p1 Debian\r\n\0\0";
        let (end, banner) = ident_end(data).unwrap();
        assert_eq!(banner, "SSH-2.0-OpenSSH_9.2p1 Debian");
        assert_eq!(end, data.len() - 2);
    }

    #[test]
    fn key_sizes_and_fingerprints() {
        let mut blob = Vec::new();
        let put = |b: &mut Vec<u8>, v: &[u8]| {
            b.extend_from_slice(&(v.len() as u32).to_be_bytes());
            b.extend_from_slice(v);
        };
        put(&mut blob, b"ssh-rsa");
        put(&mut blob, &[1, 0, 1]);
        let mut n = vec![0u8];
        n.extend_from_slice(&[0xC0; 128]);
        put(&mut blob, &n);
        let key = describe_key("ssh-rsa", &blob).unwrap();
        assert_eq!((key.key_type.as_str(), key.bits), ("ssh-rsa", Some(1024)));
        assert!(key.fingerprint.starts_with("SHA256:"));
        assert!(describe_key("x", &[0, 0, 0, 9, 1]).is_none());
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..80usize {
            let junk: Vec<u8> = (0..len).map(|i| (i * 91 % 256) as u8).collect();
            let _ = packet(&junk);
            let _ = parse_kexinit(&junk);
            let _ = reply_blob(&junk);
            let _ = ident_end(&junk);
            let _ = describe_key("ssh-rsa", &junk);
        }
    }
}
