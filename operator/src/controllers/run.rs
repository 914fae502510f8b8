//! The ChaosWorkflowRun controller: a pipeline that reads the run and the caches, validates its definition
//! with `chaoscenter-core`, records what its tasks reported, lets the pure engine decide, applies the
//! actions (start, inject, probe, cancel, revert, finish) and writes the status with a precondition. It
//! never waits for a probe or an injection (those are tasks), never holds a lock across a network call,
//! and contains a panic to the one run that caused it.

use super::claims::{Holder, TargetKey};
use super::digest;
use super::policy::{Allowed, Policy};
use super::tasks::{Numbered, Report};
use super::{contain, now, Context, Error};
use crate::faults::{self, Candidate, FaultContext, FaultError, Origin};
use crate::metrics::Metrics;
use crate::probes::{self, ProbeContext};
use chaoscenter_core::decide::{self, Action, Observed, Refusal, RunInput, Task, Withdrawal};
use chaoscenter_core::limits::{MAX_TARGETS_PER_ROUND, MAX_TARGET_RECORDS_PER_RUN};
use chaoscenter_core::plan::{holds_state, FaultAction, Step, Workflow};
use chaoscenter_core::{duration, score, select, time};
use chaoscenter_crds::common::{set_condition, ConditionStatus, RUN_FINALIZER, WORKFLOW_LABEL};
use chaoscenter_crds::run::{
    ChaosWorkflowRunStatus, RunPhase, SkippedTarget, StepStatus, TargetStatus, Verdict,
};
use chaoscenter_crds::workflow::ChaosWorkflowSpec;
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::Action as Requeue;
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// How many times reconciling one run may panic before the operator leaves it alone (with its finalizer
/// and a `RevertPanicked` Event) until it restarts.
pub const MAX_PANICS: u32 = 3;
/// How many decide → apply rounds one reconcile chains before it writes and looks again.
const MAX_CHAINED_DECISIONS: usize = 8;
/// The most skipped targets a step's status lists.
const MAX_SKIPPED: usize = 100;

/// Reconciles one run; a panic anywhere inside ends the run in Error (its faults are then reverted)
/// instead of stopping the process.
pub async fn reconcile(run: Arc<ChaosWorkflowRun>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    let started = std::time::Instant::now();
    let result = match contain(reconcile_inner(run.clone(), ctx.clone())).await {
        Ok(result) => result,
        Err(panic) => Ok(panicked(&run, &ctx, panic).await),
    };
    ctx.metrics.observe("run", started.elapsed().as_secs_f64());
    result
}

/// Logs, counts and retries a failed reconcile.
pub fn error_policy(run: Arc<ChaosWorkflowRun>, error: &Error, ctx: Arc<Context>) -> Requeue {
    tracing::warn!(run = %run.name_any(), %error, "run reconcile failed");
    ctx.metrics.reconcile_failed("run", error.category());
    Requeue::requeue(Duration::from_secs(2))
}

fn api(ctx: &Context, run: &ChaosWorkflowRun) -> Api<ChaosWorkflowRun> {
    Api::namespaced(ctx.client.clone(), &run.namespace().unwrap_or_default())
}

fn uid(run: &ChaosWorkflowRun) -> String {
    run.uid().unwrap_or_default()
}

/// After a panic: counts it, cancels the run's tasks and records the run as Error, so the next reconcile
/// only reverts. Past [`MAX_PANICS`] the run is left alone.
async fn panicked(run: &ChaosWorkflowRun, ctx: &Context, message: String) -> Requeue {
    let id = uid(run);
    let count = {
        let mut panics = ctx.panics.lock().unwrap_or_else(|e| e.into_inner());
        let count = panics.entry(id.clone()).or_insert(0);
        *count += 1;
        *count
    };
    tracing::error!(run = %run.name_any(), panic = %message, count, "reconciling the run panicked: it ends in Error and its faults are reverted");
    ctx.metrics.reconcile_failed("run", "Panic");
    ctx.tasks.cancel(&id, None).await;
    if count > MAX_PANICS {
        let note = format!(
            "reconciling this run panicked {count} times (last: {message}); the operator leaves it alone until it restarts: check its targets by hand"
        );
        let _ = contain(ctx.event(run, EventType::Warning, "RevertPanicked", "Run", note)).await;
        return Requeue::await_change();
    }
    let _ = contain(mark_error(run, ctx, &format!("the operator hit an internal error (panic: {message})")))
        .await;
    Requeue::requeue(Duration::from_secs(1))
}

