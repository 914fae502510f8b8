//! Measures, on the cluster in KUBECONFIG: create-run-to-first-pod-deletion latency against the API server's create-to-watch-event floor, the operator's resident memory idle and with N concurrent runs, abort-to-reverted with a 10-minute probe in flight, 1,000 concurrent runs to their end, the apiserver's sign-in costs and memory, and the admission webhook's cost on `kubectl apply` of a run, and a hub's sync of a 300-file chaos-charts repository against `git clone --depth 1` of it.

// Run it with `cargo build --bins && target/debug/bench [--runs N] [--concurrent N] [--skip-memory]`
// (or `cargo run -p chaoscenter-e2e --bin bench -- ...` after `cargo build --bins`). Numbers go to
// stdout, one labelled line each; progress goes to stderr. Nothing is asserted about speed.

use chaoscenter_crds::injection::{ChaosInjection, InjectionPhase, NODE_LABEL};
use chaoscenter_crds::run::RunPhase;
use chaoscenter_crds::ChaosWorkflowRun;
use chaoscenter_e2e::access::{admin_token, with_access};
use chaoscenter_e2e::history::{cursor_after, seed_runs};
use chaoscenter_e2e::{
    client, create_run, create_workflow, delete_project, ensure_crds, setup_project, wait_for,
    wait_ready_replicas, wait_run_finished, web_app, with_namespace, workspace_binary, NodeAgent, Operator,
    E2E_LABEL,
};
use futures::channel::{mpsc, oneshot};
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Client;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: bench [--runs N] [--concurrent N] [--scale-runs N] [--skip-memory] [--only PART] [--skip PART] [--history-sizes N,N,..] [--users N] [--load-secs N]
  --runs N         sequential runs for the create-to-first-pod-deletion latency, and ConfigMaps for the
                   floor (default 50)
  --concurrent N   concurrent runs for the operator's memory (default 200)
  --scale-runs N   runs started at once, each scaling its own Deployment, for the scale part (default 1000)
  --skip-memory    skip the operator memory readings (idle and concurrent)
  --only PART      run only PART: operator (run latency, operator memory), abort (abort to every fault
                   reverted, a 10-minute probe in flight), scale (N concurrent runs to their end), auth
                   (sign-in costs), history (the run-history page at many runs, mirror lag, apiserver
                   memory), webhook (kubectl apply of a run with the admission webhook and without it,
                   N=max(runs,100)), load (N signed-in users reading history and holding a subscription
                   each), node (the node agent: injection and revert latency against the watch floor, delay
                   accuracy, its memory and CPU with 50 pods under delay at 1,000 packets/s), hub (a
                   300-file chaos-charts repository over https on loopback: first sync and unchanged
                   re-sync beside `git clone --depth 1`, the operator's memory with its catalogue);
                   repeatable
  --skip PART      skip PART (auth and history need CHAOSCENTER_MONGODB_URI, which `make bench` sets)
  --history-sizes  the numbers of mirrored runs to measure the history page at (default 1000,10000,100000)
  --users N        signed-in users of the load part (default 200)
  --load-secs N    how long the load part holds them (default 60)
Needs KUBECONFIG and the operator and apiserver binaries next to this one (`cargo build --bins`).";

/// The web app every run targets, and its size.
const APP: &str = "web";
const REPLICAS: i32 = 3;
/// The Deployment the concurrent runs delete pods of (one each, as they start), and its size.
const POOL_APP: &str = "pool";
const POOL: i32 = 10;
/// The workflow of the sequential latency runs, and of the concurrent memory runs.
const KILL_ONE: &str = "kill-one";
const HOLD: &str = "hold";
/// VmRSS samples once the concurrent runs are in their chaos window (one a second).
const MEMORY_SAMPLES: usize = 20;
/// How long after the operator's "controllers running" line the idle memory is read.
const IDLE_WAIT: Duration = Duration::from_secs(5);

struct Args {
    runs: usize,
    concurrent: usize,
    scale_runs: usize,
    skip_memory: bool,
    parts: Vec<&'static str>,
    history_sizes: Vec<usize>,
    users: usize,
    load_secs: u64,
}

fn parse_args() -> Args {
    const PARTS: [&str; 9] =
        ["operator", "abort", "scale", "auth", "history", "webhook", "load", "node", "hub"];
    let mut args = Args {
        runs: 50,
        concurrent: 200,
        scale_runs: 1000,
        skip_memory: false,
        parts: PARTS.to_vec(),
        history_sizes: vec![1_000, 10_000, 100_000],
        users: 200,
        load_secs: 60,
    };
    let mut only: Vec<&'static str> = Vec::new();
    let part = |value: Option<String>| -> &'static str {
        match PARTS.iter().find(|p| Some(**p) == value.as_deref()) {
            Some(p) => p,
            None => {
                eprintln!("--only/--skip take one of {PARTS:?}\n{USAGE}");
                std::process::exit(2);
            }
        }
    };
    let mut it = std::env::args().skip(1);
    let number = |flag: &str, value: Option<String>| -> usize {
        match value.as_deref().map(str::parse::<usize>) {
            Some(Ok(n)) if n > 0 => n,
            _ => {
                eprintln!("{flag} needs a positive number\n{USAGE}");
                std::process::exit(2);
            }
        }
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => args.runs = number("--runs", it.next()),
            "--concurrent" => args.concurrent = number("--concurrent", it.next()),
            "--scale-runs" => args.scale_runs = number("--scale-runs", it.next()),
            "--skip-memory" => args.skip_memory = true,
            "--users" => args.users = number("--users", it.next()),
            "--load-secs" => args.load_secs = number("--load-secs", it.next()) as u64,
            "--only" => only.push(part(it.next())),
            "--skip" => {
                let p = part(it.next());
                args.parts.retain(|q| *q != p);
            }
            "--history-sizes" => {
                let text = it.next().unwrap_or_default();
                args.history_sizes =
                    text.split(',').map(|n| number("--history-sizes", Some(n.to_string()))).collect();
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    if !only.is_empty() {
        args.parts.retain(|p| only.contains(p));
    }
    args
}

/// The operator binary, built next to this one by `cargo build --bins`.
fn operator_binary() -> PathBuf {
    let path = workspace_binary("chaoscenter-operator");
    assert!(
        path.is_file(),
        "{} not found: build the operator first with `cargo build --bins`",
        path.display()
    );
    path
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let binary = operator_binary();
    let client = client().await;
    let version = client.apiserver_version().await.expect("failed to read the API server's /version");
    ensure_crds(&client).await;
    // the parts that time runs need the cluster to themselves; the apiserver parts run their own operator
    // scoped to their objects
    let times_runs = ["operator", "abort", "scale"].iter().any(|p| args.parts.contains(p));
    let others = if times_runs { other_operators(&client).await } else { Vec::new() };
    assert!(
        others.is_empty(),
        "another ChaosCenter operator is running ({}) and would act on the bench's runs too, skewing every \
         number; stop it first (`make up`'s: kill -TERM $(cat ~/.cache/chaoscenter/apps/operator.pid), as \
         `make test` does; `make up` starts it again)",
        others.join(", ")
    );
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "context kubernetes={} platform={} cores={cores} runs={} concurrent={} memory={} operator={}",
        version.git_version,
        version.platform,
        args.runs,
        args.concurrent,
        if args.skip_memory { "skipped" } else { "measured" },
        binary.display()
    );
    if args.parts.contains(&"operator") {
        let args = &args;
        in_namespace("bench", |client, ns| async move { bench(&client, &ns, args).await }).await;
    }
    if args.parts.contains(&"abort") {
        in_namespace("bench-abort", |client, ns| async move { bench_abort(&client, &ns, 5).await }).await;
    }
    if args.parts.contains(&"scale") {
        let n = args.scale_runs;
        in_namespace("bench-scale", |client, ns| async move { bench_scale(&client, &ns, n).await }).await;
    }
    if args.parts.contains(&"auth") {
        bench_auth(args.runs).await;
    }
    if args.parts.contains(&"history") {
        bench_history(&args.history_sizes, args.runs).await;
    }
    if args.parts.contains(&"webhook") {
        bench_webhook(args.runs.max(100)).await;
    }
    if args.parts.contains(&"load") {
        bench_load(args.users, Duration::from_secs(args.load_secs)).await;
    }
    if args.parts.contains(&"hub") {
        let samples = args.runs.clamp(3, 10);
        in_namespace("bench-hub", |client, ns| async move { bench_hub(&client, &ns, samples).await }).await;
    }
    if args.parts.contains(&"node") {
        let samples = args.runs.min(30);
        in_namespace("bench-node", |client, ns| async move { bench_node(&client, &ns, samples).await }).await;
    }
}

/// Faults in the bench's hub repository (three files each, beside the fixture's own files).
const HUB_FAULTS: usize = 100;

/// A chaos-charts repository of about 300 files (the fixture tree, and [`HUB_FAULTS`] copies of its
/// pod-delete fault under new names) committed in `root/charts`; its file count.
fn hub_repository(root: &std::path::Path) -> usize {
    use chaoscenter_e2e::git::{files_under, Repo};
    let mut files = files_under(&chaoscenter_e2e::repo_root().join("hub/tests/fixtures/chaos-charts"));
    let fault = "faults/kubernetes/pod-delete";
    let originals: Vec<(String, Vec<u8>)> =
        files.iter().filter(|(p, _)| p.starts_with(&format!("{fault}/"))).cloned().collect();
    assert!(!originals.is_empty(), "the fixture has no {fault}");
    for i in 0..HUB_FAULTS {
        let name = format!("pod-delete-copy-{i:03}");
        for (path, content) in &originals {
            let path = path.replace("pod-delete", &name);
            let text = String::from_utf8_lossy(content).replace("pod-delete", &name);
            files.push((path, text.into_bytes()));
        }
    }
    let repo = Repo::init(root, "charts");
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
    repo.commit("a large catalogue", &refs);
    files.len()
}

/// A hub's key in a [`Watch`] each time it reports a successful sync (its name and lastSyncedAt).
fn hub_synced(hub: &chaoscenter_crds::ChaosHub, _deleted: bool) -> Option<String> {
    let status = hub.status.as_ref()?;
    let synced = status.conditions.iter().any(|c| {
        c.type_ == "Synced"
            && c.status == chaoscenter_crds::ConditionStatus::True
            && c.observed_generation == hub.metadata.generation
    });
    let at = status.last_synced_at.as_deref()?;
    synced.then(|| format!("{} {at}", hub.metadata.name.as_deref().unwrap_or_default()))
}

/// Waits on `watch` for hub `name`'s next successful sync; when it arrived.
async fn next_sync(watch: &mut Watch, name: &str) -> Instant {
    let prefix = format!("{name} ");
    loop {
        match watch.next(Duration::from_secs(120)).await {
            Some((at, key)) if key.starts_with(&prefix) => return at,
            Some(_) => continue,
            None => panic!("hub {name} did not sync within 120 s"),
        }
    }
}

/// A hub over https on loopback, of a 300-file chaos-charts repository: (1) created → Synced with its
/// catalogue written (a fresh clone each time), beside `git clone --depth 1` of the same repository from
/// the same server (the floor: fetching alone, by C git); (2) an unchanged re-sync asked for with the
/// sync-now annotation; (3) the operator's memory idle and with the hubs' catalogues loaded.
async fn bench_hub(client: &Client, ns: &str, samples: usize) {
    use chaoscenter_crds::hub::SYNC_NOW_ANNOTATION;
    use chaoscenter_crds::template::HUB_LABEL;
    use chaoscenter_crds::{ChaosHub, ChaosTemplate};
    use chaoscenter_e2e::git::{git_hub, scratch, GitServer};
    let root = scratch(ns, "repos");
    let cache = scratch(ns, "cache");
    let files = hub_repository(&root);
    let server = GitServer::start(&root, None).await;
    let url = server.url("charts");
    let op = Operator::start_with(
        ns,
        &[("HUB_CACHE_DIR", cache.to_str().unwrap()), ("SSL_CERT_FILE", server.ca_file.to_str().unwrap())],
    );
    eprintln!("hub: {files} files; operator pid {}, log {}", op.pid().unwrap_or(0), op.log.display());
    wait_for(Duration::from_secs(60), "the operator's \"controllers running\" log line", || async {
        op.logs().contains("controllers running").then_some(())
    })
    .await;
    tokio::time::sleep(IDLE_WAIT).await;
    let idle = rss_mib(&op);

    let hubs: Api<ChaosHub> = Api::namespaced(client.clone(), ns);
    let templates: Api<ChaosTemplate> = Api::namespaced(client.clone(), ns);
    let mut watch = Watch::start_with(hubs.clone(), watcher::Config::default(), hub_synced);
    watch.ready("the hub watch").await;
    let (mut first, mut unchanged, mut clone) = (vec![], vec![], vec![]);
    let mut offered = 0;
    for i in 0..samples {
        let name = format!("charts-{i}");
        let started = Instant::now();
        git_hub(client, ns, &name, &url, None, None).await;
        first.push(millis(next_sync(&mut watch, &name).await - started));
        let listed =
            templates.list(&ListParams::default().labels(&format!("{HUB_LABEL}={name}"))).await.unwrap();
        offered = listed.items.len();
        assert!(offered > HUB_FAULTS, "hub {name} offers only {offered} templates");

        let started = Instant::now();
        let patch = json!({"metadata": {"annotations": {SYNC_NOW_ANNOTATION: format!("bench-{i}")}}});
        hubs.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
        unchanged.push(millis(next_sync(&mut watch, &name).await - started));

        let target = root.join(format!("clone-{i}"));
        let started = Instant::now();
        let out = std::process::Command::new("git")
            .args(["clone", "--quiet", "--depth", "1", "--single-branch", "--branch", "main", &url])
            .arg(&target)
            .env("GIT_SSL_CAINFO", &server.ca_file)
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .unwrap();
        clone.push(millis(started.elapsed()));
        assert!(out.status.success(), "git clone: {}", String::from_utf8_lossy(&out.stderr));
        let _ = std::fs::remove_dir_all(&target);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let loaded = rss_mib(&op);
    println!(
        "hub_first_sync_ms {} files={files} templates={offered} (create to Synced, catalogue written)",
        Stats::of(&first)
    );
    println!("hub_unchanged_resync_ms {} (sync-now to Synced, nothing fetched)", Stats::of(&unchanged));
    println!(
        "git_clone_depth1_ms {} files={files} (floor: C git fetching the same repository)",
        Stats::of(&clone)
    );
    println!(
        "operator_rss_hub_mib idle={idle:.1} loaded={loaded:.1} hubs={samples} templates_each={offered}"
    );
    drop(watch);
    let _ = hubs.delete_collection(&DeleteParams::default(), &ListParams::default()).await;
    drop(op);
    drop(server);
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(cache);
}

/// An injection's key in a [`Watch`] once the agent reported it applied, or its revert verified.
fn injection_reported(i: &ChaosInjection, deleted: bool) -> Option<String> {
    let status = i.status.as_ref()?;
    let name = i.metadata.name.clone()?;
    match status.phase? {
        InjectionPhase::Injected if !deleted => Some(format!("{name}/injected")),
        InjectionPhase::Reverted if status.revert_verified => Some(format!("{name}/reverted")),
        _ => None,
    }
}

/// Waits for `key` on `watch`.
async fn seen(watch: &mut Watch, key: &str) -> Instant {
    loop {
        match watch.next(Duration::from_secs(60)).await {
            Some((at, k)) if k == key => return at,
            Some(_) => continue,
            None => panic!("no {key} within 60 s"),
        }
    }
}

/// The node agent, as a local root process on the pod's node: (1) injection written → reported applied,
/// and revert asked → reported verified, beside the API server's create-to-watch-event floor; (2) the
/// round trip added by network-delay at several latencies; (3) the agent's memory and CPU while 50 pods,
/// each pinging at 20 packets/s (1,000/s in all), are delayed by 100 ms.
async fn bench_node(client: &Client, ns: &str, samples: usize) {
    use chaoscenter_e2e::node::{percentile, rtts, test_pod, Scene};
    let peer = test_pod(client, ns, "peer").await;
    let target = test_pod(client, ns, "target").await;
    let scene = Scene::new(client, ns, &target.node).await;
    let dir = std::env::temp_dir().join(format!("chaoscenter-node-{ns}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut agent = NodeAgent::start(&target.node, ns, &dir);
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    let lease = chaoscenter_crds::injection::lease_name(&target.node);
    wait_for(Duration::from_secs(60), "the agent's Lease", || async { leases.get(&lease).await.ok() }).await;
    let delay = |ms: u32| json!({"type": "network-delay", "latencyMs": ms, "filter": {"cidrs": [format!("{}/32", peer.ip)]}});

    // 1. latency of an injection and of its verified revert, and the floor
    let injections: Api<ChaosInjection> = Api::namespaced(client.clone(), ns);
    let mut watch =
        Watch::start(injections.clone(), &format!("{NODE_LABEL}={}", target.node), injection_reported);
    watch.ready("the ChaosInjection watch").await;
    let (mut applied, mut reverted) = (Vec::new(), Vec::new());
    for i in 0..=samples {
        let name = format!("lat-{i}");
        let t0 = Instant::now();
        scene.inject(&name, &target, delay(100), Duration::from_secs(600)).await;
        let t1 = seen(&mut watch, &format!("{name}/injected")).await;
        let t2 = Instant::now();
        injections
            .patch(&name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"revert": true}})))
            .await
            .unwrap();
        let t3 = seen(&mut watch, &format!("{name}/reverted")).await;
        // the first is a warm-up
        if i > 0 {
            applied.push(millis(t1.saturating_duration_since(t0)));
            reverted.push(millis(t3.saturating_duration_since(t2)));
        }
        scene.wait_reverted(&name).await;
        injections.delete(&name, &DeleteParams::default()).await.unwrap();
    }
    drop(watch);
    println!("node_injection_written_to_applied_ms {}", Stats::of(&applied));
    println!("node_revert_asked_to_verified_ms {}", Stats::of(&reverted));
    let floor = watch_floor(client, ns, samples).await;
    println!("configmap_create_to_watch_event_ms {floor} (floor)");

    // 2. delay accuracy: the round trip added at each latency (p50 over 100 pings, 20 ms apart)
    let base = rtts(ns, "target", &peer.ip, 100);
    println!(
        "node_delay_baseline_rtt_ms p50={:.2} p99={:.2}",
        percentile(&base, 0.5),
        percentile(&base, 0.99)
    );
    for ms in [10u32, 50, 100, 200] {
        let name = format!("acc-{ms}");
        scene.inject(&name, &target, delay(ms), Duration::from_secs(600)).await;
        scene.wait_phase(&name, InjectionPhase::Injected).await;
        let delayed = rtts(ns, "target", &peer.ip, 100);
        let (p50, p99) = (percentile(&delayed, 0.5), percentile(&delayed, 0.99));
        println!(
            "node_delay_accuracy asked_ms={ms} added_p50_ms={:.2} added_p99_ms={:.2} error_p50_ms={:+.2}",
            p50 - percentile(&base, 0.5),
            p99 - percentile(&base, 0.5),
            p50 - percentile(&base, 0.5) - f64::from(ms)
        );
        scene.revert(&name).await;
        injections.delete(&name, &DeleteParams::default()).await.unwrap();
    }

    // 3. 50 pods each pinging the peer at 20 packets/s, all delayed by 100 ms: the agent's memory and CPU
    let (image, pull) = chaoscenter_e2e::busybox_image();
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    const PINGERS: usize = 50;
    for i in 0..PINGERS {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": format!("pinger-{i}"), "labels": {"app": "pinger"}},
            "spec": {"terminationGracePeriodSeconds": 0, "containers": [{"name": "ping", "image": image, "imagePullPolicy": pull,
                "command": ["ping", "-q", "-i", "0.05", &peer.ip], "resources": {"requests": {"cpu": "1m", "memory": "4Mi"}}}]}
        }))
        .unwrap();
        pods.create(&PostParams::default(), &pod).await.unwrap();
    }
    let running = wait_for(Duration::from_secs(600), "the pingers to run", || async {
        let list = pods.list(&ListParams::default().labels("app=pinger")).await.ok()?;
        let ready: Vec<Pod> = list.items.into_iter().filter(chaoscenter_e2e::pod_ready).collect();
        (ready.len() == PINGERS).then_some(ready)
    })
    .await;
    let pid = agent.pid().expect("the agent runs");
    let rss_before = rss_of(pid).unwrap_or(f64::NAN);
    for pod in &running {
        let name = pod.metadata.name.clone().unwrap();
        let t = chaoscenter_e2e::node::TestPod {
            name: name.clone(),
            ip: String::new(),
            uid: pod.metadata.uid.clone().unwrap(),
            node: target.node.clone(),
        };
        scene.inject(&format!("load-{name}"), &t, delay(100), Duration::from_secs(600)).await;
    }
    for pod in &running {
        scene
            .wait_phase(&format!("load-{}", pod.metadata.name.as_deref().unwrap()), InjectionPhase::Injected)
            .await;
    }
    let cpu = |pid: u32| -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit(") ").next().unwrap_or_default().split_whitespace().collect();
        let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
            + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
        ticks / 100.0
    };
    let (c0, t0) = (cpu(pid), Instant::now());
    let mut peak = 0f64;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak = peak.max(rss_of(pid).unwrap_or(0.0));
    }
    let cpu_share = (cpu(pid) - c0) / t0.elapsed().as_secs_f64();
    println!(
        "node_agent_under_load pods={PINGERS} packets_per_s={} delay_ms=100 rss_mib_before={rss_before:.1} rss_mib_peak={peak:.1} cpu_percent={:.1}",
        PINGERS * 20,
        cpu_share * 100.0
    );
    assert!(
        agent.stop(),
        "the agent did not stop cleanly:
{}",
        agent.logs()
    );
    let _ = std::fs::remove_dir_all(&dir);
    for pod in &running {
        let _ = injections
            .delete(&format!("load-{}", pod.metadata.name.as_deref().unwrap()), &DeleteParams::default())
            .await;
    }
}

