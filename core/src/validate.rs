//! The one validator: turns a `ChaosWorkflowSpec` into a typed, bounded [`Workflow`], or says everything
//! that is wrong with it, each error at its field path (`spec.steps[2].fault.duration`) with the limit.
//! The operator, the apiserver and the admission webhook all call [`validate`].

use crate::compare::Comparison;
use crate::duration;
use crate::field::{Errors, Invalid, Path};
use crate::limits::*;
use crate::plan::*;
use crate::schedule::{Schedule, ScheduleError};
use crate::selector::{label_key, label_value, Selector};
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use chaoscenter_crds::workflow as spec;
use chaoscenter_crds::workflow::{
    ChaosWorkflowSpec, FaultType, HttpMethod, K8sOperation, PartitionMechanism, ProbeType, TargetKind,
    TargetMode,
};
use core::num::NonZeroU32;
use core::time::Duration;

/// Validates a workflow definition.
pub fn validate(workflow: &ChaosWorkflowSpec) -> Result<Workflow, Invalid> {
    let mut errors = Errors::default();
    let root = Path::root("spec");
    let value = workflow_of(workflow, &root, &mut errors);
    errors.finish(value)
}

fn workflow_of(w: &ChaosWorkflowSpec, root: &Path, errors: &mut Errors) -> Option<Workflow> {
    if w.description.chars().count() > MAX_DESCRIPTION {
        errors.add(&root.field("description"), format!("at most {MAX_DESCRIPTION} characters"));
    }
    let max_duration = bounded(
        errors,
        &root.field("maxDuration"),
        &w.max_duration,
        MIN_RUN_DURATION,
        &[(MAX_RUN_DURATION, "the limit")],
    );
    let schedule = schedule_of(w, root, errors);
    let starting_deadline = match w.starting_deadline_seconds {
        None => Some(None),
        Some(s) if (1..=MAX_STARTING_DEADLINE_SECONDS).contains(&s) => {
            Some(Some(Duration::from_secs(s.unsigned_abs())))
        }
        Some(s) => {
            errors.add(
                &root.field("startingDeadlineSeconds"),
                format!("{s} is outside 1 to {MAX_STARTING_DEADLINE_SECONDS} (a week)"),
            );
            None
        }
    };
    if w.run_history_limit > MAX_RUN_HISTORY_LIMIT {
        errors.add(
            &root.field("runHistoryLimit"),
            format!("{} is more than the limit of {MAX_RUN_HISTORY_LIMIT}", w.run_history_limit),
        );
    }
    let steps = steps_of(w, max_duration, root, errors);
    Some(Workflow {
        max_duration: max_duration?,
        schedule: schedule?,
        concurrency_policy: w.concurrency_policy,
        suspend: w.suspend,
        starting_deadline: starting_deadline?,
        run_history_limit: w.run_history_limit,
        steps: steps?,
    })
}

fn schedule_of(w: &ChaosWorkflowSpec, root: &Path, errors: &mut Errors) -> Option<Option<Schedule>> {
    let tz_path = root.field("timeZone");
    if w.time_zone.len() > 64 {
        errors.add(&tz_path, "at most 64 characters");
        return None;
    }
    let Some(expr) = w.schedule.as_deref() else {
        if jiff::tz::TimeZone::get(&w.time_zone).is_err() {
            errors.add(&tz_path, format!("{:?} is not a known IANA time zone", w.time_zone));
            return None;
        }
        return Some(None);
    };
    if expr.len() > 256 {
        errors.add(&root.field("schedule"), "at most 256 characters");
        return None;
    }
    match Schedule::parse(expr, &w.time_zone) {
        Ok(s) => Some(Some(s)),
        Err(ScheduleError::Expression(m)) => {
            errors.add(&root.field("schedule"), m);
            None
        }
        Err(ScheduleError::TimeZone(m)) => {
            errors.add(&tz_path, m);
            None
        }
    }
}

fn steps_of(
    w: &ChaosWorkflowSpec,
    max_duration: Option<Duration>,
    root: &Path,
    errors: &mut Errors,
) -> Option<Vec<Step>> {
    let path = root.field("steps");
    if w.steps.is_empty() {
        errors.add(&path, "a workflow needs at least one step");
        return None;
    }
    if w.steps.len() > MAX_STEPS {
        errors.add(&path, format!("{} steps; at most {MAX_STEPS}", w.steps.len()));
        return None;
    }
    let mut ok = true;
    for (i, s) in w.steps.iter().enumerate() {
        if let Err(m) = dns_label(&s.name) {
            errors.add(&path.index(i).field("name"), m);
            ok = false;
        }
        if s.depends_on.len() > MAX_STEPS {
            errors.add(&path.index(i).field("dependsOn"), format!("at most {MAX_STEPS} entries"));
            ok = false;
        }
    }
    if ok {
        let graph: Vec<(&str, &[String])> =
            w.steps.iter().map(|s| (s.name.as_str(), s.depends_on.as_slice())).collect();
        ok = crate::dag::check(&graph, &path, errors);
    }
    let steps: Vec<Option<Step>> =
        w.steps.iter().enumerate().map(|(i, s)| step_of(s, max_duration, &path.index(i), errors)).collect();
    if !ok {
        return None;
    }
    steps.into_iter().collect()
}

fn step_of(s: &spec::Step, max_duration: Option<Duration>, path: &Path, errors: &mut Errors) -> Option<Step> {
    if s.weight > MAX_WEIGHT {
        errors.add(&path.field("weight"), format!("{} is more than the limit of {MAX_WEIGHT}", s.weight));
    }
    let fault = fault_of(&s.fault, max_duration, &path.field("fault"), errors);
    let probes_path = path.field("probes");
    let probes = if s.probes.len() > MAX_PROBES_PER_STEP {
        errors
            .add(&probes_path, format!("{} probes; at most {MAX_PROBES_PER_STEP} per step", s.probes.len()));
        None
    } else {
        let mut names = BTreeSet::new();
        let probes: Vec<Option<Probe>> = s
            .probes
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let at = probes_path.index(j);
                if !names.insert(p.name.as_str()) {
                    errors
                        .add(&at.field("name"), format!("another probe of this step is named {:?}", p.name));
                }
                probe_of(p, max_duration, &at, errors)
            })
            .collect();
        probes.into_iter().collect::<Option<Vec<_>>>()
    };
    if s.weight > MAX_WEIGHT {
        return None;
    }
    Some(Step {
        name: s.name.clone(),
        depends_on: s.depends_on.clone(),
        weight: s.weight,
        fault: fault?,
        probes: probes?,
    })
}

