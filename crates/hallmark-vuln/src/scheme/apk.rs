//! Alpine (apk): `1.36.1-r15`, `2.14.9-r2`, `1.0_rc1`, `9.3_p2-r0`, `1.2.3a`. Numbers, an
//! optional letter, suffixes (`_alpha` < `_beta` < `_pre` < `_rc` < the release < `_cvs` <
//! `_svn` < `_git` < `_hg` < `_p`, each with an optional number), then the package revision
//! `-rN`. Where one version has more numbers, it is the greater (`1.2.0` > `1.2`), as apk has it.

use std::cmp::Ordering;

use super::{cmp_digits, dotted, numeric_prefix};

const SUFFIXES: &[(&str, i8)] = &[
    ("alpha", -4),
    ("beta", -3),
    ("pre", -2),
    ("rc", -1),
    ("cvs", 1),
    ("svn", 2),
    ("git", 3),
    ("hg", 4),
    ("p", 5),
];

struct Version<'a> {
    numbers: Vec<&'a str>,
    letter: Option<u8>,
    suffixes: Vec<(i8, &'a str)>,
    revision: &'a str,
}

fn parse(version: &str) -> Option<Version<'_>> {
    let (body, revision) = match version.rsplit_once("-r") {
        Some((body, r)) if !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()) => (body, r),
        Some(_) => return None,
        None => (version, "0"),
    };
    let (head, mut rest) = numeric_prefix(body);
    let numbers = dotted(head)?;
    let mut letter = None;
    if let Some(&c) = rest.as_bytes().first()
        && c.is_ascii_lowercase()
    {
        letter = Some(c);
        rest = rest.get(1..)?;
    }
    let mut suffixes = Vec::new();
    for part in rest.split('_').skip(1) {
        let (rank, n) = SUFFIXES
            .iter()
            .find_map(|(s, r)| part.strip_prefix(s).map(|n| (*r, n)))?;
        if !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        suffixes.push((rank, if n.is_empty() { "0" } else { n }));
    }
    if !rest.is_empty() && !rest.starts_with('_') {
        return None;
    }
    Some(Version {
        numbers,
        letter,
        suffixes,
        revision,
    })
}

pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse(a)?, parse(b)?);
    let mut o = Ordering::Equal;
    for (x, y) in a.numbers.iter().zip(&b.numbers) {
        o = o.then_with(|| cmp_digits(x, y));
    }
    o = o
        .then_with(|| a.numbers.len().cmp(&b.numbers.len()))
        .then_with(|| a.letter.cmp(&b.letter));
    let n = a.suffixes.len().max(b.suffixes.len());
    for i in 0..n {
        let x = a.suffixes.get(i).copied().unwrap_or((0, "0"));
        let y = b.suffixes.get(i).copied().unwrap_or((0, "0"));
        o = o.then_with(|| x.0.cmp(&y.0).then_with(|| cmp_digits(x.1, y.1)));
    }
    Some(o.then_with(|| cmp_digits(a.revision, b.revision)))
}

#[cfg(test)]
mod tests {
    use super::super::Scheme::Apk;
    use super::super::testing::{ascending, table};
    use std::cmp::Ordering::*;

    #[test]
    fn table_of_versions() {
        ascending(
            Apk,
            &[
                "1.24.2-r1",
                "1.24.2-r12",
                "1.27.2-r4",
                "1.27.2-r11",
                "1.36.1_alpha",
                "1.36.1_rc1",
                "1.36.1_rc2",
                "1.36.1",
                "1.36.1-r15",
                "1.36.1_git20230101",
                "1.36.1_p1",
                "1.36.1_p2-r0",
                "1.36.1a",
                "1.37.0-r18",
            ],
        );
        table(
            Apk,
            &[
                ("1.36.1-r0", "1.36.1", Some(Equal)),
                ("1.36.1-rx", "1.36.1", None),
                ("1.36.1_foo", "1.36.1", None),
                ("1.36.1-1", "1.36.1", None),
                ("1.36.1A", "1.36.1", None),
            ],
        );
    }
}
