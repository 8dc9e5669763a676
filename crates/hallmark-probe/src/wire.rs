//! Bounded reading of untrusted bytes and of sockets: every read has a timeout and a size cap.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout, timeout_at};

/// A cursor over bytes a device sent. Every accessor returns `None` past the end instead of
/// panicking.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.buf.split_at_checked(n)?;
        self.buf = tail;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.bytes(1)?.first().copied()
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        let b = self.bytes(2)?;
        Some(u16::from_be_bytes(b.try_into().ok()?))
    }

    pub(crate) fn u24(&mut self) -> Option<usize> {
        let b = self.bytes(3)?;
        Some(b.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_be_bytes(b.try_into().ok()?))
    }

    /// A length-prefixed field: `len_bytes` of big-endian length, then that many bytes.
    pub(crate) fn vec(&mut self, len_bytes: usize) -> Option<&'a [u8]> {
        let n = match len_bytes {
            1 => usize::from(self.u8()?),
            2 => usize::from(self.u16()?),
            3 => self.u24()?,
            4 => usize::try_from(self.u32()?).ok()?,
            _ => return None,
        };
        self.bytes(n)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Printable form of what a device sent: control bytes escaped, at most `max` characters.
pub(crate) fn printable(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &b in bytes {
        if out.chars().count() >= max {
            out.push('…');
            break;
        }
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// The first line of `bytes`, trimmed and printable.
pub(crate) fn first_line(bytes: &[u8], max: usize) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    printable(line, max)
}

/// Reads from `stream` until `done` says the bytes so far are complete, the peer closes, `cap`
/// bytes arrived, or `wait` passes (counted from the call). Returns what arrived.
pub(crate) async fn read_until<S: AsyncReadExt + Unpin + ?Sized>(
    stream: &mut S,
    cap: usize,
    wait: Duration,
    done: impl Fn(&[u8]) -> bool,
) -> Vec<u8> {
    let deadline = Instant::now() + wait;
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    while data.len() < cap && !done(&data) {
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                let take = n.min(cap - data.len());
                data.extend_from_slice(chunk.get(..take).unwrap_or_default());
            }
            _ => break,
        }
    }
    data
}

/// Writes all of `bytes`, giving up after `wait`.
pub(crate) async fn send<S: AsyncWriteExt + Unpin + ?Sized>(
    stream: &mut S,
    bytes: &[u8],
    wait: Duration,
) -> bool {
    matches!(timeout(wait, stream.write_all(bytes)).await, Ok(Ok(())))
}

/// Bytes that are not secret but should differ between connections (TLS randoms, dummy key
/// shares): SHA-256 of the time and a counter. Nothing here needs to be unpredictable, since
/// the prober never completes a key exchange.
pub(crate) fn nonce(len: usize) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(len);
    let mut block = 0u64;
    while out.len() < len {
        let digest = Sha256::new()
            .chain_update(seed.to_be_bytes())
            .chain_update(COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes())
            .chain_update(block.to_be_bytes())
            .finalize();
        out.extend_from_slice(&digest);
        block = block.wrapping_add(1);
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_never_reads_past_the_end() {
        let mut r = Reader::new(&[0, 3, 1, 2]);
        assert_eq!(r.vec(2), None);
        let mut r = Reader::new(&[0, 2, 1, 2, 9]);
        assert_eq!(r.vec(2), Some(&[1u8, 2][..]));
        assert_eq!(r.u16(), None);
        assert_eq!(r.u8(), Some(9));
        assert!(r.is_empty());
        assert_eq!(r.u24(), None);
    }

    #[test]
    fn printable_escapes_and_shortens() {
        assert_eq!(printable(b"ab\r\n\xff", 10), "ab\\r\\n\\xff");
        assert_eq!(printable(b"abcdef", 3), "abc…");
        assert_eq!(first_line(b"SSH-2.0-x\r\nmore", 80), "SSH-2.0-x");
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(32), nonce(32));
        assert_eq!(nonce(100).len(), 100);
    }
}
