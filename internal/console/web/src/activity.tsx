import { useEffect, useState } from "preact/hooks";
import * as api from "./api";
import { formatInt, formatMs, formatUSD } from "./format";
import { Alert } from "./alert";

/** ranges are the Activity page's time filters (the log keeps 7 days). */
const ranges: { id: string; label: string; hours: number }[] = [
  { id: "1h", label: "Last hour", hours: 1 },
  { id: "24h", label: "Last 24 hours", hours: 24 },
  { id: "7d", label: "Last 7 days", hours: 24 * 7 },
];

const statuses = [
  { id: "", label: "Any status" },
  { id: "ok", label: "Succeeded" },
  { id: "error", label: "Failed" },
  { id: "4xx", label: "4xx" },
  { id: "5xx", label: "5xx" },
];

const pageSize = 25;

export interface ActivityFilter {
  range: string;
  model: string;
  status: string;
  app: string;
  consumer: string;
}

/** activityQuery turns the page's filter into the API's query at time now. */
export function activityQuery(f: ActivityFilter, now: number, cursor?: string): api.ActivityQuery {
  const hours = ranges.find((r) => r.id === f.range)?.hours ?? 24;
  return {
    from: new Date(now - hours * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    model: f.model || undefined,
    status: f.status || undefined,
    app: f.app.trim() || undefined,
    consumer: f.consumer.trim() || undefined,
    limit: pageSize,
    cursor,
  };
}

/** Activity lists the log's records, newest first: the signed-in
 * consumer's own, or every consumer's for an admin. */
export function Activity({ principal, models }: { principal: api.Principal; models: api.ModelInfo[] }) {
  const [filter, setFilter] = useState<ActivityFilter>({ range: "24h", model: "", status: "", app: "", consumer: "" });
  // cursors[i] is the cursor of page i (undefined for the first).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<api.ActivityPage | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(Date.now());

  const at = cursors.length - 1;
  useEffect(() => {
    let live = true;
    setBusy(true);
    api
      .activity(principal, activityQuery(filter, now, cursors[at]))
      .then((p) => {
        if (!live) return;
        setPage(p);
        setError("");
      })
      .catch((err) => live && setError((err as Error).message))
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
  }, [filter, cursors, now]);

  const set = (k: keyof ActivityFilter, v: string) => {
    setFilter((f) => ({ ...f, [k]: v }));
    setCursors([undefined]);
  };
  const input = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;

  return (
    <>
      <form class="toolbar filters" data-testid="activity-filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Time
          <select id="act-range" value={filter.range} onChange={(e) => set("range", input(e))}>
            {ranges.map((r) => (
              <option value={r.id}>{r.label}</option>
            ))}
          </select>
        </label>
        <label>
          Model
          <select id="act-model" value={filter.model} onChange={(e) => set("model", input(e))}>
            <option value="">Any model</option>
            {models.map((m) => (
              <option value={m.id}>{m.id}</option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select id="act-status" value={filter.status} onChange={(e) => set("status", input(e))}>
            {statuses.map((s) => (
              <option value={s.id}>{s.label}</option>
            ))}
          </select>
        </label>
        <label>
          App
          <input id="act-app" type="search" placeholder="any app" value={filter.app} onChange={(e) => set("app", input(e))} />
        </label>
        {principal.admin && (
          <label>
            Consumer
            <input id="act-consumer" type="search" placeholder="every consumer" value={filter.consumer} onChange={(e) => set("consumer", input(e))} />
          </label>
        )}
        <button type="button" class="secondary" disabled={busy} aria-busy={busy} onClick={() => (setCursors([undefined]), setNow(Date.now()))}>
          {busy ? "Loading…" : "Refresh"}
        </button>
      </form>
      <Alert message={error} />
      {page && page.data.length === 0 && <p class="empty">No requests match these filters.</p>}
      {page && page.data.length > 0 && (
        <div class="scroll">
          <table class="activity" data-testid="activity">
            <thead>
              <tr>
                <th scope="col">Time</th>
                {principal.admin && <th scope="col">Consumer</th>}
                <th scope="col">Model</th>
                <th scope="col">Provider</th>
                <th scope="col">App</th>
                <th scope="col" class="num">
                  Tokens in / out
                </th>
                <th scope="col" class="num">
                  Cost
                </th>
                <th scope="col" class="num">
                  Latency
                </th>
                <th scope="col" class="num">
                  TTFT
                </th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((r) => (
                <tr key={r.id} data-id={r.id} data-model={r.model} data-status={r.status} data-app={r.app ?? ""}>
                  <td title={r.id}>{new Date(r.created_at).toLocaleString()}</td>
                  {principal.admin && <td>{r.consumer}</td>}
                  <td>{r.model}</td>
                  <td title={r.backend}>{r.provider || <span class="muted">–</span>}</td>
                  <td title={r.app_url}>
                    {r.app || <span class="muted">–</span>}
                    {r.category && <span class="badge">{r.category}</span>}
                  </td>
                  <td class="num">
                    {formatInt(r.tokens_prompt)} / {formatInt(r.tokens_completion)}
                  </td>
                  <td class="num">{formatUSD(r.total_cost)}</td>
                  <td class="num">{formatMs(r.latency_ms)}</td>
                  <td class="num">{r.ttft_ms ? formatMs(r.ttft_ms) : "–"}</td>
                  <td>
                    <span class={"status " + (r.status >= 400 || r.status === 0 ? "error" : "done")}>{r.status || "–"}</span>
                    {r.error && <span class="muted small"> {r.error}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Activity pages">
        <button type="button" class="secondary" id="act-prev" disabled={busy || at === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Newer
        </button>
        <span class="muted small" data-testid="activity-page">
          Page {at + 1}
        </span>
        <button
          type="button"
          class="secondary"
          id="act-next"
          disabled={busy || !page?.next_cursor}
          onClick={() => page?.next_cursor && setCursors((c) => [...c, page.next_cursor])}
        >
          Older
        </button>
      </nav>
      <p class="muted small">
        {principal.admin
          ? "Every consumer's requests, from the gateway's activity log."
          : "Your requests, from the gateway's activity log (GET /v1/activity)."}{" "}
        The log keeps requests for 7 days; this page shows no prompts or answers.
      </p>
    </>
  );
}
