//! The mirror: every ChaosCenter object as the cluster last showed it, in MongoDB, keyed by uid.
//!
//! One watch per kind feeds a writer that upserts idempotently and never lets an older resourceVersion
//! overwrite a newer one, nor anything undo a deletion. While MongoDB is unreachable, changes are kept in
//! memory (the latest per object) and written when it returns, so no run is lost; an object is always
//! written at the latest version seen. After every (re-)list, objects the list no longer has are marked
//! deleted; their documents stay, so run history outlives runs pruned from the cluster. History belongs to
//! a project's uid, not its name: a project deleted and created again under the same name starts empty.

use crate::audit::Entry;
use crate::webhook::review::{display_name, Identity};
use chaoscenter_crds::common::{AUTHOR_ANNOTATION, CHANGED_BY_ANNOTATION};
use chaoscenter_crds::{ChaosHub, ChaosRunLog, ChaosUser, ChaosWorkflow, ChaosWorkflowRun, Project};
use futures::{StreamExt, TryStreamExt};
use kube::api::Api;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Resource, ResourceExt};
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
}

/// Creates the mirror's indexes: one for every query the API makes.
pub async fn ensure_indexes(db: &Database) -> mongodb::error::Result<()> {
    let index = |keys: Document| IndexModel::builder().keys(keys).build();
    let runs: Collection<Document> = db.collection(&collection_name::<ChaosWorkflowRun>());
    runs.create_indexes([
        index(doc! { "projectUid": 1, "sortKey": -1 }),
        // nx-27017 (SQLite) ignores the compound indexes for the sort, but walks this one in order
        index(doc! { "sortKey": -1 }),
        index(doc! { "projectUid": 1, "workflow": 1, "sortKey": -1 }),
        index(doc! { "projectUid": 1, "phase": 1, "sortKey": -1 }),
        index(doc! { "projectUid": 1, "trigger": 1, "sortKey": -1 }),
        index(doc! { "projectUid": 1, "name": 1, "createdMs": -1 }),
        // attributing documents to their project by name and time (`attribute_history`)
        index(doc! { "project": 1, "sortKey": -1 }),
    ])
    .await?;
    let logs: Collection<Document> = db.collection(&collection_name::<ChaosRunLog>());
    logs.create_indexes([index(doc! { "runUid": 1, "lineCount": -1 })]).await?;
    for name in [
        collection_name::<ChaosWorkflow>(),
        collection_name::<ChaosHub>(),
        collection_name::<Project>(),
        collection_name::<ChaosUser>(),
    ] {
        let coll: Collection<Document> = db.collection(&name);
        coll.create_indexes([
            index(doc! { "project": 1, "name": 1 }),
            index(doc! { "projectUid": 1, "name": 1 }),
            IndexModel::builder()
                .keys(doc! { "namespace": 1, "name": 1, "deleted": 1 })
                .options(IndexOptions::builder().build())
                .build(),
        ])
        .await?;
    }
    attribute_history(db).await
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
    /// An older version was replaced (or, for a delete, the object marked deleted).
    Updated,
    /// A newer (or the same) version was already stored, or the object is deleted already.
    Stale,
    /// A target preview left the cluster: its document is gone with it (it was never history).
    Removed,
}

