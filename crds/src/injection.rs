//! The ChaosInjection kind: one node-level fault on one target pod, written by the operator for the node
//! agent on the pod's node (which watches its own node's injections, applies them and reports back).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Label naming the node whose agent applies an injection (the agent watches only its own).
pub const NODE_LABEL: &str = "chaoscenter.io/node";
/// Finalizer the agent puts on an injection before touching the pod, removed once the revert is verified.
pub const AGENT_FINALIZER: &str = "chaoscenter.io/node-agent";

/// One node-level fault on one pod. Written by the operator only (owned by the run; users get no RBAC
/// for it); applied, reverted and reported by the node agent on `spec.nodeName`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "chaoscenter.io",
    version = "v1alpha1",
    kind = "ChaosInjection",
    namespaced,
    status = "ChaosInjectionStatus",
    shortname = "cinj",
    category = "chaos",
    derive = "PartialEq",
    doc = "One node-level fault on one pod, applied and reverted by the node agent on the pod's node.",
    printcolumn(name = "Node", type_ = "string", json_path = ".spec.nodeName"),
    printcolumn(name = "Fault", type_ = "string", json_path = ".spec.fault.type"),
    printcolumn(name = "Pod", type_ = "string", json_path = ".spec.target.name"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Mechanism", type_ = "string", json_path = ".status.mechanism"),
    printcolumn(name = "Expires", type_ = "string", json_path = ".spec.expiresAt"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ChaosInjectionSpec {
    /// The node whose agent applies it (the target pod's node when the injection was written).
    pub node_name: String,
    /// The run this injection belongs to.
    pub run: RunRef,
    /// The run's step that injects it.
    pub step: String,
    /// The pod the fault is applied in.
    pub target: PodRef,
    /// The fault, with every name already resolved to addresses.
    pub fault: NodeFault,
    /// When the fault must be gone (RFC 3339): the agent reverts it then on its own, with or without the
    /// operator and the API server (dead-man switch).
    pub expires_at: String,
    /// Set by the operator when the fault must end (the step's chaos is over, or the run is aborted); the
    /// agent then reverts and reports `revertedAt` and `revertVerified`.
    #[serde(default)]
    pub revert: bool,
}

/// The run an injection belongs to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunRef {
    pub name: String,
    pub uid: String,
}

/// A pod, by namespace, name and uid (a pod re-created under the same name is another pod); or, for the
/// faults on a node, the node (no namespace).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodRef {
    /// The pod's namespace; absent for a node.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// A node-level fault, as the agent applies it: durations in milliseconds, shares in percent, sizes in
/// bytes, peers as CIDRs. Network faults apply to the pod's traffic on its interfaces other than loopback;
/// node-cpu-stress and node-memory-stress apply to the node named by `spec.target` (namespace empty).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[schemars(transform = one_object)]
pub enum NodeFault {
    /// Hold each matching outgoing packet `latencyMs` (± `jitterMs`, with `correlation` percent of the
    /// previous packet's jitter carried over).
    #[serde(rename_all = "camelCase")]
    NetworkDelay {
        #[schemars(range(min = 1, max = 10000))]
        latency_ms: u32,
        #[serde(default)]
        #[schemars(range(min = 0, max = 10000))]
        jitter_ms: u32,
        #[serde(default)]
        #[schemars(range(min = 0.0, max = 100.0))]
        correlation: f64,
        #[serde(default)]
        filter: TrafficFilter,
    },
    /// Drop `percent` of the matching outgoing packets (as netem does, whichever mechanism applies it).
    #[serde(rename_all = "camelCase")]
    NetworkLoss {
        #[schemars(range(min = 0.0, max = 100.0))]
        percent: f64,
        #[serde(default)]
        #[schemars(range(min = 0.0, max = 100.0))]
        correlation: f64,
        #[serde(default)]
        filter: TrafficFilter,
    },
    /// Send `percent` of the matching outgoing packets twice.
    #[serde(rename_all = "camelCase")]
    NetworkDuplicate {
        #[schemars(range(min = 0.0, max = 100.0))]
        percent: f64,
        #[serde(default)]
        filter: TrafficFilter,
    },
    /// Flip one bit in the payload of `percent` of the matching outgoing packets.
    #[serde(rename_all = "camelCase")]
    NetworkCorrupt {
        #[schemars(range(min = 0.0, max = 100.0))]
        percent: f64,
        #[serde(default)]
        filter: TrafficFilter,
    },
    /// Limit the pod's outgoing bandwidth to `bitsPerSecond` (the whole interface: a token bucket filter
    /// cannot be limited to destinations).
    #[serde(rename_all = "camelCase")]
    NetworkRate {
        #[schemars(range(min = 8000, max = 100000000000_u64))]
        bits_per_second: u64,
        /// Bucket size in bytes; default `max(bitsPerSecond / 8 / 100, 3000)` (10 ms of traffic).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1500, max = 100000000))]
        burst_bytes: Option<u32>,
    },
    /// Drop the matching packets (all of them without a filter) in `direction`.
    #[serde(rename_all = "camelCase")]
    NetworkPartition {
        #[serde(default)]
        direction: crate::workflow::PartitionDirection,
        #[serde(default)]
        filter: TrafficFilter,
    },
    /// Send `signal` to `container` (every container of the pod when absent).
    #[serde(rename_all = "camelCase")]
    ContainerKill {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        container: Option<String>,
        /// A signal name, e.g. `SIGKILL`.
        signal: String,
    },
    /// Load `cores` CPUs at `load` percent inside `container`'s cgroup (the first container when absent).
    #[serde(rename_all = "camelCase")]
    PodCpuStress {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        container: Option<String>,
        #[schemars(range(min = 1, max = 64))]
        cores: u32,
        #[schemars(range(min = 1, max = 100))]
        load: u32,
    },
    /// Allocate and touch `bytes` (or `percent` of the container's memory limit) inside its cgroup,
    /// stopping short of the limit unless `allowOom`.
    #[serde(rename_all = "camelCase")]
    PodMemoryStress {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        container: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bytes: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0.0, max = 100.0))]
        percent: Option<f64>,
        #[serde(default)]
        allow_oom: bool,
    },
    /// `workers` writers each writing and syncing `bytes` under `path` in the container, in its cgroup.
    #[serde(rename_all = "camelCase")]
    PodIoStress {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        container: Option<String>,
        #[schemars(range(min = 1, max = 16))]
        workers: u32,
        bytes: u64,
        path: String,
    },
    /// A file of `bytes` under `path` in the container (its writable layer or a mounted volume).
    #[serde(rename_all = "camelCase")]
    DiskFill {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        container: Option<String>,
        bytes: u64,
        path: String,
    },
    /// Queries for names matching `names` get `error`.
    #[serde(rename_all = "camelCase")]
    DnsError {
        #[schemars(length(max = 64))]
        names: Vec<String>,
        #[serde(default)]
        error: DnsErrorCode,
    },
    /// Queries for the names in `answers` (exact or `*.` wildcard) get the given IPv4 address.
    #[serde(rename_all = "camelCase")]
    DnsSpoof {
        #[schemars(length(max = 64))]
        answers: std::collections::BTreeMap<String, String>,
    },
    /// Matching HTTP exchanges are answered `latencyMs` later.
    #[serde(rename_all = "camelCase")]
    HttpLatency {
        http: HttpMatch,
        #[schemars(range(min = 1, max = 60000))]
        latency_ms: u32,
    },
    /// Matching HTTP requests have their connection reset.
    #[serde(rename_all = "camelCase")]
    HttpAbort { http: HttpMatch },
    /// Matching HTTP responses get `status` (and `body` when given).
    #[serde(rename_all = "camelCase")]
    HttpStatus {
        http: HttpMatch,
        #[schemars(range(min = 100, max = 599))]
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// Matching HTTP responses get `body` and/or `headers`.
    #[serde(rename_all = "camelCase")]
    HttpModify {
        http: HttpMatch,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        headers: std::collections::BTreeMap<String, String>,
    },
    /// Load `cores` CPUs at `load` percent on the node, outside any pod.
    #[serde(rename_all = "camelCase")]
    NodeCpuStress {
        #[schemars(range(min = 1, max = 64))]
        cores: u32,
        #[schemars(range(min = 1, max = 100))]
        load: u32,
    },
    /// Allocate and touch `bytes` (or `percent` of the node's memory) on the node, outside any pod.
    #[serde(rename_all = "camelCase")]
    NodeMemoryStress {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bytes: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 0.0, max = 100.0))]
        percent: Option<f64>,
    },
}

