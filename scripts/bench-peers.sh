#!/usr/bin/env bash
# cosmic side by side with two Node peers serving the same kind of world (400 bodies, all moving, 20 Hz) to
# the same number of loopback clients: Colyseus 0.16 (schema patches) and a plain `ws` server (one JSON
# message per tick). See bench/peers/README.md.
#
#   scripts/bench-peers.sh [CLIENTS_LIST="1000 2000"] [SECONDS=30] [ROUNDS=3]
#
# For each client count and round, interleaved: (a) Colyseus, (b) Node ws, (c) cosmic. Each run starts its
# server, ramps the clients up over RAMP s, lets them settle SETTLE s, measures SECONDS s, then stops the
# server. Server CPU time (utime + stime from /proc/PID/stat) is taken over the measured window only and
# divided by the frames delivered in it:
#   - peers: bench/peers/load.mjs (--server-pid) reads /proc at its own window's two ends;
#   - cosmic: cosmic-loadgen, run exactly as `scripts/bench-ws.sh fanout` runs it, excludes RAMP + SETTLE s
#     (--warmup) from its figures; this script reads /proc at RAMP + SETTLE s after starting it and SECONDS s
#     later, and takes the window's frames from its window_frames (older loadgens: frames_per_client_per_s ×
#     measure_s × connected).
#
# Environment: COSMIC_BIN, LOADGEN_BIN (default ./target/release/…; nothing is ever built: a missing cosmic
# binary skips cosmic), TARGETS (default "colyseus ws cosmic"), RAMP (20), SETTLE (5), WORKERS (load.mjs
# worker threads, 2, as cosmic-loadgen runs 2 tokio threads), DECODERS (load.mjs clients that fully decode
# every frame, 20; the rest read headers only, as cosmic-loadgen does), COSMIC_RATE (0.2) and
# COSMIC_CREATE_RATIO (0.005) as in bench-ws.sh, PEERS_PORT_BASE (18180: Colyseus, +1 ws, +2 cosmic).
#
# The peers' clients send nothing; cosmic's send 0.2 pings or creates per second each, as bench-ws.sh's do
# (COSMIC_RATE=0 makes them watch only). cosmic's world starts at its default 400 bodies in a fresh data dir
# each run and then evolves (merges, creates): bodies_before / bodies_after are in each run's record.
#
# Prints progress and a table of medians on stderr, and one JSON object on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

clients_list=${1:-"1000 2000"}
seconds=${2:-30}
rounds=${3:-3}
targets=${TARGETS:-"colyseus ws cosmic"}
ramp=${RAMP:-20}
settle=${SETTLE:-5}
workers=${WORKERS:-2}
decoders=${DECODERS:-20}
cosmic_rate=${COSMIC_RATE:-0.2}
cosmic_create_ratio=${COSMIC_CREATE_RATIO:-0.005}
port_base=${PEERS_PORT_BASE:-18180}
server_bin=${COSMIC_BIN:-./target/release/cosmic}
loadgen_bin=${LOADGEN_BIN:-./target/release/cosmic-loadgen}
peers=bench/peers

ulimit -n 20000

if [ ! -d "$peers/node_modules/@colyseus/core" ]; then
  echo "bench-peers: $peers/node_modules is missing: run  npm ci --prefix $peers" >&2
  exit 1
fi
case " $targets " in
  *" cosmic "*)
    if [ ! -x "$server_bin" ] || [ ! -x "$loadgen_bin" ]; then
      echo "bench-peers: $server_bin or $loadgen_bin missing (this script never builds): skipping cosmic" >&2
      targets=$(echo "$targets" | sed 's/\bcosmic\b//')
    fi
    ;;
esac

work=$(mktemp -d)
results="$work/runs.jsonl"
: >"$results"
pids=()
# Every child we start is killed on exit, however we exit.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

