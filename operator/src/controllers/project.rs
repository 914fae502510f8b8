//! The Project controller: the project's namespace, its per-project ClusterRoles, and one RoleBinding per
//! enabled member (plus the ClusterRoleBindings that let members read and Owners change the Project),
//! the built-in hub, and the binding that lets the operator read hub credentials there.

use super::{now, AccessContext, Error, FIELD_MANAGER};
use chaoscenter_crds::access::{
    invalid_project_name, member_binding, project_members, project_namespace, project_owners, project_role,
    user_identity, HUB_CREDENTIALS_BINDING, HUB_CREDENTIALS_ROLE, MANAGED_BY, MANAGED_BY_LABEL, USER_LABEL,
};
use chaoscenter_crds::common::{set_health, Health, API_GROUP, PROJECT_LABEL};
use chaoscenter_crds::hub::{HubSource, BUILTIN_HUB, BUILTIN_HUB_ANNOTATION};
use chaoscenter_crds::project::Role;
use chaoscenter_crds::Project;
use chaoscenter_crds::{ChaosHub, ChaosHubSpec};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, RoleBinding, RoleRef, Subject,
};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action as Requeue;
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Reconciles one project.
pub async fn reconcile(project: Arc<Project>, ctx: Arc<AccessContext>) -> Result<Requeue, Error> {
    let started = std::time::Instant::now();
    let result = reconcile_inner(&project, &ctx).await;
    ctx.metrics.observe("project", started.elapsed().as_secs_f64());
    result
}

/// Logs, counts and retries a failed reconcile.
pub fn error_policy(project: Arc<Project>, error: &Error, ctx: Arc<AccessContext>) -> Requeue {
    tracing::warn!(project = %project.name_any(), %error, "project reconcile failed");
    ctx.metrics.reconcile_failed("project", error.category());
    Requeue::requeue(Duration::from_secs(5))
}

/// The labels on everything the operator creates for `project`.
fn labels(project: &str, user: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
        (PROJECT_LABEL.to_string(), project.to_string()),
    ]);
    if let Some(user) = user {
        labels.insert(USER_LABEL.to_string(), user.to_string());
    }
    labels
}

/// Which members get bindings: those whose ChaosUser exists and is enabled. The rest, with the reason.
pub fn active_members(project: &Project, ctx: &AccessContext) -> (Vec<(String, Role)>, Vec<String>) {
    let mut active = Vec::new();
    let mut skipped = Vec::new();
    for member in &project.spec.members {
        match ctx.users.get(&ObjectRef::new(&member.user)) {
            None => skipped.push(format!("{} (no such ChaosUser)", member.user)),
            Some(u) if u.spec.disabled => skipped.push(format!("{} (disabled)", member.user)),
            Some(_) => active.push((member.user.clone(), member.role)),
        }
    }
    (active, skipped)
}

/// A binding's reference to the ClusterRole `name`.
pub(super) fn cluster_role_ref(name: &str) -> RoleRef {
    RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "ClusterRole".into(), name: name.into() }
}

pub(super) fn user_subject(user: &str) -> Subject {
    Subject {
        kind: "User".into(),
        name: user_identity(user),
        api_group: Some("rbac.authorization.k8s.io".into()),
        namespace: None,
    }
}

fn project_rule(project: &str, verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![API_GROUP.into()]),
        resources: Some(vec!["projects".into()]),
        resource_names: Some(vec![project.into()]),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

