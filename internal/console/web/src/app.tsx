import { useRef, useState } from "preact/hooks";
import * as api from "./api";
import { Activity } from "./activity";
import { Availability } from "./availability";
import { Catalogue } from "./catalogue";
import { Playground } from "./playground";
import { Rankings } from "./rankings";
import { Tools } from "./tools";
import { Usage } from "./usage";
import { Alert } from "./alert";

type Tab = "catalogue" | "playground" | "activity" | "availability" | "rankings" | "usage" | "tools";
const tabs: { id: Tab; label: string }[] = [
  { id: "catalogue", label: "Catalogue" },
  { id: "playground", label: "Playground" },
  { id: "activity", label: "Activity" },
  { id: "availability", label: "Availability" },
  { id: "rankings", label: "Rankings" },
  { id: "usage", label: "Usage" },
  { id: "tools", label: "Tools" },
];

export function App() {
  const [principal, setPrincipal] = useState<api.Principal | null>(null);
  const [models, setModels] = useState<api.ModelInfo[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  const [tab, setTab] = useState<Tab>("catalogue");

  const signOut = () => {
    api.setKey("");
    setPrincipal(null);
    setModels([]);
    setSelected([]);
    setTab("catalogue");
  };

  if (!principal) {
    return (
      <Login
        onSignedIn={(p, ms) => {
          setPrincipal(p);
          setModels(ms);
        }}
      />
    );
  }
  return (
    <div class="shell">
      <header class="top">
        <h1>
          Tollgate <span class="muted">console</span>
        </h1>
        <p class="who" data-testid="principal">
          {principal.admin ? (
            <span class="badge admin">admin</span>
          ) : (
            <>
              Signed in as <strong>{principal.consumer || "anonymous"}</strong>
            </>
          )}
        </p>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <Tabs current={tab} onChange={setTab} />
      <main>
        <section id="panel-catalogue" role="tabpanel" aria-labelledby="tab-catalogue" hidden={tab !== "catalogue"}>
          <Catalogue models={models} selected={selected} onSelect={setSelected} onTry={() => setTab("playground")} />
        </section>
        <section id="panel-playground" role="tabpanel" aria-labelledby="tab-playground" hidden={tab !== "playground"}>
          <Playground models={models} selected={selected} onSelect={setSelected} principal={principal} />
        </section>
        <section id="panel-activity" role="tabpanel" aria-labelledby="tab-activity" hidden={tab !== "activity"}>
          {tab === "activity" && <Activity principal={principal} models={models} />}
        </section>
        <section id="panel-availability" role="tabpanel" aria-labelledby="tab-availability" hidden={tab !== "availability"}>
          {tab === "availability" && <Availability principal={principal} models={models} />}
        </section>
        <section id="panel-rankings" role="tabpanel" aria-labelledby="tab-rankings" hidden={tab !== "rankings"}>
          {tab === "rankings" && <Rankings principal={principal} />}
        </section>
        <section id="panel-usage" role="tabpanel" aria-labelledby="tab-usage" hidden={tab !== "usage"}>
          {tab === "usage" && <Usage principal={principal} />}
        </section>
        <section id="panel-tools" role="tabpanel" aria-labelledby="tab-tools" hidden={tab !== "tools"}>
          {tab === "tools" && <Tools />}
        </section>
      </main>
    </div>
  );
}

function Tabs({ current, onChange }: { current: Tab; onChange(t: Tab): void }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const move = (i: number) => {
    const n = (i + tabs.length) % tabs.length;
    onChange(tabs[n].id);
    refs.current[n]?.focus();
  };
  const onKey = (e: KeyboardEvent, i: number) => {
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      move(to);
    }
  };
  return (
    <nav class="tabs" role="tablist" aria-label="Console sections">
      {tabs.map((t, i) => (
        <button
          type="button"
          role="tab"
          id={"tab-" + t.id}
          aria-controls={"panel-" + t.id}
          aria-selected={current === t.id}
          tabIndex={current === t.id ? 0 : -1}
          ref={(el) => {
            refs.current[i] = el;
          }}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {t.label}
        </button>
      ))}
    </nav>
  );
}

function Login({ onSignedIn }: { onSignedIn(p: api.Principal, ms: api.ModelInfo[]): void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    api.setKey(key.trim());
    try {
      const p = await api.session();
      const ms = await api.models();
      setKey("");
      onSignedIn(p, ms);
    } catch (err) {
      api.setKey("");
      setKey("");
      setError(err instanceof api.APIError && err.status === 401 ? "That key was not accepted." : String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="card" aria-describedby="login-help">
        <h1>
          Tollgate <span class="muted">console</span>
        </h1>
        <label for="key">API key</label>
        <input
          id="key"
          name="key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-invalid={error !== ""}
          aria-errormessage="login-error"
        />
        <p id="login-help" class="muted small">
          A consumer key or a console admin key. It is kept in this tab's memory only and forgotten when you close or reload it.
        </p>
        <Alert message={error} id="login-error" />
        <button type="submit" disabled={busy || key.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
