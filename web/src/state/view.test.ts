import { describe, expect, it } from "vitest";
import type { Frame, WireBody } from "../net/protocol.generated";
import { applyFrame, ApplyError } from "./view";

const body = (id: number, pos: [number, number, number], mv: [number, number, number] = [0, 0, 0]): WireBody => ({
  id,
  kind: 0,
  owner: 0,
  pos,
  vel: [0, 0, 0],
  mv,
  mass: 1,
  radius: 1,
  life: 0,
});

const snap: Frame = { type: "snapshot", tick: 10, time_us: 1, bodies: [body(1, [0, 0, 0], [2, 0, 0]), body(3, [5, 5, 5]), body(5, [9, 9, 9])], events: [] };

const delta = (d: Partial<Extract<Frame, { type: "delta" }>>): Frame => ({
  type: "delta",
  base_tick: 10,
  tick: 11,
  time_us: 2,
  removed: [],
  upserts: [],
  moves: [],
  motions: [],
  events: [],
  ...d,
});

describe("applyFrame", () => {
  it("a one-tick delta predicts: mv' = mv + r, pos' = pos + mv'", () => {
    const v = applyFrame(applyFrame(null, snap), delta({ moves: [[1, 0, 0], [0, 0, 0], [0, -1, 0]] }));
    expect(v.tick).toBe(11);
    expect(v.bodies.map((b) => [b.id, b.pos, b.mv])).toEqual([
      [1, [3, 0, 0], [3, 0, 0]],
      [3, [5, 5, 5], [0, 0, 0]],
      [5, [9, 8, 9], [0, -1, 0]],
    ]);
  });

  it("a longer delta adds plain differences and takes the new motions", () => {
    const v = applyFrame(applyFrame(null, snap), delta({ tick: 13, moves: [[6, 0, 0], [1, 1, 1], [0, 0, 0]], motions: [[2, 0, 0], [1, 0, 0], [0, 0, 0]] }));
    expect(v.bodies.map((b) => [b.pos, b.mv])).toEqual([
      [[6, 0, 0], [2, 0, 0]],
      [[6, 6, 6], [1, 0, 0]],
      [[9, 9, 9], [0, 0, 0]],
    ]);
  });

  it("removes and upserts in id order", () => {
    const v = applyFrame(applyFrame(null, snap), delta({ removed: [3], upserts: [body(2, [7, 7, 7]), body(5, [1, 1, 1]), body(8, [2, 2, 2])], moves: [[0, 0, 0]] }));
    expect(v.bodies.map((b) => b.id)).toEqual([1, 2, 5, 8]);
    expect(v.bodies[2]!.pos).toEqual([1, 1, 1]);
  });

  it("refuses a delta on the wrong base or with the wrong number of moves, leaving the view alone", () => {
    const v = applyFrame(null, snap);
    expect(() => applyFrame(v, delta({ base_tick: 9, tick: 10 }))).toThrow(ApplyError);
    expect(() => applyFrame(v, delta({ moves: [[0, 0, 0]] }))).toThrow(ApplyError);
    expect(() => applyFrame(null, delta({}))).toThrow(ApplyError);
    expect(v.tick).toBe(10);
  });

  it("wraps like i32 arithmetic on the server", () => {
    const v = applyFrame(applyFrame(null, { ...snap, bodies: [body(1, [2147483647, 0, 0], [0, 0, 0])] }), delta({ moves: [[1, 0, 0]] }));
    expect(v.bodies[0]!.pos[0]).toBe(-2147483648);
  });
});
