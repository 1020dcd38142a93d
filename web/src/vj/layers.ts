// The controller's layer stack: add, remove, reorder, effect type, opacity, blend mode, visible. Every change
// is sent at once; the list is rebuilt only when the stack's shape changes, and a control being used is never
// overwritten by the state coming back.
import type { BlendMode, Layer, Op, ShowState } from "../net/live.generated";
import { EFFECTS, defaultParams, effect } from "../state/effects";
import { el } from "../ui/dom";

export const BLEND_MODES: readonly BlendMode[] = ["normal", "add", "multiply", "screen", "overlay", "difference", "lighten", "darken"];

export type Send = (op: Op) => void;

function options(select: HTMLSelectElement, values: readonly { value: string; label: string }[]): HTMLSelectElement {
  for (const v of values) select.append(el("option", { value: v.value }, v.label));
  return select;
}

const EFFECT_OPTIONS = EFFECTS.map((e) => ({ value: e.type, label: e.label }));
const BLEND_OPTIONS = BLEND_MODES.map((b) => ({ value: b, label: b }));

/** Sets a control's value unless the user is on it. */
export function setValue(input: HTMLInputElement | HTMLSelectElement, value: string): void {
  if (document.activeElement !== input && input.value !== value) input.value = value;
}

export function newLayerId(): string {
  return `l-${crypto.randomUUID().slice(0, 8)}`;
}

export class LayersPanel {
  selected: string | null = null;
  onSelect?: () => void;
  private shape = "";

  constructor(
    private readonly list: HTMLOListElement,
    private readonly send: Send,
  ) {}

  /** Adds a layer of this effect on top. */
  add(state: ShowState, type: string): string {
    const id = newLayerId();
    const top = state.layers.reduce((m, l) => Math.max(m, l.order), -1);
    const label = effect(type)?.label ?? type;
    this.send({
      op: "add_layer",
      layer: { id, name: label, effectType: type, opacity: 1, visible: true, blendMode: state.layers.length ? "add" : "normal", order: top + 1, parameters: defaultParams(type) },
    });
    this.selected = id;
    return id;
  }

  render(state: ShowState): void {
    const layers = [...state.layers].reverse(); // top of the stack first, as VJ tools list them
    if (!layers.some((l) => l.id === this.selected)) this.selected = layers[0]?.id ?? null;
    const shape = layers.map((l) => `${l.id}/${l.effectType}`).join(",") + `|${this.selected}`;
    if (shape !== this.shape) {
      this.shape = shape;
      this.list.replaceChildren(...layers.map((l, i) => this.item(state, l, i, layers.length)));
      if (layers.length === 0) this.list.append(el("li", { class: "hint" }, "No layers yet: add one below."));
    }
    for (const l of layers) this.update(l);
  }

  private item(state: ShowState, l: Layer, index: number, count: number): HTMLLIElement {
    const name = l.name || l.id;
    const select = el("button", { type: "button", class: "layer-name", "aria-pressed": String(l.id === this.selected), "data-id": l.id }, name);
    select.addEventListener("click", () => {
      this.selected = l.id;
      this.shape = "";
      this.render(state);
      this.onSelect?.();
    });
    const visible = el("input", { type: "checkbox", "aria-label": `${name} visible`, "data-field": "visible" });
    visible.addEventListener("change", () => this.send({ op: "update_layer", id: l.id, changes: { visible: visible.checked } }));
    const fx = options(el("select", { "aria-label": `${name} effect`, "data-field": "effectType" }), EFFECT_OPTIONS);
    fx.addEventListener("change", () =>
      this.send({ op: "update_layer", id: l.id, changes: { effectType: fx.value, name: effect(fx.value)?.label ?? fx.value, parameters: defaultParams(fx.value) } }),
    );
    const opacity = el("input", { type: "range", min: "0", max: "1", step: "0.01", "aria-label": `${name} opacity`, "data-field": "opacity" });
    opacity.addEventListener("input", () => this.send({ op: "update_layer", id: l.id, changes: { opacity: Number(opacity.value) } }));
    const blend = options(el("select", { "aria-label": `${name} blend mode`, "data-field": "blendMode" }), BLEND_OPTIONS);
    blend.addEventListener("change", () => this.send({ op: "update_layer", id: l.id, changes: { blendMode: blend.value as BlendMode } }));
    const up = this.move("↑", `Move ${name} up`, state, l.id, +1, index === 0);
    const down = this.move("↓", `Move ${name} down`, state, l.id, -1, index === count - 1);
    const remove = el("button", { type: "button", "aria-label": `Remove ${name}` }, "✕");
    remove.addEventListener("click", () => this.send({ op: "remove_layer", id: l.id }));
    return el("li", { "data-id": l.id }, select, visible, fx, opacity, blend, up, down, remove);
  }

  /** A button moving a layer one place up (+1) or down (−1) the stack. */
  private move(label: string, aria: string, state: ShowState, id: string, by: 1 | -1, disabled: boolean): HTMLButtonElement {
    const b = el("button", { type: "button", "aria-label": aria }, label);
    b.disabled = disabled;
    b.addEventListener("click", () => {
      const order = state.layers.map((l) => l.id); // bottom to top
      const i = order.indexOf(id);
      const j = i + by;
      if (i < 0 || j < 0 || j >= order.length) return;
      [order[i], order[j]] = [order[j]!, order[i]!];
      this.send({ op: "reorder_layers", order });
    });
    return b;
  }

  private update(l: Layer): void {
    const li = this.list.querySelector<HTMLLIElement>(`li[data-id="${CSS.escape(l.id)}"]`);
    if (!li) return;
    const field = <T extends HTMLElement>(f: string) => li.querySelector<T>(`[data-field="${f}"]`)!;
    const visible = field<HTMLInputElement>("visible");
    if (document.activeElement !== visible) visible.checked = l.visible;
    setValue(field<HTMLSelectElement>("effectType"), l.effectType);
    setValue(field<HTMLInputElement>("opacity"), String(l.opacity));
    setValue(field<HTMLSelectElement>("blendMode"), l.blendMode);
  }
}

export function effectSelect(select: HTMLSelectElement): void {
  options(select, EFFECT_OPTIONS);
}