/// The API server's create-to-watch-event floor: `samples` ConfigMaps (after a warm-up).
async fn watch_floor(client: &Client, ns: &str, samples: usize) -> Stats {
    let mut added = Watch::start(
        Api::<ConfigMap>::namespaced(client.clone(), ns),
        "chaoscenter.io/bench=node-floor",
        |cm: &ConfigMap, deleted| (!deleted).then(|| cm.metadata.name.clone().unwrap_or_default()),
    );
    added.ready("the ConfigMap watch").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let mut floor = Vec::new();
    for i in 0..=samples {
        let name = format!("node-floor-{i}");
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(BTreeMap::from([(
                    "chaoscenter.io/bench".to_string(),
                    "node-floor".to_string(),
                )])),
                ..Default::default()
            },
            ..Default::default()
        };
        let t0 = Instant::now();
        cms.create(&PostParams::default(), &cm).await.unwrap();
        let t1 = seen(&mut added, &name).await;
        if i > 0 {
            floor.push(millis(t1.saturating_duration_since(t0)));
        }
    }
    Stats::of(&floor)
}

/// `kubectl apply` of a (dry) run, `n` times with the admission webhook and `n` times with it removed (the
/// floor), interleaved in blocks of 10 so machine load affects both alike; then the same with the API
/// directly (no kubectl process), where the webhook's share is larger.
async fn bench_webhook(n: usize) {
    use chaoscenter_e2e::access::{free_webhook_addr, install_webhook, webhook_env, SCOPE_LABEL};
    let addr = free_webhook_addr();
    let env = webhook_env(&addr);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    with_access("bench-hook", &env, |w| async move {
        let token = admin_token(&w).await;
        let project = format!("bench-{}", w.ns.rsplit('-').next().unwrap());
        let (status, body) = w
            .api
            .call(
                "POST",
                "/auth/projects",
                Some(&token),
                Some(json!({"name": project, "targetNamespaces": [w.ns]})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let pns = chaoscenter_crds::access::project_namespace(&project);
        wait_for(Duration::from_secs(60), "the project namespace", || async {
            Api::<Namespace>::all(w.client.clone()).get_opt(&pns).await.ok()?
        })
        .await;
        let scope = json!({SCOPE_LABEL: w.ns});
        let wf = json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
            "metadata": {"name": "wf", "namespace": pns, "labels": scope},
            "spec": {"steps": [{"name": "kill", "fault": {"type": "pod-delete", "duration": "30s",
                "target": {"namespace": w.ns, "selector": {"matchLabels": {"app": "none"}}}}}]}});
        let runs: Api<kube::api::DynamicObject> =
            chaoscenter_e2e::chaos_api(&w.client, "ChaosWorkflowRun", &pns);
        let wfs = chaoscenter_e2e::chaos_api(&w.client, "ChaosWorkflow", &pns);
        wfs.create(&PostParams::default(), &serde_json::from_value(wf).unwrap()).await.unwrap();
        let manifest = |name: String| {
            json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
                "metadata": {"name": name, "namespace": pns, "labels": scope},
                "spec": {"workflowRef": {"name": "wf"}, "dryRun": true}})
        };
        let apply = |name: String| {
            let text = manifest(name).to_string();
            async move {
                let started = Instant::now();
                let mut child = chaoscenter_e2e::kubectl()
                    .args(["apply", "-f", "-"])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                use std::io::Write;
                child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
                let out = child.wait_with_output().unwrap();
                assert!(out.status.success(), "kubectl apply: {}", String::from_utf8_lossy(&out.stderr));
                millis(started.elapsed())
            }
        };
        let create = |name: String| {
            let (runs, object) = (runs.clone(), manifest(name));
            async move {
                let object: kube::api::DynamicObject = serde_json::from_value(object).unwrap();
                let started = Instant::now();
                runs.create(&PostParams::default(), &object).await.unwrap();
                millis(started.elapsed())
            }
        };
        let (mut with, mut without, mut api_with, mut api_without) = (vec![], vec![], vec![], vec![]);
        let mut webhook = None;
        for block in 0..n.div_ceil(10) * 2 {
            let on = block % 2 == 0;
            if on {
                // effective once a dry-run create comes back stamped (install_webhook waits for it)
                webhook = Some(install_webhook(&w.client, &addr, &w.ns).await);
            } else if let Some(hook) = webhook.take() {
                hook.remove().await;
                // gone once a dry-run create comes back unstamped
                let probe: kube::api::DynamicObject =
                    serde_json::from_value(manifest("probe".into())).unwrap();
                wait_for(Duration::from_secs(60), "the webhook to be gone", || async {
                    let o = runs
                        .create(&PostParams { dry_run: true, ..Default::default() }, &probe)
                        .await
                        .ok()?;
                    let stamped = o
                        .metadata
                        .annotations
                        .is_some_and(|a| a.contains_key(chaoscenter_crds::common::AUTHOR_ANNOTATION));
                    (!stamped).then_some(())
                })
                .await;
            }
            for i in 0..10 {
                let name = format!("r{block}-{i}");
                let (kubectl_ms, api_ms) =
                    (apply(format!("{name}-k")).await, create(format!("{name}-a")).await);
                if on {
                    with.push(kubectl_ms);
                    api_with.push(api_ms);
                } else {
                    without.push(kubectl_ms);
                    api_without.push(api_ms);
                }
            }
            let _ = runs.delete_collection(&DeleteParams::background(), &ListParams::default()).await;
        }
        drop(webhook);
        println!("webhook_kubectl_apply_run_ms {} webhook=on", Stats::of(&with));
        println!("webhook_kubectl_apply_run_ms {} webhook=off (floor)", Stats::of(&without));
        println!("webhook_api_create_run_ms {} webhook=on", Stats::of(&api_with));
        println!("webhook_api_create_run_ms {} webhook=off (floor)", Stats::of(&api_without));
    })
    .await;
}

