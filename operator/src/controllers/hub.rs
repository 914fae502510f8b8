//! The ChaosHub controller: syncs a hub (git: a shallow fetch of its branch; built-in: the embedded files)
//! on change, on its interval and on demand, and keeps one ChaosTemplate per catalogue entry; a failed
//! sync keeps the last catalogue and says why in `Synced`.

use super::{contain, now, Error, FIELD_MANAGER};
use crate::config::Config;
use crate::git::{self, Credentials, FetchError, Fetched};
use crate::metrics::Metrics;
use chaoscenter_crds::common::{set_condition, set_health, ConditionStatus, Health};
use chaoscenter_crds::hub::{HubSource, SYNC_NOW_ANNOTATION, SYNC_NOW_HANDLED_ANNOTATION};
use chaoscenter_crds::template::{ChaosTemplateSpec, HUB_LABEL};
use chaoscenter_crds::{ChaosHub, ChaosHubStatus, ChaosTemplate};
use chaoscenter_hub::Catalogue;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams};
use kube::runtime::controller::Action as Requeue;
use kube::runtime::events::{EventType, Recorder};
use kube::runtime::reflector::Store;
use kube::{Client, Resource, ResourceExt};
use sha2::Digest;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The shortest wait after a failed sync; it doubles with each failure in a row, up to the interval.
const FIRST_RETRY: Duration = Duration::from_secs(5);

/// What the hub reconciles get.
pub struct HubContext {
    pub client: Client,
    pub recorder: Recorder,
    pub metrics: Metrics,
    pub config: Config,
    /// The last attempt per hub (by uid), so a failing hub is retried with backoff rather than at once.
    pub attempts: Mutex<HashMap<String, Attempt>>,
    /// The hubs the controller watches (to forget the attempts of deleted ones).
    pub hubs: Store<ChaosHub>,
}

/// A hub's last sync attempt in this process.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// When the next attempt is due, unless the hub changes or is asked to sync now.
    pub next: Instant,
    /// Failures in a row.
    pub failures: u32,
    /// The generation and sync-now value it was made for.
    pub generation: Option<i64>,
    pub sync_now: Option<String>,
}

/// Reconciles one hub; a panic is contained to it (logged, counted, retried later).
pub async fn reconcile(hub: Arc<ChaosHub>, ctx: Arc<HubContext>) -> Result<Requeue, Error> {
    let started = Instant::now();
    let result = match contain(reconcile_inner(&hub, &ctx)).await {
        Ok(result) => result,
        Err(panic) => {
            tracing::error!(hub = %hub.name_any(), %panic, "reconciling the hub panicked");
            ctx.metrics.reconcile_failed("hub", "Panic");
            Ok(Requeue::requeue(Duration::from_secs(60)))
        }
    };
    ctx.metrics.observe("hub", started.elapsed().as_secs_f64());
    result
}

/// Logs, counts and retries a failed reconcile.
pub fn error_policy(hub: Arc<ChaosHub>, error: &Error, ctx: Arc<HubContext>) -> Requeue {
    tracing::warn!(hub = %hub.name_any(), %error, "hub reconcile failed");
    ctx.metrics.reconcile_failed("hub", error.category());
    Requeue::requeue(Duration::from_secs(10))
}

/// The name of the ChaosTemplate for entry `template` of `hub`: DNS-safe, stable, at most 63 characters;
/// a name that had to be changed to fit gets a short hash of the original so two entries never collide.
pub fn template_name(hub: &str, template: &str) -> String {
    let raw = format!("{hub}-{template}");
    let mut safe = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && safe.ends_with('-')) {
            safe.push(c);
        }
    }
    let safe = safe.trim_matches('-').to_string();
    if safe == raw && safe.len() <= 63 {
        return safe;
    }
    let hash = hex(&sha2::Sha256::digest(raw.as_bytes())[..4]);
    let keep = safe.get(..safe.len().min(63 - 9)).unwrap_or(&safe).trim_end_matches('-');
    format!("{keep}-{hash}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How often the hub syncs (its `syncInterval`, at least a minute... unless tests ask for less).
fn interval(hub: &ChaosHub) -> Duration {
    chaoscenter_core::duration::parse(&hub.spec.sync_interval)
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(3600))
}

