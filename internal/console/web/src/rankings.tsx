import { useEffect, useState } from "preact/hooks";
import * as api from "./api";
import { ranked } from "./rank";
import { Ranking } from "./usage";
import { Alert } from "./alert";

const periods: { id: api.Period; label: string }[] = [
  { id: "day", label: "Today (24 h)" },
  { id: "week", label: "This week (7 days)" },
  { id: "month", label: "This month (30 days)" },
];

const dimensions: { by: api.RankBy; title: string; adminOnly?: boolean }[] = [
  { by: "model", title: "Models" },
  { by: "provider", title: "Providers" },
  { by: "app", title: "Apps" },
  { by: "category", title: "Categories" },
  { by: "consumer", title: "Consumers", adminOnly: true },
];

/** Rankings shows tokens by model, provider, app, category (and, for an
 * admin, consumer) over the last day, week or month of the activity log. */
export function Rankings({ principal }: { principal: api.Principal }) {
  const [period, setPeriod] = useState<api.Period>("week");
  const [data, setData] = useState<Partial<Record<api.RankBy, api.Rankings>>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const shown = dimensions.filter((d) => principal.admin || !d.adminOnly);

  useEffect(() => {
    let live = true;
    setBusy(true);
    Promise.all(shown.map((d) => api.rankings(principal, d.by, period)))
      .then((all) => {
        if (!live) return;
        setData(Object.fromEntries(all.map((r) => [r.by, r])));
        setError("");
      })
      .catch((err) => live && setError((err as Error).message))
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
  }, [period, tick]);

  const truncated = Object.values(data).some((r) => r?.truncated);
  return (
    <>
      <div class="toolbar">
        <p class="grow muted" data-testid="rankings-scope">
          {principal.admin ? "Every consumer's tokens" : `Tokens of ${principal.consumer || "anonymous callers"}`}, from the activity log
        </p>
        <div class="snippet-bar" role="group" aria-label="Period">
          {periods.map((p) => (
            <button type="button" class={"seg" + (period === p.id ? " on" : "")} data-period={p.id} aria-pressed={period === p.id} onClick={() => setPeriod(p.id)}>
              {p.label}
            </button>
          ))}
        </div>
        <button type="button" class="secondary" id="rank-refresh" onClick={() => setTick((n) => n + 1)} disabled={busy} aria-busy={busy}>
          {busy ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <Alert message={error} />
      <div class="rankings" data-testid="rankings" data-period={data[shown[0].by]?.period}>
        {shown.map((d) => {
          const r = data[d.by];
          if (!r) return null;
          return r.data.length === 0 ? (
            <section class="ranking card" data-ranking={d.by}>
              <h2>{d.title}</h2>
              <p class="empty">Nothing in this period.</p>
            </section>
          ) : (
            <Ranking title={d.title} by={d.by} rows={ranked(r.data)} />
          );
        })}
      </div>
      <p class="muted small">
        Apps are named by the X-Title or HTTP-Referer request headers, categories by X-Tollgate-Category.
        {truncated && " Only the newest 5,000 requests of the period are counted."}
      </p>
    </>
  );
}
