//! Debian (dpkg): `[epoch:]upstream[-revision]`, compared as dpkg does: the epoch as a
//! number, then upstream and revision alternating runs of non-digits (letters before other
//! characters, `~` before everything, even the end) and numbers.

use std::cmp::Ordering;

use super::cmp_digits;

struct Version<'a> {
    epoch: &'a str,
    upstream: &'a str,
    revision: &'a str,
}

fn parse(version: &str) -> Option<Version<'_>> {
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (epoch, rest)
        }
        None => ("0", version),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((upstream, revision)) => (upstream, revision),
        None => (rest, ""),
    };
    let allowed = |s: &str, extra: &[u8]| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+.~".contains(&b) || extra.contains(&b))
    };
    if !upstream.starts_with(|c: char| c.is_ascii_digit())
        || !allowed(upstream, b"-:")
        || !allowed(revision, b"")
        || (rest.contains('-') && revision.is_empty())
    {
        return None;
    }
    Some(Version {
        epoch,
        upstream,
        revision,
    })
}

/// The weight of a non-digit character: `~` lowest, then the end of the part, then letters,
/// then everything else.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's comparison of one part (upstream or revision).
fn compare_part(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        // The non-digit run.
        loop {
            let x = a.get(i).copied().filter(|c| !c.is_ascii_digit());
            let y = b.get(j).copied().filter(|c| !c.is_ascii_digit());
            if x.is_none() && y.is_none() {
                break;
            }
            let o = weight(x).cmp(&weight(y));
            if o != Ordering::Equal {
                return o;
            }
            i += usize::from(x.is_some());
            j += usize::from(y.is_some());
        }
        // The digit run, as a number.
        let start_i = i;
        while a.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let start_j = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let x = std::str::from_utf8(a.get(start_i..i).unwrap_or_default()).unwrap_or("");
        let y = std::str::from_utf8(b.get(start_j..j).unwrap_or_default()).unwrap_or("");
        let o = cmp_digits(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse(a)?, parse(b)?);
    Some(
        cmp_digits(a.epoch, b.epoch)
            .then_with(|| compare_part(a.upstream, b.upstream))
            .then_with(|| compare_part(a.revision, b.revision)),
    )
}

#[cfg(test)]
mod tests {
    use super::super::Scheme::Debian;
    use super::super::testing::{ascending, table};
    use std::cmp::Ordering::*;

    #[test]
    fn table_of_versions() {
        ascending(
            Debian,
            &[
                "1.0~rc1",
                "1.0",
                "1.0-1",
                "1.0-1+b1",
                "1.0-1.1",
                "1.0-2",
                "1.0a",
                "1.0+dfsg-1",
                "1.1~~",
                "1.1~",
                "1.1",
                "1.1.1w-0+deb11u1",
                "1.30.1-6",
                "1.30.1-6+b3",
                "1:0.9",
                "1:1.30.1-6+b3",
                "2:1.0",
            ],
        );
        table(
            Debian,
            &[
                ("0:1.0-1", "1.0-1", Some(Equal)),
                ("1.0-0", "1.0", Some(Equal)),
                ("1.0-", "1.0", None),
                ("a1.0", "1.0", None),
                ("x:1.0", "1.0", None),
                ("1.0 1", "1.0", None),
            ],
        );
    }
}
