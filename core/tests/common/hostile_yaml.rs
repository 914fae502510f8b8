//! The workflow YAML both fuzzers start from and the hostile pieces they splice into it: shared by the
//! validator's property tests (core/tests/properties.rs) and the apiserver's fuzz test (e2e/tests/fuzz.rs).

use serde_json::{json, Value};

/// A valid workflow named `name` using most of the spec (a schedule, two steps with a dependency, http and
/// prom probes, weights), targeting namespace `target`.
pub fn base_workflow(name: &str, target: &str) -> Value {
    json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
        "metadata": {"name": name, "labels": {"team": "fuzz"}},
        "spec": {
            "description": "the fuzzing base", "schedule": "*/30 * * * *", "suspend": true,
            "maxDuration": "10m", "runHistoryLimit": 5,
            "steps": [
                {"name": "kill", "weight": 10,
                 "fault": {"type": "pod-delete", "duration": "30s", "interval": "10s",
                           "target": {"namespace": target, "selector": {"matchLabels": {"app": "web"}}, "mode": "fixed", "value": 1}},
                 "probes": [
                     {"name": "up", "type": "http", "mode": "Continuous", "http": {"url": "http://web.shop.svc/", "expectStatus": 200},
                      "runProperties": {"interval": "2s", "timeout": "1s", "attempts": 1}},
                     {"name": "errors", "type": "prom", "mode": "EOT",
                      "prom": {"endpoint": "http://prometheus.monitoring.svc:9090",
                               "query": "sum(rate(http_requests_total{code=\"500\"}[1m]))",
                               "comparator": {"type": "float", "criteria": "<=", "value": "1"}},
                      "runProperties": {"interval": "5s", "timeout": "2s", "attempts": 2}}]},
                {"name": "scale", "dependsOn": ["kill"],
                 "fault": {"type": "pod-autoscaler", "duration": "20s",
                           "target": {"namespace": target, "kind": "Deployment", "name": "web"}, "params": {"replicas": 1}}}
            ]
        }
    })
}

/// YAML spliced in where a value goes: numbers past every integer type, special floats, tags, an alias to
/// nothing, a timestamp, control characters, and flow nesting.
pub const RAW_YAML: &[&str] = &[
    "1e400",
    "-1e400",
    "99999999999999999999999999",
    "-9223372036854775809",
    "18446744073709551616",
    ".inf",
    "-.inf",
    ".nan",
    "0x7FFFFFFF",
    "0o777",
    "1_000",
    "~",
    "yes",
    "!!binary aGVsbG8=",
    "!custom tagged",
    "*nowhere",
    "2001-12-14t21:59:43.10-05:00",
    "\"\\u0000\\x01\\e\"",
    "'\u{202e}\u{feff}'",
    "[]",
    "{}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
];

/// Flow lists nested `depth` deep.
pub fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// Every path to a value in `value` (object keys and array indexes), the root's (empty) last.
pub fn value_paths(value: &Value) -> Vec<Vec<Value>> {
    fn walk(value: &Value, at: Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                let mut p = at.clone();
                p.push(k.as_str().into());
                walk(v, p, out)
            }),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
                let mut p = at.clone();
                p.push(i.into());
                walk(v, p, out)
            }),
            _ => {}
        }
        out.push(at);
    }
    let mut out = Vec::new();
    walk(value, Vec::new(), &mut out);
    out
}

/// The value under `key` (an object key or array index) of `parent`.
pub fn child<'v>(parent: &'v mut Value, key: &Value) -> &'v mut Value {
    match key {
        Value::String(k) => &mut parent[k.as_str()],
        _ => &mut parent[key.as_u64().unwrap_or(0) as usize],
    }
}

/// Puts `new` under `key` of `parent`, or removes the key (or item) for `None`; an index past the end of
/// a list changes nothing.
pub fn replace(parent: &mut Value, key: &Value, new: Option<Value>) {
    match (key, parent) {
        (Value::String(k), Value::Object(map)) => {
            match new {
                Some(v) => map.insert(k.clone(), v),
                None => map.remove(k),
            };
        }
        (i, Value::Array(items)) => {
            let i = i.as_u64().unwrap_or(0) as usize;
            match new {
                Some(v) if i < items.len() => items[i] = v,
                None if i < items.len() => drop(items.remove(i)),
                _ => {}
            }
        }
        _ => {}
    }
}

/// Raw YAML snippets waiting to be spliced into a document where their markers stand.
#[derive(Default)]
pub struct Splices(Vec<String>);

impl Splices {
    /// A string value that [`Splices::yaml`] replaces by `snippet`.
    pub fn marker(&mut self, snippet: impl Into<String>) -> Value {
        self.0.push(snippet.into());
        Value::String(format!("FZRAW{}X", self.0.len() - 1))
    }

    /// `value` as YAML with every marker replaced by its snippet.
    pub fn yaml(&self, value: &Value) -> String {
        let mut text = serde_yaml::to_string(value).expect("YAML of a JSON value");
        for (i, snippet) in self.0.iter().enumerate().rev() {
            text = text.replace(&format!("FZRAW{i}X"), snippet);
        }
        text
    }
}

/// A billion-laughs document named `name`: `levels` anchors of `width` aliases each to the one before;
/// `tail` ends it and uses the last one, written `{last}` (e.g. `spec: {description: {last}}`).
pub fn alias_bomb(name: &str, levels: usize, width: usize, tail: &str) -> String {
    let mut s =
        format!("apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata: {{name: {name}}}\n");
    s.push_str(&format!("a0: &a0 [{}]\n", vec!["lol"; width].join(",")));
    for l in 1..=levels {
        s.push_str(&format!("a{l}: &a{l} [{}]\n", vec![format!("*a{}", l - 1); width].join(",")));
    }
    s.push_str(&tail.replace("{last}", &format!("*a{levels}")));
    s
}
