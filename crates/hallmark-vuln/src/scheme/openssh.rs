//! OpenSSH portable: `8.4p1`, `9.3p2`, `7.2` (the OpenBSD release, before its `p1`).

use std::cmp::Ordering;

use super::{cmp_digits, cmp_dotted, dotted};

fn parse(version: &str) -> Option<(Vec<&str>, &str)> {
    let (release, portable) = match version.split_once('p') {
        Some((release, p)) => {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (release, p)
        }
        None => (version, "0"),
    };
    Some((dotted(release)?, portable))
}

pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    let ((a, pa), (b, pb)) = (parse(a)?, parse(b)?);
    Some(cmp_dotted(&a, &b).then_with(|| cmp_digits(pa, pb)))
}

#[cfg(test)]
mod tests {
    use super::super::Scheme::Openssh;
    use super::super::testing::{ascending, table};
    use std::cmp::Ordering::*;

    #[test]
    fn table_of_versions() {
        ascending(
            Openssh,
            &[
                "5.9", "6.6p1", "7.2", "7.2p1", "7.2p2", "8.4p1", "9.3p2", "10.0p1",
            ],
        );
        table(
            Openssh,
            &[
                ("8.4p1", "8.4.0p1", Some(Equal)),
                ("8.4p", "8.4", None),
                ("8.4-p1", "8.4", None),
            ],
        );
    }
}
