//! Linux kernel: `4.14.180`, `2.6.21.5`, `6.1-rc1`. A `-rcN` is a pre-release of the version
//! before it (`4.14-rc1` < `4.14` = `4.14.0`). Any other suffix is a local version (a
//! distribution ABI or board tag, `4.14.0-licheepi-nano+`, `2.6.31--LSDK-9.2.0.312`) that
//! does not change the upstream version, and is ignored.

use std::cmp::Ordering;

use super::{cmp_digits, cmp_dotted, dotted, numeric_prefix};

fn parse(version: &str) -> Option<(Vec<&str>, Option<&str>)> {
    let (head, rest) = numeric_prefix(version);
    let numbers = dotted(head)?;
    if numbers.len() < 2 {
        return None;
    }
    if rest.is_empty() {
        return Some((numbers, None));
    }
    if !rest.starts_with(['-', '+', '_']) {
        return None;
    }
    let rc = rest.strip_prefix("-rc").and_then(|n| {
        let digits: &str = n.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("");
        (!digits.is_empty()).then_some(digits)
    });
    Some((numbers, rc))
}

pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    let ((a, ra), (b, rb)) = (parse(a)?, parse(b)?);
    Some(cmp_dotted(&a, &b).then_with(|| match (ra, rb) {
        (None, None) => Ordering::Equal,
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(x), Some(y)) => cmp_digits(x, y),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::Scheme::Kernel;
    use super::super::testing::{ascending, table};
    use std::cmp::Ordering::*;

    #[test]
    fn table_of_versions() {
        ascending(
            Kernel,
            &[
                "2.6.21.5",
                "2.6.31",
                "2.6.36",
                "3.3.8",
                "4.14-rc1",
                "4.14-rc8",
                "4.14",
                "4.14.1",
                "4.14.9",
                "4.14.180",
                "5.10.0-rc2",
                "5.10.0",
                "6.1",
            ],
        );
        table(
            Kernel,
            &[
                ("4.14.0-licheepi-nano+", "4.14.0", Some(Equal)),
                ("2.6.31--LSDK-9.2.0.312", "2.6.31", Some(Equal)),
                ("4.14.0", "4.14", Some(Equal)),
                ("4", "4.0", None),
                ("4.14a", "4.14", None),
            ],
        );
    }
}
