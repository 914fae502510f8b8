//! Faults done by the node agent: one ChaosInjection per target pod (or node), written for the agent on
//! the pod's node once that node has a live agent able to do it; its status says when the fault took
//! effect and when its removal was verified. The injection's name derives from the run, step, target and
//! round, so a revert needs nothing but the target's record.

use super::pod::{is_not_found, pod_candidates};
use super::{mismatch, Candidate, Fault, FaultContext, FaultError, Origin};
use chaoscenter_core::plan::{Destinations, FaultAction, NetworkEffect};
use chaoscenter_crds::common::RUN_LABEL;
use chaoscenter_crds::injection::{
    lease_name, ChaosInjection, ChaosInjectionSpec, InjectionPhase, NodeCapabilities, NodeFault, PodRef,
    RunRef, TrafficFilter, CAPABILITIES_ANNOTATION, NODE_LABEL,
};
use chaoscenter_crds::run::TargetStatus;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use std::time::Duration;

/// How long an injection may wait for the agent to apply it before the target counts as not injected.
pub const APPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long past the chaos an injection lives at most, should nobody revert it (the agent's dead-man
/// switch then removes it on its own).
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// The most addresses one injection's peers resolve to.
pub const MAX_PEER_ADDRESSES: usize = 256;

/// Every fault the node agent applies: network faults, container-kill, stress, disk-fill, DNS and HTTP
/// faults in pods, stress on nodes.
pub struct AgentFault;

/// The name of the ChaosInjection for a target of a run's step (≤ 63 characters, stable).
pub fn injection_name(origin: &Origin, target: &TargetStatus) -> String {
    use sha2::{Digest, Sha256};
    let key = format!(
        "{}\n{}\n{}\n{}\n{}",
        origin.run_uid,
        origin.step,
        target.namespace.as_deref().unwrap_or_default(),
        target.name,
        target.round
    );
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let run: String = origin.run.chars().take(40).collect();
    format!("{}-{hex}", run.trim_end_matches('-'))
}

/// What an injection is written for: the node, the target's reference and the agent's form of the fault.
struct Written {
    node: String,
    target: PodRef,
    fault: NodeFault,
}

/// Reads the target pod (same pod as recorded, on a node) and turns `action` into the agent's form of
/// the fault for it: peers resolved, a disk-fill percentage turned into bytes.
async fn written_for_pod(
    cx: &FaultContext,
    origin: &Origin,
    action: &FaultAction,
    target: &TargetStatus,
) -> Result<Written, FaultError> {
    let ns = target.namespace.as_deref().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(cx.client.clone(), ns);
    let pod = pods.get(&target.name).await.map_err(|e| FaultError::kube("get", "Pod", &target.name, e))?;
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
        return Err(FaultError::Invalid(format!("pod {ns}/{} is not on a node yet", target.name)));
    };
    let fault = match action {
        FaultAction::Network(f) => {
            let filter = resolve(cx, &origin.namespace, ns, &f.destinations).await?;
            node_fault(&f.effect, filter)
        }
        FaultAction::PodAgent(f) => {
            let container = container_of(&f.fault);
            if let Some(name) = container {
                let known = pod.spec.as_ref().is_some_and(|s| s.containers.iter().any(|c| &c.name == name));
                if !known {
                    return Err(FaultError::Invalid(format!(
                        "pod {ns}/{} has no container {name} (params.container)",
                        target.name
                    )));
                }
            }
            match (&f.fault, f.fill_percent) {
                (NodeFault::DiskFill { container, path, .. }, Some(percent)) => {
                    let limit = ephemeral_limit(&pod, container.as_deref()).ok_or_else(|| {
                        FaultError::Invalid(format!(
                            "pod {ns}/{}'s container has no ephemeral-storage limit to take params.percent of; give params.size",
                            target.name
                        ))
                    })?;
                    let bytes = ((limit as f64) * percent / 100.0).ceil() as u64;
                    NodeFault::DiskFill {
                        container: container.clone(),
                        bytes: bytes.max(1),
                        path: path.clone(),
                    }
                }
                (fault, _) => fault.clone(),
            }
        }
        other => return Err(mismatch("a node agent pod fault", other)),
    };
    Ok(Written { node, target: PodRef { namespace: ns.to_string(), name: target.name.clone(), uid }, fault })
}

/// The container a pod fault names, if any.
fn container_of(fault: &NodeFault) -> Option<&String> {
    match fault {
        NodeFault::ContainerKill { container, .. }
        | NodeFault::PodCpuStress { container, .. }
        | NodeFault::PodMemoryStress { container, .. }
        | NodeFault::PodIoStress { container, .. }
        | NodeFault::DiskFill { container, .. } => container.as_ref(),
        _ => None,
    }
}

