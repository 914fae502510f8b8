//! One Litmus fault (its name, ENV and `appinfo`) and its Litmus probes mapped to a ChaosCenter fault
//! and probes, every ENV variable either carried over (as a parameter naming the field it fills), noted
//! as not needed, or reported as dropped with why; and the reason a fault without an equivalent is not
//! supported.

use chaoscenter_crds::workflow::{
    CmdProbe, Comparator, ComparatorType, Criteria, Destinations, DnsParams, Fault, FaultParams, FaultType,
    HttpMethod, HttpParams, HttpProbe, K8sOperation, K8sProbe, PartitionDirection, Probe, ProbeMode,
    ProbeType, PromProbe, RunProperties, TaintEffect, TaintParams, Target, TargetKind, TargetMode,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;
use std::collections::BTreeMap;

/// The image a Litmus inline cmd probe (run inside the experiment's own pod in Litmus) runs in here.
pub const INLINE_CMD_IMAGE: &str = "busybox:1.36";

/// A ChaosEngine's `appinfo`: where the target application is.
#[derive(Clone, Debug, Default)]
pub struct AppInfo {
    pub appns: Option<String>,
    pub applabel: Option<String>,
    pub appkind: Option<String>,
}

impl AppInfo {
    /// Reads `spec.appinfo` of a ChaosEngine.
    pub fn of_engine(engine: &Value) -> Self {
        let a = &engine["spec"]["appinfo"];
        Self { appns: text(&a["appns"]), applabel: text(&a["applabel"]), appkind: text(&a["appkind"]) }
    }
}

/// A parameter of a mapped fault: its name (the Litmus ENV or appinfo key), what it means, and the field
/// it fills relative to the step (e.g. `fault.duration`).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub description: String,
    pub field: String,
}

/// A Litmus fault mapped to ChaosCenter's.
#[derive(Clone, Debug)]
pub struct Mapped {
    pub fault: Fault,
    pub mapped: Vec<String>,
    pub dropped: Vec<String>,
    pub params: Vec<Param>,
}

/// A scalar's text (strings, numbers and booleans; empty strings count as absent).
pub fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// `env: [{name, value}]` as a map (later entries win; `valueFrom` entries are skipped).
pub fn env_of(list: &Value) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for e in list.as_array().into_iter().flatten() {
        if let Some(name) = text(&e["name"]) {
            env.insert(name, text(&e["value"]).unwrap_or_default());
        }
    }
    env
}

/// The ChaosCenter fault type of a Litmus fault, or why there is none.
pub fn fault_type(litmus: &str) -> Result<FaultType, String> {
    Ok(match litmus {
        "pod-delete" => FaultType::PodDelete,
        "pod-autoscaler" => FaultType::PodAutoscaler,
        "node-taint" => FaultType::NodeTaint,
        "node-drain" => FaultType::NodeDrain,
        "node-cordon" => FaultType::NodeCordon,
        "pod-network-partition" => FaultType::NetworkPartition,
        "pod-network-latency" => FaultType::NetworkDelay,
        "pod-network-loss" => FaultType::NetworkLoss,
        "pod-network-duplication" => FaultType::NetworkDuplicate,
        "pod-network-corruption" => FaultType::NetworkCorrupt,
        "pod-network-rate-limit" => FaultType::NetworkRate,
        "container-kill" => FaultType::ContainerKill,
        "pod-cpu-hog" => FaultType::PodCpuStress,
        "pod-memory-hog" => FaultType::PodMemoryStress,
        "pod-io-stress" => FaultType::PodIoStress,
        "disk-fill" => FaultType::DiskFill,
        "pod-dns-error" => FaultType::DnsError,
        "pod-dns-spoof" => FaultType::DnsSpoof,
        "pod-http-latency" => FaultType::HttpLatency,
        "pod-http-reset-peer" => FaultType::HttpAbort,
        "pod-http-status-code" => FaultType::HttpStatus,
        "pod-http-modify-body" | "pod-http-modify-header" => FaultType::HttpModify,
        "node-cpu-hog" => FaultType::NodeCpuStress,
        "node-memory-hog" => FaultType::NodeMemoryStress,
        other => return Err(unsupported_reason(other)),
    })
}

/// Why a Litmus fault has no ChaosCenter equivalent.
pub fn unsupported_reason(litmus: &str) -> String {
    let why = if ["aws-", "ec2-", "ebs-", "rds-", "lambda-", "ecs-"].iter().any(|p| litmus.starts_with(p)) {
        "it acts on AWS resources through the AWS API; ChaosCenter injects only through Kubernetes and its node agent"
    } else if litmus.starts_with("gcp-") {
        "it acts on Google Cloud resources through the GCP API; ChaosCenter injects only through Kubernetes and its node agent"
    } else if litmus.starts_with("azure-") {
        "it acts on Azure resources through the Azure API; ChaosCenter injects only through Kubernetes and its node agent"
    } else if litmus.starts_with("vm-") || litmus.starts_with("vmware-") {
        "it acts on VMware virtual machines through vCenter; ChaosCenter injects only through Kubernetes and its node agent"
    } else if litmus.starts_with("spring-boot-") {
        "it acts inside a Spring Boot application through Chaos Monkey for Spring Boot, which ChaosCenter does not drive"
    } else if litmus.ends_with("-service-kill") {
        "it stops a service of the node's host (systemctl); ChaosCenter's node agent does not stop host services"
    } else if litmus.ends_with("-exec") {
        "it runs the stress through kubectl exec inside the target container; use its cgroup-level equivalent (pod-cpu-hog → pod-cpu-stress, pod-memory-hog → pod-memory-stress)"
    } else if litmus == "node-restart" || litmus == "node-poweroff" {
        "it reboots or powers off a node over SSH with a private key; ChaosCenter does not log into nodes"
    } else if litmus == "node-io-stress" {
        "ChaosCenter stresses io only inside a pod (pod-io-stress), not on a node"
    } else if litmus == "pod-fio-stress" {
        "it runs fio through kubectl exec inside the target container; use pod-io-stress"
    } else if litmus.starts_with("k6-") || litmus.contains("locust") || litmus.contains("loadgen") {
        "it generates load rather than injecting a fault; ChaosCenter has no load generator"
    } else if litmus == "time-chaos" || litmus.contains("clock") {
        "ChaosCenter does not skew clocks"
    } else {
        "ChaosCenter has no equivalent fault"
    };
    format!("Litmus fault {litmus}: {why}")
}

