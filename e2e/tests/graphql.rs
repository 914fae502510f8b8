//! The GraphQL API end to end: workflows created, run, aborted and suspended through GraphQL, executed by
//! the real operator, read back from the MongoDB mirror with keyset pagination; denials for Viewers and
//! non-members; the CRs a mutation writes are the ones kubectl as the same user writes; subscriptions
//! closed when access ends; history that belongs to a project's uid; previews that are only previews; hubs
//! and their catalogue as kubectl sees them, credentials only as a Secret's name.

use chaoscenter_crds::access::project_namespace;
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun};
use chaoscenter_e2e::access::{admin_token, kubectl_as, new_user, with_access, AccessWorld};
use chaoscenter_e2e::{opt_in_namespace, wait_for, wait_run_finished, web_app, Operator};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, Patch, PatchParams};
use kube::ResourceExt;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(90);

fn workflow_yaml(name: &str, target_ns: &str, duration: &str) -> String {
    format!(
        "apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata:\n  name: {name}\nspec:\n  steps:\n    - name: kill\n      fault:\n        type: pod-delete\n        duration: {duration}\n        target:\n          namespace: {target_ns}\n          selector: {{matchLabels: {{app: web}}}}\n          mode: one\n"
    )
}

const RUNS: &str = "query($p: String!, $first: Int, $after: String, $phase: Phase) {
  runs(project: $p, first: $first, after: $after, phase: $phase) {
    edges { cursor node { uid name workflow phase trigger score createdAt deleted } }
    pageInfo { hasNextPage endCursor }
  }
}";

/// A project `<prefix>-<suffix>` made by the admin through the API, targeting the test namespace (opted in
/// for the project),
/// where a two-pod web app runs; its name and namespace once the namespace exists.
async fn project_with_web_app(w: &AccessWorld, admin: &str, prefix: &str) -> (String, String) {
    let namespaces: Api<Namespace> = Api::all(w.client.clone());
    let project = format!("{prefix}-{}", w.ns.rsplit('-').next().unwrap());
    opt_in_namespace(&w.client, &w.ns, &project).await;
    web_app(&w.client, &w.ns, "web", 2).await;
    let pns = project_namespace(&project);
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
    wait_for(WAIT, "the project namespace", || async { namespaces.get_opt(&pns).await.ok()? }).await;
    (project, pns)
}

fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default().to_string()
}

/// Waits until the mirror shows run `name` in `phase`.
async fn mirrored_run(w: &AccessWorld, token: &str, project: &str, name: &str, phase: &str) -> Value {
    wait_for(WAIT, &format!("run {name} {phase} in the history"), || async {
        let data = w.api.graphql(token, RUNS, json!({"p": project, "first": 100})).await;
        data["runs"]["edges"]
            .as_array()?
            .iter()
            .map(|e| e["node"].clone())
            .find(|n| n["name"] == name && n["phase"] == phase)
    })
    .await
}

use chaoscenter_e2e::graphql_ws::Socket;

/// Opens a graphql-transport-ws subscription signed in with `token`.
async fn subscribe(w: &AccessWorld, token: &str, query: &str, variables: Value) -> Socket {
    chaoscenter_e2e::graphql_ws::subscribe(&w.api.url, token, query, variables).await.expect("subscribed")
}

/// The next protocol message (pings are answered by the library), within the test's patience.
async fn next_message(socket: &mut Socket) -> Value {
    chaoscenter_e2e::graphql_ws::next_message(socket, WAIT)
        .await
        .expect("a message in time on an open socket")
}

