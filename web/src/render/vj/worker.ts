// The VJ render worker: owns the OffscreenCanvas and the renderer (through Host) and draws every
// animation frame, so the display page's thread only handles the network.
/// <reference lib="webworker" />
import { Host, type Schedule } from "./host";
import type { FromWorker, ToWorker } from "./messages";

declare const self: DedicatedWorkerGlobalScope;

// Workers in some browsers have no requestAnimationFrame: then about 60 frames a second by the clock.
const schedule: Schedule =
  typeof self.requestAnimationFrame === "function" ? (cb) => self.requestAnimationFrame(() => cb()) : (cb) => setTimeout(cb, 16);

const host = new Host((m: FromWorker) => self.postMessage(m), schedule);

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === "init") void host.init(m.canvas, m.width, m.height, m.dpr);
  else host.handle(m);
};
