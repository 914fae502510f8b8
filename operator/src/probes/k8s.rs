//! The k8s probe: counting the objects of a kind that match selectors, and checking the count.

use super::{causes, CheckOutcome};
use chaoscenter_core::plan::{K8sCheck, K8sExpect};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::GroupVersion;
use kube::discovery::{self, Scope};

/// Resolves the probe's kind through discovery, lists the matching objects (metadata only) and checks
/// their number against the operation.
pub async fn check(client: &kube::Client, probe: &K8sCheck) -> CheckOutcome {
    let found = match count(client, probe).await {
        Ok(found) => found,
        Err(message) => return CheckOutcome::failed(message),
    };
    verdict(probe, found)
}

/// Whether `found` matching objects satisfy the operation, and the message saying so.
fn verdict(probe: &K8sCheck, found: usize) -> CheckOutcome {
    let (passed, expected) = match probe.expect {
        K8sExpect::Present => (found >= 1, "at least 1".to_string()),
        K8sExpect::Absent => (found == 0, "0".to_string()),
        K8sExpect::Count(count) => {
            (usize::try_from(count).is_ok_and(|count| found == count), count.to_string())
        }
    };
    let mut message = format!("found {found} {}", what(probe));
    if !passed {
        message.push_str(&format!(" (expected {expected})"));
    }
    CheckOutcome { passed, message }
}

/// What was looked for, e.g. `Pod in shop matching app=checkout`.
fn what(probe: &K8sCheck) -> String {
    let mut what = probe.kind.clone();
    if let Some(namespace) = &probe.namespace {
        what.push_str(&format!(" in {namespace}"));
    }
    let selectors: Vec<&str> = [&probe.label_selector, &probe.field_selector]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if !selectors.is_empty() {
        what.push_str(&format!(" matching {}", selectors.join(",")));
    }
    what
}

/// The number of objects matching the probe.
async fn count(client: &kube::Client, probe: &K8sCheck) -> Result<usize, String> {
    let gv: GroupVersion =
        probe.api_version.parse().map_err(|e| format!("apiVersion {:?}: {e}", probe.api_version))?;
    let gvk = gv.with_kind(&probe.kind);
    let (resource, capabilities) = discovery::pinned_kind(client, &gvk).await.map_err(|e| {
        format!("failed to resolve kind {} in {}: {}", probe.kind, probe.api_version, causes(&e))
    })?;
    let api: Api<DynamicObject> = match (&capabilities.scope, &probe.namespace) {
        (Scope::Namespaced, Some(namespace)) => Api::namespaced_with(client.clone(), namespace, &resource),
        (Scope::Namespaced, None) => Api::all_with(client.clone(), &resource),
        (Scope::Cluster, None) => Api::all_with(client.clone(), &resource),
        (Scope::Cluster, Some(_)) => {
            return Err(format!("{} is cluster-scoped: remove k8s.namespace", probe.kind))
        }
    };
    let mut params = ListParams::default();
    if let Some(labels) = probe.label_selector.as_deref().filter(|s| !s.is_empty()) {
        params = params.labels(labels);
    }
    if let Some(fields) = probe.field_selector.as_deref().filter(|s| !s.is_empty()) {
        params = params.fields(fields);
    }
    // Without a limit the API server answers with every object in one page.
    let list = api
        .list_metadata(&params)
        .await
        .map_err(|e| format!("failed to list {}: {}", what(probe), causes(&e)))?;
    Ok(list.items.len())
}

#[cfg(test)]
mod k8s_tests {
    use super::*;

    fn probe(expect: K8sExpect) -> K8sCheck {
        K8sCheck {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some("shop".into()),
            label_selector: Some("app=checkout".into()),
            field_selector: Some("status.phase=Running".into()),
            expect,
        }
    }

    #[test]
    fn present_needs_at_least_one() {
        let p = probe(K8sExpect::Present);
        assert_eq!(
            verdict(&p, 0),
            CheckOutcome::failed(
                "found 0 Pod in shop matching app=checkout,status.phase=Running (expected at least 1)".into()
            )
        );
        assert!(verdict(&p, 1).passed);
        assert!(verdict(&p, 7).passed);
    }

    #[test]
    fn absent_needs_none() {
        let p = probe(K8sExpect::Absent);
        assert!(verdict(&p, 0).passed);
        assert!(!verdict(&p, 1).passed);
        assert!(verdict(&p, 2).message.ends_with("(expected 0)"));
    }

    #[test]
    fn count_needs_exactly_count() {
        let p = probe(K8sExpect::Count(3));
        assert!(!verdict(&p, 2).passed);
        assert_eq!(
            verdict(&p, 3),
            CheckOutcome::passed("found 3 Pod in shop matching app=checkout,status.phase=Running".into())
        );
        assert!(!verdict(&p, 4).passed);
        let zero = probe(K8sExpect::Count(0));
        assert!(verdict(&zero, 0).passed);
    }

    #[test]
    fn message_names_what_was_looked_for() {
        let mut p = probe(K8sExpect::Present);
        p.kind = "Node".into();
        p.namespace = None;
        p.label_selector = None;
        p.field_selector = Some(String::new());
        assert_eq!(verdict(&p, 2).message, "found 2 Node");
    }
}
