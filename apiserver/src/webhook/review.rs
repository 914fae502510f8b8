//! The admission rules, without IO: who is asking, what the mutating webhook stamps on an object (author,
//! last writer, a run's trigger), and what the validating webhook refuses (invalid definitions, a changed
//! run spec, forged authorship, a preview label on a run the apiserver did not create as a preview).

use chaoscenter_crds::common::{
    AUTHOR_ANNOTATION, AUTHOR_GROUPS_ANNOTATION, CHANGED_BY_ANNOTATION, PREVIEW_LABEL,
};
use chaoscenter_crds::run::Trigger;
use chaoscenter_crds::{ChaosWorkflowRun, ChaosWorkflowRunSpec, ChaosWorkflowSpec};
use kube::ResourceExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The user-info extra the apiserver sets when it impersonates a user (`Impersonate-Extra-…`), so the
/// webhook can tell the UI's writes (already in the audit log with their action) from kubectl's.
pub const VIA_EXTRA: &str = "chaoscenter.io/via";
/// The value of [`VIA_EXTRA`].
pub const VIA_APISERVER: &str = "apiserver";

/// Who sent a request, as the Kubernetes API server authenticated them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub username: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `apiserver` when the ChaosCenter apiserver made the write for a signed-in user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl Identity {
    /// The identity of an admission request's `userInfo`.
    pub fn of(info: &k8s_openapi::api::authentication::v1::UserInfo) -> Self {
        let via = info
            .extra
            .as_ref()
            .and_then(|extra| extra.get(VIA_EXTRA))
            .and_then(|values| values.first())
            .cloned();
        Self {
            username: info.username.clone().unwrap_or_default(),
            groups: info.groups.clone().unwrap_or_default(),
            via,
        }
    }

    pub fn via_apiserver(&self) -> bool {
        self.via.as_deref() == Some(VIA_APISERVER)
    }

    /// Whether this is a Kubernetes ServiceAccount (a program, not a person).
    pub fn is_service_account(&self) -> bool {
        self.username.starts_with("system:serviceaccount:")
    }
}

/// How a Kubernetes username is shown: `bob` for the ChaosCenter user `chaoscenter:bob`, else the whole name.
pub fn display_name(username: &str) -> &str {
    chaoscenter_crds::access::username_of(username).unwrap_or(username)
}

/// Who the webhook treats specially.
#[derive(Clone, Debug, Default)]
pub struct Identities {
    /// The operator's username: its scheduled runs keep trigger `Schedule`, and it alone may freeze a
    /// definition into a run created without one.
    pub operator: String,
    /// Usernames (a trailing `*` matches any rest) of GitOps controllers: their runs get trigger `GitOps`.
    pub gitops: Vec<String>,
}

impl Identities {
    fn is_gitops(&self, username: &str) -> bool {
        self.gitops.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => username.starts_with(prefix),
            None => pattern == username,
        })
    }

    /// The trigger a run created by `who`, asking for `asked`, gets: only the operator may say `Schedule`,
    /// only the apiserver may choose between `Manual` and `Api` for its user; GitOps controllers' runs are
    /// `GitOps`, other programs' `Api`, people's `Manual`.
    pub fn trigger(&self, who: &Identity, asked: Trigger) -> Trigger {
        if who.username == self.operator && !self.operator.is_empty() {
            return asked;
        }
        if self.is_gitops(&who.username) {
            return Trigger::GitOps;
        }
        if who.via_apiserver() {
            return if asked == Trigger::Api { Trigger::Api } else { Trigger::Manual };
        }
        if who.is_service_account() {
            Trigger::Api
        } else {
            Trigger::Manual
        }
    }
}

