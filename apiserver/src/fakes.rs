//! In-memory stand-ins for the cluster and the stores, for tests that drive the router without a cluster
//! or a database: a Kubernetes API server holding objects as JSON behind real `kube::Client`s (with a
//! small model of ChaosCenter's RBAC for impersonated requests), and the token store and history in maps.

use crate::audit::{Entry, Older};
use crate::cluster::{ClusterApi, PasswordRecord};
use crate::graphql::{RunFilter, Statistics};
use crate::history_store::HistoryStore;
use crate::store::{sliding_expiry, ApiToken, Rotation, Session, TokenStore};
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode};
use chaoscenter_crds::access::project_namespace;
use chaoscenter_crds::project::Role;
use chaoscenter_crds::user::GlobalRole;
use chaoscenter_crds::{ChaosUser, Project};
use kube::Client;
use mongodb::bson::{doc, Bson, DateTime, Document};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What the fake API server holds: objects by (resource plural, namespace or "", name), and the password
/// records the real apiserver keeps in Secrets.
#[derive(Default)]
struct World {
    objects: BTreeMap<(String, String, String), Value>,
    passwords: BTreeMap<String, PasswordRecord>,
    resource_version: u64,
    /// Objects someone else writes right after each of the next n reads of them (a concurrent writer).
    interfere: BTreeMap<(String, String, String), u32>,
}

/// A Kubernetes cluster in memory. Requests made as the apiserver are all allowed; requests made as a
/// user (what [`ClusterApi::as_user`] returns) are judged as the RBAC in `config/rbac` and the operator's
/// bindings would judge them:
/// - an admin may do anything to ChaosCenter objects and read events and namespaces;
/// - a project's members may `get` the Project, its Owners also `update`/`patch` it;
/// - in a project's namespace, every member reads workflows, runs, hubs, templates and events; Editors also write
///   workflows and hubs and create/patch runs; Owners also delete runs;
/// - nothing else (other users' ChaosUsers, other projects); a missing or disabled user cannot be
///   impersonated at all.
///
/// Writes follow the API's rules the handlers rely on: `generateName`, `409 AlreadyExists`, `404`, and a
/// `409 Conflict` for a write naming an old `metadata.resourceVersion`; merge patches only. Of the
/// operator, only this: a dry run is finished (`Succeeded`) as soon as it is created.
#[derive(Clone, Default)]
pub struct FakeCluster {
    world: Arc<Mutex<World>>,
}

const GROUP: &str = "chaoscenter.io";

fn status(code: StatusCode, reason: &str, message: impl Into<String>) -> Response<Body> {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message.into(), "reason": reason, "code": code.as_u16(),
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = code;
    response
}

fn object(code: StatusCode, value: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = code;
    response.headers_mut().insert("content-type", "application/json".parse().expect("a valid header"));
    response
}

/// A request's target: `/api/v1/...` or `/apis/<group>/<version>/...`, then `namespaces/<ns>/` or not,
/// the resource, and perhaps a name.
struct Target {
    group: String,
    plural: String,
    namespace: String,
    name: Option<String>,
}

fn target(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", group, _version, rest @ ..] => (*group, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (*ns, rest),
        _ => ("", rest),
    };
    let (plural, name) = match rest {
        [plural] => (*plural, None),
        [plural, name, ..] => (*plural, Some(name.to_string())),
        _ => return None,
    };
    Some(Target { group: group.into(), plural: plural.into(), namespace: namespace.into(), name })
}

impl World {
    fn typed<T: serde::de::DeserializeOwned>(&self, plural: &str, name: &str) -> Option<T> {
        let value = self.objects.get(&(plural.to_string(), String::new(), name.to_string()))?;
        serde_json::from_value(value.clone()).ok()
    }

    fn user(&self, name: &str) -> Option<ChaosUser> {
        self.typed("chaosusers", name)
    }

    fn projects(&self) -> Vec<Project> {
        self.objects
            .iter()
            .filter(|((plural, _, _), _)| plural == "projects")
            .filter_map(|(_, v)| serde_json::from_value(v.clone()).ok())
            .collect()
    }

