//! The run controller against the fake API, one named scenario per test: the exact calls a reconcile
//! makes (and that the forbidden ones are not made) when admission fails closed, a run is admitted (its
//! target recorded before it is hit), a target loses its opt-in mid-run, the policy cannot be read at
//! injection, a run is aborted with a task in flight, a reconcile panics, a status write is refused, and
//! a finished run labelled as a preview is deleted only if it is a dry run that never started.

use super::*;
use crate::testing::{error, fill, filling, not_found, object, ok, within, Call, Harness};
use crate::world::testing::{world, Writers};
use crate::world::World;
use chaoscenter_crds::common::{
    CHAOS_OPT_IN_LABEL, CHAOS_PROJECTS_ANNOTATION, PROJECT_LABEL, WORKFLOW_LABEL,
};
use chaoscenter_crds::Project;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The run's namespace: project `shop`'s own. Its faults hit namespace `shop`.
const NS: &str = "chaos-shop";
const UID: &str = "5d0c4bd6-run-1";
const RUN: &str = "/apis/chaoscenter.io/v1alpha1/namespaces/chaos-shop/chaosworkflowruns/weekly-1";
const WEB: &str = "/apis/apps/v1/namespaces/shop/deployments/web";
const NODE: &str = "/api/v1/nodes/worker-1";

/// A time `secs` from now, as a status holds it.
fn at(secs: i64) -> String {
    time::show(now().checked_add(jiff::SignedDuration::from_secs(secs)).unwrap())
}

/// A frozen one-step definition: step `scale` scales Deployment shop/web to 1 for 60 s.
fn scale_definition() -> Value {
    json!({"maxDuration": "30m", "steps": [{"name": "scale", "fault": {
        "type": "pod-autoscaler", "duration": "60s", "params": {"replicas": 1},
        "target": {"namespace": "shop", "kind": "Deployment", "name": "web"}}}]})
}

