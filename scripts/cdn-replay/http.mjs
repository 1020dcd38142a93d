// HTTP as the replay speaks it: plain GETs over a keep-alive agent (node:http rather than fetch: we want
// the bytes on the wire, not decoded bodies), decoding of compressed bodies, and what a client finds in a
// file (links in HTML, chunk references in scripts, sw.js's precache list). No checks, no bookkeeping.

import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";

export const agent = new http.Agent({ keepAlive: true, maxSockets: 96 });

export function request(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks),
        ms: performance.now() - started }));
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
export function parseOnce(res, parse) {
  const key = `${res.headers.etag}|${parse.name}`;
  if (!parsed.has(key)) parsed.set(key, parse(decode(res)));
  return parsed.get(key);
}

/** The parser for a file the client reads: HTML, the service worker, or a script that may import lazily. */
export function parserFor(urlPath) {
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
