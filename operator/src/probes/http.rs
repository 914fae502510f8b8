//! The http probe: one GET, HEAD or POST to an address the egress policy allows, its response's status
//! and (the first MiB of) its body checked. What it reports is the status and, when asked for, whether the
//! body holds the expected text: never the body.

use super::egress::Egress;
use super::{read_bounded, show_duration, transport_reason, CheckOutcome, MAX_RESPONSE_BYTES};
use chaoscenter_core::compare::cut;
use chaoscenter_core::plan::HttpCheck;
use chaoscenter_crds::workflow::HttpMethod;
use reqwest::Url;
use std::time::Duration;

/// The most characters of `expectBodyContains` quoted in a message.
const QUOTED: usize = 64;

/// Sends the probe's request once, bounded by `timeout`. Passes when the status is `expectStatus` (any
/// 2xx when absent) and, if `expectBodyContains` is set, the first MiB of the body contains it. A redirect
/// is not followed: its 3xx is the status.
pub async fn check(egress: &Egress, probe: &HttpCheck, timeout: Duration) -> CheckOutcome {
    let Some(method) = method(probe.method) else {
        return CheckOutcome::failed(format!("method {:?} is not allowed for a probe", probe.method));
    };
    let Ok(url) = Url::parse(&probe.url) else {
        return CheckOutcome::failed("the URL is not valid".into());
    };
    let client = match egress.client(&url, timeout).await {
        Ok(client) => client,
        Err(refused) => return CheckOutcome::failed(refused),
    };
    let mut builder = client.request(method, url).timeout(timeout);
    if let Some(body) = &probe.body {
        builder = builder.body(body.clone());
    }
    let mut response = match builder.send().await {
        Ok(response) => response,
        Err(e) => return CheckOutcome::failed(transport_reason(&e, timeout)),
    };
    let status = response.status().as_u16();
    let status_ok = match probe.expect_status {
        Some(expected) => status == expected,
        None => response.status().is_success(),
    };
    if !status_ok {
        let expected = probe.expect_status.map_or_else(|| "2xx".to_string(), |s| s.to_string());
        return CheckOutcome::failed(format!("HTTP {status} (expected {expected})"));
    }
    let Some(needle) = &probe.expect_body_contains else {
        return CheckOutcome::passed(format!("HTTP {status}"));
    };
    let quoted = format!("{:?}", cut(needle, QUOTED));
    match read_bounded(&mut response, MAX_RESPONSE_BYTES).await {
        Ok((body, _)) if String::from_utf8_lossy(&body).contains(needle.as_str()) => {
            CheckOutcome::passed(format!("HTTP {status}, body contains {quoted}"))
        }
        Ok((_, true)) => CheckOutcome::failed(format!("HTTP {status}, body does not contain {quoted}")),
        Ok((_, false)) => CheckOutcome::failed(format!(
            "HTTP {status}, the body's first {} KiB do not contain {quoted}",
            MAX_RESPONSE_BYTES / 1024
        )),
        Err(e) if e.is_timeout() => {
            CheckOutcome::failed(format!("HTTP {status}, body not read within {}", show_duration(timeout)))
        }
        Err(e) => {
            CheckOutcome::failed(format!("HTTP {status}, body not read: {}", transport_reason(&e, timeout)))
        }
    }
}

/// The request method; `None` for the methods the validator refuses (a probe reads or asks, it does not
/// change things).
fn method(method: HttpMethod) -> Option<reqwest::Method> {
    match method {
        HttpMethod::GET => Some(reqwest::Method::GET),
        HttpMethod::HEAD => Some(reqwest::Method::HEAD),
        HttpMethod::POST => Some(reqwest::Method::POST),
        HttpMethod::PUT | HttpMethod::DELETE | HttpMethod::PATCH => None,
    }
}

