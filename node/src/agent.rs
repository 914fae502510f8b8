//! The agent's injections on this node: applying one (runtime lookup, journal, rules, engine), reverting
//! one (on request, at its expiry by a local timer that needs no API server, or at shutdown), and
//! replaying the journal at start.

use crate::config::Config;
use crate::engine::Engine;
use crate::held::{Held, Record, Scene};
use crate::inject::{apply_here, leftovers_here, remove_here};
use crate::journal::{Entry, Journal};
use crate::netns::NetNs;
use crate::plan::{build, Mechanism};
use chaoscenter_crds::injection::{ChaosInjection, NodeCapabilities};
use kube::ResourceExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The first netfilter queue number the agent uses.
const FIRST_QUEUE: u16 = 100;

/// An injection in effect.
struct Active {
    applied: Applied,
    entry: Entry,
    /// The pod's network namespace (pod faults).
    ns: Option<NetNs>,
    engine: Option<Engine>,
    /// A held fault (processes, files, proxies: `held.rs`).
    held: Option<Box<dyn Held>>,
    timer: tokio::task::AbortHandle,
}

/// What a revert did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reverted {
    /// When (RFC 3339).
    pub at: String,
    /// The state read back showed nothing left.
    pub verified: bool,
    /// What is left, or what happened, in words.
    pub message: Option<String>,
}

/// What an apply did.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The mechanism's name, e.g. `nfqueue`, `cgroup-stressor`.
    pub mechanism: String,
    /// The pod's network namespace (pod faults).
    pub netns_inode: Option<u64>,
    pub injected_at: String,
    /// What the fault did, in words, where its mechanism says more than its name.
    pub note: Option<String>,
}

/// The agent's state.
pub struct Agent {
    pub config: Config,
    pub caps: NodeCapabilities,
    journal: Journal,
    active: Mutex<HashMap<String, Active>>,
    /// Reverts not yet reported in the injection's status (by uid).
    reverted: Mutex<HashMap<String, Reverted>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Agent {
    pub fn new(config: Config, caps: NodeCapabilities) -> anyhow::Result<Self> {
        let journal = Journal::open(&config.state_dir)?;
        Ok(Self {
            config,
            caps,
            journal,
            active: Mutex::default(),
            reverted: Mutex::default(),
            locks: Mutex::default(),
        })
    }

    /// The lock serializing work on injection `uid` (apply, revert, status).
    pub fn lock_for(&self, uid: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.locks).entry(uid.to_string()).or_default().clone()
    }

    /// Forgets injection `uid` (it is being deleted): its lock and any unreported revert.
    pub fn forget(&self, uid: &str) {
        lock(&self.locks).remove(uid);
        lock(&self.reverted).remove(uid);
    }

    /// What applying injection `uid` did, while it is in effect here.
    pub fn applied(&self, uid: &str) -> Option<Applied> {
        lock(&self.active).get(uid).map(|a| a.applied.clone())
    }

    /// The unreported revert of injection `uid`, if any.
    pub fn take_reverted(&self, uid: &str) -> Option<Reverted> {
        lock(&self.reverted).remove(uid)
    }

    /// Puts back a revert whose report could not be written.
    pub fn keep_reverted(&self, uid: &str, reverted: Reverted) {
        lock(&self.reverted).insert(uid.to_string(), reverted);
    }