    fn next_version(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    /// What ChaosCenter's RBAC lets `user` do: `verb` on `t`.
    fn allows(&self, user: &str, verb: &str, t: &Target) -> bool {
        let Some(who) = self.user(user).filter(|u| !u.spec.disabled) else { return false };
        let read = matches!(verb, "get" | "list" | "watch");
        let events = t.plural == "events" && (t.group.is_empty() || t.group == "events.k8s.io");
        if who.spec.role == GlobalRole::Admin {
            return t.group == GROUP || (read && (events || t.plural == "namespaces"));
        }
        let role_in =
            |project: &Project| project.spec.members.iter().find(|m| m.user == user).map(|m| m.role);
        if t.group == GROUP && t.plural == "projects" {
            let Some(project) = t.name.as_deref().and_then(|n| self.typed::<Project>("projects", n)) else {
                return false;
            };
            return match role_in(&project) {
                Some(Role::Owner) => matches!(verb, "get" | "update" | "patch"),
                Some(_) => verb == "get",
                None => false,
            };
        }
        let in_namespace = self.projects().into_iter().find(|p| {
            let ns = p.status.as_ref().and_then(|s| s.namespace.clone());
            ns.unwrap_or_else(|| project_namespace(&p.metadata.name.clone().unwrap_or_default()))
                == t.namespace
        });
        let Some(role) = in_namespace.as_ref().and_then(role_in) else { return false };
        let ours = t.group == GROUP
            && matches!(t.plural.as_str(), "chaosworkflows" | "chaoshubs" | "chaosworkflowruns");
        // templates and run logs are the operator's: members read them, nobody writes them
        let templates = t.group == GROUP && matches!(t.plural.as_str(), "chaostemplates" | "chaosrunlogs");
        if read {
            return ours || templates || events;
        }
        if !ours {
            return false;
        }
        let write = matches!(verb, "create" | "update" | "patch");
        match (role, t.plural.as_str()) {
            (Role::Owner, _) => write || verb == "delete" || verb == "deletecollection",
            (Role::Editor, "chaosworkflowruns") => write,
            (Role::Editor, _) => write || verb == "delete",
            (Role::Viewer, _) => false,
        }
    }
}

impl FakeCluster {
    pub fn new() -> Self {
        Self::default()
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `value` (cluster-scoped when `namespace` is empty) as the API would: uid, version, time.
    fn put(&self, plural: &str, namespace: &str, mut value: Value) -> Value {
        let mut world = self.world();
        let name = value["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let version = world.next_version();
        let meta = &mut value["metadata"];
        meta["uid"] = json!(crate::tokens::random_id());
        meta["resourceVersion"] = json!(version);
        meta["creationTimestamp"] = json!(jiff::Timestamp::now().to_string());
        if !namespace.is_empty() {
            meta["namespace"] = json!(namespace);
        }
        world.objects.insert((plural.into(), namespace.into(), name), value.clone());
        value
    }

    /// Adds a user with `role` and, if `hash` is given, a password record.
    pub fn add_user(&self, name: &str, role: GlobalRole, hash: Option<(&str, bool)>) -> ChaosUser {
        let mut user = ChaosUser::new(name, Default::default());
        user.spec.role = role;
        let value = self.put("chaosusers", "", serde_json::to_value(&user).expect("a ChaosUser serializes"));
        if let Some((hash, must_change)) = hash {
            self.world().passwords.insert(name.into(), PasswordRecord { hash: hash.into(), must_change });
        }
        serde_json::from_value(value).expect("a ChaosUser deserializes")
    }

    /// Adds a project with `members`, its namespace in its status (as the operator writes it).
    pub fn add_project(&self, name: &str, members: &[(&str, Role)]) -> Project {
        let members: Vec<Value> = members.iter().map(|(u, r)| json!({"user": u, "role": r})).collect();
        let value = json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "Project",
            "metadata": {"name": name},
            "spec": {"members": members},
            "status": {"namespace": project_namespace(name)},
        });
        serde_json::from_value(self.put("projects", "", value)).expect("a Project deserializes")
    }

