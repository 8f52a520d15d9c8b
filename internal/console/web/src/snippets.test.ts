import { describe, expect, it } from "vitest";
import { curlSnippet, pythonSnippet, typescriptSnippet, type SnippetRequest } from "./snippets";

const r: SnippetRequest = {
  baseURL: "https://gw.example/v1",
  model: "gpt-mini",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: `It's "quoted"\nand multi-line` },
  ],
  temperature: 0.3,
};

describe("snippets", () => {
  it("read the key from the environment in every language", () => {
    expect(curlSnippet(r)).toContain('Authorization: Bearer $TOLLGATE_API_KEY');
    expect(pythonSnippet(r)).toContain('api_key=os.environ["TOLLGATE_API_KEY"]');
    expect(typescriptSnippet(r)).toContain("apiKey: process.env.TOLLGATE_API_KEY");
  });
  it("quote the body for the shell and ask for streamed usage", () => {
    const c = curlSnippet(r);
    expect(c).toContain(`It'\\''s`);
    const body = c.slice(c.indexOf("-d '") + 4, c.lastIndexOf("'")).replace(/'\\''/g, "'");
    const v = JSON.parse(body);
    expect(v).toMatchObject({ model: "gpt-mini", stream: true, stream_options: { include_usage: true }, temperature: 0.3 });
    expect(v.messages[1].content).toBe(`It's "quoted"\nand multi-line`);
  });
  it("write the messages as literals of each language", () => {
    expect(pythonSnippet(r)).toContain(`{"role": "user", "content": "It's \\"quoted\\"\\nand multi-line"}`);
    expect(typescriptSnippet(r)).toContain(`{ role: "system", content: "Be brief." }`);
  });
});
