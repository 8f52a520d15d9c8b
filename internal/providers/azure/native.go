package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// NativeAPIs: Azure OpenAI serves the Responses API (its v1 API, where the
// body's model names the deployment) and the legacy completions API on
// deployment URLs.
func (a *Adapter) NativeAPIs() []providers.API {
	return []providers.API{providers.APIResponses, providers.APICompletions}
}

// NativeRequest builds POST {endpoint}/openai/v1/responses, or
// .../deployments/{deployment}/completions?api-version=, with the
// client's body.
func (a *Adapter) NativeRequest(ctx context.Context, api providers.API, r *providers.Request) (*http.Request, error) {
	var target string
	body := r.Body
	switch api {
	case providers.APIResponses:
		target = strings.TrimSuffix(a.base, "/deployments") + "/v1/responses"
	case providers.APICompletions:
		if r.Model == "" {
			return nil, errors.New("azure: no deployment (upstream model) to call")
		}
		var err error
		if body, err = openai.CompletionsBody(r.Body, r.Model, r.Stream, true); err != nil {
			return nil, fmt.Errorf("azure: %w", err)
		}
		target = a.base + "/" + url.PathEscape(r.Model) + "/completions?api-version=" + url.QueryEscape(a.apiVersion)
	default:
		return nil, fmt.Errorf("azure: the %s API is not relayed natively", api)
	}
	req, err := vendorkit.NewPost(ctx, "azure", target, body, r, a.headers, vendorkit.Accept(r.Stream, "text/event-stream"))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Api-Key", a.apiKey)
	return req, nil
}

// NativeUsage reads a response object's or a text_completion's usage.
func (a *Adapter) NativeUsage(api providers.API, body []byte) (providers.Usage, error) {
	u, err := openai.NativeUsage(api, body)
	if err != nil {
		return providers.Usage{}, fmt.Errorf("azure: %w", err)
	}
	return u, nil
}

// NativeError maps an error answer as Error does, keeping Azure's body for
// a refusal of the request or a rate limit.
func (a *Adapter) NativeError(_ providers.API, status int, h http.Header, body []byte) *providers.Error {
	return openai.NativeError(a.Error(status, h, body), status, body)
}

// NativeStream reads a native stream's events as they are.
func (a *Adapter) NativeStream(api providers.API, body io.Reader) providers.EventStream {
	return openai.NativeStream(api, body, a.apiKey)
}
