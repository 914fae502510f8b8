//! Run logs: per run, every operator line about it (the events inside its tracing span, which wraps its
//! reconciles, its tasks and the Events published about it) and its cmd probes' output — redacted, bounded
//! (the newest [`MAX_LINES`] lines and [`MAX_BYTES`]; one marker line says how many older ones were
//! dropped) — kept in memory by a tracing [`Layer`] and written every second to the run's `ChaosRunLog`
//! (named like the run, owned by it), which the apiserver copies into the history.

use crate::controllers::FIELD_MANAGER;
use chaoscenter_core::redact::redact;
use chaoscenter_crds::runlog::{ChaosRunLog, ChaosRunLogSpec, MAX_BYTES, MAX_LINES};
use chaoscenter_crds::ChaosWorkflowRun;
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, ObjectMeta, Patch, PatchParams, Preconditions};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The name of the span every line about a run is logged in.
pub const SPAN: &str = "run";
/// The target of the lines that carry a cmd probe's output: they go to the run's log only, never to the
/// operator's own output (see [`quiet_output`]).
pub const OUTPUT_TARGET: &str = "chaoscenter_run_output";
/// The longest line kept (longer ones are cut, with `…`).
pub const MAX_LINE_BYTES: usize = 4 * 1024;
/// The most lines of one cmd probe check's output kept: its last ones (a line before them says how many
/// earlier ones were left out).
pub const PROBE_OUTPUT_LINES: usize = 100;
/// The most bytes of one cmd probe check's output kept: its last ones.
pub const PROBE_OUTPUT_BYTES: usize = 16 * 1024;
/// How often the logs that changed are written.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// How long a written log with no new line stays in memory.
const IDLE: Duration = Duration::from_secs(120);
/// How long a log that cannot be written is retried before it is given up.
const GIVE_UP: Duration = Duration::from_secs(300);
/// Room kept for the marker line within [`MAX_BYTES`].
const MARKER_ROOM: usize = 128;
/// How the marker line starts.
const MARKER_START: &str = "… ";
/// How many logs are written at once.
const CONCURRENT_WRITES: usize = 8;

/// The span of the lines about `run` (its name, uid and namespace are on every line logged inside it).
pub fn span(run: &ChaosWorkflowRun) -> tracing::Span {
    span_of(&run.metadata)
}

/// The span of the lines about the run with `meta`.
pub fn span_of(meta: &ObjectMeta) -> tracing::Span {
    tracing::info_span!(
        SPAN,
        run = meta.name.as_deref().unwrap_or_default(),
        uid = meta.uid.as_deref().unwrap_or_default(),
        namespace = meta.namespace.as_deref().unwrap_or_default()
    )
}

/// Logs a cmd probe check's output into the current run's log (its last [`PROBE_OUTPUT_LINES`] lines
/// and [`PROBE_OUTPUT_BYTES`]); each line is redacted like every other.
pub fn probe_output(probe: &str, output: &str) {
    let (skipped, kept) = tail(output);
    if skipped > 0 {
        tracing::info!(target: OUTPUT_TARGET, probe, "{MARKER_START}{skipped} earlier lines of output not kept");
    }
    for line in kept {
        tracing::info!(target: OUTPUT_TARGET, probe, "{line}");
    }
}

/// The last lines of `output` within the per-check bound, and how many lines before them were left out.
fn tail(output: &str) -> (usize, Vec<&str>) {
    let lines: Vec<&str> = output.lines().collect();
    let mut kept = Vec::new();
    let mut bytes = 0;
    for line in lines.iter().rev() {
        bytes += line.len() + 1;
        if kept.len() == PROBE_OUTPUT_LINES || (bytes > PROBE_OUTPUT_BYTES && !kept.is_empty()) {
            break;
        }
        kept.push(*line);
    }
    kept.reverse();
    (lines.len() - kept.len(), kept)
}

/// The directive that keeps cmd probe output out of the operator's own output.
pub fn quiet_output() -> tracing_subscriber::filter::Directive {
    format!("{OUTPUT_TARGET}=off").parse().expect("a valid directive")
}

/// What the run logs capture: lines at info and above (warnings of the Kubernetes client), whatever the
/// operator's own output shows.
pub fn filter() -> Targets {
    Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("kube", LevelFilter::WARN)
        .with_target(OUTPUT_TARGET, LevelFilter::INFO)
}

