package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/test/loadupstream"
)

// TestSoakReturnsToBaseline runs a mix of completions, streams, cancelled
// streams, upstream 429s and 5xx, policy 429s and config reloads for the
// soak duration (short by default; TOLLGATE_SOAK=1 for 60s,
// TOLLGATE_SOAK_DURATION for more), checks every answer is what its kind
// allows, and then that goroutines and heap come back to the baseline taken
// after a warm-up (TESTING rows 27 and 30).
func TestSoakReturnsToBaseline(t *testing.T) {
	dur := soakDuration(t)
	up := serve(t, mockUpstream(8, 2*time.Millisecond))
	k := newKeys(t)
	s, url := newServer(t, soakConfig(t, up, k, 5*time.Second))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	const conc = 8

	// Warm up every path once at the same concurrency, then take the
	// baseline with idle connections gone.
	run(t, client, url, k, conc, 200, 30*time.Second, nil)
	var base runtime.MemStats
	baseG := 0
	// Stable across a pause longer than the servers' idle timeout: idle
	// keep-alive connections (and their goroutines) are gone.
	settle(20, 500*time.Millisecond, client, func() (bool, string) {
		n := runtime.NumGoroutine()
		ok := n == baseG
		baseG = n
		return ok, ""
	})
	runtime.GC()
	runtime.ReadMemStats(&base)

	var reloads atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // reload every 200ms, alternating two configs
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := s.Load(soakConfig(t, up, k, time.Duration(5+i%2)*time.Second)); err != nil {
				t.Errorf("reload %d: %v", i, err)
				return
			}
			reloads.Add(1)
		}
	}()
	// Bounded by count too: far more than the duration allows.
	n := run(t, client, url, k, conc, int(dur/time.Microsecond), dur, nil)
	cancel()
	wg.Wait()
	t.Logf("soak: %s, %d requests, %d reloads, %d clients", dur, n, reloads.Load(), conc)

	ok, msg := settle(100, 100*time.Millisecond, client, func() (bool, string) {
		g := runtime.NumGoroutine()
		return g <= baseG+2, fmt.Sprintf("goroutines %d, baseline %d", g, baseG)
	})
	if !ok {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines did not return to the baseline: %s\n%s", msg, buf[:runtime.Stack(buf, true)])
	}
	t.Log(msg)
	const slack = 8 << 20
	ok, msg = settle(20, 100*time.Millisecond, client, func() (bool, string) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse <= base.HeapInuse+slack, fmt.Sprintf("heap in use %.1f MiB, baseline %.1f MiB", float64(m.HeapInuse)/(1<<20), float64(base.HeapInuse)/(1<<20))
	})
	if !ok {
		t.Fatalf("heap did not return to the baseline (+8 MiB): %s", msg)
	}
	t.Log(msg)
}

// kind is one request of the mix and the statuses it may get.
type kind struct {
	name           string
	model          string
	tight          bool
	stream, cancel bool
	want           func(code int, body string) bool
}

var mix = []kind{
	{name: "completion", model: "ok", want: func(c int, b string) bool {
		return c == 200 && strings.Contains(b, `"content":"`+loadupstream.Reply+`"`)
	}},
	{name: "stream", model: "ok", stream: true, want: func(c int, b string) bool { return c == 200 && strings.HasSuffix(b, "data: [DONE]\n\n") }},
	{name: "cancelled stream", model: "ok", stream: true, cancel: true, want: func(c int, _ string) bool { return c == 200 }},
	{name: "upstream 429", model: "r429", want: func(c int, _ string) bool { return c == 429 }},
	{name: "upstream 5xx", model: "e500", want: func(c int, _ string) bool { return c >= 500 && c <= 599 }},
	{name: "policy", model: "ok", tight: true, want: func(c int, _ string) bool { return c == 200 || c == 429 }},
}

// run sends up to count requests of the mix with conc clients for at most
// dur, failing the test on an answer its kind does not allow; onAnswer,
// when set, sees every answer. It returns how many were sent.
func run(t *testing.T, client *http.Client, url string, k keys, conc, count int, dur time.Duration, onAnswer func(kind, int, string)) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var sent, bad atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && sent.Add(1) <= int64(count) {
				kd := mix[rand.IntN(len(mix))]
				key := k.free
				if kd.tight {
					key = k.tight
				}
				code, body, err := chat(context.WithoutCancel(ctx), client, url, key, kd.model, kd.stream, kd.cancel)
				if onAnswer != nil {
					onAnswer(kd, code, body)
				}
				if err != nil || !kd.want(code, body) {
					if bad.Add(1) <= 5 {
						t.Errorf("%s: status %d, error %v, body %.200q", kd.name, code, err, body)
					}
				}
			}
		}()
	}
	wg.Wait()
	return min(sent.Load(), int64(count))
}
