#!/usr/bin/env bash
# Builds docker-archive image tarballs locally (no registry, no Docker) and imports them into the local
# cluster's containerd (namespace k8s.io); pods use them with imagePullPolicy: Never.
#   image.sh base                          localhost/pause:1.0 (static C pause) and localhost/busybox:1.35
#   image.sh binary NAME:TAG BIN [BIN...]  an image of the given executables plus the shared libraries they
#                                          need (from ldd), entrypoint the first one: how the project's own
#                                          binaries run in the cluster
#   CACHE=<dir>  SNAPSHOTTER=overlayfs|native  IMPORT=0 (only build the tarball)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; . "$HERE/lib.sh"; O="$CACHE/images"; mkdir -p "$O"

# mkimage <name:tag> <rootfs dir> <json array Cmd> -> $O/<file>.tar (docker save format, one layer)
mkimage() {
  local ref="$1" root="$2" cmd="$3" t; t=$(mktemp -d)
  tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$root" -cf "$t/layer.tar" .
  local diff; diff=$(sha256sum "$t/layer.tar" | cut -d' ' -f1)
  mkdir "$t/$diff"; mv "$t/layer.tar" "$t/$diff/layer.tar"
  printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"chaoscenter image.sh"}]}' "$cmd" "$diff" > "$t/config.json"
  local cfg; cfg=$(sha256sum "$t/config.json" | cut -d' ' -f1); mv "$t/config.json" "$t/$cfg.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$cfg" "$ref" "$diff" > "$t/manifest.json"
  local f; f="$O/$(echo "$ref" | tr '/:' '__').tar"
  tar --numeric-owner --owner=0 --group=0 -C "$t" -cf "$f" manifest.json "$cfg.json" "$diff"
  rm -rf "$t"; echo "built $ref -> $f ($(du -h "$f" | cut -f1))"
  if [ "${IMPORT:-1}" = 1 ]; then ctr -n k8s.io images import --snapshotter "${SNAPSHOTTER:-overlayfs}" "$f" >/dev/null; fi
}

base() {
  "$HERE/../deps.sh"
  file -L /bin/busybox | grep -q 'statically linked' || { echo "image.sh: need a static /bin/busybox (busybox-static)" >&2; exit 1; }
  local r; r=$(mktemp -d); gcc -static -Os -s -o "$r/pause" "$HERE/pause.c"
  mkimage localhost/pause:1.0 "$r" '["/pause"]'; rm -rf "$r"
  r=$(mktemp -d); mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,var/www,root,proc,sys,dev}; chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  for p in $(/bin/busybox --list-full); do [ "$p" = bin/busybox ] || ln -sf /bin/busybox "$r/$p"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"; echo 'root:x:0:' > "$r/etc/group"
  echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> "$r/etc/passwd"
  echo 'hello from busybox httpd' > "$r/var/www/index.html"
  mkimage localhost/busybox:1.35 "$r" '["/bin/sh"]'; rm -rf "$r"
}

binary() {
  local ref="$1"; shift; [ $# -ge 1 ] || { echo "usage: image.sh binary NAME:TAG BIN [BIN...]" >&2; exit 2; }
  local r; r=$(mktemp -d); mkdir -p "$r"/{usr/local/bin,etc,tmp}; chmod 1777 "$r/tmp"
  echo 'nonroot:x:65532:65532:nonroot:/:/sbin/nologin' > "$r/etc/passwd"; echo 'nonroot:x:65532:' > "$r/etc/group"
  cp /etc/ssl/certs/ca-certificates.crt "$r/etc/" 2>/dev/null || true
  local first=""
  for b in "$@"; do
    cp "$b" "$r/usr/local/bin/"; first="${first:-/usr/local/bin/$(basename "$b")}"
    # the shared libraries and the dynamic loader the binary needs, at the same paths
    for lib in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
      mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"
    done
  done
  mkimage "$ref" "$r" "[\"$first\"]"; rm -rf "$r"
}

case "${1:-}" in
  base) base ;;
  binary) shift; binary "$@" ;;
  *) echo "usage: image.sh base | binary NAME:TAG BIN [BIN...]" >&2; exit 2 ;;
esac