/// Runs a part in a fresh namespace; when it fails, drops its runs' finalizers first (without its operator
/// nothing would, and the namespace would hang in Terminating), then fails.
async fn in_namespace<F, Fut>(prefix: &str, part: F)
where
    F: FnOnce(Client, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    with_namespace(prefix, &[], |client, ns| async move {
        let result = AssertUnwindSafe(part(client.clone(), ns.clone())).catch_unwind().await;
        let others = other_operators(&client).await;
        if !others.is_empty() {
            println!(
                "warning: another operator started during the bench and may have acted on its runs: {}",
                others.join(", ")
            );
        }
        if let Err(panic) = result {
            strip_run_finalizers(&client, &ns).await;
            delete_project(&client, &ns).await;
            std::panic::resume_unwind(panic);
        }
    })
    .await;
}

async fn bench(client: &Client, ns: &str, args: &Args) {
    setup_project(client, ns, &[]).await;
    eprintln!("namespace {ns}: starting {REPLICAS} replicas of {APP}");
    web_app(client, ns, APP, REPLICAS).await;
    let selector = json!({"matchLabels": {"app": APP}});
    create_workflow(
        client,
        ns,
        KILL_ONE,
        json!({"steps": [{"name": "kill", "fault": {"type": "pod-delete", "duration": "1s",
            "target": {"namespace": ns, "selector": selector, "mode": "one"}}}]}),
    )
    .await;

    let op = Operator::start(ns);
    let pid = op.pid().expect("the operator was just started");
    eprintln!("operator pid {pid}, log {}", op.log.display());
    wait_for(Duration::from_secs(60), "the operator's \"controllers running\" log line", || async {
        op.logs().contains("controllers running").then_some(())
    })
    .await;
    if !args.skip_memory {
        tokio::time::sleep(IDLE_WAIT).await;
        println!(
            "operator_rss_idle_mib value={:.1} after_controllers_running_s={} runs=0",
            rss_mib(&op),
            IDLE_WAIT.as_secs()
        );
    }

    // 1. create run -> first target pod deleted
    let mut deletions = Watch::start(
        Api::<Pod>::namespaced(client.clone(), ns),
        &format!("app={APP}"),
        |pod: &Pod, deleted| {
            (deleted || pod.metadata.deletion_timestamp.is_some())
                .then(|| pod.metadata.uid.clone().unwrap_or_default())
        },
    );
    deletions.ready("the pod watch").await;
    let mut latencies = Vec::with_capacity(args.runs);
    // run 0 is an unmeasured warm-up (first connections, the operator's first reconcile of each kind)
    for i in 0..=args.runs {
        wait_ready_replicas(client, ns, APP, REPLICAS).await;
        deletions.drain();
        let t0 = Instant::now();
        let run = create_run(client, ns, KILL_ONE, false).await;
        let (t1, pod) = deletions.next(Duration::from_secs(60)).await.unwrap_or_else(|| {
            panic!(
                "run {run}: no pod of app={APP} was deleted within 60 s; see the operator log {}",
                op.log.display()
            )
        });
        let ms = millis(t1.saturating_duration_since(t0));
        if i > 0 {
            latencies.push(ms);
        }
        let phase =
            wait_run_finished(client, ns, &run, Duration::from_secs(120)).await.status.and_then(|s| s.phase);
        eprintln!(
            "run {i}/{}{}: {run} deleted pod uid {pod} after {ms:.1} ms, finished {phase:?}",
            args.runs,
            if i == 0 { " (warm-up, not counted)" } else { "" }
        );
    }
    drop(deletions);
    let run_stats = Stats::of(&latencies);
    println!("create_run_to_first_pod_delete_ms {run_stats} warmup=1");

    // 2. the floor: create a ConfigMap -> its Added event on a watch
    let floor_label = "chaoscenter.io/bench=floor";
    let mut added = Watch::start(
        Api::<ConfigMap>::namespaced(client.clone(), ns),
        floor_label,
        |cm: &ConfigMap, deleted| (!deleted).then(|| cm.metadata.name.clone().unwrap_or_default()),
    );
    added.ready("the ConfigMap watch").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let mut floor = Vec::with_capacity(args.runs);
    // floor-0 is an unmeasured warm-up
    for i in 0..=args.runs {
        let name = format!("floor-{i}");
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(BTreeMap::from([("chaoscenter.io/bench".to_string(), "floor".to_string())])),
                ..Default::default()
            },
            data: Some(BTreeMap::from([("i".to_string(), i.to_string())])),
            ..Default::default()
        };
        added.drain();
        let t0 = Instant::now();
        cms.create(&PostParams::default(), &cm)
            .await
            .unwrap_or_else(|e| panic!("failed to create ConfigMap {name}: {e}"));
        let t1 = loop {
            match added.next(Duration::from_secs(30)).await {
                Some((t1, seen)) if seen == name => break t1,
                Some(_) => continue,
                None => panic!("the watch delivered no Added event for ConfigMap {name} within 30 s"),
            }
        };
        if i > 0 {
            floor.push(millis(t1.saturating_duration_since(t0)));
        }
    }
    drop(added);
    let floor_stats = Stats::of(&floor);
    println!("configmap_create_to_watch_event_ms {floor_stats} warmup=1");
    println!(
        "run_latency_over_floor p50={:.1}x p99={:.1}x",
        run_stats.p50 / floor_stats.p50,
        run_stats.p99 / floor_stats.p99
    );

    // 3. memory with N concurrent runs
    if !args.skip_memory {
        delete_all_runs(client, ns).await;
        println!(
            "operator_rss_before_concurrent_mib value={:.1} after_sequential_runs={}",
            rss_mib(&op),
            args.runs
        );
        measure_concurrent(client, ns, &op, args.concurrent).await;
    }
    delete_all_runs(client, ns).await;
    delete_project(client, ns).await;
    drop(op);
    eprintln!("done; deleting namespace {ns}");
}

