// Makes a VJ show with six layers on a running server through the controller page (headless Chromium) and
// prints its code, for Lighthouse and other runs that need a show to display. Usage: node vj-show.mjs URL
import { launch } from "../e2e/browser.mjs";

const url = process.argv[2];
if (!url) {
  console.error("usage: node web/scripts/vj-show.mjs http://127.0.0.1:PORT");
  process.exit(2);
}
const browser = await launch();
try {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${url}/live`);
  await page.getByLabel("Show name").fill("Six layers");
  await page.getByRole("button", { name: "Create show" }).click();
  await page.waitForSelector("#show:not([hidden])", { timeout: 20_000 });
  await page.evaluate(async () => {
    const effects = ["plasma", "tunnel", "kaleidoscope", "particles", "spectrum", "noise"];
    for (const [i, type] of effects.entries()) {
      await window.cosmicVj.client.op({ op: "add_layer", layer: { id: `layer-${i}`, name: type, effectType: type, order: i, opacity: 0.8, blendMode: i ? "screen" : "normal" } });
    }
  });
  console.log((await page.locator("#show-code").textContent()).trim());
} finally {
  await browser.close();
}
