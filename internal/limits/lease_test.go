package limits

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// leaseConfig is redisConfig with Lease enforcement.
func leaseConfig(addr string, policies ...config.Policy) *config.Config {
	cfg := redisConfig(addr, config.FailClosed, 5*time.Second, policies...)
	cfg.Limits.Enforcement = config.EnforceLease
	return cfg
}

// storeCounters reads the plain counters whose keys match pattern.
func storeCounters(t *testing.T, srv *testredis.Server, pattern string) map[string]int64 {
	t.Helper()
	r, err := NewRedis(&config.Redis{Addresses: []string{srv.Addr}, Timeout: config.D(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	keys, err := r.Client().Keys(ctx, pattern).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, k := range keys {
		if strings.Contains(k, ":u:") {
			continue // the usage hashes
		}
		v, err := r.Client().Get(ctx, k).Int64()
		if err != nil {
			continue // a hash
		}
		out[k] = v
	}
	return out
}

// TestLeaseBurstAcrossTwoReplicasHoldsTheBound: two engines (two gateway
// replicas) share one Redis in Lease mode and take a concurrent burst of
// 1,500 requests against a limit of 1,000 requests and 100,000 tokens a
// minute. The stated bound: no more than the limit is ever admitted; at
// most one lease per replica (1/LeaseDivisor of the limit) is held back,
// so at least limit − 2 × lease are admitted; once the replicas give
// their leases back the store holds exactly what was admitted.
func TestLeaseBurstAcrossTwoReplicasHoldsTheBound(t *testing.T) {
	srv := testredis.Start(t)
	const limit, tokenLimit = 1000, 100_000
	cfg := leaseConfig(srv.Addr, limitPolicy("std", lim(time.Hour, limit, tokenLimit)))
	clk := testclock.New(t0)
	engines := []*Engine{newEngine(t, cfg, clk, WithAsyncSettle(0)), newEngine(t, cfg, clk, WithAsyncSettle(0))}

	var admitted, refused atomic.Int64
	var wg sync.WaitGroup
	for w := range 32 {
		e := engines[w%2]
		wg.Go(func() {
			for range 1500 / 32 {
				tk, d, err := e.Admit(context.Background(), call("gpt-4o", 40, 20))
				if err != nil {
					t.Error(err)
					return
				}
				if d != nil {
					if d.Code != "rate_limit_exceeded" {
						t.Errorf("denial %s: %s", d.Code, d.Message)
					}
					refused.Add(1)
					continue
				}
				if tk.Degraded() {
					t.Error("degraded on a healthy Redis")
				}
				admitted.Add(1)
				if err := tk.Settle(context.Background(), usage(40, 20), 0); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	n := admitted.Load()
	lease := int64(limit / config.LeaseDivisor)
	t.Logf("admitted %d, refused %d (limit %d, lease %d per replica)", n, refused.Load(), limit, lease)
	if n > limit {
		t.Fatalf("two replicas admitted %d requests against a limit of %d", n, limit)
	}
	if n < limit-2*lease {
		t.Fatalf("admitted %d: more than two leases (%d each) held back from a limit of %d", n, lease, limit)
	}
	// Every request was 60 tokens: the token limit (100,000) is not the
	// one that refused.
	for _, e := range engines {
		if err := e.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range engines {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	got := storeCounters(t, srv, "*{team}:p:std:*")
	var reqs, toks int64
	for k, v := range got {
		// Counters of one limit: requests are the key without a field;
		// tokens live under their own key (see counters()).
		switch {
		case strings.HasSuffix(k, ":r"):
			reqs += v
		case strings.HasSuffix(k, ":t"):
			toks += v
		}
	}
	if reqs != n || toks != 60*n {
		t.Fatalf("after the leases were given back the store holds %d requests and %d tokens, want %d and %d (keys %v)",
			reqs, toks, n, 60*n, got)
	}
}

// TestLeaseSavesRoundTrips: with a high limit, 300 sequential requests on
// one replica make a handful of reservation scripts (one per lease), not
// one each; Exact mode makes one each.
func TestLeaseSavesRoundTrips(t *testing.T) {
	srv := testredis.Start(t)
	for _, mode := range []config.Enforcement{config.EnforceExact, config.EnforceLease} {
		cfg := leaseConfig(srv.Addr, limitPolicy("std-"+strings.ToLower(string(mode)), lim(time.Hour, 10_000, 0)))
		cfg.Limits.Enforcement = mode
		e := newEngine(t, cfg, testclock.New(t0), WithAsyncSettle(0))
		before := scripts(t, e)
		for range 300 {
			tk := mustAdmit(t, e, call("gpt-4o", 10, 10))
			if err := tk.Settle(context.Background(), usage(10, 10), 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		n := scripts(t, e) - before
		t.Logf("%s: %d scripts for 300 requests", mode, n)
		// Lease: 300 requests / 100 per lease = 3 reservations, plus the
		// settlements and usage writes the queue batches.
		if mode == config.EnforceLease && n >= 300 {
			t.Fatalf("Lease mode ran %d scripts for 300 requests: no fewer than one each", n)
		}
		if mode == config.EnforceExact && n < 300 {
			t.Fatalf("Exact mode ran %d scripts for 300 requests, want at least one reservation each", n)
		}
	}
}

// scripts is how many scripts Redis has run so far.
func scripts(t *testing.T, e *Engine) int64 {
	t.Helper()
	r := e.b.primary.(*Redis)
	info, err := r.Client().Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var calls int64
	for _, line := range strings.Split(info, "\r\n") {
		if !strings.HasPrefix(line, "cmdstat_evalsha:") && !strings.HasPrefix(line, "cmdstat_eval:") {
			continue
		}
		_, rest, _ := strings.Cut(line, "calls=")
		v, _, _ := strings.Cut(rest, ",")
		c, _ := strconv.ParseInt(v, 10, 64)
		calls += c
	}
	return calls
}
