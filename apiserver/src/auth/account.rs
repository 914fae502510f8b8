//! Sessions and the caller's own account: login, refresh, logout, who-am-I, own details, own password.
//! A login starts a session: the access token is answered in JSON, the refresh token set in an HttpOnly
//! cookie that only `/auth/session/...` receives.

use super::{cookie, Body, Caller, SignedIn};
use crate::app::AppState;
use crate::client::Client;
use crate::error::ApiError;
use crate::passwords;
use crate::store::{sliding_expiry, Rotation, Session};
use crate::throttle::Scope;
use crate::tokens::{random_id, unix_now, Claims, TokenKind};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
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

/// What a login, refresh or password change answers; the refresh token is in the cookie, never here.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    access_token: String,
    /// When the access token expires, Unix seconds.
    expires_at: u64,
    /// When the session ends however often it is refreshed, Unix seconds.
    session_ends_at: u64,
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
    let projects = memberships(state.cluster.projects().iter().map(|p| p.as_ref()), &name);
    UserView {
        username: name,
        display_name: user.spec.display_name.clone(),
        email: user.spec.email.clone(),
        role: user.spec.role,
        disabled: user.spec.disabled,
        projects,
    }
}

pub(crate) fn refresh_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A new refresh token: 256 random bits, URL-safe (a valid cookie value).
fn new_refresh_token() -> String {
    format!("{}{}", random_id(), random_id())
}

fn unix(date: DateTime) -> u64 {
    u64::try_from(date.timestamp_millis() / 1000).unwrap_or(0)
}

fn after(start: DateTime, duration: std::time::Duration) -> DateTime {
    let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    DateTime::from_millis(start.timestamp_millis().saturating_add(millis))
}

/// The answer to a login, refresh or password change: a new access token of `session` in JSON, and
/// `refresh_token` (the session's current one) in the cookie.
async fn signed_in(
    state: &AppState,
    client: &Client,
    user: &ChaosUser,
    session: &Session,
    refresh_token: &str,
    must_change: bool,
) -> Result<Response, ApiError> {
    let now = unix_now();
    let claims = Claims {
        sub: session.user.clone(),
        uid: session.uid.clone(),
        iss: state.keys.issuer().into(),
        aud: state.keys.audience().into(),
        // an access token never outlives its session
        exp: (now + state.config.access_ttl.as_secs()).min(unix(session.ends_at)),
        iat: now,
        jti: random_id(),
        kind: TokenKind::Access,
        sid: Some(session.sid.clone()),
        gen: session.gen,
        pwc: must_change,
    };
    let tokens = Tokens {
        access_token: state.keys.sign(&claims),
        expires_at: claims.exp,
        session_ends_at: unix(session.ends_at),
        must_change_password: must_change,
        user: user_view(state, user),
    };
    let max_age = unix(session.expires_at).saturating_sub(now);
    let secure = client.cookie_secure(state.config.cookie_secure);
    let mut response = Json(tokens).into_response();
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, cookie::set(refresh_token, max_age, secure));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Starts a new session for `user` at token generation `gen` (lasting at most `SESSION_LIFETIME`) and
/// answers its tokens.
async fn start_session(
    state: &AppState,
    client: &Client,
    user: &ChaosUser,
    must_change: bool,
    gen: i64,
) -> Result<Response, ApiError> {
    let now = DateTime::now();
    let ends_at = after(now, state.config.session_lifetime);
    let refresh_token = new_refresh_token();
    let session = Session {
        sid: random_id(),
        user: user.name_any(),
        uid: user.metadata.uid.clone().unwrap_or_default(),
        gen,
        refresh_hash: refresh_hash(&refresh_token),
        created_at: now,
        ends_at,
        expires_at: sliding_expiry(now, state.config.refresh_ttl, ends_at),
    };
    state.store.create_session(&session).await.map_err(|e| ApiError::internal("start a session", e))?;
    signed_in(state, client, user, &session, &refresh_token, must_change).await
}

/// A password that checked out.
pub(super) struct Checked {
    pub user: Arc<ChaosUser>,
    /// The user must change the password before anything else.
    pub must_change: bool,
    /// The user's token generation, read before the password record: tokens and sessions started from
    /// this check carry it, so a password change or reset made meanwhile ends them.
    pub gen: i64,
}

