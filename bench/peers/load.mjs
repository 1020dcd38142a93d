// The Node load client for the peers: many WebSocket clients against colyseus-server.mjs or ws-server.mjs for
// a bounded time, spread over worker threads (load-clients.mjs holds the clients themselves).
//
//   node load.mjs --target colyseus|ws [--url ws://127.0.0.1:18180] --clients N --seconds S --ramp R
//                 --warmup W [--workers 2] [--decoders 20] [--source-ips 50] [--server-pid PID] [--json]
//
// Timeline: client i starts at R·i/N s; counting starts after R + W s and lasts S s (the window). Every rate,
// byte count and latency covers that window only. With --server-pid the server's CPU time (utime + stime from
// /proc/PID/stat) is read at the window's two ends by this process, so it covers exactly the same window.
//
// Progress goes to stderr every 2 s. The last line of stdout is one JSON object; without --json a readable
// summary precedes it on stdout. The process always ends within R + W + S + 15 s.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";

import { Histogram } from "./histogram.mjs";
import { TICK_HZ, parseFlags, wallMicros } from "./world.mjs";

const DEFAULT_URL = { colyseus: "ws://127.0.0.1:18180", ws: "ws://127.0.0.1:18181" };
/** After the window: time for workers to close their sockets and report before we give up on them. */
const REPORT_GRACE_MS = 10_000;

const flags = parseFlags(process.argv.slice(2), {
  target: "",
  url: "",
  clients: 100,
  seconds: 10,
  ramp: 5,
  warmup: 3,
  workers: 2,
  decoders: 20,
  "source-ips": 50,
  "server-pid": 0,
  "max-connecting": 256,
  "connect-timeout": 10,
  json: false,
});
if (!(flags.target in DEFAULT_URL)) fail("--target must be colyseus or ws");
if (!(flags.clients >= 1 && flags.seconds > 0 && flags.ramp >= 0 && flags.warmup >= 0)) {
  fail("--clients ≥ 1, --seconds > 0, --ramp and --warmup ≥ 0");
}
if (!(flags.workers >= 1 && flags.workers <= 16)) fail("--workers between 1 and 16");
const url = flags.url || DEFAULT_URL[flags.target];
const sourceIps = new URL(url).hostname === "127.0.0.1" ? Math.min(254, Math.max(0, flags["source-ips"])) : 0;

function fail(message) {
  console.error(`load.mjs: ${message}`);
  process.exit(2);
}

const clockTicks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** utime + stime of a process in seconds, from /proc/PID/stat; null if unreadable. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) / clockTicks;
  } catch {
    return null;
  }
}

// Leave 300 ms for the workers to start before client 0 is due.
const startUs = wallMicros() + 300_000;
const windowStartUs = startUs + (flags.ramp + flags.warmup) * 1e6;
const windowEndUs = windowStartUs + flags.seconds * 1e6;

const workers = [];
const progress = [];
const results = [];
for (let w = 0; w < flags.workers; w++) {
  const indices = [];
  for (let i = w; i < flags.clients; i += flags.workers) indices.push(i);
  const worker = new Worker(new URL("./load-clients.mjs", import.meta.url), {
    workerData: {
      target: flags.target,
      url,
      clients: flags.clients,
      indices,
      decoders: Math.max(0, flags.decoders),
      sourceIps,
      maxConnecting: Math.max(1, Math.ceil(flags["max-connecting"] / flags.workers)),
      connectTimeoutMs: flags["connect-timeout"] * 1000,
      rampS: flags.ramp,
      startUs,
      windowStartUs,
      windowEndUs,
    },
  });
  worker.on("message", (m) => {
    if (m.type === "progress") progress[w] = m;
    else if (m.type === "done") {
      results[w] = m;
      if (results.filter(Boolean).length === flags.workers) finish();
    }
  });
  worker.on("error", (e) => {
    console.error(`load.mjs: worker ${w} failed: ${e.stack || e}`);
    results[w] = results[w] || null;
  });
  workers.push(worker);
}

function at(us, fn) {
  setTimeout(fn, Math.max(0, (us - wallMicros()) / 1000));
}

const sum = (list, key) => list.reduce((acc, p) => acc + (p?.[key] || 0), 0);
let last = { t: wallMicros(), frames: 0, bytes: 0 };
const ticker = setInterval(() => {
  const now = { t: wallMicros(), frames: sum(progress, "frames"), bytes: sum(progress, "bytes") };
  const dt = (now.t - last.t) / 1e6;
  const phase = now.t < windowStartUs ? "ramp/warmup" : now.t < windowEndUs ? "measuring" : "closing";
  console.error(
    `[${((now.t - startUs) / 1e6).toFixed(1)} s ${phase}] connected ${sum(progress, "live")}/${flags.clients}` +
      ` (failed ${sum(progress, "failed")}, lost ${sum(progress, "lost")}) |` +
      ` ${((now.frames - last.frames) / dt).toFixed(0)} frames/s | ${((now.bytes - last.bytes) / dt / 1e6).toFixed(2)} MB/s`,
  );
  last = now;
}, 2000);

