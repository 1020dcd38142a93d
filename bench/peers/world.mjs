// The peers' shared toy world: N bodies orbiting the origin, stepped at a fixed rate, every body moving every
// tick (as in cosmic's default world, where all 400 bodies move under gravity each tick). Deterministic from a
// seed; no I/O. Also the wall clock every peer process stamps and reads, so that latencies measured across
// processes use one clock.

export const DEFAULT_BODIES = 400;
export const TICK_HZ = 20;
export const TICK_MS = 1000 / TICK_HZ;

/** Kinds, as in cosmic's sky (the value is only carried, never interpreted). */
export const KINDS = ["dust", "asteroid", "comet", "moon", "planet", "star"];

/**
 * Microseconds since the Unix epoch with sub-millisecond resolution (Date.now() has 1 ms). timeOrigin is the
 * wall clock at process start, now() a monotonic offset from it: two processes on one machine agree to well
 * under a millisecond over a run, which is what a tick→receive latency needs.
 */
export function wallMicros() {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** xorshift32: a small deterministic generator, enough to scatter bodies reproducibly. */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * Bodies on circular orbits: each tick a body's position turns by its own small angle (faster close in,
 * roughly Kepler's ω ∝ r^-1.5) and its velocity is the tangent, so x, y, vx and vy all change every tick
 * while mass and kind stay. Four multiplications per coordinate: the simulation costs next to nothing,
 * leaving the fan-out as what the peers' CPU measures.
 */
export class World {
  constructor(count = DEFAULT_BODIES, seed = 1) {
    const random = rng(seed);
    this.tick = 0;
    this.timeUs = wallMicros();
    this.bodies = [];
    // Per body: cos and sin of its angle per tick, and its angular speed in radians per second.
    this.turn = [];
    for (let id = 0; id < count; id++) {
      const r = 200 + random() * 9800;
      const a = random() * 2 * Math.PI;
      const omega = 0.5 * Math.pow(r / 1000, -1.5) * (random() < 0.1 ? -1 : 1);
      const perTick = omega / TICK_HZ;
      this.turn.push({ c: Math.cos(perTick), s: Math.sin(perTick), omega });
      const x = r * Math.cos(a);
      const y = r * Math.sin(a);
      this.bodies.push({
        id,
        x,
        y,
        vx: -omega * y,
        vy: omega * x,
        mass: 1 + Math.floor(random() * 1000),
        kind: Math.floor(random() * KINDS.length),
      });
    }
  }

  /** One tick: every body turns; the world's tick and publish time advance. */
  step() {
    const { bodies, turn } = this;
    for (let i = 0; i < bodies.length; i++) {
      const b = bodies[i];
      const { c, s, omega } = turn[i];
      const x = b.x * c - b.y * s;
      const y = b.x * s + b.y * c;
      b.x = x;
      b.y = y;
      b.vx = -omega * y;
      b.vy = omega * x;
    }
    this.tick += 1;
    this.timeUs = wallMicros();
  }
}

/** `--name value` flags (and bare `--flag` as true) into an object; unknown names are the caller's to check. */
export function parseFlags(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split("=", 2);
    if (!(name in defaults)) throw new Error(`unknown flag --${name}`);
    if (typeof defaults[name] === "boolean") {
      out[name] = inline === undefined ? true : inline !== "false";
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    out[name] = typeof defaults[name] === "number" ? Number(value) : value;
    if (typeof defaults[name] === "number" && !Number.isFinite(out[name])) {
      throw new Error(`--${name} expects a number, got ${value}`);
    }
  }
  return out;
}
