package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
	"github.com/tollgate-dev/tollgate/internal/responsestate"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
	tr "github.com/tollgate-dev/tollgate/internal/translate/responses"
)

// responsesPath serves OpenAI Responses API clients: a request (with the
// stored conversation of previous_response_id replayed before its input)
// is translated to the canonical chat completions form and runs the
// ordinary pipeline; the answer or stream is translated back and, unless
// the client or the gateway says not to, stored for continuations and
// GET/DELETE /v1/responses/{id}. Native pass-through to upstreams that
// speak the Responses API is not wired yet: every backend is served
// translated.
const responsesPath = "/v1/responses"

// consumerScoped is a clientAPI that needs to know who is calling (the
// response state is per consumer); serveInference tells it once the caller
// is authenticated, before parse.
type consumerScoped interface {
	authenticated(consumer string)
}

// newResponsesCall is the codec of one /v1/responses request; store is
// nil when the gateway keeps no responses.
func (s *Server) newResponsesCall(w http.ResponseWriter, r *http.Request, store responsestate.Store) *responsesCall {
	return &responsesCall{ctx: r.Context(), log: s.log, header: w.Header(), store: store, id: tr.NewID(), created: time.Now().Unix()}
}

// responsesCall is one /v1/responses request: its decoded request, the
// stored conversation it continues, and whether its answer is kept.
type responsesCall struct {
	ctx      context.Context
	log      *slog.Logger
	header   http.Header
	store    responsestate.Store
	consumer string
	id       string
	created  int64

	req   *rs.Request
	prior []rs.Item
	// pin is the backend holding the native chain this request continues.
	pin   string
	keep  bool
	saved bool
}

func (c *responsesCall) authenticated(consumer string) { c.consumer = consumer }

func (*responsesCall) name() string                                  { return "responses" }
func (*responsesCall) passThrough() bool                             { return false }
func (*responsesCall) usageInStream() bool                           { return true }
func (*responsesCall) writeError(w http.ResponseWriter, e *apiError) { writeError(w, e) }

func previousNotFound(id string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "previous_response_not_found",
		Param: "previous_response_id", Message: fmt.Sprintf("Previous response with id '%s' not found.", truncate(id, 128))}
}

var errStateUnavailable = serverError(http.StatusServiceUnavailable, "response_state_unavailable",
	"The gateway could not read the stored response; retry shortly.", time.Second)

// parse checks a /v1/responses body like any body, reads the conversation
// it continues, translates both to the canonical chat completions body and
// parses that: the estimate counts the replayed conversation (what the
// upstream reads), and the output bound judged is the larger of the
// body's max_output_tokens and the canonical one.
func (c *responsesCall) parse(body []byte) (*parsed, *apiError) {
	raw, aerr := scanBody(body)
	if aerr != nil {
		return nil, aerr
	}
	req, err := tr.Decode(body)
	if err != nil {
		return nil, translationError(err)
	}
	if id := req.PreviousResponseID; id != "" {
		if aerr = c.loadPrior(id); aerr != nil {
			return nil, aerr
		}
	}
	c.req = req
	var downgraded bool
	c.keep, downgraded = responsestate.Keep(req.Store, c.store != nil)
	if downgraded {
		c.header.Set(responsestate.HeaderStore, "disabled")
	}
	native := body
	if downgraded {
		// The upstream keeps nothing either.
		if native, err = openai.SetMember(body, "store", []byte("false")); err != nil {
			return nil, invalidBody(err)
		}
		if raw, err = openai.Scan(native); err != nil {
			return nil, invalidBody(err)
		}
	}
	if c.pin != "" {
		// The chain's ids exist only on its backend: only it can serve.
		var p *parsed
		if p, aerr = nativeOnly(providers.OpChat, native, raw, previousNotFound(req.PreviousResponseID)); aerr != nil {
			return nil, aerr
		}
		p.pin = c.pin
		return p, nil
	}
	chat, err := tr.ToChat(req, c.prior)
	if err != nil {
		return nil, translationError(err)
	}
	canon, err := json.Marshal(chat)
	if err != nil {
		return nil, translationError(err)
	}
	p, aerr := parseRequest(providers.OpChat, canon)
	if aerr != nil {
		return nil, aerr
	}
	if raw.MaxTokens > p.fields.MaxTokens {
		p.fields.MaxTokens, p.fields.MaxTokensField = raw.MaxTokens, raw.MaxTokensField
	}
	if c.prior == nil {
		// A new chain may start on a backend that speaks the API; a
		// translated one goes on being replayed.
		p.native, p.nativeFields = native, raw
	}
	return p, nil
}

// loadPrior reads the conversation of previous response id (the caller's
// own only).
func (c *responsesCall) loadPrior(id string) *apiError {
	if c.store == nil {
		return previousNotFound(id)
	}
	rec, err := c.store.Get(c.ctx, c.consumer, id)
	switch {
	case errors.Is(err, responsestate.ErrNotFound):
		return previousNotFound(id)
	case err != nil:
		c.log.LogAttrs(c.ctx, slog.LevelWarn, "reading a stored response failed", slog.String("consumer", c.consumer), attrErr(err))
		return errStateUnavailable
	}
	if rec.Backend != "" {
		c.pin = rec.Backend
		return nil
	}
	if err := json.Unmarshal(rec.Conversation, &c.prior); err != nil {
		c.log.LogAttrs(c.ctx, slog.LevelWarn, "a stored response is unreadable", slog.String("consumer", c.consumer), attrErr(err))
		return previousNotFound(id)
	}
	return nil
}

