import type { ModelInfo } from "./api";

export type SortKey = "name" | "price" | "context";

export interface CatalogFilter {
  text: string;
  capability: string; // "" = any
  maxPrice: number | null; // USD per million, input and output
  sort: SortKey;
}

/** blended is the price used to sort: input plus output per million. */
export const blended = (m: ModelInfo) => m.inputPerMillion + m.outputPerMillion;

/** filterModels applies the catalogue's filter and sort. */
export function filterModels(all: ModelInfo[], f: CatalogFilter): ModelInfo[] {
  const q = f.text.trim().toLowerCase();
  const out = all.filter((m) => {
    if (q && !m.id.toLowerCase().includes(q) && !m.providers.some((p) => p.toLowerCase().includes(q))) return false;
    if (f.capability && !m.capabilities.includes(f.capability)) return false;
    if (f.maxPrice !== null && (m.inputPerMillion > f.maxPrice || m.outputPerMillion > f.maxPrice)) return false;
    return true;
  });
  const byName = (a: ModelInfo, b: ModelInfo) => a.id.localeCompare(b.id);
  switch (f.sort) {
    case "price":
      out.sort((a, b) => blended(a) - blended(b) || byName(a, b));
      break;
    case "context":
      out.sort((a, b) => (b.contextWindow ?? 0) - (a.contextWindow ?? 0) || byName(a, b));
      break;
    default:
      out.sort(byName);
  }
  return out;
}

/** capabilitiesOf lists every capability in the catalogue, sorted. */
export function capabilitiesOf(all: ModelInfo[]): string[] {
  return [...new Set(all.flatMap((m) => m.capabilities))].sort();
}

const capabilityNames: Record<string, string> = {
  chat: "Chat",
  streaming: "Streaming",
  tools: "Tools",
  vision: "Vision",
  embeddings: "Embeddings",
  jsonmode: "JSON mode",
};

export const capabilityName = (c: string) => capabilityNames[c] ?? c;

/** chatModels are the models the playground can call. */
export function chatModels(all: ModelInfo[]): ModelInfo[] {
  return all.filter((m) => m.capabilities.length === 0 || m.capabilities.includes("chat"));
}
