//! What GitOps and CI see of workflows and runs on a real cluster: the kstatus conditions through a run's
//! life, `kubectl wait --for=condition=Ready` on a passing and a failing run, and `spec.runOnChange`
//! starting exactly one run per change of the definition, whatever is applied in between.

use chaoscenter_crds::common::{Condition, ConditionStatus};
use chaoscenter_crds::run::{RunPhase, Trigger};
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun};
use chaoscenter_e2e::*;
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use std::time::Duration;

const RUN_TIMEOUT: Duration = Duration::from_secs(180);

fn condition(conditions: &[Condition], type_: &str) -> Option<(ConditionStatus, String)> {
    conditions.iter().find(|c| c.type_ == type_).map(|c| (c.status, c.reason.clone()))
}

/// Ready, Reconciling and Stalled of a run, as (status, reason) each.
fn kstatus(run: &ChaosWorkflowRun) -> [Option<(ConditionStatus, String)>; 3] {
    let c = run.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    [condition(&c, "Ready"), condition(&c, "Reconciling"), condition(&c, "Stalled")]
}

/// Asserts a finished run's kstatus: not Reconciling; Ready (reason Succeeded) when it succeeded, else
/// Stalled with `reason` and not Ready for the same reason.
fn assert_finished(run: &ChaosWorkflowRun, reason: &str) {
    let [ready, reconciling, stalled] = kstatus(run);
    assert_eq!(reconciling.map(|c| c.0), Some(ConditionStatus::False), "Reconciling");
    if reason == "Succeeded" {
        assert_eq!(ready, Some((ConditionStatus::True, reason.into())), "Ready");
        assert_eq!(stalled.map(|c| c.0), Some(ConditionStatus::False), "Stalled");
    } else {
        assert_eq!(ready, Some((ConditionStatus::False, reason.into())), "Ready");
        assert_eq!(stalled, Some((ConditionStatus::True, reason.into())), "Stalled");
    }
}

/// `kubectl wait --for=condition=Ready` on run `name`, as a CI job would.
fn wait_ready(ns: &str, name: &str, timeout: &str) -> std::process::Output {
    let (run, timeout) = (format!("chaosworkflowrun/{name}"), format!("--timeout={timeout}"));
    kubectl().args(["-n", ns, "wait", "--for=condition=Ready", &run, &timeout]).output().unwrap()
}

fn pod_delete(ns: &str, app: &str, duration: &str) -> Value {
    json!({"type": "pod-delete", "duration": duration,
           "target": {"namespace": ns, "selector": {"matchLabels": {"app": app}}, "mode": "one"}})
}

fn http_probe(name: &str, url: &str) -> Value {
    json!({"name": name, "type": "http", "mode": "EOT", "http": {"url": url, "expectStatus": 200},
           "runProperties": {"timeout": "5s"}})
}

/// `kubectl apply -f -` of `manifest`.
fn apply(manifest: &Value) {
    let (ok, out) = kubectl_stdin(None, &["apply", "-f", "-"], manifest);
    assert!(ok, "kubectl apply: {out}");
}

async fn runs_of(client: &Client, ns: &str, workflow: &str) -> Vec<ChaosWorkflowRun> {
    let api: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), ns);
    let mut runs = api
        .list(
            &ListParams::default()
                .labels(&format!("{}={workflow}", chaoscenter_crds::common::WORKFLOW_LABEL)),
        )
        .await
        .unwrap()
        .items;
    runs.sort_by_key(|r| r.metadata.creation_timestamp.as_ref().map(|t| t.0));
    runs
}

/// Waits until the operator has seen generation `generation` of the workflow.
async fn wait_observed(client: &Client, ns: &str, name: &str, generation: i64) -> ChaosWorkflow {
    let api: Api<ChaosWorkflow> = Api::namespaced(client.clone(), ns);
    wait_for(RUN_TIMEOUT, &format!("workflow {name} generation {generation} observed"), || async {
        let wf = api.get(name).await.ok()?;
        (wf.status.as_ref()?.observed_generation? >= generation).then_some(wf)
    })
    .await
}

