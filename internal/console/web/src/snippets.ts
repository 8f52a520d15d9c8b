// Code that reproduces a playground request. The key is never an input
// here: every snippet reads it from $TOLLGATE_API_KEY.

export type ContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ContentPart[];
}

export interface SnippetRequest {
  baseURL: string; // e.g. https://gateway.example.com/v1
  model: string;
  messages: ChatMessage[];
  temperature: number;
  maxTokens?: number;
  topP?: number;
  stop?: string[];
  jsonMode?: boolean;
}

/** options are the request's sampling fields beyond temperature, in the
 * API's names, only those set. */
function options(r: SnippetRequest): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (r.maxTokens !== undefined) o.max_tokens = r.maxTokens;
  if (r.topP !== undefined) o.top_p = r.topP;
  if (r.stop && r.stop.length > 0) o.stop = r.stop;
  if (r.jsonMode) o.response_format = { type: "json_object" };
  return o;
}

export function requestBody(r: SnippetRequest): Record<string, unknown> {
  return {
    model: r.model,
    messages: r.messages,
    temperature: r.temperature,
    ...options(r),
    stream: true,
    stream_options: { include_usage: true },
  };
}

/** shown is r with attached images cut to their header: a snippet shows
 * where the image goes, not megabytes of base64. */
function shown(r: SnippetRequest): SnippetRequest {
  const cut = (c: ChatMessage["content"]) =>
    typeof c === "string"
      ? c
      : c.map((p) => (p.type === "image_url" ? { ...p, image_url: { url: p.image_url.url.replace(/^(data:[^,]*,).*$/s, "$1…") } } : p));
  return { ...r, messages: r.messages.map((m) => ({ ...m, content: cut(m.content) })) };
}

const shellQuote = (s: string) => "'" + s.replace(/'/g, `'\\''`) + "'";

export function curlSnippet(full: SnippetRequest): string {
  const r = shown(full);
  return [
    `curl -N ${shellQuote(r.baseURL + "/chat/completions")} \\`,
    `  -H "Authorization: Bearer $TOLLGATE_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d ${shellQuote(JSON.stringify(requestBody(r)))}`,
  ].join("\n");
}

// A JSON string literal is also a valid Python string literal.
const pyMessages = (ms: ChatMessage[]) =>
  "[\n" + ms.map((m) => `        {"role": ${JSON.stringify(m.role)}, "content": ${JSON.stringify(m.content)}},`).join("\n") + "\n    ]";

export function pythonSnippet(full: SnippetRequest): string {
  const r = shown(full);
  // JSON of strings, numbers and lists is also a Python literal.
  const extra = Object.entries(options(r))
    .map(([k, v]) => `\n    ${k}=${JSON.stringify(v)},`)
    .join("");
  return `import os

from openai import OpenAI

client = OpenAI(base_url=${JSON.stringify(r.baseURL)}, api_key=os.environ["TOLLGATE_API_KEY"])

stream = client.chat.completions.create(
    model=${JSON.stringify(r.model)},
    messages=${pyMessages(r.messages)},
    temperature=${r.temperature},${extra}
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        print(chunk.choices[0].delta.content, end="", flush=True)
    if chunk.usage:
        print("\\n", chunk.usage)
`;
}

export function typescriptSnippet(full: SnippetRequest): string {
  const r = shown(full);
  const extra = Object.entries(options(r))
    .map(([k, v]) => `\n  ${k}: ${JSON.stringify(v)},`)
    .join("");
  const msgs = r.messages.map((m) => `    { role: ${JSON.stringify(m.role)}, content: ${JSON.stringify(m.content)} },`).join("\n");
  return `import OpenAI from "openai";

const client = new OpenAI({ baseURL: ${JSON.stringify(r.baseURL)}, apiKey: process.env.TOLLGATE_API_KEY });

const stream = await client.chat.completions.create({
  model: ${JSON.stringify(r.model)},
  messages: [
${msgs}
  ],
  temperature: ${r.temperature},${extra}
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
  if (chunk.usage) console.log("\\n", chunk.usage);
}
`;
}
