package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
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
	f, qerr := activity.ParseQuery(q)
	if qerr != nil {
		writeJSON(w, http.StatusBadRequest, paramError(qerr.Param, qerr.Message))
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
// reading at most activity.RankingScan records ("truncated" says there were
// more).
func (h *handler) serveRankings(w http.ResponseWriter, r *http.Request, p Principal) {
	if !h.adminOnly(w, p) {
		return
	}
	rk, qerr := activity.ParseRanking(r.URL.Query(), true)
	if qerr != nil {
		writeJSON(w, http.StatusBadRequest, paramError(qerr.Param, qerr.Message))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.d.UsageTimeout)
	defer cancel()
	rows, truncated, err := rk.Rank(ctx, h.d.Activity, "", time.Now())
	if err != nil {
		h.activityError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "by": rk.By, "period": rk.Period, "data": rows, "truncated": truncated})
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

func paramError(param, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"message": msg, "type": "invalid_request_error", "code": "invalid_value", "param": param}}
}
