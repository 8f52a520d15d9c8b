// Package upstream is a mock vendor server for tests: it speaks real wire
// formats on 127.0.0.1, injects faults chosen by request headers, and
// records what it received so tests can assert what the gateway sent.
//
// Each vendor format lives in its own file and registers its routes with
// register (see openai.go); the server routes by path.
//
// Fault headers (all optional):
//
//	x-mock-status: 503            answer this status with the vendor's error body
//	x-mock-retry-after: 2         Retry-After on that answer
//	x-mock-delay: 200ms           wait before the first byte
//	x-mock-chunk-delay: 10ms      wait between stream chunks
//	x-mock-chunks: 5              number of content chunks (words)
//	x-mock-drop-after: 2          drop the connection after N chunks
//	x-mock-stall-after: 2         stop sending (hold the connection) after N chunks
//	x-mock-error-frame: first|N   an error event instead of chunk N, then end
//	x-mock-no-usage: 1            report no usage
//	x-mock-step: NAME             before each chunk after the first, wait for Step(NAME)
//
// A misbehaving upstream (OpenAI format):
//
//	x-mock-usage: {"prompt_tokens":-5}  send this usage object instead of the real one
//	x-mock-error-200: server_error      answer 200 with an error object of this type
//	                                    (rate_limit_error, server_error, ...) echoing the credential
//	x-mock-echo-key: 1                  the reply echoes the credential (split across two
//	                                    stream chunks when streaming)
//	x-mock-size: 1048576                a non-streamed reply of this many bytes of content
package upstream

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Recorded is one request as the server received it.
type Recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// Server is a running mock upstream.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT (vendors' paths hang off it,
	// for OpenAI URL+"/v1").
	URL string

	ts        *httptest.Server
	mu        sync.Mutex
	reqs      []Recorded
	steps     map[string]chan struct{}
	script    *Script
	cancelled atomic.Int64
	cancelCh  chan struct{}
}

var (
	regMu         sync.Mutex
	registrations []func(s *Server, mux *http.ServeMux)
)

// register adds a vendor's routes; each format file calls it from init.
func register(f func(s *Server, mux *http.ServeMux)) {
	regMu.Lock()
	defer regMu.Unlock()
	registrations = append(registrations, f)
}

// Start runs a server on 127.0.0.1 and a free port.
func Start() *Server {
	s := &Server{steps: map[string]chan struct{}{}, cancelCh: make(chan struct{}, 1024)}
	mux := http.NewServeMux()
	regMu.Lock()
	for _, f := range registrations {
		f(s, mux)
	}
	regMu.Unlock()
	s.ts = httptest.NewUnstartedServer(s.record(mux))
	s.ts.Start()
	s.URL = s.ts.URL
	return s
}

// New starts a server closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and its connections.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Requests returns every request received so far.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.reqs...)
}

// Count is the number of requests received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// Last returns the last request received, ok false if none.
func (s *Server) Last() (Recorded, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return Recorded{}, false
	}
	return s.reqs[len(s.reqs)-1], true
}

// Step returns the channel that releases the next chunk of streams sent
// with x-mock-step: name. Send on it once per chunk to release.
func (s *Server) Step(name string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.steps[name]
	if !ok {
		ch = make(chan struct{})
		s.steps[name] = ch
	}
	return ch
}

// Cancelled counts streams whose client went away before the end.
func (s *Server) Cancelled() int64 { return s.cancelled.Load() }

// CancelledCh receives once per stream cancelled by its client.
func (s *Server) CancelledCh() <-chan struct{} { return s.cancelCh }

func (s *Server) noteCancelled() {
	s.cancelled.Add(1)
	select {
	case s.cancelCh <- struct{}{}:
	default:
	}
}

func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.reqs = append(s.reqs, Recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}
