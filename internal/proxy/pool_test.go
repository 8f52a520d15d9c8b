package proxy

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// Issue 21: a pooled budget shared by two consumers across two replicas
// on one Redis, through the real proxy. The pool admits 10 requests an
// hour, each consumer's own policy 8: 24 requests alternating consumers
// and replicas get 10 answers and 14 refusals naming the pool, no
// consumer over its own cap; the headers show the tighter of the two.
func TestRedisPooledBudgetThroughProxy(t *testing.T) {
	rd := testredis.Start(t)
	up := mockup.New(t)
	cfg, keyA := baseConfig(t, []config.Provider{upstreamProvider("a", up)},
		config.Backend{Provider: "a", UpstreamModel: "m", Pricing: config.Pricing{InputPerMillion: 1000, OutputPerMillion: 2000}})
	keyB, kb := newKey(t)
	cfg.Policies = []config.Policy{
		{Name: "eng-pool", Pooled: true, Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 10}},
			Budget: &config.Budget{AmountUSD: 100, Window: config.BudgetMonth}},
		{Name: "per-dev", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 8}}},
	}
	cfg.Consumers[0].Policies = []string{"eng-pool", "per-dev"}
	cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: "team-b", Keys: []config.Key{kb}, Policies: []string{"eng-pool", "per-dev"}})
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
		Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(2 * time.Second)}}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var gws []*gw
	for range 2 {
		g := startGateway(t, cfg, withLimitOpts(frozen()))
		gws = append(gws, g)
	}
	keys := []string{keyA, keyB}
	admitted := map[string]int{}
	refused := 0
	for i := range 24 {
		// Consumers alternate every request, replicas every two.
		c := i % 2
		resp := gws[(i/2)%2].do(t, http.MethodPost, "/v1/chat/completions", keys[c], chatBody(false, ""), nil)
		body := readAll(t, resp)
		switch resp.StatusCode {
		case http.StatusOK:
			admitted[keys[c]]++
			// Remaining: the pool's 10 less all admitted, or the
			// consumer's 8 less its own, whichever is smaller.
			total := admitted[keyA] + admitted[keyB]
			want := strconv.Itoa(min(10-total, 8-admitted[keys[c]]))
			if got := resp.Header.Get("X-Ratelimit-Remaining-Requests"); got != want {
				t.Errorf("request %d: remaining %q, want %s (the tighter of pool and consumer)", i, got, want)
			}
		case http.StatusTooManyRequests:
			refused++
			if !strings.Contains(body, `for policy \"eng-pool\"`) {
				t.Errorf("request %d: the refusal does not name the pool: %s", i, body)
			}
		default:
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if total := admitted[keyA] + admitted[keyB]; total != 10 || refused != 14 {
		t.Fatalf("admitted %d (%v), refused %d; want 10 and 14 at the pool's total", total, admitted, refused)
	}
	if admitted[keyA] > 8 || admitted[keyB] > 8 {
		t.Fatalf("a consumer went over its own cap: %v", admitted)
	}
	if n := len(up.Requests()); n != 10 {
		t.Fatalf("the upstream saw %d requests, want 10", n)
	}
	// Either replica's /usage reports the pool's spend, the sum of its
	// two consumers' (each counted in its own slot).
	for i, g := range gws {
		code, rep, body := usageReportOf(t, g.s)
		if code != http.StatusOK || len(rep.Pools) != 1 {
			t.Fatalf("replica %d /usage: %d %s", i, code, body)
		}
		sum := 0.0
		for _, cu := range rep.Consumers {
			sum += cu.CostUSD
		}
		if p := rep.Pools[0]; p.Policy != "eng-pool" || p.WindowKind != "Month" || p.BudgetUSD != 100 || sum <= 0 || math.Abs(p.CostUSD-sum) > 1e-9 {
			t.Fatalf("replica %d: pool %+v, want eng-pool at the consumers' $%g of 100", i, p, sum)
		}
		js, _ := json.Marshal(rep.Pools)
		t.Logf("replica %d /usage pools: %s", i, js)
	}
}