async fn reconcile_inner(hub: &ChaosHub, ctx: &HubContext) -> Result<Requeue, Error> {
    let uid = hub.metadata.uid.clone().unwrap_or_default();
    let generation = hub.metadata.generation;
    let sync_now = hub.annotations().get(SYNC_NOW_ANNOTATION).cloned();
    let asked = sync_now.is_some() && hub.annotations().get(SYNC_NOW_HANDLED_ANNOTATION) != sync_now.as_ref();
    let every = interval(hub);
    let status = hub.status.clone().unwrap_or_default();

    // due: never synced, a new spec, asked to, the interval passed since the last sync, or the last sync
    // failed (its backoff is kept in memory: after a restart it is tried at once)
    let last = status.last_synced_at.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let since = last.map(|t| chaoscenter_core::time::until(t, now()));
    let synced_spec = status.observed_generation == generation
        && status.conditions.iter().any(|c| c.type_ == "Synced" && c.status == ConditionStatus::True);
    let attempt = ctx.attempts.lock().unwrap_or_else(|e| e.into_inner()).get(&uid).cloned();
    let same_ask = attempt.as_ref().is_some_and(|a| a.generation == generation && a.sync_now == sync_now);
    if let Some(a) = attempt.as_ref().filter(|_| same_ask) {
        // this process already acted on this spec and ask: wait for its retry (backoff) or its interval.
        // The cached hub may still carry the status from before that attempt (the Syncing write's event
        // arrives after it), so the status alone would fetch the same commit twice.
        if a.next > Instant::now() {
            return Ok(Requeue::requeue(a.next - Instant::now()));
        }
    } else if synced_spec && !asked {
        if let Some(since) = since.filter(|s| *s < every) {
            return Ok(Requeue::requeue(every - since + Duration::from_millis(200)));
        }
    }

    // a fetch can take a while: say it is under way (kstatus Reconciling) before it starts
    let mut written = hub.status.clone();
    if hub.spec.source == HubSource::Git {
        let mut syncing = status.clone();
        let message = "fetching the hub's repository";
        set_condition(
            &mut syncing.conditions,
            "Reconciling",
            ConditionStatus::True,
            "Syncing",
            message,
            generation,
            &now().to_string(),
        );
        if syncing != status {
            let patch = super::status_patch(hub.status.as_ref(), &syncing)?;
            hubs(hub, ctx)
                .patch_status(&hub.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(Error::kube("write the hub status"))?;
            written = Some(syncing);
        }
    }
    let outcome = sync(hub, ctx).await;
    ctx.metrics.hub_sync(outcome.as_ref().err().map(|f| f.reason));
    let failures = match &outcome {
        Ok(_) => 0,
        Err(_) => attempt.as_ref().filter(|_| same_ask).map(|a| a.failures).unwrap_or(0) + 1,
    };
    let wait =
        if failures == 0 { every } else { (FIRST_RETRY * 2u32.saturating_pow(failures - 1)).min(every) };
    {
        let mut attempts = ctx.attempts.lock().unwrap_or_else(|e| e.into_inner());
        attempts.insert(
            uid,
            Attempt { next: Instant::now() + wait, failures, generation, sync_now: sync_now.clone() },
        );
        // deleted hubs are never reconciled again: forget them now and then
        if attempts.len() > 2 * ctx.hubs.state().len() + 16 {
            let live: BTreeSet<String> =
                ctx.hubs.state().iter().filter_map(|h| h.metadata.uid.clone()).collect();
            attempts.retain(|uid, _| live.contains(uid));
        }
    }
    let new_status = match outcome {
        Ok(synced) => succeeded(hub, ctx, status, synced).await?,
        Err(failure) => failed(hub, ctx, status, failure).await,
    };
    if written.as_ref() != Some(&new_status) {
        let patch = super::status_patch(written.as_ref(), &new_status)?;
        hubs(hub, ctx)
            .patch_status(&hub.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::kube("write the hub status"))?;
    }
    // handled only once its outcome is in the status: whoever sees the mark reads that sync's result
    if asked {
        mark_handled(hub, ctx, &sync_now).await?;
    }
    Ok(Requeue::requeue(wait))
}

/// Records on the hub the sync-now value it acted on.
async fn mark_handled(hub: &ChaosHub, ctx: &HubContext, sync_now: &Option<String>) -> Result<(), Error> {
    let patch = serde_json::json!({"metadata": {"annotations": {SYNC_NOW_HANDLED_ANNOTATION: sync_now}}});
    hubs(hub, ctx)
        .patch(&hub.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(Error::kube("mark sync-now handled"))?;
    Ok(())
}

fn hubs(hub: &ChaosHub, ctx: &HubContext) -> Api<ChaosHub> {
    Api::namespaced(ctx.client.clone(), &hub.namespace().unwrap_or_default())
}

/// What a successful sync found.
enum Synced {
    /// The branch still points at the synced commit: nothing was read.
    Unchanged,
    /// A catalogue (at this commit, for a git hub).
    Catalogue { revision: Option<String>, catalogue: Catalogue, from: String },
}

/// Why a sync failed: a condition reason and a message (never holding credentials).
struct Failure {
    reason: &'static str,
    message: String,
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Self { reason: e.reason(), message: git::redact(&e.to_string()) }
    }
}

async fn sync(hub: &ChaosHub, ctx: &HubContext) -> Result<Synced, Failure> {
    match hub.spec.source {
        HubSource::Builtin => Ok(Synced::Catalogue {
            revision: None,
            catalogue: chaoscenter_hub::catalogue(&chaoscenter_hub::builtin(), "", None),
            from: "the built-in catalogue".into(),
        }),
        HubSource::Git => {
            let Some(spec) = hub.spec.git.as_ref() else {
                return Err(Failure {
                    reason: "InvalidSpec",
                    message: "spec.git: required for source Git".into(),
                });
            };
            let ns = hub.namespace().unwrap_or_default();
            let credentials = match &spec.secret_ref {
                None => Credentials::None,
                Some(r) => credentials(ctx, &ns, &r.name, &spec.url, is_ssh(&spec.url)).await?,
            };
            let path = spec.path.clone().unwrap_or_default().trim_matches('/').to_string();
            let request = git::Request {
                url: spec.url.clone(),
                branch: spec.branch.clone(),
                path: path.clone(),
                credentials,
                cache: ctx.config.hub_cache_dir.join(&ns).join(hub.name_any()),
                limits: ctx.config.hub_limits,
                // a changed spec (URL, branch, path) reads the files again even at the same commit
                known: hub
                    .status
                    .as_ref()
                    .filter(|s| s.observed_generation == hub.metadata.generation)
                    .and_then(|s| s.revision.clone()),
            };
            let fetch = tokio::task::spawn_blocking(move || git::fetch(&request));
            let fetched = match tokio::time::timeout(ctx.config.hub_fetch_timeout, fetch).await {
                Err(_) => {
                    return Err(Failure {
                        reason: "FetchFailed",
                        message: format!(
                            "the fetch took longer than HUB_FETCH_TIMEOUT ({})",
                            chaoscenter_core::duration::format(ctx.config.hub_fetch_timeout)
                        ),
                    })
                }
                Ok(Err(join)) => {
                    return Err(Failure {
                        reason: "FetchFailed",
                        message: format!("the fetch failed: {join}"),
                    })
                }
                Ok(Ok(fetched)) => fetched?,
            };
            let from = format!("{} (branch {})", git::redact(&spec.url), spec.branch);
            match fetched {
                Fetched::Unchanged => Ok(Synced::Unchanged),
                Fetched::Changed { revision, files } => {
                    let catalogue = chaoscenter_hub::catalogue(&files, &path, Some(&revision));
                    tracing::info!(hub = %hub.name_any(), namespace = %ns, %revision, files = files.len(), templates = catalogue.templates.len(), "hub fetched");
                    Ok(Synced::Catalogue { revision: Some(revision), catalogue, from })
                }
            }
        }
    }
}

fn is_ssh(url: &str) -> bool {
    !(url.starts_with("https://") || url.starts_with("http://"))
}

/// Whether a Secret whose `url` is `allowed` may lend its credentials to `url`: the same URL or one below
/// it (the next character a `/`, or `allowed` ends with `/` or `:`), so that `https://git.example/team`
/// covers `https://git.example/team/charts.git` and not `https://git.example/team-b/x` or
/// `https://git.example.evil/`. A hub's author cannot send another hub's credentials to a server of theirs.
fn credentials_cover(allowed: &str, url: &str) -> bool {
    let allowed = allowed.trim();
    !allowed.is_empty()
        && url.strip_prefix(allowed).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with('/') || allowed.ends_with('/') || allowed.ends_with(':')
        })
}

