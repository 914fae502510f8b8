//! node-cordon, node-taint and node-drain: marking nodes unschedulable, tainting them, evicting their pods
//! (honouring PodDisruptionBudgets through the Eviction API), and undoing each from the target's record.

use super::pod::is_not_found;
use super::{mismatch, Candidate, Fault, FaultContext, FaultError, Origin};
use crate::world::World;
use chaoscenter_core::plan::{FaultAction, NodeTarget, Taint as TaintSpec};
use chaoscenter_crds::run::TargetStatus;
use chaoscenter_crds::workflow::TaintParams;
use k8s_openapi::api::core::v1::{Node, Pod, Taint};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::core::Status;
use kube::Client;

/// node-cordon.
pub struct NodeCordonFault;
/// node-taint.
pub struct NodeTaintFault;
/// node-drain.
pub struct NodeDrainFault;

/// The nodes a node target matches, from the node cache (names, sorted).
pub fn matching(world: &World, target: &NodeTarget) -> Vec<String> {
    let mut names: Vec<String> = world
        .nodes
        .state()
        .iter()
        .filter(|n| target.name.as_deref().is_none_or(|name| n.metadata.name.as_deref() == Some(name)))
        .filter(|n| {
            target
                .selector
                .as_ref()
                .is_none_or(|s| s.matches(n.metadata.labels.as_ref().unwrap_or(&Default::default())))
        })
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    names.sort();
    names
}

fn node_target(action: &FaultAction) -> Option<&NodeTarget> {
    match action {
        FaultAction::NodeAgent(f) => Some(&f.target),
        FaultAction::NodeCordon(f) => Some(&f.target),
        FaultAction::NodeTaint(f) => Some(&f.target),
        FaultAction::NodeDrain(f) => Some(&f.target),
        _ => None,
    }
}

pub(super) async fn node_candidates(
    cx: &FaultContext,
    action: &FaultAction,
    name: &str,
) -> Result<Vec<Candidate>, FaultError> {
    let target = node_target(action).ok_or_else(|| mismatch(name, action))?;
    if !crate::controllers::is_filled(&cx.world.nodes) {
        return Err(FaultError::NotReady("node"));
    }
    Ok(matching(&cx.world, target)
        .into_iter()
        .map(|name| Candidate { kind: "Node", namespace: None, name })
        .collect())
}

#[async_trait::async_trait]
impl Fault for NodeCordonFault {
    async fn candidates(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
    ) -> Result<Vec<Candidate>, FaultError> {
        node_candidates(cx, action, "node-cordon").await
    }

    async fn prepare(
        &self,
        cx: &FaultContext,
        _action: &FaultAction,
        target: &mut TargetStatus,
    ) -> Result<(), FaultError> {
        target.original = Some(unschedulable(&cx.client, &target.name).await?.to_string());
        Ok(())
    }

    async fn inject(
        &self,
        cx: &FaultContext,
        _: &Origin,
        _: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError> {
        set_unschedulable(&cx.client, &target.name, true).await?;
        Ok("cordoned".into())
    }

    /// Uncordons only a node that was schedulable before (recorded in `original`).
    async fn revert(&self, cx: &FaultContext, _: &Origin, target: &TargetStatus) -> Result<(), FaultError> {
        match target.original.as_deref() {
            Some("false") => set_unschedulable(&cx.client, &target.name, false).await,
            _ => Ok(()), // it was cordoned before: leave it so
        }
    }

    async fn verify(&self, cx: &FaultContext, _: &Origin, target: &TargetStatus) -> Result<bool, FaultError> {
        match target.original.as_deref() {
            Some("false") => Ok(!unschedulable(&cx.client, &target.name).await?),
            _ => Ok(true),
        }
    }
}

#[async_trait::async_trait]
impl Fault for NodeDrainFault {
    async fn candidates(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
    ) -> Result<Vec<Candidate>, FaultError> {
        node_candidates(cx, action, "node-drain").await
    }

    /// A drain is a cordon that also evicts: what its revert needs is the cordon's.
    async fn prepare(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
        target: &mut TargetStatus,
    ) -> Result<(), FaultError> {
        NodeCordonFault.prepare(cx, action, target).await
    }

