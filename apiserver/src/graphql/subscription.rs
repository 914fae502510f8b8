//! The subscription root, over WebSocket at `/api/graphql/ws` (graphql-transport-ws or graphql-ws; the
//! bearer token goes in connection_init's `authorization`): a run's live progress and a project's runs
//! list, both as the mirror writes them. The socket serves subscriptions only. Access is checked when a
//! subscription starts, again on every event and every few seconds, and the socket is closed (with a code
//! saying why) once the token or the membership no longer holds.

use super::access::{error, scope_of, Scope};
use super::types::RunSummary;
use crate::app::AppState;
use crate::auth::Caller;
use crate::mirror::MirrorEvent;
use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::{Context, Data, Result, Subscription as SubscriptionRoot};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{SinkExt, Stream, StreamExt};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How often an open socket's access is checked again (besides before every event it is sent).
pub const RECHECK: Duration = Duration::from_secs(5);
/// How long a socket may stay open without a successful connection_init.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a socket is closed: the WebSocket close code and a reason for the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closing {
    pub code: u16,
    pub reason: String,
}

impl Closing {
    /// 4401: the token no longer signs anyone in (revoked, signed out, the user disabled or deleted, the
    /// password changed); sign in again. (graphql-ws clients do not retry it.)
    pub const UNAUTHORIZED: u16 = 4401;
    /// 4403: no longer a member of a project subscribed to, or the project was deleted. (graphql-ws
    /// clients retry; the new subscription is refused with FORBIDDEN.)
    pub const FORBIDDEN: u16 = 4403;
    /// 4408: no connection_init in time (graphql-transport-ws's ConnectionInitialisationTimeout).
    pub const INIT_TIMEOUT: u16 = 4408;
    /// 4000: the access token expired; connect again with a fresh one (graphql-ws clients retry, asking
    /// for the token again).
    pub const EXPIRED: u16 = 4000;
    /// 1013 (try again later): access could not be checked (the database did not answer); fails closed.
    pub const UNCHECKED: u16 = 1013;

    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self { code, reason: reason.into() }
    }

    /// The reason as a close frame carries it: at most 123 bytes.
    fn frame_reason(&self) -> String {
        let mut end = self.reason.len().min(123);
        while !self.reason.is_char_boundary(end) {
            end -= 1;
        }
        self.reason[..end].to_string()
    }
}

/// What an open socket signed in with (kept to check it again).
struct SignedIn {
    authorization: String,
    /// Unix seconds.
    expires_at: u64,
}

/// One socket's access: who signed it in, the projects its subscriptions follow, and the close it is
/// to get. Kept in the connection's data, so every subscription checks with it.
pub struct Guard {
    state: Arc<AppState>,
    signed_in: OnceLock<SignedIn>,
    /// Project name → (the uid followed, how many subscriptions follow it).
    projects: Mutex<BTreeMap<String, (String, usize)>>,
    closing: tokio::sync::watch::Sender<Option<Closing>>,
}

impl Guard {
    fn new(state: Arc<AppState>) -> Self {
        Self {
            state,
            signed_in: OnceLock::new(),
            projects: Mutex::default(),
            closing: tokio::sync::watch::channel(None).0,
        }
    }

    fn is_signed_in(&self) -> bool {
        self.signed_in.get().is_some()
    }

    /// Asks for the socket to be closed (the first reason wins).
    fn close(&self, closing: Closing) {
        self.closing.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(closing);
            true
        });
    }

    /// Follows project `name` (uid `uid`) while the returned value lives.
    fn follow(self: &Arc<Self>, name: &str, uid: &str) -> Following {
        let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        projects.entry(name.to_string()).or_insert_with(|| (uid.to_string(), 0)).1 += 1;
        Following { guard: self.clone(), project: name.to_string() }
    }

    /// Checks the socket's access as it is now: the token (expired, revoked, its session ended, the user
    /// disabled: `Caller::from_authorization`) and the membership of every project followed.
    pub async fn check(&self) -> std::result::Result<(), Closing> {
        let Some(signed_in) = self.signed_in.get() else { return Ok(()) };
        verdict(&self.state, signed_in, crate::tokens::unix_now(), &self.followed()).await
    }

    /// The caller as the socket's token signs them in now (not as at connection_init: their role, their
    /// sessions and their user may have changed since).
    async fn caller(&self) -> std::result::Result<Caller, Closing> {
        let Some(signed_in) = self.signed_in.get() else {
            return Err(Closing::new(Closing::UNAUTHORIZED, "connection_init has not signed the socket in"));
        };
        current_caller(&self.state, signed_in, crate::tokens::unix_now()).await
    }

    fn followed(&self) -> Vec<(String, String)> {
        let projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        projects.iter().map(|(name, (uid, _))| (name.clone(), uid.clone())).collect()
    }
}