clk_tck=$(getconf CLK_TCK)
cpu_seconds() { awk -v hz="$clk_tck" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS/ { print $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo null; }
now() { date +%s.%N; }
# sleep_until T: sleeps until the epoch time T (seconds, fractional), at once if it is past.
# Children run in the background and are waited for, so that INT / TERM interrupt the wait at once (bash runs
# a trap only after the foreground command ends).
sleep_until() {
  sleep "$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; if (d < 0) d = 0; printf "%.3f", d }')" &
  wait $!
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT PID: up to 10 s for the server PID to listen on PORT.
wait_port() {
  for _ in $(seq 1 100); do
    port_open "$1" && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench-peers: server on port $1 did not start" >&2
  return 1
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# run_peer TARGET CLIENTS ROUND: one Node peer run; appends its JSON line to $results.
run_peer() {
  local target=$1 n=$2 round=$3 port script
  case "$target" in
    colyseus) port=$port_base; script=colyseus-server.mjs ;;
    ws) port=$((port_base + 1)); script=ws-server.mjs ;;
  esac
  node "$peers/$script" --port "$port" 2>>"$work/$target.log" &
  local pid=$!
  pids+=("$pid")
  wait_port "$port" "$pid" || { stop "$pid"; return 1; }
  local file="$work/$target-$n-$round.json"
  timeout $((ramp + settle + seconds + 40)) node "$peers/load.mjs" --target "$target" \
    --url "ws://127.0.0.1:$port" --clients "$n" --seconds "$seconds" --ramp "$ramp" --warmup "$settle" \
    --workers "$workers" --decoders "$decoders" --source-ips 50 --server-pid "$pid" --json >"$file" &
  local lg=$!
  pids+=("$lg")
  wait "$lg" || true
  local out
  out=$(tail -n 1 "$file")
  local rss
  rss=$(rss_mib "$pid")
  stop "$pid"
  if [ -z "$out" ]; then
    echo "bench-peers: $target $n round $round: no result" >&2
    return 0
  fi
  python3 - "$out" "$round" "$rss" >>"$results" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
print(json.dumps({
    "target": s["target"], "clients": s["clients"], "round": int(sys.argv[2]),
    "connected": s["connected"], "failed": s["failed"], "lost": s["lost"],
    "seconds": s["seconds"], "frames": s["frames"],
    "frames_per_client_per_second": s["frames_per_client_per_second"],
    "bytes_per_client_per_tick": s["bytes_per_client_per_tick"],
    "tick_latency_ms": s["tick_latency_ms"],
    "server_cpu_s": s["server_cpu_s"], "server_cpu_pct": s["server_cpu_pct"],
    "server_cpu_us_per_frame": s["server_cpu_us_per_frame"],
    "server_rss_mib": None if sys.argv[3] == "null" else float(sys.argv[3]),
    "client_cpu_pct": s["client_cpu_pct"],
    "client_event_loop_lag_ms_p99": s["client_event_loop_lag_ms_p99"],
    "load": s,
}))
PY
}

# run_cosmic CLIENTS ROUND: one cosmic run with cosmic-loadgen as bench-ws.sh's fanout mode drives it.
run_cosmic() {
  local n=$1 round=$2 port=$((port_base + 2))
  local data="$work/cosmic-data-$n-$round"
  mkdir -p "$data"
  RUST_LOG=warn "$server_bin" serve --listen "127.0.0.1:$port" --data-dir "$data" 2>>"$work/cosmic.log" >&2 &
  local pid=$!
  pids+=("$pid")
  local health="http://127.0.0.1:$port/health"
  for _ in $(seq 1 100); do curl -fsS "$health" >/dev/null 2>&1 && break; sleep 0.1; done
  if ! curl -fsS "$health" >/dev/null 2>&1; then
    echo "bench-peers: cosmic did not start (see its log below)" >&2
    tail -n 20 "$work/cosmic.log" >&2 || true
    stop "$pid"
    return 1
  fi
  local before token
  before=$(curl -fsS "$health")
  # Every client plays as one guest (v1 without a token only watches), as in bench-ws.sh.
  token=$(curl -fsS -X POST "http://127.0.0.1:$port/api/auth/guest" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  local out="$work/cosmic-$n-$round.json"
  local t0
  t0=$(now)
  timeout $((ramp + settle + seconds + 40)) "$loadgen_bin" --url "ws://127.0.0.1:$port/ws" --clients "$n" \
    --protocol v1-bin --duration $((ramp + settle + seconds)) --ramp "$ramp" --warmup $((ramp + settle)) \
    --rate "$cosmic_rate" --create-ratio "$cosmic_create_ratio" --source-ips 50 --token "$token" --json \
    >"$out" &
  local lg=$!
  pids+=("$lg")
  sleep_until "$(awk -v a="$t0" -v b=$((ramp + settle)) 'BEGIN { printf "%.6f", a + b }')"
  local cpu0 cpu1 w0 w1
  cpu0=$(cpu_seconds "$pid")
  w0=$(now)
  sleep_until "$(awk -v a="$t0" -v b=$((ramp + settle + seconds)) 'BEGIN { printf "%.6f", a + b }')"
  cpu1=$(cpu_seconds "$pid")
  w1=$(now)
  wait "$lg" || true
  local after rss
  after=$(curl -fsS "$health" || echo '{}')
  rss=$(rss_mib "$pid")
  stop "$pid"
  rm -rf "$data"
  local summary
  summary=$(tail -n 1 "$out")
  if [ -z "$summary" ]; then
    echo "bench-peers: cosmic $n round $round: no result" >&2
    return 0
  fi
  python3 - "$summary" "$round" "$cpu0" "$cpu1" "$w0" "$w1" "$rss" "$before" "$after" >>"$results" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
cpu = float(sys.argv[4]) - float(sys.argv[3])
wall = float(sys.argv[6]) - float(sys.argv[5])
before, after = json.loads(sys.argv[8]), json.loads(sys.argv[9])
w0 = (before.get("worlds") or [{}])[0]
w1 = (after.get("worlds") or [{}])[0]
# The window's frames and bytes (after --warmup): counted by newer loadgens, else from the window's rates
# (frames_received and bytes_received are whole-run totals).
frames = s.get("window_frames")
if frames is None:
    frames = s["frames_per_client_per_s"] * s["measure_s"] * max(s["connected"], 1)
window_bytes = s.get("window_bytes")
if window_bytes is None:
    window_bytes = s["mb_per_s"] * 1e6 * s["measure_s"]
print(json.dumps({
    "target": "cosmic", "clients": s["clients"], "round": int(sys.argv[2]),
    "connected": s["connected"], "failed": s["connect_failures"], "lost": s["disconnects"],
    "seconds": s["measure_s"], "frames": round(frames),
    "frames_per_client_per_second": s["frames_per_client_per_s"],
    "bytes_per_client_per_tick": round(window_bytes / max(frames, 1), 1),
    "tick_latency_ms": s["tick_latency_ms"],
    "server_cpu_s": round(cpu, 3), "server_cpu_pct": round(100 * cpu / max(wall, 1e-3), 1),
    "server_cpu_us_per_frame": round(cpu * 1e6 / max(frames, 1), 2),
    "server_rss_mib": None if sys.argv[7] == "null" else float(sys.argv[7]),
    "client_cpu_pct": s["loadgen_cpu_pct"],
    "client_event_loop_lag_ms_p99": None,
    "bodies_before": w0.get("bodies"), "bodies_after": w1.get("bodies"),
    "ticks": (w1.get("ticks") or 0) - (w0.get("ticks") or 0),
    "tick_overruns": (w1.get("tick_overruns") or 0) - (w0.get("tick_overruns") or 0),
    "load": s,
}))
PY
}

# show_last: the last run's figures, one line on stderr.
show_last() {
  python3 - "$(tail -n 1 "$results")" <<'PY'
import json, sys
if sys.argv[1].strip():
    r = json.loads(sys.argv[1])
    l = r["tick_latency_ms"]
    print(f"  -> {r['target']} {r['clients']}: {r['connected']} connected, {r['frames_per_client_per_second']} frames/client/s, "
          f"{r['bytes_per_client_per_tick']} B/frame, server {r['server_cpu_us_per_frame']} µs/frame ({r['server_cpu_pct']} %), "
          f"tick→receive p50 / p99 {l['p50']} / {l['p99']} ms", file=sys.stderr)
    lag = r.get("client_event_loop_lag_ms_p99")
    if (lag is not None and lag > 25) or r["frames_per_client_per_second"] < 19.5:
        print(f"     warning: frames or client event-loop lag (p99 {lag} ms) suggest the load client could not keep up;"
              " compare client_cpu_pct, try WORKERS or DECODERS", file=sys.stderr)
PY
}

echo "bench-peers: clients [$clients_list], $seconds s measured (ramp $ramp s + settle $settle s), $rounds rounds, targets [$targets]" >&2
for n in $clients_list; do
  for round in $(seq 1 "$rounds"); do
    for target in $targets; do
      echo "bench-peers: $target, $n clients, round $round/$rounds" >&2
      case "$target" in
        colyseus | ws) run_peer "$target" "$n" "$round" || true ;;
        cosmic) run_cosmic "$n" "$round" || true ;;
        *) echo "bench-peers: unknown target $target" >&2 ;;
      esac
      show_last
      # Let the closed connections drain before the next server starts.
      sleep 2
    done
  done
