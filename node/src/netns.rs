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

/// The local ports of sockets in the calling thread's namespace: `udp` ports bound, or `tcp` ports listening.
pub fn bound_ports(protocol: &str) -> anyhow::Result<Vec<u16>> {
    let table = std::fs::read_to_string(format!("/proc/thread-self/net/{protocol}"))
        .with_context(|| format!("failed to read the {protocol} sockets"))?;
    Ok(parse_ports(&table, protocol == "tcp"))
}

/// The local ports of a `/proc/net/{tcp,udp}` table (only sockets in state LISTEN when `listening`).
fn parse_ports(table: &str, listening: bool) -> Vec<u16> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let port = u16::from_str_radix(fields.get(1)?.rsplit(':').next()?, 16).ok()?;
            (!listening || fields.get(3) == Some(&"0A")).then_some(port)
        })
        .collect()
}

/// A thread parked in a network namespace that makes TCP sockets there on request (a socket belongs to
/// the namespace it was made in, whichever thread uses it later); the thread ends with the maker.
pub struct SocketMaker {
    requests: std::sync::mpsc::Sender<tokio::sync::oneshot::Sender<anyhow::Result<std::net::TcpStream>>>,
    mark: u32,
}

impl SocketMaker {
    /// A maker in `ns` whose sockets carry the firewall mark `mark` (so the agent's rules skip them).
    pub fn new(ns: &NetNs, mark: u32) -> anyhow::Result<Self> {
        let ns = ns.try_clone()?;
        let (requests, rx) =
            std::sync::mpsc::channel::<tokio::sync::oneshot::Sender<anyhow::Result<std::net::TcpStream>>>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new().name("netns-sockets".into()).spawn(move || {
            let entered = ns.enter();
            let ok = entered.is_ok();
            let _ = ready_tx.send(entered);
            if ok {
                while let Ok(reply) = rx.recv() {
                    let _ = reply.send(tcp_socket(mark));
                }
            }
        })?;
        ready_rx.recv().context("the socket thread died")??;
        Ok(Self { requests, mark })
    }

    /// A new TCP socket in the namespace, not yet connected, with the maker's mark.
    pub async fn tcp(&self) -> anyhow::Result<tokio::net::TcpSocket> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.requests.send(tx).map_err(|_| anyhow::anyhow!("the socket thread ended"))?;
        let stream = rx.await.context("the socket thread ended")??;
        Ok(tokio::net::TcpSocket::from_std_stream(stream))
    }

    /// The mark of its sockets.
    pub fn mark(&self) -> u32 {
        self.mark
    }
}

/// A non-blocking IPv4 TCP socket of the calling thread's namespace, marked `mark`.
pub fn tcp_socket(mark: u32) -> anyhow::Result<std::net::TcpStream> {
    use nix::sys::socket::{setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType};
    let fd =
        socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC, None)
            .context("failed to make a TCP socket")?;
    setsockopt(&fd, sockopt::Mark, &mark).context("failed to mark a socket")?;
    Ok(std::net::TcpStream::from(fd))
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

    #[test]
    fn ports_come_from_the_socket_tables_listening_only_for_tcp() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue\n   \
                   0: 00000000:1F90 00000000:0000 0A 00000000:00000000\n   \
                   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000\n";
        assert_eq!(parse_ports(tcp, true), vec![8080]);
        assert_eq!(parse_ports(tcp, false), vec![8080, 40000]);
    }
}
