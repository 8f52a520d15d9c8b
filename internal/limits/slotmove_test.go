package limits

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// slotMasters are, of the three masters of cl, the one that holds keys
// in slot (nil when none does) and another one.
func slotMasters(t *testing.T, cl *testredis.Cluster, slot int) (src, dst *testredis.Server) {
	t.Helper()
	for _, m := range cl.Nodes[:3] {
		if m.CountKeysInSlot(t, slot) > 0 {
			src = m
		} else if dst == nil {
			dst = m
		}
	}
	return src, dst
}

// A slot held open mid-move, step by step as redis-cli --cluster reshard
// does it (CLUSTER SETSLOT IMPORTING and MIGRATING, MIGRATE of the keys,
// SETSLOT NODE), twice. First with nothing moved yet: a settlement on it
// (its marker is a new key) gets TRYAGAIN until the move ends, and is
// retried; the circuit stays closed, so the other consumer's requests are
// admitted (FailClosed would refuse them all), and the settlement is
// written once the slot has moved. Then back, half moved: a reservation
// whose keys are split between the nodes gets TRYAGAIN for its whole
// timeout and is refused alone. The limit and usage are exact after both
// moves (none dropped, none doubled).
//
// The store timeout is generous (3 s): the test is about slot answers,
// not latency, and a busy machine must not time a call out. Each held
// step waits for a condition (the settler's retry), never a sleep, and
// the steps a held settlement waits through are fast (a few redis-cli
// calls, well inside the settler's ~9 s of attempts).
func TestRedisClusterSlotMidMove(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes")
	}
	cl := testredis.StartCluster(t, 3, 1)
	const limit = 5
	cfg := testConfig(limitPolicy("std", lim(time.Hour, limit, 0)))
	cfg.Consumers = consumersOf([]string{"mover", "stayer"}, "std")
	cfg.Limits = clusterStore(cl, 3*time.Second)
	clk := testclock.New(t0)
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
	mustServe("mover", "before the moves")
	mustServe("stayer", "before the moves")
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	slot := cl.Nodes[0].KeySlot(t, "mover")
	src, dst := slotMasters(t, cl, slot)
	if src == nil || cl.Nodes[0].KeySlot(t, "stayer") == slot {
		t.Fatalf("slot %d: no master holds the consumer's keys, or both consumers share it", slot)
	}
	masters := cl.Nodes[:3]

	// Migrating, nothing moved yet: the reservation finds all its keys on
	// the source and is served; its settlement creates a marker there and
	// gets TRYAGAIN, so the settler holds it for its next attempt.
	openSlot(t, slot, src, dst)
	tk, why := admit("mover")
	if tk == nil {
		t.Fatalf("mover, its slot migrating, keys all on the source: refused (%s)", why)
	}
	settle(t, tk, 3, 4, 0)
	for until := time.Now().Add(30 * time.Second); settlements(t, e, "retried") == 0; {
		if time.Now().After(until) {
			t.Fatalf("the settlement on the migrating slot was not refused and retried (written %v, dropped %v)",
				settlements(t, e, "written"), settlements(t, e, "dropped"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := testutil.ToFloat64(e.m.storeErrors.WithLabelValues("settle_slot_moving")); n < 1 {
		t.Errorf("settle_slot_moving = %v, want at least 1", n)
	}
	if e.b.isDegraded() {
		t.Fatal("the circuit opened for a settlement on one slot being moved")
	}
	if tk, why := admit("stayer"); tk == nil {
		t.Fatalf("stayer, after a settlement on another consumer's moving slot failed: refused (%s): the circuit opened", why)
	}
	closeSlot(t, slot, src, dst, masters, strings.Fields(src.Cli(t, "cluster", "getkeysinslot", strconv.Itoa(slot), "100"))...)
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := settlements(t, e, "dropped"); n != 0 {
		t.Fatalf("%v settlements dropped", n)
	}

	// Back, half moved (the usage hash on the source again, the counters
	// still on the destination): the reservation gets TRYAGAIN for its
	// whole timeout and is refused (FailClosed), alone.
	src, dst = dst, src
	openSlot(t, slot, src, dst)
	var usageKey string
	var rest []string
	for _, k := range strings.Fields(src.Cli(t, "cluster", "getkeysinslot", strconv.Itoa(slot), "100")) {
		if usageKey == "" && strings.Contains(k, "}:u:") {
			usageKey = k
			continue
		}
		rest = append(rest, k)
	}
	if usageKey == "" || len(rest) == 0 {
		t.Fatalf("slot %d holds the usage hash %q and %q: want both", slot, usageKey, rest)
	}
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
	closeSlot(t, slot, src, dst, masters, rest...)

	// The limit is exact: 2 admitted before, 3 more now, then refused.
	for range limit - 2 {
		mustServe("mover", "after the moves")
	}
	if tk, why := admit("mover"); tk != nil || why != "rate_limit_exceeded" {
		t.Fatalf("mover past its limit of %d after the moves: %v %q", limit, tk != nil, why)
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sum, err := e.Usage(ctx, "mover")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Requests != limit || sum.InputTokens != 3*limit || sum.OutputTokens != 4*limit {
		t.Errorf("mover's usage after the moves: %+v, want %d requests, %d in, %d out", sum, limit, 3*limit, 4*limit)
	}
	if n := dst.CountKeysInSlot(t, slot); n == 0 || src.CountKeysInSlot(t, slot) != 0 {
		t.Errorf("slot %d: %d keys on the destination, %d on the source", slot, n, src.CountKeysInSlot(t, slot))
	}
}

// A settlement batch with ops on a slot held mid-move, in the order that
// go-redis v9.23.0's Cluster pipeline mishandled: first an op whose
// counter is on the source and whose marker is new (TRYAGAIN), then an op
// whose only key is new (ASK: it goes to the destination). That pipeline
// queued the second op for the destination and then, the first command of
// the source's share having got TRYAGAIN, queued the whole share again for
// the source: one command in two node pipelines at once (a data race under
// -race) and, with no marker to stop it, applied twice. The store's own
// per-master pipelines send each refused op again alone: the second is
// applied once on the destination, the first fails alone (errSlotMoving,
// not the batch) after its timeout, an op on another slot is applied at
// once, and after the move the same batch applies the first and finds the
// others' markers or values as they were.
func TestRedisClusterSettleBatchSlotMidMove(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes")
	}
	cl := testredis.StartCluster(t, 3, 1)
	r, err := NewRedis(&config.Redis{Mode: config.RedisCluster, Addresses: cl.Addrs(), Timeout: config.D(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	answers := hookSlotAnswers(t, r)
	ctx := context.Background()
	held := Counter{Key: "{midmove}:held", Amount: 5, TTL: time.Hour}
	fresh := Counter{Key: "{midmove}:fresh", Amount: 7, TTL: time.Hour}
	other := Counter{Key: "{elsewhere}:c", Amount: 11, TTL: time.Hour}
	if _, err := r.Add(ctx, []Counter{held}); err != nil {
		t.Fatal(err)
	}
	slot := cl.Nodes[0].KeySlot(t, "{midmove}")
	if cl.Nodes[0].KeySlot(t, "{elsewhere}") == slot {
		t.Fatal("both tags share a slot")
	}
	src, dst := slotMasters(t, cl, slot)
	if src == nil {
		t.Fatalf("slot %d: no master holds %s", slot, held.Key)
	}
	ops := []SettleOp{
		{Counters: []Counter{held}, Markers: []string{"{midmove}:settled:1"}},
		{Counters: []Counter{fresh}},
		{Counters: []Counter{other}, Markers: []string{"{elsewhere}:settled:1"}},
	}
	openSlot(t, slot, src, dst)
	res, errs, err := r.SettleBatch(ctx, ops, time.Minute)
	if err != nil {
		t.Fatalf("the batch failed as a whole: %v", err)
	}
	if !errors.Is(errs[0], errSlotMoving) {
		t.Errorf("the op on the migrating slot with its marker new: %v, want errSlotMoving", errs[0])
	}
	if errs[1] != nil || !slices.Equal(res[1].Values, []int64{7}) {
		t.Errorf("the op with only a new key (ASK): %+v %v, want applied once: [7]", res[1], errs[1])
	}
	if errs[2] != nil || !slices.Equal(res[2].Values, []int64{11}) {
		t.Errorf("the op on another slot: %+v %v, want [11]", res[2], errs[2])
	}
	if answers.get("TRYAGAIN") == 0 || answers.get("ASK") == 0 {
		t.Fatalf("the nodes answered TRYAGAIN %d, ASK %d times: the batch did not meet a slot mid-move", answers.get("TRYAGAIN"), answers.get("ASK"))
	}

	closeSlot(t, slot, src, dst, cl.Nodes[:3], held.Key)
	res, errs, err = r.SettleBatch(ctx, ops, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || !slices.Equal(res[0].Values, []int64{10}) {
		t.Errorf("the held op after the move: %+v %v, want applied: [10]", res[0], errs[0])
	}
	if errs[1] != nil || !slices.Equal(res[1].Values, []int64{14}) {
		t.Errorf("the unmarked op sent again: %+v %v, want [14] (applied once per batch)", res[1], errs[1])
	}
	if errs[2] != nil || !slices.Equal(res[2].Settled, []bool{true}) {
		t.Errorf("the op on another slot sent again: %+v %v, want its marker found", res[2], errs[2])
	}
	if answers.get("MOVED") == 0 {
		t.Error("no MOVED after the slot moved: the client's slot map was not stale")
	}
	got, err := r.Counters(ctx, []string{held.Key, fresh.Key, other.Key})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int64{10, 14, 11}) {
		t.Errorf("counters after the move: %v, want [10 14 11]", got)
	}
	t.Logf("the nodes answered TRYAGAIN %d, ASK %d, MOVED %d times", answers.get("TRYAGAIN"), answers.get("ASK"), answers.get("MOVED"))
}

// openSlot starts moving slot from src to dst as redis-cli does (SETSLOT
// IMPORTING on dst, then MIGRATING on src); no key moves yet.
func openSlot(t *testing.T, slot int, src, dst *testredis.Server) {
	t.Helper()
	s := strconv.Itoa(slot)
	dst.Cli(t, "cluster", "setslot", s, "importing", src.ID(t))
	src.Cli(t, "cluster", "setslot", s, "migrating", dst.ID(t))
}

// closeSlot ends the move of slot: keys still on src go to dst, then
// every master learns that dst owns it (SETSLOT NODE).
func closeSlot(t *testing.T, slot int, src, dst *testredis.Server, masters []*testredis.Server, keys ...string) {
	t.Helper()
	if len(keys) > 0 {
		migrate(t, src, dst, keys...)
	}
	id := dst.ID(t)
	for _, m := range masters {
		m.Cli(t, "cluster", "setslot", strconv.Itoa(slot), "node", id)
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
