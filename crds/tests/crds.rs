//! Unit tests of the CRD types: generated schemas, the committed YAML, samples and defaults.

use chaoscenter_crds::workflow::{ConcurrencyPolicy, FaultType, ProbeMode, TargetMode};
use chaoscenter_crds::*;
use kube::core::Resource;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crds/ has a parent").to_path_buf()
}

/// The schema of a kind as installed (from `all_crds`, which post-processes some schemas).
fn schema_of<K: Resource<DynamicType = ()>>() -> Value {
    let crd = all_crds().into_iter().find(|c| c.spec.names.kind == K::kind(&())).expect("kind is installed");
    let version = &crd.spec.versions[0];
    serde_json::to_value(version.schema.as_ref().unwrap().open_api_v3_schema.as_ref().unwrap()).unwrap()
}

/// The schema node at a path of property names (`items` steps into arrays automatically).
fn node<'a>(mut schema: &'a Value, path: &[&str]) -> &'a Value {
    for key in path {
        if schema.get("type") == Some(&json!("array")) {
            schema = &schema["items"];
        }
        schema =
            schema["properties"].get(*key).unwrap_or_else(|| panic!("no property {key} in path {path:?}"));
    }
    schema
}

#[test]
fn committed_crd_yaml_matches_the_types() {
    for crd in all_crds() {
        let path = repo_root().join("crds").join(crd_file_name(&crd));
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == crd_yaml(&crd).unwrap(),
            "{} is stale: run `make crds` and commit the result",
            path.display()
        );
    }
}

#[test]
fn the_kustomization_lists_every_crd() {
    let text = std::fs::read_to_string(repo_root().join("crds/kustomization.yaml")).unwrap();
    let kustomization: Value = serde_yaml::from_str(&text).unwrap();
    let listed: Vec<&str> =
        kustomization["resources"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    let wanted: Vec<String> = all_crds().iter().map(crd_file_name).collect();
    assert_eq!(listed, wanted, "crds/kustomization.yaml must list every generated CRD, in order");
}

#[test]
fn every_kind_has_status_category_short_name_and_columns() {
    let crds = all_crds();
    let kinds: Vec<_> = crds.iter().map(|c| c.spec.names.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            "Project",
            "ChaosUser",
            "ChaosHub",
            "ChaosWorkflow",
            "ChaosWorkflowRun",
            "ChaosInjection",
            "ChaosTemplate",
            "ChaosRunLog"
        ]
    );
    for crd in &crds {
        let kind = &crd.spec.names.kind;
        assert_eq!(crd.spec.group, API_GROUP);
        assert_eq!(crd.spec.names.categories.as_deref(), Some(&[CATEGORY.to_string()][..]), "{kind}");
        assert!(
            crd.spec.names.short_names.as_ref().is_some_and(|s| !s.is_empty()),
            "{kind} has no short name"
        );
        let version = &crd.spec.versions[0];
        assert_eq!(version.name, API_VERSION);
        assert!(version.served && version.storage);
        let columns = version.additional_printer_columns.as_ref().expect("printer columns");
        assert!(columns.len() >= 3, "{kind} has too few printer columns");
        if kind == "ChaosTemplate" || kind == "ChaosRunLog" {
            // read-only records the operator writes whole (a hub's catalogue entry, a run's log): nothing to
            // report on them
            assert!(version.subresources.as_ref().and_then(|s| s.status.as_ref()).is_none());
            continue;
        }
        assert!(
            version.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some(),
            "{kind} has no status subresource"
        );
        let schema =
            serde_json::to_value(version.schema.as_ref().unwrap().open_api_v3_schema.as_ref().unwrap())
                .unwrap();
        let status = node(&schema, &["status"]);
        assert!(
            status["properties"].get("observedGeneration").is_some(),
            "{kind} status lacks observedGeneration"
        );
        if kind == "ChaosInjection" {
            // one writer (the node agent) reports one fault's phase and timestamps: no conditions to merge
            continue;
        }
        let conditions = &status["properties"]["conditions"];
        assert_eq!(conditions["x-kubernetes-list-type"], "map", "{kind}");
        assert_eq!(conditions["x-kubernetes-list-map-keys"], json!(["type"]), "{kind}");
    }
    let scope = |kind: &str| crds.iter().find(|c| c.spec.names.kind == kind).unwrap().spec.scope.clone();
    assert_eq!(scope("Project"), "Cluster");
    assert_eq!(scope("ChaosUser"), "Cluster");
    assert_eq!(scope("ChaosWorkflow"), "Namespaced");
    assert_eq!(scope("ChaosWorkflowRun"), "Namespaced");
    assert_eq!(scope("ChaosHub"), "Namespaced");
    assert_eq!(scope("ChaosInjection"), "Namespaced");
    assert_eq!(scope("ChaosTemplate"), "Namespaced");
    assert_eq!(scope("ChaosRunLog"), "Namespaced");
}

