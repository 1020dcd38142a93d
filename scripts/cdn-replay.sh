#!/usr/bin/env bash
# Replays a realistic visit mix through the nginx CDN edge (deploy/nginx/cosmic-edge.conf) in front of
# `cosmic serve`, with a blue-green deploy halfway, and reports the edge's cache hit ratio (docs/cdn.md).
# Everything runs on 127.0.0.1 in a temporary directory that is removed on exit, with every process this
# run started.
#
# Usage: scripts/cdn-replay.sh [--json] [--visits 3000] [--visitors 600] [--duration 75] [--concurrency 16]
#                              [--seed 1] [--ws-share 1] [--min-hit-ratio 0.95] [--keep]
#   --json        one JSON line on stdout (the summary goes to stderr)
#   --keep        keep the temporary directory (builds, logs, the nginx access log) and print its path
# Environment: COSMIC_BIN (default target/debug/cosmic), NGINX (default: nginx on PATH, else /usr/sbin/nginx).
# Exit status: 0 when the run had no errors and met --min-hit-ratio, 1 on errors, 2 below the target.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${COSMIC_BIN:-target/debug/cosmic}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
KEEP=""
for arg in "$@"; do [ "$arg" = "--keep" ] && KEEP=1; done

if [ ! -x "$BIN" ]; then
  echo "The server binary $BIN is missing: build it (cargo build --bin cosmic) or set COSMIC_BIN." >&2
  exit 1
fi
if [ ! -x "$NGINX" ]; then
  echo "nginx is needed (Debian: apt-get install nginx-light), or set NGINX to its path." >&2
  exit 1
fi
if ! command -v node >/dev/null || [ ! -d web/node_modules ]; then
  echo "Node.js 20+ and web/node_modules are needed (npm --prefix web ci)." >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cdn-replay.XXXXXX")"
# nginx workers run as nobody when we are root: they must be able to reach the cache directory inside.
chmod 755 "$WORK"

NODE_PID=""
cleanup() {
  local status=$?
  # The replay stops its processes itself; this is for an interrupted or crashed run: the replay first
  # (it stops the origin and nginx on SIGTERM), then any pid it recorded, one by one.
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 1; done
  fi
  if [ -s "$WORK/pids" ]; then
    while read -r pid; do
      kill "$pid" 2>/dev/null || true
    done <"$WORK/pids"
    sleep 1
  fi
  if [ -n "$KEEP" ]; then
    echo "cdn-replay: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# In the background so that a signal to this script runs the trap at once (bash defers traps while a
# foreground command runs).
node scripts/cdn-replay/main.mjs --work-dir "$WORK" --bin "$BIN" --nginx "$NGINX" "$@" &
NODE_PID=$!
wait "$NODE_PID"
