package limits

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/testclock"
)

func TestLocalReserveIsAllOrNothing(t *testing.T) {
	clk := testclock.New(t0)
	l := NewLocal(0, clk.Now)
	ctx := context.Background()
	cs := []Counter{
		{Key: "p{a}:r", Amount: 1, Limit: 5, TTL: time.Minute},
		{Key: "p{a}:t", Amount: 60, Limit: 100, TTL: time.Minute},
		{Key: "p{a}:u", Field: "in", Amount: 60, TTL: time.Minute},
	}
	if r, err := l.Reserve(ctx, cs); err != nil || !r.OK || r.Values[1] != 60 || r.Values[2] != 60 {
		t.Fatalf("first reserve = %+v, %v", r, err)
	}
	r, err := l.Reserve(ctx, cs)
	if err != nil || r.OK || r.Failed != 1 || r.Values[0] != 1 || r.Values[1] != 60 {
		t.Fatalf("second reserve = %+v, %v; want a failure at index 1 with untouched values", r, err)
	}
	if f, _ := l.Fields(ctx, "p{a}:u"); f["in"] != 60 {
		t.Errorf("usage field = %v, want 60 (the failed reserve must not add)", f)
	}
	if v, err := l.Add(ctx, []Counter{{Key: "p{a}:t", Amount: -50, TTL: time.Minute}}); err != nil || v[0] != 10 {
		t.Errorf("Add(-50) = %v, %v; want 10", v, err)
	}
}

func TestLocalExpiryAndBound(t *testing.T) {
	clk := testclock.New(t0)
	l := NewLocal(localShards*2, clk.Now) // two keys a shard
	ctx := context.Background()
	for i := range 40 {
		_, err := l.Add(ctx, []Counter{{Key: "{c" + strconv.Itoa(i) + "}", Amount: 1, TTL: time.Minute}})
		if err != nil && !errors.Is(err, ErrLocalFull) {
			t.Fatal(err)
		}
	}
	full := 0
	for i := range 2000 {
		if _, err := l.Add(ctx, []Counter{{Key: "{x" + strconv.Itoa(i) + "}", Amount: 1, TTL: time.Minute}}); errors.Is(err, ErrLocalFull) {
			full++
		}
	}
	if full == 0 || l.Len() > localShards*2 {
		t.Fatalf("store holds %d keys (cap %d), %d refusals; the bound did not hold", l.Len(), localShards*2, full)
	}
	clk.Advance(time.Minute + localSweepEvery)
	if v, err := l.Add(ctx, []Counter{{Key: "{c1}", Amount: 1, TTL: time.Minute}}); err != nil || v[0] != 1 {
		t.Fatalf("an expired counter should restart at 0: %v, %v", v, err)
	}
	// Every key has expired: the store is full of dead keys. One new key
	// in each shard must evict them rather than be refused.
	clk.Advance(2 * time.Minute)
	done := map[int]bool{}
	for i := 0; len(done) < localShards && i < 100000; i++ {
		k := "{z" + strconv.Itoa(i) + "}"
		if done[l.shardOf(k)] {
			continue
		}
		done[l.shardOf(k)] = true
		if _, err := l.Add(ctx, []Counter{{Key: k, Amount: 1, TTL: time.Minute}}); err != nil {
			t.Fatalf("adding a key after expiry: %v (expired keys were not evicted)", err)
		}
	}
	if n := l.Len(); n != localShards {
		t.Errorf("after expiry the store holds %d keys, want %d (one live key a shard)", n, localShards)
	}
}

func TestLocalConcurrentBurst(t *testing.T) {
	l := NewLocal(0, nil)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			r, err := l.Reserve(context.Background(), []Counter{
				{Key: "{a}:t", Amount: 70, Limit: 1000, TTL: time.Minute},
				{Key: "{b}:t", Amount: 1, Limit: 1000, TTL: time.Minute}, // another shard
			})
			if err != nil {
				t.Error(err)
			}
			if r.OK {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != 14 { // 14 × 70 = 980 ≤ 1000 < 15 × 70
		t.Errorf("admitted %d, want exactly 14", got)
	}
}

func TestHashTagAndEscaping(t *testing.T) {
	tags := map[string]string{
		"p{team}:x": "team", "nobrace": "nobrace", "p{}:x{y}": "p{}:x{y}", "{a}{b}": "a", "p{open": "p{open",
	}
	for k, want := range tags {
		if got := hashTag(k); got != want {
			t.Errorf("hashTag(%q) = %q, want %q", k, got, want)
		}
	}
	esc := map[string]string{
		"team": "team", "ns/team": "ns/team", "": "%00", "a}b": "a%7Db", "a{b": "a%7Bb", "a:b": "a%3Ab", "50%": "50%25",
	}
	for in, want := range esc {
		if got := escapeTag(in); got != want {
			t.Errorf("escapeTag(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sanitizePrefix("x{y}:"); got != "x(y):" {
		t.Errorf("sanitizePrefix = %q", got)
	}
}
