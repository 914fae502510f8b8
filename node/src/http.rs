//! The HTTP faults: a transparent proxy in the pod's network namespace for one port, inbound or outbound, adding latency, resetting connections, replacing the status, body or headers of matching exchanges.

use crate::held::{Record, Scene, Started};

/// Starts the fault of `scene`.
pub async fn start(scene: &Scene<'_>, _record: &mut Record) -> Result<Started, String> {
    Err(format!("{} is not implemented by this agent yet", scene.spec.fault.name()))
}
