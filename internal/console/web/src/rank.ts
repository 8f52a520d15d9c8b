import type { RankingRow, UsageRow } from "./api";

export interface Ranked {
  name: string;
  requests: number;
  tokens: number;
  inputTokens: number;
  outputTokens: number;
  costUSD: number;
  /** share of all tokens, 0..1 */
  share: number;
}

/** rank groups usage rows by one field and sorts the groups by tokens. */
export function rank(rows: UsageRow[], by: "model" | "provider" | "consumer"): Ranked[] {
  const groups = new Map<string, Ranked>();
  let total = 0;
  for (const r of rows) {
    const name = r[by];
    const g = groups.get(name) ?? { name, requests: 0, tokens: 0, inputTokens: 0, outputTokens: 0, costUSD: 0, share: 0 };
    g.requests += r.requests;
    g.inputTokens += r.inputTokens;
    g.outputTokens += r.outputTokens;
    g.tokens += r.inputTokens + r.outputTokens;
    g.costUSD += r.costUSD;
    total += r.inputTokens + r.outputTokens;
    groups.set(name, g);
  }
  const out = [...groups.values()];
  for (const g of out) g.share = total > 0 ? g.tokens / total : 0;
  out.sort((a, b) => b.tokens - a.tokens || b.requests - a.requests || a.name.localeCompare(b.name));
  return out;
}

/** ranked adds shares to an activity ranking (already sorted by tokens). */
export function ranked(rows: RankingRow[]): Ranked[] {
  const total = rows.reduce((n, r) => n + r.tokens, 0);
  return rows.map((r) => ({
    name: r.key,
    requests: r.requests,
    tokens: r.tokens,
    inputTokens: r.tokens_prompt,
    outputTokens: r.tokens_completion,
    costUSD: r.total_cost,
    share: total > 0 ? r.tokens / total : 0,
  }));
}