    /// Sets `field` of the user's spec (e.g. `disabled`) as kubectl would.
    pub fn set_user_field(&self, name: &str, field: &str, value: Value) {
        let mut world = self.world();
        let version = world.next_version();
        if let Some(user) = world.objects.get_mut(&("chaosusers".into(), String::new(), name.into())) {
            user["spec"][field] = value;
            user["metadata"]["resourceVersion"] = json!(version);
        }
    }

    /// Deletes the user (its password record goes with it, as its owned Secret would).
    pub fn delete_user(&self, name: &str) {
        let mut world = self.world();
        world.objects.remove(&("chaosusers".into(), String::new(), name.into()));
        world.passwords.remove(name);
    }

    /// Adds an object as the apiserver would create it (`namespace` empty for a cluster-scoped one).
    pub fn add_object(&self, plural: &str, namespace: &str, value: Value) -> Value {
        self.put(plural, namespace, value)
    }

    /// Has another writer change the object right after each of its next `reads` reads (as the operator
    /// writing a status between a handler's read and its write).
    pub fn interfere(&self, plural: &str, namespace: &str, name: &str, reads: u32) {
        self.world().interfere.insert((plural.into(), namespace.into(), name.into()), reads);
    }

    /// Every object as stored now.
    pub fn all_objects(&self) -> Vec<Value> {
        self.world().objects.values().cloned().collect()
    }

    /// The user as stored now.
    pub fn stored_user(&self, name: &str) -> Option<ChaosUser> {
        self.world().user(name)
    }

    /// The project as stored now.
    pub fn stored_project(&self, name: &str) -> Option<Project> {
        self.world().typed("projects", name)
    }

