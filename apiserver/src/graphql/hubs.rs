//! Hubs, their catalogues and Litmus import in GraphQL: hubs and templates read and hubs written as the
//! caller (so RBAC decides as for kubectl), input checked into a hub spec with 4xx messages naming the
//! field, and a Litmus import that converts without writing. A hub's credentials are a Secret's name only:
//! no Secret is ever read here.

use super::access::{error, Scope};
use async_graphql::{Enum, InputObject, Json, Result, SimpleObject};
use chaoscenter_crds::common::LocalObjectReference;
use chaoscenter_crds::hub::{GitSource, HubSource, SYNC_NOW_ANNOTATION};
use chaoscenter_crds::template::{ChaosTemplate, TemplateLayout, HUB_LABEL};
use chaoscenter_crds::{ChaosHub, ChaosHubSpec};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::ResourceExt;

/// The most templates one `templates` query returns (`first`'s bound).
pub const MAX_TEMPLATES: i32 = 200;
/// The longest `search` text.
pub const MAX_SEARCH: usize = 200;
/// The largest Litmus YAML `importLitmus` reads (a request body is at most 256 KiB; this leaves room for
/// its JSON escaping).
pub const MAX_IMPORT: usize = 192 * 1024;

/// Where a hub's templates come from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(rename_items = "PascalCase")]
pub enum HubSourceKind {
    Git,
    Builtin,
}

impl From<HubSource> for HubSourceKind {
    fn from(source: HubSource) -> Self {
        match source {
            HubSource::Git => Self::Git,
            HubSource::Builtin => Self::Builtin,
        }
    }
}

/// One condition of an object's status.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct ConditionView {
    #[graphql(name = "type")]
    pub type_: String,
    /// True, False or Unknown.
    pub status: String,
    pub reason: String,
    pub message: String,
    pub last_transition_time: Option<String>,
}

/// A hub as the UI shows it (its credentials only as the Secret's name).
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct HubView {
    pub name: String,
    pub source: HubSourceKind,
    pub url: Option<String>,
    pub branch: Option<String>,
    pub path: Option<String>,
    /// The Secret holding the credentials (its name; its data is never read).
    pub secret_name: Option<String>,
    pub sync_interval: String,
    pub last_synced_at: Option<String>,
    pub revision: Option<String>,
    pub templates: Option<i32>,
    /// Whether the last sync worked (`Synced` condition), absent before the first.
    pub synced: Option<bool>,
    /// Whether the hub serves a catalogue (`Ready` condition): stays true when a later sync fails.
    pub ready: Option<bool>,
    pub conditions: Vec<ConditionView>,
    /// When a sync was last asked for (`chaoscenter.io/sync-now`).
    pub sync_requested_at: Option<String>,
}

fn condition_is(hub: &ChaosHub, type_: &str) -> Option<bool> {
    let c = hub.status.as_ref()?.conditions.iter().find(|c| c.type_ == type_)?;
    match serde_json::to_value(c.status).ok()?.as_str()? {
        "True" => Some(true),
        "False" => Some(false),
        _ => None,
    }
}

