// tsclient.mjs drives the official TypeScript MCP SDK client
// (@modelcontextprotocol/sdk, the copy hack/install-mcp-sdk.sh puts in
// bin/mcp-sdk) against a gateway, over the Streamable HTTP transport.
//
// Usage: node tsclient.mjs <sdk dir> <endpoint> <consumer key> <ops JSON>
// where ops is a list of {"op":"list"} | {"op":"call","name":..,"args":{..}}
// | {"op":"resources"} | {"op":"read","uri":..} | {"op":"prompts"}
// | {"op":"prompt","name":..,"args":{..}}.
// It prints one JSON line per op: the result, or {"error":{code,message}}
// when the SDK throws; the Go test (tsclient_test.go) checks them.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [sdkDir, endpoint, key, opsJSON] = process.argv.slice(2);
const esm = (p) => pathToFileURL(join(sdkDir, "node_modules/@modelcontextprotocol/sdk/dist/esm", p)).href;
const { Client } = await import(esm("client/index.js"));
const { StreamableHTTPClientTransport } = await import(esm("client/streamableHttp.js"));

const client = new Client({ name: "tollgate-ts-test", version: "0.0.1" });
const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
await client.connect(transport);
const out = (v) => process.stdout.write(JSON.stringify(v) + "\n");
out({ op: "initialize", server: client.getServerVersion(), protocol: transport.protocolVersion ?? null });

const text = (content) => (content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("");
for (const op of JSON.parse(opsJSON)) {
  try {
    switch (op.op) {
      case "list": {
        // tools/list, following nextCursor through every page.
        const names = [];
        let cursor;
        do {
          const page = await client.listTools(cursor ? { cursor } : {});
          names.push(...page.tools.map((t) => t.name));
          cursor = page.nextCursor;
        } while (cursor);
        out({ op: "list", tools: names.sort() });
        break;
      }
      case "call": {
        const r = await client.callTool({ name: op.name, arguments: op.args ?? {} });
        out({ op: "call", name: op.name, isError: !!r.isError, text: text(r.content), structured: r.structuredContent ?? null });
        break;
      }
      case "resources": {
        const r = await client.listResources();
        out({ op: "resources", uris: r.resources.map((x) => x.uri).sort() });
        break;
      }
      case "read": {
        const r = await client.readResource({ uri: op.uri });
        out({ op: "read", uri: op.uri, text: r.contents.map((c) => c.text ?? "").join("") });
        break;
      }
      case "prompts": {
        const r = await client.listPrompts();
        out({ op: "prompts", names: r.prompts.map((x) => x.name).sort() });
        break;
      }
      case "prompt": {
        const r = await client.getPrompt({ name: op.name, arguments: op.args ?? {} });
        out({ op: "prompt", name: op.name, text: r.messages.map((m) => (m.content.type === "text" ? m.content.text : "")).join("") });
        break;
      }
      default:
        throw new Error(`unknown op ${op.op}`);
    }
  } catch (e) {
    out({ op: op.op, error: { code: e.code ?? null, message: String(e.message ?? e) } });
  }
}
await client.close();
