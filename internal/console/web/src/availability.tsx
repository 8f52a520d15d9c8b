import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "./api";
import { domain, segments, type Box, type Series } from "./chart";
import { chatModels } from "./catalog";
import { formatContext, formatInt, formatMs } from "./format";
import { Alert } from "./alert";

/** A Point is one poll of a backend's rolling window. */
interface Point {
  t: number;
  uptime: number | null; // percent
  p50: number | null; // ms
  p95: number | null;
  ttft: number | null; // ms, p50
  tps: number | null; // tokens/s
}

interface History {
  endpoints: api.Endpoint[];
  points: Map<string, Point[]>; // by backend
}

/** pollMs is how often the open page samples the gateway's window;
 * maxPoints bounds each backend's history (an hour at that pace). */
const pollMs = 15_000;
const maxPoints = 240;

// Histories live in this module's memory: kept while the tab is open,
// across model switches, and gone on reload.
const histories = new Map<string, History>();

/** sample adds one poll of a model's endpoints to its history. */
export function sample(h: History | undefined, eps: api.Endpoint[], t: number): History {
  const points = h?.points ?? new Map<string, Point[]>();
  for (const e of eps) {
    const list = points.get(e.stats.backend) ?? [];
    list.push({
      t,
      uptime: e.uptime_last_30m,
      p50: e.latency_last_30m?.p50 ?? null,
      p95: e.latency_last_30m?.p95 ?? null,
      ttft: e.stats.ttft_ms?.p50 ?? null,
      tps: e.stats.tokens_per_second,
    });
    if (list.length > maxPoints) list.splice(0, list.length - maxPoints);
    points.set(e.stats.backend, list);
  }
  return { endpoints: eps, points };
}

/** Availability shows, per backend of a model, the gateway's rolling
 * 30-minute figures (GET /v1/models/{id}/endpoints) now, and charts of
 * them as this page sampled them while it was open. */
