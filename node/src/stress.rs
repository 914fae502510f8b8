//! The stress faults: the agent's own binary started as a stressor child (CPU, memory, IO) inside the target container's cgroup, or on the node outside pods, dying with the agent.

use crate::cgroup::{self, Dir};
use crate::held::{Held, ProcessRef, Record, Scene, Started};
use chaoscenter_crds::injection::NodeFault;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The first argument that makes the agent's binary a stressor.
pub const SUBCOMMAND: &str = "stress";
/// What a memory stressor leaves free below a container's limit (unless `allowOom`).
const MEMORY_MARGIN: u64 = 8 << 20;
/// What a node memory stressor leaves of the node's available memory.
const NODE_MEMORY_MARGIN: u64 = 256 << 20;
/// A CPU stressor's duty cycle.
const CPU_PERIOD: Duration = Duration::from_millis(100);
const MIB: u64 = 1 << 20;

/// What one stressor process does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Keeps one CPU busy `load` percent of each 100 ms.
    Cpu { load: u32 },
    /// Allocates and touches `bytes`, and holds them.
    Memory { bytes: u64 },
    /// Writes `bytes` to `file` and syncs, deletes it, again and again.
    Io { bytes: u64, file: PathBuf },
}

/// A stressor's command line (after the subcommand): its work and the agent's pid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub work: Work,
    pub parent_pid: u32,
}

impl Job {
    /// The arguments after the binary's name.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![SUBCOMMAND.to_string()];
        match &self.work {
            Work::Cpu { load } => args.extend(["cpu".into(), "--load".into(), load.to_string()]),
            Work::Memory { bytes } => args.extend(["memory".into(), "--bytes".into(), bytes.to_string()]),
            Work::Io { bytes, file } => args.extend([
                "io".into(),
                "--bytes".into(),
                bytes.to_string(),
                "--file".into(),
                file.display().to_string(),
            ]),
        }
        args.extend(["--parent-pid".into(), self.parent_pid.to_string()]);
        args
    }

    /// Parses the arguments after the binary's name (`stress <cpu|memory|io> --option value …`).
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let [sub, kind, rest @ ..] = args else {
            return Err("usage: stress <cpu|memory|io> [options]".into());
        };
        if sub != SUBCOMMAND {
            return Err(format!("{sub:?} is not {SUBCOMMAND:?}"));
        }
        if rest.len() % 2 != 0 {
            return Err("every option needs a value".into());
        }
        let mut options = std::collections::HashMap::new();
        for pair in rest.chunks(2) {
            options.insert(pair[0].as_str(), pair[1].as_str());
        }
        let number = |name: &str| -> Result<u64, String> {
            let text = options.get(name).ok_or_else(|| format!("{name} is required"))?;
            text.parse().map_err(|_| format!("{name} {text:?} is not a number"))
        };
        let parent_pid = u32::try_from(number("--parent-pid")?).map_err(|_| "--parent-pid is too large")?;
        let work = match kind.as_str() {
            "cpu" => {
                let load = number("--load")?;
                if !(1..=100).contains(&load) {
                    return Err(format!("--load {load} is outside 1 to 100"));
                }
                Work::Cpu { load: load as u32 }
            }
            "memory" => Work::Memory { bytes: number("--bytes")? },
            "io" => Work::Io {
                bytes: number("--bytes")?,
                file: options.get("--file").ok_or("--file is required")?.into(),
            },
            other => return Err(format!("{other:?} is not cpu, memory or io")),
        };
        Ok(Self { work, parent_pid })
    }
}

