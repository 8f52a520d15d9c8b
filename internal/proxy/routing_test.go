package proxy

import (
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

func mkBackends(n int) []*backend {
	out := make([]*backend, n)
	for i := range out {
		out[i] = &backend{label: string(rune('a' + i)), weight: 1, state: &backendState{}}
	}
	return out
}

func TestChooseStrategies(t *testing.T) {
	bs := mkBackends(3)
	bs[0].state.inflight.Store(5)
	bs[1].state.inflight.Store(1)
	bs[2].state.inflight.Store(3)
	bs[0].state.ewmaNanos.Store(int64(30 * time.Millisecond))
	bs[1].state.ewmaNanos.Store(int64(50 * time.Millisecond))
	bs[2].state.ewmaNanos.Store(int64(10 * time.Millisecond))
	bs[0].pricing = config.Pricing{InputPerMillion: 1, OutputPerMillion: 1}
	bs[1].pricing = config.Pricing{InputPerMillion: 0.1, OutputPerMillion: 0.2}
	bs[2].pricing = config.Pricing{InputPerMillion: 3, OutputPerMillion: 3}
	for strategy, want := range map[config.Strategy]string{
		config.StrategyLeastBusy: "b", config.StrategyLeastLatency: "c", config.StrategyLowestCost: "b",
	} {
		for i := 0; i < 20; i++ {
			if got := choose(&route{strategy: strategy}, bs, affinity{}); got.label != want {
				t.Fatalf("%s chose %s, want %s", strategy, got.label, want)
			}
		}
	}
	// Weighted: a backend of weight 0 among positive weights is never picked;
	// a 9:1 split favours the heavy one.
	bs[0].weight, bs[1].weight, bs[2].weight = 9, 1, 0
	counts := map[string]int{}
	for i := 0; i < 2000; i++ {
		counts[choose(&route{strategy: config.StrategyWeighted}, bs, affinity{}).label]++
	}
	if counts["c"] != 0 || counts["a"] < counts["b"]*3 {
		t.Errorf("weighted counts %v", counts)
	}
}

func TestPickerTiersCooldownAndPanic(t *testing.T) {
	bs := mkBackends(3)
	r := &route{tiers: [][]*backend{{bs[0], bs[1]}, {bs[2]}}}
	now := time.Now()
	p := picker{r: r}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		b, _ := p.next(now)
		seen[b.label] = true
		if i < 2 && b == bs[2] {
			t.Fatal("tier 1 tried before tier 0 was exhausted")
		}
	}
	if len(seen) != 3 {
		t.Errorf("untried backends first: %v", seen)
	}
	// Rate-limited backends are skipped; failure-ejected ones are used
	// when nothing else is left (panic mode); all rate-limited: nil.
	bs[0].state.coolDown(now, time.Minute, true)
	bs[1].state.coolDown(now, time.Minute, false)
	bs[2].state.coolDown(now, time.Minute, true)
	p = picker{r: r}
	if b, _ := p.next(now); b != bs[1] {
		t.Errorf("panic mode chose %v", b)
	}
	bs[1].state.rateLimit.Store(true)
	p = picker{r: r}
	if b, until := p.next(now); b != nil || until.Before(now) {
		t.Errorf("all rate limited: %v until %v", b, until)
	}
}

// TestPickerSkipsDrainedBackends: weight 0 drains a backend under every
// strategy; a tier whose backends all have weight 0 is skipped, and a route
// whose every backend has weight 0 is not served (the next matching route
// is, or none).
func TestPickerSkipsDrainedBackends(t *testing.T) {
	for _, strategy := range []config.Strategy{config.StrategyWeighted, config.StrategyLeastBusy, config.StrategyLeastLatency, config.StrategyLowestCost} {
		bs := mkBackends(4)
		bs[0].weight, bs[1].weight = 0, 0 // tier 0 drained
		bs[2].weight = 0                  // drained in tier 1
		bs[2].state.inflight.Store(-1)    // the "best" score, and still not picked
		r := &route{strategy: strategy, attempts: 4, tiers: [][]*backend{{bs[0], bs[1]}, {bs[2], bs[3]}}}
		now := time.Now()
		p := picker{r: r}
		for i := range 3 {
			if b, _ := p.next(now); b != bs[3] {
				t.Fatalf("%s: attempt %d chose %v, want the only backend with weight", strategy, i, b)
			}
		}
		bs[3].state.coolDown(now, time.Minute, true)
		p = picker{r: r}
		if b, until := p.next(now); b != nil || !until.Equal(time.Unix(0, bs[3].state.coolUntil.Load())) {
			t.Errorf("%s: only live backend rate limited: got %v until %v", strategy, b, until)
		}
		if r.drained() {
			t.Errorf("%s: route with one weighted backend reported drained", strategy)
		}
	}

	live := &route{model: "gpt-*", tiers: [][]*backend{mkBackends(1)}}
	off := mkBackends(2)
	off[0].weight, off[1].weight = 0, 0
	drained := &route{model: "gpt-4o", tiers: [][]*backend{{off[0]}, {off[1]}}}
	if !drained.drained() {
		t.Fatal("route with every weight 0 not drained")
	}
	rt := &router{exact: map[string]*route{"gpt-4o": drained}, globs: []*route{live}}
	if got := rt.match("gpt-4o"); got != live {
		t.Errorf("drained exact route: matched %v, want the glob route", got)
	}
	rt.globs = nil
	if got := rt.match("gpt-4o"); got != nil {
		t.Errorf("drained route with no other match: matched %v, want none", got)
	}
}

func TestBackoffBounds(t *testing.T) {
	for n := 1; n < 40; n++ {
		d := backoff(100*time.Millisecond, n)
		if d <= 0 || d > 7500*time.Millisecond {
			t.Fatalf("backoff(%d) = %v", n, d)
		}
	}
	if backoff(0, 3) != 0 {
		t.Error("zero base must not wait")
	}
}
