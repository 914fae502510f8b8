//! The `ChaosRunLog` kind: a run's log — the operator's lines about one ChaosWorkflowRun and the output of
//! its cmd probes, redacted and bounded — written by the operator while the run goes on, named like the run
//! and owned by it (so it goes with it; the apiserver keeps a copy in the history). Users read it, nobody
//! edits it.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most lines a run's log keeps (the marker saying how many older lines were dropped included).
pub const MAX_LINES: usize = 2000;
/// The most bytes a run's log keeps (its lines' text).
pub const MAX_BYTES: usize = 256 * 1024;

/// A run's log.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[kube(
    group = "chaoscenter.io",
    version = "v1alpha1",
    kind = "ChaosRunLog",
    namespaced,
    shortname = "crl",
    category = "chaos",
    derive = "PartialEq",
    derive = "Default",
    doc = "A ChaosWorkflowRun's log: the operator's lines about the run and its cmd probes' output, redacted, the newest 2000 lines / 256 KiB.",
    printcolumn(name = "Run", type_ = "string", json_path = ".spec.run"),
    printcolumn(name = "Dropped", type_ = "integer", json_path = ".spec.dropped"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ChaosRunLogSpec {
    /// The run it is the log of (a ChaosWorkflowRun in this namespace, of the same name).
    pub run: String,
    /// That run's uid (a run deleted and created again under its name gets a log of its own).
    pub run_uid: String,
    /// The lines, oldest first: `<time> <LEVEL> <message> <fields>`, or `<time> OUTPUT [<probe>] <line>` for
    /// a cmd probe's output. When older lines were dropped, the first line says how many.
    #[serde(default)]
    #[schemars(length(max = 2000))]
    pub lines: Vec<String>,
    /// How many older lines were dropped to keep the log within its bound.
    #[serde(default)]
    pub dropped: i64,
}