/// A hub's view.
pub fn hub_view(hub: &ChaosHub) -> HubView {
    let git = hub.spec.git.as_ref();
    let status = hub.status.clone().unwrap_or_default();
    HubView {
        name: hub.name_any(),
        source: hub.spec.source.into(),
        url: git.map(|g| g.url.clone()),
        branch: git.map(|g| g.branch.clone()),
        path: git.and_then(|g| g.path.clone()),
        secret_name: git.and_then(|g| g.secret_ref.as_ref()).map(|s| s.name.clone()),
        sync_interval: hub.spec.sync_interval.clone(),
        last_synced_at: status.last_synced_at.clone(),
        revision: status.revision.clone(),
        templates: status.templates.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
        synced: condition_is(hub, "Synced"),
        ready: condition_is(hub, "Ready"),
        conditions: status
            .conditions
            .iter()
            .map(|c| ConditionView {
                type_: c.type_.clone(),
                status: serde_json::to_value(c.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                reason: c.reason.clone(),
                message: c.message.clone(),
                last_transition_time: c.last_transition_time.clone(),
            })
            .collect(),
        sync_requested_at: hub.annotations().get(SYNC_NOW_ANNOTATION).cloned(),
    }
}

/// A hub to create or change.
#[derive(InputObject, Clone, Debug, Default)]
pub struct HubInput {
    /// The hub's name (a DNS label: it becomes its templates' `chaoscenter.io/hub` label).
    pub name: String,
    /// Git (default) or Builtin (ChaosCenter's own templates; no `url`).
    pub source: Option<HubSourceKind>,
    /// The repository: `https://…`, `http://…`, `ssh://…` or `git@host:path`.
    pub url: Option<String>,
    /// The branch or tag (default `main`).
    pub branch: Option<String>,
    /// The folder inside the repository holding the templates (default: the whole repository).
    pub path: Option<String>,
    /// The name of a Secret in the project's namespace with the credentials.
    pub secret_name: Option<String>,
    /// How often to sync, e.g. `1h` (default `1h`).
    pub sync_interval: Option<String>,
}

fn bad(message: impl Into<String>) -> async_graphql::Error {
    error("BAD_INPUT", message)
}

/// `input` checked into a hub spec, or a `BAD_INPUT` error naming the field.
pub fn hub_spec(input: &HubInput) -> Result<ChaosHubSpec> {
    chaoscenter_core::validate::dns_label(&input.name).map_err(|why| bad(format!("name: {why}")))?;
    let sync_interval = match input.sync_interval.as_deref().map(str::trim) {
        None | Some("") => "1h".to_string(),
        Some(text) => match chaoscenter_core::duration::parse(text) {
            Some(d) if d >= std::time::Duration::from_secs(60) => text.to_string(),
            Some(_) => return Err(bad("syncInterval: at least 1m")),
            None => return Err(bad("syncInterval: a duration like 30m or 1h")),
        },
    };
    let source = input.source.unwrap_or(HubSourceKind::Git);
    if source == HubSourceKind::Builtin {
        for (field, given) in [
            ("url", &input.url),
            ("branch", &input.branch),
            ("path", &input.path),
            ("secretName", &input.secret_name),
        ] {
            if given.as_deref().is_some_and(|v| !v.trim().is_empty()) {
                return Err(bad(format!("{field}: only for a hub of source Git")));
            }
        }
        return Ok(ChaosHubSpec { source: HubSource::Builtin, git: None, sync_interval });
    }
    let url = input.url.as_deref().map(str::trim).unwrap_or_default();
    if url.is_empty() {
        return Err(bad("url: required for a hub of source Git"));
    }
    if url.len() > 2048 {
        return Err(bad("url: at most 2048 characters"));
    }
    let scheme = ["https://", "http://", "ssh://", "git@"].iter().any(|s| url.starts_with(s));
    if !scheme || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("url: an https://, http://, ssh:// or git@host:path URL without spaces"));
    }
    // credentials belong in the Secret, not in the URL (which is shown to every member)
    if let Some(rest) = url.split_once("://").map(|(_, rest)| rest) {
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            return Err(bad("url: must not hold credentials; name a Secret in secretName"));
        }
    }
    let branch = match input.branch.as_deref().map(str::trim) {
        None | Some("") => "main".to_string(),
        Some(b) if b.len() > 255 => return Err(bad("branch: at most 255 characters")),
        Some(b)
            if b.starts_with('-')
                || b.contains("..")
                || b.chars().any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c)) =>
        {
            return Err(bad("branch: not a git branch or tag name"))
        }
        Some(b) => b.to_string(),
    };
    let path = match input.path.as_deref().map(|p| p.trim().trim_matches('/')) {
        None | Some("") => None,
        Some(p) if p.len() > 1024 => return Err(bad("path: at most 1024 characters")),
        Some(p) if p.split('/').any(|part| part == ".." || part == "." || part.is_empty()) => {
            return Err(bad("path: a folder inside the repository, like charts/faults (no . or ..)"))
        }
        Some(p) if p.chars().any(|c| c.is_control()) => return Err(bad("path: no control characters")),
        Some(p) => Some(p.to_string()),
    };
    let secret_ref = match input.secret_name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => {
            chaoscenter_core::validate::dns_subdomain(name)
                .map_err(|why| bad(format!("secretName: {why}")))?;
            Some(LocalObjectReference { name: name.to_string() })
        }
    };
    Ok(ChaosHubSpec {
        source: HubSource::Git,
        git: Some(GitSource { url: url.to_string(), branch, path, secret_ref }),
        sync_interval,
    })
}

