package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// The OpenAI mock reports 10 prompt tokens per message and one completion
// token per word: chatBody's "one two three" is 10 in, 3 out.
const mockIn, mockOut = 10, 3

// frozen is a clock that does not move, so limit windows never roll over
// during a test.
func frozen() limits.Option {
	t0 := time.Now()
	return limits.WithClock(func() time.Time { return t0 })
}

func withLimitOpts(o ...limits.Option) func(*Options) {
	return func(opts *Options) { opts.LimitOptions = append(opts.LimitOptions, o...) }
}

// policyGateway serves route "m" from one mock upstream to consumer team-a
// under policy p.
func policyGateway(t *testing.T, p config.Policy, tune func(*config.Config)) (*gw, string, *mockup.Server) {
	t.Helper()
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m"})
	cfg.Policies = []config.Policy{p}
	cfg.Consumers[0].Policies = []string{p.Name}
	if tune != nil {
		tune(cfg)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return startGateway(t, cfg, withLimitOpts(frozen())), key, up
}

// usageReportOf reads GET /usage from the metrics handler.
func usageReportOf(t testing.TB, s *Server) (int, config.UsageReport, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/usage", nil))
	var rep config.UsageReport
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatalf("decoding /usage: %v: %s", err, rec.Body)
		}
	}
	return rec.Code, rep, rec.Body.String()
}

func usageOf(t testing.TB, s *Server, consumer string) config.ConsumerUsage {
	t.Helper()
	code, rep, body := usageReportOf(t, s)
	if code != http.StatusOK {
		t.Fatalf("/usage: %d %s", code, body)
	}
	for _, c := range rep.Consumers {
		if c.Name == consumer {
			return c
		}
	}
	t.Fatalf("/usage has no consumer %q: %s", consumer, body)
	return config.ConsumerUsage{}
}

func TestPolicyRequestLimit(t *testing.T) {
	g, key, up := policyGateway(t, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 2}}}, nil)
	for i, remaining := range []string{"1", "0"} {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
		body := readAll(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		if resp.Header.Get("X-Ratelimit-Limit-Requests") != "2" || resp.Header.Get("X-Ratelimit-Remaining-Requests") != remaining ||
			resp.Header.Get("X-Ratelimit-Reset-Requests") == "" {
			t.Errorf("request %d: rate limit headers %v", i, resp.Header)
		}
	}
	for _, stream := range []bool{false, true} {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(stream, ""), nil)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, body) != "rate_limit_exceeded" {
			t.Fatalf("over the limit: %d %s", resp.StatusCode, body)
		}
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 3600 {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
		if resp.Header.Get("X-Ratelimit-Remaining-Requests") != "0" || resp.Header.Get("X-Ratelimit-Limit-Requests") != "2" {
			t.Errorf("denial headers %v", resp.Header)
		}
		if !strings.Contains(body, `"type":"requests"`) {
			t.Errorf("denial body %s", body)
		}
	}
	if up.Count() != 2 {
		t.Errorf("upstream calls = %d, want 2 (denials never go upstream)", up.Count())
	}
	if u := usageOf(t, g.s, "team-a"); u.Requests != 2 || u.InputTokens != 2*mockIn || u.OutputTokens != 2*mockOut {
		t.Errorf("usage %+v", u)
	}
}

func TestPolicyTokenLimit(t *testing.T) {
	body := chatBody(false, `,"max_tokens":50`)
	est := limits.EstimateTokens([]byte(body))
	// The first request reserves est+50 and settles at 13; the second
	// needs est+50 on top of 13, one more than the limit.
	limit := mockIn + mockOut + est + 50 - 1
	g, key, _ := policyGateway(t, config.Policy{Name: "tok", Limits: []config.Limit{{Window: config.D(time.Hour), Tokens: limit}}}, nil)
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, body, nil)
	if b := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("first: %d %s", resp.StatusCode, b)
	}
	if got := resp.Header.Get("X-Ratelimit-Limit-Tokens"); got != strconv.FormatInt(limit, 10) {
		t.Errorf("x-ratelimit-limit-tokens %q, want %d", got, limit)
	}
	// Remaining at admission: the limit minus this request's reservation.
	if got := resp.Header.Get("X-Ratelimit-Remaining-Tokens"); got != strconv.FormatInt(limit-est-50, 10) {
		t.Errorf("x-ratelimit-remaining-tokens %q, want %d", got, limit-est-50)
	}
	resp = g.do(t, http.MethodPost, "/v1/chat/completions", key, body, nil)
	b := readAll(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, b) != "rate_limit_exceeded" || !strings.Contains(b, `"type":"tokens"`) {
		t.Fatalf("second: %d %s", resp.StatusCode, b)
	}
	if resp.Header.Get("Retry-After") == "" || resp.Header.Get("X-Ratelimit-Remaining-Tokens") != strconv.FormatInt(limit-mockIn-mockOut, 10) {
		t.Errorf("denial headers %v", resp.Header)
	}
	// A smaller request fits in what is left.
	resp = g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, `,"max_tokens":40`), nil)
	if b := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("smaller request: %d %s", resp.StatusCode, b)
	}
}

