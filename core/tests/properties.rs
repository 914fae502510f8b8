//! Property tests: arbitrary workflow specs (huge, negative, empty, unicode, deep or cyclic graphs)
//! through the validator, and arbitrary run states through decide(): never a panic, every refusal names
//! a field, and the engine's safety rules hold whatever the input.

#[path = "common/hostile_yaml.rs"]
mod hostile_yaml;

use chaoscenter_core::decide::{decide, Action, Observed, RunInput, Task, Withdrawal};
use chaoscenter_core::validate;
use chaoscenter_crds::injection::{DnsErrorCode, HttpDirection};
use chaoscenter_crds::run::{
    ChaosWorkflowRunStatus, ProbeStatus, RunPhase, StepStatus, TargetStatus, Verdict,
};
use chaoscenter_crds::workflow::*;
use hostile_yaml::{alias_bomb, base_workflow, child, nested, replace, value_paths, Splices, RAW_YAML};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z][a-z0-9-]{0,8}",
        "\\PC{0,80}",
        Just("é-ü/☃".to_string()),
        Just("x".repeat(300)),
    ]
}

fn duration_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,3}(ms|s|m|h)",
        "([0-9]{1,2}(h|m|s)){1,3}",
        Just("99999999h".to_string()),
        Just("18446744073709551615ms".to_string()),
        Just("5124095576030431h".to_string()),
        Just("0s".into()),
        Just("-1s".into()),
        Just("1.5s".into()),
        Just("".into()),
        "\\PC{0,40}",
    ]
}

fn opt<T: std::fmt::Debug + Clone>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    prop_oneof![Just(None), s.prop_map(Some)]
}

fn selector() -> impl Strategy<Value = LabelSelector> {
    (
        opt(proptest::collection::btree_map(text(), text(), 0..3)),
        opt(proptest::collection::vec(
            (
                text(),
                prop_oneof![Just("In"), Just("NotIn"), Just("Exists"), Just("DoesNotExist"), Just("Nope")],
                opt(proptest::collection::vec(text(), 0..3)),
            ),
            0..3,
        )),
    )
        .prop_map(|(labels, exprs)| LabelSelector {
            match_labels: labels,
            match_expressions: exprs.map(|e| {
                e.into_iter()
                    .map(|(key, op, values)| LabelSelectorRequirement {
                        key,
                        operator: op.to_string(),
                        values,
                    })
                    .collect()
            }),
        })
}

fn destinations() -> BoxedStrategy<Destinations> {
    (
        proptest::collection::vec(text(), 0..70),
        proptest::collection::vec(text(), 0..20),
        opt((opt(text()), selector()).prop_map(|(namespace, selector)| PeerPods { namespace, selector })),
        proptest::collection::vec(any::<u32>(), 0..40),
        opt(prop_oneof![
            Just(chaoscenter_crds::injection::Protocol::Tcp),
            Just(chaoscenter_crds::injection::Protocol::Icmp)
        ]),
    )
        .prop_map(|(cidrs, hosts, pods, ports, protocol)| Destinations {
            cidrs,
            hosts,
            pods,
            ports,
            protocol,
        })
        .boxed()
}

