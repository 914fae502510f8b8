//! dns-error and dns-spoof: a DNS proxy in the pod's network namespace that the pod's queries are redirected to, answering matched names itself and forwarding the rest.

use crate::held::{Record, Scene, Started};

/// Starts the fault of `scene`.
pub async fn start(scene: &Scene<'_>, _record: &mut Record) -> Result<Started, String> {
    Err(format!("{} is not implemented by this agent yet", scene.spec.fault.name()))
}
