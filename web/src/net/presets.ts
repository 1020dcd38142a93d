// The presets API (/api/presets) as the VJ controller uses it: list, read, save, new versions.
import { call } from "./api";
import type { Layer, ShowState, StateInput } from "./live.generated";

export interface PresetSummary {
  id: number;
  ownerId: number;
  name: string;
  description: string | null;
  isPublic: boolean;
  tags: string[];
  version: number;
  updatedAt: string;
}

export interface Preset extends PresetSummary {
  layers: Omit<Layer, "lastModified">[];
  parameters: Record<string, unknown>;
  globalSettings: { bpm?: number; masterOpacity?: number; speed?: number };
}

export interface PresetVersion {
  version: number;
  name: string;
  createdAt: string;
}

export type PresetFilter = "mine" | "public";

export async function listPresets(filter: PresetFilter, token: string): Promise<PresetSummary[]> {
  const res = await call<{ presets: PresetSummary[] }>("GET", `/api/presets?${filter}=true&limit=50`, undefined, token);
  return res.presets;
}

export function getPreset(id: number, token: string, version?: number): Promise<Preset> {
  const path = version === undefined ? `/api/presets/${id}` : `/api/presets/${id}/versions/${version}`;
  return call<Preset>("GET", path, undefined, token);
}

export async function listVersions(id: number, token: string): Promise<PresetVersion[]> {
  return (await call<{ versions: PresetVersion[] }>("GET", `/api/presets/${id}/versions?limit=20`, undefined, token)).versions;
}

/** The body of a save: the show as it is now. */
export function presetBody(state: ShowState, name: string, isPublic: boolean): object {
  return {
    name,
    isPublic,
    layers: state.layers.map(({ id, name, effectType, opacity, visible, blendMode, order, parameters }) => ({
      id,
      name,
      effectType,
      opacity,
      visible,
      blendMode,
      order,
      parameters,
    })),
    parameters: state.parameters,
    globalSettings: { bpm: state.tempo.bpm },
  };
}

export function createPreset(body: object, token: string): Promise<Preset> {
  return call<Preset>("POST", "/api/presets", body, token);
}

export function updatePreset(id: number, body: object, token: string): Promise<Preset> {
  return call<Preset>("PUT", `/api/presets/${id}`, body, token);
}

/** A preset (or one of its versions) as a room state to replace the show's with. */
export function presetState(p: Preset): StateInput {
  return {
    layers: p.layers.map((l) => ({ ...l })),
    parameters: p.parameters as StateInput["parameters"],
    activePresetId: String(p.id),
    ...(p.globalSettings.bpm ? { tempo: { bpm: p.globalSettings.bpm } } : {}),
  };
}
