# Shared by up.sh, down.sh and check-clean.sh: where the local cluster lives and what it changes on the host.
CACHE="${CACHE:-$HOME/.cache/chaoscenter}"; D="$CACHE/cluster"; R="$D/run"; S="$D/state"; P="$R/pki"
K8S_VERSION="v1.20.2"; BIN="${BIN:-$CACHE/k8s/$K8S_VERSION/bin}"
# Host sysctls the cluster (up.sh, kubelet, kube-proxy, CNI) may change; down.sh restores them.
HOST_SYSCTLS="net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
net.ipv4.conf.all.route_localnet vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
kernel.keys.root_maxkeys kernel.keys.root_maxbytes"
# Processes of the local cluster, by executable name.
CLUSTER_PROCS="etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy containerd containerd-shim-runc-v2"
snapshot_sysctls() { for k in $HOST_SYSCTLS; do v=$(sysctl -n "$k" 2>/dev/null) && echo "$k=$v"; done; }
# True when the process is running (a zombie, which kill -0 still reports, is not).
pid_alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
# A cluster of ours that was killed rather than stopped (e.g. its machine session ended) leaves pid files, the
# saved sysctls and kubepods cgroups behind; down.sh undoes them. Run before starting or snapshotting the host.
cleanup_leftovers() {
  if ls "$R"/*.pid >/dev/null 2>&1 || [ -f "$R/sysctl.orig" ]; then
    echo "cleaning up what an earlier, killed cluster left behind" >&2
    CACHE="$CACHE" BIN="$BIN" "$(dirname "${BASH_SOURCE[0]}")/down.sh" >&2 || true
  fi
}
