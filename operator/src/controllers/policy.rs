//! Admission of a run: its workflow exists and is valid, the halt switch is off, and every namespace (or
//! node) it targets belongs to the run's project and opted in. A refusal names what was refused.

use super::Context;
use crate::engine::dag;
use crate::engine::decide::Refusal;
use crate::faults;
use chaoscenter_crds::common::{CHAOS_OPT_IN_LABEL, CHAOS_OPT_IN_VALUE, HALT_CONFIGMAP, PROJECT_LABEL};
use chaoscenter_crds::workflow::ChaosWorkflowSpec;
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun, Project};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node};
use kube::api::Api;
use kube::ResourceExt;

/// True while the halt ConfigMap exists in the operator's namespace.
pub async fn halted(ctx: &Context) -> Result<bool, kube::Error> {
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ctx.config.namespace);
    Ok(api.get_opt(HALT_CONFIGMAP).await?.is_some())
}

fn refuse(reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { reason, message: message.into() }
}

/// The workflow definition a run executes: its frozen copy, else the named workflow's current spec.
pub async fn workflow_of(
    ctx: &Context,
    run: &ChaosWorkflowRun,
) -> Result<Result<ChaosWorkflowSpec, Refusal>, kube::Error> {
    if let Some(spec) = &run.spec.workflow {
        return Ok(Ok(spec.clone()));
    }
    let ns = run.namespace().unwrap_or_default();
    let api: Api<ChaosWorkflow> = Api::namespaced(ctx.client.clone(), &ns);
    Ok(match api.get_opt(&run.spec.workflow_ref.name).await? {
        Some(wf) => Ok(wf.spec),
        None => Err(refuse(
            "WorkflowNotFound",
            format!(
                "spec.workflowRef.name: ChaosWorkflow {:?} not found in namespace {ns}",
                run.spec.workflow_ref.name
            ),
        )),
    })
}

/// Pure checks of a definition: the step graph and each fault's settings.
pub fn validate_definition(spec: &ChaosWorkflowSpec) -> Result<(), String> {
    dag::validate(spec).map_err(|e| e.to_string())?;
    for step in &spec.steps {
        faults::validate(&step.name, &step.fault)?;
    }
    Ok(())
}

/// Runs every admission check for a run with definition `spec`; returns the project's name.
pub async fn admit(
    ctx: &Context,
    run: &ChaosWorkflowRun,
    spec: &ChaosWorkflowSpec,
) -> Result<Result<String, Refusal>, kube::Error> {
    if let Err(message) = validate_definition(spec) {
        return Ok(Err(refuse("InvalidWorkflow", message)));
    }
    if halted(ctx).await? {
        return Ok(Err(refuse(
            "Halted",
            format!(
                "the halt switch (ConfigMap {HALT_CONFIGMAP} in {}) is on: no run may start",
                ctx.config.namespace
            ),
        )));
    }
    let run_ns = run.namespace().unwrap_or_default();
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    let Some(home) = namespaces.get_opt(&run_ns).await? else {
        return Ok(Err(refuse("NoProject", format!("namespace {run_ns} does not exist"))));
    };
    let Some(project_name) = home.labels().get(PROJECT_LABEL).cloned() else {
        return Ok(Err(refuse(
            "NoProject",
            format!("namespace {run_ns} belongs to no project (it has no label {PROJECT_LABEL})"),
        )));
    };
    let Some(project) = Api::<Project>::all(ctx.client.clone()).get_opt(&project_name).await? else {
        return Ok(Err(refuse(
            "NoProject",
            format!("project {project_name:?} (label of namespace {run_ns}) does not exist"),
        )));
    };
    for step in &spec.steps {
        let fault = &step.fault;
        if faults::targets_nodes(fault.type_) {
            let candidates = faults::candidates(&ctx.client, fault).await;
            let nodes: Api<Node> = Api::all(ctx.client.clone());
            for c in candidates.unwrap_or_default() {
                let node = nodes.get_opt(&c.name).await?;
                let opted = node.is_some_and(|n| {
                    n.labels().get(CHAOS_OPT_IN_LABEL).map(String::as_str) == Some(CHAOS_OPT_IN_VALUE)
                });
                if !opted {
                    return Ok(Err(refuse(
                        "NodeNotAllowed",
                        format!(
                            "spec.steps[{}].fault.target: node {} has not opted in to chaos (label {CHAOS_OPT_IN_LABEL}={CHAOS_OPT_IN_VALUE})",
                            step.name, c.name
                        ),
                    )));
                }
            }
            continue;
        }
        let ns = fault.target.namespace.clone().unwrap_or_default();
        if !project.spec.target_namespaces.contains(&ns) {
            return Ok(Err(refuse(
                "NamespaceNotAllowed",
                format!(
                    "spec.steps[{}].fault.target.namespace: namespace {ns} is not in project {project_name}'s targetNamespaces",
                    step.name
                ),
            )));
        }
        let opted = namespaces.get_opt(&ns).await?.is_some_and(|n| {
            n.labels().get(CHAOS_OPT_IN_LABEL).map(String::as_str) == Some(CHAOS_OPT_IN_VALUE)
        });
        if !opted {
            return Ok(Err(refuse(
                "NamespaceNotAllowed",
                format!(
                    "spec.steps[{}].fault.target.namespace: namespace {ns} has not opted in to chaos (label {CHAOS_OPT_IN_LABEL}={CHAOS_OPT_IN_VALUE})",
                    step.name
                ),
            )));
        }
    }
    Ok(Ok(project_name))
}
