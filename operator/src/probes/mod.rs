//! Probes: one check of a probe (its timeout and attempts included) against the live system, and the
//! pre-flight reachability check of a prom probe's endpoint when a workflow is applied. What a probe may
//! be is decided by `chaoscenter-core`'s validator, what it may reach by the egress policy ([`egress`]);
//! this module only runs the typed checks. What a check reports is short and says what was observed
//! (a status, a value, a reason), never what a server answered beyond that.

mod cmd;
pub mod egress;
mod http;
mod k8s;
mod prom;

pub use chaoscenter_core::duration::format as show_duration;
use chaoscenter_core::limits::PROBE_RETRY_PAUSE;
use chaoscenter_core::plan::{Check, Probe};
use egress::Egress;
use std::future::Future;
use std::time::Duration;

/// How long the pre-flight check waits for a prom probe's endpoint to answer.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(3);
/// The most of a response an http or prom probe reads.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// What a probe check needs from the outside world.
#[derive(Clone)]
pub struct ProbeContext {
    /// Kubernetes client (k8s probes read through it; cmd probes create Jobs with it).
    pub client: kube::Client,
    /// What http and prom probes may reach, and their HTTP clients.
    pub egress: Egress,
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

/// Runs one check of `probe`: up to `attempts` tries, each bounded by `timeout`, 500 ms apart; passes on
/// the first try that passes.
///
/// A cmd probe's Job gets the timeout as its own deadline instead of being cut short, so that it is
/// always cleaned up (also when the check is cancelled: dropping it deletes the Job).
pub async fn check(ctx: &ProbeContext, probe: &Probe) -> CheckOutcome {
    let attempts = probe.attempts.max(1);
    let mut attempt = 1;
    loop {
        let mut outcome = check_once(ctx, probe, probe.timeout).await;
        if attempts > 1 && (outcome.passed || attempt == attempts) {
            outcome.message = format!("{} (attempt {attempt} of {attempts})", outcome.message);
        }
        if outcome.passed || attempt == attempts {
            let verdict = if outcome.passed { "passed" } else { "failed" };
            tracing::info!("probe {} {verdict}: {}", probe.name, outcome.message);
            return outcome;
        }
        attempt += 1;
        // A short pause, so retries span a brief blip (e.g. a Service's endpoints catching up).
        tokio::time::sleep(PROBE_RETRY_PAUSE).await;
    }
}

/// What only the world can tell of a probe: (prom) its endpoint answers `query=1` within 3 s and the
/// egress policy allows it. The error names the field under `path` (e.g. `spec.steps[0].probes[1]`) and
/// says only "unreachable" of an endpoint that did not answer: why not (refused, silent, a 404) would tell
/// whoever applies workflows what listens where.
pub async fn preflight(ctx: &ProbeContext, probe: &Probe, path: &str) -> Result<(), String> {
    if let Check::Prom(prom) = &probe.check {
        let at = format!("{path}.prom.endpoint");
        match prom::reachable(&ctx.egress, &prom.endpoint, PREFLIGHT_TIMEOUT).await {
            Ok(()) => {}
            Err(prom::Unreachable::Refused(why)) => return Err(format!("{at}: {why}")),
            Err(prom::Unreachable::NoAnswer) => {
                return Err(format!(
                    "{at}: {} is unreachable (no Prometheus answer within {})",
                    prom.endpoint,
                    show_duration(PREFLIGHT_TIMEOUT)
                ))
            }
        }
    }
    Ok(())
}

/// One try, of the probe's type.
async fn check_once(ctx: &ProbeContext, probe: &Probe, timeout: Duration) -> CheckOutcome {
    match &probe.check {
        Check::Http(settings) => bounded(timeout, http::check(&ctx.egress, settings, timeout)).await,
        Check::K8s(settings) => bounded(timeout, k8s::check(&ctx.client, settings)).await,
        Check::Prom(settings) => bounded(timeout, prom::check(&ctx.egress, settings, timeout)).await,
        Check::Cmd(settings) => cmd::check(ctx, &probe.name, settings, timeout).await,
    }
}

/// `check`, failed when it takes longer than `timeout`.
async fn bounded(timeout: Duration, check: impl Future<Output = CheckOutcome>) -> CheckOutcome {
    tokio::time::timeout(timeout, check)
        .await
        .unwrap_or_else(|_| CheckOutcome::failed(format!("no result within {}", show_duration(timeout))))
}

/// Why an HTTP request failed, in a few fixed words (`connection refused`, `no response within 2s`):
/// never the error's own text, which may quote what the other side sent.
fn transport_reason(error: &reqwest::Error, timeout: Duration) -> String {
    use std::io::ErrorKind;
    if error.is_timeout() {
        return format!("no response within {}", show_duration(timeout));
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            let reason = match io.kind() {
                ErrorKind::ConnectionRefused => Some("connection refused"),
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => Some("connection closed by the other side"),
                ErrorKind::TimedOut => Some("connection timed out"),
                ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => Some("host unreachable"),
                // what rustls reports a failed handshake as
                ErrorKind::InvalidData if error.is_connect() => Some("TLS handshake failed"),
                _ => None,
            };
            if let Some(reason) = reason {
                return reason.to_string();
            }
        }
        source = cause.source();
    }
    let reason = if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "the response could not be read"
    } else {
        "the request failed (not an HTTP answer?)"
    };
    reason.to_string()
}

