//! The end-to-end test harness: a client for the cluster under test, a fresh labelled namespace per test
//! (deleted afterwards, its pods and events printed on failure), CRD installation and polling helpers.

pub mod access;
pub mod git;
pub mod graphql_ws;
pub mod history;
pub mod node;

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
    Client::try_default().await.expect("failed to build a client from KUBECONFIG")
}

/// The kubectl to run (`CHAOSCENTER_KUBECTL`, else `kubectl` on PATH).
pub fn kubectl() -> std::process::Command {
    let mut cmd =
        std::process::Command::new(std::env::var("CHAOSCENTER_KUBECTL").unwrap_or_else(|_| "kubectl".into()));
    cmd.env("KUBECONFIG", std::env::var_os("KUBECONFIG").unwrap_or_default());
    // kubectl's discovery cache is keyed by the server's address, which every local cluster shares: a
    // test run gets its own (`make test` sets it), so kinds of an earlier cluster are never listed
    if let Some(dir) = std::env::var_os("CHAOSCENTER_KUBECTL_CACHE") {
        cmd.arg("--cache-dir").arg(dir);
    }
    cmd
}

/// Runs `kubectl <args>` (as `as_user` when given) with `manifest` on stdin: success, and the output.
pub fn kubectl_stdin(as_user: Option<&str>, args: &[&str], manifest: &serde_json::Value) -> (bool, String) {
    use std::io::Write;
    let mut cmd = kubectl();
    if let Some(user) = as_user {
        cmd.arg(format!("--as={user}"));
    }
    let mut child = cmd
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(manifest.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

/// The MongoDB URI of the test database (`CHAOSCENTER_MONGODB_URI`, set by `make test`).
pub fn mongodb_uri() -> String {
    std::env::var("CHAOSCENTER_MONGODB_URI").expect(
        "CHAOSCENTER_MONGODB_URI is not set: run the e2e tests with `make test`, which starts nx-27017",
    )
}

/// The busybox image for test pods and its pull policy: `CHAOSCENTER_BUSYBOX_IMAGE` (pulled if not
/// present) on a cluster of your own, else the local harness's imported `localhost/busybox:1.35`.
pub fn busybox_image() -> (String, &'static str) {
    match std::env::var("CHAOSCENTER_BUSYBOX_IMAGE") {
        Ok(image) => (image, "IfNotPresent"),
        Err(_) => ("localhost/busybox:1.35".into(), "Never"),
    }
}

/// A binary of this workspace in target/<profile>/ (`cargo build --bins` builds them), found from the
/// running executable: a test in target/<profile>/deps/ or a binary such as `bench` in target/<profile>/.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the executable has a path");
    let mut dir = exe.parent().expect("the executable is in a directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().expect("deps/ has a parent");
    }
    dir.join(name)
}

/// The repository root (for samples and CRD files).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("e2e/ has a parent").to_path_buf()
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
                api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&crd))
                    .await
                    .unwrap_or_else(|e| panic!("failed to install CRD {name}: {e}"));
            }
            for crd in all_crds() {
                let name = crd.metadata.name.clone().expect("a CRD has a name");
                wait_for(Duration::from_secs(30), &format!("CRD {name} to be Established"), || async {
                    let crd = api.get(&name).await.ok()?;
                    crd.status?
                        .conditions?
                        .iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                        .then_some(())
                })
                .await;
            }
        })
        .await;
}

/// The CRDs, generated once per process (generating their schemas takes a while in a debug build, which
/// would otherwise be part of every timed create in the benchmarks).
fn crds() -> &'static [CustomResourceDefinition] {
    static CRDS: std::sync::OnceLock<Vec<CustomResourceDefinition>> = std::sync::OnceLock::new();
    CRDS.get_or_init(all_crds)
}

