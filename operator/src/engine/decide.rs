//! The run state machine: from a run's spec and status and the observed world, the next actions. Pure:
//! everything it needs is passed in, so a restarted operator continues from the status alone.

use chaoscenter_crds::common::parse_duration;
use chaoscenter_crds::run::{
    ChaosWorkflowRunStatus, ProbeStatus, ProbeVerdict, RunPhase, StepStatus, Verdict,
};
use chaoscenter_crds::workflow::{ChaosWorkflowSpec, Probe, ProbeMode, Step};
use jiff::Timestamp;
use std::time::Duration;

/// What the controller observed, beyond the run itself.
#[derive(Clone, Debug)]
pub struct Observed {
    pub now: Timestamp,
    /// The cluster-wide halt switch is on.
    pub halted: bool,
    /// The run carries the revert finalizer.
    pub has_finalizer: bool,
    /// For a Pending run: whether the admission checks (workflow, policy, halt) passed.
    pub admission: Option<Result<(), Refusal>>,
}

/// Why a run may not start: a PascalCase reason and a message naming the offending field or object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: &'static str,
    pub message: String,
}

/// When a probe check happens relative to the chaos.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Before the first injection (modes SOT, Edge).
    Sot,
    /// Repeatedly while the step runs (Continuous) or while the fault is active (OnChaos).
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
    /// Add the revert finalizer (before anything is injected).
    AddFinalizer,
    /// Phase Running with the deadline.
    Start,
    StartStep {
        step: String,
    },
    Probe {
        step: String,
        probe: String,
        stage: Stage,
    },
    Inject {
        step: String,
        round: u32,
    },
    /// Revert (and verify) every target of the step not yet verified reverted.
    Revert {
        step: String,
    },
    /// Compute the step's verdict and finish it.
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

/// Parses an RFC 3339 timestamp from the status.
pub fn ts(value: &Option<String>) -> Option<Timestamp> {
    value.as_deref().and_then(|v| v.parse().ok())
}

fn dur(text: &str) -> Duration {
    parse_duration(text).unwrap_or(Duration::from_secs(1))
}

/// True when a target of the step still needs a (verified) revert.
pub fn has_unreverted(step: &StepStatus) -> bool {
    step.targets.iter().any(|t| !t.revert_verified)
}

