//! The node agent against real pods: each fault's effect is measured between two busybox pods (round-trip
//! times, loss, transfer rate, connections, duplicates and checksum errors at the receiver), and every
//! revert — asked for, at expiry, after a SIGKILL and a restart — is checked by reading the pod's network
//! namespace back (iptables rules, qdiscs, queues). The agent runs as a local root process.

use chaoscenter_crds::injection::{lease_name, NodeCapabilities};
use chaoscenter_crds::injection::{InjectionPhase, AGENT_FINALIZER, CAPABILITIES_ANNOTATION};
use chaoscenter_e2e::node::{
    can_fetch, exec, injections, percentile, ping_loss, rtts, test_pod, wait_injected, wait_lease, Scene,
    StateDir, TestPod,
};
use chaoscenter_e2e::{kubectl, setup_project, wait_for, with_namespace, NodeAgent};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, Patch, PatchParams};
use kube::ResourceExt;
use serde_json::json;
use std::time::Duration;

/// A process in the network namespace with inode `inode`.
fn pid_in_netns(inode: u64) -> Option<u32> {
    let wanted = format!("net:[{inode}]");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        (std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()?.to_str()? == wanted).then_some(pid)
    })
}

/// The iptables rules, qdiscs and bound netfilter queues of the namespace with `inode`, read from the host.
fn netns_state(inode: u64) -> String {
    let pid = pid_in_netns(inode).unwrap_or_else(|| panic!("no process in network namespace {inode}"));
    let run = |cmd: &str| {
        let out = std::process::Command::new("nsenter")
            .args(["-t", &pid.to_string(), "-n", "sh", "-c", cmd])
            .output()
            .unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    run("iptables -w -S; tc qdisc show; cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null")
}

/// The agent's marks in a namespace's state: its chains, a non-default root qdisc, a bound queue.
fn agent_traces(state: &str) -> Vec<String> {
    state
        .lines()
        .filter(|l| {
            l.contains("CC-")
                || l.starts_with("qdisc tbf")
                || l.starts_with("qdisc netem")
                || l.split_whitespace().next().is_some_and(|w| w.parse::<u16>().is_ok())
        })
        .map(String::from)
        .collect()
}

/// The CPU time (user + system, seconds) the agent has used so far.
fn cpu_seconds(agent: &NodeAgent) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", agent.pid().unwrap())).unwrap();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn journal_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// Stops the agent (SIGTERM), then checks it left no journal behind and removes its state directory.
fn stop_clean(agent: &mut NodeAgent) {
    assert!(agent.stop(), "the agent did not exit cleanly:\n{}", agent.logs());
    assert_eq!(journal_files(&agent.state_dir), Vec::<String>::new(), "journal entries left behind");
}

#[tokio::test]
async fn delay_loss_and_rate_are_measured_between_two_pods_and_each_revert_leaves_nothing() {
    with_namespace("node-agent", &[], |client, ns| async move {
        let (target, peer) = (test_pod(&client, &ns, "target").await, test_pod(&client, &ns, "peer").await);
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);

        // the Lease says the agent is alive and what the node can do
        let leases: Api<Lease> = Api::namespaced(client.clone(), &ns);
        let lease = wait_for(Duration::from_secs(30), "the agent's Lease", || async {
            leases.get(&lease_name(&target.node)).await.ok()
        })
        .await;
        let caps: NodeCapabilities =
            serde_json::from_str(&lease.metadata.annotations.unwrap()[CAPABILITIES_ANNOTATION]).unwrap();
        eprintln!("capabilities: {caps:?}");
        assert!(caps.iptables && caps.tbf && caps.nfqueue, "{caps:?}");
        assert_eq!(lease.spec.unwrap().lease_duration_seconds, Some(15));

        // delay 100 ms: the added round trip, measured against a baseline
        let base = rtts(&ns, "target", &peer.ip, 40);
        let written = std::time::Instant::now();
        scene
            .inject("delay", &target, json!({"type": "network-delay", "latencyMs": 100}), Duration::from_secs(600))
            .await;
        let inj = scene.wait_phase("delay", InjectionPhase::Injected).await;
        eprintln!("delay: injection written → reported Injected in {:?} (polled every 200 ms)", written.elapsed());
        let status = inj.status.unwrap();
        let expected = if caps.netem { "netem" } else { "nfqueue" };
        assert_eq!(status.mechanism.as_deref(), Some(expected));
        let inode = status.netns_inode.unwrap();
        assert!(agent_traces(&netns_state(inode)).iter().any(|l| l.contains("NFQUEUE")), "{}", netns_state(inode));
        let cpu_before = (cpu_seconds(&agent), std::time::Instant::now());
        let delayed = rtts(&ns, "target", &peer.ip, 100);
        let cpu = (cpu_seconds(&agent) - cpu_before.0) / cpu_before.1.elapsed().as_secs_f64();
        eprintln!("delay: the agent used {:.1} % of a CPU while delaying 20 packets/s", cpu * 100.0);
        let (b50, d50, d99) = (percentile(&base, 0.5), percentile(&delayed, 0.5), percentile(&delayed, 0.99));
        eprintln!(
            "delay 100 ms: baseline p50 {b50:.2} ms; with delay p50 {d50:.2} ms, p99 {d99:.2} ms; added p50 {:.2} ms ({} samples)",
            d50 - b50,
            delayed.len()
        );
        assert!(delayed.len() >= 90, "{} of 100 pings answered", delayed.len());
        assert!((90.0..150.0).contains(&(d50 - b50)), "added p50 {:.2} ms", d50 - b50);
        let (_, took) = scene.revert("delay").await;
        eprintln!("delay revert (spec.revert written → reported verified): {took:?}");
        assert_eq!(agent_traces(&netns_state(inode)), Vec::<String>::new());
        let after = rtts(&ns, "target", &peer.ip, 20);
        assert!(percentile(&after, 0.5) < 20.0, "round trips still delayed: {after:?}");

        // loss 30 % of the outgoing packets, over 2000 pings
        scene
            .inject("loss", &target, json!({"type": "network-loss", "percent": 30.0}), Duration::from_secs(600))
            .await;
        let status = scene.wait_phase("loss", InjectionPhase::Injected).await.status.unwrap();
        assert_eq!(status.mechanism.as_deref(), Some(if caps.netem { "netem" } else { "iptables-statistic" }));
        let loss = ping_loss(&ns, "target", &peer.ip, 2000);
        eprintln!("loss 30 %: measured {loss:.2} % of 2000 pings");
        assert!((26.0..=34.0).contains(&loss), "loss {loss:.2} %");
        scene.revert("loss").await;
        assert_eq!(agent_traces(&netns_state(inode)), Vec::<String>::new());
        let loss_after = ping_loss(&ns, "target", &peer.ip, 200);
        assert!(loss_after < 2.0, "loss after the revert {loss_after} %");

        // rate 1 Mbit/s: the peer downloads 500 KiB from the target (the target's outgoing traffic)
        let download = || {
            let (ok, out) = exec(&ns, "peer", &format!("time wget -q -O /dev/null http://{}:8080/big", target.ip));
            assert!(ok, "{out}");
            let real = out.lines().find(|l| l.starts_with("real")).unwrap().split_whitespace().collect::<Vec<_>>();
            let minutes: f64 = real[1].trim_end_matches('m').parse().unwrap();
            let seconds: f64 = real[2].trim_end_matches('s').parse().unwrap();
            minutes * 60.0 + seconds
        };
        let fast = download();
        scene
            .inject("rate", &target, json!({"type": "network-rate", "bitsPerSecond": 1_000_000}), Duration::from_secs(600))
            .await;
        let status = scene.wait_phase("rate", InjectionPhase::Injected).await.status.unwrap();
        assert_eq!(status.mechanism.as_deref(), Some("tbf"));
        let slow = download();
        let mbits = 500.0 * 1024.0 * 8.0 / slow / 1e6;
        eprintln!("rate 1 Mbit/s: 500 KiB in {slow:.2} s = {mbits:.3} Mbit/s of payload (unlimited: {fast:.2} s)");
        assert!((0.8..=1.1).contains(&mbits), "{mbits} Mbit/s");
        scene.revert("rate").await;
        assert_eq!(agent_traces(&netns_state(inode)), Vec::<String>::new());
        assert!(download() < 2.0, "still slow after the revert");

        stop_clean(&mut agent);
    })
    .await;
}

