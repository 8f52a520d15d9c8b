package proxy

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
	"github.com/tollgate-dev/tollgate/test/mcpbackends"
)

// mcpConfig is a gateway serving the Notes API (OpenAPI) and the tracker
// (remote MCP) to two consumers: team-a may use every notes tool and the
// tracker's issue tools, team-b only notes_listNotes.
func mcpConfig(t *testing.T) (cfg *config.Config, keyA, keyB string) {
	t.Helper()
	keyA, ka := newKey(t)
	keyB, kb := newKey(t)
	cfg = &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "test"},
		Auth: config.Auth{Mode: config.AuthAPIKey},
		Consumers: []config.Consumer{
			{Name: "team-a", Keys: []config.Key{ka}, AllowedTools: []string{"notes_*", "tracker_issue_*"}},
			{Name: "team-b", Keys: []config.Key{kb}, AllowedTools: []string{"notes_listNotes"}},
		},
		MCPServers: []config.MCPServer{mcpbackends.NotesServer(t), mcpbackends.TrackerServer(t)},
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg, keyA, keyB
}

// bearer adds a consumer key to every request; hosts, when set, sends
// each request to the next gateway replica in turn.
type bearer struct {
	key   string
	hosts []string
	n     atomic.Int64
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	if len(b.hosts) > 0 {
		u, _ := url.Parse(b.hosts[int(b.n.Add(1))%len(b.hosts)])
		r.URL.Host = u.Host
		r.Host = u.Host
	}
	return http.DefaultTransport.RoundTrip(r)
}

func connectMCP(t *testing.T, endpoint, key string, replicas ...string) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-test", Version: "v0"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint,
		HTTPClient: &http.Client{Transport: &bearer{key: key, hosts: replicas}}, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatalf("connect %s: %v", endpoint, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tl := range res.Tools {
		out = append(out, tl.Name)
	}
	slices.Sort(out)
	return out
}

func callText(t *testing.T, cs *mcp.ClientSession, name string, args any) (*mcp.CallToolResult, string) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return res, b.String()
}

func TestMCPGoSDKClientListsAndCallsBothKinds(t *testing.T) {
	cfg, keyA, keyB := mcpConfig(t)
	g := startGateway(t, cfg)

	a := connectMCP(t, g.url+"/mcp", keyA)
	if got, want := strings.Join(toolNames(t, a), ","),
		"notes_createNote,notes_deleteNote,notes_getNote,notes_get_health,notes_listNotes,tracker_issue_get,tracker_issue_search"; got != want {
		t.Fatalf("team-a tools %s, want %s", got, want)
	}
	b := connectMCP(t, g.url+"/mcp", keyB)
	if got := strings.Join(toolNames(t, b), ","); got != "notes_listNotes" {
		t.Fatalf("team-b tools %s, want only notes_listNotes", got)
	}

	// OpenAPI: body, path, query and header parameters.
	res, text := callText(t, a, "notes_createNote", map[string]any{"body": map[string]any{"title": "from mcp", "tags": []string{"x"}}})
	if res.IsError || !strings.Contains(text, `"title":"from mcp"`) {
		t.Fatalf("createNote: %v %s", res.IsError, text)
	}
	if m, ok := res.StructuredContent.(map[string]any); !ok || m["id"] != float64(3) {
		t.Errorf("structured content %#v", res.StructuredContent)
	}
	_, text = callText(t, a, "notes_listNotes", map[string]any{"tag": "x", "limit": 5})
	if !strings.Contains(text, "from mcp") || strings.Contains(text, "first") {
		t.Errorf("listNotes tag=x: %s", text)
	}
	res, text = callText(t, a, "notes_getNote", map[string]any{"id": 99, "X-Trace": "t1"})
	if !res.IsError || !strings.Contains(text, "HTTP 404") {
		t.Errorf("getNote 99: isError=%v %s", res.IsError, text)
	}
	// Remote MCP server through the gateway, with its upstream token.
	res, text = callText(t, a, "tracker_issue_get", map[string]any{"id": 7})
	if res.IsError || !strings.Contains(text, "Issue 7") {
		t.Errorf("tracker_issue_get: %v %s", res.IsError, text)
	}

	// Refusals: not allowed, and excluded upstream tools.
	_, err := b.CallTool(context.Background(), &mcp.CallToolParams{Name: "notes_deleteNote", Arguments: map[string]any{"id": 1}})
	if err == nil || !strings.Contains(err.Error(), `tool "notes_deleteNote" is not allowed for consumer "team-b"`) {
		t.Errorf("team-b deleteNote: %v", err)
	}
	_, err = a.CallTool(context.Background(), &mcp.CallToolParams{Name: "tracker_admin_reset"})
	if err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("admin_reset: %v", err)
	}

	// One server alone: unprefixed names, the same allowedTools.
	one := connectMCP(t, g.url+"/mcp/tracker", keyA)
	if got := strings.Join(toolNames(t, one), ","); got != "issue_get,issue_search" {
		t.Errorf("/mcp/tracker tools %s", got)
	}

	// No key: 401 with a WWW-Authenticate challenge.
	resp := g.do(t, http.MethodPost, "/mcp", "", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, map[string]string{"Accept": "application/json, text/event-stream"})
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("no key: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	_ = readAll(t, resp)
	for _, secret := range []string{mcpbackends.NotesKey, mcpbackends.TrackerToken} {
		if strings.Contains(g.logs.String(), secret) {
			t.Errorf("a backend credential is in the logs")
		}
	}
	if !strings.Contains(g.logs.String(), `"msg":"mcp tool call","consumer":"team-a","server":"notes","tool":"createNote","outcome":"ok"`) {
		t.Errorf("no access-log line for the tool call:\n%s", g.logs.String())
	}
}

// Two replicas on one Redis: a session initialized on one replica goes on
// on the other (stateless), and the tool-call limit is one across both.
func TestMCPToolCallLimitAcrossReplicas(t *testing.T) {
	rd := testredis.Start(t)
	cfg, keyA, _ := mcpConfig(t)
	cfg.Policies = []config.Policy{{Name: "tools", Limits: []config.Limit{{Window: config.D(time.Hour), ToolCalls: 3}}}}
	cfg.Consumers[0].Policies = []string{"tools"}
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
		Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(2 * time.Second)}}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g1, g2 := startGateway(t, cfg), startGateway(t, cfg)
	cs := connectMCP(t, g1.url+"/mcp", keyA, g1.url, g2.url)
	for i := range 3 {
		if res, text := callText(t, cs, "notes_listNotes", nil); res.IsError {
			t.Fatalf("call %d: %s", i+1, text)
		}
	}
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "notes_listNotes"})
	if err == nil || !strings.Contains(err.Error(), `rate limit reached for policy "tools": 3 tool calls per 1h`) {
		t.Fatalf("4th call: %v", err)
	}
	for _, g := range []*gw{g1, g2} {
		if !strings.Contains(g.logs.String(), `"outcome":"ok"`) {
			t.Errorf("replica %s served no tool call: the session did not move", g.url)
		}
		// /usage on either replica counts the calls admitted, not the refused.
		if u := usageOf(t, g.s, "team-a"); u.ToolCalls != 3 {
			t.Errorf("replica %s: /usage toolCalls = %d, want 3", g.url, u.ToolCalls)
		}
	}
}
