//! Every bound on a number or size a user controls, in one place. The validator enforces them, the CRD
//! schema repeats the ones OpenAPI can express, and docs/operator.md lists them all.

use core::time::Duration;

/// The longest a run may last: the upper bound of `spec.maxDuration`. The operator's own
/// `MAX_RUN_DURATION` setting may only lower a run's deadline further.
pub const MAX_RUN_DURATION: Duration = Duration::from_secs(24 * 3600);
/// The shortest `spec.maxDuration`.
pub const MIN_RUN_DURATION: Duration = Duration::from_secs(1);

/// The shortest fault `duration`.
pub const MIN_FAULT_DURATION: Duration = Duration::from_secs(1);
/// The shortest fault `interval` (a repeating fault injects at most once a second).
pub const MIN_FAULT_INTERVAL: Duration = Duration::from_secs(1);
/// The most injection rounds a repeating fault may have: `duration / interval` rounded up.
pub const MAX_ROUNDS: u64 = 100;
/// The most targets one injection round hits; a target mode choosing more is capped (and says so).
pub const MAX_TARGETS_PER_ROUND: usize = 100;
/// The most targets a run records across its steps and rounds; a round that would record more is not
/// injected (and says so). Keeps a run's status well below etcd's object size limit.
pub const MAX_TARGET_RECORDS_PER_RUN: usize = 1000;

/// Probe `runProperties.interval` lies in this range (and within the run's `maxDuration`).
pub const MIN_PROBE_INTERVAL: Duration = Duration::from_millis(500);
/// See [`MIN_PROBE_INTERVAL`].
pub const MAX_PROBE_INTERVAL: Duration = Duration::from_secs(3600);
/// Probe `runProperties.timeout` lies in this range (and within the run's `maxDuration`).
pub const MIN_PROBE_TIMEOUT: Duration = Duration::from_millis(100);
/// See [`MIN_PROBE_TIMEOUT`].
pub const MAX_PROBE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// The longest probe `runProperties.initialDelay` (and within the run's `maxDuration`).
pub const MAX_PROBE_INITIAL_DELAY: Duration = Duration::from_secs(3600);
/// Probe `runProperties.attempts` lies in `1..=MAX_PROBE_ATTEMPTS`; all attempts of one check
/// (`attempts × (timeout + the 500 ms pause)`) must fit in the run's `maxDuration`.
pub const MAX_PROBE_ATTEMPTS: u32 = 100;
/// The pause between two attempts of one probe check.
pub const PROBE_RETRY_PAUSE: Duration = Duration::from_millis(500);

/// Steps per workflow.
pub const MAX_STEPS: usize = 100;
/// Probes per step.
pub const MAX_PROBES_PER_STEP: usize = 20;
/// A step's weight lies in `0..=MAX_WEIGHT`.
pub const MAX_WEIGHT: u32 = 1000;
/// `params.replicas` of pod-autoscaler lies in `0..=MAX_REPLICAS`.
pub const MAX_REPLICAS: i32 = 10_000;
/// `params.gracePeriodSeconds` lies in `0..=MAX_GRACE_PERIOD_SECONDS`.
pub const MAX_GRACE_PERIOD_SECONDS: i64 = 3600;
/// `target.value` of mode `fixed` lies in `1..=MAX_FIXED_TARGETS`.
pub const MAX_FIXED_TARGETS: u32 = 10_000;
/// `k8s.count` of a k8s probe lies in `0..=MAX_K8S_COUNT`.
pub const MAX_K8S_COUNT: u32 = 100_000;
/// `spec.startingDeadlineSeconds` lies in `1..=MAX_STARTING_DEADLINE_SECONDS` (a week).
pub const MAX_STARTING_DEADLINE_SECONDS: i64 = 7 * 24 * 3600;
/// `spec.runHistoryLimit` lies in `0..=MAX_RUN_HISTORY_LIMIT`.
pub const MAX_RUN_HISTORY_LIMIT: u32 = 1000;

