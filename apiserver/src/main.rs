//! The apiserver binary: for now it starts, logs, and stops cleanly on SIGTERM or Ctrl-C; the auth and
//! GraphQL endpoints come with their issues.

use tokio::signal::unix::{signal, SignalKind};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut term = signal(SignalKind::terminate())?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "chaoscenter-apiserver started");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received, shutting down"),
    }
    tracing::info!("chaoscenter-apiserver stopped");
    Ok(())
}
