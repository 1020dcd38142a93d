// The VJ app end to end in real browsers against `cosmic serve`: a controller and three displays, each in
// its own browser context (its own guest). The controller creates a show; displays join by its code and
// follow every change (their state and their canvas pixels); presets load on all of them; a reloaded or late
// display gets the current state at once; a viewer cannot control; after a server restart every page
// reconnects to the same show.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { test } from "node:test";
import { launch } from "./browser.mjs";
import { artifacts, sharedServerAndBrowser } from "./server.mjs";

const env = sharedServerAndBrowser(launch);

/** A page in a context of its own, with its page errors and console errors collected. */
async function open(url, viewport = { width: 640, height: 360 }) {
  const context = await env.browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // A restart drops the sockets: the browser logs the failed reconnects, which is what is being tested.
  page.on("console", (m) => m.type() === "error" && !/WebSocket|ERR_CONNECTION_REFUSED|503|502/.test(m.text()) && errors.push(m.text()));
  await page.goto(url);
  return { context, page, errors };
}

const version = (page, hook) => page.evaluate((h) => window[h]?.state?.version ?? -1, hook);

/** Waits until a display is live at the controller's version. */
async function inSync(display, controller, timeout = 15_000) {
  const want = await version(controller, "cosmicVj");
  await display.waitForFunction((v) => window.cosmicShow?.status === "live" && (window.cosmicShow.state?.version ?? -1) >= v, want, { timeout });
}

/** Waits until a page's live connection is up; on a timeout, says what the page's status was. */
async function live(page, hook, timeout = 30_000) {
  try {
    await page.waitForFunction((h) => (h === "cosmicVj" ? window.cosmicVj.client?.status : window.cosmicShow?.status) === "live", hook, { timeout });
  } catch (e) {
    const why = await page.evaluate((h) => {
      const c = h === "cosmicVj" ? window.cosmicVj.client : null;
      return JSON.stringify({ status: c ? c.status : window.cosmicShow?.status, problem: c ? c.problem : window.cosmicShow?.problem, line: document.querySelector("#status")?.textContent });
    }, hook);
    throw new Error(`${hook} not live: ${why}: ${e.message}`);
  }
}