/// The dynamic API for a ChaosCenter kind, namespaced or cluster-scoped as its CRD says.
pub fn chaos_api(client: &Client, kind: &str, namespace: &str) -> Api<DynamicObject> {
    let crd =
        crds().iter().find(|c| c.spec.names.kind == kind).unwrap_or_else(|| panic!("unknown kind {kind}"));
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
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
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
    let mut all_labels: BTreeMap<String, String> =
        labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
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
    wait_for(Duration::from_secs(30), "the namespace's default ServiceAccount", || {
        let sa: Api<k8s_openapi::api::core::v1::ServiceAccount> = Api::namespaced(client.clone(), &name);
        async move { sa.get_opt("default").await.ok().flatten() }
    })
    .await;
    let result = AssertUnwindSafe(body(client.clone(), name.clone())).catch_unwind().await;
    if result.is_err() {
        dump_namespace(&client, &name).await;
    }
    // the Project `setup_project` made is cluster-scoped: it would outlive the namespace (and its project
    // namespace and built-in hub would stay in a cluster `make up` shares)
    delete_project(&client, &name).await;
    let _ = namespaces.delete(&name, &DeleteParams::background()).await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Prints a namespace's pods (phase, readiness, container states) and events to stderr.
pub async fn dump_namespace(client: &Client, ns: &str) {
    eprintln!("---- namespace {ns}: pods");
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    for pod in pods.list(&ListParams::default()).await.map(|l| l.items).unwrap_or_default() {
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
    for e in events.list(&ListParams::default()).await.map(|l| l.items).unwrap_or_default() {
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
/// A component's /metrics (Prometheus text) at `addr`.
pub async fn scrape(addr: &str) -> String {
    let answer = reqwest::get(format!("http://{addr}/metrics")).await.expect("scraping /metrics");
    assert!(answer.status().is_success(), "/metrics answered {}", answer.status());
    answer.text().await.unwrap()
}

/// The value of the sample `series` (name and labels as exported) in `text`, if it is there.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

pub fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// An operator process under test, scoped to one namespace (its runs and workflows), holding its lease and
/// halt switch there too, so tests in parallel each get their own. Killed when dropped.
/// A workspace binary running as a child process, its output in a log file under `e2e/artifacts/`.
pub struct Process {
    child: Option<std::process::Child>,
    pub log: PathBuf,
}

impl Process {
    /// Starts workspace binary `binary` with `env`, logging to `e2e/artifacts/<log_name>-N.log`.
    pub fn spawn(binary: &str, log_name: &str, env: &[(String, String)]) -> Self {
        let dir = repo_root().join("e2e/artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let mut n = 0;
        let log = loop {
            let candidate = dir.join(format!("{log_name}-{n}.log"));
            if !candidate.exists() {
                break candidate;
            }
            n += 1;
        };
        let file = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new(workspace_binary(binary))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("failed to start {binary} (built by `cargo build --bins`): {e}"));
        Self { child: Some(child), log }
    }

    /// Its log so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The value of `key=` on the first log line containing `marker`, once it appears.
    pub async fn log_value(&self, marker: &str, key: &str) -> String {
        wait_for(Duration::from_secs(60), &format!("{marker:?} in {}", self.log.display()), || async {
            let logs = strip_ansi(&self.logs());
            let line = logs.lines().find(|l| l.contains(marker))?;
            let start = line.find(&format!("{key}="))? + key.len() + 1;
            Some(line[start..].chars().take_while(|c| !c.is_whitespace()).collect())
        })
        .await
    }

    /// Kills it with SIGKILL (no chance to clean up), and waits for it to be gone.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it with SIGTERM; returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id (for memory readings).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// What the tests' operators let probes reach beyond the default egress policy (docs/operator.md): each
/// test's namespace is its operator's control-plane namespace (`CHAOSCENTER_NAMESPACE`) and also where its
/// probed web apps live, so their private ClusterIPs and pod addresses are allowed, and loopback, where
/// tests probe a port nothing listens on. Link-local addresses stay refused, and the Kubernetes API is
/// refused whatever this says.
pub const TEST_PROBE_EGRESS_ALLOW: &str = "127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16";

/// The operator as a child process, namespace-scoped to a test's namespace.
pub struct Operator {
    process: Process,
    namespace: String,
    pub log: PathBuf,
}

impl Operator {
    /// Starts `chaoscenter-operator` watching `namespace`, logging to `e2e/artifacts/operator-<ns>-N.log`.
    pub fn start(namespace: &str) -> Self {
        Self::start_with(namespace, &[])
    }

    /// Like [`Operator::start`], with more environment (e.g. `WATCH_SELECTOR`, `KUBECONFIG`; a variable
    /// given here replaces the harness's own, e.g. `("PROBE_EGRESS_ALLOW", "")` for the default policy).
    pub fn start_with(namespace: &str, extra: &[(&str, &str)]) -> Self {
        let mut env: Vec<(String, String)> = [
            ("RUST_LOG", "info,kube=warn"),
            ("CHAOSCENTER_NAMESPACE", namespace),
            ("WATCH_NAMESPACE", namespace),
            ("METRICS_ADDR", "127.0.0.1:0"),
            ("PROBE_EGRESS_ALLOW", TEST_PROBE_EGRESS_ALLOW),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        if !extra.iter().any(|(k, _)| *k == "POD_NAME") {
            let n = std::fs::read_dir(repo_root().join("e2e/artifacts")).map(|d| d.count()).unwrap_or(0);
            env.push(("POD_NAME".into(), format!("e2e-{namespace}-{n}")));
        }
        let process = Process::spawn("chaoscenter-operator", &format!("operator-{namespace}"), &env);
        let log = process.log.clone();
        Self { process, namespace: namespace.to_string(), log }
    }

    /// The operator's log so far.
    pub fn logs(&self) -> String {
        self.process.logs()
    }

    /// The address its /metrics listens on (from its start line).
    pub async fn metrics_addr(&self) -> String {
        self.process.log_value("chaoscenter-operator started", "metrics").await
    }

    /// Kills it with SIGKILL (no chance to clean up), and waits for it to be gone.
    pub fn kill9(&mut self) {
        self.process.kill9()
    }

    /// Stops it with SIGTERM; returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        self.process.stop()
    }

    /// The process id (for memory readings).
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The merge patch that opts a namespace or node in to chaos for `projects` (the value of the annotation
/// `chaoscenter.io/chaos-projects`: comma-separated project names, or `*`).
pub fn opt_in_patch(projects: &str) -> serde_json::Value {
    use chaoscenter_crds::common::{CHAOS_OPT_IN_LABEL, CHAOS_OPT_IN_VALUE, CHAOS_PROJECTS_ANNOTATION};
    serde_json::json!({"metadata": {"labels": {CHAOS_OPT_IN_LABEL: CHAOS_OPT_IN_VALUE},
                                    "annotations": {CHAOS_PROJECTS_ANNOTATION: projects}}})
}

/// Opts namespace `ns` in to chaos for `projects` (see [`opt_in_patch`]).
pub async fn opt_in_namespace(client: &Client, ns: &str, projects: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces.patch(ns, &PatchParams::default(), &Patch::Merge(&opt_in_patch(projects))).await.unwrap();
}

/// Makes `ns` a project namespace that may also be targeted: labels it as project `p-<ns>`'s home, opts it
/// in to chaos for that project, and creates that Project listing `ns` (plus `extra_targets`). Returns the
/// project.
pub async fn setup_project(client: &Client, ns: &str, extra_targets: &[&str]) -> String {
    use chaoscenter_crds::common::PROJECT_LABEL;
    let project = format!("p-{ns}");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut patch = opt_in_patch(&project);
    patch["metadata"]["labels"][PROJECT_LABEL] = serde_json::json!(project);
    namespaces.patch(ns, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    let mut targets = vec![ns.to_string()];
    targets.extend(extra_targets.iter().map(|s| s.to_string()));
    let object: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "Project",
        "metadata": {"name": project, "labels": {E2E_LABEL: "true"}},
        "spec": {"displayName": "e2e", "targetNamespaces": targets},
    }))
    .unwrap();
    chaos_api(client, "Project", ns).create(&PostParams::default(), &object).await.unwrap();
    project
}

/// Deletes the project `setup_project` made.
pub async fn delete_project(client: &Client, ns: &str) {
    let _ = chaos_api(client, "Project", ns).delete(&format!("p-{ns}"), &DeleteParams::default()).await;
}

/// Creates a busybox httpd Deployment `name` with `replicas` and a Service in front; waits until every
/// replica is Ready; returns the Service's ClusterIP URL.
pub async fn web_app(client: &Client, ns: &str, name: &str, replicas: i32) -> String {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Service;
    let (image, pull) = busybox_image();
    let deployment: Deployment = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{
                        "name": "httpd", "image": image, "imagePullPolicy": pull,
                        "command": ["httpd", "-f", "-p", "8080", "-h", "/var/www"],
                        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}
                    }]
                }
            }
        }
    }))
    .unwrap();
    Api::<Deployment>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &deployment)
        .await
        .unwrap();
    let service: Service = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}
    }))
    .unwrap();
    let svc = Api::<Service>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &service)
        .await
        .unwrap();
    wait_ready_replicas(client, ns, name, replicas).await;
    format!("http://{}/", svc.spec.unwrap().cluster_ip.unwrap())
}

