package proxy

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// pair is a gateway with route "m" over backend a (tier 0) and, when
// withB, backend b (tier 1). Each provider sends its own fault headers.
type pair struct {
	g      *gw
	key    string
	ua, ub *mockup.Server
}

func newPair(t *testing.T, withB bool, faultA map[string]string, tune func(*config.Config)) *pair {
	t.Helper()
	p := &pair{ua: mockup.New(t), ub: mockup.New(t)}
	pa := upstreamProvider("a", p.ua)
	pa.Headers = faultA
	pa.Timeouts.FirstToken = config.D(300 * time.Millisecond)
	pa.Timeouts.Idle = config.D(300 * time.Millisecond)
	provs := []config.Provider{pa}
	backends := []config.Backend{{Provider: "a", UpstreamModel: "m"}}
	if withB {
		provs = append(provs, upstreamProvider("b", p.ub))
		backends = append(backends, config.Backend{Provider: "b", UpstreamModel: "m", Priority: 1})
	}
	cfg, key := baseConfig(t, provs, backends...)
	if tune != nil {
		tune(cfg)
	}
	p.g, p.key = startGateway(t, cfg), key
	return p
}

func (p *pair) chat(t *testing.T, stream bool) (*http.Response, string) {
	t.Helper()
	resp := p.g.do(t, http.MethodPost, "/v1/chat/completions", p.key, chatBody(stream, ""), nil)
	return resp, readAll(t, resp)
}

// Row 11: 5xx or refused before any byte: bounded retries, the next
// backend, then an OpenAI-shaped 502/503.
func TestRow11ServerErrorsAndRefused(t *testing.T) {
	t.Run("503 everywhere: bounded retries then 503", func(t *testing.T) {
		p := newPair(t, false, map[string]string{"x-mock-status": "503"}, nil)
		resp, body := p.chat(t, false)
		if resp.StatusCode != http.StatusServiceUnavailable || errorCode(t, body) == "" {
			t.Fatalf("status %d body %s", resp.StatusCode, body)
		}
		if n := p.ua.Count(); n != 3 {
			t.Errorf("upstream attempts = %d, want Retry.Attempts = 3", n)
		}
	})
	t.Run("500 on tier 0 falls back to tier 1", func(t *testing.T) {
		p := newPair(t, true, map[string]string{"x-mock-status": "500"}, nil)
		resp, body := p.chat(t, false)
		if resp.StatusCode != 200 || !strings.Contains(body, "one two three") {
			t.Fatalf("status %d body %s", resp.StatusCode, body)
		}
		if p.ua.Count() != 1 || p.ub.Count() != 1 {
			t.Errorf("attempts a=%d b=%d, want 1 and 1", p.ua.Count(), p.ub.Count())
		}
	})
	t.Run("connection refused: fallback, else 502", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + ln.Addr().String() + "/v1"
		ln.Close()
		for _, withB := range []bool{true, false} {
			p := newPair(t, withB, nil, func(c *config.Config) { c.Providers[0].Endpoint = dead })
			resp, body := p.chat(t, true)
			switch {
			case withB && (resp.StatusCode != 200 || !strings.HasSuffix(strings.TrimSpace(body), "[DONE]")):
				t.Errorf("with fallback: status %d body %s", resp.StatusCode, body)
			case !withB && (resp.StatusCode != http.StatusBadGateway || errorCode(t, body) != "upstream_unreachable"):
				t.Errorf("without fallback: status %d body %s", resp.StatusCode, body)
			}
		}
	})
	t.Run("400 from upstream is not retried", func(t *testing.T) {
		p := newPair(t, true, map[string]string{"x-mock-status": "400"}, nil)
		resp, body := p.chat(t, false)
		if resp.StatusCode != http.StatusBadRequest || p.ua.Count() != 1 || p.ub.Count() != 0 {
			t.Errorf("status %d (a=%d b=%d) body %s", resp.StatusCode, p.ua.Count(), p.ub.Count(), body)
		}
	})
}

