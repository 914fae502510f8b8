//! Validation of a workflow's step graph (unknown dependencies, cycles) and the order steps may start in.

use chaoscenter_crds::workflow::{ChaosWorkflowSpec, Step};
use std::collections::{BTreeMap, BTreeSet};

/// Why a workflow's steps do not form a valid DAG. Messages name the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DagError {
    #[error("spec.steps[{step}].dependsOn: unknown step {missing:?}")]
    UnknownDependency { step: String, missing: String },
    #[error("spec.steps[{step}].dependsOn: a step cannot depend on itself")]
    SelfDependency { step: String },
    #[error("spec.steps: dependsOn forms a cycle: {}", cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("spec.steps: duplicate step name {0:?}")]
    DuplicateStep(String),
}

/// Checks that every dependency names a step of the workflow and that there is no cycle.
pub fn validate(spec: &ChaosWorkflowSpec) -> Result<(), DagError> {
    let mut names = BTreeSet::new();
    for step in &spec.steps {
        if !names.insert(step.name.as_str()) {
            return Err(DagError::DuplicateStep(step.name.clone()));
        }
    }
    for step in &spec.steps {
        for dep in &step.depends_on {
            if dep == &step.name {
                return Err(DagError::SelfDependency { step: step.name.clone() });
            }
            if !names.contains(dep.as_str()) {
                return Err(DagError::UnknownDependency { step: step.name.clone(), missing: dep.clone() });
            }
        }
    }
    let by_name: BTreeMap<&str, &Step> = spec.steps.iter().map(|s| (s.name.as_str(), s)).collect();
    // Depth-first search with colours: 1 = on the current path, 2 = done.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        name: &'a str,
        by_name: &BTreeMap<&'a str, &'a Step>,
        colour: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Result<(), DagError> {
        match colour.get(name) {
            Some(2) => return Ok(()),
            Some(1) => {
                let start = path.iter().position(|n| *n == name).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                cycle.push(name.to_string());
                return Err(DagError::Cycle { cycle });
            }
            _ => {}
        }
        colour.insert(name, 1);
        path.push(name);
        for dep in &by_name[name].depends_on {
            visit(dep.as_str(), by_name, colour, path)?;
        }
        path.pop();
        colour.insert(name, 2);
        Ok(())
    }
    for step in &spec.steps {
        visit(step.name.as_str(), &by_name, &mut colour, &mut Vec::new())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{step, workflow};

    #[test]
    fn accepts_a_dag() {
        let spec =
            workflow(vec![step("a", &[]), step("b", &["a"]), step("c", &["a"]), step("d", &["b", "c"])]);
        assert_eq!(validate(&spec), Ok(()));
    }

    #[test]
    fn rejects_unknown_and_self_dependencies() {
        let spec = workflow(vec![step("a", &[]), step("b", &["nope"])]);
        let err = validate(&spec).unwrap_err();
        assert_eq!(err, DagError::UnknownDependency { step: "b".into(), missing: "nope".into() });
        assert_eq!(err.to_string(), "spec.steps[b].dependsOn: unknown step \"nope\"");
        let spec = workflow(vec![step("a", &["a"])]);
        assert_eq!(validate(&spec), Err(DagError::SelfDependency { step: "a".into() }));
    }

    #[test]
    fn rejects_cycles_naming_them() {
        let spec = workflow(vec![step("a", &["c"]), step("b", &["a"]), step("c", &["b"]), step("d", &[])]);
        let err = validate(&spec).unwrap_err();
        assert!(
            matches!(&err, DagError::Cycle { cycle } if cycle.len() == 4 && cycle.first() == cycle.last()),
            "{err}"
        );
        assert!(err.to_string().starts_with("spec.steps: dependsOn forms a cycle: "), "{err}");
    }

    #[test]
    fn rejects_duplicate_names() {
        let spec = workflow(vec![step("a", &[]), step("a", &[])]);
        assert_eq!(validate(&spec), Err(DagError::DuplicateStep("a".into())));
    }
}
