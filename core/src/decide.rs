//! The run state machine: from a run's validated definition, its status and what the operator observed,
//! the next actions. Pure: a restarted operator continues from the status alone. Probe checks and
//! injection rounds run as tasks outside the reconcile; the engine knows which are in flight, never
//! starts one twice, and cancels them before anything else when the run must stop.

use crate::plan::{Probe, Step, Workflow};
use crate::time;
use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use chaoscenter_crds::run::{
    ChaosWorkflowRunStatus, ProbeStatus, ProbeVerdict, RunPhase, StepStatus, Verdict,
};
use chaoscenter_crds::workflow::ProbeMode;
use core::time::Duration;
use jiff::Timestamp;

/// The run as the engine sees it.
#[derive(Clone, Copy, Debug)]
pub struct RunInput<'a> {
    /// The validated definition, or why the run's definition is not valid.
    pub workflow: Result<&'a Workflow, &'a str>,
    /// `spec.abort`, or the run is being deleted.
    pub abort: bool,
    pub dry_run: bool,
}

/// What the controller observed, beyond the run itself.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub now: Timestamp,
    /// The cluster-wide halt switch is on.
    pub halted: bool,
    /// The run carries the revert finalizer.
    pub has_finalizer: bool,
    /// For a Pending run: whether the admission checks (policy, halt) passed; `None` while unknown.
    pub admission: Option<Result<(), Refusal>>,
    /// The run's tasks (probe checks, injection rounds) running now.
    pub in_flight: BTreeSet<Task>,
    /// Injected targets, not yet reverted, that may no longer be targeted (their owner withdrew).
    pub withdrawn: Vec<Withdrawal>,
    /// For a started run: its spec no longer matches the definition it was admitted with (the digest
    /// recorded at start); says what changed. The run is stopped and every fault reverted.
    pub definition_changed: Option<String>,
}

/// A target whose fault must be reverted now because it is no longer allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    pub step: String,
    /// The target's index in the step's `targets`.
    pub target: usize,
    /// Why it is no longer allowed, naming the namespace or node.
    pub reason: String,
}

/// Why a run may not start: a PascalCase reason and a message naming the offending field or object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: &'static str,
    pub message: String,
}

/// A task of a run that runs outside the reconcile.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Task {
    /// One check of a probe (its attempts included).
    Probe { step: String, probe: String },
    /// Injecting a round's recorded targets.
    Inject { step: String, round: u32 },
}

impl Task {
    pub fn step(&self) -> &str {
        match self {
            Self::Probe { step, .. } | Self::Inject { step, .. } => step,
        }
    }
}

/// When a probe check happens relative to the chaos.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Before the first injection (modes SOT, Edge).
    Sot,
    /// Repeatedly while the fault is active (Continuous, OnChaos).
    During,
    /// After the revert (modes EOT, Edge).
    Eot,
}

/// One thing to do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The run may not start: phase Failed, condition and Event, nothing injected.
    Refuse(Refusal),
    /// Dry run: resolve every step's targets, record the plan, inject nothing, finish.
    Plan,
    /// Phase Running with the deadline; first the revert finalizer when `finalizer` (before anything is
    /// injected).
    Start {
        finalizer: bool,
    },
    StartStep {
        step: String,
    },
    /// Start a probe check task.
    Probe {
        step: String,
        probe: String,
        stage: Stage,
    },
    /// Choose, record and start injecting a round's targets (or resume a recorded round).
    Inject {
        step: String,
        round: u32,
    },
    /// Cancel the run's tasks (of one step, or all), and wait until they are gone.
    Cancel {
        step: Option<String>,
    },
    /// Revert (and verify) one target now: it is no longer allowed.
    Withdraw(Withdrawal),
    /// Revert (and verify) every target of the step not yet verified reverted.
    Revert {
        step: String,
    },
    /// Compute the step's verdict and finish it (cancelling its remaining probe checks).
    FinishStep {
        step: String,
    },
    /// Stop a running step without finishing its chaos (abort, halt, deadline): verdict Stopped.
    StopStep {
        step: String,
    },
    /// Finish the run with a phase; reason and message go into its condition and Event.
    Finish {
        phase: RunPhase,
        reason: &'static str,
        message: String,
    },
    /// Every revert is verified: let the run go.
    RemoveFinalizer,
}

