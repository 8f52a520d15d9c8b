package upstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/pause"
)

// Helpers shared by the vendor formats.

// vendorPrelude applies the delay and status faults, writing the status
// with the vendor's own error writer; false means the answer is written.
func vendorPrelude(w http.ResponseWriter, r *http.Request, f *faults, writeErr errorWriter) bool {
	if !pause.For(r.Context(), f.delay) {
		return false
	}
	if f.status >= 400 {
		writeErr(w, f, f.status, fmt.Sprintf("mock upstream fault %d", f.status))
		return false
	}
	return true
}

// errorWriter writes a vendor's error answer.
type errorWriter func(w http.ResponseWriter, f *faults, status int, msg string)

// readJSON decodes the request body into v and returns the body as sent;
// a body that is not JSON is answered with a 400 (msg followed by the
// decoder's error) and ok is false.
func readJSON(w http.ResponseWriter, r *http.Request, v any, writeErr errorWriter, msg string) (raw []byte, ok bool) {
	raw, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		writeErr(w, nil, http.StatusBadRequest, msg+err.Error())
		return nil, false
	}
	return raw, true
}

// writeJSON writes a 200 answer holding v's JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes a vendor's JSON error answer: status, body's JSON,
// and the Retry-After fault header when one was asked for. Set the
// vendor's own headers before.
func writeError(w http.ResponseWriter, f *faults, status int, body any) {
	if f != nil && f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(body)
	_, _ = w.Write(b)
}

// streamChunks sends n content chunks through send, applying the
// per-chunk faults (delay, step, error frame, drop, stall) before each and
// after the last. It returns false when the stream ended early; the caller
// then sends nothing more.
func (s *Server) streamChunks(r *http.Request, f *faults, n int, send func(i int), errorFrame func()) bool {
	for i := range n {
		if !s.beforeChunk(r.Context(), f, i) {
			s.noteCancelled()
			return false
		}
		switch i {
		case f.errorFrame:
			errorFrame()
			return false
		case f.dropAfter:
			panic(http.ErrAbortHandler)
		case f.stallAfter:
			<-r.Context().Done()
			s.noteCancelled()
			return false
		}
		send(i)
	}
	switch n {
	case f.errorFrame:
		errorFrame()
		return false
	case f.dropAfter:
		panic(http.ErrAbortHandler)
	}
	return true
}

// words splits text into word chunks ("a ", "b"), or makes n numbered
// words when x-mock-chunks asked for them.
func words(text string, n int) []string {
	if n >= 0 {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("w%d ", i+1)
		}
		return out
	}
	if text == "" {
		text = "Hello from upstream"
	}
	var out []string
	for _, w := range strings.SplitAfter(text, " ") {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

// splitN cuts s into at most n pieces of similar length (n >= 1).
func splitN(s string, n int) []string {
	if n < 1 {
		n = 1
	}
	size := (len(s) + n - 1) / n
	if size == 0 {
		return []string{s}
	}
	var out []string
	for len(s) > size {
		out = append(out, s[:size])
		s = s[size:]
	}
	return append(out, s)
}