#[tokio::test]
async fn workflows_run_through_graphql_and_history_pages_by_cursor() {
    with_access("graphql", &[], |w| async move {
        let mut w = w;
        let client = w.client.clone();
        let admin = admin_token(&w).await;
        // the project targets the test namespace (opted in), where a web app runs
        let (project, pns) = project_with_web_app(&w, &admin, "gql").await;
        // an operator for the project's namespace, where its workflows and runs live
        let mut operator = Operator::start(&pns);
        let suffix = w.ns.rsplit('-').next().unwrap().to_string();
        let (editor, viewer, outsider) = (format!("ed-{suffix}"), format!("vi-{suffix}"), format!("out-{suffix}"));
        let editor_token = new_user(&w, &admin, &editor, "editor-password-1").await;
        let viewer_token = new_user(&w, &admin, &viewer, "viewer-password-1").await;
        let outsider_token = new_user(&w, &admin, &outsider, "outsider-password-1").await;
        for (user, role) in [(&editor, "Editor"), (&viewer, "Viewer")] {
            let (status, body) = w
                .api
                .call("POST", &format!("/auth/projects/{project}/members"), Some(&admin), Some(json!({"user": user, "role": role})))
                .await;
            assert_eq!(status, 200, "{body}");
        }
        let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> = Api::namespaced(client.clone(), &pns);
        wait_for(WAIT, "the members' bindings", || async {
            let list = bindings.list(&Default::default()).await.ok()?;
            (list.items.len() >= 3).then_some(())
        })
        .await;

        // create: the Editor may, the Viewer may not, a bad definition is named
        let create = "mutation($p: String!, $y: String!) { createWorkflow(project: $p, yaml: $y) { name namespace } }";
        let data = w.api.graphql(&editor_token, create, json!({"p": project, "y": workflow_yaml("kill-one", &w.ns, "1s")})).await;
        assert_eq!(data["createWorkflow"]["namespace"], pns.as_str());
        let (_, denied) = w.api.graphql_raw(&viewer_token, create, json!({"p": project, "y": workflow_yaml("nope", &w.ns, "1s")})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "{denied}");
        let (_, bad) = w.api.graphql_raw(&editor_token, create, json!({"p": project, "y": "kind: ChaosWorkflow\nmetadata: {name: x}\nspec: {steps: 3}"})).await;
        assert_eq!(code(&bad), "BAD_INPUT", "{bad}");
        assert!(bad["errors"][0]["message"].as_str().unwrap().contains("steps"), "{bad}");
        let (_, invalid) = w
            .api
            .graphql_raw(&editor_token, create, json!({"p": project, "y": workflow_yaml("bad-duration", &w.ns, "soon")}))
            .await;
        assert_eq!(code(&invalid), "INVALID", "the API server's validation, named: {invalid}");
        // a non-member sees nothing, not even whether the project exists
        let (_, hidden) = w.api.graphql_raw(&outsider_token, RUNS, json!({"p": project})).await;
        assert_eq!(code(&hidden), "FORBIDDEN", "{hidden}");
        let (_, ghost) = w.api.graphql_raw(&outsider_token, RUNS, json!({"p": "no-such-project"})).await;
        assert_eq!(hidden["errors"][0]["message"].as_str().unwrap().replace(&project, "X"),
                   ghost["errors"][0]["message"].as_str().unwrap().replace("no-such-project", "X"));
        let mine = w.api.graphql(&outsider_token, "{ projects { name } }", json!({})).await;
        assert_eq!(mine["projects"], json!([]));

        // a live view: subscribe to the project's runs over WebSocket before starting one
        let mut live = subscribe(&w, &viewer_token, "subscription($p: String!) { runsChanged(project: $p) { name phase score } }", json!({"p": project})).await;
        let mut refused = subscribe(&w, &outsider_token, "subscription($p: String!) { runsChanged(project: $p) { name } }", json!({"p": project})).await;
        let first = next_message(&mut refused).await;
        let denied_code = first["payload"]["errors"][0]["extensions"]["code"].as_str().or(first["payload"][0]["extensions"]["code"].as_str());
        assert_eq!(denied_code, Some("FORBIDDEN"), "a non-member cannot subscribe: {first}");

        // run now: the operator executes it; the history shows it with its score
        let run_now = "mutation($p: String!, $w: String!) { runWorkflow(project: $p, workflow: $w) { name trigger } }";
        let (_, denied) = w.api.graphql_raw(&viewer_token, run_now, json!({"p": project, "w": "kill-one"})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "a Viewer cannot run: {denied}");
        let started = w.api.graphql(&editor_token, run_now, json!({"p": project, "w": "kill-one"})).await;
        let run_name = started["runWorkflow"]["name"].as_str().unwrap().to_string();
        wait_run_finished(&client, &pns, &run_name, WAIT).await;
        let node = mirrored_run(&w, &viewer_token, &project, &run_name, "Succeeded").await;
        // the subscription saw the run progress to the end
        let mut phases = Vec::new();
        while phases.last().map(String::as_str) != Some("Succeeded") {
            let message = next_message(&mut live).await;
            assert_eq!(message["type"], "next", "{message}");
            let run = &message["payload"]["data"]["runsChanged"];
            if run["name"] == run_name.as_str() {
                phases.push(run["phase"].as_str().unwrap_or("Pending").to_string());
            }
        }
        assert!(phases.len() >= 2, "progress, not only the end: {phases:?}");
        assert_eq!((node["score"].as_f64(), node["trigger"].as_str(), node["workflow"].as_str()), (Some(100.0), Some("Manual"), Some("kill-one")));
        let detail = w
            .api
            .graphql(&viewer_token, "query($p: String!, $n: String!) { run(project: $p, name: $n) { name phase status definition events { reason message } } }", json!({"p": project, "n": run_name}))
            .await;
        assert_eq!(detail["run"]["status"]["steps"][0]["name"], "kill", "{detail}");
        assert!(detail["run"]["definition"]["steps"].is_array(), "{detail}");
        assert!(detail["run"]["events"].as_array().unwrap().iter().any(|e| e["reason"] == "Injected" || e["reason"] == "Finished"), "{detail}");

        // the same CR as kubectl: a run made by kubectl as the Editor matches the one GraphQL made
        let manifest = json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
            "metadata": {"generateName": "kill-one-", "namespace": pns}, "spec": {"workflowRef": {"name": "kill-one"}}});
        let file = std::env::temp_dir().join(format!("{}-run.json", w.ns));
        std::fs::write(&file, manifest.to_string()).unwrap();
        let (ok, out) = kubectl_as(&editor, &["create", "-f", file.to_str().unwrap(), "-o", "jsonpath={.metadata.name}"]);
        assert!(ok, "{out}");
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &pns);
        let by_kubectl_name = out.trim().to_string();
        let by_kubectl = runs.get(&by_kubectl_name).await.unwrap();
        let by_graphql = runs.get(&run_name).await.unwrap();
        let spec = |r: &ChaosWorkflowRun| {
            (r.spec.workflow_ref.name.clone(), r.spec.trigger, r.spec.dry_run, r.spec.abort)
        };
        assert_eq!(spec(&by_kubectl), spec(&by_graphql));
        wait_run_finished(&client, &pns, out.trim(), WAIT).await;

        // pagination: dry runs to page through, newest first, no overlap, no gaps
        let dry = "mutation($p: String!, $w: String!) { dryRunWorkflow(project: $p, workflow: $w) { run { name } finished plan } }";
        let mut names = vec![run_name.clone(), out.trim().to_string()];
        for _ in 0..3 {
            let data = w.api.graphql(&editor_token, dry, json!({"p": project, "w": "kill-one"})).await;
            let outcome = &data["dryRunWorkflow"];
            assert_eq!(outcome["finished"], true, "{data}");
            assert!(outcome["plan"]["steps"][0]["targets"].as_array().is_some_and(|t| !t.is_empty()), "the plan names its targets: {data}");
            let name = outcome["run"]["name"].as_str().unwrap().to_string();
            wait_run_finished(&client, &pns, &name, WAIT).await;
            names.push(name);
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        wait_for(WAIT, "all five runs in the history", || async {
            let data = w.api.graphql(&viewer_token, RUNS, json!({"p": project, "first": 100})).await;
            (data["runs"]["edges"].as_array()?.len() == 5).then_some(())
        })
        .await;
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let data = w.api.graphql(&viewer_token, RUNS, json!({"p": project, "first": 2, "after": after})).await;
            let page = &data["runs"];
            for e in page["edges"].as_array().unwrap() {
                seen.push((e["node"]["createdAt"].as_str().unwrap().to_string(), e["node"]["name"].as_str().unwrap().to_string()));
            }
            pages += 1;
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(String::from);
        }
        assert_eq!(pages, 3, "5 runs at 2 per page");
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen.iter().map(|s| &s.0).collect::<Vec<_>>(), sorted.iter().map(|s| &s.0).collect::<Vec<_>>(), "newest first");
        let mut unique: Vec<&String> = seen.iter().map(|s| &s.1).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5, "no run twice, none missing: {seen:?}");
        let (_, bad_cursor) = w.api.graphql_raw(&viewer_token, RUNS, json!({"p": project, "after": "bogus"})).await;
        assert_eq!(code(&bad_cursor), "BAD_INPUT", "{bad_cursor}");
        let succeeded = w.api.graphql(&viewer_token, RUNS, json!({"p": project, "phase": "Succeeded"})).await;
        assert!(succeeded["runs"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["phase"] == "Succeeded"));

        // abort: a long run is stopped and reverted
        w.api.graphql(&editor_token, create, json!({"p": project, "y": workflow_yaml("long", &w.ns, "60s")})).await;
        let long = w.api.graphql(&editor_token, run_now, json!({"p": project, "w": "long"})).await;
        let long_name = long["runWorkflow"]["name"].as_str().unwrap().to_string();
        wait_for(WAIT, "the long run to be running", || async {
            let r = runs.get(&long_name).await.ok()?;
            (serde_json::to_value(r.status?.phase?).ok()? == "Running").then_some(())
        })
        .await;
        let mut watching = subscribe(
            &w,
            &viewer_token,
            "subscription($p: String!, $n: String!) { runUpdated(project: $p, name: $n) { name phase } }",
            json!({"p": project, "n": long_name}),
        )
        .await;
        let abort = "mutation($p: String!, $n: String!) { abortRun(project: $p, name: $n) { name } }";
        let (_, denied) = w.api.graphql_raw(&viewer_token, abort, json!({"p": project, "n": long_name})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "{denied}");
        w.api.graphql(&editor_token, abort, json!({"p": project, "n": long_name})).await;
        let aborted = wait_run_finished(&client, &pns, &long_name, WAIT).await;
        assert_eq!(serde_json::to_value(aborted.status.unwrap().phase.unwrap()).unwrap(), "Aborted");
        mirrored_run(&w, &viewer_token, &project, &long_name, "Aborted").await;
        // the run's own subscription followed it to the end, then completed
        let mut last_phase = String::new();
        loop {
            let message = next_message(&mut watching).await;
            match message["type"].as_str() {
                Some("next") => {
                    let run = &message["payload"]["data"]["runUpdated"];
                    assert_eq!(run["name"], long_name.as_str(), "{message}");
                    last_phase = run["phase"].as_str().unwrap_or_default().to_string();
                }
                Some("complete") => break,
                other => panic!("unexpected {other:?}: {message}"),
            }
        }
        assert_eq!(last_phase, "Aborted");

        // structured input, and an update
        let structured = "mutation($p: String!, $n: String!, $s: JSON!) { createWorkflow(project: $p, name: $n, spec: $s) { name } }";
        let spec = json!({"steps": [{"name": "kill", "fault": {"type": "pod-delete", "target": {"namespace": w.ns, "selector": {"matchLabels": {"app": "web"}}}}}]});
        w.api.graphql(&editor_token, structured, json!({"p": project, "n": "from-form", "s": spec})).await;
        // a GitOps tool's label on the workflow survives an edit that does not mention labels
        let workflows_api: Api<ChaosWorkflow> = Api::namespaced(client.clone(), &pns);
        let tracked = json!({"metadata": {"labels": {"argocd.argoproj.io/instance": "shop"}}});
        workflows_api.patch("from-form", &PatchParams::default(), &Patch::Merge(&tracked)).await.unwrap();
        let update = "mutation($p: String!, $y: String!) { updateWorkflow(project: $p, yaml: $y) { name resourceVersion } }";
        w.api.graphql(&editor_token, update, json!({"p": project, "y": workflow_yaml("from-form", &w.ns, "7s")})).await;
        let updated = workflows_api.get("from-form").await.unwrap();
        assert_eq!(updated.spec.steps[0].fault.duration, "7s", "{:?}", updated.spec);
        assert_eq!(updated.labels().get("argocd.argoproj.io/instance").map(String::as_str), Some("shop"));

        // suspend / resume, and the workflow list with its last run
        let suspend = "mutation($p: String!, $w: String!, $s: Boolean!) { setSuspended(project: $p, workflow: $w, suspended: $s) { name } }";
        w.api.graphql(&editor_token, suspend, json!({"p": project, "w": "kill-one", "s": true})).await;
        let workflows: Api<ChaosWorkflow> = Api::namespaced(client.clone(), &pns);
        assert!(workflows.get("kill-one").await.unwrap().spec.suspend);
        let listed = wait_for(WAIT, "the workflow list to show the suspension", || async {
            let data = w.api.graphql(&viewer_token, "query($p: String!) { workflows(project: $p) { name suspended lastRun lastPhase } }", json!({"p": project})).await;
            let wf = data["workflows"].as_array()?.iter().find(|w| w["name"] == "kill-one")?.clone();
            (wf["suspended"] == true).then_some(wf)
        })
        .await;
        assert!(listed["lastRun"].is_string(), "{listed}");
        w.api.graphql(&editor_token, suspend, json!({"p": project, "w": "kill-one", "s": false})).await;
        assert!(!workflows.get("kill-one").await.unwrap().spec.suspend, "resumed");
        // delete: gone from the cluster, its runs stay in history
        w.api.graphql(&editor_token, "mutation($p: String!) { deleteWorkflow(project: $p, name: \"long\") }", json!({"p": project})).await;
        let after_delete = w.api.graphql(&viewer_token, RUNS, json!({"p": project, "first": 100})).await;
        assert!(after_delete["runs"]["edges"].as_array().unwrap().iter().any(|e| e["node"]["name"] == long_name.as_str()));

        // statistics, computed by the database
        let stats = w
            .api
            .graphql(&viewer_token, "query($p: String!) { statistics(project: $p) { runsByPhase { phase runs } scoreByWorkflow { workflow averageScore runs } scoreByDay { day averageScore runs } } }", json!({"p": project}))
            .await;
        let phases = &stats["statistics"]["runsByPhase"];
        let count = |phase: &str| phases.as_array().unwrap().iter().find(|p| p["phase"] == phase).map(|p| p["runs"].as_i64().unwrap());
        assert_eq!(count("Aborted"), Some(1), "{stats}");
        assert_eq!(count("Succeeded"), Some(5), "{stats}");
        let kill_one = stats["statistics"]["scoreByWorkflow"].as_array().unwrap().iter().find(|w| w["workflow"] == "kill-one").cloned().unwrap();
        assert_eq!(kill_one["averageScore"].as_f64(), Some(100.0), "{stats}");
        let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
        assert!(stats["statistics"]["scoreByDay"].as_array().unwrap().iter().any(|d| d["day"] == today.as_str()), "{stats}");

        // the audit log: the API's writes with the user, the cluster's (no webhook here) with the field
        // manager the cluster recorded, marked unverified
        let log = wait_for(WAIT, "the audit log to show the kubectl-made run", || async {
            let data = w.api.graphql(&viewer_token, "query($p: String) { auditLog(project: $p, first: 100) { at actor source action kind name } }", json!({"p": project})).await;
            let entries = data["auditLog"].as_array()?.clone();
            entries.iter().any(|e| e["source"] == "CLUSTER" && e["name"] == by_kubectl_name.as_str() && e["actor"] == "kubectl-create (field manager, unverified)").then_some(entries)
        })
        .await;
        let has = |source: &str, actor: &str, action: &str, name: &str| {
            log.iter().any(|e| e["source"] == source && e["actor"] == actor && e["action"] == action && e["name"] == name)
        };
        assert!(has("API", &editor, "run", &run_name), "{log:?}");
        assert!(has("API", &editor, "abort", &long_name), "{log:?}");
        assert!(has("API", &editor, "create", "kill-one"), "{log:?}");
        assert!(has("API", &editor, "suspend", "kill-one"), "{log:?}");
        let echoed = log.iter().any(|e| e["source"] == "CLUSTER" && e["name"] == "kill-one" && e["action"] == "create");
        assert!(!echoed, "the apiserver's own write is logged once, with its user, not again from the cluster: {log:?}");
        let (_, everything) = w.api.graphql_raw(&viewer_token, "{ auditLog { name } }", json!({})).await;
        assert_eq!(code(&everything), "FORBIDDEN", "only admins read the whole log: {everything}");
        assert!(w.api.graphql(&admin, "{ auditLog(first: 5) { name } }", json!({})).await["auditLog"].is_array());

        // three entries in one millisecond, as apiservers before the sort key (and before the project's uid)
        // wrote them, when the project was made: the next start gives them keys and the project's uid, and
        // paging one entry at a time by cursor yields the whole log, each entry once
        let audit = w.api.database().await.collection::<mongodb::bson::Document>("audit");
        let made = Api::<chaoscenter_crds::Project>::all(client.clone()).get(&project).await.unwrap();
        let made_ms = made.metadata.creation_timestamp.unwrap().0.as_millisecond();
        for n in 0..3 {
            let legacy = mongodb::bson::doc! {"atMs": made_ms, "actor": "old", "source": "Api",
                "action": "run", "kind": "ChaosWorkflowRun", "name": format!("legacy-{n}"), "project": &project};
            audit.insert_one(legacy).await.unwrap();
        }
        w.api.restart(&[]).await;
        let names = |entries: &Value| -> Vec<String> {
            entries.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
        };
        let whole = names(&w.api.graphql(&viewer_token, "query($p: String) { auditLog(project: $p, first: 100) { name } }", json!({"p": project})).await["auditLog"]);
        let page = "query($p: String, $a: String) { auditLog(project: $p, first: 1, after: $a) { name cursor } }";
        let (mut paged, mut after) = (Vec::new(), Value::Null);
        loop {
            let data = w.api.graphql(&viewer_token, page, json!({"p": project, "a": after})).await;
            let Some(entry) = data["auditLog"].as_array().unwrap().first().cloned() else { break };
            paged.push(entry["name"].as_str().unwrap().to_string());
            after = entry["cursor"].clone();
        }
        assert_eq!(paged, whole, "paging by cursor neither skips nor repeats");
        assert_eq!(&whole[whole.len() - 3..], ["legacy-2", "legacy-1", "legacy-0"], "oldest last: {whole:?}");
        let (_, both) = w.api.graphql_raw(&viewer_token, "query($p: String) { auditLog(project: $p, before: \"2026-01-01T00:00:00Z\", after: \"x\") { name } }", json!({"p": project})).await;
        assert_eq!(code(&both), "BAD_INPUT", "{both}");

        // limits: no introspection here, and a query too costly is refused with a clear error
        let (_, intro) = w.api.graphql_raw(&viewer_token, "{ __schema { queryType { name } } }", json!({})).await;
        assert!(intro["data"].to_string().find("Query").is_none(), "{intro}");
        let costly = format!("{{ {} }}", (0..7).map(|i| format!("r{i}: runs(project: \"{project}\", first: 100) {{ edges {{ cursor node {{ uid name workflow phase trigger score createdAt deleted }} }} pageInfo {{ hasNextPage endCursor }} }}")).collect::<Vec<_>>().join(" "));
        let (_, refused) = w.api.graphql_raw(&viewer_token, &costly, json!({})).await;
        assert!(refused["errors"][0]["message"].as_str().unwrap_or_default().contains("too complex"), "{refused}");
        assert!(operator.stop(), "the project's operator stopped cleanly");
    })
    .await;
}

