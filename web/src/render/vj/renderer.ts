// The VJ renderer: draws a show state with raw WebGL2. Each visible layer's effect is drawn as a
// fullscreen fragment shader into a texture, then laid over the image so far by a composite shader that
// knows all eight blend modes (ping-pong between two targets); a final pass brings the image to the canvas
// with the show's brightness and hue shift. Runs in the display's worker, or on the page as a fallback.
import type { ShowState } from "../../net/live.generated";
import { blendIndex } from "./blend";
import { bindTexture, createTarget, deleteTarget, Programs, type Program, type Target } from "./gl";
import { audioInput, globals, layerDraws, type AudioFeatures, type LayerDraw } from "./inputs";
import { COMPOSITE, effectShader, FINAL, VERTEX } from "./shaders";

export type { AudioFeatures } from "./inputs";

/** What one frame draws: the state, the server clock (ms) now, and the latest audio features. */
export interface VjFrame {
  state: ShowState;
  serverMs: number;
  audio: AudioFeatures | null;
}

/** The device pixel ratio is capped here: beyond 2 the cost grows faster than anyone can see. */
export const MAX_DPR = 2;
/** The side of the probe's framebuffer: 8 × 8 = 64 pixels read back. */
const PROBE_SIDE = 8;
/** Each probe pixel averages PROBE_TAPS² samples of the image: 128 × 128 in all, cheap on any GPU. */
const PROBE_TAPS = 16;
/** How long `ready` waits for the composite and final programs (ms). */
const READY_TIMEOUT_MS = 20_000;

interface Resources {
  programs: Programs;
  vao: WebGLVertexArrayObject;
  effect: Target | null;
  accum: [Target, Target] | null;
  probe: Target;
}

export class VjRenderer {
  /** Internal render scale (0.1–1) for slow GPUs; the image is upscaled to the canvas. */
  scale = 1;
  private readonly gl: WebGL2RenderingContext;
  private res: Resources | null = null;
  private width = 1;
  private height = 1;
  /** Which accumulation target holds the last frame. */
  private current = 0;
  private drawn = 0;
  private pending = false;
  private lastBeatMs: number | null = null;
  private brightness = 1;
  private hueShift = 0;
  private disposed = false;

  constructor(private readonly canvas: OffscreenCanvas | HTMLCanvasElement) {
    const gl = canvas.getContext("webgl2", { antialias: false, alpha: false, powerPreference: "high-performance" }) as WebGL2RenderingContext | null;
    if (!gl) throw new Error("WebGL2 is not available: the VJ display needs a browser and GPU with WebGL2");
    this.gl = gl;
    canvas.addEventListener("webglcontextlost", (e) => {
      e.preventDefault(); // without this the context is never restored
      this.res = null;
    });
    canvas.addEventListener("webglcontextrestored", () => this.disposed || this.build());
    this.build();
  }

  /** How many layers the last frame drew. */
  get drawnLayers(): number {
    return this.drawn;
  }

  /** Whether the last frame drew every layer it should have (none was still compiling). */
  get complete(): boolean {
    return this.res !== null && !this.pending;
  }

  /** Resolves once the composite and final programs are linked; rejects if either fails. */
  async ready(): Promise<void> {
    const started = Date.now();
    for (;;) {
      if (this.disposed) throw new Error("the VJ renderer was disposed while it started");
      const res = this.res;
      if (res) {
        res.programs.nextFrame();
        const failed = res.programs.error("composite") ?? res.programs.error("final");
        if (failed) throw new Error(failed);
        if (res.programs.get("composite", COMPOSITE) && res.programs.get("final", FINAL)) return;
      }
      if (Date.now() - started > READY_TIMEOUT_MS) throw new Error("the VJ shaders did not compile in time");
      await new Promise((r) => setTimeout(r, 16));
    }
  }

  /** Sets the canvas to CSS size × dpr (dpr capped at MAX_DPR). */
  resize(width: number, height: number, dpr: number): void {
    const ratio = Math.min(MAX_DPR, dpr > 0 ? dpr : 1);
    const max = (this.res && (this.gl.getParameter(this.gl.MAX_TEXTURE_SIZE) as number | null)) || 4096;
    this.width = Math.max(1, Math.min(max, Math.round(width * ratio)));
    this.height = Math.max(1, Math.min(max, Math.round(height * ratio)));
    this.canvas.width = this.width;
    this.canvas.height = this.height;
  }

