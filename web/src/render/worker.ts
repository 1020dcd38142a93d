// The render worker: owns the OffscreenCanvas and three.js, draws at the display's frame rate, and answers
// the page with places, picks and the number of bodies drawn.
/// <reference lib="webworker" />
import type { FromWorker, ToWorker } from "./messages";
import { Sky } from "./scene";

declare const self: DedicatedWorkerGlobalScope;

let sky: Sky | null = null;
const post = (m: FromWorker) => self.postMessage(m);
const nextFrame: (cb: (t: number) => void) => void =
  typeof self.requestAnimationFrame === "function" ? (cb) => self.requestAnimationFrame(cb) : (cb) => setTimeout(() => cb(performance.now()), 16);

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === "init") {
    try {
      sky = new Sky(m.canvas, {
        place: (pos) => post({ type: "place", pos }),
        pick: (id) => post({ type: "pick", id }),
        drawn: (count) => post({ type: "drawn", count }),
      });
      sky.resize(m.width, m.height, m.dpr);
      await sky.prepare();
      post({ type: "ready" });
      const loop = (now: number) => {
        sky?.draw(now);
        nextFrame(loop);
      };
      nextFrame(loop);
    } catch (e) {
      sky = null;
      post({ type: "failed", message: e instanceof Error ? e.message : String(e) });
    }
    return;
  }
  if (!sky) return;
  switch (m.type) {
    case "resize":
      sky.resize(m.width, m.height, m.dpr);
      break;
    case "bodies":
      sky.setBodies(m.packed, m.periodMs, performance.now());
      break;
    case "select":
      sky.select(m.id);
      break;
    case "placing":
      sky.setPlacing(m.on);
      break;
    case "pointer":
      sky.pointer(m.phase, m.id, m.x, m.y);
      break;
    case "wheel":
      sky.wheel(m.deltaY);
      break;
  }
};
