//! The query root: the caller, their projects, workflows, run history and single runs, hubs and their
//! catalogues.

use super::access::{caller, error, history_of, scope, state};
use super::history::{runs_page, RunFilter};
use super::stats::Statistics;
use super::types::{
    object, EventView, MemberView, Phase, ProjectView, RunConnection, RunDetail, RunLogView, RunSummary,
    Trigger, WorkflowView,
};
use super::types::{AuditView, DeletedProjectView, FieldErrorView};
use crate::mirror::stored_int;
use async_graphql::{Context, Object, Result};
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, ListParams};
use kube::ResourceExt;

/// The query root.
pub struct Query;

fn project_view(p: &chaoscenter_crds::Project, me: &str) -> ProjectView {
    ProjectView {
        name: p.name_any(),
        display_name: p.spec.display_name.clone(),
        description: p.spec.description.clone(),
        namespace: p
            .status
            .as_ref()
            .and_then(|s| s.namespace.clone())
            .unwrap_or_else(|| chaoscenter_crds::access::project_namespace(&p.name_any())),
        my_role: p.spec.members.iter().find(|m| m.user == me).map(|m| m.role.into()),
        members: p
            .spec
            .members
            .iter()
            .map(|m| MemberView { user: m.user.clone(), role: m.role.into() })
            .collect(),
        target_namespaces: p.spec.target_namespaces.clone(),
    }
}

/// The history database did not answer (the cause is logged).
fn unavailable(err: anyhow::Error) -> async_graphql::Error {
    tracing::warn!(error = %err, "a history read failed");
    error("UNAVAILABLE", "the history database is not answering")
}

/// The recorded run `name` of `project` (or of the deleted project `project_uid`, for admins), with the
/// history it is in and the project's uid; NOT_FOUND if there is none.
async fn find_run(
    ctx: &Context<'_>,
    project: &str,
    name: &str,
    project_uid: Option<&str>,
) -> Result<(std::sync::Arc<crate::app::AppState>, String, mongodb::bson::Document)> {
    let (state, uid) = history_of(ctx, project, project_uid).await?;
    let found = state
        .history
        .run(&uid, name)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| error("NOT_FOUND", format!("no run {name:?} in project {project:?}")))?;
    Ok((state, uid, found))
}

/// An RFC 3339 time as Unix ms, or an error naming the argument.
fn millis(arg: &str, value: Option<String>) -> Result<Option<i64>> {
    value
        .map(|v| {
            v.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).map_err(|_| {
                error("BAD_INPUT", format!("{arg}: not an RFC 3339 time like 2026-11-25T10:00:00Z"))
            })
        })
        .transpose()
}

