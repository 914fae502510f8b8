//! The GraphQL object types and enums, and how they are read from mirrored documents.

use crate::mirror::{stored_int, stored_number};
use async_graphql::{Enum, SimpleObject};
use mongodb::bson::Document;

/// A member's role in a project.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(rename_items = "PascalCase")]
pub enum ProjectRole {
    Owner,
    Editor,
    Viewer,
}

impl From<chaoscenter_crds::project::Role> for ProjectRole {
    fn from(role: chaoscenter_crds::project::Role) -> Self {
        use chaoscenter_crds::project::Role;
        match role {
            Role::Owner => Self::Owner,
            Role::Editor => Self::Editor,
            Role::Viewer => Self::Viewer,
        }
    }
}

/// The phase of a run.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(rename_items = "PascalCase")]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Aborted,
    Error,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Aborted => "Aborted",
            Self::Error => "Error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Running, Self::Succeeded, Self::Failed, Self::Aborted, Self::Error]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

impl From<chaoscenter_crds::run::RunPhase> for Phase {
    fn from(phase: chaoscenter_crds::run::RunPhase) -> Self {
        use chaoscenter_crds::run::RunPhase;
        match phase {
            RunPhase::Pending => Self::Pending,
            RunPhase::Running => Self::Running,
            RunPhase::Succeeded => Self::Succeeded,
            RunPhase::Failed => Self::Failed,
            RunPhase::Aborted => Self::Aborted,
            RunPhase::Error => Self::Error,
        }
    }
}

/// What started a run.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(rename_items = "PascalCase")]
pub enum Trigger {
    Manual,
    Schedule,
    GitOps,
    Api,
    Change,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "Manual",
            Self::Schedule => "Schedule",
            Self::GitOps => "GitOps",
            Self::Api => "Api",
            Self::Change => "Change",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Manual, Self::Schedule, Self::GitOps, Self::Api, Self::Change]
            .into_iter()
            .find(|t| t.as_str() == text)
    }
}

impl From<chaoscenter_crds::run::Trigger> for Trigger {
    fn from(trigger: chaoscenter_crds::run::Trigger) -> Self {
        use chaoscenter_crds::run::Trigger as T;
        match trigger {
            T::Manual => Self::Manual,
            T::Schedule => Self::Schedule,
            T::GitOps => Self::GitOps,
            T::Api => Self::Api,
            T::Change => Self::Change,
        }
    }
}

/// A project member.
#[derive(SimpleObject, Clone)]
pub struct MemberView {
    pub user: String,
    pub role: ProjectRole,
}

/// A project the caller may see.
#[derive(SimpleObject, Clone)]
pub struct ProjectView {
    pub name: String,
    pub display_name: String,
    pub description: String,
    /// Where its workflows and runs live.
    pub namespace: String,
    /// The caller's role (null for an admin who is not a member).
    pub my_role: Option<ProjectRole>,
    pub members: Vec<MemberView>,
    pub target_namespaces: Vec<String>,
}

/// A run in a list: what the history page shows.
#[derive(SimpleObject, Clone, Debug)]
pub struct RunSummary {
    pub uid: String,
    pub name: String,
    pub workflow: String,
    pub phase: Option<Phase>,
    pub trigger: Option<Trigger>,
    /// Who created the run, as the admission webhook saw them: `bob` for a ChaosCenter user, else the whole
    /// Kubernetes username (e.g. a GitOps controller's ServiceAccount). Null for runs created without it.
    pub author: Option<String>,
    /// The resiliency score, 0–100, once finished.
    pub score: Option<f64>,
    /// RFC 3339.
    pub created_at: String,
    /// Gone from the cluster (pruned or deleted); kept in history.
    pub deleted: bool,
}

/// One run in full.
#[derive(SimpleObject, Clone)]
pub struct RunDetail {
    #[graphql(flatten)]
    pub summary: RunSummary,
    /// The frozen definition the run executes (the workflow's spec).
    pub definition: Option<async_graphql::Json<serde_json::Value>>,
    /// The run's status: steps, targets with injection and revert times, probe verdicts, conditions.
    pub status: Option<async_graphql::Json<serde_json::Value>>,
    /// The run's Events, oldest first (only while the run is in the cluster).
    pub events: Vec<EventView>,
}

/// A run's log: the operator's lines about the run and its cmd probes' output, redacted; the newest 2000
/// lines and 256 KiB are kept.
#[derive(SimpleObject, Clone, Debug, Default, PartialEq)]
pub struct RunLogView {
    /// The lines, oldest first: `<time> <LEVEL> <message> <fields>`, or `<time> OUTPUT [<probe>] <line>` for
    /// a cmd probe's output. When older lines were dropped, the first line says how many.
    pub lines: Vec<String>,
    /// Whether older lines were dropped to keep the log within its bound.
    pub truncated: bool,
    /// How many older lines were dropped.
    pub dropped: i64,
}

