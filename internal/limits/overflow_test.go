package limits

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

func TestSaturatingArithmetic(t *testing.T) {
	for _, tc := range []struct{ a, b, want int64 }{
		{1, 2, 3}, {math.MaxInt64, 1, math.MaxInt64}, {math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{math.MinInt64, -1, math.MinInt64}, {math.MinInt64, math.MaxInt64, -1}, {-5, 3, -2},
	} {
		if got := satAdd(tc.a, tc.b); got != tc.want {
			t.Errorf("satAdd(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if fits(1, math.MaxInt64, 3000) || !fits(-10, 10, 0) || fits(math.MaxInt64, math.MaxInt64, math.MaxInt64-1) {
		t.Error("fits is wrong at the edges")
	}
	for in, want := range map[int64]int64{-1: 0, 0: 0, 7: 7, math.MaxInt64: MaxRequestTokens, math.MinInt64: 0} {
		if got := clampTokens(in); got != want {
			t.Errorf("clampTokens(%d) = %d, want %d", in, got, want)
		}
	}
}

// The Local store neither wraps a counter nor lets an amount that would
// wrap pass a check.
func TestLocalStoreDoesNotWrap(t *testing.T) {
	l := NewLocal(0, func() time.Time { return t0 })
	ctx := context.Background()
	c := Counter{Key: "{x}:k", Amount: math.MaxInt64, TTL: time.Hour}
	if _, err := l.Add(ctx, []Counter{c, {Key: "{x}:u", Field: "f", Amount: math.MaxInt64, TTL: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	vals, err := l.Add(ctx, []Counter{c, {Key: "{x}:u", Field: "f", Amount: math.MaxInt64, TTL: time.Hour}})
	if err != nil || vals[0] != math.MaxInt64 || vals[1] != math.MaxInt64 {
		t.Fatalf("second add = %v, %v; want saturated values", vals, err)
	}
	res, err := l.Reserve(ctx, []Counter{{Key: "{x}:k", Amount: math.MaxInt64, Limit: math.MaxInt64 - 1, TTL: time.Hour}})
	if err != nil || res.OK {
		t.Fatalf("a reservation that would wrap passed: %+v %v", res, err)
	}
}

// Admission clamps every figure: a max_tokens of 2^63-1 is reserved as the
// model's maxOutputTokens, or MaxRequestTokens without one, on the Local
// and the Redis store; a limit then refuses it instead of wrapping.
func TestAdmitHugeMaxTokens(t *testing.T) {
	stores := map[string]func(*config.Config) *config.Config{
		"local": func(c *config.Config) *config.Config { return c },
		"redis": func(c *config.Config) *config.Config {
			srv := testredis.Start(t)
			c.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
				Redis: &config.Redis{Addresses: []string{srv.Addr}, Timeout: config.D(2 * time.Second)}}
			return c
		},
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			cfg := store(testConfig(limitPolicy("tok", lim(time.Hour, 0, 3000))))
			cfg.Models[1].MaxOutputTokens = 1000 // gpt-4o-mini
			e := newEngine(t, cfg, testclock.New(t0))

			// No model maximum: the clamped estimate cannot fit the limit.
			d := mustDeny(t, e, call("gpt-4o", 10, math.MaxInt64))
			if d.Status != 429 {
				t.Fatalf("huge request without a model maximum: %d %s", d.Status, d.Message)
			}
			// The model's maximum: reserved as 1,000 output tokens.
			held := mustAdmit(t, e, call("gpt-4o-mini", 10, math.MaxInt64))
			if got := held.est.out; got != 1000 {
				t.Errorf("reserved output %d, want the model's 1000", got)
			}
			var admitted, denied atomic.Int64
			var wg sync.WaitGroup
			for range 50 {
				wg.Go(func() {
					tk, d, err := e.Admit(context.Background(), call("gpt-4o", 30, 40)) // 70 tokens
					switch {
					case err != nil:
						t.Error(err)
					case d != nil:
						denied.Add(1)
					case tk != nil:
						admitted.Add(1)
					}
				})
			}
			wg.Wait()
			// (3000 - 1010) / 70 = 28.4
			if admitted.Load() != 28 || denied.Load() != 22 {
				t.Errorf("burst: %d admitted, %d denied; want exactly 28 and 22", admitted.Load(), denied.Load())
			}
			// Usage reported as 2^63-1 settles clamped: the counters stay
			// in range and the window is full, not wrapped open.
			if err := held.Settle(context.Background(), providers.Usage{InputTokens: math.MaxInt64, OutputTokens: math.MaxInt64, Reported: true}, 0); err != nil {
				t.Fatal(err)
			}
			if err := e.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			mustDeny(t, e, call("gpt-4o", 1, 1))
			s, err := e.Usage(context.Background(), "team")
			if err != nil {
				t.Fatal(err)
			}
			if s.InputTokens < 0 || s.OutputTokens < 0 || s.InputTokens > 2*MaxRequestTokens {
				t.Errorf("usage out of range after a huge settlement: %+v", s)
			}
		})
	}
}

// A request with no bound reserves the model's maxOutputTokens when the
// catalogue has it; a policy cap is still the ceiling.
func TestNoBoundReservesModelMaximum(t *testing.T) {
	cfg := testConfig(limitPolicy("tok", lim(time.Hour, 0, 1_000_000)))
	cfg.Models[1].MaxOutputTokens = 5000
	e := newEngine(t, cfg, testclock.New(t0))
	if got := mustAdmit(t, e, call("gpt-4o-mini", 10, 0)).est.out; got != 5000 {
		t.Errorf("no bound: reserved %d, want the model's 5000", got)
	}
	if got := mustAdmit(t, e, call("gpt-4o", 10, 0)).est.out; got != DefaultOutputTokens {
		t.Errorf("no bound, no model maximum: reserved %d, want %d", got, DefaultOutputTokens)
	}
	capped := testConfig(config.Policy{Name: "cap", MaxTokensPerRequest: 300})
	capped.Models[1].MaxOutputTokens = 5000
	e = newEngine(t, capped, testclock.New(t0))
	if got := mustAdmit(t, e, call("gpt-4o-mini", 10, 0)).est.out; got != 300 {
		t.Errorf("no bound under a cap: reserved %d, want 300", got)
	}
	d := mustDeny(t, e, Call{Consumer: "team", Model: "gpt-4o-mini", InputTokens: 1, MaxOutputTokens: 301, MaxOutputField: "thinking.budget_tokens"})
	if d.Param != "thinking.budget_tokens" || d.Status != 400 {
		t.Errorf("cap denial %+v", d)
	}
}
