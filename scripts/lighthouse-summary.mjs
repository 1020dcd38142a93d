// Summarises Lighthouse JSON reports: scores and timings of each run, and the median of each figure
// across runs (what docs/BENCHMARKS.md records).
import { readFileSync } from "node:fs";

const reports = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")));
const ms = (r, id) => r.audits[id]?.numericValue;
const row = (r) => ({
  performance: Math.round(r.categories.performance.score * 100),
  accessibility: Math.round(r.categories.accessibility.score * 100),
  best_practices: Math.round(r.categories["best-practices"].score * 100),
  seo: Math.round(r.categories.seo.score * 100),
  fcp_ms: Math.round(ms(r, "first-contentful-paint")),
  lcp_ms: Math.round(ms(r, "largest-contentful-paint")),
  tbt_ms: Math.round(ms(r, "total-blocking-time")),
  tti_ms: ms(r, "interactive") === undefined ? null : Math.round(ms(r, "interactive")),
  speed_index_ms: Math.round(ms(r, "speed-index")),
  cls: Number((ms(r, "cumulative-layout-shift") ?? 0).toFixed(3)),
  lighthouse: r.lighthouseVersion,
  form_factor: r.configSettings.formFactor,
});
const rows = reports.map(row);
rows.forEach((r, i) => console.log(`run ${i + 1}: ${JSON.stringify(r)}`));
const median = {};
for (const key of Object.keys(rows[0])) {
  const values = rows.map((r) => r[key]);
  if (typeof values[0] !== "number") {
    median[key] = values[0];
    continue;
  }
  const sorted = values.filter((v) => v !== null).sort((a, b) => a - b);
  median[key] = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
}
console.log(`median of ${rows.length}: ${JSON.stringify(median)}`);
for (const r of reports) {
  for (const [id, cat] of Object.entries(r.categories)) {
    const failing = cat.auditRefs
      .filter((a) => a.weight > 0 && r.audits[a.id].score !== null && r.audits[a.id].score < 1)
      .map((a) => `${a.id}=${r.audits[a.id].score}`);
    if (failing.length) console.log(`  ${id}: not perfect: ${failing.join(", ")}`);
  }
  break;
}
