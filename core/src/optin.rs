//! Who may be targeted, as the target's owner says: a namespace or node opts in to chaos with the label
//! `chaoscenter.io/chaos=enabled` and names the projects whose runs may hit it in the annotation
//! `chaoscenter.io/chaos-projects` (a comma-separated list of project names, or `*` for every project).
//! Fail closed: without the annotation the label allows no project. A project's own `targetNamespaces`
//! can only narrow this; it is checked by the caller.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use chaoscenter_crds::common::{CHAOS_OPT_IN_LABEL, CHAOS_OPT_IN_VALUE, CHAOS_PROJECTS_ANNOTATION};

/// What a target's owner says about one project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptIn<'a> {
    /// The label is set and the annotation lists the project (or is `*`).
    Allowed,
    /// The label `chaoscenter.io/chaos=enabled` is missing (or has another value).
    NotOptedIn,
    /// The label is set, the annotation is missing.
    NoAnnotation,
    /// The label is set, the annotation (quoted here) does not list the project.
    NotListed(&'a str),
}

/// Whether annotation value `projects` lets project `project` in: one of its comma-separated entries
/// (whitespace around each trimmed) is the project's name or `*`.
pub fn lists(projects: &str, project: &str) -> bool {
    !project.is_empty() && projects.split(',').map(str::trim).any(|p| p == "*" || p == project)
}

/// What an object with `labels` and `annotations` says about `project`.
pub fn check<'a>(
    labels: Option<&BTreeMap<String, String>>,
    annotations: Option<&'a BTreeMap<String, String>>,
    project: &str,
) -> OptIn<'a> {
    if labels.and_then(|l| l.get(CHAOS_OPT_IN_LABEL)).map(String::as_str) != Some(CHAOS_OPT_IN_VALUE) {
        return OptIn::NotOptedIn;
    }
    match annotations.and_then(|a| a.get(CHAOS_PROJECTS_ANNOTATION)) {
        None => OptIn::NoAnnotation,
        Some(projects) if lists(projects, project) => OptIn::Allowed,
        Some(projects) => OptIn::NotListed(projects),
    }
}

impl OptIn<'_> {
    /// Why `what` (e.g. `namespace shop`, `node worker-1`) may not be hit by project `project`'s runs,
    /// naming exactly what is missing; `None` when it may.
    pub fn refusal(&self, what: &str, project: &str) -> Option<String> {
        match self {
            Self::Allowed => None,
            Self::NotOptedIn => Some(format!(
                "{what} has not opted in to chaos (label {CHAOS_OPT_IN_LABEL}={CHAOS_OPT_IN_VALUE})"
            )),
            Self::NoAnnotation => Some(format!(
                "{what} does not allow project {project} (it has no annotation {CHAOS_PROJECTS_ANNOTATION})"
            )),
            Self::NotListed(projects) => Some(format!(
                "{what} does not allow project {project} (annotation {CHAOS_PROJECTS_ANNOTATION} is {projects:?})"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_annotation_lists_names_or_every_project() {
        for (value, allowed) in [
            ("team-a", true),
            ("team-b, team-a", true),
            (" team-a ,team-b", true),
            ("*", true),
            (" * ", true),
            ("team-b", false),
            ("team-ab", false),
            ("team", false),
            ("", false),
            (",", false),
            ("team-b;team-a", false),
        ] {
            assert_eq!(lists(value, "team-a"), allowed, "{value:?}");
        }
        assert!(!lists("", ""), "an empty project name is never listed");
        assert!(!lists("a,,b", ""));
    }

    #[test]
    fn the_label_and_the_annotation_are_both_needed() {
        let on = map(&[(CHAOS_OPT_IN_LABEL, CHAOS_OPT_IN_VALUE)]);
        let off = map(&[(CHAOS_OPT_IN_LABEL, "disabled")]);
        let team_b = map(&[(CHAOS_PROJECTS_ANNOTATION, "team-b")]);
        let both = map(&[(CHAOS_PROJECTS_ANNOTATION, "team-b,team-a")]);
        let none = map(&[]);
        type Map = BTreeMap<String, String>;
        let cases: Vec<(Option<&Map>, Option<&Map>, OptIn)> = alloc::vec![
            (Some(&on), Some(&both), OptIn::Allowed),
            (Some(&on), Some(&team_b), OptIn::NotListed("team-b")),
            (Some(&on), None, OptIn::NoAnnotation),
            (Some(&on), Some(&none), OptIn::NoAnnotation),
            (Some(&off), Some(&both), OptIn::NotOptedIn),
            (None, Some(&both), OptIn::NotOptedIn),
        ];
        for (labels, annotations, expected) in cases {
            assert_eq!(check(labels, annotations, "team-a"), expected, "{labels:?} {annotations:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_object_and_what_is_missing() {
        let said = |o: OptIn| o.refusal("namespace shop", "team-a");
        assert_eq!(said(OptIn::Allowed), None);
        assert_eq!(
            said(OptIn::NotListed("team-b")).unwrap(),
            r#"namespace shop does not allow project team-a (annotation chaoscenter.io/chaos-projects is "team-b")"#
        );
        assert_eq!(
            said(OptIn::NoAnnotation).unwrap(),
            "namespace shop does not allow project team-a (it has no annotation chaoscenter.io/chaos-projects)"
        );
        assert_eq!(
            said(OptIn::NotOptedIn).unwrap(),
            "namespace shop has not opted in to chaos (label chaoscenter.io/chaos=enabled)"
        );
    }
}
