// The VJ app's browser benchmark (not a test): one Chromium, a controller and N displays, each in its own
// context, against `cosmic serve` (release by default: COSMIC_BIN=target/release/cosmic).
//
//  1. Latency: the controller changes a parameter every 100 ms; for each change, the time from just before
//     the controller sent it to the first frame a display drew with that state (or a newer one), on every
//     display. Both ends read Date.now() on this machine.
//  2. Frame rate: one display at 1280×720 (device pixel ratio 1) with six layers of different effects.
//
// Usage: node web/scripts/vj-bench.mjs [--displays 10] [--changes 200] [--fps-seconds 10] [--json]
import { launch } from "../e2e/browser.mjs";
import { startCosmic } from "../e2e/server.mjs";

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const DISPLAYS = arg("displays", 10);
const CHANGES = arg("changes", 200);
const FPS_SECONDS = arg("fps-seconds", 10);
const json = args.includes("--json");
const log = (...m) => json || console.error(...m);

process.env.COSMIC_BIN ??= new URL("../../target/release/cosmic", import.meta.url).pathname;
const server = await startCosmic();
const browser = await launch();
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function page(url, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const p = await context.newPage();
  p.on("pageerror", (e) => console.error("page error:", String(e)));
  await p.goto(url);
  return p;
}

try {
  const c = await page(`${server.url}/live`, { width: 1280, height: 900 });
  await c.getByLabel("Show name").fill("Benchmark");
  await c.getByRole("button", { name: "Create show" }).click();
  await c.waitForSelector("#show:not([hidden])", { timeout: 20_000 });
  const code = (await c.locator("#show-code").textContent()).trim();
  const effects = ["plasma", "tunnel", "kaleidoscope", "particles", "spectrum", "noise"];
  await c.evaluate(async (effects) => {
    const client = window.cosmicVj.client;
    for (const [i, type] of effects.entries()) {
      await client.op({ op: "add_layer", layer: { id: `bench-${i}`, name: type, effectType: type, order: i, opacity: 0.8, blendMode: i ? "screen" : "normal", parameters: { hue: i / 6, speed: 1, intensity: 0.8, zoom: 1 } } });
    }
  }, effects);

  // 1. Latency with N displays.
  log(`latency: ${DISPLAYS} displays of 640×360 following show ${code}, ${CHANGES} changes at 10 a second…`);
  const displays = [];
  for (let i = 0; i < DISPLAYS; i++) displays.push(await page(`${server.url}/show/${code}`, { width: 640, height: 360 }));
  for (const d of displays) await d.waitForFunction(() => window.cosmicShow?.status === "live" && window.cosmicShow.layersDrawn === 6, null, { timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 2_000));
  const sent = await c.evaluate(async (n) => {
    const client = window.cosmicVj.client;
    const out = [];
    for (let i = 0; i < n; i++) {
      const at = Date.now();
      const reply = await client.op({ op: "set_parameters", layer: "bench-0", parameters: { hue: (i % 100) / 100 } });
      out.push({ version: reply.version, at });
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - at))));
    }
    return out;
  }, CHANGES);
  await new Promise((r) => setTimeout(r, 1_000));
  const latencies = [];
  const arrivals = [];
  let missed = 0;
  const displayFps = [];
  for (const d of displays) {
    const frames = await d.evaluate(() => window.cosmicShow.frames);
    const received = await d.evaluate(() => window.cosmicShow.received);
    displayFps.push(await d.evaluate(() => window.cosmicShow.fps));
    for (const s of sent) {
      const f = frames.find((f) => f.version >= s.version);
      if (f) latencies.push(f.at - s.at);
      else missed++;
      const r = received.find((r) => r.version >= s.version);
      if (r) arrivals.push(r.at - s.at);
    }
  }
  for (const d of displays) await d.context().close();
  const latency = {
    displays: DISPLAYS,
    samples: latencies.length,
    missed,
    p50_ms: pct(latencies, 50),
    p99_ms: pct(latencies, 99),
    max_ms: Math.max(...latencies),
    display_fps_median: pct(displayFps, 50),
    // The same, to the state's arrival on the display page (before drawing): the server and network part.
    arrival_p50_ms: pct(arrivals, 50),
    arrival_p99_ms: pct(arrivals, 99),
  };
  log(`arrival (state on the display page): p50 ${latency.arrival_p50_ms} ms, p99 ${latency.arrival_p99_ms} ms`);
  log(`latency: p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms, max ${latency.max_ms} ms over ${latency.samples} (missed ${missed}); displays drew ${latency.display_fps_median} fps (median)`);

  // 2. Frame rate of one 1280×720 display with the six layers.
  log(`fps: one 1280×720 display, six layers, ${FPS_SECONDS} s…`);
  const big = await page(`${server.url}/show/${code}`, { width: 1280, height: 720 });
  await big.waitForFunction(() => window.cosmicShow?.layersDrawn === 6, null, { timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 2_000));
  const fpsSamples = [];
  const scales = [];
  for (let i = 0; i < FPS_SECONDS; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    fpsSamples.push(await big.evaluate(() => window.cosmicShow.fps));
    scales.push(await big.evaluate(() => window.cosmicShow.scale));
  }
  const fps = { width: 1280, height: 720, layers: 6, median: pct(fpsSamples, 50), min: Math.min(...fpsSamples), max: Math.max(...fpsSamples), scale_median: pct(scales, 50) };
  log(`fps: median ${fps.median}, min ${fps.min}, max ${fps.max}, at resolution scale ${fps.scale_median} (adaptive)`);
  console.log(JSON.stringify({ latency, fps }));
} finally {
  await browser.close();
  await server.stop();
}
