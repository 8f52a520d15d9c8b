// Code that reproduces a playground request. The key is never an input
// here: every snippet reads it from $TOLLGATE_API_KEY.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface SnippetRequest {
  baseURL: string; // e.g. https://gateway.example.com/v1
  model: string;
  messages: ChatMessage[];
  temperature: number;
}

export function requestBody(r: SnippetRequest): Record<string, unknown> {
  return {
    model: r.model,
    messages: r.messages,
    temperature: r.temperature,
    stream: true,
    stream_options: { include_usage: true },
  };
}

const shellQuote = (s: string) => "'" + s.replace(/'/g, `'\\''`) + "'";

export function curlSnippet(r: SnippetRequest): string {
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

export function pythonSnippet(r: SnippetRequest): string {
  return `import os

from openai import OpenAI

client = OpenAI(base_url=${JSON.stringify(r.baseURL)}, api_key=os.environ["TOLLGATE_API_KEY"])

stream = client.chat.completions.create(
    model=${JSON.stringify(r.model)},
    messages=${pyMessages(r.messages)},
    temperature=${r.temperature},
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

export function typescriptSnippet(r: SnippetRequest): string {
  const msgs = r.messages.map((m) => `    { role: ${JSON.stringify(m.role)}, content: ${JSON.stringify(m.content)} },`).join("\n");
  return `import OpenAI from "openai";

const client = new OpenAI({ baseURL: ${JSON.stringify(r.baseURL)}, apiKey: process.env.TOLLGATE_API_KEY });

const stream = await client.chat.completions.create({
  model: ${JSON.stringify(r.model)},
  messages: [
${msgs}
  ],
  temperature: ${r.temperature},
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
  if (chunk.usage) console.log("\\n", chunk.usage);
}
`;
}
