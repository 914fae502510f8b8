//! What probes may reach and how they run, on the real cluster: an http probe to the cloud metadata
//! address and prom probes to the Kubernetes API are refused by the operator's egress policy, with the
//! reason in the run's status (and the workflow's pre-flight), even with the harness's allow list; with the
//! default policy the control plane's own namespace is refused too; a cmd probe's Job runs restricted and
//! bounded. Each test runs its own operator.

use chaoscenter_crds::run::{ProbeStatus, RunPhase};
use chaoscenter_e2e::*;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Endpoints, Service};
use kube::api::{Api, ListParams};
use serde_json::json;
use std::time::Duration;

const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// A pod-delete of the one `victim` pod, so the step has something to do while its probes run.
fn kill_victim(ns: &str) -> serde_json::Value {
    json!({"type": "pod-delete", "duration": "2s", "params": {"gracePeriodSeconds": 1},
           "target": {"namespace": ns, "selector": {"matchLabels": {"app": "victim"}}, "mode": "one"}})
}

fn http_probe(name: &str, url: &str) -> serde_json::Value {
    json!({"name": name, "type": "http", "mode": "EOT", "http": {"url": url},
           "runProperties": {"timeout": "5s"}})
}

fn prom_probe(name: &str, endpoint: &str) -> serde_json::Value {
    json!({"name": name, "type": "prom", "mode": "EOT",
           "prom": {"endpoint": endpoint, "query": "up", "comparator": {"criteria": ">=", "value": "1"}},
           "runProperties": {"timeout": "5s"}})
}

/// Runs workflow `name` once and returns its first step's probes.
async fn probes_of_a_run(client: &kube::Client, ns: &str, name: &str) -> Vec<ProbeStatus> {
    let run = create_run(client, ns, name, false).await;
    let status = wait_run_finished(client, ns, &run, RUN_TIMEOUT).await.status.unwrap();
    assert_eq!(status.phase, Some(RunPhase::Failed), "the refused probes failed the step: {status:#?}");
    status.steps[0].probes.clone()
}

fn message<'a>(probes: &'a [ProbeStatus], name: &str) -> &'a str {
    let probe = probes.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{name}: {probes:#?}"));
    assert!(probe.failed >= 1 && probe.passed == 0, "{probe:?}");
    &probe.message
}

/// The `Ready` condition's message of workflow `name`, once it is False.
async fn invalid_message(client: &kube::Client, ns: &str, name: &str) -> String {
    let workflows = chaos_api(client, "ChaosWorkflow", ns);
    wait_for(Duration::from_secs(60), &format!("workflow {name} to be marked invalid"), || async {
        let w = workflows.get(name).await.ok()?;
        let conditions = w.data["status"]["conditions"].as_array()?.clone();
        let ready = conditions.iter().find(|c| c["type"] == "Ready")?;
        (ready["status"] == "False").then(|| ready["message"].as_str().unwrap_or_default().to_string())
    })
    .await
}

