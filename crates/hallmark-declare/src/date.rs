//! Calendar dates, without a calendar dependency.

use std::fmt;

/// A proleptic Gregorian calendar date, ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, when it exists (years 1 to 9999).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD` exactly (no time, no offset).
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = text.get(range)?;
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let year = number(0..4)?;
        let month = u8::try_from(number(5..7)?).ok()?;
        let day = u8::try_from(number(8..10)?).ok()?;
        Date::new(year, month, day)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_real_dates_only() {
        let d = Date::parse("2030-12-31").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2030, 12, 31));
        assert_eq!(d.to_string(), "2030-12-31");
        assert!(Date::parse("2024-02-29").is_some(), "leap year");
        assert!(Date::parse("2100-02-29").is_none(), "not a leap year");
        assert!(Date::parse("2000-02-29").is_some(), "400-year leap year");
        for bad in [
            "2030-13-01",
            "2030-00-10",
            "2030-04-31",
            "0000-01-01",
            "2030-1-01",
            "2030/01/01",
            "2030-01-01T00:00:00Z",
            "+030-01-01",
            "",
            "２０３０-01-01",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
        assert!(Date::parse("2030-01-02") > Date::parse("2030-01-01"));
        assert!(Date::parse("2031-01-01") > Date::parse("2030-12-31"));
    }
}
