//! Label selectors of fault targets: validated once (keys, values, operators), then matched against an
//! object's labels in memory or written as the API's query syntax.

use crate::field::{Errors, Path};
use crate::limits::{MAX_SELECTOR_REQUIREMENTS, MAX_SELECTOR_VALUES};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// One requirement of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// The label is present with one of the values (matchLabels is `In` with one value).
    In(String, Vec<String>),
    /// The label is absent or has none of the values.
    NotIn(String, Vec<String>),
    /// The label is present.
    Exists(String),
    /// The label is absent.
    DoesNotExist(String),
}

/// A validated label selector with at least one requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// Validates `selector`; `None` (with errors recorded at `path`) when it is malformed. A selector
    /// without requirements is `Ok(None)`: it selects nothing in particular.
    pub fn parse(selector: &LabelSelector, path: &Path, errors: &mut Errors) -> Option<Option<Self>> {
        let mut requirements = Vec::new();
        let mut ok = true;
        let labels = path.field("matchLabels");
        for (key, value) in selector.match_labels.iter().flatten() {
            let at = labels.key(key);
            if let Err(message) = label_key(key) {
                errors.add(&at, message);
                ok = false;
            } else if let Err(message) = label_value(value) {
                errors.add(&at, message);
                ok = false;
            } else {
                requirements.push(Requirement::In(key.clone(), alloc::vec![value.clone()]));
            }
        }
        let expressions = path.field("matchExpressions");
        for (i, expr) in selector.match_expressions.iter().flatten().enumerate() {
            let at = expressions.index(i);
            if let Err(message) = label_key(&expr.key) {
                errors.add(&at.field("key"), message);
                ok = false;
                continue;
            }
            let values = expr.values.clone().unwrap_or_default();
            if values.len() > MAX_SELECTOR_VALUES {
                errors.add(&at.field("values"), format!("at most {MAX_SELECTOR_VALUES} values"));
                ok = false;
                continue;
            }
            if let Some((j, message)) =
                values.iter().enumerate().find_map(|(j, v)| label_value(v).err().map(|m| (j, m)))
            {
                errors.add(&at.field("values").index(j), message);
                ok = false;
                continue;
            }
            let key = expr.key.clone();
            let requirement = match expr.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    errors.add(
                        &at.field("values"),
                        format!("operator {} needs at least one value", expr.operator),
                    );
                    ok = false;
                    continue;
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    errors.add(&at.field("values"), format!("operator {} takes no values", expr.operator));
                    ok = false;
                    continue;
                }
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                other => {
                    errors.add(
                        &at.field("operator"),
                        format!("{other:?} is not one of In, NotIn, Exists, DoesNotExist"),
                    );
                    ok = false;
                    continue;
                }
            };
            requirements.push(requirement);
        }
        if requirements.len() > MAX_SELECTOR_REQUIREMENTS {
            errors.add(path, format!("at most {MAX_SELECTOR_REQUIREMENTS} requirements"));
            return None;
        }
        if !ok {
            return None;
        }
        Some((!requirements.is_empty()).then_some(Self { requirements }))
    }

    /// Whether an object with `labels` is selected.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, values) => labels.get(k).is_some_and(|v| values.contains(v)),
            Requirement::NotIn(k, values) => labels.get(k).is_none_or(|v| !values.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        })
    }

    /// The selector in the API's query syntax, e.g. `app=web,tier in (a,b),!canary`.
    pub fn query(&self) -> String {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| match r {
                Requirement::In(k, values) if values.len() == 1 => format!("{k}={}", values[0]),
                Requirement::In(k, values) => format!("{k} in ({})", values.join(",")),
                Requirement::NotIn(k, values) => format!("{k} notin ({})", values.join(",")),
                Requirement::Exists(k) => k.clone(),
                Requirement::DoesNotExist(k) => format!("!{k}"),
            })
            .collect();
        parts.join(",")
    }
}

/// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters.
pub fn label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let valid = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|part| {
                !part.is_empty()
                    && part.len() <= 63
                    && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            });
        if !valid {
            return Err(format!("label key {key:?}: the prefix must be a DNS subdomain such as example.com"));
        }
    }
    if name.is_empty() || label_value(name).is_err() {
        return Err(format!(
            "label key {key:?}: the name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric.
pub fn label_value(value: &str) -> Result<(), String> {
    let bytes = value.as_bytes();
    let valid = value.is_empty()
        || (bytes.len() <= 63
            && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && bytes[0].is_ascii_alphanumeric()
            && bytes[bytes.len() - 1].is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "label value {value:?}: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn parse(selector: LabelSelector) -> (Option<Option<Selector>>, Errors) {
        let mut errors = Errors::default();
        let parsed = Selector::parse(&selector, &Path::root("target.selector"), &mut errors);
        (parsed, errors)
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| String::from(*v)).collect()),
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (String::from(*k), String::from(*v))).collect()
    }

    #[test]
    fn matches_and_queries_like_the_api() {
        let selector = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(alloc::vec![
                expr("tier", "In", &["a", "b"]),
                expr("canary", "DoesNotExist", &[]),
                expr("zone", "NotIn", &["x"]),
                expr("team", "Exists", &[]),
            ]),
        };
        let (parsed, errors) = parse(selector);
        assert!(errors.is_empty(), "{errors:?}");
        let s = parsed.unwrap().unwrap();
        assert_eq!(s.query(), "app=web,tier in (a,b),!canary,zone notin (x),team");
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "b"), ("team", "t")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "c"), ("team", "t")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "a"), ("team", "t"), ("canary", "1")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "a"), ("team", "t"), ("zone", "x")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "a")])));
    }

    #[test]
    fn an_empty_selector_selects_nothing_in_particular() {
        let (parsed, errors) = parse(LabelSelector::default());
        assert!(errors.is_empty());
        assert_eq!(parsed, Some(None));
    }

    #[test]
    fn malformed_selectors_name_the_part() {
        let (parsed, errors) = parse(LabelSelector {
            match_labels: Some(labels(&[("bad key!", "x")])),
            match_expressions: Some(alloc::vec![
                expr("ok", "Foo", &["a"]),
                expr("ok", "In", &[]),
                expr("ok", "Exists", &["a"]),
                expr("ok", "In", &["-bad"]),
            ]),
        });
        assert_eq!(parsed, None);
        let text = alloc::format!("{:?}", errors);
        for part in [
            "target.selector.matchLabels[bad key!]",
            "target.selector.matchExpressions[0].operator",
            "target.selector.matchExpressions[1].values",
            "target.selector.matchExpressions[2].values",
            "target.selector.matchExpressions[3].values[0]",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
    }

    #[test]
    fn label_keys_and_values() {
        assert!(label_key("app").is_ok());
        assert!(label_key("app.kubernetes.io/name").is_ok());
        assert!(label_key("").is_err());
        assert!(label_key("/x").is_err());
        assert!(label_key("Example.com/x").is_err());
        assert!(label_key(&"a".repeat(64)).is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2_x").is_ok());
        assert!(label_value("a b").is_err());
        assert!(label_value("-a").is_err());
    }
}
