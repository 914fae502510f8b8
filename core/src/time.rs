//! Time arithmetic that cannot panic: timestamps plus durations saturate at the end of time instead of
//! overflowing, and timestamps read from a status that do not parse are absent.

use alloc::string::{String, ToString};
use core::time::Duration;
use jiff::{SignedDuration, Timestamp};

/// `at + duration`, or the latest representable instant when that overflows.
pub fn add(at: Timestamp, duration: Duration) -> Timestamp {
    SignedDuration::try_from(duration).ok().and_then(|d| at.checked_add(d).ok()).unwrap_or(Timestamp::MAX)
}

/// How long from `from` until `to`; zero when `to` is not later.
pub fn until(from: Timestamp, to: Timestamp) -> Duration {
    Duration::try_from(to.duration_since(from)).unwrap_or(Duration::ZERO)
}

/// Parses an RFC 3339 timestamp from a status; `None` when absent or malformed.
pub fn parse(value: &Option<String>) -> Option<Timestamp> {
    value.as_deref().and_then(|v| v.parse().ok())
}

/// A timestamp as a status holds it (RFC 3339).
pub fn show(at: Timestamp) -> String {
    at.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_saturates_instead_of_panicking() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        assert_eq!(add(now, Duration::from_secs(10)), Timestamp::from_second(1_800_000_010).unwrap());
        assert_eq!(add(now, Duration::from_secs(99_999_999 * 3600)), Timestamp::MAX);
        assert_eq!(add(now, Duration::MAX), Timestamp::MAX);
        assert_eq!(add(Timestamp::MAX, Duration::from_millis(1)), Timestamp::MAX);
    }

    #[test]
    fn until_is_never_negative() {
        let a = Timestamp::from_second(100).unwrap();
        let b = Timestamp::from_second(103).unwrap();
        assert_eq!(until(a, b), Duration::from_secs(3));
        assert_eq!(until(b, a), Duration::ZERO);
        assert_eq!(parse(&Some("not a time".into())), None);
        assert_eq!(parse(&Some(show(a))), Some(a));
    }
}