/// A frozen one-step definition: step `kill` deletes the pods `app=web` of shop.
fn kill_definition() -> Value {
    json!({"maxDuration": "30m", "steps": [{"name": "kill", "fault": {
        "type": "pod-delete", "duration": "30s",
        "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}}}]})
}

/// Run weekly-1 of `definition` with `status`, carrying the revert finalizer unless Pending.
fn run_json(definition: Value, status: Value) -> Value {
    let pending = status.is_null();
    json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
        "metadata": {"name": "weekly-1", "namespace": NS, "uid": UID, "resourceVersion": "1", "generation": 1,
                     // a started run is linked to its workflow; a new one is not yet
                     "labels": if pending { json!({}) } else { json!({WORKFLOW_LABEL: "weekly"}) },
                     "finalizers": if pending { json!([]) } else { json!([RUN_FINALIZER]) }},
        "spec": {"workflowRef": {"name": "weekly"}, "workflow": definition},
        "status": status,
    })
}

/// A Running run's status with `steps`.
fn running(steps: Value) -> Value {
    json!({"phase": "Running", "startedAt": at(-10), "deadline": at(1800), "project": "shop", "steps": steps,
           "conditions": [{"type": "Admitted", "status": "True", "reason": "Admitted", "message": ""}]})
}

/// Step `scale` 5 s into its chaos: Deployment shop/web scaled from 3, not reverted.
fn scaled_step() -> Value {
    json!({"name": "scale", "phase": "Running", "startedAt": at(-10), "chaosStartedAt": at(-5),
           "chaosEndsAt": at(55), "injections": 1,
           "targets": [{"kind": "Deployment", "namespace": "shop", "name": "web", "round": 0,
                        "fault": "pod-autoscaler", "injectedAt": at(-5), "original": "3"}]})
}

/// The fake cluster of these scenarios: run weekly-1 and Deployment shop/web. Every call is also written
/// to `timeline`, which the tests' own code can write to as well (to order an event among the calls).
#[derive(Clone)]
struct Cluster {
    run: Value,
    replicas: Arc<Mutex<i32>>,
    refuse_status_writes: Arc<AtomicBool>,
    timeline: Arc<Mutex<Vec<String>>>,
}

impl Cluster {
    fn new(run: Value, replicas: i32) -> Self {
        Self {
            run,
            replicas: Arc::new(Mutex::new(replicas)),
            refuse_status_writes: Arc::default(),
            timeline: Arc::default(),
        }
    }

    fn run(&self) -> Arc<ChaosWorkflowRun> {
        Arc::new(object(self.run.clone()))
    }

    /// The run as the API server holds it, at resourceVersion `rv`.
    fn run_at(&self, rv: &str) -> Value {
        let mut run = self.run.clone();
        run["metadata"]["resourceVersion"] = json!(rv);
        run
    }

    fn deployment(&self) -> Value {
        json!({"metadata": {"name": "web", "namespace": "shop"},
               "spec": {"replicas": *self.replicas.lock().unwrap(), "selector": {}, "template": {}}})
    }

    fn answer(&self, c: &Call) -> (u16, Value) {
        self.timeline.lock().unwrap().push(c.line());
        let path = c.path.as_str();
        match c.method.as_str() {
            "PATCH" if path == format!("{RUN}/status?") => {
                if self.refuse_status_writes.load(Ordering::SeqCst) {
                    error(409, "Conflict")
                } else {
                    ok(self.run_at("2"))
                }
            }
            "PATCH" if path == format!("{RUN}?") => ok(self.run_at("3")),
            "GET" if path == RUN => ok(self.run_at("5")),
            "GET" if path == WEB => ok(self.deployment()),
            "GET" if path.starts_with("/apis/apps/v1/namespaces/shop/deployments?") => ok(
                json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": {},
                          "items": [{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
                                     "metadata": {"name": "web", "namespace": "shop"}}]}),
            ),
            "PATCH" if path == format!("{WEB}?") => {
                *self.replicas.lock().unwrap() = c.body["spec"]["replicas"].as_i64().unwrap() as i32;
                ok(self.deployment())
            }
            "GET" | "PATCH" if path.trim_end_matches('?') == NODE => {
                ok(json!({"metadata": {"name": "worker-1"}}))
            }
            _ => not_found(),
        }
    }

    fn harness(&self) -> Harness {
        let (world, caches) = world();
        self.harness_on(world, caches)
    }

    fn harness_on(&self, world: World, caches: Writers) -> Harness {
        let me = self.clone();
        let mut h = Harness::new(world, caches, move |c| me.answer(c));
        admitting(&mut h.caches);
        h
    }

    fn timeline(&self) -> Vec<String> {
        self.timeline.lock().unwrap().clone()
    }
}

fn namespace(name: &str, labels: Value) -> Namespace {
    object(json!({"metadata": {"name": name, "labels": labels}}))
}

/// Namespace `name` opted in to chaos, its annotation naming the projects `projects` (none: no annotation).
fn opted_in(name: &str, projects: Option<&str>) -> Namespace {
    object(json!({"metadata": {"name": name, "labels": {CHAOS_OPT_IN_LABEL: "enabled"},
    "annotations": match projects {
        Some(p) => json!({CHAOS_PROJECTS_ANNOTATION: p}),
        None => json!({}),
    }}}))
}

/// Caches under which run weekly-1 may hit namespace shop: its namespace is project shop's, the project
/// targets shop, and shop opted in for project shop.
fn admitting(caches: &mut Writers) {
    fill(&mut caches.namespaces, namespace(NS, json!({PROJECT_LABEL: "shop"})));
    fill(&mut caches.namespaces, opted_in("shop", Some("shop")));
    fill(
        &mut caches.projects,
        object::<Project>(json!({"metadata": {"name": "shop"}, "spec": {"targetNamespaces": ["shop"]}})),
    );
}

/// The status a run's status write sent.
fn written_status(c: &Call) -> &Value {
    &c.body["status"]
}

/// An [`Exec`] for `run` of the validated `workflow`, as `reconcile_inner` builds it.
fn exec<'a>(h: &Harness, run: &'a Arc<ChaosWorkflowRun>, workflow: &'a Workflow) -> Exec<'a> {
    Exec {
        ctx: h.ctx.clone(),
        run: run.clone(),
        workflow: Some(workflow),
        definition: None,
        digest: None,
        freeze: None,
        status: run.status.clone().unwrap_or_default(),
        dirty: false,
        resource_version: run.resource_version(),
        has_finalizer: true,
        finalizer_removed: false,
        project: Some("shop".into()),
        events: Vec::new(),
        acknowledged: None,
    }
}

/// Starts a task of the run that never ends unless cancelled and writes "task cancelled" to `timeline`
/// when it is gone. Its first poll says so through the returned channel, then keeps its thread busy for
/// `busy`: a cancel that did not wait until the task is gone would be seen to overtake it.
fn spawn_forever(
    h: &Harness,
    run: &ChaosWorkflowRun,
    task: Task,
    timeline: Arc<Mutex<Vec<String>>>,
    busy: Duration,
) -> futures::channel::oneshot::Receiver<()> {
    struct OnDrop(Arc<Mutex<Vec<String>>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.lock().unwrap().push("task cancelled".into());
        }
    }
    let guard = OnDrop(timeline);
    let (started, polled) = futures::channel::oneshot::channel();
    assert!(h.ctx.tasks.spawn(run, task, move |_reporter| async move {
        let _guard = guard;
        let _ = started.send(());
        std::thread::sleep(busy);
        std::future::pending::<()>().await
    }));
    polled
}

// ---- admission fails closed ------------------------------------------------------------------------

#[tokio::test]
async fn admission_fails_closed_while_a_cache_is_filling() {
    let cluster = Cluster::new(run_json(scale_definition(), Value::Null), 3);
    let (mut world, caches) = world();
    let (namespaces, _still_filling) = filling::<Namespace>();
    world.namespaces = namespaces;
    let h = cluster.harness_on(world, caches);
    let requeue = within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
    assert_eq!(requeue, Requeue::requeue(Duration::from_millis(200)), "looked at again shortly");
    assert!(cluster.timeline().is_empty(), "no API call at all: {:?}", cluster.timeline());
    assert!(h.api.event_reasons().is_empty());
}

