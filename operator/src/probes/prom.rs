//! The prom probe: one instant PromQL query to an address the egress policy allows, its single value
//! compared; and whether an endpoint answers. What it reports is the value or a short reason: never the
//! answer itself.

use super::egress::{Egress, REFUSED};
use super::{read_bounded, transport_reason, CheckOutcome, MAX_RESPONSE_BYTES};
use chaoscenter_core::plan::PromCheck;
use reqwest::Url;
use serde_json::Value;
use std::time::Duration;

/// The longest sample value reported or compared (Prometheus prints numbers far shorter).
const MAX_VALUE: usize = 64;
/// The error types Prometheus answers with; any other is reported as `error`.
const ERROR_TYPES: [&str; 8] = [
    "bad_data",
    "execution",
    "timeout",
    "canceled",
    "internal",
    "unavailable",
    "not_found",
    "not_acceptable",
];

/// Runs the probe's query once, bounded by `timeout`, and compares its value with the comparator. The
/// query must return a scalar (or string) or a vector of exactly one sample.
pub async fn check(egress: &Egress, probe: &PromCheck, timeout: Duration) -> CheckOutcome {
    let value = match query(egress, &probe.endpoint, &probe.query, timeout).await {
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
    egress: &Egress,
    endpoint: &str,
    query: &str,
    timeout: Duration,
) -> Result<String, String> {
    let url = query_url(endpoint, query)?;
    let client = egress.client(&url, timeout).await?;
    let mut response =
        client.get(url).timeout(timeout).send().await.map_err(|e| transport_reason(&e, timeout))?;
    let status = response.status().as_u16();
    let body = match read_bounded(&mut response, MAX_RESPONSE_BYTES).await {
        Ok((body, true)) => body,
        Ok((_, false)) => {
            return Err(format!("HTTP {status}, the answer is larger than {} KiB", MAX_RESPONSE_BYTES / 1024))
        }
        Err(e) => {
            return Err(format!(
                "HTTP {status}, the answer could not be read: {}",
                transport_reason(&e, timeout)
            ))
        }
    };
    // Prometheus answers errors (400, 422, 503) with a JSON body that says more than the status.
    match serde_json::from_slice::<Value>(&body) {
        Ok(json) => single_value(&json),
        Err(_) if !response.status().is_success() => Err(format!("HTTP {status} (expected 200)")),
        Err(_) => Err(format!("HTTP {status}, but the answer is not Prometheus JSON")),
    }
}

/// Why a prom endpoint failed the pre-flight check.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreachable {
    /// The egress policy refuses it (the message says why).
    Refused(String),
    /// It did not answer the query `1` with a success status in time, for whatever reason.
    NoAnswer,
}

/// Whether `endpoint` answers the query `1` with a success status within `timeout`.
pub async fn reachable(egress: &Egress, endpoint: &str, timeout: Duration) -> Result<(), Unreachable> {
    let url = query_url(endpoint, "1").map_err(Unreachable::Refused)?;
    let attempt = async {
        let client = match egress.client(&url, timeout).await {
            Ok(client) => client,
            Err(why) if why.starts_with(REFUSED) => return Err(Unreachable::Refused(why)),
            Err(_) => return Err(Unreachable::NoAnswer),
        };
        match client.get(url).timeout(timeout).send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            _ => Err(Unreachable::NoAnswer),
        }
    };
    // The request's own timeout covers connecting and the answer; this one bounds anything else.
    tokio::time::timeout(timeout, attempt).await.unwrap_or(Err(Unreachable::NoAnswer))
}

/// `{endpoint}/api/v1/query?query={query}`, built on the endpoint's parsed URL (the validator made sure it
/// is a base URL; a query, fragment or credentials would be refused here too).
fn query_url(endpoint: &str, query: &str) -> Result<Url, String> {
    let not_base = || "the endpoint is not a base URL (no query, fragment or user:password@)".to_string();
    let mut url = Url::parse(endpoint).map_err(|_| not_base())?;
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(not_base());
    }
    url.path_segments_mut().map_err(|()| not_base())?.pop_if_empty().extend(["api", "v1", "query"]);
    url.query_pairs_mut().append_pair("query", query);
    Ok(url)
}

