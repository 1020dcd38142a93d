import { describe, expect, it } from "vitest";
import type { BlendMode } from "../../net/live.generated";
import { BLEND_FORMULAS, BLEND_MODES, blendGlsl, blendIndex, blendReference, compositeReference } from "./blend";
import { COMPOSITE } from "./shaders";

const ALL: BlendMode[] = ["normal", "add", "multiply", "screen", "overlay", "difference", "lighten", "darken"];
const GRID = [0, 0.1, 0.25, 0.5, 0.5001, 0.75, 0.9, 1];

// The textbook formulas, written independently of BLEND_FORMULAS.
const textbook: Record<BlendMode, (b: number, s: number) => number> = {
  normal: (_b, s) => s,
  add: (b, s) => Math.min(1, b + s),
  multiply: (b, s) => b * s,
  screen: (b, s) => 1 - (1 - b) * (1 - s),
  // Overlay is hard light with the layers swapped.
  overlay: (b, s) => (b <= 0.5 ? b * 2 * s : 1 - (1 - (2 * b - 1)) * (1 - s)),
  difference: (b, s) => Math.abs(b - s),
  lighten: (b, s) => Math.max(b, s),
  darken: (b, s) => Math.min(b, s),
};

describe("blend modes", () => {
  it("covers every mode of the protocol, in the shader's order", () => {
    expect(BLEND_MODES).toEqual(ALL);
    ALL.forEach((m, i) => expect(blendIndex(m)).toBe(i));
  });

  it("blends an unknown mode as normal", () => {
    expect(blendIndex("hue")).toBe(0);
  });

  it("matches the textbook formulas on a grid", () => {
    for (const mode of ALL) {
      const f = blendReference(mode);
      for (const b of GRID) for (const s of GRID) expect(f(b, s), `${mode}(${b}, ${s})`).toBeCloseTo(textbook[mode](b, s), 12);
    }
  });

  it("gives known values", () => {
    const at = (m: BlendMode, b: number, s: number) => blendReference(m)(b, s);
    expect(at("add", 0.8, 0.6)).toBe(1);
    expect(at("multiply", 0.5, 0.5)).toBe(0.25);
    expect(at("screen", 0.5, 0.5)).toBe(0.75);
    expect(at("overlay", 0.25, 0.5)).toBe(0.25);
    expect(at("overlay", 0.75, 0.5)).toBe(0.75);
    expect(at("overlay", 0.75, 1)).toBe(1);
    expect(at("difference", 0.2, 0.7)).toBeCloseTo(0.5, 12);
  });

  it("gives eight different results on a known pair of colours", () => {
    // One channel alone cannot tell them apart: lighten or darken is normal wherever s is the larger or smaller.
    const below = [0.3, 0.7, 0.5];
    const layer = [0.6, 0.4, 0.2];
    const results = ALL.map((m) => below.map((b, c) => blendReference(m)(b, layer[c]!).toFixed(6)).join(" "));
    expect(new Set(results).size).toBe(8);
  });

  it("lays the blend over the image below by opacity", () => {
    for (const mode of ALL) {
      expect(compositeReference(mode, 0.3, 0.6, 0)).toBe(0.3);
      expect(compositeReference(mode, 0.3, 0.6, 1)).toBeCloseTo(blendReference(mode)(0.3, 0.6), 12);
    }
    expect(compositeReference("normal", 0.2, 0.6, 0.5)).toBeCloseTo(0.4, 12);
  });

  it("puts the same formulas in the composite shader", () => {
    const glsl = blendGlsl();
    for (const [i, mode] of ALL.entries()) {
      expect(glsl).toContain(`float blend_${mode}(float b, float s) { return ${BLEND_FORMULAS[mode]}; }`);
      expect(glsl).toContain(`case ${i}: return vec3(blend_${mode}(b.r, s.r)`);
    }
    expect(COMPOSITE).toContain(glsl);
    expect(COMPOSITE).toContain("b + (blend(u_mode, b, s) - b) * u_opacity");
  });

  it("writes formulas in the subset GLSL and JavaScript share", () => {
    for (const f of Object.values(BLEND_FORMULAS)) {
      // Only b, s, float literals with a point (GLSL has no implicit int to float), min/max/abs, operators.
      expect(f.replace(/\b(min|max|abs)\(/g, "(").replace(/\b\d+\.\d+\b/g, "")).toMatch(/^[bs\s+\-*/()<=>?:,]*$/);
    }
  });
});
