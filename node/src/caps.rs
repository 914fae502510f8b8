//! What this node can do, found by trying each mechanism in a scratch network namespace at start.

use crate::netns::{in_scratch, run};
use chaoscenter_crds::injection::NodeCapabilities;

/// Tries every mechanism and reads the cgroup version.
pub fn detect() -> NodeCapabilities {
    let tries = |what: &str, f: fn() -> anyhow::Result<()>| match in_scratch(f) {
        Ok(()) => true,
        Err(e) => {
            tracing::info!(mechanism = what, "not available: {e:#}");
            false
        }
    };
    let caps = NodeCapabilities {
        netem: tries("netem", || {
            run("tc", &["qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]).map(drop)
        }),
        tbf: tries("tbf", || {
            run(
                "tc",
                &[
                    "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "1mbit", "burst", "4kb", "latency",
                    "50ms",
                ],
            )
            .map(drop)
        }),
        nfqueue: tries("nfqueue", || {
            run("iptables", &["-w", "-A", "OUTPUT", "-j", "NFQUEUE", "--queue-num", "7", "--queue-bypass"])?;
            let mut queue = nfq::Queue::open()?;
            queue.bind(7)?;
            Ok(())
        }),
        iptables: tries("iptables", || {
            run(
                "iptables",
                &[
                    "-w",
                    "-A",
                    "OUTPUT",
                    "-m",
                    "statistic",
                    "--mode",
                    "random",
                    "--probability",
                    "0.5",
                    "-j",
                    "DROP",
                ],
            )
            .map(drop)
        }),
        nftables: tries("nftables", || run("nft", &["list", "tables"]).map(drop)),
        redirect: tries("redirect", || {
            run(
                "iptables",
                &[
                    "-w",
                    "-t",
                    "nat",
                    "-A",
                    "OUTPUT",
                    "-p",
                    "udp",
                    "--dport",
                    "53",
                    "-j",
                    "REDIRECT",
                    "--to-ports",
                    "5353",
                ],
            )
            .map(drop)
        }),
        cgroup: if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() { "v2" } else { "v1" }
            .into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    tracing::info!(capabilities = %serde_json::to_string(&caps).unwrap_or_default(), "node capabilities");
    caps
}
