//! The stressor processes on this host (root, cgroup v1 or v2): a CPU stressor moved into a cgroup made
//! for the test loads it, a memory stressor's pages are charged to it, and a stressor dies with the
//! thread that started it (the agent).

use chaoscenter_node::cgroup::{self, Dir};
use chaoscenter_node::stress::{Job, Work};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A cgroup made for one test in the hierarchy with `controller` (v1) or the v2 one, removed afterwards.
struct TestCgroup(Dir);

impl TestCgroup {
    fn new(controller: &str, name: &str) -> Option<Self> {
        let mine = cgroup::of_process(std::process::id()).ok()?;
        let root = cgroup::roots().ok()?;
        let base = root.into_iter().find(|d| d.has(controller)).or_else(|| {
            mine.iter().find(|d| d.v2()).map(|_| Dir { controllers: vec![], dir: "/sys/fs/cgroup".into() })
        })?;
        let dir = base.dir.join(format!("chaoscenter-test-{name}-{}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        Some(Self(Dir { controllers: base.controllers, dir }))
    }

    fn read(&self, file: &str) -> u64 {
        std::fs::read_to_string(self.0.dir.join(file)).unwrap().trim().parse().unwrap()
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0.dir);
    }
}

fn spawn(work: Work) -> Child {
    let job = Job { work, parent_pid: std::process::id() };
    Command::new(env!("CARGO_BIN_EXE_chaoscenter-node"))
        .args(job.to_args())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

fn go(child: &mut Child) {
    child.stdin.take().unwrap().write_all(b"g").unwrap();
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_cpu_stressor_loads_the_cgroup_it_is_moved_into() {
    let Some(cg) = TestCgroup::new("cpuacct", "cpu") else {
        eprintln!("skipped: no cgroup can be made here (not root?)");
        return;
    };
    let mut child = spawn(Work::Cpu { load: 100 });
    cgroup::move_into(child.id(), std::slice::from_ref(&cg.0)).unwrap();
    let usage = |cg: &TestCgroup| {
        if cg.0.v2() {
            let stat = std::fs::read_to_string(cg.0.dir.join("cpu.stat")).unwrap();
            stat.lines().find_map(|l| l.strip_prefix("usage_usec ")).unwrap().parse::<u64>().unwrap() * 1000
        } else {
            cg.read("cpuacct.usage")
        }
    };
    let before = usage(&cg);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(usage(&cg), before, "the stressor worked before its go");
    go(&mut child);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let cores = (usage(&cg) - before) as f64 / 1e9 / started.elapsed().as_secs_f64();
    eprintln!("cpu stressor at 100 %: {cores:.2} core(s) charged to its cgroup");
    stop(child);
    assert!(cores > 0.3, "{cores:.2} core(s)");
}

#[test]
fn a_memory_stressor_is_charged_to_its_cgroup() {
    let Some(cg) = TestCgroup::new("memory", "memory") else {
        eprintln!("skipped: no cgroup can be made here (not root?)");
        return;
    };
    let file = if cg.0.v2() { "memory.current" } else { "memory.usage_in_bytes" };
    let mut child = spawn(Work::Memory { bytes: 48 << 20 });
    cgroup::move_into(child.id(), std::slice::from_ref(&cg.0)).unwrap();
    go(&mut child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while cg.read(file) < 46 << 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let used = cg.read(file);
    eprintln!("memory stressor of 48 MiB: its cgroup uses {} MiB", used >> 20);
    stop(child);
    assert!(used >= 46 << 20, "{used} bytes");
}

/// The CPU time (user + system, clock ticks) process `pid` used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    fields.get(11).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0)
        + fields.get(12).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0)
}

#[test]
fn a_stressor_dies_with_the_thread_that_started_it() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut child = spawn(Work::Cpu { load: 50 });
        go(&mut child);
        // it burns CPU only after its go, so after it asked for the parent-death signal
        let deadline = Instant::now() + Duration::from_secs(30);
        while cpu_ticks(child.id()) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        tx.send(child).unwrap();
        // the thread ends here: the parent-death signal is sent
    })
    .join()
    .unwrap();
    let mut child = rx.recv().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let Some(status) = status else {
        stop(child);
        panic!("the stressor outlived its parent thread");
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "{status:?}");
}

#[test]
fn a_node_stressor_moved_into_the_root_cgroups_is_outside_every_pod() {
    let roots = cgroup::roots().unwrap();
    let mut child = spawn(Work::Cpu { load: 1 });
    if let Err(e) = cgroup::move_into(child.id(), &roots) {
        stop(child);
        eprintln!("skipped: {e}");
        return;
    }
    let cgroups = std::fs::read_to_string(format!("/proc/{}/cgroup", child.id())).unwrap();
    go(&mut child);
    stop(child);
    // every hierarchy the agent is in, at its root (this host's own tests run in a memory cgroup of their own)
    for line in cgroups.lines() {
        let path = line.splitn(3, ':').nth(2).unwrap();
        let mounted = roots.iter().any(|d| {
            let controllers = line.split(':').nth(1).unwrap();
            controllers.split(',').filter(|c| !c.is_empty()).all(|c| d.has(c))
                && d.v2() == controllers.is_empty()
        });
        if mounted {
            assert_eq!(path, "/", "{cgroups}");
        }
    }
}
