//! The HTTP application: shared state and the router (`/healthz`, `/auth/...`).

use crate::cluster::Cluster;
use crate::config::Config;
use crate::passwords::Passwords;
use crate::store::AuthStore;
use crate::throttle::LoginThrottle;
use crate::tokens::TokenKeys;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// What every handler gets.
pub struct AppState {
    pub config: Config,
    pub cluster: Arc<Cluster>,
    pub store: AuthStore,
    pub keys: TokenKeys,
    pub throttle: LoginThrottle,
    pub passwords: Passwords,
    /// The database: the mirror, run history, sessions.
    pub db: mongodb::Database,
    /// What the mirror writes, as it writes it (for subscriptions).
    pub mirror_events: tokio::sync::broadcast::Sender<crate::mirror::MirrorEvent>,
    /// The GraphQL schema.
    pub schema: crate::graphql::ChaosSchema,
}

/// The whole router.
pub fn router(state: Arc<AppState>) -> Router {
    let graphiql = if state.config.graphql_introspection {
        Router::new().route("/api/graphiql", get(crate::graphql::graphiql))
    } else {
        Router::new()
    };
    graphiql
        .route("/healthz", get(|| async { "ok" }))
        .nest("/auth", crate::auth::routes())
        .route("/api/graphql/ws", get(crate::graphql::ws))
        .route(
            "/api/graphql",
            axum::routing::post(crate::graphql::handle)
                .layer(axum::extract::DefaultBodyLimit::max(256 * 1024)),
        )
        .fallback_service(ui(&state.config.ui_dir))
        .with_state(state)
}

/// The web UI's files; any other path that is not an API gets `index.html` (the UI routes in the browser).
/// Unknown `/api` and `/auth` paths stay 404s.
fn ui(dir: &std::path::Path) -> Router {
    use tower_http::services::{ServeDir, ServeFile};
    let not_found = || async { crate::error::ApiError::not_found("no such API endpoint") };
    Router::new()
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/auth/{*rest}", axum::routing::any(not_found))
        .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))))
}
