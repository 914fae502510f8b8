//! Probes: one check of a probe (its timeout and attempts included) against the live system, the
//! comparison of observed values, and the pre-flight check a workflow gets when it is applied.

mod cmd;
mod compare;
mod http;
mod k8s;
mod prom;

use chaoscenter_crds::common::parse_duration;
use chaoscenter_crds::workflow::{Probe, ProbeType};
use std::future::Future;
use std::time::Duration;

/// How long the pre-flight check waits for a prom probe's endpoint to answer.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(3);

/// What a probe check needs from the outside world.
#[derive(Clone)]
pub struct ProbeContext {
    /// Kubernetes client (k8s probes read through it; cmd probes create Jobs with it).
    pub client: kube::Client,
    /// HTTP client for http and prom probes.
    pub http: reqwest::Client,
    /// The project namespace where cmd probe Jobs run.
    pub namespace: String,
    /// The run's name: cmd probe Jobs are named after and labelled with it.
    pub run: String,
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Whether the check passed.
    pub passed: bool,
    /// What was observed, in words (e.g. "status 503", "value 0.7 > 0.5").
    pub message: String,
}

impl CheckOutcome {
    /// A check that passed.
    pub fn passed(message: String) -> Self {
        Self { passed: true, message }
    }

    /// A check that failed.
    pub fn failed(message: String) -> Self {
        Self { passed: false, message }
    }
}

