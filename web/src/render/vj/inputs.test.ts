import { describe, expect, it } from "vitest";
import type { Layer, ShowState } from "../../net/live.generated";
import { EFFECTS } from "../../state/effects";
import {
  AUDIO_FRESH_MS,
  audioFresh,
  audioInput,
  audioPulse,
  BEAT_WRAP,
  effectTime,
  FROZEN_PHASE,
  globals,
  layerDraws,
  resampleBands,
  shaderBeat,
  TIME_WRAP_S,
} from "./inputs";
import { effectShader } from "./shaders";

const EPOCH_MS = 1_767_225_600_000; // 2026-01-01, a real server clock

const layer = (id: string, effectType: string, more: Partial<Layer> = {}): Layer => ({
  id,
  name: id,
  effectType,
  opacity: 1,
  visible: true,
  blendMode: "normal",
  order: 0,
  parameters: {},
  lastModified: 0,
  ...more,
});

const show = (layers: Layer[], parameters: ShowState["parameters"] = {}): ShowState => ({
  version: 1,
  timestamp: 0,
  parameters,
  layers,
  tempo: { bpm: 120, beat_origin: EPOCH_MS },
});

const silence = audioInput(null, null, EPOCH_MS);

describe("effect time", () => {
  it("is zero at speed 0, whatever the clock", () => {
    for (const ms of [0, 123.4, EPOCH_MS, EPOCH_MS + 99_999.5]) {
      expect(effectTime(ms, 0, 1)).toBe(0);
      expect(effectTime(ms, 2, 0)).toBe(0);
    }
  });

  it("is the same for the same server time", () => {
    expect(effectTime(EPOCH_MS + 16.7, 1.3, 0.7)).toBe(effectTime(EPOCH_MS + 16.7, 1.3, 0.7));
  });

  it("wraps at an hour of effect time", () => {
    expect(effectTime(1_500_000_000_000, 1, 1)).toBeCloseTo(2400, 6);
    expect(effectTime(3_600_000, 1, 1)).toBe(0);
    expect(effectTime(1_800_000, 2, 1)).toBe(0);
    const t = effectTime(EPOCH_MS, 3.7, 1.9);
    expect(t).toBeGreaterThanOrEqual(0);
    expect(t).toBeLessThan(TIME_WRAP_S);
  });

  it("keeps a frame's step at today's clock (doubles, not floats)", () => {
    const step = effectTime(EPOCH_MS + 1016, 1, 1) - effectTime(EPOCH_MS + 1000, 1, 1);
    expect(step).toBeCloseTo(0.016, 6); // a float32 clock this far from 1970 would step by minutes
  });

  it("scales with the layer's speed times the show's", () => {
    const ms = EPOCH_MS - (EPOCH_MS % 3_600_000) + 10_000; // 10 s past a wrap
    expect(effectTime(ms, 1, 1)).toBeCloseTo(10, 9);
    expect(effectTime(ms, 2, 1.5)).toBeCloseTo(30, 9);
  });
});

describe("beat", () => {
  it("wraps whole beats at 840 and keeps the phase", () => {
    const b = shaderBeat({ bpm: 120, beat_origin: 0 }, (BEAT_WRAP * 3 + 5.25) * 500);
    expect(b.beat).toBe(5);
    expect(b.phase).toBeCloseTo(0.25, 9);
    expect(shaderBeat({ bpm: 60, beat_origin: 10_000 }, 9_000).beat).toBe(BEAT_WRAP - 1);
  });

  it("holds still for a tempo that is not positive", () => {
    expect(shaderBeat({ bpm: 0, beat_origin: 0 }, 12_345)).toEqual({ beat: 0, phase: FROZEN_PHASE });
  });
});

