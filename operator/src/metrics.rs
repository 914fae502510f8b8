//! Prometheus metrics: runs by phase, injections, reverts, reconcile errors and durations, hub syncs, and
//! the gauges read from the operator's caches at each scrape (runs in the cluster, runs past their
//! deadline, reverts failing, node agents alive).

use crate::world::{Filler, World};
use chaoscenter_crds::injection::{lease_node, AGENT_LEASE_LABEL};
use chaoscenter_crds::run::RunPhase;
use chaoscenter_crds::ChaosWorkflowRun;
use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::api::Api;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Client;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PhaseLabels {
    pub phase: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FaultLabels {
    pub fault: String,
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    pub controller: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub controller: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

/// Every phase a run can be in, as its status spells it.
const PHASES: [RunPhase; 6] = [
    RunPhase::Pending,
    RunPhase::Running,
    RunPhase::Succeeded,
    RunPhase::Failed,
    RunPhase::Aborted,
    RunPhase::Error,
];

/// Every metric the operator exports.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Arc<Registry>,
    /// Runs entering each phase.
    pub runs: Family<PhaseLabels, Counter>,
    /// Targets injected, by fault type and result (ok / error).
    pub injections: Family<FaultLabels, Counter>,
    /// Target reverts, by fault type and result (verified / error).
    pub reverts: Family<FaultLabels, Counter>,
    pub reconcile_errors: Family<ErrorLabels, Counter>,
    pub reconcile_duration: Family<ControllerLabels, Histogram>,
    /// Hub syncs, by result: `Synced`, or the reason the sync failed (as in the hub's `Synced` condition).
    pub hub_syncs: Family<ResultLabels, Counter>,
    /// The caches the scrape-time gauges read, once this replica leads (see [`Metrics::watch`]).
    view: Arc<OnceLock<ClusterView>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chaoscenter");
        let runs = Family::<PhaseLabels, Counter>::default();
        let injections = Family::<FaultLabels, Counter>::default();
        let reverts = Family::<FaultLabels, Counter>::default();
        let reconcile_errors = Family::<ErrorLabels, Counter>::default();
        let reconcile_duration = Family::<ControllerLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 14))
        });
        let hub_syncs = Family::<ResultLabels, Counter>::default();
        // every phase from the start, so `increase()` sees a run's first entry into one
        for phase in PHASES {
            let _ = runs.get_or_create(&PhaseLabels { phase: format!("{phase:?}") });
        }
        registry.register("runs", "Runs entering each phase", Listed(runs.clone()));
        registry.register("injections", "Fault injections into targets", Listed(injections.clone()));
        registry.register("reverts", "Fault reverts of targets", Listed(reverts.clone()));
        registry.register("reconcile_errors", "Reconciles that failed", Listed(reconcile_errors.clone()));
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            Listed(reconcile_duration.clone()),
        );
        registry.register(
            "hub_syncs",
            "Hub syncs by result (Synced, or the reason the sync failed)",
            Listed(hub_syncs.clone()),
        );
        let view = Arc::new(OnceLock::new());
        registry.register_collector(Box::new(Gauges(view.clone())));
        Self {
            registry: Arc::new(registry),
            runs,
            injections,
            reverts,
            reconcile_errors,
            reconcile_duration,
            hub_syncs,
            view,
        }
    }
}