/// The stressor process's `main`: dies with the agent (and exits at once if the agent is already gone),
/// waits for the agent's go (after it is moved into its cgroups), then works until killed. Returns the
/// exit code.
pub fn child_main(args: &[String]) -> i32 {
    let job = match Job::parse(args) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("chaoscenter-node stress: {e}");
            return 2;
        }
    };
    if let Err(e) = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL) {
        eprintln!("chaoscenter-node stress: failed to set the parent-death signal: {e}");
        return 2;
    }
    // the agent may have died before the line above: then this process has another parent already
    if u32::try_from(nix::unistd::getppid().as_raw()).ok() != Some(job.parent_pid) {
        return 3;
    }
    // under memory pressure (a node stressor, or allowOom at a container's limit) the kernel kills the
    // stressor first, never the workload or the node's daemons
    let _ = std::fs::write("/proc/self/oom_score_adj", "1000");
    let mut go = [0u8; 1];
    if !matches!(std::io::stdin().read(&mut go), Ok(1)) {
        return 0;
    }
    match job.work {
        Work::Cpu { load } => burn(load),
        Work::Memory { bytes } => hold(bytes),
        Work::Io { bytes, file } => write_forever(bytes, &file),
    }
}

fn burn(load: u32) -> ! {
    let busy = CPU_PERIOD * load / 100;
    loop {
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < busy {
            for _ in 0..1000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        if let Some(rest) = CPU_PERIOD.checked_sub(start.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

fn hold(bytes: u64) -> ! {
    const CHUNK: u64 = 16 << 20;
    let mut held: Vec<Vec<u8>> = vec![];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK) as usize;
        let mut chunk = vec![0u8; n];
        // a zeroed allocation is not backed by memory until written: write every page
        for i in (0..n).step_by(4096) {
            chunk[i] = 1;
        }
        held.push(chunk);
        left -= n as u64;
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
        std::hint::black_box(&held);
    }
}

fn write_forever(bytes: u64, file: &Path) -> i32 {
    const CHUNK: usize = 1 << 20;
    const ALIGN: usize = 4096;
    // direct IO (an aligned buffer) is charged to the writer's cgroup; filesystems without it get
    // buffered writes and fsync
    let buffer = vec![0x5au8; CHUNK + ALIGN];
    let offset = (ALIGN - buffer.as_ptr() as usize % ALIGN) % ALIGN;
    let block = &buffer[offset..offset + CHUNK];
    let mut direct = true;
    loop {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        if direct {
            std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, nix::libc::O_DIRECT);
        }
        let written = options.open(file).and_then(|mut f| {
            let mut left = bytes;
            while left > 0 {
                // direct writes are whole blocks: the last one is rounded up
                let n = (left.min(CHUNK as u64) as usize).div_ceil(ALIGN) * ALIGN;
                f.write_all(&block[..n.min(CHUNK)])?;
                left = left.saturating_sub(n as u64);
            }
            f.sync_all()
        });
        match written {
            Ok(()) => {}
            Err(_) if direct => direct = false,
            Err(e) => {
                eprintln!("chaoscenter-node stress: failed to write {}: {e}", file.display());
                let _ = std::fs::remove_file(file);
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        let _ = std::fs::remove_file(file);
    }
}

/// Where the stressors run.
enum Place {
    /// In a container's cgroups.
    Container { name: String, dirs: Vec<Dir> },
    /// On the node, in the root cgroups.
    Node,
}

/// Starts the fault of `scene`.
pub async fn start(scene: &Scene<'_>, record: &mut Record) -> Result<Started, String> {
    let socket = &scene.config.cri_socket;
    let pod_uid = &scene.spec.target.uid;
    let target = |name: Option<String>| async move {
        let c = crate::cri::target_container(socket, pod_uid, name.as_deref())
            .await
            .map_err(|e| format!("failed to find the target container: {e:#}"))?;
        let dirs = cgroup::of_process(c.pid)
            .map_err(|e| format!("failed to read container {}'s cgroups: {e:#}", c.name))?;
        Ok::<_, String>((c, dirs))
    };
    let (works, place, mut note, mechanism) = match &scene.spec.fault {
        NodeFault::PodCpuStress { container, cores, load } => {
            let (c, dirs) = target(container.clone()).await?;
            let note = format!("{cores} CPU stressor(s) at {load} % in container {}'s cgroups", c.name);
            let works = (0..*cores).map(|_| Work::Cpu { load: *load }).collect();
            (works, Place::Container { name: c.name, dirs }, note, "cgroup-stressor")
        }
        NodeFault::PodMemoryStress { container, bytes, percent, allow_oom } => {
            let (c, dirs) = target(container.clone()).await?;
            let memory = cgroup::memory_dir(&dirs)
                .ok_or_else(|| format!("container {} has no memory cgroup here", c.name))?;
            let limit = cgroup::memory_limit(memory);
            let wanted = match (bytes, percent, limit) {
                (Some(b), _, _) => *b,
                (None, Some(p), Some(limit)) => (limit as f64 * p / 100.0) as u64,
                (None, Some(_), None) => {
                    return Err(format!(
                        "percent needs a memory limit, and container {} has none (give size instead)",
                        c.name
                    ))
                }
                (None, None, _) => return Err("pod-memory-stress needs bytes or percent".into()),
            };
            let (amount, remark) = match (limit, allow_oom) {
                (Some(limit), false) => {
                    let usage = cgroup::memory_usage(memory).unwrap_or(0);
                    let (amount, capped) = cgroup::memory_cap(wanted, limit, usage, MEMORY_MARGIN);
                    if amount == 0 {
                        return Err(format!(
                            "container {} uses {} MiB of its {} MiB memory limit: no room below it (allowOom would pass it)",
                            c.name,
                            usage / MIB,
                            limit / MIB
                        ));
                    }
                    let why = format!(
                        " (capped from {} MiB to stay below the limit of {} MiB, {} MiB in use)",
                        wanted / MIB,
                        limit / MIB,
                        usage / MIB
                    );
                    (amount, capped.then_some(why))
                }
                (Some(limit), true) if wanted > limit => (
                    wanted,
                    Some(format!(
                        " (allowOom: past the limit of {} MiB the kernel OOM-kills the stressor first)",
                        limit / MIB
                    )),
                ),
                _ => (wanted, None),
            };
            let note = format!(
                "holding {} MiB in container {}'s cgroups{}",
                amount / MIB,
                c.name,
                remark.unwrap_or_default()
            );
            (
                vec![Work::Memory { bytes: amount }],
                Place::Container { name: c.name, dirs },
                note,
                "cgroup-stressor",
            )
        }
        NodeFault::PodIoStress { container, workers, bytes, path } => {
            let (c, dirs) = target(container.clone()).await?;
            let dir = PathBuf::from(format!("/proc/{}/root", c.pid)).join(path.trim_start_matches('/'));
            if !dir.is_dir() {
                return Err(format!("path {path:?} is not a directory in container {}", c.name));
            }
            let short: String =
                scene.injection_uid.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
            let works: Vec<Work> = (0..*workers)
                .map(|n| Work::Io { bytes: *bytes, file: dir.join(format!(".chaoscenter-io-{short}-{n}")) })
                .collect();
            // journalled (by the caller, after the start) so a restarted agent removes them
            for w in &works {
                if let Work::Io { file, .. } = w {
                    record.files.push(file.display().to_string());
                }
            }
            let note = format!(
                "{workers} writer(s) of {} MiB each under {path} in container {}'s cgroups",
                bytes / MIB,
                c.name
            );
            (works, Place::Container { name: c.name, dirs }, note, "cgroup-stressor")
        }
        NodeFault::NodeCpuStress { cores, load } => {
            let works = (0..*cores).map(|_| Work::Cpu { load: *load }).collect();
            (works, Place::Node, format!("{cores} CPU stressor(s) at {load} % on the node"), "node-stressor")
        }
        NodeFault::NodeMemoryStress { bytes, percent } => {
            let meminfo = std::fs::read_to_string("/proc/meminfo")
                .map_err(|e| format!("failed to read /proc/meminfo: {e}"))?;
            let total = meminfo_bytes(&meminfo, "MemTotal").ok_or("/proc/meminfo has no MemTotal")?;
            let available = meminfo_bytes(&meminfo, "MemAvailable").unwrap_or(total);
            let wanted = match (bytes, percent) {
                (Some(b), _) => *b,
                (None, Some(p)) => (total as f64 * p / 100.0) as u64,
                (None, None) => return Err("node-memory-stress needs bytes or percent".into()),
            };
            let room = available.saturating_sub(NODE_MEMORY_MARGIN);
            let amount = wanted.min(room);
            if amount == 0 {
                return Err(format!(
                    "the node has {} MiB available: no room for a stressor",
                    available / MIB
                ));
            }
            let mut note = format!("holding {} MiB on the node", amount / MIB);
            if amount < wanted {
                note.push_str(&format!(
                    " (capped from {} MiB to leave {} MiB of the {} MiB available)",
                    wanted / MIB,
                    NODE_MEMORY_MARGIN / MIB,
                    available / MIB
                ));
            }
            (vec![Work::Memory { bytes: amount }], Place::Node, note, "node-stressor")
        }
        other => return Err(format!("{} is not a stress fault", other.name())),
    };
    let dirs = match &place {
        Place::Container { dirs, .. } => dirs.clone(),
        Place::Node => match cgroup::roots() {
            Ok(d) => d,
            Err(e) => {
                note.push_str(&format!(" (in the agent's own cgroups: {e:#})"));
                vec![]
            }
        },
    };
    let files: Vec<String> = record.files.clone();
    let mut stressors = Stressors { children: vec![], files, note: String::new() };
    let mut unplaced = None;
    for work in works {
        let job = Job { work, parent_pid: std::process::id() };
        let started = spawn(&job).and_then(|(mut child, process)| {
            record.processes.push(process);
            let placed = cgroup::move_into(child.id(), &dirs);
            let result = match (&place, placed) {
                (Place::Container { name, .. }, Err(e)) => {
                    Err(format!("failed to place a stressor in container {name}: {e}"))
                }
                (Place::Node, Err(e)) => {
                    unplaced.get_or_insert(e);
                    Ok(())
                }
                (_, Ok(())) => Ok(()),
            };
            let result = result.and_then(|()| {
                let mut stdin = child.stdin.take().ok_or("the stressor has no stdin")?;
                stdin.write_all(b"g").map_err(|e| format!("failed to start the stressor: {e}"))
            });
            stressors.children.push((child, process));
            result
        });
        if let Err(e) = started {
            let _ = Box::new(stressors).release().await;
            return Err(e);
        }
    }
    if let Some(e) = unplaced {
        note.push_str(&format!(" (in the agent's own cgroups: {e})"));
    } else if matches!(place, Place::Node) && !dirs.is_empty() {
        note.push_str(" (in the root cgroups, outside every pod)");
    }
    stressors.note = note;
    Ok(Started { held: Box::new(stressors), mechanism })
}

/// A `/proc/meminfo` line's value in bytes.
fn meminfo_bytes(meminfo: &str, key: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.split(':').next() == Some(key))?;
    let kib: u64 = line.split(':').nth(1)?.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}

/// A request to the spawner thread: the job, and where to answer.
type SpawnRequest = (Job, std::sync::mpsc::Sender<Result<(Child, ProcessRef), String>>);

/// Starts `job`'s stressor, waiting for its go on stdin.
///
/// The parent-death signal fires when the THREAD that forked the child ends, not the process: the
/// children are forked by one thread that lives as long as the agent (a tokio worker or blocking thread
/// may end while the stressor runs).
fn spawn(job: &Job) -> Result<(Child, ProcessRef), String> {
    static SPAWNER: std::sync::Mutex<Option<std::sync::mpsc::Sender<SpawnRequest>>> =
        std::sync::Mutex::new(None);
    let gone = || "the stressors' parent thread is gone".to_string();
    let sender = {
        let mut spawner = SPAWNER.lock().unwrap_or_else(|p| p.into_inner());
        match &*spawner {
            Some(sender) => sender.clone(),
            None => {
                let (tx, rx) = std::sync::mpsc::channel::<SpawnRequest>();
                std::thread::Builder::new()
                    .name("stressor-parent".into())
                    .spawn(move || {
                        for (job, answer) in rx {
                            let _ = answer.send(spawn_here(&job));
                        }
                    })
                    .map_err(|e| format!("failed to start the stressors' parent thread: {e}"))?;
                *spawner = Some(tx.clone());
                tx
            }
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    sender.send((job.clone(), tx)).map_err(|_| gone())?;
    rx.recv().map_err(|_| gone())?
}

fn spawn_here(job: &Job) -> Result<(Child, ProcessRef), String> {
    let exe = std::env::current_exe().map_err(|e| format!("failed to find the agent's binary: {e}"))?;
    let mut child = Command::new(exe)
        .args(job.to_args())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("failed to start a stressor: {e}"))?;
    match ProcessRef::of(child.id()) {
        Ok(p) => Ok((child, p)),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("failed to read the stressor's start time: {e:#}"))
        }
    }
}

/// The running stressors of one fault.
struct Stressors {
    children: Vec<(Child, ProcessRef)>,
    /// The IO stressors' files (host paths).
    files: Vec<String>,
    note: String,
}

#[async_trait::async_trait]
impl Held for Stressors {
    async fn release(mut self: Box<Self>) -> anyhow::Result<Vec<String>> {
        for (child, _) in &mut self.children {
            let _ = child.kill();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut left = vec![];
        for (child, process) in &mut self.children {
            // reaped, so no zombie stays behind
            while !matches!(child.try_wait(), Ok(Some(_)) | Err(_)) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if process.alive() {
                left.push(format!("stressor process {}", process.pid));
            }
        }
        for f in &self.files {
            match std::fs::remove_file(f) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => left.push(format!("file {f} ({e})")),
            }
        }
        Ok(left)
    }

    fn note(&self) -> Option<String> {
        Some(self.note.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_job_round_trips_through_its_command_line() {
        for work in [
            Work::Cpu { load: 80 },
            Work::Memory { bytes: 64 << 20 },
            Work::Io { bytes: 1 << 20, file: "/proc/1/root/tmp/.chaoscenter-io-ab-0".into() },
        ] {
            let job = Job { work, parent_pid: 42 };
            assert_eq!(Job::parse(&job.to_args()), Ok(job));
        }
    }

    #[test]
    fn bad_command_lines_are_refused_with_the_reason() {
        for (line, says) in [
            ("stress", "usage"),
            ("stress cpu --load 80", "--parent-pid"),
            ("stress cpu --load 0 --parent-pid 1", "outside 1 to 100"),
            ("stress cpu --load x --parent-pid 1", "not a number"),
            ("stress disk --parent-pid 1", "not cpu"),
            ("stress io --bytes 1 --parent-pid 1", "--file"),
            ("stress cpu --load", "value"),
            ("other cpu --load 1 --parent-pid 1", "not \"stress\""),
        ] {
            let err = Job::parse(&args(line)).unwrap_err();
            assert!(err.contains(says), "{line}: {err}");
        }
    }

    #[test]
    fn a_stressor_whose_parent_is_not_the_given_pid_exits_at_once() {
        // this test's process is not the parent of itself: the check fails before any work
        let job = Job { work: Work::Cpu { load: 100 }, parent_pid: std::process::id() };
        assert_eq!(child_main(&job.to_args()), 3);
        nix::sys::prctl::set_pdeathsig(None).unwrap();
    }

    #[test]
    fn meminfo_values_are_in_bytes() {
        let text = "MemTotal:       24684032 kB\nMemFree:        10310000 kB\nMemAvailable:   23076864 kB\n";
        assert_eq!(meminfo_bytes(text, "MemTotal"), Some(24684032 * 1024));
        assert_eq!(meminfo_bytes(text, "MemAvailable"), Some(23076864 * 1024));
        assert_eq!(meminfo_bytes(text, "Mem"), None);
    }
}
