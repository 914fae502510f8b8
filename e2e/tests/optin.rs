//! Who may be targeted is decided by the target's owner, on the real cluster: a project Owner who lists
//! another team's opted-in namespace is refused until that namespace names the project; a node that is
//! labelled but names other projects is left alone; and a run whose spec is retargeted after it started
//! (no admission webhook in the way) stops, reverts, and never touches the new target.

use chaoscenter_crds::common::CHAOS_PROJECTS_ANNOTATION;
use chaoscenter_crds::run::RunPhase;
use chaoscenter_crds::ChaosWorkflowRun;
use chaoscenter_e2e::*;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// Pods of app `web` in `ns` that are not terminating, by name → uid.
async fn web_pods(client: &kube::Client, ns: &str) -> BTreeMap<String, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let list = pods.list(&ListParams::default().labels("app=web")).await.unwrap();
    list.items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .map(|p| (p.metadata.name.unwrap(), p.metadata.uid.unwrap()))
        .collect()
}

fn kill_web(target_ns: &str, duration: &str, interval: Option<&str>) -> serde_json::Value {
    let mut fault = json!({"type": "pod-delete", "duration": duration, "params": {"gracePeriodSeconds": 1},
        "target": {"namespace": target_ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}});
    if let Some(interval) = interval {
        fault["interval"] = json!(interval);
    }
    json!({"steps": [{"name": "kill", "fault": fault}]})
}

async fn cordoned(client: &kube::Client, name: &str) -> bool {
    let node = Api::<Node>::all(client.clone()).get(name).await.unwrap();
    node.spec.and_then(|s| s.unschedulable).unwrap_or(false)
}

