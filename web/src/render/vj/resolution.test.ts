import { describe, expect, it } from "vitest";
import { MIN_SCALE, Resolution } from "./resolution";

describe("adaptive resolution", () => {
  it("drops the scale on a slow GPU until the frame rate is fluid, never below the minimum", () => {
    const r = new Resolution();
    // A GPU whose frame rate is 120 / (pixels at scale 1 = 1): fps = 8 / scale².
    let fps = 8;
    for (let i = 0; i < 10; i++) fps = 8 / r.update(fps) ** 2;
    expect(r.scale).toBeGreaterThanOrEqual(MIN_SCALE);
    expect(r.scale).toBeLessThan(0.6);
    expect(8 / r.scale ** 2).toBeGreaterThanOrEqual(24);
  });
  it("stays at full resolution on a fast GPU and grows back after a slow spell, up to its cap", () => {
    const r = new Resolution();
    for (let i = 0; i < 10; i++) r.update(60);
    expect(r.scale).toBe(1);
    r.update(5);
    expect(r.scale).toBeLessThan(1);
    for (let i = 0; i < 40; i++) r.update(60);
    expect(r.scale).toBe(1);
    r.max = 0.5;
    expect(r.update(60)).toBe(0.5);
  });
  it("keeps the scale while the frame rate is in the fluid band", () => {
    const r = new Resolution();
    r.update(10);
    const s = r.scale;
    expect(r.update(40)).toBe(s);
  });
});
