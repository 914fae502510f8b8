//! Exhaustive tests of the run state machine, one named scenario each.

use crate::decide::*;
use crate::plan::Workflow;
use crate::testing::{probe, scale_step, step, workflow};
use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use chaoscenter_crds::run::{
    ChaosWorkflowRunStatus, ProbeStatus, RunPhase, StepStatus, TargetStatus, Verdict,
};
use chaoscenter_crds::workflow::ProbeMode;
use core::time::Duration;
use jiff::Timestamp;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}
fn s(secs: i64) -> Option<String> {
    Some(t(secs).to_string())
}
fn observed(now: i64) -> Observed {
    Observed { now: t(now), has_finalizer: true, ..Default::default() }
}
fn running(steps: Vec<StepStatus>) -> ChaosWorkflowRunStatus {
    ChaosWorkflowRunStatus {
        phase: Some(RunPhase::Running),
        started_at: s(0),
        deadline: s(1800),
        steps,
        ..Default::default()
    }
}
fn step_status(name: &str, phase: RunPhase) -> StepStatus {
    StepStatus { name: name.into(), phase, started_at: s(0), ..Default::default() }
}
fn in_chaos(name: &str, ends: i64) -> StepStatus {
    StepStatus {
        chaos_started_at: s(0),
        chaos_ends_at: s(ends),
        injections: 1,
        ..step_status(name, RunPhase::Running)
    }
}
fn target(verified: bool) -> TargetStatus {
    TargetStatus {
        kind: "Deployment".into(),
        name: "web".into(),
        injected_at: s(0),
        revert_verified: verified,
        ..Default::default()
    }
}
fn input(wf: &Workflow) -> RunInput<'_> {
    RunInput { workflow: Ok(wf), abort: false, dry_run: false }
}
fn decide_at(wf: &Workflow, status: &ChaosWorkflowRunStatus, obs: &Observed) -> Vec<Action> {
    decide(&input(wf), status, obs).actions
}
fn finished_step(name: &str, verdict: Verdict) -> StepStatus {
    StepStatus {
        verdict,
        injections: 1,
        ..step_status(name, if verdict == Verdict::Pass { RunPhase::Succeeded } else { RunPhase::Failed })
    }
}
fn in_flight(tasks: &[Task]) -> BTreeSet<Task> {
    tasks.iter().cloned().collect()
}
fn probe_task(step: &str, probe: &str) -> Task {
    Task::Probe { step: step.into(), probe: probe.into() }
}

#[test]
fn pending_waits_for_admission() {
    let wf = workflow(vec![step("a", &[])]);
    let d = decide(&input(&wf), &Default::default(), &Observed { admission: None, ..observed(0) });
    assert!(d.actions.is_empty());
    assert_eq!(d.requeue, Duration::from_secs(1));
}

#[test]
fn admitted_run_starts_with_a_finalizer_only_when_a_fault_holds_state() {
    let pods = workflow(vec![step("a", &[])]);
    let scale = workflow(vec![scale_step("a")]);
    let obs = Observed { has_finalizer: false, admission: Some(Ok(())), ..observed(0) };
    assert_eq!(decide_at(&pods, &Default::default(), &obs), vec![Action::Start { finalizer: false }]);
    assert_eq!(decide_at(&scale, &Default::default(), &obs), vec![Action::Start { finalizer: true }]);
    let obs = Observed { admission: Some(Ok(())), ..observed(0) };
    assert_eq!(decide_at(&scale, &Default::default(), &obs), vec![Action::Start { finalizer: false }]);
}

#[test]
fn refused_run_fails_without_finalizer_or_injection() {
    let wf = workflow(vec![step("a", &[])]);
    let refusal = Refusal { reason: "NamespaceNotAllowed", message: "namespace shop did not opt in".into() };
    let obs = Observed { has_finalizer: false, admission: Some(Err(refusal.clone())), ..observed(0) };
    assert_eq!(decide_at(&wf, &Default::default(), &obs), vec![Action::Refuse(refusal)]);
}

#[test]
fn an_invalid_definition_is_refused_before_anything_else() {
    let run =
        RunInput { workflow: Err("spec.steps[0].fault.duration: too long"), abort: false, dry_run: false };
    let obs = Observed { admission: Some(Ok(())), ..observed(0) };
    let actions = decide(&run, &Default::default(), &obs).actions;
    assert!(
        matches!(&actions[..], [Action::Refuse(r)] if r.reason == "InvalidWorkflow" && r.message.contains("fault.duration")),
        "{actions:?}"
    );
}

