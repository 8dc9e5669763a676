//! SSH key encodings: wire-format public key blobs, OpenSSH private keys
//! (`openssh-key-v1`), dropbear private key files, and public-key lines
//! (`[options] type base64 [comment]`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};

use super::KeyInfo;
use super::der::{bit_len, strip_zeros};

/// A reader of SSH wire types (RFC 4251 §5).
#[derive(Debug, Clone, Copy)]
pub(super) struct Wire<'a> {
    rest: &'a [u8],
}

impl<'a> Wire<'a> {
    pub(super) fn new(data: &'a [u8]) -> Wire<'a> {
        Wire { rest: data }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(super) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        let (bytes, rest) = self.rest.split_first_chunk::<4>()?;
        self.rest = rest;
        Some(u32::from_be_bytes(*bytes))
    }

    pub(super) fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        let (content, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        Some(content)
    }

    /// An mpint that must be non-negative: its magnitude.
    pub(super) fn mpint(&mut self) -> Option<&'a [u8]> {
        let content = self.string()?;
        if content.first().is_some_and(|b| b & 0x80 != 0) {
            return None;
        }
        Some(strip_zeros(content))
    }
}

/// Appends an SSH string.
pub(super) fn put_string(out: &mut Vec<u8>, data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
}

/// Appends an unsigned integer (big-endian magnitude) as an SSH mpint.
pub(super) fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let magnitude = strip_zeros(magnitude);
    if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
        let mut padded = Vec::with_capacity(magnitude.len().saturating_add(1));
        padded.push(0);
        padded.extend_from_slice(magnitude);
        put_string(out, &padded);
    } else {
        put_string(out, magnitude);
    }
}

