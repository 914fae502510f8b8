//! The node agent's held faults against real pods: container-kill (the kubelet restarts the container),
//! CPU, memory and IO stressors (measured in the target container's cgroup), disk-fill (the file's
//! blocks, seen from inside the pod), each revert checked and timed, and stressors that die with a
//! SIGKILLed agent. The agent runs as a local root process, one per test.

use chaoscenter_crds::injection::InjectionPhase;
use chaoscenter_e2e::node::{
    container, container_cgroups, cores, exec, peak_cores, sleeper, stressors_of, test_pod, test_pod_with,
    Scene, StateDir, TestPod,
};
use chaoscenter_e2e::{wait_for, with_namespace, NodeAgent};
use chaoscenter_node::cgroup::{self, Dir};
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::Client;
use serde_json::json;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;

/// Bytes written by the cgroups so far (v1 blkio's throttle counters, or v2 io.stat).
fn written(dirs: &[Dir]) -> u64 {
    if let Some(d) = dirs.iter().find(|d| d.has("blkio")) {
        let text = std::fs::read_to_string(d.dir.join("blkio.throttle.io_service_bytes")).unwrap();
        return text
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 3 && f[1] == "Write").then(|| f[2].parse::<u64>().ok()).flatten()
            })
            .sum();
    }
    let d = dirs.iter().find(|d| d.v2()).unwrap();
    let text = std::fs::read_to_string(d.dir.join("io.stat")).unwrap_or_default();
    text.split_whitespace().filter_map(|w| w.strip_prefix("wbytes=")?.parse::<u64>().ok()).sum()
}

/// On cgroup v1 this kernel counts a cgroup's block IO (`blkio.throttle.io_service_bytes`) only for
/// devices with a throttle rule: gives every block device a rule too high to slow anything (removed by
/// [`unthrottle`]).
fn count_block_io(dirs: &[Dir]) -> Vec<String> {
    let Some(d) = dirs.iter().find(|d| d.has("blkio")) else { return vec![] };
    let devices: Vec<String> = std::fs::read_dir("/sys/block")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("dev")).ok())
        .map(|dev| dev.trim().to_string())
        .collect();
    for dev in &devices {
        let _ = std::fs::write(d.dir.join("blkio.throttle.write_bps_device"), format!("{dev} 1000000000000"));
    }
    devices
}

fn unthrottle(dirs: &[Dir], devices: &[String]) {
    if let Some(d) = dirs.iter().find(|d| d.has("blkio")) {
        for dev in devices {
            let _ = std::fs::write(d.dir.join("blkio.throttle.write_bps_device"), format!("{dev} 0"));
        }
    }
}

async fn setup(client: &Client, ns: &str) -> (TestPod, Scene, StateDir, NodeAgent) {
    let target = test_pod(client, ns, "target").await;
    let scene = Scene::new(client, ns, &target.node).await;
    let dir = StateDir::new(ns);
    let agent = NodeAgent::start(&target.node, ns, &dir.0);
    (target, scene, dir, agent)
}

fn stop_clean(agent: &mut NodeAgent) {
    assert!(agent.stop(), "the agent did not exit cleanly:\n{}", agent.logs());
}

