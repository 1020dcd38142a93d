// Microphone analysis on the controller: band levels and beats from an AnalyserNode, sent to the room as
// audio features about 30 times a second. Displays react to them; nothing is recorded or stored.

export const BANDS = 8;

/** Log-spaced band levels (0–255) from an analyser's byte spectrum, 40 Hz to 16 kHz. */
export function bandLevels(spectrum: Uint8Array, sampleRate: number, bands = BANDS): Uint8Array {
  const out = new Uint8Array(bands);
  const binHz = sampleRate / 2 / spectrum.length;
  const lo = 40;
  const hi = Math.min(16_000, sampleRate / 2);
  for (let b = 0; b < bands; b++) {
    const from = Math.floor((lo * (hi / lo) ** (b / bands)) / binHz);
    const to = Math.max(from + 1, Math.floor((lo * (hi / lo) ** ((b + 1) / bands)) / binHz));
    let max = 0;
    for (let i = from; i < Math.min(to, spectrum.length); i++) max = Math.max(max, spectrum[i]!);
    out[b] = max;
  }
  return out;
}

/**
 * Beats from the low bands' energy: a beat when it jumps well above its recent average, at most one every
 * 250 ms (240 BPM).
 */
export class BeatDetector {
  private average = 0;
  private last = -Infinity;

  feed(levels: Uint8Array, nowMs: number): boolean {
    const energy = ((levels[0] ?? 0) + (levels[1] ?? 0)) / 2;
    const beat = energy > 40 && energy > this.average * 1.35 && nowMs - this.last >= 250;
    this.average = this.average * 0.9 + energy * 0.1;
    if (beat) this.last = nowMs;
    return beat;
  }
}

/** Starts analysing the microphone; `send` gets each frame. Rejects when access is refused. */
export async function startMic(send: (levels: Uint8Array, beat: boolean) => void): Promise<{ stop(): void }> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  analyser.smoothingTimeConstant = 0.5;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const spectrum = new Uint8Array(analyser.frequencyBinCount);
  const beats = new BeatDetector();
  const timer = setInterval(() => {
    analyser.getByteFrequencyData(spectrum);
    const levels = bandLevels(spectrum, ctx.sampleRate);
    send(levels, beats.feed(levels, performance.now()));
  }, 33);
  return {
    stop() {
      clearInterval(timer);
      for (const t of stream.getTracks()) t.stop();
      void ctx.close();
    },
  };
}
