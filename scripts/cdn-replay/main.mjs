// Replays a realistic visit mix through the nginx CDN edge (deploy/nginx/cosmic-edge.conf) in front of
// `cosmic serve`, with a blue-green deploy of a new client build halfway, and reports the edge's cache hit
// ratio. Started by scripts/cdn-replay.sh, which owns the work directory and the last-resort cleanup; this
// program stops what it starts. Node's standard library only. See docs/cdn.md for the visit mix and how to
// read the report.
//
// This file owns the options, the run (builds, origins, edge, the paced visits, the deploy halfway), the
// exit status and the signal handling. The rest: processes.mjs (children, builds, origins, ports),
// edge.mjs (nginx), http.mjs (requests and link parsing), visits.mjs (visitors, schedule, one visit),
// report.mjs (figures and summary).

import { setTimeout as sleep } from "node:timers/promises";
import { HTML_TTL_S, readEdgeLog, startEdge, switchOrigin } from "./edge.mjs";
import { agent } from "./http.mjs";
import { addCounts, build, freePort, originRequests, startOrigin, stop, stopAll, total } from "./processes.mjs";
import { human, report } from "./report.mjs";
import { errors, problem, schedule, state, visit } from "./visits.mjs";

// ---------------------------------------------------------------------------------------------- options

const DEFAULTS = {
  visits: 3000, visitors: 600, duration: 75, concurrency: 16, seed: 1, minHitRatio: 0.95, wsShare: 1,
  json: false, workDir: "", bin: "target/debug/cosmic", nginx: "/usr/sbin/nginx",
};

function parseArgs(argv) {
  const o = { ...DEFAULTS };
  const numeric = { "--visits": "visits", "--visitors": "visitors", "--duration": "duration",
    "--concurrency": "concurrency", "--seed": "seed", "--min-hit-ratio": "minHitRatio", "--ws-share": "wsShare" };
  const text = { "--work-dir": "workDir", "--bin": "bin", "--nginx": "nginx" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") o.json = true;
    else if (a === "--keep") continue; // the wrapper's
    else if (numeric[a] && Number.isFinite(Number(argv[i + 1]))) o[numeric[a]] = Number(argv[++i]);
    else if (text[a] && argv[i + 1]) o[text[a]] = argv[++i];
    else throw new Error(`unknown or incomplete argument: ${a} (see scripts/cdn-replay.sh)`);
  }
  if (!o.workDir) throw new Error("--work-dir is required (run scripts/cdn-replay.sh)");
  if (o.visitors < 1 || o.visits < o.visitors) throw new Error("need 1 <= --visitors <= --visits");
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (msg) => process.stderr.write(`cdn-replay: ${msg}\n`);
const now = () => performance.now();

// ----------------------------------------------------------------------------------------------- deploy

/** Blue-green: start the new build beside the old one, point the edge at it (graceful reload), let the
 *  old one drain, stop it. Returns the old origin's request count. */
async function deploy(blue, green, edge) {
  switchOrigin(edge, green.port);
  state.switchedAt = (now() - state.started) / 1000;
  log(`deploy: edge switched to the new origin at +${state.switchedAt.toFixed(1)} s`);
  // Old workers finish their requests; wait until the old origin has had no traffic for a second.
  let count = await originRequests(blue);
  for (let i = 0; i < 30; i++) {
    await sleep(1000);
    const next = await originRequests(blue);
    if (total(next) === total(count)) break;
    count = next;
  }
  await stop(blue.child);
  return count;
}

// ------------------------------------------------------------------------------------------------- main

async function main() {
  log("building the client twice (v1, v2)…");
  state.versions = { v1: build(opts.workDir, "v1"), v2: build(opts.workDir, "v2") };
  const [bluePort, greenPort] = [await freePort(), await freePort()];
  log("starting the origin (v1) and the edge…");
  const blue = await startOrigin(opts, "blue", state.versions.v1, bluePort);
  const edge = await startEdge(opts, blue.port);
  state.edgePort = edge.port;

  const plan = schedule(opts);
  const half = plan[Math.floor(plan.length / 2)].at;
  log(`replaying ${plan.length} visits over ~${opts.duration} s, ${opts.concurrency} in flight, deploy at ~+${(half / 1000).toFixed(0)} s`);
  let inFlight = 0;
  const waiting = [];
  const acquire = () => (inFlight < opts.concurrency ? (inFlight++, Promise.resolve()) : new Promise((r) => waiting.push(r)));
  const release = () => (waiting.length ? waiting.shift()() : inFlight--);
  const all = [];
  let deployDone = null;
  let blueCount = { api: 0, ws: 0, static: 0 };
  let green = null;
  state.started = now();
  for (const v of plan) {
    const wait = v.at - (now() - state.started);
    if (wait > 0) await sleep(wait);
    if (!deployDone && v.at >= half) {
      deployDone = (async () => {
        green = await startOrigin(opts, "green", state.versions.v2, greenPort);
        blueCount = await deploy(blue, green, edge);
      })().catch((e) => problem(`deploy: ${e.message}`));
    }
    const run = v.visitor.last.then(async () => {
      await acquire();
      try { await visit(v); } finally { release(); }
    });
    v.visitor.last = run.catch((e) => problem(`visit: ${e.message}`));
    all.push(v.visitor.last);
  }
  await Promise.all(all);
  await deployDone;
  const elapsed = (now() - state.started) / 1000;
  const greenCount = green ? await originRequests(green) : { api: 0, ws: 0, static: 0 };
  agent.destroy();
  await stop(edge.child, "SIGQUIT");
  await stopAll();

  const r = report(opts, readEdgeLog(edge.prefix), addCounts(blueCount, greenCount), elapsed,
    { switchedAt: state.switchedAt ?? 0 });
  if (r.deploy.last_old_html_after_switch_s > HTML_TTL_S + 5) problem("old HTML served long after the deploy");
  r.errors = errors.length;
  for (const e of errors.slice(0, 20)) log(`error: ${e}`);
  if (opts.json) {
    process.stderr.write(`${human(r, opts.minHitRatio)}\n`);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    process.stdout.write(`${human(r, opts.minHitRatio)}\n`);
  }
  if (errors.length) return 1;
  if (r.hit_ratio_static < opts.minHitRatio) { log("static hit ratio below target"); return 2; }
  return 0;
}

let exiting = false;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    if (exiting) return;
    exiting = true;
    log(`${sig}: stopping`);
    await stopAll();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  async (e) => { log(`failed: ${e.message}`); await stopAll(); process.exit(1); },
);