/// Waits until `replicas` pods of app `name` are Ready.
pub async fn wait_ready_replicas(client: &Client, ns: &str, name: &str, replicas: i32) -> Vec<Pod> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    wait_for(Duration::from_secs(120), &format!("{replicas} Ready pods of {name}"), || async {
        let list = pods.list(&ListParams::default().labels(&format!("app={name}"))).await.ok()?;
        let ready: Vec<Pod> = list
            .items
            .into_iter()
            .filter(|p| pod_ready(p) && p.metadata.deletion_timestamp.is_none())
            .collect();
        (ready.len() == replicas as usize).then_some(ready)
    })
    .await
}

/// Creates a ChaosWorkflow `name` in `ns` with the given spec (JSON).
pub async fn create_workflow(client: &Client, ns: &str, name: &str, spec: serde_json::Value) {
    let object: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
        "metadata": {"name": name}, "spec": spec,
    }))
    .unwrap();
    chaos_api(client, "ChaosWorkflow", ns).create(&PostParams::default(), &object).await.unwrap();
}

/// Creates a ChaosWorkflowRun of workflow `workflow` (as kubectl would: no frozen copy); returns its name.
pub async fn create_run(client: &Client, ns: &str, workflow: &str, dry_run: bool) -> String {
    let object: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
        "metadata": {"generateName": format!("{workflow}-")},
        "spec": {"workflowRef": {"name": workflow}, "dryRun": dry_run},
    }))
    .unwrap();
    let created =
        chaos_api(client, "ChaosWorkflowRun", ns).create(&PostParams::default(), &object).await.unwrap();
    created.metadata.name.unwrap()
}

