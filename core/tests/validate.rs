//! The validator on whole definitions: the shipped samples pass, and each kind of bad input is refused
//! with the field's path and the limit in the message.

use chaoscenter_core::plan::{Check, Count, FaultAction, K8sExpect, PodSource};
use chaoscenter_core::validate;
use chaoscenter_crds::workflow::ChaosWorkflowSpec;
use serde_json::{json, Value};
use std::time::Duration;

fn spec(value: Value) -> ChaosWorkflowSpec {
    serde_json::from_value(value).expect("the test spec deserializes")
}

/// A valid one-step workflow to break one field of.
fn base() -> Value {
    json!({
        "maxDuration": "30m",
        "steps": [{
            "name": "kill",
            "fault": {"type": "pod-delete", "duration": "30s",
                      "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}},
            "probes": [{"name": "up", "type": "http", "http": {"url": "http://web.shop/"}}]
        }]
    })
}

/// The error messages for a definition that must be refused.
fn refused(value: Value) -> Vec<String> {
    match validate(&spec(value.clone())) {
        Ok(_) => panic!("accepted: {value:#}"),
        Err(invalid) => {
            assert!(!invalid.errors.is_empty());
            for e in &invalid.errors {
                assert!(e.path.starts_with("spec"), "every error names a field: {e}");
            }
            invalid.errors.iter().map(|e| e.to_string()).collect()
        }
    }
}

fn assert_refused(value: Value, expected: &str) {
    let errors = refused(value);
    assert!(errors.iter().any(|e| e.contains(expected)), "expected {expected:?} in {errors:#?}");
}

fn with(mut value: Value, path: &[&str], new: Value) -> Value {
    let mut at = &mut value;
    for p in &path[..path.len() - 1] {
        at = match p.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[*p],
        };
    }
    let last = path[path.len() - 1];
    match last.parse::<usize>() {
        Ok(i) => at[i] = new,
        Err(_) => at[last] = new,
    }
    value
}

fn fault(path: &str, new: Value) -> Value {
    let mut parts = vec!["steps", "0", "fault"];
    parts.extend(path.split('.'));
    with(base(), &parts, new)
}

#[test]
fn the_shipped_samples_are_valid() {
    for file in ["config/samples/chaosworkflow.yaml", "config/demo/demo.yaml"] {
        let text = std::fs::read_to_string(format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut found = 0;
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(doc).unwrap();
            if value["kind"] == "ChaosWorkflow" {
                let wf = validate(&spec(value["spec"].clone())).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert!(!wf.steps.is_empty());
                found += 1;
            }
        }
        assert!(found > 0, "{file} has a workflow");
    }
}

#[test]
fn a_valid_definition_becomes_typed() {
    let wf = validate(&spec(base())).unwrap();
    assert_eq!(wf.max_duration, Duration::from_secs(1800));
    let step = &wf.steps[0];
    assert_eq!(step.fault.duration, Duration::from_secs(30));
    let FaultAction::PodDelete(pd) = &step.fault.action else { panic!("{:?}", step.fault.action) };
    assert_eq!(pd.target.namespace, "shop");
    assert_eq!(pd.target.count, Count::One);
    assert!(
        matches!(&pd.target.pods, PodSource::Matching { selector: Some(s), name: None } if s.query() == "app=web")
    );
    let probe = &step.probes[0];
    assert_eq!(
        (probe.interval, probe.timeout, probe.attempts),
        (Duration::from_secs(2), Duration::from_secs(1), 1)
    );
    assert!(matches!(&probe.check, Check::Http(h) if h.url == "http://web.shop/"));
}

