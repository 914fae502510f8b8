//! Each fault type against the fake API: the exact calls of candidates, prepare, already_injected, inject,
//! revert and verify, and their failure paths. Faults are reached the way the run controller reaches
//! them: through [`of`] for a validated step, through [`by_name`] for a recorded target.

use super::network::PARTITION_LABEL;
use super::{by_name, of, Candidate, FaultError, Origin};
use crate::testing::{error, fault_context, fill, filling, not_found, object, ok, within, Call};
use chaoscenter_core::plan::FaultAction;
use chaoscenter_crds::run::TargetStatus;
use chaoscenter_crds::workflow::{ChaosWorkflowSpec, TaintEffect, TaintParams};
use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// The validated action of a one-step workflow whose fault is `fault`.
fn action(fault: Value) -> FaultAction {
    let spec: ChaosWorkflowSpec = object(json!({"steps": [{"name": "chaos", "fault": fault}]}));
    let workflow = chaoscenter_core::validate(&spec).unwrap_or_else(|e| panic!("invalid test fault: {e}"));
    workflow.steps[0].fault.action.clone()
}

fn origin() -> Origin {
    Origin {
        run: "weekly-1".into(),
        run_uid: "0f1e2d3c-4b5a-6978-8899-aabbccddeeff".into(),
        namespace: "team-chaos".into(),
        step: "isolate".into(),
        duration: std::time::Duration::from_secs(60),
    }
}

/// A recorded target of fault `fault`.
fn target(fault: &str, kind: &str, namespace: Option<&str>, name: &str) -> TargetStatus {
    TargetStatus {
        kind: kind.into(),
        namespace: namespace.map(String::from),
        name: name.into(),
        fault: fault.into(),
        ..Default::default()
    }
}

fn pod(ns: &str, name: &str, labels: Value, phase: &str) -> Pod {
    object(json!({"metadata": {"name": name, "namespace": ns, "labels": labels}, "status": {"phase": phase}}))
}

fn terminating(mut pod: Pod) -> Pod {
    pod.metadata.deletion_timestamp = Some(object(json!("2025-01-01T00:00:00Z")));
    pod
}

fn node(name: &str, labels: Value) -> Node {
    object(json!({"metadata": {"name": name, "labels": labels}}))
}

fn names(candidates: &[Candidate]) -> Vec<&str> {
    candidates.iter().map(|c| c.name.as_str()).collect()
}

/// An answer that fails the call (for tests that expect none).
fn no_call(c: &Call) -> (u16, Value) {
    panic!("unexpected call {}", c.line())
}

// ---- pod-delete ------------------------------------------------------------------------------------

