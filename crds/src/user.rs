//! The `ChaosUser` kind: a person who signs in to ChaosCenter. Passwords never appear in it.

use crate::common::{list_map_by_type, Condition, LocalObjectReference};
use crate::project::Role;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A ChaosCenter user. The object's name is the username; the user's Kubernetes identity is
/// `chaoscenter:<name>`. The password hash lives in a Secret, never in this object.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "chaoscenter.io",
    version = "v1alpha1",
    kind = "ChaosUser",
    status = "ChaosUserStatus",
    shortname = "cuser",
    category = "chaos",
    derive = "Default",
    derive = "PartialEq",
    doc = "A ChaosCenter user; the name is the username, the password hash lives in a referenced Secret.",
    printcolumn(name = "Display Name", type_ = "string", json_path = ".spec.displayName"),
    printcolumn(name = "Role", type_ = "string", json_path = ".spec.role"),
    printcolumn(name = "Disabled", type_ = "boolean", json_path = ".spec.disabled"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ChaosUserSpec {
    /// The name shown in the UI, e.g. "Alice Smith".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(length(max = 128))]
    pub display_name: String,
    /// The user's email address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(regex(pattern = r"^$|^[^@\s]+@[^@\s]+$"), length(max = 254))]
    pub email: String,
    /// The global role: `admin` manages users and every project; `user` works in the projects it is a
    /// member of.
    #[serde(default)]
    pub role: GlobalRole,
    /// A disabled user cannot sign in and loses every project binding until enabled again.
    #[serde(default)]
    pub disabled: bool,
    /// The Secret (in the control-plane namespace) holding the user's argon2id password hash under the
    /// key `passwordHash`. Written by the apiserver; absent for users who sign in only with API tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<LocalObjectReference>,
}

/// A user's global role.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GlobalRole {
    /// Manages users and may act in every project.
    Admin,
    /// Works in the projects the user is a member of.
    #[default]
    User,
}

/// What the operator observed for a user.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChaosUserStatus {
    /// The projects this user is a member of, with the role in each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<ProjectMembership>,
    /// The `metadata.generation` the status was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The latest observations of the user's state, one per type (e.g. `Ready`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = list_map_by_type)]
    pub conditions: Vec<Condition>,
}

/// A user's membership in one project.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectMembership {
    /// The project's name.
    pub project: String,
    /// The user's role in that project.
    pub role: Role,
}
