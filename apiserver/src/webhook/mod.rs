//! The admission webhook the Kubernetes API server calls before it stores a ChaosCenter object: it stamps
//! the real author and a run's trigger (mutating), refuses invalid definitions, changed runs and preview
//! labels the apiserver did not set (validating), and notes who deleted what for the audit log. Served
//! over TLS with its own certificate.

pub mod certs;
pub mod review;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chaoscenter_crds::run::Trigger;
use chaoscenter_crds::{ChaosWorkflow, ChaosWorkflowRun};
use kube::api::{Api, DynamicObject};
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use kube::Client;
use mongodb::bson::doc;
use review::{Identities, Identity};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

/// The collection where the webhook notes who asked to delete an object (by uid) until the mirror sees
/// it go and writes the audit entry.
pub const DELETES_COLLECTION: &str = "audit_deletes";
/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long noting a delete may take: the delete is never held up longer (failurePolicy Ignore).
const NOTE_TIMEOUT: Duration = Duration::from_secs(2);

/// The webhook's settings.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    pub listen: SocketAddr,
    pub certs: certs::CertConfig,
    pub identities: Identities,
}

/// What the handlers share.
pub struct Webhook {
    client: Client,
    db: mongodb::Database,
    ids: Identities,
}

/// Serves the webhook until the process ends; the certificate is kept current beside it.
pub async fn serve(config: WebhookConfig, client: Client, db: mongodb::Database) -> anyhow::Result<()> {
    let serving = certs::ServingCert::new();
    tokio::spawn(certs::maintain(client.clone(), config.certs.clone(), serving.clone()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(serving);
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpListener::bind(config.listen).await?;
    tracing::info!(webhook = %tcp.local_addr()?, "admission webhook listening");
    let listener = TlsListener::new(tcp, tokio_rustls::TlsAcceptor::from(Arc::new(tls)))?;
    let state = Arc::new(Webhook { client, db, ids: config.identities });
    axum::serve(listener, routes(state)).await?;
    Ok(())
}

/// The webhook's routes.
pub fn routes(state: Arc<Webhook>) -> Router {
    Router::new()
        .route("/admission/mutate", post(mutate))
        .route("/admission/validate", post(validate))
        .layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024))
        .with_state(state)
}