/// The next actions and when to look again if nothing else happens.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub actions: Vec<Action>,
    pub requeue: Duration,
}

/// Longest wait between two looks at a running run.
pub const MAX_REQUEUE: Duration = Duration::from_secs(10);

/// True when a target of the step still needs a (verified) revert.
pub fn has_unreverted(step: &StepStatus) -> bool {
    step.targets.iter().any(|t| !t.revert_verified)
}

/// Which probes check at a stage.
pub fn probe_runs_at(probe: &Probe, stage: Stage) -> bool {
    match stage {
        Stage::Sot => matches!(probe.mode, ProbeMode::SOT | ProbeMode::Edge),
        Stage::Eot => matches!(probe.mode, ProbeMode::EOT | ProbeMode::Edge),
        Stage::During => matches!(probe.mode, ProbeMode::Continuous | ProbeMode::OnChaos),
    }
}

/// A probe's verdict from its counters: Failed on any failed check, Passed when at least one passed.
pub fn probe_verdict(status: &ProbeStatus) -> ProbeVerdict {
    if status.failed > 0 {
        ProbeVerdict::Failed
    } else if status.passed > 0 {
        ProbeVerdict::Passed
    } else {
        ProbeVerdict::Awaited
    }
}

/// Records one check's outcome in the step's status.
pub fn record_probe(
    st: &mut StepStatus,
    probe: &str,
    stage: Stage,
    passed: bool,
    message: String,
    at: Timestamp,
) {
    let i = match st.probes.iter().position(|p| p.name == probe) {
        Some(i) => i,
        None => {
            st.probes.push(ProbeStatus { name: probe.to_string(), ..Default::default() });
            st.probes.len() - 1
        }
    };
    let ps = &mut st.probes[i];
    if passed {
        ps.passed = ps.passed.saturating_add(1);
    } else {
        ps.failed = ps.failed.saturating_add(1);
    }
    ps.last_checked_at = Some(time::show(at));
    match stage {
        Stage::Sot => ps.sot_done = true,
        Stage::Eot => ps.eot_done = true,
        Stage::During => {}
    }
    ps.message = message;
    ps.verdict = probe_verdict(ps);
}

/// Records that a round's injections are settled: the chaos window opens with the first round that
/// injected anything (or closes at once when round 0 injected nothing, so the verdict is Fail), and a
/// repeating fault's next round is scheduled.
pub fn record_round(st: &mut StepStatus, step: &Step, round: u32, injected_any: bool, at: Timestamp) {
    let fault = &step.fault;
    if st.chaos_started_at.is_none() {
        st.chaos_started_at = Some(time::show(at));
        let ends = if injected_any { time::add(at, fault.duration) } else { at };
        st.chaos_ends_at = Some(time::show(ends));
    }
    if injected_any || round > 0 {
        st.injections = st.injections.max(round.saturating_add(1));
    }
    if let Some(interval) = fault.interval {
        // a later round that hit nothing (e.g. every pod still restarting) tries again within 2 s
        let wait = if injected_any || round == 0 { interval } else { interval.min(Duration::from_secs(2)) };
        st.next_injection_at = Some(time::show(time::add(at, wait)));
    }
}

/// The fault verdict of a finished step: Pass when the fault was injected and every probe passed.
pub fn step_verdict(step: &Step, status: &StepStatus) -> Verdict {
    if status.injections == 0 {
        return Verdict::Fail;
    }
    let all_passed = step.probes.iter().all(|p| {
        status
            .probes
            .iter()
            .find(|s| s.name == p.name)
            .is_some_and(|s| probe_verdict(s) == ProbeVerdict::Passed)
    });
    if all_passed {
        Verdict::Pass
    } else {
        Verdict::Fail
    }
}

