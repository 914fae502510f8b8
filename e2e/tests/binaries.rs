//! Every ChaosCenter binary starts, logs, and exits cleanly on SIGTERM.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run_until_sigterm(name: &str) {
    let bin = chaoscenter_e2e::workspace_binary(name);
    // A cluster (and a MongoDB) that never answers: the binaries must still start, wait, and stop cleanly.
    let kubeconfig =
        std::env::temp_dir().join(format!("unreachable-{}-{name}.kubeconfig", std::process::id()));
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    )
    .unwrap();
    let mut child = Command::new(&bin)
        .env("RUST_LOG", "info")
        .env("KUBECONFIG", &kubeconfig)
        .env("METRICS_ADDR", "127.0.0.1:0")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        // nothing answers here either
        .env("MONGODB_URI", "mongodb://127.0.0.1:1/")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("failed to start {}: {e} (build it with `cargo build --bins`)", bin.display())
        });
    let mut stderr = child.stderr.take().unwrap();
    // Wait for the start line, so SIGTERM does not race the signal handler's installation.
    let mut log = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&log).contains("started") {
        let n = stderr.read(&mut buf).unwrap();
        assert!(n > 0, "{name} exited before logging its start: {}", String::from_utf8_lossy(&log));
        log.extend_from_slice(&buf[..n]);
    }
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "{name} did not exit within 20 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    stderr.read_to_end(&mut log).unwrap();
    let log = String::from_utf8_lossy(&log);
    assert!(status.success(), "{name} exited with {status}:\n{log}");
    assert!(log.contains(&format!("{name} started")), "{log}");
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains(&format!("{name} stopped")), "{log}");
}

#[test]
fn operator_starts_and_stops_on_sigterm() {
    run_until_sigterm("chaoscenter-operator");
}

#[test]
fn apiserver_starts_and_stops_on_sigterm() {
    run_until_sigterm("chaoscenter-apiserver");
}
