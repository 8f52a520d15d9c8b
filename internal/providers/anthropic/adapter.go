// Package anthropic is the adapter for Anthropic's Messages API: it turns
// canonical OpenAI chat requests into POST /v1/messages calls and the
// answers (whole, streamed or failed) back into OpenAI's shape.
package anthropic

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

// DefaultEndpoint is used when the provider names none.
const DefaultEndpoint = "https://api.anthropic.com"

// DefaultVersion is sent as anthropic-version when the provider sets none.
const DefaultVersion = "2023-06-01"

func init() {
	providers.Register(providers.Vendor{Type: config.ProviderAnthropic, New: New, DefaultEndpoint: DefaultEndpoint, ListModels: ListModels,
		Rules:          config.ProviderRules{Endpoint: config.NeedRequired, NeedsKey: true, Settings: "anthropic", Check: check},
		ForwardHeaders: []string{"Anthropic-Beta"}})
}

// check refuses an anthropic.version that is not a date (Anthropic has no
// preview versions).
func check(p *config.Provider, bad func(field, format string, a ...any)) {
	if a := p.Anthropic; a != nil && a.Version != "" && (!vendorkit.DateVersion.MatchString(a.Version) || strings.HasSuffix(a.Version, "-preview")) {
		bad("anthropic.version", "%q is not a date version like 2023-06-01", a.Version)
	}
}

// Adapter speaks Anthropic's Messages API.
type Adapter struct {
	endpoint string
	apiKey   string
	version  string
	headers  map[string]string
	now      func() time.Time
}

// New builds the adapter of one Anthropic provider.
func New(p *config.Provider) (providers.Adapter, error) {
	// Accept an endpoint given with the API version path, as for OpenAI.
	endpoint := strings.TrimSuffix(vendorkit.Endpoint(p.Endpoint, DefaultEndpoint), "/v1")
	version := DefaultVersion
	if p.Anthropic != nil && p.Anthropic.Version != "" {
		version = p.Anthropic.Version
	}
	return &Adapter{endpoint: endpoint, apiKey: p.APIKey, version: version, headers: p.Headers, now: time.Now}, nil
}

// NewRequest builds POST {endpoint}/v1/messages.
func (a *Adapter) NewRequest(ctx context.Context, r *providers.Request) (*http.Request, error) {
	if r.Op != providers.OpChat {
		return nil, vendorkit.ChatOnly("anthropic")
	}
	msg, err := ToMessages(r.Body, r.Model, r.Stream)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("anthropic: encoding request: %w", err)
	}
	req, err := vendorkit.NewPost(ctx, "anthropic", a.endpoint+"/v1/messages", body, r, a.headers, vendorkit.Accept(r.Stream, "text/event-stream"))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Anthropic-Version", a.version)
	req.Header.Set("X-Api-Key", a.apiKey)
	return req, nil
}

// Response turns a message object into a chat.completion.
func (a *Adapter) Response(r *providers.Request, body []byte) ([]byte, providers.Usage, error) {
	return FromMessage(body, a.now())
}

// Stream decodes Anthropic's SSE events into chat.completion.chunk payloads.
func (a *Adapter) Stream(r *providers.Request, body io.Reader) providers.Stream {
	return NewStream(body, r.Model, a.now())
}

// Error maps an Anthropic error answer.
func (a *Adapter) Error(status int, h http.Header, body []byte) *providers.Error {
	return MapError(status, h, body, a.now())
}
