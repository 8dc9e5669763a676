//! Recognising password hashes and testing one candidate against one hash.
//!
//! [`Hash::parse`] accepts a field only when it has exactly the shape the scheme produces
//! (prefix, lengths, alphabet), so that what reaches the hashing code is well formed; the
//! third-party hashing code never sees arbitrary input.
//!
//! Costs are counted in *units* of about one MD5-crypt computation (1,000 rounds of MD5; about
//! 0.1 ms on one core of a current x86 machine). Weights were measured relative to MD5-crypt in
//! an optimised build (the ignored `weights` test prints the ratios) and rounded up:
//!
//! | scheme | weight | measured |
//! |---|---|---|
//! | DES, MD5-crypt, `{SHA}`, mosquitto | 1 | DES 0.02, `{SHA}` less |
//! | SHA-256-crypt | `ceil(rounds / 1000)` (default 5,000 rounds: 5) | 4.4 |
//! | SHA-512-crypt | `ceil(rounds / 700)` (default 5,000 rounds: 8) | 6.9 |
//! | bcrypt | `2^(cost - 1)` (cost 5: 16; cost 10: 512) | 12; 426 |
//! | yescrypt | `ceil(N * r * p * (t + 1) / 512)` (`j9T`, N = 4096, r = 32: 256) | 186 |
//!
//! yescrypt parameters needing more than 64 MiB are not tested at all.
//!
//! SHA-512-crypt is our own code on x86-64 ([`super::sha512_crypt`]), which tests up to eight
//! candidates at once with AVX-512 (about a fifth of the scalar cost each); its weight stays
//! the scalar one, so that a budget means the same on every machine.

use hallmark_model::facts::HashScheme;
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha512;

use super::sha512_crypt::Sha512Crypt;

/// The crypt(3) base64 alphabet (also bcrypt's, in another order).
const CRYPT64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Largest yescrypt memory (bytes) we allocate for one computation.
const YESCRYPT_MAX_MEMORY: u64 = 64 * 1024 * 1024;

/// SHA-crypt round limits (values outside are clamped, as glibc does).
const SHA_MIN_ROUNDS: u64 = 1_000;
const SHA_MAX_ROUNDS: u64 = 999_999_999;
const SHA_DEFAULT_ROUNDS: u64 = 5_000;

/// A recognised password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hash {
    /// Its scheme.
    pub(crate) scheme: HashScheme,
    /// How to test a candidate against it.
    algo: Algo,
    /// Cost of one test, in units (see the module documentation); 0 when it cannot be tested.
    pub(crate) weight: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Algo {
    /// Traditional DES crypt: the whole 13-character string.
    Des(String),
    /// MD5-crypt: the whole string.
    Md5(String),
    /// Apache's MD5-crypt: salt and encoded digest.
    Apr1 { salt: String, digest: String },
    /// SHA-256-crypt: the whole string.
    Sha256Crypt(String),
    /// SHA-512-crypt: the whole string (for `pwhash`) and its parts (for our own code).
    Sha512Crypt { hash: String, parts: Sha512Crypt },
    /// bcrypt: the whole string, with `$2x$` rewritten as `$2a$` (the same for ASCII).
    Bcrypt(String),
    /// yescrypt: the whole string.
    Yescrypt(String),
    /// `{SHA}` / `{SSHA}`: digest and salt.
    Sha1 { digest: Vec<u8>, salt: Vec<u8> },
    /// mosquitto: salt and SHA-512 digest.
    Mosquitto { salt: Vec<u8>, digest: Vec<u8> },
    /// Recognised but not testable.
    Unsupported,
    /// A supported scheme with parameters too costly to test at all (yescrypt needing more
    /// than [`YESCRYPT_MAX_MEMORY`]).
    TooCostly,
}

fn is_crypt64(s: &str) -> bool {
    s.bytes().all(|b| CRYPT64.contains(&b))
}

