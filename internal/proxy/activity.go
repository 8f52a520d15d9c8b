package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tollgate-dev/tollgate/internal/activity"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
)

// Paths of the activity log's client API.
const (
	generationPath = "/v1/generation"
	activityPath   = "/v1/activity"
)

// App attribution headers, as OpenRouter reads them (HTTP-Referer),
// spelled canonically so that reading them allocates no canonical key.
const (
	headerAppURL   = "Http-Referer"
	headerAppTitle = "X-Title"
	// headerCategory names the request's use (coding, agents…).
	headerCategory = "X-Tollgate-Category"
)

// activityLog is the server's activity store: kept across reloads while its
// settings (where it lives) are unchanged, replaced when they change.
type activityLog struct {
	mu     sync.Mutex
	key    string
	store  activity.Store
	closer io.Closer
}

// activityKey names the store cfg asks for.
func activityKey(cfg *config.Config) string {
	k := struct {
		Prefix string
		Redis  *config.Redis
	}{limits.KeyPrefix(cfg), nil}
	if cfg.Limits.Type == config.StoreRedis {
		k.Redis = cfg.Limits.Redis
	}
	b, _ := json.Marshal(k) // plain values: cannot fail
	return string(b)
}

// useActivity points the activity log at the store cfg asks for: the
// limits' Redis when they use Redis, else memory. A Redis it cannot reach
// yet is no error (writes are dropped and counted until it answers); one it
// cannot even configure leaves the log in memory, logged.
func (s *Server) useActivity(cfg *config.Config) {
	a := &s.activity
	key := activityKey(cfg)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store != nil && a.key == key {
		return
	}
	opts := activity.Options{Now: s.now, Dropped: func(reason string) { s.m.ActivityDropped.WithLabelValues(reason).Inc() }}
	var st activity.Store
	var closer io.Closer
	if cfg.Limits.Type == config.StoreRedis && cfg.Limits.Redis != nil {
		rc := *cfg.Limits.Redis
		rc.Timeout = config.D(activity.DefaultTimeout)
		ls, err := limits.NewRedis(&rc)
		if err == nil {
			st, closer = activity.NewRedis(ls.Client(), limits.KeyPrefix(cfg), opts), ls
		} else {
			s.log.Warn("activity log kept in memory: its Redis cannot be configured", attrErr(err))
		}
	}
	if st == nil {
		st = activity.NewMemory(opts)
	}
	old, oldCloser := a.store, a.closer
	a.store, a.closer, a.key = st, closer, key
	if old != nil {
		go closeActivity(old, oldCloser)
	}
}

func closeActivity(st activity.Store, closer io.Closer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = st.Close(ctx)
	if closer != nil {
		_ = closer.Close()
	}
}

// closeActivityLog flushes and closes the activity store (Server.Close).
func (s *Server) closeActivityLog() {
	a := &s.activity
	a.mu.Lock()
	st, closer := a.store, a.closer
	a.store, a.closer, a.key = nil, nil, ""
	a.mu.Unlock()
	if st != nil {
		closeActivity(st, closer)
	}
}

func (s *Server) activityStore() activity.Store {
	a := &s.activity
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.store
}

// Activity lists one page of the activity log (the console's admin view;
// Filter.Consumer "" is every consumer).
func (s *Server) Activity(ctx context.Context, f activity.Filter) (activity.Page, error) {
	st := s.activityStore()
	if st == nil {
		return activity.Page{}, nil
	}
	return st.List(ctx, f)
}

// beginActivity names the call's generation (in the answer's header, set
// before anything is written) and its app: the gateway's app header
// (activity.appHeader) when set and sent, else X-Title, else
// HTTP-Referer's host.
func (c *call) beginActivity() {
	c.genID = activity.NewID()
	c.w.Header().Set(activity.HeaderGenerationID, c.genID)
	h := c.r.Header
	c.appURL = activity.Clip(h.Get(headerAppURL))
	c.app = activity.Clip(h.Get(headerAppTitle))
	if name := c.sn.cfg.Activity.AppHeader; name != "" {
		// The gateway's own app header wins; the attribution headers
		// still name the app when it is absent.
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			c.app = activity.Clip(v)
		}
	}
	c.category = activity.Category(h.Get(headerCategory))
	if c.app == "" && c.appURL != "" {
		if u, err := url.Parse(c.appURL); err == nil && u.Host != "" {
			c.app = u.Host
		} else {
			c.app = c.appURL
		}
	}
}

