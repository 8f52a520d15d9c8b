package limits

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
)

// flakyStore is a shared store that can be switched off.
type flakyStore struct {
	*Local
	down  atomic.Bool
	calls atomic.Int64
}

var errDown = errors.New("connection refused")

// flakyEngine is an engine on a flakyStore (up until the test takes it
// down), on a clock of its own, with testConfig's consumer under limit l.
func flakyEngine(t *testing.T, l config.Limit, opts ...Option) (*Engine, *flakyStore, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(t0)
	store := &flakyStore{Local: NewLocal(0, clk.Now)}
	return newEngine(t, testConfig(limitPolicy("std", l)), clk, append([]Option{WithStore(store)}, opts...)...), store, clk
}

func (f *flakyStore) Reserve(ctx context.Context, cs []Counter) (Reservation, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return Reservation{}, errDown
	}
	return f.Local.Reserve(ctx, cs)
}

func (f *flakyStore) Add(ctx context.Context, cs []Counter) ([]int64, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return nil, errDown
	}
	return f.Local.Add(ctx, cs)
}

func TestFailureModes(t *testing.T) {
	for _, mode := range []config.FailureMode{config.FailOpen, config.FailClosed} {
		t.Run(string(mode), func(t *testing.T) {
			clk := testclock.New(t0)
			store := &flakyStore{Local: NewLocal(0, clk.Now)}
			reg := prometheus.NewRegistry()
			cfg := testConfig(limitPolicy("std", lim(time.Hour, 100, 0)))
			cfg.Limits.FailureMode = mode
			e := newEngine(t, cfg, clk, WithStore(store), WithRegisterer(reg), WithBackoff(time.Second))

			mustAdmit(t, e, call("m", 1, 1))
			store.down.Store(true)
			before := store.calls.Load()

			for i := range 3 {
				tk, d, err := e.Admit(context.Background(), call("m", 1, 1))
				if err != nil {
					t.Fatal(err)
				}
				switch mode {
				case config.FailOpen:
					if d != nil || !tk.Degraded() || tk.Headers().Get(HeaderDegraded) != "degraded" {
						t.Fatalf("attempt %d: fail open should admit degraded, got denial %v", i, d)
					}
				case config.FailClosed:
					if d == nil || d.Status != http.StatusServiceUnavailable || d.Code != "ratelimit_unavailable" || d.RetryAfter != time.Second {
						t.Fatalf("attempt %d: fail closed should answer 503 ratelimit_unavailable, got %+v", i, d)
					}
				}
			}
			// The circuit opened on the first failure: the two others did
			// not call the store.
			if n := store.calls.Load() - before; n != 1 {
				t.Errorf("store called %d times during the backoff, want 1", n)
			}
			if got := testutil.ToFloat64(e.m.storeErrors.WithLabelValues("reserve")); got != 1 {
				t.Errorf("store errors = %v, want 1", got)
			}
			if testutil.ToFloat64(e.m.degraded) != 1 || !e.Degraded() {
				t.Errorf("degraded gauge and Degraded() should be set")
			}

			clk.Advance(time.Second) // backoff over: the next call probes
			store.down.Store(false)
			tk := mustAdmit(t, e, call("m", 1, 1))
			if tk.Degraded() || e.Degraded() || testutil.ToFloat64(e.m.degraded) != 0 {
				t.Errorf("recovered store still degraded")
			}
			// Two healthy admissions were counted in the shared store.
			if got := tk.Headers().Get(HeaderRemainingRequests); got != "98" {
				t.Errorf("shared remaining = %s, want 98", got)
			}
		})
	}
}

func TestSettleGoesToTheStoreThatAdmitted(t *testing.T) {
	e, store, clk := flakyEngine(t, lim(time.Hour, 0, 10000))

	shared := mustAdmit(t, e, call("m", 100, 100))
	store.down.Store(true)
	local := mustAdmit(t, e, call("m", 100, 100)) // degraded: in the fallback
	if !local.Degraded() {
		t.Fatal("expected a degraded ticket")
	}
	settle(t, local, 10, 10, 0)
	if got := local.Headers().Get(HeaderRemainingTokens); got != "9980" {
		t.Errorf("fallback remaining after settle = %s, want 9980", got)
	}
	// The shared store is down and the circuit open: the settlement of a
	// shared reservation fails loudly rather than landing elsewhere.
	if err := shared.Settle(context.Background(), usage(1, 1), 0); err == nil {
		t.Error("settling into a down store reported success")
	}
	clk.Advance(time.Second)
	store.down.Store(false)
	tk := mustAdmit(t, e, call("m", 100, 100))
	if got := tk.Headers().Get(HeaderRemainingTokens); got != "9600" {
		t.Errorf("shared remaining = %s, want 9600 (fallback counts stay local)", got)
	}
}

func TestCallerCancellationDoesNotOpenTheCircuit(t *testing.T) {
	e, _, _ := flakyEngine(t, lim(time.Hour, 10, 0))
	ctx, cancel := context.WithCancel(context.Background())
	used, err := e.b.call(ctx, "reserve", func(Store) error { cancel(); return context.Canceled })
	if !used || err == nil {
		t.Fatalf("call = %v, %v", used, err)
	}
	if e.Degraded() {
		t.Error("a cancelled caller opened the circuit")
	}
}

func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	e1 := newEngine(t, cfg, testclock.New(t0), WithRegisterer(reg))
	e2 := newEngine(t, cfg, testclock.New(t0), WithRegisterer(reg))
	if e1.m.storeErrors != e2.m.storeErrors {
		t.Error("a second engine on one registry should reuse the collectors")
	}
	mustAdmit(t, e1, call("m", 1, 1))
	if got := testutil.ToFloat64(e1.m.decisions.WithLabelValues("admitted")); got != 1 {
		t.Errorf("admitted decisions = %v, want 1", got)
	}
}

func TestLocalStoreFull(t *testing.T) {
	for _, mode := range []config.FailureMode{config.FailOpen, config.FailClosed} {
		t.Run(string(mode), func(t *testing.T) {
			cfg := testConfig(limitPolicy("std", lim(time.Minute, 1000, 0)))
			cfg.Limits.FailureMode = mode
			for i := range 200 { // more consumers than the store can hold
				cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: "c" + strconv.Itoa(i), Policies: []string{"std"}})
			}
			e := newEngine(t, cfg, testclock.New(t0), WithLocalMaxKeys(localShards*4)) // 4 keys a shard, 2 a consumer
			outcomes := map[string]int{}
			for _, c := range cfg.Consumers {
				tk, d, err := e.Admit(context.Background(), Call{Consumer: c.Name, Model: "m", InputTokens: 1, MaxOutputTokens: 1})
				switch {
				case err != nil:
					t.Fatal(err)
				case d != nil:
					outcomes[d.Code]++
				case tk.Degraded():
					outcomes["uncounted"]++
					settle(t, tk, 1, 1, 0) // a no-op, not an error
				default:
					outcomes["counted"]++
				}
			}
			want := map[config.FailureMode]string{config.FailOpen: "uncounted", config.FailClosed: "ratelimit_unavailable"}[mode]
			if outcomes["counted"] == 0 || outcomes[want] == 0 || len(outcomes) != 2 {
				t.Errorf("outcomes = %v, want counted requests and then %s", outcomes, want)
			}
		})
	}
}
