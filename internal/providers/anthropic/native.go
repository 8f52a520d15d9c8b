package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	oaprov "github.com/tollgate-dev/tollgate/internal/providers/openai"
	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
)

// NativeAPIs: Anthropic relays Messages API requests as the client wrote
// them (cache_control, thinking signatures, every block type).
func (a *Adapter) NativeAPIs() []providers.API { return []providers.API{providers.APIMessages} }

// NativeRequest builds POST {endpoint}/v1/messages with the client's body.
// The client's anthropic-version is kept when it sent one (its body is in
// that version); the provider's otherwise.
func (a *Adapter) NativeRequest(ctx context.Context, api providers.API, r *providers.Request) (*http.Request, error) {
	if api != providers.APIMessages {
		return nil, fmt.Errorf("anthropic: the %s API is not relayed natively", api)
	}
	req, err := vendorkit.NewPost(ctx, "anthropic", a.endpoint+"/v1/messages", r.Body, r, a.headers, vendorkit.Accept(r.Stream, "text/event-stream"))
	if err != nil {
		return nil, err
	}
	if req.Header.Get("Anthropic-Version") == "" {
		req.Header.Set("Anthropic-Version", a.version)
	}
	req.Header.Set("X-Api-Key", a.apiKey)
	return req, nil
}

// NativeUsage reads a message object's usage (Reported false when it has
// none).
func (a *Adapter) NativeUsage(_ providers.API, body []byte) (providers.Usage, error) {
	var m struct {
		Usage *ant.Usage `json:"usage"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return providers.Usage{}, fmt.Errorf("anthropic: decoding message: %w", err)
	}
	if m.Usage == nil {
		return providers.Usage{}, nil
	}
	return toUsage(*m.Usage), nil
}

// NativeError maps an error answer; Anthropic's own body is shown to the
// client for a refusal of the request or a rate limit, never for a
// failure of the gateway's credential.
func (a *Adapter) NativeError(_ providers.API, status int, h http.Header, body []byte) *providers.Error {
	e := MapError(status, h, body, a.now())
	if (e.Class == providers.ClassFatal || e.Class == providers.ClassRateLimited) && e.Code != "upstream_credential_rejected" && json.Valid(body) {
		e.Raw, e.RawStatus = body, status
	}
	return e
}

// NativeStream reads Anthropic's named events as they are, noting usage.
func (a *Adapter) NativeStream(_ providers.API, body io.Reader) providers.EventStream {
	return &nativeStream{dec: oaprov.NewSSEDecoder(body)}
}

type nativeStream struct {
	dec   *oaprov.SSEDecoder
	usage usageTracker
	done  bool
}

func (s *nativeStream) Next() (providers.Event, error) {
	if s.done {
		return providers.Event{}, io.EOF
	}
	ev, err := s.dec.NextBefore("anthropic", ant.EventMessageStop)
	if err != nil {
		return providers.Event{}, err
	}
	var se ant.StreamEvent
	if err := json.Unmarshal(ev.Data, &se); err != nil {
		return providers.Event{}, fmt.Errorf("anthropic: decoding %q event: %w", ev.Name, err)
	}
	if se.Type == "" {
		se.Type = ev.Name
	}
	out := providers.Event{Name: ev.Name, Data: ev.Data}
	switch se.Type {
	case ant.EventMessageStart:
		if se.Message != nil {
			s.usage.start(se.Message.Usage)
		}
	case ant.EventMessageDelta:
		s.usage.delta(se.Usage)
	case ant.EventMessageStop:
		s.done = true
	case ant.EventError:
		if se.Error == nil {
			return providers.Event{}, errors.New("anthropic: error event without an error")
		}
		return providers.Event{}, fromErrorBody(0, *se.Error, 0)
	}
	if s.usage.have && (se.Type == ant.EventMessageStart || se.Type == ant.EventMessageDelta || s.done) {
		u := toUsage(s.usage.usage)
		out.Usage = &u
	}
	return out, nil
}

// usageTracker follows a stream's usage: message_start's, updated by
// message_delta's cumulative counts.
type usageTracker struct {
	usage ant.Usage
	have  bool
}

func (t *usageTracker) start(u *ant.Usage) {
	if u != nil {
		t.usage, t.have = *u, true
	}
}

func (t *usageTracker) delta(u *ant.DeltaUsage) {
	if u == nil {
		return
	}
	t.have = true
	t.usage.OutputTokens = u.OutputTokens
	if u.InputTokens != nil {
		t.usage.InputTokens = *u.InputTokens
	}
	if u.CacheReadInputTokens != nil {
		t.usage.CacheReadInputTokens = *u.CacheReadInputTokens
	}
	if u.CacheCreationInputTokens != nil {
		t.usage.CacheCreationInputTokens = *u.CacheCreationInputTokens
	}
}