/** Polls a display's canvas (mean RGB) until `accept` takes it. */
async function probeUntil(display, accept, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let rgb;
  for (;;) {
    rgb = await display.evaluate(() => window.cosmicShow.probe().catch(() => null));
    if (rgb && accept(rgb)) return rgb;
    if (Date.now() > deadline) throw new Error(`${what}: last probe ${JSON.stringify(rgb)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const started = Date.now();
/** Progress on stderr: where a slow or stuck run is. */
const step = (what) => console.error(`vj e2e ${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);

const same = (a, b) => a.every((v, i) => Math.abs(v - b[i]) < 2);

test("a controller drives three displays: sliders, layers, presets, reloads, late joiners, viewers, a server restart", { timeout: 240_000 }, async () => {
  const ctl = await open(`${env.server.url}/live`, { width: 1280, height: 900 });
  const c = ctl.page;
  await c.getByRole("heading", { name: "Cosmic VJ" }).waitFor();
  await c.getByLabel("Show name").fill("E2E night");
  await c.getByRole("button", { name: "Create show" }).click();
  await c.waitForSelector("#show:not([hidden])", { timeout: 15_000 });
  const code = (await c.locator("#show-code").textContent()).trim();
  assert.match(code, /^[A-Z2-9]{6}$/);
  assert.equal(await c.locator("#show-link").getAttribute("href"), `${env.server.url}/show/${code}`);
  await c.waitForSelector("#qr svg");

  step('One still layer');
  // One still layer: plasma at speed 0 draws the same frame until something changes.
  await c.locator("#new-effect").selectOption("plasma");
  await c.getByRole("button", { name: "Add layer" }).click();
  await c.waitForFunction(() => window.cosmicVj.state?.layers.length === 1);
  const first = await c.evaluate(() => window.cosmicVj.state.layers[0].id);
  await c.locator(`input[data-target="layer:${first}:speed"]`).fill("0");
  await c.locator(`input[data-target="layer:${first}:hue"]`).fill("0.1");
  await c.waitForFunction((id) => window.cosmicVj.state.layers[0]?.parameters.speed === 0 && window.cosmicVj.state.layers[0]?.parameters.hue === 0.1, first);

  step('const displays = [];');
  const displays = [];
  for (let i = 0; i < 3; i++) displays.push(await open(`${env.server.url}/show/${code.toLowerCase()}`));
  for (const d of displays) {
    await inSync(d.page, c);
    assert.equal(await d.page.evaluate(() => window.cosmicShow.role), "display");
    assert.equal(await d.page.locator("#status").isHidden(), true, "no status while all is well");
  }
  const before = [];
  for (const d of displays) before.push(await probeUntil(d.page, (rgb) => rgb.some((v) => v > 8), "the plasma layer draws"));

  step('A slider movement');
  // A slider movement reaches every display's state and pixels.
  await c.locator(`input[data-target="layer:${first}:hue"]`).fill("0.6");
  for (const [i, d] of displays.entries()) {
    await d.page.waitForFunction((id) => window.cosmicShow.state.layers.find((l) => l.id === id)?.parameters.hue === 0.6, first, { timeout: 5_000 });
    await probeUntil(d.page, (rgb) => !same(rgb, before[i]), `display ${i} repaints with the new hue`);
  }

  step('A second layer');
  // A second layer, then its effect changed: the displays draw both.
  await c.locator("#new-effect").selectOption("tunnel");
  await c.getByRole("button", { name: "Add layer" }).click();
  await c.waitForFunction(() => window.cosmicVj.state?.layers.length === 2);
  const second = await c.evaluate((id) => window.cosmicVj.state.layers.find((l) => l.id !== id).id, first);
  await c.locator(`li[data-id="${second}"] select[data-field="effectType"]`).selectOption("kaleidoscope");
  for (const d of displays) {
    await d.page.waitForFunction((id) => window.cosmicShow.state.layers.find((l) => l.id === id)?.effectType === "kaleidoscope", second, { timeout: 5_000 });
    await d.page.waitForFunction(() => window.cosmicShow.layersDrawn === 2, null, { timeout: 10_000 });
  }

  step('Save the show');
  // Save the show as a preset, change it, load the preset: every display switches back.
  await c.getByLabel("Preset name").fill("Two layers");
  await c.getByRole("button", { name: "Save as new preset" }).click();
  await c.getByRole("button", { name: "Load preset Two layers" }).waitFor({ timeout: 10_000 });
  await c.getByRole("button", { name: "Remove Kaleidoscope" }).click();
  await c.waitForFunction(() => window.cosmicVj.state.layers.length === 1);
  for (const d of displays) await d.page.waitForFunction(() => window.cosmicShow.state.layers.length === 1, null, { timeout: 5_000 });
  await c.getByRole("button", { name: "Load preset Two layers" }).click();
  await c.waitForFunction(() => window.cosmicVj.state.layers.length === 2 && window.cosmicVj.state.activePresetId);
  for (const d of displays) {
    await inSync(d.page, c);
    assert.deepEqual(
      await d.page.evaluate(() => window.cosmicShow.state.layers.map((l) => l.effectType)),
      await c.evaluate(() => window.cosmicVj.state.layers.map((l) => l.effectType)),
    );
  }

  step('A display reloads');
  // A display reloads: it is back at the current state by itself, and draws it.
  // (Its tab closed and opened again in the same browser profile: reloading the same tab hangs headless
  // Chromium's page here once its render worker has drawn with SwiftShader — see docs/live.md.)
  const profile = displays[0].context;
  await displays[0].page.close();
  displays[0].page = await profile.newPage();
  displays[0].page.on("pageerror", (e) => displays[0].errors.push(String(e)));
  await displays[0].page.goto(`${env.server.url}/show/${code}`);
  await inSync(displays[0].page, c);
  await displays[0].page.waitForFunction(() => window.cosmicShow.layersDrawn === 2, null, { timeout: 60_000 });
  // A late display: the current state at once.
  const late = await open(`${env.server.url}/show/${code}`);
  await inSync(late.page, c, 10_000);
  assert.equal(await late.page.evaluate(() => window.cosmicShow.state.layers.length), 2);
  displays.push(late);

  step('A viewer that');
  // A viewer that tries to control is refused, and the show is unchanged.
  const viewer = await open(`${env.server.url}/show/${code}?role=viewer`);
  await inSync(viewer.page, c);
  const refused = await viewer.page.evaluate(() =>
    window.cosmicShow.tryOp({ op: "set_parameters", parameters: { brightness: 0 } }).then(
      () => "accepted",
      (e) => e.code,
    ),
  );
  assert.equal(refused, "forbidden");
  assert.equal(await c.evaluate(() => window.cosmicVj.state.parameters.brightness), undefined);
  await viewer.context.close();

  await c.screenshot({ path: resolve(artifacts, "vj-controller.png"), fullPage: true });
  await displays[1].page.screenshot({ path: resolve(artifacts, "vj-display.png") });

  step('The server restarts');
  // The server restarts: every page reconnects to the same show, and changes flow again.
  const versionBefore = await version(c, "cosmicVj");
  await env.server.restart();
  step("restarted");
  await live(c, "cosmicVj");
  for (const d of displays) await live(d.page, "cosmicShow");
  assert.equal((await c.locator("#show-code").textContent()).trim(), code);
  assert.ok((await version(c, "cosmicVj")) >= versionBefore, "the show's state survived the restart");
  await c.locator(`input[data-target="layer:${first}:hue"]`).fill("0.3");
  for (const d of displays) {
    await d.page.waitForFunction((id) => window.cosmicShow.state.layers.find((l) => l.id === id)?.parameters.hue === 0.3, first, { timeout: 10_000 });
  }

  step('for (const p of [ctl, ');
  for (const p of [ctl, ...displays]) assert.deepEqual(p.errors, [], "no page errors");
  for (const p of [ctl, ...displays]) await p.context.close();
});

test("the controller works with the keyboard alone on a phone-sized screen", { timeout: 60_000 }, async () => {
  const { page, context, errors } = await open(`${env.server.url}/live`, { width: 390, height: 844 });
  await page.getByLabel("Show name").focus();
  await page.keyboard.type("Pocket show");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#show:not([hidden])", { timeout: 15_000 });
  await page.waitForSelector("#add-layer:not([disabled])");
  // Tab to "Add layer" and press it.
  await page.locator("#new-effect").focus();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.cosmicVj.state?.layers.length === 1);
  // Tap tempo with the T key (not while typing in a field).
  await page.locator("#layers button.layer-name").focus();
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press("t");
    await page.waitForTimeout(400);
  }
  // Taps 400 ms apart: 150 BPM, give or take the timers' jitter.
  await page.waitForFunction(() => Math.abs(window.cosmicVj.state.tempo.bpm - 150) < 15);
  // A slider moves with the arrow keys.
  const id = await page.evaluate(() => window.cosmicVj.state.layers[0].id);
  const hue = page.locator(`input[data-target="layer:${id}:hue"]`);
  await hue.focus();
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction((l) => window.cosmicVj.state.layers[0].parameters.hue !== 0.6 && window.cosmicVj.state.layers[0].id === l, id);
  // Nothing wider than the screen.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1), "no horizontal scrolling");
  await page.screenshot({ path: resolve(artifacts, "vj-controller-phone.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});
