//! Litmus compatibility on fixtures written from Litmus's documented formats: a chaos-charts hub, an
//! Argo experiment with a pod-delete step and http and cmd probes, an Argo DAG with an unsupported
//! fault, a bare ChaosEngine; and the `chaoscenter import litmus` command.

use chaoscenter_crds::template::TemplateLayout;
use chaoscenter_crds::workflow::{
    Criteria, FaultType, K8sOperation, ProbeMode, ProbeType, TargetKind, TargetMode,
};
use chaoscenter_hub::{catalogue, import_litmus, Files};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).unwrap()
}

/// Every file under `dir`, keyed by its path below `dir` with `prefix` in front.
fn tree(dir: &Path, prefix: &str, out: &mut Files) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if e.file_type().unwrap().is_dir() {
            tree(&e.path(), &format!("{name}/"), out);
        } else {
            out.insert(name, std::fs::read(e.path()).unwrap());
        }
    }
}

#[test]
fn a_chaos_charts_hub_lists_every_fault_supported_or_why_not() {
    let mut files = Files::new();
    tree(&fixtures().join("chaos-charts"), "charts/", &mut files);
    let c = catalogue(&files, "charts", Some("c0ffee"));
    let names: Vec<&str> = c.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ec2-terminate-by-id",
            "gcp-vm-instance-stop",
            "kubelet-service-kill",
            "node-drain",
            "pod-delete",
            "pod-dns-spoof",
            "pod-http-status-code",
            "pod-network-latency",
            "web-pod-delete"
        ]
    );
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    assert!(
        c.problems[0].starts_with("charts/faults/kubernetes/pod-autoscaler: fault.yaml"),
        "{:?}",
        c.problems
    );
    let get = |n: &str| c.templates.iter().find(|t| t.name == n).unwrap();

    for (name, word) in [
        ("ec2-terminate-by-id", "AWS"),
        ("gcp-vm-instance-stop", "Google"),
        ("kubelet-service-kill", "host services"),
    ] {
        let t = get(name);
        assert!(!t.supported && t.workflow.is_none(), "{name}");
        assert!(t.reason.as_deref().unwrap().contains(word), "{name}: {:?}", t.reason);
    }
    for name in [
        "node-drain",
        "pod-delete",
        "pod-dns-spoof",
        "pod-http-status-code",
        "pod-network-latency",
        "web-pod-delete",
    ] {
        let t = get(name);
        assert!(t.supported, "{name}: {:?}", t.reason);
        chaoscenter_core::validate(t.workflow.as_ref().unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(t.source.revision.as_deref(), Some("c0ffee"));
        for p in &t.parameters {
            assert!(p.default.is_some(), "{name}: {} at {}", p.name, p.field);
        }
    }

    // display metadata from the fault's and the category's ChartServiceVersion
    let pd = get("pod-delete");
    assert_eq!(pd.display_name, "Pod Delete");
    assert_eq!(pd.category, "kubernetes");
    assert_eq!(pd.description, "Deletes random pods of an application.");
    assert_eq!(pd.source.layout, TemplateLayout::LitmusFault);
    assert_eq!(pd.source.path, "charts/faults/kubernetes/pod-delete/engine.yaml");
    assert_eq!(get("pod-dns-spoof").display_name, "Pod DNS Spoof");
    // the engine's ENV overrides the ChaosExperiment's defaults; appinfo is the target
    let step = &pd.workflow.as_ref().unwrap().steps[0];
    assert_eq!(step.fault.type_, FaultType::PodDelete);
    assert_eq!((step.fault.duration.as_str(), step.fault.interval.as_deref()), ("30s", Some("10s")));
    assert_eq!(step.fault.params.force, Some(false));
    assert_eq!(step.fault.target.namespace.as_deref(), Some("default"));
    assert_eq!(step.probes[0].type_, ProbeType::Http);
    let param = |t: &chaoscenter_crds::template::ChaosTemplateSpec, n: &str| {
        t.parameters
            .iter()
            .find(|p| p.name == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} in {:?}", t.parameters))
    };
    let d = param(pd, "TOTAL_CHAOS_DURATION");
    assert_eq!((d.field.as_str(), d.default.as_deref()), ("steps[0].fault.duration", Some("30s")));
    assert_eq!(param(pd, "appns").default.as_deref(), Some("default"));

    let lat = get("pod-network-latency").workflow.as_ref().unwrap().steps[0].fault.clone();
    assert_eq!(lat.type_, FaultType::NetworkDelay);
    assert_eq!((lat.params.latency.as_deref(), lat.params.jitter.as_deref()), (Some("300ms"), Some("50ms")));
    assert_eq!(lat.duration, "45s");
    let drain = get("node-drain").workflow.as_ref().unwrap().steps[0].fault.clone();
    assert_eq!(drain.target.name.as_deref(), Some("worker-1"));
    let spoof = get("pod-dns-spoof").workflow.as_ref().unwrap().steps[0].fault.clone();
    assert_eq!(
        spoof.params.dns.unwrap().answers.get("api.example.com").map(String::as_str),
        Some("10.0.0.7")
    );
    let status = get("pod-http-status-code").workflow.as_ref().unwrap().steps[0].fault.clone();
    let http = status.params.http.unwrap();
    assert_eq!((http.port, http.status), (8080, Some(503)));

    let exp = get("web-pod-delete");
    assert_eq!(exp.source.layout, TemplateLayout::LitmusExperiment);
    assert_eq!(exp.display_name, "Web survives pod delete");
}

