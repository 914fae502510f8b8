//! The runs' tasks that live outside the reconcile: probe checks and injection rounds. A reconcile starts
//! them and returns; each reports its results here and wakes the run's reconcile, which records them in
//! the status. Abort, the deadline and the halt switch cancel them (and wait until they are gone) before
//! anything is reverted, so no probe in flight can delay a revert.

use chaoscenter_core::decide::{Stage, Task};
use chaoscenter_crds::ChaosWorkflowRun;
use futures::FutureExt;
use jiff::Timestamp;
use kube::runtime::reflector::ObjectRef;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// What a task reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Report {
    /// One probe check finished.
    Probe { step: String, probe: String, stage: Stage, passed: bool, message: String, at: Timestamp },
    /// One target of a round was injected (`Ok(note)`) or not (`Err(why)`); `allowed` is false when the
    /// policy refused it at the moment of injecting.
    Target {
        step: String,
        round: u32,
        index: usize,
        name: String,
        outcome: Result<String, String>,
        at: Timestamp,
    },
    /// Every target of a round was tried.
    RoundDone { step: String, round: u32, at: Timestamp },
}

/// A report and its place in the run's sequence.
#[derive(Clone, Debug)]
pub struct Numbered {
    pub seq: u64,
    pub report: Report,
}

#[derive(Default)]
struct RunTasks {
    running: BTreeMap<Task, JoinHandle<()>>,
    reports: Vec<Numbered>,
    next_seq: u64,
}

/// Every run's tasks, keyed by the run's uid.
pub struct Tasks {
    runs: Mutex<HashMap<String, RunTasks>>,
    wake: futures::channel::mpsc::UnboundedSender<ObjectRef<ChaosWorkflowRun>>,
}

/// Where a task sends its reports.
#[derive(Clone)]
pub struct Reporter {
    tasks: std::sync::Arc<Tasks>,
    uid: String,
    run: ObjectRef<ChaosWorkflowRun>,
}

impl Reporter {
    /// Records a report and wakes the run's reconcile.
    pub fn send(&self, report: Report) {
        {
            let mut runs = self.tasks.runs.lock().unwrap_or_else(|e| e.into_inner());
            let entry = runs.entry(self.uid.clone()).or_default();
            let seq = entry.next_seq;
            entry.next_seq += 1;
            entry.reports.push(Numbered { seq, report });
        }
        let _ = self.tasks.wake.unbounded_send(self.run.clone());
    }
}

impl Tasks {
    /// The registry, and the stream of runs to reconcile because a task of theirs reported.
    pub fn new() -> (Self, futures::channel::mpsc::UnboundedReceiver<ObjectRef<ChaosWorkflowRun>>) {
        let (wake, woken) = futures::channel::mpsc::unbounded();
        (Self { runs: Mutex::default(), wake }, woken)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RunTasks>> {
        // a task never panics while holding the lock; recover the map if one did
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts `work` as task `task` of run `run`, unless that task is running already. `work` gets a
    /// [`Reporter`]; when it ends (or panics) the task is no longer in flight and the run is woken.
    pub fn spawn<F, Fut>(self: &std::sync::Arc<Self>, run: &ChaosWorkflowRun, task: Task, work: F) -> bool
    where
        F: FnOnce(Reporter) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let uid = run.metadata.uid.clone().unwrap_or_default();
        let reporter = Reporter { tasks: self.clone(), uid: uid.clone(), run: ObjectRef::from_obj(run) };
        let mut runs = self.lock();
        let entry = runs.entry(uid.clone()).or_default();
        if entry.running.contains_key(&task) {
            return false;
        }
        let done = reporter.clone();
        let key = task.clone();
        let fut = work(reporter);
        // in the span it was started in (the run's): what it logs is about the run, and in the run's log
        let handle = tokio::spawn(
            async move {
                if let Err(panic) = AssertUnwindSafe(fut).catch_unwind().await {
                    tracing::error!(task = ?key, panic = %super::panic_message(&panic), "a run task panicked");
                }
                done.tasks.lock().get_mut(&done.uid).map(|e| e.running.remove(&key));
                let _ = done.tasks.wake.unbounded_send(done.run.clone());
            }
            .in_current_span(),
        );
        entry.running.insert(task, handle);
        true
    }

    /// The run's tasks in flight.
    pub fn in_flight(&self, uid: &str) -> BTreeSet<Task> {
        self.lock().get(uid).map(|e| e.running.keys().cloned().collect()).unwrap_or_default()
    }

    /// The run's reports not yet acknowledged, oldest first.
    pub fn reports(&self, uid: &str) -> Vec<Numbered> {
        self.lock().get(uid).map(|e| e.reports.clone()).unwrap_or_default()
    }

    /// Drops the run's reports up to `seq` (they are in a written status now).
    pub fn acknowledge(&self, uid: &str, seq: u64) {
        if let Some(e) = self.lock().get_mut(uid) {
            e.reports.retain(|r| r.seq > seq);
        }
    }

    /// Cancels the run's tasks (of `step`, or all) and waits until they are gone.
    pub async fn cancel(&self, uid: &str, step: Option<&str>) -> usize {
        let handles: Vec<JoinHandle<()>> = {
            let mut runs = self.lock();
            let Some(entry) = runs.get_mut(uid) else { return 0 };
            let keys: Vec<Task> =
                entry.running.keys().filter(|t| step.is_none_or(|s| t.step() == s)).cloned().collect();
            keys.iter().filter_map(|k| entry.running.remove(k)).collect()
        };
        let n = handles.len();
        for handle in &handles {
            handle.abort();
        }
        for handle in handles {
            let _ = handle.await;
        }
        n
    }

    /// Forgets a run whose tasks are all done (its reports too).
    pub fn forget(&self, uid: &str) {
        let mut runs = self.lock();
        if runs.get(uid).is_some_and(|e| e.running.is_empty()) {
            runs.remove(uid);
        }
    }

    /// Cancels the tasks of runs that no longer exist (`live` holds the uids that do), and forgets them.
    pub async fn sweep(&self, live: &BTreeSet<String>) {
        let gone: Vec<String> = self.lock().keys().filter(|uid| !live.contains(*uid)).cloned().collect();
        for uid in gone {
            self.cancel(&uid, None).await;
            self.lock().remove(&uid);
        }
    }
}