    /// The objects of `plural` in `namespace`.
    pub fn stored(&self, plural: &str, namespace: &str) -> Vec<Value> {
        let world = self.world();
        world
            .objects
            .iter()
            .filter(|((p, ns, _), _)| p == plural && ns == namespace)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The user's password record.
    pub fn password_of(&self, name: &str) -> Option<PasswordRecord> {
        self.world().passwords.get(name).cloned()
    }

    /// A client whose requests this fake answers, as the apiserver (`None`) or impersonating `user`.
    fn client_as(&self, user: Option<String>) -> Client {
        let fake = self.clone();
        let service = tower::service_fn(move |req: Request<kube::client::Body>| {
            let (fake, user) = (fake.clone(), user.clone());
            async move { Ok::<_, std::convert::Infallible>(fake.answer(user.as_deref(), req).await) }
        });
        Client::new(service, "default")
    }

    async fn answer(&self, user: Option<&str>, req: Request<kube::client::Body>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let Some(t) = target(parts.uri.path()) else {
            return status(StatusCode::NOT_FOUND, "NotFound", format!("no route {}", parts.uri.path()));
        };
        let verb = match (&parts.method, &t.name) {
            (&Method::GET, Some(_)) => "get",
            (&Method::GET, None) if parts.uri.query().is_some_and(|q| q.contains("watch=true")) => "watch",
            (&Method::GET, None) => "list",
            (&Method::POST, None) => "create",
            (&Method::PUT, Some(_)) => "update",
            (&Method::PATCH, Some(_)) => "patch",
            (&Method::DELETE, Some(_)) => "delete",
            _ => {
                return status(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "not supported by the fake",
                )
            }
        };
        let resource =
            if t.group.is_empty() { t.plural.clone() } else { format!("{}.{}", t.plural, t.group) };
        if let Some(user) = user {
            if !self.world().allows(user, verb, &t) {
                let scope = if t.namespace.is_empty() {
                    "at the cluster scope".to_string()
                } else {
                    format!("in the namespace \"{}\"", t.namespace)
                };
                return status(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!(
                        "{resource} is forbidden: User \"chaoscenter:{user}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
                        t.plural, t.group
                    ),
                );
            }
        }
        let bytes = match axum::body::to_bytes(Body::new(body), 4 << 20).await {
            Ok(bytes) => bytes,
            Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", e.to_string()),
        };
        let input: Value = if bytes.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", e.to_string()),
            }
        };
        let key = |name: &str| (t.plural.clone(), t.namespace.clone(), name.to_string());
        let not_found = |name: &str| {
            status(StatusCode::NOT_FOUND, "NotFound", format!("{resource} \"{name}\" not found"))
        };
        let conflict = || {
            status(
                StatusCode::CONFLICT,
                "Conflict",
                format!("Operation cannot be fulfilled on {resource}: the object has been modified; please apply your changes to the latest version and try again"),
            )
        };
        let name = t.name.clone().unwrap_or_default();
        match verb {
            "get" => {
                let mut world = self.world();
                let Some(found) = world.objects.get(&key(&name)).cloned() else { return not_found(&name) };
                if let Some(left) = world.interfere.get_mut(&key(&name)).filter(|n| **n > 0) {
                    *left -= 1;
                    let version = world.next_version();
                    if let Some(v) = world.objects.get_mut(&key(&name)) {
                        v["metadata"]["resourceVersion"] = json!(version);
                    }
                }
                object(StatusCode::OK, &found)
            }
            "list" => {
                let items: Vec<Value> = self
                    .world()
                    .objects
                    .iter()
                    .filter(|((p, ns, _), _)| {
                        *p == t.plural && (t.namespace.is_empty() || *ns == t.namespace)
                    })
                    .map(|(_, v)| v.clone())
                    .collect();
                object(
                    StatusCode::OK,
                    &json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items}),
                )
            }
            "create" => {
                let mut value = input;
                let name =
                    match (value["metadata"]["name"].as_str(), value["metadata"]["generateName"].as_str()) {
                        (Some(n), _) if !n.is_empty() => n.to_string(),
                        (_, Some(prefix)) => {
                            format!("{prefix}{}", &crate::tokens::random_id()[..5].to_lowercase())
                        }
                        _ => {
                            return status(
                                StatusCode::UNPROCESSABLE_ENTITY,
                                "Invalid",
                                "metadata.name: Required value",
                            )
                        }
                    };
                if self.world().objects.contains_key(&key(&name)) {
                    return status(
                        StatusCode::CONFLICT,
                        "AlreadyExists",
                        format!("{resource} \"{name}\" already exists"),
                    );
                }
                value["metadata"]["name"] = json!(name);
                // the operator answers a dry run at once: its plan is ready when it is read back
                if t.plural == "chaosworkflowruns" && value["spec"]["dryRun"] == json!(true) {
                    value["status"] = json!({"phase": "Succeeded"});
                }
                object(StatusCode::CREATED, &self.put(&t.plural, &t.namespace, value))
            }
            "update" | "patch" => {
                let mut world = self.world();
                let Some(current) = world.objects.get(&key(&name)).cloned() else { return not_found(&name) };
                let asked = input["metadata"]["resourceVersion"].as_str();
                if asked.is_some_and(|v| Some(v) != current["metadata"]["resourceVersion"].as_str()) {
                    return conflict();
                }
                let mut next = if verb == "patch" {
                    let merge = parts
                        .headers
                        .get("content-type")
                        .is_some_and(|c| c == "application/merge-patch+json");
                    if !merge {
                        return status(
                            StatusCode::UNSUPPORTED_MEDIA_TYPE,
                            "UnsupportedMediaType",
                            "the fake takes merge patches only",
                        );
                    }
                    let mut next = current.clone();
                    json_patch::merge(&mut next, &input);
                    next
                } else {
                    input
                };
                for kept in ["uid", "creationTimestamp", "namespace", "name"] {
                    next["metadata"][kept] = current["metadata"][kept].clone();
                }
                next["metadata"]["resourceVersion"] = json!(world.next_version());
                world.objects.insert(key(&name), next.clone());
                object(StatusCode::OK, &next)
            }
            "delete" => match self.world().objects.remove(&key(&name)) {
                Some(v) => object(StatusCode::OK, &v),
                None => not_found(&name),
            },
            _ => status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "watches are not supported by the fake",
            ),
        }
    }
}