func TestPolicyMaxTokensPerRequest(t *testing.T) {
	g, key, up := policyGateway(t, config.Policy{Name: "cap", MaxTokensPerRequest: 100}, nil)
	for _, path := range []string{"/v1/chat/completions", messagesPath} {
		body := chatBody(false, `,"max_tokens":500`)
		if path == messagesPath {
			body = `{"model":"m","max_tokens":500,"messages":[{"role":"user","content":"hi"}]}`
		}
		resp := g.do(t, http.MethodPost, path, key, body, nil)
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "max_tokens") {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		if path != messagesPath && (errorCode(t, b) != "max_tokens_exceeded" || !strings.Contains(b, `"param":"max_tokens"`)) {
			t.Errorf("body %s", b)
		}
		if path == messagesPath && !strings.Contains(b, `"type":"invalid_request_error"`) {
			t.Errorf("Messages body %s", b)
		}
	}
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, `,"max_tokens":100`), nil)
	if b := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("at the cap: %d %s", resp.StatusCode, b)
	}
	if up.Count() != 1 {
		t.Errorf("upstream calls = %d, want 1", up.Count())
	}
}

func TestPolicyBudget(t *testing.T) {
	// $1 per token in and out; each request reserves est+20 dollars and
	// settles at 13.
	body := chatBody(false, `,"max_tokens":20`)
	est := limits.EstimateTokens([]byte(body))
	const budget = 100
	g, key, _ := policyGateway(t, config.Policy{Name: "money", Budget: &config.Budget{AmountUSD: budget, Window: config.BudgetMonth}},
		func(c *config.Config) {
			c.Routes[0].Backends[0].Pricing = config.Pricing{InputPerMillion: 1e6, OutputPerMillion: 1e6}
		})
	want := 0
	for spent := int64(0); spent+est+20 <= budget; spent += mockIn + mockOut {
		want++
	}
	got := 0
	for range want + 1 {
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, body, nil)
		b := readAll(t, resp)
		if resp.StatusCode == 200 {
			got++
			continue
		}
		if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, b) != "insufficient_quota" || !strings.Contains(b, `"type":"insufficient_quota"`) {
			t.Fatalf("over budget: %d %s", resp.StatusCode, b)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Error("a budget denial has no Retry-After")
		}
		break
	}
	if got != want {
		t.Errorf("admitted %d requests, want %d", got, want)
	}
	u := usageOf(t, g.s, "team-a")
	if u.CostUSD != float64(want*(mockIn+mockOut)) || u.Models["m"].CostUSD != u.CostUSD || u.Window != time.Now().UTC().Format("2006-01") {
		t.Errorf("usage %+v", u)
	}
}

