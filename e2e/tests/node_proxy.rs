//! The node agent's DNS and HTTP proxies against real pods: names resolved by a real DNS server (dnsmasq on
//! the pod bridge, the pod's only nameserver) fail or are spoofed while others still resolve; HTTP requests
//! between two busybox pods are delayed, reset or answered with another status, body or headers while
//! other paths pass; each revert is timed and checked by reading the pod's nat table back.

use chaoscenter_crds::injection::{ChaosInjection, InjectionPhase};
use chaoscenter_e2e::node::{exec, percentile, test_pod, Scene, StateDir};
use chaoscenter_e2e::{busybox_image, with_namespace, NodeAgent};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams};
use kube::Client;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// A process in the network namespace with inode `inode`.
fn pid_in_netns(inode: u64) -> Option<u32> {
    let wanted = format!("net:[{inode}]");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        (std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()?.to_str()? == wanted).then_some(pid)
    })
}

/// The agent's lines in the nat table of the namespace with `inode` (its chains and the jumps to them).
fn nat_traces(inode: u64) -> Vec<String> {
    let pid = pid_in_netns(inode).unwrap_or_else(|| panic!("no process in network namespace {inode}"));
    let out = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-n", "iptables", "-w", "-t", "nat", "-S"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("CC-")).map(String::from).collect()
}

/// A dnsmasq answering `names` (name → address) on `address`:53, and nothing else; killed on drop.
struct Dnsmasq(std::process::Child, PathBuf);