/// ENV variables that only tell Litmus's helper pods how to work; ChaosCenter's node agent does not need them.
const PLUMBING: &[&str] = &[
    "CONTAINER_RUNTIME",
    "SOCKET_PATH",
    "LIB",
    "LIB_IMAGE",
    "TC_IMAGE",
    "STRESS_IMAGE",
    "EXPERIMENT_IMAGE",
    "NETWORK_INTERFACE",
    "PROXY_PORT",
    "DEFAULT_HEALTH_CHECK",
    "SEQUENCE",
    "TARGET_CONTAINER_RUNTIME",
    "CHAOS_NAMESPACE",
    "CHAOS_SERVICE_ACCOUNT",
    "APP_KIND",
    "NODES_AFFECTED_PERC_DEFAULT",
    "INSTANCE_ID",
    "LIB_IMAGE_PULL_POLICY",
    "SET_HELPER_DATA",
    "TERMINATION_GRACE_PERIOD_SECONDS",
];

struct Ctx<'a> {
    litmus: &'a str,
    env: &'a BTreeMap<String, String>,
    used: Vec<String>,
    out: Mapped,
}

impl Ctx<'_> {
    /// The non-empty value of `key`, marked as handled.
    fn take(&mut self, key: &str) -> Option<String> {
        self.used.push(key.to_string());
        self.env.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }
    fn number(&mut self, key: &str) -> Option<u64> {
        let v = self.take(key)?;
        match v.parse::<f64>() {
            Ok(n) if n >= 0.0 && n.is_finite() => Some(n.round() as u64),
            _ => {
                self.drop(format!("{key}={v}: not a number; ChaosCenter's default is used"));
                None
            }
        }
    }
    fn map(&mut self, what: String) {
        self.out.mapped.push(what);
    }
    fn drop(&mut self, what: String) {
        self.out.dropped.push(what);
    }
    fn param(&mut self, name: &str, description: &str, field: &str) {
        self.out.params.push(Param {
            name: name.to_string(),
            description: description.to_string(),
            field: field.to_string(),
        });
    }
    fn list(&mut self, key: &str) -> Vec<String> {
        self.take(key)
            .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }
}

/// Maps Litmus fault `litmus` with `env` (the ChaosExperiment's defaults overridden by the engine's) and
/// `app` to a ChaosCenter fault; an error says why the fault has no equivalent.
pub fn map_fault(litmus: &str, env: &BTreeMap<String, String>, app: &AppInfo) -> Result<Mapped, String> {
    let type_ = fault_type(litmus)?;
    if litmus == "pod-http-modify-header"
        && env.get("HEADER_MODE").is_some_and(|m| m.trim().eq_ignore_ascii_case("request"))
    {
        return Err(format!(
            "Litmus fault {litmus} with HEADER_MODE=request: ChaosCenter's http-modify changes response headers only"
        ));
    }
    let fault = Fault {
        type_,
        target: Target::default(),
        duration: "30s".into(),
        interval: None,
        params: FaultParams::default(),
    };
    let mut c = Ctx {
        litmus,
        env,
        used: Vec::new(),
        out: Mapped { fault, mapped: Vec::new(), dropped: Vec::new(), params: Vec::new() },
    };
    c.map(format!("fault {litmus} → {}", type_name(type_)));
    durations(&mut c);
    match type_ {
        FaultType::NodeTaint
        | FaultType::NodeDrain
        | FaultType::NodeCordon
        | FaultType::NodeCpuStress
        | FaultType::NodeMemoryStress => node_target(&mut c),
        FaultType::PodAutoscaler => workload_target(&mut c, app),
        _ => pod_target(&mut c, app),
    }
    params(&mut c);
    if let Some(v) = c.take("RAMP_TIME").filter(|v| v != "0") {
        c.drop(format!(
            "RAMP_TIME={v}: ChaosCenter does not wait before and after the chaos; give a probe an initialDelay instead"
        ));
    }
    let leftover: Vec<(String, String)> = c
        .env
        .iter()
        .filter(|(k, _)| !c.used.contains(k))
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    for (k, v) in leftover {
        if PLUMBING.contains(&k.as_str()) {
            if !v.is_empty() {
                c.map(format!("{k}: not needed (ChaosCenter's node agent finds what it needs itself)"));
            }
        } else if !v.is_empty() {
            c.drop(format!("{k}={v}: no ChaosCenter equivalent for {}", c.litmus));
        }
    }
    Ok(c.out)
}

/// ChaosCenter's name of a fault type (its kebab-case YAML form).
pub fn type_name(t: FaultType) -> String {
    serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn durations(c: &mut Ctx) {
    let duration = c.number("TOTAL_CHAOS_DURATION").filter(|d| *d > 0);
    if let Some(d) = duration {
        c.out.fault.duration = format!("{d}s");
        c.map(format!("TOTAL_CHAOS_DURATION={d} → duration {d}s"));
        c.param("TOTAL_CHAOS_DURATION", "How long the chaos lasts.", "fault.duration");
    }
    let repeats = matches!(c.out.fault.type_, FaultType::PodDelete | FaultType::ContainerKill);
    if !repeats {
        if let Some(v) = c.take("CHAOS_INTERVAL") {
            c.map(format!("CHAOS_INTERVAL={v}: not used by {} (injected once for the duration)", c.litmus));
        }
        return;
    }
    let total = duration.unwrap_or(30);
    if let Some(i) = c.number("CHAOS_INTERVAL").filter(|i| *i > 0) {
        if i >= total {
            c.map(format!("CHAOS_INTERVAL={i}: not shorter than the duration, so injected once"));
            return;
        }
        let min = total.div_ceil(100);
        let i2 = i.max(min);
        c.out.fault.interval = Some(format!("{i2}s"));
        if i2 != i {
            c.drop(format!("CHAOS_INTERVAL={i}: more than 100 rounds; interval raised to {i2}s"));
        } else {
            c.map(format!("CHAOS_INTERVAL={i} → interval {i}s"));
        }
        c.param("CHAOS_INTERVAL", "Inject again every interval within the duration.", "fault.interval");
    }
}

/// `k=v,k2=v2` as a selector; set-based parts are reported.
fn selector(c: &mut Ctx, key: &str, text: &str) -> Option<LabelSelector> {
    let mut labels = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) if !k.ends_with('!') && !v.starts_with('=') => {
                labels.insert(k.trim().to_string(), v.trim().to_string());
            }
            _ => c.drop(format!("{key}: {part:?} is not a key=value label; left out of the selector")),
        }
    }
    (!labels.is_empty()).then_some(LabelSelector { match_labels: Some(labels), match_expressions: None })
}

