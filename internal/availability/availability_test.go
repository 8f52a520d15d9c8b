package availability

import (
	"math"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)

func ok(at time.Time, lat, ttft time.Duration, tokens int64) Outcome {
	return Outcome{At: at, OK: true, Latency: lat, TTFT: ttft, OutputTokens: tokens}
}

func fail(at time.Time, c Class, lat time.Duration) Outcome {
	return Outcome{At: at, Class: c, Latency: lat}
}

// within reports whether got is within the histogram's resolution of want.
func within(got, want time.Duration) bool {
	r := float64(got) / float64(want)
	return r > 1/growth && r < growth
}

func TestStats(t *testing.T) {
	tests := map[string]struct {
		feed  []Outcome
		check func(t *testing.T, st Stats)
	}{
		"an empty window knows nothing": {
			check: func(t *testing.T, st Stats) {
				if st.SuccessRate != -1 || st.Requests != 0 || st.LatencyP50 != 0 || st.Errors != nil || !st.LastError.IsZero() {
					t.Errorf("%+v", st)
				}
			},
		},
		"success rate counts backend failures, not refused requests": {
			feed: []Outcome{
				ok(t0, 100*time.Millisecond, 0, 0), ok(t0, 100*time.Millisecond, 0, 0), ok(t0, 100*time.Millisecond, 0, 0),
				fail(t0, ClassServerError, 10*time.Millisecond), fail(t0.Add(time.Second), ClassFatal, time.Millisecond),
			},
			check: func(t *testing.T, st Stats) {
				if st.Requests != 5 || st.Succeeded != 3 || st.SuccessRate != 0.75 {
					t.Errorf("requests %d succeeded %d rate %v", st.Requests, st.Succeeded, st.SuccessRate)
				}
				if st.Errors["server_error"] != 1 || st.Errors["fatal"] != 1 || len(st.Errors) != 2 {
					t.Errorf("errors %v", st.Errors)
				}
				if st.LastErrorClass != "fatal" || !st.LastError.Equal(t0.Add(time.Second)) {
					t.Errorf("last error %v %s", st.LastError, st.LastErrorClass)
				}
			},
		},
		"percentiles of latency and TTFT": {
			feed: func() []Outcome {
				var out []Outcome
				for i := 1; i <= 100; i++ {
					out = append(out, ok(t0, time.Duration(i*10)*time.Millisecond, time.Duration(i)*time.Millisecond, 0))
				}
				return out
			}(),
			check: func(t *testing.T, st Stats) {
				if !within(st.LatencyP50, 500*time.Millisecond) || !within(st.LatencyP95, 950*time.Millisecond) {
					t.Errorf("latency p50 %v p95 %v", st.LatencyP50, st.LatencyP95)
				}
				if !within(st.TTFTP50, 50*time.Millisecond) || !within(st.TTFTP95, 95*time.Millisecond) {
					t.Errorf("ttft p50 %v p95 %v", st.TTFTP50, st.TTFTP95)
				}
			},
		},
		"throughput is tokens over generation time": {
			// 100 tokens in 1s after a 1s first token: 100 tokens/s; a
			// whole answer of 50 tokens in 1s: 50 tokens/s.
			feed: []Outcome{ok(t0, 2*time.Second, time.Second, 100), ok(t0, time.Second, 0, 50)},
			check: func(t *testing.T, st Stats) {
				if math.Abs(st.Throughput-75) > 1e-9 {
					t.Errorf("throughput %v, want 75", st.Throughput)
				}
				if st.ThroughputP50 < 50/growth || st.ThroughputP50 > 50*growth {
					t.Errorf("throughput p50 %v, want about 50", st.ThroughputP50)
				}
			},
		},
		"outcomes older than the window are gone": {
			feed: []Outcome{fail(t0.Add(-31*time.Minute), ClassTimeout, time.Second), ok(t0, time.Second, 0, 0)},
			check: func(t *testing.T, st Stats) {
				if st.Requests != 1 || st.SuccessRate != 1 || st.Errors != nil {
					t.Errorf("%+v", st)
				}
			},
		},
		"a late outcome for a slot already reused is dropped": {
			feed: []Outcome{ok(t0, time.Second, 0, 0), fail(t0.Add(-30*time.Minute), ClassConnect, time.Second)},
			check: func(t *testing.T, st Stats) {
				if st.Requests != 1 || st.Errors != nil {
					t.Errorf("%+v", st)
				}
			},
		},
		"nonsense values do not break it": {
			feed: []Outcome{
				{At: t0, OK: true, Latency: -time.Second, TTFT: -1, OutputTokens: -5},
				{At: t0, OK: true, Latency: time.Duration(math.MaxInt64), OutputTokens: math.MaxInt32},
				{At: t0, Class: Class(200)},
			},
			check: func(t *testing.T, st Stats) {
				if st.Requests != 3 || st.Errors["fatal"] != 1 || st.LatencyP95 <= 0 {
					t.Errorf("%+v", st)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := NewWindow(0, 0)
			for _, o := range tc.feed {
				w.Observe(o)
			}
			st := w.Stats(t0.Add(10 * time.Second))
			if st.Window != 30*time.Minute {
				t.Errorf("window %v", st.Window)
			}
			tc.check(t, st)
		})
	}
}

func TestWindowRolls(t *testing.T) {
	w := NewWindow(3, time.Minute)
	w.Observe(fail(t0, ClassServerError, time.Second))
	w.Observe(ok(t0.Add(time.Minute), time.Second, 0, 0))
	w.Observe(ok(t0.Add(2*time.Minute), time.Second, 0, 0))
	if st := w.Stats(t0.Add(2 * time.Minute)); st.Requests != 3 || st.SuccessRate < 0.66 || st.SuccessRate > 0.67 {
		t.Fatalf("at +2m: %+v", st)
	}
	// At +3m the first minute has left the window.
	if st := w.Stats(t0.Add(3 * time.Minute)); st.Requests != 2 || st.SuccessRate != 1 {
		t.Fatalf("at +3m: %+v", st)
	}
	// A new outcome reuses the oldest slot rather than adding to it.
	w.Observe(ok(t0.Add(3*time.Minute), time.Second, 0, 0))
	if st := w.Stats(t0.Add(3 * time.Minute)); st.Requests != 3 || st.Errors != nil {
		t.Fatalf("after reuse: %+v", st)
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry(0, 0)
	a := r.Window("p/a")
	if r.Window("p/a") != a || r.Lookup("p/a") != a || r.Lookup("p/b") != nil {
		t.Fatal("a label has one window")
	}
	r.Window("p/b").Observe(ok(t0, time.Second, 0, 0))
	if got := r.Labels(); len(got) != 2 || got[0] != "p/a" || got[1] != "p/b" {
		t.Fatalf("labels %v", got)
	}
	snap := r.Snapshot(t0)
	if snap["p/b"].Requests != 1 || snap["p/a"].SuccessRate != -1 {
		t.Fatalf("snapshot %+v", snap)
	}
	r.Retain(map[string]bool{"p/b": true})
	if r.Lookup("p/a") != nil || r.Lookup("p/b") == nil {
		t.Fatal("retain")
	}
	var nilW *Window
	nilW.Observe(ok(t0, time.Second, 0, 0))
	if nilW.Stats(t0).SuccessRate != -1 {
		t.Fatal("a nil window is empty")
	}
}

func TestParseClass(t *testing.T) {
	for c := range numClasses {
		if ParseClass(c.String()) != c {
			t.Errorf("%v", c)
		}
	}
	if ParseClass("nonsense") != ClassFatal || Class(99).String() != "unknown" {
		t.Error("unknown class")
	}
}

// Concurrent writers and readers: run with -race.
func TestConcurrent(t *testing.T) {
	r := NewRegistry(4, time.Second)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := r.Window([]string{"a", "b"}[g%2])
			for i := range 500 {
				w.Observe(ok(t0.Add(time.Duration(i)*time.Millisecond), time.Millisecond, 0, 1))
				if i%50 == 0 {
					_ = r.Snapshot(t0)
				}
			}
		}()
	}
	wg.Wait()
	if st := r.Lookup("a").Stats(t0); st.Requests != 1000 {
		t.Fatalf("a saw %d", st.Requests)
	}
}

func BenchmarkObserve(b *testing.B) {
	w := NewWindow(0, 0)
	o := ok(t0, 300*time.Millisecond, 50*time.Millisecond, 200)
	b.ReportAllocs()
	for b.Loop() {
		w.Observe(o)
	}
}
