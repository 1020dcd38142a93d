// Body kinds as the wire codes them (`protocol::kinds`), with what the client shows and what they cost
// (crates/sim/data/balance.toml defaults; the server has the last word and refuses what is unaffordable).

export interface KindInfo {
  code: number;
  name: string;
  label: string;
  /** Costs in resource units, for the build panel. */
  cost: Partial<Record<Resource, number>>;
  color: number;
  /** Drawn radius in game units: real radii are far too small to see at world scale. */
  size: number;
  /** Research needed before it can be built. */
  unlock?: string;
}

export type Resource = "cosmic_dust" | "energy" | "organic_matter" | "biomass" | "dark_matter" | "thought_points";

export const RESOURCES: { key: Resource; label: string }[] = [
  { key: "cosmic_dust", label: "Dust" },
  { key: "energy", label: "Energy" },
  { key: "organic_matter", label: "Organics" },
  { key: "biomass", label: "Biomass" },
  { key: "dark_matter", label: "Dark matter" },
  { key: "thought_points", label: "Thought" },
];

const star = (code: number, cls: string, color: number): KindInfo => ({
  code,
  name: `star_${cls.toLowerCase()}`,
  label: `${cls} star`,
  cost: { cosmic_dust: 100_000, dark_matter: 5 },
  color,
  size: 700,
  unlock: "stellar_ignition",
});

export const KINDS: KindInfo[] = [
  { code: 0, name: "asteroid", label: "Asteroid", cost: { cosmic_dust: 100 }, color: 0x9a8878, size: 120 },
  { code: 1, name: "comet", label: "Comet", cost: { cosmic_dust: 500 }, color: 0x9fe8ff, size: 140 },
  { code: 2, name: "moon", label: "Moon", cost: { cosmic_dust: 1_000 }, color: 0xc8c8d0, size: 180 },
  { code: 3, name: "dwarf_planet", label: "Dwarf planet", cost: { cosmic_dust: 2_500 }, color: 0xd9b38c, size: 220 },
  { code: 4, name: "planet", label: "Planet", cost: { cosmic_dust: 10_000, energy: 1_000 }, color: 0x3f7fd9, size: 320 },
  {
    code: 5,
    name: "black_hole",
    label: "Black hole",
    cost: { cosmic_dust: 1_000_000, dark_matter: 100, energy: 50_000 },
    color: 0x1a0526,
    size: 900,
    unlock: "singularity_engineering",
  },
  star(8, "O", 0x9bb0ff),
  star(9, "B", 0xaabfff),
  star(10, "A", 0xcad7ff),
  star(11, "F", 0xf8f7ff),
  star(12, "G", 0xfff4a8),
  star(13, "K", 0xffd2a1),
  star(14, "M", 0xff9a6b),
];

export const BUILDABLE = ["asteroid", "comet", "moon", "dwarf_planet", "planet", "star_g", "black_hole"];

export function kindByCode(code: number): KindInfo | undefined {
  return KINDS.find((k) => k.code === code);
}

export function kindByName(name: string): KindInfo | undefined {
  return KINDS.find((k) => k.name === name);
}

/** Planet colour by life stage: barren blue → microbial teal → plant green → animal olive → intelligent gold. */
export const LIFE_COLORS = [0x3f7fd9, 0x3fb8b0, 0x3fbf5a, 0x8fbf3f, 0xf0c040];

export const LIFE_STAGES = ["none", "microbial", "plant", "animal", "intelligent"];

export interface ResearchInfo {
  name: string;
  label: string;
  what: string;
  baseCost: Partial<Record<Resource, number>>;
  growth: number;
  maxLevel: number;
}

export const RESEARCH: ResearchInfo[] = [
  { name: "dust_yield", label: "Dust yield", what: "+25 % dust per level", baseCost: { cosmic_dust: 500 }, growth: 1.6, maxLevel: 20 },
  { name: "energy_yield", label: "Energy yield", what: "+25 % energy per level", baseCost: { cosmic_dust: 5_000, energy: 500 }, growth: 1.7, maxLevel: 20 },
  { name: "life_growth", label: "Life growth", what: "+20 % life speed per level", baseCost: { organic_matter: 200, energy: 1_000 }, growth: 1.8, maxLevel: 10 },
  { name: "body_limit", label: "Body limit", what: "+25 bodies per level", baseCost: { cosmic_dust: 3_000 }, growth: 1.5, maxLevel: 20 },
  { name: "offline_efficiency", label: "Offline efficiency", what: "+10 % offline income per level", baseCost: { cosmic_dust: 10_000, thought_points: 10 }, growth: 2, maxLevel: 5 },
  { name: "stellar_ignition", label: "Stellar ignition", what: "unlocks stars", baseCost: { cosmic_dust: 20_000, dark_matter: 1 }, growth: 1, maxLevel: 1 },
  { name: "singularity_engineering", label: "Singularity engineering", what: "unlocks black holes", baseCost: { dark_matter: 50, thought_points: 500 }, growth: 1, maxLevel: 1 },
];

/** Cost of buying `research` at its current `level` (base × growth^level). */
export function researchCost(r: ResearchInfo, level: number): Partial<Record<Resource, number>> {
  const out: Partial<Record<Resource, number>> = {};
  for (const [k, v] of Object.entries(r.baseCost) as [Resource, number][]) out[k] = v * r.growth ** level;
  return out;
}

/** "1.2k", "3.4M": compact figures for the HUD. */
export function formatAmount(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  return v.toFixed(1);
}
