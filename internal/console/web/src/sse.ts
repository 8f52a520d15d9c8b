// A minimal Server-Sent Events reader for the gateway's chat stream: it
// yields the payload of each `data:` event, joined over multi-line events,
// and accepts LF and CRLF line endings split anywhere across reads.

export class SSEParser {
  private buf = "";
  private data: string[] = [];

  /** push feeds decoded text and returns the events it completed. */
  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl < 0) break;
      let line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") {
        if (this.data.length > 0) out.push(this.data.join("\n"));
        this.data = [];
        continue;
      }
      if (line.startsWith(":")) continue; // comment / keep-alive
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") this.data.push(value);
    }
    return out;
  }

  /** end returns an event left unterminated when the stream closed. */
  end(): string[] {
    const rest = this.push("\n\n");
    this.buf = "";
    return rest;
  }
}

export interface StreamUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChunkResult {
  text: string;
  usage?: StreamUsage;
  error?: string;
  done: boolean;
}

/** readChunk interprets one event of an OpenAI chat completion stream. */
export function readChunk(data: string): ChunkResult {
  if (data.trim() === "[DONE]") return { text: "", done: true };
  let v: any;
  try {
    v = JSON.parse(data);
  } catch {
    return { text: "", done: false, error: "The gateway sent an event that is not JSON." };
  }
  if (v && v.error) {
    return { text: "", done: false, error: String(v.error.message ?? "The stream ended with an error.") };
  }
  let text = "";
  for (const c of v?.choices ?? []) {
    if (typeof c?.delta?.content === "string") text += c.delta.content;
  }
  const r: ChunkResult = { text, done: false };
  if (v?.usage) {
    r.usage = { inputTokens: Number(v.usage.prompt_tokens ?? 0), outputTokens: Number(v.usage.completion_tokens ?? 0) };
  }
  return r;
}
