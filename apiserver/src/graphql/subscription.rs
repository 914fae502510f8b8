//! The subscription root, over WebSocket at `/api/graphql/ws` (graphql-transport-ws or graphql-ws; the
//! bearer token goes in connection_init's `authorization`): a run's live progress and a project's runs
//! list, both as the mirror writes them.

use super::access::{error, scope};
use super::types::RunSummary;
use crate::app::AppState;
use crate::auth::Caller;
use crate::mirror::{collection_name, MirrorEvent};
use async_graphql::{Context, Data, Result, Subscription as SubscriptionRoot};
use chaoscenter_crds::ChaosWorkflowRun;
use futures::{Stream, StreamExt};
use mongodb::bson::{doc, Document};
use std::sync::Arc;

/// The subscription root.
pub struct Subscription;

/// The run written as `event`, as the history shows it.
async fn summary(state: &AppState, event: &MirrorEvent) -> Option<RunSummary> {
    let coll = state.db.collection::<Document>(&collection_name::<ChaosWorkflowRun>());
    let doc = coll.find_one(doc! { "_id": &event.uid }).projection(doc! { "object": 0 }).await.ok()??;
    Some(RunSummary::from_doc(&doc))
}

/// Runs of `project` as the mirror writes them, filtered by `keep`.
fn run_changes(
    state: Arc<AppState>,
    project: String,
    keep: impl Fn(&MirrorEvent) -> bool + Send + 'static,
) -> impl Stream<Item = RunSummary> {
    let events = broadcast_stream(state.mirror_events.subscribe());
    events
        .filter(move |e| {
            let wanted =
                e.kind == "ChaosWorkflowRun" && e.project.as_deref() == Some(project.as_str()) && keep(e);
            async move { wanted }
        })
        .filter_map(move |e| {
            let state = state.clone();
            async move { summary(&state, &e).await }
        })
}

/// A broadcast receiver as a stream; a subscriber too slow to keep up skips what it missed.
fn broadcast_stream(rx: tokio::sync::broadcast::Receiver<MirrorEvent>) -> impl Stream<Item = MirrorEvent> {
    use tokio::sync::broadcast::error::RecvError;
    futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(event) => return Some((event, rx)),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

#[SubscriptionRoot]
impl Subscription {
    /// One run's progress: its summary now, then each time it changes, until it finishes.
    async fn run_updated(
        &self,
        ctx: &Context<'_>,
        project: String,
        name: String,
    ) -> Result<impl Stream<Item = RunSummary>> {
        let s = scope(ctx, &project)?;
        let coll = s.state.db.collection::<Document>(&collection_name::<ChaosWorkflowRun>());
        let current = coll
            .find_one(doc! { "project": &s.project, "name": &name })
            .projection(doc! { "object": 0 })
            .await
            .map_err(|_| error("UNAVAILABLE", "the history database is not answering"))?
            .map(|d| RunSummary::from_doc(&d));
        let wanted = name.clone();
        let changes = run_changes(s.state.clone(), s.project.clone(), move |e| e.name == wanted);
        let finished = |r: &RunSummary| {
            use super::types::Phase;
            matches!(r.phase, Some(Phase::Succeeded | Phase::Failed | Phase::Aborted | Phase::Error))
        };
        // ends right after the finished summary, without waiting for another change of the run (a run
        // with nothing to let go of after it finishes changes no more)
        let updates = futures::stream::iter(current).chain(changes).boxed();
        Ok(futures::stream::unfold((updates, false), move |(mut updates, done)| async move {
            if done {
                return None;
            }
            let summary = updates.next().await?;
            let done = finished(&summary);
            Some((summary, (updates, done)))
        }))
    }

    /// The project's runs list changing: each run as it is created, progresses or finishes.
    async fn runs_changed(
        &self,
        ctx: &Context<'_>,
        project: String,
    ) -> Result<impl Stream<Item = RunSummary>> {
        let s = scope(ctx, &project)?;
        Ok(run_changes(s.state.clone(), s.project.clone(), |_| true))
    }
}

/// The connection_init handler: `{"authorization": "Bearer <token>"}` signs the socket in.
pub async fn authenticate(state: Arc<AppState>, payload: serde_json::Value) -> Result<Data> {
    let value = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            error("UNAUTHENTICATED", "connection_init needs {\"authorization\": \"Bearer <token>\"}")
        })?;
    let caller =
        Caller::from_authorization(&state, value).await.map_err(|e| error("UNAUTHENTICATED", e.message))?;
    caller.require_password_changed().map_err(|e| error("FORBIDDEN", e.message))?;
    let mut data = Data::default();
    data.insert(caller);
    data.insert(state);
    Ok(data)
}