impl Hash {
    /// Recognises `field` as a password hash, or `None` when it has no known hash's shape.
    pub(crate) fn parse(field: &str) -> Option<Hash> {
        if field.len() == 13 && is_crypt64(field) {
            return Some(Hash::new(HashScheme::Des, Algo::Des(field.to_owned()), 1));
        }
        if let Some(rest) = field.strip_prefix("$1$") {
            return parse_md5(field, rest, false);
        }
        if let Some(rest) = field.strip_prefix("$apr1$") {
            return parse_md5(field, rest, true);
        }
        if let Some(rest) = field.strip_prefix("$5$") {
            return parse_sha(field, rest, false);
        }
        if let Some(rest) = field.strip_prefix("$6$") {
            return parse_sha(field, rest, true).or_else(|| parse_mosquitto(rest));
        }
        if field.starts_with("$2") {
            return parse_bcrypt(field);
        }
        if let Some(rest) = field.strip_prefix("$y$") {
            return parse_yescrypt(field, rest);
        }
        if let Some(rest) = field.strip_prefix("{SHA}") {
            let digest = base64_decode(rest)?;
            return (digest.len() == 20).then(|| {
                Hash::new(
                    HashScheme::Sha1,
                    Algo::Sha1 {
                        digest,
                        salt: Vec::new(),
                    },
                    1,
                )
            });
        }
        if let Some(rest) = field.strip_prefix("{SSHA}") {
            let mut digest = base64_decode(rest)?;
            if digest.len() <= 20 {
                return None;
            }
            let salt = digest.split_off(20);
            return Some(Hash::new(HashScheme::Sha1, Algo::Sha1 { digest, salt }, 1));
        }
        if is_other_scheme(field) {
            return Some(Hash::new(HashScheme::Other, Algo::Unsupported, 0));
        }
        None
    }

    fn new(scheme: HashScheme, algo: Algo, weight: u64) -> Hash {
        Hash {
            scheme,
            algo,
            weight,
        }
    }

    /// Whether the cracker can test candidates against it.
    pub(crate) fn is_testable(&self) -> bool {
        !matches!(self.algo, Algo::Unsupported | Algo::TooCostly)
    }

    /// Whether the scheme is supported but this hash's parameters cost too much to test.
    pub(crate) fn is_too_costly(&self) -> bool {
        self.algo == Algo::TooCostly
    }

    /// Whether only the first 8 characters of a password count (DES).
    pub(crate) fn truncates_at_8(&self) -> bool {
        matches!(self.algo, Algo::Des(_))
    }

    /// How many candidates [`Hash::first_match`] tests at once (for a cost like that of one):
    /// more than one only for SHA-512-crypt on x86-64 processors with vector units.
    pub(crate) fn batch_width(&self) -> usize {
        match &self.algo {
            Algo::Sha512Crypt { .. } if cfg!(target_arch = "x86_64") => Sha512Crypt::width(),
            _ => 1,
        }
    }

    /// The index of the first of `passwords` that hashes to this hash.
    pub(crate) fn first_match(&self, passwords: &[&str]) -> Option<usize> {
        match &self.algo {
            Algo::Sha512Crypt { parts, .. } if cfg!(target_arch = "x86_64") => {
                let bytes: Vec<&[u8]> = passwords.iter().map(|p| p.as_bytes()).collect();
                parts.first_match(&bytes)
            }
            _ => passwords.iter().position(|p| self.verify(p)),
        }
    }

