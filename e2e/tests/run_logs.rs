//! Run logs end to end: a run whose cmd probe fails, printing a known line and token-looking secrets, has a
//! log — read through GraphQL as a member, from the apiserver's history in MongoDB — holding the probe's
//! output and the operator's lines about the run and never the secrets, also after the run was deleted
//! from the cluster. The operator writes it as the run's ChaosRunLog (owned by the run, collected with it)
//! with only the access the install grants it, and with `LOG_FORMAT=json` every operator line about the
//! run carries the run's uid.

use chaoscenter_crds::access::project_namespace;
use chaoscenter_crds::run::RunPhase;
use chaoscenter_crds::{ChaosRunLog, ChaosWorkflowRun};
use chaoscenter_e2e::access::{
    admin_token, new_user, service_account_kubeconfig, with_access, CONTROL_PLANE,
};
use chaoscenter_e2e::{busybox_image, opt_in_namespace, wait_for, wait_run_finished, web_app, Operator};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(120);

/// What the probe prints: secrets in three shapes, then the line the failure is about.
const SECRET: &str = "cc-secret-4f9a2b7e1d";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlMmUtbG9ncyJ9.c2lnbmF0dXJlLWUyZS1sb2dz";
const PASSWORD: &str = "hunter2-e2e-logs";
const MARKER: &str = "probe-marker: checkout is down";

const LOGS: &str =
    "query($p: String!, $n: String!) { runLogs(project: $p, name: $n) { lines truncated dropped } }";

fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default().to_string()
}

