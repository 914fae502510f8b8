#!/usr/bin/env bash
# Installs, from the machine's configured apt sources, every system package the local stack and the tests
# need (the one place that lists them). Quick when everything is there already. Needs root.
set -euo pipefail
PKGS="golang-1.19-go golang-github-modern-go-reflect2-dev dpkg-dev rsync jq
containerd runc iptables conntrack etcd-server etcd-client containernetworking-plugins
busybox-static gcc libc6-dev file openssl curl iproute2 procps ca-certificates python3 python3-venv make
chromium fonts-liberation protobuf-compiler dnsmasq-base git openssh-server openssh-client
lua5.1"
missing=""
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "deps.sh: need root to install:$missing" >&2; exit 1; }
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
