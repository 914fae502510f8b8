//! ChaosCenter's hub catalogues and Litmus import, without IO: a hub repository's files (given as a map)
//! read into templates — ChaosCenter's own layout and Litmus's chaos-charts layout — and Litmus
//! experiments or ChaosEngines converted into ChaosWorkflows, each conversion reporting what was mapped and
//! what was dropped and why.

mod charts;
pub mod litmus_fault;
mod litmus_import;
mod own;

use chaoscenter_crds::template::{ChaosTemplateSpec, TemplateParameter};
use chaoscenter_crds::workflow::{ChaosWorkflowSpec, Fault, Step, DEFAULT_WEIGHT};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub use own::{ANNOTATION_CATEGORY, ANNOTATION_DESCRIPTION, ANNOTATION_DISPLAY_NAME, ANNOTATION_PARAMETERS};

/// A hub's files: path relative to the repository's root (`/`-separated, no leading `/`) → content.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Files larger than this are not read (each is listed in `problems`).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

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
///
/// Under `root`, `faults/` and `experiments/` are read in Litmus's chaos-charts layout; every other
/// `*.yaml` / `*.yml` file that is a `ChaosWorkflow` is a template in ChaosCenter's own layout (see
/// docs/hubs.md). Two templates of one name: the first by path is kept, the other is a problem.
pub fn catalogue(files: &Files, root: &str, revision: Option<&str>) -> Catalogue {
    let root = root.trim_matches('/');
    let prefix = if root.is_empty() { String::new() } else { format!("{root}/") };
    let mut problems = Vec::new();
    let mut own_files = Vec::new();
    let mut litmus: BTreeMap<String, &[u8]> = BTreeMap::new();
    for (path, content) in files.range(prefix.clone()..) {
        let Some(rel) = path.strip_prefix(&prefix) else { break };
        let yaml = rel.ends_with(".yaml") || rel.ends_with(".yml");
        if !yaml {
            continue;
        }
        if content.len() > MAX_FILE_BYTES {
            problems.push(format!(
                "{path}: {} bytes, larger than the 1 MiB a hub file may have; skipped",
                content.len()
            ));
            continue;
        }
        if rel.starts_with("faults/") || rel.starts_with("experiments/") {
            litmus.insert(rel.to_string(), content);
        } else {
            own_files.push((path.as_str(), content.as_slice()));
        }
    }
    let mut templates = Vec::new();
    for (path, content) in own_files {
        own::read(path, content, revision, &mut templates, &mut problems);
    }
    charts::read(&litmus, &prefix, revision, &mut templates, &mut problems);
    // one template per name: the first by path wins
    templates.sort_by(|a: &ChaosTemplateSpec, b| a.name.cmp(&b.name).then(a.source.path.cmp(&b.source.path)));
    let mut names = BTreeSet::new();
    templates.retain(|t| {
        let first = names.insert(t.name.clone());
        if !first {
            problems.push(format!("{}: a second template named {}; skipped", t.source.path, t.name));
        }
        first
    });
    Catalogue { templates, problems }
}

/// The files of ChaosCenter's built-in hub (in ChaosCenter's own layout), embedded in the binary.
const BUILTIN: &[(&str, &str)] = &[
    ("pod-delete.yaml", include_str!("../builtin/pod-delete.yaml")),
    ("pod-autoscaler.yaml", include_str!("../builtin/pod-autoscaler.yaml")),
    ("node-drain.yaml", include_str!("../builtin/node-drain.yaml")),
    ("network-delay.yaml", include_str!("../builtin/network-delay.yaml")),
    ("network-loss.yaml", include_str!("../builtin/network-loss.yaml")),
    ("network-partition.yaml", include_str!("../builtin/network-partition.yaml")),
    ("container-kill.yaml", include_str!("../builtin/container-kill.yaml")),
    ("pod-cpu-stress.yaml", include_str!("../builtin/pod-cpu-stress.yaml")),
    ("pod-memory-stress.yaml", include_str!("../builtin/pod-memory-stress.yaml")),
    ("dns-error.yaml", include_str!("../builtin/dns-error.yaml")),
    ("http-latency.yaml", include_str!("../builtin/http-latency.yaml")),
];

