package proxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/netguard"
)

// mcpHTTPClient reaches one MCP backend: the SSRF guard on every dial
// unless allowPrivateNetwork, no environment proxy, no redirects, and the
// server's fixed headers (remote) set on every request. Calls are bounded
// by their context, not a client timeout (a remote SSE stream is long).
func mcpHTTPClient(m *config.MCPServer) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !m.AllowPrivateNetwork {
		d.Control = netguard.Control
	}
	var rt http.RoundTripper = &http.Transport{Proxy: nil, DialContext: d.DialContext, TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second, ResponseHeaderTimeout: m.Timeout.Or(config.DefaultMCPTimeout)}
	if r := m.Remote; r != nil && len(r.Headers) > 0 {
		rt = headerTransport{next: rt, headers: r.Headers}
	}
	return newClient(rt)
}

type headerTransport struct {
	next    http.RoundTripper
	headers []config.Header
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for _, h := range t.headers {
		r.Header.Set(h.Name, h.Value)
	}
	return t.next.RoundTrip(r)
}

// callOpenAPI makes the HTTP request of one operation. Arguments fill the
// declared parameters and the body only; the credential is set last, so
// no argument can replace it.
func (b *mcpBackend) callOpenAPI(ctx context.Context, tool string, raw json.RawMessage) (*mcp.CallToolResult, error) {
	t := b.openAPI[tool]
	if t == nil {
		return nil, fmt.Errorf("unknown tool %q", tool)
	}
	args := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		if err := json.Unmarshal(raw, &args); err != nil {
			return errorResult("arguments must be a JSON object: " + err.Error()), nil
		}
	}
	p := t.Path
	q := url.Values{}
	h := http.Header{}
	for _, prm := range t.Params {
		v, ok := args[prm.Arg]
		if !ok {
			if prm.Required {
				return errorResult(fmt.Sprintf("missing required argument %q", prm.Arg)), nil
			}
			continue
		}
		s := scalar(v)
		switch prm.In {
		case config.MCPInPath:
			p = strings.ReplaceAll(p, "{"+prm.Name+"}", url.PathEscape(s))
		case config.MCPInQuery:
			q.Set(prm.Name, s)
		case config.MCPInHeader:
			if strings.ContainsAny(s, "\r\n\x00") {
				return errorResult(fmt.Sprintf("argument %q must not contain CR, LF or NUL", prm.Arg)), nil
			}
			h.Set(prm.Name, s)
		}
	}
	u, err := url.Parse(b.cfg.OpenAPI.BaseURL + p)
	if err != nil {
		return nil, fmt.Errorf("building the request URL: %w", err)
	}
	var body io.Reader
	if t.Body != "" {
		if v, ok := args[t.Body]; ok {
			body = bytes.NewReader(v)
			h.Set("Content-Type", "application/json")
		}
	}
	if a := b.cfg.OpenAPI.Auth; a != nil {
		switch a.Type {
		case config.MCPAuthBearer:
			h.Set("Authorization", "Bearer "+a.Secret)
		case config.MCPAuthAPIKeyHeader:
			h.Set(a.Name, a.Secret)
		case config.MCPAuthAPIKeyQuery:
			q.Set(a.Name, a.Secret)
		case config.MCPAuthBasic:
			h.Del("Authorization")
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Secret)))
		}
	}
	if enc := q.Encode(); enc != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&" + enc
		} else {
			u.RawQuery = enc
		}
	}
	req, err := http.NewRequestWithContext(ctx, t.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header = h
	req.Header.Set("Accept", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling %s %s: %w", t.Method, t.Path, redactURLError(err))
	}
	defer resp.Body.Close()
	limit := b.cfg.MaxResponseBytes
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s %s: %w", t.Method, t.Path, err)
	}
	if int64(len(data)) > limit {
		return errorResult(fmt.Sprintf("the API's answer exceeds %d bytes (maxResponseBytes)", limit)), nil
	}
	text := b.scrub(string(data))
	res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
	if resp.StatusCode >= 400 {
		res.IsError = true
		res.Content = []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("HTTP %d %s: %s", resp.StatusCode, http.StatusText(resp.StatusCode), text)}}
		return res, nil
	}
	var obj map[string]any
	if json.Unmarshal([]byte(text), &obj) == nil {
		res.StructuredContent = obj
	}
	return res, nil
}

