package openai

import (
	"bytes"
	"fmt"
	"io"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// The legacy completions API (POST /v1/completions) as OpenAI, Azure
// OpenAI, vLLM and other compatible servers serve it: a "prompt" (and for
// fill-in-the-middle a "suffix"), answered by a text_completion object or
// a stream of them ending in [DONE]. It is relayed natively only; the
// gateway adds nothing to the body but the model and, for a stream, the
// usage it needs to settle.

// CompletionsBody returns the client's completions body with the model
// replaced and, for a stream when setUsage, stream_options.include_usage
// set so the last chunk carries the usage.
func CompletionsBody(body []byte, model string, stream, setUsage bool) ([]byte, error) {
	f, err := Scan(body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	force := stream && setUsage && !f.IncludeUsage
	if f.Model == model && !force {
		return body, nil
	}
	return Rewrite(body, &f, model, force)
}

// CompletionsStream reads a completions stream: each data event as it is,
// the usage of the chunk that carries it, [DONE] as a last event of its
// own (the client's stream ends with it too), an error object as
// *providers.Error.
type CompletionsStream struct {
	dec    *SSEDecoder
	apiKey string
	done   bool
}

// NewCompletionsStream decodes body; apiKey is redacted from error
// messages.
func NewCompletionsStream(body io.Reader, apiKey string) *CompletionsStream {
	return &CompletionsStream{dec: NewSSEDecoder(body), apiKey: apiKey}
}

// doneData is the data of the terminal event.
var doneData = []byte("[DONE]")

// IsDone reports whether an event's data is the terminal [DONE].
func IsDone(data []byte) bool { return bytes.Equal(bytes.TrimSpace(data), doneData) }

// Next returns the next event; io.EOF after [DONE].
func (s *CompletionsStream) Next() (providers.Event, error) {
	if s.done {
		return providers.Event{}, io.EOF
	}
	ev, err := s.dec.NextBefore("completions", "[DONE]")
	if err != nil {
		return providers.Event{}, err
	}
	if IsDone(ev.Data) {
		s.done = true
		return providers.Event{Data: doneData}, nil
	}
	if hasTopLevelError(ev.Data) {
		return providers.Event{}, streamError(ev.Data, s.apiKey)
	}
	u, _, err := chunkUsage(ev.Data)
	if err != nil {
		return providers.Event{}, fmt.Errorf("decoding completions chunk: %w", err)
	}
	return providers.Event{Name: ev.Name, Data: ev.Data, Usage: u}, nil
}

// UsageOnly reports whether a stream chunk carries usage and no choices
// (the last chunk a stream_options.include_usage request gets).
func UsageOnly(data []byte) bool {
	u, only, err := chunkUsage(data)
	return err == nil && u != nil && only
}
