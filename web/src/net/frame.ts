// Decoding world frames (snapshot / delta) from their binary layout. Mirrors crates/protocol/src/frame.rs;
// the golden cases in fixtures/frames.json, written by the Rust encoder, keep the two in step.
import type { Frame, WireBody, WireEvent } from "./protocol.generated";
import { FrameError, Reader } from "./reader";

export const KIND_CONTROL = 1;
export const KIND_SNAPSHOT = 2;
export const KIND_DELTA = 3;

/** Decodes a frame payload starting at its kind byte. Throws `FrameError` on malformed input. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const r = new Reader(bytes);
  const kind = r.u8();
  let frame: Frame;
  if (kind === KIND_SNAPSHOT) {
    const tick = r.uint();
    const time_us = r.uint();
    const bodies = list(r, readBody);
    frame = { type: "snapshot", tick, time_us, bodies, events: readEvents(r) };
  } else if (kind === KIND_DELTA) {
    const base_tick = r.uint();
    const tick = r.uint();
    const time_us = r.uint();
    const removed: number[] = [];
    let last = 0;
    for (let n = r.count(); n > 0; n--) {
      last += r.uint();
      removed.push(last);
    }
    const upserts = list(r, readBody);
    const moves = list(r, triple);
    const motions = list(r, triple);
    frame = { type: "delta", base_tick, tick, time_us, removed, upserts, moves, motions, events: readEvents(r) };
  } else {
    throw new FrameError(0, "not a world frame");
  }
  if (!r.isEmpty()) throw new FrameError(r.position, "trailing bytes");
  return frame;
}

function list<T>(r: Reader, item: (r: Reader) => T): T[] {
  const n = r.count();
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = item(r);
  return out;
}

function triple(r: Reader): [number, number, number] {
  return [r.i32(), r.i32(), r.i32()];
}

function readBody(r: Reader): WireBody {
  return {
    id: r.uint(),
    kind: r.u8(),
    owner: r.uint(),
    pos: triple(r),
    vel: triple(r),
    mv: triple(r),
    mass: r.f32(),
    radius: r.f32(),
    life: r.u8(),
  };
}

function readEvents(r: Reader): WireEvent[] {
  return list(r, (r): WireEvent => {
    const at = r.position;
    switch (r.u8()) {
      case 0:
        return { event: "merged", survivor: r.uint(), absorbed: r.uint() };
      case 1:
        return { event: "collapsed", body: r.uint() };
      case 2:
        return { event: "escaped", body: r.uint() };
      case 3:
        return { event: "life_advanced", body: r.uint(), stage: r.u8() };
      case 4:
        return { event: "life_lost", body: r.uint() };
      default:
        throw new FrameError(at, "unknown event");
    }
  });
}
