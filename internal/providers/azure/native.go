package azure

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// NativeAPIs: Azure OpenAI serves the Responses API (its v1 API, where the
// body's model names the deployment).
func (a *Adapter) NativeAPIs() []providers.API { return []providers.API{providers.APIResponses} }

// NativeRequest builds POST {endpoint}/openai/v1/responses with the
// client's body.
func (a *Adapter) NativeRequest(ctx context.Context, api providers.API, r *providers.Request) (*http.Request, error) {
	if api != providers.APIResponses {
		return nil, fmt.Errorf("azure: the %s API is not relayed natively", api)
	}
	target := strings.TrimSuffix(a.base, "/deployments") + "/v1/responses"
	req, err := vendorkit.NewPost(ctx, "azure", target, r.Body, r, a.headers, vendorkit.Accept(r.Stream, "text/event-stream"))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Api-Key", a.apiKey)
	return req, nil
}

// NativeUsage reads a response object's usage.
func (a *Adapter) NativeUsage(_ providers.API, body []byte) (providers.Usage, error) {
	u, err := openai.ResponseUsage(body)
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

// NativeStream reads the Responses API's events as they are.
func (a *Adapter) NativeStream(_ providers.API, body io.Reader) providers.EventStream {
	return openai.NewResponsesStream(body, a.apiKey)
}