/// Accepts TCP connections and completes TLS handshakes concurrently, so a slow client holds up no one.
struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    fn new(tcp: TcpListener, acceptor: tokio_rustls::TlsAcceptor) -> std::io::Result<Self> {
        let addr = tcp.local_addr()?;
        let (tx, ready) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        tracing::debug!(%err, "webhook accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(err)) => tracing::debug!(%peer, %err, "webhook TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "webhook TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { ready, addr })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // the accept loop never ends while the listener lives
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

type Review = AdmissionReview<DynamicObject>;

/// Reads a review's request; a review that cannot be read is answered as invalid.
fn request(review: Review) -> Result<AdmissionRequest<DynamicObject>, Box<Json<Review>>> {
    review.try_into().map_err(|err: kube::core::admission::ConvertAdmissionReviewError| {
        Box::new(Json(AdmissionResponse::invalid(err.to_string()).into_review()))
    })
}

fn kind_of(req: &AdmissionRequest<DynamicObject>) -> &str {
    req.kind.kind.as_str()
}

async fn mutate(State(w): State<Arc<Webhook>>, Json(review): Json<Review>) -> Json<Review> {
    let req = match request(review) {
        Ok(req) => req,
        Err(answer) => return *answer,
    };
    let response = AdmissionResponse::from(&req);
    if !matches!(req.operation, Operation::Create | Operation::Update) {
        return Json(response.into_review());
    }
    let who = Identity::of(&req.user_info);
    let object = req.object.as_ref().and_then(|o| serde_json::to_value(o).ok()).unwrap_or(Value::Null);
    let author = match req.operation {
        Operation::Create => Some((who.username.clone(), who.groups.join(","))),
        _ => req
            .old_object
            .as_ref()
            .and_then(|o| serde_json::to_value(o).ok())
            .and_then(|o| review::author_of(&o)),
    };
    let mut ops = review::stamp(&object, author.as_ref().map(|(a, g)| (a.as_str(), g.as_str())), &who);
    if kind_of(&req) == "ChaosWorkflowRun" && req.operation == Operation::Create {
        match run_on_create(&w, &req, &object, &who).await {
            Ok(more) => ops.extend(more),
            Err(message) => return Json(response.deny(message).into_review()),
        }
    }
    let patch: json_patch::Patch = match serde_json::from_value(Value::Array(ops)) {
        Ok(patch) => patch,
        Err(err) => {
            return Json(response.deny(format!("internal error building the patch: {err}")).into_review())
        }
    };
    match response.clone().with_patch(patch) {
        Ok(answer) => Json(answer.into_review()),
        Err(err) => Json(response.deny(format!("internal error encoding the patch: {err}")).into_review()),
    }
}

/// What a new run gets: the trigger its creator may claim, and the definition of its workflow frozen in
/// when it has none (what runs is what was checked here).
async fn run_on_create(
    w: &Webhook,
    req: &AdmissionRequest<DynamicObject>,
    object: &Value,
    who: &Identity,
) -> Result<Vec<Value>, String> {
    let mut ops = Vec::new();
    let asked: Trigger = object
        .pointer("/spec/trigger")
        .and_then(|t| serde_json::from_value(t.clone()).ok())
        .unwrap_or_default();
    let trigger = w.ids.trigger(who, asked);
    if object.pointer("/spec/trigger") != Some(&json!(trigger)) {
        ops.push(json!({"op": "add", "path": "/spec/trigger", "value": trigger}));
    }
    if object.pointer("/spec/workflow").is_none_or(Value::is_null) {
        let name = object.pointer("/spec/workflowRef/name").and_then(Value::as_str).unwrap_or_default();
        let ns = req.namespace.clone().unwrap_or_default();
        if name.is_empty() {
            return Err("spec.workflowRef.name: required".into());
        }
        let api: Api<ChaosWorkflow> = Api::namespaced(w.client.clone(), &ns);
        match api.get_opt(name).await {
            Ok(Some(wf)) => {
                let spec = serde_json::to_value(&wf.spec).map_err(|e| e.to_string())?;
                ops.push(json!({"op": "add", "path": "/spec/workflow", "value": spec}));
            }
            Ok(None) => {
                return Err(format!(
                    "spec.workflowRef.name: ChaosWorkflow {name:?} not found in namespace {ns}"
                ))
            }
            Err(err) => {
                return Err(format!(
                    "could not read ChaosWorkflow {name:?} to freeze its definition into the run: {err}"
                ))
            }
        }
    }
    Ok(ops)
}

async fn validate(State(w): State<Arc<Webhook>>, Json(review): Json<Review>) -> Json<Review> {
    let req = match request(review) {
        Ok(req) => req,
        Err(answer) => return *answer,
    };
    let response = AdmissionResponse::from(&req);
    let who = Identity::of(&req.user_info);
    let verdict = match req.operation {
        Operation::Delete => {
            if !req.dry_run {
                note_delete(&w, &req, &who).await;
            }
            Ok(())
        }
        Operation::Create | Operation::Update => check(&w, &req, &who),
        _ => Ok(()),
    };
    Json(match verdict {
        Ok(()) => response.into_review(),
        Err(message) => {
            let kind = kind_of(&req);
            let at = match &req.namespace {
                Some(ns) => format!("{ns}/{}", req.name),
                None => req.name.clone(),
            };
            response.deny(format!("{kind} {at}: {message}")).into_review()
        }
    })
}

fn check(w: &Webhook, req: &AdmissionRequest<DynamicObject>, who: &Identity) -> Result<(), String> {
    let value = |o: &Option<DynamicObject>| o.as_ref().and_then(|o| serde_json::to_value(o).ok());
    let (object, old) = (value(&req.object).unwrap_or(Value::Null), value(&req.old_object));
    review::authorship(&object, old.as_ref(), who)?;
    match kind_of(req) {
        "ChaosWorkflow" => {
            let new: ChaosWorkflow = typed(&object)?;
            let unchanged =
                old.as_ref().and_then(|o| typed::<ChaosWorkflow>(o).ok()).is_some_and(|o| o.spec == new.spec);
            // a metadata-only change (a finalizer, run-now) never waits for a spec that got stricter limits
            if unchanged {
                Ok(())
            } else {
                review::definition("spec", &new.spec)
            }
        }
        "ChaosWorkflowRun" => {
            let new: ChaosWorkflowRun = typed(&object)?;
            let old = old.as_ref().map(typed::<ChaosWorkflowRun>).transpose()?;
            review::preview_label(&new, old.as_ref(), who)?;
            match old {
                None => {
                    new.spec.workflow.as_ref().map_or(Ok(()), |wf| review::definition("spec.workflow", wf))
                }
                Some(old) => review::run_update(&old.spec, &new.spec, who, &w.ids),
            }
        }
        _ => Ok(()),
    }
}

fn typed<K: serde::de::DeserializeOwned>(object: &Value) -> Result<K, String> {
    serde_json::from_value(object.clone()).map_err(|e| format!("cannot be read: {e}"))
}

/// Notes who asked to delete the object, for the audit entry the mirror writes when it is gone.
async fn note_delete(w: &Webhook, req: &AdmissionRequest<DynamicObject>, who: &Identity) {
    let Some(uid) = req.old_object.as_ref().and_then(|o| o.metadata.uid.clone()) else { return };
    let identity = mongodb::bson::to_bson(who).unwrap_or_default();
    let coll: mongodb::Collection<mongodb::bson::Document> = w.db.collection(DELETES_COLLECTION);
    let at = mongodb::bson::DateTime::now().timestamp_millis();
    let write = coll.replace_one(
        doc! { "_id": &uid },
        doc! { "_id": &uid, "identity": identity, "atMs": at, "kind": kind_of(req), "name": &req.name },
    );
    match tokio::time::timeout(NOTE_TIMEOUT, write.upsert(true)).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            tracing::warn!(%err, %uid, "could not note who deleted an object; its audit entry will name no one")
        }
        Err(_) => {
            tracing::warn!(%uid, "noting who deleted an object timed out; its audit entry will name no one")
        }
    }
}
