// Effect bodies that move with the beat: particles, spectrum, strobe and waveform. Each is
// `vec3 effect(vec2 p)` on the prelude of shaders.ts. They read the tempo's beat (u_beat, u_phase), so
// displays side by side pulse together, and the audio bands when a device sends them.

// Layers of hashed points flying at the viewer, surging forward at every beat. One cell per layer per
// fragment: a point stays inside its cell, so no neighbours are looked at.
const PARTICLES = `
vec3 effect(vec2 p) {
  float layers = 3.0 + floor(u_detail);
  // 0.125 x 840 beats is whole, so the beat count's wrap moves every layer by whole depths.
  float travel = u_time * 0.05 + 0.125 * (u_beat + smoothstep(0.0, 0.45, u_phase));
  vec3 c = vec3(0.0);
  for (int i = 0; i < 13; i++) {
    float fi = float(i);
    if (fi >= layers) break;
    float z = fi / layers + travel;
    float depth = fract(z);                                        // 0 far, 1 at the viewer
    float seed = floor(z) * 17.0 + fi * 3.1;
    float scale = 1.6 / (depth * depth + 0.09);                    // perspective: near layers are big
    vec2 q = p * scale + vec2(seed * 7.31, seed * 3.17);
    vec2 id = floor(q);
    vec2 h = hash22(id + seed);
    if (h.y > 0.45 + 0.05 * u_detail) continue;                    // not every cell has a point
    // The point keeps 0.3 from its cell's border, where its glow has faded, so no seams show.
    vec2 at = (h - 0.5) * 0.4;
    float d = length(fract(q) - 0.5 - at);
    float size = 0.04 + 0.045 * h.x;
    float glow = exp(-d * d / (size * size)) + 0.3 * exp(-d * d / (4.0 * size * size));
    float fade = smoothstep(0.0, 0.3, depth) * smoothstep(1.0, 0.8, depth);
    float twinkle = 0.7 + 0.3 * sin(u_time * 4.0 + h.x * 40.0);
    c += hsv(u_hue + (h.x - 0.5) * 0.2, 0.3 + 0.55 * h.y, 1.0) * glow * fade * twinkle;
  }
  float k = kick();
  c += hsv(u_hue, 0.6, 1.0) * 0.2 * k * exp(-length(p) * 1.5);    // the burst's glow
  return c * drive() * 1.2;
}`;

// Mirrored bars from the centre line: the audio bands when recent, else bars that jump on every beat.
const SPECTRUM = `
float synth(float i, float n) {
  float x = i / max(n - 1.0, 1.0);
  float h = hash12(vec2(i, u_beat));
  float tilt = 1.0 - 0.55 * x;                                     // more bass than treble
  float env = 0.35 + 0.65 * exp(-u_phase * 2.5);
  return clamp(0.12 + tilt * (0.3 + 0.6 * h) * env + 0.05 * sin(u_time * 2.0 + i * 1.3), 0.02, 1.0);
}
vec3 effect(vec2 pc) {
  vec2 uv = gl_FragCoord.xy / u_res;
  float x = (uv.x - 0.5) / u_zoom + 0.5;
  float n = max(1.0, floor(u_detail));
  float i = floor(x * n);
  float cx = fract(x * n);
  float level = mix(synth(i, n), band((i + 0.5) / n), u_audioOn);
  level = clamp(level * (0.55 + 0.45 * u_intensity) + 0.25 * u_pulse, 0.0, 0.97);
  float y = abs(uv.y - 0.5) * 2.0;                                 // 0 on the centre line, 1 at the edges
  float inside = step(0.0, x) * step(x, 1.0);
  float bar = smoothstep(0.06, 0.12, cx) * smoothstep(0.94, 0.88, cx) * inside;
  float led = smoothstep(0.1, 0.25, fract(y * 28.0)) * 0.35 + 0.65; // segmented, like a VU meter
  vec3 col = hsv(u_hue + x * 0.3 + y * 0.12, 0.8, 1.0);
  float body = step(y, level) * bar * led * (0.45 + 0.55 * y / max(level, 0.01));
  float cap = exp(-abs(y - level) * 90.0) * bar;                   // the bright top of each bar
  float glow = exp(-max(y - level, 0.0) * 9.0) * 0.18 * bar;
  float floorGlow = exp(-y * 14.0) * 0.25 * inside;                // the centre line
  vec3 c = col * (body + glow + floorGlow) + mix(col, vec3(1.0), 0.6) * cap;
  return c * (0.55 + 0.45 * drive());
}`;

