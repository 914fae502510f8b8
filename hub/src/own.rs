//! ChaosCenter's own hub layout: `ChaosWorkflow` files whose annotations give the display metadata and
//! the parameters (each naming the field it fills; its default is the workflow's value there).

use crate::litmus_import::documents;
use chaoscenter_crds::template::{ChaosTemplateSpec, TemplateLayout, TemplateParameter, TemplateSource};
use chaoscenter_crds::workflow::ChaosWorkflowSpec;
use serde::Deserialize;
use serde_json::Value;

/// The name to show (default: `metadata.name`).
pub const ANNOTATION_DISPLAY_NAME: &str = "hub.chaoscenter.io/display-name";
/// What the template does (default: `spec.description`).
pub const ANNOTATION_DESCRIPTION: &str = "hub.chaoscenter.io/description";
/// Its category, e.g. `kubernetes`, `network`, `stress` (default: `general`).
pub const ANNOTATION_CATEGORY: &str = "hub.chaoscenter.io/category";
/// A YAML list of `{name, description, field}`: what a user may set before running it.
pub const ANNOTATION_PARAMETERS: &str = "hub.chaoscenter.io/parameters";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParameterText {
    name: String,
    #[serde(default)]
    description: String,
    field: String,
}

/// Reads the ChaosWorkflows of one file into `templates`; a ChaosWorkflow that cannot be read goes to
/// `problems` with the path and why. Files that are not YAML or hold no ChaosWorkflow are not templates.
pub fn read(
    path: &str,
    content: &[u8],
    revision: Option<&str>,
    templates: &mut Vec<ChaosTemplateSpec>,
    problems: &mut Vec<String>,
) {
    let Ok(text) = std::str::from_utf8(content) else { return };
    let docs = match documents(text) {
        Ok(d) => d,
        Err(e) => {
            if text.contains("kind: ChaosWorkflow") {
                problems.push(format!("{path}: {e}"));
            }
            return;
        }
    };
    for doc in docs {
        if doc["kind"].as_str() != Some("ChaosWorkflow") {
            continue;
        }
        match template(&doc, path, revision) {
            Ok(t) => templates.push(t),
            Err(why) => problems.push(format!("{path}: {why}")),
        }
    }
}

fn template(doc: &Value, path: &str, revision: Option<&str>) -> Result<ChaosTemplateSpec, String> {
    let name = doc["metadata"]["name"].as_str().ok_or("metadata.name: required")?.to_string();
    chaoscenter_core::validate::dns_label(&name).map_err(|e| format!("metadata.name: {e}"))?;
    let workflow: ChaosWorkflowSpec =
        serde_json::from_value(doc["spec"].clone()).map_err(|e| format!("spec: {e}"))?;
    chaoscenter_core::validate(&workflow).map_err(|e| e.to_string())?;
    let annotations = &doc["metadata"]["annotations"];
    let get = |key: &str| annotations[key].as_str().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut parameters = Vec::new();
    if let Some(list) = get(ANNOTATION_PARAMETERS) {
        let list: Vec<ParameterText> = serde_yaml::from_str(&list).map_err(|e| {
            format!("annotation {ANNOTATION_PARAMETERS}: not a list of {{name, description, field}}: {e}")
        })?;
        for p in list {
            let default = crate::field_value(&workflow, &p.field).ok_or_else(|| {
                format!(
                    "annotation {ANNOTATION_PARAMETERS}: parameter {}: the workflow has no value at {}",
                    p.name, p.field
                )
            })?;
            parameters.push(TemplateParameter {
                name: p.name,
                description: p.description,
                default: Some(default),
                field: p.field,
            });
        }
    }
    Ok(ChaosTemplateSpec {
        hub: String::new(),
        display_name: get(ANNOTATION_DISPLAY_NAME).unwrap_or_else(|| name.clone()),
        description: get(ANNOTATION_DESCRIPTION).unwrap_or_else(|| workflow.description.clone()),
        category: get(ANNOTATION_CATEGORY).unwrap_or_else(|| "general".into()),
        name,
        source: TemplateSource {
            layout: TemplateLayout::ChaosCenter,
            path: path.to_string(),
            revision: revision.map(str::to_string),
        },
        supported: true,
        reason: None,
        parameters,
        workflow: Some(workflow),
    })
}

#[cfg(test)]
mod tests {
    use crate::{catalogue, Files};

    fn files(list: &[(&str, &str)]) -> Files {
        list.iter().map(|(p, c)| ((*p).to_string(), c.as_bytes().to_vec())).collect()
    }

    const GOOD: &str = r#"
apiVersion: chaoscenter.io/v1alpha1
kind: ChaosWorkflow
metadata:
  name: kill-web
  annotations:
    hub.chaoscenter.io/display-name: Kill a web pod
    hub.chaoscenter.io/category: kubernetes
    hub.chaoscenter.io/parameters: |
      - name: namespace
        description: Where the web pods are.
        field: steps[0].fault.target.namespace
spec:
  description: Deletes one web pod.
  steps:
    - name: kill
      fault:
        type: pod-delete
        target: {namespace: shop, selector: {matchLabels: {app: web}}, mode: one}
"#;

    #[test]
    fn reads_workflows_with_display_metadata_and_reports_broken_ones() {
        let big = format!("kind: ChaosWorkflow\n# {}", "x".repeat(crate::MAX_FILE_BYTES));
        let c = catalogue(
            &files(&[
                ("hub/web/kill.yaml", GOOD),
                ("hub/README.md", "not yaml: ["),
                ("hub/other.yaml", "kind: ConfigMap\nmetadata: {name: x}\n"),
                ("hub/broken.yaml", "kind: ChaosWorkflow\nmetadata: {name: b}\nspec: {steps: []}\n"),
                (
                    "hub/bad-field.yaml",
                    &GOOD.replace("kill-web", "bad-field").replace("target.namespace", "target.nothing"),
                ),
                ("hub/notyaml.yml", "kind: ChaosWorkflow\n  : : ["),
                ("hub/big.yaml", &big),
                ("elsewhere/x.yaml", GOOD),
            ]),
            "hub",
            Some("abc123"),
        );
        assert_eq!(c.templates.len(), 1, "{:?}", c.problems);
        let t = &c.templates[0];
        assert_eq!(
            (t.name.as_str(), t.display_name.as_str(), t.category.as_str()),
            ("kill-web", "Kill a web pod", "kubernetes")
        );
        assert_eq!(t.description, "Deletes one web pod.");
        assert_eq!(t.source.path, "hub/web/kill.yaml");
        assert_eq!(t.source.revision.as_deref(), Some("abc123"));
        assert_eq!(t.parameters[0].default.as_deref(), Some("shop"));
        let problems = c.problems.join("\n");
        for want in [
            "hub/broken.yaml: spec.steps",
            "hub/bad-field.yaml: annotation",
            "hub/notyaml.yml",
            "hub/big.yaml: ",
        ] {
            assert!(problems.contains(want), "{want} in {problems}");
        }
        assert_eq!(c.problems.len(), 4, "{problems}");
    }
}
