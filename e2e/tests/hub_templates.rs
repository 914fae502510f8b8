//! A hub's catalogue put to use: a git repository holding both layouts (ChaosCenter's own templates and a
//! Litmus chaos-charts tree) syncs into ChaosTemplates that kubectl lists with category and support, a
//! template filled in through its parameters runs green against a real app, and a Litmus experiment
//! imported with `chaoscenter import litmus` (a pod-delete step, an http and a cmd probe) runs green too,
//! while an unsupported fault is reported, not dropped silently.

use chaoscenter_crds::run::RunPhase;
use chaoscenter_crds::template::HUB_LABEL;
use chaoscenter_crds::ChaosTemplate;
use chaoscenter_e2e::git::{condition, files_under, git_hub, scratch, wait_hub, GitServer, Repo};
use chaoscenter_e2e::*;
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::time::Duration;

/// A template in ChaosCenter's own layout: a pod-delete of app `web` checked by a k8s probe, its target
/// and probe namespaces and its duration as parameters.
const WEB_TEMPLATE: &str = r#"apiVersion: chaoscenter.io/v1alpha1
kind: ChaosWorkflow
metadata:
  name: web-pod-delete
  annotations:
    hub.chaoscenter.io/display-name: Web pod delete
    hub.chaoscenter.io/description: Deletes one web pod; its Deployment brings it back
    hub.chaoscenter.io/category: kubernetes
    hub.chaoscenter.io/parameters: |
      - {name: namespace, description: the app's namespace, field: "steps[0].fault.target.namespace"}
      - {name: probe-namespace, description: where the probe counts pods, field: "steps[0].probes[0].k8s.namespace"}
      - {name: duration, description: how long the chaos lasts, field: "steps[0].fault.duration"}
spec:
  maxDuration: 5m
  steps:
    - name: delete-a-web-pod
      fault:
        type: pod-delete
        duration: 10s
        target: {namespace: demo, selector: {matchLabels: {app: web}}, mode: one}
        params: {gracePeriodSeconds: 1}
      probes:
        - name: web-pods-back
          type: k8s
          mode: EOT
          k8s: {apiVersion: v1, kind: Pod, namespace: demo, labelSelector: app=web, operation: present}
          runProperties: {timeout: 5s, attempts: 10}
"#;

/// Sets `value` at a template parameter's `field` (`steps[0].fault.duration`) of `workflow`.
fn set_field(workflow: &mut Value, field: &str, value: &str) {
    let mut at = workflow;
    for part in field.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        at = &mut at[key];
        if let Some(i) = index {
            at = &mut at[i];
        }
    }
    *at = Value::String(value.into());
}