/// ChaosCenter's built-in hub: its own templates, embedded in the binary (works offline).
pub fn builtin() -> Files {
    BUILTIN.iter().map(|(p, c)| ((*p).to_string(), c.as_bytes().to_vec())).collect()
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
///
/// An experiment of which no step converted is left out (its reasons are added to the first import's
/// `dropped`); when none converted, the error gives every reason. A returned workflow may still fail
/// validation (e.g. an engine without `appinfo`): its `dropped` then says so.
pub fn import_litmus(yaml: &str) -> Result<Vec<Import>, String> {
    let all = litmus_import::convert(yaml)?;
    let (good, empty): (Vec<_>, Vec<_>) =
        all.into_iter().map(|c| c.import).partition(|i| !i.workflow.steps.is_empty());
    let reasons: Vec<String> =
        empty.iter().map(|i| format!("{}: nothing converted: {}", i.name, i.dropped.join("; "))).collect();
    let mut good = good;
    match good.first_mut() {
        None => Err(reasons.join("\n")),
        Some(first) => {
            first.dropped.extend(reasons);
            Ok(good)
        }
    }
}

/// A workflow of one step running `fault` (for tests and single-fault templates).
pub fn one_step_workflow(name: &str, fault: Fault) -> ChaosWorkflowSpec {
    ChaosWorkflowSpec {
        time_zone: "UTC".into(),
        run_history_limit: chaoscenter_crds::workflow::DEFAULT_RUN_HISTORY_LIMIT,
        max_duration: chaoscenter_crds::workflow::DEFAULT_MAX_DURATION.into(),
        steps: vec![Step {
            name: name.into(),
            depends_on: Vec::new(),
            weight: DEFAULT_WEIGHT,
            fault,
            probes: Vec::new(),
        }],
        ..ChaosWorkflowSpec::default()
    }
}

/// The value at `field` (e.g. `steps[0].fault.target.selector.matchLabels`) of `workflow`, as written:
/// text as is, numbers and booleans in words, lists and maps as JSON; `None` when there is nothing there.
pub fn field_value(workflow: &ChaosWorkflowSpec, field: &str) -> Option<String> {
    let root = serde_json::to_value(workflow).ok()?;
    let mut at = &root;
    for part in field.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            at = at.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let n: usize = index.strip_suffix(']')?.parse().ok()?;
            at = at.get(n)?;
        }
    }
    match at {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// Sets each parameter's default to the workflow's value at its field.
pub(crate) fn fill_defaults(workflow: &ChaosWorkflowSpec, parameters: &mut [TemplateParameter]) {
    for p in parameters {
        p.default = field_value(workflow, &p.field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_hub_offers_valid_templates_with_parameters() {
        let c = catalogue(&builtin(), "", None);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.templates.len(), BUILTIN.len());
        for t in &c.templates {
            assert!(t.supported, "{}", t.name);
            let wf = t.workflow.as_ref().unwrap();
            chaoscenter_core::validate(wf).unwrap_or_else(|e| panic!("{}: {e}", t.name));
            assert!(t.parameters.len() >= 3, "{}: {:?}", t.name, t.parameters);
            for p in &t.parameters {
                assert!(p.default.is_some(), "{}: parameter {} has no value at {}", t.name, p.name, p.field);
            }
            assert!(!t.description.is_empty() && !t.category.is_empty(), "{}", t.name);
        }
        let names: Vec<&str> = c.templates.iter().map(|t| t.name.as_str()).collect();
        for want in ["pod-delete", "network-delay", "http-latency", "dns-error"] {
            assert!(names.contains(&want), "{names:?}");
        }
        // probes where sensible
        assert!(
            c.templates.iter().filter(|t| !t.workflow.as_ref().unwrap().steps[0].probes.is_empty()).count()
                >= 8
        );
    }

    #[test]
    fn field_values_follow_paths_into_the_workflow() {
        let c = catalogue(&builtin(), "", None);
        let t = c.templates.iter().find(|t| t.name == "pod-delete").unwrap();
        let wf = t.workflow.as_ref().unwrap();
        assert_eq!(
            field_value(wf, "steps[0].fault.duration").as_deref(),
            Some(wf.steps[0].fault.duration.as_str())
        );
        assert_eq!(field_value(wf, "steps[3].fault.duration"), None);
        assert_eq!(field_value(wf, "steps[0].nothing"), None);
        assert_eq!(field_value(wf, "steps[x]"), None);
    }
}
