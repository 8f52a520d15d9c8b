package proxy

import (
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/activity"
)

// rankingsPath ranks the caller's own activity.
const rankingsPath = "/v1/rankings"

// serveRankings answers GET /v1/rankings?by=model|provider|app|category
// &period=day|week|month (defaults app, week): the caller's records of the
// period (within the log's retention) summed by that key, most tokens
// first. Records without the key (no app named) are under "". At most
// activity.RankingScan records are read; "truncated" says when there were
// more.
func (s *Server) serveRankings(w http.ResponseWriter, r *http.Request, sn *snapshot) {
	if !s.method(w, r, http.MethodGet, writeError) {
		return
	}
	cons, ok := s.authenticated(w, r, sn, writeError)
	if !ok {
		return
	}
	rk, qerr := activity.ParseRanking(r.URL.Query(), false)
	if qerr != nil {
		writeError(w, badQuery(qerr.Param, qerr.Message))
		return
	}
	rows, truncated := []activity.RankingRow{}, false
	if st := s.activityStore(); st != nil {
		var err error
		if rows, truncated, err = rk.Rank(r.Context(), st.List, cons.name(), s.now()); err != nil {
			s.activityError(w, r, err, "")
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "by": rk.By, "period": rk.Period, "data": rows, "truncated": truncated})
}
