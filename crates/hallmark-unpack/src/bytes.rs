//! Numbers read from untrusted bytes, shared by the format parsers.
//!
//! Every reader takes the bytes and an offset and returns `None` when the field is not all
//! there (or the offset overflows): it never panics and never reads past the slice. The
//! conversions saturate, for sizes and offsets that only feed comparisons and clamps.

/// The `N` bytes at `at`.
pub(crate) fn array<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    data.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Little-endian `u16` at `at`.
pub(crate) fn le16(data: &[u8], at: usize) -> Option<u16> {
    array(data, at).map(u16::from_le_bytes)
}

/// Little-endian `u32` at `at`.
pub(crate) fn le32(data: &[u8], at: usize) -> Option<u32> {
    array(data, at).map(u32::from_le_bytes)
}

/// Little-endian `u64` at `at`.
pub(crate) fn le64(data: &[u8], at: usize) -> Option<u64> {
    array(data, at).map(u64::from_le_bytes)
}

/// Big-endian `u16` at `at`.
pub(crate) fn be16(data: &[u8], at: usize) -> Option<u16> {
    array(data, at).map(u16::from_be_bytes)
}

/// Big-endian `u32` at `at`.
pub(crate) fn be32(data: &[u8], at: usize) -> Option<u32> {
    array(data, at).map(u32::from_be_bytes)
}

/// Big-endian `u64` at `at`.
pub(crate) fn be64(data: &[u8], at: usize) -> Option<u64> {
    array(data, at).map(u64::from_be_bytes)
}

/// Little-endian `u16` at `at`, zero when the field is not there: for structures whose later
/// fields an older or shorter record leaves out, and which then read as zero (ext superblocks
/// and inodes, Android sparse headers).
pub(crate) fn le16_or_zero(data: &[u8], at: usize) -> u16 {
    le16(data, at).unwrap_or(0)
}

/// Little-endian `u32` at `at`, zero when the field is not there (see [`le16_or_zero`]).
pub(crate) fn le32_or_zero(data: &[u8], at: usize) -> u32 {
    le32(data, at).unwrap_or(0)
}

/// Byte order of a format written in either (squashfs, cramfs, jffs2, yaffs2 images follow the
/// machine that built them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    /// `u16` in this byte order at `at`.
    pub(crate) fn u16(self, data: &[u8], at: usize) -> Option<u16> {
        match self {
            Endian::Little => le16(data, at),
            Endian::Big => be16(data, at),
        }
    }

    /// `u32` in this byte order at `at`.
    pub(crate) fn u32(self, data: &[u8], at: usize) -> Option<u32> {
        match self {
            Endian::Little => le32(data, at),
            Endian::Big => be32(data, at),
        }
    }

    /// `u64` in this byte order at `at`.
    pub(crate) fn u64(self, data: &[u8], at: usize) -> Option<u64> {
        match self {
            Endian::Little => le64(data, at),
            Endian::Big => be64(data, at),
        }
    }

    /// `little-endian` or `big-endian`, as format variants are named.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Endian::Little => "little-endian",
            Endian::Big => "big-endian",
        }
    }
}

/// `n` as a `u64`, saturating.
pub(crate) fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// `n` (a `u32` or `u64` from a header) as a `usize`, saturating: a value too large for the
/// platform is larger than any data, so every bounds check then fails.
pub(crate) fn to_usize(n: impl TryInto<usize>) -> usize {
    n.try_into().unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_stay_inside_the_slice() {
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(le16(&data, 0), Some(0x0201));
        assert_eq!(be16(&data, 7), Some(0x0809));
        assert_eq!(be16(&data, 8), None);
        assert_eq!(le32(&data, 5), Some(0x0908_0706));
        assert_eq!(be32(&data, 6), None);
        assert_eq!(le64(&data, 1), Some(0x0908_0706_0504_0302));
        assert_eq!(be64(&data, 0), Some(0x0102_0304_0506_0708));
        assert_eq!(be64(&data, 2), None);
        assert_eq!(le32(&data, usize::MAX), None);
        assert_eq!(array::<0>(&data, 9), Some([]));
        assert_eq!(le16_or_zero(&data, 8), 0);
        assert_eq!(le32_or_zero(&data, 4), 0x0807_0605);
        assert_eq!(Endian::Big.u16(&[1, 2], 0), Some(0x102));
        assert_eq!(Endian::Little.u32(&[1, 2, 3, 4], 0), Some(0x0403_0201));
        assert_eq!(Endian::Little.u64(&[1, 2], 0), None);
    }

    #[test]
    fn conversions_saturate() {
        assert_eq!(to_u64(7), 7);
        assert_eq!(to_usize(7u32), 7);
        assert_eq!(to_usize(u64::MAX), usize::MAX);
    }
}
