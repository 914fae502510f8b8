//! The stress faults: the agent's own binary started as a stressor child (CPU, memory, IO) inside the target container's cgroup, or on the node outside pods, dying with the agent.

use crate::held::{Record, Scene, Started};

/// Starts the fault of `scene`.
pub async fn start(scene: &Scene<'_>, _record: &mut Record) -> Result<Started, String> {
    Err(format!("{} is not implemented by this agent yet", scene.spec.fault.name()))
}
