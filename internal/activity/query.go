package activity

import (
	"cmp"
	"context"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// QueryError is a bad query parameter: which one, and why.
type QueryError struct {
	Param, Message string
}

func (e *QueryError) Error() string { return e.Param + ": " + e.Message }

// ParseQuery reads a list query (GET /v1/activity's and the console
// admin's): from and to (RFC 3339 or unix seconds), model, app, category,
// status, limit and cursor. The consumer is the caller's to set.
func ParseQuery(q url.Values) (Filter, *QueryError) {
	var f Filter
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, ok := parseTime(v)
		if !ok {
			return f, &QueryError{p.name, p.name + " must be an RFC 3339 time or unix seconds"}
		}
		*p.to = t
	}
	f.Model, f.App, f.Status, f.Cursor = q.Get("model"), q.Get("app"), q.Get("status"), q.Get("cursor")
	if v := q.Get("category"); v != "" {
		if f.Category = Category(v); f.Category == "" {
			return f, &QueryError{"category", "category must be lower-case letters, digits, - or _ (at most 64)"}
		}
	}
	if !ValidStatus(f.Status) {
		return f, &QueryError{"status", "status must be an HTTP status, ok, error or 2xx..5xx"}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return f, &QueryError{"limit", "limit must be 1 to " + strconv.Itoa(MaxPageSize)}
		}
		f.Limit = n
	}
	return f, nil
}

// parseTime reads RFC 3339 or non-negative unix seconds small enough to
// be milliseconds in an int64.
func parseTime(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/1000 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// RankingScan bounds the records one ranking reads (ten full pages).
const RankingScan = 10 * MaxPageSize

// RankingRow is one key's totals in a ranking.
type RankingRow struct {
	Key              string  `json:"key"`
	Requests         int64   `json:"requests"`
	PromptTokens     int64   `json:"tokens_prompt"`
	CompletionTokens int64   `json:"tokens_completion"`
	Tokens           int64   `json:"tokens"`
	Cost             float64 `json:"total_cost"`
}

// Ranking is what a ranking query asked for: the key to sum by and the
// period it covers.
type Ranking struct {
	By, Period string
	key        func(*Record) string
	span       time.Duration
}

var rankingKeys = map[string]func(*Record) string{
	"model":    func(r *Record) string { return r.Model },
	"provider": func(r *Record) string { return r.Provider },
	"app":      func(r *Record) string { return r.App },
	"category": func(r *Record) string { return r.Category },
	"consumer": func(r *Record) string { return r.Consumer },
}

var rankingPeriods = map[string]time.Duration{"day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour}

// ParseRanking reads by (model, provider, app, category, and consumer
// when byConsumer; default app) and period (day, week, month; default
// week).
func ParseRanking(q url.Values, byConsumer bool) (Ranking, *QueryError) {
	rk := Ranking{By: cmp.Or(q.Get("by"), "app"), Period: cmp.Or(q.Get("period"), "week")}
	var ok bool
	if rk.key, ok = rankingKeys[rk.By]; !ok || (rk.By == "consumer" && !byConsumer) {
		msg := "by must be model, provider, app or category"
		if byConsumer {
			msg = "by must be model, provider, app, category or consumer"
		}
		return rk, &QueryError{"by", msg}
	}
	if rk.span, ok = rankingPeriods[rk.Period]; !ok {
		return rk, &QueryError{"period", "period must be day, week or month"}
	}
	return rk, nil
}

// Rank pages through consumer's records ("": every consumer's) of the
// period before now, at most RankingScan of them, and sums them by the
// key, most tokens first; truncated says there were more.
func (rk Ranking) Rank(ctx context.Context, list func(context.Context, Filter) (Page, error), consumer string, now time.Time) (rows []RankingRow, truncated bool, err error) {
	f := Filter{Consumer: consumer, From: now.Add(-rk.span), Limit: MaxPageSize}
	sums := map[string]*RankingRow{}
	for scanned := 0; ; {
		page, err := list(ctx, f)
		if err != nil {
			return nil, false, err
		}
		for i := range page.Data {
			rec := &page.Data[i]
			k := rk.key(rec)
			row := sums[k]
			if row == nil {
				row = &RankingRow{Key: k}
				sums[k] = row
			}
			row.Requests++
			row.PromptTokens += rec.InputTokens
			row.CompletionTokens += rec.OutputTokens
			row.Tokens += rec.InputTokens + rec.OutputTokens
			row.Cost += rec.Cost
		}
		scanned += len(page.Data)
		if page.Next == "" {
			break
		}
		if scanned >= RankingScan {
			truncated = true
			break
		}
		f.Cursor = page.Next
	}
	rows = make([]RankingRow, 0, len(sums))
	for _, row := range sums {
		row.Cost = math.Round(row.Cost*1e9) / 1e9 // a sum of float costs, to the nano-dollar
		rows = append(rows, *row)
	}
	slices.SortFunc(rows, func(a, b RankingRow) int {
		return cmp.Or(cmp.Compare(b.Tokens, a.Tokens), cmp.Compare(a.Key, b.Key))
	})
	return rows, truncated, nil
}
