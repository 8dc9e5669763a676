//! BusyBox: dotted numbers (`1.19.4`, `1.36.1`). The first stable releases were `1.00` and
//! `1.01` (2004-2005), before `1.1.0` (2006): a two-digit minor with a leading zero is read as
//! `1.0.x`. `-preN`/`-rcN` pre-releases come before their release.

use std::cmp::Ordering;

use super::{cmp_digits, cmp_dotted, dotted};

struct Version<'a> {
    numbers: Vec<&'a str>,
    /// `Some(n)` for the n-th pre-release.
    pre: Option<&'a str>,
}

fn parse(version: &str) -> Option<Version<'_>> {
    let (release, pre) = match version.split_once('-') {
        Some((release, tag)) => {
            let n = tag.strip_prefix("pre").or_else(|| tag.strip_prefix("rc"))?;
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (release, Some(n))
        }
        None => (version, None),
    };
    let mut numbers = dotted(release)?;
    if let [major, minor] = numbers.as_slice()
        && *major == "1"
        && minor.len() == 2
        && minor.starts_with('0')
    {
        let minor = minor.get(1..).unwrap_or("0");
        numbers = vec!["1", "0", minor];
    }
    Some(Version { numbers, pre })
}

pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse(a)?, parse(b)?);
    Some(
        cmp_dotted(&a.numbers, &b.numbers).then_with(|| match (a.pre, b.pre) {
            (None, None) => Ordering::Equal,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => cmp_digits(x, y),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::super::Scheme::Busybox;
    use super::super::testing::{ascending, table};
    use std::cmp::Ordering::*;

    #[test]
    fn table_of_versions() {
        ascending(
            Busybox,
            &[
                "1.00-pre10",
                "1.00",
                "1.01",
                "1.1.0",
                "1.1.3",
                "1.19.2",
                "1.19.4",
                "1.23.2",
                "1.27.2",
                "1.30.1",
                "1.35.0",
                "1.36",
                "1.36.1",
                "1.37.0-rc1",
                "1.37.0",
            ],
        );
        table(
            Busybox,
            &[
                ("1.36", "1.36.0", Some(Equal)),
                ("1.01", "1.0.1", Some(Equal)),
                ("1.36.1.git", "1.36.1", None),
                ("1.36.1-x", "1.36.1", None),
            ],
        );
    }
}