/// The ephemeral-storage limit in bytes of `container` (the pod's first container when `None`).
fn ephemeral_limit(pod: &Pod, container: Option<&str>) -> Option<u64> {
    let spec = pod.spec.as_ref()?;
    let c = match container {
        Some(name) => spec.containers.iter().find(|c| c.name == name)?,
        None => spec.containers.first()?,
    };
    let quantity = c.resources.as_ref()?.limits.as_ref()?.get("ephemeral-storage")?;
    chaoscenter_core::agent_fault::quantity_bytes(&quantity.0)
}

/// Reads the target node (by name, its uid recorded in the injection).
async fn written_for_node(
    cx: &FaultContext,
    action: &FaultAction,
    target: &TargetStatus,
) -> Result<Written, FaultError> {
    let FaultAction::NodeAgent(f) = action else { return Err(mismatch("a node agent node fault", action)) };
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(cx.client.clone());
    let node = nodes.get(&target.name).await.map_err(|e| FaultError::kube("get", "Node", &target.name, e))?;
    Ok(Written {
        node: target.name.clone(),
        target: PodRef {
            namespace: String::new(),
            name: target.name.clone(),
            uid: node.metadata.uid.unwrap_or_default(),
        },
        fault: f.fault.clone(),
    })
}

/// Whether an agent's Lease was renewed within its duration (15 s when it names none) at `now`: the agent
/// is alive.
pub fn is_live(lease: &Lease, now: jiff::Timestamp) -> bool {
    let spec = lease.spec.as_ref();
    let renewed = spec.and_then(|s| s.renew_time.as_ref()).map(|t| t.0);
    let seconds = spec.and_then(|s| s.lease_duration_seconds).unwrap_or(15).clamp(1, 300);
    let valid_for = Duration::from_secs(seconds.unsigned_abs().into());
    renewed.is_some_and(|at| {
        let age = now.duration_since(at);
        age.unsigned_abs() <= valid_for || age.is_negative()
    })
}

/// Whether the agent's Lease is current, and what its node can do; `Err` names what is missing.
async fn node_capabilities(cx: &FaultContext, node: &str) -> Result<NodeCapabilities, FaultError> {
    let leases: Api<Lease> = Api::namespaced(cx.client.clone(), &cx.world.control_namespace);
    let name = lease_name(node);
    let lease = leases.get_opt(&name).await.map_err(|e| FaultError::kube("get", "Lease", &name, e))?;
    let no_agent =
        || FaultError::Invalid(format!("node {node} has no live ChaosCenter node agent (Lease {name})"));
    let lease = lease.ok_or_else(no_agent)?;
    if !is_live(&lease, jiff::Timestamp::now()) {
        return Err(FaultError::Invalid(format!(
            "node {node}'s ChaosCenter node agent stopped renewing its Lease {name} (not live)"
        )));
    }
    let text =
        lease.metadata.annotations.unwrap_or_default().remove(CAPABILITIES_ANNOTATION).unwrap_or_default();
    serde_json::from_str(&text).map_err(|_| {
        FaultError::Invalid(format!("node {node}'s agent published no readable capabilities on Lease {name}"))
    })
}

