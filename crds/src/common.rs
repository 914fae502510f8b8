//! Shared pieces of every kind: the API group, conditions, name patterns and label keys.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The API group of every ChaosCenter kind.
pub const API_GROUP: &str = "chaoscenter.io";
/// The served and stored API version.
pub const API_VERSION: &str = "v1alpha1";
/// The category that makes `kubectl get chaos` list every ChaosCenter object.
pub const CATEGORY: &str = "chaos";

/// Label a namespace must carry (with value [`CHAOS_OPT_IN_VALUE`]) before any fault may touch it.
pub const CHAOS_OPT_IN_LABEL: &str = "chaoscenter.io/chaos";
/// The value of [`CHAOS_OPT_IN_LABEL`] that opts a namespace in.
pub const CHAOS_OPT_IN_VALUE: &str = "enabled";
/// Annotation on an opted-in namespace or node naming the projects whose runs may target it: a comma-separated
/// list of project names, or `*` for every project. Set by whoever may edit the namespace or node (never by
/// a project); without it, the opt-in label allows no project.
pub const CHAOS_PROJECTS_ANNOTATION: &str = "chaoscenter.io/chaos-projects";
/// Label on a project's own namespace naming the project.
pub const PROJECT_LABEL: &str = "chaoscenter.io/project";

/// Finalizer on a run that has (or may have) injected faults: removed only once every revert is verified.
pub const RUN_FINALIZER: &str = "chaoscenter.io/revert";
/// Annotation on a workflow: set it (to any new value, e.g. a timestamp) to start a run now.
pub const RUN_NOW_ANNOTATION: &str = "chaoscenter.io/run-now";
/// Annotation on a workflow recording the last `run-now` value acted upon.
pub const RUN_NOW_HANDLED_ANNOTATION: &str = "chaoscenter.io/run-now-handled";
/// Label on a run naming its workflow.
pub const WORKFLOW_LABEL: &str = "chaoscenter.io/workflow";
/// Label on a dry run that previews an unsaved definition (the UI's target preview): such a run stays out of
/// the history, and the operator deletes it a minute after it finished. Only the apiserver may set it (the
/// admission webhook refuses it otherwise), and the label alone makes nothing a preview: see
/// `ChaosWorkflowRun::is_preview`.
pub const PREVIEW_LABEL: &str = "chaoscenter.io/preview";
/// Label on objects the operator creates for a run (NetworkPolicies, probe Jobs) naming the run.
pub const RUN_LABEL: &str = "chaoscenter.io/run";
/// Annotation the admission webhook sets on every created ChaosCenter object: the Kubernetes username of
/// whoever created it (e.g. `chaoscenter:bob`, `system:serviceaccount:argocd:argocd-application-controller`).
/// Nobody else may set or change it.
pub const AUTHOR_ANNOTATION: &str = "chaoscenter.io/author";
/// Annotation the admission webhook sets beside [`AUTHOR_ANNOTATION`]: the creator's groups, comma-separated.
pub const AUTHOR_GROUPS_ANNOTATION: &str = "chaoscenter.io/author-groups";
/// Annotation the admission webhook sets on every create and update: the identity behind the last write
/// as JSON (`{"username":…,"groups":[…],"via":"apiserver"?}`).
pub const CHANGED_BY_ANNOTATION: &str = "chaoscenter.io/changed-by";
/// Name of the ConfigMap, in the operator's namespace, whose existence halts all chaos: every running run
/// is aborted (its faults reverted) and no new run starts until it is deleted.
pub const HALT_CONFIGMAP: &str = "chaoscenter-halt";

/// A DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric.
pub const DNS_LABEL_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// A Go-style duration made of whole numbers with units ms, s, m or h, e.g. `90s`, `1m30s`, `2h`.
pub const DURATION_PATTERN: &str = r"^([0-9]+(ms|s|m|h))+$";

/// Whether a condition holds.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

/// One aspect of an object's state, in the shape every Kubernetes API uses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The aspect this condition describes, in PascalCase, e.g. `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Whether the condition holds: True, False or Unknown.
    pub status: ConditionStatus,
    /// A PascalCase word saying why the condition is in this status, e.g. `Reconciled`.
    #[serde(default)]
    pub reason: String,
    /// A human-readable explanation, naming the offending field or object when something is wrong.
    #[serde(default)]
    pub message: String,
    /// When the status last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// The object's `metadata.generation` this condition was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Sets the condition of `type_` in `conditions` (adding it if missing). `lastTransitionTime` changes
/// only when the status does; returns true when anything changed.
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status: ConditionStatus,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: &str,
) -> bool {
    let new = |last: Option<String>| Condition {
        type_: type_.to_string(),
        status,
        reason: reason.to_string(),
        message: message.to_string(),
        last_transition_time: last,
        observed_generation: generation,
    };
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            let last =
                if c.status == status { c.last_transition_time.clone() } else { Some(now.to_string()) };
            let updated = new(last);
            let changed = *c != updated;
            *c = updated;
            changed
        }
        None => {
            conditions.push(new(Some(now.to_string())));
            true
        }
    }
}

