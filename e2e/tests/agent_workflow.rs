//! Workflows running the node agent's container and stress faults end to end, through the operator: a
//! container-kill restarts the container (its restart count, the pod Ready again) and a CPU stress loads
//! the container's own cgroup until an abort, which stops the stressor at once (measured).

use chaoscenter_crds::run::RunPhase;
use chaoscenter_e2e::node::{
    container, container_cgroups, cores, peak_cores, stressors_of, test_pod_with, wait_injected, wait_lease,
    StateDir,
};
use chaoscenter_e2e::{
    chaos_api, create_run, create_workflow, delete_project, pod_ready, setup_project, wait_for,
    wait_run_finished, with_namespace, NodeAgent, Operator,
};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use kube::Client;
use serde_json::json;
use std::time::{Duration, Instant};

async fn restarts(client: &Client, ns: &str, pod: &str) -> (i32, bool) {
    let (_, count, _) = container(client, ns, pod).await;
    let pod = Api::<Pod>::namespaced(client.clone(), ns).get(pod).await.unwrap();
    (count, pod_ready(&pod))
}

#[tokio::test]
async fn a_container_kill_restarts_the_container_and_an_aborted_cpu_stress_stops_at_once() {
    with_namespace("agent-wf", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        // a CPU request gives the container's cgroup a fair share of a loaded machine
        let target = test_pod_with(&client, &ns, "target", json!({"requests": {"cpu": "500m"}})).await;
        let dir = StateDir::new(&ns);
        let mut agent = NodeAgent::start(&target.node, &ns, &dir.0);
        let _operator = Operator::start(&ns);
        wait_lease(&client, &ns, &target.node).await;

        // container-kill: the restart count goes up by one, the pod is Ready again, the run passes
        let (before, _) = restarts(&client, &ns, "target").await;
        create_workflow(
            &client,
            &ns,
            "kill",
            json!({"steps": [{"name": "kill", "fault": {
            "type": "container-kill", "duration": "3s", "target": {"namespace": ns, "name": "target"}}}]}),
        )
        .await;
        let run = create_run(&client, &ns, "kill", false).await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(120)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        let t = &status.steps[0].targets[0];
        assert!(t.revert_verified, "{t:#?}");
        assert!(t.note.as_deref().unwrap_or_default().contains("signal"), "{t:#?}");
        let (after, ready) = wait_for(Duration::from_secs(60), "the pod Ready after its restart", || async {
            let (count, ready) = restarts(&client, &ns, "target").await;
            (count > before && ready).then_some((count, ready))
        })
        .await;
        eprintln!("container-kill: restart count {before} → {after}, Ready {ready}");
        assert_eq!(after, before + 1, "one kill, one restart");

        // pod-cpu-stress of one core: the container's own cgroup uses about a core more; an abort stops it
        let (id, _, _) = container(&client, &ns, "target").await;
        let dirs = container_cgroups(&id);
        let idle = cores(&dirs, Duration::from_secs(2)).await;
        let agent_pid = agent.pid().unwrap();
        create_workflow(
            &client,
            &ns,
            "cpu",
            json!({"steps": [{"name": "cpu", "fault": {
            "type": "pod-cpu-stress", "duration": "5m", "params": {"cores": 1},
            "target": {"namespace": ns, "name": "target"}}}]}),
        )
        .await;
        let run = create_run(&client, &ns, "cpu", false).await;
        wait_injected(&client, &ns).await;
        let loaded = peak_cores(&dirs, 5, idle + 0.8).await;
        eprintln!("pod-cpu-stress 1 core: the container's cgroup used {idle:.2} → {loaded:.2} cores");
        assert!(loaded - idle >= 0.8, "the container's cgroup used {idle:.2} → {loaded:.2} cores");
        assert_eq!(stressors_of(agent_pid).len(), 1, "one stressor for one core");
        chaos_api(&client, "ChaosWorkflowRun", &ns)
            .patch(&run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
            .await
            .unwrap();
        let aborted = Instant::now();
        wait_for(Duration::from_secs(30), "the stressor gone after the abort", || async {
            stressors_of(agent_pid).is_empty().then_some(())
        })
        .await;
        let gone = aborted.elapsed();
        eprintln!("pod-cpu-stress: abort → stressor gone in {gone:?}");
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(60)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Aborted), "{status:#?}");
        assert!(status.steps[0].targets.iter().all(|t| t.revert_verified), "{status:#?}");
        let after = cores(&dirs, Duration::from_secs(2)).await;
        assert!(after < idle + 0.2, "the container's cgroup still uses {after:.2} cores after the abort");
        assert!(agent.stop(), "the agent stops cleanly:\n{}", agent.logs());
        delete_project(&client, &ns).await;
    })
    .await;
}
