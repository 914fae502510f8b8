//! The CRDs on a real API server: they install, every sample applies, malformed objects are rejected by
//! the API server itself with the offending field named, and `kubectl explain` shows the field docs.

use chaoscenter_e2e::{chaos_api, ensure_crds, kubectl, repo_root, wait_for, with_namespace};
use kube::api::{DeleteParams, PostParams};
use kube::core::DynamicObject;
use kube::Client;
use serde_json::{json, Value};
use std::time::Duration;

fn sample(file: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join("config/samples").join(file)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// Creates `object` as given (no client-side defaulting or typing), in `ns` when namespaced.
async fn create(client: &Client, ns: &str, mut object: Value) -> Result<DynamicObject, kube::Error> {
    let kind = object["kind"].as_str().unwrap().to_string();
    if object["metadata"].get("namespace").is_some() {
        object["metadata"]["namespace"] = json!(ns);
    }
    let object: DynamicObject = serde_json::from_value(object).unwrap();
    chaos_api(client, &kind, ns).create(&PostParams::default(), &object).await
}

#[tokio::test]
async fn every_sample_applies() {
    with_namespace("samples", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let mut cluster_scoped = Vec::new();
        for file in
            ["project.yaml", "chaosuser.yaml", "chaoshub.yaml", "chaosworkflow.yaml", "chaosworkflowrun.yaml"]
        {
            let mut object = sample(file);
            let kind = object["kind"].as_str().unwrap().to_string();
            if object["metadata"].get("namespace").is_none() {
                // cluster-scoped: a name unique to this test run
                let name = format!("{}-{ns}", object["metadata"]["name"].as_str().unwrap());
                object["metadata"]["name"] = json!(name);
                cluster_scoped.push((kind.clone(), name));
            }
            let created = create(&client, &ns, object.clone())
                .await
                .unwrap_or_else(|e| panic!("{file} was rejected: {e}"));
            // The server kept every field the sample sets (nothing was pruned as unknown).
            assert_subset(&object["spec"], &created.data["spec"], &format!("{file}: spec"));
        }
        // The server applied the schema defaults the sample left out.
        let workflow = chaos_api(&client, "ChaosWorkflow", &ns).get("checkout-resilience").await.unwrap();
        assert_eq!(workflow.data["spec"]["suspend"], json!(false));
        assert_eq!(workflow.data["spec"]["steps"][1]["fault"]["target"]["mode"], json!("all"));
        assert_eq!(workflow.data["spec"]["steps"][0]["probes"][1]["runProperties"]["attempts"], json!(1));
        // `kubectl get chaos` lists every kind (the category), cluster-scoped ones included.
        let out = kubectl().args(["get", "chaos", "-n", &ns, "-o", "name"]).output().unwrap();
        let listed = String::from_utf8_lossy(&out.stdout);
        for kind in ["project", "chaosuser", "chaoshub", "chaosworkflow", "chaosworkflowrun"] {
            assert!(
                listed.contains(&format!("{kind}.chaoscenter.io/")),
                "kubectl get chaos misses {kind}:\n{listed}"
            );
        }
        for (kind, name) in cluster_scoped {
            chaos_api(&client, &kind, &ns).delete(&name, &DeleteParams::default()).await.unwrap();
        }
    })
    .await;
}

fn assert_subset(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                assert_subset(
                    v,
                    b.get(k).unwrap_or_else(|| panic!("{path}.{k} was dropped by the server")),
                    &format!("{path}.{k}"),
                );
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}");
            a.iter().zip(b).enumerate().for_each(|(i, (x, y))| assert_subset(x, y, &format!("{path}[{i}]")));
        }
        (a, b) => assert_eq!(a, b, "{path}"),
    }
}

/// One malformed object: which sample, how it is broken, and the field the error must name.
struct Case {
    what: &'static str,
    sample: &'static str,
    field: &'static str,
    breaks: fn(&mut Value),
}

