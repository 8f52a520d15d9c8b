package proxy

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/responsestate"
)

// responseStore is the response state of one or more snapshots: the same
// store is handed from a snapshot to the next while its settings (where
// it lives, its TTL) are unchanged, so stored responses survive reloads,
// and its Redis client is closed when the last snapshot using it closes.
type responseStore struct {
	store  responsestate.Store
	key    string // the settings it was built from
	closer io.Closer
	users  atomic.Int64
}

// responseStoreKey names the settings of the store cfg asks for ("" when
// storing is off).
func responseStoreKey(cfg *config.Config, prefix string) string {
	if cfg.Responses.DisableStore {
		return ""
	}
	k := struct {
		TTL    config.Duration
		Prefix string
		Redis  *config.Redis
	}{cfg.Responses.StoreTTL, prefix, nil}
	if cfg.Limits.Type == config.StoreRedis {
		k.Redis = cfg.Limits.Redis
	}
	b, _ := json.Marshal(k) // plain values: cannot fail
	return string(b)
}

// buildResponseStore returns the response state a snapshot of cfg serves
// from: prev's when its settings are the same, else a new one (in the
// limits' Redis when the limits use Redis, in bounded memory otherwise);
// nil when the gateway keeps no responses. The caller adopts it (adopt)
// once nothing else can fail, or closes a new one.
func buildResponseStore(cfg *config.Config, prev *snapshot) (*responseStore, error) {
	prefix := limits.KeyPrefix(cfg)
	key := responseStoreKey(cfg, prefix)
	if key == "" {
		return nil, nil
	}
	if prev != nil && prev.responses != nil && prev.responses.key == key {
		return prev.responses, nil
	}
	opts := responsestate.Options{TTL: cfg.Responses.StoreTTL.Duration}
	rs := &responseStore{key: key}
	if cfg.Limits.Type == config.StoreRedis {
		st, closer, err := responsestate.Dial(cfg.Limits.Redis, prefix, opts)
		if err != nil {
			return nil, err
		}
		rs.store, rs.closer = st, closer
	} else {
		rs.store = responsestate.NewMemory(opts)
	}
	return rs, nil
}

// adopt counts one more snapshot using the store.
func (rs *responseStore) adopt() {
	if rs != nil {
		rs.users.Add(1)
	}
}

// drop ends one snapshot's use; the last closes the store.
func (rs *responseStore) drop() {
	if rs != nil && rs.users.Add(-1) == 0 && rs.closer != nil {
		_ = rs.closer.Close()
	}
}

// discard closes a store built for a snapshot that was never published.
func (rs *responseStore) discard(prev *snapshot) {
	if rs != nil && (prev == nil || prev.responses != rs) && rs.closer != nil {
		_ = rs.closer.Close()
	}
}

// responses is the store a snapshot serves from (nil: none).
func (sn *snapshot) responseState() responsestate.Store {
	if sn.responses == nil {
		return nil
	}
	return sn.responses.store
}

// serveStoredResponse serves GET and DELETE /v1/responses/{id}: the
// caller's own stored responses only (another consumer's is not found).
func (s *Server) serveStoredResponse(w http.ResponseWriter, r *http.Request, sn *snapshot, id string) {
	if r.Method != http.MethodGet && r.Method != http.MethodDelete {
		w.Header().Set("Allow", "GET, DELETE")
		closeUnread(w, r)
		writeError(w, errMethod)
		return
	}
	cons, ok := s.authenticated(w, r, sn, writeError)
	if !ok {
		return
	}
	st := sn.responseState()
	if st == nil {
		writeError(w, responseNotFound(id))
		return
	}
	ctx := r.Context()
	if r.Method == http.MethodDelete {
		err := st.Delete(ctx, cons.name(), id)
		if err == nil {
			b, _ := json.Marshal(map[string]any{"id": id, "object": "response.deleted", "deleted": true})
			_ = writeAnswer(w, http.StatusOK, b)
			return
		}
		s.storedResponseError(w, r, id, err)
		return
	}
	rec, err := st.Get(ctx, cons.name(), id)
	if err != nil {
		s.storedResponseError(w, r, id, err)
		return
	}
	_ = writeAnswer(w, http.StatusOK, rec.Response)
}

func (s *Server) storedResponseError(w http.ResponseWriter, r *http.Request, id string, err error) {
	if errors.Is(err, responsestate.ErrNotFound) {
		writeError(w, responseNotFound(id))
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "reading a stored response failed", attrErr(err))
	writeError(w, errStateUnavailable)
}

// responseNotFound is OpenAI's 404 for an unknown response id.
func responseNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found",
		Message: "Response with id '" + truncate(id, 128) + "' not found."}
}

// storedResponseID is the id of a /v1/responses/{id} path ("" for others).
func storedResponseID(p string) string {
	id, ok := strings.CutPrefix(p, responsesPath+"/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	return id
}