/// Reconciles a Pending run of the scale definition under caches `adjust` changed from admitting ones,
/// and checks it is refused with `reason`, a message containing `message`, and nothing else done.
async fn assert_refused(adjust: impl FnOnce(&mut Writers), reason: &str, message: &str) {
    let cluster = Cluster::new(run_json(scale_definition(), Value::Null), 3);
    let mut h = cluster.harness();
    adjust(&mut h.caches);
    within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
    let calls = h.api.calls();
    assert_eq!(h.api.lines(), [format!("PATCH {RUN}/status?")], "one status write, no fault call");
    assert_eq!(calls[0].body["metadata"]["resourceVersion"], "1", "written with a precondition");
    let status = written_status(&calls[0]);
    assert_eq!(status["phase"], "Failed");
    let admitted = status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Admitted").unwrap();
    assert_eq!(admitted["status"], "False");
    assert_eq!(admitted["reason"], reason);
    let said = admitted["message"].as_str().unwrap();
    assert!(said.contains(message), "{said:?} should contain {message:?}");
    assert!(status.get("startedAt").is_none() && status.get("steps").is_none(), "never started: {status}");
    assert_eq!(h.api.events(1).await, [reason]);
    assert!(h.ctx.tasks.in_flight(UID).is_empty());
}

#[tokio::test]
async fn a_run_in_a_namespace_of_no_project_is_refused() {
    let adjust = |c: &mut Writers| fill(&mut c.namespaces, namespace(NS, json!({})));
    assert_refused(adjust, "NoProject", "namespace chaos-shop belongs to no project").await;
}

#[tokio::test]
async fn a_run_of_a_project_that_does_not_exist_is_refused() {
    let adjust = |c: &mut Writers| fill(&mut c.namespaces, namespace(NS, json!({PROJECT_LABEL: "gone"})));
    assert_refused(adjust, "NoProject", "project \"gone\" (label of namespace chaos-shop) does not exist")
        .await;
}

#[tokio::test]
async fn a_run_targeting_a_namespace_that_did_not_opt_in_is_refused() {
    let adjust = |c: &mut Writers| fill(&mut c.namespaces, namespace("shop", json!({})));
    let message = "spec.steps[0].fault.target.namespace: namespace shop has not opted in to chaos";
    assert_refused(adjust, "NamespaceNotAllowed", message).await;
}

#[tokio::test]
async fn a_run_targeting_a_namespace_outside_its_project_is_refused() {
    let adjust = |c: &mut Writers| {
        let project = json!({"metadata": {"name": "shop"}, "spec": {"targetNamespaces": ["billing"]}});
        fill(&mut c.projects, object::<Project>(project));
    };
    assert_refused(adjust, "NamespaceNotAllowed", "namespace shop is not in project shop's targetNamespaces")
        .await;
}

// ---- a target's owner names the projects that may hit it -------------------------------------------

#[tokio::test]
async fn a_run_targeting_a_namespace_that_allows_another_project_is_refused() {
    let adjust = |c: &mut Writers| fill(&mut c.namespaces, opted_in("shop", Some("team-b, team-c")));
    let message = r#"spec.steps[0].fault.target.namespace: namespace shop does not allow project shop (annotation chaoscenter.io/chaos-projects is "team-b, team-c")"#;
    assert_refused(adjust, "NamespaceNotAllowed", message).await;
}

#[tokio::test]
async fn a_namespace_with_the_label_but_no_annotation_allows_no_project() {
    let adjust = |c: &mut Writers| fill(&mut c.namespaces, opted_in("shop", None));
    let message = "spec.steps[0].fault.target.namespace: namespace shop does not allow project shop (it has no annotation chaoscenter.io/chaos-projects)";
    assert_refused(adjust, "NamespaceNotAllowed", message).await;
}

#[tokio::test]
async fn the_annotation_listing_the_project_or_a_star_admits_it() {
    for projects in ["team-b, shop", "*"] {
        let cluster = Cluster::new(run_json(scale_definition(), Value::Null), 3);
        let mut h = cluster.harness();
        fill(&mut h.caches.namespaces, opted_in("shop", Some(projects)));
        within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
        h.settle(UID).await;
        let calls = h.api.calls();
        let status = calls.iter().find(|c| c.path == format!("{RUN}/status?")).map(written_status).unwrap();
        assert_eq!(status["phase"], "Running", "{projects:?}: {status}");
        assert_eq!(*cluster.replicas.lock().unwrap(), 1, "{projects:?}: scaled");
    }
}

/// A frozen one-step definition: step `cordon` cordons node worker-1 for 60 s.
fn cordon_definition() -> Value {
    json!({"maxDuration": "30m", "steps": [{"name": "cordon", "fault": {
        "type": "node-cordon", "duration": "60s", "target": {"kind": "Node", "name": "worker-1"}}}]})
}

/// Node worker-1 opted in to chaos, its annotation naming `projects` (none: no annotation).
fn node(projects: Option<&str>) -> Node {
    let mut n: Node = object(json!({"metadata": {"name": "worker-1"}}));
    n.metadata = opted_in("worker-1", projects).metadata;
    n
}

