//! ChaosCenter's hub catalogues and Litmus import, without IO: a hub repository's files (given as a map)
//! read into templates — ChaosCenter's own layout and Litmus's chaos-charts layout — and Litmus
//! experiments or ChaosEngines converted into ChaosWorkflows, each conversion reporting what was mapped and
//! what was dropped and why.

use chaoscenter_crds::template::ChaosTemplateSpec;
use chaoscenter_crds::workflow::ChaosWorkflowSpec;
use std::collections::BTreeMap;

/// A hub's files: path relative to the repository's root (`/`-separated, no leading `/`) → content.
pub type Files = BTreeMap<String, Vec<u8>>;

/// What a hub offers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalogue {
    /// Its templates, sorted by name (`hub` left empty: the caller names the hub).
    pub templates: Vec<ChaosTemplateSpec>,
    /// Files that look like templates but could not be read, each with the path and why.
    pub problems: Vec<String>,
}

/// Reads the catalogue under `root` (a folder of `files`, empty for the whole repository), whichever
/// layout each part uses; `revision` is the commit the files are from.
pub fn catalogue(_files: &Files, _root: &str, _revision: Option<&str>) -> Catalogue {
    Catalogue::default()
}

/// ChaosCenter's built-in hub: its own templates, embedded in the binary (works offline).
pub fn builtin() -> Files {
    Files::new()
}

/// A Litmus experiment or ChaosEngine converted into a ChaosWorkflow.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// The workflow's name (from the experiment's or engine's).
    pub name: String,
    pub workflow: ChaosWorkflowSpec,
    /// What was carried over, each in words (e.g. `step pod-delete: TOTAL_CHAOS_DURATION=30 → duration 30s`).
    pub mapped: Vec<String>,
    /// What was left out, each with why (e.g. `step cpu-hog: fault pod-cpu-hog-exec has no ChaosCenter equivalent`).
    pub dropped: Vec<String>,
}

/// Converts every Litmus experiment (an Argo Workflow, or its CronWorkflow) and bare ChaosEngine in
/// `yaml` (one or more documents); an error says why nothing could be converted.
pub fn import_litmus(_yaml: &str) -> Result<Vec<Import>, String> {
    Err("importing Litmus experiments is not implemented yet".into())
}
