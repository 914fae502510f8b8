//! What an injection creates in a pod's network namespace, decided without touching it: the mechanism,
//! the agent's own iptables chains and rules, the root qdisc, the netfilter queue. Pure, so every fault's
//! rules are unit-tested; the same record (`Created`) drives the revert and the journal.

use chaoscenter_crds::injection::{NodeCapabilities, NodeFault, Protocol, TrafficFilter};
use chaoscenter_crds::workflow::PartitionDirection;
use serde::{Deserialize, Serialize};

/// The mark on packets the agent itself sends (duplicates), so its queue rules let them pass.
pub const AGENT_MARK: &str = "0x63630001";

/// [`AGENT_MARK`] as a number (for `SO_MARK` on the sockets of the agent's proxies).
pub fn agent_mark() -> u32 {
    u32::from_str_radix(AGENT_MARK.trim_start_matches("0x"), 16).unwrap_or_default()
}
/// The prefix of every iptables chain the agent creates.
pub const CHAIN_PREFIX: &str = "CC-";

/// How a fault is applied.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Mechanism {
    Netem,
    Nfqueue,
    IptablesStatistic,
    Tbf,
    IptablesDrop,
}

impl Mechanism {
    /// Its name in the injection's status (as [`NodeCapabilities::mechanism`] says it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Netem => "netem",
            Self::Nfqueue => "nfqueue",
            Self::IptablesStatistic => "iptables-statistic",
            Self::Tbf => "tbf",
            Self::IptablesDrop => "iptables-drop",
        }
    }

    /// The mechanism this node applies `fault` with, or what the node lacks for it.
    pub fn choose(caps: &NodeCapabilities, fault: &NodeFault) -> Result<Self, String> {
        let name =
            caps.mechanism(fault).map_err(|missing| format!("node lacks {missing} for {}", fault.name()))?;
        [Self::Netem, Self::Nfqueue, Self::IptablesStatistic, Self::Tbf, Self::IptablesDrop]
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| format!("unknown mechanism {name}"))
    }
}

/// Everything an injection creates in a namespace: what its revert removes (and its journal entry lists).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    /// The agent's iptables chains (and the jumps to them from OUTPUT or INPUT).
    #[serde(default)]
    pub chains: Vec<String>,
    /// The handle (hex major, e.g. `cc1a`) of the root qdisc the agent put on every interface but loopback.
    #[serde(default)]
    pub qdisc_handle: Option<String>,
    /// The netfilter queue the agent's user-space engine reads.
    #[serde(default)]
    pub queue: Option<u16>,
}

/// What the user-space engine does to each queued packet.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineFault {
    /// Drop every queued packet (the queue rule picked them), silently for the sender.
    Drop,
    Delay {
        latency_ms: u32,
        jitter_ms: u32,
        correlation: f64,
    },
    Duplicate {
        percent: f64,
    },
    Corrupt {
        percent: f64,
    },
}

/// How one injection is applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub mechanism: Mechanism,
    pub created: Created,
    /// iptables invocations, in order (chains first, then their rules, then the jumps to them).
    pub iptables: Vec<Vec<String>>,
    /// The root qdisc's arguments after `tc qdisc add dev <if> root handle <h>:`.
    pub qdisc: Option<Vec<String>>,
    /// The user-space engine on `created.queue`.
    pub engine: Option<EngineFault>,
}

/// The short id an injection's names derive from: its uid's first 12 hex digits.
pub(crate) fn short(uid: &str) -> String {
    uid.chars().filter(char::is_ascii_hexdigit).take(12).collect::<String>().to_ascii_lowercase()
}

/// The names of the chains an injection with `uid` may create.
pub fn chain_names(uid: &str) -> (String, String) {
    let id = short(uid);
    (format!("{CHAIN_PREFIX}{id}-O"), format!("{CHAIN_PREFIX}{id}-I"))
}

fn qdisc_handle(uid: &str) -> String {
    let n = u16::from_str_radix(&short(uid)[..4.min(short(uid).len())], 16).unwrap_or(0xcc);
    format!("{:x}", n.clamp(1, 0xfffe))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Out,
    In,
}