/// The credentials in the hub's Secret: for https `username` and `password`, or `token` (with `username`
/// when given); for ssh `ssh-privatekey` and `known_hosts` (required: host keys are always checked); and
/// always `url`, the repository URL or prefix they are for ([`credentials_cover`]).
async fn credentials(
    ctx: &HubContext,
    ns: &str,
    name: &str,
    url: &str,
    ssh: bool,
) -> Result<Credentials, Failure> {
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let secret = match secrets.get_opt(name).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err(Failure {
                reason: "SecretMissing",
                message: format!("spec.git.secretRef: Secret {name} does not exist in namespace {ns}"),
            })
        }
        Err(e) => {
            return Err(Failure {
                reason: "SecretMissing",
                message: format!(
                    "spec.git.secretRef: Secret {name} could not be read: {}",
                    git::redact(&e.to_string())
                ),
            })
        }
    };
    let data = secret.data.unwrap_or_default();
    let key = |k: &str| {
        data.get(k)
            .map(|v| String::from_utf8_lossy(&v.0).trim_end_matches(['\r', '\n']).to_string())
            .filter(|v| !v.is_empty())
    };
    match key("url") {
        None => {
            return Err(Failure {
                reason: "InvalidSpec",
                message: format!(
                    "spec.git.secretRef: Secret {name} has no `url`: its credentials are sent only to the repository URL (or URL prefix) it names"
                ),
            })
        }
        Some(allowed) if !credentials_cover(&allowed, url) => {
            return Err(Failure {
                reason: "SecretNotForURL",
                message: format!(
                    "spec.git.url: Secret {name} holds credentials for {}, which does not cover {}",
                    git::redact(&allowed),
                    git::redact(url)
                ),
            })
        }
        Some(_) => {}
    }
    if ssh {
        return match (key("ssh-privatekey"), key("known_hosts")) {
            (Some(private_key), Some(known_hosts)) => Ok(Credentials::Ssh { private_key, known_hosts }),
            (None, _) => Err(Failure {
                reason: "InvalidSpec",
                message: format!("spec.git.secretRef: Secret {name} has no `ssh-privatekey` for the ssh URL"),
            }),
            (Some(_), None) => Err(Failure {
                reason: "InvalidSpec",
                message: format!(
                    "spec.git.secretRef: Secret {name} has no `known_hosts`: it is required for ssh (the server's host key is always checked)"
                ),
            }),
        };
    }
    match (key("username"), key("password"), key("token")) {
        (_, _, Some(token)) => Ok(Credentials::Basic {
            username: key("username").unwrap_or_else(|| "x-access-token".into()),
            password: token,
        }),
        (Some(username), Some(password), None) => Ok(Credentials::Basic { username, password }),
        _ => Err(Failure {
            reason: "InvalidSpec",
            message: format!(
                "spec.git.secretRef: Secret {name} holds neither `username` and `password` nor `token`"
            ),
        }),
    }
}

