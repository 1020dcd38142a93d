// The page's side of the 3D sky: hands the canvas to the render worker, forwards input and bodies, and
// relays the worker's places and picks. Everything heavy (three.js, the GL context, drawing) is in the
// worker, so the page stays responsive while the sky starts and runs.
import type { WireBody } from "../net/protocol.generated";
import type { Vec3 } from "../state/motion";
import { packBodies, type FromWorker, type ToWorker } from "./messages";

export interface ViewHooks {
  onPlace: (pos: Vec3) => void;
  onPick: (id: number | null) => void;
}

export class SkyView {
  private readonly worker: Worker;
  private periodMs = 50;

  private constructor(
    private readonly canvas: HTMLCanvasElement,
    hooks: ViewHooks,
    ready: (error: string | null) => void,
  ) {
    const offscreen = canvas.transferControlToOffscreen();
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "sky" });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      if (m.type === "ready") ready(null);
      else if (m.type === "failed") ready(m.message);
      else if (m.type === "place") hooks.onPlace(m.pos);
      else if (m.type === "pick") hooks.onPick(m.id);
      else if (m.type === "drawn") canvas.dataset.bodies = String(m.count);
    };
    this.worker.onerror = (e) => ready(e.message || "the render worker failed");
    const { width, height } = this.cssSize();
    this.send({ type: "init", canvas: offscreen, width, height, dpr: devicePixelRatio }, [offscreen]);
    new ResizeObserver(() => this.send({ type: "resize", ...this.cssSize(), dpr: devicePixelRatio })).observe(canvas);
    this.forwardInput();
  }

  /** Starts the worker; resolves when the sky is drawing, rejects with the reason it cannot. */
  static start(canvas: HTMLCanvasElement, hooks: ViewHooks): Promise<SkyView> {
    if (typeof canvas.transferControlToOffscreen !== "function" || typeof Worker !== "function") {
      return Promise.reject(new Error("this browser cannot draw in a worker (OffscreenCanvas)"));
    }
    return new Promise((resolve, reject) => {
      const view: SkyView = new SkyView(canvas, hooks, (error) => (error ? reject(new Error(error)) : resolve(view)));
    });
  }

  setBodies(bodies: readonly WireBody[]): void {
    const packed = packBodies(bodies);
    this.send({ type: "bodies", packed, periodMs: this.periodMs }, [packed.buffer]);
  }

  setPeriod(ms: number): void {
    this.periodMs = ms;
  }

  select(id: number | null): void {
    this.send({ type: "select", id });
  }

  setPlacing(on: boolean): void {
    this.canvas.style.cursor = on ? "crosshair" : "";
    this.send({ type: "placing", on });
  }

  private send(m: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private cssSize(): { width: number; height: number } {
    return { width: this.canvas.clientWidth, height: this.canvas.clientHeight };
  }

  private forwardInput(): void {
    const c = this.canvas;
    const at = (e: PointerEvent) => {
      const r = c.getBoundingClientRect();
      return { id: e.pointerId, x: e.clientX - r.left, y: e.clientY - r.top };
    };
    c.addEventListener("pointerdown", (e) => {
      c.setPointerCapture(e.pointerId);
      this.send({ type: "pointer", phase: "down", ...at(e) });
    });
    c.addEventListener("pointermove", (e) => e.buttons && this.send({ type: "pointer", phase: "move", ...at(e) }));
    c.addEventListener("pointerup", (e) => this.send({ type: "pointer", phase: "up", ...at(e) }));
    c.addEventListener("pointercancel", (e) => this.send({ type: "pointer", phase: "up", ...at(e), x: -1e6, y: -1e6 }));
    c.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        this.send({ type: "wheel", deltaY: e.deltaY });
      },
      { passive: false },
    );
  }
}
