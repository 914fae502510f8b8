//! The end-to-end test harness: a client for the cluster under test, a fresh labelled namespace per test
//! (deleted afterwards, its pods and events printed on failure), CRD installation and polling helpers.

use chaoscenter_crds::all_crds;
use futures::FutureExt;
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use kube::Client;
use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Label on every namespace the tests create, so leftovers are easy to find: `kubectl get ns -l ...`.
pub const E2E_LABEL: &str = "chaoscenter.io/e2e";
/// The field manager the tests use for server-side apply.
pub const FIELD_MANAGER: &str = "chaoscenter-e2e";

/// A client for the cluster under test, from `KUBECONFIG` (set by `make test`).
pub async fn client() -> Client {
    assert!(
        std::env::var_os("KUBECONFIG").is_some(),
        "KUBECONFIG is not set: the e2e tests need a cluster; run them with `make test`, which starts one"
    );
    Client::try_default()
        .await
        .expect("failed to build a client from KUBECONFIG")
}

/// The kubectl to run (`CHAOSCENTER_KUBECTL`, else `kubectl` on PATH).
pub fn kubectl() -> std::process::Command {
    let mut cmd = std::process::Command::new(
        std::env::var("CHAOSCENTER_KUBECTL").unwrap_or_else(|_| "kubectl".into()),
    );
    cmd.env(
        "KUBECONFIG",
        std::env::var_os("KUBECONFIG").unwrap_or_default(),
    );
    cmd
}

/// The MongoDB URI of the test database (`CHAOSCENTER_MONGODB_URI`, set by `make test`).
pub fn mongodb_uri() -> String {
    std::env::var("CHAOSCENTER_MONGODB_URI")
        .expect("CHAOSCENTER_MONGODB_URI is not set: run the e2e tests with `make test`, which starts nx-27017")
}

/// The busybox image for test pods and its pull policy: `CHAOSCENTER_BUSYBOX_IMAGE` (pulled if not
/// present) on a cluster of your own, else the local harness's imported `localhost/busybox:1.35`.
pub fn busybox_image() -> (String, &'static str) {
    match std::env::var("CHAOSCENTER_BUSYBOX_IMAGE") {
        Ok(image) => (image, "IfNotPresent"),
        Err(_) => ("localhost/busybox:1.35".into(), "Never"),
    }
}

/// A binary of this workspace, built next to the test executable (`cargo build --bins` builds them).
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps")
        .join(name)
}

/// The repository root (for samples and CRD files).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ has a parent")
        .to_path_buf()
}

static CRDS_INSTALLED: OnceCell<()> = OnceCell::const_new();

/// Installs (server-side applies) every ChaosCenter CRD once per test process and waits until each is
/// Established.
pub async fn ensure_crds(client: &Client) {
    CRDS_INSTALLED
        .get_or_init(|| async {
            let api: Api<CustomResourceDefinition> = Api::all(client.clone());
            for crd in all_crds() {
                let name = crd.metadata.name.clone().expect("a CRD has a name");
                api.patch(
                    &name,
                    &PatchParams::apply(FIELD_MANAGER).force(),
                    &Patch::Apply(&crd),
                )
                .await
                .unwrap_or_else(|e| panic!("failed to install CRD {name}: {e}"));
            }
            for crd in all_crds() {
                let name = crd.metadata.name.clone().expect("a CRD has a name");
                wait_for(
                    Duration::from_secs(30),
                    &format!("CRD {name} to be Established"),
                    || async {
                        let crd = api.get(&name).await.ok()?;
                        crd.status?
                            .conditions?
                            .iter()
                            .any(|c| c.type_ == "Established" && c.status == "True")
                            .then_some(())
                    },
                )
                .await;
            }
        })
        .await;
}

/// The dynamic API for a ChaosCenter kind, namespaced or cluster-scoped as its CRD says.
pub fn chaos_api(client: &Client, kind: &str, namespace: &str) -> Api<DynamicObject> {
    let crd = all_crds()
        .into_iter()
        .find(|c| c.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("unknown kind {kind}"));
    let gvk = GroupVersionKind::gvk(&crd.spec.group, &crd.spec.versions[0].name, kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, &crd.spec.names.plural);
    if crd.spec.scope == "Namespaced" {
        Api::namespaced_with(client.clone(), namespace, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    }
}

/// Polls `check` every 200 ms until it returns `Some`, panicking after `timeout` with `what`.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs `body` in a fresh namespace `e2e-<prefix>-xxxxx` labelled [`E2E_LABEL`] (plus `labels`), then
/// deletes the namespace. If the body panics, the namespace's pods and events are printed first.
pub async fn with_namespace<F, Fut>(prefix: &str, labels: &[(&str, &str)], body: F)
where
    F: FnOnce(Client, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let client = client().await;
    let mut all_labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    all_labels.insert(E2E_LABEL.into(), "true".into());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: ObjectMeta {
            generate_name: Some(format!("e2e-{prefix}-")),
            labels: Some(all_labels),
            ..Default::default()
        },
        ..Default::default()
    };
    let name = namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("failed to create the test namespace")
        .metadata
        .name
        .unwrap();
    wait_for(
        Duration::from_secs(30),
        "the namespace's default ServiceAccount",
        || {
            let sa: Api<k8s_openapi::api::core::v1::ServiceAccount> =
                Api::namespaced(client.clone(), &name);
            async move { sa.get_opt("default").await.ok().flatten() }
        },
    )
    .await;
    let result = AssertUnwindSafe(body(client.clone(), name.clone()))
        .catch_unwind()
        .await;
    if result.is_err() {
        dump_namespace(&client, &name).await;
    }
    let _ = namespaces.delete(&name, &DeleteParams::background()).await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Prints a namespace's pods (phase, readiness, container states) and events to stderr.
pub async fn dump_namespace(client: &Client, ns: &str) {
    eprintln!("---- namespace {ns}: pods");
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    for pod in pods
        .list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
    {
        let status = pod.status.unwrap_or_default();
        eprintln!(
            "{} phase={:?} conditions={:?} containers={:?}",
            pod.metadata.name.unwrap_or_default(),
            status.phase,
            status
                .conditions
                .unwrap_or_default()
                .iter()
                .map(|c| format!("{}={}", c.type_, c.status))
                .collect::<Vec<_>>(),
            status
                .container_statuses
                .unwrap_or_default()
                .iter()
                .map(|c| (c.name.clone(), c.state.clone()))
                .collect::<Vec<_>>()
        );
    }
    eprintln!("---- namespace {ns}: events");
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    for e in events
        .list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
    {
        eprintln!(
            "{} {} {}/{}: {}",
            e.type_.unwrap_or_default(),
            e.reason.unwrap_or_default(),
            e.involved_object.kind.unwrap_or_default(),
            e.involved_object.name.unwrap_or_default(),
            e.message.unwrap_or_default()
        );
    }
}

/// True when a pod is Ready.
pub fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