  draw(frame: VjFrame): void {
    this.drawn = 0;
    this.pending = false;
    const res = this.res;
    if (!res) return;
    const gl = this.gl;
    res.programs.nextFrame();
    const composite = res.programs.get("composite", COMPOSITE);
    const final = res.programs.get("final", FINAL);
    if (!composite || !final) {
      this.pending = true;
      return;
    }
    const [effect, accum] = this.targets(res);
    if (frame.audio?.beat) this.lastBeatMs = frame.audio.serverMs;
    const draws = layerDraws(frame.state, frame.serverMs, audioInput(frame.audio, this.lastBeatMs, frame.serverMs));
    ({ brightness: this.brightness, hueShift: this.hueShift } = globals(frame.state));

    gl.bindVertexArray(res.vao);
    gl.disable(gl.BLEND);
    gl.viewport(0, 0, effect.width, effect.height);
    gl.bindFramebuffer(gl.FRAMEBUFFER, (this.current ? accum[1] : accum[0]).framebuffer);
    gl.clearColor(0, 0, 0, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    for (const d of draws) {
      const source = effectShader(d.effectType);
      if (source === undefined) continue;
      const program = res.programs.get(`effect:${d.effectType}`, source);
      if (!program) {
        // Still compiling: skip it this frame. A failed one is skipped for good (and was logged).
        if (!res.programs.error(`effect:${d.effectType}`)) this.pending = true;
        continue;
      }
      gl.bindFramebuffer(gl.FRAMEBUFFER, effect.framebuffer);
      gl.useProgram(program.handle);
      setEffectUniforms(gl, program, d, effect);
      gl.drawArrays(gl.TRIANGLES, 0, 3);

      const [below, next] = this.current ? [accum[1], accum[0]] : [accum[0], accum[1]];
      gl.bindFramebuffer(gl.FRAMEBUFFER, next.framebuffer);
      gl.useProgram(composite.handle);
      bindTexture(gl, 0, below.texture);
      bindTexture(gl, 1, effect.texture);
      composite.set1i("u_below", 0);
      composite.set1i("u_layer", 1);
      composite.set1i("u_mode", blendIndex(d.blend));
      composite.set1f("u_opacity", d.opacity);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
      this.current = 1 - this.current;
      this.drawn++;
    }
    this.finalPass(null, this.width, this.height);
  }

  /** The mean RGB (0–255) of the last frame, from an 8 × 8 downsampling of it: 64 pixels read back. */
  probe(): [number, number, number] {
    const res = this.res;
    if (!res) return [0, 0, 0];
    const gl = this.gl;
    if (!this.finalPass(res.probe.framebuffer, PROBE_SIDE, PROBE_SIDE, PROBE_TAPS)) return [0, 0, 0];
    const px = new Uint8Array(PROBE_SIDE * PROBE_SIDE * 4);
    gl.readPixels(0, 0, PROBE_SIDE, PROBE_SIDE, gl.RGBA, gl.UNSIGNED_BYTE, px);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    const sum = [0, 0, 0];
    for (let i = 0; i < px.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += px[i + c]!;
    const n = PROBE_SIDE * PROBE_SIDE;
    return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
  }

  /** Frees the GL resources; the renderer draws nothing afterwards. */
  dispose(): void {
    this.disposed = true;
    const res = this.res;
    this.res = null;
    if (!res) return;
    const gl = this.gl;
    res.programs.dispose();
    gl.deleteVertexArray(res.vao);
    deleteTarget(gl, res.effect);
    deleteTarget(gl, res.accum?.[0] ?? null);
    deleteTarget(gl, res.accum?.[1] ?? null);
    deleteTarget(gl, res.probe);
  }

  /** Creates everything the context holds; again after a context loss is restored. */
  private build(): void {
    const gl = this.gl;
    const vao = gl.createVertexArray();
    if (!vao) return; // lost again already; the next restore builds
    this.res = { programs: new Programs(gl, VERTEX), vao, effect: null, accum: null, probe: createTarget(gl, PROBE_SIDE, PROBE_SIDE) };
    this.current = 0;
    // Start the two programs every frame needs now, so they compile while the first state arrives.
    this.res.programs.get("composite", COMPOSITE);
    this.res.programs.get("final", FINAL);
  }

  /** The effect and accumulation targets at the internal render size, (re)made when it changed. */
  private targets(res: Resources): [Target, [Target, Target]] {
    const scale = Math.min(1, Math.max(0.1, this.scale || 1));
    const w = Math.max(1, Math.round(this.width * scale));
    const h = Math.max(1, Math.round(this.height * scale));
    if (!res.effect || !res.accum || res.effect.width !== w || res.effect.height !== h) {
      deleteTarget(this.gl, res.effect);
      deleteTarget(this.gl, res.accum?.[0] ?? null);
      deleteTarget(this.gl, res.accum?.[1] ?? null);
      res.effect = createTarget(this.gl, w, h);
      res.accum = [createTarget(this.gl, w, h), createTarget(this.gl, w, h)];
      this.current = 0;
    }
    return [res.effect, res.accum];
  }

  /** Draws the accumulated image into a framebuffer (null: the canvas); false if it cannot yet. */
  private finalPass(framebuffer: WebGLFramebuffer | null, width: number, height: number, taps = 1): boolean {
    const res = this.res;
    const final = res?.programs.get("final", FINAL);
    const image = res?.accum?.[this.current];
    if (!res || !final || !image) return false;
    const gl = this.gl;
    gl.bindVertexArray(res.vao);
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.viewport(0, 0, width, height);
    gl.useProgram(final.handle);
    bindTexture(gl, 0, image.texture);
    final.set1i("u_image", 0);
    final.set1f("u_brightness", this.brightness);
    final.set1f("u_hueShift", this.hueShift);
    final.set1i("u_taps", taps);
    gl.uniform2f(final.loc("u_outSize"), width, height);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    return true;
  }
}

function setEffectUniforms(gl: WebGL2RenderingContext, p: Program, d: LayerDraw, target: Target): void {
  gl.uniform2f(p.loc("u_res"), target.width, target.height);
  p.set1f("u_time", d.time);
  p.set1f("u_hue", d.hue);
  p.set1f("u_intensity", d.intensity);
  p.set1f("u_zoom", d.zoom);
  p.set1f("u_detail", d.detail);
  p.set1f("u_phase", d.phase);
  p.set1f("u_beat", d.beat);
  p.set1f("u_audioOn", d.audioOn);
  p.set1f("u_pulse", d.pulse);
  gl.uniform1fv(p.loc("u_audio"), d.audio);
}