describe("audio bands", () => {
  it("averages 32 bands into 8", () => {
    const levels = Array.from({ length: 32 }, (_, i) => i / 31);
    const out = resampleBands(levels);
    expect(out.length).toBe(8);
    for (let k = 0; k < 8; k++) expect(out[k]).toBeCloseTo((4 * k + 1.5) / 31, 6);
  });

  it("keeps the mean when bands do not divide evenly", () => {
    const levels = [0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8, 0.4, 0.6, 1];
    const out = [...resampleBands(levels)];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(out)).toBeCloseTo(mean(levels), 6);
  });

  it("passes 8 bands through and interpolates fewer", () => {
    const eight = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
    [...resampleBands(eight)].forEach((v, i) => expect(v).toBeCloseTo(eight[i]!, 6));
    const two = [...resampleBands([0, 0.7])];
    expect(two[0]).toBe(0);
    expect(two[7]).toBeCloseTo(0.7, 6);
    expect(two[3]).toBeCloseTo(0.3, 6);
    expect([...resampleBands([0.4])]).toEqual(new Array(8).fill(Math.fround(0.4)));
  });

  it("gives zeros for no bands and clamps bad levels", () => {
    expect([...resampleBands([])]).toEqual(new Array(8).fill(0));
    expect([...resampleBands([2, -1, NaN, 1, 1, 1, 1, 1])].slice(0, 3)).toEqual([1, 0, 0]);
  });

  it("counts audio as recent for 500 ms", () => {
    const a = { levels: [1], beat: false, serverMs: 1000 };
    expect(audioFresh(a, 1000 + AUDIO_FRESH_MS - 1)).toBe(true);
    expect(audioFresh(a, 1000 + AUDIO_FRESH_MS)).toBe(false);
    expect(audioFresh(null, 0)).toBe(false);
    expect(audioInput(a, null, 5000).on).toBe(0);
    expect(audioInput(a, null, 1100).on).toBe(1);
  });

  it("flashes on an audio beat and fades", () => {
    expect(audioPulse(null, 100)).toBe(0);
    expect(audioPulse(1000, 1000)).toBe(1);
    expect(audioPulse(1000, 1100)).toBeLessThan(1);
    expect(audioPulse(1000, 1100)).toBeGreaterThan(audioPulse(1000, 1300));
    expect(audioPulse(1000, 1000 + AUDIO_FRESH_MS)).toBe(0);
  });
});

describe("layer draws", () => {
  it("has a shader for every effect and none for unknown types", () => {
    for (const e of EFFECTS) expect(effectShader(e.type), e.type).toContain("vec3 effect(vec2 p");
    expect(effectShader("no-such")).toBeUndefined();
    expect(effectShader("__proto__")).toBeUndefined();
    expect(effectShader("toString")).toBeUndefined();
  });

  it("draws visible layers with a known effect and opacity above 0, bottom to top", () => {
    const state = show([
      layer("a", "plasma"),
      layer("hidden", "tunnel", { visible: false }),
      layer("clear", "tunnel", { opacity: 0 }),
      layer("unknown", "laser-harp"),
      layer("b", "noise", { blendMode: "overlay", opacity: 1.7 }),
    ]);
    const draws = layerDraws(state, EPOCH_MS, silence);
    expect(draws.map((d) => d.id)).toEqual(["a", "b"]);
    expect(draws[1]!.blend).toBe("overlay");
    expect(draws[1]!.opacity).toBe(1);
  });

  it("gives no draws for no layers", () => {
    expect(layerDraws(show([]), EPOCH_MS, silence)).toEqual([]);
  });

  it("reads parameters with their defaults and ranges", () => {
    const [d] = layerDraws(show([layer("a", "strobe", { parameters: { hue: 2, zoom: "big", detail: 4 } })]), EPOCH_MS, silence);
    expect(d).toMatchObject({ hue: 1, zoom: 1, detail: 4, intensity: 0.8 });
  });

  it("freezes a layer at speed 0: time, beat and audio", () => {
    const audio = audioInput({ levels: [1, 1], beat: true, serverMs: EPOCH_MS }, EPOCH_MS, EPOCH_MS);
    const state = show([layer("still", "tunnel", { parameters: { speed: 0 } }), layer("live", "tunnel")]);
    const at = (ms: number) => layerDraws(state, ms, audio);
    const [still, live] = at(EPOCH_MS + 250);
    expect(still).toMatchObject({ time: 0, beat: 0, phase: FROZEN_PHASE, audioOn: 0, pulse: 0 });
    expect(live!.phase).toBeCloseTo(0.5, 6);
    expect(live!.audioOn).toBe(1);
    expect(at(EPOCH_MS + 1234)[0]).toEqual(still);
  });

  it("freezes every layer at master speed 0", () => {
    const draws = layerDraws(show([layer("a", "plasma"), layer("b", "particles")], { speed: 0 }), EPOCH_MS + 777, silence);
    for (const d of draws) expect(d).toMatchObject({ time: 0, phase: FROZEN_PHASE });
  });

  it("reads the show's brightness and hue shift", () => {
    expect(globals(show([]))).toEqual({ brightness: 1, hueShift: 0, speed: 1 });
    expect(globals(show([], { brightness: 0.25, hueShift: 0.5, speed: 9 }))).toEqual({ brightness: 0.25, hueShift: 0.5, speed: 4 });
  });
});
