//! A small SSH client: as much of the transport (RFC 4253) and of user authentication
//! (RFC 4252, and keyboard-interactive from RFC 4256) as it takes to offer a password and read
//! the server's verdict. Nothing past authentication is ever requested: no channel, no shell,
//! no command.
//!
//! Supported: key exchange by curve25519-sha256, the fixed MODP groups 1, 14, 16 and 18 and
//! group exchange (SHA-1 or SHA-2 as named); AES-CTR and AES-CBC; HMAC with MD5, SHA-1 and
//! SHA-2, with their `-96` and encrypt-then-MAC forms. AEAD ciphers (AES-GCM,
//! ChaCha20-Poly1305) are not: a server that offers nothing else gives a clear error.
//!
//! The server's host key signature is not verified. The client learns nothing secret and sends
//! only credentials from a public list of defaults (or random wrong passwords), so a machine in
//! the middle gains nothing it could not read in that list.
//!
//! Every read has a size cap and a timeout; a malformed or hostile answer is an error, never a
//! panic.

use std::time::Duration;

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit, generic_array::GenericArray};
use curve25519_dalek::montgomery::MontgomeryPoint;
use hmac::Hmac;
use num_bigint::BigUint;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::modp;
use crate::net::Target;
use crate::wire::{Reader, send};

/// Our identification line (without CR LF).
const IDENT: &str = "SSH-2.0-HallmarkProbe_0.1";
/// The largest packet accepted (RFC 4253 asks for at least 35000).
const MAX_PACKET: usize = 256 * 1024;
/// Bytes accepted before the identification line (other lines a server may send first).
const MAX_PREAMBLE: usize = 16 * 1024;
/// Packets a server may send that the client skips (IGNORE, DEBUG, banners) before the answer
/// it waits for.
const MAX_SKIPPED: usize = 64;

/// Key exchange methods, most preferred first.
const KEX: &[&str] = &[
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group1-sha1",
];
/// Host key algorithms: every common one, since the signature is not verified.
const HOST_KEYS: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
    "ssh-dss",
];
const CIPHERS: &[&str] = &[
    "aes128-ctr",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-cbc",
    "aes256-cbc",
    "aes192-cbc",
];
const MACS: &[&str] = &[
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
    "hmac-sha1-96",
    "hmac-md5",
    "hmac-md5-96",
];

/// What went wrong setting up or using the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SshError {
    /// The server closed the connection (with its DISCONNECT reason when it sent one).
    Closed(String),
    /// No answer in time.
    Timeout,
    /// The server offers nothing this client implements in one category.
    Unsupported(String),
    /// The server sent something malformed or unexpected.
    Protocol(String),
}

impl std::fmt::Display for SshError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SshError::Closed(why) if why.is_empty() => {
                write!(f, "the server closed the connection")
            }
            SshError::Closed(why) => write!(f, "the server disconnected: {why}"),
            SshError::Timeout => write!(f, "no answer in time"),
            SshError::Unsupported(what) => write!(f, "no {what} in common with the prober"),
            SshError::Protocol(what) => write!(f, "protocol error: {what}"),
        }
    }
}

fn protocol(what: &str) -> SshError {
    SshError::Protocol(what.to_owned())
}

/// The server's answer to an authentication request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthReply {
    /// USERAUTH_SUCCESS.
    Success,
    /// USERAUTH_FAILURE: the methods that can continue, and whether this one partly succeeded.
    Failure { methods: Vec<String>, partial: bool },
    /// The password was right but must be changed first (PASSWD_CHANGEREQ).
    ChangeRequested,
}

// ---------------------------------------------------------------- encoding

fn put_u32(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&u32::try_from(v).unwrap_or(u32::MAX).to_be_bytes());
}

pub(crate) fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// An mpint from big-endian magnitude bytes.
fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let trimmed: &[u8] = match magnitude.iter().position(|&b| b != 0) {
        Some(i) => magnitude.get(i..).unwrap_or_default(),
        None => &[],
    };
    let pad = trimmed.first().is_some_and(|&b| b & 0x80 != 0);
    put_u32(out, trimmed.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
}

pub(crate) fn name_list(list: &[&str]) -> Vec<u8> {
    list.join(",").into_bytes()
}

pub(crate) fn read_names(r: &mut Reader<'_>) -> Option<Vec<String>> {
    let raw = r.vec(4)?;
    Some(
        String::from_utf8_lossy(raw)
            .split(',')
            .filter(|n| !n.is_empty())
            .take(128)
            .map(str::to_owned)
            .collect(),
    )
}

/// The first of `ours` (in our order) the server also names.
fn choose(ours: &[&str], theirs: &[String], what: &str) -> Result<String, SshError> {
    ours.iter()
        .find(|a| theirs.iter().any(|t| t == *a))
        .map(|a| (*a).to_owned())
        .ok_or_else(|| {
            SshError::Unsupported(format!("{what} (server offers {})", theirs.join(",")))
        })
}

