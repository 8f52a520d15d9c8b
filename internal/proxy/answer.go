package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// Memory bounds of non-streamed answers. An answer up to answerHead bytes
// is read whole. A longer one from a pass-through vendor (OpenAI-shaped)
// to an OpenAI client is relayed as it arrives, its usage read from its
// last usageTail bytes; any other (to be translated) is held whole, up to
// maxUpstreamBody per answer and maxBufferedAnswers across the gateway's
// requests at once (an answer that would pass it fails over as
// gateway_busy). Translation copies an answer two or three times, so the
// gateway's heap for answers stays within about 3×maxBufferedAnswers.
const (
	answerHead         = 64 << 10
	usageTail          = 64 << 10
	maxUpstreamBody    = 64 << 20
	maxBufferedAnswers = 256 << 20
	maxUpstreamError   = 1 << 20
	bufferStep         = 1 << 20
)

// whole answers a non-streamed request.
func (a *try) whole(body io.Reader) result {
	c, up := a.c, a.b.up
	head, err := readUpTo(body, answerHead)
	complete := errors.Is(err, io.EOF)
	if err != nil && !complete {
		return a.transportError(err)
	}
	if pt, ok := up.adapter.(providers.PassThrough); ok && pt.PassThrough() && c.api.passThrough() &&
		!complete && !isErrorObject(head) && c.guard == nil {
		return a.relayAnswer(head, body)
	}
	raw := head
	if !complete {
		var release func()
		raw, release, err = a.c.s.readHeld(head, body)
		defer release()
		if err != nil {
			var pe *providers.Error
			if errors.As(err, &pe) {
				return a.failed(pe)
			}
			return a.transportError(err)
		}
	}
	a.pt.stop()
	if isErrorObject(raw) {
		return a.failed(a.errorIn200(raw))
	}
	answer, usage, err := up.adapter.Response(a.req, raw)
	if err != nil {
		a.res.detail = redact(err.Error(), up.redacted)
		return a.failed(upstreamFailure("upstream_bad_response", "The upstream provider's answer could not be read.", providers.ClassServerError))
	}
	c.span.Answer(answer)
	switch a.req.Op {
	case providers.OpChat:
		var gerr *providers.Error
		if answer, gerr = c.guardAnswer(answer); gerr != nil {
			return a.failed(gerr)
		}
		if answer, err = c.api.answer(answer, c.served); err != nil {
			a.res.detail = err.Error()
			return a.failed(upstreamFailure("upstream_bad_response", "The upstream provider's answer could not be translated.", providers.ClassServerError))
		}
	case providers.OpEmbeddings:
		answer = renameModel(answer, c.served)
	}
	return a.sendWhole(redactBytes(answer, up.redacted), int64(len(raw)), usage)
}

// sendWhole writes a whole answer, ready but for its cost (what the
// upstream sent was size bytes and used usage), with the cost in its
// usage and in the header, and ends the attempt as answered.
func (a *try) sendWhole(answer []byte, size int64, usage providers.Usage) result {
	c := a.c
	costText := formatCost(c.answerCost(a.b, usage, size, 0))
	answer = withAnswerMeta(answer, costText, a.b.up.name, c.byok)
	c.w.Header().Set(HeaderCost, costText)
	a.res.ttft = time.Since(c.start)
	a.b.state.observe(time.Since(a.started))
	a.res.usage = usage
	a.res.answer = size
	a.res.committed = true
	_ = c.rc.SetWriteDeadline(time.Now().Add(c.sn.writeTimeout))
	if err := writeAnswer(c.w, http.StatusOK, answer); err != nil {
		a.res.cancelled = true
	}
	return a.res
}

// relayAnswer relays a large pass-through answer as it arrives (head is
// what was read of it), scrubbed of the provider's secrets, and reads its
// usage from its end. The status is committed before the end is known: an
// upstream failure after it leaves the client a cut JSON body.
func (a *try) relayAnswer(head []byte, body io.Reader) result {
	c, up := a.c, a.b.up
	a.pt.stop()
	a.res.ttft = time.Since(c.start)
	a.b.state.observe(time.Since(a.started))
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Trailer", HeaderCost)
	a.res.committed = true
	c.w.WriteHeader(http.StatusOK)
	sw := newScrubWriter(deadlineWriter{c}, up.redacted)
	tail := make([]byte, 0, 2*usageTail)
	buf := make([]byte, 32<<10)
	piece := head
	for {
		if len(piece) > 0 {
			a.res.answer += int64(len(piece))
			tail = append(tail, piece...)
			if len(tail) > usageTail {
				tail = append(tail[:0], tail[len(tail)-usageTail:]...)
			}
			if _, err := sw.Write(piece); err != nil {
				a.res.cancelled = true
				return a.res
			}
		}
		n, err := body.Read(buf)
		piece = buf[:n]
		if err == nil {
			continue
		}
		if len(piece) > 0 {
			continue // the next Read reports the error again
		}
		if errors.Is(err, io.EOF) {
			break
		}
		a.transportError(err)
		if !a.res.cancelled {
			a.res.class = className(a.res.err.Class)
		}
		return a.res
	}
	if err := sw.Close(); err != nil {
		a.res.cancelled = true
	}
	if u, ok := openai.ScanUsage(tail); ok {
		a.res.usage = u
	}
	h.Set(HeaderCost, formatCost(c.answerCost(a.b, a.res.usage, a.res.answer, 0)))
	return a.res
}

