//! The cmd probe: a command run once as a Kubernetes Job in the project namespace, its output compared.

use super::{kube_cause, show_duration, CheckOutcome, ProbeContext};
use crate::runlog;
use chaoscenter_core::plan::CmdCheck;
use chaoscenter_core::redact::redact;
use chaoscenter_crds::common::RUN_LABEL;
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, Pod, PodSecurityContext, PodSpec, PodTemplateSpec,
    ResourceRequirements, SeccompProfile, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tracing::Instrument;

/// The name of the probe's container in the Job's pod.
const CONTAINER: &str = "probe";
/// The label the Job controller puts on a Job's pods.
/// Label on a probe Job's pod naming the Job (set by us: `batch.kubernetes.io/job-name` exists only from
/// Kubernetes 1.27).
const JOB_NAME_LABEL: &str = "chaoscenter.io/probe-job";
/// How often the Job's status is read.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Seconds a finished Job stays in the cluster when deleting it failed.
const TTL_SECONDS_AFTER_FINISHED: i32 = 60;
/// The most output read from the command.
const MAX_OUTPUT_BYTES: i64 = 64 * 1024;
/// The user and group the command runs as, whatever its image says (not root; the same as ChaosCenter's
/// own containers).
const RUN_AS: i64 = 65532;
/// A writable `/tmp` for the command (the root filesystem is read-only), and its size limit.
const TMP: &str = "/tmp";
const TMP_SIZE: &str = "16Mi";
/// The most characters of the command's output quoted in a message.
const QUOTED_OUTPUT: usize = 200;
/// The longest name of a Kubernetes Job (its pods carry it in a label, whose values are at most 63).
const MAX_NAME: usize = 63;
/// Characters of the random suffix of a Job's name.
const SUFFIX_LEN: usize = 5;
/// The least the run's name keeps of a Job's name when the probe's name is long.
const MIN_RUN_PART: usize = 10;

/// Runs the command once as a Job and compares its trimmed output. The Job gets `timeout` as its
/// `activeDeadlineSeconds` and the wait for it ends when `timeout` passes; the Job is deleted afterwards in
/// every case (also when this future is dropped).
pub async fn check(ctx: &ProbeContext, probe_name: &str, cmd: &CmdCheck, timeout: Duration) -> CheckOutcome {
    let deadline = Instant::now() + timeout;
    let name = job_name(&ctx.run, probe_name, &random_suffix());
    let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), &ctx.namespace);
    let job = build_job(&name, &ctx.run, cmd, timeout);
    if let Err(e) = jobs.create(&PostParams::default(), &job).await {
        return CheckOutcome::failed(format!(
            "failed to create Job {}/{name}: {}",
            ctx.namespace,
            kube_cause(&e)
        ));
    }
    let cleanup = JobCleanup { jobs: jobs.clone(), name: name.clone(), armed: true };
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &ctx.namespace);
    tracing::info!(probe = probe_name, job = %name, "cmd probe Job created");
    let outcome = match wait(&jobs, &name, deadline).await {
        Ok(Finished::Succeeded) => match output(&pods, &name).await {
            Ok(output) => {
                runlog::probe_output(probe_name, &output);
                match cmd.comparison.holds(&output) {
                    Ok(held) => CheckOutcome {
                        passed: held,
                        message: redact(&cmd.comparison.describe("output", &output, held)),
                    },
                    Err(e) => CheckOutcome::failed(redact(&e)),
                }
            }
            Err(e) => CheckOutcome::failed(e),
        },
        Ok(Finished::Failed(why)) => {
            let output = output(&pods, &name).await.unwrap_or_default();
            runlog::probe_output(probe_name, &output);
            let exit = exit_code(&pods, &name)
                .await
                .map(|code| format!(" with exit code {code}"))
                .unwrap_or_default();
            let mut message = format!("the command failed{exit}");
            if !why.is_empty() {
                message.push_str(&format!(" ({why})"));
            }
            if let Some(last) = output.lines().last() {
                message.push_str(&format!(": {:?}", cut(last)));
            }
            CheckOutcome::failed(message)
        }
        Err(Unfinished { last_error }) => {
            // what it printed so far (if its container ever started)
            if let Ok(output) = output(&pods, &name).await {
                runlog::probe_output(probe_name, &output);
            }
            let mut message = format!("the command did not finish within {}", show_duration(timeout));
            if let Some(waiting) = waiting_reason(&pods, &name).await {
                message.push_str(&format!(" ({waiting})"));
            } else if let Some(error) = last_error {
                message.push_str(&format!(" (last error reading Job {name}: {error})"));
            }
            CheckOutcome::failed(message)
        }
    };
    cleanup.delete().await;
    outcome
}

