#!/usr/bin/env bash
# Tear down what up.sh started, by PID, and undo its host changes (iptables, sysctls, cni0, cgroups, mounts).
# Keeps $D/run/*.log and pki for inspection; PURGE=1 also removes $D/run.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; . "$HERE/lib.sh"; T0=$(date +%s.%N)
ts() { awk -v a="$T0" -v b="$(date +%s.%N)" -v m="$*" 'BEGIN{printf "%6.1fs %s\n", b-a, m}'; }
K() { timeout 20 "$BIN/kubectl" --kubeconfig "$R/admin.kubeconfig" --request-timeout 10s "$@"; }
alive() { [ -f "$R/$1.pid" ] && pid_alive "$(cat "$R/$1.pid")"; }
stop() { # name [timeout-seconds]
  local n=$1 t=${2:-20} pid; [ -f "$R/$n.pid" ] || return 0; pid=$(cat "$R/$n.pid")
  if pid_alive "$pid"; then
    local s; s=$(date +%s.%N); kill -TERM "$pid"; for _ in $(seq 1 $((t*10))); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && { echo "  $n ($pid) did not stop, SIGKILL"; kill -KILL "$pid"; sleep 0.3; }
    echo "stopped $n ($pid) in $(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s"
  fi
  rm -f "$R/$n.pid"
}

[ -d "$R" ] || { echo "no local cluster state under $D: nothing to do"; exit 0; }
# 0) project processes started against this cluster by make up (operator, apiserver, ...): pid files in $CACHE/apps
for f in "$CACHE"/apps/*.pid; do [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null && echo "stopped $(basename "$f" .pid)"; rm -f "$f"; }; done
# 1) controllers off first so nothing gets recreated, then let kubelet tear pods down cleanly (CNI DEL etc.)
stop kube-controller-manager; stop kube-scheduler
if alive kubelet && alive kube-apiserver; then
  K delete deployments,replicasets,daemonsets,statefulsets,jobs --all -A --wait=false >/dev/null 2>&1
  K delete pods --all -A --grace-period=1 --wait=false >/dev/null 2>&1
  # wait until the kubelet has killed every container and stopped every sandbox (CNI DEL done); the API objects
  # themselves linger ~10s more (kubelet status sync), no need to wait for that since etcd is wiped anyway
  for _ in $(seq 1 300); do [ -z "$(ctr -n k8s.io tasks ls 2>/dev/null | awk 'NR>1 && $3=="RUNNING"')" ] && break; sleep 0.1; done
  ts "kubelet stopped all pod containers + sandboxes"
fi
stop kube-proxy; stop kubelet 30; ts "kubelet stopped"

# 2) anything the kubelet left behind: kill containerd tasks, then shims (by their recorded pid)
if alive containerd; then
  for id in $(ctr -n k8s.io tasks ls -q 2>/dev/null); do ctr -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done
  sleep 0.5
  for id in $(ctr -n k8s.io tasks ls -q 2>/dev/null); do ctr -n k8s.io tasks rm -f "$id" >/dev/null 2>&1; done
  for id in $(ctr -n k8s.io containers ls -q 2>/dev/null); do ctr -n k8s.io containers rm "$id" >/dev/null 2>&1; done
fi
for f in /run/containerd/io.containerd.runtime.v2.task/*/*/shim.pid; do
  [ -f "$f" ] || continue; p=$(cat "$f"); pid_alive "$p" && { kill -TERM "$p"; echo "killed shim $p"; }
done
# after a crash (containerd or kubelet killed) shims and pod processes outlive them: kill the shims of our
# containerd socket, then everything still in the kubepods cgroups
for p in $(pgrep -f 'containerd-shim-runc-v2 .*-address /run/containerd/containerd.sock' || true); do kill -KILL "$p" && echo "killed leftover shim $p"; done
for _ in 1 2 3; do
  procs=$(find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods* -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
  [ -z "$procs" ] && break
  echo "killing leftover pod processes: $(echo $procs)"; kill -KILL $procs 2>/dev/null; sleep 0.3
done
stop containerd 20
stop kube-apiserver; stop etcd; ts "containerd, apiserver, etcd stopped"
# processes of a killed earlier run whose pid files are gone: find them by their state/run dirs
for p in $(pgrep -f -- "$S|$R" || true); do [ "$p" != $$ ] && kill -KILL "$p" 2>/dev/null && echo "killed leftover $p"; done

# 3) host cleanup: mounts, netns, bridge, cgroups, iptables, sysctls, dirs
grep -E " ($S|/run/containerd|/run/netns/cni-)[^ ]*" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
for n in /run/netns/cni-*; do [ -e "$n" ] && rm -f "$n"; done
for v in $(ip -o link show master cni0 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do ip link del "$v" 2>/dev/null && echo "deleted $v"; done
ip link show cni0 >/dev/null 2>&1 && ip link del cni0 && echo "deleted cni0"
for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice; do
  [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
done
# iptables: drop every KUBE-*/CNI-* chain and rule (kubelet, kube-proxy, CNI bridge/portmap), keep everything else;
# then delete nftables tables that iptables-nft created and that did not exist before up.sh
for t in iptables ip6tables; do
  command -v $t-save >/dev/null || continue
  # read the rules once: `save | grep -q` under pipefail fails when grep exits early and save gets SIGPIPE
  # (a long rule set), which skipped this cleanup and left kube-proxy's rules behind
  rules=$($t-save) || { echo "$t-save failed: rules not cleaned" >&2; continue; }
  if grep -q -E 'KUBE-|CNI-' <<<"$rules"; then grep -v -E '^#|KUBE-|CNI-' <<<"$rules" | $t-restore || echo "$t-restore failed" >&2; fi
done
if [ -f "$R/nft-tables.orig" ] && command -v nft >/dev/null; then
  nft list tables | while read -r _ fam name; do grep -qx "table $fam $name" "$R/nft-tables.orig" || nft delete table "$fam" "$name"; done
  rm -f "$R/nft-tables.orig"
fi
ts "iptables cleaned"
[ -f "$R/sysctl.orig" ] && while IFS= read -r kv; do sysctl -qw "$kv"; done < "$R/sysctl.orig" && ts "sysctls restored: $(tr '\n' ' ' < "$R/sysctl.orig")" && mv "$R/sysctl.orig" "$R/sysctl.orig.restored"
[ -f "$R/loaded-br-netfilter" ] && modprobe -r br_netfilter 2>/dev/null; rm -f "$R/loaded-br-netfilter"
rm -rf "$S" /run/containerd
[ -f "$R/created-run-netns" ] && rmdir /run/netns 2>/dev/null; rm -f "$R/created-run-netns"
[ -f "$R/created-var-log-pods" ] && rm -rf /var/log/pods /var/log/containers && rm -f "$R/created-var-log-pods"
rm -f "$R/env" "$R/ports"
[ "${PURGE:-0}" = 1 ] && rm -rf "$R"
left=$(pgrep -f -a "$S|$R|containerd-shim" || true); [ -n "$left" ] && { echo "WARNING leftovers:"; echo "$left"; }
ts "down."
