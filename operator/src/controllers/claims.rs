//! Targets held by a run's step, decided in memory: a step claims its chosen targets atomically (check and
//! insert under one lock, never across a network call), then records them in the run's status with a
//! preconditioned write; a failed write or a verified revert releases them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// A target another step may not inject into meanwhile: (kind, namespace, name).
pub type TargetKey = (String, Option<String>, String);

/// Who holds a target: (run uid, step).
pub type Holder = (String, String);

/// The claims of this process.
#[derive(Default)]
pub struct Claims {
    held: Mutex<BTreeMap<TargetKey, Holder>>,
}

impl Claims {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<TargetKey, Holder>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Targets claimed by anyone but `me`.
    pub fn held_by_others(&self, me: &Holder) -> BTreeSet<TargetKey> {
        self.lock().iter().filter(|(_, h)| *h != me).map(|(k, _)| k.clone()).collect()
    }

    /// Claims `keys` for `me` if none is claimed by another holder; otherwise claims nothing and returns
    /// the ones that are.
    pub fn try_claim(&self, me: &Holder, keys: &[TargetKey]) -> Result<(), Vec<TargetKey>> {
        let mut held = self.lock();
        let taken: Vec<TargetKey> =
            keys.iter().filter(|k| held.get(*k).is_some_and(|h| h != me)).cloned().collect();
        if !taken.is_empty() {
            return Err(taken);
        }
        for key in keys {
            held.insert(key.clone(), me.clone());
        }
        Ok(())
    }

    /// Releases one target if `me` holds it.
    pub fn release(&self, me: &Holder, key: &TargetKey) {
        let mut held = self.lock();
        if held.get(key) == Some(me) {
            held.remove(key);
        }
    }

    /// Releases everything a run holds.
    pub fn release_run(&self, uid: &str) {
        self.lock().retain(|_, (holder, _)| holder != uid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> TargetKey {
        ("Pod".into(), Some("shop".into()), name.into())
    }

    #[test]
    fn a_claim_is_all_or_nothing_and_exclusive() {
        let claims = Claims::default();
        let a = ("run-a".to_string(), "s".to_string());
        let b = ("run-b".to_string(), "s".to_string());
        assert_eq!(claims.try_claim(&a, &[key("p1"), key("p2")]), Ok(()));
        assert_eq!(claims.try_claim(&b, &[key("p2"), key("p3")]), Err(vec![key("p2")]));
        assert_eq!(claims.held_by_others(&b), [key("p1"), key("p2")].into());
        assert!(claims.held_by_others(&a).is_empty());
        assert_eq!(claims.try_claim(&a, &[key("p2")]), Ok(()), "claiming again what one holds is fine");
        claims.release(&b, &key("p1"));
        assert_eq!(claims.held_by_others(&b).len(), 2, "only the holder releases");
        claims.release(&a, &key("p1"));
        claims.release_run("run-a");
        assert_eq!(claims.try_claim(&b, &[key("p2"), key("p3")]), Ok(()));
    }
}