// The window's two ends, from this (otherwise idle) thread: server and client CPU.
let windowCpu = null;
at(windowStartUs, () => {
  windowCpu = { t: wallMicros(), server: cpuSeconds(flags["server-pid"]), client: process.cpuUsage() };
  console.error(`load.mjs: measuring ${flags.seconds} s`);
});
/** Ends the CPU window (idempotent): at the window's end, or when the workers' results arrive first. */
function closeWindow() {
  if (!windowCpu || windowCpu.seconds !== undefined) return;
  const client = process.cpuUsage(windowCpu.client);
  const server = windowCpu.server === null ? null : cpuSeconds(flags["server-pid"]);
  windowCpu = {
    ...windowCpu,
    seconds: (wallMicros() - windowCpu.t) / 1e6,
    serverS: server === null ? null : server - windowCpu.server,
    clientS: (client.user + client.system) / 1e6,
  };
}
at(windowEndUs, closeWindow);
// A worker that never reports does not hold the run: report what the others saw.
at(windowEndUs + REPORT_GRACE_MS * 1000, () => {
  console.error("load.mjs: a worker did not report in time; summarising the others");
  finish();
});

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  closeWindow();
  clearInterval(ticker);
  const done = results.filter(Boolean);
  const latency = new Histogram();
  const applied = new Histogram();
  for (const r of done) {
    latency.add(Histogram.from(r.latency));
    applied.add(Histogram.from(r.applied));
  }
  // Decoding clients' applied latencies belong in the overall figure too.
  latency.add(applied);
  const connected = sum(done, "joined");
  const seconds = Math.max(...done.map((r) => r.seconds), 1e-3);
  const frames = sum(done, "frames");
  const bytes = sum(done, "bytes");
  const errors = {};
  for (const r of done) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] || 0) + v;
  const round = (v, digits) => Math.round(v * 10 ** digits) / 10 ** digits;
  const out = {
    target: flags.target,
    url,
    clients: flags.clients,
    connected,
    connected_at_end: sum(done, "live"),
    seconds: round(seconds, 3),
    workers: flags.workers,
    decoders: Math.min(Math.max(0, flags.decoders), flags.clients),
    frames,
    bytes,
    frames_per_client_per_second: round(frames / seconds / Math.max(connected, 1), 3),
    frames_per_client_per_second_min: round(Math.min(...done.map((r) => r.minClientFrames)) / seconds, 3),
    bytes_per_client_per_tick: round(bytes / Math.max(frames, 1), 1),
    tick_latency_ms: latency.summaryMs(),
    applied_tick_latency_ms: applied.summaryMs(),
    latency_misses: sum(done, "latencyMisses"),
    tail_mismatches: sum(done, "tailMismatches"),
    failed: sum(done, "failed"),
    lost: sum(done, "lost"),
    errors,
    // Colyseus: distinct rooms the clients were seated in (1 = all share one world); null for ws.
    rooms: flags.target === "colyseus" ? new Set(done.flatMap((r) => r.rooms)).size : null,
    client_event_loop_lag_ms_p99: round(Math.max(0, ...done.map((r) => r.lagP99Ms)), 2),
    client_event_loop_lag_ms_max: round(Math.max(0, ...done.map((r) => r.lagMaxMs)), 2),
    client_cpu_pct: windowCpu?.clientS === undefined ? null : round((100 * windowCpu.clientS) / windowCpu.seconds, 1),
    client_cpu_us_per_frame: windowCpu?.clientS === undefined ? null : round((1e6 * windowCpu.clientS) / Math.max(frames, 1), 2),
    server_pid: flags["server-pid"] || null,
    server_cpu_s: windowCpu?.serverS == null ? null : round(windowCpu.serverS, 3),
    server_cpu_pct: windowCpu?.serverS == null ? null : round((100 * windowCpu.serverS) / windowCpu.seconds, 1),
    server_cpu_us_per_frame: windowCpu?.serverS == null ? null : round((1e6 * windowCpu.serverS) / Math.max(frames, 1), 2),
    tick_hz: TICK_HZ,
    incomplete: done.length < flags.workers,
  };
  const l = out.tick_latency_ms;
  const summary =
    `${out.target}: ${connected}/${flags.clients} connected (failed ${out.failed}, lost ${out.lost}), ` +
    `${out.frames_per_client_per_second} frames/client/s (min ${out.frames_per_client_per_second_min}), ` +
    `${out.bytes_per_client_per_tick} B/frame, tick→receive p50 ${l.p50} p99 ${l.p99} max ${l.max} ms, ` +
    `client lag p99 ${out.client_event_loop_lag_ms_p99} ms, client CPU ${out.client_cpu_pct} %` +
    (out.server_cpu_us_per_frame === null ? "" : `, server ${out.server_cpu_us_per_frame} µs/frame (${out.server_cpu_pct} %)`);
  console.error(`load.mjs: ${summary}`);
  if (!flags.json) console.log(summary);
  console.log(JSON.stringify(out));
  process.exit(0);
}
