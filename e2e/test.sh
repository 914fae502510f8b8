#!/usr/bin/env bash
# `make test`: every test. Lint (rustfmt, clippy -D warnings), unit tests (Rust, and the UI's Vitest), then
# the end-to-end tests against a real cluster and a real MongoDB-protocol server, the UI's Playwright test in
# Chromium among them (screenshots in e2e/artifacts/ui). Without KUBECONFIG a local cluster is started for the
# run and torn down afterwards, and the host is checked to be exactly as clean as before.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; cd "$ROOT"; export CACHE="${CACHE:-$HOME/.cache/chaoscenter}"
T0=$(date +%s); step() { echo "==> [$(( $(date +%s) - T0 ))s] $*" >&2; }
"$ROOT/e2e/deps.sh"

step "lint"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "build"
cargo build --workspace --bins --tests --quiet
step "unit tests"
cargo test --workspace --exclude chaoscenter-e2e --quiet
step "web UI: npm ci, codegen, type check, build, unit tests (Vitest)"
"$ROOT/e2e/ui.sh" build
(cd "$ROOT/ui" && npm test --silent -- --reporter=dot)

restart_operator=0; own_cluster=0; clean_check=0; local_cluster=0; snapshot="$CACHE/host-before-test.txt"; mongo_name="test-$$"
kubectl_cache=$(mktemp -d); export CHAOSCENTER_KUBECTL_CACHE="$kubectl_cache"
finish() {
  rc=$?
  rm -rf "$kubectl_cache"
  "$ROOT/e2e/mongo.sh" down "$mongo_name" || true
  if [ "$own_cluster" = 1 ]; then
    step "tearing down the test cluster"
    "$ROOT/e2e/cluster/down.sh" > "$CACHE/test-down.log" 2>&1 || { cat "$CACHE/test-down.log" >&2; rc=1; }
    if [ "$clean_check" = 1 ]; then
      step "checking that make down left nothing behind"
      "$ROOT/e2e/cluster/check-clean.sh" compare "$snapshot" || rc=1
    fi
  fi
  [ "$restart_operator" = 1 ] && echo "make up's operator and webhook were paused for the tests: run make up to start them again" >&2
  step "done (exit $rc)"
  exit $rc
}
trap finish EXIT

. "$ROOT/e2e/cluster/lib.sh"
if [ -n "${KUBECONFIG:-}" ] && [ "$KUBECONFIG" != "$R/admin.kubeconfig" ]; then
  step "e2e against the cluster in KUBECONFIG=$KUBECONFIG"
  KUBECTL=$(command -v kubectl || echo "$("$ROOT/e2e/cluster/build.sh" | tail -1)/kubectl")
else
  if [ -f "$R/env" ] && [ -f "$R/kube-apiserver.pid" ] && pid_alive "$(cat "$R/kube-apiserver.pid")"; then
    step "e2e against the local cluster make up started (left running; host clean check skipped)"
    # each operator test runs its own operator; make up's cluster-wide one would act on their runs too
    if [ -f "$CACHE/apps/operator.pid" ] && pid_alive "$(cat "$CACHE/apps/operator.pid")"; then
      kill -TERM "$(cat "$CACHE/apps/operator.pid")"; restart_operator=1
      step "paused make up's operator for the tests (make up starts it again)"
    fi
    # make up's admission webhook would stamp and check every test's objects; the webhook tests install
    # their own, scoped to their objects
    kc() { "$(ls "$CACHE"/k8s/*/bin/kubectl | head -1)" --kubeconfig "$R/admin.kubeconfig" "$@"; }
    if kc get validatingwebhookconfiguration chaoscenter-webhook > /dev/null 2>&1; then
      kc delete mutatingwebhookconfiguration,validatingwebhookconfiguration chaoscenter-webhook --ignore-not-found >&2
      restart_operator=1
      step "removed make up's admission webhook configuration for the tests (make up installs it again)"
    fi
  else
    BIN="$("$ROOT/e2e/cluster/build.sh" | tail -1)"
    # the "before" snapshot is of the host without what a killed earlier cluster left (up.sh would clean it)
    cleanup_leftovers
    "$ROOT/e2e/cluster/check-clean.sh" snapshot "$snapshot"; clean_check=1; own_cluster=1
    step "starting a local cluster"
  fi
  eval "$("$ROOT/e2e/cluster/up.sh" | tail -1)"; local_cluster=1
  KUBECTL="$(command -v kubectl)"
fi
if [ "$local_cluster" = 1 ]; then
  target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  if [ -z "${CHAOSCENTER_OPERATOR_IMAGE:-}" ]; then
    step "packaging the operator binary as a local image"
    export CHAOSCENTER_OPERATOR_IMAGE=localhost/chaoscenter-operator:dev
    "$ROOT/e2e/cluster/image.sh" binary "$CHAOSCENTER_OPERATOR_IMAGE" "$target_dir/debug/chaoscenter-operator" >&2
  fi
  if [ -z "${CHAOSCENTER_APISERVER_IMAGE:-}" ]; then
    step "packaging the apiserver binary as a local image"
    export CHAOSCENTER_APISERVER_IMAGE=localhost/chaoscenter-apiserver:dev
    "$ROOT/e2e/cluster/image.sh" binary "$CHAOSCENTER_APISERVER_IMAGE" "$target_dir/debug/chaoscenter-apiserver" >&2
  fi
fi
uri=$("$ROOT/e2e/mongo.sh" up "$mongo_name")
skip=()
if [ "$local_cluster" = 0 ]; then
  skip=(--skip local_harness_); step "not run: local_harness_* tests (they test the local cluster harness itself)"
fi
step "e2e tests"
KUBECONFIG="$KUBECONFIG" CHAOSCENTER_KUBECTL="$KUBECTL" CHAOSCENTER_MONGODB_URI="$uri" \
  cargo test -p chaoscenter-e2e --quiet --no-fail-fast -- --test-threads 6 "${skip[@]}"
step "the web UI's screenshots: $ROOT/e2e/artifacts/ui"