    /// Applies `injection` (already checked against the cluster) in its pod's namespace or on the node.
    pub async fn apply(self: &Arc<Self>, injection: &ChaosInjection) -> Result<Applied, String> {
        let uid = injection.uid().ok_or("the injection has no uid")?;
        let spec = &injection.spec;
        let expires: jiff::Timestamp = spec
            .expires_at
            .parse()
            .map_err(|e| format!("spec.expiresAt {:?} is not RFC 3339: {e}", spec.expires_at))?;
        let (pid, ns) = if spec.fault.on_node() {
            (0, None)
        } else {
            let pid =
                crate::cri::sandbox_pid(&self.config.cri_socket, &spec.target.uid).await.map_err(|e| {
                    format!(
                        "failed to find pod {}/{}'s sandbox: {e:#}",
                        spec.target.namespace, spec.target.name
                    )
                })?;
            let ns = NetNs::of_pid(pid)
                .map_err(|e| format!("failed to open the pod's network namespace: {e:#}"))?;
            (pid, Some(ns))
        };
        let mut entry = Entry {
            injection_uid: uid.clone(),
            namespace: injection.namespace().unwrap_or_default(),
            name: injection.name_any(),
            run_name: spec.run.name.clone(),
            run_uid: spec.run.uid.clone(),
            pod_uid: spec.target.uid.clone(),
            netns_inode: ns.as_ref().map(NetNs::inode).unwrap_or_default(),
            sandbox_pid: pid,
            mechanism: String::new(),
            created: Default::default(),
            held: Record::default(),
            expires_at: spec.expires_at.clone(),
        };
        let (engine, held, mechanism, note) = if crate::held::is_held(&spec.fault) {
            let scene = Scene {
                injection_uid: &uid,
                spec,
                config: &self.config,
                netns: ns.as_ref(),
                sandbox_pid: (pid != 0).then_some(pid),
            };
            entry.held = crate::held::prepare(&scene).await?;
            entry.mechanism = self
                .caps
                .mechanism(&spec.fault)
                .map_err(|missing| format!("node lacks {missing} for {}", spec.fault.name()))?
                .to_string();
            self.journal.write(&entry).map_err(|e| format!("failed to write the journal: {e:#}"))?;
            let mut record = entry.held.clone();
            match crate::held::start(&scene, &mut record).await {
                Ok(started) => {
                    entry.held = record;
                    entry.mechanism = started.mechanism.to_string();
                    if let Err(e) = self.journal.write(&entry) {
                        tracing::warn!(injection = %uid, "failed to journal the started fault: {e:#}");
                    }
                    let note = started.held.note();
                    (None, Some(started.held), started.mechanism.to_string(), note)
                }
                Err(e) => {
                    if crate::held::undo(&record, ns.as_ref()).await.is_empty() {
                        let _ = self.journal.remove(&uid);
                    }
                    return Err(format!("failed to apply {}: {e}", spec.fault.name()));
                }
            }
        } else {
            let ns = ns.as_ref().ok_or("a network fault needs a pod")?;
            let (engine, mechanism) = self.apply_network(&uid, spec, ns, &mut entry).await?;
            (engine, None, mechanism.name().to_string(), None)
        };
        let injected_at = now();
        let netns_inode = ns.as_ref().map(NetNs::inode);
        let timer = {
            let agent = self.clone();
            let uid = uid.clone();
            let wait = expires.duration_since(jiff::Timestamp::now()).unsigned_abs();
            let wait = if expires > jiff::Timestamp::now() { wait } else { std::time::Duration::ZERO };
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                tracing::info!(injection = %uid, "expired: reverting on the agent's own timer");
                // in a task of its own: the revert aborts this timer
                tokio::spawn(async move {
                    let lock = agent.lock_for(&uid);
                    let _guard = lock.lock().await;
                    if let Some(reverted) = agent.revert(&uid).await {
                        agent.keep_reverted(&uid, reverted);
                    }
                });
            })
            .abort_handle()
        };
        let applied = Applied { mechanism: mechanism.clone(), netns_inode, injected_at, note };
        lock(&self.active)
            .insert(uid.clone(), Active { applied: applied.clone(), entry, ns, engine, held, timer });
        tracing::info!(injection = %uid, fault = spec.fault.name(), mechanism, ?netns_inode, "injected");
        Ok(applied)
    }

    /// Applies a network fault (rules, qdiscs, the user-space engine) in `ns`, journalled first.
    async fn apply_network(
        &self,
        uid: &str,
        spec: &chaoscenter_crds::injection::ChaosInjectionSpec,
        ns: &NetNs,
        entry: &mut Entry,
    ) -> Result<(Option<Engine>, Mechanism), String> {
        let mechanism = Mechanism::choose(&self.caps, &spec.fault)?;
        let queue = {
            let active = lock(&self.active);
            let used: Vec<u16> = active.values().filter_map(|a| a.entry.created.queue).collect();
            (FIRST_QUEUE..u16::MAX).find(|q| !used.contains(q)).ok_or("no free netfilter queue")?
        };
        let plan = build(uid, &spec.fault, mechanism, queue)?;
        entry.mechanism = mechanism.name().to_string();
        entry.created = plan.created.clone();
        self.journal.write(entry).map_err(|e| format!("failed to write the journal: {e:#}"))?;
        let engine = match (&plan.engine, plan.created.queue) {
            (Some(fault), Some(queue)) => {
                let ns = ns.try_clone().map_err(|e| format!("{e:#}"))?;
                match Engine::start(ns, queue, fault.clone()) {
                    Ok(engine) => Some(engine),
                    Err(e) => {
                        let _ = self.journal.remove(uid);
                        return Err(format!("failed to start the user-space engine: {e:#}"));
                    }
                }
            }
            _ => None,
        };
        let applied = {
            let plan = plan.clone();
            ns.run(move || apply_here(&plan)).await
        };
        if let Err(e) = applied {
            if let Some(engine) = engine {
                engine.stop();
            }
            let created = plan.created.clone();
            if ns.run(move || leftovers_here(&created)).await.is_ok_and(|left| left.is_empty()) {
                let _ = self.journal.remove(uid);
            }
            return Err(format!("failed to apply {} with {}: {e:#}", spec.fault.name(), mechanism.name()));
        }
        Ok((engine, mechanism))
    }

    /// Reverts injection `uid` if it is in effect here, verifying by reading the state back; `None` when
    /// it was not. Callers hold its lock.
    pub async fn revert(&self, uid: &str) -> Option<Reverted> {
        let active = lock(&self.active).remove(uid)?;
        active.timer.abort();
        let reverted = self.remove(&active.entry, active.ns.as_ref(), active.engine, active.held).await;
        tracing::info!(injection = %uid, verified = reverted.verified, message = ?reverted.message, "reverted");
        Some(reverted)
    }

    /// Removes what `entry` created: the held fault (released, or undone from the record when this agent
    /// did not start it) and the network rules in `ns`; checked by reading the state back.
    async fn remove(
        &self,
        entry: &Entry,
        ns: Option<&NetNs>,
        engine: Option<Engine>,
        held: Option<Box<dyn Held>>,
    ) -> Reverted {
        let mut left = vec![];
        let mut errors = vec![];
        match held {
            Some(held) => match held.release().await {
                Ok(l) => left.extend(l),
                Err(e) => errors.push(format!("{e:#}")),
            },
            None if !entry.held.is_empty() => left.extend(crate::held::undo(&entry.held, ns).await),
            None => {}
        }
        // a release that failed is undone from the record (kills, removals, chains are idempotent)
        if !errors.is_empty() {
            left = crate::held::undo(&entry.held, ns).await;
        }
        let network = entry.created != Default::default();
        let mut read_back = Ok(());
        if let (true, Some(ns)) = (network, ns) {
            let created = entry.created.clone();
            if let Err(e) = ns.run(move || remove_here(&created)).await {
                errors.push(format!("{e:#}"));
            }
            if let Some(engine) = engine {
                // after the rules are gone, so nothing new is queued; held packets are released
                let _ = tokio::task::spawn_blocking(move || engine.stop()).await;
            }
            let created = entry.created.clone();
            match ns.run(move || leftovers_here(&created)).await {
                Ok(l) => left.extend(l),
                Err(e) => read_back = Err(e),
            }
        }
        let (verified, message) = match read_back {
            Err(e) => (false, Some(format!("failed to read the namespace's state back: {e:#}"))),
            Ok(()) if left.is_empty() => (true, (!errors.is_empty()).then(|| errors.join("; "))),
            Ok(()) => (false, Some(format!("still present after the revert: {}", left.join(", ")))),
        };
        if verified {
            if let Err(e) = self.journal.remove(&entry.injection_uid) {
                tracing::warn!("{e:#}");
            }
        }
        Reverted { at: now(), verified, message }
    }

    /// Reverts everything in effect (at shutdown); returns the uids and what happened.
    pub async fn revert_all(&self) -> Vec<(String, Reverted)> {
        let uids: Vec<String> = lock(&self.active).keys().cloned().collect();
        let mut out = vec![];
        for uid in uids {
            let lock = self.lock_for(&uid);
            let _guard = lock.lock().await;
            if let Some(r) = self.revert(&uid).await {
                out.push((uid, r));
            }
        }
        out
    }

    /// At start: removes what every journal entry lists (an earlier agent's faults: their user-space
    /// engines died with it, so a fault still wanted is applied again by the controller). An entry whose
    /// namespace is gone (its sandbox process gone, or another namespace now) is forgotten: its rules went
    /// with the namespace.
    pub async fn replay(&self) -> anyhow::Result<()> {
        let (entries, bad) = self.journal.list()?;
        for b in bad {
            tracing::warn!("unreadable journal entry (left for an operator to inspect): {b}");
        }
        for entry in entries {
            if entry.sandbox_pid == 0 {
                // a fault on the node itself: nothing but its record to undo
                let reverted = self.remove(&entry, None, None, None).await;
                tracing::info!(injection = %entry.injection_uid, verified = reverted.verified, "journal replayed");
                self.keep_reverted(&entry.injection_uid, reverted);
                continue;
            }
            let ns = match NetNs::of_pid(entry.sandbox_pid) {
                Ok(ns) if ns.inode() == entry.netns_inode => Some(ns),
                _ => match crate::cri::sandbox_pid(&self.config.cri_socket, &entry.pod_uid).await {
                    Ok(pid) => NetNs::of_pid(pid).ok().filter(|ns| ns.inode() == entry.netns_inode),
                    Err(_) => None,
                },
            };
            let reverted = match ns {
                Some(ns) => self.remove(&entry, Some(&ns), None, None).await,
                None if !entry.held.is_empty() => {
                    // the namespace went with the pod; its processes and files may not have
                    self.remove(&entry, None, None, None).await
                }
                None => {
                    let _ = self.journal.remove(&entry.injection_uid);
                    Reverted {
                        at: now(),
                        verified: true,
                        message: Some("the pod's network namespace is gone, and the fault with it".into()),
                    }
                }
            };
            tracing::info!(injection = %entry.injection_uid, verified = reverted.verified, "journal replayed");
            self.keep_reverted(&entry.injection_uid, reverted);
        }
        Ok(())
    }
}