fn fault_of(
    f: &spec::Fault,
    max_duration: Option<Duration>,
    path: &Path,
    errors: &mut Errors,
) -> Option<Fault> {
    let mut upper: Vec<(Duration, &str)> = Vec::new();
    if let Some(max) = max_duration {
        upper.push((max, "the run's maxDuration"));
    }
    let duration = bounded(errors, &path.field("duration"), &f.duration, MIN_FAULT_DURATION, &upper);
    let interval = match (&f.interval, duration) {
        (None, _) => Some(None),
        (Some(_), _) if f.type_ == FaultType::PodAutoscaler => {
            errors.add(
                &path.field("interval"),
                "pod-autoscaler does not repeat: its scale holds for the whole duration; remove interval",
            );
            None
        }
        (Some(text), duration) => {
            let at = path.field("interval");
            let mut upper: Vec<(Duration, &str)> = Vec::new();
            if let Some(d) = duration {
                upper.push((d, "the fault's duration"));
            }
            let interval = bounded(errors, &at, text, MIN_FAULT_INTERVAL, &upper);
            match (interval, duration) {
                (Some(i), Some(d)) => {
                    let rounds = d.as_millis().div_ceil(i.as_millis().max(1));
                    if rounds > u128::from(MAX_ROUNDS) {
                        errors.add(
                            &at,
                            format!(
                                "{text:?} gives {rounds} injection rounds in {}; at most {MAX_ROUNDS} (use an interval of at least {})",
                                duration::format(d),
                                duration::format(Duration::from_millis(
                                    u64::try_from(d.as_millis().div_ceil(u128::from(MAX_ROUNDS))).unwrap_or(u64::MAX)
                                ))
                            ),
                        );
                        None
                    } else {
                        Some(Some(i))
                    }
                }
                (Some(i), None) => Some(Some(i)),
                _ => None,
            }
        }
    };
    let action = action_of(f, path, errors);
    Some(Fault { duration: duration?, interval: interval?, action: action? })
}

/// The parameters a fault type takes, for "not used by" errors.
fn check_params(f: &spec::Fault, path: &Path, errors: &mut Errors) -> bool {
    let p = &f.params;
    let t = f.type_;
    let mut ok = true;
    let mut unused = |set: bool, field: &str, allowed: &[FaultType]| {
        if set && !allowed.contains(&t) {
            errors
                .add(&path.field("params").field(field), format!("not used by {}; remove it", type_name(t)));
            ok = false;
        }
    };
    unused(
        p.grace_period_seconds.is_some(),
        "gracePeriodSeconds",
        &[FaultType::PodDelete, FaultType::NodeDrain],
    );
    unused(p.force.is_some(), "force", &[FaultType::PodDelete]);
    unused(p.replicas.is_some(), "replicas", &[FaultType::PodAutoscaler]);
    unused(p.taint.is_some(), "taint", &[FaultType::NodeTaint]);
    unused(p.direction.is_some(), "direction", &[FaultType::NetworkPartition]);
    unused(p.mechanism.is_some(), "mechanism", &[FaultType::NetworkPartition]);
    unused(p.latency.is_some(), "latency", &[FaultType::NetworkDelay, FaultType::HttpLatency]);
    unused(p.jitter.is_some(), "jitter", &[FaultType::NetworkDelay]);
    unused(p.correlation.is_some(), "correlation", &[FaultType::NetworkDelay, FaultType::NetworkLoss]);
    unused(
        p.percent.is_some(),
        "percent",
        &[
            FaultType::NetworkLoss,
            FaultType::NetworkDuplicate,
            FaultType::NetworkCorrupt,
            FaultType::PodMemoryStress,
            FaultType::NodeMemoryStress,
            FaultType::DiskFill,
        ],
    );
    let pod_resources = [
        FaultType::ContainerKill,
        FaultType::PodCpuStress,
        FaultType::PodMemoryStress,
        FaultType::PodIoStress,
        FaultType::DiskFill,
    ];
    unused(p.container.is_some(), "container", &pod_resources);
    unused(p.signal.is_some(), "signal", &[FaultType::ContainerKill]);
    unused(p.cores.is_some(), "cores", &[FaultType::PodCpuStress, FaultType::NodeCpuStress]);
    unused(p.load.is_some(), "load", &[FaultType::PodCpuStress, FaultType::NodeCpuStress]);
    unused(
        p.size.is_some(),
        "size",
        &[
            FaultType::PodMemoryStress,
            FaultType::NodeMemoryStress,
            FaultType::PodIoStress,
            FaultType::DiskFill,
        ],
    );
    unused(p.allow_oom.is_some(), "allowOom", &[FaultType::PodMemoryStress]);
    unused(p.workers.is_some(), "workers", &[FaultType::PodIoStress]);
    unused(p.path.is_some(), "path", &[FaultType::PodIoStress, FaultType::DiskFill]);
    unused(p.dns.is_some(), "dns", &[FaultType::DnsError, FaultType::DnsSpoof]);
    unused(
        p.http.is_some(),
        "http",
        &[FaultType::HttpLatency, FaultType::HttpAbort, FaultType::HttpStatus, FaultType::HttpModify],
    );
    unused(p.rate.is_some(), "rate", &[FaultType::NetworkRate]);
    unused(
        p.destinations.is_some(),
        "destinations",
        &[
            FaultType::NetworkPartition,
            FaultType::NetworkDelay,
            FaultType::NetworkLoss,
            FaultType::NetworkDuplicate,
            FaultType::NetworkCorrupt,
        ],
    );
    ok
}

