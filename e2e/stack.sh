#!/usr/bin/env bash
# `make up` / `make down`: the whole local stack. With KUBECONFIG set, that cluster is used and no local
# cluster is built; otherwise a local single-node cluster is started (e2e/cluster/up.sh). Then the CRDs
# are installed and the MongoDB-compatible store is started. Prints how to use it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; export CACHE="${CACHE:-$HOME/.cache/chaoscenter}"
T0=$(date +%s)
case "${1:-}" in
  up)
    "$ROOT/e2e/deps.sh"
    if [ -n "${KUBECONFIG:-}" ]; then
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
    cat <<MSG

ChaosCenter local stack is up ($(( $(date +%s) - T0 ))s).
  Kubernetes:  $envline
  MongoDB URI: $uri
  Try:         kubectl get chaos -A     |  kubectl apply -f config/samples/
  Stop:        make down
MSG
    ;;
  down)
    "$ROOT/e2e/mongo.sh" down dev
    if [ -z "${KUBECONFIG:-}" ] || [ "${KUBECONFIG:-}" = "$CACHE/cluster/run/admin.kubeconfig" ]; then
      "$ROOT/e2e/cluster/down.sh"
    else
      echo "KUBECONFIG points at a cluster make up did not start; leaving it alone" >&2
    fi ;;
  *) echo "usage: stack.sh up|down" >&2; exit 2 ;;
esac