// translationError is the answer to a request the translation refused
// (400 naming the field) or failed on.
func translationError(err error) *apiError {
	var re *tr.RequestError
	if errors.As(err, &re) {
		return badRequest(truncate(re.Message, 512), re.Param)
	}
	return serverError(http.StatusInternalServerError, "translation_failed", "The Responses request could not be translated.", 0)
}

func (c *responsesCall) answerOf(model string) tr.Answer {
	return tr.Answer{ID: c.id, Model: model, CreatedAt: c.created, Request: c.req, Store: c.keep}
}

// save stores a finished response when the request keeps it. A failure is
// logged: the answer has gone out, and only continuations miss it.
func (c *responsesCall) save(r *rs.Response, model string) {
	if r == nil || !c.keep || c.saved {
		return
	}
	c.saved = true
	conv, err := json.Marshal(tr.Conversation(c.prior, c.req, r))
	var resp []byte
	if err == nil {
		resp, err = tr.Encode(r, c.req)
	}
	if err == nil {
		err = c.store.Put(context.WithoutCancel(c.ctx), &responsestate.Record{ID: r.ID, Consumer: c.consumer, Model: model,
			Conversation: conv, Response: resp, CreatedAt: r.CreatedAt})
	}
	if err != nil {
		c.log.LogAttrs(c.ctx, slog.LevelWarn, "storing a response failed", slog.String("consumer", c.consumer),
			slog.String("response", r.ID), attrErr(err))
	}
}

func (c *responsesCall) answer(canonical []byte, model string) ([]byte, error) {
	r, err := tr.Response(canonical, c.answerOf(model))
	if err != nil {
		return nil, fmt.Errorf("translating the answer for a Responses client: %w", err)
	}
	c.save(r, model)
	return tr.Encode(r, c.req)
}

func (c *responsesCall) stream(model string) streamCodec {
	return &responsesStream{c: c, model: model, conv: tr.NewStream(c.answerOf(model))}
}

// responsesStream writes Responses events and stores the response the
// stream completes with.
// The cost the gateway put in the canonical usage chunk goes in the usage
// of the terminal event's response.
type responsesStream struct {
	c     *responsesCall
	model string
	conv  *tr.Stream
	meta  usageMeta
}

func (s *responsesStream) chunk(data []byte) ([]byte, error) {
	if meta, ok := chunkMeta(data); ok {
		s.meta = meta
	}
	b, err := s.conv.Chunk(data)
	if err == nil && s.conv.Done() {
		s.c.save(s.conv.Result(), s.model)
	}
	return s.withMeta(b), err
}

func (s *responsesStream) done() []byte {
	b := s.conv.Finish()
	s.c.save(s.conv.Result(), s.model)
	return s.withMeta(b)
}

func (s *responsesStream) withMeta(out []byte) []byte {
	if s.meta.cost == nil || !s.conv.Done() {
		return out
	}
	return sseWithUsageMeta(out, providers.APIResponses, s.meta)
}

func (s *responsesStream) fail(status int, msg, _ string) []byte { return s.conv.Error(status, msg) }

func (*responsesCall) native() providers.API   { return providers.APIResponses }
func (*responsesCall) nativeHeaders() []string { return nil }

// nativeAnswer names the public model in the upstream's response object
// and keeps it (with the backend that holds its chain) when stored.
func (c *responsesCall) nativeAnswer(body []byte, model, backend string) []byte {
	out := renameModel(body, model)
	c.saveNative(out, model, backend)
	return out
}

// nativeEvent relays a Responses event, the response objects it carries
// naming the public model; the terminal one is kept when stored.
func (c *responsesCall) nativeEvent(ev providers.Event, model, backend string) []byte {
	data := ev.Data
	if bytes.Contains(data, []byte(`"response"`)) {
		data = renameNested(data, "response", model)
	}
	switch ev.Name {
	case rs.EventCompleted, rs.EventIncomplete:
		var v struct {
			Response json.RawMessage `json:"response"`
		}
		if json.Unmarshal(data, &v) == nil {
			c.saveNative(v.Response, model, backend)
		}
	}
	return sseEvent(ev.Name, data)
}

// saveNative stores a natively served response: its object for GET, and
// the backend a continuation must go to (its chain lives there).
func (c *responsesCall) saveNative(resp []byte, model, backend string) {
	if !c.keep || c.saved || len(resp) == 0 {
		return
	}
	var head struct {
		ID        string `json:"id"`
		CreatedAt int64  `json:"created_at"`
	}
	if json.Unmarshal(resp, &head) != nil || head.ID == "" {
		return
	}
	c.saved = true
	err := c.store.Put(context.WithoutCancel(c.ctx), &responsestate.Record{ID: head.ID, Consumer: c.consumer, Model: model,
		Backend: backend, Conversation: json.RawMessage("[]"), Response: resp, CreatedAt: head.CreatedAt})
	if err != nil {
		c.log.LogAttrs(c.ctx, slog.LevelWarn, "storing a response failed", slog.String("consumer", c.consumer),
			slog.String("response", head.ID), attrErr(err))
	}
}
