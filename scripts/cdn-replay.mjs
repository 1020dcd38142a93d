// Replays a realistic visit mix through the nginx CDN edge (deploy/nginx/cosmic-edge.conf) in front of
// `cosmic serve`, with a blue-green deploy of a new client build halfway, and reports the edge's cache hit
// ratio. Started by scripts/cdn-replay.sh, which owns the work directory and the last-resort cleanup; this
// program stops what it starts. Node's standard library only (node:http rather than fetch: we want the
// bytes on the wire, not decoded bodies). See docs/cdn.md for the visit mix and how to read the report.

import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EDGE_CONF = path.join(ROOT, "deploy/nginx/cosmic-edge.conf");
const HTML_TTL_S = 5; // proxy_cache_valid of the micro-cached locations in EDGE_CONF
const WS_SUBPROTOCOL = "cosmic.v1.bin";

// ---------------------------------------------------------------------------------------------- options

const DEFAULTS = {
  visits: 3000, visitors: 600, duration: 75, concurrency: 16, seed: 1, minHitRatio: 0.95, wsShare: 1,
  json: false, workDir: "", bin: "target/debug/cosmic", nginx: "/usr/sbin/nginx",
};

function parseArgs(argv) {
  const o = { ...DEFAULTS };
  const numeric = { "--visits": "visits", "--visitors": "visitors", "--duration": "duration",
    "--concurrency": "concurrency", "--seed": "seed", "--min-hit-ratio": "minHitRatio", "--ws-share": "wsShare" };
  const text = { "--work-dir": "workDir", "--bin": "bin", "--nginx": "nginx" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") o.json = true;
    else if (a === "--keep") continue; // the wrapper's
    else if (numeric[a] && Number.isFinite(Number(argv[i + 1]))) o[numeric[a]] = Number(argv[++i]);
    else if (text[a] && argv[i + 1]) o[text[a]] = argv[++i];
    else throw new Error(`unknown or incomplete argument: ${a} (see scripts/cdn-replay.sh)`);
  }
  if (!o.workDir) throw new Error("--work-dir is required (run scripts/cdn-replay.sh)");
  if (o.visitors < 1 || o.visits < o.visitors) throw new Error("need 1 <= --visitors <= --visits");
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (msg) => process.stderr.write(`cdn-replay: ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// Seeded PRNG (mulberry32): the same seed replays the same visit mix.
let seed = opts.seed >>> 0;
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (weighted) => {
  let r = rand() * weighted.reduce((s, [w]) => s + w, 0);
  for (const [w, v] of weighted) if ((r -= w) < 0) return v;
  return weighted[weighted.length - 1][1];
};

// ------------------------------------------------------------------------------------------- processes

const children = new Map(); // pid -> ChildProcess; mirrored in <work>/pids for the wrapper's trap

function track(child) {
  children.set(child.pid, child);
  child.on("exit", () => { children.delete(child.pid); writePids(); });
  writePids();
  return child;
}
function writePids() {
  fs.writeFileSync(path.join(opts.workDir, "pids"), [...children.keys()].map((p) => `${p}\n`).join(""));
}

async function stop(child, signal = "SIGTERM", timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  if (await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)])) return;
  child.kill("SIGKILL");
  await exited;
}

async function stopAll() {
  await Promise.all([...children.values()].map((c) => stop(c)));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    }).on("error", reject);
  });
}

function build(version) {
  const outDir = path.join(opts.workDir, `dist-${version}`);
  const logFile = path.join(opts.workDir, `build-${version}.log`);
  const r = spawnSync("npx", ["vite", "build", "--outDir", outDir, "--emptyOutDir"], {
    cwd: path.join(ROOT, "web"), env: { ...process.env, COSMIC_BUILD_ID: version },
    stdio: ["ignore", fs.openSync(logFile, "w"), fs.openSync(logFile, "a")],
  });
  if (r.status !== 0) throw new Error(`vite build ${version} failed (exit ${r.status}); see ${logFile}`);
  const index = fs.readFileSync(path.join(outDir, "index.html"));
  // The origin's ETag of a file is the first 16 hex digits of its SHA-256 (docs/web-delivery.md).
  return { version, outDir, htmlTag: createHash("sha256").update(index).digest("hex").slice(0, 16) };
}

async function startOrigin(name, dist, port) {
  const out = fs.openSync(path.join(opts.workDir, `origin-${name}.log`), "a");
  const child = track(spawn(opts.bin, ["serve", "--listen", `127.0.0.1:${port}`,
    "--data-dir", path.join(opts.workDir, `data-${name}`), "--web-dir", dist.outDir], {
    env: { ...process.env, COSMIC_LOG__FILTER: process.env.COSMIC_LOG__FILTER ?? "warn" },
    stdio: ["ignore", out, out],
  }));
  const origin = { name, port, child, dist };
  const deadline = now() + 90_000;
  while (now() < deadline) {
    if (child.exitCode !== null) throw new Error(`origin ${name} exited (${child.exitCode}); see origin-${name}.log`);
    const r = await request(port, "/health/ready").catch(() => null);
    if (r?.status === 200) return origin;
    await sleep(200);
  }
  throw new Error(`origin ${name} not ready after 90 s; see origin-${name}.log`);
}

/** Requests the origin answered by kind, from its own metrics (our probes and scrapes left out). */
async function originRequests(origin) {
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

const addCounts = (a, b) => ({ api: a.api + b.api, ws: a.ws + b.ws, static: a.static + b.static });
const total = (c) => c.api + c.ws + c.static;

// ---------------------------------------------------------------------------------------------- nginx

function renderEdgeConf(prefix, originPort, edgePort) {
  const values = {
    COSMIC_ORIGIN: `127.0.0.1:${originPort}`, EDGE_LISTEN: `127.0.0.1:${edgePort}`,
    EDGE_CACHE_DIR: path.join(prefix, "cache"), EDGE_LOG_DIR: path.join(prefix, "logs"),
  };
  // envsubst with an explicit list: only these four ${NAMES}; nginx's own $variables stay.
  const conf = fs.readFileSync(EDGE_CONF, "utf8").replace(/\$\{(\w+)\}/g, (m, k) => values[k] ?? m);
  fs.writeFileSync(path.join(prefix, "conf/cosmic-edge.conf"), conf);
}

function nginxMainConf(prefix) {
  const asRoot = process.getuid?.() === 0;
  const tmp = (n) => path.join(prefix, "tmp", n);
  return `# Generated by scripts/cdn-replay.mjs: a private nginx around deploy/nginx/cosmic-edge.conf.
${asRoot ? "user nobody nogroup;" : ""}
worker_processes 2;
error_log ${path.join(prefix, "logs/error.log")} warn;
pid ${path.join(prefix, "logs/nginx.pid")};
events { worker_connections 2048; }
http {
    client_body_temp_path ${tmp("body")};
    proxy_temp_path ${tmp("proxy")};
    fastcgi_temp_path ${tmp("fastcgi")};
    uwsgi_temp_path ${tmp("uwsgi")};
    scgi_temp_path ${tmp("scgi")};
    include ${path.join(prefix, "conf/cosmic-edge.conf")};
}
`;
}

function nginxArgs(prefix) {
  return ["-p", prefix, "-c", path.join(prefix, "conf/nginx.conf"), "-e", path.join(prefix, "logs/error.log")];
}

function nginxTest(prefix) {
  const r = spawnSync(opts.nginx, [...nginxArgs(prefix), "-t", "-q"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`nginx -t failed:\n${r.stderr}`);
}

async function startEdge(originPort) {
  const prefix = path.join(opts.workDir, "nginx");
  for (const d of ["conf", "logs", "cache", "tmp"]) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  if (process.getuid?.() === 0) {
    // Workers run as nobody: they write the cache and the temp files.
    spawnSync("chown", ["-R", "nobody:nogroup", path.join(prefix, "cache"), path.join(prefix, "tmp")]);
  }
  const port = await freePort();
  renderEdgeConf(prefix, originPort, port);
  fs.writeFileSync(path.join(prefix, "conf/nginx.conf"), nginxMainConf(prefix));
  nginxTest(prefix);
  const child = track(spawn(opts.nginx, [...nginxArgs(prefix), "-g", "daemon off;"], { stdio: "ignore" }));
  const deadline = now() + 10_000;
  while (now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}); see ${prefix}/logs/error.log`);
    const r = await request(port, "/health/ready").catch(() => null);
    if (r?.status === 200) return { prefix, port, child };
    await sleep(100);
  }
  throw new Error("the edge did not answer within 10 s");
}

