//! The shipped GitOps integrations (config/gitops/) judged on objects read from the real cluster: Argo CD's
//! Lua health checks and resource actions run by Debian's `lua5.1` (the Lua dialect Argo CD embeds) in a
//! sandbox like Argo CD's, and Flux's CEL health expressions evaluated by a real CEL interpreter the way
//! kustomize-controller does, on runs, workflows, hubs and Projects in every state. Each action's result is
//! applied as Argo CD applies it (a merge patch of the live object) and its effect checked.

use chaoscenter_e2e::git::{git_hub, scratch, GitServer, Repo};
use chaoscenter_e2e::*;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

const ARGOCD_CM: &str = "config/gitops/argocd/argocd-cm.yaml";
const FLUX_KUSTOMIZATION: &str = "config/gitops/flux/kustomization.yaml";
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

// ---- Argo CD: the shipped Lua, run by lua5.1

/// The `data` of the shipped argocd-cm patch.
fn argocd_data() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join(ARGOCD_CM)).unwrap();
    let cm: ConfigMap = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{ARGOCD_CM}: {e}"));
    cm.data.unwrap_or_else(|| panic!("{ARGOCD_CM} has no data"))
}

fn argocd_key(what: &str, kind: &str) -> String {
    let key = format!("resource.customizations.{what}.chaoscenter.io_{kind}");
    argocd_data().remove(&key).unwrap_or_else(|| panic!("{ARGOCD_CM} has no {key}"))
}

/// A kind's resource actions, as Argo CD reads them from its `actions` key.
#[derive(Deserialize)]
struct Actions {
    #[serde(rename = "discovery.lua")]
    discovery: String,
    definitions: Vec<ActionDefinition>,
}

#[derive(Deserialize)]
struct ActionDefinition {
    name: String,
    #[serde(rename = "action.lua")]
    action: String,
}

fn actions(kind: &str) -> Actions {
    serde_yaml::from_str(&argocd_key("actions", kind)).unwrap_or_else(|e| panic!("{kind}'s actions: {e}"))
}