    async fn inject(
        &self,
        cx: &FaultContext,
        _: &Origin,
        action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError> {
        let FaultAction::NodeDrain(f) = action else { return Err(mismatch("node-drain", action)) };
        drain(&cx.client, &target.name, f.grace_period_seconds).await
    }

    async fn revert(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        target: &TargetStatus,
    ) -> Result<(), FaultError> {
        NodeCordonFault.revert(cx, origin, target).await
    }

    async fn verify(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        NodeCordonFault.verify(cx, origin, target).await
    }
}

fn taint_params(taint: &TaintSpec) -> TaintParams {
    TaintParams { key: taint.key.clone(), value: taint.value.clone(), effect: taint.effect }
}

#[async_trait::async_trait]
impl Fault for NodeTaintFault {
    async fn candidates(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
    ) -> Result<Vec<Candidate>, FaultError> {
        node_candidates(cx, action, "node-taint").await
    }

    async fn prepare(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
        target: &mut TargetStatus,
    ) -> Result<(), FaultError> {
        let FaultAction::NodeTaint(f) = action else { return Err(mismatch("node-taint", action)) };
        let taint = taint_params(&f.taint);
        target.original = Some(has_taint(&cx.client, &target.name, &taint).await?.to_string());
        target.taint = Some(taint);
        Ok(())
    }