fn fault() -> impl Strategy<Value = Fault> {
    let types = prop_oneof![
        Just(FaultType::PodDelete),
        Just(FaultType::PodAutoscaler),
        Just(FaultType::NodeCordon),
        Just(FaultType::NodeTaint),
        Just(FaultType::NodeDrain),
        Just(FaultType::NetworkPartition),
        Just(FaultType::NetworkDelay),
        Just(FaultType::NetworkLoss),
        Just(FaultType::NetworkDuplicate),
        Just(FaultType::NetworkCorrupt),
        Just(FaultType::NetworkRate),
        Just(FaultType::ContainerKill),
        Just(FaultType::PodCpuStress),
        Just(FaultType::PodMemoryStress),
        Just(FaultType::PodIoStress),
        Just(FaultType::DiskFill),
        Just(FaultType::DnsError),
        Just(FaultType::DnsSpoof),
        Just(FaultType::HttpLatency),
        Just(FaultType::HttpAbort),
        Just(FaultType::HttpStatus),
        Just(FaultType::HttpModify),
        Just(FaultType::NodeCpuStress),
        Just(FaultType::NodeMemoryStress),
    ];
    let kinds = opt(prop_oneof![
        Just(TargetKind::Pod),
        Just(TargetKind::Deployment),
        Just(TargetKind::StatefulSet),
        Just(TargetKind::Node)
    ]);
    let modes = prop_oneof![
        Just(TargetMode::All),
        Just(TargetMode::One),
        Just(TargetMode::Fixed),
        Just(TargetMode::FixedPercent),
        Just(TargetMode::RandomMaxPercent)
    ];
    let target = (opt(text()), kinds, opt(text()), opt(selector()), modes, opt(any::<u32>())).prop_map(
        |(namespace, kind, name, selector, mode, value)| Target {
            namespace,
            kind,
            name,
            selector,
            mode,
            value,
        },
    );
    let params = (
        opt(any::<i64>()),
        opt(any::<bool>()),
        opt(any::<i32>()),
        opt((text(), text()).prop_map(|(key, value)| TaintParams {
            key,
            value,
            effect: TaintEffect::NoSchedule,
        })),
        opt(Just(PartitionDirection::Both)),
        opt(prop_oneof![Just(PartitionMechanism::Agent), Just(PartitionMechanism::NetworkPolicy)]),
        (opt(duration_text()), opt(duration_text()), opt(any::<f64>()), opt(any::<f64>()), opt(text()))
            .boxed(),
        opt(destinations()),
        agent_params(),
    )
        .prop_map(
            |(
                grace_period_seconds,
                force,
                replicas,
                taint,
                direction,
                mechanism,
                (latency, jitter, correlation, percent, rate),
                destinations,
                (container, signal, cores, load, size, allow_oom, workers, path, dns, http),
            )| FaultParams {
                grace_period_seconds,
                force,
                replicas,
                taint,
                direction,
                mechanism,
                latency,
                jitter,
                correlation,
                percent,
                rate,
                destinations,
                container,
                signal,
                cores,
                load,
                size,
                allow_oom,
                workers,
                path,
                dns,
                http,
            },
        )
        .boxed();
    (types, target, duration_text(), opt(duration_text()), params).prop_map(
        |(type_, target, duration, interval, params)| Fault { type_, target, duration, interval, params },
    )
}

