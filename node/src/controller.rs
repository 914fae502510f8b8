//! The controller of this node's ChaosInjections: checks each against the cluster (fail closed), applies
//! it through the agent, reverts it when asked, deleted or expired, and reports in its status.

use crate::agent::{Agent, Reverted};
use chaoscenter_core::optin;
use chaoscenter_crds::common::PROJECT_LABEL;
use chaoscenter_crds::injection::{ChaosInjection, ChaosInjectionStatus, InjectionPhase, AGENT_FINALIZER};
use chaoscenter_crds::ChaosWorkflowRun;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Client, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

/// What the controller needs.
pub struct Context {
    pub client: Client,
    pub agent: Arc<Agent>,
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

/// Reconciles one injection.
pub async fn reconcile(injection: Arc<ChaosInjection>, ctx: Arc<Context>) -> Result<Action, Error> {
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
        let reverted = match agent.revert(&uid).await {
            Some(r) => Some(r),
            None => agent.take_reverted(&uid),
        };
        if reverted.as_ref().is_none_or(|r| r.verified) {
            if has_finalizer {
                set_finalizer(&api, &injection, false).await?;
            }
            return Ok(Action::await_change());
        }
        if let Some(r) = reverted {
            agent.keep_reverted(&uid, r);
        }
        return Ok(Action::requeue(Duration::from_secs(10)));
    }

    let finished = matches!(status.phase, Some(InjectionPhase::Reverted | InjectionPhase::Failed));
    if finished || injection.spec.revert || expired {
        let reverted = match agent.revert(&uid).await {
            Some(r) => Some(r),
            None => agent.take_reverted(&uid),
        };
        if !finished || reverted.is_some() {
            let r = reverted.clone().unwrap_or_else(|| Reverted {
                at: jiff::Timestamp::now().to_string(),
                verified: true,
                message: Some(if expires.is_none() {
                    format!("spec.expiresAt {:?} is not RFC 3339: never applied", injection.spec.expires_at)
                } else {
                    "ended before it was applied".into()
                }),
            });
            let mut status = status.clone();
            status.phase =
                Some(if finished { status.phase.unwrap_or_default() } else { InjectionPhase::Reverted });
            status.reverted_at = Some(r.at.clone());
            status.revert_verified = r.verified;
            status.message = r.message.clone().or(status.message);
            if let Err(e) = write_status(&api, &injection, status).await {
                if let Some(r) = reverted {
                    agent.keep_reverted(&uid, r);
                }
                return Err(e);
            }
        }
        let verified = reverted.as_ref().is_none_or(|r| r.verified);
        if verified && has_finalizer {
            set_finalizer(&api, &injection, false).await?;
        }
        return Ok(if verified { Action::await_change() } else { Action::requeue(Duration::from_secs(30)) });
    }

    let until_expiry = expires
        .map(|e| e.duration_since(jiff::Timestamp::now()).unsigned_abs() + Duration::from_secs(1))
        .unwrap_or_default();
    if agent.is_active(&uid) {
        return Ok(Action::requeue(until_expiry));
    }
    // an earlier agent's fault was removed by the journal replay: apply it again
    let _ = agent.take_reverted(&uid);
    if !has_finalizer {
        set_finalizer(&api, &injection, true).await?;
    }
    let checked = check(&ctx.client, &injection, &agent.config.node_name).await?;
    let applied = match checked {
        Ok(()) => agent.apply(&injection).await,
        Err(refusal) => Err(refusal),
    };
    let mut status = ChaosInjectionStatus {
        agent: Some(agent.config.identity.clone()),
        observed_generation: injection.metadata.generation,
        ..Default::default()
    };
    match applied {
        Ok(applied) => {
            status.phase = Some(InjectionPhase::Injected);
            status.mechanism = Some(applied.mechanism.name().into());
            status.netns_inode = Some(applied.netns_inode);
            status.injected_at = Some(applied.injected_at);
            status.message =
                Some(format!("{} applied with {}", injection.spec.fault.name(), applied.mechanism.name()));
            write_status(&api, &injection, status).await?;
            Ok(Action::requeue(until_expiry))
        }
        Err(message) => {
            tracing::warn!(injection = %uid, "refused: {message}");
            status.phase = Some(InjectionPhase::Failed);
            status.message = Some(message);
            write_status(&api, &injection, status).await?;
            set_finalizer(&api, &injection, false).await?;
            Ok(Action::await_change())
        }
    }
}