/// The single value of a query response: `data.result[1]` of a scalar or string, `value[1]` of the
/// only sample of a vector.
fn single_value(json: &Value) -> Result<String, String> {
    match json["status"].as_str() {
        Some("success") => {}
        Some("error") => {
            let kind = json["errorType"].as_str().filter(|k| ERROR_TYPES.contains(k)).unwrap_or("error");
            return Err(format!("Prometheus refused the query ({kind})"));
        }
        _ => return Err(unexpected()),
    }
    let data = &json["data"];
    match data["resultType"].as_str() {
        Some("scalar" | "string") => sample_value(&data["result"]),
        Some("vector") => match data["result"].as_array().map(Vec::as_slice) {
            Some([sample]) => sample_value(&sample["value"]),
            Some([]) => Err("the query returned an empty vector (expected one sample)".into()),
            Some(samples) => Err(format!(
                "the query returned {} samples (expected one; aggregate them, e.g. with sum(...))",
                samples.len()
            )),
            None => Err(unexpected()),
        },
        Some("matrix") => {
            Err("the query returned a range vector (matrix); use an instant query, e.g. without [5m]".into())
        }
        _ => Err(unexpected()),
    }
}

fn unexpected() -> String {
    "unexpected answer (not a Prometheus instant query result)".into()
}

/// The value of a `[timestamp, "value"]` pair.
fn sample_value(pair: &Value) -> Result<String, String> {
    match pair.get(1).and_then(Value::as_str) {
        Some(value) if value.chars().count() <= MAX_VALUE => Ok(value.to_string()),
        Some(_) => Err(format!("the sample's value is longer than {MAX_VALUE} characters")),
        None => Err(unexpected()),
    }
}

