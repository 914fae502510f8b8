//! Sessions and the caller's own account: login, refresh, logout, who-am-I, own details, own password.

use super::{Body, Caller};
use crate::app::AppState;
use crate::error::ApiError;
use crate::passwords;
use crate::store::Session;
use crate::tokens::{random_id, unix_now, Claims, TokenKind};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chaoscenter_crds::access::memberships;
use chaoscenter_crds::user::ProjectMembership;
use chaoscenter_crds::ChaosUser;
use kube::api::{Api, Patch, PatchParams};
use kube::ResourceExt;
use mongodb::bson::DateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// What a login, refresh or password change answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    access_token: String,
    /// Unix seconds.
    expires_at: u64,
    refresh_token: String,
    must_change_password: bool,
    user: UserView,
}

/// A user as the API shows it (never a password or hash).
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: chaoscenter_crds::user::GlobalRole,
    pub disabled: bool,
    pub projects: Vec<ProjectMembership>,
}

/// The user's view, with memberships from the project cache.
pub fn user_view(state: &AppState, user: &ChaosUser) -> UserView {
    let name = user.name_any();
    let projects = memberships(state.cluster.projects.state().iter().map(|p| p.as_ref()), &name);
    UserView {
        username: name,
        display_name: user.spec.display_name.clone(),
        email: user.spec.email.clone(),
        role: user.spec.role,
        disabled: user.spec.disabled,
        projects,
    }
}

fn refresh_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn mongo_date(unix: u64) -> DateTime {
    DateTime::from_millis(i64::try_from(unix).unwrap_or(i64::MAX / 1000) * 1000)
}

/// Issues an access token and a refresh token for session `sid` (a new session if `None`).
async fn issue(
    state: &AppState,
    user: &ChaosUser,
    sid: Option<String>,
    must_change: bool,
) -> Result<Tokens, ApiError> {
    let name = user.name_any();
    let db = |e| ApiError::internal("start a session", e);
    let gen = state.store.generation(&name).await.map_err(db)?;
    let now = unix_now();
    let sid = sid.unwrap_or_else(random_id);
    let claims = Claims {
        sub: name.clone(),
        iss: state.keys.issuer().into(),
        aud: state.keys.audience().into(),
        exp: now + state.config.access_ttl.as_secs(),
        iat: now,
        jti: random_id(),
        kind: TokenKind::Access,
        sid: Some(sid.clone()),
        gen,
        pwc: must_change,
    };
    let refresh_token = format!("{}{}", random_id(), random_id());
    let session = Session {
        refresh_hash: refresh_hash(&refresh_token),
        sid,
        user: name,
        expires_at: mongo_date(now + state.config.refresh_ttl.as_secs()),
    };
    state.store.create_session(&session).await.map_err(db)?;
    Ok(Tokens {
        access_token: state.keys.sign(&claims),
        expires_at: claims.exp,
        refresh_token,
        must_change_password: must_change,
        user: user_view(state, user),
    })
}

/// Verifies `password` for `username` with throttling; the user and their password record on success.
async fn check_password(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<(Arc<ChaosUser>, bool), ApiError> {
    let wrong = || ApiError::unauthorized("wrong username or password");
    if let Err(wait) = state.throttle.check(username, Instant::now()) {
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed attempts; try again in {} s", wait.as_secs().max(1)),
        );
        err.retry_after = Some(wait.as_secs().max(1));
        return Err(err);
    }
    let user = state.cluster.user_live(username).await.map_err(|e| ApiError::internal("read the user", e))?;
    let record = match &user {
        Some(_) => {
            state.cluster.password(username).await.map_err(|e| ApiError::internal("read the password", e))?
        }
        None => None,
    };
    let matches = state.passwords.verify(password, record.as_ref().map(|r| r.hash.as_str())).await;
    match (user, record, matches) {
        (Some(user), Some(record), true) => {
            state.throttle.succeeded(username);
            if user.spec.disabled {
                return Err(ApiError::forbidden("the user is disabled"));
            }
            Ok((user, record.must_change))
        }
        _ => {
            state.throttle.failed(username, Instant::now());
            Err(wrong())
        }
    }
}

