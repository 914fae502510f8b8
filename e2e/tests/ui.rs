//! The web UI end to end: Playwright drives Debian's Chromium through sign-in, administration (a project,
//! a user, a membership), a workflow made in the form, a run watched to Succeeded, a run aborted and a
//! Viewer's read-only view, hubs (the built-in hub's catalogue, a workflow from one of its templates, a
//! git hub whose failed sync shows), a run's Logs tab with its failing cmd probe's output (also after the run
//! was deleted), against the real apiserver (serving ui/dist), operator, cluster and MongoDB;
//! then the cluster is checked for what the browser did.

use chaoscenter_crds::access::project_namespace;
use chaoscenter_crds::common::PROJECT_LABEL;
use chaoscenter_crds::run::RunPhase;
use chaoscenter_crds::{ChaosHub, ChaosWorkflow, ChaosWorkflowRun, Project};
use chaoscenter_e2e::access::{wait_impersonable, wait_user_ready, with_access};
use chaoscenter_e2e::{
    busybox_image, create_workflow, opt_in_namespace, repo_root, wait_for, web_app, Operator,
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use kube::ResourceExt;
use std::time::Duration;

/// The workflow whose cmd probe fails: its run's Logs tab shows the probe's output, never the secret it
/// printed, also after the run was deleted (with the workflow, in the browser).
const PROBE_WORKFLOW: &str = "checkout-probe";
const PROBE_MARKER: &str = "probe-marker: checkout is down";
const PROBE_SECRET: &str = "cc-ui-secret-8b3e0c51";

fn failing_probe_workflow(target_ns: &str) -> serde_json::Value {
    let (image, _) = busybox_image();
    let script = format!("echo \"login with password={PROBE_SECRET}\"; echo \"{PROBE_MARKER}\"; exit 1");
    serde_json::json!({"steps": [{"name": "kill", "fault": {
        "type": "pod-delete", "duration": "5s", "params": {"gracePeriodSeconds": 1},
        "target": {"namespace": target_ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}},
        "probes": [{"name": "cart-up", "type": "cmd", "mode": "SOT",
            "cmd": {"image": image, "command": ["sh", "-c", script],
                    "comparator": {"type": "string", "criteria": "equal", "value": "ok"}},
            "runProperties": {"timeout": "60s"}}]}]})
}

#[tokio::test]
async fn the_web_ui_works_end_to_end_in_chromium() {
    let ui = repo_root().join("ui");
    let dist = ui.join("dist");
    assert!(dist.join("index.html").is_file(), "the UI is not built: run e2e/ui.sh build (make test does)");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(std::path::Path::new(&chromium).is_file(), "no Chromium at {chromium}: run e2e/deps.sh");
    let dist = dist.to_str().unwrap().to_string();
    with_access("ui", &[("UI_DIR", &dist)], |w| async move {
        let w = w;
        let client = w.client.clone();
        // the admin signs in for the first time in the browser; here only wait until they could
        wait_user_ready(&client, &w.admin).await;
        wait_impersonable(&client, &w.admin).await;
        // a namespace the project may target (it names the project the admin will create), with a web app
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let suffix = w.ns.rsplit('-').next().unwrap().to_string();
        let project = format!("ui-{suffix}");
        opt_in_namespace(&client, &w.ns, &project).await;
        web_app(&client, &w.ns, "web", 2).await;
        // the admin creates the project in the browser; its operator starts once the project's namespace
        // exists (an operator creates its own namespace when missing, which the project would refuse)
        let pns = project_namespace(&project);
        let operator = tokio::spawn({
            let (namespaces, pns, client, target) = (namespaces.clone(), pns.clone(), client.clone(), w.ns.clone());
            async move {
                wait_for(Duration::from_secs(300), "the project's namespace", || async {
                    let ns = namespaces.get_opt(&pns).await.ok()??;
                    ns.labels().contains_key(PROJECT_LABEL).then_some(())
                })
                .await;
                // a workflow whose cmd probe fails, printing a secret and then why (applied as GitOps would)
                create_workflow(&client, &pns, PROBE_WORKFLOW, failing_probe_workflow(&target)).await;
                Operator::start(&pns)
            }
        });

        let viewer = format!("vi-{suffix}");
        let artifacts = repo_root().join("e2e/artifacts/ui");
        std::fs::create_dir_all(&artifacts).unwrap();
        let output = tokio::process::Command::new("npx")
            .args(["--no-install", "playwright", "test", "-c", "e2e/playwright.config.ts"])
            .current_dir(&ui)
            .env("CC_URL", &w.api.url)
            .env("CC_ADMIN", &w.admin)
            .env("CC_ADMIN_PASSWORD", &w.admin_password)
            .env("CC_PROJECT", &project)
            .env("CC_TARGET_NAMESPACE", &w.ns)
            .env("CC_VIEWER", &viewer)
            .env("CC_PROBE_WORKFLOW", PROBE_WORKFLOW)
            .env("CC_PROBE_MARKER", PROBE_MARKER)
            .env("CC_PROBE_SECRET", PROBE_SECRET)
            .env("CC_ARTIFACTS", &artifacts)
            .env("CHROMIUM", &chromium)
            .output()
            .await
            .expect("run npx playwright (make test runs e2e/ui.sh first, which installs it)");
        let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        std::fs::write(artifacts.join("playwright.log"), &log).unwrap();
        assert!(operator.is_finished(), "the browser never created the project:\n{log}");
        let mut operator = operator.await.expect("the project's operator started");
        assert!(
            output.status.success(),
            "the Playwright test failed (screenshots and traces in {}):\n{log}\n--- apiserver ---\n{}\n--- operator ---\n{}",
            artifacts.display(),
            w.api.logs(),
            operator.logs()
        );

        // what the browser did is what the cluster holds
        let member = Api::<Project>::all(client.clone()).get(&project).await.unwrap();
        assert_eq!(member.spec.target_namespaces, vec![w.ns.clone()], "the project made in the form");
        assert!(member.spec.members.iter().any(|m| m.user == w.admin), "its creator is a member");
        assert!(
            member.spec.members.iter().any(|m| m.user == viewer && format!("{:?}", m.role) == "Viewer"),
            "{viewer} is a Viewer of {project}: {:?}",
            member.spec.members
        );
        let workflows = Api::<ChaosWorkflow>::namespaced(client.clone(), &pns).list(&Default::default()).await.unwrap();
        let workflow = workflows
            .items
            .iter()
            .find(|wf| wf.name_any() == "web-pod-delete")
            .expect("the workflow made in the form");
        assert_eq!(workflow.spec.steps[0].fault.target.namespace.as_deref(), Some(w.ns.as_str()));
        // the catalogue: a workflow made from a template of the built-in hub, and the hub added in the form
        // with its credential as a Secret's name only
        let from_template = workflows
            .items
            .iter()
            .find(|wf| wf.name_any() == "from-template")
            .expect("the workflow made from a hub template");
        assert!(!from_template.spec.steps.is_empty(), "the template's steps were carried into the form");
        let hubs = Api::<ChaosHub>::namespaced(client.clone(), &pns);
        let broken = hubs.get("unreachable").await.expect("the hub added in the form");
        let git = broken.spec.git.as_ref().expect("a git hub");
        assert_eq!(git.url, "https://127.0.0.1:9/charts.git");
        assert_eq!(git.secret_ref.as_ref().map(|r| r.name.as_str()), Some("no-such-secret"));
        let synced = broken.status.iter().flat_map(|s| &s.conditions).find(|c| c.type_ == "Synced");
        assert!(
            synced.is_some_and(|c| format!("{:?}", c.status) == "False" && !c.message.is_empty()),
            "the unreachable hub says why it did not sync: {synced:?}"
        );
        let runs = Api::<ChaosWorkflowRun>::namespaced(client.clone(), &pns).list(&Default::default()).await.unwrap();
        let phases: Vec<_> = runs.items.iter().filter_map(|r| r.status.as_ref()?.phase).collect();
        assert!(phases.contains(&RunPhase::Succeeded), "one run Succeeded: {phases:?}");
        assert!(phases.contains(&RunPhase::Aborted), "one run was aborted: {phases:?}");
        let scored = runs.items.iter().filter_map(|r| r.status.as_ref()?.resiliency_score).count();
        assert!(scored >= 1, "the succeeded run has a score");
        assert!(operator.stop(), "the project's operator stopped cleanly");
    })
    .await;
}