#[tokio::test]
async fn an_owner_cannot_target_another_team_s_namespace_until_it_names_the_project() {
    with_namespace("optin-home", &[], |client, ns| async move {
        let home = ns.clone();
        with_namespace("optin-other", &[], |client, other| async move {
            let ns = home;
            let project = setup_project(&client, &ns, &[]).await;
            // another team's namespace: opted in, for the other team's project only
            opt_in_namespace(&client, &other, "team-other").await;
            web_app(&client, &other, "web", 2).await;
            let before = web_pods(&client, &other).await;
            // our project's Owner lists it anyway
            chaos_api(&client, "Project", &ns)
                .patch(
                    &project,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"spec": {"targetNamespaces": [ns, other]}})),
                )
                .await
                .unwrap();
            let _op = Operator::start(&ns);
            create_workflow(&client, &ns, "kill-theirs", kill_web(&other, "3s", None)).await;

            let run = create_run(&client, &ns, "kill-theirs", false).await;
            let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
            assert_eq!(status.phase, Some(RunPhase::Failed), "{status:#?}");
            let admitted = status.conditions.iter().find(|c| c.type_ == "Admitted").unwrap();
            assert_eq!(admitted.reason, "NamespaceNotAllowed");
            let expected = format!(
                r#"namespace {other} does not allow project {project} (annotation {CHAOS_PROJECTS_ANNOTATION} is "team-other")"#
            );
            assert!(admitted.message.contains(&expected), "{}", admitted.message);
            wait_events(&client, &ns, &run, "a NamespaceNotAllowed Event naming the namespace", |events| {
                events.iter().any(|(r, n)| r == "NamespaceNotAllowed" && n.contains(&expected))
            })
            .await;
            assert!(status.steps.iter().all(|s| s.targets.is_empty()), "nothing chosen: {status:#?}");
            assert_eq!(web_pods(&client, &other).await, before, "no pod of theirs was deleted");

            // the namespace's owner lets the project in
            let out = kubectl()
                .args(["annotate", "namespace", &other, "--overwrite"])
                .arg(format!("{CHAOS_PROJECTS_ANNOTATION}=team-other, {project}"))
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let run = create_run(&client, &ns, "kill-theirs", false).await;
            let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(90)).await.status.unwrap();
            assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
            let targets = &status.steps[0].targets;
            assert_eq!(targets.len(), 1, "{status:#?}");
            assert!(targets[0].injected_at.is_some() && targets[0].namespace.as_deref() == Some(other.as_str()));
            assert!(before.contains_key(&targets[0].name), "one of their pods was chosen: {targets:?}");
            wait_for(Duration::from_secs(30), "the chosen pod deleted", || async {
                (!web_pods(&client, &other).await.contains_key(&targets[0].name)).then_some(())
            })
            .await;
        })
        .await;
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_labelled_node_that_names_other_projects_is_left_alone() {
    with_namespace("optin-node", &[], |client, ns| async move {
        let project = setup_project(&client, &ns, &[]).await;
        // put back as it was when the test ends, also when it fails (declared before the operator, so it
        // is dropped after the operator is stopped)
        let guard = NodeGuard::first(&client).await;
        let node = guard.name.clone();
        assert!(!cordoned(&client, &node).await, "the node starts schedulable");
        guard.opt_in(&client, "team-other").await;
        let _op = Operator::start(&ns);
        create_workflow(&client, &ns, "cordon", json!({"steps": [{"name": "cordon",
            "fault": {"type": "node-cordon", "duration": "3s", "target": {"kind": "Node", "name": node}}}]}))
        .await;

        let run = create_run(&client, &ns, "cordon", false).await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed), "{status:#?}");
        let admitted = status.conditions.iter().find(|c| c.type_ == "Admitted").unwrap();
        assert_eq!(admitted.reason, "NodeNotAllowed");
        let expected = format!(
            r#"node {node} does not allow project {project} (annotation {CHAOS_PROJECTS_ANNOTATION} is "team-other")"#
        );
        assert!(admitted.message.contains(&expected), "{}", admitted.message);
        wait_events(&client, &ns, &run, "a NodeNotAllowed Event naming the node", |events| {
            events.iter().any(|(r, n)| r == "NodeNotAllowed" && n.contains(&expected))
        })
        .await;
        assert!(!cordoned(&client, &node).await, "the node was not touched");
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &ns);
        let finalizers = runs.get(&run).await.unwrap().metadata.finalizers.unwrap_or_default();
        assert!(finalizers.is_empty(), "no finalizer: nothing was injected");

        // `*` lets every project in: the same workflow now cordons it, and the cordon is reverted
        guard.opt_in(&client, "*").await;
        let run = create_run(&client, &ns, "cordon", false).await;
        wait_for(Duration::from_secs(60), "the node cordoned", || async {
            cordoned(&client, &node).await.then_some(())
        })
        .await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert!(!cordoned(&client, &node).await, "uncordoned");
        guard.opt_out(&client).await;
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_run_retargeted_after_it_started_stops_and_never_touches_the_new_target() {
    with_namespace("optin-digest", &[], |client, ns| async move {
        let home = ns.clone();
        with_namespace("optin-digest-b", &[], |client, b| async move {
            let a = home;
            // B is as allowed as A: opted in for the project and in its targetNamespaces
            let project = setup_project(&client, &a, &[&b]).await;
            opt_in_namespace(&client, &b, &project).await;
            web_app(&client, &a, "web", 3).await;
            web_app(&client, &b, "web", 2).await;
            let b_before = web_pods(&client, &b).await;
            let _op = Operator::start(&a);
            create_workflow(&client, &a, "kill-a", kill_web(&a, "5m", Some("5s"))).await;
            let run = create_run(&client, &a, "kill-a", false).await;
            let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &a);

            // running, its definition frozen into it by the operator, a pod of A deleted
            let started =
                wait_for(Duration::from_secs(60), "the run frozen and a pod of A deleted", || async {
                    let r = runs.get(&run).await.ok()?;
                    let status = r.status.as_ref()?;
                    let injected = status.steps.first()?.targets.iter().any(|t| t.injected_at.is_some());
                    (r.spec.workflow.is_some() && injected).then_some(r)
                })
                .await;
            let status = started.status.as_ref().unwrap();
            assert_eq!(status.phase, Some(RunPhase::Running), "the freeze kept the digest: {status:#?}");
            assert!(status.definition_digest.as_ref().is_some_and(|d| d.len() == 64), "{status:#?}");

            // someone retargets the running run at B (no webhook refuses it here)
            let mut workflow = serde_json::to_value(started.spec.workflow.as_ref().unwrap()).unwrap();
            workflow["steps"][0]["fault"]["target"]["namespace"] = json!(b);
            runs.patch(&run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"workflow": workflow}})))
                .await
                .unwrap();

            let finished = wait_run_finished(&client, &a, &run, Duration::from_secs(60)).await;
            let status = finished.status.unwrap();
            assert_eq!(status.phase, Some(RunPhase::Error), "{status:#?}");
            let completed = status.conditions.iter().find(|c| c.type_ == "Completed").unwrap();
            assert_eq!(completed.reason, "DefinitionChanged");
            assert!(
                completed.message.contains("spec.workflow.steps[0].fault.target.namespace"),
                "{}",
                completed.message
            );
            let targets = &status.steps[0].targets;
            assert!(!targets.is_empty());
            for t in targets {
                assert_eq!(t.namespace.as_deref(), Some(a.as_str()), "only A was ever chosen: {t:?}");
                assert!(t.revert_verified, "every recorded fault reverted: {t:?}");
            }
            assert_eq!(web_pods(&client, &b).await, b_before, "no pod of B was deleted");
            wait_events(&client, &a, &run, "a DefinitionChanged Event", |events| {
                events.iter().any(|(r, n)| r == "DefinitionChanged" && n.contains("spec changed"))
            })
            .await;
            // nothing more happens to B once the run ended
            let gone = wait_for(Duration::from_secs(30), "the run's finalizer gone", || async {
                runs.get(&run).await.ok()?.metadata.finalizers.unwrap_or_default().is_empty().then_some(())
            });
            gone.await;
            assert_eq!(web_pods(&client, &b).await, b_before, "no pod of B was deleted");
        })
        .await;
        delete_project(&client, &ns).await;
    })
    .await;
}