const CASES: &[Case] = &[
    Case {
        what: "an unknown fault type",
        sample: "chaosworkflow.yaml",
        field: "spec.steps.fault.type",
        breaks: |w| w["spec"]["steps"][0]["fault"]["type"] = json!("pod-explode"),
    },
    Case {
        what: "a percentage above 100",
        sample: "chaosworkflow.yaml",
        field: "spec.steps.fault.target.value",
        breaks: |w| w["spec"]["steps"][0]["fault"]["target"]["value"] = json!(150),
    },
    Case {
        what: "a negative weight",
        sample: "chaosworkflow.yaml",
        field: "spec.steps.weight",
        breaks: |w| w["spec"]["steps"][0]["weight"] = json!(-5),
    },
    Case {
        what: "a workflow without steps",
        sample: "chaosworkflow.yaml",
        field: "spec.steps",
        breaks: |w| w["spec"]["steps"] = json!([]),
    },
    Case {
        what: "a workflow with no steps field",
        sample: "chaosworkflow.yaml",
        field: "spec.steps",
        breaks: |w| {
            w["spec"].as_object_mut().unwrap().remove("steps");
        },
    },
    Case {
        what: "a bad target mode",
        sample: "chaosworkflow.yaml",
        field: "spec.steps.fault.target.mode",
        breaks: |w| w["spec"]["steps"][0]["fault"]["target"]["mode"] = json!("half"),
    },
    Case {
        what: "two steps with the same name",
        sample: "chaosworkflow.yaml",
        field: "spec.steps[1]",
        breaks: |w| w["spec"]["steps"][1]["name"] = json!("kill-checkout"),
    },
    Case {
        what: "a malformed duration",
        sample: "chaosworkflow.yaml",
        field: "spec.maxDuration",
        breaks: |w| w["spec"]["maxDuration"] = json!("fifteen minutes"),
    },
    Case {
        what: "an unknown concurrency policy",
        sample: "chaosworkflow.yaml",
        field: "spec.concurrencyPolicy",
        breaks: |w| w["spec"]["concurrencyPolicy"] = json!("Sometimes"),
    },
    Case {
        what: "an unknown probe mode",
        sample: "chaosworkflow.yaml",
        field: "spec.steps.probes.mode",
        breaks: |w| w["spec"]["steps"][0]["probes"][0]["mode"] = json!("Always"),
    },
    Case {
        what: "an unknown member role",
        sample: "project.yaml",
        field: "spec.members.role",
        breaks: |p| p["spec"]["members"][0]["role"] = json!("King"),
    },
    Case {
        what: "an invalid target namespace",
        sample: "project.yaml",
        field: "spec.targetNamespaces",
        breaks: |p| p["spec"]["targetNamespaces"] = json!(["Not_A_Namespace"]),
    },
    Case {
        what: "an unknown global role",
        sample: "chaosuser.yaml",
        field: "spec.role",
        breaks: |u| u["spec"]["role"] = json!("root"),
    },
    Case {
        what: "a malformed email",
        sample: "chaosuser.yaml",
        field: "spec.email",
        breaks: |u| u["spec"]["email"] = json!("not an email"),
    },
    Case {
        what: "a run without a workflow",
        sample: "chaosworkflowrun.yaml",
        field: "spec.workflowRef",
        breaks: |r| {
            r["spec"].as_object_mut().unwrap().remove("workflowRef");
        },
    },
    Case {
        what: "an unknown trigger",
        sample: "chaosworkflowrun.yaml",
        field: "spec.trigger",
        breaks: |r| r["spec"]["trigger"] = json!("Cosmic"),
    },
    Case {
        what: "a hub with an unknown source",
        sample: "chaoshub.yaml",
        field: "spec.source",
        breaks: |h| h["spec"]["source"] = json!("Ftp"),
    },
];

#[tokio::test]
async fn the_api_server_rejects_malformed_objects_naming_the_field() {
    with_namespace("malformed", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let mut failures = Vec::new();
        for case in CASES {
            let mut object = sample(case.sample);
            let name = format!("bad-{ns}");
            object["metadata"]["name"] = json!(name);
            (case.breaks)(&mut object);
            let kind = object["kind"].as_str().unwrap().to_string();
            match create(&client, &ns, object).await {
                Ok(_) => {
                    failures.push(format!("{}: accepted", case.what));
                    let _ = chaos_api(&client, &kind, &ns).delete(&name, &DeleteParams::default()).await;
                }
                Err(kube::Error::Api(status))
                    if status.code == 422 && status.message.contains(case.field) =>
                {
                    // Nothing was stored.
                    assert!(
                        chaos_api(&client, &kind, &ns).get_opt(&name).await.unwrap().is_none(),
                        "{}",
                        case.what
                    );
                }
                Err(e) => {
                    failures.push(format!("{}: expected a 422 naming {}, got {e}", case.what, case.field))
                }
            }
        }
        assert!(failures.is_empty(), "malformed objects not rejected as expected:\n{}", failures.join("\n"));
        assert!(CASES.len() >= 6);
    })
    .await;
}

#[tokio::test]
async fn value_above_100_is_fine_when_it_is_a_count() {
    with_namespace("count", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let mut workflow = sample("chaosworkflow.yaml");
        workflow["spec"]["steps"][0]["fault"]["target"]["mode"] = json!("fixed");
        workflow["spec"]["steps"][0]["fault"]["target"]["value"] = json!(150);
        let created =
            create(&client, &ns, workflow).await.expect("mode fixed takes a count, which may exceed 100");
        assert_eq!(created.data["spec"]["steps"][0]["fault"]["target"]["value"], json!(150));
    })
    .await;
}

#[tokio::test]
async fn kubectl_explain_prints_the_field_docs() {
    let client = chaoscenter_e2e::client().await;
    ensure_crds(&client).await;
    // The API server publishes CRD schemas to its OpenAPI document a moment after they are established.
    let out = wait_for(Duration::from_secs(60), "kubectl explain to show the steps docs", || async {
        let out = kubectl().args(["explain", "chaosworkflow.spec.steps"]).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        (out.status.success() && text.contains("Steps with no `dependsOn` start at once")).then_some(text)
    })
    .await;
    assert!(out.contains("dependsOn"), "{out}");
    assert!(out.contains("The fault this step injects."), "{out}");
    let out = kubectl().args(["explain", "chaosworkflow.spec.steps.fault.target.mode"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("How many of the matching objects are hit"));
}
