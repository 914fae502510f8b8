//! Faults injected through the Kubernetes API: finding candidate targets, saving what a revert needs,
//! injecting, reverting and verifying the revert, per target. Every operation is idempotent, so a
//! restarted operator may repeat any of them safely.

use chaoscenter_crds::run::TargetStatus;
use chaoscenter_crds::workflow::{Fault, FaultType, TargetKind};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams};
use kube::Client;

mod network;
mod node;
mod pod;
pub use pod::is_not_found;
mod scale;

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
    #[error("{0}")]
    Invalid(String),
}

impl FaultError {
    fn kube(action: &'static str, kind: &'static str, name: &str, source: kube::Error) -> Self {
        Self::Kube { action, kind, name: name.to_string(), source }
    }
}

/// The run and step a fault operation acts for (names NetworkPolicies and labels).
#[derive(Clone, Debug)]
pub struct Origin {
    pub run: String,
    pub run_uid: String,
    pub step: String,
}

/// An object a fault may hit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub kind: &'static str,
    pub namespace: Option<String>,
    pub name: String,
}

impl Candidate {
    /// The status entry recording this target, before anything is injected.
    pub fn to_status(&self, round: u32) -> TargetStatus {
        TargetStatus {
            kind: self.kind.to_string(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            round,
            ..Default::default()
        }
    }
}

/// A fault type's name as written in a workflow, e.g. `pod-delete`.
pub fn name(fault: FaultType) -> String {
    serde_json::to_value(fault).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// A target in words, e.g. `Pod shop/web-1` or `Node worker-2`.
pub fn describe(target: &TargetStatus) -> String {
    match &target.namespace {
        Some(ns) => format!("{} {ns}/{}", target.kind, target.name),
        None => format!("{} {}", target.kind, target.name),
    }
}

/// True for faults that hold a state (and so need a revert); pod-delete does not.
pub fn needs_revert(fault: FaultType) -> bool {
    !matches!(fault, FaultType::PodDelete)
}

/// True for faults that target nodes.
pub fn targets_nodes(fault: FaultType) -> bool {
    matches!(fault, FaultType::NodeCordon | FaultType::NodeTaint | FaultType::NodeDrain)
}

/// Checks a fault's settings beyond the schema; the message names the field.
pub fn validate(step: &str, fault: &Fault) -> Result<(), String> {
    let field = |f: &str| format!("spec.steps[{step}].fault.{f}");
    let t = &fault.target;
    if t.selector.is_none() && t.name.is_none() {
        return Err(format!("{}: a target needs a selector or a name", field("target")));
    }
    if !targets_nodes(fault.type_) && t.namespace.is_none() {
        return Err(format!("{}: required for {:?} faults", field("target.namespace"), fault.type_));
    }
    if matches!(
        t.mode,
        chaoscenter_crds::workflow::TargetMode::Fixed
            | chaoscenter_crds::workflow::TargetMode::FixedPercent
            | chaoscenter_crds::workflow::TargetMode::RandomMaxPercent
    ) && t.value.is_none()
    {
        return Err(format!("{}: required for mode {:?}", field("target.value"), t.mode));
    }
    match fault.type_ {
        FaultType::PodAutoscaler => {
            if fault.params.replicas.is_none() {
                return Err(format!("{}: required for pod-autoscaler", field("params.replicas")));
            }
            if !matches!(t.kind, Some(TargetKind::Deployment | TargetKind::StatefulSet)) {
                return Err(format!(
                    "{}: pod-autoscaler needs Deployment or StatefulSet",
                    field("target.kind")
                ));
            }
        }
        FaultType::NodeTaint if fault.params.taint.is_none() => {
            return Err(format!("{}: required for node-taint", field("params.taint")));
        }
        _ => {}
    }
    if chaoscenter_crds::common::parse_duration(&fault.duration).is_none() {
        return Err(format!("{}: not a duration", field("duration")));
    }
    Ok(())
}

fn list_params(fault: &Fault) -> ListParams {
    let mut lp = ListParams::default();
    if let Some(selector) = &fault.target.selector {
        lp = lp.labels(&selector_string(selector));
    }
    if let Some(name) = &fault.target.name {
        lp = lp.fields(&format!("metadata.name={name}"));
    }
    lp
}

/// A LabelSelector in the API's query syntax.
pub fn selector_string(selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector) -> String {
    let mut parts: Vec<String> =
        selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for expr in selector.match_expressions.iter().flatten() {
        let values = expr.values.clone().unwrap_or_default().join(",");
        parts.push(match expr.operator.as_str() {
            "In" => format!("{} in ({values})", expr.key),
            "NotIn" => format!("{} notin ({values})", expr.key),
            "Exists" => expr.key.clone(),
            _ => format!("!{}", expr.key),
        });
    }
    parts.join(",")
}

/// Lists the objects the fault's target matches (before the mode picks among them).
pub async fn candidates(client: &Client, fault: &Fault) -> Result<Vec<Candidate>, FaultError> {
    let lp = list_params(fault);
    let ns = fault.target.namespace.clone();
    let list_err = |kind: &'static str| move |e| FaultError::kube("list", kind, "", e);
    Ok(match fault.type_ {
        FaultType::PodDelete | FaultType::NetworkPartition => {
            let api: Api<Pod> = Api::namespaced(client.clone(), ns.as_deref().unwrap_or_default());
            let pods = pod::owned_or_selected(client, &api, fault, lp).await?;
            pods.into_iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .map(|p| Candidate {
                    kind: "Pod",
                    namespace: ns.clone(),
                    name: p.metadata.name.unwrap_or_default(),
                })
                .collect()
        }
        FaultType::PodAutoscaler => match fault.target.kind {
            Some(TargetKind::StatefulSet) => {
                let api: Api<StatefulSet> =
                    Api::namespaced(client.clone(), ns.as_deref().unwrap_or_default());
                let list = api.list(&lp).await.map_err(list_err("StatefulSet"))?;
                list.items
                    .into_iter()
                    .map(|s| Candidate {
                        kind: "StatefulSet",
                        namespace: ns.clone(),
                        name: s.metadata.name.unwrap_or_default(),
                    })
                    .collect()
            }
            _ => {
                let api: Api<Deployment> = Api::namespaced(client.clone(), ns.as_deref().unwrap_or_default());
                let list = api.list(&lp).await.map_err(list_err("Deployment"))?;
                list.items
                    .into_iter()
                    .map(|d| Candidate {
                        kind: "Deployment",
                        namespace: ns.clone(),
                        name: d.metadata.name.unwrap_or_default(),
                    })
                    .collect()
            }
        },
        FaultType::NodeCordon | FaultType::NodeTaint | FaultType::NodeDrain => {
            let api: Api<Node> = Api::all(client.clone());
            let list = api.list(&lp).await.map_err(list_err("Node"))?;
            list.items
                .into_iter()
                .map(|n| Candidate {
                    kind: "Node",
                    namespace: None,
                    name: n.metadata.name.unwrap_or_default(),
                })
                .collect()
        }
    })
}

/// Reads what the revert will need (e.g. the replica count) into `target.original`, before injecting.
pub async fn prepare(client: &Client, fault: &Fault, target: &mut TargetStatus) -> Result<(), FaultError> {
    target.original = match fault.type_ {
        FaultType::PodDelete | FaultType::NetworkPartition => None,
        FaultType::PodAutoscaler => Some(scale::current(client, target).await?.to_string()),
        FaultType::NodeCordon | FaultType::NodeDrain => {
            Some(node::unschedulable(client, &target.name).await?.to_string())
        }
        FaultType::NodeTaint => {
            let taint = fault
                .params
                .taint
                .as_ref()
                .ok_or_else(|| FaultError::Invalid("params.taint is missing".into()))?;
            Some(node::has_taint(client, &target.name, taint).await?.to_string())
        }
    };
    Ok(())
}

/// Injects the fault into one target; returns what was done, in words.
pub async fn inject(
    client: &Client,
    origin: &Origin,
    fault: &Fault,
    target: &TargetStatus,
) -> Result<String, FaultError> {
    let missing = |field: &str| FaultError::Invalid(format!("params.{field} is missing"));
    match fault.type_ {
        FaultType::PodDelete => pod::delete(client, fault, target).await.map(|()| "deleted".into()),
        FaultType::PodAutoscaler => {
            let replicas = fault.params.replicas.ok_or_else(|| missing("replicas"))?;
            scale::set(client, target, replicas).await?;
            Ok(format!("scaled to {replicas} replica(s)"))
        }
        FaultType::NodeCordon => {
            node::set_unschedulable(client, &target.name, true).await?;
            Ok("cordoned".into())
        }
        FaultType::NodeTaint => {
            let taint = fault.params.taint.as_ref().ok_or_else(|| missing("taint"))?;
            node::add_taint(client, &target.name, taint).await?;
            Ok(format!("tainted {}:{:?}", taint.key, taint.effect))
        }
        FaultType::NodeDrain => node::drain(client, &target.name, fault.params.grace_period_seconds).await,
        FaultType::NetworkPartition => {
            network::isolate(client, origin, fault, target).await?;
            Ok(format!("isolated by NetworkPolicy {}", network::partition_id(origin)))
        }
    }
}

/// Reverts the fault on one target (idempotent; a no-op for pod-delete).
pub async fn revert(
    client: &Client,
    origin: &Origin,
    fault: &Fault,
    target: &TargetStatus,
) -> Result<(), FaultError> {
    let original = target.original.as_deref();
    match fault.type_ {
        FaultType::PodDelete => Ok(()),
        FaultType::PodAutoscaler => match original.and_then(|o| o.parse().ok()) {
            Some(replicas) => scale::set(client, target, replicas).await,
            None => Ok(()), // never prepared, so never scaled
        },
        FaultType::NodeCordon | FaultType::NodeDrain => match original {
            Some("false") => node::set_unschedulable(client, &target.name, false).await,
            _ => Ok(()), // it was cordoned before: leave it so
        },
        FaultType::NodeTaint => match (original, fault.params.taint.as_ref()) {
            (Some("false"), Some(taint)) => node::remove_taint(client, &target.name, taint).await,
            _ => Ok(()),
        },
        FaultType::NetworkPartition => network::restore(client, origin, fault, target).await,
    }
}

/// Checks in the cluster that the revert took effect: replicas back, node schedulable, taint gone, policy
/// gone.
pub async fn verify(
    client: &Client,
    origin: &Origin,
    fault: &Fault,
    target: &TargetStatus,
) -> Result<bool, FaultError> {
    let original = target.original.as_deref();
    match fault.type_ {
        FaultType::PodDelete => Ok(true),
        FaultType::PodAutoscaler => match original.and_then(|o| o.parse::<i32>().ok()) {
            Some(replicas) => Ok(scale::current(client, target).await? == replicas),
            None => Ok(true),
        },
        FaultType::NodeCordon | FaultType::NodeDrain => match original {
            Some("false") => Ok(!node::unschedulable(client, &target.name).await?),
            _ => Ok(true),
        },
        FaultType::NodeTaint => match (original, fault.params.taint.as_ref()) {
            (Some("false"), Some(taint)) => Ok(!node::has_taint(client, &target.name, taint).await?),
            _ => Ok(true),
        },
        FaultType::NetworkPartition => network::is_restored(client, origin, fault, target).await,
    }
}
