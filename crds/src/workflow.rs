//! The `ChaosWorkflow` kind: a DAG of fault steps with targets and probes, run on demand or on a schedule.

use crate::common::{list_map_by_name, list_map_by_type, list_set, Condition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The default weight of a step in the resiliency score.
pub const DEFAULT_WEIGHT: u32 = 10;
/// The default number of runs kept in the cluster per workflow.
pub const DEFAULT_RUN_HISTORY_LIMIT: u32 = 10;
/// The default hard deadline of a run.
pub const DEFAULT_MAX_DURATION: &str = "30m";

/// A chaos workflow: which faults to inject, against which targets, in which order, checked by which
/// probes. Create a `ChaosWorkflowRun` (or set the annotation `chaoscenter.io/run-now`) to run it, or give
/// it a `schedule`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "chaoscenter.io",
    version = "v1alpha1",
    kind = "ChaosWorkflow",
    namespaced,
    status = "ChaosWorkflowStatus",
    shortname = "cwf",
    category = "chaos",
    derive = "Default",
    derive = "PartialEq",
    doc = "A chaos workflow: a DAG of fault steps with targets and probes, run on demand or on a schedule.",
    printcolumn(name = "Schedule", type_ = "string", json_path = ".spec.schedule"),
    printcolumn(name = "Suspend", type_ = "boolean", json_path = ".spec.suspend"),
    printcolumn(name = "Last Phase", type_ = "string", json_path = ".status.lastRun.phase"),
    printcolumn(name = "Last Score", type_ = "number", json_path = ".status.lastRun.resiliencyScore"),
    printcolumn(name = "Next Run", type_ = "date", json_path = ".status.nextRunAt", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ChaosWorkflowSpec {
    /// What this workflow checks, in a sentence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = 1024))]
    pub description: String,
    /// A cron schedule (five fields: minute hour day-of-month month day-of-week, or a macro such as
    /// `@hourly`). Absent means the workflow runs only on demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^(@(yearly|annually|monthly|weekly|daily|hourly)|(\S+\s+){4}\S+)$"))]
    pub schedule: Option<String>,
    /// The IANA time zone the schedule is read in, e.g. `Europe/Berlin`. Defaults to UTC.
    #[serde(default = "default_time_zone")]
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$"), length(max = 64))]
    pub time_zone: String,
    /// What to do when a scheduled run is due while an earlier run of this workflow is still going:
    /// Allow (run both), Forbid (skip the new one) or Replace (abort the old one, then start the new one).
    #[serde(default)]
    pub concurrency_policy: ConcurrencyPolicy,
    /// Stops the schedule from starting new runs; runs already going are not affected.
    #[serde(default)]
    pub suspend: bool,
    /// Runs the workflow once each time what a run executes changes (its steps or `maxDuration`; not the
    /// schedule, suspension or history settings), and when it is first created: a GitOps sync of a changed
    /// workflow runs it once (trigger `Change`). Not while suspended or invalid: a change made meanwhile
    /// runs once the workflow is resumed or fixed.
    #[serde(default)]
    pub run_on_change: bool,
    /// A scheduled run that could not start within this many seconds of its time is skipped and counted
    /// as missed (1 to 604800, a week). Absent means no deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 604800))]
    pub starting_deadline_seconds: Option<i64>,
    /// How many finished runs of this workflow stay in the cluster; older ones are deleted (their history
    /// stays in ChaosCenter's database).
    #[serde(default = "default_run_history_limit")]
    #[schemars(range(min = 0, max = 1000))]
    pub run_history_limit: u32,
    /// The hard deadline of a run, e.g. `15m` (1s to 24h; default 30m): when it passes, the run is stopped
    /// and every fault reverted. Every duration in the workflow (a fault's duration, a probe's timeout,
    /// interval and initial delay) must fit in it. The operator's `MAX_RUN_DURATION` may shorten it.
    #[serde(default = "default_max_duration")]
    #[schemars(regex(pattern = crate::common::DURATION_PATTERN), length(max = 32))]
    pub max_duration: String,
    /// The steps of the workflow. Steps with no `dependsOn` start at once; a step starts when every step it
    /// depends on has finished. Step names are unique.
    #[schemars(transform = list_map_by_name, length(min = 1, max = 100))]
    pub steps: Vec<Step>,
}

fn default_time_zone() -> String {
    "UTC".into()
}
fn default_run_history_limit() -> u32 {
    DEFAULT_RUN_HISTORY_LIMIT
}
fn default_max_duration() -> String {
    DEFAULT_MAX_DURATION.into()
}
fn default_weight() -> u32 {
    DEFAULT_WEIGHT
}

/// What to do with a scheduled run while an earlier run is still going.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ConcurrencyPolicy {
    /// Start the new run alongside the old one.
    Allow,
    /// Skip the new run.
    #[default]
    Forbid,
    /// Abort the old run, then start the new one.
    Replace,
}

/// One step of a workflow: a fault against targets, checked by probes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The step's name, unique in the workflow (a DNS label, e.g. `kill-checkout`).
    #[schemars(regex(pattern = crate::common::DNS_LABEL_PATTERN), length(min = 1, max = 63))]
    pub name: String,
    /// Names of the steps that must finish before this one starts (at most 100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_set, length(max = 100), inner(regex(pattern = crate::common::DNS_LABEL_PATTERN)))]
    pub depends_on: Vec<String>,
    /// How much this step counts in the resiliency score (0 to 1000; default 10).
    #[serde(default = "default_weight")]
    #[schemars(range(min = 0, max = 1000))]
    pub weight: u32,
    /// The fault this step injects.
    pub fault: Fault,
    /// Probes that check the system while the fault runs; their results decide the step's verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_map_by_name, length(max = 20))]
    pub probes: Vec<Probe>,
}

