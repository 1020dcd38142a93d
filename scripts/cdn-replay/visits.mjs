// The visits: the visitor population and its seeded schedule, one visit as a browser makes it (page,
// what it names, sw.js and its precache, the API call, the WebSocket upgrade), the checks on every response,
// and what the visits leave behind: records, errors and the replay's shared state. Does not start or stop
// processes, and does not sum anything up (report.mjs).

import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { parseOnce, parserFor, request } from "./http.mjs";

const WS_SUBPROTOCOL = "cosmic.v1.bin";

// Seeded PRNG (mulberry32): the same seed replays the same visit mix.
function mulberry32(seed0) {
  let seed = seed0 >>> 0;
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
export function schedule(opts) {
  const rand = mulberry32(opts.seed);
  const pick = (weighted) => {
    let r = rand() * weighted.reduce((s, [w]) => s + w, 0);
    for (const [w, v] of weighted) if ((r -= w) < 0) return v;
    return weighted[weighted.length - 1][1];
  };
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

export const records = [];
export const errors = [];
// switchedAt: seconds into the replay when the edge moved to the new origin; oldHtmlAfterSwitch: when (in
// seconds after the switch) a visitor was still given the previous build's HTML.
export const state = { edgePort: 0, switchedAt: null, versions: {}, started: 0, oldHtmlAfterSwitch: [] };

export function problem(msg) {
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
  const t = (performance.now() - state.started) / 1000;
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
    state.oldHtmlAfterSwitch.push((performance.now() - state.started) / 1000 - state.switchedAt);
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
  const started = performance.now();
  const done = (status, msg) => {
    records.push({ kind: "ws", path: "/ws", status, ms: performance.now() - started, bytes: 0, cache: "" });
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

export async function visit({ visitor, kind, ws }) {
  if (kind !== "warm") visitor.cache.clear();
  await page(visitor, visitor.landing, kind === "warm");
  await api(visitor);
  if (ws) await websocket();
}
