//! API tokens: a user creates long-lived tokens (for CI or scripts) with an expiry, giving their current
//! password, and lists and revokes their own. A token is valid only while its record exists and it
//! matches the user's uid and token generation: a password change or reset, disabling the user, or the
//! user's deletion ends it.

use super::account::check_password;
use super::{Body, Caller, SignedIn};
use crate::app::AppState;
use crate::client::Client;
use crate::error::ApiError;
use crate::store::ApiToken;
use crate::tokens::{random_id, unix_now, Claims, TokenKind};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use mongodb::bson::DateTime;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The longest an API token may live.
pub const MAX_DAYS: u32 = 365;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    name: String,
    /// 1–365.
    days_until_expiry: u32,
    /// The caller's password: a stolen access token alone cannot mint a long-lived token.
    current_password: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    id: String,
    name: String,
    created_at: String,
    expires_at: String,
}

impl From<&ApiToken> for TokenInfo {
    fn from(t: &ApiToken) -> Self {
        let iso = |d: DateTime| d.try_to_rfc3339_string().unwrap_or_default();
        Self {
            id: t.id.clone(),
            name: t.name.clone(),
            created_at: iso(t.created_at),
            expires_at: iso(t.expires_at),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    #[serde(flatten)]
    info: TokenInfo,
    /// Shown once.
    token: String,
}

/// `POST /auth/tokens`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    client: Client,
    caller: SignedIn,
    Body(req): Body<CreateRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    if caller.claims.kind == TokenKind::Api {
        return Err(ApiError::forbidden("API tokens cannot create API tokens; sign in"));
    }
    let password = req.current_password.as_deref().unwrap_or_default();
    if password.is_empty() {
        return Err(ApiError::bad_request("currentPassword: your password is needed to create an API token"));
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::bad_request("name: 1 to 64 characters"));
    }
    if !(1..=MAX_DAYS).contains(&req.days_until_expiry) {
        return Err(ApiError::bad_request(format!("daysUntilExpiry: 1 to {MAX_DAYS}")));
    }
    let checked =
        check_password(&state, &client, "api-token", caller.name(), password).await.map_err(|e| {
            if e.status == StatusCode::UNAUTHORIZED {
                ApiError::forbidden("currentPassword: the password is wrong")
            } else {
                e
            }
        })?;
    // the generation read before the password: a password change made meanwhile ends this token too
    let gen = checked.gen;
    let now = unix_now();
    let exp = now + u64::from(req.days_until_expiry) * 86_400;
    let id = random_id();
    let record = ApiToken {
        id: id.clone(),
        user: caller.name().into(),
        uid: caller.uid().into(),
        name: name.into(),
        created_at: DateTime::from_millis(now as i64 * 1000),
        expires_at: DateTime::from_millis(exp as i64 * 1000),
    };
    state.store.add_api_token(&record).await.map_err(|e| ApiError::internal("store the token", e))?;
    let claims = Claims {
        sub: caller.name().into(),
        uid: caller.uid().into(),
        iss: state.keys.issuer().into(),
        aud: state.keys.audience().into(),
        exp,
        iat: now,
        jti: id,
        kind: TokenKind::Api,
        sid: None,
        gen,
        pwc: false,
    };
    Ok((
        StatusCode::CREATED,
        Json(Created { info: TokenInfo::from(&record), token: state.keys.sign(&claims) }),
    ))
}

/// `GET /auth/tokens`: the caller's unexpired tokens (without the token strings).
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let tokens = state
        .store
        .api_tokens(caller.name(), caller.uid())
        .await
        .map_err(|e| ApiError::internal("list tokens", e))?;
    Ok(Json(tokens.iter().map(TokenInfo::from).collect()))
}

/// `DELETE /auth/tokens/{id}`: revokes one of the caller's tokens (another user's id is not found).
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .store
        .delete_api_token(caller.name(), &id)
        .await
        .map_err(|e| ApiError::internal("revoke the token", e))?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("you have no API token {id}")))
    }
}
