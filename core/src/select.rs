//! Choosing which of the matching objects a fault round hits, by target mode, deterministically per run,
//! step and round (a restarted operator chooses the same), at most [`MAX_TARGETS_PER_ROUND`].

use crate::limits::MAX_TARGETS_PER_ROUND;
use crate::plan::Count;
use alloc::vec::Vec;

/// How many of `candidates` objects the count hits: at least 1 when there is any candidate, at most
/// the candidates and at most [`MAX_TARGETS_PER_ROUND`].
pub fn count_for(count: Count, candidates: usize, seed: u64) -> usize {
    if candidates == 0 {
        return 0;
    }
    let share = |percent: u8| (candidates * usize::from(percent.clamp(1, 100))).div_ceil(100);
    let n = match count {
        Count::All => candidates,
        Count::One => 1,
        Count::Fixed(n) => usize::try_from(n.get()).unwrap_or(usize::MAX),
        Count::FixedPercent(p) => share(p),
        Count::RandomMaxPercent(p) => {
            let max = share(p).max(1);
            1 + usize::try_from(seed % max as u64).unwrap_or(0)
        }
    };
    n.clamp(1, candidates).min(MAX_TARGETS_PER_ROUND)
}

/// Whether the count would choose more than [`MAX_TARGETS_PER_ROUND`] of `candidates`.
pub fn is_capped(count: Count, candidates: usize, seed: u64) -> bool {
    let uncapped = match count {
        Count::All => candidates,
        Count::Fixed(n) => usize::try_from(n.get()).unwrap_or(usize::MAX).min(candidates),
        Count::FixedPercent(p) => (candidates * usize::from(p)).div_ceil(100),
        _ => count_for(count, candidates, seed),
    };
    uncapped > MAX_TARGETS_PER_ROUND
}

/// A seed from the run's uid, the step and the round: FNV-1a, stable across builds and platforms.
pub fn seed(run_uid: &str, step: &str, round: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(run_uid.as_bytes());
    eat(&[0]);
    eat(step.as_bytes());
    eat(&[0]);
    eat(&round.to_le_bytes());
    h
}

/// Picks the targets: `count_for` of the candidates, in a pseudo-random order fixed by `seed`.
/// Candidates are sorted first, so the choice does not depend on the order they were listed in.
pub fn choose<T: Ord + Clone>(count: Count, mut candidates: Vec<T>, seed: u64) -> Vec<T> {
    candidates.sort();
    candidates.dedup();
    let n = count_for(count, candidates.len(), seed);
    // Fisher–Yates with a splitmix64 stream.
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..candidates.len()).rev() {
        let j = usize::try_from(next() % (i as u64 + 1)).unwrap_or(0);
        candidates.swap(i, j);
    }
    candidates.truncate(n);
    candidates.sort();
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use core::num::NonZeroU32;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("pod-{i}")).collect()
    }

    #[test]
    fn counts_per_mode() {
        let fixed = |n| Count::Fixed(NonZeroU32::new(n).unwrap());
        assert_eq!(count_for(Count::All, 7, 0), 7);
        assert_eq!(count_for(Count::One, 7, 0), 1);
        assert_eq!(count_for(fixed(3), 7, 0), 3);
        assert_eq!(count_for(fixed(30), 7, 0), 7, "capped at the candidates");
        assert_eq!(count_for(Count::FixedPercent(50), 3, 0), 2, "rounded up");
        assert_eq!(count_for(Count::FixedPercent(1), 3, 0), 1);
        assert_eq!(count_for(Count::FixedPercent(100), 3, 0), 3);
        assert_eq!(count_for(Count::All, 0, 0), 0);
        for seed in 0..50 {
            let n = count_for(Count::RandomMaxPercent(50), 10, seed);
            assert!((1..=5).contains(&n), "{n}");
        }
    }

    #[test]
    fn a_round_hits_at_most_the_cap() {
        assert_eq!(count_for(Count::All, 5000, 0), MAX_TARGETS_PER_ROUND);
        assert!(is_capped(Count::All, 5000, 0));
        assert!(!is_capped(Count::All, MAX_TARGETS_PER_ROUND, 0));
        assert!(is_capped(Count::FixedPercent(50), 1000, 0));
    }

    #[test]
    fn choice_is_deterministic_and_order_independent() {
        let a = choose(Count::FixedPercent(50), names(6), 42);
        let mut reversed = names(6);
        reversed.reverse();
        assert_eq!(a, choose(Count::FixedPercent(50), reversed, 42));
        assert_eq!(a.len(), 3);
        // Different seeds spread the choice.
        let distinct: std::collections::BTreeSet<_> =
            (0..20).map(|s| choose(Count::FixedPercent(50), names(6), s)).collect();
        assert!(distinct.len() > 3);
        assert_eq!(seed("uid", "s", 0), seed("uid", "s", 0));
        assert_ne!(seed("uid", "s", 0), seed("uid", "s", 1));
        assert_ne!(seed("uid", "ab", 0), seed("uida", "b", 0), "fields are separated");
    }
}
