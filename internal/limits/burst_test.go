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

// TestRedisBurstIsNotAnOutage: 1,000 requests admitted at once (what
// hack/bench's memory phase does with 1,000 streams) on a healthy Redis
// with failure mode Closed. They queue for the pool's connections; the
// queueing must not count against the store's timeout, or the last of
// them time out, open the circuit and are refused as
// ratelimit_unavailable (the 2 streams in 1,000 issue 23 saw lost).
func TestRedisBurstIsNotAnOutage(t *testing.T) {
	srv := testredis.Start(t)
	cfg := redisConfig(srv.Addr, config.FailClosed, time.Second, limitPolicy("std", lim(time.Hour, 1<<40, 1<<50)))
	e := newEngine(t, cfg, testclock.New(t0), WithAsyncSettle(0))
	var refused atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 1000 {
		wg.Go(func() {
			<-start
			tk, d, err := e.Admit(context.Background(), call("gpt-4o", 500, 256))
			if err != nil {
				t.Error(err)
				return
			}
			if d != nil {
				refused.Add(1)
				first.CompareAndSwap(nil, d.Code+": "+d.Message)
				return
			}
			if err := tk.Settle(context.Background(), usage(400, 100), 0); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := refused.Load(); n > 0 {
		t.Fatalf("%d of 1,000 concurrent requests refused on a healthy Redis (first: %v)", n, first.Load())
	}
}

// TestRedisWaitForAConnectionIsNotTimed: with every connection slot taken
// for longer than the store's timeout (but less than the queue wait), a
// reservation waits for a slot and then succeeds: only the store's own
// answer is held to the timeout, so queueing is not an outage.
func TestRedisWaitForAConnectionIsNotTimed(t *testing.T) {
	srv := testredis.Start(t)
	const timeout = 200 * time.Millisecond
	cfg := redisConfig(srv.Addr, config.FailClosed, timeout, limitPolicy("std", lim(time.Hour, 100, 0)))
	e := newEngine(t, cfg, testclock.New(t0))
	r := e.b.primary.(*Redis)
	for range cap(r.slots) {
		r.slots <- struct{}{}
	}
	go func() {
		time.Sleep(3 * timeout) // under config.DefaultRedisQueueWait
		for range cap(r.slots) {
			<-r.slots
		}
	}()
	tk := mustAdmit(t, e, call("gpt-4o", 5, 5))
	if tk.Degraded() || e.Degraded() {
		t.Fatal("waiting for a connection was taken for an outage")
	}
}
