//! xz streams, including concatenated streams and stream padding.

use std::io::{self, Read};

use lzma_rust2::XzReader;

use crate::decode::{MemberStream, Tracked};
use crate::format::Magic;

/// xz: `fd 37 7a 58 5a 00` and a CRC-checked stream header.
pub(crate) struct XzFormat;

const STREAM_MAGIC: [u8; 6] = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/// Largest LZMA2 decoder memory a block may ask for, in KiB: a 64 MiB dictionary (what
/// `xz -9` uses) plus the decoder's own state. A block asking more is reported as damaged
/// instead of allocating what its header says.
pub(crate) const MEM_LIMIT_KIB: u32 = 64 * 1024 + 1024;

impl MemberStream for XzFormat {
    const ID: &'static str = "xz";
    const DESCRIPTION: &'static str = "xz compressed stream, concatenated streams decoded as one";
    const MAGICS: &'static [Magic] = &[Magic::at_start(&STREAM_MAGIC)];

    fn is_member(data: &[u8]) -> bool {
        let (Some(flags), Some(crc)) = (data.get(6..8), data.get(8..12)) else {
            return false;
        };
        data.starts_with(&STREAM_MAGIC)
            && flags.first() == Some(&0)
            && flags
                .get(1)
                .is_some_and(|check| matches!(check, 0x00 | 0x01 | 0x04 | 0x0a))
            && crc32fast::hash(flags).to_le_bytes() == crc
    }

    /// Stream padding: zero bytes in groups of four between streams.
    fn padding(rest: &[u8]) -> usize {
        let zeros = rest.iter().take_while(|&&b| b == 0).count();
        zeros.saturating_sub(zeros % 4)
    }

    fn open<'a>(_data: &'a [u8], input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>> {
        Ok(Box::new(XzReader::new_mem_limit(
            input,
            false,
            MEM_LIMIT_KIB,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::tests::{extract_ok, output_bytes};
    use crate::testkit;

    #[test]
    fn decodes_streams_across_padding_with_exact_extent() {
        let a = testkit::xz(b"one ");
        let b = testkit::xz(b"two");
        let data = [
            a.clone(),
            vec![0; 8],
            b.clone(),
            vec![0; 3],
            b"end".to_vec(),
        ]
        .concat();
        let (ex, cx) = extract_ok(&XzFormat, &data);
        assert_eq!(output_bytes(&ex), b"one two");
        assert_eq!(ex.consumed, (a.len() + 8 + b.len()) as u64);
        assert!(cx.errors.is_empty(), "{:?}", cx.errors);
    }

    #[test]
    fn header_crc_is_checked() {
        let mut x = testkit::xz(b"abc");
        assert!(XzFormat.probe(&x));
        x[7] = 0x0a;
        assert!(!XzFormat.probe(&x));
    }

    #[test]
    fn corrupted_block_keeps_output_before_it() {
        let payload = testkit::noise(200_000, 11);
        let mut x = testkit::xz(&payload);
        let n = x.len();
        x[n - 40] ^= 0x55;
        let (result, cx) = crate::formats::tests::extract_with(&XzFormat, &x, &Default::default());
        let ex = result.expect("xz with a valid start is accepted");
        assert!(!cx.errors.is_empty());
        // Incompressible data is stored verbatim, so the flipped byte reaches the output
        // before the block check catches it at the end of the block.
        let out = output_bytes(&ex);
        assert!(out.len() <= payload.len());
        let differing = out.iter().zip(&payload).filter(|(a, b)| a != b).count();
        assert!(differing <= 1, "{differing} bytes differ");
    }
}