/// The answer a dns-error fault gives.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum DnsErrorCode {
    /// The name does not exist (rcode 3).
    #[default]
    Nxdomain,
    /// The server failed (rcode 2).
    Servfail,
}

/// Which traffic an HTTP fault intercepts.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HttpDirection {
    /// Requests the pod serves on the port.
    #[default]
    Inbound,
    /// Requests the pod makes to the port.
    Outbound,
}

/// The HTTP exchanges a fault applies to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpMatch {
    /// The pod's serving port (inbound) or the remote port (outbound).
    pub port: u16,
    #[serde(default)]
    pub direction: HttpDirection,
    /// Only this method (every method when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only paths starting with this (every path when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
}

/// A structural schema for an internally tagged enum: one object with every variant's properties and
/// `type` an enum of the variants' names (kube's structural rewrite rejects variants that each pin `type`
/// to their own name; serde still checks which properties go with which type).
fn one_object(schema: &mut schemars::Schema) {
    use serde_json::{json, Map, Value};
    let Some(variants) = schema.get("oneOf").and_then(Value::as_array).cloned() else { return };
    let (mut properties, mut types) = (Map::new(), Vec::<Value>::new());
    for variant in &variants {
        for (name, property) in variant.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if name == "type" {
                types.extend(property.get("const").cloned());
                types.extend(property.get("enum").and_then(Value::as_array).into_iter().flatten().cloned());
            } else if let Some(Value::Object(seen)) = properties.get_mut(name) {
                // a property several variants have: the widest of their bounds (each variant's own bound
                // is the validator's and the agent's to check)
                for (key, wider) in
                    [("maximum", true), ("maxLength", true), ("maxItems", true), ("minimum", false)]
                {
                    match (seen.get(key).and_then(Value::as_f64), property.get(key).and_then(Value::as_f64)) {
                        (Some(a), Some(b)) if (b > a) == wider && a != b => {
                            seen.insert(key.into(), property[key].clone());
                        }
                        (Some(_), None) => {
                            seen.remove(key);
                        }
                        _ => {}
                    }
                }
            } else {
                properties.insert(name.clone(), property.clone());
            }
        }
    }
    properties.insert(
        "type".into(),
        json!({"type": "string", "enum": types, "description": "The fault: network-delay, network-loss, \
            network-duplicate, network-corrupt, network-rate, network-partition, container-kill, \
            pod-cpu-stress, pod-memory-stress, pod-io-stress, disk-fill, dns-error, dns-spoof, http-latency, \
            http-abort, http-status, http-modify, node-cpu-stress or node-memory-stress."}),
    );
    let mut flat = json!({"type": "object", "required": ["type"], "properties": properties});
    if let Some(description) = schema.get("description") {
        flat["description"] = description.clone();
    }
    if let Ok(flat) = schemars::Schema::try_from(flat) {
        *schema = flat;
    }
}

