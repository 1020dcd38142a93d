// The app shell: paints the page, connects, keeps the client's state, and loads the 3D sky lazily
// (three.js arrives after the first paint and never blocks it).
import "./style.css";
import { ApiError, Auth, leaderboard, myResearch } from "./net/api";
import type { Frame, WireBody, WireResources } from "./net/protocol.generated";
import { Connection, ServerError, type ConnectionState } from "./net/socket";
import { kindByCode, kindByName } from "./state/kinds";
import { applyFrame, ApplyError, type WorldView } from "./state/view";
import { byId } from "./ui/dom";
import { showAccount, showResources, showStatus } from "./ui/hud";
import { describeEvents } from "./state/events";
import { addNews, buildPanel, showLeaderboard, showMine, showResearch, showSelected } from "./ui/panels";
import type { SkyView } from "./render/view";

const world = Number(new URLSearchParams(location.search).get("world") ?? "1") || 1;
const auth = new Auth();

const game = {
  view: null as WorldView | null,
  player: 0,
  connection: "starting" as ConnectionState | "starting",
  resources: null as WireResources | null,
  rates: null as WireResources | null,
  research: {} as Record<string, number>,
  picked: null as string | null,
  selected: null as number | null,
  mineKey: "",
};
let sky: SkyView | null = null;
let periodMs = 50;

const canPlay = () => game.player > 0 && game.connection === "online";
const mine = (): WireBody[] => (game.player > 0 ? (game.view?.bodies.filter((b) => b.owner === game.player) ?? []) : []);

const hint = (text: string) => (byId("build-hint").textContent = text);
const updateBuild = buildPanel((kind) => {
  game.picked = kind;
  sky?.setPlacing(kind !== null);
  const k = kind ? kindByName(kind) : null;
  hint(k ? `Click in the sky to place a ${k.label.toLowerCase()}.` : "Pick a kind, then click in the sky.");
  refreshPanels();
});

function refreshPanels(): void {
  updateBuild(game.picked, game.resources, canPlay());
  showResearch(game.research, game.resources, canPlay(), buyResearch);
  byId("play").hidden = auth.user !== null;
  showAccount(auth.user ? (auth.user.username ?? `Guest ${auth.user.id}`) : null, () => void logout());
}

function refreshMine(force = false): void {
  const list = mine();
  const key = `${game.selected}:${list.map((b) => `${b.id}.${b.life}`).join(",")}`;
  if (!force && key === game.mineKey) return;
  game.mineKey = key;
  showMine(list, game.selected, select, (id) => void remove(id));
}

function select(id: number | null): void {
  game.selected = id;
  sky?.select(id);
  showSelected(id === null ? null : (game.view?.bodies.find((b) => b.id === id) ?? null), game.player);
  refreshMine(true);
}

const connection = new Connection({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
  world,
  token: () => auth.token(),
  resumeTick: () => game.view?.tick ?? null,
  onState(state, detail) {
    game.connection = state;
    showStatus(state, detail, game.view?.tick);
    refreshPanels();
  },
  onWelcome(w) {
    game.player = w.player;
    periodMs = 1000 / w.tick_rate_hz;
    sky?.setPeriod(periodMs);
    if (!w.resumed) game.view = null;
    hint(w.player > 0 ? "Pick a kind, then click in the sky." : "Watching. Join the sky to create bodies.");
    refreshPanels();
    if (w.player > 0) void loadResearch();
  },
  onFrame: onFrame,
  onPlayerState(s) {
    game.resources = s.resources;
    game.rates = s.rates;
    showResources(s.resources, s.rates);
    refreshPanels();
  },
  onUnauthorized: () => auth.refresh(),
  onOutdated,
});

/** The server was upgraded past this client: load the new one (once; a loop would only spin). */
function onOutdated(): void {
  const key = "cosmic.reloaded-for-update";
  const last = Number(sessionStorage.getItem(key) ?? 0);
  if (Date.now() - last > 60_000) {
    sessionStorage.setItem(key, String(Date.now()));
    showStatus("connecting", "a new version is out: loading it");
    location.reload();
    return;
  }
  showStatus("stopped", "this page is out of date: reload it to play");
}

function onFrame(frame: Frame): void {
  const before = game.view;
  try {
    game.view = applyFrame(game.view, frame);
  } catch (e) {
    if (!(e instanceof ApplyError)) throw e;
    // Lost track (should not happen over one TCP stream): start over from a snapshot.
    console.warn(e.message);
    game.view = null;
    connection.retryNow();
    return;
  }
  sky?.setBodies(game.view.bodies);
  if (frame.events.length) {
    const byId = (v: WorldView | null) => new Map((v?.bodies ?? []).map((b) => [b.id, b]));
    addNews(describeEvents(frame.events, byId(before), byId(game.view), game.player));
  }
  if (game.selected !== null) showSelected(game.view.bodies.find((b) => b.id === game.selected) ?? null, game.player);
  if (game.view.tick % 10 === 0) showStatus("online", "", game.view.tick);
  if (game.selected !== null && !game.view.bodies.some((b) => b.id === game.selected)) select(null);
  refreshMine();
}

