package limits

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// A slot held open mid-move, step by step as redis-cli --cluster reshard
// does it (CLUSTER SETSLOT IMPORTING and MIGRATING, MIGRATE of the keys,
// SETSLOT NODE): a settlement on it (its marker is a new key) and a
// reservation whose keys are split between the nodes get TRYAGAIN until
// the move ends. That is one slot moving, not the store down: the circuit
// stays closed and the other consumers' requests are admitted (FailClosed
// would refuse them all), the refused reservation is refused alone, and
// the settlement is written once the slot has moved (none dropped, none
// doubled: the usage and the limit are exact after it).
func TestRedisClusterSlotMidMove(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes")
	}
	cl := testredis.StartCluster(t, 3, 1)
	const limit = 5
	cfg := testConfig(limitPolicy("std", lim(time.Hour, limit, 0)))
	cfg.Consumers = []config.Consumer{{Name: "mover", Policies: []string{"std"}}, {Name: "stayer", Policies: []string{"std"}}}
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
		Redis: &config.Redis{Mode: config.RedisCluster, Addresses: cl.Addrs(), Timeout: config.D(200 * time.Millisecond)}}
	clk := newClock(t0)
	e := newEngine(t, cfg, clk, WithAsyncSettle(0))
	ctx := context.Background()
	admit := func(who string) (*Ticket, string) {
		t.Helper()
		c := call("gpt-4o", 5, 5)
		c.Consumer = who
		tk, d, err := e.Admit(ctx, c)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		if d != nil {
			return nil, d.Code
		}
		return tk, ""
	}
	mustServe := func(who, when string) {
		t.Helper()
		tk, why := admit(who)
		if tk == nil {
			t.Fatalf("%s %s: refused (%s)", who, when, why)
		}
		settle(t, tk, 3, 4, 0)
	}
	mustServe("mover", "before the move")
	mustServe("stayer", "before the move")
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	slot := cl.Nodes[0].KeySlot(t, "mover")
	var src, dst *testredis.Server
	for _, m := range cl.Nodes[:3] {
		if m.CountKeysInSlot(t, slot) > 0 {
			src = m
		} else if dst == nil {
			dst = m
		}
	}
	if src == nil || cl.Nodes[0].KeySlot(t, "stayer") == slot {
		t.Fatalf("slot %d: no master holds the consumer's keys, or both consumers share it", slot)
	}
	srcID, dstID := src.ID(t), dst.ID(t)
	s := strconv.Itoa(slot)
	dst.Cli(t, "cluster", "setslot", s, "importing", srcID)
	src.Cli(t, "cluster", "setslot", s, "migrating", dstID)
	keys := strings.Fields(src.Cli(t, "cluster", "getkeysinslot", s, "100"))
	var usageKey string
	var rest []string
	for _, k := range keys {
		if strings.Contains(k, ":settled:") {
			rest = append(rest, k)
			continue
		}
		if usageKey == "" && strings.Contains(k, "}:u:") {
			usageKey = k
			continue
		}
		rest = append(rest, k)
	}
	if usageKey == "" || len(rest) == 0 {
		t.Fatalf("slot %d holds %q: want the usage hash and other keys", slot, keys)
	}

	// Migrating, nothing moved yet: the reservation finds all its keys on
	// the source and is served; its settlement creates a marker there and
	// gets TRYAGAIN, so the settler holds it for its next attempt.
	tk, why := admit("mover")
	if tk == nil {
		t.Fatalf("mover, its slot migrating, keys all on the source: refused (%s)", why)
	}
	settle(t, tk, 3, 4, 0)
	for until := time.Now().Add(10 * time.Second); settlements(t, e, "retried") == 0; {
		if time.Now().After(until) {
			t.Fatalf("the settlement on the migrating slot was not refused and retried (written %v, dropped %v)",
				settlements(t, e, "written"), settlements(t, e, "dropped"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if tk, why := admit("stayer"); tk == nil {
		t.Fatalf("stayer, after a settlement on another consumer's moving slot failed: refused (%s): the circuit opened", why)
	}

	// Half moved (the usage hash is on the destination, the counters on
	// the source): the reservation gets TRYAGAIN for its whole timeout and
	// is refused (FailClosed), alone.
	migrate(t, src, dst, usageKey)
	if tk, why := admit("mover"); tk != nil || why != "ratelimit_unavailable" {
		t.Fatalf("mover, its keys split between two nodes: %v %q, want refused as ratelimit_unavailable", tk != nil, why)
	}
	if n := testutil.ToFloat64(e.m.storeErrors.WithLabelValues("reserve_slot_moving")); n != 1 {
		t.Errorf("reserve_slot_moving = %v, want 1", n)
	}
	if e.b.isDegraded() {
		t.Fatal("the circuit opened for one slot being moved")
	}
	mustServe("stayer", "while another consumer's slot is half moved")

	// The move ends: the held settlement is written (once), and the limit
	// is exact: 2 admitted before, 3 more now, then refused.
	migrate(t, src, dst, rest...)
	for _, m := range cl.Nodes[:3] {
		m.Cli(t, "cluster", "setslot", s, "node", dstID)
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := settlements(t, e, "dropped"); n != 0 {
		t.Fatalf("%v settlements dropped", n)
	}
	for range limit - 2 {
		mustServe("mover", "after the move")
	}
	if tk, why := admit("mover"); tk != nil || why != "rate_limit_exceeded" {
		t.Fatalf("mover past its limit of %d after the move: %v %q", limit, tk != nil, why)
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sum, err := e.Usage(ctx, "mover")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Requests != limit || sum.InputTokens != 3*limit || sum.OutputTokens != 4*limit {
		t.Errorf("mover's usage after the move: %+v, want %d requests, %d in, %d out", sum, limit, 3*limit, 4*limit)
	}
	if n := dst.CountKeysInSlot(t, slot); n == 0 || src.CountKeysInSlot(t, slot) != 0 {
		t.Errorf("slot %d: %d keys on the destination, %d on the source", slot, n, src.CountKeysInSlot(t, slot))
	}
}

// migrate moves keys from src to dst with MIGRATE, as redis-cli does.
func migrate(t *testing.T, src, dst *testredis.Server, keys ...string) {
	t.Helper()
	host, port, _ := strings.Cut(dst.Addr, ":")
	args := append([]string{"migrate", host, port, "", "0", "5000", "keys"}, keys...)
	if out := src.Cli(t, args...); out != "OK" {
		t.Fatalf("MIGRATE %v: %q", keys, out)
	}
}
