//! The mutation root: every change is a write of a CR made impersonating the caller, so the same RBAC
//! decides as for `kubectl --as=chaoscenter:<user>`, and the CRs are the same as kubectl would make.

use super::access::{error, scope, Scope};
use super::types::{Phase, RunSummary, Trigger};
use async_graphql::{Context, ErrorExtensions, Object, Result, SimpleObject};
use chaoscenter_crds::common::{LocalObjectReference, PREVIEW_LABEL};
use chaoscenter_crds::run::ChaosWorkflowRunSpec;
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun, ChaosWorkflowSpec};
use kube::api::{Api, DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::ResourceExt;

/// The mutation root.
pub struct Mutation;

/// A dry run's outcome.
#[derive(SimpleObject)]
pub struct DryRun {
    pub run: RunSummary,
    /// Whether the operator finished it within the wait (otherwise query the run later).
    pub finished: bool,
    /// The run's status: per step, the targets it would hit, or why it was refused.
    pub plan: Option<async_graphql::Json<serde_json::Value>>,
}

/// A workflow as written.
#[derive(SimpleObject)]
pub struct WrittenWorkflow {
    pub name: String,
    pub namespace: String,
    pub resource_version: String,
}

/// A Kubernetes error for the caller, mapped as for REST ([`crate::error::ApiError::from_kube`]):
/// denials, conflicts and invalid objects say what and why; anything else says only that it failed.
fn kube_error(action: &str, err: kube::Error) -> async_graphql::Error {
    crate::error::ApiError::from_kube(action, err).into_graphql()
}

/// A workflow from YAML, or from a name and a structured spec, placed in the project's namespace.
pub(super) fn workflow_input(
    s: &Scope,
    yaml: Option<String>,
    name: Option<String>,
    spec: Option<async_graphql::Json<serde_json::Value>>,
) -> Result<ChaosWorkflow> {
    match (yaml, name, spec) {
        (Some(yaml), None, None) => parse_workflow(s, &yaml),
        (None, Some(name), Some(spec)) => {
            let object = serde_json::json!({
                "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
                "metadata": {"name": name}, "spec": spec.0,
            });
            parse_workflow(s, &object.to_string())
        }
        _ => Err(error("BAD_INPUT", "give either yaml, or name and spec")),
    }
}

/// `name` as the name of an object (it becomes part of a Kubernetes API URL), or a `BAD_INPUT` error
/// naming `field`.
fn object_name(field: &str, name: &str) -> Result<()> {
    chaoscenter_core::validate::dns_subdomain(name)
        .map_err(|why| error("BAD_INPUT", format!("{field}: {why}")))
}

/// A workflow from YAML (or JSON), placed in the project's namespace.
fn parse_workflow(s: &Scope, yaml: &str) -> Result<ChaosWorkflow> {
    if yaml.len() > 256 * 1024 {
        return Err(error("BAD_INPUT", "yaml: at most 256 KiB"));
    }
    if super::nesting::depth_bound(yaml) > super::nesting::MAX_FLOW_DEPTH {
        return Err(error(
            "BAD_INPUT",
            format!(
                "yaml: more than {} flow collections ([...] or {{...}}) inside each other (brackets in \
                 quoted text count too)",
                super::nesting::MAX_FLOW_DEPTH
            ),
        ));
    }
    let mut wf: ChaosWorkflow =
        serde_yaml::from_str(yaml).map_err(|e| error("BAD_INPUT", format!("yaml: {e}")))?;
    match wf.metadata.name.as_deref() {
        None | Some("") => return Err(error("BAD_INPUT", "yaml: metadata.name is required")),
        Some(name) => object_name("yaml: metadata.name", name)?,
    }
    match wf.metadata.namespace.as_deref() {
        None | Some("") => wf.metadata.namespace = Some(s.namespace.clone()),
        Some(ns) if ns == s.namespace => {}
        Some(ns) => {
            return Err(error(
                "BAD_INPUT",
                format!(
                    "yaml: metadata.namespace {ns:?} is not project {:?}'s namespace {:?}",
                    s.project, s.namespace
                ),
            ))
        }
    }
    wf.metadata.resource_version = None;
    wf.metadata.uid = None;
    wf.metadata.managed_fields = None;
    wf.status = None;
    Ok(wf)
}

/// The workflow's definition checked with the validator the operator uses: an `INVALID` error listing
/// every problem (each `spec.<path>: <what>`, also as `fields` in the error's extensions) when it is not
/// valid, so nothing invalid is written.
fn validated(wf: &ChaosWorkflow) -> Result<()> {
    chaoscenter_core::validate(&wf.spec).map(drop).map_err(|invalid| {
        let fields: Vec<serde_json::Value> = invalid
            .errors
            .iter()
            .map(|e| serde_json::json!({"field": e.path, "message": e.message}))
            .collect();
        async_graphql::Error::new(invalid.to_string()).extend_with(|_, ext| {
            ext.set("code", "INVALID");
            ext.set(
                "fields",
                async_graphql::Value::from_json(serde_json::Value::Array(fields)).unwrap_or_default(),
            );
        })
    })
}

fn written(wf: ChaosWorkflow) -> WrittenWorkflow {
    WrittenWorkflow {
        name: wf.name_any(),
        namespace: wf.namespace().unwrap_or_default(),
        resource_version: wf.resource_version().unwrap_or_default(),
    }
}

/// Records a change the caller made through GraphQL.
async fn audit(s: &Scope, action: &str, kind: &str, name: &str) {
    let entry = crate::audit::Entry::now(&s.caller_name, crate::audit::Source::Api, action, kind, name)
        .in_project(&s.project, &s.project_uid, Some(&s.namespace));
    s.state.history.record_audit(entry).await;
}

/// A run just created (not yet mirrored).
fn run_summary(run: &ChaosWorkflowRun) -> RunSummary {
    RunSummary {
        uid: run.metadata.uid.clone().unwrap_or_default(),
        name: run.name_any(),
        workflow: run.spec.workflow_ref.name.clone(),
        phase: run.status.as_ref().and_then(|s| s.phase).map(Phase::from),
        trigger: Some(Trigger::from(run.spec.trigger)),
        author: run
            .annotations()
            .get(chaoscenter_crds::common::AUTHOR_ANNOTATION)
            .map(|a| crate::webhook::review::display_name(a).to_string()),
        score: run.status.as_ref().and_then(|s| s.resiliency_score),
        created_at: run.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default(),
        deleted: false,
    }
}

/// Starts a run of `workflow`; `preview` is an unsaved definition to dry-run instead of the stored one.
async fn new_run(
    ctx: &Context<'_>,
    project: &str,
    workflow: &str,
    dry_run: bool,
    preview: Option<ChaosWorkflowSpec>,
) -> Result<RunSummary> {
    let s = scope(ctx, project)?;
    object_name("workflow", workflow)?;
    let labels = preview.is_some().then(|| [(PREVIEW_LABEL.to_string(), "true".to_string())].into());
    let run = ChaosWorkflowRun {
        metadata: ObjectMeta { generate_name: Some(format!("{workflow}-")), labels, ..Default::default() },
        spec: ChaosWorkflowRunSpec {
            workflow_ref: LocalObjectReference { name: workflow.to_string() },
            trigger: chaoscenter_crds::run::Trigger::Manual,
            dry_run: dry_run || preview.is_some(),
            abort: false,
            workflow: preview.clone(),
        },
        status: None,
    };
    let api: Api<ChaosWorkflowRun> = Api::namespaced(s.as_caller()?, &s.namespace);
    let created =
        api.create(&PostParams::default(), &run).await.map_err(|e| kube_error("start the run", e))?;
    let action = match (&preview, dry_run) {
        (Some(_), _) => "preview",
        (None, true) => "dry-run",
        (None, false) => "run",
    };
    audit(&s, action, "ChaosWorkflowRun", &created.name_any()).await;
    Ok(run_summary(&created))
}

#[Object]
impl Mutation {
    /// Creates a workflow from YAML (a ChaosWorkflow; its namespace may be left out), or from a `name` and
    /// a structured `spec` (the ChaosWorkflow spec as JSON).
    async fn create_workflow(
        &self,
        ctx: &Context<'_>,
        project: String,
        yaml: Option<String>,
        name: Option<String>,
        spec: Option<async_graphql::Json<serde_json::Value>>,
    ) -> Result<WrittenWorkflow> {
        let s = scope(ctx, &project)?;
        let wf = workflow_input(&s, yaml, name, spec)?;
        validated(&wf)?;
        let api: Api<ChaosWorkflow> = Api::namespaced(s.as_caller()?, &s.namespace);
        let created = api
            .create(&PostParams::default(), &wf)
            .await
            .map_err(|e| kube_error("create the workflow", e))?;
        audit(&s, "create", "ChaosWorkflow", &created.name_any()).await;
        Ok(written(created))
    }

    /// Replaces a workflow's definition from YAML, or a `name` and structured `spec`.
    async fn update_workflow(
        &self,
        ctx: &Context<'_>,
        project: String,
        yaml: Option<String>,
        name: Option<String>,
        spec: Option<async_graphql::Json<serde_json::Value>>,
    ) -> Result<WrittenWorkflow> {
        let s = scope(ctx, &project)?;
        let mut wf = workflow_input(&s, yaml, name, spec)?;
        validated(&wf)?;
        let api: Api<ChaosWorkflow> = Api::namespaced(s.as_caller()?, &s.namespace);
        let name = wf.name_any();
        let input = wf.metadata.clone();
        // written under the resourceVersion just read; when something else wrote in between (the operator's
        // status, a label from kubectl) it is read again, as the caller's change is the whole spec
        let mut attempts = 0;
        let replaced = loop {
            let current = api.get(&name).await.map_err(|e| kube_error("read the workflow", e))?;
            // metadata the input leaves out is kept (labels of GitOps tools, annotations, owners): the form
            // edits only the spec, and a YAML that names labels replaces them
            let kept = current.metadata;
            let meta = &mut wf.metadata;
            meta.resource_version = kept.resource_version;
            meta.labels = input.labels.clone().or(kept.labels);
            meta.annotations = input.annotations.clone().or(kept.annotations);
            meta.owner_references = input.owner_references.clone().or(kept.owner_references);
            meta.finalizers = input.finalizers.clone().or(kept.finalizers);
            match api.replace(&name, &PostParams::default(), &wf).await {
                Err(kube::Error::Api(status)) if status.code == 409 && attempts < 5 => attempts += 1,
                result => break result.map_err(|e| kube_error("update the workflow", e))?,
            }
        };
        audit(&s, "update", "ChaosWorkflow", &name).await;
        Ok(written(replaced))
    }

    /// Deletes a workflow (its runs stay in history).
    async fn delete_workflow(&self, ctx: &Context<'_>, project: String, name: String) -> Result<bool> {
        let s = scope(ctx, &project)?;
        object_name("name", &name)?;
        let api: Api<ChaosWorkflow> = Api::namespaced(s.as_caller()?, &s.namespace);
        api.delete(&name, &DeleteParams::default())
            .await
            .map_err(|e| kube_error("delete the workflow", e))?;
        audit(&s, "delete", "ChaosWorkflow", &name).await;
        Ok(true)
    }

    /// Starts a run of the workflow now.
    async fn run_workflow(&self, ctx: &Context<'_>, project: String, workflow: String) -> Result<RunSummary> {
        new_run(ctx, &project, &workflow, false, None).await
    }

    /// A dry run: targets are resolved and policy checked, nothing is injected. Waits (up to 10 s) for the
    /// operator's answer and returns the plan: the run's status, with the targets each step would hit.
    /// With `spec` (a ChaosWorkflow spec as JSON), an unsaved definition named `workflow` is previewed: the
    /// preview (a dry run labelled `chaoscenter.io/preview`, which only the apiserver may create) never
    /// enters the history, and the operator deletes it a minute after it finished.
    async fn dry_run_workflow(
        &self,
        ctx: &Context<'_>,
        project: String,
        workflow: String,
        spec: Option<async_graphql::Json<serde_json::Value>>,
    ) -> Result<DryRun> {
        let s = scope(ctx, &project)?;
        let preview = match spec {
            Some(spec) => {
                let wf = workflow_input(&s, None, Some(workflow.clone()), Some(spec))?;
                validated(&wf)?;
                Some(wf.spec)
            }
            None => None,
        };
        let run = new_run(ctx, &project, &workflow, true, preview).await?;
        let api: Api<ChaosWorkflowRun> = Api::namespaced(s.as_caller()?, &s.namespace);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let current = api.get(&run.name).await.map_err(|e| kube_error("read the dry run", e))?;
            let done = current.status.as_ref().and_then(|st| st.phase).is_some_and(|p| p.is_finished());
            if done || std::time::Instant::now() > deadline {
                return Ok(DryRun {
                    run: run_summary(&current),
                    finished: done,
                    plan: current
                        .status
                        .map(|st| async_graphql::Json(serde_json::to_value(st).unwrap_or_default())),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Aborts a run: every injected fault is reverted.
    async fn abort_run(&self, ctx: &Context<'_>, project: String, name: String) -> Result<RunSummary> {
        let s = scope(ctx, &project)?;
        object_name("name", &name)?;
        let api: Api<ChaosWorkflowRun> = Api::namespaced(s.as_caller()?, &s.namespace);
        let patch = serde_json::json!({ "spec": { "abort": true } });
        let run = api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| kube_error("abort the run", e))?;
        audit(&s, "abort", "ChaosWorkflowRun", &name).await;
        Ok(run_summary(&run))
    }

    /// Adds a hub to the project (the operator syncs it).
    async fn create_hub(
        &self,
        ctx: &Context<'_>,
        project: String,
        input: super::hubs::HubInput,
    ) -> Result<super::hubs::HubView> {
        super::hubs::create(&scope(ctx, &project)?, &input).await
    }

    /// Changes a hub's source, branch, path, credential Secret or interval.
    async fn update_hub(
        &self,
        ctx: &Context<'_>,
        project: String,
        input: super::hubs::HubInput,
    ) -> Result<super::hubs::HubView> {
        super::hubs::update(&scope(ctx, &project)?, &input).await
    }

    /// Removes a hub and its templates.
    async fn delete_hub(&self, ctx: &Context<'_>, project: String, name: String) -> Result<bool> {
        super::hubs::delete(&scope(ctx, &project)?, &name).await
    }

    /// Asks the operator to sync the hub now.
    async fn sync_hub(
        &self,
        ctx: &Context<'_>,
        project: String,
        name: String,
    ) -> Result<super::hubs::HubView> {
        super::hubs::sync(&scope(ctx, &project)?, &name).await
    }

    /// Converts Litmus experiments (Argo Workflows) or ChaosEngines into ChaosWorkflows and says what was
    /// mapped and what was dropped. Nothing is written: create each with `createWorkflow`.
    async fn import_litmus(
        &self,
        ctx: &Context<'_>,
        project: String,
        yaml: String,
    ) -> Result<super::hubs::ImportResult> {
        super::hubs::import(&scope(ctx, &project)?, &yaml)
    }

    /// Suspends (`true`) or resumes (`false`) a workflow's schedule.
    async fn set_suspended(
        &self,
        ctx: &Context<'_>,
        project: String,
        workflow: String,
        suspended: bool,
    ) -> Result<WrittenWorkflow> {
        let s = scope(ctx, &project)?;
        object_name("workflow", &workflow)?;
        let api: Api<ChaosWorkflow> = Api::namespaced(s.as_caller()?, &s.namespace);
        let patch = serde_json::json!({ "spec": { "suspend": suspended } });
        let wf = api
            .patch(&workflow, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| kube_error("change the schedule", e))?;
        audit(&s, if suspended { "suspend" } else { "resume" }, "ChaosWorkflow", &workflow).await;
        Ok(written(wf))
    }
}
