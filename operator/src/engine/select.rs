//! Choosing which of the matching objects a fault hits, by target mode, deterministically per run, step
//! and round (a restarted operator chooses the same), skipping objects another run holds.

use chaoscenter_crds::workflow::{Target, TargetMode};
use std::hash::{Hash, Hasher};

/// How many of `candidates` objects the mode hits (at least 1 when there is any candidate).
pub fn count_for_mode(target: &Target, candidates: usize, seed: u64) -> usize {
    if candidates == 0 {
        return 0;
    }
    let value = target.value.unwrap_or(0) as usize;
    let n = match target.mode {
        TargetMode::All => candidates,
        TargetMode::One => 1,
        TargetMode::Fixed => value.max(1),
        TargetMode::FixedPercent => (candidates * value.clamp(1, 100)).div_ceil(100),
        TargetMode::RandomMaxPercent => {
            let max = (candidates * value.clamp(1, 100)).div_ceil(100).max(1);
            1 + (seed % max as u64) as usize
        }
    };
    n.clamp(1, candidates)
}

/// A seed from the run's uid, the step and the round.
pub fn seed(run_uid: &str, step: &str, round: u32) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (run_uid, step, round).hash(&mut h);
    h.finish()
}

/// Picks the targets: `count_for_mode` of the candidates, in a pseudo-random order fixed by `seed`.
/// Candidates are sorted by name first so the choice does not depend on the API server's list order.
pub fn choose(target: &Target, mut candidates: Vec<String>, seed: u64) -> Vec<String> {
    candidates.sort();
    candidates.dedup();
    let n = count_for_mode(target, candidates.len(), seed);
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
        let j = (next() % (i as u64 + 1)) as usize;
        candidates.swap(i, j);
    }
    candidates.truncate(n);
    candidates.sort();
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(mode: TargetMode, value: Option<u32>) -> Target {
        Target { mode, value, ..Default::default() }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("pod-{i}")).collect()
    }

    #[test]
    fn counts_per_mode() {
        assert_eq!(count_for_mode(&target(TargetMode::All, None), 7, 0), 7);
        assert_eq!(count_for_mode(&target(TargetMode::One, None), 7, 0), 1);
        assert_eq!(count_for_mode(&target(TargetMode::Fixed, Some(3)), 7, 0), 3);
        assert_eq!(count_for_mode(&target(TargetMode::Fixed, Some(30)), 7, 0), 7, "capped at the candidates");
        assert_eq!(count_for_mode(&target(TargetMode::FixedPercent, Some(50)), 3, 0), 2, "rounded up");
        assert_eq!(count_for_mode(&target(TargetMode::FixedPercent, Some(1)), 3, 0), 1);
        assert_eq!(count_for_mode(&target(TargetMode::FixedPercent, Some(100)), 3, 0), 3);
        assert_eq!(count_for_mode(&target(TargetMode::All, None), 0, 0), 0);
        for seed in 0..50 {
            let n = count_for_mode(&target(TargetMode::RandomMaxPercent, Some(50)), 10, seed);
            assert!((1..=5).contains(&n), "{n}");
        }
    }

    #[test]
    fn choice_is_deterministic_and_order_independent() {
        let t = target(TargetMode::FixedPercent, Some(50));
        let a = choose(&t, names(6), 42);
        let mut reversed = names(6);
        reversed.reverse();
        assert_eq!(a, choose(&t, reversed, 42));
        assert_eq!(a.len(), 3);
        // Different seeds spread the choice.
        let distinct: std::collections::BTreeSet<_> = (0..20).map(|s| choose(&t, names(6), s)).collect();
        assert!(distinct.len() > 3);
        assert_eq!(seed("uid", "s", 0), seed("uid", "s", 0));
        assert_ne!(seed("uid", "s", 0), seed("uid", "s", 1));
    }
}
