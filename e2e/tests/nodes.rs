//! Node faults on the real node: cordon, taint and drain (honouring a PodDisruptionBudget) are seen on
//! the node while the chaos lasts and are reverted and verified afterwards. One test, in sequence: they
//! share the single node (test binaries run one after another, so no other test's pods are drained).

use chaoscenter_crds::run::RunPhase;
use chaoscenter_e2e::*;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, PostParams};
use serde_json::json;
use std::time::Duration;

async fn node_state(client: &kube::Client, name: &str) -> (bool, Vec<String>) {
    let node = Api::<Node>::all(client.clone()).get(name).await.unwrap();
    let spec = node.spec.unwrap_or_default();
    let taints =
        spec.taints.unwrap_or_default().into_iter().map(|t| format!("{}:{}", t.key, t.effect)).collect();
    (spec.unschedulable.unwrap_or(false), taints)
}

#[tokio::test]
async fn cordon_taint_and_drain_are_seen_then_reverted() {
    with_namespace("op-nodes", &[], |client, ns| async move {
        let project = setup_project(&client, &ns, &[]).await;
        // put back as it was when the test ends, also when it fails
        let guard = NodeGuard::first(&client).await;
        let node = guard.name.clone();
        let (cordoned_before, taints_before) = node_state(&client, &node).await;
        assert!(!cordoned_before, "the node starts schedulable");
        let target = json!({"kind": "Node", "name": node});
        let _op = Operator::start(&ns);
        create_workflow(&client, &ns, "cordon", json!({"steps": [{"name": "cordon",
            "fault": {"type": "node-cordon", "duration": "6s", "target": target}}]})).await;

        // a node that did not opt in is refused and untouched
        let run = create_run(&client, &ns, "cordon", false).await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed));
        let admitted = status.conditions.iter().find(|c| c.type_ == "Admitted").unwrap();
        assert_eq!(admitted.reason, "NodeNotAllowed");
        assert!(admitted.message.contains(&node), "{}", admitted.message);
        assert!(!node_state(&client, &node).await.0);

        guard.opt_in(&client, &project).await;
        web_app(&client, &ns, "web", 2).await;
        let guarded = web_app(&client, &ns, "guarded", 1).await;
        let _ = guarded;
        create_pdb(&client, &ns).await;

        // cordon
        let run = create_run(&client, &ns, "cordon", false).await;
        wait_for(Duration::from_secs(60), "the node cordoned", || async {
            node_state(&client, &node).await.0.then_some(())
        })
        .await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(90)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert!(!node_state(&client, &node).await.0, "uncordoned");

        // taint
        create_workflow(&client, &ns, "taint", json!({"steps": [{"name": "taint",
            "fault": {"type": "node-taint", "duration": "6s", "target": target,
                "params": {"taint": {"key": "chaoscenter.io/e2e", "value": "x", "effect": "NoSchedule"}}}}]})).await;
        let run = create_run(&client, &ns, "taint", false).await;
        wait_for(Duration::from_secs(60), "the node tainted", || async {
            node_state(&client, &node).await.1.contains(&"chaoscenter.io/e2e:NoSchedule".to_string()).then_some(())
        })
        .await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(90)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert_eq!(node_state(&client, &node).await.1, taints_before, "taint removed, others kept");

        // drain: web pods are evicted, the PDB keeps `guarded`
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        let web_before: Vec<String> = wait_ready_replicas(&client, &ns, "web", 2).await.iter().map(|p| p.metadata.uid.clone().unwrap()).collect();
        let guarded_before = wait_ready_replicas(&client, &ns, "guarded", 1).await[0].metadata.uid.clone().unwrap();
        create_workflow(&client, &ns, "drain", json!({"steps": [{"name": "drain",
            "fault": {"type": "node-drain", "duration": "8s", "target": target, "params": {"gracePeriodSeconds": 1}}}]})).await;
        let run = create_run(&client, &ns, "drain", false).await;
        wait_for(Duration::from_secs(60), "the web pods evicted while the node is cordoned", || async {
            let cordoned = node_state(&client, &node).await.0;
            let list = pods.list(&ListParams::default().labels("app=web")).await.ok()?;
            let originals_alive = list.items.iter().any(|p| {
                web_before.contains(p.metadata.uid.as_ref().unwrap()) && p.metadata.deletion_timestamp.is_none()
            });
            (cordoned && !originals_alive).then_some(())
        })
        .await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(90)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert!(!node_state(&client, &node).await.0, "uncordoned after the drain");
        let guarded_now = wait_ready_replicas(&client, &ns, "guarded", 1).await[0].metadata.uid.clone().unwrap();
        assert_eq!(guarded_now, guarded_before, "the PodDisruptionBudget kept the guarded pod");
        wait_events(&client, &ns, &run, "an Injected Event saying the PodDisruptionBudget kept a pod", |events| {
            events.iter().any(|(r, n)| r == "Injected" && n.contains("PodDisruptionBudget kept"))
        })
        .await;
        wait_ready_replicas(&client, &ns, "web", 2).await;

        guard.opt_out(&client).await;
        delete_project(&client, &ns).await;
    })
    .await;
}

/// A PodDisruptionBudget keeping the one `guarded` pod, in the version the server offers (policy/v1 from
/// Kubernetes 1.21, policy/v1beta1 before).
async fn create_pdb(client: &kube::Client, ns: &str) {
    use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
    for version in ["v1", "v1beta1"] {
        let gvk = GroupVersionKind::gvk("policy", version, "PodDisruptionBudget");
        let resource = ApiResource::from_gvk_with_plural(&gvk, "poddisruptionbudgets");
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource);
        let pdb: DynamicObject = serde_json::from_value(json!({
            "apiVersion": format!("policy/{version}"), "kind": "PodDisruptionBudget",
            "metadata": {"name": "guarded"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}}
        }))
        .unwrap();
        match api.create(&PostParams::default(), &pdb).await {
            Ok(_) => return,
            Err(kube::Error::Api(s)) if s.code == 404 => continue,
            Err(e) => panic!("failed to create the PodDisruptionBudget: {e}"),
        }
    }
    panic!("the server offers neither policy/v1 nor policy/v1beta1 PodDisruptionBudgets");
}