fn action_of(f: &spec::Fault, path: &Path, errors: &mut Errors) -> Option<FaultAction> {
    let params_ok = check_params(f, path, errors);
    let params = path.field("params");
    let grace = match f.params.grace_period_seconds {
        None => Some(None),
        Some(g) if (0..=MAX_GRACE_PERIOD_SECONDS).contains(&g) => Some(u32::try_from(g).ok()),
        Some(g) => {
            errors.add(
                &params.field("gracePeriodSeconds"),
                format!("{g} is outside 0 to {MAX_GRACE_PERIOD_SECONDS}"),
            );
            None
        }
    };
    let action = match f.type_ {
        FaultType::PodDelete => {
            let grace = match (f.params.force, grace) {
                (Some(true), Some(Some(g))) if g > 0 => {
                    errors.add(
                        &params.field("force"),
                        "force deletes at once (grace period 0): remove force or gracePeriodSeconds",
                    );
                    None
                }
                (Some(true), Some(_)) => Some(Some(0)),
                (_, grace) => grace,
            };
            let target = pod_target(f, path, errors);
            FaultAction::PodDelete(PodDelete { target: target?, grace_period_seconds: grace? })
        }
        FaultType::NetworkPartition => {
            let direction = f.params.direction.unwrap_or_default();
            match f.params.mechanism.unwrap_or_default() {
                PartitionMechanism::NetworkPolicy => {
                    if f.params.destinations.is_some() {
                        errors.add(
                            &params.field("destinations"),
                            "not used by mechanism network-policy (it isolates the pods from everyone); remove it or use mechanism agent",
                        );
                    }
                    let target = pod_target(f, path, errors);
                    if f.params.destinations.is_some() {
                        return None;
                    }
                    FaultAction::NetworkPartition(NetworkPartition { target: target?, direction })
                }
                PartitionMechanism::Agent => {
                    network_fault(f, path, errors, Some(NetworkEffect::Partition { direction }))?
                }
            }
        }
        FaultType::NetworkDelay
        | FaultType::NetworkLoss
        | FaultType::NetworkDuplicate
        | FaultType::NetworkCorrupt
        | FaultType::NetworkRate => {
            let effect = network_effect(f, &params, errors);
            network_fault(f, path, errors, effect)?
        }
        FaultType::ContainerKill
        | FaultType::PodCpuStress
        | FaultType::PodMemoryStress
        | FaultType::PodIoStress
        | FaultType::DiskFill
        | FaultType::DnsError
        | FaultType::DnsSpoof
        | FaultType::HttpLatency
        | FaultType::HttpAbort
        | FaultType::HttpStatus
        | FaultType::HttpModify
        | FaultType::NodeCpuStress
        | FaultType::NodeMemoryStress => crate::agent_fault::agent_action(f, path, errors)?,
        FaultType::PodAutoscaler => {
            let replicas = match f.params.replicas {
                None => {
                    errors.add(&params.field("replicas"), "required for pod-autoscaler");
                    None
                }
                Some(r) if (0..=MAX_REPLICAS).contains(&r) => u32::try_from(r).ok(),
                Some(r) => {
                    errors.add(&params.field("replicas"), format!("{r} is outside 0 to {MAX_REPLICAS}"));
                    None
                }
            };
            let target = workload_target(f, path, errors);
            FaultAction::PodAutoscaler(PodAutoscaler { target: target?, replicas: replicas? })
        }
        FaultType::NodeCordon => {
            FaultAction::NodeCordon(NodeCordon { target: node_target(f, path, errors)? })
        }
        FaultType::NodeDrain => {
            let target = node_target(f, path, errors);
            FaultAction::NodeDrain(NodeDrain { target: target?, grace_period_seconds: grace? })
        }
        FaultType::NodeTaint => {
            let taint = match &f.params.taint {
                None => {
                    errors.add(&params.field("taint"), "required for node-taint");
                    None
                }
                Some(t) => {
                    let at = params.field("taint");
                    let key = errors.check(&at.field("key"), label_key(&t.key).map(|()| t.key.clone()));
                    let value =
                        errors.check(&at.field("value"), label_value(&t.value).map(|()| t.value.clone()));
                    key.zip(value).map(|(key, value)| Taint { key, value, effect: t.effect })
                }
            };
            let target = node_target(f, path, errors);
            FaultAction::NodeTaint(NodeTaint { target: target?, taint: taint? })
        }
    };
    params_ok.then_some(action)
}

/// A network fault of the node agent: its target pods and peers, with `effect` (`None` when its
/// parameters were wrong, already reported).
fn network_fault(
    f: &spec::Fault,
    path: &Path,
    errors: &mut Errors,
    effect: Option<NetworkEffect>,
) -> Option<FaultAction> {
    let target = pod_target(f, path, errors);
    let at = path.field("params").field("destinations");
    let destinations = match &f.params.destinations {
        None => Some(Destinations::default()),
        Some(_) if f.type_ == FaultType::NetworkRate => {
            errors
                .add(&at, "not used by network-rate (a rate limit holds for the whole interface); remove it");
            None
        }
        Some(d) => destinations_of(d, &at, errors),
    };
    Some(FaultAction::Network(NetworkFault { target: target?, effect: effect?, destinations: destinations? }))
}