#[cfg(test)]
mod prom_tests {
    use super::*;
    use crate::probes::egress::{parse_rules, Fixed, Policy};
    use crate::probes::testing::{loopback_egress, refused_url, serve};
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
            "leak" => {
                return Json(json!({"status": "error", "errorType": "secret: hunter2", "error": "hunter2"}))
                    .into_response()
            }
            "other-json" => return Json(json!({"password": "hunter2"})).into_response(),
            "long" => {
                success(json!({"resultType": "string", "result": [1_700_000_000.0, "hunter2".repeat(20)]}))
            }
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
        check(&loopback_egress(), probe, TIMEOUT).await
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
    async fn several_samples_fail_without_naming_them() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "two", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(
            outcome,
            CheckOutcome::failed(
                "the query returned 2 samples (expected one; aggregate them, e.g. with sum(...))".into()
            )
        );
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
    async fn prometheus_errors_are_reported_by_their_type_only() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "bad", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(outcome, CheckOutcome::failed("Prometheus refused the query (bad_data)".into()));
        let outcome = run(&probe(&base, "leak", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(outcome, CheckOutcome::failed("Prometheus refused the query (error)".into()));
    }

    #[tokio::test]
    async fn other_answers_are_reported_without_their_content() {
        let base = prometheus().await;
        let outcome = run(&probe(&base, "broken", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 502 (expected 200)".into()));
        let outcome = run(&probe(&base, "html", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 200, but the answer is not Prometheus JSON".into()));
        let outcome = run(&probe(&base, "other-json", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(
            outcome,
            CheckOutcome::failed("unexpected answer (not a Prometheus instant query result)".into())
        );
        let outcome = run(&probe(&base, "long", ComparatorType::String, Criteria::Equal, "x")).await;
        assert_eq!(outcome, CheckOutcome::failed("the sample's value is longer than 64 characters".into()));
    }

    #[test]
    fn the_query_url_is_built_on_the_base_url() {
        let url = |endpoint: &str, query: &str| query_url(endpoint, query).map(|u| u.to_string());
        assert_eq!(url("http://p:9090", "up").unwrap(), "http://p:9090/api/v1/query?query=up");
        assert_eq!(url("http://p:9090/", "up").unwrap(), "http://p:9090/api/v1/query?query=up");
        assert_eq!(
            url("https://p/prometheus", "a b&c").unwrap(),
            "https://p/prometheus/api/v1/query?query=a+b%26c"
        );
        assert_eq!(url("https://p/prometheus/", "up").unwrap(), "https://p/prometheus/api/v1/query?query=up");
        for endpoint in
            ["http://p:9090/?", "http://p:9090/x?a=1", "http://p:9090#", "http://u:pw@p:9090", "not a url"]
        {
            assert_eq!(
                url(endpoint, "up"),
                Err("the endpoint is not a base URL (no query, fragment or user:password@)".into()),
                "{endpoint}"
            );
        }
    }

    #[tokio::test]
    async fn the_kubernetes_api_is_refused_before_connecting() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = listener.local_addr().unwrap();
        let policy =
            Policy { allow: parse_rules("127.0.0.0/8").unwrap(), kube_api: vec![api], ..Policy::default() };
        let egress = Egress::fixed(policy, Fixed::default());
        let outcome = check(
            &egress,
            &probe(&format!("http://{api}"), "up", ComparatorType::Float, Criteria::Eq, "1"),
            TIMEOUT,
        )
        .await;
        assert_eq!(
            outcome,
            CheckOutcome::failed(format!("refused by the egress policy: {api} is the Kubernetes API"))
        );
        assert_eq!(
            reachable(&egress, &format!("http://{api}/"), TIMEOUT).await,
            Err(Unreachable::Refused(format!("refused by the egress policy: {api} is the Kubernetes API")))
        );
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "a connection was made");
    }

    #[tokio::test]
    async fn the_query_is_url_encoded_and_a_trailing_slash_ignored() {
        let base = prometheus().await;
        let query = r#"sum(rate(x{c=~"5..", j="a&b#?"}[5m])) / 2 + 1"#;
        let outcome =
            run(&probe(&format!("{base}/"), query, ComparatorType::String, Criteria::Equal, query)).await;
        assert!(outcome.passed, "{outcome:?}");
    }

    #[tokio::test]
    async fn a_slow_prometheus_times_out() {
        let base = prometheus().await;
        let outcome = check(
            &loopback_egress(),
            &probe(&base, "slow", ComparatorType::Float, Criteria::Eq, "1"),
            Duration::from_millis(300),
        )
        .await;
        assert_eq!(outcome, CheckOutcome::failed("no response within 300ms".into()));
    }

    #[tokio::test]
    async fn connection_refused_is_reported() {
        let base = refused_url().await;
        let outcome = run(&probe(&base, "1", ComparatorType::Float, Criteria::Eq, "1")).await;
        assert_eq!(outcome, CheckOutcome::failed("connection refused".into()));
    }

    #[tokio::test]
    async fn reachable_accepts_prometheus() {
        let base = prometheus().await;
        reachable(&loopback_egress(), &base, TIMEOUT).await.unwrap();
    }

    #[tokio::test]
    async fn reachable_says_no_more_than_no_answer_of_other_servers_refusals_and_silence() {
        let egress = loopback_egress();
        let other = serve(Router::new()).await;
        assert_eq!(reachable(&egress, &other, TIMEOUT).await, Err(Unreachable::NoAnswer));
        let refused = refused_url().await;
        assert_eq!(reachable(&egress, &refused, TIMEOUT).await, Err(Unreachable::NoAnswer));
        let silent = serve(Router::new().route(
            "/api/v1/query",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        ))
        .await;
        assert_eq!(reachable(&egress, &silent, Duration::from_millis(300)).await, Err(Unreachable::NoAnswer));
        assert_eq!(
            reachable(&egress, "http://no-such-host.invalid", TIMEOUT).await,
            Err(Unreachable::NoAnswer)
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
