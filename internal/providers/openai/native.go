package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/providers"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
)

// NativeAPIs: OpenAI serves the Responses and the legacy completions API;
// an OpenAI-compatible server those its provider declares.
func (a *Adapter) NativeAPIs() []providers.API {
	var out []providers.API
	if a.responsesURL != "" {
		out = append(out, providers.APIResponses)
	}
	if a.completionsURL != "" {
		out = append(out, providers.APICompletions)
	}
	return out
}

// NativeRequest builds POST {endpoint}/responses or /completions with the
// client's body.
func (a *Adapter) NativeRequest(ctx context.Context, api providers.API, r *providers.Request) (*http.Request, error) {
	switch {
	case api == providers.APIResponses && a.responsesURL != "":
		return a.post(ctx, a.responsesURL, r.Body, r)
	case api == providers.APICompletions && a.completionsURL != "":
		body, err := CompletionsBody(r.Body, r.Model, r.Stream, a.setUsage)
		if err != nil {
			return nil, err
		}
		return a.post(ctx, a.completionsURL, body, r)
	}
	return nil, fmt.Errorf("openai: the %s API is not relayed natively", api)
}

// NativeUsage reads a response object's or a text_completion's usage.
func (a *Adapter) NativeUsage(api providers.API, body []byte) (providers.Usage, error) {
	return NativeUsage(api, body)
}

// NativeUsage reads the usage of a whole native answer in api.
func NativeUsage(api providers.API, body []byte) (providers.Usage, error) {
	if api == providers.APICompletions {
		u, err := ParseUsage(body)
		if err != nil {
			return providers.Usage{}, fmt.Errorf("decoding text_completion: %w", err)
		}
		return u, nil
	}
	return ResponseUsage(body)
}

// NativeError maps an error answer, keeping the upstream's own body for a
// refusal of the request or a rate limit.
func (a *Adapter) NativeError(_ providers.API, status int, h http.Header, body []byte) *providers.Error {
	return NativeError(a.Error(status, h, body), status, body)
}

// NativeStream reads a native stream's events as they are.
func (a *Adapter) NativeStream(api providers.API, body io.Reader) providers.EventStream {
	return NativeStream(api, body, a.apiKey)
}

// NativeStream decodes a native stream in api; apiKey is redacted from
// error messages.
func NativeStream(api providers.API, body io.Reader, apiKey string) providers.EventStream {
	if api == providers.APICompletions {
		return NewCompletionsStream(body, apiKey)
	}
	return NewResponsesStream(body, apiKey)
}

// NativeError sets e.Raw to body when the client may see it as is: a
// refusal of the request or a rate limit, never a credential failure.
func NativeError(e *providers.Error, status int, body []byte) *providers.Error {
	if (e.Class == providers.ClassFatal || e.Class == providers.ClassRateLimited) && status != http.StatusUnauthorized &&
		status != http.StatusForbidden && json.Valid(body) {
		e.Raw, e.RawStatus = body, status
	}
	return e
}

// ResponseUsage reads the usage of a Responses API response object
// (Reported false when it has none).
func ResponseUsage(body []byte) (providers.Usage, error) {
	var v struct {
		Usage *rs.Usage `json:"usage"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return providers.Usage{}, fmt.Errorf("decoding response: %w", err)
	}
	return responseUsage(v.Usage), nil
}

func responseUsage(u *rs.Usage) providers.Usage {
	if u == nil {
		return providers.Usage{}
	}
	return providers.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CachedInputTokens: u.InputTokensDetails.CachedTokens,
		CacheWriteTokens: u.InputTokensDetails.CacheWriteTokens, ReasoningTokens: u.OutputTokensDetails.ReasoningTokens, Reported: true}
}

// ResponsesStream reads a Responses API stream: events as they are, the
// usage of the terminal response event, error events as *providers.Error.
type ResponsesStream struct {
	dec    *SSEDecoder
	apiKey string
	done   bool
}

// NewResponsesStream decodes body; apiKey is redacted from error messages.
func NewResponsesStream(body io.Reader, apiKey string) *ResponsesStream {
	return &ResponsesStream{dec: NewSSEDecoder(body), apiKey: apiKey}
}

// Next returns the next event, io.EOF after the terminal response event.
func (s *ResponsesStream) Next() (providers.Event, error) {
	if s.done {
		return providers.Event{}, io.EOF
	}
	ev, err := s.dec.NextBefore("responses", "its terminal event")
	if err != nil {
		return providers.Event{}, err
	}
	var v struct {
		Type     string `json:"type"`
		Response *struct {
			Usage *rs.Usage `json:"usage"`
		} `json:"response"`
	}
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		return providers.Event{}, fmt.Errorf("decoding %q event: %w", ev.Name, err)
	}
	out := providers.Event{Name: ev.Name, Data: ev.Data}
	switch v.Type {
	case rs.EventError:
		return providers.Event{}, responsesStreamError(ev.Data, s.apiKey)
	case rs.EventCompleted, rs.EventIncomplete, rs.EventFailed:
		s.done = true
		if v.Response != nil && v.Response.Usage != nil {
			u := responseUsage(v.Response.Usage)
			out.Usage = &u
		}
	}
	return out, nil
}

// responsesStreamError maps a Responses stream's error event
// ({"type":"error","code","message"}).
func responsesStreamError(data []byte, apiKey string) *providers.Error {
	var v rs.ErrorEvent
	_ = json.Unmarshal(data, &v)
	msg := v.Message
	if msg == "" {
		msg = "upstream stream reported an error"
	}
	e := &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_stream_error",
		Message: redact(msg, apiKey), Class: providers.ClassServerError}
	if v.Code == "rate_limit_exceeded" {
		e.Status, e.Type, e.Code, e.Class = http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", providers.ClassRateLimited
	}
	return e
}
