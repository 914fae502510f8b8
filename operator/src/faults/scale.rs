//! pod-autoscaler: scaling a Deployment or StatefulSet to a replica count and back to the count recorded
//! before.

use super::{mismatch, Candidate, Fault, FaultContext, FaultError, Origin};
use chaoscenter_core::plan::{FaultAction, WorkloadKind};
use chaoscenter_crds::run::TargetStatus;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::Client;

/// pod-autoscaler.
pub struct PodAutoscalerFault;

#[async_trait::async_trait]
impl Fault for PodAutoscalerFault {
    async fn candidates(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
    ) -> Result<Vec<Candidate>, FaultError> {
        let FaultAction::PodAutoscaler(f) = action else { return Err(mismatch("pod-autoscaler", action)) };
        let t = &f.target;
        let mut lp = ListParams::default();
        if let Some(selector) = &t.selector {
            lp = lp.labels(&selector.query());
        }
        if let Some(name) = &t.name {
            lp = lp.fields(&format!("metadata.name={name}"));
        }
        let ns = t.namespace.as_str();
        let names: Vec<String> = match t.kind {
            WorkloadKind::Deployment => Api::<Deployment>::namespaced(cx.client.clone(), ns)
                .list_metadata(&lp)
                .await
                .map_err(|e| FaultError::kube("list", "Deployment", "", e))?
                .items
                .into_iter()
                .filter_map(|d| d.metadata.name)
                .collect(),
            WorkloadKind::StatefulSet => Api::<StatefulSet>::namespaced(cx.client.clone(), ns)
                .list_metadata(&lp)
                .await
                .map_err(|e| FaultError::kube("list", "StatefulSet", "", e))?
                .items
                .into_iter()
                .filter_map(|d| d.metadata.name)
                .collect(),
        };
        Ok(names
            .into_iter()
            .map(|name| Candidate { kind: t.kind.as_str(), namespace: Some(ns.to_string()), name })
            .collect())
    }

    async fn prepare(
        &self,
        cx: &FaultContext,
        _action: &FaultAction,
        target: &mut TargetStatus,
    ) -> Result<(), FaultError> {
        target.original = Some(current(&cx.client, target).await?.to_string());
        Ok(())
    }

    async fn inject(
        &self,
        cx: &FaultContext,
        _origin: &Origin,
        action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError> {
        let FaultAction::PodAutoscaler(f) = action else { return Err(mismatch("pod-autoscaler", action)) };
        let replicas =
            i32::try_from(f.replicas).map_err(|_| FaultError::Invalid("replicas out of range".into()))?;
        set(&cx.client, target, replicas).await?;
        Ok(format!("scaled to {replicas} replica(s)"))
    }

    async fn revert(
        &self,
        cx: &FaultContext,
        _origin: &Origin,
        target: &TargetStatus,
    ) -> Result<(), FaultError> {
        match original(target) {
            Some(replicas) => set(&cx.client, target, replicas).await,
            None => Ok(()), // never prepared, so never scaled
        }
    }

    async fn verify(
        &self,
        cx: &FaultContext,
        _origin: &Origin,
        target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        match original(target) {
            Some(replicas) => Ok(current(&cx.client, target).await? == replicas),
            None => Ok(true),
        }
    }
}

fn original(target: &TargetStatus) -> Option<i32> {
    target.original.as_deref().and_then(|o| o.parse().ok())
}

/// The target's current `spec.replicas`.
async fn current(client: &Client, target: &TargetStatus) -> Result<i32, FaultError> {
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
async fn set(client: &Client, target: &TargetStatus, replicas: i32) -> Result<(), FaultError> {
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