fn count(c: &mut Ctx, key: &str, named: bool) {
    let t = &mut c.out.fault.target;
    let perc = c.env.get(key).and_then(|v| v.trim().parse::<f64>().ok());
    c.used.push(key.to_string());
    match perc {
        _ if named => {
            t.mode = TargetMode::All;
        }
        None | Some(0.0) => {
            t.mode = TargetMode::One;
            c.map(format!("{key} unset or 0 → mode one (Litmus hits one target)"));
        }
        Some(p) if p >= 100.0 => {
            t.mode = TargetMode::All;
            c.map(format!("{key}={p} → mode all"));
        }
        Some(p) => {
            t.mode = TargetMode::FixedPercent;
            t.value = Some((p.ceil() as u32).max(1));
            c.map(format!("{key}={p} → mode fixed-percent {}", p.ceil()));
            c.param(key, "The percentage of matching targets hit.", "fault.target.value");
        }
    }
}

fn pod_target(c: &mut Ctx, app: &AppInfo) {
    let ns = app.appns.clone().or_else(|| c.take("APP_NAMESPACE"));
    c.used.push("APP_NAMESPACE".into());
    match ns {
        Some(ns) => {
            c.map(format!("appns={ns} → target.namespace"));
            c.out.fault.target.namespace = Some(ns);
            c.param("appns", "The namespace of the target pods.", "fault.target.namespace");
        }
        None => c.drop("no appns: set target.namespace".into()),
    }
    let label = app.applabel.clone().or_else(|| c.take("APP_LABEL"));
    c.used.push("APP_LABEL".into());
    let pods = c.list("TARGET_PODS");
    let named = pods.len() == 1;
    if let Some(l) = label.filter(|_| !named) {
        if let Some(s) = selector(c, "applabel", &l) {
            c.map(format!("applabel={l} → target.selector"));
            c.out.fault.target.selector = Some(s);
            c.param("applabel", "Labels choosing the target pods.", "fault.target.selector.matchLabels");
        }
    }
    if let Some(kind) = &app.appkind {
        c.map(format!("appkind={kind}: the pods are chosen by label whatever owns them"));
    }
    match pods.as_slice() {
        [] => {}
        [one] => {
            c.map(format!("TARGET_PODS={one} → target.name"));
            c.out.fault.target.name = Some(one.clone());
            c.param("TARGET_PODS", "The name of the target pod.", "fault.target.name");
        }
        many => c.drop(format!(
            "TARGET_PODS={}: a target names one pod; use a label selector for several",
            many.join(",")
        )),
    }
    count(c, "PODS_AFFECTED_PERC", named);
}

fn workload_target(c: &mut Ctx, app: &AppInfo) {
    let kind = match app.appkind.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("statefulset") => TargetKind::StatefulSet,
        Some("deployment") | None => TargetKind::Deployment,
        Some(other) => {
            c.drop(format!(
                "appkind={other}: pod-autoscaler scales a Deployment or StatefulSet; Deployment assumed"
            ));
            TargetKind::Deployment
        }
    };
    c.out.fault.target.kind = Some(kind);
    match app.appns.clone() {
        Some(ns) => {
            c.map(format!("appns={ns} → target.namespace"));
            c.out.fault.target.namespace = Some(ns);
            c.param("appns", "The namespace of the target workload.", "fault.target.namespace");
        }
        None => c.drop("no appns: set target.namespace".into()),
    }
    if let Some(l) = app.applabel.clone() {
        if let Some(s) = selector(c, "applabel", &l) {
            c.map(format!("applabel={l} → target.selector ({kind:?})"));
            c.out.fault.target.selector = Some(s);
            c.param("applabel", "Labels choosing the target workload.", "fault.target.selector.matchLabels");
        }
    } else {
        c.drop("no applabel: set target.selector or target.name".into());
    }
}

fn node_target(c: &mut Ctx) {
    let mut nodes = c.list("TARGET_NODE");
    nodes.extend(c.list("TARGET_NODES"));
    let label = c.take("NODE_LABEL");
    let named = nodes.len() == 1;
    match nodes.as_slice() {
        [] => {}
        [one] => {
            c.map(format!("TARGET_NODE={one} → target.name"));
            c.out.fault.target.name = Some(one.clone());
            let key = if c.env.contains_key("TARGET_NODE") { "TARGET_NODE" } else { "TARGET_NODES" };
            c.param(key, "The name of the target node.", "fault.target.name");
        }
        many => c.drop(format!("TARGET_NODES={}: a target names one node; use NODE_LABEL", many.join(","))),
    }
    if let Some(l) = label.filter(|_| !named) {
        if let Some(s) = selector(c, "NODE_LABEL", &l) {
            c.map(format!("NODE_LABEL={l} → target.selector"));
            c.out.fault.target.selector = Some(s);
            c.param("NODE_LABEL", "Labels choosing the target nodes.", "fault.target.selector.matchLabels");
        }
    }
    let t = &mut c.out.fault.target;
    if t.name.is_none() && t.selector.is_none() {
        t.name = Some("target-node".into());
        c.map("no TARGET_NODE or NODE_LABEL: target.name is the placeholder target-node; set it".into());
        c.param("TARGET_NODE", "The name of the target node.", "fault.target.name");
    }
    count(c, "NODES_AFFECTED_PERC", named);
}

fn http(p: &mut FaultParams) -> &mut HttpParams {
    p.http.get_or_insert_with(|| HttpParams { port: 80, ..HttpParams::default() })
}

