// Peer 1: the toy world (world.mjs) as a Colyseus 0.16 room with @colyseus/schema 3 state, over the ws
// transport. One room, "world", created at start and never disposed; every client joins it.
//
//   node colyseus-server.mjs [--port 18180] [--host 127.0.0.1] [--bodies 400] [--patch aligned|separate]
//
// --patch aligned (default): the 20 Hz simulation interval steps the world, stamps time_us and then calls
//   broadcastPatch() itself (patchRate null), so a patch leaves right after its tick, as cosmic's frames do.
// --patch separate: setPatchRate(50) next to setSimulationInterval(…, 50): Colyseus's default shape, two
//   independent 50 ms timers; a patch then waits 0–50 ms (a fixed phase per run) after the tick it carries,
//   which the tick→receive latency includes. The fan-out work per patch is the same in both.
//
// Logs on stderr only. Exits on SIGTERM / SIGINT (no graceful close: the load client is done by then).
import { Server, Room, matchMaker } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { Encoder, MapSchema, Schema, defineTypes } from "@colyseus/schema";

import { DEFAULT_BODIES, TICK_MS, World, parseFlags } from "./world.mjs";

const flags = parseFlags(process.argv.slice(2), {
  port: Number(process.env.PORT || 18180),
  host: "127.0.0.1",
  bodies: DEFAULT_BODIES,
  patch: "aligned",
  "max-clients": 10000,
});
if (!["aligned", "separate"].includes(flags.patch)) {
  throw new Error(`--patch must be aligned or separate, not ${flags.patch}`);
}

// A patch of 400 moving bodies is ~10 kB, over the 8 kB default: size the shared buffer once instead of
// letting the encoder grow it (and warn) on the first tick.
Encoder.BUFFER_SIZE = 256 * 1024;

// Plain classes with defineTypes: no decorators, so this runs as plain ESM on Node 20. No class fields
// either: they would shadow the accessors defineTypes installs on the prototype.
class Body extends Schema {}
defineTypes(Body, {
  id: "uint16",
  x: "float32",
  y: "float32",
  vx: "float32",
  vy: "float32",
  mass: "float32",
  kind: "uint8",
});

class WorldState extends Schema {
  constructor() {
    super();
    this.tick = 0;
    this.time_us = 0;
    this.bodies = new MapSchema();
  }
}
defineTypes(WorldState, {
  tick: "uint32",
  // Wall-clock microseconds since the Unix epoch when the tick was stepped (world.mjs wallMicros).
  time_us: "float64",
  bodies: { map: Body },
});

class WorldRoom extends Room {
  onCreate() {
    this.maxClients = flags["max-clients"];
    this.autoDispose = false;
    this.world = new World(flags.bodies);
    const state = new WorldState();
    this.views = [];
    for (const b of this.world.bodies) {
      const body = new Body();
      this.copy(body, b);
      body.id = b.id;
      body.mass = b.mass;
      body.kind = b.kind;
      state.bodies.set(String(b.id), body);
      this.views.push(body);
    }
    this.stamp(state);
    this.state = state;
    if (flags.patch === "aligned") {
      this.patchRate = null;
      this.setSimulationInterval(() => {
        this.step();
        this.broadcastPatch();
      }, TICK_MS);
    } else {
      this.setPatchRate(TICK_MS);
      this.setSimulationInterval(() => this.step(), TICK_MS);
    }
  }

  // Bodies first, then tick and time_us: the encoder then writes the root's two fields at the end of every
  // patch, where load.mjs's light clients read time_us without decoding (load-clients.mjs tailTime).
  step() {
    this.world.step();
    const bodies = this.world.bodies;
    for (let i = 0; i < bodies.length; i++) this.copy(this.views[i], bodies[i]);
    this.stamp(this.state);
  }

  copy(view, b) {
    view.x = b.x;
    view.y = b.y;
    view.vx = b.vx;
    view.vy = b.vy;
  }

  stamp(state) {
    state.tick = this.world.tick;
    state.time_us = this.world.timeUs;
  }
}

const transport = new WebSocketTransport({ perMessageDeflate: false });
// gracefullyShutdown off: it would install its own signal handlers; a benchmark peer just exits.
const server = new Server({ transport, greet: false, gracefullyShutdown: false });
server.define("world", WorldRoom);
await server.listen(flags.port, flags.host);
// Create the one room before any client asks: concurrent joinOrCreate calls then all find it and join,
// instead of racing to create rooms of their own.
const room = await matchMaker.createRoom("world", {});
console.error(
  `colyseus-server: pid ${process.pid}, ws://${flags.host}:${flags.port}, room ${room.roomId}, ` +
    `${flags.bodies} bodies, ${1000 / TICK_MS} Hz, patch ${flags.patch}`,
);

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
