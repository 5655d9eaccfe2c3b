//! Times as RFC 3339 in UTC (`2026-11-25T19:49:32Z`), the form every artifact, annotation and
//! index entry carries; formatting and parsing are `humantime`'s.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `seconds` since the epoch as RFC 3339 in UTC, e.g. `2026-11-25T19:49:32Z`; times before 1970
/// are written as the epoch.
pub fn rfc3339(seconds: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Seconds since the epoch of an RFC 3339 time in UTC (`YYYY-MM-DDTHH:MM:SS[.frac]Z`).
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let time = humantime::parse_rfc3339(text).ok()?;
    i64::try_from(time.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_utc_seconds() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.123456789Z"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2023-11-14 22:13:20"), None);
    }
}
