//! The `ChaosWorkflowRun` kind: one execution of a workflow; its status is the execution engine's state.

use crate::common::{
    list_map_by_name, list_map_by_type, set_health, Condition, ConditionStatus, Health, LocalObjectReference,
};
use crate::workflow::ChaosWorkflowSpec;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One execution of a chaos workflow. Create one to run a workflow now; set `spec.abort` to stop it and
/// revert every fault. Its status holds the progress, per step and per target, the probe verdicts and the
/// resiliency score.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "chaoscenter.io",
    version = "v1alpha1",
    kind = "ChaosWorkflowRun",
    namespaced,
    status = "ChaosWorkflowRunStatus",
    shortname = "cwr",
    category = "chaos",
    derive = "Default",
    derive = "PartialEq",
    doc = "One execution of a chaos workflow; its status holds per-step and per-target progress and the score.",
    printcolumn(name = "Workflow", type_ = "string", json_path = ".spec.workflowRef.name"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Score", type_ = "number", json_path = ".status.resiliencyScore"),
    printcolumn(name = "Started", type_ = "date", json_path = ".status.startedAt"),
    printcolumn(name = "Duration", type_ = "string", json_path = ".status.duration"),
    printcolumn(name = "Trigger", type_ = "string", json_path = ".spec.trigger", priority = 1)
)]
#[serde(rename_all = "camelCase")]
pub struct ChaosWorkflowRunSpec {
    /// The workflow this run executes, in the same namespace.
    pub workflow_ref: LocalObjectReference,
    /// What started the run: Manual (a person), Schedule (the workflow's cron), GitOps or Api.
    #[serde(default)]
    pub trigger: Trigger,
    /// Resolve targets and check every policy, record the plan in the status, and inject nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Set to true to stop the run: every injected fault is reverted and the run ends Aborted.
    #[serde(default)]
    pub abort: bool,
    /// A frozen copy of the workflow's spec, taken when the run starts, so later edits of the workflow do
    /// not change a run in flight. Filled by the operator when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<ChaosWorkflowSpec>,
}

/// What started a run.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum Trigger {
    #[default]
    Manual,
    Schedule,
    GitOps,
    Api,
    /// The workflow's definition changed and it asks to run on change (`spec.runOnChange`).
    Change,
}

/// The phase of a run.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RunPhase {
    /// Accepted, not started yet.
    #[default]
    Pending,
    /// Steps are executing.
    Running,
    /// Every step finished.
    Succeeded,
    /// A step failed or a policy refused the run; see the conditions.
    Failed,
    /// Stopped by `spec.abort`, the deadline or the halt switch; every fault was reverted.
    Aborted,
    /// The run could not be executed (e.g. an invalid definition); see the conditions.
    Error,
}

impl RunPhase {
    /// True once the run can change no more.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Aborted | Self::Error)
    }
}

impl ChaosWorkflowRun {
    /// Whether this run is a target preview, which stays out of the history and is deleted once read: it
    /// carries [`PREVIEW_LABEL`](crate::common::PREVIEW_LABEL), is a dry run, and never started for real
    /// (`status.deadline` is set only when a run starts injecting, by the operator alone, through the
    /// status subresource; a dry run only plans). A run that may have injected anything is never a
    /// preview, whatever its labels and its spec say now.
    pub fn is_preview(&self) -> bool {
        let labelled =
            self.metadata.labels.as_ref().is_some_and(|l| l.contains_key(crate::common::PREVIEW_LABEL));
        let started = self.status.as_ref().is_some_and(|s| s.deadline.is_some());
        labelled && self.spec.dry_run && !started
    }
}

