package anthropic

import (
	"context"

	"net/http"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

// CountTokensRequest builds POST {endpoint}/v1/messages/count_tokens for a
// count_tokens body already naming the upstream model, starting from the
// forwarded client headers h; the answer is Anthropic's
// {"input_tokens":N}, errors in Anthropic's shape (see Error).
func (a *Adapter) CountTokensRequest(ctx context.Context, body []byte, h http.Header) (*http.Request, error) {
	req, err := vendorkit.NewPost(ctx, "anthropic", a.endpoint+"/v1/messages/count_tokens", body, &providers.Request{Header: h}, a.headers, "application/json")
	if err != nil {
		return nil, err
	}
	req.Header.Set("Anthropic-Version", a.version)
	req.Header.Set("X-Api-Key", a.apiKey)
	return req, nil
}