#[tokio::test]
async fn container_kill_restarts_the_container_and_the_pod_is_ready_again() {
    with_namespace("node-held", &[], |client, ns| async move {
        let (target, scene, _dir, mut agent) = setup(&client, &ns).await;
        let (id, restarts, _) = container(&client, &ns, "target").await;
        scene
            .inject(
                "kill",
                &target,
                json!({"type": "container-kill", "signal": "SIGKILL"}),
                Duration::from_secs(600),
            )
            .await;
        let status = scene.wait_phase("kill", InjectionPhase::Injected).await.status.unwrap();
        assert_eq!(status.mechanism.as_deref(), Some("signal"));
        let message = status.message.unwrap_or_default();
        assert!(
            message.contains(&format!("SIGKILL sent to container main (restart count was {restarts})")),
            "{message}"
        );
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        wait_for(Duration::from_secs(90), "the container to restart and the pod to be Ready", || async {
            let (new_id, count, _) = container(&client, &ns, "target").await;
            let ready = pods.get("target").await.ok().filter(chaoscenter_e2e::pod_ready).is_some();
            (count == restarts + 1 && new_id != id && ready).then_some(())
        })
        .await;
        let (_, took) = scene.revert("kill").await;
        eprintln!("container-kill: restart count {restarts} → {}; revert verified in {took:?}", restarts + 1);

        // a container the pod does not have is named in the refusal
        scene
            .inject(
                "ghost",
                &target,
                json!({"type": "container-kill", "signal": "SIGKILL", "container": "sidecar"}),
                Duration::from_secs(600),
            )
            .await;
        let message =
            scene.wait_phase("ghost", InjectionPhase::Failed).await.status.unwrap().message.unwrap();
        assert!(message.contains("\"sidecar\""), "{message}");

        // a signal the container ignores (its first process has no handler for SIGTERM) did nothing: the
        // injection fails, saying so, instead of passing
        let sleeping = sleeper(&client, &ns, "sleeper", json!({})).await;
        scene
            .inject(
                "ignored",
                &sleeping,
                json!({"type": "container-kill", "signal": "SIGTERM"}),
                Duration::from_secs(600),
            )
            .await;
        let message =
            scene.wait_phase("ignored", InjectionPhase::Failed).await.status.unwrap().message.unwrap();
        assert!(message.contains("the signal had no effect"), "{message}");
        let (_, count, _) = container(&client, &ns, "sleeper").await;
        assert_eq!(count, 0, "the container was not restarted");
        stop_clean(&mut agent);
    })
    .await;
}

#[tokio::test]
async fn a_cpu_stressor_loads_the_container_and_dies_with_a_killed_agent() {
    with_namespace("node-held", &[], |client, ns| async move {
        // a CPU request gives the container's cgroup a fair share of a loaded machine (a BestEffort pod's is
        // almost none)
        let target = test_pod_with(&client, &ns, "target", json!({"requests": {"cpu": "500m"}})).await;
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);
        let (id, _, _) = container(&client, &ns, "target").await;
        let dirs = container_cgroups(&id);
        let idle = cores(&dirs, Duration::from_secs(2)).await;
        scene
            .inject(
                "cpu",
                &target,
                json!({"type": "pod-cpu-stress", "cores": 1, "load": 100}),
                Duration::from_secs(600),
            )
            .await;
        let status = scene.wait_phase("cpu", InjectionPhase::Injected).await.status.unwrap();
        assert_eq!(status.mechanism.as_deref(), Some("cgroup-stressor"));
        let busy = peak_cores(&dirs, 5, idle + 0.8).await;
        eprintln!("pod-cpu-stress 1 core at 100 %: container cgroup {busy:.2} cores (idle {idle:.2})");
        assert!(busy - idle >= 0.8, "{busy:.2} cores in the container's cgroup (idle {idle:.2})");
        let (_, took) = scene.revert("cpu").await;
        eprintln!("pod-cpu-stress revert (spec.revert written → reported verified): {took:?}");
        let after = cores(&dirs, Duration::from_secs(2)).await;
        eprintln!("after the revert: {after:.2} cores");
        assert!(after < 0.2, "{after:.2} cores after the revert");
        assert_eq!(stressors_of(agent.pid().unwrap()), Vec::<u32>::new());

        // SIGKILL of the agent: its stressors die with it (parent-death signal)
        scene
            .inject(
                "cpu2",
                &target,
                json!({"type": "pod-cpu-stress", "cores": 2, "load": 50}),
                Duration::from_secs(600),
            )
            .await;
        scene.wait_phase("cpu2", InjectionPhase::Injected).await;
        let pid = agent.pid().unwrap();
        let children = stressors_of(pid);
        assert_eq!(children.len(), 2, "{children:?}");
        let killed = Instant::now();
        agent.kill9();
        wait_for(Duration::from_secs(10), "the stressors to die with the agent", || async {
            children
                .iter()
                .all(|c| {
                    !std::path::Path::new(&format!("/proc/{c}")).exists()
                        || std::fs::read_to_string(format!("/proc/{c}/stat"))
                            .is_ok_and(|s| s.contains(") Z "))
                })
                .then_some(())
        })
        .await;
        eprintln!("agent SIGKILLed → its 2 stressors gone in {:?}", killed.elapsed());
        // the next agent replays its journal, applies the fault again, and reverts it when asked
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);
        scene.revert("cpu2").await;
        stop_clean(&mut agent);
    })
    .await;
}