/// Ends a run in Error without a precondition (it must land even on a stale copy); reverting follows.
async fn mark_error(run: &ChaosWorkflowRun, ctx: &Context, message: &str) -> Result<(), Error> {
    let status = run.status.clone().unwrap_or_default();
    if status.phase.unwrap_or_default().is_finished() {
        return Ok(());
    }
    let at = now().to_string();
    let mut conditions = status.conditions.clone();
    let generation = run.metadata.generation;
    let reason = "InternalError";
    set_condition(&mut conditions, "Completed", ConditionStatus::True, reason, message, generation, &at);
    set_condition(&mut conditions, "Succeeded", ConditionStatus::False, reason, message, generation, &at);
    let mut ended = ChaosWorkflowRunStatus { phase: Some(RunPhase::Error), conditions, ..Default::default() };
    ended.set_health(generation, &at);
    let patch = serde_json::json!({"status": {"phase": RunPhase::Error, "finishedAt": at,
        "conditions": ended.conditions, "observedGeneration": generation}});
    api(ctx, run)
        .patch_status(&run.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(Error::kube("record the run as Error"))?;
    ctx.event(run, EventType::Warning, reason, "Run", format!("{message}; its faults are being reverted"))
        .await;
    ctx.metrics.run_phase("Error");
    Ok(())
}

/// Deletes a finished target preview (a dry run of an unsaved definition, `ChaosWorkflowRun::is_preview`)
/// once the configured time to read its plan has passed; it never injected anything, so nothing needs
/// reverting, and nothing is lost from the history.
async fn expire_preview(
    run: &ChaosWorkflowRun,
    status: &ChaosWorkflowRunStatus,
    ctx: &Context,
) -> Result<Requeue, Error> {
    let age = time::parse(&status.finished_at).map(|f| time::until(f, now()));
    match age {
        Some(age) if age < ctx.config.preview_ttl => Ok(Requeue::requeue(ctx.config.preview_ttl - age)),
        _ => {
            match api(ctx, run).delete(&run.name_any(), &DeleteParams::background()).await {
                Ok(_) => tracing::debug!(run = %run.name_any(), "deleted an expired target preview"),
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(Error::kube("delete an expired target preview")(e)),
            }
            Ok(Requeue::await_change())
        }
    }
}

/// The run as this process last wrote it, when the cache has not caught up with that write yet (so a
/// decision is never made on a copy older than what this process itself recorded).
async fn fresh(run: Arc<ChaosWorkflowRun>, ctx: &Context) -> Result<Option<Arc<ChaosWorkflowRun>>, Error> {
    let written = ctx.written.lock().unwrap_or_else(|e| e.into_inner()).get(&uid(&run)).cloned();
    match written {
        Some(rv) if run.resource_version().as_deref() != Some(rv.as_str()) => {
            match api(ctx, &run).get_opt(&run.name_any()).await.map_err(Error::kube("read the run"))? {
                Some(current) => Ok(Some(Arc::new(current))),
                None => Ok(None),
            }
        }
        _ => Ok(Some(run)),
    }
}

/// A run's definition, and where it came from.
struct Definition {
    spec: ChaosWorkflowSpec,
    /// The workflow's generation when it was read from the workflow (not yet frozen into the run).
    unfrozen: Option<Option<i64>>,
}

/// The definition a run executes: its frozen copy; else the named workflow's current spec (while Pending,
/// or once started, the same generation it started with: the freeze follows the start).
async fn definition_of(
    ctx: &Context,
    run: &ChaosWorkflowRun,
    phase: RunPhase,
) -> Result<Result<Definition, Refusal>, Error> {
    if let Some(spec) = &run.spec.workflow {
        return Ok(Ok(Definition { spec: spec.clone(), unfrozen: None }));
    }
    let ns = run.namespace().unwrap_or_default();
    let name = &run.spec.workflow_ref.name;
    let wf = match ctx.world.workflows.get(&ObjectRef::new(name).within(&ns)) {
        Some(wf) => Some(wf.as_ref().clone()),
        None => {
            let api: Api<ChaosWorkflow> = Api::namespaced(ctx.client.clone(), &ns);
            api.get_opt(name).await.map_err(Error::kube("read the workflow"))?
        }
    };
    let started_with = run.status.as_ref().and_then(|s| s.workflow_generation);
    Ok(match wf {
        Some(wf) if phase == RunPhase::Pending || (started_with.is_some() && started_with == wf.metadata.generation) => {
            Ok(Definition { spec: wf.spec, unfrozen: Some(wf.metadata.generation) })
        }
        Some(_) if phase != RunPhase::Pending && started_with.is_some() => Err(Refusal {
            reason: "InvalidDefinition",
            message: format!("spec.workflowRef.name: ChaosWorkflow {name:?} changed before the run's definition was frozen"),
        }),
        _ if phase != RunPhase::Pending => Err(Refusal {
            reason: "InvalidDefinition",
            message: "spec.workflow: a started run has no frozen definition".into(),
        }),
        _ => Err(Refusal {
            reason: "WorkflowNotFound",
            message: format!("spec.workflowRef.name: ChaosWorkflow {name:?} not found in namespace {ns}"),
        }),
    })
}

/// The digest of the definition `run` executes, and — for a started run whose digest was `recorded` —
/// what changed when it no longer matches (the fields by path when this process saw the admitted
/// definition, else the two digests).
fn check_definition(
    ctx: &Context,
    run: &ChaosWorkflowRun,
    definition: &Definition,
    recorded: Option<&str>,
) -> (String, Option<String>) {
    let now = digest::Definition {
        workflow_ref: &run.spec.workflow_ref,
        dry_run: run.spec.dry_run,
        workflow: &definition.spec,
    };
    let digest = now.digest();
    let Some(recorded) = recorded else { return (digest, None) };
    let mut admitted = ctx.admitted.lock().unwrap_or_else(|e| e.into_inner());
    if digest == recorded {
        if admitted.get(&uid(run)).is_none_or(|(seen, _)| *seen != digest) {
            admitted.insert(uid(run), (digest.clone(), now.to_json()));
        }
        return (digest, None);
    }
    let changed = match admitted.get(&uid(run)) {
        Some((seen, before)) if seen == recorded => match digest::changes(before, &now.to_json()) {
            paths if paths.is_empty() => None,
            paths => Some(format!("changed: {paths}")),
        },
        _ => None,
    };
    let short = |d: &str| d.chars().take(12).collect::<String>();
    let changed = changed.unwrap_or_else(|| {
        format!(
            "its definition's digest is {}…, not the {}… recorded at start",
            short(&digest),
            short(recorded)
        )
    });
    (digest, Some(changed))
}

async fn reconcile_inner(run: Arc<ChaosWorkflowRun>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    let id = uid(&run);
    let has_finalizer = run.finalizers().iter().any(|f| f == RUN_FINALIZER);
    let deleting = run.meta().deletion_timestamp.is_some();
    if deleting && !has_finalizer {
        ctx.tasks.cancel(&id, None).await;
        ctx.forget(&id);
        return Ok(Requeue::await_change());
    }
    let panics = ctx.panics.lock().unwrap_or_else(|e| e.into_inner()).get(&id).copied().unwrap_or(0);
    if panics > MAX_PANICS {
        return Ok(Requeue::await_change());
    }
    let Some(run) = fresh(run, &ctx).await? else { return Ok(Requeue::await_change()) };
    let status = run.status.clone().unwrap_or_default();
    let phase = status.phase.unwrap_or_default();
    if panics > 0 && !phase.is_finished() {
        // a reconcile of this run panicked: never replay it into the same panic
        mark_error(&run, &ctx, "the operator hit an internal error reconciling this run").await?;
        return Ok(Requeue::requeue(Duration::from_millis(200)));
    }
    // the label alone proves nothing (anyone who may create runs may set it): only a dry run that never
    // started is a preview; a labelled run that may have injected anything is kept like any other
    if phase.is_finished() && !deleting && run.is_preview() {
        return expire_preview(&run, &status, &ctx).await;
    }
    if !ctx.world.ready() {
        return Ok(Requeue::requeue(Duration::from_millis(200)));
    }

    // dereference and validate: the definition, once, into the typed plan
    let definition = definition_of(&ctx, &run, phase).await?;
    let validated = match &definition {
        Ok(d) => chaoscenter_core::validate(&d.spec).map_err(|invalid| invalid.to_string()),
        Err(refusal) => Err(refusal.message.clone()),
    };
    // defence in depth behind the admission webhook: a started run executes only what it was admitted with
    let (digest, changed) = match &definition {
        Ok(d) => {
            let recorded =
                (phase == RunPhase::Running).then_some(status.definition_digest.as_deref()).flatten();
            let (digest, changed) = check_definition(&ctx, &run, d, recorded);
            (Some(digest), changed)
        }
        Err(_) => (None, None),
    };
    let run_ns = run.namespace().unwrap_or_default();
    let mut project = status.project.clone();
    let admission = match (phase, &definition, &validated) {
        (RunPhase::Pending, Err(refusal), _) => Some(Err(refusal.clone())),
        (RunPhase::Pending, Ok(_), Ok(wf)) => {
            Policy { world: &ctx.world }.admit(&run_ns, wf).map(|admitted| {
                admitted.map(|name| {
                    project = Some(name);
                })
            })
        }
        _ => None,
    };
    let input = RunInput {
        workflow: validated.as_ref().map_err(String::as_str),
        abort: run.spec.abort || deleting,
        dry_run: run.spec.dry_run,
    };

    let mut exec = Exec {
        ctx: ctx.clone(),
        run: run.clone(),
        // a changed definition is never acted on: only the recorded targets are reverted
        workflow: validated.as_ref().ok().filter(|_| changed.is_none()),
        definition: definition.as_ref().ok().filter(|_| changed.is_none()),
        digest,
        freeze: None,
        status,
        dirty: false,
        resource_version: run.resource_version(),
        has_finalizer,
        finalizer_removed: false,
        project,
        events: Vec::new(),
        acknowledged: None,
    };
    if phase != RunPhase::Pending && !deleting && changed.is_none() {
        // started, but not yet linked to its workflow or its definition not yet frozen (the write that
        // follows the start has not landed yet)
        exec.freeze = exec.link(false).await?;
    }
    if phase == RunPhase::Running && exec.status.definition_digest.is_none() && exec.digest.is_some() {
        // started by an operator that recorded no digest: from now on, this definition is the admitted one
        exec.status.definition_digest = exec.digest.clone();
        exec.dirty = true;
    }
    let mut observed = Observed {
        now: now(),
        halted: ctx.world.halted(),
        has_finalizer,
        admission,
        in_flight: exec.observe_tasks(),
        withdrawn: exec.withdrawals(),
        definition_changed: changed,
    };
    let mut decision = decide::decide(&input, &exec.status, &observed);

    // apply, then decide again on the updated status while there is more to do at once (admit → start →
    // start steps → inject in one reconcile). Writes carry the resourceVersion read, so a decision made
    // on a stale copy fails with a conflict instead of overwriting newer progress.
    let applied: Result<Duration, Error> = async {
        for _ in 0..MAX_CHAINED_DECISIONS {
            if decision.actions.is_empty() {
                return Ok(decision.requeue.max(Duration::from_millis(100)));
            }
            let before = (exec.status.clone(), observed.in_flight.clone());
            for action in decision.actions {
                exec.apply(action).await?;
                if exec.finalizer_removed {
                    return Ok(Duration::from_secs(10));
                }
            }
            observed.now = now();
            observed.in_flight = exec.observe_tasks();
            observed.has_finalizer = exec.has_finalizer;
            observed.withdrawn = exec.withdrawals();
            if (&exec.status, &observed.in_flight) == (&before.0, &before.1) {
                // nothing changed (e.g. waiting for a target another run holds): look again shortly
                return Ok(Duration::from_secs(1));
            }
            decision = decide::decide(&input, &exec.status, &observed);
        }
        Ok(Duration::from_millis(50))
    }
    .await;
    let applied = match applied {
        Ok(requeue) if exec.dirty => exec.write_status().await.map(|()| requeue),
        other => other,
    };
    // the freeze waits while a round is being injected (it would only compete with the injection; the
    // task's report brings the run back, and the status already records which generation it runs)
    let injecting = ctx.tasks.in_flight(&id).iter().any(|t| matches!(t, Task::Inject { .. }));
    let applied = match (applied, exec.freeze.take()) {
        (Ok(requeue), Some(patch)) if !injecting => {
            exec.patch_metadata(patch, "freeze the definition into the run").await.map(|()| requeue)
        }
        (other, _) => other,
    };
    match applied {
        Ok(requeue) => {
            exec.publish_events().await;
            Ok(Requeue::requeue(requeue))
        }
        Err(Error::Kube { source: kube::Error::Api(s), .. }) if s.code == 409 => {
            tracing::debug!(run = %run.name_any(), "stale copy of the run; retrying with a fresh one");
            ctx.written.lock().unwrap_or_else(|e| e.into_inner()).insert(id, String::new());
            Ok(Requeue::requeue(Duration::from_millis(100)))
        }
        Err(e) => Err(e),
    }
}

/// Applies actions to one run, keeping the status in memory until it is written.
struct Exec<'a> {
    ctx: Arc<Context>,
    run: Arc<ChaosWorkflowRun>,
    /// The validated definition (absent when it is not valid).
    workflow: Option<&'a Workflow>,
    /// The definition as written (to freeze it into the run when it starts).
    definition: Option<&'a Definition>,
    /// The digest of that definition (recorded when the run starts).
    digest: Option<String>,
    /// A freeze of the definition (with the run's workflow label and owner) to write once the status is:
    /// it need not come before the first injection, whose status write records the workflow's generation.
    freeze: Option<serde_json::Value>,
    status: ChaosWorkflowRunStatus,
    dirty: bool,
    /// The run's resourceVersion as last read or written: the precondition of the next write.
    resource_version: Option<String>,
    has_finalizer: bool,
    finalizer_removed: bool,
    project: Option<String>,
    /// Events about changes not yet written: published once the write succeeds, dropped if it is
    /// refused (a decision made on a stale copy must not report what it did not record).
    events: Vec<(EventType, String, String)>,
    /// The last task report applied to `status`: acknowledged once the status is written.
    acknowledged: Option<u64>,
}

