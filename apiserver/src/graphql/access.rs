//! Who may see a project in GraphQL: its members, and admins. Every resolver that takes a project asks here.

use crate::app::AppState;
use crate::auth::Caller;
use async_graphql::{Context, Error, ErrorExtensions};
use chaoscenter_crds::access::project_namespace;
use kube::Client;
use std::sync::Arc;

/// What a resolver needs: the app, the caller, and the project they may see.
pub struct Scope {
    pub state: Arc<AppState>,
    pub caller_name: String,
    pub project: String,
    /// The project's namespace, where its workflows and runs live.
    pub namespace: String,
}

impl Scope {
    /// A client acting as the caller (writes go through RBAC).
    pub fn as_caller(&self) -> async_graphql::Result<Client> {
        self.state
            .cluster
            .as_user(&self.caller_name)
            .map_err(|_| Error::new("internal error while acting as you"))
    }
}

/// A GraphQL error with a machine-readable code.
pub fn error(code: &'static str, message: impl Into<String>) -> Error {
    Error::new(message.into()).extend_with(|_, e| e.set("code", code))
}

/// The app state every request carries.
pub fn state(ctx: &Context<'_>) -> async_graphql::Result<Arc<AppState>> {
    ctx.data::<Arc<AppState>>().cloned().map_err(|_| error("INTERNAL", "the request has no server state"))
}

/// The authenticated caller.
pub fn caller<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Caller> {
    ctx.data::<Caller>().map_err(|_| error("UNAUTHENTICATED", "sign in first"))
}

/// The scope of `project` for the caller, or a FORBIDDEN error (the same for a project that does not
/// exist, so non-members learn nothing).
pub fn scope(ctx: &Context<'_>, project: &str) -> async_graphql::Result<Scope> {
    let state = state(ctx)?;
    let caller = caller(ctx)?;
    let denied = || error("FORBIDDEN", format!("you are not a member of project {project:?}"));
    let found = state.cluster.project(project).ok_or_else(denied)?;
    let member = found.spec.members.iter().any(|m| m.user == caller.name());
    if !member && !caller.is_admin() {
        return Err(denied());
    }
    let namespace =
        found.status.as_ref().and_then(|s| s.namespace.clone()).unwrap_or_else(|| project_namespace(project));
    Ok(Scope { caller_name: caller.name().to_string(), project: project.to_string(), namespace, state })
}
