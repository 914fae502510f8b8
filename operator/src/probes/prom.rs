//! The prom probe: one instant PromQL query, its single value compared; and whether an endpoint answers.

use super::{causes, show_duration, CheckOutcome};
use chaoscenter_core::plan::PromCheck;
use serde_json::Value;
use std::time::Duration;

/// Runs the probe's query once, bounded by `timeout`, and compares its value with the comparator. The
/// query must return a scalar (or string) or a vector of exactly one sample.
pub async fn check(http: &reqwest::Client, probe: &PromCheck, timeout: Duration) -> CheckOutcome {
    let value = match query(http, &probe.endpoint, &probe.query, timeout).await {
        Ok(value) => value,
        Err(message) => return CheckOutcome::failed(message),
    };
    match probe.comparison.holds(&value) {
        Ok(held) => CheckOutcome { passed: held, message: probe.comparison.describe("value", &value, held) },
        Err(e) => CheckOutcome::failed(e),
    }
}

/// Runs an instant query (`GET {endpoint}/api/v1/query?query=…`) and returns its single value as
/// Prometheus prints it (e.g. `0.5`, `NaN`). Errors are messages for a probe outcome.
pub async fn query(
    http: &reqwest::Client,
    endpoint: &str,
    query: &str,
    timeout: Duration,
) -> Result<String, String> {
    let url = query_url(endpoint);
    let response = http
        .get(&url)
        .query(&[("query", query)])
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| transport_error(&url, e, timeout))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| transport_error(&url, e, timeout))?;
    // Prometheus answers errors (400, 422, 503) with a JSON body that says more than the status.
    match serde_json::from_str::<Value>(&body) {
        Ok(json) => single_value(&json),
        Err(_) if !status.is_success() => Err(format!("GET {url} -> {} (expected 200)", status.as_u16())),
        Err(e) => Err(format!("GET {url} -> {}, but the body is not Prometheus JSON: {e}", status.as_u16())),
    }
}

/// Whether `endpoint` answers the query `1` with a success status within `timeout`; the error is the
/// cause, e.g. `no response within 3s`.
pub async fn reachable(http: &reqwest::Client, endpoint: &str, timeout: Duration) -> Result<(), String> {
    let url = query_url(endpoint);
    let request = http.get(&url).query(&[("query", "1")]).timeout(timeout).send();
    // The request's own timeout covers connecting and the answer; this one bounds anything else.
    let response = match tokio::time::timeout(timeout, request).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) if !e.is_timeout() => return Err(causes(&e.without_url())),
        Ok(Err(_)) | Err(_) => return Err(format!("no response within {}", show_duration(timeout))),
    };
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("GET {url}?query=1 -> {} (expected 200)", status.as_u16()))
    }
}

fn query_url(endpoint: &str) -> String {
    format!("{}/api/v1/query", endpoint.trim_end_matches('/'))
}

fn transport_error(url: &str, error: reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        format!("GET {url}: no response within {}", show_duration(timeout))
    } else {
        format!("GET {url}: {}", causes(&error.without_url()))
    }
}

/// The single value of a query response: `data.result[1]` of a scalar or string, `value[1]` of the
/// only sample of a vector.
fn single_value(json: &Value) -> Result<String, String> {
    match json["status"].as_str() {
        Some("success") => {}
        Some("error") => {
            let kind = json["errorType"].as_str().unwrap_or("error");
            let error = json["error"].as_str().unwrap_or("no details");
            return Err(format!("the query failed: {kind}: {error}"));
        }
        _ => return Err(format!("unexpected answer from Prometheus: {}", cut(json))),
    }
    let data = &json["data"];
    match data["resultType"].as_str() {
        Some("scalar" | "string") => sample_value(&data["result"]),
        Some("vector") => match data["result"].as_array().map(Vec::as_slice) {
            Some([sample]) => sample_value(&sample["value"]),
            Some([]) => Err("the query returned an empty vector (expected one sample)".into()),
            Some(samples) => Err(format!(
                "the query returned {} samples (expected one): {}",
                samples.len(),
                samples.iter().take(3).map(|s| s["metric"].to_string()).collect::<Vec<_>>().join(", ")
                    + if samples.len() > 3 { ", …" } else { "" }
            )),
            None => Err(format!("unexpected vector from Prometheus: {}", cut(data))),
        },
        Some("matrix") => {
            Err("the query returned a range vector (matrix); use an instant query, e.g. without [5m]".into())
        }
        _ => Err(format!("unexpected answer from Prometheus: {}", cut(json))),
    }
}

/// The value of a `[timestamp, "value"]` pair.
fn sample_value(pair: &Value) -> Result<String, String> {
    match pair.get(1).and_then(Value::as_str) {
        Some(value) => Ok(value.to_string()),
        None => Err(format!("unexpected sample from Prometheus: {}", cut(pair))),
    }
}