/// The run a span is about (kept in the span's extensions).
#[derive(Clone, Debug)]
struct RunOf {
    uid: String,
    name: String,
    namespace: String,
}

/// One run's log in memory.
#[derive(Debug)]
struct Buffer {
    name: String,
    namespace: String,
    lines: VecDeque<String>,
    bytes: usize,
    dropped: u64,
    /// Lines appended so far: a flush records how many it wrote.
    appended: u64,
    flushed: u64,
    /// Whether the ChaosRunLog that may exist already (an operator restarted) was read: its lines come
    /// before these.
    loaded: bool,
    last_line: Instant,
    failing_since: Option<Instant>,
}

impl Buffer {
    fn new(name: &str, namespace: &str) -> Self {
        Self {
            name: name.to_string(),
            namespace: namespace.to_string(),
            lines: VecDeque::new(),
            bytes: 0,
            dropped: 0,
            appended: 0,
            flushed: 0,
            loaded: false,
            last_line: Instant::now(),
            failing_since: None,
        }
    }

    /// Appends a line (cut to [`MAX_LINE_BYTES`]), dropping the oldest beyond the bound.
    fn push(&mut self, line: String) {
        let line = cut(line, MAX_LINE_BYTES);
        self.bytes += line.len();
        self.lines.push_back(line);
        self.appended += 1;
        self.last_line = Instant::now();
        self.trim();
    }

    /// Keeps the newest lines within the bound, the marker included.
    fn trim(&mut self) {
        while self.lines.len() > MAX_LINES - 1 || self.bytes > MAX_BYTES - MARKER_ROOM {
            let Some(old) = self.lines.pop_front() else { break };
            self.bytes -= old.len();
            self.dropped += 1;
        }
    }

    /// Puts the lines of a stored log before these (an operator restarted meanwhile).
    fn prepend(&mut self, stored: &ChaosRunLogSpec) {
        let mut earlier = stored.lines.iter();
        if stored.dropped > 0 && stored.lines.first().is_some_and(|l| l.starts_with(MARKER_START)) {
            earlier.next();
        }
        let earlier: Vec<String> = earlier.cloned().collect();
        self.dropped += u64::try_from(stored.dropped).unwrap_or(0);
        for line in earlier.into_iter().rev() {
            self.bytes += line.len();
            self.lines.push_front(line);
        }
        // the oldest go first, as if the lines had been appended in order
        self.trim();
    }

    /// The lines as written: the marker first when older ones were dropped.
    fn rendered(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.lines.len() + 1);
        if self.dropped > 0 {
            lines.push(format!(
                "{MARKER_START}{} earlier lines dropped (a run's log keeps its newest {MAX_LINES} lines and {} KiB)",
                self.dropped,
                MAX_BYTES / 1024
            ));
        }
        lines.extend(self.lines.iter().cloned());
        lines
    }
}