/// The run's log lines as GraphQL answers them to `token`.
async fn log_lines(
    api: &chaoscenter_e2e::access::Apiserver,
    token: &str,
    project: &str,
    run: &str,
) -> Vec<String> {
    let data = api.graphql(token, LOGS, json!({"p": project, "n": run})).await;
    data["runLogs"]["lines"]
        .as_array()
        .map(|l| l.iter().filter_map(|l| l.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// The target of the operator's lines that carry a probe's output (`runlog::OUTPUT_TARGET`).
const OUTPUT_TARGET: &str = "chaoscenter_run_output";

fn has_no_secret(text: &str) -> bool {
    !text.contains(SECRET) && !text.contains(JWT) && !text.contains(PASSWORD)
}

#[tokio::test]
async fn a_failing_cmd_probes_output_is_in_the_runs_log_without_secrets_also_after_the_run_is_gone() {
    with_access("runlogs", &[], |w| async move {
        let client = w.client.clone();
        let admin = admin_token(&w).await;
        let suffix = w.ns.rsplit('-').next().unwrap().to_string();
        let project = format!("logs-{suffix}");
        opt_in_namespace(&client, &w.ns, &project).await;
        web_app(&client, &w.ns, "web", 2).await;
        let (status, body) = w
            .api
            .call("POST", "/auth/projects", Some(&admin), Some(json!({"name": project, "targetNamespaces": [w.ns]})))
            .await;
        assert_eq!(status, 201, "{body}");
        let pns = project_namespace(&project);
        let namespaces: Api<Namespace> = Api::all(client.clone());
        wait_for(WAIT, "the project namespace", || async { namespaces.get_opt(&pns).await.ok()? }).await;
        let viewer = format!("vi-{suffix}");
        let viewer_token = new_user(&w, &admin, &viewer, "viewer-password-1").await;
        let outsider_token = new_user(&w, &admin, &format!("out-{suffix}"), "outsider-password-1").await;
        let (status, body) = w
            .api
            .call("POST", &format!("/auth/projects/{project}/members"), Some(&admin), Some(json!({"user": viewer, "role": "Viewer"})))
            .await;
        assert_eq!(status, 200, "{body}");

        // the project's operator, as the install's ServiceAccount (its Lease in the project namespace),
        // writing structured logs
        let binding: RoleBinding = serde_json::from_value(json!({
            "metadata": {"name": "chaoscenter-operator-local"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "chaoscenter-operator-local"},
            "subjects": [{"kind": "ServiceAccount", "name": "chaoscenter-operator", "namespace": CONTROL_PLANE}]
        }))
        .unwrap();
        Api::<RoleBinding>::namespaced(client.clone(), &pns).create(&PostParams::default(), &binding).await.unwrap();
        let kubeconfig = service_account_kubeconfig(&client, "chaoscenter-operator", &format!("{}-logs", w.ns)).await;
        let mut operator = Operator::start_with(
            &pns,
            &[("KUBECONFIG", kubeconfig.to_str().unwrap()), ("LOG_FORMAT", "json"), ("RUST_LOG", "info,kube=warn")],
        );

        // a step whose cmd probe fails, printing secrets and then the line it fails on
        let (image, _) = busybox_image();
        let script = format!(
            "echo \"connecting to checkout with token={SECRET}\"; echo \"Authorization: Bearer {JWT}\"; \
             echo \"password={PASSWORD}\"; echo \"{MARKER}\"; exit 1"
        );
        let workflow = json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
            "metadata": {"name": "checkout"},
            "spec": {"steps": [{"name": "kill", "fault": {
                "type": "pod-delete", "duration": "5s", "params": {"gracePeriodSeconds": 1},
                "target": {"namespace": w.ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}},
                "probes": [{"name": "cart-up", "type": "cmd", "mode": "SOT",
                    "cmd": {"image": image, "command": ["sh", "-c", script],
                            "comparator": {"type": "string", "criteria": "equal", "value": "ok"}},
                    "runProperties": {"timeout": "60s"}}]}]}
        });
        let create = "mutation($p: String!, $y: String!) { createWorkflow(project: $p, yaml: $y) { name } }";
        let yaml = serde_yaml::to_string(&workflow).unwrap();
        w.api.graphql(&admin, create, json!({"p": project, "y": yaml})).await;
        let run_now = "mutation($p: String!, $w: String!) { runWorkflow(project: $p, workflow: $w) { name } }";
        let started = w.api.graphql(&admin, run_now, json!({"p": project, "w": "checkout"})).await;
        let run = started["runWorkflow"]["name"].as_str().expect("a run").to_string();
        let finished = wait_run_finished(&client, &pns, &run, WAIT).await;
        let uid = finished.metadata.uid.clone().unwrap();
        let status = finished.status.clone().unwrap();
        assert_eq!(status.phase, Some(RunPhase::Failed), "the probe failed the step: {status:#?}");
        assert!(has_no_secret(&serde_json::to_string(&status).unwrap()), "no secret in the status: {status:#?}");

        // the log, as a member reads it: the probe's output (redacted) and the operator's lines about the run
        let lines = wait_for(WAIT, "the run's log with the probe's output and the run's end", || async {
            let lines = log_lines(&w.api, &viewer_token, &project, &run).await;
            let text = lines.join("\n");
            (text.contains(MARKER) && text.contains("run finished Failed")).then_some(lines)
        })
        .await;
        let text = lines.join("\n");
        assert!(has_no_secret(&text), "a secret in the log:\n{text}");
        for expected in [
            format!("OUTPUT [cart-up] {MARKER}"),
            "OUTPUT [cart-up] connecting to checkout with token=[redacted]".to_string(),
            "OUTPUT [cart-up] Authorization: [redacted]".to_string(),
            "OUTPUT [cart-up] password=[redacted]".to_string(),
            "INFO  cmd probe Job created".to_string(),
            "INFO  run started".to_string(),
            "WARN  step kill: probe cart-up failed: the command failed".to_string(),
            "WARN  run finished Failed".to_string(),
        ] {
            assert!(text.contains(&expected), "{expected:?} is not in the log:\n{text}");
        }
        // every line: a time, a level, the text
        for line in &lines {
            let at = line.split(' ').next().unwrap_or_default();
            assert!(at.parse::<jiff::Timestamp>().is_ok(), "a line without its time: {line}");
        }
        // members only, like the run itself
        let (_, denied) = w.api.graphql_raw(&outsider_token, LOGS, json!({"p": project, "n": run})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "{denied}");

        // in the cluster: the run's ChaosRunLog, owned by the run; the status holds no log
        let logs: Api<ChaosRunLog> = Api::namespaced(client.clone(), &pns);
        let object = logs.get(&run).await.expect("the run's ChaosRunLog");
        assert_eq!(object.spec.run_uid, uid);
        let owner = &object.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!((owner.kind.as_str(), owner.uid.as_str()), ("ChaosWorkflowRun", uid.as_str()));
        assert!(has_no_secret(&serde_json::to_string(&object).unwrap()));

        // the operator's own output: JSON, every line about the run carrying its uid; the probe's output
        // and its secrets are not in it
        let output = operator.logs();
        assert!(has_no_secret(&output), "a secret in the operator's output");
        assert!(
            !output.contains("connecting to checkout") && !output.contains(OUTPUT_TARGET),
            "the probe's output is the run log's only"
        );
        let mut about = 0;
        for line in output.lines().filter(|l| l.contains(&run)) {
            let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            let spans = entry["spans"].as_array().cloned().unwrap_or_default();
            let carried = entry["fields"]["uid"] == uid.as_str()
                || spans.iter().any(|s| s["name"] == "run" && s["uid"] == uid.as_str());
            assert!(carried, "a line about run {run} without its uid {uid}: {line}");
            about += 1;
        }
        assert!(about >= 5, "the operator logged {about} lines about the run:\n{output}");

        // the run is deleted from the cluster: its ChaosRunLog goes with it, the history keeps the log
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &pns);
        runs.delete(&run, &DeleteParams::background()).await.unwrap();
        wait_for(WAIT, "the run's ChaosRunLog to be collected with the run", || async {
            logs.get_opt(&run).await.ok()?.is_none().then_some(())
        })
        .await;
        let detail = "query($p: String!, $n: String!) { run(project: $p, name: $n) { deleted } }";
        wait_for(WAIT, "the run marked deleted in the history", || async {
            let data = w.api.graphql(&viewer_token, detail, json!({"p": project, "n": run})).await;
            (data["run"]["deleted"] == true).then_some(())
        })
        .await;
        let kept = log_lines(&w.api, &viewer_token, &project, &run).await.join("\n");
        assert!(kept.contains(&format!("OUTPUT [cart-up] {MARKER}")), "the log after the run was deleted:\n{kept}");
        assert!(kept.contains("run finished Failed"), "{kept}");
        assert!(has_no_secret(&kept));
        let _ = std::fs::remove_file(kubeconfig);
        assert!(operator.stop(), "the project's operator stopped cleanly");
    })
    .await;
}
