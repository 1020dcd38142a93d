// A live show's state as a display or controller holds it: the room's state rebuilt from the server's
// `state` and `delta` messages, the beat every display derives from the tempo and the server clock, and the
// clock offset estimated from pings.
import type { Layer, ShowState, StateDelta, Tempo } from "../net/live.generated";

/** Applies a delta to the state it was computed from (`delta.base === state.version`), in place. */
export function applyDelta(state: ShowState, delta: StateDelta): ShowState {
  if (delta.base !== state.version) throw new Error(`delta from version ${delta.base} on state ${state.version}`);
  for (const [k, v] of Object.entries(delta.parameters ?? {})) state.parameters[k] = v;
  for (const k of delta.removedParameters ?? []) delete state.parameters[k];
  if (delta.layers?.length || delta.removedLayers?.length) {
    const byId = new Map<string, Layer>(state.layers.map((l) => [l.id, l]));
    for (const id of delta.removedLayers ?? []) byId.delete(id);
    for (const l of delta.layers ?? []) byId.set(l.id, l);
    state.layers = sortLayers([...byId.values()]);
  }
  if (delta.activePresetId !== undefined) {
    if (delta.activePresetId === "") delete state.activePresetId;
    else state.activePresetId = delta.activePresetId;
  }
  if (delta.tempo) state.tempo = delta.tempo;
  state.version = delta.version;
  state.timestamp = delta.timestamp;
  return state;
}

/** Layers in the server's order: by `order`, then id. */
export function sortLayers(layers: Layer[]): Layer[] {
  return layers.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The beat at a server time (ms): whole beats since the tempo's origin and the phase 0–1 within the beat. */
export function beatAt(tempo: Tempo, serverMs: number): { beat: number; phase: number } {
  const period = 60_000 / tempo.bpm;
  const beats = (serverMs - tempo.beat_origin) / period;
  const beat = Math.floor(beats);
  return { beat, phase: beats - beat };
}

/**
 * The server clock as seen from this page: the offset (server − local, ms) from the ping with the shortest
 * round trip of the last few, which is the one least skewed by queueing.
 */
export class Clock {
  private samples: { rtt: number; offset: number }[] = [];

  /** Records a pong: the local times (ms) the ping left and the pong arrived, and the server's time. */
  sample(sentAt: number, receivedAt: number, serverTime: number): void {
    const rtt = receivedAt - sentAt;
    this.samples.push({ rtt, offset: serverTime - (sentAt + rtt / 2) });
    if (this.samples.length > 8) this.samples.shift();
  }

  get offset(): number {
    let best: { rtt: number; offset: number } | undefined;
    for (const s of this.samples) if (!best || s.rtt < best.rtt) best = s;
    return best?.offset ?? 0;
  }

  get rtt(): number | undefined {
    return this.samples.length ? Math.min(...this.samples.map((s) => s.rtt)) : undefined;
  }

  /** Server time now (ms). */
  now(local = Date.now()): number {
    return local + this.offset;
  }
}
