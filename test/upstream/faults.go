package upstream

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/pause"
)

// faults are the fault headers of one request.
type faults struct {
	status     int
	retryAfter string
	delay      time.Duration
	chunkDelay time.Duration
	chunks     int
	dropAfter  int
	stallAfter int
	errorFrame int // -1: none; 0: first event
	noUsage    bool
	step       string
	// A misbehaving upstream (see the package comment).
	usage    json.RawMessage // x-mock-usage: replaces the usage object
	error200 string          // x-mock-error-200: answer 200 with this error type
	echoKey  bool            // x-mock-echo-key: the reply holds the credential
	size     int             // x-mock-size: a non-streamed reply of this many bytes
	key      string          // the credential the request carried
}

func readFaults(h http.Header) faults {
	f := faults{chunks: -1, dropAfter: -1, stallAfter: -1, errorFrame: -1}
	f.status, _ = strconv.Atoi(h.Get("x-mock-status"))
	f.retryAfter = h.Get("x-mock-retry-after")
	f.delay, _ = time.ParseDuration(h.Get("x-mock-delay"))
	f.chunkDelay, _ = time.ParseDuration(h.Get("x-mock-chunk-delay"))
	if n, err := strconv.Atoi(h.Get("x-mock-chunks")); err == nil {
		f.chunks = n
	}
	if n, err := strconv.Atoi(h.Get("x-mock-drop-after")); err == nil {
		f.dropAfter = n
	}
	if n, err := strconv.Atoi(h.Get("x-mock-stall-after")); err == nil {
		f.stallAfter = n
	}
	switch v := h.Get("x-mock-error-frame"); v {
	case "":
	case "first":
		f.errorFrame = 0
	default:
		if n, err := strconv.Atoi(v); err == nil {
			f.errorFrame = n
		}
	}
	f.noUsage = h.Get("x-mock-no-usage") != ""
	f.step = h.Get("x-mock-step")
	if v := h.Get("x-mock-usage"); v != "" && json.Valid([]byte(v)) {
		f.usage = json.RawMessage(v)
	}
	f.error200 = h.Get("x-mock-error-200")
	f.echoKey = h.Get("x-mock-echo-key") != ""
	f.size, _ = strconv.Atoi(h.Get("x-mock-size"))
	f.key = credential(h)
	return f
}

// credential is the vendor credential a request carried, in whichever
// header its vendor uses.
func credential(h http.Header) string {
	if v, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		return v
	}
	for _, k := range []string{"X-Api-Key", "Api-Key", "X-Goog-Api-Key"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// beforeChunk applies per-chunk faults before chunk i (0-based) is sent:
// delay, step gate. It returns false when the client went away.
func (s *Server) beforeChunk(ctx context.Context, f *faults, i int) bool {
	if i == 0 {
		return ctx.Err() == nil
	}
	if f.step != "" {
		select {
		case <-ctx.Done():
			return false
		case <-s.Step(f.step):
		}
	}
	return pause.For(ctx, f.chunkDelay)
}