/// How a Job ended.
#[derive(Debug, PartialEq, Eq)]
enum Finished {
    Succeeded,
    /// With the reason and message of its Failed condition, if any.
    Failed(String),
}

/// The Job had not ended by the deadline.
#[derive(Debug)]
struct Unfinished {
    last_error: Option<String>,
}

/// Polls the Job until it succeeds or fails, or the deadline passes.
async fn wait(jobs: &Api<Job>, name: &str, deadline: Instant) -> Result<Finished, Unfinished> {
    let mut last_error = None;
    loop {
        match jobs.get_opt(name).await {
            Ok(Some(job)) => {
                if let Some(finished) = finished(&job) {
                    return Ok(finished);
                }
            }
            Ok(None) => return Ok(Finished::Failed("the Job was deleted".into())),
            // Transient API errors: keep trying until the deadline, and say so if it passes.
            Err(e) => last_error = Some(kube_cause(&e)),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Unfinished { last_error });
        }
        tokio::time::sleep(POLL_INTERVAL.min(deadline - now)).await;
    }
}

/// Whether a Job has ended, from its status.
fn finished(job: &Job) -> Option<Finished> {
    let status = job.status.as_ref()?;
    if status.succeeded.unwrap_or(0) >= 1 {
        return Some(Finished::Succeeded);
    }
    let failed_condition = status
        .conditions
        .iter()
        .flatten()
        .find(|c| (c.type_ == "Failed" || c.type_ == "FailureTarget") && c.status == "True");
    if let Some(condition) = failed_condition {
        let why = [condition.reason.as_deref(), condition.message.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        return Some(Finished::Failed(why));
    }
    if status.failed.unwrap_or(0) >= 1 {
        return Some(Finished::Failed(String::new()));
    }
    None
}

/// The Job's pods, newest first.
async fn job_pods(pods: &Api<Pod>, job: &str) -> Result<Vec<Pod>, String> {
    let params = ListParams::default().labels(&format!("{JOB_NAME_LABEL}={job}"));
    let mut list = pods
        .list(&params)
        .await
        .map_err(|e| format!("failed to list the pods of Job {job}: {}", kube_cause(&e)))?
        .items;
    list.sort_by(|a, b| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp));
    Ok(list)
}

/// The trimmed output of the Job's (newest) pod.
async fn output(pods: &Api<Pod>, job: &str) -> Result<String, String> {
    let list = job_pods(pods, job).await?;
    let Some(pod) = list.first().and_then(|p| p.metadata.name.as_deref()) else {
        return Err(format!("Job {job} has no pod to read the output from"));
    };
    let params = LogParams {
        container: Some(CONTAINER.into()),
        limit_bytes: Some(MAX_OUTPUT_BYTES),
        ..LogParams::default()
    };
    let logs = pods
        .logs(pod, &params)
        .await
        .map_err(|e| format!("failed to read the output of pod {pod}: {}", kube_cause(&e)))?;
    Ok(logs.trim().to_string())
}

/// The exit code of the probe container of the Job's (newest) pod, once terminated.
async fn exit_code(pods: &Api<Pod>, job: &str) -> Option<i32> {
    let list = job_pods(pods, job).await.ok()?;
    container_status(list.first()?)?.state.as_ref()?.terminated.as_ref().map(|t| t.exit_code)
}

