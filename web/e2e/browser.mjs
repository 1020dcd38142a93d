// Debian's Chromium driven by playwright-core (Playwright's own browser download is not used).
// No --disable-gpu: it switches Chromium to software compositing, where every WebGL frame is read back on
// the page's main thread (~70 ms a frame here), which no device with a GPU does. Without it the GPU process
// runs SwiftShader, so WebGL works headless on a machine without a GPU.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