/// Ramps up to `n` runs in their chaos window at once, samples the operator's VmRSS, then aborts them.
///
/// Each run's pod-delete step deletes one pod of its own `pool` Deployment when it starts, and only a
/// Running pod that is not already terminating is a candidate: a run that finds none fails at once ("no
/// target matches"). So the runs are created as fast as the pool has free pods for them, not all at the
/// same instant; once injected, each stays Running in its 20-minute chaos window until aborted.
async fn measure_concurrent(client: &Client, ns: &str, op: &Operator, n: usize) {
    let pool_size = POOL.min(n as i32);
    eprintln!("concurrent: starting {pool_size} replicas of {POOL_APP}");
    web_app(client, ns, POOL_APP, pool_size).await;
    let selector = json!({"matchLabels": {"app": POOL_APP}});
    create_workflow(
        client,
        ns,
        HOLD,
        json!({"maxDuration": "30m", "steps": [{"name": "kill", "fault": {"type": "pod-delete",
            "duration": "20m", "target": {"namespace": ns, "selector": selector, "mode": "one"}}}]}),
    )
    .await;
    let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let started = Instant::now();
    let give_up = started + Duration::from_secs(300.max(3 * n as u64));
    let mut created = 0;
    let mut ramp_max = 0f64;
    // runs that finished during the ramp (their injection found no pod); kept here because the workflow's
    // runHistoryLimit deletes old finished runs
    let mut failed = HashSet::new();
    let counts = loop {
        ramp_max = ramp_max.max(rss_mib(op));
        let list = hold_runs(&runs).await;
        failed.extend(list.iter().filter(|r| phase(r).is_finished()).filter_map(|r| r.metadata.name.clone()));
        let counts = Counts::of(&list);
        if counts.in_chaos >= n || failed.len() >= n || Instant::now() > give_up {
            break counts;
        }
        let free = pods
            .list(&ListParams::default().labels(&format!("app={POOL_APP}")))
            .await
            .expect("failed to list the pool's pods")
            .items
            .iter()
            .filter(|p| {
                p.metadata.deletion_timestamp.is_none()
                    && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
            })
            .count();
        let wanted = n.saturating_sub(counts.in_chaos + counts.starting);
        let batch = wanted.min(free.saturating_sub(counts.starting));
        futures::stream::iter(0..batch)
            .for_each_concurrent(16, |_| async {
                create_run(client, ns, HOLD, false).await;
            })
            .await;
        created += batch;
        if batch > 0 {
            eprintln!(
                "concurrent: {} in chaos, {} starting, {} failed; created {batch} more ({created} in all)",
                counts.in_chaos,
                counts.starting,
                failed.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    println!(
        "concurrent_ramp target={n} in_chaos={} created={created} failed_no_target={} seconds={:.1} rss_max_mib={ramp_max:.1}",
        counts.in_chaos,
        failed.len(),
        started.elapsed().as_secs_f64()
    );

    let running_before = Counts::of(&hold_runs(&runs).await).running;
    let mut samples = Vec::with_capacity(MEMORY_SAMPLES);
    for _ in 0..MEMORY_SAMPLES {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.push(rss_mib(op));
    }
    let running_after = Counts::of(&hold_runs(&runs).await).running;
    println!(
        "operator_rss_concurrent_mib max={:.1} last={:.1} running={running_before}/{n} running_end={running_after} samples={MEMORY_SAMPLES}",
        samples.iter().copied().fold(0f64, f64::max),
        samples.last().copied().unwrap_or_default()
    );

    // abort them all
    let started = Instant::now();
    let active: Vec<String> = hold_runs(&runs)
        .await
        .into_iter()
        .filter(|r| !phase(r).is_finished())
        .filter_map(|r| r.metadata.name)
        .collect();
    let aborted = active.len();
    futures::stream::iter(active)
        .for_each_concurrent(16, |name| {
            let runs = runs.clone();
            async move {
                runs.patch(&name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
                    .await
                    .unwrap_or_else(|e| panic!("failed to abort run {name}: {e}"));
            }
        })
        .await;
    wait_for(Duration::from_secs(300), "every aborted run to finish", || async {
        let left = hold_runs(&runs).await;
        left.iter()
            .all(|r| phase(r).is_finished() && r.metadata.finalizers.as_ref().is_none_or(|f| f.is_empty()))
            .then_some(())
    })
    .await;
    println!(
        "concurrent_abort_to_all_finished_s value={:.1} runs={aborted} rss_mib={:.1}",
        started.elapsed().as_secs_f64(),
        rss_mib(op)
    );
}

/// Abort to every fault reverted and verified, `samples` times, each with a cmd probe whose check takes 10
/// minutes in flight: from sending the abort until a watch shows the run Aborted with every target's
/// revert verified.
async fn bench_abort(client: &Client, ns: &str, samples: usize) {
    setup_project(client, ns, &[]).await;
    web_app(client, ns, APP, REPLICAS).await;
    let (image, _) = chaoscenter_e2e::busybox_image();
    create_workflow(
        client,
        ns,
        "slow-probe",
        json!({"maxDuration": "30m", "steps": [{"name": "scale-down",
            "fault": {"type": "pod-autoscaler", "duration": "20m", "params": {"replicas": 1},
                      "target": {"namespace": ns, "kind": "Deployment", "name": APP}},
            "probes": [{"name": "slow", "type": "cmd", "mode": "Continuous",
                "cmd": {"image": image, "command": ["sh", "-c", "sleep 600; echo ok"],
                        "comparator": {"type": "string", "criteria": "equal", "value": "ok"}},
                "runProperties": {"interval": "1s", "timeout": "10m"}}]}]}),
    )
    .await;
    let op = Operator::start(ns);
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), ns);
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        wait_ready_replicas(client, ns, APP, REPLICAS).await;
        let run = create_run(client, ns, "slow-probe", false).await;
        wait_for(Duration::from_secs(60), "the scale-down", || async {
            (deployments.get(APP).await.ok()?.spec?.replicas == Some(1)).then_some(())
        })
        .await;
        let probe_pods = format!("chaoscenter.io/run={run}");
        wait_for(Duration::from_secs(60), "the 10-minute check running", || async {
            let list = pods.list(&ListParams::default().labels(&probe_pods)).await.ok()?;
            list.items
                .iter()
                .any(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .then_some(())
        })
        .await;
        let mut reverted =
            Watch::start_fields(runs.clone(), &format!("metadata.name={run}"), |r: &ChaosWorkflowRun, _| {
                let status = r.status.as_ref()?;
                let done = status.phase == Some(RunPhase::Aborted)
                    && status.steps.iter().all(|s| s.targets.iter().all(|t| t.revert_verified));
                done.then(|| "reverted".to_string())
            });
        reverted.ready("the run watch").await;
        let t0 = Instant::now();
        runs.patch(&run, &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
            .await
            .expect("failed to abort the run");
        let (t1, _) = reverted.next(Duration::from_secs(60)).await.unwrap_or_else(|| {
            panic!("run {run} was not Aborted with its revert verified within 60 s; see {}", op.log.display())
        });
        let ms = millis(t1.saturating_duration_since(t0));
        eprintln!("abort {i}: {run} reverted {ms:.1} ms after the abort");
        times.push(ms);
        assert_eq!(deployments.get(APP).await.unwrap().spec.unwrap().replicas, Some(REPLICAS));
    }
    println!("abort_to_reverted_ms {} probe_in_flight=10m fault=pod-autoscaler", Stats::of(&times));
    delete_all_runs(client, ns).await;
    delete_project(client, ns).await;
}

/// `n` runs created at once, each scaling its own (paused, so podless) Deployment for 10 s: the time until
/// every one has ended with its revert verified, the operator's memory meanwhile, and whether any run
/// missed its injection or any target was hit by more than one run or more than once.
async fn bench_scale(client: &Client, ns: &str, n: usize) {
    setup_project(client, ns, &[]).await;
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client.clone(), ns);
    let name = |i: usize| format!("t-{i:05}");
    let started = Instant::now();
    futures::stream::iter(0..n)
        .for_each_concurrent(32, |i| {
            let deployments = deployments.clone();
            async move {
                let d: k8s_openapi::api::apps::v1::Deployment = serde_json::from_value(json!({
                    "metadata": {"name": name(i), "labels": {"bench": "scale"}},
                    "spec": {"replicas": 0, "paused": true, "selector": {"matchLabels": {"t": name(i)}},
                             "template": {"metadata": {"labels": {"t": name(i)}},
                                          "spec": {"containers": [{"name": "c", "image": "localhost/none"}]}}}
                }))
                .unwrap();
                deployments
                    .create(&PostParams::default(), &d)
                    .await
                    .expect("failed to create a target Deployment");
            }
        })
        .await;
    eprintln!("scale: {n} paused Deployments in {:.1}s", started.elapsed().as_secs_f64());
    let definition = |i: usize| {
        json!({"steps": [{"name": "scale", "fault": {"type": "pod-autoscaler", "duration": "10s", "params": {"replicas": 1},
            "target": {"namespace": ns, "kind": "Deployment", "name": name(i)}}}]})
    };
    // every run stays in the cluster until counted (the history limit would delete the oldest ones)
    let mut workflow = definition(0);
    workflow["runHistoryLimit"] = json!(1000);
    create_workflow(client, ns, "scale", workflow).await;
    let op = Operator::start(ns);
    wait_for(Duration::from_secs(60), "the operator's controllers", || async {
        op.logs().contains("controllers running").then_some(())
    })
    .await;
    tokio::time::sleep(IDLE_WAIT).await;
    let idle = rss_mib(&op);
    let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), ns);
    let started = Instant::now();
    futures::stream::iter(0..n)
        .for_each_concurrent(32, |i| {
            let runs = runs.clone();
            let definition = definition(i);
            async move {
                let run: ChaosWorkflowRun = serde_json::from_value(json!({
                    "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
                    "metadata": {"name": format!("s-{i:05}"), "labels": {"bench": "scale"}},
                    "spec": {"workflowRef": {"name": "scale"}, "workflow": definition},
                }))
                .unwrap();
                runs.create(&PostParams::default(), &run).await.expect("failed to create a run");
            }
        })
        .await;
    let created = started.elapsed();
    let mut rss_max = 0f64;
    let list = loop {
        rss_max = rss_max.max(rss_mib(&op));
        let list =
            runs.list(&ListParams::default().labels("bench=scale")).await.expect("failed to list the runs");
        let done = list
            .items
            .iter()
            .filter(|r| phase(r).is_finished() && r.metadata.finalizers.as_ref().is_none_or(|f| f.is_empty()))
            .count();
        if done == n {
            break list.items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "only {done} of {n} runs ended within 30 minutes"
        );
        eprintln!(
            "scale: {done}/{n} ended after {:.0}s, operator {:.0} MiB",
            started.elapsed().as_secs_f64(),
            rss_max
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let took = started.elapsed();
    let mut missed = 0;
    let mut duplicates = 0;
    let mut unreverted = 0;
    let mut by_target: BTreeMap<String, usize> = BTreeMap::new();
    for run in &list {
        let status = run.status.clone().unwrap_or_default();
        let targets: Vec<_> = status.steps.iter().flat_map(|s| s.targets.iter()).collect();
        if !targets.iter().any(|t| t.injected_at.is_some()) {
            missed += 1;
        }
        if targets.len() > 1 {
            duplicates += targets.len() - 1;
        }
        unreverted += targets.iter().filter(|t| !t.revert_verified).count();
        for t in targets {
            *by_target.entry(t.name.clone()).or_default() += 1;
        }
    }
    let shared = by_target.values().filter(|n| **n > 1).count();
    let scaled_left = deployments
        .list(&ListParams::default().labels("bench=scale"))
        .await
        .expect("failed to list the Deployments")
        .items
        .iter()
        .filter(|d| d.spec.as_ref().and_then(|s| s.replicas) != Some(0))
        .count();
    let succeeded = list.iter().filter(|r| phase(r) == RunPhase::Succeeded).count();
    println!(
        "scale_runs n={n} succeeded={succeeded} missed={missed} duplicate_injections={duplicates} targets_hit_by_two={shared} \
         unreverted={unreverted} deployments_left_scaled={scaled_left} create_s={:.1} all_ended_s={:.1} rss_idle_mib={idle:.1} rss_max_mib={rss_max:.1}",
        created.as_secs_f64(),
        took.as_secs_f64()
    );
    runs.delete_collection(&DeleteParams::default(), &ListParams::default().labels("bench=scale")).await.ok();
    wait_for(Duration::from_secs(600), "the scale runs deleted", || async {
        runs.list(&ListParams::default().labels("bench=scale")).await.ok()?.items.is_empty().then_some(())
    })
    .await;
    drop(op);
    delete_project(client, ns).await;
}

fn phase(run: &ChaosWorkflowRun) -> RunPhase {
    run.status.as_ref().and_then(|s| s.phase).unwrap_or_default()
}

/// The runs of the `hold` workflow.
async fn hold_runs(runs: &Api<ChaosWorkflowRun>) -> Vec<ChaosWorkflowRun> {
    runs.list(&ListParams::default())
        .await
        .expect("failed to list the runs")
        .items
        .into_iter()
        .filter(|r| r.spec.workflow_ref.name == HOLD)
        .collect()
}

#[derive(Default)]
struct Counts {
    /// Running, with the pod deleted (the step's chaos window is open).
    in_chaos: usize,
    /// Not yet injected (Pending, or Running before the injection).
    starting: usize,
    /// status.phase == Running.
    running: usize,
}

impl Counts {
    fn of(runs: &[ChaosWorkflowRun]) -> Self {
        let mut c = Self::default();
        for run in runs {
            let phase = phase(run);
            let injected = run.status.as_ref().is_some_and(|s| s.steps.iter().any(|st| st.injections > 0));
            if phase == RunPhase::Running {
                c.running += 1;
            }
            if phase == RunPhase::Running && injected {
                c.in_chaos += 1;
            } else if !phase.is_finished() {
                c.starting += 1;
            }
        }
        c
    }
}

/// Other operators that would act on the bench's runs: holders of a fresh `chaoscenter-operator` Lease
/// in a namespace that is not a test namespace (test operators watch only their own namespace).
async fn other_operators(client: &Client) -> Vec<String> {
    let leases: Api<Lease> = Api::all(client.clone());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let now = k8s_openapi::jiff::Timestamp::now();
    let mut found = Vec::new();
    let list = leases
        .list(&ListParams::default().fields("metadata.name=chaoscenter-operator"))
        .await
        .expect("failed to list the operators' Leases");
    for lease in list.items {
        let ns = lease.metadata.namespace.clone().unwrap_or_default();
        let Some(spec) = lease.spec else { continue };
        let fresh = spec.renew_time.is_some_and(|t| now.duration_since(t.0).as_secs() < 30);
        let Some(holder) = spec.holder_identity.filter(|_| fresh) else { continue };
        let test_ns = namespaces
            .get_opt(&ns)
            .await
            .ok()
            .flatten()
            .is_some_and(|n| n.metadata.labels.unwrap_or_default().contains_key(E2E_LABEL));
        if !test_ns {
            found.push(format!("{holder} holding Lease {ns}/chaoscenter-operator"));
        }
    }
    found
}

/// Deletes every run in the namespace and waits until they are gone (the operator removes finalizers).
async fn delete_all_runs(client: &Client, ns: &str) {
    let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), ns);
    runs.delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .expect("failed to delete the runs");
    wait_for(Duration::from_secs(180), "every run to be deleted", || async {
        runs.list(&ListParams::default()).await.ok()?.items.is_empty().then_some(())
    })
    .await;
}

