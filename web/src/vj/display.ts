// The display page (/show/<code>): joins the show as a display, renders its state full screen in a worker,
// keeps the screen awake, and reconnects by itself. The page shows nothing but the visuals unless something
// is wrong. Tests and the latency benchmark read `window.cosmicShow`.
import "./display.css";
import { Auth } from "../net/api";
import { LiveClient, type Status } from "../net/live";
import type { Op, Role, ShowState } from "../net/live.generated";
import type { Stage } from "../render/vj/stage";
import { joinCode } from "./code";
import { keepAwake, requestFullscreen } from "./screen";

const STATUS_GRACE_MS = 1_500;
const FRAMES_KEPT = 2_000;

let canvas = document.getElementById("stage") as HTMLCanvasElement;
/** Tries to start the renderer before the display says it cannot draw (a busy GPU can be slow to start). */
const RENDERER_TRIES = 3;
const statusLine = document.getElementById("status") as HTMLParagraphElement;
const splash = document.getElementById("splash") as HTMLParagraphElement;
const SPLASH_MS = 4_000;
const params = new URLSearchParams(location.search);
const code = joinCode(location.pathname, params);
const role: Role = params.get("role") === "viewer" ? "viewer" : "display";

const auth = new Auth();
let stage: Stage | null = null;
let rendererProblem = "";
/** (version, Date.now()) of the first frame that drew each new state version. */
const frames: { version: number; at: number }[] = [];
let fps = 0;
let layersDrawn = 0;
let scale = 1;

const client = new LiveClient({
  room: code ?? "",
  role,
  name: params.get("name") ?? "display",
  token: async () => (await auth.token()) ?? (await auth.guest(), (await auth.token())!),
});

/** (version, Date.now()) of each state the page received, before any drawing. */
const received: { version: number; at: number }[] = [];
client.onState = (state: ShowState) => {
  received.push({ version: state.version, at: Date.now() });
  if (received.length > FRAMES_KEPT) received.splice(0, received.length - FRAMES_KEPT);
  stage?.setState(state);
};
client.onAudio = (audio) => stage?.setAudio(audio);
client.onStatus = (status: Status) => showStatus(status);

let statusTimer: ReturnType<typeof setTimeout> | undefined;
function showStatus(status: Status): void {
  clearTimeout(statusTimer);
  const say = (text: string) => {
    statusLine.textContent = text;
    statusLine.hidden = text === "";
  };
  if (!code) return say("No show code in the address: open /show/<code> with the code the controller shows.");
  if (rendererProblem) return say(`This screen cannot draw the show: ${rendererProblem}`);
  if (status === "live") return say("");
  if (status === "failed") return say(`Cannot join show ${code}: ${client.problem || "refused"}.`);
  // A short gap (a reconnect) is not worth a message on a projector.
  statusTimer = setTimeout(() => say(`Reconnecting to show ${code}…${client.problem ? ` (${client.problem})` : ""}`), STATUS_GRACE_MS);
}

async function startStage(attempt = 1): Promise<void> {
  try {
    const { Stage } = await import("../render/vj/stage");
    stage = await Stage.start(canvas);
    rendererProblem = "";
    showStatus(client.status);
    stage.onFrame = (version, at) => {
      frames.push({ version, at });
      if (frames.length > FRAMES_KEPT) frames.splice(0, frames.length - FRAMES_KEPT);
    };
    stage.onFps = (f, layers, s) => {
      fps = f;
      layersDrawn = layers;
      scale = s;
    };
    if (client.state) stage.setState(client.state);
    stage.setClockOffset(client.clock.offset);
    setInterval(() => stage?.setClockOffset(client.clock.offset), 1_000);
  } catch (e) {
    rendererProblem = e instanceof Error ? e.message : String(e);
    showStatus(client.status);
    if (attempt < RENDERER_TRIES) {
      // A canvas handed to a worker cannot be taken back: the next try draws on a fresh one.
      const fresh = canvas.cloneNode() as HTMLCanvasElement;
      canvas.replaceWith(fresh);
      canvas = fresh;
      setTimeout(() => void startStage(attempt + 1), 2_000 * attempt);
    }
  }
}

if (code) {
  splash.textContent = `Cosmic VJ · show ${code}`;
  client.connect();
}
client.onWelcome = (room) => {
  if (room.name) splash.textContent = `${room.name} · ${room.code}`;
  setTimeout(() => splash.classList.add("gone"), SPLASH_MS);
};
showStatus(client.status);
// The visuals come after the first paint and never hold it up.
requestAnimationFrame(() => void startStage());
keepAwake();
// Ending the render worker as the page goes frees its GPU context at once, not when the page is collected.
addEventListener("pagehide", () => stage?.destroy());
addEventListener("click", () => requestFullscreen());
document.addEventListener("keydown", (e) => {
  if (e.key === "f" || e.key === "Enter") requestFullscreen();
});

if ("serviceWorker" in navigator && import.meta.env.PROD) {
  addEventListener("load", () => void navigator.serviceWorker.register("/sw.js").catch(() => undefined));
}

declare global {
  interface Window {
    cosmicShow: {
      readonly code: string | null;
      readonly status: Status;
      readonly problem: string;
      readonly state: ShowState | null;
      readonly role: string | undefined;
      readonly fps: number;
      readonly layersDrawn: number;
      /** The resolution the renderer draws at (adaptive, 0.25–1). */
      readonly scale: number;
      readonly frames: { version: number; at: number }[];
      readonly received: { version: number; at: number }[];
      readonly clockOffset: number;
      probe(): Promise<[number, number, number]>;
      tryOp(op: Op): Promise<unknown>;
    };
  }
}

window.cosmicShow = {
  code,
  get status() {
    return client.status;
  },
  get state() {
    return client.state;
  },
  get problem() {
    return client.problem;
  },
  get role() {
    return client.me?.role;
  },
  get fps() {
    return fps;
  },
  get layersDrawn() {
    return layersDrawn;
  },
  get scale() {
    return scale;
  },
  frames,
  received,
  get clockOffset() {
    return client.clock.offset;
  },
  probe: () => (stage ? stage.probe() : Promise.reject(new Error("the renderer is not running"))),
  tryOp: (op) => client.op(op),
};
