package limits

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
)

func TestReserveAndSettleArithmetic(t *testing.T) {
	clk := testclock.New(t0)
	e := newEngine(t, testConfig(limitPolicy("std", lim(time.Minute, 10, 1000))), clk)

	tk := mustAdmit(t, e, call("gpt-4o", 100, 200)) // reserves 300
	if got := tk.Headers().Get(HeaderRemainingTokens); got != "700" {
		t.Fatalf("remaining tokens after reserving 300 of 1000 = %s, want 700", got)
	}
	settle(t, tk, 40, 10, 0) // used 50: gives back 250
	if got := tk.Headers().Get(HeaderRemainingTokens); got != "950" {
		t.Fatalf("remaining tokens after settling 50 = %s, want 950", got)
	}
	settle(t, tk, 999, 999, 0) // a second settlement does nothing
	if got := tk.Headers().Get(HeaderRemainingTokens); got != "950" {
		t.Fatalf("a second Settle changed the counters: remaining %s", got)
	}

	big := mustAdmit(t, e, call("gpt-4o", 100, 100)) // 250 used
	settle(t, big, 700, 400, 0)                      // real usage 1100 > estimate 200: 1150 counted
	d := mustDeny(t, e, call("gpt-4o", 1, 1))
	if d.Status != http.StatusTooManyRequests || d.Code != "rate_limit_exceeded" {
		t.Fatalf("over the limit after settlement: got %d %s", d.Status, d.Code)
	}
	if !strings.Contains(d.Message, `"std"`) || !strings.Contains(d.Message, "per 1m") || !strings.Contains(d.Message, "1150 used") {
		t.Errorf("denial message %q should name the policy, the window and the usage", d.Message)
	}
	if d.RetryAfter != 30*time.Second || d.Headers.Get("Retry-After") != "30" {
		t.Errorf("Retry-After = %s / %q, want 30s until the minute resets", d.RetryAfter, d.Headers.Get("Retry-After"))
	}

	clk.Advance(30 * time.Second) // next minute: a fresh window
	tk = mustAdmit(t, e, call("gpt-4o", 1, 1))
	if got := tk.Headers().Get(HeaderRemainingRequests); got != "9" {
		t.Errorf("remaining requests in a new window = %s, want 9", got)
	}
}

func TestSettleWithCancelledContext(t *testing.T) {
	e := newEngine(t, testConfig(limitPolicy("std", lim(time.Minute, 0, 1000))), testclock.New(t0))
	tk := mustAdmit(t, e, call("gpt-4o", 100, 400))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client went away mid-stream
	if err := tk.Settle(ctx, usage(100, 20), 0); err != nil {
		t.Fatalf("Settle with a cancelled context: %v", err)
	}
	tk2 := mustAdmit(t, e, call("gpt-4o", 5, 5))
	if err := tk2.Settle(ctx, usage(0, 0), 0); err != nil {
		t.Fatalf("Settle with a cancelled context: %v", err)
	}
	if got := tk2.Headers().Get(HeaderRemainingTokens); got != "880" {
		t.Errorf("remaining = %s, want 880 (120 charged, the zero-usage request refunded)", got)
	}
}

func TestModelGlobScoping(t *testing.T) {
	e := newEngine(t, testConfig(limitPolicy("std",
		lim(time.Hour, 2, 0, "gpt-4o*"),
		lim(time.Hour, 5, 0),
	)), testclock.New(t0))
	mustAdmit(t, e, call("gpt-4o", 1, 1))
	mustAdmit(t, e, call("gpt-4o-mini", 1, 1))
	d := mustDeny(t, e, call("gpt-4o-2024", 1, 1))
	if !strings.Contains(d.Message, "for models gpt-4o*") {
		t.Errorf("message %q should name the model scope", d.Message)
	}
	// claude-* is outside the glob; only the unscoped limit (5) applies.
	mustAdmit(t, e, call("claude-sonnet", 1, 1))
	mustAdmit(t, e, call("claude-sonnet", 1, 1))
	mustAdmit(t, e, call("claude-sonnet", 1, 1))
	d = mustDeny(t, e, call("claude-sonnet", 1, 1))
	if strings.Contains(d.Message, "for models") || !strings.Contains(d.Message, "5 requests per 1h") {
		t.Errorf("unscoped limit message = %q", d.Message)
	}
}

