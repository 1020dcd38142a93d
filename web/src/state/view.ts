// The client's view of a world: the bodies at the last applied tick, and how a frame changes them.
// `applyFrame` mirrors `protocol::frame::apply` in Rust (the golden fixtures test both against each other).
import type { Frame, WireBody } from "../net/protocol.generated";

export interface WorldView {
  tick: number;
  time_us: number;
  /** Sorted by id. */
  bodies: WireBody[];
}

export class ApplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApplyError";
  }
}

const wrap = (v: number) => v | 0; // i32 wrapping arithmetic, as the server's

/** Returns the view after `frame`; throws `ApplyError` (leaving `view` untouched) when it does not fit. */
export function applyFrame(view: WorldView | null, frame: Frame): WorldView {
  if (frame.type === "snapshot") {
    return { tick: frame.tick, time_us: frame.time_us, bodies: frame.bodies.slice() };
  }
  if (!view) throw new ApplyError(`delta from tick ${frame.base_tick} but no snapshot yet`);
  if (frame.base_tick !== view.tick) {
    throw new ApplyError(`delta is based on tick ${frame.base_tick} but the view is at tick ${view.tick}`);
  }
  const predicted = frame.tick === frame.base_tick + 1;
  const { removed, upserts, moves, motions } = frame;
  if (!predicted && motions.length !== moves.length) throw new ApplyError("motions do not match moves");
  const out: WireBody[] = [];
  let r = 0;
  let u = 0;
  let m = 0;
  for (const body of view.bodies) {
    if (removed[r] === body.id) {
      r++;
      continue;
    }
    while (u < upserts.length && upserts[u]!.id < body.id) out.push(upserts[u++]!);
    if (u < upserts.length && upserts[u]!.id === body.id) {
      out.push(upserts[u++]!);
      continue;
    }
    const d = moves[m];
    if (!d) throw new ApplyError("fewer moves than bodies");
    let mv: [number, number, number];
    let pos: [number, number, number];
    if (predicted) {
      mv = [wrap(body.mv[0] + d[0]), wrap(body.mv[1] + d[1]), wrap(body.mv[2] + d[2])];
      pos = [wrap(body.pos[0] + mv[0]), wrap(body.pos[1] + mv[1]), wrap(body.pos[2] + mv[2])];
    } else {
      pos = [wrap(body.pos[0] + d[0]), wrap(body.pos[1] + d[1]), wrap(body.pos[2] + d[2])];
      mv = motions[m]!;
    }
    m++;
    out.push({ ...body, pos, mv });
  }
  while (u < upserts.length) out.push(upserts[u++]!);
  if (r !== removed.length || m !== moves.length) throw new ApplyError("delta does not match the view's bodies");
  return { tick: frame.tick, time_us: frame.time_us, bodies: out };
}
