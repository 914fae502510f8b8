//! The API's one error type: a status code and a message safe to show; REST answers it as
//! `{"error": "..."}`, GraphQL as an error with `extensions.code` ([`ApiError::code`]).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answered to the client. Internal details are logged, never sent.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), retry_after: None }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
    /// A failure of ours or of a dependency: logged in full, answered without details.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "{context}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error while trying to {context}"))
    }
    /// A Kubernetes API error from a request made for a user: denials and conflicts are the user's to see.
    pub fn from_kube(context: &str, err: kube::Error) -> Self {
        match err {
            kube::Error::Api(status) => match status.code {
                403 => Self::forbidden(format!("forbidden: {}", status.message)),
                404 => Self::not_found(status.message),
                409 => Self::conflict(status.message),
                400 | 422 => Self::new(StatusCode::UNPROCESSABLE_ENTITY, status.message),
                _ => Self::internal(context, status.message),
            },
            other => Self::internal(context, other),
        }
    }
}

impl ApiError {
    /// The machine-readable code GraphQL errors carry (`extensions.code`) for this status.
    pub fn code(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => "BAD_INPUT",
            StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
            StatusCode::FORBIDDEN => "FORBIDDEN",
            StatusCode::NOT_FOUND => "NOT_FOUND",
            StatusCode::CONFLICT => "CONFLICT",
            StatusCode::UNPROCESSABLE_ENTITY => "INVALID",
            StatusCode::TOO_MANY_REQUESTS => "TOO_MANY_REQUESTS",
            StatusCode::SERVICE_UNAVAILABLE => "UNAVAILABLE",
            StatusCode::GATEWAY_TIMEOUT => "TIMEOUT",
            s if s.is_client_error() => "BAD_INPUT",
            _ => "INTERNAL",
        }
    }

    /// The same error as a GraphQL error: the message, and the code in `extensions.code`. (Not a `From`:
    /// async-graphql converts anything `Display`, which would show the status and drop the code.)
    pub fn into_graphql(self) -> async_graphql::Error {
        use async_graphql::ErrorExtensions;
        let code = self.code();
        async_graphql::Error::new(self.message).extend_with(|_, ext| ext.set("code", code))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, axum::Json(serde_json::json!({ "error": self.message }))).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
