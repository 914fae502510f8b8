//! Who may see a project in GraphQL: its members, and admins; and whose history a query reads (the
//! project's uid; an admin may name a deleted project's). Every resolver that takes a project asks here.

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
    /// The project's uid: its history is the history of this uid, not of its name.
    pub project_uid: String,
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

/// The authenticated caller of an HTTP request. (A WebSocket carries no caller: its subscriptions sign in
/// afresh as they start, and queries and mutations are not served over it.)
pub fn caller<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Caller> {
    ctx.data::<Caller>().map_err(|_| {
        if ctx.data_opt::<Arc<super::subscription::Guard>>().is_some() {
            error(
                "BAD_REQUEST",
                "the WebSocket serves subscriptions only: send queries and mutations to POST /api/graphql",
            )
        } else {
            error("UNAUTHENTICATED", "sign in first")
        }
    })
}

/// The scope of `project` for the caller, or a FORBIDDEN error (the same for a project that does not
/// exist, so non-members learn nothing).
pub fn scope(ctx: &Context<'_>, project: &str) -> async_graphql::Result<Scope> {
    scope_of(state(ctx)?, caller(ctx)?, project)
}

/// The scope of `project` for `caller` (also how an open subscription is checked again).
pub fn scope_of(state: Arc<AppState>, caller: &Caller, project: &str) -> async_graphql::Result<Scope> {
    let denied = || error("FORBIDDEN", format!("you are not a member of project {project:?}"));
    let found = state.cluster.project(project).ok_or_else(denied)?;
    let member = found.spec.members.iter().any(|m| m.user == caller.name());
    if !member && !caller.is_admin() {
        return Err(denied());
    }
    let project_uid = found.metadata.uid.clone().ok_or_else(denied)?;
    let namespace =
        found.status.as_ref().and_then(|s| s.namespace.clone()).unwrap_or_else(|| project_namespace(project));
    Ok(Scope {
        caller_name: caller.name().to_string(),
        project: project.to_string(),
        project_uid,
        namespace,
        state,
    })
}

/// Whose history a query reads: the uid of `project` as it is now (its members and admins), or — for an
/// admin naming `uid` — a project of that name deleted since, as `deletedProjects` lists them.
pub async fn history_of(
    ctx: &Context<'_>,
    project: &str,
    uid: Option<&str>,
) -> async_graphql::Result<(Arc<AppState>, String)> {
    let current = scope(ctx, project);
    let Some(uid) = uid else { return current.map(|s| (s.state, s.project_uid)) };
    match current {
        Ok(s) if s.project_uid == uid => return Ok((s.state, s.project_uid)),
        _ if !caller(ctx)?.is_admin() => {
            return Err(error("FORBIDDEN", "only admins may read the history of a deleted project"))
        }
        _ => {}
    }
    let state = state(ctx)?;
    let recorded = state
        .history
        .project_recorded(project, uid)
        .await
        .map_err(|_| error("UNAVAILABLE", "the history database is not answering"))?;
    if !recorded {
        return Err(error("NOT_FOUND", format!("no project {project:?} with uid {uid:?} was ever recorded")));
    }
    Ok((state, uid.to_string()))
}
