//! OpenSSL: `1.0.2k`, `1.1.1w`, `1.0.2zb` (release letters after the numbers: none < `a` <
//! ... < `z` < `za` < `zb`), `3.0.20` (no letters since 3.0), and `-alpha`/`-beta`/`-pre`
//! pre-releases before their release (`3.0.0-beta2` < `3.0.0`). Other suffixes (`-fips`,
//! `-dev`) are incomparable: the build may differ from the release.

use std::cmp::Ordering;

use super::{cmp_digits, cmp_dotted, dotted, numeric_prefix};

struct Version<'a> {
    numbers: Vec<&'a str>,
    letters: &'a str,
    /// Pre-release: (rank of alpha/beta/pre, number).
    pre: Option<(u8, &'a str)>,
}

fn parse(version: &str) -> Option<Version<'_>> {
    let (head, rest) = numeric_prefix(version);
    let numbers = dotted(head)?;
    let (letters, tag) = match rest.split_once('-') {
        Some((letters, tag)) => (letters, Some(tag)),
        None => (rest, None),
    };
    if !letters.bytes().all(|b| b.is_ascii_lowercase()) || letters.len() > 3 {
        return None;
    }
    let pre = match tag {
        None => None,
        Some(tag) => {
            let (rank, n) = [("alpha", 0u8), ("beta", 1), ("pre", 2)]
                .iter()
                .find_map(|(p, r)| tag.strip_prefix(p).map(|n| (*r, n)))?;
            if !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some((rank, n))
        }
    };
    Some(Version {
        numbers,
        letters,
        pre,
    })
}

pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse(a)?, parse(b)?);
    Some(
        cmp_dotted(&a.numbers, &b.numbers)
            .then_with(|| {
                a.letters
                    .len()
                    .cmp(&b.letters.len())
                    .then_with(|| a.letters.cmp(b.letters))
            })
            .then_with(|| match (a.pre, b.pre) {
                (None, None) => Ordering::Equal,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((r, x)), Some((s, y))) => r.cmp(&s).then_with(|| cmp_digits(x, y)),
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::super::Scheme::Openssl;
    use super::super::testing::{ascending, table};
    use std::cmp::Ordering::*;

    #[test]
    fn table_of_versions() {
        ascending(
            Openssl,
            &[
                "0.9.8",
                "0.9.8zh",
                "1.0.0",
                "1.0.1u",
                "1.0.2",
                "1.0.2a",
                "1.0.2k",
                "1.0.2n",
                "1.0.2z",
                "1.0.2za",
                "1.0.2zb",
                "1.1.0",
                "1.1.1",
                "1.1.1w",
                "3.0.0-alpha1",
                "3.0.0-beta2",
                "3.0.0",
                "3.0.9",
                "3.0.20",
                "3.5.0",
            ],
        );
        table(
            Openssl,
            &[
                ("3.0", "3.0.0", Some(Equal)),
                ("1.0.2k-fips", "1.0.2k", None),
                ("1.0.2K", "1.0.2k", None),
                ("1.0.2-dev", "1.0.2", None),
            ],
        );
    }
}