fn params(c: &mut Ctx) {
    let t = c.out.fault.type_;
    match t {
        FaultType::PodDelete => {
            if let Some(v) = c.take("FORCE") {
                let force = v.eq_ignore_ascii_case("true");
                c.out.fault.params.force = Some(force);
                c.map(format!("FORCE={v} → params.force {force}"));
                c.param("FORCE", "Delete at once, with grace period 0.", "fault.params.force");
            }
        }
        FaultType::NodeDrain | FaultType::NodeCordon => {}
        FaultType::PodAutoscaler => {
            let n = c.number("REPLICA_COUNT").unwrap_or(5);
            c.out.fault.params.replicas = Some(i32::try_from(n).unwrap_or(i32::MAX));
            c.map(format!("REPLICA_COUNT={n} → params.replicas"));
            c.param("REPLICA_COUNT", "The replica count to scale to.", "fault.params.replicas");
        }
        FaultType::NodeTaint => {
            let v = c.take("TAINTS").unwrap_or_else(|| "chaoscenter.io/chaos=true:NoSchedule".into());
            let (kv, effect) = match v.rsplit_once(':') {
                Some((kv, e)) => (kv, e),
                None => (v.as_str(), "NoSchedule"),
            };
            let effect = match effect {
                "NoExecute" => TaintEffect::NoExecute,
                "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
                _ => TaintEffect::NoSchedule,
            };
            let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
            c.out.fault.params.taint =
                Some(TaintParams { key: key.trim().into(), value: value.trim().into(), effect });
            c.map(format!("TAINTS={v} → params.taint"));
            c.param("TAINTS", "The taint's key.", "fault.params.taint.key");
        }
        FaultType::NetworkPartition => {
            if let Some(v) = c.take("POLICY_TYPES") {
                let d = match v.to_ascii_lowercase().as_str() {
                    "ingress" => PartitionDirection::Ingress,
                    "egress" => PartitionDirection::Egress,
                    _ => PartitionDirection::Both,
                };
                c.out.fault.params.direction = Some(d);
                c.map(format!("POLICY_TYPES={v} → params.direction {d:?}"));
                c.param(
                    "POLICY_TYPES",
                    "Which traffic is cut: Ingress, Egress or Both.",
                    "fault.params.direction",
                );
            }
            for k in ["NAMESPACE_SELECTOR", "POD_SELECTOR", "PORTS"] {
                if let Some(v) = c.take(k) {
                    c.drop(format!("{k}={v}: give the peers as params.destinations instead"));
                }
            }
            destinations(c);
        }
        FaultType::NetworkDelay => {
            let ms = c.number("NETWORK_LATENCY").unwrap_or(2000).clamp(1, 10_000);
            c.out.fault.params.latency = Some(format!("{ms}ms"));
            c.map(format!("NETWORK_LATENCY={ms} → params.latency {ms}ms"));
            c.param("NETWORK_LATENCY", "The added latency.", "fault.params.latency");
            if let Some(j) = c.number("JITTER").filter(|j| *j > 0) {
                let j = j.min(ms);
                c.out.fault.params.jitter = Some(format!("{j}ms"));
                c.map(format!("JITTER={j} → params.jitter {j}ms"));
                c.param("JITTER", "How much the latency varies either way.", "fault.params.jitter");
            }
            correlation(c);
            destinations(c);
        }
        FaultType::NetworkLoss | FaultType::NetworkDuplicate | FaultType::NetworkCorrupt => {
            let key = match t {
                FaultType::NetworkLoss => "NETWORK_PACKET_LOSS_PERCENTAGE",
                FaultType::NetworkDuplicate => "NETWORK_PACKET_DUPLICATION_PERCENTAGE",
                _ => "NETWORK_PACKET_CORRUPTION_PERCENTAGE",
            };
            let p = c.number(key).unwrap_or(100).clamp(1, 100);
            c.out.fault.params.percent = Some(p as f64);
            c.map(format!("{key}={p} → params.percent"));
            c.param(key, "The share of packets affected, in percent.", "fault.params.percent");
            if t == FaultType::NetworkLoss {
                correlation(c);
            }
            destinations(c);
        }
        FaultType::NetworkRate => {
            let v = c.take("NETWORK_BANDWIDTH").unwrap_or_else(|| "1mbit".into()).to_ascii_lowercase();
            let v = if v.chars().all(|ch| ch.is_ascii_digit()) { format!("{v}bit") } else { v };
            c.out.fault.params.rate = Some(v.clone());
            c.map(format!("NETWORK_BANDWIDTH={v} → params.rate"));
            c.param("NETWORK_BANDWIDTH", "The bandwidth, e.g. 1mbit.", "fault.params.rate");
            for k in ["BURST", "LIMIT", "MIN_BURST", "PEAK_RATE", "DESTINATION_IPS", "DESTINATION_HOSTS"] {
                if let Some(v) = c.take(k) {
                    c.drop(format!("{k}={v}: network-rate limits the whole interface"));
                }
            }
        }
        FaultType::ContainerKill => {
            container(c);
            if let Some(s) = c.take("SIGNAL") {
                let s = if s.starts_with("SIG") { s } else { format!("SIG{s}") };
                c.map(format!("SIGNAL={s} → params.signal"));
                c.out.fault.params.signal = Some(s);
                c.param("SIGNAL", "The signal sent.", "fault.params.signal");
            }
        }
        FaultType::PodCpuStress | FaultType::NodeCpuStress => {
            if t == FaultType::PodCpuStress {
                container(c);
            }
            let key = if t == FaultType::PodCpuStress { "CPU_CORES" } else { "NODE_CPU_CORE" };
            match c.number(key) {
                Some(n) if n > 0 => {
                    let n = n.min(64) as u32;
                    c.out.fault.params.cores = Some(n);
                    c.map(format!("{key}={n} → params.cores"));
                    c.param(key, "How many CPUs to load.", "fault.params.cores");
                }
                Some(_) => c.map(format!("{key}=0 (Litmus: every core) → ChaosCenter's default of 1 core")),
                None => {}
            }
            if let Some(l) = c.number("CPU_LOAD").filter(|l| *l > 0) {
                let l = l.min(100) as u32;
                c.out.fault.params.load = Some(l);
                c.map(format!("CPU_LOAD={l} → params.load"));
                c.param("CPU_LOAD", "The load on each CPU, in percent.", "fault.params.load");
            }
        }
        FaultType::PodMemoryStress => {
            container(c);
            let mb = c.number("MEMORY_CONSUMPTION").filter(|m| *m > 0).unwrap_or(500);
            c.out.fault.params.size = Some(format!("{mb}Mi"));
            c.map(format!("MEMORY_CONSUMPTION={mb} → params.size {mb}Mi"));
            c.param("MEMORY_CONSUMPTION", "How much memory to take.", "fault.params.size");
            workers_note(c);
        }
        FaultType::NodeMemoryStress => {
            let mib = c.number("MEMORY_CONSUMPTION_MEBIBYTES").filter(|m| *m > 0);
            let perc = c.number("MEMORY_CONSUMPTION_PERCENTAGE").filter(|m| *m > 0);
            if let Some(mib) = mib {
                c.out.fault.params.size = Some(format!("{mib}Mi"));
                c.map(format!("MEMORY_CONSUMPTION_MEBIBYTES={mib} → params.size {mib}Mi"));
                c.param("MEMORY_CONSUMPTION_MEBIBYTES", "How much memory to take.", "fault.params.size");
                if perc.is_some() {
                    c.drop(
                        "MEMORY_CONSUMPTION_PERCENTAGE: MEMORY_CONSUMPTION_MEBIBYTES given, which wins"
                            .into(),
                    );
                }
            } else {
                let p = perc.unwrap_or(30).min(100);
                c.out.fault.params.percent = Some(p as f64);
                c.map(format!("MEMORY_CONSUMPTION_PERCENTAGE={p} → params.percent"));
                c.param(
                    "MEMORY_CONSUMPTION_PERCENTAGE",
                    "The share of the node's memory to take.",
                    "fault.params.percent",
                );
            }
            workers_note(c);
        }
        FaultType::PodIoStress => {
            container(c);
            if let Some(gb) = c.number("FILESYSTEM_UTILIZATION_BYTES").filter(|g| *g > 0) {
                c.out.fault.params.size = Some(format!("{gb}Gi"));
                c.map(format!("FILESYSTEM_UTILIZATION_BYTES={gb} (GB) → params.size {gb}Gi"));
                c.param("FILESYSTEM_UTILIZATION_BYTES", "How much each writer writes.", "fault.params.size");
            }
            if let Some(p) = c.take("FILESYSTEM_UTILIZATION_PERCENTAGE") {
                c.drop(format!(
                    "FILESYSTEM_UTILIZATION_PERCENTAGE={p}: pod-io-stress writes a size (params.size, default 64Mi)"
                ));
            }
            if let Some(w) = c.number("NUMBER_OF_WORKERS").filter(|w| *w > 0) {
                let w = w.min(16) as u32;
                c.out.fault.params.workers = Some(w);
                c.map(format!("NUMBER_OF_WORKERS={w} → params.workers"));
                c.param("NUMBER_OF_WORKERS", "How many writers.", "fault.params.workers");
            }
            if let Some(p) = c.take("VOLUME_MOUNT_PATH") {
                c.map(format!("VOLUME_MOUNT_PATH={p} → params.path"));
                c.out.fault.params.path = Some(p);
                c.param("VOLUME_MOUNT_PATH", "The directory written to.", "fault.params.path");
            }
        }
        FaultType::DiskFill => {
            container(c);
            let mib = c.number("EPHEMERAL_STORAGE_MEBIBYTES").filter(|m| *m > 0);
            let perc = c.number("FILL_PERCENTAGE").filter(|m| *m > 0);
            if let Some(mib) = mib {
                c.out.fault.params.size = Some(format!("{mib}Mi"));
                c.map(format!("EPHEMERAL_STORAGE_MEBIBYTES={mib} → params.size {mib}Mi"));
                c.param("EPHEMERAL_STORAGE_MEBIBYTES", "The size of the file written.", "fault.params.size");
            } else {
                let p = perc.unwrap_or(80).min(100);
                c.out.fault.params.percent = Some(p as f64);
                c.map(format!("FILL_PERCENTAGE={p} → params.percent"));
                c.param(
                    "FILL_PERCENTAGE",
                    "How much of the ephemeral-storage limit to fill.",
                    "fault.params.percent",
                );
            }
            if let Some(v) = c.take("DATA_BLOCK_SIZE") {
                c.map(format!("DATA_BLOCK_SIZE={v}: not needed (the agent writes the file its own way)"));
            }
        }
        FaultType::DnsError => {
            let mut names = json_list(c, "TARGET_HOSTNAMES");
            names.retain(|n| chaoscenter_core::agent_fault::dns_pattern(n).is_ok());
            if names.is_empty() {
                names.push("example.com".into());
                c.map("TARGET_HOSTNAMES empty (Litmus: every name) → the placeholder example.com; set the names".into());
            } else {
                c.map(format!("TARGET_HOSTNAMES → params.dns.names {}", names.join(",")));
            }
            c.param("TARGET_HOSTNAMES", "The names whose queries fail.", "fault.params.dns.names");
            c.out.fault.params.dns = Some(DnsParams { names, ..DnsParams::default() });
            match_scheme(c);
        }
        FaultType::DnsSpoof => {
            let mut answers = BTreeMap::new();
            if let Some(v) = c.take("SPOOF_MAP") {
                match serde_json::from_str::<BTreeMap<String, String>>(&v) {
                    Ok(map) => {
                        for (name, to) in map {
                            if to.parse::<std::net::Ipv4Addr>().is_ok() {
                                answers.insert(name, to);
                            } else {
                                c.drop(format!(
                                    "SPOOF_MAP {name} → {to}: ChaosCenter answers an IPv4 address, not another name"
                                ));
                            }
                        }
                    }
                    Err(_) => c.drop(format!("SPOOF_MAP={v}: not a JSON map of names")),
                }
            }
            if answers.is_empty() {
                answers.insert("example.com".into(), "127.0.0.1".into());
                c.map(
                    "no usable SPOOF_MAP → the placeholder example.com → 127.0.0.1; set the answers".into(),
                );
            } else {
                c.map("SPOOF_MAP → params.dns.answers".into());
            }
            c.param("SPOOF_MAP", "Names and the IPv4 addresses they resolve to.", "fault.params.dns.answers");
            c.out.fault.params.dns = Some(DnsParams { answers, ..DnsParams::default() });
            match_scheme(c);
        }
        FaultType::HttpLatency | FaultType::HttpAbort | FaultType::HttpStatus | FaultType::HttpModify => {
            let port = c.number("TARGET_SERVICE_PORT").filter(|p| (1..=65535).contains(p)).unwrap_or(80);
            http(&mut c.out.fault.params).port = port as u32;
            c.map(format!("TARGET_SERVICE_PORT={port} → params.http.port (inbound)"));
            c.param(
                "TARGET_SERVICE_PORT",
                "The port the target pods serve HTTP on.",
                "fault.params.http.port",
            );
            http_params(c);
        }
    }
}

