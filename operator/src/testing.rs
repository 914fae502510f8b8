//! A fake Kubernetes API for the controller and fault tests: tower-test's mock service is the client's
//! transport, every call is recorded in order and answered by a closure the test writes (so a test can
//! script a 404, a 409 or a 429); and a test [`Context`] around it, with caches the test fills.

use crate::config::Config;
use crate::controllers::{claims::Claims, tasks::Tasks, Context};
use crate::faults::FaultContext;
use crate::metrics::Metrics;
use crate::world::testing::Writers;
use crate::world::World;
use chaoscenter_crds::ChaosWorkflowRun;
use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use http::{Request, Response};
use kube::client::Body;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{store::Writer, ObjectRef, Store};
use kube::runtime::watcher::Event;
use kube::Client;
use serde_json::{json, Value};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the code under test made.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub method: String,
    /// The path and query, e.g. `/api/v1/namespaces/shop/pods/web-1`.
    pub path: String,
    /// The JSON body; `Null` when there was none.
    pub body: Value,
}

impl Call {
    /// `"METHOD path"`, for comparing call sequences at a glance.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn is_event(&self) -> bool {
        self.path.starts_with("/apis/events.k8s.io/")
    }
}

/// The fake API server: records every call and answers it. Events (POSTed or PATCHed by the
/// [`Recorder`]) are answered by echoing them, and kept apart from the other calls.
pub struct FakeApi {
    calls: Arc<Mutex<Vec<Call>>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeApi {
    /// A client whose every request goes to `answer`. Must be called inside a Tokio runtime.
    pub fn start(answer: impl Fn(&Call) -> (u16, Value) + Send + Sync + 'static) -> (Client, Self) {
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        let server = tokio::spawn(async move {
            while let Some((request, respond)) = handle.next_request().await {
                let method = request.method().to_string();
                let path = request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
                let bytes = request.into_body().collect_bytes().await.expect("a request body");
                let body = if bytes.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(&bytes).expect("a JSON request body")
                };
                let call = Call { method, path, body };
                recorded.lock().unwrap().push(call.clone());
                let (code, body) = if call.is_event() {
                    (if call.method == "POST" { 201 } else { 200 }, call.body)
                } else {
                    answer(&call)
                };
                let response = Response::builder()
                    .status(code)
                    .header("content-type", "application/json")
                    .body(Body::from(serde_json::to_vec(&body).expect("a JSON answer")))
                    .expect("a response");
                respond.send_response(response);
            }
        });
        (Client::new(service, "default"), Self { calls, server })
    }

    /// Every call but Events, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.all().into_iter().filter(|c| !c.is_event()).collect()
    }

    /// [`FakeApi::calls`] as `"METHOD path"` lines.
    pub fn lines(&self) -> Vec<String> {
        self.calls().iter().map(Call::line).collect()
    }

    /// The reasons of the Events published, in order.
    pub fn event_reasons(&self) -> Vec<String> {
        let events = self.all().into_iter().filter(Call::is_event);
        events.map(|c| c.body["reason"].as_str().unwrap_or_default().to_string()).collect()
    }

    /// The Events published (their bodies), in order.
    pub fn event_bodies(&self) -> Vec<Value> {
        self.all().into_iter().filter(Call::is_event).map(|c| c.body).collect()
    }

    /// The reasons of the Events published, once there are at least `n` (Events are published in the
    /// background, after what they describe).
    pub async fn events(&self, n: usize) -> Vec<String> {
        within(async {
            while self.event_reasons().len() < n {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
        .await;
        self.event_reasons()
    }

    /// Forgets the calls made so far (to look at the next step's alone).
    pub fn clear(&self) {
        self.calls.lock().unwrap().clear();
    }

    fn all(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A successful answer.
pub fn ok(body: Value) -> (u16, Value) {
    (200, body)
}

/// An API error, shaped as the API server sends it (`kind: Status`).
pub fn error(code: u16, reason: &str) -> (u16, Value) {
    let status = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": format!("{reason} (scripted by the test)"), "reason": reason, "code": code,
    });
    (code, status)
}

/// A 404.
pub fn not_found() -> (u16, Value) {
    error(404, "NotFound")
}

/// An object of any kind from JSON.
pub fn object<K: serde::de::DeserializeOwned>(value: Value) -> K {
    serde_json::from_value(value).expect("the test object deserializes")
}

/// Puts `obj` into a cache.
pub fn fill<K>(writer: &mut Writer<K>, obj: K)
where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    writer.apply_watcher_event(&Event::Apply(obj));
}

/// A cache that is still filling (its writer has not listed everything yet).
pub fn filling<K>() -> (Store<K>, Writer<K>)
where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone + Default,
{
    kube::runtime::reflector::store()
}

/// Awaits `work`, failing the test if it takes more than 10 s (a liveness bound: everything answers at
/// once, so only a hang can get near it).
pub async fn within<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), work).await.expect("the test hung")
}

/// A fault context on the fake API and a world with empty, filled caches.
pub fn fault_context(
    answer: impl Fn(&Call) -> (u16, Value) + Send + Sync + 'static,
) -> (FaultContext, Writers, FakeApi) {
    let (world, caches) = crate::world::testing::world();
    let (client, api) = FakeApi::start(answer);
    (FaultContext { client, world }, caches, api)
}

/// The operator's settings for tests.
fn config() -> Config {
    Config {
        namespace: "chaoscenter-system".into(),
        service_account: ("chaoscenter-system".into(), "chaoscenter-operator".into()),
        builtin_hub: true,
        identity: "operator-test".into(),
        metrics_addr: "127.0.0.1:0".parse().expect("an address"),
        watch_namespace: None,
        watch_selector: None,
        max_run_duration: Duration::from_secs(2 * 3600),
        preview_ttl: Duration::from_secs(60),
        probe_egress_allow: Vec::new(),
        probe_egress_deny: Vec::new(),
        hub_cache_dir: std::env::temp_dir().join("chaoscenter-hubs-test"),
        hub_limits: Default::default(),
        hub_fetch_timeout: Duration::from_secs(300),
    }
}

/// A controller [`Context`] on the fake API, with the caches' writers and the task wake-ups.
pub struct Harness {
    pub ctx: Arc<Context>,
    pub api: FakeApi,
    pub caches: Writers,
    woken: UnboundedReceiver<ObjectRef<ChaosWorkflowRun>>,
}

impl Harness {
    /// A controller context on the fake API (answering with `answer`) over `world`, whose caches `caches`
    /// fill (a test may swap one of `world`'s caches for one still filling).
    pub fn new(
        world: World,
        caches: Writers,
        answer: impl Fn(&Call) -> (u16, Value) + Send + Sync + 'static,
    ) -> Self {
        let (client, api) = FakeApi::start(answer);
        let (tasks, woken) = Tasks::new();
        let ctx = Context {
            recorder: Recorder::new(client.clone(), Reporter::from("chaoscenter-operator")),
            client,
            metrics: Metrics::default(),
            config: config(),
            egress: crate::probes::egress::Egress::fixed(Default::default(), Default::default()),
            world,
            claims: Claims::default(),
            tasks: Arc::new(tasks),
            panics: Default::default(),
            written: Default::default(),
            admitted: Default::default(),
        };
        Self { ctx: Arc::new(ctx), api, caches, woken }
    }

    /// Waits until no task of the run with `uid` is in flight (each task wakes the run when it reports
    /// and when it ends).
    pub async fn settle(&mut self, uid: &str) {
        within(async {
            while !self.ctx.tasks.in_flight(uid).is_empty() {
                self.woken.next().await.expect("the task registry is alive");
            }
        })
        .await
    }
}
