// The controller page (/live): create or rejoin a show, then drive it: layers, parameters, tempo, presets,
// participants, microphone and MIDI, with a preview drawn by the displays' renderer. Every control change
// is sent at once; the server coalesces them for the displays. Tests read `window.cosmicVj`.
import "../style.css";
import "./vj.css";
import { Auth } from "../net/api";
import { LiveClient, LiveError, type Status } from "../net/live";
import type { Op, ShowState } from "../net/live.generated";
import type { Stage } from "../render/vj/stage";
import { beatAt } from "../state/show";
import { byId, el } from "../ui/dom";
import { normalizeCode } from "./code";
import { LayersPanel, effectSelect } from "./layers";
import { ParamsPanel } from "./params";
import { renderPeople } from "./people";
import { PresetsPanel } from "./presets";
import { inviteUrl, renderShare } from "./share";
import { wireInputs } from "./inputs";

const RECENT_KEY = "cosmic.vj.shows";

const auth = new Auth();
const token = async (): Promise<string> => (await auth.token()) ?? (await auth.guest(), (await auth.token())!);
const statusLine = byId("status");
const showError = byId("show-error");
let client: LiveClient | null = null;
let preview: Stage | null = null;

interface Recent {
  code: string;
  name: string;
}

function recent(): Recent[] {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]") as Recent[];
    return Array.isArray(list) ? list.filter((r) => typeof r.code === "string").slice(0, 8) : [];
  } catch {
    return [];
  }
}

function remember(code: string, name: string): void {
  const list = [{ code, name }, ...recent().filter((r) => r.code !== code)].slice(0, 8);
  localStorage.setItem(RECENT_KEY, JSON.stringify(list));
}

function renderRecent(): void {
  const list = recent();
  const ul = byId<HTMLUListElement>("recent");
  if (list.length === 0) return;
  ul.replaceChildren(
    ...list.map((r) => {
      const b = el("button", { type: "button", "aria-label": `Rejoin ${r.name || r.code}` }, "Rejoin");
      b.addEventListener("click", () => join({ room: r.code }));
      return el("li", {}, el("span", {}, `${r.name || "Untitled"} `, el("strong", { class: "code" }, r.code)), b);
    }),
  );
}

const STATUS_TEXT: Record<Status, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  failed: "Not connected",
};

function setStatus(status: Status, problem = ""): void {
  statusLine.dataset.state = status === "live" ? "online" : status === "failed" ? "offline" : status;
  statusLine.textContent = STATUS_TEXT[status] + (problem && status !== "live" ? ` — ${problem}` : "");
}

/** Sends an operation at once; a refusal is shown, never thrown. */
function send(op: Op): void {
  client?.op(op).then(
    () => (showError.textContent = ""),
    (e: unknown) => (showError.textContent = e instanceof LiveError ? `Refused: ${e.message} (${e.code})` : String(e)),
  );
}

const layers = new LayersPanel(byId<HTMLOListElement>("layers"), send);
const params = new ParamsPanel(byId("params"), byId("globals"), byId("params-of"), send);
const presets = new PresetsPanel({
  token,
  state: () => client?.state ?? null,
  load: async (id) => void (await client!.request({ type: "load_preset", preset_id: String(id) })),
  replace: async (state) => void (await client!.op({ op: "replace_state", state })),
});

function render(state: ShowState): void {
  byId<HTMLButtonElement>("add-layer").disabled = false;
  layers.render(state);
  params.render(state, layers.selected);
  presets.render(state);
  const bpm = byId<HTMLInputElement>("bpm");
  if (document.activeElement !== bpm) bpm.value = String(Math.round(state.tempo.bpm * 10) / 10);
  preview?.setState(state);
}
layers.onSelect = () => client?.state && params.render(client.state, layers.selected, true);

