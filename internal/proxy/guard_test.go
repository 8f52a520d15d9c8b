package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

const testCard = "4111 1111 1111 1111"

var placeholderRe = regexp.MustCompile(`\[CARD_[0-9a-f]{10}\]`)

// guardedGateway is a gateway with guardrail "pii" (cards masked, emails
// logged, AWS-like keys blocked) on route m.
func guardedGateway(t *testing.T) (*gw, *mockup.Server, string) {
	t.Helper()
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("p", up)}, config.Backend{Provider: "p", UpstreamModel: "u"})
	cfg.Guardrails = []config.Guardrail{{Name: "pii", Rules: []config.GuardrailRule{
		{Detector: "CreditCard", Action: "Mask"}, {Detector: "Email", Action: "Log"}, {Detector: "Secret", Action: "Block"}}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg)
	return g, up, key
}

// guardedChat is a conversation carrying the card in the user's text, in
// an earlier tool call's arguments and in the tool's result.
func guardedChat(stream bool) string {
	body := map[string]any{"model": "m", "stream": stream, "messages": []any{
		map[string]any{"role": "user", "content": "Charge my card " + testCard + ", mail me at jane@example.com"},
		map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"id": "call_0", "type": "function",
			"function": map[string]any{"name": "lookup", "arguments": `{"card":"` + testCard + `"}`}}}},
		map[string]any{"role": "tool", "tool_call_id": "call_0", "content": "card " + testCard + " is valid"},
	}}
	b, _ := json.Marshal(body)
	return string(b)
}

// assertNeverSent checks the upstream's recording: the card never
// reached it, its placeholder did.
func assertNeverSent(t *testing.T, up *mockup.Server) {
	t.Helper()
	reqs := up.Requests()
	if len(reqs) == 0 {
		t.Fatal("nothing reached the upstream")
	}
	for _, r := range reqs {
		if strings.Contains(string(r.Body), "4111") {
			t.Fatalf("the card reached the upstream: %s", r.Body)
		}
		if n := len(placeholderRe.FindAll(r.Body, -1)); n != 3 {
			t.Fatalf("%d placeholders upstream, want 3 (text, tool call arguments, tool result): %s", n, r.Body)
		}
	}
}

// TestGuardrailStreamSplitAtEveryByte: an upstream that repeats the
// card's placeholder — once as sent, once altered (lower case, brackets
// dropped) and once in a tool call's arguments — split at every byte
// boundary of it; the client gets the card back in each place.
func TestGuardrailStreamSplitAtEveryByte(t *testing.T) {
	g, up, key := guardedGateway(t)
	wantText := "Charged " + testCard + " (again: " + testCard + ")."
	wantArgs := `{"card":"` + testCard + `"}`
	for i := 0; i <= 17; i++ { // len("[CARD_0123456789]")
		up.SetScript(&mockup.Script{Reply: func(body []byte) ([]string, []string) {
			ph := string(placeholderRe.Find(body))
			if ph == "" {
				return []string{"no placeholder"}, nil
			}
			alt := strings.ToLower(strings.Trim(ph, "[]"))
			j := min(i, len(alt))
			return []string{"Charged " + ph[:i], ph[i:] + " (again: " + alt[:j], alt[j:] + ")."},
				[]string{`{"card":"` + ph[:i], ph[i:] + `"}`}
		}})
		resp := g.do(t, "POST", "/v1/chat/completions", key, guardedChat(true), nil)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("split %d: %d %s", i, resp.StatusCode, body)
		}
		if text, args := streamParts(t, body); text != wantText || args != wantArgs {
			t.Fatalf("split %d: text %q args %q", i, text, args)
		}
	}
	assertNeverSent(t, up)
	if got := up.Count(); got != 18 {
		t.Fatalf("%d upstream requests, want 18", got)
	}
	logs := g.logs.String()
	if !strings.Contains(logs, `"guardrail_hits":"pii/card:mask:request=3,pii/email:log:request=1"`) {
		t.Fatalf("access log lacks the hits: %s", logs)
	}
	if strings.Contains(logs, "4111") || strings.Contains(logs, "jane@") {
		t.Fatal("a matched value reached the log")
	}
}