#[test]
fn an_argo_experiment_with_a_pod_delete_step_and_http_and_cmd_probes_converts_to_a_valid_workflow() {
    let imports = import_litmus(&read("litmus/web-pod-delete.yaml")).unwrap();
    assert_eq!(imports.len(), 1);
    let i = &imports[0];
    assert_eq!(i.name, "web-pod-delete");
    assert!(i.dropped.is_empty(), "{:#?}", i.dropped);
    chaoscenter_core::validate(&i.workflow).unwrap();
    assert_eq!(i.workflow.steps.len(), 1);
    let s = &i.workflow.steps[0];
    assert_eq!(s.name, "pod-delete-7xk");
    assert_eq!(s.weight, 20);
    assert_eq!(s.fault.type_, FaultType::PodDelete);
    // the workflow's arguments are substituted
    assert_eq!(s.fault.target.namespace.as_deref(), Some("demo"));
    let labels = s.fault.target.selector.as_ref().unwrap().match_labels.as_ref().unwrap();
    assert_eq!(labels.get("app").map(String::as_str), Some("web"));
    assert_eq!((s.fault.target.mode, s.fault.target.value), (TargetMode::FixedPercent, Some(50)));
    assert_eq!((s.fault.duration.as_str(), s.fault.interval.as_deref()), ("30s", Some("10s")));
    assert_eq!(s.fault.params.force, Some(false));
    let http = &s.probes[0];
    assert_eq!(
        (http.name.as_str(), http.type_, http.mode),
        ("web-http", ProbeType::Http, ProbeMode::Continuous)
    );
    let h = http.http.as_ref().unwrap();
    assert_eq!((h.url.as_str(), h.expect_status), ("http://web.demo.svc/", Some(200)));
    assert_eq!((http.run_properties.timeout.as_str(), http.run_properties.attempts), ("2s", 3));
    let cmd = &s.probes[1];
    assert_eq!((cmd.type_, cmd.mode), (ProbeType::Cmd, ProbeMode::Edge));
    let c = cmd.cmd.as_ref().unwrap();
    assert_eq!(c.command[..2], ["sh".to_string(), "-c".to_string()]);
    assert!(c.command[2].starts_with("wget -qO- http://web.demo.svc/"));
    assert_eq!(
        (c.image.as_str(), c.comparator.criteria, c.comparator.value.as_str()),
        ("busybox:1.36", Criteria::Equal, "ok")
    );
    assert_eq!(cmd.run_properties.initial_delay.as_deref(), Some("1s"));
    let mapped = i.mapped.join("\n");
    for want in [
        "install-chaos-faults: installs",
        "cleanup-chaos-resources: cleans up",
        "TOTAL_CHAOS_DURATION=30 → duration 30s",
        "weight label 20",
    ] {
        assert!(mapped.contains(want), "{want} in {mapped}");
    }
}