#[Object]
impl Query {
    /// The projects the caller may see: their memberships, or every project for an admin.
    async fn projects(&self, ctx: &Context<'_>) -> Result<Vec<ProjectView>> {
        let state = state(ctx)?;
        let me = caller(ctx)?;
        let mut list: Vec<ProjectView> = state
            .cluster
            .projects()
            .iter()
            .filter(|p| me.is_admin() || p.spec.members.iter().any(|m| m.user == me.name()))
            .map(|p| project_view(p, me.name()))
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    /// Checks a workflow definition — YAML, or a `name` and a structured `spec` as for `createWorkflow` —
    /// with the validator the operator and the admission webhook use, and returns every problem with the
    /// field it is about (empty when the definition is valid). Nothing is written.
    async fn validate_workflow(
        &self,
        ctx: &Context<'_>,
        project: String,
        yaml: Option<String>,
        name: Option<String>,
        spec: Option<async_graphql::Json<serde_json::Value>>,
    ) -> Result<Vec<FieldErrorView>> {
        let s = scope(ctx, &project)?;
        let wf = super::mutation::workflow_input(&s, yaml, name, spec)?;
        Ok(match chaoscenter_core::validate(&wf.spec) {
            Ok(_) => Vec::new(),
            Err(invalid) => invalid
                .errors
                .into_iter()
                .map(|e| FieldErrorView { field: e.path, message: e.message })
                .collect(),
        })
    }

    /// One project.
    async fn project(&self, ctx: &Context<'_>, name: String) -> Result<ProjectView> {
        let s = scope(ctx, &name)?;
        let p = s.state.cluster.project(&name).ok_or_else(|| error("NOT_FOUND", "no such project"))?;
        Ok(project_view(&p, &s.caller_name))
    }

    /// The project's workflows with their last run.
    async fn workflows(&self, ctx: &Context<'_>, project: String) -> Result<Vec<WorkflowView>> {
        let s = scope(ctx, &project)?;
        let docs = s.state.history.workflows(&s.project_uid).await.map_err(unavailable)?;
        Ok(docs
            .iter()
            .map(|d| {
                let obj = object(d);
                let last = &obj["status"]["lastRun"];
                WorkflowView {
                    name: d.get_str("name").unwrap_or_default().into(),
                    description: obj["spec"]["description"].as_str().map(String::from),
                    schedule: obj["spec"]["schedule"].as_str().map(String::from),
                    suspended: obj["spec"]["suspend"].as_bool().unwrap_or(false),
                    last_run: last["name"].as_str().map(String::from),
                    last_phase: last["phase"].as_str().and_then(Phase::parse),
                    last_score: last["resiliencyScore"].as_f64(),
                    object: async_graphql::Json(obj.clone()),
                }
            })
            .collect())
    }

    /// The project's hubs, by name (read as the caller: RBAC decides, as for kubectl).
    async fn hubs(&self, ctx: &Context<'_>, project: String) -> Result<Vec<super::hubs::HubView>> {
        super::hubs::list(&scope(ctx, &project)?).await
    }

    /// One hub.
    async fn hub(&self, ctx: &Context<'_>, project: String, name: String) -> Result<super::hubs::HubView> {
        super::hubs::get(&scope(ctx, &project)?, &name).await
    }

    /// The project's hub templates: of `hub` (or every hub), in `category`, whose name, display name or
    /// description holds every word of `search`; at most `first` (1–200, default 100).
    #[graphql(complexity = "first.unwrap_or(100).clamp(1, 200) as usize * child_complexity")]
    async fn templates(
        &self,
        ctx: &Context<'_>,
        project: String,
        hub: Option<String>,
        category: Option<String>,
        search: Option<String>,
        first: Option<i32>,
    ) -> Result<super::hubs::TemplatePage> {
        let s = scope(ctx, &project)?;
        let filter = super::hubs::TemplateFilter::new(hub, category, search, first)?;
        super::hubs::templates(&s, &filter).await
    }

    /// One template with its workflow, by `id` (the ChaosTemplate's name).
    async fn template(
        &self,
        ctx: &Context<'_>,
        project: String,
        id: String,
    ) -> Result<super::hubs::TemplateView> {
        super::hubs::template(&scope(ctx, &project)?, &id).await
    }

    /// The project's runs, newest first, `first` (1–100, default 50) per page, after the cursor `after`.
    /// Times are RFC 3339; `since` is inclusive, `until` exclusive. `projectUid` (admins): the runs of a
    /// deleted project of that name (see `deletedProjects`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 100) as usize * child_complexity")]
    async fn runs(
        &self,
        ctx: &Context<'_>,
        project: String,
        workflow: Option<String>,
        phase: Option<Phase>,
        trigger: Option<Trigger>,
        since: Option<String>,
        until: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        project_uid: Option<String>,
    ) -> Result<RunConnection> {
        let (state, uid) = history_of(ctx, &project, project_uid.as_deref()).await?;
        let filter = RunFilter {
            workflow,
            phase,
            trigger,
            since_ms: millis("since", since)?,
            until_ms: millis("until", until)?,
        };
        let first = first.unwrap_or(50);
        if !(1..=100).contains(&first) {
            return Err(error("BAD_INPUT", "first: 1 to 100"));
        }
        runs_page(state.history.as_ref(), &uid, &filter, first as usize, after.as_deref()).await.map_err(
            |m| {
                if m.starts_with("after:") {
                    error("BAD_INPUT", m)
                } else {
                    error("UNAVAILABLE", "the history database is not answering")
                }
            },
        )
    }

    /// Statistics of the project's runs created since `since` (RFC 3339; default: 30 days ago): runs per
    /// phase, the average score per workflow and per day. `projectUid` (admins): of a deleted project.
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        project: String,
        since: Option<String>,
        project_uid: Option<String>,
    ) -> Result<Statistics> {
        let (state, uid) = history_of(ctx, &project, project_uid.as_deref()).await?;
        let since = millis("since", since)?
            .unwrap_or_else(|| jiff::Timestamp::now().as_millisecond() - 30 * 86_400_000);
        state.history.statistics(&uid, since).await.map_err(unavailable)
    }

