//! The harness really runs pods: a busybox httpd Deployment becomes Ready, and a deleted pod is replaced
//! by a new one that becomes Ready too.

use chaoscenter_e2e::{pod_ready, wait_for, with_namespace};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use std::time::Duration;

#[tokio::test]
async fn a_deleted_pod_is_replaced_and_becomes_ready() {
    let (image, pull_policy) = chaoscenter_e2e::busybox_image();
    with_namespace("pods", &[], |client, ns| async move {
        let deployment: Deployment = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 1,
                        "containers": [{
                            "name": "httpd",
                            "image": image,
                            "imagePullPolicy": pull_policy,
                            "command": ["httpd", "-f", "-p", "8080", "-h", "/var/www"],
                            "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}
                        }]
                    }
                }
            }
        }))
        .unwrap();
        Api::<Deployment>::namespaced(client.clone(), &ns)
            .create(&PostParams::default(), &deployment)
            .await
            .unwrap();
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        let by_label = ListParams::default().labels("app=web");
        let ready = wait_for(Duration::from_secs(120), "2 Ready web pods", || async {
            let list = pods.list(&by_label).await.ok()?;
            let ready: Vec<Pod> = list.items.into_iter().filter(pod_ready).collect();
            (ready.len() == 2).then_some(ready)
        })
        .await;
        let victim = ready[0].metadata.name.clone().unwrap();
        let victim_uid = ready[0].metadata.uid.clone().unwrap();
        pods.delete(&victim, &DeleteParams::default()).await.unwrap();
        wait_for(Duration::from_secs(120), "a Ready replacement for the deleted pod", || async {
            let list = pods.list(&by_label).await.ok()?;
            let ready: Vec<&Pod> = list.items.iter().filter(|p| pod_ready(p)).collect();
            let replaced = ready.len() == 2
                && ready.iter().all(|p| p.metadata.uid.as_deref() != Some(victim_uid.as_str()));
            replaced.then_some(())
        })
        .await;
    })
    .await;
}
