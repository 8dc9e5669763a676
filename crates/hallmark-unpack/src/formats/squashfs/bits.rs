//! Byte order and the packed bitfields of squashfs 2.x and 3.x.
//!
//! Squashfs 2.x/3.x structures are C bitfields written in the byte order of the machine that
//! built the image. A little-endian compiler allocates fields from the least significant bit of
//! a little-endian number; a big-endian one from the most significant bit of a big-endian
//! number. [`Bits`] reads a packed structure field by field in either convention; byte-aligned
//! fields come out as ordinary integers of that byte order, so the same reader also serves the
//! plain structures of squashfs 4.0.

use crate::bytes::Endian;

/// An unsigned integer of `len` bytes (at most 8) at `at`.
fn uint(endian: Endian, bytes: &[u8], at: usize, len: usize) -> Option<u64> {
    let raw = bytes.get(at..at.checked_add(len)?)?;
    if len > 8 {
        return None;
    }
    let fold = |v: u64, b: &u8| (v << 8) | u64::from(*b);
    Some(match endian {
        Endian::Little => raw.iter().rev().fold(0, fold),
        Endian::Big => raw.iter().fold(0, fold),
    })
}

/// Reads consecutive bitfields of a packed structure.
pub(super) struct Bits<'a> {
    bytes: &'a [u8],
    /// Position in bits from the start of `bytes`.
    pos: usize,
    endian: Endian,
}

impl<'a> Bits<'a> {
    pub(super) fn new(bytes: &'a [u8], endian: Endian) -> Bits<'a> {
        Bits {
            bytes,
            pos: 0,
            endian,
        }
    }

    /// The next field of `width` bits (1 to 64); `None` past the end of the bytes.
    pub(super) fn take(&mut self, width: u32) -> Option<u64> {
        let width_usize = usize::try_from(width).ok()?;
        if width == 0 || width > 64 {
            return None;
        }
        let end = self.pos.checked_add(width_usize)?;
        if end > self.bytes.len().checked_mul(8)? {
            return None;
        }
        let value = if self.pos & 7 == 0 && width & 7 == 0 {
            uint(self.endian, self.bytes, self.pos >> 3, width_usize >> 3)?
        } else {
            let mut value = 0u64;
            for (i, k) in (self.pos..end).enumerate() {
                let byte = *self.bytes.get(k >> 3)?;
                let shift = match self.endian {
                    Endian::Little => k & 7,
                    Endian::Big => 7 ^ (k & 7),
                };
                let bit = u64::from((byte >> shift) & 1);
                match self.endian {
                    Endian::Little => value |= bit.checked_shl(u32::try_from(i).ok()?)?,
                    Endian::Big => value = (value << 1) | bit,
                }
            }
            value
        };
        self.pos = end;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_fields_fill_from_the_low_bit() {
        // type:4 = 2, mode:12 = 0o755, uid:8 = 1, gid:8 = 3, then a u32.
        let word: u32 = 2 | (0o755 << 4) | (1 << 16) | (3 << 24);
        let mut bytes = word.to_le_bytes().to_vec();
        bytes.extend_from_slice(&0x1234_5678u32.to_le_bytes());
        let mut bits = Bits::new(&bytes, Endian::Little);
        assert_eq!(bits.take(4), Some(2));
        assert_eq!(bits.take(12), Some(0o755));
        assert_eq!(bits.take(8), Some(1));
        assert_eq!(bits.take(8), Some(3));
        assert_eq!(bits.take(32), Some(0x1234_5678));
        assert_eq!(bits.take(1), None);
    }

    #[test]
    fn big_endian_fields_fill_from_the_high_bit() {
        let word: u32 = (2 << 28) | (0o755 << 16) | (1 << 8) | 3;
        let mut bytes = word.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        let mut bits = Bits::new(&bytes, Endian::Big);
        assert_eq!(bits.take(4), Some(2));
        assert_eq!(bits.take(12), Some(0o755));
        assert_eq!(bits.take(8), Some(1));
        assert_eq!(bits.take(8), Some(3));
        assert_eq!(bits.take(16), Some(0xfffe));
    }

    #[test]
    fn signed_fields_and_odd_widths() {
        // offset:13 = 100, type:3 = 5, size:8 = 7, inode_number:16 = -3 (little-endian).
        let first: u16 = 100 | (5 << 13);
        let mut bytes = first.to_le_bytes().to_vec();
        bytes.push(7);
        bytes.extend_from_slice(&(-3i16).to_le_bytes());
        let mut bits = Bits::new(&bytes, Endian::Little);
        assert_eq!(bits.take(13), Some(100));
        assert_eq!(bits.take(3), Some(5));
        assert_eq!(bits.take(8), Some(7));
        assert_eq!(bits.take(16), Some(0xfffd));
        assert_eq!(Endian::Big.u16(&[1, 2], 0), Some(0x102));
        assert_eq!(Endian::Little.u64(&[1, 2], 0), None);
    }
}