/// A fault: what to do to the targets, for how long.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// The kind of fault: pod-delete, pod-autoscaler, node-cordon, node-taint, node-drain,
    /// network-partition, network-delay, network-loss, network-duplicate, network-corrupt, network-rate,
    /// container-kill, pod-cpu-stress, pod-memory-stress, pod-io-stress, disk-fill, dns-error, dns-spoof,
    /// http-latency, http-abort, http-status, http-modify, node-cpu-stress or node-memory-stress.
    #[serde(rename = "type")]
    pub type_: FaultType,
    /// What the fault hits.
    pub target: Target,
    /// How long the chaos lasts, e.g. `60s` (at least 1s, at most the workflow's `maxDuration`; default
    /// 30s). Faults that hold a state (scale, cordon, taint, drain, partition) are reverted when it ends.
    #[serde(default = "default_fault_duration")]
    #[schemars(regex(pattern = crate::common::DURATION_PATTERN), length(max = 32))]
    pub duration: String,
    /// Inject again every interval within the duration, e.g. `10s` (at least 1s, at most the duration, at
    /// most 100 rounds; not for pod-autoscaler, whose scale holds throughout). Absent means inject once.
    /// Each round hits at most 100 targets, and a run records at most 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::common::DURATION_PATTERN), length(max = 32))]
    pub interval: Option<String>,
    /// Fault-specific parameters; each applies only to the fault types named in its description.
    #[serde(default, skip_serializing_if = "FaultParams::is_empty")]
    pub params: FaultParams,
}

fn default_fault_duration() -> String {
    "30s".into()
}

