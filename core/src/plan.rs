//! The validated, typed workflow: what [`crate::validate`] makes of a `ChaosWorkflowSpec`. Durations are
//! parsed and bounded, every fault carries exactly the parameters of its type, every probe exactly the
//! settings of its type, targets are resolved to what they select. Nothing here needs checking again.

use crate::compare::Comparison;
use crate::schedule::Schedule;
use crate::selector::Selector;
use alloc::string::String;
use alloc::vec::Vec;
pub use chaoscenter_crds::injection::{NodeFault, Protocol};
use chaoscenter_crds::workflow::{ConcurrencyPolicy, HttpMethod, PartitionDirection, ProbeMode, TaintEffect};
use core::num::NonZeroU32;
use core::time::Duration;

/// A valid workflow definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Workflow {
    /// The run's hard deadline, at most [`crate::limits::MAX_RUN_DURATION`].
    pub max_duration: Duration,
    /// The cron schedule in its time zone, if any.
    pub schedule: Option<Schedule>,
    pub concurrency_policy: ConcurrencyPolicy,
    pub suspend: bool,
    pub starting_deadline: Option<Duration>,
    pub run_history_limit: u32,
    /// The steps in the order written; their `depends_on` form a DAG of existing steps.
    pub steps: Vec<Step>,
}

impl Workflow {
    /// The step named `name`.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// Whether any step's fault holds a state that needs a revert (so the run needs its finalizer).
    pub fn holds_state(&self) -> bool {
        self.steps.iter().any(|s| s.fault.action.holds_state())
    }
}

/// One step: a fault against targets, checked by probes.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub name: String,
    pub depends_on: Vec<String>,
    pub weight: u32,
    pub fault: Fault,
    pub probes: Vec<Probe>,
}

impl Step {
    /// The probe named `name`.
    pub fn probe(&self, name: &str) -> Option<&Probe> {
        self.probes.iter().find(|p| p.name == name)
    }
}

/// A fault: what it does, to what, for how long.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// How long the chaos lasts, within the run's `maxDuration`.
    pub duration: Duration,
    /// For repeating faults: inject again every interval (at most [`crate::limits::MAX_ROUNDS`] rounds).
    pub interval: Option<Duration>,
    pub action: FaultAction,
}

/// The fault types, each with exactly its parameters and its kind of target.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    PodDelete(PodDelete),
    PodAutoscaler(PodAutoscaler),
    NodeCordon(NodeCordon),
    NodeTaint(NodeTaint),
    NodeDrain(NodeDrain),
    NetworkPartition(NetworkPartition),
    /// A network fault applied by the node agent inside each target pod (network-partition with the
    /// agent mechanism among them).
    Network(NetworkFault),
    /// Another fault the node agent applies inside each target pod: container-kill, the pod stress
    /// faults, disk-fill, the DNS and HTTP faults.
    PodAgent(PodAgentFault),
    /// A fault the node agent applies on each target node, outside pods: node-cpu-stress,
    /// node-memory-stress.
    NodeAgent(NodeAgentFault),
}

impl FaultAction {
    /// The fault type's name as written in a workflow, e.g. `pod-delete`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::PodDelete(_) => "pod-delete",
            Self::PodAutoscaler(_) => "pod-autoscaler",
            Self::NodeCordon(_) => "node-cordon",
            Self::NodeTaint(_) => "node-taint",
            Self::NodeDrain(_) => "node-drain",
            Self::NetworkPartition(_) => "network-partition",
            Self::Network(f) => f.effect.name(),
            Self::PodAgent(f) => f.fault.name(),
            Self::NodeAgent(f) => f.fault.name(),
        }
    }

    /// Whether an injection holds a state that is reverted afterwards (everything but pod-delete).
    pub fn holds_state(&self) -> bool {
        holds_state(self.name())
    }

    /// How many of the matching objects each round hits.
    pub fn count(&self) -> Count {
        match self {
            Self::PodDelete(f) => f.target.count,
            Self::NetworkPartition(f) => f.target.count,
            Self::Network(f) => f.target.count,
            Self::PodAgent(f) => f.target.count,
            Self::PodAutoscaler(f) => f.target.count,
            Self::NodeAgent(NodeAgentFault { target, .. })
            | Self::NodeCordon(NodeCordon { target })
            | Self::NodeTaint(NodeTaint { target, .. })
            | Self::NodeDrain(NodeDrain { target, .. }) => target.count,
        }
    }

    /// The namespace the fault's targets live in; `None` for node faults.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Self::PodDelete(f) => Some(&f.target.namespace),
            Self::NetworkPartition(f) => Some(&f.target.namespace),
            Self::Network(f) => Some(&f.target.namespace),
            Self::PodAgent(f) => Some(&f.target.namespace),
            Self::PodAutoscaler(f) => Some(&f.target.namespace),
            Self::NodeCordon(_) | Self::NodeTaint(_) | Self::NodeDrain(_) | Self::NodeAgent(_) => None,
        }
    }
}

