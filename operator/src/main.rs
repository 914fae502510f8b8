//! The operator binary: wires configuration, the metrics server, leader election and the controllers,
//! and shuts down cleanly on SIGTERM or Ctrl-C.

use chaoscenter_crds::access::{
    ADMIN_ROLE, EDITOR_ROLE, IMPERSONATE_ROLE, MANAGED_BY, MANAGED_BY_LABEL, OWNER_ROLE, VIEWER_ROLE,
};
use chaoscenter_crds::common::PROJECT_LABEL;
use chaoscenter_crds::{ChaosHub, ChaosUser, ChaosWorkflow, ChaosWorkflowRun, Project};
use chaoscenter_operator::config::Config;
use chaoscenter_operator::controllers::tasks::Tasks;
use chaoscenter_operator::controllers::{self, AccessContext, Context};
use chaoscenter_operator::leader::LeaderElector;
use chaoscenter_operator::metrics::Metrics;
use chaoscenter_operator::probes::egress;
use chaoscenter_operator::runlog::{self, RunLogs};
use chaoscenter_operator::world::World;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::RoleBinding;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{conditions, wait::await_condition, watcher, Controller, WatchStreamExt};
use kube::{Client, ResourceExt};
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tracing::Instrument;
use tracing_subscriber::prelude::*;

/// How many runs are reconciled at once. A reconcile never waits for a probe or an injection (those are
/// tasks), so a few dozen keep up with thousands of runs without flooding the API server when they all
/// start together.
const RUN_RECONCILES: u16 = 32;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // two outputs: the operator's own (stderr, filtered by RUST_LOG) and the run logs, which take every
    // line about a run at info and above whatever RUST_LOG says (and cmd probes' output, which only they take)
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,kube=warn".into())
        .add_directive(runlog::quiet_output());
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let logs = RunLogs::default();
    let subscriber = tracing_subscriber::registry().with(logs.clone().with_filter(runlog::filter()));
    if std::env::var("LOG_FORMAT").as_deref() == Ok("json") {
        subscriber.with(stderr.json().with_filter(filter)).init();
    } else {
        subscriber.with(stderr.with_filter(filter)).init();
    }
    let config = Config::from_env()?;
    // TLS for the hubs' git client (reqwest without a provider of its own): ring, as everywhere else
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut term = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
            _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received, shutting down"),
        }
        let _ = stop_tx.send(true);
    });
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };

    // this replica's own hub cache, cleared of a crash's ssh keys before any fetch; one that cannot be
    // written fails every git hub (each says why), the rest still works
    match chaoscenter_operator::git::prepare_cache(&config.hub_cache_dir) {
        Ok(()) => tracing::info!(dir = %config.hub_cache_dir.display(), "hub cache ready"),
        Err(error) => {
            tracing::error!(dir = %config.hub_cache_dir.display(), %error, "the hub cache cannot be prepared; git hubs will fail to sync")
        }
    }

    let metrics = Metrics::default();
    let listener = tokio::net::TcpListener::bind(config.metrics_addr).await?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        metrics = %listener.local_addr()?,
        namespace = %config.namespace,
        identity = %config.identity,
        "chaoscenter-operator started"
    );
    let server = axum::serve(listener, chaoscenter_operator::server::app(metrics.clone()))
        .with_graceful_shutdown(stopped());
    let server = tokio::spawn(async move { server.await });

    // `run` returns once the shutdown signal has stopped everything it started.
    if let Err(err) = run(config, metrics, logs, stopped.clone()).await {
        tracing::error!(error = %err, "operator failed");
        return Err(err);
    }
    let _ = server.await;
    tracing::info!("chaoscenter-operator stopped");
    Ok(())
}

