import { describe, expect, it } from "vitest";
import { BeatDetector, bandLevels } from "./mic";
import { MidiLearn, controlChange } from "./midi";
import { parseTarget } from "./params";

describe("MIDI learn", () => {
  it("reads control changes and nothing else", () => {
    expect(controlChange(new Uint8Array([0xb3, 7, 127]))).toEqual({ channel: 3, controller: 7, value: 1 });
    expect(controlChange(new Uint8Array([0x90, 60, 100]))).toBeNull();
    expect(controlChange(new Uint8Array([0xb0, 1]))).toBeNull();
  });
  it("binds the next knob to the slider being learnt, and keeps the binding", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const midi = new MidiLearn(storage);
    const seen: [string, number][] = [];
    midi.onValue = (t, v) => seen.push([t, v]);
    midi.handle(new Uint8Array([0xb0, 21, 64])); // unbound: ignored
    midi.learning = "layer:l-1:hue";
    midi.handle(new Uint8Array([0xb0, 21, 0]));
    midi.handle(new Uint8Array([0xb0, 21, 127]));
    expect(seen).toEqual([
      ["layer:l-1:hue", 0],
      ["layer:l-1:hue", 1],
    ]);
    expect(new MidiLearn(storage).bindings.get("0:21")).toBe("layer:l-1:hue");
  });
});

describe("microphone features", () => {
  it("puts a low tone in the low bands and a high one in the high bands", () => {
    const spectrum = new Uint8Array(1024);
    spectrum[2] = 200; // ~47 Hz at 48 kHz
    let levels = bandLevels(spectrum, 48_000);
    expect(levels[0]).toBe(200);
    expect(levels[7]).toBe(0);
    spectrum.fill(0);
    spectrum[600] = 180; // ~14 kHz
    levels = bandLevels(spectrum, 48_000);
    expect(levels[7]).toBe(180);
    expect(levels[0]).toBe(0);
  });
  it("hears a kick every half second as beats, not the quiet between", () => {
    const beats = new BeatDetector();
    let heard = 0;
    for (let t = 0; t < 4_000; t += 33) {
      const kick = t % 500 < 40;
      if (beats.feed(new Uint8Array([kick ? 230 : 30, kick ? 220 : 30]), t)) heard++;
    }
    expect(heard).toBeGreaterThanOrEqual(7);
    expect(heard).toBeLessThanOrEqual(8);
  });
});

describe("slider targets", () => {
  it("name a layer's parameter or the show's", () => {
    expect(parseTarget("layer:l-ab12:hue")).toEqual(["layer", "l-ab12", "hue"]);
    expect(parseTarget("show:brightness")).toEqual(["show", undefined, "brightness"]);
  });
});