#[cfg(test)]
mod http_tests {
    use super::*;
    use crate::probes::egress::{Fixed, Policy, REFUSED};
    use crate::probes::testing::{loopback_egress, refused_url, serve};
    use axum::{
        http::{Method, StatusCode},
        response::Redirect,
        routing::{any, get},
        Router,
    };
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn router() -> Router {
        Router::new()
            .route("/ok", get(|| async { "status: ready" }))
            .route("/created", any(|| async { (StatusCode::CREATED, "made") }))
            .route("/unavailable", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }))
            .route("/secret", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "password=hunter2") }))
            .route("/echo", any(|method: Method, body: String| async move { format!("{method} {body}") }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    "late"
                }),
            )
    }

    fn probe(url: String) -> HttpCheck {
        HttpCheck {
            url,
            method: HttpMethod::GET,
            body: None,
            expect_status: None,
            expect_body_contains: None,
        }
    }

    const TIMEOUT: Duration = Duration::from_secs(5);

    /// A server counting the requests it gets.
    async fn counted() -> (String, Arc<AtomicU32>) {
        let hits = Arc::new(AtomicU32::new(0));
        let counter = hits.clone();
        let router = Router::new().fallback(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { "reached" }
        });
        (serve(router).await, hits)
    }

    #[tokio::test]
    async fn any_2xx_passes_when_no_status_is_expected() {
        let base = serve(router()).await;
        let egress = loopback_egress();
        for path in ["/ok", "/created"] {
            let outcome = check(&egress, &probe(format!("{base}{path}")), TIMEOUT).await;
            assert!(outcome.passed, "{outcome:?}");
        }
        let outcome = check(&egress, &probe(format!("{base}/created")), TIMEOUT).await;
        assert_eq!(outcome.message, "HTTP 201");
    }

    #[tokio::test]
    async fn expected_status_must_match_exactly() {
        let base = serve(router()).await;
        let egress = loopback_egress();
        let mut p = probe(format!("{base}/created"));
        p.expect_status = Some(200);
        let outcome = check(&egress, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 201 (expected 200)".into()));
        let mut p = probe(format!("{base}/unavailable"));
        p.expect_status = Some(503);
        let outcome = check(&egress, &p, TIMEOUT).await;
        assert!(outcome.passed, "{outcome:?}");
    }

    #[tokio::test]
    async fn wrong_status_fails_with_2xx_expected() {
        let base = serve(router()).await;
        let egress = loopback_egress();
        let outcome = check(&egress, &probe(format!("{base}/unavailable")), TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 503 (expected 2xx)".into()));
        let outcome = check(&egress, &probe(format!("{base}/missing")), TIMEOUT).await;
        assert_eq!(outcome.message, "HTTP 404 (expected 2xx)");
    }

    #[tokio::test]
    async fn the_body_is_never_reported() {
        let base = serve(router()).await;
        let egress = loopback_egress();
        let mut p = probe(format!("{base}/secret"));
        let outcome = check(&egress, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 500 (expected 2xx)".into()));
        p.expect_status = Some(500);
        p.expect_body_contains = Some("token".into());
        let outcome = check(&egress, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 500, body does not contain \"token\"".into()));
        assert!(!outcome.message.contains("hunter2"));
    }

    #[tokio::test]
    async fn body_must_contain_the_expected_text() {
        let base = serve(router()).await;
        let egress = loopback_egress();
        let mut p = probe(format!("{base}/ok"));
        p.expect_body_contains = Some("ready".into());
        let outcome = check(&egress, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::passed("HTTP 200, body contains \"ready\"".into()));
        p.expect_body_contains = Some("healthy".into());
        let outcome = check(&egress, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 200, body does not contain \"healthy\"".into()));
    }

    #[tokio::test]
    async fn only_the_first_mib_of_the_body_is_read() {
        let big = "a".repeat(MAX_RESPONSE_BYTES) + "needle";
        let base = serve(Router::new().route("/big", get(move || async move { big }))).await;
        let mut p = probe(format!("{base}/big"));
        p.expect_body_contains = Some("needle".into());
        let outcome = check(&loopback_egress(), &p, TIMEOUT).await;
        assert_eq!(
            outcome,
            CheckOutcome::failed("HTTP 200, the body's first 1024 KiB do not contain \"needle\"".into())
        );
    }

    #[tokio::test]
    async fn status_is_checked_before_the_body() {
        let base = serve(router()).await;
        let mut p = probe(format!("{base}/unavailable"));
        p.expect_body_contains = Some("down".into());
        let outcome = check(&loopback_egress(), &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 503 (expected 2xx)".into()));
    }

    #[tokio::test]
    async fn post_sends_its_body_and_head_works() {
        let base = serve(router()).await;
        let egress = loopback_egress();
        let mut p = probe(format!("{base}/echo"));
        p.method = HttpMethod::POST;
        p.body = Some("{\"order\":1}".into());
        p.expect_body_contains = Some("POST {\"order\":1}".into());
        let outcome = check(&egress, &p, TIMEOUT).await;
        assert!(outcome.passed, "{outcome:?}");
        let mut p = probe(format!("{base}/echo"));
        p.method = HttpMethod::HEAD;
        let outcome = check(&egress, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::passed("HTTP 200".into()));
    }

    #[tokio::test]
    async fn methods_that_change_things_are_never_sent() {
        let (base, hits) = counted().await;
        for method in [HttpMethod::PUT, HttpMethod::PATCH, HttpMethod::DELETE] {
            let mut p = probe(format!("{base}/x"));
            p.method = method;
            let outcome = check(&loopback_egress(), &p, TIMEOUT).await;
            assert_eq!(
                outcome,
                CheckOutcome::failed(format!("method {method:?} is not allowed for a probe"))
            );
        }
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        let (elsewhere, hits) = counted().await;
        let to = format!("{elsewhere}/x");
        let base =
            serve(Router::new().route("/moved", get(move || async move { Redirect::temporary(&to) }))).await;
        let outcome = check(&loopback_egress(), &probe(format!("{base}/moved")), TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 307 (expected 2xx)".into()));
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_egress_policy_refuses_before_connecting() {
        let (base, hits) = counted().await;
        let closed = Egress::fixed(Policy::default(), Fixed::default());
        let outcome = check(&closed, &probe(format!("{base}/x")), TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed(format!("{REFUSED}: 127.0.0.1 is loopback")));
        let outcome =
            check(&closed, &probe("http://169.254.169.254/latest/meta-data/".into()), TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed(format!("{REFUSED}: 169.254.169.254 is link-local")));
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_slow_server_times_out() {
        let base = serve(router()).await;
        let started = std::time::Instant::now();
        let outcome =
            check(&loopback_egress(), &probe(format!("{base}/slow")), Duration::from_millis(300)).await;
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(outcome, CheckOutcome::failed("no response within 300ms".into()));
    }

    #[tokio::test]
    async fn connection_refused_is_reported() {
        let url = format!("{}/healthz", refused_url().await);
        let outcome = check(&loopback_egress(), &probe(url), TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("connection refused".into()));
    }

    #[tokio::test]
    async fn an_invalid_url_is_reported() {
        let outcome = check(&loopback_egress(), &probe("http://exa mple.com/".into()), TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed("the URL is not valid".into()));
    }
}
