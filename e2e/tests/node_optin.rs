//! A node that loses its opt-in label between injection rounds: its cordon is reverted at once, while the
//! run goes on, and later rounds skip it, naming it. Its own test binary: it uses the single node, and
//! test binaries run one after another.

use chaoscenter_crds::run::RunPhase;
use chaoscenter_e2e::*;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use std::time::Duration;

async fn cordoned(client: &kube::Client, name: &str) -> bool {
    let node = Api::<Node>::all(client.clone()).get(name).await.unwrap();
    node.spec.and_then(|s| s.unschedulable).unwrap_or(false)
}

#[tokio::test]
async fn a_node_that_loses_its_opt_in_between_rounds_is_reverted_and_skipped() {
    with_namespace("node-optin", &[], |client, ns| async move {
        let project = setup_project(&client, &ns, &[]).await;
        // put back as it was when the test ends, also when it fails
        let guard = NodeGuard::first(&client).await;
        let node = guard.name.clone();
        assert!(!cordoned(&client, &node).await, "the node starts schedulable");
        guard.opt_in(&client, &project).await;
        let _op = Operator::start(&ns);
        create_workflow(&client, &ns, "cordon-rounds", json!({"steps": [{"name": "cordon", "fault": {
            "type": "node-cordon", "duration": "40s", "interval": "3s", "target": {"kind": "Node", "name": node}}}]}))
        .await;
        let run = create_run(&client, &ns, "cordon-rounds", false).await;
        wait_for(Duration::from_secs(60), "the node cordoned", || async { cordoned(&client, &node).await.then_some(()) }).await;

        // the node's owner withdraws its opt-in between two rounds
        guard.opt_out(&client).await;
        wait_for(Duration::from_secs(30), "the cordon reverted", || async {
            (!cordoned(&client, &node).await).then_some(())
        })
        .await;
        assert_eq!(get_run(&client, &ns, &run).await.status.unwrap().phase, Some(RunPhase::Running), "before the chaos ended");
        // later rounds skip it: it is never cordoned again, and the run says why
        for _ in 0..20 {
            assert!(!cordoned(&client, &node).await, "a later round cordoned a node that withdrew its opt-in");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let status = get_run(&client, &ns, &run).await.status.unwrap();
        let step = &status.steps[0];
        assert!(step.injections >= 2, "rounds went on: {step:#?}");
        assert!(step.targets.iter().any(|t| t.withdrawn.as_deref().is_some_and(|w| w.contains(&node))), "{step:#?}");
        assert!(step.skipped.iter().any(|s| s.name == node && s.reason.contains("opted in")), "{step:#?}");
        assert_eq!(step.targets.len(), 1, "only the round before the withdrawal hit it: {step:#?}");
        wait_events(&client, &ns, &run, "TargetWithdrawn and TargetNotAllowed Events naming the node", |events| {
            events.iter().any(|(r, n)| r == "TargetWithdrawn" && n.contains(&node))
                && events.iter().any(|(r, n)| r == "TargetNotAllowed" && n.contains(&node))
        })
        .await;

        chaos_api(&client, "ChaosWorkflowRun", &ns)
            .patch(&run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
            .await
            .unwrap();
        wait_run_finished(&client, &ns, &run, Duration::from_secs(30)).await;
        assert!(!cordoned(&client, &node).await);
        delete_project(&client, &ns).await;
    })
    .await;
}