#[tokio::test]
async fn a_partition_holds_on_this_cni_and_a_destination_filter_spares_other_peers() {
    with_namespace("node-agent", &[], |client, ns| async move {
        let target = test_pod(&client, &ns, "target").await;
        let (peer, other) = (test_pod(&client, &ns, "peer").await, test_pod(&client, &ns, "other").await);
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);
        assert!(can_fetch(&ns, "target", &peer.ip) && can_fetch(&ns, "peer", &target.ip));

        scene.inject("cut", &target, json!({"type": "network-partition"}), Duration::from_secs(600)).await;
        let status = scene.wait_phase("cut", InjectionPhase::Injected).await.status.unwrap();
        assert_eq!(status.mechanism.as_deref(), Some("iptables-drop"));
        assert!(!can_fetch(&ns, "target", &peer.ip), "the target still reaches its peer");
        assert!(!can_fetch(&ns, "peer", &target.ip), "the peer still reaches the target");
        let (_, took) = scene.revert("cut").await;
        eprintln!("partition revert (spec.revert written → reported verified): {took:?}");
        assert!(can_fetch(&ns, "target", &peer.ip) && can_fetch(&ns, "peer", &target.ip), "not restored");
        assert_eq!(agent_traces(&netns_state(status.netns_inode.unwrap())), Vec::<String>::new());

        // only the named peer, only outgoing, only tcp to its port 8080
        let filter = json!({"cidrs": [format!("{}/32", peer.ip)], "ports": [8080], "protocol": "tcp"});
        scene
            .inject(
                "only-peer",
                &target,
                json!({"type": "network-partition", "direction": "Egress", "filter": filter}),
                Duration::from_secs(600),
            )
            .await;
        scene.wait_phase("only-peer", InjectionPhase::Injected).await;
        assert!(!can_fetch(&ns, "target", &peer.ip), "the named peer is still reachable");
        assert!(can_fetch(&ns, "target", &other.ip), "another peer is cut too");
        assert!(can_fetch(&ns, "peer", &target.ip), "incoming connections are cut too");
        assert!(ping_loss(&ns, "target", &peer.ip, 20) < 10.0, "icmp to the peer is cut too");
        scene.revert("only-peer").await;
        assert!(can_fetch(&ns, "target", &peer.ip));
        stop_clean(&mut agent);
    })
    .await;
}