/// Runs one check of `probe`: up to `runProperties.attempts` tries, each bounded by
/// `runProperties.timeout`; passes on the first try that passes.
///
/// A cmd probe's Job gets the timeout as its own deadline instead of being cut short, so that it is
/// always cleaned up. A probe without the settings of its type, or with a timeout that does not parse,
/// fails at once with the same message [`preflight`] gives.
pub async fn check(ctx: &ProbeContext, probe: &Probe) -> CheckOutcome {
    if let Err(message) = settings_present(probe) {
        return CheckOutcome::failed(message);
    }
    let timeout = match timeout(probe) {
        Ok(timeout) => timeout,
        Err(message) => return CheckOutcome::failed(message),
    };
    let attempts = probe.run_properties.attempts.max(1);
    let mut attempt = 1;
    loop {
        let mut outcome = check_once(ctx, probe, timeout).await;
        if attempts > 1 && (outcome.passed || attempt == attempts) {
            outcome.message = format!("{} (attempt {attempt} of {attempts})", outcome.message);
        }
        if outcome.passed || attempt == attempts {
            return outcome;
        }
        attempt += 1;
        // A short pause, so retries span a brief blip (e.g. a Service's endpoints catching up).
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

/// The pause between two attempts of one check.
pub const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// Checks what the API server's schema cannot: the probe has the settings block of its type, its
/// durations parse (and the timeout is more than zero), its URLs parse, a cmd probe names a program, a
/// comparator's criteria fits its type and its value parses, a k8s probe with operation count has a
/// count, and (prom) its endpoint answers `query=1` within 3 s. Errors name the field, e.g.
/// `probes[checkout-up].http: missing for a probe of type http`.
pub async fn preflight(ctx: &ProbeContext, probe: &Probe) -> Result<(), String> {
    validate(probe)?;
    if let (ProbeType::Prom, Some(prom)) = (probe.type_, &probe.prom) {
        prom::reachable(&ctx.http, &prom.endpoint, PREFLIGHT_TIMEOUT).await.map_err(|cause| {
            format!("{}: {} is unreachable: {cause}", field(probe, "prom.endpoint"), prom.endpoint)
        })?;
    }
    Ok(())
}

/// One try, of the probe's type; the settings are known to be present.
async fn check_once(ctx: &ProbeContext, probe: &Probe, timeout: Duration) -> CheckOutcome {
    match (probe.type_, &probe.http, &probe.k8s, &probe.prom, &probe.cmd) {
        (ProbeType::Http, Some(settings), ..) => {
            bounded(timeout, http::check(&ctx.http, settings, timeout)).await
        }
        (ProbeType::K8s, _, Some(settings), ..) => bounded(timeout, k8s::check(&ctx.client, settings)).await,
        (ProbeType::Prom, _, _, Some(settings), _) => {
            bounded(timeout, prom::check(&ctx.http, settings, timeout)).await
        }
        (ProbeType::Cmd, .., Some(settings)) => cmd::check(ctx, &probe.name, settings, timeout).await,
        _ => CheckOutcome::failed(settings_present(probe).err().unwrap_or_default()),
    }
}

/// `check`, failed when it takes longer than `timeout`.
async fn bounded(timeout: Duration, check: impl Future<Output = CheckOutcome>) -> CheckOutcome {
    tokio::time::timeout(timeout, check)
        .await
        .unwrap_or_else(|_| CheckOutcome::failed(format!("no result within {}", show_duration(timeout))))
}

/// The pure part of [`preflight`]: everything but reaching the endpoint.
fn validate(probe: &Probe) -> Result<(), String> {
    settings_present(probe)?;
    let props = &probe.run_properties;
    duration(probe, "runProperties.interval", &props.interval)?;
    timeout(probe)?;
    if let Some(delay) = &props.initial_delay {
        duration(probe, "runProperties.initialDelay", delay)?;
    }
    if let Some(http) = &probe.http {
        url(probe, "http.url", &http.url)?;
    }
    if let Some(k8s) = &probe.k8s {
        if k8s.operation == chaoscenter_crds::workflow::K8sOperation::Count && k8s.count.is_none() {
            return Err(format!("{}: required by operation count", field(probe, "k8s.count")));
        }
    }
    if let Some(prom) = &probe.prom {
        url(probe, "prom.endpoint", &prom.endpoint)?;
        compare::validate(&prom.comparator)
            .map_err(|e| format!("{}: {e}", field(probe, "prom.comparator")))?;
    }
    if let Some(cmd) = &probe.cmd {
        if cmd.command.first().is_none_or(|program| program.trim().is_empty()) {
            return Err(format!(
                "{}: must name the program to run, e.g. [\"sh\", \"-c\", \"wget -qO- http://checkout/healthz\"]",
                field(probe, "cmd.command")
            ));
        }
        compare::validate(&cmd.comparator).map_err(|e| format!("{}: {e}", field(probe, "cmd.comparator")))?;
    }
    Ok(())
}

/// The settings block of the probe's type is present.
fn settings_present(probe: &Probe) -> Result<(), String> {
    let present = match probe.type_ {
        ProbeType::Http => probe.http.is_some(),
        ProbeType::K8s => probe.k8s.is_some(),
        ProbeType::Prom => probe.prom.is_some(),
        ProbeType::Cmd => probe.cmd.is_some(),
    };
    if present {
        Ok(())
    } else {
        let name = type_name(probe.type_);
        Err(format!("{}: missing for a probe of type {name}", field(probe, name)))
    }
}

/// The probe's timeout, more than zero.
fn timeout(probe: &Probe) -> Result<Duration, String> {
    let text = &probe.run_properties.timeout;
    match duration(probe, "runProperties.timeout", text)? {
        timeout if timeout.is_zero() => {
            Err(format!("{}: {text:?} must be more than zero", field(probe, "runProperties.timeout")))
        }
        timeout => Ok(timeout),
    }
}

fn duration(probe: &Probe, path: &str, text: &str) -> Result<Duration, String> {
    parse_duration(text).ok_or_else(|| {
        format!("{}: {text:?} is not a duration such as 250ms, 2s or 1m30s", field(probe, path))
    })
}

fn url(probe: &Probe, path: &str, text: &str) -> Result<(), String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
        Ok(_) => Err(format!("{}: {text:?} is not an http or https URL", field(probe, path))),
        Err(e) => Err(format!("{}: {text:?} is not a URL: {e}", field(probe, path))),
    }
}

/// `probes[<name>].<path>`, how errors name a field.
fn field(probe: &Probe, path: &str) -> String {
    format!("probes[{}].{path}", probe.name)
}

/// The type as written in a workflow.
fn type_name(type_: ProbeType) -> &'static str {
    match type_ {
        ProbeType::Http => "http",
        ProbeType::K8s => "k8s",
        ProbeType::Prom => "prom",
        ProbeType::Cmd => "cmd",
    }
}

/// A duration for a message: `300ms`, `2s`.
fn show_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

/// An error and its causes, `: `-separated, each cause left out when the text so far already says it.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A Kubernetes client error for a message: the API server's own message when it answered.
fn kube_cause(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.to_string(),
        other => causes(other),
    }
}

#[cfg(test)]
mod testing {
    //! A real local HTTP server for the http and prom tests, and a context without a cluster.

    use super::ProbeContext;