/// The close a socket signed in as `signed_in` and following `projects` (name, uid) gets at `now`, if any.
async fn verdict(
    state: &Arc<AppState>,
    signed_in: &SignedIn,
    now: u64,
    projects: &[(String, String)],
) -> std::result::Result<(), Closing> {
    let caller = current_caller(state, signed_in, now).await?;
    for (name, uid) in projects {
        match scope_of(state.clone(), &caller, name) {
            Ok(s) if &s.project_uid == uid => {}
            Ok(_) => {
                return Err(Closing::new(Closing::FORBIDDEN, format!("project {name:?} was deleted")));
            }
            Err(_) => {
                return Err(Closing::new(
                    Closing::FORBIDDEN,
                    format!("you are no longer a member of project {name:?}"),
                ));
            }
        }
    }
    Ok(())
}

/// Who the socket's token signs in at `now`, or the close it gets.
async fn current_caller(
    state: &AppState,
    signed_in: &SignedIn,
    now: u64,
) -> std::result::Result<Caller, Closing> {
    if now >= signed_in.expires_at {
        return Err(Closing::new(Closing::EXPIRED, "the access token expired; connect again with a new one"));
    }
    Caller::from_authorization(state, &signed_in.authorization).await.map_err(|e| {
        if e.status.is_server_error() {
            Closing::new(Closing::UNCHECKED, "could not check your access; connect again later")
        } else {
            Closing::new(Closing::UNAUTHORIZED, e.message)
        }
    })
}

/// A subscription's hold on a project: the socket checks the project while one lives.
struct Following {
    guard: Arc<Guard>,
    project: String,
}

impl Drop for Following {
    fn drop(&mut self) {
        let mut projects = self.guard.projects.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, count)) = projects.get_mut(&self.project) {
            *count -= 1;
            if *count == 0 {
                projects.remove(&self.project);
            }
        }
    }
}

/// The subscription root.
pub struct Subscription;

/// The socket's guard.
fn guard(ctx: &Context<'_>) -> Result<Arc<Guard>> {
    ctx.data::<Arc<Guard>>().cloned().map_err(|_| error("UNAUTHENTICATED", "subscribe over /api/graphql/ws"))
}

/// The scope of `project` for the socket's caller as they are now, and the subscription's hold on it. A
/// socket whose access has ended is closed.
async fn follow(ctx: &Context<'_>, project: &str) -> Result<(Scope, Following)> {
    let guard = guard(ctx)?;
    let caller = match guard.caller().await {
        Ok(caller) => caller,
        Err(closing) => {
            let code = if closing.code == Closing::UNCHECKED { "UNAVAILABLE" } else { "UNAUTHENTICATED" };
            let err = error(code, closing.reason.clone());
            guard.close(closing);
            return Err(err);
        }
    };
    let s = scope_of(super::access::state(ctx)?, &caller, project)?;
    let following = guard.follow(&s.project, &s.project_uid);
    Ok((s, following))
}

/// The run written as `event`, as the history shows it.
async fn summary(state: &AppState, event: &MirrorEvent) -> Option<RunSummary> {
    let doc = state.history.run_by_uid(&event.uid).await.ok()??;
    Some(RunSummary::from_doc(&doc))
}

/// `first`, then runs of the project with uid `project_uid` as the mirror writes them, filtered by `keep`;
/// each checked with the socket's guard before it is sent (the stream ends, and the socket closes, when
/// access ends).
fn run_changes(
    state: Arc<AppState>,
    following: Following,
    project_uid: String,
    first: Option<RunSummary>,
    keep: impl Fn(&MirrorEvent) -> bool + Send + 'static,
) -> impl Stream<Item = RunSummary> {
    let events = broadcast_stream(state.mirror_events.subscribe());
    let summaries = events
        .filter(move |e| {
            let wanted = e.kind == "ChaosWorkflowRun"
                && e.project_uid.as_deref() == Some(project_uid.as_str())
                && keep(e);
            async move { wanted }
        })
        .filter_map(move |e| {
            let state = state.clone();
            async move { summary(&state, &e).await }
        });
    checked(following, futures::stream::iter(first).chain(summaries))
}

