package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// BaseContext is the parent of every request context; use it as
// http.Server.BaseContext so a drain can end the requests still open.
func (s *Server) BaseContext(net.Listener) context.Context { return s.baseCtx }

// HTTPServer returns the client-facing http.Server for a config: header and
// idle timeouts are set here; body reads and writes get per-request
// deadlines instead of ReadTimeout/WriteTimeout, so long streams are not cut.
func (s *Server) HTTPServer(cfg *config.Config) *http.Server {
	srv := cfg.Server
	srv.Default() // a config not yet loaded has not been defaulted
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: srv.ReadHeaderTimeout.Duration,
		IdleTimeout:       srv.IdleTimeout.Duration,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       s.BaseContext,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// MetricsHandler serves /metrics, /healthz (the process is alive), /readyz
// (a config is loaded and the server is not draining), /usage (every
// consumer's usage, for the operator; never on the client listener) and
// /availability (each provider's recent attempts, for the operator).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.m.Handler())
	mux.HandleFunc("GET /usage", s.serveUsage)
	mux.HandleFunc("GET /availability", s.serveAvailabilityReport)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case s.draining.Load():
			http.Error(w, "draining", http.StatusServiceUnavailable)
		case s.snap.Load() == nil:
			http.Error(w, "no config loaded", http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte("ok\n"))
		}
	})
	return mux
}

// StartDrain makes readiness fail at once (the first thing on SIGTERM).
func (s *Server) StartDrain() { s.draining.Store(true) }

// Drain shuts hs down gracefully: readiness fails, listeners close, and
// requests in flight get until timeout to finish. Streams still open then
// are ended with a terminal error event (requests not yet answered get a
// 503), and Drain waits up to grace for them before closing everything.
func (s *Server) Drain(hs *http.Server, timeout, grace time.Duration) error {
	s.StartDrain()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := hs.Shutdown(ctx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutting down the client listener: %w", err)
	}
	open := s.inflight.Load()
	s.aborting.Store(true)
	s.baseCancel()
	deadline := time.Now().Add(grace)
	for s.inflight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s.log.Warn("drain timeout: open requests were ended", slog.Int64("requests", open))
	if err := hs.Close(); err != nil {
		return fmt.Errorf("closing the client listener: %w", err)
	}
	return nil
}
