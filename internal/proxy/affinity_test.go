package proxy

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// switchableUpstream relays to the mock until down is set, then answers
// 503 to everything.
func switchableUpstream(t *testing.T, mock *mockup.Server, down *atomic.Bool) *mockup.Server {
	t.Helper()
	ts := frontedUpstream(t, mock, func(w http.ResponseWriter, _ *http.Request) bool {
		if !down.Load() {
			return false
		}
		http.Error(w, `{"error":{"message":"down","type":"server_error"}}`, http.StatusServiceUnavailable)
		return true
	})
	return &mockup.Server{URL: ts.URL}
}

// TestSessionAffinityThroughProxy: requests of one session (each key
// source) stay on one backend; many sessions spread by weight; a session
// whose backend is down is served elsewhere and the other sessions do not
// move; with mode None the strategy chooses per request.
func TestSessionAffinityThroughProxy(t *testing.T) {
	mock := mockup.New(t)
	names := []string{"a", "b", "c"}
	weights := map[string]int{"a": 1, "b": 2, "c": 1}
	down := map[string]*atomic.Bool{}
	var provs []config.Provider
	var backends []config.Backend
	for _, n := range names {
		down[n] = &atomic.Bool{}
		provs = append(provs, upstreamProvider(n, switchableUpstream(t, mock, down[n])))
		backends = append(backends, config.Backend{Provider: n, UpstreamModel: "m", Weight: new(weights[n])})
	}
	cfg, key := baseConfig(t, provs, backends...)
	cfg.Routes[0].SessionAffinity.Header = "X-Conversation"
	g := startGateway(t, cfg)
	served := func(body string, hdr map[string]string) string {
		t.Helper()
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, body, hdr)
		if b := readAll(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		return resp.Header.Get(HeaderProvider)
	}
	sticks := func(name string, body string, hdr map[string]string) string {
		t.Helper()
		first := served(body, hdr)
		for i := 0; i < 40; i++ {
			if got := served(body, hdr); got != first {
				t.Fatalf("%s: request %d went to %s, the session's first to %s", name, i, got, first)
			}
		}
		return first
	}
	sticks("prompt_cache_key", chatBody(false, `,"prompt_cache_key":"conv-1"`), nil)
	sticks("user", chatBody(false, `,"user":"dev-7"`), nil)
	sticks("metadata.user_id", chatBody(false, `,"metadata":{"user_id":"user_x_account_y_session_z"}`), nil)
	sticks("configured header", chatBody(false, ""), map[string]string{"X-Conversation": "c-9"})
	claude := sticks("Claude Code header", chatBody(false, ""), map[string]string{HeaderClaudeCodeSession: "3f1c0c8e-claude"})

	// Many sessions spread by weight: the hash is deterministic (fixed
	// keys, fixed consumer), so this cannot flake; the bound is 5 binomial
	// standard deviations of 800 sessions at shares 1/4, 1/2, 1/4.
	const sessions = 800
	counts := map[string]int{}
	home := map[string]string{}
	for i := 0; i < sessions; i++ {
		s := fmt.Sprintf("session-%d", i)
		home[s] = served(chatBody(false, `,"prompt_cache_key":"`+s+`"`), nil)
		counts[home[s]]++
	}
	for _, n := range names {
		want := sessions * weights[n] / 4
		if d := counts[n] - want; d*d > 25*want {
			t.Errorf("backend %s served %d sessions, want %d ± %d (counts %v)", n, counts[n], want, 5*isqrt(want), counts)
		}
	}

	// The Claude Code session's backend goes down: the session is served
	// by another, and sessions at home elsewhere stay there.
	down[claude].Store(true)
	hdr := map[string]string{HeaderClaudeCodeSession: "3f1c0c8e-claude"}
	for i := 0; i < 10; i++ {
		if got := served(chatBody(false, ""), hdr); got == claude {
			t.Fatalf("request %d served by %s, which is down", i, got)
		}
	}
	moved := 0
	for i := 0; i < 100; i++ {
		s := fmt.Sprintf("session-%d", i)
		got := served(chatBody(false, `,"prompt_cache_key":"`+s+`"`), nil)
		switch {
		case home[s] == claude && got == claude:
			t.Fatalf("%s served by %s, which is down", s, got)
		case home[s] != claude && got != home[s]:
			moved++
		}
	}
	if moved != 0 {
		t.Errorf("%d sessions whose backend is up moved when %s went down", moved, claude)
	}

	// Mode None: one session's requests spread over the backends.
	down[claude].Store(false)
	cfg.Routes[0].SessionAffinity = config.SessionAffinity{Mode: config.AffinityNone}
	g2 := startGateway(t, cfg)
	g = g2
	seen := map[string]bool{}
	for i := 0; i < 60; i++ {
		seen[served(chatBody(false, `,"prompt_cache_key":"conv-1"`), nil)] = true
	}
	if len(seen) < 2 {
		t.Errorf("with mode None one session went only to %v", seen)
	}
}

func isqrt(n int) int {
	r := 0
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}
