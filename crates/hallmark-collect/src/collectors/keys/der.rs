//! A small, strict DER reader: enough to walk key structures (PKCS#1, PKCS#8, SEC1, DSA,
//! SubjectPublicKeyInfo, PKCS#12 outer layers). Definite lengths and one-byte tags only; any
//! malformation gives `None`.

/// Universal tags used here.
pub(super) const INTEGER: u8 = 0x02;
pub(super) const BIT_STRING: u8 = 0x03;
pub(super) const OCTET_STRING: u8 = 0x04;
pub(super) const OID: u8 = 0x06;
pub(super) const SEQUENCE: u8 = 0x30;

/// A cursor over consecutive DER elements.
#[derive(Debug, Clone, Copy)]
pub(super) struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    pub(super) fn new(data: &'a [u8]) -> Der<'a> {
        Der { rest: data }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element: its tag byte and its content.
    pub(super) fn read(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None;
            }
            let (bytes, after) = rest.split_at_checked(count)?;
            rest = after;
            bytes.iter().try_fold(0usize, |acc, &b| {
                acc.checked_mul(256)?.checked_add(usize::from(b))
            })?
        };
        let (content, after) = rest.split_at_checked(len)?;
        self.rest = after;
        Some((tag, content))
    }

    /// The next element, which must carry `tag`.
    pub(super) fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.read()? {
            (t, content) if t == tag => Some(content),
            _ => None,
        }
    }

    /// The next element if it carries `tag`; the cursor does not move otherwise.
    pub(super) fn optional(&mut self, tag: u8) -> Option<&'a [u8]> {
        let mut probe = *self;
        let content = probe.expect(tag)?;
        *self = probe;
        Some(content)
    }

    /// A SEQUENCE, as a cursor over its elements.
    pub(super) fn sequence(&mut self) -> Option<Der<'a>> {
        self.expect(SEQUENCE).map(Der::new)
    }

    /// A non-negative INTEGER's magnitude (leading zero bytes removed).
    pub(super) fn unsigned(&mut self) -> Option<&'a [u8]> {
        let content = self.expect(INTEGER)?;
        if content.first().is_none_or(|b| b & 0x80 != 0) {
            return None;
        }
        Some(strip_zeros(content))
    }

    /// A small non-negative INTEGER.
    pub(super) fn small(&mut self) -> Option<u64> {
        let magnitude = self.unsigned()?;
        if magnitude.len() > 8 {
            return None;
        }
        Some(
            magnitude
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
        )
    }
}

/// The whole of `data` as exactly one element: its tag and content.
pub(super) fn single(data: &[u8]) -> Option<(u8, &[u8])> {
    let mut der = Der::new(data);
    let element = der.read()?;
    der.is_empty().then_some(element)
}

/// `bytes` without leading zero bytes.
pub(super) fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or(&[])
}

/// Bit length of an unsigned big-endian integer.
pub(super) fn bit_len(magnitude: &[u8]) -> u32 {
    let magnitude = strip_zeros(magnitude);
    match magnitude.first() {
        None => 0,
        Some(&first) => {
            let whole = u32::try_from(magnitude.len().saturating_sub(1))
                .unwrap_or(u32::MAX / 8)
                .saturating_mul(8);
            whole.saturating_add(8 - first.leading_zeros())
        }
    }
}

/// Dotted form of an OID's content bytes (`1.2.840.113549.1.1.1`).
pub(super) fn oid_string(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value = 0u64;
    for (i, &b) in content.iter().enumerate() {
        if value > (u64::MAX >> 7) {
            return None;
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        } else if i + 1 == content.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_and_rejects_damage() {
        // SEQUENCE { INTEGER 0, INTEGER 0x00ff, OID 1.2.840.113549.1.1.1 }
        let data = [
            0x30, 0x12, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0xff, 0x06, 0x09, 0x2a, 0x86, 0x48,
            0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
        ];
        let mut outer = Der::new(&data);
        let mut seq = outer.sequence().unwrap();
        assert!(outer.is_empty());
        assert_eq!(seq.small(), Some(0));
        assert_eq!(seq.unsigned(), Some(&[0xff][..]));
        let oid = seq.expect(OID).unwrap();
        assert_eq!(oid_string(oid).as_deref(), Some("1.2.840.113549.1.1.1"));
        assert!(seq.is_empty());
        assert_eq!(bit_len(&[0x00, 0x01, 0x00]), 9);

        for bad in [
            &data[..5],
            &[0x30, 0x85, 1, 1, 1, 1, 1][..],
            &[0x1f, 0x01, 0x00][..],
        ] {
            assert!(single(bad).is_none());
        }
        // Negative integers are not key material.
        assert!(Der::new(&[0x02, 0x01, 0x80]).unsigned().is_none());
    }
}
