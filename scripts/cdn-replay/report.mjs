// The report: the figures of a replay from the edge's access log, the origins' request counts and what the
// visits recorded (hit ratios, statuses, latency percentiles, the deploy's timing, errors), as one object
// (the --json line) and as the human summary. Reads nothing and prints nothing itself.

import { HTML_TTL_S } from "./edge.mjs";
import { total } from "./processes.mjs";
import { errors, records, state } from "./visits.mjs";

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

function hitRatio(lines) {
  const cached = lines.filter((e) => e.cache);
  return cached.length ? cached.filter((e) => e.cache === "HIT").length / cached.length : 0;
}

export function report(opts, lines, origin, elapsed, deployInfo) {
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

export function human(r, minHitRatio) {
  const pct = (x) => `${(100 * x).toFixed(2)} %`;
  const st = Object.entries(r.cache_status).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  return [
    `CDN replay: ${r.visits} visits by ${r.visitors} visitors in ${r.seconds} s, deploy at +${r.deploy.switched_at_s} s`,
    `  requests at the edge     ${r.requests} (static ${r.static_requests}, API ${r.api_requests}, WebSocket ${r.ws_upgrades}); 304s ${r.status_304}`,
    `  static hit ratio         ${pct(r.hit_ratio_static)}  (target ${pct(minHitRatio)})  [${st}]`,
    `    hashed assets          ${pct(r.hit_ratio_assets)}; micro-cached HTML, sw.js, icon, manifest ${pct(r.hit_ratio_micro_cached)}`,
    `  hit ratio, all requests  ${pct(r.hit_ratio_all)}  (API and WebSocket always go to the origin)`,
    `  origin requests          ${r.origin_requests.total} (static ${r.origin_requests.static}, API ${r.origin_requests.api}, WebSocket ${r.origin_requests.ws}), from its metrics`,
    `  bytes to clients         ${(r.bytes_to_clients / 1e6).toFixed(1)} MB`,
    `  edge latency             p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms (static p50 ${r.latency_ms.static_p50}, p99 ${r.latency_ms.static_p99})`,
    `  after the deploy         old HTML served ${r.deploy.old_html_served_after_switch} times, last at +${r.deploy.last_old_html_after_switch_s} s (micro-cache ${HTML_TTL_S} s)`,
    `  errors                   ${r.errors}`,
  ].join("\n");
}
