package responsestate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// On a real Redis Cluster with slots moving (redis-cli --cluster reshard
// of 1,000 slots), stored responses stay readable and new ones are
// stored: the client follows ASK and MOVED (a record is one key, so no
// TRYAGAIN). Every record is there after the move.
func TestRedisClusterReshardKeepsRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes and moves slots")
	}
	cl := testredis.StartCluster(t, 3, 1)
	s, closer, err := Dial(&config.Redis{Mode: config.RedisCluster, Addresses: cl.Addrs()}, "tollgate:ns/gw:", Options{Timeout: 5 * time.Second}) // generous: slot answers are tested, not latency
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	ctx := context.Background()
	const before = 1000
	for i := range before {
		if err := s.Put(ctx, record(fmt.Sprintf("c%d", i%10), fmt.Sprintf("resp_%d", i), 200)); err != nil {
			t.Fatal(err)
		}
	}

	var moving atomic.Bool
	moving.Store(true)
	var reads, writes atomic.Int64
	var mu sync.Mutex
	var failures []string
	fail := func(f string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(f, args...))
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for n := 0; moving.Load() && n < 200000; n++ {
				i := (n*4 + w) % before
				if _, err := s.Get(ctx, fmt.Sprintf("c%d", i%10), fmt.Sprintf("resp_%d", i)); err != nil {
					fail("get resp_%d while slots moved: %v", i, err)
					return
				}
				reads.Add(1)
				if n%4 == 0 {
					id := fmt.Sprintf("resp_w%d_%d", w, n)
					if err := s.Put(ctx, record("new", id, 200)); err != nil {
						fail("put %s while slots moved: %v", id, err)
						return
					}
					writes.Add(1)
				}
			}
		})
	}
	mctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	began := time.Now()
	moveErr := cl.Reshard(mctx, cl.Nodes[0], cl.Nodes[1], cl.Nodes[0].ID(t), cl.Nodes[1].ID(t), 1000)
	took := time.Since(began)
	moving.Store(false)
	wg.Wait()
	if moveErr != nil {
		t.Fatal(moveErr)
	}
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("1,000 slots moved in %s under %d reads and %d writes", took.Round(time.Millisecond), reads.Load(), writes.Load())
	if reads.Load() == 0 {
		t.Fatal("no read while the slots moved")
	}
	for i := range before {
		if _, err := s.Get(ctx, fmt.Sprintf("c%d", i%10), fmt.Sprintf("resp_%d", i)); err != nil {
			t.Fatalf("resp_%d after the move: %v", i, err)
		}
	}
	if err := s.Delete(ctx, "c0", "resp_0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "c0", "resp_0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted record: %v", err)
	}
}
