//! The step graph: unique names, dependencies that exist, no cycles. Errors name the field.

use crate::field::{Errors, Path};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Checks the graph of `(name, dependsOn)` pairs of `spec.steps`, recording each problem at its field.
/// Returns whether the graph is a valid DAG.
pub fn check(steps: &[(&str, &[String])], path: &Path, errors: &mut Errors) -> bool {
    let mut ok = true;
    let mut first_index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, (name, _)) in steps.iter().enumerate() {
        if let Some(first) = first_index.get(name) {
            errors.add(
                &path.index(i).field("name"),
                format!("duplicate step name {name:?} (also spec.steps[{first}])"),
            );
            ok = false;
        } else {
            first_index.insert(name, i);
        }
    }
    for (i, (name, deps)) in steps.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for (j, dep) in deps.iter().enumerate() {
            let at = path.index(i).field("dependsOn").index(j);
            if dep == name {
                errors.add(&at, "a step cannot depend on itself");
                ok = false;
            } else if !first_index.contains_key(dep.as_str()) {
                errors.add(&at, format!("unknown step {dep:?}"));
                ok = false;
            } else if !seen.insert(dep.as_str()) {
                errors.add(&at, format!("{dep:?} is listed twice"));
                ok = false;
            }
        }
    }
    if !ok {
        return false;
    }
    if let Some(cycle) = find_cycle(steps) {
        let start = first_index.get(cycle[0].as_str()).copied().unwrap_or(0);
        errors.add(&path.index(start).field("dependsOn"), format!("forms a cycle: {}", cycle.join(" -> ")));
        return false;
    }
    true
}

/// A cycle in the graph as step names, first and last the same; `None` when there is none. Iterative,
/// so a long chain cannot exhaust the stack.
fn find_cycle(steps: &[(&str, &[String])]) -> Option<Vec<String>> {
    let deps: BTreeMap<&str, &[String]> = steps.iter().map(|(n, d)| (*n, *d)).collect();
    // 1 = on the current path, 2 = done
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for (root, _) in steps {
        if colour.contains_key(root) {
            continue;
        }
        // (node, index of the next dependency to visit)
        let mut stack: Vec<(&str, usize)> = alloc::vec![(*root, 0)];
        colour.insert(root, 1);
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            let list = deps.get(node).copied().unwrap_or(&[]);
            if let Some(dep) = list.get(*next) {
                *next += 1;
                let dep = dep.as_str();
                match colour.get(dep) {
                    Some(2) => {}
                    Some(_) => {
                        let start = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[start..].iter().map(|(n, _)| String::from(*n)).collect();
                        cycle.push(String::from(dep));
                        return Some(cycle);
                    }
                    None => {
                        colour.insert(dep, 1);
                        stack.push((dep, 0));
                    }
                }
            } else {
                colour.insert(node, 2);
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn graph(steps: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        steps.iter().map(|(n, d)| (n.to_string(), d.iter().map(|s| s.to_string()).collect())).collect()
    }

    fn run(steps: &[(&str, &[&str])]) -> (bool, String) {
        let owned = graph(steps);
        let refs: Vec<(&str, &[String])> = owned.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let mut errors = Errors::default();
        let ok = check(&refs, &Path::root("spec").field("steps"), &mut errors);
        (ok, format!("{errors:?}"))
    }

    #[test]
    fn accepts_a_dag() {
        assert!(run(&[("a", &[]), ("b", &["a"]), ("c", &["a"]), ("d", &["b", "c"])]).0);
    }

    #[test]
    fn unknown_self_and_repeated_dependencies_name_the_entry() {
        let (ok, text) = run(&[("a", &[]), ("b", &["nope"])]);
        assert!(!ok);
        assert!(
            text.contains("spec.steps[1].dependsOn[0]") && text.contains("unknown step \\\"nope\\\""),
            "{text}"
        );
        let (ok, text) = run(&[("a", &["a"])]);
        assert!(!ok && text.contains("cannot depend on itself"), "{text}");
        let (ok, text) = run(&[("a", &[]), ("b", &["a", "a"])]);
        assert!(!ok && text.contains("spec.steps[1].dependsOn[1]"), "{text}");
    }

    #[test]
    fn rejects_cycles_naming_them() {
        let (ok, text) = run(&[("a", &["c"]), ("b", &["a"]), ("c", &["b"]), ("d", &[])]);
        assert!(!ok);
        assert!(text.contains("forms a cycle: "), "{text}");
        assert!(text.contains("a -> c -> b -> a"), "{text}");
    }

    #[test]
    fn rejects_duplicate_names() {
        let (ok, text) = run(&[("a", &[]), ("a", &[])]);
        assert!(!ok && text.contains("spec.steps[1].name") && text.contains("also spec.steps[0]"), "{text}");
    }

    #[test]
    fn a_long_chain_is_fine() {
        let names: Vec<String> = (0..5000).map(|i| format!("s{i}")).collect();
        let owned: Vec<(String, Vec<String>)> = (0..5000)
            .map(|i| (names[i].clone(), if i > 0 { alloc::vec![names[i - 1].clone()] } else { Vec::new() }))
            .collect();
        let refs: Vec<(&str, &[String])> = owned.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let mut errors = Errors::default();
        assert!(check(&refs, &Path::root("spec.steps"), &mut errors));
    }
}
