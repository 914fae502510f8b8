//! The auth API under `/auth`: sessions, own account, users (admin), API tokens and project membership.
//! Who may do what is decided from the authenticated caller: changes to CRs are made impersonating the
//! caller, so Kubernetes RBAC decides, exactly as for kubectl and GitOps.

mod account;
mod api_tokens;
mod caller;
pub mod cookie;
mod members;
mod users;
mod watch;

#[cfg(test)]
pub(crate) use account::refresh_hash;
pub use caller::{Body, Caller, SignedIn};
pub use watch::end_tokens_of_disabled_users;

use crate::app::AppState;
use axum::routing::{delete, get, post, put};
use axum::Router;
use std::sync::Arc;

/// Records a change the caller made through the auth API.
async fn audit(state: &AppState, actor: &str, action: &str, kind: &str, name: &str, project: Option<&str>) {
    let mut entry = crate::audit::Entry::now(actor, crate::audit::Source::Api, action, kind, name);
    entry.project = project.map(String::from);
    state.history.record_audit(entry).await;
}

/// The `/auth` routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", post(account::login))
        .route("/session/refresh", post(account::refresh))
        .route("/session/logout", post(account::logout))
        .route("/me", get(account::me).patch(account::update_me))
        .route("/password", post(account::change_password))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{name}/password", post(users::reset_password))
        .route("/users/{name}/disable", post(users::disable))
        .route("/users/{name}/enable", post(users::enable))
        .route("/tokens", get(api_tokens::list).post(api_tokens::create))
        .route("/tokens/{id}", delete(api_tokens::revoke))
        .route("/projects", get(members::my_projects).post(members::create_project))
        .route("/projects/{project}/members", post(members::add))
        .route("/projects/{project}/members/{user}", put(members::change_role).delete(members::remove))
        .route("/projects/{project}/leave", post(members::leave))
        .layer(axum::middleware::map_response(crate::error::as_api_error))
}
