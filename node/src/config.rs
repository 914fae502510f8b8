//! The agent's settings, from the environment.

use std::path::PathBuf;

/// Agent settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The node this agent runs on; it applies only that node's injections (`NODE_NAME`, required: the
    /// DaemonSet sets it from `spec.nodeName`).
    pub node_name: String,
    /// The container runtime's CRI socket (`CRI_SOCKET`, default `/run/containerd/containerd.sock`).
    pub cri_socket: PathBuf,
    /// Where the journal of what the agent created lives (`STATE_DIR`, default
    /// `/var/lib/chaoscenter-node`): it must survive the agent's restarts, so on the node's disk.
    pub state_dir: PathBuf,
    /// The control-plane namespace, where the agent's Lease lives (`CHAOSCENTER_NAMESPACE`, default
    /// `chaoscenter-system`, as for the operator).
    pub namespace: String,
    /// This agent's identity in its Lease and in the injections' status: `<node>/<pid>-<start time>`, so
    /// a restarted agent can tell the injections an earlier one applied.
    pub identity: String,
    /// Only injections in this namespace are applied (`WATCH_NAMESPACE`; default: every namespace). For
    /// tests that run several agents on one node side by side.
    pub watch_namespace: Option<String>,
    /// disk-fill is refused where the filesystem holding its file would be more than this percent used
    /// after the fill (`DISK_FILL_MAX_USED_PERCENT`, default 80, above 0 and at most 100): a fill must not
    /// take the node's disk into the kubelet's eviction thresholds or fill it up.
    pub disk_fill_max_used_percent: f64,
}

/// The default of [`Config::disk_fill_max_used_percent`].
pub const DEFAULT_DISK_FILL_MAX_USED_PERCENT: f64 = 80.0;

impl Config {
    /// Reads the settings; a missing or malformed value is an error naming the variable.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the settings from `var` (the environment, or a map in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let node_name = var("NODE_NAME").ok_or_else(|| {
            anyhow::anyhow!("NODE_NAME is not set: the agent must know its node (the DaemonSet sets it from spec.nodeName)")
        })?;
        let path = |name: &str, default: &str| -> anyhow::Result<PathBuf> {
            let value = var(name).unwrap_or_else(|| default.into());
            anyhow::ensure!(value.starts_with('/'), "{name}={value:?} is not an absolute path");
            Ok(PathBuf::from(value))
        };
        let disk_fill_max_used_percent = match var("DISK_FILL_MAX_USED_PERCENT") {
            None => DEFAULT_DISK_FILL_MAX_USED_PERCENT,
            Some(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p > 0.0 && *p <= 100.0)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "DISK_FILL_MAX_USED_PERCENT={text:?} is not a percentage above 0, at most 100"
                    )
                })?,
        };
        let started = jiff::Timestamp::now().as_second();
        Ok(Self {
            identity: format!("{node_name}/{}-{started}", std::process::id()),
            node_name,
            cri_socket: path("CRI_SOCKET", "/run/containerd/containerd.sock")?,
            state_dir: path("STATE_DIR", "/var/lib/chaoscenter-node")?,
            namespace: var("CHAOSCENTER_NAMESPACE").unwrap_or_else(|| "chaoscenter-system".into()),
            watch_namespace: var("WATCH_NAMESPACE"),
            disk_fill_max_used_percent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn the_node_name_is_required_and_the_rest_defaults() {
        let err = from(&[]).unwrap_err().to_string();
        assert!(err.contains("NODE_NAME"), "{err}");
        let c = from(&[("NODE_NAME", "worker-1")]).unwrap();
        assert_eq!(c.cri_socket, PathBuf::from("/run/containerd/containerd.sock"));
        assert_eq!(c.state_dir, PathBuf::from("/var/lib/chaoscenter-node"));
        assert_eq!(c.namespace, "chaoscenter-system");
        assert!(c.identity.starts_with("worker-1/"), "{}", c.identity);
        assert_eq!(c.disk_fill_max_used_percent, 80.0);
    }

    #[test]
    fn the_disk_fill_threshold_is_a_percentage() {
        let c = from(&[("NODE_NAME", "n"), ("DISK_FILL_MAX_USED_PERCENT", "90.5")]).unwrap();
        assert_eq!(c.disk_fill_max_used_percent, 90.5);
        for bad in ["0", "101", "x", "NaN"] {
            let err =
                from(&[("NODE_NAME", "n"), ("DISK_FILL_MAX_USED_PERCENT", bad)]).unwrap_err().to_string();
            assert!(err.contains("DISK_FILL_MAX_USED_PERCENT"), "{err}");
        }
    }

    #[test]
    fn paths_must_be_absolute() {
        let err = from(&[("NODE_NAME", "n"), ("STATE_DIR", "state")]).unwrap_err().to_string();
        assert!(err.contains("STATE_DIR"), "{err}");
    }
}
