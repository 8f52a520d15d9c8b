import { describe, expect, it } from "vitest";
import type { ModelInfo, UsageRow } from "./api";
import { filterModels } from "./catalog";
import { costOf } from "./format";
import { activityQuery } from "./activity";
import { rank, ranked } from "./rank";

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

describe("ranked", () => {
  it("adds shares to an activity ranking", () => {
    const r = ranked([
      { key: "Acme", requests: 3, tokens_prompt: 60, tokens_completion: 15, tokens: 75, total_cost: 0.1 },
      { key: "", requests: 1, tokens_prompt: 20, tokens_completion: 5, tokens: 25, total_cost: 0 },
    ]);
    expect(r.map((g) => [g.name, g.tokens, g.inputTokens, g.share])).toEqual([["Acme", 75, 60, 0.75], ["", 25, 20, 0.25]]);
    expect(ranked([])).toEqual([]);
  });
});

describe("activityQuery", () => {
  it("maps the page's filters to the API's query", () => {
    const now = Date.UTC(2026, 11, 2, 12, 0, 0);
    expect(activityQuery({ range: "1h", model: "m", status: "error", app: " Acme ", consumer: "" }, now, "c1")).toEqual({
      from: "2026-12-02T11:00:00Z", model: "m", status: "error", app: "Acme", consumer: undefined, limit: 25, cursor: "c1",
    });
    expect(activityQuery({ range: "7d", model: "", status: "", app: "", consumer: "team-b" }, now).from).toBe("2026-11-25T12:00:00Z");
  });
});