/// `items`, each sent only after the socket's access is checked; ends when it no longer holds.
fn checked<T: Send + 'static>(
    following: Following,
    items: impl Stream<Item = T> + Send + 'static,
) -> impl Stream<Item = T> {
    futures::stream::unfold((items.boxed(), following), |(mut items, following)| async move {
        let item = items.next().await?;
        match following.guard.check().await {
            Ok(()) => Some((item, (items, following))),
            Err(closing) => {
                following.guard.close(closing);
                None
            }
        }
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
        let (s, following) = follow(ctx, &project).await?;
        let current = s
            .state
            .history
            .run(&s.project_uid, &name)
            .await
            .map_err(|_| error("UNAVAILABLE", "the history database is not answering"))?
            .map(|d| RunSummary::from_doc(&d));
        let wanted = name.clone();
        let updates = run_changes(s.state.clone(), following, s.project_uid.clone(), current, move |e| {
            e.name == wanted
        })
        .boxed();
        let finished = |r: &RunSummary| {
            use super::types::Phase;
            matches!(r.phase, Some(Phase::Succeeded | Phase::Failed | Phase::Aborted | Phase::Error))
        };
        // ends right after the finished summary, without waiting for another change of the run (a run
        // with nothing to let go of after it finishes changes no more)
        Ok(futures::stream::unfold((updates, false), move |(mut updates, done)| async move {
            if done {
                return None;
            }
            let summary = updates.next().await?;
            let done = finished(&summary);
            Some((summary, (updates, done)))
        }))
    }

    /// The project's runs list changing: each run as it is created, progresses or finishes (target
    /// previews are not in it).
    async fn runs_changed(
        &self,
        ctx: &Context<'_>,
        project: String,
    ) -> Result<impl Stream<Item = RunSummary>> {
        let (s, following) = follow(ctx, &project).await?;
        Ok(run_changes(s.state.clone(), following, s.project_uid.clone(), None, |e| !e.preview))
    }
}

/// The connection_init handler: `{"authorization": "Bearer <token>"}` signs the socket in; the value is
/// kept in `guard` to check again while the socket is open.
async fn authenticate(state: Arc<AppState>, payload: serde_json::Value, guard: Arc<Guard>) -> Result<Data> {
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
    let _ = guard.signed_in.set(SignedIn { authorization: value.to_string(), expires_at: caller.claims.exp });
    // no Caller in the socket's data: each subscription signs the token in again when it starts, and
    // queries and mutations (which would run as the caller of connection_init) are refused here
    let mut data = Data::default();
    data.insert(state);
    data.insert(guard);
    Ok(data)
}

/// Serves one GraphQL WebSocket until the client leaves or its access ends: the socket's access is checked
/// every [`RECHECK`] (and by each subscription before each event), and when it no longer holds the socket
/// is closed with a [`Closing`] code, not merely left silent.
pub async fn serve(state: Arc<AppState>, socket: WebSocket, protocol: WebSocketProtocols) {
    let guard = Arc::new(Guard::new(state.clone()));
    let (mut sink, stream) = socket.split();
    let input = stream.take_while(|message| futures::future::ready(message.is_ok())).filter_map(|message| {
        futures::future::ready(match message {
            Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
            Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
            _ => None,
        })
    });
    let schema = state.schema.clone();
    let init_guard = guard.clone();
    let mut graphql = async_graphql::http::WebSocket::new(schema, input, protocol)
        .on_connection_init(move |payload| authenticate(state, payload, init_guard))
        .boxed();
    let mut closing = guard.closing.subscribe();
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + RECHECK, RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    let close =
        |c: Closing| Message::Close(Some(CloseFrame { code: c.code, reason: c.frame_reason().into() }));
    loop {
        let message = tokio::select! {
            message = graphql.next() => match message {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => close(Closing::new(code, reason)),
                None => break,
            },
            Ok(()) = closing.changed() => match closing.borrow_and_update().clone() {
                Some(c) => close(c),
                None => continue,
            },
            _ = recheck.tick() => match guard.check().await {
                Ok(()) => continue,
                Err(c) => close(c),
            },
            _ = &mut init_deadline, if !guard.is_signed_in() => {
                close(Closing::new(Closing::INIT_TIMEOUT, "connection_init did not come in time"))
            }
        };
        let last = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || last {
            break;
        }
    }
    let _ = sink.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_frame_and_are_cut_between_characters() {
        let long = Closing::new(Closing::FORBIDDEN, "é".repeat(100));
        let reason = long.frame_reason();
        assert!(reason.len() <= 123 && reason.chars().all(|c| c == 'é'), "{reason}");
        assert_eq!(Closing::new(Closing::EXPIRED, "short").frame_reason(), "short");
    }
}