async fn succeeded(
    hub: &ChaosHub,
    ctx: &HubContext,
    mut status: ChaosHubStatus,
    synced: Synced,
) -> Result<ChaosHubStatus, Error> {
    let at = now().to_string();
    let generation = hub.metadata.generation;
    status.last_synced_at = Some(at.clone());
    status.observed_generation = generation;
    let message = match synced {
        Synced::Unchanged => {
            let revision = status.revision.clone().unwrap_or_default();
            format!("unchanged at {}", short(&revision))
        }
        Synced::Catalogue { revision, catalogue, from } => {
            let count = write_templates(hub, ctx, &catalogue.templates).await?;
            status.templates = Some(count);
            status.revision = revision.clone();
            let mut message = format!(
                "{count} template(s) from {from}{}",
                revision.as_deref().map(|r| format!(" at {}", short(r))).unwrap_or_default()
            );
            if !catalogue.problems.is_empty() {
                let shown: Vec<&str> = catalogue.problems.iter().take(3).map(String::as_str).collect();
                message.push_str(&format!(
                    "; {} file(s) could not be read: {}{}",
                    catalogue.problems.len(),
                    git::redact(&shown.join("; ")),
                    if catalogue.problems.len() > 3 { "; …" } else { "" }
                ));
            }
            ctx.event(hub, EventType::Normal, "Synced", &message).await;
            message
        }
    };
    set_condition(
        &mut status.conditions,
        "Synced",
        ConditionStatus::True,
        "Synced",
        &message,
        generation,
        &at,
    );
    set_health(
        &mut status.conditions,
        Health::Ready { reason: "Synced", message: &message },
        generation,
        &at,
    );
    Ok(status)
}