/// The kinds of fault ChaosCenter injects through the Kubernetes API.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FaultType {
    /// Delete the target pods (gracefully, or forcefully with `params.force`).
    PodDelete,
    /// Scale the target Deployment or StatefulSet to `params.replicas`, restored afterwards.
    PodAutoscaler,
    /// Mark the target nodes unschedulable, undone afterwards.
    NodeCordon,
    /// Put `params.taint` on the target nodes, removed afterwards.
    NodeTaint,
    /// Cordon the target nodes and evict their pods honouring PodDisruptionBudgets; uncordoned afterwards.
    NodeDrain,
    /// Cut the target pods' traffic (`params.direction`, optionally only to `params.destinations`), undone
    /// afterwards: by the node agent's drop rules inside each pod (default), or by a NetworkPolicy
    /// (`params.mechanism: network-policy`), whose effect is checked because many CNIs do not enforce it.
    /// Litmus: pod-network-partition.
    NetworkPartition,
    /// Delay the target pods' outgoing packets by `params.latency` (± `params.jitter`). Node agent.
    /// Litmus: pod-network-latency.
    NetworkDelay,
    /// Drop `params.percent` of the target pods' packets. Node agent. Litmus: pod-network-loss.
    NetworkLoss,
    /// Send `params.percent` of the target pods' outgoing packets twice. Node agent. Litmus:
    /// pod-network-duplication.
    NetworkDuplicate,
    /// Corrupt `params.percent` of the target pods' outgoing packets. Node agent. Litmus:
    /// pod-network-corruption.
    NetworkCorrupt,
    /// Limit the target pods' outgoing bandwidth to `params.rate`. Node agent. Litmus:
    /// pod-network-rate-limit.
    NetworkRate,
    /// Send `params.signal` (default SIGKILL) to `params.container` of each target pod (default: every
    /// container); the kubelet restarts it. Node agent. Litmus: container-kill.
    ContainerKill,
    /// Load `params.cores` CPUs at `params.load` percent inside the target container's own cgroup (so it
    /// counts against its limits). Node agent. Litmus: pod-cpu-hog.
    PodCpuStress,
    /// Allocate and touch `params.size` bytes (or `params.percent` of the container's memory limit) inside
    /// its cgroup; never past the limit unless `params.allowOom`. Node agent. Litmus: pod-memory-hog.
    PodMemoryStress,
    /// `params.workers` writers each writing and syncing `params.size` bytes (default 64Mi) under
    /// `params.path` in the container, inside its cgroup. Node agent. Litmus: pod-io-stress.
    PodIoStress,
    /// Fill the container's writable layer (or the volume mounted at `params.path`) with a file of
    /// `params.size` bytes, or `params.percent` of its ephemeral-storage limit; removed afterwards. Refused
    /// where the node's disk would pass the agent's threshold. Node agent. Litmus: disk-fill.
    DiskFill,
    /// DNS queries from the target pods for names matching `params.dns.names` are answered with
    /// `params.dns.error` (NXDOMAIN or SERVFAIL); other names resolve normally. Node agent. Litmus:
    /// pod-dns-error.
    DnsError,
    /// DNS queries from the target pods for the names in `params.dns.answers` get the given address;
    /// other names resolve normally. Node agent. Litmus: pod-dns-spoof.
    DnsSpoof,
    /// HTTP traffic on `params.http.port` (inbound or outbound) matching method and path gets
    /// `params.latency` added before it is answered. Node agent. Litmus: pod-http-latency.
    HttpLatency,
    /// Matching HTTP requests have their connection reset. Node agent. Litmus: pod-http-reset-peer.
    HttpAbort,
    /// Matching HTTP responses get `params.http.status` (and `params.http.body` when given). Node agent.
    /// Litmus: pod-http-status-code.
    HttpStatus,
    /// Matching HTTP responses get `params.http.body` and/or `params.http.headers`. Node agent. Litmus:
    /// pod-http-modify-body, pod-http-modify-header.
    HttpModify,
    /// Load `params.cores` CPUs at `params.load` percent on the target nodes, outside any pod (the node
    /// must opt in). Node agent. Litmus: node-cpu-hog.
    NodeCpuStress,
    /// Allocate and touch `params.size` bytes (or `params.percent` of the node's memory) on the target
    /// nodes, outside any pod (the node must opt in). Node agent. Litmus: node-memory-hog.
    NodeMemoryStress,
}

/// How many of the matching objects are hit.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TargetMode {
    /// Every matching object.
    #[default]
    All,
    /// One matching object, chosen at random.
    One,
    /// `value` matching objects, chosen at random.
    Fixed,
    /// `value` percent of the matching objects (rounded up), chosen at random.
    FixedPercent,
    /// A random share between 1 and `value` percent of the matching objects (rounded up).
    RandomMaxPercent,
}

