//! The apiserver's Prometheus metrics (served at `METRICS_ADDR`): password checks by outcome and reused
//! refresh tokens.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CheckLabels {
    /// `login`, `password-change` or `api-token`.
    pub purpose: String,
    /// `success`, `wrong-password`, `unknown-user`, `disabled`, `throttled` or `busy`.
    pub result: String,
}

/// Every metric the apiserver exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// Password checks (sign-ins and the checks of the current password), by purpose and outcome.
    pub password_checks: Family<CheckLabels, Counter>,
    /// Refresh tokens presented again after they had been exchanged (each ended its session).
    pub refresh_token_reuses: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chaoscenter_apiserver");
        let password_checks = Family::<CheckLabels, Counter>::default();
        let refresh_token_reuses = Counter::default();
        registry.register(
            "password_checks",
            "Password checks by purpose and outcome (failed and throttled sign-ins among them)",
            password_checks.clone(),
        );
        registry.register(
            "refresh_token_reuses",
            "Refresh tokens presented again after their exchange; each ended its session",
            refresh_token_reuses.clone(),
        );
        Self { registry: Arc::new(registry), password_checks, refresh_token_reuses }
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
}
