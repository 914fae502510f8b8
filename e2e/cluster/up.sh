#!/usr/bin/env bash
# Brings up a real single-node Kubernetes v1.20.2 cluster on this machine: etcd (Debian), the control plane
# and a kubelet built by build.sh, kube-proxy, Debian's containerd/runc and CNI plugins. No registry: images
# are built locally (image.sh) and imported. Idempotent: if our cluster is already up it just prints how to
# use it; leftovers of a killed earlier run are cleaned first; a foreign cluster on this machine is refused.
#   CACHE=<dir> (default ~/.cache/chaoscenter)   SNAPSHOTTER=overlayfs|native
# Prints `export KUBECONFIG=...` as its last line; the same line is in $CACHE/cluster/run/env. Stop: down.sh.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
BIN="$("$HERE/build.sh" | tail -1)"
SNAPSHOTTER="${SNAPSHOTTER:-overlayfs}"
CGROUPS_PER_QOS="${CGROUPS_PER_QOS:-true}"
KUBE_PROXY=1
POD_CIDR="${POD_CIDR:-10.88.0.0/16}"; SVC_CIDR="${SVC_CIDR:-10.96.0.0/16}"
NODE="$(hostname | tr 'A-Z' 'a-z')"
DEV=$(ip -4 route show default | awk '{print $5; exit}'); NODE_IP=$(ip -4 -o addr show dev "$DEV" | awk '{print $4}' | cut -d/ -f1 | head -1)
mkdir -p "$R"
T0=$(date +%s.%N); ts() { awk -v a="$T0" -v b="$(date +%s.%N)" -v m="$*" 'BEGIN{printf "%6.1fs %s\n", b-a, m}' | tee -a "$R/timings.txt" >&2; }
waitfor() { local n=$1; shift; for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "timeout waiting for: $*" >&2; return 1; }
start() { local name=$1; shift; setsid "$@" >"$R/$name.log" 2>&1 < /dev/null & echo $! > "$R/$name.pid"; }
alive() { [ -f "$R/$1.pid" ] && pid_alive "$(cat "$R/$1.pid")"; }
port_free() { ! ss -Htln "sport = :$1" | grep -q .; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
print_env() { echo "export KUBECONFIG=$R/admin.kubeconfig PATH=$BIN:\$PATH"; }

# ---- already up (ours)? then reuse it. Left over from a killed run? clean it up first.
if alive kube-apiserver && alive kubelet && [ -f "$R/env" ]; then
  echo "local cluster already running (stop it with make down)" >&2; cat "$R/env"; exit 0
fi
cleanup_leftovers
# ---- refuse clearly when another cluster (not ours) owns the node-level pieces we need
live() { for pid in $(pgrep -x "$1"); do pid_alive "$pid" && echo "$pid"; done; }
for p in kubelet kube-apiserver containerd etcd; do
  # one still exiting (e.g. just after make down) gets 10 s; zombies the sandbox has not reaped do not count
  for _ in $(seq 1 50); do [ -z "$(live "$p")" ] && break; sleep 0.2; done
  if [ -n "$(live "$p")" ]; then
    echo "up.sh: refusing to start: a $p process not started by ChaosCenter is running (pid $(live "$p" | head -1))." >&2
    echo "       Stop that cluster, or use it instead: export KUBECONFIG=<its kubeconfig> and run make up / make test." >&2
    exit 1
  fi
done
for port in 10250 10256 10249 10248; do
  port_free "$port" || { echo "up.sh: refusing to start: port $port (kubelet/kube-proxy) is in use by another process" >&2; exit 1; }
done
ETCD_PORT="${ETCD_PORT:-2379}"; API_PORT="${API_PORT:-6443}"
{ port_free "$ETCD_PORT" && port_free $((ETCD_PORT+1)); } || { ETCD_PORT=$(free_port); while ! port_free $((ETCD_PORT+1)); do ETCD_PORT=$(free_port); done; }
port_free "$API_PORT" || API_PORT=$(free_port)
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl kube-proxy; do [ -x "$BIN/$b" ] || { echo "missing $BIN/$b" >&2; exit 1; }; done
"$HERE/../deps.sh"
mkdir -p "$P" "$S" "$R/manifests" "$D/cni/net.d"; : > "$R/timings.txt"
ts "start (node=$NODE ip=$NODE_IP dev=$DEV snapshotter=$SNAPSHOTTER cgroup=$([ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && echo v2 || echo v1))"

# ---- host prep: remember what we change so down.sh can restore it
iptables-save > "$R/iptables.orig"; nft list tables > "$R/nft-tables.orig" 2>/dev/null || true
if ! sysctl -n net.bridge.bridge-nf-call-iptables >/dev/null 2>&1; then
  modprobe br_netfilter 2>/dev/null && touch "$R/loaded-br-netfilter" || true
fi
snapshot_sysctls > "$R/sysctl.orig"
[ -d /var/log/pods ] || touch "$R/created-var-log-pods"; [ -d /run/netns ] || touch "$R/created-run-netns"
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1

# ---- PKI (x509 v3 certs; client certs need clientAuth EKU)
cd "$P"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 365 -subj "/CN=k8snode-ca" 2>/dev/null
mkcert() { # name CN O extfile-lines...
  local n=$1 cn=$2 o=$3; shift 3
  openssl req -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.csr" -subj "${o:+/O=$o}/CN=$cn" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$@" > "$n.ext"
  openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$n.crt" -days 365 -extfile "$n.ext" 2>/dev/null
}
KSVC_IP=$(echo "$SVC_CIDR" | awk -F'[./]' '{print $1"."$2"."$3"."$4+1}')
mkcert apiserver kube-apiserver "" "extendedKeyUsage=serverAuth" \
  "subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,DNS:$NODE,IP:127.0.0.1,IP:$NODE_IP,IP:$KSVC_IP"
mkcert admin admin system:masters "extendedKeyUsage=clientAuth"
mkcert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "extendedKeyUsage=clientAuth"
mkcert controller-manager system:kube-controller-manager "" "extendedKeyUsage=clientAuth"
mkcert scheduler system:kube-scheduler "" "extendedKeyUsage=clientAuth"
mkcert kube-proxy system:kube-proxy "" "extendedKeyUsage=clientAuth"
mkcert kubelet "system:node:$NODE" system:nodes "extendedKeyUsage=clientAuth"
mkcert kubelet-serving "$NODE" "" "extendedKeyUsage=serverAuth" "subjectAltName=DNS:$NODE,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"
openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
for u in admin controller-manager scheduler kube-proxy kubelet; do cat > "$R/$u.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: k8snode, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$P/ca.crt"}}]
users: [{name: $u, user: {client-certificate: "$P/$u.crt", client-key: "$P/$u.key"}}]
contexts: [{name: k8snode, context: {cluster: k8snode, user: $u, namespace: default}}]
current-context: k8snode
KC
done
cd "$D"; ts "pki + kubeconfigs written"

