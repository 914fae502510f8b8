//! The controller of this node's ChaosInjections: checks each against the cluster (fail closed), applies
//! it through the agent, reverts it when asked, deleted or expired, and reports in its status.

use crate::agent::{Agent, Applied, Reverted};
use crate::plan::Mechanism;
use chaoscenter_core::optin;
use chaoscenter_crds::common::PROJECT_LABEL;
use chaoscenter_crds::injection::{
    ChaosInjection, ChaosInjectionStatus, InjectionPhase, NodeFault, AGENT_FINALIZER,
};
use chaoscenter_crds::ChaosWorkflowRun;
use futures::FutureExt;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Client, Resource, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

/// What the controller needs.
pub struct Context {
    pub client: Client,
    pub agent: Arc<Agent>,
    /// Events on the injections (reasons `Injected`, `Reverted`, `RevertUnverified`, `Refused`).
    pub recorder: Recorder,
}

/// Publishes an Event on `inj` (best effort: a lost Event is logged, never an error).
async fn event(ctx: &Context, inj: &ChaosInjection, type_: EventType, reason: &str, note: String) {
    let event =
        Event { type_, reason: reason.into(), note: Some(note), action: reason.into(), secondary: None };
    if let Err(e) = ctx.recorder.publish(&event, &inj.object_ref(&())).await {
        tracing::warn!(reason, "failed to publish an event: {e}");
    }
}

/// A transient failure (the API server): retried.
#[derive(Debug, thiserror::Error)]
#[error("failed to {what}: {source}")]
pub struct Error {
    what: &'static str,
    #[source]
    source: kube::Error,
}

fn err(what: &'static str) -> impl FnOnce(kube::Error) -> Error {
    move |source| Error { what, source }
}

/// Retries a transient failure after a few seconds.
pub fn error_policy(_: Arc<ChaosInjection>, error: &Error, _: Arc<Context>) -> Action {
    tracing::warn!("{error}");
    Action::requeue(Duration::from_secs(3))
}

/// Reconciles one injection; a panic in it is caught and logged, so one object cannot stop the agent (and
/// every other injection's revert with it).
pub async fn reconcile(injection: Arc<ChaosInjection>, ctx: Arc<Context>) -> Result<Action, Error> {
    let name = format!("{}/{}", injection.namespace().unwrap_or_default(), injection.name_any());
    match std::panic::AssertUnwindSafe(reconcile_one(injection, ctx)).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(injection = %name, "reconcile panicked (retried in a minute): {message}");
            Ok(Action::requeue(Duration::from_secs(60)))
        }
    }
}

