// The HUD: connection state, resources with their production rates, the account corner.
import type { ConnectionState } from "../net/socket";
import type { WireResources } from "../net/protocol.generated";
import { formatAmount, RESOURCES } from "../state/kinds";
import { byId, el } from "./dom";

const STATE_TEXT: Record<ConnectionState | "starting", string> = {
  starting: "Starting…",
  connecting: "Connecting…",
  online: "Online",
  reconnecting: "Reconnecting…",
  offline: "Offline — the sky returns when you are back online.",
  stopped: "Disconnected",
};

export function showStatus(state: ConnectionState, detail: string, tick?: number): void {
  const s = byId("status");
  s.dataset.state = state;
  let text = STATE_TEXT[state];
  if (state === "online" && tick !== undefined) text += ` · tick ${tick}`;
  if (detail && state !== "online" && state !== "offline") text += ` (${detail})`;
  if (s.textContent !== text) s.textContent = text;
}

export function showResources(resources: WireResources | null, rates: WireResources | null): void {
  const dl = byId("resources");
  if (!resources) {
    dl.replaceChildren(el("dt", {}, "—"), el("dd", {}, "Join to collect resources"));
    return;
  }
  const items: Node[] = [];
  for (const { key, label } of RESOURCES) {
    const rate = rates?.[key] ?? 0;
    items.push(
      el("dt", {}, label),
      el("dd", { "data-resource": key }, formatAmount(resources[key]), el("span", { class: "rate" }, rate ? `+${formatAmount(rate)}/s` : "")),
    );
  }
  dl.replaceChildren(...items);
}

export function showAccount(name: string | null, onLogout: () => void): void {
  const box = byId("account");
  if (!name) {
    box.replaceChildren();
    return;
  }
  const out = el("button", { type: "button" }, "Log out");
  out.addEventListener("click", onLogout);
  box.replaceChildren(el("span", {}, name), out);
}
