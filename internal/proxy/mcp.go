package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// The /mcp endpoint: one MCP server (Streamable HTTP, stateless) that
// aggregates the tools of the config's MCP servers, names prefixed with
// "<server>_", and /mcp/<server> serving one server's tools unprefixed.
// The protocol (initialize, version negotiation, ping, notifications,
// pagination, cancellation) is the official Go SDK's; this file decides
// which tools a consumer sees and what a call does.
//
// Stateless: every POST carries everything the gateway needs (the
// consumer key; the tool name and arguments), so a client's next request
// may land on any replica. Limits are counted in the limits store (Redis
// across replicas). What would need session state, server-to-client
// requests (sampling, elicitation) and a remote server's own
// notifications, is not relayed; see docs/mcp.md.

const (
	mcpPath = "/mcp"
	// mcpMaxRequestBytes caps one JSON-RPC request to /mcp.
	mcpMaxRequestBytes = 1 << 20
	// remoteListTTL is how long a remote server's tool list is reused.
	remoteListTTL = 30 * time.Second
)

// mcpGateway is the MCP side of one snapshot.
type mcpGateway struct {
	s       *Server
	servers []*mcpBackend
	byName  map[string]*mcpBackend
}

// mcpBackend is one config.MCPServer at run time.
type mcpBackend struct {
	cfg      *config.MCPServer
	client   *http.Client
	redacted []string
	openAPI  map[string]*config.MCPTool

	mu        sync.Mutex
	session   *mcp.ClientSession
	listed    remoteList[*mcp.Tool]
	resources remoteList[*mcp.Resource]
	prompts   remoteList[*mcp.Prompt]
}

func (s *Server) buildMCP(cfg *config.Config) *mcpGateway {
	g := &mcpGateway{s: s, byName: map[string]*mcpBackend{}}
	for i := range cfg.MCPServers {
		m := &cfg.MCPServers[i]
		b := &mcpBackend{cfg: m, client: mcpHTTPClient(m)}
		for _, sec := range m.Secrets() {
			if *sec != "" {
				b.redacted = append(b.redacted, *sec)
			}
		}
		if o := m.OpenAPI; o != nil {
			b.openAPI = map[string]*config.MCPTool{}
			for j := range o.Tools {
				b.openAPI[o.Tools[j].Name] = &o.Tools[j]
			}
		}
		g.servers = append(g.servers, b)
		g.byName[m.Name] = b
	}
	return g
}

// close ends the remote sessions of a retired snapshot.
func (g *mcpGateway) close() {
	if g == nil {
		return
	}
	for _, b := range g.servers {
		b.mu.Lock()
		if b.session != nil {
			_ = b.session.Close()
			b.session = nil
		}
		b.mu.Unlock()
	}
}

// serveMCP answers /mcp and /mcp/<server>.
func (s *Server) serveMCP(w http.ResponseWriter, r *http.Request, sn *snapshot) {
	g := sn.mcp
	scope := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, mcpPath), "/")
	if g == nil || (scope != "" && g.byName[scope] == nil) {
		closeUnread(w, r)
		mcpHTTPError(w, http.StatusNotFound, "no MCP server "+scopeName(scope)+" on this gateway")
		return
	}
	cons, ok := sn.auth.authenticate(r.Context(), r.Header, s.now())
	if !ok {
		s.m.Rejected.WithLabelValues("unauthenticated").Inc()
		closeUnread(w, r)
		w.Header().Set("WWW-Authenticate", `Bearer realm="tollgate"`)
		mcpHTTPError(w, http.StatusUnauthorized, "a valid consumer key is required: send Authorization: Bearer <key>")
		return
	}
	anonymous := sn.cfg.Auth.Mode == config.AuthNone
	allowed := func(prefixed string) bool {
		if anonymous {
			return true
		}
		c := cons.config()
		return c != nil && config.MatchTool(c.AllowedTools, prefixed)
	}
	rc := &mcpCall{g: g, sn: sn, consumer: cons.name(), allowed: allowed, scope: scope}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return rc.server(r.Context()) },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, MaxRequestBodyBytes: mcpMaxRequestBytes,
			DisableLocalhostProtection: true})
	h.ServeHTTP(w, r)
}

func scopeName(s string) string {
	if s == "" {
		return "(aggregate)"
	}
	return fmt.Sprintf("%q", s)
}

func mcpHTTPError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": jsonrpc.CodeInvalidRequest, "message": msg}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// mcpCall is one HTTP request to /mcp: its consumer and scope.
type mcpCall struct {
	g        *mcpGateway
	sn       *snapshot
	consumer string
	allowed  func(prefixed string) bool
	scope    string
}

// exposed is one tool as a client sees it.
type exposed struct {
	name string // what the client sends
	full string // prefixed, what allowedTools matches
	b    *mcpBackend
	tool *mcp.Tool // upstream (unprefixed) definition
}

