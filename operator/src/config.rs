//! The operator's settings, from the environment.

use crate::git::Limits;
use crate::probes::egress::{parse_rules, Rule};
use chaoscenter_core::duration;
use chaoscenter_core::limits::MAX_RUN_DURATION;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Operator settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The control-plane namespace: the leader Lease and the halt ConfigMap live here
    /// (`CHAOSCENTER_NAMESPACE`, default `chaoscenter-system`).
    pub namespace: String,
    /// The operator's own ServiceAccount as `(namespace, name)` (`SERVICE_ACCOUNT_NAMESPACE`, default the
    /// control-plane namespace; `SERVICE_ACCOUNT`, default `chaoscenter-operator`): the subject of the
    /// hub-credentials RoleBinding it keeps in each project namespace.
    pub service_account: (String, String),
    /// Whether each new project namespace gets the built-in hub (`BUILTIN_HUB`, `true` or `false`;
    /// default `true`).
    pub builtin_hub: bool,
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
    /// Where hubs' git repositories are fetched to, one bare repository per hub (`HUB_CACHE_DIR`, default
    /// `<temp dir>/chaoscenter-hubs`). Losing it costs only a fetch: the catalogue lives in ChaosTemplates.
    pub hub_cache_dir: PathBuf,
    /// What a hub's repository may hold (`HUB_MAX_REPO_BYTES`, default 50 MiB of objects at depth 1;
    /// `HUB_MAX_FILES`, default 5000 files under the hub's path; `HUB_MAX_FILE_BYTES`, default 1 MiB).
    pub hub_limits: Limits,
    /// How long one fetch may take (`HUB_FETCH_TIMEOUT`, default `5m`).
    pub hub_fetch_timeout: Duration,
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
        let number = |name: &str, default: u64| match var(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(anyhow::anyhow!("{name}={v:?} is not a positive whole number")),
            },
        };
        let defaults = Limits::default();
        let fetch_timeout = var("HUB_FETCH_TIMEOUT").unwrap_or_else(|| "5m".into());
        let namespace = var("CHAOSCENTER_NAMESPACE").unwrap_or_else(|| "chaoscenter-system".into());
        Ok(Self {
            service_account: (
                var("SERVICE_ACCOUNT_NAMESPACE").unwrap_or_else(|| namespace.clone()),
                var("SERVICE_ACCOUNT").unwrap_or_else(|| "chaoscenter-operator".into()),
            ),
            namespace,
            builtin_hub: match var("BUILTIN_HUB").as_deref() {
                None | Some("true") => true,
                Some("false") => false,
                Some(other) => anyhow::bail!("BUILTIN_HUB={other:?} is neither true nor false"),
            },
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
            hub_cache_dir: var("HUB_CACHE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("chaoscenter-hubs")),
            hub_limits: Limits {
                repo_bytes: number("HUB_MAX_REPO_BYTES", defaults.repo_bytes)?,
                files: number("HUB_MAX_FILES", defaults.files as u64)? as usize,
                file_bytes: number("HUB_MAX_FILE_BYTES", defaults.file_bytes)?,
            },
            hub_fetch_timeout: duration::parse(&fetch_timeout).filter(|d| !d.is_zero()).ok_or_else(|| {
                anyhow::anyhow!("HUB_FETCH_TIMEOUT={fetch_timeout:?} is not a duration like 5m")
            })?,
        })
    }
}