#[tokio::test]
async fn a_memory_stressor_is_charged_to_the_container_without_an_oom_kill() {
    with_namespace("node-held", &[], |client, ns| async move {
        let (target, scene, _dir, mut agent) = setup(&client, &ns).await;
        let (id, restarts, _) = container(&client, &ns, "target").await;
        let dirs = container_cgroups(&id);
        let memory = cgroup::memory_dir(&dirs).unwrap().clone();
        let before = cgroup::memory_usage(&memory).unwrap();
        scene
            .inject(
                "mem",
                &target,
                json!({"type": "pod-memory-stress", "bytes": 64 * MIB}),
                Duration::from_secs(600),
            )
            .await;
        let status = scene.wait_phase("mem", InjectionPhase::Injected).await.status.unwrap();
        eprintln!("pod-memory-stress: {:?}", status.message);
        let during =
            wait_for(Duration::from_secs(30), "the container's memory to rise by 60 MiB", || async {
                let now = cgroup::memory_usage(&memory).unwrap();
                (now >= before + 60 * MIB).then_some(now)
            })
            .await;
        eprintln!("pod-memory-stress 64 MiB: container usage {} → {} MiB", before / MIB, during / MIB);
        let (_, took) = scene.revert("mem").await;
        eprintln!("pod-memory-stress revert: {took:?}");
        let after = cgroup::memory_usage(&memory).unwrap();
        eprintln!("after the revert: {} MiB", after / MIB);
        assert!(after < during - 32 * MIB, "usage {} MiB after the revert", after / MIB);
        let (_, count, oom) = container(&client, &ns, "target").await;
        assert_eq!((count, oom), (restarts, false), "the container restarted or was OOM-killed");
        stop_clean(&mut agent);
    })
    .await;
}

#[tokio::test]
async fn a_memory_percent_of_the_limit_stops_short_of_it_unless_oom_is_allowed() {
    with_namespace("node-held", &[], |client, ns| async move {
        let target =
            sleeper(&client, &ns, "limited", json!({"limits": {"memory": "128Mi", "cpu": "500m"}})).await;
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);
        let (id, _, _) = container(&client, &ns, "limited").await;
        let memory = cgroup::memory_dir(&container_cgroups(&id)).unwrap().clone();
        assert_eq!(cgroup::memory_limit(&memory), Some(128 * MIB));

        scene
            .inject(
                "all",
                &target,
                json!({"type": "pod-memory-stress", "percent": 100.0}),
                Duration::from_secs(600),
            )
            .await;
        let message =
            scene.wait_phase("all", InjectionPhase::Injected).await.status.unwrap().message.unwrap();
        eprintln!("pod-memory-stress 100 % of 128 MiB: {message}");
        assert!(message.contains("capped from 128 MiB"), "{message}");
        let peak = wait_for(Duration::from_secs(30), "the container's memory to near its limit", || async {
            let now = cgroup::memory_usage(&memory).unwrap();
            (now >= 100 * MIB).then_some(now)
        })
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (_, restarts, oom) = container(&client, &ns, "limited").await;
        eprintln!("usage {} MiB of 128 MiB; restarts {restarts}, OOM-killed {oom}", peak / MIB);
        assert_eq!((restarts, oom), (0, false));
        scene.revert("all").await;

        // allowOom: the stressor passes the limit and the kernel kills it in the container's cgroup
        scene
            .inject(
                "oom",
                &target,
                json!({"type": "pod-memory-stress", "bytes": 256 * MIB, "allowOom": true}),
                Duration::from_secs(600),
            )
            .await;
        scene.wait_phase("oom", InjectionPhase::Injected).await;
        // the stressor (oom_score_adj 1000) is the kernel's victim at the limit, not the container's process
        let stressor_gone = Instant::now();
        wait_for(Duration::from_secs(30), "the stressor to be OOM-killed", || async {
            stressors_of(agent.pid().unwrap()).is_empty().then_some(())
        })
        .await;
        let (_, restarts, oom) = container(&client, &ns, "limited").await;
        eprintln!(
            "allowOom 256 MiB in a 128 MiB container: the stressor was OOM-killed within {:?}; container restarts {restarts}, OOM-killed {oom}",
            stressor_gone.elapsed()
        );
        assert_eq!((restarts, oom), (0, false));
        scene.revert("oom").await;
        assert!(agent.stop(), "the agent did not exit cleanly:\n{}", agent.logs());
    })
    .await;
}

