//! e2e: the admission webhook on the real cluster — runs that cannot be retargeted, invalid definitions
//! refused at `kubectl apply`, the real author of every write (in the CR, the history and the audit log,
//! whatever field manager the client claims), triggers from who asks, the preview label only on the
//! apiserver's previews, and a certificate rotation that refuses no valid request.

use chaoscenter_crds::access::project_namespace;
use chaoscenter_crds::common::{
    AUTHOR_ANNOTATION, CHAOS_OPT_IN_LABEL, CHAOS_OPT_IN_VALUE, CHAOS_PROJECTS_ANNOTATION, PREVIEW_LABEL,
};
use chaoscenter_e2e::access::{
    admin_token, free_webhook_addr, install_webhook, kubectl_as, new_user, wait_webhook_stamps, webhook_env,
    with_access, with_access_settings, AccessWorld, SCOPE_LABEL,
};
use chaoscenter_e2e::{chaos_api, kubectl, kubectl_stdin, wait_for, web_app, Operator};
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(90);
/// One webhook configuration name for the whole cluster: the tests take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn unique(w: &AccessWorld, base: &str) -> String {
    format!("{base}-{}", w.ns.rsplit('-').next().unwrap())
}

fn workflow(w: &AccessWorld, ns: &str, name: &str, target_ns: &str, duration: &str) -> Value {
    json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
        "metadata": {"name": name, "namespace": ns, "labels": {SCOPE_LABEL: w.ns}},
        "spec": {"steps": [{"name": "kill", "fault": {"type": "pod-delete", "duration": duration, "interval": "20s",
            "target": {"namespace": target_ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}}}]}
    })
}

fn run(w: &AccessWorld, ns: &str, name: &str, workflow: &str, trigger: &str) -> Value {
    json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
        "metadata": {"name": name, "namespace": ns, "labels": {SCOPE_LABEL: w.ns}},
        "spec": {"workflowRef": {"name": workflow}, "trigger": trigger}
    })
}