async fn run<F, Fut>(config: Config, metrics: Metrics, logs: RunLogs, stopped: F) -> anyhow::Result<()>
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + Sync + 'static,
{
    let mut kube_config = kube::Config::infer().await?;
    // HTTPS_PROXY in the environment is for what the operator fetches from outside (hubs' git
    // repositories): the Kubernetes API is reached directly, as before, unless the kubeconfig itself names a
    // proxy (kube-rs would otherwise take the variable for its own and refuse to start without a feature)
    let env_proxy =
        ["HTTPS_PROXY", "https_proxy"].iter().find_map(|v| std::env::var(v).ok()).filter(|v| !v.is_empty());
    if kube_config.proxy_url.as_ref().map(|u| u.to_string().trim_end_matches('/').to_string())
        == env_proxy.map(|p| p.trim_end_matches('/').to_string())
    {
        kube_config.proxy_url = None;
    }
    // the cluster records our writes (e.g. scheduled runs) under this field manager, taken from the User-Agent
    kube_config.headers.push((
        axum::http::header::USER_AGENT,
        axum::http::HeaderValue::from_static(concat!("chaoscenter-operator/", env!("CARGO_PKG_VERSION"))),
    ));
    // probes may never reach the Kubernetes API, also not where this client reaches it
    let kube_api = egress::addresses_of(&kube_config.cluster_url).await;
    let client = Client::try_from(kube_config)?;
    ensure_namespace(&client, &config.namespace).await;

    let elector = LeaderElector::new(client.clone(), &config.namespace, &config.identity);
    tokio::select! {
        _ = elector.acquire() => tracing::info!(identity = %config.identity, "leading"),
        _ = stopped() => return Ok(()),
    }

    // Controllers start only once their CRDs are established.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut wanted = vec![
        "chaosworkflows.chaoscenter.io",
        "chaosworkflowruns.chaoscenter.io",
        "chaoshubs.chaoscenter.io",
        "chaostemplates.chaoscenter.io",
    ];
    if config.runs_access_controllers() {
        wanted.extend(["projects.chaoscenter.io", "chaosusers.chaoscenter.io"]);
    }
    for name in wanted {
        tracing::info!(crd = name, "waiting for the CRD to be established");
        tokio::select! {
            established = await_condition(crds.clone(), name, conditions::is_crd_established()) => { established?; }
            _ = stopped() => {
                elector.release().await;
                return Ok(());
            }
        }
    }

    let (runs, workflows): (Api<ChaosWorkflowRun>, Api<ChaosWorkflow>) = match &config.watch_namespace {
        Some(ns) => (Api::namespaced(client.clone(), ns), Api::namespaced(client.clone(), ns)),
        None => (Api::all(client.clone()), Api::all(client.clone())),
    };
    let run_controller = Controller::new(runs.clone(), watcher::Config::default().any_semantic());
    let workflow_controller = Controller::new(workflows, watcher::Config::default().any_semantic());
    let reporter =
        Reporter { controller: "chaoscenter-operator".into(), instance: Some(config.identity.clone()) };
    let (world, fillers, changes) =
        World::start(&client, &config.namespace, run_controller.store(), workflow_controller.store());
    let (tasks, woken) = Tasks::new();
    let (egress_view, egress_fillers) = egress::Caches::start(&client, &config.namespace);
    let policy = egress::Policy {
        allow: config.probe_egress_allow.clone(),
        deny: config.probe_egress_deny.clone(),
        control_namespace: config.namespace.clone(),
        kube_api,
    };
    tracing::info!(
        allow = ?policy.allow,
        deny = ?policy.deny,
        kube_api = ?policy.kube_api,
        "probe egress policy"
    );
    let ctx = Arc::new(Context {
        client: client.clone(),
        recorder: Recorder::new(client.clone(), reporter.clone()),
        metrics,
        egress: egress::Egress::new(policy, egress_view),
        world,
        claims: Default::default(),
        tasks: Arc::new(tasks),
        panics: Default::default(),
        written: Default::default(),
        admitted: Default::default(),
        config: config.clone(),
    });
    // the gauges read the caches from now on (and a cache of the node agents' Leases)
    let agent_leases = ctx.metrics.watch(&client, &ctx.world);
    for filler in fillers.into_iter().chain(egress_fillers).chain([agent_leases]) {
        tokio::spawn(filler);
    }
    // the run logs, written to each run's ChaosRunLog every second
    let flusher = tokio::spawn(runlog::flush_every(logs.clone(), client.clone(), ctx.world.runs.clone()));
    // tasks of runs that are gone (deleted without a finalizer) are cancelled
    let sweeper = {
        let ctx = ctx.clone();
        async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                let live = ctx.world.runs.state().iter().filter_map(|r| r.metadata.uid.clone()).collect();
                ctx.tasks.sweep(&live).await;
            }
        }
    };

    // Any change that may change what runs may do (the halt switch, namespace and node labels, projects)
    // re-examines every run at once; a task that reported wakes its run.
    let run_loop = run_controller
        .with_config(kube::runtime::controller::Config::default().concurrency(RUN_RECONCILES))
        .reconcile_all_on(changes)
        .reconcile_on(woken)
        .graceful_shutdown_on(stopped())
        .run(
            // every line about a run, its tasks' included, is logged in its span (its uid on each)
            |run, ctx| {
                let span = runlog::span(&run);
                controllers::run::reconcile(run, ctx).instrument(span)
            },
            |run, error, ctx| runlog::span(&run).in_scope(|| controllers::run::error_policy(run, error, ctx)),
            ctx.clone(),
        )
        .for_each(|_| futures::future::ready(()));
    let workflow_loop = workflow_controller
        .owns(runs, watcher::Config::default().any_semantic())
        .graceful_shutdown_on(stopped())
        .run(controllers::workflow::reconcile, controllers::workflow::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    let hubs: Api<ChaosHub> = match &config.watch_namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let hub_controller = Controller::new(hubs, watcher::Config::default().any_semantic());
    let hub_ctx = Arc::new(controllers::hub::HubContext {
        client: client.clone(),
        recorder: Recorder::new(client.clone(), reporter.clone()),
        metrics: ctx.metrics.clone(),
        config: config.clone(),
        attempts: Default::default(),
        hubs: hub_controller.store(),
    });
    // a sync blocks a thread on the network for up to HUB_FETCH_TIMEOUT: a few at once
    let hub_loop = hub_controller
        .with_config(kube::runtime::controller::Config::default().concurrency(4))
        .graceful_shutdown_on(stopped())
        .run(controllers::hub::reconcile, controllers::hub::error_policy, hub_ctx)
        .for_each(|_| futures::future::ready(()));
    let access_loop = access_controllers(&client, &config, ctx.metrics.clone(), reporter, stopped.clone());
    tracing::info!(namespace = config.watch_namespace.as_deref().unwrap_or("(all)"), "controllers running");
    tokio::select! {
        _ = futures::future::join4(run_loop, workflow_loop, hub_loop, access_loop) => {
            ctx.tasks.sweep(&Default::default()).await;
            flusher.abort();
            logs.flush(&client, &ctx.world.runs).await;
            elector.release().await;
            Ok(())
        }
        _ = elector.keep() => anyhow::bail!("lost the leader lease; exiting so a replica that holds it takes over"),
        _ = sweeper => unreachable!("the sweeper never ends"),
    }
}

