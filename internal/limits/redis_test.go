package limits

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// redisConfig points testConfig's policies at a real Redis. The timeout is
// generous for healthy-path tests on a loaded machine; failure tests pick
// their own.
func redisConfig(addr string, mode config.FailureMode, timeout time.Duration, policies ...config.Policy) *config.Config {
	cfg := testConfig(policies...)
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: mode,
		Redis: &config.Redis{Addresses: []string{addr}, Timeout: config.D(timeout)}}
	return cfg
}

func TestRedisTwoReplicasEnforceOneLimit(t *testing.T) {
	srv := testredis.Start(t)
	cfg := redisConfig(srv.Addr, config.FailOpen, time.Second, limitPolicy("std", lim(time.Hour, 10, 0)))
	clk := testclock.New(t0)
	a, b := newEngine(t, cfg, clk), newEngine(t, cfg, clk)

	admitted := 0
	for i := range 30 {
		e := a
		if i%2 == 1 {
			e = b
		}
		tk, d, err := e.Admit(context.Background(), call("gpt-4o", 5, 5))
		if err != nil {
			t.Fatal(err)
		}
		if tk != nil {
			if tk.Degraded() {
				t.Fatal("healthy Redis reported degraded")
			}
			admitted++
			settle(t, tk, 5, 5, 0)
		} else if d.Code != "rate_limit_exceeded" {
			t.Fatalf("unexpected denial %s", d.Code)
		}
	}
	if admitted != 10 {
		t.Fatalf("two replicas admitted %d requests against one limit of 10", admitted)
	}
	s, err := b.Usage(context.Background(), "team")
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 10 || s.InputTokens != 50 || s.Models["gpt-4o"].OutputTokens != 50 {
		t.Errorf("shared usage = %+v, want 10 requests, 50 in, 50 out", s)
	}
}

