//! container-kill: the target containers' processes found through the container runtime, signalled, and the revert checked by the container running again.

use crate::held::{Held, ProcessRef, Scene, Started};
use chaoscenter_crds::injection::NodeFault;
use nix::sys::signal::Signal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long the revert waits for the kubelet to run a killed container again.
const RESTART_WAIT: Duration = Duration::from_secs(30);
/// How long a signalled container's process may take to end before the kill counts as ineffective.
const EXIT_WAIT: Duration = Duration::from_secs(10);

/// A container the fault signalled.
struct Killed {
    name: String,
    id: String,
    /// Its main process when signalled (a signal it survives leaves it running: that is running too).
    process: ProcessRef,
}

/// Starts the fault of `scene`: signals the main process of the pod's running containers (the named one
/// only, when given).
pub async fn start(scene: &Scene<'_>) -> Result<Started, String> {
    let NodeFault::ContainerKill { container, signal } = &scene.spec.fault else {
        return Err(format!("{} is not container-kill", scene.spec.fault.name()));
    };
    let sig: Signal = signal.parse().map_err(|_| format!("signal {signal:?} is not a signal name"))?;
    let socket = &scene.config.cri_socket;
    let pod_uid = &scene.spec.target.uid;
    let containers = crate::cri::running_containers(socket, pod_uid, container.as_deref())
        .await
        .map_err(|e| format!("failed to list the pod's containers: {e:#}"))?;
    if containers.is_empty() {
        return Err(match container {
            Some(name) => format!("the pod has no running container named {name:?}"),
            None => "the pod has no running container".to_string(),
        });
    }
    let mut killed = vec![];
    let mut notes = vec![];
    for c in containers {
        let process = ProcessRef::of(c.pid)
            .map_err(|e| format!("container {}'s process {} is gone: {e:#}", c.name, c.pid))?;
        let pid = i32::try_from(c.pid).map_err(|_| format!("process id {} is out of range", c.pid))?;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).map_err(|e| {
            format!("failed to send {signal} to container {} (process {}): {e}", c.name, c.pid)
        })?;
        notes.push(format!("{signal} sent to container {} (restart count was {})", c.name, c.attempt));
        killed.push(Killed { name: c.name, id: c.id, process });
    }
    // a signal the process ignores (a container's first process ignores those it has no handler for) is
    // a fault that did nothing: the injection fails instead of passing
    let deadline = Instant::now() + EXIT_WAIT;
    while killed.iter().any(|k| k.process.alive()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let survived: Vec<&str> = killed.iter().filter(|k| k.process.alive()).map(|k| k.name.as_str()).collect();
    if !survived.is_empty() {
        return Err(format!(
            "container {} still runs {}s after {signal}: the signal had no effect (a container's first process ignores signals it has no handler for; SIGKILL always ends it)",
            survived.join(", "),
            EXIT_WAIT.as_secs()
        ));
    }
    let held = Kill { socket: socket.clone(), pod_uid: pod_uid.clone(), killed, note: notes.join("; ") };
    Ok(Started { held: Box::new(held), mechanism: "signal" })
}

struct Kill {
    socket: PathBuf,
    pod_uid: String,
    killed: Vec<Killed>,
    note: String,
}

#[async_trait::async_trait]
impl Held for Kill {
    /// Nothing to undo: checks that each signalled container runs again (a new one of its name, or the
    /// same one when its process survived the signal), waiting for the kubelet up to [`RESTART_WAIT`].
    async fn release(self: Box<Self>) -> anyhow::Result<Vec<String>> {
        let deadline = Instant::now() + RESTART_WAIT;
        loop {
            let (left, error) = match crate::cri::running_containers(&self.socket, &self.pod_uid, None).await
            {
                Ok(running) => (not_running_again(&self.killed, &running), None),
                Err(e) => (self.killed.iter().map(|k| k.name.clone()).collect(), Some(e)),
            };
            if left.is_empty() {
                return Ok(vec![]);
            }
            if Instant::now() >= deadline {
                let cause = error.map(|e| format!(" (the runtime: {e:#})")).unwrap_or_default();
                return Ok(left
                    .iter()
                    .map(|name| format!("container {name} not running again{cause}"))
                    .collect());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn note(&self) -> Option<String> {
        Some(self.note.clone())
    }
}

/// The names of `killed` containers with no running successor among `running`.
fn not_running_again(killed: &[Killed], running: &[crate::cri::Container]) -> Vec<String> {
    killed
        .iter()
        .filter(|k| !running.iter().any(|c| c.name == k.name && (c.id != k.id || k.process.alive())))
        .map(|k| k.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cri::Container;

    fn container(name: &str, id: &str) -> Container {
        Container { id: id.into(), name: name.into(), attempt: 1, pid: 10, created_at: 0 }
    }

    #[test]
    fn a_killed_container_counts_as_running_again_when_a_new_one_of_its_name_runs() {
        let gone = ProcessRef { pid: u32::MAX - 1, start_ticks: 1 };
        let killed = [Killed { name: "main".into(), id: "a".into(), process: gone }];
        assert_eq!(not_running_again(&killed, &[]), vec!["main"]);
        assert_eq!(not_running_again(&killed, &[container("main", "a")]), vec!["main"], "the old one, dying");
        assert_eq!(not_running_again(&killed, &[container("side", "b")]), vec!["main"]);
        assert_eq!(not_running_again(&killed, &[container("main", "b")]), Vec::<String>::new());
        // a signal the process survived leaves the same container running
        let me = ProcessRef::of(std::process::id()).unwrap();
        let survived = [Killed { name: "main".into(), id: "a".into(), process: me }];
        assert_eq!(not_running_again(&survived, &[container("main", "a")]), Vec::<String>::new());
    }

    #[test]
    fn every_signal_the_validator_allows_is_known_here() {
        for name in chaoscenter_core::agent_fault::SIGNALS {
            assert!(name.parse::<Signal>().is_ok(), "{name}");
        }
    }
}
