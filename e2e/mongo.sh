#!/usr/bin/env bash
# Starts and stops the MongoDB-protocol server for tests and `make up`: nx-27017 (MongoDB wire protocol
# backed by SQLite) from a project-local venv (.venv), on a free port, with its own data directory.
#   mongo.sh up [NAME]     prints the MongoDB URI; idempotent per NAME (default: dev)
#   mongo.sh down [NAME]   stops it; its data directory is removed unless KEEP_DATA=1
#   mongo.sh stop NAME     stops it, keeping its data and port; mongo.sh start NAME starts it again there
#                          (for tests of what happens while the database is away)
#   CACHE=<dir> (default ~/.cache/chaoscenter)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; CACHE="${CACHE:-$HOME/.cache/chaoscenter}"
NAME="${2:-dev}"; M="$CACHE/mongo/$NAME"; VENV="$ROOT/.venv"
. "$ROOT/e2e/cluster/lib.sh"
alive() { [ -f "$M/pid" ] && pid_alive "$(cat "$M/pid")"; }
case "${1:-}" in
  up)
    if alive; then cat "$M/uri"; exit 0; fi
    if [ ! -x "$VENV/bin/nx-27017" ]; then
      python3 -m venv "$VENV" >&2
      "$VENV/bin/pip" install -q --disable-pip-version-check nx-27017 >&2
    fi
    if [ "${RESTART:-0}" = 1 ] && [ -f "$M/uri" ]; then
      port=$(sed 's|.*:\([0-9]*\)/.*|\1|' "$M/uri")
    else
      rm -rf "$M"; mkdir -p "$M/data"
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fi
    setsid "$VENV/bin/nx-27017" --data-dir "$M/data" --host 127.0.0.1 -p "$port" \
      --pid-file "$M/nx.pid" --log-file "$M/log" > "$M/out" 2>&1 < /dev/null &
    echo $! > "$M/pid"
    for _ in $(seq 1 100); do
      python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
      alive || { echo "mongo.sh: nx-27017 exited:" >&2; cat "$M/out" "$M/log" >&2 2>/dev/null; exit 1; }
      sleep 0.1
    done
    echo "mongodb://127.0.0.1:$port/?directConnection=true" | tee "$M/uri" ;;
  down)
    if alive; then
      pid=$(cat "$M/pid"); kill -TERM "$pid"
      for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
      pid_alive "$pid" && kill -KILL "$pid"
      echo "stopped nx-27017 ($NAME)" >&2
    fi
    if [ "${KEEP_DATA:-0}" = 1 ]; then rm -f "$M/pid"; else rm -rf "$M"; fi ;;
  stop) KEEP_DATA=1 "$0" down "$NAME" ;;
  start) RESTART=1 "$0" up "$NAME" ;;
  *) echo "usage: mongo.sh up|down|stop|start [NAME]" >&2; exit 2 ;;
esac
