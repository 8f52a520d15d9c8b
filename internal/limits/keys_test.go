package limits

import (
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testclock"
)

// The keys a request's counters use are the same whether the consumer's
// key cache holds them or not, in every window: at a window's start, just
// before its end, after a minute's and after a month's rollover, for a
// model-scoped limit that applies and one that does not, and for a free
// (BYOK) call that skips the budget.
func TestCounterKeysAreTheSameCachedOrNot(t *testing.T) {
	p := limitPolicy("std", lim(time.Minute, 100, 1000), lim(24*time.Hour, 0, 5000, "gpt-4o*"))
	p.Budget = &config.Budget{AmountUSD: 10, Window: config.BudgetMonth}
	cfg := testConfig(p)
	clk := testclock.New(t0)
	e := newEngine(t, cfg, clk)
	c := e.consumers[cfg.Consumers[0].Name]
	if len(c.keys) == 0 {
		t.Fatal("a configured consumer has no key slots")
	}
	fresh := *c
	fresh.keys = nil // builds every key, as before the cache
	start := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)
	for _, step := range []struct {
		at    time.Time
		model string
		free  bool
	}{
		{start, "gpt-4o", false},
		{start.Add(59 * time.Second), "gpt-4o", false},
		{start.Add(time.Minute), "gpt-4o", false}, // the next minute, day and month
		{start.Add(time.Minute), "claude", false}, // the model-scoped limit does not apply
		{start.Add(2 * time.Minute), "gpt-4o", true},
		{start.Add(2 * time.Minute), "gpt-4o", false},
	} {
		est := estimate{in: 10, out: 20, costMicro: 30, free: step.free}
		got, gotMeta := e.counters(c, step.model, est, step.at)
		want, wantMeta := e.counters(&fresh, step.model, est, step.at)
		if len(got) != len(want) {
			t.Fatalf("%s %s: %d counters cached, %d not", step.at, step.model, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] || gotMeta[i].period != wantMeta[i].period {
				t.Errorf("%s %s counter %d: cached %+v (%q), built %+v (%q)", step.at, step.model, i, got[i], gotMeta[i].period, want[i], wantMeta[i].period)
			}
		}
	}
	// The window that was cached last is the one in use now.
	if k := c.keys[0].Load(); k == nil || k.start != start.Add(2*time.Minute).Unix() {
		t.Errorf("slot 0 holds %+v, want the window of %s", k, start.Add(2*time.Minute))
	}
}
