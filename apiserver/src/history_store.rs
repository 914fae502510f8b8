//! What the handlers keep in and read from the history database, behind a trait: MongoDB in the server
//! ([`MongoHistory`]), memory in the router tests.

use crate::audit::Entry;
use mongodb::Database;

/// The history as the handlers use it.
#[async_trait::async_trait]
pub trait HistoryStore: Send + Sync {
    /// Records a change made through the API; a failure is logged, never fatal to the change.
    async fn record_audit(&self, entry: Entry);
}

/// The history in MongoDB (written by the mirror and the audit log).
pub struct MongoHistory {
    pub db: Database,
}

#[async_trait::async_trait]
impl HistoryStore for MongoHistory {
    async fn record_audit(&self, entry: Entry) {
        crate::audit::record(&self.db, entry).await;
    }
}