    /// The audit log, newest first: `project`'s (members), or everything (admins only, without a project).
    /// Page with `after`: the `cursor` of the last entry seen; or start at a time with `before` (RFC 3339,
    /// exclusive). `projectUid` (admins, with `project`): the log of a deleted project of that name.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        project: Option<String>,
        first: Option<i32>,
        before: Option<String>,
        after: Option<String>,
        project_uid: Option<String>,
    ) -> Result<Vec<AuditView>> {
        let state = state(ctx)?;
        let uid = match (&project, project_uid) {
            (Some(p), uid) => Some(history_of(ctx, p, uid.as_deref()).await?.1),
            (None, Some(_)) => return Err(error("BAD_INPUT", "projectUid: give the project's name too")),
            (None, None) if !caller(ctx)?.is_admin() => {
                return Err(error("FORBIDDEN", "only admins may read the whole audit log; name a project"))
            }
            (None, None) => None,
        };
        let first = first.unwrap_or(50);
        if !(1..=100).contains(&first) {
            return Err(error("BAD_INPUT", "first: 1 to 100"));
        }
        let older = match (after, millis("before", before)?) {
            (Some(_), Some(_)) => return Err(error("BAD_INPUT", "give before or after, not both")),
            (Some(cursor), None) => Some(crate::audit::Older::Than(cursor)),
            (None, Some(ms)) => Some(crate::audit::Older::ThanTime(ms)),
            (None, None) => None,
        };
        let entries = state
            .history
            .audit_entries(uid.as_deref(), older, i64::from(first))
            .await
            .map_err(unavailable)?;
        Ok(entries.into_iter().map(AuditView::from).collect())
    }

    /// Projects deleted from the cluster whose history is kept (admins only), the latest deletion first, at
    /// most 100: pass a `uid` as `projectUid` to `runs`, `statistics`, `auditLog` or `run` to read one. (A
    /// project created again under the same name starts with an empty history.)
    async fn deleted_projects(&self, ctx: &Context<'_>) -> Result<Vec<DeletedProjectView>> {
        if !caller(ctx)?.is_admin() {
            return Err(error("FORBIDDEN", "only admins may list deleted projects"));
        }
        let state = state(ctx)?;
        let docs = state.history.deleted_projects(100).await.map_err(unavailable)?;
        Ok(docs.iter().map(DeletedProjectView::from_doc).collect())
    }

    /// A run's log, by the run's name (also after it left the cluster): the operator's lines about it and
    /// its cmd probes' output, redacted, as last written (about every second while it runs). Empty until
    /// its first line is written. `projectUid` (admins): a run of a deleted project of that name.
    async fn run_logs(
        &self,
        ctx: &Context<'_>,
        project: String,
        name: String,
        project_uid: Option<String>,
    ) -> Result<RunLogView> {
        let (state, _, found) = find_run(ctx, &project, &name, project_uid.as_deref()).await?;
        let run_uid = found.get_str("_id").unwrap_or_default();
        let log = state.history.run_log(run_uid).await.map_err(unavailable)?;
        Ok(log.as_ref().map(RunLogView::from_doc).unwrap_or_default())
    }

    /// One run in full, by name (also after it left the cluster; also a target preview, until it is
    /// deleted). `projectUid` (admins): a run of a deleted project of that name.
    async fn run(
        &self,
        ctx: &Context<'_>,
        project: String,
        name: String,
        project_uid: Option<String>,
    ) -> Result<RunDetail> {
        let (_, uid, found) = find_run(ctx, &project, &name, project_uid.as_deref()).await?;
        let obj = object(&found);
        let mut events = Vec::new();
        // Events only of a run still in the cluster and of the project as it is now (not of a deleted
        // project's run, even if the project of that name has one of the same name)
        let current = scope(ctx, &project).ok().filter(|s| s.project_uid == uid);
        if let (0, Some(s)) = (stored_int(&found, "deleted").unwrap_or(0), current) {
            // as the caller: RBAC lets members read their project's Events
            let api: Api<Event> = Api::namespaced(s.as_caller()?, &s.namespace);
            if let Ok(list) = api.list(&ListParams::default()).await {
                let mut items: Vec<Event> = list
                    .items
                    .into_iter()
                    .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name.as_str()))
                    .collect();
                items.sort_by_key(|e| {
                    e.event_time.as_ref().map(|t| t.0).or(e.deprecated_last_timestamp.as_ref().map(|t| t.0))
                });
                events = items
                    .into_iter()
                    .map(|e| EventView {
                        time: e
                            .event_time
                            .map(|t| t.0.to_string())
                            .or(e.deprecated_last_timestamp.map(|t| t.0.to_string())),
                        kind: e.type_.unwrap_or_default(),
                        reason: e.reason.unwrap_or_default(),
                        message: e.note.unwrap_or_default(),
                    })
                    .collect();
            }
        }
        Ok(RunDetail {
            summary: RunSummary::from_doc(&found),
            definition: obj["spec"].get("workflow").cloned().map(async_graphql::Json),
            status: obj.get("status").cloned().map(async_graphql::Json),
            events,
        })
    }
}