/// The match arguments of the rules `filter` makes, for traffic in `dir` (remote = destination out,
/// source in); one entry per rule. An empty filter is one rule matching everything.
fn matches(filter: &TrafficFilter, dir: Dir) -> Result<Vec<Vec<String>>, String> {
    let s = |v: &str| v.to_string();
    let mut addrs: Vec<Vec<String>> = Vec::new();
    for cidr in &filter.cidrs {
        let net: ipnet::IpNet = cidr
            .trim()
            .parse()
            .or_else(|_| cidr.trim().parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| format!("filter.cidrs: {cidr:?} is not an address or a network"))?;
        if matches!(net, ipnet::IpNet::V6(_)) {
            return Err(format!("filter.cidrs: {cidr:?} is IPv6, which the agent does not filter yet"));
        }
        addrs.push(vec![s(if dir == Dir::Out { "-d" } else { "-s" }), net.trunc().to_string()]);
    }
    if addrs.is_empty() {
        addrs.push(vec![]);
    }
    let protocols: Vec<Option<&str>> = match (filter.protocol, filter.ports.is_empty()) {
        (Some(Protocol::Icmp), false) => return Err("filter.ports cannot be used with protocol icmp".into()),
        (Some(Protocol::Icmp), true) => vec![Some("icmp")],
        (Some(Protocol::Tcp), _) => vec![Some("tcp")],
        (Some(Protocol::Udp), _) => vec![Some("udp")],
        (None, false) => vec![Some("tcp"), Some("udp")],
        (None, true) => vec![None],
    };
    let mut ports: Vec<Vec<String>> = filter
        .ports
        .chunks(15)
        .map(|chunk| {
            let list = chunk.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
            vec![s("-m"), s("multiport"), s(if dir == Dir::Out { "--dports" } else { "--sports" }), list]
        })
        .collect();
    if ports.is_empty() {
        ports.push(vec![]);
    }
    let mut rules = Vec::new();
    for addr in &addrs {
        for protocol in &protocols {
            for port in &ports {
                let mut rule = addr.clone();
                if let Some(p) = protocol {
                    rule.extend([s("-p"), s(p)]);
                }
                rule.extend(port.iter().cloned());
                rules.push(rule);
            }
        }
    }
    Ok(rules)
}

