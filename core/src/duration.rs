//! Durations as written in ChaosCenter objects (`90s`, `1m30s`, `250ms`): parsing without overflow, and
//! writing one back in the same form.

use alloc::string::String;
use core::fmt::Write;
use core::time::Duration;

/// Parses a duration made of whole numbers with units ms, s, m or h, e.g. `1m30s` or `250ms`
/// (`crds::common::DURATION_PATTERN`). `None` for anything else, or for a total that does not fit in a
/// `u64` of milliseconds.
pub fn parse(text: &str) -> Option<Duration> {
    if text.is_empty() {
        return None;
    }
    let mut total_ms: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let value: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit_ms, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else {
            return None;
        };
        total_ms = total_ms.checked_add(value.checked_mul(unit_ms)?)?;
        rest = &rest[len..];
    }
    Some(Duration::from_millis(total_ms))
}

/// Writes a duration in the form [`parse`] reads, to the millisecond: `1h30m`, `1m30s`, `2s500ms`, `0s`.
pub fn format(duration: Duration) -> String {
    let total_ms = duration.as_millis();
    if total_ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let parts = [(3_600_000, "h"), (60_000, "m"), (1_000, "s"), (1, "ms")];
    let mut rest = total_ms;
    for (unit, suffix) in parts {
        let n = rest / unit;
        rest %= unit;
        if n > 0 {
            let _ = write!(out, "{n}{suffix}");
        }
    }
    out
}

/// A duration in whole seconds for people, e.g. `1m32s` (rounded down to the second).
pub fn human(duration: Duration) -> String {
    format(Duration::from_secs(duration.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_the_schema_pattern_allows() {
        assert_eq!(parse("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse("1h1m1s1ms"), Some(Duration::from_millis(3_661_001)));
        assert_eq!(
            parse("99999999h"),
            Some(Duration::from_secs(99_999_999 * 3600)),
            "parses; bounds are the validator's"
        );
        for bad in ["", "s", "10", "1.5s", "-1s", "1d", "1 s", "99999999999999999999h", "5124095576030432h"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_what_it_parses() {
        for (d, text) in [
            (Duration::ZERO, "0s"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_millis(2500), "2s500ms"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(5400), "1h30m"),
            (Duration::from_secs(24 * 3600), "24h"),
        ] {
            assert_eq!(format(d), text);
            assert_eq!(parse(text), Some(d));
        }
        assert_eq!(human(Duration::from_millis(92_700)), "1m32s");
    }
}