/// What a fault hits: objects of a kind in a namespace, chosen by label selector and/or name.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The namespace of the targets. Must be one of the project's `targetNamespaces`, carry the label
    /// `chaoscenter.io/chaos=enabled`, and name the project in its annotation `chaoscenter.io/chaos-projects`
    /// (comma-separated project names, or `*`). Not used for node faults: a node must carry the same label
    /// and annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::common::DNS_LABEL_PATTERN), length(min = 1, max = 63))]
    pub namespace: Option<String>,
    /// The kind of the targets: Pod (default for pod faults), Deployment or StatefulSet (pod-autoscaler;
    /// for pod faults, the pods they own), or Node (node faults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TargetKind>,
    /// The name of a single target object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub name: Option<String>,
    /// A label selector choosing the targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// How many of the matching objects are hit: all, one, fixed, fixed-percent or random-max-percent.
    #[serde(default)]
    pub mode: TargetMode,
    /// The count, 1 to 10000 (mode fixed), or the percentage, 1 to 100 (modes fixed-percent and
    /// random-max-percent). Not used by modes all and one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub value: Option<u32>,
}

/// The kinds of object a fault can target.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum TargetKind {
    Pod,
    Deployment,
    StatefulSet,
    Node,
}

/// Fault-specific parameters.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaultParams {
    /// pod-delete, node-drain: seconds the pods get to shut down; default the pod's own setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 3600))]
    pub grace_period_seconds: Option<i64>,
    /// pod-delete: delete at once with grace period 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// pod-autoscaler: the replica count to scale the target to for the duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10000))]
    pub replicas: Option<i32>,
    /// node-taint: the taint to put on the target nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint: Option<TaintParams>,
    /// network-partition: which traffic is cut: Ingress, Egress or Both (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<PartitionDirection>,
    /// network-partition: how the traffic is cut: `agent` (default; drop rules inside each pod, on any
    /// CNI) or `network-policy` (a NetworkPolicy; the step fails as `InjectionIneffective` when the pod
    /// stays reachable, as on CNIs that do not enforce policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<PartitionMechanism>,
    /// network-delay: the added latency, e.g. `100ms` (1ms to 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::common::DURATION_PATTERN), length(max = 32))]
    pub latency: Option<String>,
    /// network-delay: the latency varies by up to this much either way, e.g. `10ms` (at most the latency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::common::DURATION_PATTERN), length(max = 32))]
    pub jitter: Option<String>,
    /// network-delay, network-loss: how much each packet's delay or loss depends on the previous one, in
    /// percent (0 to 100; default 0). Honoured by the kernel's netem; the user-space path approximates
    /// it for delay and refuses it for loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub correlation: Option<f64>,
    /// network-loss, network-duplicate, network-corrupt: the share of packets affected, in percent (more
    /// than 0, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub percent: Option<f64>,
    /// network-rate: the bandwidth, e.g. `1mbit`, `500kbit`, `2gbit` (bits per second with a k, m or g
    /// prefix; 8kbit to 100gbit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{1,12}(bit|kbit|mbit|gbit)$"), length(max = 32))]
    pub rate: Option<String>,
    /// Network faults but network-rate: only traffic with these peers is affected (default: all traffic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Destinations>,
    /// container-kill, pod stress faults, disk-fill: the container (default: every container for
    /// container-kill, the pod's first container otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::common::DNS_LABEL_PATTERN), length(min = 1, max = 63))]
    pub container: Option<String>,
    /// container-kill: the signal, e.g. `SIGKILL` (default), `SIGTERM`, `SIGINT`, `SIGQUIT`, `SIGHUP`,
    /// `SIGUSR1`, `SIGUSR2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16))]
    pub signal: Option<String>,
    /// pod-cpu-stress, node-cpu-stress: how many CPUs to load (1 to 64; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 64))]
    pub cores: Option<u32>,
    /// pod-cpu-stress, node-cpu-stress: the load on each, in percent (1 to 100; default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub load: Option<u32>,
    /// pod-memory-stress, node-memory-stress, pod-io-stress, disk-fill: a size in bytes, e.g. `64Mi`,
    /// `1Gi`, `500M` (a Kubernetes quantity; 1Mi to 64Gi). Memory and disk-fill take `size` or
    /// `percent`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{1,12}(Ki|Mi|Gi|k|M|G)?$"), length(max = 32))]
    pub size: Option<String>,
    /// pod-memory-stress: allow the allocation to pass the container's memory limit (the container may
    /// then be OOM-killed). Default false: the allocation stops short of the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_oom: Option<bool>,
    /// pod-io-stress: how many writers (1 to 16; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 16))]
    pub workers: Option<u32>,
    /// pod-io-stress, disk-fill: an absolute directory in the container (default `/`, its writable layer;
    /// a volume's mount path fills that volume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub path: Option<String>,
    /// dns-error, dns-spoof: which names and what they get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsParams>,
    /// http-latency, http-abort, http-status, http-modify: which traffic and what it gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpParams>,
}