#[tokio::test]
async fn a_killed_agent_lets_traffic_flow_its_successor_cleans_up_and_an_expired_fault_reverts_alone() {
    with_namespace("node-agent", &[], |client, ns| async move {
        let (target, peer) = (test_pod(&client, &ns, "target").await, test_pod(&client, &ns, "peer").await);
        let scene = Scene::new(&client, &ns, &target.node).await;
        let state = StateDir::new(&ns);
        let dir = state.0.clone();
        let mut agent = NodeAgent::start(&target.node, &ns, &dir);
        scene
            .inject(
                "delay",
                &target,
                json!({"type": "network-delay", "latencyMs": 100}),
                Duration::from_secs(600),
            )
            .await;
        let status = scene.wait_phase("delay", InjectionPhase::Injected).await.status.unwrap();
        let inode = status.netns_inode.unwrap();
        assert!(percentile(&rtts(&ns, "target", &peer.ip, 10), 0.5) > 90.0, "not delayed");
        assert_eq!(journal_files(&dir).len(), 1, "the journal lists the injection before it applies");

        // SIGKILL: the rules stay, but with --queue-bypass and no reader packets pass undelayed
        agent.kill9();
        assert!(!agent_traces(&netns_state(inode)).is_empty(), "the rules went with the agent?");
        let bypassed = rtts(&ns, "target", &peer.ip, 20);
        eprintln!(
            "after SIGKILL: p50 {:.2} ms ({} of 20 answered)",
            percentile(&bypassed, 0.5),
            bypassed.len()
        );
        assert!(bypassed.len() >= 18 && percentile(&bypassed, 0.5) < 20.0, "{bypassed:?}");

        // the operator asks for the revert while no agent runs; the next agent replays its journal
        scene
            .api()
            .patch("delay", &PatchParams::default(), &Patch::Merge(json!({"spec": {"revert": true}})))
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let mut agent = NodeAgent::start(&target.node, &ns, &dir);
        scene.wait_reverted("delay").await;
        eprintln!("restart → journal replayed and revert reported: {:?}", started.elapsed());
        assert_eq!(agent_traces(&netns_state(inode)), Vec::<String>::new());
        assert_eq!(journal_files(&dir), Vec::<String>::new());

        // expiry: nobody asks for the revert; the agent's own timer does it
        scene
            .inject(
                "short",
                &target,
                json!({"type": "network-delay", "latencyMs": 50}),
                Duration::from_secs(15),
            )
            .await;
        scene.wait_phase("short", InjectionPhase::Injected).await;
        assert!(percentile(&rtts(&ns, "target", &peer.ip, 5), 0.5) > 45.0, "not delayed");
        let inj = wait_for(
            Duration::from_secs(60),
            "the expired injection to be reverted by the agent",
            || async {
                let inj = scene.api().get("short").await.ok()?;
                (inj.status.as_ref()?.phase == Some(InjectionPhase::Reverted)).then_some(inj)
            },
        )
        .await;
        assert!(!inj.spec.revert, "nobody asked for the revert");
        let status = inj.status.unwrap();
        assert!(status.revert_verified);
        let (reverted, expires): (jiff::Timestamp, jiff::Timestamp) =
            (status.reverted_at.unwrap().parse().unwrap(), inj.spec.expires_at.parse().unwrap());
        eprintln!("expiry: reverted {:?} after expiresAt", reverted.duration_since(expires));
        assert!(
            reverted >= expires && reverted.duration_since(expires) < jiff::SignedDuration::from_secs(10)
        );
        assert!(percentile(&rtts(&ns, "target", &peer.ip, 10), 0.5) < 20.0, "still delayed");
        assert_eq!(agent_traces(&netns_state(inode)), Vec::<String>::new());
        stop_clean(&mut agent);
    })
    .await;
}

