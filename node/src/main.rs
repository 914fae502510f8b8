//! The node agent binary: reads its settings, finds what the node can do, replays the journal, then
//! renews its Lease and runs the injection controller until SIGTERM, when it reverts everything it applied.
//! Started as `chaoscenter-node stress …`, it is one of its own stressor processes instead.

use chaoscenter_crds::injection::{ChaosInjection, NODE_LABEL};
use chaoscenter_node::agent::Agent;
use chaoscenter_node::config::Config;
use chaoscenter_node::controller::{self, Context};
use futures::StreamExt;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::{watcher, Controller};
use kube::{Api, Client};
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};

fn main() -> anyhow::Result<()> {
    // the agent's binary is also its stressors' (`held.rs`): no runtime, no client, no logging there
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(chaoscenter_node::stress::SUBCOMMAND) {
        std::process::exit(chaoscenter_node::stress::child_main(&args));
    }
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(agent())
}

async fn agent() -> anyhow::Result<()> {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,kube=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if std::env::var("LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
    let config = Config::from_env()?;
    let caps = tokio::task::spawn_blocking(chaoscenter_node::caps::detect).await?;
    let agent = Arc::new(Agent::new(config.clone(), caps.clone())?);
    agent.replay().await?;
    let client = Client::try_default().await?;
    tokio::spawn(chaoscenter_node::lease::renew_forever(
        client.clone(),
        config.node_name.clone(),
        config.namespace.clone(),
        config.identity.clone(),
        caps,
    ));
    let mut term = signal(SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received: reverting every fault, then exiting"),
            _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received: reverting every fault, then exiting"),
        }
    };
    let injections: Api<ChaosInjection> = match &config.watch_namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let selector = format!("{NODE_LABEL}={}", config.node_name);
    tracing::info!(node = %config.node_name, identity = %config.identity, "chaoscenter-node started");
    let reporter =
        Reporter { controller: "chaoscenter-node".into(), instance: Some(config.identity.clone()) };
    let recorder = Recorder::new(client.clone(), reporter);
    let ctx = Arc::new(Context { client: client.clone(), agent: agent.clone(), recorder });
    Controller::new(injections, watcher::Config::default().labels(&selector))
        .graceful_shutdown_on(shutdown)
        .run(controller::reconcile, controller::error_policy, ctx)
        .for_each(|_| async {})
        .await;
    let reverted = agent.revert_all().await;
    let clean = reverted.iter().all(|(_, r)| r.verified);
    tracing::info!(reverted = reverted.len(), verified = clean, "stopped");
    controller::report_shutdown(&client, &agent, reverted).await;
    anyhow::ensure!(
        clean,
        "some faults could not be verified as removed (see above; the journal keeps them)"
    );
    Ok(())
}