// deadlineWriter writes to the client under a per-write deadline and
// flushes each write.
type deadlineWriter struct{ c *call }

func (d deadlineWriter) Write(p []byte) (int, error) {
	_ = d.c.rc.SetWriteDeadline(time.Now().Add(d.c.sn.writeTimeout))
	n, err := d.c.w.Write(p)
	if err != nil {
		return n, err
	}
	return n, d.c.rc.Flush()
}

// readUpTo reads at most n bytes; io.EOF (with what was read) when the
// body ended within them. It reads into a pooled answerHead buffer and
// returns a copy of what was read: a typical answer is a few hundred
// bytes, and allocating (and zeroing) 64 KiB for each was the largest
// single cost of a request in BenchmarkProxy's profile.
func readUpTo(r io.Reader, n int) ([]byte, error) {
	var buf []byte
	if n <= answerHead {
		bp := headPool.Get().(*[answerHead]byte)
		defer headPool.Put(bp)
		buf = bp[:n]
	} else {
		buf = make([]byte, n)
	}
	k, err := io.ReadFull(r, buf)
	out := bytes.Clone(buf[:k])
	if out == nil {
		out = []byte{}
	}
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return out, io.EOF
	}
	return out, err
}

// headPool holds the read buffers of readUpTo.
var headPool = sync.Pool{New: func() any { return new([answerHead]byte) }}

// readHeld reads the rest of an answer to hold it whole, within
// maxUpstreamBody and the gateway's maxBufferedAnswers; release gives the
// bytes back to the budget.
func (s *Server) readHeld(head []byte, body io.Reader) ([]byte, func(), error) {
	var reserved int64
	release := func() { s.buffered.Add(-reserved) }
	buf := bytes.NewBuffer(append(make([]byte, 0, 2*len(head)), head...))
	for {
		if int64(buf.Len())+bufferStep > reserved {
			if reserved >= maxUpstreamBody {
				return nil, release, upstreamFailure("upstream_answer_too_large",
					"The upstream provider's answer is larger than the gateway holds.", providers.ClassFatal)
			}
			if s.buffered.Add(bufferStep) > maxBufferedAnswers {
				s.buffered.Add(-bufferStep)
				return nil, release, upstreamUnavailable("gateway_busy", "The gateway is holding too many large answers; retry shortly.")
			}
			reserved += bufferStep
		}
		_, err := io.CopyN(buf, body, bufferStep)
		if errors.Is(err, io.EOF) {
			return buf.Bytes(), release, nil
		}
		if err != nil {
			return nil, release, err
		}
	}
}

// isErrorObject reports whether a 2xx answer is an error object: OpenAI's
// (and Gemini's) {"error":{...}} or Anthropic's {"type":"error",...}. No
// success answer of any supported API has a top-level "error" member.
func isErrorObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '{' || !bytes.Contains(b, []byte(`"error"`)) {
		return false
	}
	var v struct {
		Error json.RawMessage `json:"error"`
		Type  string          `json:"type"`
	}
	if json.Unmarshal(b, &v) != nil {
		// The head of a long answer: only its start can be judged.
		return bytes.HasPrefix(bytes.TrimLeft(b[1:], " \t\r\n"), []byte(`"error"`))
	}
	return (len(v.Error) > 0 && v.Error[0] == '{') || v.Type == "error"
}

// errorIn200 is the failure an upstream reported in a 2xx answer, mapped by
// the adapter as the status the error object implies (429 for a rate
// limit, 400 for an invalid request, else 502) and scrubbed.
func (a *try) errorIn200(raw []byte) *providers.Error {
	up := a.b.up
	var v struct {
		Error struct {
			Type   string `json:"type"`
			Code   any    `json:"code"`
			Status string `json:"status"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &v)
	status := http.StatusBadGateway
	switch code, _ := v.Error.Code.(float64); {
	case code >= 400 && code <= 599:
		status = int(code)
	case v.Error.Type == "rate_limit_error" || v.Error.Type == "requests" || v.Error.Type == "tokens" ||
		v.Error.Code == "rate_limit_exceeded" || v.Error.Status == "RESOURCE_EXHAUSTED":
		status = http.StatusTooManyRequests
	case v.Error.Type == "invalid_request_error" || v.Error.Status == "INVALID_ARGUMENT":
		status = http.StatusBadRequest
	}
	pe := up.adapter.Error(status, http.Header{}, raw)
	if pe == nil {
		pe = upstreamFailure("upstream_error", "The upstream provider answered with an error.", providers.ClassServerError)
	}
	a.res.detail = "error object in a 2xx answer"
	pe.Message = redact(pe.Message, up.redacted)
	return pe
}