func TestHeadersPickTheTightestLimit(t *testing.T) {
	e := newEngine(t, testConfig(
		limitPolicy("a", lim(time.Minute, 100, 10000), config.Limit{Window: config.D(time.Hour), InputTokens: 500}),
		limitPolicy("b", lim(24*time.Hour, 3, 0)),
	), testclock.New(t0))
	h := mustAdmit(t, e, call("gpt-4o", 100, 50)).Headers()
	want := map[string]string{
		HeaderLimitRequests: "3", HeaderRemainingRequests: "2", HeaderResetRequests: "13h39m30s",
		HeaderLimitTokens: "500", HeaderRemainingTokens: "400", HeaderResetTokens: "39m30s",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if h.Get(HeaderDegraded) != "" {
		t.Errorf("a healthy local store marked the response degraded")
	}

	none := newEngine(t, testConfig(), testclock.New(t0))
	if h := mustAdmit(t, none, call("gpt-4o", 1, 1)).Headers(); len(h) != 0 {
		t.Errorf("no limits should mean no headers, got %v", h)
	}
}

func TestBurstIsAllOrNothing(t *testing.T) {
	// The request limit fits but the token limit does not: nothing is
	// charged, so the request counter is unchanged.
	e := newEngine(t, testConfig(limitPolicy("std", lim(time.Minute, 10, 100))), testclock.New(t0))
	mustAdmit(t, e, call("gpt-4o", 40, 40))
	mustDeny(t, e, call("gpt-4o", 20, 20))
	tk := mustAdmit(t, e, call("gpt-4o", 10, 10))
	if got := tk.Headers().Get(HeaderRemainingRequests); got != "8" {
		t.Errorf("remaining requests = %s, want 8: the denied request must not count", got)
	}
}

func TestTooLargeForAnEmptyWindow(t *testing.T) {
	e := newEngine(t, testConfig(limitPolicy("std", config.Limit{Window: config.D(time.Minute), OutputTokens: 500})), testclock.New(t0))
	d := mustDeny(t, e, call("gpt-4o", 10, 800))
	if d.Status != http.StatusTooManyRequests || d.RetryAfter != 0 || d.Headers.Get("Retry-After") != "" {
		t.Errorf("too large: status %d, retry-after %s: waiting cannot help", d.Status, d.RetryAfter)
	}
	if !strings.Contains(d.Message, "request too large") || !strings.Contains(d.Message, "800 output tokens") {
		t.Errorf("message = %q", d.Message)
	}
}

func TestMaxTokensPerRequest(t *testing.T) {
	p := limitPolicy("std", lim(time.Minute, 0, 100000))
	p.MaxTokensPerRequest = 2000
	e := newEngine(t, testConfig(p), testclock.New(t0))

	d := mustDeny(t, e, call("gpt-4o", 10, 2001))
	if d.Status != http.StatusBadRequest || d.Code != "max_tokens_exceeded" || d.Param != "max_tokens" {
		t.Fatalf("got %d %s %s, want 400 max_tokens_exceeded", d.Status, d.Code, d.Param)
	}
	if !strings.Contains(d.Message, "2001") || !strings.Contains(d.Message, `"std"`) {
		t.Errorf("message = %q", d.Message)
	}
	mustAdmit(t, e, call("gpt-4o", 10, 2000))
	// No max_tokens: the smaller of the 1024 default and the cap is reserved.
	tk := mustAdmit(t, e, call("gpt-4o", 10, 0))
	if got := tk.Headers().Get(HeaderRemainingTokens); got != "96956" { // 100000 - 2010 - 1034
		t.Errorf("remaining = %s, want 96956", got)
	}
}

func TestBudgetInMicroUSD(t *testing.T) {
	p := config.Policy{Name: "money", Budget: &config.Budget{AmountUSD: 0.01, Window: config.BudgetMonth}}
	e := newEngine(t, testConfig(p), testclock.New(t0))
	// gpt-4o: 1000 in × $2.5/M + 500 out × $10/M = 2500 + 5000 micro-USD.
	tk := mustAdmit(t, e, call("gpt-4o", 1000, 500).withPricing(e))
	d := mustDeny(t, e, call("gpt-4o", 1000, 500).withPricing(e)) // 7500 + 7500 > 10000
	if d.Code != "insufficient_quota" || d.Window != "Month" || d.Policy != "money" {
		t.Fatalf("got %s %s %s", d.Code, d.Window, d.Policy)
	}
	if !strings.Contains(d.Message, "$0.01 per Month (2026-11)") || !strings.Contains(d.Message, "$0.007500 spent") {
		t.Errorf("message = %q", d.Message)
	}
	if want := 6*24*time.Hour - (10*time.Hour + 20*time.Minute + 30*time.Second); d.RetryAfter != want {
		t.Errorf("RetryAfter = %s, want %s (until December 1st)", d.RetryAfter, want)
	}
	settle(t, tk, 1000, 100, 0.002) // real cost 2000 micro-USD: 8000 left
	mustAdmit(t, e, call("gpt-4o", 1000, 500).withPricing(e))
	s, err := e.Usage(context.Background(), "team")
	if err != nil {
		t.Fatal(err)
	}
	if s.CostUSD != 0.0095 || s.Requests != 2 || s.Period != "2026-11" || s.Window != config.BudgetMonth {
		t.Errorf("usage = %+v, want $0.0095 over 2 requests in 2026-11", s)
	}
	if m := s.Models["gpt-4o"]; m.Requests != 2 || m.InputTokens != 2000 || m.OutputTokens != 600 {
		t.Errorf("gpt-4o usage = %+v, want 2 requests, 2000 in, 600 out", m)
	}

	zero := config.Policy{Name: "none", Budget: &config.Budget{AmountUSD: 0, Window: config.BudgetDay}}
	ez := newEngine(t, testConfig(zero), testclock.New(t0))
	if d := mustDeny(t, ez, call("gpt-4o", 1, 1)); d.Code != "insufficient_quota" {
		t.Errorf("a $0 budget admitted a request: %s", d.Code)
	}
}

func (c Call) withPricing(e *Engine) Call {
	c.Pricing = e.pricingOf(c.Model)
	return c
}

func TestDowngrade(t *testing.T) {
	p := limitPolicy("std", lim(time.Hour, 1, 0, "gpt-4o"), lim(time.Hour, 3, 0, "gpt-4o-mini"))
	p.OnExceeded, p.DowngradeTo = config.ExceededDowngrade, "gpt-4o-mini"
	e := newEngine(t, testConfig(p), testclock.New(t0))

	if tk := mustAdmit(t, e, call("gpt-4o", 10, 10)); tk.DowngradeTo != "" || tk.Model() != "gpt-4o" {
		t.Fatalf("first request downgraded to %q", tk.DowngradeTo)
	}
	for i := range 3 {
		tk := mustAdmit(t, e, call("gpt-4o", 10, 10))
		if tk.DowngradeTo != "gpt-4o-mini" || tk.Model() != "gpt-4o-mini" {
			t.Fatalf("request %d: DowngradeTo = %q, want gpt-4o-mini", i, tk.DowngradeTo)
		}
	}
	// The downgrade model's own limit (3) is used up: now a denial.
	d := mustDeny(t, e, call("gpt-4o", 10, 10))
	if d.Code != "rate_limit_exceeded" || !strings.Contains(d.Message, "3 requests per 1h") {
		t.Errorf("denial after the downgrade is exhausted: %s %q", d.Code, d.Message)
	}
	// Asking for the downgrade model itself never loops.
	mustDeny(t, e, call("gpt-4o-mini", 10, 10))
}

// A downgrade target the caller may not use is not tried: the original
// denial stands and the target's counters are untouched.
func TestDowngradeNotAllowed(t *testing.T) {
	p := limitPolicy("std", lim(time.Hour, 1, 0, "gpt-4o"), lim(time.Hour, 3, 0, "gpt-4o-mini"))
	p.OnExceeded, p.DowngradeTo = config.ExceededDowngrade, "gpt-4o-mini"
	e := newEngine(t, testConfig(p), testclock.New(t0))
	refuse := func(m string) bool { return m != "gpt-4o-mini" }
	c := call("gpt-4o", 10, 10)
	c.Allowed = refuse
	mustAdmit(t, e, c)
	d := mustDeny(t, e, c)
	if d.Code != "rate_limit_exceeded" || !strings.Contains(d.Message, "1 requests per 1h") {
		t.Errorf("denial %s %q, want the gpt-4o limit's", d.Code, d.Message)
	}
	for range 3 { // gpt-4o-mini's limit of 3 is still whole
		mustAdmit(t, e, call("gpt-4o-mini", 10, 10))
	}
}

func TestUnknownConsumerHasNoLimits(t *testing.T) {
	e := newEngine(t, testConfig(limitPolicy("std", lim(time.Minute, 1, 0))), testclock.New(t0))
	for range 3 {
		tk, d, err := e.Admit(context.Background(), Call{Consumer: "", Model: "m", InputTokens: 1})
		if err != nil || d != nil || tk == nil {
			t.Fatalf("anonymous call: %v %v", d, err)
		}
	}
	s, err := e.Usage(context.Background(), "")
	if err != nil || s.Requests != 3 {
		t.Errorf("anonymous usage = %+v, %v; want 3 requests", s, err)
	}
}

func TestAdmitWithCancelledContext(t *testing.T) {
	e := newEngine(t, testConfig(limitPolicy("std", lim(time.Minute, 1, 0))), testclock.New(t0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if tk, d, err := e.Admit(ctx, call("m", 1, 1)); err == nil || tk != nil || d != nil {
		t.Fatalf("Admit on a cancelled context = %v %v %v, want an error", tk, d, err)
	}
}

func TestNewRejectsBadPolicies(t *testing.T) {
	tests := map[string]*config.Config{
		"bad glob":      testConfig(limitPolicy("p", lim(time.Minute, 1, 0, "gpt-["))),
		"zero window":   testConfig(limitPolicy("p", lim(0, 1, 0))),
		"budget window": testConfig(config.Policy{Name: "p", Budget: &config.Budget{AmountUSD: 1, Window: "Year"}}),
		"store type":    func() *config.Config { c := testConfig(); c.Limits.Type = "Memcached"; return c }(),
		"no redis":      func() *config.Config { c := testConfig(); c.Limits.Type = config.StoreRedis; return c }(),
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			if e, err := New(cfg); err == nil {
				_ = e.Close()
				t.Fatal("New accepted the config")
			}
		})
	}
	unknown := testConfig()
	unknown.Consumers[0].Policies = []string{"missing"}
	if _, err := New(unknown); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("unknown policy: %v", err)
	}
}

