//! The operator's settings, from the environment.

use crate::probes::egress::{parse_rules, Rule};
use chaoscenter_core::duration;
use chaoscenter_core::limits::MAX_RUN_DURATION;
use std::net::SocketAddr;
use std::time::Duration;

/// Operator settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The control-plane namespace: the leader Lease and the halt ConfigMap live here
    /// (`CHAOSCENTER_NAMESPACE`, default `chaoscenter-system`).
    pub namespace: String,
    /// This replica's identity in the Lease (`POD_NAME`, default `<hostname>-<pid>`).
    pub identity: String,
    /// Where `/metrics` and `/healthz` listen (`METRICS_ADDR`, default `0.0.0.0:8080`).
    pub metrics_addr: SocketAddr,
    /// Only workflows and runs in this namespace are reconciled (`WATCH_NAMESPACE`; default: all).
    pub watch_namespace: Option<String>,
    /// Only Projects and ChaosUsers with these labels are reconciled (`WATCH_SELECTOR`, a label selector;
    /// default: all). The project and user controllers run when no `WATCH_NAMESPACE` is set, or when a
    /// selector is, so that a namespace-scoped operator leaves cluster-scoped objects alone.
    pub watch_selector: Option<String>,
    /// The cap on every run's deadline, whatever its workflow's `maxDuration` (`MAX_RUN_DURATION`,
    /// default `2h`, at most 24h).
    pub max_run_duration: Duration,
    /// How long a finished target preview (a dry run of an unsaved definition) stays before it is deleted
    /// (`PREVIEW_TTL`, default `60s`).
    pub preview_ttl: Duration,
    /// What http and prom probes may reach although the egress policy refuses it by default
    /// (`PROBE_EGRESS_ALLOW`: networks, addresses, address:port and host:port, comma-separated; default
    /// none). See `probes::egress`.
    pub probe_egress_allow: Vec<Rule>,
    /// What http and prom probes may never reach, on top of the Kubernetes API (`PROBE_EGRESS_DENY`, the
    /// same forms; default none): e.g. MongoDB's address when it is outside the control plane's namespace.
    pub probe_egress_deny: Vec<Rule>,
}

impl Config {
    /// Whether this operator reconciles Projects and ChaosUsers.
    pub fn runs_access_controllers(&self) -> bool {
        self.watch_namespace.is_none() || self.watch_selector.is_some()
    }

    /// Reads the settings; a malformed value is an error naming the variable.
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let rules = |name: &str| {
            parse_rules(&var(name).unwrap_or_default()).map_err(|e| anyhow::anyhow!("{name}: {e}"))
        };
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let metrics_addr = var("METRICS_ADDR").unwrap_or_else(|| "0.0.0.0:8080".into());
        let max = var("MAX_RUN_DURATION").unwrap_or_else(|| "2h".into());
        let preview_ttl = var("PREVIEW_TTL").unwrap_or_else(|| "60s".into());
        Ok(Self {
            namespace: var("CHAOSCENTER_NAMESPACE").unwrap_or_else(|| "chaoscenter-system".into()),
            identity: var("POD_NAME").unwrap_or_else(|| format!("{}-{}", host.trim(), std::process::id())),
            metrics_addr: metrics_addr
                .parse()
                .map_err(|e| anyhow::anyhow!("METRICS_ADDR={metrics_addr:?} is not an address: {e}"))?,
            watch_namespace: var("WATCH_NAMESPACE"),
            watch_selector: var("WATCH_SELECTOR"),
            max_run_duration: match duration::parse(&max) {
                Some(d) if d > Duration::ZERO && d <= MAX_RUN_DURATION => d,
                Some(_) => anyhow::bail!(
                    "MAX_RUN_DURATION={max:?} is outside 1ms to {}",
                    duration::format(MAX_RUN_DURATION)
                ),
                None => anyhow::bail!("MAX_RUN_DURATION={max:?} is not a duration like 2h or 90m"),
            },
            preview_ttl: duration::parse(&preview_ttl).ok_or_else(|| {
                anyhow::anyhow!("PREVIEW_TTL={preview_ttl:?} is not a duration like 60s or 5m")
            })?,
            probe_egress_allow: rules("PROBE_EGRESS_ALLOW")?,
            probe_egress_deny: rules("PROBE_EGRESS_DENY")?,
        })
    }
}
