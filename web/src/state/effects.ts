// The effect types a layer can have and their parameters: what the controller builds its sliders from and
// what the display's renderer reads (render/vj). Plain data, so the controller's first load carries no GL code.

export interface ParamInfo {
  name: string;
  label: string;
  min: number;
  max: number;
  step: number;
  default: number;
}

export interface EffectInfo {
  type: string;
  label: string;
  /** Whether the effect pulses with the room's tempo. */
  beatSynced: boolean;
  params: readonly ParamInfo[];
}

const p = (name: string, label: string, min: number, max: number, step: number, def: number): ParamInfo => ({
  name,
  label,
  min,
  max,
  step,
  default: def,
});

/** The parameters every effect has. */
export const COMMON_PARAMS: readonly ParamInfo[] = [
  p("hue", "Hue", 0, 1, 0.01, 0.6),
  p("speed", "Speed", 0, 4, 0.01, 1),
  p("intensity", "Intensity", 0, 1, 0.01, 0.8),
  p("zoom", "Zoom", 0.25, 4, 0.01, 1),
];

export const EFFECTS: readonly EffectInfo[] = [
  { type: "tunnel", label: "Tunnel", beatSynced: true, params: [...COMMON_PARAMS, p("detail", "Rings", 1, 16, 1, 6)] },
  { type: "kaleidoscope", label: "Kaleidoscope", beatSynced: false, params: [...COMMON_PARAMS, p("detail", "Segments", 2, 16, 1, 6)] },
  { type: "particles", label: "Particles", beatSynced: true, params: [...COMMON_PARAMS, p("detail", "Density", 1, 10, 1, 5)] },
  { type: "spectrum", label: "Spectrum bars", beatSynced: true, params: [...COMMON_PARAMS, p("detail", "Bars", 4, 32, 1, 16)] },
  { type: "noise", label: "Noise field", beatSynced: false, params: [...COMMON_PARAMS, p("detail", "Octaves", 1, 6, 1, 4)] },
  { type: "strobe", label: "Strobe", beatSynced: true, params: [...COMMON_PARAMS, p("detail", "Beats per flash", 1, 8, 1, 1)] },
  { type: "plasma", label: "Plasma", beatSynced: false, params: [...COMMON_PARAMS, p("detail", "Waves", 1, 8, 1, 3)] },
  { type: "waveform", label: "Waveform", beatSynced: true, params: [...COMMON_PARAMS, p("detail", "Lines", 1, 8, 1, 3)] },
];

/** The show-wide parameters (the room state's top-level `parameters`). */
export const GLOBAL_PARAMS: readonly ParamInfo[] = [
  p("brightness", "Brightness", 0, 1, 0.01, 1),
  p("hueShift", "Hue shift", 0, 1, 0.01, 0),
  p("speed", "Master speed", 0, 4, 0.01, 1),
];

export function effect(type: string): EffectInfo | undefined {
  return EFFECTS.find((e) => e.type === type);
}

/** A layer's or the show's numeric parameter, its default when unset or not a number. */
export function numberParam(values: Record<string, unknown> | undefined, info: ParamInfo): number {
  const v = values?.[info.name];
  return typeof v === "number" && Number.isFinite(v) ? Math.min(info.max, Math.max(info.min, v)) : info.default;
}

/** The default parameters of a new layer of this effect. */
export function defaultParams(type: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const info of effect(type)?.params ?? COMMON_PARAMS) out[info.name] = info.default;
  return out;
}
