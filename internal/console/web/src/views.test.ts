import { describe, expect, it } from "vitest";
import type { ModelInfo, UsageRow } from "./api";
import { filterModels } from "./catalog";
import { costOf } from "./format";
import { rank } from "./rank";

const m = (id: string, inP: number, outP: number, ctx: number, caps: string[], providers = ["p"]): ModelInfo => ({
  id,
  provider: providers[0],
  providers,
  contextWindow: ctx,
  inputPerMillion: inP,
  outputPerMillion: outP,
  capabilities: caps,
});
const all = [m("gpt-big", 5, 15, 128000, ["chat", "tools"]), m("claude", 3, 15, 200000, ["chat", "vision"], ["anthropic"]), m("embed", 0.1, 0, 8000, ["embeddings"])];

describe("filterModels", () => {
  it("filters by text, provider, capability and price", () => {
    expect(filterModels(all, { text: "GPT", capability: "", maxPrice: null, sort: "name" }).map((x) => x.id)).toEqual(["gpt-big"]);
    expect(filterModels(all, { text: "anthro", capability: "", maxPrice: null, sort: "name" }).map((x) => x.id)).toEqual(["claude"]);
    expect(filterModels(all, { text: "", capability: "chat", maxPrice: null, sort: "name" }).map((x) => x.id)).toEqual(["claude", "gpt-big"]);
    expect(filterModels(all, { text: "", capability: "", maxPrice: 10, sort: "name" }).map((x) => x.id)).toEqual(["embed"]);
  });
  it("sorts by price and by context", () => {
    expect(filterModels(all, { text: "", capability: "", maxPrice: null, sort: "price" }).map((x) => x.id)).toEqual(["embed", "claude", "gpt-big"]);
    expect(filterModels(all, { text: "", capability: "", maxPrice: null, sort: "context" }).map((x) => x.id)).toEqual(["claude", "gpt-big", "embed"]);
  });
});

describe("rank", () => {
  const row = (model: string, provider: string, consumer: string, i: number, o: number): UsageRow => ({
    model, provider, consumer, requests: 1, inputTokens: i, outputTokens: o, costUSD: 0.01,
  });
  it("groups by a field, sorts by tokens and computes shares", () => {
    const rows = [row("a", "p1", "x", 10, 10), row("b", "p2", "x", 50, 10), row("a", "p2", "y", 10, 10)];
    const byModel = rank(rows, "model");
    expect(byModel.map((g) => [g.name, g.tokens, g.requests])).toEqual([["b", 60, 1], ["a", 40, 2]]);
    expect(byModel[0].share).toBeCloseTo(0.6);
    expect(rank(rows, "provider").map((g) => g.name)).toEqual(["p2", "p1"]);
  });
});

describe("costOf", () => {
  it("prices per million tokens", () => {
    expect(costOf(1_000_000, 500_000, 3, 15)).toBeCloseTo(10.5);
  });
});