    /// Serves `router` on a free local port; returns its base URL, e.g. `http://127.0.0.1:41234`.
    pub async fn serve(router: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        format!("http://{address}")
    }

    /// The base URL of a local port nothing listens on.
    pub async fn refused_url() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        format!("http://{address}")
    }

    /// A context whose Kubernetes client points at a port nothing listens on: every API call fails at
    /// once, as with an unreachable cluster.
    pub async fn context() -> ProbeContext {
        let url: axum::http::Uri = refused_url().await.parse().unwrap();
        let client = kube::Client::try_from(kube::Config::new(url)).unwrap();
        ProbeContext {
            client,
            http: reqwest::Client::new(),
            namespace: "chaos-project".into(),
            run: "weekly-x7k2p".into(),
        }
    }
}

#[cfg(test)]
mod probes_tests {
    use super::testing::{context, refused_url, serve};
    use super::*;
    use axum::{http::StatusCode, routing::get, Json, Router};
    use chaoscenter_crds::workflow::{
        CmdProbe, Comparator, ComparatorType, Criteria, HttpMethod, HttpProbe, K8sOperation, K8sProbe,
        ProbeMode, PromProbe, RunProperties,
    };
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn probe(type_: ProbeType) -> Probe {
        Probe {
            name: "checkout-up".into(),
            type_,
            mode: ProbeMode::Continuous,
            http: None,
            k8s: None,
            prom: None,
            cmd: None,
            run_properties: RunProperties::default(),
        }
    }

    fn http_probe(url: String) -> Probe {
        Probe {
            http: Some(HttpProbe {
                url,
                method: HttpMethod::GET,
                body: None,
                expect_status: None,
                expect_body_contains: None,
            }),
            ..probe(ProbeType::Http)
        }
    }

    fn comparator(type_: ComparatorType, criteria: Criteria, value: &str) -> Comparator {
        Comparator { type_, criteria, value: value.into() }
    }

    fn prom_probe(endpoint: String) -> Probe {
        Probe {
            prom: Some(PromProbe {
                endpoint,
                query: "up".into(),
                comparator: comparator(ComparatorType::Float, Criteria::Eq, "1"),
            }),
            ..probe(ProbeType::Prom)
        }
    }

    fn k8s_probe() -> Probe {
        Probe {
            k8s: Some(K8sProbe {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                label_selector: Some("app=checkout".into()),
                field_selector: None,
                operation: K8sOperation::Present,
                count: None,
            }),
            ..probe(ProbeType::K8s)
        }
    }

    fn cmd_probe() -> Probe {
        Probe {
            cmd: Some(CmdProbe {
                command: vec!["sh".into(), "-c".into(), "echo ok".into()],
                image: "busybox:1.36".into(),
                comparator: comparator(ComparatorType::String, Criteria::Equal, "ok"),
            }),
            ..probe(ProbeType::Cmd)
        }
    }