#[tokio::test]
async fn an_io_stressor_writes_through_the_container_and_a_disk_fill_takes_real_blocks() {
    with_namespace("node-held", &[], |client, ns| async move {
        let target = test_pod(&client, &ns, "target").await;
        let scene = Scene::new(&client, &ns, &target.node).await;
        let dir = StateDir::new(&ns);
        // a developer's or CI's disk may already be past the default 80 % (build caches): the test's 64 MiB
        // fill must not depend on it; the refusal below still holds: 1 TiB is more than the disk has
        let mut agent =
            NodeAgent::start_with(&target.node, &ns, &dir.0, &[("DISK_FILL_MAX_USED_PERCENT", "99")]);
        let (id, _, _) = container(&client, &ns, "target").await;
        let dirs = container_cgroups(&id);

        let devices = count_block_io(&dirs);
        let before = written(&dirs);
        scene
            .inject(
                "io",
                &target,
                json!({"type": "pod-io-stress", "workers": 1, "bytes": 16 * MIB, "path": "/tmp"}),
                Duration::from_secs(600),
            )
            .await;
        scene.wait_phase("io", InjectionPhase::Injected).await;
        let rose = wait_for(Duration::from_secs(30), "the container's cgroup to write 32 MiB", || async {
            let w = written(&dirs);
            (w >= before + 32 * MIB).then_some(w - before)
        })
        .await;
        eprintln!("pod-io-stress: the container's cgroup wrote {} MiB", rose / MIB);
        unthrottle(&dirs, &devices);
        let (_, took) = scene.revert("io").await;
        eprintln!("pod-io-stress revert: {took:?}");
        let (_, listing) = exec(&ns, "target", "ls -a /tmp");
        assert!(!listing.contains(".chaoscenter-io"), "{listing}");

        scene
            .inject(
                "fill",
                &target,
                json!({"type": "disk-fill", "bytes": 64 * MIB, "path": "/tmp"}),
                Duration::from_secs(600),
            )
            .await;
        let status = scene.wait_phase("fill", InjectionPhase::Injected).await.status.unwrap();
        assert_eq!(status.mechanism.as_deref(), Some("fill-file"));
        // the journal names the file by a host path that outlives the container's process (its upper layer)
        let journal: String = std::fs::read_dir(&dir.0)
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        eprintln!("disk-fill journal: {journal}");
        assert!(journal.contains(".chaoscenter-fill-") && !journal.contains("/proc/"), "{journal}");
        eprintln!("disk-fill: {:?}", status.message);
        let (ok, du) = exec(&ns, "target", "du -k /tmp/.chaoscenter-fill-*");
        assert!(ok, "{du}");
        let kib: u64 = du.split_whitespace().next().unwrap().parse().unwrap();
        eprintln!("disk-fill 64 MiB: du in the pod says {kib} KiB");
        assert!(kib >= 64 * 1024, "{du}");
        let (_, took) = scene.revert("fill").await;
        eprintln!("disk-fill revert: {took:?}");
        let (_, listing) = exec(&ns, "target", "ls -a /tmp");
        assert!(!listing.contains(".chaoscenter-fill"), "{listing}");

        // a fill that would take the disk past the agent's threshold is refused, nothing written
        scene
            .inject(
                "huge",
                &target,
                json!({"type": "disk-fill", "bytes": 1u64 << 40, "path": "/tmp"}),
                Duration::from_secs(600),
            )
            .await;
        let inj = wait_for(Duration::from_secs(60), "the huge fill to be decided", || async {
            let inj = scene.api().get("huge").await.ok()?;
            let phase = inj.status.as_ref()?.phase?;
            matches!(phase, InjectionPhase::Failed | InjectionPhase::Injected).then_some(inj)
        })
        .await;
        let status = inj.status.unwrap();
        if status.phase == Some(InjectionPhase::Failed) {
            let message = status.message.unwrap_or_default();
            eprintln!("disk-fill 1 TiB refused: {message}");
            assert!(message.contains("DISK_FILL_MAX_USED_PERCENT"), "{message}");
            let (_, listing) = exec(&ns, "target", "ls -a /tmp");
            assert!(!listing.contains(".chaoscenter-fill"), "{listing}");
        } else {
            eprintln!("disk-fill 1 TiB fits under the threshold on this disk: reverting it");
            scene.revert("huge").await;
        }
        stop_clean(&mut agent);
    })
    .await;
}
