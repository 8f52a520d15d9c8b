package console

import (
	"slices"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

func TestRecorderIsBoundedAndForgetsOldDays(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := NewRecorder(3)
	r.now = func() time.Time { return now }
	u := providers.Usage{InputTokens: 1, OutputTokens: 2}
	r.Record("a", "m1", "p", u, 0.5)
	r.Record("a", "m1", "p", u, 0.5) // same key: no new entry
	r.Record("a", "m2", "p", u, 0)
	r.Record("b", "m1", "p", u, 0)
	r.Record("c", "m1", "p", u, 0) // a fourth key: dropped
	r.Record("a", "m1", "", u, 0)  // no provider: not a served request
	if r.Dropped() != 1 || len(r.counts) != 3 {
		t.Fatalf("dropped %d, entries %d", r.Dropped(), len(r.counts))
	}
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	got := r.sum("a", day, day.AddDate(0, 0, 1))
	if c := got[modelProvider{"m1", "p"}]; c != (Counts{Requests: 2, InputTokens: 2, OutputTokens: 4, CostUSD: 1}) {
		t.Fatalf("a/m1: %+v", c)
	}
	if c := r.sum("a", day.AddDate(0, 0, 1), day.AddDate(0, 0, 2)); len(c) != 0 {
		t.Fatalf("tomorrow already has %+v", c)
	}
	// A month later the old days are pruned and new keys fit again.
	now = now.AddDate(0, 0, recorderKeepDays)
	r.Record("c", "m1", "p", u, 0)
	if len(r.counts) != 1 || r.Dropped() != 1 {
		t.Fatalf("entries %d after pruning", len(r.counts))
	}
	if got := r.consumers(now.AddDate(0, 0, -1)); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("consumers %v", got)
	}
}

func TestApportionAddsUpAndFollowsWeights(t *testing.T) {
	cases := map[string]struct {
		total   int64
		weights []float64
		want    []int64
	}{
		"exact":                 {100, []float64{30, 70}, []int64{30, 70}},
		"scaled":                {10, []float64{1, 1, 2}, []int64{3, 2, 5}},
		"remainder to largest":  {7, []float64{1, 1}, []int64{4, 3}},
		"zero weights equally":  {5, []float64{0, 0}, []int64{3, 2}},
		"negative total":        {-3, []float64{1, 2}, []int64{-1, -2}},
		"nothing to share":      {0, []float64{3, 4}, []int64{0, 0}},
		"one part takes it all": {9, []float64{2}, []int64{9}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := apportion(c.total, c.weights)
			if !slices.Equal(got, c.want) {
				t.Fatalf("apportion(%d, %v) = %v, want %v", c.total, c.weights, got, c.want)
			}
		})
	}
}

func TestSplitByProviderScalesToLimitsTotals(t *testing.T) {
	// Two replicas served duo; this one saw a quarter of it.
	seen := map[modelProvider]Counts{
		{"duo", "alpha"}: {Requests: 1, InputTokens: 10, OutputTokens: 10, CostUSD: 1},
		{"duo", "beta"}:  {Requests: 1, InputTokens: 30, OutputTokens: 10, CostUSD: 3},
		{"other", "x"}:   {Requests: 5},
	}
	rows := splitByProvider("c", "duo", limits.ModelUsage{Requests: 8, InputTokens: 160, OutputTokens: 80, CostUSD: 16}, seen, []string{"alpha", "beta"})
	want := []UsageRow{
		{Consumer: "c", Model: "duo", Provider: "alpha", Requests: 4, InputTokens: 40, OutputTokens: 40, CostUSD: 4},
		{Consumer: "c", Model: "duo", Provider: "beta", Requests: 4, InputTokens: 120, OutputTokens: 40, CostUSD: 12},
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	one := splitByProvider("c", "solo", limits.ModelUsage{Requests: 1, InputTokens: 2}, seen, []string{"gamma"})
	if len(one) != 1 || one[0].Provider != "gamma" || one[0].InputTokens != 2 {
		t.Fatalf("single provider: %+v", one)
	}
}

func TestCalendarWindowMatchesLimits(t *testing.T) {
	at := time.Date(2026, 11, 25, 15, 4, 0, 0, time.UTC) // a Wednesday
	cases := []struct {
		w          config.BudgetWindow
		start, end string
		period     string
	}{
		{config.BudgetDay, "2026-11-25", "2026-11-26", "2026-11-25"},
		{config.BudgetWeek, "2026-11-23", "2026-11-30", "2026-W48"},
		{config.BudgetMonth, "2026-11-01", "2026-12-01", "2026-11"},
	}
	for _, c := range cases {
		s, e, p := calendarWindow(at, c.w)
		if s.Format("2006-01-02") != c.start || e.Format("2006-01-02") != c.end || p != c.period {
			t.Errorf("%s: %s %s %s", c.w, s, e, p)
		}
	}
}
