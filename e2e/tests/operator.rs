//! The operator on a real cluster with real pods: faults injected and reverted, probes, the score,
//! abort, crash and resume, policy refusals, the halt switch, dry runs, schedules, history and malformed
//! workflows. Each test runs its own operator, scoped to the test's namespace.

use chaoscenter_crds::run::{RunPhase, Verdict};
use chaoscenter_e2e::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::json;
use std::time::Duration;

const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn http_probe(name: &str, url: &str) -> serde_json::Value {
    json!({"name": name, "type": "http", "mode": "Continuous", "http": {"url": url, "expectStatus": 200},
           "runProperties": {"interval": "1s", "timeout": "2s", "attempts": 5}})
}

async fn replicas(client: &kube::Client, ns: &str, name: &str) -> i32 {
    let d = Api::<Deployment>::namespaced(client.clone(), ns).get(name).await.unwrap();
    d.spec.and_then(|s| s.replicas).unwrap_or_default()
}

/// Sets up a project, a 3-replica `web` app and an operator in `ns`, starts a run of a workflow `name`
/// that scales `web` to 1 for `duration`, and waits until the scale-down is seen.
async fn scaled_run(client: &kube::Client, ns: &str, name: &str, duration: &str) -> (Operator, String) {
    setup_project(client, ns, &[]).await;
    web_app(client, ns, "web", 3).await;
    let op = Operator::start(ns);
    create_workflow(client, ns, name, scale_workflow(ns, duration)).await;
    let run = create_run(client, ns, name, false).await;
    wait_for(Duration::from_secs(60), "the Deployment scaled to 1", || async {
        (replicas(client, ns, "web").await == 1).then_some(())
    })
    .await;
    (op, run)
}

fn scale_workflow(ns: &str, duration: &str) -> serde_json::Value {
    json!({"steps": [{"name": "scale-down", "fault": {
        "type": "pod-autoscaler", "duration": duration, "params": {"replicas": 1},
        "target": {"namespace": ns, "kind": "Deployment", "name": "web"}}}]})
}