// recordActivity adds the finished call to the activity log (an
// unauthenticated call has no consumer to file it under and is not kept).
func (c *call) recordActivity(status int, backend, provider string, elapsed time.Duration, guardrailHits string) {
	if c.consumer == "" || c.genID == "" {
		return
	}
	st := c.s.activityStore()
	if st == nil {
		return
	}
	rec := &activity.Record{
		ID: c.genID, Time: c.start.UnixMilli(), Consumer: c.consumer, Subject: c.subject, App: c.app, AppURL: c.appURL, Category: c.category,
		API: c.api.name(), Model: orUnknown(c.served), Asked: c.asked, Backend: backend, Provider: provider,
		InputTokens: c.usage.InputTokens, OutputTokens: c.usage.OutputTokens,
		CachedInputTokens: c.usage.CachedInputTokens, ReasoningTokens: c.usage.ReasoningTokens,
		UsageReported: c.usage.Reported, Cost: math.Round(c.cost*1e9) / 1e9,
		LatencyMS: float64(elapsed.Microseconds()) / 1000, TTFTMS: float64(c.ttft.Microseconds()) / 1000,
		Status: status, Error: c.errClass, Stream: c.stream, Attempts: c.attempts, Cached: c.cached, BYOK: c.byok,
	}
	rec.Guardrails = guardrailHits
	rec.Bodies = c.captured()
	if rec.Model == "unknown" && c.model != "" {
		rec.Model = c.model
	}
	if c.backend != nil {
		rec.UpstreamModel = c.backend.upstreamModel(c.served)
	}
	st.Add(rec)
}

// serveActivityAPI serves GET /v1/generation?id= (the caller's own
// generation) and GET /v1/activity (the caller's own log, filtered and
// paged).
func (s *Server) serveActivityAPI(w http.ResponseWriter, r *http.Request, sn *snapshot) {
	if !s.method(w, r, http.MethodGet, writeError) {
		return
	}
	cons, ok := sn.auth.authenticate(r.Context(), r.Header, s.now())
	if !ok {
		s.m.Rejected.WithLabelValues("unauthenticated").Inc()
		closeUnread(w, r)
		writeError(w, unauthorized)
		return
	}
	st := s.activityStore()
	q := r.URL.Query()
	if r.URL.Path == generationPath {
		id := q.Get("id")
		bodies, aerr := includeBodies(q)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		// A consumer's name is never "" (the stores' admin filter): an
		// anonymous caller has no generation to read.
		if !activity.ValidID(id) || st == nil || cons.name() == "" {
			writeError(w, generationNotFound(id))
			return
		}
		rec, err := lookup(r.Context(), st, cons.name(), id, bodies)
		if err != nil {
			s.activityError(w, r, err, id)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": rec})
		return
	}
	f, qerr := activity.ParseQuery(q)
	if qerr != nil {
		writeError(w, badQuery(qerr.Param, qerr.Message))
		return
	}
	f.Consumer = cons.name()
	page := activity.Page{Data: []activity.Record{}}
	if st != nil && f.Consumer != "" {
		var err error
		if page, err = st.List(r.Context(), f); err != nil {
			s.activityError(w, r, err, "")
			return
		}
		if page.Data == nil {
			page.Data = []activity.Record{}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": page.Data, "next_cursor": page.Next})
}

// includeBodies reads GET /v1/generation's include: "bodies" asks for the
// captured bodies too.
func includeBodies(q url.Values) (bool, *apiError) {
	switch q.Get("include") {
	case "":
		return false, nil
	case "bodies":
		return true, nil
	}
	return false, badQuery("include", "include must be bodies")
}

// lookup reads consumer's generation id ("": any consumer's, the admin),
// with its captured bodies when asked and still kept.
func lookup(ctx context.Context, st activity.Store, consumer, id string, bodies bool) (*activity.Record, error) {
	rec, err := st.Get(ctx, consumer, id)
	if err != nil || !bodies || !rec.BodiesCaptured {
		return rec, err
	}
	b, err := st.Bodies(ctx, consumer, id)
	switch {
	case errors.Is(err, activity.ErrNotFound):
		return rec, nil // expired before the record: the record alone
	case err != nil:
		return nil, err
	}
	rec.Bodies = b
	return rec, nil
}

// Generation looks up any consumer's generation id with its captured
// bodies while they last (the console's admin view).
func (s *Server) Generation(ctx context.Context, id string) (*activity.Record, error) {
	st := s.activityStore()
	if st == nil || !activity.ValidID(id) {
		return nil, activity.ErrNotFound
	}
	return lookup(ctx, st, "", id, true)
}

func (s *Server) activityError(w http.ResponseWriter, r *http.Request, err error, id string) {
	switch {
	case errors.Is(err, activity.ErrNotFound):
		writeError(w, generationNotFound(id))
	case errors.Is(err, activity.ErrBadCursor):
		writeError(w, badQuery("cursor", "cursor is not one a page returned"))
	default:
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "reading the activity log failed", attrErr(err))
		writeError(w, serverError(http.StatusServiceUnavailable, "activity_unavailable", "the activity log is unavailable; try again", 0))
	}
}

func badQuery(param, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_value", Param: param, Message: msg}
}

func generationNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found",
		Message: "Generation '" + truncate(strings.ToValidUTF8(id, ""), 64) + "' not found."}
}