/// The state of a run: the durable state of the execution engine.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChaosWorkflowRunStatus {
    /// Pending, Running, Succeeded, Failed, Aborted or Error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<RunPhase>,
    /// When the run started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the run finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// How long the run took, e.g. `1m32s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// The hard deadline (RFC 3339): when it passes the run is stopped and every fault reverted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// The `metadata.generation` of the workflow whose definition the run executes, when the run was created
    /// without a frozen copy: the definition is frozen into `spec.workflow` right after the run starts, and
    /// a workflow changed before that ends the run instead of changing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_generation: Option<i64>,
    /// The SHA-256 (lowercase hex) of the definition the run executes — `spec.workflowRef`, `spec.dryRun`
    /// and the frozen workflow spec — recorded when the run starts. A running run whose spec no longer
    /// matches it is stopped, its faults reverted, and ends in Error (`DefinitionChanged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_digest: Option<String>,
    /// The project the run belongs to (from its namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The resiliency score, 0 to 100: the weighted mean of the steps' success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub resiliency_score: Option<f64>,
    /// Progress of each step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_map_by_name)]
    pub steps: Vec<StepStatus>,
    /// The `metadata.generation` the status was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The latest observations of the run's state, one per type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_map_by_type)]
    pub conditions: Vec<Condition>,
}

impl ChaosWorkflowRunStatus {
    /// Sets `observedGeneration` and the kstatus conditions (`Ready`, `Reconciling`, `Stalled`) from the
    /// phase: Pending and Running are in progress (with the `Admitted` refusal's reason while a policy
    /// holds the run back), Succeeded is Ready, every other end is Stalled with the reason and message of
    /// `Completed` (of `Admitted` for a run refused before it started). A status without a phase is left
    /// alone.
    pub fn set_health(&mut self, generation: Option<i64>, now: &str) {
        let Some(phase) = self.phase else { return };
        self.observed_generation = generation;
        let of = |type_: &str| {
            self.conditions
                .iter()
                .find(|c| c.type_ == type_)
                .map(|c| (c.status, c.reason.clone(), c.message.clone()))
        };
        let (reason, message) = match (phase, of("Admitted"), of("Completed")) {
            (RunPhase::Pending, Some((ConditionStatus::False, reason, message)), _) => (reason, message),
            (RunPhase::Pending, _, _) => ("Pending".into(), "waiting to start".into()),
            (RunPhase::Running, _, _) => ("Running".into(), "the run is in progress".into()),
            (_, _, Some((_, reason, message))) => (reason, message),
            // refused before it started: why is on Admitted
            (_, Some((ConditionStatus::False, reason, message)), None) => (reason, message),
            // never an empty message: the API server (1.20) reads "" as null and refuses the whole status
            (phase, _, _) => (format!("{phase:?}"), format!("the run ended {phase:?}")),
        };
        let (reason, message) = (reason.as_str(), message.as_str());
        let health = match phase {
            RunPhase::Pending | RunPhase::Running => Health::Progressing { reason, message },
            RunPhase::Succeeded => Health::Ready { reason, message },
            RunPhase::Failed | RunPhase::Aborted | RunPhase::Error => Health::Stalled { reason, message },
        };
        set_health(&mut self.conditions, health, generation, now);
    }
}

/// The progress of one step.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepStatus {
    /// The step's name.
    pub name: String,
    /// The step's phase.
    #[serde(default)]
    pub phase: RunPhase,
    /// The fault verdict: Pass, Fail, Stopped or Awaited.
    #[serde(default)]
    pub verdict: Verdict,
    /// The share of this step's probe checks that passed, 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub probe_success_percentage: Option<f64>,
    /// When the step started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the step finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// When the fault was first injected (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos_started_at: Option<String>,
    /// When the chaos ends and the fault is reverted (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos_ends_at: Option<String>,
    /// How many injection rounds ran (repeating faults inject once per interval).
    #[serde(default)]
    pub injections: u32,
    /// When the next injection round is due (RFC 3339), for repeating faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_injection_at: Option<String>,
    /// Every object the fault touched (or, in a dry run, would touch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetStatus>,
    /// Objects the step's target matched but that were not allowed to be hit (named with the reason),
    /// at most 100.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedTarget>,
    /// The verdict of each probe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeStatus>,
    /// Why the step is in its phase, when it is not obvious.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A fault step's verdict.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum Verdict {
    Pass,
    Fail,
    Stopped,
    #[default]
    Awaited,
}

