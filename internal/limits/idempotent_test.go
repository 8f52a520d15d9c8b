package limits

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// lossyRedis is a real Redis store whose first failFirst settlement
// batches fail before reaching Redis, and whose next lose batches are
// applied by Redis but answered with an error, as when the answer is lost
// to a timeout or a failover after the script ran. With alternate, every
// other batch's answer is lost (the settler sends batches one at a time,
// so each batch is lost once, then sent again).
type lossyRedis struct {
	*Redis
	lose, failFirst atomic.Int64
	alternate       bool
	batches         atomic.Int64
}

func (l *lossyRedis) SettleBatch(ctx context.Context, ops []SettleOp, ttl time.Duration) ([]SettleResult, []error, error) {
	n := l.batches.Add(1)
	if l.failFirst.Add(-1) >= 0 {
		return nil, nil, errors.New("redis limit store: connection refused (test)")
	}
	res, errs, err := l.Redis.SettleBatch(ctx, ops, ttl)
	if err == nil && (l.lose.Add(-1) >= 0 || (l.alternate && n%2 == 1)) {
		return nil, nil, errors.New("redis limit store: i/o timeout (test: applied, answer lost)")
	}
	return res, errs, err
}

// A settlement applied twice by marker is charged once: the second call
// finds its marker and writes nothing.
func TestRedisSettleBatchIsIdempotentByMarker(t *testing.T) {
	srv := testredis.Start(t)
	r, err := NewRedis(&config.Redis{Addresses: []string{srv.Addr}, Timeout: config.D(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	key := "tg:{team}:usage"
	op := SettleOp{
		Counters: []Counter{{Key: key, Field: "in", Amount: 7, TTL: time.Hour}, {Key: "tg:{team}:tpm", Amount: -3, TTL: time.Hour}},
		Markers:  []string{markerKey(key, "a-1"), markerKey(key, "a-2")},
	}
	for round, want := range []bool{true, false} {
		res, errs, err := r.SettleBatch(ctx, []SettleOp{op}, time.Minute)
		if err != nil || errs[0] != nil {
			t.Fatalf("round %d: %v %v", round, err, errs)
		}
		if applied := res[0].Values != nil; applied != want {
			t.Fatalf("round %d: applied = %v, want %v (%+v)", round, applied, want, res[0])
		}
		if !want && (len(res[0].Settled) != 2 || !res[0].Settled[0] || !res[0].Settled[1]) {
			t.Fatalf("round %d: settled = %v, want both markers found", round, res[0].Settled)
		}
	}
	if v, _ := r.Client().HGet(ctx, key, "in").Int64(); v != 7 {
		t.Fatalf("usage field after two settlements of one id = %d, want 7", v)
	}
	if v, _ := r.Client().Get(ctx, "tg:{team}:tpm").Int64(); v != -3 {
		t.Fatalf("counter after two settlements of one id = %d, want -3", v)
	}
	ttl, err := r.Client().PTTL(ctx, op.Markers[0]).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("marker TTL = %v (%v), want (0, 1m]", ttl, err)
	}
	// One id already settled, one new: nothing is written, and the caller
	// learns which is which.
	op2 := op
	op2.Markers = []string{op.Markers[0], markerKey(key, "a-3")}
	res, _, err := r.SettleBatch(ctx, []SettleOp{op2}, time.Minute)
	if err != nil || res[0].Values != nil || !res[0].Settled[0] || res[0].Settled[1] {
		t.Fatalf("mixed markers: %+v %v, want nothing applied and only the first settled", res[0], err)
	}
	if v, _ := r.Client().HGet(ctx, key, "in").Int64(); v != 7 {
		t.Fatalf("usage field after a refused mixed settlement = %d, want 7", v)
	}
}

// The queued settlements' first batch is applied by Redis but its answer
// is lost: the settler sends it again, and nothing is charged twice.
func TestAsyncSettleRetryAfterALostAnswerDoesNotDoubleCharge(t *testing.T) {
	srv := testredis.Start(t)
	cfg := redisConfig(srv.Addr, config.FailClosed, time.Second, limitPolicy("std", lim(time.Hour, 1000, 1000000)))
	r, err := NewRedis(cfg.Limits.Redis)
	if err != nil {
		t.Fatal(err)
	}
	store := &lossyRedis{Redis: r}
	store.lose.Store(1)
	store.failFirst.Store(1)
	// The circuit's backoff runs on the engine's clock: a real one here,
	// as the settler's retries wait in real time.
	e := newEngine(t, cfg, testclock.New(t0), WithStore(store), WithAsyncSettle(0), WithClock(time.Now), WithBackoff(20*time.Millisecond))
	const n = 20
	tickets := make([]*Ticket, n)
	for i := range tickets {
		tickets[i] = mustAdmit(t, e, call("gpt-4o", 100, 100))
	}
	for _, tk := range tickets {
		settle(t, tk, 10, 20, 0)
	}
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := e.Usage(context.Background(), "team")
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != n || s.InputTokens != n*10 || s.OutputTokens != n*20 {
		t.Fatalf("usage %+v, want exactly %d requests, %d in, %d out (a retried settlement charged twice, or lost)", s, n, n*10, n*20)
	}
	if got := settlements(t, e, "dropped"); got != 0 {
		t.Errorf("dropped = %v, want 0", got)
	}
	if got := settlements(t, e, "retried"); got == 0 {
		t.Errorf("retried = 0: the lost answers were not sent again (batches %d)", store.batches.Load())
	}
	if got := settlements(t, e, "written"); got != n {
		t.Errorf("written = %v, want %d", got, n)
	}
}

// On a real Redis Cluster, with consumers over every slot and every
// settlement batch's first answer lost after it was applied, each
// consumer is charged exactly once per request.
func TestRedisClusterRepeatedSettlementDoesNotDoubleCharge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes")
	}
	cl := testredis.StartCluster(t, 3, 1)
	const consumers = 60
	cfg := testConfig(limitPolicy("std", lim(time.Hour, 100, 1000000)))
	names := teamNames(consumers)
	cfg.Consumers = consumersOf(names, "std")
	cfg.Limits = clusterStore(cl, 2*time.Second)
	r, err := NewRedis(cfg.Limits.Redis)
	if err != nil {
		t.Fatal(err)
	}
	store := &lossyRedis{Redis: r, alternate: true}
	e := newEngine(t, cfg, testclock.New(t0), WithStore(store), WithAsyncSettle(0), WithClock(time.Now), WithBackoff(20*time.Millisecond))
	ctx := context.Background()
	// Every admission before any settlement: a lost batch opens the
	// circuit for the backoff, and an admission in that window would be
	// refused (FailClosed), which is not what this test is about.
	var tickets []*Ticket
	for _, name := range names {
		for range 2 {
			c := call("gpt-4o", 100, 100)
			c.Consumer = name
			tickets = append(tickets, mustAdmit(t, e, c))
		}
	}
	for _, tk := range tickets {
		settle(t, tk, 4, 6, 0)
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if store.batches.Load() < 2 || settlements(t, e, "retried") == 0 {
		t.Fatalf("%d batches, %v retried: no answer was lost", store.batches.Load(), settlements(t, e, "retried"))
	}
	sums, err := e.UsageBatch(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.Requests != 2 || s.InputTokens != 8 || s.OutputTokens != 12 {
			t.Errorf("%s: usage %+v, want 2 requests, 8 in, 12 out", s.Consumer, s)
		}
	}
	if got := settlements(t, e, "dropped"); got != 0 {
		t.Errorf("dropped = %v, want 0", got)
	}
	for _, m := range cl.Nodes[:3] {
		if n := m.DBSize(t); n == 0 {
			t.Errorf("master %s holds no key: consumers not spread over the slots", m.Addr)
		}
	}
}
