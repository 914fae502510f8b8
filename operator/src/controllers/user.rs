//! The ChaosUser controller: validates a user, binds admins cluster-wide, lists the user's projects in its
//! status, and keeps the apiserver's impersonation ClusterRole to exactly the enabled users.

use super::project::{cluster_role_ref, user_subject};
use super::{now, AccessContext, Error, FIELD_MANAGER};
use chaoscenter_crds::access::{
    admin_binding, invalid_username, memberships, user_identity, ADMIN_ROLE, IMPERSONATE_ROLE, MANAGED_BY,
    MANAGED_BY_LABEL, USER_LABEL,
};
use chaoscenter_crds::common::{set_health, Health};
use chaoscenter_crds::user::GlobalRole;
use chaoscenter_crds::ChaosUser;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action as Requeue;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Reconciles one user.
pub async fn reconcile(user: Arc<ChaosUser>, ctx: Arc<AccessContext>) -> Result<Requeue, Error> {
    let started = std::time::Instant::now();
    let result = reconcile_inner(&user, &ctx).await;
    ctx.metrics.observe("user", started.elapsed().as_secs_f64());
    result
}

/// Logs, counts and retries a failed reconcile.
pub fn error_policy(user: Arc<ChaosUser>, error: &Error, ctx: Arc<AccessContext>) -> Requeue {
    tracing::warn!(user = %user.name_any(), %error, "user reconcile failed");
    ctx.metrics.reconcile_failed("user", error.category());
    Requeue::requeue(Duration::from_secs(5))
}

/// The rules of the impersonation ClusterRole for these enabled usernames. No users means no rules: a
/// rule with an empty `resourceNames` would allow impersonating anyone.
pub fn impersonation_rules(mut usernames: Vec<String>) -> Vec<PolicyRule> {
    usernames.sort();
    usernames.dedup();
    if usernames.is_empty() {
        return Vec::new();
    }
    vec![PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(vec!["users".into()]),
        resource_names: Some(usernames.iter().map(|u| user_identity(u)).collect()),
        verbs: vec!["impersonate".into()],
        ..Default::default()
    }]
}

async fn reconcile_inner(user: &ChaosUser, ctx: &AccessContext) -> Result<Requeue, Error> {
    if !super::is_filled(&ctx.projects) {
        return Ok(Requeue::requeue(Duration::from_millis(500)));
    }
    let name = user.name_any();
    let generation = user.metadata.generation;
    let mut status = user.status.clone().unwrap_or_default();
    let at = now().to_string();
    let invalid = invalid_username(&name);
    let enabled = !user.spec.disabled && invalid.is_none();

    // 1. admins: a ClusterRoleBinding to the admin role while enabled
    let bindings: Api<ClusterRoleBinding> = Api::all(ctx.client.clone());
    let binding_name = admin_binding(&name);
    if enabled && user.spec.role == GlobalRole::Admin {
        let binding = ClusterRoleBinding {
            metadata: ObjectMeta {
                name: Some(binding_name.clone()),
                labels: Some(BTreeMap::from([
                    (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
                    (USER_LABEL.to_string(), name.clone()),
                ])),
                owner_references: user.controller_owner_ref(&()).map(|mut o| {
                    o.block_owner_deletion = None;
                    vec![o]
                }),
                ..Default::default()
            },
            role_ref: cluster_role_ref(ADMIN_ROLE),
            subjects: Some(vec![user_subject(&name)]),
        };
        bindings
            .patch(&binding_name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&binding))
            .await
            .map_err(Error::kube("apply the admin binding"))?;
    } else {
        match bindings.delete(&binding_name, &DeleteParams::default()).await {
            Ok(_) => {
                ctx.event(user, EventType::Normal, "AdminUnbound", "Unbind", "admin access removed".into())
                    .await
            }
            Err(e) if crate::faults::is_not_found(&e) => {}
            Err(err) => return Err(Error::kube("delete the admin binding")(err)),
        }
    }

    // 2. status: the projects the user belongs to, and whether the user is usable
    let projects = memberships(ctx.projects.state().iter().map(|p| p.as_ref()), &name);
    status.projects = projects;
    status.observed_generation = generation;
    // a disabled user is what was asked for: Ready (kstatus Current), not stalled; Stalled is a bad name
    let (ok, reason, message) = match (&invalid, user.spec.disabled) {
        (Some(why), _) => (false, "InvalidName", format!("metadata.name: the username {why}")),
        (None, true) => (true, "Disabled", "disabled: cannot sign in and has no project bindings".into()),
        (None, false) => (
            true,
            "Active",
            format!("{:?} user in {} project(s)", user.spec.role, status.projects.len()).to_lowercase(),
        ),
    };
    let health = if ok {
        Health::Ready { reason, message: &message }
    } else {
        Health::Stalled { reason, message: &message }
    };
    if set_health(&mut status.conditions, health, generation, &at) {
        let type_ = if ok && reason == "Active" { EventType::Normal } else { EventType::Warning };
        ctx.event(user, type_, reason, "Reconcile", message).await;
    }
    if user.status.as_ref() != Some(&status) {
        let patch = super::status_patch(user.status.as_ref(), &status)?;
        Api::<ChaosUser>::all(ctx.client.clone())
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::kube("write the user status"))?;
    }
    Ok(Requeue::requeue(Duration::from_secs(600)))
}