/// The parameters of network-delay, -loss, -duplicate, -corrupt and -rate.
fn network_effect(f: &spec::Fault, params: &Path, errors: &mut Errors) -> Option<NetworkEffect> {
    let p = &f.params;
    let share = |errors: &mut Errors, field: &str, value: Option<f64>, required: bool| -> Option<f64> {
        match value {
            None if required => {
                errors.add(
                    &params.field(field),
                    format!("required for {}: a percentage above 0, at most 100", type_name(f.type_)),
                );
                None
            }
            None => Some(0.0),
            Some(v) if v.is_finite() && v > 0.0 && v <= 100.0 => Some(v),
            Some(v) if v == 0.0 && !required => Some(0.0),
            Some(v) => {
                let range = if required { "above 0, at most 100" } else { "from 0 to 100" };
                errors.add(&params.field(field), format!("{v} is not a percentage {range}"));
                None
            }
        }
    };
    match f.type_ {
        FaultType::NetworkDelay => {
            let latency = match &p.latency {
                None => {
                    errors.add(
                        &params.field("latency"),
                        "required for network-delay: a duration such as 100ms",
                    );
                    None
                }
                Some(text) => bounded(
                    errors,
                    &params.field("latency"),
                    text,
                    MIN_NETWORK_LATENCY,
                    &[(MAX_NETWORK_LATENCY, "the limit")],
                ),
            };
            let jitter = match (&p.jitter, latency) {
                (None, _) => Some(Duration::ZERO),
                (Some(text), Some(latency)) => bounded(
                    errors,
                    &params.field("jitter"),
                    text,
                    Duration::ZERO,
                    &[(latency, "the latency")],
                ),
                (Some(text), None) => bounded(
                    errors,
                    &params.field("jitter"),
                    text,
                    Duration::ZERO,
                    &[(MAX_NETWORK_LATENCY, "the limit")],
                ),
            };
            let correlation = share(errors, "correlation", p.correlation, false);
            Some(NetworkEffect::Delay { latency: latency?, jitter: jitter?, correlation: correlation? })
        }
        FaultType::NetworkLoss => {
            let percent = share(errors, "percent", p.percent, true);
            let correlation = share(errors, "correlation", p.correlation, false);
            Some(NetworkEffect::Loss { percent: percent?, correlation: correlation? })
        }
        FaultType::NetworkDuplicate => {
            Some(NetworkEffect::Duplicate { percent: share(errors, "percent", p.percent, true)? })
        }
        FaultType::NetworkCorrupt => {
            Some(NetworkEffect::Corrupt { percent: share(errors, "percent", p.percent, true)? })
        }
        FaultType::NetworkRate => {
            let at = params.field("rate");
            let Some(text) = &p.rate else {
                errors.add(&at, "required for network-rate: a bandwidth such as 1mbit or 500kbit");
                return None;
            };
            match rate_bits(text) {
                Some(bits) if (MIN_RATE_BITS..=MAX_RATE_BITS).contains(&bits) => {
                    Some(NetworkEffect::Rate { bits_per_second: bits })
                }
                Some(_) => {
                    errors.add(&at, format!("{text:?} is outside 8kbit to 100gbit"));
                    None
                }
                None => {
                    errors.add(&at, format!("{text:?} is not a bandwidth such as 1mbit, 500kbit or 2gbit"));
                    None
                }
            }
        }
        _ => None,
    }
}

/// Bits per second of a bandwidth written `<digits><bit|kbit|mbit|gbit>` (decimal prefixes, as `tc`).
pub fn rate_bits(text: &str) -> Option<u64> {
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    if digits == 0 || digits > 12 {
        return None;
    }
    let value: u64 = text[..digits].parse().ok()?;
    let scale = match &text[digits..] {
        "bit" => 1,
        "kbit" => 1_000,
        "mbit" => 1_000_000,
        "gbit" => 1_000_000_000,
        _ => return None,
    };
    value.checked_mul(scale)
}

fn destinations_of(d: &spec::Destinations, at: &Path, errors: &mut Errors) -> Option<Destinations> {
    let mut ok = true;
    let mut out = Destinations { protocol: d.protocol, ..Destinations::default() };
    if d.cidrs.len() > MAX_DESTINATION_CIDRS {
        errors
            .add(&at.field("cidrs"), format!("{} networks; at most {MAX_DESTINATION_CIDRS}", d.cidrs.len()));
        ok = false;
    } else {
        for (i, text) in d.cidrs.iter().enumerate() {
            match cidr(text) {
                Some(c) => out.cidrs.push(c),
                None => {
                    errors.add(
                        &at.field("cidrs").index(i),
                        format!(
                            "{:?} is not an address or network such as 10.0.0.0/8, 10.1.2.3 or fd00::/8",
                            text.chars().take(64).collect::<String>()
                        ),
                    );
                    ok = false;
                }
            }
        }
    }
    if d.hosts.len() > MAX_DESTINATION_HOSTS {
        errors.add(&at.field("hosts"), format!("{} names; at most {MAX_DESTINATION_HOSTS}", d.hosts.len()));
        ok = false;
    } else {
        for (i, host) in d.hosts.iter().enumerate() {
            match dns_subdomain(host) {
                Ok(()) => out.hosts.push(host.clone()),
                Err(why) => {
                    errors.add(&at.field("hosts").index(i), format!("not a host name: {why}"));
                    ok = false;
                }
            }
        }
    }
    if let Some(pods) = &d.pods {
        let namespace = match &pods.namespace {
            None => Some(None),
            Some(ns) => {
                errors.check(&at.field("pods").field("namespace"), dns_label(ns).map(|()| Some(ns.clone())))
            }
        };
        let selector = Selector::parse(&pods.selector, &at.field("pods").field("selector"), errors);
        match (namespace, selector) {
            (Some(ns), Some(Some(selector))) => out.pods = Some((ns, selector)),
            (_, Some(None)) => {
                errors.add(&at.field("pods").field("selector"), "give matchLabels or matchExpressions");
                ok = false;
            }
            _ => ok = false,
        }
    }
    if d.ports.len() > MAX_DESTINATION_PORTS {
        errors.add(&at.field("ports"), format!("{} ports; at most {MAX_DESTINATION_PORTS}", d.ports.len()));
        ok = false;
    } else {
        for (i, port) in d.ports.iter().enumerate() {
            match u16::try_from(*port) {
                Ok(p) if p > 0 => out.ports.push(p),
                _ => {
                    errors.add(&at.field("ports").index(i), format!("{port} is not a port from 1 to 65535"));
                    ok = false;
                }
            }
        }
    }
    if d.protocol == Some(Protocol::Icmp) && !d.ports.is_empty() {
        errors.add(&at.field("ports"), "icmp has no ports; remove them or choose tcp or udp");
        ok = false;
    }
    if ok && out.is_all() {
        errors.add(at, "names no peer, port or protocol; remove it to affect all traffic");
        ok = false;
    }
    ok.then_some(out)
}

/// A network in normalised form (`10.1.2.3/32`, `fd00::/8`), host bits allowed as in iptables.
fn cidr(text: &str) -> Option<String> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let ip: core::net::IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len: u8 = match len {
        None => max,
        Some(l) if !l.is_empty() && l.len() <= 3 && l.bytes().all(|b| b.is_ascii_digit()) => {
            l.parse().ok()?
        }
        Some(_) => return None,
    };
    (len <= max).then(|| format!("{ip}/{len}"))
}

/// The selector, name and count shared by every target; `namespace_required` for pod and workload
/// targets.
struct Common {
    selector: Option<Selector>,
    name: Option<String>,
    count: Count,
}

