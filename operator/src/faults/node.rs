//! node-cordon, node-taint and node-drain: marking nodes unschedulable, tainting them, evicting their pods
//! (honouring PodDisruptionBudgets through the Eviction API), and undoing each.

use super::pod::is_not_found;
use super::FaultError;
use chaoscenter_crds::workflow::TaintParams;
use k8s_openapi::api::core::v1::{Node, Pod, Taint};
use kube::api::{Api, DeleteParams, EvictParams, ListParams, Patch, PatchParams};
use kube::Client;

fn nodes(client: &Client) -> Api<Node> {
    Api::all(client.clone())
}

async fn get(client: &Client, name: &str) -> Result<Node, FaultError> {
    nodes(client).get(name).await.map_err(|e| FaultError::kube("get", "Node", name, e))
}

/// Whether the node is cordoned.
pub async fn unschedulable(client: &Client, name: &str) -> Result<bool, FaultError> {
    Ok(get(client, name).await?.spec.and_then(|s| s.unschedulable).unwrap_or(false))
}

/// Cordons or uncordons the node.
pub async fn set_unschedulable(client: &Client, name: &str, value: bool) -> Result<(), FaultError> {
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
pub async fn has_taint(client: &Client, name: &str, taint: &TaintParams) -> Result<bool, FaultError> {
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
pub async fn add_taint(client: &Client, name: &str, taint: &TaintParams) -> Result<(), FaultError> {
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
pub async fn remove_taint(client: &Client, name: &str, taint: &TaintParams) -> Result<(), FaultError> {
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
pub async fn drain(client: &Client, name: &str, grace: Option<i64>) -> Result<String, FaultError> {
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
        let mut params = EvictParams::default();
        if let Some(grace) = grace {
            params.delete_options =
                Some(DeleteParams { grace_period_seconds: Some(grace.max(0) as u32), ..Default::default() });
        }
        // The client retries a 429 (a PodDisruptionBudget refusing) for minutes; give up on that pod sooner.
        match tokio::time::timeout(EVICTION_TIMEOUT, api.evict(&pod_name, &params)).await {
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