// TestGuardrailWholeAnswer: a non-streamed answer is restored too, the
// placeholders are the same on every turn, and the hits are counted.
func TestGuardrailWholeAnswer(t *testing.T) {
	g, up, key := guardedGateway(t)
	up.SetScript(&mockup.Script{Reply: func(body []byte) ([]string, []string) {
		ph := string(placeholderRe.Find(body))
		return []string{"Charged " + strings.ToUpper(strings.Trim(ph, "[]"))}, []string{`{"card":"` + ph + `"}`}
	}})
	var first string
	for turn := 0; turn < 2; turn++ {
		resp := g.do(t, "POST", "/v1/chat/completions", key, guardedChat(false), nil)
		body := readAll(t, resp)
		var v struct {
			Choices []struct {
				Message struct {
					Content   string        `json:"content"`
					ToolCalls chatToolCalls `json:"tool_calls"`
				} `json:"message"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil || len(v.Choices) != 1 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		m := v.Choices[0].Message
		if m.Content != "Charged "+testCard || len(m.ToolCalls) != 1 || m.ToolCalls[0].Function.Arguments != `{"card":"`+testCard+`"}` {
			t.Fatalf("answer %s", body)
		}
		last, _ := up.Last()
		ph := string(placeholderRe.Find(last.Body))
		if turn == 0 {
			first = ph
		} else if ph != first {
			t.Fatalf("the placeholder changed between turns: %s then %s", first, ph)
		}
	}
	assertNeverSent(t, up)
	if n := counterValue(t, g, "tollgate_guardrail_hits_total", `action="Mask"`); n != 6 {
		t.Fatalf("mask hits %v, want 6", n)
	}
}

// TestGuardrailBlockShapes: a blocked request is refused before it goes
// upstream, in each client API's own error shape.
func TestGuardrailBlockShapes(t *testing.T) {
	g, up, key := guardedGateway(t)
	secret := "my key is AKIAIOSFODNN7EXAMPLE"
	cases := []struct {
		path, body string
		check      func(t *testing.T, body string)
	}{
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"` + secret + `"}]}`, func(t *testing.T, body string) {
			if code := errorCode(t, body); code != "guardrail_blocked" {
				t.Fatalf("code %q", code)
			}
		}},
		{"/v1/messages", `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"` + secret + `"}]}`, func(t *testing.T, body string) {
			var v struct {
				Type  string `json:"type"`
				Error struct {
					Type    string `json:"type"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &v); err != nil || v.Type != "error" || v.Error.Type != "invalid_request_error" ||
				!strings.Contains(v.Error.Message, "guardrail 'pii'") {
				t.Fatalf("not an Anthropic error: %s", body)
			}
		}},
		{"/v1/responses", `{"model":"m","input":"` + secret + `"}`, func(t *testing.T, body string) {
			if code := errorCode(t, body); code != "guardrail_blocked" {
				t.Fatalf("code %q", code)
			}
		}},
	}
	for _, c := range cases {
		resp := g.do(t, "POST", c.path, key, c.body, nil)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, body)
		}
		c.check(t, body)
		if strings.Contains(body, "AKIA") {
			t.Fatalf("%s: the matched value is in the answer: %s", c.path, body)
		}
	}
	if n := up.Count(); n != 0 {
		t.Fatalf("%d blocked requests reached the upstream", n)
	}
	if !strings.Contains(g.logs.String(), `"guardrail_hits":"pii/secret:block:request=1"`) {
		t.Fatalf("access log: %s", g.logs.String())
	}
}

// counterValue sums the /metrics samples of name whose labels contain sel.
func counterValue(t *testing.T, g *gw, name, sel string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	g.s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	sum := 0.0
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if !strings.HasPrefix(line, name+"{") || !strings.Contains(line, sel) {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
			sum += v
		}
	}
	return sum
}

// TestGuardrailExternal: the moderation check through the gateway's own
// provider refuses a flagged request; a failed or timed-out check refuses
// (fail closed) or lets the request through (fail open); what it is sent
// is already masked.
func TestGuardrailExternal(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		up := mockup.New(t)
		cfg, key := baseConfig(t, []config.Provider{upstreamProvider("p", up)}, config.Backend{Provider: "p", UpstreamModel: "u"})
		cfg.Guardrails = []config.Guardrail{{Name: "mod", Rules: []config.GuardrailRule{{Detector: "CreditCard"}},
			External: &config.ExternalCheck{Provider: "p", Model: "omni-moderation-latest", Timeout: config.D(300 * time.Millisecond), FailOpen: failOpen}}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		g := startGateway(t, cfg)
		ask := func(text string) (int, string) {
			resp := g.do(t, "POST", "/v1/chat/completions", key, `{"model":"m","messages":[{"role":"user","content":"`+text+` `+testCard+`"}]}`, nil)
			return resp.StatusCode, readAll(t, resp)
		}
		if st, body := ask("hello"); st != http.StatusOK {
			t.Fatalf("clean: %d %s", st, body)
		}
		if st, body := ask("FLAG-ME"); st != http.StatusBadRequest || errorCode(t, body) != "guardrail_blocked" || !strings.Contains(body, "violence") {
			t.Fatalf("flagged: %d %s", st, body)
		}
		for _, fault := range []string{"FAIL-ME", "STALL-ME"} {
			st, body := ask(fault)
			if failOpen && st != http.StatusOK {
				t.Fatalf("fail open, %s: %d %s", fault, st, body)
			}
			if !failOpen && (st != http.StatusServiceUnavailable || errorCode(t, body) != "guardrail_unavailable") {
				t.Fatalf("fail closed, %s: %d %s", fault, st, body)
			}
		}
		var moderations, chats int
		for _, r := range up.Requests() {
			if strings.Contains(string(r.Body), "4111") {
				t.Fatalf("the card reached %s: %s", r.Path, r.Body)
			}
			switch r.Path {
			case "/v1/moderations":
				moderations++
			case "/v1/chat/completions":
				chats++
			}
		}
		wantChats := 1
		if failOpen {
			wantChats = 3
		}
		if moderations != 4 || chats != wantChats {
			t.Fatalf("fail open %v: %d moderations, %d chats", failOpen, moderations, chats)
		}
		logs := g.logs.String()
		if !strings.Contains(logs, "mod/external_timeout:") || !strings.Contains(logs, "mod/external_error:") {
			t.Fatalf("access log lacks the check's failures: %s", logs)
		}
	}
}
