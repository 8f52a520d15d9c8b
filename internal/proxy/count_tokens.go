package proxy

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	"github.com/tollgate-dev/tollgate/internal/tokenize"
)

// countTokensPath is Anthropic's POST /v1/messages/count_tokens.
const countTokensPath = "/v1/messages/count_tokens"

// Headers of a count the gateway made itself: it is an estimate, made
// with the named vocabulary.
const (
	HeaderTokenCount = "X-Tollgate-Token-Count"
	HeaderTokenizer  = "X-Tollgate-Tokenizer"
)

// tokenCounter is an adapter that relays count_tokens natively (Anthropic).
type tokenCounter interface {
	CountTokensRequest(ctx context.Context, body []byte, h http.Header) (*http.Request, error)
}

// serveCountTokens answers count_tokens: relayed to the first healthy
// backend of the model's route that counts natively (Anthropic), else
// counted by the gateway with the closest public tokenizer for the
// backend's model and marked an estimate. It spends no token budget.
func (s *Server) serveCountTokens(w http.ResponseWriter, r *http.Request, sn *snapshot) {
	cons, ok := s.authenticated(w, r, sn, writeAnthropicError)
	if !ok {
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(sn.readTimeout))
	body, aerr := readBody(w, r, sn.maxBody)
	if aerr != nil {
		w.Header().Set("Connection", "close")
		writeAnthropicError(w, aerr)
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	// Relayed natively: refused like any body with a duplicate member.
	if aerr := checkJSON(body); aerr != nil {
		writeAnthropicError(w, aerr)
		return
	}
	var req ant.MessagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeAnthropicError(w, badRequest(truncate("request body is not a valid count_tokens request: "+err.Error(), 512), ""))
		return
	}
	switch {
	case req.Model == "":
		writeAnthropicError(w, badRequest("model: field required", "model"))
		return
	case len(req.Messages) == 0:
		writeAnthropicError(w, badRequest("messages: at least one message is required", "messages"))
		return
	case !cons.allows(req.Model):
		writeAnthropicError(w, errModelNotAllowed(truncate(req.Model, 128)))
		return
	}
	rt := sn.router.match(req.Model)
	if rt == nil {
		writeAnthropicError(w, notFound("The model '"+truncate(req.Model, 128)+"' does not exist or you do not have access to it."))
		return
	}
	now := time.Now().UnixNano()
	var first *backend
	for _, tier := range rt.tiers {
		for _, b := range tier {
			if first == nil {
				first = b
			}
			if _, native := b.up.adapter.(tokenCounter); native && !b.state.cooling(now) {
				if s.relayCount(w, r, b, body, req.Model) {
					return
				}
			}
		}
	}
	upstreamModel := req.Model
	if first != nil {
		upstreamModel = first.upstreamModel(req.Model)
	}
	s.estimateCount(w, r, &req, upstreamModel)
}

// relayCount sends the count upstream with the upstream model; false when
// no answer came (the gateway then counts itself).
func (s *Server) relayCount(w http.ResponseWriter, r *http.Request, b *backend, body []byte, public string) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return false
	}
	model, err := json.Marshal(b.upstreamModel(public))
	if err != nil {
		return false
	}
	fields["model"] = model
	enc, err := json.Marshal(fields)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), b.up.request)
	defer cancel()
	upReq, err := b.up.adapter.(tokenCounter).CountTokensRequest(ctx, enc, b.up.headers.forward(r.Header))
	if err != nil {
		return false
	}
	resp, err := b.up.client.Do(upReq)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "count_tokens upstream failed; counting locally",
			slog.String("backend", b.label), slog.String("error", redact(err.Error(), b.up.redacted)))
		return false
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamError))
	if err != nil {
		return false
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		// Overloaded or failing: the gateway's own count serves.
		return false
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Anthropic's refusal of the request, in its own shape and words.
		msg := []byte(redact(string(answer), b.up.redacted))
		if !json.Valid(msg) {
			return false
		}
		_ = writeAnswer(w, resp.StatusCode, msg)
		return true
	}
	var n struct {
		InputTokens *int64 `json:"input_tokens"`
	}
	if json.Unmarshal(answer, &n) != nil || n.InputTokens == nil {
		return false
	}
	writeCount(w, *n.InputTokens)
	return true
}

// estimateCount counts with the tokenizer of the backend model's family.
func (s *Server) estimateCount(w http.ResponseWriter, r *http.Request, req *ant.MessagesRequest, upstreamModel string) {
	fam := tokenize.ForModel(upstreamModel)
	n, err := tokenize.Messages(req, fam)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "count_tokens failed", attrErr(err))
		writeAnthropicError(w, &apiError{Status: http.StatusInternalServerError, Type: "server_error", Message: "The tokens could not be counted."})
		return
	}
	w.Header().Set(HeaderTokenCount, "estimate")
	w.Header().Set(HeaderTokenizer, fam.Encoding)
	writeCount(w, int64(n))
}

func writeCount(w http.ResponseWriter, n int64) {
	_ = writeAnswer(w, http.StatusOK, []byte(`{"input_tokens":`+strconv.FormatInt(n, 10)+`}`))
}