#[tokio::test]
async fn pod_delete_replaces_pods_keeps_the_service_up_and_scores_100() {
    with_namespace("op-podd", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        let url = web_app(&client, &ns, "web", 3).await;
        let before: Vec<String> =
            wait_ready_replicas(&client, &ns, "web", 3).await.iter().map(|p| p.metadata.uid.clone().unwrap()).collect();
        let _op = Operator::start(&ns);
        create_workflow(&client, &ns, "kill-half", json!({"steps": [{"name": "kill", "fault": {
            "type": "pod-delete", "duration": "6s", "params": {"gracePeriodSeconds": 1},
            "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "fixed-percent", "value": 50}},
            "probes": [http_probe("web-up", &url)]}]})).await;
        let run = create_run(&client, &ns, "kill-half", false).await;
        let run = wait_run_finished(&client, &ns, &run, RUN_TIMEOUT).await;
        let status = run.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert_eq!(status.resiliency_score, Some(100.0));
        let step = &status.steps[0];
        assert_eq!(step.verdict, Verdict::Pass);
        assert_eq!(step.targets.len(), 2, "50% of 3 pods, rounded up");
        assert!(step.probes[0].passed >= 3, "the Continuous probe checked repeatedly: {:?}", step.probes);
        assert_eq!(step.probes[0].failed, 0);
        // The chosen pods are gone and replacements became Ready.
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        for t in &step.targets {
            assert!(t.injected_at.is_some());
            let gone = pods.get_opt(&t.name).await.unwrap().is_none_or(|p| p.metadata.deletion_timestamp.is_some());
            assert!(gone, "{} was not deleted", t.name);
        }
        let after = wait_ready_replicas(&client, &ns, "web", 3).await;
        let replaced = after.iter().filter(|p| !before.contains(p.metadata.uid.as_ref().unwrap())).count();
        assert!(replaced >= 2, "replacements became Ready");
        // The workflow reports its last run.
        let wf = chaos_api(&client, "ChaosWorkflow", &ns);
        let last = wait_for(Duration::from_secs(30), "the workflow's lastRun", || async {
            let w = wf.get("kill-half").await.ok()?;
            let last = w.data["status"]["lastRun"].clone();
            (last["phase"] == "Succeeded").then_some(last)
        })
        .await;
        assert_eq!(last["resiliencyScore"].as_f64(), Some(100.0));
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_failing_probe_gives_the_formula_score() {
    with_namespace("op-score", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        // The faults hit `victim`; the probes watch `web`, so only the broken probe can fail.
        let url = web_app(&client, &ns, "web", 2).await;
        web_app(&client, &ns, "victim", 2).await;
        let _op = Operator::start(&ns);
        let fault = json!({"type": "pod-delete", "duration": "3s",
            "target": {"namespace": ns, "selector": {"matchLabels": {"app": "victim"}}, "mode": "one"}});
        create_workflow(
            &client,
            &ns,
            "scored",
            json!({"steps": [
                {"name": "good", "weight": 10, "fault": fault, "probes": [http_probe("up", &url)]},
                {"name": "half", "weight": 5, "dependsOn": ["good"], "fault": fault,
                 "probes": [http_probe("up", &url), http_probe("broken", "http://127.0.0.1:1/")]}
            ]}),
        )
        .await;
        let run = create_run(&client, &ns, "scored", false).await;
        let status = wait_run_finished(&client, &ns, &run, RUN_TIMEOUT).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed), "a step did not pass: {status:#?}");
        let good = status.steps.iter().find(|s| s.name == "good").unwrap();
        let half = status.steps.iter().find(|s| s.name == "half").unwrap();
        assert_eq!(good.verdict, Verdict::Pass);
        assert_eq!(half.verdict, Verdict::Fail);
        assert_eq!(half.probe_success_percentage, Some(50.0));
        // (10 × 100 + 5 × 50) / 15 = 83.333… → 83.33
        assert_eq!(status.resiliency_score, Some(83.33));
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn scale_and_partition_are_seen_during_chaos_then_reverted_and_verified_and_an_unenforced_policy_fails()
{
    with_namespace("op-revert", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "web", 3).await;
        let _op = Operator::start(&ns);
        create_workflow(&client, &ns, "api-faults", json!({"steps": [
            {"name": "scale-down", "fault": {"type": "pod-autoscaler", "duration": "8s", "params": {"replicas": 1},
                "target": {"namespace": ns, "kind": "Deployment", "name": "web"}}},
            // after the scale step: a pod the scale-down deletes must not be the one whose isolation is checked
            {"name": "partition", "dependsOn": ["scale-down"], "fault": {"type": "network-partition", "duration": "8s", "params": {"mechanism": "network-policy"},
                "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}}}
        ]})).await;
        let run = create_run(&client, &ns, "api-faults", false).await;
        // during the chaos
        wait_for(Duration::from_secs(60), "the Deployment scaled to 1", || async {
            (replicas(&client, &ns, "web").await == 1).then_some(())
        })
        .await;
        let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), &ns);
        let policy = wait_for(Duration::from_secs(60), "the partition NetworkPolicy", || async {
            policies.list(&ListParams::default()).await.ok()?.items.into_iter().next()
        })
        .await;
        let selector = policy.spec.unwrap().pod_selector.unwrap().match_labels.unwrap();
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        let label = format!("chaoscenter.io/partition={}", selector["chaoscenter.io/partition"]);
        let isolated = wait_for(Duration::from_secs(30), "the isolated pod to carry the policy's label", || async {
            let list = pods.list(&ListParams::default().labels(&label)).await.ok()?;
            (!list.items.is_empty()).then_some(list.items)
        })
        .await;
        assert_eq!(isolated.len(), 1, "mode one isolates one pod");
        // after it: the local cluster's network plugin (the bridge plugin) does not enforce NetworkPolicy, so
        // the isolated pod still answers; the partition is ineffective and must not pass (a false
        // "resilient"), while the scale step passes
        let status = wait_run_finished(&client, &ns, &run, RUN_TIMEOUT).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed), "{status:#?}");
        let partition = status.steps.iter().find(|s| s.name == "partition").unwrap();
        assert_eq!(partition.verdict, Verdict::Fail, "{partition:#?}");
        let why = partition.targets[0].injection_error.as_deref().unwrap_or_default();
        assert!(why.starts_with("InjectionIneffective") && why.contains("does not enforce NetworkPolicy"), "{why}");
        assert_eq!(status.steps.iter().find(|s| s.name == "scale-down").unwrap().verdict, Verdict::Pass);
        assert_eq!(replicas(&client, &ns, "web").await, 3, "replicas restored");
        assert!(policies.list(&ListParams::default()).await.unwrap().items.is_empty(), "policy removed");
        let labelled = pods.list(&ListParams::default().labels("chaoscenter.io/partition")).await.unwrap();
        assert!(labelled.items.is_empty(), "partition label removed");
        for step in &status.steps {
            assert!(!step.targets.is_empty());
            for t in &step.targets {
                assert!(t.revert_verified && t.reverted_at.is_some(), "{step:#?}");
            }
        }
        assert_eq!(status.steps.iter().find(|s| s.name == "scale-down").unwrap().targets[0].original.as_deref(), Some("3"));
        wait_events(&client, &ns, &run, "Injected, InjectionFailed and Reverted Events", |events| {
            events.iter().any(|(r, _)| r == "Injected")
                && events.iter().any(|(r, m)| r == "InjectionFailed" && m.contains("InjectionIneffective"))
                && events.iter().any(|(r, _)| r == "Reverted")
        })
        .await;
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn abort_mid_run_reverts_everything_within_seconds() {
    with_namespace("op-abort", &[], |client, ns| async move {
        let (_op, run) = scaled_run(&client, &ns, "long", "5m").await;
        let runs = chaos_api(&client, "ChaosWorkflowRun", &ns);
        runs.patch(&run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(30)).await.status.unwrap();
        eprintln!("abort to Aborted with the revert verified: {:?}", started.elapsed());
        assert_eq!(status.phase, Some(RunPhase::Aborted));
        assert_eq!(replicas(&client, &ns, "web").await, 3);
        assert!(status.steps[0].targets.iter().all(|t| t.revert_verified));
        assert_eq!(status.steps[0].verdict, Verdict::Stopped);
        // the finalizer is gone once every revert is verified
        wait_for(Duration::from_secs(20), "the finalizer to be removed", || async {
            runs.get(&run).await.ok()?.metadata.finalizers.unwrap_or_default().is_empty().then_some(())
        })
        .await;
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_killed_operator_resumes_the_run_without_duplicate_injection() {
    with_namespace("op-crash", &[], |client, ns| async move {
        let (mut op, run) = scaled_run(&client, &ns, "crash", "15s").await;
        op.kill9();
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(replicas(&client, &ns, "web").await, 1, "nothing reverted it while the operator was down");
        let _op2 = Operator::start(&ns);
        let status = wait_run_finished(&client, &ns, &run, RUN_TIMEOUT).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert_eq!(replicas(&client, &ns, "web").await, 3, "reverted after the restart");
        let step = &status.steps[0];
        assert_eq!(step.injections, 1, "no second injection");
        assert_eq!(step.targets.len(), 1, "one target recorded once");
        assert!(step.targets[0].revert_verified);
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_namespace_that_did_not_opt_in_is_refused_and_untouched() {
    with_namespace("op-optin", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        // the target lives in a second namespace, listed by the project but not opted in
        let home = ns.clone();
        with_namespace("op-optin-target", &[], |client2, target_ns| async move {
            let ns = home;
            let projects = chaos_api(&client2, "Project", &ns);
            let patch = json!({"spec": {"targetNamespaces": [ns, target_ns]}});
            projects.patch(&format!("p-{ns}"), &PatchParams::default(), &Patch::Merge(patch)).await.unwrap();
            web_app(&client2, &target_ns, "web", 2).await;
            let _op = Operator::start(&ns);
            create_workflow(&client2, &ns, "outside", scale_workflow(&target_ns, "10s")).await;
            let run = create_run(&client2, &ns, "outside", false).await;
            let status =
                wait_run_finished(&client2, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
            assert_eq!(status.phase, Some(RunPhase::Failed));
            let cond = status.conditions.iter().find(|c| c.type_ == "Admitted").unwrap();
            assert_eq!(cond.reason, "NamespaceNotAllowed");
            assert!(
                cond.message.contains(&target_ns) && cond.message.contains("opted in"),
                "{}",
                cond.message
            );
            wait_events(&client2, &ns, &run, "a NamespaceNotAllowed Event naming the namespace", |events| {
                events.iter().any(|(r, n)| r == "NamespaceNotAllowed" && n.contains(&target_ns))
            })
            .await;
            assert_eq!(replicas(&client2, &target_ns, "web").await, 2, "nothing was touched");
            assert!(status.steps.iter().all(|s| s.targets.is_empty()));
            let run_obj = get_run(&client2, &ns, &run).await;
            assert!(
                run_obj.metadata.finalizers.unwrap_or_default().is_empty(),
                "no finalizer: nothing was injected"
            );
        })
        .await;
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn the_halt_switch_stops_a_running_run_and_blocks_new_ones() {
    with_namespace("op-halt", &[], |client, ns| async move {
        let (_op, run) = scaled_run(&client, &ns, "long", "5m").await;
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
        let halt = ConfigMap {
            metadata: ObjectMeta { name: Some("chaoscenter-halt".into()), ..Default::default() },
            ..Default::default()
        };
        cms.create(&PostParams::default(), &halt).await.unwrap();
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(30)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Aborted));
        assert!(status.conditions.iter().any(|c| c.reason == "Halted"), "{:?}", status.conditions);
        assert_eq!(replicas(&client, &ns, "web").await, 3);
        let blocked = create_run(&client, &ns, "long", false).await;
        let status = wait_run_finished(&client, &ns, &blocked, Duration::from_secs(30)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed));
        assert!(status.conditions.iter().any(|c| c.reason == "Halted"));
        assert_eq!(replicas(&client, &ns, "web").await, 3);
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_dry_run_injects_nothing_and_shows_its_plan() {
    with_namespace("op-dry", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        let before: Vec<String> =
            { web_app(&client, &ns, "web", 3).await; wait_ready_replicas(&client, &ns, "web", 3).await }.iter().map(|p| p.metadata.uid.clone().unwrap()).collect();
        let _op = Operator::start(&ns);
        create_workflow(&client, &ns, "plan", json!({"steps": [
            {"name": "kill", "fault": {"type": "pod-delete", "duration": "5s",
                "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "fixed", "value": 2}}},
            {"name": "scale", "fault": {"type": "pod-autoscaler", "duration": "5s", "params": {"replicas": 1},
                "target": {"namespace": ns, "kind": "Deployment", "name": "web"}}}
        ]})).await;
        let run = create_run(&client, &ns, "plan", true).await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded));
        assert!(status.conditions.iter().any(|c| c.type_ == "DryRun"));
        let kill = status.steps.iter().find(|s| s.name == "kill").unwrap();
        assert_eq!(kill.targets.len(), 2);
        assert!(kill.targets.iter().all(|t| t.injected_at.is_none()));
        assert_eq!(status.steps.iter().find(|s| s.name == "scale").unwrap().targets[0].name, "web");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after: Vec<String> = wait_ready_replicas(&client, &ns, "web", 3).await.iter().map(|p| p.metadata.uid.clone().unwrap()).collect();
        assert_eq!(sorted(before), sorted(after), "no pod was deleted");
        assert_eq!(replicas(&client, &ns, "web").await, 3);
        delete_project(&client, &ns).await;
    })
    .await;
}

/// A project, a 2-replica `web` app, an operator, and a workflow `name` scaling `web` down for
/// `duration` every minute with the given concurrency policy; returns the operator and the runs API.
async fn every_minute(
    client: &kube::Client,
    ns: &str,
    name: &str,
    policy: &str,
    duration: &str,
) -> (Operator, Api<chaoscenter_crds::ChaosWorkflowRun>) {
    setup_project(client, ns, &[]).await;
    web_app(client, ns, "web", 2).await;
    let op = Operator::start(ns);
    let mut spec = scale_workflow(ns, duration);
    spec["schedule"] = json!("* * * * *");
    spec["concurrencyPolicy"] = json!(policy);
    create_workflow(client, ns, name, spec).await;
    (op, Api::namespaced(client.clone(), ns))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn schedules_create_runs_forbid_skips_overlaps_and_history_is_pruned() {
    with_namespace("op-sched", &[], |client, ns| async move {
        // Each scheduled run lasts 90 s, so the next minute's run overlaps it: Forbid skips it.
        let (_op, runs) = every_minute(&client, &ns, "every-minute", "Forbid", "90s").await;
        let first = wait_for(Duration::from_secs(75), "a scheduled run", || async {
            runs.list(&ListParams::default()).await.ok()?.items.into_iter().next()
        })
        .await;
        assert_eq!(first.spec.trigger, chaoscenter_crds::run::Trigger::Schedule);
        let wf_events = || events_for(&client, &ns, "every-minute");
        wait_for(Duration::from_secs(75), "the overlapping run to be skipped", || async {
            wf_events().await.iter().any(|(r, _)| r == "SkippedConcurrent").then_some(())
        })
        .await;
        assert_eq!(
            runs.list(&ListParams::default()).await.unwrap().items.len(),
            1,
            "Forbid created no second run"
        );
        let wf = chaos_api(&client, "ChaosWorkflow", &ns).get("every-minute").await.unwrap();
        assert!(wf.data["status"]["nextRunAt"].is_string());
        // Suspend it and abort the running one.
        chaos_api(&client, "ChaosWorkflow", &ns)
            .patch("every-minute", &PatchParams::default(), &Patch::Merge(json!({"spec": {"suspend": true}})))
            .await
            .unwrap();
        let name = first.metadata.name.clone().unwrap();
        chaos_api(&client, "ChaosWorkflowRun", &ns)
            .patch(&name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
            .await
            .unwrap();
        wait_run_finished(&client, &ns, &name, Duration::from_secs(30)).await;

        // History: runHistoryLimit 1 keeps only the newest finished run of a workflow.
        let mut spec = scale_workflow(&ns, "1s");
        spec["runHistoryLimit"] = json!(1);
        create_workflow(&client, &ns, "short", spec).await;
        let mut names = Vec::new();
        for _ in 0..3 {
            let run = create_run(&client, &ns, "short", false).await;
            wait_run_finished(&client, &ns, &run, RUN_TIMEOUT).await;
            names.push(run);
        }
        wait_for(Duration::from_secs(60), "old runs of `short` to be pruned", || async {
            let left: Vec<String> = runs
                .list(&ListParams::default().labels("chaoscenter.io/workflow=short"))
                .await
                .ok()?
                .items
                .into_iter()
                .filter_map(|r| r.metadata.name)
                .collect();
            (left == vec![names[2].clone()]).then_some(())
        })
        .await;
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn malformed_workflows_get_a_condition_and_event_and_others_still_run() {
    with_namespace("op-bad", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "web", 2).await;
        let _op = Operator::start(&ns);
        let fault = json!({"type": "pod-delete", "duration": "2s", "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}});
        let cases = [
            ("cycle", json!({"steps": [{"name": "a", "dependsOn": ["b"], "fault": fault}, {"name": "b", "dependsOn": ["a"], "fault": fault}]}), "cycle"),
            ("unknown-dep", json!({"steps": [{"name": "a", "dependsOn": ["ghost"], "fault": fault}]}), "unknown step \"ghost\""),
            ("no-prometheus", json!({"steps": [{"name": "a", "fault": fault, "probes": [{"name": "errors", "type": "prom", "mode": "EOT",
                "prom": {"endpoint": "http://127.0.0.1:1", "query": "up", "comparator": {"criteria": ">=", "value": "1"}}}]}]}), "unreachable"),
        ];
        for (name, spec, _) in &cases {
            create_workflow(&client, &ns, name, spec.clone()).await;
        }
        create_workflow(&client, &ns, "fine", json!({"steps": [{"name": "a", "fault": fault}]})).await;
        let wfs = chaos_api(&client, "ChaosWorkflow", &ns);
        for (name, _, expected) in &cases {
            let message = wait_for(Duration::from_secs(60), &format!("workflow {name} to be marked invalid"), || async {
                let w = wfs.get(name).await.ok()?;
                let conds = w.data["status"]["conditions"].as_array()?.clone();
                let ready = conds.iter().find(|c| c["type"] == "Ready")?;
                (ready["status"] == "False" && ready["reason"] == "InvalidWorkflow").then(|| ready["message"].as_str().unwrap_or_default().to_string())
            })
            .await;
            assert!(message.contains(expected) && message.contains("spec.steps"), "{name}: {message}");
            wait_events(&client, &ns, name, &format!("an InvalidWorkflow Event about {name}"), |events| {
                events.iter().any(|(r, _)| r == "InvalidWorkflow")
            })
            .await;
        }
        // A run of an invalid workflow is refused; the valid workflow still runs.
        let refused = create_run(&client, &ns, "cycle", false).await;
        let status = wait_run_finished(&client, &ns, &refused, Duration::from_secs(30)).await.status.unwrap();
        assert!(status.conditions.iter().any(|c| c.reason == "InvalidWorkflow"));
        let run = create_run(&client, &ns, "fine", false).await;
        let status = wait_run_finished(&client, &ns, &run, RUN_TIMEOUT).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn two_runs_never_hold_the_same_target_the_second_waits() {
    with_namespace("op-lock", &[], |client, ns| async move {
        let (op, first) = scaled_run(&client, &ns, "scale", "8s").await;
        let second = create_run(&client, &ns, "scale", false).await;
        let a = wait_run_finished(&client, &ns, &first, RUN_TIMEOUT).await.status.unwrap();
        let b = wait_run_finished(&client, &ns, &second, RUN_TIMEOUT).await.status.unwrap();
        assert_eq!(a.phase, Some(RunPhase::Succeeded));
        assert_eq!(b.phase, Some(RunPhase::Succeeded), "{b:#?}");
        let a_reverted = a.steps[0].targets[0].reverted_at.clone().unwrap();
        let b_injected = b.steps[0].targets[0].injected_at.clone().unwrap();
        assert!(
            b_injected >= a_reverted,
            "the second run injected ({b_injected}) only after the first reverted ({a_reverted})"
        );
        assert_eq!(
            b.steps[0].targets[0].original.as_deref(),
            Some("3"),
            "it saw the real replica count, not the chaos one"
        );
        assert_eq!(replicas(&client, &ns, "web").await, 3);
        wait_events(&client, &ns, &second, "a TargetBusy Event", |events| {
            events.iter().any(|(r, _)| r == "TargetBusy")
        })
        .await;
        // metrics count what happened
        let addr = op.metrics_addr().await;
        let body = reqwest_get(&format!("http://{addr}/metrics")).await;
        assert!(
            body.contains("chaoscenter_injections_total{fault=\"pod-autoscaler\",result=\"ok\"} 2"),
            "{body}"
        );
        assert!(
            body.contains("chaoscenter_reverts_total{fault=\"pod-autoscaler\",result=\"verified\"} 2"),
            "{body}"
        );
        assert!(body.contains("chaoscenter_runs_total{phase=\"Succeeded\"} 2"), "{body}");
        delete_project(&client, &ns).await;
    })
    .await;
}

async fn reqwest_get(url: &str) -> String {
    let out = tokio::process::Command::new("curl").args(["-sf", url]).output().await.unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn k8s_cmd_and_edge_probes_run_at_their_stages() {
    with_namespace("op-probes", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        let url = web_app(&client, &ns, "web", 2).await;
        web_app(&client, &ns, "victim", 1).await;
        let _op = Operator::start(&ns);
        let (image, _) = busybox_image();
        create_workflow(&client, &ns, "probed", json!({"steps": [{"name": "kill-victim",
            "fault": {"type": "pod-delete", "duration": "3s",
                "target": {"namespace": ns, "selector": {"matchLabels": {"app": "victim"}}}},
            "probes": [
                {"name": "web-pods", "type": "k8s", "mode": "SOT",
                 "k8s": {"apiVersion": "v1", "kind": "Pod", "namespace": ns, "labelSelector": "app=web",
                         "fieldSelector": "status.phase=Running", "operation": "count", "count": 2}},
                {"name": "no-such-pods", "type": "k8s", "mode": "EOT",
                 "k8s": {"apiVersion": "v1", "kind": "Pod", "namespace": ns, "labelSelector": "app=ghost", "operation": "absent"}},
                {"name": "web-edge", "type": "http", "mode": "Edge", "http": {"url": url, "expectBodyContains": "hello"}},
                {"name": "wget-web", "type": "cmd", "mode": "EOT",
                 "cmd": {"image": image, "command": ["wget", "-qO-", url],
                         "comparator": {"type": "string", "criteria": "contains", "value": "hello"}},
                 "runProperties": {"timeout": "60s"}}
            ]}]})).await;
        let run = create_run(&client, &ns, "probed", false).await;
        let status = wait_run_finished(&client, &ns, &run, RUN_TIMEOUT).await.status.unwrap();
        let step = &status.steps[0];
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        let probe = |name: &str| step.probes.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{name}: {step:#?}"));
        assert!(probe("web-pods").sot_done && !probe("web-pods").eot_done && probe("web-pods").passed == 1);
        assert!(probe("no-such-pods").eot_done && probe("no-such-pods").passed == 1);
        assert!(probe("web-edge").sot_done && probe("web-edge").eot_done && probe("web-edge").passed == 2);
        assert!(probe("wget-web").eot_done && probe("wget-web").passed == 1, "{:?}", probe("wget-web"));
        assert_eq!(step.probe_success_percentage, Some(100.0));
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn only_one_of_two_replicas_leads_and_a_clean_stop_hands_over_at_once() {
    with_namespace("op-leader", &[], |_client, ns| async move {
        let mut first = Operator::start(&ns);
        wait_for(Duration::from_secs(30), "the first replica to lead", || async {
            first.logs().contains("controllers running").then_some(())
        })
        .await;
        let second = Operator::start(&ns);
        wait_for(Duration::from_secs(30), "the second replica to wait", || async {
            second.logs().contains("another replica leads").then_some(())
        })
        .await;
        assert!(!second.logs().contains("controllers running"));
        let stopped = std::time::Instant::now();
        assert!(first.stop(), "SIGTERM stops the leader cleanly");
        assert!(first.logs().contains("released the leader lease"), "{}", first.logs());
        wait_for(Duration::from_secs(10), "the second replica to take over", || async {
            second.logs().contains("controllers running").then_some(())
        })
        .await;
        // well under the 15 s lease duration: the lease was released, not left to expire
        eprintln!("hand-over took {:?}", stopped.elapsed());
    })
    .await;
}

#[tokio::test]
async fn replace_aborts_the_running_run_for_the_next_scheduled_one() {
    with_namespace("op-replace", &[], |client, ns| async move {
        let (_op, runs) = every_minute(&client, &ns, "replaced", "Replace", "5m").await;
        let first = wait_for(Duration::from_secs(75), "the first scheduled run", || async {
            runs.list(&ListParams::default()).await.ok()?.items.into_iter().next()?.metadata.name
        })
        .await;
        let second = wait_for(Duration::from_secs(75), "the next minute's run", || async {
            let names: Vec<String> = runs
                .list(&ListParams::default())
                .await
                .ok()?
                .items
                .into_iter()
                .filter_map(|r| r.metadata.name)
                .collect();
            names.into_iter().find(|n| *n != first)
        })
        .await;
        let replaced = wait_run_finished(&client, &ns, &first, Duration::from_secs(30)).await.status.unwrap();
        assert_eq!(replaced.phase, Some(RunPhase::Aborted));
        assert!(replaced.steps[0].targets.iter().all(|t| t.revert_verified));
        chaos_api(&client, "ChaosWorkflow", &ns)
            .patch("replaced", &PatchParams::default(), &Patch::Merge(json!({"spec": {"suspend": true}})))
            .await
            .unwrap();
        let patch = json!({"spec": {"abort": true}});
        chaos_api(&client, "ChaosWorkflowRun", &ns)
            .patch(&second, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap();
        wait_run_finished(&client, &ns, &second, Duration::from_secs(30)).await;
        assert_eq!(replicas(&client, &ns, "web").await, 2);
        delete_project(&client, &ns).await;
    })
    .await;
}
