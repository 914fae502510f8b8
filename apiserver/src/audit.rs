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
    /// The uid of that project: the log of a project is read by its uid, so a project created again under
    /// an old name does not see the old one's entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_uid: Option<String>,
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
            project_uid: None,
        }
    }

    /// The entry of something done in project `project` (uid `project_uid`), in `namespace`.
    pub fn in_project(mut self, project: &str, project_uid: &str, namespace: Option<&str>) -> Self {
        self.project = Some(project.into());
        self.project_uid = Some(project_uid.into());
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
            IndexModel::builder().keys(doc! { "projectUid": 1, "sortKey": -1 }).build(),
            // attributing entries to their project by name and time (`mirror::attribute_history`)
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

/// Records `entry`; a failure is logged, never fatal to the change it describes. An entry of the API
/// naming a project but not its uid gets the uid of the project that had that name then (what the caller
/// acted on); one the mirror does not know yet (just created) gets it when the mirror sees the project.
pub async fn record(db: &Database, mut entry: Entry) {
    let unattributed = entry.source == Source::Api && entry.project.is_some() && entry.project_uid.is_none();
    if let (true, Some(project)) = (unattributed, &entry.project) {
        entry.project_uid = crate::mirror::project_at(db, project, entry.at_ms).await;
    }
    if let Err(err) = insert(db, &entry).await {
        tracing::warn!(%err, action = %entry.action, name = %entry.name, "could not record an audit entry");
        return;
    }
    // the project was not mirrored yet: if it is now, the mirror may have attributed its entries before
    // this one was written, so look once more
    if let (true, None, Some(project), Some(id)) =
        (unattributed, &entry.project_uid, &entry.project, entry.id)
    {
        if let Some(uid) = crate::mirror::project_at(db, project, entry.at_ms).await {
            let raw: Collection<Document> = db.collection(COLLECTION);
            let set = doc! { "$set": { "projectUid": uid } };
            if let Err(err) =
                raw.update_one(doc! { "_id": id, "projectUid": { "$exists": false } }, set).await
            {
                tracing::warn!(%err, "could not attribute an audit entry to its project (done at the next start)");
            }
        }
    }
}

/// Where a page of the log starts: after an entry (its sort key), or before a time.
pub enum Older {
    Than(String),
    ThanTime(i64),
}

/// The newest entries (of the project with uid `project_uid`, or all), at most `limit`, older than
/// `older` if given.
pub async fn entries(
    db: &Database,
    project_uid: Option<&str>,
    older: Option<Older>,
    limit: i64,
) -> mongodb::error::Result<Vec<Entry>> {
    let mut filter = Document::new();
    if let Some(uid) = project_uid {
        filter.insert("projectUid", uid);
    }
    // every sort key starts with the time in milliseconds, zero-padded: a time bound is a key bound
    match older {
        Some(Older::Than(key)) => filter.insert("sortKey", doc! { "$lt": key }),
        Some(Older::ThanTime(ms)) => filter.insert("sortKey", doc! { "$lt": format!("{ms:013}") }),
        None => None,
    };
    collection(db).find(filter).sort(doc! { "sortKey": -1 }).limit(limit).await?.try_collect().await
}
