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

/** ActivityRecord is one request of the activity log (GET /v1/activity). */
export interface ActivityRecord {
  id: string;
  created_at: number; // unix ms
  consumer: string;
  app?: string;
  app_url?: string;
  category?: string;
  api?: string;
  model: string;
  backend?: string;
  provider?: string;
  tokens_prompt: number;
  tokens_completion: number;
  total_cost: number;
  latency_ms: number;
  ttft_ms?: number;
  status: number;
  error?: string;
  streamed: boolean;
}

export interface ActivityPage {
  data: ActivityRecord[];
  next_cursor?: string;
}

export interface ActivityQuery {
  from?: string; // RFC 3339
  model?: string;
  status?: string;
  app?: string;
  consumer?: string; // admin only
  limit?: number;
  cursor?: string;
}

function query(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? "?" + s : "";
}

async function getV1<T>(path: string): Promise<T> {
  const res = await fetch("/v1/" + path, { headers: authHeaders(), cache: "no-store" });
  if (!res.ok) throw new APIError(res.status, await errorMessage(res));
  return (await res.json()) as T;
}

/** activity reads one page of the log: a consumer's own on /v1/activity,
 * every consumer's on the console API for an admin. */
export function activity(p: Principal, q: ActivityQuery): Promise<ActivityPage> {
  const qs = query({ ...q });
  return p.admin ? get<ActivityPage>("activity" + qs) : getV1<ActivityPage>("activity" + qs);
}

export type RankBy = "model" | "provider" | "app" | "category" | "consumer";
export type Period = "day" | "week" | "month";

export interface RankingRow {
  key: string;
  requests: number;
  tokens_prompt: number;
  tokens_completion: number;
  tokens: number;
  total_cost: number;
}

export interface Rankings {
  by: RankBy;
  period: Period;
  data: RankingRow[];
  truncated: boolean;
}

/** rankings ranks the activity log: a consumer's own on /v1/rankings,
 * every consumer's (and by consumer) on the console API for an admin. */
export function rankings(p: Principal, by: RankBy, period: Period): Promise<Rankings> {
  const qs = query({ by, period });
  return p.admin ? get<Rankings>("rankings" + qs) : getV1<Rankings>("rankings" + qs);
}

export interface Percentiles {
  p50: number;
  p95?: number;
}

/** Endpoint is one backend of a model (GET /v1/models/{id}/endpoints). */
export interface Endpoint {
  name: string;
  model_name: string;
  provider_name: string;
  context_length: number | null;
  pricing: { prompt: string; completion: string } | null;
  uptime_last_30m: number | null;
  latency_last_30m: Percentiles | null;
  throughput_last_30m: Percentiles | null;
  stats: {
    backend: string;
    priority: number;
    weight: number;
    window_seconds: number;
    requests: number;
    succeeded: number;
    success_rate: number | null;
    ttft_ms: Percentiles | null;
    tokens_per_second: number | null;
    errors?: Record<string, number>;
    last_error_class?: string;
    cooling_down: boolean;
  };
}

export const endpoints = (model: string) =>
  getV1<{ data: { id: string; endpoints: Endpoint[] } }>("models/" + encodeURIComponent(model) + "/endpoints").then((v) => v.data.endpoints);