/// A JSON pointer to an annotation (`/` in the key escaped as `~1`).
fn annotation_path(key: &str) -> String {
    format!("/metadata/annotations/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// JSON-patch operations that make `object`'s authorship annotations say: created by `author` (with
/// `author_groups`), last written by `writer`. `object` is the incoming object.
pub fn stamp(object: &Value, author: Option<(&str, &str)>, writer: &Identity) -> Vec<Value> {
    let mut ops = Vec::new();
    let annotations = object.pointer("/metadata/annotations").and_then(Value::as_object);
    if annotations.is_none() {
        ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": {}}));
    }
    let mut set = |key: &str, value: Option<&str>| {
        let current = annotations.and_then(|a| a.get(key)).and_then(Value::as_str);
        match (current, value) {
            (Some(c), Some(v)) if c == v => {}
            (_, Some(v)) => ops.push(json!({"op": "add", "path": annotation_path(key), "value": v})),
            (Some(_), None) => ops.push(json!({"op": "remove", "path": annotation_path(key)})),
            (None, None) => {}
        }
    };
    set(AUTHOR_ANNOTATION, author.map(|a| a.0));
    set(AUTHOR_GROUPS_ANNOTATION, author.map(|a| a.1));
    let writer = serde_json::to_string(writer).unwrap_or_default();
    set(CHANGED_BY_ANNOTATION, Some(&writer));
    ops
}

/// The author annotations of an object (`None` when it has none: created before the webhook).
pub fn author_of(object: &Value) -> Option<(String, String)> {
    let annotations = object.pointer("/metadata/annotations")?;
    let author = annotations.get(AUTHOR_ANNOTATION)?.as_str()?.to_string();
    let groups = annotations.get(AUTHOR_GROUPS_ANNOTATION).and_then(Value::as_str).unwrap_or("").to_string();
    Some((author, groups))
}

/// Refuses a change of a run's spec other than `abort` false→true, and a definition frozen into a run by
/// anyone but the operator. Returns the refusal message.
pub fn run_update(
    old: &ChaosWorkflowRunSpec,
    new: &ChaosWorkflowRunSpec,
    who: &Identity,
    ids: &Identities,
) -> Result<(), String> {
    if old.abort && !new.abort {
        return Err(
            "spec.abort: an aborted run cannot be resumed (abort may only go from false to true)".into()
        );
    }
    let mut changed = Vec::new();
    if old.workflow_ref != new.workflow_ref {
        changed.push("spec.workflowRef");
    }
    if old.trigger != new.trigger {
        changed.push("spec.trigger");
    }
    if old.dry_run != new.dry_run {
        changed.push("spec.dryRun");
    }
    match (&old.workflow, &new.workflow) {
        (None, Some(_)) if !ids.operator.is_empty() && who.username == ids.operator => {}
        (a, b) if a != b => changed.push("spec.workflow"),
        _ => {}
    }
    if changed.is_empty() {
        return Ok(());
    }
    let detail = match (&old.workflow, &new.workflow) {
        (Some(a), Some(b)) => first_difference(
            "spec.workflow",
            &serde_json::to_value(a).unwrap_or_default(),
            &serde_json::to_value(b).unwrap_or_default(),
        )
        .map(|path| format!(" (first difference at {path})"))
        .unwrap_or_default(),
        _ => String::new(),
    };
    Err(format!(
        "{}: a run's spec cannot change after it was created; only spec.abort may be set to true{detail}. \
         Create a new run to execute another definition",
        changed.join(", ")
    ))
}

/// Refuses [`PREVIEW_LABEL`] on a run the apiserver did not create as a target preview: only a dry run
/// created through the apiserver may carry it (the label keeps a run out of the history, and has the
/// operator delete it once finished), and no update may add it. Returns the refusal message.
pub fn preview_label(
    new: &ChaosWorkflowRun,
    old: Option<&ChaosWorkflowRun>,
    who: &Identity,
) -> Result<(), String> {
    let labelled = |run: &ChaosWorkflowRun| run.labels().contains_key(PREVIEW_LABEL);
    if !labelled(new) {
        return Ok(());
    }
    let why = match old {
        // kept as it was created
        Some(old) if labelled(old) => return Ok(()),
        Some(_) => "it cannot be added to an existing run",
        None if !who.via_apiserver() => "only ChaosCenter's apiserver creates target previews",
        None if !new.spec.dry_run => "a target preview is a dry run (spec.dryRun: true)",
        None => return Ok(()),
    };
    Err(format!(
        "metadata.labels[{PREVIEW_LABEL}]: {why}; the label keeps a run out of the history, so it is refused on \
         anything else. Remove the label (a dry run of an unsaved definition is the GraphQL dryRunWorkflow with a spec)"
    ))
}

/// The path of the first place two JSON values differ.
pub fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let null = Value::Null;
                first_difference(&format!("{path}.{k}"), x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null))
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(&format!("{path}[{i}]"), p, q)),
        _ if a == b => None,
        _ => Some(path.to_string()),
    }
}