/// What a DNS fault matches and answers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnsParams {
    /// dns-error: the names whose queries fail: exact names (`api.example.com`) or a wildcard for every
    /// name below one (`*.example.com`); at most 64.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 253)))]
    pub names: Vec<String>,
    /// dns-error: the answer: NXDOMAIN (default) or SERVFAIL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::injection::DnsErrorCode>,
    /// dns-spoof: name (exact or `*.` wildcard) to the IPv4 address it resolves to; at most 64.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[schemars(length(max = 64))]
    pub answers: std::collections::BTreeMap<String, String>,
}

/// What an HTTP fault matches and does.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpParams {
    /// The port: the pod's own serving port (inbound) or the remote port it calls (outbound).
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// inbound (default: requests the pod serves) or outbound (requests it makes).
    #[serde(default)]
    pub direction: crate::injection::HttpDirection,
    /// Only requests with this method, e.g. `GET` (default: every method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 16))]
    pub method: Option<String>,
    /// Only requests whose path starts with this, e.g. `/api` (default: every path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub path: Option<String>,
    /// http-status: the status code answered instead (100 to 599).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 599))]
    pub status: Option<u32>,
    /// http-status, http-modify: the body answered instead (at most 64 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 65536))]
    pub body: Option<String>,
    /// http-modify: response headers set (replacing any of the same name); at most 32.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[schemars(length(max = 32))]
    pub headers: std::collections::BTreeMap<String, String>,
}

/// How a network partition is made.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionMechanism {
    /// Drop rules inside each target pod's network namespace, by the node agent (any CNI).
    #[default]
    Agent,
    /// A NetworkPolicy selecting the pods; only where the CNI enforces NetworkPolicy (checked).
    NetworkPolicy,
}

/// The peers a network fault is limited to: traffic to or from any of the addresses (CIDRs, host names
/// resolved when injecting, pods chosen by selector), further limited to ports and a protocol when given.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Destinations {
    /// Addresses, e.g. `10.96.0.0/12` or `10.1.0.7` (IPv4 or IPv6); at most 64.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), inner(length(max = 64)))]
    pub cidrs: Vec<String>,
    /// Host names, resolved by the operator when injecting; at most 16.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16), inner(length(max = 253)))]
    pub hosts: Vec<String>,
    /// Pods, by label selector in a namespace (default: the target's), resolved to their addresses when
    /// injecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<PeerPods>,
    /// Remote ports (1 to 65535); at most 32.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32), inner(range(min = 1, max = 65535)))]
    pub ports: Vec<u32>,
    /// tcp, udp or icmp; default every protocol (with ports: tcp and udp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<crate::injection::Protocol>,
}

/// Peer pods of a network fault.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeerPods {
    /// Their namespace (default: the target's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::common::DNS_LABEL_PATTERN), length(min = 1, max = 63))]
    pub namespace: Option<String>,
    /// The label selector choosing them.
    pub selector: LabelSelector,
}

impl FaultParams {
    /// True when no parameter is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A node taint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaintParams {
    /// The taint key, e.g. `chaoscenter.io/chaos`.
    #[schemars(
        regex(pattern = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"),
        length(min = 1, max = 316)
    )]
    pub key: String,
    /// The taint value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = 63))]
    pub value: String,
    /// The taint effect: NoSchedule (default), PreferNoSchedule or NoExecute.
    #[serde(default)]
    pub effect: TaintEffect,
}

/// What a taint does to pods that do not tolerate it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum TaintEffect {
    #[default]
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

/// Which traffic a network partition cuts.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum PartitionDirection {
    Ingress,
    Egress,
    #[default]
    Both,
}

