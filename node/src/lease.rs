//! The node's Lease in the control-plane namespace, renewed every few seconds: it says the agent is alive
//! and, in an annotation, what the node can do.

use chaoscenter_crds::injection::{lease_name, NodeCapabilities, AGENT_LEASE_LABEL, CAPABILITIES_ANNOTATION};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, ObjectMeta, Patch, PatchParams};
use kube::Client;
use std::time::Duration;

/// How long the Lease holds without a renewal.
pub const LEASE_SECONDS: i32 = 15;
/// How often it is renewed.
pub const RENEW_EVERY: Duration = Duration::from_secs(5);
/// The field manager of the agent's writes.
pub const FIELD_MANAGER: &str = "chaoscenter-node";

/// The Lease as the agent writes it.
pub fn lease(node: &str, namespace: &str, identity: &str, caps: &NodeCapabilities) -> Lease {
    let now = MicroTime(jiff::Timestamp::now());
    Lease {
        metadata: ObjectMeta {
            name: Some(lease_name(node)),
            namespace: Some(namespace.into()),
            labels: Some([(AGENT_LEASE_LABEL.0.to_string(), AGENT_LEASE_LABEL.1.to_string())].into()),
            annotations: Some(
                [(CAPABILITIES_ANNOTATION.to_string(), serde_json::to_string(caps).unwrap_or_default())]
                    .into(),
            ),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(identity.into()),
            lease_duration_seconds: Some(LEASE_SECONDS),
            renew_time: Some(now),
            ..Default::default()
        }),
    }
}

/// Renews the Lease until the process ends; failures are logged and retried at the next tick.
pub async fn renew_forever(
    client: Client,
    node: String,
    namespace: String,
    identity: String,
    caps: NodeCapabilities,
) {
    let api: Api<Lease> = Api::namespaced(client, &namespace);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut failing = false;
    loop {
        let mut body = serde_json::to_value(lease(&node, &namespace, &identity, &caps)).unwrap_or_default();
        body["apiVersion"] = "coordination.k8s.io/v1".into();
        body["kind"] = "Lease".into();
        match api.patch(&lease_name(&node), &params, &Patch::Apply(&body)).await {
            Ok(_) if failing => {
                tracing::info!("lease renewed again");
                failing = false;
            }
            Ok(_) => {}
            Err(e) => {
                if !failing {
                    tracing::warn!("failed to renew lease {}/{}: {e}", namespace, lease_name(&node));
                }
                failing = true;
            }
        }
        tokio::time::sleep(RENEW_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_carries_the_capabilities() {
        let caps = NodeCapabilities {
            tbf: true,
            nfqueue: true,
            iptables: true,
            cgroup: "v1".into(),
            ..Default::default()
        };
        let l = lease("worker-1", "chaoscenter-system", "worker-1/42-1", &caps);
        assert_eq!(l.metadata.name.as_deref(), Some("chaoscenter-node-worker-1"));
        let said: NodeCapabilities =
            serde_json::from_str(&l.metadata.annotations.unwrap()[CAPABILITIES_ANNOTATION]).unwrap();
        assert_eq!(said, caps);
        let spec = l.spec.unwrap();
        assert_eq!(spec.lease_duration_seconds, Some(15));
        assert_eq!(spec.holder_identity.as_deref(), Some("worker-1/42-1"));
    }
}