#[tokio::test]
async fn the_ui_is_served_with_an_index_fallback_and_unknown_apis_stay_404() {
    let dir = std::env::temp_dir().join(format!("chaoscenter-ui-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>ChaosCenter</title><div id=root></div>")
        .unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log('chaos')").unwrap();
    let ui_dir = dir.to_str().unwrap().to_string();
    with_access("ui-files", &[("UI_DIR", &ui_dir)], |w| async move {
        // hold the whole world (the apiserver process with it), not only the URL the requests use
        let w = w;
        let http = reqwest::Client::new();
        let get = |path: &str| {
            let url = format!("{}{path}", w.api.url);
            let http = http.clone();
            async move {
                let resp = http.get(url).send().await.unwrap();
                let status = resp.status().as_u16();
                let header = |name: &str| {
                    resp.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
                };
                let (kind, cache) = (header("content-type"), header("cache-control"));
                (status, kind, cache, resp.text().await.unwrap())
            }
        };
        let (status, kind, cache, body) = get("/").await;
        assert!(
            status == 200 && kind.starts_with("text/html") && body.contains("ChaosCenter"),
            "{status} {kind}"
        );
        assert_eq!(
            cache, "no-store",
            "index.html (a fresh CSP nonce each time) is never stored, so a new UI is seen at the next load"
        );
        let (status, kind, cache, body) = get("/projects/shop/runs/abc").await;
        assert!(
            status == 200 && kind.starts_with("text/html") && body.contains("id=root"),
            "the browser's routes get index.html: {status}"
        );
        assert_eq!(cache, "no-store");
        let (status, kind, cache, body) = get("/assets/app.js").await;
        assert!(status == 200 && kind.contains("javascript") && body.contains("chaos"), "{status} {kind}");
        assert!(cache.contains("immutable"), "hashed assets are cached for good: {cache:?}");
        let (status, _, cache, _) = get("/assets/gone-1234.js").await;
        assert_eq!(status, 404, "a missing asset is not answered with index.html");
        assert!(!cache.contains("immutable"), "nor cached: {cache:?}");
        let (status, _, _, body) = get("/api/nothing-here").await;
        assert_eq!(status, 404, "{body}");
        let (status, _, _, _) = get("/api/graphql").await;
        assert_eq!(status, 405, "GraphQL is POST only");
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_unsaved_definition_is_previewed_without_entering_the_history() {
    with_access("preview", &[], |w| async move {
        let client = w.client.clone();
        let admin = admin_token(&w).await;
        let (project, pns) = project_with_web_app(&w, &admin, "pre").await;
        let mut operator = Operator::start_with(&pns, &[("PREVIEW_TTL", "2s")]);
        let preview = "mutation($p: String!, $w: String!, $s: JSON) {
            dryRunWorkflow(project: $p, workflow: $w, spec: $s) { run { name } finished plan } }";
        let spec = |ns: &str| {
            json!({"steps": [{"name": "kill", "fault": {"type": "pod-delete", "duration": "5s",
                "target": {"namespace": ns, "selector": {"matchLabels": {"app": "web"}}, "mode": "all"}}}]})
        };

        // the plan names the pods the unsaved step would hit; no workflow of that name exists
        let data =
            w.api.graphql(&admin, preview, json!({"p": project, "w": "draft", "s": spec(&w.ns)})).await;
        let outcome = &data["dryRunWorkflow"];
        assert_eq!(outcome["finished"], true, "{outcome}");
        let targets = outcome["plan"]["steps"][0]["targets"].as_array().cloned().unwrap_or_default();
        assert_eq!(targets.len(), 2, "both web pods: {outcome}");
        assert!(targets.iter().all(|t| t["name"].as_str().unwrap().starts_with("web-")), "{outcome}");
        let first = outcome["run"]["name"].as_str().unwrap().to_string();

        // a namespace the project may not target is refused, and the plan says why
        let data = w
            .api
            .graphql(&admin, preview, json!({"p": project, "w": "draft", "s": spec("kube-system")}))
            .await;
        let plan = &data["dryRunWorkflow"]["plan"];
        assert_eq!(plan["phase"], "Failed", "{plan}");
        assert!(
            plan["conditions"].to_string().contains("kube-system"),
            "the refusal names the namespace: {plan}"
        );

        // a malformed definition is named, and nothing is created
        let (_, bad) =
            w.api.graphql_raw(&admin, preview, json!({"p": project, "w": "draft", "s": {"steps": 3}})).await;
        assert_eq!(code(&bad), "BAD_INPUT", "{bad}");

        // previews never reach the history, and the operator deletes them after PREVIEW_TTL
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &pns);
        wait_for(WAIT, "the previews to be deleted", || async {
            runs.list(&Default::default()).await.ok()?.items.is_empty().then_some(())
        })
        .await;
        let data = w.api.graphql(&admin, RUNS, json!({"p": project})).await;
        assert_eq!(data["runs"]["edges"], json!([]), "no preview in the history (first was {first})");
        // (mirrored, as every run is, marked a preview; its document goes when it does)
        let db = w.api.database().await;
        let coll = db.collection::<mongodb::bson::Document>("mirror_chaosworkflowruns");
        wait_for(WAIT, "the previews' documents to go with them", || async {
            let stored = coll.count_documents(mongodb::bson::doc! {"namespace": &pns}).await.ok()?;
            (stored == 0).then_some(())
        })
        .await;
        assert!(operator.stop(), "the project's operator stopped cleanly");
    })
    .await;
}

/// Waits for the server to close `socket`; the close code and reason (messages before it are skipped).
async fn closed(socket: &mut Socket) -> (u16, String) {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let message =
            tokio::time::timeout(WAIT, socket.next()).await.expect("the socket to be closed in time");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return (frame.code.into(), frame.reason.to_string()),
            Some(Ok(Message::Close(None))) | None => panic!("closed without saying why"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => panic!("the socket failed instead of being closed: {err}"),
        }
    }
}

/// Whether `socket` still answers: a graphql-transport-ws ping gets a pong.
async fn still_open(socket: &mut Socket) -> bool {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    if socket.send(Message::text(json!({"type": "ping"}).to_string())).await.is_err() {
        return false;
    }
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.contains("\"pong\"") => return true,
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => return false,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Waits until user `token` sees `project` among their projects (the apiserver's cache has the membership).
async fn sees_project(w: &AccessWorld, token: &str, project: &str) {
    wait_for(WAIT, &format!("{project} among the user's projects"), || async {
        let data = w.api.graphql(token, "{ projects { name } }", json!({})).await;
        data["projects"].as_array()?.iter().any(|p| p["name"] == project).then_some(())
    })
    .await;
}

#[tokio::test]
async fn subscriptions_are_closed_when_the_membership_the_session_or_the_user_ends() {
    with_access("subclose", &[], |w| async move {
        let admin = admin_token(&w).await;
        let suffix = w.ns.rsplit('-').next().unwrap().to_string();
        let project = format!("sub-{suffix}");
        let (status, body) =
            w.api.call("POST", "/auth/projects", Some(&admin), Some(json!({"name": project}))).await;
        assert_eq!(status, 201, "{body}");
        let (removed, signed_out, disabled) =
            (format!("rm-{suffix}"), format!("so-{suffix}"), format!("dis-{suffix}"));
        let mut tokens = Vec::new();
        for user in [&removed, &signed_out, &disabled] {
            let token = new_user(&w, &admin, user, "viewer-password-1").await;
            let path = format!("/auth/projects/{project}/members");
            let (status, body) =
                w.api.call("POST", &path, Some(&admin), Some(json!({"user": user, "role": "Viewer"}))).await;
            assert_eq!(status, 200, "{body}");
            sees_project(&w, &token, &project).await;
            tokens.push(token);
        }
        let runs_changed = "subscription($p: String!) { runsChanged(project: $p) { name phase } }";
        let mut sockets = Vec::new();
        for token in tokens.iter().chain([&admin]) {
            sockets.push(subscribe(&w, token, runs_changed, json!({"p": project})).await);
        }
        let mut admin_socket = sockets.pop().unwrap();
        let (mut disabled_socket, mut signed_out_socket, mut removed_socket) =
            (sockets.pop().unwrap(), sockets.pop().unwrap(), sockets.pop().unwrap());
        assert!(still_open(&mut removed_socket).await, "subscribed, and open");

        // removed from the project: the socket is closed, saying why
        let path = format!("/auth/projects/{project}/members/{removed}");
        let (status, body) = w.api.call("DELETE", &path, Some(&admin), None).await;
        assert!(status < 300, "{status} {body}");
        let (code, reason) = closed(&mut removed_socket).await;
        assert_eq!(code, 4403, "{reason}");
        assert!(reason.contains("no longer a member") && reason.contains(&project), "{reason}");

        // signed out: the token is revoked, and the socket signed in with it is closed
        assert_eq!(w.api.logout(&tokens[1]).await, 204);
        let (code, reason) = closed(&mut signed_out_socket).await;
        assert_eq!(code, 4401, "{reason}");

        // disabled by an admin
        let (status, body) =
            w.api.call("POST", &format!("/auth/users/{disabled}/disable"), Some(&admin), None).await;
        assert!(status < 300, "{status} {body}");
        let (code, reason) = closed(&mut disabled_socket).await;
        assert_eq!(code, 4401, "{reason}");
        assert!(reason.contains("disabled") || reason.contains("no longer valid"), "{reason}");

        // nobody else's socket was touched
        assert!(still_open(&mut admin_socket).await, "the admin's subscription is still open");

        // the socket serves subscriptions only: a query or mutation over it would run as whoever signed it
        // in, however their access changed since, so it is refused (HTTP serves them, checking each time)
        use futures::SinkExt;
        let query = json!({"id": "2", "type": "subscribe", "payload": {"query": "{ projects { name } }"}});
        admin_socket.send(tokio_tungstenite::tungstenite::Message::text(query.to_string())).await.unwrap();
        let answer = loop {
            let m = next_message(&mut admin_socket).await;
            if m["id"] == "2" {
                break m;
            }
        };
        assert!(answer["payload"]["data"]["projects"].is_null(), "{answer}");
        assert!(answer.to_string().contains("subscriptions only"), "{answer}");
    })
    .await;
}

#[tokio::test]
async fn a_project_created_again_under_an_old_name_starts_with_an_empty_history() {
    with_access("recreate", &[], |w| async move {
        let client = w.client.clone();
        let admin = admin_token(&w).await;
        let (project, pns) = project_with_web_app(&w, &admin, "re").await;
        let mut operator = Operator::start(&pns);
        let suffix = w.ns.rsplit('-').next().unwrap().to_string();
        let (old_member, new_member) = (format!("old-{suffix}"), format!("new-{suffix}"));
        let old_token = new_user(&w, &admin, &old_member, "old-member-password-1").await;
        let new_token = new_user(&w, &admin, &new_member, "new-member-password-1").await;
        let add = |member: String| {
            let (api, admin, project) = (&w.api, admin.clone(), project.clone());
            async move {
                let path = format!("/auth/projects/{project}/members");
                let (status, body) = api.call("POST", &path, Some(&admin), Some(json!({"user": member, "role": "Viewer"}))).await;
                assert_eq!(status, 200, "{body}");
            }
        };
        add(old_member.clone()).await;

        // the first project's history: a run, its workflow, the audit log
        let create = "mutation($p: String!, $y: String!) { createWorkflow(project: $p, yaml: $y) { name } }";
        w.api.graphql(&admin, create, json!({"p": project, "y": workflow_yaml("kill-one", &w.ns, "1s")})).await;
        let run_now = "mutation($p: String!, $w: String!) { runWorkflow(project: $p, workflow: $w) { name } }";
        let started = w.api.graphql(&admin, run_now, json!({"p": project, "w": "kill-one"})).await;
        let old_run = started["runWorkflow"]["name"].as_str().unwrap().to_string();
        wait_run_finished(&client, &pns, &old_run, WAIT).await;
        sees_project(&w, &old_token, &project).await;
        mirrored_run(&w, &old_token, &project, &old_run, "Succeeded").await;
        let log = "query($p: String, $u: String) { auditLog(project: $p, projectUid: $u, first: 100) { action name } }";
        let has_old = |entries: &Value| {
            entries.as_array().is_some_and(|e| e.iter().any(|e| e["name"] == old_run.as_str() || e["name"] == "kill-one"))
        };
        let old_log = w.api.graphql(&old_token, log, json!({"p": project})).await;
        assert!(has_old(&old_log["auditLog"]), "{old_log}");
        let projects: Api<chaoscenter_crds::Project> = Api::all(client.clone());
        let old_uid = projects.get(&project).await.unwrap().metadata.uid.unwrap();

        // deleted, then created again under the same name, with other members
        projects.delete(&project, &Default::default()).await.unwrap();
        let namespaces: Api<Namespace> = Api::all(client.clone());
        wait_for(Duration::from_secs(180), "the old project's namespace to be gone", || async {
            namespaces.get_opt(&pns).await.ok()?.is_none().then_some(())
        })
        .await;
        let (status, body) = w
            .api
            .call("POST", "/auth/projects", Some(&admin), Some(json!({"name": project, "targetNamespaces": [w.ns]})))
            .await;
        assert_eq!(status, 201, "{body}");
        add(new_member.clone()).await;
        wait_for(WAIT, "the new project's namespace", || async { namespaces.get_opt(&pns).await.ok()? }).await;
        sees_project(&w, &new_token, &project).await;
        let new_uid = projects.get(&project).await.unwrap().metadata.uid.unwrap();
        assert_ne!(new_uid, old_uid);

        // nothing of the old project is seen under its name: not by the new member, not by an admin
        for token in [&new_token, &admin] {
            let runs = w.api.graphql(token, RUNS, json!({"p": project, "first": 100})).await;
            assert_eq!(runs["runs"]["edges"], json!([]), "{runs}");
            let stats = w.api.graphql(token, "query($p: String!) { statistics(project: $p) { runsByPhase { phase runs } } }", json!({"p": project})).await;
            assert_eq!(stats["statistics"]["runsByPhase"], json!([]), "{stats}");
            let entries = w.api.graphql(token, log, json!({"p": project})).await;
            assert!(!has_old(&entries["auditLog"]), "no old entry: {entries}");
            let (_, detail) = w.api.graphql_raw(token, "query($p: String!, $n: String!) { run(project: $p, name: $n) { name } }", json!({"p": project, "n": old_run})).await;
            assert_eq!(code(&detail), "NOT_FOUND", "{detail}");
        }
        // the new project's own log is there (the new member's addition)
        wait_for(WAIT, "the new project's own audit entries", || async {
            let entries = w.api.graphql(&new_token, log, json!({"p": project})).await;
            entries["auditLog"].as_array()?.iter().any(|e| e["action"] == "add-member").then_some(())
        })
        .await;

        // an admin still reads the old project's history, marked deleted
        let deleted = wait_for(WAIT, "the old project among the deleted ones", || async {
            let data = w.api.graphql(&admin, "{ deletedProjects { name uid createdAt deletedAt } }", json!({})).await;
            data["deletedProjects"].as_array()?.iter().find(|p| p["uid"] == old_uid.as_str()).cloned()
        })
        .await;
        assert_eq!(deleted["name"], project.as_str(), "{deleted}");
        assert!(deleted["deletedAt"].is_string(), "{deleted}");
        let old_history = "query($p: String!, $u: String) { runs(project: $p, projectUid: $u) { edges { node { name deleted } } } }";
        let old_runs = wait_for(WAIT, "the old run, deleted, in the old project's history", || async {
            let data = w.api.graphql(&admin, old_history, json!({"p": project, "u": old_uid})).await;
            let edges = data["runs"]["edges"].as_array()?.clone();
            edges.iter().any(|e| e["node"]["name"] == old_run.as_str() && e["node"]["deleted"] == true).then_some(edges)
        })
        .await;
        assert_eq!(old_runs.len(), 1, "{old_runs:?}");
        let entries = w.api.graphql(&admin, log, json!({"p": project, "u": old_uid})).await;
        assert!(has_old(&entries["auditLog"]), "{entries}");
        // which is the admins' alone
        let (_, denied) = w.api.graphql_raw(&new_token, old_history, json!({"p": project, "u": old_uid})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "{denied}");
        let (_, denied) = w.api.graphql_raw(&new_token, "{ deletedProjects { uid } }", json!({})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "{denied}");
        assert!(operator.stop(), "the project's operator stopped cleanly");
    })
    .await;
}

#[tokio::test]
async fn a_real_run_labelled_as_a_preview_by_hand_is_history_all_the_same() {
    with_access("handpreview", &[], |w| async move {
        let client = w.client.clone();
        let admin = admin_token(&w).await;
        let (project, pns) = project_with_web_app(&w, &admin, "hp").await;
        let mut operator = Operator::start_with(&pns, &[("PREVIEW_TTL", "2s")]);
        let editor = format!("ed-{}", w.ns.rsplit('-').next().unwrap());
        new_user(&w, &admin, &editor, "editor-password-1").await;
        let path = format!("/auth/projects/{project}/members");
        let (status, body) = w.api.call("POST", &path, Some(&admin), Some(json!({"user": editor, "role": "Editor"}))).await;
        assert_eq!(status, 200, "{body}");
        let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> = Api::namespaced(client.clone(), &pns);
        wait_for(WAIT, "the Editor's binding", || async {
            bindings.get_opt(&chaoscenter_crds::access::member_binding(&editor)).await.ok()?
        })
        .await;
        let create = "mutation($p: String!, $y: String!) { createWorkflow(project: $p, yaml: $y) { name } }";
        w.api.graphql(&admin, create, json!({"p": project, "y": workflow_yaml("kill-one", &w.ns, "1s")})).await;
        let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), &w.ns);
        let web = kube::api::ListParams::default().labels("app=web");
        let before: Vec<String> = pods.list(&web).await.unwrap().items.iter().filter_map(|p| p.metadata.uid.clone()).collect();

        // the Editor, with kubectl and no webhook: a real run (no dryRun) labelled as a preview
        let labelled = |name: &str, dry_run: bool| {
            json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
                "metadata": {"name": name, "namespace": pns, "labels": {chaoscenter_crds::common::PREVIEW_LABEL: "true"}},
                "spec": {"workflowRef": {"name": "kill-one"}, "dryRun": dry_run}})
        };
        let file = std::env::temp_dir().join(format!("{}-hand-preview.json", w.ns));
        std::fs::write(&file, labelled("by-hand", false).to_string()).unwrap();
        let (ok, out) = kubectl_as(&editor, &["create", "-f", file.to_str().unwrap()]);
        assert!(ok, "{out}");
        let finished = wait_run_finished(&client, &pns, "by-hand", WAIT).await;
        assert_eq!(serde_json::to_value(finished.status.as_ref().unwrap().phase.unwrap()).unwrap(), "Succeeded");
        // it did real chaos: one of the web pods it found was deleted
        wait_for(WAIT, "a web pod of before to be gone", || async {
            let now: Vec<String> = pods.list(&web).await.ok()?.items.iter().filter_map(|p| p.metadata.uid.clone()).collect();
            before.iter().any(|uid| !now.contains(uid)).then_some(())
        })
        .await;

        // so it is in the history, and the operator keeps it well past the preview time
        mirrored_run(&w, &admin, &project, "by-hand", "Succeeded").await;
        tokio::time::sleep(Duration::from_secs(15)).await;
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), &pns);
        assert!(runs.get_opt("by-hand").await.unwrap().is_some(), "a real run is never deleted as a preview");
        let node = mirrored_run(&w, &admin, &project, "by-hand", "Succeeded").await;
        assert_eq!(node["deleted"], false, "{node}");

        // a dry run so labelled injects nothing: that one is a preview, deleted and out of the history
        std::fs::write(&file, labelled("dry-by-hand", true).to_string()).unwrap();
        let (ok, out) = kubectl_as(&editor, &["create", "-f", file.to_str().unwrap()]);
        assert!(ok, "{out}");
        wait_for(WAIT, "the labelled dry run to be deleted as a preview", || async {
            runs.get_opt("dry-by-hand").await.ok()?.is_none().then_some(())
        })
        .await;
        let listed = w.api.graphql(&admin, RUNS, json!({"p": project, "first": 100})).await;
        let names: Vec<&str> = listed["runs"]["edges"].as_array().unwrap().iter().filter_map(|e| e["node"]["name"].as_str()).collect();
        assert_eq!(names, ["by-hand"], "{listed}");
        let _ = std::fs::remove_file(file);
        assert!(operator.stop(), "the project's operator stopped cleanly");
    })
    .await;
}

