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
    let router = graphiql
        .route("/healthz", get(|| async { "ok" }))
        .nest("/auth", crate::auth::routes())
        .route("/api/graphql/ws", get(crate::graphql::ws))
        .route(
            "/api/graphql",
            axum::routing::post(crate::graphql::handle)
                .layer(axum::extract::DefaultBodyLimit::max(256 * 1024)),
        )
        .fallback_service(ui(&state.config.ui_dir));
    with_security_headers(router).with_state(state)
}

/// The Content-Security-Policy of every answer: scripts, styles, fonts and connections only from the
/// app's own origin (Vite bundles everything into files under `/assets`; nothing inline), images also as
/// `data:` URLs, no plugins, no `<base>` and no framing by any page (clickjacking).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Security headers on every answer, UI and API alike: the CSP above, `nosniff` (a JSON answer is never
/// run as a script), no Referer sent to other sites (run and project names stay inside), and
/// `X-Frame-Options` for browsers without `frame-ancestors`. A handler that sets its own CSP keeps it
/// (GraphiQL, a development page served only with introspection on).
fn with_security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    use axum::http::header::{
        CONTENT_SECURITY_POLICY as CSP, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    use axum::http::HeaderValue;
    use tower_http::set_header::SetResponseHeaderLayer;
    let set = |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    router
        .layer(set(CSP, CONTENT_SECURITY_POLICY))
        .layer(set(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(REFERRER_POLICY, "no-referrer"))
        .layer(set(X_FRAME_OPTIONS, "DENY"))
}

/// The web UI's files; any other path that is not an API gets `index.html` (the UI routes in the browser).
/// Unknown `/api` and `/auth` paths stay 404s, and so do unknown assets. Vite names every file under
/// `/assets` by its content's hash, so those are cached for good; everything else (`index.html`) is
/// revalidated, so a new version of the UI is picked up at the next load.
fn ui(dir: &std::path::Path) -> Router {
    use axum::http::{header::CACHE_CONTROL, HeaderValue, Response};
    use tower_http::services::{ServeDir, ServeFile};
    use tower_http::set_header::SetResponseHeaderLayer;
    let not_found = || async { crate::error::ApiError::not_found("no such API endpoint") };
    let immutable = SetResponseHeaderLayer::overriding(CACHE_CONTROL, |res: &Response<_>| {
        res.status().is_success().then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
    });
    let revalidate = SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let assets = Router::new().nest_service("/assets", ServeDir::new(dir.join("assets"))).layer(immutable);
    let pages = Router::new()
        .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))))
        .layer(revalidate);
    Router::new()
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/auth/{*rest}", axum::routing::any(not_found))
        .merge(assets)
        .merge(pages)
}
