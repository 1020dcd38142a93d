// Fails the build when the JavaScript a first visit downloads before the first paint (the entry script and
// what it preloads, gzip) exceeds the budget. three.js is a lazy chunk and is reported, not counted.
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET_GZIP_BYTES = Number(process.env.COSMIC_JS_BUDGET ?? 20 * 1024);
const dist = new URL("../dist/", import.meta.url);
const html = readFileSync(new URL("index.html", dist), "utf8");
const initial = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/([^"]+\.js)"/g)].map((m) => m[1]);
if (initial.length === 0) {
  console.error("budget: no script found in dist/index.html");
  process.exit(1);
}
const gz = (path) => gzipSync(readFileSync(new URL(path, dist)), { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
let total = 0;
for (const f of initial) {
  total += gz(f);
  console.log(`budget: initial ${f} ${kib(gz(f))} gzip`);
}
for (const f of readdirSync(new URL("assets/", dist)).filter((f) => f.endsWith(".js") && !initial.includes(`assets/${f}`))) {
  console.log(`budget: lazy    assets/${f} ${kib(gz(`assets/${f}`))} gzip`);
}
console.log(`budget: initial JavaScript ${kib(total)} gzip of ${kib(BUDGET_GZIP_BYTES)} allowed`);
if (total > BUDGET_GZIP_BYTES) {
  console.error(`budget: initial JavaScript is over budget by ${kib(total - BUDGET_GZIP_BYTES)}: keep heavy modules behind import()`);
  process.exit(1);
}
