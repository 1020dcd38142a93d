// Messages between the display page (stage.ts) and the VJ render worker (worker.ts). Types only, so the
// page can import them without pulling the renderer into its first load.
import type { ShowState } from "../../net/live.generated";
import type { AudioFeatures } from "./inputs";

export type Rgb = [number, number, number];

/** Page → worker. */
export type ToWorker =
  /** First message: the canvas to draw on and its CSS size; answered by `ready` or `failed`. */
  | { type: "init"; canvas: OffscreenCanvas; width: number; height: number; dpr: number }
  /** The canvas's CSS size or the device pixel ratio changed. */
  | { type: "resize"; width: number; height: number; dpr: number }
  /** The whole show state, after every change; answered by one `frame` when its version is first drawn. */
  | { type: "state"; state: ShowState }
  /** The server clock's offset from this machine's (server − local, ms). */
  | { type: "clock"; offset: number }
  /** The latest audio measurement. */
  | { type: "audio"; features: AudioFeatures }
  /** Asks for the mean colour of the last frame; answered by `probe` with the same id. */
  | { type: "probe"; id: number }
  /** Internal render scale, 0.1–1 (lower for slow GPUs). */
  | { type: "scale"; scale: number };

/** Worker → page. */
export type FromWorker =
  /** The renderer is up: its core shaders linked. */
  | { type: "ready" }
  /** The renderer could not start (no WebGL2, a shader failed); nothing will be drawn. */
  | { type: "failed"; message: string }
  /** A state version was first drawn whole, at `at` (Date.now() in the worker). */
  | { type: "frame"; version: number; at: number }
  /** Frames drawn in the last second, and the layers the latest one drew; once a second. */
  | { type: "fps"; fps: number; layers: number; /** The resolution drawn at (adaptive, 0.25–1). */ scale: number }
  /** The answer to a `probe`: mean RGB 0–255. */
  | { type: "probe"; id: number; rgb: Rgb };
