#!/usr/bin/env bash
# WebSocket load measurements: starts `cosmic serve`, drives it with `cosmic-loadgen` from a second
# process, and reads the server's CPU time and memory from /proc. Loopback only, bounded in time.
#
#   scripts/bench-ws.sh fanout [CLIENTS=10000] [SECONDS=60]   v1 clients on the default world at 20 Hz, then
#                                                            the floor with the same clients, frame size, rate
#   scripts/bench-ws.sh floor  [CLIENTS=2000] [SECONDS=30] [BYTES=682]   the floor alone
#   scripts/bench-ws.sh idle   [CLIENTS=19000] [SECONDS=30]   upgraded connections that stay idle
#
# The floor (cosmic-floor): a minimal sender writing pre-built WebSocket frames, one write per frame, to the
# same number of loopback connections at the same rate: its CPU per frame is what the kernel costs here,
# the limit for any server on this machine.
#
# Prints progress on stderr and one JSON object on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-fanout}
clients=${2:-}
seconds=${3:-}
port=${BENCH_PORT:-18080}
url="ws://127.0.0.1:${port}/ws"

# COSMIC_BIN / LOADGEN_BIN measure other builds (e.g. an older commit's) with this script; then nothing is built.
if [ -z "${COSMIC_BIN:-}" ]; then
  cargo build --release --locked -p server -p loadgen >&2
fi
server=${COSMIC_BIN:-./target/release/cosmic}
loadgen=${LOADGEN_BIN:-./target/release/cosmic-loadgen}
floor=${FLOOR_BIN:-./target/release/cosmic-floor}
floor_port=${FLOOR_PORT:-18090}

# floor CLIENTS SECONDS BYTES: the floor's JSON on stdout.
run_floor() {
  "$floor" recv --connect "127.0.0.1:${floor_port}" --clients "$1" --source-ips 50 >/dev/null &
  local rx=$!
  "$floor" send --listen "127.0.0.1:${floor_port}" --clients "$1" --bytes "$3" --hz 20 --seconds "$2" &
  local tx=$!
  wait "$tx"
  wait "$rx" || true
}

cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
health() { curl -fsS "http://127.0.0.1:${port}/health"; }

start_server() {
  data_dir=$(mktemp -d)
  RUST_LOG=warn "$server" serve --listen "127.0.0.1:${port}" --data-dir "$data_dir" "$@" >&2 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; rm -rf "$data_dir"' EXIT
  for _ in $(seq 1 100); do health >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "server did not start" >&2
  exit 1
}

case "$mode" in
  fanout)
    clients=${clients:-10000}
    seconds=${seconds:-60}
    start_server
    # Every client plays as one guest (v1 without a token only watches).
    token=$(curl -fsS -X POST "http://127.0.0.1:${port}/api/auth/guest" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
    # 20 s ramp + 5 s settling are excluded (--warmup): SECONDS are measured with every client connected,
    # and the server's CPU time is read at the start and the end of that window.
    out=$(mktemp)
    "$loadgen" --url "$url" --clients "$clients" --protocol v1-bin --duration $((seconds + 25)) \
      --ramp 20 --warmup 25 --rate 0.2 --create-ratio 0.005 --source-ips 50 --token "$token" --json >"$out" &
    lg=$!
    sleep 25
    before=$(health)
    cpu0=$(cpu_seconds "$pid")
    wait "$lg"
    cpu1=$(cpu_seconds "$pid")
    after=$(health)
    summary=$(tail -n 1 "$out")
    rm -f "$out"
    rss=$(rss_kib "$pid")
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # The floor, with the fan-out's own figures: its clients, its mean bytes per frame, 20 Hz.
    bytes=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(max(2, round(s["window_bytes"] / max(s["window_frames"], 1)) + 4))' "$summary")
    echo "floor: $clients connections, $bytes bytes per frame, 20 Hz, ${seconds} s" >&2
    floor_json=$(run_floor "$clients" "$seconds" "$bytes" | tail -n 1)
    python3 - "$summary" "$before" "$after" "$cpu0" "$cpu1" "$rss" "$floor_json" <<'PY'
import json, sys
s, before, after = (json.loads(a) for a in sys.argv[1:4])
floor = json.loads(sys.argv[7])
cpu = float(sys.argv[5]) - float(sys.argv[4])
w0, w1 = before["worlds"][0], after["worlds"][0]
ticks = w1["ticks"] - w0["ticks"]
overruns = w1["tick_overruns"] - w0["tick_overruns"]
frames = s.get("window_frames") or 1
out = {
    "mode": "fanout",
    "clients": s.get("clients"),
    "connected": s.get("connected"),
    "ticks": ticks,
    "tick_overruns": overruns,
    "overrun_ratio": overruns / max(ticks, 1),
    "server_cpu_s": cpu,
    "server_cpu_us_per_frame": cpu * 1e6 / frames,
    "server_rss_mib": int(sys.argv[6]) / 1024,
    "floor_cpu_us_per_frame": floor["floor_cpu_us_per_frame"],
    "server_to_floor_ratio": (cpu * 1e6 / frames) / max(floor["floor_cpu_us_per_frame"], 1e-9),
    "floor": floor,
    "loadgen": s,
}
print(json.dumps(out))
PY
    ;;
  floor)
    run_floor "${clients:-2000}" "${seconds:-30}" "${4:-682}" | tail -n 1
    ;;
  idle)
    clients=${clients:-19000}
    seconds=${seconds:-30}
    start_server --ws-hello-timeout-secs 3600 --world-bodies 50
    sleep 1
    rss0=$(rss_kib "$pid")
    "$loadgen" --url "$url" --clients "$clients" --protocol v1-bin --idle --duration "$seconds" \
      --ramp 10 --source-ips 100 --json > /tmp/cosmic-idle.json &
    lg=$!
    peak_conns=0; rss1=$rss0
    while kill -0 "$lg" 2>/dev/null; do
      conns=$(health 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])' 2>/dev/null || echo 0)
      if [ "$conns" -ge "$peak_conns" ]; then peak_conns=$conns; rss1=$(rss_kib "$pid"); fi
      sleep 1
    done
    summary=$(tail -n 1 /tmp/cosmic-idle.json)
    python3 - "$summary" "$rss0" "$rss1" "$peak_conns" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
rss0, rss1, conns = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(json.dumps({
    "mode": "idle",
    "clients": s.get("clients"),
    "connected": s.get("connected"),
    "server_connections_peak": conns,
    "server_rss_before_mib": rss0 / 1024,
    "server_rss_at_peak_mib": rss1 / 1024,
    "bytes_per_connection": (rss1 - rss0) * 1024 / max(conns, 1),
    "loadgen": s,
}))
PY
    ;;
  *)
    echo "usage: $0 fanout|floor|idle [CLIENTS] [SECONDS] [BYTES]" >&2
    exit 2
    ;;
esac
