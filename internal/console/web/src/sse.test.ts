import { describe, expect, it } from "vitest";
import { readChunk, SSEParser } from "./sse";

describe("SSEParser", () => {
  it("joins events split across reads and CRLF line endings", () => {
    const p = new SSEParser();
    expect(p.push('data: {"a"')).toEqual([]);
    expect(p.push(":1}\r\n\r\n: keep-alive\n\ndata: [DO")).toEqual(['{"a":1}']);
    expect(p.push("NE]\n\n")).toEqual(["[DONE]"]);
  });
  it("joins multi-line data and returns an unterminated event at the end", () => {
    const p = new SSEParser();
    expect(p.push("data: one\ndata: two\n\ndata: tail")).toEqual(["one\ntwo"]);
    expect(p.end()).toEqual(["tail"]);
  });
});

describe("readChunk", () => {
  it("reads content, usage, errors and the end", () => {
    expect(readChunk('{"choices":[{"delta":{"content":"Hi"}}]}')).toEqual({ text: "Hi", done: false });
    expect(readChunk('{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}}').usage).toEqual({ inputTokens: 3, outputTokens: 5 });
    expect(readChunk('{"error":{"message":"upstream timeout"}}').error).toBe("upstream timeout");
    expect(readChunk("[DONE]").done).toBe(true);
    expect(readChunk("not json").error).toBeTruthy();
  });
});
