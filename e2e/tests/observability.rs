//! The shipped monitoring (config/observability): the Grafana dashboard and the PrometheusRule parse, the
//! rule has its four alerts with their runbooks in docs/operations.md, and every metric their expressions
//! query is in the `/metrics` of the real component that exports it (operator or apiserver, started as
//! the install runs them); and the gauges behind the alerts follow the real thing: a node agent's Lease,
//! and a run whose revert its killed agent cannot carry out, past its deadline until the agent is back.

use chaoscenter_crds::run::RunPhase;
use chaoscenter_e2e::access::with_access;
use chaoscenter_e2e::node::{test_pod, wait_injected, wait_lease, StateDir};
use chaoscenter_e2e::{
    create_run, create_workflow, delete_project, get_run, kubectl, repo_root, sample, scrape, setup_project,
    wait_for, wait_run_finished, with_namespace, NodeAgent, Operator,
};
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const DASHBOARD: &str = "config/observability/chaoscenter-dashboard.json";
const RULE: &str = "config/observability/prometheusrule.yaml";
const DOCS: &str = "docs/operations.md";
/// The alerts the rule must have.
const ALERTS: [&str; 4] = [
    "ChaosCenterRevertFailing",
    "ChaosCenterRunPastDeadline",
    "ChaosCenterNodeAgentDown",
    "ChaosCenterMirrorLagging",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every query of the dashboard: each panel's targets, panels inside rows included.
fn dashboard_exprs(dashboard: &Value) -> Vec<String> {
    fn walk(panels: &Value, out: &mut Vec<String>) {
        for panel in panels.as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr =
                    target["expr"].as_str().unwrap_or_else(|| panic!("a target without expr: {target}"));
                out.push(expr.to_string());
            }
            walk(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

/// The rule's alerts: name, expression and annotations.
fn rule_alerts(rule: &serde_yaml::Value) -> Vec<(String, String, serde_yaml::Value)> {
    let groups = rule["spec"]["groups"].as_sequence().expect("spec.groups");
    groups
        .iter()
        .flat_map(|g| g["rules"].as_sequence().expect("a group's rules").iter())
        .map(|r| {
            let name = r["alert"].as_str().expect("every rule is an alert").to_string();
            let expr = r["expr"].as_str().unwrap_or_else(|| panic!("{name} has no expr")).to_string();
            (name, expr, r["annotations"].clone())
        })
        .collect()
}

/// The metric names `expr` queries: PromQL identifiers starting with `chaoscenter_`, outside string
/// literals (label values). Panics on an unclosed string or unbalanced brackets.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut open = Vec::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => loop {
                match chars.next() {
                    Some('\\') if c != '`' => {
                        chars.next();
                    }
                    Some(end) if end == c => break,
                    Some(_) => {}
                    None => panic!("an unclosed string in {expr:?}"),
                }
            },
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                let wanted = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                assert_eq!(open.pop(), Some(wanted), "unbalanced {c:?} in {expr:?}");
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let mut ident = c.to_string();
                while let Some(&n) = chars.peek() {
                    if !(n.is_ascii_alphanumeric() || n == '_' || n == ':') {
                        break;
                    }
                    ident.push(n);
                    chars.next();
                }
                if ident.starts_with("chaoscenter_") {
                    names.insert(ident);
                }
            }
            // a number, or a duration such as 5m: its letters are no identifier
            c if c.is_ascii_digit() => {
                while chars.peek().is_some_and(|n| n.is_ascii_alphanumeric() || *n == '.') {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "unclosed {open:?} in {expr:?}");
    names
}

/// The families of an OpenMetrics exposition (`# TYPE name type`): name → type.
fn families(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(name, kind)| (name.to_string(), kind.to_string()))
        .collect()
}