/// Decides the next actions for a run.
pub fn decide(run: &RunInput<'_>, status: &ChaosWorkflowRunStatus, observed: &Observed) -> Decision {
    let idle = |actions| Decision { actions, requeue: MAX_REQUEUE };
    let now_ = |actions| Decision { actions, requeue: Duration::ZERO };
    let phase = status.phase.unwrap_or_default();
    let revert_all = |requeue: Duration| {
        let actions: Vec<Action> = status
            .steps
            .iter()
            .filter(|s| has_unreverted(s))
            .map(|s| Action::Revert { step: s.name.clone() })
            .collect();
        (!actions.is_empty()).then_some(Decision { actions, requeue })
    };

    if phase.is_finished() {
        if !observed.in_flight.is_empty() {
            return now_(alloc::vec![Action::Cancel { step: None }]);
        }
        // A finished run keeps its finalizer until every revert is verified.
        if let Some(d) = revert_all(Duration::from_secs(2)) {
            return d;
        }
        return idle(if observed.has_finalizer { alloc::vec![Action::RemoveFinalizer] } else { Vec::new() });
    }

    if phase == RunPhase::Pending {
        if run.abort {
            return idle(alloc::vec![Action::Finish {
                phase: RunPhase::Aborted,
                reason: "Aborted",
                message: "spec.abort was set before the run started; nothing was injected".into(),
            }]);
        }
        if let Some(Err(refusal)) = &observed.admission {
            return idle(alloc::vec![Action::Refuse(refusal.clone())]);
        }
        let workflow = match run.workflow {
            Ok(w) => w,
            Err(message) => {
                return idle(alloc::vec![Action::Refuse(Refusal {
                    reason: "InvalidWorkflow",
                    message: message.to_string()
                })])
            }
        };
        return match &observed.admission {
            None | Some(Err(_)) => Decision { actions: Vec::new(), requeue: Duration::from_secs(1) },
            Some(Ok(())) if run.dry_run => idle(alloc::vec![Action::Plan]),
            Some(Ok(())) => now_(alloc::vec![Action::Start {
                finalizer: workflow.holds_state() && !observed.has_finalizer
            }]),
        };
    }

    // Running.
    let now = observed.now;
    let deadline = time::parse(&status.deadline);
    let stop = if let Some(changed) = &observed.definition_changed {
        // first: whatever else holds, the run must say that it was tampered with
        Some((
            RunPhase::Error,
            "DefinitionChanged",
            alloc::format!(
                "the run's spec changed after it was admitted ({changed}): nothing more was injected, every fault was reverted"
            ),
        ))
    } else if run.abort {
        Some((RunPhase::Aborted, "Aborted", "spec.abort is true: every fault was reverted".to_string()))
    } else if observed.halted {
        Some((
            RunPhase::Aborted,
            "Halted",
            "the cluster-wide halt switch is on: every fault was reverted".to_string(),
        ))
    } else if deadline.is_none_or(|d| now >= d) {
        Some((
            RunPhase::Aborted,
            "DeadlineExceeded",
            "the run's deadline passed: every fault was reverted".to_string(),
        ))
    } else if let Err(message) = run.workflow {
        Some((
            RunPhase::Error,
            "InvalidDefinition",
            alloc::format!("the run's definition is not valid: {message}; every fault was reverted"),
        ))
    } else {
        None
    };
    if let Some((phase, reason, message)) = stop {
        if !observed.in_flight.is_empty() {
            return now_(alloc::vec![Action::Cancel { step: None }]);
        }
        if let Some(d) = revert_all(Duration::from_millis(500)) {
            return d;
        }
        let mut actions: Vec<Action> = status
            .steps
            .iter()
            .filter(|s| s.phase == RunPhase::Running)
            .map(|s| Action::StopStep { step: s.name.clone() })
            .collect();
        actions.push(Action::Finish { phase, reason, message });
        return idle(actions);
    }
    let Ok(workflow) = run.workflow else { unreachable!("an invalid definition stops the run above") };

    let mut actions: Vec<Action> = observed.withdrawn.iter().cloned().map(Action::Withdraw).collect();
    let mut next_look = MAX_REQUEUE;
    let mut soon = |at: Timestamp| next_look = next_look.min(time::until(now, at));
    if let Some(deadline) = deadline {
        soon(deadline);
    }
    let step_status = |name: &str| status.steps.iter().find(|s| s.name == name);
    let finished = |name: &str| step_status(name).is_some_and(|s| s.phase.is_finished());

    for step in &workflow.steps {
        let st = step_status(&step.name);
        match st.map(|s| s.phase).unwrap_or(RunPhase::Pending) {
            RunPhase::Pending if step.depends_on.iter().all(|d| finished(d)) => {
                actions.push(Action::StartStep { step: step.name.clone() });
            }
            RunPhase::Running => {
                if let Some(st) = st {
                    step_actions(step, st, now, &observed.in_flight, &mut actions, &mut soon);
                }
            }
            _ => {}
        }
    }

    if actions.is_empty() && workflow.steps.iter().all(|s| finished(&s.name)) {
        let failed: Vec<&str> =
            status.steps.iter().filter(|s| s.verdict != Verdict::Pass).map(|s| s.name.as_str()).collect();
        let (phase, reason, message) = if failed.is_empty() {
            (RunPhase::Succeeded, "Succeeded", "every step passed".to_string())
        } else {
            (
                RunPhase::Failed,
                "StepsFailed",
                alloc::format!("steps that did not pass: {}", failed.join(", ")),
            )
        };
        actions.push(Action::Finish { phase, reason, message });
    }
    let requeue = if actions.is_empty() { next_look } else { Duration::ZERO };
    Decision { actions, requeue }
}

