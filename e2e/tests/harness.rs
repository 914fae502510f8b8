//! Tests of the local harness itself (not run against a cluster given in KUBECONFIG): images made by
//! `e2e/cluster/image.sh` and imported into the local containerd run as pods.

use chaoscenter_e2e::{kubectl, repo_root, wait_for, with_namespace};
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, PostParams};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// The pod template of Deployment `name` in `config/manager`, as the install would run it.
fn pod_template(name: &str) -> Value {
    let out = kubectl().args(["kustomize"]).arg(repo_root().join("config/manager")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let deployment = serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no Deployment {name} in config/manager"));
    deployment["spec"]["template"].clone()
}

/// The project's binaries run in the cluster as images made by `e2e/cluster/image.sh binary`, with the pod
/// spec (restricted securityContext, environment) of their install Deployment (`make test` builds
/// `CHAOSCENTER_OPERATOR_IMAGE` and `CHAOSCENTER_APISERVER_IMAGE` and imports them).
#[tokio::test]
async fn local_harness_runs_the_components_as_their_install_deployments_would() {
    let images = [
        ("chaoscenter-operator", "CHAOSCENTER_OPERATOR_IMAGE"),
        ("chaoscenter-apiserver", "CHAOSCENTER_APISERVER_IMAGE"),
    ];
    with_namespace("image", &[], |client, ns| async move {
        // the apiserver reads its MongoDB URI from a Secret; nothing answers there, so it keeps retrying
        let secret: Secret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "chaoscenter-mongodb"},
            "stringData": {"uri": "mongodb://127.0.0.1:1/"},
        }))
        .unwrap();
        Api::<Secret>::namespaced(client.clone(), &ns).create(&PostParams::default(), &secret).await.unwrap();
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        for (name, var) in images {
            let image = std::env::var(var)
                .unwrap_or_else(|_| panic!("{var} is not set: `make test` packages {name} as a local image"));
            let mut template = pod_template(name);
            let spec = &mut template["spec"];
            // the test namespace's default ServiceAccount: the pod starts, but may do nothing
            spec.as_object_mut().unwrap().remove("serviceAccountName");
            spec["terminationGracePeriodSeconds"] = 5.into();
            spec["containers"][0]["image"] = image.into();
            spec["containers"][0]["imagePullPolicy"] = "Never".into();
            let mut pod = serde_json::json!({"metadata": template["metadata"].clone(), "spec": template["spec"].clone()});
            pod["metadata"]["name"] = name.into();
            let pod: Pod = serde_json::from_value(pod).unwrap();
            pods.create(&PostParams::default(), &pod).await.unwrap();
        }
        for (name, _) in images {
            wait_for(Duration::from_secs(120), &format!("{name}'s pod to log its start"), || async {
                let logs = pods.logs(name, &Default::default()).await.ok()?;
                logs.contains(&format!("{name} started")).then_some(())
            })
            .await;
        }
        // the hubs' cache is writable although the root filesystem is not
        let logs = pods.logs("chaoscenter-operator", &Default::default()).await.unwrap();
        assert!(logs.contains("hub cache ready"), "the operator's hub cache: {logs}");
        let operator = pods.get("chaoscenter-operator").await.unwrap();
        let sc = operator.spec.unwrap().containers[0].security_context.clone().unwrap();
        assert_eq!(sc.read_only_root_filesystem, Some(true), "the install's securityContext was used");
    })
    .await;
}
