import { useRef, useState } from "preact/hooks";
import type { ModelInfo, Principal } from "./api";
import { maxCompared } from "./catalogue";
import { capabilitiesOf, capabilityName, chatModels, filterModels } from "./catalog";
import { streamChat } from "./chat";
import { messages, parseStop, summarise, turnID, type Status, type Turn } from "./conversation";
import { costOf, formatInt, formatMs, formatPrice, formatUSD } from "./format";
import { renderMarkdown } from "./markdown";
import { curlSnippet, pythonSnippet, requestBody, typescriptSnippet, type SnippetRequest } from "./snippets";
import { Alert } from "./alert";

interface Props {
  models: ModelInfo[];
  selected: string[];
  onSelect(ids: string[]): void;
  principal: Principal;
}

/** Attachments are bounded: a few images of a few megabytes each. */
const maxImages = 4;
const maxImageBytes = 4 << 20;

const has = (m: ModelInfo | undefined, cap: string) => !!m && m.capabilities.includes(cap);

/** Playground is a multi-turn chat with every selected model side by
 * side: each model column keeps its own conversation in page memory, every
 * turn can be edited and the conversation re-sent from a user turn. */
export function Playground({ models, selected, onSelect, principal }: Props) {
  const [system, setSystem] = useState("You are a helpful assistant.");
  const [prompt, setPrompt] = useState("");
  const [temperature, setTemperature] = useState(0.7);
  const [maxTokens, setMaxTokens] = useState("");
  const [topP, setTopP] = useState("");
  const [stop, setStop] = useState("");
  const [jsonMode, setJSONMode] = useState(false);
  const [images, setImages] = useState<string[]>([]);
  const [attachError, setAttachError] = useState("");
  const [convs, setConvs] = useState<Record<string, Turn[]>>({});
  const [search, setSearch] = useState({ text: "", capability: "", maxPrice: "" });
  const abort = useRef<AbortController | null>(null);
  const round = useRef(0);
  const chat = chatModels(models);
  const info = (id: string) => models.find((m) => m.id === id);
  const running = selected.some((id) => (convs[id] ?? []).some((t) => t.status === "waiting" || t.status === "streaming"));
  const anyVision = selected.some((id) => has(info(id), "vision"));

  const updateTurn = (model: string, id: number, f: (t: Turn) => Turn) =>
    setConvs((c) => ({ ...c, [model]: (c[model] ?? []).map((t) => (t.id === id ? f(t) : t)) }));

  const request = (model: string, history: Turn[]): SnippetRequest => {
    const m = info(model);
    const r: SnippetRequest = { baseURL: location.origin + "/v1", model, messages: messages(system, history, has(m, "vision")), temperature };
    if (maxTokens.trim() !== "") r.maxTokens = Number(maxTokens);
    if (topP.trim() !== "") r.topP = Number(topP);
    const st = parseStop(stop);
    if (st.length > 0) r.stop = st;
    if (jsonMode && has(m, "jsonmode")) r.jsonMode = true;
    return r;
  };

  /** ask appends an answer to model's history and streams it. */
  const ask = (model: string, history: Turn[], signal: AbortSignal) => {
    const r = request(model, history);
    const answer: Turn = { id: turnID(), role: "assistant", text: "", status: "waiting", round: round.current, request: r };
    setConvs((c) => ({ ...c, [model]: [...history, answer] }));
    run(model, answer.id, r, signal);
  };

  const run = async (model: string, id: number, r: SnippetRequest, signal: AbortSignal) => {
    const m = info(model);
    const start = performance.now();
    let first = true;
    try {
      await streamChat(requestBody(r), signal, {
        onText(text) {
          const ttft = first ? performance.now() - start : undefined;
          first = false;
          updateTurn(model, id, (t) => ({ ...t, status: "streaming", text: t.text + text, ttftMs: t.ttftMs ?? ttft }));
        },
        onUsage(u) {
          updateTurn(model, id, (t) => ({
            ...t,
            inputTokens: u.inputTokens,
            outputTokens: u.outputTokens,
            costUSD: m ? costOf(u.inputTokens, u.outputTokens, m.inputPerMillion, m.outputPerMillion) : undefined,
          }));
        },
      });
      const total = performance.now() - start;
      updateTurn(model, id, (t) => ({ ...t, status: "done", totalMs: total }));
    } catch (err) {
      const total = performance.now() - start;
      const stopped = signal.aborted;
      updateTurn(model, id, (t) => ({ ...t, status: stopped ? "stopped" : "error", error: stopped ? undefined : (err as Error).message, totalMs: total }));
    }
  };

  const newSignal = () => {
    const ctl = new AbortController();
    abort.current = ctl;
    round.current++;
    return ctl.signal;
  };

  const send = (e?: Event) => {
    e?.preventDefault();
    if (running || prompt.trim() === "" || selected.length === 0) return;
    const signal = newSignal();
    for (const model of selected) {
      const user: Turn = { id: turnID(), role: "user", text: prompt, images: images.length ? images : undefined };
      ask(model, [...(convs[model] ?? []), user], signal);
    }
    setPrompt("");
    setImages([]);
  };

  /** resend drops what followed a user turn and asks again from there. */
  const resend = (model: string, id: number) => {
    if (running) return;
    const turns = convs[model] ?? [];
    const at = turns.findIndex((t) => t.id === id);
    if (at < 0) return;
    ask(model, turns.slice(0, at + 1), newSignal());
  };

  const attach = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = "";
    setAttachError("");
    const urls: string[] = [];
    for (const f of files) {
      if (!f.type.startsWith("image/")) {
        setAttachError(`${f.name} is not an image.`);
        continue;
      }
      if (f.size > maxImageBytes) {
        setAttachError(`${f.name} is over ${maxImageBytes >> 20} MB.`);
        continue;
      }
      urls.push(await readDataURL(f));
    }
    setImages((have) => {
      const all = [...have, ...urls];
      if (all.length > maxImages) setAttachError(`At most ${maxImages} images a turn.`);
      return all.slice(0, maxImages);
    });
  };

  const toggle = (id: string) =>
    onSelect(selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id].slice(0, maxCompared));

  const price = search.maxPrice.trim() === "" ? null : Number(search.maxPrice);
  const picks = filterModels(chat, { text: search.text, capability: search.capability, maxPrice: Number.isFinite(price) ? price : null, sort: "name" });
  const lastAnswers = selected
    .map((id) => [id, [...(convs[id] ?? [])].reverse().find((t) => t.role === "assistant")] as const)
    .filter((x): x is readonly [string, Turn] => !!x[1]);

  return (
    <>
      {principal.admin && (
        <p class="notice" role="note">
          Admin keys open the console only. The playground sends requests with the key you signed in with, so sign in with a
          consumer key to chat.
        </p>
      )}
      <form class="playground" onSubmit={send}>
        <fieldset class="models">
          <legend>
            Models <span class="muted small">(up to {maxCompared}; each keeps its own conversation)</span>
          </legend>
          <div class="toolbar">
            <label class="field grow">
              Search
              <input id="pg-search" type="search" placeholder="name or provider" value={search.text} onInput={(e) => setSearch({ ...search, text: (e.target as HTMLInputElement).value })} />
            </label>
            <label class="field">
              Capability
              <select id="pg-cap" value={search.capability} onChange={(e) => setSearch({ ...search, capability: (e.target as HTMLSelectElement).value })}>
                <option value="">Any</option>
                {capabilitiesOf(chat).map((c) => (
                  <option value={c}>{capabilityName(c)}</option>
                ))}
              </select>
            </label>
            <label class="field">
              Max $ / M tokens
              <input id="pg-price" type="number" min="0" step="any" value={search.maxPrice} onInput={(e) => setSearch({ ...search, maxPrice: (e.target as HTMLInputElement).value })} />
            </label>
          </div>
          {chat.length === 0 && <p class="muted">This key may use no chat model.</p>}
          {chat.length > 0 && picks.length === 0 && <p class="muted">No model matches.</p>}
          <div class="model-picks" data-testid="model-picks">
            {picks.map((m) => {
              const on = selected.includes(m.id);
              return (
                <label class={"pick" + (on ? " on" : "")} data-model={m.id} title={`${formatPrice(m.inputPerMillion)} in, ${formatPrice(m.outputPerMillion)} out per million tokens`}>
                  <input id={"pg-pick-" + m.id} type="checkbox" checked={on} disabled={!on && selected.length >= maxCompared} onChange={() => toggle(m.id)} />
                  {m.id}
                  <span class="muted small">{formatPrice(m.inputPerMillion)}</span>
                </label>
              );
            })}
          </div>
        </fieldset>
        <div class="field">
          <label for="pg-system">System prompt</label>
          <textarea id="pg-system" rows={2} value={system} onInput={(e) => setSystem((e.target as HTMLTextAreaElement).value)} />
        </div>
        <div class="field">
          <label for="pg-prompt">Message</label>
          <textarea
            id="pg-prompt"
            rows={3}
            value={prompt}
            placeholder="Say the same thing to every selected model…"
            onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(e);
            }}
            aria-describedby="pg-hint"
          />
          <span id="pg-hint" class="muted small">
            Ctrl+Enter sends. Each model gets its own conversation so far and this message.
          </span>
        </div>
        <div class="field">
          <label for="pg-images">Images</label>
          <input id="pg-images" type="file" accept="image/*" multiple disabled={!anyVision || images.length >= maxImages} onChange={attach} />
          <span class="muted small">
            {anyVision ? `Sent to the selected models with vision only; up to ${maxImages}, ${maxImageBytes >> 20} MB each.` : "None of the selected models has vision."}
          </span>
          <Alert message={attachError} />
          {images.length > 0 && (
            <ul class="thumbs" data-testid="attachments">
              {images.map((src, i) => (
                <li>
                  <img src={src} alt={`attachment ${i + 1}`} />
                  <button type="button" class="link" onClick={() => setImages((all) => all.filter((_, j) => j !== i))}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div class="row params">
          <div class="field">
            <label for="pg-temp">
              Temperature <output for="pg-temp">{temperature.toFixed(1)}</output>
            </label>
            <input id="pg-temp" type="range" min="0" max="2" step="0.1" value={temperature} onInput={(e) => setTemperature(Number((e.target as HTMLInputElement).value))} />
          </div>
          <div class="field">
            <label for="pg-max-tokens">Max tokens</label>
            <input id="pg-max-tokens" type="number" min="1" step="1" placeholder="model default" value={maxTokens} onInput={(e) => setMaxTokens((e.target as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="pg-top-p">Top p</label>
            <input id="pg-top-p" type="number" min="0" max="1" step="0.05" placeholder="model default" value={topP} onInput={(e) => setTopP((e.target as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="pg-stop">Stop sequences</label>
            <textarea id="pg-stop" rows={1} placeholder="one a line, up to 4" value={stop} onInput={(e) => setStop((e.target as HTMLTextAreaElement).value)} />
          </div>
          <label class="check">
            <input id="pg-json" type="checkbox" checked={jsonMode} onChange={(e) => setJSONMode((e.target as HTMLInputElement).checked)} /> JSON mode
            <span class="muted small"> (models with JSON mode)</span>
          </label>
          <div class="actions">
            {running ? (
              <button type="button" class="secondary" onClick={() => abort.current?.abort()}>
                Stop
              </button>
            ) : null}
            <button type="button" class="secondary" disabled={running || Object.keys(convs).length === 0} onClick={() => setConvs({})}>
              New chat
            </button>
            <button type="submit" disabled={running || prompt.trim() === "" || selected.length === 0}>
              Send to {selected.length || "no"} model{selected.length === 1 ? "" : "s"}
            </button>
          </div>
        </div>
      </form>
      {!running && lastAnswers.length > 0 && <Comparison rows={lastAnswers.map(([id, t]) => summarise(id, t))} />}
      <div class="answers columns" data-testid="answers">
        {selected.map((id) => (
          <Column
            key={id}
            model={id}
            info={info(id)}
            turns={convs[id] ?? []}
            running={running}
            jsonMode={jsonMode}
            onEdit={(tid, text) => updateTurn(id, tid, (t) => ({ ...t, text }))}
            onResend={(tid) => resend(id, tid)}
          />
        ))}
      </div>
    </>
  );
}

function readDataURL(f: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error("reading the image failed"));
    r.readAsDataURL(f);
  });
}

function Comparison({ rows }: { rows: ReturnType<typeof summarise>[] }) {
  return (
    <section class="card comparison" aria-labelledby="cmp-title">
      <h2 id="cmp-title">Last round compared</h2>
      <table data-testid="comparison">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" class="num">
              Cost
            </th>
            <th scope="col" class="num">
              First token
            </th>
            <th scope="col" class="num">
              Tokens/s
            </th>
            <th scope="col" class="num">
              Output tokens
            </th>
            <th scope="col" class="num">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr data-model={r.model} data-status={r.status}>
              <th scope="row">{r.model}</th>
              <td class="num" data-col="cost">
                {r.costUSD === undefined ? "–" : formatUSD(r.costUSD)}
              </td>
              <td class="num" data-col="ttft">
                {formatMs(r.ttftMs)}
              </td>
              <td class="num" data-col="tps">
                {r.tokensPerSec === undefined ? "–" : r.tokensPerSec.toFixed(1)}
              </td>
              <td class="num">{r.outputTokens === undefined ? "–" : formatInt(r.outputTokens)}</td>
              <td class="num">{formatMs(r.totalMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface ColumnProps {
  model: string;
  info: ModelInfo | undefined;
  turns: Turn[];
  running: boolean;
  jsonMode: boolean;
  onEdit(id: number, text: string): void;
  onResend(id: number): void;
}

function Column({ model, info, turns, running, jsonMode, onEdit, onResend }: ColumnProps) {
  const [editing, setEditing] = useState<number | null>(null);
  const [draft, setDraft] = useState("");
  const startEdit = (t: Turn) => {
    setEditing(t.id);
    setDraft(t.text);
  };
  return (
    <section class="column" data-model={model} aria-label={model}>
      <header>
        <h2>{model}</h2>
        <span class="muted small">
          {info?.capabilities.includes("vision") ? "vision" : "text only"}
          {jsonMode && !info?.capabilities.includes("jsonmode") && " · no JSON mode"}
        </span>
      </header>
      {turns.length === 0 && <p class="muted small">No messages yet.</p>}
      {turns.map((t) =>
        editing === t.id ? (
          <form
            key={t.id}
            class="turn editing"
            data-turn={t.role}
            onSubmit={(e) => {
              e.preventDefault();
              onEdit(t.id, draft);
              setEditing(null);
            }}
          >
            <textarea rows={3} value={draft} aria-label={`Edit the ${t.role} message`} onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)} />
            <div class="actions">
              <button type="submit">Save</button>
              <button type="button" class="secondary" onClick={() => setEditing(null)}>
                Cancel
              </button>
            </div>
          </form>
        ) : t.role === "user" ? (
          <div key={t.id} class="turn user" data-turn="user" data-turn-id={t.id}>
            <p class="user-text">{t.text}</p>
            {t.images && !info?.capabilities.includes("vision") && (
              <p class="muted small">{t.images.length === 1 ? "1 image" : `${t.images.length} images`} not sent: this model has no vision.</p>
            )}
            {t.images && info?.capabilities.includes("vision") && (
              <ul class="thumbs">
                {t.images.map((src, i) => (
                  <li>
                    <img src={src} alt={`attachment ${i + 1}`} />
                  </li>
                ))}
              </ul>
            )}
            <div class="turn-actions">
              <button type="button" class="link" disabled={running} onClick={() => startEdit(t)}>
                Edit
              </button>
              <button type="button" class="link resend" disabled={running} onClick={() => onResend(t.id)}>
                Resend from here
              </button>
            </div>
          </div>
        ) : (
          <AnswerCard key={t.id} a={t} model={model} onEdit={running ? undefined : () => startEdit(t)} />
        ),
      )}
    </section>
  );
}

const statusText: Record<Status, string> = {
  waiting: "waiting for the first token",
  streaming: "streaming",
  done: "done",
  error: "failed",
  stopped: "stopped",
};

function AnswerCard({ a, model, onEdit }: { a: Turn; model: string; onEdit?: () => void }) {
  const status = a.status ?? "done";
  return (
    <article class={"answer " + status} data-model={model} data-status={status} data-round={a.round} aria-busy={status === "waiting" || status === "streaming"}>
      <header>
        <span class={"status " + status}>{statusText[status]}</span>
        {onEdit && (
          <button type="button" class="link" onClick={onEdit}>
            Edit
          </button>
        )}
      </header>
      {/* renderMarkdown escapes every character of the answer and writes
          only its own allow-listed tags: the model's HTML is never markup. */}
      <div class="answer-text markdown" data-testid="answer-text" dangerouslySetInnerHTML={{ __html: renderMarkdown(a.text) }} />
      <Alert message={a.error} />
      <dl class="stats">
        <div>
          <dt>First token</dt>
          <dd data-stat="ttft">{formatMs(a.ttftMs)}</dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd data-stat="total">{formatMs(a.totalMs)}</dd>
        </div>
        <div>
          <dt>Tokens in / out</dt>
          <dd data-stat="tokens">{a.inputTokens === undefined ? "–" : `${formatInt(a.inputTokens)} / ${formatInt(a.outputTokens ?? 0)}`}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd data-stat="cost">{a.costUSD === undefined ? "–" : formatUSD(a.costUSD)}</dd>
        </div>
      </dl>
      {a.request && <Snippets r={a.request} />}
    </article>
  );
}

type Lang = "curl" | "python" | "typescript";
const langs: { id: Lang; label: string; make(r: SnippetRequest): string }[] = [
  { id: "curl", label: "curl", make: curlSnippet },
  { id: "python", label: "Python", make: pythonSnippet },
  { id: "typescript", label: "TypeScript", make: typescriptSnippet },
];

function Snippets({ r }: { r: SnippetRequest }) {
  const [lang, setLang] = useState<Lang>("curl");
  const [copied, setCopied] = useState(false);
  const code = langs.find((l) => l.id === lang)!.make(r);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <details class="snippets">
      <summary>Code</summary>
      <div class="snippet-bar" role="group" aria-label="Language">
        {langs.map((l) => (
          <button type="button" class={"seg" + (lang === l.id ? " on" : "")} aria-pressed={lang === l.id} onClick={() => setLang(l.id)}>
            {l.label}
          </button>
        ))}
        <button type="button" class="secondary copy" onClick={copy}>
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <pre>
        <code data-lang={lang}>{code}</code>
      </pre>
      <p class="muted small">Set TOLLGATE_API_KEY in your environment; the console never shows your key.</p>
    </details>
  );
}
