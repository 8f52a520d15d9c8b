package limits

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// Reshard load: each request is estimated at 10 tokens (5 in, at most 5
// out) and settled at 7 (3 in, 4 out), so a lost settlement leaves 3
// tokens too many on the counter and one applied twice 3 too few.
const (
	reshardIn, reshardOut         = 5, 5
	reshardUsedIn, reshardUsedOut = 3, 4
)

// On a real Redis Cluster, slots move between masters (redis-cli --cluster
// reshard, twice: master 1 → master 2, then on to master 3) while two
// gateways admit and settle requests for consumers on every master, many
// of them in the moving slots. Requests are served throughout: the client
// follows MOVED and ASK, and a multi-key script on a slot half migrated
// (TRYAGAIN) is sent again within the call's timeout, so the failure mode
// never applies (FailClosed would refuse: none is refused). Nothing is
// charged twice or lost: every consumer's usage and token counter are
// exact after the moves, and its token limit admits exactly up to the
// limit. The store timeout is generous (5 s; a settlement still has the
// settler's 1 s): the test checks the slot handling, not latency, and a
// busy machine (make test runs packages in parallel under -race) must not
// time a call out. Under -race it also catches a command shared by two
// node pipelines (batch_redis.go).
func TestRedisClusterReshardUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes and moves slots under load")
	}
	cl := testredis.StartCluster(t, 3, 1)
	m1, m2, m3 := cl.Nodes[0], cl.Nodes[1], cl.Nodes[2]
	// redis-cli moves the lowest slots of the source: the first move takes
	// m1's slots [0, moved) to m2, the second takes them on to m3 (they
	// are then m2's lowest).
	const moved = 1000
	const inMoved, elsewhere = 40, 40
	var names []string
	var movedNames []string
	slotOf := map[string]int{}
	for i := 0; len(movedNames) < inMoved || len(names)-len(movedNames) < elsewhere; i++ {
		name := fmt.Sprintf("team-%04d", i)
		slot := m1.KeySlot(t, escapeTag(name))
		in := slot < moved
		if (in && len(movedNames) >= inMoved) || (!in && len(names)-len(movedNames) >= elsewhere) {
			continue
		}
		names = append(names, name)
		slotOf[name] = slot
		if in {
			movedNames = append(movedNames, name)
		}
	}

	// A consumer may take at most perConsumer requests under load, so the
	// run is bounded in count whatever the speed of the moves.
	const perConsumer = 2000
	const limit = perConsumer*(reshardIn+reshardOut) + 100
	cfg := testConfig(limitPolicy("std", lim(time.Hour, 0, limit)))
	cfg.Consumers = consumersOf(names, "std")
	cfg.Limits = clusterStore(cl, 5*time.Second)
	clk := testclock.New(t0) // 10:20:30: an hour window with 39 minutes left
	engines := []*Engine{
		newEngine(t, cfg, clk, WithAsyncSettle(0), WithBackoff(10*time.Millisecond)),
		newEngine(t, cfg, clk, WithAsyncSettle(0), WithBackoff(10*time.Millisecond)),
	}
	answers := []*slotAnswers{countSlotAnswers(t, engines[0]), countSlotAnswers(t, engines[1])}
	ctx := context.Background()

	ids := []string{m1.ID(t), m2.ID(t), m3.ID(t)}
	var moving atomic.Bool
	moving.Store(true)
	var (
		admitted    = make([]atomic.Int64, len(names))
		duringMoves atomic.Int64 // admissions of consumers in the moving slots while redis-cli ran
		refused     atomic.Int64 // FailClosed refusals (the store failed)
		mu          sync.Mutex
		failures    []string
	)
	fail := func(f string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(f, args...))
		}
	}
	isMoved := make([]bool, len(names))
	for i, n := range names {
		isMoved[i] = slotOf[n] < moved
	}

	var next atomic.Int64
	var wg sync.WaitGroup
	const workers = 8
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			e := engines[w%2]
			for n := 0; ; n++ {
				i := int(next.Add(1)) % len(names)
				if !moving.Load() || admitted[i].Load() >= perConsumer {
					if !moving.Load() {
						return
					}
					if n > perConsumer*len(names) {
						return // every consumer is at its cap
					}
					continue
				}
				c := call("gpt-4o", reshardIn, reshardOut)
				c.Consumer = names[i]
				tk, d, err := e.Admit(ctx, c)
				switch {
				case err != nil:
					fail("%s: admit: %v", names[i], err)
					return
				case d != nil && d.Code == "ratelimit_unavailable":
					refused.Add(1)
					clk.Advance(10 * time.Millisecond) // past the circuit's backoff
					continue
				case d != nil:
					fail("%s: refused under its limit: %s (%s)", names[i], d.Code, d.Message)
					return
				}
				admitted[i].Add(1)
				if isMoved[i] && moving.Load() {
					duringMoves.Add(1)
				}
				if err := tk.Settle(ctx, usage(reshardUsedIn, reshardUsedOut), 0); err != nil {
					fail("%s: settle: %v", names[i], err)
					return
				}
			}
		})
	}
	var moves []time.Duration
	var moveErr error
	for _, mv := range [][2]int{{0, 1}, {1, 2}} {
		began := time.Now()
		mctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		moveErr = cl.Reshard(mctx, cl.Nodes[mv[0]], cl.Nodes[mv[1]], ids[mv[0]], ids[mv[1]], moved)
		cancel()
		moves = append(moves, time.Since(began))
		if moveErr != nil {
			break
		}
	}
	moving.Store(false)
	wg.Wait()
	elapsed := time.Since(start)
	if moveErr != nil {
		t.Fatal(moveErr)
	}
	for _, f := range failures {
		t.Error(f)
	}
	for _, e := range engines {
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	for i := range admitted {
		total += admitted[i].Load()
	}
	var retried, dropped, storeErrs float64
	for _, e := range engines {
		retried += settlements(t, e, "retried")
		dropped += settlements(t, e, "dropped")
		for _, op := range []string{"reserve", "settle", "reserve_slot_moving", "settle_slot_moving"} {
			storeErrs += testutil.ToFloat64(e.m.storeErrors.WithLabelValues(op))
		}
	}
	got := map[string]int{}
	for _, a := range answers {
		for _, k := range []string{"MOVED", "ASK", "TRYAGAIN"} {
			got[k] += a.get(k)
		}
	}
	t.Logf("reshard under load: %d requests admitted and settled in %s (%d for consumers in the moving slots while redis-cli ran); moves of %d slots took %v; the nodes answered MOVED %d, ASK %d, TRYAGAIN %d times; %d refused (FailClosed), %.0f store errors, %.0f settlements retried, %.0f dropped",
		total, elapsed.Round(time.Millisecond), duringMoves.Load(), moved, moves, got["MOVED"], got["ASK"], got["TRYAGAIN"], refused.Load(), storeErrs, retried, dropped)
	if duringMoves.Load() == 0 || got["MOVED"] == 0 {
		t.Fatalf("%d requests of consumers in the moving slots served while they moved, %d MOVED answers: the test did not test a resharding under load", duringMoves.Load(), got["MOVED"])
	}
	if refused.Load() > 0 || storeErrs > 0 {
		t.Errorf("the store failed %.0f times while slots moved (%d requests refused by FailClosed): MOVED, ASK or TRYAGAIN not followed", storeErrs, refused.Load())
	}
	if dropped > 0 {
		t.Errorf("%.0f settlements dropped while slots moved", dropped)
	}

	// The moved consumers' keys are on m3 now, none left on m1 or m2.
	for _, n := range movedNames {
		s := slotOf[n]
		if got := m3.CountKeysInSlot(t, s); got == 0 {
			t.Errorf("%s (slot %d): no key on the master the slot moved to", n, s)
		}
		if got := m1.CountKeysInSlot(t, s) + m2.CountKeysInSlot(t, s); got != 0 {
			t.Errorf("%s (slot %d): %d keys left behind", n, s, got)
		}
	}

	// Usage is exact: every settlement applied once.
	sums, err := engines[0].UsageBatch(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range sums {
		a := admitted[i].Load()
		if s.Requests != a || s.InputTokens != reshardUsedIn*a || s.OutputTokens != reshardUsedOut*a {
			t.Errorf("%s: usage %+v after %d requests, want %d in, %d out", s.Consumer, s, a, reshardUsedIn*a, reshardUsedOut*a)
		}
	}

	// Enforcement is exact: what is left of each token limit is admitted,
	// one token more is not.
	for i, n := range names {
		e := engines[i%2]
		left := limit - (reshardUsedIn+reshardUsedOut)*admitted[i].Load()
		c := Call{Consumer: n, Model: "gpt-4o", InputTokens: 1, MaxOutputTokens: left}
		if _, d, err := e.Admit(ctx, c); err != nil || d == nil || d.Code != "rate_limit_exceeded" {
			t.Errorf("%s: %d tokens with %d left: want rate_limit_exceeded, got %+v %v", n, left+1, left, d, err)
			continue
		}
		c.MaxOutputTokens = left - 1
		tk, d, err := e.Admit(ctx, c)
		if err != nil || d != nil {
			t.Errorf("%s: the last %d tokens refused: %+v %v", n, left, d, err)
			continue
		}
		settle(t, tk, 1, left-1, 0)
		c.MaxOutputTokens = 0
		c.InputTokens = 1
		if _, d, err := engines[(i+1)%2].Admit(ctx, c); err != nil || d == nil || d.Code != "rate_limit_exceeded" {
			t.Errorf("%s: a request past the exhausted limit: want rate_limit_exceeded, got %+v %v", n, d, err)
		}
	}
}
