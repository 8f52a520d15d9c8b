// Package gemini is the adapter for Google's Gemini API (generateContent,
// streamGenerateContent with alt=sse, batchEmbedContents). The API key
// travels in the x-goog-api-key header, never in the URL.
package gemini

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

// DefaultEndpoint is used when the provider names none.
const DefaultEndpoint = "https://generativelanguage.googleapis.com"

func init() {
	providers.Register(providers.Vendor{Type: config.ProviderGemini, New: New, DefaultEndpoint: DefaultEndpoint, ListModels: ListModels,
		Rules: config.ProviderRules{Endpoint: config.NeedRequired, NeedsKey: true}})
}

// Adapter speaks the Gemini API.
type Adapter struct {
	base    string // endpoint with the API version, no trailing slash
	apiKey  string
	headers map[string]string
	now     func() time.Time
}

// New builds the adapter of one Gemini provider.
func New(p *config.Provider) (providers.Adapter, error) {
	base := vendorkit.Endpoint(p.Endpoint, DefaultEndpoint)
	if !strings.HasSuffix(base, "/v1beta") && !strings.HasSuffix(base, "/v1") {
		base += "/v1beta"
	}
	if _, err := url.Parse(base); err != nil {
		return nil, fmt.Errorf("gemini: endpoint: %w", err)
	}
	return &Adapter{base: base, apiKey: p.APIKey, headers: p.Headers, now: time.Now}, nil
}

// NewRequest builds the generateContent, streamGenerateContent or
// batchEmbedContents call.
func (a *Adapter) NewRequest(ctx context.Context, r *providers.Request) (*http.Request, error) {
	model := url.PathEscape(strings.TrimPrefix(r.Model, "models/"))
	var (
		body   any
		method string
		err    error
	)
	switch r.Op {
	case providers.OpEmbeddings:
		body, err = toBatchEmbed(r.Body, r.Model)
		method = ":batchEmbedContents"
	default:
		body, err = toGenerate(r.Body)
		method = ":generateContent"
		if r.Stream {
			method = ":streamGenerateContent?alt=sse"
		}
	}
	if err != nil {
		return nil, err
	}
	enc, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("gemini: encoding request: %w", err)
	}
	req, err := vendorkit.NewPost(ctx, "gemini", a.base+"/models/"+model+method, enc, r, a.headers, "")
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Goog-Api-Key", a.apiKey)
	return req, nil
}

// Response turns a GenerateContentResponse (or embeddings) into OpenAI's shape.
func (a *Adapter) Response(r *providers.Request, body []byte) ([]byte, providers.Usage, error) {
	if r.Op == providers.OpEmbeddings {
		return fromBatchEmbed(body, r.Model, r.Body)
	}
	return FromGenerate(body, r.Model, a.now())
}

// Stream decodes the alt=sse stream.
func (a *Adapter) Stream(r *providers.Request, body io.Reader) providers.Stream {
	return NewStream(body, r.Model, a.now())
}

// Error maps a google.rpc.Status answer.
func (a *Adapter) Error(status int, h http.Header, body []byte) *providers.Error {
	return MapError(status, h, body)
}
