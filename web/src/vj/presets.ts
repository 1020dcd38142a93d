// The controller's presets: save the show as a new preset or a new version of the loaded one, list mine or
// the public ones, load one into the room (every display switches), or load one of its earlier versions.
import { ApiError } from "../net/api";
import type { ShowState, StateInput } from "../net/live.generated";
import { createPreset, getPreset, listPresets, listVersions, presetBody, presetState, updatePreset, type PresetFilter } from "../net/presets";
import { byId, el } from "../ui/dom";

export interface PresetsHost {
  token(): Promise<string>;
  state(): ShowState | null;
  /** Loads a stored preset into the room by id (the server reads it). */
  load(id: number): Promise<void>;
  /** Replaces the room's state (an earlier version of a preset). */
  replace(state: StateInput): Promise<void>;
}

export class PresetsPanel {
  private readonly list = byId<HTMLUListElement>("presets");
  private readonly note = byId("preset-note");
  private readonly filter = byId<HTMLSelectElement>("preset-filter");
  private readonly versionButton = byId<HTMLButtonElement>("preset-version");
  /** The loaded preset, when it is the caller's (a new version can be saved). */
  private mine = new Set<number>();

  constructor(private readonly host: PresetsHost) {
    const form = byId<HTMLFormElement>("preset-form");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const data = new FormData(form);
      void this.save(String(data.get("name") ?? "").trim(), data.get("public") === "on");
    });
    this.versionButton.addEventListener("click", () => void this.saveVersion());
    this.filter.addEventListener("change", () => void this.refresh());
    byId("preset-refresh").addEventListener("click", () => void this.refresh());
  }

  /** Enables "new version" when the room's active preset is one of mine. */
  render(state: ShowState): void {
    const active = Number(state.activePresetId);
    this.versionButton.disabled = !(Number.isInteger(active) && this.mine.has(active));
  }

  async refresh(): Promise<void> {
    try {
      const token = await this.host.token();
      const mine = await listPresets("mine", token);
      for (const p of mine) this.mine.add(p.id);
      const presets = (this.filter.value as PresetFilter) === "mine" ? mine : await listPresets("public", token);
      this.list.replaceChildren(...presets.map((p) => this.item(p.id, p.name, p.version, p.isPublic)));
      if (presets.length === 0) this.list.append(el("li", { class: "hint" }, "No presets here yet."));
      const s = this.host.state();
      if (s) this.render(s);
    } catch (e) {
      this.say(e);
    }
  }

  private item(id: number, name: string, version: number, isPublic: boolean): HTMLLIElement {
    const load = el("button", { type: "button", "aria-label": `Load preset ${name}` }, "Load");
    load.addEventListener("click", () => void this.run(`Loaded “${name}”.`, () => this.host.load(id)));
    const versions = el("details", {}, el("summary", {}, `v${version}`));
    versions.addEventListener("toggle", () => versions.open && void this.versions(versions, id, name));
    return el("li", {}, el("span", {}, name, isPublic ? el("small", {}, " public") : ""), load, versions);
  }

  private async versions(box: HTMLDetailsElement, id: number, name: string): Promise<void> {
    try {
      const versions = await listVersions(id, await this.host.token());
      box.querySelector("ul")?.remove();
      const ul = el("ul", { class: "versions" });
      for (const v of versions) {
        const b = el("button", { type: "button", "aria-label": `Load version ${v.version} of ${name}` }, `Load v${v.version}`);
        b.addEventListener("click", () =>
          void this.run(`Loaded version ${v.version} of “${name}”.`, async () => this.host.replace(presetState(await getPreset(id, await this.host.token(), v.version)))),
        );
        ul.append(el("li", {}, `${new Date(v.createdAt).toLocaleString()} `, b));
      }
      box.append(ul);
    } catch (e) {
      this.say(e);
    }
  }

  private async save(name: string, isPublic: boolean): Promise<void> {
    const state = this.host.state();
    if (!state || !name) return;
    await this.run(`Saved “${name}”.`, async () => {
      const p = await createPreset(presetBody(state, name, isPublic), await this.host.token());
      this.mine.add(p.id);
      // The room now shows this preset: a later "new version" stores into it.
      await this.host.replace({ activePresetId: String(p.id) });
      await this.refresh();
    });
  }

  private async saveVersion(): Promise<void> {
    const state = this.host.state();
    const id = Number(state?.activePresetId);
    if (!state || !Number.isInteger(id)) return;
    await this.run("Saved a new version.", async () => {
      const token = await this.host.token();
      const current = await getPreset(id, token);
      await updatePreset(id, presetBody(state, current.name, current.isPublic), token);
      await this.refresh();
    });
  }

  private async run(done: string, f: () => Promise<void>): Promise<void> {
    try {
      await f();
      this.note.textContent = done;
    } catch (e) {
      this.say(e);
    }
  }

  private say(e: unknown): void {
    this.note.textContent = e instanceof ApiError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e);
  }
}
