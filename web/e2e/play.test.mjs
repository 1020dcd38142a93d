// End to end in a real browser: open the page, play as a guest, create a body and see it in the scene with
// the resources changing; then, with the network gone, reload and get the shell from the service worker.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { test } from "node:test";
import { launch } from "./browser.mjs";
import { artifacts, sharedServerAndBrowser, startCosmic } from "./server.mjs";

const env = sharedServerAndBrowser(launch);

/** Runs `body` with a page in a new browser context against a server of its own, and cleans both up. */
async function withOwnServer(body, contextOptions = {}) {
  const local = await startCosmic();
  const context = await env.browser.newContext(contextOptions);
  try {
    await body({ local, context, page: await context.newPage() });
  } finally {
    await context.close();
    await local.stop();
  }
}

const dust = (page) => page.locator('[data-resource="cosmic_dust"]').evaluate((e) => parseFloat(e.firstChild.textContent.replace("k", "e3")));

test("a guest plays: creates a body, sees it in the scene, resources change; survives a server restart; offline the shell still loads", { timeout: 120_000 }, async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  let sockets = 0;
  page.on("websocket", () => sockets++);
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  await page.goto(env.server.url);
  // The shell paints and connects as a watcher before anyone logs in.
  await page.getByRole("heading", { name: "Cosmic Gardener" }).waitFor();
  await page.waitForSelector('#status[data-state="online"]', { timeout: 20_000 });
  await page.waitForFunction(() => Number(document.querySelector("#scene")?.dataset.bodies ?? 0) > 0, null, { timeout: 30_000 });

  await page.getByRole("button", { name: "Play as guest" }).click();
  await page.waitForFunction(() => document.querySelector("#play")?.hidden === true);
  await page.waitForSelector('#status[data-state="online"]');
  await page.waitForSelector('[data-resource="cosmic_dust"]', { timeout: 10_000 });
  const bodiesBefore = Number(await page.locator("#scene").getAttribute("data-bodies"));

  await page.locator('button[data-kind="asteroid"]').click();
  const before = await dust(page);
  const box = await page.locator("#scene").boundingBox();
  await page.mouse.click(box.x + box.width * 0.5 + 150, box.y + box.height * 0.5 + 60);
  await page.waitForFunction(() => /created/.test(document.querySelector("#build-hint")?.textContent ?? ""), null, { timeout: 10_000 });

  // It is ours, it is in the scene, and it was paid for.
  await page.waitForSelector("#mine li[data-body]", { timeout: 5_000 });
  await page.waitForFunction((n) => Number(document.querySelector("#scene")?.dataset.bodies ?? 0) > n - 3, bodiesBefore);
  const id = Number(await page.locator("#mine li[data-body]").first().getAttribute("data-body"));
  assert.ok(id > 0);
  // The new body is selected, and the panel says what it is.
  await page.waitForFunction((i) => (document.querySelector("#selected")?.textContent ?? "").includes(`Asteroid #${i} (yours)`), id);
  await page.waitForFunction((b) => {
    const t = document.querySelector('[data-resource="cosmic_dust"]')?.firstChild?.textContent ?? "";
    return parseFloat(t.replace("k", "e3")) < b;
  }, before, { timeout: 5_000 });
  // Without aiming (keyboard, touch): a second one at a random spot.
  await page.getByRole("button", { name: "Place it at a random spot" }).click();
  await page.waitForFunction(() => document.querySelectorAll("#mine li[data-body]").length === 2, null, { timeout: 10_000 });
  await page.waitForTimeout(500); // let the 3D view draw the new bodies
  await page.screenshot({ path: `${artifacts}/play.png` });

  // The server restarts: the page reconnects by itself as the same player, and the body is still ours.
  await page.evaluate(() => (window.__samePage = true));
  const socketsBefore = sockets;
  await env.server.restart();
  for (let i = 0; sockets === socketsBefore && i < 300; i++) await page.waitForTimeout(100);
  assert.ok(sockets > socketsBefore, "the page opened a new WebSocket after the restart");
  await page.waitForSelector('#status[data-state="online"]', { timeout: 30_000 });
  await page.waitForSelector(`#mine li[data-body="${id}"]`, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.__samePage), true);

  // Offline: the service worker serves the shell, which says it is offline.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 10_000 });
  // One versioned cache, holding the shell and the hashed assets, and nothing of /api or /ws.
  const cached = await page.evaluate(async () => {
    const out = {};
    for (const name of await caches.keys()) out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname);
    return out;
  });
  const names = Object.keys(cached);
  assert.equal(names.length, 1, `one cache: ${names}`);
  assert.match(names[0], /^cosmic-[0-9a-f]{12}$/);
  const paths = cached[names[0]];
  assert.ok(paths.includes("/") && paths.some((p) => /^\/assets\/worker-.+\.js$/.test(p)), `shell and assets precached: ${paths}`);
  assert.deepEqual(paths.filter((p) => p.startsWith("/api") || p === "/ws"), []);
  await env.server.stop();
  await context.setOffline(true);
  await page.reload();
  await page.getByRole("heading", { name: "Cosmic Gardener" }).waitFor();
  await page.waitForSelector('#status[data-state="offline"]', { timeout: 10_000 });
  await page.screenshot({ path: `${artifacts}/offline.png` });
  await context.close();

  assert.deepEqual(errors.filter((e) => !/WebSocket|ERR_INTERNET_DISCONNECTED|Failed to load resource|net::/.test(e)), []);
});

