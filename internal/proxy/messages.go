package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
	"github.com/tollgate-dev/tollgate/internal/translate/messages"
)

// messagesPath serves Anthropic Messages API clients: the request is
// translated to the canonical chat completions form, runs the ordinary
// pipeline (auth, limits, routing, retries, fallback to any vendor), and
// the answer, stream or error is translated back.
const messagesPath = "/v1/messages"

// messagesAPI is the clientAPI of /v1/messages.
type messagesAPI struct{}

var anthropicAPI clientAPI = messagesAPI{}

func (messagesAPI) name() string                                  { return "messages" }
func (messagesAPI) passThrough() bool                             { return false }
func (messagesAPI) usageInStream() bool                           { return true }
func (messagesAPI) writeError(w http.ResponseWriter, e *apiError) { writeAnthropicError(w, e) }
func (messagesAPI) stream(model string) streamCodec {
	return &messagesStream{conv: messages.NewStream(model)}
}

func (messagesAPI) native() providers.API { return providers.APIMessages }

// nativeHeaders: the body is in the client's anthropic-version.
func (messagesAPI) nativeHeaders() []string { return []string{"Anthropic-Version"} }

// nativeAnswer names the public model in Anthropic's message object.
func (messagesAPI) nativeAnswer(body []byte, model, _ string) []byte { return renameModel(body, model) }

// nativeEvent relays an Anthropic event, message_start naming the public
// model.
func (messagesAPI) nativeEvent(ev providers.Event, model, _ string) []byte {
	data := ev.Data
	if ev.Name == "message_start" {
		data = renameNested(data, "message", model)
	}
	return sseEvent(ev.Name, data)
}

// parse parses a /v1/messages body: checked like any body (no duplicate
// member anywhere), translated to the canonical chat completions body,
// which is parsed as usual. The output bound judged is the largest of the
// Messages body's own (max_tokens, thinking.budget_tokens) and the
// canonical one's, so a bound the translation drops or an upstream reads
// natively is still capped.
func (messagesAPI) parse(body []byte) (*parsed, *apiError) {
	return parseMessages(providers.OpChat, body)
}

// parseMessages is the parse of a /v1/messages body as a request for op.
func parseMessages(op providers.Operation, body []byte) (*parsed, *apiError) {
	raw, aerr := scanBody(body)
	if aerr != nil {
		return nil, aerr
	}
	canon, aerr := translateMessages(body)
	if aerr != nil {
		if aerr.Status != http.StatusBadRequest {
			return nil, aerr
		}
		// What the canonical form cannot hold an Anthropic backend can
		// still read natively.
		return nativeOnly(op, body, raw, aerr)
	}
	p, aerr := parseRequest(op, canon)
	if aerr != nil {
		return nil, aerr
	}
	if raw.MaxTokens > p.fields.MaxTokens {
		p.fields.MaxTokens, p.fields.MaxTokensField = raw.MaxTokens, raw.MaxTokensField
	}
	p.native, p.nativeFields = body, raw
	return p, nil
}

// nativeOnly is the parse of a body only a native backend can serve
// (canonErr says why the others cannot): routed and accounted by its own
// top-level fields.
func nativeOnly(op providers.Operation, body []byte, f openai.Fields, canonErr *apiError) (*parsed, *apiError) {
	switch {
	case f.Model == "":
		return nil, badRequest("model: Field required", "model")
	case len(f.Model) > 256:
		return nil, badRequest("The model name is too long.", "model")
	case f.PayloadBytes == 0:
		return nil, canonErr
	}
	return &parsed{op: op, fields: f, estimate: limits.EstimateTokens(body), native: body, nativeFields: f, canonErr: canonErr}, nil
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
	return nil, serverError(http.StatusInternalServerError, "translation_failed", "The Messages request could not be translated.", 0)
}

// answer converts a canonical chat.completion into an Anthropic message
// naming the public model served.
func (messagesAPI) answer(canonical []byte, model string) ([]byte, error) {
	out, err := messages.Response(canonical, model)
	if err != nil {
		return nil, fmt.Errorf("translating the answer for a Messages client: %w", err)
	}
	return out, nil
}

// messagesStream writes Anthropic's named events, the cost the gateway
// put in the canonical usage chunk in message_delta's usage.
type messagesStream struct {
	conv *messages.Stream
	meta usageMeta
}

func (m *messagesStream) chunk(data []byte) ([]byte, error) {
	if meta, ok := chunkMeta(data); ok {
		m.meta = meta
	}
	out, err := m.conv.Chunk(data)
	return m.withMeta(out), err
}

func (m *messagesStream) done() []byte { return m.withMeta(m.conv.Finish()) }

func (m *messagesStream) withMeta(out []byte) []byte {
	if m.meta.cost == nil || !bytes.Contains(out, []byte("event: message_delta\n")) {
		return out
	}
	return sseWithUsageMeta(out, providers.APIMessages, m.meta)
}

func (m *messagesStream) fail(status int, msg, _ string) []byte {
	if status < 400 || status > 599 {
		status = http.StatusBadGateway
	}
	return m.conv.Error(status, msg)
}

// writeAnthropicError answers an error in Anthropic's shape
// ({"type":"error","error":{"type","message"}}) with the same status,
// Retry-After and headers as the OpenAI answer would have.
func writeAnthropicError(w http.ResponseWriter, e *apiError) {
	writeErrorIn(w, e, func(e *apiError) []byte { return messages.ErrorBody(e.Status, e.Message) })
}