// A flash every detail beats (and on each audio beat), tinted from the hue; slow light bars between.
const STROBE = `
vec3 effect(vec2 p) {
  float every = max(1.0, floor(u_detail));
  float since = mod(u_beat, every) + u_phase;                      // beats since the last flash
  float flash = max(exp(-since * 9.0), u_pulse);
  float n = floor(u_beat / every);
  vec3 tint = hsv(u_hue + 0.2 * (hash12(vec2(n, 3.0)) - 0.5), 0.3, 1.0);
  float vignette = 1.0 - 0.12 * min(dot(p, p), 4.0);
  float sweep = pow(0.5 + 0.5 * sin(p.x * 2.5 + p.y * 0.8 - u_time * 1.7), 6.0);
  float sweep2 = pow(0.5 + 0.5 * sin(p.y * 3.1 - p.x * 0.6 + u_time * 1.1), 8.0);
  vec3 between = hsv(u_hue, 0.9, 1.0) * (0.05 + 0.16 * sweep + 0.1 * sweep2);
  return (tint * flash * vignette + between * (1.0 - flash)) * u_intensity * (1.0 + 0.6 * bass());
}`;

// Oscilloscope lines: each the sum of eight sines, one a band, whose amplitudes are the audio levels
// when they are recent and a beat-driven spectrum otherwise; on each beat a ripple runs out from the
// centre. The sines are taken once per pixel and shifted per line (sin(x + f) from sin x and cos x).
const WAVEFORM = `
vec3 effect(vec2 p) {
  float lines = max(1.0, floor(u_detail));
  float k = kick();
  float sx[8];
  float cx[8];
  for (int b = 0; b < 8; b++) {
    float fb = float(b);
    float beatAmp = 0.6 * exp(-fb * 0.3) * (0.45 + 0.55 * k);
    float amp = mix(beatAmp, 0.1 + u_audio[b], u_audioOn) / (1.0 + fb * 0.45);
    float x = p.x * (1.3 + fb * 1.7 + fb * fb * 0.25) - u_time * (1.1 + 0.5 * fb) + fb * 1.9;
    sx[b] = amp * sin(x);
    cx[b] = amp * cos(x);
  }
  float px = 2.0 / (min(u_res.x, u_res.y) * u_zoom);              // one pixel in p units
  float ripple = k * sin(p.x * 18.0 - u_phase * 30.0) * exp(-pow(abs(p.x) - u_phase * 2.5, 2.0) * 6.0);
  vec3 c = vec3(0.0);
  for (int i = 0; i < 8; i++) {
    float fi = float(i);
    if (fi >= lines) break;
    float off = (fi - (lines - 1.0) * 0.5) * 0.2;
    float shift = fi * 1.3;
    float cs = cos(shift);
    float sn = sin(shift);
    float y = 0.0;
    for (int b = 0; b < 8; b++) y += sx[b] * cs + cx[b] * sn;
    y = y * 0.55 * (1.0 + 0.4 * u_pulse) + 0.15 * ripple;
    float d = abs(p.y - off - y);
    float w = px * (1.6 + 2.4 * k);
    float core = smoothstep(w + px, w * 0.5, d);
    float glow = 0.4 * w / (d + w) * (0.4 + 0.6 * k);
    c += hsv(u_hue + fi * 0.07 - 0.1, 0.75 - 0.45 * core, 1.0) * (core + glow);
  }
  return c * drive();
}`;

export const BEAT_SHADERS: Readonly<Record<string, string>> = {
  particles: PARTICLES,
  spectrum: SPECTRUM,
  strobe: STROBE,
  waveform: WAVEFORM,
};