#[async_trait::async_trait]
impl ClusterApi for FakeCluster {
    fn client(&self) -> Client {
        self.client_as(None)
    }

    fn as_user(&self, user: &str) -> Result<Client, kube::Error> {
        Ok(self.client_as(Some(user.to_string())))
    }

    fn labels(&self) -> Option<BTreeMap<String, String>> {
        None
    }

    async fn user(&self, name: &str) -> Result<Option<Arc<ChaosUser>>, kube::Error> {
        Ok(self.world().user(name).map(Arc::new))
    }

    async fn user_live(&self, name: &str) -> Result<Option<Arc<ChaosUser>>, kube::Error> {
        self.user(name).await
    }

    fn project(&self, name: &str) -> Option<Arc<Project>> {
        self.stored_project(name).map(Arc::new)
    }

    fn projects(&self) -> Vec<Arc<Project>> {
        self.world().projects().into_iter().map(Arc::new).collect()
    }

    async fn password(&self, user: &str) -> Result<Option<PasswordRecord>, kube::Error> {
        Ok(self.password_of(user))
    }

    async fn set_password(&self, user: &ChaosUser, hash: &str, must_change: bool) -> Result<(), kube::Error> {
        let name = user.metadata.name.clone().unwrap_or_default();
        self.world().passwords.insert(name, PasswordRecord { hash: hash.into(), must_change });
        Ok(())
    }

    async fn forget_initial_password(&self, _user: &str) {}
}

/// The sign-in records in memory, with the semantics of [`crate::store::AuthStore`]: expiry, rotation
/// with reuse detection, generations, API tokens.
#[derive(Default)]
pub struct MemoryTokens {
    inner: Mutex<Tokens>,
}

#[derive(Default)]
struct Tokens {
    sessions: BTreeMap<String, Session>,
    /// Spent refresh token hash → (sid, user).
    spent: BTreeMap<String, (String, String)>,
    api_tokens: BTreeMap<String, ApiToken>,
    /// User → (generation, last seen disabled).
    generations: BTreeMap<String, (i64, bool)>,
}

impl Tokens {
    fn end_all(&mut self, user: &str) {
        self.sessions.retain(|_, s| s.user != user);
        self.api_tokens.retain(|_, t| t.user != user);
    }
}

impl MemoryTokens {
    fn inner(&self) -> MutexGuard<'_, Tokens> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many sessions the user has.
    pub fn sessions_of(&self, user: &str) -> usize {
        self.inner().sessions.values().filter(|s| s.user == user).count()
    }
}

#[async_trait::async_trait]
impl TokenStore for MemoryTokens {
    async fn create_session(&self, session: &Session) -> anyhow::Result<()> {
        self.inner().sessions.insert(session.sid.clone(), session.clone());
        Ok(())
    }

    async fn session(&self, sid: &str) -> anyhow::Result<Option<Session>> {
        Ok(self.inner().sessions.get(sid).filter(|s| s.expires_at > DateTime::now()).cloned())
    }

    async fn rotate(&self, hash: &str, new_hash: &str, sliding: Duration) -> anyhow::Result<Rotation> {
        let mut inner = self.inner();
        let now = DateTime::now();
        let current = inner.sessions.values().find(|s| s.refresh_hash == hash).cloned();
        if let Some(session) = current {
            if session.expires_at <= now {
                inner.sessions.remove(&session.sid);
                return Ok(Rotation::Unknown);
            }
            inner.spent.insert(hash.into(), (session.sid.clone(), session.user.clone()));
            let expires_at = sliding_expiry(now, sliding, session.ends_at);
            let rotated = Session { refresh_hash: new_hash.into(), expires_at, ..session };
            inner.sessions.insert(rotated.sid.clone(), rotated.clone());
            return Ok(Rotation::Rotated(rotated));
        }
        match inner.spent.get(hash).cloned() {
            Some((sid, user)) => {
                inner.sessions.remove(&sid);
                Ok(Rotation::Reused { sid, user })
            }
            None => Ok(Rotation::Unknown),
        }
    }