/// Drops every run's finalizers (cleanup after a failure, when the operator may be gone).
async fn strip_run_finalizers(client: &Client, ns: &str) {
    let runs: Api<ChaosWorkflowRun> = Api::namespaced(client.clone(), ns);
    let Ok(list) = runs.list(&ListParams::default()).await else {
        return;
    };
    for run in list.items {
        if run.metadata.finalizers.as_ref().is_some_and(|f| !f.is_empty()) {
            let name = run.metadata.name.unwrap_or_default();
            let patch = json!({"metadata": {"finalizers": null}});
            let _ = runs.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await;
        }
    }
}

/// The apiserver's sign-in costs through real HTTP, with sessions in MongoDB: a login (argon2id at
/// m=19 MiB, t=2, p=1), an authenticated request (JWT check, revocation and generation look-ups), and a
/// membership change made impersonating the caller (a read and a patch of the Project); then its memory.
async fn bench_auth(runs: usize) {
    with_access("bench-auth", &[], |w| async move {
        let token = admin_token(&w).await;
        let pid = w.api.pid().expect("the apiserver is running");
        println!("apiserver_rss_mib value={:.1} after_requests=0", rss_of(pid).unwrap_or(f64::NAN));
        let project = format!("bench-{}", w.ns.rsplit('-').next().unwrap());
        let (status, body) =
            w.api.call("POST", "/auth/projects", Some(&token), Some(json!({"name": project}))).await;
        assert_eq!(status, 201, "{body}");
        let timed =
            |method: &'static str, path: String, token: Option<String>, body: Option<serde_json::Value>| {
                let api = &w.api;
                async move {
                    let started = Instant::now();
                    let (status, answer) = api.call(method, &path, token.as_deref(), body).await;
                    assert!(status < 300, "{method} {path}: {status} {answer}");
                    millis(started.elapsed())
                }
            };
        let login = json!({"username": w.admin, "password": "admin-new-password-1"});
        let mut logins = Vec::new();
        for _ in 0..runs {
            logins.push(timed("POST", "/auth/login".into(), None, Some(login.clone())).await);
        }
        println!("auth_login_ms {}", Stats::of(&logins));
        let mut requests = Vec::new();
        for _ in 0..runs * 10 {
            requests.push(timed("GET", "/auth/me".into(), Some(token.clone()), None).await);
        }
        println!("auth_request_ms {}", Stats::of(&requests));
        let path = format!("/auth/projects/{project}/members/{}", w.admin);
        let mut writes = Vec::new();
        for _ in 0..runs {
            writes
                .push(timed("PUT", path.clone(), Some(token.clone()), Some(json!({"role": "Owner"}))).await);
        }
        println!("auth_impersonated_write_ms {}", Stats::of(&writes));
        let pid = w.api.pid().expect("the apiserver is running");
        println!(
            "apiserver_rss_mib value={:.1} after_requests={}",
            rss_of(pid).unwrap_or(f64::NAN),
            runs * 12
        );
    })
    .await;
}

