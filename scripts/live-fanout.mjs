// Live-session fan-out through v1z3r's compat envelope: one host sends parameter changes at 60 Hz to
// D displays for S seconds; each display records the time from send to receipt (one process, one clock).
// Usage: node --experimental-websocket scripts/live-fanout.mjs [DISPLAYS] [SECONDS] [BASE_URL]
// Prints one JSON object: displays, updates_per_s, p50_ms, p99_ms, frames_per_display_per_s.
const displays = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 10);
const base = process.argv[4] ?? "http://127.0.0.1:8080";
const wsBase = base.replace(/^http/, "ws");

async function guest() {
  const r = await fetch(`${base}/api/auth/guest`, { method: "POST" });
  if (!r.ok) throw new Error(`guest: ${r.status} ${await r.text()}`);
  return (await r.json()).access_token;
}

function open(token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/live?token=${token}`);
    ws.onopen = () => resolve(ws);
    ws.onerror = (e) => reject(new Error(`connect: ${e.message ?? e}`));
  });
}

function envelope(type, data, extra = {}) {
  return JSON.stringify({ id: crypto.randomUUID(), type, timestamp: Date.now(), source: "bench", data, ...extra });
}

function request(ws, type, data, extra = {}) {
  const requestId = crypto.randomUUID();
  return new Promise((resolve) => {
    const prev = ws.onmessage;
    ws.onmessage = (m) => {
      const v = JSON.parse(m.data);
      if (v.metadata?.requestId === requestId) {
        ws.onmessage = prev;
        resolve(v);
      }
    };
    ws.send(envelope(type, data, { ...extra, metadata: { requestId } }));
  });
}

const hostToken = await guest();
const displayToken = await guest();
const host = await open(hostToken);
const created = await request(host, "join_room", { createRoom: { name: "bench", maxParticipants: displays + 10 } });
const code = created.data.room.code;
host.onmessage = () => {};

const latencies = [];
const received = new Array(displays).fill(0);
let measuring = false;
const sockets = [];
for (let i = 0; i < displays; i += 1) {
  const ws = await open(displayToken);
  const joined = await request(ws, "join_room", { participant: { name: `d${i}`, role: "participant" } }, { roomId: code });
  if (!joined.data.success) throw new Error(`join: ${JSON.stringify(joined.data)}`);
  ws.onmessage = (m) => {
    const v = JSON.parse(m.data);
    if (v.type !== "parameter_update" || !measuring) return;
    latencies.push(performance.now() - v.data.parameters.sent);
    received[i] += 1;
  };
  sockets.push(ws);
}

let sent = 0;
measuring = true;
const started = performance.now();
await new Promise((resolve) => {
  const period = 1000 / 60;
  const tick = () => {
    const now = performance.now();
    if (now - started >= seconds * 1000) return resolve();
    host.send(envelope("parameter_update", { parameters: { sent: now, hue: (sent % 360) / 360 } }));
    sent += 1;
    setTimeout(tick, Math.max(0, started + sent * period - performance.now()));
  };
  tick();
});
await new Promise((r) => setTimeout(r, 500));
measuring = false;
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? null;
const perDisplay = received.map((n) => n / seconds);
const out = {
  displays,
  seconds,
  updates_sent: sent,
  updates_per_s: sent / seconds,
  p50_ms: Number(q(0.5).toFixed(3)),
  p99_ms: Number(q(0.99).toFixed(3)),
  max_ms: Number(latencies[latencies.length - 1].toFixed(3)),
  frames_per_display_per_s: Number((perDisplay.reduce((a, b) => a + b, 0) / displays).toFixed(2)),
  min_frames_per_display_per_s: Number(Math.min(...perDisplay).toFixed(2)),
  delivered: latencies.length,
  expected: sent * displays,
};
console.log(JSON.stringify(out));
for (const ws of sockets) ws.close();
host.close();
process.exit(0);
