import { useEffect, useState } from "preact/hooks";
import * as api from "./api";
import { Alert } from "./alert";

/** Tools lists the MCP tools the signed-in key may call (tools/list on the
 * gateway's /mcp) and calls one with JSON arguments (tools/call). */
export function Tools() {
  const [tools, setTools] = useState<api.Tool[] | null>(null);
  const [error, setError] = useState("");
  const [picked, setPicked] = useState("");
  const [args, setArgs] = useState("{}");
  const [result, setResult] = useState<api.ToolResult | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .tools()
      .then((ts) => {
        setTools(ts);
        setError("");
      })
      .catch((err) => setError((err as Error).message));
  }, []);

  const call = async (e: Event) => {
    e.preventDefault();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(args || "{}");
    } catch {
      setError("The arguments are not valid JSON.");
      setResult(null);
      return;
    }
    setBusy(true);
    try {
      setResult(await api.callTool(picked, parsed));
      setError("");
    } catch (err) {
      setError((err as Error).message);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Alert message={error} />
      {tools && tools.length === 0 && <p class="muted">This key may call no tools (a Consumer's allowedTools is empty by default).</p>}
      {tools && tools.length > 0 && (
        <table class="tools" data-testid="tools">
          <thead>
            <tr>
              <th>Tool</th>
              <th>Description</th>
              <th>Arguments</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tools.map((t) => (
              <tr key={t.name} data-tool={t.name}>
                <td>
                  <code>{t.name}</code>
                </td>
                <td>{t.description || t.title || ""}</td>
                <td class="muted">{Object.keys(t.inputSchema?.properties ?? {}).join(", ")}</td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => {
                      setPicked(t.name);
                      setResult(null);
                    }}
                  >
                    Try
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {picked && (
        <form class="tool-call" onSubmit={call}>
          <label>
            Arguments of <code>{picked}</code> (JSON)
            <textarea id="tool-args" rows={4} value={args} onInput={(e) => setArgs((e.target as HTMLTextAreaElement).value)} />
          </label>
          <button type="submit" disabled={busy} aria-busy={busy}>
            {busy ? "Calling…" : "Call"}
          </button>
        </form>
      )}
      {result && (
        <pre class={result.isError ? "tool-result error" : "tool-result"} data-testid="tool-result">
          {result.content.map((c) => (c.type === "text" ? c.text : `[${c.type}]`)).join("\n")}
        </pre>
      )}
    </>
  );
}
