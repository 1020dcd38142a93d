// One load.mjs worker thread: opens its share of the clients over the ramp, counts what they receive, and
// posts progress every second and its totals once the window has ended. The coordinator (load.mjs) owns
// the flags, the timeline and the output; this file owns the clients.
//
// Clients come in two kinds, as in cosmic-loadgen (which reads frame headers only unless --verify):
// - light clients read just enough of each frame to get its publish time: for ws, the `"time_us":` at the
//   start of the JSON text; for Colyseus, the root state's time_us, which the encoder writes last in every
//   patch (see tailTime). They speak Colyseus's protocol themselves (seat reservation over HTTP, then the
//   room's WebSocket and the JOIN_ROOM acknowledgement) so that they decode nothing.
// - decoding clients (--decoders of them, spread evenly over the join order) apply every frame like a real
//   client: JSON.parse for ws; colyseus.js's Room (the @colyseus/schema decoder) for Colyseus. Their latency
//   is taken after the frame is applied; for Colyseus they also check tailTime against the decoded state.
//
// Bytes are WebSocket message payload bytes (what cosmic-loadgen counts), read from ws's `message` event
// before anything else sees the message; the few bytes of WebSocket frame headers are not included.
import http from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

import { Histogram } from "./histogram.mjs";
import { wallMicros } from "./world.mjs";

const cfg = workerData;
const PROTOCOL = { JOIN_ROOM: 10, ERROR: 11, ROOM_STATE: 14, ROOM_STATE_PATCH: 15 };
// A header carrying a decoding client's index and source address through colyseus.js to BenchSocket;
// BenchSocket removes it before the handshake.
const META_HEADER = "x-peers-bench-client";

const totals = { joined: 0, live: 0, failed: 0, lost: 0, frames: 0, bytes: 0, latencyMisses: 0, tailMismatches: 0 };
const errors = {};
const latency = new Histogram();
const applied = new Histogram();
const clientFrames = new Float64Array(cfg.indices.length);
const sockets = new Set();
/** Colyseus room ids the clients were seated in: one, when every client shares the world. */
const rooms = new Set();
let measuring = false;
let stopping = false;

function error(kind) {
  errors[kind] = (errors[kind] || 0) + 1;
}

function localAddress(i) {
  return cfg.sourceIps > 0 ? `127.0.0.${1 + (i % cfg.sourceIps)}` : undefined;
}

/** Exactly `decoders` of the clients 0..N-1 decode, spread evenly over the join order. */
function decodes(i) {
  const k = Math.min(cfg.decoders, cfg.clients);
  return Math.floor(((i + 1) * k) / cfg.clients) > Math.floor((i * k) / cfg.clients);
}

/** Counts one received frame of client slot `s`; `timeUs` null when it could not be read. */
function frame(s, bytes, timeUs, histogram = latency) {
  totals.frames += 1;
  totals.bytes += bytes;
  clientFrames[s] += 1;
  if (!measuring) return;
  if (timeUs === null) totals.latencyMisses += 1;
  else histogram.record(wallMicros() - timeUs);
}

// ---- ws target ----

/** `{"tick":N,"time_us":T,` at the start of the server's text: T, or null. */
function headTime(data) {
  const m = /^\{"tick":\d+,"time_us":(\d+)[,}]/.exec(data.toString("latin1", 0, 64));
  return m ? Number(m[1]) : null;
}

function wsClient(c) {
  const { i, s } = c;
  const decoder = decodes(i);
  const socket = new WebSocket(cfg.url, {
    localAddress: localAddress(i),
    perMessageDeflate: false,
    handshakeTimeout: cfg.connectTimeoutMs,
    // A light client reads 64 bytes of each ~50 kB text: checking all of it is UTF-8 would be most of its work.
    skipUTF8Validation: !decoder,
  });
  track(socket, c, true);
  socket.on("message", (data) => {
    if (!decoder) return frame(s, data.length, headTime(data));
    const state = JSON.parse(data.toString());
    frame(s, data.length, typeof state.time_us === "number" ? state.time_us : null, applied);
  });
}

// ---- colyseus target ----