/// Writes one change, guarded by the resourceVersion: an older version never replaces a newer one, and
/// nothing replaces a deletion (an object deleted from the cluster never comes back: uids are not reused).
async fn write(coll: &Collection<Document>, change: &Change) -> mongodb::error::Result<Written> {
    let (doc, deleted) = match change {
        Change::Upsert(doc) => (doc, false),
        Change::Delete(doc) => (doc, true),
    };
    let uid = doc.get_str("_id").unwrap_or_default().to_string();
    if deleted && doc.get_bool("preview").unwrap_or(false) {
        coll.delete_one(doc! { "_id": &uid }).await?;
        return Ok(Written::Removed);
    }
    let rv = doc.get_i64("resourceVersion").unwrap_or(0);
    let mut set = doc.clone();
    set.remove("_id");
    set.insert("mirroredAt", DateTime::now());
    if deleted {
        set.extend(deletion());
    }
    // a delete carries the object's last version; it wins over that same version
    let filter = if deleted {
        doc! { "_id": &uid, "resourceVersion": { "$lte": rv } }
    } else {
        doc! { "_id": &uid, "resourceVersion": { "$lt": rv }, "deleted": { "$ne": true } }
    };
    // update an older version, else insert; an insert meeting the _id means a version is stored that the
    // filter refused (newer, or deleted), or one another writer inserted meanwhile: the update decides again
    for _ in 0..2 {
        if coll.update_one(filter.clone(), doc! { "$set": set.clone() }).await?.matched_count > 0 {
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
    // a newer version is stored (another replica wrote it): whatever it says, the object is gone
    if deleted && mark_deleted(coll, &uid).await? {
        return Ok(Written::Updated);
    }
    Ok(Written::Stale)
}

/// The fields marking a document deleted now: `deleted`, `deletedAt`, and the time again in Unix ms,
/// `deletedMs` (what is read and compared: servers store dates differently).
fn deletion() -> Document {
    let now = DateTime::now();
    doc! { "deleted": true, "deletedAt": now, "deletedMs": now.timestamp_millis() }
}

/// When a mirrored document was marked deleted (Unix ms), if it was.
pub fn deleted_ms(doc: &Document) -> Option<i64> {
    stored_int(doc, "deletedMs").or_else(|| doc.get_datetime("deletedAt").ok().map(|d| d.timestamp_millis()))
}

/// Marks object `uid` deleted, leaving the rest of its document as it is; whether it was not already.
async fn mark_deleted(coll: &Collection<Document>, uid: &str) -> mongodb::error::Result<bool> {
    let marked =
        coll.update_one(doc! { "_id": uid, "deleted": { "$ne": true } }, doc! { "$set": deletion() }).await?;
    Ok(marked.modified_count > 0)
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

/// Marks deleted every mirrored object of the kind that is not in `present` (a fresh list's uids); target
/// previews that are gone are removed.
async fn mark_gone(coll: &Collection<Document>, present: &BTreeSet<String>) -> mongodb::error::Result<u64> {
    let ids: Vec<&String> = present.iter().collect();
    coll.delete_many(doc! { "preview": true, "_id": { "$nin": ids.clone() } }).await?;
    let result = coll
        .update_many(doc! { "deleted": false, "_id": { "$nin": ids } }, doc! { "$set": deletion() })
        .await?;
    Ok(result.modified_count)
}

/// What the watch has seen and the writer has not yet written.
#[derive(Default)]
struct Backlog {
    /// The latest change per uid, with a sequence number so the writer only drops what it wrote.
    changes: BTreeMap<String, (u64, Change)>,
    next: u64,
    /// After a (re-)list: the uids it had; everything else is gone (marked once the list is complete).
    gone_check: Option<BTreeSet<String>>,
    /// Audit entries for changes of a definition (a new generation), written before the changes.
    audits: Vec<Entry>,
    /// Per uid waiting in `changes`: when its oldest unwritten change was seen, and its latest.
    seen: HashMap<String, (Instant, Instant)>,
    /// Since when the gone-check has waited to be written.
    gone_since: Option<Instant>,
    /// Since when the watch has not shown the whole cluster: not listed yet, or re-listing.
    blind_since: Option<Instant>,
    /// Watch errors so far (each retried).
    watch_errors: u64,
}

impl Backlog {
    /// Records `change` of `uid` as the latest.
    fn push(&mut self, uid: String, change: Change) {
        self.next += 1;
        let seq = self.next;
        let now = Instant::now();
        self.seen.entry(uid.clone()).and_modify(|s| s.1 = now).or_insert((now, now));
        self.changes.insert(uid, (seq, change));
    }

    /// Change `seq` of `uid` is written: whether the object is done (else a newer change came meanwhile,
    /// and waits since it was seen).
    fn written(&mut self, uid: &str, seq: u64) -> bool {
        match self.changes.get(uid) {
            Some((s, _)) if *s != seq => {
                if let Some(seen) = self.seen.get_mut(uid) {
                    seen.0 = seen.1;
                }
                false
            }
            _ => {
                self.changes.remove(uid);
                self.seen.remove(uid);
                true
            }
        }
    }

    /// Notes whether the watch has shown the whole cluster (`false`: a list is complete) or not (`true`: a
    /// (re-)list began, since the first such moment). A watch that fails and resumes without a new list
    /// says nothing when it resumes, so its errors are counted instead.
    fn blind(&mut self, blind: bool) {
        if blind {
            self.blind_since.get_or_insert_with(Instant::now);
        } else {
            self.blind_since = None;
        }
    }

    /// How long the mirror has been behind the cluster at `now`: since the oldest change seen and not
    /// written, the gone-check waiting, or a list not complete; zero when caught up.
    fn behind(&self, now: Instant) -> Duration {
        let oldest = self.seen.values().map(|s| s.0).chain(self.gone_since).chain(self.blind_since).min();
        oldest.map(|t| now.saturating_duration_since(t)).unwrap_or_default()
    }

    /// A (re-)list is complete and had exactly `listed`: a change still waiting for an object the list no
    /// longer has is that object's last state before it went (its delete happened while the watch was
    /// away), so it is written as a deletion; every other mirrored object missing from the list is marked
    /// deleted by the gone-check.
    fn listed(&mut self, listed: BTreeSet<String>) {
        let gone: Vec<String> = self
            .changes
            .iter()
            .filter(|(uid, (_, change))| matches!(change, Change::Upsert(_)) && !listed.contains(*uid))
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in gone {
            if let Some((_, Change::Upsert(doc))) = self.changes.remove(&uid) {
                self.push(uid, Change::Delete(doc));
            }
        }
        self.gone_check = Some(listed);
        self.gone_since.get_or_insert_with(Instant::now);
    }
}

/// How far behind the cluster the mirror is, per kind (for the metrics): a handle on each kind's backlog.
#[derive(Clone, Default)]
pub struct Lag(Arc<Mutex<BTreeMap<String, Shared>>>);

/// A kind's backlog, shared by its watch, its writer and the metrics.
type Shared = Arc<Mutex<Backlog>>;

impl Lag {
    /// The backlog of kind `kind`, made (blind since now: nothing listed yet) at its first mention.
    fn kind(&self, kind: &str) -> Shared {
        let mut kinds = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let backlog = kinds.entry(kind.to_string()).or_insert_with(|| {
            Arc::new(Mutex::new(Backlog { blind_since: Some(Instant::now()), ..Default::default() }))
        });
        backlog.clone()
    }

    /// Where each kind's mirror stands now.
    pub fn read(&self) -> Vec<KindLag> {
        let kinds: Vec<(String, Shared)> = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, b)| (k.clone(), b.clone()))
            .collect();
        let now = Instant::now();
        kinds
            .into_iter()
            .map(|(kind, backlog)| {
                let backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
                KindLag {
                    kind,
                    behind: backlog.behind(now),
                    pending: backlog.changes.len(),
                    watch_errors: backlog.watch_errors,
                }
            })
            .collect()
    }
}

/// Where one kind's mirror stands.
#[derive(Clone, Debug, PartialEq)]
pub struct KindLag {
    pub kind: String,
    /// How far behind the cluster it is (zero when caught up).
    pub behind: Duration,
    /// Objects whose latest change waits to be written.
    pub pending: usize,
    /// Errors of its watch so far.
    pub watch_errors: u64,
}

/// Mirrors one kind for the life of the process: the watch keeps reading even while MongoDB is down, so
/// nothing the cluster shows meanwhile is missed, and a writer catches up when MongoDB answers again.
pub async fn run<K>(kind: Kind<K>, notify: tokio::sync::broadcast::Sender<MirrorEvent>, lag: Lag)
where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned + serde::Serialize,
    K: Send + Sync + 'static,
{
    let kind_name = K::kind(&()).to_string();
    let backlog = lag.kind(&kind_name);
    let wake = Arc::new(tokio::sync::Notify::new());
    let writer = tokio::spawn(write_loop(
        kind.audit_db.clone(),
        kind.collection.clone(),
        kind_name.clone(),
        backlog.clone(),
        wake.clone(),
        notify,
    ));
    // every object, previews included: what the history shows is decided when it is read, so no label can
    // keep a run from being mirrored
    let config = watcher::Config::default().any_semantic();
    let mut stream = watcher(kind.api.clone(), config).default_backoff().boxed();
    let mut listing: Option<BTreeSet<String>> = None;
    // the generation last seen per object: a higher one is a change of its definition, for the audit log
    let mut generations: HashMap<String, i64> = HashMap::new();
    while let Some(event) = stream.next().await {
        let live = matches!(event, Ok(watcher::Event::Apply(_)));
        // blind while (re-)listing, until the list is complete
        let blind = |blind: bool| backlog.lock().unwrap_or_else(|e| e.into_inner()).blind(blind);
        let (obj, deleted) = match event {
            Ok(watcher::Event::Init) => {
                listing = Some(BTreeSet::new());
                blind(true);
                continue;
            }
            Ok(watcher::Event::InitDone) => {
                if let Some(listed) = listing.take() {
                    backlog.lock().unwrap_or_else(|e| e.into_inner()).listed(listed);
                }
                blind(false);
                wake.notify_one();
                continue;
            }
            Ok(watcher::Event::InitApply(obj)) | Ok(watcher::Event::Apply(obj)) => (obj, false),
            Ok(watcher::Event::Delete(obj)) => (obj, true),
            Err(err) => {
                tracing::warn!(kind = %kind_name, %err, "watch error (retrying)");
                backlog.lock().unwrap_or_else(|e| e.into_inner()).watch_errors += 1;
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
            backlog.push(uid, change);
        }
        wake.notify_one();
    }
    writer.abort();
}

/// Writes the backlog whenever woken (and every 2 s while anything is left). Each object is written at the
/// latest version seen when the write starts, and again at once if a newer one came meanwhile; after
/// MongoDB failed, nothing is written until it answers again, so no version read from the backlog before
/// (or while) it was away is written after a newer one was seen. A failure leaves the rest for later.
async fn write_loop(
    audit_db: Option<Database>,
    coll: Collection<Document>,
    kind_name: String,
    backlog: Shared,
    wake: Arc<tokio::sync::Notify>,
    notify: tokio::sync::broadcast::Sender<MirrorEvent>,
) {
    let db = coll.client().database(&coll.namespace().db);
    let mut failing = false;
    loop {
        if failing {
            tokio::time::sleep(Duration::from_secs(2)).await;
            // waits (the driver's server selection) until MongoDB answers, so what is written next is read
            // from the backlog afterwards: a deletion seen during the wait is written, not the state before it
            if let Err(err) = db.run_command(doc! { "ping": 1 }).await {
                tracing::debug!(kind = %kind_name, %err, "MongoDB is still not answering");
                continue;
            }
        } else {
            let _ = tokio::time::timeout(Duration::from_secs(2), wake.notified()).await;
        }
        failing = false;
        let (pending, audits): (Vec<String>, Vec<Entry>) = {
            let mut backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
            (backlog.changes.keys().cloned().collect(), std::mem::take(&mut backlog.audits))
        };
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
        'objects: for uid in pending {
            loop {
                // the latest change of the object now (not when this round started)
                let latest = backlog.lock().unwrap_or_else(|e| e.into_inner()).changes.get(&uid).cloned();
                let Some((seq, change)) = latest else { break };
                let written = match write(&coll, &change).await {
                    Ok(written) => written,
                    Err(err) if is_transient(&err) => {
                        let left = backlog.lock().unwrap_or_else(|e| e.into_inner()).changes.len();
                        tracing::warn!(kind = %kind_name, %err, pending = left, "MongoDB write failed; keeping the changes and retrying");
                        failing = true;
                        break 'objects;
                    }
                    // the server refuses this document: retrying cannot help, and must not hold up the rest;
                    // a deletion is still recorded, on the document already stored
                    Err(err) => {
                        tracing::error!(kind = %kind_name, %uid, %err, "MongoDB refused a mirrored object; skipping it");
                        match &change {
                            Change::Delete(_) => match mark_deleted(&coll, &uid).await {
                                Ok(true) => Written::Updated,
                                Ok(false) => Written::Stale,
                                Err(err) if is_transient(&err) => {
                                    failing = true;
                                    break 'objects;
                                }
                                Err(_) => Written::Stale,
                            },
                            Change::Upsert(_) => Written::Stale,
                        }
                    }
                };
                written_change(audit_db.as_ref(), &coll, &kind_name, &uid, &change, written, &notify).await;
                // else a newer change came while this one was written: it goes next, before any other object
                if backlog.lock().unwrap_or_else(|e| e.into_inner()).written(&uid, seq) {
                    break;
                }
            }
        }
        if failing {
            continue;
        }
        let check = backlog.lock().unwrap_or_else(|e| e.into_inner()).gone_check.take();
        if let Some(present) = check {
            let marked = mark_gone(&coll, &present).await;
            if marked.is_ok() {
                let mut backlog = backlog.lock().unwrap_or_else(|e| e.into_inner());
                if backlog.gone_check.is_none() {
                    backlog.gone_since = None;
                }
            }
            match marked {
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

/// What follows a write: the audit entry for an object created or deleted, the history given to a new
/// project, and the announcement to subscribers.
async fn written_change(
    audit_db: Option<&Database>,
    coll: &Collection<Document>,
    kind_name: &str,
    uid: &str,
    change: &Change,
    written: Written,
    notify: &tokio::sync::broadcast::Sender<MirrorEvent>,
) {
    let (doc, deleted) = match change {
        Change::Upsert(doc) => (doc, false),
        Change::Delete(doc) => (doc, true),
    };
    let actions: &[&str] = match (deleted, written) {
        (false, Written::Inserted) => &["create"],
        // created and deleted while MongoDB was away: both happened
        (true, Written::Inserted) => &["create", "delete"],
        (true, Written::Updated) => &["delete"],
        _ => &[],
    };
    if let Some(db) = audit_db {
        for action in actions {
            let entry = match *action {
                "delete" => deleted_entry(db, coll, doc, kind_name).await,
                _ => cluster_entry(doc, action, kind_name),
            };
            if let Some(entry) = entry {
                crate::audit::record(db, entry).await;
            }
        }
        if actions.first() == Some(&"create") && kind_name == Project::kind(&()) {
            attribute_new_project(db, doc).await;
        }
    }
    let _ = notify.send(MirrorEvent {
        kind: kind_name.to_string(),
        uid: uid.to_string(),
        name: doc.get_str("name").unwrap_or_default().to_string(),
        namespace: doc.get_str("namespace").ok().map(String::from),
        project: doc.get_str("project").ok().map(String::from),
        project_uid: doc.get_str("projectUid").ok().map(String::from),
        preview: doc.get_bool("preview").unwrap_or(false),
        deleted,
    });
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
    entry.project_uid = doc.get_str("projectUid").ok().map(String::from);
    Some(entry)
}

/// The audit entry for a deletion: who asked, as the webhook noted when the delete was requested. Its
/// project is the one the stored document names (by the time an object goes, its project may be gone too).
async fn deleted_entry(
    db: &Database,
    coll: &Collection<Document>,
    doc: &Document,
    kind: &str,
) -> Option<Entry> {
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
    let mut entry = entry_for(doc, "delete", kind, who)?;
    if entry.project_uid.is_none() {
        let stored = coll.find_one(doc! { "_id": uid }).projection(doc! { "projectUid": 1 }).await;
        entry.project_uid =
            stored.ok().flatten().and_then(|d| d.get_str("projectUid").ok().map(String::from));
    }
    Some(entry)
}

/// A change the mirror has written (for subscriptions).
#[derive(Clone, Debug)]
pub struct MirrorEvent {
    pub kind: String,
    pub uid: String,
    pub name: String,
    pub namespace: Option<String>,
    pub project: Option<String>,
    /// The uid of the project whose history the object is part of (when known).
    pub project_uid: Option<String>,
    /// A target preview (`ChaosWorkflowRun::is_preview`): not part of any history.
    pub preview: bool,
    pub deleted: bool,
}

/// The project a namespaced object belongs to: its namespace's project (the `-chaos` suffix the operator
/// gives project namespaces).
fn project_of_namespace(ns: Option<&str>) -> Option<String> {
    ns.and_then(|ns| ns.strip_suffix("-chaos")).map(String::from)
}

/// Unix milliseconds of a creation time (0 when absent).
fn created_ms(meta: &kube::api::ObjectMeta) -> i64 {
    meta.creation_timestamp.as_ref().map(|t| t.0.as_millisecond()).unwrap_or(0)
}

/// The project, among those named alike (`(uid, created ms)`), whose history something made at `at_ms`
/// belongs to: the last one created at or before `at_ms + slack_ms`. Names are unique at any moment and a
/// project's namespace is made after the project, so that is the project that had the name then. (Creation
/// times have whole seconds; `slack_ms` allows for the apiserver's clock running behind the cluster's.)
pub fn owner_at(
    projects: impl IntoIterator<Item = (String, i64)>,
    at_ms: i64,
    slack_ms: i64,
) -> Option<String> {
    projects
        .into_iter()
        .filter(|(_, created)| *created <= at_ms.saturating_add(slack_ms))
        .max_by_key(|(_, created)| *created)
        .map(|(uid, _)| uid)
}

/// How far ahead of the apiserver's clock a project's creation may be and its audit entries still be its.
const AUDIT_SLACK_MS: i64 = 5_000;

/// The project fields of a mirrored object made at `created`: `project` (the name) and, if the project of
/// that name now in the cluster already existed then, `projectUid`. Left out when unknown (the project is
/// gone, or newer than the object): a write never changes the uid stored, and `attribute_history` fills it
/// in from the mirrored projects.
fn project_fields(projects: &Store<Project>, project: Option<String>, created: i64) -> Document {
    let uid = project.as_deref().and_then(|name| {
        let p = projects.get(&ObjectRef::new(name))?;
        let candidate = (p.metadata.uid.clone()?, created_ms(&p.metadata));
        owner_at([candidate], created, 0)
    });
    let mut fields = doc! { "project": project.map(Bson::String).unwrap_or(Bson::Null) };
    if let Some(uid) = uid {
        fields.insert("projectUid", uid);
    }
    fields
}

/// The collections whose documents belong to a project, with the field holding their time.
fn attributed(db: &Database) -> [(Collection<Document>, &'static str, i64); 4] {
    [
        (db.collection(&collection_name::<ChaosWorkflowRun>()), "createdMs", 0),
        (db.collection(&collection_name::<ChaosWorkflow>()), "createdMs", 0),
        (db.collection(&collection_name::<ChaosHub>()), "createdMs", 0),
        (db.collection(crate::audit::COLLECTION), "atMs", AUDIT_SLACK_MS),
    ]
}

/// Gives every document without a project uid the uid of the project that had its project's name when it
/// was made, as the mirrored projects (deleted ones included) tell: documents from before history was kept
/// per project uid, and the few whose project the mirror did not know yet when it wrote them. Documents older
/// than every mirrored project of their name keep none and are in no project's history. Idempotent; run at
/// every start.
pub async fn attribute_history(db: &Database) -> mongodb::error::Result<()> {
    // usually there is nothing to do: one look per collection
    let unattributed = doc! { "projectUid": { "$exists": false }, "project": { "$ne": Bson::Null } };
    let mut todo = Vec::new();
    for (coll, field, slack) in attributed(db) {
        if coll.find_one(unattributed.clone()).projection(doc! { "_id": 1 }).await?.is_some() {
            todo.push((coll, field, slack));
        }
    }
    if todo.is_empty() {
        return Ok(());
    }
    let projects: Collection<Document> = db.collection(&collection_name::<Project>());
    let mut by_name: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    let mut cursor = projects.find(doc! {}).projection(doc! { "name": 1, "createdMs": 1 }).await?;
    while let Some(p) = cursor.try_next().await? {
        if let (Ok(name), Ok(uid), Some(created)) =
            (p.get_str("name"), p.get_str("_id"), stored_int(&p, "createdMs"))
        {
            by_name.entry(name.to_string()).or_default().push((uid.to_string(), created));
        }
    }
    for (name, mut versions) in by_name {
        versions.sort_by_key(|(_, created)| *created);
        for (i, (uid, created)) in versions.iter().enumerate() {
            let until = versions.get(i + 1).map(|(_, next)| *next);
            for (coll, field, slack) in &todo {
                let mut range = doc! { "$gte": created - *slack };
                if let Some(until) = until {
                    range.insert("$lt", until - *slack);
                }
                coll.update_many(
                    doc! { "project": &name, "projectUid": { "$exists": false }, *field: range },
                    doc! { "$set": { "projectUid": uid } },
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// The uid of the project named `name` at `at_ms` (the apiserver's clock), as the mirrored projects tell;
/// `None` when none is known to have had the name then (or MongoDB does not answer).
pub async fn project_at(db: &Database, name: &str, at_ms: i64) -> Option<String> {
    let projects: Collection<Document> = db.collection(&collection_name::<Project>());
    let found: Vec<Document> = projects
        .find(doc! { "project": name, "name": name })
        .projection(doc! { "createdMs": 1, "deletedAt": 1, "deletedMs": 1 })
        .await
        .ok()?
        .try_collect()
        .await
        .ok()?;
    let versions =
        found.iter().filter_map(|p| Some((p.get_str("_id").ok()?.to_string(), stored_int(p, "createdMs")?)));
    let uid = owner_at(versions, at_ms, AUDIT_SLACK_MS)?;
    // gone before then: the project that has the name now is not mirrored yet
    let owner = found.iter().find(|p| p.get_str("_id").ok() == Some(uid.as_str()))?;
    let gone = deleted_ms(owner).is_some_and(|deleted| deleted < at_ms);
    (!gone).then_some(uid)
}

/// A project the mirror has just seen created: what was recorded for its name without a uid since its
/// creation is its (e.g. the audit entry of its creation, written before the mirror knew it).
async fn attribute_new_project(db: &Database, doc: &Document) {
    let (Ok(name), Ok(uid), Some(created)) =
        (doc.get_str("name"), doc.get_str("_id"), stored_int(doc, "createdMs"))
    else {
        return;
    };
    for (coll, field, slack) in attributed(db) {
        let filter =
            doc! { "project": name, "projectUid": { "$exists": false }, field: { "$gte": created - slack } };
        if let Err(err) = coll.update_many(filter, doc! { "$set": { "projectUid": uid } }).await {
            tracing::warn!(%err, project = %name, "could not attribute history to a new project (done at the next start)");
        }
    }
}

/// Starts mirroring every kind into `db`; changes are announced on the returned channel. Objects in a
/// project get their project's uid from `projects` (the apiserver's cache of Projects), once it is filled.
pub fn start(
    client: &Client,
    db: &Database,
    projects: Store<Project>,
    lag: Lag,
) -> tokio::sync::broadcast::Sender<MirrorEvent> {
    let (notify, _) = tokio::sync::broadcast::channel(1024);
    let runs = {
        let projects = projects.clone();
        Kind::<ChaosWorkflowRun> {
            api: Api::all(client.clone()),
            collection: db.collection(&collection_name::<ChaosWorkflowRun>()),
            audit_db: Some(db.clone()),
            extra: Box::new(move |run| {
                let status = run.status.clone().unwrap_or_default();
                let text =
                    |v: serde_json::Value| v.as_str().map(|s| Bson::String(s.into())).unwrap_or(Bson::Null);
                let project =
                    status.project.clone().or_else(|| project_of_namespace(run.namespace().as_deref()));
                let mut fields = project_fields(&projects, project, created_ms(&run.metadata));
                fields.extend(doc! {
                    "workflow": run.spec.workflow_ref.name.clone(),
                    "trigger": text(serde_json::to_value(run.spec.trigger).unwrap_or_default()),
                    "phase": status.phase.map(|p| text(serde_json::to_value(p).unwrap_or_default())).unwrap_or(Bson::Null),
                    "score": status.resiliency_score.map(Bson::Double).unwrap_or(Bson::Null),
                    // not history (read queries leave previews out; their documents go with them)
                    "preview": run.is_preview(),
                });
                fields
            }),
        }
    };
    let in_project = |projects: Store<Project>| {
        move |meta: &kube::api::ObjectMeta| {
            project_fields(&projects, project_of_namespace(meta.namespace.as_deref()), created_ms(meta))
        }
    };
    let workflows = {
        let fields = in_project(projects.clone());
        Kind::<ChaosWorkflow> {
            api: Api::all(client.clone()),
            collection: db.collection(&collection_name::<ChaosWorkflow>()),
            audit_db: Some(db.clone()),
            extra: Box::new(move |wf| fields(&wf.metadata)),
        }
    };
    let hubs = {
        let fields = in_project(projects.clone());
        Kind::<ChaosHub> {
            api: Api::all(client.clone()),
            collection: db.collection(&collection_name::<ChaosHub>()),
            audit_db: Some(db.clone()),
            extra: Box::new(move |hub| fields(&hub.metadata)),
        }
    };
    let project_kind = Kind::<Project> {
        api: Api::all(client.clone()),
        collection: db.collection(&collection_name::<Project>()),
        audit_db: Some(db.clone()),
        extra: Box::new(|p| doc! { "project": p.name_any(), "projectUid": p.metadata.uid.clone() }),
    };
    // runs' logs: read by the run's uid, also after the run (and with it its log) left the cluster
    let logs = Kind::<ChaosRunLog> {
        api: Api::all(client.clone()),
        collection: db.collection(&collection_name::<ChaosRunLog>()),
        audit_db: None,
        extra: Box::new(|log| {
            let count = log.spec.lines.len() as i64 + log.spec.dropped.max(0);
            doc! { "runUid": log.spec.run_uid.clone(), "run": log.spec.run.clone(), "lineCount": count }
        }),
    };
    let users = Kind::<ChaosUser> {
        api: Api::all(client.clone()),
        collection: db.collection(&collection_name::<ChaosUser>()),
        audit_db: Some(db.clone()),
        extra: Box::new(|_| doc! {}),
    };
    // objects in a project wait for the full list of projects, so none is written without its project's uid
    // because the cache was still empty
    let after_projects = |projects: Store<Project>, task: futures::future::BoxFuture<'static, ()>| async move {
        let _ = projects.wait_until_ready().await;
        task.await
    };
    // each kind is behind from now until its first list is written, also while it waits for the projects
    for kind in [ChaosWorkflowRun::kind(&()), ChaosWorkflow::kind(&()), ChaosHub::kind(&())] {
        lag.kind(&kind);
    }
    tokio::spawn(after_projects(projects.clone(), Box::pin(run(runs, notify.clone(), lag.clone()))));
    tokio::spawn(after_projects(projects.clone(), Box::pin(run(workflows, notify.clone(), lag.clone()))));
    tokio::spawn(after_projects(projects, Box::pin(run(hubs, notify.clone(), lag.clone()))));
    tokio::spawn(run(project_kind, notify.clone(), lag.clone()));
    // a log's changes are announced to no one (the run view polls the log): every running run's log
    // changes every second, which would crowd the runs' own changes out of the channel
    tokio::spawn(run(logs, tokio::sync::broadcast::channel(1).0, lag.clone()));
    tokio::spawn(run(users, notify.clone(), lag));
    notify
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_belongs_to_the_project_that_had_the_name_then() {
        let versions = || vec![("old".to_string(), 1_000), ("new".to_string(), 9_000)];
        assert_eq!(owner_at(versions(), 5_000, 0).as_deref(), Some("old"));
        assert_eq!(owner_at(versions(), 9_000, 0).as_deref(), Some("new"), "creation times are inclusive");
        assert_eq!(owner_at(versions(), 500, 0), None, "older than every project of the name");
        assert_eq!(owner_at(versions(), 8_000, 2_000).as_deref(), Some("new"), "within the clock slack");
        // only the project in the cluster now is known: an object made before it belongs to an earlier one
        assert_eq!(owner_at([("new".to_string(), 9_000)], 5_000, 0), None);
    }

    fn change(uid: &str, deleted: bool) -> Change {
        let doc = doc! { "_id": uid, "resourceVersion": 7_i64 };
        if deleted {
            Change::Delete(doc)
        } else {
            Change::Upsert(doc)
        }
    }

    #[test]
    fn a_relist_turns_what_waits_for_objects_it_no_longer_has_into_deletions() {
        let mut backlog = Backlog::default();
        backlog.push("kept".into(), change("kept", false));
        backlog.push("gone".into(), change("gone", false));
        backlog.push("deleted".into(), change("deleted", true));
        backlog.listed(["kept".to_string()].into());
        assert!(matches!(backlog.changes["kept"].1, Change::Upsert(_)));
        assert!(matches!(backlog.changes["gone"].1, Change::Delete(_)), "its delete was missed while away");
        assert!(matches!(backlog.changes["deleted"].1, Change::Delete(_)));
        assert!(
            backlog.changes["gone"].0 > backlog.changes["deleted"].0,
            "a new change, for the writer to take"
        );
        assert_eq!(backlog.gone_check, Some(["kept".to_string()].into()));
    }

    #[test]
    fn the_lag_runs_from_the_oldest_change_not_written_until_the_mirror_caught_up() {
        let lag = Lag::default();
        let backlog = lag.kind("ChaosWorkflowRun");
        let later = |secs| Instant::now() + Duration::from_secs(secs);
        let mut b = backlog.lock().unwrap();
        assert!(b.behind(later(60)) >= Duration::from_secs(60), "nothing listed yet: behind since the start");
        b.blind(false);
        assert_eq!(b.behind(later(60)), Duration::ZERO, "caught up");
        b.push("a".into(), change("a", false));
        let first = b.changes["a"].0;
        b.push("a".into(), change("a", false));
        let second = b.changes["a"].0;
        assert!(b.behind(later(60)) >= Duration::from_secs(60));
        // the first change is written while the second waits: still behind, since the second was seen
        assert!(!b.written("a", first));
        assert!(b.behind(later(60)) >= Duration::from_secs(60));
        assert!(b.written("a", second));
        assert_eq!(b.behind(later(60)), Duration::ZERO);
        // a re-list: behind from its start until it is complete
        b.blind(true);
        let relisting = b.blind_since.unwrap();
        b.blind(true);
        assert_eq!(b.blind_since, Some(relisting));
        b.listed(BTreeSet::new());
        b.blind(false);
        assert!(b.behind(later(60)) >= Duration::from_secs(60), "the gone-check waits to be written");
        drop(b);
        let read = lag.read();
        assert_eq!(read.len(), 1);
        assert_eq!(
            (read[0].kind.as_str(), read[0].pending, read[0].watch_errors),
            ("ChaosWorkflowRun", 0, 0)
        );
    }
}