test("an account: register, log out, log in again and play as the same user", { timeout: 60_000 }, () =>
  withOwnServer(async ({ local, page }) => {
    await page.goto(local.url);
    const name = `gardener_${Date.now() % 100000}`;
    await page.locator("summary", { hasText: "Create an account" }).click();
    const register = page.locator("#register-form");
    await register.getByLabel("Email").fill(`${name}@example.com`);
    await register.getByLabel("Username").fill(name);
    await register.getByLabel("Password").fill("correct horse battery");
    await register.getByRole("button", { name: "Create account" }).click();
    await page.waitForFunction((n) => document.querySelector("#account")?.textContent?.includes(n), name);
    await page.waitForSelector('[data-resource="cosmic_dust"]', { timeout: 10_000 });

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForFunction(() => document.querySelector("#play")?.hidden === false);
    assert.equal(await page.locator('[data-resource="cosmic_dust"]').count(), 0);

    await page.locator("summary", { hasText: "Log in" }).click();
    const login = page.locator("#login-form");
    await login.getByLabel("Email or username").fill(name);
    await login.getByLabel("Password").fill("a wrong password");
    await login.getByRole("button", { name: "Log in" }).click();
    await page.waitForFunction(() => (document.querySelector("#play-error")?.textContent ?? "").length > 0);
    await login.getByLabel("Password").fill("correct horse battery");
    await login.getByRole("button", { name: "Log in" }).click();
    await page.waitForFunction((n) => document.querySelector("#account")?.textContent?.includes(n), name);
    await page.waitForSelector('[data-resource="cosmic_dust"]', { timeout: 10_000 });
  }, { viewport: { width: 1280, height: 800 } }));

test("the service worker deletes the caches of older versions when it activates", { timeout: 60_000 }, () =>
  withOwnServer(async ({ local, context, page }) => {
    // First visit without the service worker, leaving a cache as an older version would have.
    await context.route("**/sw.js", (route) => route.abort());
    await page.goto(local.url);
    await page.evaluate(async () => {
      const old = await caches.open("cosmic-000000000000");
      await old.put("/", new Response("an older shell"));
      await caches.open("someone-elses-cache");
    });
    await context.unroute("**/sw.js");
    await page.reload();
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 10_000 });
    const names = await page.evaluate(() => caches.keys());
    assert.equal(names.filter((n) => n.startsWith("cosmic-")).length, 1, `${names}`);
    assert.ok(!names.includes("cosmic-000000000000"), `${names}`);
    assert.ok(names.includes("someone-elses-cache"), "caches of other names are left alone");
  }));

test("a page older than the server's protocol reloads once to get the new client, then says it is out of date", { timeout: 60_000 }, () =>
  withOwnServer(async ({ local, page }) => {
    // Stand in for an old client: every hello carries another protocol hash.
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        const msg = typeof m === "string" ? JSON.parse(m) : null;
        if (msg?.type === "hello") msg.protocol_hash = "0000000000000000";
        server.send(msg ? JSON.stringify(msg) : m);
      });
    });
    let loads = 0;
    page.on("load", () => loads++);
    await page.goto(local.url);
    await page.waitForFunction(() => (document.querySelector("#status")?.textContent ?? "").includes("out of date"), null, { timeout: 20_000 });
    assert.equal(loads, 2, "one reload, no loop");
    assert.equal(await page.locator("#status").getAttribute("data-state"), "stopped");
  }));
