// Fails the build when the JavaScript a first visit to a page downloads before its first paint (the entry
// script and what it preloads, gzip) exceeds that page's budget. Lazy chunks (three.js, the VJ renderer and
// its worker, the QR code) are reported, not counted. COSMIC_JS_BUDGET (bytes) overrides every page's budget.
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";

const PAGES = [
  { html: "index.html", name: "garden", budget: 20 * 1024 },
  { html: "live.html", name: "VJ controller", budget: 24 * 1024 },
  { html: "show.html", name: "VJ display", budget: 12 * 1024 },
];
const override = process.env.COSMIC_JS_BUDGET ? Number(process.env.COSMIC_JS_BUDGET) : null;
const dist = new URL("../dist/", import.meta.url);
const gz = (path) => gzipSync(readFileSync(new URL(path, dist)), { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

let failed = false;
const counted = new Set();
for (const page of PAGES) {
  const budget = override ?? page.budget;
  const html = readFileSync(new URL(page.html, dist), "utf8");
  const initial = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/([^"]+\.js)"/g)].map((m) => m[1]);
  if (initial.length === 0) {
    console.error(`budget: no script found in dist/${page.html}`);
    process.exit(1);
  }
  let total = 0;
  for (const f of initial) {
    counted.add(f);
    total += gz(f);
    console.log(`budget: ${page.name}: initial ${f} ${kib(gz(f))} gzip`);
  }
  console.log(`budget: ${page.name}: initial JavaScript ${kib(total)} gzip of ${kib(budget)} allowed`);
  if (total > budget) {
    console.error(`budget: ${page.name} (${page.html}) is over budget by ${kib(total - budget)}: keep heavy modules behind import()`);
    failed = true;
  }
}
for (const f of readdirSync(new URL("assets/", dist)).filter((f) => f.endsWith(".js") && !counted.has(`assets/${f}`))) {
  console.log(`budget: lazy    assets/${f} ${kib(gz(`assets/${f}`))} gzip`);
}
if (failed) process.exit(1);
