// The drawing side of the VJ display protocol: owns a VjRenderer, draws every animation frame with the
// latest state, clock offset and audio, and answers with frames, fps and probes. The worker runs it; the
// page runs the same code when it cannot draw in a worker, so both behave alike.
import type { ShowState } from "../../net/live.generated";
import type { AudioFeatures } from "./inputs";
import type { FromWorker, ToWorker } from "./messages";
import { VjRenderer } from "./renderer";
import { Resolution, TARGET_FPS } from "./resolution";

const EMPTY: ShowState = { version: -1, timestamp: 0, parameters: {}, layers: [], tempo: { bpm: 120, beat_origin: 0 } };

export type Schedule = (cb: () => void) => void;

export class Host {
  private renderer: VjRenderer | null = null;
  private state: ShowState | null = null;
  private offset = 0;
  private audio: AudioFeatures | null = null;
  /** An audio beat not drawn yet: kept when a later measurement without one replaces it. */
  private beatPending = false;
  private shownVersion: number | null = null;
  private frames = 0;
  private since = 0;
  private running = false;
  private drawFailed = false;
  private readonly resolution = new Resolution();

  constructor(
    private readonly post: (m: FromWorker) => void,
    private readonly schedule: Schedule,
  ) {}

  /** Starts drawing on the canvas; answers `ready` or `failed`. */
  async init(canvas: OffscreenCanvas | HTMLCanvasElement, width: number, height: number, dpr: number): Promise<void> {
    try {
      // Kept before it is ready, so a resize or scale sent meanwhile is not lost.
      this.renderer = new VjRenderer(canvas);
      this.renderer.scale = this.resolution.scale;
      this.renderer.resize(width, height, dpr);
      await this.renderer.ready();
    } catch (e) {
      this.renderer?.dispose();
      this.renderer = null;
      this.post({ type: "failed", message: e instanceof Error ? e.message : String(e) });
      return;
    }
    this.post({ type: "ready" });
    this.running = true;
    this.since = Date.now();
    this.schedule(this.tick);
  }

  handle(m: Exclude<ToWorker, { type: "init" }>): void {
    const r = this.renderer;
    switch (m.type) {
      case "resize":
        r?.resize(m.width, m.height, m.dpr);
        break;
      case "state":
        this.state = m.state;
        break;
      case "clock":
        if (Number.isFinite(m.offset)) this.offset = m.offset;
        break;
      case "audio":
        this.beatPending ||= m.features.beat;
        this.audio = m.features;
        break;
      case "probe":
        this.post({ type: "probe", id: m.id, rgb: r ? r.probe() : [0, 0, 0] });
        break;
      case "scale":
        if (r && Number.isFinite(m.scale)) {
          this.resolution.max = Math.min(1, Math.max(0.1, m.scale));
          r.scale = this.resolution.update(TARGET_FPS);
        }
        break;
    }
  }

  stop(): void {
    this.running = false;
    this.renderer?.dispose();
    this.renderer = null;
  }

  private readonly tick = (): void => {
    if (!this.running || !this.renderer) return;
    const r = this.renderer;
    const state = this.state ?? EMPTY;
    const audio = this.audio && this.beatPending !== this.audio.beat ? { ...this.audio, beat: this.beatPending } : this.audio;
    try {
      r.draw({ state, serverMs: Date.now() + this.offset, audio });
      this.beatPending = false;
    } catch (e) {
      // Keep drawing (the next state may be fine) but say it once, not sixty times a second.
      if (!this.drawFailed) console.error("VJ frame failed:", e);
      this.drawFailed = true;
    }
    const now = Date.now();
    if (this.state && this.state.version !== this.shownVersion && r.complete) {
      this.shownVersion = this.state.version;
      this.post({ type: "frame", version: this.state.version, at: now });
    }
    this.frames++;
    if (now - this.since >= 1000) {
      const fps = (this.frames * 1000) / (now - this.since);
      // Drawing at the resolution this GPU keeps fluid (a projector wants frames more than pixels).
      r.scale = this.resolution.update(fps);
      this.post({ type: "fps", fps: Math.round(fps * 10) / 10, layers: r.drawnLayers, scale: r.scale });
      this.frames = 0;
      this.since = now;
    }
    this.schedule(this.tick);
  };
}