#[tokio::test]
async fn sigterm_reverts_everything_and_bad_injections_fail_closed() {
    with_namespace("node-agent", &[], |client, ns| async move {
        let (target, peer) = (test_pod(&client, &ns, "target").await, test_pod(&client, &ns, "peer").await);
        let scene = Scene::new(&client, &ns, &target.node).await;
        let state = StateDir::new(&ns);
        let dir = state.0.clone();
        let mut agent = NodeAgent::start(&target.node, &ns, &dir);

        // a pod re-created under the same name is another pod: refused, nothing touched
        let ghost = TestPod { uid: "00000000-0000-0000-0000-000000000000".into(), ..target.clone() };
        scene.inject("ghost", &ghost, json!({"type": "network-partition"}), Duration::from_secs(600)).await;
        let message =
            scene.wait_phase("ghost", InjectionPhase::Failed).await.status.unwrap().message.unwrap();
        assert!(message.contains("is another pod now"), "{message}");
        assert!(can_fetch(&ns, "target", &peer.ip));

        // a namespace that withdrew its opt-in is refused, naming what is missing
        let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        let withdraw =
            json!({"metadata": {"annotations": {chaoscenter_crds::common::CHAOS_PROJECTS_ANNOTATION: null}}});
        namespaces.patch(&ns, &PatchParams::default(), &Patch::Merge(&withdraw)).await.unwrap();
        scene
            .inject("unwanted", &target, json!({"type": "network-partition"}), Duration::from_secs(600))
            .await;
        let message =
            scene.wait_phase("unwanted", InjectionPhase::Failed).await.status.unwrap().message.unwrap();
        assert!(message.contains("chaoscenter.io/chaos-projects"), "{message}");
        assert!(can_fetch(&ns, "target", &peer.ip));
        let api = scene.api();
        assert!(!api.get("unwanted").await.unwrap().finalizers().iter().any(|f| f == AGENT_FINALIZER));

        // opted in again: a partition, then SIGTERM: the agent removes it before exiting
        namespaces
            .patch(
                &ns,
                &PatchParams::default(),
                &Patch::Merge(&chaoscenter_e2e::opt_in_patch(&format!("p-{ns}"))),
            )
            .await
            .unwrap();
        scene.inject("cut", &target, json!({"type": "network-partition"}), Duration::from_secs(600)).await;
        let inode =
            scene.wait_phase("cut", InjectionPhase::Injected).await.status.unwrap().netns_inode.unwrap();
        assert!(!can_fetch(&ns, "target", &peer.ip));
        let started = std::time::Instant::now();
        stop_clean(&mut agent);
        eprintln!("SIGTERM → every fault removed and the agent gone: {:?}", started.elapsed());
        assert!(can_fetch(&ns, "target", &peer.ip), "the partition outlived the agent");
        assert_eq!(agent_traces(&netns_state(inode)), Vec::<String>::new());
        let status = api.get("cut").await.unwrap().status.unwrap();
        assert_eq!(status.phase, Some(InjectionPhase::Pending), "{status:?}");
        assert!(status.revert_verified);
        // the next agent applies the still-wanted fault again, its status fresh
        let mut agent = NodeAgent::start(&target.node, &ns, &dir);
        let status = scene.wait_phase("cut", InjectionPhase::Injected).await.status.unwrap();
        assert_eq!((status.reverted_at, status.revert_verified), (None, false), "stale revert in the status");
        assert!(!can_fetch(&ns, "target", &peer.ip));
        scene.revert("cut").await;
        assert!(can_fetch(&ns, "target", &peer.ip));
        stop_clean(&mut agent);
    })
    .await;
}