/// `line` cut to at most `max` bytes (on a character boundary), with `…` when cut.
fn cut(mut line: String, max: usize) -> String {
    if line.len() <= max {
        return line;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line.truncate(end);
    line.push('…');
    line
}

/// The run logs in memory, by run uid; a tracing [`Layer`] fills them.
#[derive(Clone, Default)]
pub struct RunLogs {
    runs: Arc<Mutex<HashMap<String, Buffer>>>,
}

impl RunLogs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Buffer>> {
        // nothing panics while holding the lock (and nothing logs: the layer takes it); recover it if so
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn append(&self, run: &RunOf, line: String) {
        let line = redact(&line);
        self.lock()
            .entry(run.uid.clone())
            .or_insert_with(|| Buffer::new(&run.name, &run.namespace))
            .push(line);
    }

    /// The log of run `uid` as it would be written now (for tests).
    pub fn lines(&self, uid: &str) -> Vec<String> {
        self.lock().get(uid).map(Buffer::rendered).unwrap_or_default()
    }

    /// Writes every log that changed to its run's ChaosRunLog (`runs`: the operator's cache of runs, to
    /// leave alone the logs of runs that are gone), and forgets the logs written and idle.
    pub async fn flush(&self, client: &Client, runs: &Store<ChaosWorkflowRun>) {
        let dirty: Vec<String> =
            self.lock().iter().filter(|(_, b)| b.appended != b.flushed).map(|(uid, _)| uid.clone()).collect();
        futures::stream::iter(dirty)
            .for_each_concurrent(
                CONCURRENT_WRITES,
                |uid| async move { self.flush_one(client, runs, &uid).await },
            )
            .await;
        let now = Instant::now();
        let mut given_up = Vec::new();
        self.lock().retain(|uid, b| {
            let stuck = b.failing_since.is_some_and(|since| now.duration_since(since) > GIVE_UP);
            if stuck {
                given_up.push((uid.clone(), b.name.clone(), b.namespace.clone()));
            }
            !stuck && (b.appended != b.flushed || now.duration_since(b.last_line) < IDLE)
        });
        for (uid, name, namespace) in given_up {
            tracing::warn!(run = %name, %uid, %namespace, "could not write the run's log for minutes; dropped it");
        }
    }

    /// Writes one run's log.
    async fn flush_one(&self, client: &Client, runs: &Store<ChaosWorkflowRun>, uid: &str) {
        let Some((name, namespace, loaded)) =
            self.lock().get(uid).map(|b| (b.name.clone(), b.namespace.clone(), b.loaded))
        else {
            return;
        };
        let run = runs
            .get(&ObjectRef::new(&name).within(&namespace))
            .filter(|r| r.meta().uid.as_deref() == Some(uid));
        let Some(run) = run.filter(|r| !r.is_preview()) else {
            // the run is gone: there is nothing to attach its log to any more (the history keeps what was
            // written); or it is a target preview, which injects nothing and is no history
            self.lock().remove(uid);
            return;
        };
        let api: Api<ChaosRunLog> = Api::namespaced(client.clone(), &namespace);
        let result = async {
            if !loaded {
                self.load(&api, &name, uid).await?;
            }
            let (spec, appended) = {
                let held = self.lock();
                let Some(b) = held.get(uid) else { return Ok(()) };
                let spec = ChaosRunLogSpec {
                    run: name.clone(),
                    run_uid: uid.to_string(),
                    lines: b.rendered(),
                    dropped: i64::try_from(b.dropped).unwrap_or(i64::MAX),
                };
                (spec, b.appended)
            };
            let log = document(&run, spec);
            api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&log)).await?;
            if let Some(b) = self.lock().get_mut(uid) {
                b.flushed = appended;
                b.failing_since = None;
            }
            Ok::<(), kube::Error>(())
        }
        .await;
        if let Err(err) = result {
            let first = {
                let mut held = self.lock();
                let Some(b) = held.get_mut(uid) else { return };
                let first = b.failing_since.is_none();
                b.failing_since.get_or_insert_with(Instant::now);
                first
            };
            if first {
                tracing::warn!(run = %name, %uid, %namespace, %err, "could not write the run's log; retrying");
            }
        }
    }

    /// Reads the run's ChaosRunLog, if one exists: its lines go before the ones in memory (an operator
    /// wrote them before it restarted); one of another run of the same name (deleted, its log not yet
    /// collected) is deleted, so the new run's log is an object of its own.
    async fn load(&self, api: &Api<ChaosRunLog>, name: &str, uid: &str) -> Result<(), kube::Error> {
        match api.get_opt(name).await? {
            Some(stored) if stored.spec.run_uid == uid => {
                if let Some(b) = self.lock().get_mut(uid) {
                    b.prepend(&stored.spec);
                }
            }
            Some(other) => {
                let params = DeleteParams {
                    preconditions: Some(Preconditions {
                        uid: other.meta().uid.clone(),
                        resource_version: None,
                    }),
                    ..DeleteParams::background()
                };
                match api.delete(name, &params).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
                    Err(e) => return Err(e),
                }
            }
            None => {}
        }
        if let Some(b) = self.lock().get_mut(uid) {
            b.loaded = true;
        }
        Ok(())
    }
}

