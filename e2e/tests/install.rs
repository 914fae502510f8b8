//! The install manifests (`config/default`, kustomize): they render, the API server accepts them, and every
//! Deployment runs restricted (non-root, read-only root filesystem, no capabilities, resource requests).

use chaoscenter_e2e::{kubectl, repo_root};
use serde::Deserialize;
use serde_json::Value;

fn rendered() -> Vec<Value> {
    let out = kubectl().args(["kustomize"]).arg(repo_root().join("config/default")).output().unwrap();
    assert!(
        out.status.success(),
        "kubectl kustomize config/default: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_yaml::Deserializer::from_str(&text).map(|doc| Value::deserialize(doc).unwrap()).collect()
}

#[test]
fn every_deployment_is_restricted_and_requests_resources() {
    let objects = rendered();
    let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    for kind in
        ["CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole", "Deployment", "Service"]
    {
        assert!(kinds.contains(&kind), "no {kind} in the install: {kinds:?}");
    }
    let deployments: Vec<&Value> = objects.iter().filter(|o| o["kind"] == "Deployment").collect();
    assert_eq!(deployments.len(), 2, "the operator and the apiserver");
    for d in deployments {
        let name = d["metadata"]["name"].as_str().unwrap();
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        assert!(
            pod["serviceAccountName"].as_str().is_some_and(|sa| sa == name),
            "{name} runs as its own ServiceAccount"
        );
        for c in pod["containers"].as_array().unwrap() {
            let sc = &c["securityContext"];
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{name}");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
            assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]), "{name}");
            assert!(
                c["resources"]["requests"]["cpu"].is_string()
                    && c["resources"]["requests"]["memory"].is_string(),
                "{name}"
            );
            assert!(c["resources"]["limits"]["memory"].is_string(), "{name}");
        }
    }
}

#[test]
fn no_role_grants_secrets_cluster_wide_or_impersonation_of_anyone() {
    for object in rendered().iter().filter(|o| o["kind"] == "ClusterRole") {
        let name = object["metadata"]["name"].as_str().unwrap();
        for rule in object["rules"].as_array().cloned().unwrap_or_default() {
            let has = |field: &str, value: &str| {
                rule[field].as_array().is_some_and(|v| v.iter().any(|x| x == value || x == "*"))
            };
            if has("resources", "secrets") && has("apiGroups", "") {
                assert_eq!(
                    name, "chaoscenter-apiserver-local",
                    "{name} grants Secrets; only the apiserver's namespace-local role may"
                );
            }
            if has("verbs", "impersonate") && has("apiGroups", "") {
                panic!("{name} grants impersonation statically; only the operator-kept role may, by name");
            }
            if (has("verbs", "escalate") || has("verbs", "bind"))
                && has("apiGroups", "rbac.authorization.k8s.io")
            {
                let names = rule["resourceNames"].as_array().map(|v| v.len()).unwrap_or(0);
                assert!(names > 0, "{name}: bind/escalate must be limited to named roles");
            }
        }
    }
}

#[test]
fn the_api_server_accepts_the_whole_install() {
    let out = kubectl()
        .args(["apply", "--dry-run=server", "-k"])
        .arg(repo_root().join("config/default"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl apply --dry-run=server -k config/default:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
