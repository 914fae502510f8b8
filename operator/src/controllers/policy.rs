//! Who may be targeted, read from the caches: a run's project, whether a namespace or node may be hit by
//! it, and the admission of a run before it starts. A namespace or node decides which projects may hit it
//! (the opt-in label and the annotation naming them, `chaoscenter_core::optin`); a project's
//! `targetNamespaces` only narrows that. Every answer is Yes, No (with the reason, naming the namespace or
//! node and what is missing) or Unknown (a cache is not filled): only Yes lets anything be injected.

use crate::world::World;
use chaoscenter_core::decide::Refusal;
use chaoscenter_core::optin;
use chaoscenter_core::plan::{FaultAction, NodeTarget};
use chaoscenter_core::Workflow;
use chaoscenter_crds::common::{HALT_CONFIGMAP, PROJECT_LABEL};
use chaoscenter_crds::run::TargetStatus;
use chaoscenter_crds::Project;
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::runtime::reflector::ObjectRef;
use kube::ResourceExt;
use std::sync::Arc;

/// Whether something may be targeted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowed {
    Yes,
    /// It may not; the reason names the namespace or node.
    No(String),
    /// It cannot be told now (a cache is not filled): treated like No for injecting.
    Unknown(String),
}

impl Allowed {
    pub fn is_yes(&self) -> bool {
        *self == Self::Yes
    }
}

/// Whether `object` (`what`, e.g. `namespace shop`) lets project `project`'s runs hit it.
fn owner_allows<K: ResourceExt>(object: &K, what: &str, project: &str) -> Allowed {
    let meta = object.meta();
    match optin::check(meta.labels.as_ref(), meta.annotations.as_ref(), project).refusal(what, project) {
        None => Allowed::Yes,
        Some(why) => Allowed::No(why),
    }
}

/// Policy checks over the caches.
pub struct Policy<'a> {
    pub world: &'a World,
}

impl Policy<'_> {
    /// The project a run in namespace `run_ns` belongs to.
    pub fn project_of(&self, run_ns: &str) -> Result<Arc<Project>, Allowed> {
        let w = self.world;
        if !w.ready() {
            return Err(Allowed::Unknown("the operator's caches are still filling".into()));
        }
        let Some(home) = w.namespaces.get(&ObjectRef::new(run_ns)) else {
            return Err(Allowed::No(format!("namespace {run_ns} does not exist")));
        };
        let Some(project) = home.labels().get(PROJECT_LABEL).cloned() else {
            return Err(Allowed::No(format!(
                "namespace {run_ns} belongs to no project (it has no label {PROJECT_LABEL})"
            )));
        };
        w.projects.get(&ObjectRef::new(&project)).ok_or_else(|| {
            Allowed::No(format!("project {project:?} (label of namespace {run_ns}) does not exist"))
        })
    }

    /// Whether `project`'s runs may hit objects in namespace `ns`: it is in the project's
    /// `targetNamespaces`, and it opted in for the project.
    pub fn namespace(&self, project: &Project, ns: &str) -> Allowed {
        let name = project.name_any();
        if !project.spec.target_namespaces.iter().any(|t| t == ns) {
            return Allowed::No(format!("namespace {ns} is not in project {name}'s targetNamespaces"));
        }
        if !crate::controllers::is_filled(&self.world.namespaces) {
            return Allowed::Unknown("the namespace cache is still filling".into());
        }
        match self.world.namespaces.get(&ObjectRef::<Namespace>::new(ns)) {
            Some(n) => owner_allows(n.as_ref(), &format!("namespace {ns}"), &name),
            None => Allowed::No(format!("namespace {ns} does not exist")),
        }
    }

    /// Whether node `name` may be hit by a run of project `project`: it opted in for the project.
    pub fn node(&self, project: &str, name: &str) -> Allowed {
        if !crate::controllers::is_filled(&self.world.nodes) {
            return Allowed::Unknown("the node cache is still filling".into());
        }
        match self.world.nodes.get(&ObjectRef::<Node>::new(name)) {
            Some(n) => owner_allows(n.as_ref(), &format!("node {name}"), project),
            None => Allowed::No(format!("node {name} does not exist")),
        }
    }

    /// Whether a run of project `project` may hit `target` (a node, or an object in a namespace).
    pub fn target(
        &self,
        project: Option<&Project>,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Allowed {
        let Some(project) = project else {
            return Allowed::No("the run belongs to no project".into());
        };
        match (kind, namespace) {
            ("Node", _) => self.node(&project.name_any(), name),
            (_, Some(ns)) => self.namespace(project, ns),
            (_, None) => Allowed::No(format!("{kind} {name} has no namespace")),
        }
    }

    /// [`Policy::target`] for a recorded target of a run in `run_ns`.
    pub fn recorded(&self, run_ns: &str, target: &TargetStatus) -> Allowed {
        match self.project_of(run_ns) {
            Ok(project) => {
                self.target(Some(&project), &target.kind, target.namespace.as_deref(), &target.name)
            }
            Err(why) => why,
        }
    }

    /// Whether a run in `run_ns` of `workflow` may start: the halt switch is off, its namespace belongs
    /// to a project, every namespace it targets is in the project's `targetNamespaces` and opted in for
    /// the project, and every node a node fault matches now opted in for the project. `None` while a cache
    /// is not filled. Returns the project's name.
    pub fn admit(&self, run_ns: &str, workflow: &Workflow) -> Option<Result<String, Refusal>> {
        let refuse = |reason: &'static str, message: String| Some(Err(Refusal { reason, message }));
        if !self.world.ready() {
            return None;
        }
        if self.world.halted() {
            return refuse(
                "Halted",
                format!(
                    "the halt switch (ConfigMap {HALT_CONFIGMAP} in {}) is on: no run may start",
                    self.world.control_namespace
                ),
            );
        }
        let project = match self.project_of(run_ns) {
            Ok(p) => p,
            Err(Allowed::No(message)) => return refuse("NoProject", message),
            Err(_) => return None,
        };
        for (i, step) in workflow.steps.iter().enumerate() {
            match step.fault.action.namespace() {
                Some(ns) => match self.namespace(&project, ns) {
                    Allowed::Yes => {}
                    Allowed::No(message) => {
                        return refuse(
                            "NamespaceNotAllowed",
                            format!("spec.steps[{i}].fault.target.namespace: {message}"),
                        )
                    }
                    Allowed::Unknown(_) => return None,
                },
                None => {
                    for node in self.matching_nodes(&step.fault.action) {
                        match self.node(&project.name_any(), &node) {
                            Allowed::Yes => {}
                            Allowed::No(message) => {
                                return refuse(
                                    "NodeNotAllowed",
                                    format!("spec.steps[{i}].fault.target: {message}"),
                                )
                            }
                            Allowed::Unknown(_) => return None,
                        }
                    }
                }
            }
        }
        Some(Ok(project.name_any()))
    }

    /// The names of the nodes a node fault's target matches now.
    fn matching_nodes(&self, action: &FaultAction) -> Vec<String> {
        let target: &NodeTarget = match action {
            FaultAction::NodeCordon(f) => &f.target,
            FaultAction::NodeTaint(f) => &f.target,
            FaultAction::NodeDrain(f) => &f.target,
            _ => return Vec::new(),
        };
        crate::faults::node::matching(self.world, target)
    }
}
