//! Dates without a time-zone database: UTC only.

use std::time::{SystemTime, UNIX_EPOCH};

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time.
pub fn rfc3339(secs: i64) -> String {
    hallmark_model::time::rfc3339_utc(secs)
}

/// The current time, RFC 3339 UTC.
pub fn utc_now() -> String {
    rfc3339(now_secs())
}

/// Today's date, `YYYY-MM-DD` UTC.
pub fn utc_today() -> String {
    utc_now().chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_756_142_659), "2025-08-25T17:24:19Z");
        assert_eq!(rfc3339(-86_400), "1969-12-31T00:00:00Z");
        assert_eq!(utc_today().len(), 10);
    }
}