fn random(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    if getrandom::fill(&mut out).is_err() {
        out = crate::wire::nonce(len);
    }
    out
}

// ---------------------------------------------------------------- hashing

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashKind {
    Sha1,
    Sha256,
    Sha512,
}

impl HashKind {
    fn of_kex(kex: &str) -> HashKind {
        if kex.ends_with("sha1") {
            HashKind::Sha1
        } else if kex.ends_with("sha512") {
            HashKind::Sha512
        } else {
            HashKind::Sha256
        }
    }

    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut h = D::new();
            for p in parts {
                h.update(p);
            }
            h.finalize().to_vec()
        }
        match self {
            HashKind::Sha1 => run::<Sha1>(parts),
            HashKind::Sha256 => run::<Sha256>(parts),
            HashKind::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// Key material for `letter` (RFC 4253 7.2), extended to `len` bytes.
fn derive(hash: HashKind, k: &[u8], h: &[u8], letter: u8, session: &[u8], len: usize) -> Vec<u8> {
    let mut out = hash.digest(&[k, h, &[letter], session]);
    while out.len() < len {
        let more = hash.digest(&[k, h, &out]);
        out.extend_from_slice(&more);
    }
    out.truncate(len);
    out
}

// ---------------------------------------------------------------- ciphers and MACs

enum Aes {
    A128(Box<aes::Aes128>),
    A192(Box<aes::Aes192>),
    A256(Box<aes::Aes256>),
}

impl Aes {
    fn new(key: &[u8]) -> Option<Aes> {
        Some(match key.len() {
            16 => Aes::A128(Box::new(aes::Aes128::new_from_slice(key).ok()?)),
            24 => Aes::A192(Box::new(aes::Aes192::new_from_slice(key).ok()?)),
            32 => Aes::A256(Box::new(aes::Aes256::new_from_slice(key).ok()?)),
            _ => return None,
        })
    }

    fn encrypt(&self, block: &mut [u8; 16]) {
        let b = GenericArray::from_mut_slice(block);
        match self {
            Aes::A128(c) => c.encrypt_block(b),
            Aes::A192(c) => c.encrypt_block(b),
            Aes::A256(c) => c.encrypt_block(b),
        }
    }

    fn decrypt(&self, block: &mut [u8; 16]) {
        let b = GenericArray::from_mut_slice(block);
        match self {
            Aes::A128(c) => c.decrypt_block(b),
            Aes::A192(c) => c.decrypt_block(b),
            Aes::A256(c) => c.decrypt_block(b),
        }
    }
}

/// One direction's cipher state.
struct Cipher {
    aes: Aes,
    /// The counter (CTR) or the chaining value (CBC).
    state: [u8; 16],
    ctr: bool,
    decrypting: bool,
}

impl Cipher {
    fn key_len(name: &str) -> usize {
        if name.starts_with("aes256") {
            32
        } else if name.starts_with("aes192") {
            24
        } else {
            16
        }
    }

    fn new(name: &str, key: &[u8], iv: &[u8], decrypting: bool) -> Option<Cipher> {
        Some(Cipher {
            aes: Aes::new(key)?,
            state: iv.try_into().ok()?,
            ctr: name.ends_with("-ctr"),
            decrypting,
        })
    }

    /// Encrypts or decrypts whole 16-byte blocks in place (SSH packets are always whole
    /// blocks); a trailing partial block is left alone.
    fn apply(&mut self, data: &mut [u8]) {
        for chunk in data.chunks_exact_mut(16) {
            let mut block = [0u8; 16];
            block.copy_from_slice(chunk);
            if self.ctr {
                let mut stream = self.state;
                self.aes.encrypt(&mut stream);
                for (b, s) in chunk.iter_mut().zip(stream) {
                    *b ^= s;
                }
                for byte in self.state.iter_mut().rev() {
                    *byte = byte.wrapping_add(1);
                    if *byte != 0 {
                        break;
                    }
                }
            } else if self.decrypting {
                let mut plain = block;
                self.aes.decrypt(&mut plain);
                for (p, s) in plain.iter_mut().zip(self.state) {
                    *p ^= s;
                }
                chunk.copy_from_slice(&plain);
                self.state = block;
            } else {
                for (b, s) in block.iter_mut().zip(self.state) {
                    *b ^= s;
                }
                self.aes.encrypt(&mut block);
                chunk.copy_from_slice(&block);
                self.state = block;
            }
        }
    }
}

#[derive(Clone, Copy)]
enum MacKind {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

/// One direction's MAC.
struct MacKey {
    kind: MacKind,
    key: Vec<u8>,
    out_len: usize,
    etm: bool,
}

impl MacKey {
    /// (kind, key length, output length, encrypt-then-MAC) of a MAC name.
    fn params(name: &str) -> Option<(MacKind, usize, usize, bool)> {
        let etm = name.ends_with("-etm@openssh.com");
        let base = name.trim_end_matches("-etm@openssh.com");
        let (kind, key, out) = match base {
            "hmac-md5" => (MacKind::Md5, 16, 16),
            "hmac-md5-96" => (MacKind::Md5, 16, 12),
            "hmac-sha1" => (MacKind::Sha1, 20, 20),
            "hmac-sha1-96" => (MacKind::Sha1, 20, 12),
            "hmac-sha2-256" => (MacKind::Sha256, 32, 32),
            "hmac-sha2-512" => (MacKind::Sha512, 64, 64),
            _ => return None,
        };
        Some((kind, key, out, etm))
    }

    fn compute(&self, seq: u32, parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: hmac::Mac + hmac::digest::KeyInit>(
            key: &[u8],
            seq: u32,
            parts: &[&[u8]],
        ) -> Vec<u8> {
            let Ok(mut m) = <M as hmac::Mac>::new_from_slice(key) else {
                return Vec::new();
            };
            m.update(&seq.to_be_bytes());
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        let mut out = match self.kind {
            MacKind::Md5 => run::<Hmac<md5::Md5>>(&self.key, seq, parts),
            MacKind::Sha1 => run::<Hmac<Sha1>>(&self.key, seq, parts),
            MacKind::Sha256 => run::<Hmac<Sha256>>(&self.key, seq, parts),
            MacKind::Sha512 => run::<Hmac<Sha512>>(&self.key, seq, parts),
        };
        out.truncate(self.out_len);
        out
    }
}

struct Direction {
    cipher: Cipher,
    mac: MacKey,
}

impl Direction {
    /// One direction's state, from the letters (RFC 4253 7.2) of its IV, cipher key and MAC
    /// key, and `key(letter, length)` deriving each.
    fn new(
        cipher: &str,
        mac: &str,
        letters: [u8; 3],
        decrypting: bool,
        key: &dyn Fn(u8, usize) -> Vec<u8>,
    ) -> Result<Direction, SshError> {
        let [iv, enc, integrity] = letters;
        let (kind, key_len, out_len, etm) = MacKey::params(mac).ok_or_else(|| protocol("MAC"))?;
        Ok(Direction {
            cipher: Cipher::new(
                cipher,
                &key(enc, Cipher::key_len(cipher)),
                &key(iv, 16),
                decrypting,
            )
            .ok_or_else(|| protocol("cipher keys"))?,
            mac: MacKey {
                kind,
                key: key(integrity, key_len),
                out_len,
                etm,
            },
        })
    }
}

/// The big-endian packet length at the start of `bytes`.
fn packet_len(bytes: &[u8]) -> Result<usize, SshError> {
    let head: [u8; 4] = bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| protocol("short packet"))?;
    Ok(usize::try_from(u32::from_be_bytes(head)).unwrap_or(usize::MAX))
}

// ---------------------------------------------------------------- the session

/// An SSH connection past key exchange, ready for authentication requests.
pub(crate) struct Session {
    stream: TcpStream,
    /// Bytes received and not yet consumed.
    buf: Vec<u8>,
    seq_in: u32,
    seq_out: u32,
    inbound: Option<Direction>,
    outbound: Option<Direction>,
    wait: Duration,
    /// The server's identification line.
    pub(crate) banner: String,
    /// The key exchange, host key, cipher and MAC negotiated.
    pub(crate) algorithms: String,
}

impl Session {
    /// Connects to `port`, exchanges keys and asks for the user authentication service.
    pub(crate) async fn open(target: &Target, port: u16) -> Result<Session, SshError> {
        let stream = target
            .connect(port)
            .await
            .map_err(|e| SshError::Closed(format!("connection failed ({e:?})")))?;
        let mut session = Session {
            stream,
            buf: Vec::new(),
            seq_in: 0,
            seq_out: 0,
            inbound: None,
            outbound: None,
            wait: target.limits.login_wait,
            banner: String::new(),
            algorithms: String::new(),
        };
        session.handshake().await?;
        Ok(session)
    }

    async fn fill(&mut self, want: usize, deadline: Instant) -> Result<(), SshError> {
        let mut chunk = [0u8; 4096];
        while self.buf.len() < want {
            match timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Err(SshError::Closed(String::new())),
                Ok(Ok(n)) => self
                    .buf
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Err(_) => return Err(SshError::Timeout),
            }
        }
        Ok(())
    }

    async fn take(&mut self, n: usize, deadline: Instant) -> Result<Vec<u8>, SshError> {
        self.fill(n, deadline).await?;
        let rest = self.buf.split_off(n);
        Ok(std::mem::replace(&mut self.buf, rest))
    }

    /// Reads the server's identification line, skipping lines before it.
    async fn read_ident(&mut self) -> Result<String, SshError> {
        let deadline = Instant::now() + self.wait;
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                let line = self.take(nl + 1, deadline).await?;
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.starts_with(b"SSH-") {
                    if !line.starts_with(b"SSH-2.0-") && !line.starts_with(b"SSH-1.99-") {
                        return Err(protocol("the server does not speak SSH 2"));
                    }
                    return Ok(String::from_utf8_lossy(line).into_owned());
                }
                continue;
            }
            if self.buf.len() > MAX_PREAMBLE {
                return Err(protocol("no identification line"));
            }
            let want = self.buf.len() + 1;
            self.fill(want, deadline).await?;
        }
    }

    /// Sends one packet.
    async fn send(&mut self, payload: &[u8]) -> Result<(), SshError> {
        let etm = self.outbound.as_ref().is_some_and(|d| d.mac.etm);
        let block = if self.outbound.is_some() { 16 } else { 8 };
        // Padding makes the encrypted part a whole number of blocks, with at least 4 bytes.
        let covered = if etm { 1 } else { 5 } + payload.len();
        let mut padding = block - covered % block;
        if padding < 4 {
            padding += block;
        }
        let mut packet = Vec::with_capacity(payload.len() + padding + 64);
        put_u32(&mut packet, 1 + payload.len() + padding);
        packet.push(u8::try_from(padding).unwrap_or(4));
        packet.extend_from_slice(payload);
        packet.extend_from_slice(&random(padding));
        let seq = self.seq_out;
        self.seq_out = self.seq_out.wrapping_add(1);
        if let Some(out) = self.outbound.as_mut() {
            if out.mac.etm {
                let (len, body) = packet.split_at_mut(4);
                out.cipher.apply(body);
                let tag = out.mac.compute(seq, &[len, body]);
                packet.extend_from_slice(&tag);
            } else {
                let tag = out.mac.compute(seq, &[&packet]);
                out.cipher.apply(&mut packet);
                packet.extend_from_slice(&tag);
            }
        }
        if send(&mut self.stream, &packet, self.wait).await {
            Ok(())
        } else {
            Err(SshError::Closed(String::new()))
        }
    }

    /// Receives one packet's payload.
    async fn recv_raw(&mut self, deadline: Instant) -> Result<Vec<u8>, SshError> {
        let seq = self.seq_in;
        self.seq_in = self.seq_in.wrapping_add(1);
        let check_len = |len: usize, covered: usize, block: usize| {
            if !(5..=MAX_PACKET).contains(&len) || covered % block != 0 {
                Err(protocol(&format!("bad packet length {len}")))
            } else {
                Ok(())
            }
        };
        let packet: Vec<u8> = match self.inbound.is_some() {
            false => {
                let head = self.take(4, deadline).await?;
                let len = packet_len(&head)?;
                check_len(len, len, 1)?;
                let body = self.take(len, deadline).await?;
                [head, body].concat()
            }
            true => {
                let etm = self.inbound.as_ref().is_some_and(|d| d.mac.etm);
                let mac_len = self.inbound.as_ref().map_or(0, |d| d.mac.out_len);
                if etm {
                    let head = self.take(4, deadline).await?;
                    let len = packet_len(&head)?;
                    check_len(len, len, 16)?;
                    let mut body = self.take(len, deadline).await?;
                    let tag = self.take(mac_len, deadline).await?;
                    let inbound = self.inbound.as_mut().ok_or_else(|| protocol("keys"))?;
                    if inbound.mac.compute(seq, &[&head, &body]) != tag {
                        return Err(protocol("MAC mismatch"));
                    }
                    inbound.cipher.apply(&mut body);
                    [head, body].concat()
                } else {
                    let mut first = self.take(16, deadline).await?;
                    let inbound = self.inbound.as_mut().ok_or_else(|| protocol("keys"))?;
                    inbound.cipher.apply(&mut first);
                    let len = packet_len(&first)?;
                    check_len(len, len.saturating_add(4), 16)?;
                    let mut rest = self.take(len + 4 - 16, deadline).await?;
                    let tag = self.take(mac_len, deadline).await?;
                    let inbound = self.inbound.as_mut().ok_or_else(|| protocol("keys"))?;
                    inbound.cipher.apply(&mut rest);
                    let packet = [first, rest].concat();
                    if inbound.mac.compute(seq, &[&packet]) != tag {
                        return Err(protocol("MAC mismatch"));
                    }
                    packet
                }
            }
        };
        let mut r = Reader::new(packet.get(4..).unwrap_or_default());
        let padding = usize::from(r.u8().ok_or_else(|| protocol("empty packet"))?);
        let len = packet.len().saturating_sub(5);
        let payload = r
            .bytes(
                len.checked_sub(padding)
                    .ok_or_else(|| protocol("padding"))?,
            )
            .ok_or_else(|| protocol("padding"))?;
        if payload.is_empty() {
            return Err(protocol("empty payload"));
        }
        Ok(payload.to_vec())
    }

    /// Receives the next payload that is not IGNORE, DEBUG, UNIMPLEMENTED or EXT_INFO; a
    /// DISCONNECT becomes [`SshError::Closed`] with its reason.
    async fn recv(&mut self) -> Result<Vec<u8>, SshError> {
        let deadline = Instant::now() + self.wait;
        for _ in 0..MAX_SKIPPED {
            let payload = self.recv_raw(deadline).await?;
            match payload.first() {
                Some(2 | 3 | 4 | 7) => continue,
                Some(1) => {
                    let mut r = Reader::new(payload.get(1..).unwrap_or_default());
                    let _code = r.u32();
                    let why = r
                        .vec(4)
                        .map(|b| crate::wire::printable(b, 120))
                        .unwrap_or_default();
                    return Err(SshError::Closed(why));
                }
                _ => return Ok(payload),
            }
        }
        Err(protocol("too many packets without an answer"))
    }

    async fn expect(&mut self, kind: u8, what: &str) -> Result<Vec<u8>, SshError> {
        let payload = self.recv().await?;
        if payload.first() != Some(&kind) {
            return Err(SshError::Protocol(format!(
                "expected {what}, got message {}",
                payload.first().copied().unwrap_or(0)
            )));
        }
        Ok(payload)
    }

    async fn handshake(&mut self) -> Result<(), SshError> {
        if !send(
            &mut self.stream,
            format!("{IDENT}\r\n").as_bytes(),
            self.wait,
        )
        .await
        {
            return Err(SshError::Closed(String::new()));
        }
        self.banner = self.read_ident().await?;
        let server_init = self.expect(20, "KEXINIT").await?;
        let offer =
            crate::ssh::parse_kexinit(&server_init).ok_or_else(|| protocol("short KEXINIT"))?;
        let kex = choose(KEX, &offer.kex, "key exchange")?;
        let host_key = choose(HOST_KEYS, &offer.host_key, "host key algorithm")?;
        let cipher_cs = choose(CIPHERS, &offer.ciphers_cs, "cipher")?;
        let cipher_sc = choose(CIPHERS, &offer.ciphers_sc, "cipher")?;
        let mac_cs = choose(MACS, &offer.macs_cs, "MAC")?;
        let mac_sc = choose(MACS, &offer.macs_sc, "MAC")?;
        choose(&["none"], &offer.compression, "compression")?;
        choose(&["none"], &offer.compression_sc, "compression")?;

        let mut client_init = vec![20];
        client_init.extend_from_slice(&random(16));
        for names in [
            &[kex.as_str()][..],
            &[host_key.as_str()],
            CIPHERS,
            CIPHERS,
            MACS,
            MACS,
            &["none"],
            &["none"],
            &[],
            &[],
        ] {
            put_string(&mut client_init, &name_list(names));
        }
        client_init.push(0);
        client_init.extend_from_slice(&[0; 4]);
        self.send(&client_init).await?;

        let hash = HashKind::of_kex(&kex);
        let mut prefix = Vec::new();
        put_string(&mut prefix, IDENT.as_bytes());
        put_string(&mut prefix, self.banner.as_bytes());
        put_string(&mut prefix, &client_init);
        put_string(&mut prefix, &server_init);
        let (k, h) = if kex.starts_with("curve25519") {
            self.ecdh(hash, prefix).await?
        } else {
            self.dh(&kex, hash, prefix).await?
        };
        let mut k_mpint = Vec::new();
        put_mpint(&mut k_mpint, &k);

        self.expect(21, "NEWKEYS").await?;
        self.send(&[21]).await?;
        let key = |letter: u8, len: usize| derive(hash, &k_mpint, &h, letter, &h, len);
        self.outbound = Some(Direction::new(&cipher_cs, &mac_cs, *b"ACE", false, &key)?);
        self.inbound = Some(Direction::new(&cipher_sc, &mac_sc, *b"BDF", true, &key)?);
        self.algorithms = format!("{kex}, {host_key}, {cipher_sc}, {mac_sc}");

        let mut request = vec![5];
        put_string(&mut request, b"ssh-userauth");
        self.send(&request).await?;
        self.expect(6, "SERVICE_ACCEPT").await?;
        Ok(())
    }

    /// curve25519-sha256 (RFC 8731): (shared secret, exchange hash).
    async fn ecdh(
        &mut self,
        hash: HashKind,
        mut h_in: Vec<u8>,
    ) -> Result<(Vec<u8>, Vec<u8>), SshError> {
        let secret: [u8; 32] = random(32).try_into().map_err(|_| protocol("randomness"))?;
        let ours = MontgomeryPoint::mul_base_clamped(secret).to_bytes();
        let mut init = vec![30];
        put_string(&mut init, &ours);
        self.send(&init).await?;
        let reply = self.expect(31, "KEX_ECDH_REPLY").await?;
        let mut r = Reader::new(reply.get(1..).unwrap_or_default());
        let host_key = r.vec(4).ok_or_else(|| protocol("short reply"))?;
        let theirs: [u8; 32] = r
            .vec(4)
            .and_then(|q| q.try_into().ok())
            .ok_or_else(|| protocol("server share"))?;
        let shared = MontgomeryPoint(theirs).mul_clamped(secret).to_bytes();
        if shared == [0u8; 32] {
            return Err(protocol("degenerate server share"));
        }
        put_string(&mut h_in, host_key);
        put_string(&mut h_in, &ours);
        put_string(&mut h_in, &theirs);
        put_mpint(&mut h_in, &shared);
        Ok((shared.to_vec(), hash.digest(&[&h_in])))
    }

    /// Finite-field Diffie-Hellman, fixed group or group exchange: (shared secret, hash).
    async fn dh(
        &mut self,
        kex: &str,
        hash: HashKind,
        mut h_in: Vec<u8>,
    ) -> Result<(Vec<u8>, Vec<u8>), SshError> {
        let fixed = match kex {
            "diffie-hellman-group1-sha1" => Some(modp::GROUP1),
            "diffie-hellman-group14-sha1" | "diffie-hellman-group14-sha256" => Some(modp::GROUP14),
            "diffie-hellman-group16-sha512" => Some(modp::GROUP16),
            "diffie-hellman-group18-sha512" => Some(modp::GROUP18),
            _ => None,
        };
        let mut gex_params = Vec::new();
        let (p, g, reply_kind) = match fixed {
            Some(hex) => (
                BigUint::parse_bytes(hex.as_bytes(), 16).ok_or_else(|| protocol("group"))?,
                BigUint::from(2u8),
                31,
            ),
            None => {
                // Group exchange (RFC 4419): ask for 2048 to 8192 bits, prefer 3072.
                let mut request = vec![34];
                for bits in [2048u32, 3072, 8192] {
                    request.extend_from_slice(&bits.to_be_bytes());
                    gex_params.extend_from_slice(&bits.to_be_bytes());
                }
                self.send(&request).await?;
                let group = self.expect(31, "KEX_DH_GEX_GROUP").await?;
                let mut r = Reader::new(group.get(1..).unwrap_or_default());
                let p_raw = r.vec(4).ok_or_else(|| protocol("group"))?;
                let g_raw = r.vec(4).ok_or_else(|| protocol("group"))?;
                let p = BigUint::from_bytes_be(p_raw);
                if !(1024..=8192).contains(&p.bits()) {
                    return Err(protocol(&format!("group of {} bits", p.bits())));
                }
                put_mpint(&mut gex_params, &p.to_bytes_be());
                put_mpint(&mut gex_params, g_raw);
                (p, BigUint::from_bytes_be(g_raw), 33)
            }
        };
        let one = BigUint::from(1u8);
        let exponent_bytes = if p.bits() > 4096 { 64 } else { 48 };
        let x = BigUint::from_bytes_be(&random(exponent_bytes)) | &one;
        let e = g.modpow(&x, &p);
        let mut init = vec![if reply_kind == 31 { 30 } else { 32 }];
        put_mpint(&mut init, &e.to_bytes_be());
        self.send(&init).await?;
        let reply = self.expect(reply_kind, "KEXDH_REPLY").await?;
        let mut r = Reader::new(reply.get(1..).unwrap_or_default());
        let host_key = r.vec(4).ok_or_else(|| protocol("short reply"))?;
        let f = BigUint::from_bytes_be(r.vec(4).ok_or_else(|| protocol("short reply"))?);
        if f <= one || f >= &p - &one {
            return Err(protocol("server value out of range"));
        }
        let k = f.modpow(&x, &p).to_bytes_be();
        put_string(&mut h_in, host_key);
        h_in.extend_from_slice(&gex_params);
        put_mpint(&mut h_in, &e.to_bytes_be());
        put_mpint(&mut h_in, &f.to_bytes_be());
        put_mpint(&mut h_in, &k);
        Ok((k, hash.digest(&[&h_in])))
    }

    fn userauth(user: &str, method: &str) -> Vec<u8> {
        let mut out = vec![50];
        put_string(&mut out, user.as_bytes());
        put_string(&mut out, b"ssh-connection");
        put_string(&mut out, method.as_bytes());
        out
    }

    /// Reads the answer to an authentication request, skipping banners; `info` is called for
    /// a keyboard-interactive INFO_REQUEST (message 60) with its number of prompts and returns
    /// the answers to send, or `None` when 60 means PASSWD_CHANGEREQ.
    async fn auth_answer(&mut self, info: Option<&str>) -> Result<AuthReply, SshError> {
        for _ in 0..MAX_SKIPPED {
            let payload = self.recv().await?;
            match payload.first() {
                Some(52) => return Ok(AuthReply::Success),
                Some(51) => {
                    let mut r = Reader::new(payload.get(1..).unwrap_or_default());
                    let methods = read_names(&mut r).ok_or_else(|| protocol("FAILURE"))?;
                    let partial = r.u8().is_some_and(|b| b != 0);
                    return Ok(AuthReply::Failure { methods, partial });
                }
                Some(53) => continue,
                Some(60) => match info {
                    None => return Ok(AuthReply::ChangeRequested),
                    Some(password) => {
                        let mut r = Reader::new(payload.get(1..).unwrap_or_default());
                        let header = (r.vec(4), r.vec(4), r.vec(4));
                        let prompts = r.u32().ok_or_else(|| protocol("INFO_REQUEST"))?;
                        if header.0.is_none() || prompts > 8 {
                            return Err(protocol("INFO_REQUEST"));
                        }
                        let mut response = vec![61];
                        put_u32(&mut response, usize::try_from(prompts).unwrap_or(0));
                        for _ in 0..prompts {
                            put_string(&mut response, password.as_bytes());
                        }
                        self.send(&response).await?;
                    }
                },
                Some(other) => {
                    return Err(SshError::Protocol(format!(
                        "unexpected message {other} during authentication"
                    )));
                }
                None => return Err(protocol("empty")),
            }
        }
        Err(protocol("too many prompts"))
    }

    /// The `none` method: the server's list of methods (or success, if it asks for none).
    pub(crate) async fn methods(&mut self, user: &str) -> Result<AuthReply, SshError> {
        self.send(&Session::userauth(user, "none")).await?;
        self.auth_answer(None).await
    }

    /// A password login.
    pub(crate) async fn password(
        &mut self,
        user: &str,
        password: &str,
    ) -> Result<AuthReply, SshError> {
        let mut request = Session::userauth(user, "password");
        request.push(0);
        put_string(&mut request, password.as_bytes());
        self.send(&request).await?;
        self.auth_answer(None).await
    }

    /// A keyboard-interactive login answering every prompt with `password`.
    pub(crate) async fn keyboard_interactive(
        &mut self,
        user: &str,
        password: &str,
    ) -> Result<AuthReply, SshError> {
        let mut request = Session::userauth(user, "keyboard-interactive");
        put_string(&mut request, b"");
        put_string(&mut request, b"");
        self.send(&request).await?;
        self.auth_answer(Some(password)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpints_follow_rfc4251() {
        let enc = |m: &[u8]| {
            let mut v = Vec::new();
            put_mpint(&mut v, m);
            v
        };
        assert_eq!(enc(&[]), [0, 0, 0, 0]);
        assert_eq!(enc(&[0, 0]), [0, 0, 0, 0]);
        assert_eq!(enc(&[0x09, 0xa3]), [0, 0, 0, 2, 0x09, 0xa3]);
        assert_eq!(enc(&[0x80]), [0, 0, 0, 2, 0, 0x80]);
        assert_eq!(enc(&[0, 0x7f]), [0, 0, 0, 1, 0x7f]);
    }

    #[test]
    fn algorithms_are_chosen_in_our_order() {
        let theirs: Vec<String> = ["hmac-md5", "hmac-sha1"].map(String::from).to_vec();
        assert_eq!(choose(MACS, &theirs, "MAC").unwrap(), "hmac-sha1");
        let err = choose(CIPHERS, &["chacha20-poly1305@openssh.com".into()], "cipher").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("no cipher (server offers chacha20"),
            "{err}"
        );
    }

    #[test]
    fn ctr_and_cbc_round_trip() {
        let key = [7u8; 16];
        let iv = [9u8; 16];
        let plain: Vec<u8> = (0..64u8).collect();
        for name in ["aes128-ctr", "aes128-cbc"] {
            let mut data = plain.clone();
            Cipher::new(name, &key, &iv, false)
                .unwrap()
                .apply(&mut data);
            assert_ne!(data, plain);
            // Decrypting in two pieces, as packets are read, gives the same result.
            let mut dec = Cipher::new(name, &key, &iv, true).unwrap();
            let (a, b) = data.split_at_mut(16);
            dec.apply(a);
            dec.apply(b);
            assert_eq!(data, plain, "{name}");
        }
        // The counter carries across bytes.
        let mut c = Cipher::new("aes128-ctr", &key, &[0xff; 16], false).unwrap();
        c.apply(&mut [0u8; 16]);
        assert_eq!(c.state, [0u8; 16]);
    }

    #[test]
    fn aes_ctr_known_answer() {
        // NIST SP 800-38A F.5.1, first block.
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        let iv = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let mut block = hex("6bc1bee22e409f96e93d7e117393172a");
        Cipher::new("aes128-ctr", &key, &iv, false)
            .unwrap()
            .apply(&mut block);
        assert_eq!(block, hex("874d6191b620e3261bef6864990db6ce"));
    }

    #[test]
    fn hmac_known_answer() {
        // RFC 2202 test case 2 (key "Jefe"), with the sequence number folded into the data.
        let mac = MacKey {
            kind: MacKind::Sha1,
            key: b"Jefe".to_vec(),
            out_len: 20,
            etm: false,
        };
        let seq = u32::from_be_bytes(*b"what");
        assert_eq!(
            mac.compute(seq, &[b" do ya want ", b"for nothing?"]),
            hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
    }

    #[test]
    fn key_derivation_extends_past_one_digest() {
        let k = derive(HashKind::Sha1, b"k", b"h", b'C', b"s", 32);
        assert_eq!(k.len(), 32);
        assert_eq!(
            &k[..20],
            HashKind::Sha1.digest(&[b"k", b"h", b"C", b"s"]).as_slice()
        );
        assert_eq!(
            &k[20..],
            &HashKind::Sha1.digest(&[b"k", b"h", &k[..20]])[..12]
        );
    }

    #[test]
    fn modp_groups_are_the_formula() {
        // floor(2^bits * pi) by Machin's formula, with guard bits.
        fn pi_fixed(bits: u64) -> BigUint {
            let guard = 64;
            let one = BigUint::from(1u8) << (bits + guard);
            let atan_inv = |x: u32| {
                let x2 = BigUint::from(x * x);
                let mut term = &one / x;
                let mut total = term.clone();
                let mut negative = BigUint::from(0u8);
                let mut n = 1u32;
                let mut subtract = true;
                loop {
                    term /= &x2;
                    n += 2;
                    let t = &term / n;
                    if t == BigUint::from(0u8) {
                        break;
                    }
                    if subtract {
                        negative += t;
                    } else {
                        total += t;
                    }
                    subtract = !subtract;
                }
                total - negative
            };
            let pi = atan_inv(5) * 16u8 - atan_inv(239) * 4u8;
            pi >> guard
        }
        for (hex_p, bits, c) in [
            (modp::GROUP1, 1024u64, 129_093u32),
            (modp::GROUP14, 2048, 124_476),
            (modp::GROUP16, 4096, 240_904),
            (modp::GROUP18, 8192, 4_743_158),
        ] {
            let one = BigUint::from(1u8);
            let p =
                (&one << bits) - (&one << (bits - 64)) - &one + ((pi_fixed(bits - 130) + c) << 64);
            assert_eq!(
                BigUint::parse_bytes(hex_p.as_bytes(), 16).unwrap(),
                p,
                "{bits}"
            );
        }
    }

    /// A server on loopback that sends `script` after reading the client's first bytes.
    async fn hostile(script: Vec<u8>) -> Result<Session, SshError> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            if let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 64];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(&script).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        let limits = crate::Limits {
            login_wait: Duration::from_millis(500),
            read_timeout: Duration::from_millis(500),
            ..crate::Limits::default()
        };
        let target = Target::new("127.0.0.1".into(), "127.0.0.1".parse().unwrap(), limits);
        Session::open(&target, port).await
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hostile_servers_give_errors_in_bounded_time() {
        let kexinit_huge = [b"SSH-2.0-x\r\n".as_slice(), &[0x7f, 0xff, 0xff, 0xff, 0]].concat();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"HTTP/1.1 200 OK\r\n\r\n".to_vec(), "timeout"),
            (b"SSH-1.5-old\r\n".to_vec(), "SSH 2"),
            (kexinit_huge, "bad packet length"),
            (
                [
                    b"SSH-2.0-x\r\n".as_slice(),
                    &[0, 0, 0, 12, 4, 20, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0],
                ]
                .concat(),
                "short KEXINIT",
            ),
            (vec![b'A'; 20_000], "no identification line"),
            (Vec::new(), "timeout"),
        ];
        for (script, want) in cases {
            // A hang guard, far above the 0.5 s waits that bound each case.
            let err = tokio::time::timeout(Duration::from_secs(30), hostile(script))
                .await
                .expect("the client gave up on its own")
                .err()
                .expect("no session");
            let text = match &err {
                SshError::Timeout => "timeout".to_owned(),
                other => other.to_string(),
            };
            assert!(text.contains(want), "{text:?} lacks {want:?}");
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
