//! Litmus's chaos-charts layout: each fault folder (`faults/<category>/<fault>/`, its
//! ChartServiceVersion, ChaosExperiment `fault.yaml` and ChaosEngine `engine.yaml`) and each experiment
//! (`experiments/<name>/experiment.yaml`, an Argo Workflow) read into a template, supported when
//! ChaosCenter can run it.

use crate::litmus_fault::{self as lf, dns_label, text};
use crate::litmus_import::{self, documents};
use chaoscenter_crds::template::{ChaosTemplateSpec, TemplateLayout, TemplateSource};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// At most this much of a description or a reason is kept.
const MAX_TEXT: usize = 2000;

fn clip(s: &str) -> String {
    let s = s.trim();
    if s.len() <= MAX_TEXT {
        return s.to_string();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The first YAML document of a file, or why not.
fn first_doc(content: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(content).map_err(|_| "not UTF-8".to_string())?;
    documents(text)?.into_iter().next().ok_or_else(|| "empty".to_string())
}

/// A ChartServiceVersion's display name and description.
fn csv(doc: &Value) -> (Option<String>, Option<String>) {
    let s = &doc["spec"];
    (text(&s["displayName"]), text(&s["description"]).or_else(|| text(&s["categoryDescription"])))
}

/// Reads the chaos-charts parts of a hub: `files` maps paths relative to the hub's root (`prefix` gives
/// them back their repository path) to contents.
pub fn read(
    files: &BTreeMap<String, &[u8]>,
    prefix: &str,
    revision: Option<&str>,
    templates: &mut Vec<ChaosTemplateSpec>,
    problems: &mut Vec<String>,
) {
    // faults/<category>/<fault>/<file> and experiments/<name>/<file>
    let mut faults: BTreeMap<(String, String), BTreeMap<String, &[u8]>> = BTreeMap::new();
    let mut experiments: BTreeMap<String, BTreeMap<String, &[u8]>> = BTreeMap::new();
    let mut categories: BTreeMap<String, Value> = BTreeMap::new();
    for (path, content) in files {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["faults", cat, file] if *file == format!("{cat}.chartserviceversion.yaml") => {
                match first_doc(content) {
                    Ok(d) => {
                        categories.insert(cat.to_string(), d);
                    }
                    Err(e) => problems.push(format!("{prefix}{path}: {e}")),
                }
            }
            ["faults", cat, fault, file] => {
                faults
                    .entry((cat.to_string(), fault.to_string()))
                    .or_default()
                    .insert(file.to_string(), content);
            }
            ["experiments", name, file] => {
                experiments.entry(name.to_string()).or_default().insert(file.to_string(), content);
            }
            _ => {}
        }
    }
    for ((cat, fault), dir) in &faults {
        let base = format!("{prefix}faults/{cat}/{fault}");
        let csv_name = format!("{fault}.chartserviceversion.yaml");
        if !dir.contains_key(&csv_name) && !dir.contains_key("fault.yaml") && !dir.contains_key("engine.yaml")
        {
            continue;
        }
        match fault_template(cat, fault, dir, &categories, &base, revision) {
            Ok(t) => templates.push(t),
            Err(why) => problems.push(format!("{base}: {why}")),
        }
    }
    for (name, dir) in &experiments {
        let base = format!("{prefix}experiments/{name}");
        let Some(content) = dir.get("experiment.yaml") else { continue };
        match experiment_template(
            name,
            content,
            dir.get(&format!("{name}.chartserviceversion.yaml")).copied(),
            &base,
            revision,
        ) {
            Ok(t) => templates.push(t),
            Err(why) => problems.push(format!("{base}/experiment.yaml: {why}")),
        }
    }
}

fn fault_template(
    cat: &str,
    fault: &str,
    dir: &BTreeMap<String, &[u8]>,
    categories: &BTreeMap<String, Value>,
    base: &str,
    revision: Option<&str>,
) -> Result<ChaosTemplateSpec, String> {
    let read = |file: &str| -> Result<Option<Value>, String> {
        dir.get(file).map(|c| first_doc(c).map_err(|e| format!("{file}: {e}"))).transpose()
    };
    let csv_doc = read(&format!("{fault}.chartserviceversion.yaml"))?;
    let experiment = read("fault.yaml")?;
    let engine = read("engine.yaml")?;
    let (mut display, mut description) = csv_doc.as_ref().map(csv).unwrap_or_default();
    // the category's list of faults gives what the fault's own file does not
    if let Some(entry) = categories.get(cat).and_then(|c| {
        c["spec"]["faults"]
            .as_array()
            .and_then(|l| l.iter().find(|f| text(&f["name"]).as_deref() == Some(fault)).cloned())
    }) {
        display = display.or_else(|| text(&entry["displayName"]));
        description = description.or_else(|| text(&entry["description"]));
    }
    let name = dns_label(fault, "fault");
    let path = if dir.contains_key("engine.yaml") {
        format!("{base}/engine.yaml")
    } else if dir.contains_key("fault.yaml") {
        format!("{base}/fault.yaml")
    } else {
        format!("{base}/{fault}.chartserviceversion.yaml")
    };
    let mut t = ChaosTemplateSpec {
        hub: String::new(),
        name: name.clone(),
        display_name: display.unwrap_or_else(|| fault.to_string()),
        description: clip(&description.unwrap_or_default()),
        category: cat.to_string(),
        source: TemplateSource {
            layout: TemplateLayout::LitmusFault,
            path,
            revision: revision.map(str::to_string),
        },
        supported: false,
        reason: None,
        parameters: Vec::new(),
        workflow: None,
    };
    if let Err(why) = lf::fault_type(fault) {
        t.reason = Some(why);
        return Ok(t);
    }
    // the engine template (or a minimal one) run as a bare ChaosEngine, the fault's ENV as defaults
    let mut engine = engine.unwrap_or_else(|| json!({"kind": "ChaosEngine", "spec": {}}));
    engine["metadata"] = json!({"name": name});
    if !engine["spec"]["appinfo"].is_object() {
        engine["spec"]["appinfo"] =
            json!({"appns": "default", "applabel": "app=nginx", "appkind": "deployment"});
    }
    let exps = engine["spec"]["experiments"].as_array().map(|l| !l.is_empty()).unwrap_or(false);
    if !exps {
        engine["spec"]["experiments"] = json!([{"name": fault}]);
    }
    let mut docs = vec![engine];
    if let Some(mut e) = experiment {
        e["metadata"]["name"] = json!(fault);
        docs.push(e);
    }
    let yaml =
        docs.iter().map(|d| serde_yaml::to_string(d).unwrap_or_default()).collect::<Vec<_>>().join("---\n");
    let converted = litmus_import::convert(&yaml)?.into_iter().next().ok_or("nothing converted")?;
    let invalid = chaoscenter_core::validate(&converted.import.workflow).err();
    match (converted.import.workflow.steps.is_empty(), invalid) {
        (true, _) => t.reason = Some(clip(&converted.import.dropped.join("; "))),
        (false, Some(e)) => t.reason = Some(clip(&format!("the converted workflow does not validate: {e}"))),
        (false, None) => {
            t.supported = true;
            t.parameters = converted.parameters;
            let mut wf = converted.import.workflow;
            wf.description = if t.description.is_empty() {
                format!("Litmus fault {fault}")
            } else {
                clip(&t.description).chars().take(1024).collect()
            };
            t.workflow = Some(wf);
        }
    }
    Ok(t)
}

fn experiment_template(
    name: &str,
    content: &[u8],
    csv_content: Option<&[u8]>,
    base: &str,
    revision: Option<&str>,
) -> Result<ChaosTemplateSpec, String> {
    let text_of = std::str::from_utf8(content).map_err(|_| "not UTF-8".to_string())?;
    let (display, description, category) = match csv_content.map(first_doc).transpose()? {
        Some(d) => {
            let (display, description) = csv(&d);
            let category = text(&d["metadata"]["annotations"]["categories"]).map(|c| c.to_ascii_lowercase());
            (display, description, category)
        }
        None => (None, None, None),
    };
    let converted = litmus_import::convert(text_of)?.into_iter().next().ok_or("nothing converted")?;
    let import = converted.import;
    let mut t = ChaosTemplateSpec {
        hub: String::new(),
        name: dns_label(name, "experiment"),
        display_name: display.unwrap_or_else(|| name.to_string()),
        description: clip(&description.unwrap_or_else(|| import.workflow.description.clone())),
        category: category.unwrap_or_else(|| "experiments".into()),
        source: TemplateSource {
            layout: TemplateLayout::LitmusExperiment,
            path: format!("{base}/experiment.yaml"),
            revision: revision.map(str::to_string),
        },
        supported: false,
        reason: None,
        parameters: Vec::new(),
        workflow: None,
    };
    if import.dropped.is_empty() && !import.workflow.steps.is_empty() {
        t.supported = true;
        t.parameters = converted.parameters;
        t.workflow = Some(import.workflow);
    } else {
        t.reason = Some(clip(&format!("not everything converts: {}", import.dropped.join("; "))));
    }
    Ok(t)
}
