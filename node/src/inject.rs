//! Applying a plan inside a pod's network namespace and removing it again, the removal checked by reading
//! the namespace's state back (iptables rules, root qdiscs, bound netfilter queues). Runs on a thread
//! inside the namespace; the iptables and tc binaries it calls inherit it.

use crate::netns::{bound_queues, interfaces, run};
use crate::plan::{jump_deletions, leftovers, Created, Plan};

/// Adds the plan's qdiscs and rules in the calling thread's namespace (the queue's engine already runs).
/// On failure, removes whatever it added.
pub fn apply_here(plan: &Plan) -> anyhow::Result<()> {
    let result = (|| {
        if let (Some(args), Some(handle)) = (&plan.qdisc, &plan.created.qdisc_handle) {
            let ifaces = interfaces()?;
            anyhow::ensure!(!ifaces.is_empty(), "the pod has no network interface besides loopback");
            for iface in ifaces {
                let mut cmd = vec!["qdisc", "add", "dev", iface.as_str(), "root", "handle"];
                let handle = format!("{handle}:");
                cmd.push(&handle);
                cmd.extend(args.iter().map(String::as_str));
                run("tc", &cmd).map_err(|e| {
                    anyhow::anyhow!("{e:#} (does {iface} already have a root qdisc from another fault?)")
                })?;
            }
        }
        for args in &plan.iptables {
            run("iptables", &args.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = remove_here(&plan.created);
    }
    result
}

/// Removes everything `created` lists from the calling thread's namespace; idempotent (it finds the jumps
/// and qdiscs by reading the state). The queue disappears when its engine stops.
pub fn remove_here(created: &Created) -> anyhow::Result<()> {
    let mut errors = vec![];
    if !created.chains.is_empty() {
        let rules = run("iptables", &["-w", "-S"])?;
        for args in jump_deletions(&rules, &created.chains) {
            if let Err(e) = run("iptables", &args.iter().map(String::as_str).collect::<Vec<_>>()) {
                errors.push(format!("{e:#}"));
            }
        }
        for chain in &created.chains {
            if rules.lines().any(|l| l.split_whitespace().any(|w| w == chain)) {
                for op in ["-F", "-X"] {
                    if let Err(e) = run("iptables", &["-w", op, chain]) {
                        errors.push(format!("{e:#}"));
                    }
                }
            }
        }
    }
    if let Some(handle) = &created.qdisc_handle {
        for iface in interfaces()? {
            let shown = run("tc", &["qdisc", "show", "dev", &iface, "root"])?;
            if leftovers(
                &Created { qdisc_handle: Some(handle.clone()), ..Default::default() },
                "",
                &shown,
                &[],
            )
            .is_empty()
            {
                continue;
            }
            if let Err(e) = run("tc", &["qdisc", "del", "dev", &iface, "root"]) {
                errors.push(format!("{e:#}"));
            }
        }
    }
    anyhow::ensure!(errors.is_empty(), "failed to remove: {}", errors.join("; "));
    Ok(())
}

/// What of `created` is still in the calling thread's namespace (empty: the revert is verified).
pub fn leftovers_here(created: &Created) -> anyhow::Result<Vec<String>> {
    let rules = run("iptables", &["-w", "-S"])?;
    let mut qdiscs = String::new();
    for iface in interfaces()? {
        qdiscs.push_str(&run("tc", &["qdisc", "show", "dev", &iface, "root"])?);
    }
    Ok(leftovers(created, &rules, &qdiscs, &bound_queues()?))
}
