//! Tests of the local harness itself (not run against a cluster given in KUBECONFIG): images made by
//! `e2e/cluster/image.sh` and imported into the local containerd run as pods.

use chaoscenter_e2e::{wait_for, with_namespace};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use std::time::Duration;

/// The project's own binaries run in the cluster as images made by `e2e/cluster/image.sh binary`
/// (`make test` builds `CHAOSCENTER_OPERATOR_IMAGE` from the operator binary and imports it).
#[tokio::test]
async fn local_harness_packages_a_project_binary_as_an_image() {
    let image = std::env::var("CHAOSCENTER_OPERATOR_IMAGE")
        .expect("CHAOSCENTER_OPERATOR_IMAGE is not set: `make test` packages the operator as a local image");
    with_namespace("image", &[], |client, ns| async move {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "operator"},
            "spec": {
                "terminationGracePeriodSeconds": 5,
                "securityContext": {"runAsNonRoot": true, "runAsUser": 65532},
                "containers": [{
                    "name": "operator",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "securityContext": {
                        "readOnlyRootFilesystem": true,
                        "allowPrivilegeEscalation": false,
                        "capabilities": {"drop": ["ALL"]}
                    }
                }]
            }
        }))
        .unwrap();
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        pods.create(&PostParams::default(), &pod).await.unwrap();
        wait_for(Duration::from_secs(120), "the operator pod to log its start", || async {
            let logs = pods.logs("operator", &Default::default()).await.ok()?;
            logs.contains("chaoscenter-operator started").then_some(())
        })
        .await;
    })
    .await;
}