    /// Whether `password` hashes to this hash.
    pub(crate) fn verify(&self, password: &str) -> bool {
        match &self.algo {
            Algo::Des(hash) => pwhash::unix_crypt::verify(password, hash),
            // pwhash for `$1$` (a dependency, so optimised even in test builds); our own code
            // for Apache's variant, which pwhash lacks.
            Algo::Md5(hash) => pwhash::md5_crypt::verify(password, hash),
            Algo::Apr1 { salt, digest } => {
                md5_crypt(password.as_bytes(), salt.as_bytes(), "$apr1$") == *digest
            }
            Algo::Sha512Crypt { hash, parts } => {
                if cfg!(target_arch = "x86_64") {
                    parts.verify(password.as_bytes())
                } else {
                    pwhash::sha512_crypt::verify(password, hash)
                }
            }
            Algo::Sha256Crypt(hash) => pwhash::sha256_crypt::verify(password, hash),
            Algo::Bcrypt(hash) => pwhash::bcrypt::verify(password, hash),
            Algo::Yescrypt(hash) => {
                use yescrypt::PasswordVerifier;
                yescrypt::Yescrypt::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            }
            Algo::Sha1 { digest, salt } => {
                let mut h = Sha1::new();
                h.update(password.as_bytes());
                h.update(salt);
                h.finalize().as_slice() == digest.as_slice()
            }
            Algo::Mosquitto { salt, digest } => {
                let mut h = Sha512::new();
                h.update(password.as_bytes());
                h.update(salt);
                h.finalize().as_slice() == digest.as_slice()
            }
            Algo::Unsupported | Algo::TooCostly => false,
        }
    }
}

/// `$1$` / `$apr1$`: a salt of up to 8 characters (possibly empty), then 22 characters.
fn parse_md5(field: &str, rest: &str, apr1: bool) -> Option<Hash> {
    let (salt, digest) = rest.split_once('$')?;
    if salt.len() > 8 || !is_crypt64(salt) || digest.len() != 22 || !is_crypt64(digest) {
        return None;
    }
    let algo = if apr1 {
        Algo::Apr1 {
            salt: salt.to_owned(),
            digest: digest.to_owned(),
        }
    } else {
        Algo::Md5(field.to_owned())
    };
    Some(Hash::new(HashScheme::Md5, algo, 1))
}

/// `$5$` / `$6$`: optional `rounds=N$`, a salt of up to 16 characters, then 43 or 86
/// characters.
fn parse_sha(field: &str, rest: &str, sha512: bool) -> Option<Hash> {
    let (rounds_text, rounds, rest) = match rest.strip_prefix("rounds=") {
        Some(after) => {
            let (digits, rest) = after.split_once('$')?;
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let rounds: u64 = digits.parse().ok()?;
            (
                Some(digits),
                rounds.clamp(SHA_MIN_ROUNDS, SHA_MAX_ROUNDS),
                rest,
            )
        }
        None => (None, SHA_DEFAULT_ROUNDS, rest),
    };
    let (salt, digest) = rest.split_once('$')?;
    let want = if sha512 { 86 } else { 43 };
    if salt.len() > 16 || !is_crypt64(salt) || digest.len() != want || !is_crypt64(digest) {
        return None;
    }
    Some(if sha512 {
        let parts = Sha512Crypt::new(salt.as_bytes(), rounds_text, digest)?;
        Hash::new(
            HashScheme::Sha512,
            Algo::Sha512Crypt {
                hash: field.to_owned(),
                parts,
            },
            rounds.div_ceil(700),
        )
    } else {
        Hash::new(
            HashScheme::Sha256,
            Algo::Sha256Crypt(field.to_owned()),
            rounds.div_ceil(1000),
        )
    })
}

/// mosquitto_passwd: `$6$` base64 salt `$` base64 of a 64-byte SHA-512 digest.
fn parse_mosquitto(rest: &str) -> Option<Hash> {
    let (salt, digest) = rest.split_once('$')?;
    let salt = base64_decode(salt)?;
    let digest = base64_decode(digest)?;
    (digest.len() == 64 && !salt.is_empty())
        .then(|| Hash::new(HashScheme::Mosquitto, Algo::Mosquitto { salt, digest }, 1))
}

