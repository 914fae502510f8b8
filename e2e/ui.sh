#!/usr/bin/env bash
# Builds the web UI into ui/dist (make up, make test): `npm ci` when package-lock.json changed since the
# last install, then codegen, type check and Vite build. Needs Node.js >= 20.19 and npm (from the machine).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; cd "$ROOT/ui"
need="20.19"
have=$(node -p 'process.versions.node' 2>/dev/null) || { echo "ui.sh: Node.js >= $need is needed (node not found)" >&2; exit 1; }
[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" = "$need" ] || { echo "ui.sh: Node.js >= $need is needed (found $have)" >&2; exit 1; }
stamp="node_modules/.chaoscenter-lock.sha256"
sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$sum" > "$stamp"
fi
case "${1:-build}" in
  build) npm run --silent build >&2 ;;
  deps) ;;
  *) echo "usage: ui.sh [build|deps]" >&2; exit 2 ;;
esac
