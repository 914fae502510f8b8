//! node-cpu-stress and node-memory-stress through a workflow: the node agent's stressors load the node
//! outside any pod (their CPU time and resident memory measured), only on a node that opted in, and an
//! abort ends them at once. Its own test binary: it changes the single node's opt-in, and test binaries run
//! one after another.

use chaoscenter_crds::run::RunPhase;
use chaoscenter_e2e::node::{stressors_of, wait_lease, StateDir};
use chaoscenter_e2e::*;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use std::time::{Duration, Instant};

/// CPU seconds (user and system) of `pids` so far.
fn cpu_seconds(pids: &[u32]) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|stat| {
            let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some(rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?)
        })
        .sum::<f64>()
        / tick
}

/// Resident memory (bytes) of `pids`.
fn resident(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum::<u64>()
        * 1024
}

async fn run_until_injected(
    client: &kube::Client,
    ns: &str,
    workflow: &str,
    agent: u32,
) -> (String, Vec<u32>) {
    let run = create_run(client, ns, workflow, false).await;
    let pids = wait_for(Duration::from_secs(60), "the agent's stressors", || async {
        let c = stressors_of(agent);
        (!c.is_empty()).then_some(c)
    })
    .await;
    (run, pids)
}

async fn abort_and_time(client: &kube::Client, ns: &str, run: &str, agent: u32) -> Duration {
    chaos_api(client, "ChaosWorkflowRun", ns)
        .patch(run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
        .await
        .unwrap();
    let aborted = Instant::now();
    wait_for(Duration::from_secs(30), "the stressors gone after the abort", || async {
        stressors_of(agent).is_empty().then_some(())
    })
    .await;
    let took = aborted.elapsed();
    let status = wait_run_finished(client, ns, run, Duration::from_secs(60)).await.status.unwrap();
    assert_eq!(status.phase, Some(RunPhase::Aborted), "{status:#?}");
    assert!(status.steps[0].targets.iter().all(|t| t.revert_verified), "{status:#?}");
    took
}

#[tokio::test]
async fn node_stress_loads_an_opted_in_node_outside_pods_until_aborted() {
    with_namespace("node-stress", &[], |client, ns| async move {
        let project = setup_project(&client, &ns, &[]).await;
        // put back as it was when the test ends, also when it fails
        let guard = NodeGuard::first(&client).await;
        let node = guard.name.clone();
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&node, &ns, &dir.0);
        let agent_pid = agent.pid().unwrap();
        let _operator = Operator::start(&ns);
        wait_lease(&client, &ns, &node).await;
        let step = |type_: &str, params: serde_json::Value| {
            json!({"steps": [{"name": "stress", "fault": {"type": type_, "duration": "5m", "params": params,
                "target": {"kind": "Node", "name": node}}}]})
        };
        create_workflow(&client, &ns, "cpu", step("node-cpu-stress", json!({"cores": 1}))).await;
        create_workflow(&client, &ns, "memory", step("node-memory-stress", json!({"size": "64Mi"}))).await;

        // a node that did not opt in is not touched, and the run says why
        guard.opt_out(&client).await;
        let run = create_run(&client, &ns, "cpu", false).await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        assert_ne!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert!(stressors_of(agent_pid).is_empty(), "no stressor on a node that did not opt in");

        guard.opt_in(&client, &project).await;
        let (run, pids) = run_until_injected(&client, &ns, "cpu", agent_pid).await;
        // the best of a few 3 s windows: a loaded machine may starve the stressor for a while
        let mut cores: f64 = 0.0;
        for _ in 0..5 {
            let before = (cpu_seconds(&pids), Instant::now());
            tokio::time::sleep(Duration::from_secs(3)).await;
            cores = cores.max((cpu_seconds(&pids) - before.0) / before.1.elapsed().as_secs_f64());
            if cores >= 0.8 {
                break;
            }
        }
        eprintln!("node-cpu-stress 1 core: the stressors used {cores:.2} cores");
        assert!(cores >= 0.8, "the stressors used {cores:.2} cores");
        let took = abort_and_time(&client, &ns, &run, agent_pid).await;
        eprintln!("node-cpu-stress: abort → stressors gone in {took:?}");

        let (run, pids) = run_until_injected(&client, &ns, "memory", agent_pid).await;
        let held = wait_for(Duration::from_secs(30), "64 MiB resident in the stressor", || async {
            let r = resident(&pids);
            (r >= 60 << 20).then_some(r)
        })
        .await;
        eprintln!("node-memory-stress 64Mi: the stressor holds {} MiB", held >> 20);
        let took = abort_and_time(&client, &ns, &run, agent_pid).await;
        eprintln!("node-memory-stress: abort → stressor gone in {took:?}");
        assert!(agent.stop(), "the agent stops cleanly:\n{}", agent.logs());
        delete_project(&client, &ns).await;
    })
    .await;
}