fn pod_delete(params: Value) -> FaultAction {
    action(json!({"type": "pod-delete", "params": params,
                  "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}}))
}

#[tokio::test]
async fn pod_delete_deletes_with_the_grace_period() {
    let (cx, _caches, api) = fault_context(|_| ok(json!({"metadata": {"name": "web-1"}, "kind": "Pod"})));
    let t = target("pod-delete", "Pod", Some("shop"), "web-1");
    let graceful = pod_delete(json!({"gracePeriodSeconds": 5}));
    assert_eq!(within(of(&graceful).inject(&cx, &origin(), &graceful, &t)).await.unwrap(), "deleted");
    let calls = api.calls();
    assert_eq!(api.lines(), ["DELETE /api/v1/namespaces/shop/pods/web-1?"]);
    assert_eq!(calls[0].body, json!({"gracePeriodSeconds": 5}));

    api.clear();
    let force = pod_delete(json!({"force": true}));
    within(of(&force).inject(&cx, &origin(), &force, &t)).await.unwrap();
    assert_eq!(api.calls()[0].body, json!({"gracePeriodSeconds": 0}), "force deletes at once");

    api.clear();
    let default = pod_delete(json!({}));
    within(of(&default).inject(&cx, &origin(), &default, &t)).await.unwrap();
    assert_eq!(api.calls()[0].body, json!({}), "no grace period: the pod's own");
}

#[tokio::test]
async fn pod_delete_counts_a_pod_already_gone_as_deleted() {
    let (cx, _caches, api) = fault_context(|_| not_found());
    let a = pod_delete(json!({}));
    let done = within(of(&a).inject(&cx, &origin(), &a, &target("pod-delete", "Pod", Some("shop"), "web-1")))
        .await
        .unwrap();
    assert_eq!(done, "already gone");
    assert_eq!(api.lines(), ["DELETE /api/v1/namespaces/shop/pods/web-1?"]);
}

#[tokio::test]
async fn pod_delete_fails_on_any_other_error() {
    let (cx, _caches, _api) = fault_context(|_| error(403, "Forbidden"));
    let a = pod_delete(json!({}));
    let err = within(of(&a).inject(&cx, &origin(), &a, &target("pod-delete", "Pod", Some("shop"), "web-1")))
        .await
        .unwrap_err();
    assert!(matches!(&err, FaultError::Kube { action: "delete", kind: "Pod", .. }), "{err:?}");
    assert!(err.to_string().starts_with("failed to delete Pod web-1: "), "{err}");
}

#[tokio::test]
async fn pod_delete_is_already_injected_only_into_a_pod_terminating_or_gone() {
    let answers = |body: (u16, Value)| {
        move |c: &Call| {
            assert_eq!(c.line(), "GET /api/v1/namespaces/shop/pods/web-1");
            body.clone()
        }
    };
    let a = pod_delete(json!({}));
    let t = target("pod-delete", "Pod", Some("shop"), "web-1");
    let running = serde_json::to_value(pod("shop", "web-1", json!({}), "Running")).unwrap();
    let going = serde_json::to_value(terminating(pod("shop", "web-1", json!({}), "Running"))).unwrap();
    for (answer, expected) in [(ok(running), false), (ok(going), true), (not_found(), true)] {
        let (cx, _caches, api) = fault_context(answers(answer));
        let injected = within(of(&a).already_injected(&cx, &origin(), &a, &t)).await.unwrap();
        assert_eq!(injected, expected);
        assert_eq!(api.calls().len(), 1);
    }
    let (cx, _caches, _api) = fault_context(answers(error(500, "InternalError")));
    let err = within(of(&a).already_injected(&cx, &origin(), &a, &t)).await.unwrap_err();
    assert!(err.to_string().starts_with("failed to get Pod web-1"), "an unreadable pod is an error: {err}");
}

#[tokio::test]
async fn pod_candidates_are_the_running_pods_of_the_cache_that_match() {
    let (cx, mut caches, api) = fault_context(no_call);
    let web = json!({"app": "web"});
    for p in [
        pod("shop", "web-4", web.clone(), "Running"),
        pod("shop", "web-1", web.clone(), "Running"),
        terminating(pod("shop", "web-2", web.clone(), "Running")),
        pod("shop", "web-3", web.clone(), "Pending"),
        pod("shop", "api-1", json!({"app": "api"}), "Running"),
        pod("other", "web-9", web.clone(), "Running"),
    ] {
        fill(&mut caches.pods, p);
    }
    let a = pod_delete(json!({}));
    let found = within(of(&a).candidates(&cx, &a)).await.unwrap();
    assert_eq!(names(&found), ["web-1", "web-4"]);
    assert!(found.iter().all(|c| c.kind == "Pod" && c.namespace.as_deref() == Some("shop")));

    let by_name = action(json!({"type": "network-partition",
                                "target": {"namespace": "shop", "name": "web-4"}}));
    assert_eq!(names(&within(of(&by_name).candidates(&cx, &by_name)).await.unwrap()), ["web-4"]);
    assert!(api.calls().is_empty(), "candidates come from the cache");
}

#[tokio::test]
async fn pod_candidates_wait_for_the_pod_cache() {
    let (mut cx, _caches, api) = fault_context(no_call);
    let (pods, _writer) = filling();
    cx.world.pods = pods;
    let a = pod_delete(json!({}));
    let err = within(of(&a).candidates(&cx, &a)).await.unwrap_err();
    assert!(matches!(err, FaultError::NotReady("pod")), "{err:?}");
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn pod_candidates_of_a_workload_use_its_selector() {
    let (cx, mut caches, api) = fault_context(|c| {
        assert_eq!(c.line(), "GET /apis/apps/v1/namespaces/shop/deployments/web");
        ok(json!({"metadata": {"name": "web"},
                  "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {}}}))
    });
    fill(&mut caches.pods, pod("shop", "web-1", json!({"app": "web"}), "Running"));
    fill(&mut caches.pods, pod("shop", "api-1", json!({"app": "api"}), "Running"));
    let a = action(
        json!({"type": "pod-delete", "target": {"namespace": "shop", "kind": "Deployment", "name": "web"}}),
    );
    assert_eq!(names(&within(of(&a).candidates(&cx, &a)).await.unwrap()), ["web-1"]);
    assert_eq!(api.calls().len(), 1);
}

// ---- pod-autoscaler --------------------------------------------------------------------------------

fn scale(kind: &str, name: &str) -> FaultAction {
    action(json!({"type": "pod-autoscaler", "params": {"replicas": 1},
                  "target": {"namespace": "shop", "kind": kind, "name": name}}))
}

fn deployment(replicas: i32) -> Value {
    json!({"metadata": {"name": "web", "namespace": "shop"},
           "spec": {"replicas": replicas, "selector": {}, "template": {}}})
}

#[tokio::test]
async fn pod_autoscaler_records_scales_and_restores_the_replicas() {
    // the deployment as the fake API holds it: PATCHes change it, GETs read it
    let replicas = Arc::new(Mutex::new(3));
    let held = replicas.clone();
    let (cx, _caches, api) = fault_context(move |c| {
        let mut r = held.lock().unwrap();
        if c.method == "PATCH" {
            *r = c.body["spec"]["replicas"].as_i64().unwrap() as i32;
        }
        ok(deployment(*r))
    });
    let a = scale("Deployment", "web");
    let fault = of(&a);
    let mut t = target("pod-autoscaler", "Deployment", Some("shop"), "web");
    within(fault.prepare(&cx, &a, &mut t)).await.unwrap();
    assert_eq!(t.original.as_deref(), Some("3"), "prepare records the current count");
    assert_eq!(within(fault.inject(&cx, &origin(), &a, &t)).await.unwrap(), "scaled to 1 replica(s)");
    let undo = by_name("pod-autoscaler").unwrap();
    assert!(!within(undo.verify(&cx, &origin(), &t)).await.unwrap(), "still scaled down");
    within(undo.revert(&cx, &origin(), &t)).await.unwrap();
    assert!(within(undo.verify(&cx, &origin(), &t)).await.unwrap());

    let path = "/apis/apps/v1/namespaces/shop/deployments/web";
    let patch = format!("PATCH {path}?");
    let get = format!("GET {path}");
    assert_eq!(api.lines(), [&*get, &patch, &get, &patch, &get]);
    let calls = api.calls();
    assert_eq!(calls[1].body, json!({"spec": {"replicas": 1}}));
    assert_eq!(calls[3].body, json!({"spec": {"replicas": 3}}), "back to the recorded count");
}

#[tokio::test]
async fn pod_autoscaler_scales_a_statefulset_through_its_own_path() {
    let (cx, _caches, api) = fault_context(|_| {
        ok(json!({"metadata": {"name": "db"},
                  "spec": {"replicas": 2, "selector": {}, "template": {}, "serviceName": "db"}}))
    });
    let a = scale("StatefulSet", "db");
    let mut t = target("pod-autoscaler", "StatefulSet", Some("shop"), "db");
    within(of(&a).prepare(&cx, &a, &mut t)).await.unwrap();
    within(of(&a).inject(&cx, &origin(), &a, &t)).await.unwrap();
    assert_eq!(t.original.as_deref(), Some("2"));
    assert_eq!(
        api.lines(),
        [
            "GET /apis/apps/v1/namespaces/shop/statefulsets/db",
            "PATCH /apis/apps/v1/namespaces/shop/statefulsets/db?"
        ]
    );
}

#[tokio::test]
async fn pod_autoscaler_never_prepared_needs_no_revert() {
    let (cx, _caches, api) = fault_context(no_call);
    let t = target("pod-autoscaler", "Deployment", Some("shop"), "web");
    let undo = by_name("pod-autoscaler").unwrap();
    within(undo.revert(&cx, &origin(), &t)).await.unwrap();
    assert!(within(undo.verify(&cx, &origin(), &t)).await.unwrap());
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn pod_autoscaler_failures_are_errors() {
    let (cx, _caches, _api) = fault_context(|_| not_found());
    let a = scale("Deployment", "web");
    let mut t = target("pod-autoscaler", "Deployment", Some("shop"), "web");
    let err = within(of(&a).prepare(&cx, &a, &mut t)).await.unwrap_err();
    assert!(err.to_string().starts_with("failed to get Deployment web"), "{err}");
    assert_eq!(t.original, None, "nothing recorded");
    t.original = Some("3".into());
    let err = within(by_name("pod-autoscaler").unwrap().revert(&cx, &origin(), &t)).await.unwrap_err();
    assert!(err.to_string().starts_with("failed to scale Deployment web"), "{err}");
}

#[tokio::test]
async fn pod_autoscaler_candidates_are_listed_by_name_and_selector() {
    let (cx, _caches, api) = fault_context(|_| {
        ok(json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": {},
                  "items": [{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
                             "metadata": {"name": "web", "namespace": "shop"}}]}))
    });
    let a = action(json!({"type": "pod-autoscaler", "params": {"replicas": 0},
                          "target": {"namespace": "shop", "kind": "Deployment", "name": "web",
                                     "selector": {"matchLabels": {"tier": "front"}}}}));
    let found = within(of(&a).candidates(&cx, &a)).await.unwrap();
    assert_eq!(found, [Candidate { kind: "Deployment", namespace: Some("shop".into()), name: "web".into() }]);
    let query = "fieldSelector=metadata.name%3Dweb&labelSelector=tier%3Dfront";
    assert_eq!(api.lines(), [format!("GET /apis/apps/v1/namespaces/shop/deployments?&{query}")]);
}

// ---- node-cordon and node-drain --------------------------------------------------------------------

fn node_json(unschedulable: bool) -> Value {
    json!({"metadata": {"name": "n1", "resourceVersion": "7"}, "spec": {"unschedulable": unschedulable}})
}

#[tokio::test]
async fn node_cordon_uncordons_only_a_node_that_was_schedulable() {
    let cordoned = Arc::new(Mutex::new(false));
    let held = cordoned.clone();
    let (cx, _caches, api) = fault_context(move |c| {
        let mut u = held.lock().unwrap();
        if c.method == "PATCH" {
            *u = c.body["spec"]["unschedulable"].as_bool().unwrap();
        }
        ok(node_json(*u))
    });
    let a = action(json!({"type": "node-cordon", "target": {"name": "n1"}}));
    let mut t = target("node-cordon", "Node", None, "n1");
    within(of(&a).prepare(&cx, &a, &mut t)).await.unwrap();
    assert_eq!(t.original.as_deref(), Some("false"));
    assert_eq!(within(of(&a).inject(&cx, &origin(), &a, &t)).await.unwrap(), "cordoned");
    let undo = by_name("node-cordon").unwrap();
    within(undo.revert(&cx, &origin(), &t)).await.unwrap();
    assert!(within(undo.verify(&cx, &origin(), &t)).await.unwrap());
    assert_eq!(
        api.lines(),
        [
            "GET /api/v1/nodes/n1",
            "PATCH /api/v1/nodes/n1?",
            "PATCH /api/v1/nodes/n1?",
            "GET /api/v1/nodes/n1"
        ]
    );
    let calls = api.calls();
    assert_eq!(calls[1].body, json!({"spec": {"unschedulable": true}}));
    assert_eq!(calls[2].body, json!({"spec": {"unschedulable": false}}));

    // a node cordoned before the fault stays cordoned: no call at all
    api.clear();
    *cordoned.lock().unwrap() = true;
    let mut before = target("node-cordon", "Node", None, "n1");
    within(of(&a).prepare(&cx, &a, &mut before)).await.unwrap();
    assert_eq!(before.original.as_deref(), Some("true"));
    api.clear();
    for fault in [undo, by_name("node-drain").unwrap()] {
        within(fault.revert(&cx, &origin(), &before)).await.unwrap();
        assert!(within(fault.verify(&cx, &origin(), &before)).await.unwrap());
    }
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn node_cordon_verify_sees_a_node_still_cordoned() {
    let (cx, _caches, _api) = fault_context(|_| ok(node_json(true)));
    let t = TargetStatus { original: Some("false".into()), ..target("node-cordon", "Node", None, "n1") };
    assert!(!within(by_name("node-cordon").unwrap().verify(&cx, &origin(), &t)).await.unwrap());
}

#[tokio::test]
async fn node_candidates_come_from_the_node_cache() {
    let (cx, mut caches, api) = fault_context(no_call);
    fill(&mut caches.nodes, node("n2", json!({"pool": "spot"})));
    fill(&mut caches.nodes, node("n1", json!({"pool": "spot"})));
    fill(&mut caches.nodes, node("n3", json!({"pool": "system"})));
    let by_selector =
        action(json!({"type": "node-drain", "target": {"selector": {"matchLabels": {"pool": "spot"}}}}));
    let found = within(of(&by_selector).candidates(&cx, &by_selector)).await.unwrap();
    assert_eq!(names(&found), ["n1", "n2"]);
    assert!(found.iter().all(|c| c.kind == "Node" && c.namespace.is_none()));
    let by_name =
        action(json!({"type": "node-taint", "target": {"name": "n3"}, "params": {"taint": {"key": "k"}}}));
    assert_eq!(names(&within(of(&by_name).candidates(&cx, &by_name)).await.unwrap()), ["n3"]);
    assert!(api.calls().is_empty());

    let (mut cx, _caches, _api) = fault_context(no_call);
    let (nodes, _writer) = filling();
    cx.world.nodes = nodes;
    let err = within(of(&by_name).candidates(&cx, &by_name)).await.unwrap_err();
    assert!(matches!(err, FaultError::NotReady("node")), "{err:?}");
}

/// Pods on node n1: one to evict, one a PodDisruptionBudget keeps, and those a drain leaves alone.
fn pods_on_node() -> Value {
    let pod = |name: &str, extra: Value| {
        let mut p = json!({"metadata": {"name": name, "namespace": "shop"}, "status": {"phase": "Running"}});
        for (k, v) in extra.as_object().unwrap() {
            for (k2, v2) in v.as_object().unwrap() {
                p[k][k2] = v2.clone();
            }
        }
        p
    };
    json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [
        pod("web-1", json!({})),
        pod("api-1", json!({})),
        pod("fluentd-x", json!({"metadata": {"ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "fluentd", "uid": "u"}]}})),
        pod("etcd-n1", json!({"metadata": {"annotations": {"kubernetes.io/config.mirror": "abc"}}})),
        pod("job-1", json!({"status": {"phase": "Succeeded"}})),
        pod("old-1", json!({"metadata": {"deletionTimestamp": "2025-01-01T00:00:00Z"}})),
    ]})
}

#[tokio::test]
async fn node_drain_evicts_all_but_daemonset_and_mirror_pods_and_names_those_a_budget_kept() {
    let (cx, _caches, api) = fault_context(|c| match (c.method.as_str(), c.path.as_str()) {
        ("PATCH", _) => ok(node_json(true)),
        ("GET", _) => ok(pods_on_node()),
        ("POST", p) if p.contains("/api-1/") => error(429, "TooManyRequests"),
        ("POST", _) => {
            (201, json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "metadata": {}}))
        }
        _ => not_found(),
    });
    let a =
        action(json!({"type": "node-drain", "target": {"name": "n1"}, "params": {"gracePeriodSeconds": 10}}));
    let t = target("node-drain", "Node", None, "n1");
    let note = within(of(&a).inject(&cx, &origin(), &a, &t)).await.unwrap();
    assert_eq!(note, "cordoned and evicted 1 pod(s); a PodDisruptionBudget kept shop/api-1");
    assert_eq!(
        api.lines(),
        [
            "PATCH /api/v1/nodes/n1?",
            "GET /api/v1/pods?&fieldSelector=spec.nodeName%3Dn1",
            "POST /api/v1/namespaces/shop/pods/web-1/eviction?",
            "POST /api/v1/namespaces/shop/pods/api-1/eviction?",
        ]
    );
    let calls = api.calls();
    assert_eq!(calls[0].body, json!({"spec": {"unschedulable": true}}), "cordoned first");
    // the body is an Eviction as the API server reads it (no apiVersion: the server's own version): its
    // grace period must arrive
    let mut body = calls[2].body.clone();
    assert!(body.get("apiVersion").is_none(), "{body}");
    body["apiVersion"] = serde_json::json!("policy/v1");
    body["kind"] = serde_json::json!("Eviction");
    let eviction: k8s_openapi::api::policy::v1::Eviction = object(body);
    assert_eq!(eviction.metadata.name.as_deref(), Some("web-1"));
    assert_eq!(eviction.delete_options.and_then(|d| d.grace_period_seconds), Some(10));
}

#[tokio::test]
async fn node_drain_fails_on_an_eviction_error_other_than_a_budget() {
    let (cx, _caches, _api) = fault_context(|c| match (c.method.as_str(), c.path.as_str()) {
        ("PATCH", _) => ok(node_json(true)),
        ("GET", _) => ok(pods_on_node()),
        ("POST", p) if p.contains("/web-1/") => not_found(), // gone meanwhile: fine
        _ => error(403, "Forbidden"),
    });
    let a = action(json!({"type": "node-drain", "target": {"name": "n1"}}));
    let err = within(of(&a).inject(&cx, &origin(), &a, &target("node-drain", "Node", None, "n1")))
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("failed to evict Pod api-1"), "{err}");
}

// ---- node-taint ------------------------------------------------------------------------------------

fn taint(key: &str, effect: &str) -> Value {
    json!({"key": key, "effect": effect})
}

fn tainted_node(rv: &str, taints: Value) -> Value {
    json!({"metadata": {"name": "n1", "resourceVersion": rv}, "spec": {"taints": taints}})
}

#[tokio::test]
async fn node_taint_records_and_adds_the_taint_with_the_nodes_resource_version() {
    let (cx, _caches, api) = fault_context(|c| match c.method.as_str() {
        "GET" => ok(tainted_node("7", json!([taint("dedicated", "NoSchedule")]))),
        _ => ok(tainted_node("8", json!([]))),
    });
    let a = action(json!({"type": "node-taint", "target": {"name": "n1"},
                          "params": {"taint": {"key": "chaos", "value": "on", "effect": "NoExecute"}}}));
    let mut t = target("node-taint", "Node", None, "n1");
    within(of(&a).prepare(&cx, &a, &mut t)).await.unwrap();
    assert_eq!(t.original.as_deref(), Some("false"));
    let recorded = TaintParams { key: "chaos".into(), value: "on".into(), effect: TaintEffect::NoExecute };
    assert_eq!(t.taint, Some(recorded), "the record alone can revert it");
    assert_eq!(within(of(&a).inject(&cx, &origin(), &a, &t)).await.unwrap(), "tainted chaos:NoExecute");
    assert_eq!(api.lines(), ["GET /api/v1/nodes/n1", "GET /api/v1/nodes/n1", "PATCH /api/v1/nodes/n1?"]);
    assert_eq!(
        api.calls()[2].body,
        json!({"metadata": {"resourceVersion": "7"},
               "spec": {"taints": [taint("dedicated", "NoSchedule"),
                                   {"key": "chaos", "value": "on", "effect": "NoExecute"}]}})
    );
}

#[tokio::test]
async fn node_taint_is_not_added_twice() {
    let (cx, _caches, api) = fault_context(|_| ok(tainted_node("7", json!([taint("chaos", "NoSchedule")]))));
    let a = action(
        json!({"type": "node-taint", "target": {"name": "n1"}, "params": {"taint": {"key": "chaos"}}}),
    );
    within(of(&a).inject(&cx, &origin(), &a, &target("node-taint", "Node", None, "n1"))).await.unwrap();
    assert_eq!(api.lines(), ["GET /api/v1/nodes/n1"]);
}

#[tokio::test]
async fn node_taint_revert_removes_exactly_the_recorded_taint_without_the_definition() {
    let (cx, _caches, api) = fault_context(|c| match c.method.as_str() {
        "GET" => ok(tainted_node(
            "42",
            json!([
                taint("chaos", "NoExecute"),
                taint("chaos", "NoSchedule"),
                taint("dedicated", "NoSchedule")
            ]),
        )),
        _ => ok(tainted_node("43", json!([]))),
    });
    // only the record: the fault's name and the taint it put there
    let t = TargetStatus {
        original: Some("false".into()),
        taint: Some(TaintParams {
            key: "chaos".into(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
        }),
        injected_at: Some("2025-01-01T00:00:00Z".into()),
        ..target("node-taint", "Node", None, "n1")
    };
    within(by_name("node-taint").unwrap().revert(&cx, &origin(), &t)).await.unwrap();
    assert_eq!(api.lines(), ["GET /api/v1/nodes/n1", "PATCH /api/v1/nodes/n1?"]);
    assert_eq!(
        api.calls()[1].body,
        json!({"metadata": {"resourceVersion": "42"},
               "spec": {"taints": [taint("chaos", "NoExecute"), taint("dedicated", "NoSchedule")]}}),
        "the same key with another effect is not ours"
    );
}

#[tokio::test]
async fn node_taint_revert_leaves_a_taint_that_was_there_before_and_retries_a_conflict() {
    let (cx, _caches, api) = fault_context(|c| match c.method.as_str() {
        "GET" => ok(tainted_node("42", json!([taint("chaos", "NoSchedule")]))),
        _ => error(409, "Conflict"),
    });
    let recorded = TaintParams { key: "chaos".into(), value: String::new(), effect: TaintEffect::NoSchedule };
    let undo = by_name("node-taint").unwrap();
    let before = TargetStatus {
        original: Some("true".into()),
        taint: Some(recorded.clone()),
        ..target("node-taint", "Node", None, "n1")
    };
    within(undo.revert(&cx, &origin(), &before)).await.unwrap();
    assert!(within(undo.verify(&cx, &origin(), &before)).await.unwrap());
    assert!(api.calls().is_empty(), "it carried the taint before: left alone");

    let ours = TargetStatus { original: Some("false".into()), ..before };
    assert!(!within(undo.verify(&cx, &origin(), &ours)).await.unwrap(), "still tainted");
    let err = within(undo.revert(&cx, &origin(), &ours)).await.unwrap_err();
    assert!(err.to_string().starts_with("failed to update taints of Node n1"), "{err}");
    assert_eq!(api.lines(), ["GET /api/v1/nodes/n1", "GET /api/v1/nodes/n1", "PATCH /api/v1/nodes/n1?"]);
}

// ---- network-partition -----------------------------------------------------------------------------

const POLICIES: &str = "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies";
const POLICY: &str = "cc-0f1e2d3c4b5a-isolate";
const INJECTIONS: &str = "/apis/chaoscenter.io/v1alpha1/namespaces/team-chaos/chaosinjections";

/// The name of the injection of [`origin`]'s target web-1 in round 0.
static INJECTION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    super::agent::injection_name(&origin(), &target("network-partition", "Pod", Some("shop"), "web-1"))
});

fn partition(direction: &str) -> FaultAction {
    action(
        json!({"type": "network-partition", "params": {"direction": direction, "mechanism": "network-policy"},
                  "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}}),
    )
}

fn policy_json() -> Value {
    json!({"metadata": {"name": POLICY, "namespace": "shop"}, "spec": {"podSelector": {}}})
}

#[tokio::test]
async fn network_partition_creates_the_policy_once_and_labels_the_pod() {
    for policy_answer in [(201, policy_json()), error(409, "AlreadyExists")] {
        let answer = policy_answer.clone();
        let (cx, _caches, api) = fault_context(move |c| match c.method.as_str() {
            "POST" => answer.clone(),
            _ => ok(serde_json::to_value(pod("shop", "web-1", json!({}), "Running")).unwrap()),
        });
        let a = partition("Ingress");
        let done = within(of(&a).inject(
            &cx,
            &origin(),
            &a,
            &target("network-partition", "Pod", Some("shop"), "web-1"),
        ))
        .await
        .unwrap();
        // the fake pod has no address: nothing to connect to, and the note says so
        assert_eq!(done, format!("isolated by NetworkPolicy {POLICY} (its effect could not be checked: the pod has no IP address)"));
        assert_eq!(
            api.lines(),
            [
                format!("POST {POLICIES}?"),
                "GET /api/v1/namespaces/shop/pods/web-1".into(),
                "PATCH /api/v1/namespaces/shop/pods/web-1?".into()
            ]
        );
        let calls = api.calls();
        assert_eq!(calls[0].body["metadata"]["name"], POLICY);
        assert_eq!(calls[0].body["metadata"]["labels"]["chaoscenter.io/run"], "weekly-1");
        assert_eq!(calls[0].body["spec"]["podSelector"], json!({"matchLabels": {PARTITION_LABEL: POLICY}}));
        assert_eq!(calls[0].body["spec"]["policyTypes"], json!(["Ingress"]));
        assert_eq!(calls[2].body, json!({"metadata": {"labels": {PARTITION_LABEL: POLICY}}}));
    }
}

#[tokio::test]
async fn network_partition_labels_nothing_when_the_policy_cannot_be_created() {
    let (cx, _caches, api) = fault_context(|_| error(403, "Forbidden"));
    let a = partition("Both");
    let err =
        within(of(&a).inject(&cx, &origin(), &a, &target("network-partition", "Pod", Some("shop"), "web-1")))
            .await
            .unwrap_err();
    assert!(err.to_string().starts_with(&format!("failed to create NetworkPolicy {POLICY}")), "{err}");
    assert_eq!(api.lines(), [format!("POST {POLICIES}?")]);
}

#[tokio::test]
async fn network_partition_revert_unlabels_the_pod_and_deletes_the_policy_even_when_gone() {
    for gone in [false, true] {
        let (cx, _caches, api) = fault_context(move |c| match c.method.as_str() {
            _ if gone || c.path.contains("/chaosinjections/") => not_found(),
            "DELETE" => ok(policy_json()),
            _ => ok(serde_json::to_value(pod("shop", "web-1", json!({}), "Running")).unwrap()),
        });
        let t = target("network-partition", "Pod", Some("shop"), "web-1");
        within(by_name("network-partition").unwrap().revert(&cx, &origin(), &t)).await.unwrap();
        // a partition's record does not say its mechanism: the agent's injection is reverted too
        assert_eq!(
            api.lines(),
            [
                "PATCH /api/v1/namespaces/shop/pods/web-1?".to_string(),
                format!("DELETE {POLICIES}/{POLICY}?"),
                format!("PATCH {INJECTIONS}/{}?", *INJECTION),
            ]
        );
        assert_eq!(api.calls()[0].body, json!({"metadata": {"labels": {PARTITION_LABEL: null}}}));
    }
}

#[tokio::test]
async fn network_partition_verify_needs_the_policy_and_the_label_gone() {
    let labelled =
        serde_json::to_value(pod("shop", "web-1", json!({PARTITION_LABEL: POLICY}), "Running")).unwrap();
    let clean = serde_json::to_value(pod("shop", "web-1", json!({"app": "web"}), "Running")).unwrap();
    let cases = [
        (ok(policy_json()), ok(clean.clone()), false),
        (not_found(), ok(labelled), false),
        (not_found(), ok(clean), true),
        (not_found(), not_found(), true),
    ];
    for (policy, pod, expected) in cases {
        let (cx, _caches, api) = fault_context(move |c| {
            if c.path.starts_with(POLICIES) {
                policy.clone()
            } else if c.path.starts_with(INJECTIONS) {
                not_found()
            } else {
                pod.clone()
            }
        });
        let t = target("network-partition", "Pod", Some("shop"), "web-1");
        assert_eq!(
            within(by_name("network-partition").unwrap().verify(&cx, &origin(), &t)).await.unwrap(),
            expected
        );
        let mut lines =
            vec![format!("GET {POLICIES}/{POLICY}"), "GET /api/v1/namespaces/shop/pods/web-1".into()];
        if expected {
            // only once the policy side is clean is the agent's side asked
            lines.push(format!("GET {INJECTIONS}/{}", *INJECTION));
        }
        assert_eq!(api.lines(), lines);
    }
}

// ---- the registry ----------------------------------------------------------------------------------

#[test]
fn every_recorded_fault_type_has_its_revert() {
    for name in [
        "pod-delete",
        "pod-autoscaler",
        "node-cordon",
        "node-taint",
        "node-drain",
        "network-partition",
        "network-delay",
        "network-loss",
        "network-duplicate",
        "network-corrupt",
        "network-rate",
    ] {
        assert!(by_name(name).is_some(), "{name}");
    }
    assert!(by_name("pod-explode").is_none());
    assert!(by_name("").is_none());
}

// ---- network faults of the node agent ----------------------------------------------------------------

fn network_delay() -> FaultAction {
    action(
        json!({"type": "network-delay", "params": {"latency": "100ms", "destinations": {"cidrs": ["10.1.2.3"], "ports": [80]}},
                  "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}}),
    )
}

/// The agent's Lease on node-1, renewed `age_secs` ago, publishing `caps`.
fn lease(age_secs: i64, caps: Value) -> Value {
    let renewed = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(age_secs);
    json!({"metadata": {"name": "chaoscenter-node-node-1", "annotations": {"chaoscenter.io/capabilities": caps.to_string()}},
           "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 15, "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()}})
}

fn caps(nfqueue: bool) -> Value {
    json!({"netem": false, "tbf": true, "nfqueue": nfqueue, "iptables": true, "nftables": false, "cgroup": "v1", "version": "test"})
}

/// The fake API of a cluster where pod shop/web-1 runs on node-1 whose agent has `lease` and applies
/// what it is given as `applied` says.
fn agent_cluster(
    lease: Option<Value>,
    applied: Value,
) -> impl Fn(&Call) -> (u16, Value) + Send + Sync + 'static {
    move |c: &Call| match (c.method.as_str(), c.path.split('?').next().unwrap_or_default()) {
        ("GET", "/api/v1/namespaces/shop/pods/web-1") => ok(json!({"kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop", "uid": "pod-uid-1"}, "spec": {"nodeName": "node-1", "containers": []}})),
        (
            "GET",
            "/apis/coordination.k8s.io/v1/namespaces/chaoscenter-system/leases/chaoscenter-node-node-1",
        ) => lease.clone().map(ok).unwrap_or_else(not_found),
        ("POST", "/apis/chaoscenter.io/v1alpha1/namespaces/team-chaos/chaosinjections") => {
            (201, c.body.clone())
        }
        ("GET", p)
            if p.starts_with("/apis/chaoscenter.io/v1alpha1/namespaces/team-chaos/chaosinjections/") =>
        {
            ok(json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosInjection",
                "metadata": {"name": p.rsplit('/').next(), "namespace": "team-chaos"},
                "spec": {"nodeName": "node-1", "run": {"name": "weekly-1", "uid": "u"}, "step": "isolate",
                         "target": {"namespace": "shop", "name": "web-1", "uid": "pod-uid-1"},
                         "fault": {"type": "network-loss", "percent": 1.0}, "expiresAt": "2030-01-01T00:00:00Z"},
                "status": applied.clone()}))
        }
        ("PATCH", _) | ("DELETE", _) => {
            ok(json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosInjection",
            "metadata": {"name": "x", "namespace": "team-chaos"},
            "spec": {"nodeName": "node-1", "run": {"name": "weekly-1", "uid": "u"}, "step": "isolate",
                     "target": {"namespace": "shop", "name": "web-1", "uid": "pod-uid-1"},
                     "fault": {"type": "network-loss", "percent": 1.0}, "expiresAt": "2030-01-01T00:00:00Z"}}))
        }
        _ => panic!("unexpected call {}", c.line()),
    }
}

#[tokio::test]
async fn a_network_fault_needs_a_live_agent_that_can_do_it_on_the_pods_node() {
    let a = network_delay();
    let t = target("network-delay", "Pod", Some("shop"), "web-1");
    for (lease, expected) in [
        (None, "node node-1 has no live ChaosCenter node agent"),
        (Some(lease(120, caps(true))), "stopped renewing its Lease"),
        (
            Some(lease(0, caps(false))),
            "node node-1 cannot do network-delay: it lacks neither the netem qdisc nor iptables NFQUEUE",
        ),
    ] {
        let (cx, _caches, api) = fault_context(agent_cluster(lease, json!({})));
        let err = within(of(&a).inject(&cx, &origin(), &a, &t)).await.unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
        assert!(!api.lines().iter().any(|l| l.starts_with("POST")), "nothing written: {:?}", api.lines());
    }
}

#[tokio::test]
async fn a_network_fault_is_written_for_the_pods_node_and_reports_the_agents_mechanism() {
    let a = network_delay();
    let t = target("network-delay", "Pod", Some("shop"), "web-1");
    let applied = json!({"phase": "Injected", "mechanism": "nfqueue", "injectedAt": "2026-12-07T00:00:00Z"});
    let (cx, _caches, api) = fault_context(agent_cluster(Some(lease(1, caps(true))), applied));
    let note = within(of(&a).inject(&cx, &origin(), &a, &t)).await.unwrap();
    assert!(note.starts_with("nfqueue by the node agent on node-1 (ChaosInjection weekly-1-"), "{note}");
    let post = api.calls().into_iter().find(|c| c.method == "POST").expect("the injection was written");
    let injection = &post.body;
    assert_eq!(injection["metadata"]["labels"]["chaoscenter.io/node"], "node-1");
    assert_eq!(injection["metadata"]["ownerReferences"][0]["uid"], origin().run_uid);
    assert_eq!(injection["spec"]["nodeName"], "node-1");
    assert_eq!(
        injection["spec"]["target"],
        json!({"namespace": "shop", "name": "web-1", "uid": "pod-uid-1"})
    );
    assert_eq!(injection["spec"]["fault"]["type"], "network-delay");
    assert_eq!(injection["spec"]["fault"]["latencyMs"], 100);
    assert_eq!(injection["spec"]["fault"]["filter"], json!({"cidrs": ["10.1.2.3/32"], "ports": [80]}));
    let expires: jiff::Timestamp = injection["spec"]["expiresAt"].as_str().unwrap().parse().unwrap();
    let left = expires.duration_since(jiff::Timestamp::now()).as_secs();
    assert!((80..=90).contains(&left), "expires after the chaos (60 s) and a margin: {left} s");

    // the agent failed: the target is not injected, and says why
    let failed = json!({"phase": "Failed", "message": "the pod's sandbox is gone"});
    let (cx, _caches, _api) = fault_context(agent_cluster(Some(lease(1, caps(true))), failed));
    let err = within(of(&a).inject(&cx, &origin(), &a, &t)).await.unwrap_err().to_string();
    assert!(err.contains("could not apply it: the pod's sandbox is gone"), "{err}");
}

#[tokio::test]
async fn a_network_fault_is_reverted_by_asking_the_agent_and_verified_by_its_report() {
    let t = target("network-delay", "Pod", Some("shop"), "web-1");
    let fault = by_name("network-delay").expect("registered");
    let (cx, _caches, api) = fault_context(agent_cluster(None, json!({"phase": "Injected"})));
    within(fault.revert(&cx, &origin(), &t)).await.unwrap();
    let patch = api.calls().into_iter().find(|c| c.method == "PATCH").expect("asked to revert");
    assert_eq!(patch.body, json!({"spec": {"revert": true}}));
    assert!(!within(fault.verify(&cx, &origin(), &t)).await.unwrap(), "not verified while still injected");
    let (cx, _caches, api) =
        fault_context(agent_cluster(None, json!({"phase": "Reverted", "revertVerified": true})));
    assert!(within(fault.verify(&cx, &origin(), &t)).await.unwrap());
    assert!(api.lines().iter().any(|l| l.starts_with("DELETE")), "the injection goes once verified");
    // gone already (the run's deletion took it): nothing left to revert
    let (cx, _caches, _api) = fault_context(|_| not_found());
    assert!(within(fault.verify(&cx, &origin(), &t)).await.unwrap());
    // a partition of either mechanism reverts both
    let (cx, _caches, api) = fault_context(|_| not_found());
    let partition = by_name("network-partition").unwrap();
    within(partition.revert(&cx, &origin(), &target("network-partition", "Pod", Some("shop"), "web-1")))
        .await
        .unwrap();
    let lines = api.lines();
    assert!(
        lines.iter().any(|l| l.contains("networkpolicies"))
            && lines.iter().any(|l| l.contains("chaosinjections")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn peer_pods_in_another_namespace_need_the_projects_right_to_target_it() {
    let a = action(json!({"type": "network-loss", "params": {"percent": 10,
                              "destinations": {"pods": {"namespace": "payments", "selector": {"matchLabels": {"app": "db"}}}}},
                          "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}}));
    let t = target("network-loss", "Pod", Some("shop"), "web-1");
    let (cx, _caches, api) = fault_context(agent_cluster(Some(lease(1, caps(true))), json!({})));
    let err = within(of(&a).inject(&cx, &origin(), &a, &t)).await.unwrap_err().to_string();
    // the run's namespace is no project's here, so no other namespace may be read for peers
    assert!(err.starts_with("destinations.pods in namespace payments:"), "{err}");
    assert!(!api.lines().iter().any(|l| l.starts_with("POST")), "nothing written: {:?}", api.lines());
}
