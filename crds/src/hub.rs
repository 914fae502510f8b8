//! The `ChaosHub` kind: a catalog of fault and workflow templates, from git or built in.

use crate::common::{list_map_by_type, Condition, LocalObjectReference, DURATION_PATTERN};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Annotation on a hub: set it (to any new value, e.g. a timestamp) to sync it now.
pub const SYNC_NOW_ANNOTATION: &str = "chaoscenter.io/sync-now";
/// Annotation on a hub recording the last `sync-now` value acted upon.
pub const SYNC_NOW_HANDLED_ANNOTATION: &str = "chaoscenter.io/sync-now-handled";
/// The name of the built-in hub the operator creates in each project's namespace.
pub const BUILTIN_HUB: &str = "chaoscenter";
/// Annotation on a Project recording when the operator created its built-in hub (so a deleted one stays
/// deleted).
pub const BUILTIN_HUB_ANNOTATION: &str = "chaoscenter.io/builtin-hub-created";

/// A chaos hub: a catalog of fault and workflow templates, synced periodically from a git repository,
/// or ChaosCenter's built-in catalog.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "chaoscenter.io",
    version = "v1alpha1",
    kind = "ChaosHub",
    namespaced,
    status = "ChaosHubStatus",
    shortname = "chub",
    category = "chaos",
    derive = "Default",
    derive = "PartialEq",
    doc = "A catalog of fault and workflow templates, synced from git or built in.",
    printcolumn(name = "Source", type_ = "string", json_path = ".spec.source"),
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.git.url"),
    printcolumn(name = "Templates", type_ = "integer", json_path = ".status.templates"),
    printcolumn(name = "Synced", type_ = "date", json_path = ".status.lastSyncedAt"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ChaosHubSpec {
    /// Where the templates come from: Git (the repository in `git`) or Builtin (shipped with ChaosCenter).
    pub source: HubSource,
    /// The git repository, for source Git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitSource>,
    /// How often the hub is synced, e.g. `1h`.
    #[serde(default = "default_sync_interval")]
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub sync_interval: String,
}

fn default_sync_interval() -> String {
    "1h".into()
}

/// Where a hub's templates come from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum HubSource {
    Git,
    #[default]
    Builtin,
}

/// A git repository holding templates.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitSource {
    /// The repository URL (https or ssh), e.g. `https://github.com/acme/chaos-templates.git`.
    #[schemars(regex(pattern = r"^(https?://|ssh://|git@)[^\s]+$"), length(max = 2048))]
    pub url: String,
    /// The branch or tag to sync. Defaults to `main`.
    #[serde(default = "default_branch")]
    #[schemars(length(min = 1, max = 255))]
    pub branch: String,
    /// The folder inside the repository that holds the templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A Secret in this namespace with credentials: `username` and `password` (or token) for https,
    /// `ssh-privatekey` for ssh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
}

fn default_branch() -> String {
    "main".into()
}

/// What the operator observed for a hub.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChaosHubStatus {
    /// When the hub was last synced (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<String>,
    /// The commit last synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// How many templates the hub holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<u32>,
    /// The `metadata.generation` the status was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The latest observations of the hub's state, one per type (e.g. `Synced`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_map_by_type)]
    pub conditions: Vec<Condition>,
}
