//! What the node agent's tests and the bench share: busybox test pods, round trips and loss measured
//! between pods, and ChaosInjections written as the operator writes them.

use crate::{busybox_image, kubectl, pod_ready, setup_project, wait_for};
use chaoscenter_crds::injection::{ChaosInjection, InjectionPhase, AGENT_FINALIZER, NODE_LABEL};
use chaoscenter_node::cgroup::{self, Dir};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use std::time::Duration;
use std::time::Instant;

/// A test pod: name, IP, uid, node.
#[derive(Clone, Debug)]
pub struct TestPod {
    pub name: String,
    pub ip: String,
    pub uid: String,
    pub node: String,
}

/// Creates a busybox pod serving /tmp/www (index.html and a 500 KiB `big`) on port 8080; waits until it
/// is Ready.
pub async fn test_pod(client: &Client, ns: &str, name: &str) -> TestPod {
    test_pod_with(client, ns, name, json!({})).await
}

/// [`test_pod`] with the container's `resources` (requests and limits).
pub async fn test_pod_with(client: &Client, ns: &str, name: &str, resources: Value) -> TestPod {
    let (image, pull) = busybox_image();
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [{
                "name": "main", "image": image, "imagePullPolicy": pull,
                "command": ["sh", "-c", "mkdir -p /tmp/www && echo ok > /tmp/www/index.html && \
                    dd if=/dev/zero of=/tmp/www/big bs=1024 count=500 2>/dev/null && exec httpd -f -p 8080 -h /tmp/www"],
                "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
                "resources": resources
            }]
        }
    }))
    .unwrap();
    run_pod(client, ns, pod).await
}

/// Creates `pod` in `ns` and waits until it is Ready.
pub async fn run_pod(client: &Client, ns: &str, pod: Pod) -> TestPod {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    // a fresh namespace's ServiceAccount token may lag behind the account (500, "retry after the token is
    // automatically created")
    wait_for(Duration::from_secs(30), &format!("pod {name} to be created"), || async {
        match pods.create(&PostParams::default(), &pod).await {
            Ok(_) => Some(()),
            Err(kube::Error::Api(e)) if e.code == 500 => None,
            Err(e) => panic!("failed to create pod {name}: {e}"),
        }
    })
    .await;
    let pod = wait_for(Duration::from_secs(120), &format!("pod {name} to be Ready"), || async {
        pods.get(&name).await.ok().filter(pod_ready)
    })
    .await;
    TestPod {
        name,
        ip: pod.status.and_then(|s| s.pod_ip).unwrap_or_default(),
        uid: pod.metadata.uid.unwrap(),
        node: pod.spec.and_then(|s| s.node_name).unwrap(),
    }
}

/// A busybox pod whose only process is `sleep` (it has no signal handlers), with the container's
/// `resources`; waits until it runs.
pub async fn sleeper(client: &Client, ns: &str, name: &str, resources: Value) -> TestPod {
    let (image, pull) = busybox_image();
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [{
                "name": "main", "image": image, "imagePullPolicy": pull,
                "command": ["sleep", "3600"], "resources": resources
            }]
        }
    }))
    .unwrap();
    run_pod(client, ns, pod).await
}