// ------------------------------------------------------------------------------------------------ HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: 96 });

function request(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const started = now();
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks),
        ms: now() - started }));
      res.on("error", reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: GET ${urlPath}`)));
    req.on("error", reject);
  });
}

function decode(res) {
  const enc = res.headers["content-encoding"];
  if (enc === "br") return zlib.brotliDecompressSync(res.body).toString();
  if (enc === "gzip") return zlib.gunzipSync(res.body).toString();
  return res.body.toString();
}

// What the client finds in a file, memoised by representation (the same ETag is the same bytes).
const parsed = new Map();
function parseOnce(res, parse) {
  const key = `${res.headers.etag}|${parse.name}`;
  if (!parsed.has(key)) parsed.set(key, parse(decode(res)));
  return parsed.get(key);
}

/** The parser for a file the client reads: HTML, the service worker, or a script that may import lazily. */
function parserFor(urlPath) {
  if (urlPath === "/sw.js") return precacheList;
  if (urlPath.endsWith(".js")) return scriptRefs;
  if (!path.extname(urlPath) || urlPath.endsWith(".html")) return htmlLinks;
  return null;
}

/** index.html: what the browser loads right away (stylesheet, scripts, modulepreloads, icon, manifest). */
function htmlLinks(html) {
  const urls = new Set();
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) urls.add(m[1]);
  for (const m of html.matchAll(/<link\b[^>]*>/g)) {
    const rel = /\brel="([^"]+)"/.exec(m[0])?.[1] ?? "";
    const href = /\bhref="([^"]+)"/.exec(m[0])?.[1];
    if (href && /\b(stylesheet|modulepreload|icon|manifest)\b/.test(rel)) urls.add(href);
  }
  return [...urls].filter((u) => u.startsWith("/"));
}

/** A script: the chunks it loads itself, as built by Vite: static imports, lazy `import()`s (the sky view)
 *  and workers started with `new Worker(new URL(…))` (three.js). */
function scriptRefs(js) {
  const names = new Set();
  const ref = String.raw`[\x60"'](?:\.\/|\/assets\/)([\w.-]+\.js)[\x60"']`;
  const patterns = [String.raw`\bimport\(\s*` + ref, String.raw`\bfrom\s*` + ref, String.raw`\bimport\s*` + ref,
    String.raw`\bnew URL\(\s*` + ref];
  for (const p of patterns) for (const m of js.matchAll(new RegExp(p, "g"))) names.add(`/assets/${m[1]}`);
  return [...names];
}

/** sw.js: the precache list. */
function precacheList(sw) {
  const m = /const PRECACHE = (\[[\s\S]*?\]);/.exec(sw);
  return m ? JSON.parse(m[1]) : [];
}

// ------------------------------------------------------------------------------------------- the visits

// Accept-Encoding of the visitor population (fixed per visitor): mostly current browsers, some clients or
// proxies without Brotli, a few bots and tools with no header at all.
const ENCODINGS = [
  [70, { ae: "gzip, deflate, br, zstd", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0" }],
  [16, { ae: "gzip, deflate, br", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15" }],
  [2, { ae: "br;q=1.0, gzip;q=0.8, *;q=0.1", ua: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" }],
  [8, { ae: "gzip, deflate", ua: "Mozilla/5.0 (Linux; Android 9) AppleWebKit/537.36 Chrome/80.0 Mobile" }],
  [4, { ae: undefined, ua: "Mozilla/5.0 (compatible; ExampleBot/2.1)" }],
];
const LANDING = [[85, "/"], [10, "/play"], [5, "/leaderboard"]];
const REPEAT = [[85, "warm"], [15, "cleared"]];

/** --visitors sharing --visits (600 and 3,000 by default): everyone visits once, the rest goes to returning visitors with a
 *  long tail (a few come back often). A visitor's first visit is cold; later ones are warm or cleared. */
function schedule() {
  const visitors = Array.from({ length: opts.visitors }, (_, id) => ({
    id, ...pick(ENCODINGS), landing: pick(LANDING), cache: new Map(), last: Promise.resolve(),
  }));
  const visits = visitors.map((v) => v);
  for (let i = opts.visitors; i < opts.visits; i++) visits.push(visitors[Math.floor(opts.visitors * rand() ** 2)]);
  for (let i = visits.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [visits[i], visits[j]] = [visits[j], visits[i]];
  }
  const seen = new Set();
  let at = 0;
  const gap = (opts.duration * 1000) / opts.visits;
  return visits.map((visitor) => {
    const kind = seen.has(visitor.id) ? pick(REPEAT) : "first";
    seen.add(visitor.id);
    at += -Math.log(1 - rand()) * gap; // Poisson arrivals
    return { visitor, kind, at, ws: rand() < opts.wsShare };
  });
}

const records = [];
const errors = [];
// switchedAt: seconds into the replay when the edge moved to the new origin; oldHtmlAfterSwitch: when (in
// seconds after the switch) a visitor was still given the previous build's HTML.
const state = { edgePort: 0, switchedAt: null, versions: {}, started: 0, oldHtmlAfterSwitch: [] };

function problem(msg) {
  if (errors.length < 200) errors.push(msg);
  else if (errors.length === 200) errors.push("… (more errors not shown)");
}

function versionOfTag(tag) {
  const hex = (tag ?? "").replace(/^W\//, "").replace(/"/g, "").split("-")[0];
  return Object.values(state.versions).find((d) => d.htmlTag === hex)?.version ?? "?";
}

/** One GET through the edge as the visitor's browser would send it, checked and recorded. */
async function get(visitor, urlPath, kind, conditional) {
  const headers = { "user-agent": visitor.ua, accept: "*/*" };
  if (visitor.ae) headers["accept-encoding"] = visitor.ae;
  const cached = visitor.cache.get(urlPath);
  if (conditional && cached?.etag) headers["if-none-match"] = cached.etag;
  let res;
  try {
    res = await request(state.edgePort, urlPath, headers);
  } catch (e) {
    problem(`GET ${urlPath}: ${e.message}`);
    records.push({ kind, status: 0, ms: 0, bytes: 0 });
    return null;
  }
  const t = (now() - state.started) / 1000;
  records.push({ kind, path: urlPath, status: res.status, ms: res.ms, bytes: res.body.length,
    cache: res.headers["x-cache-status"] ?? "", t });
  if (res.status >= 500 || res.status === 404 || !(res.status === 200 || (res.status === 304 && conditional))) {
    problem(`GET ${urlPath} (${visitor.ae ?? "no Accept-Encoding"}): ${res.status} at +${t.toFixed(1)} s`);
    return null;
  }
  if (kind === "static") checkStatic(visitor, urlPath, res);
  return res;
}

function checkStatic(visitor, urlPath, res) {
  const cc = res.headers["cache-control"] ?? "";
  const wantCc = urlPath.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
  if (cc !== wantCc) problem(`${urlPath}: Cache-Control "${cc}", expected "${wantCc}"`);
  const enc = res.headers["content-encoding"];
  const ae = visitor.ae ?? "";
  if (res.status !== 200) return;
  if (enc && !ae.split(",").some((c) => c.trim().startsWith(enc))) {
    problem(`${urlPath}: Content-Encoding ${enc} sent to a client accepting "${ae}"`);
  }
  // A file with variants (Vary) goes to a Brotli-capable client as Brotli: the edge kept the variants apart.
  if (/accept-encoding/i.test(res.headers.vary ?? "") && /(^|,)\s*br\b/.test(ae) && enc !== "br") {
    problem(`${urlPath}: ${enc ?? "identity"} sent to a client accepting "${ae}"`);
  }
}

/** Fetches (or revalidates) a file into the visitor's browser cache; returns the cached entry. */
async function load(visitor, urlPath, { revalidate = false } = {}) {
  const have = visitor.cache.get(urlPath);
  if (have && !revalidate) return have; // immutable, or not re-requested in this visit
  const res = await get(visitor, urlPath, "static", Boolean(have));
  if (!res) return null;
  if (res.status === 304) return have;
  const parse = parserFor(urlPath);
  // The browser cache keeps the validator and what the page needs from the file, not the bytes.
  const entry = { etag: res.headers.etag, info: parse ? parseOnce(res, parse) : null };
  visitor.cache.set(urlPath, entry);
  return entry;
}

async function page(visitor, landing, revalidate) {
  const doc = await load(visitor, landing, { revalidate });
  if (!doc) return;
  const links = doc.info;
  if (state.switchedAt !== null && versionOfTag(doc.etag) === "v1") {
    state.oldHtmlAfterSwitch.push((now() - state.started) / 1000 - state.switchedAt);
  }
  // The parser finds stylesheet, entry and preloads at once; the browser fetches them in parallel.
  const entries = await Promise.all(links.map((u) => load(visitor, u)));
  // Then what the scripts load themselves, level by level: the lazy sky view after first paint, the
  // worker it starts.
  const seen = new Set(links);
  let scripts = links.filter((u, i) => u.endsWith(".js") && entries[i]);
  while (scripts.length) {
    const refs = scripts.flatMap((u) => visitor.cache.get(u)?.info ?? []).filter((u) => !seen.has(u));
    for (const u of refs) seen.add(u);
    scripts = (await Promise.all(refs.map((u) => load(visitor, u)))).flatMap((e, i) => (e ? [refs[i]] : []));
  }
  // On load the page registers /sw.js (checked on every navigation); a new one precaches its list
  // through the HTTP cache: hashed files it holds are not requested again, unhashed ones are revalidated.
  const before = visitor.cache.get("/sw.js")?.etag;
  const sw = await load(visitor, "/sw.js", { revalidate: true });
  if (sw && sw.etag !== before) {
    await Promise.all(sw.info.map((u) => load(visitor, u, { revalidate: !u.startsWith("/assets/") })));
  }
}

async function api(visitor) {
  const res = await get(visitor, "/api/leaderboard?world=1&limit=10", "api", false);
  if (res && !/no-store/.test(res.headers["cache-control"] ?? "")) problem("/api/leaderboard: not no-store");
  if (res?.headers["x-cache-status"]) problem(`/api/leaderboard: X-Cache-Status ${res.headers["x-cache-status"]}`);
}

/** A WebSocket upgrade through the edge: 101 with our subprotocol and a correct accept key, then close. */
function websocket() {
  const key = randomBytes(16).toString("base64");
  const started = now();
  const done = (status, msg) => {
    records.push({ kind: "ws", path: "/ws", status, ms: now() - started, bytes: 0, cache: "" });
    if (msg) problem(`/ws: ${msg}`);
  };
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port: state.edgePort, path: "/ws", agent: false, headers: {
      connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": key,
      "sec-websocket-protocol": WS_SUBPROTOCOL } });
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.on("upgrade", (res, socket) => {
      const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      if (res.headers["sec-websocket-accept"] !== accept) done(101, "bad Sec-WebSocket-Accept");
      else if (res.headers["sec-websocket-protocol"] !== WS_SUBPROTOCOL) done(101, "subprotocol not chosen");
      else done(101);
      // A masked close frame (code 1000), then hang up.
      socket.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
      socket.on("error", () => {});
      resolve();
    });
    req.on("response", (res) => { done(res.statusCode, `HTTP ${res.statusCode}, expected 101`); res.resume(); resolve(); });
    req.on("error", (e) => { done(0, e.message); resolve(); });
  });
}

async function visit({ visitor, kind, ws }) {
  if (kind !== "warm") visitor.cache.clear();
  await page(visitor, visitor.landing, kind === "warm");
  await api(visitor);
  if (ws) await websocket();
}

// ----------------------------------------------------------------------------------------------- deploy

/** Blue-green: start the new build beside the old one, point the edge at it (graceful reload), let the
 *  old one drain, stop it. Returns the old origin's request count. */
async function deploy(blue, green, edge) {
  renderEdgeConf(edge.prefix, green.port, edge.port);
  nginxTest(edge.prefix);
  edge.child.kill("SIGHUP");
  state.switchedAt = (now() - state.started) / 1000;
  log(`deploy: edge switched to the new origin at +${state.switchedAt.toFixed(1)} s`);
  // Old workers finish their requests; wait until the old origin has had no traffic for a second.
  let count = await originRequests(blue);
  for (let i = 0; i < 30; i++) {
    await sleep(1000);
    const next = await originRequests(blue);
    if (total(next) === total(count)) break;
    count = next;
  }
  await stop(blue.child);
  return count;
}

// ----------------------------------------------------------------------------------------------- report

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

function readEdgeLog(prefix) {
  const file = path.join(prefix, "logs/cosmic-edge.access.log");
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => !(e.uri === "/health/ready" && e.ua === "")); // our readiness probe
}

function hitRatio(lines) {
  const cached = lines.filter((e) => e.cache);
  return cached.length ? cached.filter((e) => e.cache === "HIT").length / cached.length : 0;
}

function report(lines, origin, elapsed, deployInfo) {
  const statuses = {};
  for (const e of lines) if (e.cache) statuses[e.cache] = (statuses[e.cache] ?? 0) + 1;
  const cacheable = lines.filter((e) => e.cache).length;
  const hits = statuses.HIT ?? 0;
  const ms = records.map((r) => r.ms).sort((a, b) => a - b);
  const staticMs = records.filter((r) => r.kind === "static").map((r) => r.ms).sort((a, b) => a - b);
  const byKind = (k) => records.filter((r) => r.kind === k).length;
  const old = state.oldHtmlAfterSwitch;
  const round = (x, d = 4) => Number(x.toFixed(d));
  return {
    visits: opts.visits, visitors: opts.visitors, seconds: round(elapsed, 1),
    requests: lines.length, static_requests: cacheable, api_requests: byKind("api"), ws_upgrades: byKind("ws"),
    hit_ratio_static: round(cacheable ? hits / cacheable : 0),
    hit_ratio_assets: round(hitRatio(lines.filter((e) => e.uri.startsWith("/assets/")))),
    hit_ratio_micro_cached: round(hitRatio(lines.filter((e) => !e.uri.startsWith("/assets/")))),
    hit_ratio_all: round(lines.length ? hits / lines.length : 0),
    cache_status: statuses,
    status_304: lines.filter((e) => e.status === 304).length,
    origin_requests: { total: total(origin), ...origin },
    bytes_to_clients: lines.reduce((s, e) => s + e.bytes, 0),
    latency_ms: { p50: round(percentile(ms, 50), 2), p99: round(percentile(ms, 99), 2),
      static_p50: round(percentile(staticMs, 50), 2), static_p99: round(percentile(staticMs, 99), 2) },
    deploy: { switched_at_s: round(deployInfo.switchedAt, 1), old_html_served_after_switch: old.length,
      last_old_html_after_switch_s: old.length ? round(Math.max(...old), 2) : 0 },
    errors: errors.length,
  };
}

function human(r) {
  const pct = (x) => `${(100 * x).toFixed(2)} %`;
  const st = Object.entries(r.cache_status).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  return [
    `CDN replay: ${r.visits} visits by ${r.visitors} visitors in ${r.seconds} s, deploy at +${r.deploy.switched_at_s} s`,
    `  requests at the edge     ${r.requests} (static ${r.static_requests}, API ${r.api_requests}, WebSocket ${r.ws_upgrades}); 304s ${r.status_304}`,
    `  static hit ratio         ${pct(r.hit_ratio_static)}  (target ${pct(opts.minHitRatio)})  [${st}]`,
    `    hashed assets          ${pct(r.hit_ratio_assets)}; micro-cached HTML, sw.js, icon, manifest ${pct(r.hit_ratio_micro_cached)}`,
    `  hit ratio, all requests  ${pct(r.hit_ratio_all)}  (API and WebSocket always go to the origin)`,
    `  origin requests          ${r.origin_requests.total} (static ${r.origin_requests.static}, API ${r.origin_requests.api}, WebSocket ${r.origin_requests.ws}), from its metrics`,
    `  bytes to clients         ${(r.bytes_to_clients / 1e6).toFixed(1)} MB`,
    `  edge latency             p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms (static p50 ${r.latency_ms.static_p50}, p99 ${r.latency_ms.static_p99})`,
    `  after the deploy         old HTML served ${r.deploy.old_html_served_after_switch} times, last at +${r.deploy.last_old_html_after_switch_s} s (micro-cache ${HTML_TTL_S} s)`,
    `  errors                   ${r.errors}`,
  ].join("\n");
}

// ------------------------------------------------------------------------------------------------- main

async function main() {
  log("building the client twice (v1, v2)…");
  state.versions = { v1: build("v1"), v2: build("v2") };
  const [bluePort, greenPort] = [await freePort(), await freePort()];
  log("starting the origin (v1) and the edge…");
  const blue = await startOrigin("blue", state.versions.v1, bluePort);
  const edge = await startEdge(blue.port);
  state.edgePort = edge.port;

  const plan = schedule();
  const half = plan[Math.floor(plan.length / 2)].at;
  log(`replaying ${plan.length} visits over ~${opts.duration} s, ${opts.concurrency} in flight, deploy at ~+${(half / 1000).toFixed(0)} s`);
  let inFlight = 0;
  const waiting = [];
  const acquire = () => (inFlight < opts.concurrency ? (inFlight++, Promise.resolve()) : new Promise((r) => waiting.push(r)));
  const release = () => (waiting.length ? waiting.shift()() : inFlight--);
  const all = [];
  let deployDone = null;
  let blueCount = { api: 0, ws: 0, static: 0 };
  let green = null;
  state.started = now();
  for (const v of plan) {
    const wait = v.at - (now() - state.started);
    if (wait > 0) await sleep(wait);
    if (!deployDone && v.at >= half) {
      deployDone = (async () => {
        green = await startOrigin("green", state.versions.v2, greenPort);
        blueCount = await deploy(blue, green, edge);
      })().catch((e) => problem(`deploy: ${e.message}`));
    }
    const run = v.visitor.last.then(async () => {
      await acquire();
      try { await visit(v); } finally { release(); }
    });
    v.visitor.last = run.catch((e) => problem(`visit: ${e.message}`));
    all.push(v.visitor.last);
  }
  await Promise.all(all);
  await deployDone;
  const elapsed = (now() - state.started) / 1000;
  const greenCount = green ? await originRequests(green) : { api: 0, ws: 0, static: 0 };
  agent.destroy();
  await stop(edge.child, "SIGQUIT");
  await stopAll();

  const r = report(readEdgeLog(edge.prefix), addCounts(blueCount, greenCount), elapsed, { switchedAt: state.switchedAt ?? 0 });
  if (r.deploy.last_old_html_after_switch_s > HTML_TTL_S + 5) problem("old HTML served long after the deploy");
  r.errors = errors.length;
  for (const e of errors.slice(0, 20)) log(`error: ${e}`);
  if (opts.json) {
    process.stderr.write(`${human(r)}\n`);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    process.stdout.write(`${human(r)}\n`);
  }
  if (errors.length) return 1;
  if (r.hit_ratio_static < opts.minHitRatio) { log("static hit ratio below target"); return 2; }
  return 0;
}

let exiting = false;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    if (exiting) return;
    exiting = true;
    log(`${sig}: stopping`);
    await stopAll();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  async (e) => { log(`failed: ${e.message}`); await stopAll(); process.exit(1); },
);