#[test]
fn an_argo_dag_keeps_its_order_and_reports_what_it_drops() {
    let imports = import_litmus(&read("litmus/mixed-dag.yaml")).unwrap();
    let i = &imports[0];
    assert_eq!(i.name, "shop-mixed");
    let steps: Vec<(&str, Vec<&str>)> = i
        .workflow
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.depends_on.iter().map(String::as_str).collect()))
        .collect();
    // kill-containers depended on kill-kubelet, which is dropped: it now follows what that followed
    assert_eq!(
        steps,
        [("kill-pods", vec![]), ("slow-net", vec![]), ("kill-containers", vec!["kill-pods", "slow-net"])]
    );
    chaoscenter_core::validate(&i.workflow).unwrap();
    assert_eq!(i.workflow.steps[0].weight, 5);
    // the installed ChaosExperiment's defaults under the engine's ENV
    let net = &i.workflow.steps[1].fault;
    assert_eq!((net.params.latency.as_deref(), net.duration.as_str()), (Some("250ms"), "60s"));
    let kill = &i.workflow.steps[2].fault;
    assert_eq!(kill.type_, FaultType::ContainerKill);
    assert_eq!(
        (kill.params.container.as_deref(), kill.params.signal.as_deref()),
        (Some("cart"), Some("SIGTERM"))
    );
    let dropped = i.dropped.join("\n");
    for want in [
        "step kill-kubelet: dropped: Litmus fault kubelet-service-kill",
        "step kill-pods: probeRef",
        "step notify: runs image curlimages/curl:8.5.0",
    ] {
        assert!(dropped.contains(want), "{want} in {dropped}");
    }
}

#[test]
fn a_bare_chaos_engine_converts_with_k8s_and_prom_probes_and_reports_the_unsupported_fault() {
    let imports = import_litmus(&read("litmus/engine.yaml")).unwrap();
    let i = &imports[0];
    assert_eq!(i.name, "checkout-chaos");
    assert_eq!(i.workflow.steps.len(), 1);
    let s = &i.workflow.steps[0];
    chaoscenter_core::validate(&i.workflow).unwrap();
    assert_eq!(s.fault.duration, "60s");
    assert_eq!(s.fault.interval.as_deref(), Some("5s"));
    assert_eq!(s.fault.params.force, Some(true));
    assert_eq!(s.fault.target.name.as_deref(), Some("checkout-0"));
    assert_eq!(s.fault.target.mode, TargetMode::All);
    assert_eq!(s.fault.target.kind, None::<TargetKind>);
    let k8s = s.probes[0].k8s.as_ref().unwrap();
    assert_eq!(
        (k8s.api_version.as_str(), k8s.kind.as_str(), k8s.operation),
        ("v1", "Pod", K8sOperation::Present)
    );
    assert_eq!((s.probes[0].run_properties.timeout.as_str(), s.probes[0].run_properties.attempts), ("5s", 3));
    let prom = &s.probes[1];
    assert_eq!((prom.type_, prom.mode), (ProbeType::Prom, ProbeMode::OnChaos));
    assert!(prom.run_properties.stop_on_failure);
    assert_eq!(prom.prom.as_ref().unwrap().comparator.criteria, Criteria::Le);
    let dropped = i.dropped.join("\n");
    assert!(dropped.contains("pod-cpu-hog-exec"), "{dropped}");
    assert!(dropped.contains("RAMP_TIME=10"), "{dropped}");
}

#[test]
fn input_without_an_experiment_or_only_unsupported_faults_is_an_error_saying_why() {
    let e = import_litmus("kind: ConfigMap\nmetadata: {name: x}\n").unwrap_err();
    assert!(e.contains("found ConfigMap"), "{e}");
    assert!(import_litmus("a: [").unwrap_err().contains("not YAML"));
    let e = import_litmus(
        "kind: ChaosEngine\nmetadata: {name: aws}\nspec:\n  experiments:\n    - name: ec2-terminate-by-tag\n",
    )
    .unwrap_err();
    assert!(e.contains("aws: nothing converted") && e.contains("AWS"), "{e}");
}

#[test]
fn a_cron_workflow_keeps_its_schedule() {
    let wf = read("litmus/web-pod-delete.yaml");
    let spec_start = wf.find("spec:\n").unwrap();
    let body: String = wf[spec_start + 6..].lines().map(|l| format!("    {l}\n")).collect();
    let cron = format!(
        "kind: CronWorkflow\napiVersion: argoproj.io/v1alpha1\nmetadata: {{name: nightly}}\nspec:\n  schedule: \"0 2 * * *\"\n  timezone: Europe/Berlin\n  workflowSpec:\n{body}"
    );
    let i = &import_litmus(&cron).unwrap()[0];
    assert_eq!(i.workflow.schedule.as_deref(), Some("0 2 * * *"));
    assert_eq!(i.workflow.time_zone, "Europe/Berlin");
    chaoscenter_core::validate(&i.workflow).unwrap();
}

