// GLSL for the VJ renderer: the fullscreen-triangle vertex shader, the prelude every effect shares
// (uniforms, colour, hashing, noise), the composite and final passes, and the effect table. Each effect is
// a `vec3 effect(vec2 p)` body; the prelude's main() calls it with centred, zoomed coordinates and writes
// an opaque colour, so a layer's look is decided by the composite, never by stray alpha.
import { blendGlsl } from "./blend";
import { BEAT_SHADERS } from "./shaders-beat";
import { FIELD_SHADERS } from "./shaders-field";

/** One triangle that covers the screen, from gl_VertexID alone: no vertex buffer, no index buffer. */
export const VERTEX = `#version 300 es
out vec2 v_uv;
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  v_uv = p;
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const HEADER = `#version 300 es
precision highp float;
precision highp int;
const float TAU = 6.28318531;
// HSV to RGB, exact (the final pass inverts it for the hue shift).
vec3 hsv(float h, float s, float v) {
  vec3 k = clamp(abs(mod(h * 6.0 + vec3(0.0, 4.0, 2.0), 6.0) - 3.0) - 1.0, 0.0, 1.0);
  return v * mix(vec3(1.0), k, s);
}`;

/** Uniforms and helpers of every effect; see LayerDraw in inputs.ts for what each one holds. */
const PRELUDE = `${HEADER}
uniform vec2 u_res;
uniform float u_time;     // seconds, layer speed x show speed folded in, wraps at 3600
uniform float u_hue;
uniform float u_intensity;
uniform float u_zoom;
uniform float u_detail;
uniform float u_phase;    // 0-1 within the beat
uniform float u_beat;     // whole beats, wraps at 840
uniform float u_audio[8]; // band levels, low to high; zeros without recent audio
uniform float u_audioOn;  // 1 while u_audio is recent
uniform float u_pulse;    // 1 on an audio beat, fading
out vec4 outColor;

// Hashes without sine (Dave Hoskins): stable across GPUs, which displays side by side rely on.
float hash12(vec2 p) {
  vec3 p3 = fract(vec3(p.xyx) * 0.1031);
  p3 += dot(p3, p3.yzx + 33.33);
  return fract((p3.x + p3.y) * p3.z);
}
vec2 hash22(vec2 p) {
  vec3 p3 = fract(vec3(p.xyx) * vec3(0.1031, 0.1030, 0.0973));
  p3 += dot(p3, p3.yzx + 33.33);
  return fract((p3.xx + p3.yz) * p3.zy);
}
float noise(vec2 p) {
  vec2 i = floor(p);
  vec2 f = fract(p);
  vec2 u = f * f * (3.0 - 2.0 * f);
  return mix(mix(hash12(i), hash12(i + vec2(1.0, 0.0)), u.x), mix(hash12(i + vec2(0.0, 1.0)), hash12(i + vec2(1.0, 1.0)), u.x), u.y);
}
// The low bands, 0 without audio.
float bass() { return u_audioOn * 0.5 * (u_audio[0] + u_audio[1]); }
// 1 on the beat, decaying through it.
float kick() { return exp(-u_phase * 5.0); }
// The layer's intensity, pushed by the low bands and an audio beat.
float drive() { return u_intensity * (1.0 + 0.6 * bass() + 0.5 * u_pulse); }
// Linear interpolation of the 8 bands at x in 0-1.
float band(float x) {
  float f = clamp(x, 0.0, 1.0) * 7.0;
  int i = int(floor(f));
  return mix(u_audio[min(i, 7)], u_audio[min(i + 1, 7)], fract(f));
}
vec3 effect(vec2 p);
void main() {
  // The shorter side spans -1..1; zoom 2 shows half as much.
  vec2 p = (2.0 * gl_FragCoord.xy - u_res) / min(u_res.x, u_res.y) / u_zoom;
  outColor = vec4(clamp(effect(p), 0.0, 1.0), 1.0);
}
`;

/** Lays one layer (u_layer) over the image so far (u_below). */
export const COMPOSITE = `${HEADER}
uniform sampler2D u_below;
uniform sampler2D u_layer;
uniform int u_mode;
uniform float u_opacity;
in vec2 v_uv;
out vec4 outColor;
${blendGlsl()}
void main() {
  vec3 b = texture(u_below, v_uv).rgb;
  vec3 s = texture(u_layer, v_uv).rgb;
  outColor = vec4(b + (blend(u_mode, b, s) - b) * u_opacity, 1.0);
}`;

/**
 * The image to the screen (or the probe), with the show's brightness and hue shift. Each output pixel
 * averages u_taps × u_taps samples over its footprint: 1 on screen, many for the tiny probe image, so a
 * probe's mean sees thin lines and bars rather than 64 points that may all miss them.
 */
export const FINAL = `${HEADER}
uniform sampler2D u_image;
uniform float u_brightness;
uniform float u_hueShift;
uniform int u_taps;
uniform vec2 u_outSize;
in vec2 v_uv;
out vec4 outColor;
vec3 rgb2hsv(vec3 c) {
  vec4 K = vec4(0.0, -1.0 / 3.0, 2.0 / 3.0, -1.0);
  vec4 p = mix(vec4(c.bg, K.wz), vec4(c.gb, K.xy), step(c.b, c.g));
  vec4 q = mix(vec4(p.xyw, c.r), vec4(c.r, p.yzx), step(p.x, c.r));
  float d = q.x - min(q.w, q.y);
  float e = 1.0e-10;
  return vec3(abs(q.z + (q.w - q.y) / (6.0 * d + e)), d / (q.x + e), q.x);
}
vec3 graded(vec2 uv) {
  vec3 c = texture(u_image, uv).rgb;
  if (u_hueShift > 0.0 && u_hueShift < 1.0) {
    vec3 h = rgb2hsv(c);
    c = hsv(h.x + u_hueShift, h.y, h.z);
  }
  return c * u_brightness;
}
void main() {
  if (u_taps <= 1) {
    outColor = vec4(graded(v_uv), 1.0);
    return;
  }
  vec3 sum = vec3(0.0);
  float n = float(u_taps);
  for (int j = 0; j < u_taps; j++) {
    for (int i = 0; i < u_taps; i++) {
      sum += graded(v_uv + ((vec2(float(i), float(j)) + 0.5) / n - 0.5) / u_outSize);
    }
  }
  outColor = vec4(sum / (n * n), 1.0);
}`;

/** The effect bodies by effect type (state/effects.ts EFFECTS). */
export const EFFECT_BODIES: Readonly<Record<string, string>> = { ...FIELD_SHADERS, ...BEAT_SHADERS };

const sources = new Map<string, string>();

/** The whole fragment shader of an effect, or undefined for a type this renderer does not draw. */
export function effectShader(type: string): string | undefined {
  let source = sources.get(type);
  if (source === undefined && Object.hasOwn(EFFECT_BODIES, type)) sources.set(type, (source = PRELUDE + EFFECT_BODIES[type]));
  return source;
}