/// JSON for a message, cut to a readable length.
fn cut(json: &Value) -> String {
    let text = json.to_string();
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

#[cfg(test)]
mod prom_tests {
    use super::*;
    use crate::probes::testing::{refused_url, serve};
    use axum::{extract::Query, http::StatusCode, response::IntoResponse, routing::get, Json, Router};
    use chaoscenter_crds::workflow::{Comparator, ComparatorType, Criteria};
    use serde_json::json;
    use std::collections::HashMap;

    fn success(data: Value) -> Value {
        json!({"status": "success", "data": data})
    }

    fn sample(metric: Value, value: &str) -> Value {
        json!({"metric": metric, "value": [1_700_000_000.123, value]})
    }

    /// A fake Prometheus whose answer depends on the query.
    async fn answer(Query(params): Query<HashMap<String, String>>) -> axum::response::Response {
        let query = params.get("query").cloned().unwrap_or_default();
        let vector = |samples: Vec<Value>| success(json!({"resultType": "vector", "result": samples}));
        let body = match query.as_str() {
            "1" => success(json!({"resultType": "scalar", "result": [1_700_000_000.0, "1"]})),
            "scalar" => success(json!({"resultType": "scalar", "result": [1_700_000_000.0, "0.7"]})),
            "text" => success(json!({"resultType": "string", "result": [1_700_000_000.0, "abc"]})),
            "one" => vector(vec![sample(json!({"job": "checkout"}), "3")]),
            "none" => vector(vec![]),
            "two" => vector(vec![sample(json!({"pod": "a"}), "1"), sample(json!({"pod": "b"}), "2")]),
            "five" => vector((0..5).map(|i| sample(json!({"i": i}), "1")).collect()),
            "nan" => vector(vec![sample(json!({}), "NaN")]),
            "matrix" => success(json!({"resultType": "matrix", "result": [
                {"metric": {}, "values": [[1_700_000_000.0, "1"], [1_700_000_015.0, "2"]]}
            ]})),
            "bad" => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"status": "error", "errorType": "bad_data",
                                "error": "1:1: parse error: unexpected end of input"})),
                )
                    .into_response()
            }
            "html" => return "<html>hello</html>".into_response(),
            "broken" => return (StatusCode::BAD_GATEWAY, "upstream down").into_response(),
            "slow" => {
                tokio::time::sleep(Duration::from_secs(10)).await;
                vector(vec![])
            }
            // Anything else: the query as the server received it, to check its encoding.
            other => success(json!({"resultType": "string", "result": [1_700_000_000.0, other]})),
        };
        Json(body).into_response()
    }

    async fn prometheus() -> String {
        serve(Router::new().route("/api/v1/query", get(answer))).await
    }

    fn probe(
        endpoint: &str,
        query: &str,
        type_: ComparatorType,
        criteria: Criteria,
        value: &str,
    ) -> PromCheck {
        PromCheck {
            endpoint: endpoint.into(),
            query: query.into(),
            comparison: chaoscenter_core::compare::Comparison::parse(&Comparator {
                type_,
                criteria,
                value: value.into(),
            })
            .unwrap(),
        }
    }

    const TIMEOUT: Duration = Duration::from_secs(5);

    async fn run(probe: &PromCheck) -> CheckOutcome {
        check(&reqwest::Client::new(), probe, TIMEOUT).await
    }

    #[tokio::test]
    async fn scalar_value_is_compared() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "scalar", ComparatorType::Float, Criteria::Gt, "0.5")).await;
        assert_eq!(outcome, CheckOutcome::passed("value 0.7 > 0.5".into()));
        let outcome = run(&probe(&base, "scalar", ComparatorType::Float, Criteria::Lt, "0.5")).await;
        assert_eq!(outcome, CheckOutcome::failed("value 0.7, expected < 0.5".into()));
    }

    #[tokio::test]
    async fn one_element_vector_value_is_compared() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "one", ComparatorType::Int, Criteria::Eq, "3")).await;
        assert_eq!(outcome, CheckOutcome::passed("value 3 == 3".into()));
        let outcome = run(&probe(&base, "one", ComparatorType::Int, Criteria::Ge, "4")).await;
        assert_eq!(outcome, CheckOutcome::failed("value 3, expected >= 4".into()));
    }

    #[tokio::test]
    async fn empty_vector_fails() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "none", ComparatorType::Float, Criteria::Eq, "0")).await;
        assert_eq!(
            outcome,
            CheckOutcome::failed("the query returned an empty vector (expected one sample)".into())
        );
    }

    #[tokio::test]
    async fn several_samples_fail_naming_them() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "two", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(
            outcome,
            CheckOutcome::failed(
                r#"the query returned 2 samples (expected one): {"pod":"a"}, {"pod":"b"}"#.into()
            )
        );
        let outcome = run(&probe(&base, "five", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert!(!outcome.passed);
        assert!(outcome.message.starts_with("the query returned 5 samples"), "{outcome:?}");
        assert!(outcome.message.ends_with(", …"), "{outcome:?}");
    }

    #[tokio::test]
    async fn non_numeric_value_fails_with_a_clear_message() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "text", ComparatorType::Float, Criteria::Gt, "1")).await;
        assert_eq!(outcome, CheckOutcome::failed("observed value \"abc\" is not a float".into()));
        let outcome = run(&probe(&base, "text", ComparatorType::String, Criteria::Equal, "abc")).await;
        assert!(outcome.passed, "{outcome:?}");
    }

    #[tokio::test]
    async fn nan_fails_a_threshold() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "nan", ComparatorType::Float, Criteria::Ge, "0")).await;
        assert_eq!(outcome, CheckOutcome::failed("value NaN, expected >= 0".into()));
    }

    #[tokio::test]
    async fn matrix_fails() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "matrix", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert!(!outcome.passed);
        assert!(outcome.message.contains("range vector"), "{outcome:?}");
    }

    #[tokio::test]
    async fn prometheus_errors_are_reported() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "bad", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(
            outcome,
            CheckOutcome::failed(
                "the query failed: bad_data: 1:1: parse error: unexpected end of input".into()
            )
        );
    }

    #[tokio::test]
    async fn non_json_answers_are_reported() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "broken", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(outcome, CheckOutcome::failed(format!("GET {base}/api/v1/query -> 502 (expected 200)")));
        let outcome = run(&probe(&base, "html", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert!(!outcome.passed);
        assert!(outcome.message.contains("-> 200, but the body is not Prometheus JSON"), "{outcome:?}");
    }

    #[tokio::test]
    async fn the_query_is_url_encoded_and_a_trailing_slash_ignored() {
        let base = prometheus().await;
        let query = r#"sum(rate(http_requests_total{code=~"5..", job="a&b"}[5m])) / 2 + 1"#;
        let outcome =
            run(&probe(&format!("{base}/"), query, ComparatorType::String, Criteria::Equal, query)).await;
        assert!(outcome.passed, "{outcome:?}");
    }

    #[tokio::test]
    async fn a_slow_prometheus_times_out() {
        let base = prometheus().await;
        let outcome = check(
            &reqwest::Client::new(),
            &probe(&base, "slow", ComparatorType::Float, Criteria::Eq, "1"),
            Duration::from_millis(300),
        )
        .await;
        assert_eq!(
            outcome,
            CheckOutcome::failed(format!("GET {base}/api/v1/query: no response within 300ms"))
        );
    }

    #[tokio::test]
    async fn connection_refused_is_reported() {
        let base = refused_url().await;
        let outcome = run(&probe(&base, "1", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert!(!outcome.passed);
        assert!(outcome.message.starts_with(&format!("GET {base}/api/v1/query: ")), "{outcome:?}");
        assert!(outcome.message.to_lowercase().contains("connection refused"), "{outcome:?}");
    }

    #[tokio::test]
    async fn reachable_accepts_prometheus() {
        let base = prometheus().await;
        reachable(&reqwest::Client::new(), &base, TIMEOUT).await.unwrap();
    }

    #[tokio::test]
    async fn reachable_rejects_other_servers_refusals_and_silence() {
        let http = reqwest::Client::new();
        let other = serve(Router::new()).await;
        assert_eq!(
            reachable(&http, &other, TIMEOUT).await,
            Err(format!("GET {other}/api/v1/query?query=1 -> 404 (expected 200)"))
        );
        let refused = refused_url().await;
        let e = reachable(&http, &refused, TIMEOUT).await.unwrap_err();
        assert!(e.to_lowercase().contains("connection refused"), "{e}");
        let silent = serve(Router::new().route(
            "/api/v1/query",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        ))
        .await;
        assert_eq!(
            reachable(&http, &silent, Duration::from_millis(300)).await,
            Err("no response within 300ms".into())
        );
    }

    #[test]
    fn single_value_rejects_malformed_answers() {
        for json in [
            json!({}),
            json!({"status": "success", "data": {"resultType": "vector", "result": {}}}),
            json!({"status": "success", "data": {"resultType": "scalar", "result": [1.0]}}),
            json!({"status": "success", "data": {"resultType": "scalar", "result": [1.0, 2.0]}}),
            json!({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}),
            json!({"status": "success", "data": {"resultType": "histogram"}}),
        ] {
            let e = single_value(&json).unwrap_err();
            assert!(e.starts_with("unexpected "), "{json}: {e}");
        }
    }
}