/// What a script may use, as in Argo CD's Lua VM: the base, string, table and math libraries and the safe
/// part of os; nothing that reads files, loads code or modules. Then `json`, this test's way back out.
const PRELUDE: &str = r#"
os = {date = os.date, time = os.time, clock = os.clock, difftime = os.difftime}
io, require, dofile, loadfile, load, loadstring, package, debug, module = nil, nil, nil, nil, nil, nil, nil, nil, nil
local function json(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error("not a JSON number: " .. tostring(v)) end
    if v == math.floor(v) and math.abs(v) < 2^53 then return string.format("%d", v) end
    return string.format("%.17g", v)
  end
  if t == "string" then
    return '"' .. (string.gsub(v, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)) .. '"'
  end
  if t ~= "table" then error("cannot encode a " .. t) end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n == 0 then return "{}" end
  local parts = {}
  if n == #v then
    for i = 1, n do parts[i] = json(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do
    if type(k) ~= "string" then error("a table mixes array and object keys") end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  for i, k in ipairs(keys) do parts[i] = json(k) .. ":" .. json(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
"#;

/// `value` as a Lua table constructor (JSON arrays become 1-indexed sequences, null becomes nil), as
/// Argo CD hands the live object to a script.
fn lua_literal(value: &Value) -> String {
    match value {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => lua_string(s),
        Value::Array(items) => {
            format!("{{{}}}", items.iter().map(lua_literal).collect::<Vec<_>>().join(", "))
        }
        Value::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("[{}] = {}", lua_string(k), lua_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A Lua string literal: printable ASCII as is, every other byte (and `"` and `\`) as a three-digit
/// decimal escape, which Lua 5.1 reads back byte for byte.
fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => out.push_str(&format!("\\{b:03}")),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// Runs `script` as Argo CD does: the global `obj` is the object, the script's body is a function whose
/// result is printed (as JSON) for the test to read.
fn run_lua(obj: &Value, script: &str) -> Value {
    let program = format!(
        "{PRELUDE}\nobj = {}\nlocal function script()\n{script}\nend\nprint(json(script()))\n",
        lua_literal(obj)
    );
    let mut child = std::process::Command::new("lua5.1")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("lua5.1 runs (e2e/deps.sh installs it)");
    child.stdin.take().unwrap().write_all(program.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "lua5.1 failed: {}\nscript:\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("the script's result {stdout:?}: {e}"))
}

/// The shipped health check of `kind` on `obj`: (status, message).
fn argo_health(kind: &str, obj: &Value) -> (String, String) {
    let hs = run_lua(obj, &argocd_key("health", kind));
    let field = |f: &str| hs[f].as_str().unwrap_or_default().to_string();
    (field("status"), field("message"))
}

/// The shipped actions of `kind` that discovery offers on `obj`, each with whether it is disabled.
fn argo_discovery(kind: &str, obj: &Value) -> BTreeMap<String, bool> {
    let found = run_lua(obj, &actions(kind).discovery);
    let offered: BTreeMap<String, Value> = serde_json::from_value(found.clone())
        .unwrap_or_else(|e| panic!("{kind} discovery gave {found}: {e}"));
    offered.into_iter().map(|(name, a)| (name, a["disabled"].as_bool().unwrap_or(false))).collect()
}

/// Runs action `name` of `kind` on `obj` and returns the merge patch Argo CD would send: the difference
/// between the live object and the script's result.
fn argo_action(kind: &str, name: &str, obj: &Value) -> Value {
    let actions = actions(kind);
    let definition = actions
        .definitions
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{kind} has no action {name}"));
    let mut result = run_lua(obj, &definition.action);
    // Lua cannot tell an empty array from an empty object: like Argo CD, keep the live object's shape
    restore_empty_arrays(&mut result, obj);
    merge_patch(obj, &result)
}

fn restore_empty_arrays(new: &mut Value, old: &Value) {
    if old.as_array().is_some_and(|a| a.is_empty()) && new.as_object().is_some_and(|o| o.is_empty()) {
        *new = json!([]);
        return;
    }
    match (new, old) {
        (Value::Object(n), Value::Object(o)) => {
            for (k, v) in n.iter_mut() {
                if let Some(ov) = o.get(k) {
                    restore_empty_arrays(v, ov);
                }
            }
        }
        (Value::Array(n), Value::Array(o)) => {
            for (v, ov) in n.iter_mut().zip(o) {
                restore_empty_arrays(v, ov);
            }
        }
        _ => {}
    }
}

/// The JSON merge patch (RFC 7386) that turns `old` into `new`; numbers compare by value.
fn merge_patch(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = serde_json::Map::new();
            for (k, ov) in o {
                match n.get(k) {
                    None => {
                        patch.insert(k.clone(), Value::Null);
                    }
                    Some(nv) if !same(ov, nv) => {
                        patch.insert(k.clone(), merge_patch(ov, nv));
                    }
                    _ => {}
                }
            }
            for (k, nv) in n {
                if !o.contains_key(k) {
                    patch.insert(k.clone(), nv.clone());
                }
            }
            Value::Object(patch)
        }
        _ => new.clone(),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

// ---- Flux: the shipped CEL expressions, evaluated as kustomize-controller does

/// The health of an object as Flux's kstatus poller reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flux {
    Current,
    InProgress,
    Failed,
    /// An expression could not be evaluated (e.g. the object has no `status` yet): Flux records the error
    /// and keeps polling, as for InProgress, until the Kustomization's timeout.
    Unknown,
}

/// The shipped `healthCheckExprs` entry for `kind`: (inProgress, failed, current).
fn flux_exprs(kind: &str) -> (Option<String>, Option<String>, String) {
    let text = std::fs::read_to_string(repo_root().join(FLUX_KUSTOMIZATION)).unwrap();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let doc = Value::deserialize(doc).unwrap_or_else(|e| panic!("{FLUX_KUSTOMIZATION}: {e}"));
        if doc["kind"] != "Kustomization" {
            continue;
        }
        assert_eq!(doc["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
        assert_eq!(doc["spec"]["wait"], true, "the Kustomization waits for its objects' health");
        let entry = doc["spec"]["healthCheckExprs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind && e["apiVersion"] == "chaoscenter.io/v1alpha1")
            .unwrap_or_else(|| panic!("{FLUX_KUSTOMIZATION} has no healthCheckExprs for {kind}"))
            .clone();
        let expr = |f: &str| entry[f].as_str().map(String::from);
        return (expr("inProgress"), expr("failed"), expr("current").expect("current is required"));
    }
    panic!("{FLUX_KUSTOMIZATION} has no Kustomization");
}

/// What Flux's CEL status evaluator says about `obj`: a status of another generation is InProgress; then
/// inProgress, failed and current are evaluated in that order, the first true one decides, none true is
/// InProgress; each expression sees the object's top-level fields as its variables; an evaluation error
/// makes the status Unknown.
fn flux_health(kind: &str, obj: &Value) -> (Flux, String) {
    let (in_progress, failed, current) = flux_exprs(kind);
    let observed = obj["status"]["observedGeneration"].as_i64();
    if let (Some(observed), Some(generation)) = (observed, obj["metadata"]["generation"].as_i64()) {
        if observed != generation {
            return (Flux::InProgress, format!("observedGeneration {observed} != generation {generation}"));
        }
    }
    let mut context = cel::Context::default();
    for (name, value) in obj.as_object().unwrap() {
        context.add_variable(name.as_str(), value.clone()).unwrap();
    }
    for (expr, status) in
        [(in_progress, Flux::InProgress), (failed, Flux::Failed), (Some(current), Flux::Current)]
    {
        let Some(expr) = expr else { continue };
        let program =
            cel::Program::compile(&expr).unwrap_or_else(|e| panic!("{kind}: {expr:?} does not parse: {e}"));
        match program.execute(&context) {
            Ok(cel::Value::Bool(true)) => return (status, expr),
            Ok(cel::Value::Bool(false)) => {}
            Ok(other) => panic!("{kind}: {expr:?} gave {other:?}, not a boolean"),
            Err(e) => return (Flux::Unknown, format!("{expr}: {e}")),
        }
    }
    (Flux::InProgress, "no expression is true".into())
}

// ---- the objects, read from the cluster, and the verdicts

/// Reads `kind` `name` as JSON once `check` holds for it (polling; on timeout, says what it last saw).
async fn read_when(
    client: &kube::Client,
    kind: &str,
    ns: &str,
    name: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let api = chaos_api(client, kind, ns);
    let deadline = std::time::Instant::now() + RUN_TIMEOUT;
    let mut last = Value::Null;
    loop {
        if let Ok(obj) = api.get(name).await {
            last = serde_json::to_value(obj).unwrap();
            if check(&last) {
                return last;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {RUN_TIMEOUT:?} waiting for {kind} {name}: {what}; last seen: generation {} status {}",
            last["metadata"]["generation"],
            serde_json::to_string_pretty(&last["status"]).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether the object's status is of its current generation.
fn settled(obj: &Value) -> bool {
    obj["status"]["observedGeneration"].as_i64().is_some()
        && obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
}

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == type_)
}

fn phase(obj: &Value) -> &str {
    obj["status"]["phase"].as_str().unwrap_or_default()
}

/// Asserts what both the Argo CD health check and Flux's expressions say about `obj`.
fn judge(kind: &str, obj: &Value, argo: &str, says: &str, flux: Flux) {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let (status, message) = argo_health(kind, obj);
    let (got, why) = flux_health(kind, obj);
    eprintln!("{kind} {name}: Argo CD {status} ({message}); Flux {got:?} ({why})");
    let shown = || serde_json::to_string_pretty(&obj["status"]).unwrap();
    assert_eq!(status, argo, "Argo CD health of {kind} {name}: {message}; status: {}", shown());
    assert!(message.contains(says), "Argo CD's message for {kind} {name} names {says:?}: {message:?}");
    assert_eq!(got, flux, "Flux health of {kind} {name} ({why}); status: {}", shown());
}

/// Applies an action's merge patch to the object, as Argo CD does.
async fn apply(client: &kube::Client, kind: &str, ns: &str, name: &str, patch: &Value) {
    chaos_api(client, kind, ns).patch(name, &PatchParams::default(), &Patch::Merge(patch)).await.unwrap();
}

fn pod_delete(ns: &str, duration: &str) -> Value {
    json!({"type": "pod-delete", "duration": duration, "params": {"gracePeriodSeconds": 1},
           "target": {"namespace": ns, "selector": {"matchLabels": {"app": "victim"}}, "mode": "one"}})
}

#[test]
fn objects_cross_into_lua_and_back_unchanged() {
    let tricky = json!({
        "text": "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} é ☃ ]] [[ --",
        "numbers": [0, 1, -2, 3.5, 1e20, 9007199254740991_i64],
        "empty": {}, "none": [], "nested": [{"a": [true, false], "b": {"c": "d"}}],
        "k\"ey with \\ and ]": "v",
    });
    let mut back = run_lua(&tricky, "return obj");
    restore_empty_arrays(&mut back, &tricky);
    assert!(same(&back, &tricky), "{back} != {tricky}");
    assert_eq!(merge_patch(&tricky, &back), json!({}));
    // and a script sees arrays 1-indexed, strings byte for byte
    let seen = run_lua(&tricky, "return {obj.numbers[1], obj.nested[1].b.c, #obj.text, obj.none[1] == nil}");
    assert_eq!(seen, json!([0, "d", tricky["text"].as_str().unwrap().len(), true]));
}

/// Creates a run of `workflow` with `spec` frozen into it; returns its name.
async fn create_frozen_run(client: &kube::Client, ns: &str, workflow: &str, spec: &Value) -> String {
    let object: kube::api::DynamicObject = serde_json::from_value(json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
        "metadata": {"generateName": format!("{workflow}-")},
        "spec": {"workflowRef": {"name": workflow}, "workflow": spec},
    }))
    .unwrap();
    let created =
        chaos_api(client, "ChaosWorkflowRun", ns).create(&PostParams::default(), &object).await.unwrap();
    created.metadata.name.unwrap()
}

#[tokio::test]
async fn runs_in_every_state_and_the_abort_action() {
    with_namespace("gitops-runs", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "victim", 1).await;
        create_workflow(
            &client,
            &ns,
            "quick",
            json!({"steps": [{"name": "kill", "fault": pod_delete(&ns, "2s")}]}),
        )
        .await;
        create_workflow(
            &client,
            &ns,
            "probed",
            json!({"steps": [{"name": "kill", "fault": pod_delete(&ns, "2s"), "probes": [
            {"name": "closed-port", "type": "http", "mode": "EOT", "http": {"url": "http://127.0.0.1:1/"},
             "runProperties": {"timeout": "2s"}}]}]}),
        )
        .await;
        let long_spec = json!({"steps": [{"name": "kill", "fault": pod_delete(&ns, "5m")}]});
        create_workflow(&client, &ns, "long", long_spec.clone()).await;
        let kind = "ChaosWorkflowRun";

        // just created, no operator yet: no status at all
        let quick = create_run(&client, &ns, "quick", false).await;
        let fresh = read_when(&client, kind, &ns, &quick, "created", |_| true).await;
        assert!(fresh.get("status").is_none(), "{fresh}");
        judge(kind, &fresh, "Progressing", "Waiting for the operator", Flux::Unknown);

        let _op = Operator::start(&ns);
        let done =
            read_when(&client, kind, &ns, &quick, "Succeeded", |r| phase(r) == "Succeeded" && settled(r))
                .await;
        judge(kind, &done, "Healthy", "Succeeded", Flux::Current);
        assert_eq!(
            argo_discovery(kind, &done),
            BTreeMap::from([("abort".into(), true)]),
            "a finished run cannot be aborted"
        );

        // a step whose probe fails (each run deletes the victim: wait for its replacement first)
        wait_ready_replicas(&client, &ns, "victim", 1).await;
        let probed = create_run(&client, &ns, "probed", false).await;
        let failed =
            read_when(&client, kind, &ns, &probed, "Failed", |r| phase(r) == "Failed" && settled(r)).await;
        judge(kind, &failed, "Degraded", "Failed", Flux::Failed);

        // a run of a workflow that does not exist
        let ghost = create_run(&client, &ns, "ghost", false).await;
        let refused = read_when(&client, kind, &ns, &ghost, "finished", |r| {
            ["Failed", "Error"].contains(&phase(r)) && settled(r)
        })
        .await;
        judge(kind, &refused, "Degraded", "WorkflowNotFound", Flux::Failed);

        // running, then aborted through the shipped action; created with its definition frozen, as the
        // admission webhook freezes it, so that its generation stays while it runs
        wait_ready_replicas(&client, &ns, "victim", 1).await;
        let long = create_frozen_run(&client, &ns, "long", &long_spec).await;
        let running =
            read_when(&client, kind, &ns, &long, "Running", |r| phase(r) == "Running" && settled(r)).await;
        judge(kind, &running, "Progressing", "Running", Flux::InProgress);
        assert_eq!(argo_discovery(kind, &running), BTreeMap::from([("abort".into(), false)]));
        let patch = argo_action(kind, "abort", &running);
        assert_eq!(patch, json!({"spec": {"abort": true}}), "abort changes spec.abort and nothing else");
        apply(&client, kind, &ns, &long, &patch).await;
        let aborted =
            read_when(&client, kind, &ns, &long, "Aborted", |r| phase(r) == "Aborted" && settled(r)).await;
        judge(kind, &aborted, "Degraded", "Aborted", Flux::Failed);
        assert_eq!(argo_discovery(kind, &aborted), BTreeMap::from([("abort".into(), true)]));
        delete_project(&client, &ns).await;
    })
    .await;
}

#[tokio::test]
async fn workflows_valid_suspended_invalid_stale_and_their_actions() {
    with_namespace("gitops-wf", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        web_app(&client, &ns, "victim", 1).await;
        let kind = "ChaosWorkflow";
        let valid = json!({"steps": [{"name": "kill", "fault": pod_delete(&ns, "2s")}]});
        create_workflow(&client, &ns, "valid", valid.clone()).await;
        let mut suspended = valid.clone();
        suspended["suspend"] = json!(true);
        suspended["schedule"] = json!("@hourly");
        create_workflow(&client, &ns, "suspended", suspended).await;
        create_workflow(
            &client,
            &ns,
            "invalid",
            json!({"steps": [{"name": "kill", "dependsOn": ["ghost"], "fault": pod_delete(&ns, "2s")}]}),
        )
        .await;

        let fresh = read_when(&client, kind, &ns, "valid", "created", |_| true).await;
        assert!(fresh.get("status").is_none(), "{fresh}");
        judge(kind, &fresh, "Progressing", "Waiting for the operator", Flux::Unknown);

        let mut op = Operator::start(&ns);
        let ready = |w: &Value| settled(w) && condition(w, "Ready").is_some();
        let obj = read_when(&client, kind, &ns, "valid", "Ready", ready).await;
        judge(kind, &obj, "Healthy", "valid", Flux::Current);
        let offered = argo_discovery(kind, &obj);
        assert_eq!(
            offered,
            BTreeMap::from([("resume".into(), true), ("run-now".into(), false), ("suspend".into(), false)])
        );
        let obj = read_when(&client, kind, &ns, "suspended", "Ready", ready).await;
        judge(kind, &obj, "Suspended", "spec.suspend", Flux::Current);
        assert!(!argo_discovery(kind, &obj)["resume"], "a suspended workflow can be resumed");
        let obj = read_when(&client, kind, &ns, "invalid", "Ready", ready).await;
        judge(kind, &obj, "Degraded", "InvalidWorkflow", Flux::Failed);
        assert!(obj["status"]["conditions"].to_string().contains("ghost"));
        assert!(argo_discovery(kind, &obj)["run-now"], "an invalid workflow cannot be run");

        // run-now: a fresh annotation, and the operator starts one run
        let obj = read_when(&client, kind, &ns, "valid", "Ready", ready).await;
        let patch = argo_action(kind, "run-now", &obj);
        let stamp = patch["metadata"]["annotations"]["chaoscenter.io/run-now"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(stamp.len() == 20 && stamp.ends_with('Z'), "an RFC 3339 time: {patch}");
        assert_eq!(patch, json!({"metadata": {"annotations": {"chaoscenter.io/run-now": stamp}}}));
        apply(&client, kind, &ns, "valid", &patch).await;
        let runs = chaos_api(&client, "ChaosWorkflowRun", &ns);
        let run = wait_for(Duration::from_secs(60), "the run-now run", || async {
            runs.list(&ListParams::default().labels("chaoscenter.io/workflow=valid")).await.ok()?.items.pop()
        })
        .await;
        let run = run.metadata.name.unwrap();
        let done = read_when(&client, "ChaosWorkflowRun", &ns, &run, "Succeeded", |r| {
            phase(r) == "Succeeded" && settled(r)
        })
        .await;
        judge("ChaosWorkflowRun", &done, "Healthy", "Succeeded", Flux::Current);
        let count = runs
            .list(&ListParams::default().labels("chaoscenter.io/workflow=valid"))
            .await
            .unwrap()
            .items
            .len();
        assert_eq!(count, 1, "one run for one run-now");

        // suspend, then resume
        let obj = read_when(&client, kind, &ns, "valid", "Ready", ready).await;
        let patch = argo_action(kind, "suspend", &obj);
        assert_eq!(patch, json!({"spec": {"suspend": true}}));
        apply(&client, kind, &ns, "valid", &patch).await;
        let generation = obj["metadata"]["generation"].as_i64().unwrap() + 1;
        let newer = |w: &Value| ready(w) && w["metadata"]["generation"].as_i64() >= Some(generation);
        let obj = read_when(&client, kind, &ns, "valid", "suspended", newer).await;
        judge(kind, &obj, "Suspended", "spec.suspend", Flux::Current);
        assert_eq!(
            argo_discovery(kind, &obj),
            BTreeMap::from([("resume".into(), false), ("run-now".into(), false), ("suspend".into(), true)])
        );
        let patch = argo_action(kind, "resume", &obj);
        assert_eq!(patch, json!({"spec": {"suspend": false}}));
        apply(&client, kind, &ns, "valid", &patch).await;
        let newer = |w: &Value| ready(w) && w["metadata"]["generation"].as_i64() >= Some(generation + 1);
        let obj = read_when(&client, kind, &ns, "valid", "resumed", newer).await;
        judge(kind, &obj, "Healthy", "valid", Flux::Current);

        // a change the operator has not seen: the status is of an older generation
        op.kill9();
        apply(
            &client,
            kind,
            &ns,
            "valid",
            &json!({"spec": {"description": "changed while the operator is down"}}),
        )
        .await;
        let obj =
            read_when(&client, kind, &ns, "valid", "changed", |w| w["spec"]["description"].is_string()).await;
        judge(kind, &obj, "Progressing", "generation", Flux::InProgress);
        delete_project(&client, &ns).await;
    })
    .await;
}

/// A TLS port that accepts connections and never answers: a fetch from it hangs.
async fn silent_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task)
}

#[tokio::test]
async fn hubs_synced_failing_with_and_without_a_catalogue_and_syncing() {
    with_namespace("gitops-hub", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let kind = "ChaosHub";
        let root = scratch(&ns, "repos");
        let cache = scratch(&ns, "cache");
        Repo::init(&root, "charts").commit("first", &[("templates/a.yaml", b"a: 1\n")]);
        let server = GitServer::start(&root, None).await;
        let (silent, silent_task) = silent_server().await;
        git_hub(&client, &ns, "served", &server.url("charts"), Some("templates"), None).await;
        let fresh = read_when(&client, kind, &ns, "served", "created", |_| true).await;
        assert!(fresh.get("status").is_none(), "{fresh}");
        judge(kind, &fresh, "Progressing", "first sync", Flux::Unknown);

        let _op = Operator::start_with(
            &ns,
            &[
                ("HUB_CACHE_DIR", cache.to_str().unwrap()),
                ("SSL_CERT_FILE", server.ca_file.to_str().unwrap()),
            ],
        );
        // settled, and not between the tries of a failing sync
        let synced = |want: &'static str| {
            move |h: &Value| {
                settled(h)
                    && condition(h, "Synced").is_some_and(|c| c["status"] == want)
                    && condition(h, "Reconciling").is_none_or(|c| c["status"] != "True")
            }
        };
        let obj = read_when(&client, kind, &ns, "served", "synced", synced("True")).await;
        judge(kind, &obj, "Healthy", "template(s)", Flux::Current);

        // a hub whose Secret is missing: never synced
        git_hub(&client, &ns, "never", &server.url("charts"), None, Some("no-such-secret")).await;
        let obj = read_when(&client, kind, &ns, "never", "failed", synced("False")).await;
        judge(kind, &obj, "Degraded", "SecretMissing", Flux::Failed);
        let (_, message) = argo_health(kind, &obj);
        assert!(message.contains("no catalogue was ever synced"), "{message}");

        // the server is gone: the sync fails, the last catalogue is still served
        server.stop();
        apply(
            &client,
            kind,
            &ns,
            "served",
            &json!({"metadata": {"annotations": {"chaoscenter.io/sync-now": "1"}}}),
        )
        .await;
        let obj = read_when(&client, kind, &ns, "served", "failed", synced("False")).await;
        judge(kind, &obj, "Degraded", "FetchFailed", Flux::Failed);
        let (_, message) = argo_health(kind, &obj);
        assert!(
            message.contains("the last catalogue is still served (") && message.contains(" template(s) at "),
            "{message}"
        );

        // syncing: a fetch that hangs
        git_hub(&client, &ns, "syncing", &format!("https://{silent}/charts"), None, None).await;
        let obj = read_when(&client, kind, &ns, "syncing", "syncing", |h| {
            condition(h, "Reconciling").is_some_and(|c| c["status"] == "True")
        })
        .await;
        judge(kind, &obj, "Progressing", "Syncing", Flux::InProgress);
        silent_task.abort();
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(cache);
    })
    .await;
}

#[tokio::test]
async fn projects_reconciled_and_in_conflict() {
    with_namespace("gitops-proj", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let kind = "Project";
        let scope = "chaoscenter.io/e2e-scope";
        let suffix = ns.rsplit('-').next().unwrap().to_string();
        let project = |name: &str| -> chaoscenter_crds::Project {
            serde_json::from_value(json!({
                "apiVersion": "chaoscenter.io/v1alpha1", "kind": "Project",
                "metadata": {"name": name, "labels": {scope: ns, E2E_LABEL: "true"}},
                "spec": {"displayName": "gitops health"},
            }))
            .unwrap()
        };
        let projects: Api<chaoscenter_crds::Project> = Api::all(client.clone());
        let good = format!("gp-{suffix}");
        projects.create(&PostParams::default(), &project(&good)).await.unwrap();
        let fresh = read_when(&client, kind, &ns, &good, "created", |_| true).await;
        judge(kind, &fresh, "Progressing", "Waiting for the operator", Flux::Unknown);

        // a project whose namespace exists and belongs to nobody
        let bad = format!("gq-{suffix}");
        let taken = chaoscenter_crds::access::project_namespace(&bad);
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let squatter = Namespace {
            metadata: ObjectMeta {
                name: Some(taken.clone()),
                labels: Some([(E2E_LABEL.to_string(), "true".to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        };
        namespaces.create(&PostParams::default(), &squatter).await.unwrap();
        projects.create(&PostParams::default(), &project(&bad)).await.unwrap();

        let _op = Operator::start_with(
            &ns,
            &[("WATCH_SELECTOR", &format!("{scope}={ns}")), ("BUILTIN_HUB", "false")],
        );
        let ready = |p: &Value| settled(p) && condition(p, "Ready").is_some();
        let obj = read_when(&client, kind, &ns, &good, "reconciled", ready).await;
        judge(kind, &obj, "Healthy", "Reconciled", Flux::Current);
        let obj = read_when(&client, kind, &ns, &bad, "in conflict", ready).await;
        judge(kind, &obj, "Degraded", "NamespaceConflict", Flux::Failed);

        for name in [&good, &bad] {
            let _ = projects.delete(name, &DeleteParams::background()).await;
        }
        let _ = namespaces.delete(&taken, &DeleteParams::background()).await;
    })
    .await;
}