#[tokio::test]
async fn a_hub_of_both_layouts_lists_its_templates_and_one_runs_green() {
    with_namespace("hub-tpl", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "web", 2).await;
        let root = scratch(&ns, "repos");
        let repo = Repo::init(&root, "catalogue");
        let charts = repo_root().join("hub/tests/fixtures/chaos-charts");
        let mut files: Vec<(String, Vec<u8>)> =
            files_under(&charts).into_iter().map(|(p, c)| (format!("litmus/{p}"), c)).collect();
        files.push(("templates/web-pod-delete.yaml".into(), WEB_TEMPLATE.as_bytes().to_vec()));
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
        let revision = repo.commit("a catalogue", &refs);
        let server = GitServer::start(&root, None).await;
        let cache = scratch(&ns, "cache");
        let _operator = Operator::start_with(
            &ns,
            &[
                ("HUB_CACHE_DIR", cache.to_str().unwrap()),
                ("SSL_CERT_FILE", server.ca_file.to_str().unwrap()),
            ],
        );
        // the chaos-charts tree in a folder of its own, ChaosCenter's templates in another
        git_hub(&client, &ns, "charts", &server.url("catalogue"), Some("litmus"), None).await;
        git_hub(&client, &ns, "own", &server.url("catalogue"), Some("templates"), None).await;
        for hub in ["charts", "own"] {
            let synced = wait_hub(&client, &ns, hub, "the hub synced", |h| {
                condition(h, "Synced").is_some_and(|c| c.status == chaoscenter_crds::ConditionStatus::True)
            })
            .await;
            assert_eq!(synced.status.as_ref().unwrap().revision.as_deref(), Some(revision.as_str()));
        }
        let templates: Api<ChaosTemplate> = Api::namespaced(client.clone(), &ns);
        let of = |hub: &str| ListParams::default().labels(&format!("{HUB_LABEL}={hub}"));
        let charts = templates.list(&of("charts")).await.unwrap().items;
        let supported: Vec<&str> =
            charts.iter().filter(|t| t.spec.supported).map(|t| t.spec.name.as_str()).collect();
        let unsupported: Vec<(&str, &str)> = charts
            .iter()
            .filter(|t| !t.spec.supported)
            .map(|t| (t.spec.name.as_str(), t.spec.reason.as_deref().unwrap_or_default()))
            .collect();
        eprintln!("charts hub: supported {supported:?}; not supported {unsupported:?}");
        assert!(
            supported.contains(&"pod-delete") && supported.contains(&"pod-network-latency"),
            "{supported:?}"
        );
        assert!(unsupported.iter().any(|(n, why)| n.contains("ec2") && !why.is_empty()), "{unsupported:?}");
        let out = kubectl().args(["get", "chaostemplates", "-n", &ns]).output().unwrap();
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(listing.contains("CATEGORY") && listing.contains("SUPPORTED"), "{listing}");
        assert!(listing.contains("kubernetes") && listing.contains("false"), "{listing}");

        // the template, its parameters filled in, as the UI's "create workflow from template" does
        let own = templates.list(&of("own")).await.unwrap().items;
        let template = own.iter().find(|t| t.spec.name == "web-pod-delete").expect("the own template");
        assert_eq!(template.spec.category, "kubernetes");
        assert_eq!(template.spec.parameters.len(), 3, "{:?}", template.spec.parameters);
        let mut workflow = serde_json::to_value(template.spec.workflow.as_ref().unwrap()).unwrap();
        for p in &template.spec.parameters {
            let value = if p.name == "duration" { "8s".to_string() } else { ns.clone() };
            set_field(&mut workflow, &p.field, &value);
        }
        create_workflow(&client, &ns, "from-template", workflow).await;
        let run = create_run(&client, &ns, "from-template", false).await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(180)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");
        assert_eq!(status.steps[0].targets.len(), 1, "one web pod deleted: {status:#?}");
        server.stop();
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn a_litmus_experiment_imports_into_a_workflow_that_runs_green() {
    with_namespace("hub-import", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        let url = web_app(&client, &ns, "web", 2).await;
        let _operator = Operator::start(&ns);
        let (image, _) = busybox_image();
        // Litmus's own format (the fixture an export of Litmus 3 looks like), pointed at this test's app: its
        // namespace, the Service's address (this cluster has no DNS for Services), an image it has
        let fixture =
            std::fs::read_to_string(repo_root().join("hub/tests/fixtures/litmus/web-pod-delete.yaml"))
                .unwrap();
        let experiment = fixture
            .replace("value: demo", &format!("value: {ns}"))
            .replace("http://web.demo.svc/", &url)
            .replace("busybox:1.36", &image);
        let dir = chaoscenter_e2e::git::scratch(&ns, "import");
        let file = dir.join("experiment.yaml");
        std::fs::write(&file, experiment).unwrap();
        let out = std::process::Command::new(workspace_binary("chaoscenter"))
            .args(["import", "litmus"])
            .arg(&file)
            .output()
            .unwrap();
        let (yaml, report) = (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        );
        eprintln!("import report:\n{report}");
        assert!(out.status.success(), "{report}");
        let apply = kubectl()
            .args(["apply", "-n", &ns, "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(yaml.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert!(apply.status.success(), "{}\n{yaml}", String::from_utf8_lossy(&apply.stderr));
        let workflow: Value = serde_yaml::from_str(&yaml).unwrap();
        let name = workflow["metadata"]["name"].as_str().unwrap().to_string();
        let probes: Vec<&str> = workflow["spec"]["steps"][0]["probes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["type"].as_str())
            .collect();
        assert_eq!(probes, ["http", "cmd"], "{yaml}");
        let run = create_run(&client, &ns, &name, false).await;
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(240)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Succeeded), "{status:#?}");

        // a fault ChaosCenter cannot do is reported with its reason, not silently dropped
        let mixed = repo_root().join("hub/tests/fixtures/litmus/mixed-dag.yaml");
        let out = std::process::Command::new(workspace_binary("chaoscenter"))
            .args(["import", "litmus"])
            .arg(&mixed)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stderr);
        assert!(report.contains("kubelet-service-kill"), "{report}");
        assert!(report.to_lowercase().contains("dropped"), "{report}");
        delete_project(&client, &ns).await;
    })
    .await;
}
