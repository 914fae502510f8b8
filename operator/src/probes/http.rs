//! The http probe: one request, its response's status and body checked.

use super::{causes, show_duration, CheckOutcome};
use chaoscenter_core::plan::HttpCheck;
use chaoscenter_crds::workflow::HttpMethod;
use std::time::Duration;

/// Sends the probe's request once, bounded by `timeout`. Passes when the status is `expectStatus` (any
/// 2xx when absent) and, if `expectBodyContains` is set, the body contains it.
pub async fn check(http: &reqwest::Client, probe: &HttpCheck, timeout: Duration) -> CheckOutcome {
    let method = method(probe.method);
    let request = format!("{method} {}", probe.url);
    let mut builder = http.request(method, &probe.url).timeout(timeout);
    if let Some(body) = &probe.body {
        builder = builder.body(body.clone());
    }
    let response = match builder.send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => {
            return CheckOutcome::failed(format!("{request}: no response within {}", show_duration(timeout)))
        }
        Err(e) => return CheckOutcome::failed(format!("{request}: {}", causes(&e.without_url()))),
    };
    let status = response.status();
    let status_ok = match probe.expect_status {
        Some(expected) => status.as_u16() == expected,
        None => status.is_success(),
    };
    if !status_ok {
        let expected = probe.expect_status.map_or_else(|| "2xx".to_string(), |s| s.to_string());
        return CheckOutcome::failed(format!("{request} -> {} (expected {expected})", status.as_u16()));
    }
    let Some(needle) = &probe.expect_body_contains else {
        return CheckOutcome::passed(format!("{request} -> {}", status.as_u16()));
    };
    match response.text().await {
        Ok(body) if body.contains(needle.as_str()) => {
            CheckOutcome::passed(format!("{request} -> {}, body contains {needle:?}", status.as_u16()))
        }
        Ok(_) => CheckOutcome::failed(format!(
            "{request} -> {}, body does not contain {needle:?}",
            status.as_u16()
        )),
        Err(e) if e.is_timeout() => CheckOutcome::failed(format!(
            "{request} -> {}, body not read within {}",
            status.as_u16(),
            show_duration(timeout)
        )),
        Err(e) => {
            CheckOutcome::failed(format!("{request} -> {}, body not read: {}", status.as_u16(), causes(&e)))
        }
    }
}

fn method(method: HttpMethod) -> reqwest::Method {
    match method {
        HttpMethod::GET => reqwest::Method::GET,
        HttpMethod::POST => reqwest::Method::POST,
        HttpMethod::PUT => reqwest::Method::PUT,
        HttpMethod::DELETE => reqwest::Method::DELETE,
        HttpMethod::HEAD => reqwest::Method::HEAD,
        HttpMethod::PATCH => reqwest::Method::PATCH,
    }
}

#[cfg(test)]
mod http_tests {
    use super::*;
    use crate::probes::testing::{refused_url, serve};
    use axum::{
        http::{Method, StatusCode},
        routing::{any, get},
        Router,
    };

