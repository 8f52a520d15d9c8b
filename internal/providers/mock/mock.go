// Package mock is the built-in Mock provider: a deterministic upstream that
// runs in process as an http.RoundTripper speaking OpenAI's wire format. It
// echoes the last user message (or a fixed reply), streams one word per
// chunk with a configurable delay, and reports usage. Demos, tests and load
// tests of the gateway itself use it; nothing is dialed.
package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/embedding"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Endpoint is the base URL the Mock adapter addresses; it never resolves.
const Endpoint = "http://mock.tollgate.invalid/v1"

func init() {
	providers.Register(providers.Vendor{Type: config.ProviderMock, New: New,
		Rules: config.ProviderRules{Endpoint: config.NeedForbidden, Settings: "mock", Check: check}})
}

func check(p *config.Provider, bad func(field, format string, a ...any)) {
	if m := p.Mock; m != nil && (m.Latency.Duration < 0 || m.ChunkDelay.Duration < 0) {
		bad("mock", "latency and chunkDelay must not be negative")
	}
}

// Adapter is the OpenAI adapter bound to the in-process transport.
type Adapter struct {
	*openai.Adapter
	rt *RoundTripper
}

var (
	_ providers.Adapter     = (*Adapter)(nil)
	_ providers.Transporter = (*Adapter)(nil)
)

// New builds the Mock provider's adapter.
func New(p *config.Provider) (providers.Adapter, error) {
	a, err := openai.NewAdapter(Endpoint, "", p.Headers)
	if err != nil {
		return nil, err
	}
	var s config.MockSettings
	if p.Mock != nil {
		s = *p.Mock
	}
	return &Adapter{Adapter: a, rt: &RoundTripper{Settings: s}}, nil
}

// Transport returns the in-process upstream.
func (a *Adapter) Transport() http.RoundTripper { return a.rt }

// RoundTripper answers OpenAI requests in process.
type RoundTripper struct {
	Settings config.MockSettings
	seq      atomic.Int64
}

type chatRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Input json.RawMessage `json:"input"`
}

// RoundTrip serves one request.
func (m *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("mock upstream: reading request: %w", err)
		}
		body = b
	}
	if d := m.Settings.Latency.Duration; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		case <-t.C:
		}
	}
	path := strings.TrimPrefix(req.URL.Path, "/v1")
	switch {
	case req.Method == http.MethodGet && path == "/models":
		return respond(req, http.StatusOK, "application/json", []byte(`{"object":"list","data":[]}`)), nil
	case req.Method != http.MethodPost:
		return errorResponse(req, http.StatusMethodNotAllowed, "method not allowed"), nil
	}
	var cr chatRequest
	if err := json.Unmarshal(body, &cr); err != nil {
		return errorResponse(req, http.StatusBadRequest, "invalid JSON body"), nil
	}
	id := m.seq.Add(1)
	switch path {
	case "/embeddings":
		b, err := embeddings(&cr, body)
		if err != nil {
			return errorResponse(req, http.StatusBadRequest, err.Error()), nil
		}
		return respond(req, http.StatusOK, "application/json", b), nil
	case "/chat/completions":
		reply := m.Settings.Reply
		if reply == "" {
			reply = lastUserText(&cr)
		}
		words := Split(reply)
		prompt := EstimateTokens(body)
		if !cr.Stream {
			return respond(req, http.StatusOK, "application/json", completion(id, cr.Model, reply, prompt, int64(len(words)))), nil
		}
		usage := cr.StreamOptions != nil && cr.StreamOptions.IncludeUsage
		s := &eventStream{ctx: req.Context(), delay: m.Settings.ChunkDelay.Duration, id: id, model: cr.Model,
			words: words, prompt: prompt, usage: usage}
		resp := respond(req, http.StatusOK, "text/event-stream", nil)
		resp.Body = s
		resp.ContentLength = -1
		return resp, nil
	}
	return errorResponse(req, http.StatusNotFound, "unknown path "+req.URL.Path), nil
}

// Split cuts a reply into stream pieces: one word (with its trailing space)
// per chunk. An empty reply is one empty piece.
func Split(s string) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// EstimateTokens is the mock's prompt-token count: a quarter of the bytes.
func EstimateTokens(b []byte) int64 { return int64(len(b)+3) / 4 }

func lastUserText(cr *chatRequest) string {
	for i := len(cr.Messages) - 1; i >= 0; i-- {
		msg := cr.Messages[i]
		if msg.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(msg.Content, &s) == nil {
			return s
		}
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if json.Unmarshal(msg.Content, &parts) == nil {
			var b strings.Builder
			for _, p := range parts {
				if p.Type == "text" {
					b.WriteString(p.Text)
				}
			}
			return b.String()
		}
	}
	return ""
}

func completion(id int64, model, reply string, prompt, completionTokens int64) []byte {
	v := map[string]any{
		"id": fmt.Sprintf("chatcmpl-mock-%d", id), "object": "chat.completion", "created": time.Now().Unix(), "model": model,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": reply}, "finish_reason": "stop"}},
		"usage":   map[string]any{"prompt_tokens": prompt, "completion_tokens": completionTokens, "total_tokens": prompt + completionTokens},
	}
	b, _ := json.Marshal(v)
	return b
}

// embeddings answers like OpenAI: one vector per input, in the
// encoding_format (float or base64) and dimensions (at most the mock's 4)
// asked for.
func embeddings(cr *chatRequest, body []byte) ([]byte, error) {
	o, err := embedding.ParseOptions(body)
	if err != nil {
		return nil, err
	}
	if o.Dimensions > 4 {
		return nil, fmt.Errorf("dimensions: the Mock provider's vectors have 4 dimensions, %d asked", o.Dimensions)
	}
	inputs := 1
	var list []json.RawMessage
	if json.Unmarshal(cr.Input, &list) == nil && len(list) > 0 {
		inputs = len(list)
	}
	vectors := make([][]float64, inputs)
	for i := range vectors {
		vectors[i] = []float64{0.1, 0.2, 0.3, float64(i)}
	}
	tokens := EstimateTokens(cr.Input)
	return embedding.List(cr.Model, vectors, &oa.EmbeddingsUsage{PromptTokens: tokens, TotalTokens: tokens}, o)
}

func respond(req *http.Request, status int, ctype string, body []byte) *http.Response {
	h := http.Header{}
	h.Set("Content-Type", ctype)
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Request: req,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
}

func errorResponse(req *http.Request, status int, msg string) *http.Response {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "param": nil, "code": nil}})
	return respond(req, status, "application/json", b)
}
