//! Dropbear: `year.number` (`2011.54`, `2020.81`, `2022.83`), preceded by the `0.number`
//! releases (`0.46`, `0.53.1`) before 2011. Compared as numbers; anything else (`0.44test3`)
//! is incomparable.

use std::cmp::Ordering;

use super::{cmp_dotted, dotted};

fn parse(version: &str) -> Option<Vec<&str>> {
    let numbers = dotted(version)?;
    (2..=3).contains(&numbers.len()).then_some(numbers)
}

pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    Some(cmp_dotted(&parse(a)?, &parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::super::Scheme::Dropbear;
    use super::super::testing::{ascending, table};

    #[test]
    fn table_of_versions() {
        ascending(
            Dropbear,
            &[
                "0.46", "0.52", "0.53.1", "2011.54", "2012.55", "2016.73", "2016.74", "2020.81",
                "2022.83",
            ],
        );
        table(
            Dropbear,
            &[
                ("0.44test3", "0.46", None),
                ("2020", "2020.81", None),
                ("v2020.81", "2020.81", None),
            ],
        );
    }
}