    async fn session_of_refresh(&self, hash: &str) -> anyhow::Result<Option<String>> {
        let inner = self.inner();
        if let Some(s) = inner.sessions.values().find(|s| s.refresh_hash == hash) {
            return Ok(Some(s.sid.clone()));
        }
        Ok(inner.spent.get(hash).map(|(sid, _)| sid.clone()))
    }

    async fn end_session(&self, sid: &str) -> anyhow::Result<()> {
        self.inner().sessions.remove(sid);
        Ok(())
    }

    async fn generation(&self, user: &str) -> anyhow::Result<i64> {
        Ok(self.inner().generations.get(user).map(|g| g.0).unwrap_or(0))
    }

    async fn invalidate_user(&self, user: &str) -> anyhow::Result<i64> {
        let mut inner = self.inner();
        let entry = inner.generations.entry(user.into()).or_default();
        entry.0 += 1;
        let gen = entry.0;
        inner.end_all(user);
        Ok(gen)
    }

    async fn note_disabled(&self, user: &str, disabled: bool) -> anyhow::Result<bool> {
        let mut inner = self.inner();
        let entry = inner.generations.entry(user.into()).or_default();
        if entry.1 == disabled {
            return Ok(false);
        }
        entry.1 = disabled;
        if disabled {
            entry.0 += 1;
            inner.end_all(user);
        }
        Ok(disabled)
    }

    async fn add_api_token(&self, token: &ApiToken) -> anyhow::Result<()> {
        self.inner().api_tokens.insert(token.id.clone(), token.clone());
        Ok(())
    }

    async fn api_token(&self, id: &str) -> anyhow::Result<Option<ApiToken>> {
        Ok(self.inner().api_tokens.get(id).filter(|t| t.expires_at > DateTime::now()).cloned())
    }

    async fn api_tokens(&self, user: &str, uid: &str) -> anyhow::Result<Vec<ApiToken>> {
        let now = DateTime::now();
        let mut tokens: Vec<ApiToken> = self
            .inner()
            .api_tokens
            .values()
            .filter(|t| t.user == user && t.uid == uid && t.expires_at > now)
            .cloned()
            .collect();
        tokens.sort_by_key(|t| std::cmp::Reverse(t.created_at));
        Ok(tokens)
    }

    async fn delete_api_token(&self, user: &str, id: &str) -> anyhow::Result<bool> {
        let mut inner = self.inner();
        if inner.api_tokens.get(id).is_some_and(|t| t.user == user) {
            inner.api_tokens.remove(id);
            return Ok(true);
        }
        Ok(false)
    }
}

/// The history in memory, as the mirror and the audit log would have written it: mirror documents of
/// runs, workflows and projects (the fields the queries read), and the audit entries in order.
#[derive(Default)]
pub struct MemoryHistory {
    audit: Mutex<Vec<Entry>>,
    docs: Mutex<Docs>,
}

#[derive(Default)]
struct Docs {
    runs: Vec<Document>,
    workflows: Vec<Document>,
    projects: Vec<Document>,
    logs: Vec<Document>,
}

/// A run as the mirror writes it (without `object` unless given).
pub struct RunDoc<'a> {
    pub project: &'a str,
    pub project_uid: &'a str,
    pub name: &'a str,
    pub workflow: &'a str,
    pub phase: &'a str,
    pub score: Option<f64>,
    pub created_ms: i64,
    pub preview: bool,
    pub deleted: bool,
}

impl MemoryHistory {
    fn docs(&self) -> MutexGuard<'_, Docs> {
        self.docs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// (actor, action, name) of every audit entry so far.
    pub fn audit_log(&self) -> Vec<(String, String, String)> {
        let audit = self.audit.lock().unwrap_or_else(|e| e.into_inner());
        audit.iter().map(|e| (e.actor.clone(), e.action.clone(), e.name.clone())).collect()
    }

