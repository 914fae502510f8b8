//! The controllers (projects, users, workflows, runs), what they share, and their error type.

pub mod policy;
pub mod project;
pub mod run;
pub mod user;
pub mod workflow;

use crate::config::Config;
use crate::metrics::Metrics;
use chaoscenter_crds::{ChaosUser, ChaosWorkflowRun, Project};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::reflector::Store;
use kube::{Client, Resource};
use std::collections::BTreeMap;

/// Field manager of the operator's writes.
pub const FIELD_MANAGER: &str = "chaoscenter-operator";

/// A target another run may not inject into meanwhile: (kind, namespace, name).
pub type TargetKey = (String, Option<String>, String);

/// What every reconcile gets.
pub struct Context {
    pub client: Client,
    pub recorder: Recorder,
    pub metrics: Metrics,
    pub config: Config,
    pub http: reqwest::Client,
    /// Every run, as the run controller's cache sees it (to find targets held by other runs).
    pub runs: Store<ChaosWorkflowRun>,
    /// Targets claimed by a run's uid since this process started; serialises choosing targets.
    pub claims: tokio::sync::Mutex<BTreeMap<TargetKey, String>>,
}

impl Context {
    /// Publishes an Event about `obj` (failures to publish are logged, never fatal).
    pub async fn event<K>(&self, obj: &K, type_: EventType, reason: &str, action: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        publish(&self.recorder, obj, type_, reason, action, note).await
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
}

impl AccessContext {
    /// Publishes an Event about `obj` (failures to publish are logged, never fatal).
    pub async fn event<K>(&self, obj: &K, type_: EventType, reason: &str, action: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        publish(&self.recorder, obj, type_, reason, action, note).await
    }
}

async fn publish<K>(recorder: &Recorder, obj: &K, type_: EventType, reason: &str, action: &str, note: String)
where
    K: Resource<DynamicType = ()>,
{
    let event =
        Event { type_, reason: reason.into(), note: Some(note), action: action.into(), secondary: None };
    let mut reference = obj.object_ref(&());
    // a cluster-scoped object's Events live in `default`; v1.20 wants the reference to say so too
    reference.namespace.get_or_insert_with(|| "default".into());
    if let Err(err) = recorder.publish(&event, &reference).await {
        tracing::warn!(%err, reason, "failed to publish an event");
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

/// Now, in RFC 3339.
pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// A duration in words, e.g. `1m32s`.
pub fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m{}s", secs / 60, secs % 60),
        _ => format!("{}h{}m", secs / 3600, (secs % 3600) / 60),
    }
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
