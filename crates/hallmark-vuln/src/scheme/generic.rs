//! Dot-separated numbers: `2.85`, `1.4.59`, `20241121`. Anything else is incomparable.

use std::cmp::Ordering;

use super::{cmp_dotted, dotted};

pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    Some(cmp_dotted(&dotted(a)?, &dotted(b)?))
}

#[cfg(test)]
mod tests {
    use super::super::Scheme::Generic;
    use super::super::testing::{ascending, table};
    use std::cmp::Ordering::*;

    #[test]
    fn table_of_versions() {
        ascending(Generic, &["0.9", "1.4.9", "1.4.59", "2.8", "2.85", "10.0"]);
        table(
            Generic,
            &[
                ("1.36", "1.36.0", Some(Equal)),
                ("2.085", "2.85", Some(Equal)),
                ("1.1.1w", "1.1.1", None),
                ("1.0-rc1", "1.0", None),
                ("1..2", "1.2", None),
                ("v1.2", "1.2", None),
            ],
        );
    }
}
