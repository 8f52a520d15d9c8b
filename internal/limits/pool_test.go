package limits

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// poolConfig: consumers alice and bob share pooled policy "team" (limit
// requests an hour between them) and each has its own "dev" cap.
func poolConfig(pool, own int64) *config.Config {
	cfg := testConfig()
	cfg.Policies = []config.Policy{
		{Name: "team", Pooled: true, OnExceeded: config.ExceededReject, Limits: []config.Limit{lim(time.Hour, pool, 0)}},
		{Name: "dev", OnExceeded: config.ExceededReject, Limits: []config.Limit{lim(time.Hour, own, 0)}},
	}
	cfg.Consumers = []config.Consumer{{Name: "alice", Policies: []string{"team", "dev"}}, {Name: "bob", Policies: []string{"team", "dev"}}}
	return cfg
}

func poolCall(consumer string) Call {
	c := call("gpt-4o", 5, 5)
	c.Consumer = consumer
	return c
}

// A pooled policy counts both consumers in one set of counters, each
// consumer's own cap applies inside it, the headers show the tighter,
// and a consumer refused by its own cap gives its pool reservation back.
func TestPooledPolicyLocal(t *testing.T) {
	clk := testclock.New(t0)
	e := newEngine(t, poolConfig(5, 3), clk)
	tk := mustAdmit(t, e, poolCall("alice"))
	if got := tk.Headers().Get(HeaderRemainingRequests); got != "2" {
		t.Fatalf("alice's first request: remaining %s, want her own cap's 2", got)
	}
	settle(t, tk, 5, 5, 0)
	for range 2 {
		settle(t, mustAdmit(t, e, poolCall("alice")), 5, 5, 0)
	}
	if d := mustDeny(t, e, poolCall("alice")); d.Policy != "dev" {
		t.Fatalf("alice's fourth: refused by %q, want her own cap", d.Policy)
	}
	tk = mustAdmit(t, e, poolCall("bob"))
	if got := tk.Headers().Get(HeaderRemainingRequests); got != "1" {
		t.Fatalf("bob's first: remaining %s, want the pool's 1 (tighter than his 2)", got)
	}
	settle(t, tk, 5, 5, 0)
	settle(t, mustAdmit(t, e, poolCall("bob")), 5, 5, 0)
	if d := mustDeny(t, e, poolCall("bob")); d.Policy != "team" {
		t.Fatalf("bob's third: refused by %q, want the pool", d.Policy)
	}
}

// Two proxy replicas on one Redis: a pool shared by two consumers
// refuses at the pool's total, whoever sends and wherever.
func TestRedisPooledBudgetAcrossReplicas(t *testing.T) {
	srv := testredis.Start(t)
	cfg := poolConfig(10, 8)
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
		Redis: &config.Redis{Addresses: []string{srv.Addr}, Timeout: config.D(2 * time.Second)}}
	clk := testclock.New(t0)
	engines := []*Engine{newEngine(t, cfg, clk), newEngine(t, cfg, clk)}
	admitted := map[string]int{}
	for i := range 24 {
		who := []string{"alice", "bob"}[i%2]
		tk, d, err := engines[(i/2)%2].Admit(context.Background(), poolCall(who))
		if err != nil {
			t.Fatal(err)
		}
		if tk != nil {
			admitted[who]++
			settle(t, tk, 5, 5, 0)
		} else if d.Policy != "team" {
			t.Fatalf("refused by %q, want the pool", d.Policy)
		}
	}
	if admitted["alice"]+admitted["bob"] != 10 {
		t.Fatalf("admitted %v: want 10 in all (the pool's total)", admitted)
	}
}

