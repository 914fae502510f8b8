//! The apiserver binary: configuration, the first admin and signing key, the HTTP server, and a clean
//! stop on SIGTERM or Ctrl-C.

use chaoscenter_apiserver::app::{app, AppState};
use chaoscenter_apiserver::cluster::Cluster;
use chaoscenter_apiserver::config::Config;
use chaoscenter_apiserver::history_store::MongoHistory;
use chaoscenter_apiserver::mirror;
use chaoscenter_apiserver::passwords::Passwords;
use chaoscenter_apiserver::store::{AuthStore, TokenStore};
use chaoscenter_apiserver::tokens::TokenKeys;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let mut term = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
            _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received, shutting down"),
        }
        let _ = stop_tx.send(true);
    });
    tracing::info!(version = env!("CARGO_PKG_VERSION"), namespace = %config.namespace, "chaoscenter-apiserver started");
    let mut stopped = stop_rx.clone();
    tokio::select! {
        result = serve(config, stop_rx.clone()) => result?,
        _ = stopped.wait_for(|s| *s) => {}
    }
    let _ = stop_rx.wait_for(|s| *s).await;
    tracing::info!("chaoscenter-apiserver stopped");
    Ok(())
}

/// Connects to Kubernetes and MongoDB (retrying until they answer), prepares the signing key and the first
/// admin, and serves until the stop signal.
async fn serve(config: Config, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    let cluster = Cluster::connect(&config).await?;
    let key = retry("read the JWT signing key", || cluster.signing_key()).await;
    let keys = TokenKeys::new(&key, &config.issuer, &config.audience)?;
    let mongo = mongodb::Client::with_uri_str(&config.mongodb_uri).await?;
    let db = mongo.database(&config.database);
    let store: Arc<dyn TokenStore> =
        Arc::new(retry("prepare the MongoDB collections", || AuthStore::open(&db)).await);
    retry("create the mirror's indexes", || mirror::ensure_indexes(&db)).await;
    retry("create the audit log's indexes", || chaoscenter_apiserver::audit::ensure_indexes(&db)).await;
    // the webhook serves before anything here writes a ChaosCenter object (the first admin), as the
    // Kubernetes API server asks it about every such write
    if let Some(webhook) = config.webhook.clone() {
        let (client, db) = (cluster.client.clone(), db.clone());
        tokio::spawn(async move {
            if let Err(err) = chaoscenter_apiserver::webhook::serve(webhook, client, db).await {
                tracing::error!(error = %err, "the admission webhook stopped");
            }
        });
    }
    let metrics = chaoscenter_apiserver::metrics::Metrics::default();
    let mirror_events = mirror::start(&cluster.client, &db, cluster.projects.clone(), metrics.mirror.clone());
    let passwords = Passwords::start(config.hash_workers, config.hash_queue).await;
    chaoscenter_apiserver::auth::end_tokens_of_disabled_users(cluster.client.clone(), store.clone());
    retry("create the first admin", || cluster.bootstrap_admin(&config.admin_username, &passwords)).await;
    cluster.ready().await;
    let listener = tokio::net::TcpListener::bind(config.listen_addr).await?;
    tracing::info!(listen = %listener.local_addr()?, "serving");
    let schema = chaoscenter_apiserver::graphql::schema(config.graphql_introspection);
    if let Some(addr) = config.metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(metrics = %listener.local_addr()?, "Prometheus metrics at /metrics");
        let app = metrics.clone().router();
        tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(error = %err, "the metrics server stopped");
            }
        });
    }
    let state = Arc::new(AppState {
        schema,
        config,
        cluster,
        store,
        history: Arc::new(MongoHistory { db }),
        keys,
        throttle: Default::default(),
        passwords,
        metrics,
        mirror_events,
    });
    // the TCP peer's address is the client's (login throttling; see client.rs)
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await?;
    Ok(())
}

/// Runs `op` until it succeeds, logging each failure and waiting longer each time (up to 30 s).
async fn retry<T, E, F, Fut>(what: &str, mut op: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut wait = Duration::from_millis(500);
    loop {
        match op().await {
            Ok(value) => return value,
            Err(err) => {
                tracing::warn!(error = %err, "failed to {what}; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}