/// Why the Job's pod is not done, e.g. `pod phase Pending: ImagePullBackOff: Back-off pulling image`.
async fn waiting_reason(pods: &Api<Pod>, job: &str) -> Option<String> {
    let list = job_pods(pods, job).await.ok()?;
    let pod = list.first()?;
    let phase = pod.status.as_ref()?.phase.clone().unwrap_or_default();
    let waiting = container_status(pod)
        .and_then(|s| s.state.as_ref())
        .and_then(|s| s.waiting.as_ref())
        .map(|w| {
            [w.reason.as_deref(), w.message.as_deref()]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(": ")
        })
        .filter(|w| !w.is_empty());
    match waiting {
        Some(waiting) => Some(format!("pod phase {phase}: {}", cut(&waiting))),
        None if !phase.is_empty() => Some(format!("pod phase {phase}")),
        None => None,
    }
}

fn container_status(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::ContainerStatus> {
    pod.status.as_ref()?.container_statuses.as_ref()?.iter().find(|s| s.name == CONTAINER)
}

/// Text for a message (the command's output, a pod's reason), without secrets, cut to a readable length.
fn cut(text: &str) -> String {
    chaoscenter_core::compare::cut(&redact(text), QUOTED_OUTPUT)
}

/// Deletes the Job when dropped unless [`JobCleanup::delete`] did already, so that a check cancelled
/// mid-way (its future dropped) leaves no Job running.
struct JobCleanup {
    jobs: Api<Job>,
    name: String,
    armed: bool,
}

impl JobCleanup {
    async fn delete(mut self) {
        self.armed = false;
        delete_job(&self.jobs, &self.name).await;
    }
}

impl Drop for JobCleanup {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let jobs = self.jobs.clone();
            let name = std::mem::take(&mut self.name);
            runtime.spawn(async move { delete_job(&jobs, &name).await }.in_current_span());
        }
    }
}

/// Deletes a Job and, in the background, its pods; a failure is logged (the Job's TTL removes it later).
async fn delete_job(jobs: &Api<Job>, name: &str) {
    match jobs.delete(name, &DeleteParams::background()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.is_not_found() => {}
        Err(e) => tracing::warn!(
            job = name,
            error = %kube_cause(&e),
            "failed to delete a cmd probe Job; its TTL will remove it"
        ),
    }
}

/// The Job running `cmd` once: no retries, `timeout` as its deadline (whole seconds, rounded up, at
/// least 1), removed 60 s after it finishes if nobody deletes it first, in a restricted container: not
/// root (uid and gid 65532), no privilege escalation, no capabilities, the runtime's seccomp profile, a
/// read-only root filesystem with a small writable `/tmp`, the probe's CPU and memory as request and limit,
/// no service account token and no Service environment variables.
fn build_job(name: &str, run: &str, cmd: &CmdCheck, timeout: Duration) -> Job {
    let labels = BTreeMap::from([(RUN_LABEL.to_string(), label_value(run))]);
    let seccomp = || Some(SeccompProfile { type_: "RuntimeDefault".into(), ..SeccompProfile::default() });
    let security_context = SecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS),
        run_as_group: Some(RUN_AS),
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(true),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Capabilities::default() }),
        seccomp_profile: seccomp(),
        ..SecurityContext::default()
    };
    let resources = BTreeMap::from([
        ("cpu".to_string(), Quantity(format!("{}m", cmd.cpu_millis))),
        ("memory".to_string(), Quantity(memory(cmd.memory_bytes))),
    ]);
    Job {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            active_deadline_seconds: Some(deadline_seconds(timeout)),
            ttl_seconds_after_finished: Some(TTL_SECONDS_AFTER_FINISHED),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some({
                        let mut pod_labels = labels;
                        pod_labels.insert(JOB_NAME_LABEL.to_string(), name.to_string());
                        pod_labels
                    }),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    // The command has no business with the Kubernetes API, nor with the namespace's Services
                    // beyond what it names itself.
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    active_deadline_seconds: Some(deadline_seconds(timeout)),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(RUN_AS),
                        run_as_group: Some(RUN_AS),
                        seccomp_profile: seccomp(),
                        ..PodSecurityContext::default()
                    }),
                    containers: vec![Container {
                        name: CONTAINER.into(),
                        image: Some(cmd.image.clone()),
                        image_pull_policy: Some("IfNotPresent".into()),
                        command: Some(cmd.command.clone()),
                        security_context: Some(security_context),
                        resources: Some(ResourceRequirements {
                            requests: Some(resources.clone()),
                            limits: Some(resources),
                            ..ResourceRequirements::default()
                        }),
                        volume_mounts: Some(vec![VolumeMount {
                            name: "tmp".into(),
                            mount_path: TMP.into(),
                            ..VolumeMount::default()
                        }]),
                        ..Container::default()
                    }],
                    volumes: Some(vec![Volume {
                        name: "tmp".into(),
                        empty_dir: Some(EmptyDirVolumeSource {
                            size_limit: Some(Quantity(TMP_SIZE.into())),
                            ..EmptyDirVolumeSource::default()
                        }),
                        ..Volume::default()
                    }]),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        status: None,
    }
}