#[test]
fn the_absurd_duration_is_refused_naming_the_field_and_the_limit() {
    let errors = refused(fault("duration", json!("99999999h")));
    assert_eq!(
        errors,
        vec![r#"spec.steps[0].fault.duration: "99999999h" is more than the run's maxDuration (30m)"#]
    );
}

#[test]
fn durations_are_bounded() {
    assert_refused(
        with(base(), &["maxDuration"], json!("48h")),
        r#"spec.maxDuration: "48h" is more than the limit of 24h"#,
    );
    assert_refused(
        with(base(), &["maxDuration"], json!("0s")),
        "spec.maxDuration: \"0s\" is less than the minimum of 1s",
    );
    assert_refused(
        fault("duration", json!("1.5s")),
        "spec.steps[0].fault.duration: \"1.5s\" is not a duration",
    );
    assert_refused(fault("duration", json!("500ms")), "is less than the minimum of 1s");
    assert_refused(fault("duration", json!("1".repeat(40) + "s")), "at most 32 characters");
    assert_refused(
        fault("interval", json!("40s")),
        "spec.steps[0].fault.interval: \"40s\" is more than the fault's duration (30s)",
    );
    assert_refused(
        fault("interval", json!("0s")),
        "spec.steps[0].fault.interval: \"0s\" is less than the minimum of 1s",
    );
    let long = with(fault("duration", json!("10m")), &["steps", "0", "fault", "interval"], json!("1s"));
    assert_refused(long, "600 injection rounds in 10m; at most 100 (use an interval of at least 6s)");
}

#[test]
fn probe_settings_are_bounded() {
    let rp = |field: &str, v: Value| with(base(), &["steps", "0", "probes", "0", "runProperties", field], v);
    assert_refused(
        rp("timeout", json!("20m")),
        "spec.steps[0].probes[0].runProperties.timeout: \"20m\" is more than the limit of 15m",
    );
    assert_refused(rp("timeout", json!("0s")), "is less than the minimum of 100ms");
    assert_refused(
        rp("interval", json!("100ms")),
        "runProperties.interval: \"100ms\" is less than the minimum of 500ms",
    );
    assert_refused(
        rp("initialDelay", json!("2h")),
        "runProperties.initialDelay: \"2h\" is more than the run's maxDuration (30m)",
    );
    assert_refused(rp("attempts", json!(0)), "runProperties.attempts: 0 is outside 1 to 100");
    let slow = with(
        rp("timeout", json!("10m")),
        &["steps", "0", "probes", "0", "runProperties", "attempts"],
        json!(5),
    );
    assert_refused(
        slow,
        "5 attempts of 10m (plus 500ms between them) take longer than the run's maxDuration (30m)",
    );
}

#[test]
fn targets_need_what_their_mode_and_type_need() {
    assert_refused(
        fault("target.mode", json!("fixed")),
        "spec.steps[0].fault.target.value: required for mode fixed",
    );
    let pct = with(
        fault("target.mode", json!("fixed-percent")),
        &["steps", "0", "fault", "target", "value"],
        json!(150),
    );
    assert_refused(pct, "spec.steps[0].fault.target.value: 150 is not a percentage from 1 to 100");
    assert_refused(fault("target.value", json!(3)), "spec.steps[0].fault.target.value: not used by mode one");
    assert_refused(
        fault("target.selector", json!({})),
        "spec.steps[0].fault.target: the selector has no requirements",
    );
    assert_refused(
        fault("target.selector", Value::Null),
        "spec.steps[0].fault.target: a target needs a selector or a name",
    );
    let bad_op = fault("target.selector", json!({"matchExpressions": [{"key": "app", "operator": "Near"}]}));
    assert_refused(
        bad_op,
        "spec.steps[0].fault.target.selector.matchExpressions[0].operator: \"Near\" is not one of",
    );
    assert_refused(
        fault("target.namespace", Value::Null),
        "spec.steps[0].fault.target.namespace: required for pod-delete",
    );
    assert_refused(
        fault("target.kind", json!("Node")),
        "spec.steps[0].fault.target.kind: pod-delete hits Pods",
    );
    let node =
        json!({"type": "node-cordon", "duration": "30s", "target": {"namespace": "shop", "name": "n1"}});
    assert_refused(
        with(base(), &["steps", "0", "fault"], node),
        "spec.steps[0].fault.target.namespace: not used by node-cordon",
    );
}

#[test]
fn parameters_belong_to_their_fault_type() {
    assert_refused(
        fault("params", json!({"replicas": 2})),
        "spec.steps[0].fault.params.replicas: not used by pod-delete",
    );
    let scale = json!({"type": "pod-autoscaler", "duration": "30s", "target": {"namespace": "shop", "kind": "Deployment", "name": "web"}});
    assert_refused(
        with(base(), &["steps", "0", "fault"], scale.clone()),
        "spec.steps[0].fault.params.replicas: required for pod-autoscaler",
    );
    let mut repeating = scale.clone();
    repeating["params"] = json!({"replicas": 1});
    repeating["interval"] = json!("10s");
    assert_refused(
        with(base(), &["steps", "0", "fault"], repeating),
        "spec.steps[0].fault.interval: pod-autoscaler does not repeat",
    );
    let mut too_many = scale;
    too_many["params"] = json!({"replicas": 20000});
    assert_refused(
        with(base(), &["steps", "0", "fault"], too_many),
        "params.replicas: 20000 is outside 0 to 10000",
    );
    assert_refused(
        fault("params", json!({"force": true, "gracePeriodSeconds": 5})),
        "params.force: force deletes at once",
    );
    let taint = json!({"type": "node-taint", "duration": "30s", "target": {"name": "n1"}, "params": {"taint": {"key": "bad key"}}});
    assert_refused(
        with(base(), &["steps", "0", "fault"], taint),
        "spec.steps[0].fault.params.taint.key: label key \"bad key\"",
    );
}

#[test]
fn probes_carry_exactly_the_settings_of_their_type() {
    let p = |v: Value| with(base(), &["steps", "0", "probes", "0"], v);
    assert_refused(
        p(json!({"name": "up", "type": "cmd"})),
        "spec.steps[0].probes[0].cmd: missing for a probe of type cmd",
    );
    assert_refused(
        p(
            json!({"name": "up", "type": "http", "http": {"url": "http://x/"}, "k8s": {"apiVersion": "v1", "kind": "Pod", "operation": "present"}}),
        ),
        "spec.steps[0].probes[0].k8s: set, but the probe's type is http",
    );
    assert_refused(
        p(json!({"name": "up", "type": "http", "http": {"url": "ftp://x/"}})),
        "probes[0].http.url: \"ftp://x/\" is not an http or https URL",
    );
    assert_refused(
        p(json!({"name": "up", "type": "http", "http": {"url": "http://x/", "body": "a"}})),
        "probes[0].http.body: GET sends no body",
    );
    assert_refused(
        p(
            json!({"name": "up", "type": "k8s", "k8s": {"apiVersion": "v1", "kind": "Pod", "operation": "count"}}),
        ),
        "probes[0].k8s.count: required by operation count",
    );
    assert_refused(
        p(
            json!({"name": "up", "type": "prom", "prom": {"endpoint": "http://p", "query": "up", "comparator": {"type": "string", "criteria": ">", "value": "1"}}}),
        ),
        "probes[0].prom.comparator.criteria: criteria > compares numbers",
    );
    assert_refused(
        p(
            json!({"name": "up", "type": "cmd", "cmd": {"command": [" "], "image": "busybox", "comparator": {"criteria": "==", "value": "x"}}}),
        ),
        "probes[0].cmd.command: must name the program to run",
    );
    assert_refused(
        p(
            json!({"name": "up", "type": "cmd", "cmd": {"command": ["true"], "image": "busybox", "comparator": {"criteria": "==", "value": "x"}}}),
        ),
        "probes[0].cmd.comparator.value: value \"x\" is not a float",
    );
    let k8s = validate(&spec(p(json!({"name": "up", "type": "k8s",
        "k8s": {"apiVersion": "apps/v1", "kind": "Deployment", "operation": "count", "count": 2}}))))
    .unwrap();
    assert!(matches!(&k8s.steps[0].probes[0].check, Check::K8s(k) if k.expect == K8sExpect::Count(2)));
}

#[test]
fn http_probes_read_or_ask_with_a_small_body() {
    let p = |http: Value| {
        with(base(), &["steps", "0", "probes", "0"], json!({"name": "up", "type": "http", "http": http}))
    };
    for method in ["PUT", "DELETE", "PATCH"] {
        assert_refused(
            p(json!({"url": "http://x/", "method": method})),
            &format!("spec.steps[0].probes[0].http.method: {method} is not allowed: a probe reads with GET or HEAD, or asks with POST"),
        );
    }
    let post =
        validate(&spec(p(json!({"url": "http://x/", "method": "POST", "body": "{\"q\":1}"})))).unwrap();
    assert!(
        matches!(&post.steps[0].probes[0].check, Check::Http(h) if h.body.as_deref() == Some("{\"q\":1}"))
    );
    validate(&spec(p(json!({"url": "http://x/", "method": "HEAD"})))).unwrap();
    assert_refused(
        p(json!({"url": "http://x/", "method": "POST", "body": "x".repeat(4097)})),
        "spec.steps[0].probes[0].http.body: at most 4096 bytes",
    );
    validate(&spec(p(json!({"url": "http://x/", "method": "POST", "body": "x".repeat(4096)})))).unwrap();
    assert_refused(
        p(json!({"url": "http://x/", "method": "HEAD", "body": "a"})),
        "http.body: HEAD sends no body; use POST",
    );
}

#[test]
fn a_prom_endpoint_is_a_base_url() {
    let p = |endpoint: &str| {
        with(
            base(),
            &["steps", "0", "probes", "0"],
            json!({"name": "up", "type": "prom",
            "prom": {"endpoint": endpoint, "query": "up", "comparator": {"criteria": ">=", "value": "1"}}}),
        )
    };
    let at = "spec.steps[0].probes[0].prom.endpoint: ";
    for (endpoint, expected) in [
        ("http://prom:9090/?", "has a query (?); use a base URL such as http://prometheus.monitoring:9090"),
        ("http://prom:9090/api?x=1", "has a query (?)"),
        ("http://prom:9090#", "has a fragment (#)"),
        ("http://prom:9090/#/x", "has a fragment (#)"),
        ("file:///etc/passwd", "is not an http or https URL"),
        ("gopher://prom:70/", "is not an http or https URL"),
        ("prom:9090", "is not an http or https URL"),
    ] {
        assert_refused(p(endpoint), &format!("{at}{endpoint:?} {expected}"));
    }
    for endpoint in ["http://admin:hunter2@prom:9090", "http://admin@prom:9090/"] {
        let errors = refused(p(endpoint));
        assert!(errors.iter().any(|e| e.starts_with(&format!("{at}has a user or password"))), "{errors:#?}");
        assert!(
            errors.iter().all(|e| !e.contains("admin") && !e.contains("hunter2")),
            "no credentials echoed: {errors:#?}"
        );
    }
    for endpoint in
        ["http://prom:9090", "https://prom.monitoring.svc:9090/prometheus/", "http://[fd00::1]:9090/"]
    {
        let w = validate(&spec(p(endpoint))).unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        assert!(matches!(&w.steps[0].probes[0].check, Check::Prom(q) if q.endpoint == endpoint));
    }
}

#[test]
fn cmd_probe_resources_have_defaults_and_bounds() {
    let p = |resources: Option<Value>| {
        let mut cmd = json!({"command": ["true"], "image": "busybox", "comparator": {"type": "string", "criteria": "equal", "value": ""}});
        if let Some(r) = resources {
            cmd["resources"] = r;
        }
        with(base(), &["steps", "0", "probes", "0"], json!({"name": "up", "type": "cmd", "cmd": cmd}))
    };
    let limits = |v: Value| match validate(&spec(v)).unwrap().steps[0].probes[0].check.clone() {
        Check::Cmd(c) => (c.cpu_millis, c.memory_bytes),
        other => panic!("{other:?}"),
    };
    const MI: u64 = 1024 * 1024;
    assert_eq!(limits(p(None)), (100, 64 * MI));
    assert_eq!(limits(p(Some(json!({})))), (100, 64 * MI));
    assert_eq!(limits(p(Some(json!({"cpu": "250m", "memory": "128Mi"})))), (250, 128 * MI));
    assert_eq!(limits(p(Some(json!({"cpu": "0.5"})))), (500, 64 * MI));
    assert_eq!(limits(p(Some(json!({"cpu": "1", "memory": "512Mi"})))), (1000, 512 * MI));
    assert_eq!(limits(p(Some(json!({"cpu": "10m", "memory": "16Mi"})))), (10, 16 * MI));
    assert_eq!(limits(p(Some(json!({"memory": "100M"})))), (100, 100_000_000));
    let at = "spec.steps[0].probes[0].cmd.resources.";
    for (cpu, expected) in [
        ("2", "is outside 10m to 1"),
        ("5m", "is outside 10m to 1"),
        ("0.0001", "is not a CPU quantity such as 250m or 0.5 (10m to 1)"),
        ("lots", "is not a CPU quantity"),
        ("-1", "is not a CPU quantity"),
        ("1.", "is not a CPU quantity"),
        (".5", "is not a CPU quantity"),
        ("99999999999999999999999m", "is not a CPU quantity"),
    ] {
        assert_refused(p(Some(json!({"cpu": cpu}))), &format!("{at}cpu: {cpu:?} {expected}"));
    }
    for (memory, expected) in [
        ("1Gi", "is outside 16Mi to 512Mi"),
        ("1Mi", "is outside 16Mi to 512Mi"),
        ("0.5Gi", "is not a memory quantity such as 128Mi (16Mi to 512Mi)"),
        ("64MB", "is not a memory quantity"),
        ("999999999999999999Gi", "is outside 16Mi to 512Mi"),
    ] {
        assert_refused(p(Some(json!({"memory": memory}))), &format!("{at}memory: {memory:?} {expected}"));
    }
    assert_refused(p(Some(json!({"cpu": "1".repeat(33)}))), &format!("{at}cpu: at most 32 characters"));
}

#[test]
fn the_graph_and_names_are_checked_and_every_error_is_reported() {
    let two = json!({"steps": [
        {"name": "a", "dependsOn": ["b"], "fault": base()["steps"][0]["fault"]},
        {"name": "b", "dependsOn": ["a"], "fault": base()["steps"][0]["fault"]}
    ]});
    assert_refused(two, "spec.steps[0].dependsOn: forms a cycle: a -> b -> a");
    assert_refused(
        with(base(), &["steps", "0", "dependsOn"], json!(["ghost"])),
        "spec.steps[0].dependsOn[0]: unknown step \"ghost\"",
    );
    assert_refused(
        with(base(), &["steps", "0", "name"], json!("Bad_Name")),
        "spec.steps[0].name: \"Bad_Name\" is not a DNS label",
    );
    assert_refused(json!({"steps": []}), "spec.steps: a workflow needs at least one step");
    let many = json!({"steps": (0..101).map(|i| { let mut s = base()["steps"][0].clone(); s["name"] = json!(format!("s{i}")); s }).collect::<Vec<_>>()});
    assert_refused(many, "spec.steps: 101 steps; at most 100");
    // several problems at once are all reported
    let mut bad = fault("duration", json!("2h"));
    bad["steps"][0]["weight"] = json!(5000);
    bad["steps"][0]["probes"][0]["runProperties"] = json!({"attempts": 500});
    let errors = refused(bad);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert_refused(
        with(base(), &["schedule"], json!("61 * * * *")),
        "spec.schedule: \"61 * * * *\" is not a cron expression",
    );
    assert_refused(
        with(base(), &["timeZone"], json!("Mars/Olympus")),
        "spec.timeZone: \"Mars/Olympus\" is not a known IANA time zone",
    );
    assert_refused(
        with(base(), &["startingDeadlineSeconds"], json!(0)),
        "spec.startingDeadlineSeconds: 0 is outside 1 to 604800",
    );
}

/// `base()` with its fault replaced by `fault`.
fn with_fault(fault: Value) -> Value {
    with(base(), &["steps", "0", "fault"], fault)
}

fn network(type_: &str, params: Value) -> Value {
    with_fault(json!({"type": type_, "duration": "30s",
        "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}, "mode": "one"},
        "params": params}))
}

#[test]
fn network_faults_become_agent_actions_with_bounded_parameters() {
    use chaoscenter_core::plan::{NetworkEffect, Protocol};
    let typed = |v: Value| validate(&spec(v)).unwrap_or_else(|e| panic!("{e}")).steps[0].fault.action.clone();
    let FaultAction::Network(delay) = typed(network(
        "network-delay",
        json!({"latency": "100ms", "jitter": "10ms", "destinations": {"cidrs": ["10.1.2.3", "10.0.0.0/8"], "ports": [80], "protocol": "tcp"}}),
    )) else {
        panic!("network-delay is an agent fault")
    };
    assert_eq!(
        delay.effect,
        NetworkEffect::Delay {
            latency: Duration::from_millis(100),
            jitter: Duration::from_millis(10),
            correlation: 0.0
        }
    );
    assert_eq!(delay.destinations.cidrs, vec!["10.1.2.3/32", "10.0.0.0/8"]);
    assert_eq!(
        (delay.destinations.ports.as_slice(), delay.destinations.protocol),
        (&[80u16][..], Some(Protocol::Tcp))
    );
    let FaultAction::Network(rate) = typed(network("network-rate", json!({"rate": "1mbit"}))) else {
        panic!()
    };
    assert_eq!(rate.effect, NetworkEffect::Rate { bits_per_second: 1_000_000 });
    // a partition is the agent's unless the NetworkPolicy is asked for
    assert!(matches!(typed(network("network-partition", json!({}))), FaultAction::Network(_)));
    assert!(matches!(
        typed(network("network-partition", json!({"mechanism": "network-policy"}))),
        FaultAction::NetworkPartition(_)
    ));

    assert_refused(network("network-delay", json!({})), "spec.steps[0].fault.params.latency: required");
    assert_refused(network("network-delay", json!({"latency": "11s"})), "more than the limit of 10s");
    assert_refused(
        network("network-delay", json!({"latency": "10ms", "jitter": "20ms"})),
        "more than the latency",
    );
    assert_refused(network("network-loss", json!({})), "params.percent: required for network-loss");
    assert_refused(network("network-loss", json!({"percent": 0})), "not a percentage above 0");
    assert_refused(network("network-loss", json!({"percent": 101})), "not a percentage above 0");
    assert_refused(
        network("network-duplicate", json!({"percent": 5, "correlation": 5})),
        "params.correlation: not used by network-duplicate",
    );
    assert_refused(network("network-rate", json!({"rate": "1kbit"})), "outside 8kbit to 100gbit");
    assert_refused(network("network-rate", json!({"rate": "fast"})), "not a bandwidth");
    assert_refused(
        network("network-rate", json!({"rate": "1mbit", "destinations": {"ports": [80]}})),
        "not used by network-rate",
    );
    assert_refused(
        network("network-loss", json!({"percent": 5, "destinations": {"cidrs": ["10.0.0.0/33"]}})),
        "cidrs[0]",
    );
    assert_refused(
        network("network-loss", json!({"percent": 5, "destinations": {"ports": [0]}})),
        "not a port from 1 to 65535",
    );
    assert_refused(
        network("network-loss", json!({"percent": 5, "destinations": {"protocol": "icmp", "ports": [80]}})),
        "icmp has no ports",
    );
    assert_refused(network("network-loss", json!({"percent": 5, "destinations": {}})), "names no peer");
    assert_refused(
        network("network-partition", json!({"mechanism": "network-policy", "destinations": {"ports": [80]}})),
        "not used by mechanism network-policy",
    );
    assert_refused(
        network("pod-delete", json!({"latency": "10ms"})),
        "params.latency: not used by pod-delete",
    );
}

fn node_fault_step(type_: &str, params: Value) -> Value {
    with_fault(json!({"type": type_, "duration": "30s",
        "target": {"kind": "Node", "selector": {"matchLabels": {"chaos": "yes"}}, "mode": "one"},
        "params": params}))
}

#[test]
fn agent_faults_in_pods_and_on_nodes_carry_exactly_their_bounded_parameters() {
    use chaoscenter_crds::injection::{DnsErrorCode, HttpDirection, HttpMatch, NodeFault};
    let typed = |v: Value| validate(&spec(v)).unwrap_or_else(|e| panic!("{e}")).steps[0].fault.action.clone();
    let in_pod = |v: Value| match typed(v) {
        FaultAction::PodAgent(f) => (f.fault, f.fill_percent),
        other => panic!("not a pod agent fault: {other:?}"),
    };
    assert_eq!(
        in_pod(network("container-kill", json!({}))).0,
        NodeFault::ContainerKill { container: None, signal: "SIGKILL".into() }
    );
    assert_eq!(
        in_pod(network("pod-cpu-stress", json!({"container": "app", "cores": 2, "load": 50}))).0,
        NodeFault::PodCpuStress { container: Some("app".into()), cores: 2, load: 50 }
    );
    assert_eq!(
        in_pod(network("pod-memory-stress", json!({"size": "64Mi"}))).0,
        NodeFault::PodMemoryStress {
            container: None,
            bytes: Some(64 << 20),
            percent: None,
            allow_oom: false
        }
    );
    assert_eq!(
        in_pod(network("pod-io-stress", json!({"workers": 2, "path": "/data"}))).0,
        NodeFault::PodIoStress { container: None, workers: 2, bytes: 64 << 20, path: "/data".into() }
    );
    assert_eq!(
        in_pod(network("disk-fill", json!({"percent": 80}))),
        (NodeFault::DiskFill { container: None, bytes: 0, path: "/".into() }, Some(80.0))
    );
    assert_eq!(
        in_pod(network("dns-error", json!({"dns": {"names": ["*.Example.com"], "error": "SERVFAIL"}}))).0,
        NodeFault::DnsError { names: vec!["*.example.com".into()], error: DnsErrorCode::Servfail }
    );
    assert_eq!(
        in_pod(network("http-latency", json!({"latency": "200ms", "http": {"port": 8080, "path": "/api"}})))
            .0,
        NodeFault::HttpLatency {
            http: HttpMatch {
                port: 8080,
                direction: HttpDirection::Inbound,
                method: None,
                path_prefix: Some("/api".into())
            },
            latency_ms: 200
        }
    );
    let FaultAction::NodeAgent(node) = typed(node_fault_step("node-cpu-stress", json!({"cores": 1}))) else {
        panic!("node-cpu-stress is a node fault")
    };
    assert_eq!(node.fault, NodeFault::NodeCpuStress { cores: 1, load: 100 });

    let p = "spec.steps[0].fault.params";
    assert_refused(network("container-kill", json!({"signal": "SIGSEGV"})), "is not one of SIGKILL");
    assert_refused(
        network("pod-cpu-stress", json!({"cores": 65})),
        &format!("{p}.cores: 65 is outside 1 to 64"),
    );
    assert_refused(network("pod-cpu-stress", json!({"load": 0})), "load: 0 is outside 1 to 100");
    assert_refused(network("pod-memory-stress", json!({})), "params.size: required for pod-memory-stress");
    assert_refused(
        network("pod-memory-stress", json!({"size": "1Mi", "percent": 5})),
        "size or percent, not both",
    );
    assert_refused(network("pod-memory-stress", json!({"size": "100Gi"})), "outside 1Mi to 64Gi");
    assert_refused(network("pod-memory-stress", json!({"percent": 150})), "not a percentage");
    assert_refused(network("pod-io-stress", json!({"workers": 17})), "17 is outside 1 to 16");
    assert_refused(network("disk-fill", json!({"size": "64Mi", "path": "/../etc"})), "params.path");
    assert_refused(network("disk-fill", json!({"size": "64Mi", "path": "tmp"})), "absolute path");
    assert_refused(network("dns-error", json!({})), "params.dns: required for dns-error");
    assert_refused(network("dns-error", json!({"dns": {"names": ["a b"]}})), "dns.names[0]");
    assert_refused(
        network("dns-spoof", json!({"dns": {"answers": {"web.test": "::1"}}})),
        "not an IPv4 address",
    );
    assert_refused(
        network("dns-spoof", json!({"dns": {"names": ["x.test"], "answers": {"a.test": "1.2.3.4"}}})),
        "dns.names: not used by dns-spoof",
    );
    assert_refused(network("http-abort", json!({"http": {"port": 0}})), "http.port: 0 is outside 1 to 65535");
    assert_refused(
        network("http-status", json!({"http": {"port": 80}})),
        "http.status: required for http-status",
    );
    assert_refused(
        network("http-status", json!({"http": {"port": 80, "status": 700}})),
        "700 is outside 100 to 599",
    );
    assert_refused(
        network("http-latency", json!({"http": {"port": 80}})),
        "params.latency: required for http-latency",
    );
    assert_refused(
        network("http-latency", json!({"latency": "61s", "http": {"port": 80}})),
        "more than the limit of 1m",
    );
    assert_refused(network("http-modify", json!({"http": {"port": 80}})), "needs body or headers");
    assert_refused(
        network("http-abort", json!({"http": {"port": 80, "status": 500}})),
        "http.status: not used by http-abort",
    );
    assert_refused(
        network("http-modify", json!({"http": {"port": 80, "headers": {"bad name": "x"}}})),
        "not a header name",
    );
    assert_refused(network("http-abort", json!({"http": {"port": 80, "method": "get"}})), "upper case");
    assert_refused(network("pod-delete", json!({"cores": 1})), "params.cores: not used by pod-delete");
    assert_refused(network("node-cpu-stress", json!({})), "nodes have no namespace");
    assert_refused(node_fault_step("pod-cpu-stress", json!({})), "not Nodes");
}
