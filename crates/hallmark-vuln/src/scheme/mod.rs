//! Version schemes: how versions of one kind compare.
//!
//! Each scheme is one unit (one file here, with its table tests). A comparison returns
//! `None`, "incomparable", whenever a version does not follow the scheme: a matcher then
//! says it could not decide instead of guessing.

mod apk;
mod busybox;
mod debian;
mod dropbear;
mod generic;
mod kernel;
mod openssh;
mod openssl;

use std::cmp::Ordering;

/// A version scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// Dot-separated numbers (`2.85`, `1.4.59`); `1.36` equals `1.36.0`.
    Generic,
    /// OpenSSL: numbers, then release letters (`1.0.2k` < `1.0.2zb`), and `-alpha`/`-beta`
    /// pre-releases (`3.0.0-beta2` < `3.0.0`).
    Openssl,
    /// Dropbear: `year.number` (`2020.81`), after the old `0.number` releases (`0.46`).
    Dropbear,
    /// BusyBox: dotted numbers, with the early `1.00`/`1.01` releases (before `1.1.0`).
    Busybox,
    /// Linux kernel: dotted numbers, `-rcN` before the release, local suffixes ignored.
    Kernel,
    /// Debian (dpkg): `epoch:upstream-revision`, with `~` before anything.
    Debian,
    /// Alpine (apk): `1.36.1-r15`, `_rc`/`_pre` before and `_p`/`_git` after the release.
    Apk,
    /// OpenSSH: `8.4p1`: numbers, then the portable release number.
    Openssh,
}

/// Every scheme, by id.
pub const SCHEMES: &[(&str, Scheme)] = &[
    ("apk", Scheme::Apk),
    ("busybox", Scheme::Busybox),
    ("debian", Scheme::Debian),
    ("dropbear", Scheme::Dropbear),
    ("generic", Scheme::Generic),
    ("kernel", Scheme::Kernel),
    ("openssh", Scheme::Openssh),
    ("openssl", Scheme::Openssl),
];

impl Scheme {
    /// The scheme's id (as used in `data/products.toml`).
    pub fn id(self) -> &'static str {
        SCHEMES
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("generic", |(id, _)| id)
    }

    /// The scheme with id `id`.
    pub fn from_id(id: &str) -> Option<Scheme> {
        SCHEMES.iter().find(|(i, _)| *i == id).map(|(_, s)| *s)
    }

    /// Compares `a` with `b`; `None` when either does not follow the scheme.
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        let (a, b) = (a.trim(), b.trim());
        if a.is_empty() || b.is_empty() || a.len() > MAX_VERSION_LEN || b.len() > MAX_VERSION_LEN {
            return None;
        }
        match self {
            Scheme::Generic => generic::compare(a, b),
            Scheme::Openssl => openssl::compare(a, b),
            Scheme::Dropbear => dropbear::compare(a, b),
            Scheme::Busybox => busybox::compare(a, b),
            Scheme::Kernel => kernel::compare(a, b),
            Scheme::Debian => debian::compare(a, b),
            Scheme::Apk => apk::compare(a, b),
            Scheme::Openssh => openssh::compare(a, b),
        }
    }
}

/// Versions longer than this are not versions.
const MAX_VERSION_LEN: usize = 128;

/// Compares two strings of ASCII digits as numbers of any length.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `1.2.3` as its numbers (digit strings); `None` unless every part is digits.
pub(crate) fn dotted(version: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = version.split('.').collect();
    parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .then_some(parts)
}

/// Compares dotted numbers, a missing part counting as zero (`1.36` = `1.36.0`).
pub(crate) fn cmp_dotted(a: &[&str], b: &[&str]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or("0");
        let y = b.get(i).copied().unwrap_or("0");
        let o = cmp_digits(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Splits `version` into its leading run of digits and dots (without a trailing dot) and the
/// rest.
pub(crate) fn numeric_prefix(version: &str) -> (&str, &str) {
    let end = version
        .bytes()
        .position(|b| !(b.is_ascii_digit() || b == b'.'))
        .unwrap_or(version.len());
    let (mut head, mut tail) = version.split_at(end);
    if let Some(h) = head.strip_suffix('.') {
        head = h;
        tail = version.get(end.saturating_sub(1)..).unwrap_or(tail);
    }
    (head, tail)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Scheme;
    use std::cmp::Ordering;

    /// Asserts each `(a, b, expected)` and its mirror image.
    pub(crate) fn table(scheme: Scheme, cases: &[(&str, &str, Option<Ordering>)]) {
        for (a, b, expected) in cases {
            assert_eq!(scheme.compare(a, b), *expected, "{scheme:?}: {a} vs {b}");
            assert_eq!(
                scheme.compare(b, a),
                expected.map(Ordering::reverse),
                "{scheme:?}: {b} vs {a}"
            );
        }
    }

    /// Asserts that `versions` are in strictly increasing order.
    pub(crate) fn ascending(scheme: Scheme, versions: &[&str]) {
        for (i, a) in versions.iter().enumerate() {
            for b in versions.iter().skip(i + 1) {
                assert_eq!(
                    scheme.compare(a, b),
                    Some(Ordering::Less),
                    "{scheme:?}: {a} < {b}"
                );
                assert_eq!(
                    scheme.compare(b, a),
                    Some(Ordering::Greater),
                    "{scheme:?}: {b} > {a}"
                );
            }
            assert_eq!(
                scheme.compare(a, a),
                Some(Ordering::Equal),
                "{scheme:?}: {a}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_sorted_unique_and_round_trip() {
        let ids: Vec<&str> = SCHEMES.iter().map(|(id, _)| *id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for (id, scheme) in SCHEMES {
            assert_eq!(Scheme::from_id(id), Some(*scheme));
            assert_eq!(scheme.id(), *id);
        }
    }

    #[test]
    fn hostile_versions_never_panic() {
        let long = "9".repeat(200);
        let odd = [
            "",
            ".",
            "..",
            "-",
            "~",
            ":",
            "1:",
            ":1",
            "1..2",
            "1.2.",
            "_",
            "-r",
            "1-r",
            "p",
            "ü.1",
            "1.2\u{0}",
            "99999999999999999999999999.1",
            long.as_str(),
            "1.0.2-",
            "1_rc_",
            "0:~",
        ];
        for (_, scheme) in SCHEMES {
            for a in odd {
                for b in odd.iter().chain(["1.2.3", "1.0.2k", "2020.81"].iter()) {
                    let _ = scheme.compare(a, b);
                }
            }
        }
        assert_eq!(Scheme::Generic.compare(&long, "1"), None);
    }

    #[test]
    fn digits_compare_as_numbers() {
        assert_eq!(cmp_digits("010", "9"), Ordering::Greater);
        assert_eq!(cmp_digits("0", "000"), Ordering::Equal);
        assert_eq!(numeric_prefix("4.14.0-rc1"), ("4.14.0", "-rc1"));
        assert_eq!(numeric_prefix("1.0.2k"), ("1.0.2", "k"));
        assert_eq!(numeric_prefix("1.2.p1"), ("1.2", ".p1"));
    }
}
