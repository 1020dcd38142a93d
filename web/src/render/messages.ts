// Messages between the page and the render worker. Bodies travel packed in a transferable Float64Array,
// BODY_FIELDS numbers per body: id, kind, owner, x, y, z (game units), radius, life.
import type { WireBody } from "../net/protocol.generated";
import { POSITION_SCALE, type Vec3 } from "../state/motion";

export const BODY_FIELDS = 8;

export type ToWorker =
  | { type: "init"; canvas: OffscreenCanvas; width: number; height: number; dpr: number }
  | { type: "resize"; width: number; height: number; dpr: number }
  | { type: "bodies"; packed: Float64Array; periodMs: number }
  | { type: "select"; id: number | null }
  | { type: "placing"; on: boolean }
  | { type: "pointer"; phase: "down" | "move" | "up"; id: number; x: number; y: number }
  | { type: "wheel"; deltaY: number };

export type FromWorker =
  | { type: "ready" }
  | { type: "failed"; message: string }
  | { type: "place"; pos: Vec3 }
  | { type: "pick"; id: number | null }
  /** How many bodies the last frame drew (tests and the page read it from the canvas). */
  | { type: "drawn"; count: number };

export function packBodies(bodies: readonly WireBody[]): Float64Array {
  const out = new Float64Array(bodies.length * BODY_FIELDS);
  let o = 0;
  for (const b of bodies) {
    out[o++] = b.id;
    out[o++] = b.kind;
    out[o++] = b.owner;
    out[o++] = b.pos[0] / POSITION_SCALE;
    out[o++] = b.pos[1] / POSITION_SCALE;
    out[o++] = b.pos[2] / POSITION_SCALE;
    out[o++] = b.radius;
    out[o++] = b.life;
  }
  return out;
}