#[tokio::test]
async fn run_on_change_runs_once_per_change_of_the_definition() {
    with_namespace("gitops-change", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "victim", 1).await;
        let _op = Operator::start(&ns);
        let manifest = |duration: &str, history: u32| {
            json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
                   "metadata": {"name": "synced", "namespace": ns},
                   "spec": {"runOnChange": true, "runHistoryLimit": history,
                            "steps": [{"name": "kill", "fault": pod_delete(&ns, "victim", duration)}]}})
        };
        // created: the first definition runs once
        apply(&manifest("1s", 10));
        let first = wait_for(RUN_TIMEOUT, "the run of the new definition", || async {
            runs_of(&client, &ns, "synced").await.into_iter().next()
        })
        .await;
        assert_eq!(first.spec.trigger, Trigger::Change);
        let first = wait_run_finished(&client, &ns, &first.name_any(), RUN_TIMEOUT).await;
        assert_eq!(first.status.as_ref().unwrap().phase, Some(RunPhase::Succeeded), "{:#?}", first.status);

        // the same manifest again (a GitOps re-sync): nothing changes, nothing runs
        apply(&manifest("1s", 10));
        // a change that is not what a run executes (history kept): a new generation, no run
        apply(&manifest("1s", 9));
        let wf = wait_observed(&client, &ns, "synced", 2).await;
        assert_eq!(runs_of(&client, &ns, "synced").await.len(), 1, "a history setting started a run");
        let ready = condition(&wf.status.as_ref().unwrap().conditions, "Ready");
        assert_eq!(ready, Some((ConditionStatus::True, "Valid".into())));
        let last = condition(&wf.status.as_ref().unwrap().conditions, "LastRunSucceeded");
        assert_eq!(last, Some((ConditionStatus::True, "Succeeded".into())));

        // a changed fault: exactly one more run, named by the generation
        apply(&manifest("2s", 9));
        let wf = wait_observed(&client, &ns, "synced", 3).await;
        let runs = wait_for(RUN_TIMEOUT, "the run of the changed definition", || async {
            let runs = runs_of(&client, &ns, "synced").await;
            (runs.len() == 2).then_some(runs)
        })
        .await;
        assert_eq!(runs[1].name_any(), "synced-change-3");
        assert_eq!(runs[1].spec.trigger, Trigger::Change);
        assert_eq!(runs[1].spec.workflow.as_ref().unwrap().steps[0].fault.duration, "2s");
        wait_run_finished(&client, &ns, "synced-change-3", RUN_TIMEOUT).await;
        // applied again while and after it ran: still two
        apply(&manifest("2s", 9));
        let api: Api<ChaosWorkflow> = Api::namespaced(client.clone(), &ns);
        let patch = json!({"metadata": {"annotations": {"e2e/touched": "yes"}}});
        api.patch("synced", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
        apply(&manifest("2s", 8));
        wait_observed(&client, &ns, "synced", wf.metadata.generation.unwrap() + 1).await;
        assert_eq!(runs_of(&client, &ns, "synced").await.len(), 2, "one run per change");
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn kubectl_wait_for_ready_returns_on_a_passing_run_and_times_out_on_a_failing_one() {
    with_namespace("gitops-wait", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        let url = web_app(&client, &ns, "web", 1).await;
        web_app(&client, &ns, "victim", 1).await;
        let _op = Operator::start(&ns);
        let fault = pod_delete(&ns, "victim", "2s");
        create_workflow(
            &client,
            &ns,
            "passes",
            json!({"steps": [
            {"name": "kill", "fault": fault, "probes": [http_probe("up", &url)]}]}),
        )
        .await;
        create_workflow(
            &client,
            &ns,
            "fails",
            json!({"steps": [
            {"name": "kill", "fault": fault, "probes": [http_probe("broken", "http://127.0.0.1:1/")]}]}),
        )
        .await;
        create_workflow(
            &client,
            &ns,
            "long",
            json!({"steps": [
            {"name": "kill", "fault": pod_delete(&ns, "victim", "5m")}]}),
        )
        .await;

        // the CI recipe: create, then wait for Ready
        let passing = create_run(&client, &ns, "passes", false).await;
        let out = wait_ready(&ns, &passing, "180s");
        assert!(out.status.success(), "kubectl wait: {}", String::from_utf8_lossy(&out.stderr));
        let run = get_run(&client, &ns, &passing).await;
        assert_eq!(run.status.as_ref().unwrap().phase, Some(RunPhase::Succeeded));
        assert_finished(&run, "Succeeded");
        assert_eq!(run.status.as_ref().unwrap().observed_generation, run.metadata.generation);

        // a failing run: Stalled, and waiting for Ready times out
        let failing = create_run(&client, &ns, "fails", false).await;
        let run = wait_run_finished(&client, &ns, &failing, RUN_TIMEOUT).await;
        assert_eq!(run.status.as_ref().unwrap().phase, Some(RunPhase::Failed));
        assert_finished(&run, "StepsFailed");
        let out = wait_ready(&ns, &failing, "3s");
        assert!(!out.status.success(), "kubectl wait succeeded on a failed run");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("timed out"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let workflows: Api<ChaosWorkflow> = Api::namespaced(client.clone(), &ns);
        let wf = wait_for(RUN_TIMEOUT, "the failed run reported on its workflow", || async {
            let wf = workflows.get("fails").await.ok()?;
            let c = condition(&wf.status.as_ref()?.conditions, "LastRunSucceeded")?;
            (c.0 == ConditionStatus::False).then_some(wf)
        })
        .await;
        let conditions = &wf.status.as_ref().unwrap().conditions;
        assert_eq!(
            condition(conditions, "LastRunSucceeded"),
            Some((ConditionStatus::False, "StepsFailed".into()))
        );
        assert_eq!(
            condition(conditions, "Ready"),
            Some((ConditionStatus::True, "Valid".into())),
            "still valid"
        );

        // in progress: Reconciling; aborted: Stalled, Aborted
        let long = create_run(&client, &ns, "long", false).await;
        let api: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &ns);
        let running = wait_for(RUN_TIMEOUT, "the long run Running", || async {
            let r = api.get(&long).await.ok()?;
            (r.status.as_ref()?.phase? == RunPhase::Running).then_some(r)
        })
        .await;
        let [ready, reconciling, stalled] = kstatus(&running);
        assert_eq!(ready, Some((ConditionStatus::False, "Running".into())));
        assert_eq!(reconciling, Some((ConditionStatus::True, "Running".into())));
        assert_eq!(stalled.map(|c| c.0), Some(ConditionStatus::False));
        api.patch(&long, &PatchParams::default(), &Patch::Merge(&json!({"spec": {"abort": true}})))
            .await
            .unwrap();
        let aborted = wait_run_finished(&client, &ns, &long, RUN_TIMEOUT).await;
        assert_finished(&aborted, "Aborted");
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn an_invalid_workflow_is_stalled_naming_the_field() {
    with_namespace("gitops-invalid", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        let _op = Operator::start(&ns);
        // valid for the schema, invalid for the validator: the step depends on a step that does not exist
        create_workflow(
            &client,
            &ns,
            "broken",
            json!({"steps": [
            {"name": "kill", "dependsOn": ["nothing"], "fault": pod_delete(&ns, "victim", "1s")}]}),
        )
        .await;
        let wf = wait_observed(&client, &ns, "broken", 1).await;
        let conditions = &wf.status.as_ref().unwrap().conditions;
        assert_eq!(condition(conditions, "Ready"), Some((ConditionStatus::False, "InvalidWorkflow".into())));
        assert_eq!(condition(conditions, "Stalled"), Some((ConditionStatus::True, "InvalidWorkflow".into())));
        assert_eq!(condition(conditions, "Reconciling").map(|c| c.0), Some(ConditionStatus::False));
        let ready = conditions.iter().find(|c| c.type_ == "Ready").unwrap();
        assert!(ready.message.contains("dependsOn"), "{}", ready.message);
        assert_eq!(ready.observed_generation, Some(1));
        assert!(ready.last_transition_time.is_some());
        delete_project(&client, &ns).await;
    })
    .await;
}