/// The Project and ChaosUser controllers (when this operator runs them), until the shutdown signal.
async fn access_controllers<F, Fut>(
    client: &Client,
    config: &Config,
    metrics: Metrics,
    reporter: Reporter,
    stopped: F,
) where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + Sync + 'static,
{
    if !config.runs_access_controllers() {
        return;
    }
    // the roles ship with the install (config/rbac); bindings to a missing role would grant nothing
    let roles: Api<k8s_openapi::api::rbac::v1::ClusterRole> = Api::all(client.clone());
    for role in [OWNER_ROLE, EDITOR_ROLE, VIEWER_ROLE, ADMIN_ROLE, IMPERSONATE_ROLE] {
        if let Ok(None) = roles.get_opt(role).await {
            tracing::error!(
                role,
                "ClusterRole missing: members bound to it get no access; install config/rbac"
            );
        }
    }
    let mut selected = watcher::Config::default().any_semantic();
    if let Some(selector) = &config.watch_selector {
        selected = selected.labels(selector);
    }
    let projects: Api<Project> = Api::all(client.clone());
    let users: Api<ChaosUser> = Api::all(client.clone());
    let project_controller = Controller::new(projects.clone(), selected.clone());
    let user_controller = Controller::new(users.clone(), selected.clone());
    let ctx = Arc::new(AccessContext {
        client: client.clone(),
        recorder: Recorder::new(client.clone(), reporter),
        metrics,
        projects: project_controller.store(),
        users: user_controller.store(),
        service_account: config.service_account.clone(),
        builtin_hub: config.builtin_hub,
    });
    // a user's change (e.g. disabled) re-binds the projects that list the user
    let project_store = project_controller.store();
    let by_member = move |user: ChaosUser| {
        let name = user.name_any();
        project_store
            .state()
            .iter()
            .filter(|p| p.spec.members.iter().any(|m| m.user == name))
            .map(|p| ObjectRef::new(&p.name_any()))
            .collect::<Vec<_>>()
    };
    let by_label = |meta: &ObjectMeta| meta.labels.as_ref()?.get(PROJECT_LABEL).map(|p| ObjectRef::new(p));
    let managed = watcher::Config::default().labels(&format!("{MANAGED_BY_LABEL}={MANAGED_BY}"));
    let project_loop = project_controller
        .watches(users, selected, by_member)
        .watches(Api::<RoleBinding>::all(client.clone()), managed, move |rb| by_label(&rb.metadata))
        .watches(
            Api::<Namespace>::all(client.clone()),
            watcher::Config::default().labels(PROJECT_LABEL),
            move |ns| by_label(&ns.metadata),
        )
        .graceful_shutdown_on(stopped())
        .run(controllers::project::reconcile, controllers::project::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    // any project change may change a user's memberships
    let project_changes =
        watcher(projects, watcher::Config::default().any_semantic()).touched_objects().map(|_| ());
    let user_loop = user_controller
        .reconcile_all_on(project_changes)
        .graceful_shutdown_on(stopped())
        .run(controllers::user::reconcile, controllers::user::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    let impersonation = async move {
        tokio::select! {
            _ = controllers::user::keep_impersonation_role(ctx) => {}
            _ = stopped() => {}
        }
    };
    tracing::info!(
        selector = config.watch_selector.as_deref().unwrap_or("(all)"),
        "project and user controllers running"
    );
    futures::future::join3(project_loop, user_loop, impersonation).await;
}

/// Creates the control-plane namespace if it is missing (for `cargo run` against a fresh cluster).
async fn ensure_namespace(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    if let Ok(None) = api.get_opt(name).await {
        let ns = Namespace {
            metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
            ..Default::default()
        };
        if let Err(err) = api.create(&PostParams::default(), &ns).await {
            tracing::warn!(%err, namespace = name, "could not create the control-plane namespace");
        }
    }
}