done

python3 - "$results" "$seconds" "$rounds" "$ramp" "$settle" "$workers" "$decoders" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None
groups = {}
for r in runs:
    groups.setdefault((r["clients"], r["target"]), []).append(r)
order = {"colyseus": 0, "ws": 1, "cosmic": 2}
medians = []
for (clients, target), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9))):
    medians.append({
        "target": target, "clients": clients, "runs": len(rs),
        "connected": med([r["connected"] for r in rs]),
        "failed": sum(r["failed"] for r in rs), "lost": sum(r["lost"] for r in rs),
        "server_cpu_us_per_frame": med([r["server_cpu_us_per_frame"] for r in rs]),
        "server_cpu_pct": med([r["server_cpu_pct"] for r in rs]),
        "frames_per_client_per_second": med([r["frames_per_client_per_second"] for r in rs]),
        "bytes_per_client_per_tick": med([r["bytes_per_client_per_tick"] for r in rs]),
        "tick_latency_ms": {q: med([r["tick_latency_ms"][q] for r in rs]) for q in ("p50", "p99", "max")},
        "server_rss_mib": med([r["server_rss_mib"] for r in rs]),
        "client_cpu_pct": med([r["client_cpu_pct"] for r in rs]),
        "client_event_loop_lag_ms_p99": med([r["client_event_loop_lag_ms_p99"] for r in rs]),
    })
