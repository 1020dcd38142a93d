// Build: three pages (the garden at /, the VJ controller at /live, the VJ display at /show/<code>),
// content-hashed assets under /assets, three.js in its own lazily loaded chunk, a generated service
// worker that precaches the build, and Brotli + gzip siblings of every compressible file (served by the Rust
// server according to Accept-Encoding).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|webmanifest|txt|map|wasm)$/;
const MIN_COMPRESS = 256;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Writes sw.js with the list of built files and a version derived from their content. */
function serviceWorker(): Plugin {
  let outDir = "dist";
  return {
    name: "cosmic-service-worker",
    apply: "build",
    configResolved(c) {
      outDir = c.build.outDir;
    },
    writeBundle() {
      const built = files(outDir)
        // live.html is left out: the worker never answers for /live (see sw/template.js).
        .filter((f) => !/\.(br|gz|map)$/.test(f) && !/(sw\.js|robots\.txt|live\.html)$/.test(f))
        .sort();
      const hash = createHash("sha256");
      for (const f of built) hash.update(f).update(readFileSync(f));
      const urls = built.map((f) => "/" + relative(outDir, f).split("\\").join("/")).map((u) => (u === "/index.html" ? "/" : u));
      const template = readFileSync(new URL("./sw/template.js", import.meta.url), "utf8");
      const sw = template.replace("__VERSION__", hash.digest("hex").slice(0, 12)).replace("__PRECACHE__", JSON.stringify(urls, null, 2));
      writeFileSync(join(outDir, "sw.js"), sw);
    },
  };
}

/** Precompresses every compressible file (after the service worker is written). */
function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "cosmic-precompress",
    apply: "build",
    enforce: "post",
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      for (const f of files(outDir)) {
        if (!COMPRESSIBLE.test(f)) continue;
        const data = readFileSync(f);
        if (data.length < MIN_COMPRESS) continue;
        writeFileSync(`${f}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(
          `${f}.br`,
          brotliCompressSync(data, {
            params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
          }),
        );
      }
    },
  };
}

export default defineConfig({
  build: {
    target: "es2022",
    assetsDir: "assets",
    sourcemap: false,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      input: { index: "index.html", live: "live.html", show: "show.html" },
    },
  },
  define: {
    __BUILD_ID__: JSON.stringify(process.env.COSMIC_BUILD_ID ?? "dev"),
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/ws": { target: "ws://127.0.0.1:8080", ws: true },
      "/live": { target: "ws://127.0.0.1:8080", ws: true },
    },
  },
  plugins: [serviceWorker(), precompress()],
  worker: { format: "es" },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
} as Parameters<typeof defineConfig>[0]);