/// Where an object stands, in the terms of kstatus (the status convention Flux, `kubectl wait` and Argo CD's
/// health checks read): each variant sets the three conditions `Ready`, `Reconciling` and `Stalled` at once,
/// so they never disagree. docs/gitops.md has the table per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health<'a> {
    /// Work is under way (a run pending or running, a hub syncing): Ready=False, Reconciling=True.
    Progressing { reason: &'a str, message: &'a str },
    /// Done and good: Ready=True.
    Ready { reason: &'a str, message: &'a str },
    /// Not ready, and retrying may help (e.g. a hub's server unreachable): Ready=False only.
    NotReady { reason: &'a str, message: &'a str },
    /// Ended badly or invalid; nothing changes until someone acts: Ready=False, Stalled=True.
    Stalled { reason: &'a str, message: &'a str },
}

/// Sets `Ready`, `Reconciling` and `Stalled` in `conditions` from `health` (each with `generation` and a
/// `lastTransitionTime` that moves only when its status does); returns true when anything changed.
pub fn set_health(
    conditions: &mut Vec<Condition>,
    health: Health,
    generation: Option<i64>,
    now: &str,
) -> bool {
    use ConditionStatus::{False, True};
    let (ready, reconciling, stalled, reason, message) = match health {
        Health::Progressing { reason, message } => (False, True, False, reason, message),
        Health::Ready { reason, message } => (True, False, False, reason, message),
        Health::NotReady { reason, message } => (False, False, False, reason, message),
        Health::Stalled { reason, message } => (False, False, True, reason, message),
    };
    let mut changed = false;
    for (type_, status) in [("Ready", ready), ("Reconciling", reconciling), ("Stalled", stalled)] {
        changed |= set_condition(conditions, type_, status, reason, message, generation, now);
    }
    changed
}

/// A reference to an object by name in the same namespace (or cluster scope).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectReference {
    /// Name of the referenced object.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Schema extension marking a list as a set of unique scalars (server-side apply merges by value).
pub(crate) fn list_set(schema: &mut schemars::Schema) {
    schema.insert("x-kubernetes-list-type".into(), "set".into());
}

/// Schema extension marking a list of objects as a map keyed by `name`: names must be unique.
pub(crate) fn list_map_by_name(schema: &mut schemars::Schema) {
    list_map_by(schema, "name");
}

/// Schema extension marking a list of objects as a map keyed by `key`.
pub(crate) fn list_map_by(schema: &mut schemars::Schema, key: &str) {
    schema.insert("x-kubernetes-list-type".into(), "map".into());
    schema.insert("x-kubernetes-list-map-keys".into(), serde_json::json!([key]));
}

/// Schema extension for a list of conditions: a map keyed by `type`.
pub(crate) fn list_map_by_type(schema: &mut schemars::Schema) {
    list_map_by(schema, "type");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_condition_keeps_transition_time_while_status_holds() {
        let mut c = Vec::new();
        assert!(set_condition(&mut c, "Ready", ConditionStatus::True, "Ok", "", Some(1), "t1"));
        assert!(!set_condition(&mut c, "Ready", ConditionStatus::True, "Ok", "", Some(1), "t2"));
        assert_eq!(c[0].last_transition_time.as_deref(), Some("t1"));
        assert!(set_condition(
            &mut c,
            "Ready",
            ConditionStatus::True,
            "Ok",
            "now with a message",
            Some(2),
            "t3"
        ));
        assert_eq!(c[0].last_transition_time.as_deref(), Some("t1"));
        assert!(set_condition(&mut c, "Ready", ConditionStatus::False, "Bad", "x", Some(2), "t4"));
        assert_eq!(c[0].last_transition_time.as_deref(), Some("t4"));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn health_sets_the_three_kstatus_conditions_together() {
        let get = |c: &[Condition], t: &str| {
            let c = c.iter().find(|c| c.type_ == t).unwrap();
            (c.status, c.reason.clone(), c.observed_generation)
        };
        use ConditionStatus::{False, True};
        let mut c = Vec::new();
        let running = Health::Progressing { reason: "Running", message: "step 1" };
        assert!(set_health(&mut c, running, Some(3), "t1"));
        assert_eq!(get(&c, "Ready"), (False, "Running".into(), Some(3)));
        assert_eq!(get(&c, "Reconciling"), (True, "Running".into(), Some(3)));
        assert_eq!(get(&c, "Stalled"), (False, "Running".into(), Some(3)));
        assert!(!set_health(&mut c, running, Some(3), "t2"), "the same health changes nothing");
        set_health(&mut c, Health::Stalled { reason: "StepsFailed", message: "a" }, Some(3), "t3");
        assert_eq!(get(&c, "Ready").0, False);
        assert_eq!(get(&c, "Reconciling").0, False);
        assert_eq!(get(&c, "Stalled"), (True, "StepsFailed".into(), Some(3)));
        set_health(&mut c, Health::Ready { reason: "Succeeded", message: "" }, Some(4), "t4");
        assert_eq!((get(&c, "Ready").0, get(&c, "Stalled").0), (True, False));
        let ready = c.iter().find(|c| c.type_ == "Ready").unwrap();
        assert_eq!(ready.last_transition_time.as_deref(), Some("t4"));
        set_health(&mut c, Health::NotReady { reason: "FetchFailed", message: "" }, Some(4), "t5");
        assert_eq!(
            (get(&c, "Ready").0, get(&c, "Reconciling").0, get(&c, "Stalled").0),
            (False, False, False)
        );
        assert_eq!(c.len(), 3);
    }
}