function join(opts: { room?: string; create?: { name?: string }; invite?: string }): void {
  client?.close();
  byId("start-error").textContent = "";
  const c = new LiveClient({ ...opts, role: "controller", name: auth.user?.username ?? "performer", token });
  client = c;
  c.onStatus = (s, problem) => {
    setStatus(s, problem);
    if (s === "failed" && !c.room) byId("start-error").textContent = `Could not open the show: ${problem}`;
  };
  c.onWelcome = (room) => {
    remember(room.code, room.name);
    history.replaceState(null, "", `/live?room=${encodeURIComponent(room.code)}`);
    byId("start").hidden = true;
    byId("show").hidden = false;
    document.title = `Cosmic VJ — ${room.name || room.code}`;
    void renderShare(room.code, room.name);
    void presets.refresh();
    void startPreview();
  };
  c.onState = render;
  c.onParticipants = () => renderPeople(byId<HTMLUListElement>("people"), c.participants.values(), c.me, (id, role) => void c.request({ type: "set_role", participant: id, role }).catch(refused));
  c.connect();
}

function refused(e: unknown): void {
  showError.textContent = e instanceof Error ? e.message : String(e);
}

async function startPreview(): Promise<void> {
  if (preview) return;
  const note = byId("preview-note");
  try {
    const { Stage } = await import("../render/vj/stage");
    preview = await Stage.start(byId<HTMLCanvasElement>("preview"));
    if (client?.state) preview.setState(client.state);
    setInterval(() => client && preview?.setClockOffset(client.clock.offset), 1_000);
  } catch (e) {
    note.textContent = `No preview on this device: ${e instanceof Error ? e.message : String(e)}`;
  }
}

function beatLoop(): void {
  const dot = byId("beat");
  const frame = () => {
    const s = client?.state;
    if (s) dot.classList.toggle("on", beatAt(s.tempo, client!.clock.now()).phase < 0.15);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

function wire(): void {
  effectSelect(byId<HTMLSelectElement>("new-effect"));
  byId("add-layer").addEventListener("click", () => {
    if (!client?.state) return;
    layers.add(client.state, byId<HTMLSelectElement>("new-effect").value);
  });
  const bpm = byId<HTMLInputElement>("bpm");
  bpm.addEventListener("change", () => {
    const v = Number(bpm.value);
    if (v >= 20 && v <= 300) send({ op: "set_tempo", tempo: { bpm: v } });
  });
  byId("tap").addEventListener("click", () => send({ op: "tap" }));
  document.addEventListener("keydown", (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
    if (!typing && (e.key === "t" || e.key === "T") && !e.repeat) send({ op: "tap" });
  });
  byId("invite").addEventListener("click", async () => {
    try {
      const inv = await client!.request({ type: "invite", role: "controller" });
      if (inv.type === "invitation") byId("invite-link").textContent = `Send this link (one use, until ${new Date(inv.expires_at).toLocaleString()}): ${inviteUrl(inv.token)}`;
    } catch (e) {
      refused(e);
    }
  });
  const create = byId<HTMLFormElement>("create-form");
  create.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = String(new FormData(create).get("name") ?? "").trim();
    join({ create: { name: name || "Untitled show" } });
  });
  const joinForm = byId<HTMLFormElement>("join-form");
  joinForm.addEventListener("submit", (e) => {
    e.preventDefault();
    join({ room: normalizeCode(String(new FormData(joinForm).get("code") ?? "")) });
  });
  wireInputs({ client: () => client, params, state: () => client?.state ?? null, note: byId("inputs-note") });
}

wire();
renderRecent();
beatLoop();
setStatus("connecting");
const query = new URLSearchParams(location.search);
const invite = query.get("invite");
const room = query.get("room");
if (invite) join({ invite });
else if (room) join({ room: normalizeCode(room) });
else {
  statusLine.dataset.state = "starting";
  statusLine.textContent = "Create or join a show";
}

declare global {
  interface Window {
    cosmicVj: { readonly client: LiveClient | null; readonly state: ShowState | null; readonly selected: string | null; send(op: Op): void };
  }
}
window.cosmicVj = {
  get client() {
    return client;
  },
  get state() {
    return client?.state ?? null;
  },
  get selected() {
    return layers.selected;
  },
  send,
};
