//! The mechanisms in two real network namespaces joined by a veth pair, without a cluster (as root, like
//! `make test`; needs `ip`, `unshare`, `nsenter` and busybox). The namespaces go with their processes.

use chaoscenter_crds::injection::{NodeCapabilities, NodeFault, TrafficFilter};
use chaoscenter_node::engine::Engine;
use chaoscenter_node::inject::{apply_here, leftovers_here, remove_here};
use chaoscenter_node::netns::NetNs;
use chaoscenter_node::plan::{build, Mechanism};
use std::process::{Child, Command};

/// Two network namespaces a (10.77.0.1) and b (10.77.0.2) joined by a veth pair, each held by a sleeping
/// process made with `unshare --net` (nothing is mounted under /run/netns); gone when dropped (the veth
/// pair goes with its namespaces).
struct Pair {
    sleepers: Vec<Child>,
}

fn sh(cmd: &str) -> String {
    let out = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Pair {
    fn new() -> Self {
        let mut pair = Self { sleepers: vec![] };
        for _ in 0..2 {
            pair.sleepers.push(Command::new("unshare").args(["--net", "sleep", "600"]).spawn().unwrap());
        }
        // the sleepers are in their namespaces once their netns differs from ours
        let ours = std::fs::read_link("/proc/self/ns/net").unwrap();
        for s in &pair.sleepers {
            let path = format!("/proc/{}/ns/net", s.id());
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::fs::read_link(&path).ok().is_none_or(|ns| ns == ours) {
                assert!(std::time::Instant::now() < deadline, "unshare --net did not start");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        let (a, b) = (pair.sleepers[0].id(), pair.sleepers[1].id());
        let tag = std::process::id();
        sh(&format!(
            "ip link add cct{tag}a type veth peer name cct{tag}b && \
             ip link set cct{tag}a netns {a} && ip link set cct{tag}b netns {b} && \
             nsenter -t {a} -n ip link set cct{tag}a name eth0 && nsenter -t {b} -n ip link set cct{tag}b name eth0 && \
             nsenter -t {a} -n ip addr add 10.77.0.1/24 dev eth0 && nsenter -t {b} -n ip addr add 10.77.0.2/24 dev eth0 && \
             nsenter -t {a} -n ip link set eth0 up && nsenter -t {b} -n ip link set eth0 up && \
             nsenter -t {a} -n ip link set lo up && nsenter -t {b} -n ip link set lo up"
        ));
        pair
    }

    fn pid(&self, which: usize) -> u32 {
        self.sleepers[which].id()
    }

    fn ns_a(&self) -> NetNs {
        NetNs::of_pid(self.pid(0)).unwrap()
    }

    /// Round trips (ms) of pings from a to b.
    fn rtts(&self, count: u32) -> Vec<f64> {
        let out = sh(&format!(
            "nsenter -t {} -n busybox ping -c {count} -i 0.05 -W 2 10.77.0.2 || true",
            self.pid(0)
        ));
        let mut v: Vec<f64> = out
            .lines()
            .filter(|l| !l.contains("DUP!"))
            .filter_map(|l| l.split("time=").nth(1)?.split_whitespace().next()?.parse().ok())
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    fn ping_output(&self, count: u32) -> String {
        sh(&format!("nsenter -t {} -n busybox ping -c {count} -i 0.02 -W 2 10.77.0.2 || true", self.pid(0)))
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for s in &mut self.sleepers {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

fn caps() -> NodeCapabilities {
    NodeCapabilities { tbf: true, nfqueue: true, iptables: true, ..Default::default() }
}

/// Applies `fault` in a's namespace, runs `measure`, reverts, and checks nothing is left.
async fn with_fault<T>(pair: &Pair, uid: &str, fault: NodeFault, measure: impl FnOnce() -> T) -> T {
    let mechanism = Mechanism::choose(&caps(), &fault).unwrap();
    let plan = build(uid, &fault, mechanism, 100).unwrap();
    let ns = pair.ns_a();
    let engine = plan.engine.clone().map(|f| Engine::start(ns.try_clone().unwrap(), 100, f).unwrap());
    assert!(engine.as_ref().is_none_or(|e| e.waits_on_socket), "the engine fell back to polling");
    let p = plan.clone();
    ns.run(move || apply_here(&p)).await.unwrap();
    let measured = measure();
    let created = plan.created.clone();
    ns.run(move || remove_here(&created)).await.unwrap();
    if let Some(e) = engine {
        e.stop();
    }
    let created = plan.created.clone();
    assert_eq!(ns.run(move || leftovers_here(&created)).await.unwrap(), Vec::<String>::new());
    measured
}

#[tokio::test]
async fn the_user_space_engine_delays_duplicates_and_corrupts() {
    let pair = Pair::new();
    let base = pair.rtts(20);
    let delay = NodeFault::NetworkDelay {
        latency_ms: 100,
        jitter_ms: 0,
        correlation: 0.0,
        filter: TrafficFilter::default(),
    };
    let delayed = with_fault(&pair, "aaaa0000-1111", delay, || pair.rtts(60)).await;
    let p50 = delayed[delayed.len() / 2];
    eprintln!(
        "base p50 {:.3} ms, delayed p50 {p50:.3} p99 {:.3}",
        base[base.len() / 2],
        delayed[delayed.len() * 99 / 100]
    );
    // load (a busy 2-core machine) can only add time: no reply is faster than the delay, and the median
    // is not twice delayed
    assert!(delayed[0] >= 99.0 && p50 - base[base.len() / 2] < 150.0, "{delayed:?}");
    let jitter = NodeFault::NetworkDelay {
        latency_ms: 50,
        jitter_ms: 20,
        correlation: 0.0,
        filter: TrafficFilter::default(),
    };
    let jittered = with_fault(&pair, "aaaa0000-2222", jitter, || pair.rtts(100)).await;
    eprintln!("50±20 ms: min {:.2} max {:.2}", jittered[0], jittered[jittered.len() - 1]);
    // 50±20: nothing faster than 30 ms, and many replies well under 50 ms, which load cannot fake (it only
    // adds time; a fixed 50 ms delay gives none): of 100 uniform in 30–70 ms, ~37 are under 45
    let fast = jittered.iter().filter(|&&ms| ms < 45.0).count();
    assert!(jittered[0] >= 29.0 && fast >= 10, "{fast} under 45 ms: {jittered:?}");
    assert!(jittered[jittered.len() / 2] < 100.0, "the median is not twice delayed: {jittered:?}");
    let dup = NodeFault::NetworkDuplicate { percent: 50.0, filter: TrafficFilter::default() };
    let out = with_fault(&pair, "bbbb0000-1111", dup, || pair.ping_output(200)).await;
    let dups = out.lines().filter(|l| l.contains("DUP!")).count();
    eprintln!("duplicate 50 %: {dups} of 200 replies duplicated");
    assert!((70..=130).contains(&dups), "{dups}");
    let snmp = |pair: &Pair| sh(&format!("nsenter -t {} -n cat /proc/net/snmp", pair.pid(1)));
    let csum_errors = |text: String| -> u64 {
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("Icmp:")).collect();
        let i = lines[0].split_whitespace().position(|w| w == "InCsumErrors").unwrap();
        lines[1].split_whitespace().nth(i).unwrap().parse().unwrap()
    };
    let before = csum_errors(snmp(&pair));
    let corrupt = NodeFault::NetworkCorrupt { percent: 100.0, filter: TrafficFilter::default() };
    let out = with_fault(&pair, "cccc0000-1111", corrupt, || pair.ping_output(50)).await;
    let after = csum_errors(snmp(&pair));
    eprintln!(
        "corrupt 100 %: {} checksum errors at the receiver; {}",
        after - before,
        out.lines().last().unwrap_or("")
    );
    assert!(after - before >= 45, "{before} → {after}");
}