/// `$2a$`, `$2b$`, `$2x$`, `$2y$`: two-digit cost 04-31, then 53 characters.
fn parse_bcrypt(field: &str) -> Option<Hash> {
    let variant = field.get(..4)?;
    let rest = field.get(4..)?;
    if !matches!(variant, "$2a$" | "$2b$" | "$2x$" | "$2y$") {
        return is_other_scheme(field).then(|| Hash::new(HashScheme::Other, Algo::Unsupported, 0));
    }
    let (cost, body) = rest.split_once('$')?;
    if cost.len() != 2 || !cost.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cost: u32 = cost.parse().ok()?;
    if !(4..=31).contains(&cost) || body.len() != 53 || !is_crypt64(body) {
        return None;
    }
    let hash = match variant {
        "$2x$" => format!("$2a${}", rest),
        _ => field.to_owned(),
    };
    Some(Hash::new(
        HashScheme::Bcrypt,
        Algo::Bcrypt(hash),
        1u64 << (cost - 1),
    ))
}

/// `$y$params$salt$hash`, with the memory its parameters need bounded.
fn parse_yescrypt(field: &str, rest: &str) -> Option<Hash> {
    let mut parts = rest.split('$');
    let params = parts.next()?;
    let salt = parts.next()?;
    let digest = parts.next()?;
    if parts.next().is_some()
        || params.is_empty()
        || !is_crypt64(params)
        || !is_crypt64(salt)
        || digest.is_empty()
        || !is_crypt64(digest)
    {
        return None;
    }
    let cost = YescryptCost::decode(params)?;
    let memory = cost.n.saturating_mul(cost.r).saturating_mul(128);
    let work = cost
        .n
        .saturating_mul(cost.r)
        .saturating_mul(cost.p)
        .saturating_mul(cost.t.saturating_add(1))
        .div_ceil(512);
    let usable = memory <= YESCRYPT_MAX_MEMORY && cost.p <= 16;
    // The crate must read the parameters the same way, or the cost estimate means nothing.
    let agrees = params
        .parse::<yescrypt::Params>()
        .is_ok_and(|p| p.n() == cost.n && u64::from(p.r()) == cost.r && u64::from(p.p()) == cost.p);
    Some(if usable && agrees {
        Hash::new(
            HashScheme::Yescrypt,
            Algo::Yescrypt(field.to_owned()),
            work.max(1),
        )
    } else {
        // Parameters too costly to test (or that the crate reads otherwise): recognised, but
        // no budget would ever cover them.
        Hash::new(HashScheme::Yescrypt, Algo::TooCostly, u64::MAX)
    })
}

/// yescrypt's cost parameters, read from the `$y$` parameter string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct YescryptCost {
    n: u64,
    r: u64,
    p: u64,
    t: u64,
}

impl YescryptCost {
    /// Reads flavour, log2(N), r and the optional p and t (yescrypt's variable-length
    /// little-endian base64 numbers).
    fn decode(params: &str) -> Option<YescryptCost> {
        let mut src = params.as_bytes();
        let _flavour = decode64_u32(&mut src, 0)?;
        let n_log2 = decode64_u32(&mut src, 1)?;
        if n_log2 > 63 {
            return None;
        }
        let r = decode64_u32(&mut src, 1)?;
        let (mut p, mut t) = (1, 0);
        if !src.is_empty() {
            let have = decode64_u32(&mut src, 1)?;
            if have & 1 != 0 {
                p = decode64_u32(&mut src, 2)?;
            }
            if have & 2 != 0 {
                t = decode64_u32(&mut src, 1)?;
            }
            if have & 4 != 0 {
                let _g = decode64_u32(&mut src, 1)?;
            }
            if have & 8 != 0 {
                let _nrom = decode64_u32(&mut src, 1)?;
            }
        }
        Some(YescryptCost {
            n: 1u64 << n_log2,
            r: u64::from(r),
            p: u64::from(p),
            t: u64::from(t),
        })
    }
}

