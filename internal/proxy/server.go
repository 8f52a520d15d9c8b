// Package proxy is the gateway data plane: an OpenAI-compatible HTTP server
// that authenticates consumers, admits calls through the limits hook,
// routes them to backends with retries and fallback, streams answers without
// buffering, and hot-reloads its config by swapping one pointer.
package proxy

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/availability"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/metrics"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// Options configure a Server.
type Options struct {
	// Logger receives the access log and events; default JSON on stderr.
	Logger *slog.Logger
	// AccessLog, when set, is the writer behind Logger's handler, which
	// must be slog.NewJSONHandler with no option but a level: the access
	// log's lines are then encoded directly into it, byte for byte as
	// that handler writes them, each in one Write (wrap the writer with
	// NewLogWriter so those and the handler's are serialized).
	AccessLog io.Writer
	// Metrics is the collector set; default a fresh one.
	Metrics *metrics.Metrics
	// LimitOptions are added to the limits engine's options (a clock, the
	// store circuit's backoff); its metrics always go to Metrics.
	LimitOptions []limits.Option
	// Console, when set, is mounted at /console/ of the client listener
	// while the served config has console.enabled.
	Console http.Handler
	// Usage, when set, is told every served request's usage and cost (the
	// console's per-provider usage split).
	Usage UsageRecorder
	// Availability, when set, is the per-backend rolling window the
	// server feeds (shared with whatever reads it); default a fresh one
	// of availability.DefaultBuckets × DefaultBucket.
	Availability *availability.Registry
	// Now is the clock key validity (notAfter) is checked against; default
	// time.Now.
	Now func() time.Time
}

// UsageRecorder receives each served request's usage once it is settled.
type UsageRecorder interface {
	Record(consumer, model, provider string, u providers.Usage, costUSD float64)
}

// Server serves the client API from the current config snapshot.
type Server struct {
	log       *slog.Logger
	accessLog io.Writer // see Options.AccessLog
	m         *metrics.Metrics
	limitOpts []limits.Option
	console   http.Handler
	usage     UsageRecorder
	avail     *availability.Registry
	now       func() time.Time

	activity   activityLog // outlives reloads
	snap       atomic.Pointer[snapshot]
	states     sync.Map // backend label → *backendState; outlives reloads
	series     sync.Map // seriesKey → *callSeries (see seriesOf)
	tmu        sync.Mutex
	transports map[string]*http.Transport
	reloadMu   sync.Mutex

	inflight atomic.Int64
	buffered atomic.Int64 // bytes of non-streamed answers held (readHeld)
	draining atomic.Bool  // readiness is false
	aborting atomic.Bool  // drain deadline passed: open streams are ended

	// baseCtx is the parent of every request context (http.Server's
	// BaseContext); cancelling it ends the requests still open at the end
	// of a drain.
	baseCtx    context.Context
	baseCancel context.CancelFunc

	// anonKey keys the guardrails' placeholders of anonymous clients.
	anonKey []byte
}

// New makes a Server with no config; it answers 503 until Load succeeds.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Availability == nil {
		o.Availability = availability.NewRegistry(0, 0)
	}
	s := &Server{log: o.Logger, accessLog: o.AccessLog, m: o.Metrics, limitOpts: o.LimitOptions, console: o.Console, usage: o.Usage, now: o.Now,
		avail: o.Availability, transports: map[string]*http.Transport{}, anonKey: newAnonKey()}
	s.baseCtx, s.baseCancel = context.WithCancel(context.Background())
	return s
}

// Metrics returns the server's collectors.
func (s *Server) Metrics() *metrics.Metrics { return s.m }

// Ready reports whether a config is loaded and the server is not draining.
func (s *Server) Ready() bool { return s.snap.Load() != nil && !s.draining.Load() }