fn kube_error(action: &str, err: kube::Error) -> async_graphql::Error {
    crate::error::ApiError::from_kube(action, err).into_graphql()
}

fn name_arg(field: &str, name: &str) -> Result<()> {
    chaoscenter_core::validate::dns_subdomain(name).map_err(|why| bad(format!("{field}: {why}")))
}

async fn audit(s: &Scope, action: &str, name: &str) {
    let entry = crate::audit::Entry::now(&s.caller_name, crate::audit::Source::Api, action, "ChaosHub", name)
        .in_project(&s.project, &s.project_uid, Some(&s.namespace));
    s.state.history.record_audit(entry).await;
}

fn hubs_api(s: &Scope) -> Result<Api<ChaosHub>> {
    Ok(Api::namespaced(s.as_caller()?, &s.namespace))
}

/// The project's hubs, by name.
pub async fn list(s: &Scope) -> Result<Vec<HubView>> {
    let list = hubs_api(s)?.list(&ListParams::default()).await.map_err(|e| kube_error("list the hubs", e))?;
    let mut hubs: Vec<HubView> = list.items.iter().map(hub_view).collect();
    hubs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(hubs)
}

/// One hub.
pub async fn get(s: &Scope, name: &str) -> Result<HubView> {
    name_arg("name", name)?;
    let hub = hubs_api(s)?.get(name).await.map_err(|e| kube_error("read the hub", e))?;
    Ok(hub_view(&hub))
}

/// Creates a hub.
pub async fn create(s: &Scope, input: &HubInput) -> Result<HubView> {
    let spec = hub_spec(input)?;
    let hub = ChaosHub {
        metadata: ObjectMeta {
            name: Some(input.name.clone()),
            namespace: Some(s.namespace.clone()),
            ..Default::default()
        },
        spec,
        status: None,
    };
    let created = hubs_api(s)?
        .create(&PostParams::default(), &hub)
        .await
        .map_err(|e| kube_error("create the hub", e))?;
    audit(s, "create", &created.name_any()).await;
    Ok(hub_view(&created))
}

/// Replaces a hub's spec (its metadata and status are kept).
pub async fn update(s: &Scope, input: &HubInput) -> Result<HubView> {
    let spec = hub_spec(input)?;
    // a merge patch of the whole spec: absent optional fields are written as null, so they are removed
    let git = spec.git.as_ref().map(|g| {
        serde_json::json!({
            "url": g.url, "branch": g.branch, "path": g.path,
            "secretRef": g.secret_ref.as_ref().map(|r| serde_json::json!({"name": r.name})),
        })
    });
    let patch = serde_json::json!({"spec": {
        "source": spec.source, "git": git, "syncInterval": spec.sync_interval,
    }});
    let hub = hubs_api(s)?
        .patch(&input.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| kube_error("update the hub", e))?;
    audit(s, "update", &input.name).await;
    Ok(hub_view(&hub))
}

/// Deletes a hub (its templates go with it: the hub owns them).
pub async fn delete(s: &Scope, name: &str) -> Result<bool> {
    name_arg("name", name)?;
    hubs_api(s)?.delete(name, &DeleteParams::default()).await.map_err(|e| kube_error("delete the hub", e))?;
    audit(s, "delete", name).await;
    Ok(true)
}

/// Asks the operator to sync the hub now (a new value of `chaoscenter.io/sync-now`).
pub async fn sync(s: &Scope, name: &str) -> Result<HubView> {
    name_arg("name", name)?;
    let now = jiff::Timestamp::now().to_string();
    let patch = serde_json::json!({"metadata": {"annotations": {SYNC_NOW_ANNOTATION: now}}});
    let hub = hubs_api(s)?
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| kube_error("ask for a sync of the hub", e))?;
    audit(s, "sync", name).await;
    Ok(hub_view(&hub))
}

