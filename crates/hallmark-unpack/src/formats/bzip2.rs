//! bzip2 streams, including concatenated streams (as `pbzip2` writes them).

use std::io::{self, Read};

use bzip2::bufread::BzDecoder;

use crate::decode::{MemberStream, Tracked};
use crate::format::Magic;

/// bzip2: `BZh` + block size digit + a block or end-of-stream marker.
pub(crate) struct Bzip2Format;

const BLOCK_MAGIC: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const END_MAGIC: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

impl MemberStream for Bzip2Format {
    const ID: &'static str = "bzip2";
    const DESCRIPTION: &'static str =
        "bzip2 compressed stream, concatenated streams decoded as one";
    const MAGICS: &'static [Magic] = &[Magic::at_start(b"BZh")];

    fn is_member(data: &[u8]) -> bool {
        data.starts_with(b"BZh")
            && data
                .get(3)
                .is_some_and(|level| (b'1'..=b'9').contains(level))
            && data
                .get(4..10)
                .is_some_and(|marker| marker == BLOCK_MAGIC || marker == END_MAGIC)
    }

    fn open<'a>(_data: &'a [u8], input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>> {
        Ok(Box::new(BzDecoder::new(input)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::{extract_ok, output_bytes};
    use crate::testkit;

    #[test]
    fn decodes_concatenated_streams_with_exact_extent() {
        let a = testkit::bzip2(b"first ");
        let b = testkit::bzip2(b"second");
        let data = [a.clone(), b.clone(), vec![0xff; 7]].concat();
        let (ex, cx) = extract_ok(&Bzip2Format, &data);
        assert_eq!(ex.consumed, (a.len() + b.len()) as u64);
        assert_eq!(output_bytes(&ex), b"first second");
        assert!(cx.errors.is_empty());
    }

    #[test]
    fn truncated_stream_is_recorded() {
        let payload = testkit::noise(300_000, 9);
        let bz = testkit::bzip2(&payload);
        let (result, cx) = crate::formats::tests::extract_with(
            &Bzip2Format,
            &bz[..bz.len() - 100],
            &Default::default(),
        );
        // bzip2 emits whole blocks: a cut in the last block may leave nothing to keep.
        match result {
            Ok(ex) => {
                assert!(!cx.errors.is_empty());
                let out = output_bytes(&ex);
                assert!(
                    out[..] == payload[..out.len()],
                    "output differs from the payload"
                );
            }
            Err(_) => assert!(cx.errors.is_empty()),
        }
    }
}
