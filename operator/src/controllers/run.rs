//! The ChaosWorkflowRun controller: reads the run and the world, lets the pure engine decide, applies the
//! actions (finalizer, injections, probes, reverts) and writes the status — a pipeline that resumes from
//! the status alone after a restart.

use super::{human_duration, now, policy, Context, Error, TargetKey};
use crate::engine::decide::{self, Action, Observed, Stage};
use crate::engine::{score, select};
use crate::faults::{self, Origin};
use crate::metrics::Metrics;
use crate::probes::{self, ProbeContext};
use chaoscenter_crds::common::{
    set_condition, ConditionStatus, PREVIEW_LABEL, RUN_FINALIZER, WORKFLOW_LABEL,
};
use chaoscenter_crds::run::{ChaosWorkflowRunStatus, ProbeStatus, RunPhase, StepStatus, Verdict};
use chaoscenter_crds::workflow::{ChaosWorkflowSpec, Step};
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::Action as Requeue;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

/// Reconciles one run.
pub async fn reconcile(run: Arc<ChaosWorkflowRun>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    let started = std::time::Instant::now();
    let result = reconcile_inner(&run, &ctx).await;
    ctx.metrics.observe("run", started.elapsed().as_secs_f64());
    result
}

/// Logs, counts and retries a failed reconcile.
pub fn error_policy(run: Arc<ChaosWorkflowRun>, error: &Error, ctx: Arc<Context>) -> Requeue {
    tracing::warn!(run = %run.name_any(), %error, "run reconcile failed");
    ctx.metrics.reconcile_failed("run", error.category());
    Requeue::requeue(Duration::from_secs(2))
}