func TestReloadKeepsCounters(t *testing.T) {
	cfg := testConfig(limitPolicy("std", lim(time.Hour, 2, 0)))
	e := newEngine(t, cfg, testclock.New(t0))
	mustAdmit(t, e, call("m", 1, 1))
	cfg2 := testConfig(limitPolicy("std", lim(time.Hour, 3, 0))) // raised, same window
	e2, err := e.Reload(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	mustAdmit(t, e2, call("m", 1, 1))
	mustAdmit(t, e2, call("m", 1, 1))
	mustDeny(t, e2, call("m", 1, 1)) // 3 counted across the reload
}

func TestOneCheckSharesOneHashTag(t *testing.T) {
	p := limitPolicy("std", lim(time.Minute, 1, 1), lim(time.Hour, 1, 1, "gpt-*"))
	p.Budget = &config.Budget{AmountUSD: 1, Window: config.BudgetWeek}
	cfg := testConfig(p, limitPolicy("other", lim(24*time.Hour, 5, 0)))
	cfg.Consumers[0].Name = "ns/team:{x}"
	cfg.Limits.Redis = &config.Redis{KeyPrefix: "gw{1}:"}
	e := newEngine(t, cfg, testclock.New(t0))
	cs, _ := e.counters(e.consumer("ns/team:{x}"), "gpt-4o", estimate{in: 1, out: 1, costMicro: 1}, t0)
	if len(cs) < 8 {
		t.Fatalf("only %d counters", len(cs))
	}
	for _, c := range cs {
		if tag := hashTag(c.Key); tag != "ns/team%3A%7Bx%7D" {
			t.Errorf("key %q hashes on %q, not the consumer", c.Key, tag)
		}
	}
}

func TestIdenticalScopesShareCounters(t *testing.T) {
	// Two limits on one window and scope: one counter set, the tighter
	// value of each field enforced.
	e := newEngine(t, testConfig(limitPolicy("std", lim(time.Minute, 5, 0), lim(time.Minute, 0, 100), lim(time.Minute, 3, 0))), testclock.New(t0))
	tk := mustAdmit(t, e, call("m", 10, 10))
	h := tk.Headers()
	if h.Get(HeaderLimitRequests) != "3" || h.Get(HeaderLimitTokens) != "100" {
		t.Errorf("limits = %s requests, %s tokens; want 3 and 100", h.Get(HeaderLimitRequests), h.Get(HeaderLimitTokens))
	}
	mustAdmit(t, e, call("m", 10, 10))
	mustAdmit(t, e, call("m", 10, 10))
	if d := mustDeny(t, e, call("m", 1, 1)); !strings.Contains(d.Message, "3 requests per 1m") {
		t.Errorf("message = %q", d.Message)
	}
}

// TestReloadReusesWhatIsUnchanged: a reload keeps the compiled form of an
// unchanged policy and of a consumer whose policies are all unchanged,
// and compiles again whatever a change reaches (the policy's limits, the
// consumer's policy list, the key prefix).
func TestReloadReusesWhatIsUnchanged(t *testing.T) {
	base := func() *config.Config {
		cfg := testConfig(limitPolicy("std", lim(time.Hour, 2, 0)), limitPolicy("other", lim(time.Hour, 5, 0)))
		cfg.Consumers = []config.Consumer{
			{Name: "team", Policies: []string{"std"}},
			{Name: "ops", Policies: []string{"other"}},
			{Name: "both", Policies: []string{"std", "other"}},
		}
		return cfg
	}
	e := newEngine(t, base(), testclock.New(t0))
	reload := func(cfg *config.Config) *Engine {
		t.Helper()
		e2, err := e.Reload(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e2.Close() })
		return e2
	}

	// "other" tightened, "both" reordered, "new" added.
	cfg := base()
	cfg.Policies[1].Limits[0].Requests = 1
	cfg.Consumers[2].Policies = []string{"other", "std"}
	cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: "new", Policies: []string{"std"}})
	e2 := reload(cfg)
	if e2.policies["std"] != e.policies["std"] {
		t.Error("the unchanged policy std was compiled again")
	}
	if e2.policies["other"] == e.policies["other"] {
		t.Error("the changed policy other kept its old compiled form")
	}
	if e2.consumers["team"] != e.consumers["team"] {
		t.Error("team (its policy unchanged) was compiled again")
	}
	for _, name := range []string{"ops", "both"} {
		if e2.consumers[name] == e.consumers[name] {
			t.Errorf("%s kept its old compiled form across a change of its policies", name)
		}
	}
	if got := e2.consumers["both"].policies; len(got) != 2 || got[0].name != "other" || got[1].name != "std" {
		t.Errorf("both's policies after the reorder: %v", got)
	}
	if e2.consumers["new"] == nil {
		t.Error("the added consumer new is missing")
	}
	// The change holds: ops may make 1 request an hour now, not 5.
	ops := Call{Consumer: "ops", Model: "gpt-4o", InputTokens: 1, MaxOutputTokens: 1}
	mustAdmit(t, e2, ops)
	mustDeny(t, e2, ops)

	// Another key prefix (another gateway's keys): nothing is reused.
	cfg = base()
	cfg.Gateway.Name = "other-gateway"
	e3 := reload(cfg)
	for name, rt := range e3.consumers {
		if rt == e.consumers[name] {
			t.Errorf("%s was reused across a key prefix change", name)
		}
	}
	if e3.policies["std"] == e.policies["std"] {
		t.Error("std was reused across a key prefix change")
	}
}