#[test]
fn a_running_run_whose_definition_became_invalid_reverts_and_ends_in_error() {
    let mut a = in_chaos("a", 30);
    a.targets = vec![target(false)];
    let status = running(vec![a]);
    let run = RunInput { workflow: Err("spec.steps: changed"), abort: false, dry_run: false };
    assert_eq!(decide(&run, &status, &observed(5)).actions, vec![Action::Revert { step: "a".into() }]);
    let mut reverted = status.clone();
    reverted.steps[0].targets = vec![target(true)];
    let actions = decide(&run, &reverted, &observed(5)).actions;
    assert!(
        matches!(
            actions.last(),
            Some(Action::Finish { phase: RunPhase::Error, reason: "InvalidDefinition", .. })
        ),
        "{actions:?}"
    );
}

#[test]
fn dry_run_plans_instead_of_starting() {
    let wf = workflow(vec![step("a", &[])]);
    let obs = Observed { has_finalizer: false, admission: Some(Ok(())), ..observed(0) };
    let run = RunInput { dry_run: true, ..input(&wf) };
    assert_eq!(decide(&run, &Default::default(), &obs).actions, vec![Action::Plan]);
}

#[test]
fn abort_before_start_finishes_aborted() {
    let wf = workflow(vec![step("a", &[])]);
    let run = RunInput { abort: true, ..input(&wf) };
    let actions = decide(&run, &Default::default(), &observed(0)).actions;
    assert!(matches!(&actions[..], [Action::Finish { phase: RunPhase::Aborted, .. }]), "{actions:?}");
}

#[test]
fn independent_steps_start_together_dependents_wait() {
    let wf = workflow(vec![step("a", &[]), step("b", &[]), step("c", &["a", "b"])]);
    let actions = decide_at(&wf, &running(vec![]), &observed(1));
    assert_eq!(actions, vec![Action::StartStep { step: "a".into() }, Action::StartStep { step: "b".into() }]);
    let status = running(vec![finished_step("a", Verdict::Pass), in_chaos("b", 30)]);
    assert!(!decide_at(&wf, &status, &observed(1)).contains(&Action::StartStep { step: "c".into() }));
    let status = running(vec![finished_step("a", Verdict::Pass), finished_step("b", Verdict::Fail)]);
    assert_eq!(decide_at(&wf, &status, &observed(1)), vec![Action::StartStep { step: "c".into() }]);
}

#[test]
fn sot_probes_run_before_the_first_injection() {
    let mut a = step("a", &[]);
    a.probes = vec![
        probe("pre", ProbeMode::SOT),
        probe("edge", ProbeMode::Edge),
        probe("cont", ProbeMode::Continuous),
    ];
    let wf = workflow(vec![a]);
    let actions = decide_at(&wf, &running(vec![step_status("a", RunPhase::Running)]), &observed(1));
    assert_eq!(
        actions,
        vec![
            Action::Probe { step: "a".into(), probe: "pre".into(), stage: Stage::Sot },
            Action::Probe { step: "a".into(), probe: "edge".into(), stage: Stage::Sot },
        ]
    );
    // one in flight, one done: wait, and do not inject yet
    let mut st = step_status("a", RunPhase::Running);
    st.probes = vec![ProbeStatus { name: "pre".into(), sot_done: true, passed: 1, ..Default::default() }];
    let obs = Observed { in_flight: in_flight(&[probe_task("a", "edge")]), ..observed(1) };
    assert_eq!(decide_at(&wf, &running(vec![st.clone()]), &obs), vec![]);
    st.probes.push(ProbeStatus { name: "edge".into(), sot_done: true, passed: 1, ..Default::default() });
    assert_eq!(
        decide_at(&wf, &running(vec![st]), &observed(1)),
        vec![Action::Inject { step: "a".into(), round: 0 }]
    );
}

#[test]
fn a_round_in_flight_is_not_started_twice() {
    let wf = workflow(vec![step("a", &[])]);
    let st = step_status("a", RunPhase::Running);
    let obs =
        Observed { in_flight: in_flight(&[Task::Inject { step: "a".into(), round: 0 }]), ..observed(1) };
    let d = decide(&input(&wf), &running(vec![st]), &obs);
    assert_eq!(d.actions, vec![]);
    assert!(d.requeue > Duration::ZERO);
}

