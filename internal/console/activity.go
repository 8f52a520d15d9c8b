package console

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/tollgate-dev/tollgate/internal/activity"
)

// ActivitySource lists one page of the gateway's activity log; a Filter
// with an empty Consumer is every consumer's records. The proxy's
// Server.Activity is one.
type ActivitySource func(ctx context.Context, f activity.Filter) (activity.Page, error)

// Admin views of the activity log. Consumers read their own log on the
// client API (GET /v1/activity, GET /v1/rankings); these two endpoints are
// the admin's view across consumers and answer a consumer key with 403.
const (
	// adminRankingScan bounds the records one admin ranking reads, as
	// GET /v1/rankings does for a consumer (ten full pages).
	adminRankingScan = 10 * activity.MaxPageSize
)

// rankingKeys are the dimensions the admin ranks by: those of
// GET /v1/rankings, and the consumer.
var rankingKeys = map[string]func(*activity.Record) string{
	"model":    func(r *activity.Record) string { return r.Model },
	"provider": func(r *activity.Record) string { return r.Provider },
	"app":      func(r *activity.Record) string { return r.App },
	"category": func(r *activity.Record) string { return r.Category },
	"consumer": func(r *activity.Record) string { return r.Consumer },
}

var rankingPeriods = map[string]time.Duration{"day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour}

// RankingRow is one key's totals, in GET /v1/rankings' shape.
type RankingRow struct {
	Key              string  `json:"key"`
	Requests         int64   `json:"requests"`
	PromptTokens     int64   `json:"tokens_prompt"`
	CompletionTokens int64   `json:"tokens_completion"`
	Tokens           int64   `json:"tokens"`
	Cost             float64 `json:"total_cost"`
}

// adminOnly answers false (after writing the refusal) unless p is an admin
// and the activity log is wired in.
func (h *handler) adminOnly(w http.ResponseWriter, p Principal) bool {
	if !p.Admin {
		writeJSON(w, http.StatusForbidden, apiError("Only a console admin key reads every consumer's activity; a consumer reads its own on /v1/activity and /v1/rankings.", "forbidden"))
		return false
	}
	if h.d.Activity == nil {
		writeJSON(w, http.StatusNotFound, apiError("This console has no activity log.", "not_found"))
		return false
	}
	return true
}

// serveActivity answers GET /console/api/activity: one page of every
// consumer's records (or one consumer's, with consumer=), with the filters
// of GET /v1/activity.
func (h *handler) serveActivity(w http.ResponseWriter, r *http.Request, p Principal) {
	if !h.adminOnly(w, p) {
		return
	}
	q := r.URL.Query()
	f, param, msg := activityFilter(q)
	if param != "" {
		writeJSON(w, http.StatusBadRequest, paramError(param, msg))
		return
	}
	f.Consumer = q.Get("consumer")
	ctx, cancel := context.WithTimeout(r.Context(), h.d.UsageTimeout)
	defer cancel()
	page, err := h.d.Activity(ctx, f)
	if err != nil {
		h.activityError(w, r, err)
		return
	}
	if page.Data == nil {
		page.Data = []activity.Record{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": page.Data, "next_cursor": page.Next})
}

// serveRankings answers GET /console/api/rankings?by=model|provider|app|
// category|consumer&period=day|week|month (defaults app, week): every
// consumer's records of the period summed by the key, most tokens first,
// reading at most adminRankingScan records ("truncated" says there were
// more).
func (h *handler) serveRankings(w http.ResponseWriter, r *http.Request, p Principal) {
	if !h.adminOnly(w, p) {
		return
	}
	q := r.URL.Query()
	by, period := cmp.Or(q.Get("by"), "app"), cmp.Or(q.Get("period"), "week")
	key, ok := rankingKeys[by]
	if !ok {
		writeJSON(w, http.StatusBadRequest, paramError("by", "by must be model, provider, app, category or consumer"))
		return
	}
	span, ok := rankingPeriods[period]
	if !ok {
		writeJSON(w, http.StatusBadRequest, paramError("period", "period must be day, week or month"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.d.UsageTimeout)
	defer cancel()
	rows, truncated, err := rankActivity(ctx, h.d.Activity, activity.Filter{From: time.Now().Add(-span)}, key)
	if err != nil {
		h.activityError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "by": by, "period": period, "data": rows, "truncated": truncated})
}

// rankActivity pages through f's records (at most adminRankingScan) and
// sums them by key, most tokens first.
func rankActivity(ctx context.Context, src ActivitySource, f activity.Filter, key func(*activity.Record) string) ([]RankingRow, bool, error) {
	f.Limit = activity.MaxPageSize
	rows := map[string]*RankingRow{}
	truncated := false
	for scanned := 0; ; {
		page, err := src(ctx, f)
		if err != nil {
			return nil, false, err
		}
		for i := range page.Data {
			rec := &page.Data[i]
			k := key(rec)
			row := rows[k]
			if row == nil {
				row = &RankingRow{Key: k}
				rows[k] = row
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
		if scanned >= adminRankingScan {
			truncated = true
			break
		}
		f.Cursor = page.Next
	}
	out := make([]RankingRow, 0, len(rows))
	for _, row := range rows {
		row.Cost = math.Round(row.Cost*1e9) / 1e9
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b RankingRow) int {
		return cmp.Or(cmp.Compare(b.Tokens, a.Tokens), cmp.Compare(a.Key, b.Key))
	})
	return out, truncated, nil
}

func (h *handler) activityError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, activity.ErrBadCursor) {
		writeJSON(w, http.StatusBadRequest, paramError("cursor", "cursor is not one a page returned"))
		return
	}
	h.d.Logger.LogAttrs(r.Context(), slog.LevelWarn, "console activity unavailable", slog.String("error", err.Error()))
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, apiError("The activity log is unavailable right now; retry shortly.", "activity_unavailable"))
}

// activityFilter reads the query of GET /v1/activity (from and to as RFC
// 3339 or unix seconds, model, app, category, status, limit, cursor); a
// bad value returns the parameter and why.
func activityFilter(q url.Values) (f activity.Filter, param, msg string) {
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
			return f, p.name, p.name + " must be an RFC 3339 time or unix seconds"
		}
		*p.to = t
	}
	f.Model, f.App, f.Status, f.Cursor = q.Get("model"), q.Get("app"), q.Get("status"), q.Get("cursor")
	if v := q.Get("category"); v != "" {
		if f.Category = activity.Category(v); f.Category == "" {
			return f, "category", "category must be lower-case letters, digits, - or _ (at most 64)"
		}
	}
	if !activity.ValidStatus(f.Status) {
		return f, "status", "status must be an HTTP status, ok, error or 2xx..5xx"
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > activity.MaxPageSize {
			return f, "limit", "limit must be 1 to " + strconv.Itoa(activity.MaxPageSize)
		}
		f.Limit = n
	}
	return f, "", ""
}

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

func paramError(param, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"message": msg, "type": "invalid_request_error", "code": "invalid_value", "param": param}}
}
