//! Extractors: the authenticated caller (from a bearer token, checked for its session or record, the
//! user's uid and token generation, and a disabled user), the caller who may act (signed in and not
//! bound to change their password first), and JSON bodies whose errors are clear 4xx answers.

use crate::app::AppState;
use crate::error::ApiError;
use crate::tokens::{Claims, TokenKind};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use chaoscenter_crds::user::GlobalRole;
use chaoscenter_crds::ChaosUser;
use std::sync::Arc;

/// The authenticated caller of a request.
pub struct Caller {
    pub user: Arc<ChaosUser>,
    pub claims: Claims,
}

impl Caller {
    pub fn name(&self) -> &str {
        &self.claims.sub
    }

    pub fn is_admin(&self) -> bool {
        self.user.spec.role == GlobalRole::Admin
    }

    /// Refuses callers who must change their password first (what [`SignedIn`] checks).
    pub fn require_password_changed(&self) -> Result<(), ApiError> {
        if self.claims.pwc {
            return Err(ApiError::forbidden("change your password first (POST /auth/password)"));
        }
        Ok(())
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("sign in first: no Authorization header"))?;
        Self::from_authorization(state, header.to_str().unwrap_or_default()).await
    }
}

impl Caller {
    /// The caller behind an `Authorization` value (`Bearer <token>`), e.g. a WebSocket's connection_init.
    /// The one place a token is validated, on every request (and again by whatever holds a connection
    /// open): the signature and claims; the user exists with the uid the token was issued to and is
    /// enabled; the token generation has not moved on; an access token's session is alive, an API
    /// token's record exists.
    pub async fn from_authorization(state: &AppState, value: &str) -> Result<Self, ApiError> {
        let token = value
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))?;
        let claims = state.keys.verify(token.trim()).map_err(|e| ApiError::unauthorized(e.to_string()))?;
        let db = |e| ApiError::internal("check the token", e);
        let read = |e| ApiError::internal("read the user", e);
        let gone = || ApiError::unauthorized("the user no longer exists");
        let mut user = state.cluster.user(&claims.sub).await.map_err(read)?.ok_or_else(gone)?;
        if user.metadata.uid.as_deref() != Some(claims.uid.as_str()) {
            // the cache may not have seen a user created again under this name yet
            user = state.cluster.user_live(&claims.sub).await.map_err(read)?.ok_or_else(gone)?;
            if user.metadata.uid.as_deref() != Some(claims.uid.as_str()) {
                return Err(ApiError::unauthorized(
                    "the token was issued to an earlier user of this name; sign in again",
                ));
            }
        }
        if user.spec.disabled {
            return Err(ApiError::unauthorized("the user is disabled"));
        }
        match claims.kind {
            TokenKind::Access => {
                let sid = claims
                    .sid
                    .as_deref()
                    .ok_or_else(|| ApiError::unauthorized("the token has no session"))?;
                match state.store.session(sid).await.map_err(db)? {
                    Some(session) if session.user == claims.sub && session.uid == claims.uid => {}
                    _ => return Err(ApiError::unauthorized("the session has ended; sign in again")),
                }
            }
            TokenKind::Api => match state.store.api_token(&claims.jti).await.map_err(db)? {
                Some(record) if record.user == claims.sub && record.uid == claims.uid => {}
                _ => return Err(ApiError::unauthorized("the API token has been revoked or has expired")),
            },
        }
        if state.store.generation(&claims.sub).await.map_err(db)? != claims.gen {
            return Err(ApiError::unauthorized(
                "the token is no longer valid (the password changed or the user was disabled); sign in again",
            ));
        }
        Ok(Self { user, claims })
    }

    /// The ChaosUser's uid.
    pub fn uid(&self) -> &str {
        &self.claims.uid
    }
}

/// A caller who may act: signed in, and not waiting to change the password (a 403 naming
/// `POST /auth/password` otherwise). Every handler that changes or reads more than the caller's own
/// account takes this instead of [`Caller`].
pub struct SignedIn(pub Caller);

impl TryFrom<Caller> for SignedIn {
    type Error = ApiError;

    fn try_from(caller: Caller) -> Result<Self, ApiError> {
        caller.require_password_changed()?;
        Ok(Self(caller))
    }
}

impl std::ops::Deref for SignedIn {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        Caller::from_request_parts(parts, state).await?.try_into()
    }
}

/// A JSON request body; a malformed one is a 400 (bad JSON) or 422 (wrong fields) naming the problem.
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => {
                let status = match rejection.status() {
                    StatusCode::UNPROCESSABLE_ENTITY => StatusCode::UNPROCESSABLE_ENTITY,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                Err(ApiError::new(status, rejection.body_text()))
            }
        }
    }
}