async fn reconcile_one(injection: Arc<ChaosInjection>, ctx: Arc<Context>) -> Result<Action, Error> {
    let Some(uid) = injection.uid() else { return Ok(Action::await_change()) };
    let agent = &ctx.agent;
    if injection.spec.node_name != agent.config.node_name {
        return Ok(Action::await_change());
    }
    let lock = agent.lock_for(&uid);
    let _guard = lock.lock().await;
    let api: Api<ChaosInjection> =
        Api::namespaced(ctx.client.clone(), &injection.namespace().unwrap_or_default());
    let has_finalizer = injection.finalizers().iter().any(|f| f == AGENT_FINALIZER);
    let status = injection.status.clone().unwrap_or_default();
    let expires: Option<jiff::Timestamp> = injection.spec.expires_at.parse().ok();
    let expired = expires.is_none_or(|e| jiff::Timestamp::now() >= e);

    if injection.metadata.deletion_timestamp.is_some() {
        // whatever the revert found, the journal keeps an unverified fault for the next replay
        if agent.revert(&uid).await.is_none() {
            let _ = agent.take_reverted(&uid);
        }
        if has_finalizer {
            set_finalizer(&api, &injection, false).await?;
        }
        agent.forget(&uid);
        return Ok(Action::await_change());
    }

    let mut current = (*injection).clone();
    let finished = matches!(status.phase, Some(InjectionPhase::Reverted | InjectionPhase::Failed));
    if finished || injection.spec.revert || expired {
        let reverted = match agent.revert(&uid).await {
            Some(r) => Some(r),
            None => agent.take_reverted(&uid),
        };
        if !finished || reverted.is_some() {
            let node = &agent.config.node_name;
            let r = reverted.clone().unwrap_or_else(|| match status.phase {
                Some(InjectionPhase::Injected) => Reverted {
                    at: jiff::Timestamp::now().to_string(),
                    verified: false,
                    message: Some(format!(
                        "the agent on node {node} has no record of this fault (its journal lost it): it cannot tell whether it is gone"
                    )),
                },
                _ => Reverted {
                    at: jiff::Timestamp::now().to_string(),
                    verified: true,
                    message: Some(if expires.is_none() {
                        format!("spec.expiresAt {:?} is not RFC 3339: never applied", injection.spec.expires_at)
                    } else {
                        "ended before it was applied".into()
                    }),
                },
            });
            let mut status = status.clone();
            status.phase =
                Some(if finished { status.phase.unwrap_or_default() } else { InjectionPhase::Reverted });
            status.reverted_at = Some(r.at.clone());
            status.revert_verified = r.verified;
            status.message = r.message.clone().or(status.message);
            let (type_, reason) = if r.verified {
                (EventType::Normal, "Reverted")
            } else {
                (EventType::Warning, "RevertUnverified")
            };
            let note =
                r.message.clone().unwrap_or_else(|| "removed and checked by reading the state back".into());
            match write_status(&api, &injection, status).await {
                Ok(now) => {
                    current = now;
                    event(&ctx, &current, type_, reason, note).await;
                }
                Err(e) => {
                    if let Some(r) = reverted {
                        agent.keep_reverted(&uid, r);
                    }
                    return Err(e);
                }
            }
        }
        // an unverified revert stays in the journal, which the next agent start replays
        if has_finalizer {
            set_finalizer(&api, &current, false).await?;
        }
        return Ok(Action::await_change());
    }

    let until_expiry = expires
        .map(|e| e.duration_since(jiff::Timestamp::now()).unsigned_abs() + Duration::from_secs(1))
        .unwrap_or_default();
    if let Some(applied) = agent.applied(&uid) {
        if status.phase != Some(InjectionPhase::Injected) {
            // applied, but the status write failed: write it again
            write_status(&api, &injection, injected(&injection, agent, &applied)).await?;
        }
        return Ok(Action::requeue(until_expiry));
    }
    // an earlier agent's fault was removed by the journal replay: apply it again
    let _ = agent.take_reverted(&uid);
    if !has_finalizer {
        current = set_finalizer(&api, &injection, true).await?;
    }
    let checked = check(&ctx.client, &injection, &agent.config.node_name).await?;
    let applied = match checked {
        Ok(()) => agent.apply(&injection).await,
        Err(refusal) => Err(refusal),
    };
    match applied {
        Ok(applied) => {
            let status = injected(&current, agent, &applied);
            let note = status.message.clone().unwrap_or_default();
            write_status(&api, &current, status).await?;
            event(&ctx, &current, EventType::Normal, "Injected", note).await;
            Ok(Action::requeue(until_expiry))
        }
        Err(message) => {
            tracing::warn!(injection = %uid, "refused: {message}");
            let status = ChaosInjectionStatus {
                phase: Some(InjectionPhase::Failed),
                message: Some(message),
                agent: Some(agent.config.identity.clone()),
                observed_generation: injection.metadata.generation,
                ..Default::default()
            };
            let note = status.message.clone().unwrap_or_default();
            let current = write_status(&api, &current, status).await?;
            event(&ctx, &current, EventType::Warning, "Refused", note).await;
            set_finalizer(&api, &current, false).await?;
            Ok(Action::await_change())
        }
    }
}

/// What the Injected status says: the fault and mechanism, and what the mechanism cannot do.
fn applied_message(fault: &NodeFault, mechanism: &str, note: Option<&str>) -> String {
    let mut message = format!("{} applied with {mechanism}", fault.name());
    if let Some(note) = note {
        message.push_str(": ");
        message.push_str(note);
    }
    if let NodeFault::NetworkLoss { correlation, .. } = fault {
        if *correlation > 0.0 && mechanism != Mechanism::Netem.name() {
            message.push_str(" (without correlation: each packet is dropped independently)");
        }
    }
    message
}

