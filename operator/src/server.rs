//! The operator's HTTP endpoints: `/metrics` (Prometheus text) and `/healthz`.

use crate::metrics::Metrics;
use axum::routing::get;
use axum::Router;

/// The router serving metrics and health.
pub fn app(metrics: Metrics) -> Router {
    Router::new().route("/healthz", get(|| async { "ok" })).route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics.encode(),
                )
            }
        }),
    )
}