export function Availability({ principal, models }: { principal: api.Principal; models: api.ModelInfo[] }) {
  const chat = chatModels(models);
  const [model, setModel] = useState(chat[0]?.id ?? "");
  const [hist, setHist] = useState<History | undefined>(histories.get(model));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const shown = useRef(model); // a late answer for another model is kept, not shown

  const poll = async (id: string) => {
    if (!id) return;
    setBusy(true);
    try {
      const eps = await api.endpoints(id);
      const h = sample(histories.get(id), eps, Date.now());
      histories.set(id, h);
      if (shown.current === id) {
        setHist({ ...h });
        setError("");
      }
    } catch (err) {
      if (shown.current === id) setError((err as Error).message);
    } finally {
      if (shown.current === id) setBusy(false);
    }
  };

  useEffect(() => {
    if (principal.admin) return;
    shown.current = model;
    setHist(histories.get(model));
    poll(model);
    const timer = setInterval(() => poll(model), pollMs);
    return () => clearInterval(timer);
  }, [model]);

  if (principal.admin) {
    return (
      <p class="notice" role="note">
        Availability is read with a consumer key (GET /v1/models/&#123;id&#125;/endpoints lists the backends a consumer may use); sign in with one.
      </p>
    );
  }
  const eps = hist?.endpoints ?? [];
  const series = (f: (p: Point) => number | null): Series[] =>
    eps.map((e) => ({ name: e.provider_name, samples: (hist?.points.get(e.stats.backend) ?? []).map((p) => ({ t: p.t, v: f(p) })) }));
  return (
    <>
      <div class="toolbar">
        <label class="field">
          Model
          <select id="av-model" value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
            {chat.map((m) => (
              <option value={m.id}>{m.id}</option>
            ))}
          </select>
        </label>
        <p class="grow muted small">
          Each figure is the gateway's rolling 30-minute window for one backend (this replica). The charts are samples this page took
          every {pollMs / 1000} s while it was open; they start when you open it and are gone when you reload.
        </p>
        <button type="button" class="secondary" id="av-refresh" onClick={() => poll(model)} disabled={busy} aria-busy={busy}>
          {busy ? "Sampling…" : "Sample now"}
        </button>
      </div>
      <Alert message={error} />
      {hist && eps.length === 0 && <p class="empty">No backend serves this model.</p>}
      {eps.length > 0 && (
        <>
          <div class="scroll">
            <table class="endpoints" data-testid="endpoints">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col" class="num">
                    Context
                  </th>
                  <th scope="col" class="num">
                    Uptime
                  </th>
                  <th scope="col" class="num">
                    Latency p50 / p95
                  </th>
                  <th scope="col" class="num">
                    TTFT p50
                  </th>
                  <th scope="col" class="num">
                    Tokens/s
                  </th>
                  <th scope="col" class="num">
                    Requests
                  </th>
                  <th scope="col">Errors</th>
                </tr>
              </thead>
              <tbody>
                {eps.map((e) => (
                  <tr data-backend={e.stats.backend} data-provider={e.provider_name}>
                    <th scope="row">
                      {e.provider_name} <span class="muted small">{e.model_name}</span>
                      {e.stats.cooling_down && <span class="badge">cooling down</span>}
                    </th>
                    <td class="num">{formatContext(e.context_length ?? 0)}</td>
                    <td class="num" data-col="uptime">
                      {e.uptime_last_30m === null ? "–" : e.uptime_last_30m + "%"}
                    </td>
                    <td class="num" data-col="latency">
                      {e.latency_last_30m ? `${formatMs(e.latency_last_30m.p50)} / ${formatMs(e.latency_last_30m.p95)}` : "–"}
                    </td>
                    <td class="num">{e.stats.ttft_ms ? formatMs(e.stats.ttft_ms.p50) : "–"}</td>
                    <td class="num">{e.stats.tokens_per_second ?? "–"}</td>
                    <td class="num" data-col="requests">
                      {formatInt(e.stats.requests)}
                    </td>
                    <td class="small">
                      {Object.entries(e.stats.errors ?? {})
                        .map(([k, n]) => `${k} ${n}`)
                        .join(", ") || <span class="muted">none</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="charts">
            <Chart id="uptime" title="Uptime (success rate, %)" series={series((p) => p.uptime)} yMax={100} unit="%" />
            <Chart id="latency" title="Latency p50 (ms)" series={series((p) => p.p50)} unit=" ms" />
            <Chart id="latency-p95" title="Latency p95 (ms)" series={series((p) => p.p95)} unit=" ms" />
            <Chart id="ttft" title="Time to first token p50 (ms)" series={series((p) => p.ttft)} unit=" ms" />
            <Chart id="throughput" title="Throughput (tokens/s)" series={series((p) => p.tps)} unit="" />
          </div>
        </>
      )}
    </>
  );
}

const box: Box = { width: 420, height: 150, pad: 18 };
const colours = ["#3b5bdb", "#d9480f", "#2b8a3e", "#ae3ec9", "#1098ad", "#5c940d"];

function Chart({ id, title, series, yMax, unit }: { id: string; title: string; series: Series[]; yMax?: number; unit: string }) {
  const d = domain(series, yMax);
  const measured = series.some((s) => s.samples.some((p) => p.v !== null));
  return (
    <figure class="chart card" data-chart={id}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${box.width} ${box.height}`} role="img" aria-label={title} preserveAspectRatio="none">
        <line x1={box.pad} y1={box.height - box.pad} x2={box.width - box.pad} y2={box.height - box.pad} class="axis" />
        <line x1={box.pad} y1={box.pad} x2={box.width - box.pad} y2={box.pad} class="grid" />
        <text x={box.pad} y={box.pad - 5} class="tick">
          {d.top}
          {unit}
        </text>
        <text x={box.pad} y={box.height - 4} class="tick">
          {d.t0 ? new Date(d.t0).toLocaleTimeString() : ""}
        </text>
        <text x={box.width - box.pad} y={box.height - 4} class="tick end">
          {d.t1 ? new Date(d.t1).toLocaleTimeString() : ""}
        </text>
        {series.map((s, i) =>
          segments(s, box, d).map((run) =>
            run.length === 1 ? (
              <circle data-series={s.name} cx={run[0][0]} cy={run[0][1]} r={3} fill={colours[i % colours.length]} />
            ) : (
              <polyline data-series={s.name} points={run.map((p) => p.join(",")).join(" ")} fill="none" stroke={colours[i % colours.length]} stroke-width={2} />
            ),
          ),
        )}
      </svg>
      {!measured && <p class="muted small">Nothing measured in the window yet.</p>}
      <ul class="legend">
        {series.map((s, i) => (
          <li>
            <span class="swatch" style={{ background: colours[i % colours.length] }} />
            {s.name}
          </li>
        ))}
      </ul>
    </figure>
  );
}
