//! container-kill: the target containers' processes found through the container runtime, signalled, and the revert checked by the container running again.

use crate::held::{Scene, Started};

/// Starts the fault of `scene`.
pub async fn start(scene: &Scene<'_>) -> Result<Started, String> {
    Err(format!("{} is not implemented by this agent yet", scene.spec.fault.name()))
}
