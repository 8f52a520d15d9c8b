package limits

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// t0 is 10:20:30 UTC on a Wednesday: mid-minute, mid-hour, mid-month.
var t0 = time.Date(2026, 11, 25, 10, 20, 30, 0, time.UTC)

// testConfig has one consumer "team" with the given policies.
func testConfig(policies ...config.Policy) *config.Config {
	cfg := &config.Config{
		Version: config.SchemaVersion,
		Gateway: config.GatewayMeta{Name: "main", Namespace: "default"},
		Models: []config.Model{
			{Name: "gpt-4o", Provider: "p", Pricing: config.Pricing{InputPerMillion: 2.5, OutputPerMillion: 10}},
			{Name: "gpt-4o-mini", Provider: "p", Pricing: config.Pricing{InputPerMillion: 0.15, OutputPerMillion: 0.6}},
		},
		Limits: config.LimitsStore{Type: config.StoreLocal, FailureMode: config.FailOpen},
	}
	c := config.Consumer{Name: "team"}
	for _, p := range policies {
		if p.OnExceeded == "" {
			p.OnExceeded = config.ExceededReject
		}
		cfg.Policies = append(cfg.Policies, p)
		c.Policies = append(c.Policies, p.Name)
	}
	cfg.Consumers = []config.Consumer{c}
	return cfg
}

func newEngine(t testing.TB, cfg *config.Config, clk *testclock.Clock, opts ...Option) *Engine {
	t.Helper()
	opts = append([]Option{WithClock(clk.Now), WithRegisterer(prometheus.NewRegistry())}, opts...)
	e, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func call(model string, in, out int64) Call {
	return Call{Consumer: "team", Model: model, InputTokens: in, MaxOutputTokens: out}
}

// mustAdmit admits or fails the test.
func mustAdmit(t testing.TB, e *Engine, c Call) *Ticket {
	t.Helper()
	tk, d, err := e.Admit(context.Background(), c)
	if err != nil {
		t.Fatalf("Admit(%+v): %v", c, err)
	}
	if d != nil {
		t.Fatalf("Admit(%+v) denied: %d %s: %s", c, d.Status, d.Code, d.Message)
	}
	return tk
}

// mustDeny expects a Denial.
func mustDeny(t testing.TB, e *Engine, c Call) *Denial {
	t.Helper()
	tk, d, err := e.Admit(context.Background(), c)
	if err != nil {
		t.Fatalf("Admit(%+v): %v", c, err)
	}
	if d == nil {
		t.Fatalf("Admit(%+v) admitted (model %s), want a denial", c, tk.Model())
	}
	return d
}

func settle(t testing.TB, tk *Ticket, in, out int64, cost float64) {
	t.Helper()
	if err := tk.Settle(context.Background(), providers.Usage{InputTokens: in, OutputTokens: out, Reported: true}, cost); err != nil {
		t.Fatalf("Settle: %v", err)
	}
}

func limitPolicy(name string, l ...config.Limit) config.Policy {
	return config.Policy{Name: name, Limits: l}
}

func lim(window time.Duration, requests, tokens int64, models ...string) config.Limit {
	return config.Limit{Window: config.D(window), Requests: requests, Tokens: tokens, Models: models}
}

func usage(in, out int64) providers.Usage {
	return providers.Usage{InputTokens: in, OutputTokens: out, Reported: true}
}

// teamNames are n consumer names, "team-000" on.
func teamNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("team-%03d", i)
	}
	return names
}

// consumersOf are consumers of the given names, each under the policies.
func consumersOf(names []string, policies ...string) []config.Consumer {
	cs := make([]config.Consumer, len(names))
	for i, n := range names {
		cs[i] = config.Consumer{Name: n, Policies: policies}
	}
	return cs
}

// clusterStore is a fail-closed limit store in the Redis Cluster cl, each
// call bounded by timeout.
func clusterStore(cl *testredis.Cluster, timeout time.Duration) config.LimitsStore {
	return config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
		Redis: &config.Redis{Mode: config.RedisCluster, Addresses: cl.Addrs(), Timeout: config.D(timeout)}}
}
