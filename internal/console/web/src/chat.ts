import { authHeaders, errorMessage } from "./api";
import { readChunk, SSEParser, type StreamUsage } from "./sse";

export interface StreamHandlers {
  onText(text: string): void;
  onUsage(u: StreamUsage): void;
}

/**
 * streamChat sends one streamed chat completion through the gateway's own
 * /v1 API with the console key and feeds the handlers as events arrive.
 * It resolves when the stream ends with [DONE] and rejects with the
 * gateway's message on an HTTP error, an error event or a cut stream.
 */
export async function streamChat(body: Record<string, unknown>, signal: AbortSignal, h: StreamHandlers): Promise<void> {
  const res = await fetch("/v1/chat/completions", {
    method: "POST",
    headers: { ...authHeaders(), "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
    cache: "no-store",
  });
  if (!res.ok) throw new Error(await errorMessage(res));
  if (!res.body) throw new Error("The gateway sent no stream.");
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SSEParser();
  let done = false;
  const handle = (events: string[]) => {
    for (const e of events) {
      const c = readChunk(e);
      if (c.error) throw new Error(c.error);
      if (c.text) h.onText(c.text);
      if (c.usage) h.onUsage(c.usage);
      if (c.done) done = true;
    }
  };
  for (;;) {
    const { value, done: eof } = await reader.read();
    if (eof) break;
    handle(parser.push(value));
  }
  handle(parser.end());
  if (!done) throw new Error("The stream ended before it was complete.");
}
