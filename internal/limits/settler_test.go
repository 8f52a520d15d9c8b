package limits

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// gatedStore blocks its first Add until gate is closed, and counts calls.
type gatedStore struct {
	*Local
	gate     chan struct{}
	first    atomic.Bool
	entered  chan struct{}
	reserves atomic.Int64
	adds     atomic.Int64
}

func newGatedStore(clk *testclock.Clock) *gatedStore {
	return &gatedStore{Local: NewLocal(0, clk.Now), gate: make(chan struct{}), entered: make(chan struct{})}
}

func (g *gatedStore) Reserve(ctx context.Context, cs []Counter) (Reservation, error) {
	g.reserves.Add(1)
	return g.Local.Reserve(ctx, cs)
}

func (g *gatedStore) Add(ctx context.Context, cs []Counter) ([]int64, error) {
	g.adds.Add(1)
	if g.first.CompareAndSwap(false, true) {
		close(g.entered)
		<-g.gate
	}
	return g.Local.Add(ctx, cs)
}

func settlements(t *testing.T, e *Engine, result string) float64 {
	t.Helper()
	return testutil.ToFloat64(e.m.settlements.WithLabelValues(result))
}

func TestAsyncSettleWritesToRedisInBatches(t *testing.T) {
	srv := testredis.Start(t)
	cfg := redisConfig(srv.Addr, config.FailClosed, time.Second, limitPolicy("std", lim(time.Hour, 1000, 1000000)))
	e := newEngine(t, cfg, testclock.New(t0), WithAsyncSettle(0))
	const n = 50
	tickets := make([]*Ticket, n)
	for i := range tickets {
		tickets[i] = mustAdmit(t, e, call("gpt-4o", 100, 100))
	}
	for _, tk := range tickets {
		settle(t, tk, 10, 20, 0) // 170 tokens fewer than reserved each
	}
	if err := e.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if got := settlements(t, e, "written"); got != n {
		t.Fatalf("written settlements = %v, want %d", got, n)
	}
	// The last ticket's headers reflect every settlement before it.
	if got := tickets[n-1].Headers().Get(HeaderRemainingTokens); got != "998500" { // 1e6 - 50*30
		t.Errorf("remaining tokens after the settlements = %s, want 998500", got)
	}
	s, err := e.Usage(context.Background(), "team")
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != n || s.InputTokens != n*10 || s.OutputTokens != n*20 {
		t.Errorf("usage %+v, want %d requests, %d in, %d out", s, n, n*10, n*20)
	}
}

func TestAsyncSettleSurvivesAScriptFlush(t *testing.T) {
	srv := testredis.Start(t)
	cfg := redisConfig(srv.Addr, config.FailClosed, time.Second, limitPolicy("std", lim(time.Hour, 0, 10000)))
	e := newEngine(t, cfg, testclock.New(t0), WithAsyncSettle(0))
	tk := mustAdmit(t, e, call("gpt-4o", 100, 100))
	r, err := NewRedis(cfg.Limits.Redis)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Client().ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatalf("SCRIPT FLUSH: %v", err)
	}
	settle(t, tk, 50, 50, 0)
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := settlements(t, e, "written"); got != 1 {
		t.Fatalf("written = %v, dropped = %v; want the settlement written after reloading the script", got, settlements(t, e, "dropped"))
	}
	if got := tk.Headers().Get(HeaderRemainingTokens); got != "9900" {
		t.Errorf("remaining = %s, want 9900", got)
	}
}

func TestAsyncSettleFullQueueSettlesSynchronously(t *testing.T) {
	clk := testclock.New(t0)
	st := newGatedStore(clk)
	e := newEngine(t, testConfig(limitPolicy("std", lim(time.Hour, 0, 10000))), clk, WithStore(st), WithAsyncSettle(1))
	tks := []*Ticket{mustAdmit(t, e, call("m", 100, 100)), mustAdmit(t, e, call("m", 100, 100)), mustAdmit(t, e, call("m", 100, 100))}
	settle(t, tks[0], 0, 0, 0) // taken by the writer, which blocks in Add
	<-st.entered
	settle(t, tks[1], 0, 0, 0) // fills the queue of one
	settle(t, tks[2], 0, 0, 0) // the queue is full: written here
	if got := settlements(t, e, "queue_full"); got != 1 {
		t.Fatalf("queue_full = %v, want 1", got)
	}
	if got := tks[2].Headers().Get(HeaderRemainingTokens); got != "9600" { // 3×200 reserved, 200 returned
		t.Errorf("synchronously settled ticket: remaining = %s, want 9600", got)
	}
	close(st.gate)
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := mustAdmit(t, e, call("m", 0, 1))
	if got := fresh.Headers().Get(HeaderRemainingTokens); got != "9999" {
		t.Errorf("after every settlement: remaining = %s, want 9999", got)
	}
}

