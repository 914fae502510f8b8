//! Login throttling that cannot be turned against a user: failed logins fill leaky buckets per
//! (username, client address) and per client address, which drain with time. A full bucket refuses
//! further attempts from that address (for that user, or for anyone) until it has drained enough; the
//! right password from another address is never refused because of someone else's failures.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How much a bucket holds and how fast it drains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Failures allowed in a burst.
    pub burst: u32,
    /// One failure drains away every `drain`.
    pub drain: Duration,
}

/// Failures of one username from one address: 5 in a burst, then one every minute.
pub const PER_USER_AND_ADDRESS: Limit = Limit { burst: 5, drain: Duration::from_secs(60) };
/// Failures from one address, for any usernames: 30 in a burst, then one every 10 s.
pub const PER_ADDRESS: Limit = Limit { burst: 30, drain: Duration::from_secs(10) };
/// The most entries each table keeps; beyond it drained ones are forgotten, and new keys are not
/// recorded while every entry is still full (bounds the memory an attacker with many addresses can use).
pub const MAX_ENTRIES: usize = 100_000;

/// A client address as throttled: IPv4 as is, IPv6 by its /64 (one subscriber's usual allocation), an
/// IPv4-mapped IPv6 address as the IPv4 address.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct AddrKey(IpAddr);

impl From<IpAddr> for AddrKey {
    fn from(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Self(IpAddr::V6(prefix.into()))
                }
            },
        }
    }
}

impl std::fmt::Display for AddrKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// Which bucket refused an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// This username from this address.
    UserAndAddress,
    /// Anything from this address.
    Address,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::UserAndAddress => "user-and-address",
            Scope::Address => "address",
        }
    }
}

/// An attempt refused: by which bucket, and how long until it would be let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub scope: Scope,
    pub wait: Duration,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Failures in the bucket at `at`.
    level: f64,
    at: Instant,
}

impl Bucket {
    fn level(&self, limit: Limit, now: Instant) -> f64 {
        let drained = now.saturating_duration_since(self.at).as_secs_f64() / limit.drain.as_secs_f64();
        (self.level - drained).max(0.0)
    }

    /// How long until there is room for one more failure (zero if there is).
    fn wait(&self, limit: Limit, now: Instant) -> Duration {
        let over = self.level(limit, now) + 1.0 - f64::from(limit.burst);
        if over <= 0.0 {
            Duration::ZERO
        } else {
            limit.drain.mul_f64(over)
        }
    }
}

/// Leaky buckets by key.
struct Table<K> {
    limit: Limit,
    buckets: Mutex<HashMap<K, Bucket>>,
}

/// One table's buckets, locked.
struct Locked<'a, K> {
    limit: Limit,
    buckets: std::sync::MutexGuard<'a, HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new(limit: Limit) -> Self {
        Self { limit, buckets: Mutex::default() }
    }

    fn lock(&self) -> Locked<'_, K> {
        Locked { limit: self.limit, buckets: self.buckets.lock().unwrap_or_else(|e| e.into_inner()) }
    }

    fn wait(&self, key: &K, now: Instant) -> Duration {
        self.lock().wait(key, now)
    }

    fn fill(&self, key: &K, now: Instant) {
        self.lock().fill(key, now)
    }

    fn forget(&self, key: &K) {
        self.lock().buckets.remove(key);
    }
}

