//! Wall-clock time in the one format the API and the table use.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The current UTC time as RFC 3339 with millisecond precision, e.g.
/// `2026-11-24T21:30:44.123Z`: what `createdAt` and `updatedAt` hold.
pub fn now_rfc3339() -> String {
    format_rfc3339(OffsetDateTime::now_utc())
}

/// Milliseconds since the Unix epoch: the unit of EMF timestamps.
pub fn now_epoch_millis() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Seconds since the Unix epoch: the unit of DynamoDB's TTL attribute.
pub fn now_epoch_seconds() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC, like
/// [`now_rfc3339`]; out-of-range input gives the epoch.
pub fn rfc3339_from_epoch_millis(millis: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format_rfc3339(at)
}

/// The later of two RFC 3339 timestamps (as written by this module); a
/// timestamp that does not parse loses.
pub fn later_of<'a>(first: &'a str, second: &'a str) -> &'a str {
    let parse = |text: &str| OffsetDateTime::parse(text, &Rfc3339).ok();
    if parse(second) > parse(first) {
        second
    } else {
        first
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`: always three fractional digits, so the
/// timestamps of the API sort as strings in time order.
fn format_rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_milliseconds() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        assert_eq!(format_rfc3339(at), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn formats_epoch_milliseconds() {
        assert_eq!(
            rfc3339_from_epoch_millis(1_428_537_600_250),
            "2015-04-09T00:00:00.250Z"
        );
        assert_eq!(
            rfc3339_from_epoch_millis(i64::MAX),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339_from_epoch_millis(1_428_537_600_000),
            "2015-04-09T00:00:00.000Z"
        );
    }

    #[test]
    fn later_of_compares_instants_not_text() {
        assert_eq!(
            later_of("2026-11-24T22:08:51.499Z", "2026-11-24T22:08:51Z"),
            "2026-11-24T22:08:51.499Z"
        );
        assert_eq!(
            later_of("2026-11-24T22:08:00Z", "2026-11-24T22:08:51.499Z"),
            "2026-11-24T22:08:51.499Z"
        );
        assert_eq!(
            later_of("garbage", "2026-11-24T22:08:00Z"),
            "2026-11-24T22:08:00Z"
        );
    }

    #[test]
    fn now_is_rfc3339_utc() {
        let now = now_rfc3339();
        assert!(now.ends_with('Z'), "{now}");
        assert!(OffsetDateTime::parse(&now, &Rfc3339).is_ok(), "{now}");
    }
}