async function create(pos: [number, number, number]): Promise<void> {
  const kind = game.picked;
  if (!kind) return;
  const label = kindByName(kind)?.label ?? kind;
  try {
    const reply = await connection.request({ type: "create_body", kind, position: pos, velocity: null });
    if (reply.result === "body_created") {
      hint(`${label} #${reply.body} created. Click again to place another.`);
      select(reply.body);
    }
  } catch (e) {
    hint(`Could not create the ${label.toLowerCase()}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function remove(id: number): Promise<void> {
  const label = kindByCode(game.view?.bodies.find((b) => b.id === id)?.kind ?? -1)?.label ?? "Body";
  try {
    await connection.request({ type: "remove_body", body: id });
    hint(`${label} #${id} removed.`);
    if (game.selected === id) select(null);
  } catch (e) {
    hint(`Could not remove ${label.toLowerCase()} #${id}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function buyResearch(name: string): Promise<void> {
  try {
    const reply = await connection.request({ type: "buy_research", research: name });
    if (reply.result === "research_bought") game.research[reply.research] = reply.level;
    refreshPanels();
  } catch (e) {
    hint(e instanceof ServerError ? `Research: ${e.message}` : String(e));
  }
}

async function loadResearch(): Promise<void> {
  const token = await auth.token();
  if (!token) return;
  try {
    game.research = { ...(await myResearch(world, token)), ...game.research };
    refreshPanels();
  } catch {
    // A new player has no stored figures yet: every level is 0.
  }
}

async function loadLeaderboard(): Promise<void> {
  if (document.hidden || !navigator.onLine) return;
  showLeaderboard(await leaderboard(world).catch(() => null));
}

async function logout(): Promise<void> {
  await auth.logout();
  game.player = 0;
  game.resources = game.rates = null;
  game.research = {};
  showResources(null, null);
  connection.retryNow();
}

/** Keyboard and touch players place without aiming: a random point on the disc, clear of the core. */
function placeAtRandom(): void {
  const r = 4_000 + Math.random() * 30_000;
  const a = Math.random() * Math.PI * 2;
  void create([r * Math.cos(a), r * Math.sin(a), 0]);
}

function wireForms(): void {
  byId("place-random").addEventListener("click", placeAtRandom);
  const err = byId("play-error");
  const run = async (what: () => Promise<unknown>) => {
    err.textContent = "";
    try {
      await what();
      refreshPanels();
      connection.retryNow();
    } catch (e) {
      err.textContent = e instanceof ApiError ? e.message : "The server could not be reached. Try again.";
    }
  };
  byId("guest").addEventListener("click", () => void run(() => auth.guest()));
  const form = (id: string, submit: (f: FormData) => Promise<unknown>) =>
    byId<HTMLFormElement>(id).addEventListener("submit", (ev) => {
      ev.preventDefault();
      void run(() => submit(new FormData(ev.target as HTMLFormElement)));
    });
  form("login-form", (f) => auth.login(String(f.get("login")), String(f.get("password"))));
  form("register-form", (f) => auth.register(String(f.get("email")), String(f.get("username")), String(f.get("password"))));
}

async function loadSky(): Promise<void> {
  const note = byId("sky-note");
  try {
    performance.mark("sky:start");
    const { SkyView } = await import("./render/view");
    const view = await SkyView.start(byId<HTMLCanvasElement>("scene"), { onPlace: (pos) => void create(pos), onPick: select });
    performance.mark("sky:ready");
    view.setPeriod(periodMs);
    view.setPlacing(game.picked !== null);
    view.select(game.selected);
    if (game.view) view.setBodies(game.view.bodies);
    sky = view;
  } catch (e) {
    note.textContent = navigator.onLine
      ? `The 3D view could not start (${e instanceof Error ? e.message : String(e)}). The panels still work.`
      : "Offline: the 3D view loads when you are back online.";
  }
}

document.documentElement.dataset.build = __BUILD_ID__;
showResources(null, null);
wireForms();
refreshPanels();
connection.start();
void loadLeaderboard();
setInterval(() => void loadLeaderboard(), 20_000);
// three.js after the first paint: the shell is usable while the 3D view loads.
requestAnimationFrame(() => setTimeout(() => void loadSky(), 0));
if ("serviceWorker" in navigator && import.meta.env.PROD) {
  addEventListener("load", () => void navigator.serviceWorker.register("/sw.js").catch((e) => console.warn("service worker:", e)));
}
