// Package azure is the adapter for Azure OpenAI: OpenAI's wire format on
// deployment URLs ({endpoint}/openai/deployments/{deployment}/...?
// api-version=...) with an api-key header. The upstream model of a route
// is the deployment name. Bodies, streams and errors are OpenAI's, so this
// adapter delegates them to the OpenAI adapter.
package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// DefaultAPIVersion is sent as api-version when the provider sets none.
const DefaultAPIVersion = "2024-10-21"

func init() {
	providers.Register(providers.Vendor{Type: config.ProviderAzureOpenAI, New: New,
		Rules:          config.ProviderRules{Endpoint: config.NeedRequired, NeedsKey: true, Settings: "azure", Check: check},
		ForwardHeaders: []string{"Openai-Beta"}})
}

// check refuses an azure.apiVersion that is not a date version.
func check(p *config.Provider, bad func(field, format string, a ...any)) {
	if p.Azure != nil && p.Azure.APIVersion != "" && !vendorkit.DateVersion.MatchString(p.Azure.APIVersion) {
		bad("azure.apiVersion", "%q is not a date version like 2024-10-21", p.Azure.APIVersion)
	}
}

// Adapter speaks Azure OpenAI.
type Adapter struct {
	base       string // {endpoint}/openai/deployments
	apiVersion string
	apiKey     string
	headers    map[string]string
	oa         *openai.Adapter
}

// New builds the adapter of one Azure OpenAI resource.
func New(p *config.Provider) (providers.Adapter, error) {
	u, err := url.Parse(p.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("azure: endpoint must be an absolute http(s) URL such as https://RESOURCE.openai.azure.com")
	}
	if u.User != nil {
		return nil, errors.New("azure: endpoint must not carry user information")
	}
	base := strings.TrimRight(u.String(), "/")
	base = strings.TrimSuffix(base, "/openai")
	version := DefaultAPIVersion
	if p.Azure != nil && p.Azure.APIVersion != "" {
		version = p.Azure.APIVersion
	}
	// The OpenAI adapter decodes answers; its URLs are not used.
	oa, err := openai.NewAdapter(base, p.APIKey, nil)
	if err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	return &Adapter{base: base + "/openai/deployments", apiVersion: version, apiKey: p.APIKey, headers: p.Headers, oa: oa}, nil
}

// NewRequest builds POST .../deployments/{deployment}/chat/completions (or
// /embeddings). Streams ask for usage with stream_options.
func (a *Adapter) NewRequest(ctx context.Context, r *providers.Request) (*http.Request, error) {
	if r.Model == "" {
		return nil, errors.New("azure: no deployment (upstream model) to call")
	}
	f, err := openai.Scan(r.Body)
	if err != nil {
		return nil, fmt.Errorf("azure: reading request body: %w", err)
	}
	body := r.Body
	if f.Model != r.Model || (r.Stream && !f.IncludeUsage) {
		if body, err = openai.Rewrite(r.Body, &f, r.Model, r.Stream); err != nil {
			return nil, fmt.Errorf("azure: %w", err)
		}
	}
	if body, err = openai.StripReasoningState(body); err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	if r.Op == providers.OpChat && f.Stream != r.Stream {
		// The body's flag must agree with the Request's: it decides
		// whether Azure streams.
		if body, err = openai.SetMember(body, "stream", []byte(strconv.FormatBool(r.Stream))); err != nil {
			return nil, fmt.Errorf("azure: %w", err)
		}
	}
	op := "/chat/completions"
	if r.Op == providers.OpEmbeddings {
		op = "/embeddings"
	}
	target := a.base + "/" + url.PathEscape(r.Model) + op + "?api-version=" + url.QueryEscape(a.apiVersion)
	req, err := vendorkit.NewPost(ctx, "azure", target, body, r, a.headers, vendorkit.Accept(r.Stream, "text/event-stream"))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Api-Key", a.apiKey)
	return req, nil
}

// PassThrough is true: Azure OpenAI answers in OpenAI's shape.
func (a *Adapter) PassThrough() bool { return true }

// Response returns the OpenAI-shaped body and its usage.
func (a *Adapter) Response(r *providers.Request, body []byte) ([]byte, providers.Usage, error) {
	out, u, err := a.oa.Response(r, body)
	if err != nil {
		return nil, providers.Usage{}, fmt.Errorf("azure: %w", err)
	}
	return out, u, nil
}

// Stream decodes the OpenAI event stream, dropping Azure's annotation-only
// chunks (no choices, no usage: prompt_filter_results before the answer).
func (a *Adapter) Stream(r *providers.Request, body io.Reader) providers.Stream {
	return &stream{inner: a.oa.Stream(r, body)}
}

// Error maps an Azure error answer ({"error":{"code":"429","message":...}}).
func (a *Adapter) Error(status int, h http.Header, body []byte) *providers.Error {
	e := a.oa.Error(status, h, body)
	if e.Code == "content_filter" || e.Code == "ResponsibleAIPolicyViolation" {
		e.Code, e.Class = "content_filter", providers.ClassFatal
	}
	if e.Code == "DeploymentNotFound" {
		e.Code = "model_not_found"
	}
	e.Message = "azure: " + e.Message
	return e
}

type stream struct{ inner providers.Stream }

func (s *stream) Next() (providers.Chunk, error) {
	for {
		c, err := s.inner.Next()
		if err != nil || c.Usage != nil || !annotationOnly(c.Data) {
			return c, err
		}
	}
}

// annotationOnly reports a chunk with an empty choices list.
func annotationOnly(data []byte) bool {
	if !bytes.Contains(data, []byte(`"choices":[]`)) && !bytes.Contains(data, []byte(`"choices": []`)) {
		return false
	}
	var v struct {
		Choices []json.RawMessage `json:"choices"`
	}
	return json.Unmarshal(data, &v) == nil && len(v.Choices) == 0
}