# ---- etcd
start etcd etcd --name k8snode --data-dir "$S/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT+1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT+1))" \
  --initial-cluster "k8snode=http://127.0.0.1:$((ETCD_PORT+1))" --unsafe-no-fsync
# ---- containerd (CRI plugin, cgroupfs driver, local sandbox image)
# This VM drops CAP_SYS_RESOURCE from the bounding set (even for root), so runc cannot lower oom_score_adj
# ("nsexec: failed to update /proc/self/oom_score_adj: Permission denied" ->
#  "runc create failed: unable to start container process: can't get final child's PID from pipe: EOF").
# Workaround: CRI restrict_oom_score_adj clamps sandbox/container oom_score_adj to containerd's own (0).
RESTRICT_OOM=false; (( (0x$(awk '/^CapBnd/{print $2}' /proc/self/status) >> 24) & 1 )) || RESTRICT_OOM=true
cat > "$R/containerd.toml" <<EOF
version = 2
root = "$S/containerd"
state = "/run/containerd"
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:1.0"
  enable_selinux = false
  restrict_oom_score_adj = $RESTRICT_OOM
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$SNAPSHOTTER"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$D/cni/net.d"
EOF
cat > "$D/cni/net.d/10-k8snode.conflist" <<EOF
{ "cniVersion": "0.4.0", "name": "k8snode",
  "plugins": [
    { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$S/cni-ipam", "ranges": [[{ "subnet": "$POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ] }
EOF
start containerd containerd --config "$R/containerd.toml"
waitfor 150 ctr version
ts "containerd up"
SNAPSHOTTER="$SNAPSHOTTER" CACHE="$CACHE" "$HERE/image.sh" base > "$R/make-images.log" 2>&1 || { cat "$R/make-images.log"; exit 1; }
ts "images built + imported"

# ---- control plane
waitfor 100 etcdctl --endpoints "127.0.0.1:$ETCD_PORT" endpoint health
start kube-apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 0.0.0.0 --secure-port "$API_PORT" --advertise-address "$NODE_IP" \
  --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" --client-ca-file "$P/ca.crt" \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local --api-audiences https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range "$SVC_CIDR" --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --allow-privileged=true --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP,Hostname --insecure-port 0 --profiling=false
waitfor 300 curl -sfk --cacert "$P/ca.crt" "https://127.0.0.1:$API_PORT/readyz"
ts "kube-apiserver ready"
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$R/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$R/controller-manager.kubeconfig" --authorization-kubeconfig "$R/controller-manager.kubeconfig" \
  --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" --use-service-account-credentials=true \
  --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
  --leader-elect=false --bind-address 127.0.0.1 --port 0 --controllers '*,bootstrapsigner,tokencleaner'
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$R/scheduler.kubeconfig" \
  --authentication-kubeconfig "$R/scheduler.kubeconfig" --authorization-kubeconfig "$R/scheduler.kubeconfig" \
  --leader-elect=false --bind-address 127.0.0.1 --port 0

# ---- kubelet
cat > "$R/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupsPerQOS: $CGROUPS_PER_QOS
enforceNodeAllocatable: [$([ "$CGROUPS_PER_QOS" = true ] && echo pods)]
failSwapOn: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$P/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$P/kubelet-serving.crt"
tlsPrivateKeyFile: "$P/kubelet-serving.key"
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
staticPodPath: "$R/manifests"
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
serializeImagePulls: false
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
start kubelet "$BIN/kubelet" --config "$R/kubelet-config.yaml" --kubeconfig "$R/kubelet.kubeconfig" \
  --container-runtime remote --container-runtime-endpoint unix:///run/containerd/containerd.sock \
  --pod-infra-container-image localhost/pause:1.0 --root-dir "$S/kubelet" \
  --hostname-override "$NODE" --node-ip "$NODE_IP" --v 1

# ---- kube-proxy (optional; iptables mode) so ClusterIP Services work
if [ "$KUBE_PROXY" = 1 ]; then
  cat > "$R/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$R/kube-proxy.kubeconfig"}
mode: iptables
clusterCIDR: "$POD_CIDR"
hostnameOverride: "$NODE"
bindAddress: 0.0.0.0
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0}
EOF
  start kube-proxy "$BIN/kube-proxy" --config "$R/kube-proxy-config.yaml"
fi

K() { "$BIN/kubectl" --kubeconfig "$R/admin.kubeconfig" "$@"; }
waitfor 600 K get node "$NODE"
ts "node registered"
for _ in $(seq 1 600); do
  [ "$(K get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] && break; sleep 0.2; done
ts "node Ready"
waitfor 300 K get serviceaccount default
ts "default serviceaccount exists (cluster usable)"
echo "$ETCD_PORT $API_PORT" > "$R/ports"
print_env > "$R/env"; cat "$R/env"
