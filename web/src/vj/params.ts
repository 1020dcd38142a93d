// Parameter sliders: the selected layer's (from its effect's list) and the show's. Each movement is sent at
// once. A slider's target ("layer:<id>:<name>" or "show:<name>") is what MIDI learn binds a knob to.
import type { ShowState } from "../net/live.generated";
import { COMMON_PARAMS, GLOBAL_PARAMS, effect, numberParam, type ParamInfo } from "../state/effects";
import { el } from "../ui/dom";
import type { Send } from "./layers";
import { setValue } from "./layers";

export class ParamsPanel {
  /** Set by the MIDI panel: called with a slider's target when its "learn" button is pressed. */
  onLearn?: (target: string) => void;
  private shape = "";
  private selected: string | null = null;

  constructor(
    private readonly layerBox: HTMLElement,
    private readonly showBox: HTMLElement,
    private readonly title: HTMLElement,
    private readonly send: Send,
  ) {}

  /** Rebuilds the sliders of the layer last shown (after "learn" buttons come or go). */
  refresh(state: ShowState): void {
    this.render(state, this.selected, true);
  }

  render(state: ShowState, selected: string | null, force = false): void {
    this.selected = selected;
    const layer = state.layers.find((l) => l.id === selected);
    const shape = `${layer?.id}/${layer?.effectType}/${this.onLearn ? "midi" : ""}`;
    if (force || shape !== this.shape || this.showBox.childElementCount === 0) {
      this.shape = shape;
      this.title.textContent = layer ? `of ${layer.name || layer.id}` : "";
      const infos = layer ? (effect(layer.effectType)?.params ?? COMMON_PARAMS) : [];
      this.layerBox.replaceChildren(...infos.map((info) => this.slider(info, `layer:${layer!.id}:${info.name}`, layer!.effectType)));
      if (!layer) this.layerBox.append(el("p", { class: "hint" }, "Select or add a layer to change its parameters."));
      this.showBox.replaceChildren(...GLOBAL_PARAMS.map((info) => this.slider(info, `show:${info.name}`)));
    }
    for (const input of this.inputs()) {
      const info = this.info(input);
      const [scope, id, name] = parseTarget(input.dataset.target!);
      const values = scope === "layer" ? state.layers.find((l) => l.id === id)?.parameters : state.parameters;
      if (!info || !name) continue;
      const v = numberParam(values, info);
      setValue(input, String(v));
      const out = input.parentElement?.querySelector("output");
      if (out) out.textContent = format(v, info);
    }
  }

  /** Moves a slider to a fraction (0–1) of its range, as a MIDI knob does, and sends it. */
  setFraction(target: string, fraction: number): void {
    const input = this.inputs().find((i) => i.dataset.target === target);
    const info = input && this.info(input);
    if (!input || !info) return;
    const steps = Math.round((fraction * (info.max - info.min)) / info.step);
    input.value = String(Math.min(info.max, info.min + steps * info.step));
    input.dispatchEvent(new Event("input"));
  }

  private inputs(): HTMLInputElement[] {
    return [...this.layerBox.querySelectorAll<HTMLInputElement>("input[data-target]"), ...this.showBox.querySelectorAll<HTMLInputElement>("input[data-target]")];
  }

  private info(input: HTMLInputElement): ParamInfo | undefined {
    const [scope, , name] = parseTarget(input.dataset.target!);
    if (scope === "show") return GLOBAL_PARAMS.find((p) => p.name === name);
    return [...COMMON_PARAMS, ...effectParams(input.dataset.effect)].find((p) => p.name === name);
  }

  private slider(info: ParamInfo, target: string, effectType?: string): HTMLElement {
    const [scope, id, name] = parseTarget(target);
    const input = el("input", { type: "range", min: String(info.min), max: String(info.max), step: String(info.step), "data-target": target, "data-param": info.name });
    if (effectType) input.dataset.effect = effectType;
    const out = el("output", {}, format(info.default, info));
    input.addEventListener("input", () => {
      const value = Number(input.value);
      out.textContent = format(value, info);
      const parameters = { [name!]: value };
      this.send(scope === "layer" ? { op: "set_parameters", layer: id, parameters } : { op: "set_parameters", parameters });
    });
    const label = el("label", { class: "param" }, el("span", {}, info.label), input, out);
    if (!this.onLearn) return label;
    const learn = el("button", { type: "button", class: "learn", "aria-label": `MIDI learn ${info.label}` }, "learn");
    learn.addEventListener("click", () => this.onLearn?.(target));
    return el("div", { class: "param-row" }, label, learn);
  }
}

function effectParams(type: string | undefined): readonly ParamInfo[] {
  return type ? (effect(type)?.params ?? []) : [];
}

/** `layer:<id>:<name>` or `show:<name>` → [scope, layer id, name]. */
export function parseTarget(target: string): [string, string | undefined, string | undefined] {
  const parts = target.split(":");
  if (parts[0] === "show") return ["show", undefined, parts[1]];
  return ["layer", parts[1], parts[2]];
}

function format(v: number, info: ParamInfo): string {
  return info.step >= 1 ? String(Math.round(v)) : v.toFixed(2);
}
