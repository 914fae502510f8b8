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
    let objects = rendered();
    let bound_cluster_wide: Vec<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "ClusterRoleBinding")
        .filter_map(|o| o["roleRef"]["name"].as_str())
        .collect();
    for object in objects.iter().filter(|o| o["kind"] == "ClusterRole") {
        let name = object["metadata"]["name"].as_str().unwrap();
        for rule in object["rules"].as_array().cloned().unwrap_or_default() {
            let has = |field: &str, value: &str| {
                rule[field].as_array().is_some_and(|v| v.iter().any(|x| x == value || x == "*"))
            };
            if has("resources", "secrets") && has("apiGroups", "") {
                // the apiserver's role in its own namespace, and the operator's read of hub credentials,
                // which the operator binds in project namespaces only
                assert!(
                    ["chaoscenter-apiserver-local", chaoscenter_crds::access::HUB_CREDENTIALS_ROLE]
                        .contains(&name),
                    "{name} grants Secrets; only the namespace-local roles may"
                );
                assert!(
                    !bound_cluster_wide.contains(&name),
                    "{name} grants Secrets and is bound cluster-wide"
                );
                if name == chaoscenter_crds::access::HUB_CREDENTIALS_ROLE {
                    assert_eq!(
                        rule["verbs"],
                        serde_json::json!(["get"]),
                        "{name}: hub credentials are read by name only"
                    );
                }
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

/// Re-applying the install (an upgrade, a GitOps sync) keeps the rules the operator wrote into the
/// apiserver's impersonation role: a manifest naming `rules`, even empty, would wipe them at each apply
/// and lock every user out until the operator rewrote them. Checked on a copy of the role under another
/// name, so no user of the cluster is affected.
#[test]
fn re_applying_the_install_keeps_the_operators_impersonation_rules() {
    use std::io::Write;
    let mut role = rendered()
        .into_iter()
        .find(|o| o["kind"] == "ClusterRole" && o["metadata"]["name"] == "chaoscenter:apiserver-impersonate")
        .expect("the impersonation role is in the install");
    let name = format!("e2e-apply-keeps-rules-{}", std::process::id());
    role["metadata"]["name"] = Value::from(name.clone());
    let apply = |extra: &[&str]| {
        let mut child = kubectl()
            .args(["apply", "-f", "-"])
            .args(extra)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(role.to_string().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "kubectl apply: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    apply(&[]);
    // what the operator does: write the rules (here a harmless one)
    let rules = serde_json::json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["none"]}]);
    let out = kubectl()
        .args(["patch", "clusterrole", &name, "--type=merge", "-p"])
        .arg(serde_json::json!({ "rules": rules }).to_string())
        .output()
        .unwrap();
    let reapplied = out.status.success().then(|| apply(&["--dry-run=server", "-o", "json"]));
    let _ = kubectl().args(["delete", "clusterrole", &name, "--ignore-not-found"]).output();
    assert!(out.status.success(), "kubectl patch: {}", String::from_utf8_lossy(&out.stderr));
    let after: Value = serde_json::from_str(&reapplied.unwrap()).unwrap();
    assert_eq!(after["rules"], rules, "kubectl apply of the install would change the operator's rules");
}