/// One of yescrypt's variable-length numbers: the first character says how many follow.
fn decode64_u32(src: &mut &[u8], min: u32) -> Option<u32> {
    let (&first, rest) = src.split_first()?;
    *src = rest;
    let mut c = crypt64_value(first)?;
    let mut value = u64::from(min);
    let (mut start, mut end, mut chars, mut bits) = (0u32, 47u32, 1u32, 0u32);
    while c > end {
        value = value.checked_add(u64::from(end + 1 - start) << bits)?;
        start = end + 1;
        end = start + (62 - end) / 2;
        chars += 1;
        bits += 6;
        if chars > 6 {
            return None;
        }
    }
    value = value.checked_add(u64::from(c - start) << bits)?;
    while chars > 1 {
        chars -= 1;
        bits -= 6;
        let (&next, rest) = src.split_first()?;
        *src = rest;
        c = crypt64_value(next)?;
        value = value.checked_add(u64::from(c) << bits)?;
    }
    u32::try_from(value).ok()
}

fn crypt64_value(b: u8) -> Option<u32> {
    CRYPT64
        .iter()
        .position(|&c| c == b)
        .and_then(|i| u32::try_from(i).ok())
}

/// Other schemes we recognise but do not test.
fn is_other_scheme(field: &str) -> bool {
    const IDS: &[&str] = &[
        "$md5$",
        "$md5,",
        "$sha1$",
        "$3$",
        "$7$",
        "$gy$",
        "$2$",
        "$sm3$",
        "$argon2i$",
        "$argon2d$",
        "$argon2id$",
        "$pbkdf2",
        "$nt$",
    ];
    if IDS.iter().any(|id| field.starts_with(id)) {
        let body = field.trim_start_matches('$');
        return body.len() >= 8
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"./$=,+-".contains(&b));
    }
    // BSDi extended DES: `_`, 4 characters of rounds, 4 of salt, 11 of hash.
    field.len() == 20 && field.starts_with('_') && is_crypt64(field.get(1..).unwrap_or(""))
}

/// MD5-crypt (Poul-Henning Kamp's algorithm, as in FreeBSD and glibc; `$apr1$` only changes
/// the magic string). Returns the 22-character encoded digest.
pub(crate) fn md5_crypt(password: &[u8], salt: &[u8], magic: &str) -> String {
    let salt = salt.get(..salt.len().min(8)).unwrap_or(salt);
    let mut alternate = Md5::new();
    alternate.update(password);
    alternate.update(salt);
    alternate.update(password);
    let alternate = alternate.finalize();

    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(magic.as_bytes());
    ctx.update(salt);
    let mut left = password.len();
    while left > 0 {
        let n = left.min(16);
        ctx.update(alternate.get(..n).unwrap_or_default());
        left -= n;
    }
    // One byte per bit of the length: a NUL for a set bit, the first password byte otherwise.
    let mut bits = password.len();
    while bits != 0 {
        if bits & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(password.get(..1).unwrap_or_default());
        }
        bits >>= 1;
    }
    let mut digest: [u8; 16] = ctx.finalize().into();

    for round in 0..1000u32 {
        let mut ctx = Md5::new();
        if round & 1 == 1 {
            ctx.update(password);
        } else {
            ctx.update(digest);
        }
        if round % 3 != 0 {
            ctx.update(salt);
        }
        if round % 7 != 0 {
            ctx.update(password);
        }
        if round & 1 == 1 {
            ctx.update(digest);
        } else {
            ctx.update(password);
        }
        digest = ctx.finalize().into();
    }

    let d = |i: usize| u32::from(digest.get(i).copied().unwrap_or(0));
    let mut out = String::with_capacity(22);
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        push_crypt64(&mut out, (d(a) << 16) | (d(b) << 8) | d(c), 4);
    }
    push_crypt64(&mut out, d(11), 2);
    out
}

/// Appends `count` characters of `value`, least significant 6 bits first.
fn push_crypt64(out: &mut String, mut value: u32, count: usize) {
    for _ in 0..count {
        let i = usize::try_from(value & 0x3f).unwrap_or(0);
        out.push(char::from(CRYPT64.get(i).copied().unwrap_or(b'.')));
        value >>= 6;
    }
}