/// The hub layout a template came in.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(rename_items = "PascalCase")]
pub enum TemplateLayoutKind {
    ChaosCenter,
    LitmusFault,
    LitmusExperiment,
}

impl From<TemplateLayout> for TemplateLayoutKind {
    fn from(layout: TemplateLayout) -> Self {
        match layout {
            TemplateLayout::ChaosCenter => Self::ChaosCenter,
            TemplateLayout::LitmusFault => Self::LitmusFault,
            TemplateLayout::LitmusExperiment => Self::LitmusExperiment,
        }
    }
}

/// A value a user may set before running a template.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct ParameterView {
    pub name: String,
    pub description: String,
    pub default: Option<String>,
    /// The workflow field it fills, e.g. `steps[0].fault.duration`.
    pub field: String,
}

/// One entry of a hub's catalogue.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct TemplateView {
    /// The ChaosTemplate object's name (pass it to `template`).
    pub id: String,
    pub hub: String,
    /// Its name in the hub, e.g. `pod-delete`.
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub category: String,
    pub supported: bool,
    /// Why ChaosCenter cannot run it.
    pub reason: Option<String>,
    pub layout: TemplateLayoutKind,
    pub path: String,
    pub revision: Option<String>,
    pub parameters: Vec<ParameterView>,
    /// The ChaosWorkflow spec it creates (absent when unsupported).
    pub workflow: Option<Json<serde_json::Value>>,
}

fn template_view(t: &ChaosTemplate) -> TemplateView {
    let spec = &t.spec;
    TemplateView {
        id: t.name_any(),
        hub: spec.hub.clone(),
        name: spec.name.clone(),
        display_name: spec.display_name.clone(),
        description: spec.description.clone(),
        category: spec.category.clone(),
        supported: spec.supported,
        reason: spec.reason.clone(),
        layout: spec.source.layout.into(),
        path: spec.source.path.clone(),
        revision: spec.source.revision.clone(),
        parameters: spec
            .parameters
            .iter()
            .map(|p| ParameterView {
                name: p.name.clone(),
                description: p.description.clone(),
                default: p.default.clone(),
                field: p.field.clone(),
            })
            .collect(),
        workflow: spec.workflow.as_ref().and_then(|w| serde_json::to_value(w).ok()).map(Json),
    }
}

/// How many templates a category holds.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct CategoryCount {
    pub category: String,
    pub templates: i32,
}

/// A page of a catalogue.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct TemplatePage {
    /// The matching templates, by hub, category and name, at most `first`.
    pub items: Vec<TemplateView>,
    /// How many match in all.
    pub total: i32,
    /// The categories of the hub's (or every hub's) templates, with how many each holds (before
    /// `category` and `search` narrow it).
    pub categories: Vec<CategoryCount>,
}

/// What a `templates` query asks for, checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateFilter {
    pub hub: Option<String>,
    pub category: Option<String>,
    /// Lowercase words, each of which must appear in the name, display name or description.
    pub words: Vec<String>,
    pub first: usize,
}

impl TemplateFilter {
    /// The filter from a query's arguments, or a `BAD_INPUT` error naming the argument.
    pub fn new(
        hub: Option<String>,
        category: Option<String>,
        search: Option<String>,
        first: Option<i32>,
    ) -> Result<Self> {
        if let Some(hub) = &hub {
            name_arg("hub", hub)?;
        }
        if category.as_ref().is_some_and(|c| c.len() > 63) {
            return Err(bad("category: at most 63 characters"));
        }
        let search = search.unwrap_or_default();
        if search.len() > MAX_SEARCH {
            return Err(bad(format!("search: at most {MAX_SEARCH} characters")));
        }
        let first = first.unwrap_or(100);
        if !(1..=MAX_TEMPLATES).contains(&first) {
            return Err(bad(format!("first: 1 to {MAX_TEMPLATES}")));
        }
        Ok(Self {
            hub,
            category: category.filter(|c| !c.is_empty()),
            words: search.to_lowercase().split_whitespace().map(String::from).collect(),
            first: first as usize,
        })
    }