/// The parameters of the node agent's container, stress, disk, DNS and HTTP faults.
#[allow(clippy::type_complexity)]
fn agent_params() -> BoxedStrategy<(
    Option<String>,
    Option<String>,
    Option<u32>,
    Option<u32>,
    Option<String>,
    Option<bool>,
    Option<u32>,
    Option<String>,
    Option<DnsParams>,
    Option<HttpParams>,
)> {
    let sizes = prop_oneof![text(), "[0-9]{1,14}(Ki|Mi|Gi|k|M|G|)", Just("64Mi".to_string())];
    let dns = (
        prop::collection::vec(text(), 0..4),
        prop::collection::btree_map(text(), text(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(names, answers, servfail)| DnsParams {
            names,
            error: servfail.then_some(DnsErrorCode::Servfail),
            answers,
        });
    let http = (
        any::<u32>(),
        opt(text()),
        opt(text()),
        opt(any::<u32>()),
        opt(text()),
        prop::collection::btree_map(text(), text(), 0..3),
    )
        .prop_map(|(port, method, path, status, body, headers)| HttpParams {
            port,
            direction: HttpDirection::Outbound,
            method,
            path,
            status,
            body,
            headers,
        });
    (
        opt(text()),
        opt(prop_oneof![text(), Just("SIGTERM".to_string())]),
        opt(any::<u32>()),
        opt(any::<u32>()),
        opt(sizes),
        opt(any::<bool>()),
        opt(any::<u32>()),
        opt(prop_oneof![text(), Just("/tmp".to_string()), Just("/../etc".to_string())]),
        opt(dns),
        opt(http),
    )
        .boxed()
}

fn comparator() -> impl Strategy<Value = Comparator> {
    let types =
        prop_oneof![Just(ComparatorType::Int), Just(ComparatorType::Float), Just(ComparatorType::String)];
    let criteria = prop_oneof![
        Just(Criteria::Eq),
        Just(Criteria::Gt),
        Just(Criteria::Contains),
        Just(Criteria::Matches)
    ];
    (types, criteria, prop_oneof![text(), Just("1e400".into()), Just("NaN".into()), "-?[0-9]{1,25}"])
        .prop_map(|(type_, criteria, value)| Comparator { type_, criteria, value })
}

fn probe() -> impl Strategy<Value = Probe> {
    let types =
        prop_oneof![Just(ProbeType::Http), Just(ProbeType::K8s), Just(ProbeType::Prom), Just(ProbeType::Cmd)];
    let modes = prop_oneof![
        Just(ProbeMode::SOT),
        Just(ProbeMode::EOT),
        Just(ProbeMode::Edge),
        Just(ProbeMode::Continuous),
        Just(ProbeMode::OnChaos)
    ];
    let http = opt((
        prop_oneof![text(), Just("http://x/".into()), Just("http://[::1".into())],
        opt(text()),
        opt(any::<u16>()),
    )
        .prop_map(|(url, body, expect_status)| HttpProbe {
            url,
            method: HttpMethod::POST,
            body,
            expect_status,
            expect_body_contains: None,
        }));
    let k8s = opt((text(), text(), opt(any::<u32>())).prop_map(|(api_version, kind, count)| K8sProbe {
        api_version,
        kind,
        namespace: None,
        label_selector: None,
        field_selector: None,
        operation: K8sOperation::Count,
        count,
    }));
    let prom = opt((
        prop_oneof![text(), Just("http://p:9090/?".into()), Just("http://u:p@p#".into())],
        text(),
        comparator(),
    )
        .prop_map(|(endpoint, query, comparator)| PromProbe { endpoint, query, comparator }))
    .boxed();
    let quantity = || {
        opt(prop_oneof![
            text(),
            Just("250m".into()),
            Just("0.5".into()),
            Just("128Mi".into()),
            Just("1.".into())
        ])
    };
    let cmd =
        opt((proptest::collection::vec(text(), 0..3), text(), comparator(), opt((quantity(), quantity())))
            .prop_map(|(command, image, comparator, resources)| CmdProbe {
                command,
                image,
                comparator,
                resources: resources.map(|(cpu, memory)| CmdResources { cpu, memory }),
            }))
        // boxed: the nested strategy types otherwise make a debug build's stack frames overflow
        .boxed();
    let props = (duration_text(), duration_text(), any::<u32>(), opt(duration_text()), any::<bool>())
        .prop_map(|(interval, timeout, attempts, initial_delay, stop_on_failure)| RunProperties {
            interval,
            timeout,
            attempts,
            initial_delay,
            stop_on_failure,
        });
    (text(), types, modes, http, k8s, prom, cmd, props).prop_map(
        |(name, type_, mode, http, k8s, prom, cmd, run_properties)| Probe {
            name,
            type_,
            mode,
            http,
            k8s,
            prom,
            cmd,
            run_properties,
        },
    )
}

/// A workflow of up to 12 steps: a chain (a deep DAG) with random extra edges, some of which close cycles
/// or name steps that do not exist.
fn workflow() -> impl Strategy<Value = ChaosWorkflowSpec> {
    (
        1usize..12,
        proptest::collection::vec(
            (fault(), proptest::collection::vec(probe(), 0..3), any::<u32>(), any::<u8>(), any::<u8>()),
            12,
        ),
        duration_text(),
        opt(text()),
        text(),
        opt(any::<i64>()),
        any::<u32>(),
    )
        .prop_map(
            |(n, parts, max_duration, schedule, time_zone, starting_deadline_seconds, run_history_limit)| {
                let steps = parts
                    .into_iter()
                    .take(n)
                    .enumerate()
                    .map(|(i, (fault, probes, weight, extra, name_kind))| {
                        let name = if name_kind % 7 == 0 { format!("S_{i}") } else { format!("s{i}") };
                        let mut depends_on: Vec<String> =
                            if i > 0 { vec![format!("s{}", i - 1)] } else { vec![] };
                        match extra % 5 {
                            0 => depends_on.push(format!("s{}", (usize::from(extra) + i) % n)),
                            1 => depends_on.push("ghost".into()),
                            _ => {}
                        }
                        Step { name, depends_on, weight, fault, probes }
                    })
                    .collect();
                ChaosWorkflowSpec {
                    description: String::new(),
                    schedule,
                    time_zone,
                    concurrency_policy: ConcurrencyPolicy::Forbid,
                    suspend: false,
                    run_on_change: false,
                    starting_deadline_seconds,
                    run_history_limit,
                    max_duration,
                    steps,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_validator_never_panics_and_every_refusal_names_a_field(spec in workflow()) {
        match validate(&spec) {
            Ok(wf) => {
                prop_assert_eq!(wf.steps.len(), spec.steps.len());
                prop_assert!(wf.max_duration <= chaoscenter_core::limits::MAX_RUN_DURATION);
                for step in &wf.steps {
                    prop_assert!(step.fault.duration <= wf.max_duration);
                    for p in &step.probes {
                        prop_assert!(p.timeout <= wf.max_duration && p.interval <= wf.max_duration);
                    }
                }
            }
            Err(invalid) => {
                prop_assert!(!invalid.errors.is_empty());
                for e in &invalid.errors {
                    prop_assert!(e.path == "spec" || e.path.starts_with("spec."), "{}", e);
                    prop_assert!(!e.message.is_empty(), "{}", e);
                }
            }
        }
    }
}

/// A valid workflow of 1 to 4 steps with the given fault durations, for the engine.
fn valid_workflow() -> impl Strategy<Value = chaoscenter_core::Workflow> {
    (1usize..5, proptest::collection::vec((1u64..600, any::<bool>(), any::<bool>()), 4)).prop_map(|(n, parts)| {
        let steps: Vec<serde_json::Value> = parts
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, (secs, scale, probed))| {
                let fault = if *scale {
                    serde_json::json!({"type": "pod-autoscaler", "duration": format!("{secs}s"), "params": {"replicas": 1},
                        "target": {"namespace": "shop", "kind": "Deployment", "name": "web"}})
                } else {
                    serde_json::json!({"type": "pod-delete", "duration": format!("{secs}s"), "interval": format!("{}s", secs.div_ceil(50)),
                        "target": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}})
                };
                let probes = if *probed {
                    serde_json::json!([{"name": "p", "type": "http", "mode": "Edge", "http": {"url": "http://x/"}},
                                       {"name": "q", "type": "http", "mode": "Continuous", "http": {"url": "http://x/"}}])
                } else {
                    serde_json::json!([])
                };
                let deps: Vec<String> = if i > 0 && secs % 2 == 0 { vec![format!("s{}", i - 1)] } else { vec![] };
                serde_json::json!({"name": format!("s{i}"), "dependsOn": deps, "fault": fault, "probes": probes})
            })
            .collect();
        let spec: ChaosWorkflowSpec = serde_json::from_value(serde_json::json!({"maxDuration": "1h", "steps": steps})).unwrap();
        validate(&spec).unwrap()
    })
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (1_700_000_000i64..1_900_000_000).prop_map(|s| Timestamp::from_second(s).unwrap()),
        Just(Timestamp::MAX),
        Just(Timestamp::MIN),
    ]
}

fn status_time() -> impl Strategy<Value = Option<String>> {
    prop_oneof![Just(None), timestamp().prop_map(|t| Some(t.to_string())), Just(Some("garbled".to_string()))]
}

fn phase() -> impl Strategy<Value = RunPhase> {
    prop_oneof![
        Just(RunPhase::Pending),
        Just(RunPhase::Running),
        Just(RunPhase::Succeeded),
        Just(RunPhase::Failed),
        Just(RunPhase::Aborted),
        Just(RunPhase::Error)
    ]
}

fn step_status() -> impl Strategy<Value = StepStatus> {
    (
        0usize..6,
        phase(),
        status_time(),
        status_time(),
        status_time(),
        status_time(),
        any::<u32>(),
        proptest::collection::vec((any::<bool>(), any::<bool>()), 0..3),
        proptest::collection::vec(
            (any::<u32>(), any::<u32>(), any::<bool>(), any::<bool>(), status_time()),
            0..3,
        ),
    )
        .prop_map(|(i, phase, started, chaos_started, chaos_ends, next, injections, targets, probes)| {
            StepStatus {
                name: format!("s{i}"),
                phase,
                verdict: Verdict::Awaited,
                started_at: started,
                chaos_started_at: chaos_started,
                chaos_ends_at: chaos_ends,
                next_injection_at: next,
                injections,
                targets: targets
                    .into_iter()
                    .map(|(injected, verified)| TargetStatus {
                        kind: "Pod".into(),
                        name: "p".into(),
                        injected_at: injected.then(|| "2027-01-01T00:00:00Z".into()),
                        revert_verified: verified,
                        ..Default::default()
                    })
                    .collect(),
                probes: probes
                    .into_iter()
                    .enumerate()
                    .map(|(j, (passed, failed, sot, eot, last))| ProbeStatus {
                        name: if j == 0 { "p".into() } else { "q".into() },
                        passed,
                        failed,
                        sot_done: sot,
                        eot_done: eot,
                        last_checked_at: last,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }
        })
}

fn run_state() -> impl Strategy<Value = (ChaosWorkflowRunStatus, Observed, bool)> {
    let status = (opt(phase()), status_time(), proptest::collection::vec(step_status(), 0..5)).prop_map(
        |(phase, deadline, steps)| ChaosWorkflowRunStatus {
            phase,
            deadline,
            steps,
            started_at: None,
            ..Default::default()
        },
    );
    let tasks = proptest::collection::btree_set(
        prop_oneof![
            (0usize..6, any::<bool>()).prop_map(|(i, p)| Task::Probe {
                step: format!("s{i}"),
                probe: if p { "p".into() } else { "q".into() }
            }),
            (0usize..6, 0u32..3).prop_map(|(i, round)| Task::Inject { step: format!("s{i}"), round }),
        ],
        0..4,
    );
    let withdrawn = proptest::collection::vec(
        (0usize..6, 0usize..4).prop_map(|(i, t)| Withdrawal {
            step: format!("s{i}"),
            target: t,
            reason: "gone".into(),
        }),
        0..2,
    );
    (status, timestamp(), any::<bool>(), any::<bool>(), tasks, withdrawn, any::<bool>()).prop_map(
        |(status, now, halted, has_finalizer, in_flight, withdrawn, abort)| {
            let observed = Observed {
                now,
                halted,
                has_finalizer,
                admission: Some(Ok(())),
                in_flight,
                withdrawn,
                definition_changed: None,
            };
            (status, observed, abort)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn decide_never_panics_and_keeps_the_safety_rules(wf in valid_workflow(), (status, observed, abort) in run_state()) {
        let run = RunInput { workflow: Ok(&wf), abort, dry_run: false };
        let decision = decide(&run, &status, &observed);
        let unreverted = status.steps.iter().any(|s| s.targets.iter().any(|t| !t.revert_verified));
        let running = status.phase == Some(RunPhase::Running);
        for action in &decision.actions {
            match action {
                Action::Inject { step, .. } => {
                    prop_assert!(!abort && !observed.halted, "no injection once stopping: {:?}", decision);
                    prop_assert!(!observed.in_flight.iter().any(|t| matches!(t, Task::Inject { step: s, .. } if s == step)), "a round injecting is not started twice: {:?}", decision);
                }
                Action::Probe { step, probe, .. } => {
                    prop_assert!(!abort && !observed.halted);
                    prop_assert!(!observed.in_flight.contains(&Task::Probe { step: step.clone(), probe: probe.clone() }), "a check is not started twice");
                }
                Action::StartStep { .. } | Action::Start { .. } | Action::Plan => prop_assert!(!abort),
                Action::RemoveFinalizer => prop_assert!(!unreverted, "the finalizer stays until every revert is verified"),
                Action::Finish { .. } if running => prop_assert!(!unreverted || !abort, "a stopped run finishes only once reverted"),
                Action::Revert { .. } | Action::Withdraw(_) => {
                    let injecting = observed.in_flight.iter().any(|t| matches!(t, Task::Inject { .. }));
                    prop_assert!(!injecting || !abort, "a stopping run cancels its rounds before reverting: {:?}", decision);
                }
                _ => {}
            }
        }
        if (abort || observed.halted) && running && !observed.in_flight.is_empty() {
            prop_assert_eq!(&decision.actions, &vec![Action::Cancel { step: None }], "stopping cancels the tasks first");
        }
    }

    #[test]
    fn a_changed_definition_never_injects_anything_more(wf in valid_workflow(), (status, observed, abort) in run_state(), what in text()) {
        let run = RunInput { workflow: Ok(&wf), abort, dry_run: false };
        let observed = Observed { definition_changed: Some(what), ..observed };
        let decision = decide(&run, &status, &observed);
        if status.phase == Some(RunPhase::Running) {
            for action in &decision.actions {
                prop_assert!(!matches!(action, Action::Inject { .. } | Action::Probe { .. } | Action::StartStep { .. } | Action::Withdraw(_)), "{:?}", decision);
                if let Action::Finish { phase, reason, .. } = action {
                    prop_assert_eq!((*phase, *reason), (RunPhase::Error, "DefinitionChanged"));
                }
            }
        }
    }

    #[test]
    fn decide_never_panics_on_an_invalid_definition((status, observed, abort) in run_state(), message in text()) {
        let run = RunInput { workflow: Err(&message), abort, dry_run: false };
        let decision = decide(&run, &status, &observed);
        for action in &decision.actions {
            prop_assert!(!matches!(action, Action::Inject { .. } | Action::Probe { .. } | Action::StartStep { .. } | Action::Start { .. }), "{:?}", decision);
        }
    }
}

#[test]
fn selectors_with_any_text_never_panic() {
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&selector(), |s| {
            let mut spec: ChaosWorkflowSpec =
                serde_json::from_value(serde_json::json!({"steps": [{"name": "a",
                "fault": {"type": "pod-delete", "target": {"namespace": "x"}}}]}))
                .unwrap();
            spec.steps[0].fault.target.selector = Some(s);
            let _ = validate(&spec);
            Ok(())
        })
        .unwrap();
}

/// A valid workflow as the API receives it (a pod-delete step with an http probe and a PromQL probe, and a
/// pod-autoscaler step after it): the base the YAML property mutates.
/// One change to the base: what to put at a path (`None`: remove the key).
#[derive(Clone, Debug)]
enum Change {
    Set(serde_json::Value),
    Raw(usize),
    Nested(usize),
    Remove,
    Repeat(usize),
    /// A value of the type already there: a string, a number, the other boolean, an empty list or object.
    Same {
        text: String,
        number: i64,
    },
}

fn change() -> impl Strategy<Value = Change> {
    let number = prop_oneof![
        Just(0i64),
        Just(1),
        Just(-1),
        Just(i64::from(u32::MAX)),
        Just(i64::from(i32::MAX) + 1),
        any::<i64>()
    ];
    prop_oneof![
        8 => (prop_oneof![text(), duration_text()], number).prop_map(|(text, number)| Change::Same { text, number }),
        10 => prop_oneof![
            Just(Change::Set(serde_json::Value::Null)),
            any::<i64>().prop_map(|n| Change::Set(n.into())),
            any::<f64>().prop_map(|x| Change::Set(serde_json::json!(x))),
            any::<bool>().prop_map(|b| Change::Set(b.into())),
            text().prop_map(|s| Change::Set(s.into())),
            "[\\x00-\\x1f\\x7f]{1,6}".prop_map(|s| Change::Set(s.into())),
            Just(Change::Set(serde_json::json!({"extra": [1, "two", null]}))),
            Just(Change::Set(serde_json::json!(["a", 1, {}]))),
            (0..RAW_YAML.len()).prop_map(Change::Raw),
            prop_oneof![Just(100usize), Just(129), Just(1000)].prop_map(Change::Nested),
            Just(Change::Remove),
            prop_oneof![Just(2usize), Just(101)].prop_map(Change::Repeat),
        ],
    ]
}

/// The base workflow with `changes` applied at the paths they pick, as YAML text.
fn mutated_yaml(changes: &[(prop::sample::Index, Change)]) -> String {
    let mut value = base_workflow("base", "shop");
    let mut splices = Splices::default();
    for (index, change) in changes {
        let path = index.get(&value_paths(&value)).clone();
        let Some((last, parent)) = path.split_last() else { continue };
        let mut target = &mut value;
        for step in parent {
            target = child(target, step);
        }
        let current = child(target, last).clone();
        let new = match change {
            Change::Set(v) => Some(v.clone()),
            Change::Raw(i) => Some(splices.marker(RAW_YAML[*i])),
            Change::Nested(depth) => Some(splices.marker(nested(*depth))),
            Change::Remove => None,
            Change::Repeat(n) => Some(serde_json::Value::Array(vec![current; *n])),
            Change::Same { text, number } => Some(match current {
                serde_json::Value::Number(_) => (*number).into(),
                serde_json::Value::Bool(b) => (!b).into(),
                serde_json::Value::Array(_) => serde_json::json!([]),
                serde_json::Value::Object(_) => serde_json::json!({}),
                _ => text.as_str().into(),
            }),
        };
        replace(target, last, new);
    }
    splices.yaml(&value)
}

fn workflow_yaml() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::collection::vec((any::<prop::sample::Index>(), change()), 1..5)
            .prop_map(|changes| mutated_yaml(&changes)),
        1 => (1usize..10, 2usize..10, prop_oneof![
            Just("extra: {last}\nspec: {steps: []}\n"),
            Just("spec: {description: {last}}\n"),
            Just("spec: {steps: {last}}\n")
        ])
            .prop_map(|(levels, width, at)| alias_bomb("bomb", levels, width, at)),
        1 => (0usize..2000).prop_map(|depth| format!("apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata: {{name: deep}}\nspec: {}\n", nested(depth))),
        1 => "\\PC{0,300}",
        1 => (text(), text()).prop_map(|(a, b)| format!("{a}: {b}\n---\n{b}: [{a}")),
    ]
}

#[test]
fn the_fuzzing_base_is_a_valid_workflow() {
    let wf: chaoscenter_crds::ChaosWorkflow = serde_yaml::from_str(&mutated_yaml(&[])).unwrap();
    validate(&wf.spec).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The apiserver's path for a workflow sent as text: serde_yaml into a ChaosWorkflow, then the
    /// validator. Whatever the text, neither panics, and every refusal says what is wrong.
    #[test]
    fn workflow_yaml_never_panics_the_parser_or_the_validator(text in workflow_yaml()) {
        match serde_yaml::from_str::<chaoscenter_crds::ChaosWorkflow>(&text) {
            Err(err) => prop_assert!(!err.to_string().trim().is_empty()),
            Ok(wf) => {
                if let Err(invalid) = validate(&wf.spec) {
                    prop_assert!(!invalid.errors.is_empty());
                    for e in &invalid.errors {
                        prop_assert!(e.path == "spec" || e.path.starts_with("spec."), "{}", e);
                        prop_assert!(!e.message.is_empty(), "{}", e);
                    }
                }
            }
        }
    }
}
