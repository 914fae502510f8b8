//! Exhaustive tests of the run state machine, one named scenario each.

use super::decide::*;
use super::tests::{probe, step, workflow};
use chaoscenter_crds::run::{
    ChaosWorkflowRunStatus, ProbeStatus, RunPhase, StepStatus, TargetStatus, Verdict,
};
use chaoscenter_crds::workflow::{ChaosWorkflowSpec, ProbeMode};
use jiff::Timestamp;
use std::time::Duration;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}
fn s(secs: i64) -> Option<String> {
    Some(t(secs).to_string())
}
fn observed(now: i64) -> Observed {
    Observed { now: t(now), halted: false, has_finalizer: true, admission: None }
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
fn decide_at(spec: &ChaosWorkflowSpec, status: &ChaosWorkflowRunStatus, obs: &Observed) -> Vec<Action> {
    decide(spec, false, false, status, obs).actions
}
fn finished_step(name: &str, verdict: Verdict) -> StepStatus {
    StepStatus {
        verdict,
        injections: 1,
        ..step_status(name, if verdict == Verdict::Pass { RunPhase::Succeeded } else { RunPhase::Failed })
    }
}

#[test]
fn pending_waits_for_admission() {
    let spec = workflow(vec![step("a", &[])]);
    let d = decide(&spec, false, false, &Default::default(), &Observed { admission: None, ..observed(0) });
    assert!(d.actions.is_empty());
    assert_eq!(d.requeue, Duration::from_secs(1));
}

#[test]
fn admitted_run_adds_the_finalizer_before_starting() {
    let spec = workflow(vec![step("a", &[])]);
    let obs = Observed { has_finalizer: false, admission: Some(Ok(())), ..observed(0) };
    assert_eq!(decide_at(&spec, &Default::default(), &obs), vec![Action::AddFinalizer, Action::Start]);
    let obs = Observed { admission: Some(Ok(())), ..observed(0) };
    assert_eq!(decide_at(&spec, &Default::default(), &obs), vec![Action::Start]);
}

#[test]
fn refused_run_fails_without_finalizer_or_injection() {
    let spec = workflow(vec![step("a", &[])]);
    let refusal = Refusal { reason: "NamespaceNotAllowed", message: "namespace shop did not opt in".into() };
    let obs = Observed { has_finalizer: false, admission: Some(Err(refusal.clone())), ..observed(0) };
    assert_eq!(decide_at(&spec, &Default::default(), &obs), vec![Action::Refuse(refusal)]);
}

#[test]
fn dry_run_plans_instead_of_starting() {
    let spec = workflow(vec![step("a", &[])]);
    let obs = Observed { has_finalizer: false, admission: Some(Ok(())), ..observed(0) };
    assert_eq!(decide(&spec, false, true, &Default::default(), &obs).actions, vec![Action::Plan]);
}

#[test]
fn abort_before_start_finishes_aborted() {
    let spec = workflow(vec![step("a", &[])]);
    let actions = decide(&spec, true, false, &Default::default(), &observed(0)).actions;
    assert!(matches!(&actions[..], [Action::Finish { phase: RunPhase::Aborted, .. }]), "{actions:?}");
}

#[test]
fn independent_steps_start_together_dependents_wait() {
    let spec = workflow(vec![step("a", &[]), step("b", &[]), step("c", &["a", "b"])]);
    let actions = decide_at(&spec, &running(vec![]), &observed(1));
    assert_eq!(actions, vec![Action::StartStep { step: "a".into() }, Action::StartStep { step: "b".into() }]);
    let status = running(vec![finished_step("a", Verdict::Pass), in_chaos("b", 30)]);
    assert!(!decide_at(&spec, &status, &observed(1)).contains(&Action::StartStep { step: "c".into() }));
    let status = running(vec![finished_step("a", Verdict::Pass), finished_step("b", Verdict::Fail)]);
    assert_eq!(decide_at(&spec, &status, &observed(1)), vec![Action::StartStep { step: "c".into() }]);
}

#[test]
fn sot_probes_run_before_the_first_injection() {
    let mut a = step("a", &[]);
    a.probes = vec![
        probe("pre", ProbeMode::SOT),
        probe("edge", ProbeMode::Edge),
        probe("cont", ProbeMode::Continuous),
    ];
    let spec = workflow(vec![a]);
    let actions = decide_at(&spec, &running(vec![step_status("a", RunPhase::Running)]), &observed(1));
    assert_eq!(
        actions,
        vec![
            Action::Probe { step: "a".into(), probe: "pre".into(), stage: Stage::Sot },
            Action::Probe { step: "a".into(), probe: "edge".into(), stage: Stage::Sot },
        ]
    );
    let mut st = step_status("a", RunPhase::Running);
    st.probes = vec![
        ProbeStatus { name: "pre".into(), sot_done: true, passed: 1, ..Default::default() },
        ProbeStatus { name: "edge".into(), sot_done: true, passed: 1, ..Default::default() },
    ];
    assert_eq!(
        decide_at(&spec, &running(vec![st]), &observed(1)),
        vec![Action::Inject { step: "a".into(), round: 0 }]
    );
}

#[test]
fn during_chaos_probes_check_at_their_interval() {
    let mut a = step("a", &[]);
    a.probes = vec![probe("cont", ProbeMode::Continuous), probe("eot", ProbeMode::EOT)];
    let spec = workflow(vec![a]);
    // never checked: due now
    let d = decide(&spec, false, false, &running(vec![in_chaos("a", 30)]), &observed(5));
    assert_eq!(
        d.actions,
        vec![Action::Probe { step: "a".into(), probe: "cont".into(), stage: Stage::During }]
    );
    // checked 1 s ago with a 2 s interval: not due, look again in 1 s
    let mut st = in_chaos("a", 30);
    st.probes =
        vec![ProbeStatus { name: "cont".into(), last_checked_at: s(4), passed: 1, ..Default::default() }];
    let d = decide(&spec, false, false, &running(vec![st]), &observed(5));
    assert!(d.actions.is_empty());
    assert_eq!(d.requeue, Duration::from_secs(1));
}

#[test]
fn repeating_faults_inject_every_interval_until_the_end() {
    let mut a = step("a", &[]);
    a.fault.interval = Some("10s".into());
    let spec = workflow(vec![a]);
    let mut st = in_chaos("a", 30);
    st.next_injection_at = s(10);
    let d = decide(&spec, false, false, &running(vec![st.clone()]), &observed(5));
    assert!(d.actions.is_empty());
    assert_eq!(d.requeue, Duration::from_secs(5));
    assert_eq!(
        decide_at(&spec, &running(vec![st]), &observed(10)),
        vec![Action::Inject { step: "a".into(), round: 1 }]
    );
}

#[test]
fn after_the_chaos_revert_then_eot_then_verdict() {
    let mut a = step("a", &[]);
    a.probes = vec![probe("eot", ProbeMode::EOT)];
    let spec = workflow(vec![a]);
    let mut st = in_chaos("a", 30);
    st.targets = vec![target(false)];
    assert_eq!(
        decide_at(&spec, &running(vec![st.clone()]), &observed(30)),
        vec![Action::Revert { step: "a".into() }]
    );
    st.targets = vec![target(true)];
    assert_eq!(
        decide_at(&spec, &running(vec![st.clone()]), &observed(31)),
        vec![Action::Probe { step: "a".into(), probe: "eot".into(), stage: Stage::Eot }]
    );
    st.probes = vec![ProbeStatus { name: "eot".into(), eot_done: true, passed: 1, ..Default::default() }];
    assert_eq!(
        decide_at(&spec, &running(vec![st]), &observed(32)),
        vec![Action::FinishStep { step: "a".into() }]
    );
}

#[test]
fn stop_on_failure_ends_the_chaos_early() {
    let mut a = step("a", &[]);
    let mut p = probe("guard", ProbeMode::Continuous);
    p.run_properties.stop_on_failure = true;
    a.probes = vec![p];
    let spec = workflow(vec![a]);
    let mut st = in_chaos("a", 30);
    st.targets = vec![target(false)];
    st.probes =
        vec![ProbeStatus { name: "guard".into(), failed: 1, last_checked_at: s(3), ..Default::default() }];
    assert_eq!(decide_at(&spec, &running(vec![st]), &observed(4)), vec![Action::Revert { step: "a".into() }]);
}

#[test]
fn all_steps_finished_gives_the_run_phase() {
    let spec = workflow(vec![step("a", &[]), step("b", &[])]);
    let status = running(vec![finished_step("a", Verdict::Pass), finished_step("b", Verdict::Pass)]);
    assert!(matches!(
        &decide_at(&spec, &status, &observed(40))[..],
        [Action::Finish { phase: RunPhase::Succeeded, .. }]
    ));
    let status = running(vec![finished_step("a", Verdict::Pass), finished_step("b", Verdict::Fail)]);
    let actions = decide_at(&spec, &status, &observed(40));
    assert!(
        matches!(&actions[..], [Action::Finish { phase: RunPhase::Failed, message, .. }] if message.contains('b')),
        "{actions:?}"
    );
}

#[test]
fn abort_halt_and_deadline_revert_everything_then_finish_aborted() {
    let spec = workflow(vec![step("a", &[]), step("b", &[])]);
    let mut a = in_chaos("a", 30);
    a.targets = vec![target(false)];
    let status = running(vec![a.clone(), step_status("b", RunPhase::Running)]);
    let halted = Observed { halted: true, ..observed(5) };
    let late = observed(1801);
    for (abort, obs, reason) in
        [(true, observed(5), "Aborted"), (false, halted, "Halted"), (false, late, "DeadlineExceeded")]
    {
        let d = decide(&spec, abort, false, &status, &obs);
        assert_eq!(d.actions, vec![Action::Revert { step: "a".into() }], "{reason}");
        let mut reverted = status.clone();
        reverted.steps[0].targets = vec![target(true)];
        let actions = decide(&spec, abort, false, &reverted, &obs).actions;
        assert_eq!(actions.len(), 3, "{reason}: {actions:?}");
        assert_eq!(actions[0], Action::StopStep { step: "a".into() });
        assert_eq!(actions[1], Action::StopStep { step: "b".into() });
        assert!(
            matches!(&actions[2], Action::Finish { phase: RunPhase::Aborted, reason: r, .. } if *r == reason)
        );
    }
}

#[test]
fn finished_run_keeps_reverting_until_verified_then_drops_the_finalizer() {
    let spec = workflow(vec![step("a", &[])]);
    let mut st = finished_step("a", Verdict::Pass);
    st.targets = vec![target(false)];
    let mut status = running(vec![st]);
    status.phase = Some(RunPhase::Aborted);
    assert_eq!(decide_at(&spec, &status, &observed(50)), vec![Action::Revert { step: "a".into() }]);
    status.steps[0].targets = vec![target(true)];
    assert_eq!(decide_at(&spec, &status, &observed(50)), vec![Action::RemoveFinalizer]);
    let obs = Observed { has_finalizer: false, ..observed(50) };
    assert_eq!(decide_at(&spec, &status, &obs), vec![]);
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
