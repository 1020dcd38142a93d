// Cosmic Gardener service worker, generated at build time from web/sw/template.js (see vite.config.ts).
// Precaches the shell and the hashed assets under a versioned cache, drops older caches on activation,
// goes network-first for HTML (offline: the cached page), cache-first for hashed assets, and never touches
// /api, /ws or /live (live sessions and the VJ controller need the network anyway).
const VERSION = "__VERSION__";
const CACHE = `cosmic-${VERSION}`;
const PRECACHE = __PRECACHE__;
const PASS_THROUGH = ["/api", "/ws", "/live", "/health", "/metrics"];
/** The page a client route is served by when offline (as the server maps them). */
const pageOf = (path) => (path === "/show" || path.startsWith("/show/") ? "/show.html" : "/");

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("cosmic-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (PASS_THROUGH.some((p) => url.pathname === p || url.pathname.startsWith(`${p}/`))) return;
  if (req.mode === "navigate" || req.headers.get("accept")?.includes("text/html")) {
    event.respondWith(networkFirst(req));
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    event.respondWith(caches.match(req).then((hit) => hit || fetchAndKeep(req)));
    return;
  }
  event.respondWith(networkFirst(req));
});

async function networkFirst(req) {
  try {
    return await fetchAndKeep(req);
  } catch (e) {
    const cache = await caches.open(CACHE);
    const hit = (await cache.match(req)) || (req.mode === "navigate" ? await cache.match(pageOf(new URL(req.url).pathname)) : undefined);
    if (hit) return hit;
    throw e;
  }
}

async function fetchAndKeep(req) {
  const res = await fetch(req);
  if (res.ok && res.type === "basic") {
    const copy = res.clone();
    caches.open(CACHE).then((cache) => cache.put(req, copy));
  }
  return res;
}
