//! Names shared by everything that grants or checks access: identities, roles, bindings and Secrets.
//!
//! Kubernetes RBAC is the one place where "who may do what" is decided. The operator writes the
//! bindings named here, `config/rbac/` defines the roles, and the apiserver impersonates the identities.

use crate::project::{Project, Role};
use crate::user::ProjectMembership;

/// The prefix of every ChaosCenter user's Kubernetes identity: user `alice` acts as `chaoscenter:alice`.
pub const USER_PREFIX: &str = "chaoscenter:";
/// The ClusterRole bound (per project namespace) to a project's Owners: everything in the namespace.
pub const OWNER_ROLE: &str = "chaoscenter:project-owner";
/// The ClusterRole bound (per project namespace) to a project's Editors: workflows, hubs, runs, aborts.
pub const EDITOR_ROLE: &str = "chaoscenter:project-editor";
/// The ClusterRole bound (per project namespace) to a project's Viewers: read only.
pub const VIEWER_ROLE: &str = "chaoscenter:project-viewer";
/// The ClusterRole bound cluster-wide to users with the global role `admin`.
pub const ADMIN_ROLE: &str = "chaoscenter:admin";
/// The ClusterRole letting the apiserver impersonate exactly the enabled ChaosCenter users. It is
/// installed empty by `config/rbac/` and its rules are kept by the operator's user controller.
pub const IMPERSONATE_ROLE: &str = "chaoscenter:apiserver-impersonate";
/// The ClusterRole letting the operator read Secrets, bound by the operator only in project namespaces
/// (RoleBinding [`HUB_CREDENTIALS_BINDING`]), so it can read the credentials a hub there names and no
/// Secret anywhere else.
pub const HUB_CREDENTIALS_ROLE: &str = "chaoscenter-operator-hub-credentials";
/// The RoleBinding, in each project namespace, granting the operator [`HUB_CREDENTIALS_ROLE`].
pub const HUB_CREDENTIALS_BINDING: &str = "chaoscenter:operator:hub-credentials";
/// Label on the objects the operator creates for projects and users.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY_LABEL`] on those objects.
pub const MANAGED_BY: &str = "chaoscenter-operator";
/// Label on an access object naming the user it is for.
pub const USER_LABEL: &str = "chaoscenter.io/user";
/// The key, in a user's password Secret, holding the argon2id PHC string.
pub const PASSWORD_HASH_KEY: &str = "passwordHash";
/// The key, in a user's password Secret, that is `"true"` while the user must change the password.
pub const MUST_CHANGE_KEY: &str = "mustChangePassword";

/// The Kubernetes identity of user `name`.
pub fn user_identity(name: &str) -> String {
    format!("{USER_PREFIX}{name}")
}

/// The username behind a Kubernetes identity, if it is a ChaosCenter one.
pub fn username_of(identity: &str) -> Option<&str> {
    identity.strip_prefix(USER_PREFIX).filter(|name| !name.is_empty())
}

/// The ClusterRole a member with `role` is bound to in the project's namespace.
pub fn project_role(role: Role) -> &'static str {
    match role {
        Role::Owner => OWNER_ROLE,
        Role::Editor => EDITOR_ROLE,
        Role::Viewer => VIEWER_ROLE,
    }
}

/// User `user`'s memberships among `projects`, sorted by project name.
pub fn memberships<'a>(
    projects: impl IntoIterator<Item = &'a Project>,
    user: &str,
) -> Vec<ProjectMembership> {
    let mut found: Vec<ProjectMembership> = projects
        .into_iter()
        .flat_map(|p| {
            let project = p.metadata.name.clone().unwrap_or_default();
            p.spec
                .members
                .iter()
                .filter(|m| m.user == user)
                .map(move |m| ProjectMembership { project: project.clone(), role: m.role })
        })
        .collect();
    found.sort_by(|a, b| a.project.cmp(&b.project));
    found
}

/// The namespace the operator creates for project `project`'s workflows and runs.
pub fn project_namespace(project: &str) -> String {
    format!("{project}-chaos")
}