/**
 * The root state's time_us from a ROOM_STATE_PATCH, or null. The server stamps tick and time_us after
 * moving the bodies, so the encoder writes the root's changes last: SWITCH_TO_STRUCTURE (255), refId 0,
 * field 0 (tick, uint32), field 1 (time_us, float64) — the patch's last 16 bytes. The structure bytes are
 * checked and decoding clients compare the value with the decoded state.
 */
function tailTime(b) {
  const n = b.length;
  if (n < 17 || b[0] !== PROTOCOL.ROOM_STATE_PATCH) return null;
  if (b[n - 16] !== 255 || b[n - 15] !== 0 || (b[n - 14] & 63) !== 0 || (b[n - 9] & 63) !== 1) return null;
  return Buffer.from(b.buffer, b.byteOffset, n).readDoubleLE(n - 8);
}

/** Colyseus's seat reservation: POST /matchmake/joinOrCreate/world from the client's source address. */
function reserveSeat(i) {
  const { hostname, port } = new URL(cfg.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        path: "/matchmake/joinOrCreate/world",
        method: "POST",
        localAddress: localAddress(i),
        agent: false,
        headers: { "content-type": "application/json", accept: "application/json" },
        timeout: cfg.connectTimeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          try {
            const seat = JSON.parse(body);
            if (res.statusCode !== 200 || seat.error) reject(new Error(`matchmake ${res.statusCode} ${body}`));
            else resolve(seat);
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("matchmake timeout")));
    req.on("error", reject);
    req.end("{}");
  });
}

async function colyseusLight(c) {
  const { i, s } = c;
  const seat = await reserveSeat(i);
  rooms.add(seat.room.roomId);
  const base = cfg.url.replace(/\/+$/, "");
  const url = `${base}/${seat.room.processId}/${seat.room.roomId}?sessionId=${seat.sessionId}`;
  const socket = new WebSocket(url, {
    localAddress: localAddress(i),
    perMessageDeflate: false,
    handshakeTimeout: cfg.connectTimeoutMs,
  });
  socket.binaryType = "nodebuffer";
  // Joined once the server's JOIN_ROOM arrives (and is acknowledged), not at the WebSocket open.
  track(socket, c, false);
  socket.on("message", (data) => {
    const code = data[0];
    if (code === PROTOCOL.ROOM_STATE_PATCH) frame(s, data.length, tailTime(data));
    else if (code === PROTOCOL.ROOM_STATE) frame(s, data.length, null);
    else {
      totals.bytes += data.length;
      if (code === PROTOCOL.JOIN_ROOM) {
        socket.send(Buffer.from([PROTOCOL.JOIN_ROOM]));
        joined(c);
      } else if (code === PROTOCOL.ERROR) {
        error("room_error");
        socket.terminate();
      }
    }
  });
}

let ColyseusClient = null;

/** colyseus.js takes the WebSocket class from globalThis when it has one: give it ws, plus our hook. */
async function loadColyseusJs() {
  class BenchSocket extends WebSocket {
    constructor(url, options) {
      const headers = { ...(options?.headers || {}) };
      const meta = JSON.parse(headers[META_HEADER] || "{}");
      delete headers[META_HEADER];
      super(url, { ...options, headers, localAddress: meta.localAddress, perMessageDeflate: false });
      const c = records.get(meta.slot);
      // Registered before colyseus.js sets onmessage, so it runs first on every message.
      this.on("message", (data) => {
        const bytes = new Uint8Array(data);
        c.pendingBytes += bytes.length;
        c.tail = tailTime(bytes);
      });
      track(this, c, false);
    }
  }
  globalThis.WebSocket = BenchSocket;
  ({ Client: ColyseusClient } = await import("colyseus.js"));
}

async function colyseusDecoder(c) {
  const { i, s } = c;
  const meta = JSON.stringify({ slot: s, localAddress: localAddress(i) });
  const client = new ColyseusClient(cfg.url, { headers: { [META_HEADER]: meta } });
  const room = await client.joinOrCreate("world");
  rooms.add(room.roomId);
  joined(c);
  room.onStateChange((state) => {
    const bytes = c.pendingBytes;
    c.pendingBytes = 0;
    frame(s, bytes, state.time_us, applied);
    if (measuring && c.tail !== null && c.tail !== state.time_us) totals.tailMismatches += 1;
  });
}

// ---- common ----

/** Every client of this worker by slot: its state, and for decoding Colyseus clients their pending bytes. */
const records = new Map();
let connecting = 0;
const queue = [];