async fn reconcile_inner(project: &Project, ctx: &AccessContext) -> Result<Requeue, Error> {
    let name = project.name_any();
    let generation = project.metadata.generation;
    let mut status = project.status.clone().unwrap_or_default();
    let at = now().to_string();
    let owner = project.controller_owner_ref(&()).map(|mut o| {
        o.block_owner_deletion = None;
        vec![o]
    });

    // membership is judged against the users; never against a cache that has not been filled yet
    if !super::is_filled(&ctx.users) {
        return Ok(Requeue::requeue(Duration::from_millis(500)));
    }
    if let Some(why) = invalid_project_name(&name) {
        return fail(project, ctx, status, "InvalidName", format!("metadata.name: {why}")).await;
    }

    // 1. the namespace: created and owned, or already labelled as this project's
    let ns_name = project_namespace(&name);
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    match namespaces.get_opt(&ns_name).await.map_err(Error::kube("read the project namespace"))? {
        Some(ns) => {
            let belongs = ns.labels().get(PROJECT_LABEL) == Some(&name);
            if !belongs {
                let message = format!(
                    "namespace {ns_name} already exists and does not belong to project {name} (its label {PROJECT_LABEL} is {:?}); delete or relabel it",
                    ns.labels().get(PROJECT_LABEL).map(String::as_str).unwrap_or("")
                );
                return fail(project, ctx, status, "NamespaceConflict", message).await;
            }
            if ns.metadata.deletion_timestamp.is_some() {
                return Ok(Requeue::requeue(Duration::from_secs(2)));
            }
        }
        None => {
            let ns = Namespace {
                metadata: ObjectMeta {
                    name: Some(ns_name.clone()),
                    labels: Some(labels(&name, None)),
                    owner_references: owner.clone(),
                    ..Default::default()
                },
                ..Default::default()
            };
            namespaces
                .create(&PostParams::default(), &ns)
                .await
                .map_err(Error::kube("create the project namespace"))?;
            ctx.event(
                project,
                EventType::Normal,
                "NamespaceCreated",
                "Create",
                format!("created namespace {ns_name}"),
            )
            .await;
        }
    }

    // the built-in hub, once: a user who deletes it does not get it back
    ensure_builtin_hub(project, ctx, &ns_name).await?;

    // 2. the per-project ClusterRoles over the Project object itself
    let (active, skipped) = active_members(project, ctx);
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    let cluster_roles: Api<ClusterRole> = Api::all(ctx.client.clone());
    let cluster_bindings: Api<ClusterRoleBinding> = Api::all(ctx.client.clone());
    for (role_name, verbs, role_filter) in [
        (project_owners(&name), &["get", "update", "patch"][..], Some(Role::Owner)),
        (project_members(&name), &["get"][..], None),
    ] {
        let role = ClusterRole {
            metadata: ObjectMeta {
                name: Some(role_name.clone()),
                labels: Some(labels(&name, None)),
                owner_references: owner.clone(),
                ..Default::default()
            },
            rules: Some(vec![project_rule(&name, verbs)]),
            ..Default::default()
        };
        cluster_roles
            .patch(&role_name, &apply, &Patch::Apply(&role))
            .await
            .map_err(Error::kube("apply a project ClusterRole"))?;
        let subjects = active
            .iter()
            .filter(|(_, role)| role_filter.is_none_or(|want| *role == want))
            .map(|(user, _)| user_subject(user))
            .collect::<Vec<_>>();
        let binding = ClusterRoleBinding {
            metadata: ObjectMeta {
                name: Some(role_name.clone()),
                labels: Some(labels(&name, None)),
                owner_references: owner.clone(),
                ..Default::default()
            },
            role_ref: cluster_role_ref(&role_name),
            subjects: Some(subjects),
        };
        cluster_bindings
            .patch(&role_name, &apply, &Patch::Apply(&binding))
            .await
            .map_err(Error::kube("apply a project ClusterRoleBinding"))?;
    }

    // 3. one RoleBinding per enabled member in the project namespace; stale ones go
    let bindings: Api<RoleBinding> = Api::namespaced(ctx.client.clone(), &ns_name);
    let selector = format!("{MANAGED_BY_LABEL}={MANAGED_BY},{PROJECT_LABEL}={name}");
    let existing = bindings
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(Error::kube("list member bindings"))?;
    let mut changes = Vec::new();
    for binding in &existing.items {
        if binding.name_any() == HUB_CREDENTIALS_BINDING {
            continue;
        }
        let wanted = active.iter().find(|(user, role)| {
            member_binding(user) == binding.name_any() && binding.role_ref.name == project_role(*role)
        });
        if wanted.is_none() {
            // gone, disabled, or a changed role (roleRef is immutable, so it is replaced)
            match bindings.delete(&binding.name_any(), &DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if crate::faults::is_not_found(&e) => {}
                Err(err) => return Err(Error::kube("delete a member binding")(err)),
            }
            if !active.iter().any(|(user, _)| member_binding(user) == binding.name_any()) {
                let user = binding.labels().get(USER_LABEL).cloned().unwrap_or_else(|| binding.name_any());
                changes.push(format!("unbound {user}"));
            }
        }
    }
    for (user, role) in &active {
        let binding_name = member_binding(user);
        let current = existing.items.iter().find(|b| b.name_any() == binding_name);
        if current.is_none_or(|b| b.role_ref.name != project_role(*role)) {
            changes.push(format!("bound {user} as {role:?}"));
        }
        let binding = RoleBinding {
            metadata: ObjectMeta {
                name: Some(binding_name.clone()),
                namespace: Some(ns_name.clone()),
                labels: Some(labels(&name, Some(user))),
                owner_references: owner.clone(),
                ..Default::default()
            },
            role_ref: cluster_role_ref(project_role(*role)),
            subjects: Some(vec![user_subject(user)]),
        };
        bindings
            .patch(&binding_name, &apply, &Patch::Apply(&binding))
            .await
            .map_err(Error::kube("apply a member binding"))?;
    }
    if !changes.is_empty() {
        ctx.event(project, EventType::Normal, "MembersSynced", "Bind", changes.join("; ")).await;
    }

    // 4. the operator may read Secrets here, and only in project namespaces: a hub's credentials
    let (sa_namespace, sa_name) = &ctx.service_account;
    let binding = RoleBinding {
        metadata: ObjectMeta {
            name: Some(HUB_CREDENTIALS_BINDING.into()),
            namespace: Some(ns_name.clone()),
            labels: Some(labels(&name, None)),
            owner_references: owner.clone(),
            ..Default::default()
        },
        role_ref: cluster_role_ref(HUB_CREDENTIALS_ROLE),
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: sa_name.clone(),
            namespace: Some(sa_namespace.clone()),
            api_group: None,
        }]),
    };
    bindings
        .patch(HUB_CREDENTIALS_BINDING, &apply, &Patch::Apply(&binding))
        .await
        .map_err(Error::kube("apply the hub-credentials binding"))?;

    // 5. status
    let mut message = format!("namespace {ns_name}; {} member(s) bound", active.len());
    if !skipped.is_empty() {
        message.push_str(&format!("; not bound: {}", skipped.join(", ")));
    }
    status.namespace = Some(ns_name);
    status.observed_generation = generation;
    set_health(
        &mut status.conditions,
        Health::Ready { reason: "Reconciled", message: &message },
        generation,
        &at,
    );
    write_status(project, ctx, &status).await?;
    Ok(Requeue::requeue(Duration::from_secs(600)))
}