/// The ChaosRunLog of `run` holding `spec`: named like the run, in its namespace, owned by it.
fn document(run: &ChaosWorkflowRun, spec: ChaosRunLogSpec) -> ChaosRunLog {
    let owner = OwnerReference {
        api_version: ChaosWorkflowRun::api_version(&()).to_string(),
        kind: ChaosWorkflowRun::kind(&()).to_string(),
        name: spec.run.clone(),
        uid: spec.run_uid.clone(),
        controller: Some(true),
        block_owner_deletion: None,
    };
    let mut log = ChaosRunLog::new(&spec.run.clone(), spec);
    log.metadata.namespace = run.meta().namespace.clone();
    log.metadata.owner_references = Some(vec![owner]);
    log
}

/// Writes the logs that changed every [`FLUSH_INTERVAL`], for the life of the process.
pub async fn flush_every(logs: RunLogs, client: Client, runs: Store<ChaosWorkflowRun>) {
    loop {
        tokio::time::sleep(FLUSH_INTERVAL).await;
        logs.flush(&client, &runs).await;
    }
}

/// The fields of a run span.
#[derive(Default)]
struct RunFields {
    uid: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

impl Visit for RunFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "uid" => self.uid = Some(value.to_string()),
            "run" => self.name = Some(value.to_string()),
            "namespace" => self.namespace = Some(value.to_string()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

/// An event as one line: its message, then its other fields as `key=value` (the run's own fields left
/// out: the whole log is about that run).
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
    probe: Option<String>,
}

impl Line {
    fn field(&mut self, name: &str, value: &str) {
        match name {
            "message" => self.message = value.to_string(),
            "run" | "uid" | "namespace" => {}
            "probe" => {
                self.probe = Some(value.to_string());
                let _ = write!(self.fields, " probe={value}");
            }
            _ if value.contains(char::is_whitespace) || value.is_empty() => {
                let _ = write!(self.fields, " {name}={value:?}");
            }
            _ => {
                let _ = write!(self.fields, " {name}={value}");
            }
        }
    }
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field.name(), value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.field(field.name(), &format!("{value:?}"));
    }
}

/// The line an event makes: `<time> <LEVEL> <message> <fields>`, or `<time> OUTPUT [<probe>] <line>` for
/// a cmd probe's output.
fn format_line(event: &Event<'_>) -> String {
    let mut line = Line::default();
    event.record(&mut line);
    let at = jiff::Timestamp::now();
    if event.metadata().target() == OUTPUT_TARGET {
        let probe = line.probe.unwrap_or_default();
        return format!("{at:.3} OUTPUT [{probe}] {}", line.message);
    }
    format!("{at:.3} {:<5} {}{}", event.metadata().level(), line.message, line.fields)
}

