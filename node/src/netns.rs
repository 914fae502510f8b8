//! Entering network namespaces: a pod's namespace is pinned by an open file (its inode checked, so a
//! reused pid cannot redirect the agent), and work runs on a dedicated OS thread that `setns()`es into it.
//! Commands that thread spawns (iptables, tc) inherit its namespace; the agent's other threads never move.

use anyhow::Context as _;
use nix::sched::{setns, unshare, CloneFlags};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::process::Command;

/// A network namespace, held open.
#[derive(Debug)]
pub struct NetNs {
    file: File,
    inode: u64,
}

impl NetNs {
    /// The network namespace of process `pid`.
    pub fn of_pid(pid: u32) -> anyhow::Result<Self> {
        let path = format!("/proc/{pid}/ns/net");
        let file = File::open(&path).with_context(|| format!("failed to open {path}"))?;
        let inode = file.metadata().with_context(|| format!("failed to stat {path}"))?.ino();
        Ok(Self { file, inode })
    }

    /// The namespace's inode (its identity while it exists).
    pub fn inode(&self) -> u64 {
        self.inode
    }

    /// Another handle on the same namespace.
    pub fn try_clone(&self) -> anyhow::Result<Self> {
        Ok(Self { file: self.file.try_clone()?, inode: self.inode })
    }

    /// Runs `f` on a new thread inside this namespace and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let ns = self.try_clone()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new().name("netns".into()).spawn(move || {
            let _ = tx.send(ns.enter().and_then(|()| f()));
        })?;
        rx.await.context("the namespace thread died")?
    }

    /// Moves the calling thread into this namespace (only on threads the agent made for it).
    pub fn enter(&self) -> anyhow::Result<()> {
        setns(&self.file, CloneFlags::CLONE_NEWNET).context("setns into the pod's network namespace failed")
    }
}

/// Runs `f` on a new thread in a fresh, empty network namespace (to try what the kernel can do without
/// touching any real one); the namespace disappears with the thread.
pub fn in_scratch<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    std::thread::Builder::new()
        .name("scratch-netns".into())
        .spawn(move || {
            unshare(CloneFlags::CLONE_NEWNET).context("unshare(CLONE_NEWNET) failed")?;
            f()
        })?
        .join()
        .map_err(|_| anyhow::anyhow!("the scratch namespace thread panicked"))?
}

/// Runs `program args` in the calling thread's namespace; its stdout, or an error quoting its stderr.
pub fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .with_context(|| format!("failed to run {program}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        anyhow::bail!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
    }
}

/// The interfaces of the calling thread's namespace other than loopback.
pub fn interfaces() -> anyhow::Result<Vec<String>> {
    let dev =
        std::fs::read_to_string("/proc/thread-self/net/dev").context("failed to read the interfaces")?;
    Ok(parse_interfaces(&dev))
}

fn parse_interfaces(dev: &str) -> Vec<String> {
    dev.lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty() && n != "lo")
        .collect()
}

/// The netfilter queue numbers bound in the calling thread's namespace.
pub fn bound_queues() -> anyhow::Result<Vec<u16>> {
    let text = match std::fs::read_to_string("/proc/thread-self/net/netfilter/nfnetlink_queue") {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e).context("failed to read the bound netfilter queues"),
    };
    Ok(text.lines().filter_map(|l| l.split_whitespace().next()?.parse().ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_skip_loopback_and_headers() {
        let dev = "Inter-|   Receive                                                |  Transmit\n \
                   face |bytes    packets errs drop fifo frame compressed multicast|bytes\n    \
                   lo:       0       0    0    0    0     0          0         0        0\n  \
                   eth0: 1234 5 0 0 0 0 0 0 99\n";
        assert_eq!(parse_interfaces(dev), vec!["eth0".to_string()]);
    }
}