/// Verifies `username`'s `password` for `purpose` (`login`, `password-change`, `api-token`): refused at
/// once while the client's address is throttled, and with a 503 while the hashing queue is full. Every
/// refusal is logged (username, address, reason; never the password) and counted; a disabled user's
/// right password is refused as a wrong one (nobody learns it is right), and is logged as disabled.
pub(super) async fn check_password(
    state: &AppState,
    client: &Client,
    purpose: &str,
    username: &str,
    password: &str,
) -> Result<Checked, ApiError> {
    // no username is longer than 254 bytes: longer ones share one bucket and are cut short in the log, so
    // a flood of huge names takes neither memory nor log space
    let too_long = username.len() > 254 || password.chars().count() > passwords::MAX_LEN;
    let key = if username.len() > 254 { "(too long)" } else { username };
    let shown: String = username.chars().take(64).collect();
    let refuse = |result: &str, reason: &str| {
        tracing::warn!(user = ?shown, client = %client.addr, purpose, reason, "password check refused");
        state.metrics.password_check(purpose, result);
    };
    let throttled = |refusal: crate::throttle::Refusal| {
        refuse("throttled", &format!("throttled ({} full)", refusal.scope.as_str()));
        let secs = refusal.wait.as_secs_f64().ceil().max(1.0) as u64;
        let whom = match refusal.scope {
            Scope::UserAndAddress => "for this user from your address",
            Scope::Address => "from your address",
        };
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed attempts {whom}; try again in {secs} s"),
        );
        err.retry_after = Some(secs);
        err
    };
    // counted as a failure from here on; an attempt whose password is never judged (an error below, a
    // full hashing queue) gets it back when the reservation is dropped
    let reservation = match state.throttle.reserve(key, client.addr, Instant::now()) {
        Ok(reservation) => reservation,
        Err(refusal) => return Err(throttled(refusal)),
    };
    let wrong = |reservation: crate::throttle::Reservation<'_>, result: &str, reason: &str| {
        reservation.failed();
        refuse(result, reason);
        ApiError::unauthorized("wrong username or password")
    };
    if too_long {
        return Err(wrong(reservation, "wrong-password", "the username or password is too long"));
    }
    if chaoscenter_crds::access::invalid_username(username).is_some() {
        // no user has such a name, and it would become part of a Kubernetes API URL
        return Err(wrong(reservation, "unknown-user", "not a username"));
    }
    let user = state.cluster.user_live(username).await.map_err(|e| ApiError::internal("read the user", e))?;
    // before the password: a change of it made from here on moves the generation past this one
    let gen = state.store.generation(username).await.map_err(|e| ApiError::internal("read the user", e))?;
    // read for unknown users too, so that they take as long as existing ones
    let record =
        state.cluster.password(username).await.map_err(|e| ApiError::internal("read the password", e))?;
    let matches = match state.passwords.verify(password, record.as_ref().map(|r| r.hash.as_str())).await {
        Ok(matches) => matches,
        Err(busy) => {
            refuse("busy", "the hashing queue is full");
            let mut err = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, busy.to_string());
            err.retry_after = Some(2);
            return Err(err);
        }
    };
    match (user, record, matches) {
        (Some(user), Some(_), true) if user.spec.disabled => {
            Err(wrong(reservation, "disabled", "the user is disabled"))
        }
        (Some(user), Some(record), true) => {
            reservation.succeeded();
            state.metrics.password_check(purpose, "success");
            Ok(Checked { user, must_change: record.must_change, gen })
        }
        (None, _, _) => Err(wrong(reservation, "unknown-user", "no such user")),
        (Some(_), None, _) => Err(wrong(reservation, "wrong-password", "the user has no password")),
        (Some(_), Some(_), false) => Err(wrong(reservation, "wrong-password", "wrong password")),
    }
}

/// `POST /auth/login`: username and password for an access token (JSON) and a session (the cookie).
pub async fn login(
    State(state): State<Arc<AppState>>,
    client: Client,
    Body(req): Body<LoginRequest>,
) -> Result<Response, ApiError> {
    if req.username.is_empty() || req.password.is_empty() {
        return Err(ApiError::bad_request("username and password are required"));
    }
    let checked = check_password(&state, &client, "login", &req.username, &req.password).await?;
    tracing::info!(user = %req.username, client = %client.addr, "signed in");
    start_session(&state, &client, &checked.user, checked.must_change, checked.gen).await
}

/// `POST /auth/session/refresh`: the session cookie (its refresh token is used up) for a new access
/// token and refresh token; needs the CSRF header. A refresh token presented a second time ends its
/// session: someone has a copy.
pub async fn refresh(State(state): State<Arc<AppState>>, client: Client, headers: HeaderMap) -> Response {
    match refresh_session(&state, &client, &headers).await {
        Ok(response) => response,
        Err(err) if err.status == StatusCode::UNAUTHORIZED => {
            let clear = cookie::clear(client.cookie_secure(state.config.cookie_secure));
            ([(header::SET_COOKIE, clear)], err).into_response()
        }
        Err(err) => err.into_response(),
    }
}