/// Standard base64 with optional `=` padding; `None` on anything else.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 || body.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for b in body.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    // Leftover bits must be padding zeros, and one character alone cannot carry a byte.
    if bits >= 6 || acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(hash: &str, scheme: HashScheme, right: &str, wrong: &str) {
        let h = Hash::parse(hash).unwrap_or_else(|| panic!("{hash} not recognised"));
        assert_eq!(h.scheme, scheme, "{hash}");
        assert!(h.is_testable(), "{hash}");
        assert!(h.verify(right), "{hash} should verify {right:?}");
        assert!(!h.verify(wrong), "{hash} should not verify {wrong:?}");
    }

    // Vectors made with the system's libxcrypt (Python's crypt module), OpenSSL `passwd` and
    // the planted corpus findings.
    #[test]
    fn des() {
        check("abWMpd9uBwR.g", HashScheme::Des, "1234", "12345");
        check("ST0P8z9dZb6Jg", HashScheme::Des, "root", "toor");
        // Only the first 8 characters count.
        let h = Hash::parse("abWMpd9uBwR.g").unwrap();
        assert!(h.truncates_at_8());
    }

    #[test]
    fn md5_crypt_including_empty_salt_and_apr1() {
        check(
            "$1$fwT3st01$gn4KuuLCKMxebePE90.h5/",
            HashScheme::Md5,
            "admin",
            "Admin",
        );
        check("$1$$iC.dUsGpxNNJGeOm1dFio/", HashScheme::Md5, "1234", "");
        check(
            "$1$$oCLuEVgI1iAqOA8pwkzAg1",
            HashScheme::Md5,
            "root",
            "1234",
        );
        check(
            "$1$12345678$hj0uLpdidjPhbMMZeno8X/",
            HashScheme::Md5,
            "secret",
            "secret1",
        );
        check(
            "$1$cfgS4lt0$uA6W8YHrF7/uWolZDzJji.",
            HashScheme::Md5,
            "1234",
            "admin",
        );
        check(
            "$apr1$nMebU24m$ofpVAehRJU5Jq8KUcsVYj1",
            HashScheme::Md5,
            "dragon",
            "drag0n",
        );
        // Our own implementation (used for `$apr1$`) on `$1$` vectors too; long passwords
        // exercise the 16-byte loop and the length bits.
        assert_eq!(md5_crypt(b"1234", b"", "$1$"), "iC.dUsGpxNNJGeOm1dFio/");
        assert_eq!(
            md5_crypt(b"admin", b"fwT3st01", "$1$"),
            "gn4KuuLCKMxebePE90.h5/"
        );
        assert_eq!(
            md5_crypt(
                b"a much longer password than sixteen bytes",
                b"saltsalt",
                "$1$"
            ),
            "kL1Bms5vqNqrS8fEEnfCW1"
        );
    }

    #[test]
    fn sha_crypt_with_and_without_rounds() {
        check(
            "$6$Sup0rtSalt01$00YnQBZuUMxQktlXIGQS.hKr0Cp26IQ85qx56uKsKUXDXVnTKSyIfpHgK9DgOOfYxnf5rmFilgVX/GO6G.vCm1",
            HashScheme::Sha512,
            "support",
            "Support",
        );
        check(
            "$6$HcGU0JUp$LbTjc1Ai4TcTwZRi5sRyObUUHsRHtEj6YXTgduYpESFRYMZrfzZCspg2flG78QGwaqe8GSf8NLfE7tTVOUpSc1",
            HashScheme::Sha512,
            "123456",
            "1234567",
        );
        check(
            "$6$rounds=1000$saltsalt$/P1WCVaM8pp5FZxHmOOtBsT19vxcDX6OE.6omlO4UZ4mvzeRfa4ngRUxwi93yFLd7rxb1uJiaTyCGVDLIRsce0",
            HashScheme::Sha512,
            "admin",
            "admin1",
        );
        check(
            "$5$saltsalt$ajilCybiF3oQBEfeTHO1rkbsmz9HcJplt.gHWXkRfD4",
            HashScheme::Sha256,
            "admin",
            "root",
        );
        check(
            "$5$rounds=2000$saltsalt$YG7HXSVvNW399NVY0tlrdcSxfKrGQ01.Hi1aWASMJaA",
            HashScheme::Sha256,
            "password",
            "passw0rd",
        );
        let h = Hash::parse("$5$rounds=2000$saltsalt$YG7HXSVvNW399NVY0tlrdcSxfKrGQ01.Hi1aWASMJaA")
            .unwrap();
        assert_eq!(h.weight, 2);
    }

    #[test]
    fn bcrypt() {
        check(
            "$2y$05$Eoj2qF43EErrJix4Gtmuq..0FA8AFdqUUmjEqlWsUFzda8.n6OFgW",
            HashScheme::Bcrypt,
            "1234",
            "12345",
        );
        check(
            "$2b$04$saltsaltsaltsaltsaltsO62LhcxtfQeuUTHrhpSs/bTg6yMMn2LK",
            HashScheme::Bcrypt,
            "admin",
            "root",
        );
        check(
            "$2x$04$saltsaltsaltsaltsaltsO62LhcxtfQeuUTHrhpSs/bTg6yMMn2LK",
            HashScheme::Bcrypt,
            "admin",
            "Admin",
        );
        let h =
            Hash::parse("$2b$10$saltsaltsaltsaltsaltsOIsbLbAWSK5E4Vu4vW7E1q1gPCP4VZkq").unwrap();
        assert_eq!(h.weight, 512);
        assert!(
            Hash::parse("$2b$32$saltsaltsaltsaltsaltsOKdDXHC2kIcsZU/Z.iQmVMXu9unKAcPe").is_none()
        );
    }

    #[test]
    fn yescrypt() {
        check(
            "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$tnSYvahCwPBHKZUspmcxMfb0.WiB9W.zEaKlOBL35rC",
            HashScheme::Yescrypt,
            "password",
            "Password",
        );
        check(
            "$y$jC5$saltsaltsalt$U62UNtFULLoZSPt9qSEZqY8g/l5n/NBPLdCw.YzrTVA",
            HashScheme::Yescrypt,
            "password",
            "admin",
        );
        let h = Hash::parse(
            "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$tnSYvahCwPBHKZUspmcxMfb0.WiB9W.zEaKlOBL35rC",
        )
        .unwrap();
        assert_eq!(h.weight, 256);
    }

    #[test]
    fn yescrypt_parameters_decode_like_the_crate() {
        for (n, r, p) in [
            (4096, 32, 1),
            (1024, 8, 1),
            (2, 1, 1),
            (65536, 200, 3),
            (4096, 64, 70),
        ] {
            let params = yescrypt::Params::new(yescrypt::Mode::default(), n, r, p).unwrap();
            let text = params.to_string();
            let cost = YescryptCost::decode(&text).unwrap();
            assert_eq!(
                (cost.n, cost.r, cost.p, cost.t),
                (n, u64::from(r), u64::from(p), 0),
                "{text}"
            );
        }
    }

    #[test]
    fn yescrypt_beyond_the_memory_bound_is_recognised_but_untested() {
        let params = yescrypt::Params::new(yescrypt::Mode::default(), 1 << 20, 32, 1)
            .unwrap()
            .to_string();
        let h = Hash::parse(&format!(
            "$y${params}$saltsaltsalt$U62UNtFULLoZSPt9qSEZqY8g/l5n/NBPLdCw.YzrTVA"
        ))
        .unwrap();
        assert_eq!(h.scheme, HashScheme::Yescrypt);
        assert!(!h.is_testable());
        assert!(h.is_too_costly());
    }

    #[test]
    fn htpasswd_sha1_and_mosquitto() {
        check(
            "{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc=",
            HashScheme::Sha1,
            "admin",
            "admin1",
        );
        check(
            "$6$AQIDBAUG$LJOy7+x1cwKlJ74yCwBak1Vn83DyaKE5NvpC7zMcxwNux1pl+BEs5RH/YIjJKm/hOE+9D3CpvHrEGqYQM4SqjA==",
            HashScheme::Mosquitto,
            "123456",
            "12345",
        );
    }

    #[test]
    fn other_schemes_are_recognised_but_untested() {
        for field in [
            "$md5$rounds=904$Vc3VgyFx44iS8.Yu$$8uXugNT9xi5q6IWXcmh4p.",
            "$sha1$40000$jtNX3nZ2$ERl89FJ1xX5.iG6HN9Q79e/hf6Do",
            "$7$CU..../....ZuytX2a3NmyqRCUJYKUMlE.$Bf5DCjaLGNbhJzKWBM6rjPnPEHmAanbJyr4dhGFIRI5",
            "$gy$j9T$saltsaltsalt$qzL5mVvN4gROhY65JdbFoVjsV5gMW5wNFT/uV3ssWW4",
            "_J9..CCCCLRIK9125gxc",
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        ] {
            let h = Hash::parse(field).unwrap_or_else(|| panic!("{field}"));
            assert_eq!(h.scheme, HashScheme::Other, "{field}");
            assert!(!h.is_testable());
        }
    }

    #[test]
    fn non_hashes_are_not_recognised() {
        for field in [
            "",
            "x",
            "*",
            "!!",
            "admin",
            "iCDxYDfeF4MZL.H3/",
            "$1$toolongsalt$iC.dUsGpxNNJGeOm1dFio/",
            "$1$$short",
            "$6$salt$tooshort",
            "$.su.CHAR.SOMETEXT.FOO_BAR_FOOBAR,regex$",
            "$.su.encrypt,encryptParam$",
            "$n,shares$",
            "$scope.hasSwitch==\"false\"?false$",
            "$MNTPATH\"",
            "{SHA}not base64!",
            "{SHA}YWJj",
            "$y$$$",
            "$y$j9T$salt$has space",
            "abWMpd9uBwR.!",
        ] {
            assert!(Hash::parse(field).is_none(), "{field:?}");
        }
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert_eq!(base64_decode("YWI=").unwrap(), b"ab");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("Y").is_none());
        assert!(base64_decode("YR==").is_none());
        assert!(base64_decode("YQ===").is_none());
    }

    /// Prints the measured cost of each scheme relative to MD5-crypt, to calibrate the
    /// weights: `cargo test --release -p hallmark-collect weights -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, for calibration only"]
    fn weights() {
        let cases = [
            ("md5", "$1$fwT3st01$gn4KuuLCKMxebePE90.h5/"),
            ("des", "abWMpd9uBwR.g"),
            (
                "sha256",
                "$5$saltsalt$ajilCybiF3oQBEfeTHO1rkbsmz9HcJplt.gHWXkRfD4",
            ),
            (
                "sha512",
                "$6$Sup0rtSalt01$00YnQBZuUMxQktlXIGQS.hKr0Cp26IQ85qx56uKsKUXDXVnTKSyIfpHgK9DgOOfYxnf5rmFilgVX/GO6G.vCm1",
            ),
            (
                "bcrypt5",
                "$2y$05$Eoj2qF43EErrJix4Gtmuq..0FA8AFdqUUmjEqlWsUFzda8.n6OFgW",
            ),
            (
                "bcrypt10",
                "$2b$10$saltsaltsaltsaltsaltsOIsbLbAWSK5E4Vu4vW7E1q1gPCP4VZkq",
            ),
            (
                "yescrypt",
                "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$tnSYvahCwPBHKZUspmcxMfb0.WiB9W.zEaKlOBL35rC",
            ),
            ("sha1", "{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc="),
        ];
        let mut base = 0.0;
        for (name, hash) in cases {
            let h = Hash::parse(hash).unwrap();
            let n = 20u32;
            let start = std::time::Instant::now();
            for i in 0..n {
                let _ = h.verify(&format!("candidate{i}"));
            }
            let each = start.elapsed().as_secs_f64() / f64::from(n);
            if name == "md5" {
                base = each;
            }
            println!(
                "{name}: {:.3} ms = {:.1} units (weight {})",
                each * 1e3,
                each / base,
                h.weight
            );
        }
    }
}
