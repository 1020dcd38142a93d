// What each layer's shader is given for one frame, worked out from the show state, the server clock and the
// latest audio features. Pure: no GL, so the tests check it in node and two displays with the same server
// clock compute the same numbers. Times are doubles here and only become float uniforms in the renderer.
import type { BlendMode, Layer, ShowState, Tempo } from "../../net/live.generated";
import { effect, GLOBAL_PARAMS, numberParam, type EffectInfo, type ParamInfo } from "../../state/effects";
import { beatAt } from "../../state/show";

/** Audio measured on some device and sent to the displays. */
export interface AudioFeatures {
  /** Band levels 0–1, low to high, up to 32 bands. */
  levels: number[];
  /** Whether a beat was detected in this measurement. */
  beat: boolean;
  /** Server time (ms) of the measurement. */
  serverMs: number;
}

/** The number of audio bands the shaders get (`u_audio[8]`). */
export const AUDIO_BANDS = 8;
/** Audio older than this (ms) is ignored and beat-synced effects fall back to the tempo. */
export const AUDIO_FRESH_MS = 500;
/** How fast an audio beat's flash fades (ms, e-folding time). */
export const AUDIO_PULSE_MS = 180;
/** Effect time wraps (s) so it stays precise as a 32-bit float uniform. */
export const TIME_WRAP_S = 3600;
/** Beat counts wrap at lcm(1..8), so "every n beats" for any detail 1–8 survives the wrap. */
export const BEAT_WRAP = 840;
/** Where a frozen (speed 0) layer's beat rests: mid-beat, so a stopped strobe is dark, not lit. */
export const FROZEN_PHASE = 0.5;

/** Effect time (s): the server clock scaled by the layer's and the show's speed, wrapped. */
export function effectTime(serverMs: number, layerSpeed: number, globalSpeed: number): number {
  const t = (serverMs / 1000) * layerSpeed * globalSpeed;
  return ((t % TIME_WRAP_S) + TIME_WRAP_S) % TIME_WRAP_S;
}

/** The beat at a server time, wrapped for the shader; a tempo that is not positive holds still. */
export function shaderBeat(tempo: Tempo, serverMs: number): { beat: number; phase: number } {
  if (!(tempo.bpm > 0) || !Number.isFinite(tempo.beat_origin)) return { beat: 0, phase: FROZEN_PHASE };
  const { beat, phase } = beatAt(tempo, serverMs);
  return { beat: ((beat % BEAT_WRAP) + BEAT_WRAP) % BEAT_WRAP, phase };
}

/**
 * Resamples band levels to `n` bands: the mean over each output band's span when there are more inputs
 * (32 → 8), linear interpolation when there are fewer. Levels are clamped to 0–1; no levels give zeros.
 */
export function resampleBands(levels: readonly number[], n = AUDIO_BANDS): Float32Array {
  const out = new Float32Array(n);
  const m = levels.length;
  if (m === 0) return out;
  const at = (i: number) => {
    const v = levels[Math.min(m - 1, Math.max(0, i))] ?? 0;
    return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
  };
  for (let k = 0; k < n; k++) {
    if (m >= n) {
      // Input band i covers [i/m, (i+1)/m); sum each one's overlap with [k/n, (k+1)/n).
      const lo = (k * m) / n;
      const hi = ((k + 1) * m) / n;
      let sum = 0;
      for (let i = Math.floor(lo); i < Math.ceil(hi); i++) sum += at(i) * (Math.min(hi, i + 1) - Math.max(lo, i));
      out[k] = sum / (hi - lo);
    } else {
      const x = n === 1 ? 0 : (k * (m - 1)) / (n - 1);
      const i = Math.floor(x);
      out[k] = at(i) + (at(i + 1) - at(i)) * (x - i);
    }
  }
  return out;
}

/** Whether audio measured at `audio.serverMs` still counts at `serverMs`. */
export function audioFresh(audio: AudioFeatures | null, serverMs: number): audio is AudioFeatures {
  return audio !== null && serverMs - audio.serverMs < AUDIO_FRESH_MS;
}