/** A socket's life: joined at open (or later, for Colyseus, at JOIN_ROOM), ended at close. */
function track(socket, c, joinAtOpen) {
  sockets.add(socket);
  socket.on("open", () => joinAtOpen && joined(c));
  socket.on("error", (e) => error(e.code || "ws_error"));
  socket.on("close", () => {
    sockets.delete(socket);
    ended(c);
  });
}

function joined(c) {
  if (c.joined || c.ended) return;
  c.joined = true;
  totals.joined += 1;
  totals.live += 1;
  release(c);
}

/** Closed or failed (idempotent): lost if it had joined, failed if not; ends after the stop count as neither. */
function ended(c) {
  if (c.ended) return;
  c.ended = true;
  if (c.joined) {
    totals.live -= 1;
    if (!stopping) totals.lost += 1;
  } else if (!stopping) totals.failed += 1;
  release(c);
}

/** Frees the client's handshake slot (at join or end) for the next client in the queue. */
function release(c) {
  if (!c.connecting) return;
  c.connecting = false;
  connecting -= 1;
  pump();
}

function pump() {
  while (!stopping && queue.length > 0 && connecting < cfg.maxConnecting) {
    const c = queue.shift();
    c.connecting = true;
    connecting += 1;
    const start = cfg.target === "ws" ? wsClient : decodes(c.i) ? colyseusDecoder : colyseusLight;
    Promise.resolve()
      .then(() => start(c))
      .catch((e) => {
        error(e.code || String(e.message || e).split(" ")[0] || "connect_error");
        ended(c);
      });
  }
}

/** Queues client slot s (global index i) at its point of the ramp. */
function schedule() {
  cfg.indices.forEach((i, s) => {
    const c = { i, s, joined: false, ended: false, connecting: false, pendingBytes: 0, tail: null };
    records.set(s, c);
    const at = cfg.startUs + (cfg.rampS * 1e6 * i) / cfg.clients;
    setTimeout(() => {
      queue.push(c);
      pump();
    }, Math.max(0, (at - wallMicros()) / 1000));
  });
}

// The histogram holds the intervals between its 10 ms timer's runs: lag is what exceeds the 10 ms.
const LAG_RESOLUTION_MS = 10;
const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
let windowStart = null;

function at(us, fn) {
  setTimeout(fn, Math.max(0, (us - wallMicros()) / 1000));
}

at(cfg.windowStartUs, () => {
  measuring = true;
  lag.enable();
  windowStart = { t: wallMicros(), frames: totals.frames, bytes: totals.bytes, perClient: clientFrames.slice() };
});

at(cfg.windowEndUs, () => {
  measuring = false;
  lag.disable();
  const end = { t: wallMicros(), frames: totals.frames, bytes: totals.bytes };
  const start = windowStart ?? { t: end.t, frames: end.frames, bytes: end.bytes, perClient: clientFrames };
  let minFrames = Infinity;
  for (let s = 0; s < clientFrames.length; s++) {
    minFrames = Math.min(minFrames, clientFrames[s] - start.perClient[s]);
  }
  stopping = true;
  clearInterval(progress);
  const result = {
    type: "done",
    seconds: (end.t - start.t) / 1e6,
    frames: end.frames - start.frames,
    bytes: end.bytes - start.bytes,
    minClientFrames: Number.isFinite(minFrames) ? minFrames : 0,
    joined: totals.joined,
    live: totals.live,
    failed: totals.failed,
    lost: totals.lost,
    latencyMisses: totals.latencyMisses,
    tailMismatches: totals.tailMismatches,
    errors,
    rooms: [...rooms],
    latency: latency.toJSON(),
    applied: applied.toJSON(),
    lagP99Ms: lag.count ? Math.max(0, lag.percentile(99) / 1e6 - LAG_RESOLUTION_MS) : 0,
    lagMaxMs: lag.count ? Math.max(0, lag.max / 1e6 - LAG_RESOLUTION_MS) : 0,
  };
  for (const socket of sockets) socket.terminate();
  parentPort.postMessage(result);
});

const progress = setInterval(() => {
  parentPort.postMessage({ type: "progress", ...totals });
}, 1000);

if (cfg.target === "colyseus" && cfg.indices.some(decodes)) await loadColyseusJs();
schedule();