// ServeHTTP serves the client API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	fail := writeError
	if p == messagesPath || strings.HasPrefix(p, messagesPath+"/") {
		fail = writeAnthropicError // every Anthropic path answers in its shape
	}
	if !canonicalPath(r) {
		closeUnread(w, r)
		writeError(w, errNoRoute)
		return
	}
	sn := s.acquire()
	if sn == nil {
		closeUnread(w, r)
		fail(w, errNotReady)
		return
	}
	defer sn.release()
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	if n > sn.maxInFlight {
		s.m.Rejected.WithLabelValues("overloaded").Inc()
		w.Header().Set("Connection", "close")
		fail(w, errOverloaded)
		return
	}
	s.m.InFlight.Inc()
	defer s.m.InFlight.Dec()
	switch p {
	case "/v1/chat/completions", "/v1/embeddings", messagesPath:
		api := chatAPI
		switch p {
		case "/v1/embeddings":
			api = embeddingsAPI
		case messagesPath:
			api = anthropicAPI
		}
		if s.method(w, r, http.MethodPost, fail) {
			guardBody(w, sn)
			s.serveInference(w, r, sn, api)
		}
	case responsesPath:
		if s.method(w, r, http.MethodPost, writeError) {
			guardBody(w, sn)
			s.serveInference(w, r, sn, s.newResponsesCall(w, r, sn.responseState()))
		}
	case completionsPath:
		if s.method(w, r, http.MethodPost, writeError) {
			guardBody(w, sn)
			s.serveInference(w, r, sn, &completionsCall{})
		}
	case countTokensPath:
		if s.method(w, r, http.MethodPost, writeAnthropicError) {
			guardBody(w, sn)
			s.serveCountTokens(w, r, sn)
		}
	case "/v1/models":
		if s.method(w, r, http.MethodGet, writeError) {
			s.serveModels(w, r, sn, "")
		}
	case generationPath, activityPath:
		s.serveActivityAPI(w, r, sn)
	case rankingsPath:
		s.serveRankings(w, r, sn)
	default:
		if id, ok := strings.CutPrefix(p, "/v1/models/"); ok && id != "" {
			if s.method(w, r, http.MethodGet, writeError) {
				// A catalogue name first: a model may itself end in
				// "/endpoints".
				if m, ok := strings.CutSuffix(id, endpointsSuffix); ok && m != "" && sn.byName[id] == nil {
					s.serveEndpoints(w, r, sn, m)
					return
				}
				s.serveModels(w, r, sn, id)
			}
			return
		}
		if p == mcpPath || strings.HasPrefix(p, mcpPath+"/") {
			s.serveMCP(w, r, sn)
			return
		}
		if id := storedResponseID(p); id != "" {
			s.serveStoredResponse(w, r, sn, id)
			return
		}
		if s.console != nil && sn.cfg.Console.Enabled && (p == "/console" || strings.HasPrefix(p, "/console/")) {
			s.console.ServeHTTP(w, r)
			return
		}
		closeUnread(w, r)
		fail(w, errNoRoute)
	}
}

func (s *Server) method(w http.ResponseWriter, r *http.Request, want string, fail func(http.ResponseWriter, *apiError)) bool {
	if r.Method == want {
		return true
	}
	w.Header().Set("Allow", want)
	closeUnread(w, r)
	fail(w, errMethod)
	return false
}

// authenticated is the caller of a request the gateway answers itself,
// or false once the failure is counted and answered (401, by fail).
func (s *Server) authenticated(w http.ResponseWriter, r *http.Request, sn *snapshot, fail func(http.ResponseWriter, *apiError)) (principal, bool) {
	cons, ok := sn.auth.authenticate(r.Context(), r.Header, s.now())
	if !ok {
		s.m.Rejected.WithLabelValues("unauthenticated").Inc()
		closeUnread(w, r)
		fail(w, unauthorized)
	}
	return cons, ok
}

// serveModels lists the catalogue models the caller may use, or one.
func (s *Server) serveModels(w http.ResponseWriter, r *http.Request, sn *snapshot, id string) {
	cons, ok := s.authenticated(w, r, sn, writeError)
	if !ok {
		return
	}
	var out any
	if id != "" {
		e, found := sn.byName[id]
		if !found || !cons.allows(id) {
			writeError(w, modelNotFound("model", id))
			return
		}
		out = e
	} else {
		list := make([]*catalogueEntry, 0, len(sn.models))
		for i := range sn.models {
			if cons.allows(sn.models[i].ID) {
				list = append(list, &sn.models[i])
			}
		}
		out = map[string]any{"object": "list", "data": list}
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeError(w, serverError(http.StatusInternalServerError, "", "encoding the model list failed", 0))
		return
	}
	_ = writeAnswer(w, http.StatusOK, b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
