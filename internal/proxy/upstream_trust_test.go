package proxy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// faultyProvider is an OpenAI provider at up that misbehaves as the mock
// fault headers say, on every request (set by the provider, so they reach
// the upstream whatever client headers the gateway forwards).
func faultyProvider(name string, up *mockup.Server, faults map[string]string) config.Provider {
	p := upstreamProvider(name, up)
	p.Headers = faults
	return p
}

// gatewayOf serves route "m" from the backends of providers, in tiers by
// their order.
func gatewayOf(t *testing.T, ps ...config.Provider) (*gw, string) {
	t.Helper()
	var bs []config.Backend
	for i, p := range ps {
		bs = append(bs, config.Backend{Provider: p.Name, UpstreamModel: "m", Priority: i})
	}
	cfg, key := baseConfig(t, ps, bs...)
	return startGateway(t, cfg, withLimitOpts(frozen())), key
}

// TestUpstream200WithError: an upstream answering 200 {"error":{...}} has
// failed: the next backend serves the request; with none left the client
// gets an error in its own shape (never the vendor's body, never an empty
// 200 message), scrubbed of the vendor key the upstream echoed.
func TestUpstream200WithError(t *testing.T) {
	up := mockup.New(t)
	bad := faultyProvider("bad", up, map[string]string{"x-mock-error-200": "server_error"})
	t.Run("falls back", func(t *testing.T) {
		g, key := gatewayOf(t, bad, upstreamProvider("good", up))
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
		body := readAll(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, `"choices"`) || strings.Contains(body, "sk-vendor") {
			t.Fatalf("status %d body %s", resp.StatusCode, body)
		}
	})
	g, key := gatewayOf(t, bad)
	for _, tc := range []struct{ path, body string }{
		{"/v1/chat/completions", chatBody(false, "")},
		{"/v1/chat/completions", chatBody(true, "")},
		{messagesPath, `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		resp := g.do(t, http.MethodPost, tc.path, key, tc.body, nil)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadGateway || strings.Contains(body, "sk-vendor") {
			t.Errorf("%s: status %d body %s", tc.path, resp.StatusCode, body)
		}
		if tc.path == messagesPath && !strings.Contains(body, `"type":"error"`) {
			t.Errorf("messages: not an Anthropic error: %s", body)
		}
	}
	rl := faultyProvider("rl", up, map[string]string{"x-mock-error-200": "rate_limit_error"})
	g, key = gatewayOf(t, rl)
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusTooManyRequests || strings.Contains(body, "sk-vendor") {
		t.Errorf("rate limit in a 200: status %d body %s", resp.StatusCode, body)
	}
}

// TestUpstreamEchoedKeyScrubbed: a vendor credential the upstream echoes
// in an answer never reaches the client, also split across stream chunks.
func TestUpstreamEchoedKeyScrubbed(t *testing.T) {
	up := mockup.New(t)
	g, key := gatewayOf(t, faultyProvider("echo", up, map[string]string{"x-mock-echo-key": "1"}))
	const secret = "sk-vendor-echo"
	for _, tc := range []struct{ name, path, body string }{
		{"chat", "/v1/chat/completions", chatBody(false, "")},
		{"chat stream", "/v1/chat/completions", chatBody(true, "")},
		{"messages", messagesPath, `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`},
		{"messages stream", messagesPath, `{"model":"m","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		resp := g.do(t, http.MethodPost, tc.path, key, tc.body, nil)
		body := readAll(t, resp)
		text := body
		if strings.Contains(tc.name, "stream") {
			text = streamedText(t, body)
		}
		if resp.StatusCode != 200 || strings.Contains(text, secret) || strings.Contains(body, secret) || !strings.Contains(text, "[redacted]") {
			t.Errorf("%s: status %d text %q body %s", tc.name, resp.StatusCode, text, body)
		}
	}
}

// streamedText concatenates the text deltas of an OpenAI or Anthropic
// stream, as a client rendering it would.
func streamedText(t *testing.T, body string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(body, "\n") {
		ev, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var v struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
			Delta struct {
				Text string `json:"text"`
			} `json:"delta"`
		}
		if jsonUnmarshal([]byte(ev), &v) != nil {
			continue
		}
		for _, c := range v.Choices {
			b.WriteString(c.Delta.Content)
		}
		b.WriteString(v.Delta.Text)
	}
	return b.String()
}

// TestUpstreamUsageImplausible: negative, huge and MaxInt64 usage is
// clamped, logged and counted; the client is answered and the consumer's
// counters stay sane.
func TestUpstreamUsageImplausible(t *testing.T) {
	for _, usage := range []string{
		`{"prompt_tokens":-5,"completion_tokens":-7,"total_tokens":-12}`,
		`{"prompt_tokens":9223372036854775807,"completion_tokens":9223372036854775807,"total_tokens":-2}`,
		`{"prompt_tokens":5,"completion_tokens":1000000000000,"prompt_tokens_details":{"cached_tokens":-9}}`,
	} {
		up := mockup.New(t)
		g, key := gatewayOf(t, faultyProvider("a", up, map[string]string{"x-mock-usage": usage}))
		for _, body := range []string{chatBody(false, ""), chatBody(true, `,"stream_options":{"include_usage":true}`)} {
			resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, body, nil)
			if body := readAll(t, resp); resp.StatusCode != 200 || body == "" {
				t.Fatalf("usage %s: status %d body %q", usage, resp.StatusCode, body)
			}
		}
		u := usageOf(t, g.s, "team-a")
		if u.Requests != 2 || u.InputTokens < 0 || u.OutputTokens < 0 || u.InputTokens > 1<<40 || u.OutputTokens > 1<<40 || u.CostUSD < 0 {
			t.Errorf("usage %s: consumer counters %+v", usage, u)
		}
		rec := httptest.NewRecorder()
		g.s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if m := rec.Body.String(); !strings.Contains(m, `tollgate_upstream_usage_implausible_total{provider="a"} 2`) {
			t.Errorf("usage %s: implausible usage not counted:\n%s", usage, grepLines(m, "implausible"))
		}
		if !strings.Contains(g.logs.String(), "implausible upstream usage") {
			t.Errorf("usage %s: not logged", usage)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestModelCardinalityBounded: 5,000 distinct model names through a glob
// route keep /usage and /metrics small: they are folded into the route's
// pattern.
func TestModelCardinalityBounded(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m"})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "x-*", Backends: []config.Backend{{Provider: "a", Weight: new(1)}}})
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg, withLimitOpts(frozen()))
	const n, workers = 5000, 8
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				body := fmt.Sprintf(`{"model":"x-%d","messages":[{"role":"user","content":"hi"}]}`, i)
				resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, body, nil)
				if b := readAll(t, resp); resp.StatusCode != 200 {
					select {
					case errs <- fmt.Sprintf("x-%d: %d %s", i, resp.StatusCode, b):
					default:
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	code, rep, body := usageReportOf(t, g.s)
	if code != 200 || len(body) > 4<<10 || rep.Consumers[0].Requests != n || rep.Consumers[0].Models["x-*"].Requests != n {
		t.Errorf("/usage after %d models: %d, %d bytes, %+v", n, code, len(body), rep.Consumers)
	}
	rec := httptest.NewRecorder()
	g.s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if m := rec.Body.String(); len(m) > 256<<10 || strings.Contains(m, `"x-4999"`) {
		t.Errorf("/metrics after %d models: %d bytes", n, len(m))
	}
}

// TestPricedOnEveryPath: a priced catalogue model is charged on every path
// to it (a route backend naming another provider-side model, a glob route
// passing the name through); an unpriced model under a budget is refused
// with a 4xx naming it, never served free.
func TestPricedOnEveryPath(t *testing.T) {
	up := mockup.New(t)
	price := config.Pricing{InputPerMillion: 1e6, OutputPerMillion: 1e6} // $1 a token
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m"})
	cfg.Models = []config.Model{
		{Name: "gpt", Provider: "a", UpstreamModel: "gpt-up", Pricing: price},
		{Name: "g1", Provider: "a", UpstreamModel: "g1", Pricing: price},
	}
	cfg.Routes = []config.Route{
		{Model: "gpt", Backends: []config.Backend{{Provider: "a", UpstreamModel: "gpt-up-2026", Weight: new(1)}}},
		{Model: "g*", Backends: []config.Backend{{Provider: "a", Weight: new(1)}}},
		{Model: "free-*", Backends: []config.Backend{{Provider: "a", Weight: new(1)}}},
	}
	cfg.Policies = []config.Policy{{Name: "budget", Budget: &config.Budget{AmountUSD: 1e7, Window: config.BudgetMonth}}}
	cfg.Consumers[0].Policies = []string{"budget"}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg, withLimitOpts(frozen()))
	for i, model := range []string{"gpt", "g1"} {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, `{"model":"`+model+`","messages":[{"role":"user","content":"one two three"}]}`, nil)
		if body := readAll(t, resp); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", model, resp.StatusCode, body)
		}
		if u := usageOf(t, g.s, "team-a"); u.CostUSD != float64((i+1)*(mockIn+mockOut)) {
			t.Errorf("after %s: cost $%v, want $%d: %+v", model, u.CostUSD, (i+1)*(mockIn+mockOut), u)
		}
	}
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, `{"model":"free-1","messages":[{"role":"user","content":"hi"}]}`, nil)
	if body := readAll(t, resp); resp.StatusCode < 400 || resp.StatusCode > 499 || !strings.Contains(body, "free-1") {
		t.Errorf("unpriced model under a budget: %d %s", resp.StatusCode, body)
	}
}