/// Deletes a finished target preview (a dry run of an unsaved definition) once the configured time to read
/// its plan has passed; it never injected anything, so nothing needs reverting.
async fn expire_preview(
    run: &ChaosWorkflowRun,
    status: &ChaosWorkflowRunStatus,
    ctx: &Context,
) -> Result<Requeue, Error> {
    let finished: Option<jiff::Timestamp> = status.finished_at.as_deref().and_then(|t| t.parse().ok());
    let age = finished.map(|f| Duration::try_from(now().duration_since(f)).unwrap_or_default());
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

fn api(ctx: &Context, run: &ChaosWorkflowRun) -> Api<ChaosWorkflowRun> {
    Api::namespaced(ctx.client.clone(), &run.namespace().unwrap_or_default())
}

async fn reconcile_inner(run: &ChaosWorkflowRun, ctx: &Context) -> Result<Requeue, Error> {
    let status = run.status.clone().unwrap_or_default();
    let phase = status.phase.unwrap_or_default();
    let has_finalizer = run.finalizers().iter().any(|f| f == RUN_FINALIZER);
    let deleting = run.meta().deletion_timestamp.is_some();
    if deleting && !has_finalizer {
        return Ok(Requeue::await_change());
    }
    if phase.is_finished() && !deleting && run.labels().contains_key(PREVIEW_LABEL) {
        return expire_preview(run, &status, ctx).await;
    }

    // dereference: the definition, admission (only while Pending), the halt switch
    let (spec, admission, project) = if phase == RunPhase::Pending {
        match policy::workflow_of(ctx, run).await.map_err(Error::kube("read the workflow"))? {
            Err(refusal) => (ChaosWorkflowSpec::default(), Some(Err(refusal)), None),
            Ok(spec) => {
                match policy::admit(ctx, run, &spec).await.map_err(Error::kube("check the run's policy"))? {
                    Ok(project) => (spec, Some(Ok(())), Some(project)),
                    Err(refusal) => (spec, Some(Err(refusal)), None),
                }
            }
        }
    } else {
        (run.spec.workflow.clone().unwrap_or_default(), None, None)
    };
    let halted = if phase == RunPhase::Running {
        policy::halted(ctx).await.map_err(Error::kube("read the halt switch"))?
    } else {
        false
    };
    let mut observed = Observed { now: now(), halted, has_finalizer, admission };
    let abort = run.spec.abort || deleting;

    // decide (pure)
    let mut decision = decide::decide(&spec, abort, run.spec.dry_run, &status, &observed);
    if decision.actions.is_empty() {
        return Ok(Requeue::requeue(decision.requeue.max(Duration::from_millis(100))));
    }

    // apply, then decide again on the updated status while there is more to do at once (admit → start →
    // start steps → inject in one reconcile). Every write carries the resourceVersion read, so a decision
    // made on a stale copy of the run (the cache lags our own writes) fails with a conflict instead of
    // overwriting newer progress.
    let mut exec = Exec {
        ctx,
        run,
        spec: &spec,
        status,
        dirty: false,
        resource_version: run.resource_version(),
        events: Vec::new(),
    };
    let applied: Result<Duration, Error> = async {
        for _ in 0..MAX_CHAINED_DECISIONS {
            let before = exec.status.clone();
            let mut probe_actions = Vec::new();
            let mut finalizer_removed = false;
            for action in decision.actions {
                match action {
                    Action::Probe { step, probe, stage } => probe_actions.push((step, probe, stage)),
                    Action::AddFinalizer => {
                        exec.apply(Action::AddFinalizer, project.as_deref()).await?;
                        observed.has_finalizer = true;
                    }
                    Action::RemoveFinalizer => {
                        if exec.dirty {
                            exec.write_status().await?; // the final status first, then let the run go
                        }
                        exec.apply(Action::RemoveFinalizer, project.as_deref()).await?;
                        finalizer_removed = true;
                    }
                    other => exec.apply(other, project.as_deref()).await?,
                }
            }
            let probed = !probe_actions.is_empty();
            if probed {
                exec.run_probes(probe_actions).await;
            }
            if finalizer_removed || probed {
                break;
            }
            if exec.status == before {
                // nothing changed (e.g. waiting for a target another run holds): look again shortly
                if exec.dirty {
                    exec.write_status().await?;
                }
                return Ok(Duration::from_secs(1));
            }
            observed.now = now();
            decision = decide::decide(&spec, abort, run.spec.dry_run, &exec.status, &observed);
            if decision.actions.is_empty() {
                if exec.dirty {
                    exec.write_status().await?;
                }
                return Ok(decision.requeue.max(Duration::from_millis(100)));
            }
        }
        if exec.dirty {
            exec.write_status().await?;
        }
        Ok(Duration::from_millis(50))
    }
    .await;
    match applied {
        Ok(requeue) => {
            exec.publish_events().await;
            Ok(Requeue::requeue(requeue))
        }
        Err(Error::Kube { source: kube::Error::Api(s), .. }) if s.code == 409 => {
            tracing::debug!(run = %run.name_any(), "stale copy of the run; retrying with a fresh one");
            Ok(Requeue::requeue(Duration::from_millis(100)))
        }
        Err(e) => Err(e),
    }
}

/// How many decide → apply rounds one reconcile chains before it writes and looks again.
const MAX_CHAINED_DECISIONS: usize = 8;

/// Applies actions to one run, keeping the status in memory until it is written.
struct Exec<'a> {
    ctx: &'a Context,
    run: &'a ChaosWorkflowRun,
    spec: &'a ChaosWorkflowSpec,
    status: ChaosWorkflowRunStatus,
    dirty: bool,
    /// The run's resourceVersion as last read or written: the precondition of the next write.
    resource_version: Option<String>,
    /// Events about changes not yet written: published once the write succeeds, dropped if it is
    /// refused (a decision made on a stale copy must not report what it did not record).
    events: Vec<(EventType, String, String)>,
}