/// The status of an applied injection.
fn injected(injection: &ChaosInjection, agent: &Agent, applied: &Applied) -> ChaosInjectionStatus {
    ChaosInjectionStatus {
        phase: Some(InjectionPhase::Injected),
        mechanism: Some(applied.mechanism.clone()),
        netns_inode: applied.netns_inode,
        injected_at: Some(applied.injected_at.clone()),
        message: Some(applied_message(&injection.spec.fault, &applied.mechanism, applied.note.as_deref())),
        agent: Some(agent.config.identity.clone()),
        observed_generation: injection.metadata.generation,
        ..Default::default()
    }
}

/// Reads what [`validate`] decides on; `Err` is a transient API failure.
async fn check(client: &Client, injection: &ChaosInjection, node: &str) -> Result<Result<(), String>, Error> {
    let spec = &injection.spec;
    let home = injection.namespace().unwrap_or_default();
    if spec.fault.on_node() {
        let nodes: Api<Node> = Api::all(client.clone());
        let target = nodes.get_opt(&spec.target.name).await.map_err(err("read the target node"))?;
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &home);
        let run = runs.get_opt(&spec.run.name).await.map_err(err("read the run"))?;
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let home_ns = namespaces.get_opt(&home).await.map_err(err("read the run's namespace"))?;
        return Ok(validate_node(injection, node, target.as_ref(), run.as_ref(), home_ns.as_ref()));
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), &spec.target.namespace);
    let pod = pods.get_opt(&spec.target.name).await.map_err(err("read the target pod"))?;
    let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &home);
    let run = runs.get_opt(&spec.run.name).await.map_err(err("read the run"))?;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let home_ns = namespaces.get_opt(&home).await.map_err(err("read the run's namespace"))?;
    let target_ns =
        namespaces.get_opt(&spec.target.namespace).await.map_err(err("read the pod's namespace"))?;
    Ok(validate(injection, node, pod.as_ref(), run.as_ref(), home_ns.as_ref(), target_ns.as_ref()))
}

