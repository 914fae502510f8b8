//! disk-fill: a file of the asked size in the container's writable layer or a mounted volume, refused where the node's disk would pass its threshold, removed afterwards.

use crate::held::{Record, Scene, Started};

/// Starts the fault of `scene`.
pub async fn start(scene: &Scene<'_>, _record: &mut Record) -> Result<Started, String> {
    Err(format!("{} is not implemented by this agent yet", scene.spec.fault.name()))
}

/// The file the fill will write (nothing is touched yet).
pub async fn prepare(_scene: &Scene<'_>) -> Result<Record, String> {
    Ok(Record::default())
}
