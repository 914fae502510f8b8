//! The defects that made the chaos untrustworthy, each reproduced on the real cluster: an absurd duration
//! (it crash-looped the operator), abort during a 10-minute cmd probe (it waited for the probe), and a
//! namespace that withdraws its opt-in mid-run (it was checked only once). Each test runs its own operator.

use chaoscenter_crds::common::CHAOS_OPT_IN_LABEL;
use chaoscenter_crds::run::RunPhase;
use chaoscenter_e2e::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;
use std::time::{Duration, Instant};

async fn replicas(client: &kube::Client, ns: &str, name: &str) -> i32 {
    let d = Api::<Deployment>::namespaced(client.clone(), ns).get(name).await.unwrap();
    d.spec.and_then(|s| s.replicas).unwrap_or_default()
}

fn scale(ns: &str, duration: &str) -> serde_json::Value {
    json!({"type": "pod-autoscaler", "duration": duration, "params": {"replicas": 1},
           "target": {"namespace": ns, "kind": "Deployment", "name": "web"}})
}

async fn healthz(op: &Operator) -> String {
    let addr = op.metrics_addr().await;
    let out = tokio::process::Command::new("curl")
        .args(["-sf", &format!("http://{addr}/healthz")])
        .output()
        .await
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn an_absurd_duration_is_refused_by_field_and_the_operator_keeps_serving() {
    with_namespace("trust-absurd", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "web", 2).await;
        let mut op = Operator::start(&ns);
        let expected = r#"spec.steps[0].fault.duration: "99999999h" is more than the run's maxDuration (30m)"#;
        create_workflow(&client, &ns, "absurd", json!({"steps": [{"name": "kill", "fault": {
            "type": "pod-delete", "duration": "99999999h",
            "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}}}]})).await;
        create_workflow(&client, &ns, "fine", json!({"steps": [{"name": "kill", "fault": {
            "type": "pod-delete", "duration": "2s",
            "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}}}]})).await;

        // the run is refused naming the field and the limit; the workflow says so too
        let refused = create_run(&client, &ns, "absurd", false).await;
        let fine = create_run(&client, &ns, "fine", false).await;
        let status = wait_run_finished(&client, &ns, &refused, Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed), "{status:#?}");
        let admitted = status.conditions.iter().find(|c| c.type_ == "Admitted").unwrap();
        assert_eq!(admitted.reason, "InvalidWorkflow");
        assert!(admitted.message.contains(expected), "{}", admitted.message);
        assert!(status.steps.iter().all(|s| s.targets.is_empty()), "nothing was injected");
        let wfs = chaos_api(&client, "ChaosWorkflow", &ns);
        let ready = wait_for(Duration::from_secs(30), "the workflow marked invalid", || async {
            let w = wfs.get("absurd").await.ok()?;
            let c = w.data["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == "Ready")?.clone();
            (c["status"] == "False").then_some(c)
        })
        .await;
        assert!(ready["message"].as_str().unwrap().contains(expected), "{ready}");

        // the other run is unaffected and the operator still answers
        let status = wait_run_finished(&client, &ns, &fine, Duration::from_secs(90)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert_eq!(healthz(&op).await, "ok");

        // a run carrying the absurd definition itself (no workflow to consult) is refused the same way,
        // also by an operator that restarts (once the old code crash-looped here)
        let runs = chaos_api(&client, "ChaosWorkflowRun", &ns);
        let frozen: kube::core::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
            "metadata": {"name": "frozen-absurd"},
            "spec": {"workflowRef": {"name": "absurd"}, "workflow": wfs.get("absurd").await.unwrap().data["spec"]},
        }))
        .unwrap();
        op.kill9();
        runs.create(&Default::default(), &frozen).await.unwrap();
        let op = Operator::start(&ns);
        let status = wait_run_finished(&client, &ns, "frozen-absurd", Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed));
        assert!(status.conditions.iter().any(|c| c.message.contains(expected)), "{:?}", status.conditions);
        assert_eq!(healthz(&op).await, "ok");
        assert!(!op.logs().contains("panicked"), "{}", op.logs());
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn abort_during_a_ten_minute_cmd_probe_reverts_at_once() {
    with_namespace("trust-abort", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "web", 3).await;
        let _op = Operator::start(&ns);
        let (image, _) = busybox_image();
        create_workflow(
            &client,
            &ns,
            "slow-probe",
            json!({"maxDuration": "30m", "steps": [{"name": "scale-down",
            "fault": scale(&ns, "20m"),
            "probes": [{"name": "slow", "type": "cmd", "mode": "Continuous",
                "cmd": {"image": image, "command": ["sh", "-c", "sleep 600; echo ok"],
                        "comparator": {"type": "string", "criteria": "equal", "value": "ok"}},
                "runProperties": {"interval": "1s", "timeout": "10m"}}]}]}),
        )
        .await;
        let run = create_run(&client, &ns, "slow-probe", false).await;
        wait_for(Duration::from_secs(60), "the Deployment scaled to 1", || async {
            (replicas(&client, &ns, "web").await == 1).then_some(())
        })
        .await;
        // the 10-minute check is in flight: its Job's pod runs
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        let probe_pods = format!("chaoscenter.io/run={run}");
        wait_for(Duration::from_secs(60), "the cmd probe's pod running", || async {
            let list = pods.list(&ListParams::default().labels(&probe_pods)).await.ok()?;
            list.items
                .iter()
                .any(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .then_some(())
        })
        .await;

        let runs = chaos_api(&client, "ChaosWorkflowRun", &ns);
        let started = Instant::now();
        runs.patch(&run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
            .await
            .unwrap();
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        eprintln!(
            "abort to Aborted with every revert verified, a 10-minute probe in flight: {:?}",
            started.elapsed()
        );
        assert_eq!(status.phase, Some(RunPhase::Aborted), "{status:#?}");
        assert!(status.steps[0].targets.iter().all(|t| t.revert_verified), "{status:#?}");
        assert_eq!(replicas(&client, &ns, "web").await, 3, "the scale-down was reverted");
        // the cancelled check left no Job behind
        let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
        wait_for(Duration::from_secs(30), "the probe's Job deleted", || async {
            jobs.list(&ListParams::default().labels(&probe_pods)).await.ok()?.items.is_empty().then_some(())
        })
        .await;
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_namespace_that_withdraws_its_opt_in_mid_run_is_reverted_at_once() {
    with_namespace("trust-optout", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "web", 3).await;
        let _op = Operator::start(&ns);
        create_workflow(
            &client,
            &ns,
            "long-scale",
            json!({"steps": [{"name": "scale-down", "fault": scale(&ns, "5m")}]}),
        )
        .await;
        let run = create_run(&client, &ns, "long-scale", false).await;
        wait_for(Duration::from_secs(60), "the Deployment scaled to 1", || async {
            (replicas(&client, &ns, "web").await == 1).then_some(())
        })
        .await;
        // the namespace's owner withdraws the opt-in while the fault holds
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let patch = json!({"metadata": {"labels": {CHAOS_OPT_IN_LABEL: null}}});
        namespaces.patch(&ns, &PatchParams::default(), &Patch::Merge(patch)).await.unwrap();
        wait_for(Duration::from_secs(30), "the scale-down reverted while the run goes on", || async {
            (replicas(&client, &ns, "web").await == 3).then_some(())
        })
        .await;
        // the Deployment is scaled back before the verified revert is written to the run's status
        let current =
            wait_for(Duration::from_secs(30), "the withdrawal recorded in the run's status", || async {
                let status = get_run(&client, &ns, &run).await.status?;
                status.steps.first()?.targets.first()?.revert_verified.then_some(status)
            })
            .await;
        assert_eq!(current.phase, Some(RunPhase::Running), "reverted before the chaos ended: {current:#?}");
        let target = &current.steps[0].targets[0];
        assert!(
            target.withdrawn.as_deref().is_some_and(|w| w.contains(&ns) && w.contains("opted in")),
            "{target:?}"
        );
        wait_events(&client, &ns, &run, "a TargetWithdrawn Event naming the namespace", |events| {
            events.iter().any(|(r, n)| r == "TargetWithdrawn" && n.contains(&ns))
        })
        .await;
        chaos_api(&client, "ChaosWorkflowRun", &ns)
            .patch(&run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
            .await
            .unwrap();
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(30)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Aborted));
        assert_eq!(replicas(&client, &ns, "web").await, 3);
        delete_project(&client, &ns).await;
    })
    .await;
}