impl Exec<'_> {
    fn origin(&self, step: &str) -> Origin {
        Origin {
            run: self.run.name_any(),
            run_uid: self.run.uid().unwrap_or_default(),
            step: step.to_string(),
        }
    }

    fn step_spec(&self, name: &str) -> Option<&Step> {
        self.spec.steps.iter().find(|s| s.name == name)
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
        let mut patch = super::status_patch(self.run.status.as_ref(), &self.status)?;
        patch["metadata"] = serde_json::json!({"resourceVersion": self.resource_version});
        let written = api(self.ctx, self.run)
            .patch_status(&self.run.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::kube("write the run status"))?;
        self.resource_version = written.resource_version();
        self.dirty = false;
        self.publish_events().await;
        Ok(())
    }

    async fn patch_metadata(
        &mut self,
        mut patch: serde_json::Value,
        action: &'static str,
    ) -> Result<(), Error> {
        patch["metadata"]["resourceVersion"] = serde_json::json!(self.resource_version);
        let written = api(self.ctx, self.run)
            .patch(&self.run.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::kube(action))?;
        self.resource_version = written.resource_version();
        Ok(())
    }

    async fn event(&mut self, type_: EventType, reason: &str, note: String) {
        self.events.push((type_, reason.to_string(), note));
    }

    /// Publishes an Event about something done in the cluster (an injection, a revert) at once.
    async fn event_now(&self, type_: EventType, reason: &str, note: String) {
        self.ctx.event(self.run, type_, reason, "Run", note).await;
    }

    /// Publishes the Events of everything written so far.
    async fn publish_events(&mut self) {
        for (type_, reason, note) in std::mem::take(&mut self.events) {
            self.ctx.event(self.run, type_, &reason, "Run", note).await;
        }
    }

    async fn apply(&mut self, action: Action, project: Option<&str>) -> Result<(), Error> {
        let ctx = self.ctx;
        match action {
            Action::Refuse(refusal) => {
                self.status.phase = Some(RunPhase::Failed);
                self.status.finished_at = Some(now().to_string());
                self.condition("Admitted", ConditionStatus::False, refusal.reason, &refusal.message);
                self.dirty = true;
                self.event(EventType::Warning, refusal.reason, refusal.message).await;
                ctx.metrics.run_phase("Failed");
            }
            Action::Plan => self.plan(project).await?,
            Action::AddFinalizer => {
                let mut finalizers = self.run.finalizers().to_vec();
                finalizers.push(RUN_FINALIZER.to_string());
                let patch = serde_json::json!({"metadata": {"finalizers": finalizers}});
                self.patch_metadata(patch, "add the revert finalizer").await?;
            }
            Action::Start => self.start(project).await?,
            Action::StartStep { step } => {
                let st = self.step_mut(&step);
                st.phase = RunPhase::Running;
                st.started_at = Some(now().to_string());
                self.dirty = true;
            }
            Action::Inject { step, round } => self.inject(&step, round).await?,
            Action::Revert { step } => self.revert(&step).await?,
            Action::FinishStep { step } => {
                let Some(step_spec) = self.step_spec(&step).cloned() else {
                    return Ok(());
                };
                let st = self.step_mut(&step);
                let verdict = decide::step_verdict(&step_spec, st);
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
                self.event(type_, "StepFinished", note).await;
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
                if let Some(start) = decide::ts(&self.status.started_at) {
                    let took = Duration::try_from(finished.duration_since(start)).unwrap_or_default();
                    self.status.duration = Some(human_duration(took));
                }
                self.status.resiliency_score = score::resiliency_score(self.spec, &self.status.steps);
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
                )
                .await;
                ctx.metrics.run_phase(&format!("{phase:?}"));
            }
            Action::RemoveFinalizer => {
                let finalizers: Vec<String> =
                    self.run.finalizers().iter().filter(|f| *f != RUN_FINALIZER).cloned().collect();
                let patch = serde_json::json!({"metadata": {"finalizers": finalizers}});
                self.patch_metadata(patch, "remove the revert finalizer").await?;
                self.release_claims().await;
            }
            Action::Probe { .. } => unreachable!("probes are run together"),
        }
        Ok(())
    }

    /// Freezes the definition into the run, links it to its workflow, and starts it.
    async fn start(&mut self, project: Option<&str>) -> Result<(), Error> {
        let ns = self.run.namespace().unwrap_or_default();
        let mut meta = serde_json::json!({"labels": {WORKFLOW_LABEL: self.run.spec.workflow_ref.name}});
        if self.run.owner_references().is_empty() {
            let wf = Api::<ChaosWorkflow>::namespaced(self.ctx.client.clone(), &ns)
                .get_opt(&self.run.spec.workflow_ref.name)
                .await
                .map_err(Error::kube("read the workflow"))?;
            if let Some(owner) = wf.and_then(|w| w.controller_owner_ref(&())) {
                meta["ownerReferences"] = serde_json::json!([owner]);
            }
        }
        let mut patch = serde_json::json!({"metadata": meta});
        if self.run.spec.workflow.is_none() {
            patch["spec"] = serde_json::json!({"workflow": self.spec});
        }
        self.patch_metadata(patch, "freeze the workflow into the run").await?;
        let started = now();
        let max = chaoscenter_crds::common::parse_duration(&self.spec.max_duration)
            .unwrap_or(self.ctx.config.max_run_duration)
            .min(self.ctx.config.max_run_duration);
        self.status.phase = Some(RunPhase::Running);
        self.status.started_at = Some(started.to_string());
        self.status.deadline = Some((started + max).to_string());
        self.status.project = project.map(str::to_string);
        self.condition("Admitted", ConditionStatus::True, "Admitted", "every policy check passed");
        self.dirty = true;
        self.ctx.metrics.run_phase("Running");
        self.event(EventType::Normal, "Started", format!("run started; deadline in {}", human_duration(max)))
            .await;
        Ok(())
    }

    /// Targets of other active runs that are not yet verified reverted (from the cache and this process).
    fn held_by_others(
        &self,
        claims: &std::collections::BTreeMap<TargetKey, String>,
    ) -> std::collections::BTreeSet<TargetKey> {
        let me = self.run.uid().unwrap_or_default();
        let mut held: std::collections::BTreeSet<TargetKey> =
            claims.iter().filter(|(_, uid)| **uid != me).map(|(k, _)| k.clone()).collect();
        for other in self.ctx.runs.state() {
            if other.uid().unwrap_or_default() == me {
                continue;
            }
            for step in other.status.iter().flat_map(|s| s.steps.iter()) {
                for t in step.targets.iter().filter(|t| !t.revert_verified) {
                    held.insert((t.kind.clone(), t.namespace.clone(), t.name.clone()));
                }
            }
        }
        held
    }

    /// Candidates of a step's fault minus targets other runs hold, chosen by the target mode.
    /// `Ok(None)` means every candidate is held: wait.
    async fn choose(
        &self,
        step: &Step,
        round: u32,
        held: &std::collections::BTreeSet<TargetKey>,
    ) -> Result<Option<Vec<faults::Candidate>>, faults::FaultError> {
        let all = faults::candidates(&self.ctx.client, &step.fault).await?;
        let free: Vec<faults::Candidate> = all
            .iter()
            .filter(|c| !held.contains(&(c.kind.to_string(), c.namespace.clone(), c.name.clone())))
            .cloned()
            .collect();
        if free.is_empty() && !all.is_empty() {
            return Ok(None);
        }
        let seed = select::seed(&self.run.uid().unwrap_or_default(), &step.name, round);
        let names = select::choose(&step.fault.target, free.iter().map(|c| c.name.clone()).collect(), seed);
        Ok(Some(free.into_iter().filter(|c| names.contains(&c.name)).collect()))
    }

    async fn inject(&mut self, step_name: &str, round: u32) -> Result<(), Error> {
        let Some(step) = self.step_spec(step_name).cloned() else {
            return Ok(());
        };
        let fault = step.fault.clone();
        let fault_name = faults::name(fault.type_);
        let origin = self.origin(step_name);
        let client = self.ctx.client.clone();
        let uid = self.run.uid().unwrap_or_default();

        // choose and record the targets (with what their revert needs) before touching anything
        let claims_lock = self.ctx.claims.lock().await;
        let held = self.held_by_others(&claims_lock);
        let chosen = match self.choose(&step, round, &held).await {
            Ok(Some(chosen)) => chosen,
            Ok(None) => {
                drop(claims_lock);
                let st = self.step_mut(step_name);
                let msg = "waiting: every matching target is held by another run".to_string();
                if st.message.as_deref() != Some(msg.as_str()) {
                    st.message = Some(msg.clone());
                    self.dirty = true;
                    self.event(EventType::Normal, "TargetBusy", format!("step {step_name}: {msg}")).await;
                }
                return Ok(());
            }
            Err(err) => {
                drop(claims_lock);
                return self
                    .injection_failed(step_name, round, fault.interval.as_deref(), err.to_string())
                    .await;
            }
        };
        if chosen.is_empty() {
            drop(claims_lock);
            return self
                .injection_failed(
                    step_name,
                    round,
                    fault.interval.as_deref(),
                    "no target matches the step's target".into(),
                )
                .await;
        }
        let mut recorded = Vec::new();
        for c in &chosen {
            let mut t = c.to_status(round);
            if let Err(err) = faults::prepare(&client, &fault, &mut t).await {
                drop(claims_lock);
                return self
                    .injection_failed(step_name, round, fault.interval.as_deref(), err.to_string())
                    .await;
            }
            recorded.push(t);
        }
        let mut claims_lock = claims_lock;
        if faults::needs_revert(fault.type_) {
            for t in &recorded {
                claims_lock.insert((t.kind.clone(), t.namespace.clone(), t.name.clone()), uid.clone());
            }
        }
        let first = self.step_mut(step_name).targets.len();
        self.step_mut(step_name).targets.extend(recorded);
        self.write_status().await?;
        drop(claims_lock);

        // inject
        let mut injected = 0;
        let mut errors = Vec::new();
        for i in first..self.step_mut(step_name).targets.len() {
            let target = self.step_mut(step_name).targets[i].clone();
            let who = faults::describe(&target);
            match faults::inject(&client, &origin, &fault, &target).await {
                Ok(note) => {
                    injected += 1;
                    let at = now().to_string();
                    let t = &mut self.step_mut(step_name).targets[i];
                    t.injected_at = Some(at.clone());
                    if !faults::needs_revert(fault.type_) {
                        t.reverted_at = Some(at);
                        t.revert_verified = true;
                    }
                    Metrics::fault(&self.ctx.metrics.injections, &fault_name, "ok");
                    self.event_now(
                        EventType::Normal,
                        "Injected",
                        format!("step {step_name}: {fault_name} injected into {who}: {note}"),
                    )
                    .await;
                }
                Err(err) => {
                    Metrics::fault(&self.ctx.metrics.injections, &fault_name, "error");
                    errors.push(format!("{who}: {err}"));
                    self.event_now(
                        EventType::Warning,
                        "InjectionFailed",
                        format!("step {step_name}: {fault_name} into {who} failed: {err}"),
                    )
                    .await;
                }
            }
        }
        let at = now();
        let st = self.step_mut(step_name);
        if injected > 0 || round > 0 {
            if st.chaos_started_at.is_none() {
                st.chaos_started_at = Some(at.to_string());
                let duration = chaoscenter_crds::common::parse_duration(&fault.duration).unwrap_or_default();
                st.chaos_ends_at = Some((at + duration).to_string());
            }
            st.injections = round + 1;
            if let Some(interval) =
                fault.interval.as_deref().and_then(chaoscenter_crds::common::parse_duration)
            {
                st.next_injection_at = Some((at + interval).to_string());
            }
        }
        st.message = (!errors.is_empty()).then(|| errors.join("; "));
        if injected == 0 && round == 0 {
            // Nothing was injected: end the chaos now; the verdict will be Fail.
            st.chaos_started_at = Some(at.to_string());
            st.chaos_ends_at = Some(at.to_string());
        }
        self.dirty = true;
        Ok(())
    }

    async fn injection_failed(
        &mut self,
        step_name: &str,
        round: u32,
        interval: Option<&str>,
        message: String,
    ) -> Result<(), Error> {
        let at = now();
        let st = self.step_mut(step_name);
        if round == 0 {
            // nothing was injected at all: the chaos ends now and the verdict will be Fail
            st.chaos_started_at = Some(at.to_string());
            st.chaos_ends_at = Some(at.to_string());
        } else {
            // a later round found nothing to hit (e.g. every pod still restarting): try again soon,
            // at most one interval later
            let retry = interval
                .and_then(chaoscenter_crds::common::parse_duration)
                .unwrap_or(Duration::from_secs(2))
                .min(Duration::from_secs(2));
            st.next_injection_at = Some((at + retry).to_string());
        }
        st.message = Some(message.clone());
        self.dirty = true;
        self.event(EventType::Warning, "InjectionFailed", format!("step {step_name}: {message}")).await;
        Ok(())
    }

    async fn revert(&mut self, step_name: &str) -> Result<(), Error> {
        let Some(step) = self.step_spec(step_name).cloned() else {
            // a step no longer in the definition cannot be reverted by its fault; nothing to do
            return Ok(());
        };
        let fault = step.fault;
        let fault_name = faults::name(fault.type_);
        let origin = self.origin(step_name);
        let client = self.ctx.client.clone();
        let count = self.step_mut(step_name).targets.len();
        for i in 0..count {
            let target = self.step_mut(step_name).targets[i].clone();
            if target.revert_verified {
                continue;
            }
            let who = faults::describe(&target);
            let result = match faults::revert(&client, &origin, &fault, &target).await {
                Ok(()) => faults::verify(&client, &origin, &fault, &target).await,
                Err(e) => Err(e),
            };
            let t = &mut self.step_mut(step_name).targets[i];
            match result {
                Ok(true) => {
                    t.reverted_at = Some(now().to_string());
                    t.revert_verified = true;
                    t.revert_error = None;
                    Metrics::fault(&self.ctx.metrics.reverts, &fault_name, "verified");
                    self.ctx.claims.lock().await.remove(&(
                        target.kind.clone(),
                        target.namespace.clone(),
                        target.name.clone(),
                    ));
                    self.event_now(
                        EventType::Normal,
                        "Reverted",
                        format!("step {step_name}: {fault_name} reverted and verified on {who}"),
                    )
                    .await;
                }
                Ok(false) => {
                    t.revert_error = Some("the revert is not visible in the cluster yet".into());
                }
                Err(err) => {
                    t.revert_error = Some(err.to_string());
                    Metrics::fault(&self.ctx.metrics.reverts, &fault_name, "error");
                    self.event_now(
                        EventType::Warning,
                        "RevertFailed",
                        format!("step {step_name}: reverting {fault_name} on {who} failed (retrying): {err}"),
                    )
                    .await;
                }
            }
            self.dirty = true;
        }
        Ok(())
    }

    async fn release_claims(&self) {
        let me = self.run.uid().unwrap_or_default();
        self.ctx.claims.lock().await.retain(|_, uid| *uid != me);
    }

    /// Runs probe checks concurrently and records their results.
    async fn run_probes(&mut self, checks: Vec<(String, String, Stage)>) {
        let pctx = ProbeContext {
            client: self.ctx.client.clone(),
            http: self.ctx.http.clone(),
            namespace: self.run.namespace().unwrap_or_default(),
            run: self.run.name_any(),
        };
        let futures = checks.iter().filter_map(|(step, probe, _)| {
            let p = self.step_spec(step)?.probes.iter().find(|p| &p.name == probe)?.clone();
            let pctx = pctx.clone();
            Some(async move { probes::check(&pctx, &p).await })
        });
        let outcomes = futures::future::join_all(futures).await;
        for ((step, probe, stage), outcome) in checks.into_iter().zip(outcomes) {
            let at = now().to_string();
            let st = self.step_mut(&step);
            let ps = match st.probes.iter().position(|p| p.name == probe) {
                Some(i) => &mut st.probes[i],
                None => {
                    st.probes.push(ProbeStatus { name: probe.clone(), ..Default::default() });
                    st.probes.last_mut().expect("just pushed")
                }
            };
            if outcome.passed {
                ps.passed += 1;
            } else {
                ps.failed += 1;
            }
            ps.last_checked_at = Some(at);
            match stage {
                Stage::Sot => ps.sot_done = true,
                Stage::Eot => ps.eot_done = true,
                Stage::During => {}
            }
            ps.message = outcome.message.clone();
            ps.verdict = decide::probe_verdict(ps);
            self.dirty = true;
            if !outcome.passed {
                self.event(
                    EventType::Warning,
                    "ProbeFailed",
                    format!("step {step}: probe {probe} failed: {}", outcome.message),
                )
                .await;
            }
        }
    }

    /// Dry run: records every step's chosen targets without injecting, and finishes.
    async fn plan(&mut self, project: Option<&str>) -> Result<(), Error> {
        let claims = self.ctx.claims.lock().await.clone();
        let held = self.held_by_others(&claims);
        let mut total = 0;
        for step in self.spec.steps.clone() {
            let (targets, message) = match self.choose(&step, 0, &held).await {
                Ok(Some(chosen)) if !chosen.is_empty() => {
                    let n = chosen.len();
                    let targets: Vec<_> = chosen
                        .iter()
                        .map(|c| {
                            let mut t = c.to_status(0);
                            t.revert_verified = true; // nothing was injected, so nothing to revert
                            t
                        })
                        .collect();
                    (targets, format!("dry run: would inject {:?} into {n} target(s)", step.fault.type_))
                }
                Ok(Some(_)) => (vec![], "dry run: no target matches".to_string()),
                Ok(None) => (vec![], "dry run: every matching target is held by another run".to_string()),
                Err(err) => (vec![], format!("dry run: {err}")),
            };
            total += targets.len();
            let st = self.step_mut(&step.name);
            st.targets = targets;
            st.message = Some(message);
        }
        let at = now().to_string();
        self.status.phase = Some(RunPhase::Succeeded);
        self.status.started_at = Some(at.clone());
        self.status.finished_at = Some(at);
        self.status.project = project.map(str::to_string);
        let msg = format!("dry run: {total} target(s) resolved, nothing injected");
        self.condition("DryRun", ConditionStatus::True, "Planned", &msg);
        self.dirty = true;
        self.event(EventType::Normal, "Planned", msg).await;
        Ok(())
    }
}
