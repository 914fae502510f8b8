#!/usr/bin/env bash
# Builds the Kubernetes binaries a local node needs from Debian bookworm's `kubernetes` source package with
# Debian's Go, offline (GOPROXY=off), once: the result is cached outside the clone, keyed by version.
#   CACHE=<dir> (default ~/.cache/chaoscenter)   prints the bin directory on the last line
set -euo pipefail
K8S_DEB_VERSION="1.20.5+really1.20.2-1.1+deb12u1"; K8S_VERSION="v1.20.2"
CACHE="${CACHE:-$HOME/.cache/chaoscenter}"; OUT="$CACHE/k8s/$K8S_VERSION/bin"
BINS="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl kube-proxy"
have_all() { for b in $BINS; do [ -x "$OUT/$b" ] || return 1; done; }
if have_all; then echo "$OUT"; exit 0; fi
W="$CACHE/k8s/build"; T0=$(date +%s); ts() { echo "$(( $(date +%s) - T0 ))s $*" >&2; }
"$(dirname "$0")/../deps.sh"
rm -rf "$W"; mkdir -p "$W/apt/lists/partial" "$W/dl"
# A private apt state whose deb-src line reuses the mirror this machine is configured with.
MIRROR=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$MIRROR" ] && [ -f /etc/apt/sources.list ]; then
  MIRROR=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^[a-z]+:\/\//){print $i; exit}}' /etc/apt/sources.list)
fi
[ -n "$MIRROR" ] || { echo "build.sh: cannot find the apt mirror in /etc/apt/sources.list(.d)" >&2; exit 1; }
echo "deb-src $MIRROR bookworm main" > "$W/apt/sources.list"
APT=(-o Dir::Etc::sourcelist="$W/apt/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$W/apt/lists")
apt-get "${APT[@]}" update -qq
(cd "$W/dl" && apt-get "${APT[@]}" source --download-only "kubernetes=$K8S_DEB_VERSION" -qq)
ts "source fetched"
dpkg-source -x --no-check "$W"/dl/kubernetes_*.dsc "$W/src" >/dev/null
# The vendored reflect2 v1.0.1 breaks on Go >= 1.18; Debian's packaged copy works.
rm -rf "$W/src/vendor/github.com/modern-go/reflect2"
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$W/src/vendor/github.com/modern-go/reflect2"
rm -f "$W"/src/vendor/github.com/modern-go/reflect2/*_test.go
WHAT=""; for b in $BINS; do WHAT="$WHAT cmd/$b"; done
(cd "$W/src" && unset GOPATH GO111MODULE && \
  PATH=/usr/lib/go-1.19/bin:$PATH GOFLAGS= GOPROXY=off CGO_ENABLED=0 make WHAT="${WHAT# }" GOLDFLAGS="-s -w" >&2)
ts "built"
mkdir -p "$OUT.tmp"; for b in $BINS; do cp "$W/src/_output/bin/$b" "$OUT.tmp/"; done
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"; rm -rf "$W"; go_cache=$(PATH=/usr/lib/go-1.19/bin:$PATH go env GOCACHE 2>/dev/null || true)
[ -n "$go_cache" ] && rm -rf "$go_cache"
echo "$OUT"