impl Metrics {
    /// The metrics in Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    pub fn run_phase(&self, phase: &str) {
        self.runs.get_or_create(&PhaseLabels { phase: phase.into() }).inc();
    }

    pub fn fault(family: &Family<FaultLabels, Counter>, fault: &str, result: &str) {
        family.get_or_create(&FaultLabels { fault: fault.into(), result: result.into() }).inc();
    }

    pub fn reconcile_failed(&self, controller: &str, reason: &str) {
        self.reconcile_errors
            .get_or_create(&ErrorLabels { controller: controller.into(), reason: reason.into() })
            .inc();
    }

    pub fn observe(&self, controller: &str, seconds: f64) {
        self.reconcile_duration
            .get_or_create(&ControllerLabels { controller: controller.into() })
            .observe(seconds);
    }

    /// Counts one hub sync: `failure` is `None` when it succeeded, else the reason it failed.
    pub fn hub_sync(&self, failure: Option<&str>) {
        let result = failure.unwrap_or("Synced").to_string();
        self.hub_syncs.get_or_create(&ResultLabels { result }).inc();
    }

    /// From now on the gauges read `world`'s runs and nodes, and a cache of the node agents' Leases in
    /// the control-plane namespace that this starts; the returned task keeps that cache filled. Called
    /// once this replica leads (the others export the gauges' names without values).
    pub fn watch(&self, client: &Client, world: &World) -> Filler {
        let (leases, writer) = reflector::store();
        let api: Api<Lease> = Api::namespaced(client.clone(), &world.control_namespace);
        let selector = format!("{}={}", AGENT_LEASE_LABEL.0, AGENT_LEASE_LABEL.1);
        let stream = watcher(api, watcher::Config::default().labels(&selector)).default_backoff();
        let watching = Arc::new(AtomicBool::new(false));
        let view = ClusterView {
            runs: world.runs.clone(),
            nodes: world.nodes.clone(),
            leases,
            leases_watched: watching.clone(),
        };
        if self.view.set(view).is_err() {
            tracing::warn!("the metrics already read the caches of an earlier start");
        }
        Box::pin(reflector::reflector(writer, stream).for_each(move |event| {
            if let Err(err) = &event {
                tracing::warn!(%err, "watching the node agents' Leases failed (retrying)");
            }
            watching.store(event.is_ok(), Ordering::Relaxed);
            async {}
        }))
    }
}

/// A metric that is listed (its `# HELP` and `# TYPE` lines) even before it has a value: prometheus-client
/// leaves out families without any label set, and dashboards, alerts and their tests look for every name.
#[derive(Debug)]
struct Listed<M>(M);

impl<M: EncodeMetric> EncodeMetric for Listed<M> {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }
}

/// The caches the gauges read.
#[derive(Clone)]
struct ClusterView {
    runs: Store<ChaosWorkflowRun>,
    nodes: Store<Node>,
    leases: Store<Lease>,
    /// Whether the Leases' watch works: while it fails, their cached renewals grow old and would make
    /// live agents look down, so the agents' gauge has no values then.
    leases_watched: Arc<AtomicBool>,
}

/// What the gauges say at one moment.
#[derive(Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Runs in the cluster by phase (every phase, zeros included; a run without a phase yet is Pending).
    pub runs: BTreeMap<String, i64>,
    /// Runs not finished whose deadline has passed: the engine should have stopped them.
    pub past_deadline: i64,
    /// Targets whose last revert attempt failed (or was not visible yet) and that are not reverted, by
    /// fault type.
    pub revert_failing: BTreeMap<String, i64>,
    /// Per node with an agent's Lease: whether the agent renewed it in time.
    pub agents: BTreeMap<String, bool>,
}

impl Snapshot {
    /// The gauges for `runs` and the agents' `leases` at `now`. Leases of nodes that left the cluster
    /// are left out (`nodes`: the names of the nodes, when known).
    pub fn of(
        runs: &[Arc<ChaosWorkflowRun>],
        leases: &[Arc<Lease>],
        nodes: Option<&dyn Fn(&str) -> bool>,
        now: jiff::Timestamp,
    ) -> Self {
        let mut snapshot =
            Self { runs: PHASES.iter().map(|p| (format!("{p:?}"), 0)).collect(), ..Default::default() };
        for run in runs {
            let status = run.status.clone().unwrap_or_default();
            let phase = status.phase.unwrap_or_default();
            *snapshot.runs.entry(format!("{phase:?}")).or_default() += 1;
            let deadline = chaoscenter_core::time::parse(&status.deadline);
            if !phase.is_finished() && deadline.is_some_and(|d| d < now) {
                snapshot.past_deadline += 1;
            }
            for target in status.steps.iter().flat_map(|s| &s.targets) {
                if target.revert_error.is_some() && !target.revert_verified {
                    *snapshot.revert_failing.entry(target.fault.clone()).or_default() += 1;
                }
            }
        }
        for lease in leases {
            let Some(node) = lease.metadata.name.as_deref().and_then(lease_node) else { continue };
            if nodes.is_some_and(|exists| !exists(node)) {
                continue;
            }
            snapshot.agents.insert(node.to_string(), crate::faults::agent::is_live(lease, now));
        }
        snapshot
    }
}