/// Fetches a run as its typed form.
pub async fn get_run(client: &Client, ns: &str, name: &str) -> chaoscenter_crds::ChaosWorkflowRun {
    let api: Api<chaoscenter_crds::ChaosWorkflowRun> = Api::namespaced(client.clone(), ns);
    api.get(name).await.unwrap()
}

/// Waits until a run reaches a finished phase; returns it.
pub async fn wait_run_finished(
    client: &Client,
    ns: &str,
    name: &str,
    timeout: Duration,
) -> chaoscenter_crds::ChaosWorkflowRun {
    let api: Api<chaoscenter_crds::ChaosWorkflowRun> = Api::namespaced(client.clone(), ns);
    wait_for(timeout, &format!("run {name} to finish"), || async {
        let run = api.get(name).await.ok()?;
        run.status.as_ref()?.phase?.is_finished().then_some(run)
    })
    .await
}

/// The Events recorded about an object (reason, note).
pub async fn events_for(client: &Client, ns: &str, name: &str) -> Vec<(String, String)> {
    let api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .map(|e| (e.reason.unwrap_or_default(), e.note.unwrap_or_default()))
        .collect()
}

/// Waits (30 s at most) until the Events about `name` satisfy `check` — the operator publishes
/// them in the background, after the status write they describe.
pub async fn wait_events(
    client: &Client,
    ns: &str,
    name: &str,
    what: &str,
    check: impl Fn(&[(String, String)]) -> bool,
) {
    wait_for(Duration::from_secs(30), what, || async {
        check(&events_for(client, ns, name).await).then_some(())
    })
    .await
}

/// A test's hold on the cluster's node: records the node's opt-in label, its annotation
/// `chaoscenter.io/chaos-projects` and whether it is cordoned, and puts all three back as they were when
/// dropped — also when the test panics — so a failed test never leaves a node opted in or cordoned for
/// the tests after it.
pub struct NodeGuard {
    pub name: String,
    label: Option<String>,
    annotation: Option<String>,
    unschedulable: bool,
}

impl NodeGuard {
    /// Holds the first node of the cluster.
    pub async fn first(client: &Client) -> Self {
        use chaoscenter_crds::common::{CHAOS_OPT_IN_LABEL, CHAOS_PROJECTS_ANNOTATION};
        use k8s_openapi::api::core::v1::Node;
        let nodes: Api<Node> = Api::all(client.clone());
        let node = nodes.list(&ListParams::default()).await.unwrap().items.remove(0);
        let meta = &node.metadata;
        Self {
            name: meta.name.clone().unwrap(),
            label: meta.labels.as_ref().and_then(|l| l.get(CHAOS_OPT_IN_LABEL).cloned()),
            annotation: meta.annotations.as_ref().and_then(|a| a.get(CHAOS_PROJECTS_ANNOTATION).cloned()),
            unschedulable: node.spec.and_then(|s| s.unschedulable).unwrap_or(false),
        }
    }