#[tokio::test]
async fn probes_to_cloud_metadata_and_the_kubernetes_api_are_refused_with_the_reason() {
    with_namespace("probe-egress", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "victim", 1).await;
        // the harness's allow list (private networks and loopback) is in force: the Kubernetes API is
        // refused whatever it says
        let _op = Operator::start(&ns);
        let kubernetes: Service = Api::namespaced(client.clone(), "default").get("kubernetes").await.unwrap();
        let cluster_ip = kubernetes.spec.unwrap().cluster_ip.unwrap();
        let endpoints: Endpoints = Api::namespaced(client.clone(), "default").get("kubernetes").await.unwrap();
        let subset = &endpoints.subsets.unwrap()[0];
        let api = format!("{}:{}", subset.addresses.as_ref().unwrap()[0].ip, subset.ports.as_ref().unwrap()[0].port);
        create_workflow(&client, &ns, "reach", json!({"steps": [{"name": "kill", "fault": kill_victim(&ns), "probes": [
            http_probe("metadata", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
            prom_probe("apiserver", &format!("https://{api}")),
            prom_probe("apiserver-service", &format!("https://{cluster_ip}")),
        ]}]}))
        .await;
        // the workflow's pre-flight names the refused prom endpoints
        let invalid = invalid_message(&client, &ns, "reach").await;
        for expected in [
            format!("spec.steps[0].probes[1].prom.endpoint: refused by the egress policy: {api} is the Kubernetes API"),
            format!("spec.steps[0].probes[2].prom.endpoint: refused by the egress policy: {cluster_ip}:443 is the Kubernetes API"),
        ] {
            assert!(invalid.contains(&expected), "{expected:?} in {invalid:?}");
        }
        // a run of it refuses each probe before connecting, and says why in its status
        let probes = probes_of_a_run(&client, &ns, "reach").await;
        assert_eq!(message(&probes, "metadata"), "refused by the egress policy: 169.254.169.254 is link-local");
        assert_eq!(message(&probes, "apiserver"), format!("refused by the egress policy: {api} is the Kubernetes API"));
        assert_eq!(
            message(&probes, "apiserver-service"),
            format!("refused by the egress policy: {cluster_ip}:443 is the Kubernetes API")
        );
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn by_default_probes_may_not_reach_the_control_plane_namespace_or_loopback() {
    with_namespace("probe-control", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "victim", 1).await;
        // the test's namespace is this operator's control-plane namespace: its web Service is the
        // control plane's, as the apiserver's would be
        let url = web_app(&client, &ns, "web", 1).await;
        let ip = url.trim_start_matches("http://").trim_end_matches('/').to_string();
        let pods = wait_ready_replicas(&client, &ns, "web", 1).await;
        let pod_ip = pods[0].status.as_ref().unwrap().pod_ip.clone().unwrap();
        let _op = Operator::start_with(&ns, &[("PROBE_EGRESS_ALLOW", "")]);
        create_workflow(
            &client,
            &ns,
            "inside",
            json!({"steps": [{"name": "kill", "fault": kill_victim(&ns), "probes": [
                http_probe("service", &url),
                http_probe("pod", &format!("http://{pod_ip}:8080/")),
                http_probe("loopback", "http://127.0.0.1:8090/auth/me"),
            ]}]}),
        )
        .await;
        let probes = probes_of_a_run(&client, &ns, "inside").await;
        assert_eq!(
            message(&probes, "service"),
            format!("refused by the egress policy: {ip} belongs to the control plane's namespace {ns}")
        );
        assert_eq!(
            message(&probes, "pod"),
            format!("refused by the egress policy: {pod_ip} belongs to the control plane's namespace {ns}")
        );
        assert_eq!(message(&probes, "loopback"), "refused by the egress policy: 127.0.0.1 is loopback");
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_cmd_probe_runs_restricted_and_bounded() {
    with_namespace("probe-cmd", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "victim", 1).await;
        let _op = Operator::start(&ns);
        let (image, _) = busybox_image();
        // what the command finds out about itself: its user, whether / and /tmp are writable
        let script = "sleep 10; echo $(id -u) $(touch /x 2>/dev/null && echo rw || echo ro) \
                      $(touch /tmp/x 2>/dev/null && echo tmp-rw || echo tmp-ro)";
        create_workflow(
            &client,
            &ns,
            "cmd",
            json!({"steps": [{"name": "kill", "fault": kill_victim(&ns), "probes": [
                {"name": "whoami", "type": "cmd", "mode": "SOT",
                 "cmd": {"image": image, "command": ["sh", "-c", script],
                         "comparator": {"type": "string", "criteria": "equal", "value": "65532 ro tmp-rw"}},
                 "runProperties": {"timeout": "90s"}}
            ]}]}),
        )
        .await;
        let run = create_run(&client, &ns, "cmd", false).await;
        // the probe's Job, read from the cluster while its command runs
        let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
        let job = wait_for(Duration::from_secs(60), "the cmd probe's Job", || async {
            jobs.list(&ListParams::default().labels(&format!("chaoscenter.io/run={run}")))
                .await
                .ok()?
                .items
                .pop()
        })
        .await;
        let spec = job.spec.unwrap();
        assert_eq!(spec.active_deadline_seconds, Some(90));
        assert_eq!(spec.backoff_limit, Some(0));
        let pod = spec.template.spec.unwrap();
        assert_eq!(pod.automount_service_account_token, Some(false));
        let pod_sc = pod.security_context.unwrap();
        assert_eq!(pod_sc.run_as_non_root, Some(true));
        assert_eq!(pod_sc.seccomp_profile.unwrap().type_, "RuntimeDefault");
        let container = &pod.containers[0];
        let sc = container.security_context.clone().unwrap();
        assert_eq!(sc.run_as_non_root, Some(true));
        assert_eq!(sc.run_as_user, Some(65532));
        assert_eq!(sc.allow_privilege_escalation, Some(false));
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        assert_eq!(sc.capabilities.unwrap().drop, Some(vec!["ALL".to_string()]));
        assert_eq!(sc.seccomp_profile.unwrap().type_, "RuntimeDefault");
        // the defaults (cmd.resources sets them within bounds; the unit tests cover that)
        let resources = container.resources.clone().unwrap();
        for bounds in [resources.requests.unwrap(), resources.limits.unwrap()] {
            assert_eq!(bounds["cpu"].0, "100m");
            assert_eq!(bounds["memory"].0, "64Mi");
        }
        // and the command really ran so: not root, the root filesystem read-only, /tmp writable
        let status = wait_run_finished(&client, &ns, &run, RUN_TIMEOUT).await.status.unwrap();
        let probe = &status.steps[0].probes[0];
        assert_eq!(probe.passed, 1, "{probe:?}");
        assert_eq!(probe.message, "output \"65532 ro tmp-rw\" equal \"65532 ro tmp-rw\"");
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        delete_project(&client, &ns).await;
    })
    .await;
}
