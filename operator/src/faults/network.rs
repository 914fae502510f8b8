//! network-partition: isolating target pods with a NetworkPolicy that selects a label the fault puts on
//! them (so the target mode can pick single pods), and removing both afterwards. The policy's name and
//! the label's value derive from the run's uid and the step's name, both in the target's record.

use super::pod::{is_not_found, pod_candidates};
use super::{mismatch, Candidate, Fault, FaultContext, FaultError, Origin};
use chaoscenter_core::plan::FaultAction;
use chaoscenter_crds::common::RUN_LABEL;
use chaoscenter_crds::run::TargetStatus;
use chaoscenter_crds::workflow::PartitionDirection;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};

/// Label put on isolated pods; its value names the run's step.
pub const PARTITION_LABEL: &str = "chaoscenter.io/partition";

/// network-partition.
pub struct NetworkPartitionFault;

/// The NetworkPolicy name and label value for a run's step (≤ 63 characters).
pub fn partition_id(origin: &Origin) -> String {
    let uid: String = origin.run_uid.chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect();
    let step: String = origin.step.chars().take(40).collect();
    format!("cc-{uid}-{step}").trim_end_matches('-').to_string()
}

fn policy(origin: &Origin, direction: PartitionDirection) -> NetworkPolicy {
    let id = partition_id(origin);
    let types = match direction {
        PartitionDirection::Ingress => vec!["Ingress"],
        PartitionDirection::Egress => vec!["Egress"],
        PartitionDirection::Both => vec!["Ingress", "Egress"],
    };
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": id, "labels": {RUN_LABEL: origin.run, "app.kubernetes.io/managed-by": "chaoscenter"}},
        "spec": {"podSelector": {"matchLabels": {PARTITION_LABEL: id}}, "policyTypes": types},
    }))
    .expect("a NetworkPolicy literal deserializes")
}

#[async_trait::async_trait]
impl Fault for NetworkPartitionFault {
    async fn candidates(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
    ) -> Result<Vec<Candidate>, FaultError> {
        let FaultAction::NetworkPartition(f) = action else {
            return Err(mismatch("network-partition", action));
        };
        pod_candidates(cx, &f.target).await
    }

    /// Creates the step's deny-all policy (once) and labels the pod so the policy selects it.
    async fn inject(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError> {
        let FaultAction::NetworkPartition(f) = action else {
            return Err(mismatch("network-partition", action));
        };
        let ns = target.namespace.as_deref().unwrap_or_default();
        let policies: Api<NetworkPolicy> = Api::namespaced(cx.client.clone(), ns);
        match policies.create(&PostParams::default(), &policy(origin, f.direction)).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(FaultError::kube("create", "NetworkPolicy", &partition_id(origin), e)),
        }
        let pods: Api<Pod> = Api::namespaced(cx.client.clone(), ns);
        let patch = Patch::Merge(
            serde_json::json!({"metadata": {"labels": {PARTITION_LABEL: partition_id(origin)}}}),
        );
        pods.patch(&target.name, &PatchParams::default(), &patch)
            .await
            .map_err(|e| FaultError::kube("label", "Pod", &target.name, e))?;
        Ok(format!("isolated by NetworkPolicy {}", partition_id(origin)))
    }

    /// Removes the label from the pod (if it still exists) and deletes the step's policy.
    async fn revert(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        target: &TargetStatus,
    ) -> Result<(), FaultError> {
        let ns = target.namespace.as_deref().unwrap_or_default();
        let pods: Api<Pod> = Api::namespaced(cx.client.clone(), ns);
        let patch = Patch::Merge(serde_json::json!({"metadata": {"labels": {PARTITION_LABEL: null}}}));
        match pods.patch(&target.name, &PatchParams::default(), &patch).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(FaultError::kube("unlabel", "Pod", &target.name, e)),
        }
        let policies: Api<NetworkPolicy> = Api::namespaced(cx.client.clone(), ns);
        match policies.delete(&partition_id(origin), &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(FaultError::kube("delete", "NetworkPolicy", &partition_id(origin), e)),
        }
    }

    /// True when the policy is gone and the pod (if it exists) no longer carries the label.
    async fn verify(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        let ns = target.namespace.as_deref().unwrap_or_default();
        let policies: Api<NetworkPolicy> = Api::namespaced(cx.client.clone(), ns);
        let policy_gone = policies
            .get_opt(&partition_id(origin))
            .await
            .map_err(|e| FaultError::kube("get", "NetworkPolicy", &partition_id(origin), e))?
            .is_none();
        let pods: Api<Pod> = Api::namespaced(cx.client.clone(), ns);
        let pod =
            pods.get_opt(&target.name).await.map_err(|e| FaultError::kube("get", "Pod", &target.name, e))?;
        let unlabelled =
            pod.is_none_or(|p| !p.metadata.labels.unwrap_or_default().contains_key(PARTITION_LABEL));
        Ok(policy_gone && unlabelled)
    }
}