/// Keeps the impersonation ClusterRole listing exactly the enabled users: rewritten after every change to
/// any user, deletions included, and after every change to the role itself — someone else's write, such
/// as a `kubectl apply` or GitOps sync of an older manifest with `rules: []`, is undone at once instead of
/// locking every user out until the next user change. A batch of changes at once is one rewrite; runs
/// until the streams end.
pub async fn keep_impersonation_role(ctx: Arc<AccessContext>) {
    use futures::StreamExt;
    use kube::runtime::{watcher, WatchStreamExt};
    let users: Api<ChaosUser> = Api::all(ctx.client.clone());
    let user_changes = watcher(users, watcher::Config::default().any_semantic())
        .default_backoff()
        .touched_objects()
        .map(|event| event.map(drop).map_err(drop));
    let roles: Api<ClusterRole> = Api::all(ctx.client.clone());
    let only_ours = watcher::Config::default().fields(&format!("metadata.name={IMPERSONATE_ROLE}"));
    let role_changes = watcher(roles, only_ours)
        .default_backoff()
        .touched_objects()
        .map(|event| event.map(drop).map_err(drop));
    let changes = futures::stream::select(user_changes, role_changes);
    let mut batches = std::pin::pin!(changes.ready_chunks(1000));
    while let Some(batch) = batches.next().await {
        if batch.iter().all(|event| event.is_err()) {
            continue;
        }
        for attempt in 0.. {
            match sync_impersonation(&ctx).await {
                Ok(None) => break,
                Ok(Some(problem)) => {
                    tracing::warn!("{problem}");
                    break;
                }
                Err(err) if attempt < 5 => {
                    tracing::warn!(%err, "could not update the impersonation role; retrying");
                    tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
                }
                Err(err) => {
                    tracing::error!(%err, "could not update the impersonation role");
                    break;
                }
            }
        }
    }
}

/// Rewrites the impersonation ClusterRole from every enabled user in the cluster. The role is read before
/// the users and replaced under its resourceVersion, so two writers cannot drop each other's users.
/// Returns a problem to report if the role is not installed.
async fn sync_impersonation(ctx: &AccessContext) -> Result<Option<String>, Error> {
    let roles: Api<ClusterRole> = Api::all(ctx.client.clone());
    for _ in 0..5 {
        let Some(mut role) =
            roles.get_opt(IMPERSONATE_ROLE).await.map_err(Error::kube("read the impersonation role"))?
        else {
            return Ok(Some(format!("ClusterRole {IMPERSONATE_ROLE} is missing (install config/rbac), so the apiserver cannot act for users")));
        };
        let users = Api::<ChaosUser>::all(ctx.client.clone())
            .list(&ListParams::default())
            .await
            .map_err(Error::kube("list users"))?;
        let enabled = users
            .items
            .iter()
            .filter(|u| !u.spec.disabled && invalid_username(&u.name_any()).is_none())
            .map(|u| u.name_any())
            .collect();
        let rules = impersonation_rules(enabled);
        if role.rules.clone().unwrap_or_default() == rules {
            return Ok(None);
        }
        role.rules = Some(rules);
        match roles.replace(IMPERSONATE_ROLE, &PostParams::default(), &role).await {
            Ok(_) => return Ok(None),
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(err) => return Err(Error::kube("write the impersonation role")(err)),
        }
    }
    Err(Error::Conflict("the impersonation role kept changing while it was written"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_users_means_no_rule_not_an_empty_name_list() {
        assert!(impersonation_rules(vec![]).is_empty());
    }

    #[test]
    fn rules_name_each_user_once() {
        let rules = impersonation_rules(vec!["bob".into(), "alice".into(), "bob".into()]);
        assert_eq!(rules.len(), 1);
        assert_eq!(
            rules[0].resource_names.as_deref(),
            Some(&["chaoscenter:alice".to_string(), "chaoscenter:bob".to_string()][..])
        );
        assert_eq!(rules[0].verbs, ["impersonate"]);
    }
}
