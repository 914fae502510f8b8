//! Faults the agent holds as processes, files or proxies rather than as kernel network state (container
//! kill, stress, disk fill, DNS and HTTP interception): what each will create (recorded in the journal
//! before anything is touched), starting it, releasing it with a check, and undoing what an agent that
//! died left behind, from its record alone.

use crate::config::Config;
use crate::netns::{run, NetNs};
use chaoscenter_crds::injection::{ChaosInjectionSpec, NodeFault};
use serde::{Deserialize, Serialize};

/// What the journal keeps of a held fault, so a restarted agent can undo it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Processes the fault started (stressors), killed by the revert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<ProcessRef>,
    /// Files the fault wrote, as host paths, removed by the revert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// The agent's chains in the nat table of the pod's network namespace (DNS and HTTP redirection),
    /// with the jumps to them from OUTPUT and PREROUTING.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nat_chains: Vec<String>,
}

impl Record {
    /// True when the fault holds nothing a restarted agent would have to undo.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A process, by pid and start time (so a pid reused by another process is never signalled).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProcessRef {
    pub pid: u32,
    /// Field 22 of `/proc/<pid>/stat`: clock ticks after boot when the process started.
    pub start_ticks: u64,
}

impl ProcessRef {
    /// The running process `pid`, with its start time.
    pub fn of(pid: u32) -> anyhow::Result<Self> {
        Ok(Self { pid, start_ticks: start_ticks(pid)? })
    }

    /// True while this very process exists (a zombie counts as gone).
    pub fn alive(&self) -> bool {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) else { return false };
        let fields = stat_fields(&stat);
        fields.first().is_some_and(|state| *state != "Z")
            && fields.get(19).and_then(|t| t.parse().ok()) == Some(self.start_ticks)
    }

    /// Sends SIGKILL if it is still this process.
    pub fn kill(&self) {
        if self.alive() {
            if let Ok(pid) = i32::try_from(self.pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// The fields of a `/proc/<pid>/stat` line after the command name (state first).
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default()
}

fn start_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    stat_fields(&stat)
        .get(19)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("/proc/{pid}/stat has no start time"))
}

/// Where a held fault acts.
pub struct Scene<'a> {
    pub injection_uid: &'a str,
    pub spec: &'a ChaosInjectionSpec,
    pub config: &'a Config,
    /// The pod's network namespace (pod faults only).
    pub netns: Option<&'a NetNs>,
    /// The pod's sandbox process (pod faults only).
    pub sandbox_pid: Option<u32>,
}

/// A held fault in effect.
#[async_trait::async_trait]
pub trait Held: Send + Sync {
    /// Ends the fault and checks that it is gone; returns what is still there (empty: verified).
    async fn release(self: Box<Self>) -> anyhow::Result<Vec<String>>;

    /// What the fault did so far, in words for the injection's status (e.g. the container's restarts).
    fn note(&self) -> Option<String> {
        None
    }
}

/// What starting a held fault gives: the running fault, and its mechanism's name.
pub struct Started {
    pub held: Box<dyn Held>,
    pub mechanism: &'static str,
}

/// The nat chain an injection with `uid` may create (DNS and HTTP redirection).
pub fn nat_chain(uid: &str) -> String {
    format!("{}{}-N", crate::plan::CHAIN_PREFIX, crate::plan::short(uid))
}

/// What starting `scene`'s fault will create, decided before anything is touched (the journal keeps it).
pub async fn prepare(scene: &Scene<'_>) -> Result<Record, String> {
    match &scene.spec.fault {
        NodeFault::DnsError { .. } | NodeFault::DnsSpoof { .. } => {
            Ok(Record { nat_chains: vec![nat_chain(scene.injection_uid)], ..Default::default() })
        }
        NodeFault::HttpLatency { .. }
        | NodeFault::HttpAbort { .. }
        | NodeFault::HttpStatus { .. }
        | NodeFault::HttpModify { .. } => {
            Ok(Record { nat_chains: vec![nat_chain(scene.injection_uid)], ..Default::default() })
        }
        NodeFault::DiskFill { .. } => crate::fill::prepare(scene).await,
        _ => Ok(Record::default()),
    }
}