impl<K: Hash + Eq + Clone> Locked<'_, K> {
    fn wait(&self, key: &K, now: Instant) -> Duration {
        self.buckets.get(key).map(|b| b.wait(self.limit, now)).unwrap_or_default()
    }

    /// One failure more in `key`'s bucket. A full table first forgets the drained entries, else the
    /// emptiest one, so a flood of new keys can neither grow it nor escape it (the keys with the most
    /// failures are the last to go).
    fn fill(&mut self, key: &K, now: Instant) {
        let limit = self.limit;
        if !self.buckets.contains_key(key) && self.buckets.len() >= MAX_ENTRIES {
            self.buckets.retain(|_, b| b.level(limit, now) > 0.0);
            if self.buckets.len() >= MAX_ENTRIES {
                let emptiest = self
                    .buckets
                    .iter()
                    .min_by(|a, b| a.1.level(limit, now).total_cmp(&b.1.level(limit, now)))
                    .map(|(k, _)| k.clone());
                if let Some(k) = emptiest {
                    self.buckets.remove(&k);
                }
            }
        }
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket { level: 0.0, at: now });
        *bucket = Bucket { level: bucket.level(limit, now) + 1.0, at: now };
    }

    /// Takes back one failure from `key`'s bucket.
    fn unfill(&mut self, key: &K, now: Instant) {
        let limit = self.limit;
        if let Some(bucket) = self.buckets.get_mut(key) {
            *bucket = Bucket { level: (bucket.level(limit, now) - 1.0).max(0.0), at: now };
        }
    }
}

/// An attempt let through by [`LoginThrottle::reserve`], counted as a failure in advance (so concurrent
/// attempts cannot all pass while the first ones are still being checked). [`Reservation::failed`] keeps
/// it; [`Reservation::succeeded`] empties the user's bucket for the address and takes the charge back
/// from the address's; dropped otherwise (the password was never judged: the hashing queue was full, a
/// read failed), the charge is taken back from both.
pub struct Reservation<'a> {
    throttle: &'a LoginThrottle,
    user: String,
    addr: AddrKey,
    settled: bool,
}

impl Reservation<'_> {
    /// The password was wrong: the failure stays counted.
    pub fn failed(mut self) {
        self.settled = true;
    }

    /// The password was right.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.throttle.pairs.forget(&(self.user.clone(), self.addr));
        self.throttle.addresses.lock().unfill(&self.addr, Instant::now());
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let now = Instant::now();
            let mut pairs = self.throttle.pairs.lock();
            let mut addresses = self.throttle.addresses.lock();
            pairs.unfill(&(self.user.clone(), self.addr), now);
            addresses.unfill(&self.addr, now);
        }
    }
}

/// Failed logins, in this process.
pub struct LoginThrottle {
    pairs: Table<(String, AddrKey)>,
    addresses: Table<AddrKey>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(PER_USER_AND_ADDRESS, PER_ADDRESS)
    }
}

impl LoginThrottle {
    pub fn new(per_user_and_address: Limit, per_address: Limit) -> Self {
        Self { pairs: Table::new(per_user_and_address), addresses: Table::new(per_address) }
    }

    /// Whether `user` may try a password from `addr` now; if not, which bucket is full and for how long.
    pub fn check(&self, user: &str, addr: IpAddr, now: Instant) -> Result<(), Refusal> {
        let addr = AddrKey::from(addr);
        let pair = self.pairs.wait(&(user.to_string(), addr), now);
        let address = self.addresses.wait(&addr, now);
        match (pair.is_zero(), address.is_zero()) {
            (true, true) => Ok(()),
            _ if pair >= address => Err(Refusal { scope: Scope::UserAndAddress, wait: pair }),
            _ => Err(Refusal { scope: Scope::Address, wait: address }),
        }
    }

