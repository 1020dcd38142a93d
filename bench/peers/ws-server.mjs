// Peer 2: the toy world (world.mjs) over a plain `ws` 8 server, the simplest fan-out a Node server can do:
// each tick, one JSON.stringify of the whole world, encoded to UTF-8 once, sent as one text message to every
// open connection. No compression (perMessageDeflate off), no per-client state, no backpressure handling
// beyond ws's own buffering.
//
//   node ws-server.mjs [--port 18181] [--host 127.0.0.1] [--bodies 400]
//
// The message starts with `{"tick":…,"time_us":…,` so a client can read both from its first bytes without
// parsing the bodies (load.mjs does that for all but its decoding clients). Logs on stderr only.
import { WebSocketServer } from "ws";

import { DEFAULT_BODIES, TICK_MS, World, parseFlags } from "./world.mjs";

const flags = parseFlags(process.argv.slice(2), {
  port: Number(process.env.PORT || 18181),
  host: "127.0.0.1",
  bodies: DEFAULT_BODIES,
});

const world = new World(flags.bodies);
const wss = new WebSocketServer({
  host: flags.host,
  port: flags.port,
  perMessageDeflate: false,
  // Clients send nothing but control frames.
  maxPayload: 4096,
});
wss.on("connection", (socket) => {
  socket.on("error", () => socket.terminate());
});
wss.on("listening", () => {
  console.error(
    `ws-server: pid ${process.pid}, ws://${flags.host}:${flags.port}, ${flags.bodies} bodies, ${1000 / TICK_MS} Hz`,
  );
});

// The same 20 Hz timer Colyseus's setSimulationInterval uses (Node's setInterval), so both peers tick alike.
setInterval(() => {
  world.step();
  const text = JSON.stringify({ tick: world.tick, time_us: Math.round(world.timeUs), bodies: world.bodies });
  // One UTF-8 encoding per tick: ws would otherwise encode a string again for every send.
  const bytes = Buffer.from(text);
  for (const socket of wss.clients) {
    if (socket.readyState === socket.OPEN) socket.send(bytes, { binary: false });
  }
}, TICK_MS);

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