// redactURLError drops the URL (it may carry an API key in the query)
// from a client error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// scalar is a JSON argument as a parameter value: strings unquoted,
// numbers and booleans as written, anything else as its JSON.
func scalar(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(v))
}

// withSession runs fn on the backend's client session, connecting first
// when there is none, and once more on a fresh session when the old one
// broke.
func (b *mcpBackend) withSession(ctx context.Context, s *Server, fn func(*mcp.ClientSession) error) error {
	for attempt := 0; ; attempt++ {
		cs, err := b.connect(ctx)
		if err != nil {
			return err
		}
		err = fn(cs)
		if err == nil || attempt == 1 || ctx.Err() != nil || !brokenSession(err) {
			return err
		}
		b.mu.Lock()
		if b.session == cs {
			_ = cs.Close()
			b.session = nil
		}
		b.mu.Unlock()
		s.log.Info("reconnecting to a remote MCP server", "server", b.cfg.Name)
	}
}

func brokenSession(err error) bool {
	return errors.Is(err, mcp.ErrConnectionClosed) || strings.Contains(err.Error(), "session not found") ||
		strings.Contains(err.Error(), "connection closed")
}

func (b *mcpBackend) connect(ctx context.Context) (*mcp.ClientSession, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.session != nil {
		return b.session, nil
	}
	var t mcp.Transport
	r := b.cfg.Remote
	if r.Transport == config.MCPTransportSSE {
		t = &mcp.SSEClientTransport{Endpoint: r.URL, HTTPClient: b.client}
	} else {
		t = &mcp.StreamableClientTransport{Endpoint: r.URL, HTTPClient: b.client, MaxRetries: 1, DisableStandaloneSSE: true}
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "tollgate", Version: "v1"}, nil)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Timeout.Or(config.DefaultMCPTimeout))
	defer cancel()
	cs, err := c.Connect(cctx, t, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting to the MCP server: %w", redactURLError(err))
	}
	b.session = cs
	return cs, nil
}

// callRemote relays a tools/call; the answer is capped like an API's.
func (b *mcpBackend) callRemote(ctx context.Context, s *Server, tool string, args json.RawMessage) (*mcp.CallToolResult, error) {
	if !config.ToolSelected(b.cfg.Include, b.cfg.Exclude, tool) {
		return errorResult(fmt.Sprintf("tool %q is not served by this gateway", tool)), nil
	}
	var res *mcp.CallToolResult
	err := b.withSession(ctx, s, func(cs *mcp.ClientSession) error {
		var err error
		res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
		return err
	})
	if err != nil {
		return nil, err
	}
	enc, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("encoding the answer: %w", err)
	}
	if int64(len(enc)) > b.cfg.MaxResponseBytes {
		return errorResult(fmt.Sprintf("the MCP server's answer exceeds %d bytes (maxResponseBytes)", b.cfg.MaxResponseBytes)), nil
	}
	return res, nil
}

// mcpMetrics are the per-tool collectors.
type mcpCollectors struct {
	calls   *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

var (
	mcpMetricsMu sync.Mutex
	mcpMetricsBy = map[*prometheus.Registry]*mcpCollectors{}
)

func (s *Server) mcpMetrics() *mcpCollectors {
	mcpMetricsMu.Lock()
	defer mcpMetricsMu.Unlock()
	if c, ok := mcpMetricsBy[s.m.Registry]; ok {
		return c
	}
	c := &mcpCollectors{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_mcp_tool_calls_total",
			Help: "MCP tool calls by server, tool and outcome (ok, tool_error, backend_error, limited, cancelled)."},
			[]string{"server", "tool", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tollgate_mcp_tool_call_duration_seconds",
			Help: "MCP tool call latency by server and tool.", Buckets: prometheus.DefBuckets}, []string{"server", "tool"}),
	}
	s.m.Registry.MustRegister(c.calls, c.latency)
	mcpMetricsBy[s.m.Registry] = c
	return c
}

func (c *mcpCollectors) observe(server, tool, outcome string, d time.Duration) {
	c.calls.WithLabelValues(server, tool, outcome).Inc()
	c.latency.WithLabelValues(server, tool).Observe(d.Seconds())
}
