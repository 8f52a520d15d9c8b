package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Issue 12 item 11: client headers reach the vendor on an allow-list.
func TestClientHeadersAllowList(t *testing.T) {
	g, key, up := mockGateway(t)
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), map[string]string{
		"X-Forwarded-For": "10.0.0.1", "X-Real-Ip": "10.0.0.1", "X-Internal-Tenant": "acme", "Forwarded": "for=10.0.0.1",
		"Via": "1.1 corp-proxy", "Traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"X-Stainless-Os": "Linux", "Anthropic-Beta": "tools-2024", "User-Agent": "OpenAI/Go 1.0",
		"Idempotency-Key": "idem-1", "OpenAI-Beta": "assistants=v2", "Accept": "application/json",
	})
	if b := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	rec, _ := up.Last()
	for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "X-Internal-Tenant", "Forwarded", "Via", "Traceparent", "X-Stainless-Os", "Anthropic-Beta"} {
		if v := rec.Header.Get(h); v != "" {
			t.Errorf("%s reached the upstream: %q", h, v)
		}
	}
	for h, want := range map[string]string{"User-Agent": "OpenAI/Go 1.0", "Idempotency-Key": "idem-1", "Openai-Beta": "assistants=v2", "Accept": "application/json"} {
		if v := rec.Header.Get(h); v != want {
			t.Errorf("%s upstream = %q, want %q", h, v, want)
		}
	}
}

// Issue 12 item 11: an upstream's Retry-After is capped (the route's
// maxCooldown) before it reaches the client.
func TestUpstreamRetryAfterCapped(t *testing.T) {
	for _, path := range []string{"/v1/chat/completions", messagesPath} {
		// A gateway each: the first 429 cools the backend down.
		cfg, key, _ := mockConfig(t)
		cfg.Routes[0].Retry.Attempts = 1
		cfg.Routes[0].Retry.MaxCooldown = config.D(30 * time.Second)
		g := startGateway(t, cfg)
		body := chatBody(false, "")
		if path == messagesPath {
			body = `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`
		}
		resp := g.do(t, http.MethodPost, path, key, body, map[string]string{"x-mock-status": "429", "x-mock-retry-after": "999999999"})
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s: status %d %s", path, resp.StatusCode, b)
		}
		if got := resp.Header.Get("Retry-After"); got != "30" {
			t.Errorf("%s: Retry-After %q, want the route's maxCooldown 30", path, got)
		}
	}
}

// Issue 12 item 11: only canonical paths are served.
func TestOnlyCanonicalPaths(t *testing.T) {
	g, key, up := mockGateway(t)
	addr := strings.TrimPrefix(g.url, "http://")
	for _, p := range []string{"/v1/chat%2Fcompletions", "/v1/chat%2fcompletions", "/%761/chat/completions", "/v1/chat/completion%73",
		"//v1/chat/completions", "/v1//chat/completions", "/v1/chat/completions.", "/v1/chat/completions/", "/v1/./chat/completions",
		"/v1/chat/../chat/completions", "/v1/messages%2F", "/v1/embedding%73"} {
		// A raw request line: clients would clean or re-escape the path.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		body := chatBody(false, "")
		_, _ = io.WriteString(conn, "POST "+p+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+
			"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		b, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d %s, want 404", p, resp.StatusCode, b)
		}
	}
	if n := up.Count(); n != 0 {
		t.Errorf("%d requests reached the upstream", n)
	}
}