/// The first `max` bytes of a response's body (all of it when shorter), and whether that is all of it.
async fn read_bounded(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
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

    use super::egress::{parse_rules, Egress, Fixed, Policy};
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

    /// An egress policy that allows loopback (where the tests' servers listen), else the default.
    pub fn loopback_egress() -> Egress {
        let policy = Policy { allow: parse_rules("127.0.0.0/8").unwrap(), ..Policy::default() };
        Egress::fixed(policy, Fixed::default())
    }

    /// A context whose Kubernetes client points at a port nothing listens on: every API call fails at
    /// once, as with an unreachable cluster.
    pub async fn context() -> ProbeContext {
        let url: axum::http::Uri = refused_url().await.parse().unwrap();
        let client = kube::Client::try_from(kube::Config::new(url)).unwrap();
        ProbeContext {
            client,
            egress: loopback_egress(),
            namespace: "chaos-project".into(),
            run: "weekly-x7k2p".into(),
        }
    }
}

#[cfg(test)]
mod probes_tests {
    use super::egress::{Fixed, Policy};
    use super::testing::{context, refused_url, serve};
    use super::*;
    use axum::{http::StatusCode, routing::get, Json, Router};
    use chaoscenter_core::compare::Comparison;
    use chaoscenter_core::plan::{CmdCheck, HttpCheck, K8sCheck, K8sExpect, PromCheck};
    use chaoscenter_crds::workflow::{Comparator, ComparatorType, Criteria, HttpMethod, ProbeMode};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn probe(check: Check) -> Probe {
        Probe {
            name: "checkout-up".into(),
            mode: ProbeMode::Continuous,
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
            attempts: 1,
            initial_delay: Duration::ZERO,
            stop_on_failure: false,
            check,
        }
    }

    fn http_probe(url: String) -> Probe {
        probe(Check::Http(HttpCheck {
            url,
            method: HttpMethod::GET,
            body: None,
            expect_status: None,
            expect_body_contains: None,
        }))
    }

    fn prom_probe(endpoint: String) -> Probe {
        let comparator =
            Comparator { type_: ComparatorType::Float, criteria: Criteria::Eq, value: "1".into() };
        probe(Check::Prom(PromCheck {
            endpoint,
            query: "up".into(),
            comparison: Comparison::parse(&comparator).unwrap(),
        }))
    }

    fn k8s_probe() -> Probe {
        probe(Check::K8s(K8sCheck {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            label_selector: Some("app=checkout".into()),
            field_selector: None,
            expect: K8sExpect::Present,
        }))
    }

    fn cmd_probe() -> Probe {
        let comparator =
            Comparator { type_: ComparatorType::String, criteria: Criteria::Equal, value: "ok".into() };
        probe(Check::Cmd(CmdCheck {
            command: vec!["sh".into(), "-c".into(), "echo ok".into()],
            image: "busybox:1.36".into(),
            comparison: Comparison::parse(&comparator).unwrap(),
            cpu_millis: 100,
            memory_bytes: 64 * 1024 * 1024,
        }))
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
        p.attempts = 5;
        let outcome = check(&context().await, &p).await;
        assert_eq!(outcome, CheckOutcome::passed("HTTP 200 (attempt 3 of 5)".into()));
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn check_fails_after_the_last_attempt_with_its_message() {
        let (base, hits) = flaky(10).await;
        let mut p = http_probe(format!("{base}/flaky"));
        p.attempts = 3;
        let outcome = check(&context().await, &p).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 503 (expected 2xx) (attempt 3 of 3)".into()));
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn check_with_one_attempt_says_nothing_of_attempts() {
        let (base, hits) = flaky(10).await;
        let outcome = check(&context().await, &http_probe(format!("{base}/flaky"))).await;
        assert_eq!(outcome, CheckOutcome::failed("HTTP 503 (expected 2xx)".into()));
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
        p.timeout = Duration::from_millis(200);
        p.attempts = 2;
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
    async fn a_cancelled_check_stops_at_once() {
        let base = serve(Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(600)).await;
                "late"
            }),
        ))
        .await;
        let mut p = http_probe(format!("{base}/slow"));
        p.timeout = Duration::from_secs(600);
        let ctx = context().await;
        let task = tokio::spawn(async move { check(&ctx, &p).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
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
    async fn preflight_reaches_a_prom_endpoint() {
        let base = serve(Router::new().route(
            "/api/v1/query",
            get(|| async {
                Json(serde_json::json!({"status": "success",
                    "data": {"resultType": "scalar", "result": [1.0, "1"]}}))
            }),
        ))
        .await;
        preflight(&context().await, &prom_probe(base), "spec.steps[0].probes[0]").await.unwrap();
    }

    #[tokio::test]
    async fn preflight_says_only_unreachable_whatever_the_cause() {
        let refused = refused_url().await;
        let silent_404 = serve(Router::new()).await;
        for base in [refused, silent_404] {
            let e = preflight(&context().await, &prom_probe(base.clone()), "spec.steps[0].probes[0]")
                .await
                .unwrap_err();
            assert_eq!(
                e,
                format!("spec.steps[0].probes[0].prom.endpoint: {base} is unreachable (no Prometheus answer within 3s)")
            );
        }
    }

    #[tokio::test]
    async fn preflight_names_a_refusal_by_the_egress_policy() {
        let mut ctx = context().await;
        ctx.egress = Egress::fixed(Policy::default(), Fixed::default());
        let e = preflight(&ctx, &prom_probe("http://169.254.169.254".into()), "p").await.unwrap_err();
        assert_eq!(e, "p.prom.endpoint: refused by the egress policy: 169.254.169.254 is link-local");
    }

    #[tokio::test]
    async fn preflight_needs_no_network_for_other_types() {
        let ctx = context().await;
        for p in [http_probe("http://127.0.0.1:1/".into()), k8s_probe(), cmd_probe()] {
            preflight(&ctx, &p, "p").await.unwrap();
        }
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
