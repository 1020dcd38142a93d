// The child processes of a replay: the bookkeeping of every process it starts (mirrored in <work>/pids for
// the wrapper's trap), stopping them, free ports, the two client builds, and the origins (`cosmic serve`)
// with their request counts. Knows nothing of nginx or of the visits.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { request } from "./http.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const children = new Map(); // pid -> ChildProcess; mirrored in <work>/pids for the wrapper's trap

export function track(workDir, child) {
  children.set(child.pid, child);
  child.on("exit", () => { children.delete(child.pid); writePids(workDir); });
  writePids(workDir);
  return child;
}
function writePids(workDir) {
  fs.writeFileSync(path.join(workDir, "pids"), [...children.keys()].map((p) => `${p}\n`).join(""));
}

export async function stop(child, signal = "SIGTERM", timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  if (await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)])) return;
  child.kill("SIGKILL");
  await exited;
}

export async function stopAll() {
  await Promise.all([...children.values()].map((c) => stop(c)));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    }).on("error", reject);
  });
}

export function build(workDir, version) {
  const outDir = path.join(workDir, `dist-${version}`);
  const logFile = path.join(workDir, `build-${version}.log`);
  const r = spawnSync("npx", ["vite", "build", "--outDir", outDir, "--emptyOutDir"], {
    cwd: path.join(ROOT, "web"), env: { ...process.env, COSMIC_BUILD_ID: version },
    stdio: ["ignore", fs.openSync(logFile, "w"), fs.openSync(logFile, "a")],
  });
  if (r.status !== 0) throw new Error(`vite build ${version} failed (exit ${r.status}); see ${logFile}`);
  const index = fs.readFileSync(path.join(outDir, "index.html"));
  // The origin's ETag of a file is the first 16 hex digits of its SHA-256 (docs/web-delivery.md).
  return { version, outDir, htmlTag: createHash("sha256").update(index).digest("hex").slice(0, 16) };
}

/** Starts `cosmic serve` (opts.bin) on the port with the build `dist` and waits until it is ready. */
export async function startOrigin(opts, name, dist, port) {
  const out = fs.openSync(path.join(opts.workDir, `origin-${name}.log`), "a");
  const child = track(opts.workDir, spawn(opts.bin, ["serve", "--listen", `127.0.0.1:${port}`,
    "--data-dir", path.join(opts.workDir, `data-${name}`), "--web-dir", dist.outDir], {
    env: { ...process.env, COSMIC_LOG__FILTER: process.env.COSMIC_LOG__FILTER ?? "warn" },
    stdio: ["ignore", out, out],
  }));
  const origin = { name, port, child, dist };
  const deadline = performance.now() + 90_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`origin ${name} exited (${child.exitCode}); see origin-${name}.log`);
    const r = await request(port, "/health/ready").catch(() => null);
    if (r?.status === 200) return origin;
    await sleep(200);
  }
  throw new Error(`origin ${name} not ready after 90 s; see origin-${name}.log`);
}

/** Requests the origin answered by kind, from its own metrics (our probes and scrapes left out). */
export async function originRequests(origin) {
  const r = await request(origin.port, "/metrics");
  const counts = { api: 0, ws: 0, static: 0 };
  for (const line of r.body.toString().split("\n")) {
    const m = /^cosmic_http_requests_total\{([^}]*)\}\s+([0-9.e+]+)/.exec(line);
    const route = m && /route="([^"]*)"/.exec(m[1])?.[1];
    if (!m || route === "/health/ready" || route === "/metrics") continue;
    const kind = route === "/ws" ? "ws" : route.startsWith("/api/") ? "api" : "static";
    counts[kind] += Number(m[2]);
  }
  return counts;
}

export const addCounts = (a, b) => ({ api: a.api + b.api, ws: a.ws + b.ws, static: a.static + b.static });
export const total = (c) => c.api + c.ws + c.static;