/// Which probes of a step check at a stage.
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
pub fn decide(
    spec: &ChaosWorkflowSpec,
    abort: bool,
    dry_run: bool,
    status: &ChaosWorkflowRunStatus,
    observed: &Observed,
) -> Decision {
    let idle = |actions| Decision { actions, requeue: MAX_REQUEUE };
    let phase = status.phase.unwrap_or_default();
    let unreverted: Vec<&StepStatus> = status.steps.iter().filter(|s| has_unreverted(s)).collect();

    if phase.is_finished() {
        // A finished run keeps its finalizer until every revert is verified.
        if !unreverted.is_empty() {
            let actions = unreverted.iter().map(|s| Action::Revert { step: s.name.clone() }).collect();
            return Decision { actions, requeue: Duration::from_secs(2) };
        }
        return idle(if observed.has_finalizer { vec![Action::RemoveFinalizer] } else { vec![] });
    }

    if phase == RunPhase::Pending {
        if abort {
            return idle(vec![Action::Finish {
                phase: RunPhase::Aborted,
                reason: "Aborted",
                message: "spec.abort was set before the run started; nothing was injected".into(),
            }]);
        }
        return match &observed.admission {
            None => Decision { actions: vec![], requeue: Duration::from_secs(1) },
            Some(Err(refusal)) => idle(vec![Action::Refuse(refusal.clone())]),
            Some(Ok(())) if dry_run => idle(vec![Action::Plan]),
            Some(Ok(())) => {
                let mut actions = vec![];
                if !observed.has_finalizer {
                    actions.push(Action::AddFinalizer);
                }
                actions.push(Action::Start);
                Decision { actions, requeue: Duration::ZERO }
            }
        };
    }

    // Running.
    let now = observed.now;
    let stop = if abort {
        Some(("Aborted", "spec.abort is true: every fault was reverted".to_string()))
    } else if observed.halted {
        Some(("Halted", "the cluster-wide halt switch is on: every fault was reverted".to_string()))
    } else if ts(&status.deadline).is_some_and(|d| now >= d) {
        Some(("DeadlineExceeded", "the run's deadline passed: every fault was reverted".to_string()))
    } else {
        None
    };
    if let Some((reason, message)) = stop {
        if !unreverted.is_empty() {
            let actions = unreverted.iter().map(|s| Action::Revert { step: s.name.clone() }).collect();
            return Decision { actions, requeue: Duration::from_millis(500) };
        }
        let mut actions: Vec<Action> = status
            .steps
            .iter()
            .filter(|s| s.phase == RunPhase::Running)
            .map(|s| Action::StopStep { step: s.name.clone() })
            .collect();
        actions.push(Action::Finish { phase: RunPhase::Aborted, reason, message });
        return idle(actions);
    }

    let mut actions = Vec::new();
    let mut next_look = MAX_REQUEUE;
    let mut soon = |at: Timestamp| {
        let wait = Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO);
        next_look = next_look.min(wait);
    };
    if let Some(deadline) = ts(&status.deadline) {
        soon(deadline);
    }
    let step_status = |name: &str| status.steps.iter().find(|s| s.name == name);
    let finished = |name: &str| step_status(name).is_some_and(|s| s.phase.is_finished());

    for step in &spec.steps {
        let st = step_status(&step.name);
        match st.map(|s| s.phase).unwrap_or(RunPhase::Pending) {
            RunPhase::Pending if step.depends_on.iter().all(|d| finished(d)) => {
                actions.push(Action::StartStep { step: step.name.clone() });
            }
            RunPhase::Running => {
                let st = st.expect("a running step has a status");
                step_actions(step, st, now, &mut actions, &mut soon);
            }
            _ => {}
        }
    }

    if actions.is_empty() && spec.steps.iter().all(|s| finished(&s.name)) {
        let all_pass = status.steps.iter().all(|s| s.verdict == Verdict::Pass);
        let (phase, reason, message) = if all_pass {
            (RunPhase::Succeeded, "Succeeded", "every step passed".to_string())
        } else {
            let failed: Vec<&str> =
                status.steps.iter().filter(|s| s.verdict != Verdict::Pass).map(|s| s.name.as_str()).collect();
            (RunPhase::Failed, "StepsFailed", format!("steps that did not pass: {}", failed.join(", ")))
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
    actions: &mut Vec<Action>,
    soon: &mut impl FnMut(Timestamp),
) {
    let probe_status = |name: &str| st.probes.iter().find(|p| p.name == name);
    let due_at = |probe: &Probe| match probe_status(&probe.name).and_then(|p| ts(&p.last_checked_at)) {
        None => {
            let delay = probe.run_properties.initial_delay.as_deref().map(dur).unwrap_or_default();
            ts(&st.started_at).map(|s| s + delay).unwrap_or(now)
        }
        Some(last) => last + dur(&probe.run_properties.interval),
    };
    let tripped = step
        .probes
        .iter()
        .any(|p| p.run_properties.stop_on_failure && probe_status(&p.name).is_some_and(|s| s.failed > 0));

    match (ts(&st.chaos_started_at), ts(&st.chaos_ends_at)) {
        (None, _) if !tripped => {
            let sot: Vec<Action> = step
                .probes
                .iter()
                .filter(|p| {
                    probe_runs_at(p, Stage::Sot) && !probe_status(&p.name).is_some_and(|s| s.sot_done)
                })
                .map(|p| Action::Probe { step: step.name.clone(), probe: p.name.clone(), stage: Stage::Sot })
                .collect();
            if sot.is_empty() {
                actions.push(Action::Inject { step: step.name.clone(), round: 0 });
            } else {
                actions.extend(sot);
            }
        }
        (Some(_), Some(ends)) if now < ends && !tripped => {
            if let (Some(_), Some(next)) = (&step.fault.interval, ts(&st.next_injection_at)) {
                if next <= now {
                    actions.push(Action::Inject { step: step.name.clone(), round: st.injections });
                } else {
                    soon(next);
                }
            }
            for probe in step.probes.iter().filter(|p| probe_runs_at(p, Stage::During)) {
                let due = due_at(probe);
                if due <= now {
                    actions.push(Action::Probe {
                        step: step.name.clone(),
                        probe: probe.name.clone(),
                        stage: Stage::During,
                    });
                } else {
                    soon(due);
                }
            }
            soon(ends);
        }
        _ => {
            // The chaos is over (or a stop-on-failure probe failed): revert, EOT probes, verdict.
            if has_unreverted(st) {
                actions.push(Action::Revert { step: step.name.clone() });
            } else {
                let eot: Vec<Action> = step
                    .probes
                    .iter()
                    .filter(|p| {
                        probe_runs_at(p, Stage::Eot) && !probe_status(&p.name).is_some_and(|s| s.eot_done)
                    })
                    .map(|p| Action::Probe {
                        step: step.name.clone(),
                        probe: p.name.clone(),
                        stage: Stage::Eot,
                    })
                    .collect();
                if eot.is_empty() || tripped {
                    actions.push(Action::FinishStep { step: step.name.clone() });
                } else {
                    actions.extend(eot);
                }
            }
        }
    }
}
