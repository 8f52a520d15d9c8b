package activity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// The Redis store on a single redis-server and on a real Redis Cluster
// (three masters, a replica each): every record written is read back by
// its consumer and by the admin, in order, paged without a loss or a
// repeat; another consumer cannot read it; captured bodies are kept apart
// and read back. On the Cluster the keys spread over every master, so the
// pipelined batches really are split by node.
func TestRedisStoreOnOneServerAndOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server processes")
	}
	testredis.EachTopology(t, func(t *testing.T, dial func() redis.UniversalClient) { checkRedisStore(t, dial()) })
}

func checkRedisStore(t *testing.T, c redis.UniversalClient) {
	const consumers, each = 24, 15
	now := time.Now()
	st := NewRedis(c, "tg:test:", Options{Retention: time.Hour, MaxRecords: 100, MaxAdmin: 1000, Queue: 1024, Timeout: 5 * time.Second,
		Dropped: func(reason string) { t.Errorf("a record was dropped: %s", reason) }})
	ids := map[string][]string{} // consumer → ids, oldest first
	for i := range each {
		for k := range consumers {
			name := fmt.Sprintf("team/%02d", k) // a slash: the stream key escapes it
			rec := &Record{ID: NewID(), Time: now.Add(time.Duration(i*consumers+k) * time.Millisecond).UnixMilli(), Consumer: name,
				Model: "gpt-4o", Status: 200, App: "app-" + fmt.Sprint(k%3)}
			if i == 0 {
				rec.Bodies = &Bodies{Request: `{"q":"` + name + `"}`, Response: `{"a":1}`, ExpiresAt: now.Add(time.Hour).UnixMilli()}
			}
			st.Add(rec)
			ids[name] = append(ids[name], rec.ID)
		}
		time.Sleep(2 * time.Millisecond) // stream ids are per millisecond: keep the order exact
	}
	ctx := context.Background()
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for name, want := range ids {
		// Paged 4 at a time: every record once, newest first.
		var got []string
		cursor := ""
		for range each {
			p, err := st.List(ctx, Filter{Consumer: name, Limit: 4, Cursor: cursor})
			if err != nil {
				t.Fatalf("listing %s: %v", name, err)
			}
			for _, r := range p.Data {
				got = append(got, r.ID)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		rev := slices.Clone(want)
		slices.Reverse(rev)
		if !slices.Equal(got, rev) {
			t.Fatalf("%s's records paged: %d, want its %d newest first without a loss or a repeat", name, len(got), len(want))
		}
		first := want[0]
		if r, err := st.Get(ctx, name, first); err != nil || r.ID != first || r.Bodies != nil || !r.BodiesCaptured {
			t.Errorf("%s reads its record: %+v, %v", name, r, err)
		}
		if _, err := st.Get(ctx, "someone-else", first); !errors.Is(err, ErrNotFound) {
			t.Errorf("another consumer read %s's record: %v", name, err)
		}
		if b, err := st.Bodies(ctx, name, first); err != nil || b.Request != `{"q":"`+name+`"}` {
			t.Errorf("%s's captured bodies: %+v, %v", name, b, err)
		}
		if _, err := st.Bodies(ctx, "someone-else", first); !errors.Is(err, ErrNotFound) {
			t.Errorf("another consumer read %s's bodies: %v", name, err)
		}
		if _, err := st.Bodies(ctx, name, want[1]); !errors.Is(err, ErrNotFound) {
			t.Errorf("bodies of a record that captured none: %v", err)
		}
	}
	all, err := st.List(ctx, Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Data) != consumers*each {
		t.Errorf("the admin lists %d records, want %d", len(all.Data), consumers*each)
	}
	apps, err := st.List(ctx, Filter{App: "app-1", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(apps.Data) != consumers/3*each {
		t.Errorf("the admin lists %d records of app-1, want %d", len(apps.Data), consumers/3*each)
	}
}

// While redis-cli --cluster reshard moves 1,000 slots, records written in
// batches through the gateway's own Cluster client (the limits store's)
// all land, none is dropped, and every one reads back afterwards. A batch
// writes several keys on several masters; before redispipe it went
// through go-redis's cluster pipeline, which can put one command in two
// node pipelines while following MOVED (a data race under -race).
func TestRedisStoreWhileClusterSlotsMove(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-server processes and moves slots")
	}
	cl := testredis.StartCluster(t, 3, 1)
	ls, err := limits.NewRedis(&config.Redis{Mode: config.RedisCluster, Addresses: cl.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ls.Close() })
	var dropped atomic.Int64
	// The queue holds every record the writers below can add (4 × 20,000):
	// the test is of the slot moves, and a loaded machine's slower writer
	// once filled a 4,096 queue and dropped 444 records as queue_full.
	st := NewRedis(ls.Client(), "tg:test:", Options{Retention: time.Hour, MaxRecords: 100000, MaxAdmin: 100000, Queue: 4 * 20000,
		Timeout: 5 * time.Second, // generous: the slot answers are tested, not latency
		Dropped: func(string) { dropped.Add(1) }})
	var moving atomic.Bool
	moving.Store(true)
	var written []*Record
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for n := 0; moving.Load() && n < 20000; n++ {
				rec := &Record{ID: NewID(), Time: time.Now().UnixMilli(), Consumer: fmt.Sprintf("c%d", (n*4+w)%40), Model: "m", Status: 200}
				st.Add(rec)
				mu.Lock()
				written = append(written, rec)
				mu.Unlock()
				time.Sleep(200 * time.Microsecond) // bounded in count and rate
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	moveErr := cl.Reshard(ctx, cl.Nodes[0], cl.Nodes[1], cl.Nodes[0].ID(t), cl.Nodes[1].ID(t), 1000)
	moving.Store(false)
	wg.Wait()
	if moveErr != nil {
		t.Fatal(moveErr)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d records written while 1,000 slots moved; %d dropped", len(written), dropped.Load())
	if dropped.Load() != 0 {
		t.Errorf("%d records dropped while the slots moved", dropped.Load())
	}
	for _, rec := range written {
		if _, err := st.Get(ctx, rec.Consumer, rec.ID); err != nil {
			t.Fatalf("record %s of %s after the move: %v", rec.ID, rec.Consumer, err)
		}
	}
}
