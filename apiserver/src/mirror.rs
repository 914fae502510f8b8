//! The mirror: every ChaosCenter object as the cluster last showed it, in MongoDB, keyed by uid.
//!
//! One watch per kind feeds a writer that upserts idempotently and never lets an older resourceVersion
//! overwrite a newer one. While MongoDB is unreachable, changes are kept in memory (the latest per object)
//! and written when it returns, so no run is lost. After every (re-)list, objects the list no longer has
//! are marked deleted; their documents stay, so run history outlives runs pruned from the cluster.

use crate::audit::Entry;
use crate::webhook::review::{display_name, Identity};
use chaoscenter_crds::common::{AUTHOR_ANNOTATION, CHANGED_BY_ANNOTATION, PREVIEW_LABEL};
use chaoscenter_crds::{ChaosHub, ChaosUser, ChaosWorkflow, ChaosWorkflowRun, Project};
use futures::StreamExt;
use kube::api::Api;
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Resource, ResourceExt};
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// The collection mirroring kind `K` (e.g. `mirror_chaosworkflowruns`).
pub fn collection_name<K: Resource<DynamicType = ()>>() -> String {
    format!("mirror_{}", K::plural(&()))
}

/// A change waiting to be written.
#[derive(Clone, Debug)]
enum Change {
    Upsert(Document),
    Delete(Document),
}

/// The resourceVersion as a number. Kubernetes calls it opaque, but every API server backed by etcd makes
/// it the etcd revision, which only grows; the mirror relies on that to order versions of an object.
fn version(meta: &kube::api::ObjectMeta) -> i64 {
    meta.resource_version.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The mirrored document of `obj`: the object itself as JSON (without managedFields), its identity, and
/// the fields queries filter and sort on.
fn document<K>(obj: &K, extra: &dyn Fn(&K) -> Document) -> Option<Document>
where
    K: Resource<DynamicType = ()> + serde::Serialize,
{
    let meta = obj.meta();
    let uid = meta.uid.clone()?;
    // who the cluster says wrote it first (e.g. kubectl-create, argocd-controller, chaoscenter-operator)
    let manager = meta
        .managed_fields
        .as_ref()
        .and_then(|fields| fields.iter().find_map(|f| f.manager.clone()))
        .unwrap_or_default();
    let annotation = |key: &str| meta.annotations.as_ref().and_then(|a| a.get(key)).cloned();
    let mut value = serde_json::to_value(obj).ok()?;
    if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.remove("managedFields");
    }
    // kept as JSON text: label and annotation keys contain dots, which MongoDB before 5.0 and nx-27017
    // reject as field names, and no query looks inside the object (the fields it needs are extracted)
    let object = serde_json::to_string(&value).ok()?;
    let created = meta
        .creation_timestamp
        .as_ref()
        .map(|t| DateTime::from_millis(t.0.as_millisecond()))
        .unwrap_or_else(DateTime::now);
    let mut doc = doc! {
        "_id": &uid,
        // _id again, readable where `_id` is awkward (nx-27017 cannot index `_id` in a compound index)
        "uid": &uid,
        "kind": K::kind(&()).to_string(),
        "name": meta.name.clone().unwrap_or_default(),
        "namespace": meta.namespace.clone().map(Bson::String).unwrap_or(Bson::Null),
        "resourceVersion": version(meta),
        "createdAt": created,
        // creation time in Unix milliseconds: what pagination and time ranges compare (portable across servers
        // that store dates differently)
        "createdMs": created.timestamp_millis(),
        // the keyset of history pages: newest first is descending order of this one string (a single-field
        // range, which every engine serves from the index, where `(createdMs, uid)` pairs need an `$or`)
        "sortKey": sort_key(created.timestamp_millis(), &uid),
        "deleted": false,
        "manager": manager,
        // who created it and who wrote it last, as the admission webhook stamped them (absent on objects
        // written before the webhook existed)
        "author": annotation(AUTHOR_ANNOTATION).map(|a| Bson::String(display_name(&a).to_string())).unwrap_or(Bson::Null),
        "changedBy": annotation(CHANGED_BY_ANNOTATION).map(Bson::String).unwrap_or(Bson::Null),
        "generation": meta.generation.unwrap_or(0),
        "object": object,
    };
    doc.extend(extra(obj));
    Some(doc)
}