    /// A server whose `/flaky` answers 503 to the first `failures` requests, then 200.
    async fn flaky(failures: u32) -> (String, Arc<AtomicU32>) {
        let hits = Arc::new(AtomicU32::new(0));
        let counter = hits.clone();
        let router = Router::new().route(
            "/flaky",
            get(move || {
                let counter = counter.clone();
                async move {
                    if counter.fetch_add(1, Ordering::SeqCst) < failures {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
            }),
        );
        (serve(router).await, hits)
    }

    #[tokio::test]
    async fn check_passes_on_the_first_good_attempt() {
        let (base, hits) = flaky(2).await;
        let mut p = http_probe(format!("{base}/flaky"));
        p.run_properties.attempts = 5;
        let outcome = check(&context().await, &p).await;
        assert_eq!(outcome, CheckOutcome::passed(format!("GET {base}/flaky -> 200 (attempt 3 of 5)")));
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn check_fails_after_the_last_attempt_with_its_message() {
        let (base, hits) = flaky(10).await;
        let mut p = http_probe(format!("{base}/flaky"));
        p.run_properties.attempts = 3;
        let outcome = check(&context().await, &p).await;
        assert_eq!(
            outcome,
            CheckOutcome::failed(format!("GET {base}/flaky -> 503 (expected 2xx) (attempt 3 of 3)"))
        );
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn check_with_one_attempt_says_nothing_of_attempts() {
        let (base, hits) = flaky(10).await;
        let mut p = http_probe(format!("{base}/flaky"));
        p.run_properties.attempts = 0; // read as 1
        let outcome = check(&context().await, &p).await;
        assert_eq!(outcome, CheckOutcome::failed(format!("GET {base}/flaky -> 503 (expected 2xx)")));
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn each_attempt_is_bounded_by_the_timeout() {
        let base = serve(Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        ))
        .await;
        let mut p = http_probe(format!("{base}/slow"));
        p.run_properties.timeout = "200ms".into();
        p.run_properties.attempts = 2;
        let started = std::time::Instant::now();
        let outcome = check(&context().await, &p).await;
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(!outcome.passed);
        assert!(outcome.message.contains("within 200ms"), "{outcome:?}");
        assert!(outcome.message.ends_with("(attempt 2 of 2)"), "{outcome:?}");
    }

    #[tokio::test]
    async fn bounded_cuts_a_check_at_the_timeout() {
        let outcome = bounded(Duration::from_millis(50), async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            CheckOutcome::passed("too late".into())
        })
        .await;
        assert_eq!(outcome, CheckOutcome::failed("no result within 50ms".into()));
    }

    #[tokio::test]
    async fn check_runs_a_prom_probe() {
        let base = serve(Router::new().route(
            "/api/v1/query",
            get(|| async {
                Json(serde_json::json!({"status": "success",
                    "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1.0, "1"]}]}}))
            }),
        ))
        .await;
        let outcome = check(&context().await, &prom_probe(base)).await;
        assert_eq!(outcome, CheckOutcome::passed("value 1 == 1".into()));
    }

    #[tokio::test]
    async fn check_of_a_k8s_probe_reports_an_unreachable_cluster() {
        let outcome = check(&context().await, &k8s_probe()).await;
        assert!(!outcome.passed);
        assert!(outcome.message.starts_with("failed to resolve kind Deployment in apps/v1: "), "{outcome:?}");
    }

    #[tokio::test]
    async fn check_of_a_cmd_probe_reports_a_job_that_could_not_be_created() {
        let outcome = check(&context().await, &cmd_probe()).await;
        assert!(!outcome.passed);
        assert!(
            outcome.message.starts_with("failed to create Job chaos-project/weekly-x7k2p-probe-checkout-up-"),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn check_fails_without_the_settings_of_the_type() {
        let ctx = context().await;
        for (type_, name) in [
            (ProbeType::Http, "http"),
            (ProbeType::K8s, "k8s"),
            (ProbeType::Prom, "prom"),
            (ProbeType::Cmd, "cmd"),
        ] {
            // Settings of another type do not count.
            let mut p = probe(type_);
            if type_ == ProbeType::Http {
                p.k8s = k8s_probe().k8s;
            } else {
                p.http = http_probe("http://x".into()).http;
            }
            let expected = format!("probes[checkout-up].{name}: missing for a probe of type {name}");
            assert_eq!(check(&ctx, &p).await, CheckOutcome::failed(expected.clone()));
            assert_eq!(preflight(&ctx, &p).await, Err(expected));
        }
    }

    #[tokio::test]
    async fn check_fails_with_a_bad_timeout() {
        let ctx = context().await;
        let mut p = http_probe("http://x".into());
        p.run_properties.timeout = "soon".into();
        assert_eq!(
            check(&ctx, &p).await,
            CheckOutcome::failed(
                "probes[checkout-up].runProperties.timeout: \"soon\" is not a duration such as 250ms, 2s or 1m30s".into()
            )
        );
    }

    #[test]
    fn validate_accepts_good_probes_of_every_type() {
        for p in [
            http_probe("https://checkout.shop.svc:8080/healthz".into()),
            k8s_probe(),
            prom_probe("http://prometheus.monitoring:9090".into()),
            cmd_probe(),
        ] {
            validate(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        }
    }

    #[test]
    fn validate_checks_every_duration() {
        let mut p = http_probe("http://x".into());
        p.run_properties.interval = "2 s".into();
        assert_eq!(
            validate(&p),
            Err("probes[checkout-up].runProperties.interval: \"2 s\" is not a duration such as 250ms, 2s or 1m30s".into())
        );
        let mut p = http_probe("http://x".into());
        p.run_properties.timeout = "1d".into();
        assert!(validate(&p)
            .unwrap_err()
            .starts_with("probes[checkout-up].runProperties.timeout: \"1d\" is not a duration"));
        let mut p = http_probe("http://x".into());
        p.run_properties.timeout = "0s".into();
        assert_eq!(
            validate(&p),
            Err("probes[checkout-up].runProperties.timeout: \"0s\" must be more than zero".into())
        );
        let mut p = http_probe("http://x".into());
        p.run_properties.initial_delay = Some("".into());
        assert!(validate(&p)
            .unwrap_err()
            .starts_with("probes[checkout-up].runProperties.initialDelay: \"\" is not a duration"));
        p.run_properties.initial_delay = Some("1m30s".into());
        p.run_properties.interval = "250ms".into();
        validate(&p).unwrap();
    }

    #[test]
    fn validate_checks_urls() {
        let e = validate(&http_probe("http://exa mple/".into())).unwrap_err();
        assert!(e.starts_with("probes[checkout-up].http.url: \"http://exa mple/\" is not a URL"), "{e}");
        let e = validate(&prom_probe("ftp://prometheus".into())).unwrap_err();
        assert_eq!(e, "probes[checkout-up].prom.endpoint: \"ftp://prometheus\" is not an http or https URL");
    }

    #[test]
    fn validate_checks_cmd_command_and_comparators() {
        for command in [vec![], vec![String::new()], vec![" ".into(), "x".into()]] {
            let mut p = cmd_probe();
            p.cmd.as_mut().unwrap().command = command;
            let e = validate(&p).unwrap_err();
            assert!(e.starts_with("probes[checkout-up].cmd.command: must name the program"), "{e}");
        }
        let mut p = cmd_probe();
        p.cmd.as_mut().unwrap().comparator = comparator(ComparatorType::Int, Criteria::Eq, "ok");
        assert_eq!(
            validate(&p),
            Err("probes[checkout-up].cmd.comparator: value \"ok\" is not an int".into())
        );
        let mut p = prom_probe("http://prometheus:9090".into());
        p.prom.as_mut().unwrap().comparator = comparator(ComparatorType::Float, Criteria::Contains, "1");
        assert!(validate(&p)
            .unwrap_err()
            .starts_with("probes[checkout-up].prom.comparator: criteria contains compares strings"));
    }

    #[test]
    fn validate_checks_k8s_count() {
        let mut p = k8s_probe();
        p.k8s.as_mut().unwrap().operation = K8sOperation::Count;
        assert_eq!(validate(&p), Err("probes[checkout-up].k8s.count: required by operation count".into()));
        p.k8s.as_mut().unwrap().count = Some(0);
        validate(&p).unwrap();
    }

    #[tokio::test]
    async fn preflight_reaches_a_prom_endpoint() {
        let base = serve(Router::new().route(
            "/api/v1/query",
            get(|| async {
                Json(serde_json::json!({"status": "success",
                    "data": {"resultType": "scalar", "result": [1.0, "1"]}}))
            }),
        ))
        .await;
        preflight(&context().await, &prom_probe(base)).await.unwrap();
    }

    #[tokio::test]
    async fn preflight_reports_an_unreachable_prom_endpoint() {
        let base = refused_url().await;
        let e = preflight(&context().await, &prom_probe(base.clone())).await.unwrap_err();
        let prefix = format!("probes[checkout-up].prom.endpoint: {base} is unreachable: ");
        assert!(e.starts_with(&prefix), "{e}");
        assert!(e.to_lowercase().contains("connection refused"), "{e}");
        let other = serve(Router::new()).await;
        let e = preflight(&context().await, &prom_probe(other.clone())).await.unwrap_err();
        assert_eq!(
            e,
            format!("probes[checkout-up].prom.endpoint: {other} is unreachable: GET {other}/api/v1/query?query=1 -> 404 (expected 200)")
        );
    }

    #[tokio::test]
    async fn preflight_needs_no_network_for_other_types() {
        let ctx = context().await;
        for p in [http_probe("http://127.0.0.1:1/".into()), k8s_probe(), cmd_probe()] {
            preflight(&ctx, &p).await.unwrap();
        }
    }

    #[test]
    fn show_duration_prints_seconds_or_milliseconds() {
        assert_eq!(show_duration(Duration::from_secs(2)), "2s");
        assert_eq!(show_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(show_duration(Duration::from_secs(90)), "90s");
    }

    #[test]
    fn causes_joins_the_chain_without_repeats() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("failed to connect")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Outer(std::io::Error::other("connection refused"));
        assert_eq!(causes(&error), "failed to connect: connection refused");
        let io = std::io::Error::other("just this");
        assert_eq!(causes(&io), "just this");
    }
}