fn common_target(f: &spec::Fault, path: &Path, errors: &mut Errors, needs_selection: bool) -> Option<Common> {
    let t = &f.target;
    let at = path.field("target");
    let selector = match &t.selector {
        None => Some(None),
        Some(s) => Selector::parse(s, &at.field("selector"), errors),
    };
    let name = match &t.name {
        None => Some(None),
        Some(n) => errors.check(&at.field("name"), dns_subdomain(n).map(|()| Some(n.clone()))),
    };
    let count = count_of(t, &at, errors);
    if let (Some(None), Some(None), true) = (&selector, &name, needs_selection) {
        let message = if t.selector.is_some() {
            "the selector has no requirements and there is no name: give matchLabels, matchExpressions or a name"
        } else {
            "a target needs a selector or a name"
        };
        errors.add(&at, message);
        return None;
    }
    Some(Common { selector: selector?, name: name?, count: count? })
}

fn count_of(t: &spec::Target, at: &Path, errors: &mut Errors) -> Option<Count> {
    let value_path = at.field("value");
    let mode = match t.mode {
        TargetMode::All => "all",
        TargetMode::One => "one",
        TargetMode::Fixed => "fixed",
        TargetMode::FixedPercent => "fixed-percent",
        TargetMode::RandomMaxPercent => "random-max-percent",
    };
    let percent = |v: Option<u32>, errors: &mut Errors| match v {
        None => {
            errors.add(&value_path, format!("required for mode {mode}: a percentage from 1 to 100"));
            None
        }
        Some(v @ 1..=100) => u8::try_from(v).ok(),
        Some(v) => {
            errors.add(&value_path, format!("{v} is not a percentage from 1 to 100"));
            None
        }
    };
    match t.mode {
        TargetMode::All | TargetMode::One if t.value.is_some() => {
            errors.add(&value_path, format!("not used by mode {mode}; remove it"));
            None
        }
        TargetMode::All => Some(Count::All),
        TargetMode::One => Some(Count::One),
        TargetMode::Fixed => match t.value {
            None => {
                errors.add(
                    &value_path,
                    format!("required for mode fixed: a count from 1 to {MAX_FIXED_TARGETS}"),
                );
                None
            }
            Some(v) if v <= MAX_FIXED_TARGETS => NonZeroU32::new(v).map(Count::Fixed).or_else(|| {
                errors.add(&value_path, format!("0 is outside 1 to {MAX_FIXED_TARGETS}"));
                None
            }),
            Some(v) => {
                errors.add(&value_path, format!("{v} is outside 1 to {MAX_FIXED_TARGETS}"));
                None
            }
        },
        TargetMode::FixedPercent => percent(t.value, errors).map(Count::FixedPercent),
        TargetMode::RandomMaxPercent => percent(t.value, errors).map(Count::RandomMaxPercent),
    }
}

fn namespace_of(f: &spec::Fault, path: &Path, errors: &mut Errors) -> Option<String> {
    let at = path.field("target").field("namespace");
    match &f.target.namespace {
        None => {
            errors.add(&at, format!("required for {}", type_name(f.type_)));
            None
        }
        Some(ns) => errors.check(&at, dns_label(ns).map(|()| ns.clone())),
    }
}

pub(crate) fn pod_target(f: &spec::Fault, path: &Path, errors: &mut Errors) -> Option<PodTarget> {
    let namespace = namespace_of(f, path, errors);
    let at = path.field("target");
    let workload = match f.target.kind {
        None | Some(TargetKind::Pod) => None,
        Some(TargetKind::Deployment) => Some(WorkloadKind::Deployment),
        Some(TargetKind::StatefulSet) => Some(WorkloadKind::StatefulSet),
        Some(TargetKind::Node) => {
            errors.add(
                &at.field("kind"),
                format!(
                    "{} hits Pods (or a Deployment's or StatefulSet's pods), not Nodes",
                    type_name(f.type_)
                ),
            );
            return None;
        }
    };
    let common = common_target(f, path, errors, true)?;
    let pods = match (workload, common.name) {
        (Some(kind), Some(name)) => {
            if common.selector.is_some() {
                errors.add(
                    &at.field("selector"),
                    format!(
                        "not used with kind {} and a name: the {}'s own selector chooses the pods; remove it",
                        kind.as_str(),
                        kind.as_str()
                    ),
                );
                return None;
            }
            PodSource::OwnedBy { kind, name }
        }
        (_, name) => PodSource::Matching { selector: common.selector, name },
    };
    Some(PodTarget { namespace: namespace?, pods, count: common.count })
}

fn workload_target(f: &spec::Fault, path: &Path, errors: &mut Errors) -> Option<WorkloadTarget> {
    let namespace = namespace_of(f, path, errors);
    let kind = match f.target.kind {
        Some(TargetKind::Deployment) => Some(WorkloadKind::Deployment),
        Some(TargetKind::StatefulSet) => Some(WorkloadKind::StatefulSet),
        _ => {
            errors.add(&path.field("target").field("kind"), "pod-autoscaler needs Deployment or StatefulSet");
            None
        }
    };
    let common = common_target(f, path, errors, true)?;
    Some(WorkloadTarget {
        namespace: namespace?,
        kind: kind?,
        selector: common.selector,
        name: common.name,
        count: common.count,
    })
}

pub(crate) fn node_target(f: &spec::Fault, path: &Path, errors: &mut Errors) -> Option<NodeTarget> {
    let at = path.field("target");
    let mut ok = true;
    if f.target.namespace.is_some() {
        errors.add(
            &at.field("namespace"),
            format!("not used by {}: nodes have no namespace; remove it", type_name(f.type_)),
        );
        ok = false;
    }
    if !matches!(f.target.kind, None | Some(TargetKind::Node)) {
        errors.add(&at.field("kind"), format!("{} hits Nodes", type_name(f.type_)));
        ok = false;
    }
    let common = common_target(f, path, errors, true)?;
    ok.then_some(NodeTarget { selector: common.selector, name: common.name, count: common.count })
}

