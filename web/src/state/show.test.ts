import { describe, expect, it } from "vitest";
import type { Layer, ShowState } from "../net/live.generated";
import { Clock, applyDelta, beatAt } from "./show";

const layer = (id: string, order: number, hue = 0.5): Layer => ({
  id,
  name: id,
  effectType: "plasma",
  opacity: 1,
  visible: true,
  blendMode: "normal",
  order,
  parameters: { hue },
  lastModified: 0,
});

const state = (): ShowState => ({
  version: 3,
  timestamp: 10,
  parameters: { brightness: 1, gone: true },
  layers: [layer("a", 0), layer("b", 1)],
  activePresetId: "7",
  tempo: { bpm: 120, beat_origin: 0 },
});

describe("show state", () => {
  it("applies a delta: parameters, layers whole and in order, the preset cleared, the tempo", () => {
    const s = applyDelta(state(), {
      base: 3,
      version: 5,
      timestamp: 20,
      parameters: { brightness: 0.5 },
      removedParameters: ["gone"],
      layers: [layer("c", -1), layer("b", 1, 0.9)],
      removedLayers: ["a"],
      activePresetId: "",
      tempo: { bpm: 128, beat_origin: 1000 },
    });
    expect(s.version).toBe(5);
    expect(s.parameters).toEqual({ brightness: 0.5 });
    expect(s.layers.map((l) => l.id)).toEqual(["c", "b"]);
    expect(s.layers[1]!.parameters.hue).toBe(0.9);
    expect(s.activePresetId).toBeUndefined();
    expect(s.tempo.bpm).toBe(128);
  });
  it("refuses a delta from another version", () => {
    expect(() => applyDelta(state(), { base: 2, version: 4, timestamp: 0 })).toThrow(/version 2/);
  });
  it("gives every display the same beat from the tempo and the server clock", () => {
    const tempo = { bpm: 120, beat_origin: 1_000 };
    expect(beatAt(tempo, 1_000)).toEqual({ beat: 0, phase: 0 });
    expect(beatAt(tempo, 2_250)).toEqual({ beat: 2, phase: 0.5 });
    expect(beatAt(tempo, 750).beat).toBe(-1);
  });
  it("takes the clock offset from the ping with the shortest round trip", () => {
    const clock = new Clock();
    clock.sample(0, 100, 10_050); // rtt 100: offset 10,000
    clock.sample(200, 210, 10_300); // rtt 10: offset 10,095
    clock.sample(300, 500, 10_000);
    expect(clock.rtt).toBe(10);
    expect(clock.offset).toBe(10_095);
    expect(clock.now(1_000)).toBe(11_095);
  });
});
