//! The HTTP application: shared state and the router (`/healthz`, `/auth/...`).

use crate::cluster::ClusterApi;
use crate::config::Config;
use crate::history_store::HistoryStore;
use crate::passwords::Passwords;
use crate::store::TokenStore;
use crate::throttle::LoginThrottle;
use crate::tokens::TokenKeys;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// What every handler gets. The cluster and the stores are trait objects, so the router runs over the
/// real ones in the server and over in-memory fakes in its tests (`app_tests`). (Not generics: the state
/// travels into GraphQL resolvers and the WebSocket guard as `Arc<AppState>`, and a type parameter would
/// have to follow it into every handler, extractor and resolver; a virtual call is nothing next to the
/// network round trip behind each.)
pub struct AppState {
    pub config: Config,
    pub cluster: Arc<dyn ClusterApi>,
    pub store: Arc<dyn TokenStore>,
    /// Run history and the audit log, as GraphQL reads them and the API records changes.
    pub history: Arc<dyn HistoryStore>,
    pub keys: TokenKeys,
    pub throttle: LoginThrottle,
    pub passwords: Passwords,
    /// What `/metrics` shows (served apart, at `METRICS_ADDR`).
    pub metrics: crate::metrics::Metrics,
    /// What the mirror writes, as it writes it (for subscriptions).
    pub mirror_events: tokio::sync::broadcast::Sender<crate::mirror::MirrorEvent>,
    /// The GraphQL schema.
    pub schema: crate::graphql::ChaosSchema,
}

/// The whole application: every route, over `state`. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` (sign-in throttling needs the peer's address).
pub fn app(state: Arc<AppState>) -> Router {
    let graphiql = if state.config.graphql_introspection {
        Router::new().route("/api/graphiql", get(crate::graphql::graphiql))
    } else {
        Router::new()
    };
    let router = graphiql
        .route("/healthz", get(|| async { "ok" }))
        .nest("/auth", crate::auth::routes())
        .route(
            "/api/graphql/ws",
            get(crate::graphql::ws).layer(axum::middleware::map_response(crate::error::as_api_error)),
        )
        .route(
            "/api/graphql",
            axum::routing::post(crate::graphql::handle)
                .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
                .layer(axum::middleware::map_response(crate::error::as_api_error)),
        )
        .fallback_service(ui(&state.config.ui_dir))
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::track));
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
/// `/assets` by its content's hash, so those are cached for good; `index.html` is made afresh for each
/// answer (its CSP nonce, see [`index_page`]) and never stored, so a new version of the UI is picked up at
/// the next load; other files are revalidated.
fn ui(dir: &std::path::Path) -> Router {
    use axum::handler::HandlerWithoutStateExt;
    use axum::http::{header::CACHE_CONTROL, HeaderValue, Response};
    use tower_http::services::ServeDir;
    use tower_http::set_header::SetResponseHeaderLayer;
    let not_found = || async { crate::error::ApiError::not_found("no such API endpoint") };
    let immutable = SetResponseHeaderLayer::overriding(CACHE_CONTROL, |res: &Response<_>| {
        res.status().is_success().then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
    });
    let revalidate =
        SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let assets = Router::new().nest_service("/assets", ServeDir::new(dir.join("assets"))).layer(immutable);
    let index = Arc::new(dir.join("index.html"));
    let page = move || {
        let index = index.clone();
        async move { index_page(&index).await }
    };
    let pages = Router::new()
        .route("/", get(page.clone()))
        .route("/index.html", get(page.clone()))
        .fallback_service(
            ServeDir::new(dir).append_index_html_on_directories(false).fallback(page.into_service()),
        )
        .layer(revalidate);
    Router::new()
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/auth/{*rest}", axum::routing::any(not_found))
        // (a wildcard matches no empty rest)
        .route("/api/", axum::routing::any(not_found))
        .route("/auth/", axum::routing::any(not_found))
        .merge(assets)
        .merge(pages)
}

/// The placeholder in `ui/index.html` that each answer replaces with its nonce.
const NONCE_PLACEHOLDER: &str = "__CSP_NONCE__";

/// `index.html` with a fresh nonce, and the CSP allowing `<style>` elements only with that nonce: CodeMirror
/// (the YAML editor) adds its styles that way and reads the nonce from the page. The nonce is random per
/// answer, so the answer is never stored (`no-store`): a cached page with an old nonce would lose its
/// editor styles.
async fn index_page(path: &std::path::Path) -> axum::response::Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY as CSP, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let Ok(html) = tokio::fs::read_to_string(path).await else {
        return crate::error::ApiError::not_found("the web UI is not built (e2e/ui.sh build)")
            .into_response();
    };
    let nonce = crate::tokens::random_id();
    let csp =
        CONTENT_SECURITY_POLICY.replace("style-src 'self'", &format!("style-src 'self' 'nonce-{nonce}'"));
    let headers = [
        (CSP, csp),
        (CACHE_CONTROL, "no-store".to_string()),
        (CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
    ];
    (headers, html.replace(NONCE_PLACEHOLDER, &nonce)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_index_page_has_its_own_nonce_in_the_page_and_in_its_csp() {
        let dir = std::env::temp_dir().join(format!("cc-ui-{}", crate::tokens::random_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("index.html");
        std::fs::write(&path, format!("<meta name=\"csp-nonce\" content=\"{NONCE_PLACEHOLDER}\">")).unwrap();
        let mut seen = Vec::new();
        for _ in 0..2 {
            let answer = index_page(&path).await;
            let csp = answer.headers()["content-security-policy"].to_str().unwrap().to_string();
            assert_eq!(answer.headers()["cache-control"], "no-store");
            let body = axum::body::to_bytes(answer.into_body(), 1 << 20).await.unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            let nonce = body.split("content=\"").nth(1).unwrap().trim_end_matches("\">").to_string();
            assert!(!nonce.contains(NONCE_PLACEHOLDER) && nonce.len() >= 22, "{body}");
            assert!(csp.contains(&format!("style-src 'self' 'nonce-{nonce}';")), "{csp}");
            assert!(csp.contains("script-src 'self';"), "scripts never get the nonce: {csp}");
            seen.push(nonce);
        }
        assert_ne!(seen[0], seen[1]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
