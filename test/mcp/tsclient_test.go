// Package mcp_test runs MCP clients nobody here wrote against a gateway
// started by the test: the official TypeScript SDK client
// (@modelcontextprotocol/sdk from npm, pinned in hack/mcp-sdk and installed
// into bin/mcp-sdk by `make agents`) over Streamable HTTP, through the
// small script tsclient.mjs.
package mcp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	"github.com/tollgate-dev/tollgate/test/mcpbackends"
	"github.com/tollgate-dev/tollgate/test/testbin"
)

// toolCallLimit is team-a's tool calls per hour.
const toolCallLimit = 4

type gateway struct {
	url        string
	keyA, keyB string
}

// startGateway serves the Notes API (OpenAPI) and the tracker (a remote
// MCP server on the Go SDK) to team-a (every notes tool and the tracker's
// issue tools, toolCallLimit calls an hour) and team-b (notes_listNotes).
func startGateway(t *testing.T) *gateway {
	t.Helper()
	keyA, ka := proxytest.Key(t)
	keyB, kb := proxytest.Key(t)
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "mcp-ts"},
		Auth:     config.Auth{Mode: config.AuthAPIKey},
		Policies: []config.Policy{{Name: "tools", Limits: []config.Limit{{Window: config.D(time.Hour), ToolCalls: toolCallLimit}}}},
		Consumers: []config.Consumer{
			{Name: "team-a", Keys: []config.Key{ka}, AllowedTools: []string{"notes_*", "tracker_issue_*", "tracker_docs_*"}, Policies: []string{"tools"}},
			{Name: "team-b", Keys: []config.Key{kb}, AllowedTools: []string{"notes_listNotes"}},
		},
		MCPServers: []config.MCPServer{mcpbackends.NotesServer(t), mcpbackends.TrackerServer(t)},
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := proxytest.Serve(t, proxy.New(proxy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}), cfg)
	return &gateway{url: ts.URL, keyA: keyA, keyB: keyB}
}

// sdkDir is bin/mcp-sdk, installing the pinned SDK when it is missing.
// Without npm the test skips, and fails under make
// (TOLLGATE_REQUIRE_AGENTS=1, which `make agents` goes with).
func sdkDir(t *testing.T) string {
	t.Helper()
	bin := testbin.Dir(t)
	dir := filepath.Join(bin, "mcp-sdk")
	script := testbin.Script(t, "install-mcp-sdk.sh")
	// Cached: with the lock file's copy in place this only loads the module.
	out, err := exec.Command("bash", script, bin).CombinedOutput()
	if err == nil {
		return dir
	}
	testbin.Missing(t, "TOLLGATE_REQUIRE_AGENTS", fmt.Sprintf("the MCP SDK is not installed in %s and %s could not install it (%v):\n%s", dir, script, err, out))
	return ""
}

// result is one line tsclient.mjs prints.
type result struct {
	Op         string         `json:"op"`
	Server     map[string]any `json:"server"`
	Protocol   string         `json:"protocol"`
	Tools      []string       `json:"tools"`
	URIs       []string       `json:"uris"`
	Names      []string       `json:"names"`
	IsError    bool           `json:"isError"`
	Text       string         `json:"text"`
	Structured map[string]any `json:"structured"`
	Error      *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// op is one step of the script.
type op map[string]any

func list() op                                 { return op{"op": "list"} }
func call(name string, args map[string]any) op { return op{"op": "call", "name": name, "args": args} }

// runTS runs the TypeScript client against endpoint with key; the first
// result is initialize's, then one per op.
func runTS(t *testing.T, sdk, endpoint, key string, ops ...op) []result {
	t.Helper()
	enc, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "tsclient.mjs", sdk, endpoint, key, string(enc))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node tsclient.mjs %s: %v\nstdout:\n%s\nstderr:\n%s", endpoint, err, stdout.String(), stderr.String())
	}
	var out []result
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		t.Logf("tsclient.mjs: %s", sc.Text())
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("a line of tsclient.mjs: %v: %s", err, sc.Text())
		}
		out = append(out, r)
	}
	if len(out) != len(ops)+1 {
		t.Fatalf("tsclient.mjs printed %d results for %d ops:\n%s\nstderr:\n%s", len(out), len(ops), stdout.String(), stderr.String())
	}
	if out[0].Server["name"] != "tollgate" || out[0].Protocol == "" {
		t.Errorf("initialize: server %v, protocol %q", out[0].Server, out[0].Protocol)
	}
	return out[1:]
}

