// Effect bodies that fill the screen with a moving field: tunnel, kaleidoscope, noise and plasma. Each is
// `vec3 effect(vec2 p)` on the prelude of shaders.ts (p centred, the shorter side -1..1, zoom applied).

const TUNNEL = `
vec3 effect(vec2 p) {
  float k = kick();
  // The tunnel breathes on the beat and with the bass, and its axis wanders.
  p -= 0.12 * vec2(sin(u_time * 0.37), cos(u_time * 0.29));
  float r = length(p) * (1.0 + 0.12 * k + 0.15 * bass());
  float a = atan(p.y, p.x);
  float z = 1.0 / max(r, 1.0e-3) + u_time * 1.2;                   // depth along the tunnel
  float around = a / TAU * 12.0 + z * 0.25 + 0.6 * sin(u_time * 0.23);
  vec2 cell = vec2(around, z * u_detail * 0.35);                   // 12 panels around, rings along
  vec2 f = abs(fract(cell) - 0.5);
  vec2 id = vec2(mod(floor(cell.x), 12.0), floor(cell.y));     // the same panel either side of atan's cut
  float edge = 0.5 - max(f.x, f.y);                                // 0 on a panel's border
  float lines = exp(-edge * 22.0);
  float ring = exp(-(0.5 - f.y) * 30.0);
  // Panels light up at random, a new set every beat, brightest on it.
  float lit = step(0.78, hash12(id + vec2(0.0, u_beat * 7.0))) * (0.2 + 0.8 * k);
  float shade = 0.12 + 0.1 * hash12(id);
  vec3 base = hsv(u_hue + 0.05 * sin(z * 0.3), 0.85, 1.0);
  vec3 hot = hsv(u_hue + 0.1, 0.35, 1.0);
  vec3 c = base * (shade + 0.9 * lines + 0.7 * lit) + hot * ring * (0.3 + 0.9 * k);
  float fog = smoothstep(0.03, 0.6, r);                            // the far end fades into darkness
  c *= fog;
  c += hsv(u_hue + 0.5, 0.5, 1.0) * 0.04 / (r + 0.04) * (0.4 + 0.6 * k);  // light at the end
  return c * drive();
}`;

const KALEIDOSCOPE = `
vec3 effect(vec2 p) {
  float n = max(2.0, floor(u_detail));
  float seg = TAU / n;
  float r = length(p);
  float a = mod(atan(p.y, p.x) + u_time * 0.08, seg);
  a = abs(a - seg * 0.5);                                          // mirror inside each segment
  vec2 q = r * vec2(cos(a), sin(a));
  q += 0.15 * vec2(sin(u_time * 0.21), cos(u_time * 0.17));
  vec2 q0 = q;
  vec3 c = vec3(0.0);
  for (int i = 0; i < 4; i++) {
    q = fract(q * 1.45) - 0.5;
    float d = length(q) * exp(-0.55 * length(q0));
    vec3 tint = hsv(u_hue + length(q0) * 0.25 + float(i) * 0.07 + u_time * 0.03, 0.75, 1.0);
    d = abs(sin(d * 8.0 + u_time * 0.8) / 8.0);
    c += tint * pow(0.008 / max(d, 1.0e-4), 1.25);
  }
  c *= smoothstep(2.2, 0.3, r) * 0.6 + 0.4;                        // a soft vignette
  return (1.0 - exp(-c * 0.9)) * drive();
}`;

const NOISE = `
float fbm(vec2 p) {
  float v = 0.0;
  float amp = 0.5;
  float total = 0.0;
  mat2 m = mat2(1.6, 1.2, -1.2, 1.6);
  for (int i = 0; i < 6; i++) {
    if (float(i) >= u_detail) break;
    v += amp * noise(p);
    total += amp;
    p = m * p;
    amp *= 0.5;
  }
  return v / max(total, 1.0e-3);
}
vec3 effect(vec2 p) {
  // Domain warping (Quilez): noise displaced by noise, drifting with time.
  p *= 1.4;
  float t = u_time * 0.12;
  vec2 q = vec2(fbm(p + vec2(0.0, t)), fbm(p + vec2(5.2, 1.3) - t));
  float f = fbm(p + 4.0 * q + vec2(1.7 + 0.5 * t, 9.2) + 0.15 * bass());
  vec3 c = mix(hsv(u_hue, 0.9, 0.08), hsv(u_hue + 0.05, 0.85, 0.75), smoothstep(0.2, 0.75, f));
  c = mix(c, hsv(u_hue - 0.08, 0.55, 1.0), smoothstep(0.45, 1.0, length(q)) * 0.6);
  c = mix(c, hsv(u_hue + 0.15, 0.3, 1.0), smoothstep(0.6, 0.85, q.y) * 0.5);
  c *= 0.35 + 1.3 * f * f;
  return c * drive() * 1.25;
}`;

const PLASMA = `
vec3 effect(vec2 p) {
  p *= 1.8;
  float t = u_time * 0.7;
  float n = max(1.0, u_detail);
  float v = 0.0;
  for (int i = 0; i < 8; i++) {
    float fi = float(i);
    if (fi >= n) break;
    float a = fi * 2.39996 + 0.4;                                  // golden-angle directions
    v += sin(dot(p, vec2(cos(a), sin(a))) * (1.3 + 0.45 * fi) + t * (0.8 + 0.25 * fi));
    vec2 c = 1.2 * vec2(sin(t * 0.31 + fi * 1.7), cos(t * 0.27 + fi * 2.3));
    v += sin(length(p - c) * (2.2 + 0.6 * fi) - t * 1.3);
  }
  v /= 2.0 * n;                                                    // -1..1
  float bands = 0.5 + 0.5 * sin(v * TAU * 1.5 + t * 0.5);
  vec3 col = hsv(u_hue + 0.22 * v + 0.05 * sin(t * 0.2), 0.55 + 0.4 * bands, 0.25 + 0.75 * bands);
  col += hsv(u_hue + 0.5, 0.35, 1.0) * pow(bands, 12.0) * 0.35;   // hot ridges
  return col * drive();
}`;

export const FIELD_SHADERS: Readonly<Record<string, string>> = {
  tunnel: TUNNEL,
  kaleidoscope: KALEIDOSCOPE,
  noise: NOISE,
  plasma: PLASMA,
};