fn probe_of(
    p: &spec::Probe,
    max_duration: Option<Duration>,
    path: &Path,
    errors: &mut Errors,
) -> Option<Probe> {
    let name = errors.check(&path.field("name"), dns_label(&p.name).map(|()| p.name.clone()));
    let props = &p.run_properties;
    let rp = path.field("runProperties");
    let upper = |limit: Duration, label: &'static str| {
        let mut list: Vec<(Duration, &str)> = alloc::vec![(limit, label)];
        if let Some(max) = max_duration {
            list.push((max, "the run's maxDuration"));
        }
        list
    };
    let interval = bounded(
        errors,
        &rp.field("interval"),
        &props.interval,
        MIN_PROBE_INTERVAL,
        &upper(MAX_PROBE_INTERVAL, "the limit"),
    );
    let timeout = bounded(
        errors,
        &rp.field("timeout"),
        &props.timeout,
        MIN_PROBE_TIMEOUT,
        &upper(MAX_PROBE_TIMEOUT, "the limit"),
    );
    let initial_delay = match &props.initial_delay {
        None => Some(Duration::ZERO),
        Some(text) => bounded(
            errors,
            &rp.field("initialDelay"),
            text,
            Duration::ZERO,
            &upper(MAX_PROBE_INITIAL_DELAY, "the limit"),
        ),
    };
    let attempts = if (1..=MAX_PROBE_ATTEMPTS).contains(&props.attempts) {
        Some(props.attempts)
    } else {
        errors.add(&rp.field("attempts"), format!("{} is outside 1 to {MAX_PROBE_ATTEMPTS}", props.attempts));
        None
    };
    if let (Some(t), Some(a), Some(max)) = (timeout, attempts, max_duration) {
        let check = (t + PROBE_RETRY_PAUSE).saturating_mul(a);
        if check > max {
            errors.add(
                &rp.field("attempts"),
                format!(
                    "{a} attempts of {} (plus {} between them) take longer than the run's maxDuration ({})",
                    duration::format(t),
                    duration::format(PROBE_RETRY_PAUSE),
                    duration::format(max)
                ),
            );
        }
    }
    let check = check_of(p, path, errors);
    Some(Probe {
        name: name?,
        mode: p.mode,
        interval: interval?,
        timeout: timeout?,
        attempts: attempts?,
        initial_delay: initial_delay?,
        stop_on_failure: props.stop_on_failure,
        check: check?,
    })
}

fn check_of(p: &spec::Probe, path: &Path, errors: &mut Errors) -> Option<Check> {
    let type_ = probe_type_name(p.type_);
    let blocks = [
        ("http", p.http.is_some(), ProbeType::Http),
        ("k8s", p.k8s.is_some(), ProbeType::K8s),
        ("prom", p.prom.is_some(), ProbeType::Prom),
        ("cmd", p.cmd.is_some(), ProbeType::Cmd),
    ];
    let mut ok = true;
    for (block, set, of) in blocks {
        if set && of != p.type_ {
            errors.add(&path.field(block), format!("set, but the probe's type is {type_}; remove it"));
            ok = false;
        }
    }
    let check = match p.type_ {
        ProbeType::Http => p.http.as_ref().map(|h| http_of(h, &path.field("http"), errors).map(Check::Http)),
        ProbeType::K8s => p.k8s.as_ref().map(|k| k8s_of(k, &path.field("k8s"), errors).map(Check::K8s)),
        ProbeType::Prom => p.prom.as_ref().map(|q| prom_of(q, &path.field("prom"), errors).map(Check::Prom)),
        ProbeType::Cmd => p.cmd.as_ref().map(|c| cmd_of(c, &path.field("cmd"), errors).map(Check::Cmd)),
    };
    match check {
        None => {
            errors.add(&path.field(type_), format!("missing for a probe of type {type_}"));
            None
        }
        Some(check) if ok => check,
        Some(_) => None,
    }
}

fn http_of(h: &spec::HttpProbe, path: &Path, errors: &mut Errors) -> Option<HttpCheck> {
    let url = errors.check(&path.field("url"), http_url(&h.url).map(|_| h.url.clone()));
    let mut ok = true;
    // A probe observes: it reads (GET, HEAD) or asks with a small body (POST); it never changes things.
    if !matches!(h.method, HttpMethod::GET | HttpMethod::HEAD | HttpMethod::POST) {
        errors.add(
            &path.field("method"),
            format!(
                "{:?} is not allowed: a probe reads with GET or HEAD, or asks with POST \
                 (a body of at most {MAX_HTTP_BODY} bytes)",
                h.method
            ),
        );
        ok = false;
    }
    if let Some(body) = &h.body {
        if h.method != HttpMethod::POST {
            errors.add(&path.field("body"), format!("{:?} sends no body; use POST, or remove it", h.method));
            ok = false;
        } else if body.len() > MAX_HTTP_BODY {
            errors.add(&path.field("body"), format!("at most {MAX_HTTP_BODY} bytes"));
            ok = false;
        }
    }
    if let Some(status) = h.expect_status {
        if !(100..=599).contains(&status) {
            errors.add(&path.field("expectStatus"), format!("{status} is not an HTTP status (100 to 599)"));
            ok = false;
        }
    }
    if let Some(needle) = &h.expect_body_contains {
        if h.method == HttpMethod::HEAD {
            errors.add(&path.field("expectBodyContains"), "a HEAD response has no body; use GET");
            ok = false;
        } else if needle.len() > MAX_MATCH_TEXT {
            errors.add(&path.field("expectBodyContains"), format!("at most {MAX_MATCH_TEXT} bytes"));
            ok = false;
        }
    }
    let url = url?;
    ok.then(|| HttpCheck {
        url,
        method: h.method,
        body: h.body.clone(),
        expect_status: h.expect_status,
        expect_body_contains: h.expect_body_contains.clone(),
    })
}