/// Runs `script` with sh in pod `pod`; whether it succeeded, and its stdout and stderr.
pub fn exec(ns: &str, pod: &str, script: &str) -> (bool, String) {
    let out = kubectl().args(["exec", "-n", ns, pod, "--", "sh", "-c", script]).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Round-trip times (ms) of `count` pings from `from` to `ip`, 50 ms apart.
pub fn rtts(ns: &str, from: &str, ip: &str, count: u32) -> Vec<f64> {
    let (_, out) = exec(ns, from, &format!("ping -c {count} -i 0.05 -W 2 {ip}"));
    let mut times: Vec<f64> = out
        .lines()
        .filter(|l| !l.contains("DUP!"))
        .filter_map(|l| l.split("time=").nth(1)?.split_whitespace().next()?.parse().ok())
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    assert!(!sorted.is_empty(), "no round trips measured");
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The loss (percent) of `count` pings from `from` to `ip`, 10 ms apart.
pub fn ping_loss(ns: &str, from: &str, ip: &str, count: u32) -> f64 {
    let (_, out) = exec(ns, from, &format!("ping -q -c {count} -i 0.01 -W 2 {ip}"));
    let line =
        out.lines().find(|l| l.contains("packet loss")).unwrap_or_else(|| panic!("no summary in {out}"));
    let sent: f64 = line.split_whitespace().next().unwrap().parse().unwrap();
    let received: f64 = line.split(", ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    100.0 * (sent - received) / sent
}

/// Whether `from` can fetch index.html from `ip` within 3 s.
pub fn can_fetch(ns: &str, from: &str, ip: &str) -> bool {
    // (busybox 1.35's wget -T crashes: the timeout applet bounds it instead)
    exec(ns, from, &format!("timeout 3 wget -q -O - http://{ip}:8080/index.html")).0
}

/// The run and the ChaosInjections of one test.
pub struct Scene {
    pub client: Client,
    pub ns: String,
    pub run: (String, String),
    pub node: String,
}

impl Scene {
    pub async fn new(client: &Client, ns: &str, node: &str) -> Self {
        crate::ensure_crds(client).await;
        setup_project(client, ns, &[]).await;
        let run = crate::create_run(client, ns, "node-agent", false).await;
        let uid = crate::get_run(client, ns, &run).await.metadata.uid.unwrap();
        Self { client: client.clone(), ns: ns.into(), run: (run, uid), node: node.into() }
    }

    pub fn api(&self) -> Api<ChaosInjection> {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    /// Writes injection `name` of `fault` on `target`, expiring in `expires_in`, as the operator would.
    pub async fn inject(&self, name: &str, target: &TestPod, fault: Value, expires_in: Duration) {
        let expires = jiff::Timestamp::now() + jiff::SignedDuration::try_from(expires_in).unwrap();
        let object: ChaosInjection = serde_json::from_value(json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosInjection",
            "metadata": {"name": name, "labels": {NODE_LABEL: self.node}},
            "spec": {
                "nodeName": self.node,
                "run": {"name": self.run.0, "uid": self.run.1},
                "step": "chaos",
                "target": {"namespace": self.ns, "name": target.name, "uid": target.uid},
                "fault": fault,
                "expiresAt": expires.to_string(),
            }
        }))
        .unwrap();
        self.api().create(&PostParams::default(), &object).await.unwrap();
    }

    /// Waits until injection `name` is in `phase`; returns it.
    pub async fn wait_phase(&self, name: &str, phase: InjectionPhase) -> ChaosInjection {
        let api = self.api();
        wait_for(Duration::from_secs(60), &format!("injection {name} to be {phase:?}"), || async {
            let inj = api.get(name).await.ok()?;
            let status = inj.status.clone()?;
            if status.phase == Some(InjectionPhase::Failed) && phase != InjectionPhase::Failed {
                panic!("injection {name} failed: {:?}", status.message);
            }
            (status.phase == Some(phase)).then_some(inj)
        })
        .await
    }

    /// Asks for the revert (as the operator does) and waits until it is reported verified and the agent's
    /// finalizer is gone; returns how long that took.
    pub async fn revert(&self, name: &str) -> (ChaosInjection, Duration) {
        let started = std::time::Instant::now();
        self.api()
            .patch(name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"revert": true}})))
            .await
            .unwrap();
        let inj = self.wait_reverted(name).await;
        (inj, started.elapsed())
    }

    pub async fn wait_reverted(&self, name: &str) -> ChaosInjection {
        let inj = self.wait_phase(name, InjectionPhase::Reverted).await;
        let status = inj.status.clone().unwrap();
        assert!(status.revert_verified, "revert of {name} not verified: {:?}", status.message);
        assert!(status.reverted_at.is_some());
        let api = self.api();
        wait_for(Duration::from_secs(30), &format!("the agent's finalizer to leave {name}"), || async {
            let inj = api.get(name).await.ok()?;
            (!inj.finalizers().iter().any(|f| f == AGENT_FINALIZER)).then_some(())
        })
        .await;
        inj
    }
}

