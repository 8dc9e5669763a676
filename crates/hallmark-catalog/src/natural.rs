//! Natural ordering of identifiers: `ECD-1.2` < `ECD-1.10` < `ECD-10.1`, `5.9-3` < `5.10-1`.

use std::cmp::Ordering;

/// Splits into alternating runs of ASCII digits and other characters.
fn runs(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digit = first.is_ascii_digit();
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digit)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        rest = tail;
        Some(run)
    })
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Compares two identifiers so that embedded numbers compare by value.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut left = runs(a);
    let mut right = runs(b);
    loop {
        match (left.next(), right.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = if is_digits(x) && is_digits(y) {
                    let xs = x.trim_start_matches('0');
                    let ys = y.trim_start_matches('0');
                    xs.len().cmp(&ys.len()).then_with(|| xs.cmp(ys))
                } else {
                    x.cmp(y)
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        let mut ids = vec!["ECD-10.1", "ECD-1.10", "ECD-1.2", "ECD-9.5", "ECD-2.1"];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            ids,
            ["ECD-1.2", "ECD-1.10", "ECD-2.1", "ECD-9.5", "ECD-10.1"]
        );
    }

    #[test]
    fn etsi_and_cra_ids() {
        let mut ids = vec!["6-1", "5.10-1", "5.9-3", "4-1", "5.1-2", "5.13-1"];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(ids, ["4-1", "5.1-2", "5.9-3", "5.10-1", "5.13-1", "6-1"]);
        let mut cra = vec!["II.1", "I.2(b)", "I.1", "I.2(a)", "II.10", "II.2"];
        cra.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(cra, ["I.1", "I.2(a)", "I.2(b)", "II.1", "II.2", "II.10"]);
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        let a = "ECD-99999999999999999999999999.1";
        let b = "ECD-100000000000000000000000000.1";
        assert_eq!(natural_cmp(a, b), Ordering::Less);
        assert_eq!(
            natural_cmp("ECD-01.1", "ECD-1.1"),
            "ECD-01.1".cmp("ECD-1.1")
        );
    }
}
