//! The audit log in MongoDB: who created, changed, deleted, ran or aborted what, and when. The apiserver's
//! write path records the signed-in user; the mirror records what it sees created, changed and deleted in
//! the cluster (from kubectl, GitOps or the operator), with the user the admission webhook saw.

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
    /// Who did it: the signed-in user (`Api`), or (`Cluster`) the user the admission webhook saw, shown
    /// as `bob` for ChaosCenter users and as the whole Kubernetes username otherwise.
    pub actor: String,
    /// The Kubernetes groups of the actor (`Cluster` entries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    pub source: Source,
    /// `create`, `update`, `delete`, `run`, `abort`, `suspend`, `resume`, `add-member`, ...
    pub action: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The time, then the id (`mirror::sort_key`): unique, so pages of the log neither skip nor repeat
    /// entries that share a millisecond.
    #[serde(default)]
    pub sort_key: String,
}

impl Entry {
    /// An entry for now.
    pub fn now(actor: &str, source: Source, action: &str, kind: &str, name: &str) -> Self {
        let (id, at_ms) = (ObjectId::new(), DateTime::now().timestamp_millis());
        Self {
            id: Some(id),
            sort_key: crate::mirror::sort_key(at_ms, &id.to_hex()),
            at_ms,
            actor: actor.into(),
            groups: Vec::new(),
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

/// The indexes the audit query uses; entries written before entries had a sort key get theirs.
pub async fn ensure_indexes(db: &Database) -> mongodb::error::Result<()> {
    collection(db)
        .create_indexes([
            IndexModel::builder().keys(doc! { "project": 1, "sortKey": -1 }).build(),
            // nx-27017 ignores the compound index for the sort, but walks this one in order
            IndexModel::builder().keys(doc! { "sortKey": -1 }).build(),
        ])
        .await?;
    let raw: Collection<Document> = db.collection(COLLECTION);
    let mut old = raw.find(doc! { "sortKey": { "$exists": false } }).await?;
    while let Some(entry) = old.try_next().await? {
        let (Ok(id), Some(at_ms)) = (entry.get_object_id("_id"), crate::mirror::stored_int(&entry, "atMs"))
        else {
            continue;
        };
        let key = crate::mirror::sort_key(at_ms, &id.to_hex());
        raw.update_one(doc! { "_id": id }, doc! { "$set": { "sortKey": key } }).await?;
    }
    Ok(())
}

/// Writes `entry`.
pub async fn insert(db: &Database, entry: &Entry) -> mongodb::error::Result<()> {
    collection(db).insert_one(entry).await.map(drop)
}

/// Records `entry`; a failure is logged, never fatal to the change it describes.
pub async fn record(db: &Database, entry: Entry) {
    if let Err(err) = insert(db, &entry).await {
        tracing::warn!(%err, action = %entry.action, name = %entry.name, "could not record an audit entry");
    }
}

/// Where a page of the log starts: after an entry (its sort key), or before a time.
pub enum Older {
    Than(String),
    ThanTime(i64),
}

/// The newest entries (of `project`, or all), at most `limit`, older than `older` if given.
pub async fn entries(
    db: &Database,
    project: Option<&str>,
    older: Option<Older>,
    limit: i64,
) -> mongodb::error::Result<Vec<Entry>> {
    let mut filter = Document::new();
    if let Some(p) = project {
        filter.insert("project", p);
    }
    // every sort key starts with the time in milliseconds, zero-padded: a time bound is a key bound
    match older {
        Some(Older::Than(key)) => filter.insert("sortKey", doc! { "$lt": key }),
        Some(Older::ThanTime(ms)) => filter.insert("sortKey", doc! { "$lt": format!("{ms:013}") }),
        None => None,
    };
    collection(db).find(filter).sort(doc! { "sortKey": -1 }).limit(limit).await?.try_collect().await
}