/// The agent's journal directory for one test, removed when the test ends (a failed test's agent is
/// killed, and the rules it left go with the test's pods).
pub struct StateDir(pub std::path::PathBuf);

impl StateDir {
    pub fn new(ns: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("chaoscenter-node-{ns}"));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The pod's first container: its id and restart count, and whether it was OOM-killed.
pub async fn container(client: &Client, ns: &str, pod: &str) -> (String, i32, bool) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let pod = pods.get(pod).await.unwrap();
    let status = pod.status.unwrap().container_statuses.unwrap().remove(0);
    let oom = [status.state.as_ref(), status.last_state.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|s| s.terminated.as_ref())
        .any(|t| t.reason.as_deref() == Some("OOMKilled"));
    let id = status.container_id.unwrap_or_default();
    (id.rsplit("://").next().unwrap_or_default().to_string(), status.restart_count, oom)
}

/// The cgroup directories of the container with `id` (through one of its processes).
pub fn container_cgroups(id: &str) -> Vec<Dir> {
    let pid = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|c| c.contains(id)))
        .unwrap_or_else(|| panic!("no process of container {id}"));
    cgroup::of_process(pid).unwrap()
}

/// CPU time (ns) the cgroups used so far.
pub fn cpu_ns(dirs: &[Dir]) -> u64 {
    if let Some(d) = dirs.iter().find(|d| d.has("cpuacct")) {
        return std::fs::read_to_string(d.dir.join("cpuacct.usage")).unwrap().trim().parse().unwrap();
    }
    let d = dirs.iter().find(|d| d.v2()).unwrap();
    let stat = std::fs::read_to_string(d.dir.join("cpu.stat")).unwrap();
    stat.lines().find_map(|l| l.strip_prefix("usage_usec ")).unwrap().parse::<u64>().unwrap() * 1000
}

/// The cores the cgroups use, measured over `over`.
pub async fn cores(dirs: &[Dir], over: Duration) -> f64 {
    let (before, at) = (cpu_ns(dirs), Instant::now());
    tokio::time::sleep(over).await;
    (cpu_ns(dirs) - before) as f64 / 1e9 / at.elapsed().as_secs_f64()
}

/// The most cores the cgroups used in one of `windows` windows of 3 s (a loaded machine may starve the
/// measured work for a while; one window at full speed is the effect).
pub async fn peak_cores(dirs: &[Dir], windows: u32, enough: f64) -> f64 {
    let mut best: f64 = 0.0;
    for _ in 0..windows {
        best = best.max(cores(dirs, Duration::from_secs(3)).await);
        if best >= enough {
            break;
        }
    }
    best
}

/// The stressor processes an agent started (its own binary with `stress` and its pid).
pub fn stressors_of(agent_pid: u32) -> Vec<u32> {
    let parent = agent_pid.to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
            let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
            args.get(1) == Some(&&b"stress"[..])
                && args.windows(2).any(|w| w[0] == b"--parent-pid" && w[1] == parent.as_bytes())
        })
        .collect()
}

/// The ChaosInjections in `ns`.
pub async fn injections(client: &Client, ns: &str) -> Vec<ChaosInjection> {
    Api::<ChaosInjection>::namespaced(client.clone(), ns).list(&Default::default()).await.unwrap().items
}

/// Waits until one of the ChaosInjections in `ns` is applied; returns it.
pub async fn wait_injected(client: &Client, ns: &str) -> ChaosInjection {
    wait_for(Duration::from_secs(60), "an injection to be applied", || async {
        let list = injections(client, ns).await;
        list.into_iter().find(|i| i.status.as_ref().and_then(|s| s.phase) == Some(InjectionPhase::Injected))
    })
    .await
}

/// Waits until node `node`'s agent renews its Lease in `ns` (where an operator started with `ns` as its
/// control-plane namespace looks for it).
pub async fn wait_lease(client: &Client, ns: &str, node: &str) {
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> = Api::namespaced(client.clone(), ns);
    let name = chaoscenter_crds::injection::lease_name(node);
    wait_for(Duration::from_secs(30), "the agent's Lease", || async { leases.get(&name).await.ok() }).await;
}
