package activity

import (
	"context"
	"net/url"
	"testing"
	"time"
)

func TestParseQueryRefusesHostileValues(t *testing.T) {
	for _, tc := range []struct{ query, param string }{
		{"limit=0", "limit"},
		{"limit=-1", "limit"},
		{"limit=501", "limit"},
		{"limit=99999999999999999999", "limit"},
		{"from=-5", "from"},
		{"to=9223372036854775807", "to"},
		{"from=yesterday", "from"},
		{"category=Coding%20Agents", "category"},
		{"status=7xx", "status"},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		if _, qerr := ParseQuery(q); qerr == nil || qerr.Param != tc.param {
			t.Errorf("%s: got %v, want a refusal naming %q", tc.query, qerr, tc.param)
		}
	}
	q, _ := url.ParseQuery("from=1764660000&to=2026-12-02T00:00:00Z&limit=500&model=m&status=5xx&category=coding")
	f, qerr := ParseQuery(q)
	if qerr != nil || f.From.Unix() != 1764660000 || f.To.IsZero() || f.Limit != 500 || f.Model != "m" || f.Status != "5xx" || f.Category != "coding" {
		t.Fatalf("good query: %+v %v", f, qerr)
	}
}

func TestParseRankingConsumerOnlyForTheAdmin(t *testing.T) {
	q, _ := url.ParseQuery("by=consumer")
	if _, qerr := ParseRanking(q, false); qerr == nil || qerr.Param != "by" {
		t.Fatalf("a consumer ranked by consumer: %v", qerr)
	}
	if rk, qerr := ParseRanking(q, true); qerr != nil || rk.By != "consumer" || rk.Period != "week" {
		t.Fatalf("admin: %+v %v", rk, qerr)
	}
	if _, qerr := ParseRanking(url.Values{"period": {"year"}}, true); qerr == nil || qerr.Param != "period" {
		t.Fatalf("period=year: %v", qerr)
	}
}

func TestRankSumsPagesAndStopsAtTheScan(t *testing.T) {
	now := time.Now()
	recs := make([]Record, RankingScan+MaxPageSize)
	for i := range recs {
		recs[i] = Record{App: []string{"a", "b"}[i%2], InputTokens: 2, OutputTokens: 1 + int64(i%2), Cost: 0.1}
	}
	pages := 0
	list := func(_ context.Context, f Filter) (Page, error) {
		if f.From.After(now) || now.Sub(f.From) != 7*24*time.Hour {
			t.Fatalf("period not applied: %v", f.From)
		}
		start := pages * MaxPageSize
		pages++
		return Page{Data: recs[start : start+MaxPageSize], Next: "more"}, nil
	}
	rk, _ := ParseRanking(url.Values{}, false)
	rows, truncated, err := rk.Rank(context.Background(), list, "c", now)
	if err != nil || !truncated || pages != RankingScan/MaxPageSize || len(rows) != 2 {
		t.Fatalf("rows %+v truncated %v pages %d err %v", rows, truncated, pages, err)
	}
	if rows[0].Key != "b" || rows[0].Tokens != int64(RankingScan/2*4) || rows[0].Cost != 250 || rows[1].Key != "a" {
		t.Fatalf("most tokens first, costs summed to the nano-dollar: %+v", rows)
	}
}