/// One object a fault touched.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetStatus {
    /// The object's kind.
    pub kind: String,
    /// The object's namespace (absent for nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
    /// The injection round that hit it (0 for the first).
    #[serde(default)]
    pub round: u32,
    /// The fault type that hit it, e.g. `node-taint`. Its revert needs nothing but this record.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fault: String,
    /// When the fault was injected into it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected_at: Option<String>,
    /// When the fault was reverted (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverted_at: Option<String>,
    /// True once the revert was checked in the cluster (replicas back, taint gone, policy gone, ...).
    #[serde(default)]
    pub revert_verified: bool,
    /// What was saved to revert the fault (e.g. the original replica count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    /// node-taint: the taint put on the node, removed by the revert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint: Option<crate::workflow::TaintParams>,
    /// What the injection did, in words (for the node agent's faults: the mechanism, the node and the
    /// ChaosInjection), at most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 200))]
    pub note: Option<String>,
    /// Why injecting into it failed (it is not retried; a revert still runs in case it half-happened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injection_error: Option<String>,
    /// Why its fault was reverted before the chaos ended: it stopped being allowed (its namespace or node
    /// withdrew its opt-in, or left the project's targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Why the last revert attempt failed; it is retried until it succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revert_error: Option<String>,
}

/// An object a step's target matched that was not hit because it is not allowed to be.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedTarget {
    /// The object's kind.
    pub kind: String,
    /// The object's namespace (absent for nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
    /// Why it may not be hit, e.g. that its namespace has not opted in.
    pub reason: String,
}

/// One probe's verdict.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProbeStatus {
    /// The probe's name.
    pub name: String,
    /// Passed, Failed or Awaited.
    #[serde(default)]
    pub verdict: ProbeVerdict,
    /// Checks that passed.
    #[serde(default)]
    pub passed: u32,
    /// Checks that failed.
    #[serde(default)]
    pub failed: u32,
    /// When the probe was last checked (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checked_at: Option<String>,
    /// True once the probe's start-of-test check ran (modes SOT and Edge).
    #[serde(default)]
    pub sot_done: bool,
    /// True once the probe's end-of-test check ran (modes EOT and Edge).
    #[serde(default)]
    pub eot_done: bool,
    /// The last result in words, e.g. the failing status code.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A probe's verdict.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ProbeVerdict {
    Passed,
    Failed,
    #[default]
    Awaited,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(labelled: bool, dry_run: bool, started: bool) -> ChaosWorkflowRun {
        let mut run = ChaosWorkflowRun::new("r", ChaosWorkflowRunSpec { dry_run, ..Default::default() });
        if labelled {
            run.metadata.labels =
                Some([(crate::common::PREVIEW_LABEL.to_string(), "true".to_string())].into());
        }
        // a dry run's plan records a start and finish time too; only a real start sets the deadline
        run.status = Some(ChaosWorkflowRunStatus {
            started_at: Some("2026-01-01T00:00:00Z".into()),
            deadline: started.then(|| "2026-01-01T00:30:00Z".into()),
            ..Default::default()
        });
        run
    }

    #[test]
    fn a_refused_run_is_stalled_with_the_refusal() {
        let mut status = ChaosWorkflowRunStatus { phase: Some(RunPhase::Failed), ..Default::default() };
        let refusal = "spec.workflowRef.name: ChaosWorkflow \"ghost\" not found";
        crate::common::set_condition(
            &mut status.conditions,
            "Admitted",
            ConditionStatus::False,
            "WorkflowNotFound",
            refusal,
            Some(1),
            "t0",
        );
        status.set_health(Some(1), "t1");
        let stalled = status.conditions.iter().find(|c| c.type_ == "Stalled").unwrap();
        assert_eq!(
            (stalled.status, stalled.reason.as_str(), stalled.message.as_str()),
            (ConditionStatus::True, "WorkflowNotFound", refusal)
        );
        assert!(status.conditions.iter().all(|c| !c.message.is_empty()), "{:?}", status.conditions);
    }

    #[test]
    fn only_a_labelled_dry_run_that_never_started_is_a_preview() {
        assert!(run(true, true, false).is_preview());
        assert!(!run(false, true, false).is_preview(), "a plain dry run is history");
        assert!(!run(true, false, false).is_preview(), "a labelled real run is history");
        assert!(!run(true, true, true).is_preview(), "a run that started (dryRun flipped later) is history");
    }
}