func TestPolicyDowngrade(t *testing.T) {
	policy := config.Policy{Name: "dg", OnExceeded: config.ExceededDowngrade, DowngradeTo: "small",
		Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 1, Models: []string{"m"}}}}
	addSmall := func(c *config.Config) {
		c.Routes = append(c.Routes, config.Route{Model: "small", Backends: []config.Backend{{Provider: "a", UpstreamModel: "small-upstream"}}})
	}
	t.Run("reroutes and says so", func(t *testing.T) {
		g, key, up := policyGateway(t, policy, addSmall)
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
		if b := readAll(t, resp); resp.StatusCode != 200 || resp.Header.Get(HeaderDowngradedFrom) != "" {
			t.Fatalf("first: %d %v %s", resp.StatusCode, resp.Header, b)
		}
		for _, stream := range []bool{false, true} {
			resp = g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(stream, ""), nil)
			b := readAll(t, resp)
			if resp.StatusCode != 200 || resp.Header.Get(HeaderDowngradedFrom) != "m" {
				t.Fatalf("downgraded (stream %v): %d %v %s", stream, resp.StatusCode, resp.Header, b)
			}
			last, _ := up.Last()
			if !strings.Contains(string(last.Body), `"small-upstream"`) {
				t.Errorf("upstream got %s, want model small-upstream", last.Body)
			}
		}
		u := usageOf(t, g.s, "team-a")
		if u.Models["m"].Requests != 1 || u.Models["small"].Requests != 2 {
			t.Errorf("usage by model %+v", u.Models)
		}
		if !strings.Contains(g.logs.String(), `"downgraded_from":"m"`) {
			t.Error("the access log does not record the downgrade")
		}
	})
	t.Run("target not allowed: the original denial", func(t *testing.T) {
		g, key, up := policyGateway(t, policy, func(c *config.Config) {
			addSmall(c)
			c.Consumers[0].AllowedModels = []string{"m"}
		})
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
		readAll(t, resp)
		resp = g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, b) != "rate_limit_exceeded" || resp.Header.Get(HeaderDowngradedFrom) != "" {
			t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, b)
		}
		if up.Count() != 1 {
			t.Errorf("upstream calls = %d, want 1", up.Count())
		}
	})
}

// A stream's real usage, which the gateway asks for on the client's behalf,
// moves the counters by exactly what the upstream reported.
func TestStreamUsageCharged(t *testing.T) {
	g, key, _ := policyGateway(t, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Tokens: 1 << 30}}}, nil)
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(true, ""), nil)
	body := readAll(t, resp)
	if resp.StatusCode != 200 || strings.Contains(body, `"usage"`) || resp.Header.Get("X-Ratelimit-Limit-Tokens") == "" {
		t.Fatalf("stream: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	u := usageOf(t, g.s, "team-a")
	if u.Requests != 1 || u.InputTokens != mockIn || u.OutputTokens != mockOut {
		t.Errorf("usage after one stream %+v, want 1 request, %d in, %d out", u, mockIn, mockOut)
	}
}

// A client that leaves mid-stream is charged the input estimate and one
// token per chunk it was sent.
func TestStreamDisconnectChargedPartially(t *testing.T) {
	g, key, up := policyGateway(t, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Tokens: 1 << 30}}}, nil)
	body := chatBody(true, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp := g.doCtx(t, ctx, http.MethodPost, "/v1/chat/completions", key, body,
		map[string]string{"x-mock-chunks": "6", "x-mock-step": "partial"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rd := bufio.NewReader(resp.Body)
	readEvent(t, rd)
	up.Step("partial") <- struct{}{}
	readEvent(t, rd)
	cancel()
	resp.Body.Close()
	<-up.CancelledCh()
	est := limits.EstimateTokens([]byte(body))
	eventually(t, 5*time.Second, "the partial stream to settle", func() bool {
		u := usageOf(t, g.s, "team-a")
		return u.OutputTokens == 2 && u.InputTokens == est
	})
}

// Upstream failures after admission charge the request but no tokens.
func TestUpstreamFailureSettlesZero(t *testing.T) {
	g, key, _ := policyGateway(t, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Tokens: 1 << 30}}}, nil)
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), map[string]string{"x-mock-status": "400"})
	if b := readAll(t, resp); resp.StatusCode != 400 || resp.Header.Get("X-Ratelimit-Limit-Tokens") == "" {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, b)
	}
	if u := usageOf(t, g.s, "team-a"); u.Requests != 1 || u.InputTokens != 0 || u.OutputTokens != 0 {
		t.Errorf("usage %+v, want 1 request and no tokens", u)
	}
}

