//! UTC timestamps without a calendar dependency.

/// `YYYY-MM-DDThh:mm:ssZ` for `seconds` since the Unix epoch (the form both SPDX `created`
/// and CycloneDX `timestamp` accept); unsigned, so never before 1970.
pub fn rfc3339_utc(seconds: u64) -> String {
    hallmark_model::time::rfc3339_utc(i64::try_from(seconds).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_709_164_800 + 3_661), "2024-02-29T01:01:01Z");
        assert_eq!(rfc3339_utc(1_795_564_800), "2026-11-25T00:00:00Z");
        assert_eq!(rfc3339_utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
