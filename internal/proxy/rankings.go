package proxy

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/tollgate-dev/tollgate/internal/activity"
)

// rankingsPath ranks the caller's own activity.
const rankingsPath = "/v1/rankings"

// rankingsScan bounds the records one ranking reads (ten full pages).
const rankingsScan = 10 * activity.MaxPageSize

// rankingRow is one key's totals.
type rankingRow struct {
	Key              string  `json:"key"`
	Requests         int64   `json:"requests"`
	PromptTokens     int64   `json:"tokens_prompt"`
	CompletionTokens int64   `json:"tokens_completion"`
	Tokens           int64   `json:"tokens"`
	Cost             float64 `json:"total_cost"`
}

// rankingKeys are the dimensions GET /v1/rankings ranks by.
var rankingKeys = map[string]func(*activity.Record) string{
	"model":    func(r *activity.Record) string { return r.Model },
	"provider": func(r *activity.Record) string { return r.Provider },
	"app":      func(r *activity.Record) string { return r.App },
	"category": func(r *activity.Record) string { return r.Category },
}

var rankingPeriods = map[string]time.Duration{"day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour}

// serveRankings answers GET /v1/rankings?by=model|provider|app|category
// &period=day|week|month (defaults app, week): the caller's records of the
// period (within the log's retention) summed by that key, most tokens
// first. Records without the key (no app named) are under "". At most
// rankingsScan records are read; "truncated" says when there were more.
func (s *Server) serveRankings(w http.ResponseWriter, r *http.Request, sn *snapshot) {
	if !s.method(w, r, http.MethodGet, writeError) {
		return
	}
	cons, ok := s.authenticated(w, r, sn, writeError)
	if !ok {
		return
	}
	q := r.URL.Query()
	by, period := cmp.Or(q.Get("by"), "app"), cmp.Or(q.Get("period"), "week")
	key, ok := rankingKeys[by]
	if !ok {
		writeError(w, badQuery("by", "by must be model, provider, app or category"))
		return
	}
	span, ok := rankingPeriods[period]
	if !ok {
		writeError(w, badQuery("period", "period must be day, week or month"))
		return
	}
	rows := map[string]*rankingRow{}
	truncated := false
	if st := s.activityStore(); st != nil {
		f := activity.Filter{Consumer: cons.name(), From: s.now().Add(-span), Limit: activity.MaxPageSize}
		for scanned := 0; ; {
			page, err := st.List(r.Context(), f)
			if err != nil {
				s.activityError(w, r, err, "")
				return
			}
			for i := range page.Data {
				rec := &page.Data[i]
				k := key(rec)
				row := rows[k]
				if row == nil {
					row = &rankingRow{Key: k}
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
			if scanned >= rankingsScan {
				truncated = true
				break
			}
			f.Cursor = page.Next
		}
	}
	out := make([]rankingRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b rankingRow) int {
		return cmp.Or(cmp.Compare(b.Tokens, a.Tokens), cmp.Compare(a.Key, b.Key))
	})
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "by": by, "period": period, "data": out, "truncated": truncated})
}