impl NodeFault {
    /// The fault's traffic filter (a rate limit has none: it holds for the whole interface).
    pub fn filter(&self) -> Option<&TrafficFilter> {
        match self {
            Self::NetworkDelay { filter, .. }
            | Self::NetworkLoss { filter, .. }
            | Self::NetworkDuplicate { filter, .. }
            | Self::NetworkCorrupt { filter, .. }
            | Self::NetworkPartition { filter, .. } => Some(filter),
            _ => None,
        }
    }

    /// True for the faults on a node rather than in a pod (`spec.target` then names the node).
    pub fn on_node(&self) -> bool {
        matches!(self, Self::NodeCpuStress { .. } | Self::NodeMemoryStress { .. })
    }

    /// The fault type's name as written in a workflow, e.g. `network-delay`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NetworkDelay { .. } => "network-delay",
            Self::NetworkLoss { .. } => "network-loss",
            Self::NetworkDuplicate { .. } => "network-duplicate",
            Self::NetworkCorrupt { .. } => "network-corrupt",
            Self::NetworkRate { .. } => "network-rate",
            Self::NetworkPartition { .. } => "network-partition",
            Self::ContainerKill { .. } => "container-kill",
            Self::PodCpuStress { .. } => "pod-cpu-stress",
            Self::PodMemoryStress { .. } => "pod-memory-stress",
            Self::PodIoStress { .. } => "pod-io-stress",
            Self::DiskFill { .. } => "disk-fill",
            Self::DnsError { .. } => "dns-error",
            Self::DnsSpoof { .. } => "dns-spoof",
            Self::HttpLatency { .. } => "http-latency",
            Self::HttpAbort { .. } => "http-abort",
            Self::HttpStatus { .. } => "http-status",
            Self::HttpModify { .. } => "http-modify",
            Self::NodeCpuStress { .. } => "node-cpu-stress",
            Self::NodeMemoryStress { .. } => "node-memory-stress",
        }
    }
}