    /// Adds a run's document; its uid.
    pub fn add_run(&self, run: RunDoc<'_>) -> String {
        let uid = crate::tokens::random_id();
        let object = json!({"spec": {"workflowRef": {"name": run.workflow}}, "status": {"phase": run.phase}});
        self.docs().runs.push(doc! {
            "_id": &uid, "uid": &uid, "kind": "ChaosWorkflowRun", "name": run.name,
            "namespace": project_namespace(run.project), "project": run.project, "projectUid": run.project_uid,
            "workflow": run.workflow, "phase": run.phase, "trigger": "Manual",
            "score": run.score.map(Bson::Double).unwrap_or(Bson::Null), "preview": run.preview,
            "createdMs": run.created_ms, "sortKey": crate::mirror::sort_key(run.created_ms, &uid),
            "deleted": run.deleted, "object": object.to_string(),
        });
        uid
    }

    /// Adds a run log's document (a mirrored ChaosRunLog) for the run with uid `run_uid`.
    pub fn add_run_log(&self, run_uid: &str, lines: &[&str], dropped: i64) {
        let object = json!({"spec": {"run": "r", "runUid": run_uid, "lines": lines, "dropped": dropped}});
        self.docs().logs.push(doc! {
            "_id": crate::tokens::random_id(), "runUid": run_uid, "lineCount": lines.len() as i64 + dropped,
            "object": object.to_string(),
        });
    }

    /// Adds a workflow's document.
    pub fn add_workflow(&self, project_uid: &str, name: &str) {
        let object = json!({"metadata": {"name": name}, "spec": {"steps": []}});
        self.docs().workflows.push(doc! {
            "_id": crate::tokens::random_id(), "name": name, "projectUid": project_uid, "deleted": false,
            "object": object.to_string(),
        });
    }

    /// Adds a project's document (`deleted_ms`: when it was deleted from the cluster).
    pub fn add_project(&self, name: &str, uid: &str, deleted_ms: Option<i64>) {
        let deleted = deleted_ms.map(Bson::Int64).unwrap_or(Bson::Null);
        self.docs().projects.push(doc! {
            "_id": uid, "uid": uid, "name": name, "createdMs": 0_i64, "deleted": deleted_ms.is_some(),
            "deletedMs": deleted,
        });
    }
}

fn text<'a>(doc: &'a Document, key: &str) -> &'a str {
    doc.get_str(key).unwrap_or_default()
}

/// Whether the run document `d` is in the history `filter` asks for (as `graphql::history_query` says).
fn wanted(d: &Document, project_uid: &str, filter: &RunFilter, after: Option<&str>) -> bool {
    let created = crate::mirror::stored_int(d, "createdMs").unwrap_or(0);
    text(d, "projectUid") == project_uid
        && !d.get_bool("preview").unwrap_or(false)
        && filter.workflow.as_deref().is_none_or(|w| text(d, "workflow") == w)
        && filter.phase.is_none_or(|p| text(d, "phase") == p.as_str())
        && filter.trigger.is_none_or(|t| text(d, "trigger") == t.as_str())
        && filter.since_ms.is_none_or(|s| created >= s)
        && filter.until_ms.is_none_or(|u| created < u)
        && after.is_none_or(|key| text(d, "sortKey") < key)
}

fn without_object(mut d: Document) -> Document {
    d.remove("object");
    d
}

#[async_trait::async_trait]
impl HistoryStore for MemoryHistory {
    async fn record_audit(&self, entry: Entry) {
        self.audit.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
    }

    async fn workflows(&self, project_uid: &str) -> anyhow::Result<Vec<Document>> {
        let mut found: Vec<Document> = self
            .docs()
            .workflows
            .iter()
            .filter(|d| text(d, "projectUid") == project_uid && !d.get_bool("deleted").unwrap_or(false))
            .cloned()
            .collect();
        found.sort_by(|a, b| text(a, "name").cmp(text(b, "name")));
        Ok(found)
    }