async fn refresh_session(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    cookie::check_csrf(headers)?;
    let token = cookie::read(headers).ok_or_else(|| ApiError::unauthorized("no session cookie; sign in"))?;
    let invalid = || ApiError::unauthorized("the session has ended; sign in again");
    let new_token = new_refresh_token();
    let db = |e| ApiError::internal("refresh the session", e);
    let rotation = state
        .store
        .rotate(&refresh_hash(&token), &refresh_hash(&new_token), state.config.refresh_ttl)
        .await
        .map_err(db)?;
    let session = match rotation {
        Rotation::Rotated(session) => session,
        Rotation::Reused { sid, user } => {
            tracing::warn!(user = ?user, session = %sid, client = %client.addr, "a refresh token was presented again after its exchange: its session is ended");
            state.metrics.refresh_token_reuses.inc();
            return Err(ApiError::unauthorized(
                "this refresh token had already been used, so its session has been ended; sign in again",
            ));
        }
        Rotation::Unknown => return Err(invalid()),
    };
    let user =
        state.cluster.user_live(&session.user).await.map_err(|e| ApiError::internal("read the user", e))?;
    let Some(user) =
        user.filter(|u| !u.spec.disabled && u.metadata.uid.as_deref() == Some(session.uid.as_str()))
    else {
        state.store.end_session(&session.sid).await.map_err(db)?;
        return Err(invalid());
    };
    // a password change, reset or disable since the session started ends it, even where ending the
    // user's sessions failed or raced with this session's start
    if state.store.generation(&session.user).await.map_err(db)? != session.gen {
        state.store.end_session(&session.sid).await.map_err(db)?;
        return Err(invalid());
    }
    let record = state
        .cluster
        .password(&session.user)
        .await
        .map_err(|e| ApiError::internal("read the password", e))?;
    let must_change = record.is_some_and(|r| r.must_change);
    signed_in(state, client, &user, &session, &new_token, must_change).await
}

/// `POST /auth/session/logout`: ends the session, and with it every token of it (access tokens and the
/// refresh token). The session is the bearer token's, or else the cookie's (with the CSRF header), so a
/// browser whose access token has expired can still sign out. The cookie is cleared.
pub async fn logout(State(state): State<Arc<AppState>>, client: Client, headers: HeaderMap) -> Response {
    let clear = cookie::clear(client.cookie_secure(state.config.cookie_secure));
    match end_session(&state, &headers).await {
        Ok(()) => ([(header::SET_COOKIE, clear)], StatusCode::NO_CONTENT).into_response(),
        Err(err) if err.status == StatusCode::UNAUTHORIZED => {
            ([(header::SET_COOKIE, clear)], err).into_response()
        }
        Err(err) => err.into_response(),
    }
}

async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let db = |e| ApiError::internal("end the session", e);
    let mut refused = None;
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        match Caller::from_authorization(state, value.to_str().unwrap_or_default()).await {
            Ok(caller) if caller.claims.kind == TokenKind::Api => {
                return Err(ApiError::bad_request(
                    "an API token is revoked with DELETE /auth/tokens/{id}, not by logout",
                ));
            }
            Ok(caller) => {
                if let Some(sid) = &caller.claims.sid {
                    state.store.end_session(sid).await.map_err(db)?;
                }
                tracing::info!(user = %caller.name(), "signed out");
                return Ok(());
            }
            Err(err) => refused = Some(err),
        }
    }
    match cookie::read(headers) {
        Some(token) => {
            cookie::check_csrf(headers)?;
            if let Some(sid) = state.store.session_of_refresh(&refresh_hash(&token)).await.map_err(db)? {
                state.store.end_session(&sid).await.map_err(db)?;
            }
            // an unknown or spent token: that session has ended already
            Ok(())
        }
        None => Err(refused.unwrap_or_else(|| {
            ApiError::unauthorized("sign in first: no Authorization header and no session cookie")
        })),
    }
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
    caller: SignedIn,
    Body(req): Body<DetailsRequest>,
) -> Result<Json<UserView>, ApiError> {
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
    let updated = Api::<ChaosUser>::all(state.cluster.client())
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

/// `POST /auth/password`: the caller changes their own password; every session and API token ends, and
/// a new session starts (as a login's).
pub async fn change_password(
    State(state): State<Arc<AppState>>,
    client: Client,
    caller: Caller,
    Body(req): Body<PasswordRequest>,
) -> Result<Response, ApiError> {
    let name = caller.name().to_string();
    passwords::check_policy(&name, &req.new_password)
        .map_err(|m| ApiError::bad_request(format!("newPassword: {m}")))?;
    if req.new_password == req.current_password {
        return Err(ApiError::bad_request("newPassword: must differ from the current password"));
    }
    let checked = check_password(&state, &client, "password-change", &name, &req.current_password)
        .await
        .map_err(|e| {
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
        .set_password(&checked.user, &hash, false)
        .await
        .map_err(|e| ApiError::internal("store the password", e))?;
    let gen =
        state.store.invalidate_user(&name).await.map_err(|e| ApiError::internal("end the sessions", e))?;
    state.cluster.forget_initial_password(&name).await;
    tracing::info!(user = %name, "password changed");
    start_session(&state, &client, &checked.user, false, gen).await
}