/// The RoleBinding, in the project namespace, granting `user` their project role.
pub fn member_binding(user: &str) -> String {
    format!("chaoscenter:member:{user}")
}

/// The ClusterRole (and its ClusterRoleBinding) letting a project's Owners read and change the Project.
pub fn project_owners(project: &str) -> String {
    format!("chaoscenter:project:{project}:owners")
}

/// The ClusterRole (and its ClusterRoleBinding) letting every member of a project read the Project.
pub fn project_members(project: &str) -> String {
    format!("chaoscenter:project:{project}:members")
}

/// The ClusterRoleBinding granting an admin user [`ADMIN_ROLE`].
pub fn admin_binding(user: &str) -> String {
    format!("chaoscenter:admin:{user}")
}

/// The Secret, in the control-plane namespace, holding user `user`'s password hash.
pub fn password_secret(user: &str) -> String {
    format!("chaoscenter-user-{user}")
}

/// Why `name` cannot be a username, if it cannot: usernames are also Kubernetes label values and parts of
/// object names, so 1–63 lowercase letters, digits, `-` and `.`, starting and ending alphanumeric.
pub fn invalid_username(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 63 {
        return Some(format!("must be 1 to 63 characters long, not {}", name.len()));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !name.chars().all(ok_char) || !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Some(
            "may contain only lowercase letters, digits, '-' and '.', and must start and end with a letter or digit"
                .into(),
        );
    }
    None
}

/// Why `name` cannot be a project name, if it cannot: its namespace `<name>-chaos` must be a DNS label.
pub fn invalid_project_name(name: &str) -> Option<String> {
    let max = 63 - "-chaos".len();
    if name.is_empty() || name.len() > max {
        return Some(format!(
            "must be 1 to {max} characters long (its namespace is <name>-chaos), not {}",
            name.len()
        ));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !name.chars().all(ok_char) || !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Some("may contain only lowercase letters, digits and '-', and must start and end with a letter or digit".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip() {
        assert_eq!(user_identity("alice"), "chaoscenter:alice");
        assert_eq!(username_of("chaoscenter:alice"), Some("alice"));
        assert_eq!(username_of("chaoscenter:"), None);
        assert_eq!(username_of("system:admin"), None);
    }

    #[test]
    fn usernames_are_checked() {
        assert_eq!(invalid_username("alice.smith-2"), None);
        assert!(invalid_username("").is_some());
        assert!(invalid_username(&"a".repeat(64)).is_some());
        assert!(invalid_username("Alice").is_some());
        assert!(invalid_username("-alice").is_some());
        assert!(invalid_username("al ice").is_some());
    }

    #[test]
    fn memberships_are_found_in_every_project_sorted() {
        use crate::project::{Member, ProjectSpec};
        let project = |name: &str, members: &[(&str, Role)]| {
            Project::new(
                name,
                ProjectSpec {
                    members: members.iter().map(|(u, r)| Member { user: u.to_string(), role: *r }).collect(),
                    ..Default::default()
                },
            )
        };
        let all = [
            project("zoo", &[("alice", Role::Viewer)]),
            project("app", &[("bob", Role::Owner), ("alice", Role::Editor)]),
            project("none", &[("bob", Role::Viewer)]),
        ];
        let found = memberships(&all, "alice");
        assert_eq!(
            found,
            [
                ProjectMembership { project: "app".into(), role: Role::Editor },
                ProjectMembership { project: "zoo".into(), role: Role::Viewer }
            ]
        );
        assert!(memberships(&all, "carol").is_empty());
    }

    #[test]
    fn project_names_must_leave_room_for_the_namespace() {
        assert_eq!(invalid_project_name("shop"), None);
        assert_eq!(invalid_project_name(&"a".repeat(57)), None);
        assert!(invalid_project_name(&"a".repeat(58)).is_some());
        assert!(invalid_project_name("shop.team").is_some());
        assert_eq!(project_namespace("shop"), "shop-chaos");
    }
}