#[test]
fn during_chaos_probes_check_at_their_interval_one_at_a_time() {
    let mut a = step("a", &[]);
    a.probes = vec![probe("cont", ProbeMode::Continuous), probe("eot", ProbeMode::EOT)];
    let wf = workflow(vec![a]);
    // never checked: due now
    let d = decide(&input(&wf), &running(vec![in_chaos("a", 30)]), &observed(5));
    assert_eq!(
        d.actions,
        vec![Action::Probe { step: "a".into(), probe: "cont".into(), stage: Stage::During }]
    );
    // due, but the previous check is still running: not again
    let obs = Observed { in_flight: in_flight(&[probe_task("a", "cont")]), ..observed(5) };
    assert_eq!(decide(&input(&wf), &running(vec![in_chaos("a", 30)]), &obs).actions, vec![]);
    // checked 1 s ago with a 2 s interval: not due, look again in 1 s
    let mut st = in_chaos("a", 30);
    st.probes =
        vec![ProbeStatus { name: "cont".into(), last_checked_at: s(4), passed: 1, ..Default::default() }];
    let d = decide(&input(&wf), &running(vec![st]), &observed(5));
    assert!(d.actions.is_empty());
    assert_eq!(d.requeue, Duration::from_secs(1));
}

#[test]
fn repeating_faults_inject_every_interval_until_the_end() {
    let mut a = step("a", &[]);
    a.fault.interval = Some(Duration::from_secs(10));
    let wf = workflow(vec![a]);
    let mut st = in_chaos("a", 30);
    st.next_injection_at = s(10);
    let d = decide(&input(&wf), &running(vec![st.clone()]), &observed(5));
    assert!(d.actions.is_empty());
    assert_eq!(d.requeue, Duration::from_secs(5));
    assert_eq!(
        decide_at(&wf, &running(vec![st.clone()]), &observed(10)),
        vec![Action::Inject { step: "a".into(), round: 1 }]
    );
    let obs =
        Observed { in_flight: in_flight(&[Task::Inject { step: "a".into(), round: 1 }]), ..observed(11) };
    assert_eq!(decide_at(&wf, &running(vec![st]), &obs), vec![]);
}

#[test]
fn after_the_chaos_revert_then_eot_then_verdict() {
    let mut a = step("a", &[]);
    a.probes = vec![probe("eot", ProbeMode::EOT)];
    let wf = workflow(vec![a]);
    let mut st = in_chaos("a", 30);
    st.targets = vec![target(false)];
    assert_eq!(
        decide_at(&wf, &running(vec![st.clone()]), &observed(30)),
        vec![Action::Revert { step: "a".into() }]
    );
    st.targets = vec![target(true)];
    assert_eq!(
        decide_at(&wf, &running(vec![st.clone()]), &observed(31)),
        vec![Action::Probe { step: "a".into(), probe: "eot".into(), stage: Stage::Eot }]
    );
    let obs = Observed { in_flight: in_flight(&[probe_task("a", "eot")]), ..observed(31) };
    assert_eq!(decide_at(&wf, &running(vec![st.clone()]), &obs), vec![], "the EOT check is running");
    st.probes = vec![ProbeStatus { name: "eot".into(), eot_done: true, passed: 1, ..Default::default() }];
    assert_eq!(
        decide_at(&wf, &running(vec![st]), &observed(32)),
        vec![Action::FinishStep { step: "a".into() }]
    );
}

#[test]
fn a_round_still_injecting_when_the_chaos_ends_is_cancelled_before_the_revert() {
    let wf = workflow(vec![step("a", &[])]);
    let mut st = in_chaos("a", 30);
    st.targets = vec![target(false)];
    let obs =
        Observed { in_flight: in_flight(&[Task::Inject { step: "a".into(), round: 2 }]), ..observed(30) };
    assert_eq!(decide_at(&wf, &running(vec![st]), &obs), vec![Action::Cancel { step: Some("a".into()) }]);
}

#[test]
fn stop_on_failure_ends_the_chaos_early() {
    let mut a = step("a", &[]);
    let mut p = probe("guard", ProbeMode::Continuous);
    p.stop_on_failure = true;
    a.probes = vec![p];
    let wf = workflow(vec![a]);
    let mut st = in_chaos("a", 30);
    st.targets = vec![target(false)];
    st.probes =
        vec![ProbeStatus { name: "guard".into(), failed: 1, last_checked_at: s(3), ..Default::default() }];
    assert_eq!(decide_at(&wf, &running(vec![st]), &observed(4)), vec![Action::Revert { step: "a".into() }]);
}

