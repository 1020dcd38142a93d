// The eight layer blend modes, each written once as a per-channel expression in the subset that GLSL ES 3.0
// and JavaScript share (b = the image below, s = the layer, both 0–1; min, max, abs and ?: only). The
// composite shader is generated from these strings and the tests evaluate the very same strings, so the
// shader and its TypeScript reference cannot drift apart. Overlay and difference cannot be done with
// fixed-function blending, hence a shader for all of them.
import type { BlendMode } from "../../net/live.generated";

/** The separable blend functions B(b, s) of the W3C compositing spec (add is linear dodge, clamped). */
export const BLEND_FORMULAS: Readonly<Record<BlendMode, string>> = {
  normal: "s",
  add: "min(b + s, 1.0)",
  multiply: "b * s",
  screen: "b + s - b * s",
  overlay: "b <= 0.5 ? 2.0 * b * s : 1.0 - 2.0 * (1.0 - b) * (1.0 - s)",
  difference: "abs(b - s)",
  lighten: "max(b, s)",
  darken: "min(b, s)",
};

/** The modes in the order of the composite shader's `u_mode` numbers. */
export const BLEND_MODES = Object.keys(BLEND_FORMULAS) as BlendMode[];

/** The shader's number for a mode; unknown modes (a newer server) blend as normal. */
export function blendIndex(mode: string): number {
  return Math.max(0, BLEND_MODES.indexOf(mode as BlendMode));
}

/**
 * GLSL for `vec3 blend(int mode, vec3 b, vec3 s)`: one scalar function per mode, applied per channel. The
 * mode is a uniform, so every fragment takes the same branch and the switch costs next to nothing.
 */
export function blendGlsl(): string {
  const fns = BLEND_MODES.map((m) => `float blend_${m}(float b, float s) { return ${BLEND_FORMULAS[m]}; }`);
  const cases = BLEND_MODES.map(
    (m, i) => `    case ${i}: return vec3(blend_${m}(b.r, s.r), blend_${m}(b.g, s.g), blend_${m}(b.b, s.b));`,
  );
  return [...fns, "vec3 blend(int mode, vec3 b, vec3 s) {", "  switch (mode) {", ...cases, "    default: return s;", "  }", "}"].join("\n");
}

/**
 * The TypeScript reference of one mode, built from the same string the shader uses. For tests and tools
 * only: it compiles code at run time, which a strict Content-Security-Policy forbids on the page.
 */
export function blendReference(mode: BlendMode): (b: number, s: number) => number {
  const fn = new Function("min", "max", "abs", "b", "s", `return (${BLEND_FORMULAS[mode]});`) as (
    min: typeof Math.min,
    max: typeof Math.max,
    abs: typeof Math.abs,
    b: number,
    s: number,
  ) => number;
  return (b, s) => fn(Math.min, Math.max, Math.abs, b, s);
}

/** What the composite shader writes for one channel: the blend, laid over the image below by opacity. */
export function compositeReference(mode: BlendMode, b: number, s: number, opacity: number): number {
  return b + (blendReference(mode)(b, s) - b) * opacity;
}