/// `POST /auth/login`: username and password for tokens.
pub async fn login(
    State(state): State<Arc<AppState>>,
    Body(req): Body<LoginRequest>,
) -> Result<Json<Tokens>, ApiError> {
    if req.username.is_empty() || req.password.is_empty() {
        return Err(ApiError::bad_request("username and password are required"));
    }
    if req.username.len() > 254 || req.password.chars().count() > passwords::MAX_LEN {
        return Err(ApiError::unauthorized("wrong username or password"));
    }
    let (user, must_change) = check_password(&state, &req.username, &req.password).await?;
    tracing::info!(user = %req.username, "signed in");
    Ok(Json(issue(&state, &user, None, must_change).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// `POST /auth/refresh`: a refresh token (used once) for a new pair.
pub async fn refresh(
    State(state): State<Arc<AppState>>,
    Body(req): Body<RefreshRequest>,
) -> Result<Json<Tokens>, ApiError> {
    let invalid = || ApiError::unauthorized("the refresh token is not valid; sign in again");
    let session = state
        .store
        .take_session(&refresh_hash(&req.refresh_token))
        .await
        .map_err(|e| ApiError::internal("read the session", e))?
        .ok_or_else(invalid)?;
    let user =
        state.cluster.user_live(&session.user).await.map_err(|e| ApiError::internal("read the user", e))?;
    let user = user.filter(|u| !u.spec.disabled).ok_or_else(invalid)?;
    let record = state
        .cluster
        .password(&session.user)
        .await
        .map_err(|e| ApiError::internal("read the password", e))?;
    let must_change = record.is_some_and(|r| r.must_change);
    Ok(Json(issue(&state, &user, Some(session.sid), must_change).await?))
}

/// `POST /auth/logout`: revokes the access token and ends its session.
pub async fn logout(State(state): State<Arc<AppState>>, caller: Caller) -> Result<StatusCode, ApiError> {
    if caller.claims.kind == TokenKind::Api {
        return Err(ApiError::bad_request(
            "an API token is revoked with DELETE /auth/tokens/{id}, not by logout",
        ));
    }
    let db = |e| ApiError::internal("end the session", e);
    state.store.revoke(&caller.claims.jti, caller.name(), mongo_date(caller.claims.exp)).await.map_err(db)?;
    if let Some(sid) = &caller.claims.sid {
        state.store.end_session(sid).await.map_err(db)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    #[serde(flatten)]
    user: UserView,
    must_change_password: bool,
}

/// `GET /auth/me`: who the caller is.
pub async fn me(State(state): State<Arc<AppState>>, caller: Caller) -> Json<Me> {
    Json(Me { user: user_view(&state, &caller.user), must_change_password: caller.claims.pwc })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetailsRequest {
    display_name: Option<String>,
    email: Option<String>,
}

/// `PATCH /auth/me`: the caller's display name and email. Written by the apiserver itself (RBAC cannot let
/// a user change these two fields of their ChaosUser without also letting them change their role).
pub async fn update_me(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Body(req): Body<DetailsRequest>,
) -> Result<Json<UserView>, ApiError> {
    caller.require_password_changed()?;
    if let Some(name) = &req.display_name {
        if name.chars().count() > 128 {
            return Err(ApiError::bad_request("displayName: at most 128 characters"));
        }
    }
    if let Some(email) = &req.email {
        let ok = email.is_empty()
            || (email.len() <= 254
                && email
                    .split_once('@')
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('@'))
                && !email.chars().any(char::is_whitespace));
        if !ok {
            return Err(ApiError::bad_request("email: not an email address"));
        }
    }
    let mut spec = serde_json::Map::new();
    if let Some(name) = req.display_name {
        spec.insert("displayName".into(), name.into());
    }
    if let Some(email) = req.email {
        spec.insert("email".into(), email.into());
    }
    if spec.is_empty() {
        return Err(ApiError::bad_request("nothing to change: give displayName and/or email"));
    }
    let updated = Api::<ChaosUser>::all(state.cluster.client.clone())
        .patch(caller.name(), &PatchParams::default(), &Patch::Merge(serde_json::json!({ "spec": spec })))
        .await
        .map_err(|e| ApiError::from_kube("update the user", e))?;
    Ok(Json(user_view(&state, &updated)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordRequest {
    current_password: String,
    new_password: String,
}

/// `POST /auth/password`: the caller changes their own password; every other session ends, and a new
/// token pair is answered.
pub async fn change_password(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Body(req): Body<PasswordRequest>,
) -> Result<Json<Tokens>, ApiError> {
    let name = caller.name().to_string();
    passwords::check_policy(&name, &req.new_password)
        .map_err(|m| ApiError::bad_request(format!("newPassword: {m}")))?;
    if req.new_password == req.current_password {
        return Err(ApiError::bad_request("newPassword: must differ from the current password"));
    }
    let (user, _) = check_password(&state, &name, &req.current_password).await.map_err(|e| {
        if e.status == StatusCode::UNAUTHORIZED {
            ApiError::forbidden("the current password is wrong")
        } else {
            e
        }
    })?;
    let new = req.new_password;
    let hash = state.passwords.hash(&new).await;
    state
        .cluster
        .set_password(&user, &hash, false)
        .await
        .map_err(|e| ApiError::internal("store the password", e))?;
    state.store.invalidate_user(&name).await.map_err(|e| ApiError::internal("end the sessions", e))?;
    state.cluster.forget_initial_password(&name).await;
    tracing::info!(user = %name, "password changed");
    Ok(Json(issue(&state, &user, None, false).await?))
}
