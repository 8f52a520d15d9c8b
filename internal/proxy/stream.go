package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// relay streams an upstream event stream to the client, one flush per
// event. The status is committed only on the first good event: an error
// event, a timeout or a broken stream before it is an ordinary failure the
// caller may retry elsewhere. After it, a failure ends the stream with a
// terminal error event and no [DONE]; another backend is never spliced in.
func (a *try) relay(body io.Reader) result {
	c, b, req := a.c, a.b, a.req
	st := b.up.adapter.Stream(req, body)
	var first providers.Chunk
	for {
		ch, err := st.Next()
		if err != nil {
			return a.failed(a.streamError(err))
		}
		if ch.Usage != nil {
			a.res.usage = *ch.Usage
		}
		if ch.UsageOnly && !req.ClientWantsUsage {
			continue
		}
		first = ch
		break
	}
	// The cost goes in the chunk that carries usage and, as charged, in
	// the trailer.
	h := a.commitStream()
	defer a.trailCost(h)
	sw := &streamWriter{c: c, codec: c.api.stream(c.served), secrets: b.up.redacted}
	if len(b.up.redacted) > 0 && req.Op == providers.OpChat {
		a.scrub = &contentScrubber{secrets: b.up.redacted}
	}
	if req.Op == providers.OpChat {
		a.guard = newStreamGuard(c.guard)
	}
	if !a.event(sw, first) {
		return a.res
	}
	for {
		ch, err := st.Next()
		if err == io.EOF {
			held, gerr := a.guard.flush()
			if gerr != nil {
				return a.blocked(sw, gerr)
			}
			if held != nil && !a.event(sw, providers.Chunk{Data: held}) {
				return a.res
			}
			if held := a.scrub.flush(); held != nil && !a.event(sw, providers.Chunk{Data: held}) {
				return a.res
			}
			sw.raw(sw.codec.done())
			return a.res
		}
		if err != nil {
			return a.cut(sw, a.streamError(err))
		}
		a.pt.idle(b.up.idle)
		if ch.Usage != nil {
			a.res.usage = *ch.Usage
		}
		if ch.UsageOnly && !req.ClientWantsUsage {
			continue
		}
		if !a.event(sw, ch) {
			return a.res
		}
	}
}

// event writes one chunk; false when the stream has ended: the client left
// (res.cancelled) or the chunk could not be converted for it (res.err, the
// client already told with an error event).
func (a *try) event(sw *streamWriter, ch providers.Chunk) bool {
	if ch.Usage != nil && bytes.Contains(ch.Data, []byte(`"usage"`)) {
		ch.Data = withAnswerMeta(ch.Data, formatCost(a.c.answerCost(a.b, *ch.Usage, 0, 0)), a.b.up.name, a.c.byok)
	}
	data, gerr := a.guard.chunk(ch.Data)
	if gerr != nil {
		a.blocked(sw, gerr)
		return false
	}
	if a.scrub != nil {
		data = a.scrub.chunk(data)
	}
	a.c.span.Chunk(data)
	b, err := sw.codec.chunk(data)
	if err != nil {
		a.c.s.m.StreamsTrimmed.Inc()
		sw.raw(sw.codec.fail(http.StatusBadGateway, "The upstream stream could not be translated.", "upstream_bad_response"))
		a.res.class, a.res.detail = "stream", err.Error()
		a.res.err = upstreamFailure("upstream_bad_response", "The upstream stream could not be translated.", providers.ClassServerError)
		return false
	}
	if !sw.raw(b) {
		a.res.cancelled = true
		return false
	}
	if !ch.UsageOnly {
		a.res.chunks++
	}
	return true
}

// blocked ends a committed stream an answer rule blocked, with an error
// event in the client API's shape (nothing of the value was sent).
func (a *try) blocked(sw *streamWriter, gerr *providers.Error) result {
	a.res.err = gerr
	a.res.class, a.res.detail = "guardrail", gerr.Message
	sw.raw(sw.codec.fail(gerr.Status, gerr.Message, gerr.Code))
	return a.res
}

// cut ends a committed stream that failed with a terminal error event,
// unless the client is already gone.
func (a *try) cut(sw *streamWriter, ferr *providers.Error) result {
	s := a.c.s
	a.res.err = ferr
	if a.res.cancelled && !s.aborting.Load() {
		return a.res
	}
	msg, code, status := ferr.Message, "upstream_stream_error", ferr.Status
	if s.aborting.Load() {
		msg, code, status = "The gateway is shutting down; the stream was ended.", "gateway_shutdown", http.StatusServiceUnavailable
	} else if ferr.Class == providers.ClassTimeout {
		code = "upstream_timeout"
	}
	s.m.StreamsTrimmed.Inc()
	a.res.class = className(ferr.Class)
	sw.raw(sw.codec.fail(status, msg, code))
	return a.res
}

// streamError classifies a stream that ended badly.
func (a *try) streamError(err error) *providers.Error {
	up := a.b.up
	var pe *providers.Error
	if errors.As(err, &pe) {
		// The vendor wrote this message: scrub the provider's secrets
		// before it reaches the client or the log.
		e := *pe
		e.Message = redact(e.Message, up.redacted)
		a.res.detail = e.Message
		return &e
	}
	cause := context.Cause(a.ctx)
	switch {
	case errors.Is(cause, errFirstToken), errors.Is(cause, errIdle), errors.Is(cause, errRequestTimeout):
		a.res.detail = cause.Error()
		return upstreamTimeout("The upstream provider stopped sending (" + cause.Error() + ").")
	case a.c.r.Context().Err() != nil:
		a.res.cancelled = true
		return clientClosed()
	}
	a.res.detail = redact(err.Error(), up.redacted)
	return upstreamFailure("upstream_stream_broken", "The upstream provider's stream broke off.", providers.ClassServerError)
}

// streamWriter writes one client stream through the client API's codec,
// each write under a per-write deadline (so a slow reader is cut without a
// global WriteTimeout that would cut long streams) and flushed.
type streamWriter struct {
	c       *call
	codec   streamCodec
	secrets []string // redacted from every byte written
}

// raw writes b, scrubbed, and flushes; false when the client is gone.
func (sw *streamWriter) raw(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	b = redactBytes(b, sw.secrets)
	rc := sw.c.rc
	_ = rc.SetWriteDeadline(time.Now().Add(sw.c.sn.writeTimeout))
	if _, err := sw.c.w.Write(b); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// commitStream commits a stream on its first good event (relay,
// relayNative): the time to it is measured, and the status and the
// event-stream headers are sent, the cost announced as a trailer. It
// returns the header the trailer is set in (trailCost).
func (a *try) commitStream() http.Header {
	c, b := a.c, a.b
	a.pt.idle(b.up.idle)
	a.res.ttft = time.Since(c.start)
	b.state.observe(time.Since(a.started))
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Trailer", HeaderCost)
	a.res.committed = true
	c.w.WriteHeader(http.StatusOK)
	return h
}

// trailCost sets the cost trailer in h to what the stream's usage came to
// when it ended; deferred by the relays.
func (a *try) trailCost(h http.Header) {
	h.Set(HeaderCost, formatCost(a.c.answerCost(a.b, a.res.usage, 0, a.res.chunks)))
}
