//! The GraphQL API at `POST /api/graphql`: queries answered from the MongoDB mirror and filtered by project
//! membership, mutations that write CRs impersonating the caller (so RBAC decides, as for kubectl), with
//! depth, complexity, size and time limits, and introspection and GraphiQL only when configured.

mod access;
mod history;
mod hubs;
mod mutation;
mod nesting;
mod query;
mod stats;
mod subscription;
mod types;

pub use history::{decode_cursor, encode_cursor, query as history_query, RunFilter};
pub use mutation::Mutation;
pub use query::Query;
pub use stats::{statistics, PhaseCount, Statistics};
pub use subscription::Subscription;
pub use types::Phase;

use crate::app::AppState;
use crate::auth::SignedIn;
use crate::error::ApiError;
use async_graphql::Schema;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// The schema type.
pub type ChaosSchema = Schema<Query, Mutation, Subscription>;

/// The deepest query accepted.
pub const MAX_DEPTH: usize = 8;
/// The most complex query accepted (each field costs 1; a list field costs its page size times its
/// children).
pub const MAX_COMPLEXITY: usize = 2_000;
/// The longest a request may run.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// The schema with its limits; introspection only if `introspection`. (Each request carries the app state
/// and the caller.)
pub fn schema(introspection: bool) -> ChaosSchema {
    let mut builder = Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(8);
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as checked in at `apiserver/schema.graphql` for the UI's code generation.
pub fn sdl() -> String {
    schema(true).sdl()
}

/// `POST /api/graphql`: one operation (no batches), signed in, within the size and time limits.
pub async fn handle(
    State(state): State<Arc<AppState>>,
    SignedIn(caller): SignedIn,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request = read_request(&headers, &body).await?.data(caller).data(state.clone());
    let schema = state.schema.clone();
    match tokio::time::timeout(TIMEOUT, schema.execute(request)).await {
        Ok(response) => Ok(async_graphql_axum::GraphQLResponse::from(response).into_response()),
        Err(_) => Err(ApiError::new(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            format!("the request took longer than {} s", TIMEOUT.as_secs()),
        )),
    }
}

/// The GraphQL request in `body`, or a 400 saying why it is not one. The body comes from axum's `Bytes`,
/// which keeps to the route's `DefaultBodyLimit` (async-graphql-axum's own extractor reads a body of any
/// size whole).
async fn read_request(
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<async_graphql::Request, ApiError> {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    async_graphql::http::receive_body(content_type, body, async_graphql::http::MultipartOptions::default())
        .await
        .map_err(|e| ApiError::bad_request(format!("not a GraphQL request: {e}")))
}

/// `GET /api/graphql/ws`: subscriptions over WebSocket; connection_init's `authorization` signs in, and
/// the socket is closed when that access ends (see `subscription::serve`).
pub async fn ws(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    upgrade: axum::extract::WebSocketUpgrade,
) -> Response {
    use std::str::FromStr;
    let protocol = headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|asked| {
            asked.split(',').find_map(|p| async_graphql::http::WebSocketProtocols::from_str(p.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return ApiError::bad_request("Sec-WebSocket-Protocol: ask for graphql-transport-ws (or graphql-ws)")
            .into_response();
    };
    upgrade
        // a subscription document is small: the same limit as a request body over HTTP
        .max_message_size(256 * 1024)
        .max_frame_size(256 * 1024)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| subscription::serve(state, socket, protocol))
}

/// `GET /api/graphiql`: the GraphiQL page (routed only when introspection is enabled, for development). It
/// is inline HTML that loads GraphiQL's scripts and styles from a CDN over https, so it gets its own CSP
/// instead of the app's; it still may not be framed.
pub async fn graphiql() -> impl IntoResponse {
    const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' https:; \
         style-src 'self' 'unsafe-inline' https:; img-src 'self' data: https:; font-src 'self' https:; \
         connect-src 'self'; frame-ancestors 'none'";
    (
        [(axum::http::header::CONTENT_SECURITY_POLICY, CSP)],
        Html(async_graphql::http::GraphiQLSource::build().endpoint("/api/graphql").finish()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_that_is_not_one_graphql_request_is_a_400_saying_why() {
        let json = axum::http::HeaderMap::from_iter([(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )]);
        let request = read_request(&json, br#"{"query": "{ projects { name } }"}"#).await.unwrap();
        assert_eq!(request.query, "{ projects { name } }");
        for (body, why) in [
            (&br#"{"query": 123}"#[..], "Invalid request"),
            (b"not json", "Invalid request"),
            (br#"[{"query": "{ a }"}, {"query": "{ b }"}]"#, "Batch requests are not supported"),
        ] {
            let err = read_request(&json, body).await.unwrap_err();
            assert_eq!(err.status, 400);
            assert!(
                err.message.starts_with("not a GraphQL request: ") && err.message.contains(why),
                "{}",
                err.message
            );
        }
    }
}