/// Whether the injection may touch its pod, right now: the pod is the same pod and on this node, the run
/// exists, and the pod's namespace opted in to chaos for the run's project. `Ok(Err(why))` names what is
/// missing; `Err` is a transient API failure.
async fn check(client: &Client, injection: &ChaosInjection, node: &str) -> Result<Result<(), String>, Error> {
    let spec = &injection.spec;
    let target = &spec.target;
    let home = injection.namespace().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &target.namespace);
    let Some(pod) = pods.get_opt(&target.name).await.map_err(err("read the target pod"))? else {
        return Ok(Err(format!("pod {}/{} does not exist", target.namespace, target.name)));
    };
    if pod.uid().as_deref() != Some(target.uid.as_str()) {
        return Ok(Err(format!(
            "pod {}/{} is another pod now (uid {}, the injection names {})",
            target.namespace,
            target.name,
            pod.uid().unwrap_or_default(),
            target.uid
        )));
    }
    let on = pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
    if on != node {
        return Ok(Err(format!(
            "pod {}/{} runs on node {on:?}, not on {node}",
            target.namespace, target.name
        )));
    }
    let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &home);
    let Some(run) = runs.get_opt(&spec.run.name).await.map_err(err("read the run"))? else {
        return Ok(Err(format!("run {home}/{} does not exist", spec.run.name)));
    };
    if run.uid().as_deref() != Some(spec.run.uid.as_str()) {
        return Ok(Err(format!("run {home}/{} is another run now (uid differs)", spec.run.name)));
    }
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let Some(home_ns) = namespaces.get_opt(&home).await.map_err(err("read the run's namespace"))? else {
        return Ok(Err(format!("namespace {home} does not exist")));
    };
    let Some(project) = home_ns.labels().get(PROJECT_LABEL).cloned() else {
        return Ok(Err(format!("namespace {home} belongs to no project (it has no label {PROJECT_LABEL})")));
    };
    let Some(target_ns) =
        namespaces.get_opt(&target.namespace).await.map_err(err("read the pod's namespace"))?
    else {
        return Ok(Err(format!("namespace {} does not exist", target.namespace)));
    };
    let said =
        optin::check(target_ns.metadata.labels.as_ref(), target_ns.metadata.annotations.as_ref(), &project);
    if let Some(refusal) = said.refusal(&format!("namespace {}", target.namespace), &project) {
        return Ok(Err(refusal));
    }
    Ok(Ok(()))
}

async fn write_status(
    api: &Api<ChaosInjection>,
    inj: &ChaosInjection,
    status: ChaosInjectionStatus,
) -> Result<(), Error> {
    let patch = serde_json::json!({ "status": status });
    api.patch_status(&inj.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(err("write the injection's status"))?;
    Ok(())
}

/// Adds or removes the agent's finalizer (the patch carries the resourceVersion it was computed from, so
/// a concurrent change of the list makes it fail and retry instead of losing that change).
async fn set_finalizer(api: &Api<ChaosInjection>, inj: &ChaosInjection, present: bool) -> Result<(), Error> {
    let mut finalizers: Vec<String> =
        inj.finalizers().iter().filter(|f| *f != AGENT_FINALIZER).cloned().collect();
    if present {
        finalizers.push(AGENT_FINALIZER.into());
    }
    let patch = serde_json::json!({
        "metadata": { "finalizers": finalizers, "resourceVersion": inj.resource_version() }
    });
    match api.patch(&inj.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 && !present => Ok(()),
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
