import { describe, expect, it } from "vitest";
import { alphaAt, lerp, Motion, type Vec3 } from "./motion";

const at = (id: number, x: number): [number, Vec3] => [id, [x, 0, 0]];

describe("interpolation", () => {
  it("alpha runs from 0 to 1 over one period and stays there", () => {
    expect(alphaAt(100, 100, 50)).toBe(0);
    expect(alphaAt(125, 100, 50)).toBe(0.5);
    expect(alphaAt(500, 100, 50)).toBe(1);
    expect(alphaAt(90, 100, 50)).toBe(0);
  });

  it("lerp is exact at the ends", () => {
    expect(lerp([0, 2, 4], [10, 2, -4], 0)).toEqual([0, 2, 4]);
    expect(lerp([0, 2, 4], [10, 2, -4], 1)).toEqual([10, 2, -4]);
    expect(lerp([0, 2, 4], [10, 2, -4], 0.5)).toEqual([5, 2, 0]);
  });

  it("glides between ticks and continues from where a body is drawn when a frame arrives early", () => {
    const m = new Motion(50);
    m.updatePositions([at(1, 0)], 0);
    expect(m.position(1, 10)).toEqual([0, 0, 0]);
    m.updatePositions([at(1, 10)], 100);
    expect(m.position(1, 100)).toEqual([0, 0, 0]);
    expect(m.position(1, 125)).toEqual([5, 0, 0]);
    expect(m.position(1, 150)).toEqual([10, 0, 0]);
    // Next frame halfway through: starts from the drawn 5, not the old 0 or the target 10 (no jump).
    m.updatePositions([at(1, 20)], 125 + 100);
    m.updatePositions([at(1, 30)], 250);
    const p = m.position(1, 250)![0];
    expect(p).toBeGreaterThan(10);
    expect(p).toBeLessThan(30);
  });

  it("new bodies appear in place; removed ones are gone", () => {
    const m = new Motion(50);
    m.updatePositions([at(1, 0)], 0);
    m.updatePositions([at(2, 7)], 50);
    expect(m.position(2, 50)).toEqual([7, 0, 0]);
    expect(m.position(1, 50)).toBeUndefined();
  });
});