// TestLargeAnswersBoundedMemory: concurrent large non-streamed answers are
// relayed whole without each being held in memory.
func TestLargeAnswersBoundedMemory(t *testing.T) {
	up := mockup.New(t)
	const size, clients = 24 << 20, 4
	g, key := gatewayOf(t, faultyProvider("big", up, map[string]string{"x-mock-size": fmt.Sprint(size)}))
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
			defer resp.Body.Close()
			n, _ := discardCount(resp)
			if resp.StatusCode != 200 || n < size {
				t.Errorf("status %d, %d bytes", resp.StatusCode, n)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-done
	// The mock upstream and the client stream; the gateway buffering each
	// answer whole would hold clients×size (96 MiB) at once.
	if grown := int64(peak) - int64(base.HeapInuse); grown > 48<<20 {
		t.Errorf("heap grew by %d MiB serving %d answers of %d MiB", grown>>20, clients, size>>20)
	}
	if u := usageOf(t, g.s, "team-a"); u.Requests != clients || u.OutputTokens != clients*mockOut {
		t.Errorf("usage of the large answers %+v, want the reported %d output tokens each", u, mockOut)
	}
}

func discardCount(resp *http.Response) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := resp.Body.Read(buf)
		n += int64(k)
		if err != nil {
			return n, nil
		}
	}
}

// TestClientGoneBeforeAnswerCharged: a client that leaves before its
// non-streamed answer is charged the input estimate.
func TestClientGoneBeforeAnswerCharged(t *testing.T) {
	up := mockup.New(t)
	g, key := gatewayOf(t, faultyProvider("slow", up, map[string]string{"x-mock-delay": "5s"}))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		eventually(t, 5*time.Second, "the request upstream", func() bool { return up.Count() == 1 })
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/v1/chat/completions", strings.NewReader(chatBody(false, "")))
	req.Header.Set("Authorization", "Bearer "+key)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was answered: %d", resp.StatusCode)
	}
	eventually(t, 5*time.Second, "the settlement", func() bool {
		return usageOf(t, g.s, "team-a").Requests == 1 && strings.Contains(g.logs.String(), `"status":499`)
	})
	if u := usageOf(t, g.s, "team-a"); u.InputTokens <= 0 {
		t.Errorf("client gone before the answer: usage %+v, want the input estimate", u)
	}
}
