package limits

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// On a real Redis Cluster (three masters with a replica each, made by
// redis-cli --cluster create), two gateways enforce each consumer's limit
// exactly, with consumers spread over every master, and usage is read back
// in one pipelined batch across the nodes.
func TestRedisClusterEnforcesAcrossSlots(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes")
	}
	cl := testredis.StartCluster(t, 3, 1)
	const consumers, limit = 120, 3
	cfg := testConfig(limitPolicy("std", lim(time.Hour, limit, 0)))
	names := teamNames(consumers)
	cfg.Consumers = consumersOf(names, "std")
	cfg.Limits = clusterStore(cl, 2*time.Second)
	clk := testclock.New(t0)
	engines := []*Engine{newEngine(t, cfg, clk), newEngine(t, cfg, clk)}

	ctx := context.Background()
	for i, name := range names {
		admitted := 0
		for j := range limit + 1 {
			c := call("gpt-4o", 5, 5)
			c.Consumer = name
			tk, d, err := engines[(i+j)%2].Admit(ctx, c)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if tk != nil {
				admitted++
				settle(t, tk, 4, 6, 0)
			} else if d.Code != "rate_limit_exceeded" {
				t.Fatalf("%s: denial %s", name, d.Code)
			}
		}
		if admitted != limit {
			t.Fatalf("%s: %d admitted, want exactly %d", name, admitted, limit)
		}
	}
	sums, err := engines[1].UsageBatch(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.Requests != limit || s.InputTokens != 4*limit || s.OutputTokens != 6*limit {
			t.Errorf("%s: usage %+v, want %d requests, %d in, %d out", s.Consumer, s, limit, 4*limit, 6*limit)
		}
	}
	// Every master holds some consumers' keys.
	for _, m := range cl.Nodes[:3] {
		if n := m.DBSize(t); n == 0 {
			t.Errorf("master %s holds no key: consumers not spread over the slots", m.Addr)
		}
	}
}
