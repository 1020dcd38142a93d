#!/usr/bin/env bash
# Live-session fan-out under load: starts `cosmic serve` (embedded SQLite, a fresh data directory), then
# `cosmic-loadgen --app live` from its own process: one controller sending 60 parameter changes a second
# to DISPLAYS `cosmic.live.v1.json` displays in one room for SECONDS, spread over 127.0.0.x. Prints the
# loadgen's summary; its last line is JSON (displays, updates_per_s, p50_ms, p99_ms,
# frames_per_display_per_s, server_cpu_us_per_frame, ...). With CHECK=1 it fails unless every display
# connected and received states (the test script's smoke run; figures from a dev build mean nothing).
#
#   scripts/live-load.sh [DISPLAYS=500] [SECONDS=30]
#
# COSMIC_BIN / LOADGEN_BIN choose the binaries (default: the release builds, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

displays=${1:-500}
seconds=${2:-30}
server_bin=${COSMIC_BIN:-target/release/cosmic}
loadgen_bin=${LOADGEN_BIN:-target/release/cosmic-loadgen}
if [ ! -x "$server_bin" ] || [ ! -x "$loadgen_bin" ]; then
  cargo build --release --locked --bin cosmic --bin cosmic-loadgen
fi
port=${PORT:-18230}
data=$(mktemp -d)
# Displays come from 50 loopback addresses; guests from one.
COSMIC_SERVER__LISTEN=127.0.0.1:$port COSMIC_SERVER__DATA_DIR=$data RUST_LOG=${RUST_LOG:-warn} \
  COSMIC_HTTP__MAX_CONNECTIONS_PER_ADDRESS=$((displays + 100)) \
  "$server_bin" serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; [ -n "${KEEP_LOG:-}" ] && cp "$data/server.log" "$KEEP_LOG"; rm -rf "$data"' EXIT
for _ in $(seq 150); do
  curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null || { cat "$data/server.log" >&2; exit 1; }

out=$(mktemp)
"$loadgen_bin" --app live --url "ws://127.0.0.1:$port/live" --clients "$displays" --duration "$seconds" | tee "$out"
if [ "${CHECK:-0}" = 1 ]; then
  tail -n 1 "$out" | python3 -c '
import json, sys
s = json.load(sys.stdin)
want = int(sys.argv[1])
assert s["displays"] == want and s["connect_failures"] == 0, f"displays: {s}"
assert s["min_frames_per_display_per_s"] > 0, f"a display received nothing: {s}"
print("live load smoke: %d displays, %s states/s each" % (want, s["frames_per_display_per_s"]))
' "$displays"
fi
rm -f "$out"