impl RunLogView {
    /// From a mirrored ChaosRunLog document.
    pub fn from_doc(doc: &Document) -> Self {
        let obj = object(doc);
        let lines = obj["spec"]["lines"]
            .as_array()
            .map(|lines| lines.iter().filter_map(|l| l.as_str().map(String::from)).collect())
            .unwrap_or_default();
        let dropped = obj["spec"]["dropped"].as_i64().unwrap_or(0).max(0);
        Self { lines, truncated: dropped > 0, dropped }
    }
}

/// A Kubernetes Event about a run.
#[derive(SimpleObject, Clone)]
pub struct EventView {
    pub time: Option<String>,
    pub kind: String,
    pub reason: String,
    pub message: String,
}

/// A workflow with its last run.
#[derive(SimpleObject, Clone)]
pub struct WorkflowView {
    pub name: String,
    pub description: Option<String>,
    pub schedule: Option<String>,
    pub suspended: bool,
    pub last_run: Option<String>,
    pub last_phase: Option<Phase>,
    pub last_score: Option<f64>,
    /// The full object, for editing.
    pub object: async_graphql::Json<serde_json::Value>,
}

/// An edge of the runs connection.
#[derive(SimpleObject, Clone)]
pub struct RunEdge {
    pub cursor: String,
    pub node: RunSummary,
}

/// Where a page ends.
#[derive(SimpleObject, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A page of runs, newest first.
#[derive(SimpleObject, Clone)]
pub struct RunConnection {
    pub edges: Vec<RunEdge>,
    pub page_info: PageInfo,
}

/// An audit log entry.
#[derive(SimpleObject, Clone)]
pub struct AuditView {
    /// RFC 3339, millisecond precision.
    pub at: String,
    /// Who did it: the signed-in user (source API) or the user the admission webhook saw (source CLUSTER),
    /// `bob` for a ChaosCenter user, else the whole Kubernetes username.
    pub actor: String,
    /// The actor's Kubernetes groups (source CLUSTER).
    pub groups: Vec<String>,
    /// `API` (the apiserver's write path) or `CLUSTER` (seen in the cluster).
    pub source: String,
    pub action: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub project: Option<String>,
    /// Pass as `after` to read the entries older than this one.
    pub cursor: String,
}

impl From<crate::audit::Entry> for AuditView {
    fn from(e: crate::audit::Entry) -> Self {
        Self {
            at: jiff::Timestamp::from_millisecond(e.at_ms).map(|t| t.to_string()).unwrap_or_default(),
            actor: e.actor,
            groups: e.groups,
            source: match e.source {
                crate::audit::Source::Api => "API".into(),
                crate::audit::Source::Cluster => "CLUSTER".into(),
            },
            action: e.action,
            kind: e.kind,
            namespace: e.namespace,
            name: e.name,
            project: e.project,
            cursor: e.sort_key,
        }
    }
}

/// A project deleted from the cluster, whose history is kept (for admins).
#[derive(SimpleObject, Clone, Debug)]
pub struct DeletedProjectView {
    pub name: String,
    /// Pass as `projectUid` to read its history.
    pub uid: String,
    /// RFC 3339.
    pub created_at: String,
    /// When the mirror saw it go (RFC 3339).
    pub deleted_at: Option<String>,
}

impl DeletedProjectView {
    /// From a mirrored Project document.
    pub fn from_doc(doc: &Document) -> Self {
        let time = |ms: i64| jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).ok();
        Self {
            name: doc.get_str("name").unwrap_or_default().to_string(),
            uid: doc.get_str("_id").unwrap_or_default().to_string(),
            created_at: stored_int(doc, "createdMs").and_then(time).unwrap_or_default(),
            deleted_at: crate::mirror::deleted_ms(doc).and_then(time),
        }
    }
}

/// A mirrored object's JSON.
pub fn object(doc: &Document) -> serde_json::Value {
    doc.get_str("object").ok().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
}

impl RunSummary {
    /// From a mirrored run document.
    pub fn from_doc(doc: &Document) -> Self {
        let created = stored_int(doc, "createdMs").unwrap_or(0);
        Self {
            uid: doc.get_str("uid").or_else(|_| doc.get_str("_id")).unwrap_or_default().to_string(),
            name: doc.get_str("name").unwrap_or_default().to_string(),
            workflow: doc.get_str("workflow").unwrap_or_default().to_string(),
            phase: doc.get_str("phase").ok().and_then(Phase::parse),
            trigger: doc.get_str("trigger").ok().and_then(Trigger::parse),
            author: doc.get_str("author").ok().map(String::from),
            score: stored_number(doc, "score"),
            created_at: jiff::Timestamp::from_millisecond(created).map(|t| t.to_string()).unwrap_or_default(),
            deleted: stored_int(doc, "deleted").unwrap_or(0) != 0,
        }
    }
}

/// One problem with a definition: the field it is about and what is wrong (with the limit, where there is
/// one).
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct FieldErrorView {
    /// The field's path, e.g. `spec.steps[2].fault.duration`.
    pub field: String,
    /// What is wrong, e.g. `"2h" is more than the run's maxDuration (30m)`.
    pub message: String,
}
