//! Cron schedules in a time zone: parsing, the next run time, and the latest missed one. Pure.

use croner::Cron;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A parsed schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    cron: Cron,
    tz: TimeZone,
}

impl Schedule {
    /// Parses a five-field cron expression (or a macro such as `@hourly`) read in the IANA time zone `tz`.
    /// Errors name the field.
    pub fn parse(expr: &str, tz: &str) -> Result<Self, String> {
        let cron: Cron =
            expr.parse().map_err(|e| format!("spec.schedule: {expr:?} is not a cron expression: {e}"))?;
        if expr.split_whitespace().count() > 5 {
            return Err(format!(
                "spec.schedule: {expr:?} has more than five fields (seconds are not supported)"
            ));
        }
        let tz =
            TimeZone::get(tz).map_err(|_| format!("spec.timeZone: {tz:?} is not a known IANA time zone"))?;
        Ok(Self { cron, tz })
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
    fn errors_name_the_field() {
        assert!(Schedule::parse("61 * * * *", "UTC").unwrap_err().starts_with("spec.schedule:"));
        assert!(Schedule::parse("* * * * *", "Mars/Olympus").unwrap_err().starts_with("spec.timeZone:"));
        assert!(Schedule::parse("0 * * * * *", "UTC").unwrap_err().starts_with("spec.schedule:"));
    }
}