// On a real Redis Cluster the pool's counters and each consumer's live in
// different slots. Under a concurrent burst from two replicas, the pool
// admits no more than its total, no consumer more than its cap, and the
// compensation of consumer refusals leaves the pool's counter at exactly
// what was admitted.
func TestRedisClusterPooledBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes")
	}
	cl := testredis.StartCluster(t, 3, 1)
	const pool, own = 12, 4
	cfg := poolConfig(pool, own)
	names := []string{"alice", "bob", "carol", "dave", "erin"}
	cfg.Consumers = consumersOf(names, "team", "dev")
	cfg.Limits = clusterStore(cl, 2*time.Second)
	clk := testclock.New(t0)
	engines := []*Engine{newEngine(t, cfg, clk), newEngine(t, cfg, clk)}

	var wg sync.WaitGroup
	var total atomic.Int64
	per := make([]atomic.Int64, len(names))
	for w := range 10 {
		wg.Go(func() {
			for j := range 6 {
				i := (w + j) % len(names)
				tk, d, err := engines[w%2].Admit(context.Background(), poolCall(names[i]))
				if err != nil {
					t.Error(err)
					return
				}
				if tk == nil {
					if d.Code != "rate_limit_exceeded" {
						t.Errorf("denial %s", d.Code)
					}
					continue
				}
				total.Add(1)
				per[i].Add(1)
				if err := tk.Settle(context.Background(), usage(5, 5), 0); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := total.Load(); n > pool {
		t.Fatalf("the pool admitted %d, over its %d", n, pool)
	}
	for i := range per {
		if n := per[i].Load(); n > own {
			t.Fatalf("%s admitted %d, over its own %d", names[i], n, own)
		}
	}
	// Sequentially now: the pool's counter holds exactly what was
	// admitted (every compensation landed), so it admits the rest and no
	// more.
	more := 0
	for j := range 3 * pool {
		if tk, _, err := engines[j%2].Admit(context.Background(), poolCall(names[j%len(names)])); err != nil {
			t.Fatal(err)
		} else if tk != nil {
			more++
			settle(t, tk, 5, 5, 0)
		}
	}
	if got := total.Load() + int64(more); got != min(pool, int64(own*len(names))) {
		t.Fatalf("%d admitted in the burst and %d after: want %d in all", total.Load(), more, pool)
	}
}

// PoolSpend reads the pool's budget counter: what every consumer under it
// spent together, the same from either replica on Redis and on a Redis
// Cluster (the pool's slot is not its consumers'), and nothing for a pool
// without a budget.
func TestPoolSpend(t *testing.T) {
	withBudget := func(cfg *config.Config) *config.Config {
		cfg.Policies[0].Budget = &config.Budget{AmountUSD: 2, Window: config.BudgetMonth}
		return cfg
	}
	srv := testredis.Start(t)
	redisCfg := withBudget(poolConfig(10, 8))
	redisCfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
		Redis: &config.Redis{Addresses: []string{srv.Addr}, Timeout: config.D(2 * time.Second)}}
	cl := testredis.StartCluster(t, 3, 0)
	clusterCfg := withBudget(poolConfig(10, 8))
	clusterCfg.Limits = clusterStore(cl, 2*time.Second)
	for name, cfg := range map[string]*config.Config{"local": withBudget(poolConfig(10, 8)), "redis": redisCfg, "cluster": clusterCfg} {
		t.Run(name, func(t *testing.T) {
			clk := testclock.New(t0)
			engines := []*Engine{newEngine(t, cfg, clk), newEngine(t, cfg, clk)}
			if name == "local" {
				engines = engines[:1]
			}
			for i, who := range []string{"alice", "bob", "alice"} {
				settle(t, mustAdmit(t, engines[i%len(engines)], poolCall(who)), 5, 5, 0.25)
			}
			for _, e := range engines {
				got, err := e.PoolSpend(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				want := []PoolSpend{{Policy: "team", Window: config.BudgetMonth, Period: t0.UTC().Format("2006-01"), CostUSD: 0.75, BudgetUSD: 2}}
				if len(got) != 1 || got[0] != want[0] {
					t.Fatalf("pool spend %+v, want %+v", got, want)
				}
			}
		})
	}
	e := newEngine(t, poolConfig(10, 8), testclock.New(t0))
	if got, err := e.PoolSpend(context.Background()); err != nil || got != nil {
		t.Fatalf("a pool without a budget: %+v %v", got, err)
	}
}
