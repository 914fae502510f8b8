//! The kill matrix: runs of every fault type, the operator SIGKILLed at 24+ random moments and restarted
//! each time; afterwards every run has ended with every fault reverted and verified, no round chose its
//! targets twice or hit more than its mode's count, no pod was deleted twice, and the cluster is as it
//! was. Its own test binary: the node faults use the single node (test binaries run one after another).
//!
//! The kill moments come from a seed printed at the start; `KILL_MATRIX_SEED=<n>` replays them.

use chaoscenter_crds::common::RUN_FINALIZER;
use chaoscenter_crds::run::ChaosWorkflowRunStatus;
use chaoscenter_crds::ChaosWorkflowRun;
use chaoscenter_e2e::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, ListParams};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// At least this many kills, over at least two cycles of runs.
const KILLS: usize = 24;
/// A cycle (both runs, from creation to finished) must end within this, kills included.
const CYCLE_TIMEOUT: Duration = Duration::from_secs(240);
const TAINT_KEY: &str = "chaoscenter.io/kill-matrix";

/// xorshift64*: the kill moments, reproducible from the seed.
struct Moments(u64);

impl Moments {
    fn next_delay(&mut self) -> Duration {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        Duration::from_millis(200 + r % 2800)
    }
}

fn seed() -> u64 {
    std::env::var("KILL_MATRIX_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1
    })
}