fn step_actions(
    step: &Step,
    st: &StepStatus,
    now: Timestamp,
    in_flight: &BTreeSet<Task>,
    actions: &mut Vec<Action>,
    soon: &mut impl FnMut(Timestamp),
) {
    let probe_status = |name: &str| st.probes.iter().find(|p| p.name == name);
    let probing = |probe: &Probe| {
        in_flight.contains(&Task::Probe { step: step.name.clone(), probe: probe.name.clone() })
    };
    let injecting = in_flight.iter().any(|t| matches!(t, Task::Inject { step: s, .. } if *s == step.name));
    let probe_action =
        |probe: &Probe, stage| Action::Probe { step: step.name.clone(), probe: probe.name.clone(), stage };
    let due_at = |probe: &Probe| match probe_status(&probe.name).and_then(|p| time::parse(&p.last_checked_at))
    {
        None => time::parse(&st.started_at).map(|s| time::add(s, probe.initial_delay)).unwrap_or(now),
        Some(last) => time::add(last, probe.interval),
    };
    let tripped =
        step.probes.iter().any(|p| p.stop_on_failure && probe_status(&p.name).is_some_and(|s| s.failed > 0));

    match (time::parse(&st.chaos_started_at), time::parse(&st.chaos_ends_at)) {
        (None, _) if !tripped => {
            let sot: Vec<&Probe> = step
                .probes
                .iter()
                .filter(|p| {
                    probe_runs_at(p, Stage::Sot) && !probe_status(&p.name).is_some_and(|s| s.sot_done)
                })
                .collect();
            if !sot.is_empty() {
                actions.extend(sot.into_iter().filter(|p| !probing(p)).map(|p| probe_action(p, Stage::Sot)));
            } else if !injecting {
                actions.push(Action::Inject { step: step.name.clone(), round: 0 });
            }
        }
        (Some(_), Some(ends)) if now < ends && !tripped => {
            if let (Some(_), Some(next)) = (step.fault.interval, time::parse(&st.next_injection_at)) {
                if injecting {
                    // the running round settles first
                } else if next <= now {
                    actions.push(Action::Inject { step: step.name.clone(), round: st.injections });
                } else {
                    soon(next);
                }
            }
            for probe in step.probes.iter().filter(|p| probe_runs_at(p, Stage::During) && !probing(p)) {
                let due = due_at(probe);
                if due <= now {
                    actions.push(probe_action(probe, Stage::During));
                } else {
                    soon(due);
                }
            }
            soon(ends);
        }
        _ => {
            // The chaos is over (or a stop-on-failure probe failed): stop injecting, revert, EOT probes,
            // verdict.
            if injecting {
                actions.push(Action::Cancel { step: Some(step.name.clone()) });
            } else if has_unreverted(st) {
                actions.push(Action::Revert { step: step.name.clone() });
            } else {
                let eot: Vec<&Probe> = step
                    .probes
                    .iter()
                    .filter(|p| {
                        probe_runs_at(p, Stage::Eot) && !probe_status(&p.name).is_some_and(|s| s.eot_done)
                    })
                    .collect();
                if eot.is_empty() || tripped {
                    actions.push(Action::FinishStep { step: step.name.clone() });
                } else {
                    actions
                        .extend(eot.into_iter().filter(|p| !probing(p)).map(|p| probe_action(p, Stage::Eot)));
                }
            }
        }
    }
}