/// A probe: a check of the system's health whose results decide a step's verdict.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// The probe's name, unique in its step.
    #[schemars(regex(pattern = crate::common::DNS_LABEL_PATTERN), length(min = 1, max = 63))]
    pub name: String,
    /// The kind of check: http, k8s, prom or cmd. The field of the same name holds its settings.
    #[serde(rename = "type")]
    pub type_: ProbeType,
    /// When the probe runs: SOT (before the chaos), EOT (after it), Edge (both), Continuous (throughout,
    /// from start to end) or OnChaos (only while the fault is active).
    #[serde(default)]
    pub mode: ProbeMode,
    /// Settings of an http probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpProbe>,
    /// Settings of a k8s probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s: Option<K8sProbe>,
    /// Settings of a prom probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prom: Option<PromProbe>,
    /// Settings of a cmd probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<CmdProbe>,
    /// How often, how long and how many times the probe is tried.
    #[serde(default)]
    pub run_properties: RunProperties,
}

/// The kinds of probe.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProbeType {
    Http,
    K8s,
    Prom,
    Cmd,
}

/// When a probe runs relative to the chaos.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ProbeMode {
    /// Start of test: once, before the fault is injected.
    SOT,
    /// End of test: once, after the fault is reverted.
    EOT,
    /// Before and after the chaos.
    Edge,
    /// Repeatedly, from the step's start to its end.
    #[default]
    Continuous,
    /// Repeatedly, only while the fault is active.
    OnChaos,
}

/// An HTTP request whose response must match.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpProbe {
    /// The URL to request, e.g. `http://checkout.shop.svc:8080/healthz`.
    #[schemars(regex(pattern = r"^https?://[^\s]+$"), length(max = 2048))]
    pub url: String,
    /// The HTTP method: GET (default), HEAD or POST. A probe reads; PUT, DELETE and PATCH are refused.
    #[serde(default)]
    pub method: HttpMethod,
    /// The request body, for POST only (at most 4 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub body: Option<String>,
    /// The status code the response must have. Default: any 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 599))]
    pub expect_status: Option<u16>,
    /// A string the response body must contain (at most 4096 bytes; not with HEAD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub expect_body_contains: Option<String>,
}

/// HTTP methods of the schema. The validator accepts only GET, HEAD and POST; the others are kept so that
/// stored definitions naming them still read (and are refused with a message).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum HttpMethod {
    #[default]
    GET,
    POST,
    PUT,
    DELETE,
    HEAD,
    PATCH,
}

/// A check of Kubernetes objects.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct K8sProbe {
    /// The API version of the objects, e.g. `v1` or `apps/v1`.
    #[schemars(length(min = 1, max = 1024))]
    pub api_version: String,
    /// The kind of the objects, e.g. `Pod`.
    #[schemars(length(min = 1, max = 1024))]
    pub kind: String,
    /// The namespace to look in; absent for cluster-scoped kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::common::DNS_LABEL_PATTERN))]
    pub namespace: Option<String>,
    /// A label selector in kubectl syntax, e.g. `app=checkout,tier!=cache`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub label_selector: Option<String>,
    /// A field selector in kubectl syntax, e.g. `status.phase=Running`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub field_selector: Option<String>,
    /// What must hold: present (at least one object matches), absent (none does) or count (exactly
    /// `count` match).
    pub operation: K8sOperation,
    /// The number of matching objects required by operation count (0 to 100000; only with count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100000))]
    pub count: Option<u32>,
}

/// What a k8s probe requires of the matching objects.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum K8sOperation {
    Present,
    Absent,
    Count,
}

/// A PromQL query whose result is compared with a value.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromProbe {
    /// The Prometheus base URL, e.g. `http://prometheus.monitoring:9090`: http or https, no query (`?`),
    /// fragment (`#`) or `user:password@`. The probe adds `/api/v1/query?query=...`.
    #[schemars(regex(pattern = r"^https?://[^\s]+$"), length(max = 2048))]
    pub endpoint: String,
    /// The PromQL query; it must return one scalar or a one-element vector (at most 4096 bytes).
    #[schemars(length(min = 1, max = 4096))]
    pub query: String,
    /// How the result is compared.
    pub comparator: Comparator,
}