/// A project with target namespace `w.ns` (opted in for it, with a web app), and an Editor `bob`.
async fn project_with_editor(w: &AccessWorld, admin: &str) -> (String, String) {
    let project = unique(w, "hook");
    let (status, body) = w
        .api
        .call(
            "POST",
            "/auth/projects",
            Some(admin),
            Some(json!({"name": project, "targetNamespaces": [w.ns]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let bob = unique(w, "bob");
    new_user(w, admin, &bob, "bob-password-1").await;
    let (status, body) = w
        .api
        .call(
            "POST",
            &format!("/auth/projects/{project}/members"),
            Some(admin),
            Some(json!({"user": bob, "role": "Editor"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let bindings: Api<RoleBinding> = Api::namespaced(w.client.clone(), &project_namespace(&project));
    wait_for(WAIT, "bob's binding in the project", || async {
        bindings.get_opt(&chaoscenter_crds::access::member_binding(&bob)).await.ok()?
    })
    .await;
    let opt_in = json!({"metadata": {"labels": {CHAOS_OPT_IN_LABEL: CHAOS_OPT_IN_VALUE},
        "annotations": {CHAOS_PROJECTS_ANNOTATION: project}}});
    Api::<Namespace>::all(w.client.clone())
        .patch(&w.ns, &PatchParams::default(), &Patch::Merge(&opt_in))
        .await
        .unwrap();
    web_app(&w.client, &w.ns, "web", 2).await;
    (project, bob)
}

fn annotation(obj: &kube::api::DynamicObject, key: &str) -> Option<String> {
    obj.metadata.annotations.as_ref()?.get(key).cloned()
}

#[tokio::test]
async fn runs_cannot_be_retargeted_and_every_write_names_its_real_author() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = free_webhook_addr();
    let env = webhook_env(&addr);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // this test's webhook sees only the objects labelled for it (other tests share the cluster), so every
    // write in its project is one it can stamp; the built-in hub the operator would create for the
    // project carries no such label, so none is created here (BUILTIN_HUB=false)
    with_access_settings("hook-authors", &[("BUILTIN_HUB", "false")], &env, |w| async move {
        let _webhook = install_webhook(&w.client, &addr, &w.ns).await;
        let admin = admin_token(&w).await;
        let (project, bob) = project_with_editor(&w, &admin).await;
        let pns = project_namespace(&project);
        wait_webhook_stamps(&w.client, &w.ns, &pns).await;
        let as_bob = format!("chaoscenter:{bob}");
        // the access world's operator reconciles projects and users; this one runs the project's runs
        let mut runner = Operator::start(&pns);

        // an out-of-range duration is refused at apply, naming the field and the limit
        let (ok, out) = kubectl_stdin(Some(&as_bob), &["apply", "-f", "-"], &workflow(&w, &pns, "too-long", &w.ns, "1000h"));
        assert!(!ok, "{out}");
        assert!(out.contains("denied the request") && out.contains("spec.steps[0].fault.duration"), "{out}");
        assert!(out.contains("maxDuration (30m)"), "the limit is named: {out}");

        // bob's workflow and run carry bob as their author; he may not claim a schedule
        let (ok, out) = kubectl_stdin(Some(&as_bob), &["apply", "-f", "-"], &workflow(&w, &pns, "kill-web", &w.ns, "10m"));
        assert!(ok, "{out}");
        let wfs = chaos_api(&w.client, "ChaosWorkflow", &pns);
        assert_eq!(annotation(&wfs.get("kill-web").await.unwrap(), AUTHOR_ANNOTATION).as_deref(), Some(as_bob.as_str()));

        // the preview label is the apiserver's: bob may set it neither on a real run nor on a dry run
        // (it would keep the run out of the history); the UI's previews, through the apiserver, still work
        for dry_run in [false, true] {
            let mut labelled = run(&w, &pns, "not-a-preview", "kill-web", "Manual");
            labelled["metadata"]["labels"][PREVIEW_LABEL] = json!("true");
            labelled["spec"]["dryRun"] = json!(dry_run);
            let (ok, out) = kubectl_stdin(Some(&as_bob), &["create", "-f", "-"], &labelled);
            assert!(!ok, "{out}");
            assert!(out.contains(&format!("metadata.labels[{PREVIEW_LABEL}]")), "the refusal names the label: {out}");
        }
        let preview = "mutation($p: String!, $s: JSON) { dryRunWorkflow(project: $p, workflow: \"draft\", spec: $s) { run { name } } }";
        let spec = json!({"steps": [{"name": "kill", "fault": {"type": "pod-delete", "duration": "5s",
            "target": {"namespace": w.ns, "selector": {"matchLabels": {"app": "web"}}}}}]});
        let data = w.api.graphql(&admin, preview, json!({"p": project, "s": spec})).await;
        let previewed = data["dryRunWorkflow"]["run"]["name"].as_str().unwrap().to_string();
        let runs = chaos_api(&w.client, "ChaosWorkflowRun", &pns);
        let made = runs.get(&previewed).await.unwrap();
        assert!(made.metadata.labels.unwrap_or_default().contains_key(PREVIEW_LABEL), "a preview, labelled");

        // bob's run carries bob as its author too
        let (ok, out) = kubectl_stdin(Some(&as_bob), &["create", "-f", "-"], &run(&w, &pns, "bobs-run", "kill-web", "Schedule"));
        assert!(ok, "{out}");
        let created = runs.get("bobs-run").await.unwrap();
        assert_eq!(annotation(&created, AUTHOR_ANNOTATION).as_deref(), Some(as_bob.as_str()));
        assert_eq!(created.data["spec"]["trigger"], "Manual", "only the operator may say Schedule");
        assert_eq!(
            created.data["spec"]["workflow"]["steps"][0]["fault"]["target"]["namespace"], w.ns,
            "the definition is frozen in at create"
        );
        let started = std::time::Instant::now();
        loop {
            let r = runs.get("bobs-run").await.unwrap();
            if r.data["status"]["phase"] == "Running" {
                break;
            }
            assert!(started.elapsed() < WAIT, "bob's run is not Running: {:#}", r.data["status"]);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // retargeting a running run is refused, for bob and for a cluster admin alike
        let retarget = json!([{"op": "replace", "path": "/spec/workflow/steps/0/fault/target/namespace", "value": "kube-system"}]);
        for user in [Some(as_bob.as_str()), None] {
            let mut args = vec!["-n", &pns, "patch", "chaosworkflowrun", "bobs-run", "--type=json"];
            let patch = retarget.to_string();
            args.extend(["-p", &patch]);
            let (ok, out) = kubectl_stdin(user, &args, &Value::Null);
            assert!(!ok, "{out}");
            assert!(
                out.contains("spec.workflow") && out.contains("spec.workflow.steps[0].fault.target.namespace"),
                "the refusal names the field: {out}"
            );
        }
        // abort: false → true is allowed, true → false is not
        let (ok, out) = kubectl_as(&bob, &["-n", &pns, "patch", "chaosworkflowrun", "bobs-run", "--type=merge", "-p", r#"{"spec":{"abort":true}}"#]);
        assert!(ok, "{out}");
        let (ok, out) = kubectl_as(&bob, &["-n", &pns, "patch", "chaosworkflowrun", "bobs-run", "--type=merge", "-p", r#"{"spec":{"abort":false}}"#]);
        assert!(!ok && out.contains("spec.abort"), "{out}");

        // a GitOps controller's run is marked GitOps
        let argo = "system:serviceaccount:argocd:argocd-application-controller";
        let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "argocd-edits", "namespace": pns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "chaoscenter:project-editor"},
            "subjects": [{"kind": "ServiceAccount", "name": "argocd-application-controller", "namespace": "argocd"}]});
        Api::<RoleBinding>::namespaced(w.client.clone(), &pns)
            .create(&PostParams::default(), &serde_json::from_value(binding).unwrap())
            .await
            .unwrap();
        let synced = wait_for(WAIT, "Argo CD's run to be created", || async {
            let (ok, out) = kubectl_stdin(Some(argo), &["create", "-f", "-"], &run(&w, &pns, "synced-run", "kill-web", "Manual"));
            ok.then_some(()).or_else(|| {
                assert!(out.contains("forbidden"), "{out}");
                None
            })?;
            runs.get("synced-run").await.ok()
        })
        .await;
        assert_eq!(synced.data["spec"]["trigger"], "GitOps");
        assert_eq!(annotation(&synced, AUTHOR_ANNOTATION).as_deref(), Some(argo));

        // an update claiming the apiserver's field manager is still bob's in the audit log
        let (ok, out) = kubectl_stdin(
            Some(&as_bob),
            &["apply", "--field-manager=chaoscenter-apiserver", "-f", "-"],
            &workflow(&w, &pns, "kill-web", &w.ns, "9m"),
        );
        assert!(ok, "{out}");

        // the history and the Activity page name bob
        let history = wait_for(WAIT, "bob's run in the history", || async {
            let data = w.api.graphql(&admin, "query($p: String!) { runs(project: $p, first: 20) { edges { node { name author trigger } } } }", json!({"p": project})).await;
            let edges = data["runs"]["edges"].as_array()?.clone();
            let node = edges.iter().map(|e| e["node"].clone()).find(|n| n["name"] == "bobs-run")?;
            (!node["author"].is_null()).then_some(edges)
        })
        .await;
        let author = |name: &str| history.iter().find(|e| e["node"]["name"] == name).map(|e| e["node"]["author"].clone());
        assert_eq!(author("bobs-run"), Some(json!(bob)));
        let entries = wait_for(WAIT, "the audit log to name bob for the kubectl writes", || async {
            let data = w.api.graphql(&admin, "query($p: String) { auditLog(project: $p, first: 100) { actor groups source action kind name } }", json!({"p": project})).await;
            let entries = data["auditLog"].as_array()?.clone();
            let has = |action: &str, kind: &str, name: &str| {
                entries.iter().any(|e| e["action"] == action && e["kind"] == kind && e["name"] == name && e["actor"] == json!(bob))
            };
            (has("create", "ChaosWorkflowRun", "bobs-run") && has("update", "ChaosWorkflow", "kill-web")).then_some(entries)
        })
        .await;
        assert!(
            entries.iter().any(|e| e["name"] == "synced-run" && e["action"] == "create" && e["actor"] == argo),
            "{entries:#?}"
        );
        assert!(
            !entries.iter().any(|e| e["actor"].as_str().is_some_and(|a| a.contains("field manager"))),
            "no entry falls back to a field manager: {entries:#?}"
        );

        // and who deleted it (the cluster admin of the kubeconfig: Editors may not delete runs)
        let out = kubectl().args(["-n", &pns, "delete", "chaosworkflowrun", "synced-run", "--wait=false"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let me = kubectl().args(["config", "view", "--minify", "-o", "jsonpath={.users[0].name}"]).output().unwrap();
        let me = String::from_utf8_lossy(&me.stdout).to_string();
        wait_for(WAIT, "the audit log to name the kubeconfig's user for the delete", || async {
            let data = w.api.graphql(&admin, "query($p: String) { auditLog(project: $p, first: 100) { actor action name } }", json!({"p": project})).await;
            data["auditLog"].as_array()?.iter().any(|e| e["action"] == "delete" && e["name"] == "synced-run" && e["actor"] == json!(me)).then_some(())
        })
        .await;
        assert!(runner.stop(), "the project's operator did not stop cleanly:\n{}", runner.logs());
    })
    .await;
}

#[tokio::test]
async fn the_certificate_rotates_without_refusing_a_valid_request_and_a_down_webhook_is_named() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = free_webhook_addr();
    let env = webhook_env(&addr);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    with_access("hook-rotate", &env, |mut w| async move {
        let webhook = install_webhook(&w.client, &addr, &w.ns).await;
        let admin = admin_token(&w).await;
        let (project, _bob) = project_with_editor(&w, &admin).await;
        let pns = project_namespace(&project);
        wait_webhook_stamps(&w.client, &w.ns, &pns).await;
        let wfs = chaos_api(&w.client, "ChaosWorkflow", &pns);
        let wf: kube::api::DynamicObject =
            serde_json::from_value(workflow(&w, &pns, "ticking", &w.ns, "30s")).unwrap();
        wfs.create(&PostParams::default(), &wf).await.unwrap();
        let secrets: Api<Secret> = Api::namespaced(w.client.clone(), &w.ns);
        let ca = |s: Secret| s.data.and_then(|d| d.get("ca.crt").cloned()).map(|b| b.0);
        let old_ca = ca(secrets.get("chaoscenter-webhook-tls").await.unwrap());

        // writes every 100 ms, each through both webhooks, while the certificate is replaced
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let writer = {
            let wfs = wfs.clone();
            tokio::spawn(async move {
                let (mut ok, mut refused) = (0u32, Vec::new());
                let mut n = 0u32;
                while !*stop_rx.borrow() {
                    n += 1;
                    let tick = json!({"metadata": {"labels": {"tick": n.to_string()}}});
                    match wfs.patch("ticking", &PatchParams::default(), &Patch::Merge(&tick)).await {
                        Ok(_) => ok += 1,
                        Err(e) => refused.push(e.to_string()),
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                (ok, refused)
            })
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        secrets.delete("chaoscenter-webhook-tls", &DeleteParams::default()).await.unwrap();
        let new_ca = wait_for(WAIT, "a new CA in the Secret", || async {
            let new = ca(secrets.get_opt("chaoscenter-webhook-tls").await.ok()??)?;
            (Some(&new) != old_ca.as_ref()).then_some(new)
        })
        .await;
        let configs: Api<ValidatingWebhookConfiguration> = Api::all(w.client.clone());
        wait_for(WAIT, "the new CA in the caBundle and the new certificate served", || async {
            let c = configs.get("chaoscenter-webhook").await.ok()?;
            let bundle = c.webhooks?.first()?.client_config.ca_bundle.clone()?.0;
            let served = w.api.logs().matches("webhook certificate in use").count();
            (String::from_utf8_lossy(&bundle).contains(&*String::from_utf8_lossy(&new_ca)) && served >= 2)
                .then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        stop_tx.send(true).unwrap();
        let (ok, refused) = writer.await.unwrap();
        assert!(
            refused.is_empty(),
            "{} valid writes refused during the rotation: {refused:?}",
            refused.len()
        );
        assert!(ok >= 10, "only {ok} writes went through");

        // with the webhook down, a run is refused (no run starts unchecked), naming the webhook
        w.api.stop();
        let (ok, out) =
            kubectl_stdin(None, &["create", "-f", "-"], &run(&w, &pns, "unchecked", "ticking", "Manual"));
        assert!(!ok, "{out}");
        assert!(out.contains("failed calling webhook") && out.contains("chaoscenter.io"), "{out}");
        webhook.remove().await;
        w.api.start_again(&[]).await;
    })
    .await;
}