func TestRedisConcurrentBurstAdmitsOnlyWhatFits(t *testing.T) {
	srv := testredis.Start(t)
	cfg := redisConfig(srv.Addr, config.FailClosed, 2*time.Second, limitPolicy("std", lim(time.Hour, 0, 1000)))
	clk := testclock.New(t0)
	engines := []*Engine{newEngine(t, cfg, clk), newEngine(t, cfg, clk)}

	var admitted, denied atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			tk, d, err := engines[i%2].Admit(context.Background(), call("gpt-4o", 30, 40)) // 70 tokens
			switch {
			case err != nil:
				t.Error(err)
			case d != nil && d.Code == "rate_limit_exceeded":
				denied.Add(1)
			case d != nil:
				t.Errorf("unexpected denial: %s %s", d.Code, d.Message)
			case tk != nil:
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	// 14 × 70 = 980 ≤ 1000 < 15 × 70.
	if admitted.Load() != 14 || denied.Load() != 36 {
		t.Fatalf("burst: %d admitted, %d denied; want exactly 14 and 36", admitted.Load(), denied.Load())
	}
}

func TestRedisSettlementAdjustsTheReservation(t *testing.T) {
	srv := testredis.Start(t)
	cfg := redisConfig(srv.Addr, config.FailClosed, time.Second, limitPolicy("std", lim(time.Hour, 0, 1000)))
	e := newEngine(t, cfg, testclock.New(t0))

	low := mustAdmit(t, e, call("gpt-4o", 100, 300)) // reserve 400
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a client that went away: settlement must still land
	if err := low.Settle(ctx, usage(100, 20), 0); err != nil {
		t.Fatal(err)
	}
	if got := low.Headers().Get(HeaderRemainingTokens); got != "880" {
		t.Fatalf("remaining after a lower settlement = %s, want 880", got)
	}
	high := mustAdmit(t, e, call("gpt-4o", 100, 100)) // 320 used
	settle(t, high, 100, 900, 0)                      // 1000 actual: 1120 used
	if got := high.Headers().Get(HeaderRemainingTokens); got != "0" {
		t.Fatalf("remaining after a higher settlement = %s, want 0", got)
	}
	d := mustDeny(t, e, call("gpt-4o", 1, 1))
	if !strings.Contains(d.Message, "1120 used") {
		t.Errorf("message %q should report the overshoot", d.Message)
	}
}

func TestRedisKeysExpire(t *testing.T) {
	srv := testredis.Start(t)
	p := limitPolicy("std", lim(time.Hour, 10, 1000))
	p.Budget = &config.Budget{AmountUSD: 5, Window: config.BudgetDay}
	cfg := redisConfig(srv.Addr, config.FailClosed, time.Second, p)
	e := newEngine(t, cfg, testclock.New(t0))
	mustAdmit(t, e, call("gpt-4o", 10, 10).withPricing(e))

	client := e.b.primary.(*Redis).Client()
	keys, err := client.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	// Requests, tokens, budget and the usage hash.
	if len(keys) != 4 {
		t.Fatalf("keys = %v, want 4", keys)
	}
	hourLeft := 39*time.Minute + 30*time.Second + counterGrace
	dayLeft := 13*time.Hour + 39*time.Minute + 30*time.Second + counterGrace
	for _, k := range keys {
		if !strings.HasPrefix(k, "tollgate:default/main:{team}:") {
			t.Errorf("key %q lacks the gateway prefix and the {consumer} hash tag", k)
		}
		ttl, err := client.PTTL(context.Background(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		want := hourLeft
		switch {
		case strings.Contains(k, ":b:Day:"), strings.Contains(k, ":u:Day:"):
			want = dayLeft
		}
		if ttl <= want-time.Minute || ttl > want {
			t.Errorf("PTTL(%s) = %s, want just under %s", k, ttl, want)
		}
	}
}

// recover advances the clock past the backoff until a probe succeeds.
func recoverEngine(t *testing.T, e *Engine, clk *testclock.Clock) *Ticket {
	t.Helper()
	for range 20 {
		clk.Advance(DefaultBackoff)
		tk, d, err := e.Admit(context.Background(), call("gpt-4o", 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		if tk != nil && !tk.Degraded() {
			return tk
		}
		_ = d
	}
	t.Fatal("the engine did not recover after Redis came back")
	return nil
}

// admittedOnRedis is an engine on a redis-server of its own (store calls
// bounded by timeout, failing as mode says) that has admitted one request,
// for a test to break the server under.
func admittedOnRedis(t *testing.T, mode config.FailureMode, timeout time.Duration) (*Engine, *testredis.Server, *testclock.Clock) {
	t.Helper()
	srv := testredis.Start(t)
	clk := testclock.New(t0)
	e := newEngine(t, redisConfig(srv.Addr, mode, timeout, limitPolicy("std", lim(time.Hour, 100, 0))), clk)
	mustAdmit(t, e, call("gpt-4o", 1, 1))
	return e, srv, clk
}

func TestRedisKilled(t *testing.T) {
	for _, mode := range []config.FailureMode{config.FailOpen, config.FailClosed} {
		t.Run(string(mode), func(t *testing.T) {
			e, srv, clk := admittedOnRedis(t, mode, 200*time.Millisecond)

			srv.Kill()
			for i := range 3 {
				tk, d, err := e.Admit(context.Background(), call("gpt-4o", 1, 1))
				if err != nil {
					t.Fatal(err)
				}
				if mode == config.FailOpen && (tk == nil || !tk.Degraded()) {
					t.Fatalf("attempt %d: fail open should admit degraded, got %+v", i, d)
				}
				if mode == config.FailClosed && (d == nil || d.Status != http.StatusServiceUnavailable || d.Code != "ratelimit_unavailable") {
					t.Fatalf("attempt %d: fail closed should answer 503, got %+v", i, d)
				}
			}
			if got := testutil.ToFloat64(e.m.storeErrors.WithLabelValues("reserve")); got < 1 {
				t.Errorf("store errors = %v, want at least 1", got)
			}
			if testutil.ToFloat64(e.m.degraded) != 1 {
				t.Error("degraded gauge not set")
			}

			srv.Restart() // empty: no persistence
			tk := recoverEngine(t, e, clk)
			if testutil.ToFloat64(e.m.degraded) != 0 {
				t.Error("degraded gauge still set after recovery")
			}
			settle(t, tk, 1, 1, 0)
		})
	}
}

func TestRedisHangs(t *testing.T) {
	for _, mode := range []config.FailureMode{config.FailOpen, config.FailClosed} {
		t.Run(string(mode), func(t *testing.T) {
			e, srv, clk := admittedOnRedis(t, mode, 100*time.Millisecond)

			srv.Pause()
			// The caller allows a minute; the store's own short timeout must
			// end the call long before, so the caller's context is intact.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			tk, d, err := e.Admit(ctx, call("gpt-4o", 1, 1))
			if err != nil {
				t.Fatalf("Admit against a hung Redis: %v", err)
			}
			if ctx.Err() != nil {
				t.Fatal("Admit waited for the caller's deadline instead of the store timeout")
			}
			switch mode {
			case config.FailOpen:
				if tk == nil || !tk.Degraded() || tk.Headers().Get(HeaderDegraded) != "degraded" {
					t.Fatalf("fail open against a hung Redis: %+v", d)
				}
			case config.FailClosed:
				if d == nil || d.Status != http.StatusServiceUnavailable {
					t.Fatalf("fail closed against a hung Redis: %+v", tk)
				}
			}
			if !e.Degraded() {
				t.Error("engine not degraded while Redis hangs")
			}

			srv.Resume()
			tk = recoverEngine(t, e, clk)
			settle(t, tk, 1, 1, 0)
			// The counters kept in Redis through the pause are intact: the
			// first request and the recovered one (at least).
			s, err := e.Usage(context.Background(), "team")
			if err != nil || s.Requests < 2 {
				t.Errorf("usage after recovery = %+v, %v", s, err)
			}
		})
	}
}

func TestRedisPasswordNeverInErrors(t *testing.T) {
	const secret = "s3cr3t-canary-password"
	srv := testredis.Start(t, testredis.Options{Password: secret})
	cfg := redisConfig(srv.Addr, config.FailOpen, time.Second, limitPolicy("std", lim(time.Hour, 10, 0)))
	cfg.Limits.Redis.Password = secret
	good := newEngine(t, cfg, testclock.New(t0))
	if tk := mustAdmit(t, good, call("gpt-4o", 1, 1)); tk.Degraded() {
		t.Fatal("authenticated engine is degraded")
	}

	bad := redisConfig(srv.Addr, config.FailOpen, time.Second, limitPolicy("std", lim(time.Hour, 10, 0)))
	bad.Limits.Redis.Password = "wrong-" + secret
	e := newEngine(t, bad, testclock.New(t0))
	if tk := mustAdmit(t, e, call("gpt-4o", 1, 1)); !tk.Degraded() {
		t.Fatal("a wrong password should leave the engine degraded")
	}
	err := e.b.primary.Ping(context.Background())
	if err == nil {
		t.Fatal("ping with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error leaks the password: %v", err)
	}
}
