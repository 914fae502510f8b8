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
}

/// The whole router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/auth", crate::auth::routes())
        .with_state(state)
}