func TestTypeScriptSDKClient(t *testing.T) {
	sdk := sdkDir(t)
	g := startGateway(t)

	a := runTS(t, sdk, g.url+"/mcp", g.keyA,
		list(),
		call("notes_createNote", map[string]any{"body": map[string]any{"title": "from typescript", "tags": []string{"ts"}}}),
		call("notes_listNotes", map[string]any{"tag": "ts", "limit": 5}),
		call("notes_getNote", map[string]any{"id": 99}),
		call("tracker_issue_get", map[string]any{"id": 7}),
		call("tracker_admin_reset", nil),
		// Four calls reached a backend (the 404 counts; the refused
		// admin_reset does not): the next one is past toolCallLimit.
		call("tracker_issue_search", map[string]any{"query": "gateway"}),
	)
	if got, want := strings.Join(a[0].Tools, ","),
		"notes_createNote,notes_deleteNote,notes_getNote,notes_get_health,notes_listNotes,tracker_issue_get,tracker_issue_search"; got != want {
		t.Errorf("team-a tools/list %s, want %s", got, want)
	}
	if r := a[1]; r.Error != nil || r.IsError || !strings.Contains(r.Text, `"title":"from typescript"`) || r.Structured["id"] != float64(3) {
		t.Errorf("createNote (OpenAPI, JSON body): %+v", r)
	}
	if r := a[2]; r.Error != nil || !strings.Contains(r.Text, "from typescript") || strings.Contains(r.Text, "first") {
		t.Errorf("listNotes tag=ts (OpenAPI, query): %+v", r)
	}
	if r := a[3]; r.Error != nil || !r.IsError || !strings.HasPrefix(r.Text, "HTTP 404 Not Found") {
		t.Errorf("getNote 99 (OpenAPI, path; 404 as isError): %+v", r)
	}
	if r := a[4]; r.Error != nil || r.IsError || !strings.Contains(r.Text, "Issue 7") || r.Structured["state"] != "open" {
		t.Errorf("tracker_issue_get (remote MCP): %+v", r)
	}
	if r := a[5]; r.Error == nil || r.Error.Code != -32602 || !strings.Contains(r.Error.Message, `tool "tracker_admin_reset" is not allowed for consumer "team-a"`) {
		t.Errorf("tracker_admin_reset (excluded): %+v", r)
	}
	if r := a[6]; r.Error == nil || r.Error.Code != -32029 || !strings.Contains(r.Error.Message, `rate limit reached for policy "tools": 4 tool calls per 1h`) {
		t.Errorf("the call past %d: %+v", toolCallLimit, r)
	}

	b := runTS(t, sdk, g.url+"/mcp", g.keyB,
		list(),
		call("notes_listNotes", nil),
		call("notes_deleteNote", map[string]any{"id": 1}),
	)
	if got := strings.Join(b[0].Tools, ","); got != "notes_listNotes" {
		t.Errorf("team-b tools/list %s, want only notes_listNotes", got)
	}
	if r := b[1]; r.Error != nil || r.IsError || !strings.Contains(r.Text, `"title":"first"`) {
		t.Errorf("team-b listNotes: %+v", r)
	}
	if r := b[2]; r.Error == nil || !strings.Contains(r.Error.Message, `tool "notes_deleteNote" is not allowed for consumer "team-b"`) {
		t.Errorf("team-b deleteNote: %+v", r)
	}

	// The tracker's resources and prompts, filtered like its tools: team-a
	// may use tracker_docs_* and tracker_issue_*, never admin_*.
	rp := runTS(t, sdk, g.url+"/mcp", g.keyA,
		op{"op": "resources"}, op{"op": "read", "uri": "tracker://docs/readme"}, op{"op": "read", "uri": "tracker://admin/audit"},
		op{"op": "prompts"}, op{"op": "prompt", "name": "tracker_issue_triage", "args": map[string]any{"id": "7"}})
	if got := strings.Join(rp[0].URIs, ","); got != "tracker://docs/readme" {
		t.Errorf("resources/list %s, want only tracker://docs/readme", got)
	}
	if r := rp[1]; r.Error != nil || !strings.HasPrefix(r.Text, "# Tracker") {
		t.Errorf("resources/read readme: %+v", r)
	}
	if r := rp[2]; r.Error == nil || strings.Contains(r.Text, "audit log") {
		t.Errorf("resources/read of an excluded resource: %+v", r)
	}
	if got := strings.Join(rp[3].Names, ","); got != "tracker_issue_triage" {
		t.Errorf("prompts/list %s, want only tracker_issue_triage", got)
	}
	if r := rp[4]; r.Error != nil || r.Text != "Triage issue 7: label it and set its state." {
		t.Errorf("prompts/get: %+v", r)
	}

	// One server alone: unprefixed names.
	one := runTS(t, sdk, g.url+"/mcp/notes", g.keyB, list())
	if got := strings.Join(one[0].Tools, ","); got != "listNotes" {
		t.Errorf("/mcp/notes for team-b: %s", got)
	}
}
