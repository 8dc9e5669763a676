//! gzip (RFC 1952), including concatenated members.

use std::io::{self, Read};

use flate2::bufread::GzDecoder;

use crate::decode::{MemberStream, Tracked};
use crate::format::Magic;

/// gzip: `1f 8b`, method 8 (deflate).
pub(crate) struct GzipFormat;

/// Header flag bits 5 to 7 are reserved and must be zero.
const RESERVED_FLAGS: u8 = 0xe0;

/// Operating system byte: 0 to 13 are defined, 255 is "unknown".
fn plausible_os(os: u8) -> bool {
    os <= 13 || os == 255
}

impl MemberStream for GzipFormat {
    const ID: &'static str = "gzip";
    const DESCRIPTION: &'static str =
        "gzip compressed stream (RFC 1952), concatenated members decoded as one";
    const MAGICS: &'static [Magic] = &[Magic::at_start(&[0x1f, 0x8b, 0x08])];

    fn is_member(data: &[u8]) -> bool {
        data.len() >= 18
            && data.starts_with(&[0x1f, 0x8b, 0x08])
            && data.get(3).is_some_and(|flags| flags & RESERVED_FLAGS == 0)
            && data.get(9).copied().is_some_and(plausible_os)
    }

    fn open<'a>(_data: &'a [u8], input: Tracked<'a>) -> io::Result<Box<dyn Read + 'a>> {
        Ok(Box::new(GzDecoder::new(input)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::tests::{extract_ok, extract_with, output_bytes};
    use crate::testkit;

    #[test]
    fn decodes_members_and_measures_the_extent_exactly() {
        let one = testkit::gzip(b"hello ");
        let two = testkit::gzip(b"world");
        let mut data = [one.clone(), two].concat();
        let stream_len = data.len();
        data.extend_from_slice(b"TRAILING JUNK");
        let (ex, cx) = extract_ok(&GzipFormat, &data);
        assert_eq!(ex.consumed, stream_len as u64);
        assert_eq!(output_bytes(&ex), b"hello world");
        assert!(cx.errors.is_empty());
        assert!(GzipFormat.probe(&one));
    }

    #[test]
    fn truncated_stream_keeps_output_and_records_an_error() {
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let gz = testkit::gzip(&payload);
        let cut = &gz[..gz.len() / 2];
        let (ex, cx) = extract_ok(&GzipFormat, cut);
        let out = output_bytes(&ex);
        assert!(!out.is_empty() && out.len() < payload.len());
        assert!(
            out[..] == payload[..out.len()],
            "output differs from the payload"
        );
        assert_eq!(cx.errors.len(), 1, "{:?}", cx.errors);
    }

    #[test]
    fn header_without_valid_deflate_is_rejected() {
        let mut gz = testkit::gzip(b"hello");
        gz[10] = 0xff; // invalid block type
        gz[11] = 0xff;
        assert!(
            extract_with(&GzipFormat, &gz, &Default::default())
                .0
                .is_err()
        );
        let mut bad_flags = testkit::gzip(b"x");
        bad_flags[3] = 0x80;
        assert!(!GzipFormat.probe(&bad_flags));
    }
}