/// The gauges computed at each scrape from the caches (names and help only, before this replica leads).
struct Gauges(Arc<OnceLock<ClusterView>>);

impl std::fmt::Debug for Gauges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gauges").field("reading", &self.0.get().is_some()).finish()
    }
}

impl Collector for Gauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshot = self.0.get().map(|view| {
            let nodes = crate::controllers::is_filled(&view.nodes).then(|| {
                let nodes = view.nodes.clone();
                move |name: &str| nodes.get(&ObjectRef::new(name)).is_some()
            });
            let nodes = nodes.as_ref().map(|f| f as &dyn Fn(&str) -> bool);
            let leases = match view.leases_watched.load(Ordering::Relaxed) {
                true => view.leases.state(),
                false => Vec::new(),
            };
            Snapshot::of(&view.runs.state(), &leases, nodes, jiff::Timestamp::now())
        });
        let s = snapshot.as_ref();
        let by = |label: &'static str, values: Option<&BTreeMap<String, i64>>| -> Vec<Sample> {
            values.into_iter().flatten().map(|(k, v)| (vec![(label, k.clone())], *v)).collect()
        };
        gauge(
            &mut encoder,
            "runs_in_cluster",
            "Runs in the cluster now, by phase",
            by("phase", s.map(|s| &s.runs)),
        )?;
        gauge(
            &mut encoder,
            "runs_past_deadline",
            "Runs not finished although their deadline has passed (the engine should have stopped them)",
            s.map(|s| (vec![], s.past_deadline)).into_iter().collect(),
        )?;
        gauge(
            &mut encoder,
            "targets_revert_failing",
            "Targets whose last revert attempt failed and that are not reverted, by fault type",
            by("fault", s.map(|s| &s.revert_failing)),
        )?;
        let agents = s.map(|s| s.agents.iter().map(|(node, up)| (node.clone(), i64::from(*up))).collect());
        gauge(
            &mut encoder,
            "node_agent_up",
            "1 while a node's agent renews its Lease in time, 0 once it stopped (nodes with an agent's Lease)",
            by("node", agents.as_ref()),
        )?;
        Ok(())
    }
}

