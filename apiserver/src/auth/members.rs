//! Projects and membership: list the caller's projects, create one (admins), add a member with a role,
//! change a role, remove a member (Owners, through RBAC), and leave a project (the caller only).

use super::{Body, Caller, SignedIn};
use crate::app::AppState;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chaoscenter_crds::access::{invalid_project_name, invalid_username};
use chaoscenter_crds::project::{Member, Role};
use chaoscenter_crds::{Project, ProjectSpec};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A project as the API shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView {
    name: String,
    display_name: String,
    description: String,
    /// The caller's role (`None` for an admin who is not a member).
    my_role: Option<Role>,
    members: Vec<Member>,
    target_namespaces: Vec<String>,
    namespace: Option<String>,
}

fn view(project: &Project, caller: &str) -> ProjectView {
    ProjectView {
        name: project.name_any(),
        display_name: project.spec.display_name.clone(),
        description: project.spec.description.clone(),
        my_role: project.spec.members.iter().find(|m| m.user == caller).map(|m| m.role),
        members: project.spec.members.clone(),
        target_namespaces: project.spec.target_namespaces.clone(),
        namespace: project.status.as_ref().and_then(|s| s.namespace.clone()),
    }
}

/// `GET /auth/projects`: the projects the caller belongs to (every project, for admins).
pub async fn my_projects(State(state): State<Arc<AppState>>, caller: Caller) -> Json<Vec<ProjectView>> {
    let mut projects: Vec<ProjectView> = state
        .cluster
        .projects()
        .iter()
        .filter(|p| caller.is_admin() || p.spec.members.iter().any(|m| m.user == caller.name()))
        .map(|p| view(p, caller.name()))
        .collect();
    projects.sort_by(|a, b| a.name.cmp(&b.name));
    Json(projects)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateProject {
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    target_namespaces: Vec<String>,
}

/// `POST /auth/projects`: a new project with the caller as its Owner (RBAC: admins).
pub async fn create_project(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Body(req): Body<CreateProject>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let client = as_caller(&state, &caller)?;
    if let Some(why) = invalid_project_name(&req.name) {
        return Err(ApiError::bad_request(format!("name: {why}")));
    }
    let mut project = Project::new(
        &req.name,
        ProjectSpec {
            display_name: req.display_name,
            description: req.description,
            members: vec![Member { user: caller.name().into(), role: Role::Owner }],
            target_namespaces: req.target_namespaces,
        },
    );
    project.metadata.labels = state.cluster.labels();
    let created = Api::<Project>::all(client)
        .create(&PostParams::default(), &project)
        .await
        .map_err(|e| ApiError::from_kube("create the project", e))?;
    super::audit(&state, caller.name(), "create", "Project", &req.name, Some(&req.name)).await;
    Ok((StatusCode::CREATED, Json(view(&created, caller.name()))))
}

fn as_caller(state: &AppState, caller: &SignedIn) -> Result<Client, ApiError> {
    state.cluster.as_user(caller.name()).map_err(|e| ApiError::internal("act as the caller", e))
}

/// Reads the project as `client`, lets `change` edit its member list, and writes the list back under the
/// resourceVersion it was read at, so a concurrent change is never lost; on such a conflict (e.g. the
/// operator wrote the status meanwhile) it reads again and retries.
async fn change_members<F>(client: Client, project: &str, change: F) -> Result<Project, ApiError>
where
    F: Fn(&mut Vec<Member>) -> Result<(), ApiError>,
{
    if let Some(why) = invalid_project_name(project) {
        // none can exist, and the name becomes part of a Kubernetes API URL
        return Err(ApiError::not_found(format!("no project {project:?}: a project name {why}")));
    }
    let api: Api<Project> = Api::all(client);
    let mut attempts = 0;
    loop {
        let current = api.get(project).await.map_err(|e| ApiError::from_kube("read the project", e))?;
        let mut members = current.spec.members.clone();
        change(&mut members)?;
        let owners = members.iter().filter(|m| m.role == Role::Owner).count();
        let had_owner = current.spec.members.iter().any(|m| m.role == Role::Owner);
        if had_owner && owners == 0 {
            return Err(ApiError::conflict("a project must keep at least one Owner"));
        }
        let patch = serde_json::json!({
            "metadata": {"resourceVersion": current.resource_version()},
            "spec": {"members": members},
        });
        match api.patch(project, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Err(kube::Error::Api(status)) if status.code == 409 && attempts < 5 => attempts += 1,
            result => return result.map_err(|e| ApiError::from_kube("change the members", e)),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddMember {
    user: String,
    role: Role,
}

/// `POST /auth/projects/{project}/members`: adds a user with a role (RBAC: the project's Owners, admins).
pub async fn add(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Path(project): Path<String>,
    Body(req): Body<AddMember>,
) -> Result<Json<ProjectView>, ApiError> {
    let client = as_caller(&state, &caller)?;
    if let Some(why) = invalid_username(&req.user) {
        return Err(ApiError::bad_request(format!("user: {why}")));
    }
    if state.cluster.user(&req.user).await.map_err(|e| ApiError::internal("read the user", e))?.is_none() {
        return Err(ApiError::bad_request(format!("user: there is no user {:?}", req.user)));
    }
    let updated = change_members(client, &project, |members| {
        if members.iter().any(|m| m.user == req.user) {
            return Err(ApiError::conflict(format!(
                "{} is already a member; change the role instead",
                req.user
            )));
        }
        members.push(Member { user: req.user.clone(), role: req.role });
        Ok(())
    })
    .await?;
    tracing::info!(%project, user = %req.user, role = ?req.role, by = %caller.name(), "member added");
    super::audit(&state, caller.name(), "add-member", "Project", &project, Some(&project)).await;
    Ok(Json(view(&updated, caller.name())))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRole {
    role: Role,
}

/// `PUT /auth/projects/{project}/members/{user}`: changes a member's role (RBAC: Owners, admins).
pub async fn change_role(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Path((project, user)): Path<(String, String)>,
    Body(req): Body<ChangeRole>,
) -> Result<Json<ProjectView>, ApiError> {
    let client = as_caller(&state, &caller)?;
    let updated = change_members(client, &project, |members| {
        let member = members
            .iter_mut()
            .find(|m| m.user == user)
            .ok_or_else(|| ApiError::not_found(format!("{user} is not a member of {project}")))?;
        member.role = req.role;
        Ok(())
    })
    .await?;
    tracing::info!(%project, %user, role = ?req.role, by = %caller.name(), "member role changed");
    super::audit(&state, caller.name(), "change-role", "Project", &project, Some(&project)).await;
    Ok(Json(view(&updated, caller.name())))
}

/// `DELETE /auth/projects/{project}/members/{user}`: removes a member (RBAC: Owners, admins).
pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Path((project, user)): Path<(String, String)>,
) -> Result<Json<ProjectView>, ApiError> {
    let client = as_caller(&state, &caller)?;
    let updated = change_members(client, &project, |members| remove_member(members, &user, &project)).await?;
    tracing::info!(%project, %user, by = %caller.name(), "member removed");
    super::audit(&state, caller.name(), "remove-member", "Project", &project, Some(&project)).await;
    Ok(Json(view(&updated, caller.name())))
}

fn remove_member(members: &mut Vec<Member>, user: &str, project: &str) -> Result<(), ApiError> {
    let before = members.len();
    members.retain(|m| m.user != user);
    if members.len() == before {
        return Err(ApiError::not_found(format!("{user} is not a member of {project}")));
    }
    Ok(())
}

/// The (empty) body of a leave request: whom to remove is never taken from the request.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Leave {}

/// `POST /auth/projects/{project}/leave`: the caller leaves. No project role may remove only itself, so
/// the apiserver makes this one change with its own identity, for the authenticated caller alone.
pub async fn leave(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Path(project): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    if !body.iter().all(u8::is_ascii_whitespace) {
        serde_json::from_slice::<Leave>(&body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("leave takes no fields; you can only remove yourself: {e}"),
            )
        })?;
    }
    let me = caller.name().to_string();
    change_members(state.cluster.client(), &project, |members| remove_member(members, &me, &project))
        .await
        .map_err(|e| {
        if e.status == StatusCode::FORBIDDEN {
            ApiError::not_found(format!("no project {project}"))
        } else {
            e
        }
    })?;
    tracing::info!(%project, user = %me, "left the project");
    super::audit(&state, &me, "leave", "Project", &project, Some(&project)).await;
    Ok(StatusCode::NO_CONTENT)
}