/// Whether a query of series `name` finds the family that exports it, by OpenMetrics' sample names: a
/// counter `x` has samples `x_total` (and `x_created`), a histogram `x` has `x_bucket`, `x_sum` and
/// `x_count`, a summary `x` has `x`, `x_sum` and `x_count`, a gauge (or unknown, info as `x_info`)
/// `x` has `x`. A counter or histogram queried by its bare family name finds nothing.
fn exported(name: &str, families: &BTreeMap<String, String>) -> bool {
    let of = |family: &str, kinds: &[&str]| families.get(family).is_some_and(|k| kinds.contains(&k.as_str()));
    let suffixed = |suffix: &str, kinds: &[&str]| name.strip_suffix(suffix).is_some_and(|f| of(f, kinds));
    of(name, &["gauge", "unknown", "summary", "stateset"])
        || suffixed("_total", &["counter"])
        || suffixed("_created", &["counter", "histogram", "summary"])
        || suffixed("_bucket", &["histogram", "gaugehistogram"])
        || suffixed("_count", &["histogram", "summary"])
        || suffixed("_sum", &["histogram", "summary"])
        || suffixed("_gcount", &["gaugehistogram"])
        || suffixed("_gsum", &["gaugehistogram"])
        || suffixed("_info", &["info"])
}

/// The value of `key=` on the first line of `logs` containing `marker`.
fn log_value(logs: &str, marker: &str, key: &str) -> Option<String> {
    let line = logs.lines().find(|l| l.contains(marker))?;
    let start = line.find(&format!("{key}="))? + key.len() + 1;
    Some(line[start..].chars().take_while(|c| !c.is_whitespace() && *c != '"').collect())
}

#[test]
fn names_resolve_by_the_openmetrics_sample_names() {
    let text = "# TYPE chaoscenter_runs counter\n# TYPE chaoscenter_d_seconds histogram\n\
                # TYPE chaoscenter_up gauge\n# EOF\n";
    let f = families(text);
    for (name, found) in [
        ("chaoscenter_runs_total", true),
        ("chaoscenter_runs", false),
        ("chaoscenter_run_total", false),
        ("chaoscenter_runs_count", false),
        ("chaoscenter_d_seconds_bucket", true),
        ("chaoscenter_d_seconds_sum", true),
        ("chaoscenter_d_seconds_count", true),
        ("chaoscenter_d_seconds", false),
        ("chaoscenter_d_seconds_total", false),
        ("chaoscenter_up", true),
        ("chaoscenter_up_total", false),
    ] {
        assert_eq!(exported(name, &f), found, "{name}");
    }
    let names = metric_names(
        r#"sum by (le) (rate(chaoscenter_d_seconds_bucket{job="chaoscenter_not_a_metric"}[5m])) / 1e3 > 0"#,
    );
    assert_eq!(names, ["chaoscenter_d_seconds_bucket".to_string()].into());
}

#[test]
fn the_rule_has_the_four_alerts_each_with_a_runbook_in_the_docs() {
    let rule: serde_yaml::Value = serde_yaml::from_str(&read(RULE)).expect("the PrometheusRule is YAML");
    assert_eq!(rule["apiVersion"].as_str(), Some("monitoring.coreos.com/v1"));
    assert_eq!(rule["kind"].as_str(), Some("PrometheusRule"));
    let alerts = rule_alerts(&rule);
    let names: BTreeSet<&str> = alerts.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ALERTS.into_iter().collect(), "the rule's alerts");
    let docs = read(DOCS);
    for (name, _, annotations) in &alerts {
        for key in ["summary", "description"] {
            assert!(annotations[key].as_str().is_some_and(|s| s.len() > 10), "{name} has no {key}");
        }
        let runbook = format!("{DOCS}#{}", name.to_lowercase());
        assert_eq!(annotations["runbook"].as_str(), Some(runbook.as_str()), "{name}'s runbook");
        assert!(docs.contains(&format!("\n### {name}\n")), "{DOCS} has no section for {name}");
    }
}

