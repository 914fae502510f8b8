//! User administration: create, list, reset a password, disable and enable. Each is a change to a
//! ChaosUser made impersonating the caller, so only those RBAC lets manage users (admins) can; the
//! password Secret is written only after that change succeeded.

use super::account::{user_view, UserView};
use super::{Body, SignedIn};
use crate::app::AppState;
use crate::error::ApiError;
use crate::passwords;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chaoscenter_crds::access::{invalid_username, password_secret};
use chaoscenter_crds::common::LocalObjectReference;
use chaoscenter_crds::user::GlobalRole;
use chaoscenter_crds::{ChaosUser, ChaosUserSpec};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde::Deserialize;
use std::sync::Arc;

/// The annotation recording when an admin last reset the user's password.
const RESET_ANNOTATION: &str = "chaoscenter.io/password-reset-at";

/// A username from the path, where no user can have an invalid one (and it becomes part of a Kubernetes
/// API URL): a 404 naming why otherwise.
fn existing_name(name: &str) -> Result<(), ApiError> {
    match invalid_username(name) {
        Some(why) => Err(ApiError::not_found(format!("no user {name:?}: a username {why}"))),
        None => Ok(()),
    }
}

fn users_as(state: &AppState, caller: &SignedIn) -> Result<Api<ChaosUser>, ApiError> {
    let client =
        state.cluster.as_user(caller.name()).map_err(|e| ApiError::internal("act as the caller", e))?;
    Ok(Api::all(client))
}

/// `GET /auth/users`: every user (RBAC: admins).
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let users = users_as(&state, &caller)?
        .list(&ListParams::default())
        .await
        .map_err(|e| ApiError::from_kube("list users", e))?;
    Ok(Json(users.items.iter().map(|u| user_view(&state, u)).collect()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    username: String,
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: GlobalRole,
}

/// `POST /auth/users`: a new user, who must change the given password at first login.
pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Body(req): Body<CreateRequest>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let api = users_as(&state, &caller)?;
    if let Some(why) = invalid_username(&req.username) {
        return Err(ApiError::bad_request(format!("username: {why}")));
    }
    passwords::check_policy(&req.username, &req.password)
        .map_err(|m| ApiError::bad_request(format!("password: {m}")))?;
    let password = req.password;
    let hash = state.passwords.hash(&password).await;
    let mut user = ChaosUser::new(
        &req.username,
        ChaosUserSpec {
            display_name: req.display_name,
            email: req.email,
            role: req.role,
            disabled: false,
            password_secret_ref: Some(LocalObjectReference { name: password_secret(&req.username) }),
        },
    );
    user.metadata.labels = state.cluster.labels();
    let created = api
        .create(&PostParams::default(), &user)
        .await
        .map_err(|e| ApiError::from_kube("create the user", e))?;
    if let Err(err) = state.cluster.set_password(&created, &hash, true).await {
        // nothing half-made: without a password the user goes too
        let _ = api.delete(&req.username, &DeleteParams::default()).await;
        return Err(ApiError::internal("store the password", err));
    }
    tracing::info!(user = %req.username, by = %caller.name(), "user created");
    super::audit(&state, caller.name(), "create", "ChaosUser", &req.username, None).await;
    Ok((StatusCode::CREATED, Json(user_view(&state, &created))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetRequest {
    new_password: String,
}

/// `POST /auth/users/{name}/password`: an admin sets a new password, which the user must change at next
/// login; the user's sessions and API tokens end.
pub async fn reset_password(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Path(name): Path<String>,
    Body(req): Body<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    let api = users_as(&state, &caller)?;
    existing_name(&name)?;
    passwords::check_policy(&name, &req.new_password)
        .map_err(|m| ApiError::bad_request(format!("newPassword: {m}")))?;
    // the authorised change: RBAC decides whether the caller may change this user
    let patch = serde_json::json!({
        "metadata": {"annotations": {RESET_ANNOTATION: jiff::Timestamp::now().to_string()}},
        "spec": {"passwordSecretRef": {"name": password_secret(&name)}},
    });
    let user = api
        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| ApiError::from_kube("reset the password", e))?;
    let password = req.new_password;
    let hash = state.passwords.hash(&password).await;
    state
        .cluster
        .set_password(&user, &hash, true)
        .await
        .map_err(|e| ApiError::internal("store the password", e))?;
    state.store.invalidate_user(&name).await.map_err(|e| ApiError::internal("end the sessions", e))?;
    tracing::info!(user = %name, by = %caller.name(), "password reset");
    super::audit(&state, caller.name(), "reset-password", "ChaosUser", &name, None).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_disabled(
    state: &AppState,
    caller: &SignedIn,
    name: &str,
    disabled: bool,
) -> Result<Json<UserView>, ApiError> {
    let api = users_as(state, caller)?;
    existing_name(name)?;
    if disabled && name == caller.name() {
        return Err(ApiError::bad_request("you cannot disable yourself"));
    }
    let patch = serde_json::json!({ "spec": { "disabled": disabled } });
    let user = api
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| ApiError::from_kube("change the user", e))?;
    if disabled {
        state.store.invalidate_user(name).await.map_err(|e| ApiError::internal("end the sessions", e))?;
    }
    tracing::info!(user = %name, by = %caller.name(), disabled, "user updated");
    super::audit(state, caller.name(), if disabled { "disable" } else { "enable" }, "ChaosUser", name, None)
        .await;
    Ok(Json(user_view(state, &user)))
}

/// `POST /auth/users/{name}/disable`: the user can no longer sign in, every token stops working, and the
/// operator removes every binding.
pub async fn disable(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Path(name): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    set_disabled(&state, &caller, &name, true).await
}

/// `POST /auth/users/{name}/enable`.
pub async fn enable(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Path(name): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    set_disabled(&state, &caller, &name, false).await
}