fn k8s_of(k: &spec::K8sProbe, path: &Path, errors: &mut Errors) -> Option<K8sCheck> {
    let mut ok = true;
    let mut text = |field: &str, value: &str, required: bool, errors: &mut Errors| {
        if required && value.trim().is_empty() {
            errors.add(&path.field(field), "required");
            ok = false;
        } else if value.len() > MAX_K8S_TEXT {
            errors.add(&path.field(field), format!("at most {MAX_K8S_TEXT} characters"));
            ok = false;
        }
    };
    text("apiVersion", &k.api_version, true, errors);
    text("kind", &k.kind, true, errors);
    text("labelSelector", k.label_selector.as_deref().unwrap_or_default(), false, errors);
    text("fieldSelector", k.field_selector.as_deref().unwrap_or_default(), false, errors);
    let version_ok = {
        let parts: Vec<&str> = k.api_version.split('/').collect();
        parts.len() <= 2 && parts.iter().all(|p| !p.is_empty() && !p.contains(char::is_whitespace))
    };
    if ok && !version_ok {
        errors.add(
            &path.field("apiVersion"),
            format!("{:?} is not an apiVersion such as v1 or apps/v1", k.api_version),
        );
        ok = false;
    }
    if let Some(ns) = &k.namespace {
        if let Err(m) = dns_label(ns) {
            errors.add(&path.field("namespace"), m);
            ok = false;
        }
    }
    let expect = match (k.operation, k.count) {
        (K8sOperation::Count, None) => {
            errors.add(&path.field("count"), "required by operation count");
            None
        }
        (K8sOperation::Count, Some(c)) if c > MAX_K8S_COUNT => {
            errors.add(&path.field("count"), format!("{c} is more than the limit of {MAX_K8S_COUNT}"));
            None
        }
        (K8sOperation::Count, Some(c)) => Some(K8sExpect::Count(c)),
        (op, Some(_)) => {
            errors.add(
                &path.field("count"),
                format!(
                    "not used by operation {}; remove it",
                    match op {
                        K8sOperation::Present => "present",
                        _ => "absent",
                    }
                ),
            );
            None
        }
        (K8sOperation::Present, None) => Some(K8sExpect::Present),
        (K8sOperation::Absent, None) => Some(K8sExpect::Absent),
    };
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let expect = expect?;
    ok.then(|| K8sCheck {
        api_version: k.api_version.clone(),
        kind: k.kind.clone(),
        namespace: k.namespace.clone(),
        label_selector: nonempty(&k.label_selector),
        field_selector: nonempty(&k.field_selector),
        expect,
    })
}

fn prom_of(q: &spec::PromProbe, path: &Path, errors: &mut Errors) -> Option<PromCheck> {
    let endpoint = errors.check(&path.field("endpoint"), prom_base_url(&q.endpoint));
    let query = if q.query.trim().is_empty() {
        errors.add(&path.field("query"), "required");
        None
    } else if q.query.len() > MAX_MATCH_TEXT {
        errors.add(&path.field("query"), format!("at most {MAX_MATCH_TEXT} bytes"));
        None
    } else {
        Some(q.query.clone())
    };
    let comparison = comparison_of(&q.comparator, &path.field("comparator"), errors);
    Some(PromCheck { endpoint: endpoint?, query: query?, comparison: comparison? })
}

fn cmd_of(c: &spec::CmdProbe, path: &Path, errors: &mut Errors) -> Option<CmdCheck> {
    let at = path.field("command");
    let command = if c.command.len() > MAX_COMMAND_ARGS {
        errors.add(&at, format!("{} arguments; at most {MAX_COMMAND_ARGS}", c.command.len()));
        None
    } else if c.command.first().is_none_or(|program| program.trim().is_empty()) {
        errors.add(
            &at,
            "must name the program to run, e.g. [\"sh\", \"-c\", \"wget -qO- http://checkout/healthz\"]",
        );
        None
    } else if let Some(i) = c.command.iter().position(|a| a.len() > MAX_COMMAND_ARG) {
        errors.add(&at.index(i), format!("at most {MAX_COMMAND_ARG} bytes"));
        None
    } else {
        Some(c.command.clone())
    };
    let image = if c.image.trim().is_empty() {
        errors.add(&path.field("image"), "required");
        None
    } else if c.image.len() > MAX_IMAGE || c.image.contains(char::is_whitespace) {
        errors.add(
            &path.field("image"),
            format!("an image reference without spaces, at most {MAX_IMAGE} characters"),
        );
        None
    } else {
        Some(c.image.clone())
    };
    let comparison = comparison_of(&c.comparator, &path.field("comparator"), errors);
    let resources = c.resources.clone().unwrap_or_default();
    let at = path.field("resources");
    let cpu_millis = match &resources.cpu {
        None => Some(DEFAULT_CMD_CPU_MILLIS),
        Some(text) => errors.check(&at.field("cpu"), cpu_millis(text)),
    };
    let memory_bytes = match &resources.memory {
        None => Some(DEFAULT_CMD_MEMORY),
        Some(text) => errors.check(&at.field("memory"), memory_bytes(text)),
    };
    Some(CmdCheck {
        command: command?,
        image: image?,
        comparison: comparison?,
        cpu_millis: cpu_millis?,
        memory_bytes: memory_bytes?,
    })
}

/// A CPU quantity (`250m`, `0.5`, `1`) in millicores, within the cmd probe bounds.
fn cpu_millis(text: &str) -> Result<u32, String> {
    let range = || format!("{MIN_CMD_CPU_MILLIS}m to {}", MAX_CMD_CPU_MILLIS / 1000);
    let not = || format!("{text:?} is not a CPU quantity such as 250m or 0.5 ({})", range());
    if text.len() > MAX_QUANTITY_TEXT {
        return Err(format!("at most {MAX_QUANTITY_TEXT} characters"));
    }
    let millis: u64 = if let Some(m) = text.strip_suffix('m') {
        digits(m).ok_or_else(not)?
    } else {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if fraction.len() > 3 || text.ends_with('.') || text.starts_with('.') {
            return Err(not());
        }
        let whole = if whole.is_empty() { 0 } else { digits(whole).ok_or_else(not)? };
        // thousandths: "5" -> 500, "25" -> 250
        let fraction =
            if fraction.is_empty() { 0 } else { digits(&format!("{fraction:0<3}")).ok_or_else(not)? };
        whole.saturating_mul(1000).saturating_add(fraction)
    };
    match u32::try_from(millis) {
        Ok(m) if (MIN_CMD_CPU_MILLIS..=MAX_CMD_CPU_MILLIS).contains(&m) => Ok(m),
        _ => Err(format!("{text:?} is outside {}", range())),
    }
}