#[tokio::test]
async fn a_node_fault_needs_the_node_to_allow_the_run_s_project() {
    let refused = [
        (Some("team-b"), r#"spec.steps[0].fault.target: node worker-1 does not allow project shop (annotation chaoscenter.io/chaos-projects is "team-b")"#),
        (None, "spec.steps[0].fault.target: node worker-1 does not allow project shop (it has no annotation chaoscenter.io/chaos-projects)"),
    ];
    for (projects, message) in refused {
        let cluster = Cluster::new(run_json(cordon_definition(), Value::Null), 3);
        let mut h = cluster.harness();
        fill(&mut h.caches.nodes, node(projects));
        within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
        assert_eq!(h.api.lines(), [format!("PATCH {RUN}/status?")], "{projects:?}: no call to the node");
        let status = written_status(&h.api.calls()[0]).clone();
        assert_eq!(status["phase"], "Failed");
        let admitted =
            status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Admitted").unwrap();
        assert_eq!(admitted["reason"], "NodeNotAllowed");
        assert_eq!(admitted["message"], message);
        assert_eq!(h.api.events(1).await, ["NodeNotAllowed"]);
    }
    for projects in ["shop", " team-b ,shop", "*"] {
        let cluster = Cluster::new(run_json(cordon_definition(), Value::Null), 3);
        let mut h = cluster.harness();
        fill(&mut h.caches.nodes, node(Some(projects)));
        within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
        h.settle(UID).await;
        let cordons: Vec<Call> = h
            .api
            .calls()
            .into_iter()
            .filter(|c| c.method == "PATCH" && c.path == format!("{NODE}?"))
            .collect();
        assert_eq!(cordons.len(), 1, "{projects:?}: cordoned once: {:?}", h.api.lines());
        assert_eq!(cordons[0].body, json!({"spec": {"unschedulable": true}}));
    }
}

#[tokio::test]
async fn a_recorded_node_is_not_cordoned_once_it_no_longer_allows_the_project() {
    let step = json!({"name": "cordon", "phase": "Running", "startedAt": at(-1),
                      "targets": [{"kind": "Node", "name": "worker-1", "round": 0, "fault": "node-cordon",
                                   "original": "false"}]});
    let cluster = Cluster::new(run_json(cordon_definition(), running(json!([step]))), 3);
    let mut h = cluster.harness();
    fill(&mut h.caches.nodes, node(Some("team-b")));
    let run = cluster.run();
    let workflow = workflow_of(&run);
    let mut exec = exec(&h, &run, &workflow);
    exec.spawn_injection(&workflow.steps[0], 0, vec![0], false);
    h.settle(UID).await;
    assert!(cluster.timeline().is_empty(), "the node is not touched: {:?}", cluster.timeline());
    let reports: Vec<Report> = h.ctx.tasks.reports(UID).into_iter().map(|n| n.report).collect();
    match &reports[..] {
        [Report::Target { outcome: Err(why), .. }, Report::RoundDone { .. }] => assert_eq!(
            why,
            r#"not injected: node worker-1 does not allow project shop (annotation chaoscenter.io/chaos-projects is "team-b")"#
        ),
        other => panic!("unexpected reports {other:?}"),
    }
}

// ---- an admitted run -------------------------------------------------------------------------------

#[tokio::test]
async fn an_admitted_run_records_its_target_before_scaling_it() {
    let cluster = Cluster::new(run_json(scale_definition(), Value::Null), 3);
    let mut h = cluster.harness();
    within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
    h.settle(UID).await;
    assert_eq!(
        cluster.timeline(),
        [
            "GET /apis/chaoscenter.io/v1alpha1/namespaces/chaos-shop/chaosworkflows/weekly".to_string(),
            format!("PATCH {RUN}?"),
            "GET /apis/apps/v1/namespaces/shop/deployments?&fieldSelector=metadata.name%3Dweb".into(),
            format!("GET {WEB}"),
            format!("PATCH {RUN}/status?"),
            format!("PATCH {WEB}?"),
        ]
    );
    let calls = h.api.calls();
    assert_eq!(calls[1].body["metadata"]["finalizers"], json!([RUN_FINALIZER]), "the finalizer first");
    assert_eq!(calls[1].body["metadata"]["labels"], json!({WORKFLOW_LABEL: "weekly"}));
    assert_eq!(calls[1].body["metadata"]["resourceVersion"], "1");
    let status = written_status(&calls[4]);
    assert_eq!(status["phase"], "Running");
    assert_eq!(calls[4].body["metadata"]["resourceVersion"], "3", "after the finalizer's write");
    let target = &status["steps"][0]["targets"][0];
    assert_eq!((&target["name"], &target["original"]), (&json!("web"), &json!("3")), "recorded: {target}");
    assert!(target.get("injectedAt").is_none());
    assert_eq!(calls[5].body, json!({"spec": {"replicas": 1}}), "then scaled");
    let reports = h.ctx.tasks.reports(UID);
    assert!(matches!(&reports[0].report, Report::Target { outcome: Ok(_), index: 0, .. }), "{reports:?}");
    assert!(matches!(&reports[1].report, Report::RoundDone { round: 0, .. }), "{reports:?}");
}

// ---- a target that lost its opt-in mid-run ---------------------------------------------------------

#[tokio::test]
async fn a_target_that_lost_its_opt_in_mid_run_is_reverted_at_once() {
    let cluster = Cluster::new(run_json(scale_definition(), running(json!([scaled_step()]))), 1);
    let mut h = cluster.harness();
    fill(&mut h.caches.namespaces, namespace("shop", json!({CHAOS_OPT_IN_LABEL: "disabled"})));
    within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
    assert_eq!(
        h.api.lines(),
        [format!("PATCH {WEB}?"), format!("GET {WEB}"), format!("PATCH {RUN}/status?")]
    );
    let calls = h.api.calls();
    assert_eq!(calls[0].body, json!({"spec": {"replicas": 3}}), "back to the recorded count, never to 1");
    let status = written_status(&calls[2]);
    assert_eq!(status["phase"], "Running", "the run goes on");
    let target = &status["steps"][0]["targets"][0];
    assert_eq!(target["revertVerified"], true);
    assert!(target["revertedAt"].is_string());
    let withdrawn = target["withdrawn"].as_str().unwrap();
    assert!(withdrawn.contains("namespace shop has not opted in to chaos"), "{withdrawn}");
    assert_eq!(h.api.events(1).await, ["TargetWithdrawn"]);
    assert!(h.ctx.tasks.in_flight(UID).is_empty(), "nothing injected");
}

// ---- the policy cannot be read at injection --------------------------------------------------------

/// Run weekly-1 of the kill definition, its step started and nothing injected yet (`targets` recorded).
fn kill_run(targets: Value) -> Value {
    let step = json!({"name": "kill", "phase": "Running", "startedAt": at(-1), "targets": targets});
    run_json(kill_definition(), running(json!([step])))
}

fn workflow_of(run: &ChaosWorkflowRun) -> Workflow {
    chaoscenter_core::validate(run.spec.workflow.as_ref().unwrap()).unwrap()
}

#[tokio::test]
async fn injection_waits_while_the_policy_cannot_be_read() {
    let web_1 = || {
        object::<Pod>(json!({"metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
                                       "status": {"phase": "Running"}}))
    };
    let cases = [
        ("pods", "waiting: the operator's pod cache is still filling"),
        ("halt", "waiting: cannot read the policy: the operator's caches are still filling"),
    ];
    for (cache, message) in cases {
        let cluster = Cluster::new(kill_run(json!([])), 3);
        let (mut world, mut caches) = world();
        fill(&mut caches.pods, web_1());
        let _filling = match cache {
            "pods" => {
                let (pods, writer) = filling::<Pod>();
                world.pods = pods;
                Box::new(writer) as Box<dyn std::any::Any>
            }
            _ => {
                let (halt, writer) = filling::<ConfigMap>();
                world.halt = halt;
                Box::new(writer)
            }
        };
        let h = cluster.harness_on(world, caches);
        let run = cluster.run();
        let workflow = workflow_of(&run);
        let mut exec = exec(&h, &run, &workflow);
        within(exec.inject("kill", 0)).await.unwrap();
        assert!(cluster.timeline().is_empty(), "{cache}: no call: {:?}", cluster.timeline());
        assert!(h.ctx.tasks.in_flight(UID).is_empty(), "{cache}: no injection started");
        let step = &exec.status.steps[0];
        assert!(step.targets.is_empty(), "{cache}: nothing chosen");
        assert_eq!(step.message.as_deref(), Some(message));
        assert_eq!(step.chaos_started_at, None, "{cache}: a wait, not a failed round");
        assert!(exec.dirty);
        assert_eq!(exec.events.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(), ["TargetBusy"]);
    }
}

#[tokio::test]
async fn a_recorded_target_is_not_injected_while_the_policy_cannot_be_read() {
    let target =
        json!([{"kind": "Pod", "namespace": "shop", "name": "web-1", "round": 0, "fault": "pod-delete"}]);
    let cluster = Cluster::new(kill_run(target), 3);
    let (mut world, caches) = world();
    let (halt, _still_filling) = filling::<ConfigMap>();
    world.halt = halt;
    let mut h = cluster.harness_on(world, caches);
    let run = cluster.run();
    let workflow = workflow_of(&run);
    let mut exec = exec(&h, &run, &workflow);
    exec.spawn_injection(&workflow.steps[0], 0, vec![0], false);
    h.settle(UID).await;
    assert!(cluster.timeline().is_empty(), "no DELETE: {:?}", cluster.timeline());
    let reports: Vec<Report> = h.ctx.tasks.reports(UID).into_iter().map(|n| n.report).collect();
    match &reports[..] {
        [Report::Target { index: 0, outcome: Err(why), .. }, Report::RoundDone { round: 0, .. }] => {
            assert_eq!(why, "not injected: the operator's caches are still filling")
        }
        other => panic!("unexpected reports {other:?}"),
    }
    assert_eq!(h.api.events(1).await, ["InjectionFailed"]);
}

// ---- cancellation ----------------------------------------------------------------------------------

// two worker threads, so that the task is busy on one while the reconcile cancels it on the other
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_cancels_the_task_in_flight_before_reverting() {
    let mut run = run_json(scale_definition(), running(json!([scaled_step()])));
    run["spec"]["abort"] = json!(true);
    let cluster = Cluster::new(run, 1);
    let h = cluster.harness();
    let run = cluster.run();
    let task = Task::Inject { step: "scale".into(), round: 1 };
    let started = spawn_forever(&h, &run, task.clone(), cluster.timeline.clone(), Duration::from_millis(300));
    within(started).await.unwrap();
    assert_eq!(h.ctx.tasks.in_flight(UID), [task].into());

    within(reconcile(run, h.ctx.clone())).await.unwrap();
    assert_eq!(
        cluster.timeline(),
        [
            "task cancelled".to_string(),
            format!("PATCH {WEB}?"),
            format!("GET {WEB}"),
            format!("PATCH {RUN}/status?"),
            format!("PATCH {RUN}?"),
        ]
    );
    assert!(h.ctx.tasks.in_flight(UID).is_empty(), "the task is gone");
    assert!(h.ctx.tasks.reports(UID).is_empty(), "and it did not report");
    let calls = h.api.calls();
    assert_eq!(calls[0].body, json!({"spec": {"replicas": 3}}));
    let status = written_status(&calls[2]);
    assert_eq!(status["phase"], "Aborted");
    assert_eq!(status["steps"][0]["phase"], "Aborted");
    assert_eq!(status["steps"][0]["verdict"], "Stopped");
    assert_eq!(status["steps"][0]["targets"][0]["revertVerified"], true);
    assert_eq!(calls[3].body["metadata"]["finalizers"], json!([]), "let go once every revert is verified");
    assert_eq!(calls[3].body["metadata"]["resourceVersion"], "2", "after the final status");
    let events = h.api.events(2).await;
    assert!(
        events.contains(&"Reverted".to_string()) && events.contains(&"Aborted".to_string()),
        "{events:?}"
    );
}

// ---- a panic is contained --------------------------------------------------------------------------

#[tokio::test]
async fn a_panic_ends_the_run_in_error_and_is_never_replayed() {
    let cluster = Cluster::new(run_json(scale_definition(), running(json!([scaled_step()]))), 1);
    let h = cluster.harness();
    let run = cluster.run();
    let task = Task::Inject { step: "scale".into(), round: 1 };
    let _started = spawn_forever(&h, &run, task, cluster.timeline.clone(), Duration::ZERO);
    let message = within(contain(async { panic!("boom") })).await.unwrap_err();
    assert_eq!(message, "boom", "a panic is caught with its message");

    let requeue = within(panicked(&run, &h.ctx, message)).await;
    assert_eq!(requeue, Requeue::requeue(Duration::from_secs(1)));
    assert_eq!(cluster.timeline(), ["task cancelled".to_string(), format!("PATCH {RUN}/status?")]);
    assert!(h.ctx.tasks.in_flight(UID).is_empty());
    let calls = h.api.calls();
    assert!(calls[0].body.get("metadata").is_none(), "no precondition: it must land on a stale copy too");
    let status = written_status(&calls[0]);
    assert_eq!(status["phase"], "Error");
    let completed =
        status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Completed").unwrap();
    assert_eq!(completed["reason"], "InternalError");
    assert!(completed["message"].as_str().unwrap().contains("(panic: boom)"), "{completed}");
    assert_eq!(h.api.events(1).await, ["InternalError"]);

    // the cache still holds the run as Running: a reconcile writes Error again, never replays it
    h.api.clear();
    let requeue = within(reconcile(run.clone(), h.ctx.clone())).await.unwrap();
    assert_eq!(requeue, Requeue::requeue(Duration::from_millis(200)));
    assert_eq!(h.api.lines(), [format!("PATCH {RUN}/status?")]);
    assert_eq!(written_status(&h.api.calls()[0])["phase"], "Error");
    assert!(h.api.calls()[0].body.get("metadata").is_none());

    // up to MAX_PANICS a panic records Error; past it the run is left alone, with an Event
    for _ in 2..=MAX_PANICS {
        within(panicked(&run, &h.ctx, "boom".into())).await;
    }
    h.api.clear();
    let requeue = within(panicked(&run, &h.ctx, "boom".into())).await;
    assert_eq!(requeue, Requeue::await_change());
    assert!(h.api.calls().is_empty(), "no status write past MAX_PANICS");
    assert_eq!(h.api.event_reasons().last().map(String::as_str), Some("RevertPanicked"));
    h.api.clear();
    let requeue = within(reconcile(run, h.ctx.clone())).await.unwrap();
    assert_eq!(requeue, Requeue::await_change());
    assert!(h.api.calls().is_empty() && h.api.event_reasons().is_empty(), "nothing is called at all");
}

// ---- a status write refused with 409 ---------------------------------------------------------------

#[tokio::test]
async fn a_status_write_refused_with_a_conflict_is_retried_and_its_reports_applied_again() {
    let step = json!({"name": "scale", "phase": "Running", "startedAt": at(-2),
                      "targets": [{"kind": "Deployment", "namespace": "shop", "name": "web", "round": 0,
                                   "fault": "pod-autoscaler", "original": "3"}]});
    let cluster = Cluster::new(run_json(scale_definition(), running(json!([step]))), 1);
    let mut h = cluster.harness();
    let run = cluster.run();
    // the round's task reported and ended
    let task = Task::Inject { step: "scale".into(), round: 0 };
    h.ctx.tasks.spawn(&run, task, |reporter| async move {
        let target = |outcome| Report::Target {
            step: "scale".into(),
            round: 0,
            index: 0,
            name: "web".into(),
            outcome,
            at: now(),
        };
        reporter.send(target(Ok("scaled to 1 replica(s)".into())));
        reporter.send(Report::RoundDone { step: "scale".into(), round: 0, at: now() });
    });
    h.settle(UID).await;
    assert_eq!(h.ctx.tasks.reports(UID).len(), 2);

    cluster.refuse_status_writes.store(true, Ordering::SeqCst);
    let requeue = within(reconcile(run.clone(), h.ctx.clone())).await.unwrap();
    assert_eq!(requeue, Requeue::requeue(Duration::from_millis(100)), "not an error: looked at again");
    assert_eq!(h.api.lines(), [format!("PATCH {RUN}/status?")]);
    assert_eq!(h.api.calls()[0].body["metadata"]["resourceVersion"], "1");
    assert_eq!(h.ctx.tasks.reports(UID).len(), 2, "not acknowledged");
    assert_eq!(h.ctx.written.lock().unwrap().get(UID).map(String::as_str), Some(""), "read afresh next time");

    h.api.clear();
    cluster.refuse_status_writes.store(false, Ordering::SeqCst);
    within(reconcile(run, h.ctx.clone())).await.unwrap();
    assert_eq!(h.api.lines(), [format!("GET {RUN}"), format!("PATCH {RUN}/status?")], "no fault call");
    let calls = h.api.calls();
    assert_eq!(calls[1].body["metadata"]["resourceVersion"], "5", "the fresh copy's");
    let step = &written_status(&calls[1])["steps"][0];
    assert!(step["targets"][0]["injectedAt"].is_string(), "the report applied again: {step}");
    assert!(step["chaosStartedAt"].is_string());
    assert_eq!(step["injections"], 1);
    assert!(h.ctx.tasks.reports(UID).is_empty(), "acknowledged once written");
}

// ---- a run's spec changed after it was admitted ----------------------------------------------------

/// The digest of `definition` as a run of workflow weekly executes it.
fn digest_of(definition: Value) -> String {
    let spec: ChaosWorkflowSpec = object(definition);
    let weekly = chaoscenter_crds::common::LocalObjectReference { name: "weekly".into() };
    digest::Definition { workflow_ref: &weekly, dry_run: false, workflow: &spec }.digest()
}

// two worker threads, so that the task is busy on one while the reconcile cancels it on the other
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_retargeted_mid_run_reverts_and_ends_with_definition_changed_touching_nothing_new() {
    let mut status = running(json!([scaled_step()]));
    status["definitionDigest"] = json!(digest_of(scale_definition()));
    let admitted = run_json(scale_definition(), status.clone());
    // someone (no webhook in the way) points the step at namespace billing, which would allow it
    let mut retargeted = scale_definition();
    retargeted["steps"][0]["fault"]["target"]["namespace"] = json!("billing");
    let mut changed = run_json(retargeted, status);
    changed["metadata"]["generation"] = json!(2);
    changed["metadata"]["resourceVersion"] = json!("4");
    let cluster = Cluster::new(changed, 1);
    let mut h = cluster.harness();
    fill(&mut h.caches.namespaces, opted_in("billing", Some("shop")));
    let project = json!({"metadata": {"name": "shop"}, "spec": {"targetNamespaces": ["shop", "billing"]}});
    fill(&mut h.caches.projects, object::<Project>(project));

    // as admitted: nothing to do while the chaos lasts
    within(reconcile(Arc::new(object(admitted)), h.ctx.clone())).await.unwrap();
    assert!(h.api.calls().is_empty(), "{:?}", h.api.lines());

    // as changed: the round in flight is cancelled, the recorded target reverted, the run ends in Error
    let run = cluster.run();
    let task = Task::Inject { step: "scale".into(), round: 1 };
    let started = spawn_forever(&h, &run, task, cluster.timeline.clone(), Duration::from_millis(100));
    within(started).await.unwrap();
    within(reconcile(run, h.ctx.clone())).await.unwrap();
    assert_eq!(
        cluster.timeline(),
        [
            "task cancelled".to_string(),
            format!("PATCH {WEB}?"),
            format!("GET {WEB}"),
            format!("PATCH {RUN}/status?"),
            format!("PATCH {RUN}?"),
        ],
        "nothing in billing is read or touched"
    );
    assert!(h.ctx.tasks.in_flight(UID).is_empty());
    let calls = h.api.calls();
    assert_eq!(calls[0].body, json!({"spec": {"replicas": 3}}), "shop/web back to its recorded count");
    let status = written_status(&calls[2]);
    assert_eq!(status["phase"], "Error");
    assert_eq!(status["steps"][0]["verdict"], "Stopped");
    assert_eq!(status["steps"][0]["targets"][0]["revertVerified"], true);
    assert_eq!(status["steps"][0]["targets"].as_array().unwrap().len(), 1, "no new target recorded");
    let completed =
        status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Completed").unwrap();
    assert_eq!(completed["reason"], "DefinitionChanged");
    assert_eq!(
        completed["message"],
        "the run's spec changed after it was admitted (changed: spec.workflow.steps[0].fault.target.namespace): nothing more was injected, every fault was reverted"
    );
    assert_eq!(calls[3].body["metadata"]["finalizers"], json!([]), "let go once every revert is verified");
    assert!(
        calls.iter().all(|c| c.body.get("spec").and_then(|s| s.get("workflow")).is_none()),
        "never frozen"
    );
    let events = h.api.events(2).await;
    assert!(events.contains(&"DefinitionChanged".to_string()) && events.contains(&"Reverted".to_string()));
    let event = h.api.event_bodies().into_iter().find(|e| e["reason"] == "DefinitionChanged").unwrap();
    assert_eq!(event["type"], "Warning");
}

#[tokio::test]
async fn a_change_seen_by_a_restarted_operator_is_named_by_its_digests() {
    let mut status = running(json!([scaled_step()]));
    status["definitionDigest"] = json!(digest_of(scale_definition()));
    let mut run = run_json(scale_definition(), status);
    run["spec"]["dryRun"] = json!(true);
    let cluster = Cluster::new(run, 1);
    let h = cluster.harness();
    within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
    let calls = h.api.calls();
    let status = calls.iter().find(|c| c.path == format!("{RUN}/status?")).map(written_status).unwrap();
    assert_eq!(status["phase"], "Error");
    let completed =
        status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Completed").unwrap();
    assert_eq!(completed["reason"], "DefinitionChanged");
    let message = completed["message"].as_str().unwrap();
    let recorded: String = digest_of(scale_definition()).chars().take(12).collect();
    assert!(message.contains(&format!("not the {recorded}… recorded at start")), "{message}");
    assert_eq!(*cluster.replicas.lock().unwrap(), 3, "reverted");
}

#[tokio::test]
async fn the_freeze_of_a_run_created_without_a_definition_does_not_change_its_digest() {
    // a run as kubectl creates it: no spec.workflow; the workflow is in the cache
    let mut pending = run_json(scale_definition(), Value::Null);
    pending["spec"].as_object_mut().unwrap().remove("workflow");
    let cluster = Cluster::new(pending.clone(), 3);
    let mut h = cluster.harness();
    let workflow = json!({"metadata": {"name": "weekly", "namespace": NS, "uid": "wf-1", "generation": 1},
                          "spec": scale_definition()});
    fill(&mut h.caches.workflows, object::<ChaosWorkflow>(workflow));
    within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
    h.settle(UID).await;
    let calls = h.api.calls();
    let freeze = calls.iter().find(|c| c.path == format!("{RUN}?")).unwrap();
    let frozen = freeze.body["spec"]["workflow"].clone();
    assert!(frozen.is_object(), "frozen at start: {}", freeze.body);
    let status =
        calls.iter().find(|c| c.path == format!("{RUN}/status?")).map(written_status).unwrap().clone();
    assert_eq!(status["phase"], "Running");
    assert_eq!(status["definitionDigest"], digest_of(scale_definition()), "of the workflow's spec");

    // the run as the API server then holds it: frozen, Running; reconciled by an operator that never saw it
    let mut started = pending;
    started["spec"]["workflow"] = frozen;
    started["status"] = status;
    started["metadata"]["generation"] = json!(2);
    let cluster = Cluster::new(started, 1);
    let mut h = cluster.harness();
    within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
    h.settle(UID).await;
    for call in h.api.calls().iter().filter(|c| c.path == format!("{RUN}/status?")) {
        assert_ne!(written_status(call)["phase"], "Error", "{}", call.body);
    }
    assert!(!h.api.event_reasons().contains(&"DefinitionChanged".to_string()), "{:?}", h.api.event_reasons());
}

// ---- target previews -------------------------------------------------------------------------------

/// Run weekly-1 of the kill definition, finished two minutes ago (past the tests' PREVIEW_TTL of 60 s),
/// labelled as a target preview; a dry run or not, started for real (a deadline) or only planned.
fn labelled_as_preview(dry_run: bool, started: bool) -> Value {
    let mut status =
        json!({"phase": "Succeeded", "startedAt": at(-120), "finishedAt": at(-120), "project": "shop"});
    if started {
        status["deadline"] = json!(at(1680));
    }
    let mut run = run_json(kill_definition(), status);
    run["metadata"]["labels"][chaoscenter_crds::common::PREVIEW_LABEL] = json!("true");
    run["metadata"]["finalizers"] = json!([]);
    run["spec"]["dryRun"] = json!(dry_run);
    run
}

#[tokio::test]
async fn only_a_dry_run_that_never_started_is_deleted_as_an_expired_preview() {
    // a planned dry run with the label: its plan has been read, it goes
    let cluster = Cluster::new(labelled_as_preview(true, false), 3);
    let h = cluster.harness();
    within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
    assert_eq!(cluster.timeline(), [format!("DELETE {RUN}?")], "an expired preview is deleted");
    // the label on a real run, or on one whose dryRun was set after it started: kept, like any run
    for (dry_run, started) in [(false, false), (false, true), (true, true)] {
        let cluster = Cluster::new(labelled_as_preview(dry_run, started), 3);
        let h = cluster.harness();
        within(reconcile(cluster.run(), h.ctx.clone())).await.unwrap();
        assert!(
            !cluster.timeline().iter().any(|line| line.starts_with("DELETE")),
            "dryRun {dry_run}, started {started}: {:?}",
            cluster.timeline()
        );
    }
}