#[test]
fn all_steps_finished_gives_the_run_phase() {
    let wf = workflow(vec![step("a", &[]), step("b", &[])]);
    let status = running(vec![finished_step("a", Verdict::Pass), finished_step("b", Verdict::Pass)]);
    assert!(matches!(
        &decide_at(&wf, &status, &observed(40))[..],
        [Action::Finish { phase: RunPhase::Succeeded, .. }]
    ));
    let status = running(vec![finished_step("a", Verdict::Pass), finished_step("b", Verdict::Fail)]);
    let actions = decide_at(&wf, &status, &observed(40));
    assert!(
        matches!(&actions[..], [Action::Finish { phase: RunPhase::Failed, message, .. }] if message.contains('b')),
        "{actions:?}"
    );
}

#[test]
fn abort_halt_and_deadline_cancel_tasks_then_revert_then_finish_aborted() {
    let wf = workflow(vec![step("a", &[]), step("b", &[])]);
    let mut a = in_chaos("a", 30);
    a.targets = vec![target(false)];
    let status = running(vec![a.clone(), step_status("b", RunPhase::Running)]);
    let halted = Observed { halted: true, ..observed(5) };
    let late = observed(1801);
    for (abort, obs, reason) in
        [(true, observed(5), "Aborted"), (false, halted, "Halted"), (false, late, "DeadlineExceeded")]
    {
        let run = RunInput { abort, ..input(&wf) };
        // a 10-minute probe in flight is cancelled first
        let busy = Observed { in_flight: in_flight(&[probe_task("a", "slow")]), ..obs.clone() };
        let d = decide(&run, &status, &busy);
        assert_eq!(d.actions, vec![Action::Cancel { step: None }], "{reason}");
        assert_eq!(d.requeue, Duration::ZERO);
        let d = decide(&run, &status, &obs);
        assert_eq!(d.actions, vec![Action::Revert { step: "a".into() }], "{reason}");
        let mut reverted = status.clone();
        reverted.steps[0].targets = vec![target(true)];
        let actions = decide(&run, &reverted, &obs).actions;
        assert_eq!(actions.len(), 3, "{reason}: {actions:?}");
        assert_eq!(actions[0], Action::StopStep { step: "a".into() });
        assert_eq!(actions[1], Action::StopStep { step: "b".into() });
        assert!(
            matches!(&actions[2], Action::Finish { phase: RunPhase::Aborted, reason: r, .. } if *r == reason)
        );
    }
}

#[test]
fn a_changed_definition_cancels_tasks_then_reverts_then_ends_in_error_even_when_aborted() {
    let wf = workflow(vec![step("a", &[])]);
    let mut a = in_chaos("a", 30);
    a.targets = vec![target(false)];
    let status = running(vec![a]);
    let changed = Observed {
        definition_changed: Some("spec.workflow.steps[0].fault.target.namespace".into()),
        ..observed(5)
    };
    for abort in [false, true] {
        let run = RunInput { abort, ..input(&wf) };
        let busy = Observed {
            in_flight: in_flight(&[Task::Inject { step: "a".into(), round: 1 }]),
            ..changed.clone()
        };
        assert_eq!(decide(&run, &status, &busy).actions, vec![Action::Cancel { step: None }]);
        assert_eq!(decide(&run, &status, &changed).actions, vec![Action::Revert { step: "a".into() }]);
        let mut reverted = status.clone();
        reverted.steps[0].targets = vec![target(true)];
        let actions = decide(&run, &reverted, &changed).actions;
        assert_eq!(actions[0], Action::StopStep { step: "a".into() });
        match &actions[1..] {
            [Action::Finish { phase: RunPhase::Error, reason: "DefinitionChanged", message }] => {
                assert!(message.contains("spec.workflow.steps[0].fault.target.namespace"), "{message}")
            }
            other => panic!("abort {abort}: {other:?}"),
        }
    }
}

#[test]
fn a_running_run_without_a_readable_deadline_stops() {
    let wf = workflow(vec![step("a", &[])]);
    let mut status = running(vec![in_chaos("a", 30)]);
    status.deadline = Some("garbled".into());
    let actions = decide_at(&wf, &status, &observed(5));
    assert!(matches!(actions.last(), Some(Action::Finish { reason: "DeadlineExceeded", .. })), "{actions:?}");
}