    /// Lets an attempt of `user` from `addr` through, counting it as a failure until it is settled
    /// (checked and counted under one lock, so concurrent attempts cannot exceed the burst); or refuses
    /// it, saying which bucket is full and for how long.
    pub fn reserve(&self, user: &str, addr: IpAddr, now: Instant) -> Result<Reservation<'_>, Refusal> {
        let addr = AddrKey::from(addr);
        let key = (user.to_string(), addr);
        // always the pairs' lock first, then the addresses'
        let mut pairs = self.pairs.lock();
        let mut addresses = self.addresses.lock();
        let (pair, address) = (pairs.wait(&key, now), addresses.wait(&addr, now));
        match (pair.is_zero(), address.is_zero()) {
            (true, true) => {}
            _ if pair >= address => return Err(Refusal { scope: Scope::UserAndAddress, wait: pair }),
            _ => return Err(Refusal { scope: Scope::Address, wait: address }),
        }
        pairs.fill(&key, now);
        addresses.fill(&addr, now);
        Ok(Reservation { throttle: self, user: key.0, addr, settled: false })
    }

    /// Records a failed attempt for `user` from `addr`.
    pub fn failed(&self, user: &str, addr: IpAddr, now: Instant) {
        let addr = AddrKey::from(addr);
        self.pairs.fill(&(user.to_string(), addr), now);
        self.addresses.fill(&addr, now);
    }

    /// A successful login empties the user's bucket for that address; the address's own bucket drains
    /// as usual (signing in to one's own account does not buy more guesses at others).
    pub fn succeeded(&self, user: &str, addr: IpAddr) {
        self.pairs.forget(&(user.to_string(), AddrKey::from(addr)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    const PAIR: Limit = Limit { burst: 5, drain: Duration::from_secs(60) };
    const ADDR: Limit = Limit { burst: 8, drain: Duration::from_secs(10) };

    #[test]
    fn a_burst_of_failures_then_one_per_drain_interval() {
        let t = LoginThrottle::new(PAIR, Limit { burst: 1000, ..ADDR });
        let (a, now) = (ip("192.0.2.1"), Instant::now());
        for n in 0..PAIR.burst {
            assert_eq!(t.check("bob", a, now), Ok(()), "failure {n} is free");
            t.failed("bob", a, now);
        }
        let refused = Refusal { scope: Scope::UserAndAddress, wait: Duration::from_secs(60) };
        assert_eq!(t.check("bob", a, now), Err(refused));
        assert_eq!(
            t.check("bob", a, now + Duration::from_secs(30)).unwrap_err().wait,
            Duration::from_secs(30)
        );
        let later = now + Duration::from_secs(60);
        assert_eq!(t.check("bob", a, later), Ok(()), "decayed by one");
        t.failed("bob", a, later);
        assert_eq!(t.check("bob", a, later).unwrap_err().wait, Duration::from_secs(60));
        assert_eq!(t.check("bob", a, later + Duration::from_secs(3600)), Ok(()), "fully drained");
    }

    #[test]
    fn someone_elses_failures_never_refuse_the_user_from_another_address() {
        let t = LoginThrottle::new(PAIR, ADDR);
        let (attacker, user, now) = (ip("192.0.2.66"), ip("198.51.100.7"), Instant::now());
        for _ in 0..100 {
            t.failed("admin", attacker, now);
        }
        assert_eq!(t.check("admin", user, now), Ok(()));
        assert_eq!(t.check("admin", attacker, now).unwrap_err().scope, Scope::UserAndAddress);
        assert!(t.check("carol", attacker, now).is_err(), "the attacker's address is refused for anyone");
        assert_eq!(t.check("carol", attacker, now).unwrap_err().scope, Scope::Address);
    }

    #[test]
    fn an_address_spraying_usernames_is_refused_for_all() {
        let t = LoginThrottle::new(PAIR, ADDR);
        let (a, now) = (ip("192.0.2.9"), Instant::now());
        for n in 0..ADDR.burst {
            t.failed(&format!("user{n}"), a, now);
        }
        let refusal = t.check("someone-new", a, now).unwrap_err();
        assert_eq!(refusal, Refusal { scope: Scope::Address, wait: Duration::from_secs(10) });
        assert_eq!(t.check("someone-new", ip("192.0.2.10"), now), Ok(()));
    }

    #[test]
    fn success_clears_only_the_users_own_bucket() {
        let t = LoginThrottle::new(PAIR, ADDR);
        let (a, now) = (ip("192.0.2.1"), Instant::now());
        for _ in 0..PAIR.burst {
            t.failed("bob", a, now);
        }
        t.succeeded("bob", a);
        assert_eq!(t.check("bob", a, now), Ok(()));
        for _ in 0..ADDR.burst - PAIR.burst {
            t.failed("eve", a, now);
        }
        t.succeeded("eve", a);
        assert_eq!(t.check("mallory", a, now).unwrap_err().scope, Scope::Address, "the address stays full");
    }

    #[test]
    fn ipv6_is_throttled_by_its_64_and_mapped_ipv4_as_ipv4() {
        let t = LoginThrottle::new(PAIR, ADDR);
        let now = Instant::now();
        for _ in 0..PAIR.burst {
            t.failed("bob", ip("2001:db8:1:2::1"), now);
        }
        assert!(t.check("bob", ip("2001:db8:1:2:ffff::9"), now).is_err(), "same /64");
        assert_eq!(t.check("bob", ip("2001:db8:1:3::1"), now), Ok(()), "another /64");
        for _ in 0..PAIR.burst {
            t.failed("bob", ip("::ffff:192.0.2.5"), now);
        }
        assert!(t.check("bob", ip("192.0.2.5"), now).is_err());
        assert_eq!(AddrKey::from(ip("2001:db8:1:2::1")).to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn memory_is_bounded() {
        let t = LoginThrottle::new(PAIR, Limit { burst: u32::MAX, ..ADDR });
        let now = Instant::now();
        for n in 0..MAX_ENTRIES as u32 + 10 {
            t.failed("bob", IpAddr::V4(n.into()), now);
        }
        assert_eq!(t.pairs.buckets.lock().unwrap().len(), MAX_ENTRIES);
        // once the old entries drained, new ones are recorded again
        let later = now + Duration::from_secs(3600);
        t.failed("bob", ip("203.0.113.1"), later);
        assert_eq!(t.pairs.buckets.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_full_table_still_throttles_new_keys_and_keeps_the_fullest() {
        let t = LoginThrottle::new(PAIR, Limit { burst: u32::MAX, ..ADDR });
        let now = Instant::now();
        let (target, attacker) = (ip("198.51.100.1"), ip("198.51.100.2"));
        for _ in 0..PAIR.burst {
            t.failed("admin", target, now);
        }
        // a flood of one failure each from other addresses fills the table
        for n in 0..MAX_ENTRIES as u32 {
            t.failed("bob", IpAddr::V4(n.into()), now);
        }
        assert_eq!(t.pairs.buckets.lock().unwrap().len(), MAX_ENTRIES);
        assert!(t.check("admin", target, now).is_err(), "the fullest bucket was kept");
        for _ in 0..PAIR.burst {
            t.failed("admin", attacker, now);
        }
        assert!(
            t.check("admin", attacker, now).is_err(),
            "a new key is throttled although the table is full"
        );
    }

    #[test]
    fn reservations_count_at_once_and_are_settled() {
        let t = LoginThrottle::new(PAIR, ADDR);
        let (a, now) = (ip("192.0.2.1"), Instant::now());
        // concurrent attempts: each holds its charge while it is being checked, so at most the burst pass
        let held: Vec<_> = (0..20).filter_map(|_| t.reserve("bob", a, now).ok()).collect();
        assert_eq!(held.len(), PAIR.burst as usize);
        assert_eq!(t.reserve("bob", a, now).err().map(|r| r.scope), Some(Scope::UserAndAddress));
        let mut held = held.into_iter();
        held.next().unwrap().failed();
        // attempts never judged (a full hashing queue) give their charge back
        drop(held.by_ref().take(3).collect::<Vec<_>>());
        t.reserve("bob", a, now).expect("room again").failed();
        held.next().unwrap().succeeded();
        assert_eq!(t.check("bob", a, now), Ok(()), "the right password empties the user's bucket");
        assert!(t.addresses.wait(&AddrKey::from(a), now).is_zero());
        assert_eq!(
            t.addresses.lock().buckets[&AddrKey::from(a)].level(ADDR, now).round(),
            2.0,
            "two failures stay"
        );
    }
}