/// The run-history page through GraphQL (50 runs, filtered by phase, newest first; the first page and a
/// page deep in the history by cursor) with `sizes` runs mirrored, the mirror's lag from a run's status
/// change to MongoDB, and the apiserver's memory with the most runs.
async fn bench_history(sizes: &[usize], samples: usize) {
    use mongodb::bson::{doc, Document};
    with_access("bench-history", &[], |w| async move {
        let token = admin_token(&w).await;
        let project = format!("hist-{}", w.ns.rsplit('-').next().unwrap());
        let (status, body) = w.api.call("POST", "/auth/projects", Some(&token), Some(json!({"name": project}))).await;
        assert_eq!(status, 201, "{body}");
        let db = w.api.database().await;
        let coll = db.collection::<Document>("mirror_chaosworkflowruns");
        let query = HISTORY_PAGE;
        let mut seeded = 0usize;
        for &size in sizes {
            // seed up to `size` runs shaped as the mirror writes them (one a minute, ten workflows)
            let started = Instant::now();
            seed_runs(&w.client, &db, &project, seeded, size).await;
            seeded = size;
            eprintln!("seeded {size} runs in {:.1}s", started.elapsed().as_secs_f64());
            // a cursor in the middle of the history
            let mid = size / 2;
            let middle = Some(cursor_after(mid));
            for (label, cursor) in [("first", None), ("middle", middle)] {
                let mut times = Vec::new();
                for _ in 0..samples {
                    let start = Instant::now();
                    let data = w.api.graphql(&token, query, json!({"p": project, "after": cursor})).await;
                    times.push(millis(start.elapsed()));
                    assert_eq!(data["runs"]["edges"].as_array().map(|e| e.len()), Some(50));
                }
                println!("history_page_ms {} runs={size} page={label} filter=phase", Stats::of(&times));
            }
        }
        let pid = w.api.pid().expect("the apiserver is running");
        println!("apiserver_rss_mib value={:.1} runs_mirrored={seeded}", rss_of(pid).unwrap_or(f64::NAN));

        // mirror lag: a run's status change in the cluster until MongoDB has that version
        let runs: Api<chaoscenter_crds::ChaosWorkflowRun> = Api::namespaced(w.client.clone(), &format!("{project}-chaos"));
        let run: chaoscenter_crds::ChaosWorkflowRun = serde_json::from_value(json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
            "metadata": {"name": "lag"}, "spec": {"workflowRef": {"name": "none"}, "dryRun": true}
        }))
        .unwrap();
        let run = runs.create(&PostParams::default(), &run).await.unwrap();
        let uid = run.metadata.uid.clone().unwrap();
        let mut lags = Vec::new();
        for i in 0..samples {
            let patch = json!({"status": {"conditions": [{"type": "Bench", "status": "True", "reason": "Sample", "message": i.to_string(), "lastTransitionTime": "2026-01-01T00:00:00Z"}]}});
            let start = Instant::now();
            let updated = runs.patch_status("lag", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
            let rv: i64 = updated.metadata.resource_version.unwrap().parse().unwrap();
            loop {
                let found = coll.find_one(doc! { "_id": &uid }).projection(doc! { "resourceVersion": 1 }).await.unwrap();
                let stored = found.and_then(|d| chaoscenter_apiserver::mirror::stored_int(&d, "resourceVersion"));
                if stored.is_some_and(|s| s >= rv) {
                    break;
                }
                assert!(start.elapsed() < Duration::from_secs(30), "the mirror did not catch up in 30 s");
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            lags.push(millis(start.elapsed()));
        }
        println!("mirror_lag_ms {} (status patch to MongoDB, polled every 2 ms)", Stats::of(&lags));
    })
    .await;
}

