#!/usr/bin/env bash
# `make up` / `make down`: the whole local stack. With KUBECONFIG set, that cluster is used and no local
# cluster is built; otherwise a local single-node cluster is started (e2e/cluster/up.sh). Then the CRDs
# are installed and the MongoDB-compatible store is started. Prints how to use it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; export CACHE="${CACHE:-$HOME/.cache/chaoscenter}"
T0=$(date +%s); APPS="$CACHE/apps"; mkdir -p "$APPS"
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
    "$KUBECTL" apply -f "$ROOT/crds/" >&2
    "$KUBECTL" wait --for condition=established --timeout=60s -f "$ROOT/crds/" >&2
    uri=$("$ROOT/e2e/mongo.sh" up dev)
    # the operator, as a local process against the cluster
    cargo build --quiet --bins
    target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    "$KUBECTL" create namespace chaoscenter-system --dry-run=client -o yaml | "$KUBECTL" apply -f - >&2
    start_app operator "$target_dir/debug/chaoscenter-operator" METRICS_ADDR=127.0.0.1:8081
    demo=""
    if [ -z "$external" ]; then
      "$KUBECTL" apply -f "$ROOT/config/demo/demo.yaml" >&2
      demo="  Demo:        kubectl -n demo-chaos annotate chaosworkflow web-survives-pod-loss chaoscenter.io/run-now=\$(date +%s) --overwrite
               kubectl -n demo-chaos get chaosworkflowruns -w"
    fi
    cat <<MSG

ChaosCenter local stack is up ($(( $(date +%s) - T0 ))s).
  Kubernetes:  $envline
  MongoDB URI: $uri
  Operator:    pid $(cat "$APPS/operator.pid"), log $APPS/operator.log, metrics http://127.0.0.1:8081/metrics
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