/// A memory quantity as Kubernetes shows it back: `128Mi`, `1000Ki`, else bytes.
fn memory(bytes: u64) -> String {
    match bytes {
        b if b % (1024 * 1024) == 0 => format!("{}Mi", b / (1024 * 1024)),
        b if b % 1024 == 0 => format!("{}Ki", b / 1024),
        b => b.to_string(),
    }
}

/// `timeout` in whole seconds, rounded up, at least 1.
fn deadline_seconds(timeout: Duration) -> i64 {
    let seconds = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    i64::try_from(seconds.max(1)).unwrap_or(i64::MAX)
}

/// `<run>-probe-<probe>-<suffix>`: a DNS label of at most 63 characters. The run's part is cut first
/// (down to [`MIN_RUN_PART`]), then the probe's; characters a DNS label cannot hold become `-`.
fn job_name(run: &str, probe: &str, suffix: &str) -> String {
    let run = dns_label_chars(run, "run");
    let probe = dns_label_chars(probe, "cmd");
    let fixed = "-probe-".len() + 1 + suffix.len();
    // Both parts start with an alphanumeric and keep at least one character, so neither ends up empty.
    let probe_room = MAX_NAME.saturating_sub(fixed + MIN_RUN_PART.min(run.len()));
    let probe = trim_dashes(cut_chars(&probe, probe_room));
    let run_room = MAX_NAME.saturating_sub(fixed + probe.len());
    let run = trim_dashes(cut_chars(&run, run_room));
    format!("{run}-probe-{probe}-{suffix}")
}

/// Lowercase, every character other than `a-z`, `0-9` and `-` replaced by `-`, no `-` at either end;
/// `fallback` when nothing is left.
fn dns_label_chars(text: &str, fallback: &str) -> String {
    let label: String = text
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' })
        .collect();
    match trim_dashes(&label) {
        "" => fallback.to_string(),
        trimmed => trimmed.to_string(),
    }
}

/// The first `max` characters (all ASCII here).
fn cut_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn trim_dashes(text: &str) -> &str {
    text.trim_matches('-')
}

/// The run's name as a label value (at most 63 characters, alphanumeric at both ends): unchanged for
/// any name a run normally has; cut otherwise.
fn label_value(run: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let cleaned: String = run.chars().map(|c| if allowed(c) { c } else { '-' }).collect();
    cut_chars(&cleaned, MAX_NAME).trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string()
}

/// Five base-36 characters, different for every call: a process-wide counter mixed with the per-process
/// random keys of the standard library's hasher (no random-number crate is needed).
fn random_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut value = hasher.finish();
    let mut suffix = String::with_capacity(SUFFIX_LEN);
    for _ in 0..SUFFIX_LEN {
        let digit = u32::try_from(value % 36).unwrap_or(0);
        suffix.push(std::char::from_digit(digit, 36).unwrap_or('0'));
        value /= 36;
    }
    suffix
}