/// The addresses the peers name, resolved now: networks as given, host names through DNS, pods by their
/// IPs (in their namespace, by default the target's; another one only if the run's project may target it).
async fn resolve(
    cx: &FaultContext,
    run_ns: &str,
    target_ns: &str,
    d: &Destinations,
) -> Result<TrafficFilter, FaultError> {
    let mut cidrs = d.cidrs.clone();
    for host in &d.hosts {
        let found = tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host((host.as_str(), 0)))
            .await
            .map_err(|_| FaultError::Invalid(format!("resolving {host} took longer than 5s")))?
            .map_err(|e| FaultError::Invalid(format!("cannot resolve {host}: {e}")))?;
        let before = cidrs.len();
        for addr in found {
            let ip = addr.ip();
            cidrs.push(format!("{ip}/{}", if ip.is_ipv4() { 32 } else { 128 }));
        }
        if cidrs.len() == before {
            return Err(FaultError::Invalid(format!("{host} resolves to no address")));
        }
    }
    if let Some((ns, selector)) = &d.pods {
        let ns = ns.as_deref().unwrap_or(target_ns);
        if ns != target_ns {
            // another namespace's pod addresses only where the project may target that namespace: a
            // workflow must not learn (into its injections) what its authors could not read
            let peers = TargetStatus {
                kind: "Pod".into(),
                namespace: Some(ns.to_string()),
                name: "destinations.pods".into(),
                ..Default::default()
            };
            let policy = crate::controllers::policy::Policy { world: &cx.world };
            match policy.recorded(run_ns, &peers) {
                crate::controllers::policy::Allowed::Yes => {}
                crate::controllers::policy::Allowed::No(why)
                | crate::controllers::policy::Allowed::Unknown(why) => {
                    return Err(FaultError::Invalid(format!("destinations.pods in namespace {ns}: {why}")));
                }
            }
        }
        if !crate::controllers::is_filled(&cx.world.pods) {
            return Err(FaultError::NotReady("pod"));
        }
        let before = cidrs.len();
        for pod in cx.world.pods.state() {
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            if pod.metadata.namespace.as_deref() != Some(ns) || !selector.matches(&labels) {
                continue;
            }
            for ip in pod.status.as_ref().and_then(|s| s.pod_ips.clone()).unwrap_or_default() {
                if let Ok(ip) = ip.ip.parse::<std::net::IpAddr>() {
                    cidrs.push(format!("{ip}/{}", if ip.is_ipv4() { 32 } else { 128 }));
                }
            }
        }
        if cidrs.len() == before {
            return Err(FaultError::Invalid(format!(
                "no running pod in namespace {ns} matches destinations.pods, so the fault would affect nobody"
            )));
        }
    }
    cidrs.sort();
    cidrs.dedup();
    if cidrs.len() > MAX_PEER_ADDRESSES {
        return Err(FaultError::Invalid(format!(
            "the destinations resolve to {} addresses; at most {MAX_PEER_ADDRESSES}",
            cidrs.len()
        )));
    }
    Ok(TrafficFilter { cidrs, ports: d.ports.clone(), protocol: d.protocol })
}

/// The agent's form of a fault.
fn node_fault(effect: &NetworkEffect, filter: TrafficFilter) -> NodeFault {
    let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
    match *effect {
        NetworkEffect::Delay { latency, jitter, correlation } => {
            NodeFault::NetworkDelay { latency_ms: ms(latency), jitter_ms: ms(jitter), correlation, filter }
        }
        NetworkEffect::Loss { percent, correlation } => {
            NodeFault::NetworkLoss { percent, correlation, filter }
        }
        NetworkEffect::Duplicate { percent } => NodeFault::NetworkDuplicate { percent, filter },
        NetworkEffect::Corrupt { percent } => NodeFault::NetworkCorrupt { percent, filter },
        NetworkEffect::Rate { bits_per_second } => {
            NodeFault::NetworkRate { bits_per_second, burst_bytes: None }
        }
        NetworkEffect::Partition { direction } => NodeFault::NetworkPartition { direction, filter },
    }
}

fn injections(cx: &FaultContext, origin: &Origin) -> Api<ChaosInjection> {
    Api::namespaced(cx.client.clone(), &origin.namespace)
}

#[async_trait::async_trait]
impl Fault for AgentFault {
    async fn candidates(
        &self,
        cx: &FaultContext,
        action: &FaultAction,
    ) -> Result<Vec<Candidate>, FaultError> {
        match action {
            FaultAction::Network(f) => pod_candidates(cx, &f.target).await,
            FaultAction::PodAgent(f) => pod_candidates(cx, &f.target).await,
            FaultAction::NodeAgent(_) => super::node::node_candidates(cx, action, action.name()).await,
            other => Err(mismatch("a node agent fault", other)),
        }
    }

    async fn already_injected(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        _action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        let name = injection_name(origin, target);
        let found = injections(cx, origin)
            .get_opt(&name)
            .await
            .map_err(|e| FaultError::kube("get", "ChaosInjection", &name, e))?;
        Ok(found.and_then(|i| i.status).and_then(|s| s.phase) == Some(InjectionPhase::Injected))
    }

