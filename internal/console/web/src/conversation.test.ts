import { describe, expect, it } from "vitest";
import { domain, niceMax, segments } from "./chart";
import { messages, parseStop, summarise, type Turn } from "./conversation";
import { curlSnippet, pythonSnippet, requestBody } from "./snippets";

const turns: Turn[] = [
  { id: 1, role: "user", text: "Hi", images: ["data:image/png;base64,AAAA"] },
  { id: 2, role: "assistant", text: "Hello!", status: "done" },
  { id: 3, role: "user", text: "Again" },
  { id: 4, role: "assistant", text: "", status: "error" },
  { id: 5, role: "user", text: "Third" },
];

describe("messages", () => {
  it("carries the history, leaves out empty failed answers", () => {
    expect(messages("Be brief.", turns, false)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "Again" },
      { role: "user", content: "Third" },
    ]);
  });
  it("sends images to a vision model only", () => {
    expect(messages("", turns.slice(0, 1), true)).toEqual([
      { role: "user", content: [{ type: "text", text: "Hi" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] },
    ]);
  });
});

describe("request options", () => {
  const r = { baseURL: "https://gw.example/v1", model: "m", messages: messages("", turns.slice(0, 1), true), temperature: 0.2, maxTokens: 64, topP: 0.9, stop: ["END"], jsonMode: true };
  it("are in the body under the API's names", () => {
    expect(requestBody(r)).toMatchObject({ max_tokens: 64, top_p: 0.9, stop: ["END"], response_format: { type: "json_object" } });
    expect(requestBody({ ...r, maxTokens: undefined, topP: undefined, stop: [], jsonMode: false })).not.toHaveProperty("max_tokens");
  });
  it("show in snippets, images cut short", () => {
    expect(pythonSnippet(r)).toContain("max_tokens=64,");
    expect(pythonSnippet(r)).toContain('response_format={"type":"json_object"},');
    expect(curlSnippet(r)).toContain("data:image/png;base64,…");
    expect(curlSnippet(r)).not.toContain("AAAA");
  });
});

describe("summarise and parseStop", () => {
  it("computes tokens per second after the first token", () => {
    const s = summarise("m", { id: 1, role: "assistant", text: "x", status: "done", ttftMs: 200, totalMs: 1200, outputTokens: 50, costUSD: 0.01 });
    expect(s.tokensPerSec).toBeCloseTo(50);
    expect(summarise("m", { id: 2, role: "assistant", text: "", status: "error" }).tokensPerSec).toBeUndefined();
  });
  it("reads one stop sequence a line, at most four", () => {
    expect(parseStop("END\n\n\\n\\nUser:\na\nb\nc")).toEqual(["END", "\n\nUser:", "a", "b"]);
  });
});

describe("chart", () => {
  it("rounds the top and breaks lines at gaps", () => {
    expect([niceMax(0), niceMax(7), niceMax(130), niceMax(1000)]).toEqual([1, 10, 200, 1000]);
    const s = { name: "a", samples: [{ t: 0, v: 50 }, { t: 10, v: 100 }, { t: 20, v: null }, { t: 30, v: 0 }] };
    const box = { width: 130, height: 120, pad: 10 };
    const d = domain([s], 100);
    expect(d).toEqual({ t0: 0, t1: 30, top: 100 });
    expect(segments(s, box, d)).toEqual([[[10, 60], [46.7, 10]], [[120, 110]]]);
  });
});