/// A command run as a Kubernetes Job in the project namespace; its output is compared.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CmdProbe {
    /// The command and its arguments, e.g. `["sh", "-c", "wget -qO- http://checkout/healthz"]`.
    #[schemars(length(min = 1, max = 64), inner(length(max = 4096)))]
    pub command: Vec<String>,
    /// The container image the command runs in.
    #[schemars(length(min = 1, max = 512))]
    pub image: String,
    /// How the command's trimmed standard output is compared.
    pub comparator: Comparator,
    /// CPU and memory of the command's container, each both its request and its limit. Default: `100m`
    /// CPU and `64Mi` memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<CmdResources>,
}

/// CPU and memory of a cmd probe's container (each both the request and the limit).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CmdResources {
    /// CPU, `10m` to `1` (e.g. `250m` or `0.5`). Default `100m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub cpu: Option<String>,
    /// Memory, `16Mi` to `512Mi` (e.g. `128Mi`). Default `64Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub memory: Option<String>,
}

/// A comparison of an observed value with an expected one.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Comparator {
    /// How values are compared: as int, float or string.
    #[serde(rename = "type", default)]
    pub type_: ComparatorType,
    /// The comparison: `==`, `!=`, `>`, `<`, `>=`, `<=` for numbers; `equal`, `notEqual`, `contains`,
    /// `matches` (a regular expression) for strings.
    pub criteria: Criteria,
    /// The expected value (at most 4096 bytes).
    #[schemars(length(max = 4096))]
    pub value: String,
}

/// How compared values are read.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ComparatorType {
    Int,
    #[default]
    Float,
    String,
}

/// A comparison operator.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum Criteria {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "equal")]
    Equal,
    #[serde(rename = "notEqual")]
    NotEqual,
    #[serde(rename = "contains")]
    Contains,
    #[serde(rename = "matches")]
    Matches,
}

/// How often, how long and how many times a probe is tried.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunProperties {
    /// Time between two checks (Continuous and OnChaos modes), e.g. `2s` (500ms to 1h; default 2s).
    #[serde(default = "default_probe_interval")]
    #[schemars(regex(pattern = crate::common::DURATION_PATTERN), length(max = 32))]
    pub interval: String,
    /// How long one check may take, e.g. `1s` (100ms to 15m; default 1s).
    #[serde(default = "default_probe_timeout")]
    #[schemars(regex(pattern = crate::common::DURATION_PATTERN), length(max = 32))]
    pub timeout: String,
    /// How many times one check is tried before it counts as failed (1 to 100); all attempts, 500 ms
    /// apart, must fit in the workflow's `maxDuration`.
    #[serde(default = "default_probe_attempts")]
    #[schemars(range(min = 1, max = 100))]
    pub attempts: u32,
    /// Wait this long before the first check, e.g. `5s` (at most 1h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::common::DURATION_PATTERN), length(max = 32))]
    pub initial_delay: Option<String>,
    /// Stop the step (and revert its fault) as soon as this probe fails.
    #[serde(default)]
    pub stop_on_failure: bool,
}

impl Default for RunProperties {
    fn default() -> Self {
        Self {
            interval: default_probe_interval(),
            timeout: default_probe_timeout(),
            attempts: default_probe_attempts(),
            initial_delay: None,
            stop_on_failure: false,
        }
    }
}

fn default_probe_interval() -> String {
    "2s".into()
}
fn default_probe_timeout() -> String {
    "1s".into()
}
fn default_probe_attempts() -> u32 {
    1
}

/// What the operator observed for a workflow.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChaosWorkflowStatus {
    /// The `metadata.generation` the status was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The most recent run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<LastRun>,
    /// When the schedule starts the next run (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<String>,
    /// When the schedule last started a run (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_at: Option<String>,
    /// With `spec.runOnChange`: the digest (SHA-256) of the definition the last run on change was started
    /// for; a definition with another digest starts one more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_digest: Option<String>,
    /// Runs of this workflow going now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active_runs: Vec<String>,
    /// The latest observations of the workflow's state, one per type (e.g. `Ready`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_map_by_type)]
    pub conditions: Vec<Condition>,
}

/// A summary of a workflow's most recent run.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastRun {
    /// The run's name.
    pub name: String,
    /// The run's phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<crate::run::RunPhase>,
    /// The run's resiliency score, 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resiliency_score: Option<f64>,
    /// When the run finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}