/// The receiver's ICMP counter `field` (e.g. InEchos, InCsumErrors) from /proc/net/snmp in pod `pod`.
fn icmp_counter(ns: &str, pod: &str, field: &str) -> u64 {
    let (ok, out) = exec(ns, pod, "cat /proc/net/snmp");
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("Icmp:")).collect();
    let i =
        lines[0].split_whitespace().position(|w| w == field).unwrap_or_else(|| panic!("no {field}: {out}"));
    lines[1].split_whitespace().nth(i).unwrap().parse().unwrap()
}

/// The packets pod `pod` sent on eth0 so far.
fn tx_packets(ns: &str, pod: &str) -> u64 {
    let (ok, out) = exec(ns, pod, "cat /proc/net/dev");
    assert!(ok, "{out}");
    let line = out.lines().find(|l| l.trim_start().starts_with("eth0:")).unwrap_or_else(|| panic!("{out}"));
    line.split(':').nth(1).unwrap().split_whitespace().nth(9).unwrap().parse().unwrap()
}

#[tokio::test]
async fn duplicated_and_corrupted_packets_are_seen_at_the_receiver() {
    with_namespace("node-agent", &[], |client, ns| async move {
        let (target, peer) = (test_pod(&client, &ns, "target").await, test_pod(&client, &ns, "peer").await);
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);

        // duplicate 50 % of the target's outgoing packets: the peer receives about 1.5 echo requests per ping
        scene
            .inject(
                "dup",
                &target,
                json!({"type": "network-duplicate", "percent": 50.0}),
                Duration::from_secs(600),
            )
            .await;
        let status = scene.wait_phase("dup", InjectionPhase::Injected).await.status.unwrap();
        let inode = status.netns_inode.unwrap();
        let before = icmp_counter(&ns, "peer", "InEchos");
        let (_, out) = exec(&ns, "target", &format!("ping -c 400 -i 0.02 -W 2 {}", peer.ip));
        let echos = icmp_counter(&ns, "peer", "InEchos") - before;
        let dup_lines = out.lines().filter(|l| l.contains("DUP!")).count();
        eprintln!(
            "duplicate 50 %: the peer received {echos} echo requests for 400 pings; {dup_lines} DUP! replies"
        );
        assert!((540..=660).contains(&echos), "{echos} echo requests for 400 pings");
        scene.revert("dup").await;
        assert_eq!(agent_traces(&netns_state(inode)), Vec::<String>::new());

        // corrupt 100 %: every echo request leaves the pod with one bit flipped and a checksum that no
        // longer matches. Here the node's conntrack (bridged traffic through iptables, with
        // nf_conntrack_checksum=1) discards such packets before the peer's kernel sees them, so the effect
        // at the receiver is that none of them arrives, while the target did send them all
        // (node/tests/netns_pair.rs counts them as checksum errors at a receiver with nothing in between).
        scene
            .inject("corrupt", &target, json!({"type": "network-corrupt", "percent": 100.0}), Duration::from_secs(600))
            .await;
        scene.wait_phase("corrupt", InjectionPhase::Injected).await;
        let (echos, sent) = (icmp_counter(&ns, "peer", "InEchos"), tx_packets(&ns, "target"));
        let lost = ping_loss(&ns, "target", &peer.ip, 100);
        let (echos, sent) = (icmp_counter(&ns, "peer", "InEchos") - echos, tx_packets(&ns, "target") - sent);
        eprintln!(
            "corrupt 100 %: the target sent {sent} packets for 100 pings, the peer received {echos} intact echo requests; {lost:.0} % unanswered"
        );
        assert!(sent >= 100 && echos <= 2 && lost >= 98.0, "sent {sent}, received {echos}, lost {lost}");
        scene.revert("corrupt").await;
        assert!(ping_loss(&ns, "target", &peer.ip, 50) < 5.0, "still corrupted after the revert");
        assert_eq!(agent_traces(&netns_state(inode)), Vec::<String>::new());
        stop_clean(&mut agent);
    })
    .await;
}