/// Whether an injection of the fault type `name` (as recorded in a target's status) holds a state that is
/// reverted afterwards: everything but pod-delete.
pub fn holds_state(name: &str) -> bool {
    name != "pod-delete"
}

/// pod-delete: delete the target pods.
#[derive(Clone, Debug, PartialEq)]
pub struct PodDelete {
    pub target: PodTarget,
    /// Seconds the pods get to shut down (0 with `force`); `None` keeps the pod's own setting.
    pub grace_period_seconds: Option<u32>,
}

/// pod-autoscaler: scale a Deployment or StatefulSet, restored afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct PodAutoscaler {
    pub target: WorkloadTarget,
    pub replicas: u32,
}

/// node-cordon: mark nodes unschedulable.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeCordon {
    pub target: NodeTarget,
}

/// node-taint: put a taint on nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTaint {
    pub target: NodeTarget,
    pub taint: Taint,
}

/// A taint to put on a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: TaintEffect,
}

/// node-drain: cordon nodes and evict their pods.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeDrain {
    pub target: NodeTarget,
    pub grace_period_seconds: Option<u32>,
}

/// network-partition: isolate pods with a NetworkPolicy.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPartition {
    pub target: PodTarget,
    pub direction: PartitionDirection,
}

/// A network fault the node agent applies inside each target pod's network namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkFault {
    pub target: PodTarget,
    pub effect: NetworkEffect,
    /// The peers it is limited to (empty: all traffic).
    pub destinations: Destinations,
}

/// A node-agent fault in each target pod, its parameters as the agent takes them.
#[derive(Clone, Debug, PartialEq)]
pub struct PodAgentFault {
    pub target: PodTarget,
    /// The fault as written into each pod's ChaosInjection (disk-fill's `bytes` is 0 when it is a
    /// percentage, resolved per pod).
    pub fault: NodeFault,
    /// disk-fill: the share of the container's ephemeral-storage limit to fill, in percent.
    pub fill_percent: Option<f64>,
}

/// A node-agent fault on each target node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeAgentFault {
    pub target: NodeTarget,
    pub fault: NodeFault,
}

/// What a network fault does to the matching packets.
#[derive(Clone, Debug, PartialEq)]
pub enum NetworkEffect {
    /// Outgoing packets held `latency` ± `jitter`; `correlation` in percent.
    Delay { latency: Duration, jitter: Duration, correlation: f64 },
    /// `percent` of the packets dropped, both ways; `correlation` in percent.
    Loss { percent: f64, correlation: f64 },
    /// `percent` of the outgoing packets sent twice.
    Duplicate { percent: f64 },
    /// `percent` of the outgoing packets corrupted.
    Corrupt { percent: f64 },
    /// Outgoing bandwidth limited (the whole interface).
    Rate { bits_per_second: u64 },
    /// The traffic in `direction` dropped.
    Partition { direction: PartitionDirection },
}

impl NetworkEffect {
    /// The fault type's name as written in a workflow.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Delay { .. } => "network-delay",
            Self::Loss { .. } => "network-loss",
            Self::Duplicate { .. } => "network-duplicate",
            Self::Corrupt { .. } => "network-corrupt",
            Self::Rate { .. } => "network-rate",
            Self::Partition { .. } => "network-partition",
        }
    }
}