head = ("target", "clients", "runs", "conn", "µs/frame", "srv CPU %", "fr/cl/s", "B/frame", "p50 ms", "p99 ms", "max ms", "RSS MiB", "cli CPU %", "cli lag p99")
rows = [[m["target"], m["clients"], m["runs"], m["connected"], m["server_cpu_us_per_frame"], m["server_cpu_pct"],
         m["frames_per_client_per_second"], m["bytes_per_client_per_tick"], m["tick_latency_ms"]["p50"],
         m["tick_latency_ms"]["p99"], m["tick_latency_ms"]["max"], m["server_rss_mib"], m["client_cpu_pct"],
         m["client_event_loop_lag_ms_p99"]] for m in medians]
cells = [list(head)] + [["-" if v is None else str(v) for v in row] for row in rows]
widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
print(f"medians of {sys.argv[3]} rounds, {sys.argv[2]} s measured each:", file=sys.stderr)
for r in cells:
    print("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)), file=sys.stderr)
print(json.dumps({
    "seconds": int(sys.argv[2]), "rounds": int(sys.argv[3]), "ramp_s": int(sys.argv[4]), "settle_s": int(sys.argv[5]),
    "load_workers": int(sys.argv[6]), "load_decoders": int(sys.argv[7]),
    "medians": medians, "runs": runs,
}))
PY
