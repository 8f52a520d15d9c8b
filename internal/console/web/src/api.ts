// The console API client. The key lives in this module's memory only: it
// is never written to localStorage, sessionStorage, cookies or the URL, and
// is gone when the tab is closed or reloaded.

export interface Principal {
  consumer: string;
  admin: boolean;
}

export interface ModelInfo {
  id: string;
  provider: string;
  providers: string[];
  contextWindow?: number;
  maxOutputTokens?: number;
  inputPerMillion: number;
  outputPerMillion: number;
  capabilities: string[];
}

export interface UsageRow {
  consumer: string;
  model: string;
  provider: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUSD: number;
}

export interface ConsumerWindow {
  consumer: string;
  window: string;
  period: string;
  start: string;
  end: string;
}

export interface UsageReport {
  principal: Principal;
  source: string;
  windows: ConsumerWindow[];
  rows: UsageRow[];
  totals: UsageRow;
}

export class APIError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

let key = "";

export function setKey(k: string): void {
  key = k;
}

export function hasKey(): boolean {
  return key !== "";
}

/** authHeaders is used by the playground to call /v1 with the same key. */
export function authHeaders(): Record<string, string> {
  return { Authorization: "Bearer " + key };
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch("/console/api/" + path, { headers: authHeaders(), cache: "no-store" });
  if (!res.ok) throw new APIError(res.status, await errorMessage(res));
  return (await res.json()) as T;
}

/** errorMessage reads an OpenAI-shaped error body. */
export async function errorMessage(res: Response): Promise<string> {
  try {
    const v = await res.json();
    if (v?.error?.message) return String(v.error.message);
  } catch {
    /* not JSON */
  }
  return `HTTP ${res.status}`;
}

export const session = () => get<Principal>("session");
export const models = () => get<{ models: ModelInfo[] }>("models").then((v) => v.models);
export const usage = () => get<UsageReport>("usage");

export interface Tool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: { properties?: Record<string, { type?: string; description?: string }>; required?: string[] };
}

export interface ToolResult {
  content: { type: string; text?: string }[];
  isError?: boolean;
}

let rpcID = 0;

/** mcp sends one JSON-RPC request to the gateway's stateless /mcp
 * endpoint with the signed-in key: the tools this key may use. */
async function mcp<T>(method: string, params: Record<string, unknown>): Promise<T> {
  const res = await fetch("/mcp", {
    method: "POST",
    headers: { ...authHeaders(), "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcID, method, params }),
    cache: "no-store",
  });
  if (!res.ok) throw new APIError(res.status, await errorMessage(res));
  const v = await res.json();
  if (v?.error) throw new APIError(200, String(v.error.message ?? "MCP error " + v.error.code));
  return v.result as T;
}

export const tools = () => mcp<{ tools: Tool[] }>("tools/list", {}).then((v) => v.tools ?? []);
export const callTool = (name: string, args: Record<string, unknown>) =>
  mcp<ToolResult>("tools/call", { name, arguments: args });