#[tokio::test]
async fn the_agent_works_with_no_more_access_than_config_node_grants() {
    use chaoscenter_e2e::access::{ensure_rbac, service_account_kubeconfig, CONTROL_PLANE};
    with_namespace("node-agent", &[], |client, ns| async move {
        ensure_rbac().await;
        let out = kubectl()
            .args(["apply", "-f"])
            .arg(chaoscenter_e2e::repo_root().join("config/node/rbac.yaml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let kubeconfig = service_account_kubeconfig(&client, "chaoscenter-node", &ns).await;
        let (target, peer) = (test_pod(&client, &ns, "target").await, test_pod(&client, &ns, "peer").await);
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        let kubeconfig_path = kubeconfig.display().to_string();
        let mut agent = NodeAgent::start_with(
            &target.node,
            &ns,
            &dir.0,
            &[("KUBECONFIG", kubeconfig_path.as_str()), ("CHAOSCENTER_NAMESPACE", CONTROL_PLANE)],
        );
        scene.inject("cut", &target, json!({"type": "network-partition"}), Duration::from_secs(600)).await;
        scene.wait_phase("cut", InjectionPhase::Injected).await;
        assert!(!can_fetch(&ns, "target", &peer.ip));
        scene.revert("cut").await;
        assert!(can_fetch(&ns, "target", &peer.ip));
        // Events on the injection
        wait_for(Duration::from_secs(30), "Injected and Reverted events on the injection", || async {
            let events = chaoscenter_e2e::events_for(&client, &ns, "cut").await;
            let reasons: Vec<&str> = events.iter().map(|(reason, _)| reason.as_str()).collect();
            (reasons.contains(&"Injected") && reasons.contains(&"Reverted")).then_some(())
        })
        .await;
        // its Lease, in the control plane's namespace, through its Role there
        let leases: Api<Lease> = Api::namespaced(client.clone(), CONTROL_PLANE);
        let lease = wait_for(Duration::from_secs(30), "the agent's Lease in chaoscenter-system", || async {
            let lease = leases.get(&lease_name(&target.node)).await.ok()?;
            let holder = lease.spec.as_ref()?.holder_identity.clone()?;
            holder.contains(&format!("/{}-", agent_pid(&agent))).then_some(lease)
        })
        .await;
        assert!(lease.annotations().contains_key(CAPABILITIES_ANNOTATION));
        stop_clean(&mut agent);
        let logs = agent.logs();
        assert!(!logs.contains("forbidden"), "the agent was refused something:\n{logs}");
        let _ = leases.delete(&lease_name(&target.node), &Default::default()).await;
        let _ = std::fs::remove_file(kubeconfig);
    })
    .await;
}

/// The agent's pid, from its start line (`identity=<node>/<pid>-<start>`).
fn agent_pid(agent: &NodeAgent) -> String {
    let logs = agent.logs();
    let line = logs.lines().find(|l| l.contains("chaoscenter-node started")).unwrap_or_default();
    line.split("identity=")
        .nth(1)
        .and_then(|i| i.split('/').nth(1))
        .and_then(|p| p.split('-').next())
        .unwrap_or("?")
        .to_string()
}

#[tokio::test]
async fn config_node_renders_and_the_api_server_accepts_it() {
    chaoscenter_e2e::access::ensure_rbac().await;
    let out = kubectl()
        .args(["apply", "--dry-run=server", "-k"])
        .arg(chaoscenter_e2e::repo_root().join("config/node"))
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kubectl apply --dry-run=server -k config/node:\n{said}");
    for object in [
        "serviceaccount/chaoscenter-node",
        "clusterrole.rbac.authorization.k8s.io/chaoscenter-node",
        "daemonset.apps/chaoscenter-node",
    ] {
        assert!(said.contains(object), "{object} missing from:\n{said}");
    }
}

#[tokio::test]
async fn a_workflow_run_delays_a_pod_through_the_agent_and_an_abort_reverts_it_at_once() {
    use chaoscenter_crds::run::{RunPhase, Verdict};
    use chaoscenter_e2e::{
        chaos_api, create_run, create_workflow, delete_project, wait_run_finished, Operator,
    };
    with_namespace("agent-run", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        let (target, peer) = (test_pod(&client, &ns, "target").await, test_pod(&client, &ns, "peer").await);
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);
        // the operator reads the agent's Lease in its control-plane namespace: the test's, as the agent's
        let _operator = Operator::start(&ns);
        wait_lease(&client, &ns, &target.node).await;
        let leases: Api<Lease> = Api::namespaced(client.clone(), &ns);
        let step = |duration: &str| {
            json!({"steps": [{"name": "slow", "fault": {"type": "network-delay", "duration": duration,
                "params": {"latency": "100ms", "destinations": {"cidrs": [peer.ip]}},
                "target": {"namespace": ns, "name": "target"}}}]})
        };
        create_workflow(&client, &ns, "slow", step("20s")).await;
        let base = rtts(&ns, "target", &peer.ip, 20);
        let run = create_run(&client, &ns, "slow", false).await;

        // during the chaos: one injection, applied by the agent, and 100 ms more on each round trip
        let applied = wait_injected(&client, &ns).await;
        assert_eq!(applied.spec.target.name, "target");
        assert_eq!(applied.spec.run.name, run);
        let delayed = rtts(&ns, "target", &peer.ip, 40);
        let added = percentile(&delayed, 0.5) - percentile(&base, 0.5);
        eprintln!(
            "run: p50 {:.2} ms → {:.2} ms (+{added:.2})",
            percentile(&base, 0.5),
            percentile(&delayed, 0.5)
        );
        assert!((90.0..150.0).contains(&added), "the run added {added} ms, not about 100");

        // after it: reverted, verified by the agent, the injection gone, and the round trips back
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(120)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        let t = &status.steps[0].targets[0];
        assert!(t.revert_verified && t.reverted_at.is_some(), "{t:#?}");
        let note = t.note.clone().unwrap_or_default();
        assert!(note.contains(&format!("by the node agent on {}", target.node)), "{note}");
        wait_for(Duration::from_secs(30), "the injection to be deleted", || async {
            injections(&client, &ns).await.is_empty().then_some(())
        })
        .await;
        let after = rtts(&ns, "target", &peer.ip, 20);
        assert!(percentile(&after, 0.5) < percentile(&base, 0.5) + 20.0, "after the run: {after:?}");

        // a long run aborted mid-fault: the delay is gone within moments, measured from the abort
        create_workflow(&client, &ns, "slow-long", step("5m")).await;
        let run = create_run(&client, &ns, "slow-long", false).await;
        wait_injected(&client, &ns).await;
        let inode = injections(&client, &ns).await[0].status.as_ref().unwrap().netns_inode.unwrap();
        assert!(!agent_traces(&netns_state(inode)).is_empty(), "the fault is in the pod");
        chaos_api(&client, "ChaosWorkflowRun", &ns)
            .patch(&run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
            .await
            .unwrap();
        let aborted = std::time::Instant::now();
        wait_for(Duration::from_secs(30), "the pod's rules to be gone after the abort", || async {
            agent_traces(&netns_state(inode)).is_empty().then_some(())
        })
        .await;
        eprintln!("abort → the pod's rules gone in {:?}", aborted.elapsed());
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Aborted), "{status:#?}");
        assert!(status.steps[0].targets.iter().all(|t| t.revert_verified), "{status:#?}");
        assert_eq!(status.steps[0].verdict, Verdict::Stopped);
        stop_clean(&mut agent);

        // without a live agent the fault is not injected, and the step says which node lacks one
        create_workflow(&client, &ns, "no-agent", step("5s")).await;
        wait_for(Duration::from_secs(30), "the stopped agent's Lease to lapse or go", || async {
            let Some(lease) = leases.get_opt(&lease_name(&target.node)).await.ok()? else { return Some(()) };
            let renewed = lease.spec?.renew_time?.0;
            (jiff::Timestamp::now().duration_since(renewed).as_secs() > 16).then_some(())
        })
        .await;
        let run = create_run(&client, &ns, "no-agent", false).await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed), "{status:#?}");
        let why = status.steps[0].targets[0].injection_error.clone().unwrap_or_default();
        assert!(why.contains(&format!("node {}", target.node)) && why.contains("node agent"), "{why}");
        delete_project(&client, &ns).await;
    })
    .await;
}
