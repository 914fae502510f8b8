//! The apiserver's Prometheus metrics (served at `METRICS_ADDR`): HTTP requests by route and status and
//! their durations, password checks by outcome, reused refresh tokens, and how far the MongoDB mirror is
//! behind the cluster (and its watch's errors).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CheckLabels {
    /// `login`, `password-change` or `api-token`.
    pub purpose: String,
    /// `success`, `wrong-password`, `unknown-user`, `disabled`, `throttled` or `busy`.
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route's pattern (e.g. `/auth/login`), or `(other)` for the web UI and unknown paths.
    pub route: String,
    /// The answer's status code.
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

/// Every metric the apiserver exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// Password checks (sign-ins and the checks of the current password), by purpose and outcome.
    pub password_checks: Family<CheckLabels, Counter>,
    /// Refresh tokens presented again after they had been exchanged (each ended its session).
    pub refresh_token_reuses: Counter,
    /// HTTP requests answered, by method, route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// How long answering took (until the answer's head), by method and route.
    pub request_duration: Family<RouteLabels, Histogram>,
    /// The mirror's backlogs, read at each scrape.
    pub mirror: crate::mirror::Lag,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chaoscenter_apiserver");
        let password_checks = Family::<CheckLabels, Counter>::default();
        let refresh_token_reuses = Counter::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let request_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 12))
        });
        registry.register(
            "password_checks",
            "Password checks by purpose and outcome (failed and throttled sign-ins among them)",
            Listed(password_checks.clone()),
        );
        registry.register(
            "refresh_token_reuses",
            "Refresh tokens presented again after their exchange; each ended its session",
            refresh_token_reuses.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            Listed(requests.clone()),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route",
            Listed(request_duration.clone()),
        );
        let mirror = crate::mirror::Lag::default();
        registry.register_collector(Box::new(MirrorGauges(mirror.clone())));
        Self {
            registry: Arc::new(registry),
            password_checks,
            refresh_token_reuses,
            requests,
            request_duration,
            mirror,
        }
    }
}

impl Metrics {
    /// The metrics in Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    pub fn password_check(&self, purpose: &str, result: &str) {
        self.password_checks
            .get_or_create(&CheckLabels { purpose: purpose.into(), result: result.into() })
            .inc();
    }

    /// The router serving `/metrics`.
    pub fn router(self) -> axum::Router {
        axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = self.clone();
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
}

/// Middleware counting each request and timing its answer, by route pattern (never the raw path, so
/// names and ids in paths make no new series).
pub async fn track(
    axum::extract::State(metrics): axum::extract::State<Metrics>,
    route: Option<axum::extract::MatchedPath>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = request.method().as_str().to_string();
    let route = route.map(|r| r.as_str().to_string()).unwrap_or_else(|| "(other)".into());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics
        .request_duration
        .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
        .observe(started.elapsed().as_secs_f64());
    metrics.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    response
}

/// A metric that is listed (its `# HELP` and `# TYPE` lines) even before it has a value: prometheus-client
/// leaves out families without any label set, and dashboards, alerts and their tests look for every name.
/// (The operator's metrics have the same wrapper.)
#[derive(Debug)]
struct Listed<M>(M);

impl<M: EncodeMetric> EncodeMetric for Listed<M> {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }
}

/// The mirror's gauges, read from its backlogs at each scrape.
struct MirrorGauges(crate::mirror::Lag);

impl std::fmt::Debug for MirrorGauges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MirrorGauges")
    }
}

impl Collector for MirrorGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let kinds = self.0.read();
        let labels: Vec<[(&str, &str); 1]> = kinds.iter().map(|k| [("kind", k.kind.as_str())]).collect();
        {
            let mut lag = encoder.encode_descriptor(
                "mirror_lag_seconds",
                "How far the MongoDB mirror is behind the cluster, by kind: since the oldest change seen and \
                 not written yet, or since a list of the kind began that is not complete (0 when caught up)",
                None,
                MetricType::Gauge,
            )?;
            for (k, labels) in kinds.iter().zip(&labels) {
                ConstGauge::new(k.behind.as_secs_f64()).encode(lag.encode_family(labels)?)?;
            }
        }
        {
            let mut pending = encoder.encode_descriptor(
                "mirror_pending",
                "Objects whose latest change the mirror has seen and not written to MongoDB yet, by kind",
                None,
                MetricType::Gauge,
            )?;
            for (k, labels) in kinds.iter().zip(&labels) {
                let waiting = i64::try_from(k.pending).unwrap_or(i64::MAX);
                ConstGauge::new(waiting).encode(pending.encode_family(labels)?)?;
            }
        }
        let mut errors = encoder.encode_descriptor(
            "mirror_watch_errors",
            "Errors of the mirror's watch of the cluster, by kind (each retried)",
            None,
            MetricType::Counter,
        )?;
        for (k, labels) in kinds.iter().zip(&labels) {
            ConstCounter::new(k.watch_errors).encode(errors.encode_family(labels)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_appear_in_the_text_format() {
        let m = Metrics::default();
        m.password_check("login", "throttled");
        m.password_check("login", "throttled");
        m.refresh_token_reuses.inc();
        let text = m.encode();
        assert!(
            text.contains(
                r#"chaoscenter_apiserver_password_checks_total{purpose="login",result="throttled"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains("chaoscenter_apiserver_refresh_token_reuses_total 1"), "{text}");
    }

    #[test]
    fn every_family_is_listed_before_anything_happened() {
        let text = Metrics::default().encode();
        for line in [
            "# TYPE chaoscenter_apiserver_password_checks counter",
            "# TYPE chaoscenter_apiserver_refresh_token_reuses counter",
            "# TYPE chaoscenter_apiserver_http_requests counter",
            "# TYPE chaoscenter_apiserver_http_request_duration_seconds histogram",
            "# TYPE chaoscenter_apiserver_mirror_lag_seconds gauge",
            "# TYPE chaoscenter_apiserver_mirror_pending gauge",
            "# TYPE chaoscenter_apiserver_mirror_watch_errors counter",
        ] {
            assert!(text.contains(line), "{line} in:\n{text}");
        }
    }

    #[tokio::test]
    async fn requests_are_counted_by_route_pattern() {
        use tower::ServiceExt;
        let metrics = Metrics::default();
        let app = axum::Router::new()
            .route("/runs/{name}", axum::routing::get(|| async { "ok" }))
            .fallback(|| async { axum::http::StatusCode::NOT_FOUND })
            .layer(axum::middleware::from_fn_with_state(metrics.clone(), track));
        for path in ["/runs/a", "/runs/b", "/nothing"] {
            let request = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
            app.clone().oneshot(request).await.unwrap();
        }
        let text = metrics.encode();
        let ok =
            r#"chaoscenter_apiserver_http_requests_total{method="GET",route="/runs/{name}",status="200"} 2"#;
        assert!(text.contains(ok), "{text}");
        let other =
            r#"chaoscenter_apiserver_http_requests_total{method="GET",route="(other)",status="404"} 1"#;
        assert!(text.contains(other), "{text}");
        assert!(
            text.contains(r#"chaoscenter_apiserver_http_request_duration_seconds_count{method="GET",route="/runs/{name}"} 2"#),
            "{text}"
        );
    }
}