impl<S> Layer<S> for RunLogs
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != SPAN || attrs.metadata().target() != module_path!() {
            return;
        }
        let mut fields = RunFields::default();
        attrs.record(&mut fields);
        let (Some(uid), Some(name), Some(namespace)) = (fields.uid, fields.name, fields.namespace) else {
            return;
        };
        if uid.is_empty() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(RunOf { uid, name, namespace });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let run = ctx
            .event_scope(event)
            .and_then(|scope| scope.into_iter().find_map(|span| span.extensions().get::<RunOf>().cloned()));
        if let Some(run) = run {
            self.append(&run, format_line(event));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tracing::Instrument;
    use tracing_subscriber::layer::SubscriberExt;

    fn run(name: &str, uid: &str) -> ChaosWorkflowRun {
        let mut run = ChaosWorkflowRun::new(name, Default::default());
        run.metadata.uid = Some(uid.into());
        run.metadata.namespace = Some("shop-chaos".into());
        run
    }

    /// Runs `body` with the run log layer (and its filter) as the only subscriber.
    fn capture(body: impl FnOnce()) -> RunLogs {
        let logs = RunLogs::default();
        let subscriber = tracing_subscriber::registry().with(logs.clone().with_filter(filter()));
        tracing::subscriber::with_default(subscriber, body);
        logs
    }

    #[test]
    fn lines_inside_a_run_span_are_that_runs_and_carry_no_secret() {
        let logs = capture(|| {
            tracing::info!("outside any run");
            span(&run("a", "uid-a")).in_scope(|| {
                tracing::info!(step = "kill", "injected into web-1");
                tracing::warn!(reason = "ProbeFailed", "probe up failed: token=s3cr3t-value");
                tracing::debug!("not kept: below info");
                tracing::warn!(target: "kube::client", "kept: a client warning");
                tracing::info!(target: "kube::client", "not kept: the client's chatter");
                span(&run("b", "uid-b")).in_scope(|| tracing::info!("the inner run's"));
            });
        });
        let a = logs.lines("uid-a");
        assert_eq!(a.len(), 3, "{a:#?}");
        assert!(a[0].ends_with(" INFO  injected into web-1 step=kill"), "{}", a[0]);
        assert!(a[1].ends_with(" WARN  probe up failed: token=[redacted] reason=ProbeFailed"), "{}", a[1]);
        assert!(a[2].ends_with("kept: a client warning"), "{}", a[2]);
        // a time in milliseconds first
        let at: jiff::Timestamp = a[0].split(' ').next().unwrap().parse().unwrap();
        assert!(a[0].starts_with(&format!("{at:.3} ")), "{}", a[0]);
        assert_eq!(logs.lines("uid-b").len(), 1);
        assert!(logs.lines("uid-b")[0].ends_with("the inner run's"));
        assert!(logs.lines("nobody").is_empty());
    }

    #[tokio::test]
    async fn tasks_spawned_in_the_span_log_into_the_run() {
        let logs = RunLogs::default();
        let subscriber = tracing_subscriber::registry().with(logs.clone().with_filter(filter()));
        let _guard = tracing::subscriber::set_default(subscriber);
        async {
            let task =
                tokio::spawn(async { tracing::info!("from a task") }.instrument(tracing::Span::current()));
            task.await.unwrap();
        }
        .instrument(span(&run("a", "uid-a")))
        .await;
        assert_eq!(logs.lines("uid-a").len(), 1);
    }

    #[test]
    fn probe_output_is_kept_in_the_run_log_bounded_and_redacted() {
        let output: String = (1..=150).map(|i| format!("line {i}\n")).collect::<String>()
            + "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl\ncheckout is down";
        let logs = capture(|| span(&run("a", "uid-a")).in_scope(|| probe_output("cart-up", &output)));
        let lines = logs.lines("uid-a");
        assert_eq!(lines.len(), PROBE_OUTPUT_LINES + 1, "the last lines and one saying how many were not");
        assert!(
            lines[0].ends_with(" OUTPUT [cart-up] … 52 earlier lines of output not kept"),
            "{}",
            lines[0]
        );
        assert!(lines[1].ends_with(" OUTPUT [cart-up] line 53"), "{}", lines[1]);
        assert!(lines[99].ends_with(" OUTPUT [cart-up] Authorization: [redacted]"), "{}", lines[99]);
        assert!(lines[100].ends_with(" OUTPUT [cart-up] checkout is down"), "{}", lines[100]);
        assert!(!lines.iter().any(|l| l.contains("eyJ")));
        // one long line is kept, cut, and the byte bound holds for many
        let long = "x".repeat(100 * 1024);
        let (skipped, kept) = tail(&long);
        assert_eq!((skipped, kept.len()), (0, 1));
        let wide: String = (0..100).map(|_| format!("{}\n", "y".repeat(1000))).collect();
        let (skipped, kept) = tail(&wide);
        assert_eq!(kept.len(), PROBE_OUTPUT_BYTES / 1001);
        assert_eq!(skipped + kept.len(), 100);
    }

    #[test]
    fn a_log_keeps_its_newest_lines_within_the_bound_and_says_how_many_went() {
        let mut b = Buffer::new("a", "ns");
        for i in 0..MAX_LINES + 500 {
            b.push(format!("line {i}"));
        }
        let lines = b.rendered();
        assert_eq!(lines.len(), MAX_LINES);
        assert_eq!(
            lines[0],
            format!(
                "… 501 earlier lines dropped (a run's log keeps its newest {MAX_LINES} lines and 256 KiB)"
            )
        );
        assert_eq!(lines[1], "line 501");
        assert_eq!(lines.last().unwrap(), &format!("line {}", MAX_LINES + 499));
        // and within its bytes: long lines are cut to MAX_LINE_BYTES, the oldest dropped
        let mut b = Buffer::new("a", "ns");
        for i in 0..200 {
            b.push(format!("{i} {}", "z".repeat(10 * 1024)));
        }
        let lines = b.rendered();
        let bytes: usize = lines.iter().map(String::len).sum();
        assert!(bytes <= MAX_BYTES, "{bytes}");
        assert!(lines[1..].iter().all(|l| l.len() <= MAX_LINE_BYTES && l.ends_with('…')));
        assert!(lines.last().unwrap().starts_with("199 "));
        assert_eq!(b.dropped as usize + lines.len() - 1, 200);
    }

    #[test]
    fn a_stored_log_goes_before_the_lines_in_memory() {
        let mut first = Buffer::new("a", "ns");
        for i in 0..MAX_LINES {
            first.push(format!("old {i}"));
        }
        let stored = ChaosRunLogSpec {
            run: "a".into(),
            run_uid: "uid-a".into(),
            lines: first.rendered(),
            dropped: first.dropped as i64,
        };
        let mut b = Buffer::new("a", "ns");
        b.push("new 0".into());
        b.prepend(&stored);
        let lines = b.rendered();
        assert_eq!(lines.len(), MAX_LINES);
        assert_eq!(b.dropped, 2, "one dropped before, one now");
        assert!(lines[0].starts_with("… 2 earlier lines dropped"), "{}", lines[0]);
        assert_eq!(lines[1], "old 2");
        assert_eq!(lines.last().unwrap(), "new 0");
    }

    /// The runs cache holding `runs`.
    fn cache(runs: Vec<ChaosWorkflowRun>) -> Store<ChaosWorkflowRun> {
        let (store, mut writer) = testing::filling();
        for run in runs {
            testing::fill(&mut writer, run);
        }
        store
    }

    fn of(run: &ChaosWorkflowRun) -> RunOf {
        RunOf {
            uid: run.metadata.uid.clone().unwrap(),
            name: run.metadata.name.clone().unwrap(),
            namespace: run.metadata.namespace.clone().unwrap(),
        }
    }

    const PATH: &str = "/apis/chaoscenter.io/v1alpha1/namespaces/shop-chaos/chaosrunlogs/a";

    fn is_apply(call: &testing::Call) -> bool {
        call.method == "PATCH"
            && call.path.starts_with(&format!("{PATH}?"))
            && call.path.contains("fieldManager=chaoscenter-operator")
            && call.path.contains("force=true")
    }

    #[tokio::test]
    async fn a_log_is_applied_as_the_runs_chaosrunlog_once_per_change() {
        let (client, api) = testing::FakeApi::start(|call| match call.method.as_str() {
            "GET" => testing::not_found(),
            _ => testing::ok(call.body.clone()),
        });
        let a = run("a", "uid-a");
        let runs = cache(vec![a.clone()]);
        let logs = RunLogs::default();
        logs.append(&of(&a), "t INFO  run started password=hunter2".into());
        logs.flush(&client, &runs).await;
        let calls = api.calls();
        assert_eq!(calls.len(), 2, "{:#?}", api.lines());
        assert_eq!(calls[0].line(), format!("GET {PATH}"), "an earlier log is looked for once");
        assert!(is_apply(&calls[1]), "{}", calls[1].line());
        assert_eq!(
            calls[1].body["spec"],
            serde_json::json!({
                "run": "a", "runUid": "uid-a", "lines": ["t INFO  run started password=[redacted]"], "dropped": 0
            })
        );
        assert_eq!(calls[1].body["metadata"]["ownerReferences"][0]["uid"], "uid-a");
        // nothing new: nothing written; a new line: written again, without looking for an earlier log
        api.clear();
        logs.flush(&client, &runs).await;
        assert!(api.calls().is_empty(), "{:?}", api.lines());
        logs.append(&of(&a), "t INFO  more".into());
        logs.flush(&client, &runs).await;
        let calls = api.calls();
        assert_eq!(calls.len(), 1, "{:?}", api.lines());
        assert_eq!(calls[0].body["spec"]["lines"].as_array().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_restarted_operator_appends_to_what_was_written_and_a_namesakes_log_is_replaced() {
        let stored = |uid: &str| {
            serde_json::json!({"apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosRunLog",
                "metadata": {"name": "a", "namespace": "shop-chaos", "uid": format!("log-of-{uid}")},
                "spec": {"run": "a", "runUid": uid, "lines": ["t INFO  before the restart"], "dropped": 0}})
        };
        // the run's own log: its lines come first
        let (client, api) = testing::FakeApi::start(move |call| match call.method.as_str() {
            "GET" => testing::ok(stored("uid-a")),
            _ => testing::ok(call.body.clone()),
        });
        let a = run("a", "uid-a");
        let runs = cache(vec![a.clone()]);
        let logs = RunLogs::default();
        logs.append(&of(&a), "t INFO  after".into());
        logs.flush(&client, &runs).await;
        let calls = api.calls();
        assert_eq!(calls.len(), 2, "{:?}", api.lines());
        assert_eq!(
            calls[1].body["spec"]["lines"],
            serde_json::json!(["t INFO  before the restart", "t INFO  after"])
        );

        // the log of a deleted run of the same name, not yet collected: deleted (that very object), not
        // written over (its copy in the history is that run's)
        let (client, api) = testing::FakeApi::start(move |call| match call.method.as_str() {
            "GET" => testing::ok(stored("uid-old")),
            "DELETE" => testing::ok(stored("uid-old")),
            _ => testing::ok(call.body.clone()),
        });
        let logs = RunLogs::default();
        logs.append(&of(&a), "t INFO  new run".into());
        logs.flush(&client, &runs).await;
        let calls = api.calls();
        assert_eq!(
            calls.iter().map(|c| c.method.as_str()).collect::<Vec<_>>(),
            ["GET", "DELETE", "PATCH"],
            "{:?}",
            api.lines()
        );
        assert_eq!(calls[1].body["preconditions"]["uid"], "log-of-uid-old");
        assert_eq!(calls[2].body["spec"]["lines"], serde_json::json!(["t INFO  new run"]));
    }

    #[tokio::test]
    async fn a_failed_write_is_retried_and_the_log_of_a_run_gone_is_dropped() {
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let failing = fail.clone();
        let (client, api) = testing::FakeApi::start(move |call| match call.method.as_str() {
            "GET" => testing::not_found(),
            _ if failing.load(std::sync::atomic::Ordering::SeqCst) => testing::error(500, "InternalError"),
            _ => testing::ok(call.body.clone()),
        });
        let a = run("a", "uid-a");
        let runs = cache(vec![a.clone()]);
        let logs = RunLogs::default();
        logs.append(&of(&a), "t INFO  x".into());
        logs.flush(&client, &runs).await;
        assert_eq!(api.calls().len(), 2);
        fail.store(false, std::sync::atomic::Ordering::SeqCst);
        api.clear();
        logs.flush(&client, &runs).await;
        let calls = api.calls();
        assert_eq!(calls.len(), 1, "retried, the earlier log looked for already: {:?}", api.lines());
        assert!(is_apply(&calls[0]));

        // a run no longer in the cache (deleted): its log is forgotten, nothing is written
        api.clear();
        let gone = run("b", "uid-b");
        logs.append(&of(&gone), "t INFO  y".into());
        logs.flush(&client, &runs).await;
        assert!(api.calls().is_empty(), "{:?}", api.lines());
        assert!(logs.lines("uid-b").is_empty());
        // nor is one of a run of the same name but another uid
        logs.append(&of(&run("a", "uid-other")), "t INFO  z".into());
        logs.flush(&client, &runs).await;
        assert!(api.calls().is_empty(), "{:?}", api.lines());
    }

    #[test]
    fn cutting_keeps_characters_whole() {
        assert_eq!(cut("abc".into(), 10), "abc");
        assert_eq!(cut("ééé".into(), 5), "é…");
        assert!(cut("é".repeat(3000), MAX_LINE_BYTES).len() <= MAX_LINE_BYTES);
    }

    #[test]
    fn the_log_object_is_named_like_the_run_and_owned_by_it() {
        let spec =
            ChaosRunLogSpec { run: "a".into(), run_uid: "uid-a".into(), lines: vec!["x".into()], dropped: 0 };
        let log = serde_json::to_value(document(&run("a", "uid-a"), spec)).unwrap();
        assert_eq!(
            log,
            serde_json::json!({
                "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosRunLog",
                "metadata": {"name": "a", "namespace": "shop-chaos", "ownerReferences": [{
                    "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflowRun", "name": "a",
                    "uid": "uid-a", "controller": true}]},
                "spec": {"run": "a", "runUid": "uid-a", "lines": ["x"], "dropped": 0}
            })
        );
    }
}