/// `users` signed-in Viewers of one project (10,000 runs of history) for `hold`: each holds a `runsChanged`
/// subscription and, one request a second, reads the history's first page, a page deep in it by cursor,
/// the project's audit log and `/auth/me`; `/healthz` in the same rotation is the floor (no auth, no
/// database). A run's status changes every 2 s meanwhile, so every subscription has events to carry. Prints
/// p50/p99 per request type, errors, the events each subscription got and their lag, and the apiserver's
/// memory before, at its peak and after.
async fn bench_load(users: usize, hold: Duration) {
    use chaoscenter_e2e::access::new_user;
    use chaoscenter_e2e::graphql_ws::{next_message, subscribe};
    use futures::stream;
    use std::sync::{Arc, Mutex};
    const HISTORY: usize = 10_000;
    const SETUP_CONCURRENCY: usize = 4;
    with_access("bench-load", &[], |w| async move {
        let admin = admin_token(&w).await;
        let suffix = w.ns.rsplit('-').next().unwrap().to_string();
        let project = format!("load-{suffix}");
        let (status, body) = w.api.call("POST", "/auth/projects", Some(&admin), Some(json!({"name": project}))).await;
        assert_eq!(status, 201, "{body}");
        let db = w.api.database().await;
        seed_runs(&w.client, &db, &project, 0, HISTORY).await;
        let started = Instant::now();
        let w = &w;
        let tokens: Vec<String> = stream::iter(0..users)
            .map(|i| {
                let (admin, project, suffix) = (admin.clone(), project.clone(), suffix.clone());
                async move {
                    let name = format!("u{i}-{suffix}");
                    let token = new_user(w, &admin, &name, "load-user-password-1").await;
                    let path = format!("/auth/projects/{project}/members");
                    let (status, body) =
                        w.api.call("POST", &path, Some(&admin), Some(json!({"user": name, "role": "Viewer"}))).await;
                    assert_eq!(status, 200, "{body}");
                    token
                }
            })
            .buffer_unordered(SETUP_CONCURRENCY)
            .collect()
            .await;
        eprintln!("signed in {users} users (each a project Viewer) in {:.1}s", started.elapsed().as_secs_f64());
        let pid = w.api.pid().expect("the apiserver is running");
        let rss_before = rss_of(pid).unwrap_or(f64::NAN);

        // a run of the project whose status the bench changes, so the subscriptions carry events
        let runs: Api<ChaosWorkflowRun> = Api::namespaced(w.client.clone(), &format!("{project}-chaos"));
        let run: ChaosWorkflowRun = serde_json::from_value(json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun",
            "metadata": {"name": "load"}, "spec": {"workflowRef": {"name": "none"}, "dryRun": true}
        }))
        .unwrap();
        runs.create(&PostParams::default(), &run).await.expect("the load run");
        let last_change: Arc<Mutex<Option<Instant>>> = Arc::default();

        type Samples = Arc<Mutex<BTreeMap<&'static str, Vec<f64>>>>;
        let samples: Samples = Arc::default();
        let errors: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let lags: Arc<Mutex<Vec<f64>>> = Arc::default();
        let deadline = Instant::now() + hold;
        let http = reqwest::Client::new();
        let middle = cursor_after(HISTORY / 2);
        let audit = "query($p: String!) { auditLog(project: $p, first: 50) { at actor action kind name } }";
        let user_tasks = tokens.into_iter().enumerate().map(|(i, token)| {
            let (samples, errors, lags, last_change) = (samples.clone(), errors.clone(), lags.clone(), last_change.clone());
            let (http, project, middle) = (http.clone(), project.clone(), middle.clone());
            let url = w.api.url.clone();
            async move {
                let error = |what: String| *errors.lock().unwrap().entry(what).or_default() += 1;
                let sub = "subscription($p: String!) { runsChanged(project: $p) { name phase } }";
                let mut events = 0usize;
                let mut socket = match subscribe(&url, &token, sub, json!({"p": project})).await {
                    Ok(socket) => Some(socket),
                    Err(e) => {
                        error(format!("subscribe: {e}"));
                        None
                    }
                };
                // users start spread over the first second
                tokio::time::sleep(Duration::from_millis((i * 1000 / users.max(1)) as u64)).await;
                let mut turn = i;
                while Instant::now() < deadline {
                    let (kind, request) = match turn % 5 {
                        0 => ("history_first_page", graphql_request(&http, &url, &token, HISTORY_PAGE, json!({"p": project}))),
                        1 => ("history_deep_page", graphql_request(&http, &url, &token, HISTORY_PAGE, json!({"p": project, "after": middle}))),
                        2 => ("audit_log", graphql_request(&http, &url, &token, audit, json!({"p": project}))),
                        3 => ("auth_me", http.get(format!("{url}/auth/me")).bearer_auth(&token)),
                        _ => ("healthz_floor", http.get(format!("{url}/healthz"))),
                    };
                    turn += 1;
                    let start = Instant::now();
                    match request.send().await {
                        Ok(answer) if answer.status().is_success() => {
                            let body = answer.text().await.unwrap_or_default();
                            if body.contains("\"errors\"") {
                                error(format!("{kind}: GraphQL error {}", body.chars().take(200).collect::<String>()));
                            } else {
                                samples.lock().unwrap().entry(kind).or_default().push(millis(start.elapsed()));
                            }
                        }
                        Ok(answer) => error(format!("{kind}: HTTP {}", answer.status())),
                        Err(e) => error(format!("{kind}: {e}")),
                    }
                    // one request a second per user; the subscription's events are read meanwhile
                    let pause = Duration::from_secs(1).saturating_sub(start.elapsed());
                    let until = (Instant::now() + pause).min(deadline);
                    match socket.as_mut() {
                        Some(s) => {
                            while Instant::now() < until {
                                match next_message(s, until - Instant::now()).await {
                                    Some(message) if message["type"] == "next" => {
                                        events += 1;
                                        if let Some(at) = *last_change.lock().unwrap() {
                                            lags.lock().unwrap().push(millis(at.elapsed()));
                                        }
                                    }
                                    Some(message) => {
                                        error(format!("subscription: {}", message.to_string().chars().take(200).collect::<String>()));
                                        socket = None;
                                        break;
                                    }
                                    None if Instant::now() < until => {
                                        error("subscription: closed".into());
                                        socket = None;
                                        break;
                                    }
                                    None => {}
                                }
                            }
                            if socket.is_none() {
                                tokio::time::sleep(until.saturating_duration_since(Instant::now())).await;
                            }
                        }
                        None => tokio::time::sleep(until.saturating_duration_since(Instant::now())).await,
                    }
                }
                (events, socket.is_some())
            }
        });
        let changer = {
            let (runs, last_change) = (runs.clone(), last_change.clone());
            async move {
                let mut i = 0u64;
                while Instant::now() + Duration::from_secs(2) < deadline {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    i += 1;
                    let patch = json!({"status": {"conditions": [{"type": "Bench", "status": "True", "reason": "Load",
                        "message": i.to_string(), "lastTransitionTime": "2026-01-01T00:00:00Z"}]}});
                    *last_change.lock().unwrap() = Some(Instant::now());
                    runs.patch_status("load", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("status patch");
                }
                i
            }
        };
        let sampler = async {
            let mut peak = rss_before;
            while Instant::now() < deadline {
                peak = peak.max(rss_of(pid).unwrap_or(f64::NAN));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            peak
        };
        let (per_user, changes, rss_peak) = tokio::join!(futures::future::join_all(user_tasks), changer, sampler);
        let rss_after = rss_of(pid).unwrap_or(f64::NAN);
        for (kind, times) in samples.lock().unwrap().iter() {
            println!("load_request_ms {} type={kind} users={users}", Stats::of(times));
        }
        let errors = errors.lock().unwrap();
        println!("load_errors value={} users={users} seconds={}", errors.values().sum::<usize>(), hold.as_secs());
        for (what, n) in errors.iter().take(10) {
            println!("load_error count={n} what={what:?}");
        }
        let open = per_user.iter().filter(|(_, open)| *open).count();
        let min_events = per_user.iter().map(|(n, _)| *n).min().unwrap_or(0);
        println!("load_subscriptions open_at_end={open} of={users} status_changes={changes} min_events_per_subscriber={min_events}");
        let lags = lags.lock().unwrap();
        if !lags.is_empty() {
            println!("load_subscription_lag_ms {} (status patch to the event at a subscriber)", Stats::of(&lags));
        }
        println!("apiserver_rss_mib before={rss_before:.1} peak={rss_peak:.1} after={rss_after:.1} users={users}");
    })
    .await;
}

