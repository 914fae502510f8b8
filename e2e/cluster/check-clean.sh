#!/usr/bin/env bash
# Proves that down.sh undid everything up.sh did to the host: `check-clean.sh snapshot FILE` records the
# host's state before the cluster starts; `check-clean.sh compare FILE` (after down.sh) fails, listing the
# differences, when a cluster process, mount, network link, iptables/nftables rule or sysctl was left behind.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; . "$HERE/lib.sh"
# A table holding only built-in chains with policy ACCEPT and no rule filters nothing: the same as no table
# (the first iptables call on a fresh host creates such tables, and iptables cannot delete them).
drop_empty_tables() {
  awk '/^\*/ {buf = $0 "\n"; empty = 1; next}
       /^COMMIT/ {if (!empty) printf "%s%s\n", buf, $0; buf = ""; next}
       {buf = buf $0 "\n"; if ($0 !~ /^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT *$/) empty = 0}'
}
state() {
  echo "## processes"; for p in $CLUSTER_PROCS; do ps -eo stat=,comm= | awk -v c="${p:0:15}" '$1 !~ /^Z/ && $2 == c {f=1} END {exit !f}' && echo "$p running"; done
  echo "## mounts"; grep -E " ($S|/run/containerd|/run/netns/cni-|/var/lib/kubelet)[^ ]*" /proc/mounts | awk '{print $2}' | sort
  echo "## links"; ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
  echo "## iptables"; for t in iptables ip6tables; do command -v $t-save >/dev/null && $t-save 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//' | drop_empty_tables; done
  echo "## nftables"; command -v nft >/dev/null && nft list tables 2>/dev/null | sort
  echo "## sysctls"; snapshot_sysctls
  echo "## cgroups"; ls -d /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods* 2>/dev/null || true
}
case "${1:-}" in
  snapshot) state > "$2" ;;
  compare)
    after=$(mktemp); state > "$after"
    if diff -u "$2" "$after" > "$after.diff"; then echo "host is clean: no process, mount, link, rule or sysctl left behind"; rm -f "$after" "$after.diff"
    else echo "check-clean: the host differs from before the cluster started:" >&2; cat "$after.diff" >&2; rm -f "$after" "$after.diff"; exit 1; fi ;;
  *) echo "usage: check-clean.sh snapshot|compare FILE" >&2; exit 2 ;;
esac
