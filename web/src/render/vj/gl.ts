// WebGL2 plumbing for the VJ renderer: programs that compile in the background and render targets. With
// KHR_parallel_shader_compile the driver compiles on its own threads and we ask whether it is done each
// frame, so a frame never waits on a compile; status and logs are read once, when it says it is. Without
// the extension the status is read from the frame after the one that started the compile: browsers
// compile in their GPU process, so the compile then overlaps at least one frame.

/** A linked program and its uniform locations, looked up once each. */
export class Program {
  private readonly locations = new Map<string, WebGLUniformLocation | null>();

  constructor(
    private readonly gl: WebGL2RenderingContext,
    readonly handle: WebGLProgram,
  ) {}

  loc(name: string): WebGLUniformLocation | null {
    let l = this.locations.get(name);
    if (l === undefined) this.locations.set(name, (l = this.gl.getUniformLocation(this.handle, name)));
    return l;
  }

  set1f(name: string, v: number): void {
    this.gl.uniform1f(this.loc(name), v);
  }

  set1i(name: string, v: number): void {
    this.gl.uniform1i(this.loc(name), v);
  }
}

type Entry =
  | { state: "compiling"; program: WebGLProgram; vs: WebGLShader; fs: WebGLShader; frame: number }
  | { state: "ready"; program: Program }
  | { state: "failed"; error: string };

/** Programs by name, compiled on first request; `get` answers null until one is ready. */
export class Programs {
  private readonly entries = new Map<string, Entry>();
  private readonly parallel: KHR_parallel_shader_compile | null;
  /** Counts frames, so that without the extension a compile is looked at a frame after it started. */
  private frame = 0;

  constructor(
    private readonly gl: WebGL2RenderingContext,
    private readonly vertex: string,
  ) {
    this.parallel = gl.getExtension("KHR_parallel_shader_compile");
  }

  /** Marks the start of a frame. */
  nextFrame(): void {
    this.frame++;
  }

  /** The program, or null while it compiles or after it failed (the failure is logged once). */
  get(name: string, fragment: string): Program | null {
    // A lost context reports every program as done and failed: wait for the restore instead.
    if (this.gl.isContextLost()) return null;
    let e = this.entries.get(name);
    if (!e) this.entries.set(name, (e = this.start(fragment)));
    if (e.state === "compiling") {
      const done = this.parallel ? this.gl.getProgramParameter(e.program, this.parallel.COMPLETION_STATUS_KHR) : this.frame > e.frame;
      if (!done) return null;
      e = this.finish(name, e);
      this.entries.set(name, e);
    }
    return e.state === "ready" ? e.program : null;
  }

  /** The error of a program that failed, if it has. */
  error(name: string): string | null {
    const e = this.entries.get(name);
    return e?.state === "failed" ? e.error : null;
  }

  dispose(): void {
    for (const e of this.entries.values()) {
      if (e.state === "compiling") this.gl.deleteProgram(e.program);
      if (e.state === "ready") this.gl.deleteProgram(e.program.handle);
    }
    this.entries.clear();
  }

  private start(fragment: string): Entry {
    const gl = this.gl;
    const program = gl.createProgram();
    const vs = gl.createShader(gl.VERTEX_SHADER);
    const fs = gl.createShader(gl.FRAGMENT_SHADER);
    if (!program || !vs || !fs) return { state: "failed", error: "the GL context is lost" };
    gl.shaderSource(vs, this.vertex);
    gl.shaderSource(fs, fragment);
    gl.compileShader(vs);
    gl.compileShader(fs);
    gl.attachShader(program, vs);
    gl.attachShader(program, fs);
    gl.linkProgram(program);
    return { state: "compiling", program, vs, fs, frame: this.frame };
  }

  private finish(name: string, e: Extract<Entry, { state: "compiling" }>): Entry {
    const gl = this.gl;
    const ok = gl.getProgramParameter(e.program, gl.LINK_STATUS) as boolean;
    let error = "";
    if (!ok) {
      const logs = [gl.getShaderInfoLog(e.fs), gl.getShaderInfoLog(e.vs), gl.getProgramInfoLog(e.program)];
      error = `VJ shader "${name}" failed to compile: ${logs.filter((l) => l).join("\n") || "no log"}`;
      console.error(error);
    }
    gl.detachShader(e.program, e.vs);
    gl.detachShader(e.program, e.fs);
    gl.deleteShader(e.vs);
    gl.deleteShader(e.fs);
    if (!ok) {
      gl.deleteProgram(e.program);
      return { state: "failed", error };
    }
    return { state: "ready", program: new Program(gl, e.program) };
  }
}

/** A colour texture with a framebuffer drawing into it. */
export interface Target {
  texture: WebGLTexture;
  framebuffer: WebGLFramebuffer;
  width: number;
  height: number;
}

export function createTarget(gl: WebGL2RenderingContext, width: number, height: number): Target {
  const texture = gl.createTexture();
  const framebuffer = gl.createFramebuffer();
  if (!texture || !framebuffer) throw new Error("could not create a render target (is the GL context lost?)");
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, width, height);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
  gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  gl.bindTexture(gl.TEXTURE_2D, null);
  return { texture, framebuffer, width, height };
}

export function deleteTarget(gl: WebGL2RenderingContext, t: Target | null): void {
  if (!t) return;
  gl.deleteTexture(t.texture);
  gl.deleteFramebuffer(t.framebuffer);
}

export function bindTexture(gl: WebGL2RenderingContext, unit: number, texture: WebGLTexture): void {
  gl.activeTexture(gl.TEXTURE0 + unit);
  gl.bindTexture(gl.TEXTURE_2D, texture);
}