/// A GraphQL POST as `token`.
fn graphql_request(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: serde_json::Value,
) -> reqwest::RequestBuilder {
    http.post(format!("{url}/api/graphql"))
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
}

/// The history page the bench reads: 50 succeeded runs, newest first, from a cursor.
const HISTORY_PAGE: &str = "query($p: String!, $after: String) { runs(project: $p, phase: Succeeded, first: 50, after: $after) {
    edges { cursor node { uid name workflow phase trigger score createdAt deleted } } pageInfo { hasNextPage endCursor } } }";
/// The resident memory (VmRSS) of process `pid` in MiB, if it is running.
fn rss_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The operator's resident memory (VmRSS) in MiB.
fn rss_mib(op: &Operator) -> f64 {
    let pid = op.pid().expect("the operator is running");
    // no status, or no VmRSS (a zombie): it exited
    rss_of(pid).unwrap_or_else(|| {
        let logs = op.logs();
        panic!(
            "the operator (pid {pid}) exited; the last lines of its log {}:\n{}",
            op.log.display(),
            logs.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    })
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A background watch that timestamps, as each event arrives, the first event of each key `hit` picks.
struct Watch {
    events: mpsc::UnboundedReceiver<(Instant, String)>,
    ready: Option<oneshot::Receiver<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Watch {
    /// Watches `api` for objects with `labels`; `hit(object, deleted)` returns the key of an event that
    /// counts (each key is reported once).
    fn start<K>(api: Api<K>, labels: &str, hit: fn(&K, bool) -> Option<String>) -> Self
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    {
        Self::start_with(api, watcher::Config::default().labels(labels), hit)
    }

    fn start_with<K>(api: Api<K>, config: watcher::Config, hit: fn(&K, bool) -> Option<String>) -> Self
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    {
        let (tx, events) = mpsc::unbounded();
        let (ready_tx, ready) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut ready_tx = Some(ready_tx);
            let mut seen = HashSet::new();
            let mut stream = watcher(api, config).default_backoff().boxed();
            while let Some(event) = stream.next().await {
                let at = Instant::now();
                let (object, deleted) = match event {
                    Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o)) => (o, false),
                    Ok(watcher::Event::Delete(o)) => (o, true),
                    Ok(watcher::Event::InitDone) => {
                        if let Some(r) = ready_tx.take() {
                            let _ = r.send(());
                        }
                        continue;
                    }
                    Ok(watcher::Event::Init) => continue,
                    Err(e) => {
                        eprintln!("watch error (retrying): {e}");
                        continue;
                    }
                };
                if let Some(key) = hit(&object, deleted) {
                    if seen.insert(key.clone()) && tx.unbounded_send((at, key)).is_err() {
                        break;
                    }
                }
            }
        });
        Self { events, ready: Some(ready), task }
    }

    /// Like [`Watch::start`], selecting objects by a field selector instead.
    fn start_fields<K>(api: Api<K>, fields: &str, hit: fn(&K, bool) -> Option<String>) -> Self
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    {
        Self::start_with(api, watcher::Config::default().fields(fields), hit)
    }

    /// Waits until the initial list is done.
    async fn ready(&mut self, what: &str) {
        if let Some(ready) = self.ready.take() {
            tokio::time::timeout(Duration::from_secs(30), ready)
                .await
                .unwrap_or_else(|_| panic!("{what} did not start within 30 s"))
                .unwrap_or_else(|_| panic!("{what} ended before it started"));
        }
    }

    /// Forgets events already received.
    fn drain(&mut self) {
        while self.events.try_recv().is_ok() {}
    }

    /// The next event, if one arrives within `timeout`.
    async fn next(&mut self, timeout: Duration) -> Option<(Instant, String)> {
        tokio::time::timeout(timeout, self.events.next()).await.ok().flatten()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Nearest-rank percentiles of a sample (p99 of fewer than 100 samples is the maximum).
struct Stats {
    p50: f64,
    p99: f64,
    min: f64,
    max: f64,
    n: usize,
}

impl Stats {
    fn of(samples: &[f64]) -> Self {
        assert!(!samples.is_empty(), "no samples");
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let rank = |p: f64| sorted[((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1];
        Self { p50: rank(50.0), p99: rank(99.0), min: sorted[0], max: sorted[n - 1], n }
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50={:.1} p99={:.1} min={:.1} max={:.1} n={}",
            self.p50, self.p99, self.min, self.max, self.n
        )
    }
}
