//! The digest of a run's admitted definition (defence in depth behind the admission webhook, which makes a
//! run's spec immutable but `abort`): recorded when the run starts, compared at every later reconcile, and
//! — when they differ — the fields that changed, named by path; and the digest that decides a run on change.

use chaoscenter_crds::common::LocalObjectReference;
use chaoscenter_crds::workflow::ChaosWorkflowSpec;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What a run executes: the fields of its spec that the digest covers, in this order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition<'a> {
    pub workflow_ref: &'a LocalObjectReference,
    pub dry_run: bool,
    /// The frozen workflow spec (or, before the freeze is written, the workflow's spec it will be).
    pub workflow: &'a ChaosWorkflowSpec,
}

/// SHA-256, lowercase hex, of `value`'s JSON as serde writes it (typed: independent of how it was written).
fn of<T: Serialize + ?Sized>(value: &T) -> String {
    let json = serde_json::to_vec(value).expect("a workflow spec serializes to JSON");
    Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of what a run started on change (`spec.runOnChange`) executes: the steps and `maxDuration`,
/// not the schedule, suspension or history settings, whose changes start no run.
pub fn of_change(spec: &ChaosWorkflowSpec) -> String {
    of(&(&spec.steps, &spec.max_duration))
}

/// The most changed fields a message names.
const MAX_NAMED: usize = 3;

impl Definition<'_> {
    /// SHA-256, lowercase hex, of the definition's JSON as serde writes the typed value: struct fields in
    /// declaration order, maps (label selectors) sorted by key, absent optional fields left out. It does not
    /// depend on how the spec was written (key order, defaults spelled out or not), only on what it says.
    pub fn digest(&self) -> String {
        of(self)
    }

    /// The definition as JSON, to compare with a later one ([`changes`]).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a workflow spec serializes to JSON")
    }
}

/// The paths (under `spec`) where `now` differs from `before`, e.g.
/// `spec.workflow.steps[0].fault.target.namespace`, at most [`MAX_NAMED`] of them (and `…` when more).
pub fn changes(before: &Value, now: &Value) -> String {
    let mut found = Vec::new();
    let mut more = false;
    diff("spec", before, now, &mut found, &mut more);
    let mut said = found.join(", ");
    if more {
        said.push_str(", …");
    }
    said
}

fn diff(path: &str, before: &Value, now: &Value, found: &mut Vec<String>, more: &mut bool) {
    if before == now {
        return;
    }
    if found.len() == MAX_NAMED {
        *more = true;
        return;
    }
    match (before, now) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let (x, y) = (a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null));
                diff(&format!("{path}.{key}"), x, y, found, more);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), x, y, found, more);
            }
        }
        _ => found.push(path.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(namespace: &str) -> ChaosWorkflowSpec {
        serde_json::from_value(json!({"maxDuration": "30m", "steps": [{"name": "kill", "fault": {
            "type": "pod-delete", "duration": "30s",
            "target": {"namespace": namespace, "selector": {"matchLabels": {"app": "web", "tier": "front"}}}}}]}))
        .unwrap()
    }

    fn of(spec: &ChaosWorkflowSpec, dry_run: bool) -> Definition<'_> {
        static WEEKLY: std::sync::LazyLock<LocalObjectReference> =
            std::sync::LazyLock::new(|| LocalObjectReference { name: "weekly".into() });
        Definition { workflow_ref: &WEEKLY, dry_run, workflow: spec }
    }

    #[test]
    fn the_digest_is_of_what_the_spec_says_not_how_it_is_written() {
        let a = spec("shop");
        let digest = of(&a, false).digest();
        assert_eq!(digest.len(), 64);
        assert!(digest.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        // the same spec, keys in another order and a default spelled out, through the API server's JSON
        let b: ChaosWorkflowSpec = serde_json::from_value(json!({"steps": [{"fault": {
            "target": {"selector": {"matchLabels": {"tier": "front", "app": "web"}}, "namespace": "shop", "mode": "all"},
            "duration": "30s", "type": "pod-delete"}, "name": "kill"}], "maxDuration": "30m"}))
        .unwrap();
        assert_eq!(of(&b, false).digest(), digest);
        let round_trip: ChaosWorkflowSpec = serde_json::from_slice(&serde_json::to_vec(&a).unwrap()).unwrap();
        assert_eq!(of(&round_trip, false).digest(), digest);
        // what it executes changes it
        assert_ne!(of(&spec("billing"), false).digest(), digest);
        assert_ne!(of(&a, true).digest(), digest);
        let other = LocalObjectReference { name: "other".into() };
        assert_ne!(Definition { workflow_ref: &other, dry_run: false, workflow: &a }.digest(), digest);
    }

    #[test]
    fn changes_are_named_by_path() {
        let (a, b) = (spec("shop"), spec("billing"));
        let before = of(&a, false).to_json();
        assert_eq!(
            changes(&before, &of(&b, false).to_json()),
            "spec.workflow.steps[0].fault.target.namespace"
        );
        assert_eq!(changes(&before, &of(&a, true).to_json()), "spec.dryRun");
        let mut c = spec("billing");
        c.steps[0].fault.duration = "40s".into();
        c.max_duration = "1h".into();
        c.description = "changed".into();
        let said = changes(&before, &of(&c, true).to_json());
        assert_eq!(said, "spec.dryRun, spec.workflow.description, spec.workflow.maxDuration, …");
        let mut d = spec("shop");
        d.steps.push(d.steps[0].clone());
        assert_eq!(changes(&before, &of(&d, false).to_json()), "spec.workflow.steps");
        assert_eq!(changes(&before, &before), "");
    }
}