    /// The page of `templates` this filter selects.
    pub fn page(&self, templates: &[ChaosTemplate]) -> TemplatePage {
        let in_hub: Vec<&ChaosTemplate> =
            templates.iter().filter(|t| self.hub.as_ref().is_none_or(|h| *h == t.spec.hub)).collect();
        let mut categories = std::collections::BTreeMap::<String, i32>::new();
        for t in &in_hub {
            *categories.entry(t.spec.category.clone()).or_default() += 1;
        }
        let mut matching: Vec<&ChaosTemplate> = in_hub
            .into_iter()
            .filter(|t| self.category.as_ref().is_none_or(|c| *c == t.spec.category))
            .filter(|t| {
                let text = format!("{}\n{}\n{}", t.spec.name, t.spec.display_name, t.spec.description)
                    .to_lowercase();
                self.words.iter().all(|w| text.contains(w.as_str()))
            })
            .collect();
        matching.sort_by(|a, b| {
            (&a.spec.hub, &a.spec.category, &a.spec.name).cmp(&(&b.spec.hub, &b.spec.category, &b.spec.name))
        });
        TemplatePage {
            total: i32::try_from(matching.len()).unwrap_or(i32::MAX),
            items: matching.into_iter().take(self.first).map(template_view).collect(),
            categories: categories
                .into_iter()
                .map(|(category, templates)| CategoryCount { category, templates })
                .collect(),
        }
    }
}

fn templates_api(s: &Scope) -> Result<Api<ChaosTemplate>> {
    Ok(Api::namespaced(s.as_caller()?, &s.namespace))
}

/// The project's templates that `filter` selects.
pub async fn templates(s: &Scope, filter: &TemplateFilter) -> Result<TemplatePage> {
    let params = match &filter.hub {
        Some(hub) => ListParams::default().labels(&format!("{HUB_LABEL}={hub}")),
        None => ListParams::default(),
    };
    let list = templates_api(s)?.list(&params).await.map_err(|e| kube_error("list the templates", e))?;
    Ok(filter.page(&list.items))
}

/// One template, with its workflow.
pub async fn template(s: &Scope, id: &str) -> Result<TemplateView> {
    name_arg("id", id)?;
    let t = templates_api(s)?.get(id).await.map_err(|e| kube_error("read the template", e))?;
    Ok(template_view(&t))
}

/// One Litmus experiment converted.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct ImportedWorkflow {
    pub name: String,
    /// The ChaosWorkflow as YAML, in the project's namespace (for `createWorkflow(yaml:)`).
    pub yaml: String,
    /// Its spec as JSON (for `createWorkflow(name:, spec:)` or the editor).
    pub spec: Json<serde_json::Value>,
    /// What was carried over, each in words.
    pub mapped: Vec<String>,
    /// What was left out, each with why.
    pub dropped: Vec<String>,
}

/// What an import produced; nothing is written.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct ImportResult {
    pub workflows: Vec<ImportedWorkflow>,
    /// Every workflow's `mapped`, prefixed with its name.
    pub mapped: Vec<String>,
    /// Every workflow's `dropped`, prefixed with its name.
    pub dropped: Vec<String>,
}

/// The imports as the answer shows them, placed in `namespace`.
pub fn import_result(namespace: &str, imports: Vec<chaoscenter_hub::Import>) -> Result<ImportResult> {
    let mut result = ImportResult { workflows: Vec::new(), mapped: Vec::new(), dropped: Vec::new() };
    for import in imports {
        let spec = serde_json::to_value(&import.workflow)
            .map_err(|_| error("INTERNAL", "the imported workflow could not be written"))?;
        let object = serde_json::json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
            "metadata": {"name": import.name, "namespace": namespace}, "spec": spec,
        });
        let yaml = serde_yaml::to_string(&object)
            .map_err(|_| error("INTERNAL", "the imported workflow could not be written"))?;
        result.mapped.extend(import.mapped.iter().map(|m| format!("{}: {m}", import.name)));
        result.dropped.extend(import.dropped.iter().map(|d| format!("{}: {d}", import.name)));
        result.workflows.push(ImportedWorkflow {
            name: import.name,
            yaml,
            spec: Json(spec),
            mapped: import.mapped,
            dropped: import.dropped,
        });
    }
    Ok(result)
}

