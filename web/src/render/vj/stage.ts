// The display page's side of the VJ renderer: hands the canvas to the render worker and forwards the show
// state, the clock offset and audio to it. Where a worker cannot draw (no OffscreenCanvas), the same host
// runs on the page's thread instead. Either way renderer.ts and the shaders are loaded only from here, by
// the worker or by a dynamic import, so they stay out of the page's first JavaScript.
//
// The folder (render/vj):
//   stage.ts      page side: starts the worker (or the fallback), forwards messages, answers probes
//   messages.ts   the page ⇄ worker protocol (types only)
//   worker.ts     the worker: a Host on the OffscreenCanvas
//   host.ts       the frame loop: state, clock, audio in; frame, fps, probe out
//   renderer.ts   VjRenderer: effect passes, composite ping-pong, final pass, probe
//   gl.ts         programs compiled in the background, render targets
//   inputs.ts     pure: each layer's uniforms from state, server clock and audio
//   blend.ts      pure: the blend formulas, shared by the composite shader and its tests
//   shaders*.ts   GLSL: prelude, composite, final, and the eight effects
import type { ShowState } from "../../net/live.generated";
import type { Host } from "./host";
import type { AudioFeatures } from "./inputs";
import type { FromWorker, Rgb, ToWorker } from "./messages";

/** How long `start` waits for the renderer (ms): shader compiles on a software GPU are slow. */
const START_TIMEOUT_MS = 30_000;
/** How long a probe waits for its answer (ms). */
const PROBE_TIMEOUT_MS = 5_000;

/** Where the messages go: a worker, or a host on this thread. */
interface Backend {
  send(m: Exclude<ToWorker, { type: "init" }>): void;
  stop(): void;
}

export class Stage {
  /** Called once per state version, when a frame first draws it (`at`: Date.now() where it was drawn). */
  onFrame?: (version: number, at: number) => void;
  /** Called once a second with the frame rate and the layers the latest frame drew. */
  onFps?: (fps: number, layers: number, scale: number) => void;
  private backend: Backend | null = null;
  private readonly probes = new Map<number, { resolve: (rgb: Rgb) => void; reject: (e: Error) => void }>();
  private nextProbe = 1;
  private readonly observer: ResizeObserver | null;
  private destroyed = false;

  private constructor(private readonly canvas: HTMLCanvasElement) {
    this.observer = typeof ResizeObserver === "function" ? new ResizeObserver(() => this.resize()) : null;
  }

  /** Starts the renderer on the canvas; resolves once it draws, rejects with the reason it cannot. */
  static async start(canvas: HTMLCanvasElement): Promise<Stage> {
    const stage = new Stage(canvas);
    const inWorker = typeof canvas.transferControlToOffscreen === "function" && typeof Worker === "function";
    try {
      stage.backend = await withTimeout(inWorker ? stage.startWorker() : stage.startHere(), START_TIMEOUT_MS, "the VJ renderer did not start in time");
    } catch (e) {
      stage.destroy();
      throw e;
    }
    stage.observer?.observe(canvas);
    stage.watchPixelRatio();
    return stage;
  }

  /** The show state to draw; call after every change (the renderer keeps its own copy). */
  setState(state: ShowState): void {
    this.backend?.send({ type: "state", state });
  }

  /** The server clock's offset from this machine's (server − local, ms). */
  setClockOffset(ms: number): void {
    this.backend?.send({ type: "clock", offset: ms });
  }

  setAudio(features: AudioFeatures): void {
    this.backend?.send({ type: "audio", features });
  }

  /** Internal render scale, 0.1–1: lower it when the frame rate drops. */
  setScale(scale: number): void {
    this.backend?.send({ type: "scale", scale });
  }

  /** The mean RGB (0–255) of the last frame drawn. */
  probe(): Promise<Rgb> {
    const id = this.nextProbe++;
    return withTimeout(
      new Promise<Rgb>((resolve, reject) => {
        if (!this.backend) return reject(new Error("the stage is not running"));
        this.probes.set(id, { resolve, reject });
        this.backend.send({ type: "probe", id });
      }),
      PROBE_TIMEOUT_MS,
      "the VJ renderer did not answer a probe",
    ).finally(() => this.probes.delete(id));
  }

  /** Tells the renderer the canvas's CSS size and the pixel ratio (the ResizeObserver calls it too). */
  resize(): void {
    this.backend?.send({ type: "resize", ...this.cssSize(), dpr: devicePixelRatio });
  }

  destroy(): void {
    this.destroyed = true;
    this.observer?.disconnect();
    this.backend?.stop();
    this.backend = null;
    for (const p of this.probes.values()) p.reject(new Error("the stage was destroyed"));
    this.probes.clear();
  }

  /** Resizes when the pixel ratio changes (the window moved to another screen, or the page zoomed). */
  private watchPixelRatio(): void {
    if (this.destroyed || typeof matchMedia !== "function") return;
    matchMedia(`(resolution: ${devicePixelRatio}dppx)`).addEventListener(
      "change",
      () => {
        this.resize();
        this.watchPixelRatio();
      },
      { once: true },
    );
  }

  private cssSize(): { width: number; height: number } {
    return { width: this.canvas.clientWidth || 1, height: this.canvas.clientHeight || 1 };
  }

  private receive(m: FromWorker, started: (error: string | null) => void): void {
    if (this.destroyed) return;
    if (m.type === "ready") started(null);
    else if (m.type === "failed") {
      started(m.message);
      console.error("VJ renderer failed:", m.message);
    } else if (m.type === "frame") this.onFrame?.(m.version, m.at);
    else if (m.type === "fps") this.onFps?.(m.fps, m.layers, m.scale);
    else if (m.type === "probe") this.probes.get(m.id)?.resolve(m.rgb);
  }

  private startWorker(): Promise<Backend> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "vj" });
      const backend: Backend = { send: (m) => worker.postMessage(m), stop: () => worker.terminate() };
      this.backend = backend; // so that destroy() ends the worker even while it starts
      // Until ready, a failure rejects start; afterwards `receive` only logs it.
      let settle = (error: string | null) => {
        settle = () => {};
        if (error) {
          worker.terminate();
          reject(new Error(error));
        } else resolve(backend);
      };
      worker.onmessage = (ev: MessageEvent<FromWorker>) => this.receive(ev.data, (e) => settle(e));
      worker.onerror = (ev) => {
        ev.preventDefault();
        const message = ev.message || "the VJ render worker failed to load";
        console.error(message);
        settle(message);
      };
      const offscreen = this.canvas.transferControlToOffscreen();
      const init: ToWorker = { type: "init", canvas: offscreen, ...this.cssSize(), dpr: devicePixelRatio };
      worker.postMessage(init, [offscreen]);
    });
  }

  private async startHere(): Promise<Backend> {
    const { Host: HostClass } = await import("./host");
    const failed: { message: string | null } = { message: null };
    const host: Host = new HostClass(
      (m) => this.receive(m, (e) => (failed.message = e)),
      (cb) => requestAnimationFrame(() => cb()),
    );
    const backend: Backend = {
      // A copy, as a worker would get: callers change their state in place after sending it.
      send: (m) => host.handle(m.type === "state" ? { type: "state", state: structuredClone(m.state) } : m),
      stop: () => host.stop(),
    };
    this.backend = backend;
    const { width, height } = this.cssSize();
    await host.init(this.canvas, width, height, devicePixelRatio);
    if (failed.message !== null) throw new Error(failed.message);
    return backend;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