/// Which packets a network fault affects: all of them when empty; otherwise those to (or, inbound, from)
/// one of `cidrs`, and on one of `ports` (the remote port) when given, and of `protocol`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficFilter {
    /// Remote addresses, e.g. `10.1.0.7/32` (IPv4 or IPv6); at most 256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256))]
    pub cidrs: Vec<String>,
    /// Remote ports; at most 32.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub ports: Vec<u16>,
    /// tcp, udp or icmp; absent means every protocol (ports then mean tcp and udp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
}

impl TrafficFilter {
    /// True when every packet matches.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A transport protocol a filter can name.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
}

/// How an injection stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum InjectionPhase {
    /// Written, not applied yet.
    #[default]
    Pending,
    /// The fault is in effect.
    Injected,
    /// The fault was removed and the removal checked.
    Reverted,
    /// The agent could not apply it (see `message`); anything half-applied was removed.
    Failed,
}

/// What the node agent reports about an injection.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChaosInjectionStatus {
    /// Pending, Injected, Reverted or Failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<InjectionPhase>,
    /// How the fault was applied, e.g. `netem`, `nfqueue`, `iptables-statistic`, `tbf`, `iptables-drop`,
    /// `signal`, `cgroup-stressor`, `node-stressor`, `fill-file`, `dns-proxy`, `http-proxy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<String>,
    /// The inode of the network namespace the fault was applied in (network, DNS and HTTP faults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns_inode: Option<u64>,
    /// When the fault took effect (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected_at: Option<String>,
    /// When the fault was removed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverted_at: Option<String>,
    /// True once the removal was checked by reading the namespace's state back (qdiscs, rules, queues).
    #[serde(default)]
    pub revert_verified: bool,
    /// Why it failed, or what happened, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The agent that applied it (its node and process start), so a restarted agent can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The `metadata.generation` the status was written for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Annotation on a node agent's Lease: the node's [`NodeCapabilities`] as JSON.
pub const CAPABILITIES_ANNOTATION: &str = "chaoscenter.io/capabilities";

/// The label (key, value) on every node agent's Lease, which the operator selects them by.
pub const AGENT_LEASE_LABEL: (&str, &str) = ("app.kubernetes.io/name", "chaoscenter-node");

/// The name of the Lease a node's agent renews (in the control plane's namespace).
pub fn lease_name(node: &str) -> String {
    format!("{LEASE_PREFIX}{node}")
}

/// The node whose agent renews the Lease named `lease`, if it is an agent's.
pub fn lease_node(lease: &str) -> Option<&str> {
    lease.strip_prefix(LEASE_PREFIX).filter(|node| !node.is_empty())
}

const LEASE_PREFIX: &str = "chaoscenter-node-";

/// What a node can do, found by the agent at start (by trying each in a scratch network namespace).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeCapabilities {
    /// The kernel has the netem qdisc (delay, jitter, loss, duplication, corruption in the kernel).
    pub netem: bool,
    /// The kernel has the tbf qdisc (rate limits).
    pub tbf: bool,
    /// iptables NFQUEUE works (the user-space path for delay, duplication and corruption).
    pub nfqueue: bool,
    /// iptables works (statistic drops for loss, drops for partitions).
    pub iptables: bool,
    /// nftables works.
    pub nftables: bool,
    /// iptables' nat table can REDIRECT (how DNS and HTTP faults reach the agent's proxies).
    #[serde(default)]
    pub redirect: bool,
    /// The cgroup version: `v1` or `v2`.
    pub cgroup: String,
    /// The agent's version.
    pub version: String,
}