// The accounting metrics carry consumer, model and backend; the access log
// the usage and cost.
func TestAccountingMetricsAndLog(t *testing.T) {
	g, key, _ := policyGateway(t, config.Policy{Name: "std", MaxTokensPerRequest: 1_000_000}, func(c *config.Config) {
		c.Routes[0].Backends[0].Pricing = config.Pricing{InputPerMillion: 1e6, OutputPerMillion: 2e6}
	})
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	readAll(t, resp)
	rec := httptest.NewRecorder()
	g.s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	m := rec.Body.String()
	for _, want := range []string{
		`tollgate_tokens_total{backend="a/m",consumer="team-a",model="m",type="input"} 10`,
		`tollgate_tokens_total{backend="a/m",consumer="team-a",model="m",type="output"} 3`,
		`tollgate_cost_usd_total{backend="a/m",consumer="team-a",model="m"} 16`,
		`gen_ai_client_token_usage_sum{gen_ai_provider_name="a",gen_ai_request_model="m",gen_ai_token_type="input"} 10`,
		`tollgate_ratelimit_decisions_total{decision="admitted"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if logs := g.logs.String(); !strings.Contains(logs, `"input_tokens":10,"output_tokens":3,"usage_reported":true,"cost_usd":16`) {
		t.Errorf("access log lacks usage and cost: %s", logs)
	}
}

// A reload keeps the Local counters, and a stream admitted before it
// settles into them after it.
func TestReloadKeepsCountersAndSettlesInFlight(t *testing.T) {
	g, key, up := policyGateway(t, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 3}}}, nil)
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(true, ""),
		map[string]string{"x-mock-chunks": "2", "x-mock-step": "reload"})
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	_, engine := g.s.Limits()
	next := *g.s.Config()
	next.Models = append(next.Models, config.Model{Name: "extra", Provider: "a"})
	if err := g.s.Load(&next); err != nil {
		t.Fatal(err)
	}
	if _, e := g.s.Limits(); e == engine {
		t.Fatal("the reload did not build a new engine")
	}
	up.Step("reload") <- struct{}{}
	if b := readAll(t, resp); !strings.HasSuffix(b, "data: [DONE]\n\n") {
		t.Fatalf("stream across the reload: %q", b)
	}
	resp = g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	if b := readAll(t, resp); resp.StatusCode != 200 || resp.Header.Get("X-Ratelimit-Remaining-Requests") != "1" {
		t.Fatalf("second request: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	u := usageOf(t, g.s, "team-a")
	if u.Requests != 2 || u.OutputTokens != 2+mockOut {
		t.Errorf("usage after the reload %+v, want the stream's 2 output tokens and the request's %d", u, mockOut)
	}
}

// GET /usage lives on the metrics listener only and lists every consumer.
func TestUsageEndpoint(t *testing.T) {
	g, key, _ := policyGateway(t, config.Policy{Name: "std", MaxTokensPerRequest: 1_000_000}, func(c *config.Config) {
		c.Gateway.Namespace = "ns"
		_, k2 := newKey(t)
		c.Consumers = append(c.Consumers, config.Consumer{Name: "idle", Keys: []config.Key{k2}})
	})
	readAll(t, g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil))
	if resp := g.do(t, http.MethodGet, "/usage", key, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/usage on the client listener: %d", resp.StatusCode)
	}
	code, rep, body := usageReportOf(t, g.s)
	if code != 200 || rep.Gateway != "ns/test" || rep.Window != time.Now().UTC().Format("2006-01") || len(rep.Consumers) != 2 {
		t.Fatalf("/usage: %d %s", code, body)
	}
	var raw struct {
		Consumers []map[string]any `json:"consumers"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"name", "window", "requests", "inputTokens", "outputTokens", "costUSD", "models"} {
		if _, ok := raw.Consumers[0][f]; !ok {
			t.Errorf("consumer entry lacks %q: %s", f, body)
		}
	}
	if c := rep.Consumers[0]; c.Name != "team-a" || c.Requests != 1 || c.Models["m"].OutputTokens != mockOut {
		t.Errorf("team-a %+v", c)
	}
	if c := rep.Consumers[1]; c.Name != "idle" || c.Requests != 0 {
		t.Errorf("idle %+v", c)
	}
}

// Options.Console is mounted at /console/ while the config enables it.
func TestConsoleMount(t *testing.T) {
	up := mockup.New(t)
	cfg, _ := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m"})
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("console " + r.URL.Path)) })
	g := startGateway(t, cfg, func(o *Options) { o.Console = console })
	if resp := g.do(t, http.MethodGet, "/console/", "", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("console disabled: %d", resp.StatusCode)
	}
	next := *cfg
	next.Console.Enabled = true
	if err := g.s.Load(&next); err != nil {
		t.Fatal(err)
	}
	resp := g.do(t, http.MethodGet, "/console/api/models", "", "", nil)
	if body := readAll(t, resp); resp.StatusCode != 200 || body != "console /console/api/models" {
		t.Errorf("console enabled: %d %s", resp.StatusCode, body)
	}
}