    fn router() -> Router {
        Router::new()
            .route("/ok", get(|| async { "status: ready" }))
            .route("/created", any(|| async { (StatusCode::CREATED, "made") }))
            .route("/unavailable", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }))
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

    #[tokio::test]
    async fn any_2xx_passes_when_no_status_is_expected() {
        let base = serve(router()).await;
        let http = reqwest::Client::new();
        for path in ["/ok", "/created"] {
            let outcome = check(&http, &probe(format!("{base}{path}")), TIMEOUT).await;
            assert!(outcome.passed, "{outcome:?}");
        }
        let outcome = check(&http, &probe(format!("{base}/created")), TIMEOUT).await;
        assert_eq!(outcome.message, format!("GET {base}/created -> 201"));
    }

    #[tokio::test]
    async fn expected_status_must_match_exactly() {
        let base = serve(router()).await;
        let http = reqwest::Client::new();
        let mut p = probe(format!("{base}/created"));
        p.expect_status = Some(200);
        let outcome = check(&http, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed(format!("GET {base}/created -> 201 (expected 200)")));
        let mut p = probe(format!("{base}/unavailable"));
        p.expect_status = Some(503);
        let outcome = check(&http, &p, TIMEOUT).await;
        assert!(outcome.passed, "{outcome:?}");
    }

    #[tokio::test]
    async fn wrong_status_fails_with_2xx_expected() {
        let base = serve(router()).await;
        let outcome = check(&reqwest::Client::new(), &probe(format!("{base}/unavailable")), TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::failed(format!("GET {base}/unavailable -> 503 (expected 2xx)")));
        let outcome = check(&reqwest::Client::new(), &probe(format!("{base}/missing")), TIMEOUT).await;
        assert_eq!(outcome.message, format!("GET {base}/missing -> 404 (expected 2xx)"));
    }

    #[tokio::test]
    async fn body_must_contain_the_expected_text() {
        let base = serve(router()).await;
        let http = reqwest::Client::new();
        let mut p = probe(format!("{base}/ok"));
        p.expect_body_contains = Some("ready".into());
        let outcome = check(&http, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::passed(format!("GET {base}/ok -> 200, body contains \"ready\"")));
        p.expect_body_contains = Some("healthy".into());
        let outcome = check(&http, &p, TIMEOUT).await;
        assert_eq!(
            outcome,
            CheckOutcome::failed(format!("GET {base}/ok -> 200, body does not contain \"healthy\""))
        );
    }

    #[tokio::test]
    async fn status_is_checked_before_the_body() {
        let base = serve(router()).await;
        let mut p = probe(format!("{base}/unavailable"));
        p.expect_body_contains = Some("down".into());
        let outcome = check(&reqwest::Client::new(), &p, TIMEOUT).await;
        assert!(!outcome.passed);
        assert!(outcome.message.ends_with("-> 503 (expected 2xx)"), "{outcome:?}");
    }

    #[tokio::test]
    async fn method_and_body_are_sent() {
        let base = serve(router()).await;
        let http = reqwest::Client::new();
        for (method, text) in [
            (HttpMethod::POST, "POST"),
            (HttpMethod::PUT, "PUT"),
            (HttpMethod::PATCH, "PATCH"),
            (HttpMethod::DELETE, "DELETE"),
        ] {
            let mut p = probe(format!("{base}/echo"));
            p.method = method;
            p.body = Some("{\"order\":1}".into());
            p.expect_body_contains = Some(format!("{text} {{\"order\":1}}"));
            let outcome = check(&http, &p, TIMEOUT).await;
            assert!(outcome.passed, "{outcome:?}");
            assert!(outcome.message.starts_with(&format!("{text} {base}/echo -> 200")));
        }
        let mut p = probe(format!("{base}/echo"));
        p.method = HttpMethod::HEAD;
        let outcome = check(&http, &p, TIMEOUT).await;
        assert_eq!(outcome, CheckOutcome::passed(format!("HEAD {base}/echo -> 200")));
    }

    #[tokio::test]
    async fn a_slow_server_times_out() {
        let base = serve(router()).await;
        let started = std::time::Instant::now();
        let outcome =
            check(&reqwest::Client::new(), &probe(format!("{base}/slow")), Duration::from_millis(300)).await;
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(outcome, CheckOutcome::failed(format!("GET {base}/slow: no response within 300ms")));
    }

    #[tokio::test]
    async fn connection_refused_is_reported() {
        let url = format!("{}/healthz", refused_url().await);
        let outcome = check(&reqwest::Client::new(), &probe(url.clone()), TIMEOUT).await;
        assert!(!outcome.passed);
        assert!(outcome.message.starts_with(&format!("GET {url}: ")), "{outcome:?}");
        assert!(outcome.message.to_lowercase().contains("connection refused"), "{outcome:?}");
    }

    #[tokio::test]
    async fn an_invalid_url_is_reported() {
        let outcome = check(&reqwest::Client::new(), &probe("http://exa mple.com/".into()), TIMEOUT).await;
        assert!(!outcome.passed);
        assert!(outcome.message.starts_with("GET http://exa mple.com/: "), "{outcome:?}");
    }
}
