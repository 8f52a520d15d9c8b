package responsestate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/testclock"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

func record(consumer, id string, size int) *Record {
	conv, _ := json.Marshal([]map[string]string{{"type": "message", "role": "user", "content": strings.Repeat("x", size)}})
	return &Record{ID: id, Consumer: consumer, Model: "gpt-public", Backend: "openai-1", Conversation: conv,
		Response: json.RawMessage(`{"id":"` + id + `","object":"response"}`), CreatedAt: 1700000000}
}

// contract runs the behaviour every Store shares.
func contract(t *testing.T, s Store) {
	ctx := context.Background()
	rec := record("team-a", "resp_1", 10)
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "team-a", "resp_1")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(rec)
	if b, _ := json.Marshal(got); string(b) != string(want) {
		t.Errorf("got %s, want %s", b, want)
	}
	// Another consumer can neither read nor delete it.
	if _, err := s.Get(ctx, "team-b", "resp_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another consumer read it: %v", err)
	}
	if err := s.Delete(ctx, "team-b", "resp_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another consumer deleted it: %v", err)
	}
	// Consumer names cannot be bent into another's key.
	if err := s.Put(ctx, record("team-a/resp_1", "x", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "team-a", "resp_1/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a crafted id crossed consumers: %v", err)
	}
	if err := s.Delete(ctx, "team-a", "resp_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "team-a", "resp_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted record still read: %v", err)
	}
	if err := s.Delete(ctx, "team-a", "resp_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := s.Put(ctx, record("team-a", "big", DefaultMaxRecordBytes)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized record: %v", err)
	}
	if err := s.Put(ctx, &Record{ID: "resp_2"}); err == nil {
		t.Error("a record without a consumer was stored")
	}
}

func TestMemoryContract(t *testing.T) { contract(t, NewMemory(Options{})) }

func TestRedisContract(t *testing.T) {
	srv := testredis.Start(t)
	contract(t, NewRedis(redisClient(t, srv.Addr), "tollgate:ns/gw:", Options{}))
}

// TestDial: the store dialled from the limits' settings shares their
// Redis (and key prefix) with its own timeout.
func TestDial(t *testing.T) {
	srv := testredis.Start(t)
	s, closer, err := Dial(&config.Redis{Addresses: []string{srv.Addr}, Timeout: config.D(time.Millisecond)}, "gw:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	ctx := context.Background()
	if err := s.Put(ctx, record("c", "resp_d", 100000)); err != nil {
		t.Fatalf("put with the limits' 1ms timeout replaced: %v", err)
	}
	if n, err := redisClient(t, srv.Addr).Exists(ctx, "gw:resp/c/resp_d").Result(); err != nil || n != 1 {
		t.Errorf("record key: %d %v", n, err)
	}
	if _, _, err := Dial(nil, "", Options{}); err == nil {
		t.Error("dial without Redis")
	}
}

func redisClient(t *testing.T, addr string) redis.UniversalClient {
	t.Helper()
	ls, err := limits.NewRedis(&config.Redis{Addresses: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ls.Close() })
	return ls.Client()
}

func TestMemoryTTL(t *testing.T) {
	clk := testclock.New(time.Unix(1700000000, 0))
	m := NewMemory(Options{TTL: time.Hour, Now: clk.Now})
	ctx := context.Background()
	if err := m.Put(ctx, record("c", "old", 10)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Minute)
	if _, err := m.Get(ctx, "c", "old"); err != nil {
		t.Fatalf("read before the TTL: %v", err)
	}
	clk.Advance(time.Minute)
	if _, err := m.Get(ctx, "c", "old"); !errors.Is(err, ErrNotFound) {
		t.Errorf("read after the TTL: %v", err)
	}
	// Expired records are swept by later writes, not kept until read.
	if err := m.Put(ctx, record("c", "a", 10)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if err := m.Put(ctx, record("c", "b", 10)); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 {
		t.Errorf("%d records after expiry, want 1", m.Len())
	}
}

// TestMemoryBounded: entries and bytes stay within the bounds, the least
// recently used going first.
func TestMemoryBounded(t *testing.T) {
	m := NewMemory(Options{MaxEntries: 10, MaxBytes: 1 << 20})
	ctx := context.Background()
	for i := range 100 {
		if err := m.Put(ctx, record("c", fmt.Sprint("r", i), 100)); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			// r0 is read often: it stays.
			if _, err := m.Get(ctx, "c", "r0"); err != nil {
				t.Fatal(err)
			}
		}
		if i > 5 {
			_, _ = m.Get(ctx, "c", "r0")
		}
	}
	if m.Len() != 10 {
		t.Errorf("%d records, want 10", m.Len())
	}
	if _, err := m.Get(ctx, "c", "r0"); err != nil {
		t.Errorf("the recently used record was evicted: %v", err)
	}
	if _, err := m.Get(ctx, "c", "r50"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an old record survived: %v", err)
	}
	small := NewMemory(Options{MaxBytes: 5000})
	for i := range 100 {
		if err := small.Put(ctx, record("c", fmt.Sprint("r", i), 1000)); err != nil {
			t.Fatal(err)
		}
		if small.Bytes() > 5000 {
			t.Fatalf("%d bytes stored, bound 5000", small.Bytes())
		}
	}
	if small.Len() == 0 || small.Len() > 5 {
		t.Errorf("%d records of ~1 KB in 5000 bytes", small.Len())
	}
	// Replacing a record does not count it twice.
	for range 3 {
		if err := small.Put(ctx, record("c", "same", 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := small.Get(ctx, "c", "same"); err != nil {
		t.Fatal(err)
	}
}

// TestRedisTTL: a record expires with its key; every replica (client)
// sees it before.
func TestRedisTTL(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	a := NewRedis(redisClient(t, srv.Addr), "p:", Options{TTL: 300 * time.Millisecond})
	b := NewRedis(redisClient(t, srv.Addr), "p:", Options{TTL: 300 * time.Millisecond})
	if err := a.Put(ctx, record("c", "resp_t", 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "c", "resp_t"); err != nil {
		t.Fatalf("another replica cannot read it: %v", err)
	}
	ttl, err := a.client.PTTL(ctx, a.key("c", "resp_t")).Result()
	if err != nil || ttl <= 0 || ttl > 300*time.Millisecond {
		t.Errorf("key TTL %v (%v), want within 300ms", ttl, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := b.Get(ctx, "c", "resp_t")
		if errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("record still readable after its TTL: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	s := NewRedis(redisClient(t, srv.Addr), "p:", Options{Timeout: 200 * time.Millisecond})
	srv.Kill()
	ctx := context.Background()
	if err := s.Put(ctx, record("c", "r", 1)); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("put with Redis down: %v", err)
	}
	if _, err := s.Get(ctx, "c", "r"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("get with Redis down: %v (a store failure is not a missing response)", err)
	}
}

func TestKeep(t *testing.T) {
	f, tr := false, true
	cases := []struct {
		store            *bool
		enabled          bool
		keep, downgraded bool
	}{
		{nil, true, true, false}, {&tr, true, true, false}, {&f, true, false, false},
		{nil, false, false, true}, {&tr, false, false, true}, {&f, false, false, false},
	}
	for _, c := range cases {
		keep, down := Keep(c.store, c.enabled)
		if keep != c.keep || down != c.downgraded {
			t.Errorf("Keep(%v, %v) = %v, %v", c.store, c.enabled, keep, down)
		}
	}
}