#[test]
fn workflow_schema_constrains_what_the_api_server_must_reject() {
    let schema = schema_of::<ChaosWorkflow>();
    let steps = node(&schema, &["spec", "steps"]);
    assert_eq!(steps["minItems"], 1);
    assert_eq!(steps["x-kubernetes-list-type"], "map");
    assert_eq!(steps["x-kubernetes-list-map-keys"], json!(["name"]));
    assert!(node(&schema, &["spec"])["required"].as_array().unwrap().contains(&json!("steps")));
    let fault_types = node(&schema, &["spec", "steps", "fault", "type"])["enum"].clone();
    assert_eq!(
        fault_types,
        json!([
            "pod-delete",
            "pod-autoscaler",
            "node-cordon",
            "node-taint",
            "node-drain",
            "network-partition",
            "network-delay",
            "network-loss",
            "network-duplicate",
            "network-corrupt",
            "network-rate",
            "container-kill",
            "pod-cpu-stress",
            "pod-memory-stress",
            "pod-io-stress",
            "disk-fill",
            "dns-error",
            "dns-spoof",
            "http-latency",
            "http-abort",
            "http-status",
            "http-modify",
            "node-cpu-stress",
            "node-memory-stress"
        ])
    );
    let weight = node(&schema, &["spec", "steps", "weight"]);
    assert_eq!(weight["minimum"], 0.0);
    assert_eq!(weight["maximum"], 1000.0);
    let mode = node(&schema, &["spec", "steps", "fault", "target", "mode"]);
    assert_eq!(mode["enum"], json!(["all", "one", "fixed", "fixed-percent", "random-max-percent"]));
    let target = node(&schema, &["spec", "steps", "fault", "target"]);
    assert_eq!(target["anyOf"][1]["properties"]["value"]["maximum"], 100.0, "percent modes cap value at 100");
    assert!(node(&schema, &["spec", "steps", "name"])["pattern"].is_string());
    assert!(node(&schema, &["spec", "maxDuration"])["pattern"].is_string());
    assert_eq!(node(&schema, &["spec", "concurrencyPolicy"])["enum"], json!(["Allow", "Forbid", "Replace"]));
    let explain = node(&schema, &["spec", "steps"])["description"].as_str().unwrap();
    assert!(explain.contains("dependsOn"), "steps are documented for kubectl explain");

    // The run embeds the frozen workflow spec with the same constraints.
    let run = schema_of::<ChaosWorkflowRun>();
    let run_target = node(&run, &["spec", "workflow", "steps", "fault", "target"]);
    assert_eq!(run_target["anyOf"], target["anyOf"]);
}

#[test]
fn project_and_user_schemas_constrain_roles_and_names() {
    let project = schema_of::<Project>();
    assert_eq!(node(&project, &["spec", "members", "role"])["enum"], json!(["Owner", "Editor", "Viewer"]));
    assert_eq!(node(&project, &["spec", "members"])["x-kubernetes-list-map-keys"], json!(["user"]));
    assert_eq!(node(&project, &["spec", "targetNamespaces"])["x-kubernetes-list-type"], "set");
    let user = schema_of::<ChaosUser>();
    assert_eq!(node(&user, &["spec", "role"])["enum"], json!(["admin", "user"]));
    assert_eq!(node(&user, &["spec", "role"])["default"], "user");
}

/// Every field of `original` is present with the same value in `reserialized` (which may add defaults).
fn assert_subset(original: &Value, reserialized: &Value, path: &str) {
    match (original, reserialized) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let other =
                    b.get(key).unwrap_or_else(|| panic!("{path}.{key} was dropped: not a field of the type"));
                assert_subset(value, other, &format!("{path}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: list length changed");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_subset(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(b)) => assert_eq!(a.as_f64(), b.as_f64(), "{path}"),
        (a, b) => assert_eq!(a, b, "{path}"),
    }
}

fn round_trip<K>(file: &str) -> K
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let path = repo_root().join("config/samples").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let original: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(original["apiVersion"], K::api_version(&()).as_ref(), "{file}");
    assert_eq!(original["kind"], K::kind(&()).as_ref(), "{file}");
    let typed: K = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let reserialized = serde_json::to_value(&typed).unwrap();
    assert_subset(&original, &reserialized, file);
    let again: K = serde_json::from_value(reserialized).unwrap();
    assert_eq!(again, typed, "{file}: a second round trip changed the object");
    typed
}