#[test]
fn the_command_line_prints_workflows_and_the_report() {
    let bin = env!("CARGO_BIN_EXE_chaoscenter");
    let out = std::process::Command::new(bin)
        .args(["import", "litmus"])
        .arg(fixtures().join("litmus/web-pod-delete.yaml"))
        .arg(fixtures().join("litmus/engine.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let docs: Vec<serde_json::Value> = serde_yaml::Deserializer::from_str(&stdout)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    for d in &docs {
        assert_eq!(d["apiVersion"], "chaoscenter.io/v1alpha1");
        assert_eq!(d["kind"], "ChaosWorkflow");
        let spec: chaoscenter_crds::workflow::ChaosWorkflowSpec =
            serde_json::from_value(d["spec"].clone()).unwrap();
        chaoscenter_core::validate(&spec).unwrap();
    }
    assert_eq!(docs[0]["metadata"]["name"], "web-pod-delete");
    assert!(stderr.contains("mapped: step pod-delete-7xk: TOTAL_CHAOS_DURATION=30"), "{stderr}");
    assert!(
        stderr.contains("dropped: step checkout-chaos-pod-cpu-hog-exec")
            || stderr.contains("pod-cpu-hog-exec"),
        "{stderr}"
    );

    // standard input; nothing to convert exits 1
    use std::io::Write;
    let mut child = std::process::Command::new(bin)
        .args(["import", "litmus", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"kind: ConfigMap\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing converted"));
    let usage = std::process::Command::new(bin).arg("import").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn odd_input_never_panics() {
    let engine = |env: &str, extra: &str| {
        format!(
            "kind: ChaosEngine\nmetadata: {{name: \"ÄÖ weird name\"}}\nspec:\n  appinfo: {{appns: 7, applabel: [1], appkind: {{}}}}\n  experiments:\n    - name: pod-delete\n      spec:\n        components:\n          env: [{env}]\n        probe: [{extra}]\n"
        )
    };
    let cases = [
        engine("{name: TOTAL_CHAOS_DURATION, value: '1e300'}, {name: CHAOS_INTERVAL, value: '-5'}", ""),
        engine("{name: PODS_AFFECTED_PERC, value: '9999999999'}, {name: TARGET_PODS, value: ',,,'}", "{name: x, type: httpProbe}"),
        engine("{name: FORCE}", "{type: cmdProbe, cmdProbe/inputs: {command: x, comparator: {criteria: between}}}, 5, [x]"),
        engine("{value: x}", "{name: p, type: promProbe, runProperties: {probeTimeout: 1e300, interval: 'ü', attempt: -1}}"),
        "kind: Workflow\nspec: {entrypoint: a, templates: [{name: a, steps: [[{name: a, template: a}]]}]}".to_string(),
        "kind: Workflow\nspec: {entrypoint: a, templates: [{name: a, dag: {tasks: [{name: b, template: b, depends: '((('}, {name: b, template: b, dependencies: [b]}]}}, {name: b, inputs: {artifacts: [{raw: {data: 'kind: ChaosEngine\nspec: {experiments: [{name: node-taint, spec: {components: {env: [{name: TAINTS, value: ':::'}]}}}]}'}}]}}]}".to_string(),
        "kind: CronWorkflow\nspec: 5".to_string(),
        "- 1\n- 2".to_string(),
        "kind: ChaosEngine".to_string(),
    ];
    for (n, c) in cases.iter().enumerate() {
        let _ = import_litmus(c).map(|imports| {
            for i in imports {
                let _ = chaoscenter_core::validate(&i.workflow);
            }
        });
        let mut files = Files::new();
        files.insert(format!("faults/x/f{n}/engine.yaml"), c.as_bytes().to_vec());
        files.insert(format!("experiments/e{n}/experiment.yaml"), c.as_bytes().to_vec());
        files.insert(format!("own{n}.yaml"), c.as_bytes().to_vec());
        let _ = catalogue(&files, "", None);
    }
}
