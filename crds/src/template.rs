//! The `ChaosTemplate` kind: one entry of a hub's catalogue — a workflow to start from, with display
//! metadata and parameters, or a Litmus fault ChaosCenter cannot run and why — written by the operator
//! from the hub's files and owned by the hub (users read it, nobody edits it).

use crate::workflow::ChaosWorkflowSpec;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Label on a template naming its hub.
pub const HUB_LABEL: &str = "chaoscenter.io/hub";

/// One entry of a hub's catalogue.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "chaoscenter.io",
    version = "v1alpha1",
    kind = "ChaosTemplate",
    namespaced,
    shortname = "ctpl",
    category = "chaos",
    derive = "PartialEq",
    doc = "One entry of a ChaosHub's catalogue: a workflow to start from, or a fault ChaosCenter cannot run and why.",
    printcolumn(name = "Hub", type_ = "string", json_path = ".spec.hub"),
    printcolumn(name = "Category", type_ = "string", json_path = ".spec.category"),
    printcolumn(name = "Supported", type_ = "boolean", json_path = ".spec.supported"),
    printcolumn(name = "Description", type_ = "string", json_path = ".spec.description", priority = 0),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ChaosTemplateSpec {
    /// The hub it comes from (a ChaosHub in this namespace).
    pub hub: String,
    /// Its name in the hub, e.g. `pod-delete` (a Litmus fault's name for the chaos-charts layout).
    pub name: String,
    /// The name to show.
    pub display_name: String,
    /// What it does, in a sentence or two.
    #[serde(default)]
    pub description: String,
    /// Its category, e.g. `kubernetes`, `network`, `stress`.
    #[serde(default)]
    pub category: String,
    /// Where in the hub's repository it was read from.
    pub source: TemplateSource,
    /// Whether ChaosCenter can run it; `reason` says why not.
    pub supported: bool,
    /// Why ChaosCenter cannot run it (absent when it can).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What a user may want to set before running it; each names the workflow field it fills.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<TemplateParameter>,
    /// The workflow it creates, with every parameter at its default (absent when unsupported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<ChaosWorkflowSpec>,
}

/// Where a template was read from.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSource {
    /// The hub layout it came in.
    pub layout: TemplateLayout,
    /// The file, relative to the repository's root (empty for the built-in hub's embedded files).
    pub path: String,
    /// The commit it was read at (absent for the built-in hub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

/// The layouts a hub may use.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum TemplateLayout {
    /// A ChaosWorkflow template file with display metadata (ChaosCenter's own layout).
    #[default]
    ChaosCenter,
    /// A fault of Litmus's chaos-charts (`faults/<category>/<fault>/`).
    LitmusFault,
    /// An experiment of Litmus's chaos-charts (`experiments/<name>/`).
    LitmusExperiment,
}

/// A value a user may set before running a template.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateParameter {
    /// Its name, e.g. `TOTAL_CHAOS_DURATION` or `namespace`.
    pub name: String,
    /// What it means.
    #[serde(default)]
    pub description: String,
    /// Its default, as written in the workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The workflow field it fills, e.g. `steps[0].fault.duration`.
    pub field: String,
}