#[tokio::test]
async fn hubs_through_graphql_are_the_ones_kubectl_sees_and_never_carry_a_secret() {
    with_access("graphql-hubs", &[], |w| async move {
        let client = w.client.clone();
        let admin = admin_token(&w).await;
        let (project, pns) = project_with_web_app(&w, &admin, "hubs").await;
        // the operator binds the members' roles (and, where it has one, runs the hub controller: a hub that
        // syncs is fine here, nothing below depends on it)
        let mut operator = Operator::start(&pns);
        let suffix = w.ns.rsplit('-').next().unwrap().to_string();
        let (editor, viewer) = (format!("ed-{suffix}"), format!("vi-{suffix}"));
        let editor_token = new_user(&w, &admin, &editor, "editor-password-1").await;
        let viewer_token = new_user(&w, &admin, &viewer, "viewer-password-1").await;
        for (user, role) in [(&editor, "Editor"), (&viewer, "Viewer")] {
            let (status, body) = w
                .api
                .call("POST", &format!("/auth/projects/{project}/members"), Some(&admin), Some(json!({"user": user, "role": role})))
                .await;
            assert_eq!(status, 200, "{body}");
        }
        wait_for(WAIT, "the members' bindings", || async {
            let (ok, _) = kubectl_as(&viewer, &["auth", "can-i", "list", "chaostemplates.chaoscenter.io", "-n", &pns]);
            let (may, _) = kubectl_as(&editor, &["auth", "can-i", "create", "chaoshubs.chaoscenter.io", "-n", &pns]);
            (ok && may).then_some(())
        })
        .await;

        // the Editor adds a hub; the Viewer may not; credentials in a URL are refused, naming the field
        let create = "mutation($p: String!, $i: HubInput!) { createHub(project: $p, input: $i) { name branch secretName } }";
        let input = json!({"name": "team", "url": "https://127.0.0.1:9/charts.git", "path": "faults", "secretName": "team-git"});
        let data = w.api.graphql(&editor_token, create, json!({"p": project, "i": input})).await;
        assert_eq!(data["createHub"], json!({"name": "team", "branch": "main", "secretName": "team-git"}));
        let (_, denied) = w.api.graphql_raw(&viewer_token, create, json!({"p": project, "i": {"name": "mine", "url": "https://x.example/y.git"}})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "{denied}");
        let leaky = json!({"name": "leaky", "url": "https://me:hunter2@x.example/y.git"});
        let (_, bad) = w.api.graphql_raw(&editor_token, create, json!({"p": project, "i": leaky})).await;
        assert_eq!(code(&bad), "BAD_INPUT", "{bad}");
        assert!(bad["errors"][0]["message"].as_str().unwrap().starts_with("url:"), "{bad}");

        // kubectl as the Viewer sees the same hub, its credential only as a Secret's name
        let (ok, out) = kubectl_as(&viewer, &["get", "chaoshub", "team", "-n", &pns, "-o", "json"]);
        assert!(ok, "{out}");
        let hub: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(hub["spec"]["git"], json!({"url": "https://127.0.0.1:9/charts.git", "branch": "main", "path": "faults", "secretRef": {"name": "team-git"}}));

        // sync now: the annotation the operator watches
        let sync = "mutation($p: String!) { syncHub(project: $p, name: \"team\") { syncRequestedAt } }";
        let (_, denied) = w.api.graphql_raw(&viewer_token, sync, json!({"p": project})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "{denied}");
        let asked = w.api.graphql(&editor_token, sync, json!({"p": project})).await;
        let at = asked["syncHub"]["syncRequestedAt"].as_str().unwrap().to_string();
        let stored = Api::<chaoscenter_crds::ChaosHub>::namespaced(client.clone(), &pns).get("team").await.unwrap();
        assert_eq!(stored.annotations().get(chaoscenter_crds::hub::SYNC_NOW_ANNOTATION), Some(&at));

        // the catalogue the operator writes, read by members with search
        let template = json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosTemplate",
            "metadata": {"name": "team-pod-delete", "namespace": pns, "labels": {"chaoscenter.io/hub": "team"}},
            "spec": {"hub": "team", "name": "pod-delete", "displayName": "Pod delete", "description": "Deletes pods",
                     "category": "kubernetes", "source": {"layout": "LitmusFault", "path": "faults/kubernetes/pod-delete"},
                     "supported": true}});
        let templates: Api<chaoscenter_crds::template::ChaosTemplate> = Api::namespaced(client.clone(), &pns);
        templates
            .patch("team-pod-delete", &PatchParams::apply("e2e").force(), &Patch::Apply(&template))
            .await
            .unwrap();
        let query = "query($p: String!, $s: String) { templates(project: $p, hub: \"team\", search: $s) { total items { id category supported } } }";
        let found = w.api.graphql(&viewer_token, query, json!({"p": project, "s": "DELETES pod"})).await;
        assert_eq!(found["templates"], json!({"total": 1, "items": [{"id": "team-pod-delete", "category": "kubernetes", "supported": true}]}));
        let none = w.api.graphql(&viewer_token, query, json!({"p": project, "s": "network"})).await;
        assert_eq!(none["templates"]["total"], 0);
        let (ok, out) = kubectl_as(&editor, &["delete", "chaostemplate", "team-pod-delete", "-n", &pns]);
        assert!(!ok && out.contains("forbidden"), "templates are the operator's: {out}");

        // an import writes nothing and refuses empty input, naming the field
        let (_, empty) = w.api.graphql_raw(&viewer_token, "mutation($p: String!) { importLitmus(project: $p, yaml: \" \") { mapped } }", json!({"p": project})).await;
        assert_eq!(code(&empty), "BAD_INPUT", "{empty}");
        assert!(empty["errors"][0]["message"].as_str().unwrap().starts_with("yaml:"), "{empty}");

        // delete, as kubectl would
        let delete = "mutation($p: String!) { deleteHub(project: $p, name: \"team\") }";
        let (_, denied) = w.api.graphql_raw(&viewer_token, delete, json!({"p": project})).await;
        assert_eq!(code(&denied), "FORBIDDEN", "{denied}");
        assert_eq!(w.api.graphql(&editor_token, delete, json!({"p": project})).await["deleteHub"], true);
        let hubs = w.api.graphql(&viewer_token, "query($p: String!) { hubs(project: $p) { name } }", json!({"p": project})).await;
        assert!(!hubs["hubs"].as_array().unwrap().iter().any(|h| h["name"] == "team"), "{hubs}");
        // nothing said anything secret: no Secret was read, and the apiserver's log has no credential
        assert!(!w.api.logs().contains("hunter2"), "a credential in the apiserver's log");
        assert!(operator.stop(), "the project's operator stopped cleanly");
    })
    .await;
}
