package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
	"github.com/tollgate-dev/tollgate/internal/translate/messages"
)

// messagesPath serves Anthropic Messages API clients: the request is
// translated to the canonical chat completions form, runs the ordinary
// pipeline (auth, limits, routing, retries, fallback to any vendor), and
// the answer, stream or error is translated back.
const messagesPath = "/v1/messages"

// writeAnthropicError answers an error in Anthropic's shape
// ({"type":"error","error":{"type","message"}}) with the same status,
// Retry-After and headers as the OpenAI answer would have.
func writeAnthropicError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", retryAfterSeconds(e.RetryAfter))
	}
	b := messages.ErrorBody(e.Status, e.Message)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// parseMessages parses a /v1/messages body: checked like any body (no
// duplicate member anywhere), translated to the canonical chat completions
// body, which is parsed as usual. The output bound judged is the largest
// of the Messages body's own (max_tokens, thinking.budget_tokens) and the
// canonical one's, so a bound the translation drops or an upstream reads
// natively is still capped.
func parseMessages(op providers.Operation, body []byte) (*parsed, *apiError) {
	if aerr := checkJSON(body); aerr != nil {
		return nil, aerr
	}
	raw, err := openai.Scan(body)
	if err != nil {
		return nil, badRequest("Invalid request body: "+err.Error()+".", "")
	}
	canon, aerr := translateMessages(body)
	if aerr != nil {
		return nil, aerr
	}
	p, aerr := parseRequest(op, canon)
	if aerr != nil {
		return nil, aerr
	}
	if raw.MaxTokens > p.fields.MaxTokens {
		p.fields.MaxTokens, p.fields.MaxTokensField = raw.MaxTokens, raw.MaxTokensField
	}
	return p, nil
}

// translateMessages turns a /v1/messages body into the canonical chat
// completions body.
func translateMessages(body []byte) ([]byte, *apiError) {
	canon, _, err := messages.Request(body)
	if err == nil {
		return canon, nil
	}
	var re *messages.RequestError
	if errors.As(err, &re) {
		return nil, badRequest(truncate(re.Message, 512), "")
	}
	return nil, &apiError{Status: http.StatusInternalServerError, Type: "server_error", Code: "translation_failed",
		Message: "The Messages request could not be translated."}
}

// messagesAnswer converts a canonical chat.completion into an Anthropic
// message naming the public model served.
func messagesAnswer(answer []byte, model string) ([]byte, error) {
	out, err := messages.Response(answer, model)
	if err != nil {
		return nil, fmt.Errorf("translating the answer for a Messages client: %w", err)
	}
	return out, nil
}

// streamWriter writes one client stream in the client's API: OpenAI's
// data: events and [DONE], or Anthropic's named events.
type streamWriter struct {
	s    *Server
	w    http.ResponseWriter
	rc   *http.ResponseController
	sn   *snapshot
	conv *messages.Stream // nil for OpenAI clients
}

func (s *Server) newStreamWriter(w http.ResponseWriter, rc *http.ResponseController, sn *snapshot, out *outcome) *streamWriter {
	sw := &streamWriter{s: s, w: w, rc: rc, sn: sn}
	if out.anthropic {
		sw.conv = messages.NewStream(out.model)
	}
	return sw
}

// event writes one canonical chunk; false when the client is gone. A
// chunk the converter cannot read ends the stream with an error event.
func (sw *streamWriter) event(data []byte) (ok bool, bad error) {
	if sw.conv == nil {
		return sw.s.writeEvent(sw.w, sw.rc, sw.sn, data), nil
	}
	b, err := sw.conv.Chunk(data)
	if err != nil {
		return sw.raw(sw.conv.Error(http.StatusBadGateway, "The upstream stream could not be translated.")), err
	}
	if len(b) == 0 {
		return true, nil
	}
	return sw.raw(b), nil
}

// done ends a stream that completed.
func (sw *streamWriter) done() {
	if sw.conv == nil {
		sw.raw(sseDone)
		return
	}
	sw.raw(sw.conv.Finish())
}

// fail ends a stream with a terminal error event (no [DONE], or an
// Anthropic error event instead of message_stop).
func (sw *streamWriter) fail(status int, msg, code string) {
	if sw.conv == nil {
		sw.raw(terminalEvent(msg, code))
		return
	}
	if status < 400 || status > 599 {
		status = http.StatusBadGateway
	}
	sw.raw(sw.conv.Error(status, msg))
}

func (sw *streamWriter) raw(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	_ = sw.rc.SetWriteDeadline(time.Now().Add(sw.sn.writeTimeout))
	if _, err := sw.w.Write(b); err != nil {
		return false
	}
	return sw.rc.Flush() == nil
}
