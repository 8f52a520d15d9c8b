// Package openai is the adapter for OpenAI's API and every vendor that
// speaks it (type OpenAICompatible: DeepSeek, Mistral, Groq, vLLM, Ollama,
// OpenRouter...). The canonical form is OpenAI's, so requests pass through
// with only the model replaced and, for streams, usage requested.
package openai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// DefaultEndpoint is used when an OpenAI provider names none; an
// OpenAICompatible provider always names its own.
const DefaultEndpoint = "https://api.openai.com/v1"

func init() {
	beta := []string{"Openai-Beta"}
	providers.Register(providers.Vendor{Type: config.ProviderOpenAI, New: New, DefaultEndpoint: DefaultEndpoint, ListModels: ListModels,
		Rules: config.ProviderRules{Endpoint: config.NeedRequired, NeedsKey: true}, ForwardHeaders: beta})
	// A local OpenAI-compatible server (vLLM, Ollama) may need no key.
	providers.Register(providers.Vendor{Type: config.ProviderOpenAICompatible, New: New, ListModels: ListModels,
		Rules: config.ProviderRules{Endpoint: config.NeedRequired}, ForwardHeaders: beta})
}

// Adapter speaks OpenAI's chat completions and embeddings API.
type Adapter struct {
	chatURL, embeddingsURL string
	// responsesURL and completionsURL are set when the provider serves
	// the Responses API and the legacy completions API.
	responsesURL, completionsURL string
	apiKey                       string
	// bearer is the Authorization value, built once (nil without a key).
	bearer  []string
	headers http.Header
	// setUsage asks streams for usage with stream_options. Some compatible
	// servers reject the member; all OpenAI ones accept it.
	setUsage bool
}

var _ providers.Adapter = (*Adapter)(nil)

// New builds the adapter of an OpenAI or OpenAI-compatible provider.
func New(p *config.Provider) (providers.Adapter, error) {
	a, err := NewAdapter(p.Endpoint, p.APIKey, p.Headers)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(a.chatURL, "/chat/completions")
	if p.Type == config.ProviderOpenAI || slices.Contains(p.NativeAPIs, config.NativeResponses) {
		a.responsesURL = base + "/responses"
	}
	if p.Type == config.ProviderOpenAI || slices.Contains(p.NativeAPIs, config.NativeCompletions) {
		a.completionsURL = base + "/completions"
	}
	return a, nil
}

// NewAdapter builds an adapter for a base URL such as https://api.openai.com/v1.
func NewAdapter(endpoint, apiKey string, headers map[string]string) (*Adapter, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q must be an absolute http(s) URL", redactURL(endpoint))
	}
	if u.User != nil {
		return nil, errors.New("endpoint must not carry user information")
	}
	base := strings.TrimRight(u.String(), "/")
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	a := &Adapter{
		chatURL:       base + "/chat/completions",
		embeddingsURL: base + "/embeddings",
		apiKey:        apiKey,
		headers:       h,
		setUsage:      true,
	}
	if apiKey != "" {
		a.bearer = []string{"Bearer " + apiKey}
	}
	return a, nil
}

// The values of the headers post sets, shared by every request as the
// provider's own headers are (a Header's value slices are replaced, never
// written into, by net/http and the gateway).
var (
	jsonValue        = []string{"application/json"}
	eventStreamValue = []string{"text/event-stream"}
)

// NewRequest builds the upstream request. The body is the client's with the
// model replaced; the credential is set last, after the provider's headers.
func (a *Adapter) NewRequest(ctx context.Context, r *providers.Request) (*http.Request, error) {
	f, err := Scan(r.Body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	body := r.Body
	if f.Model != r.Model || (r.Stream && a.setUsage && !f.IncludeUsage) {
		body, err = Rewrite(r.Body, &f, r.Model, r.Stream && a.setUsage)
		if err != nil {
			return nil, err
		}
	}
	if body, err = StripReasoningState(body); err != nil {
		return nil, err
	}
	target := a.chatURL
	if r.Op == providers.OpEmbeddings {
		target = a.embeddingsURL
	}
	return a.post(ctx, target, body, r)
}

// post builds POST target with body: the forwarded client headers, the
// provider's over them, the body's type, and the credential last.
func (a *Adapter) post(ctx context.Context, target string, body []byte, r *providers.Request) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building upstream request: %w", err)
	}
	req.Header = r.BaseHeader()
	for k, v := range a.headers {
		req.Header[k] = v
	}
	req.Header["Content-Type"] = jsonValue
	if r.Stream {
		req.Header["Accept"] = eventStreamValue
	} else {
		req.Header["Accept"] = jsonValue
	}
	if a.bearer != nil {
		req.Header["Authorization"] = a.bearer
	}
	return req, nil
}

// Response returns the body unchanged with the usage it reports.
func (a *Adapter) Response(r *providers.Request, body []byte) ([]byte, providers.Usage, error) {
	u, err := ParseUsage(body)
	if err != nil {
		return nil, providers.Usage{}, fmt.Errorf("decoding upstream response: %w", err)
	}
	return body, u, nil
}

// PassThrough is true: an answer is relayed as the vendor sent it.
func (a *Adapter) PassThrough() bool { return true }

// Stream decodes an OpenAI event stream.
func (a *Adapter) Stream(r *providers.Request, body io.Reader) providers.Stream {
	return &stream{dec: NewSSEDecoder(body), apiKey: a.apiKey}
}

// Error maps an OpenAI error answer.
func (a *Adapter) Error(status int, h http.Header, body []byte) *providers.Error {
	return MapError(status, h, body, a.apiKey)
}

type stream struct {
	dec    *SSEDecoder
	apiKey string
	done   bool
}

// Next returns the next chunk. The end of input without "data: [DONE]" is
// io.ErrUnexpectedEOF: the upstream dropped the stream.
func (s *stream) Next() (providers.Chunk, error) {
	if s.done {
		return providers.Chunk{}, io.EOF
	}
	for {
		ev, err := s.dec.Next()
		if err != nil {
			if err == io.EOF {
				return providers.Chunk{}, io.ErrUnexpectedEOF
			}
			return providers.Chunk{}, err
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		if bytes.Equal(data, []byte("[DONE]")) {
			s.done = true
			return providers.Chunk{}, io.EOF
		}
		if ev.Name == "error" || hasTopLevelError(data) {
			return providers.Chunk{}, streamError(data, s.apiKey)
		}
		c := providers.Chunk{Data: data}
		if bytes.Contains(data, []byte(`"usage"`)) {
			u, only, err := chunkUsage(data)
			if err != nil {
				return providers.Chunk{}, fmt.Errorf("decoding stream chunk: %w", err)
			}
			if u != nil {
				c.Usage, c.UsageOnly = u, only
			}
		}
		return c, nil
	}
}