/// The plan for `fault` of injection `uid` with `mechanism`; `queue` is the netfilter queue number free
/// in the pod's namespace (used by the user-space engine only).
pub fn build(uid: &str, fault: &NodeFault, mechanism: Mechanism, queue: u16) -> Result<Plan, String> {
    let (out_chain, in_chain) = chain_names(uid);
    let mut plan =
        Plan { mechanism, created: Created::default(), iptables: vec![], qdisc: None, engine: None };
    let pct = |p: f64| format!("{p}%");
    let probability = |p: f64| format!("{:.6}", (p / 100.0).clamp(0.0, 1.0));
    // rules: (direction, match-independent target arguments)
    let mut targets: Vec<(Dir, Vec<String>)> = vec![];
    let strings = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    match (mechanism, fault) {
        (Mechanism::Netem, NodeFault::NetworkDelay { latency_ms, jitter_ms, correlation, .. }) => {
            let mut args = strings(&["netem", "delay", &format!("{latency_ms}ms")]);
            if *jitter_ms > 0 {
                args.extend([format!("{jitter_ms}ms"), pct(*correlation)]);
            }
            plan.qdisc = Some(args);
        }
        (Mechanism::Netem, NodeFault::NetworkLoss { percent, correlation, .. }) => {
            plan.qdisc = Some(vec!["netem".into(), "loss".into(), pct(*percent), pct(*correlation)]);
        }
        (Mechanism::Netem, NodeFault::NetworkDuplicate { percent, .. }) => {
            plan.qdisc = Some(vec!["netem".into(), "duplicate".into(), pct(*percent)]);
        }
        (Mechanism::Netem, NodeFault::NetworkCorrupt { percent, .. }) => {
            plan.qdisc = Some(vec!["netem".into(), "corrupt".into(), pct(*percent)]);
        }
        (Mechanism::Tbf, NodeFault::NetworkRate { bits_per_second, burst_bytes }) => {
            let burst = burst_bytes.map(u64::from).unwrap_or((bits_per_second / 8 / 100).max(3000));
            plan.qdisc = Some(vec![
                "tbf".into(),
                "rate".into(),
                format!("{bits_per_second}bit"),
                "burst".into(),
                format!("{burst}b"),
                "latency".into(),
                "100ms".into(),
            ]);
        }
        (Mechanism::IptablesStatistic, NodeFault::NetworkLoss { percent, .. }) => {
            // the statistic match picks the packets; the engine drops them (an OUTPUT DROP would fail the
            // sender's send() with EPERM, which a lossy network never does)
            let (p, q) = (probability(*percent), queue.to_string());
            plan.engine = Some(EngineFault::Drop);
            plan.created.queue = Some(queue);
            targets.push((
                Dir::Out,
                strings(&[
                    "-m",
                    "statistic",
                    "--mode",
                    "random",
                    "--probability",
                    &p,
                    "-m",
                    "mark",
                    "!",
                    "--mark",
                    AGENT_MARK,
                    "-j",
                    "NFQUEUE",
                    "--queue-num",
                    &q,
                    "--queue-bypass",
                ]),
            ));
        }
        (Mechanism::IptablesDrop, NodeFault::NetworkPartition { direction, .. }) => {
            if matches!(direction, PartitionDirection::Egress | PartitionDirection::Both) {
                targets.push((Dir::Out, strings(&["-j", "DROP"])));
            }
            if matches!(direction, PartitionDirection::Ingress | PartitionDirection::Both) {
                targets.push((Dir::In, strings(&["-j", "DROP"])));
            }
        }
        (Mechanism::Nfqueue, fault) => {
            plan.engine = Some(match fault {
                NodeFault::NetworkDelay { latency_ms, jitter_ms, correlation, .. } => EngineFault::Delay {
                    latency_ms: *latency_ms,
                    jitter_ms: *jitter_ms,
                    correlation: *correlation,
                },
                NodeFault::NetworkDuplicate { percent, .. } => EngineFault::Duplicate { percent: *percent },
                NodeFault::NetworkCorrupt { percent, .. } => EngineFault::Corrupt { percent: *percent },
                other => return Err(format!("{} cannot be applied with nfqueue", other.name())),
            });
            plan.created.queue = Some(queue);
            let q = queue.to_string();
            targets.push((
                Dir::Out,
                strings(&[
                    "-m",
                    "mark",
                    "!",
                    "--mark",
                    AGENT_MARK,
                    "-j",
                    "NFQUEUE",
                    "--queue-num",
                    &q,
                    "--queue-bypass",
                ]),
            ));
        }
        (mechanism, fault) => {
            return Err(format!("{} cannot be applied with {}", fault.name(), mechanism.name()))
        }
    }
    if plan.qdisc.is_some() {
        plan.created.qdisc_handle = Some(qdisc_handle(uid));
    }
    let empty = TrafficFilter::default();
    let filter = fault.filter().unwrap_or(&empty);
    for dir in [Dir::Out, Dir::In] {
        let wanted: Vec<&Vec<String>> = targets.iter().filter(|(d, _)| *d == dir).map(|(_, t)| t).collect();
        if wanted.is_empty() {
            continue;
        }
        let (chain, parent, iface) =
            if dir == Dir::Out { (&out_chain, "OUTPUT", "-o") } else { (&in_chain, "INPUT", "-i") };
        plan.created.chains.push(chain.clone());
        plan.iptables.push(strings(&["-w", "-N", chain]));
        for rule in matches(filter, dir)? {
            for target in &wanted {
                let mut args = strings(&["-w", "-A", chain]);
                args.extend(rule.iter().cloned());
                args.extend(target.iter().cloned());
                plan.iptables.push(args);
            }
        }
        plan.iptables.push(strings(&["-w", "-I", parent, "1", "!", iface, "lo", "-j", chain]));
    }
    if plan.created.queue.is_some() && plan.created.chains.is_empty() {
        return Err("a user-space fault needs a queue rule".into());
    }
    Ok(plan)
}

/// The iptables rules (as `iptables -S` prints them) that jump to one of `chains`, turned into the
/// arguments that delete them: the revert finds the jumps by reading the state, so it is idempotent.
pub fn jump_deletions(rules: &str, chains: &[String]) -> Vec<Vec<String>> {
    rules
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (first, parent) = (words.first()?, words.get(1)?);
            let jumps = words.windows(2).any(|w| w[0] == "-j" && chains.iter().any(|c| c == w[1]));
            (*first == "-A" && jumps && !chains.iter().any(|c| c == parent)).then(|| {
                let mut args = vec!["-w".to_string(), "-D".to_string()];
                args.extend(words[1..].iter().map(|w| w.to_string()));
                args
            })
        })
        .collect()
}