#[test]
fn the_kustomization_wraps_the_dashboard_for_grafanas_sidecar() {
    let dashboard: Value = serde_json::from_str(&read(DASHBOARD)).expect("the dashboard is JSON");
    assert!(dashboard_exprs(&dashboard).len() >= 10, "the dashboard's panels query something");
    let out = kubectl().arg("kustomize").arg(repo_root().join("config/observability")).output().unwrap();
    assert!(out.status.success(), "kubectl kustomize: {}", String::from_utf8_lossy(&out.stderr));
    let objects: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_slice(&out.stdout)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let kinds: BTreeSet<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(kinds, ["ConfigMap", "PodMonitor", "PrometheusRule"].into_iter().collect());
    let map = objects.iter().find(|o| o["kind"].as_str() == Some("ConfigMap")).unwrap();
    assert_eq!(map["metadata"]["labels"]["grafana_dashboard"].as_str(), Some("1"));
    let data = map["data"]["chaoscenter-dashboard.json"].as_str().expect("the dashboard in the ConfigMap");
    assert_eq!(serde_json::from_str::<Value>(data).unwrap(), dashboard);
}

#[tokio::test]
async fn every_metric_the_dashboard_and_the_alerts_query_is_exported() {
    let dashboard: Value = serde_json::from_str(&read(DASHBOARD)).expect("the dashboard is JSON");
    let rule: serde_yaml::Value = serde_yaml::from_str(&read(RULE)).expect("the PrometheusRule is YAML");
    let mut queried: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let exprs = dashboard_exprs(&dashboard)
        .into_iter()
        .map(|e| ("the dashboard".to_string(), e))
        .chain(rule_alerts(&rule).into_iter().map(|(name, expr, _)| (format!("alert {name}"), expr)));
    for (place, expr) in exprs {
        for name in metric_names(&expr) {
            queried.entry(name).or_default().push(place.clone());
        }
    }
    // both components, and counters, histograms and gauges, are among them (the scan found the queries)
    for name in [
        "chaoscenter_reverts_total",
        "chaoscenter_reconcile_duration_seconds_bucket",
        "chaoscenter_node_agent_up",
        "chaoscenter_apiserver_mirror_lag_seconds",
        "chaoscenter_apiserver_http_requests_total",
    ] {
        assert!(queried.contains_key(name), "{name} is not queried: {queried:?}");
    }
    with_access("obs-metrics", &[("METRICS_ADDR", "127.0.0.1:0")], |w| async move {
        let operator_addr = wait_for(Duration::from_secs(60), "the operator's metrics address", || async {
            log_value(&w.operator_logs(), "chaoscenter-operator started", "metrics")
        })
        .await;
        let apiserver_addr = w.api.log_value("Prometheus metrics", "metrics").await;
        let operator = families(&scrape(&operator_addr).await);
        let apiserver = families(&scrape(&apiserver_addr).await);
        let mut missing = Vec::new();
        for (name, places) in &queried {
            let (component, exported_there) = match name.starts_with("chaoscenter_apiserver_") {
                true => ("apiserver", &apiserver),
                false => ("operator", &operator),
            };
            if !exported(name, exported_there) {
                missing.push(format!(
                    "{name} (queried by {}) is not in the {component}'s /metrics",
                    places.join(", ")
                ));
            }
        }
        assert!(
            missing.is_empty(),
            "{}\noperator families: {operator:?}\napiserver families: {apiserver:?}",
            missing.join("\n")
        );
        // the docs list every family either exports
        let docs = read(DOCS);
        for family in operator.keys().chain(apiserver.keys()).filter(|f| f.starts_with("chaoscenter_")) {
            assert!(docs.contains(&format!("`{family}")), "{DOCS} does not list {family}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_node_agent_gauge_follows_a_real_agents_lease() {
    with_access("obs-agent", &[], |w| async move {
        let nodes: Api<Node> = Api::all(w.client.clone());
        let node = nodes.list(&ListParams::default()).await.unwrap().items.remove(0).metadata.name.unwrap();
        let dir = StateDir::new(&w.ns);
        let mut agent = NodeAgent::start(&node, &w.ns, &dir.0);
        wait_lease(&w.client, &w.ns, &node).await;
        let addr = wait_for(Duration::from_secs(60), "the operator's metrics address", || async {
            log_value(&w.operator_logs(), "chaoscenter-operator started", "metrics")
        })
        .await;
        let series = |up: u8| format!("chaoscenter_node_agent_up{{node=\"{node}\"}} {up}\n");
        let up = series(1);
        wait_for(Duration::from_secs(90), &format!("{up:?} in the operator's /metrics"), || async {
            scrape(&addr).await.contains(&up).then_some(())
        })
        .await;
        // killed, it renews its Lease no more: down once the Lease's 15 s are over
        agent.kill9();
        let down = series(0);
        wait_for(Duration::from_secs(90), &format!("{down:?} in the operator's /metrics"), || async {
            scrape(&addr).await.contains(&down).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_run_whose_revert_is_not_carried_out_is_counted_past_its_deadline_until_it_is() {
    with_namespace("obs-stuck", &[], |client, ns| async move {
        setup_project(&client, &ns, &[]).await;
        let target = test_pod(&client, &ns, "target").await;
        let dir = StateDir::new(&ns);
        // the 1 MiB fill must not depend on how full the machine's disk is (build caches)
        let fill_anyway = [("DISK_FILL_MAX_USED_PERCENT", "99")];
        let mut agent = NodeAgent::start_with(&target.node, &ns, &dir.0, &fill_anyway);
        let operator = Operator::start(&ns);
        wait_lease(&client, &ns, &target.node).await;
        // a small file for 5 s, in a run that may last 20 s
        let fault = json!({"type": "disk-fill", "duration": "5s", "params": {"size": "1Mi", "path": "/tmp"},
                           "target": {"namespace": ns, "name": "target"}});
        create_workflow(
            &client,
            &ns,
            "fill",
            json!({"maxDuration": "20s", "steps": [{"name": "fill", "fault": fault}]}),
        )
        .await;
        let run = create_run(&client, &ns, "fill", false).await;
        wait_injected(&client, &ns).await;
        // the agent dies with the file in place: nobody removes it, nor says so
        agent.kill9();
        let addr = operator.metrics_addr().await;
        let failing = r#"chaoscenter_targets_revert_failing{fault="disk-fill"}"#;
        wait_for(Duration::from_secs(120), "the run past its deadline and its revert failing", || async {
            let text = scrape(&addr).await;
            let past = sample(&text, "chaoscenter_runs_past_deadline") == Some(1.0);
            (past && sample(&text, failing) == Some(1.0)).then_some(())
        })
        .await;
        let status = get_run(&client, &ns, &run).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Running), "{status:#?}");
        let t = &status.steps[0].targets[0];
        assert!(!t.revert_verified && t.revert_error.is_some(), "{t:#?}");

        // the agent back: it removes the file, the operator sees it and ends the run, nothing is counted
        let mut agent = NodeAgent::start_with(&target.node, &ns, &dir.0, &fill_anyway);
        let status = wait_run_finished(&client, &ns, &run, Duration::from_secs(120)).await.status.unwrap();
        assert_eq!(status.phase, Some(RunPhase::Aborted), "{status:#?}");
        wait_for(Duration::from_secs(60), "nothing past its deadline nor failing", || async {
            let text = scrape(&addr).await;
            let past = sample(&text, "chaoscenter_runs_past_deadline") == Some(0.0);
            (past && sample(&text, failing).is_none()).then_some(())
        })
        .await;
        assert!(agent.stop(), "the agent stops cleanly:\n{}", agent.logs());
        delete_project(&client, &ns).await;
    })
    .await;
}
