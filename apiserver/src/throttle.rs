//! Login throttling: after a few failed logins for a username, further attempts wait, longer each time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before attempts are refused for a while.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
struct Entry {
    failures: u32,
    locked_until: Option<Instant>,
}

/// Failed logins by username, in this process.
#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginThrottle {
    /// `Err(wait)` if `user` must wait before another attempt.
    pub fn check(&self, user: &str, now: Instant) -> Result<(), Duration> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(user).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt; from the `FREE_FAILURES`th on, locks for 1 s, 2 s, 4 s, … up to `MAX_LOCK`.
    pub fn failed(&self, user: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            // bound the memory an attacker can make us use: forget expired locks
            entries.retain(|_, e| e.locked_until.is_some_and(|t| t > now));
        }
        let entry = entries.entry(user.to_string()).or_default();
        entry.failures += 1;
        if entry.failures >= FREE_FAILURES {
            let exp = (entry.failures - FREE_FAILURES).min(20);
            entry.locked_until = Some(now + Duration::from_secs(1u64 << exp).min(MAX_LOCK));
        }
    }

    /// A successful login clears the user's record.
    pub fn succeeded(&self, user: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_free_failures_and_backs_off() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            t.failed("bob", now);
            assert_eq!(t.check("bob", now), Ok(()));
        }
        t.failed("bob", now);
        assert_eq!(t.check("bob", now), Err(Duration::from_secs(1)));
        t.failed("bob", now);
        assert_eq!(t.check("bob", now), Err(Duration::from_secs(2)));
        assert_eq!(t.check("alice", now), Ok(()), "other users are not affected");
        assert_eq!(t.check("bob", now + Duration::from_secs(3)), Ok(()));
        t.succeeded("bob");
        t.failed("bob", now);
        assert_eq!(t.check("bob", now), Ok(()));
    }

    #[test]
    fn the_wait_is_capped() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..60 {
            t.failed("bob", now);
        }
        assert_eq!(t.check("bob", now), Err(MAX_LOCK));
    }
}