/// `SHA256:<base64 without padding>` of a public key blob, as `ssh-keygen -l` prints it.
pub(super) fn fingerprint(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// The public blob of an RSA key.
pub(super) fn rsa_blob(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-rsa");
    put_mpint(&mut blob, e);
    put_mpint(&mut blob, n);
    blob
}

/// The public blob of a DSA key.
pub(super) fn dsa_blob(p: &[u8], q: &[u8], g: &[u8], y: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-dss");
    for value in [p, q, g, y] {
        put_mpint(&mut blob, value);
    }
    blob
}

/// The public blob of an ECDSA key on a NIST curve (`nistp256`, ...), from its point.
pub(super) fn ecdsa_blob(ssh_curve: &str, point: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    put_string(&mut blob, format!("ecdsa-sha2-{ssh_curve}").as_bytes());
    put_string(&mut blob, ssh_curve.as_bytes());
    put_string(&mut blob, point);
    blob
}

/// The public blob of an Ed25519 key.
pub(super) fn ed25519_blob(public: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-ed25519");
    put_string(&mut blob, public);
    blob
}

/// SSH curve names (`nistp256`) and their common names and sizes.
pub(super) fn nist_curve(ssh_curve: &[u8]) -> Option<(&'static str, u32)> {
    match ssh_curve {
        b"nistp256" => Some(("P-256", 256)),
        b"nistp384" => Some(("P-384", 384)),
        b"nistp521" => Some(("P-521", 521)),
        _ => None,
    }
}

/// Key types whose public keys are written as `type base64` lines.
pub(super) const PUBLIC_KEY_TYPES: &[&str] = &[
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// What a public key blob says: algorithm, size, curve; `None` when it does not parse
/// exactly (trailing bytes included).
pub(super) fn parse_public_blob(blob: &[u8]) -> Option<KeyInfo> {
    let mut wire = Wire::new(blob);
    let key_type = wire.string()?;
    let mut info = KeyInfo::default();
    match key_type {
        b"ssh-rsa" => {
            let _e = wire.mpint()?;
            let n = wire.mpint()?;
            info.algorithm = Some("rsa");
            info.bits = Some(bit_len(n));
        }
        b"ssh-dss" => {
            let p = wire.mpint()?;
            for _ in 0..3 {
                wire.mpint()?;
            }
            info.algorithm = Some("dsa");
            info.bits = Some(bit_len(p));
        }
        b"ssh-ed25519" | b"sk-ssh-ed25519@openssh.com" => {
            if wire.string()?.len() != 32 {
                return None;
            }
            if key_type.starts_with(b"sk-") {
                wire.string()?;
            }
            info.algorithm = Some("ed25519");
            info.bits = Some(256);
        }
        _ => {
            let name = key_type.strip_prefix(b"sk-").unwrap_or(key_type);
            let name = name.strip_suffix(b"@openssh.com").unwrap_or(name);
            let ssh_curve = name.strip_prefix(b"ecdsa-sha2-")?;
            let (curve, bits) = nist_curve(ssh_curve)?;
            if wire.string()? != ssh_curve {
                return None;
            }
            wire.string()?;
            if key_type.starts_with(b"sk-") {
                wire.string()?;
            }
            info.algorithm = Some("ec");
            info.bits = Some(bits);
            info.curve = Some(curve.to_owned());
        }
    }
    if !wire.is_empty() {
        return None;
    }
    info.fingerprint = Some(fingerprint(blob));
    Some(info)
}

/// An OpenSSH private key (`openssh-key-v1`), from the decoded armour body.
pub(super) struct OpensshKey {
    pub(super) info: KeyInfo,
    pub(super) encrypted: bool,
    pub(super) comment: Option<String>,
}

pub(super) fn parse_openssh_private(body: &[u8]) -> Option<OpensshKey> {
    let mut wire = Wire::new(body.strip_prefix(b"openssh-key-v1\0")?);
    let cipher = wire.string()?;
    let _kdf = wire.string()?;
    let _kdf_options = wire.string()?;
    let count = wire.u32()?;
    if count == 0 || count > 16 {
        return None;
    }
    let public = wire.string()?;
    for _ in 1..count {
        wire.string()?;
    }
    let private = wire.string()?;
    if !wire.is_empty() {
        return None;
    }
    let info = parse_public_blob(public)?;
    let encrypted = cipher != b"none";
    let comment = if encrypted {
        None
    } else {
        Some(openssh_comment(private)?).filter(|c| !c.is_empty())
    };
    Some(OpensshKey {
        info,
        encrypted,
        comment,
    })
}

/// The comment of the first key of an unencrypted private section (its two check words must
/// agree, or it is not a valid key).
fn openssh_comment(private: &[u8]) -> Option<String> {
    let mut wire = Wire::new(private);
    if wire.u32()? != wire.u32()? {
        return None;
    }
    let fields = match wire.string()? {
        b"ssh-rsa" => 6,
        b"ssh-dss" => 5,
        b"ssh-ed25519" => 2,
        t if t.starts_with(b"ecdsa-sha2-") => 3,
        _ => return Some(String::new()),
    };
    for _ in 0..fields {
        wire.string()?;
    }
    Some(String::from_utf8_lossy(wire.string()?).into_owned())
}

/// Whether `data` starts like a dropbear private key file (an SSH string naming a key type).
pub(super) fn looks_like_dropbear(data: &[u8]) -> bool {
    let mut wire = Wire::new(data);
    matches!(
        wire.string(),
        Some(
            b"ssh-rsa"
                | b"ssh-dss"
                | b"ssh-ed25519"
                | b"ecdsa-sha2-nistp256"
                | b"ecdsa-sha2-nistp384"
                | b"ecdsa-sha2-nistp521"
        )
    )
}

/// A dropbear private key file: key type, then the key's fields (RSA: e, n, d, p, q; DSA: p,
/// q, g, y, x; ECDSA: curve, point, d; Ed25519: one 64-byte string of secret and public key).
/// The public key blob is derived for the fingerprint.
pub(super) fn parse_dropbear(data: &[u8]) -> Option<KeyInfo> {
    let mut wire = Wire::new(data);
    let key_type = wire.string()?;
    let blob = match key_type {
        b"ssh-rsa" => {
            let e = wire.mpint()?;
            let n = wire.mpint()?;
            for _ in 0..3 {
                wire.mpint()?;
            }
            rsa_blob(n, e)
        }
        b"ssh-dss" => {
            let p = wire.mpint()?;
            let q = wire.mpint()?;
            let g = wire.mpint()?;
            let y = wire.mpint()?;
            wire.mpint()?;
            dsa_blob(p, q, g, y)
        }
        b"ssh-ed25519" => {
            let keys = wire.string()?;
            if keys.len() != 64 {
                return None;
            }
            ed25519_blob(keys.get(32..)?)
        }
        _ => {
            let ssh_curve = key_type.strip_prefix(b"ecdsa-sha2-")?;
            if wire.string()? != ssh_curve {
                return None;
            }
            let point = wire.string()?;
            wire.mpint()?;
            ecdsa_blob(std::str::from_utf8(ssh_curve).ok()?, point)
        }
    };
    // Dropbear writes nothing after the key; tolerate zero padding only.
    if wire.rest().iter().any(|&b| b != 0) {
        return None;
    }
    parse_public_blob(&blob)
}

/// One public-key line: `[options] type base64 [comment]`, starting at the key type.
pub(super) struct PublicLine {
    /// Decoded key, when the base64 decodes to a blob of the named type.
    pub(super) info: Option<KeyInfo>,
    pub(super) comment: Option<String>,
}

/// Parses the key that starts at `line` (which begins with the key type), up to the end of
/// the line.
pub(super) fn parse_public_line(line: &[u8]) -> PublicLine {
    let line = line.split(|&b| b == b'\n').next().unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut fields = line
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|f| !f.is_empty());
    let key_type = fields.next().unwrap_or_default();
    let encoded = fields.next().unwrap_or_default();
    let comment: Vec<&[u8]> = fields.collect();
    let comment =
        (!comment.is_empty()).then(|| String::from_utf8_lossy(&comment.join(&b' ')).into_owned());
    let info = STANDARD
        .decode(encoded)
        .ok()
        .filter(|blob| Wire::new(blob).string() == Some(key_type))
        .and_then(|blob| parse_public_blob(&blob));
    PublicLine { info, comment }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_lines_and_blobs() {
        let blob = ed25519_blob(&[7u8; 32]);
        let line = format!("ssh-ed25519 {} me@host  x\r\nnext", STANDARD.encode(&blob));
        let parsed = parse_public_line(line.as_bytes());
        let info = parsed.info.unwrap();
        assert_eq!(info.algorithm, Some("ed25519"));
        assert_eq!(info.fingerprint, Some(fingerprint(&blob)));
        assert_eq!(parsed.comment.as_deref(), Some("me@host x"));
        // A type that does not match the blob, and broken base64.
        let wrong = format!("ssh-rsa {}", STANDARD.encode(&blob));
        assert!(parse_public_line(wrong.as_bytes()).info.is_none());
        assert!(parse_public_line(b"ssh-rsa AAAA!!").info.is_none());
        // mpints get a leading zero when the high bit is set.
        let mut out = Vec::new();
        put_mpint(&mut out, &[0, 0, 0x80]);
        assert_eq!(out, [0, 0, 0, 2, 0, 0x80]);
    }
}