/// The peers a network fault is limited to; empty means all traffic.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Destinations {
    /// Networks, normalised (`10.1.0.7/32`).
    pub cidrs: Vec<String>,
    /// Host names, resolved when injecting.
    pub hosts: Vec<String>,
    /// Pods chosen by selector in a namespace (`None`: the target's), resolved when injecting.
    pub pods: Option<(Option<String>, Selector)>,
    /// Remote ports.
    pub ports: Vec<u16>,
    pub protocol: Option<Protocol>,
}

impl Destinations {
    /// True when every peer is meant (no address, port or protocol given).
    pub fn is_all(&self) -> bool {
        self.cidrs.is_empty()
            && self.hosts.is_empty()
            && self.pods.is_none()
            && self.ports.is_empty()
            && self.protocol.is_none()
    }
}

/// Pods in one namespace: chosen by selector and/or name, or the pods a named workload selects.
#[derive(Clone, Debug, PartialEq)]
pub struct PodTarget {
    pub namespace: String,
    pub pods: PodSource,
    pub count: Count,
}

/// Which pods a pod target means.
#[derive(Clone, Debug, PartialEq)]
pub enum PodSource {
    /// Pods matching a selector and/or with a name (at least one of the two).
    Matching { selector: Option<Selector>, name: Option<String> },
    /// The pods the named Deployment or StatefulSet selects.
    OwnedBy { kind: WorkloadKind, name: String },
}

/// Deployments or StatefulSets in one namespace, chosen by selector and/or name.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadTarget {
    pub namespace: String,
    pub kind: WorkloadKind,
    pub selector: Option<Selector>,
    pub name: Option<String>,
    pub count: Count,
}

/// A kind of workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployment => "Deployment",
            Self::StatefulSet => "StatefulSet",
        }
    }
}

/// Nodes, chosen by selector and/or name.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTarget {
    pub selector: Option<Selector>,
    pub name: Option<String>,
    pub count: Count,
}

/// How many of the matching objects a round hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    All,
    One,
    Fixed(NonZeroU32),
    /// A percentage, 1 to 100.
    FixedPercent(u8),
    /// At most a percentage, 1 to 100.
    RandomMaxPercent(u8),
}

/// A probe: when it runs, how often and how long, and what it checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub name: String,
    pub mode: ProbeMode,
    pub interval: Duration,
    pub timeout: Duration,
    pub attempts: u32,
    pub initial_delay: Duration,
    pub stop_on_failure: bool,
    pub check: Check,
}

/// What a probe checks, one variant per probe type.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    Http(HttpCheck),
    K8s(K8sCheck),
    Prom(PromCheck),
    Cmd(CmdCheck),
}

impl Check {
    /// The probe type's name as written in a workflow.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Http(_) => "http",
            Self::K8s(_) => "k8s",
            Self::Prom(_) => "prom",
            Self::Cmd(_) => "cmd",
        }
    }
}

/// An HTTP request whose response must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpCheck {
    /// An absolute http or https URL.
    pub url: String,
    pub method: HttpMethod,
    pub body: Option<String>,
    /// The status the response must have; any 2xx when `None`.
    pub expect_status: Option<u16>,
    pub expect_body_contains: Option<String>,
}

/// A count of Kubernetes objects that must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct K8sCheck {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub expect: K8sExpect,
}

/// What a k8s probe requires of the number of matching objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum K8sExpect {
    Present,
    Absent,
    Count(u32),
}

/// A PromQL query whose single value is compared.
#[derive(Clone, Debug, PartialEq)]
pub struct PromCheck {
    /// An absolute http or https base URL: no query, fragment or user information.
    pub endpoint: String,
    pub query: String,
    pub comparison: Comparison,
}

/// A command run as a Job; its trimmed output is compared.
#[derive(Clone, Debug, PartialEq)]
pub struct CmdCheck {
    /// The program and its arguments; the program is not blank.
    pub command: Vec<String>,
    pub image: String,
    pub comparison: Comparison,
    /// The container's CPU request and limit, in millicores (within the limits' bounds).
    pub cpu_millis: u32,
    /// The container's memory request and limit, in bytes (within the limits' bounds).
    pub memory_bytes: u64,
}
