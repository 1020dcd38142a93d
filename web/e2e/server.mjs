// Starts `cosmic serve` for a browser test: a free port, a fresh data directory, the built client.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before } from "node:test";

const root = resolve(import.meta.dirname, "../..");

export function cosmicBinary() {
  const bin = process.env.COSMIC_BIN ?? join(root, "target/debug/cosmic");
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it with \`cargo build --bin cosmic\` (or set COSMIC_BIN)`);
  return bin;
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Starts the server and resolves once /health/ready answers. `restart()` stops it (SIGTERM) and starts it
 * again on the same port and data; `stop()` ends it and removes its data.
 */
export async function startCosmic() {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "cosmic-e2e-"));
  const url = `http://127.0.0.1:${port}`;
  let child = await launch(port, dataDir, url);
  const halt = async () => {
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    const exited = new Promise((r) => child.once("exit", r));
    const late = await Promise.race([exited.then(() => false), new Promise((r) => setTimeout(() => r(true), 20_000))]);
    if (late) {
      child.kill("SIGKILL");
      await exited;
      throw new Error(`cosmic did not stop within 20 s of SIGTERM:\n${child.log()}`);
    }
  };
  return {
    url,
    async restart() {
      await halt();
      child = await launch(port, dataDir, url);
    },
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function launch(port, dataDir, url) {
  const child = spawn(
    cosmicBinary(),
    ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--web-dir", join(root, "web/dist"), "--world-bodies", "150"],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", DATABASE_URL: "", REDIS_URL: "" } },
  );
  let log = "";
  child.stderr.on("data", (d) => (log = (log + d).slice(-4000)));
  child.log = () => log;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cosmic exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`cosmic did not become ready in 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

/** The artefacts directory (screenshots) at the repository root. */
export const artifacts = resolve(root, "artifacts/e2e");

/**
 * A test file's shared server and browser: started before its tests, stopped after them. Read `env.server`
 * and `env.browser` inside tests.
 */
export function sharedServerAndBrowser(launchBrowser) {
  const env = { server: null, browser: null };
  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    env.server = await startCosmic();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}
