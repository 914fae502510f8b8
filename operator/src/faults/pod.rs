//! pod-delete: deleting target pods, gracefully or forcefully; and finding the pods a workload owns.

use super::FaultError;
use chaoscenter_crds::run::TargetStatus;
use chaoscenter_crds::workflow::{Fault, TargetKind};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams};
use kube::Client;

/// The pods a target names: by selector/name, or (kind Deployment/StatefulSet with a name) the pods that
/// workload selects.
pub async fn owned_or_selected(
    client: &Client,
    api: &Api<Pod>,
    fault: &Fault,
    lp: ListParams,
) -> Result<Vec<Pod>, FaultError> {
    let ns = fault.target.namespace.clone().unwrap_or_default();
    let workload_selector = match (fault.target.kind, &fault.target.name) {
        (Some(TargetKind::Deployment), Some(name)) => {
            let d = Api::<Deployment>::namespaced(client.clone(), &ns)
                .get(name)
                .await
                .map_err(|e| FaultError::kube("get", "Deployment", name, e))?;
            Some(d.spec.map(|s| s.selector).unwrap_or_default())
        }
        (Some(TargetKind::StatefulSet), Some(name)) => {
            let s = Api::<StatefulSet>::namespaced(client.clone(), &ns)
                .get(name)
                .await
                .map_err(|e| FaultError::kube("get", "StatefulSet", name, e))?;
            Some(s.spec.map(|s| s.selector).unwrap_or_default())
        }
        _ => None,
    };
    let lp = match workload_selector {
        Some(selector) => ListParams::default().labels(&super::selector_string(&selector)),
        None => lp,
    };
    Ok(api.list(&lp).await.map_err(|e| FaultError::kube("list", "Pod", "", e))?.items)
}

/// Deletes one pod (already gone counts as done).
pub async fn delete(client: &Client, fault: &Fault, target: &TargetStatus) -> Result<(), FaultError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), target.namespace.as_deref().unwrap_or_default());
    let mut dp = DeleteParams::default();
    if fault.params.force == Some(true) {
        dp.grace_period_seconds = Some(0);
    } else if let Some(grace) = fault.params.grace_period_seconds {
        dp.grace_period_seconds = Some(grace.max(0) as u32);
    }
    match api.delete(&target.name, &dp).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(FaultError::kube("delete", "Pod", &target.name, e)),
    }
}

/// True for a 404 from the API server.
pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