/// An integer field of a mirrored document, however the server stored it (nx-27017 narrows small
/// Int64s to Int32 and stores booleans as 0/1).
pub fn stored_int(doc: &Document, key: &str) -> Option<i64> {
    match doc.get(key)? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(f) => Some(*f as i64),
        Bson::Boolean(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// A number field of a mirrored document as f64, however the server stored it.
pub fn stored_number(doc: &Document, key: &str) -> Option<f64> {
    match doc.get(key)? {
        Bson::Double(f) => Some(*f),
        Bson::Int32(n) => Some(f64::from(*n)),
        Bson::Int64(n) => Some(*n as f64),
        _ => None,
    }
}

/// The history order key of an object created at `created_ms` with `uid`: creation time, then uid.
pub fn sort_key(created_ms: i64, uid: &str) -> String {
    format!("{created_ms:013}-{uid}")
}

/// What the mirror needs to know about one kind.
pub struct Kind<K> {
    pub api: Api<K>,
    pub collection: Collection<Document>,
    /// Fields for queries, beyond the common ones.
    pub extra: Box<dyn Fn(&K) -> Document + Send + Sync>,
    /// Where objects appearing and disappearing are recorded in the audit log (none for users).
    pub audit_db: Option<Database>,
    /// A label selector limiting what is mirrored (runs: not target previews).
    pub selector: Option<String>,
}

/// Creates the mirror's indexes: one for every query the API makes.
pub async fn ensure_indexes(db: &Database) -> mongodb::error::Result<()> {
    let index = |keys: Document| IndexModel::builder().keys(keys).build();
    let runs: Collection<Document> = db.collection(&collection_name::<ChaosWorkflowRun>());
    runs.create_indexes([
        index(doc! { "project": 1, "sortKey": -1 }),
        // nx-27017 (SQLite) ignores the compound indexes for the sort, but walks this one in order
        index(doc! { "sortKey": -1 }),
        index(doc! { "project": 1, "workflow": 1, "sortKey": -1 }),
        index(doc! { "project": 1, "phase": 1, "sortKey": -1 }),
        index(doc! { "project": 1, "trigger": 1, "sortKey": -1 }),
        index(doc! { "project": 1, "name": 1, "createdMs": -1 }),
    ])
    .await?;
    for name in [
        collection_name::<ChaosWorkflow>(),
        collection_name::<ChaosHub>(),
        collection_name::<Project>(),
        collection_name::<ChaosUser>(),
    ] {
        let coll: Collection<Document> = db.collection(&name);
        coll.create_indexes([
            index(doc! { "project": 1, "name": 1 }),
            IndexModel::builder()
                .keys(doc! { "namespace": 1, "name": 1, "deleted": 1 })
                .options(IndexOptions::builder().build())
                .build(),
        ])
        .await?;
    }
    Ok(())
}

/// Writes `doc` as version `rv` of object `uid`, unless a newer (or the same) version is stored; whether
/// it was written. (The mirror's own guarded write, for tests of ordering.)
pub async fn write_version(
    coll: &Collection<Document>,
    uid: &str,
    rv: i64,
    object: &serde_json::Value,
) -> mongodb::error::Result<bool> {
    let doc = doc! { "_id": uid, "resourceVersion": rv, "object": object.to_string() };
    Ok(write(coll, &Change::Upsert(doc)).await? != Written::Stale)
}

/// What a guarded write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Written {
    /// The object was new to the mirror.
    Inserted,
    /// An older version was replaced.
    Updated,
    /// A newer (or the same) version was already stored.
    Stale,
}

/// Writes one change, guarded by the resourceVersion.
async fn write(coll: &Collection<Document>, change: &Change) -> mongodb::error::Result<Written> {
    let (doc, deleted) = match change {
        Change::Upsert(doc) => (doc, false),
        Change::Delete(doc) => (doc, true),
    };
    let uid = doc.get_str("_id").unwrap_or_default().to_string();
    let rv = doc.get_i64("resourceVersion").unwrap_or(0);
    let mut set = doc.clone();
    set.remove("_id");
    set.insert("mirroredAt", DateTime::now());
    if deleted {
        set.insert("deleted", true);
        set.insert("deletedAt", DateTime::now());
    }
    // a delete carries the object's last version; it wins over that same version
    let guard = if deleted {
        doc! { "$lte": rv }
    } else {
        doc! { "$lt": rv }
    };
    // update an older version, else insert; an insert meeting the _id means a version is stored that the
    // guard refused (newer), or one another writer inserted meanwhile: the guarded update decides again
    for _ in 0..2 {
        let filter = doc! { "_id": &uid, "resourceVersion": guard.clone() };
        if coll.update_one(filter, doc! { "$set": set.clone() }).await?.matched_count > 0 {
            return Ok(Written::Updated);
        }
        let mut fresh = set.clone();
        fresh.insert("_id", &uid);
        match coll.insert_one(fresh).await {
            Ok(_) => return Ok(Written::Inserted),
            Err(err) if is_duplicate_key(&err) => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(Written::Stale)
}

/// Whether `err` may go away by itself (the server unreachable, a connection dropped), as opposed to the
/// server refusing the request.
fn is_transient(err: &mongodb::error::Error) -> bool {
    use mongodb::error::ErrorKind;
    !matches!(
        err.kind.as_ref(),
        ErrorKind::Write(_) | ErrorKind::InvalidArgument { .. } | ErrorKind::BsonSerialization(_)
    ) && !matches!(err.kind.as_ref(), ErrorKind::Command(e) if e.code != 11600 && e.code != 91 && e.code != 189)
}

fn is_duplicate_key(err: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::Command(e) => e.code == 11000,
        _ => err.to_string().contains("E11000") || err.to_string().contains("duplicate key"),
    }
}

/// Marks deleted every mirrored object of the kind that is not in `present` (a fresh list's uids).
async fn mark_gone(coll: &Collection<Document>, present: &BTreeSet<String>) -> mongodb::error::Result<u64> {
    let ids: Vec<&String> = present.iter().collect();
    let result = coll
        .update_many(
            doc! { "deleted": false, "_id": { "$nin": ids } },
            doc! { "$set": { "deleted": true, "deletedAt": DateTime::now() } },
        )
        .await?;
    Ok(result.modified_count)
}

/// What the watch has seen and the writer has not yet written.
#[derive(Default)]
struct Backlog {
    /// The latest change per uid, with a sequence number so the writer only drops what it wrote.
    changes: BTreeMap<String, (u64, Change)>,
    next: u64,
    /// After a (re-)list: the uids it had; everything else is gone (checked once the changes are written).
    gone_check: Option<BTreeSet<String>>,
    /// Audit entries for changes of a definition (a new generation), written before the changes.
    audits: Vec<Entry>,
}

/// Mirrors one kind for the life of the process: the watch keeps reading even while MongoDB is down, so
/// nothing the cluster shows meanwhile is missed, and a writer catches up when MongoDB answers again.
pub async fn run<K>(kind: Kind<K>, notify: tokio::sync::broadcast::Sender<MirrorEvent>)
where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned + serde::Serialize,
    K: Send + Sync + 'static,
{
    let kind_name = K::kind(&()).to_string();
    let backlog = std::sync::Arc::new(std::sync::Mutex::new(Backlog::default()));
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let writer = tokio::spawn(write_loop(
        kind.audit_db.clone(),
        kind.collection.clone(),
        kind_name.clone(),
        backlog.clone(),
        wake.clone(),
        notify,
    ));
    let mut config = watcher::Config::default().any_semantic();
    if let Some(selector) = &kind.selector {
        config = config.labels(selector);
    }
    let mut stream = watcher(kind.api.clone(), config).default_backoff().boxed();
    let mut listing: Option<BTreeSet<String>> = None;
    // the generation last seen per object: a higher one is a change of its definition, for the audit log
    let mut generations: HashMap<String, i64> = HashMap::new();
    while let Some(event) = stream.next().await {
        let live = matches!(event, Ok(watcher::Event::Apply(_)));
        let (obj, deleted) = match event {
            Ok(watcher::Event::Init) => {
                listing = Some(BTreeSet::new());
                continue;
            }
            Ok(watcher::Event::InitDone) => {
                backlog.lock().unwrap_or_else(|e| e.into_inner()).gone_check = listing.take();
                wake.notify_one();
                continue;
            }
            Ok(watcher::Event::InitApply(obj)) | Ok(watcher::Event::Apply(obj)) => (obj, false),
            Ok(watcher::Event::Delete(obj)) => (obj, true),
            Err(err) => {
                tracing::warn!(kind = %kind_name, %err, "watch error (retrying)");
                continue;
            }
        };
        if let (Some(set), Some(uid), false) = (listing.as_mut(), obj.meta().uid.clone(), deleted) {
            set.insert(uid);
        }
        let Some(doc) = document(&obj, &*kind.extra) else { continue };
        let uid = doc.get_str("_id").unwrap_or_default().to_string();
        let generation = obj.meta().generation.unwrap_or(0);
        let updated = if deleted {
            generations.remove(&uid);
            None
        } else {
            let before = generations.insert(uid.clone(), generation);
            before.filter(|b| live && generation > *b).and_then(|_| cluster_entry(&doc, "update", &kind_name))
        };
        let change = if deleted { Change::Delete(doc) } else { Change::Upsert(doc) };
        {
            let mut backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
            if kind.audit_db.is_some() {
                backlog.audits.extend(updated);
            }
            if let (Some(present), false) = (backlog.gone_check.as_mut(), deleted) {
                // seen after the list: present, whatever the pending gone-check thinks
                present.insert(uid.clone());
            }
            backlog.next += 1;
            let seq = backlog.next;
            backlog.changes.insert(uid, (seq, change));
        }
        wake.notify_one();
    }
    writer.abort();
}

/// Writes the backlog whenever woken (and every 2 s while anything is left), oldest-first per object;
/// a failure leaves the rest for the next round.
async fn write_loop(
    audit_db: Option<Database>,
    coll: Collection<Document>,
    kind_name: String,
    backlog: std::sync::Arc<std::sync::Mutex<Backlog>>,
    wake: std::sync::Arc<tokio::sync::Notify>,
    notify: tokio::sync::broadcast::Sender<MirrorEvent>,
) {
    let mut failing = false;
    loop {
        if failing {
            tokio::time::sleep(Duration::from_secs(2)).await;
        } else {
            let _ = tokio::time::timeout(Duration::from_secs(2), wake.notified()).await;
        }
        let (batch, audits): (Vec<(String, u64, Change)>, Vec<Entry>) = {
            let mut backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
            let batch = backlog
                .changes
                .iter()
                .map(|(uid, (seq, change))| (uid.clone(), *seq, change.clone()))
                .collect();
            (batch, std::mem::take(&mut backlog.audits))
        };
        failing = false;
        if let (Some(db), false) = (audit_db.as_ref(), audits.is_empty()) {
            let mut audits = audits.into_iter();
            while let Some(entry) = audits.next() {
                if let Err(err) = crate::audit::insert(db, &entry).await {
                    if !is_transient(&err) {
                        tracing::error!(kind = %kind_name, %err, "MongoDB refused an audit entry; skipping it");
                        continue;
                    }
                    // kept, in order, before anything seen since
                    let mut backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
                    let newer = std::mem::take(&mut backlog.audits);
                    backlog.audits = std::iter::once(entry).chain(audits).chain(newer).collect();
                    failing = true;
                    break;
                }
            }
            if failing {
                continue;
            }
        }
        for (uid, seq, change) in batch {
            let written = match write(&coll, &change).await {
                Ok(written) => written,
                Err(err) if is_transient(&err) => {
                    let left = backlog.lock().unwrap_or_else(|e| e.into_inner()).changes.len();
                    tracing::warn!(kind = %kind_name, %err, pending = left, "MongoDB write failed; keeping the changes and retrying");
                    failing = true;
                    break;
                }
                // the server refuses this document: retrying cannot help, and must not hold up the rest
                Err(err) => {
                    tracing::error!(kind = %kind_name, %uid, %err, "MongoDB refused a mirrored object; skipping it");
                    Written::Stale
                }
            };
            let action = match (&change, written) {
                (Change::Upsert(_), Written::Inserted) => Some("create"),
                (Change::Delete(_), Written::Inserted | Written::Updated) => Some("delete"),
                _ => None,
            };
            let doc = match &change {
                Change::Upsert(d) | Change::Delete(d) => d,
            };
            if let (Some(action), Some(db)) = (action, audit_db.as_ref()) {
                let entry = match action {
                    "delete" => deleted_entry(db, doc, &kind_name).await,
                    _ => cluster_entry(doc, action, &kind_name),
                };
                if let Some(entry) = entry {
                    crate::audit::record(db, entry).await;
                }
            }
            {
                let mut backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
                if backlog.changes.get(&uid).is_some_and(|(s, _)| *s == seq) {
                    backlog.changes.remove(&uid);
                }
            }
            let (doc, deleted) = match change {
                Change::Upsert(doc) => (doc, false),
                Change::Delete(doc) => (doc, true),
            };
            let _ = notify.send(MirrorEvent {
                kind: kind_name.clone(),
                uid,
                name: doc.get_str("name").unwrap_or_default().to_string(),
                namespace: doc.get_str("namespace").ok().map(String::from),
                project: doc.get_str("project").ok().map(String::from),
                deleted,
            });
        }
        if failing {
            continue;
        }
        let check = {
            let mut backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
            if backlog.changes.is_empty() {
                backlog.gone_check.take()
            } else {
                None
            }
        };
        if let Some(present) = check {
            match mark_gone(&coll, &present).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(kind = %kind_name, marked = n, "marked objects gone from the cluster as deleted")
                }
                Err(err) => {
                    tracing::warn!(kind = %kind_name, %err, "could not mark deleted objects; retrying");
                    let mut backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
                    backlog.gone_check.get_or_insert(present);
                    failing = true;
                }
            }
        }
    }
}

