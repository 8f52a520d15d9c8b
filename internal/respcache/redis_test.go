package respcache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// The shared answer cache on a single redis-server and on a real Redis
// Cluster (three masters, a replica each): what one replica saves another
// loads byte for byte, streams keep their flag and content type, a miss is
// a miss, an entry expires with its TTL, and on the Cluster the entries
// spread over every master.
func TestRedisCacheOnOneServerAndOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server processes")
	}
	testredis.EachTopology(t, checkRedisCache)
}

func checkRedisCache(t *testing.T, dial func() redis.UniversalClient) {
	// Two clients: two gateway replicas sharing the cache.
	c1, c2 := dial(), dial()
	writer, reader := NewRedis(c1, "tg:test:"), NewRedis(c2, "tg:test:")
	ctx := context.Background()
	const n = 120
	for i := range n {
		e := &Entry{Stream: i%2 == 1, ContentType: "application/json", Body: fmt.Appendf(nil, `{"answer":%d,"nl":"a\nb"}`, i)}
		if e.Stream {
			e.ContentType = "text/event-stream"
		}
		if err := writer.Save(ctx, fmt.Sprintf("key-%d", i), e, time.Hour); err != nil {
			t.Fatalf("saving entry %d: %v", i, err)
		}
	}
	for i := range n {
		e, ok, err := reader.Load(ctx, fmt.Sprintf("key-%d", i))
		if err != nil || !ok {
			t.Fatalf("loading entry %d: %v, %v", i, ok, err)
		}
		want := fmt.Sprintf(`{"answer":%d,"nl":"a\nb"}`, i)
		if string(e.Body) != want || e.Stream != (i%2 == 1) || (e.Stream && e.ContentType != "text/event-stream") {
			t.Fatalf("entry %d read back as %+v", i, e)
		}
	}
	if _, ok, err := reader.Load(ctx, "never-saved"); ok || err != nil {
		t.Fatalf("a key never saved: %v, %v", ok, err)
	}
	if err := writer.Save(ctx, "short", &Entry{ContentType: "application/json", Body: []byte("{}")}, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, ok, err := reader.Load(ctx, "short")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an entry with a 50 ms TTL was still there after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