    async fn inject(
        &self,
        cx: &FaultContext,
        _: &Origin,
        action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError> {
        let FaultAction::NodeTaint(f) = action else { return Err(mismatch("node-taint", action)) };
        let taint = taint_params(&f.taint);
        add_taint(&cx.client, &target.name, &taint).await?;
        Ok(format!("tainted {}:{:?}", taint.key, taint.effect))
    }

    async fn revert(&self, cx: &FaultContext, _: &Origin, target: &TargetStatus) -> Result<(), FaultError> {
        match (target.original.as_deref(), &target.taint) {
            (Some("false"), Some(taint)) => remove_taint(&cx.client, &target.name, taint).await,
            _ => Ok(()), // it carried the taint before (or was never prepared): leave it
        }
    }

    async fn verify(&self, cx: &FaultContext, _: &Origin, target: &TargetStatus) -> Result<bool, FaultError> {
        match (target.original.as_deref(), &target.taint) {
            (Some("false"), Some(taint)) => Ok(!has_taint(&cx.client, &target.name, taint).await?),
            _ => Ok(true),
        }
    }
}

fn nodes(client: &Client) -> Api<Node> {
    Api::all(client.clone())
}

async fn get(client: &Client, name: &str) -> Result<Node, FaultError> {
    nodes(client).get(name).await.map_err(|e| FaultError::kube("get", "Node", name, e))
}

/// Whether the node is cordoned.
async fn unschedulable(client: &Client, name: &str) -> Result<bool, FaultError> {
    Ok(get(client, name).await?.spec.and_then(|s| s.unschedulable).unwrap_or(false))
}

/// Cordons or uncordons the node.
async fn set_unschedulable(client: &Client, name: &str, value: bool) -> Result<(), FaultError> {
    let patch = Patch::Merge(serde_json::json!({"spec": {"unschedulable": value}}));
    nodes(client)
        .patch(name, &PatchParams::default(), &patch)
        .await
        .map_err(|e| FaultError::kube(if value { "cordon" } else { "uncordon" }, "Node", name, e))?;
    Ok(())
}

fn effect(taint: &TaintParams) -> String {
    format!("{:?}", taint.effect)
}

fn matches(t: &Taint, taint: &TaintParams) -> bool {
    t.key == taint.key && t.effect == effect(taint)
}

/// Whether the node carries the taint (same key and effect).
async fn has_taint(client: &Client, name: &str, taint: &TaintParams) -> Result<bool, FaultError> {
    let node = get(client, name).await?;
    Ok(node.spec.and_then(|s| s.taints).unwrap_or_default().iter().any(|t| matches(t, taint)))
}

async fn write_taints(client: &Client, node: Node, taints: Vec<Taint>) -> Result<(), FaultError> {
    let name = node.metadata.name.clone().unwrap_or_default();
    // A JSON merge patch replaces the whole list; resourceVersion makes a concurrent change fail (and retry).
    let patch = Patch::Merge(serde_json::json!({
        "metadata": {"resourceVersion": node.metadata.resource_version},
        "spec": {"taints": taints},
    }));
    nodes(client)
        .patch(&name, &PatchParams::default(), &patch)
        .await
        .map_err(|e| FaultError::kube("update taints of", "Node", &name, e))?;
    Ok(())
}

/// Adds the taint unless it is there.
async fn add_taint(client: &Client, name: &str, taint: &TaintParams) -> Result<(), FaultError> {
    let node = get(client, name).await?;
    let mut taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
    if taints.iter().any(|t| matches(t, taint)) {
        return Ok(());
    }
    taints.push(Taint {
        key: taint.key.clone(),
        value: (!taint.value.is_empty()).then(|| taint.value.clone()),
        effect: effect(taint),
        time_added: None,
    });
    write_taints(client, node, taints).await
}

/// Removes the taint if it is there.
async fn remove_taint(client: &Client, name: &str, taint: &TaintParams) -> Result<(), FaultError> {
    let node = get(client, name).await?;
    let taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
    if !taints.iter().any(|t| matches(t, taint)) {
        return Ok(());
    }
    let kept = taints.into_iter().filter(|t| !matches(t, taint)).collect();
    write_taints(client, node, kept).await
}

/// How long one eviction may take before the pod is counted as kept by a PodDisruptionBudget.
pub const EVICTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Cordons the node and evicts every pod on it except DaemonSet and mirror pods. Evictions a
/// PodDisruptionBudget refuses (429) are skipped and named in the returned note; a later round (with
/// `interval`) tries them again.
async fn drain(client: &Client, name: &str, grace: Option<u32>) -> Result<String, FaultError> {
    set_unschedulable(client, name, true).await?;
    let pods: Api<Pod> = Api::all(client.clone());
    let on_node = pods
        .list(&ListParams::default().fields(&format!("spec.nodeName={name}")))
        .await
        .map_err(|e| FaultError::kube("list pods on", "Node", name, e))?;
    let mut blocked = Vec::new();
    let mut evicted = 0;
    for pod in on_node.items {
        let owned_by_daemonset =
            pod.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet");
        let mirror =
            pod.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
        let finished =
            matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"));
        if owned_by_daemonset || mirror || finished || pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
        // The Eviction is written here rather than with `Api::evict`, whose body names the field
        // `delete_options`: the API server reads `deleteOptions`, so the grace period would be dropped.
        // Like kube's, the body leaves out apiVersion and kind, so each server reads it as the Eviction
        // version it serves (policy/v1beta1 before Kubernetes 1.22, policy/v1 after).
        let mut eviction = serde_json::json!({"metadata": {"name": pod_name, "namespace": ns}});
        if let Some(grace) = grace {
            eviction["deleteOptions"] = serde_json::json!({"gracePeriodSeconds": grace});
        }
        let pp = PostParams::default();
        let evict = api.create_subresource::<_, Status>("eviction", &pod_name, &pp, &eviction);
        // The client retries a 429 (a PodDisruptionBudget refusing) for minutes; give up on that pod sooner.
        match tokio::time::timeout(EVICTION_TIMEOUT, evict).await {
            Ok(Ok(_)) => evicted += 1,
            Ok(Err(e)) if is_not_found(&e) => {}
            Ok(Err(kube::Error::Api(s))) if s.code == 429 => blocked.push(format!("{ns}/{pod_name}")),
            Err(_elapsed) => blocked.push(format!("{ns}/{pod_name}")),
            Ok(Err(e)) => return Err(FaultError::kube("evict", "Pod", &pod_name, e)),
        }
    }
    let mut note = format!("cordoned and evicted {evicted} pod(s)");
    if !blocked.is_empty() {
        note.push_str(&format!("; a PodDisruptionBudget kept {}", blocked.join(", ")));
    }
    Ok(note)
}
