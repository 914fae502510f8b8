//! pod-autoscaler: scaling a Deployment or StatefulSet to a replica count and back.

use super::FaultError;
use chaoscenter_crds::run::TargetStatus;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use kube::api::{Api, Patch, PatchParams};
use kube::Client;

/// The target's current `spec.replicas`.
pub async fn current(client: &Client, target: &TargetStatus) -> Result<i32, FaultError> {
    let ns = target.namespace.as_deref().unwrap_or_default();
    let replicas = if target.kind == "StatefulSet" {
        let s = Api::<StatefulSet>::namespaced(client.clone(), ns)
            .get(&target.name)
            .await
            .map_err(|e| FaultError::kube("get", "StatefulSet", &target.name, e))?;
        s.spec.and_then(|s| s.replicas)
    } else {
        let d = Api::<Deployment>::namespaced(client.clone(), ns)
            .get(&target.name)
            .await
            .map_err(|e| FaultError::kube("get", "Deployment", &target.name, e))?;
        d.spec.and_then(|s| s.replicas)
    };
    Ok(replicas.unwrap_or(1))
}

/// Sets the target's `spec.replicas`.
pub async fn set(client: &Client, target: &TargetStatus, replicas: i32) -> Result<(), FaultError> {
    let ns = target.namespace.as_deref().unwrap_or_default();
    let patch = Patch::Merge(serde_json::json!({"spec": {"replicas": replicas}}));
    let pp = PatchParams::default();
    if target.kind == "StatefulSet" {
        Api::<StatefulSet>::namespaced(client.clone(), ns)
            .patch(&target.name, &pp, &patch)
            .await
            .map_err(|e| FaultError::kube("scale", "StatefulSet", &target.name, e))?;
    } else {
        Api::<Deployment>::namespaced(client.clone(), ns)
            .patch(&target.name, &pp, &patch)
            .await
            .map_err(|e| FaultError::kube("scale", "Deployment", &target.name, e))?;
    }
    Ok(())
}
