//! pod-delete: deleting target pods, gracefully or forcefully; and finding the pods a pod target means
//! (in the pod cache, by selector and name, or the pods a named workload selects).

use super::{mismatch, Candidate, Fault, FaultContext, FaultError, Origin};
use chaoscenter_core::field::{Errors, Path};
use chaoscenter_core::plan::{FaultAction, PodSource, PodTarget, WorkloadKind};
use chaoscenter_core::selector::Selector;
use chaoscenter_crds::run::TargetStatus;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams};

/// pod-delete.
pub struct PodDeleteFault;

#[async_trait::async_trait]
impl Fault for PodDeleteFault {
    async fn candidates(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
    ) -> Result<Vec<Candidate>, FaultError> {
        let FaultAction::PodDelete(f) = action else { return Err(mismatch("pod-delete", action)) };
        pod_candidates(cx, &f.target).await
    }

    /// A pod that is gone or already terminating was deleted by the interrupted round: deleting it again
    /// during its grace period would count twice.
    async fn already_injected(
        &self,
        cx: &FaultContext,
        _origin: &Origin,
        _action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        let api: Api<Pod> =
            Api::namespaced(cx.client.clone(), target.namespace.as_deref().unwrap_or_default());
        let pod =
            api.get_opt(&target.name).await.map_err(|e| FaultError::kube("get", "Pod", &target.name, e))?;
        Ok(pod.is_none_or(|p| p.metadata.deletion_timestamp.is_some()))
    }

    async fn inject(
        &self,
        cx: &FaultContext,
        _origin: &Origin,
        action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError> {
        let FaultAction::PodDelete(f) = action else { return Err(mismatch("pod-delete", action)) };
        let api: Api<Pod> =
            Api::namespaced(cx.client.clone(), target.namespace.as_deref().unwrap_or_default());
        let dp = DeleteParams { grace_period_seconds: f.grace_period_seconds, ..DeleteParams::default() };
        match api.delete(&target.name, &dp).await {
            Ok(_) => Ok("deleted".into()),
            // gone already: deleted by an earlier try of this round (before a restart) or just now by
            // something else; either way the pod the round chose is gone
            Err(e) if is_not_found(&e) => Ok("already gone".into()),
            Err(e) => Err(FaultError::kube("delete", "Pod", &target.name, e)),
        }
    }
}

/// The Running pods (not being deleted) a pod target means, from the pod cache.
pub async fn pod_candidates(cx: &FaultContext, target: &PodTarget) -> Result<Vec<Candidate>, FaultError> {
    if !crate::controllers::is_filled(&cx.world.pods) {
        return Err(FaultError::NotReady("pod"));
    }
    let ns = target.namespace.as_str();
    let owned_selector;
    let (selector, name) = match &target.pods {
        PodSource::Matching { selector, name } => (selector.as_ref(), name.as_deref()),
        PodSource::OwnedBy { kind, name } => {
            owned_selector = workload_selector(cx, ns, *kind, name).await?;
            (Some(&owned_selector), None)
        }
    };
    let mut found: Vec<Candidate> = cx
        .world
        .pods
        .state()
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(ns))
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter(|p| name.is_none_or(|n| p.metadata.name.as_deref() == Some(n)))
        .filter(|p| {
            selector.is_none_or(|s| s.matches(p.metadata.labels.as_ref().unwrap_or(&Default::default())))
        })
        .map(|p| Candidate {
            kind: "Pod",
            namespace: Some(ns.to_string()),
            name: p.metadata.name.clone().unwrap_or_default(),
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The pod selector of a Deployment or StatefulSet, read from the API.
async fn workload_selector(
    cx: &FaultContext,
    ns: &str,
    kind: WorkloadKind,
    name: &str,
) -> Result<Selector, FaultError> {
    let selector = match kind {
        WorkloadKind::Deployment => Api::<Deployment>::namespaced(cx.client.clone(), ns)
            .get(name)
            .await
            .map_err(|e| FaultError::kube("get", "Deployment", name, e))?
            .spec
            .map(|s| s.selector),
        WorkloadKind::StatefulSet => Api::<StatefulSet>::namespaced(cx.client.clone(), ns)
            .get(name)
            .await
            .map_err(|e| FaultError::kube("get", "StatefulSet", name, e))?
            .spec
            .map(|s| s.selector),
    };
    let mut errors = Errors::default();
    match selector.and_then(|s| Selector::parse(&s, &Path::root("spec.selector"), &mut errors)) {
        Some(Some(selector)) => Ok(selector),
        _ => Err(FaultError::Invalid(format!("{} {ns}/{name} has no usable pod selector", kind.as_str()))),
    }
}

/// True for a 404 from the API server.
pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