// tools lists what the consumer may see in this scope.
func (rc *mcpCall) tools(ctx context.Context) []exposed {
	var out []exposed
	for _, b := range rc.g.servers {
		if rc.scope != "" && b.cfg.Name != rc.scope {
			continue
		}
		for _, t := range b.tools(ctx, rc.g.s) {
			full := b.cfg.Name + config.MCPToolSeparator + t.Name
			if !rc.allowed(full) {
				continue
			}
			name := full
			if rc.scope != "" {
				name = t.Name
			}
			out = append(out, exposed{name: name, full: full, b: b, tool: t})
		}
	}
	return out
}

// server builds the SDK server of this request with the tools the
// consumer may use; a call of any other tool is refused by the
// middleware with a message that says why.
func (rc *mcpCall) server(ctx context.Context) *mcp.Server {
	caps := &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}}
	for _, b := range rc.g.servers {
		if b.cfg.Remote != nil && (rc.scope == "" || b.cfg.Name == rc.scope) {
			// Remote resources and prompts are passed through; no
			// list-changed notifications (stateless).
			caps.Resources, caps.Prompts = &mcp.ResourceCapabilities{}, &mcp.PromptCapabilities{}
		}
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "tollgate", Title: "Tollgate MCP gateway", Version: "v1"},
		&mcp.ServerOptions{Capabilities: caps})
	for _, e := range rc.tools(ctx) {
		t := *e.tool
		t.Name = e.name
		srv.AddTool(&t, rc.handler(e))
	}
	rc.addPassthrough(ctx, srv)
	srv.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "tools/call" {
				if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok {
					if err := rc.refusal(p.Name); err != nil {
						return nil, err
					}
				}
			}
			return next(ctx, method, req)
		}
	})
	return srv
}

// refusal explains why a tool the server does not list cannot be called.
func (rc *mcpCall) refusal(name string) error {
	full := name
	if rc.scope != "" {
		full = rc.scope + config.MCPToolSeparator + name
	}
	server, tool, _ := strings.Cut(full, config.MCPToolSeparator)
	b := rc.g.byName[server]
	if b == nil || tool == "" {
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown tool %q", name)}
	}
	if !rc.allowed(full) {
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf(
			"tool %q is not allowed for consumer %q: add a matching glob to the Consumer's spec.allowedTools", full, rc.consumer)}
	}
	return nil
}

func (rc *mcpCall) handler(e exposed) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		res, outcome, err := rc.call(ctx, e, req.Params.Arguments)
		rc.g.s.log.Info("mcp tool call", "consumer", rc.consumer, "server", e.b.cfg.Name, "tool", e.tool.Name,
			"outcome", outcome, "duration_ms", time.Since(start).Milliseconds())
		rc.g.s.mcpMetrics().observe(e.b.cfg.Name, e.tool.Name, outcome, time.Since(start))
		return res, err
	}
}

func (rc *mcpCall) call(ctx context.Context, e exposed, args json.RawMessage) (*mcp.CallToolResult, string, error) {
	if rc.sn.limits != nil {
		d, err := rc.sn.limits.AdmitToolCall(ctx, rc.consumer)
		if err != nil {
			return nil, "cancelled", fmt.Errorf("checking tool-call limits: %w", err)
		}
		if d != nil {
			return nil, "limited", &jsonrpc.Error{Code: mcpCodeRateLimited, Message: d.Message}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, e.b.cfg.Timeout.Or(config.DefaultMCPTimeout))
	defer cancel()
	var res *mcp.CallToolResult
	var err error
	if e.b.cfg.OpenAPI != nil {
		res, err = e.b.callOpenAPI(ctx, e.tool.Name, args)
	} else {
		res, err = e.b.callRemote(ctx, rc.g.s, e.tool.Name, args)
	}
	if err != nil {
		msg := e.b.scrub(err.Error())
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = fmt.Sprintf("the tool call timed out after %s", e.b.cfg.Timeout.Or(config.DefaultMCPTimeout))
		}
		return errorResult(msg), "backend_error", nil
	}
	if res.IsError {
		return res, "tool_error", nil
	}
	return res, "ok", nil
}

// mcpCodeRateLimited is the JSON-RPC error code of a tool-call limit.
const mcpCodeRateLimited = -32029

func errorResult(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}
}

func (b *mcpBackend) scrub(s string) string {
	for _, sec := range b.redacted {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// tools is the backend's tool list after include/exclude.
func (b *mcpBackend) tools(ctx context.Context, s *Server) []*mcp.Tool {
	if o := b.cfg.OpenAPI; o != nil {
		out := make([]*mcp.Tool, 0, len(o.Tools))
		for i := range o.Tools {
			t := &o.Tools[i]
			mt := &mcp.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema}
			if t.ReadOnly {
				mt.Annotations = &mcp.ToolAnnotations{ReadOnlyHint: true}
			}
			out = append(out, mt)
		}
		return out
	}
	return b.remoteTools(ctx, s)
}
