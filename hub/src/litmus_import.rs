//! Litmus experiments (Argo Workflows and CronWorkflows running ChaosEngines) and bare ChaosEngines
//! converted into ChaosWorkflows: steps and their order, targets, durations, probes and weights, with
//! what was mapped and what was dropped and why.

use crate::litmus_fault::{self as lf, dns_label, text, AppInfo};
use crate::Import;
use chaoscenter_crds::template::TemplateParameter;
use chaoscenter_crds::workflow::{ChaosWorkflowSpec, Step, DEFAULT_WEIGHT};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The YAML documents of `yaml` as JSON values (a document that is not YAML is an error naming it).
pub fn documents(yaml: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(yaml).enumerate() {
        let v = Value::deserialize(doc).map_err(|e| format!("document {}: not YAML: {e}", i + 1))?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    Ok(docs)
}

/// An import with the parameters a template made from it offers (field paths into the workflow).
pub struct Converted {
    pub import: Import,
    pub parameters: Vec<TemplateParameter>,
}

/// Every Litmus experiment and bare ChaosEngine in `yaml`, including those of which no step converted
/// (their `dropped` says why); an error only when the text is not YAML or holds none of them.
pub fn convert(yaml: &str) -> Result<Vec<Converted>, String> {
    let docs = documents(yaml)?;
    let kind = |d: &Value| text(&d["kind"]).unwrap_or_default();
    let experiments: BTreeMap<String, BTreeMap<String, String>> = docs
        .iter()
        .filter(|d| kind(d) == "ChaosExperiment")
        .filter_map(|d| Some((text(&d["metadata"]["name"])?, lf::env_of(&d["spec"]["definition"]["env"]))))
        .collect();
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for d in &docs {
        match kind(d).as_str() {
            "Workflow" => out.push(argo(d, &d["spec"], None)),
            "CronWorkflow" => {
                let spec = &d["spec"]["workflowSpec"];
                let cron = (text(&d["spec"]["schedule"]), text(&d["spec"]["timezone"]));
                out.push(argo(d, spec, Some(cron)));
            }
            "ChaosEngine" => out.push(bare_engine(d, &experiments)),
            "ChaosExperiment" => {}
            other => seen.push(if other.is_empty() {
                "a document without kind".to_string()
            } else {
                other.to_string()
            }),
        }
    }
    if out.is_empty() {
        let what = if seen.is_empty() { "nothing".to_string() } else { seen.join(", ") };
        return Err(format!(
            "no Litmus experiment (an Argo Workflow or CronWorkflow) or ChaosEngine found; found {what}"
        ));
    }
    Ok(out)
}

/// A step being built, with its parameters relative to the step.
struct Draft {
    step: Step,
    params: Vec<lf::Param>,
}

fn name_of(meta: &Value, fallback: &str) -> String {
    let n = text(&meta["name"])
        .or_else(|| text(&meta["generateName"]).map(|g| g.trim_end_matches('-').to_string()))
        .unwrap_or_else(|| fallback.to_string());
    dns_label(&n, fallback)
}

/// The steps of one ChaosEngine (one per entry of `spec.experiments`, in order), named `name` (with the
/// experiment's name appended when there are several).
fn engine_steps(
    engine: &Value,
    name: &str,
    experiments: &BTreeMap<String, BTreeMap<String, String>>,
    mapped: &mut Vec<String>,
    dropped: &mut Vec<String>,
) -> Vec<Draft> {
    let app = AppInfo::of_engine(engine);
    let list = engine["spec"]["experiments"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        dropped.push(format!("step {name}: the ChaosEngine names no experiment"));
    }
    if let Some(refs) = text(&engine["metadata"]["annotations"]["probeRef"]) {
        dropped.push(format!(
            "step {name}: probeRef {refs}: these probes live in Litmus's own database, not in the file; add them as ChaosCenter probes"
        ));
    }
    if text(&engine["spec"]["selectors"]).is_some() || engine["spec"]["selectors"].is_object() {
        dropped.push(format!("step {name}: spec.selectors: give the target as appinfo or TARGET_PODS"));
    }
    let mut drafts = Vec::new();
    for e in &list {
        let Some(fault) = text(&e["name"]) else { continue };
        let step_name =
            if list.len() > 1 { dns_label(&format!("{name}-{fault}"), "step") } else { name.to_string() };
        let mut env = experiments.get(&fault).cloned().unwrap_or_default();
        env.extend(lf::env_of(&e["spec"]["components"]["env"]));
        let at = format!("step {step_name}");
        match lf::map_fault(&fault, &env, &app) {
            Err(why) => dropped.push(format!("{at}: dropped: {why}")),
            Ok(m) => {
                mapped.extend(m.mapped.iter().map(|s| format!("{at}: {s}")));
                dropped.extend(m.dropped.iter().map(|s| format!("{at}: {s}")));
                let mut probes = Vec::new();
                let mut pm = Vec::new();
                let mut pd = Vec::new();
                for p in e["spec"]["probe"].as_array().into_iter().flatten() {
                    if let Some(probe) = lf::map_probe(p, &mut pm, &mut pd) {
                        if probes.iter().any(|q: &chaoscenter_crds::workflow::Probe| q.name == probe.name) {
                            pd.push(format!("probe {}: a second probe of that name; dropped", probe.name));
                        } else {
                            probes.push(probe);
                        }
                    }
                }
                mapped.extend(pm.iter().map(|s| format!("{at}: {s}")));
                dropped.extend(pd.iter().map(|s| format!("{at}: {s}")));
                drafts.push(Draft {
                    step: Step {
                        name: step_name,
                        depends_on: Vec::new(),
                        weight: DEFAULT_WEIGHT,
                        fault: m.fault,
                        probes,
                    },
                    params: m.params,
                });
            }
        }
    }
    drafts
}

fn bare_engine(d: &Value, experiments: &BTreeMap<String, BTreeMap<String, String>>) -> Converted {
    let name = name_of(&d["metadata"], "chaosengine");
    let mut mapped = vec![format!("ChaosEngine {name} → workflow {name}")];
    let mut dropped = Vec::new();
    let mut drafts = engine_steps(d, &name, experiments, &mut mapped, &mut dropped);
    // Litmus runs an engine's experiments one after the other
    for i in 1..drafts.len() {
        let prev = drafts[i - 1].step.name.clone();
        drafts[i].step.depends_on.push(prev);
    }
    finish(name, drafts, None, mapped, dropped, String::new())
}

/// The templates of an Argo workflow spec by name.
fn templates(spec: &Value) -> BTreeMap<String, &Value> {
    spec["templates"].as_array().into_iter().flatten().filter_map(|t| Some((text(&t["name"])?, t))).collect()
}

/// Replaces `{{workflow.parameters.x}}` by the workflow's argument `x`.
fn substitute(raw: &str, params: &BTreeMap<String, String>) -> String {
    let mut s = raw.to_string();
    for (k, v) in params {
        for pat in [format!("{{{{workflow.parameters.{k}}}}}"), format!("{{{{ workflow.parameters.{k} }}}}")]
        {
            s = s.replace(&pat, v);
        }
    }
    s
}

/// The YAML documents given inline to a template (`inputs.artifacts[].raw.data`).
fn inline_docs(
    t: &Value,
    params: &BTreeMap<String, String>,
    at: &str,
    dropped: &mut Vec<String>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for a in t["inputs"]["artifacts"].as_array().into_iter().flatten() {
        if let Some(data) = a["raw"]["data"].as_str() {
            match documents(&substitute(data, params)) {
                Ok(docs) => out.extend(docs),
                Err(e) => {
                    dropped.push(format!("{at}: artifact {}: {e}", text(&a["name"]).unwrap_or_default()))
                }
            }
        }
    }
    out
}

type Cron = (Option<String>, Option<String>);

fn argo(d: &Value, spec: &Value, cron: Option<Cron>) -> Converted {
    let name = name_of(&d["metadata"], "litmus-experiment");
    let mut mapped = vec![format!("{} {name} → workflow {name}", text(&d["kind"]).unwrap_or_default())];
    let mut dropped = Vec::new();
    let params: BTreeMap<String, String> = spec["arguments"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((text(&p["name"])?, text(&p["value"]).unwrap_or_default())))
        .collect();
    let templates = templates(spec);
    // every ChaosExperiment any template installs gives its ENV defaults
    let mut experiments = BTreeMap::new();
    for t in templates.values() {
        for doc in inline_docs(t, &params, "install", &mut Vec::new()) {
            if text(&doc["kind"]).as_deref() == Some("ChaosExperiment") {
                if let Some(n) = text(&doc["metadata"]["name"]) {
                    experiments.insert(n, lf::env_of(&doc["spec"]["definition"]["env"]));
                }
            }
        }
    }
    // the entry template's tasks: (task name, template name, the tasks it depends on)
    let entry = text(&spec["entrypoint"]).and_then(|e| templates.get(&e).copied());
    let mut tasks: Vec<(String, String, Vec<String>)> = Vec::new();
    match entry {
        None => dropped.push("the workflow's entrypoint names no template".into()),
        Some(e) if e["steps"].is_array() => {
            let mut before: Vec<String> = Vec::new();
            for group in e["steps"].as_array().into_iter().flatten() {
                let group: Vec<&Value> = match group.as_array() {
                    Some(g) => g.iter().collect(),
                    None => vec![group],
                };
                let mut names = Vec::new();
                for s in group {
                    let (Some(n), Some(t)) = (text(&s["name"]), text(&s["template"])) else { continue };
                    tasks.push((n.clone(), t, before.clone()));
                    names.push(n);
                }
                before = names;
            }
        }
        Some(e) if e["dag"]["tasks"].is_array() => {
            for s in e["dag"]["tasks"].as_array().into_iter().flatten() {
                let (Some(n), Some(t)) = (text(&s["name"]), text(&s["template"])) else { continue };
                let mut deps: Vec<String> =
                    s["dependencies"].as_array().into_iter().flatten().filter_map(text).collect();
                if let Some(expr) = text(&s["depends"]) {
                    deps.extend(
                        expr.split(|c: char| {
                            c == '&' || c == '|' || c == '(' || c == ')' || c == '!' || c.is_whitespace()
                        })
                        .filter(|w| !w.is_empty())
                        .map(|w| w.split('.').next().unwrap_or(w).to_string()),
                    );
                }
                tasks.push((n, t, deps));
            }
        }
        Some(e) => {
            // a single template as the entrypoint
            let n = text(&e["name"]).unwrap_or_default();
            tasks.push((n.clone(), n, Vec::new()));
        }
    }
    // each task: its chaos steps (if it runs an engine)
    let mut drafts: Vec<Draft> = Vec::new();
    let mut chaos_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut used_names = BTreeSet::new();
    for (task, template, _) in &tasks {
        let at = format!("step {task}");
        let Some(t) = templates.get(template) else {
            dropped.push(format!("{at}: template {template} not found"));
            continue;
        };
        let docs = inline_docs(t, &params, &at, &mut dropped);
        let engines: Vec<&Value> =
            docs.iter().filter(|d| text(&d["kind"]).as_deref() == Some("ChaosEngine")).collect();
        if engines.is_empty() {
            let installs = docs.iter().any(|d| text(&d["kind"]).as_deref() == Some("ChaosExperiment"));
            let image = text(&t["container"]["image"]).unwrap_or_default();
            let args = serde_json::to_string(&t["container"]["args"]).unwrap_or_default();
            if installs || task.contains("install") {
                mapped.push(format!(
                    "{at}: installs ChaosExperiments: not needed (their ENV defaults are used)"
                ));
            } else if task.contains("cleanup")
                || args.contains("delete chaosengine")
                || args.contains("delete chaosexperiment")
            {
                mapped.push(format!(
                    "{at}: cleans up Litmus resources: not needed (each run reverts its faults)"
                ));
            } else if t["steps"].is_array() || t["dag"].is_object() {
                dropped.push(format!("{at}: nested steps are not read; put the faults in the entrypoint"));
            } else {
                dropped.push(format!(
                    "{at}: runs {}, not a ChaosEngine; ChaosCenter has no step that runs an arbitrary container",
                    if image.is_empty() { "something".to_string() } else { format!("image {image}") }
                ));
            }
            continue;
        }
        let weight = text(&t["metadata"]["labels"]["weight"]).and_then(|w| w.parse::<u32>().ok());
        let mut names = Vec::new();
        for engine in engines {
            let base = dns_label(task, "step");
            let mut step_name = base.clone();
            let mut i = 2;
            while used_names.contains(&step_name) {
                step_name = dns_label(&format!("{base}-{i}"), "step");
                i += 1;
            }
            for mut draft in engine_steps(engine, &step_name, &experiments, &mut mapped, &mut dropped) {
                if let Some(w) = weight {
                    draft.step.weight = w.min(1000);
                    mapped.push(format!(
                        "step {}: weight label {w} → weight {}",
                        draft.step.name, draft.step.weight
                    ));
                }
                used_names.insert(draft.step.name.clone());
                names.push(draft.step.name.clone());
                // several experiments of one engine run one after the other
                if let Some(prev) = drafts.last().filter(|_| names.len() > 1).map(|d| d.step.name.clone()) {
                    draft.step.depends_on.push(prev);
                }
                drafts.push(draft);
            }
        }
        chaos_of.insert(task.clone(), names);
    }
    // a task's dependencies, seen through the tasks that run no chaos, as chaos steps
    let deps_of: BTreeMap<&str, &Vec<String>> = tasks.iter().map(|(n, _, d)| (n.as_str(), d)).collect();
    let mut firsts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (task, _, _) in &tasks {
        let mut found = BTreeSet::new();
        let mut stack: Vec<String> = deps_of.get(task.as_str()).map(|d| d.to_vec()).unwrap_or_default();
        let mut seen = BTreeSet::new();
        while let Some(dep) = stack.pop() {
            if !seen.insert(dep.clone()) {
                continue;
            }
            match chaos_of.get(&dep) {
                Some(steps) if !steps.is_empty() => {
                    // the last step of an engine ends its task
                    if let Some(last) = steps.last() {
                        found.insert(last.clone());
                    }
                }
                _ => stack.extend(deps_of.get(dep.as_str()).map(|d| d.to_vec()).unwrap_or_default()),
            }
        }
        if let Some(first) = chaos_of.get(task).and_then(|s| s.first()) {
            firsts.insert(first.clone(), found.into_iter().collect());
        }
    }
    for d in &mut drafts {
        if let Some(deps) = firsts.get(&d.step.name) {
            for dep in deps {
                if !d.step.depends_on.contains(dep) {
                    d.step.depends_on.push(dep.clone());
                }
            }
        }
    }
    if drafts.iter().any(|d| !d.step.depends_on.is_empty()) {
        mapped.push("step order → dependsOn (parallel steps share their dependencies)".into());
    }
    let description = text(&d["metadata"]["annotations"]["description"]).unwrap_or_default();
    finish(name, drafts, cron, mapped, dropped, description)
}

fn seconds(d: &str) -> u64 {
    chaoscenter_core::duration::parse(d).map(|d| d.as_secs()).unwrap_or(0)
}

fn finish(
    name: String,
    drafts: Vec<Draft>,
    cron: Option<Cron>,
    mut mapped: Vec<String>,
    mut dropped: Vec<String>,
    description: String,
) -> Converted {
    let mut spec = ChaosWorkflowSpec {
        description: if description.is_empty() {
            format!("Imported from Litmus: {name}")
        } else {
            description
        },
        time_zone: "UTC".into(),
        run_history_limit: chaoscenter_crds::workflow::DEFAULT_RUN_HISTORY_LIMIT,
        max_duration: chaoscenter_crds::workflow::DEFAULT_MAX_DURATION.into(),
        ..ChaosWorkflowSpec::default()
    };
    let mut parameters = Vec::new();
    let mut total: u64 = 0;
    for (i, d) in drafts.into_iter().enumerate() {
        let delays =
            d.step.probes.iter().map(|p| p.run_properties.initial_delay.as_deref().map(seconds).unwrap_or(0));
        total = delays.fold(total.saturating_add(seconds(&d.step.fault.duration)), u64::saturating_add);
        for p in d.params {
            parameters.push((
                d.step.name.clone(),
                TemplateParameter {
                    name: p.name,
                    description: p.description,
                    default: None,
                    field: format!("steps[{i}].{}", p.field),
                },
            ));
        }
        spec.steps.push(d.step);
    }
    // room for every step one after the other, their probes and reverts
    let minutes = total.saturating_add(300).div_ceil(60);
    if minutes > 30 {
        spec.max_duration = format!("{}m", minutes.min(24 * 60));
        mapped.push(format!("maxDuration {} (the steps' durations and 5 minutes)", spec.max_duration));
    }
    if let Some((schedule, tz)) = cron {
        if let Some(s) = schedule {
            mapped.push(format!("schedule {s} → schedule"));
            spec.schedule = Some(s);
        }
        if let Some(tz) = tz {
            mapped.push(format!("timezone {tz} → timeZone"));
            spec.time_zone = tz;
        }
    }
    if spec.steps.is_empty() {
        dropped.push("no step converted: the workflow has no step".into());
    } else if let Err(e) = chaoscenter_core::validate(&spec) {
        dropped.push(format!("the converted workflow does not validate yet: {e}"));
    }
    // a single step's parameters keep their Litmus names; several steps' are prefixed with the step
    let several = spec.steps.len() > 1;
    let mut parameters: Vec<TemplateParameter> = parameters
        .into_iter()
        .map(|(step, mut p)| {
            if several {
                p.name = format!("{step}.{}", p.name);
            }
            p
        })
        .collect();
    crate::fill_defaults(&spec, &mut parameters);
    Converted { import: Import { name, workflow: spec, mapped, dropped }, parameters }
}