/// What of `created` is still in a namespace whose `iptables -S`, root qdiscs (`tc qdisc show` of every
/// interface) and bound queues are given; empty when the revert is complete.
pub fn leftovers(created: &Created, rules: &str, qdiscs: &str, queues: &[u16]) -> Vec<String> {
    let mut left = Vec::new();
    for chain in &created.chains {
        if rules.lines().any(|l| l.split_whitespace().any(|w| w == chain)) {
            left.push(format!("iptables chain {chain}"));
        }
    }
    if let Some(handle) = &created.qdisc_handle {
        let ours = format!("{handle}:");
        if qdiscs.lines().any(|l| l.split_whitespace().nth(2) == Some(ours.as_str())) {
            left.push(format!("qdisc {ours}"));
        }
    }
    if let Some(q) = created.queue {
        if queues.contains(&q) {
            left.push(format!("netfilter queue {q}"));
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809";

    fn caps_here() -> NodeCapabilities {
        NodeCapabilities { tbf: true, nfqueue: true, iptables: true, ..Default::default() }
    }

    fn joined(plan: &Plan) -> Vec<String> {
        plan.iptables.iter().map(|a| a.join(" ")).collect()
    }

    #[test]
    fn loss_without_netem_is_a_statistic_pick_of_outgoing_packets_dropped_silently_by_the_queue() {
        let fault =
            NodeFault::NetworkLoss { percent: 30.0, correlation: 0.0, filter: TrafficFilter::default() };
        let m = Mechanism::choose(&caps_here(), &fault).unwrap();
        assert_eq!(m, Mechanism::IptablesStatistic);
        let plan = build(UID, &fault, m, 100).unwrap();
        assert_eq!(
            joined(&plan),
            vec![
                "-w -N CC-1a2b3c4d5e6f-O".to_string(),
                format!("-w -A CC-1a2b3c4d5e6f-O -m statistic --mode random --probability 0.300000 -m mark ! --mark {AGENT_MARK} -j NFQUEUE --queue-num 100 --queue-bypass"),
                "-w -I OUTPUT 1 ! -o lo -j CC-1a2b3c4d5e6f-O".to_string(),
            ]
        );
        assert_eq!(plan.engine, Some(EngineFault::Drop));
        assert_eq!(
            plan.created,
            Created { chains: vec!["CC-1a2b3c4d5e6f-O".into()], queue: Some(100), ..Default::default() }
        );
    }

    #[test]
    fn with_netem_loss_and_delay_are_a_root_qdisc() {
        let caps = NodeCapabilities { netem: true, ..caps_here() };
        let delay = NodeFault::NetworkDelay {
            latency_ms: 100,
            jitter_ms: 10,
            correlation: 25.0,
            filter: Default::default(),
        };
        let plan = build(UID, &delay, Mechanism::choose(&caps, &delay).unwrap(), 100).unwrap();
        assert_eq!(plan.mechanism, Mechanism::Netem);
        assert_eq!(plan.qdisc.unwrap().join(" "), "netem delay 100ms 10ms 25%");
        assert!(plan.iptables.is_empty());
        assert_eq!(plan.created.qdisc_handle.as_deref(), Some("1a2b"));
    }

    #[test]
    fn a_partition_drops_by_direction_limited_by_the_filter() {
        let filter = TrafficFilter {
            cidrs: vec!["10.1.0.7".into()],
            ports: vec![80, 443],
            protocol: Some(Protocol::Tcp),
        };
        let fault = NodeFault::NetworkPartition { direction: PartitionDirection::Both, filter };
        let plan = build(UID, &fault, Mechanism::IptablesDrop, 0).unwrap();
        assert_eq!(
            joined(&plan),
            vec![
                "-w -N CC-1a2b3c4d5e6f-O",
                "-w -A CC-1a2b3c4d5e6f-O -d 10.1.0.7/32 -p tcp -m multiport --dports 80,443 -j DROP",
                "-w -I OUTPUT 1 ! -o lo -j CC-1a2b3c4d5e6f-O",
                "-w -N CC-1a2b3c4d5e6f-I",
                "-w -A CC-1a2b3c4d5e6f-I -s 10.1.0.7/32 -p tcp -m multiport --sports 80,443 -j DROP",
                "-w -I INPUT 1 ! -i lo -j CC-1a2b3c4d5e6f-I",
            ]
        );
        let ingress = NodeFault::NetworkPartition {
            direction: PartitionDirection::Ingress,
            filter: Default::default(),
        };
        let plan = build(UID, &ingress, Mechanism::IptablesDrop, 0).unwrap();
        assert_eq!(plan.created.chains, vec!["CC-1a2b3c4d5e6f-I".to_string()]);
    }

    #[test]
    fn ports_without_a_protocol_mean_tcp_and_udp_and_bad_filters_are_refused() {
        let filter = TrafficFilter { ports: vec![53], ..Default::default() };
        let fault = NodeFault::NetworkPartition { direction: PartitionDirection::Egress, filter };
        let rules = joined(&build(UID, &fault, Mechanism::IptablesDrop, 0).unwrap());
        assert!(
            rules.contains(&"-w -A CC-1a2b3c4d5e6f-O -p tcp -m multiport --dports 53 -j DROP".to_string())
        );
        assert!(
            rules.contains(&"-w -A CC-1a2b3c4d5e6f-O -p udp -m multiport --dports 53 -j DROP".to_string())
        );
        for (filter, said) in [
            (TrafficFilter { cidrs: vec!["10.0.0.300/8".into()], ..Default::default() }, "filter.cidrs"),
            (TrafficFilter { cidrs: vec!["fd00::1/128".into()], ..Default::default() }, "IPv6"),
            (TrafficFilter { ports: vec![1], protocol: Some(Protocol::Icmp), ..Default::default() }, "icmp"),
        ] {
            let fault = NodeFault::NetworkPartition { direction: PartitionDirection::Egress, filter };
            let err = build(UID, &fault, Mechanism::IptablesDrop, 0).unwrap_err();
            assert!(err.contains(said), "{err}");
        }
    }

    #[test]
    fn delay_without_netem_queues_outgoing_packets_but_not_the_agents_own() {
        let fault = NodeFault::NetworkDelay {
            latency_ms: 100,
            jitter_ms: 0,
            correlation: 0.0,
            filter: TrafficFilter { cidrs: vec!["10.1.0.0/16".into()], ..Default::default() },
        };
        let plan = build(UID, &fault, Mechanism::choose(&caps_here(), &fault).unwrap(), 1234).unwrap();
        assert_eq!(plan.mechanism, Mechanism::Nfqueue);
        assert_eq!(
            joined(&plan)[1],
            format!("-w -A CC-1a2b3c4d5e6f-O -d 10.1.0.0/16 -m mark ! --mark {AGENT_MARK} -j NFQUEUE --queue-num 1234 --queue-bypass")
        );
        assert_eq!(plan.created.queue, Some(1234));
        assert_eq!(plan.engine, Some(EngineFault::Delay { latency_ms: 100, jitter_ms: 0, correlation: 0.0 }));
    }

    #[test]
    fn rate_is_a_token_bucket_with_a_ten_millisecond_burst_by_default() {
        let fault = NodeFault::NetworkRate { bits_per_second: 1_000_000, burst_bytes: None };
        let plan = build(UID, &fault, Mechanism::choose(&caps_here(), &fault).unwrap(), 0).unwrap();
        assert_eq!(plan.qdisc.unwrap().join(" "), "tbf rate 1000000bit burst 3000b latency 100ms");
        let fast = NodeFault::NetworkRate { bits_per_second: 1_000_000_000, burst_bytes: None };
        let plan = build(UID, &fast, Mechanism::Tbf, 0).unwrap();
        assert!(plan.qdisc.unwrap().join(" ").contains("burst 1250000b"));
        let refused = build(UID, &fast, Mechanism::IptablesDrop, 0).unwrap_err();
        assert!(refused.contains("network-rate cannot be applied with iptables-drop"), "{refused}");
    }

    #[test]
    fn the_revert_deletes_exactly_the_jumps_to_its_own_chains_and_verifies_by_reading_back() {
        let rules = "-P OUTPUT ACCEPT\n-N CC-1a2b3c4d5e6f-O\n-N CC-ffff00001111-O\n\
                     -A OUTPUT ! -o lo -j CC-ffff00001111-O\n-A OUTPUT ! -o lo -j CC-1a2b3c4d5e6f-O\n\
                     -A CC-1a2b3c4d5e6f-O -j DROP\n";
        let ours = vec!["CC-1a2b3c4d5e6f-O".to_string()];
        assert_eq!(
            jump_deletions(rules, &ours),
            vec![["-w", "-D", "OUTPUT", "!", "-o", "lo", "-j", "CC-1a2b3c4d5e6f-O"]
                .map(String::from)
                .to_vec()]
        );
        let created = Created { chains: ours, qdisc_handle: Some("1a2b".into()), queue: Some(7) };
        let qdiscs = "qdisc tbf 1a2b: root refcnt 2 rate 1Mbit burst 3000b lat 100ms\n";
        assert_eq!(
            leftovers(&created, rules, qdiscs, &[7]),
            vec!["iptables chain CC-1a2b3c4d5e6f-O", "qdisc 1a2b:", "netfilter queue 7"]
        );
        let clean = "-P OUTPUT ACCEPT\n-N CC-ffff00001111-O\n-A OUTPUT ! -o lo -j CC-ffff00001111-O\n";
        assert!(leftovers(&created, clean, "qdisc noqueue 0: root refcnt 2\n", &[8]).is_empty());
    }
}