/// The validator's verdict on a workflow definition at `prefix` (`spec` for a workflow, `spec.workflow`
/// for a run's frozen copy): every error, each naming its field and the limit.
pub fn definition(prefix: &str, spec: &ChaosWorkflowSpec) -> Result<(), String> {
    chaoscenter_core::validate(spec).map(drop).map_err(|invalid| {
        invalid
            .errors
            .iter()
            .map(|e| {
                let path = match e.path.strip_prefix("spec") {
                    Some(rest) => format!("{prefix}{rest}"),
                    None => e.path.clone(),
                };
                format!("{path}: {}", e.message)
            })
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Refuses authorship annotations that differ from what the mutating webhook stamped (another mutating
/// webhook, or a request that bypassed ours, changed them).
pub fn authorship(object: &Value, old: Option<&Value>, who: &Identity) -> Result<(), String> {
    let expected = match old {
        None => Some((who.username.clone(), who.groups.join(","))),
        Some(old) => author_of(old),
    };
    if author_of(object) != expected {
        return Err(format!(
            "metadata.annotations[{AUTHOR_ANNOTATION}]: set by ChaosCenter's admission webhook to the creator; it cannot be set or changed"
        ));
    }
    let writer: Option<Identity> = object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(CHANGED_BY_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str(text).ok());
    if writer.as_ref() != Some(who) {
        return Err(format!(
            "metadata.annotations[{CHANGED_BY_ANNOTATION}]: set by ChaosCenter's admission webhook to the writer; it cannot be set"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaoscenter_crds::common::LocalObjectReference;

    fn person(name: &str) -> Identity {
        Identity {
            username: format!("chaoscenter:{name}"),
            groups: vec!["system:authenticated".into()],
            via: None,
        }
    }

    fn ids() -> Identities {
        Identities {
            operator: "system:serviceaccount:chaoscenter-system:chaoscenter-operator".into(),
            gitops: vec![
                "system:serviceaccount:argocd:*".into(),
                "system:serviceaccount:flux-system:kustomize-controller".into(),
            ],
        }
    }

    fn run(namespace: &str) -> ChaosWorkflowRunSpec {
        let wf: ChaosWorkflowSpec = serde_json::from_value(json!({
            "steps": [{"name": "kill", "fault": {"type": "pod-delete", "duration": "30s",
                "target": {"namespace": namespace, "selector": {"matchLabels": {"app": "web"}}}}}]
        }))
        .unwrap();
        ChaosWorkflowRunSpec {
            workflow_ref: LocalObjectReference { name: "wf".into() },
            workflow: Some(wf),
            ..Default::default()
        }
    }

    #[test]
    fn triggers_follow_the_identity_not_the_request() {
        let ids = ids();
        let operator = Identity { username: ids.operator.clone(), ..Default::default() };
        assert_eq!(ids.trigger(&operator, Trigger::Schedule), Trigger::Schedule);
        assert_eq!(ids.trigger(&person("bob"), Trigger::Schedule), Trigger::Manual);
        assert_eq!(ids.trigger(&person("bob"), Trigger::GitOps), Trigger::Manual);
        let argo = Identity {
            username: "system:serviceaccount:argocd:argocd-application-controller".into(),
            ..Default::default()
        };
        assert_eq!(ids.trigger(&argo, Trigger::Manual), Trigger::GitOps);
        let flux = Identity {
            username: "system:serviceaccount:flux-system:kustomize-controller".into(),
            ..Default::default()
        };
        assert_eq!(ids.trigger(&flux, Trigger::Schedule), Trigger::GitOps);
        let ci = Identity { username: "system:serviceaccount:ci:deployer".into(), ..Default::default() };
        assert_eq!(ids.trigger(&ci, Trigger::Manual), Trigger::Api);
        let ui = Identity { via: Some(VIA_APISERVER.into()), ..person("bob") };
        assert_eq!(ids.trigger(&ui, Trigger::Api), Trigger::Api);
        assert_eq!(ids.trigger(&ui, Trigger::Schedule), Trigger::Manual);
        // no operator configured: nobody is the operator
        let none = Identities::default();
        assert_eq!(none.trigger(&Identity::default(), Trigger::Schedule), Trigger::Manual);
    }

    #[test]
    fn only_abort_may_change_and_only_to_true() {
        let (ids, bob) = (ids(), person("bob"));
        let old = run("shop");
        let mut aborted = old.clone();
        aborted.abort = true;
        assert_eq!(run_update(&old, &aborted, &bob, &ids), Ok(()));
        assert_eq!(run_update(&old, &old, &bob, &ids), Ok(()));
        let err = run_update(&aborted, &old, &bob, &ids).unwrap_err();
        assert!(err.starts_with("spec.abort:"), "{err}");
        let err = run_update(&old, &run("payments"), &bob, &ids).unwrap_err();
        assert!(err.contains("spec.workflow"), "{err}");
        assert!(err.contains("first difference at spec.workflow.steps[0].fault.target.namespace"), "{err}");
        let mut dry = old.clone();
        dry.dry_run = true;
        assert!(run_update(&old, &dry, &bob, &ids).unwrap_err().starts_with("spec.dryRun"));
        let mut retrigger = old.clone();
        retrigger.trigger = Trigger::Schedule;
        assert!(run_update(&old, &retrigger, &bob, &ids).unwrap_err().starts_with("spec.trigger"));
    }

    #[test]
    fn only_the_operator_freezes_a_definition_into_a_run_without_one() {
        let ids = ids();
        let mut unfrozen = run("shop");
        unfrozen.workflow = None;
        let operator = Identity { username: ids.operator.clone(), ..Default::default() };
        assert_eq!(run_update(&unfrozen, &run("shop"), &operator, &ids), Ok(()));
        assert!(run_update(&unfrozen, &run("shop"), &person("bob"), &ids).is_err());
        // and not even the operator may change a frozen one
        assert!(run_update(&run("shop"), &run("payments"), &operator, &ids).is_err());
    }

    #[test]
    fn stamps_author_once_and_writer_always() {
        let bob = person("bob");
        let fresh = json!({"metadata": {"name": "x"}});
        let ops = stamp(&fresh, Some(("chaoscenter:bob", "system:authenticated")), &bob);
        let mut object = fresh.clone();
        let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops)).unwrap();
        json_patch::patch(&mut object, &patch).unwrap();
        assert_eq!(author_of(&object), Some(("chaoscenter:bob".into(), "system:authenticated".into())));
        assert_eq!(authorship(&object, None, &bob), Ok(()));
        // alice edits it, and tries to claim it: the author is restored from the old object
        let alice = person("alice");
        let mut forged = object.clone();
        forged["metadata"]["annotations"][AUTHOR_ANNOTATION] = json!("chaoscenter:alice");
        let ops = stamp(&forged, author_of(&object).as_ref().map(|(a, g)| (a.as_str(), g.as_str())), &alice);
        let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops)).unwrap();
        json_patch::patch(&mut forged, &patch).unwrap();
        assert_eq!(author_of(&forged).unwrap().0, "chaoscenter:bob");
        assert_eq!(authorship(&forged, Some(&object), &alice), Ok(()));
        assert!(authorship(&forged, Some(&object), &bob).is_err(), "the writer must be who asked");
        // an object that skipped the stamp is refused
        assert!(authorship(&fresh, None, &bob).is_err());
    }

    #[test]
    fn invalid_definitions_name_the_field_under_the_prefix() {
        let mut spec = run("shop").workflow.unwrap();
        spec.steps[0].fault.duration = "1000h".into();
        let err = definition("spec.workflow", &spec).unwrap_err();
        assert!(err.starts_with("spec.workflow.steps[0].fault.duration:"), "{err}");
        assert!(definition("spec", &run("shop").workflow.unwrap()).is_ok());
    }

    #[test]
    fn only_the_apiserver_creates_previews_and_only_as_dry_runs() {
        let labelled = |dry_run: bool| {
            let mut r = ChaosWorkflowRun::new("r", ChaosWorkflowRunSpec { dry_run, ..run("shop") });
            r.metadata.labels = Some([(PREVIEW_LABEL.to_string(), "true".to_string())].into());
            r
        };
        let ui = Identity { via: Some(VIA_APISERVER.into()), ..person("bob") };
        assert_eq!(preview_label(&labelled(true), None, &ui), Ok(()));
        let err = preview_label(&labelled(true), None, &person("bob")).unwrap_err();
        assert!(
            err.starts_with("metadata.labels[chaoscenter.io/preview]: only ChaosCenter's apiserver"),
            "{err}"
        );
        let err = preview_label(&labelled(false), None, &ui).unwrap_err();
        assert!(err.contains("spec.dryRun: true"), "{err}");
        // added later, by anyone: refused; kept as created: fine; no label: nothing to say
        let plain = ChaosWorkflowRun::new("r", ChaosWorkflowRunSpec { dry_run: true, ..run("shop") });
        assert!(preview_label(&labelled(true), Some(&plain), &ui).unwrap_err().contains("cannot be added"));
        assert_eq!(preview_label(&labelled(true), Some(&labelled(true)), &person("bob")), Ok(()));
        assert_eq!(preview_label(&plain, None, &person("bob")), Ok(()));
    }

    #[test]
    fn display_names_drop_the_chaoscenter_prefix_only() {
        assert_eq!(display_name("chaoscenter:bob"), "bob");
        assert_eq!(display_name("system:serviceaccount:argocd:x"), "system:serviceaccount:argocd:x");
    }
}
