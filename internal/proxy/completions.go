package proxy

import (
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// completionsPath serves the legacy completions API (a prompt, or
// fill-in-the-middle with a suffix, as Continue's autocomplete and vLLM
// use it). It has no canonical form: a request is relayed natively to a
// backend that serves it (OpenAI, Azure OpenAI, an OpenAICompatible
// provider declaring nativeAPIs: [Completions]) and the route's other
// backends are skipped; when none can, the answer is a 400 naming the
// model. Auth, limits, routing, retries, fallback and settlement are the
// pipeline's, as for any request.
const completionsPath = "/v1/completions"

// completionsCall is the clientAPI of one /v1/completions request.
type completionsCall struct {
	// clientUsage is true when the client asked for usage in its stream;
	// otherwise the usage chunk the gateway asked for is not relayed.
	clientUsage bool
}

// errCompletionsUnsupported answers a completions request whose model no
// backend can serve in that API.
func errCompletionsUnsupported(model string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "unsupported_api",
		Message: "The model '" + truncate(model, 128) + "' is not served by a backend that speaks the legacy completions API " +
			"(/v1/completions); use /v1/chat/completions, or route the model to a provider that serves it."}
}

func (*completionsCall) name() string                                  { return "completions" }
func (*completionsCall) passThrough() bool                             { return false }
func (*completionsCall) usageInStream() bool                           { return false }
func (*completionsCall) writeError(w http.ResponseWriter, e *apiError) { writeError(w, e) }
func (*completionsCall) stream(string) streamCodec                     { return &sseCodec{} }

// answer is never called: no backend serves the API through the
// canonical form (prepare refuses every one that would).
func (*completionsCall) answer(canonical []byte, _ string) ([]byte, error) { return canonical, nil }

// parse checks the body like any (no duplicate member anywhere) and reads
// its top level: model, stream, max_tokens and the prompt and suffix the
// estimate counts.
func (c *completionsCall) parse(body []byte) (*parsed, *apiError) {
	f, aerr := scanBody(body)
	if aerr != nil {
		return nil, aerr
	}
	if f.PayloadBytes == 0 {
		return nil, badRequest("prompt: Field required", "prompt")
	}
	c.clientUsage = f.IncludeUsage
	return nativeOnly(providers.OpChat, body, f, errCompletionsUnsupported(f.Model))
}

func (*completionsCall) native() providers.API   { return providers.APICompletions }
func (*completionsCall) nativeHeaders() []string { return nil }

// nativeAnswer names the public model in the text_completion object.
func (*completionsCall) nativeAnswer(body []byte, model, _ string) []byte {
	return renameModel(body, model)
}

// nativeEvent relays one chunk naming the public model, and [DONE]; the
// usage-only chunk is relayed only when the client asked for it.
func (c *completionsCall) nativeEvent(ev providers.Event, model, _ string) []byte {
	if openai.IsDone(ev.Data) {
		return sseDone
	}
	if ev.Usage != nil && !c.clientUsage && openai.UsageOnly(ev.Data) {
		return nil
	}
	return sseEvent("", renameModel(ev.Data, model))
}