/** The flash of the last audio beat (server ms, or null): 1 on it, fading, 0 once stale. */
export function audioPulse(lastBeatMs: number | null, serverMs: number): number {
  if (lastBeatMs === null) return 0;
  const since = Math.max(0, serverMs - lastBeatMs);
  return since < AUDIO_FRESH_MS ? Math.exp(-since / AUDIO_PULSE_MS) : 0;
}

/** One layer's draw: its effect, how it blends, and its shader's uniforms. */
export interface LayerDraw {
  id: string;
  effectType: string;
  blend: BlendMode;
  opacity: number;
  hue: number;
  intensity: number;
  zoom: number;
  detail: number;
  time: number;
  phase: number;
  beat: number;
  /** 1 when `audio` holds recent measurements, else 0 (and `audio` is zeros). */
  audioOn: number;
  audio: Float32Array;
  pulse: number;
}

/** The show-wide values the final pass applies. */
export interface Globals {
  brightness: number;
  hueShift: number;
  speed: number;
}

function byName(params: readonly ParamInfo[]): Map<string, ParamInfo> {
  return new Map(params.map((p) => [p.name, p]));
}

const GLOBALS = byName(GLOBAL_PARAMS);
const globalInfo = (name: string): ParamInfo => {
  const info = GLOBALS.get(name);
  if (!info) throw new Error(`GLOBAL_PARAMS has no "${name}"`);
  return info;
};

export function globals(state: ShowState): Globals {
  return {
    brightness: numberParam(state.parameters, globalInfo("brightness")),
    hueShift: numberParam(state.parameters, globalInfo("hueShift")),
    speed: numberParam(state.parameters, globalInfo("speed")),
  };
}

const effectParams = new Map<string, Map<string, ParamInfo>>();
function paramsOf(info: EffectInfo): Map<string, ParamInfo> {
  let m = effectParams.get(info.type);
  if (!m) effectParams.set(info.type, (m = byName(info.params)));
  return m;
}

function param(layer: Layer, params: Map<string, ParamInfo>, name: string): number {
  const info = params.get(name);
  return info ? numberParam(layer.parameters, info) : 0;
}

/** Audio as the shaders see it at one server time: resampled bands and the beat flash, or silence. */
export interface AudioInput {
  on: number;
  bands: Float32Array;
  pulse: number;
}

const SILENCE: AudioInput = { on: 0, bands: new Float32Array(AUDIO_BANDS), pulse: 0 };

export function audioInput(audio: AudioFeatures | null, lastBeatMs: number | null, serverMs: number): AudioInput {
  if (!audioFresh(audio, serverMs)) return SILENCE;
  return { on: 1, bands: resampleBands(audio.levels), pulse: audioPulse(lastBeatMs, serverMs) };
}

/**
 * The layers to draw, bottom to top: visible ones with opacity above 0 and a known effect. A layer whose
 * speed (times the show's) is 0 is a still: time 0, its beat held at FROZEN_PHASE and deaf to audio.
 */
export function layerDraws(state: ShowState, serverMs: number, audio: AudioInput): LayerDraw[] {
  const g = globals(state);
  const live = shaderBeat(state.tempo, serverMs);
  const out: LayerDraw[] = [];
  for (const layer of state.layers) {
    const opacity = Math.min(1, Math.max(0, Number(layer.opacity)));
    if (!layer.visible || !(opacity > 0)) continue;
    const info = effect(layer.effectType);
    if (!info) continue;
    const params = paramsOf(info);
    const speed = param(layer, params, "speed") * g.speed;
    const still = speed === 0;
    const beat = still ? { beat: 0, phase: FROZEN_PHASE } : live;
    const heard = still ? SILENCE : audio;
    out.push({
      id: layer.id,
      effectType: layer.effectType,
      blend: layer.blendMode,
      opacity,
      hue: param(layer, params, "hue"),
      intensity: param(layer, params, "intensity"),
      zoom: param(layer, params, "zoom"),
      detail: param(layer, params, "detail"),
      time: effectTime(serverMs, param(layer, params, "speed"), g.speed),
      phase: beat.phase,
      beat: beat.beat,
      audioOn: heard.on,
      audio: heard.bands,
      pulse: heard.pulse,
    });
  }
  return out;
}