/// Starts `scene`'s fault; processes it starts are added to `record` (the caller journals it again). On
/// failure, whatever it started is stopped.
pub async fn start(scene: &Scene<'_>, record: &mut Record) -> Result<Started, String> {
    match &scene.spec.fault {
        NodeFault::ContainerKill { .. } => crate::kill::start(scene).await,
        NodeFault::PodCpuStress { .. }
        | NodeFault::PodMemoryStress { .. }
        | NodeFault::PodIoStress { .. }
        | NodeFault::NodeCpuStress { .. }
        | NodeFault::NodeMemoryStress { .. } => crate::stress::start(scene, record).await,
        NodeFault::DiskFill { .. } => crate::fill::start(scene, record).await,
        NodeFault::DnsError { .. } | NodeFault::DnsSpoof { .. } => crate::dns::start(scene, record).await,
        NodeFault::HttpLatency { .. }
        | NodeFault::HttpAbort { .. }
        | NodeFault::HttpStatus { .. }
        | NodeFault::HttpModify { .. } => crate::http::start(scene, record).await,
        other => Err(format!("{} is not a held fault", other.name())),
    }
}

/// True for the faults [`start`] applies (the rest are network faults of `plan.rs`).
pub fn is_held(fault: &NodeFault) -> bool {
    !matches!(
        fault,
        NodeFault::NetworkDelay { .. }
            | NodeFault::NetworkLoss { .. }
            | NodeFault::NetworkDuplicate { .. }
            | NodeFault::NetworkCorrupt { .. }
            | NodeFault::NetworkRate { .. }
            | NodeFault::NetworkPartition { .. }
    )
}

/// Undoes what `record` lists (an earlier agent's fault, or the rest of a failed start): kills its
/// processes, removes its files, and removes its nat chains in `netns` (when given); returns what is
/// still there afterwards.
pub async fn undo(record: &Record, netns: Option<&NetNs>) -> Vec<String> {
    let mut left = vec![];
    for p in &record.processes {
        p.kill();
    }
    for p in &record.processes {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while p.alive() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        if p.alive() {
            left.push(format!("process {}", p.pid));
        }
    }
    for f in &record.files {
        match std::fs::remove_file(f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => left.push(format!("file {f} ({e})")),
        }
        if std::path::Path::new(f).exists() {
            left.push(format!("file {f}"));
        }
    }
    if !record.nat_chains.is_empty() {
        match netns {
            Some(ns) => {
                let chains = record.nat_chains.clone();
                match ns.run(move || remove_nat_chains(&chains)).await {
                    Ok(l) => left.extend(l),
                    Err(e) => left.push(format!("nat chains ({e:#})")),
                }
            }
            None => left.push("nat chains in a network namespace the agent cannot enter".into()),
        }
    }
    left
}

/// Removes `chains` and the jumps to them from the nat table of the calling thread's namespace; returns
/// what is still there afterwards.
pub fn remove_nat_chains(chains: &[String]) -> anyhow::Result<Vec<String>> {
    let rules = run("iptables", &["-w", "-t", "nat", "-S"])?;
    for mut args in crate::plan::jump_deletions(&rules, chains) {
        args.splice(0..0, ["-t".to_string(), "nat".to_string()]);
        let _ = run("iptables", &args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    for chain in chains {
        if rules.lines().any(|l| l.split_whitespace().any(|w| w == chain)) {
            let _ = run("iptables", &["-w", "-t", "nat", "-F", chain]);
            let _ = run("iptables", &["-w", "-t", "nat", "-X", chain]);
        }
    }
    let rules = run("iptables", &["-w", "-t", "nat", "-S"])?;
    Ok(chains
        .iter()
        .filter(|c| rules.lines().any(|l| l.split_whitespace().any(|w| w == c.as_str())))
        .map(|c| format!("nat chain {c}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_known_by_its_start_time_so_a_reused_pid_is_never_killed() {
        let me = ProcessRef::of(std::process::id()).unwrap();
        assert!(me.alive());
        let impostor = ProcessRef { start_ticks: me.start_ticks + 1, ..me };
        assert!(!impostor.alive());
        assert!(!ProcessRef { pid: u32::MAX - 1, start_ticks: 1 }.alive());
        assert_eq!(stat_fields("12 (a b) c) S 1 2")[0], "S");
    }

    #[test]
    fn nat_chains_derive_from_the_injection_uid() {
        assert_eq!(nat_chain("0a1b2c3d-4e5f-6789-abcd-ef0123456789"), "CC-0a1b2c3d4e5f-N");
    }

    #[test]
    fn every_fault_but_the_network_ones_is_held() {
        let delay = NodeFault::NetworkDelay {
            latency_ms: 1,
            jitter_ms: 0,
            correlation: 0.0,
            filter: Default::default(),
        };
        assert!(!is_held(&delay));
        assert!(!is_held(&NodeFault::NetworkRate { bits_per_second: 8000, burst_bytes: None }));
        assert!(is_held(&NodeFault::NodeCpuStress { cores: 1, load: 100 }));
        assert!(is_held(&NodeFault::ContainerKill { container: None, signal: "SIGKILL".into() }));
    }
}