/// The audit entry for a `create` or `update` of the mirrored `doc` seen in the cluster, naming who wrote it
/// as the admission webhook stamped it; `None` for the apiserver's own writes (logged already, with the
/// action the user took).
fn cluster_entry(doc: &Document, action: &str, kind: &str) -> Option<Entry> {
    let writer: Option<Identity> = doc.get_str("changedBy").ok().and_then(|t| serde_json::from_str(t).ok());
    entry_for(doc, action, kind, writer)
}

fn entry_for(doc: &Document, action: &str, kind: &str, writer: Option<Identity>) -> Option<Entry> {
    if writer.as_ref().is_some_and(Identity::via_apiserver) {
        return None;
    }
    let (actor, groups) = match writer {
        Some(who) => (display_name(&who.username).to_string(), who.groups),
        // written before the webhook existed, or with it removed: only the field manager is known, and
        // any client may choose that
        None => match doc.get_str("manager") {
            // without the webhook's record, the apiserver's own writes are known only by its field manager
            // (logged already, with their user)
            Ok(crate::cluster::FIELD_MANAGER) if action != "delete" => return None,
            Ok(manager) if !manager.is_empty() && action != "delete" => {
                (format!("{manager} (field manager, unverified)"), Vec::new())
            }
            _ => ("unknown (not seen by the admission webhook)".to_string(), Vec::new()),
        },
    };
    let mut entry = Entry::now(
        &actor,
        crate::audit::Source::Cluster,
        action,
        kind,
        doc.get_str("name").unwrap_or_default(),
    );
    entry.groups = groups;
    entry.namespace = doc.get_str("namespace").ok().map(String::from);
    entry.project = doc.get_str("project").ok().map(String::from);
    Some(entry)
}