#[test]
fn a_withdrawn_target_is_reverted_at_once_and_the_step_goes_on() {
    let wf = workflow(vec![scale_step("a")]);
    let mut st = in_chaos("a", 30);
    st.targets = vec![target(false)];
    let w = Withdrawal { step: "a".into(), target: 0, reason: "namespace shop no longer opts in".into() };
    let obs = Observed { withdrawn: vec![w.clone()], ..observed(5) };
    let actions = decide_at(&wf, &running(vec![st]), &obs);
    assert_eq!(actions, vec![Action::Withdraw(w)]);
}

#[test]
fn finished_run_keeps_reverting_until_verified_then_drops_the_finalizer() {
    let wf = workflow(vec![step("a", &[])]);
    let mut st = finished_step("a", Verdict::Pass);
    st.targets = vec![target(false)];
    let mut status = running(vec![st]);
    status.phase = Some(RunPhase::Aborted);
    assert_eq!(decide_at(&wf, &status, &observed(50)), vec![Action::Revert { step: "a".into() }]);
    status.steps[0].targets = vec![target(true)];
    assert_eq!(decide_at(&wf, &status, &observed(50)), vec![Action::RemoveFinalizer]);
    let obs = Observed { has_finalizer: false, ..observed(50) };
    assert_eq!(decide_at(&wf, &status, &obs), vec![]);
    let obs = Observed { in_flight: in_flight(&[probe_task("a", "p")]), ..observed(50) };
    assert_eq!(
        decide_at(&wf, &status, &obs),
        vec![Action::Cancel { step: None }],
        "no task outlives its run"
    );
}

#[test]
fn verdicts_follow_probes_and_injection() {
    let mut a = step("a", &[]);
    a.probes = vec![probe("p1", ProbeMode::Continuous), probe("p2", ProbeMode::EOT)];
    let mut st = in_chaos("a", 30);
    st.probes = vec![
        ProbeStatus { name: "p1".into(), passed: 5, ..Default::default() },
        ProbeStatus { name: "p2".into(), passed: 1, ..Default::default() },
    ];
    assert_eq!(step_verdict(&a, &st), Verdict::Pass);
    st.probes[0].failed = 1;
    assert_eq!(step_verdict(&a, &st), Verdict::Fail);
    st.probes[0].failed = 0;
    st.probes.pop();
    assert_eq!(step_verdict(&a, &st), Verdict::Fail, "a probe that never ran does not pass");
    let mut never = in_chaos("a", 30);
    never.injections = 0;
    assert_eq!(step_verdict(&step("a", &[]), &never), Verdict::Fail, "nothing injected");
}

#[test]
fn rounds_open_the_chaos_window_once_and_schedule_the_next() {
    let mut a = step("a", &[]);
    a.fault.interval = Some(Duration::from_secs(10));
    let mut st = step_status("a", RunPhase::Running);
    record_round(&mut st, &a, 0, true, t(1));
    assert_eq!((st.chaos_started_at.clone(), st.chaos_ends_at.clone(), st.injections), (s(1), s(31), 1));
    assert_eq!(st.next_injection_at, s(11));
    record_round(&mut st, &a, 1, false, t(11));
    assert_eq!(st.chaos_ends_at, s(31), "the window does not move");
    assert_eq!(st.injections, 2);
    assert_eq!(st.next_injection_at, s(13), "a round that hit nothing retries within 2 s");
    let mut none = step_status("a", RunPhase::Running);
    record_round(&mut none, &step("a", &[]), 0, false, t(1));
    assert_eq!((none.chaos_started_at.clone(), none.chaos_ends_at.clone(), none.injections), (s(1), s(1), 0));
}

#[test]
fn probe_results_are_counted_per_stage() {
    let mut st = step_status("a", RunPhase::Running);
    record_probe(&mut st, "p", Stage::Sot, true, "ok".into(), t(1));
    record_probe(&mut st, "p", Stage::During, false, "down".into(), t(2));
    let p = &st.probes[0];
    assert!(p.sot_done && !p.eot_done);
    assert_eq!((p.passed, p.failed, p.message.as_str()), (1, 1, "down"));
    assert_eq!(p.verdict, chaoscenter_crds::run::ProbeVerdict::Failed);
}