/// Whether the injection may load its node, right now: the node is this node (same uid), the run exists,
/// and the node opted in to chaos for the run's project (fail closed).
pub fn validate_node(
    injection: &ChaosInjection,
    node: &str,
    target: Option<&Node>,
    run: Option<&ChaosWorkflowRun>,
    home_ns: Option<&Namespace>,
) -> Result<(), String> {
    let spec = &injection.spec;
    let name = &spec.target.name;
    if name != node {
        return Err(format!("the injection names node {name}, and this agent runs on {node}"));
    }
    let target = target.ok_or_else(|| format!("node {name} does not exist"))?;
    if target.uid().as_deref() != Some(spec.target.uid.as_str()) {
        return Err(format!("node {name} is another node now (uid differs)"));
    }
    let project = run_project(injection, run, home_ns)?;
    let said = optin::check(target.metadata.labels.as_ref(), target.metadata.annotations.as_ref(), &project);
    match said.refusal(&format!("node {name}"), &project) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// The project of the injection's run: the run exists (same uid) and its namespace names a project.
fn run_project(
    injection: &ChaosInjection,
    run: Option<&ChaosWorkflowRun>,
    home_ns: Option<&Namespace>,
) -> Result<String, String> {
    let spec = &injection.spec;
    let home = injection.namespace().unwrap_or_default();
    let run = run.ok_or_else(|| format!("run {home}/{} does not exist", spec.run.name))?;
    if run.uid().as_deref() != Some(spec.run.uid.as_str()) {
        return Err(format!("run {home}/{} is another run now (uid differs)", spec.run.name));
    }
    let home_ns = home_ns.ok_or_else(|| format!("namespace {home} does not exist"))?;
    home_ns
        .labels()
        .get(PROJECT_LABEL)
        .cloned()
        .ok_or_else(|| format!("namespace {home} belongs to no project (it has no label {PROJECT_LABEL})"))
}

/// Whether the injection may touch its pod, right now: the pod is the same pod and on this node, the run
/// exists, and the pod's namespace opted in to chaos for the run's project (fail closed: `Err` names
/// what is missing).
pub fn validate(
    injection: &ChaosInjection,
    node: &str,
    pod: Option<&Pod>,
    run: Option<&ChaosWorkflowRun>,
    home_ns: Option<&Namespace>,
    target_ns: Option<&Namespace>,
) -> Result<(), String> {
    let spec = &injection.spec;
    let target = &spec.target;
    let pod_name = format!("pod {}/{}", target.namespace, target.name);
    let pod = pod.ok_or_else(|| format!("{pod_name} does not exist"))?;
    if pod.uid().as_deref() != Some(target.uid.as_str()) {
        return Err(format!(
            "{pod_name} is another pod now (uid {}, the injection names {})",
            pod.uid().unwrap_or_default(),
            target.uid
        ));
    }
    let on = pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
    if on != node {
        return Err(format!("{pod_name} runs on node {on:?}, not on {node}"));
    }
    let project = run_project(injection, run, home_ns)?;
    let target_ns = target_ns.ok_or_else(|| format!("namespace {} does not exist", target.namespace))?;
    let said =
        optin::check(target_ns.metadata.labels.as_ref(), target_ns.metadata.annotations.as_ref(), &project);
    match said.refusal(&format!("namespace {}", target.namespace), &project) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// Writes the status; returns the object as it is now (for a finalizer patch right after).
async fn write_status(
    api: &Api<ChaosInjection>,
    inj: &ChaosInjection,
    status: ChaosInjectionStatus,
) -> Result<ChaosInjection, Error> {
    // absent fields are written as null, so a merge patch also clears what an earlier status said
    let mut status = serde_json::to_value(status).unwrap_or_default();
    if let Some(fields) = status.as_object_mut() {
        for key in [
            "phase",
            "mechanism",
            "netnsInode",
            "injectedAt",
            "revertedAt",
            "message",
            "agent",
            "observedGeneration",
        ] {
            fields.entry(key).or_insert(serde_json::Value::Null);
        }
    }
    let patch = serde_json::json!({ "status": status });
    api.patch_status(&inj.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(err("write the injection's status"))
}

/// Adds or removes the agent's finalizer (the patch carries the resourceVersion it was computed from, so
/// a concurrent change of the list makes it fail and retry instead of losing that change).
async fn set_finalizer(
    api: &Api<ChaosInjection>,
    inj: &ChaosInjection,
    present: bool,
) -> Result<ChaosInjection, Error> {
    patch_finalizer(api, inj, present, false).await
}

async fn patch_finalizer(
    api: &Api<ChaosInjection>,
    inj: &ChaosInjection,
    present: bool,
    retried: bool,
) -> Result<ChaosInjection, Error> {
    let mut finalizers: Vec<String> =
        inj.finalizers().iter().filter(|f| *f != AGENT_FINALIZER).cloned().collect();
    if present {
        finalizers.push(AGENT_FINALIZER.into());
    }
    let patch = serde_json::json!({
        "metadata": { "finalizers": finalizers, "resourceVersion": inj.resource_version() }
    });
    match api.patch(&inj.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
        Ok(now) => Ok(now),
        Err(kube::Error::Api(s)) if s.code == 404 && !present => Ok(inj.clone()),
        Err(kube::Error::Api(s)) if s.code == 409 && !retried => {
            // changed meanwhile: once more from the object as it is now
            let now = api.get(&inj.name_any()).await.map_err(err("read the injection"))?;
            Box::pin(patch_finalizer(api, &now, present, true)).await
        }
        Err(e) => Err(err("update the agent's finalizer")(e)),
    }
}

/// Tells the status of injections reverted at shutdown (best effort: the agent is going away). The fault
/// is applied again by the next agent while the injection still asks for it.
pub async fn report_shutdown(client: &Client, agent: &Agent, reverted: Vec<(String, Reverted)>) {
    if reverted.is_empty() {
        return;
    }
    let api: Api<ChaosInjection> = match &agent.config.watch_namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let selector = format!("{}={}", chaoscenter_crds::injection::NODE_LABEL, agent.config.node_name);
    let Ok(list) = api.list(&kube::api::ListParams::default().labels(&selector)).await else { return };
    for inj in list {
        let Some((_, r)) = reverted.iter().find(|(uid, _)| inj.uid().as_deref() == Some(uid.as_str())) else {
            continue;
        };
        let api: Api<ChaosInjection> = Api::namespaced(client.clone(), &inj.namespace().unwrap_or_default());
        let mut status = inj.status.clone().unwrap_or_default();
        status.phase = Some(InjectionPhase::Pending);
        status.reverted_at = Some(r.at.clone());
        status.revert_verified = r.verified;
        status.message = Some(format!(
            "the agent on node {} stopped and removed the fault; it is applied again when an agent is back",
            agent.config.node_name
        ));
        let _ = write_status(&api, &inj, status).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaoscenter_crds::common::{CHAOS_OPT_IN_LABEL, CHAOS_PROJECTS_ANNOTATION};
    use serde_json::json;

    fn injection() -> ChaosInjection {
        serde_json::from_value(json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosInjection",
            "metadata": {"name": "i", "namespace": "team", "uid": "i-1"},
            "spec": {
                "nodeName": "n1", "run": {"name": "r", "uid": "r-1"}, "step": "s",
                "target": {"namespace": "shop", "name": "web", "uid": "p-1"},
                "fault": {"type": "network-loss", "percent": 10.0},
                "expiresAt": "2030-01-01T00:00:00Z"
            }
        }))
        .unwrap()
    }

    fn pod(uid: &str, node: &str) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "shop", "uid": uid},
                                      "spec": {"nodeName": node, "containers": []}}))
        .unwrap()
    }

    fn run(uid: &str) -> ChaosWorkflowRun {
        serde_json::from_value(json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
                                      "metadata": {"name": "r", "namespace": "team", "uid": uid},
                                      "spec": {"workflowRef": {"name": "w"}}}))
        .unwrap()
    }

    fn ns(name: &str, labels: serde_json::Value, annotations: serde_json::Value) -> Namespace {
        serde_json::from_value(
            json!({"metadata": {"name": name, "labels": labels, "annotations": annotations}}),
        )
        .unwrap()
    }

    #[test]
    fn the_status_says_what_the_mechanism_leaves_out() {
        let loss =
            |correlation| NodeFault::NetworkLoss { percent: 10.0, correlation, filter: Default::default() };
        assert_eq!(
            applied_message(&loss(0.0), "iptables-statistic", None),
            "network-loss applied with iptables-statistic"
        );
        assert!(applied_message(&loss(25.0), "iptables-statistic", None).contains("without correlation"));
        assert_eq!(applied_message(&loss(25.0), "netem", None), "network-loss applied with netem");
    }

    #[test]
    fn an_injection_touches_only_the_same_pod_on_this_node_for_a_live_run_in_an_opted_in_namespace() {
        let inj = injection();
        let home = ns("team", json!({PROJECT_LABEL: "team"}), json!({}));
        let opted =
            ns("shop", json!({CHAOS_OPT_IN_LABEL: "enabled"}), json!({CHAOS_PROJECTS_ANNOTATION: "team"}));
        let (p, r) = (pod("p-1", "n1"), run("r-1"));
        assert_eq!(validate(&inj, "n1", Some(&p), Some(&r), Some(&home), Some(&opted)), Ok(()));
        let refused = |pod: Option<&Pod>,
                       run: Option<&ChaosWorkflowRun>,
                       home: Option<&Namespace>,
                       target: Option<&Namespace>| {
            validate(&inj, "n1", pod, run, home, target).unwrap_err()
        };
        assert_eq!(refused(None, Some(&r), Some(&home), Some(&opted)), "pod shop/web does not exist");
        assert!(refused(Some(&pod("p-2", "n1")), Some(&r), Some(&home), Some(&opted))
            .contains("is another pod now"));
        assert_eq!(
            refused(Some(&pod("p-1", "n2")), Some(&r), Some(&home), Some(&opted)),
            "pod shop/web runs on node \"n2\", not on n1"
        );
        assert_eq!(refused(Some(&p), None, Some(&home), Some(&opted)), "run team/r does not exist");
        assert!(refused(Some(&p), Some(&run("r-2")), Some(&home), Some(&opted)).contains("another run"));
        let orphan = ns("team", json!({}), json!({}));
        assert!(refused(Some(&p), Some(&r), Some(&orphan), Some(&opted)).contains("belongs to no project"));
        let other =
            ns("shop", json!({CHAOS_OPT_IN_LABEL: "enabled"}), json!({CHAOS_PROJECTS_ANNOTATION: "other"}));
        assert!(
            refused(Some(&p), Some(&r), Some(&home), Some(&other)).contains("does not allow project team")
        );
        let not_in = ns("shop", json!({}), json!({}));
        assert!(refused(Some(&p), Some(&r), Some(&home), Some(&not_in)).contains("has not opted in"));
    }
}