fn http_params(c: &mut Ctx) {
    let t = c.out.fault.type_;
    if let Some(v) = c.number("TOXICITY").filter(|v| *v < 100) {
        c.drop(format!("TOXICITY={v}: ChaosCenter affects every matching request"));
    }
    match t {
        FaultType::HttpLatency => {
            let ms = c.number("LATENCY").unwrap_or(2000).clamp(1, 60_000);
            c.out.fault.params.latency = Some(format!("{ms}ms"));
            c.map(format!("LATENCY={ms} → params.latency {ms}ms"));
            c.param("LATENCY", "The delay added to each response.", "fault.params.latency");
        }
        FaultType::HttpAbort => {
            if let Some(v) = c.take("RESET_TIMEOUT") {
                c.map(format!("RESET_TIMEOUT={v}: not needed (the connection is reset at once)"));
            }
        }
        FaultType::HttpStatus => {
            let v = c.take("STATUS_CODE").unwrap_or_else(|| "500".into());
            let codes: Vec<u32> = v.split(',').filter_map(|s| s.trim().parse().ok()).collect();
            let code = codes.iter().copied().find(|s| (100..=599).contains(s)).unwrap_or(500);
            if codes.len() > 1 {
                c.drop(format!("STATUS_CODE={v}: ChaosCenter answers one code; {code} used"));
            } else {
                c.map(format!("STATUS_CODE={code} → params.http.status"));
            }
            http(&mut c.out.fault.params).status = Some(code);
            c.param("STATUS_CODE", "The status code answered.", "fault.params.http.status");
            let modify = c.take("MODIFY_RESPONSE_BODY").is_none_or(|v| v.eq_ignore_ascii_case("true"));
            if let Some(body) = c.take("RESPONSE_BODY").filter(|_| modify) {
                http(&mut c.out.fault.params).body = Some(body);
                c.map("RESPONSE_BODY → params.http.body".into());
                c.param("RESPONSE_BODY", "The body answered.", "fault.params.http.body");
            }
        }
        _ => {
            if let Some(body) = c.take("RESPONSE_BODY") {
                http(&mut c.out.fault.params).body = Some(body);
                c.map("RESPONSE_BODY → params.http.body".into());
                c.param("RESPONSE_BODY", "The body answered.", "fault.params.http.body");
            }
            let headers = c.take("HEADERS_MAP");
            c.used.push("HEADER_MODE".into());
            if let Some(v) = headers {
                match serde_json::from_str::<BTreeMap<String, String>>(&v) {
                    Ok(map) if !map.is_empty() => {
                        http(&mut c.out.fault.params).headers = map;
                        c.map("HEADERS_MAP → params.http.headers".into());
                        c.param("HEADERS_MAP", "Response headers set.", "fault.params.http.headers");
                    }
                    _ => c.drop(format!("HEADERS_MAP={v}: not a JSON map of header names to values")),
                }
            }
            let h = http(&mut c.out.fault.params);
            if h.body.is_none() && h.headers.is_empty() {
                h.body = Some(String::new());
                c.map("no RESPONSE_BODY or HEADERS_MAP → params.http.body empty".into());
                c.param("RESPONSE_BODY", "The body answered.", "fault.params.http.body");
            }
            for k in ["CONTENT_TYPE", "CONTENT_ENCODING"] {
                if let Some(v) = c.take(k) {
                    c.drop(format!("{k}={v}: set it as a header in params.http.headers instead"));
                }
            }
        }
    }
}