impl NodeCapabilities {
    /// The mechanism this node applies `fault` with, or what it lacks for it. netem is a root qdisc on the
    /// whole interface, so a fault limited by a filter takes the iptables path even where netem exists.
    pub fn mechanism(&self, fault: &NodeFault) -> Result<&'static str, String> {
        let netem = self.netem && fault.filter().is_none_or(TrafficFilter::is_empty);
        let need = |ok: bool, mechanism: &'static str, missing: &str| {
            if ok {
                Ok(mechanism)
            } else {
                Err(missing.to_string())
            }
        };
        match fault {
            NodeFault::NetworkDelay { .. }
            | NodeFault::NetworkDuplicate { .. }
            | NodeFault::NetworkCorrupt { .. } => {
                if netem {
                    Ok("netem")
                } else {
                    need(self.nfqueue, "nfqueue", "neither the netem qdisc nor iptables NFQUEUE")
                }
            }
            NodeFault::NetworkLoss { .. } => {
                if netem {
                    Ok("netem")
                } else {
                    // the statistic rule picks the packets, the agent's queue drops them: a DROP rule on
                    // outgoing packets would fail the sender's send() with EPERM, which a lossy network never does
                    need(
                        self.iptables && self.nfqueue,
                        "iptables-statistic",
                        "neither the netem qdisc nor iptables with NFQUEUE",
                    )
                }
            }
            NodeFault::NetworkRate { .. } => need(self.tbf, "tbf", "the tbf qdisc"),
            NodeFault::NetworkPartition { .. } => need(self.iptables, "iptables-drop", "iptables"),
            NodeFault::ContainerKill { .. } => Ok("signal"),
            NodeFault::PodCpuStress { .. }
            | NodeFault::PodMemoryStress { .. }
            | NodeFault::PodIoStress { .. } => Ok("cgroup-stressor"),
            NodeFault::NodeCpuStress { .. } | NodeFault::NodeMemoryStress { .. } => Ok("node-stressor"),
            NodeFault::DiskFill { .. } => Ok("fill-file"),
            NodeFault::DnsError { .. } | NodeFault::DnsSpoof { .. } => {
                need(self.redirect, "dns-proxy", "iptables REDIRECT (to send DNS queries to the agent)")
            }
            NodeFault::HttpLatency { .. }
            | NodeFault::HttpAbort { .. }
            | NodeFault::HttpStatus { .. }
            | NodeFault::HttpModify { .. } => {
                need(self.redirect, "http-proxy", "iptables REDIRECT (to send HTTP traffic to the agent)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delay(filter: TrafficFilter) -> NodeFault {
        NodeFault::NetworkDelay { latency_ms: 100, jitter_ms: 0, correlation: 0.0, filter }
    }

    #[test]
    fn netem_is_used_where_present_and_the_user_space_path_where_not() {
        let here = NodeCapabilities { tbf: true, nfqueue: true, iptables: true, ..Default::default() };
        let with_netem = NodeCapabilities { netem: true, ..here.clone() };
        let loss =
            NodeFault::NetworkLoss { percent: 30.0, correlation: 0.0, filter: TrafficFilter::default() };
        let dup = NodeFault::NetworkDuplicate { percent: 5.0, filter: TrafficFilter::default() };
        let rate = NodeFault::NetworkRate { bits_per_second: 1_000_000, burst_bytes: None };
        let partition = NodeFault::NetworkPartition {
            direction: crate::workflow::PartitionDirection::Both,
            filter: TrafficFilter::default(),
        };
        assert_eq!(with_netem.mechanism(&delay(TrafficFilter::default())), Ok("netem"));
        assert_eq!(with_netem.mechanism(&loss), Ok("netem"));
        assert_eq!(with_netem.mechanism(&dup), Ok("netem"));
        assert_eq!(here.mechanism(&delay(TrafficFilter::default())), Ok("nfqueue"));
        assert_eq!(here.mechanism(&dup), Ok("nfqueue"));
        assert_eq!(here.mechanism(&loss), Ok("iptables-statistic"));
        for caps in [&here, &with_netem] {
            assert_eq!(caps.mechanism(&rate), Ok("tbf"));
            assert_eq!(caps.mechanism(&partition), Ok("iptables-drop"));
        }
    }

    #[test]
    fn a_property_of_several_faults_takes_the_widest_of_their_bounds() {
        let schema = serde_json::to_value(schemars::schema_for!(NodeFault)).unwrap();
        // network-delay's latency is at most 10 s, http-latency's 60 s
        assert_eq!(schema["properties"]["latencyMs"]["maximum"], 60000);
        assert_eq!(schema["properties"]["latencyMs"]["minimum"], 1);
    }

    #[test]
    fn a_filtered_fault_takes_the_iptables_path_even_with_netem() {
        let caps = NodeCapabilities { netem: true, nfqueue: true, iptables: true, ..Default::default() };
        let filter = TrafficFilter { cidrs: vec!["10.0.0.7/32".into()], ..Default::default() };
        assert_eq!(caps.mechanism(&delay(filter.clone())), Ok("nfqueue"));
        let netem_only = NodeCapabilities { netem: true, ..Default::default() };
        assert_eq!(netem_only.mechanism(&delay(TrafficFilter::default())), Ok("netem"));
        assert_eq!(
            netem_only.mechanism(&delay(filter)),
            Err("neither the netem qdisc nor iptables NFQUEUE".to_string())
        );
    }
}
