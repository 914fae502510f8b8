//! The ChaosWorkflow controller: validates the definition, starts runs on demand (annotation) and on the
//! cron schedule (time zone, concurrency policy, starting deadline, suspend), prunes old runs beyond the
//! history limit, and reports the last run, score and next run time in the status.

use super::digest;
use super::{contain, now, Context, Error};
use crate::probes::{self, ProbeContext};
use chaoscenter_crds::common::{
    set_condition, set_health, ConditionStatus, Health, LocalObjectReference, RUN_NOW_ANNOTATION,
    RUN_NOW_HANDLED_ANNOTATION, WORKFLOW_LABEL,
};
use chaoscenter_crds::run::{ChaosWorkflowRunSpec, RunPhase, Trigger};
use chaoscenter_crds::workflow::{ConcurrencyPolicy, LastRun};
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun};
use jiff::Timestamp;
use kube::api::{Api, DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action as Requeue;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

/// Reconciles one workflow; a panic is contained to it (logged, counted, retried later).
pub async fn reconcile(wf: Arc<ChaosWorkflow>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    let started = std::time::Instant::now();
    let result = match contain(reconcile_inner(&wf, &ctx)).await {
        Ok(result) => result,
        Err(panic) => {
            tracing::error!(workflow = %wf.name_any(), %panic, "reconciling the workflow panicked");
            ctx.metrics.reconcile_failed("workflow", "Panic");
            Ok(Requeue::requeue(Duration::from_secs(30)))
        }
    };
    ctx.metrics.observe("workflow", started.elapsed().as_secs_f64());
    result
}

/// Logs, counts and retries a failed reconcile.
pub fn error_policy(wf: Arc<ChaosWorkflow>, error: &Error, ctx: Arc<Context>) -> Requeue {
    tracing::warn!(workflow = %wf.name_any(), %error, "workflow reconcile failed");
    ctx.metrics.reconcile_failed("workflow", error.category());
    Requeue::requeue(Duration::from_secs(5))
}

/// A new run of `wf` (the definition frozen into it), owned by the workflow.
pub fn new_run(wf: &ChaosWorkflow, name: Option<String>, trigger: Trigger) -> ChaosWorkflowRun {
    let wf_name = wf.name_any();
    let generate_name = name.is_none().then(|| format!("{}-", truncate(&wf_name, 50)));
    ChaosWorkflowRun {
        metadata: ObjectMeta {
            name,
            generate_name,
            namespace: wf.namespace(),
            labels: Some([(WORKFLOW_LABEL.to_string(), wf_name.clone())].into()),
            owner_references: wf.controller_owner_ref(&()).map(|o| vec![o]),
            ..Default::default()
        },
        spec: ChaosWorkflowRunSpec {
            workflow_ref: LocalObjectReference { name: wf_name },
            trigger,
            dry_run: false,
            abort: false,
            workflow: Some(wf.spec.clone()),
        },
        status: None,
    }
}

fn truncate(s: &str, max: usize) -> &str {
    s.get(..max.min(s.len())).unwrap_or(s).trim_end_matches('-')
}

async fn reconcile_inner(wf: &ChaosWorkflow, ctx: &Context) -> Result<Requeue, Error> {
    let ns = wf.namespace().unwrap_or_default();
    let name = wf.name_any();
    let wf_api: Api<ChaosWorkflow> = Api::namespaced(ctx.client.clone(), &ns);
    let runs_api: Api<ChaosWorkflowRun> = Api::namespaced(ctx.client.clone(), &ns);
    let at = now();
    let mut status = wf.status.clone().unwrap_or_default();
    let generation = wf.metadata.generation;

    // validate: the definition (pure, the one validator) and what needs the world (probe endpoints)
    let mut problems = Vec::new();
    let validated = chaoscenter_core::validate(&wf.spec);
    if let Err(invalid) = &validated {
        problems.extend(invalid.errors.iter().map(|e| e.to_string()));
    }
    let workflow = validated.ok();
    let schedule = workflow.as_ref().and_then(|w| w.schedule.clone());
    // The probe pre-flight reaches out (a Prometheus query per prom probe), and this reconcile runs on
    // every status change of the workflow's runs: check again only when the spec changed or it failed.
    let checked = status.observed_generation == generation
        && status.conditions.iter().any(|c| c.type_ == "Ready" && c.status == ConditionStatus::True);
    let pctx = ProbeContext {
        client: ctx.client.clone(),
        egress: ctx.egress.clone(),
        namespace: ns.clone(),
        run: name.clone(),
    };
    for (i, step) in workflow.iter().flat_map(|w| w.steps.iter().enumerate()).filter(|_| !checked) {
        for (j, probe) in step.probes.iter().enumerate() {
            if let Err(message) =
                probes::preflight(&pctx, probe, &format!("spec.steps[{i}].probes[{j}]")).await
            {
                problems.push(message);
            }
        }
    }
    let valid = problems.is_empty();
    let message = if valid { "the workflow is valid".to_string() } else { problems.join("; ") };
    let was = status.conditions.iter().find(|c| c.type_ == "Ready").map(|c| (c.status, c.message.clone()));
    // Ready: valid and schedulable (kstatus; the last run's result is LastRunSucceeded)
    let health = match (valid, wf.spec.suspend) {
        (false, _) => Health::Stalled { reason: "InvalidWorkflow", message: &message },
        (true, true) => Health::Ready { reason: "Suspended", message: "the workflow is valid and suspended" },
        (true, false) => Health::Ready { reason: "Valid", message: &message },
    };
    set_health(&mut status.conditions, health, generation, &at.to_string());
    if !valid && was != Some((ConditionStatus::False, message.clone())) {
        ctx.event(wf, EventType::Warning, "InvalidWorkflow", "Validate", message.clone()).await;
    }

    // runs of this workflow
    // from the cache (this reconcile follows every status change of every run of the workflow): a run
    // the cache has not seen yet is found next time, and creating a scheduled run twice is refused by its
    // name
    if !super::is_filled(&ctx.world.runs) {
        return Ok(Requeue::requeue(Duration::from_millis(200)));
    }
    let runs: Vec<ChaosWorkflowRun> = ctx
        .world
        .runs
        .state()
        .iter()
        .filter(|r| r.namespace().as_deref() == Some(ns.as_str()))
        .filter(|r| r.labels().get(WORKFLOW_LABEL) == Some(&name))
        .map(|r| r.as_ref().clone())
        .collect();
    let active: Vec<&ChaosWorkflowRun> = runs
        .iter()
        .filter(|r| !r.status.as_ref().and_then(|s| s.phase).unwrap_or_default().is_finished())
        .collect();

    // on demand: the run-now annotation
    let annotations = wf.annotations();
    if let Some(value) = annotations.get(RUN_NOW_ANNOTATION) {
        if annotations.get(RUN_NOW_HANDLED_ANNOTATION) != Some(value) {
            let run = runs_api
                .create(&PostParams::default(), &new_run(wf, None, Trigger::Manual))
                .await
                .map_err(Error::kube("create a run"))?;
            let patch = serde_json::json!({"metadata": {"annotations": {RUN_NOW_HANDLED_ANNOTATION: value}}});
            wf_api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(Error::kube("mark run-now handled"))?;
            ctx.event(
                wf,
                EventType::Normal,
                "RunCreated",
                "RunNow",
                format!("run {} started on demand ({RUN_NOW_ANNOTATION})", run.name_any()),
            )
            .await;
        }
    }

    // on change: once per changed definition, named by the generation so a stale status cannot start two
    if wf.spec.run_on_change && valid && !wf.spec.suspend {
        let digest = digest::of_change(&wf.spec);
        if status.change_digest.as_deref() != Some(digest.as_str()) {
            let run_name = format!("{}-change-{}", truncate(&name, 40), generation.unwrap_or_default());
            match runs_api
                .create(&PostParams::default(), &new_run(wf, Some(run_name.clone()), Trigger::Change))
                .await
            {
                Ok(_) => {
                    let note = format!("run {run_name} started: the definition changed (spec.runOnChange)");
                    ctx.event(wf, EventType::Normal, "RunCreated", "RunOnChange", note).await
                }
                Err(kube::Error::Api(s)) if s.code == 409 => {}
                Err(e) => return Err(Error::kube("create a run on change")(e)),
            }
            status.change_digest = Some(digest);
        }
    }

    // the schedule
    // the runs come from the run controller's cache, which may not yet hold the change that triggered
    // this reconcile: while any run looks active, look again soon so its end is reported
    let mut requeue = if active.is_empty() { Duration::from_secs(60) } else { Duration::from_secs(2) };
    status.next_run_at = None;
    if let (Some(schedule), true, false) = (&schedule, valid, wf.spec.suspend) {
        let since: Timestamp = status
            .last_schedule_at
            .as_deref()
            .and_then(|s| s.parse().ok())
            .or_else(|| wf.meta().creation_timestamp.as_ref().map(|t| t.0))
            .unwrap_or(at);
        // A run's name is derived from its scheduled time, so a due time is handled once even when this
        // reconcile sees a stale status (the cache lags our writes) or the operator restarted.
        let due = schedule.latest_due(since, at);
        let scheduled_name =
            |due: jiff::Timestamp| format!("{}-{}", truncate(&name, 50), due.as_second() / 60);
        let handled = due.is_some_and(|due| runs.iter().any(|r| r.name_any() == scheduled_name(due)));
        if handled {
            status.last_schedule_at = due.map(|d| d.to_string());
        }
        if let (Some(due), false) = (due, handled) {
            status.last_schedule_at = Some(due.to_string());
            let late = chaoscenter_core::time::until(due, at);
            let missed = workflow.as_ref().and_then(|w| w.starting_deadline).is_some_and(|d| late > d);
            if missed {
                ctx.event(
                    wf,
                    EventType::Warning,
                    "MissedSchedule",
                    "Schedule",
                    format!("the run due at {due} was missed: more than startingDeadlineSeconds late"),
                )
                .await;
            } else if !active.is_empty() && wf.spec.concurrency_policy == ConcurrencyPolicy::Forbid {
                let names: Vec<String> = active.iter().map(|r| r.name_any()).collect();
                ctx.event(
                    wf,
                    EventType::Normal,
                    "SkippedConcurrent",
                    "Schedule",
                    format!(
                        "the run due at {due} was skipped: concurrencyPolicy Forbid and {} still running",
                        names.join(", ")
                    ),
                )
                .await;
            } else {
                if wf.spec.concurrency_policy == ConcurrencyPolicy::Replace {
                    for old in &active {
                        let patch = serde_json::json!({"spec": {"abort": true}});
                        runs_api
                            .patch(&old.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
                            .await
                            .map_err(Error::kube("abort a replaced run"))?;
                        ctx.event(
                            wf,
                            EventType::Normal,
                            "Replaced",
                            "Schedule",
                            format!("run {} aborted: concurrencyPolicy Replace", old.name_any()),
                        )
                        .await;
                    }
                }
                let run_name = scheduled_name(due);
                match runs_api
                    .create(&PostParams::default(), &new_run(wf, Some(run_name.clone()), Trigger::Schedule))
                    .await
                {
                    Ok(_) => {
                        ctx.event(
                            wf,
                            EventType::Normal,
                            "RunCreated",
                            "Schedule",
                            format!("run {run_name} started by the schedule (due {due})"),
                        )
                        .await
                    }
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => return Err(Error::kube("create a scheduled run")(e)),
                }
            }
        }
        if let Some(next) = schedule.next_after(at) {
            status.next_run_at = Some(next.to_string());
            requeue = requeue.min(chaoscenter_core::time::until(at, next) + Duration::from_millis(200));
        }
    }

    // history: keep the newest runHistoryLimit finished runs in the cluster
    let mut finished: Vec<&ChaosWorkflowRun> = runs
        .iter()
        .filter(|r| r.status.as_ref().and_then(|s| s.phase).unwrap_or_default().is_finished())
        .collect();
    finished.sort_by_key(|r| std::cmp::Reverse(r.meta().creation_timestamp.as_ref().map(|t| t.0)));
    for old in finished.iter().skip(wf.spec.run_history_limit as usize) {
        if old.meta().deletion_timestamp.is_none() {
            match runs_api.delete(&old.name_any(), &DeleteParams::background()).await {
                Ok(_) => {
                    tracing::info!(run = %old.name_any(), uid = ?old.metadata.uid, "pruned beyond runHistoryLimit")
                }
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(Error::kube("prune an old run")(e)),
            }
        }
    }

    // status
    let newest = runs.iter().max_by_key(|r| r.meta().creation_timestamp.as_ref().map(|t| t.0));
    status.last_run = newest.map(|r| {
        let s = r.status.clone().unwrap_or_default();
        LastRun {
            name: r.name_any(),
            phase: Some(s.phase.unwrap_or(RunPhase::Pending)),
            resiliency_score: s.resiliency_score,
            finished_at: s.finished_at,
        }
    });
    // the latest finished run's result, apart from Ready
    let last_finished = runs
        .iter()
        .filter(|r| r.status.as_ref().and_then(|s| s.phase).unwrap_or_default().is_finished())
        .max_by_key(|r| r.meta().creation_timestamp.as_ref().map(|t| t.0));
    if let Some(run) = last_finished {
        let s = run.status.clone().unwrap_or_default();
        let completed = s.conditions.iter().find(|c| c.type_ == "Completed");
        let ok = s.phase == Some(RunPhase::Succeeded);
        let reason = completed.map(|c| c.reason.clone()).unwrap_or_else(|| format!("{:?}", s.phase));
        let message = format!(
            "run {}: {}",
            run.name_any(),
            completed.map(|c| c.message.as_str()).unwrap_or("finished")
        );
        let cond = if ok { ConditionStatus::True } else { ConditionStatus::False };
        set_condition(
            &mut status.conditions,
            "LastRunSucceeded",
            cond,
            &reason,
            &message,
            generation,
            &at.to_string(),
        );
    }
    status.active_runs = active.iter().map(|r| r.name_any()).collect();
    status.active_runs.sort();
    status.observed_generation = generation;
    if Some(&status) != wf.status.as_ref() {
        let patch = super::status_patch(wf.status.as_ref(), &status)?;
        wf_api
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::kube("write the workflow status"))?;
    }
    Ok(Requeue::requeue(requeue))
}