fn json_list(c: &mut Ctx, key: &str) -> Vec<String> {
    let Some(v) = c.take(key) else { return Vec::new() };
    match serde_json::from_str::<Vec<String>>(&v) {
        Ok(l) => l,
        Err(_) => {
            v.split(',').map(|s| s.trim().trim_matches('"').to_string()).filter(|s| !s.is_empty()).collect()
        }
    }
}

fn match_scheme(c: &mut Ctx) {
    if let Some(v) = c.take("MATCH_SCHEME").filter(|v| v != "exact") {
        c.drop(format!("MATCH_SCHEME={v}: ChaosCenter matches exact names or *. wildcards"));
    }
}

fn container(c: &mut Ctx) {
    if let Some(name) = c.take("TARGET_CONTAINER") {
        c.map(format!("TARGET_CONTAINER={name} → params.container"));
        c.out.fault.params.container = Some(name);
        c.param("TARGET_CONTAINER", "The target container.", "fault.params.container");
    }
}

fn workers_note(c: &mut Ctx) {
    if let Some(v) = c.take("NUMBER_OF_WORKERS") {
        c.map(format!("NUMBER_OF_WORKERS={v}: not needed (one allocation of the whole size)"));
    }
}

fn correlation(c: &mut Ctx) {
    if let Some(v) = c.number("CORRELATION").filter(|v| *v > 0) {
        c.out.fault.params.correlation = Some(v.min(100) as f64);
        c.map(format!("CORRELATION={v} → params.correlation"));
    }
}

fn destinations(c: &mut Ctx) {
    let cidrs = c.list("DESTINATION_IPS");
    let hosts = c.list("DESTINATION_HOSTS");
    if !cidrs.is_empty() || !hosts.is_empty() {
        c.map("DESTINATION_IPS/DESTINATION_HOSTS → params.destinations".into());
        c.out.fault.params.destinations = Some(Destinations { cidrs, hosts, ..Destinations::default() });
    }
}

/// A DNS label made of `name` (lowercase, other characters as `-`, at most 63), or `fallback`.
pub fn dns_label(name: &str, fallback: &str) -> String {
    let mut s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
        .collect();
    s.truncate(63);
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}

/// A duration given as seconds (a number) or as text (`5s`, `500ms`).
fn duration(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_f64().map(|s| format!("{}ms", (s * 1000.0).round() as u64)),
        Value::String(s) => {
            let s = s.trim();
            if s.parse::<f64>().is_ok() {
                s.parse::<f64>().ok().map(|x| format!("{}ms", (x * 1000.0).round() as u64))
            } else if !s.is_empty() {
                Some(s.to_string())
            } else {
                None
            }
        }
        _ => None,
    }
    .map(|d| if d.ends_with("000ms") && d.len() > 5 { format!("{}s", &d[..d.len() - 5]) } else { d })
}

