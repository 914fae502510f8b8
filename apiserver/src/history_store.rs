//! What the handlers keep in and read from the history database, behind a trait: MongoDB in the server
//! ([`MongoHistory`]), memory in the router tests. Documents are the mirror's (see `mirror`); the GraphQL
//! views are made from them in `graphql`, the same whichever store answered.

use crate::audit::{Entry, Older};
use crate::graphql::{RunFilter, Statistics};
use crate::mirror::collection_name;
use chaoscenter_crds::{ChaosRunLog, ChaosWorkflow, ChaosWorkflowRun, Project};
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::{Collection, Database};

/// The history as the handlers use it. Every read is of one project's uid (never its name), except the
/// admin-only whole audit log and list of deleted projects.
#[async_trait::async_trait]
pub trait HistoryStore: Send + Sync {
    /// Records a change made through the API; a failure is logged, never fatal to the change.
    async fn record_audit(&self, entry: Entry);
    /// The project's workflows still in the cluster, by name.
    async fn workflows(&self, project_uid: &str) -> anyhow::Result<Vec<Document>>;
    /// The project's runs in history (no target previews) matching `filter`, older than the sort key
    /// `after`, newest first, at most `limit`; without the stored object.
    async fn runs(
        &self,
        project_uid: &str,
        filter: &RunFilter,
        after: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<Document>>;
    /// The project's newest run named `name`, with its object.
    async fn run(&self, project_uid: &str, name: &str) -> anyhow::Result<Option<Document>>;
    /// The run with uid `uid`, without its object.
    async fn run_by_uid(&self, uid: &str) -> anyhow::Result<Option<Document>>;
    /// The log of the run with uid `run_uid` (its mirrored ChaosRunLog, with its object), if it has one.
    async fn run_log(&self, run_uid: &str) -> anyhow::Result<Option<Document>>;
    /// Statistics of the project's runs created at or after `since_ms`.
    async fn statistics(&self, project_uid: &str, since_ms: i64) -> anyhow::Result<Statistics>;
    /// The newest audit entries (of the project, or all), at most `limit`, older than `older`.
    async fn audit_entries(
        &self,
        project_uid: Option<&str>,
        older: Option<Older>,
        limit: i64,
    ) -> anyhow::Result<Vec<Entry>>;
    /// Projects deleted from the cluster, the latest deletion first, at most `limit`; without objects.
    async fn deleted_projects(&self, limit: i64) -> anyhow::Result<Vec<Document>>;
    /// Whether a project named `name` with uid `uid` was ever recorded.
    async fn project_recorded(&self, name: &str, uid: &str) -> anyhow::Result<bool>;
}

/// The history in MongoDB (written by the mirror and the audit log).
pub struct MongoHistory {
    pub db: Database,
}

impl MongoHistory {
    fn runs_collection(&self) -> Collection<Document> {
        self.db.collection(&collection_name::<ChaosWorkflowRun>())
    }
}

#[async_trait::async_trait]
impl HistoryStore for MongoHistory {
    async fn record_audit(&self, entry: Entry) {
        crate::audit::record(&self.db, entry).await;
    }

    async fn workflows(&self, project_uid: &str) -> anyhow::Result<Vec<Document>> {
        let coll = self.db.collection::<Document>(&collection_name::<ChaosWorkflow>());
        let cursor =
            coll.find(doc! { "projectUid": project_uid, "deleted": false }).sort(doc! { "name": 1 }).await?;
        Ok(cursor.try_collect().await?)
    }

    async fn runs(
        &self,
        project_uid: &str,
        filter: &RunFilter,
        after: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<Document>> {
        let cursor = self
            .runs_collection()
            .find(crate::graphql::history_query(project_uid, filter, after))
            .projection(doc! { "object": 0 })
            .sort(doc! { "sortKey": -1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await?;
        Ok(cursor.try_collect().await?)
    }

    async fn run(&self, project_uid: &str, name: &str) -> anyhow::Result<Option<Document>> {
        let found = self
            .runs_collection()
            .find_one(doc! { "projectUid": project_uid, "name": name })
            .sort(doc! { "createdMs": -1 })
            .await?;
        Ok(found)
    }

    async fn run_by_uid(&self, uid: &str) -> anyhow::Result<Option<Document>> {
        Ok(self.runs_collection().find_one(doc! { "_id": uid }).projection(doc! { "object": 0 }).await?)
    }

    async fn run_log(&self, run_uid: &str) -> anyhow::Result<Option<Document>> {
        let logs = self.db.collection::<Document>(&collection_name::<ChaosRunLog>());
        // one object per run; should a second have been made for it (written as the run went away), the
        // fuller one
        let found = logs
            .find_one(doc! { "runUid": run_uid })
            .sort(doc! { "lineCount": -1, "resourceVersion": -1 })
            .await?;
        Ok(found)
    }

    async fn statistics(&self, project_uid: &str, since_ms: i64) -> anyhow::Result<Statistics> {
        Ok(crate::graphql::statistics(&self.db, project_uid, since_ms).await?)
    }

    async fn audit_entries(
        &self,
        project_uid: Option<&str>,
        older: Option<Older>,
        limit: i64,
    ) -> anyhow::Result<Vec<Entry>> {
        Ok(crate::audit::entries(&self.db, project_uid, older, limit).await?)
    }

    async fn deleted_projects(&self, limit: i64) -> anyhow::Result<Vec<Document>> {
        let cursor = self
            .db
            .collection::<Document>(&collection_name::<Project>())
            .find(doc! { "deleted": true })
            .projection(doc! { "object": 0 })
            .sort(doc! { "deletedMs": -1 })
            .limit(limit)
            .await?;
        Ok(cursor.try_collect().await?)
    }

    async fn project_recorded(&self, name: &str, uid: &str) -> anyhow::Result<bool> {
        let projects = self.db.collection::<Document>(&collection_name::<Project>());
        Ok(projects.find_one(doc! { "_id": uid, "name": name }).await?.is_some())
    }
}