/// Creates the project's built-in hub ([`BUILTIN_HUB`], source Builtin) the first time its namespace is
/// set up, and records that on the Project ([`BUILTIN_HUB_ANNOTATION`]) so that it is never created again:
/// it is removable like any other hub.
async fn ensure_builtin_hub(project: &Project, ctx: &AccessContext, ns: &str) -> Result<(), Error> {
    if !ctx.builtin_hub || project.annotations().contains_key(BUILTIN_HUB_ANNOTATION) {
        return Ok(());
    }
    let hub = ChaosHub {
        metadata: ObjectMeta {
            name: Some(BUILTIN_HUB.into()),
            namespace: Some(ns.into()),
            labels: Some(labels(&project.name_any(), None)),
            ..Default::default()
        },
        spec: ChaosHubSpec { source: HubSource::Builtin, git: None, sync_interval: "1h".into() },
        status: None,
    };
    match Api::<ChaosHub>::namespaced(ctx.client.clone(), ns).create(&PostParams::default(), &hub).await {
        Ok(_) => {
            ctx.event(
                project,
                EventType::Normal,
                "HubCreated",
                "Create",
                format!("created the built-in hub {BUILTIN_HUB} in {ns}"),
            )
            .await
        }
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => return Err(Error::kube("create the built-in hub")(e)),
    }
    let patch = serde_json::json!({"metadata": {"annotations": {BUILTIN_HUB_ANNOTATION: now().to_string()}}});
    Api::<Project>::all(ctx.client.clone())
        .patch(&project.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(Error::kube("record the built-in hub"))?;
    Ok(())
}

/// Records that the project cannot be set up: a `Ready=False` condition and a Warning Event naming why.
async fn fail(
    project: &Project,
    ctx: &AccessContext,
    mut status: chaoscenter_crds::ProjectStatus,
    reason: &str,
    message: String,
) -> Result<Requeue, Error> {
    let generation = project.metadata.generation;
    status.observed_generation = generation;
    let health = Health::Stalled { reason, message: &message };
    if set_health(&mut status.conditions, health, generation, &now().to_string()) {
        ctx.event(project, EventType::Warning, reason, "Reconcile", message).await;
    }
    write_status(project, ctx, &status).await?;
    Ok(Requeue::requeue(Duration::from_secs(60)))
}

async fn write_status(
    project: &Project,
    ctx: &AccessContext,
    status: &chaoscenter_crds::ProjectStatus,
) -> Result<(), Error> {
    if project.status.as_ref() == Some(status) {
        return Ok(());
    }
    let patch = super::status_patch(project.status.as_ref(), status)?;
    Api::<Project>::all(ctx.client.clone())
        .patch_status(&project.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(Error::kube("write the project status"))?;
    Ok(())
}