fn comparator(v: &Value, what: &str, dropped: &mut Vec<String>) -> Option<Comparator> {
    let type_ = match text(&v["type"]).as_deref() {
        Some("int") => ComparatorType::Int,
        Some("string") => ComparatorType::String,
        _ => ComparatorType::Float,
    };
    let criteria = match text(&v["criteria"]).as_deref() {
        Some("==") => Criteria::Eq,
        Some("!=") => Criteria::Ne,
        Some(">") => Criteria::Gt,
        Some("<") => Criteria::Lt,
        Some(">=") => Criteria::Ge,
        Some("<=") => Criteria::Le,
        Some("equal") => Criteria::Equal,
        Some("notEqual") => Criteria::NotEqual,
        Some("contains") => Criteria::Contains,
        Some("matches") => Criteria::Matches,
        other => {
            dropped.push(format!("{what}: comparator criteria {other:?} has no ChaosCenter equivalent"));
            return None;
        }
    };
    Some(Comparator { type_, criteria, value: text(&v["value"]).unwrap_or_default() })
}

/// Kinds of the resources k8s probes usually check (plural resource → kind).
fn kind_of(resource: &str) -> String {
    let known = [
        ("pods", "Pod"),
        ("services", "Service"),
        ("deployments", "Deployment"),
        ("statefulsets", "StatefulSet"),
        ("daemonsets", "DaemonSet"),
        ("replicasets", "ReplicaSet"),
        ("nodes", "Node"),
        ("configmaps", "ConfigMap"),
        ("secrets", "Secret"),
        ("endpoints", "Endpoints"),
        ("jobs", "Job"),
        ("persistentvolumeclaims", "PersistentVolumeClaim"),
        ("namespaces", "Namespace"),
        ("ingresses", "Ingress"),
    ];
    if let Some((_, k)) = known.iter().find(|(r, _)| *r == resource) {
        return (*k).to_string();
    }
    let singular = resource.strip_suffix('s').unwrap_or(resource);
    let mut chars = singular.chars();
    chars.next().map(|f| f.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// Maps a Litmus probe (an entry of a ChaosEngine experiment's `spec.probe`) to ChaosCenter's, recording
/// what was mapped and dropped with `what` (e.g. `step pod-delete: probe check-web`) as prefix.
pub fn map_probe(p: &Value, mapped: &mut Vec<String>, dropped: &mut Vec<String>) -> Option<Probe> {
    let raw_name = text(&p["name"]).unwrap_or_else(|| "probe".into());
    let name = dns_label(&raw_name, "probe");
    let what = format!("probe {raw_name}");
    let mode = match text(&p["mode"]).as_deref() {
        Some("SOT") => ProbeMode::SOT,
        Some("EOT") => ProbeMode::EOT,
        Some("Edge") => ProbeMode::Edge,
        Some("OnChaos") => ProbeMode::OnChaos,
        Some("Continuous") | None => ProbeMode::Continuous,
        Some(other) => {
            dropped.push(format!("{what}: mode {other} unknown; dropped"));
            return None;
        }
    };
    let mut probe = Probe {
        name,
        type_: ProbeType::Http,
        mode,
        http: None,
        k8s: None,
        prom: None,
        cmd: None,
        run_properties: RunProperties::default(),
    };
    let mut notes = Vec::new();
    match text(&p["type"]).as_deref() {
        Some("httpProbe") => {
            let i = &p["httpProbe/inputs"];
            let Some(url) = text(&i["url"]) else {
                dropped.push(format!("{what}: httpProbe without a url; dropped"));
                return None;
            };
            let (method, m) = if i["method"]["post"].is_object() {
                (HttpMethod::POST, &i["method"]["post"])
            } else {
                (HttpMethod::GET, &i["method"]["get"])
            };
            let mut h = HttpProbe {
                url,
                method,
                body: text(&m["body"]),
                expect_status: None,
                expect_body_contains: None,
            };
            if let Some(code) = text(&m["responseCode"]).and_then(|c| c.parse::<u16>().ok()) {
                match text(&m["criteria"]).as_deref() {
                    Some("==") | None => h.expect_status = Some(code),
                    Some(other) => {
                        dropped.push(format!(
                            "{what}: criteria {other} {code}: ChaosCenter's http probe expects one status; any 2xx expected instead"
                        ));
                    }
                }
            }
            for k in ["bodyPath", "contentType"] {
                if text(&m[k]).is_some() {
                    dropped.push(format!("{what}: {k} has no ChaosCenter equivalent"));
                }
            }
            if text(&i["insecureSkipVerify"]).as_deref() == Some("true") {
                dropped.push(format!("{what}: insecureSkipVerify has no ChaosCenter equivalent"));
            }
            notes.push(format!("{what}: httpProbe → http probe ({:?} {})", h.method, h.url));
            probe.http = Some(h);
        }
        Some("cmdProbe") => {
            probe.type_ = ProbeType::Cmd;
            let i = &p["cmdProbe/inputs"];
            let Some(command) = text(&i["command"]) else {
                dropped.push(format!("{what}: cmdProbe without a command; dropped"));
                return None;
            };
            let comparator = comparator(&i["comparator"], &what, dropped)?;
            let image = match text(&i["source"]["image"]) {
                Some(image) => image,
                None => {
                    notes.push(format!(
                        "{what}: inline cmdProbe (run in Litmus's experiment pod) → a Job in image {INLINE_CMD_IMAGE}; change it if the command needs other tools"
                    ));
                    INLINE_CMD_IMAGE.to_string()
                }
            };
            if !i["source"].is_null() {
                for k in ["env", "volumes", "volumeMount", "hostNetwork", "privileged", "args", "command"] {
                    if !i["source"][k].is_null() {
                        dropped.push(format!("{what}: source.{k} has no ChaosCenter equivalent"));
                    }
                }
            }
            notes.push(format!("{what}: cmdProbe → cmd probe (sh -c {command:?})"));
            probe.cmd = Some(CmdProbe {
                command: vec!["sh".into(), "-c".into(), command],
                image,
                comparator,
                resources: None,
            });
        }
        Some("k8sProbe") => {
            probe.type_ = ProbeType::K8s;
            let i = &p["k8sProbe/inputs"];
            let operation = match text(&i["operation"]).as_deref() {
                Some("present") => K8sOperation::Present,
                Some("absent") => K8sOperation::Absent,
                other => {
                    dropped.push(format!(
                        "{what}: k8sProbe operation {other:?}: ChaosCenter's k8s probe only checks (present, absent, count), never creates or deletes; dropped"
                    ));
                    return None;
                }
            };
            let version = text(&i["version"]).unwrap_or_else(|| "v1".into());
            let api_version = match text(&i["group"]) {
                Some(g) => format!("{g}/{version}"),
                None => version,
            };
            let kind = kind_of(&text(&i["resource"]).unwrap_or_else(|| "pods".into()));
            notes.push(format!("{what}: k8sProbe → k8s probe ({api_version} {kind})"));
            probe.k8s = Some(K8sProbe {
                api_version,
                kind,
                namespace: text(&i["namespace"]),
                label_selector: text(&i["labelSelector"]),
                field_selector: text(&i["fieldSelector"]),
                operation,
                count: None,
            });
        }
        Some("promProbe") => {
            probe.type_ = ProbeType::Prom;
            let i = &p["promProbe/inputs"];
            let (Some(endpoint), Some(query)) = (text(&i["endpoint"]), text(&i["query"])) else {
                dropped.push(format!(
                    "{what}: promProbe without an endpoint or a query (queryPath is not read); dropped"
                ));
                return None;
            };
            let comparator = comparator(&i["comparator"], &what, dropped)?;
            notes.push(format!("{what}: promProbe → prom probe"));
            probe.prom = Some(PromProbe { endpoint, query, comparator });
        }
        other => {
            dropped.push(format!("{what}: type {other:?} has no ChaosCenter equivalent; dropped"));
            return None;
        }
    }
    let rp = &p["runProperties"];
    let props = &mut probe.run_properties;
    if let Some(t) = duration(&rp["probeTimeout"]) {
        notes.push(format!("{what}: probeTimeout → timeout {t}"));
        props.timeout = t;
    }
    if let Some(i) = duration(&rp["interval"]) {
        notes.push(format!("{what}: interval → interval {i}"));
        props.interval = i;
    }
    let attempts = text(&rp["attempt"]).or_else(|| text(&rp["retry"])).and_then(|a| a.parse::<u32>().ok());
    if let Some(a) = attempts.filter(|a| *a > 0) {
        props.attempts = a.min(100);
        notes.push(format!("{what}: attempt → attempts {}", props.attempts));
    }
    if let Some(d) = duration(&rp["initialDelay"]).or_else(|| duration(&rp["initialDelaySeconds"])) {
        notes.push(format!("{what}: initialDelay → initialDelay {d}"));
        props.initial_delay = Some(d);
    }
    if text(&rp["stopOnFailure"]).as_deref() == Some("true") {
        props.stop_on_failure = true;
        notes.push(format!("{what}: stopOnFailure → stopOnFailure"));
    }
    for k in ["probePollingInterval", "evaluationTimeout"] {
        if text(&rp[k]).is_some() {
            dropped.push(format!(
                "{what}: runProperties.{k} has no ChaosCenter equivalent (retries are 500 ms apart)"
            ));
        }
    }
    mapped.extend(notes);
    Some(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_with_an_equivalent_maps_to_a_valid_fault_from_litmus_defaults() {
        let app = AppInfo {
            appns: Some("default".into()),
            applabel: Some("app=nginx".into()),
            appkind: Some("deployment".into()),
        };
        for litmus in [
            "pod-delete",
            "pod-autoscaler",
            "node-taint",
            "node-drain",
            "pod-network-partition",
            "pod-network-latency",
            "pod-network-loss",
            "pod-network-duplication",
            "pod-network-corruption",
            "pod-network-rate-limit",
            "container-kill",
            "pod-cpu-hog",
            "pod-memory-hog",
            "pod-io-stress",
            "disk-fill",
            "pod-dns-error",
            "pod-dns-spoof",
            "pod-http-latency",
            "pod-http-reset-peer",
            "pod-http-status-code",
            "pod-http-modify-body",
            "pod-http-modify-header",
            "node-cpu-hog",
            "node-memory-hog",
        ] {
            let env = BTreeMap::from([("TOTAL_CHAOS_DURATION".to_string(), "60".to_string())]);
            let m = map_fault(litmus, &env, &app).unwrap();
            let spec = crate::one_step_workflow("s", m.fault);
            assert!(
                chaoscenter_core::validate(&spec).is_ok(),
                "{litmus}: {:?}",
                chaoscenter_core::validate(&spec).err()
            );
        }
    }

    #[test]
    fn faults_without_an_equivalent_say_why() {
        for (litmus, word) in [
            ("ec2-terminate-by-id", "AWS"),
            ("gcp-vm-instance-stop", "Google"),
            ("azure-instance-stop", "Azure"),
            ("vm-poweroff", "VMware"),
            ("kubelet-service-kill", "host services"),
            ("pod-cpu-hog-exec", "kubectl exec"),
        ] {
            let why = fault_type(litmus).unwrap_err();
            assert!(why.contains(word), "{litmus}: {why}");
        }
    }

    #[test]
    fn env_maps_to_fields_and_unknown_env_is_reported() {
        let app = AppInfo {
            appns: Some("shop".into()),
            applabel: Some("app=web,tier=front".into()),
            appkind: None,
        };
        let env: BTreeMap<String, String> = [
            ("TOTAL_CHAOS_DURATION", "60"),
            ("CHAOS_INTERVAL", "10"),
            ("PODS_AFFECTED_PERC", "50"),
            ("FORCE", "false"),
            ("CONTAINER_RUNTIME", "containerd"),
            ("SOMETHING_ELSE", "x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let m = map_fault("pod-delete", &env, &app).unwrap();
        assert_eq!(m.fault.duration, "60s");
        assert_eq!(m.fault.interval.as_deref(), Some("10s"));
        assert_eq!(m.fault.target.mode, TargetMode::FixedPercent);
        assert_eq!(m.fault.target.value, Some(50));
        assert_eq!(m.fault.params.force, Some(false));
        assert_eq!(m.fault.target.namespace.as_deref(), Some("shop"));
        assert_eq!(m.fault.target.selector.as_ref().unwrap().match_labels.as_ref().unwrap().len(), 2);
        assert!(m.dropped.iter().any(|d| d.contains("SOMETHING_ELSE")), "{:?}", m.dropped);
        assert!(m.mapped.iter().any(|d| d.contains("CONTAINER_RUNTIME: not needed")));
        assert!(m.params.iter().any(|p| p.name == "PODS_AFFECTED_PERC" && p.field == "fault.target.value"));
    }
}
