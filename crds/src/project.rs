//! The `Project` kind: a team's members with their roles and the namespaces its chaos may target.

use crate::common::{list_map_by, list_map_by_type, list_set, Condition};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A project: a team, its members and the namespaces its chaos workflows may target. The operator gives
/// each project its own namespace, where its workflows and runs live, and RoleBindings for its members.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "chaoscenter.io",
    version = "v1alpha1",
    kind = "Project",
    status = "ProjectStatus",
    shortname = "proj",
    category = "chaos",
    derive = "Default",
    derive = "PartialEq",
    doc = "A ChaosCenter project: members with roles and the namespaces its chaos workflows may target.",
    printcolumn(name = "Display Name", type_ = "string", json_path = ".spec.displayName"),
    printcolumn(name = "Project Namespace", type_ = "string", json_path = ".status.namespace"),
    printcolumn(name = "Targets", type_ = "string", json_path = ".spec.targetNamespaces"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSpec {
    /// Human-friendly name shown in the UI, e.g. "Shop team".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = 128))]
    pub display_name: String,
    /// What the project is for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = 1024))]
    pub description: String,
    /// The users in this project and their roles. Each user appears at most once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = members_list, length(max = 500))]
    pub members: Vec<Member>,
    /// Namespaces this project's workflows may inject faults into. This only narrows what the namespaces
    /// themselves allow: nothing in a namespace is touched unless it also carries the label
    /// `chaoscenter.io/chaos=enabled` and its annotation `chaoscenter.io/chaos-projects` (set by whoever
    /// may edit the namespace) names this project or is `*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_set, length(max = 100), inner(regex(pattern = crate::common::DNS_LABEL_PATTERN), length(min = 1, max = 63)))]
    pub target_namespaces: Vec<String>,
}

fn members_list(schema: &mut schemars::Schema) {
    list_map_by(schema, "user");
}

/// A project member.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member's username: the name of a `ChaosUser`.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"), length(min = 1, max = 63))]
    pub user: String,
    /// The member's role: Owner (everything, including membership), Editor (create, change, run and
    /// abort workflows and hubs) or Viewer (read only).
    pub role: Role,
}

/// A member's role in a project.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
pub enum Role {
    Owner,
    Editor,
    Viewer,
}

/// What the operator observed and did for a project.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectStatus {
    /// The namespace the operator created for this project's workflows and runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The `metadata.generation` the status was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The latest observations of the project's state, one per type (e.g. `Ready`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_map_by_type)]
    pub conditions: Vec<Condition>,
}