/// Converts Litmus experiments or ChaosEngines in `yaml`; a `BAD_INPUT` error says why nothing could be.
pub fn import(s: &Scope, yaml: &str) -> Result<ImportResult> {
    if yaml.trim().is_empty() {
        return Err(bad("yaml: empty; paste or upload a Litmus experiment or ChaosEngine"));
    }
    if yaml.len() > MAX_IMPORT {
        return Err(bad(format!("yaml: at most {} KiB", MAX_IMPORT / 1024)));
    }
    if super::nesting::depth_bound(yaml) > super::nesting::MAX_FLOW_DEPTH {
        return Err(bad(format!(
            "yaml: more than {} flow collections ([...] or {{...}}) inside each other",
            super::nesting::MAX_FLOW_DEPTH
        )));
    }
    let imports = chaoscenter_hub::import_litmus(yaml).map_err(|why| bad(format!("yaml: {why}")))?;
    import_result(&s.namespace, imports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaoscenter_crds::template::{ChaosTemplateSpec, TemplateSource};

    fn input(url: &str) -> HubInput {
        HubInput { name: "team".into(), url: Some(url.into()), ..Default::default() }
    }

    fn message(err: async_graphql::Error) -> String {
        err.message
    }

    #[test]
    fn a_git_hub_gets_its_defaults_and_keeps_only_a_secret_name() {
        let mut i = input(" https://git.example/acme/charts.git ");
        i.path = Some("/faults/".into());
        i.secret_name = Some("git-creds".into());
        let spec = hub_spec(&i).unwrap();
        assert_eq!(spec.source, HubSource::Git);
        assert_eq!(spec.sync_interval, "1h");
        let git = spec.git.unwrap();
        assert_eq!(git.url, "https://git.example/acme/charts.git");
        assert_eq!(git.branch, "main");
        assert_eq!(git.path.as_deref(), Some("faults"));
        assert_eq!(git.secret_ref.unwrap().name, "git-creds");
    }

    #[test]
    fn bad_hub_input_is_refused_naming_the_field() {
        let cases: Vec<(HubInput, &str)> = vec![
            (HubInput { name: "Not A Label".into(), ..input("https://x/y") }, "name:"),
            (HubInput { name: "team".into(), ..Default::default() }, "url: required"),
            (input("ftp://x/y"), "url:"),
            (input("https://x/ y"), "url:"),
            (input("https://user:token@x/y.git"), "url: must not hold credentials"),
            (HubInput { branch: Some("a..b".into()), ..input("https://x/y") }, "branch:"),
            (HubInput { branch: Some("-x".into()), ..input("https://x/y") }, "branch:"),
            (HubInput { path: Some("a/../../etc".into()), ..input("https://x/y") }, "path:"),
            (HubInput { secret_name: Some("Bad_Name".into()), ..input("https://x/y") }, "secretName:"),
            (HubInput { sync_interval: Some("soon".into()), ..input("https://x/y") }, "syncInterval:"),
            (HubInput { sync_interval: Some("5s".into()), ..input("https://x/y") }, "syncInterval: at least"),
            (
                HubInput {
                    source: Some(HubSourceKind::Builtin),
                    url: Some("https://x/y".into()),
                    ..input("")
                },
                "url: only for a hub of source Git",
            ),
            (input(&format!("https://x/{}", "a".repeat(2100))), "url: at most"),
        ];
        for (i, expected) in cases {
            let err = message(hub_spec(&i).unwrap_err());
            assert!(err.starts_with(expected), "{i:?}: {err}");
        }
        let builtin = HubInput {
            name: "chaoscenter".into(),
            source: Some(HubSourceKind::Builtin),
            ..Default::default()
        };
        assert_eq!(hub_spec(&builtin).unwrap().git, None);
    }

    fn template(hub: &str, name: &str, category: &str, description: &str) -> ChaosTemplate {
        ChaosTemplate::new(
            &format!("{hub}-{name}"),
            ChaosTemplateSpec {
                hub: hub.into(),
                name: name.into(),
                display_name: name.replace('-', " "),
                description: description.into(),
                category: category.into(),
                source: TemplateSource::default(),
                supported: true,
                reason: None,
                parameters: vec![],
                workflow: None,
            },
        )
    }

    #[test]
    fn templates_are_filtered_by_hub_category_and_every_search_word_and_bounded() {
        let all = vec![
            template("a", "pod-delete", "kubernetes", "Deletes pods"),
            template("a", "node-drain", "kubernetes", "Drains a node"),
            template("a", "network-loss", "network", "Drops packets of pods"),
            template("b", "pod-delete", "kubernetes", "Deletes pods"),
        ];
        let filter = |hub: Option<&str>, category: Option<&str>, search: Option<&str>, first| {
            TemplateFilter::new(hub.map(Into::into), category.map(Into::into), search.map(Into::into), first)
                .unwrap()
        };
        let page = filter(Some("a"), None, None, None).page(&all);
        assert_eq!(page.total, 3);
        assert_eq!(
            page.categories,
            vec![
                CategoryCount { category: "kubernetes".into(), templates: 2 },
                CategoryCount { category: "network".into(), templates: 1 }
            ]
        );
        let names = |p: &TemplatePage| p.items.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&filter(Some("a"), Some("kubernetes"), None, None).page(&all)),
            ["a-node-drain", "a-pod-delete"]
        );
        assert_eq!(
            names(&filter(None, None, Some("PODS deletes"), None).page(&all)),
            ["a-pod-delete", "b-pod-delete"]
        );
        assert_eq!(names(&filter(None, None, Some("drains node"), None).page(&all)), ["a-node-drain"]);
        let bounded = filter(None, None, None, Some(1)).page(&all);
        assert_eq!((bounded.items.len(), bounded.total), (1, 4));
        for (args, expected) in [
            ((Some("Bad Hub"), None, None, None), "hub:"),
            ((None, None, Some("x".repeat(201)), None), "search:"),
            ((None, None, None, Some(0)), "first:"),
            ((None, None, None, Some(MAX_TEMPLATES + 1)), "first:"),
        ] {
            let (hub, category, search, first): (Option<&str>, Option<String>, Option<String>, Option<i32>) =
                args;
            let err = TemplateFilter::new(hub.map(Into::into), category, search, first).unwrap_err();
            assert!(err.message.starts_with(expected), "{}", err.message);
        }
    }

    #[test]
    fn an_import_is_shown_as_yaml_in_the_project_and_as_a_spec_with_what_was_mapped_and_dropped() {
        let spec: chaoscenter_crds::ChaosWorkflowSpec = serde_json::from_value(serde_json::json!({
            "steps": [{"name": "kill", "fault": {"type": "pod-delete",
                "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}}}]
        }))
        .unwrap();
        let imports = vec![chaoscenter_hub::Import {
            name: "kill-web".into(),
            workflow: spec,
            mapped: vec!["step pod-delete: TOTAL_CHAOS_DURATION=30 → duration 30s".into()],
            dropped: vec!["step cpu-hog: no equivalent".into()],
        }];
        let result = import_result("alpha-chaos", imports).unwrap();
        let wf: chaoscenter_crds::ChaosWorkflow = serde_yaml::from_str(&result.workflows[0].yaml).unwrap();
        assert_eq!(wf.metadata.name.as_deref(), Some("kill-web"));
        assert_eq!(wf.metadata.namespace.as_deref(), Some("alpha-chaos"));
        assert_eq!(result.workflows[0].spec.0["steps"][0]["fault"]["type"], "pod-delete");
        assert_eq!(result.mapped, ["kill-web: step pod-delete: TOTAL_CHAOS_DURATION=30 → duration 30s"]);
        assert_eq!(result.dropped, ["kill-web: step cpu-hog: no equivalent"]);
    }
}