/// The audit entry for a deletion: who asked, as the webhook noted when the delete was requested.
async fn deleted_entry(db: &Database, doc: &Document, kind: &str) -> Option<Entry> {
    let uid = doc.get_str("_id").unwrap_or_default();
    let notes: Collection<Document> = db.collection(crate::webhook::DELETES_COLLECTION);
    let noted = match notes.find_one(doc! { "_id": uid }).await {
        Ok(noted) => noted,
        Err(err) => {
            tracing::warn!(%err, %uid, "could not read who deleted an object");
            None
        }
    };
    let who: Option<Identity> = noted
        .as_ref()
        .and_then(|n| n.get_document("identity").ok())
        .and_then(|i| mongodb::bson::from_document(i.clone()).ok());
    if noted.is_some() {
        let _ = notes.delete_one(doc! { "_id": uid }).await;
    }
    entry_for(doc, "delete", kind, who)
}

/// A change the mirror has written (for subscriptions).
#[derive(Clone, Debug)]
pub struct MirrorEvent {
    pub kind: String,
    pub uid: String,
    pub name: String,
    pub namespace: Option<String>,
    pub project: Option<String>,
    pub deleted: bool,
}

/// The project a namespaced object belongs to: its namespace's project (the `-chaos` suffix the operator
/// gives project namespaces).
fn project_of_namespace(ns: Option<&str>) -> Bson {
    match ns.and_then(|ns| ns.strip_suffix("-chaos")) {
        Some(project) => Bson::String(project.to_string()),
        None => Bson::Null,
    }
}