/// The longest duration text (`1h30m`, …).
pub const MAX_DURATION_TEXT: usize = 32;
/// The longest probe URL or Prometheus endpoint.
pub const MAX_URL: usize = 2048;
/// The longest http probe request body (only POST sends one: a probe asks, it does not upload).
pub const MAX_HTTP_BODY: usize = 4 * 1024;
/// The longest free text compared with (expectBodyContains, a comparator's value) or queried (PromQL).
pub const MAX_MATCH_TEXT: usize = 4096;
/// Arguments of a cmd probe's command, and the longest one.
pub const MAX_COMMAND_ARGS: usize = 64;
/// See [`MAX_COMMAND_ARGS`].
pub const MAX_COMMAND_ARG: usize = 4096;
/// The longest container image reference.
pub const MAX_IMAGE: usize = 512;
/// A cmd probe container's CPU in millicores (its request and its limit): the default when
/// `cmd.resources.cpu` is absent, and the range it may be set in.
pub const DEFAULT_CMD_CPU_MILLIS: u32 = 100;
/// See [`DEFAULT_CMD_CPU_MILLIS`].
pub const MIN_CMD_CPU_MILLIS: u32 = 10;
/// See [`DEFAULT_CMD_CPU_MILLIS`].
pub const MAX_CMD_CPU_MILLIS: u32 = 1000;
/// A cmd probe container's memory in bytes (its request and its limit): the default when
/// `cmd.resources.memory` is absent, and the range it may be set in.
pub const DEFAULT_CMD_MEMORY: u64 = 64 * 1024 * 1024;
/// See [`DEFAULT_CMD_MEMORY`].
pub const MIN_CMD_MEMORY: u64 = 16 * 1024 * 1024;
/// See [`DEFAULT_CMD_MEMORY`].
pub const MAX_CMD_MEMORY: u64 = 512 * 1024 * 1024;
/// The longest resource quantity text (`250m`, `128Mi`).
pub const MAX_QUANTITY_TEXT: usize = 32;
/// Label selector requirements (matchLabels plus matchExpressions) of a target, and values per
/// expression.
pub const MAX_SELECTOR_REQUIREMENTS: usize = 32;
/// See [`MAX_SELECTOR_REQUIREMENTS`].
pub const MAX_SELECTOR_VALUES: usize = 64;
/// The longest k8s probe selector text, apiVersion or kind.
pub const MAX_K8S_TEXT: usize = 1024;
/// The longest workflow description.
pub const MAX_DESCRIPTION: usize = 1024;

/// `params.latency` of network-delay lies in `MIN_NETWORK_LATENCY..=MAX_NETWORK_LATENCY`.
pub const MIN_NETWORK_LATENCY: Duration = Duration::from_millis(1);
/// See [`MIN_NETWORK_LATENCY`]; `params.jitter` is at most the latency.
pub const MAX_NETWORK_LATENCY: Duration = Duration::from_secs(10);
/// `params.rate` of network-rate lies in `MIN_RATE_BITS..=MAX_RATE_BITS` bits per second.
pub const MIN_RATE_BITS: u64 = 8_000;
/// See [`MIN_RATE_BITS`].
pub const MAX_RATE_BITS: u64 = 100_000_000_000;
/// `params.destinations.cidrs` holds at most this many networks.
pub const MAX_DESTINATION_CIDRS: usize = 64;
/// `params.destinations.hosts` holds at most this many names.
pub const MAX_DESTINATION_HOSTS: usize = 16;
/// `params.destinations.ports` holds at most this many ports.
pub const MAX_DESTINATION_PORTS: usize = 32;

/// `params.cores` of pod-cpu-stress and node-cpu-stress lies in `1..=MAX_STRESS_CORES` (`params.load`,
/// the load on each, in 1 to 100 percent).
pub const MAX_STRESS_CORES: u32 = 64;
/// `params.size` of the memory, IO and disk faults lies in `MIN_FAULT_BYTES..=MAX_FAULT_BYTES`.
pub const MIN_FAULT_BYTES: u64 = 1024 * 1024;
/// See [`MIN_FAULT_BYTES`].
pub const MAX_FAULT_BYTES: u64 = 64 * 1024 * 1024 * 1024;
/// `params.workers` of pod-io-stress lies in `1..=MAX_IO_WORKERS`.
pub const MAX_IO_WORKERS: u32 = 16;
/// What each pod-io-stress worker writes when `params.size` is absent.
pub const DEFAULT_IO_BYTES: u64 = 64 * 1024 * 1024;
/// The longest `params.path` (a directory in the container).
pub const MAX_CONTAINER_PATH: usize = 1024;
/// `params.dns.names` (dns-error) and `params.dns.answers` (dns-spoof) hold 1 to this many names.
pub const MAX_DNS_NAMES: usize = 64;
/// `params.latency` of http-latency lies in 1ms..=MAX_HTTP_LATENCY.
pub const MAX_HTTP_LATENCY: Duration = Duration::from_secs(60);
/// The longest `params.http.body` (http-status, http-modify).
pub const MAX_HTTP_FAULT_BODY: usize = 64 * 1024;
/// `params.http.headers` (http-modify) holds at most this many headers.
pub const MAX_HTTP_FAULT_HEADERS: usize = 32;
