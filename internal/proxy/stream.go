package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

var (
	sseData = []byte("data: ")
	sseEnd  = []byte("\n\n")
	sseDone = []byte("data: [DONE]\n\n")
)

// relay streams an upstream event stream to the client, one flush per
// event. The status is committed only on the first good event: an error
// event, a timeout or a broken stream before it is an ordinary failure the
// caller may retry elsewhere. After it, a failure ends the stream with a
// terminal error event and no [DONE]; another backend is never spliced in.
func (s *Server) relay(ctx context.Context, w http.ResponseWriter, r *http.Request, rc *http.ResponseController,
	sn *snapshot, b *backend, req *providers.Request, body io.Reader, pt *phaseTimer, started time.Time, out *outcome) *providers.Error {
	st := b.up.adapter.Stream(req, body)
	var first providers.Chunk
	for {
		c, err := st.Next()
		if err != nil {
			return s.streamError(ctx, r, b, err, out)
		}
		if c.Usage != nil {
			out.usage = *c.Usage
		}
		if c.UsageOnly && !req.ClientWantsUsage {
			continue
		}
		first = c
		break
	}
	pt.idle(b.up.idle)
	out.ttft = time.Since(out.start)
	b.state.observe(time.Since(started))

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	out.status = http.StatusOK
	w.WriteHeader(http.StatusOK)
	sw := s.newStreamWriter(w, rc, sn, out)
	if ok, bad := sw.event(first.Data); !ok || bad != nil {
		return s.endEarly(out, ok, bad)
	}
	if !first.UsageOnly {
		out.chunks++
	}
	for {
		c, err := st.Next()
		if err == io.EOF {
			sw.done()
			return nil
		}
		if err != nil {
			ferr := s.streamError(ctx, r, b, err, out)
			if out.cancelled && !s.aborting.Load() {
				return ferr
			}
			msg, code := ferr.Message, "upstream_stream_error"
			status := ferr.Status
			if s.aborting.Load() {
				msg, code, status = "The gateway is shutting down; the stream was ended.", "gateway_shutdown", http.StatusServiceUnavailable
			} else if ferr.Class == providers.ClassTimeout {
				code = "upstream_timeout"
			}
			s.m.StreamsTrimmed.Inc()
			out.errClass = className(ferr.Class)
			sw.fail(status, msg, code)
			return ferr
		}
		pt.idle(b.up.idle)
		if c.Usage != nil {
			out.usage = *c.Usage
		}
		if c.UsageOnly && !req.ClientWantsUsage {
			continue
		}
		if ok, bad := sw.event(c.Data); !ok || bad != nil {
			return s.endEarly(out, ok, bad)
		}
		if !c.UsageOnly {
			out.chunks++
		}
	}
}

// endEarly ends a stream the client left (ok false) or whose chunk could
// not be translated for it (bad, already answered with an error event).
func (s *Server) endEarly(out *outcome, ok bool, bad error) *providers.Error {
	if bad != nil {
		s.m.StreamsTrimmed.Inc()
		out.errClass, out.errDetail = "stream", bad.Error()
		return &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_bad_response",
			Message: "The upstream stream could not be translated.", Class: providers.ClassServerError}
	}
	out.cancelled = !ok
	return nil
}

// writeEvent writes one "data:" event and flushes it, under a per-write
// deadline (so a slow reader is cut without a global WriteTimeout that would
// cut long streams).
func (s *Server) writeEvent(w http.ResponseWriter, rc *http.ResponseController, sn *snapshot, data []byte) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(sn.writeTimeout))
	if _, err := w.Write(sseData); err != nil {
		return false
	}
	if _, err := w.Write(data); err != nil {
		return false
	}
	if _, err := w.Write(sseEnd); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// streamError classifies a stream that ended badly.
func (s *Server) streamError(ctx context.Context, r *http.Request, b *backend, err error, out *outcome) *providers.Error {
	var pe *providers.Error
	if errors.As(err, &pe) {
		// The vendor wrote this message: scrub the provider's secrets
		// before it reaches the client or the log.
		e := *pe
		e.Message = redact(e.Message, b.up.redacted)
		out.errDetail = e.Message
		return &e
	}
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errFirstToken), errors.Is(cause, errIdle), errors.Is(cause, errRequestTimeout):
		out.errDetail = cause.Error()
		return &providers.Error{Status: http.StatusGatewayTimeout, Type: "timeout_error", Code: "upstream_timeout",
			Message: "The upstream provider stopped sending (" + cause.Error() + ").", Class: providers.ClassTimeout}
	case r.Context().Err() != nil:
		out.cancelled = true
		return &providers.Error{Status: 499, Type: "client_closed", Message: "client closed the request", Class: providers.ClassFatal}
	}
	out.errDetail = redact(err.Error(), b.up.redacted)
	return &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_stream_broken",
		Message: "The upstream provider's stream broke off.", Class: providers.ClassServerError}
}