    /// Writes the injection for the pod's node and waits (at most [`APPLY_TIMEOUT`]) until the agent
    /// applied it.
    async fn inject(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        action: &FaultAction,
        target: &TargetStatus,
    ) -> Result<String, FaultError> {
        let Written { node, target: target_ref, fault } = match action {
            FaultAction::NodeAgent(_) => written_for_node(cx, action, target).await?,
            _ => written_for_pod(cx, origin, action, target).await?,
        };
        let caps = node_capabilities(cx, &node).await?;
        let mechanism = caps.mechanism(&fault).map_err(|missing| {
            FaultError::Invalid(format!("node {node} cannot do {}: it lacks {missing}", fault.name()))
        })?;
        if let (NodeFault::NetworkLoss { correlation, .. }, false) = (&fault, mechanism == "netem") {
            if *correlation > 0.0 {
                return Err(FaultError::Invalid(format!(
                    "node {node} has no netem qdisc, and its {mechanism} loss cannot be correlated; remove params.correlation"
                )));
            }
        }
        let name = injection_name(origin, target);
        let expires = jiff::Timestamp::now()
            .checked_add(origin.duration + EXPIRY_MARGIN)
            .map_err(|e| FaultError::Invalid(format!("expiry out of range: {e}")))?;
        let injection = ChaosInjection {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(origin.namespace.clone()),
                labels: Some(
                    [
                        (NODE_LABEL.to_string(), node.clone()),
                        (RUN_LABEL.to_string(), origin.run.clone()),
                        ("app.kubernetes.io/managed-by".to_string(), "chaoscenter".to_string()),
                    ]
                    .into(),
                ),
                owner_references: Some(vec![OwnerReference {
                    api_version: "chaoscenter.io/v1alpha1".into(),
                    kind: "ChaosWorkflowRun".into(),
                    name: origin.run.clone(),
                    uid: origin.run_uid.clone(),
                    controller: Some(true),
                    block_owner_deletion: Some(true),
                }]),
                ..Default::default()
            },
            spec: ChaosInjectionSpec {
                node_name: node.clone(),
                run: RunRef { name: origin.run.clone(), uid: origin.run_uid.clone() },
                step: origin.step.clone(),
                target: target_ref,
                fault,
                expires_at: expires.to_string(),
                revert: false,
            },
            status: None,
        };
        let api = injections(cx, origin);
        match api.create(&PostParams::default(), &injection).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(FaultError::kube("create", "ChaosInjection", &name, e)),
        }
        let started = tokio::time::Instant::now();
        loop {
            let current =
                api.get_opt(&name).await.map_err(|e| FaultError::kube("get", "ChaosInjection", &name, e))?;
            let status = current.and_then(|i| i.status).unwrap_or_default();
            match status.phase {
                Some(InjectionPhase::Injected) => {
                    let mechanism = status.mechanism.unwrap_or_else(|| mechanism.to_string());
                    let said = format!("{mechanism} by the node agent on {node} (ChaosInjection {name})");
                    // what the agent adds after its mechanism (e.g. how much memory a stressor holds)
                    let detail = status.message.as_deref().and_then(|m| m.split_once(": ")).map(|(_, d)| d);
                    return Ok(match detail {
                        Some(detail) => format!("{said}: {detail}"),
                        None => said,
                    });
                }
                Some(InjectionPhase::Failed) => {
                    let why = status.message.unwrap_or_else(|| "no reason given".into());
                    return Err(FaultError::Invalid(format!(
                        "the node agent on {node} could not apply it: {why}"
                    )));
                }
                _ if started.elapsed() >= APPLY_TIMEOUT => {
                    return Err(FaultError::Invalid(format!(
                        "the node agent on {node} did not apply ChaosInjection {name} within {}s",
                        APPLY_TIMEOUT.as_secs()
                    )));
                }
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// Asks the agent to remove the fault (the injection stays until the removal is verified).
    async fn revert(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        target: &TargetStatus,
    ) -> Result<(), FaultError> {
        let name = injection_name(origin, target);
        let patch = Patch::Merge(serde_json::json!({"spec": {"revert": true}}));
        match injections(cx, origin).patch(&name, &PatchParams::default(), &patch).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(FaultError::kube("revert", "ChaosInjection", &name, e)),
        }
    }

    /// True once the agent verified the removal (or never applied it); the injection is then deleted.
    async fn verify(
        &self,
        cx: &FaultContext,
        origin: &Origin,
        target: &TargetStatus,
    ) -> Result<bool, FaultError> {
        let name = injection_name(origin, target);
        let api = injections(cx, origin);
        let Some(found) =
            api.get_opt(&name).await.map_err(|e| FaultError::kube("get", "ChaosInjection", &name, e))?
        else {
            return Ok(true);
        };
        let status = found.status.unwrap_or_default();
        let done = status.revert_verified
            || (status.phase == Some(InjectionPhase::Failed) && status.injected_at.is_none());
        if done {
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(FaultError::kube("delete", "ChaosInjection", &name, e)),
            }
        }
        Ok(done)
    }
}

/// The injections of a run still in the cluster (for listing what is injected right now).
pub async fn of_run(
    cx: &FaultContext,
    namespace: &str,
    run: &str,
) -> Result<Vec<ChaosInjection>, FaultError> {
    let api: Api<ChaosInjection> = Api::namespaced(cx.client.clone(), namespace);
    let list = api
        .list(&ListParams::default().labels(&format!("{RUN_LABEL}={run}")))
        .await
        .map_err(|e| FaultError::kube("list", "ChaosInjection", run, e))?;
    Ok(list.items)
}
