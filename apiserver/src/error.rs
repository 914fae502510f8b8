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

/// Answers a refusal that did not come from [`ApiError`] — axum's own: a method the route does not take,
/// a path parameter that is not UTF-8, a body past the limit — as every other refusal of the API,
/// `{"error": "<message>"}` (the text axum gave, or the status's reason, with the methods the route
/// takes for a 405). Answers that are already JSON, and successes, pass unchanged.
pub async fn as_api_error(response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let mut message =
        if text.is_empty() { status.canonical_reason().unwrap_or("refused").to_lowercase() } else { text };
    if let Some(allowed) = parts.headers.get(header::ALLOW).and_then(|v| v.to_str().ok()) {
        message = format!("{message}: this endpoint takes {allowed}");
    }
    let mut answer = ApiError::new(status, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    async fn body(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn axums_own_refusals_answer_like_every_other() {
        let empty_405 = (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response();
        let answer = as_api_error(empty_405).await;
        assert_eq!(answer.status(), 405);
        assert_eq!(answer.headers()[header::ALLOW], "POST", "the other headers stay");
        assert_eq!(body(answer).await["error"], "method not allowed: this endpoint takes POST");
        let text_400 = (StatusCode::BAD_REQUEST, "Invalid URL: Invalid UTF-8 in `name`").into_response();
        assert_eq!(body(as_api_error(text_400).await).await["error"], "Invalid URL: Invalid UTF-8 in `name`");
        let ours = ApiError::conflict("taken").into_response();
        assert_eq!(body(as_api_error(ours).await).await["error"], "taken");
        let ok = (StatusCode::OK, "fine").into_response();
        let bytes = axum::body::to_bytes(as_api_error(ok).await.into_body(), 64).await.unwrap();
        assert_eq!(&bytes[..], b"fine");
    }
}