fn pod_workflow(ns: &str) -> serde_json::Value {
    json!({"steps": [
        {"name": "kill-victim", "fault": {"type": "pod-delete", "duration": "8s", "interval": "2s",
            "params": {"gracePeriodSeconds": 1},
            "target": {"namespace": ns, "selector": {"matchLabels": {"app": "victim"}}, "mode": "one"}}},
        {"name": "isolate", "fault": {"type": "network-partition", "duration": "8s", "params": {"mechanism": "network-policy"},
            "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}}},
        {"name": "scale", "fault": {"type": "pod-autoscaler", "duration": "8s", "params": {"replicas": 1},
            "target": {"namespace": ns, "kind": "Deployment", "name": "scaled"}}}
    ]})
}

fn node_workflow(node: &str) -> serde_json::Value {
    let target = json!({"kind": "Node", "name": node});
    json!({"steps": [
        {"name": "cordon", "fault": {"type": "node-cordon", "duration": "5s", "target": target}},
        {"name": "taint", "dependsOn": ["cordon"], "fault": {"type": "node-taint", "duration": "5s", "target": target,
            "params": {"taint": {"key": TAINT_KEY, "value": "x", "effect": "NoSchedule"}}}},
        {"name": "drain", "dependsOn": ["taint"], "fault": {"type": "node-drain", "duration": "5s", "target": target,
            "params": {"gracePeriodSeconds": 1}}}
    ]})
}

fn finished(run: &ChaosWorkflowRun) -> bool {
    let done = run.status.as_ref().and_then(|s| s.phase).is_some_and(|p| p.is_finished());
    let let_go = !run.metadata.finalizers.iter().flatten().any(|f| f == RUN_FINALIZER);
    done && let_go
}

/// The per-run invariants: every fault reverted and verified, each round chose once and within its count.
fn check_run(name: &str, status: &ChaosWorkflowRunStatus) {
    for step in &status.steps {
        let mut per_round: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
        for t in &step.targets {
            assert!(
                t.revert_verified,
                "run {name} step {}: {} {} not verified reverted: {t:?}",
                step.name, t.kind, t.name
            );
            per_round.entry(t.round).or_default().push(&t.name);
        }
        for (round, names) in &per_round {
            // every step of both workflows hits one target per round (mode one, or the single node)
            assert_eq!(
                names.len(),
                1,
                "run {name} step {} round {round} chose {names:?}: more than its mode's count",
                step.name
            );
        }
    }
}

#[tokio::test]
async fn sigkill_at_random_moments_leaves_no_fault_behind_and_nothing_twice() {
    with_namespace("kill", &[], |client, ns| async move {
        let seed = seed();
        eprintln!("kill matrix seed {seed} (KILL_MATRIX_SEED={seed} replays it)");
        let mut moments = Moments(seed);
        let project = setup_project(&client, &ns, &[]).await;
        let nodes: Api<Node> = Api::all(client.clone());
        // put back as it was when the test ends, also when it fails
        let guard = NodeGuard::first(&client).await;
        let node = guard.name.clone();
        guard.opt_in(&client, &project).await;
        web_app(&client, &ns, "web", 2).await;
        web_app(&client, &ns, "victim", 3).await;
        web_app(&client, &ns, "scaled", 2).await;
        create_workflow(&client, &ns, "pods", pod_workflow(&ns)).await;
        create_workflow(&client, &ns, "nodes", node_workflow(&node)).await;
        let identity = format!("kill-matrix-{ns}");
        let start = || Operator::start_with(&ns, &[("POD_NAME", identity.as_str())]);
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &ns);

        let mut op = start();
        let mut kills = 0;
        let mut all_runs = Vec::new();
        let mut cycle = 0;
        while kills < KILLS || cycle < 2 {
            cycle += 1;
            // each cycle starts from the steady state (the last drain's evicted pods Ready again)
            for (app, n) in [("web", 2), ("victim", 3), ("scaled", 2)] {
                wait_ready_replicas(&client, &ns, app, n).await;
            }
            let names = [create_run(&client, &ns, "pods", false).await, create_run(&client, &ns, "nodes", false).await];
            let began = Instant::now();
            loop {
                tokio::time::sleep(moments.next_delay()).await;
                let mut done = true;
                for name in &names {
                    done &= runs.get(name).await.is_ok_and(|r| finished(&r));
                }
                if done {
                    break;
                }
                op.kill9();
                kills += 1;
                op = start();
                assert!(began.elapsed() < CYCLE_TIMEOUT, "cycle {cycle} did not end within {CYCLE_TIMEOUT:?} ({kills} kills); see {}", op.log.display());
            }
            eprintln!("cycle {cycle}: both runs ended, {kills} kills so far, {:?}", began.elapsed());
            all_runs.extend(names);
        }
        let finished_runs: Vec<ChaosWorkflowRun> = futures::future::join_all(all_runs.iter().map(|n| runs.get(n))).await.into_iter().map(Result::unwrap).collect();
        for run in &finished_runs {
            let status = run.status.as_ref().unwrap();
            for step in &status.steps {
                eprintln!(
                    "  {} {}: {:?} rounds={} targets={} injected={} {}",
                    run.metadata.name.as_deref().unwrap_or_default(),
                    step.name,
                    step.verdict,
                    step.injections,
                    step.targets.len(),
                    step.targets.iter().filter(|t| t.injected_at.is_some()).count(),
                    step.message.as_deref().unwrap_or_default()
                );
            }
            for step in status.steps.iter().filter(|s| s.name == "kill-victim") {
                for t in &step.targets {
                    eprintln!("    round {} {} injected {:?} error {:?}", t.round, t.name, t.injected_at, t.injection_error);
                }
            }
            check_run(run.metadata.name.as_deref().unwrap(), status);
        }

        // no pod was deleted twice: Events about an injection name their target (`related`), and the
        // recorder counts repeats of one in its series
        let mut deletions: BTreeMap<String, i32> = BTreeMap::new();
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client.clone(), &ns);
        for e in events.list(&ListParams::default()).await.unwrap().items {
            let note = e.note.clone().unwrap_or_default();
            let related = e.related.as_ref().and_then(|r| r.name.clone()).unwrap_or_default();
            if e.reason.as_deref() == Some("Injected") && note.contains("pod-delete injected into") && note.ends_with(": deleted") {
                let regarding = e.regarding.as_ref().and_then(|r| r.name.clone()).unwrap_or_default();
                seen.entry(related.clone()).or_default().push(format!("{regarding} {:?} {:?} {note}", e.event_time, e.series));
                *deletions.entry(related).or_default() += e.series.map_or(1, |s| s.count);
            }
        }
        let recorded: usize = finished_runs
            .iter()
            .flat_map(|r| r.status.iter().flat_map(|s| s.steps.iter()))
            .filter(|s| s.name == "kill-victim")
            .map(|s| s.targets.iter().filter(|t| t.injected_at.is_some()).count())
            .sum();
        assert!(!deletions.is_empty(), "the pod-delete steps deleted pods");
        let twice: Vec<_> = deletions.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "pods deleted more than once: {twice:?}\n{seen:#?}");
        assert!(deletions.len() <= recorded, "every deleted pod is a recorded target ({} deleted, {recorded} recorded)", deletions.len());

        // the cluster is as it was
        let scaled = Api::<Deployment>::namespaced(client.clone(), &ns).get("scaled").await.unwrap();
        assert_eq!(scaled.spec.unwrap().replicas, Some(2), "the scale-down was reverted");
        let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), &ns);
        assert!(policies.list(&ListParams::default()).await.unwrap().items.is_empty(), "no partition policy left");
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        assert!(pods.list(&ListParams::default().labels("chaoscenter.io/partition")).await.unwrap().items.is_empty());
        let spec = nodes.get(&node).await.unwrap().spec.unwrap_or_default();
        assert!(!spec.unschedulable.unwrap_or(false), "the node is schedulable");
        assert!(!spec.taints.unwrap_or_default().iter().any(|t| t.key == TAINT_KEY), "the taint is gone");
        eprintln!(
            "kill matrix: {} runs over {cycle} cycles, {kills} SIGKILLs, faults left behind: 0, pods deleted: {}",
            finished_runs.len(),
            deletions.len()
        );
        assert!(kills >= KILLS);
        guard.opt_out(&client).await;
        drop(op);
        delete_project(&client, &ns).await;
    })
    .await;
}