async fn failed(
    hub: &ChaosHub,
    ctx: &HubContext,
    mut status: ChaosHubStatus,
    failure: Failure,
) -> ChaosHubStatus {
    let at = now().to_string();
    let generation = hub.metadata.generation;
    status.observed_generation = generation;
    let changed = set_condition(
        &mut status.conditions,
        "Synced",
        ConditionStatus::False,
        failure.reason,
        &failure.message,
        generation,
        &at,
    );
    // the last good catalogue stays: the hub is still usable
    match (&status.templates, &status.revision) {
        (Some(count), revision) => {
            let message = format!(
                "serving the last catalogue ({count} template(s){}); the last sync failed: {}",
                revision.as_deref().map(|r| format!(" at {}", short(r))).unwrap_or_default(),
                failure.message
            );
            let health = Health::Ready { reason: "LastCatalogue", message: &message };
            set_health(&mut status.conditions, health, generation, &at);
        }
        (None, _) => {
            let (reason, message) = (failure.reason, failure.message.as_str());
            // a spec or Secret that cannot work stays failed until someone changes it; the rest is retried
            let health = if matches!(reason, "InvalidSpec" | "SecretNotForURL") {
                Health::Stalled { reason, message }
            } else {
                Health::NotReady { reason, message }
            };
            set_health(&mut status.conditions, health, generation, &at);
        }
    }
    if changed {
        ctx.event(hub, EventType::Warning, failure.reason, &failure.message).await;
    }
    tracing::warn!(hub = %hub.name_any(), namespace = hub.namespace().unwrap_or_default(), reason = failure.reason, message = %failure.message, "hub sync failed");
    status
}

fn short(revision: &str) -> &str {
    revision.get(..12).unwrap_or(revision)
}

impl HubContext {
    async fn event(&self, hub: &ChaosHub, type_: EventType, reason: &str, note: &str) {
        super::publish(&self.recorder, hub, type_, reason, "Sync", note.to_string(), None).await
    }
}

