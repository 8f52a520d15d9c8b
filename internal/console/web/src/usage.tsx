import { useEffect, useState } from "preact/hooks";
import * as api from "./api";
import { formatInt, formatTokens, formatUSD } from "./format";
import { rank, type Ranked } from "./rank";
import { Alert } from "./alert";

export function Usage({ principal }: { principal: api.Principal }) {
  const [report, setReport] = useState<api.UsageReport | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const load = async () => {
    setBusy(true);
    try {
      setReport(await api.usage());
      setError("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    load();
  }, []);

  const t = report?.totals;
  return (
    <>
      <div class="toolbar">
        <p class="grow muted" data-testid="usage-scope">
          {principal.admin ? "Every consumer's usage" : `Usage of ${principal.consumer || "anonymous callers"}`} in the current window
          {report && <Windows windows={report.windows} />}
        </p>
        <button type="button" class="secondary" onClick={load} disabled={busy} aria-busy={busy}>
          {busy ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <Alert message={error} />
      {report && t && (
        <>
          <dl class="totals" data-testid="usage-totals">
            <div>
              <dt>Requests</dt>
              <dd data-total="requests">{formatInt(t.requests)}</dd>
            </div>
            <div>
              <dt>Input tokens</dt>
              <dd data-total="input">{formatInt(t.inputTokens)}</dd>
            </div>
            <div>
              <dt>Output tokens</dt>
              <dd data-total="output">{formatInt(t.outputTokens)}</dd>
            </div>
            <div>
              <dt>Cost</dt>
              <dd data-total="cost">{formatUSD(t.costUSD)}</dd>
            </div>
          </dl>
          {report.rows.length === 0 ? (
            <p class="empty">No usage in this window yet.</p>
          ) : (
            <div class="rankings">
              <Ranking title="Models" by="model" rows={rank(report.rows, "model")} />
              <Ranking title="Providers" by="provider" rows={rank(report.rows, "provider")} />
              {principal.admin && <Ranking title="Consumers" by="consumer" rows={rank(report.rows, "consumer")} />}
            </div>
          )}
          <p class="muted small">
            {report.source === "limits"
              ? "Totals come from the same counters the token limits use. A model served by several providers is split as this gateway replica saw it."
              : "Counted by this gateway replica since it started."}
          </p>
        </>
      )}
    </>
  );
}

function Windows({ windows }: { windows: api.ConsumerWindow[] }) {
  const labels = [...new Set(windows.map((w) => `${w.window.toLowerCase()} ${w.period}`))];
  if (labels.length === 0) return null;
  return <> ({labels.join(", ")}, UTC)</>;
}

const emptyName: Record<string, string> = {
  provider: "unattributed",
  consumer: "anonymous",
  model: "unknown",
  app: "no app named",
  category: "no category",
};

/** Ranking is one table of names by tokens (Usage and Rankings). */
export function Ranking({ title, by, rows }: { title: string; by: string; rows: Ranked[] }) {
  return (
    <section class="ranking card" aria-labelledby={"rank-" + by}>
      <h2 id={"rank-" + by}>{title}</h2>
      <table data-ranking={by}>
        <thead>
          <tr>
            <th scope="col" class="num">
              #
            </th>
            <th scope="col">Name</th>
            <th scope="col">Share of tokens</th>
            <th scope="col" class="num">
              Tokens
            </th>
            <th scope="col" class="num">
              Requests
            </th>
            <th scope="col" class="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const pct = Math.round(r.share * 1000) / 10;
            return (
              <tr data-name={r.name}>
                <td class="num">{i + 1}</td>
                <th scope="row">{r.name || <span class="muted">{emptyName[by]}</span>}</th>
                <td>
                  <div class="bar" role="img" aria-label={`${pct}% of tokens`}>
                    <span style={{ width: `${Math.max(r.share * 100, 0.5)}%` }} />
                  </div>
                </td>
                <td class="num" data-col="tokens" title={`${formatInt(r.inputTokens)} in, ${formatInt(r.outputTokens)} out`}>
                  {formatTokens(r.tokens)}
                </td>
                <td class="num" data-col="requests">
                  {formatInt(r.requests)}
                </td>
                <td class="num">{formatUSD(r.costUSD)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
