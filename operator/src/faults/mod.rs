//! Faults injected through the Kubernetes API, one [`Fault`] implementation per fault type: finding the
//! candidate targets, saving what a revert needs, injecting, reverting and verifying the revert, per
//! target. Every operation is idempotent, so a restarted operator may repeat any of them safely, and a
//! revert needs nothing but the target's record in the run's status.
//!
//! Adding a fault type: its parameters and their validation go into `chaoscenter-core` (`plan.rs`,
//! `validate.rs`); its cluster side is one file here implementing [`Fault`], registered in [`of`] and
//! [`by_name`].

use crate::world::World;
use chaoscenter_core::plan::FaultAction;
use chaoscenter_crds::run::TargetStatus;
use kube::Client;

pub mod agent;
mod network;
pub mod node;
mod pod;
mod scale;
#[cfg(test)]
mod tests;

pub use pod::is_not_found;

/// Why a fault operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    #[error("failed to {action} {kind} {name}: {source}")]
    Kube {
        action: &'static str,
        kind: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    /// A cache the operation reads is not filled yet: try again shortly.
    #[error("the operator's {0} cache is still filling")]
    NotReady(&'static str),
    #[error("{0}")]
    Invalid(String),
}

impl FaultError {
    fn kube(action: &'static str, kind: &'static str, name: &str, source: kube::Error) -> Self {
        Self::Kube { action, kind, name: name.to_string(), source }
    }
}

/// What fault operations work with: the API client and the caches.
#[derive(Clone)]
pub struct FaultContext {
    pub client: Client,
    pub world: World,
}

/// The run and step a fault operation acts for (names NetworkPolicies, labels and injections).
#[derive(Clone, Debug)]
pub struct Origin {
    pub run: String,
    pub run_uid: String,
    /// The run's namespace (where its ChaosInjections live).
    pub namespace: String,
    pub step: String,
    /// How long the step's chaos lasts: what a fault holds must be gone that long after it was injected
    /// (the node agent's dead-man switch counts from it).
    pub duration: std::time::Duration,
}

/// An object a fault may hit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub kind: &'static str,
    pub namespace: Option<String>,
    pub name: String,
}

impl Candidate {
    /// The status entry recording this target of fault `fault`, before anything is injected.
    pub fn to_status(&self, fault: &str, round: u32) -> TargetStatus {
        TargetStatus {
            kind: self.kind.to_string(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            round,
            fault: fault.to_string(),
            ..Default::default()
        }
    }
}

/// The cluster side of one fault type. Implementations receive the step's validated parameters (of
/// their own type; [`of`] picks the implementation) and the target's record.
#[async_trait::async_trait]
pub trait Fault: Send + Sync {
    /// The objects the step's target matches now, before the target mode picks among them.
    async fn candidates(&self, cx: &FaultContext, action: &FaultAction)
        -> Result<Vec<Candidate>, FaultError>;

    /// Records in `target` what its revert will need, read fresh from the cluster before injecting.
    async fn prepare(
        &self,
        _cx: &FaultContext,
        _action: &FaultAction,
        _target: &mut TargetStatus,
    ) -> Result<(), FaultError> {
        Ok(())
    }

    /// Whether a recorded target already carries the fault: asked before injecting a round again that was
    /// interrupted (the operator restarted between injecting and recording it). True only where
    /// injecting again would repeat an effect; re-applying a state is harmless and needs no check.
    async fn already_injected(
        &self,
        _cx: &FaultContext,
        _origin: &Origin,
        _action: &FaultAction,
        _target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        Ok(false)
    }

    /// Injects into one recorded target; returns what was done, in words.
    async fn inject(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError>;

    /// Reverts one target from its record alone (idempotent).
    async fn revert(
        &self,
        _cx: &FaultContext,
        _origin: &Origin,
        _target: &TargetStatus,
    ) -> Result<(), FaultError> {
        Ok(())
    }

    /// Whether the revert is visible in the cluster.
    async fn verify(
        &self,
        _cx: &FaultContext,
        _origin: &Origin,
        _target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        Ok(true)
    }
}

/// The implementation of a validated fault.
pub fn of(action: &FaultAction) -> &'static dyn Fault {
    match action {
        FaultAction::PodDelete(_) => &pod::PodDeleteFault,
        FaultAction::PodAutoscaler(_) => &scale::PodAutoscalerFault,
        FaultAction::NodeCordon(_) => &node::NodeCordonFault,
        FaultAction::NodeTaint(_) => &node::NodeTaintFault,
        FaultAction::NodeDrain(_) => &node::NodeDrainFault,
        FaultAction::NetworkPartition(_) => &network::NetworkPartitionFault,
        FaultAction::Network(_) | FaultAction::PodAgent(_) | FaultAction::NodeAgent(_) => &agent::AgentFault,
    }
}

/// The implementation that reverts a target recorded with fault type `name`.
pub fn by_name(name: &str) -> Option<&'static dyn Fault> {
    Some(match name {
        "pod-delete" => &pod::PodDeleteFault,
        "pod-autoscaler" => &scale::PodAutoscalerFault,
        "node-cordon" => &node::NodeCordonFault,
        "node-taint" => &node::NodeTaintFault,
        "node-drain" => &node::NodeDrainFault,
        // either mechanism: the revert removes both (each is a no-op where it was not used)
        "network-partition" => &network::AnyPartitionFault,
        "network-delay" | "network-loss" | "network-duplicate" | "network-corrupt" | "network-rate"
        | "container-kill" | "pod-cpu-stress" | "pod-memory-stress" | "pod-io-stress" | "disk-fill"
        | "dns-error" | "dns-spoof" | "http-latency" | "http-abort" | "http-status" | "http-modify"
        | "node-cpu-stress" | "node-memory-stress" => &agent::AgentFault,
        _ => return None,
    })
}

/// An implementation's parameters were not of its type (a registration mistake, never user input).
fn mismatch(expected: &str, action: &FaultAction) -> FaultError {
    FaultError::Invalid(format!("internal error: {} parameters given to {expected}", action.name()))
}

/// A reference to a target object (the `related` object of Events about it).
pub fn reference(target: &TargetStatus) -> k8s_openapi::api::core::v1::ObjectReference {
    let api_version =
        if matches!(target.kind.as_str(), "Deployment" | "StatefulSet") { "apps/v1" } else { "v1" };
    k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some(api_version.into()),
        kind: Some(target.kind.clone()),
        namespace: target.namespace.clone(),
        name: Some(target.name.clone()),
        ..Default::default()
    }
}

/// A target in words, e.g. `Pod shop/web-1` or `Node worker-2`.
pub fn describe(target: &TargetStatus) -> String {
    match &target.namespace {
        Some(ns) => format!("{} {ns}/{}", target.kind, target.name),
        None => format!("{} {}", target.kind, target.name),
    }
}