// Row 12: 429 with Retry-After cools the backend down (capped) and falls
// back; with no fallback the client gets 429 with Retry-After.
func TestRow12RateLimited(t *testing.T) {
	t.Run("fallback and cooldown", func(t *testing.T) {
		p := newPair(t, true, map[string]string{"x-mock-status": "429", "x-mock-retry-after": "3600"},
			func(c *config.Config) { c.Routes[0].Retry.MaxCooldown = config.D(30 * time.Second) })
		for i := 0; i < 3; i++ {
			if resp, body := p.chat(t, false); resp.StatusCode != 200 {
				t.Fatalf("request %d: status %d body %s", i, resp.StatusCode, body)
			}
		}
		if p.ua.Count() != 1 || p.ub.Count() != 3 {
			t.Errorf("a=%d b=%d: the cooling backend must not be tried again", p.ua.Count(), p.ub.Count())
		}
		until := time.Unix(0, p.g.s.state("a/m").coolUntil.Load())
		if d := time.Until(until); d <= 0 || d > 30*time.Second {
			t.Errorf("cooldown %v, want capped at MaxCooldown 30s", d)
		}
	})
	t.Run("no fallback: 429 with Retry-After", func(t *testing.T) {
		p := newPair(t, false, map[string]string{"x-mock-status": "429", "x-mock-retry-after": "7"}, nil)
		resp, body := p.chat(t, false)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" || errorCode(t, body) != "rate_limit_exceeded" {
			t.Fatalf("status %d Retry-After %q body %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		resp, _ = p.chat(t, false)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || p.ua.Count() != 1 {
			t.Errorf("while cooling: status %d Retry-After %q attempts %d", resp.StatusCode, resp.Header.Get("Retry-After"), p.ua.Count())
		}
	})
}

// Row 13: an upstream that hangs before the first byte hits the
// first-token timeout: fallback, or 504.
func TestRow13FirstTokenTimeout(t *testing.T) {
	hang := map[string]string{"x-mock-delay": "30s"}
	for _, stream := range []bool{false, true} {
		p := newPair(t, true, hang, nil)
		if resp, body := p.chat(t, stream); resp.StatusCode != 200 {
			t.Errorf("stream=%v with fallback: status %d body %s", stream, resp.StatusCode, body)
		}
		p = newPair(t, false, hang, func(c *config.Config) { c.Routes[0].Retry.Attempts = 1 })
		resp, body := p.chat(t, stream)
		if resp.StatusCode != http.StatusGatewayTimeout || errorCode(t, body) != "upstream_timeout" {
			t.Errorf("stream=%v alone: status %d body %s", stream, resp.StatusCode, body)
		}
	}
}

// Row 14: stalls and drops mid-stream end with the chunks so far and a
// terminal error event, no [DONE], no second stream spliced in; a long but
// active stream is not cut.
func TestRow14MidStreamFailures(t *testing.T) {
	cases := map[string]map[string]string{
		"stall": {"x-mock-stall-after": "2", "x-mock-chunks": "5"},
		"drop":  {"x-mock-drop-after": "2", "x-mock-chunks": "5"},
	}
	for name, fault := range cases {
		t.Run(name, func(t *testing.T) {
			p := newPair(t, true, fault, nil)
			resp, body := p.chat(t, true)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			evs := events(body)
			if len(evs) != 3 || !strings.Contains(evs[0], "w1") || !strings.Contains(evs[1], "w2") {
				t.Fatalf("events %q, want 2 chunks and an error", evs)
			}
			if errorCode(t, evs[2]) == "" || strings.Contains(body, "[DONE]") {
				t.Errorf("last event %q; body must end in an error without [DONE]", evs[2])
			}
			if p.ub.Count() != 0 {
				t.Errorf("fallback contacted after bytes were sent: splice")
			}
		})
	}
	t.Run("long active stream", func(t *testing.T) {
		p := newPair(t, false, map[string]string{"x-mock-chunks": "8", "x-mock-chunk-delay": "100ms"}, nil)
		resp, body := p.chat(t, true)
		evs := events(body)
		if resp.StatusCode != 200 || len(evs) != 10 || evs[len(evs)-1] != "[DONE]" {
			t.Errorf("status %d events %d (%q)", resp.StatusCode, len(evs), body)
		}
	})
}

// Row 15: a 200 stream whose first event is an error is a failure before
// the first byte: the status is not committed and fallback is allowed.
func TestRow15FirstEventError(t *testing.T) {
	p := newPair(t, true, map[string]string{"x-mock-error-frame": "first"}, nil)
	resp, body := p.chat(t, true)
	if resp.StatusCode != 200 || !strings.HasSuffix(strings.TrimSpace(body), "[DONE]") || strings.Contains(body, "error") {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	if p.ua.Count() != 1 || p.ub.Count() != 1 {
		t.Errorf("a=%d b=%d", p.ua.Count(), p.ub.Count())
	}
	p = newPair(t, false, map[string]string{"x-mock-error-frame": "first"}, func(c *config.Config) { c.Routes[0].Retry.Attempts = 1 })
	resp, body = p.chat(t, true)
	if resp.StatusCode != http.StatusBadGateway || errorCode(t, body) == "" {
		t.Errorf("alone: status %d body %s", resp.StatusCode, body)
	}
}