#[cfg(test)]
mod cmd_tests {
    use super::*;
    use chaoscenter_crds::workflow::{Comparator, ComparatorType, Criteria};
    use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};

    fn is_dns_label(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= 63
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-')
    }

    #[test]
    fn job_name_keeps_short_names_whole() {
        assert_eq!(
            job_name("checkout-weekly-x7k2p", "cart-up", "ab12c"),
            "checkout-weekly-x7k2p-probe-cart-up-ab12c"
        );
    }

    #[test]
    fn job_name_cuts_the_run_first() {
        let run = "a-very-long-workflow-name-that-goes-on-and-on-20250101-abcde";
        let name = job_name(run, "cart-up", "ab12c");
        // Cut to 50 characters, then the dash the cut ended on.
        assert_eq!(name, "a-very-long-workflow-name-that-goes-on-and-probe-cart-up-ab12c");
        let run = "r".repeat(100);
        let name = job_name(&run, "cart-up", "ab12c");
        assert_eq!(name, format!("{}-probe-cart-up-ab12c", "r".repeat(43)));
        assert_eq!(name.len(), 63);
    }

    #[test]
    fn job_name_cuts_the_probe_when_it_alone_is_too_long() {
        let probe = "p".repeat(63);
        let name = job_name("my-run-1234567", &probe, "ab12c");
        assert!(is_dns_label(&name), "{name}");
        assert!(name.starts_with("my-run-123-probe-ppp"), "{name}");
        assert!(name.ends_with("p-ab12c"), "{name}");
        let name = job_name("r", &probe, "ab12c");
        assert!(is_dns_label(&name), "{name}");
        assert!(name.starts_with("r-probe-ppp"), "{name}");
        assert_eq!(name.len(), 63);
    }

    #[test]
    fn job_name_never_has_dashes_at_the_cut_or_bad_characters() {
        // The cut falls right after a dash in the run's name.
        let run = format!("{}-tail", "r".repeat(47));
        let name = job_name(&run, "up", "ab12c");
        assert!(is_dns_label(&name), "{name}");
        assert!(!name.contains("--"), "{name}");
        for (run, probe) in [
            ("Run.With.Dots", "UP"),
            ("", ""),
            ("---", "---"),
            ("é-run", "probe_1"),
            (&"x".repeat(300) as &str, &"y".repeat(300) as &str),
            ("", &"y".repeat(300) as &str),
            ("---", &"y".repeat(300) as &str),
        ] {
            let name = job_name(run, probe, &random_suffix());
            assert!(is_dns_label(&name), "{run:?} {probe:?}: {name}");
            assert!(name.contains("-probe-"), "{name}");
        }
        let name = job_name("", &"y".repeat(300), "ab12c");
        assert!(name.starts_with("run-probe-yyy") && name.ends_with("y-ab12c"), "{name}");
        assert_eq!(job_name("", "", "ab12c"), "run-probe-cmd-ab12c");
        assert_eq!(job_name("Run.1", "P_2", "ab12c"), "run-1-probe-p-2-ab12c");
    }

    #[test]
    fn random_suffixes_are_short_and_distinct() {
        let suffixes: std::collections::HashSet<String> = (0..100).map(|_| random_suffix()).collect();
        assert_eq!(suffixes.len(), 100);
        for s in &suffixes {
            assert_eq!(s.len(), SUFFIX_LEN);
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{s}");
        }
    }

    #[test]
    fn memory_is_shown_in_the_largest_whole_unit() {
        assert_eq!(memory(64 * 1024 * 1024), "64Mi");
        assert_eq!(memory(100_000 * 1024), "100000Ki");
        assert_eq!(memory(100_000_000), "100000000");
    }

    #[test]
    fn deadline_is_rounded_up_to_whole_seconds() {
        assert_eq!(deadline_seconds(Duration::ZERO), 1);
        assert_eq!(deadline_seconds(Duration::from_millis(250)), 1);
        assert_eq!(deadline_seconds(Duration::from_secs(1)), 1);
        assert_eq!(deadline_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(deadline_seconds(Duration::from_secs(90)), 90);
    }

    #[test]
    fn label_value_is_the_run_name_or_a_valid_cut_of_it() {
        assert_eq!(label_value("checkout-weekly-x7k2p"), "checkout-weekly-x7k2p");
        assert_eq!(label_value("a.b_c"), "a.b_c");
        let long = format!("{}-{}", "a".repeat(62), "b".repeat(20));
        assert_eq!(label_value(&long), "a".repeat(62));
    }

    fn cmd() -> CmdCheck {
        CmdCheck {
            command: vec!["sh".into(), "-c".into(), "echo ok".into()],
            image: "busybox:1.36".into(),
            comparison: chaoscenter_core::compare::Comparison::parse(&Comparator {
                type_: ComparatorType::String,
                criteria: Criteria::Equal,
                value: "ok".into(),
            })
            .unwrap(),
            cpu_millis: 250,
            memory_bytes: 128 * 1024 * 1024,
        }
    }

    #[test]
    fn the_job_runs_the_command_once_restricted_and_labelled() {
        let job = build_job("r-probe-up-ab12c", "r", &cmd(), Duration::from_millis(1500));
        let value = serde_json::to_value(&job).unwrap();
        let expected = serde_json::json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "r-probe-up-ab12c", "labels": {"chaoscenter.io/run": "r"}},
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": 2,
                "ttlSecondsAfterFinished": 60,
                "template": {
                    "metadata": {"labels": {"chaoscenter.io/run": "r", "chaoscenter.io/probe-job": "r-probe-up-ab12c"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "automountServiceAccountToken": false,
                        "enableServiceLinks": false,
                        "activeDeadlineSeconds": 2,
                        "securityContext": {
                            "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"}
                        },
                        "containers": [{
                            "name": "probe",
                            "image": "busybox:1.36",
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["sh", "-c", "echo ok"],
                            "securityContext": {
                                "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
                                "allowPrivilegeEscalation": false,
                                "privileged": false,
                                "readOnlyRootFilesystem": true,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"}
                            },
                            "resources": {
                                "requests": {"cpu": "250m", "memory": "128Mi"},
                                "limits": {"cpu": "250m", "memory": "128Mi"}
                            },
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]
                        }],
                        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}]
                    }
                }
            }
        });
        assert_eq!(value, expected);
    }

    fn job_with(status: JobStatus) -> Job {
        Job { status: Some(status), ..Job::default() }
    }

    fn condition(type_: &str, reason: &str, message: &str) -> JobCondition {
        JobCondition {
            type_: type_.into(),
            status: "True".into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            ..JobCondition::default()
        }
    }

    #[test]
    fn finished_reads_the_job_status() {
        assert_eq!(finished(&Job::default()), None);
        assert_eq!(finished(&job_with(JobStatus::default())), None);
        let running = JobStatus { active: Some(1), ..JobStatus::default() };
        assert_eq!(finished(&job_with(running)), None);
        let succeeded = JobStatus { succeeded: Some(1), ..JobStatus::default() };
        assert_eq!(finished(&job_with(succeeded)), Some(Finished::Succeeded));
        let failed = JobStatus { failed: Some(1), ..JobStatus::default() };
        assert_eq!(finished(&job_with(failed)), Some(Finished::Failed(String::new())));
        let deadline = JobStatus {
            conditions: Some(vec![condition(
                "Failed",
                "DeadlineExceeded",
                "Job was active longer than specified deadline",
            )]),
            ..JobStatus::default()
        };
        assert_eq!(
            finished(&job_with(deadline)),
            Some(Finished::Failed("DeadlineExceeded: Job was active longer than specified deadline".into()))
        );
        let not_yet = JobStatus {
            conditions: Some(vec![JobCondition { status: "False".into(), ..condition("Failed", "x", "y") }]),
            ..JobStatus::default()
        };
        assert_eq!(finished(&job_with(not_yet)), None);
    }
}