    /// Opts the node in for `projects` (label and annotation, see [`opt_in_patch`]).
    pub async fn opt_in(&self, client: &Client, projects: &str) {
        self.patch(client, opt_in_patch(projects)).await
    }

    /// Removes the node's opt-in label and annotation.
    pub async fn opt_out(&self, client: &Client) {
        use chaoscenter_crds::common::{CHAOS_OPT_IN_LABEL, CHAOS_PROJECTS_ANNOTATION};
        let patch = serde_json::json!({"metadata": {"labels": {CHAOS_OPT_IN_LABEL: null},
                                                    "annotations": {CHAOS_PROJECTS_ANNOTATION: null}}});
        self.patch(client, patch).await
    }

    async fn patch(&self, client: &Client, patch: serde_json::Value) {
        let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(client.clone());
        nodes.patch(&self.name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    }
}

impl Drop for NodeGuard {
    fn drop(&mut self) {
        use chaoscenter_crds::common::{CHAOS_OPT_IN_LABEL, CHAOS_PROJECTS_ANNOTATION};
        // Drop cannot await: the restore goes through kubectl, which also works while the runtime unwinds
        let patch = serde_json::json!({
            "metadata": {"labels": {CHAOS_OPT_IN_LABEL: self.label},
                         "annotations": {CHAOS_PROJECTS_ANNOTATION: self.annotation}},
            "spec": {"unschedulable": self.unschedulable},
        });
        let restored = kubectl()
            .args(["patch", "node", &self.name, "--type", "merge", "-p", &patch.to_string()])
            .output();
        match restored {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "failed to restore node {}: {}: restore it by hand: kubectl patch node {} --type merge -p '{patch}'",
                self.name,
                String::from_utf8_lossy(&out.stderr),
                self.name
            ),
            Err(e) => eprintln!("failed to run kubectl to restore node {}: {e}", self.name),
        }
    }
}

/// The node agent (`chaoscenter-node`) as a local root process on the cluster's node, applying only the
/// injections of one test namespace (where its Lease lives too), its journal in a directory of its own.
pub struct NodeAgent {
    process: Process,
    pub node: String,
    pub namespace: String,
    pub state_dir: PathBuf,
}

impl NodeAgent {
    /// Starts the agent for node `node`, watching namespace `namespace` (its Lease there too), journaling
    /// in `state_dir`.
    pub fn start(node: &str, namespace: &str, state_dir: &std::path::Path) -> Self {
        Self::start_with(node, namespace, state_dir, &[])
    }

    /// Like [`NodeAgent::start`], with more environment (a variable given here replaces the harness's own,
    /// e.g. `KUBECONFIG` for a ServiceAccount's, `CHAOSCENTER_NAMESPACE` for its Lease's namespace).
    pub fn start_with(
        node: &str,
        namespace: &str,
        state_dir: &std::path::Path,
        extra: &[(&str, &str)],
    ) -> Self {
        let state = state_dir.display().to_string();
        let mut env: Vec<(String, String)> = [
            ("RUST_LOG", "info,kube=warn"),
            ("NODE_NAME", node),
            ("CHAOSCENTER_NAMESPACE", namespace),
            ("WATCH_NAMESPACE", namespace),
            ("STATE_DIR", state.as_str()),
        ]
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .chain(extra.iter())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.sort();
        let process = Process::spawn("chaoscenter-node", &format!("node-agent-{namespace}"), &env);
        Self { process, node: node.into(), namespace: namespace.into(), state_dir: state_dir.to_path_buf() }
    }

    /// Its log so far.
    pub fn logs(&self) -> String {
        strip_ansi(&self.process.logs())
    }

    /// Kills it with SIGKILL (no chance to clean up), and waits for it to be gone.
    pub fn kill9(&mut self) {
        self.process.kill9()
    }

    /// Stops it with SIGTERM (it reverts everything first); returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        self.process.stop()
    }

    /// The process id (for CPU and memory readings).
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }
}