/// A memory quantity (`128Mi`, `64M`, `100000000`) in bytes, within the cmd probe bounds.
fn memory_bytes(text: &str) -> Result<u64, String> {
    const MI: u64 = 1024 * 1024;
    let range = || format!("{}Mi to {}Mi", MIN_CMD_MEMORY / MI, MAX_CMD_MEMORY / MI);
    if text.len() > MAX_QUANTITY_TEXT {
        return Err(format!("at most {MAX_QUANTITY_TEXT} characters"));
    }
    let units: [(&str, u64); 6] =
        [("Ki", 1024), ("Mi", MI), ("Gi", 1024 * MI), ("k", 1000), ("M", 1_000_000), ("G", 1_000_000_000)];
    let (number, unit) = units
        .iter()
        .find_map(|(suffix, unit)| text.strip_suffix(suffix).map(|n| (n, *unit)))
        .unwrap_or((text, 1));
    let Some(number) = digits(number) else {
        return Err(format!("{text:?} is not a memory quantity such as 128Mi ({})", range()));
    };
    let bytes = number.saturating_mul(unit);
    if (MIN_CMD_MEMORY..=MAX_CMD_MEMORY).contains(&bytes) {
        Ok(bytes)
    } else {
        Err(format!("{text:?} is outside {}", range()))
    }
}

/// A non-empty run of ASCII digits as a number (saturating; never more than 18 digits are read).
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn comparison_of(c: &spec::Comparator, path: &Path, errors: &mut Errors) -> Option<Comparison> {
    if c.value.len() > MAX_MATCH_TEXT {
        errors.add(&path.field("value"), format!("at most {MAX_MATCH_TEXT} bytes"));
        return None;
    }
    // criteria errors belong to the criteria, value errors to the value
    match Comparison::parse(c) {
        Ok(comparison) => Some(comparison),
        Err(m) if m.starts_with("criteria") => {
            errors.add(&path.field("criteria"), m);
            None
        }
        Err(m) => {
            errors.add(&path.field("value"), m);
            None
        }
    }
}

/// Parses a duration at `path` and checks it against `min` and each `(limit, what the limit is)`.
pub(crate) fn bounded(
    errors: &mut Errors,
    path: &Path,
    text: &str,
    min: Duration,
    upper: &[(Duration, &str)],
) -> Option<Duration> {
    if text.len() > MAX_DURATION_TEXT {
        errors.add(path, format!("at most {MAX_DURATION_TEXT} characters"));
        return None;
    }
    let Some(d) = duration::parse(text) else {
        errors.add(path, format!("{text:?} is not a duration such as 30s, 5m, 1h or 1m30s"));
        return None;
    };
    if d < min {
        errors.add(path, format!("{text:?} is less than the minimum of {}", duration::format(min)));
        return None;
    }
    if let Some((limit, what)) = upper.iter().filter(|(limit, _)| d > *limit).min_by_key(|(limit, _)| *limit)
    {
        let what = if *what == "the limit" { "the limit of" } else { what };
        let shown = duration::format(*limit);
        let limit_text =
            if what.ends_with(" of") { format!("{what} {shown}") } else { format!("{what} ({shown})") };
        errors.add(path, format!("{text:?} is more than {limit_text}"));
        return None;
    }
    Some(d)
}

/// An absolute http or https URL with a host.
fn http_url(text: &str) -> Result<url::Url, String> {
    if text.len() > MAX_URL {
        return Err(format!("at most {MAX_URL} characters"));
    }
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        Ok(_) => Err(format!("{text:?} is not an http or https URL")),
        Err(e) => Err(format!("{text:?} is not a URL: {e}")),
    }
}

/// A Prometheus base URL: an http or https URL with nothing the probe's own path and query could be
/// defeated or hidden by (a query or fragment would swallow the appended `/api/v1/query`), and no
/// credentials (they would be sent to whatever answers, and shown wherever the endpoint is).
fn prom_base_url(text: &str) -> Result<String, String> {
    let url = http_url(text)?;
    let example = "a base URL such as http://prometheus.monitoring:9090 (the probe adds /api/v1/query)";
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("has a user or password (user:password@); use {example}"));
    }
    if url.query().is_some() {
        return Err(format!("{text:?} has a query (?); use {example}"));
    }
    if url.fragment().is_some() {
        return Err(format!("{text:?} has a fragment (#); use {example}"));
    }
    Ok(text.to_string())
}

/// A DNS-1123 label: 1 to 63 lowercase letters, digits and '-', starting and ending alphanumeric.
pub fn dns_label(name: &str) -> Result<(), String> {
    let b = name.as_bytes();
    let valid = !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-';
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a DNS label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
        ))
    }
}

/// A DNS-1123 subdomain (an object name): at most 253 characters of DNS labels joined by '.'.
pub fn dns_subdomain(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.len() <= 253 && name.split('.').all(|l| dns_label(l).is_ok()) {
        Ok(())
    } else {
        Err(format!("{name:?} is not an object name: at most 253 lowercase letters, digits, '-' and '.'"))
    }
}

pub(crate) fn type_name(t: FaultType) -> &'static str {
    match t {
        FaultType::PodDelete => "pod-delete",
        FaultType::PodAutoscaler => "pod-autoscaler",
        FaultType::NodeCordon => "node-cordon",
        FaultType::NodeTaint => "node-taint",
        FaultType::NodeDrain => "node-drain",
        FaultType::NetworkPartition => "network-partition",
        FaultType::NetworkDelay => "network-delay",
        FaultType::NetworkLoss => "network-loss",
        FaultType::NetworkDuplicate => "network-duplicate",
        FaultType::NetworkCorrupt => "network-corrupt",
        FaultType::NetworkRate => "network-rate",
        FaultType::ContainerKill => "container-kill",
        FaultType::PodCpuStress => "pod-cpu-stress",
        FaultType::PodMemoryStress => "pod-memory-stress",
        FaultType::PodIoStress => "pod-io-stress",
        FaultType::DiskFill => "disk-fill",
        FaultType::DnsError => "dns-error",
        FaultType::DnsSpoof => "dns-spoof",
        FaultType::HttpLatency => "http-latency",
        FaultType::HttpAbort => "http-abort",
        FaultType::HttpStatus => "http-status",
        FaultType::HttpModify => "http-modify",
        FaultType::NodeCpuStress => "node-cpu-stress",
        FaultType::NodeMemoryStress => "node-memory-stress",
    }
}

fn probe_type_name(t: ProbeType) -> &'static str {
    match t {
        ProbeType::Http => "http",
        ProbeType::K8s => "k8s",
        ProbeType::Prom => "prom",
        ProbeType::Cmd => "cmd",
    }
}
