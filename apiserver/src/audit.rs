//! The audit log in MongoDB: who created, changed, deleted, ran or aborted what, and when. The apiserver's
//! write path records the signed-in user; the mirror records what it sees appear and disappear in the
//! cluster (from kubectl, GitOps or the operator), with the field manager the cluster recorded.

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

/// The audit collection.
pub const COLLECTION: &str = "audit";

/// Where an entry was seen.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A change the apiserver made for a signed-in user.
    Api,
    /// A change seen in the cluster (any client).
    Cluster,
}

/// One audit entry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ObjectId>,
    /// Unix ms.
    pub at_ms: i64,
    /// The user (`Api`), or the field manager the cluster recorded (`Cluster`), e.g. `kubectl-create`.
    pub actor: String,
    pub source: Source,
    /// `create`, `update`, `delete`, `run`, `abort`, `suspend`, `resume`, `add-member`, ...
    pub action: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

impl Entry {
    /// An entry for now.
    pub fn now(actor: &str, source: Source, action: &str, kind: &str, name: &str) -> Self {
        Self {
            id: None,
            at_ms: DateTime::now().timestamp_millis(),
            actor: actor.into(),
            source,
            action: action.into(),
            kind: kind.into(),
            namespace: None,
            name: name.into(),
            project: None,
        }
    }

    pub fn in_project(mut self, project: &str, namespace: Option<&str>) -> Self {
        self.project = Some(project.into());
        self.namespace = namespace.map(String::from);
        self
    }
}

fn collection(db: &Database) -> Collection<Entry> {
    db.collection(COLLECTION)
}

/// The indexes the audit query uses.
pub async fn ensure_indexes(db: &Database) -> mongodb::error::Result<()> {
    collection(db)
        .create_indexes([
            IndexModel::builder().keys(doc! { "project": 1, "atMs": -1 }).build(),
            IndexModel::builder().keys(doc! { "atMs": -1 }).build(),
        ])
        .await
        .map(|_| ())
}

/// Records `entry`; a failure is logged, never fatal to the change it describes.
pub async fn record(db: &Database, entry: Entry) {
    if let Err(err) = collection(db).insert_one(&entry).await {
        tracing::warn!(%err, action = %entry.action, name = %entry.name, "could not record an audit entry");
    }
}

/// The newest entries (of `project`, or all), at most `limit`, older than `before_ms` if given.
pub async fn entries(
    db: &Database,
    project: Option<&str>,
    before_ms: Option<i64>,
    limit: i64,
) -> mongodb::error::Result<Vec<Entry>> {
    let mut filter = Document::new();
    if let Some(p) = project {
        filter.insert("project", p);
    }
    if let Some(before) = before_ms {
        filter.insert("atMs", doc! { "$lt": before });
    }
    collection(db).find(filter).sort(doc! { "atMs": -1 }).limit(limit).await?.try_collect().await
}
