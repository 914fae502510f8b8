//! Cron schedules in a time zone: parsing, the next run time, and the latest missed one.

use alloc::format;
use alloc::string::{String, ToString};
use croner::Cron;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A parsed schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    cron: Cron,
    tz: TimeZone,
    expr: String,
    tz_name: String,
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr && self.tz_name == other.tz_name
    }
}

/// Why a schedule is not valid, and which field says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleError {
    /// `spec.schedule` is wrong.
    Expression(String),
    /// `spec.timeZone` is wrong.
    TimeZone(String),
}

impl Schedule {
    /// Parses a five-field cron expression (or a macro such as `@hourly`) read in the IANA time zone `tz`.
    pub fn parse(expr: &str, tz: &str) -> Result<Self, ScheduleError> {
        if expr.split_whitespace().count() > 5 {
            return Err(ScheduleError::Expression(format!(
                "{expr:?} has more than five fields (seconds are not supported)"
            )));
        }
        let cron: Cron = expr
            .parse()
            .map_err(|e| ScheduleError::Expression(format!("{expr:?} is not a cron expression: {e}")))?;
        let zone = TimeZone::get(tz)
            .map_err(|_| ScheduleError::TimeZone(format!("{tz:?} is not a known IANA time zone")))?;
        Ok(Self { cron, tz: zone, expr: expr.to_string(), tz_name: tz.to_string() })
    }

    /// The first scheduled time strictly after `after`.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let zoned = after.to_zoned(self.tz.clone());
        self.cron.find_next_occurrence(&zoned, false).ok().map(|z| z.timestamp())
    }

    /// The latest scheduled time in `(since, now]`, if any (older missed times are skipped, like a
    /// CronJob does).
    pub fn latest_due(&self, since: Timestamp, now: Timestamp) -> Option<Timestamp> {
        let first = self.next_after(since)?;
        if first > now {
            return None;
        }
        let zoned = now.to_zoned(self.tz.clone());
        let latest = self.cron.find_previous_occurrence(&zoned, true).ok().map(|z| z.timestamp())?;
        Some(latest.max(first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn every_minute_and_macros() {
        let s = Schedule::parse("* * * * *", "UTC").unwrap();
        assert_eq!(s.next_after(at("2026-11-25T10:00:30Z")), Some(at("2026-11-25T10:01:00Z")));
        assert_eq!(
            s.next_after(at("2026-11-25T10:01:00Z")),
            Some(at("2026-11-25T10:02:00Z")),
            "strictly after"
        );
        let h = Schedule::parse("@hourly", "UTC").unwrap();
        assert_eq!(h.next_after(at("2026-11-25T10:00:30Z")), Some(at("2026-11-25T11:00:00Z")));
    }

    #[test]
    fn reads_the_schedule_in_its_time_zone() {
        // 09:00 in Berlin is 08:00 UTC in winter.
        let s = Schedule::parse("0 9 * * *", "Europe/Berlin").unwrap();
        assert_eq!(s.next_after(at("2026-11-25T07:00:00Z")), Some(at("2026-11-25T08:00:00Z")));
        // and 07:00 UTC in summer
        assert_eq!(s.next_after(at("2026-07-01T06:00:00Z")), Some(at("2026-07-01T07:00:00Z")));
    }

    #[test]
    fn latest_due_skips_older_missed_times() {
        let s = Schedule::parse("*/10 * * * *", "UTC").unwrap();
        assert_eq!(s.latest_due(at("2026-11-25T10:00:00Z"), at("2026-11-25T10:05:00Z")), None);
        assert_eq!(
            s.latest_due(at("2026-11-25T10:00:00Z"), at("2026-11-25T10:10:00Z")),
            Some(at("2026-11-25T10:10:00Z"))
        );
        assert_eq!(
            s.latest_due(at("2026-11-25T10:00:00Z"), at("2026-11-25T10:47:00Z")),
            Some(at("2026-11-25T10:40:00Z"))
        );
    }

    #[test]
    fn errors_say_which_field() {
        assert!(matches!(Schedule::parse("61 * * * *", "UTC"), Err(ScheduleError::Expression(_))));
        assert!(matches!(Schedule::parse("* * * * *", "Mars/Olympus"), Err(ScheduleError::TimeZone(_))));
        assert!(matches!(Schedule::parse("0 * * * * *", "UTC"), Err(ScheduleError::Expression(_))));
        // near the end of time there is no next occurrence, and no panic
        let s = Schedule::parse("* * * * *", "UTC").unwrap();
        assert_eq!(s.next_after(Timestamp::MAX), None);
    }
}