func TestAsyncSettleDropsWhenTheStoreIsDown(t *testing.T) {
	e, st, _ := flakyEngine(t, lim(time.Hour, 0, 10000), WithAsyncSettle(0))
	tk := mustAdmit(t, e, call("m", 100, 100))
	st.down.Store(true)
	if err := tk.Settle(context.Background(), usage(1, 1), 0); err != nil {
		t.Fatalf("a queued settlement reported %v", err)
	}
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := settlements(t, e, "dropped"); got != 1 {
		t.Errorf("dropped = %v, want 1", got)
	}
	if !e.Degraded() {
		t.Error("a failed background write did not open the circuit")
	}
}

func TestAsyncSettleCloseWritesTheQueue(t *testing.T) {
	srv := testredis.Start(t)
	cfg := redisConfig(srv.Addr, config.FailClosed, time.Second, limitPolicy("std", lim(time.Hour, 0, 1000000)))
	clk := testclock.New(t0)
	e, err := New(cfg, WithClock(clk.Now), WithRegisterer(prometheus.NewRegistry()), WithAsyncSettle(0))
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		settle(t, mustAdmit(t, e, call("gpt-4o", 100, 100)), 1, 2, 0)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	reader := newEngine(t, cfg, clk)
	s, err := reader.Usage(context.Background(), "team")
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 20 || s.InputTokens != 20 || s.OutputTokens != 40 {
		t.Errorf("usage after Close %+v, want 20 requests, 20 in, 40 out", s)
	}
	// A settlement after Close is written synchronously (and fails: the
	// store is closed) rather than lost in a closed queue.
	if err := e.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
}

func TestUnlimitedConsumerIsNotReservedSynchronously(t *testing.T) {
	clk := testclock.New(t0)
	st := newGatedStore(clk)
	close(st.gate)
	e := newEngine(t, testConfig(), clk, WithStore(st), WithAsyncSettle(0))
	for range 5 {
		settle(t, mustAdmit(t, e, call("m", 10, 10)), 3, 4, 0)
	}
	if n := st.reserves.Load(); n != 0 {
		t.Errorf("a consumer with no limits made %d reservation round trips", n)
	}
	s, err := e.Usage(context.Background(), "team")
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 5 || s.InputTokens != 15 || s.OutputTokens != 20 {
		t.Errorf("usage %+v, want 5 requests, 15 in, 20 out", s)
	}
	// With the store known down, the failure mode decides again.
	limited := newEngine(t, testConfig(), clk, WithStore(&flakyStore{Local: NewLocal(0, clk.Now)}), WithAsyncSettle(0))
	limited.b.failed("test")
	if tk := mustAdmit(t, limited, call("m", 1, 1)); !tk.Degraded() {
		t.Error("with the store down, an unlimited consumer was not counted in the fallback")
	}
}

func TestMergeSumsOneConsumersSettlements(t *testing.T) {
	a1 := []Counter{{Key: "p:{a}:t", Amount: -5, TTL: time.Minute}, {Key: "p:{a}:u", Field: "in", Amount: 3, TTL: time.Hour}}
	a2 := []Counter{{Key: "p:{a}:t", Amount: -7, TTL: 2 * time.Minute}, {Key: "p:{a}:u", Field: "out", Amount: 4, TTL: time.Hour}}
	b1 := []Counter{{Key: "p:{b}:t", Amount: 9, Limit: 100, TTL: time.Minute}}
	groups, where, n := merge([]settleJob{{cs: a1}, {barrier: make(chan struct{})}, {cs: b1}, {cs: a2}})
	if n != 3 || len(groups) != 2 || where[0] != 0 || where[1] != -1 || where[2] != 1 || where[3] != 0 {
		t.Fatalf("merge: n=%d groups=%d where=%v", n, len(groups), where)
	}
	a := groups[0].cs
	if len(a) != 3 || a[0].Amount != -12 || a[0].TTL != 2*time.Minute || a[1].Amount != 3 || a[2].Field != "out" || a[2].Amount != 4 {
		t.Errorf("consumer a merged into %+v", a)
	}
	if b := groups[1].cs; len(b) != 1 || b[0].Amount != 9 || b[0].Limit != 0 {
		t.Errorf("consumer b merged into %+v (settlements are never checked)", b)
	}
}
