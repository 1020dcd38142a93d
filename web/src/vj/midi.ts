// Web MIDI learn: press "learn" next to a slider, move a knob or fader, and that control change drives the
// slider from then on. Bindings are kept in localStorage per browser. Where the browser has no Web MIDI
// (Safari, Firefox without the add-on), the controller says so and everything else works.

const KEY = "cosmic.vj.midi";

export interface ControlChange {
  channel: number;
  controller: number;
  /** 0–1. */
  value: number;
}

/** A control change (status 0xB0–0xBF) from a MIDI message; null for anything else. */
export function controlChange(data: Uint8Array): ControlChange | null {
  if (data.length < 3 || (data[0]! & 0xf0) !== 0xb0) return null;
  return { channel: data[0]! & 0x0f, controller: data[1]! & 0x7f, value: (data[2]! & 0x7f) / 127 };
}

export function midiSupported(): boolean {
  return typeof navigator.requestMIDIAccess === "function";
}

export class MidiLearn {
  /** "channel:controller" → slider target. */
  readonly bindings = new Map<string, string>();
  learning: string | null = null;
  onValue?: (target: string, fraction: number) => void;
  onLearned?: (target: string, cc: ControlChange) => void;

  constructor(private readonly storage: Pick<Storage, "getItem" | "setItem"> | null = globalThis.localStorage ?? null) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(storage?.getItem(KEY) ?? "{}") as Record<string, string>)) this.bindings.set(k, v);
    } catch {
      // A broken entry is forgotten.
    }
  }

  async start(): Promise<number> {
    const access = await navigator.requestMIDIAccess();
    const listen = () => {
      for (const input of access.inputs.values()) input.onmidimessage = (ev) => ev.data && this.handle(ev.data);
    };
    listen();
    access.onstatechange = listen;
    return access.inputs.size;
  }

  handle(data: Uint8Array): void {
    const cc = controlChange(data);
    if (!cc) return;
    const key = `${cc.channel}:${cc.controller}`;
    if (this.learning) {
      const target = this.learning;
      this.learning = null;
      this.bindings.set(key, target);
      this.storage?.setItem(KEY, JSON.stringify(Object.fromEntries(this.bindings)));
      this.onLearned?.(target, cc);
    }
    const target = this.bindings.get(key);
    if (target) this.onValue?.(target, cc.value);
  }
}
