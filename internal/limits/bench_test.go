package limits

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// benchConfig has 16 consumers under a realistic policy: a per-minute and a
// per-day limit, a model-scoped limit and a monthly budget. The limits are
// high enough that every request is admitted.
func benchConfig() *config.Config {
	p := config.Policy{Name: "standard", OnExceeded: config.ExceededReject,
		Limits: []config.Limit{
			{Window: config.D(time.Minute), Tokens: 1 << 40, Requests: 1 << 40},
			{Window: config.D(24 * time.Hour), Tokens: 1 << 40, Models: []string{"gpt-4o*"}},
		},
		Budget: &config.Budget{AmountUSD: 1e9, Window: config.BudgetMonth},
	}
	cfg := testConfig(p)
	base := cfg.Consumers[0]
	cfg.Consumers = nil
	for i := range 16 {
		c := base
		c.Name = "team-" + strconv.Itoa(i)
		cfg.Consumers = append(cfg.Consumers, c)
	}
	return cfg
}

func benchAdmitSettle(b *testing.B, cfg *config.Config, opts ...Option) {
	e, err := New(cfg, opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	price := config.Pricing{InputPerMillion: 2.5, OutputPerMillion: 10}
	ctx := context.Background()
	u := usage(400, 150)
	calls0, usec0 := scriptStats(b, e)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		c := Call{Consumer: cfg.Consumers[i%16].Name, Model: "gpt-4o", InputTokens: 500, MaxOutputTokens: 256, Pricing: price}
		i++
		tk, d, err := e.Admit(ctx, c)
		if err != nil || d != nil {
			b.Fatalf("Admit: %v %v", d, err)
		}
		if tk.Degraded() {
			b.Fatal("degraded")
		}
		if err := tk.Settle(ctx, u, 0.003); err != nil {
			b.Fatal(err)
		}
		_ = tk.Headers()
	}
	b.StopTimer()
	if err := e.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if calls, usec := scriptStats(b, e); calls > 0 {
		b.ReportMetric(float64(calls-calls0)/float64(b.N), "scripts/op")
		b.ReportMetric(float64(usec-usec0)/float64(b.N), "redis-µs/op")
	}
}

// scriptStats reads how many scripts Redis ran and their total time in
// microseconds (INFO commandstats); zeros for a local store.
func scriptStats(b *testing.B, e *Engine) (calls, usec int64) {
	r, ok := e.b.primary.(*Redis)
	if !ok {
		return 0, 0
	}
	info, err := r.Client().Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if !strings.HasPrefix(line, "cmdstat_evalsha:") && !strings.HasPrefix(line, "cmdstat_eval:") {
			continue
		}
		for _, f := range strings.Split(line[strings.IndexByte(line, ':')+1:], ",") {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "calls":
				calls += n
			case "usec":
				usec += n
			}
		}
	}
	return calls, usec
}

// BenchmarkAdmitSettle measures one request's limit work (admission,
// settlement, headers) with counters in process and in a real Redis on
// 127.0.0.1: the difference is the Redis check's added latency (two round
// trips: one at admission, one at settlement; one with WithAsyncSettle).
func BenchmarkAdmitSettle(b *testing.B) {
	b.Run("local", func(b *testing.B) { benchAdmitSettle(b, benchConfig()) })
	b.Run("redis", func(b *testing.B) { benchAdmitSettle(b, redisBenchConfig(b)) })
	b.Run("redis-async", func(b *testing.B) { benchAdmitSettle(b, redisBenchConfig(b), WithAsyncSettle(0)) })
	b.Run("redis-lease", func(b *testing.B) {
		cfg := redisBenchConfig(b)
		cfg.Limits.Enforcement = config.EnforceLease
		benchAdmitSettle(b, cfg, WithAsyncSettle(0))
	})
}

func redisBenchConfig(b *testing.B) *config.Config {
	srv := testredis.Start(b)
	cfg := benchConfig()
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
		Redis: &config.Redis{Addresses: []string{srv.Addr}, Timeout: config.D(time.Second)}}
	return cfg
}

// BenchmarkAdmitSettleParallel is the same under concurrency (GOMAXPROCS
// goroutines), where Redis round trips overlap.
func BenchmarkAdmitSettleParallel(b *testing.B) {
	run := func(b *testing.B, cfg *config.Config, opts ...Option) {
		e, err := New(cfg, opts...)
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		price := config.Pricing{InputPerMillion: 2.5, OutputPerMillion: 10}
		calls0, usec0 := scriptStats(b, e)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			i := 0
			for pb.Next() {
				i++
				tk, d, err := e.Admit(ctx, Call{Consumer: "team-" + strconv.Itoa(i%16), Model: "gpt-4o", InputTokens: 500, MaxOutputTokens: 256, Pricing: price})
				if err != nil || d != nil {
					b.Errorf("Admit: %v %v", d, err)
					return
				}
				if err := tk.Settle(ctx, usage(400, 150), 0.003); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		if err := e.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		if calls, usec := scriptStats(b, e); calls > 0 {
			b.ReportMetric(float64(calls-calls0)/float64(b.N), "scripts/op")
			b.ReportMetric(float64(usec-usec0)/float64(b.N), "redis-µs/op")
		}
	}
	b.Run("local", func(b *testing.B) { run(b, benchConfig()) })
	b.Run("redis", func(b *testing.B) { run(b, redisBenchConfig(b)) })
	b.Run("redis-async", func(b *testing.B) { run(b, redisBenchConfig(b), WithAsyncSettle(0)) })
}
