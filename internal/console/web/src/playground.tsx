import { useRef, useState } from "preact/hooks";
import type { ModelInfo, Principal } from "./api";
import { maxCompared } from "./catalogue";
import { chatModels } from "./catalog";
import { streamChat } from "./chat";
import { costOf, formatInt, formatMs, formatUSD } from "./format";
import { curlSnippet, pythonSnippet, requestBody, typescriptSnippet, type ChatMessage, type SnippetRequest } from "./snippets";

type Status = "waiting" | "streaming" | "done" | "error" | "stopped";

interface Answer {
  model: string;
  status: Status;
  text: string;
  error?: string;
  ttftMs?: number;
  totalMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  costUSD?: number;
  request: SnippetRequest;
}

interface Props {
  models: ModelInfo[];
  selected: string[];
  onSelect(ids: string[]): void;
  principal: Principal;
}

export function Playground({ models, selected, onSelect, principal }: Props) {
  const [system, setSystem] = useState("You are a helpful assistant.");
  const [prompt, setPrompt] = useState("");
  const [temperature, setTemperature] = useState(0.7);
  const [answers, setAnswers] = useState<Answer[]>([]);
  const abort = useRef<AbortController | null>(null);
  const chat = chatModels(models);
  const running = answers.some((a) => a.status === "waiting" || a.status === "streaming");

  const update = (i: number, f: (a: Answer) => Answer) => setAnswers((all) => all.map((a, j) => (j === i ? f(a) : a)));

  const send = (e?: Event) => {
    e?.preventDefault();
    if (running || prompt.trim() === "" || selected.length === 0) return;
    const ctl = new AbortController();
    abort.current = ctl;
    const messages: ChatMessage[] = [];
    if (system.trim()) messages.push({ role: "system", content: system });
    messages.push({ role: "user", content: prompt });
    const baseURL = location.origin + "/v1";
    const reqs = selected.map((model) => ({ baseURL, model, messages, temperature }));
    setAnswers(reqs.map((r) => ({ model: r.model, status: "waiting", text: "", request: r })));
    reqs.forEach((r, i) => run(i, r, ctl.signal));
  };

  const run = async (i: number, r: SnippetRequest, signal: AbortSignal) => {
    const info = models.find((m) => m.id === r.model);
    const start = performance.now();
    let first = true;
    try {
      await streamChat(requestBody(r), signal, {
        onText(text) {
          const ttft = first ? performance.now() - start : undefined;
          first = false;
          update(i, (a) => ({ ...a, status: "streaming", text: a.text + text, ttftMs: a.ttftMs ?? ttft }));
        },
        onUsage(u) {
          update(i, (a) => ({
            ...a,
            inputTokens: u.inputTokens,
            outputTokens: u.outputTokens,
            costUSD: info ? costOf(u.inputTokens, u.outputTokens, info.inputPerMillion, info.outputPerMillion) : undefined,
          }));
        },
      });
      const total = performance.now() - start;
      update(i, (a) => ({ ...a, status: "done", totalMs: total }));
    } catch (err) {
      const total = performance.now() - start;
      const stopped = signal.aborted;
      update(i, (a) => ({ ...a, status: stopped ? "stopped" : "error", error: stopped ? undefined : (err as Error).message, totalMs: total }));
    }
  };

  const toggle = (id: string) =>
    onSelect(selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id].slice(0, maxCompared));

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
            Models <span class="muted small">(up to {maxCompared})</span>
          </legend>
          {chat.length === 0 && <p class="muted">This key may use no chat model.</p>}
          <div class="model-picks">
            {chat.map((m) => {
              const on = selected.includes(m.id);
              return (
                <label class={"pick" + (on ? " on" : "")}>
                  <input type="checkbox" checked={on} disabled={!on && selected.length >= maxCompared} onChange={() => toggle(m.id)} />
                  {m.id}
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
          <label for="pg-prompt">Prompt</label>
          <textarea
            id="pg-prompt"
            rows={4}
            value={prompt}
            placeholder="Ask every selected model the same thing…"
            onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(e);
            }}
            aria-describedby="pg-hint"
          />
          <span id="pg-hint" class="muted small">
            Ctrl+Enter sends.
          </span>
        </div>
        <div class="row">
          <div class="field">
            <label for="pg-temp">
              Temperature <output for="pg-temp">{temperature.toFixed(1)}</output>
            </label>
            <input id="pg-temp" type="range" min="0" max="2" step="0.1" value={temperature} onInput={(e) => setTemperature(Number((e.target as HTMLInputElement).value))} />
          </div>
          <div class="actions">
            {running ? (
              <button type="button" class="secondary" onClick={() => abort.current?.abort()}>
                Stop
              </button>
            ) : null}
            <button type="submit" disabled={running || prompt.trim() === "" || selected.length === 0}>
              Send to {selected.length || "no"} model{selected.length === 1 ? "" : "s"}
            </button>
          </div>
        </div>
      </form>
      <div class="answers" data-testid="answers">
        {answers.map((a) => (
          <AnswerCard a={a} />
        ))}
      </div>
    </>
  );
}

const statusText: Record<Status, string> = {
  waiting: "waiting for the first token",
  streaming: "streaming",
  done: "done",
  error: "failed",
  stopped: "stopped",
};

function AnswerCard({ a }: { a: Answer }) {
  return (
    <article class={"answer " + a.status} data-model={a.model} data-status={a.status} aria-busy={a.status === "waiting" || a.status === "streaming"}>
      <header>
        <h2>{a.model}</h2>
        <span class={"status " + a.status}>{statusText[a.status]}</span>
      </header>
      <div class="answer-text" data-testid="answer-text">
        {a.text}
        {a.error && (
          <p class="error" role="alert">
            {a.error}
          </p>
        )}
      </div>
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
      <Snippets r={a.request} />
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
