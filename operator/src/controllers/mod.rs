//! The controllers (projects, users, hubs, workflows, runs), what they share, and their error type.

pub mod claims;
pub mod digest;
pub mod hub;
pub mod policy;
pub mod project;
pub mod run;
pub mod tasks;
pub mod user;
pub mod workflow;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::world::World;
use chaoscenter_crds::run::TargetStatus;
use chaoscenter_crds::{ChaosUser, ChaosWorkflowRun, Project};
use futures::FutureExt;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::reflector::Store;
use kube::{Client, Resource};
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use tracing::Instrument;

/// Field manager of the operator's writes.
pub const FIELD_MANAGER: &str = "chaoscenter-operator";

/// What every reconcile gets.
pub struct Context {
    pub client: Client,
    pub recorder: Recorder,
    pub metrics: Metrics,
    pub config: Config,
    /// What http and prom probes may reach.
    pub egress: crate::probes::egress::Egress,
    /// The caches: namespaces, nodes, projects, pods, workflows, runs, the halt switch.
    pub world: World,
    /// Targets claimed by a run's step in this process.
    pub claims: claims::Claims,
    /// The runs' probe checks and injection rounds in flight, and what they reported.
    pub tasks: Arc<tasks::Tasks>,
    /// How often reconciling an object panicked (by uid), so a panicking object is not replayed into the
    /// same panic and the process goes on.
    pub panics: Mutex<HashMap<String, u32>>,
    /// The resourceVersion this process last wrote to each run (by uid): a cached copy older than that
    /// is read again before anything is decided on it.
    pub written: Mutex<HashMap<String, String>>,
    /// The definition each running run was last seen to match its recorded digest with (by uid: the
    /// digest and the definition as JSON), to name what changed when its spec no longer matches.
    pub admitted: Mutex<HashMap<String, (String, serde_json::Value)>>,
}

impl Context {
    /// Forgets what this process kept about a run that is gone or let go.
    pub fn forget(&self, uid: &str) {
        self.tasks.forget(uid);
        self.panics.lock().unwrap_or_else(|e| e.into_inner()).remove(uid);
        self.written.lock().unwrap_or_else(|e| e.into_inner()).remove(uid);
        self.admitted.lock().unwrap_or_else(|e| e.into_inner()).remove(uid);
    }

    /// Publishes an Event about `obj` (failures to publish are logged, never fatal).
    pub async fn event<K>(&self, obj: &K, type_: EventType, reason: &str, action: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        publish(&self.recorder, obj, type_, reason, action, note, None).await
    }

    /// Publishes an Event about `obj` that concerns one target (its `related` object), so that Events
    /// about different targets are counted apart instead of folded into the first one's.
    pub async fn target_event<K>(
        &self,
        obj: &K,
        type_: EventType,
        reason: &str,
        target: &TargetStatus,
        note: String,
    ) where
        K: Resource<DynamicType = ()>,
    {
        publish(&self.recorder, obj, type_, reason, "Run", note, Some(crate::faults::reference(target))).await
    }
}

/// What the project and user controllers get.
pub struct AccessContext {
    pub client: Client,
    pub recorder: Recorder,
    pub metrics: Metrics,
    /// Every project the operator watches (to list a user's memberships).
    pub projects: Store<Project>,
    /// Every user the operator watches (to bind only enabled members).
    pub users: Store<ChaosUser>,
    /// The operator's own ServiceAccount `(namespace, name)`, granted hub credentials per project.
    pub service_account: (String, String),
    /// Whether new project namespaces get the built-in hub (`BUILTIN_HUB`).
    pub builtin_hub: bool,
}

impl AccessContext {
    /// Publishes an Event about `obj` (failures to publish are logged, never fatal).
    pub async fn event<K>(&self, obj: &K, type_: EventType, reason: &str, action: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        publish(&self.recorder, obj, type_, reason, action, note, None).await
    }
}

async fn publish<K>(
    recorder: &Recorder,
    obj: &K,
    type_: EventType,
    reason: &str,
    action: &str,
    note: String,
    secondary: Option<k8s_openapi::api::core::v1::ObjectReference>,
) where
    K: Resource<DynamicType = ()>,
{
    // every Event is a log line too; one about a run is in the run's span (and so in the run's log)
    let span = if K::kind(&()) == ChaosWorkflowRun::kind(&()) {
        crate::runlog::span_of(obj.meta())
    } else {
        tracing::Span::current()
    };
    async move {
        match type_ {
            EventType::Warning => tracing::warn!(reason, "{note}"),
            EventType::Normal => tracing::info!(reason, "{note}"),
        }
        let event =
            Event { type_, reason: reason.into(), note: Some(note), action: action.into(), secondary };
        let mut reference = obj.object_ref(&());
        // a cluster-scoped object's Events live in `default`; v1.20 wants the reference to say so too
        reference.namespace.get_or_insert_with(|| "default".into());
        if let Err(err) = recorder.publish(&event, &reference).await {
            tracing::warn!(%err, reason, "failed to publish an event");
        }
    }
    .instrument(span)
    .await
}

/// Runs `work`, catching a panic: `Err` carries the panic's message. A panic inside one object's
/// reconcile must not stop the process (and every other object's reverts with it).
pub async fn contain<T>(work: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(work).catch_unwind().await.map_err(|panic| panic_message(&panic))
}

/// The message of a caught panic.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to {action}: {source}")]
    Kube {
        action: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error("failed to serialize the status: {0}")]
    Serialize(#[source] serde_json::Error),
    #[error("conflict: {0}")]
    Conflict(&'static str),
}

impl Error {
    pub fn kube(action: &'static str) -> impl FnOnce(kube::Error) -> Self {
        move |source| Self::Kube { action, source }
    }

    /// A PascalCase reason for metrics and events.
    pub fn category(&self) -> &'static str {
        match self {
            Self::Kube { .. } => "KubeApi",
            Self::Serialize(_) => "Serialize",
            Self::Conflict(_) => "Conflict",
        }
    }
}

/// Whether `store` holds its first full list, without waiting. Reconcilers check this rather than await
/// `Store::wait_until_ready`: with several reconciles waiting at once, some were never woken.
pub fn is_filled<K>(store: &Store<K>) -> bool
where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    use futures::FutureExt;
    matches!(store.wait_until_ready().now_or_never(), Some(Ok(())))
}

/// Now.
pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// A JSON merge patch setting `status` to `new`: top-level fields that `old` had and `new` lacks are
/// set to null, so they are cleared rather than kept.
pub fn status_patch<T: serde::Serialize>(old: Option<&T>, new: &T) -> Result<serde_json::Value, Error> {
    let mut new_json = serde_json::to_value(new).map_err(Error::Serialize)?;
    if let (Some(old), Some(map)) = (old, new_json.as_object_mut()) {
        if let Ok(serde_json::Value::Object(old_map)) = serde_json::to_value(old) {
            for key in old_map.keys() {
                map.entry(key.clone()).or_insert(serde_json::Value::Null);
            }
        }
    }
    Ok(serde_json::json!({ "status": new_json }))
}
