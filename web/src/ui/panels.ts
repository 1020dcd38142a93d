// The side panels: create (pick a kind), your bodies (select, remove), research, leaderboard.
import type { LeaderboardEntry } from "../net/api";
import type { WireBody, WireResources } from "../net/protocol.generated";
import { BUILDABLE, formatAmount, kindByCode, kindByName, LIFE_STAGES, RESEARCH, researchCost, type Resource } from "../state/kinds";
import { VELOCITY_SCALE } from "../state/motion";
import { byId, el } from "./dom";

const costText = (cost: Partial<Record<Resource, number>>) =>
  Object.entries(cost)
    .map(([k, v]) => `${formatAmount(v)} ${k.replace("cosmic_dust", "dust").replace("_", " ")}`)
    .join(" + ");

const affordable = (cost: Partial<Record<Resource, number>>, have: WireResources | null) =>
  !!have && Object.entries(cost).every(([k, v]) => have[k as Resource] >= v - 1e-9);

export function buildPanel(onPick: (kind: string | null) => void): (picked: string | null, have: WireResources | null, canPlay: boolean) => void {
  const box = byId("build");
  const buttons = BUILDABLE.map((name) => {
    const k = kindByName(name)!;
    const b = el("button", { type: "button", "aria-pressed": "false", "data-kind": name }, k.label, el("small", {}, costText(k.cost)));
    b.addEventListener("click", () => onPick(b.getAttribute("aria-pressed") === "true" ? null : name));
    return b;
  });
  box.replaceChildren(...buttons);
  const random = byId<HTMLButtonElement>("place-random");
  return (picked, have, canPlay) => {
    random.disabled = !canPlay || picked === null;
    for (const b of buttons) {
      const k = kindByName(b.dataset.kind!)!;
      b.setAttribute("aria-pressed", String(b.dataset.kind === picked));
      b.disabled = !canPlay;
      b.title = affordable(k.cost, have) ? "" : "Not enough resources yet";
    }
  };
}

export function showMine(bodies: WireBody[], selected: number | null, onSelect: (id: number) => void, onRemove: (id: number) => void): void {
  const list = byId("mine");
  byId("mine-count").textContent = bodies.length ? `(${bodies.length})` : "";
  const shown = bodies.slice(0, 60).map((b) => {
    const k = kindByCode(b.kind);
    const life = b.kind === 4 && b.life > 0 ? ` · ${LIFE_STAGES[b.life]} life` : "";
    const pick = el("button", { type: "button", class: "link" }, `${k?.label ?? "Body"} #${b.id}${life}`);
    pick.addEventListener("click", () => onSelect(b.id));
    const rm = el("button", { type: "button", "aria-label": `Remove ${k?.label ?? "body"} #${b.id}` }, "Remove");
    rm.addEventListener("click", () => onRemove(b.id));
    return el("li", { "data-body": String(b.id), "aria-current": String(b.id === selected) }, pick, rm);
  });
  if (!shown.length) shown.push(el("li", {}, "None yet: pick a kind above and click in the sky."));
  list.replaceChildren(...shown);
}

let researchKey = "";

export function showResearch(levels: Record<string, number>, have: WireResources | null, canPlay: boolean, onBuy: (name: string) => void): void {
  // Rebuilt only when something it shows changed (resources arrive four times a second).
  const key = JSON.stringify([levels, canPlay, RESEARCH.map((r) => affordable(researchCost(r, levels[r.name] ?? 0), have))]);
  if (key === researchKey) return;
  researchKey = key;
  const items = RESEARCH.map((r) => {
    const level = levels[r.name] ?? 0;
    const maxed = level >= r.maxLevel;
    const cost = researchCost(r, level);
    const buy = el("button", { type: "button", "aria-label": `Research ${r.label}` }, maxed ? "Max" : "Buy");
    buy.disabled = !canPlay || maxed;
    buy.addEventListener("click", () => onBuy(r.name));
    return el(
      "li",
      {},
      el("span", {}, `${r.label} ${level}/${r.maxLevel}`, el("small", {}, `${r.what}${maxed ? "" : ` · ${costText(cost)}`}${!maxed && !affordable(cost, have) ? " (not yet)" : ""}`)),
      buy,
    );
  });
  byId("research").replaceChildren(...items);
}

export function showLeaderboard(entries: LeaderboardEntry[] | null): void {
  const list = byId("leaderboard");
  if (!entries) {
    list.replaceChildren(el("li", {}, "Leaderboard unavailable"));
    return;
  }
  if (!entries.length) {
    list.replaceChildren(el("li", {}, "No gardeners yet: be the first."));
    return;
  }
  list.replaceChildren(...entries.map((e) => el("li", {}, `${e.username ?? `guest ${e.user_id}`} — ${formatAmount(e.value)} dust`)));
}

const NEWS_LINES = 8;

/** Adds lines to the top of the news feed, keeping the newest few. */
export function addNews(lines: string[]): void {
  if (!lines.length) return;
  const list = byId("news");
  if (list.firstElementChild && !list.firstElementChild.hasAttribute("data-news")) list.replaceChildren();
  const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  list.prepend(...lines.map((l) => el("li", { "data-news": "" }, `${time} ${l}`)));
  while (list.children.length > NEWS_LINES) list.lastElementChild!.remove();
}

/** What is known of the selected body: kind, owner, life, mass, radius, speed. */
export function showSelected(body: WireBody | null, me: number): void {
  const p = byId("selected");
  if (!body) {
    p.textContent = "";
    return;
  }
  const k = kindByCode(body.kind);
  const owner = body.owner === 0 ? "the world's" : body.owner === me ? "yours" : `player ${body.owner}'s`;
  const speed = Math.hypot(...body.vel) / VELOCITY_SCALE;
  const life = body.kind === 4 ? ` · life: ${LIFE_STAGES[body.life] ?? body.life}` : "";
  const text = `Selected: ${k?.label ?? "Body"} #${body.id} (${owner})${life} · mass ${formatAmount(body.mass)} · radius ${formatAmount(body.radius)} · ${formatAmount(speed)} units/s`;
  if (p.textContent !== text) p.textContent = text;
}