#[test]
fn every_sample_round_trips() {
    let project: Project = round_trip("project.yaml");
    assert_eq!(project.spec.members.len(), 3);
    let _: ChaosUser = round_trip("chaosuser.yaml");
    let _: ChaosHub = round_trip("chaoshub.yaml");
    let workflow: ChaosWorkflow = round_trip("chaosworkflow.yaml");
    assert_eq!(workflow.spec.steps[0].fault.type_, FaultType::PodDelete);
    assert_eq!(workflow.spec.steps[0].fault.target.mode, TargetMode::FixedPercent);
    let run: ChaosWorkflowRun = round_trip("chaosworkflowrun.yaml");
    assert_eq!(run.spec.workflow_ref.name, "checkout-resilience");

    let samples: Vec<_> = std::fs::read_dir(repo_root().join("config/samples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    for kind in ["project", "chaosuser", "chaoshub", "chaosworkflow", "chaosworkflowrun"] {
        assert!(samples.contains(&format!("{kind}.yaml")), "no sample for {kind}");
    }
}

#[test]
fn defaults_fill_a_minimal_workflow() {
    let workflow: ChaosWorkflow = serde_yaml::from_str(
        "apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata: {name: w}\nspec:\n  steps:\n  - name: s\n    fault: {type: pod-delete, target: {namespace: shop}}\n    probes: [{name: p, type: http, http: {url: 'http://x'}}]\n",
    )
    .unwrap();
    let spec = &workflow.spec;
    assert_eq!(spec.time_zone, "UTC");
    assert_eq!(spec.concurrency_policy, ConcurrencyPolicy::Forbid);
    assert!(!spec.suspend);
    assert_eq!(spec.run_history_limit, workflow::DEFAULT_RUN_HISTORY_LIMIT);
    assert_eq!(spec.max_duration, workflow::DEFAULT_MAX_DURATION);
    let step = &spec.steps[0];
    assert_eq!(step.weight, workflow::DEFAULT_WEIGHT);
    assert_eq!(step.fault.duration, "30s");
    assert_eq!(step.fault.target.mode, TargetMode::All);
    let probe = &step.probes[0];
    assert_eq!(probe.mode, ProbeMode::Continuous);
    assert_eq!(probe.run_properties.attempts, 1);
    assert_eq!(probe.run_properties.interval, "2s");

    // The API server applies the same defaults: they are in the schema with the same values.
    let schema = schema_of::<ChaosWorkflow>();
    assert_eq!(node(&schema, &["spec", "steps", "weight"])["default"], json!(step.weight));
    assert_eq!(node(&schema, &["spec", "timeZone"])["default"], json!(spec.time_zone));
    assert_eq!(node(&schema, &["spec", "concurrencyPolicy"])["default"], json!("Forbid"));
    assert_eq!(node(&schema, &["spec", "runHistoryLimit"])["default"], json!(spec.run_history_limit));
    assert_eq!(node(&schema, &["spec", "maxDuration"])["default"], json!(spec.max_duration));
    assert_eq!(node(&schema, &["spec", "steps", "fault", "target", "mode"])["default"], json!("all"));

    let user: ChaosUser = serde_yaml::from_str(
        "apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosUser\nmetadata: {name: u}\nspec: {}\n",
    )
    .unwrap();
    assert_eq!(user.spec.role, user::GlobalRole::User);
    assert!(!user.spec.disabled);
}

#[test]
fn malformed_yaml_is_rejected_by_the_types() {
    let bad_fault = "apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata: {name: w}\nspec:\n  steps:\n  - name: s\n    fault: {type: pod-explode, target: {}}\n";
    let err = serde_yaml::from_str::<ChaosWorkflow>(bad_fault).unwrap_err().to_string();
    assert!(err.contains("pod-explode"), "{err}");
    let bad_role = "apiVersion: chaoscenter.io/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec: {members: [{user: a, role: King}]}\n";
    let err = serde_yaml::from_str::<Project>(bad_role).unwrap_err().to_string();
    assert!(err.contains("King"), "{err}");
}

#[test]
fn run_phase_knows_when_it_is_finished() {
    use chaoscenter_crds::run::RunPhase::*;
    for (phase, finished) in [
        (Pending, false),
        (Running, false),
        (Succeeded, true),
        (Failed, true),
        (Aborted, true),
        (Error, true),
    ] {
        assert_eq!(phase.is_finished(), finished, "{phase:?}");
    }
}