    async fn runs(
        &self,
        project_uid: &str,
        filter: &RunFilter,
        after: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<Document>> {
        let mut found: Vec<Document> =
            self.docs().runs.iter().filter(|d| wanted(d, project_uid, filter, after)).cloned().collect();
        found.sort_by(|a, b| text(b, "sortKey").cmp(text(a, "sortKey")));
        Ok(found.into_iter().take(limit).map(without_object).collect())
    }

    async fn run(&self, project_uid: &str, name: &str) -> anyhow::Result<Option<Document>> {
        let docs = self.docs();
        let mut found: Vec<&Document> = docs
            .runs
            .iter()
            .filter(|d| text(d, "projectUid") == project_uid && text(d, "name") == name)
            .collect();
        found.sort_by_key(|d| std::cmp::Reverse(crate::mirror::stored_int(d, "createdMs")));
        Ok(found.first().map(|d| (*d).clone()))
    }

    async fn run_by_uid(&self, uid: &str) -> anyhow::Result<Option<Document>> {
        Ok(self.docs().runs.iter().find(|d| text(d, "_id") == uid).cloned().map(without_object))
    }

    async fn run_log(&self, run_uid: &str) -> anyhow::Result<Option<Document>> {
        let docs = self.docs();
        let found = docs.logs.iter().filter(|d| text(d, "runUid") == run_uid);
        Ok(found.max_by_key(|d| crate::mirror::stored_int(d, "lineCount")).cloned())
    }

    /// Runs per phase only (the averages are the database's `$group`, not modelled here).
    async fn statistics(&self, project_uid: &str, since_ms: i64) -> anyhow::Result<Statistics> {
        let filter = RunFilter { since_ms: Some(since_ms), ..Default::default() };
        let mut phases: BTreeMap<String, i64> = BTreeMap::new();
        for d in self.docs().runs.iter().filter(|d| wanted(d, project_uid, &filter, None)) {
            *phases.entry(text(d, "phase").to_string()).or_default() += 1;
        }
        let runs_by_phase = phases
            .into_iter()
            .map(|(phase, runs)| crate::graphql::PhaseCount {
                phase: crate::graphql::Phase::parse(&phase),
                runs,
            })
            .collect();
        Ok(Statistics { runs_by_phase, ..Default::default() })
    }

    async fn audit_entries(
        &self,
        project_uid: Option<&str>,
        older: Option<Older>,
        limit: i64,
    ) -> anyhow::Result<Vec<Entry>> {
        let audit = self.audit.lock().unwrap_or_else(|e| e.into_inner());
        let bound = match older {
            Some(Older::Than(key)) => Some(key),
            Some(Older::ThanTime(ms)) => Some(format!("{ms:013}")),
            None => None,
        };
        let mut found: Vec<Entry> = audit
            .iter()
            .filter(|e| project_uid.is_none_or(|uid| e.project_uid.as_deref() == Some(uid)))
            .filter(|e| bound.as_ref().is_none_or(|b| &e.sort_key < b))
            .cloned()
            .collect();
        found.sort_by(|a, b| b.sort_key.cmp(&a.sort_key));
        found.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(found)
    }

    async fn deleted_projects(&self, limit: i64) -> anyhow::Result<Vec<Document>> {
        let mut found: Vec<Document> =
            self.docs().projects.iter().filter(|d| d.get_bool("deleted").unwrap_or(false)).cloned().collect();
        found.sort_by_key(|d| std::cmp::Reverse(crate::mirror::stored_int(d, "deletedMs")));
        found.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(found)
    }

    async fn project_recorded(&self, name: &str, uid: &str) -> anyhow::Result<bool> {
        Ok(self.docs().projects.iter().any(|d| text(d, "_id") == uid && text(d, "name") == name))
    }
}

/// Request headers from name and value pairs (a name may repeat).
pub fn headers(pairs: &[(&'static str, &str)]) -> axum::http::HeaderMap {
    let mut map = axum::http::HeaderMap::new();
    for (k, v) in pairs {
        map.append(*k, v.parse().unwrap());
    }
    map
}
