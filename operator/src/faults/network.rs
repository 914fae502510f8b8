//! network-partition by NetworkPolicy (`params.mechanism: network-policy`): isolating target pods with a
//! policy that selects a label the fault puts on them (so the target mode can pick single pods), checking
//! that the pod really is cut off (many network plugins do not enforce policies), and removing both
//! afterwards. The policy's name and the label's value derive from the run's uid and the step's name,
//! both in the target's record.

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

/// network-partition with mechanism network-policy.
pub struct NetworkPartitionFault;

/// How long a NetworkPolicy gets to take effect before the partition counts as ineffective.
pub const EFFECT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What connecting to an isolated pod showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// A connection attempt went unanswered (dropped, as an enforced policy does).
    Cut,
    /// The pod still answered all along (how, in words).
    Reachable(String),
    /// Nothing could be tried (why, in words).
    Unchecked(String),
}

/// The address a partition's effect is checked at: the pod's IP and its first declared TCP port, else a
/// port that is most likely closed (a refusal shows the pod is reachable just as well as an answer).
fn address_of(pod: &Pod) -> Option<(std::net::IpAddr, u16)> {
    let ip = pod.status.as_ref()?.pod_ip.as_deref()?.parse().ok()?;
    let port = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
        .and_then(|p| u16::try_from(p.container_port).ok())
        .unwrap_or(9);
    Some((ip, port))
}

/// What one connection attempt (at most 1 s) met.
enum Attempt {
    /// The pod answered: accepted, or refused (its stack got the packets).
    Answered(String),
    /// No answer at all: the packets were dropped.
    Silent,
    /// Another error (no route, unreachable): says nothing about a policy.
    Failed(String),
}

async fn attempt(ip: std::net::IpAddr, port: u16) -> Attempt {
    let connect = tokio::net::TcpStream::connect((ip, port));
    match tokio::time::timeout(std::time::Duration::from_secs(1), connect).await {
        Err(_) => Attempt::Silent,
        Ok(Ok(_)) => Attempt::Answered(format!("accepted connections on port {port}")),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Attempt::Answered(format!("answered connections on port {port} (refused)"))
        }
        Ok(Err(e)) => Attempt::Failed(e.to_string()),
    }
}

/// Whether `pod` answers the operator before it is isolated: only then does silence afterwards mean the
/// policy works.
async fn answers_before(pod: &Pod) -> Result<(std::net::IpAddr, u16), String> {
    let (ip, port) = address_of(pod).ok_or("the pod has no IP address")?;
    match attempt(ip, port).await {
        Attempt::Answered(_) => Ok((ip, port)),
        Attempt::Silent => Err(format!("the pod did not answer on port {port} even before it was isolated")),
        Attempt::Failed(e) => Err(format!("the pod could not be reached even before it was isolated: {e}")),
    }
}

/// Whether the isolated pod (uid `uid`) still answers at `address`, trying for up to `wait`. Silence counts
/// only while the pod still exists, unchanged and not terminating.
async fn connect_check(
    pods: &Api<Pod>,
    name: &str,
    uid: &str,
    address: (std::net::IpAddr, u16),
    wait: std::time::Duration,
) -> Effect {
    let started = tokio::time::Instant::now();
    let mut how = String::new();
    while started.elapsed() < wait {
        match attempt(address.0, address.1).await {
            Attempt::Answered(text) => how = text,
            Attempt::Silent => {
                let pod = pods.get_opt(name).await.ok().flatten();
                let same = pod.as_ref().is_some_and(|p| {
                    p.metadata.uid.as_deref() == Some(uid)
                        && p.metadata.deletion_timestamp.is_none()
                        && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
                });
                return if same {
                    Effect::Cut
                } else {
                    Effect::Unchecked("the pod went away while it was checked".into())
                };
            }
            Attempt::Failed(e) => return Effect::Unchecked(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Effect::Reachable(how)
}

/// network-partition as recorded in a target, whichever mechanism made it: the revert removes both the
/// NetworkPolicy and the node agent's injection (each a no-op where it was not used).
pub struct AnyPartitionFault;

#[async_trait::async_trait]
impl Fault for AnyPartitionFault {
    async fn candidates(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
    ) -> Result<Vec<Candidate>, FaultError> {
        super::of(action).candidates(cx, action).await
    }

    async fn inject(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError> {
        super::of(action).inject(cx, origin, action, target).await
    }

    async fn revert(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        target: &TargetStatus,
    ) -> Result<(), FaultError> {
        NetworkPartitionFault.revert(cx, origin, target).await?;
        super::agent::AgentFault.revert(cx, origin, target).await
    }

    async fn verify(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        Ok(NetworkPartitionFault.verify(cx, origin, target).await?
            && super::agent::AgentFault.verify(cx, origin, target).await?)
    }
}

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
        // the pod must answer before it is isolated, or its silence afterwards proves nothing
        let before =
            pods.get(&target.name).await.map_err(|e| FaultError::kube("get", "Pod", &target.name, e))?;
        let uid = before.metadata.uid.clone().unwrap_or_default();
        let checkable = if f.direction == PartitionDirection::Egress {
            // replies to connections from outside are not egress: nothing outside can check it
            Err("egress only: it cannot be checked from outside".to_string())
        } else {
            answers_before(&before).await
        };
        let patch = Patch::Merge(
            serde_json::json!({"metadata": {"labels": {PARTITION_LABEL: partition_id(origin)}}}),
        );
        pods.patch(&target.name, &PatchParams::default(), &patch)
            .await
            .map_err(|e| FaultError::kube("label", "Pod", &target.name, e))?;
        let id = partition_id(origin);
        let effect = match checkable {
            Ok(address) => connect_check(&pods, &target.name, &uid, address, EFFECT_WAIT).await,
            Err(why) => Effect::Unchecked(why),
        };
        match effect {
            Effect::Cut => {
                Ok(format!("isolated by NetworkPolicy {id} (checked: connections to the pod now fail)"))
            }
            Effect::Unchecked(why) => {
                Ok(format!("isolated by NetworkPolicy {id} (its effect could not be checked: {why})"))
            }
            Effect::Reachable(how) => Err(FaultError::Invalid(format!(
                "InjectionIneffective: pod {ns}/{} still {how} for {}s after NetworkPolicy {id} was applied: \
                 this cluster's network plugin does not enforce NetworkPolicy; use params.mechanism: agent",
                target.name,
                EFFECT_WAIT.as_secs()
            ))),
        }
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
