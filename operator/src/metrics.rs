//! Prometheus metrics: runs by phase, injections, reverts, reconcile errors and durations.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;

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
        registry.register("runs", "Runs entering each phase", runs.clone());
        registry.register("injections", "Fault injections into targets", injections.clone());
        registry.register("reverts", "Fault reverts of targets", reverts.clone());
        registry.register("reconcile_errors", "Reconciles that failed", reconcile_errors.clone());
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            reconcile_duration.clone(),
        );
        Self { registry: Arc::new(registry), runs, injections, reverts, reconcile_errors, reconcile_duration }
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
}