/// One gauge sample: its labels and value.
type Sample = (Vec<(&'static str, String)>, i64);

/// Writes gauge `name` with its help and `samples` (none: only the help and type).
fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: Vec<Sample>,
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in &samples {
        ConstGauge::new(*value).encode(metric.encode_family(labels)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The `# TYPE` lines of an exposition: family name and type.
    fn families(text: &str) -> BTreeMap<String, String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_once(' '))
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn every_family_is_listed_before_anything_happened() {
        let text = Metrics::default().encode();
        let listed = families(&text);
        for (name, kind) in [
            ("chaoscenter_runs", "counter"),
            ("chaoscenter_injections", "counter"),
            ("chaoscenter_reverts", "counter"),
            ("chaoscenter_reconcile_errors", "counter"),
            ("chaoscenter_reconcile_duration_seconds", "histogram"),
            ("chaoscenter_hub_syncs", "counter"),
            ("chaoscenter_runs_in_cluster", "gauge"),
            ("chaoscenter_runs_past_deadline", "gauge"),
            ("chaoscenter_targets_revert_failing", "gauge"),
            ("chaoscenter_node_agent_up", "gauge"),
        ] {
            assert_eq!(listed.get(name).map(String::as_str), Some(kind), "{name} in:\n{text}");
        }
        assert!(text.contains("chaoscenter_runs_total{phase=\"Succeeded\"} 0"), "{text}");
        // a follower has no caches: names, but no made-up values
        assert!(!text.contains("chaoscenter_runs_past_deadline 0"), "{text}");
    }

    fn run(phase: &str, deadline: &str, targets: serde_json::Value) -> Arc<ChaosWorkflowRun> {
        Arc::new(
            serde_json::from_value(json!({
                "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
                "metadata": {"name": "r", "namespace": "ns"},
                "spec": {"workflowRef": {"name": "wf"}},
                "status": {"phase": phase, "deadline": deadline,
                           "steps": [{"name": "s", "targets": targets}]},
            }))
            .unwrap(),
        )
    }

    fn lease(node: &str, renewed: &str) -> Arc<Lease> {
        Arc::new(
            serde_json::from_value(json!({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": format!("chaoscenter-node-{node}"), "namespace": "cc"},
                "spec": {"holderIdentity": node, "leaseDurationSeconds": 15, "renewTime": renewed},
            }))
            .unwrap(),
        )
    }

    #[test]
    fn the_gauges_count_what_the_caches_hold() {
        let now: jiff::Timestamp = "2026-01-01T12:00:00Z".parse().unwrap();
        let failing = json!([
            {"kind": "Pod", "name": "a", "fault": "pod-delete", "revertError": "forbidden"},
            {"kind": "Pod", "name": "b", "fault": "pod-delete", "revertVerified": true},
            {"kind": "Node", "name": "n", "fault": "node-taint", "revertError": "conflict"},
        ]);
        let runs = [
            run("Running", "2026-01-01T11:59:00Z", failing),
            run("Running", "2026-01-01T12:30:00Z", json!([])),
            // finished runs are past their deadline by design
            run("Aborted", "2026-01-01T11:00:00Z", json!([])),
            run(
                "Succeeded",
                "2026-01-01T11:00:00Z",
                json!([{"kind": "Pod", "name": "c", "fault": "pod-delete"}]),
            ),
        ];
        let leases = [
            lease("alive", "2026-01-01T11:59:55.000000Z"),
            lease("dead", "2026-01-01T11:59:00.000000Z"),
            lease("gone", "2026-01-01T11:00:00.000000Z"),
        ];
        let exists = |node: &str| node != "gone";
        let s = Snapshot::of(&runs, &leases, Some(&exists), now);
        assert_eq!(s.runs["Running"], 2);
        assert_eq!(s.runs["Aborted"], 1);
        assert_eq!(s.runs["Pending"], 0, "every phase has a value");
        assert_eq!(s.past_deadline, 1);
        assert_eq!(s.revert_failing, [("node-taint".into(), 1), ("pod-delete".into(), 1)].into());
        assert_eq!(s.agents, [("alive".into(), true), ("dead".into(), false)].into());
        // before the node cache is filled, every Lease counts
        assert_eq!(Snapshot::of(&[], &leases, None, now).agents.len(), 3);
    }

    #[test]
    fn a_leader_exports_the_gauges_values() {
        use kube::runtime::watcher::Event;
        let metrics = Metrics::default();
        let (world, mut writers) = crate::world::testing::world();
        writers
            .runs
            .apply_watcher_event(&Event::Apply((*run("Running", "2000-01-01T00:00:00Z", json!([]))).clone()));
        let (leases, mut lease_writer) = reflector::store();
        lease_writer
            .apply_watcher_event(&Event::Apply((*lease("n1", "2000-01-01T00:00:00.000000Z")).clone()));
        let view = ClusterView {
            runs: world.runs.clone(),
            nodes: world.nodes.clone(),
            leases,
            leases_watched: Arc::new(AtomicBool::new(true)),
        };
        assert!(metrics.view.set(view).is_ok());
        let text = metrics.encode();
        assert!(text.contains("chaoscenter_runs_past_deadline 1\n"), "{text}");
        assert!(text.contains("chaoscenter_runs_in_cluster{phase=\"Running\"} 1\n"), "{text}");
        // n1 is not a node of the (filled, empty) node cache: left out
        assert!(!text.contains("node=\"n1\""), "{text}");
    }
}
