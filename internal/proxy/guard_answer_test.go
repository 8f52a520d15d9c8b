package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// answerGateway is a gateway whose guardrail "out" checks answers only:
// cards redacted, the keyword "zephyr" blocked.
func answerGateway(t *testing.T) (*gw, *mockup.Server, string) {
	t.Helper()
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("p", up)}, config.Backend{Provider: "p", UpstreamModel: "u"})
	cfg.Guardrails = []config.Guardrail{{Name: "out", Answers: []config.GuardrailRule{
		{Detector: "CreditCard", Action: "Mask"}, {Detector: "Keywords", Keywords: []string{"zephyr"}, Action: "Block"}}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return startGateway(t, cfg), up, key
}

// chatToolCalls is the tool_calls member of a chat message or delta, as
// far as the guardrail tests read it.
type chatToolCalls []struct {
	Function struct {
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// streamParts is what a chat stream's events carry: their content, and
// their tool calls' arguments.
func streamParts(t *testing.T, body string) (text, args string) {
	t.Helper()
	var tb, ab strings.Builder
	for _, ev := range events(body) {
		if ev == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					Content   string        `json:"content"`
					ToolCalls chatToolCalls `json:"tool_calls"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := jsonUnmarshal([]byte(ev), &c); err != nil {
			t.Fatalf("event %q: %v", ev, err)
		}
		for _, ch := range c.Choices {
			tb.WriteString(ch.Delta.Content)
			for _, tc := range ch.Delta.ToolCalls {
				ab.WriteString(tc.Function.Arguments)
			}
		}
	}
	return tb.String(), ab.String()
}

// TestGuardrailAnswerStreamSplitAtEveryByte: a card the model writes,
// split at every byte boundary, is redacted before any digit of it
// reaches the client.
func TestGuardrailAnswerStreamSplitAtEveryByte(t *testing.T) {
	g, up, key := answerGateway(t)
	text := "Your card 4111 1111 1111 1111 is on file."
	for i := 0; i <= len(text); i++ {
		up.SetScript(&mockup.Script{Reply: func([]byte) ([]string, []string) { return []string{text[:i], text[i:]}, nil }})
		resp := g.do(t, "POST", "/v1/chat/completions", key, `{"model":"m","stream":true,"messages":[{"role":"user","content":"card?"}]}`, nil)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("split %d: %d %s", i, resp.StatusCode, body)
		}
		if got, _ := streamParts(t, body); got != "Your card [CARD] is on file." || strings.Contains(body, "4111") {
			t.Fatalf("split %d: text %q, body %s", i, got, body)
		}
	}
	if !strings.Contains(g.logs.String(), `"guardrail_hits":"out/card:mask:answer=1"`) {
		t.Fatalf("access log lacks the answer's hit: %s", g.logs.String())
	}
}

// TestGuardrailAnswerBlockShapes: a blocked word in the answer ends a
// stream mid-way with each API's own error event (no [DONE], no
// message_stop, a response.failed), and a whole answer with a 502 in the
// API's error shape; none of the word is ever sent.
func TestGuardrailAnswerBlockShapes(t *testing.T) {
	g, up, key := answerGateway(t)
	up.SetScript(&mockup.Script{Reply: func([]byte) ([]string, []string) {
		return []string{"Fine. The project is code-named Zep", "hyr, ship it."}, nil
	}})
	cases := []struct {
		path, body string
		want       []string
		not        string
	}{
		{"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"name?"}]}`,
			[]string{`"code":"guardrail_blocked"`, "data: {"}, "[DONE]"},
		{"/v1/messages", `{"model":"m","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"name?"}]}`,
			[]string{"event: error", `"type":"error"`, "guardrail 'out'"}, "message_stop"},
		{"/v1/responses", `{"model":"m","stream":true,"input":"name?"}`,
			[]string{"event: response.failed", "guardrail 'out'"}, "response.completed"},
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"name?"}]}`,
			[]string{`"code":"guardrail_blocked"`}, "Fine."},
		{"/v1/messages", `{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"name?"}]}`,
			[]string{`"type":"error"`, "guardrail 'out'"}, "Fine."},
	}
	for _, c := range cases {
		resp := g.do(t, "POST", c.path, key, c.body, nil)
		body := readAll(t, resp)
		stream := strings.Contains(c.body, `"stream":true`)
		if (stream && resp.StatusCode != http.StatusOK) || (!stream && resp.StatusCode != http.StatusBadGateway) {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, body)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Fatalf("%s: %q missing from %s", c.path, w, body)
			}
		}
		if strings.Contains(body, c.not) || strings.Contains(strings.ToLower(body), "zep") {
			t.Fatalf("%s: sent what it must not: %s", c.path, body)
		}
	}
	if n := counterValue(t, g, "tollgate_guardrail_hits_total", `phase="answer"`); n != float64(len(cases)) {
		t.Fatalf("answer hits %v, want %d", n, len(cases))
	}
}

// TestGuardrailKeepsUpstreamBytes: an answer whose placeholder is
// restored keeps every other byte the upstream sent, member order
// included, whole and streamed.
func TestGuardrailKeepsUpstreamBytes(t *testing.T) {
	const whole = `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"u","choices":[{"index":0,` +
		`"message":{"role":"assistant","content":"Charged PH","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12},"system_fingerprint":"fp_\u00e9"}`
	chunks := []string{
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"u","choices":[{"index":0,"delta":{"role":"assistant","content":"Charged PH"},"logprobs":null,"finish_reason":null}]}`,
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"u","choices":[{"index":0,"delta":{"content":" ok"},"logprobs":null,"finish_reason":"stop"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ph := string(placeholderRe.Find(b))
		if strings.Contains(string(b), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, c := range chunks {
				fmt.Fprintf(w, "data: %s\n\n", strings.ReplaceAll(c, "PH", ph))
			}
			fmt.Fprint(w, "data: [DONE]\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, strings.ReplaceAll(whole, "PH", ph))
	}))
	t.Cleanup(srv.Close)
	p := config.Provider{Name: "raw", Type: config.ProviderOpenAI, Endpoint: srv.URL + "/v1", APIKey: "sk-vendor-raw", AllowPrivateNetwork: true,
		Timeouts: config.Timeouts{Connect: config.D(time.Second), FirstToken: config.D(2 * time.Second), Idle: config.D(2 * time.Second), Request: config.D(20 * time.Second)}}
	cfg, key := baseConfig(t, []config.Provider{p}, config.Backend{Provider: "raw", UpstreamModel: "u"})
	cfg.Guardrails = []config.Guardrail{{Name: "pii", Rules: []config.GuardrailRule{{Detector: "CreditCard"}}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg)
	ask := `{"model":"m","messages":[{"role":"user","content":"charge ` + testCard + `"}]}`
	resp := g.do(t, "POST", "/v1/chat/completions", key, ask, nil)
	// What the gateway itself changes: the public model's name, and the
	// cost and provider members it adds to every answer.
	public := func(s string) string { return strings.ReplaceAll(s, `"model":"u"`, `"model":"m"`) }
	want := public(strings.ReplaceAll(whole, "PH", testCard))
	want = strings.Replace(want, `"total_tokens":12}`, `"total_tokens":12,"cost":0}`, 1)
	want = strings.TrimSuffix(want, "}") + `,"provider":"raw"}`
	if body := readAll(t, resp); body != want {
		t.Fatalf("whole answer\n got %s\nwant %s", body, want)
	}
	resp = g.do(t, "POST", "/v1/chat/completions", key, strings.Replace(ask, `{"model"`, `{"stream":true,"model"`, 1), nil)
	body := readAll(t, resp)
	evs := events(body)
	if len(evs) != 3 || evs[2] != "[DONE]" {
		t.Fatalf("events %q", evs)
	}
	// The first chunk holds back what could start a placeholder; nothing
	// else of its bytes moves.
	want0, want1 := public(strings.ReplaceAll(chunks[0], "PH", testCard)), public(chunks[1])
	if evs[0] != want0 || evs[1] != want1 {
		t.Fatalf("stream\n got %s\n     %s\nwant %s\n     %s", evs[0], evs[1], want0, want1)
	}
}