impl Exec<'_> {
    fn uid(&self) -> String {
        uid(&self.run)
    }

    fn ns(&self) -> String {
        self.run.namespace().unwrap_or_default()
    }

    fn origin(&self, step: &str) -> Origin {
        let duration = self.step_def(step).map(|s| s.fault.duration).unwrap_or_default();
        Origin {
            run: self.run.name_any(),
            run_uid: self.uid(),
            namespace: self.ns(),
            step: step.to_string(),
            duration,
        }
    }

    fn fault_context(&self) -> FaultContext {
        FaultContext { client: self.ctx.client.clone(), world: self.ctx.world.clone() }
    }

    fn step_def(&self, name: &str) -> Option<Step> {
        self.workflow.and_then(|w| w.step(name)).cloned()
    }

    fn step_mut(&mut self, name: &str) -> &mut StepStatus {
        if let Some(i) = self.status.steps.iter().position(|s| s.name == name) {
            return &mut self.status.steps[i];
        }
        self.status.steps.push(StepStatus { name: name.to_string(), ..Default::default() });
        self.status.steps.last_mut().expect("just pushed")
    }

    fn condition(&mut self, type_: &str, status: ConditionStatus, reason: &str, message: &str) {
        let generation = self.run.metadata.generation;
        set_condition(
            &mut self.status.conditions,
            type_,
            status,
            reason,
            message,
            generation,
            &now().to_string(),
        );
        self.status.observed_generation = generation;
    }

    async fn write_status(&mut self) -> Result<(), Error> {
        self.status.set_health(self.run.metadata.generation, &now().to_string());
        let mut patch = super::status_patch(self.run.status.as_ref(), &self.status)?;
        patch["metadata"] = serde_json::json!({"resourceVersion": self.resource_version});
        let written = api(&self.ctx, &self.run)
            .patch_status(&self.run.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::kube("write the run status"))?;
        self.wrote(written.resource_version());
        self.dirty = false;
        if let Some(seq) = self.acknowledged.take() {
            self.ctx.tasks.acknowledge(&self.uid(), seq);
        }
        self.publish_events().await;
        Ok(())
    }

    fn wrote(&mut self, resource_version: Option<String>) {
        if let Some(rv) = &resource_version {
            self.ctx.written.lock().unwrap_or_else(|e| e.into_inner()).insert(self.uid(), rv.clone());
        }
        self.resource_version = resource_version;
    }

    async fn patch_metadata(
        &mut self,
        mut patch: serde_json::Value,
        action: &'static str,
    ) -> Result<(), Error> {
        patch["metadata"]["resourceVersion"] = serde_json::json!(self.resource_version);
        let written = api(&self.ctx, &self.run)
            .patch(&self.run.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::kube(action))?;
        self.wrote(written.resource_version());
        Ok(())
    }

    fn event(&mut self, type_: EventType, reason: &str, note: String) {
        self.events.push((type_, reason.to_string(), note));
    }

    /// Publishes an Event about a target in the background (it must not delay the revert or the status).
    fn target_event_later(
        &self,
        type_: EventType,
        reason: &'static str,
        target: &TargetStatus,
        note: String,
    ) {
        let (ctx, run, target) = (self.ctx.clone(), self.run.clone(), target.clone());
        tokio::spawn(async move { ctx.target_event(run.as_ref(), type_, reason, &target, note).await });
    }

    /// Publishes the Events of everything written so far, in the background (Events are best effort and
    /// must not delay what comes next, such as an injection).
    async fn publish_events(&mut self) {
        let events = std::mem::take(&mut self.events);
        if events.is_empty() {
            return;
        }
        let (ctx, run) = (self.ctx.clone(), self.run.clone());
        tokio::spawn(async move {
            for (type_, reason, note) in events {
                ctx.event(run.as_ref(), type_, &reason, "Run", note).await;
            }
        });
    }

    /// The run's tasks in flight, with what every other task reported recorded in the status. In this
    /// order: a task that ends between the two reads has reported before it ended, so a round is never
    /// seen neither in flight nor reported (and so never resumed while it runs, nor twice).
    fn observe_tasks(&mut self) -> BTreeSet<Task> {
        let in_flight = self.ctx.tasks.in_flight(&self.uid());
        let reports = self.ctx.tasks.reports(&self.uid());
        self.apply_reports(&reports);
        in_flight
    }

    /// Records what the run's tasks reported (probe checks, injected targets, finished rounds).
    fn apply_reports(&mut self, reports: &[Numbered]) {
        for Numbered { seq, report } in reports {
            if self.acknowledged.is_some_and(|done| *seq <= done) {
                continue;
            }
            self.acknowledged = Some(*seq);
            self.dirty = true;
            match report {
                Report::Probe { step, probe, stage, passed, message, at } => {
                    let running =
                        self.status.steps.iter().any(|s| s.name == *step && s.phase == RunPhase::Running);
                    if !running {
                        continue; // the step ended while the check ran: its verdict is already given
                    }
                    decide::record_probe(self.step_mut(step), probe, *stage, *passed, message.clone(), *at);
                    if !passed {
                        self.event(
                            EventType::Warning,
                            "ProbeFailed",
                            format!("step {step}: probe {probe} failed: {message}"),
                        );
                    }
                }
                Report::Target { step, round, index, name, outcome, at } => {
                    let st = self.step_mut(step);
                    let Some(t) = st.targets.get_mut(*index).filter(|t| t.round == *round && t.name == *name)
                    else {
                        continue;
                    };
                    match outcome {
                        Ok(note) => {
                            t.injected_at = Some(time::show(*at));
                            t.injection_error = None;
                            t.note = Some(note.chars().take(200).collect());
                            if !holds_state(&t.fault) {
                                t.reverted_at = Some(time::show(*at));
                                t.revert_verified = true;
                            }
                        }
                        Err(why) => t.injection_error = Some(why.clone()),
                    }
                }
                Report::RoundDone { step, round, at } => {
                    let Some(def) = self.step_def(step) else { continue };
                    let st = self.step_mut(step);
                    if st.phase != RunPhase::Running {
                        continue;
                    }
                    let of_round: Vec<&TargetStatus> =
                        st.targets.iter().filter(|t| t.round == *round).collect();
                    let injected_any = of_round.iter().any(|t| t.injected_at.is_some());
                    let errors: Vec<String> = of_round
                        .iter()
                        .filter_map(|t| {
                            t.injection_error.as_ref().map(|e| format!("{}: {e}", faults::describe(t)))
                        })
                        .collect();
                    st.message = (!errors.is_empty()).then(|| errors.join("; "));
                    decide::record_round(st, &def, *round, injected_any, *at);
                }
            }
        }
    }

    /// Injected targets, not yet reverted, that may no longer be hit.
    fn withdrawals(&self) -> Vec<Withdrawal> {
        if self.status.phase != Some(RunPhase::Running) {
            return Vec::new();
        }
        let policy = Policy { world: &self.ctx.world };
        let ns = self.ns();
        let mut found = Vec::new();
        for st in &self.status.steps {
            for (i, t) in st.targets.iter().enumerate() {
                if t.injected_at.is_none() || t.revert_verified || t.withdrawn.is_some() {
                    continue;
                }
                if let Allowed::No(reason) = policy.recorded(&ns, t) {
                    found.push(Withdrawal { step: st.name.clone(), target: i, reason });
                }
            }
        }
        found
    }

    async fn apply(&mut self, action: Action) -> Result<(), Error> {
        match action {
            Action::Refuse(refusal) => {
                self.status.phase = Some(RunPhase::Failed);
                self.status.finished_at = Some(now().to_string());
                self.condition("Admitted", ConditionStatus::False, refusal.reason, &refusal.message);
                self.dirty = true;
                self.event(EventType::Warning, refusal.reason, refusal.message);
                self.ctx.metrics.run_phase("Failed");
            }
            Action::Plan => self.plan().await?,
            Action::Start { finalizer } => self.start(finalizer).await?,
            Action::StartStep { step } => {
                let st = self.step_mut(&step);
                st.phase = RunPhase::Running;
                st.started_at = Some(now().to_string());
                self.dirty = true;
            }
            Action::Probe { step, probe, stage } => self.probe(&step, &probe, stage),
            Action::Inject { step, round } => self.inject(&step, round).await?,
            Action::Cancel { step } => {
                self.ctx.tasks.cancel(&self.uid(), step.as_deref()).await;
                // what they reported before going is recorded too
                let reports = self.ctx.tasks.reports(&self.uid());
                self.apply_reports(&reports);
            }
            Action::Withdraw(w) => self.withdraw(w).await,
            Action::Revert { step } => self.revert(&step).await,
            Action::FinishStep { step } => {
                self.ctx.tasks.cancel(&self.uid(), Some(&step)).await;
                let Some(def) = self.step_def(&step) else { return Ok(()) };
                let st = self.step_mut(&step);
                let verdict = decide::step_verdict(&def, st);
                st.verdict = verdict;
                st.phase = if verdict == Verdict::Pass { RunPhase::Succeeded } else { RunPhase::Failed };
                st.probe_success_percentage = Some(score::probe_success_percentage(&st.probes));
                st.finished_at = Some(now().to_string());
                let note = format!(
                    "step {step} finished: verdict {verdict:?}, probes {}% passed",
                    st.probe_success_percentage.unwrap_or(0.0)
                );
                self.dirty = true;
                let type_ = if verdict == Verdict::Pass { EventType::Normal } else { EventType::Warning };
                self.event(type_, "StepFinished", note);
            }
            Action::StopStep { step } => {
                let st = self.step_mut(&step);
                st.verdict = Verdict::Stopped;
                st.phase = RunPhase::Aborted;
                st.probe_success_percentage = Some(score::probe_success_percentage(&st.probes));
                st.finished_at = Some(now().to_string());
                self.dirty = true;
            }
            Action::Finish { phase, reason, message } => {
                let finished = now();
                self.status.phase = Some(phase);
                self.status.finished_at = Some(finished.to_string());
                if let Some(start) = time::parse(&self.status.started_at) {
                    self.status.duration = Some(duration::human(time::until(start, finished)));
                }
                self.status.resiliency_score =
                    self.workflow.and_then(|w| score::resiliency_score(w, &self.status.steps));
                let ok = phase == RunPhase::Succeeded;
                let cond = if ok { ConditionStatus::True } else { ConditionStatus::False };
                self.condition("Completed", ConditionStatus::True, reason, &message);
                self.condition("Succeeded", cond, reason, &message);
                self.dirty = true;
                let score =
                    self.status.resiliency_score.map(|s| format!("{s}")).unwrap_or_else(|| "n/a".into());
                let type_ = if ok { EventType::Normal } else { EventType::Warning };
                self.event(
                    type_,
                    reason,
                    format!("run finished {phase:?} with resiliency score {score}: {message}"),
                );
                self.ctx.metrics.run_phase(&format!("{phase:?}"));
                self.ctx.admitted.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.uid());
                if !self.status.steps.iter().any(decide::has_unreverted) {
                    self.ctx.claims.release_run(&self.uid());
                }
            }
            Action::RemoveFinalizer => {
                if self.dirty {
                    self.write_status().await?; // the final status first, then let the run go
                }
                let finalizers: Vec<String> =
                    self.run.finalizers().iter().filter(|f| *f != RUN_FINALIZER).cloned().collect();
                let patch = serde_json::json!({"metadata": {"finalizers": finalizers}});
                self.patch_metadata(patch, "remove the revert finalizer").await?;
                self.has_finalizer = false;
                self.finalizer_removed = true;
                self.ctx.claims.release_run(&self.uid());
                self.ctx.forget(&self.uid());
            }
        }
        Ok(())
    }

    /// The write that links the run to its workflow (label, owner), freezes its definition into it when it
    /// has none, and (`finalizer`) adds the revert finalizer; `None` when there is nothing to write. The
    /// owner is looked up in the cache, else (`finalizer`: before anything is injected) read.
    async fn link(&self, finalizer: bool) -> Result<Option<serde_json::Value>, Error> {
        let ns = self.ns();
        let wf_name = self.run.spec.workflow_ref.name.clone();
        let mut meta = serde_json::Map::new();
        if self.run.labels().get(WORKFLOW_LABEL) != Some(&wf_name) {
            meta.insert("labels".into(), serde_json::json!({WORKFLOW_LABEL: wf_name}));
        }
        if self.run.owner_references().is_empty() {
            let wf = match self.ctx.world.workflows.get(&ObjectRef::new(&wf_name).within(&ns)) {
                Some(wf) => Some(wf.as_ref().clone()),
                None if finalizer => Api::<ChaosWorkflow>::namespaced(self.ctx.client.clone(), &ns)
                    .get_opt(&wf_name)
                    .await
                    .map_err(Error::kube("read the workflow"))?,
                None => None,
            };
            if let Some(owner) = wf.and_then(|w| w.controller_owner_ref(&())) {
                meta.insert("ownerReferences".into(), serde_json::json!([owner]));
            }
        }
        if finalizer {
            let mut finalizers = self.run.finalizers().to_vec();
            finalizers.push(RUN_FINALIZER.to_string());
            meta.insert("finalizers".into(), serde_json::json!(finalizers));
        }
        let mut patch = serde_json::json!({});
        if !meta.is_empty() {
            patch["metadata"] = serde_json::Value::Object(meta);
        }
        if let Some(d) = self.definition.filter(|d| d.unfrozen.is_some()) {
            patch["spec"] = serde_json::json!({"workflow": d.spec});
        }
        Ok((patch != serde_json::json!({})).then_some(patch))
    }

    /// Starts the run. Freezing the definition into it and linking it to its workflow is one write, made
    /// before anything is injected when the finalizer must be added in it too (faults that hold state),
    /// else after the status write that records the workflow's generation (so a run of pod-delete steps
    /// makes one write before its first deletion).
    async fn start(&mut self, finalizer: bool) -> Result<(), Error> {
        let Some(workflow) = self.workflow else { return Ok(()) };
        if let Some(generation) = self.definition.and_then(|d| d.unfrozen) {
            self.status.workflow_generation = generation;
        }
        if let Some(patch) = self.link(finalizer).await? {
            if finalizer {
                self.patch_metadata(patch, "freeze the definition into the run").await?;
            } else {
                self.freeze = Some(patch);
            }
        }
        if finalizer {
            self.has_finalizer = true;
        }
        self.record_digest();
        let started = now();
        let max = workflow.max_duration.min(self.ctx.config.max_run_duration);
        self.status.phase = Some(RunPhase::Running);
        self.status.started_at = Some(started.to_string());
        self.status.deadline = Some(time::add(started, max).to_string());
        self.status.project = self.project.clone();
        self.condition("Admitted", ConditionStatus::True, "Admitted", "every policy check passed");
        self.dirty = true;
        self.ctx.metrics.run_phase("Running");
        let capped = if max < workflow.max_duration {
            " (maxDuration capped by the operator's MAX_RUN_DURATION)"
        } else {
            ""
        };
        self.event(
            EventType::Normal,
            "Started",
            format!("run started; deadline in {}{capped}", duration::human(max)),
        );
        Ok(())
    }

    /// Records the digest of the definition the run starts with, and remembers the definition itself (to
    /// name what changed, should the spec change).
    fn record_digest(&mut self) {
        self.status.definition_digest = self.digest.clone();
        if let (Some(d), Some(digest)) = (self.definition, &self.digest) {
            let admitted = digest::Definition {
                workflow_ref: &self.run.spec.workflow_ref,
                dry_run: self.run.spec.dry_run,
                workflow: &d.spec,
            };
            let mut seen = self.ctx.admitted.lock().unwrap_or_else(|e| e.into_inner());
            seen.insert(self.uid(), (digest.clone(), admitted.to_json()));
        }
    }

    /// Starts a probe check as a task; its result comes back as a report.
    fn probe(&mut self, step: &str, probe: &str, stage: decide::Stage) {
        let Some(def) = self.step_def(step).and_then(|s| s.probe(probe).cloned()) else { return };
        let pctx = ProbeContext {
            client: self.ctx.client.clone(),
            egress: self.ctx.egress.clone(),
            namespace: self.ns(),
            run: self.run.name_any(),
        };
        let (step, probe) = (step.to_string(), probe.to_string());
        let task = Task::Probe { step: step.clone(), probe: probe.clone() };
        self.ctx.tasks.spawn(&self.run, task, move |reporter| async move {
            let outcome = probes::check(&pctx, &def).await;
            reporter.send(Report::Probe {
                step,
                probe,
                stage,
                passed: outcome.passed,
                message: outcome.message,
                at: now(),
            });
        });
    }

    /// A step waits (nothing is injected this time), saying why.
    fn wait(&mut self, step: &str, message: String) {
        let st = self.step_mut(step);
        if st.message.as_deref() != Some(message.as_str()) {
            st.message = Some(message.clone());
            self.dirty = true;
            self.event(EventType::Normal, "TargetBusy", format!("step {step}: {message}"));
        }
    }

    /// A round hit nothing: round 0 ends the chaos at once (the verdict will be Fail); a later round is
    /// tried again soon.
    fn round_failed(&mut self, step: &Step, round: u32, message: String) {
        let st = self.step_mut(&step.name);
        decide::record_round(st, step, round, false, now());
        st.message = Some(message.clone());
        self.dirty = true;
        self.event(EventType::Warning, "InjectionFailed", format!("step {}: {message}", step.name));
    }

    /// Records objects that matched but may not be hit (each once), with an Event.
    fn skipped(&mut self, step: &str, skipped: Vec<(Candidate, String)>) {
        let mut new = Vec::new();
        let st = self.step_mut(step);
        for (c, reason) in skipped {
            let known =
                st.skipped.iter().any(|s| s.kind == c.kind && s.namespace == c.namespace && s.name == c.name);
            if !known && st.skipped.len() < MAX_SKIPPED {
                st.skipped.push(SkippedTarget {
                    kind: c.kind.to_string(),
                    namespace: c.namespace.clone(),
                    name: c.name.clone(),
                    reason: reason.clone(),
                });
                new.push(format!("{} {}: {reason}", c.kind, c.name));
            }
        }
        if !new.is_empty() {
            self.dirty = true;
            self.event(
                EventType::Warning,
                "TargetNotAllowed",
                format!("step {step}: skipped {}", new.join("; ")),
            );
        }
    }

    /// Targets no other step may take now: claimed in this process, or recorded (not yet verified
    /// reverted) by another run or another step of this run.
    fn held(&self, me: &Holder) -> BTreeSet<TargetKey> {
        let key = |t: &TargetStatus| (t.kind.clone(), t.namespace.clone(), t.name.clone());
        let mut held = self.ctx.claims.held_by_others(me);
        for other in self.ctx.world.runs.state() {
            if uid(&other) == me.0 {
                continue;
            }
            for step in other.status.iter().flat_map(|s| s.steps.iter()) {
                held.extend(step.targets.iter().filter(|t| !t.revert_verified).map(key));
            }
        }
        for step in self.status.steps.iter().filter(|s| s.name != me.1) {
            held.extend(step.targets.iter().filter(|t| !t.revert_verified).map(key));
        }
        held
    }

    /// Chooses, claims, prepares and records a round's targets (or resumes a recorded round), then starts
    /// injecting them as a task. Every candidate is checked against the policy here, and every target
    /// again by the task right before it is injected.
    async fn inject(&mut self, step_name: &str, round: u32) -> Result<(), Error> {
        let Some(step) = self.step_def(step_name) else { return Ok(()) };
        let action = step.fault.action.clone();
        let fault = faults::of(&action);
        let st = self.step_mut(step_name);
        let recorded: Vec<usize> =
            st.targets.iter().enumerate().filter(|(_, t)| t.round == round).map(|(i, _)| i).collect();
        if !recorded.is_empty() {
            // a recorded round (the operator restarted, or its task was lost): finish it, never re-choose
            let pending: Vec<usize> = recorded
                .iter()
                .copied()
                .filter(|i| {
                    let t = &st.targets[*i];
                    t.injected_at.is_none() && t.injection_error.is_none() && !t.revert_verified
                })
                .collect();
            if pending.is_empty() {
                let injected_any = recorded.iter().any(|i| st.targets[*i].injected_at.is_some());
                decide::record_round(st, &step, round, injected_any, now());
                self.dirty = true;
            } else {
                self.spawn_injection(&step, round, pending, true);
            }
            return Ok(());
        }
        let records: usize = self.status.steps.iter().map(|s| s.targets.len()).sum();
        if records >= MAX_TARGET_RECORDS_PER_RUN {
            let message = format!("not injected: the run has recorded {records} targets, the most a run may ({MAX_TARGET_RECORDS_PER_RUN})");
            self.round_failed(&step, round, message);
            return Ok(());
        }
        let cx = self.fault_context();
        let candidates = match fault.candidates(&cx, &action).await {
            Ok(candidates) => candidates,
            Err(FaultError::NotReady(what)) => {
                self.wait(step_name, format!("waiting: the operator's {what} cache is still filling"));
                return Ok(());
            }
            Err(e) => {
                self.round_failed(&step, round, e.to_string());
                return Ok(());
            }
        };
        // admission at the act: every candidate, against the policy as it is now
        let policy = Policy { world: &self.ctx.world };
        let project = match policy.project_of(&self.ns()) {
            Ok(p) => Some(p),
            Err(Allowed::Unknown(why)) => {
                self.wait(step_name, format!("waiting: cannot read the policy: {why}"));
                return Ok(());
            }
            Err(_) => None, // every target is then refused below, naming why
        };
        let mut allowed = Vec::new();
        let mut skipped = Vec::new();
        for c in candidates {
            match policy.target(project.as_deref(), c.kind, c.namespace.as_deref(), &c.name) {
                Allowed::Yes => allowed.push(c),
                Allowed::No(why) => skipped.push((c, why)),
                Allowed::Unknown(why) => {
                    self.wait(step_name, format!("waiting: cannot read the policy: {why}"));
                    return Ok(());
                }
            }
        }
        let reasons: Vec<String> =
            skipped.iter().map(|(c, why)| format!("{} {}: {why}", c.kind, c.name)).collect();
        self.skipped(step_name, skipped);
        if allowed.is_empty() {
            let message = if reasons.is_empty() {
                "no target matches the step's target".to_string()
            } else {
                format!("no target may be hit: {}", reasons.join("; "))
            };
            self.round_failed(&step, round, message);
            return Ok(());
        }
        let me: Holder = (self.uid(), step_name.to_string());
        let held = self.held(&me);
        let key = |c: &Candidate| (c.kind.to_string(), c.namespace.clone(), c.name.clone());
        let free: Vec<Candidate> = allowed.into_iter().filter(|c| !held.contains(&key(c))).collect();
        if free.is_empty() {
            self.wait(step_name, "waiting: every matching target is held by another run".into());
            return Ok(());
        }
        let count = action.count();
        let seed = select::seed(&self.uid(), step_name, round);
        let capped = select::is_capped(count, free.len(), seed);
        let mut chosen = select::choose(count, free, seed);
        chosen.truncate(MAX_TARGET_RECORDS_PER_RUN - records);
        let keys: Vec<TargetKey> = chosen.iter().map(key).collect();
        if action.holds_state() {
            if let Err(taken) = self.ctx.claims.try_claim(&me, &keys) {
                let names: Vec<&str> = taken.iter().map(|k| k.2.as_str()).collect();
                self.wait(step_name, format!("waiting: {} was just taken by another run", names.join(", ")));
                return Ok(());
            }
        }
        let release = |ctx: &Context| keys.iter().for_each(|k| ctx.claims.release(&me, k));
        let mut targets = Vec::with_capacity(chosen.len());
        for c in &chosen {
            let mut t = c.to_status(action.name(), round);
            if let Err(e) = fault.prepare(&cx, &action, &mut t).await {
                release(&self.ctx);
                self.round_failed(&step, round, e.to_string());
                return Ok(());
            }
            targets.push(t);
        }
        let st = self.step_mut(step_name);
        let first = st.targets.len();
        st.targets.extend(targets);
        st.message =
            capped.then(|| format!("this round hit {MAX_TARGETS_PER_ROUND} targets, the most a round may"));
        self.dirty = true;
        if let Err(e) = self.write_status().await {
            release(&self.ctx);
            return Err(e);
        }
        let last = self.step_mut(step_name).targets.len();
        self.spawn_injection(&step, round, (first..last).collect(), false);
        Ok(())
    }

    /// Injects recorded targets of a round as a task; each is checked against the policy right before.
    /// `resumed`: the round was interrupted (a restart), so a target that already carries the fault is not
    /// hit again.
    fn spawn_injection(&mut self, step: &Step, round: u32, indices: Vec<usize>, resumed: bool) {
        let st = self.step_mut(&step.name);
        let targets: Vec<(usize, TargetStatus)> =
            indices.into_iter().filter_map(|i| st.targets.get(i).map(|t| (i, t.clone()))).collect();
        let cx = self.fault_context();
        let origin = self.origin(&step.name);
        let action = step.fault.action.clone();
        let ctx = self.ctx.clone();
        let run = self.run.clone();
        let run_ns = self.ns();
        let step_name = step.name.clone();
        let task = Task::Inject { step: step.name.clone(), round };
        self.ctx.tasks.spawn(&self.run, task, move |reporter| async move {
            let fault = faults::of(&action);
            let fault_name = action.name();
            for (index, t) in targets {
                let who = faults::describe(&t);
                let outcome = match (Policy { world: &ctx.world }).recorded(&run_ns, &t) {
                    Allowed::Yes
                        if resumed
                            && fault.already_injected(&cx, &origin, &action, &t).await.unwrap_or(false) =>
                    {
                        Ok("already done before the operator restarted".to_string())
                    }
                    Allowed::Yes => fault.inject(&cx, &origin, &action, &t).await.map_err(|e| e.to_string()),
                    Allowed::No(why) | Allowed::Unknown(why) => Err(format!("not injected: {why}")),
                };
                let (type_, reason, note) = match &outcome {
                    Ok(note) => {
                        Metrics::fault(&ctx.metrics.injections, fault_name, "ok");
                        (
                            EventType::Normal,
                            "Injected",
                            format!("step {step_name}: {fault_name} injected into {who}: {note}"),
                        )
                    }
                    Err(why) => {
                        Metrics::fault(&ctx.metrics.injections, fault_name, "error");
                        (
                            EventType::Warning,
                            "InjectionFailed",
                            format!("step {step_name}: {fault_name} into {who} failed: {why}"),
                        )
                    }
                };
                reporter.send(Report::Target {
                    step: step_name.clone(),
                    round,
                    index,
                    name: t.name.clone(),
                    outcome,
                    at: now(),
                });
                // the Event follows the report, without holding up the round's next target
                let (ctx, run) = (ctx.clone(), run.clone());
                tokio::spawn(async move { ctx.target_event(run.as_ref(), type_, reason, &t, note).await });
            }
            reporter.send(Report::RoundDone { step: step_name, round, at: now() });
        });
    }

    /// The fault that reverts `target`: from its record, else (records made before it named its fault)
    /// from the step's definition.
    fn fault_for(&self, step: &str, target: &mut TargetStatus) -> Option<&'static dyn faults::Fault> {
        if let Some(fault) = faults::by_name(&target.fault) {
            return Some(fault);
        }
        let def = self.workflow.and_then(|w| w.step(step))?;
        target.fault = def.fault.action.name().to_string();
        if let (FaultAction::NodeTaint(f), None) = (&def.fault.action, &target.taint) {
            target.taint = Some(chaoscenter_crds::workflow::TaintParams {
                key: f.taint.key.clone(),
                value: f.taint.value.clone(),
                effect: f.taint.effect,
            });
        }
        Some(faults::of(&def.fault.action))
    }

    /// Reverts and verifies one target; `Ok(true)` once verified.
    async fn revert_one(&mut self, step: &str, index: usize) -> Result<bool, String> {
        let Some(mut target) =
            self.status.steps.iter().find(|s| s.name == step).and_then(|s| s.targets.get(index)).cloned()
        else {
            return Ok(true);
        };
        let Some(fault) = self.fault_for(step, &mut target) else {
            return Err(format!("cannot tell which fault hit it (fault {:?})", target.fault));
        };
        let cx = self.fault_context();
        let origin = self.origin(step);
        let result = match fault.revert(&cx, &origin, &target).await {
            Ok(()) => fault.verify(&cx, &origin, &target).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let fault_name = target.fault.clone();
        self.dirty = true;
        let t = &mut self.step_mut(step).targets[index];
        t.fault = target.fault.clone();
        t.taint = target.taint.clone();
        match result {
            Ok(true) => {
                t.reverted_at = Some(now().to_string());
                t.revert_verified = true;
                t.revert_error = None;
                let key = (t.kind.clone(), t.namespace.clone(), t.name.clone());
                Metrics::fault(&self.ctx.metrics.reverts, &fault_name, "verified");
                self.ctx.claims.release(&(self.uid(), step.to_string()), &key);
                Ok(true)
            }
            Ok(false) => {
                t.revert_error = Some("the revert is not visible in the cluster yet".into());
                Ok(false)
            }
            Err(e) => {
                t.revert_error = Some(e.clone());
                Metrics::fault(&self.ctx.metrics.reverts, &fault_name, "error");
                Err(e)
            }
        }
    }

    async fn revert(&mut self, step: &str) {
        let count = self.status.steps.iter().find(|s| s.name == step).map_or(0, |s| s.targets.len());
        for i in 0..count {
            let Some(t) =
                self.status.steps.iter().find(|s| s.name == step).and_then(|s| s.targets.get(i)).cloned()
            else {
                continue;
            };
            if t.revert_verified {
                continue;
            }
            let who = faults::describe(&t);
            match self.revert_one(step, i).await {
                Ok(true) => {
                    let fault = self
                        .status
                        .steps
                        .iter()
                        .find(|s| s.name == step)
                        .map(|s| s.targets[i].fault.clone())
                        .unwrap_or_default();
                    let note = format!("step {step}: {fault} reverted and verified on {who}");
                    self.target_event_later(EventType::Normal, "Reverted", &t, note);
                }
                Ok(false) => {}
                Err(e) => {
                    let note = format!("step {step}: reverting {who} failed (retrying): {e}");
                    self.target_event_later(EventType::Warning, "RevertFailed", &t, note);
                }
            }
        }
    }

    /// Reverts a target that may no longer be hit, before its chaos ends.
    async fn withdraw(&mut self, w: Withdrawal) {
        let Some(t) = self
            .status
            .steps
            .iter()
            .find(|s| s.name == w.step)
            .and_then(|s| s.targets.get(w.target))
            .cloned()
        else {
            return;
        };
        let who = faults::describe(&t);
        match self.revert_one(&w.step, w.target).await {
            Ok(true) => {
                self.step_mut(&w.step).targets[w.target].withdrawn = Some(w.reason.clone());
                let note = format!(
                    "step {}: {who} may no longer be hit ({}): its fault was reverted and verified",
                    w.step, w.reason
                );
                self.target_event_later(EventType::Warning, "TargetWithdrawn", &t, note);
            }
            Ok(false) => {}
            Err(e) => {
                let note = format!(
                    "step {}: {who} may no longer be hit ({}); reverting it failed (retrying): {e}",
                    w.step, w.reason
                );
                self.target_event_later(EventType::Warning, "RevertFailed", &t, note);
            }
        }
    }

    /// Dry run: records every step's chosen targets without injecting, and finishes.
    async fn plan(&mut self) -> Result<(), Error> {
        let Some(workflow) = self.workflow else { return Ok(()) };
        let cx = self.fault_context();
        let ctx = self.ctx.clone();
        let policy = Policy { world: &ctx.world };
        let project = policy.project_of(&self.ns()).ok();
        let mut total = 0;
        for step in &workflow.steps {
            let action = &step.fault.action;
            let me: Holder = (self.uid(), step.name.clone());
            let held = self.held(&me);
            let (targets, message) = match faults::of(action).candidates(&cx, action).await {
                Ok(candidates) => {
                    let (allowed, refused): (Vec<Candidate>, Vec<Candidate>) =
                        candidates.into_iter().partition(|c| {
                            policy
                                .target(project.as_deref(), c.kind, c.namespace.as_deref(), &c.name)
                                .is_yes()
                        });
                    let free: Vec<Candidate> = allowed
                        .iter()
                        .filter(|c| {
                            !held.contains(&(c.kind.to_string(), c.namespace.clone(), c.name.clone()))
                        })
                        .cloned()
                        .collect();
                    let seed = select::seed(&self.uid(), &step.name, 0);
                    let chosen = select::choose(action.count(), free, seed);
                    let n = chosen.len();
                    let targets: Vec<TargetStatus> = chosen
                        .iter()
                        .map(|c| TargetStatus { revert_verified: true, ..c.to_status(action.name(), 0) })
                        .collect();
                    let mut message = match (n, allowed.len()) {
                        (0, 0) => "dry run: no target matches".to_string(),
                        (0, _) => "dry run: every matching target is held by another run".to_string(),
                        _ => format!("dry run: would inject {} into {n} target(s)", action.name()),
                    };
                    if !refused.is_empty() {
                        let names: Vec<String> =
                            refused.iter().map(|c| format!("{} {}", c.kind, c.name)).collect();
                        message.push_str(&format!("; not allowed: {}", names.join(", ")));
                    }
                    (targets, message)
                }
                Err(err) => (Vec::new(), format!("dry run: {err}")),
            };
            total += targets.len();
            let st = self.step_mut(&step.name);
            st.targets = targets;
            st.message = Some(message);
        }
        let at = now().to_string();
        self.status.definition_digest = self.digest.clone();
        self.status.phase = Some(RunPhase::Succeeded);
        self.status.started_at = Some(at.clone());
        self.status.finished_at = Some(at);
        self.status.project = self.project.clone();
        let msg = format!("dry run: {total} target(s) resolved, nothing injected");
        self.condition("DryRun", ConditionStatus::True, "Planned", &msg);
        self.dirty = true;
        self.event(EventType::Normal, "Planned", msg);
        Ok(())
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