/// Writes one ChaosTemplate per entry (owned by the hub, labelled with it) and deletes the hub's others;
/// returns how many it holds. Unchanged templates are not rewritten (server-side apply of the same content).
async fn write_templates(
    hub: &ChaosHub,
    ctx: &HubContext,
    templates: &[ChaosTemplateSpec],
) -> Result<u32, Error> {
    let ns = hub.namespace().unwrap_or_default();
    let hub_name = hub.name_any();
    let api: Api<ChaosTemplate> = Api::namespaced(ctx.client.clone(), &ns);
    let owner = hub.controller_owner_ref(&()).map(|mut o| {
        o.block_owner_deletion = None;
        vec![o]
    });
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    let mut wanted = BTreeSet::new();
    for spec in templates {
        let name = template_name(&hub_name, &spec.name);
        if !wanted.insert(name.clone()) {
            continue;
        }
        let mut spec = spec.clone();
        spec.hub = hub_name.clone();
        let template = ChaosTemplate {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(ns.clone()),
                labels: Some([(HUB_LABEL.to_string(), hub_name.clone())].into()),
                owner_references: owner.clone(),
                ..Default::default()
            },
            spec,
        };
        let mut body = serde_json::to_value(&template).map_err(Error::Serialize)?;
        body["apiVersion"] = ChaosTemplate::api_version(&()).into();
        body["kind"] = ChaosTemplate::kind(&()).into();
        drop_empty_strings(&mut body["spec"]);
        api.patch(&name, &apply, &Patch::Apply(&body)).await.map_err(Error::kube("apply a template"))?;
    }
    let existing = api
        .list_metadata(&ListParams::default().labels(&format!("{HUB_LABEL}={hub_name}")))
        .await
        .map_err(Error::kube("list the hub's templates"))?;
    for old in existing.items.iter().filter(|t| !wanted.contains(&t.name_any())) {
        match api.delete(&old.name_any(), &DeleteParams::default()).await {
            Ok(_) => {}
            Err(e) if crate::faults::is_not_found(&e) => {}
            Err(e) => return Err(Error::kube("delete a template no longer offered")(e)),
        }
    }
    Ok(wanted.len() as u32)
}

/// Removes the empty strings from `value`: the cluster's validation reads `""` as null and refuses it for
/// a string field, and an optional field left out reads back as the same empty default.
fn drop_empty_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| v.as_str() != Some(""));
            map.values_mut().for_each(drop_empty_strings);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_empty_strings),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_lends_its_credentials_only_to_the_urls_it_names() {
        let team = "https://git.example/team";
        assert!(credentials_cover(team, "https://git.example/team"));
        assert!(credentials_cover(team, "https://git.example/team/charts.git"));
        assert!(credentials_cover("https://git.example/", "https://git.example/any/repo"));
        assert!(credentials_cover("git@git.example:", "git@git.example:team/charts.git"));
        assert!(credentials_cover("ssh://git@git.example:2222/team", "ssh://git@git.example:2222/team/c"));
        for other in [
            "https://git.example/team-b/charts.git",
            "https://git.example.evil/team",
            "https://git.example/tea",
            "http://git.example/team/charts.git",
            "https://evil.example/https://git.example/team",
        ] {
            assert!(!credentials_cover(team, other), "{other}");
        }
        assert!(!credentials_cover("", "https://git.example/team"));
        assert!(!credentials_cover("  ", "https://git.example/team"));
    }

    #[test]
    fn empty_strings_are_left_out() {
        let mut v = serde_json::json!({"a": "", "b": "x", "c": {"d": ""}, "e": [{"f": ""}]});
        drop_empty_strings(&mut v);
        assert_eq!(v, serde_json::json!({"b": "x", "c": {}, "e": [{}]}));
    }

    #[test]
    fn template_names_are_dns_safe_stable_and_distinct() {
        assert_eq!(template_name("chaoscenter", "pod-delete"), "chaoscenter-pod-delete");
        let odd = template_name("hub", "Pod_Delete v2");
        assert!(odd.starts_with("hub-pod-delete-v2-"), "{odd}");
        assert_eq!(odd, template_name("hub", "Pod_Delete v2"));
        assert_ne!(odd, template_name("hub", "pod-delete-v2"));
        let long = template_name("hub", &"x".repeat(100));
        assert!(long.len() <= 63 && !long.ends_with('-'), "{long}");
        for name in [odd, long] {
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }
}