impl Dnsmasq {
    fn start(address: &str, names: &[(&str, &str)]) -> Self {
        // its own empty configuration and pid file: dnsmasq replaces its pid file (given /dev/null, it
        // would put a regular file in its place)
        let dir = std::env::temp_dir().join(format!("chaoscenter-dnsmasq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("dnsmasq.conf"), "").unwrap();
        let mut args: Vec<String> =
            ["--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces", "--port=53"]
                .map(String::from)
                .to_vec();
        args.push(format!("--conf-file={}", dir.join("dnsmasq.conf").display()));
        args.push(format!("--pid-file={}", dir.join("dnsmasq.pid").display()));
        args.push(format!("--listen-address={address}"));
        args.extend(names.iter().map(|(name, ip)| format!("--address=/{name}/{ip}")));
        let child = std::process::Command::new("dnsmasq")
            .args(&args)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("dnsmasq is missing: run e2e/deps.sh");
        let mut server = Self(child, dir);
        std::thread::sleep(Duration::from_millis(300));
        if let Ok(Some(status)) = server.0.try_wait() {
            let mut err = String::new();
            use std::io::Read;
            server.0.stderr.take().map(|mut e| e.read_to_string(&mut err));
            panic!("dnsmasq exited ({status}): {err} (is port 53 on {address} taken?)");
        }
        server
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// The IPv4 address of the pod bridge (the host's address the pods reach directly).
fn bridge_address() -> String {
    let out = std::process::Command::new("ip").args(["-4", "-o", "addr", "show", "cni0"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let cidr = text.split_whitespace().skip_while(|w| *w != "inet").nth(1).expect("cni0 has no IPv4 address");
    cidr.split('/').next().unwrap().to_string()
}

/// A busybox pod whose only nameserver is `nameserver`.
async fn dns_pod(client: &Client, ns: &str, name: &str, nameserver: &str) -> chaoscenter_e2e::node::TestPod {
    let (image, pull) = busybox_image();
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "dnsPolicy": "None",
            "dnsConfig": {"nameservers": [nameserver], "options": [{"name": "ndots", "value": "1"}]},
            "containers": [{"name": "main", "image": image, "imagePullPolicy": pull, "command": ["sleep", "3600"]}]
        }
    }))
    .unwrap();
    chaoscenter_e2e::node::run_pod(client, ns, pod).await
}

/// What busybox nslookup in `pod` says of `name`: the addresses, or the error (e.g. NXDOMAIN).
fn lookup(ns: &str, pod: &str, name: &str) -> Result<Vec<String>, String> {
    let (ok, out) = exec(ns, pod, &format!("nslookup -type=a {name}"));
    let addresses: Vec<String> = out
        .split("Name:")
        .skip(1)
        .filter_map(|answer| answer.lines().find_map(|l| l.trim().strip_prefix("Address:")))
        .map(|a| a.trim().to_string())
        .collect();
    if ok && !addresses.is_empty() {
        Ok(addresses)
    } else {
        Err(out)
    }
}

/// A query for the A record of `name` to `server`:53 from the network namespace with `inode`, over UDP
/// from source port `udp_port`, or over TCP (busybox has no client for either): `rcode=N [address]`, or
/// `error ...`.
fn raw_query(inode: u64, server: &str, name: &str, udp_port: Option<u16>) -> String {
    const SCRIPT: &str = r#"
import socket, struct, sys
server, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
try:
    if port:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.settimeout(2)
        s.sendto(q, (server, 53))
        r = s.recvfrom(4096)[0]
    else:
        s = socket.create_connection((server, 53), timeout=2)
        s.sendall(struct.pack(">H", len(q)) + q)
        r = b""
        while len(r) < 2 or len(r) < 2 + struct.unpack(">H", r[:2])[0]:
            chunk = s.recv(4096)
            if not chunk:
                break
            r += chunk
        r = r[2:]
    answers = struct.unpack(">H", r[6:8])[0]
    print("rcode=%d" % (r[3] & 15), ".".join(map(str, r[-4:])) if answers else "")
except Exception as e:
    print("error", e)
"#;
    let pid = pid_in_netns(inode).unwrap_or_else(|| panic!("no process in network namespace {inode}"));
    let out = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-n", "python3", "-c", SCRIPT, server, name])
        .arg(udp_port.unwrap_or(0).to_string())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// The inode of pod `pod`'s network namespace, as its container sees it.
fn netns_inode(ns: &str, pod: &str) -> u64 {
    let (ok, out) = exec(ns, pod, "readlink /proc/self/ns/net");
    assert!(ok, "{out}");
    out.trim().trim_start_matches("net:[").trim_end_matches(']').parse().unwrap()
}

/// Injects `fault` on `target`, waits until it is Injected with `mechanism`; returns its netns inode.
async fn inject(
    scene: &Scene,
    name: &str,
    target: &chaoscenter_e2e::node::TestPod,
    fault: Value,
    mechanism: &str,
) -> u64 {
    let written = std::time::Instant::now();
    scene.inject(name, target, fault, Duration::from_secs(600)).await;
    let inj: ChaosInjection = scene.wait_phase(name, InjectionPhase::Injected).await;
    eprintln!("{name}: written → reported Injected in {:?}", written.elapsed());
    let status = inj.status.unwrap();
    assert_eq!(status.mechanism.as_deref(), Some(mechanism));
    status.netns_inode.unwrap()
}

/// Reverts `name` and checks that its nat chain is gone; prints how long the revert took.
async fn revert(scene: &Scene, name: &str, inode: u64) -> Duration {
    let (_, took) = scene.revert(name).await;
    eprintln!("{name}: revert (spec.revert written → reported verified) took {took:?}");
    assert_eq!(nat_traces(inode), Vec::<String>::new(), "{name} left rules behind");
    took
}

#[tokio::test]
async fn dns_errors_and_spoofed_answers_hit_only_the_matched_names_and_end_with_the_revert() {
    let bridge = bridge_address();
    let _dns = Dnsmasq::start(
        &bridge,
        &[("web.test", "10.1.2.3"), ("other.test", "10.4.5.6"), ("api.svc.test", "10.7.7.7")],
    );
    with_namespace("node-proxy", &[], |client, ns| async move {
        let target = dns_pod(&client, &ns, "client", &bridge).await;
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);
        let resolves = |name: &str, ip: &str| {
            let got = lookup(&ns, "client", name);
            assert_eq!(got, Ok(vec![ip.to_string()]), "{name}");
        };
        resolves("web.test", "10.1.2.3");
        resolves("other.test", "10.4.5.6");
        // a resolver that keeps its UDP port (its flow known to conntrack before the fault), and TCP
        let pod_ns = netns_inode(&ns, "client");
        let kept_port = Some(5354);
        assert_eq!(raw_query(pod_ns, &bridge, "web.test", kept_port), "rcode=0 10.1.2.3");
        assert_eq!(raw_query(pod_ns, &bridge, "web.test", None), "rcode=0 10.1.2.3");

        let inode = inject(
            &scene,
            "nx",
            &target,
            json!({"type": "dns-error", "names": ["web.test", "*.svc.test"], "error": "NXDOMAIN"}),
            "dns-proxy",
        )
        .await;
        assert!(!nat_traces(inode).is_empty());
        for name in ["web.test", "WEB.test", "api.svc.test"] {
            let err = lookup(&ns, "client", name).expect_err(name);
            assert!(err.contains("NXDOMAIN"), "{name}: {err}");
        }
        resolves("other.test", "10.4.5.6");
        assert_eq!(inode, pod_ns);
        assert_eq!(raw_query(pod_ns, &bridge, "web.test", kept_port), "rcode=3");
        assert_eq!(raw_query(pod_ns, &bridge, "web.test", None), "rcode=3", "over TCP");
        assert_eq!(raw_query(pod_ns, &bridge, "other.test", None), "rcode=0 10.4.5.6", "forwarded over TCP");
        let nx_revert = revert(&scene, "nx", inode).await;
        resolves("web.test", "10.1.2.3");
        assert_eq!(
            raw_query(pod_ns, &bridge, "web.test", kept_port),
            "rcode=0 10.1.2.3",
            "the kept port after the revert"
        );
        assert_eq!(raw_query(pod_ns, &bridge, "web.test", None), "rcode=0 10.1.2.3");
        resolves("api.svc.test", "10.7.7.7");

        let inode = inject(
            &scene,
            "servfail",
            &target,
            json!({"type": "dns-error", "names": ["other.test"], "error": "SERVFAIL"}),
            "dns-proxy",
        )
        .await;
        let err = lookup(&ns, "client", "other.test").expect_err("other.test");
        assert!(err.contains("SERVFAIL"), "{err}");
        resolves("web.test", "10.1.2.3");
        revert(&scene, "servfail", inode).await;

        let inode = inject(
            &scene,
            "spoof",
            &target,
            json!({"type": "dns-spoof", "answers": {"*.svc.test": "10.9.9.9", "other.test": "192.0.2.77"}}),
            "dns-proxy",
        )
        .await;
        resolves("api.svc.test", "10.9.9.9");
        resolves("other.test", "192.0.2.77");
        resolves("web.test", "10.1.2.3");
        let spoof_revert = revert(&scene, "spoof", inode).await;
        resolves("api.svc.test", "10.7.7.7");
        resolves("other.test", "10.4.5.6");
        eprintln!("DNS revert times: {nx_revert:?}, {spoof_revert:?}");

        assert!(agent.stop(), "the agent did not exit cleanly:\n{}", agent.logs());
    })
    .await;
}

/// The times (s) of `count` fetches of `url` from pod `from`, sorted; the failures' output separately.
fn fetch_times(ns: &str, from: &str, url: &str, count: u32) -> Vec<f64> {
    let (_, out) = exec(
        ns,
        from,
        &format!("for i in $(seq {count}); do time timeout 10 wget -q -O /dev/null {url}; done"),
    );
    let mut times: Vec<f64> = out
        .lines()
        .filter(|l| l.starts_with("real"))
        .map(|l| {
            let real: Vec<&str> = l.split_whitespace().collect();
            let minutes: f64 = real[1].trim_end_matches('m').parse().unwrap();
            let seconds: f64 = real[2].trim_end_matches('s').parse().unwrap();
            minutes * 60.0 + seconds
        })
        .collect();
    assert_eq!(times.len(), count as usize, "{out}");
    times.sort_by(f64::total_cmp);
    times
}

/// `wget -S` of `url` from `from`: whether it succeeded, and the headers and body it printed.
fn fetch(ns: &str, from: &str, url: &str) -> (bool, String) {
    exec(ns, from, &format!("timeout 10 wget -S -O - {url}"))
}

#[tokio::test]
async fn http_latency_abort_status_and_modify_hit_only_matching_requests_and_end_with_the_revert() {
    with_namespace("node-proxy", &[], |client, ns| async move {
        let (target, peer) = (test_pod(&client, &ns, "target").await, test_pod(&client, &ns, "peer").await);
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);
        let index = format!("http://{}:8080/index.html", target.ip);
        let missing = format!("http://{}:8080/missing", target.ip);
        let mut reverts = vec![];

        // latency 200 ms on GET /index*: medians of 8 fetches before, during and after
        let before = fetch_times(&ns, "peer", &index, 8);
        let inode = inject(
            &scene,
            "slow",
            &target,
            json!({"type": "http-latency", "latencyMs": 200, "http": {"port": 8080, "method": "GET", "pathPrefix": "/index"}}),
            "http-proxy",
        )
        .await;
        let during = fetch_times(&ns, "peer", &index, 8);
        // a path the fault does not match passes at once (wget fails on the 404, the time still counts)
        let other = fetch_times(&ns, "peer", &missing, 4);
        let (b, d, o) = (percentile(&before, 0.5), percentile(&during, 0.5), percentile(&other, 0.5));
        eprintln!(
            "http-latency 200 ms: median before {:.0} ms, during {:.0} ms (added {:.0} ms), unmatched path {:.0} ms",
            b * 1e3,
            d * 1e3,
            (d - b) * 1e3,
            o * 1e3
        );
        assert!((0.15..1.5).contains(&(d - b)), "added {:.3} s: {during:?} vs {before:?}", d - b);
        assert!(o < b + 0.15, "the unmatched path was delayed: {other:?}");
        reverts.push(revert(&scene, "slow", inode).await);
        let after = fetch_times(&ns, "peer", &index, 8);
        assert!(percentile(&after, 0.5) < b + 0.15, "still delayed after the revert: {after:?}");

        // abort: the connection is reset
        let inode = inject(&scene, "abort", &target, json!({"type": "http-abort", "http": {"port": 8080}}), "http-proxy").await;
        let (ok, out) = fetch(&ns, "peer", &index);
        eprintln!("http-abort: wget said {out:?}");
        assert!(!ok && !out.contains("ok\n"), "{out}");
        reverts.push(revert(&scene, "abort", inode).await);
        let (ok, out) = fetch(&ns, "peer", &index);
        assert!(ok && out.contains("ok"), "{out}");

        // status 503 with a body, on the target's inbound port
        let inode = inject(
            &scene,
            "status",
            &target,
            json!({"type": "http-status", "status": 503, "body": "chaos", "http": {"port": 8080}}),
            "http-proxy",
        )
        .await;
        let (ok, out) = fetch(&ns, "peer", &index);
        assert!(!ok && out.contains("503"), "{out}");
        reverts.push(revert(&scene, "status", inode).await);

        // modify: a header and the body, seen by the peer
        let inode = inject(
            &scene,
            "modify",
            &target,
            json!({"type": "http-modify", "body": "changed", "headers": {"X-Chaos": "yes"}, "http": {"port": 8080, "pathPrefix": "/index"}}),
            "http-proxy",
        )
        .await;
        let (ok, out) = fetch(&ns, "peer", &index);
        assert!(ok && out.to_ascii_lowercase().contains("x-chaos: yes") && out.contains("changed"), "{out}");
        assert!(!out.lines().any(|l| l == "ok"), "{out}");
        reverts.push(revert(&scene, "modify", inode).await);

        // outbound: the peer's own requests to port 8080 get the status
        let inode = inject(
            &scene,
            "out",
            &peer,
            json!({"type": "http-status", "status": 418, "http": {"port": 8080, "direction": "outbound"}}),
            "http-proxy",
        )
        .await;
        let (ok, out) = fetch(&ns, "peer", &index);
        assert!(!ok && out.contains("418"), "{out}");
        let (ok, out) = fetch(&ns, "target", &format!("http://{}:8080/index.html", peer.ip));
        assert!(ok && out.contains("ok"), "only the peer's outbound requests are hit: {out}");
        reverts.push(revert(&scene, "out", inode).await);
        let (ok, out) = fetch(&ns, "peer", &index);
        assert!(ok && out.contains("ok"), "{out}");
        eprintln!("HTTP revert times: {reverts:?}");

        assert!(agent.stop(), "the agent did not exit cleanly:\n{}", agent.logs());
    })
    .await;
}

#[tokio::test]
async fn a_killed_agents_redirect_is_removed_by_its_successor_and_sigterm_releases_a_running_proxy() {
    with_namespace("node-proxy", &[], |client, ns| async move {
        let (target, _peer) = (test_pod(&client, &ns, "target").await, test_pod(&client, &ns, "peer").await);
        let scene = Scene::new(&client, &ns, &target.node).await;
        let state = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &state.0);
        let index = format!("http://{}:8080/index.html", target.ip);
        let status = json!({"type": "http-status", "status": 503, "http": {"port": 8080}});
        let inode = inject(&scene, "status", &target, status, "http-proxy").await;
        let (ok, out) = fetch(&ns, "peer", &index);
        assert!(!ok && out.contains("503"), "{out}");

        // SIGKILL: the proxy goes with the agent, its redirect stays until a successor replays the journal
        agent.kill9();
        assert!(!nat_traces(inode).is_empty(), "the redirect went with the agent?");
        let (ok, out) = fetch(&ns, "peer", &index);
        eprintln!("after SIGKILL, before a successor: fetch ok={ok}: {out:?}");
        scene
            .api()
            .patch("status", &PatchParams::default(), &Patch::Merge(json!({"spec": {"revert": true}})))
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let mut agent = NodeAgent::start(&target.node, &ns, &state.0);
        scene.wait_reverted("status").await;
        eprintln!("restart → journal replayed and revert reported: {:?}", started.elapsed());
        assert_eq!(nat_traces(inode), Vec::<String>::new());
        let (ok, out) = fetch(&ns, "peer", &index);
        assert!(ok && out.contains("ok"), "{out}");

        // SIGTERM with a proxy running (a request waiting in it): the agent releases it before exiting
        let slow = json!({"type": "http-latency", "latencyMs": 9000, "http": {"port": 8080}});
        inject(&scene, "slow", &target, slow, "http-proxy").await;
        let waiting = {
            let (ns, index) = (ns.clone(), index.clone());
            std::thread::spawn(move || fetch(&ns, "peer", &index))
        };
        std::thread::sleep(Duration::from_secs(3));
        assert!(agent.stop(), "the agent did not exit cleanly:\n{}", agent.logs());
        assert_eq!(nat_traces(inode), Vec::<String>::new());
        // closed by the proxy (not left hanging until wget's timeout, nor answered 9 s later)
        let (ok, out) = waiting.join().unwrap();
        eprintln!("a request held by the proxy when it stopped: {out:?}");
        assert!(!ok && out.contains("error getting response"), "{out}");
        let (ok, out) = fetch(&ns, "peer", &index);
        assert!(ok && out.contains("ok"), "{out}");
        let journal: Vec<_> = std::fs::read_dir(&state.0).unwrap().flatten().collect();
        assert!(journal.is_empty(), "journal entries left behind: {journal:?}");
    })
    .await;
}
