#!/usr/bin/env bash
# `make up` / `make down`: the whole local stack. With KUBECONFIG set, that cluster is used and no local
# cluster is built; otherwise a local single-node cluster is started (e2e/cluster/up.sh). Then the CRDs
# are installed and the MongoDB-compatible store is started. Prints how to use it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; export CACHE="${CACHE:-$HOME/.cache/chaoscenter}"
T0=$(date +%s); APPS="$CACHE/apps"; mkdir -p "$APPS"
API_ADDR="${API_ADDR:-127.0.0.1:8090}"; WEBHOOK_ADDR="${WEBHOOK_ADDR:-127.0.0.1:9443}"
. "$ROOT/e2e/cluster/lib.sh"
# start_app NAME BINARY [VAR=VALUE...]: (re)starts a project binary in the background, pid and log in $APPS
start_app() {
  local name=$1 bin=$2; shift 2
  [ -f "$APPS/$name.pid" ] && pid_alive "$(cat "$APPS/$name.pid")" && kill "$(cat "$APPS/$name.pid")" && sleep 1
  env "$@" KUBECONFIG="$KUBECONFIG" setsid "$bin" > "$APPS/$name.log" 2>&1 < /dev/null &
  echo $! > "$APPS/$name.pid"
}
stop_apps() {
  for f in "$APPS"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f"); pid_alive "$pid" && kill -TERM "$pid" && echo "stopped $(basename "$f" .pid)" >&2
    for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.1; done
    rm -f "$f"
  done
}
case "${1:-}" in
  up)
    "$ROOT/e2e/deps.sh"
    external=""
    if [ -n "${KUBECONFIG:-}" ] && [ "$KUBECONFIG" != "$CACHE/cluster/run/admin.kubeconfig" ]; then
      external=1
      echo "using the cluster in KUBECONFIG=$KUBECONFIG (no local cluster is started)" >&2
      KUBECTL=$(command -v kubectl || true); [ -n "$KUBECTL" ] || KUBECTL="$("$ROOT/e2e/cluster/build.sh" | tail -1)/kubectl"
      envline="export KUBECONFIG=$KUBECONFIG"
    else
      envline=$("$ROOT/e2e/cluster/up.sh" | tail -1)
      eval "$envline"; KUBECTL="$(command -v kubectl)"
    fi
    "$KUBECTL" apply -k "$ROOT/crds/" >&2
    "$KUBECTL" wait --for condition=established --timeout=60s $(ls "$ROOT"/crds/*.chaoscenter.io.yaml | sed "s/^/-f /") >&2
    # the control-plane namespace, the user roles and the components' RBAC (the Deployments in
    # config/manager are for real installs; here both run as local processes)
    "$KUBECTL" apply -k "$ROOT/config/rbac/" >&2
    uri=$("$ROOT/e2e/mongo.sh" up dev)
    # the web UI, which the apiserver serves
    "$ROOT/e2e/ui.sh" build
    # the operator, as a local process against the cluster
    cargo build --quiet --bins
    target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    # the admission webhook, served by the local apiserver: the Kubernetes API server calls it by URL
    sed -E "s#service: \{name: chaoscenter-webhook, namespace: chaoscenter-system, path: (/admission/[a-z]+), port: 443\}#url: \"https://$WEBHOOK_ADDR\1\"#" \
      "$ROOT/config/webhook/webhook.yaml" | "$KUBECTL" apply -f - >&2
    # probes keep the default egress policy: the demo probes a ClusterIP in namespace demo, and the API
    # server, the apiserver and MongoDB on loopback stay out of their reach (docs/operator.md)
    start_app operator "$target_dir/debug/chaoscenter-operator" METRICS_ADDR=127.0.0.1:8081
    # the local operator acts with the admin kubeconfig: that is the identity whose scheduled runs keep
    # trigger Schedule (in a real install, the operator's ServiceAccount)
    operator_user=$("$KUBECTL" config view --minify -o jsonpath='{.users[0].name}')
    start_app apiserver "$target_dir/debug/chaoscenter-apiserver" LISTEN_ADDR="$API_ADDR" MONGODB_URI="$uri" UI_DIR="$ROOT/ui/dist" \
      WEBHOOK_ADDR="$WEBHOOK_ADDR" OPERATOR_USERNAME="$operator_user"
    agent="  Node agent:  a real install runs it as the DaemonSet of config/node (kubectl apply -k config/node)"
    if [ -z "$external" ]; then
      # the node agent, as a local root process for the local cluster's one node (network faults inside pods);
      # its journal survives restarts in $CACHE/node-state
      node=$("$KUBECTL" get nodes -o jsonpath='{.items[0].metadata.name}')
      start_app node-agent "$target_dir/debug/chaoscenter-node" NODE_NAME="$node" STATE_DIR="$CACHE/node-state"
      agent="  Node agent:  pid $(cat "$APPS/node-agent.pid") on node $node, log $APPS/node-agent.log"
    fi
    for _ in $(seq 1 300); do grep -q serving "$APPS/apiserver.log" && break; sleep 0.2; done
    grep -q 'serving' "$APPS/apiserver.log" || { echo "the apiserver did not start; see $APPS/apiserver.log" >&2; tail -20 "$APPS/apiserver.log" >&2; exit 1; }
    login="  Admin login: admin has already changed the generated password (make down && make up starts afresh)"
    if pw=$("$KUBECTL" -n chaoscenter-system get secret chaoscenter-initial-admin -o jsonpath='{.data.password}' 2>/dev/null | base64 -d) && [ -n "$pw" ]; then
      login="  Admin login: admin / $pw   (you must change it at first login)"
    fi
    demo=""
    if [ -z "$external" ]; then
      "$KUBECTL" apply -f "$ROOT/config/demo/demo.yaml" >&2
      # the demo's pods must be running before "up": a run started at once would find no target and fail
      "$KUBECTL" -n demo rollout status deployment/web --timeout=180s >&2 ||
        echo "warning: the demo's web Deployment is not ready yet; a demo run started now may find no pods" >&2
      demo="  Demo:        kubectl -n demo-chaos annotate chaosworkflow web-survives-pod-loss chaoscenter.io/run-now=\$(date +%s) --overwrite
               kubectl -n demo-chaos annotate chaosworkflow web-survives-latency chaoscenter.io/run-now=\$(date +%s) --overwrite
               kubectl -n demo-chaos annotate chaosworkflow web-survives-cpu-pressure chaoscenter.io/run-now=\$(date +%s) --overwrite
               kubectl -n demo-chaos get chaosworkflowruns -w     kubectl get chaosinjections -A"
    fi
    cat <<MSG

ChaosCenter local stack is up ($(( $(date +%s) - T0 ))s).
  Open:        http://$API_ADDR  (the web UI)
  Kubernetes:  $envline
  MongoDB URI: $uri
  Operator:    pid $(cat "$APPS/operator.pid"), log $APPS/operator.log, metrics http://127.0.0.1:8081/metrics
$agent
  Webhook:     https://$WEBHOOK_ADDR  (admission for every ChaosCenter object; the apiserver serves it)
  API:         http://$API_ADDR  (auth: /auth/..., GraphQL: POST /api/graphql; pid $(cat "$APPS/apiserver.pid"), log $APPS/apiserver.log)
               curl -s http://$API_ADDR/auth/login -H 'content-type: application/json' -d '{"username":"admin","password":"..."}'
$login
$demo
  Try:         kubectl get chaos -A
  Stop:        make down
MSG
    ;;
  down)
    stop_apps
    "$ROOT/e2e/mongo.sh" down dev
    if [ -z "${KUBECONFIG:-}" ] || [ "${KUBECONFIG:-}" = "$CACHE/cluster/run/admin.kubeconfig" ]; then
      "$ROOT/e2e/cluster/down.sh"
    else
      echo "KUBECONFIG points at a cluster make up did not start; leaving it alone" >&2
    fi ;;
  *) echo "usage: stack.sh up|down" >&2; exit 2 ;;
esac
