// A playground conversation: one per model column, kept in page memory.
import type { ChatMessage, ContentPart, SnippetRequest } from "./snippets";

export type Status = "waiting" | "streaming" | "done" | "error" | "stopped";

export interface Turn {
  id: number;
  role: "user" | "assistant";
  text: string;
  /** images are data: URLs attached to a user turn. */
  images?: string[];
  // An assistant turn's outcome and figures.
  status?: Status;
  error?: string;
  round?: number;
  ttftMs?: number;
  totalMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  costUSD?: number;
  /** request is what an assistant turn was asked with (its snippets). */
  request?: SnippetRequest;
}

let nextID = 0;
export const turnID = () => ++nextID;

/** messages is what a column sends: the system prompt, then every user
 * turn and every answered assistant turn (a failed or stopped answer with
 * no text is left out), images only to a model that sees them. */
export function messages(system: string, turns: Turn[], vision: boolean): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (system.trim()) out.push({ role: "system", content: system });
  for (const t of turns) {
    if (t.role === "assistant") {
      if (t.text !== "") out.push({ role: "assistant", content: t.text });
      continue;
    }
    if (vision && t.images && t.images.length > 0) {
      const parts: ContentPart[] = [{ type: "text", text: t.text }, ...t.images.map((url) => ({ type: "image_url" as const, image_url: { url } }))];
      out.push({ role: "user", content: parts });
    } else {
      out.push({ role: "user", content: t.text });
    }
  }
  return out;
}

/** Summary is one column's figures in a round's comparison. */
export interface Summary {
  model: string;
  status: Status;
  costUSD?: number;
  ttftMs?: number;
  totalMs?: number;
  outputTokens?: number;
  /** tokensPerSec is output tokens over the time after the first one. */
  tokensPerSec?: number;
}

export function summarise(model: string, t: Turn): Summary {
  const s: Summary = { model, status: t.status ?? "done", costUSD: t.costUSD, ttftMs: t.ttftMs, totalMs: t.totalMs, outputTokens: t.outputTokens };
  if (t.outputTokens !== undefined && t.totalMs !== undefined && t.ttftMs !== undefined) {
    const gen = (t.totalMs - t.ttftMs) / 1000;
    s.tokensPerSec = gen > 0 ? t.outputTokens / gen : undefined;
  }
  return s;
}

/** parseStop reads stop sequences, one a line (the API takes up to 4). */
export function parseStop(v: string): string[] {
  return v
    .split("\n")
    .map((s) => s.replace(/\\n/g, "\n"))
    .filter((s) => s !== "")
    .slice(0, 4);
}