/// Starts mirroring every kind into `db`; changes are announced on the returned channel.
pub fn start(client: &Client, db: &Database) -> tokio::sync::broadcast::Sender<MirrorEvent> {
    let (notify, _) = tokio::sync::broadcast::channel(1024);
    let runs = Kind::<ChaosWorkflowRun> {
        api: Api::all(client.clone()),
        collection: db.collection(&collection_name::<ChaosWorkflowRun>()),
        audit_db: Some(db.clone()),
        selector: Some(format!("!{PREVIEW_LABEL}")),
        extra: Box::new(|run| {
            let status = run.status.clone().unwrap_or_default();
            let text =
                |v: serde_json::Value| v.as_str().map(|s| Bson::String(s.into())).unwrap_or(Bson::Null);
            doc! {
                "project": status.project.clone().map(Bson::String)
                    .unwrap_or_else(|| project_of_namespace(run.namespace().as_deref())),
                "workflow": run.spec.workflow_ref.name.clone(),
                "trigger": text(serde_json::to_value(run.spec.trigger).unwrap_or_default()),
                "phase": status.phase.map(|p| text(serde_json::to_value(p).unwrap_or_default())).unwrap_or(Bson::Null),
                "score": status.resiliency_score.map(Bson::Double).unwrap_or(Bson::Null),
            }
        }),
    };
    let workflows = Kind::<ChaosWorkflow> {
        api: Api::all(client.clone()),
        collection: db.collection(&collection_name::<ChaosWorkflow>()),
        audit_db: Some(db.clone()),
        extra: Box::new(|wf| doc! { "project": project_of_namespace(wf.namespace().as_deref()) }),
        selector: None,
    };
    let hubs = Kind::<ChaosHub> {
        api: Api::all(client.clone()),
        collection: db.collection(&collection_name::<ChaosHub>()),
        audit_db: Some(db.clone()),
        extra: Box::new(|hub| doc! { "project": project_of_namespace(hub.namespace().as_deref()) }),
        selector: None,
    };
    let projects = Kind::<Project> {
        api: Api::all(client.clone()),
        collection: db.collection(&collection_name::<Project>()),
        audit_db: Some(db.clone()),
        extra: Box::new(|p| doc! { "project": p.name_any() }),
        selector: None,
    };
    let users = Kind::<ChaosUser> {
        api: Api::all(client.clone()),
        collection: db.collection(&collection_name::<ChaosUser>()),
        audit_db: Some(db.clone()),
        extra: Box::new(|_| doc! {}),
        selector: None,
    };
    tokio::spawn(run(runs, notify.clone()));
    tokio::spawn(run(workflows, notify.clone()));
    tokio::spawn(run(hubs, notify.clone()));
    tokio::spawn(run(projects, notify.clone()));
    tokio::spawn(run(users, notify.clone()));
    notify
}
